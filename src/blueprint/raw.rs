//! The spanned tree: every TOML value and key with the source and byte span it came from.
//!
//! Parsing goes through `toml::from_str::<Spanned<RawValue>>`; [`RawValue`] has a hand-written
//! `Deserialize` so that arrays and tables keep a span on every element, value and key. The
//! result is turned into [`Node`]s, which carry their [`SourceId`] so that a tree merged from
//! several files (`extends`) and `--var`s still knows where each value was written.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::source::SourceId;

/// How TOML hands over a date or datetime through `deserialize_any`: a one-entry map with this
/// key and the text as value.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// A TOML value as parsed, with spans on everything below it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Strings, and dates/datetimes as written (`2026-12-31`).
    Str(String),
    Array(Vec<Spanned<RawValue>>),
    Table(Vec<(RawKey, Spanned<RawValue>)>),
}

/// A table key with its span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawKey {
    pub(crate) name: String,
    pub(crate) span: Range<usize>,
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawValueVisitor)
    }
}

struct RawValueVisitor;

impl<'de> Visitor<'de> for RawValueVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Int)
            .map_err(|_| E::custom(format!("integer {v} is too large")))
    }

    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawValue>>()? {
            items.push(item);
        }
        Ok(RawValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries: Vec<(RawKey, Spanned<RawValue>)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                // A date or datetime: the only entry, its value the text as written.
                (name, None) if name == TOML_DATETIME_KEY => {
                    let text: String = map.next_value()?;
                    return Ok(RawValue::Str(text));
                }
                (name, span) => {
                    let value = map.next_value::<Spanned<RawValue>>()?;
                    let span = span.unwrap_or_else(|| value.span());
                    entries.push((RawKey { name, span }, value));
                }
            }
        }
        // Document order (the parser hands keys over sorted by name).
        entries.sort_by_key(|(key, _)| key.span.start);
        Ok(RawValue::Table(entries))
    }
}

/// Reads a table key as a `Spanned<String>` where the format offers spans, and as a plain
/// string where it does not (the datetime marker).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = (String, Option<Range<usize>>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let (name, fields) = spanned_protocol();
        deserializer.deserialize_struct(name, fields, KeyVisitor { fields })
    }
}

struct KeyVisitor {
    fields: &'static [&'static str],
}

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = (String, Option<Range<usize>>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok((v.to_string(), None))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok((v, None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut start, mut end, mut value) = (None, None, None);
        while let Some(field) = map.next_key::<String>()? {
            match self.fields.iter().position(|f| *f == field) {
                Some(0) => start = Some(map.next_value::<usize>()?),
                Some(1) => end = Some(map.next_value::<usize>()?),
                _ => value = Some(map.next_value::<String>()?),
            }
        }
        let value = value.ok_or_else(|| de::Error::custom("table key without a name"))?;
        let span = match (start, end) {
            (Some(start), Some(end)) => Some(start..end),
            _ => None,
        };
        Ok((value, span))
    }
}

