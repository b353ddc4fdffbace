//! `[[waivers]]`: findings accepted on purpose. The blueprint layer already refuses a blank
//! `check`/`reason` and a malformed `expires`; this layer knows the catalog, so it refuses a
//! check id that does not exist (a typo must not silently waive nothing) and a bad
//! `[audit] fail_on`, and decides which findings a waiver covers.

use serde::{Deserialize, Serialize};

use crate::blueprint::{BlueprintError, LoadedBlueprint, Location};

use super::checks;
use super::view::{Date, Subject};
use super::Severity;

/// One waiver as written, with where it was written (its file may be an `extends` parent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waiver {
    /// Position in the merged `waivers` list.
    pub index: usize,
    pub check: String,
    pub reason: String,
    pub resource: Option<String>,
    pub expires: Option<Date>,
    pub location: Option<Location>,
}

impl Waiver {
    /// Whether it still counts on `today`: through its `expires` day (UTC), not after.
    pub fn in_force(&self, today: Date) -> bool {
        self.expires.is_none_or(|last_day| today <= last_day)
    }

    /// Whether it covers a finding of check `check_id` about `subject`: the same check and,
    /// when the waiver names a resource, that resource (a desired id, or live an ARN or id).
    pub fn covers(&self, check_id: &str, subject: &Subject) -> bool {
        self.check == check_id
            && self.resource.as_deref().is_none_or(|resource| {
                subject.resource == resource || subject.cloud_id.as_deref() == Some(resource)
            })
    }
}

/// The blueprint's waivers, located.
pub fn of(loaded: &LoadedBlueprint) -> Vec<Waiver> {
    loaded
        .model
        .waivers
        .iter()
        .enumerate()
        .map(|(index, waiver)| Waiver {
            index,
            check: waiver.check.trim().to_string(),
            reason: waiver.reason.trim().to_string(),
            resource: waiver.resource.clone(),
            expires: waiver.expires.as_deref().and_then(Date::parse),
            location: loaded.locate(&format!("waivers[{index}]")),
        })
        .collect()
}

/// Refuses waivers naming a check that is not in the catalog and an unknown `[audit]
/// fail_on`, each located at its key, all listed at once.
pub fn validate(loaded: &LoadedBlueprint) -> Result<(), BlueprintError> {
    let mut problems = Vec::new();
    for (index, waiver) in loaded.model.waivers.iter().enumerate() {
        let id = waiver.check.trim();
        if !id.is_empty() && checks::find(id).is_none() {
            let near = nearest_ids(id);
            let help = if near.is_empty() {
                "use an id of the posture catalog (`docs/checks.md`), e.g. \"EKS-NET-002\""
                    .to_string()
            } else {
                format!("did you mean {}?", near.join(" or "))
            };
            problems.push(loaded.problem_at(
                "eksforge::blueprint::waiver_unknown_check",
                &format!("waivers[{index}].check"),
                format!("the waiver names check {id}, which is not in the posture catalog"),
                "unknown check id",
                help,
            ));
        }
    }
    if let Some(audit) = &loaded.model.audit {
        if Severity::parse(&audit.fail_on).is_none() {
            problems.push(loaded.problem_at(
                "eksforge::blueprint::audit_fail_on",
                "audit.fail_on",
                format!("fail_on = \"{}\" is not a severity", audit.fail_on),
                "not a severity",
                "use one of \"critical\", \"high\", \"medium\", \"low\"",
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(loaded.invalid(problems))
    }
}

/// Catalog ids that differ from `id` by case or at most two characters.
fn nearest_ids(id: &str) -> Vec<&'static str> {
    let wanted = id.to_ascii_uppercase();
    checks::all()
        .iter()
        .map(|check| check.meta.id)
        .filter(|candidate| {
            candidate.len() == wanted.len()
                && candidate
                    .bytes()
                    .zip(wanted.bytes())
                    .filter(|(a, b)| a != b)
                    .count()
                    <= 2
        })
        .take(3)
        .collect()
}

/// A ready-to-paste waiver for a finding, as the gate prints it.
pub fn suggestion(check_id: &str, resource: &str) -> String {
    format!(
        "[[waivers]]\ncheck = \"{check_id}\"\nresource = \"{resource}\"\nreason = \"<why this risk is accepted>\"\nexpires = {}\n",
        Date::today().plus_days(90)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiver(check: &str, resource: Option<&str>, expires: Option<&str>) -> Waiver {
        Waiver {
            index: 0,
            check: check.into(),
            reason: "accepted".into(),
            resource: resource.map(str::to_string),
            expires: expires.and_then(Date::parse),
            location: None,
        }
    }

    #[test]
    fn a_waiver_counts_through_its_last_day_and_not_after() {
        let w = waiver("EKS-NET-002", None, Some("2027-03-31"));
        assert!(w.in_force(Date::parse("2027-03-31").unwrap()));
        assert!(!w.in_force(Date::parse("2027-04-01").unwrap()));
        assert!(waiver("EKS-NET-002", None, None).in_force(Date::parse("2999-01-01").unwrap()));
    }

    #[test]
    fn a_waiver_covers_its_check_and_resource_only() {
        let cluster = Subject::new("eks_cluster.main").with_cloud_id("arn:aws:eks:x:1:cluster/p");
        assert!(waiver("EKS-NET-002", None, None).covers("EKS-NET-002", &cluster));
        assert!(!waiver("EKS-NET-002", None, None).covers("EKS-NET-001", &cluster));
        assert!(
            waiver("EKS-NET-002", Some("eks_cluster.main"), None).covers("EKS-NET-002", &cluster)
        );
        assert!(
            waiver("EKS-NET-002", Some("arn:aws:eks:x:1:cluster/p"), None)
                .covers("EKS-NET-002", &cluster)
        );
        assert!(
            !waiver("EKS-NET-002", Some("eks_cluster.other"), None).covers("EKS-NET-002", &cluster)
        );
    }
}
