//! Reading blueprint files into one spanned tree: decoding, TOML parsing, `extends` chains and
//! `--var` overrides; then the typed model and validation.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use toml::Spanned;

use super::de;
use super::error::{BlueprintError, Problem};
use super::limits::MAX_BLUEPRINT_FILE_BYTES;
use super::model::Blueprint;
use super::raw::{parse_path, Entry, Node, NodeKind, RawValue, Segment};
use super::source::{normalize, Location, SourceId, Sources};
use super::user_file::{self, UserFileError};
use super::validate;

/// A blueprint after `extends` and `--var`, deserialized and validated, with the sources and the
/// merged spanned tree it came from (so later layers can point at a key: see [`Self::locate`]).
#[derive(Debug, Clone)]
pub struct LoadedBlueprint {
    pub model: Blueprint,
    path: PathBuf,
    pub(crate) sources: Sources,
    pub(crate) root: Node,
}

impl LoadedBlueprint {
    /// The top-level blueprint file (as given; for [`load_str`], the name passed).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where a key was written, after `extends` and `--var`: `network.vpc_cidr`,
    /// `node_groups[0].min_size` (or `node_groups.0.min_size`), `network` (a section: its
    /// header). Values point at the value; tables at their header (or inline table). `None` for
    /// keys not written anywhere (defaults).
    pub fn locate(&self, key_path: &str) -> Option<Location> {
        let (src, span) = self.locate_span(key_path)?;
        Some(self.sources.location(src, span))
    }

    pub(crate) fn locate_span(&self, key_path: &str) -> Option<(SourceId, Range<usize>)> {
        let segments: Vec<Segment> = parse_path(key_path)?.into_iter().map(|(s, _)| s).collect();
        let found = self.root.find(&segments)?;
        Some((found.node.src, found.node.span.clone()))
    }

    /// Where the key itself (not its value) of `key_path` was written.
    pub(crate) fn locate_key(&self, key_path: &str) -> Option<(SourceId, Range<usize>)> {
        let segments: Vec<Segment> = parse_path(key_path)?.into_iter().map(|(s, _)| s).collect();
        let entry = self.root.find(&segments)?.key?;
        Some((entry.key_src, entry.key_span.clone()))
    }

    /// Where `key_path` was written or, for a default nobody wrote, the nearest enclosing key
    /// or section that was written, else the top of the file. Always a location, so findings
    /// about defaults still point somewhere a user can act on.
    pub fn locate_or_enclosing(&self, key_path: &str) -> Location {
        let (src, span) = self.enclosing_span(key_path);
        self.sources.location(src, span)
    }

    pub(crate) fn enclosing_span(&self, key_path: &str) -> (SourceId, Range<usize>) {
        let mut path = key_path;
        loop {
            if let Some(found) = self.locate_span(path) {
                return found;
            }
            match path.rfind(['.', '[']) {
                Some(i) => path = &path[..i],
                None => return (self.root.src, 0..0),
            }
        }
    }

    /// The files this blueprint was read from: its own and every file along its `extends`
    /// chain (not the `--var`s), as given.
    pub fn source_files(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .filter(|source| !source.name.to_string_lossy().starts_with("--var "))
            .map(|source| source.name.clone())
            .collect()
    }

