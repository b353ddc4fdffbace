//! The checks every plan passes before anything changes: protected resources (the cluster and
//! its KMS key are not replaced or deleted unless named with `--allow-replace`), then preflight
//! (what would fail late, located at the blueprint key to change).

use std::future::Future;

use crate::aws::{Aws, AwsError};
use crate::blueprint::{nearest_words, LoadedBlueprint};
use crate::graph::ResourceGraph;
use crate::plan::preflight::{self, AddonsAhead, PreflightFailure, Reads};
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

/// The ids a normal plan is scoped and steered by, as parsed from the flags.
#[derive(Debug, Default)]
pub struct Controls {
    pub targets: Vec<ResourceId>,
    pub replace: Vec<ResourceId>,
    pub exclude: Vec<ResourceId>,
}

/// `--target`, `--replace` and `--exclude ID`s as ids of the blueprint's graph (`--exclude` may
/// also name what state records, to keep it from being deleted); an id that is none names the
/// nearest ids, and one id both targeted (or replaced) and excluded is refused. Pure: checked
/// before the refresh. `zones_unsure` is the region when `graph` was placed without reading
/// its zones: an id naming a zone of it (`subnet.private.<region>d`) is then let through, to be
/// checked again once the zones are read.
pub fn parse_controls(
    targets: &[String],
    replace: &[String],
    exclude: &[String],
    graph: &ResourceGraph,
    state: &State,
    zones_unsure: Option<&str>,
) -> Result<Controls, OperationError> {
    let names_zone =
        |id: &ResourceId| zones_unsure.is_some_and(|region| id.as_str().contains(region));
    let known = |id: &ResourceId| graph.contains(id) || names_zone(id);
    let known_or_recorded = |id: &ResourceId| known(id) || state.get(id).is_some();
    let controls = Controls {
        targets: parse_ids("--target", targets, &known, graph, state)?,
        replace: parse_ids("--replace", replace, &known, graph, state)?,
        exclude: parse_ids("--exclude", exclude, &known_or_recorded, graph, state)?,
    };
    for (first, ids) in [
        ("--target", &controls.targets),
        ("--replace", &controls.replace),
    ] {
        if let Some(id) = ids.iter().find(|id| controls.exclude.contains(id)) {
            return Err(OperationError::ConflictingControls {
                id: id.to_string(),
                first,
                second: "--exclude",
            });
        }
    }
    Ok(controls)
}

fn parse_ids(
    flag: &'static str,
    texts: &[String],
    known: &dyn Fn(&ResourceId) -> bool,
    graph: &ResourceGraph,
    state: &State,
) -> Result<Vec<ResourceId>, OperationError> {
    texts
        .iter()
        .map(|text| {
            ResourceId::parse(text).filter(known).ok_or_else(|| {
                let order = graph.order();
                let candidates = order
                    .iter()
                    .chain(state.resources.keys())
                    .map(ResourceId::as_str);
                OperationError::UnknownId {
                    flag,
                    text: text.clone(),
                    nearest: nearest_words(text, candidates, 3)
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                }
            })
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
) -> Option<AddonsAhead> {
    let placement = offline_placement(loaded, Some(&aws.region));
    let (desired, _) = desired(loaded, &placement).ok()?;
    let needs = preflight::Needs::expected(&desired, state).addons;
    let answers = preflight::addon_reads(aws, &needs, None).await;
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
    addons_ahead: Option<impl Future<Output = Option<AddonsAhead>>>,
) -> Result<Reads, AwsError> {
    let needs = preflight::Needs::expected(desired, state);
    let addon_reads = async {
        let ahead = match addons_ahead {
            Some(ahead) => ahead.await,
            None => None,
        };
        preflight::addon_reads(aws, &needs.addons, ahead).await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> ResourceId {
        ResourceId::parse(text).unwrap()
    }

    fn graph() -> ResourceGraph {
        let nodes = [
            "vpc.main",
            "subnet.private.eu-west-1a",
            "eks_node_group.system",
            "eks_node_group.general",
            "launch_template.system",
        ];
        ResourceGraph::from_edges(
            nodes.map(id),
            [(id("vpc.main"), id("eks_node_group.system"))],
        )
        .unwrap()
    }

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn an_unknown_id_is_named_with_the_nearest_ones() {
        let state = State::new("demo");
        let error = parse_controls(
            &[],
            &strings(&["eks_node_group.sytem"]),
            &[],
            &graph(),
            &state,
            None,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "--replace eks_node_group.sytem: no such resource in this blueprint (the nearest are eks_node_group.system, eks_node_group.general, launch_template.system)"
        );
    }

    #[test]
    fn targeting_or_replacing_what_is_excluded_is_refused() {
        let state = State::new("demo");
        let same = strings(&["eks_node_group.system"]);
        for (targets, replace) in [(&same[..], &[][..]), (&[][..], &same[..])] {
            let error =
                parse_controls(targets, replace, &same, &graph(), &state, None).unwrap_err();
            assert!(
                matches!(error, OperationError::ConflictingControls { ref id, .. } if id == "eks_node_group.system"),
                "{error}"
            );
        }
        let error = parse_controls(&same, &[], &same, &graph(), &state, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--target eks_node_group.system and --exclude eks_node_group.system: a resource cannot be both planned and left out"
        );
    }

    #[test]
    fn exclude_may_name_what_only_state_records_and_zones_wait_for_the_placement() {
        let mut state = State::new("demo");
        state.resources.insert(
            id("eks_node_group.old"),
            crate::state::ResourceRecord {
                kind: crate::resources::Kind::EksNodeGroup,
                cloud_id: "old-1".into(),
                attrs: Default::default(),
                outputs: Default::default(),
                depends_on: Default::default(),
            },
        );
        let parsed = parse_controls(
            &[],
            &[],
            &strings(&["eks_node_group.old"]),
            &graph(),
            &state,
            None,
        )
        .unwrap();
        assert_eq!(parsed.exclude, vec![id("eks_node_group.old")]);
        let zone = strings(&["subnet.private.eu-west-1c"]);
        assert!(parse_controls(&zone, &[], &[], &graph(), &state, None).is_err());
        assert!(parse_controls(&zone, &[], &[], &graph(), &state, Some("eu-west-1")).is_ok());
    }
}
