//! `[encryption]`: the KMS key, its deletion window, alias, admins and extra policy.

use super::formats::{is_creatable_kms_alias, is_iam_principal_arn, parse_key_policy_statements};
use super::{Checker, POSTURE_KEY};
use crate::blueprint::limits::{KMS_DELETION_WINDOW_MAX_DAYS, KMS_DELETION_WINDOW_MIN_DAYS};
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    pub(super) fn encryption(&mut self, model: &Blueprint) {
        let Some(encryption) = &model.encryption else {
            return;
        };
        let key = &encryption.kms_key;
        let is_arn = key.starts_with("arn:")
            && key.contains(":kms:")
            && (key.contains(":key/") || key.contains(":alias/"));
        if key != "create" && !is_arn {
            self.report(
                "eksforge::blueprint::kms_key",
                "encryption.kms_key",
                format!("kms_key \"{key}\" is neither \"create\" nor a KMS key ARN"),
                "not a key",
                "use \"create\" (a customer-managed key with rotation, made for this cluster) or an existing key's ARN, arn:aws:kms:REGION:ACCOUNT:key/ID".to_string(),
            );
        }
        if !(KMS_DELETION_WINDOW_MIN_DAYS..=KMS_DELETION_WINDOW_MAX_DAYS)
            .contains(&encryption.deletion_window_days)
        {
            self.report(
                "eksforge::blueprint::deletion_window",
                "encryption.deletion_window_days",
                format!(
                    "deletion_window_days = {} is outside KMS's {KMS_DELETION_WINDOW_MIN_DAYS} to {KMS_DELETION_WINDOW_MAX_DAYS} days",
                    encryption.deletion_window_days
                ),
                "out of range",
                "use 30 (the default): the longest window to undo a mistaken destroy".to_string(),
            );
        }
    }

    /// The created key's alias, admins and extra statements.
    pub(super) fn key_policy_keys(&mut self, model: &Blueprint) {
        if let Some(encryption) = &model.encryption {
            if let Some(alias) = &encryption.alias {
                if !is_creatable_kms_alias(alias) {
                    self.report(
                        POSTURE_KEY,
                        "encryption.alias",
                        format!("\"{alias}\" is not a KMS alias eksforge can create"),
                        "invalid alias",
                        "use alias/NAME (letters, digits, /, _ and -; not alias/aws/...)"
                            .to_string(),
                    );
                }
            }
            for (i, admin) in encryption.key_admins.iter().enumerate() {
                if !is_iam_principal_arn(admin) {
                    self.report(
                        POSTURE_KEY,
                        &format!("encryption.key_admins[{i}]"),
                        format!("\"{admin}\" is not an IAM principal ARN"),
                        "not an ARN",
                        "give a role or user ARN, arn:aws:iam::ACCOUNT:role/NAME".to_string(),
                    );
                }
            }
            if let Some(text) = &encryption.key_policy {
                if parse_key_policy_statements(text).is_none() {
                    self.report(
                        POSTURE_KEY,
                        "encryption.key_policy",
                        "key_policy is not a JSON policy statement, an array of them, or a policy document".to_string(),
                        "not policy statements",
                        "write JSON such as '{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:...\"},\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}'".to_string(),
                    );
                }
            }
        }
    }
}
