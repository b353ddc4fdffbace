//! `guardduty_detector`: the region's GuardDuty detector with EKS audit-log monitoring and
//! Runtime Monitoring (EKS add-on management on). GetDetector reads it; CreateDetector or
//! UpdateDetector (the whole feature list), TagResource/UntagResource; DeleteDetector.
//!
//! There is one detector per account and region, so the refresh asks ListDetectors: a
//! detector that exists is the one the blueprint means. One eksforge did not create (no
//! `eksforge:detector-created-by` tag naming this blueprint, and not recorded as created) is
//! adopted: the refresh records `adopted` (its status, the features eksforge manages as they
//! were, and its tags), which state keeps before any change is made, and `destroy` puts those
//! back instead of deleting the detector. Its own tags are left alone: its `tags` attribute
//! holds only those eksforge added or changed.
//!
//! Runtime Monitoring is `RUNTIME_MONITORING`, not the older `EKS_RUNTIME_MONITORING`: the
//! newer feature covers EKS (and EC2, ECS) and the API refuses a request naming both, so
//! `EKS_RUNTIME_MONITORING` is never sent. UpdateDetector takes the feature list whole (moto
//! replaces it; GuardDuty leaves unnamed features as they are): every request names each
//! feature the detector reports, those eksforge does not manage as they were.

use std::collections::BTreeMap;

use aws_sdk_guardduty::types::{
    DetectorAdditionalConfiguration, DetectorFeature, DetectorFeatureConfiguration, DetectorStatus,
    FeatureAdditionalConfiguration, FeatureStatus,
};

use crate::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT};

// One feature as the detector reports it: its status and its additional configurations.
use super::observe::FeatureDescription as FeatureState;
use super::refresh::{attr_str, required_bool};
use super::tags::{tag_map, MapChanges};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct GuarddutyDetectorProvider;

static DESCRIPTION: Description = Description::new(
    Kind::GuarddutyDetector,
    "guardduty:GetDetector",
    &[
        AttrRule::UpdatedBy("enable", "guardduty:UpdateDetector"),
        AttrRule::UpdatedBy("eks_audit_logs", "guardduty:UpdateDetector"),
        AttrRule::UpdatedBy("runtime_monitoring", "guardduty:UpdateDetector"),
        AttrRule::UpdatedBy("eks_addon_management", "guardduty:UpdateDetector"),
        AttrRule::UpdatedBy("tags", "guardduty:TagResource/UntagResource"),
    ],
)
// Read: ListDetectors → GetDetector. Update: GetDetector (the features kept as they are) →
// UpdateDetector. Delete: DeleteDetector (an adopted one: GetDetector → UpdateDetector).
.calls(2, 1, 2, 1)
// The region's one detector, found by listing (not by tag): it may predate eksforge.
.adopts_by_natural_key();

/// Set at create only, so a detector found without state is known to be eksforge's (deleted
/// by `destroy`) rather than the account's (kept, its features put back). Never in `tags`.
pub const CREATED_TAG: &str = "eksforge:detector-created-by";

/// The recorded-only attribute of an adopted detector: what `destroy` puts back.
const ADOPTED: &str = "adopted";

const EKS_AUDIT_LOGS: &str = "EKS_AUDIT_LOGS";
const RUNTIME_MONITORING: &str = "RUNTIME_MONITORING";
/// Superseded by `RUNTIME_MONITORING`; the API refuses a request that names both.
const EKS_RUNTIME_MONITORING: &str = "EKS_RUNTIME_MONITORING";
const EKS_ADDON_MANAGEMENT: &str = "EKS_ADDON_MANAGEMENT";

/// The protection plans a new detector would otherwise get switched on (CreateDetector
/// enables every feature a request leaves out, Runtime Monitoring aside): the blueprint names
/// only the EKS ones, so eksforge creates the others off. Afterwards they are the account's.
const OFF_AT_CREATE: &[&str] = &[
    "S3_DATA_EVENTS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "LAMBDA_NETWORK_LOGS",
];

