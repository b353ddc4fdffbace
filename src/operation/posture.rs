//! The posture a plan carries and the apply gate: the blueprint's findings after the plan, the
//! changes that weaken or strengthen it, and the verdict at a severity threshold.

use std::collections::BTreeMap;

use crate::audit::report::{Finding, Report};
use crate::audit::view::Date;
use crate::audit::waivers::Waiver;
use crate::audit::{self, waivers, Severity};
use crate::blueprint::LoadedBlueprint;
use crate::plan::{Action, Plan, PlanPosture};
use crate::resources::{DesiredSet, Placement};

use super::OperationError;

/// The gate's threshold: `--fail-on`, else `[audit] fail_on`, else high.
pub fn threshold(fail_on: Option<&str>, loaded: Option<&LoadedBlueprint>) -> Severity {
    fail_on
        .or_else(|| loaded?.model.audit.as_ref().map(|a| a.fail_on.as_str()))
        .and_then(Severity::parse)
        .unwrap_or(Severity::High)
}

/// The posture of `desired` with the blueprint's waivers applied, findings located at the
/// blueprint keys that drive them.
pub fn desired_report(
    loaded: &LoadedBlueprint,
    desired: &DesiredSet,
    placement: &Placement,
    today: Date,
) -> Result<Report, OperationError> {
    let posture = audit::desired::posture(loaded, desired, placement, today)?;
    Ok(Report::build(&posture, &waivers::of(loaded), &|key| {
        Some(loaded.locate_or_enclosing(key))
    }))
}

/// What the plan does to posture: the findings of the desired model and the changes that
/// introduce or clear one.
pub fn plan_posture(
    loaded: &LoadedBlueprint,
    desired: &DesiredSet,
    placement: &Placement,
    plan: &Plan,
) -> Result<PlanPosture, OperationError> {
    let today = Date::today();
    let report = desired_report(loaded, desired, placement, today)?;
    let marks = match before_set(desired, plan) {
        Some(before) => {
            let before = desired_report(loaded, &before, placement, today)?;
            audit::delta::marks(&before, &report)
        }
        None => Vec::new(),
    };
    Ok(PlanPosture { report, marks })
}

/// The desired model as it is live: resources the plan creates are left out; those it updates
/// or replaces carry their live attributes (desired ones fill what refresh does not report).
/// `None` when nothing exists yet (a first apply changes no posture, it makes one).
pub fn before_set(desired: &DesiredSet, plan: &Plan) -> Option<DesiredSet> {
    let changes: BTreeMap<_, _> = plan.changes.iter().map(|c| (&c.id, c)).collect();
    let mut before = DesiredSet {
        blueprint: desired.blueprint.clone(),
        resources: BTreeMap::new(),
    };
    for (id, resource) in &desired.resources {
        match changes.get(id) {
            Some(change) if change.action == Action::Create => continue,
            Some(change) => {
                let mut resource = resource.clone();
                if let Some(live) = &change.before {
                    for (name, value) in live {
                        resource.attrs.insert(name.clone(), value.clone());
                    }
                }
                before.insert(resource);
            }
            None => {
                before.insert(resource.clone());
            }
        }
    }
    (!before.resources.is_empty()).then_some(before)
}

/// The apply gate refused: the findings that block, each with what would accept it.
#[derive(Debug, Clone)]
pub struct GateRefusal {
    pub blocking: Vec<Blocked>,
    pub threshold: Severity,
}

/// One finding the gate refuses on.
#[derive(Debug, Clone)]
pub struct Blocked {
    pub finding: Finding,
    /// The blueprint's waiver that accepted this finding until its `expires` day passed: the
    /// refusal names it, so "open" does not read as "never waived".
    pub expired_waiver: Option<Waiver>,
    /// What accepts the finding again: a `[[waivers]]` block ready to paste, or for an expired
    /// waiver a new `expires` for it.
    pub suggestion: String,
}

impl GateRefusal {
    pub fn error(&self) -> OperationError {
        OperationError::PostureGate {
            count: self.blocking.len(),
            threshold: self.threshold,
            expired: self
                .blocking
                .iter()
                .filter_map(|blocked| blocked.expired_waiver.as_ref())
                .map(describe_expired)
                .collect(),
        }
    }
}

