//! The posture report as SARIF 2.1.0 (`audit --format sarif`), for GitHub code scanning and
//! other SARIF viewers: one rule per catalog check, one result per finding, located at the
//! blueprint key (desired side) or named by ARN (live side); waived findings carry an
//! in-source suppression with the waiver's reason. The tool's `informationUri` is the
//! repository and each rule's `helpUri` its section of `docs/checks.md` there, both from
//! `repository` in Cargo.toml; Microsoft's SARIF Multitool (`validate`) finds no error and no
//! warning in the result, and `tests/audit.rs` checks it against the official schema.

use std::path::Path;

use serde_json::{json, Value as Json};

use crate::audit::catalog_doc::{help_uri, REPOSITORY};
use crate::audit::checks;
use crate::audit::report::{Finding, Report};
use crate::audit::Severity;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// `base` is the directory artifact URIs are made relative to (the working directory), so
/// code scanning can match them to files in the repository.
pub fn render_sarif(report: &Report, base: &Path) -> String {
    let rules: Vec<Json> = checks::all()
        .iter()
        .map(|check| rule(&check.meta))
        .collect();
    let results: Vec<Json> = report
        .findings
        .iter()
        .map(|finding| result(finding, base))
        .collect();
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "eksforge",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": REPOSITORY,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&document)
        .expect("a SARIF document of string keys and JSON values always serialises")
}

fn rule(check: &crate::audit::CheckMeta) -> Json {
    json!({
        "id": check.id,
        "name": pascal_case(check.title),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.rationale},
        "helpUri": help_uri(check),
        "help": {
            "text": format!("Remediation: {}", check.remediation),
            "markdown": format!("**Remediation:** {}\n\nReferences: {}", check.remediation, check.refs.join(" · ")),
        },
        "defaultConfiguration": {"level": level(check.severity)},
        "properties": {
            "tags": ["security", "eks"],
            "security-severity": security_severity(check.severity),
            "eksforge-severity": check.severity.as_str(),
            "references": check.refs,
        },
    })
}

fn result(finding: &Finding, base: &Path) -> Json {
    let check = finding.check;
    let mut value = json!({
        "ruleId": check.id,
        "level": level(check.severity),
        "message": {"text": format!("{}: {} ({})", finding.subject.resource, finding.detail, check.title)},
    });
    let logical = json!([{
        "fullyQualifiedName": finding.subject.cloud_id.clone().unwrap_or_else(|| finding.subject.resource.clone()),
        "kind": "resource",
    }]);
    match &finding.location {
        Some(location) => {
            let uri = location
                .file
                .strip_prefix(base)
                .unwrap_or(&location.file)
                .to_string_lossy()
                .replace('\\', "/");
            value["locations"] = json!([{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": location.line, "startColumn": location.column},
                },
                "logicalLocations": logical,
            }]);
        }
        None => value["locations"] = json!([{"logicalLocations": logical}]),
    }
    if let Some(waiver) = &finding.waived_by {
        value["suppressions"] = json!([{"kind": "inSource", "justification": waiver.reason}]);
    }
    value
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning reads `security-severity` (a CVSS-like score as a string).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// The rule's friendly name, a Pascal-case identifier as the SARIF Multitool's note SARIF2012
/// wants it: `VPC CNI uses node role credentials` → `VpcCniUsesNodeRoleCredentials`. Acronyms
/// are capitalised like words (`IMDSv1` → `Imdsv1`), camel-case names (`GuardDuty`) kept, apostrophes dropped
/// (`cluster's` → `Clusters`), and so is the article "a", which would make two capitals meet.
fn pascal_case(title: &str) -> String {
    title
        .replace('\'', "")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty() && !word.eq_ignore_ascii_case("a"))
        .map(|word| {
            let camel = word
                .as_bytes()
                .windows(2)
                .any(|pair| pair[0].is_ascii_lowercase() && pair[1].is_ascii_uppercase());
            let rest = if camel {
                word[1..].to_string()
            } else {
                word[1..].to_ascii_lowercase()
            };
            word[..1].to_ascii_uppercase() + &rest
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_pascal_case_identifiers() {
        assert_eq!(
            pascal_case("VPC CNI uses node role credentials"),
            "VpcCniUsesNodeRoleCredentials"
        );
        assert_eq!(
            pascal_case("Public endpoint reachable from any address"),
            "PublicEndpointReachableFromAnyAddress"
        );
        assert_eq!(
            pascal_case("IMDSv1 allowed on nodes"),
            "Imdsv1AllowedOnNodes"
        );
        assert_eq!(
            pascal_case("GuardDuty off in the cluster's region"),
            "GuardDutyOffInTheClustersRegion"
        );
        assert_eq!(
            pascal_case("Private subnet has a route to an internet gateway"),
            "PrivateSubnetHasRouteToAnInternetGateway"
        );
    }
}