/// The detector as GetDetector reports it.
#[derive(Debug, Clone, PartialEq, Default)]
struct Detector {
    enabled: bool,
    /// By feature name, only those UpdateDetector accepts (not CLOUD_TRAIL, DNS_LOGS,
    /// FLOW_LOGS, which are always on).
    features: BTreeMap<String, FeatureState>,
    tags: BTreeMap<String, String>,
    created_by: Option<String>,
}

/// What eksforge decides about the detector: the four managed values.
#[derive(Debug, Clone, PartialEq)]
struct Managed {
    enable: bool,
    eks_audit_logs: String,
    runtime_monitoring: String,
    eks_addon_management: String,
}

impl Managed {
    fn from_attrs(attrs: &Attrs, id: &ResourceId, call: &'static str) -> Result<Managed, AwsError> {
        let status = |name: &str| {
            attr_str(attrs, name)
                .map(str::to_string)
                .ok_or_else(|| AwsError::missing_attribute(id, call, name))
        };
        Ok(Managed {
            enable: required_bool(attrs, "enable", id, call)?,
            eks_audit_logs: status("eks_audit_logs")?,
            runtime_monitoring: status("runtime_monitoring")?,
            eks_addon_management: status("eks_addon_management")?,
        })
    }

    fn of(detector: &Detector) -> Managed {
        let status = |name: &str| {
            detector
                .features
                .get(name)
                .map_or_else(disabled, |feature| feature.status.clone())
        };
        Managed {
            enable: detector.enabled,
            eks_audit_logs: status(EKS_AUDIT_LOGS),
            runtime_monitoring: status(RUNTIME_MONITORING),
            eks_addon_management: detector
                .features
                .get(RUNTIME_MONITORING)
                .and_then(|feature| feature.additional.get(EKS_ADDON_MANAGEMENT))
                .cloned()
                .unwrap_or_else(disabled),
        }
    }

    fn to_attrs(&self, attrs: &mut Attrs) {
        attrs.insert("enable".into(), Value::Bool(self.enable));
        attrs.insert("eks_audit_logs".into(), Value::str(&self.eks_audit_logs));
        attrs.insert(
            "runtime_monitoring".into(),
            Value::str(&self.runtime_monitoring),
        );
        attrs.insert(
            "eks_addon_management".into(),
            Value::str(&self.eks_addon_management),
        );
    }

    /// The whole feature list for UpdateDetector: the managed features as `self` says, every
    /// other feature of `current` as it is (the legacy EKS runtime feature left out: it may
    /// not be named beside `RUNTIME_MONITORING`).
    fn feature_list(&self, current: &Detector) -> Vec<DetectorFeatureConfiguration> {
        let mut features = current.features.clone();
        features.remove(EKS_RUNTIME_MONITORING);
        features
            .entry(EKS_AUDIT_LOGS.to_string())
            .or_default()
            .status = self.eks_audit_logs.clone();
        let runtime = features.entry(RUNTIME_MONITORING.to_string()).or_default();
        runtime.status = self.runtime_monitoring.clone();
        runtime.additional.insert(
            EKS_ADDON_MANAGEMENT.to_string(),
            self.eks_addon_management.clone(),
        );
        features
            .iter()
            .map(|(name, feature)| feature_request(name, feature))
            .collect()
    }
}

fn disabled() -> String {
    FeatureStatus::Disabled.as_str().to_string()
}

fn feature_request(name: &str, feature: &FeatureState) -> DetectorFeatureConfiguration {
    DetectorFeatureConfiguration::builder()
        .name(DetectorFeature::from(name))
        .status(FeatureStatus::from(feature.status.as_str()))
        .set_additional_configuration((!feature.additional.is_empty()).then(|| {
            feature
                .additional
                .iter()
                .map(|(name, status)| {
                    DetectorAdditionalConfiguration::builder()
                        .name(FeatureAdditionalConfiguration::from(name.as_str()))
                        .status(FeatureStatus::from(status.as_str()))
                        .build()
                })
                .collect()
        }))
        .build()
}

