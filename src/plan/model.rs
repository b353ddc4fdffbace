//! What will change: the serialisable plan, one `Change` per resource.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::audit::delta::Mark;
use crate::audit::report::Report;
pub use crate::resources::FoundVia;
use crate::resources::{Attrs, ResourceId};

use super::upgrade::UpgradePlan;

/// What apply does to one resource. Both replace orders exist: most kinds are deleted then
/// re-created (names and addresses must be free), node groups are created first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    DeleteThenCreate,
    CreateThenDelete,
    Delete,
}

impl Action {
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// The Terraform-style marker plans show.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::DeleteThenCreate => "-/+",
            Action::CreateThenDelete => "+/-",
            Action::Delete => "-",
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Action::NoOp => "unchanged",
            Action::Create => "created",
            Action::Update => "updated in-place",
            Action::DeleteThenCreate => "replaced (destroy, then create)",
            Action::CreateThenDelete => "replaced (create, then destroy)",
            Action::Delete => "destroyed",
        }
    }
}

/// Why a change is what it is. Explanation only: apply never reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionReason {
    /// An attribute the API cannot change in place differs (`requires_replace` lists them).
    ReplaceBecauseCannotUpdate,
    /// A resource it is built on is replaced, so an attribute that forces replacement is unknown.
    ReplaceBecauseDependencyReplaced,
    /// Nothing forces it: `--replace ID` asked for it.
    ReplaceBecauseRequested,
    /// State records it but the API no longer has it: deleted outside eksforge.
    CreateBecauseGone,
    /// The blueprint no longer describes it.
    DeleteBecauseNoResourceConfig,
    /// Found by its eksforge tags without a state record and no longer described.
    DeleteBecauseOrphaned,
    /// `destroy` was asked for.
    DeleteBecauseDestroy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: ResourceId,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ActionReason>,
    /// The cloud id of the existing resource, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_id: Option<String>,
    /// How refresh found it when state did not record it (adoption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_via: Option<FoundVia>,
    /// Live outputs (`id`, ...) of the existing resource; empty for a create.
    #[serde(default)]
    pub outputs: Attrs,
    /// Live attributes (after refresh); `None` for a create.
    pub before: Option<Attrs>,
    /// Desired attributes, references resolved where known; `None` for a delete.
    pub after: Option<Attrs>,
    /// Attribute names whose value changes.
    #[serde(default)]
    pub changed: Vec<String>,
    /// Of `changed`, those that force replacement.
    #[serde(default)]
    pub requires_replace: Vec<String>,
    /// Attribute names whose live value differs from what state last recorded: changed
    /// outside eksforge.
    #[serde(default)]
    pub drifted: Vec<String>,
    /// What this change must wait for when creating or updating (desired references).
    #[serde(default)]
    pub depends_on: BTreeSet<ResourceId>,
    /// What depended on the existing resource (so destroys go dependents first).
    #[serde(default)]
    pub existing_depends_on: BTreeSet<ResourceId>,
}

impl Change {
    pub fn is_noop(&self) -> bool {
        self.action == Action::NoOp
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMode {
    Normal,
    Destroy,
    /// Drift only: what changed outside eksforge, accepted into state by apply.
    RefreshOnly,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub blueprint: String,
    pub mode: PlanMode,
    /// Every desired, recorded or found resource, sorted by id (no-ops included: apply
    /// records adoptions from them).
    pub changes: Vec<Change>,
    /// Recorded resources the API no longer has (dropped from state on apply).
    #[serde(default)]
    pub gone: Vec<ResourceId>,
    /// Things the user should know that are not changes.
    #[serde(default)]
    pub notes: Vec<String>,
    /// What applying the plan means for posture: the blueprint's findings and the changes that
    /// weaken or strengthen it. Attached by the operation that made the plan (not by the diff),
    /// so plan text, plan JSON and a saved plan all render from this one model. `None` where
    /// posture is not judged (destroy, and plans made by library users who did not ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posture: Option<PlanPosture>,
    /// The ordered steps of a Kubernetes upgrade (src/plan/upgrade.rs), run before the
    /// changes; `None` when the cluster's version does not go up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UpgradePlan>,
    /// Records renamed in state by `[[moved]]` (new id → old id): apply writes these first; the
    /// changes above are already under the new ids.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub moved: BTreeMap<ResourceId, ResourceId>,
}

/// The posture a plan carries: the report of the desired model after the plan, and the
/// findings a change introduces (weakens) or clears (strengthens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanPosture {
    pub report: Report,
    #[serde(default)]
    pub marks: Vec<Mark>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub adopt: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.add += 1,
                Action::Update => summary.change += 1,
                Action::Delete => summary.destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    summary.add += 1;
                    summary.destroy += 1;
                }
                Action::NoOp => {}
            }
            if change.adopted_via.is_some() && change.action != Action::Delete {
                summary.adopt += 1;
            }
        }
        summary
    }

    /// Whether applying would call a mutating API or change state.
    pub fn has_changes(&self) -> bool {
        if self.mode == PlanMode::RefreshOnly {
            return self
                .changes
                .iter()
                .any(|change| !change.drifted.is_empty() || change.adopted_via.is_some())
                || !self.gone.is_empty();
        }
        let summary = self.summary();
        summary.add + summary.change + summary.destroy + summary.adopt > 0
            || !self.gone.is_empty()
            || !self.moved.is_empty()
            || self.upgrade_steps() > 0
    }

    /// How many upgrade steps apply runs before the changes.
    pub fn upgrade_steps(&self) -> usize {
        self.upgrade
            .as_ref()
            .map_or(0, |upgrade| upgrade.steps.len())
    }

    pub fn change(&self, id: &ResourceId) -> Option<&Change> {
        self.changes.iter().find(|change| &change.id == id)
    }
}
