//! The posture a plan carries and the apply gate: the blueprint's findings after the plan, the
//! changes that weaken or strengthen it, and the verdict at a severity threshold.

use std::collections::BTreeMap;

use crate::audit::report::{Finding, Report};
use crate::audit::view::Date;
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

/// The apply gate refused: the findings that block, and the waiver that would accept each.
#[derive(Debug, Clone)]
pub struct GateRefusal {
    pub blocking: Vec<Finding>,
    /// One `[[waivers]]` block per blocking finding, ready to paste.
    pub suggestions: Vec<String>,
    pub threshold: Severity,
}

impl GateRefusal {
    pub fn error(&self) -> OperationError {
        OperationError::PostureGate {
            count: self.blocking.len(),
            threshold: self.threshold,
        }
    }
}

/// The apply gate: refuses, before any call that changes anything, while an unwaived finding
/// at or above `threshold` exists.
pub fn gate(report: &Report, threshold: Severity) -> Option<GateRefusal> {
    let blocking: Vec<Finding> = report.blocking(threshold).into_iter().cloned().collect();
    if blocking.is_empty() {
        return None;
    }
    let suggestions = blocking
        .iter()
        .map(|finding| waivers::suggestion(finding.check.id, &finding.subject.resource))
        .collect();
    Some(GateRefusal {
        blocking,
        suggestions,
        threshold,
    })
}
