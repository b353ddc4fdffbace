//! Reads the Rust sources under `src/` the way the layer check (`tests/layers.rs`) and the
//! comment check (`tests/comment_paths.rs`) need them: the code with comments and literals
//! blanked out (a path in a string or a doc comment is no dependency), the comment text of
//! every line, and which code is test-only (`#[cfg(test)]` items and the files they load).
//!
//! A small scanner rather than a parser: it only has to tell code, comments and literals
//! apart, which needs no knowledge of Rust's grammar beyond its tokens' delimiters.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One file of `src/`, split into code and comments.
pub struct SourceFile {
    /// The path from the repository root, with `/` separators (`src/ui/plan_text.rs`).
    pub path: String,
    /// The text with every comment and literal character replaced by a space (newlines kept,
    /// so byte offsets and line numbers match the file).
    pub code: String,
    /// The comment text on each line, as `(line, text)`, 1-based, in file order.
    pub comments: Vec<(usize, String)>,
    /// True when the whole file is compiled for tests only.
    pub test_only: bool,
}

impl SourceFile {
    /// The 1-based line of a byte offset into `code`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.code[..offset].matches('\n').count() + 1
    }

    /// `code` with every `#[cfg(test)]` item blanked out as well.
    pub fn code_outside_tests(&self) -> String {
        if self.test_only {
            return blank(&self.code, 0, self.code.len());
        }
        let mut code = self.code.clone();
        for (start, end, _) in test_items(&self.code) {
            code = blank(&code, start, end);
        }
        code
    }
}

/// The repository root (where `Cargo.toml` is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir` (a path from the repository root), sorted, read and split.
pub fn read_tree(dir: &str) -> Vec<SourceFile> {
    let root = repo_root();
    let mut paths = Vec::new();
    collect_rs(&root.join(dir), &mut paths);
    paths.sort();
    let mut files: Vec<SourceFile> = paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
            let relative = path
                .strip_prefix(&root)
                .expect("under the repository")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            split(&relative, &text)
        })
        .collect();
    // Files loaded by a `#[cfg(test)] mod name;` are test code throughout.
    let test_modules: BTreeSet<String> = files
        .iter()
        .flat_map(|file| {
            test_items(&file.code)
                .into_iter()
                .filter_map(|(_, _, module)| module)
                .flat_map(|module| module_files(&file.path, &module))
                .collect::<Vec<_>>()
        })
        .collect();
    for file in &mut files {
        file.test_only = test_modules.contains(&file.path);
    }
    files
}

fn collect_rs(dir: &Path, into: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|error| panic!("read {}: {error}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_rs(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// The files `mod name;` in `path` may load: `name.rs` or `name/mod.rs` beside a `mod.rs`,
/// `lib.rs` or `main.rs`, else in the directory named after the file.
fn module_files(path: &str, module: &str) -> Vec<String> {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let base = if matches!(file, "mod.rs" | "lib.rs" | "main.rs") {
        dir.to_string()
    } else {
        format!("{dir}/{}", file.trim_end_matches(".rs"))
    };
    vec![
        format!("{base}/{module}.rs"),
        format!("{base}/{module}/mod.rs"),
    ]
}

#[derive(Clone, Copy, PartialEq)]
enum Class {
    Code,
    Comment,
    Literal,
}

/// Splits a file's text into code (comments and literals blanked) and per-line comments.
pub fn split(path: &str, text: &str) -> SourceFile {
    let chars: Vec<char> = text.chars().collect();
    let classes = classify(&chars);
    let mut code = String::with_capacity(text.len());
    let mut comments: Vec<(usize, String)> = Vec::new();
    let mut line = 1;
    let mut current = String::new();
    for (&c, &class) in chars.iter().zip(&classes) {
        if c == '\n' {
            if !current.trim().is_empty() {
                comments.push((line, std::mem::take(&mut current)));
            }
            current.clear();
            code.push('\n');
            line += 1;
            continue;
        }
        match class {
            Class::Code => code.push(c),
            Class::Comment => {
                current.push(c);
                push_blank(&mut code, c);
            }
            Class::Literal => push_blank(&mut code, c),
        }
    }
    if !current.trim().is_empty() {
        comments.push((line, current));
    }
    SourceFile {
        path: path.to_string(),
        code,
        comments,
        test_only: false,
    }
}

/// Keeps byte offsets equal between the file and its blanked code.
fn push_blank(code: &mut String, c: char) {
    code.extend(std::iter::repeat_n(' ', c.len_utf8()));
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn classify(chars: &[char]) -> Vec<Class> {
    let mut classes = vec![Class::Code; chars.len()];
    let at = |i: usize| chars.get(i).copied();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let c = chars[i];
        let class = if c == '/' && at(i + 1) == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            Class::Comment
        } else if c == '/' && at(i + 1) == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            Class::Comment
        } else if let Some(end) = raw_string_end(chars, i) {
            i = end;
            Class::Literal
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            Class::Literal
        } else if c == '\'' && at(i + 1) == Some('\\') {
            // An escaped character literal: `'\n'`, `'\''`, `'\u{1F600}'`.
            i += 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            Class::Literal
        } else if c == '\'' && at(i + 2) == Some('\'') {
            i += 3;
            Class::Literal
        } else {
            // Code, a lifetime's quote included.
            i += 1;
            Class::Code
        };
        let end = i.min(chars.len());
        classes[start..end].fill(class);
        i = end.max(start + 1);
    }
    classes
}

