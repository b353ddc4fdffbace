//! The checks every plan passes before anything changes: protected resources (the cluster and
//! its KMS key are not replaced or deleted unless named with `--allow-replace`), then preflight
//! (what would fail late, located at the blueprint key to change).

use std::future::Future;

use crate::aws::{Aws, AwsError};
use crate::blueprint::LoadedBlueprint;
use crate::graph::ResourceGraph;
use crate::plan::preflight::{self, AddonNeeds, AddonReads, PreflightFailure, Reads};
use crate::plan::{protection, Plan, PlanMode};
use crate::resources::{DesiredSet, Placement, ResourceId};
use crate::state::State;

use super::placement::{desired, offline_placement};
use super::OperationError;

/// What the guard found: warnings to show, and the refusal that ends the command (after the
/// plan was shown) if any.
#[derive(Debug, Default)]
pub struct Checks {
    pub warnings: Vec<String>,
    /// Notes for the plan (add-on versions), from the preflight's reads.
    pub notes: Vec<String>,
    pub refusal: Option<OperationError>,
}

/// `--target ID`s as ids of the blueprint's graph.
pub fn parse_targets(
    targets: &[String],
    graph: &ResourceGraph,
) -> Result<Vec<ResourceId>, OperationError> {
    targets
        .iter()
        .map(|text| {
            ResourceId::parse(text)
                .filter(|id| graph.contains(id))
                .ok_or_else(|| OperationError::UnknownTarget { text: text.clone() })
        })
        .collect()
}

/// `--allow-replace ID`s as ids (text that is no id allows nothing).
pub fn allowed_ids(allow_replace: &[String]) -> Vec<ResourceId> {
    allow_replace
        .iter()
        .filter_map(|text| ResourceId::parse(text))
        .collect()
}

/// One line per change that would replace or delete a protected resource without
/// permission; empty when the plan may go on.
pub fn protection_refusals(plan: &Plan, allow_replace: &[String]) -> Vec<(ResourceId, String)> {
    protection::violations(plan, &allowed_ids(allow_replace))
        .into_iter()
        .map(|change| (change.id.clone(), protection::describe(change)))
        .collect()
}

/// The add-ons' preflight reads (EKS's catalog, then the schemas of what will be sent), which
/// need only the blueprint: made from its model on an offline placement (an add-on's name,
/// version and configuration do not depend on zones or account), they start before the
/// region's facts are read, and a first apply does not wait a round for them after its
/// refresh. `None` when the blueprint cannot be expanded offline.
pub async fn addon_reads_ahead(
    aws: &Aws,
    loaded: &LoadedBlueprint,
    state: &State,
) -> Option<(AddonNeeds, Result<AddonReads, AwsError>)> {
    let placement = offline_placement(loaded, Some(&aws.region));
    let (desired, _) = desired(loaded, &placement).ok()?;
    let needs = preflight::Needs::expected(&desired, state).addons;
    let answers = preflight::addon_reads(aws, &needs, None::<std::future::Ready<_>>).await;
    Some((needs, answers))
}

/// The preflight's reads, made ahead (alongside the refresh) for what the plan will most
/// likely create, with the add-ons' reads started earlier (`addons_ahead`) when they cover
/// what these need. [`check`] reads again what they miss.
pub async fn preflight_ahead(
    aws: &Aws,
    desired: &DesiredSet,
    state: &State,
    placement: &Placement,
    addons_ahead: Option<impl Future<Output = Option<(AddonNeeds, Result<AddonReads, AwsError>)>>>,
) -> Result<Reads, AwsError> {
    let needs = preflight::Needs::expected(desired, state);
    let addons_ahead = async {
        match addons_ahead {
            Some(ahead) => ahead.await,
            None => None,
        }
    };
    let addon_reads = async {
        let ahead = addons_ahead.await;
        preflight::addon_reads(aws, &needs.addons, ahead.map(std::future::ready)).await
    };
    preflight::read_with_addons(aws, &needs, &placement.azs, addon_reads).await
}

/// What the guard is asked to check with.
pub struct GuardSettings<'a> {
    pub allow_replace: &'a [String],
    pub skip_preflight: bool,
}

/// Protection, then (for normal plans, unless skipped) preflight.
pub async fn check(
    aws: &Aws,
    loaded: &LoadedBlueprint,
    desired: &DesiredSet,
    placement: &Placement,
    plan: &Plan,
    settings: &GuardSettings<'_>,
    prefetched: Option<Result<Reads, AwsError>>,
) -> Checks {
    let refused = protection_refusals(plan, settings.allow_replace);
    if !refused.is_empty() {
        let (ids, lines): (Vec<ResourceId>, Vec<String>) = refused.into_iter().unzip();
        return Checks {
            warnings: Vec::new(),
            notes: Vec::new(),
            refusal: Some(OperationError::Protected {
                refused: lines,
                flags: ids
                    .iter()
                    .map(|id| format!("--allow-replace {id}"))
                    .collect(),
            }),
        };
    }
    let holding = protection::repositories_holding_images(plan);
    if !holding.is_empty() {
        return Checks {
            warnings: Vec::new(),
            notes: Vec::new(),
            refusal: Some(OperationError::RepositoriesHoldImages {
                refused: holding
                    .into_iter()
                    .map(|change| {
                        let at = repository_key(loaded, change);
                        protection::describe_repository(change, at.as_deref())
                    })
                    .collect(),
            }),
        };
    }
    if settings.skip_preflight || plan.mode != PlanMode::Normal {
        return Checks::default();
    }
    let node_group_keys: Vec<(String, String)> = loaded
        .model
        .node_groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            (
                group.name.clone(),
                format!("node_groups[{index}].instance_types"),
            )
        })
        .collect();
    let result = match preflight::preflight(
        aws,
        desired,
        plan,
        &placement.azs,
        &node_group_keys,
        prefetched,
    )
    .await
    {
        Ok(result) => result,
        Err(error) => {
            return Checks {
                warnings: Vec::new(),
                notes: Vec::new(),
                refusal: Some(error.into()),
            }
        }
    };
    let problems = located(loaded, &result.failures);
    Checks {
        warnings: result.warnings,
        notes: result.notes,
        refusal: (!problems.is_empty()).then_some(OperationError::Preflight { problems }),
    }
}

/// Each failure at its blueprint key (`file:line:column: message (key)`, then the help).
pub(super) fn located(loaded: &LoadedBlueprint, failures: &[PreflightFailure]) -> Vec<String> {
    failures
        .iter()
        .map(|failure| {
            let at = loaded
                .locate(&failure.key)
                .map(|at| format!("{}:{}:{}", at.file.display(), at.line, at.column))
                .unwrap_or_else(|| loaded.path().display().to_string());
            format!(
                "{at}: {} ({})\n    help: {}",
                failure.message, failure.key, failure.help
            )
        })
        .collect()
}

/// Where the repository `change` deletes is written (`file:line:column`, at its
/// `force_delete` when written, else its entry), if the blueprint still has it.
fn repository_key(loaded: &LoadedBlueprint, change: &crate::plan::Change) -> Option<String> {
    let name = change.cloud_id.as_deref()?;
    let index = loaded
        .model
        .registry
        .as_ref()?
        .repositories
        .iter()
        .position(|repository| repository.name == name)?;
    let entry = format!("registry.repositories[{index}]");
    let at = loaded
        .locate(&format!("{entry}.force_delete"))
        .or_else(|| loaded.locate(&format!("{entry}.name")))?;
    Some(format!(
        "{}:{}:{} {entry}",
        at.file.display(),
        at.line,
        at.column
    ))
}
