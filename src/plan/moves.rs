//! Renames in state: the blueprint's `[[moved]]` entries and `state mv SRC DST`. A move takes
//! the record of `from` (its cloud id, attributes, outputs) to `to`, and every record that
//! depends on `from` then depends on `to`; nothing in AWS changes. Pure: the plan diffs against
//! the moved state, and apply writes the moves before anything else.

use std::collections::{BTreeMap, BTreeSet};

use crate::resources::moved_with::carried_id;

use crate::resources::ResourceId;
use crate::state::State;

/// One rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: ResourceId,
    pub to: ResourceId,
}

/// Where the moves come from, which decides what a `from` missing from state means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveOrigin {
    /// `[[moved]]`: the entry stays in the blueprint after the move, so a `from` that state
    /// no longer records while it records `to` is a move already made, and a state with no
    /// records at all is a first apply (nothing to move).
    Blueprint,
    /// `state mv`: the move is asked for now, so `from` must be recorded.
    Command,
}

/// Why one move is refused; `index` is the move's position in the list given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveRefusal {
    pub index: usize,
    /// The key of the entry the refusal is about: `from` or `to`.
    pub key: &'static str,
    pub message: String,
    pub help: String,
}

/// The state with the moves made, and the moves made (new id → old id).
#[derive(Debug, Clone)]
pub struct Moved {
    pub state: State,
    pub moved: BTreeMap<ResourceId, ResourceId>,
}

/// Makes `moves` on a copy of `state`, with what each carries (`moved_with`), or says why each
/// refused one is refused: across kinds, from an id state does not record, onto an id state
/// records, from an id the blueprint still defines, or leaving a reference dangling — the moved
/// resource built on a record the blueprint no longer defines, or a resource the blueprint
/// defines built on one it does not (`defined`): the next apply would delete it under them.
pub fn make_moves(
    moves: &[Move],
    state: &State,
    origin: MoveOrigin,
    defined: &dyn Fn(&ResourceId) -> bool,
) -> Result<Moved, Vec<MoveRefusal>> {
    let mut refusals = Vec::new();
    let all = with_carried(moves, state, origin, defined);
    let moved_froms: BTreeSet<&ResourceId> = all.iter().map(|(_, entry)| &entry.from).collect();
    let moved_to = |id: &ResourceId| {
        all.iter()
            .find(|(_, entry)| entry.from == *id)
            .map_or_else(|| id.clone(), |(_, entry)| entry.to.clone())
    };
    let mut made: BTreeMap<ResourceId, ResourceId> = BTreeMap::new();
    for (index, entry) in &all {
        let index = *index;
        let mut refuse = |key: &'static str, message: String, help: String| {
            refusals.push(MoveRefusal {
                index,
                key,
                message,
                help,
            })
        };
        let (from, to) = (&entry.from, &entry.to);
        if from.kind() != to.kind() {
            refuse(
                "to",
                format!(
                    "{from} is a {} and {to} a {}: a move cannot change the kind",
                    from.kind().as_str(),
                    to.kind().as_str()
                ),
                "move it to an id of the same kind".to_string(),
            );
            continue;
        }
        let Some(record) = state.get(from) else {
            let done = state.get(to).is_some() || state.resources.is_empty();
            if origin == MoveOrigin::Blueprint && done {
                continue;
            }
            refuse(
                "from",
                format!("state records no {from}"),
                "name an id `eksforge state list BLUEPRINT` prints".to_string(),
            );
            continue;
        };
        if state.get(to).is_some() {
            refuse(
                "to",
                format!("state already records {to}: moving {from} onto it would lose track of one of them"),
                format!("move {from} to an id state does not record, or `eksforge state rm {to}` first if it is really gone"),
            );
            continue;
        }
        if origin == MoveOrigin::Blueprint && defined(from) {
            refuse(
                "from",
                format!("the blueprint still defines {from}: after the move the next apply would create it again beside {to}"),
                "rename it in the blueprint too, or remove this [[moved]] entry".to_string(),
            );
            continue;
        }
        if origin == MoveOrigin::Blueprint && !defined(to) {
            refuse(
                "to",
                format!("{to} is no resource of this blueprint: after the move the next apply would delete it"),
                format!("set `to` to the id {from} has in the blueprint now (`eksforge graph BLUEPRINT` lists them)"),
            );
            continue;
        }
        if defined(to) {
            for dependency in &record.depends_on {
                if !defined(dependency) && !moved_froms.contains(dependency) {
                    refuse(
                "from",
                        format!("{from} is built on {dependency}, which the blueprint no longer defines: after the move the next apply would delete {dependency} from under {to}"),
                        format!("move {dependency} too: add a [[moved]] entry with from = \"{dependency}\" and its new id as `to`"),
                    );
                }
            }
        } else {
            for (dependant, other) in &state.resources {
                if other.depends_on.contains(from) && defined(&moved_to(dependant)) {
                    refuse(
                "to",
                        format!("{dependant} is built on {from}: after the move it would be built on {to}, which the blueprint does not define, and the next apply would delete {to} from under it"),
                        format!("move {from} to the id the blueprint gives it, or move {dependant} with it"),
                    );
                }
            }
        }
        made.insert(to.clone(), from.clone());
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }
    let mut moved_state = state.clone();
    for (to, from) in &made {
        if let Some(record) = moved_state.resources.remove(from) {
            moved_state.resources.insert(to.clone(), record);
        }
    }
    for record in moved_state.resources.values_mut() {
        record.depends_on = renamed(&record.depends_on, &made);
    }
    Ok(Moved {
        state: moved_state,
        moved: made,
    })
}

