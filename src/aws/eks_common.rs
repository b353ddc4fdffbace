//! What the EKS kinds share: tag maps (EKS takes and returns tags as a map, with AWS's own
//! `aws:` tags among them), list attributes, and tag updates by ARN.

use std::collections::{BTreeMap, HashMap};

use crate::resources::{Attrs, ResourceId, Value};

use super::tags::{tag_map, MapChanges};
use super::wait::Poll;
use super::{Aws, AwsError, Observed};

/// The `tags` attribute as the map EKS takes.
pub fn tags_of(attrs: &Attrs) -> HashMap<String, String> {
    tag_map(attrs).into_iter().collect()
}

/// Tags as EKS returns them, as the `tags` attribute: AWS-reserved `aws:` tags are not ours
/// to diff.
pub fn tags_value(tags: Option<&HashMap<String, String>>) -> Value {
    Value::Map(
        tags.into_iter()
            .flatten()
            .filter(|(key, _)| !key.starts_with("aws:"))
            .map(|(key, value)| (key.clone(), Value::str(value.clone())))
            .collect(),
    )
}

/// A list-of-strings attribute.
pub fn strings(attrs: &Attrs, name: &str) -> Vec<String> {
    match attrs.get(name) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Strings as a list attribute in sorted order: for lists whose order EKS does not keep.
pub fn sorted_list(items: &[String]) -> Value {
    let mut items: Vec<String> = items.to_vec();
    items.sort();
    Value::List(items.into_iter().map(Value::Str).collect())
}

/// Brings the tags of the EKS resource `arn` from `before` to `after`: TagResource for new or
/// changed values, UntagResource for removed keys.
pub async fn update_tags(
    aws: &Aws,
    id: &ResourceId,
    arn: &str,
    before: &Attrs,
    after: &Attrs,
) -> Result<(), AwsError> {
    MapChanges::of_tags(before, after)
        .send(
            |upserts| async move {
                aws.eks
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(upserts.into_iter().collect()))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "eks:TagResource", error))?;
                Ok(())
            },
            |removals| async move {
                aws.eks
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(removals))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "eks:UntagResource", error))?;
                Ok(())
            },
        )
        .await
}

/// What an EKS update is of: the cluster itself, one of its add-ons or one of its node groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateScope<'a> {
    Cluster,
    Addon(&'a str),
    Nodegroup(&'a str),
}

impl UpdateScope<'_> {
    fn addon(self) -> Option<String> {
        match self {
            UpdateScope::Addon(name) => Some(name.to_string()),
            _ => None,
        }
    }

    fn nodegroup(self) -> Option<String> {
        match self {
            UpdateScope::Nodegroup(name) => Some(name.to_string()),
            _ => None,
        }
    }
}

/// An update EKS is still running (`InProgress`): its id, type (`VersionUpdate`,
/// `AddonUpdate`, ...) and parameters (`Version` → `1.33`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningUpdate {
    pub id: String,
    pub kind: String,
    pub params: BTreeMap<String, String>,
}

impl RunningUpdate {
    /// Whether it is an update of `kind` that sets `param` to `value`: the one a resumed run
    /// would otherwise start again.
    pub fn sets(&self, kind: &str, param: &str, value: &str) -> bool {
        self.kind == kind && self.params.get(param).map(String::as_str) == Some(value)
    }
}

/// The update EKS still runs on `scope` (ListUpdates, then DescribeUpdate of each), if any: a
/// run stopped while EKS was updating awaits it by its id instead of starting another (EKS
/// refuses a second update while one runs). `None` also where the endpoint has no ListUpdates.
pub async fn running_update(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    scope: UpdateScope<'_>,
) -> Result<Option<RunningUpdate>, AwsError> {
    let mut ids: Vec<String> = Vec::new();
    let mut pages = aws
        .eks
        .list_updates()
        .name(cluster)
        .set_addon_name(scope.addon())
        .set_nodegroup_name(scope.nodegroup())
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => ids.extend(page.update_ids().iter().cloned()),
            Err(error) => {
                let error = AwsError::from_sdk(id, "eks:ListUpdates", error);
                if error.class == super::ErrorClass::Unsupported {
                    return Ok(None);
                }
                return Err(error);
            }
        }
    }
    let updates = futures::future::try_join_all(
        ids.iter()
            .map(|update_id| describe_update(aws, id, cluster, scope, update_id)),
    )
    .await?;
    Ok(updates
        .iter()
        .filter_map(|output| output.update())
        .find(|update| update.status().map(|status| status.as_str()) == Some("InProgress"))
        .map(|update| RunningUpdate {
            id: update.id().unwrap_or_default().to_string(),
            kind: update
                .r#type()
                .map(|kind| kind.as_str().to_string())
                .unwrap_or_default(),
            params: update
                .params()
                .iter()
                .filter_map(|param| {
                    Some((
                        param.r#type()?.as_str().to_string(),
                        param.value()?.to_string(),
                    ))
                })
                .collect(),
        })
        .filter(|update| !update.id.is_empty()))
}

