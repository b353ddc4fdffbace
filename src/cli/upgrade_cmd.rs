//! `eksforge upgrade BLUEPRINT --to 1.N`: the plan `cluster.version = "1.N"` would make (the
//! ordered upgrade steps, the insights and support dates), applying and writing nothing.
//! `eksforge upgrade BLUEPRINT --check [--within 60d]`: the cluster's readiness for its next
//! version; exit 2 when it leaves standard support within the window.

use std::path::Path;

use miette::{Report, Result};

use super::console::out;
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::blueprint::date::Date;
use crate::operation;
use crate::plan::PlanMode;
use crate::state::State;
use crate::ui;

pub async fn run(
    settings: &Settings,
    path: &Path,
    to: Option<&str>,
    check: bool,
    within_days: Option<u32>,
) -> Result<ExitStatus> {
    match to {
        Some(to) if !check => plan_to(settings, path, to).await,
        _ => readiness(settings, path, within_days).await,
    }
}

/// The plan with `cluster.version` set to `to`, as `plan` shows it.
async fn plan_to(settings: &Settings, path: &Path, to: &str) -> Result<ExitStatus> {
    let mut vars = settings.global.vars.clone();
    // Quoted: `1.30` must stay a string, not become the number 1.3.
    vars.push(format!("cluster.version=\"{to}\""));
    let loaded = crate::audit::waivers::load_blueprint(path, &vars).map_err(Report::new)?;
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    let lock = settings.lock(&backend, "plan").await?;
    let stored = operation::stored_state(&backend, &loaded)
        .await
        .map_err(errors::operation)?;
    let state = stored.unwrap_or_else(|| State::new(&loaded.model.blueprint.name));
    let request = settings.plan_request(PlanMode::Normal, &[]);
    let run = operation::plan(&aws, &loaded, &state, &request)
        .await
        .map_err(errors::operation)?;
    drop(lock);
    out!("{}", ui::render_plan(&run.plan, settings.style));
    settings.report_checks(run.checks)?;
    Ok(ExitStatus::Success)
}

async fn readiness(
    settings: &Settings,
    path: &Path,
    within_days: Option<u32>,
) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let readiness = operation::upgrade_check(&aws, &loaded, Date::today(), within_days)
        .await
        .map_err(errors::operation)?;
    out!("{}", ui::render_readiness(&readiness, settings.style));
    Ok(if readiness.leaves_standard_within {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
