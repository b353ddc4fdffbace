//! The texts a blueprint was read from: files along the `extends` chain and one pseudo-source per
//! `--var`. Nodes and problems refer to them by [`SourceId`]; positions are byte ranges.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use serde::{Deserialize, Serialize};

/// A position in a blueprint source: the file (or `--var KEY=VALUE` pseudo-source), the 1-based
/// line and column (in characters) of the start, and the byte span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub span: Range<usize>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SourceId(pub(crate) usize);

#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// As shown to the user: the path as given (lexically normalised) or `--var KEY=VALUE`.
    pub(crate) name: PathBuf,
    pub(crate) text: Arc<str>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    list: Vec<Source>,
}

impl Sources {
    pub(crate) fn add(&mut self, name: PathBuf, text: Arc<str>) -> SourceId {
        self.list.push(Source { name, text });
        SourceId(self.list.len() - 1)
    }

    pub(crate) fn get(&self, id: SourceId) -> &Source {
        &self.list[id.0]
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Source> {
        self.list.iter()
    }

    /// Source `id` as miette reads it for a snippet.
    pub(crate) fn named(&self, id: SourceId) -> SnippetSource {
        let source = self.get(id);
        SnippetSource {
            name: source.name.display().to_string(),
            text: source.text.clone(),
        }
    }

    pub(crate) fn location(&self, id: SourceId, span: Range<usize>) -> Location {
        let source = self.get(id);
        let (line, column) = line_column(&source.text, span.start);
        Location {
            file: source.name.clone(),
            line,
            column,
            span,
        }
    }
}

/// A named source text for miette's snippets. miette counts the column of the
/// `[file:line:column]` above a snippet in bytes; this one reports it in characters (Unicode
/// scalar values), as editors, rustc and [`Location`] do, so the two agree after non-ASCII text.
#[derive(Debug, Clone)]
pub(crate) struct SnippetSource {
    name: String,
    text: Arc<str>,
}

impl SourceCode for SnippetSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents =
            self.text
                .as_ref()
                .read_span(span, context_lines_before, context_lines_after)?;
        // miette sets a column only for a span read without lines before it (the header's).
        let column = if context_lines_before == 0 {
            line_column(&self.text, span.offset()).1 - 1
        } else {
            contents.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end or inside a
/// character are clamped.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A JSON parse error where editors put it: serde_json counts the column in bytes, this in
/// characters (Unicode scalar values), like [`Location`]. For every JSON text eksforge reads
/// and reports on: state files, saved plans, add-on configuration values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonErrorAt {
    /// serde_json's message without its position.
    pub detail: String,
    /// 1-based; 0 when serde_json gives no position (a wrong shape found after reading).
    pub line: usize,
    /// 1-based, in characters; 0 with `line`.
    pub column: usize,
}

impl JsonErrorAt {
    /// `error`, raised reading `text`, with its column counted in characters.
    pub fn of(text: &[u8], error: &serde_json::Error) -> JsonErrorAt {
        let (line, byte_column) = (error.line(), error.column());
        let message = error.to_string();
        let position = format!(" at line {line} column {byte_column}");
        let detail = message
            .strip_suffix(&position)
            .unwrap_or(&message)
            .to_string();
        JsonErrorAt {
            detail,
            line,
            column: character_column(text, line, byte_column),
        }
    }
}

impl std::fmt::Display for JsonErrorAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            f.write_str(&self.detail)
        } else {
            write!(
                f,
                "{} at line {} column {}",
                self.detail, self.line, self.column
            )
        }
    }
}

/// The 1-based column in characters of 1-based byte column `byte_column` on 1-based `line` of
/// `text`: the characters that start within the line's first `byte_column` bytes (text that is
/// not UTF-8 counts a byte per character).
fn character_column(text: &[u8], line: usize, byte_column: usize) -> usize {
    let line_start = match line {
        0 => return byte_column,
        1 => 0,
        line => text
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .nth(line - 2)
            .map_or(text.len(), |(index, _)| index + 1),
    };
    let end = line_start.saturating_add(byte_column).min(text.len());
    let prefix = text.get(line_start..end).unwrap_or_default();
    match std::str::from_utf8(prefix) {
        Ok(valid) => valid.chars().count(),
        // Cut inside the last character, or not UTF-8 at all: count what starts here.
        Err(error) if error.error_len().is_none() => {
            prefix[..error.valid_up_to()]
                .iter()
                .filter(|b| (**b & 0xC0) != 0x80)
                .count()
                + 1
        }
        Err(_) => prefix.len(),
    }
}

/// `a/b/../c.toml` → `a/c.toml`, without touching the file system (no symlink resolution, no
/// absolute path), so messages show the path the way the user would write it.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // `=` after the two-byte `é`.
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(line_column(text, 8), (2, 2)); // inside `é`: clamped
        assert_eq!(line_column(text, 999), (3, 1));
    }

    /// A JSON error after non-ASCII text is placed at the character editors show, not at
    /// serde_json's byte count.
    #[test]
    fn json_errors_count_columns_in_characters() {
        let text = "{\n  \"name\": \"é€😀\", oops\n}\n";
        let error = serde_json::from_str::<serde_json::Value>(text).expect_err("invalid");
        assert_eq!(error.column(), 24, "serde_json counts bytes");
        let at = JsonErrorAt::of(text.as_bytes(), &error);
        assert_eq!((at.line, at.column), (2, 18));
        assert_eq!(at.to_string(), "key must be a string at line 2 column 18");
        let ascii = "[1, 2,, 3]";
        let error = serde_json::from_str::<serde_json::Value>(ascii).expect_err("invalid");
        let at = JsonErrorAt::of(ascii.as_bytes(), &error);
        assert_eq!((at.line, at.column), (error.line(), error.column()));
        // An error inside a multi-byte character counts that character.
        assert_eq!(character_column("aé".as_bytes(), 1, 2), 2);
        assert_eq!(character_column(b"a\xff\xfeb", 1, 3), 3);
    }

    /// The `[file:line:column]` miette prints above a snippet is the problem's [`Location`],
    /// in characters, also after non-ASCII text on the line (miette itself counts bytes).
    #[test]
    fn the_snippet_header_counts_characters_like_the_location() {
        let text = "[blueprint]\nname = \"demo\"\ntags = { \"équipe→ops\" = \"x\", team = 5 }\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n";
        let error = crate::blueprint::load_str("u.toml", text, &[]).expect_err("a number tag");
        let location = error.problems()[0].location().cloned().expect("located");
        assert_eq!(
            (location.line, location.column),
            (3, 37),
            "bytes would say 40"
        );
        let mut rendered = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut rendered, &error)
            .expect("renders");
        assert!(rendered.contains("[u.toml:3:37]"), "{rendered}");
    }

    #[test]
    fn normalize_removes_dot_dot_lexically() {
        assert_eq!(
            normalize(Path::new("blueprints/examples/../hardened.toml")),
            PathBuf::from("blueprints/hardened.toml")
        );
        assert_eq!(normalize(Path::new("./a.toml")), PathBuf::from("a.toml"));
        assert_eq!(
            normalize(Path::new("../a.toml")),
            PathBuf::from("../a.toml")
        );
        assert_eq!(
            normalize(Path::new("/x/../a.toml")),
            PathBuf::from("/a.toml")
        );
    }
}
