//! `eksforge adopt --cluster NAME --out DIR [--harden]`: writes the blueprint and state of a
//! cluster another tool made (`operation::adopt`); nothing in AWS is changed.

use std::path::Path;

use miette::Result;

use super::console::{out, outln};
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::operation::adopt::{adopt_draft, adopt_record};
use crate::ui;

pub async fn run(
    settings: &Settings,
    cluster: &str,
    out_dir: &Path,
    harden: bool,
) -> Result<ExitStatus> {
    let aws = settings.connect_for(None).await?;
    let draft = adopt_draft(&aws, cluster, harden)
        .await
        .map_err(errors::operation)?;
    let backend = settings.backend(&draft.loaded)?;
    let state = backend.describe();
    let adoption = adopt_record(&aws, draft, &backend, out_dir)
        .await
        .map_err(errors::operation)?;
    outln!(
        "Adopted cluster {cluster} ({}): {} resources recorded in {state}; nothing in AWS was changed.",
        aws.region,
        adoption.recorded
    );
    outln!("  blueprint: {}", adoption.blueprint.display());
    outln!("  report:    {}", adoption.report_file.display());
    let report = &adoption.report;
    for (title, items) in [
        ("Expressed, but not exactly", &report.differs),
        ("Left alone", &report.left_alone),
        ("To do by hand", &report.to_do),
    ] {
        if !items.is_empty() {
            outln!("\n{title}:");
            for item in items {
                outln!("  - {item}");
            }
        }
    }
    outln!("\nThe first plan of the blueprint:\n");
    out!("{}", ui::render_plan(&adoption.plan, settings.style));
    outln!(
        "\nReview it with `eksforge plan {}` (with the posture it changes).",
        adoption.blueprint.display()
    );
    Ok(ExitStatus::Success)
}
