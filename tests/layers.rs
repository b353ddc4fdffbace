//! The layers keep one direction: every `crate::` path in `src/` (in a `use` or inline)
//! reaches only modules its own module's row in the table under "Dependency direction" in
//! `docs/architecture.md` allows. The test reads that table, so the code map and the check
//! cannot drift apart; a failure lists every forbidden edge with file and line.

mod rust_source;

use std::collections::{BTreeMap, BTreeSet};

use rust_source::SourceFile;

const DOC: &str = "docs/architecture.md";
const SECTION: &str = "## Dependency direction";

/// The table under the section heading: module → the modules it may use.
fn allowed_edges(doc: &str) -> BTreeMap<String, BTreeSet<String>> {
    let section = doc
        .split_once(SECTION)
        .unwrap_or_else(|| panic!("{DOC} has no \"{SECTION}\" section"))
        .1;
    let section = section.split("\n## ").next().unwrap_or_default();
    let mut table = BTreeMap::new();
    for line in section.lines().filter(|line| line.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [module, uses] = cells[..] else {
            panic!("{DOC}: a dependency row has two cells: {line}");
        };
        let Some(module) = backticked(module).into_iter().next() else {
            continue; // the header and its rule
        };
        let uses: BTreeSet<String> = backticked(uses).into_iter().collect();
        assert!(
            table.insert(module.clone(), uses).is_none(),
            "{DOC}: two rows for `{module}`"
        );
    }
    assert!(!table.is_empty(), "{DOC}: no table under \"{SECTION}\"");
    table
}

/// The `names` written in backticks in a table cell.
fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The top-level module a file under `src/` belongs to (`src/ui/plan_text.rs` → `ui`), or
/// none for the crate roots.
fn module_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("src/")?;
    let first = rest.split('/').next()?;
    match first {
        "lib.rs" | "main.rs" => None,
        _ => Some(first.trim_end_matches(".rs").to_string()),
    }
}

/// One `crate::` path outside test code: where, and the top-level module it names.
struct Use {
    line: usize,
    target: String,
    text: String,
}

/// Every top-level module a file's non-test code names through `crate::` (also in groups,
/// `use crate::{a::X, b}`).
fn crate_uses(file: &SourceFile) -> Vec<Use> {
    let code = file.code_outside_tests();
    let mut uses = Vec::new();
    for (offset, _) in code.match_indices("crate::") {
        let before = code[..offset].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `foo_crate::`, not ours
        }
        let rest = &code[offset + "crate::".len()..];
        let targets: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
            top_level_names(group)
        } else {
            vec![ident(rest)]
        };
        let text: String = code[offset..]
            .chars()
            .take_while(|c| !matches!(c, ';' | '\n' | '(' | ')' | ',' | ' '))
            .collect();
        for target in targets.into_iter().filter(|t| !t.is_empty()) {
            uses.push(Use {
                line: file.line_of(offset),
                target,
                text: text.clone(),
            });
        }
    }
    uses
}

fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The first name of every item in a `{…}` use group (the text after the `{`).
fn top_level_names(group: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0;
    let mut expecting = true;
    for (offset, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && depth == 0 && (c.is_alphanumeric() || c == '_') => {
                names.push(ident(&group[offset..]));
                expecting = false;
            }
            _ => {}
        }
    }
    names
}

