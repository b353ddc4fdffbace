//! What a check is: its stable id, its metadata (the columns of `docs/checks.md`) and its rule.

use std::fmt;

use super::view::Posture;
use super::Evaluation;

/// eksforge's own rating (`docs/checks.md`). Ordered: `Low < Medium < High <
/// Critical`, so `severity >= threshold` is the gate's test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The columns of one row of `docs/checks.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckMeta {
    /// `EKS-NET-002`: stable for good, never reused.
    pub id: &'static str,
    /// The bad condition in one line.
    pub title: &'static str,
    pub severity: Severity,
    /// Why it matters (the area's "Why" plus anything specific to this check).
    pub rationale: &'static str,
    /// The blueprint key and value that clear the finding.
    pub remediation: &'static str,
    /// Cross-references as written in `docs/checks.md`: `CIS 5.4.1`, `CKV_AWS_38`, `AVD-AWS-0041`,
    /// `P:eks_cluster_not_publicly_accessible`, `BPG iam (IRSA)`.
    pub refs: &'static [&'static str],
    /// Evaluated over the desired model (plan, `audit BLUEPRINT`).
    pub desired: bool,
    /// Evaluated over what the AWS API describes (`audit --live`, `audit --cluster`).
    pub live: bool,
}

/// One rule: metadata plus a pure function over the posture view. It returns one evaluation
/// per resource it inspects, and nothing when the view holds nothing it applies to (a check of
/// ECR repositories over a blueprint that declares none).
#[derive(Clone, Copy)]
pub struct Check {
    pub meta: CheckMeta,
    pub eval: fn(&Posture) -> Vec<Evaluation>,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check").field("meta", &self.meta).finish()
    }
}

/// Serde for a `&'static CheckMeta` field: written as the check id, read back from the
/// catalog (a saved plan names its findings' checks by id).
pub mod check_by_id {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::CheckMeta;

    pub fn serialize<S: Serializer>(
        check: &&'static CheckMeta,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(check.id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<&'static CheckMeta, D::Error> {
        let id = String::deserialize(deserializer)?;
        crate::audit::checks::find(&id)
            .map(|check| &check.meta)
            .ok_or_else(|| D::Error::custom(format!("no check {id} in the catalog")))
    }
}
