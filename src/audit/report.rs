//! From evaluations to what a user reads: findings (with location and waiver), checks that
//! could not be evaluated, expired and unused waivers, and the gate's verdict.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::blueprint::Location;

use super::catalog::check_by_id;
use super::view::{Posture, Side, Subject};
use super::waivers::Waiver;
use super::{evaluate, CheckMeta, Outcome, Severity};

/// A check whose title is true for one resource. Serialisable because a saved plan carries
/// its posture (`plan::PlanPosture`); the check is stored by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    #[serde(with = "check_by_id")]
    pub check: &'static CheckMeta,
    pub subject: Subject,
    pub detail: String,
    /// Desired side: the blueprint key's file:line:column (or what encloses it).
    pub location: Option<Location>,
    /// The waiver in force that accepts it, if any.
    pub waived_by: Option<Waiver>,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.check.severity
    }

    /// Counts toward the gate and `--fail-on`.
    pub fn is_open(&self) -> bool {
        self.waived_by.is_none()
    }
}

/// A check that could not be evaluated for a resource, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotEvaluated {
    #[serde(with = "check_by_id")]
    pub check: &'static CheckMeta,
    pub subject: Subject,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub side: Side,
    /// Ordered by severity (critical first), then id, then resource.
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    /// Evaluations that passed.
    pub passed: usize,
    /// Waivers past their `expires` day: they no longer count.
    pub expired: Vec<Waiver>,
    /// Waivers in force that matched no finding.
    pub unused: Vec<Waiver>,
}

impl Report {
    /// Evaluates every check over `posture` and applies `waivers`. `locate` resolves a
    /// subject's blueprint key (desired side) to where it was written.
    pub fn build(
        posture: &Posture,
        waivers: &[Waiver],
        locate: &dyn Fn(&str) -> Option<Location>,
    ) -> Report {
        let today = posture.today;
        let (in_force, expired): (Vec<&Waiver>, Vec<&Waiver>) =
            waivers.iter().partition(|waiver| waiver.in_force(today));
        let mut used = BTreeSet::new();
        let mut findings = Vec::new();
        let mut not_evaluated = Vec::new();
        let mut passed = 0;
        for (check, evaluation) in evaluate(posture) {
            match evaluation.outcome {
                Outcome::Pass => passed += 1,
                Outcome::NotEvaluated(why) => not_evaluated.push(NotEvaluated {
                    check,
                    subject: evaluation.subject,
                    why,
                }),
                Outcome::Fail(detail) => {
                    let waived_by = in_force
                        .iter()
                        .find(|waiver| waiver.covers(check.id, &evaluation.subject))
                        .map(|waiver| {
                            used.insert(waiver.index);
                            (*waiver).clone()
                        });
                    let location = evaluation.subject.key.as_deref().and_then(locate);
                    findings.push(Finding {
                        check,
                        subject: evaluation.subject,
                        detail,
                        location,
                        waived_by,
                    });
                }
            }
        }
        findings.sort_by(|a, b| {
            b.severity()
                .cmp(&a.severity())
                .then(a.check.id.cmp(b.check.id))
                .then(a.subject.resource.cmp(&b.subject.resource))
        });
        not_evaluated.sort_by(|a, b| {
            a.check
                .id
                .cmp(b.check.id)
                .then(a.subject.resource.cmp(&b.subject.resource))
        });
        Report {
            side: posture.side,
            findings,
            not_evaluated,
            passed,
            expired: expired.into_iter().cloned().collect(),
            unused: in_force
                .into_iter()
                .filter(|waiver| !used.contains(&waiver.index))
                .cloned()
                .collect(),
        }
    }

    /// Unwaived findings at or above `threshold`: what the gate refuses on.
    pub fn blocking(&self, threshold: Severity) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|finding| finding.is_open() && finding.severity() >= threshold)
            .collect()
    }

    /// Unwaived findings per severity, critical first.
    pub fn open_counts(&self) -> [(Severity, usize); 4] {
        [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ]
        .map(|severity| {
            (
                severity,
                self.findings
                    .iter()
                    .filter(|f| f.is_open() && f.severity() == severity)
                    .count(),
            )
        })
    }

    pub fn waived_count(&self) -> usize {
        self.findings.iter().filter(|f| !f.is_open()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::view::fixture::secure;
    use crate::audit::view::Date;

    fn waiver(check: &str, expires: Option<&str>) -> Waiver {
        Waiver {
            index: 0,
            check: check.into(),
            reason: "office egress until the VPN lands".into(),
            resource: None,
            expires: expires.and_then(Date::parse),
            location: None,
        }
    }

    fn open_public_endpoint() -> Posture {
        let mut posture = secure(Side::Desired);
        let cluster = posture.cluster.as_mut().unwrap();
        cluster.endpoint_public = true;
        cluster.public_access_cidrs = vec!["0.0.0.0/0".into()];
        posture
    }

    #[test]
    fn the_secure_picture_has_no_findings_and_nothing_blocks() {
        let report = Report::build(&secure(Side::Desired), &[], &|_| None);
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        assert!(report.blocking(Severity::Low).is_empty());
    }

    #[test]
    fn findings_are_sorted_and_waivers_apply_until_they_expire() {
        let posture = open_public_endpoint();
        let report = Report::build(&posture, &[], &|_| None);
        assert!(!report.findings.is_empty());
        let severities: Vec<Severity> = report.findings.iter().map(Finding::severity).collect();
        let mut sorted = severities.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(severities, sorted);
        let high = report.blocking(Severity::High);
        assert!(high.iter().any(|f| f.check.id == "EKS-NET-002"));

        let waived = Report::build(
            &posture,
            &[waiver("EKS-NET-002", Some("2026-11-23"))],
            &|_| None,
        );
        assert!(waived.blocking(Severity::High).is_empty());
        assert_eq!(waived.waived_count(), 1);
        assert!(waived.unused.is_empty() && waived.expired.is_empty());

        let expired = Report::build(
            &posture,
            &[waiver("EKS-NET-002", Some("2026-11-22"))],
            &|_| None,
        );
        assert_eq!(expired.blocking(Severity::High).len(), high.len());
        assert_eq!(expired.expired.len(), 1);
    }

    #[test]
    fn a_waiver_matching_nothing_is_reported_unused() {
        let report = Report::build(&secure(Side::Live), &[waiver("EKS-NET-002", None)], &|_| {
            None
        });
        assert_eq!(report.unused.len(), 1);
    }
}
