//! A `serde::Deserializer` over the spanned tree (like `serde_json::Value`'s), so every serde
//! error — unknown key, wrong type, missing key, unknown value — comes back with the source
//! and span of the key or value it is about, and the key path (`node_groups[0].min_size`).

use std::fmt;
use std::ops::Range;

use serde::de::{
    self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Unexpected, Visitor,
};

use super::error::{did_you_mean, Problem};
use super::raw::{Entry, Node, NodeKind};
use super::source::{SourceId, Sources};

/// Deserializes `T` from a tree, turning the first serde error into a located [`Problem`].
pub(crate) fn from_node<'de, T: de::Deserialize<'de>>(
    node: &'de Node,
    sources: &Sources,
) -> Result<T, Problem> {
    T::deserialize(NodeDe::new(node, String::new())).map_err(|e| e.into_problem(sources, node))
}

#[derive(Debug)]
pub(crate) struct DeError {
    kind: DeErrorKind,
    at: Option<At>,
}

#[derive(Debug)]
struct At {
    src: SourceId,
    span: Range<usize>,
    /// Key path of the value (or key) the error is about; empty for the root.
    path: String,
}

#[derive(Debug)]
enum DeErrorKind {
    UnknownField {
        field: String,
        expected: &'static [&'static str],
    },
    UnknownVariant {
        variant: String,
        expected: &'static [&'static str],
    },
    MissingField(&'static str),
    InvalidType {
        found: String,
        expected: String,
    },
    InvalidValue {
        found: String,
        expected: String,
    },
    Custom(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(DeErrorKind::Custom(msg.to_string()))
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::InvalidType {
            found: describe_unexpected(&unexp),
            expected: describe_expected(&exp.to_string()),
        })
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::InvalidValue {
            found: describe_unexpected(&unexp),
            expected: describe_expected(&exp.to_string()),
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownField {
            field: field.to_string(),
            expected,
        })
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownVariant {
            variant: variant.to_string(),
            expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(DeErrorKind::MissingField(field))
    }
}

fn describe_unexpected(unexp: &Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Bool(b) => format!("the boolean `{b}`"),
        Unexpected::Signed(i) => format!("the integer `{i}`"),
        Unexpected::Unsigned(u) => format!("the integer `{u}`"),
        Unexpected::Float(x) => format!("the float `{x}`"),
        Unexpected::Str(s) => format!("the string \"{s}\""),
        Unexpected::Seq => "an array".to_string(),
        Unexpected::Map => "a table".to_string(),
        other => other.to_string(),
    }
}

fn describe_expected(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number ≥ 0".to_string(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".to_string(),
        "f32" | "f64" => "a number".to_string(),
        "a sequence" => "an array".to_string(),
        "a map" => "a table".to_string(),
        "a borrowed string" => "a string".to_string(),
        "variant identifier" => "a string".to_string(),
        s if s.starts_with("struct ") => "a table".to_string(),
        s if s.starts_with("enum ") => "a string".to_string(),
        s if s.starts_with("a string") || s.starts_with("a boolean") => s.to_string(),
        s if s.starts_with("unit variant") => "a string".to_string(),
        s => s.to_string(),
    }
}

impl DeError {
    fn new(kind: DeErrorKind) -> Self {
        DeError { kind, at: None }
    }

    /// Places the error at `span` unless a deeper level already placed it.
    fn locate(mut self, src: SourceId, span: &Range<usize>, path: &str) -> Self {
        if self.at.is_none() {
            self.at = Some(At {
                src,
                span: span.clone(),
                path: path.to_string(),
            });
        }
        self
    }

