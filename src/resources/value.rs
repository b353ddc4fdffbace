//! Attribute values: plain data plus references to other resources' outputs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::ResourceId;

/// Attributes of a resource, ordered by name so rendering and state files are deterministic.
pub type Attrs = BTreeMap<String, Value>;

/// A reference to an output of another resource (`vpc.main.id`), known once that resource
/// exists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ref {
    pub resource: ResourceId,
    pub output: String,
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.resource, self.output)
    }
}

/// An attribute value. State files hold only resolved values (no `Ref`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Value>),
    Ref(RefValue),
    /// Strings and references concatenated once all are known: a policy document that
    /// embeds another resource's ARN.
    Join(JoinValue),
    Map(BTreeMap<String, Value>),
}

/// Serialised form of a join: `{"$join": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinValue {
    #[serde(rename = "$join")]
    parts: Vec<Value>,
}

/// Serialised form of a reference: `{"$ref": "vpc.main.id"}`; a distinct shape so a map can
/// never be mistaken for one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefValue {
    #[serde(rename = "$ref")]
    target: String,
}

impl Value {
    pub fn reference(reference: Ref) -> Value {
        Value::Ref(RefValue {
            target: reference.to_string(),
        })
    }

    /// The concatenation of `parts` (strings and references); plain text when all are known.
    pub fn join(parts: Vec<Value>) -> Value {
        Value::Join(JoinValue { parts }).resolve_known(&|_| None)
    }

