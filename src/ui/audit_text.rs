//! The posture report as text: open findings by severity, then waived ones, what could not be
//! evaluated, waiver notes, and a summary line.

use std::fmt::Write;

use crate::audit::delta::Effect;
use crate::audit::report::{Finding, Report};
use crate::audit::view::Side;
use crate::audit::Severity;
use crate::plan::PlanPosture;

use super::Style;

pub fn render_audit(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let open: Vec<&Finding> = report.findings.iter().filter(|f| f.is_open()).collect();
    let waived: Vec<&Finding> = report.findings.iter().filter(|f| !f.is_open()).collect();
    for finding in &open {
        finding_block(&mut out, finding, style);
    }
    if !waived.is_empty() {
        let _ = writeln!(out, "{}", style.bold("Waived:"));
        for finding in &waived {
            finding_block(&mut out, finding, style);
        }
    }
    out.push_str(&waiver_notes(report, style));
    if !report.not_evaluated.is_empty() {
        let _ = writeln!(out, "{}", style.bold("Not evaluated:"));
        for item in &report.not_evaluated {
            let _ = writeln!(
                out,
                "  {} {} — {}",
                item.check.id, item.subject.resource, item.why
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", summary(report));
    out
}

/// One finding: `[HIGH] EKS-NET-002 Public endpoint reachable from any address`, then where,
/// what, how to fix, and references.
pub fn finding_block(out: &mut String, finding: &Finding, style: Style) {
    let check = finding.check;
    let tag = format!("[{}]", check.severity.as_str().to_uppercase());
    let tag = match check.severity {
        Severity::Critical | Severity::High => style.red(&tag),
        Severity::Medium => style.yellow(&tag),
        Severity::Low => style.dim(&tag),
    };
    let _ = writeln!(out, "{tag} {} {}", style.bold(check.id), check.title);
    let _ = writeln!(out, "  resource:    {}", finding.subject.resource);
    if let Some(location) = &finding.location {
        let key = finding.subject.key.as_deref().unwrap_or("");
        let _ = writeln!(out, "  at:          {location} ({key})");
    }
    let _ = writeln!(out, "  finding:     {}", finding.detail);
    let _ = writeln!(out, "  remediation: {}", check.remediation);
    if !check.refs.is_empty() {
        let _ = writeln!(out, "  refs:        {}", check.refs.join(" · "));
    }
    if let Some(waiver) = &finding.waived_by {
        let until = waiver
            .expires
            .map(|date| format!(" (until {date})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  waived:      {}{until}", waiver.reason);
    }
    out.push('\n');
}

/// Expired and unused waivers, each with where it is written.
pub fn waiver_notes(report: &Report, style: Style) -> String {
    let mut out = String::new();
    for waiver in &report.expired {
        let at = waiver
            .location
            .as_ref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        let expires = waiver.expires.map(|d| d.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {at}the waiver of {} expired on {expires}; its findings count again (extend `expires` or fix them)",
            style.yellow("Warning:"),
            waiver.check
        );
    }
    for waiver in &report.unused {
        let at = waiver
            .location
            .as_ref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {at}the waiver of {}{} matched no finding (remove it)",
            style.yellow("Warning:"),
            waiver.check,
            waiver
                .resource
                .as_deref()
                .map(|r| format!(" for {r}"))
                .unwrap_or_default()
        );
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// `Posture: 0 critical, 1 high, 2 medium, 0 low open; 1 waived; 3 not evaluated; 140 passed.`
pub fn summary(report: &Report) -> String {
    let counts: Vec<String> = report
        .open_counts()
        .iter()
        .map(|(severity, count)| format!("{count} {severity}"))
        .collect();
    let side = match report.side {
        Side::Desired => "blueprint",
        Side::Live => "live cluster",
    };
    format!(
        "Posture ({side}): {} open; {} waived; {} not evaluated; {} passed.",
        counts.join(", "),
        report.waived_count(),
        report.not_evaluated.len(),
        report.passed
    )
}

/// The posture part of a plan: changes that weaken (`!`) or strengthen (`+`) it, then every
/// finding of the blueprint in one line each.
pub fn render_plan_posture(posture: &PlanPosture, style: Style) -> String {
    let (report, marks) = (&posture.report, &posture.marks);
    let mut out = String::new();
    if !marks.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Posture changes:"));
        for mark in marks {
            let (sign, verb) = match mark.effect {
                Effect::Weakens => (style.red("!"), "now"),
                Effect::Strengthens => (style.green("+"), "no longer"),
            };
            let _ = writeln!(
                out,
                "  {sign} {}: {verb} {} ({}) — {} {}",
                mark.resource,
                lowercase_first(mark.check.title),
                mark.detail,
                mark.check.id,
                mark.check.severity
            );
        }
    }
    let _ = writeln!(out, "\n{}", style.bold("Posture findings:"));
    if report.findings.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for finding in &report.findings {
        let check = finding.check;
        let at = finding
            .location
            .as_ref()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        let waived = finding
            .waived_by
            .as_ref()
            .map(|w| format!(" [waived: {}]", w.reason))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  [{}] {} {} — {}{at}: {}{waived}",
            check.severity.as_str().to_uppercase(),
            check.id,
            check.title,
            finding.subject.resource,
            finding.detail
        );
    }
    out.push_str(&waiver_notes(report, style));
    let _ = writeln!(out, "{}", summary(report));
    out
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}
