//! `eksforge apply BLUEPRINT [--auto-approve]`, `eksforge apply PLANFILE` and
//! `eksforge destroy BLUEPRINT [--auto-approve]`.
//!
//! `apply` tells a saved plan from a blueprint by its content (`plan::file::looks_like_plan_file`),
//! not its name. A saved plan is applied exactly as stored, without a new diff and without a
//! question (it was reviewed when it was made), once its blueprint (source hash), region and
//! state (lineage and serial, read under the lock) are checked to be what it was made from;
//! otherwise it is refused with nothing changed.

use std::path::Path;
use std::sync::Arc;

use miette::{miette, Report, Result};

use super::console::{err, errln, out, outln};
use super::errors;
use super::prompt;
use super::session::Settings;
use super::ExitStatus;
use crate::apply::{ApplyEvent, ApplyOptions};
use crate::aws::Aws;
use crate::blueprint::LoadedBlueprint;
use crate::operation::{self, GateRefusal, SavedPlanRefusal};
use crate::plan::file::{self as plan_file, PlanFile};
use crate::plan::{self, Plan, PlanMode};
use crate::state::{Backend, State, StateLock};
use crate::ui;

/// The ids `apply` is scoped and steered by: `--target`, `--replace`, `--exclude`.
#[derive(Clone, Copy)]
pub struct Controls<'a> {
    pub targets: &'a [String],
    pub replace: &'a [String],
    pub exclude: &'a [String],
}

pub async fn apply(
    settings: &Settings,
    path: &Path,
    auto_approve: bool,
    controls: &Controls<'_>,
    refresh_only: bool,
) -> Result<ExitStatus> {
    if let Some(saved) = read_saved_plan(path)? {
        return apply_saved(settings, path, &saved, controls, refresh_only).await;
    }
    if !auto_approve {
        prompt::require_terminal(|| no_terminal(PlanMode::Normal))?;
    }
    let mode = if refresh_only {
        Mode::RefreshOnly
    } else {
        Mode::Apply(*controls)
    };
    run(settings, path, auto_approve, mode).await
}

pub async fn destroy(settings: &Settings, path: &Path, auto_approve: bool) -> Result<ExitStatus> {
    if !auto_approve {
        prompt::require_terminal(|| no_terminal(PlanMode::Destroy))?;
    }
    run(settings, path, auto_approve, Mode::Destroy).await
}

#[derive(Clone, Copy)]
enum Mode<'a> {
    Apply(Controls<'a>),
    RefreshOnly,
    Destroy,
}

async fn run(
    settings: &Settings,
    path: &Path,
    auto_approve: bool,
    mode: Mode<'_>,
) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    let none = Controls {
        targets: &[],
        replace: &[],
        exclude: &[],
    };
    let (command, plan_mode, controls) = match mode {
        Mode::Apply(controls) => ("apply", PlanMode::Normal, controls),
        Mode::RefreshOnly => ("apply", PlanMode::RefreshOnly, none),
        Mode::Destroy => ("destroy", PlanMode::Destroy, none),
    };
    let lock = settings.lock(&backend, command).await?;
    let mut state = settings.read_state(&backend, &loaded).await?;
    let mut request = settings.plan_request(plan_mode, controls.targets);
    request.replace = controls.replace;
    request.exclude = controls.exclude;
    request.posture_gate = Some(settings.threshold(Some(&loaded)));
    request.scan_leftovers = matches!(mode, Mode::Destroy);
    let run = operation::plan(&aws, &loaded, &state, &request)
        .await
        .map_err(errors::operation)?;
    if let Some(refusal) = &run.gate {
        return Err(gate_refused(settings, &loaded, refusal));
    }
    // Recorded with the first state write, so the next plan starts without reading them.
    state.region_facts = Some(run.facts);
    let plan = run.plan;

    out!("{}", ui::render_plan(&plan, settings.style));
    if let Some(posture) = plan
        .posture
        .as_ref()
        .filter(|_| plan.mode == PlanMode::Normal)
    {
        out!("{}", ui::render_plan_posture(posture, settings.style));
    }
    settings.report_checks(run.checks)?;
    let leftovers = run
        .leftovers
        .filter(|leftovers| !leftovers.found.is_empty());
    if let Some(leftovers) = &leftovers {
        outln!("\nAlso deleting (made in the VPC by Kubernetes or GuardDuty, not by eksforge):");
        for leftover in &leftovers.found {
            outln!("  - {leftover}");
        }
    }
    if !plan.has_changes() && leftovers.is_none() {
        drop(lock);
        return Ok(ExitStatus::Success);
    }
    if !auto_approve && !confirm(&plan)? {
        outln!("Apply cancelled.");
        drop(lock);
        return Ok(ExitStatus::Failure);
    }
    if let Some(leftovers) = &leftovers {
        operation::delete_leftovers(&aws, leftovers)
            .await
            .map_err(errors::operation)?;
        outln!(
            "Deleted {} thing(s) Kubernetes or GuardDuty made.\n",
            leftovers.found.len()
        );
    }

    execute(settings, &aws, &plan, state, &backend, lock).await
}

