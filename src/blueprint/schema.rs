//! The JSON Schema of blueprints, for editors (taplo / Even Better TOML, tombi) through a
//! `#:schema` header comment: what `eksforge schema` prints and `eksforge init` writes beside a
//! new blueprint. No AWS call, no file read.
//!
//! The schema is derived (schemars) from the types that parse blueprints,
//! `blueprint::model`, so it cannot describe keys the loader does not take: serde's
//! `deny_unknown_fields` is `additionalProperties: false`, `#[serde(default)]` values are
//! `default`s, doc comments are descriptions. Three adjustments follow, for TOML:
//!
//! - TOML has no null: `Option<T>` is "T or absent", so `null` types and defaults are dropped.
//! - A blueprint with `[blueprint] extends` may leave out what its parent sets (tables merge
//!   key by key), so required keys of tables apply only to a blueprint without `extends`
//!   (an `if`/`else` at the root). Entries of arrays (`[[node_groups]]`, …) are replaced whole by
//!   `extends`, so their required keys always apply.
//! - Keys are sorted, so the text does not depend on serde_json's `preserve_order` feature.
//!
//! Draft 7: what taplo and VS Code's JSON tooling read. `docs/blueprint.schema.json` is this
//! output, committed; `tests/outputs.rs` fails when the two differ.

use std::collections::BTreeSet;

use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

use super::model::Blueprint;

/// The schema as committed: pretty JSON with a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema())
        .expect("a JSON value of string keys always serialises");
    text.push('\n');
    text
}

/// The blueprint schema (JSON Schema draft 7).
pub fn schema() -> Value {
    let root = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Blueprint>();
    let mut schema = Value::from(root);
    without_null(&mut schema);
    required_unless_extends(&mut schema);
    sorted(schema)
}

/// Drops `null` from types, `anyOf` alternatives and defaults: TOML has no null value, an
/// optional key is simply left out.
fn without_null(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.get("default") == Some(&Value::Null) {
                object.remove("default");
            }
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|kind| kind != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    object.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(choices)) = object.get_mut("anyOf") {
                choices.retain(|choice| choice != &json!({"type": "null"}));
                if choices.len() == 1 {
                    let only = choices.remove(0);
                    object.remove("anyOf");
                    // In draft 7 keywords beside `$ref` are ignored: keep a lone reference
                    // wrapped, as schemars does for described references.
                    match only {
                        Value::Object(reference) if reference.contains_key("$ref") => {
                            object.insert(
                                "allOf".into(),
                                Value::Array(vec![Value::Object(reference)]),
                            );
                        }
                        Value::Object(inner) => {
                            for (key, value) in inner {
                                object.entry(key).or_insert(value);
                            }
                        }
                        other => {
                            object.insert("allOf".into(), Value::Array(vec![other]));
                        }
                    }
                }
            }
            object.values_mut().for_each(without_null);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

/// Moves the `required` lists of the root and of every table reached through tables (not
/// arrays) into an `else` that applies only when `blueprint.extends` is absent.
fn required_unless_extends(root: &mut Value) {
    let Some(object) = root.as_object_mut() else {
        return;
    };
    let mut definitions = match object.remove("definitions") {
        Some(Value::Object(definitions)) => definitions,
        _ => Map::new(),
    };
    let mut visiting = BTreeSet::new();
    let required = take_required(object, &mut definitions, &mut visiting);
    object.insert("definitions".into(), Value::Object(definitions));
    if required.is_empty() {
        return;
    }
    object.insert(
        "if".into(),
        json!({"required": ["blueprint"], "properties": {"blueprint": {"required": ["extends"]}}}),
    );
    object.insert("else".into(), Value::Object(required));
    let note = "A blueprint with `[blueprint] extends` may leave out keys its parent sets; \
                required keys of tables apply to a blueprint without `extends`.";
    let description = match object.get("description").and_then(Value::as_str) {
        Some(description) => format!("{description}\n\n{note}"),
        None => note.to_string(),
    };
    object.insert("description".into(), Value::String(description));
}

