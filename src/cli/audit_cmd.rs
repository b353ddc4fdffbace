//! `eksforge audit BLUEPRINT [--live] [--format text|json|sarif] [--fail-on SEVERITY]` and
//! `eksforge audit --cluster NAME`: the posture checks over the blueprint (no AWS call at all),
//! over the cluster it made, or over any cluster (read-only calls only).

use std::path::Path;

use miette::{miette, Result};

use super::errors;
use super::session::{desired, offline_placement, Settings};
use super::ExitStatus;
use crate::audit::report::Report;
use crate::audit::view::Date;
use crate::audit::{self, waivers, Severity};
use crate::blueprint::LoadedBlueprint;
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
        (Some(loaded), false) => desired_report(loaded, today)?,
        (_, true) => live_report(settings, loaded.as_ref(), cluster, today).await?,
        (None, false) => {
            return Err(miette!(
                code = "eksforge::audit::usage",
                help = "run `eksforge audit BLUEPRINT`, or `eksforge audit --cluster NAME --region REGION`",
                "audit needs a blueprint or --cluster NAME"
            ))
        }
    };
    let threshold = threshold(settings, loaded.as_ref());
    let base = std::env::current_dir().unwrap_or_default();
    match format {
        "json" => println!("{}", ui::render_audit_json(&report)),
        "sarif" => println!("{}", ui::render_sarif(&report, &base)),
        _ => print!("{}", ui::render_audit(&report, settings.style)),
    }
    if report.blocking(threshold).is_empty() {
        Ok(ExitStatus::Success)
    } else {
        if format == "text" {
            println!(
                "Failing: unwaived findings at or above {threshold} (change it with --fail-on or [audit] fail_on)."
            );
        }
        Ok(ExitStatus::Failure)
    }
}

/// The gate's threshold: `--fail-on`, else `[audit] fail_on`, else high.
pub fn threshold(settings: &Settings, loaded: Option<&LoadedBlueprint>) -> Severity {
    settings
        .global
        .fail_on
        .as_deref()
        .or_else(|| loaded?.model.audit.as_ref().map(|a| a.fail_on.as_str()))
        .and_then(Severity::parse)
        .unwrap_or(Severity::High)
}

/// The posture of the blueprint as it would be applied: no AWS call (placeholder account,
/// the blueprint's AZs or `<region>a…`).
fn desired_report(loaded: &LoadedBlueprint, today: Date) -> Result<Report> {
    let placement = offline_placement(loaded, None);
    let (desired, _) = desired(loaded, &placement)?;
    let posture = audit::desired::posture(loaded, &desired, &placement, today);
    Ok(Report::build(&posture, &waivers::of(loaded), &|key| {
        Some(loaded.locate_or_enclosing(key))
    }))
}

async fn live_report(
    settings: &Settings,
    loaded: Option<&LoadedBlueprint>,
    cluster: Option<&str>,
    today: Date,
) -> Result<Report> {
    let aws = settings.connect_for(loaded).await?;
    let name = cluster
        .map(str::to_string)
        .or_else(|| loaded.map(|l| l.model.blueprint.name.clone()))
        .unwrap_or_default();
    let posture = audit::live::posture(&aws, &name, today)
        .await
        .map_err(errors::aws)?;
    let waivers = loaded.map(waivers::of).unwrap_or_default();
    Ok(Report::build(&posture, &waivers, &|_| None))
}

/// The posture of `desired` with the blueprint's waivers applied.
pub fn desired_posture_report(
    loaded: &LoadedBlueprint,
    desired: &crate::resources::DesiredSet,
    placement: &crate::resources::Placement,
) -> Report {
    let posture = audit::desired::posture(loaded, desired, placement, Date::today());
    Report::build(&posture, &waivers::of(loaded), &|key| {
        Some(loaded.locate_or_enclosing(key))
    })
}

/// The apply gate: refuses, before any call that changes anything, while an unwaived finding
/// at or above the threshold exists; names each and the waiver that would accept it.
pub fn gate(settings: &Settings, loaded: &LoadedBlueprint, report: &Report) -> Result<()> {
    let threshold = threshold(settings, Some(loaded));
    let blocking = report.blocking(threshold);
    if blocking.is_empty() {
        return Ok(());
    }
    let mut text = String::new();
    for finding in &blocking {
        ui::finding_block(&mut text, finding, settings.style);
    }
    let suggestions: Vec<String> = blocking
        .iter()
        .map(|finding| waivers::suggestion(finding.check.id, &finding.subject.resource))
        .collect();
    eprint!("{text}");
    eprintln!(
        "To accept a risk on purpose, add a waiver to {} (a reason is required):\n\n{}",
        loaded.path().display(),
        suggestions.join("\n")
    );
    Err(miette!(
        code = "eksforge::audit::gate",
        help = format!(
            "fix the blueprint keys named above, add a [[waivers]] block with a reason, or raise the threshold with --fail-on / [audit] fail_on (now {threshold})"
        ),
        "refusing to apply: {} unwaived posture finding(s) at or above {threshold} (nothing was changed)",
        blocking.len()
    ))
}

/// What the plan does to posture: the findings of the desired model and the changes that
/// introduce or clear one.
pub fn plan_posture(
    loaded: &LoadedBlueprint,
    desired: &crate::resources::DesiredSet,
    placement: &crate::resources::Placement,
    plan: &crate::plan::Plan,
) -> (Report, Vec<audit::delta::Mark>) {
    let after = desired_posture_report(loaded, desired, placement);
    let marks = match audit::delta::before_set(desired, plan) {
        Some(before) => {
            let before = desired_posture_report(loaded, &before, placement);
            audit::delta::marks(&before, &after)
        }
        None => Vec::new(),
    };
    (after, marks)
}
