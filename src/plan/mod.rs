//! What will change: refresh what state records (concurrently), diff desired against live
//! into create / update / replace / delete / no-op.
//!
//! Invariant: `plan` makes only read calls; it knows nothing of the terminal.

mod controls;
pub mod cost;
mod diff;
pub mod file;
pub mod floor;
mod model;
pub mod moves;
mod notes;
pub mod preflight;
pub mod protection;
pub mod readiness;
mod refresh;
pub mod upgrade;

pub(crate) use diff::same as same_value;
pub(crate) use diff::same;
pub use diff::{destroy, diff, refresh_only, DiffOptions};
pub use model::{Action, ActionReason, Change, FoundVia, Plan, PlanMode, PlanPosture, Summary};
pub use notes::{latest_bottlerocket, note_bottlerocket, Releases};
pub use refresh::{refresh, Refreshed};

use crate::aws::{Aws, AwsError};
use crate::graph::ResourceGraph;
use crate::resources::DesiredSet;
use crate::state::State;

/// Refreshes and diffs: the plan for `desired`.
pub async fn plan(
    aws: &Aws,
    desired: &DesiredSet,
    graph: &ResourceGraph,
    state: &State,
    options: &DiffOptions,
) -> Result<Plan, AwsError> {
    let refreshed = refresh(aws, desired, state).await?;
    Ok(diff(desired, graph, state, &refreshed, options))
}

/// Refreshes and reports drift only.
pub async fn plan_refresh_only(
    aws: &Aws,
    desired: &DesiredSet,
    state: &State,
) -> Result<Plan, AwsError> {
    let refreshed = refresh(aws, desired, state).await?;
    Ok(refresh_only(&desired.blueprint, state, &refreshed))
}

/// Refreshes and plans the deletion of everything the blueprint has (recorded or tagged).
pub async fn plan_destroy(
    aws: &Aws,
    desired: &DesiredSet,
    state: &State,
) -> Result<Plan, AwsError> {
    let refreshed = refresh(aws, desired, state).await?;
    Ok(destroy(&desired.blueprint, state, &refreshed))
}
