//! `eksforge plan BLUEPRINT [--out FILE] [--json] [--detailed-exitcode] [--target ID]...`
//!
//! `--out FILE` saves the exact plan with what it was computed from (`plan::file`), only once
//! the plan passed the protection and preflight checks; `--json` prints the JSON view
//! (`ui::plan_json`) on standard output instead of the text.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use miette::{miette, Report, Result};

use super::audit_cmd;
use super::errors;
use super::session::{desired, guard, preflight_ahead, with_placement, Settings};
use super::ExitStatus;
use crate::blueprint::LoadedBlueprint;
use crate::plan::file::{BlueprintSnapshot, PlanFile, PlanFileError, PlanSettings, PriorState};
use crate::plan::{self, DiffOptions, Plan};
use crate::resources::ResourceId;
use crate::state::{Backend, State, StateError};
use crate::ui;

/// The flags of `plan`.
pub struct PlanFlags<'a> {
    pub detailed_exitcode: bool,
    pub targets: &'a [String],
    pub refresh_only: bool,
    pub out: Option<&'a Path>,
    pub json: bool,
}

pub async fn run(settings: &Settings, path: &Path, flags: &PlanFlags<'_>) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    // Reading under the lock: a plan never sees a half-applied run's state mid-write.
    let lock = settings.lock(&backend, "plan").await?;
    let stored = read_stored_state(&backend, &loaded).await?;
    let prior_state = PriorState::of(stored.as_ref());
    let state = stored.unwrap_or_else(|| State::new(&loaded.model.blueprint.name));
    let prefix = &settings.global.bottlerocket_ssm_prefix;
    let (_, placement, (desired, plan, releases, ahead)) =
        with_placement(&aws, &loaded, state.region_facts.as_ref(), |placement| {
            let (aws, loaded, state) = (&aws, &loaded, &state);
            async move {
                let known = aws.with_account(&placement.account_id, &placement.partition);
                let aws = &known;
                let (desired, graph) = desired(loaded, &placement)?;
                let options = DiffOptions {
                    targets: parse_targets(flags.targets, &graph)?,
                };
                let refresh = async {
                    if flags.refresh_only {
                        plan::plan_refresh_only(aws, &desired, state).await
                    } else {
                        plan::plan(aws, &desired, &graph, state, &options).await
                    }
                };
                // The release lookup needs only the desired model: it runs alongside the refresh.
                let releases = async {
                    if flags.refresh_only {
                        None
                    } else {
                        Some(plan::latest_bottlerocket(aws, prefix, &desired).await)
                    }
                };
                // So do the preflight's reads, for what is not in state yet.
                let ahead = async {
                    if flags.refresh_only {
                        None
                    } else {
                        preflight_ahead(settings, aws, &desired, state, &placement).await
                    }
                };
                let (plan, releases, ahead) = futures::join!(refresh, releases, ahead);
                let plan = plan.map_err(errors::aws)?;
                Ok((desired, plan, releases, ahead))
            }
        })
        .await?;
    let mut plan = plan;
    if let Some(releases) = releases {
        plan::note_bottlerocket(&mut plan, prefix, releases);
    }
    drop(lock);
    let (posture, marks) = audit_cmd::plan_posture(&loaded, &desired, &placement, &plan);
    let json_view = ui::plan_json::render_plan_json_with_posture(&plan, &posture, &marks);
    if flags.json {
        print!("{json_view}");
    } else {
        print!("{}", ui::render_plan(&plan, settings.style));
        if !flags.refresh_only {
            print!(
                "{}",
                ui::render_plan_posture(&posture, &marks, settings.style)
            );
        }
    }
    guard(settings, &aws, &loaded, &desired, &placement, &plan, ahead).await?;
    if let Some(out) = flags.out {
        let mut file = saved_plan(settings, &loaded, &aws.region, flags, prior_state, &plan)?;
        file.json_view = Some(json_view);
        file.write(out).map_err(plan_file_error)?;
        let saved = format!(
            "Saved the plan to {}. To apply exactly this plan: eksforge apply {}",
            out.display(),
            out.display()
        );
        if flags.json {
            eprintln!("{saved}");
        } else {
            println!("\n{saved}");
        }
    }
    Ok(exit_for(&plan, flags.detailed_exitcode))
}