/// `moves`, each with its index, followed by what each carries (under the index of the move
/// that carries it): a record of the same blueprint entry (`moved_with::carried_id`), linked
/// to the moved one in state, that the blueprint no longer defines, onto an id state does not
/// record and (for `[[moved]]`) the blueprint defines. One named in `moves` is not carried twice.
fn with_carried(
    moves: &[Move],
    state: &State,
    origin: MoveOrigin,
    defined: &dyn Fn(&ResourceId) -> bool,
) -> Vec<(usize, Move)> {
    let named = |id: &ResourceId| {
        moves
            .iter()
            .any(|entry| entry.from == *id || entry.to == *id)
    };
    let mut all: Vec<(usize, Move)> = moves.iter().cloned().enumerate().collect();
    for (index, entry) in moves.iter().enumerate() {
        let Some(moved) = state.get(&entry.from) else {
            continue;
        };
        for (other, record) in &state.resources {
            let Some(to) = carried_id(&entry.from, &entry.to, other) else {
                continue;
            };
            let linked =
                record.depends_on.contains(&entry.from) || moved.depends_on.contains(other);
            let wanted = origin == MoveOrigin::Command || defined(&to);
            if linked
                && wanted
                && !defined(other)
                && state.get(&to).is_none()
                && !named(other)
                && !named(&to)
            {
                all.push((
                    index,
                    Move {
                        from: other.clone(),
                        to,
                    },
                ));
            }
        }
    }
    all
}

