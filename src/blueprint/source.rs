//! The texts a blueprint was read from: files along the `extends` chain and one pseudo-source per
//! `--var`. Nodes and problems refer to them by [`SourceId`]; positions are byte ranges.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;
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

    pub(crate) fn named(&self, id: SourceId) -> NamedSource<Arc<str>> {
        let source = self.get(id);
        NamedSource::new(source.name.display().to_string(), source.text.clone())
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
