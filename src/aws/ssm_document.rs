//! `ssm_document`: the Session Manager preferences document (`SSM-SessionManagerRunShell`, type
//! `Session`), which makes every session log to CloudWatch Logs encrypted with our key.
//! CreateDocument; content changes by UpdateDocument ($LATEST) + UpdateDocumentDefaultVersion
//! (GetDocument reads the default version); DeleteDocument.
//!
//! The name is the natural key: the preferences are a per-region account setting the console
//! may have created already, so an existing document is adopted and brought to our content.

use std::collections::BTreeMap;

use aws_sdk_ssm::operation::describe_document::DescribeDocumentOutput;
use aws_sdk_ssm::types::{
    DocumentFormat, DocumentStatus, DocumentType, ResourceTypeForTagging, Tag,
};

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::refresh::{attr_str, by_natural_key, required_str};
use super::tags::{tag_map, MapChanges};
use super::wait::{until, Poll};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct SsmDocumentProvider;

static DESCRIPTION: Description = Description::new(
    Kind::SsmDocument,
    "ssm:GetDocument",
    &[
        AttrRule::ForcesReplacement("name"),
        AttrRule::ForcesReplacement("document_type"),
        AttrRule::ForcesReplacement("document_format"),
        AttrRule::UpdatedBy("content", "ssm:UpdateDocument/UpdateDocumentDefaultVersion"),
        AttrRule::UpdatedBy("tags", "ssm:AddTagsToResource/RemoveTagsFromResource"),
    ],
)
.calls(1, 1, 2, 1)
// Found by name (the console's own preferences document carries no tags of ours).
.adopts_by_natural_key();

/// How many earlier versions to search for one whose content matches (after
/// `DuplicateDocumentContent`) before giving up.
const VERSION_SEARCH_LIMIT: u32 = 100;

impl KindProvider for SsmDocumentProvider {
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
        let name = required_str(attrs, "name", id, "ssm:CreateDocument")?;
        let content = required_str(attrs, "content", id, "ssm:CreateDocument")?;
        let tags = ssm_tags(id, "ssm:CreateDocument", &tag_map(attrs))?;
        let created = aws
            .ssm
            .create_document()
            .name(name)
            .content(content)
            .document_type(DocumentType::from(
                attr_str(attrs, "document_type").unwrap_or("Session"),
            ))
            .document_format(format_of(attrs))
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await;
        match created {
            Ok(output) => {
                let version = output
                    .document_description()
                    .and_then(|description| {
                        description
                            .default_version()
                            .or(description.document_version())
                    })
                    .unwrap_or("1");
                wait_active(aws, id, name, version).await?;
                Ok(observed_after(name, version, attrs))
            }
            Err(error) => {
                let error = AwsError::from_sdk(id, "ssm:CreateDocument", error);
                if error.code.as_deref() != Some("DocumentAlreadyExists") {
                    return Err(error);
                }
                // The console's preferences, or ours from an interrupted run: adopt them.
                let current = read(aws, id, name).await?.ok_or_else(|| {
                    AwsError::new(
                        id,
                        "ssm:GetDocument",
                        format!("{name} exists but cannot be read"),
                    )
                })?;
                let mut version = current
                    .outputs
                    .get("version")
                    .and_then(Value::as_str)
                    .unwrap_or("1")
                    .to_string();
                if current.attrs.get("content") != attrs.get("content") {
                    version = update_content(aws, id, name, content, format_of(attrs)).await?;
                }
                if current.attrs.get("tags") != attrs.get("tags") {
                    update_tags(aws, id, name, &tag_map(&current.attrs), &tag_map(attrs)).await?;
                }
                Ok(observed_after(name, &version, attrs))
            }
        }
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let (id, name, after) = (request.id, request.cloud_id, request.after);
        let changed = |attribute: &str| request.changed.iter().any(|name| name == attribute);
        let version = if changed("content") {
            update_content(
                aws,
                id,
                name,
                required_str(after, "content", id, "ssm:UpdateDocument")?,
                format_of(after),
            )
            .await?
        } else {
            let description = describe(aws, id, name, None).await?.ok_or_else(|| {
                AwsError::new(
                    id,
                    "ssm:DescribeDocument",
                    format!("{name} no longer exists"),
                )
            })?;
            default_version(&description).unwrap_or("1").to_string()
        };
        if changed("tags") {
            update_tags(aws, id, name, &tag_map(request.before), &tag_map(after)).await?;
        }
        Ok(observed_after(name, &version, after))
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let (id, name) = (request.id, request.cloud_id);
        match aws.ssm.delete_document().name(name).send().await {
            Ok(_) => {}
            Err(error) => {
                let error = AwsError::from_sdk(id, "ssm:DeleteDocument", error);
                if is_gone(&error) {
                    return Ok(());
                }
                return Err(error);
            }
        }
        until(
            &aws.waits,
            id.as_str(),
            "ssm:DescribeDocument",
            "the document to be deleted",
            || async {
                Ok(match describe(aws, id, name, None).await? {
                    None => Poll::Done(()),
                    Some(description) => Poll::Pending(
                        description
                            .document()
                            .and_then(|document| document.status())
                            .map(|status| status.as_str().to_string())
                            .unwrap_or_else(|| "present".to_string()),
                    ),
                })
            },
        )
        .await
    }
}