/// `ids` with every moved id (`made`: new → old) under its new id.
pub fn renamed(
    ids: &BTreeSet<ResourceId>,
    made: &BTreeMap<ResourceId, ResourceId>,
) -> BTreeSet<ResourceId> {
    ids.iter()
        .map(|id| {
            made.iter()
                .find(|(_, from)| *from == id)
                .map_or_else(|| id.clone(), |(to, _)| to.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Kind;
    use crate::state::ResourceRecord;

    fn id(text: &str) -> ResourceId {
        ResourceId::parse(text).unwrap()
    }

    fn record(kind: Kind, cloud_id: &str, depends_on: &[&str]) -> ResourceRecord {
        ResourceRecord {
            kind,
            cloud_id: cloud_id.into(),
            attrs: Default::default(),
            outputs: Default::default(),
            depends_on: depends_on.iter().map(|text| id(text)).collect(),
        }
    }

    /// A node group on its launch template, and an add-on after the node group.
    fn state() -> State {
        let mut state = State::new("demo");
        for (text, kind, cloud, deps) in [
            (
                "launch_template.workers",
                Kind::LaunchTemplate,
                "lt-1",
                &[][..],
            ),
            (
                "eks_node_group.workers",
                Kind::EksNodeGroup,
                "workers-1a2b",
                &["launch_template.workers"][..],
            ),
            (
                "eks_addon.coredns",
                Kind::EksAddon,
                "coredns",
                &["eks_node_group.workers"][..],
            ),
        ] {
            state.resources.insert(id(text), record(kind, cloud, deps));
        }
        state
    }

    fn rename(from: &str, to: &str) -> Move {
        Move {
            from: id(from),
            to: id(to),
        }
    }

    /// The blueprint after the rename: `general` instead of `workers`.
    fn defined(id: &ResourceId) -> bool {
        [
            "launch_template.general",
            "eks_node_group.general",
            "eks_addon.coredns",
        ]
        .contains(&id.as_str())
    }

    #[test]
    fn a_move_takes_the_record_what_it_carries_and_the_references_to_them() {
        // One entry: the node group's launch template moves with it.
        let moves = [rename("eks_node_group.workers", "eks_node_group.general")];
        let moved = make_moves(&moves, &state(), MoveOrigin::Blueprint, &defined).unwrap();
        let ids: Vec<&str> = moved
            .state
            .resources
            .keys()
            .map(ResourceId::as_str)
            .collect();
        assert_eq!(
            ids,
            [
                "eks_addon.coredns",
                "eks_node_group.general",
                "launch_template.general"
            ]
        );
        let group = &moved.state.resources[&id("eks_node_group.general")];
        assert_eq!(group.cloud_id, "workers-1a2b");
        assert_eq!(
            group.depends_on,
            [id("launch_template.general")].into_iter().collect()
        );
        assert_eq!(
            moved.state.resources[&id("eks_addon.coredns")].depends_on,
            [id("eks_node_group.general")].into_iter().collect()
        );
        assert_eq!(
            moved.moved,
            BTreeMap::from([
                (id("eks_node_group.general"), id("eks_node_group.workers")),
                (id("launch_template.general"), id("launch_template.workers")),
            ])
        );
        // Naming the launch template too moves the same.
        let both = [
            rename("eks_node_group.workers", "eks_node_group.general"),
            rename("launch_template.workers", "launch_template.general"),
        ];
        let named = make_moves(&both, &state(), MoveOrigin::Blueprint, &defined).unwrap();
        assert_eq!(named.moved, moved.moved);

        // The entries stay in the blueprint: on the moved state they are moves already made.
        let again = make_moves(&moves, &moved.state, MoveOrigin::Blueprint, &defined).unwrap();
        assert!(again.moved.is_empty());
        // `state mv` of a moved id is refused: it asks for a move now.
        let refused = make_moves(&moves, &moved.state, MoveOrigin::Command, &defined);
        assert_eq!(
            refused.unwrap_err()[0].message,
            "state records no eks_node_group.workers"
        );
    }

    #[test]
    fn a_move_that_leaves_a_reference_dangling_is_refused() {
        // The node group is built on a role the blueprint no longer defines.
        let mut built_on_a_gone_role = state();
        built_on_a_gone_role
            .resources
            .get_mut(&id("eks_node_group.workers"))
            .unwrap()
            .depends_on
            .insert(id("iam_role.old_nodes"));
        let moves = [rename("eks_node_group.workers", "eks_node_group.general")];
        let refusals = make_moves(
            &moves,
            &built_on_a_gone_role,
            MoveOrigin::Blueprint,
            &defined,
        )
        .unwrap_err();
        assert_eq!(
            refusals[0].message,
            "eks_node_group.workers is built on iam_role.old_nodes, which the blueprint no longer defines: after the move the next apply would delete iam_role.old_nodes from under eks_node_group.general"
        );
        // `state mv` of what a defined resource is built on, to an id the blueprint does not define.
        let still_workers = |id: &ResourceId| {
            [
                "launch_template.workers",
                "eks_node_group.workers",
                "eks_addon.coredns",
            ]
            .contains(&id.as_str())
        };
        let refusals = make_moves(
            &[rename("launch_template.workers", "launch_template.spare")],
            &state(),
            MoveOrigin::Command,
            &still_workers,
        )
        .unwrap_err();
        assert_eq!(
            refusals[0].message,
            "eks_node_group.workers is built on launch_template.workers: after the move it would be built on launch_template.spare, which the blueprint does not define, and the next apply would delete launch_template.spare from under it"
        );
    }

    #[test]
    fn across_kinds_onto_a_recorded_id_from_nothing_and_from_a_defined_id_are_refused() {
        let mut with_workers2 = state();
        with_workers2.resources.insert(
            id("eks_node_group.workers2"),
            record(Kind::EksNodeGroup, "w2", &[]),
        );
        let refusals = make_moves(
            &[
                rename("eks_node_group.workers", "eks_addon.coredns"),
                rename("eks_node_group.workers", "eks_node_group.workers2"),
                rename("launch_template.workers", "launch_template.workers"),
                rename("eks_node_group.spare", "eks_node_group.general"),
            ],
            &with_workers2,
            MoveOrigin::Command,
            &|_| true,
        )
        .unwrap_err();
        let messages: Vec<(usize, &str)> = refusals
            .iter()
            .map(|refusal| (refusal.index, refusal.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (0, "eks_node_group.workers is a eks_node_group and eks_addon.coredns a eks_addon: a move cannot change the kind"),
                (1, "state already records eks_node_group.workers2: moving eks_node_group.workers onto it would lose track of one of them"),
                (2, "state already records launch_template.workers: moving launch_template.workers onto it would lose track of one of them"),
                (3, "state records no eks_node_group.spare"),
            ]
        );
        // A `[[moved]]` entry whose `from` the blueprint still defines.
        let both = |id: &ResourceId| defined(id) || id.as_str() == "eks_node_group.workers";
        let moves = [rename("eks_node_group.workers", "eks_node_group.general")];
        let refusals = make_moves(&moves, &state(), MoveOrigin::Blueprint, &both).unwrap_err();
        assert_eq!(
            refusals[0].message,
            "the blueprint still defines eks_node_group.workers: after the move the next apply would create it again beside eks_node_group.general"
        );
        // A first apply has nothing to move.
        let empty = State::new("demo");
        assert!(make_moves(&moves, &empty, MoveOrigin::Blueprint, &defined)
            .unwrap()
            .moved
            .is_empty());
    }
}