    /// SHA-256 (hex) of every source text that went into this blueprint (files along the
    /// `extends` chain, in load order, and the `--var`s): changes whenever the blueprint could.
    pub fn source_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for source in self.sources.iter() {
            hasher.update((source.text.len() as u64).to_le_bytes());
            hasher.update(source.text.as_bytes());
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Loads the blueprint at `path` with its `extends` chain, applies `vars` (raw `KEY=VALUE`
/// strings from `--var`), deserializes and validates it. `[[waivers]] check` ids are not
/// checked against the posture catalog, which this layer does not know: [`load_against`].
pub fn load(path: &Path, vars: &[String]) -> Result<LoadedBlueprint, BlueprintError> {
    load_against(path, vars, None)
}

/// [`load`], with the waivers' `check` ids checked against `check_ids` (the posture catalog's
/// ids, which `audit` passes in) beside every other rule, so all problems are reported at once.
pub fn load_against(
    path: &Path,
    vars: &[String],
    check_ids: Option<&[&str]>,
) -> Result<LoadedBlueprint, BlueprintError> {
    let mut loader = Loader::default();
    let bytes = match user_file::read(path, MAX_BLUEPRINT_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(error) if error.is_not_found() => {
            return Err(BlueprintError::NotFound {
                path: path.to_path_buf(),
            })
        }
        Err(UserFileError::Io(source)) => {
            return Err(BlueprintError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
        Err(refused) => {
            return Err(BlueprintError::NotABlueprintFile {
                path: path.to_path_buf(),
                reason: refused.to_string(),
                help: not_a_blueprint_file_help(),
            })
        }
    };
    let root = loader.load_bytes(path, bytes)?;
    loader.finish(path.to_path_buf(), root, vars, check_ids)
}

/// Like [`load`], from text in memory named `name` (used in messages); a relative `extends` is
/// resolved against the current directory.
pub fn load_str(
    name: &str,
    text: &str,
    vars: &[String],
) -> Result<LoadedBlueprint, BlueprintError> {
    load_str_against(name, text, vars, None)
}

/// [`load_str`] with the waivers' check ids checked, as [`load_against`] does.
pub fn load_str_against(
    name: &str,
    text: &str,
    vars: &[String],
    check_ids: Option<&[&str]>,
) -> Result<LoadedBlueprint, BlueprintError> {
    let mut loader = Loader::default();
    let path = PathBuf::from(name);
    let root = loader.load_text(&path, Path::new(""), Arc::from(text))?;
    loader.finish(path, root, vars, check_ids)
}

#[derive(Default)]
struct Loader {
    sources: Sources,
    /// The `extends` chain being loaded: (identity, name as shown).
    chain: Vec<(PathBuf, PathBuf)>,
}

impl Loader {
    fn finish(
        mut self,
        path: PathBuf,
        mut root: Node,
        vars: &[String],
        check_ids: Option<&[&str]>,
    ) -> Result<LoadedBlueprint, BlueprintError> {
        for var in vars {
            apply_var(&mut self.sources, &mut root, var)?;
        }
        let model: Blueprint = de::from_node(&root, &self.sources)?;
        let loaded = LoadedBlueprint {
            model,
            path,
            sources: self.sources,
            root,
        };
        let problems = validate::validate(&loaded, check_ids);
        if problems.is_empty() {
            Ok(loaded)
        } else {
            Err(BlueprintError::Invalid {
                file: loaded.path,
                problems,
            })
        }
    }

    fn load_bytes(&mut self, path: &Path, bytes: Vec<u8>) -> Result<Node, Problem> {
        let name = normalize(path);
        let text = decode(&mut self.sources, &name, bytes)?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let identity = std::fs::canonicalize(path).unwrap_or_else(|_| name.clone());
        self.chain.push((identity, name.clone()));
        let result = self.load_text(&name, &base, text);
        self.chain.pop();
        result
    }

    /// Parses `text` (from `name`), then loads what it `extends` (relative to `base`) and merges.
    fn load_text(&mut self, name: &Path, base: &Path, text: Arc<str>) -> Result<Node, Problem> {
        let src = self.sources.add(name.to_path_buf(), text.clone());
        let root = parse(&self.sources, src, &text)?;
        let Some(extends) = root.get("blueprint").and_then(|b| b.get("extends")) else {
            return Ok(root);
        };
        let Some(target) = extends.as_str() else {
            return Err(Problem::new(
                "eksforge::blueprint::wrong_type",
                format!(
                    "wrong type for `blueprint.extends`: expected a string, found {}",
                    extends.describe()
                ),
            )
            .at(
                &self.sources,
                extends.src,
                extends.span.clone(),
                "expected a path",
            )
            .with_help("`extends = \"../hardened.toml\"`: a path relative to this file"));
        };
        let parent = self.load_extends(base.join(target), extends)?;
        Ok(Node::merge(parent, root))
    }

    fn load_extends(&mut self, path: PathBuf, at: &Node) -> Result<Node, Problem> {
        let name = normalize(&path);
        let identity = std::fs::canonicalize(&path).unwrap_or_else(|_| name.clone());
        if let Some(start) = self.chain.iter().position(|(id, _)| *id == identity) {
            let cycle: Vec<String> = self.chain[start..]
                .iter()
                .map(|(_, shown)| shown.display().to_string())
                .chain(std::iter::once(name.display().to_string()))
                .collect();
            return Err(Problem::new(
                "eksforge::blueprint::extends_cycle",
                format!("`extends` cycle: {}", cycle.join(" → ")),
            )
            .at(&self.sources, at.src, at.span.clone(), "this closes the cycle")
            .with_help("a blueprint cannot extend itself, directly or through others; remove one `extends`"));
        }
        let from = self.sources.get(at.src).name.clone();
        let check_the_path = || {
            format!(
                "`extends` is resolved relative to the directory of {}; check the path",
                from.display()
            )
        };
        let (code, message, label, help) = match user_file::read(&path, MAX_BLUEPRINT_FILE_BYTES) {
            Ok(bytes) => return self.load_bytes(&path, bytes),
            Err(e) if e.is_not_found() => (
                "eksforge::blueprint::extends_missing",
                format!("extended blueprint `{}` not found", name.display()),
                "no such file",
                check_the_path(),
            ),
            Err(UserFileError::Io(e)) => (
                "eksforge::blueprint::extends_unreadable",
                format!("cannot read extended blueprint `{}`: {e}", name.display()),
                "cannot be read",
                check_the_path(),
            ),
            Err(refused) => (
                "eksforge::blueprint::extends_not_a_blueprint_file",
                format!(
                    "extended blueprint `{}` was not read: {refused}",
                    name.display()
                ),
                "not a blueprint file",
                not_a_blueprint_file_help(),
            ),
        };
        Err(Problem::new(code, message)
            .at(&self.sources, at.src, at.span.clone(), label)
            .with_help(help))
    }
}

/// The fix for a blueprint file that is not a regular file or is over the cap.
fn not_a_blueprint_file_help() -> String {
    format!(
        "a blueprint is a regular TOML file of at most {} (a symlink to one is fine); check that the path names the blueprint",
        user_file::bytes(MAX_BLUEPRINT_FILE_BYTES)
    )
}

/// Bytes to text, refusing what is not a UTF-8 text file, with the offending byte located.
fn decode(sources: &mut Sources, name: &Path, bytes: Vec<u8>) -> Result<Arc<str>, Problem> {
    let (offset, what, bytes) = match String::from_utf8(bytes) {
        Ok(text) => match text.find('\0') {
            None => return Ok(Arc::from(text)),
            Some(i) => (i, "a NUL byte".to_string(), text.into_bytes()),
        },
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[offset];
            let what = format!("the byte 0x{byte:02X}, which is not UTF-8");
            (offset, what, e.into_bytes())
        }
    };
    let id = sources.add(name.to_path_buf(), printable(&bytes, offset));
    Err(Problem::new(
        "eksforge::blueprint::not_text",
        format!("`{}` is not a TOML text file: it contains {what}", name.display()),
    )
    .at(sources, id, offset..offset + 1, "not text")
    .with_help(
        "a blueprint is a UTF-8 TOML text file; check that the path names the blueprint (not a binary) and re-save it as UTF-8",
    ))
}

/// The text before `offset` and the rest of its line (at most 40 bytes), with control and
/// non-UTF-8 bytes shown as `?`, byte for byte, so spans stay valid.
fn printable(bytes: &[u8], offset: usize) -> Arc<str> {
    let mut shown = String::with_capacity(offset + 40);
    let prefix = String::from_utf8_lossy(&bytes[..offset]);
    for c in prefix.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            shown.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            shown.push(c);
        }
    }
    let rest = &bytes[offset..];
    let end = rest
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(rest.len())
        .min(40);
    shown.extend(rest[..end].iter().map(|b| {
        if (0x20..0x7f).contains(b) {
            char::from(*b)
        } else {
            '?'
        }
    }));
    Arc::from(shown)
}

/// Parses one source's text into a tree; syntax errors and empty files become problems.
fn parse(sources: &Sources, src: SourceId, text: &str) -> Result<Node, Problem> {
    match toml::from_str::<Spanned<RawValue>>(text) {
        Ok(raw) => {
            let root = Node::from_raw(src, raw);
            if root.is_empty_table() {
                return Err(Problem::new(
                    "eksforge::blueprint::empty",
                    format!(
                        "blueprint `{}` is empty",
                        sources.get(src).name.display()
                    ),
                )
                .at(sources, src, 0..0, "nothing here")
                .with_help(
                    "start from a template (`eksforge init --template hardened DIR`), or write at least [blueprint] name and [network] vpc_cidr",
                ));
            }
            Ok(root)
        }
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            let help = unquoted_string_help(text, span.start).unwrap_or_else(|| {
                "fix the TOML syntax (https://toml.io): strings need double quotes, sections are [name], one key = value per line".to_string()
            });
            Err(Problem::new(
                "eksforge::blueprint::syntax",
                format!("invalid TOML: {message}"),
            )
            .at(sources, src, span, message)
            .with_help(help))
        }
    }
}

/// For `key = some text` (a string without quotes), the line as it should be.
fn unquoted_string_help(text: &str, offset: usize) -> Option<String> {
    let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let end = text
        .get(offset..)?
        .find('\n')
        .map_or(text.len(), |i| offset + i);
    let line = text.get(start..end)?;
    let (key, value) = line.split_once('=')?;
    let (key, value) = (key.trim(), value.trim());
    let literal = value.starts_with(['"', '\'', '[', '{'])
        || matches!(value, "true" | "false")
        || value.parse::<f64>().is_ok()
        || value
            .as_bytes()
            .get(..5)
            .is_some_and(|d| d[..4].iter().all(u8::is_ascii_digit) && d[4] == b'-')
        || value.is_empty()
        || key.is_empty()
        || key.starts_with('[');
    if literal {
        return None;
    }
    Some(format!(
        "strings need double quotes: `{key} = \"{}\"`",
        value.replace('"', "\\\"")
    ))
}

/// Applies one `--var KEY=VALUE` to the tree.
fn apply_var(sources: &mut Sources, root: &mut Node, var: &str) -> Result<(), Problem> {
    let src = sources.add(PathBuf::from(format!("--var {var}")), Arc::from(var));
    let bad = |sources: &Sources, span: Range<usize>, message: String, label: &str, help: &str| {
        Problem::new("eksforge::blueprint::bad_var", message)
            .at(sources, src, span, label)
            .with_help(help.to_string())
    };
    let Some((key, value)) = var.split_once('=') else {
        return Err(bad(
            sources,
            0..var.len(),
            format!("invalid --var `{var}`: expected KEY=VALUE"),
            "no `=` here",
            "write `--var network.nat=single`: a dotted key path, `=`, then a TOML value or plain text",
        ));
    };
    let key_trimmed = key.trim_end();
    let key_start = key.len() - key.trim_start().len();
    let key_text = key_trimmed.trim_start();
    let Some(segments) = parse_path(key_text) else {
        return Err(bad(
            sources,
            key_start..key_trimmed.len(),
            format!("invalid --var `{var}`: `{key_text}` is not a key path"),
            "not a key path",
            "the key is a dotted path such as `network.nat`, `cluster.endpoint_public` or `node_groups.0.desired_size`",
        ));
    };
    let segments: Vec<(Segment, Range<usize>)> = segments
        .into_iter()
        .map(|(s, r)| (s, r.start + key_start..r.end + key_start))
        .collect();
    let value_offset = key.len() + 1;
    let value_text = value.trim();
    let value_start = value_offset + (value.len() - value.trim_start().len());
    let node = parse_var_value(src, value_text, value_start);

    // Walk to the parent of the last segment, creating tables on the way.
    let mut current: &mut Node = root;
    let mut walked = String::new();
    for (i, (segment, span)) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let next_is_index = segments.get(i + 1).is_some_and(|(s, _)| is_index(s));
        let shown = if walked.is_empty() {
            "the blueprint".to_string()
        } else {
            format!("`{walked}`")
        };
        let kind_name = current.describe();
        match &mut current.kind {
            NodeKind::Array(items) => {
                let index = match segment {
                    Segment::Index(i) => Some(*i),
                    Segment::Key(k) => k.parse::<usize>().ok(),
                };
                let Some(index) = index else {
                    return Err(bad(
                        sources,
                        span.clone(),
                        format!(
                            "invalid --var `{var}`: {shown} is an array; `{}` is not an index",
                            seg_name(segment)
                        ),
                        "not an index",
                        "index arrays with a number from 0: `node_groups.0.desired_size`",
                    ));
                };
                let len = items.len();
                let Some(item) = items.get_mut(index) else {
                    return Err(bad(
                        sources,
                        span.clone(),
                        format!(
                            "invalid --var `{var}`: unknown index {index}, {shown} has {len} entr{}",
                            if len == 1 { "y" } else { "ies" }
                        ),
                        "no such entry",
                        &if len == 0 {
                            "an index can only change an entry the blueprint already has".to_string()
                        } else {
                            format!("use an index from 0 to {}", len - 1)
                        },
                    ));
                };
                if last {
                    *item = node;
                    return Ok(());
                }
                current = item;
            }
            NodeKind::Table(entries) => {
                let Segment::Key(key) = segment else {
                    return Err(bad(
                        sources,
                        span.clone(),
                        format!("invalid --var `{var}`: {shown} is a table, not an array"),
                        "cannot index a table",
                        "index only arrays such as `node_groups`",
                    ));
                };
                let position = entries.iter().position(|e| e.key == *key);
                if last {
                    let entry = Entry {
                        key: key.clone(),
                        key_src: src,
                        key_span: span.clone(),
                        value: node,
                    };
                    match position {
                        Some(p) => entries[p] = entry,
                        None => entries.push(entry),
                    }
                    return Ok(());
                }
                let position = match position {
                    Some(p) => p,
                    None if next_is_index => {
                        let full = if walked.is_empty() {
                            key.clone()
                        } else {
                            format!("{walked}.{key}")
                        };
                        return Err(bad(
                            sources,
                            span.clone(),
                            format!("invalid --var `{var}`: unknown index, the blueprint has no `{full}`"),
                            "not in the blueprint",
                            "an index can only change an entry the blueprint already has",
                        ));
                    }
                    None => {
                        entries.push(Entry {
                            key: key.clone(),
                            key_src: src,
                            key_span: span.clone(),
                            value: Node::empty_table(src, span.clone()),
                        });
                        entries.len() - 1
                    }
                };
                current = &mut entries[position].value;
            }
            _ => {
                return Err(bad(
                    sources,
                    span.clone(),
                    format!(
                        "invalid --var `{var}`: {shown} is {kind_name}, it has no `{}`",
                        seg_name(segment)
                    ),
                    "cannot go inside a value",
                    "shorten the key path to the key that holds the value",
                ));
            }
        }
        if !walked.is_empty() && !matches!(segment, Segment::Index(_)) {
            walked.push('.');
        }
        match segment {
            Segment::Key(k) => walked.push_str(k),
            Segment::Index(i) => walked.push_str(&format!("[{i}]")),
        }
    }
    Ok(())
}