#[test]
fn every_crate_path_in_src_follows_the_dependency_table() {
    let doc = std::fs::read_to_string(rust_source::repo_root().join(DOC)).expect("read the doc");
    let table = allowed_edges(&doc);
    let files = rust_source::read_tree("src");
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&f.path)).collect();

    let mut problems = Vec::new();
    for module in &modules {
        if !table.contains_key(module) {
            problems.push(format!(
                "src/{module}: no row for `{module}` in the table under \"{SECTION}\" in {DOC}"
            ));
        }
    }
    for (module, uses) in &table {
        for used in uses.iter().filter(|used| !table.contains_key(*used)) {
            problems.push(format!(
                "{DOC}: `{module}` may use `{used}`, which has no row of its own"
            ));
        }
    }
    for file in &files {
        let Some(module) = module_of(&file.path) else {
            continue;
        };
        let Some(allowed) = table.get(&module) else {
            continue; // reported above
        };
        for found in crate_uses(file) {
            if found.target == module || !modules.contains(&found.target) {
                continue; // within the module, or a crate-root item
            }
            if !allowed.contains(&found.target) {
                problems.push(format!(
                    "{}:{}: {module} → {} (`{}`)",
                    file.path, found.line, found.target, found.text
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} dependencies the table under \"{SECTION}\" in {DOC} does not allow \
         (change the code, or the table in the same commit as the boundary):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The one file of `src/` that touches the standard streams (`docs/architecture.md`, `cli/`).
const CONSOLE: &str = "src/cli/console.rs";

/// What writes to, or reads from, a standard stream directly. `println!` and friends panic
/// when the stream is a closed pipe (`eksforge apply … | head -1`), which would abandon an
/// apply in flight; `cli/console.rs` stops printing instead.
const STREAM_ACCESS: [&str; 8] = [
    "println!",
    "print!",
    "eprintln!",
    "eprint!",
    "dbg!",
    "stdout()",
    "stderr()",
    "stdin()",
];

/// Each direct use of a standard stream in a file's non-test code: (line, what).
fn stream_accesses(file: &SourceFile) -> Vec<(usize, &'static str)> {
    let code = file.code_outside_tests();
    let mut found = Vec::new();
    for needle in STREAM_ACCESS {
        for (offset, _) in code.match_indices(needle) {
            let before = code[..offset].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `eprint!` inside `print!`'s search, `my_stdout()`
            }
            found.push((file.line_of(offset), needle));
        }
    }
    found.sort();
    found
}

#[test]
fn only_the_console_module_touches_the_standard_streams() {
    let files = rust_source::read_tree("src");
    assert!(
        files.iter().any(|file| file.path == CONSOLE),
        "{CONSOLE} is missing: update this test with the module that owns the streams"
    );
    let problems: Vec<String> = files
        .iter()
        .filter(|file| file.path != CONSOLE)
        .flat_map(|file| {
            stream_accesses(file)
                .into_iter()
                .map(move |(line, what)| format!("{}:{line}: {what}", file.path))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{} direct uses of a standard stream outside {CONSOLE}: print with its `out!`, \
         `outln!`, `err!`, `errln!` (they never panic on a closed pipe) or its functions:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_stream_scan_finds_prints_but_not_lookalikes() {
    let file = rust_source::split(
        "src/x.rs",
        "fn f() {\n    println!(\"a\");\n    eprint!(\"b\");\n    my_stdout();\n    \
         // println!(\"c\")\n    let s = \"print!(\";\n    std::io::stdin();\n}\n\
         #[cfg(test)]\nmod tests { fn g() { println!(); } }\n",
    );
    assert_eq!(
        stream_accesses(&file),
        [(2, "println!"), (3, "eprint!"), (7, "stdin()")]
    );
}

#[test]
fn the_table_parser_reads_rows_and_groups() {
    let doc = "# x\n\n## Dependency direction\n\ntext\n\n| Module | May use |\n|---|---|\n\
               | `a` | nothing |\n| `b` | `a` |\n\n## Testing\n| `c` | `a` |\n";
    let table = allowed_edges(doc);
    assert_eq!(table.len(), 2, "{table:?}");
    assert!(table["a"].is_empty());
    assert_eq!(table["b"], BTreeSet::from(["a".to_string()]));

    let file = rust_source::split(
        "src/b/x.rs",
        "use crate::{a::X, c::{D, E}};\nfn f() { crate::e::g(); my_crate::h(); }\n",
    );
    let found: Vec<(usize, String)> = crate_uses(&file)
        .into_iter()
        .map(|u| (u.line, u.target))
        .collect();
    assert_eq!(
        found,
        [
            (1, "a".to_string()),
            (1, "c".to_string()),
            (2, "e".to_string())
        ]
    );
    assert_eq!(module_of("src/ui/plan_text.rs").as_deref(), Some("ui"));
    assert_eq!(module_of("src/graph.rs").as_deref(), Some("graph"));
    assert_eq!(module_of("src/lib.rs"), None);
}
