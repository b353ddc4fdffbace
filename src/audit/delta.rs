//! What a plan does to posture: the findings before a change against after it. "Before" is the
//! desired model with each existing resource's live attributes laid over its desired ones
//! (built by `operation::posture`, which knows the plan), so the same builder and checks judge
//! both sides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalog::check_by_id;
use super::report::{Finding, Report};
use super::CheckMeta;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The change makes the finding true.
    Weakens,
    /// The change clears the finding.
    Strengthens,
}

/// A finding a planned change introduces or clears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub effect: Effect,
    #[serde(with = "check_by_id")]
    pub check: &'static CheckMeta,
    pub resource: String,
    pub detail: String,
}

/// Findings present after but not before (weakens) and before but not after (strengthens),
/// matched by check and resource.
pub fn marks(before: &Report, after: &Report) -> Vec<Mark> {
    let key = |f: &Finding| (f.check.id, f.subject.resource.clone());
    let before_keys: BTreeMap<_, &Finding> = before.findings.iter().map(|f| (key(f), f)).collect();
    let after_keys: BTreeMap<_, &Finding> = after.findings.iter().map(|f| (key(f), f)).collect();
    let mut marks: Vec<Mark> = after
        .findings
        .iter()
        .filter(|f| !before_keys.contains_key(&key(f)))
        .map(|f| mark(Effect::Weakens, f))
        .collect();
    marks.extend(
        before
            .findings
            .iter()
            .filter(|f| !after_keys.contains_key(&key(f)))
            .map(|f| mark(Effect::Strengthens, f)),
    );
    marks
}

fn mark(effect: Effect, finding: &Finding) -> Mark {
    Mark {
        effect,
        check: finding.check,
        resource: finding.subject.resource.clone(),
        detail: finding.detail.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::view::fixture::secure;
    use crate::audit::view::Side;

    fn report(open: bool) -> Report {
        let mut posture = secure(Side::Desired);
        if open {
            let cluster = posture.cluster.as_mut().expect("a cluster");
            cluster.endpoint_public = true;
            cluster.public_access_cidrs = vec!["0.0.0.0/0".into()];
        }
        Report::build(&posture, &[], &|_| None)
    }

    #[test]
    fn opening_the_endpoint_weakens_and_closing_it_strengthens() {
        let weakened = marks(&report(false), &report(true));
        assert!(weakened
            .iter()
            .any(|m| m.effect == Effect::Weakens && m.check.id == "EKS-NET-002"));
        assert!(weakened.iter().all(|m| m.effect == Effect::Weakens));
        let strengthened = marks(&report(true), &report(false));
        assert!(strengthened
            .iter()
            .any(|m| m.effect == Effect::Strengthens && m.check.id == "EKS-NET-002"));
        assert!(marks(&report(false), &report(false)).is_empty());
    }
}