/// The struct name and field names `Spanned` asks a format for (start, end, value), learnt
/// from `Spanned` itself rather than copied from its private constants.
fn spanned_protocol() -> (&'static str, &'static [&'static str]) {
    static PROTOCOL: std::sync::OnceLock<(&'static str, &'static [&'static str])> =
        std::sync::OnceLock::new();
    *PROTOCOL.get_or_init(|| {
        match Spanned::<String>::deserialize(capture::Capture) {
            Err(capture::Captured::Struct(name, fields)) => (name, fields),
            // `Spanned` has always deserialized as a struct; fall back to its known names.
            _ => (
                "$__serde_spanned_private_Spanned",
                &[
                    "$__serde_spanned_private_start",
                    "$__serde_spanned_private_end",
                    "$__serde_spanned_private_value",
                ],
            ),
        }
    })
}

mod capture {
    //! A deserializer that only records which struct it is asked for.
    use std::fmt;

    use serde::de::{self, Visitor};

    #[derive(Debug)]
    pub(super) enum Captured {
        Struct(&'static str, &'static [&'static str]),
        Other,
    }

    impl fmt::Display for Captured {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{self:?}")
        }
    }

    impl std::error::Error for Captured {}

    impl de::Error for Captured {
        fn custom<T: fmt::Display>(_msg: T) -> Self {
            Captured::Other
        }
    }

    pub(super) struct Capture;

    impl<'de> de::Deserializer<'de> for Capture {
        type Error = Captured;

        fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Captured> {
            Err(Captured::Other)
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Captured> {
            Err(Captured::Struct(name, fields))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
}

/// A value in the merged tree: what it is, and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) src: SourceId,
    pub(crate) span: Range<usize>,
    pub(crate) kind: NodeKind,
    /// For scalars given with `--var`: the text as typed, so `--var cluster.version=1.35` still
    /// fills a string field although `1.35` parses as a float.
    pub(crate) raw: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

/// A table entry: the key, where the key was written, and the value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_src: SourceId,
    pub(crate) key_span: Range<usize>,
    pub(crate) value: Node,
}

impl Node {
    pub(crate) fn from_raw(src: SourceId, value: Spanned<RawValue>) -> Node {
        let span = value.span();
        let kind = match value.into_inner() {
            RawValue::Bool(b) => NodeKind::Bool(b),
            RawValue::Int(i) => NodeKind::Int(i),
            RawValue::Float(f) => NodeKind::Float(f),
            RawValue::Str(s) => NodeKind::Str(s),
            RawValue::Array(items) => {
                NodeKind::Array(items.into_iter().map(|v| Node::from_raw(src, v)).collect())
            }
            RawValue::Table(entries) => NodeKind::Table(
                entries
                    .into_iter()
                    .map(|(key, value)| Entry {
                        key: key.name,
                        key_src: src,
                        key_span: key.span,
                        value: Node::from_raw(src, value),
                    })
                    .collect(),
            ),
        };
        Node {
            src,
            span,
            kind,
            raw: None,
        }
    }

    pub(crate) fn empty_table(src: SourceId, span: Range<usize>) -> Node {
        Node {
            src,
            span,
            kind: NodeKind::Table(Vec::new()),
            raw: None,
        }
    }

    /// What kind of value this is, for messages: "a string", "a table"…
    pub(crate) fn describe(&self) -> &'static str {
        match self.kind {
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a float",
            NodeKind::Str(_) => "a string",
            NodeKind::Array(_) => "an array",
            NodeKind::Table(_) => "a table",
        }
    }

    pub(crate) fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Table(entries) => Some(entries),
            _ => None,
        }
    }

    pub(crate) fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| e.key == key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn is_empty_table(&self) -> bool {
        matches!(&self.kind, NodeKind::Table(e) if e.is_empty())
    }

    /// Deep merge: tables merge key by key with `over` winning, anything else is replaced whole.
    pub(crate) fn merge(base: Node, over: Node) -> Node {
        match (base.kind, over.kind) {
            (NodeKind::Table(mut merged), NodeKind::Table(over_entries)) => {
                for entry in over_entries {
                    match merged.iter().position(|e| e.key == entry.key) {
                        Some(i) => {
                            let old = merged.remove(i);
                            let value = Node::merge(old.value, entry.value);
                            merged.insert(i, Entry { value, ..entry });
                        }
                        None => merged.push(entry),
                    }
                }
                Node {
                    src: over.src,
                    span: over.span,
                    kind: NodeKind::Table(merged),
                    raw: over.raw,
                }
            }
            (_, kind) => Node {
                src: over.src,
                span: over.span,
                kind,
                raw: over.raw,
            },
        }
    }
}

/// One step of a key path: `network`, `node_groups`, `[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// Parses `network.vpc_cidr`, `node_groups[0].min_size` or `node_groups.0.min_size`, and a
/// quoted key holding dots as TOML writes it (`network.endpoint_policies."ecr.api"`). A purely
/// numeric dotted segment is read as an index when the value there is an array (see
/// [`Node::find`]). Returns each segment with its byte range in `path`.
pub(crate) fn parse_path(path: &str) -> Option<Vec<(Segment, Range<usize>)>> {
    let mut segments = Vec::new();
    let mut start = 0;
    loop {
        let rest = &path[start..];
        // The key: quoted (up to its closing quote, dots and all) or bare (up to `.` or `[`).
        let (name, name_len) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let close = quoted.find('"')?;
                (&quoted[..close], close + 2)
            }
            None => {
                let len = rest.find(['.', '[']).unwrap_or(rest.len());
                (&rest[..len], len)
            }
        };
        if name.is_empty() || name.contains(']') {
            return None;
        }
        segments.push((Segment::Key(name.to_string()), start..start + name_len));
        let mut offset = start + name_len;
        // Indexes after the key: `[0][1]`.
        while let Some(indexed) = path[offset..].strip_prefix('[') {
            let close = indexed.find(']')?;
            let index: usize = indexed[..close].parse().ok()?;
            segments.push((Segment::Index(index), offset..offset + close + 2));
            offset += close + 2;
        }
        match path[offset..].strip_prefix('.') {
            Some(_) => start = offset + 1,
            None if offset == path.len() => return Some(segments),
            None => return None,
        }
    }
}

impl Node {
    /// The node at `path`; a numeric key indexes an array.
    pub(crate) fn find(&self, path: &[Segment]) -> Option<FoundNode<'_>> {
        let mut found = FoundNode {
            node: self,
            key: None,
        };
        for segment in path {
            found = match (segment, &found.node.kind) {
                (Segment::Key(key), NodeKind::Table(_)) => {
                    let entry = found.node.entry(key)?;
                    FoundNode {
                        node: &entry.value,
                        key: Some(entry),
                    }
                }
                (Segment::Key(key), NodeKind::Array(items)) => FoundNode {
                    node: items.get(key.parse::<usize>().ok()?)?,
                    key: None,
                },
                (Segment::Index(i), NodeKind::Array(items)) => FoundNode {
                    node: items.get(*i)?,
                    key: None,
                },
                _ => return None,
            };
        }
        Some(found)
    }
}

