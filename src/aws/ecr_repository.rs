//! `ecr_repository`: a private ECR repository. CreateRepository (scan on push, tag mutability,
//! KMS encryption with the blueprint's key, tags in the one call) → PutLifecyclePolicy and
//! SetRepositoryPolicy at once; in place PutImageScanningConfiguration, PutImageTagMutability,
//! PutLifecyclePolicy, Set/DeleteRepositoryPolicy, Tag/UntagResource; DeleteRepository.
//!
//! The encryption (type and key) is fixed when the repository is made: a change replaces it,
//! and with it every image it holds. `force_delete` is eksforge's own attribute (Terraform's
//! `force_delete`): no call reads or sets it; a refresh carries the recorded (or desired)
//! value, `plan::protection` refuses to delete a repository that holds images without it, and
//! the delete sends it as DeleteRepository's `force`. A refresh counts the images (ListImages,
//! distinct digests) into the `image_count` output for that refusal.
//!
//! The name is the natural key; a same-named repository is adopted only when its tags name
//! this blueprint and id.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    Repository, Tag,
};

use crate::resources::policy::sorted_json;
use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::refresh::{attr_str, claimed_id, required_bool, required_str};
use super::tags::{tag_map, MapChanges};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, ErrorClass, Found,
    FoundVia, KindProvider, Observed, Scope, UpdateRequest,
};

pub struct EcrRepositoryProvider;

static DESCRIPTION: Description = Description::new(
    Kind::EcrRepository,
    "ecr:DescribeRepositories",
    &[
        AttrRule::ForcesReplacement("name"),
        AttrRule::ForcesReplacement("encryption_type"),
        AttrRule::ForcesReplacement("kms_key"),
        AttrRule::UpdatedBy("scan_on_push", "ecr:PutImageScanningConfiguration"),
        AttrRule::UpdatedBy("image_tag_mutability", "ecr:PutImageTagMutability"),
        AttrRule::UpdatedBy("lifecycle_policy", "ecr:PutLifecyclePolicy"),
        AttrRule::UpdatedBy("policy", "ecr:SetRepositoryPolicy/DeleteRepositoryPolicy"),
        AttrRule::UpdatedBy(
            "force_delete",
            "none (eksforge's consent, sent as DeleteRepository's force)",
        ),
        AttrRule::UpdatedBy("tags", "ecr:TagResource/UntagResource"),
    ],
)
// CreateRepository → PutLifecyclePolicy (and SetRepositoryPolicy alongside).
.calls(1, 2, 1, 1)
// Found by name: adopted when its tags claim it.
.adopts_by_natural_key();

/// The attributes brought to the desired value in place, in this order.
const MUTABLE: &[&str] = &[
    "scan_on_push",
    "image_tag_mutability",
    "lifecycle_policy",
    "policy",
    "tags",
];