    fn into_problem(self, sources: &Sources, root: &Node) -> Problem {
        let at = self.at.unwrap_or(At {
            src: root.src,
            span: root.span.clone(),
            path: String::new(),
        });
        // The root table has no header: point at the start of the file.
        let span = if at.path.is_empty() {
            0..0
        } else {
            at.span.clone()
        };
        let path = at.path.as_str();
        let (parent, _) = split_path(path);
        let problem = |code, message: String, label: String| {
            Problem::new(code, message).at(sources, at.src, span.clone(), label)
        };
        match self.kind {
            DeErrorKind::UnknownField { field, expected } => {
                let (code, what, place) = if parent.is_empty() {
                    (
                        "eksforge::blueprint::unknown_section",
                        "section",
                        "the blueprint".to_string(),
                    )
                } else {
                    (
                        "eksforge::blueprint::unknown_key",
                        "key",
                        format!("`{parent}`"),
                    )
                };
                let help = match did_you_mean(&field, expected.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "remove `{field}`; docs/blueprint.md lists every {what} {place} takes"
                    ),
                };
                problem(
                    code,
                    format!(
                        "unknown {what} `{field}` in {place}, expected one of {}",
                        quote_list(expected)
                    ),
                    format!("unknown {what}"),
                )
                .with_help(help)
            }
            DeErrorKind::UnknownVariant { variant, expected } => {
                let help = match did_you_mean(&variant, expected.iter().copied()) {
                    Some(best) => format!("did you mean \"{best}\"?"),
                    None => format!("use one of {}", quote_list(expected)),
                };
                problem(
                    "eksforge::blueprint::unknown_value",
                    format!(
                        "unknown value \"{variant}\" for `{path}`, expected one of {}",
                        quote_list(expected)
                    ),
                    "not an allowed value".to_string(),
                )
                .with_help(help)
            }
            DeErrorKind::MissingField(field) => {
                let (message, label, help) = if path.is_empty() {
                    (
                        format!("missing section [{field}]"),
                        format!("this blueprint has no [{field}] section"),
                        format!(
                            "add a [{field}] section ({}), or `extends` a blueprint that has one",
                            example(field)
                        ),
                    )
                } else {
                    (
                        format!("missing key `{field}` in `{path}`"),
                        format!("`{field}` is required here"),
                        format!("add {}", example(field)),
                    )
                };
                problem("eksforge::blueprint::missing_key", message, label).with_help(help)
            }
            DeErrorKind::InvalidType { found, expected } => {
                let mut help = format!("`{path}` takes {expected}");
                if expected == "a string" {
                    help.push_str("; put the value in double quotes");
                } else if path.ends_with("azs") {
                    help = azs_help().to_string();
                }
                problem(
                    "eksforge::blueprint::wrong_type",
                    format!("wrong type for `{path}`: expected {expected}, found {found}"),
                    format!("expected {expected}"),
                )
                .with_help(help)
            }
            DeErrorKind::InvalidValue { found, expected } => problem(
                "eksforge::blueprint::invalid_value",
                format!("invalid value for `{path}`: expected {expected}, found {found}"),
                format!("expected {expected}"),
            )
            .with_help(format!("`{path}` takes {expected}")),
            DeErrorKind::Custom(message) => {
                if message.contains("untagged enum AzSpec") {
                    problem(
                        "eksforge::blueprint::wrong_type",
                        format!(
                            "wrong type for `{path}`: expected a number of AZs or a list of AZ names"
                        ),
                        "neither a count nor a list of names".to_string(),
                    )
                    .with_help(azs_help())
                } else {
                    problem(
                        "eksforge::blueprint::invalid_value",
                        format!("invalid value for `{path}`: {message}"),
                        "invalid value".to_string(),
                    )
                    .with_help("see docs/blueprint.md for what this key takes")
                }
            }
        }
    }
}

fn azs_help() -> &'static str {
    "`azs` is a count from 2 to 6 (`azs = 3`) or a list of AZ names (`azs = [\"eu-west-1a\", \"eu-west-1b\"]`)"
}

/// An example line for a required key or section.
fn example(field: &str) -> String {
    let line = match field {
        "blueprint" => "`[blueprint]` with `name = \"prod-eu\"`",
        "network" => "`[network]` with `vpc_cidr = \"10.40.0.0/16\"`",
        "name" => "`name = \"…\"` (lowercase letters, digits and `-`)",
        "vpc_cidr" => "`vpc_cidr = \"10.40.0.0/16\"`",
        "instance_types" => "`instance_types = [\"m6i.large\"]`",
        "min_size" => "`min_size = 2`",
        "max_size" => "`max_size = 6`",
        "desired_size" => "`desired_size = 3`",
        "check" => "`check = \"EKS-NET-002\"` (the id of the waived check)",
        "reason" => "`reason = \"…\"` (why the waiver is acceptable)",
        "namespace" => "`namespace = \"kube-system\"`",
        _ => return format!("`{field} = …` (docs/blueprint.md describes it)"),
    };
    line.to_string()
}

fn quote_list(items: &[&str]) -> String {
    if items.is_empty() {
        return "nothing (no keys are allowed here)".to_string();
    }
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `node_groups[0].min_size` → (`node_groups[0]`, `min_size`).
fn split_path(path: &str) -> (&str, &str) {
    match path.rfind(['.', '[']) {
        Some(i) if path.as_bytes()[i] == b'.' => (&path[..i], &path[i + 1..]),
        Some(i) => (&path[..i], &path[i..]),
        None => ("", path),
    }
}

fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

struct NodeDe<'de> {
    node: &'de Node,
    path: String,
}

impl<'de> NodeDe<'de> {
    fn new(node: &'de Node, path: String) -> Self {
        NodeDe { node, path }
    }

    fn locate(&self, error: DeError) -> DeError {
        error.locate(self.node.src, &self.node.span, &self.path)
    }