    pub fn str(text: impl Into<String>) -> Value {
        Value::Str(text.into())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The reference this value is, if it is one.
    pub fn as_ref_target(&self) -> Option<Ref> {
        match self {
            Value::Ref(RefValue { target }) => {
                let (resource, output) = target.rsplit_once('.')?;
                Some(Ref {
                    resource: ResourceId::parse(resource)?,
                    output: output.to_string(),
                })
            }
            _ => None,
        }
    }

    pub fn collect_refs(&self, into: &mut BTreeSet<ResourceId>) {
        match self {
            Value::Ref(_) => {
                if let Some(reference) = self.as_ref_target() {
                    into.insert(reference.resource);
                }
            }
            Value::List(items) => items.iter().for_each(|item| item.collect_refs(into)),
            Value::Join(join) => join.parts.iter().for_each(|item| item.collect_refs(into)),
            Value::Map(map) => map.values().for_each(|item| item.collect_refs(into)),
            Value::Bool(_) | Value::Int(_) | Value::Str(_) => {}
        }
    }

    /// Replaces every reference with the value `lookup` gives; `None` when one is not known
    /// yet (the referenced resource does not exist or is being replaced).
    pub fn resolve(&self, lookup: &dyn Fn(&Ref) -> Option<Value>) -> Option<Value> {
        Some(match self {
            Value::Ref(_) => lookup(&self.as_ref_target()?)?,
            Value::Join(join) => {
                let mut text = String::new();
                for part in &join.parts {
                    match part.resolve(lookup)? {
                        Value::Str(piece) => text.push_str(&piece),
                        Value::Int(number) => text.push_str(&number.to_string()),
                        _ => return None,
                    }
                }
                Value::Str(text)
            }
            Value::List(items) => Value::List(
                items
                    .iter()
                    .map(|item| item.resolve(lookup))
                    .collect::<Option<_>>()?,
            ),
            Value::Map(map) => Value::Map(
                map.iter()
                    .map(|(key, item)| Some((key.clone(), item.resolve(lookup)?)))
                    .collect::<Option<_>>()?,
            ),
            other => other.clone(),
        })
    }
}

impl Value {
    /// Replaces the references `lookup` knows and keeps the others, for refresh-time matching
    /// and plan display.
    pub fn resolve_known(&self, lookup: &dyn Fn(&Ref) -> Option<Value>) -> Value {
        match self {
            Value::Ref(_) => self
                .as_ref_target()
                .and_then(|reference| lookup(&reference))
                .unwrap_or_else(|| self.clone()),
            Value::Join(join) => {
                let parts: Vec<Value> = join
                    .parts
                    .iter()
                    .map(|part| match part.resolve_known(lookup) {
                        // Numbers join as text (a launch template version).
                        Value::Int(number) => Value::Str(number.to_string()),
                        other => other,
                    })
                    .collect();
                // Merge adjacent known strings; plain text when nothing is left unknown.
                let mut merged: Vec<Value> = Vec::new();
                for part in parts {
                    match (merged.last_mut(), part) {
                        (Some(Value::Str(previous)), Value::Str(next)) => previous.push_str(&next),
                        (_, part) => merged.push(part),
                    }
                }
                match merged.as_slice() {
                    [] => Value::Str(String::new()),
                    [Value::Str(text)] => Value::Str(text.clone()),
                    _ => Value::Join(JoinValue { parts: merged }),
                }
            }
            Value::List(items) => Value::List(
                items
                    .iter()
                    .map(|item| item.resolve_known(lookup))
                    .collect(),
            ),
            Value::Map(map) => Value::Map(
                map.iter()
                    .map(|(key, item)| (key.clone(), item.resolve_known(lookup)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Whether any reference is left unresolved.
    pub fn has_refs(&self) -> bool {
        match self {
            Value::Ref(_) => true,
            Value::Join(join) => join.parts.iter().any(Value::has_refs),
            Value::List(items) => items.iter().any(Value::has_refs),
            Value::Map(map) => map.values().any(Value::has_refs),
            Value::Bool(_) | Value::Int(_) | Value::Str(_) => false,
        }
    }
}

impl fmt::Display for Value {
    /// The form plans show: strings quoted, references as `(known after apply: vpc.main.id)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(flag) => write!(f, "{flag}"),
            Value::Int(number) => write!(f, "{number}"),
            Value::Str(text) => write!(f, "{text:?}"),
            Value::Ref(RefValue { target }) => write!(f, "(known after apply: {target})"),
            Value::Join(join) => {
                let mut targets = BTreeSet::new();
                join.parts
                    .iter()
                    .for_each(|part| part.collect_refs(&mut targets));
                let names: Vec<String> = targets.iter().map(ToString::to_string).collect();
                write!(f, "(known after apply: from {})", names.join(", "))
            }
            Value::List(items) => {
                f.write_str("[")?;
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("{")?;
                for (index, (key, item)) in map.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key:?} = {item}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Kind;

    #[test]
    fn references_round_trip_through_json_and_resolve() {
        let vpc = ResourceId::new(Kind::Vpc, "main");
        let value = Value::Map(BTreeMap::from([
            ("vpc_id".to_string(), vpc.output("id")),
            ("cidr".to_string(), Value::str("10.0.0.0/24")),
        ]));
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(
            json,
            r#"{"cidr":"10.0.0.0/24","vpc_id":{"$ref":"vpc.main.id"}}"#
        );
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value);

        let mut refs = BTreeSet::new();
        value.collect_refs(&mut refs);
        assert_eq!(refs, BTreeSet::from([vpc.clone()]));

        let resolved = value
            .resolve(&|reference| (reference.resource == vpc).then(|| Value::str("vpc-1")))
            .unwrap();
        assert_eq!(resolved.as_map().unwrap()["vpc_id"], Value::str("vpc-1"));
        assert_eq!(value.resolve(&|_| None), None);
    }

    #[test]
    fn joins_resolve_to_text_once_every_part_is_known() {
        let role = ResourceId::new(Kind::Vpc, "main");
        let joined = Value::join(vec![
            Value::str("{\"arn\":\""),
            role.output("arn"),
            Value::str("\"}"),
        ]);
        assert!(joined.has_refs());
        let json = serde_json::to_string(&joined).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), joined);
        let known = joined.resolve_known(&|_| Some(Value::str("arn:x")));
        assert_eq!(known, Value::str("{\"arn\":\"arn:x\"}"));
        assert_eq!(
            Value::join(vec![Value::str("a"), Value::str("b")]),
            Value::str("ab")
        );
    }
}
