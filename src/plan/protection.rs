//! Resources whose loss cannot be undone: the EKS cluster (its etcd, every workload) and the
//! KMS key (every secret encrypted with it). A plan that would replace or delete them as a side
//! effect of a change is refused unless the user names them explicitly.

use crate::resources::{Kind, ResourceId};

use super::{Action, Change, Plan, PlanMode};

pub const PROTECTED_KINDS: &[Kind] = &[Kind::EksCluster, Kind::KmsKey];

/// The changes that would replace or delete a protected resource without permission.
/// `destroy` is itself the explicit request, so destroy plans have none.
pub fn violations<'a>(plan: &'a Plan, allowed: &[ResourceId]) -> Vec<&'a Change> {
    if plan.mode == PlanMode::Destroy {
        return Vec::new();
    }
    plan.changes
        .iter()
        .filter(|change| PROTECTED_KINDS.contains(&change.id.kind()))
        .filter(|change| change.action.is_replace() || change.action == Action::Delete)
        .filter(|change| !allowed.contains(&change.id))
        .collect()
}

/// One line per violation: what and why.
pub fn describe(change: &Change) -> String {
    let why = if change.requires_replace.is_empty() {
        "it is no longer in the blueprint".to_string()
    } else {
        format!(
            "{} cannot change in place",
            change.requires_replace.join(", ")
        )
    };
    let verb = if change.action == Action::Delete {
        "deleted"
    } else {
        "replaced"
    };
    format!("{} would be {verb}: {why}", change.id)
}
