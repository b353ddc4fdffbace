//! `docs/checks.md`, generated from the catalog so the page cannot drift from the code (the
//! test `checks_doc_is_current` compares them; `UPDATE_DOCS=1 cargo test checks_doc_is_current`
//! rewrites it).

use super::checks;

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
    for check in checks::all() {
        let meta = &check.meta;
        let mark = |on: bool| if on { "yes" } else { "—" };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            meta.id,
            meta.severity,
            meta.title.replace('|', "\\|"),
            mark(meta.desired),
            mark(meta.live),
            meta.remediation.replace('|', "\\|"),
            meta.refs.join(" · ").replace('|', "\\|"),
        ));
    }
    out.push_str(&format!("\nTotal: {} checks.\n", checks::all().len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
