//! The key that encrypts the cluster's secrets.

use super::iam::document;
use super::Read;
use crate::aws::{Aws, AwsError};
use serde_json::Value as Json;

/// The secrets key: `DescribeKey`, `GetKeyRotationStatus`, `GetKeyPolicy` and `ListAliases`.
#[derive(Debug, Clone)]
pub struct KeyObservation {
    pub arn: String,
    pub metadata: Read<KeyMetadataDescription>,
    pub rotation_enabled: Read<bool>,
    /// The `default` key policy; `None` when the answer holds none.
    pub policy: Read<Option<Json>>,
    pub aliases: Read<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct KeyMetadataDescription {
    /// `CUSTOMER` or `AWS`.
    pub key_manager: Option<String>,
    pub key_state: Option<String>,
}

pub(super) async fn key(aws: &Aws, key_arn: Option<&str>) -> Option<KeyObservation> {
    let key_arn = key_arn?;
    let (described, rotation, policy, aliases) = futures::join!(
        aws.kms.describe_key().key_id(key_arn).send(),
        aws.kms.get_key_rotation_status().key_id(key_arn).send(),
        aws.kms
            .get_key_policy()
            .key_id(key_arn)
            .policy_name("default")
            .send(),
        aws.kms
            .list_aliases()
            .key_id(key_arn)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
    );
    Some(KeyObservation {
        arn: key_arn.to_string(),
        metadata: described
            .map(|output| {
                let metadata = output.key_metadata();
                KeyMetadataDescription {
                    key_manager: metadata
                        .and_then(|m| m.key_manager())
                        .map(|manager| manager.as_str().to_string()),
                    key_state: metadata
                        .and_then(|m| m.key_state())
                        .map(|state| state.as_str().to_string()),
                }
            })
            .map_err(|error| AwsError::from_sdk(key_arn, "kms:DescribeKey", error)),
        rotation_enabled: rotation
            .map(|output| output.key_rotation_enabled())
            .map_err(|error| AwsError::from_sdk(key_arn, "kms:GetKeyRotationStatus", error)),
        policy: policy
            .map(|output| output.policy().map(document))
            .map_err(|error| AwsError::from_sdk(key_arn, "kms:GetKeyPolicy", error)),
        aliases: aliases
            .map(|aliases| {
                aliases
                    .iter()
                    .filter_map(|alias| alias.alias_name().map(str::to_string))
                    .collect()
            })
            .map_err(|error| AwsError::from_sdk(key_arn, "kms:ListAliases", error)),
    })
}
