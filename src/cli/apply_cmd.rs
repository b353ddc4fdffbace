//! `eksforge apply BLUEPRINT [--auto-approve]` and `eksforge destroy BLUEPRINT [--auto-approve]`.

use std::io::{BufRead, Write};
use std::path::Path;

use miette::{miette, Result};

use super::errors;
use super::plan_cmd::parse_targets;
use super::session::{desired, guard, placement, Settings};
use super::ExitStatus;
use crate::apply::{self, ApplyEvent, ApplyOptions};
use crate::plan::{self, DiffOptions, Plan};
use crate::state::StateWriter;
use crate::ui;

pub async fn apply(settings: &Settings, path: &Path, auto_approve: bool, targets: &[String], refresh_only: bool) -> Result<ExitStatus> {
    let mode = if refresh_only { Mode::RefreshOnly } else { Mode::Apply(targets) };
    run(settings, path, auto_approve, mode).await
}

pub async fn destroy(settings: &Settings, path: &Path, auto_approve: bool) -> Result<ExitStatus> {
    run(settings, path, auto_approve, Mode::Destroy).await
}

enum Mode<'a> {
    Apply(&'a [String]),
    RefreshOnly,
    Destroy,
}

async fn run(settings: &Settings, path: &Path, auto_approve: bool, mode: Mode<'_>) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    let command = match mode {
        Mode::Apply(_) | Mode::RefreshOnly => "apply",
        Mode::Destroy => "destroy",
    };
    let lock = settings.lock(&backend, command).await?;
    let state = settings.read_state(&backend, &loaded).await?;
    let placement = placement(&aws, &loaded).await?;
    let (desired, graph) = desired(&loaded, &placement)?;
    let mut plan = match mode {
        Mode::Apply(targets) => {
            let options = DiffOptions { targets: parse_targets(targets, &graph)? };
            plan::plan(&aws, &desired, &graph, &state, &options).await
        }
        Mode::RefreshOnly => plan::plan_refresh_only(&aws, &desired, &state).await,
        Mode::Destroy => plan::plan_destroy(&aws, &desired, &state).await,
    }
    .map_err(errors::aws)?;
    if matches!(mode, Mode::Apply(_)) {
        plan::bottlerocket_releases(&aws, &settings.global.bottlerocket_ssm_prefix, &desired, &mut plan).await;
    }

    print!("{}", ui::render_plan(&plan, settings.style));
    guard(settings, &aws, &loaded, &desired, &placement, &plan).await?;
    if !plan.has_changes() {
        drop(lock);
        return Ok(ExitStatus::Success);
    }
    if !auto_approve && !confirm(&plan)? {
        println!("Apply cancelled.");
        drop(lock);
        return Ok(ExitStatus::Failure);
    }

    let mut writer = StateWriter::new(state, backend.clone());
    let style = settings.style;
    let sink = move |event: ApplyEvent| println!("{}", ui::render_event(&event, style));
    let options = ApplyOptions {
        parallelism: settings.parallelism(),
        progress_every: settings.progress_every(),
    };
    let report = apply::apply(&aws, &plan, &mut writer, &options, &sink).await.map_err(errors::apply)?;
    println!();
    println!("{}", ui::render_report(&report, plan.mode, style));
    drop(lock);
    if let Some((id, error)) = report.failures.first() {
        let _ = id;
        return Err(miette!(code = "eksforge::apply::failed", help = error.hint(), "{error}"));
    }
    if report.interrupted {
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

/// Asks for `yes` on standard input, like Terraform.
fn confirm(plan: &Plan) -> Result<bool> {
    let question = match plan.mode {
        plan::PlanMode::Destroy => "Do you really want to destroy all resources?",
        plan::PlanMode::Normal => "Do you want to perform these actions?",
        plan::PlanMode::RefreshOnly => "Would you like to update the state to reflect these detected changes?",
    };
    print!("\n{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    let read = std::io::stdin().lock().read_line(&mut answer).map_err(|error| miette!("could not read the answer: {error}"))?;
    if read == 0 {
        println!();
        return Err(miette!(
            code = "eksforge::apply::no_input",
            help = "pass --auto-approve when running without a terminal (CI)",
            "no answer on standard input: nothing was changed"
        ));
    }
    Ok(answer.trim() == "yes")
}
