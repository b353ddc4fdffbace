//! `log_group`: a CloudWatch Logs group made before what writes to it (the cluster's
//! control-plane logs, Session Manager transcripts), so it has a retention period and a KMS
//! key from the start. CreateLogGroup (name, key, tags in the one call) → PutRetentionPolicy;
//! DeleteLogGroup.
//!
//! The name is the natural key. A group that already exists is adopted, never an error: EKS
//! re-creates its group when log events still arrive after a destroy.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::LogGroup;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::refresh::{attr_str, by_natural_key, required_str};
use super::tags::{tag_map, MapChanges};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, ErrorClass, Found,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct LogGroupProvider;

static DESCRIPTION: Description = Description::new(
    Kind::LogGroup,
    "logs:DescribeLogGroups",
    &[
        AttrRule::ForcesReplacement("name"),
        AttrRule::UpdatedBy("retention_in_days", "logs:PutRetentionPolicy"),
        AttrRule::UpdatedBy("kms_key_id", "logs:AssociateKmsKey/DisassociateKmsKey"),
        AttrRule::UpdatedBy("tags", "logs:TagResource/UntagResource"),
    ],
)
// CreateLogGroup (KMS key, tags) → PutRetentionPolicy.
.calls(1, 2, 1, 1)
// Found by name (a group EKS re-created carries none of our tags).
.adopts_by_natural_key();

/// The attributes an adopted group is brought to, in this order.
const MUTABLE: &[&str] = &["kms_key_id", "retention_in_days", "tags"];

impl KindProvider for LogGroupProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        by_natural_key(
            scope,
            |desired| attr_str(desired, "name").map(str::to_string),
            |id, name| async move { read(aws, &id, &name).await },
        )
        .await
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let (id, attrs) = (request.id, request.attrs);
        let name = required_str(attrs, "name", id, "logs:CreateLogGroup")?;
        let tags = tag_map(attrs);
        let mut call = aws
            .logs
            .create_log_group()
            .log_group_name(name)
            .set_tags((!tags.is_empty()).then(|| tags.into_iter().collect()));
        if let Some(key) = attr_str(attrs, "kms_key_id") {
            call = call.kms_key_id(key);
        }
        match call.send().await {
            Ok(_) => {
                // The retention and the read of the ARN (CreateLogGroup returns none) at once.
                let retention = async {
                    if let Some(Value::Int(days)) = attrs.get("retention_in_days") {
                        put_retention(aws, id, name, *days).await?;
                    }
                    Ok::<_, AwsError>(())
                };
                let (_, group) = futures::try_join!(retention, find(aws, id, name))?;
                let group = group.ok_or_else(|| {
                    AwsError::new(
                        id,
                        "logs:DescribeLogGroups",
                        format!("{name} was created but cannot be found"),
                    )
                })?;
                Ok(observed_after(name, &group_arn(&group), attrs))
            }
            Err(error) => {
                let error = AwsError::from_sdk(id, "logs:CreateLogGroup", error);
                if error.class != ErrorClass::AlreadyExists {
                    return Err(error);
                }
                // Ours from an interrupted run, or EKS's re-created one: adopt it and bring
                // it to the desired key, retention and tags.
                let current = read(aws, id, name).await?.ok_or_else(|| {
                    AwsError::new(
                        id,
                        "logs:DescribeLogGroups",
                        format!("{name} exists but cannot be found"),
                    )
                })?;
                let changed: Vec<String> = MUTABLE
                    .iter()
                    .filter(|attribute| current.attrs.get(**attribute) != attrs.get(**attribute))
                    .map(|attribute| attribute.to_string())
                    .collect();
                let arn = output_str(&current, "arn");
                apply_changes(aws, id, name, &arn, &current.attrs, attrs, &changed).await?;
                Ok(observed_after(name, &arn, attrs))
            }
        }
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let (id, name) = (request.id, request.cloud_id);
        // With the account known the ARN is built, not read: the change is the only round.
        let arn = match expected_arn(aws, name) {
            Some(arn) => arn,
            None => {
                let group = find(aws, id, name).await?.ok_or_else(|| {
                    AwsError::new(
                        id,
                        "logs:DescribeLogGroups",
                        format!("{name} no longer exists"),
                    )
                })?;
                group_arn(&group)
            }
        };
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
        Ok(observed_after(name, &arn, request.after))
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        aws.logs
            .delete_log_group()
            .log_group_name(request.cloud_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| AwsError::from_sdk(request.id, "logs:DeleteLogGroup", error))
            .or_else(AwsError::gone)
    }
}

