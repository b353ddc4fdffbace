//! `plan`, and the plan `apply` and `destroy` make before they change anything: placement →
//! desired model → refresh and diff (with the Bottlerocket release lookup and the preflight's
//! reads alongside) → notes → posture → gate → protection and preflight.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::FutureExt;

use crate::audit::Severity;
use crate::aws::Aws;
use crate::blueprint::LoadedBlueprint;
use crate::graph::ResourceGraph;
use crate::plan::{self, DiffOptions, Plan, PlanMode};
use crate::resources::{DesiredSet, Placement};
use crate::state::{Backend, RegionFacts, State, StateError};

use super::destroy_run::{kubernetes_leftovers, leftovers_ahead, Leftovers};
use super::guard::{self, Checks, GuardSettings};
use super::moved::blueprint_moves;
use super::placement::{desired, offline_placement, placement_from, with_placement};
use super::posture::{gate, plan_posture, GateRefusal};
use super::OperationError;
use crate::plan::moves::Moved;

/// What to plan, and with which settings.
pub struct PlanRequest<'a> {
    /// `Normal` (plan, apply), `RefreshOnly` or `Destroy`.
    pub mode: PlanMode,
    /// `--target ID`s (normal plans only).
    pub targets: &'a [String],
    /// `--replace ID`s (normal plans only).
    pub replace: &'a [String],
    /// `--exclude ID`s (normal plans only).
    pub exclude: &'a [String],
    /// Where the Bottlerocket releases are published (`--bottlerocket-ssm-prefix`).
    pub bottlerocket_prefix: &'a str,
    pub allow_replace: &'a [String],
    pub skip_preflight: bool,
    /// The apply gate's threshold; `None` when the plan is only shown (`plan`).
    pub posture_gate: Option<Severity>,
    /// `destroy`: also find what Kubernetes and GuardDuty left in the VPC (alongside the
    /// refresh), for `PlanRun::leftovers`.
    pub scan_leftovers: bool,
}

/// Everything one plan run produced.
pub struct PlanRun {
    /// The region's facts as read now (recorded in state by the next write).
    pub facts: RegionFacts,
    pub placement: Placement,
    pub desired: DesiredSet,
    pub graph: ResourceGraph,
    /// The plan, with its notes and (except for destroy) its posture.
    pub plan: Plan,
    /// The apply gate's refusal (normal plans with a threshold only). When set, the guard
    /// was not run: nothing beyond the refresh's reads was asked.
    pub gate: Option<GateRefusal>,
    /// Protection and preflight: warnings, and the refusal that stops the command.
    pub checks: Checks,
    /// What Kubernetes and GuardDuty left in the VPC the destroy deletes (`scan_leftovers`).
    pub leftovers: Option<Leftovers>,
}

/// Plans `loaded` against `state` (read under the lock by the caller).
pub async fn plan(
    aws: &Aws,
    loaded: &LoadedBlueprint,
    state: &State,
    request: &PlanRequest<'_>,
) -> Result<PlanRun, OperationError> {
    let normal = request.mode == PlanMode::Normal;
    let prefix = request.bottlerocket_prefix;
    // Checked before any call; the plan diffs against the state with `[[moved]]` made.
    let moved = if normal {
        check_offline(aws, loaded, state, request)?
    } else {
        None
    };
    let state = moved.as_ref().map_or(state, |moved| &moved.state);
    let preflight = normal && !request.skip_preflight;
    // The add-ons' preflight reads need only the blueprint: they start now, beside the
    // region's facts, and the preflight made with the refresh takes their answers.
    let addons_ahead = preflight.then(|| guard::addon_reads_ahead(aws, loaded, state).shared());
    let placed = with_placement(aws, loaded, state.region_facts.as_ref(), |placement| {
        let addons_ahead = addons_ahead.clone();
        async move {
            let known = aws.with_account(&placement.account_id, &placement.partition);
            let aws = &known;
            let (desired, graph) = desired(loaded, &placement)?;
            // The ids the flags name, checked before the refresh and the reads beside it.
            let options = diff_options(request, &graph, state)?;
            let refresh = refresh_and_diff(aws, &desired, &graph, state, request.mode, &options);
            // The release lookup needs only the desired model: it runs alongside the refresh.
            let releases = async {
                if normal {
                    Some(plan::latest_bottlerocket(aws, prefix, &desired).await)
                } else {
                    None
                }
            };
            // So do the preflight's reads, for what is not in state yet.
            let ahead = async {
                if preflight {
                    Some(
                        guard::preflight_ahead(aws, &desired, state, &placement, addons_ahead)
                            .await,
                    )
                } else {
                    None
                }
            };
            // And, for a destroy, the scan of the VPC state records for Kubernetes' leftovers.
            let leftovers_ahead = async {
                if request.scan_leftovers {
                    Some(leftovers_ahead(aws, state, &desired).await)
                } else {
                    None
                }
            };
            let (plan, releases, ahead, leftovers_ahead) =
                futures::join!(refresh, releases, ahead, leftovers_ahead);
            let plan = plan?;
            Ok((desired, graph, plan, releases, ahead, leftovers_ahead))
        }
    });
    // Polled here too, so the add-ons' reads go while the region's facts are read.
    let drive_addons = async {
        if let Some(addons_ahead) = addons_ahead.clone() {
            addons_ahead.await;
        }
    };
    let (placed, ()) = futures::join!(placed, drive_addons);
    let (facts, placement, (desired, graph, plan, releases, ahead, leftovers_ahead)) = placed?;
    let mut plan = plan;
    // An upgrade's steps (reads only), planned before the posture and the guard see the plan.
    let upgrade_failures = if normal {
        let waivers =
            crate::audit::waivers::insight_waivers(loaded, crate::audit::view::Date::today());
        let version_keys: BTreeMap<String, String> = loaded
            .model
            .node_groups
            .iter()
            .enumerate()
            .map(|(index, group)| {
                (
                    format!("eks_node_group.{}", group.name),
                    format!("node_groups[{index}].version"),
                )
            })
            .collect();
        plan::upgrade::plan_upgrade(aws, prefix, &waivers, &version_keys, &mut plan).await?
    } else {
        Vec::new()
    };
    plan.moved = moved
        .as_ref()
        .map(|moved| moved.moved.clone())
        .unwrap_or_default();
    if let Some(releases) = releases {
        plan::note_bottlerocket(&mut plan, prefix, releases);
    }
    if request.mode != PlanMode::Destroy {
        plan.posture = Some(plan_posture(loaded, &desired, &placement, &plan)?);
    }
    // The posture gate, before any call that could change anything (only reads so far).
    let refused = match (request.posture_gate, &plan.posture) {
        (Some(threshold), Some(posture)) if normal => gate(&posture.report, threshold),
        _ => None,
    };
    let checks = if refused.is_some() {
        Checks::default()
    } else {
        let settings = GuardSettings {
            allow_replace: request.allow_replace,
            skip_preflight: request.skip_preflight,
        };
        guard::check(aws, loaded, &desired, &placement, &plan, &settings, ahead).await
    };
    let mut checks = checks;
    if !upgrade_failures.is_empty() && checks.refusal.is_none() {
        checks.refusal = Some(OperationError::Upgrade {
            problems: guard::located(loaded, &upgrade_failures),
        });
    }
    plan.notes.append(&mut checks.notes);
    let leftovers = match leftovers_ahead {
        Some(ahead) if checks.refusal.is_none() && refused.is_none() => {
            kubernetes_leftovers(aws, &plan, &desired, ahead).await?
        }
        _ => None,
    };
    Ok(PlanRun {
        facts,
        placement,
        desired,
        graph,
        plan,
        gate: refused,
        checks,
        leftovers,
    })
}