/// Where a raw string starting at `i` (`r"…"`, `r#"…"#`, `br#"…"#`) ends, if one does.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && is_ident(chars[i - 1]) {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    j += hashes;
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"'
            && chars[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The byte ranges of `#[cfg(test)]` items in blanked code, with the module name when the
/// item is `mod name;` (a test-only file).
fn test_items(code: &str) -> Vec<(usize, usize, Option<String>)> {
    const MARK: &str = "#[cfg(test)]";
    let bytes = code.as_bytes();
    let mut items = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find(MARK) {
        let start = from + found;
        let mut i = start + MARK.len();
        // Further attributes of the same item.
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if code[i..].starts_with("#[") {
                i = matching(bytes, i + 1, b'[', b']');
            } else {
                break;
            }
        }
        let header_start = i;
        while i < bytes.len() && bytes[i] != b'{' && bytes[i] != b';' {
            i += 1;
        }
        let (end, module) = if i < bytes.len() && bytes[i] == b';' {
            let header = &code[header_start..i];
            let module = header
                .split_whitespace()
                .skip_while(|word| *word != "mod")
                .nth(1)
                .map(str::to_string);
            (i + 1, module)
        } else {
            (matching(bytes, i, b'{', b'}'), None)
        };
        items.push((start, end.min(bytes.len()), module));
        from = end.min(bytes.len());
    }
    items
}

/// The offset just past the delimiter closing the one at `open`.
fn matching(bytes: &[u8], open: usize, left: u8, right: u8) -> usize {
    let mut depth = 0;
    for (offset, &byte) in bytes.iter().enumerate().skip(open) {
        if byte == left {
            depth += 1;
        } else if byte == right {
            depth -= 1;
            if depth == 0 {
                return offset + 1;
            }
        }
    }
    bytes.len()
}

fn blank(code: &str, start: usize, end: usize) -> String {
    let mut out = String::with_capacity(code.len());
    out.push_str(&code[..start]);
    out.extend(code[start..end].chars().flat_map(|c| {
        let width = if c == '\n' { 0 } else { c.len_utf8() };
        std::iter::repeat_n(' ', width).chain((c == '\n').then_some('\n'))
    }));
    out.push_str(&code[end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_literals_are_not_code() {
        let text = "use crate::a; // crate::b\nlet s = \"crate::c\"; let r = r#\"crate::d\"#;\n/* crate::e\n */ fn f<'a>(c: char) -> bool { c == '\"' }\n// → é\n";
        let file = split("src/x.rs", text);
        assert_eq!(file.code.len(), text.len(), "byte offsets are kept");
        assert!(file.code.contains("crate::a"));
        for hidden in ["crate::b", "crate::c", "crate::d", "crate::e"] {
            assert!(!file.code.contains(hidden), "{hidden} in {}", file.code);
        }
        assert!(file.code.contains("fn f<'a>(c: char) -> bool { c ==     }"));
        assert_eq!(file.comments[0], (1, "// crate::b".to_string()));
        assert_eq!(file.comments[1], (3, "/* crate::e".to_string()));
        assert_eq!(file.comments[2], (4, " */".to_string()));
    }

    #[test]
    fn test_items_are_blanked() {
        let file = split(
            "src/x.rs",
            "use crate::a;\n#[cfg(test)]\n#[allow(unused)]\nmod tests { fn f() { crate::b::g(); } }\n#[cfg(test)]\nmod fixture;\n",
        );
        let code = file.code_outside_tests();
        assert!(code.contains("crate::a"));
        assert!(!code.contains("crate::b"));
        assert_eq!(
            test_items(&file.code)
                .into_iter()
                .filter_map(|(_, _, module)| module)
                .collect::<Vec<_>>(),
            ["fixture"]
        );
        assert_eq!(
            module_files("src/a/view.rs", "fixture")[0],
            "src/a/view/fixture.rs"
        );
        assert_eq!(
            module_files("src/a/mod.rs", "fixture")[0],
            "src/a/fixture.rs"
        );
    }
}
