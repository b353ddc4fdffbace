//! The catalog: every check of `docs/checks.md`, one module per area. Adding a check is one entry in
//! its area's `CHECKS` (metadata plus a function over the posture view) and its tests beside it.

use std::sync::LazyLock;

use super::Check;

/// One catalog entry: `check!(id, severity, title, rationale, remediation, [refs], desired,
/// live, rule)`.
macro_rules! check {
    ($id:literal, $sev:ident, $title:literal, $why:expr, $fix:literal, [$($r:literal),* $(,)?], desired = $d:literal, live = $l:literal, $rule:path) => {
        crate::audit::Check {
            meta: crate::audit::CheckMeta {
                id: $id,
                title: $title,
                severity: crate::audit::Severity::$sev,
                rationale: $why,
                remediation: $fix,
                refs: &[$($r),*],
                desired: $d,
                live: $l,
            },
            eval: $rule,
        }
    };
}

/// Each case: the check passes on the secure picture of each side and fails once `$break`
/// breaks it. `$break` receives the posture mutably.
#[cfg(test)]
macro_rules! case {
    ($name:ident, $id:literal, [$($side:ident),+], |$p:ident| $break:expr) => {
        #[test]
        fn $name() {
            for side in [$(crate::audit::view::Side::$side),+] {
                let secure = crate::audit::view::fixture::secure(side);
                let passing = crate::audit::checks::testing::run($id, &secure);
                assert!(!passing.is_empty(), "{} judged nothing on {side:?}", $id);
                assert!(
                    passing.iter().all(|e| e.outcome == crate::audit::Outcome::Pass),
                    "{} on secure {side:?}: {passing:#?}", $id
                );
                let mut $p = secure.clone();
                $break;
                let failing = crate::audit::checks::testing::run($id, &$p);
                assert!(
                    failing.iter().any(|e| e.is_fail()),
                    "{} did not fail on {side:?}: {failing:#?}", $id
                );
            }
        }
    };
}

mod acc;
mod enc;
mod iam;
mod img;
mod k8s;
mod log;
mod net;
mod node;
mod policy;
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
pub(crate) mod testing {
    use crate::audit::view::Posture;
    use crate::audit::Evaluation;

    /// The evaluations of check `id` over `posture`.
    pub fn run(id: &str, posture: &Posture) -> Vec<Evaluation> {
        let check = super::find(id).unwrap_or_else(|| panic!("no check {id}"));
        (check.eval)(posture)
    }
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
        assert_eq!(all().len(), 62, "docs/checks.md lists 62 checks");
    }
}