impl KindProvider for GuarddutyDetectorProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        // One detector per region: the recorded id, else the desired one.
        let recorded = scope.recorded.iter().next();
        let Some(id) = recorded
            .map(|(id, _)| id)
            .or_else(|| scope.missing.keys().next())
        else {
            return Ok(Vec::new());
        };
        let Some(detector_id) = list_detector(aws, id).await? else {
            return Ok(Vec::new());
        };
        let Some(detector) = get_detector(aws, id, &detector_id).await? else {
            return Ok(Vec::new());
        };
        let same_as_recorded = recorded.filter(|(_, (cloud_id, _))| *cloud_id == detector_id);
        if same_as_recorded.is_none() {
            refuse_another_blueprints(id, &detector_id, &detector, &scope.blueprint)?;
        }
        let (via, adopted) = match same_as_recorded {
            // What state says about its origin stands.
            Some((_, (_, attrs))) => (FoundVia::State, attrs.get(ADOPTED).cloned()),
            None if detector.created_by.as_deref() == Some(scope.blueprint.as_str()) => {
                (FoundVia::Tag, None)
            }
            None => (FoundVia::NaturalKey, Some(adopted_record(&detector))),
        };
        let arn = detector_arn(aws, id, &detector_id).await?;
        let mut detector = detector;
        if let Some(original) = adopted.as_ref().and_then(parse_adopted) {
            // The account's own tags are not the blueprint's to remove: `tags` shows only what
            // differs from them (what eksforge added or changed).
            detector
                .tags
                .retain(|key, value| original.tags.get(key) != Some(value));
        }
        let mut observed = observed(&detector_id, &arn, &detector);
        if let Some(adopted) = adopted {
            observed.attrs.insert(ADOPTED.into(), adopted);
        }
        Ok(vec![Found {
            id: id.clone(),
            via,
            observed,
        }])
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let (id, attrs) = (request.id, request.attrs);
        let managed = Managed::from_attrs(attrs, id, "guardduty:CreateDetector")?;
        let mut features: BTreeMap<String, FeatureState> = OFF_AT_CREATE
            .iter()
            .map(|name| {
                (
                    name.to_string(),
                    FeatureState {
                        status: disabled(),
                        additional: BTreeMap::new(),
                    },
                )
            })
            .collect();
        features.insert(
            EKS_AUDIT_LOGS.to_string(),
            FeatureState {
                status: managed.eks_audit_logs.clone(),
                additional: BTreeMap::new(),
            },
        );
        features.insert(
            RUNTIME_MONITORING.to_string(),
            FeatureState {
                status: managed.runtime_monitoring.clone(),
                additional: BTreeMap::from([(
                    EKS_ADDON_MANAGEMENT.to_string(),
                    managed.eks_addon_management.clone(),
                )]),
            },
        );
        let mut tags = tag_map(attrs);
        let blueprint = tags.get(TAG_BLUEPRINT).cloned().unwrap_or_default();
        tags.insert(CREATED_TAG.to_string(), blueprint);
        let output = aws
            .guardduty
            .create_detector()
            .enable(managed.enable)
            .client_token(request.idempotency_token)
            .set_features(Some(
                features
                    .iter()
                    .map(|(name, feature)| feature_request(name, feature))
                    .collect(),
            ))
            .set_tags(Some(tags.into_iter().collect()))
            .send()
            .await
            .map_err(|error| {
                // A detector made meanwhile (a retry whose first answer was lost, where the
                // token is not honoured): the executor looks it up and adopts it.
                let mut error = AwsError::from_sdk(id, "guardduty:CreateDetector", error);
                if error.code.as_deref() == Some("BadRequestException")
                    && error.message.contains("already exists")
                {
                    error.class = super::ErrorClass::AlreadyExists;
                }
                error
            })?;
        let detector_id = output
            .detector_id()
            .ok_or_else(|| {
                AwsError::missing_in_response(id, "guardduty:CreateDetector", "detector id")
            })?
            .to_string();
        let arn = detector_arn(aws, id, &detector_id).await?;
        Ok(observed_after(&detector_id, &arn, attrs))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let (id, detector_id) = (request.id, request.cloud_id);
        let arn = detector_arn(aws, id, detector_id).await?;
        let features_changed = ["enable", "eks_audit_logs", "runtime_monitoring"]
            .iter()
            .chain(&["eks_addon_management"])
            .any(|name| request.changes(name));
        if features_changed {
            let managed = Managed::from_attrs(request.after, id, "guardduty:UpdateDetector")?;
            let current = get_detector(aws, id, detector_id)
                .await?
                .ok_or_else(|| gone(id, detector_id))?;
            update_detector(aws, id, detector_id, &managed, &current).await?;
        }
        if request.changes("tags") {
            send_tags(
                aws,
                id,
                &arn,
                MapChanges::of_tags(request.before, request.after),
            )
            .await?;
        }
        let mut observed = observed_after(detector_id, &arn, request.after);
        if let Some(adopted) = request.before.get(ADOPTED) {
            observed.attrs.insert(ADOPTED.into(), adopted.clone());
        }
        Ok(observed)
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let (id, detector_id) = (request.id, request.cloud_id);
        let Some(adopted) = request.attrs.get(ADOPTED) else {
            // eksforge's own: deleting it ends every feature with it.
            return aws
                .guardduty
                .delete_detector()
                .detector_id(detector_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|error| not_owned_is_gone(id, "guardduty:DeleteDetector", error))
                .or_else(AwsError::gone);
        };
        // The account's: its status, the managed features and its tags as they were.
        let Some(current) = get_detector(aws, id, detector_id).await? else {
            return Ok(());
        };
        let original = parse_adopted(adopted)
            .ok_or_else(|| AwsError::missing_attribute(id, "guardduty:UpdateDetector", ADOPTED))?;
        update_detector(aws, id, detector_id, &original.managed, &current).await?;
        let arn = detector_arn(aws, id, detector_id).await?;
        send_tags(
            aws,
            id,
            &arn,
            MapChanges::between(&current.tags, &original.tags),
        )
        .await
    }
}

