//! The posture report as JSON (`audit --format json`, and the `findings` of `plan --json`).
//! Versioned like the plan format; documented in `docs/audit-json.md`.

use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::audit::report::{Finding, Report};
use crate::audit::view::Side;

/// Bump the minor version for added fields, the major one for anything else.
pub const FORMAT_VERSION: &str = "1.0";

#[derive(Serialize)]
struct AuditJson {
    format_version: &'static str,
    side: &'static str,
    findings: Vec<Json>,
    not_evaluated: Vec<Json>,
    expired_waivers: Vec<Json>,
    unused_waivers: Vec<Json>,
    summary: Json,
}

pub fn render_audit_json(report: &Report) -> String {
    let waiver = |w: &crate::audit::waivers::Waiver| {
        json!({
            "check": w.check,
            "resource": w.resource,
            "reason": w.reason,
            "expires": w.expires.map(|d| d.to_string()),
            "location": w.location.as_ref().map(|l| l.to_string()),
        })
    };
    let counts = report.open_counts();
    let document = AuditJson {
        format_version: FORMAT_VERSION,
        side: match report.side {
            Side::Desired => "desired",
            Side::Live => "live",
        },
        findings: report.findings.iter().map(finding_json).collect(),
        not_evaluated: report
            .not_evaluated
            .iter()
            .map(|item| {
                json!({"check": item.check.id, "resource": item.subject.resource, "reason": item.why})
            })
            .collect(),
        expired_waivers: report.expired.iter().map(waiver).collect(),
        unused_waivers: report.unused.iter().map(waiver).collect(),
        summary: json!({
            "open": counts.iter().map(|(s, n)| (s.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "waived": report.waived_count(),
            "not_evaluated": report.not_evaluated.len(),
            "passed": report.passed,
        }),
    };
    // Only string keys and plain JSON values: serialising cannot fail, and printing nothing if
    // it somehow did would pass for an empty report.
    serde_json::to_string_pretty(&document)
        .expect("an audit document of string keys and JSON values always serialises")
}

/// One finding as JSON; `waived` is present only for waived findings.
pub fn finding_json(finding: &Finding) -> Json {
    let check = finding.check;
    let mut value = json!({
        "check": check.id,
        "title": check.title,
        "severity": check.severity.as_str(),
        "resource": finding.subject.resource,
        "cloud_id": finding.subject.cloud_id,
        "key": finding.subject.key,
        "location": finding.location.as_ref().map(|l| json!({
            "file": l.file.display().to_string(), "line": l.line, "column": l.column,
        })),
        "detail": finding.detail,
        "remediation": check.remediation,
        "refs": check.refs,
    });
    if let Some(waiver) = &finding.waived_by {
        value["waived"] = json!({
            "reason": waiver.reason,
            "expires": waiver.expires.map(|d| d.to_string()),
        });
    }
    value
}
