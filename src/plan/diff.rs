//! Desired vs. refreshed: the changes. Pure (no AWS calls), so it is tested directly.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::{rule_for, AttrRule, FoundVia};
use crate::graph::ResourceGraph;
use crate::resources::{Attrs, DesiredSet, Ref, ResourceId, Value};
use crate::state::State;

use super::controls;
use super::model::{Action, ActionReason, Change, Plan, PlanMode};
use super::protection;
use super::refresh::Refreshed;

#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Plan only these resources and what they depend on (`--target`).
    pub targets: Vec<ResourceId>,
    /// Replace these even where nothing forces it (`--replace`).
    pub replace: Vec<ResourceId>,
    /// Leave these out, with everything built on them (`--exclude`).
    pub exclude: Vec<ResourceId>,
}

/// The plan that brings the live resources to the desired model.
pub fn diff(
    desired: &DesiredSet,
    graph: &ResourceGraph,
    state: &State,
    refreshed: &Refreshed,
    options: &DiffOptions,
) -> Plan {
    let cloud_ids = cloud_ids(refreshed);
    // Outputs known at plan time: those of resources that exist and stay.
    let mut known: BTreeMap<ResourceId, Attrs> = BTreeMap::new();
    let mut changes: BTreeMap<ResourceId, Change> = BTreeMap::new();

    for id in graph.order() {
        let Some(resource) = desired.get(&id) else {
            continue;
        };
        let lookup = |reference: &Ref| {
            known
                .get(&reference.resource)?
                .get(&reference.output)
                .cloned()
        };
        let after: Attrs = resource
            .attrs
            .iter()
            .map(|(name, value)| (name.clone(), value.resolve_known(&lookup)))
            .collect();
        let depends_on = resource.dependencies();
        let recorded = state.resources.get(&id);
        let change = match refreshed.found.get(&id) {
            None => Change {
                id: id.clone(),
                action: Action::Create,
                reason: recorded.map(|_| ActionReason::CreateBecauseGone),
                cloud_id: None,
                adopted_via: None,
                outputs: Attrs::new(),
                before: None,
                after: Some(after),
                changed: Vec::new(),
                requires_replace: Vec::new(),
                drifted: Vec::new(),
                depends_on,
                existing_depends_on: BTreeSet::new(),
            },
            Some(found) => {
                let before = &found.observed.attrs;
                // What something else owns keeps its live value: no drift, and updates send it
                // back unchanged.
                let mut after = after;
                for name in &resource.managed_elsewhere {
                    if let Some(live) = before.get(name) {
                        after.insert(name.clone(), live.clone());
                    }
                }
                let mut changed = Vec::new();
                let mut requires_replace = Vec::new();
                let mut unknown_forces = false;
                for (name, value) in &after {
                    let forces =
                        matches!(rule_for(id.kind(), name), AttrRule::ForcesReplacement(_));
                    if value.has_refs() {
                        changed.push(name.clone());
                        if forces {
                            requires_replace.push(name.clone());
                            unknown_forces = true;
                        }
                    } else if !same(id.kind(), name, before.get(name), value) {
                        changed.push(name.clone());
                        if forces {
                            requires_replace.push(name.clone());
                        }
                    }
                }
                // Nothing recorded yet: nothing can have drifted from it.
                let drifted = recorded
                    .map(|record| {
                        after
                            .keys()
                            .filter(|name| {
                                record.attrs.get(*name) != before.get(*name)
                                    && changed.contains(name)
                            })
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                let (action, reason) = if !requires_replace.is_empty() {
                    let reason = if unknown_forces {
                        ActionReason::ReplaceBecauseDependencyReplaced
                    } else {
                        ActionReason::ReplaceBecauseCannotUpdate
                    };
                    (controls::replace_action(id.kind()), Some(reason))
                } else if options.replace.contains(&id) {
                    let reason = ActionReason::ReplaceBecauseRequested;
                    (controls::replace_action(id.kind()), Some(reason))
                } else if !changed.is_empty() {
                    (Action::Update, None)
                } else {
                    (Action::NoOp, None)
                };
                if action == Action::CreateThenDelete {
                    controls::rotate_name(&mut after, before, &mut changed, &mut requires_replace);
                }
                if !action.is_replace() {
                    known.insert(id.clone(), found.observed.outputs.clone());
                }
                Change {
                    id: id.clone(),
                    action,
                    reason,
                    cloud_id: Some(found.observed.cloud_id.clone()),
                    adopted_via: (found.via != FoundVia::State).then_some(found.via),
                    outputs: found.observed.outputs.clone(),
                    before: Some(before.clone()),
                    after: Some(after),
                    changed,
                    requires_replace,
                    drifted,
                    depends_on,
                    existing_depends_on: existing_dependencies(&id, before, state, &cloud_ids),
                }
            }
        };
        changes.insert(id, change);
    }

    // What exists but is no longer desired.
    for (id, found) in &refreshed.found {
        if desired.get(id).is_some() || is_pending_deletion(found) {
            continue;
        }
        let reason = if state.resources.contains_key(id) {
            ActionReason::DeleteBecauseNoResourceConfig
        } else {
            ActionReason::DeleteBecauseOrphaned
        };
        changes.insert(
            id.clone(),
            delete_change(id, found, reason, state, &cloud_ids),
        );
    }

    let gone = state
        .resources
        .keys()
        .filter(|id| !refreshed.found.contains_key(*id))
        .cloned()
        .collect();

    let mut plan = Plan {
        blueprint: desired.blueprint.clone(),
        mode: PlanMode::Normal,
        changes: changes.into_values().collect(),
        gone,
        notes: Vec::new(),
        posture: None,
        upgrade: None,
        moved: Default::default(),
    };
    if !options.targets.is_empty() {
        let wanted = graph.with_dependencies(&options.targets);
        let explicitly: BTreeSet<&ResourceId> = options.targets.iter().collect();
        plan.changes
            .retain(|change| wanted.contains(&change.id) || explicitly.contains(&change.id));
        plan.gone.retain(|id| wanted.contains(id));
        plan.notes.push(format!(
            "--target: planning {} of the blueprint's resources; the rest may differ from this plan.",
            plan.changes.len()
        ));
    }
    if !options.exclude.is_empty() {
        controls::exclude(&mut plan, graph, state, &options.exclude);
    }
    let protected: Vec<String> = plan
        .changes
        .iter()
        .filter_map(protection::deletion_protection_note)
        .collect();
    plan.notes.extend(protected);
    plan
}

/// The plan that deletes everything this blueprint has: recorded or found by tag.
pub fn destroy(blueprint: &str, state: &State, refreshed: &Refreshed) -> Plan {
    let cloud_ids = cloud_ids(refreshed);
    let changes: Vec<Change> = refreshed
        .found
        .iter()
        .filter(|(_, found)| !is_pending_deletion(found))
        .map(|(id, found)| {
            delete_change(
                id,
                found,
                ActionReason::DeleteBecauseDestroy,
                state,
                &cloud_ids,
            )
        })
        .collect();
    let notes = changes
        .iter()
        .filter_map(|change| {
            key_deletion_note(change)
                .or_else(|| adopted_detector_note(change))
                .or_else(|| protection::deletion_protection_note(change))
        })
        .collect();
    Plan {
        blueprint: blueprint.to_string(),
        mode: PlanMode::Destroy,
        changes,
        gone: state
            .resources
            .keys()
            .filter(|id| refreshed.found.get(*id).is_none_or(is_pending_deletion))
            .cloned()
            .collect(),
        notes,
        posture: None,
        upgrade: None,
        moved: Default::default(),
    }
}

/// KMS keys are not deleted at once: say when, and how to get the key back.
fn key_deletion_note(change: &Change) -> Option<String> {
    if change.id.kind() != crate::resources::Kind::KmsKey || change.action != Action::Delete {
        return None;
    }
    let days = change
        .before
        .as_ref()
        .and_then(|before| before.get("deletion_window_days"))
        .and_then(|value| match value {
            Value::Int(days) => Some(*days),
            _ => None,
        })
        .unwrap_or(30);
    Some(format!(
        "{} is scheduled for deletion in {days} days, not deleted now: until then it can be recovered, and re-creating this blueprint adopts it.",
        change.id
    ))
}

/// A GuardDuty detector the account had before eksforge is kept: say so, and what is undone.
fn adopted_detector_note(change: &Change) -> Option<String> {
    if change.id.kind() != crate::resources::Kind::GuarddutyDetector
        || change.action != Action::Delete
    {
        return None;
    }
    change.before.as_ref()?.get("adopted")?;
    Some(format!(
        "{} was the account's detector before eksforge adopted it: it is kept, only the features eksforge turned on are put back as they were.",
        change.id
    ))
}

/// Whether a live value equals a desired one as the diff sees it (policy documents by their
/// canonical JSON, unordered lists as sets).
pub(crate) fn same(
    kind: crate::resources::Kind,
    name: &str,
    live: Option<&Value>,
    desired: &Value,
) -> bool {
    let Some(live) = live else { return false };
    if live == desired || controls::is_rotation_of(kind, name, live, desired) {
        return true;
    }
    // Policy documents: equal when their canonical JSON is (filling in references can change
    // the order of keys that embed them).
    if let (Value::Str(a), Value::Str(b)) = (live, desired) {
        if a.starts_with('{') && b.starts_with('{') {
            let canonical = |text: &str| {
                serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .map(|json| crate::resources::policy::canonical_json(&json))
            };
            if let (Some(a), Some(b)) = (canonical(a), canonical(b)) {
                return a == b;
            }
        }
    }
    if !crate::aws::provider(kind).unordered().contains(&name) {
        return false;
    }
    match (live, desired) {
        (Value::List(a), Value::List(b)) => {
            let mut a: Vec<String> = a.iter().map(ToString::to_string).collect();
            let mut b: Vec<String> = b.iter().map(ToString::to_string).collect();
            a.sort();
            b.sort();
            a == b
        }
        _ => false,
    }
}

/// Drift only: each recorded resource's live attributes against what state recorded, plus
/// adoptions and vanished records. Applying it rewrites state and calls no mutating API.
pub fn refresh_only(blueprint: &str, state: &State, refreshed: &Refreshed) -> Plan {
    let cloud_ids = cloud_ids(refreshed);
    let changes = refreshed
        .found
        .iter()
        .map(|(id, found)| {
            let live = &found.observed.attrs;
            let recorded = state.resources.get(id).map(|record| record.attrs.clone());
            let drifted: Vec<String> = match &recorded {
                Some(recorded) => recorded
                    .keys()
                    .chain(live.keys())
                    .filter(|name| recorded.get(*name) != live.get(*name))
                    .cloned()
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                None => Vec::new(),
            };
            Change {
                id: id.clone(),
                action: Action::NoOp,
                reason: None,
                cloud_id: Some(found.observed.cloud_id.clone()),
                adopted_via: (found.via != FoundVia::State).then_some(found.via),
                outputs: found.observed.outputs.clone(),
                before: recorded,
                after: Some(live.clone()),
                changed: drifted.clone(),
                requires_replace: Vec::new(),
                drifted,
                depends_on: BTreeSet::new(),
                existing_depends_on: existing_dependencies(id, live, state, &cloud_ids),
            }
        })
        .collect();
    Plan {
        blueprint: blueprint.to_string(),
        mode: PlanMode::RefreshOnly,
        changes,
        gone: state
            .resources
            .keys()
            .filter(|id| !refreshed.found.contains_key(*id))
            .cloned()
            .collect(),
        notes: Vec::new(),
        posture: None,
        upgrade: None,
        moved: Default::default(),
    }
}

/// A resource whose deletion is already scheduled (a KMS key in its waiting period) counts as
/// destroyed; it is found only so a re-create can adopt it.
fn is_pending_deletion(found: &crate::aws::Found) -> bool {
    found.observed.outputs.get("pending_deletion") == Some(&Value::Bool(true))
}

fn delete_change(
    id: &ResourceId,
    found: &crate::aws::Found,
    reason: ActionReason,
    state: &State,
    cloud_ids: &CloudIds<'_>,
) -> Change {
    Change {
        id: id.clone(),
        action: Action::Delete,
        reason: Some(reason),
        cloud_id: Some(found.observed.cloud_id.clone()),
        adopted_via: (found.via != FoundVia::State).then_some(found.via),
        outputs: found.observed.outputs.clone(),
        before: Some(found.observed.attrs.clone()),
        after: None,
        changed: Vec::new(),
        requires_replace: Vec::new(),
        drifted: Vec::new(),
        depends_on: BTreeSet::new(),
        existing_depends_on: existing_dependencies(id, &found.observed.attrs, state, cloud_ids),
    }
}

/// What an existing resource is built on: what state recorded, plus every found resource
/// whose cloud id appears among its live attributes (so orphans found by tag, which have no
/// record, are still destroyed in a safe order).
/// Found resources by cloud id.
type CloudIds<'a> = BTreeMap<&'a str, Vec<&'a ResourceId>>;

fn cloud_ids(refreshed: &Refreshed) -> CloudIds<'_> {
    let mut index: CloudIds<'_> = BTreeMap::new();
    for (id, found) in &refreshed.found {
        index
            .entry(found.observed.cloud_id.as_str())
            .or_default()
            .push(id);
    }
    index
}

fn existing_dependencies(
    id: &ResourceId,
    live: &Attrs,
    state: &State,
    cloud_ids: &CloudIds<'_>,
) -> BTreeSet<ResourceId> {
    // A resource state does not record has no recorded dependencies.
    let mut dependencies = state
        .resources
        .get(id)
        .map(|record| record.depends_on.clone())
        .unwrap_or_default();
    let mut strings = BTreeSet::new();
    for (name, value) in live {
        if name != "tags" {
            collect_strings(value, &mut strings);
        }
    }
    // Looked up per string, not per found resource: linear in the plan, not quadratic.
    for text in strings {
        for other in cloud_ids.get(text).into_iter().flatten() {
            if *other != id {
                dependencies.insert((*other).clone());
            }
        }
    }
    // A route's cloud id embeds its table's; the association and route refer to it by id.
    dependencies.remove(id);
    dependencies
}

fn collect_strings<'a>(value: &'a Value, into: &mut BTreeSet<&'a str>) {
    match value {
        Value::Str(text) => {
            into.insert(text);
        }
        Value::List(items) => items.iter().for_each(|item| collect_strings(item, into)),
        Value::Map(map) => map.values().for_each(|item| collect_strings(item, into)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::aws::{Found, Observed};
    use crate::resources::{Kind, Resource};
    use crate::state::ResourceRecord;

    fn id(text: &str) -> ResourceId {
        ResourceId::parse(text).unwrap()
    }

    fn attrs(pairs: &[(&str, Value)]) -> Attrs {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.clone()))
            .collect()
    }

    fn tags(pairs: &[(&str, &str)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(key, value)| (key.to_string(), Value::str(*value)))
                .collect(),
        )
    }

    /// The desired network slice used by the tests: a VPC and a subnet in it.
    fn desired(cidr: &str, team: &str) -> DesiredSet {
        let mut set = DesiredSet {
            blueprint: "demo".into(),
            resources: BTreeMap::new(),
        };
        set.insert(Resource {
            id: id("vpc.main"),
            attrs: attrs(&[
                ("cidr_block", Value::str(cidr)),
                ("tags", tags(&[("team", team)])),
            ]),
            depends_on: Default::default(),
            managed_elsewhere: Default::default(),
        });
        set.insert(Resource {
            id: id("subnet.private.a"),
            attrs: attrs(&[
                ("vpc_id", id("vpc.main").output("id")),
                ("cidr_block", Value::str("10.0.0.0/24")),
            ]),
            depends_on: Default::default(),
            managed_elsewhere: Default::default(),
        });
        set
    }

    /// State and refresh as after an apply of `desired("10.0.0.0/16", "a")`, with `live_team` as
    /// the VPC's live tag (drift when it differs from the recorded one).
    fn world(live_team: &str) -> (State, Refreshed) {
        let mut state = State::new("demo");
        let mut refreshed = Refreshed::default();
        for (name, cloud, recorded, live) in [
            (
                "vpc.main",
                "vpc-1",
                attrs(&[
                    ("cidr_block", Value::str("10.0.0.0/16")),
                    ("tags", tags(&[("team", "a")])),
                ]),
                attrs(&[
                    ("cidr_block", Value::str("10.0.0.0/16")),
                    ("tags", tags(&[("team", live_team)])),
                ]),
            ),
            (
                "subnet.private.a",
                "subnet-1",
                attrs(&[
                    ("vpc_id", Value::str("vpc-1")),
                    ("cidr_block", Value::str("10.0.0.0/24")),
                ]),
                attrs(&[
                    ("vpc_id", Value::str("vpc-1")),
                    ("cidr_block", Value::str("10.0.0.0/24")),
                ]),
            ),
        ] {
            let outputs = attrs(&[("id", Value::str(cloud))]);
            state.resources.insert(
                id(name),
                ResourceRecord {
                    kind: id(name).kind(),
                    cloud_id: cloud.into(),
                    attrs: recorded,
                    outputs: outputs.clone(),
                    depends_on: Default::default(),
                },
            );
            refreshed.found.insert(
                id(name),
                Found {
                    id: id(name),
                    via: FoundVia::State,
                    observed: Observed {
                        cloud_id: cloud.into(),
                        attrs: live,
                        outputs,
                    },
                },
            );
        }
        (state, refreshed)
    }

    fn plan_for(desired: &DesiredSet, state: &State, refreshed: &Refreshed) -> Plan {
        let graph = ResourceGraph::build(desired).unwrap();
        diff(desired, &graph, state, refreshed, &DiffOptions::default())
    }

    #[test]
    fn nothing_changed_is_a_no_op() {
        let (state, refreshed) = world("a");
        let plan = plan_for(&desired("10.0.0.0/16", "a"), &state, &refreshed);
        assert!(!plan.has_changes(), "{plan:#?}");
    }

    #[test]
    fn a_tag_is_updated_in_place_and_hand_made_changes_are_drift() {
        let (state, refreshed) = world("b");
        let plan = plan_for(&desired("10.0.0.0/16", "a"), &state, &refreshed);
        let vpc = plan.change(&id("vpc.main")).unwrap();
        assert_eq!(vpc.action, Action::Update);
        assert_eq!(vpc.changed, vec!["tags"]);
        assert_eq!(
            vpc.drifted,
            vec!["tags"],
            "the live tag differs from the recorded one"
        );
        assert_eq!(
            plan.change(&id("subnet.private.a")).unwrap().action,
            Action::NoOp
        );
    }

    #[test]
    fn a_cidr_change_replaces_the_vpc_and_what_is_built_on_it() {
        let (state, refreshed) = world("a");
        let plan = plan_for(&desired("10.1.0.0/16", "c"), &state, &refreshed);
        let vpc = plan.change(&id("vpc.main")).unwrap();
        assert_eq!(vpc.action, Action::DeleteThenCreate);
        assert_eq!(vpc.requires_replace, vec!["cidr_block"]);
        let subnet = plan.change(&id("subnet.private.a")).unwrap();
        assert_eq!(subnet.action, Action::DeleteThenCreate);
        assert_eq!(
            subnet.reason,
            Some(ActionReason::ReplaceBecauseDependencyReplaced)
        );
        assert_eq!(subnet.requires_replace, vec!["vpc_id"]);
        insta::assert_snapshot!(crate::ui::render_plan(&plan, crate::ui::Style::plain()));
    }

    #[test]
    fn what_the_blueprint_no_longer_has_is_deleted_and_vanished_records_are_forgotten() {
        let (state, mut refreshed) = world("a");
        refreshed.found.remove(&id("subnet.private.a"));
        let mut only_vpc = desired("10.0.0.0/16", "a");
        only_vpc.resources.remove(&id("subnet.private.a"));
        let plan = plan_for(&only_vpc, &state, &refreshed);
        assert_eq!(plan.gone, vec![id("subnet.private.a")]);
        assert!(plan
            .changes
            .iter()
            .all(|change| change.action == Action::NoOp));

        let (state, refreshed) = world("a");
        let plan = plan_for(&only_vpc, &state, &refreshed);
        let subnet = plan.change(&id("subnet.private.a")).unwrap();
        assert_eq!(subnet.action, Action::Delete);
        assert_eq!(
            subnet.reason,
            Some(ActionReason::DeleteBecauseNoResourceConfig)
        );
        let _ = Kind::Vpc;
    }

    fn plan_with(options: &DiffOptions, desired: &DesiredSet, world: &(State, Refreshed)) -> Plan {
        let graph = ResourceGraph::build(desired).unwrap();
        diff(desired, &graph, &world.0, &world.1, options)
    }

    #[test]
    fn replace_replaces_what_nothing_forces_and_what_is_built_on_it() {
        let options = DiffOptions {
            replace: vec![id("vpc.main")],
            ..DiffOptions::default()
        };
        let plan = plan_with(&options, &desired("10.0.0.0/16", "a"), &world("a"));
        let vpc = plan.change(&id("vpc.main")).unwrap();
        assert_eq!(
            vpc.action,
            Action::DeleteThenCreate,
            "a VPC's replace order"
        );
        assert_eq!(vpc.reason, Some(ActionReason::ReplaceBecauseRequested));
        assert!(vpc.changed.is_empty());
        let subnet = plan.change(&id("subnet.private.a")).unwrap();
        assert_eq!(
            subnet.reason,
            Some(ActionReason::ReplaceBecauseDependencyReplaced)
        );
        insta::assert_snapshot!(crate::ui::render_plan(&plan, crate::ui::Style::plain()));
    }

    /// A node group as found after an apply, named `live_name` in EKS.
    fn node_group_world(live_name: &str) -> (DesiredSet, State, Refreshed) {
        let group = id("eks_node_group.system");
        let mut set = DesiredSet {
            blueprint: "demo".into(),
            resources: BTreeMap::new(),
        };
        let desired_attrs = attrs(&[
            ("name", Value::str("system-1a2b3c4d")),
            ("min_size", Value::Int(1)),
        ]);
        set.insert(Resource {
            id: group.clone(),
            attrs: desired_attrs,
            depends_on: Default::default(),
            managed_elsewhere: Default::default(),
        });
        let live = attrs(&[("name", Value::str(live_name)), ("min_size", Value::Int(1))]);
        let mut state = State::new("demo");
        state.resources.insert(
            group.clone(),
            ResourceRecord {
                kind: Kind::EksNodeGroup,
                cloud_id: live_name.into(),
                attrs: live.clone(),
                outputs: Attrs::new(),
                depends_on: Default::default(),
            },
        );
        let mut refreshed = Refreshed::default();
        refreshed.found.insert(
            group.clone(),
            Found {
                id: group,
                via: FoundVia::State,
                observed: Observed {
                    cloud_id: live_name.into(),
                    attrs: live,
                    outputs: Attrs::new(),
                },
            },
        );
        (set, state, refreshed)
    }

    #[test]
    fn a_replaced_node_group_is_created_first_under_the_next_rotated_name() {
        let options = DiffOptions {
            replace: vec![id("eks_node_group.system")],
            ..DiffOptions::default()
        };
        let (set, state, refreshed) = node_group_world("system-1a2b3c4d");
        let plan = plan_with(&options, &set, &(state, refreshed));
        let group = plan.change(&id("eks_node_group.system")).unwrap();
        assert_eq!(group.action, Action::CreateThenDelete);
        assert_eq!(group.requires_replace, vec!["name"]);
        insta::assert_snapshot!(crate::ui::render_plan(&plan, crate::ui::Style::plain()));

        // Once rolled, the rotated name is the desired one: no change; a second roll takes -r2.
        let (set, state, refreshed) = node_group_world("system-1a2b3c4d-r1");
        let world = (state, refreshed);
        assert!(!plan_with(&DiffOptions::default(), &set, &world).has_changes());
        let again = plan_with(&options, &set, &world);
        let after = again
            .change(&id("eks_node_group.system"))
            .unwrap()
            .after
            .clone();
        assert_eq!(
            after.unwrap().get("name"),
            Some(&Value::str("system-1a2b3c4d-r2"))
        );
    }

    #[test]
    fn exclude_leaves_out_the_resource_and_what_is_built_on_it_and_says_so() {
        let options = DiffOptions {
            exclude: vec![id("vpc.main")],
            ..DiffOptions::default()
        };
        // A new CIDR would replace both; excluded, neither is planned.
        let plan = plan_with(&options, &desired("10.1.0.0/16", "c"), &world("a"));
        assert!(plan.changes.is_empty(), "{plan:#?}");
        assert!(!plan.has_changes());
        insta::assert_snapshot!(crate::ui::render_plan(&plan, crate::ui::Style::plain()));

        // Excluding the subnet alone leaves the VPC planned.
        let options = DiffOptions {
            exclude: vec![id("subnet.private.a")],
            ..DiffOptions::default()
        };
        let plan = plan_with(&options, &desired("10.0.0.0/16", "b"), &world("a"));
        assert_eq!(
            plan.changes
                .iter()
                .map(|change| change.id.as_str())
                .collect::<Vec<_>>(),
            vec!["vpc.main"]
        );
        assert_eq!(
            plan.notes,
            vec!["--exclude: left out subnet.private.a (excluded); nothing depends on it."]
        );
    }

    #[test]
    fn a_moved_resource_is_shown_as_moved_and_counts_as_a_state_change() {
        let (set, state, refreshed) = node_group_world("system-1a2b3c4d");
        let mut plan = plan_with(&DiffOptions::default(), &set, &(state, refreshed));
        assert!(!plan.has_changes());
        plan.moved
            .insert(id("eks_node_group.system"), id("eks_node_group.workers"));
        assert!(plan.has_changes(), "apply renames the record");
        insta::assert_snapshot!(crate::ui::render_plan(&plan, crate::ui::Style::plain()));
        let view: serde_json::Value =
            serde_json::from_str(&crate::ui::render_plan_json(&plan)).unwrap();
        assert_eq!(
            view["changes"][0]["moved_from"],
            serde_json::json!("eks_node_group.workers")
        );
    }
}
