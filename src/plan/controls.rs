//! The controls a user adds to a normal plan: `--replace ID` (a replacement nothing forces, in
//! the kind's own replace order) and `--exclude ID` (the inverse of `--target`: the resource and
//! everything built on it are left out). Pure, like the diff that calls them.

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::ResourceGraph;
use crate::resources::{Attrs, Kind, ResourceId, Value};
use crate::state::State;

use super::model::{Action, Plan};

/// The attribute whose value names a create-before-destroy resource in AWS.
const NAME: &str = "name";

/// The replace action of `kind`: the order its forced replacements already take.
pub(super) fn replace_action(kind: Kind) -> Action {
    if crate::aws::provider(kind).create_before_destroy() {
        Action::CreateThenDelete
    } else {
        Action::DeleteThenCreate
    }
}

/// The rotation `live` carries over `desired`: 0 when they are equal, N for `<desired>-rN`, and
/// `None` when `live` is another name altogether.
fn rotation(live: &str, desired: &str) -> Option<u64> {
    if live == desired {
        return Some(0);
    }
    let digits = live.strip_prefix(desired)?.strip_prefix("-r")?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether the live name of a create-before-destroy resource is its desired name plus a
/// rotation suffix: the name a replacement nothing forced gave it ([`rotate_name`]), which the
/// diff takes as unchanged.
pub(super) fn is_rotation_of(kind: Kind, attribute: &str, live: &Value, desired: &Value) -> bool {
    if attribute != NAME || !crate::aws::provider(kind).create_before_destroy() {
        return false;
    }
    match (live, desired) {
        (Value::Str(live), Value::Str(desired)) => rotation(live, desired).is_some(),
        _ => false,
    }
}

/// A create-before-destroy successor needs a name of its own while the original exists. When
/// nothing in the name changes (`--replace`, or a dependency replaced), the successor takes the
/// desired name with the next rotation suffix (`workers-1a2b3c4d-r1`, then `-r2`); `changed`
/// and `requires_replace` then name it.
pub(super) fn rotate_name(
    after: &mut Attrs,
    before: &Attrs,
    changed: &mut Vec<String>,
    requires_replace: &mut Vec<String>,
) {
    let (Some(Value::Str(desired)), Some(Value::Str(live))) = (after.get(NAME), before.get(NAME))
    else {
        return;
    };
    let Some(current) = rotation(live, desired) else {
        return;
    };
    let next = format!("{desired}-r{}", current.saturating_add(1));
    after.insert(NAME.to_string(), Value::Str(next));
    for list in [changed, requires_replace] {
        if !list.iter().any(|name| name == NAME) {
            list.push(NAME.to_string());
            list.sort();
        }
    }
}

/// Leaves `excluded` out of `plan`, with everything built on them (dependants in the blueprint's
/// graph, and recorded or found resources that depend on them), and says so in a note per
/// excluded id.
pub(super) fn exclude(
    plan: &mut Plan,
    graph: &ResourceGraph,
    state: &State,
    excluded: &[ResourceId],
) {
    // Who depends on what, beyond the blueprint: what state recorded and what the refresh found.
    let mut recorded_dependants: BTreeMap<&ResourceId, BTreeSet<&ResourceId>> = BTreeMap::new();
    for (id, record) in &state.resources {
        for dependency in &record.depends_on {
            recorded_dependants
                .entry(dependency)
                .or_default()
                .insert(id);
        }
    }
    for change in &plan.changes {
        for dependency in &change.existing_depends_on {
            recorded_dependants
                .entry(dependency)
                .or_default()
                .insert(&change.id);
        }
    }
    let mut left_out: BTreeSet<ResourceId> = BTreeSet::new();
    let mut notes = Vec::new();
    for root in excluded {
        if left_out.contains(root) {
            continue;
        }
        let mut dependants = BTreeSet::new();
        let mut stack = vec![root.clone()];
        while let Some(id) = stack.pop() {
            if !left_out.insert(id.clone()) {
                continue;
            }
            if &id != root {
                dependants.insert(id.clone());
            }
            let recorded = recorded_dependants.get(&id).into_iter().flatten();
            stack.extend(graph.dependants_of(&id));
            stack.extend(recorded.map(|&dependant| dependant.clone()));
        }
        notes.push(exclusion_note(root, &dependants));
    }
    plan.changes.retain(|change| !left_out.contains(&change.id));
    plan.gone.retain(|id| !left_out.contains(id));
    plan.notes.extend(notes);
}

fn exclusion_note(root: &ResourceId, dependants: &BTreeSet<ResourceId>) -> String {
    if dependants.is_empty() {
        return format!("--exclude: left out {root} (excluded); nothing depends on it.");
    }
    let names: Vec<String> = dependants.iter().map(ToString::to_string).collect();
    format!(
        "--exclude: left out {root} (excluded) and, because they depend on it, {}.",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_is_the_desired_name_with_a_numbered_suffix() {
        assert_eq!(rotation("workers-1a2b", "workers-1a2b"), Some(0));
        assert_eq!(rotation("workers-1a2b-r1", "workers-1a2b"), Some(1));
        assert_eq!(rotation("workers-1a2b-r12", "workers-1a2b"), Some(12));
        assert_eq!(rotation("workers-1a2b-r", "workers-1a2b"), None);
        assert_eq!(rotation("workers-1a2b-rx", "workers-1a2b"), None);
        assert_eq!(rotation("workers-9f9f", "workers-1a2b"), None);
        assert_eq!(rotation("workers-1a2b-r1-r2", "workers-1a2b"), None);
    }

    #[test]
    fn only_the_name_of_a_create_before_destroy_kind_rotates() {
        let (live, desired) = (Value::str("g-1a2b-r3"), Value::str("g-1a2b"));
        assert!(is_rotation_of(Kind::EksNodeGroup, "name", &live, &desired));
        assert!(!is_rotation_of(
            Kind::EksNodeGroup,
            "capacity_type",
            &live,
            &desired
        ));
        assert!(!is_rotation_of(
            Kind::LaunchTemplate,
            "name",
            &live,
            &desired
        ));
    }

    #[test]
    fn rotating_a_name_takes_the_next_suffix_and_marks_it_as_forcing() {
        let mut after = Attrs::from([("name".to_string(), Value::str("g-1a2b"))]);
        let before = Attrs::from([("name".to_string(), Value::str("g-1a2b-r1"))]);
        let (mut changed, mut forces) = (Vec::new(), Vec::new());
        rotate_name(&mut after, &before, &mut changed, &mut forces);
        assert_eq!(after.get("name"), Some(&Value::str("g-1a2b-r2")));
        assert_eq!(
            (changed, forces),
            (vec!["name".to_string()], vec!["name".to_string()])
        );

        // A name that changes anyway (an attribute in it changed) is left as it is.
        let mut after = Attrs::from([("name".to_string(), Value::str("g-9f9f"))]);
        let (mut changed, mut forces) = (vec!["name".to_string()], vec!["name".to_string()]);
        rotate_name(&mut after, &before, &mut changed, &mut forces);
        assert_eq!(after.get("name"), Some(&Value::str("g-9f9f")));
        assert_eq!(changed, vec!["name".to_string()]);
    }
}
