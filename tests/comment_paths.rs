//! Comments point only at this repository: every path a comment in `src/` or `tests/` names
//! (`src/…`, `tests/…`, `docs/…`, `scripts/…`, `benches/…`, or a Markdown file named at the
//! root) exists, and no comment cites a web address or an issue number, which a reader of
//! the checkout cannot follow and which go stale without a test noticing.

mod rust_source;

use std::path::Path;

/// The folders a repository path in a comment starts with. (`blueprints/…` is left out: in
/// comments it is mostly an example of a user's path.)
const ROOTS: [&str; 5] = ["src/", "tests/", "docs/", "scripts/", "benches/"];

/// Characters a path token is made of.
fn in_path(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '*')
}

/// The problems in one comment line.
fn problems_in(comment: &str, exists: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut problems = Vec::new();
    let chars: Vec<(usize, char)> = comment.char_indices().collect();
    for (index, &(offset, c)) in chars.iter().enumerate() {
        let before = index
            .checked_sub(1)
            .and_then(|i| chars.get(i))
            .map(|&(_, c)| c);
        let starts_token = before.is_none_or(|b| !in_path(b));
        let rest = &comment[offset..];
        if starts_token && (rest.starts_with("http://") || rest.starts_with("https://")) {
            let after = rest.split_once("//").map(|(_, a)| a).unwrap_or_default();
            if after.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                let address: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                problems.push(format!("a web address: {address}"));
            }
            continue;
        }
        if c == '#' && before.is_none_or(|b| b.is_whitespace() || b == '(') {
            let digits: String = rest[1..].chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() {
                problems.push(format!("an issue number: #{digits}"));
            }
            continue;
        }
        if !starts_token || !c.is_alphanumeric() {
            continue;
        }
        let token: String = rest.chars().take_while(|&c| in_path(c)).collect();
        let token = token.trim_end_matches(['.', '-']);
        let is_repo_path = ROOTS.iter().any(|root| token.starts_with(root));
        let is_root_doc = token.ends_with(".md") && !token.contains('/');
        if (is_repo_path || is_root_doc) && !exists(token) {
            problems.push(format!("a path not in the repository: {token}"));
        }
    }
    problems
}

/// Whether a path (possibly with `*` in its file name) names something in the checkout.
fn exists_in(root: &Path, path: &str) -> bool {
    let Some((dir, pattern)) = path.trim_end_matches('/').rsplit_once('/') else {
        return root.join(path).exists();
    };
    if !pattern.contains('*') {
        return root.join(path).exists();
    }
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
        return false;
    };
    entries.filter_map(Result::ok).any(|entry| {
        let name = entry.file_name();
        glob_matches(pattern, &name.to_string_lossy())
    })
}

/// `*` matches any run of characters; everything else itself.
fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head)
                && (0..=name.len() - head.len()).any(|skip| {
                    name.is_char_boundary(head.len() + skip)
                        && glob_matches(tail, &name[head.len() + skip..])
                })
        }
    }
}

#[test]
fn comments_name_only_paths_in_this_repository() {
    let root = rust_source::repo_root();
    let exists = |path: &str| exists_in(&root, path);
    let mut problems = Vec::new();
    for dir in ["src", "tests"] {
        for file in rust_source::read_tree(dir) {
            for (line, comment) in &file.comments {
                for problem in problems_in(comment, &exists) {
                    problems.push(format!("{}:{line}: {problem}", file.path));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} comments point outside this repository (name a file here, or say it in words):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_check_finds_addresses_issues_and_missing_paths() {
    let exists = |path: &str| path == "src/lib.rs" || path == "README.md";
    let found = |comment: &str| problems_in(comment, &exists);
    assert!(found("// see src/lib.rs, and README.md.").is_empty());
    assert!(found("// IAM reports the URL without `https://`").is_empty());
    assert!(found("// #[cfg(test)] and a[#0] are code").is_empty());
    assert_eq!(
        found("// as https://example.com/x says (#12); see src/gone.rs and MOTO.md"),
        [
            "a web address: https://example.com/x",
            "an issue number: #12",
            "a path not in the repository: src/gone.rs",
            "a path not in the repository: MOTO.md",
        ]
    );
    assert!(glob_matches("provider_*.rs", "provider_iam.rs"));
    assert!(!glob_matches("provider_*.rs", "providers.rs"));
}