    fn unexpected(&self) -> Unexpected<'de> {
        match &self.node.kind {
            NodeKind::Bool(b) => Unexpected::Bool(*b),
            NodeKind::Int(i) => Unexpected::Signed(*i),
            NodeKind::Float(f) => Unexpected::Float(*f),
            NodeKind::Str(s) => Unexpected::Str(s),
            NodeKind::Array(_) => Unexpected::Seq,
            NodeKind::Table(_) => Unexpected::Map,
        }
    }
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Int(i) => visitor.visit_i64(*i),
            NodeKind::Float(f) => visitor.visit_f64(*f),
            NodeKind::Str(s) => visitor.visit_borrowed_str(s),
            NodeKind::Array(items) => visitor.visit_seq(ArrayAccess {
                items: items.iter().enumerate(),
                path: &self.path,
            }),
            NodeKind::Table(entries) => visitor.visit_map(TableAccess {
                entries: entries.iter(),
                current: None,
                path: &self.path,
            }),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match (&self.node.raw, &self.node.kind) {
            // `--var cluster.version=1.35`: the text as typed, not the float it parses as.
            (Some(raw), NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_)) => {
                visitor.visit_borrowed_str(raw).map_err(|e| self.locate(e))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            NodeKind::Str(s) => {
                visitor.visit_enum(IntoDeserializer::<DeError>::into_deserializer(s.as_str()))
            }
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct ArrayAccess<'de, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Node>>,
    path: &'p str,
}

impl<'de> SeqAccess<'de> for ArrayAccess<'de, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((index, node)) = self.items.next() else {
            return Ok(None);
        };
        let path = format!("{}[{index}]", self.path);
        let element = NodeDe::new(node, path.clone());
        seed.deserialize(element)
            .map(Some)
            .map_err(|e| e.locate(node.src, &node.span, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct TableAccess<'de, 'p> {
    entries: std::slice::Iter<'de, Entry>,
    current: Option<&'de Entry>,
    path: &'p str,
}

impl<'de> MapAccess<'de> for TableAccess<'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(entry);
        let key = IntoDeserializer::<DeError>::into_deserializer(entry.key.as_str());
        seed.deserialize(key).map(Some).map_err(|e| {
            e.locate(
                entry.key_src,
                &entry.key_span,
                &child_path(self.path, &entry.key),
            )
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let entry = self
            .current
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("value asked for before its key"))?;
        let path = child_path(self.path, &entry.key);
        let value = NodeDe::new(&entry.value, path.clone());
        seed.deserialize(value)
            .map_err(|e| e.locate(entry.value.src, &entry.value.span, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::raw::RawValue;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn problem<T: de::DeserializeOwned + fmt::Debug>(text: &str) -> (Problem, String) {
        let mut sources = Sources::default();
        let id = sources.add(PathBuf::from("t.toml"), Arc::from(text));
        let raw: toml::Spanned<RawValue> = toml::from_str(text).expect("valid TOML");
        let node = Node::from_raw(id, raw);
        let problem = match from_node::<T>(&node, &sources) {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(p) => p,
        };
        let at = problem
            .location()
            .map(|l| text[l.span.clone()].to_string())
            .unwrap_or_default();
        (problem, at)
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        size: u32,
        name: Option<String>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
        #[serde(default)]
        list: Vec<Inner>,
    }

    #[test]
    fn unknown_keys_point_at_the_key() {
        let (p, at) = problem::<Outer>("[inner]\nsize = 1\nnmae = \"x\"\n");
        assert_eq!(p.code_name(), "eksforge::blueprint::unknown_key");
        assert_eq!(at, "nmae");
        assert!(p.message().contains("`size`, `name`"), "{}", p.message());
        assert_eq!(p.help_text(), Some("did you mean `name`?"));
    }

    #[test]
    fn wrong_types_point_at_the_value_and_name_the_path() {
        let (p, at) = problem::<Outer>("[inner]\nsize = 1\n[[list]]\nsize = \"big\"\n");
        assert_eq!(p.code_name(), "eksforge::blueprint::wrong_type");
        assert_eq!(at, "\"big\"");
        assert!(p.message().contains("`list[0].size`"), "{}", p.message());
    }

    #[test]
    fn negative_numbers_are_invalid_values() {
        let (p, at) = problem::<Outer>("[inner]\nsize = -1\n");
        assert_eq!(p.code_name(), "eksforge::blueprint::invalid_value");
        assert_eq!(at, "-1");
    }

    #[test]
    fn missing_keys_point_at_the_table_header() {
        let (p, at) = problem::<Outer>("[inner]\nname = \"x\"\n");
        assert_eq!(p.code_name(), "eksforge::blueprint::missing_key");
        assert_eq!(at, "[inner]");
        let (p, at) = problem::<Outer>("[other]\n");
        assert_eq!(p.code_name(), "eksforge::blueprint::unknown_section");
        assert_eq!(at, "other");
        let (p, at) = problem::<Outer>("");
        assert_eq!(p.code_name(), "eksforge::blueprint::missing_key");
        assert_eq!(at, "");
        assert_eq!(p.message(), "missing section [inner]");
    }

    #[test]
    fn split_path_handles_indices() {
        assert_eq!(split_path("a.b"), ("a", "b"));
        assert_eq!(split_path("a[0]"), ("a", "[0]"));
        assert_eq!(split_path("a[0].b"), ("a[0]", "b"));
        assert_eq!(split_path("a"), ("", "a"));
    }
}