/// Removes `required` from `table` and from the tables its properties refer to, returning
/// them as a schema of the same shape (`{"required": […], "properties": {key: {…}}}`).
fn take_required(
    table: &mut Map<String, Value>,
    definitions: &mut Map<String, Value>,
    visiting: &mut BTreeSet<String>,
) -> Map<String, Value> {
    let mut required = Map::new();
    if let Some(list) = table.remove("required") {
        required.insert("required".into(), list);
    }
    let mut nested = Map::new();
    if let Some(Value::Object(properties)) = table.get("properties") {
        for (key, property) in properties {
            let Some(name) = table_reference(property, definitions) else {
                continue;
            };
            if !visiting.insert(name.clone()) {
                continue;
            }
            if let Some(Value::Object(mut definition)) = definitions.remove(&name) {
                let inner = take_required(&mut definition, definitions, visiting);
                definitions.insert(name.clone(), Value::Object(definition));
                if !inner.is_empty() {
                    nested.insert(key.clone(), Value::Object(inner));
                }
            }
            visiting.remove(&name);
        }
    }
    if !nested.is_empty() {
        required.insert("properties".into(), Value::Object(nested));
    }
    required
}

/// The definition a property refers to (`$ref`, or `allOf: [{$ref}]`) when that definition
/// is a table (an object with properties).
fn table_reference(property: &Value, definitions: &Map<String, Value>) -> Option<String> {
    let reference = property
        .get("$ref")
        .or_else(|| match property.get("allOf") {
            Some(Value::Array(all)) if all.len() == 1 => all[0].get("$ref"),
            _ => None,
        })?;
    let name = reference.as_str()?.strip_prefix("#/definitions/")?;
    definitions
        .get(name)?
        .get("properties")
        .is_some()
        .then(|| name.to_string())
}

