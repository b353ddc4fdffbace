//! Session Manager preferences.

use super::Read;
use crate::aws::{Aws, AwsError};

/// The document that holds the account's Session Manager preferences.
pub const SESSION_DOCUMENT: &str = "SSM-SessionManagerRunShell";

/// `SESSION_DOCUMENT` as `ssm:GetDocument` returns it.
#[derive(Debug, Clone, Default)]
pub struct SessionDocument {
    /// The document's content (JSON text).
    pub content: Option<String>,
}

/// The preferences document; `None` when the account has none (never set up).
pub(super) async fn session_document(aws: &Aws) -> Read<Option<SessionDocument>> {
    match aws.ssm.get_document().name(SESSION_DOCUMENT).send().await {
        Ok(output) => Ok(Some(SessionDocument {
            content: output.content().map(str::to_string),
        })),
        Err(error) => {
            let error = AwsError::from_sdk(SESSION_DOCUMENT, "ssm:GetDocument", error);
            if error.is_not_found() || error.code.as_deref() == Some("InvalidDocument") {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}
