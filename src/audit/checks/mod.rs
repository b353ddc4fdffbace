//! The catalog: every check of `CHECKS.md`, one module per area. Adding a check is one entry in
//! its area's `CHECKS` (metadata plus a function over the posture view) and its tests beside it.

use std::sync::LazyLock;

use super::Check;

mod acc;
mod enc;
mod iam;
mod img;
mod k8s;
mod log;
mod net;
mod node;
mod ver;

static ALL: LazyLock<Vec<Check>> = LazyLock::new(|| {
    [
        net::CHECKS,
        enc::CHECKS,
        log::CHECKS,
        iam::CHECKS,
        node::CHECKS,
        acc::CHECKS,
        img::CHECKS,
        ver::CHECKS,
        k8s::CHECKS,
    ]
    .concat()
});

/// Every check, in catalog order (area, then id).
pub fn all() -> &'static [Check] {
    &ALL
}

/// The check with id `id` (`EKS-NET-002`).
pub fn find(id: &str) -> Option<&'static Check> {
    all().iter().find(|check| check.meta.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for check in all() {
            let id = check.meta.id;
            assert!(seen.insert(id), "duplicate id {id}");
            let parts: Vec<&str> = id.split('-').collect();
            assert!(
                parts.len() == 3 && parts[0] == "EKS" && parts[2].len() == 3,
                "malformed id {id}"
            );
            assert!(check.meta.desired || check.meta.live, "{id} runs nowhere");
            assert!(!check.meta.title.is_empty() && !check.meta.remediation.is_empty());
        }
    }
}
