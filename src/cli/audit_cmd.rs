//! `eksforge audit BLUEPRINT [--live] [--format text|json|sarif] [--fail-on SEVERITY]` and
//! `eksforge audit --cluster NAME`: the posture checks over the blueprint (no AWS call at all),
//! over the cluster it made, or over any cluster (read-only calls only).

use std::path::Path;

use miette::{miette, Result};

use super::console::{out, outln};
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::audit::view::Date;
use crate::operation;
use crate::ui;

pub async fn run(
    settings: &Settings,
    blueprint: Option<&Path>,
    live: bool,
    cluster: Option<&str>,
    format: &str,
) -> Result<ExitStatus> {
    let loaded = blueprint
        .map(|path| settings.load_blueprint(path))
        .transpose()?;
    let today = Date::today();
    let report = match (&loaded, live || cluster.is_some()) {
        (Some(loaded), false) => {
            operation::audit_blueprint(loaded, today).map_err(errors::operation)?
        }
        (_, true) => {
            let aws = settings.connect_for(loaded.as_ref()).await?;
            let name = cluster
                .map(str::to_string)
                .or_else(|| loaded.as_ref().map(|l| l.model.blueprint.name.clone()))
                .ok_or_else(|| {
                    miette!(
                        code = "eksforge::audit::usage",
                        help = "run `eksforge audit --live BLUEPRINT`, or `eksforge audit --cluster NAME --region REGION`",
                        "audit --live needs a blueprint or --cluster NAME to know which cluster to read"
                    )
                })?;
            operation::audit_live(&aws, loaded.as_ref(), &name, today)
                .await
                .map_err(errors::operation)?
        }
        (None, false) => {
            return Err(miette!(
                code = "eksforge::audit::usage",
                help = "run `eksforge audit BLUEPRINT`, or `eksforge audit --cluster NAME --region REGION`",
                "audit needs a blueprint or --cluster NAME"
            ))
        }
    };
    let threshold = settings.threshold(loaded.as_ref());
    match format {
        "json" => outln!("{}", ui::render_audit_json(&report)),
        "sarif" => {
            // SARIF locations are relative to the working directory; without it they would
            // point nowhere.
            let base = std::env::current_dir().map_err(|error| {
                miette!(
                    code = "eksforge::audit::cwd",
                    "cannot read the current directory (SARIF paths are relative to it): {error}"
                )
            })?;
            outln!("{}", ui::render_sarif(&report, &base))
        }
        _ => out!("{}", ui::render_audit(&report, settings.style)),
    }
    if report.blocking(threshold).is_empty() {
        Ok(ExitStatus::Success)
    } else {
        if format == "text" {
            outln!(
                "Failing: unwaived findings at or above {threshold} (change it with --fail-on or [audit] fail_on)."
            );
        }
        Ok(ExitStatus::Failure)
    }
}