/// The posture gate refused: each blocking finding and the waiver that would accept it, then
/// the diagnostic.
fn gate_refused(settings: &Settings, loaded: &LoadedBlueprint, refusal: &GateRefusal) -> Report {
    let mut text = String::new();
    for blocked in &refusal.blocking {
        ui::finding_block(&mut text, &blocked.finding, settings.style);
        if let Some(waiver) = &blocked.expired_waiver {
            // After the block's blank line: said right under the finding it concerns.
            text.pop();
            text.push_str(&format!(
                "  {}     {}: it no longer accepts this finding\n\n",
                settings.style.yellow("expired:"),
                operation::describe_expired(waiver)
            ));
        }
    }
    err!("{text}");
    let suggestions: Vec<&str> = refusal
        .blocking
        .iter()
        .map(|blocked| blocked.suggestion.as_str())
        .collect();
    errln!(
        "To accept a risk on purpose, add a waiver to {} (a reason is required):\n\n{}",
        loaded.path().display(),
        suggestions.join("\n")
    );
    errors::operation(refusal.error())
}

/// Applies `plan` to `state`, holding `lock` until the state is written for the last time.
async fn execute(
    settings: &Settings,
    aws: &Aws,
    plan: &Plan,
    state: State,
    backend: &Arc<dyn Backend>,
    lock: StateLock,
) -> Result<ExitStatus> {
    let style = settings.style;
    let sink = move |event: ApplyEvent| outln!("{}", ui::render_event(&event, style));
    let options = ApplyOptions {
        parallelism: settings.parallelism(),
        progress_every: settings.progress_every(),
    };
    let report = operation::execute(aws, plan, state, backend, &options, &sink)
        .await
        .map_err(errors::operation)?;
    outln!();
    outln!("{}", ui::render_report(&report, plan.mode, style));
    drop(lock);
    // The error names the resource and the call itself.
    if let Some((_, error)) = report.failures.first() {
        return Err(miette!(
            code = "eksforge::apply::failed",
            help = error.hint(),
            "{error}"
        ));
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
        plan::PlanMode::RefreshOnly => {
            "Would you like to update the state to reflect these detected changes?"
        }
    };
    let prompt = format!("\n{question}\n  Only 'yes' will be accepted to approve.");
    prompt::answered_yes(
        &prompt,
        || no_terminal(plan.mode),
        || {
            miette!(
                code = "eksforge::apply::no_input",
                help = "pass --auto-approve when running without a terminal (CI)",
                "no answer on standard input: nothing was changed"
            )
        },
    )
}

/// `apply` or `destroy` without `--auto-approve` while standard input is not a terminal:
/// nobody could answer the question, so the command is refused before it locks or calls
/// anything (Terraform's `-input=false`).
fn no_terminal(mode: PlanMode) -> Report {
    let (command, skip) = match mode {
        PlanMode::Destroy => (
            "destroy",
            "pass --auto-approve to destroy without a question",
        ),
        PlanMode::Normal | PlanMode::RefreshOnly => (
            "apply",
            "pass --auto-approve to apply without a question, or save a plan with \
             `eksforge plan BLUEPRINT --out FILE`, review it, and `eksforge apply FILE` (a saved \
             plan is applied without one)",
        ),
    };
    miette!(
        code = "eksforge::apply::no_terminal",
        help = skip,
        "`eksforge {command}` asks for confirmation, and standard input is not a terminal: \
         nothing was done (no lock taken, no AWS call made)"
    )
}

/// The saved plan at `path`, or `None` when `path` is not one (a blueprint, or a file that
/// cannot be read or is not a regular file: loading it as a blueprint then reports why).
fn read_saved_plan(path: &Path) -> Result<Option<PlanFile>> {
    let Ok(bytes) = plan_file::read_bytes(path) else {
        return Ok(None);
    };
    if !plan_file::looks_like_plan_file(&bytes) {
        return Ok(None);
    }
    plan_file::decode(path, &bytes)
        .map(Some)
        .map_err(errors::plan_file)
}

