//! The customer-managed key that encrypts the cluster's secrets and its log groups (created
//! unless `encryption.kms_key` names an existing one), with a key policy that lets the
//! account administer it, the cluster role use it, and CloudWatch Logs of this account use it.

use serde_json::{json, Value as Json};

use crate::blueprint::model::Encryption;
use crate::blueprint::validate::parse_key_policy_statements;
use crate::resources::policy::{document, placeholder};
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;
use super::names::Arns;
use super::ExpandError;

/// What `encryption.kms_key = "create"` means.
pub(super) const CREATE: &str = "create";

/// The created key's alias when `encryption.alias` is not set.
pub fn default_key_alias(blueprint: &str) -> String {
    format!("alias/{blueprint}-eks-secrets")
}

/// Key administration without key use: what `encryption.key_admins` get (EKS-ENC-005).
pub const KEY_ADMIN_ACTIONS: &[&str] = &[
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
];

/// The key everything else encrypts with.
pub(super) struct SecretsKey {
    /// Its ARN: the created key's output or the named ARN.
    pub arn: Value,
    /// The created key, which the cluster waits for; `None` for a named one.
    pub created: Option<ResourceId>,
    /// How a JSON document names it: the created key's id as a placeholder, or the ARN.
    pub in_documents: String,
}

pub(super) fn add_secrets_key(
    builder: &mut Builder,
    encryption: &Encryption,
    cluster_principal: &str,
    arns: &Arns,
) -> Result<SecretsKey, ExpandError> {
    if encryption.kms_key != CREATE {
        return Ok(SecretsKey {
            arn: Value::str(encryption.kms_key.clone()),
            created: None,
            in_documents: encryption.kms_key.clone(),
        });
    }
    let id = ResourceId::new(Kind::KmsKey, "secrets");
    let policy = key_policy(encryption, cluster_principal, arns, &id)?;
    let blueprint = builder.blueprint().to_string();
    let alias = match &encryption.alias {
        Some(alias) => alias.clone(),
        None => default_key_alias(&blueprint),
    };
    let key = builder.add(
        Kind::KmsKey,
        "secrets",
        [
            (
                "description",
                Value::str(format!(
                    "eksforge {blueprint}: EKS secrets and log encryption"
                )),
            ),
            ("alias", Value::str(alias)),
            ("enable_key_rotation", Value::Bool(encryption.rotation)),
            ("enabled", Value::Bool(true)),
            (
                "deletion_window_days",
                Value::Int(i64::from(encryption.deletion_window_days)),
            ),
            ("policy", document(&policy)),
        ],
    );
    Ok(SecretsKey {
        arn: key.output("arn"),
        in_documents: placeholder(&key, "id"),
        created: Some(key),
    })
}

/// The generated statements, a `KeyAdministrators` statement for `key_admins`, then the
/// statements of `encryption.key_policy` (one object, an array, or a whole document).
fn key_policy(
    encryption: &Encryption,
    cluster_principal: &str,
    arns: &Arns,
    key: &ResourceId,
) -> Result<Json, ExpandError> {
    let region = &arns.placement.region;
    let mut statements = vec![
        json!({
            "Sid": "AccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": arns.account_root()},
            "Action": "kms:*",
            "Resource": "*",
        }),
        json!({
            "Sid": "ClusterSecretsEncryption",
            "Effect": "Allow",
            "Principal": {"AWS": cluster_principal},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey*"],
            "Resource": "*",
        }),
        json!({
            "Sid": "CloudWatchLogsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": format!("logs.{region}.amazonaws.com")},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": arns.any_log_group()}},
        }),
    ];
    if !encryption.key_admins.is_empty() {
        statements.push(json!({
            "Sid": "KeyAdministrators",
            "Effect": "Allow",
            "Principal": {"AWS": encryption.key_admins},
            "Action": KEY_ADMIN_ACTIONS,
            "Resource": "*",
        }));
    }
    if let Some(text) = &encryption.key_policy {
        let extra =
            parse_key_policy_statements(text).ok_or_else(|| ExpandError::InvalidDocument {
                resource: key.clone(),
                attribute: "policy",
                blueprint_key: "encryption.key_policy".to_string(),
            })?;
        statements.extend(extra);
    }
    Ok(json!({"Version": "2012-10-17", "Statement": statements}))
}
