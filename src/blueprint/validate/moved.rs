//! `[[moved]]`: renames whose state moves from one id to another. What the blueprint alone
//! decides is checked here (the shape of both ids, one kind, no duplicate or chained entry);
//! what needs the state (`from` recorded, `to` free, no reference left dangling) is checked
//! by the plan before any call.

use std::collections::BTreeMap;

use super::Checker;
use crate::blueprint::model::Blueprint;

const CODE: &str = "eksforge::blueprint::moved";

/// The kind of `id` when it is shaped `<kind>.<name>` (a lowercase kind, a name).
pub(super) fn kind_of(id: &str) -> Option<&str> {
    let (kind, name) = id.split_once('.')?;
    let kind_ok = !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    (kind_ok && !name.is_empty()).then_some(kind)
}

impl Checker<'_> {
    pub(super) fn moved(&mut self, model: &Blueprint) {
        let mut froms: BTreeMap<&str, usize> = BTreeMap::new();
        let mut tos: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, entry) in model.moved.iter().enumerate() {
            let at = |key: &str| format!("moved[{i}].{key}");
            let mut shaped = true;
            for (key, id) in [("from", &entry.from), ("to", &entry.to)] {
                if kind_of(id).is_none() {
                    shaped = false;
                    self.report(
                        CODE,
                        &at(key),
                        format!("moved {key} = \"{id}\" is not a resource id"),
                        "not <kind>.<name>",
                        "write the id as `eksforge state list BLUEPRINT` prints it, e.g. \"eks_node_group.workers\"".to_string(),
                    );
                }
            }
            if !shaped {
                continue;
            }
            let (from_kind, to_kind) = (kind_of(&entry.from), kind_of(&entry.to));
            if from_kind != to_kind {
                self.report_pair(
                    CODE,
                    (&at("to"), "another kind"),
                    (&at("from"), "moved from here"),
                    format!(
                        "moved from \"{}\" to \"{}\" changes the kind: a {} cannot become a {}",
                        entry.from,
                        entry.to,
                        from_kind.unwrap_or_default(),
                        to_kind.unwrap_or_default()
                    ),
                    format!(
                        "a move renames a resource within its kind; to delete {} and create {} instead, remove this [[moved]] entry",
                        entry.from, entry.to
                    ),
                );
                continue;
            }
            if entry.from == entry.to {
                self.report(
                    CODE,
                    &at("to"),
                    format!("moved from and to are both \"{}\"", entry.from),
                    "the same id",
                    "remove this [[moved]] entry: it moves nothing".to_string(),
                );
                continue;
            }
            for (key, id, seen) in [
                ("from", &entry.from, &mut froms),
                ("to", &entry.to, &mut tos),
            ] {
                if let Some(first) = seen.insert(id, i) {
                    self.report_pair(
                        CODE,
                        (&at(key), "again"),
                        (&format!("moved[{first}].{key}"), "first here"),
                        format!("two [[moved]] entries have {key} = \"{id}\""),
                        "keep one entry per resource".to_string(),
                    );
                }
            }
        }
        for (i, entry) in model.moved.iter().enumerate() {
            if let Some(&next) = froms.get(entry.to.as_str()) {
                self.report_pair(
                    CODE,
                    (&format!("moved[{next}].from"), "moved on again"),
                    (&format!("moved[{i}].to"), "moved here first"),
                    format!(
                        "\"{}\" is moved to and moved from: moves do not chain",
                        entry.to
                    ),
                    format!(
                        "move \"{}\" straight to \"{}\" in one entry",
                        entry.from, model.moved[next].to
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    const BASE: &str = "[blueprint]\nname = \"moves\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n";

    fn problems(extra: &str) -> Vec<(String, Option<usize>)> {
        super::super::problems_and_lines("moves.toml", &format!("{BASE}{extra}"))
    }

    #[test]
    fn a_rename_within_a_kind_loads() {
        let text =
            "[[moved]]\nfrom = \"eks_node_group.workers\"\nto = \"eks_node_group.general\"\n";
        assert!(problems(text).is_empty());
    }

    #[test]
    fn a_move_across_kinds_is_refused_at_its_line() {
        let text =
            "[[moved]]\nfrom = \"eks_node_group.workers\"\nto = \"launch_template.workers\"\n";
        assert_eq!(
            problems(text),
            [(
                "moved from \"eks_node_group.workers\" to \"launch_template.workers\" changes the kind: a eks_node_group cannot become a launch_template".to_string(),
                Some(7)
            )]
        );
    }

    #[test]
    fn ids_duplicates_and_chains_are_refused() {
        let found = problems(
            "[[moved]]\nfrom = \"workers\"\nto = \"eks_node_group.a\"\n[[moved]]\nfrom = \"eks_node_group.b\"\nto = \"eks_node_group.c\"\n[[moved]]\nfrom = \"eks_node_group.c\"\nto = \"eks_node_group.d\"\n[[moved]]\nfrom = \"eks_node_group.b\"\nto = \"eks_node_group.e\"\n",
        );
        let messages: Vec<&str> = found.iter().map(|(message, _)| message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "moved from = \"workers\" is not a resource id",
                "two [[moved]] entries have from = \"eks_node_group.b\"",
                "\"eks_node_group.c\" is moved to and moved from: moves do not chain",
            ],
            "{found:?}"
        );
    }
}