/// One blueprint per account and region manages the detector: another blueprint's tag on it
/// (it created or adopted it) refuses this one before any change, so neither blueprint's
/// `destroy` pulls detection out from under the other and their tags never flap.
fn refuse_another_blueprints(
    id: &ResourceId,
    detector_id: &str,
    detector: &Detector,
    blueprint: &str,
) -> Result<(), AwsError> {
    let owner = detector
        .tags
        .get(TAG_BLUEPRINT)
        .or(detector.created_by.as_ref())
        .filter(|owner| owner.as_str() != blueprint);
    match owner {
        None => Ok(()),
        Some(owner) => Err(AwsError::new(
            id,
            "guardduty:GetDetector",
            format!(
                "the region's GuardDuty detector {detector_id} is managed by blueprint {owner} (its {TAG_BLUEPRINT} tag), and a region has one detector; remove [detection] from blueprint {blueprint} (`eksforge audit --cluster` still judges the detector), or manage it from {owner} only"
            ),
        )),
    }
}

/// What an adopted detector was before eksforge changed it.
struct Adopted {
    managed: Managed,
    tags: BTreeMap<String, String>,
}

fn adopted_record(detector: &Detector) -> Value {
    let mut managed = Attrs::new();
    Managed::of(detector).to_attrs(&mut managed);
    managed.insert(
        "tags".into(),
        Value::Map(
            detector
                .tags
                .iter()
                .map(|(key, value)| (key.clone(), Value::str(value)))
                .collect(),
        ),
    );
    Value::Map(managed)
}

fn parse_adopted(value: &Value) -> Option<Adopted> {
    let attrs: Attrs = value.as_map()?.clone();
    let status = |name: &str| attr_str(&attrs, name).map(str::to_string);
    Some(Adopted {
        managed: Managed {
            enable: attrs.get("enable")?.as_bool()?,
            eks_audit_logs: status("eks_audit_logs")?,
            runtime_monitoring: status("runtime_monitoring")?,
            eks_addon_management: status("eks_addon_management")?,
        },
        tags: tag_map(&attrs),
    })
}

