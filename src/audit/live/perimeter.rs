//! GuardDuty and ECR as observed: the region's detector and registry, which the cluster's
//! audit judges with the cluster because its nodes are what they watch and pull for.

use serde_json::Value as Json;

use super::unknown;
use crate::audit::view::{DetectionView, Fact, RegistryView, RepositoryView, Subject};
use crate::aws::observe::{DetectorDescription, Read, RegistryObservation};

/// The detector's state. No detector is a known fact: GuardDuty is off.
pub(super) fn detection(observed: &Read<Option<DetectorDescription>>) -> Fact<DetectionView> {
    match observed {
        Err(error) => unknown(error),
        Ok(None) => Fact::Known(DetectionView {
            subject: Subject::new("guardduty"),
            guardduty: false,
            eks_audit_logs: false,
            runtime_monitoring: false,
        }),
        Ok(Some(detector)) => {
            // Runtime monitoring covers EKS when it (or the older EKS_RUNTIME_MONITORING) is on
            // with the EKS add-on managed by GuardDuty, as eksforge turns it on: without the
            // add-on no agent runs on the nodes.
            let runtime = ["RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"]
                .iter()
                .any(|feature| {
                    detector.feature_on(feature)
                        && detector.additional_on(feature, "EKS_ADDON_MANAGEMENT")
                });
            Fact::Known(DetectionView {
                subject: Subject::new(format!("guardduty detector {}", detector.id))
                    .with_cloud_id(detector.id.clone()),
                guardduty: detector.enabled,
                eks_audit_logs: detector.feature_on("EKS_AUDIT_LOGS"),
                runtime_monitoring: runtime,
            })
        }
    }
}

/// Every repository of the region's registry, judged one by one.
pub(super) fn registry(observed: &Read<RegistryObservation>) -> Fact<RegistryView> {
    let registry = match observed {
        Ok(registry) => registry,
        Err(error) => return unknown(error),
    };
    Fact::Known(RegistryView {
        registry_scanning: registry.scans_every_repository,
        repositories: registry
            .repositories
            .iter()
            .map(|repository| RepositoryView {
                subject: Subject::new(repository.arn.clone()).with_cloud_id(repository.arn.clone()),
                name: repository.name.clone(),
                scan_on_push: repository.scan_on_push,
                immutable_tags: repository.immutable_tags,
                // A policy that is not JSON cannot be judged as one; IMG-003 reads it as none.
                policy: repository
                    .policy
                    .as_deref()
                    .and_then(|text| serde_json::from_str::<Json>(text).ok()),
                kms_encrypted: repository.kms_encrypted,
                lifecycle_policy: repository.lifecycle_policy,
                newest_image_findings: repository.newest_image_findings.map(Fact::Known),
            })
            .collect(),
    })
}