impl KindProvider for EcrRepositoryProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let recorded = scope
            .recorded
            .iter()
            .map(|(id, (name, attrs))| (id.clone(), name.clone(), FoundVia::State, consent(attrs)));
        let missing = scope.missing.iter().filter_map(|(id, attrs)| {
            let name = attr_str(attrs, "name")?;
            Some((
                id.clone(),
                name.to_string(),
                FoundVia::NaturalKey,
                consent(attrs),
            ))
        });
        let wanted: Vec<_> = recorded.chain(missing).collect();
        let found = futures::future::try_join_all(wanted.into_iter().map(
            |(id, name, via, force_delete)| async move {
                let Some(mut observed) = read(aws, &id, &name).await? else {
                    return Ok::<_, AwsError>(None);
                };
                if via != FoundVia::State
                    && claimed_id(&observed, &scope.blueprint, Kind::EcrRepository).as_ref()
                        != Some(&id)
                {
                    return Ok(None);
                }
                observed
                    .attrs
                    .insert("force_delete".into(), Value::Bool(force_delete));
                Ok(Some(Found { id, via, observed }))
            },
        ))
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let (id, attrs) = (request.id, request.attrs);
        const CALL: &str = "ecr:CreateRepository";
        let name = required_str(attrs, "name", id, CALL)?;
        let created = aws
            .ecr
            .create_repository()
            .repository_name(name)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(required_bool(attrs, "scan_on_push", id, CALL)?)
                    .build(),
            )
            .image_tag_mutability(ImageTagMutability::from(required_str(
                attrs,
                "image_tag_mutability",
                id,
                CALL,
            )?))
            .encryption_configuration(encryption(id, attrs)?)
            .set_tags(Some(ecr_tags(id, CALL, &tag_map(attrs))?))
            .send()
            .await;
        let repository = match created {
            Ok(output) => output
                .repository()
                .cloned()
                .ok_or_else(|| AwsError::missing_in_response(id, CALL, "repository"))?,
            Err(error) => {
                let error = AwsError::from_sdk(id, CALL, error);
                if error.class != ErrorClass::AlreadyExists {
                    return Err(error);
                }
                // Ours from an interrupted run (its tags say so): bring it to the desired
                // attributes. Anyone else's is not taken over.
                let blueprint = tag_map(attrs)
                    .get(crate::resources::TAG_BLUEPRINT)
                    .cloned()
                    .unwrap_or_default();
                let current = read(aws, id, name).await?;
                let Some(current) = current.filter(|current| {
                    claimed_id(current, &blueprint, Kind::EcrRepository).as_ref() == Some(id)
                }) else {
                    return Err(AwsError {
                        message: format!(
                            "{}: repository {name} exists and is not this blueprint's (no eksforge tags naming {id}); choose another name or delete it",
                            error.message
                        ),
                        ..error
                    });
                };
                let changed: Vec<String> = MUTABLE
                    .iter()
                    .filter(|attribute| current.attrs.get(**attribute) != attrs.get(**attribute))
                    .map(|attribute| attribute.to_string())
                    .collect();
                let arn = output_str(&current, "arn");
                apply_changes(aws, id, name, &arn, &current.attrs, attrs, &changed).await?;
                return Ok(observed_after(&current.outputs, attrs));
            }
        };
        let lifecycle = async {
            if let Some(policy) = attr_str(attrs, "lifecycle_policy") {
                put_lifecycle_policy(aws, id, name, policy).await?;
            }
            Ok::<_, AwsError>(())
        };
        let repository_policy = async {
            if let Some(policy) = attr_str(attrs, "policy") {
                set_repository_policy(aws, id, name, policy).await?;
            }
            Ok::<_, AwsError>(())
        };
        futures::try_join!(lifecycle, repository_policy)?;
        Ok(observed_after(&outputs(&repository, 0), attrs))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let (id, name) = (request.id, request.cloud_id);
        let repository = describe(aws, id, name).await?.ok_or_else(|| {
            AwsError::new(
                id,
                "ecr:DescribeRepositories",
                format!("{name} no longer exists"),
            )
        })?;
        let arn = repository.repository_arn().unwrap_or_default().to_string();
        apply_changes(
            aws,
            id,
            name,
            &arn,
            request.before,
            request.after,
            request.changed,
        )
        .await?;
        Ok(observed_after(&outputs(&repository, 0), request.after))
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let (id, name) = (request.id, request.cloud_id);
        // Only with the user's consent does a repository go with its images; without it ECR
        // refuses one that holds any (`RepositoryNotEmptyException`), which the plan's
        // protection already refused before anything was deleted.
        let force = consent(request.attrs);
        let deleted = aws
            .ecr
            .delete_repository()
            .repository_name(name)
            .force(force)
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) => {
                let error = AwsError::from_sdk(id, "ecr:DeleteRepository", error);
                if error.code.as_deref() == Some("RepositoryNotEmptyException") {
                    return Err(AwsError {
                        message: format!(
                            "{}: repository {name} still holds images; set force_delete = true on it in [[registry.repositories]] and apply, then try again",
                            error.message
                        ),
                        ..error
                    });
                }
                error.gone()
            }
        }
    }
}

