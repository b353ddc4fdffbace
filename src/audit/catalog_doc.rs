//! `docs/checks.md`, generated from the catalog so the page cannot drift from the code (the
//! test `checks_doc_is_current` compares them; `UPDATE_DOCS=1 cargo test checks_doc_is_current`
//! rewrites it): a table of every check, then one section per check, headed by its id, which
//! SARIF's `helpUri` links to ([`help_uri`]).

use super::checks;
use super::CheckMeta;

/// The repository, from `repository` in Cargo.toml: the one place to change it.
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// The heading of `check`'s section in `docs/checks.md`: its id alone, so the anchor stays
/// when a title is reworded.
fn heading(check: &CheckMeta) -> &'static str {
    check.id
}

/// The anchor GitHub gives a Markdown heading (as github-slugger does): lower case, characters
/// other than letters, digits, `-`, `_` and spaces dropped, spaces made `-`. Without the
/// `-1`, `-2` GitHub appends to repeated headings: check ids are unique.
pub fn github_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Where `check` is explained: its section of `docs/checks.md` on the repository's default
/// branch, as rendered by GitHub.
pub fn help_uri(check: &CheckMeta) -> String {
    format!(
        "{REPOSITORY}/blob/main/docs/checks.md#{}",
        github_anchor(heading(check))
    )
}

pub fn catalog_markdown() -> String {
    let mut out = String::from(
        "# Posture checks\n\n\
         Generated from the catalog in `src/audit/checks/` (one module per area, one entry per\n\
         check); the test `audit::catalog_doc::tests::checks_doc_is_current` fails when this page\n\
         is out of date (`UPDATE_DOCS=1 cargo test checks_doc_is_current` rewrites it).\n\n\
         Each check runs over the blueprint (`plan`, `apply`'s gate, `audit BLUEPRINT`: the\n\
         *desired* column) and/or over what the AWS API describes (`audit --live`,\n\
         `audit --cluster NAME`: the *live* column). Severities: **critical** reachable by anyone;\n\
         **high** a hardened-cluster property is missing; **medium** defence in depth or account\n\
         settings; **low** hygiene. `apply` refuses unwaived findings at or above `high` (see\n\
         `[audit] fail_on` and `[[waivers]]` in `docs/blueprint.md`).\n\n\
         | id | severity | title | desired | live | remediation | refs |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let mark = |on: bool| if on { "yes" } else { "—" };
    for check in checks::all() {
        let meta = &check.meta;
        out.push_str(&format!(
            "| [{}](#{}) | {} | {} | {} | {} | {} | {} |\n",
            meta.id,
            github_anchor(heading(meta)),
            meta.severity,
            meta.title.replace('|', "\\|"),
            mark(meta.desired),
            mark(meta.live),
            meta.remediation.replace('|', "\\|"),
            meta.refs.join(" · ").replace('|', "\\|"),
        ));
    }
    out.push_str(&format!("\nTotal: {} checks.\n", checks::all().len()));
    out.push_str("\n## The checks\n");
    for check in checks::all() {
        let meta = &check.meta;
        out.push_str(&format!(
            "\n### {}\n\n**{}** · severity **{}** · desired: {} · live: {}\n\n{}\n\n**Remediation:** {}\n",
            heading(meta),
            meta.title,
            meta.severity,
            mark(meta.desired),
            mark(meta.live),
            meta.rationale,
            meta.remediation,
        ));
        if !meta.refs.is_empty() {
            out.push_str(&format!("\n**References:** {}\n", meta.refs.join(" · ")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Anchors as GitHub makes them for headings like ours and a few harder ones.
    #[test]
    fn anchors_are_the_ones_github_makes() {
        assert_eq!(github_anchor("EKS-NET-002"), "eks-net-002");
        assert_eq!(github_anchor("The checks"), "the-checks");
        assert_eq!(
            github_anchor("EKS-NET-002: Public endpoint (any address)"),
            "eks-net-002-public-endpoint-any-address"
        );
        assert_eq!(github_anchor("snake_case & Co."), "snake_case--co");
    }

    /// Every rule's `helpUri` leads to a heading of `docs/checks.md`, as GitHub anchors it,
    /// under the repository Cargo.toml names.
    #[test]
    fn every_help_uri_points_at_a_heading_of_the_checks_page() {
        let page = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md"),
        )
        .expect("docs/checks.md");
        let anchors: Vec<String> = page
            .lines()
            .filter_map(|line| line.strip_prefix('#'))
            .map(|heading| github_anchor(heading.trim_start_matches('#')))
            .collect();
        assert!(
            REPOSITORY.starts_with("https://github.com/"),
            "{REPOSITORY}"
        );
        let prefix = format!("{REPOSITORY}/blob/main/docs/checks.md#");
        for check in checks::all() {
            let uri = help_uri(&check.meta);
            let anchor = uri
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{uri} is not under {prefix}"));
            assert!(
                anchors.iter().any(|a| a == anchor),
                "{}: no heading of docs/checks.md has the anchor #{anchor}",
                check.meta.id
            );
            assert_eq!(
                anchors.iter().filter(|a| *a == anchor).count(),
                1,
                "{anchor} repeats (GitHub would number it)"
            );
        }
    }

    #[test]
    fn checks_doc_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md");
        let expected = catalog_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).expect("write docs/checks.md");
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            actual, expected,
            "docs/checks.md is stale: UPDATE_DOCS=1 cargo test checks_doc_is_current"
        );
    }
}