/// SSM says `InvalidDocument` for a document that does not exist.
fn is_gone(error: &AwsError) -> bool {
    error.is_not_found() || error.code.as_deref() == Some("InvalidDocument")
}

fn format_of(attrs: &Attrs) -> DocumentFormat {
    DocumentFormat::from(attr_str(attrs, "document_format").unwrap_or("JSON"))
}

fn observed_after(name: &str, version: &str, attrs: &Attrs) -> Observed {
    Observed {
        cloud_id: name.to_string(),
        attrs: attrs.clone(),
        outputs: Attrs::from([
            ("name".to_string(), Value::str(name)),
            ("version".to_string(), Value::str(version)),
        ]),
    }
}

fn default_version(description: &DescribeDocumentOutput) -> Option<&str> {
    description
        .document()
        .and_then(|document| document.default_version())
}

/// The content as canonical JSON (what the desired side holds); the text as returned when it
/// is not JSON.
fn canonical_content(content: &str) -> String {
    super::policy::canonical(content).unwrap_or_else(|| content.to_string())
}

/// DescribeDocument (of the default version, or of `version`); `None` when it does not exist.
async fn describe(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    version: Option<&str>,
) -> Result<Option<DescribeDocumentOutput>, AwsError> {
    match aws
        .ssm
        .describe_document()
        .name(name)
        .set_document_version(version.map(str::to_string))
        .send()
        .await
    {
        Ok(output) => Ok(Some(output)),
        Err(error) => {
            let error = AwsError::from_sdk(id, "ssm:DescribeDocument", error);
            if is_gone(&error) {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// GetDocument as JSON (SSM converts a YAML document), canonicalised; `None` when the document
/// or that version does not exist.
async fn content_of(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    version: Option<&str>,
) -> Result<Option<String>, AwsError> {
    let result = aws
        .ssm
        .get_document()
        .name(name)
        .set_document_version(version.map(str::to_string))
        .document_format(DocumentFormat::Json)
        .send()
        .await;
    match result {
        Ok(output) => Ok(Some(canonical_content(
            output.content().unwrap_or_default(),
        ))),
        Err(error) => {
            let error = AwsError::from_sdk(id, "ssm:GetDocument", error);
            if is_gone(&error) || error.code.as_deref() == Some("InvalidDocumentVersion") {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// The document in the desired attributes' vocabulary: GetDocument for the default version's
/// content, DescribeDocument for its format, default version and tags, both at once.
async fn read(aws: &Aws, id: &ResourceId, name: &str) -> Result<Option<Observed>, AwsError> {
    let (content, description) = futures::try_join!(
        content_of(aws, id, name, None),
        describe(aws, id, name, None)
    )?;
    let (Some(content), Some(description)) = (content, description) else {
        return Ok(None);
    };
    let Some(document) = description.document() else {
        return Ok(None);
    };
    let mut attrs = Attrs::from([
        ("name".to_string(), Value::str(name)),
        ("content".to_string(), Value::str(content)),
    ]);
    if let Some(document_type) = document.document_type() {
        attrs.insert("document_type".into(), Value::str(document_type.as_str()));
    }
    if let Some(format) = document.document_format() {
        attrs.insert("document_format".into(), Value::str(format.as_str()));
    }
    attrs.insert(
        "tags".into(),
        Value::Map(
            document
                .tags()
                .iter()
                .filter(|tag| !tag.key().starts_with("aws:"))
                .map(|tag| (tag.key().to_string(), Value::str(tag.value())))
                .collect(),
        ),
    );
    let version = document
        .default_version()
        .or(document.document_version())
        .unwrap_or("1");
    Ok(Some(observed_after(name, version, &attrs)))
}

/// Makes `content` the default version: UpdateDocument on `$LATEST`, a wait for the new
/// version to be Active, then UpdateDocumentDefaultVersion. `DuplicateDocumentContent` means a
/// version with this content exists already: that one becomes the default. Returns the
/// default version.
async fn update_content(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    content: &str,
    format: DocumentFormat,
) -> Result<String, AwsError> {
    let updated = aws
        .ssm
        .update_document()
        .name(name)
        .content(content)
        .document_version("$LATEST")
        .document_format(format)
        .send()
        .await;
    let version = match updated {
        Ok(output) => {
            let version = output
                .document_description()
                .and_then(|description| {
                    description
                        .document_version()
                        .or(description.latest_version())
                })
                .map(str::to_string)
                .ok_or_else(|| {
                    AwsError::missing_in_response(id, "ssm:UpdateDocument", "document version")
                })?;
            wait_active(aws, id, name, &version).await?;
            version
        }
        Err(error) => {
            let error = AwsError::from_sdk(id, "ssm:UpdateDocument", error);
            if error.code.as_deref() != Some("DuplicateDocumentContent") {
                return Err(error);
            }
            let Some((version, default)) = matching_version(aws, id, name, content).await? else {
                return Err(error);
            };
            if version == default {
                return Ok(version);
            }
            version
        }
    };
    aws.ssm
        .update_document_default_version()
        .name(name)
        .document_version(&version)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ssm:UpdateDocumentDefaultVersion", error))?;
    Ok(version)
}

/// Waits until a document version is Active (SSM processes a new version asynchronously:
/// Creating/Updating); Failed is an error naming SSM's reason.
async fn wait_active(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    version: &str,
) -> Result<(), AwsError> {
    until(
        &aws.waits,
        id.as_str(),
        "ssm:DescribeDocument",
        &format!("version {version} of {name} to be Active"),
        || async {
            let description = describe(aws, id, name, Some(version))
                .await?
                .ok_or_else(|| {
                    AwsError::new(
                        id,
                        "ssm:DescribeDocument",
                        format!("{name} no longer exists"),
                    )
                })?;
            let document = description.document();
            match document.and_then(|document| document.status()) {
                None | Some(DocumentStatus::Active) => Ok(Poll::Done(())),
                Some(DocumentStatus::Failed) => Err(AwsError::new(
                    id,
                    "ssm:DescribeDocument",
                    format!(
                        "version {version} of {name} failed: {}",
                        document
                            .and_then(|document| document.status_information())
                            .unwrap_or("no reason given")
                    ),
                )),
                Some(status) => Ok(Poll::Pending(status.as_str().to_string())),
            }
        },
    )
    .await
}

/// The newest version whose content equals `content` (canonically), searching back from the
/// latest version, with the current default version.
async fn matching_version(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    content: &str,
) -> Result<Option<(String, String)>, AwsError> {
    let wanted = canonical_content(content);
    let Some(description) = describe(aws, id, name, None).await? else {
        return Ok(None);
    };
    let default = default_version(&description).unwrap_or("1").to_string();
    let latest: u32 = description
        .document()
        .and_then(|document| document.latest_version())
        .and_then(|version| version.parse().ok())
        .unwrap_or(1);
    for version in (1..=latest).rev().take(VERSION_SEARCH_LIMIT as usize) {
        let version = version.to_string();
        if content_of(aws, id, name, Some(&version)).await?.as_deref() == Some(wanted.as_str()) {
            return Ok(Some((version, default)));
        }
    }
    Ok(None)
}

fn ssm_tags(
    id: &ResourceId,
    operation: &'static str,
    tags: &BTreeMap<String, String>,
) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|error| AwsError::new(id, operation, format!("tag {key}: {error}")))
        })
        .collect()
}

/// AddTagsToResource for new or changed values, RemoveTagsFromResource for removed keys.
async fn update_tags(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    MapChanges::between(old, new)
        .send(
            |upserts| async move {
                aws.ssm
                    .add_tags_to_resource()
                    .resource_type(ResourceTypeForTagging::Document)
                    .resource_id(name)
                    .set_tags(Some(ssm_tags(id, "ssm:AddTagsToResource", &upserts)?))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "ssm:AddTagsToResource", error))?;
                Ok(())
            },
            |removals| async move {
                aws.ssm
                    .remove_tags_from_resource()
                    .resource_type(ResourceTypeForTagging::Document)
                    .resource_id(name)
                    .set_tag_keys(Some(removals))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "ssm:RemoveTagsFromResource", error))?;
                Ok(())
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_compared_canonically() {
        // What GetDocument may return (pretty, keys in another order) equals what we sent.
        let pretty = "{\n  \"schemaVersion\": \"1.0\",\n  \"inputs\": {\"runAsEnabled\": false}\n}";
        let sent = r#"{"inputs":{"runAsEnabled":false},"schemaVersion":"1.0"}"#;
        assert_eq!(canonical_content(pretty), canonical_content(sent));
        assert_eq!(canonical_content("not: json"), "not: json");
    }

    #[test]
    fn a_missing_document_counts_as_gone() {
        let mut error = AwsError::new(
            "ssm_document.session_preferences",
            "ssm:GetDocument",
            "missing",
        );
        error.code = Some("InvalidDocument".into());
        assert!(is_gone(&error));
    }
}