/// The `force_delete` consent an attribute map records (absent: no consent).
fn consent(attrs: &Attrs) -> bool {
    attrs.get("force_delete").and_then(Value::as_bool) == Some(true)
}

fn encryption(id: &ResourceId, attrs: &Attrs) -> Result<EncryptionConfiguration, AwsError> {
    const CALL: &str = "ecr:CreateRepository";
    let kind = required_str(attrs, "encryption_type", id, CALL)?;
    let mut builder =
        EncryptionConfiguration::builder().encryption_type(EncryptionType::from(kind));
    if kind == "KMS" {
        builder = builder.kms_key(required_str(attrs, "kms_key", id, CALL)?);
    }
    builder
        .build()
        .map_err(|error| AwsError::new(id, CALL, format!("internal error: {error}")))
}

/// The tags as ECR takes them.
fn ecr_tags(
    id: &ResourceId,
    call: &'static str,
    tags: &BTreeMap<String, String>,
) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|error| AwsError::new(id, call, format!("internal error: {error}")))
        })
        .collect()
}

fn outputs(repository: &Repository, image_count: usize) -> Attrs {
    let mut outputs = Attrs::new();
    for (name, value) in [
        ("name", repository.repository_name()),
        ("arn", repository.repository_arn()),
        ("repository_uri", repository.repository_uri()),
    ] {
        if let Some(value) = value {
            outputs.insert(name.to_string(), Value::str(value));
        }
    }
    outputs.insert(
        "image_count".to_string(),
        Value::Int(i64::try_from(image_count).unwrap_or(i64::MAX)),
    );
    outputs
}

fn observed_after(outputs: &Attrs, attrs: &Attrs) -> Observed {
    Observed {
        cloud_id: outputs
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| attr_str(attrs, "name"))
            .unwrap_or_default()
            .to_string(),
        attrs: attrs.clone(),
        outputs: outputs.clone(),
    }
}

fn output_str(observed: &Observed, name: &str) -> String {
    observed
        .outputs
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// DescribeRepositories of one name; `None` when it does not exist.
async fn describe(aws: &Aws, id: &ResourceId, name: &str) -> Result<Option<Repository>, AwsError> {
    match aws
        .ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
    {
        Ok(output) => Ok(output
            .repositories()
            .iter()
            .find(|repository| repository.repository_name() == Some(name))
            .cloned()),
        Err(error) => AwsError::from_sdk(id, "ecr:DescribeRepositories", error).absent(),
    }
}

/// GetLifecyclePolicy as sorted JSON; `None` when there is none (or no repository).
async fn lifecycle_policy(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
) -> Result<Option<String>, AwsError> {
    match aws
        .ecr
        .get_lifecycle_policy()
        .repository_name(name)
        .send()
        .await
    {
        Ok(output) => Ok(output.lifecycle_policy_text().map(sorted_text)),
        Err(error) => AwsError::from_sdk(id, "ecr:GetLifecyclePolicy", error).absent(),
    }
}

/// GetRepositoryPolicy in the canonical policy form; `None` when there is none.
async fn repository_policy(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
) -> Result<Option<String>, AwsError> {
    match aws
        .ecr
        .get_repository_policy()
        .repository_name(name)
        .send()
        .await
    {
        Ok(output) => Ok(output
            .policy_text()
            .map(|text| super::policy::canonical(text).unwrap_or_else(|| text.to_string()))),
        Err(error) => AwsError::from_sdk(id, "ecr:GetRepositoryPolicy", error).absent(),
    }
}

/// How many images the repository holds: ListImages, one per digest (an image with two tags
/// is listed twice).
async fn image_count(aws: &Aws, id: &ResourceId, name: &str) -> Result<Option<usize>, AwsError> {
    let listed: Result<Vec<_>, _> = aws
        .ecr
        .list_images()
        .repository_name(name)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    match listed {
        Ok(images) => Ok(Some(
            images
                .iter()
                .map(|image| {
                    image
                        .image_digest()
                        .or(image.image_tag())
                        .unwrap_or_default()
                })
                .collect::<BTreeSet<_>>()
                .len(),
        )),
        Err(error) => AwsError::from_sdk(id, "ecr:ListImages", error).absent(),
    }
}

async fn list_tags(
    aws: &Aws,
    id: &ResourceId,
    arn: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let output = aws
        .ecr
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ecr:ListTagsForResource", error))?;
    Ok(output
        .tags()
        .iter()
        .filter(|tag| !tag.key().starts_with("aws:"))
        .map(|tag| (tag.key().to_string(), tag.value().to_string()))
        .collect())
}

/// JSON with keys sorted (arrays kept: a lifecycle policy's rules are a list); the text as
/// returned when it is not JSON.
fn sorted_text(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|json| sorted_json(&json))
        .unwrap_or_else(|_| text.to_string())
}