fn gone(id: &ResourceId, detector_id: &str) -> AwsError {
    AwsError::new(
        id,
        "guardduty:GetDetector",
        format!("detector {detector_id} no longer exists"),
    )
}

/// GuardDuty answers a detector id it does not know with `BadRequestException` ("not owned by
/// the current account"), not a not-found code: that answer means gone.
fn not_owned_is_gone<E>(
    id: &ResourceId,
    call: &'static str,
    error: aws_sdk_guardduty::error::SdkError<E, aws_sdk_guardduty::config::http::HttpResponse>,
) -> AwsError
where
    E: aws_sdk_guardduty::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut error = AwsError::from_sdk(id, call, error);
    if error.code.as_deref() == Some("BadRequestException") && error.message.contains("not owned") {
        error.class = super::ErrorClass::NotFound;
    }
    error
}

async fn update_detector(
    aws: &Aws,
    id: &ResourceId,
    detector_id: &str,
    managed: &Managed,
    current: &Detector,
) -> Result<(), AwsError> {
    aws.guardduty
        .update_detector()
        .detector_id(detector_id)
        .enable(managed.enable)
        .set_features(Some(managed.feature_list(current)))
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "guardduty:UpdateDetector", error))?;
    Ok(())
}

async fn send_tags(
    aws: &Aws,
    id: &ResourceId,
    arn: &str,
    changes: MapChanges,
) -> Result<(), AwsError> {
    changes
        .send(
            |upserts| async move {
                aws.guardduty
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(upserts.into_iter().collect()))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "guardduty:TagResource", error))?;
                Ok(())
            },
            |removals| async move {
                aws.guardduty
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(removals))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "guardduty:UntagResource", error))?;
                Ok(())
            },
        )
        .await
}

/// The region's detector id, if there is one (ListDetectors; one per account and region).
async fn list_detector(aws: &Aws, id: &ResourceId) -> Result<Option<String>, AwsError> {
    let output = aws
        .guardduty
        .list_detectors()
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "guardduty:ListDetectors", error))?;
    Ok(output.detector_ids().first().cloned())
}

async fn get_detector(
    aws: &Aws,
    id: &ResourceId,
    detector_id: &str,
) -> Result<Option<Detector>, AwsError> {
    let output = match aws
        .guardduty
        .get_detector()
        .detector_id(detector_id)
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => return not_owned_is_gone(id, "guardduty:GetDetector", error).absent(),
    };
    // Only what UpdateDetector can name (CLOUD_TRAIL, DNS_LOGS and FLOW_LOGS are always on
    // and reported only).
    let mut features = super::observe::detector_features(output.features());
    features.retain(|name, _| DetectorFeature::values().contains(&name.as_str()));
    let mut tags: BTreeMap<String, String> = output
        .tags()
        .map(|tags| {
            tags.iter()
                .filter(|(key, _)| !key.starts_with("aws:"))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let created_by = tags.remove(CREATED_TAG);
    Ok(Some(Detector {
        enabled: output.status() == Some(&DetectorStatus::Enabled),
        features,
        tags,
        created_by,
    }))
}

/// `arn:<partition>:guardduty:<region>:<account>:detector/<id>`, the resource TagResource
/// takes; the account from the caller's identity when the clients do not know it yet.
async fn detector_arn(aws: &Aws, id: &ResourceId, detector_id: &str) -> Result<String, AwsError> {
    let (account, partition) = match &aws.account {
        Some(known) => known.clone(),
        None => {
            let identity = aws
                .sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(id, "sts:GetCallerIdentity", error))?;
            let account = identity
                .account()
                .ok_or_else(|| {
                    AwsError::missing_in_response(id, "sts:GetCallerIdentity", "account")
                })?
                .to_string();
            let partition = identity
                .arn()
                .and_then(|arn| arn.split(':').nth(1))
                .unwrap_or("aws")
                .to_string();
            (account, partition)
        }
    };
    Ok(format!(
        "arn:{partition}:guardduty:{}:{account}:detector/{detector_id}",
        aws.region
    ))
}

