//! `eksforge plan BLUEPRINT [--out FILE] [--json] [--detailed-exitcode] [--target ID]...
//! [--replace ID]... [--exclude ID]...`
//!
//! `--out FILE` saves the exact plan with what it was computed from (`plan::file`), only once
//! the plan passed the protection and preflight checks; `--json` prints the JSON view
//! (`ui::plan_json`) on standard output instead of the text.

use std::path::Path;

use miette::Result;

use super::console::{errln, out, outln};
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::operation::saved_plan::{check_plan_out, saved_plan, SavedSettings};
use crate::operation::{self, PlanRun};
use crate::plan::file::PriorState;
use crate::plan::{Plan, PlanMode};
use crate::state::State;
use crate::ui;

/// The flags of `plan`.
pub struct PlanFlags<'a> {
    pub detailed_exitcode: bool,
    pub targets: &'a [String],
    pub replace: &'a [String],
    pub exclude: &'a [String],
    pub refresh_only: bool,
    pub out: Option<&'a Path>,
    pub json: bool,
}

pub async fn run(settings: &Settings, path: &Path, flags: &PlanFlags<'_>) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    if let Some(out) = flags.out {
        // Before any call: the plan must not land on the state or the blueprint.
        let local_state = (loaded.model.state.backend
            != crate::blueprint::model::StateBackendKind::S3)
            .then(|| settings.state_path(&loaded));
        check_plan_out(out, &loaded, local_state.as_deref()).map_err(errors::operation)?;
    }
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    // Reading under the lock: a plan never sees a half-applied run's state mid-write.
    let lock = settings.lock(&backend, "plan").await?;
    let stored = operation::stored_state(&backend, &loaded)
        .await
        .map_err(errors::operation)?;
    let prior_state = PriorState::of(stored.as_ref());
    let state = stored.unwrap_or_else(|| State::new(&loaded.model.blueprint.name));
    let mode = if flags.refresh_only {
        PlanMode::RefreshOnly
    } else {
        PlanMode::Normal
    };
    let mut request = settings.plan_request(mode, flags.targets);
    request.replace = flags.replace;
    request.exclude = flags.exclude;
    let run = operation::plan(&aws, &loaded, &state, &request)
        .await
        .map_err(errors::operation)?;
    drop(lock);
    let PlanRun { plan, checks, .. } = run;
    if flags.json {
        out!("{}", ui::render_plan_json(&plan));
    } else {
        out!("{}", ui::render_plan(&plan, settings.style));
        if let Some(posture) = plan.posture.as_ref().filter(|_| !flags.refresh_only) {
            out!("{}", ui::render_plan_posture(posture, settings.style));
        }
    }
    settings.report_checks(checks)?;
    if let Some(out) = flags.out {
        let recorded = SavedSettings {
            vars: &settings.global.vars,
            region: &aws.region,
            state_path: &settings.state_path(&loaded),
            targets: flags.targets,
            replace: flags.replace,
            exclude: flags.exclude,
            refresh_only: flags.refresh_only,
            allow_replace: &settings.global.allow_replace,
            skip_preflight: settings.global.skip_preflight,
        };
        let file = saved_plan(&loaded, &recorded, prior_state, &plan).map_err(errors::operation)?;
        file.write(out).map_err(errors::plan_file)?;
        let saved = format!(
            "Saved the plan to {}. To apply exactly this plan: eksforge apply {}",
            out.display(),
            out.display()
        );
        if flags.json {
            errln!("{saved}");
        } else {
            outln!("\n{saved}");
        }
    }
    Ok(exit_for(&plan, flags.detailed_exitcode))
}

pub fn exit_for(plan: &Plan, detailed_exitcode: bool) -> ExitStatus {
    if detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}
