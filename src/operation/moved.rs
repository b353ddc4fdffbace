//! Renames in state, checked before any call: the blueprint's `[[moved]]` entries (made on the
//! state a normal plan diffs against; apply writes them first) and `state mv SRC DST` (written
//! at once, under the lock the command holds). The rules are `plan::moves`'; this file parses
//! the ids and places each refusal at its `[[moved]]` entry (file:line:column).

use crate::blueprint::LoadedBlueprint;
use crate::graph::ResourceGraph;
use crate::plan::moves::{make_moves, Move, MoveOrigin, MoveRefusal, Moved};
use crate::resources::ResourceId;
use crate::state::State;

use super::placement::{desired, offline_placement, placement_from};
use super::OperationError;

/// The blueprint's moves made on `state`, or `None` when it has none. `zones_unsure`: as for
/// `guard::parse_controls`, the region when `graph` was placed without reading its zones.
pub fn blueprint_moves(
    loaded: &LoadedBlueprint,
    state: &State,
    graph: &ResourceGraph,
    zones_unsure: Option<&str>,
) -> Result<Option<Moved>, OperationError> {
    let entries = &loaded.model.moved;
    if entries.is_empty() {
        return Ok(None);
    }
    let at = |index: usize, key: &str| {
        let path = format!("moved[{index}].{key}");
        match loaded.locate(&path) {
            Some(at) => format!("{}:{}:{} {path}", at.file.display(), at.line, at.column),
            None => format!("{} {path}", loaded.path().display()),
        }
    };
    let mut unknown = Vec::new();
    let mut moves = Vec::new();
    let mut positions = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        match (ResourceId::parse(&entry.from), ResourceId::parse(&entry.to)) {
            (Some(from), Some(to)) => {
                moves.push(Move { from, to });
                positions.push(index);
            }
            (from, _) => {
                let key = if from.is_none() { "from" } else { "to" };
                unknown.push(format!(
                    "{}: no resource kind of eksforge is named so\n    help: write an id as `eksforge state list BLUEPRINT` prints it",
                    at(index, key)
                ));
            }
        }
    }
    if !unknown.is_empty() {
        return Err(OperationError::Moves { refused: unknown });
    }
    let defined = |id: &ResourceId| {
        graph.contains(id) || zones_unsure.is_some_and(|region| id.as_str().contains(region))
    };
    make_moves(&moves, state, MoveOrigin::Blueprint, &defined)
        .map(Some)
        .map_err(|refusals| OperationError::Moves {
            refused: lines(&refusals, |refusal| {
                at(positions[refusal.index], refusal.key)
            }),
        })
}

/// `state mv FROM TO` made on `state`: `graph` is the blueprint's (so a move that would leave
/// a dangling reference is refused as in the blueprint).
pub fn state_move(
    from: &str,
    to: &str,
    state: &State,
    graph: &ResourceGraph,
) -> Result<Moved, OperationError> {
    let parse = |text: &str| {
        ResourceId::parse(text).ok_or_else(|| OperationError::Moves {
            refused: vec![format!(
                "state mv: `{text}` is not a resource id\n    help: write an id as `eksforge state list BLUEPRINT` prints it"
            )],
        })
    };
    let entry = Move {
        from: parse(from)?,
        to: parse(to)?,
    };
    let defined = |id: &ResourceId| graph.contains(id);
    make_moves(&[entry], state, MoveOrigin::Command, &defined).map_err(|refusals| {
        OperationError::Moves {
            refused: lines(&refusals, |_| "state mv".to_string()),
        }
    })
}

/// [`state_move`] against the blueprint placed without a call: where state last saw the
/// region, else offline.
pub fn state_move_offline(
    loaded: &LoadedBlueprint,
    state: &State,
    from: &str,
    to: &str,
) -> Result<Moved, OperationError> {
    let recorded = state
        .region_facts
        .as_ref()
        .and_then(|facts| placement_from(facts, loaded).ok());
    let placement = recorded.unwrap_or_else(|| offline_placement(loaded, None));
    let (_, graph) = desired(loaded, &placement)?;
    state_move(from, to, state, &graph)
}

fn lines(refusals: &[MoveRefusal], at: impl Fn(&MoveRefusal) -> String) -> Vec<String> {
    refusals
        .iter()
        .map(|refusal| {
            format!(
                "{}: {}\n    help: {}",
                at(refusal),
                refusal.message,
                refusal.help
            )
        })
        .collect()
}
