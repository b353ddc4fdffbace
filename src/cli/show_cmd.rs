//! `eksforge show [--json] PLANFILE`: a saved plan as text, or as the JSON of `plan --json`.
//! Reads the file alone: no AWS call, no state, no lock.

use std::path::Path;

use miette::Result;

use super::console::{out, outln};
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::plan::file::{self as plan_file, PlanFileError};
use crate::ui;

pub fn run(settings: &Settings, path: &Path, json: bool) -> Result<ExitStatus> {
    let bytes = plan_file::read_bytes(path).map_err(errors::plan_file)?;
    if !plan_file::looks_like_plan_file(&bytes) {
        return Err(errors::plan_file(PlanFileError::Corrupt {
            path: path.to_path_buf(),
            detail: "it is not JSON (a blueprint? `eksforge plan BLUEPRINT` shows what a blueprint would change)".to_string(),
        }));
    }
    let saved = plan_file::decode(path, &bytes).map_err(errors::plan_file)?;
    if json {
        // The plan carries its posture: the same bytes `plan --json` printed.
        out!("{}", ui::render_plan_json(&saved.plan));
        return Ok(ExitStatus::Success);
    }
    let vars = if saved.settings.vars.is_empty() {
        String::new()
    } else {
        format!(" with --var {}", saved.settings.vars.join(" --var "))
    };
    outln!(
        "Saved plan {}: blueprint {} ({}{vars}), made {} in {} against {} ({}).\n",
        path.display(),
        saved.blueprint.name,
        saved.blueprint.path.display(),
        saved.created_at,
        saved.settings.region,
        saved.settings.state_path.display(),
        saved.prior_state,
    );
    out!("{}", ui::render_plan(&saved.plan, settings.style));
    Ok(ExitStatus::Success)
}
