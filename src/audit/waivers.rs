//! `[[waivers]]`: findings accepted on purpose. The blueprint layer refuses a blank
//! `check`/`reason`, a malformed `expires`, a bad `[audit] fail_on` and, given the catalog's
//! ids ([`load_blueprint`]), a check id that does not exist (a typo must not silently waive
//! nothing); this module decides which findings a waiver covers.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::blueprint::limits::INSIGHT_WAIVER_PREFIX;
use crate::blueprint::{BlueprintError, LoadedBlueprint, Location};

use super::checks;
use super::view::{Date, Subject};

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

/// The blueprint's waivers of posture findings, located (those of upgrade insights,
/// `insight:<name>`, are [`insight_waivers`]).
pub fn of(loaded: &LoadedBlueprint) -> Vec<Waiver> {
    loaded
        .model
        .waivers
        .iter()
        .enumerate()
        .filter(|(_, waiver)| !waiver.check.trim().starts_with(INSIGHT_WAIVER_PREFIX))
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

/// The blueprint's waivers of EKS upgrade insights in force on `today`: insight name → reason.
pub fn insight_waivers(loaded: &LoadedBlueprint, today: Date) -> BTreeMap<String, String> {
    loaded
        .model
        .waivers
        .iter()
        .filter(|waiver| {
            waiver
                .expires
                .as_deref()
                .and_then(Date::parse)
                .is_none_or(|last_day| today <= last_day)
        })
        .filter_map(|waiver| {
            let name = waiver.check.trim().strip_prefix(INSIGHT_WAIVER_PREFIX)?;
            Some((name.trim().to_string(), waiver.reason.trim().to_string()))
        })
        .collect()
}

/// Loads the blueprint at `path` as every command does: with the waivers' check ids checked
/// against the catalog ([`crate::blueprint::load_against`]), beside every other rule, so a
/// typo in one waiver is reported with every other problem, not after they are fixed.
pub fn load_blueprint(path: &Path, vars: &[String]) -> Result<LoadedBlueprint, BlueprintError> {
    let ids: Vec<&str> = checks::all().iter().map(|check| check.meta.id).collect();
    crate::blueprint::load_against(path, vars, Some(&ids))
}

/// A ready-to-paste waiver for a finding, as the gate prints it.
pub fn suggestion(check_id: &str, resource: &str) -> String {
    format!(
        "[[waivers]]\ncheck = \"{check_id}\"\nresource = \"{resource}\"\nreason = \"<why this risk is accepted>\"\nexpires = {}\n",
        Date::today().plus_days(90)
    )
}

/// What renews an expired waiver, as the gate prints it: its place and a new `expires`.
pub fn extension(waiver: &Waiver) -> String {
    let at = waiver
        .location
        .as_ref()
        .map(|location| format!(" at {location}"))
        .unwrap_or_default();
    format!(
        "# the waiver of {}{at}: if the risk is still accepted, move its `expires` on, e.g.\nexpires = {}\n",
        waiver.check,
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
