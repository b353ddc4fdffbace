//! The plan file `plan --out` writes: the plan (posture included) with what it was computed
//! from, so `apply FILE` applies exactly it or refuses a stale one (`plan::file`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::blueprint::LoadedBlueprint;
use crate::plan::file::{BlueprintSnapshot, PlanFile, PlanSettings, PriorState, FORMAT_VERSION};
use crate::plan::Plan;

use super::OperationError;

/// The settings that shaped a plan, as `plan` resolved them.
pub struct SavedSettings<'a> {
    pub vars: &'a [String],
    pub region: &'a str,
    /// The state file as resolved (`--state`, `[state] path`, or `state/<name>.json`).
    pub state_path: &'a Path,
    pub targets: &'a [String],
    pub refresh_only: bool,
    pub allow_replace: &'a [String],
    pub skip_preflight: bool,
}

/// The plan file for `plan`, with everything `apply FILE` checks before applying it.
pub fn saved_plan(
    loaded: &LoadedBlueprint,
    settings: &SavedSettings<'_>,
    prior_state: PriorState,
    plan: &Plan,
) -> Result<PlanFile, OperationError> {
    let unresolved = |path: &Path, error: std::io::Error| OperationError::PathUnresolved {
        path: path.to_path_buf(),
        detail: error.to_string(),
    };
    let canonical_path =
        std::fs::canonicalize(loaded.path()).map_err(|error| unresolved(loaded.path(), error))?;
    let state_path: PathBuf = settings.state_path.to_path_buf();
    let state_path_absolute =
        std::path::absolute(&state_path).map_err(|error| unresolved(&state_path, error))?;
    Ok(PlanFile {
        eksforge_plan: FORMAT_VERSION,
        eksforge_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: crate::state::rfc3339_utc(SystemTime::now()),
        blueprint: BlueprintSnapshot {
            path: loaded.path().to_path_buf(),
            canonical_path,
            name: loaded.model.blueprint.name.clone(),
            source_hash: loaded.source_hash(),
        },
        settings: PlanSettings {
            vars: settings.vars.to_vec(),
            region: settings.region.to_string(),
            state_path,
            state_path_absolute,
            targets: settings.targets.to_vec(),
            refresh_only: settings.refresh_only,
            allow_replace: settings.allow_replace.to_vec(),
            skip_preflight: settings.skip_preflight,
        },
        prior_state,
        plan: plan.clone(),
        superseded_json_view: None,
        // Set when the file is encoded (`PlanFile::encode`).
        digest: String::new(),
    })
}
