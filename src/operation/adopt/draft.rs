//! The blueprint `adopt` writes, as it is built: a TOML tree keyed as the blueprint is, what
//! is already known of each resource's cloud id, and what the report will say.

use std::collections::BTreeMap;

use toml::{Table, Value as Toml};

use crate::resources::{Attrs, ResourceId, Value};

/// Blueprint sections in the order the blueprint reads best (the rest follow, sorted).
const SECTION_ORDER: [&str; 10] = [
    "blueprint",
    "state",
    "network",
    "cluster",
    "encryption",
    "node_groups",
    "access",
    "irsa",
    "addons",
    "adopted",
];

/// A resource `adopt` has found, before the refresh reads it: its cloud id and the outputs
/// other resources refer to (`id`, `name`, `arn`).
#[derive(Debug, Clone)]
pub(super) struct Known {
    pub cloud_id: String,
    pub outputs: Attrs,
}

impl Known {
    /// An EC2 resource: its one output is its id.
    pub fn ec2(id: &str) -> Known {
        Known {
            cloud_id: id.to_string(),
            outputs: [("id".to_string(), Value::str(id))].into(),
        }
    }

    /// A resource found by name that others refer to by name and ARN (a role, a log group).
    pub fn named(name: &str, arn: Option<&str>) -> Known {
        let mut outputs: Attrs = [
            ("name".to_string(), Value::str(name)),
            ("id".to_string(), Value::str(name)),
        ]
        .into();
        if let Some(arn) = arn {
            outputs.insert("arn".to_string(), Value::str(arn));
        }
        Known {
            cloud_id: name.to_string(),
            outputs,
        }
    }
}

/// What the report beside the blueprint says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdoptReport {
    /// What exists but the blueprint cannot express: left untouched, not in state.
    pub left_alone: Vec<String>,
    /// What the blueprint expresses but could not match exactly: the first plan changes it.
    pub differs: Vec<String>,
    /// What the team must do by hand (the aws-auth ConfigMap, the old tool's state).
    pub to_do: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Draft {
    pub root: Table,
    pub known: BTreeMap<ResourceId, Known>,
    pub report: AdoptReport,
    /// The region's GuardDuty detector belongs to another blueprint: `[detection]` is not
    /// written, not even by `--harden`.
    pub detector_elsewhere: bool,
    /// `[[node_groups]]` entries `--harden` adds: a Bottlerocket group beside each group left
    /// alone for running another OS, of its instance types and sizes.
    pub successors: Vec<Table>,
}

impl Draft {
    /// The section `name`, made when first asked for.
    pub fn section(&mut self, name: &str) -> &mut Table {
        table_in(&mut self.root, name)
    }

    /// A known resource's output: what a reference to it resolves to before the refresh.
    pub fn output(&self, reference: &crate::resources::Ref) -> Option<Value> {
        self.known
            .get(&reference.resource)?
            .outputs
            .get(&reference.output)
            .cloned()
    }

    pub fn know(&mut self, id: &str, known: Known) {
        if let Some(id) = ResourceId::parse(id) {
            self.known.insert(id, known);
        }
    }

    /// The blueprint as TOML text, sections in reading order, with a header saying where it
    /// came from.
    pub fn render(&self, header: &str) -> Result<String, toml::ser::Error> {
        let mut text = String::new();
        for line in header.lines() {
            text.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
        }
        let mut names: Vec<&String> = self.root.keys().collect();
        names.sort_by_key(|name| {
            SECTION_ORDER
                .iter()
                .position(|known| known == name)
                .unwrap_or(SECTION_ORDER.len())
        });
        for name in names {
            let mut one = Table::new();
            one.insert(name.clone(), self.root[name.as_str()].clone());
            text.push('\n');
            text.push_str(&toml::to_string(&one)?);
        }
        Ok(text)
    }
}

/// The table under `key` in `table`, made when absent (or when `key` held something else).
pub(super) fn table_in<'a>(table: &'a mut Table, key: &str) -> &'a mut Table {
    if !matches!(table.get(key), Some(Toml::Table(_))) {
        table.insert(key.to_string(), Toml::Table(Table::new()));
    }
    match table.get_mut(key) {
        Some(Toml::Table(inner)) => inner,
        _ => unreachable!("just made a table under {key}"),
    }
}

/// A list of strings as TOML.
pub(super) fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Toml {
    Toml::Array(items.into_iter().cloned().map(Toml::String).collect())
}

/// An eksforge attribute value as TOML (references never reach here: values are observed).
pub(super) fn toml_of(value: &Value) -> Option<Toml> {
    Some(match value {
        Value::Bool(flag) => Toml::Boolean(*flag),
        Value::Int(number) => Toml::Integer(*number),
        Value::Str(text) => Toml::String(text.clone()),
        Value::List(items) => Toml::Array(items.iter().map(toml_of).collect::<Option<_>>()?),
        Value::Map(map) => Toml::Table(
            map.iter()
                .map(|(key, value)| Some((key.clone(), toml_of(value)?)))
                .collect::<Option<_>>()?,
        ),
        Value::Ref(_) | Value::Join(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_come_in_reading_order_and_strings_are_quoted() {
        let mut draft = Draft::default();
        draft
            .section("network")
            .insert("vpc_cidr".into(), Toml::String("10.0.0.0/16".into()));
        draft
            .section("blueprint")
            .insert("name".into(), Toml::String("a \"b\"".into()));
        table_in(draft.section("adopted"), "iam_role.cluster")
            .insert("name".into(), Toml::String("r".into()));
        let text = draft.render("made by adopt").expect("renders");
        let blueprint = text.find("[blueprint]").expect("blueprint");
        let network = text.find("[network]").expect("network");
        assert!(text.starts_with("# made by adopt\n"));
        assert!(blueprint < network, "{text}");
        assert!(text.contains(r#"name = 'a "b"'"#) || text.contains(r#"name = "a \"b\"""#));
        assert!(text.contains(r#"[adopted."iam_role.cluster"]"#), "{text}");
        let parsed: Table = toml::from_str(&text).expect("parses back");
        assert_eq!(
            parsed["adopted"]["iam_role.cluster"]["name"].as_str(),
            Some("r")
        );
    }
}
