//! ECR: one `ecr_repository.<name>` per `[[registry.repositories]]` (scan on push, immutable
//! tags, the blueprint's KMS key, a lifecycle policy, the repository policy when given), and
//! for `registry.scan = "enhanced"` the registry's scanning configuration
//! (`ecr_registry_scanning.registry`) naming those repositories.

use serde_json::{json, Value as Json};

use crate::blueprint::limits::UNTAGGED_IMAGE_DAYS;
use crate::blueprint::model::{Registry, RegistryScan, Repository};
use crate::resources::policy::{document, sorted_json};
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;
use super::ExpandError;

/// How often enhanced scanning looks at the repositories' images: again whenever a new
/// vulnerability is published, not only when an image is pushed.
const ENHANCED_SCAN_FREQUENCY: &str = "CONTINUOUS_SCAN";

/// The repositories and, for enhanced scanning, the registry's scanning configuration.
/// `key_arn` is the blueprint's KMS key (only a blueprint with a cluster has one).
pub(super) fn add_registry(
    builder: &mut Builder,
    registry: &Registry,
    key_arn: Option<&Value>,
) -> Result<(), ExpandError> {
    for (index, repository) in registry.repositories.iter().enumerate() {
        add_repository(builder, index, repository, key_arn)?;
    }
    if registry.scan == RegistryScan::Enhanced && !registry.repositories.is_empty() {
        let names = registry
            .repositories
            .iter()
            .map(|repository| Value::str(repository.name.clone()))
            .collect();
        builder.add(
            Kind::EcrRegistryScanning,
            "registry",
            [
                ("scan_type", Value::str("ENHANCED")),
                ("scan_frequency", Value::str(ENHANCED_SCAN_FREQUENCY)),
                ("repository_filters", Value::List(names)),
            ],
        );
    }
    Ok(())
}

fn add_repository(
    builder: &mut Builder,
    index: usize,
    repository: &Repository,
    key_arn: Option<&Value>,
) -> Result<ResourceId, ExpandError> {
    let blueprint_key = |key: &str| format!("registry.repositories[{index}].{key}");
    let mut attrs = vec![
        ("name", Value::str(repository.name.clone())),
        ("scan_on_push", Value::Bool(repository.scan_on_push)),
        (
            "image_tag_mutability",
            Value::str(if repository.immutable_tags {
                "IMMUTABLE"
            } else {
                "MUTABLE"
            }),
        ),
        (
            "lifecycle_policy",
            Value::str(lifecycle_policy(repository.lifecycle_keep)),
        ),
        ("force_delete", Value::Bool(repository.force_delete)),
    ];
    if repository.kms {
        let key = key_arn.ok_or_else(|| ExpandError::NoKey {
            resource: ResourceId::new(Kind::EcrRepository, &repository.name),
            blueprint_key: blueprint_key("kms"),
        })?;
        attrs.push(("encryption_type", Value::str("KMS")));
        attrs.push(("kms_key", key.clone()));
    } else {
        attrs.push(("encryption_type", Value::str("AES256")));
    }
    if let Some(text) = &repository.policy {
        let parsed: Json =
            serde_json::from_str(text).map_err(|_| ExpandError::InvalidDocument {
                resource: ResourceId::new(Kind::EcrRepository, &repository.name),
                attribute: "policy",
                blueprint_key: blueprint_key("policy"),
            })?;
        attrs.push(("policy", document(&parsed)));
    }
    Ok(builder.add(Kind::EcrRepository, &repository.name, attrs))
}

/// ECR's lifecycle policy: untagged images expire [`UNTAGGED_IMAGE_DAYS`] days after their
/// push, and of all images only the newest `keep` stay. Rules are applied by priority; the
/// `any` rule must come last. Keys sorted, so the text is the same each time and a diff
/// compares meaning.
pub(super) fn lifecycle_policy(keep: u32) -> String {
    let policy = json!({
        "rules": [
            {
                "rulePriority": 1,
                "description": format!("Expire untagged images {UNTAGGED_IMAGE_DAYS} days after push"),
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": UNTAGGED_IMAGE_DAYS,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": format!("Keep the newest {keep} images"),
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep,
                },
                "action": {"type": "expire"},
            },
        ],
    });
    sorted_json(&policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_policy_expires_untagged_images_then_keeps_the_newest() {
        let text = lifecycle_policy(30);
        let parsed: Json = serde_json::from_str(&text).expect("JSON");
        let rules = parsed["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0]["selection"]["tagStatus"], "untagged");
        assert_eq!(rules[0]["selection"]["countType"], "sinceImagePushed");
        assert_eq!(rules[1]["selection"]["tagStatus"], "any");
        assert_eq!(rules[1]["selection"]["countNumber"], 30);
        // Canonical: the same text each time, keys sorted, and long enough for ECR (100).
        assert_eq!(text, lifecycle_policy(30));
        assert!(text.starts_with("{\"rules\":[{\"action\""), "{text}");
        assert!(text.len() >= 100);
    }
}
