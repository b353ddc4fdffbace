//! `eksforge apply BLUEPRINT [--auto-approve]`, `eksforge apply PLANFILE` and
//! `eksforge destroy BLUEPRINT [--auto-approve]`.
//!
//! `apply` tells a saved plan from a blueprint by its content (`plan::file::looks_like_plan_file`),
//! not its name. A saved plan is applied exactly as stored, without a new diff and without a
//! question (it was reviewed when it was made), once its blueprint (source hash), region and
//! state (lineage and serial, read under the lock) are checked to be what it was made from;
//! otherwise it is refused with nothing changed.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

use miette::{miette, Result};

use super::audit_cmd;
use super::errors;
use super::plan_cmd::{parse_targets, plan_file_error, read_stored_state};
use super::session::{desired, guard, placement, preflight_ahead, with_placement, Settings};
use super::ExitStatus;
use crate::apply::{self, ApplyEvent, ApplyOptions};
use crate::aws::Aws;
use crate::plan::file::{self as plan_file, Current, PlanFile};
use crate::plan::{self, protection, DiffOptions, Plan};
use crate::resources::ResourceId;
use crate::state::{Backend, State, StateLock, StateWriter};
use crate::ui;

pub async fn apply(
    settings: &Settings,
    path: &Path,
    auto_approve: bool,
    targets: &[String],
    refresh_only: bool,
) -> Result<ExitStatus> {
    if let Some(saved) = read_saved_plan(path)? {
        return apply_saved(settings, path, &saved, targets, refresh_only).await;
    }
    let mode = if refresh_only {
        Mode::RefreshOnly
    } else {
        Mode::Apply(targets)
    };
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

async fn run(
    settings: &Settings,
    path: &Path,
    auto_approve: bool,
    mode: Mode<'_>,
) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    let command = match mode {
        Mode::Apply(_) | Mode::RefreshOnly => "apply",
        Mode::Destroy => "destroy",
    };
    let lock = settings.lock(&backend, command).await?;
    let mut state = settings.read_state(&backend, &loaded).await?;
    let prefix = &settings.global.bottlerocket_ssm_prefix;
    let (facts, placement, (desired, plan, releases, ahead)) =
        with_placement(&aws, &loaded, state.region_facts.as_ref(), |placement| {
            let (aws, loaded, state, mode) = (&aws, &loaded, &state, &mode);
            async move {
                let known = aws.with_account(&placement.account_id, &placement.partition);
                let aws = &known;
                let (desired, graph) = desired(loaded, &placement)?;
                let targets = match mode {
                    Mode::Apply(targets) => Some(parse_targets(targets, &graph)?),
                    _ => None,
                };
                let refresh = async {
                    match (mode, targets) {
                        (Mode::Apply(_), Some(targets)) => {
                            let options = DiffOptions { targets };
                            plan::plan(aws, &desired, &graph, state, &options).await
                        }
                        (Mode::Destroy, _) => plan::plan_destroy(aws, &desired, state).await,
                        _ => plan::plan_refresh_only(aws, &desired, state).await,
                    }
                };
                // The release lookup needs only the desired model: it runs alongside the refresh.
                let releases = async {
                    if matches!(mode, Mode::Apply(_)) {
                        Some(plan::latest_bottlerocket(aws, prefix, &desired).await)
                    } else {
                        None
                    }
                };
                // So do the preflight's reads, for what is not in state yet.
                let ahead = async {
                    if matches!(mode, Mode::Apply(_)) {
                        preflight_ahead(settings, aws, &desired, state, &placement).await
                    } else {
                        None
                    }
                };
                let (plan, releases, ahead) = futures::join!(refresh, releases, ahead);
                let plan = plan.map_err(errors::aws)?;
                Ok((desired, plan, releases, ahead))
            }
        })
        .await?;
    // The posture gate, before any call that could change anything (only reads so far).
    let posture = audit_cmd::desired_posture_report(&loaded, &desired, &placement);
    if matches!(mode, Mode::Apply(_)) {
        audit_cmd::gate(settings, &loaded, &posture)?;
    }
    // Recorded with the first state write, so the next plan starts without reading them.
    state.region_facts = Some(facts);
    let mut plan = plan;
    if let Some(releases) = releases {
        plan::note_bottlerocket(&mut plan, prefix, releases);
    }

    print!("{}", ui::render_plan(&plan, settings.style));
    if matches!(mode, Mode::Apply(_)) {
        let (_, marks) = audit_cmd::plan_posture(&loaded, &desired, &placement, &plan);
        print!(
            "{}",
            ui::render_plan_posture(&posture, &marks, settings.style)
        );
    }
    guard(settings, &aws, &loaded, &desired, &placement, &plan, ahead).await?;
    let leftovers = match mode {
        Mode::Destroy => kubernetes_leftovers(&aws, &plan, &desired).await?,
        _ => None,
    };
    if let Some((_, found)) = leftovers.as_ref().filter(|(_, found)| !found.is_empty()) {
        println!("\nAlso deleting (made by Kubernetes, not by eksforge):");
        for leftover in found {
            println!("  - {leftover}");
        }
    }
    let has_leftovers = leftovers
        .as_ref()
        .is_some_and(|(_, found)| !found.is_empty());
    if !plan.has_changes() && !has_leftovers {
        drop(lock);
        return Ok(ExitStatus::Success);
    }
    if !auto_approve && !confirm(&plan)? {
        println!("Apply cancelled.");
        drop(lock);
        return Ok(ExitStatus::Failure);
    }
    if let Some((vpc_id, found)) = leftovers.filter(|(_, found)| !found.is_empty()) {
        // First, while the subnets and security groups they hold still exist to be freed.
        crate::aws::k8s_leftovers::delete(&aws, &vpc_id, &found)
            .await
            .map_err(errors::aws)?;
        println!("Deleted {} thing(s) Kubernetes made.\n", found.len());
    }

    execute(settings, &aws, &plan, state, &backend, lock).await
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
    let mut writer = StateWriter::new(state, backend.clone());
    let style = settings.style;
    let sink = move |event: ApplyEvent| println!("{}", ui::render_event(&event, style));
    let options = ApplyOptions {
        parallelism: settings.parallelism(),
        progress_every: settings.progress_every(),
    };
    let report = apply::apply(aws, plan, &mut writer, &options, &sink)
        .await
        .map_err(errors::apply)?;
    println!();
    println!("{}", ui::render_report(&report, plan.mode, style));
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

/// The VPC a destroy deletes and what the cluster's controllers left in it (load balancers,
/// target groups, security groups, interfaces), found by their tags. `None` when the plan
/// deletes no VPC or the blueprint has no cluster.
async fn kubernetes_leftovers(
    aws: &Aws,
    plan: &Plan,
    desired: &crate::resources::DesiredSet,
) -> Result<Option<(String, Vec<crate::aws::k8s_leftovers::Leftover>)>> {
    use crate::resources::Kind;
    let Some(vpc_id) = plan
        .changes
        .iter()
        .find(|change| change.id.kind() == Kind::Vpc && change.action == plan::Action::Delete)
        .and_then(|change| change.cloud_id.clone())
    else {
        return Ok(None);
    };
    // The live cluster's name, or the blueprint's when the cluster is already gone.
    let cluster = plan
        .changes
        .iter()
        .find(|change| change.id.kind() == Kind::EksCluster)
        .and_then(|change| change.cloud_id.clone())
        .or_else(|| {
            desired
                .resources
                .values()
                .find(|resource| resource.id.kind() == Kind::EksCluster)
                .and_then(|resource| resource.attrs.get("name"))
                .and_then(|name| name.as_str())
                .map(str::to_string)
        });
    let Some(cluster) = cluster else {
        return Ok(None);
    };
    let found = crate::aws::k8s_leftovers::find(aws, &cluster, &vpc_id)
        .await
        .map_err(errors::aws)?;
    Ok(Some((vpc_id, found)))
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
    print!("\n{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| miette!("could not read the answer: {error}"))?;
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

/// The saved plan at `path`, or `None` when `path` is not one (a blueprint, or a file that
/// cannot be read: loading it as a blueprint then reports why).
fn read_saved_plan(path: &Path) -> Result<Option<PlanFile>> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(None);
    };
    if !plan_file::looks_like_plan_file(&bytes) {
        return Ok(None);
    }
    plan_file::decode(path, &bytes)
        .map(Some)
        .map_err(plan_file_error)
}

/// `apply PLANFILE`: checks that the plan still fits, then applies exactly it.
async fn apply_saved(
    settings: &Settings,
    path: &Path,
    saved: &PlanFile,
    targets: &[String],
    refresh_only: bool,
) -> Result<ExitStatus> {
    let settings = settings_of(settings, path, saved, targets, refresh_only)?;
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
    let stored = read_stored_state(&backend, &loaded).await?;
    let source_hash = loaded.source_hash();
    let stale = saved.check(&Current {
        source_hash: &source_hash,
        region: &aws.region,
        state: stored.as_ref(),
    });
    if !stale.is_empty() {
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
    // Checked when it was made; checked again in case the file was edited since.
    let allowed: Vec<ResourceId> = saved
        .settings
        .allow_replace
        .iter()
        .filter_map(|text| ResourceId::parse(text))
        .collect();
    let refused = protection::violations(&saved.plan, &allowed);
    if !refused.is_empty() {
        drop(lock);
        let lines: Vec<String> = refused
            .iter()
            .map(|change| protection::describe(change))
            .collect();
        return Err(miette!(
            code = "eksforge::plan::protected",
            help = format!("the plan file was not made with --allow-replace for these: {again}"),
            "refusing a plan that destroys protected resources:\n  {}",
            lines.join("\n  ")
        ));
    }

    if saved.plan.mode == plan::PlanMode::Normal {
        // The blueprint is exactly the one planned (its hash was checked): its posture too.
        let placement = placement(&aws, &loaded).await?;
        let (desired, _) = desired(&loaded, &placement)?;
        let posture = audit_cmd::desired_posture_report(&loaded, &desired, &placement);
        audit_cmd::gate(&settings, &loaded, &posture)?;
    }

    println!(
        "Applying the saved plan {} (made {}, {}).\n",
        path.display(),
        saved.created_at,
        saved.prior_state
    );
    print!("{}", ui::render_plan(&saved.plan, settings.style));
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
    targets: &[String],
    refresh_only: bool,
) -> Result<Settings> {
    let recorded = &saved.settings;
    let mut conflicts = Vec::new();
    if !targets.is_empty() {
        conflicts.push(format!(
            "--target {} (the plan was made for {})",
            targets.join(" --target "),
            listed(&recorded.targets)
        ));
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
    for target in &saved.settings.targets {
        command.push_str(&format!(" --target {target}"));
    }
    if saved.settings.refresh_only {
        command.push_str(" --refresh-only");
    }
    format!("run `{command} --out {}` again", path.display())
}