/// `value` with every object's keys in sorted order.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(String, Value)> = object.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, sorted(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    //! The schema must agree with the loader: every value it allows loads, every value it
    //! refuses is refused, and every default it states is the one the loader fills in.

    use super::*;
    use crate::blueprint::load_str;

    const BASE: &str = include_str!("../../blueprints/hardened.toml");

    fn validator() -> jsonschema::Validator {
        jsonschema::draft7::new(&schema())
            .unwrap_or_else(|error| panic!("the schema compiles: {error}"))
    }

    /// The reference blueprint plus a taint and a waiver, so every table kind is present.
    fn base() -> toml::Table {
        let mut table: toml::Table = BASE
            .parse()
            .unwrap_or_else(|error| panic!("hardened.toml parses: {error}"));
        let extra: toml::Table = r#"
            [[waivers]]
            check = "EKS-NET-002"
            reason = "a test"
            [[node_groups]]
            name = "tainted"
            instance_types = ["m6i.large"]
            min_size = 0
            max_size = 1
            desired_size = 0
            taints = [{ key = "dedicated", value = "gpu", effect = "NoSchedule" }]
        "#
        .parse()
        .unwrap_or_else(|error| panic!("extra parses: {error}"));
        for (key, value) in extra {
            match (table.get_mut(&key), value) {
                (Some(toml::Value::Array(items)), toml::Value::Array(more)) => items.extend(more),
                (_, value) => {
                    table.insert(key, value);
                }
            }
        }
        table
    }

    fn to_json(value: &toml::Value) -> Value {
        match value {
            toml::Value::String(text) => Value::String(text.clone()),
            toml::Value::Integer(number) => json!(number),
            toml::Value::Float(number) => json!(number),
            toml::Value::Boolean(flag) => Value::Bool(*flag),
            toml::Value::Datetime(date) => Value::String(date.to_string()),
            toml::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
            toml::Value::Table(table) => Value::Object(
                table
                    .iter()
                    .map(|(key, value)| (key.clone(), to_json(value)))
                    .collect(),
            ),
        }
    }

    /// (schema accepts, loader accepts) for `table`.
    fn verdicts(validator: &jsonschema::Validator, table: &toml::Table) -> (bool, bool) {
        let text = toml::to_string(table).unwrap_or_else(|error| panic!("serialise: {error}"));
        let schema_ok = validator.is_valid(&to_json(&toml::Value::Table(table.clone())));
        (schema_ok, load_str("t.toml", &text, &[]).is_ok())
    }

    /// `table` with the value at `path` (keys, and indexes into arrays) replaced.
    fn with(table: &toml::Table, path: &[&str], value: toml::Value) -> toml::Table {
        let mut table = table.clone();
        edit(&mut table, path, Some(value));
        table
    }

    /// Sets (or, with `None`, removes) the value at `path`.
    fn edit(node: &mut toml::Table, path: &[&str], value: Option<toml::Value>) {
        let Some((first, rest)) = path.split_first() else {
            panic!("an empty path")
        };
        if rest.is_empty() {
            match value {
                Some(value) => node.insert(first.to_string(), value),
                None => node.remove(*first),
            };
            return;
        }
        match node.get_mut(*first) {
            Some(toml::Value::Table(inner)) => edit(inner, rest, value),
            Some(toml::Value::Array(items)) => {
                let Some((index, rest)) = rest.split_first() else {
                    panic!("{path:?}: an index")
                };
                let position: usize = index
                    .parse()
                    .unwrap_or_else(|_| panic!("{path:?}: {index} is not an index"));
                match items.get_mut(position) {
                    Some(toml::Value::Table(inner)) => edit(inner, rest, value),
                    _ => panic!("{path:?}: no table at {position}"),
                }
            }
            _ => panic!("{path:?}: no table {first}"),
        }
    }

    #[test]
    fn the_schema_and_the_loader_agree_on_constrained_values() {
        let validator = validator();
        let base = base();
        assert_eq!(
            verdicts(&validator, &base),
            (true, true),
            "the base blueprint is valid for both"
        );
        let s = |text: &str| toml::Value::String(text.to_string());
        let n = |number: i64| toml::Value::Integer(number);
        let long = |len: usize| "a".repeat(len);
        let cases: Vec<(Vec<&str>, toml::Value)> = vec![
            (vec!["blueprint", "name"], s("prod-eu-2")),
            (vec!["blueprint", "name"], s(&long(40))),
            (vec!["blueprint", "name"], s(&long(41))),
            (vec!["blueprint", "name"], s("")),
            (vec!["blueprint", "name"], s("-prod")),
            (vec!["blueprint", "name"], s("2prod")),
            (vec!["blueprint", "name"], s("prod-")),
            (vec!["blueprint", "name"], s("pr--od")),
            (vec!["blueprint", "name"], s("Prod")),
            (vec!["blueprint", "name"], s("prod_eu")),
            (vec!["node_groups", "0", "name"], s(&long(32))),
            (vec!["node_groups", "0", "name"], s(&long(33))),
            (vec!["node_groups", "0", "name"], s("sys-1")),
            (vec!["node_groups", "0", "name"], s("sys--1")),
            (vec!["node_groups", "0", "ami"], s("al2023")),
            (vec!["node_groups", "0", "arch"], s("amd64")),
            (vec!["node_groups", "0", "capacity_type"], s("SPOT")),
            (vec!["node_groups", "0", "capacity_type"], s("spot")),
            (vec!["node_groups", "0", "disk_size"], n(4)),
            (vec!["node_groups", "0", "disk_size"], n(3)),
            (vec!["node_groups", "0", "disk_size"], n(16384)),
            (vec!["node_groups", "0", "disk_size"], n(16385)),
            (vec!["node_groups", "0", "max_unavailable"], n(0)),
            (vec!["node_groups", "0", "max_unavailable"], n(100)),
            (vec!["node_groups", "0", "max_unavailable"], n(101)),
            (
                vec!["node_groups", "1", "taints", "0", "effect"],
                s("NoExecute"),
            ),
            (
                vec!["node_groups", "1", "taints", "0", "effect"],
                s("noschedule"),
            ),
            (vec!["encryption", "deletion_window_days"], n(6)),
            (vec!["encryption", "deletion_window_days"], n(7)),
            (vec!["encryption", "deletion_window_days"], n(30)),
            (vec!["encryption", "deletion_window_days"], n(31)),
            (vec!["cluster", "log_retention_days"], n(365)),
            (vec!["cluster", "log_retention_days"], n(364)),
            (
                vec!["cluster", "logging"],
                toml::Value::Array(vec![s("api"), s("audit")]),
            ),
            (
                vec!["cluster", "logging"],
                toml::Value::Array(vec![s("api"), s("controller")]),
            ),
            (vec!["network", "nat"], s("single")),
            (vec!["network", "nat"], s("per_az")),
            (vec!["network", "azs"], n(2)),
            (
                vec!["network", "azs"],
                toml::Value::Array(vec![s("eu-west-1a"), s("eu-west-1b")]),
            ),
            (vec!["network", "unknown_key"], n(1)),
            (vec!["cluster", "endpoint_public"], s("yes")),
        ];
        let (mut accepted, mut refused) = (0, 0);
        for (path, value) in cases {
            let (schema_ok, loader_ok) = verdicts(&validator, &with(&base, &path, value.clone()));
            assert_eq!(
                schema_ok,
                loader_ok,
                "{} = {value}: schema says {schema_ok}, loader says {loader_ok}",
                path.join(".")
            );
            if schema_ok {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
        assert_eq!(
            (accepted, refused),
            (16, 25),
            "both sides of every rule are exercised"
        );
    }

    /// Every `default` the schema states, written out, loads to the same blueprint as leaving
    /// the key out.
    #[test]
    fn every_stated_default_is_the_loaders_default() {
        let schema = schema();
        let definitions = schema["definitions"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut base = base();
        // Leave out every key that has a default, wherever it is, then put each back alone.
        let mut checked = Vec::new();
        collect_defaults(&schema, &definitions, &mut Vec::new(), &base, &mut checked);
        assert!(
            checked.len() >= 25,
            "found only {} defaults: {checked:?}",
            checked.len()
        );
        for (path, _) in &checked {
            let steps: Vec<&str> = path.iter().map(String::as_str).collect();
            edit(&mut base, &steps, None);
        }
        let text = toml::to_string(&base).unwrap_or_else(|error| panic!("serialise: {error}"));
        let bare = load_str("t.toml", &text, &[])
            .unwrap_or_else(|error| panic!("without defaulted keys: {error:?}"))
            .model;
        for (path, default) in &checked {
            let value: toml::Value =
                toml::Value::try_from(default).unwrap_or_else(|error| panic!("{path:?}: {error}"));
            let steps: Vec<&str> = path.iter().map(String::as_str).collect();
            let text = toml::to_string(&with(&base, &steps, value))
                .unwrap_or_else(|error| panic!("serialise: {error}"));
            let written = load_str("t.toml", &text, &[])
                .unwrap_or_else(|error| panic!("{} = {default}: {error:?}", path.join(".")))
                .model;
            assert_eq!(
                written,
                bare,
                "the schema's default for {} is {default}, but the loader's differs",
                path.join(".")
            );
        }
    }

    /// (path, default) for every key with a default under `schema`, following tables and the
    /// entries present in `document`.
    fn collect_defaults(
        schema: &Value,
        definitions: &Map<String, Value>,
        path: &mut Vec<String>,
        document: &toml::Table,
        out: &mut Vec<(Vec<String>, Value)>,
    ) {
        let resolve = |node: &Value| -> Value {
            let reference = node.get("$ref").or_else(|| {
                node.get("allOf")
                    .and_then(|all| all.get(0))
                    .and_then(|first| first.get("$ref"))
            });
            match reference
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/definitions/"))
            {
                Some(name) => definitions.get(name).cloned().unwrap_or(Value::Null),
                None => node.clone(),
            }
        };
        let Some(properties) = resolve(schema)
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
        else {
            return;
        };
        for (key, property) in properties {
            path.push(key.clone());
            if let Some(default) = property.get("default") {
                out.push((path.clone(), default.clone()));
            }
            let target = resolve(&property);
            match document.get(&key) {
                Some(toml::Value::Table(inner)) => {
                    collect_defaults(&target, definitions, path, inner, out)
                }
                Some(toml::Value::Array(items)) => {
                    let item_schema = target.get("items").map(&resolve).unwrap_or(Value::Null);
                    for (index, item) in items.iter().enumerate() {
                        if let toml::Value::Table(inner) = item {
                            path.push(index.to_string());
                            collect_defaults(&item_schema, definitions, path, inner, out);
                            path.pop();
                        }
                    }
                }
                _ => {}
            }
            path.pop();
        }
    }

    #[test]
    fn required_keys_apply_unless_the_blueprint_extends_another() {
        let validator = validator();
        let child: Value = json!({"blueprint": {"extends": "../hardened.toml", "name": "child"}, "network": {"nat": "single"}});
        assert!(
            validator.is_valid(&child),
            "a child may leave out what its parent sets"
        );
        let orphan: Value = json!({"blueprint": {"name": "orphan"}, "network": {"nat": "single"}});
        assert!(
            !validator.is_valid(&orphan),
            "without extends, network.vpc_cidr is required"
        );
        let typo: Value = json!({"blueprint": {"extends": "p.toml"}, "netwrok": {}});
        assert!(
            !validator.is_valid(&typo),
            "unknown keys are refused, extends or not"
        );
        let partial_group: Value =
            json!({"blueprint": {"extends": "p.toml"}, "node_groups": [{"name": "x"}]});
        assert!(
            !validator.is_valid(&partial_group),
            "array entries replace the parent's whole, so their keys stay required"
        );
    }

    #[test]
    fn the_schema_has_no_null_and_describes_the_root() {
        let text = schema_text();
        assert!(!text.contains("\"null\""), "TOML has no null");
        let schema = schema();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["title"], "eksforge blueprint");
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(
            schema["definitions"]["Network"]["properties"]["nat"]["default"],
            "per-az"
        );
    }
}