/// `the waiver of EKS-NET-002 for eks_cluster.main (hardened.toml:140:1) expired on 2026-01-31`.
pub fn describe_expired(waiver: &Waiver) -> String {
    let resource = waiver
        .resource
        .as_deref()
        .map(|resource| format!(" for {resource}"))
        .unwrap_or_default();
    let at = waiver
        .location
        .as_ref()
        .map(|location| format!(" ({location})"))
        .unwrap_or_default();
    let expires = waiver
        .expires
        .map(|date| date.to_string())
        .unwrap_or_default();
    format!(
        "the waiver of {}{resource}{at} expired on {expires}",
        waiver.check
    )
}

/// The apply gate: refuses, before any call that changes anything, while an unwaived finding
/// at or above `threshold` exists. A finding an expired waiver of the report covers is refused
/// naming that waiver.
pub fn gate(report: &Report, threshold: Severity) -> Option<GateRefusal> {
    let blocking: Vec<Blocked> = report
        .blocking(threshold)
        .into_iter()
        .map(|finding| {
            let expired_waiver = report
                .expired
                .iter()
                .find(|waiver| waiver.covers(finding.check.id, &finding.subject))
                .cloned();
            let suggestion = match &expired_waiver {
                Some(waiver) => waivers::extension(waiver),
                None => waivers::suggestion(finding.check.id, &finding.subject.resource),
            };
            Blocked {
                finding: finding.clone(),
                expired_waiver,
                suggestion,
            }
        })
        .collect();
    if blocking.is_empty() {
        return None;
    }
    Some(GateRefusal {
        blocking,
        threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::view::fixture::secure;
    use crate::audit::view::Side;
    use crate::blueprint::Location;

    fn open_endpoint_with(waivers: &[Waiver]) -> Report {
        let mut posture = secure(Side::Desired);
        let cluster = posture.cluster.as_mut().expect("a cluster");
        cluster.endpoint_public = true;
        cluster.public_access_cidrs = vec!["0.0.0.0/0".into()];
        Report::build(&posture, waivers, &|_| None)
    }

    fn waiver(check: &str, expires: &str) -> Waiver {
        Waiver {
            index: 0,
            check: check.into(),
            reason: "office egress until the VPN lands".into(),
            resource: None,
            expires: Date::parse(expires),
            location: Some(Location {
                file: "prod.toml".into(),
                line: 40,
                column: 1,
                span: 0..0,
            }),
        }
    }

    /// The refusal says which waiver lapsed, where it is written and when: the finding it
    /// accepted is otherwise indistinguishable from one nobody waived.
    #[test]
    fn a_finding_whose_waiver_expired_is_refused_naming_the_waiver() {
        let report = open_endpoint_with(&[waiver("EKS-NET-002", "2020-01-31")]);
        let refusal = gate(&report, Severity::High).expect("refused");
        let blocked = refusal
            .blocking
            .iter()
            .find(|blocked| blocked.finding.check.id == "EKS-NET-002")
            .expect("EKS-NET-002 blocks");
        assert!(blocked.expired_waiver.is_some());
        assert!(
            blocked.suggestion.contains("prod.toml:40:1")
                && blocked.suggestion.contains("expires = "),
            "{}",
            blocked.suggestion
        );
        let message = refusal.error().to_string();
        assert!(
            message.contains("1 of them had a waiver that has expired")
                && message
                    .contains("the waiver of EKS-NET-002 (prod.toml:40:1) expired on 2020-01-31"),
            "{message}"
        );
    }

    /// A finding nobody waived gets a new waiver to paste, and the message names no expiry.
    #[test]
    fn a_finding_never_waived_gets_a_waiver_to_paste() {
        let report = open_endpoint_with(&[waiver("EKS-LOG-001", "2020-01-31")]);
        let refusal = gate(&report, Severity::High).expect("refused");
        assert!(refusal.blocking.iter().all(|b| b.expired_waiver.is_none()));
        assert!(refusal.blocking[0].suggestion.starts_with("[[waivers]]"));
        assert!(!refusal.error().to_string().contains("expired"));
    }
}