/// The repository in the desired attributes' vocabulary (without `force_delete`, which no
/// call reads); `None` when it does not exist. Every read goes at once: the ARN for the tags
/// is built when the account is known.
async fn read(aws: &Aws, id: &ResourceId, name: &str) -> Result<Option<Observed>, AwsError> {
    let expected_arn = aws.account.as_ref().map(|(account, partition)| {
        format!(
            "arn:{partition}:ecr:{}:{account}:repository/{name}",
            aws.region
        )
    });
    let tags_ahead = async {
        match &expected_arn {
            Some(arn) => Some(list_tags(aws, id, arn).await),
            None => None,
        }
    };
    let (repository, lifecycle, policy, images, tags_ahead) = futures::join!(
        describe(aws, id, name),
        lifecycle_policy(aws, id, name),
        repository_policy(aws, id, name),
        image_count(aws, id, name),
        tags_ahead
    );
    // A repository that is gone makes the other reads fail: the describe decides.
    let Some(repository) = repository? else {
        return Ok(None);
    };
    let (lifecycle, policy, images) = (lifecycle?, policy?, images?);
    let arn = repository.repository_arn().unwrap_or_default().to_string();
    let tags = match tags_ahead {
        Some(Ok(tags)) if expected_arn.as_deref() == Some(arn.as_str()) => tags,
        _ if arn.is_empty() => BTreeMap::new(),
        _ => list_tags(aws, id, &arn).await?,
    };
    let mut attrs = Attrs::from([("name".to_string(), Value::str(name))]);
    if let Some(scanning) = repository.image_scanning_configuration() {
        attrs.insert("scan_on_push".into(), Value::Bool(scanning.scan_on_push()));
    }
    if let Some(mutability) = repository.image_tag_mutability() {
        attrs.insert(
            "image_tag_mutability".into(),
            Value::str(mutability.as_str()),
        );
    }
    // A repository made without an encryption configuration is AES-256 encrypted.
    let (kind, key) = match repository.encryption_configuration() {
        Some(encryption) => (
            encryption.encryption_type().as_str().to_string(),
            encryption.kms_key().map(str::to_string),
        ),
        None => ("AES256".to_string(), None),
    };
    attrs.insert("encryption_type".into(), Value::str(kind));
    if let Some(key) = key {
        attrs.insert("kms_key".into(), Value::str(key));
    }
    if let Some(lifecycle) = lifecycle {
        attrs.insert("lifecycle_policy".into(), Value::str(lifecycle));
    }
    if let Some(policy) = policy {
        attrs.insert("policy".into(), Value::str(policy));
    }
    attrs.insert(
        "tags".into(),
        Value::Map(
            tags.into_iter()
                .map(|(key, value)| (key, Value::str(value)))
                .collect(),
        ),
    );
    Ok(Some(Observed {
        cloud_id: name.to_string(),
        attrs,
        outputs: outputs(&repository, images.unwrap_or(0)),
    }))
}

