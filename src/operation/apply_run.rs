//! Applying a plan: the executor over the state writer, and the checks a saved plan passes
//! before it is applied exactly as stored (still fits the blueprint and state, protection,
//! posture gate).

use std::sync::Arc;

use crate::apply::{self, ApplyOptions, ApplyReport, EventSink};
use crate::audit::view::Date;
use crate::audit::Severity;
use crate::aws::Aws;
use crate::blueprint::LoadedBlueprint;
use crate::plan::file::{Current, PlanFile, Stale};
use crate::plan::{Plan, PlanMode};
use crate::state::{Backend, State, StateWriter};

use super::guard::protection_refusals;
use super::placement::placed_desired;
use super::posture::{desired_report, gate, GateRefusal};
use super::OperationError;

/// Applies `plan` to `state`, recording every finished resource through `backend`; the caller
/// holds the state lock until this returns.
pub async fn execute(
    aws: &Aws,
    plan: &Plan,
    state: State,
    backend: &Arc<dyn Backend>,
    options: &ApplyOptions,
    events: &dyn EventSink,
) -> Result<ApplyReport, OperationError> {
    if plan.has_changes() {
        backend.check_writable().await?;
    }
    // The account state records lets providers build ARNs instead of reading them.
    let known = state
        .region_facts
        .as_ref()
        .filter(|facts| facts.region == aws.region)
        .map(|facts| aws.with_account(&facts.account_id, &facts.partition));
    let aws = known.as_ref().unwrap_or(aws);
    let mut writer = StateWriter::new(state, backend.clone());
    Ok(apply::apply(aws, plan, &mut writer, options, events).await?)
}

/// Why a saved plan cannot be applied as it is.
pub enum SavedPlanRefusal {
    /// What no longer matches (blueprint, region, state), in reading order.
    Stale(Vec<Stale>),
    /// Protected resources the file's `--allow-replace` does not name (the file was edited).
    Protected(Vec<String>),
    /// The blueprint's posture fails the gate.
    Gate(GateRefusal),
}

/// The checks `apply PLANFILE` makes before applying exactly `saved`: that it still fits what
/// it was made from (`stored` is the state read under the lock), that it replaces no protected
/// resource it was not allowed to, and (normal plans) that the blueprint passes the posture
/// gate at `threshold`.
pub async fn check_saved(
    aws: &Aws,
    loaded: &LoadedBlueprint,
    saved: &PlanFile,
    stored: Option<&State>,
    threshold: Severity,
) -> Result<Option<SavedPlanRefusal>, OperationError> {
    let source_hash = loaded.source_hash();
    let stale = saved.check(&Current {
        source_hash: &source_hash,
        region: &aws.region,
        state: stored,
    });
    if !stale.is_empty() {
        return Ok(Some(SavedPlanRefusal::Stale(stale)));
    }
    // Checked when it was made; checked again in case the file was edited since.
    let refused: Vec<String> = protection_refusals(&saved.plan, &saved.settings.allow_replace)
        .into_iter()
        .map(|(_, line)| line)
        .collect();
    if !refused.is_empty() {
        return Ok(Some(SavedPlanRefusal::Protected(refused)));
    }
    if saved.plan.mode == PlanMode::Normal {
        // The blueprint is exactly the one planned (its hash was checked): its posture too,
        // judged today (a waiver may have expired since the plan was made).
        let (placement, desired, _) = placed_desired(aws, loaded).await?;
        let report = desired_report(loaded, &desired, &placement, Date::today())?;
        if let Some(refusal) = gate(&report, threshold) {
            return Ok(Some(SavedPlanRefusal::Gate(refusal)));
        }
    }
    Ok(None)
}