/// The plan file for `plan`, with everything `apply FILE` checks before applying it.
fn saved_plan(
    settings: &Settings,
    loaded: &LoadedBlueprint,
    region: &str,
    flags: &PlanFlags<'_>,
    prior_state: PriorState,
    plan: &Plan,
) -> Result<PlanFile> {
    let canonical_path = std::fs::canonicalize(loaded.path()).map_err(|error| {
        miette!(
            code = "eksforge::plan_file::unwritable",
            "could not resolve {}: {error}",
            loaded.path().display()
        )
    })?;
    let state_path = settings.state_path(loaded);
    let state_path_absolute = std::path::absolute(&state_path).map_err(|error| {
        miette!(
            code = "eksforge::plan_file::unwritable",
            "could not resolve {}: {error}",
            state_path.display()
        )
    })?;
    Ok(PlanFile {
        eksforge_plan: crate::plan::file::FORMAT_VERSION,
        eksforge_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: crate::state::rfc3339_utc(SystemTime::now()),
        blueprint: BlueprintSnapshot {
            path: loaded.path().to_path_buf(),
            canonical_path,
            name: loaded.model.blueprint.name.clone(),
            source_hash: loaded.source_hash(),
        },
        settings: PlanSettings {
            vars: settings.global.vars.clone(),
            region: region.to_string(),
            state_path,
            state_path_absolute,
            targets: flags.targets.to_vec(),
            refresh_only: flags.refresh_only,
            allow_replace: settings.global.allow_replace.clone(),
            skip_preflight: settings.global.skip_preflight,
        },
        prior_state,
        plan: plan.clone(),
        json_view: None,
    })
}

/// The state `backend` holds for this blueprint, `None` when nothing was ever written (so a
/// saved plan can tell "no state yet" from a state's lineage). Call it holding the lock.
pub async fn read_stored_state(
    backend: &Arc<dyn Backend>,
    loaded: &LoadedBlueprint,
) -> Result<Option<State>> {
    let stored = backend.read().await.map_err(errors::state)?;
    let name = &loaded.model.blueprint.name;
    match stored {
        Some(state) if &state.blueprint != name => Err(errors::state(StateError::WrongBlueprint {
            path: backend.location(),
            found: state.blueprint,
            expected: name.clone(),
        })),
        other => Ok(other),
    }
}

/// A plan file that cannot be read or written, as a diagnostic saying what to do.
pub fn plan_file_error(error: PlanFileError) -> Report {
    match &error {
        PlanFileError::Unreadable { .. } => miette!(code = "eksforge::plan_file::unreadable", "{error}"),
        PlanFileError::Corrupt { .. } => miette!(
            code = "eksforge::plan_file::corrupt",
            help = "a plan file is what `eksforge plan BLUEPRINT --out FILE` wrote, unchanged: run `eksforge plan --out` again",
            "{error}"
        ),
        PlanFileError::UnknownFormat { .. } => miette!(
            code = "eksforge::plan_file::unknown_format",
            help = "plan files are applied by the eksforge version that wrote them: run `eksforge plan --out` again with this one",
            "{error}"
        ),
        PlanFileError::Unwritable { .. } => miette!(
            code = "eksforge::plan_file::unwritable",
            help = "choose another --out path, in a directory you can write",
            "{error}"
        ),
    }
}

pub fn exit_for(plan: &Plan, detailed_exitcode: bool) -> ExitStatus {
    if detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}

pub fn parse_targets(
    targets: &[String],
    graph: &crate::graph::ResourceGraph,
) -> Result<Vec<ResourceId>> {
    targets
        .iter()
        .map(|text| {
            ResourceId::parse(text).filter(|id| graph.contains(id)).ok_or_else(|| {
                miette!(
                    code = "eksforge::target",
                    help = "list the ids with `eksforge graph BLUEPRINT` or `eksforge state list BLUEPRINT`",
                    "--target {text}: no such resource in this blueprint"
                )
            })
        })
        .collect()
}