fn observed(detector_id: &str, arn: &str, detector: &Detector) -> Observed {
    let mut attrs = Attrs::new();
    Managed::of(detector).to_attrs(&mut attrs);
    attrs.insert(
        "tags".into(),
        Value::Map(
            detector
                .tags
                .iter()
                .map(|(key, value)| (key.clone(), Value::str(value)))
                .collect(),
        ),
    );
    observed_after(detector_id, arn, &attrs)
}

fn observed_after(detector_id: &str, arn: &str, attrs: &Attrs) -> Observed {
    Observed {
        cloud_id: detector_id.to_string(),
        attrs: attrs.clone(),
        outputs: Attrs::from([
            ("id".to_string(), Value::str(detector_id)),
            ("arn".to_string(), Value::str(arn)),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A feature as a test writes it: name, status, additional configurations.
    type Written<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

    fn detector(features: &[Written<'_>]) -> Detector {
        Detector {
            enabled: true,
            features: features
                .iter()
                .map(|(name, status, additional)| {
                    (
                        name.to_string(),
                        FeatureState {
                            status: status.to_string(),
                            additional: additional
                                .iter()
                                .map(|(n, s)| (n.to_string(), s.to_string()))
                                .collect(),
                        },
                    )
                })
                .collect(),
            tags: BTreeMap::new(),
            created_by: None,
        }
    }

    fn names_and_statuses(list: &[DetectorFeatureConfiguration]) -> Vec<(String, String)> {
        list.iter()
            .map(|feature| {
                (
                    feature
                        .name()
                        .map(|n| n.as_str().to_string())
                        .unwrap_or_default(),
                    feature
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    fn all_on() -> Managed {
        Managed {
            enable: true,
            eks_audit_logs: "ENABLED".into(),
            runtime_monitoring: "ENABLED".into(),
            eks_addon_management: "ENABLED".into(),
        }
    }

    /// Every feature the detector had is named again, as it was; the managed ones as desired;
    /// the legacy EKS runtime feature never beside RUNTIME_MONITORING.
    #[test]
    fn the_feature_list_is_sent_whole() {
        let current = detector(&[
            ("S3_DATA_EVENTS", "ENABLED", &[]),
            (
                "EKS_RUNTIME_MONITORING",
                "ENABLED",
                &[("EKS_ADDON_MANAGEMENT", "ENABLED")],
            ),
            (
                "RUNTIME_MONITORING",
                "DISABLED",
                &[("ECS_FARGATE_AGENT_MANAGEMENT", "ENABLED")],
            ),
        ]);
        let list = all_on().feature_list(&current);
        assert_eq!(
            names_and_statuses(&list),
            [
                ("EKS_AUDIT_LOGS".to_string(), "ENABLED".to_string()),
                ("RUNTIME_MONITORING".to_string(), "ENABLED".to_string()),
                ("S3_DATA_EVENTS".to_string(), "ENABLED".to_string()),
            ]
        );
        let runtime = &list[1];
        let additional: Vec<(String, String)> = runtime
            .additional_configuration()
            .iter()
            .map(|c| {
                (
                    c.name().map(|n| n.as_str().to_string()).unwrap_or_default(),
                    c.status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            additional,
            [
                (
                    "ECS_FARGATE_AGENT_MANAGEMENT".to_string(),
                    "ENABLED".to_string()
                ),
                ("EKS_ADDON_MANAGEMENT".to_string(), "ENABLED".to_string()),
            ]
        );
    }

    /// An adopted detector's record reads back as what it was, features it lacked as off.
    #[test]
    fn the_adopted_record_round_trips() {
        let mut current = detector(&[("S3_DATA_EVENTS", "ENABLED", &[])]);
        current.tags.insert("team".into(), "security".into());
        let parsed = parse_adopted(&adopted_record(&current)).expect("parses");
        assert_eq!(
            parsed.managed,
            Managed {
                enable: true,
                eks_audit_logs: "DISABLED".into(),
                runtime_monitoring: "DISABLED".into(),
                eks_addon_management: "DISABLED".into(),
            }
        );
        assert_eq!(
            parsed.tags.get("team").map(String::as_str),
            Some("security")
        );
    }
}