/// `apply PLANFILE`: checks that the plan still fits, then applies exactly it.
async fn apply_saved(
    settings: &Settings,
    path: &Path,
    saved: &PlanFile,
    controls: &Controls<'_>,
    refresh_only: bool,
) -> Result<ExitStatus> {
    let settings = settings_of(settings, path, saved, controls, refresh_only)?;
    let again = plan_again(path, saved);
    let loaded = settings.load_blueprint(&saved.blueprint.canonical_path).map_err(|report| {
        report.wrap_err(format!(
            "the blueprint of the saved plan {} no longer loads: nothing was changed; fix it, then {again}",
            path.display()
        ))
    })?;
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    // Under the lock from here to the last state write: nothing can move the state on between
    // the check and the apply.
    let lock = settings.lock(&backend, "apply").await?;
    let stored = operation::stored_state(&backend, &loaded)
        .await
        .map_err(errors::operation)?;
    let threshold = settings.threshold(Some(&loaded));
    let refusal = operation::check_saved(&aws, &loaded, saved, stored.as_ref(), threshold)
        .await
        .map_err(errors::operation)?;
    match refusal {
        None => {}
        Some(SavedPlanRefusal::Stale(stale)) => {
            drop(lock);
            let lines: Vec<String> = stale.iter().map(|reason| format!("- {reason}")).collect();
            return Err(miette!(
                code = "eksforge::plan_file::stale",
                help = format!("nothing was changed; {again}, review it, and apply that"),
                "the saved plan {} (made {}) is stale and was not applied:\n  {}",
                path.display(),
                saved.created_at,
                lines.join("\n  ")
            ));
        }
        Some(SavedPlanRefusal::Protected(lines)) => {
            drop(lock);
            return Err(miette!(
                code = "eksforge::plan::protected",
                help =
                    format!("the plan file was not made with --allow-replace for these: {again}"),
                "refusing a plan that destroys protected resources:\n  {}",
                lines.join("\n  ")
            ));
        }
        Some(SavedPlanRefusal::Gate(refusal)) => {
            return Err(gate_refused(&settings, &loaded, &refusal));
        }
    }

    outln!(
        "Applying the saved plan {} (made {}, {}).\n",
        path.display(),
        saved.created_at,
        saved.prior_state
    );
    out!("{}", ui::render_plan(&saved.plan, settings.style));
    if !saved.plan.has_changes() {
        drop(lock);
        return Ok(ExitStatus::Success);
    }
    let state = stored.unwrap_or_else(|| State::new(&loaded.model.blueprint.name));
    execute(&settings, &aws, &saved.plan, state, &backend, lock).await
}

/// The settings a saved plan is applied with: its own `--var`s, region and state file. Flags
/// that would make the apply differ from the plan are refused rather than ignored.
fn settings_of(
    settings: &Settings,
    path: &Path,
    saved: &PlanFile,
    controls: &Controls<'_>,
    refresh_only: bool,
) -> Result<Settings> {
    let recorded = &saved.settings;
    let mut conflicts = Vec::new();
    for (flag, given, made_with) in [
        ("--target", controls.targets, &recorded.targets),
        ("--replace", controls.replace, &recorded.replace),
        ("--exclude", controls.exclude, &recorded.exclude),
    ] {
        if !given.is_empty() {
            conflicts.push(format!(
                "{flag} {} (the plan was made for {})",
                given.join(&format!(" {flag} ")),
                listed(made_with)
            ));
        }
    }
    if refresh_only {
        conflicts.push("--refresh-only (a saved plan keeps the mode it was made in)".to_string());
    }
    let global = &settings.global;
    if !global.vars.is_empty() && global.vars != recorded.vars {
        conflicts.push(format!(
            "--var {} (the plan was made with {})",
            global.vars.join(" --var "),
            listed(&recorded.vars)
        ));
    }
    if let Some(region) = global
        .region
        .as_ref()
        .filter(|region| **region != recorded.region)
    {
        conflicts.push(format!(
            "--region {region} (the plan was made for {})",
            recorded.region
        ));
    }
    if let Some(state) = &global.state {
        let absolute = std::path::absolute(state).unwrap_or_else(|_| state.clone());
        if absolute != recorded.state_path_absolute {
            conflicts.push(format!(
                "--state {} (the plan was made against {})",
                state.display(),
                recorded.state_path_absolute.display()
            ));
        }
    }
    if !conflicts.is_empty() {
        return Err(miette!(
            code = "eksforge::plan_file::flags",
            help = format!(
                "a saved plan is applied with the settings it was made with; drop these flags, or {}",
                plan_again(path, saved)
            ),
            "these flags differ from the saved plan {}:\n  {}",
            path.display(),
            conflicts.join("\n  ")
        ));
    }
    let mut global = global.clone();
    global.vars = recorded.vars.clone();
    global.region = Some(recorded.region.clone());
    global.state = Some(recorded.state_path_absolute.clone());
    Ok(Settings {
        global,
        style: settings.style,
    })
}

fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// What to run to make the plan again: `run `eksforge plan network.toml --out p.json` again`.
fn plan_again(path: &Path, saved: &PlanFile) -> String {
    let mut command = format!("eksforge plan {}", saved.blueprint.path.display());
    for var in &saved.settings.vars {
        if var.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
            command.push_str(&format!(" --var '{}'", var.replace('\'', "'\\''")));
        } else {
            command.push_str(&format!(" --var {var}"));
        }
    }
    let recorded = &saved.settings;
    for (flag, ids) in [
        ("--target", &recorded.targets),
        ("--replace", &recorded.replace),
        ("--exclude", &recorded.exclude),
    ] {
        for id in ids {
            command.push_str(&format!(" {flag} {id}"));
        }
    }
    if saved.settings.refresh_only {
        command.push_str(" --refresh-only");
    }
    format!("run `{command} --out {}` again", path.display())
}