/// The flags' ids and the `[[moved]]` entries against the blueprint placed where state last
/// saw the region (or offline), so a mistyped id or a move that cannot be made is refused
/// before any call ([`diff_options`] checks the ids again once placed). Returns the state with
/// the moves made, if the blueprint has any.
fn check_offline(
    aws: &Aws,
    loaded: &LoadedBlueprint,
    state: &State,
    request: &PlanRequest<'_>,
) -> Result<Option<Moved>, OperationError> {
    let no_controls =
        request.targets.is_empty() && request.replace.is_empty() && request.exclude.is_empty();
    if no_controls && loaded.model.moved.is_empty() {
        return Ok(None);
    }
    let recorded = state
        .region_facts
        .as_ref()
        .filter(|facts| facts.region == aws.region)
        .and_then(|facts| placement_from(facts, loaded).ok());
    let zones_unsure = recorded.is_none().then_some(aws.region.as_str());
    let placement =
        recorded.unwrap_or_else(|| offline_placement(loaded, Some(aws.region.as_str())));
    let (_, graph) = desired(loaded, &placement)?;
    let moved = blueprint_moves(loaded, state, &graph, zones_unsure)?;
    let state = moved.as_ref().map_or(state, |moved| &moved.state);
    guard::parse_controls(
        request.targets,
        request.replace,
        request.exclude,
        &graph,
        state,
        zones_unsure,
    )?;
    Ok(moved)
}

/// The diff's options from the flags (normal plans only: the others take none).
fn diff_options(
    request: &PlanRequest<'_>,
    graph: &ResourceGraph,
    state: &State,
) -> Result<DiffOptions, OperationError> {
    if request.mode != PlanMode::Normal {
        return Ok(DiffOptions::default());
    }
    let controls = guard::parse_controls(
        request.targets,
        request.replace,
        request.exclude,
        graph,
        state,
        None,
    )?;
    Ok(DiffOptions {
        targets: controls.targets,
        replace: controls.replace,
        exclude: controls.exclude,
    })
}

/// The refresh and diff of `mode`: one round trip of describes for a no-op plan.
async fn refresh_and_diff(
    aws: &Aws,
    desired: &DesiredSet,
    graph: &ResourceGraph,
    state: &State,
    mode: PlanMode,
    options: &DiffOptions,
) -> Result<Plan, OperationError> {
    Ok(match mode {
        PlanMode::Normal => plan::plan(aws, desired, graph, state, options).await?,
        PlanMode::RefreshOnly => plan::plan_refresh_only(aws, desired, state).await?,
        PlanMode::Destroy => plan::plan_destroy(aws, desired, state).await?,
    })
}

/// The state `backend` holds for this blueprint, `None` when nothing was ever written (so a
/// saved plan can tell "no state yet" from a state's lineage). Call it holding the lock.
pub async fn stored_state(
    backend: &Arc<dyn Backend>,
    loaded: &LoadedBlueprint,
) -> Result<Option<State>, OperationError> {
    let stored = backend.read().await?;
    let name = &loaded.model.blueprint.name;
    match stored {
        Some(state) if &state.blueprint != name => Err(StateError::WrongBlueprint {
            path: backend.location(),
            found: state.blueprint,
            expected: name.clone(),
        }
        .into()),
        other => Ok(other),
    }
}