/// Waits for the update `update_id` of `scope` until it has finished ([`poll_update`]).
pub async fn await_update(
    aws: &Aws,
    id: &ResourceId,
    operation: &'static str,
    cluster: &str,
    scope: UpdateScope<'_>,
    update_id: &str,
) -> Result<(), AwsError> {
    super::wait::until(
        &aws.waits,
        id.as_str(),
        "eks:DescribeUpdate",
        &format!("update {update_id} of cluster {cluster}"),
        || poll_update(aws, id, operation, cluster, scope, update_id),
    )
    .await
}

/// DescribeUpdate of one update of the cluster, or of one of its add-ons or node groups.
async fn describe_update(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    scope: UpdateScope<'_>,
    update_id: &str,
) -> Result<aws_sdk_eks::operation::describe_update::DescribeUpdateOutput, AwsError> {
    aws.eks
        .describe_update()
        .name(cluster)
        .set_addon_name(scope.addon())
        .set_nodegroup_name(scope.nodegroup())
        .update_id(update_id)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "eks:DescribeUpdate", error))
}

/// One look at an EKS update (DescribeUpdate) of the cluster, or of one of its add-ons or node
/// groups: done when Successful; Failed or Cancelled is an error (attributed to `operation`,
/// the call that started it) with EKS's own error codes and messages; pending otherwise.
pub async fn poll_update(
    aws: &Aws,
    id: &ResourceId,
    operation: &'static str,
    cluster: &str,
    scope: UpdateScope<'_>,
    update_id: &str,
) -> Result<Poll<()>, AwsError> {
    let output = describe_update(aws, id, cluster, scope, update_id).await?;
    let Some(update) = output.update() else {
        return Ok(Poll::Pending("not visible yet".to_string()));
    };
    match update.status().map(|status| status.as_str()) {
        Some("Successful") => Ok(Poll::Done(())),
        Some(status @ ("Failed" | "Cancelled")) => {
            let reasons: Vec<String> = update
                .errors()
                .iter()
                .map(|error| {
                    format!(
                        "{}: {}",
                        error
                            .error_code()
                            .map(|code| code.as_str())
                            .unwrap_or("error"),
                        error.error_message().unwrap_or("no message")
                    )
                })
                .collect();
            Err(AwsError::new(
                id,
                operation,
                format!("update {update_id} is {status}: {}", reasons.join("; ")),
            ))
        }
        Some(status) => Ok(Poll::Pending(status.to_string())),
        None => Ok(Poll::Pending("unknown".to_string())),
    }
}

/// One look at an EKS resource waited for until ACTIVE (its `status` output): ACTIVE is done;
/// a status in `failed` ends the wait with `failure(status, health)`, `health` being the
/// issues EKS reported (the `health` output), if any; anything else, or nothing visible yet,
/// is pending.
pub fn active_or_failed(
    observed: Option<Observed>,
    failed: &[&str],
    failure: impl FnOnce(&str, Option<&str>) -> AwsError,
) -> Result<Poll<Observed>, AwsError> {
    let Some(observed) = observed else {
        return Ok(Poll::Pending("not visible yet".to_string()));
    };
    match observed.outputs.get("status").and_then(Value::as_str) {
        Some("ACTIVE") => Ok(Poll::Done(observed)),
        Some(status) if failed.contains(&status) => Err(failure(
            status,
            observed.outputs.get("health").and_then(Value::as_str),
        )),
        Some(status) => Ok(Poll::Pending(status.to_string())),
        None => Ok(Poll::Pending("unknown".to_string())),
    }
}
