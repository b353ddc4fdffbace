//! Session Manager preferences: every session logged to its own CloudWatch log group and
//! encrypted with the secrets key.

use serde_json::json;

use crate::resources::policy::{document, placeholder};
use crate::resources::{Kind, Value};

use super::builder::Builder;
use super::kms::SecretsKey;
use super::logs::{add_log_group, LogSettings};

/// The document Session Manager reads its account-wide preferences from.
const PREFERENCES_DOCUMENT: &str = "SSM-SessionManagerRunShell";

pub(super) fn add_session_preferences(builder: &mut Builder, key: &SecretsKey, logs: &LogSettings) {
    let blueprint = builder.blueprint().to_string();
    let sessions = add_log_group(
        builder,
        "sessions",
        format!("/aws/ssm/{blueprint}/sessions"),
        logs,
    );
    let content = json!({
        "schemaVersion": "1.0",
        "description": format!("Session Manager preferences (eksforge {blueprint}): logged and encrypted"),
        "sessionType": "Standard_Stream",
        "inputs": {
            "cloudWatchLogGroupName": placeholder(&sessions, "name"),
            "cloudWatchEncryptionEnabled": true,
            "cloudWatchStreamingEnabled": true,
            "kmsKeyId": key.in_documents,
            "s3BucketName": "",
            "s3EncryptionEnabled": true,
            "runAsEnabled": false,
            "idleSessionTimeout": "20",
        },
    });
    builder.add(
        Kind::SsmDocument,
        "session_preferences",
        [
            ("name", Value::str(PREFERENCES_DOCUMENT)),
            ("document_type", Value::str("Session")),
            ("document_format", Value::str("JSON")),
            ("content", document(&content)),
        ],
    );
}
