//! The control-plane log group.

use super::Read;
use crate::aws::{Aws, AwsError};

/// `/aws/eks/<cluster>/cluster` as `logs:DescribeLogGroups` describes it.
#[derive(Debug, Clone, Default)]
pub struct LogGroupDescription {
    pub arn: Option<String>,
    pub name: String,
    pub retention_in_days: Option<i32>,
    pub kms_key_id: Option<String>,
}

/// The group EKS writes the control-plane logs to; `None` when it does not exist.
pub(super) async fn control_plane_log_group(
    aws: &Aws,
    cluster: &str,
) -> Read<Option<LogGroupDescription>> {
    let name = format!("/aws/eks/{cluster}/cluster");
    let groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(&name, "logs:DescribeLogGroups", error))?;
    Ok(groups
        .iter()
        .find(|group| group.log_group_name() == Some(name.as_str()))
        .map(|group| LogGroupDescription {
            arn: group.arn().map(str::to_string),
            retention_in_days: group.retention_in_days(),
            kms_key_id: group.kms_key_id().map(str::to_string),
            name: name.clone(),
        }))
}