fn is_index(segment: &Segment) -> bool {
    match segment {
        Segment::Index(_) => true,
        Segment::Key(k) => !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn seg_name(segment: &Segment) -> String {
    match segment {
        Segment::Key(k) => k.clone(),
        Segment::Index(i) => format!("[{i}]"),
    }
}

/// A `--var` value: a TOML value when it parses as one (`3`, `true`, `["a", "b"]`,
/// `"quoted"`), otherwise the text itself as a string. Spans point into the var's text, which
/// has the value at `start` (≥ 2: at least one key character and the `=`).
fn parse_var_value(src: SourceId, text: &str, start: usize) -> Node {
    // Pad so that the value sits at the same offset in `doc` as in the var.
    let doc = format!("v={}{text}", " ".repeat(start.saturating_sub(2)));
    let parsed = toml::from_str::<Spanned<RawValue>>(&doc)
        .ok()
        .map(|raw| Node::from_raw(src, raw))
        .and_then(|root| match root.kind {
            NodeKind::Table(mut entries) if entries.len() == 1 && entries[0].key == "v" => {
                entries.pop().map(|e| e.value)
            }
            _ => None,
        });
    match parsed {
        Some(mut node) => {
            if matches!(
                node.kind,
                NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_)
            ) {
                node.raw = Some(text.to_string());
            }
            node
        }
        None => Node {
            src,
            span: start..start + text.len(),
            kind: NodeKind::Str(text.to_string()),
            raw: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = "[blueprint]\nname = \"p\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n\n[[node_groups]]\nname = \"a\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n";

    #[test]
    fn the_base_is_valid() {
        assert!(load_str("p.toml", BASE, &[]).is_ok());
    }

    #[test]
    fn unquoted_strings_get_a_quoting_hint() {
        let text = "a = 1\nvpc_cidr = 10.0.0.0/16\n";
        assert_eq!(
            unquoted_string_help(text, 17).as_deref(),
            Some("strings need double quotes: `vpc_cidr = \"10.0.0.0/16\"`")
        );
        assert_eq!(unquoted_string_help("d = 2026-02-30\n", 4), None);
        assert_eq!(unquoted_string_help("[x\n", 1), None);
        assert_eq!(
            unquoted_string_help("k = é\n", 4).as_deref(),
            Some("strings need double quotes: `k = \"é\"`")
        );
    }

    #[test]
    fn printable_keeps_offsets() {
        let shown = printable(b"ab\x01c\xffdef\ngh", 4);
        assert_eq!(&*shown, "ab?c?def");
    }

    proptest! {
        #[test]
        fn any_var_is_applied_or_refused_without_panic(var in "[a-z_.\\[\\]0-9= \"-]{0,30}") {
            let result = load_str("p.toml", BASE, std::slice::from_ref(&var));
            if let Err(e) = result {
                for problem in e.problems() {
                    if let Some(at) = problem.location() {
                        prop_assert!(at.line >= 1 && at.column >= 1);
                    }
                }
            }
        }

        #[test]
        fn any_text_loads_or_fails_cleanly(text in "\\PC{0,200}") {
            let _ = load_str("x.toml", &text, &[]);
        }

        #[test]
        fn mutated_blueprints_fail_cleanly(cut in 0usize..BASE.len(), insert in "[\\[\\]=\"a-z0-9.{}, \n]{0,6}") {
            let mut text = BASE.to_string();
            if text.is_char_boundary(cut) {
                text.insert_str(cut, &insert);
            }
            let _ = load_str("x.toml", &text, &[]);
        }
    }
}
