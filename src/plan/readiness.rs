//! `eksforge upgrade --check`: how ready the live cluster is for its next Kubernetes minor
//! version, without planning — EKS's upgrade insights, the installed add-ons EKS does not
//! offer for the next version, and the support dates of the version it runs, with whether it
//! leaves standard support within a window. Reads only.

use std::collections::BTreeMap;

use crate::aws::preflight::{addon_versions, cluster_version, installed_addons, upgrade_insights};
use crate::aws::{Aws, AwsError};
use crate::blueprint::date::Date;
use crate::blueprint::kubernetes_calendar;

use super::upgrade::{minor_of, InsightView, SupportDates};

/// The readiness of one cluster on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    pub cluster: String,
    /// The version the cluster runs.
    pub version: String,
    /// The next minor version, the one the insights check against.
    pub next: String,
    /// The support dates of the version the cluster runs, when the calendar has it.
    pub support: Option<SupportDates>,
    /// Days from `today` until standard support ends (negative once it has ended).
    pub standard_days_left: Option<i64>,
    /// The window asked for (`--within`), in days.
    pub within_days: Option<u32>,
    /// Whether the version leaves standard support within that window (or already has).
    pub leaves_standard_within: bool,
    pub insights: Vec<InsightView>,
    /// Why the insights could not be read, when they could not.
    pub insights_unread: Option<String>,
    /// Each installed add-on: its version, and whether EKS offers it for the next version.
    pub addons: Vec<AddonReadiness>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonReadiness {
    pub name: String,
    pub version: Option<String>,
    /// Whether EKS offers the installed version for the next Kubernetes version.
    pub runs_on_next: bool,
    /// EKS's default for the next version (what an upgrade moves an unpinned add-on to).
    pub default_on_next: Option<String>,
}

/// Why there is nothing to check.
#[derive(Debug, thiserror::Error)]
pub enum ReadinessError {
    #[error("no cluster {0} to check: apply the blueprint first")]
    NoCluster(String),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Reads the cluster `name` and judges it on `today` with a window of `within_days`.
pub async fn readiness(
    aws: &Aws,
    name: &str,
    today: Date,
    within_days: Option<u32>,
) -> Result<Readiness, ReadinessError> {
    let version = cluster_version(aws, name)
        .await?
        .ok_or_else(|| ReadinessError::NoCluster(name.to_string()))?;
    let next = minor_of(&version)
        .map(|minor| format!("1.{}", minor + 1))
        .unwrap_or_else(|| version.clone());
    let (insights, installed, offered) = futures::join!(
        upgrade_insights(aws, name),
        installed_addons(aws, name),
        addon_versions(aws, &next)
    );
    let (installed, offered) = (installed?, offered?);
    Ok(judge(
        name,
        version,
        next,
        today,
        within_days,
        insights,
        installed,
        &offered,
    ))
}

/// The verdict from what was read (pure).
#[allow(clippy::too_many_arguments)]
fn judge(
    name: &str,
    version: String,
    next: String,
    today: Date,
    within_days: Option<u32>,
    insights: Result<Vec<crate::aws::preflight::UpgradeInsight>, AwsError>,
    installed: Vec<(String, Option<String>)>,
    offered: &BTreeMap<String, Vec<crate::aws::preflight::OfferedAddonVersion>>,
) -> Readiness {
    let release = kubernetes_calendar::find(&version);
    let standard_days_left = release
        .map(|release| release.end_of_standard.days_since_epoch() - today.days_since_epoch());
    let leaves_standard_within = match (standard_days_left, within_days) {
        (Some(left), Some(window)) => left <= i64::from(window),
        _ => false,
    };
    let (insights, insights_unread) = match insights {
        Ok(read) => (
            read.into_iter()
                .map(|insight| InsightView {
                    name: insight.name,
                    status: insight.status,
                    kubernetes_version: insight.kubernetes_version,
                    reason: insight.reason,
                    recommendation: insight.recommendation,
                    waived: None,
                })
                .collect(),
            None,
        ),
        Err(error) => (Vec::new(), Some(error.to_string())),
    };
    let addons = installed
        .into_iter()
        .map(|(addon, installed_version)| {
            let versions = offered.get(&addon).map(Vec::as_slice).unwrap_or_default();
            AddonReadiness {
                runs_on_next: installed_version
                    .as_deref()
                    .is_some_and(|version| versions.iter().any(|v| v.version == version)),
                default_on_next: versions
                    .iter()
                    .find(|v| v.default)
                    .map(|v| v.version.clone()),
                name: addon,
                version: installed_version,
            }
        })
        .collect();
    Readiness {
        cluster: name.to_string(),
        support: SupportDates::of(&version),
        version,
        next,
        standard_days_left,
        within_days,
        leaves_standard_within,
        insights,
        insights_unread,
        addons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::preflight::OfferedAddonVersion;

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn the_window_decides_and_add_ons_the_next_version_lacks_are_named() {
        let offered = BTreeMap::from([(
            "kube-proxy".to_string(),
            vec![OfferedAddonVersion {
                version: "v1.34.1-eksbuild.3".into(),
                default: true,
            }],
        )]);
        let installed = vec![(
            "kube-proxy".to_string(),
            Some("v1.33.5-eksbuild.3".to_string()),
        )];
        // 1.33 leaves standard support on 2026-07-29.
        let judged = |today: &str, within: Option<u32>| {
            judge(
                "prod",
                "1.33".into(),
                "1.34".into(),
                day(today),
                within,
                Ok(Vec::new()),
                installed.clone(),
                &offered,
            )
        };
        let early = judged("2026-05-01", Some(60));
        assert_eq!(early.standard_days_left, Some(89));
        assert!(!early.leaves_standard_within);
        assert!(judged("2026-06-15", Some(60)).leaves_standard_within);
        assert!(!judged("2026-06-15", None).leaves_standard_within);
        assert_eq!(
            early.addons,
            [AddonReadiness {
                name: "kube-proxy".into(),
                version: Some("v1.33.5-eksbuild.3".into()),
                runs_on_next: false,
                default_on_next: Some("v1.34.1-eksbuild.3".into()),
            }]
        );
    }
}
