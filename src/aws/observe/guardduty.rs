//! The region's GuardDuty detector and its features, as GetDetector reports them.

use std::collections::BTreeMap;

use aws_sdk_guardduty::types::{DetectorFeatureConfigurationResult, DetectorStatus};

use super::Read;
use crate::aws::{Aws, AwsError};

/// The region's detector (there is at most one per account and region).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectorDescription {
    pub id: String,
    pub enabled: bool,
    /// Each feature's status (`ENABLED` / `DISABLED`) and its additional configurations'.
    pub features: BTreeMap<String, FeatureDescription>,
    /// The blueprint whose `eksforge:blueprint` tag it carries, if any (a region has one
    /// detector: `adopt` leaves another blueprint's alone).
    pub blueprint: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureDescription {
    pub status: String,
    pub additional: BTreeMap<String, String>,
}

impl DetectorDescription {
    /// Whether feature `name` is `ENABLED`.
    pub fn feature_on(&self, name: &str) -> bool {
        self.features
            .get(name)
            .is_some_and(|feature| feature.status == "ENABLED")
    }

    /// Whether additional configuration `additional` of feature `name` is `ENABLED`.
    pub fn additional_on(&self, name: &str, additional: &str) -> bool {
        self.features
            .get(name)
            .and_then(|feature| feature.additional.get(additional))
            .is_some_and(|status| status == "ENABLED")
    }
}

/// The region's detector, `None` when GuardDuty has none (ListDetectors, then GetDetector).
pub(super) async fn detector(aws: &Aws) -> Read<Option<DetectorDescription>> {
    let listed = aws
        .guardduty
        .list_detectors()
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("guardduty", "guardduty:ListDetectors", error))?;
    let Some(id) = listed.detector_ids().first() else {
        return Ok(None);
    };
    let output = match aws.guardduty.get_detector().detector_id(id).send().await {
        Ok(output) => output,
        Err(error) => return AwsError::from_sdk(id, "guardduty:GetDetector", error).absent(),
    };
    Ok(Some(DetectorDescription {
        id: id.clone(),
        enabled: output.status() == Some(&DetectorStatus::Enabled),
        features: detector_features(output.features()),
        blueprint: output
            .tags()
            .and_then(|tags| tags.get(crate::resources::TAG_BLUEPRINT))
            .cloned(),
    }))
}

/// Each feature GetDetector reports, by name, with its status and its additional
/// configurations' (a status left out reads as `DISABLED`).
pub(crate) fn detector_features(
    features: &[DetectorFeatureConfigurationResult],
) -> BTreeMap<String, FeatureDescription> {
    let status = |status: Option<&str>| status.unwrap_or("DISABLED").to_string();
    features
        .iter()
        .filter_map(|feature| {
            let name = feature.name()?.as_str().to_string();
            let description = FeatureDescription {
                status: status(feature.status().map(|s| s.as_str())),
                additional: feature
                    .additional_configuration()
                    .iter()
                    .filter_map(|additional| {
                        Some((
                            additional.name()?.as_str().to_string(),
                            status(additional.status().map(|s| s.as_str())),
                        ))
                    })
                    .collect(),
            };
            Some((name, description))
        })
        .collect()
}