async fn put_lifecycle_policy(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    policy: &str,
) -> Result<(), AwsError> {
    aws.ecr
        .put_lifecycle_policy()
        .repository_name(name)
        .lifecycle_policy_text(policy)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ecr:PutLifecyclePolicy", error))?;
    Ok(())
}

async fn set_repository_policy(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    policy: &str,
) -> Result<(), AwsError> {
    aws.ecr
        .set_repository_policy()
        .repository_name(name)
        .policy_text(policy)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ecr:SetRepositoryPolicy", error))?;
    Ok(())
}

/// Brings the repository from `before` to `after` for the `changed` attributes (`force_delete`
/// needs no call).
async fn apply_changes(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    arn: &str,
    before: &Attrs,
    after: &Attrs,
    changed: &[String],
) -> Result<(), AwsError> {
    let changed = |attribute: &str| changed.iter().any(|name| name == attribute);
    if changed("scan_on_push") {
        const CALL: &str = "ecr:PutImageScanningConfiguration";
        aws.ecr
            .put_image_scanning_configuration()
            .repository_name(name)
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(required_bool(after, "scan_on_push", id, CALL)?)
                    .build(),
            )
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(id, CALL, error))?;
    }
    if changed("image_tag_mutability") {
        const CALL: &str = "ecr:PutImageTagMutability";
        aws.ecr
            .put_image_tag_mutability()
            .repository_name(name)
            .image_tag_mutability(ImageTagMutability::from(required_str(
                after,
                "image_tag_mutability",
                id,
                CALL,
            )?))
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(id, CALL, error))?;
    }
    if changed("lifecycle_policy") {
        match attr_str(after, "lifecycle_policy") {
            Some(policy) => put_lifecycle_policy(aws, id, name, policy).await?,
            None => {
                aws.ecr
                    .delete_lifecycle_policy()
                    .repository_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|error| AwsError::from_sdk(id, "ecr:DeleteLifecyclePolicy", error))
                    .or_else(AwsError::gone)?;
            }
        }
    }
    if changed("policy") {
        match attr_str(after, "policy") {
            Some(policy) => set_repository_policy(aws, id, name, policy).await?,
            None => {
                aws.ecr
                    .delete_repository_policy()
                    .repository_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|error| AwsError::from_sdk(id, "ecr:DeleteRepositoryPolicy", error))
                    .or_else(AwsError::gone)?;
            }
        }
    }
    if changed("tags") {
        MapChanges::of_tags(before, after)
            .send(
                |upserts| async move {
                    aws.ecr
                        .tag_resource()
                        .resource_arn(arn)
                        .set_tags(Some(ecr_tags(id, "ecr:TagResource", &upserts)?))
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(id, "ecr:TagResource", error))?;
                    Ok(())
                },
                |removals| async move {
                    aws.ecr
                        .untag_resource()
                        .resource_arn(arn)
                        .set_tag_keys(Some(removals))
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(id, "ecr:UntagResource", error))?;
                    Ok(())
                },
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_text_compares_by_meaning_and_keeps_its_rules_a_list() {
        let returned =
            "{\n  \"rules\": [ {\"rulePriority\": 1, \"action\": {\"type\": \"expire\"}} ]\n}";
        assert_eq!(
            sorted_text(returned),
            "{\"rules\":[{\"action\":{\"type\":\"expire\"},\"rulePriority\":1}]}"
        );
        assert_eq!(sorted_text("not json"), "not json");
    }

    #[test]
    fn consent_is_only_an_explicit_true() {
        assert!(!consent(&Attrs::new()));
        assert!(consent(&Attrs::from([(
            "force_delete".to_string(),
            Value::Bool(true)
        )])));
    }
}
