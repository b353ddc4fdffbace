//! `eksforge init [--template NAME] DIR`

use std::path::Path;

use miette::{miette, IntoDiagnostic, Result};

use super::console::outln;
use super::ExitStatus;
use crate::blueprint::{schema, templates};

pub fn run(template: &str, dir: &Path) -> Result<ExitStatus> {
    let text = templates::by_name(template).ok_or_else(|| {
        miette!(
            code = "eksforge::init::template",
            help = format!("available templates: {}", templates::NAMES.join(", ")),
            "no template named `{template}`"
        )
    })?;
    std::fs::create_dir_all(dir).into_diagnostic()?;
    let path = dir.join(format!("{template}.toml"));
    if path.exists() {
        return Err(miette!(
            code = "eksforge::init::exists",
            help = "choose another directory, or delete the file first",
            "{} already exists: not overwriting it",
            path.display()
        ));
    }
    // Editors find the schema next to the blueprint (the template points at the repository's
    // copy, which a new directory does not have).
    let text = text.replacen(
        "#:schema ../docs/blueprint.schema.json",
        "#:schema ./blueprint.schema.json",
        1,
    );
    std::fs::write(&path, text).into_diagnostic()?;
    std::fs::write(dir.join("blueprint.schema.json"), schema::schema_text()).into_diagnostic()?;
    outln!(
        "Wrote {} (and blueprint.schema.json for editor completion).",
        path.display()
    );
    outln!(
        "Next: edit [blueprint] name and region, then `eksforge plan {}`.",
        path.display()
    );
    Ok(ExitStatus::Success)
}