fn observed_after(name: &str, arn: &str, attrs: &Attrs) -> Observed {
    Observed {
        cloud_id: name.to_string(),
        attrs: attrs.clone(),
        outputs: Attrs::from([
            ("name".to_string(), Value::str(name)),
            ("arn".to_string(), Value::str(arn)),
        ]),
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

/// The group's ARN without the `:*` that `arn` carries (the form TagResource and IAM
/// policies take).
fn group_arn(group: &LogGroup) -> String {
    group
        .log_group_arn()
        .map(str::to_string)
        .or_else(|| {
            group
                .arn()
                .map(|arn| arn.strip_suffix(":*").unwrap_or(arn).to_string())
        })
        .unwrap_or_default()
}

/// DescribeLogGroups by name prefix, matched exactly (a prefix also matches longer names).
async fn find(aws: &Aws, id: &ResourceId, name: &str) -> Result<Option<LogGroup>, AwsError> {
    let mut groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .into_paginator()
        .items()
        .send();
    // Pages are read only until the group is found.
    while let Some(group) = groups
        .try_next()
        .await
        .map_err(|error| AwsError::from_sdk(id, "logs:DescribeLogGroups", error))?
    {
        if group.log_group_name() == Some(name) {
            return Ok(Some(group));
        }
    }
    Ok(None)
}

/// The group's ARN, once the caller's account is known (`Aws::with_account`).
fn expected_arn(aws: &Aws, name: &str) -> Option<String> {
    aws.account.as_ref().map(|(account, partition)| {
        format!(
            "arn:{partition}:logs:{}:{account}:log-group:{name}",
            aws.region
        )
    })
}

/// One group in the desired attributes' vocabulary; `None` when it does not exist.
async fn read(aws: &Aws, id: &ResourceId, name: &str) -> Result<Option<Observed>, AwsError> {
    // With the account known, the ARN is built and the tags read beside the describe: one
    // round trip. A group that is gone makes the tag read fail: the describe decides.
    let expected_arn = expected_arn(aws, name);
    let tags_ahead = async {
        match &expected_arn {
            Some(arn) => Some(list_tags(aws, id, arn).await),
            None => None,
        }
    };
    let (group, tags_ahead) = futures::join!(find(aws, id, name), tags_ahead);
    let Some(group) = group? else {
        return Ok(None);
    };
    let arn = group_arn(&group);
    let tags = match tags_ahead {
        Some(Ok(tags)) if expected_arn.as_deref() == Some(arn.as_str()) => tags,
        _ if arn.is_empty() => BTreeMap::new(),
        _ => list_tags(aws, id, &arn).await?,
    };
    let mut attrs = Attrs::from([("name".to_string(), Value::str(name))]);
    if let Some(days) = group.retention_in_days() {
        attrs.insert("retention_in_days".into(), Value::Int(i64::from(days)));
    }
    if let Some(key) = group.kms_key_id() {
        attrs.insert("kms_key_id".into(), Value::str(key));
    }
    attrs.insert(
        "tags".into(),
        Value::Map(
            tags.into_iter()
                .map(|(key, value)| (key, Value::str(value)))
                .collect(),
        ),
    );
    Ok(Some(observed_after(name, &arn, &attrs)))
}

/// ListTagsForResource (the current API; ListTagsLogGroup is deprecated), without `aws:` keys.
async fn list_tags(
    aws: &Aws,
    id: &ResourceId,
    arn: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let output = aws
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "logs:ListTagsForResource", error))?;
    Ok(output
        .tags()
        .map(|tags| {
            tags.iter()
                .filter(|(key, _)| !key.starts_with("aws:"))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default())
}

async fn put_retention(aws: &Aws, id: &ResourceId, name: &str, days: i64) -> Result<(), AwsError> {
    let days = i32::try_from(days).map_err(|_| {
        AwsError::new(
            id,
            "logs:PutRetentionPolicy",
            format!("{days} days is out of range"),
        )
    })?;
    aws.logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "logs:PutRetentionPolicy", error))?;
    Ok(())
}

/// Brings the group from `before` to `after` for the `changed` attributes.
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
    if changed("kms_key_id") {
        match attr_str(after, "kms_key_id") {
            Some(key) => {
                aws.logs
                    .associate_kms_key()
                    .log_group_name(name)
                    .kms_key_id(key)
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "logs:AssociateKmsKey", error))?;
            }
            None => {
                aws.logs
                    .disassociate_kms_key()
                    .log_group_name(name)
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "logs:DisassociateKmsKey", error))?;
            }
        }
    }
    if changed("retention_in_days") {
        match after.get("retention_in_days") {
            Some(Value::Int(days)) => put_retention(aws, id, name, *days).await?,
            _ => {
                aws.logs
                    .delete_retention_policy()
                    .log_group_name(name)
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "logs:DeleteRetentionPolicy", error))?;
            }
        }
    }
    if changed("tags") {
        MapChanges::of_tags(before, after)
            .send(
                |upserts| async move {
                    aws.logs
                        .tag_resource()
                        .resource_arn(arn)
                        .set_tags(Some(upserts.into_iter().collect()))
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(id, "logs:TagResource", error))?;
                    Ok(())
                },
                |removals| async move {
                    aws.logs
                        .untag_resource()
                        .resource_arn(arn)
                        .set_tag_keys(Some(removals))
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(id, "logs:UntagResource", error))?;
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
    fn arn_loses_the_trailing_wildcard() {
        let group = LogGroup::builder()
            .log_group_name("/aws/eks/demo/cluster")
            .arn("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/demo/cluster:*")
            .build();
        assert_eq!(
            group_arn(&group),
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/demo/cluster"
        );
    }
}