/// A node found by path, with the table entry that holds it (if any).
pub(crate) struct FoundNode<'a> {
    pub(crate) node: &'a Node,
    pub(crate) key: Option<&'a Entry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        let raw: Spanned<RawValue> = toml::from_str(text).expect("valid TOML");
        Node::from_raw(SourceId(0), raw)
    }

    /// The tree without positions.
    fn plain(node: &Node) -> String {
        match &node.kind {
            NodeKind::Array(items) => {
                format!(
                    "[{}]",
                    items.iter().map(plain).collect::<Vec<_>>().join(",")
                )
            }
            NodeKind::Table(entries) => {
                let mut entries: Vec<String> = entries
                    .iter()
                    .map(|e| format!("{}={}", e.key, plain(&e.value)))
                    .collect();
                entries.sort();
                format!("{{{}}}", entries.join(","))
            }
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn keys_and_values_keep_their_spans() {
        let text = "[network]\nvpc_cidr = \"10.0.0.0/16\"\n";
        let root = parse(text);
        let network = root.entry("network").expect("network");
        assert_eq!(&text[network.key_span.clone()], "network");
        assert_eq!(&text[network.value.span.clone()], "[network]");
        let cidr = network.value.entry("vpc_cidr").expect("vpc_cidr");
        assert_eq!(&text[cidr.key_span.clone()], "vpc_cidr");
        assert_eq!(&text[cidr.value.span.clone()], "\"10.0.0.0/16\"");
    }

    #[test]
    fn dates_become_strings_with_the_value_span() {
        let text = "[[waivers]]\nexpires = 2026-12-31\nat = 2026-01-02T03:04:05Z\n";
        let root = parse(text);
        let waiver = root
            .find(&[Segment::Key("waivers".into()), Segment::Index(0)])
            .expect("waiver")
            .node;
        let expires = waiver.get("expires").expect("expires");
        assert_eq!(expires.as_str(), Some("2026-12-31"));
        assert_eq!(&text[expires.span.clone()], "2026-12-31");
        assert_eq!(
            waiver.get("at").and_then(Node::as_str),
            Some("2026-01-02T03:04:05Z")
        );
    }

    #[test]
    fn entries_are_in_document_order() {
        let root = parse("[b]\nz = 1\na = 2\n[a]\n");
        let keys: Vec<&str> = root
            .entries()
            .unwrap_or_default()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["b", "a"]);
        let b = root.get("b").expect("b");
        let keys: Vec<&str> = b
            .entries()
            .unwrap_or_default()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["z", "a"]);
    }

    #[test]
    fn merge_is_deep_for_tables_and_whole_for_the_rest() {
        let base = parse("[n]\na = 1\nb = [1, 2]\n[n.sub]\nx = 1\ny = 2\n");
        let over = parse("[n]\nb = [3]\nc = true\n[n.sub]\ny = 3\n");
        let merged = Node::merge(base, over);
        let expect = parse("[n]\na = 1\nb = [3]\nc = true\n[n.sub]\nx = 1\ny = 3\n");
        assert_eq!(plain(&merged), plain(&expect));
    }

    #[test]
    fn paths_parse_in_both_styles() {
        let keys =
            |p: &str| parse_path(p).map(|s| s.into_iter().map(|(s, _)| s).collect::<Vec<_>>());
        let expect = Some(vec![
            Segment::Key("node_groups".into()),
            Segment::Index(0),
            Segment::Key("min_size".into()),
        ]);
        assert_eq!(keys("node_groups[0].min_size"), expect);
        assert_eq!(
            keys("node_groups.0.min_size"),
            Some(vec![
                Segment::Key("node_groups".into()),
                Segment::Key("0".into()),
                Segment::Key("min_size".into()),
            ])
        );
        assert_eq!(keys("network"), Some(vec![Segment::Key("network".into())]));
        assert_eq!(keys(""), None);
        assert_eq!(keys("a..b"), None);
        assert_eq!(keys("a[x]"), None);
        assert_eq!(keys("a[0"), None);
        let spans = parse_path("ng[1].x").unwrap_or_default();
        let ranges: Vec<Range<usize>> = spans.into_iter().map(|(_, r)| r).collect();
        assert_eq!(ranges, [0..2, 2..5, 6..7]);
        assert_eq!(
            keys("network.endpoint_policies.\"ecr.api\""),
            Some(vec![
                Segment::Key("network".into()),
                Segment::Key("endpoint_policies".into()),
                Segment::Key("ecr.api".into()),
            ])
        );
        assert_eq!(keys("a.\"b"), None, "an unclosed quote");
        assert_eq!(keys("a.\"b\"c"), None, "text after the closing quote");
    }
}
