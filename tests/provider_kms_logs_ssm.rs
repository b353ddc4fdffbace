//! The `kms_key`, `log_group` and `ssm_document` providers against a moto server of each
//! test's own: create, check through the AWS API (SDK clients straight to moto, not through
//! the provider), refresh equals desired (no perpetual diff), update in place, delete, delete
//! again; and adoption of what already exists (a key pending deletion found by its alias, a
//! log group EKS re-created, the console's Session Manager preferences).

mod support;

use support::providers::{changed, out, tags, with, Providers};

use std::collections::BTreeMap;

use eksforge::aws::policy::canonical_json;
use eksforge::aws::{Aws, FoundVia};
use eksforge::resources::{Attrs, Kind, ResourceId, Value};
use serde_json::json;

const BLUEPRINT: &str = "test";

/// The provider-test harness for this file's blueprint.
fn providers(aws: &Aws) -> Providers<'_> {
    Providers {
        aws,
        blueprint: BLUEPRINT,
    }
}

struct Env {
    // Dropped last: kills the server.
    _moto: support::Moto,
    config: aws_config::SdkConfig,
    aws: Aws,
}

async fn env() -> Env {
    let moto = support::Moto::start();
    let config = support::sdk_config(&moto.url()).await;
    let aws = Aws::from_sdk_config(&config, Default::default());
    Env {
        _moto: moto,
        config,
        aws,
    }
}

// ---------------------------------------------------------------------------------------
// kms_key

fn key_policy(extra_sid: &str) -> String {
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountRoot",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": ["kms:*"],
                "Resource": "*",
            },
            {
                "Sid": extra_sid,
                "Effect": "Allow",
                "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
            },
        ],
    }))
}

fn key_attrs(id: &ResourceId) -> Attrs {
    Attrs::from([
        (
            "description".to_string(),
            Value::str("test: EKS secrets and logs"),
        ),
        (
            "alias".to_string(),
            Value::str(format!("alias/{BLUEPRINT}-eks-secrets")),
        ),
        ("enable_key_rotation".to_string(), Value::Bool(true)),
        (
            "policy".to_string(),
            Value::str(key_policy("CloudWatchLogs")),
        ),
        ("enabled".to_string(), Value::Bool(true)),
        ("deletion_window_days".to_string(), Value::Int(7)),
        ("tags".to_string(), tags(BLUEPRINT, id, &[])),
    ])
}

async fn alias_target(kms: &aws_sdk_kms::Client, alias: &str) -> Option<String> {
    let aliases = kms.list_aliases().send().await.unwrap();
    aliases
        .aliases()
        .iter()
        .find(|entry| entry.alias_name() == Some(alias))
        .and_then(|entry| entry.target_key_id().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kms_key_lifecycle() {
    let env = env().await;
    let (aws, kms) = (&env.aws, aws_sdk_kms::Client::new(&env.config));
    let id = ResourceId::new(Kind::KmsKey, "secrets");
    let desired = key_attrs(&id);
    let alias = format!("alias/{BLUEPRINT}-eks-secrets");

    let created = providers(aws).create(Kind::KmsKey, &id, &desired).await;
    let key_id = created.cloud_id.clone();
    assert_eq!(out(&created, "id"), key_id);
    assert!(
        out(&created, "arn").ends_with(&format!(":key/{key_id}")),
        "{created:?}"
    );

    // Through the API.
    let metadata = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .cloned()
        .unwrap();
    assert_eq!(
        metadata.key_state().map(|state| state.as_str()),
        Some("Enabled")
    );
    assert_eq!(metadata.description(), Some("test: EKS secrets and logs"));
    assert_eq!(
        metadata.key_usage().map(|usage| usage.as_str()),
        Some("ENCRYPT_DECRYPT")
    );
    assert_eq!(
        metadata.key_spec().map(|spec| spec.as_str()),
        Some("SYMMETRIC_DEFAULT")
    );
    assert!(kms
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_rotation_enabled());
    let policy = kms
        .get_key_policy()
        .key_id(&key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert_eq!(
        eksforge::aws::policy::canonical(policy.policy().unwrap()).as_deref(),
        Some(key_policy("CloudWatchLogs").as_str())
    );
    assert_eq!(
        alias_target(&kms, &alias).await.as_deref(),
        Some(key_id.as_str())
    );
    let listed = kms
        .list_resource_tags()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let listed: BTreeMap<&str, &str> = listed
        .tags()
        .iter()
        .map(|tag| (tag.tag_key(), tag.tag_value()))
        .collect();
    assert_eq!(listed.get("eksforge:resource"), Some(&"kms_key.secrets"));
    assert_eq!(listed.get("eksforge:blueprint"), Some(&BLUEPRINT));

    // No perpetual diff.
    let found = providers(aws)
        .assert_no_diff(Kind::KmsKey, &id, &key_id, &desired)
        .await;
    assert_eq!(found.observed.outputs, created.outputs);

    // In place: rotation off, description, policy and tags changed.
    let changed_attrs = with(
        &with(
            &with(
                &with(&desired, "enable_key_rotation", Value::Bool(false)),
                "description",
                Value::str("test: rotated description"),
            ),
            "policy",
            Value::str(key_policy("Logs")),
        ),
        "tags",
        tags(BLUEPRINT, &id, &[("team", "platform")]),
    );
    providers(aws)
        .update(Kind::KmsKey, &id, &key_id, &desired, &changed_attrs)
        .await;
    assert!(!kms
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_rotation_enabled());
    let metadata = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .cloned()
        .unwrap();
    assert_eq!(metadata.description(), Some("test: rotated description"));
    let policy = kms
        .get_key_policy()
        .key_id(&key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert_eq!(
        eksforge::aws::policy::canonical(policy.policy().unwrap()).as_deref(),
        Some(key_policy("Logs").as_str())
    );
    providers(aws)
        .assert_no_diff(Kind::KmsKey, &id, &key_id, &changed_attrs)
        .await;

    // And back: rotation on, the extra tag removed.
    providers(aws)
        .update(Kind::KmsKey, &id, &key_id, &changed_attrs, &desired)
        .await;
    assert!(kms
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_rotation_enabled());
    let listed = kms
        .list_resource_tags()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(
        !listed.tags().iter().any(|tag| tag.tag_key() == "team"),
        "{listed:?}"
    );
    providers(aws)
        .assert_no_diff(Kind::KmsKey, &id, &key_id, &desired)
        .await;

    // Delete: pending deletion for the window, alias kept.
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    providers(aws)
        .delete(Kind::KmsKey, &id, &key_id, &desired)
        .await;
    let metadata = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .cloned()
        .unwrap();
    assert_eq!(
        metadata.key_state().map(|state| state.as_str()),
        Some("PendingDeletion")
    );
    let days = (metadata.deletion_date().unwrap().as_secs_f64() - before) / 86_400.0;
    assert!(
        (6.9..7.1).contains(&days),
        "deletion in {days} days, wanted 7"
    );
    assert_eq!(
        alias_target(&kms, &alias).await.as_deref(),
        Some(key_id.as_str())
    );

    // A recorded key pending deletion counts as destroyed.
    let found = providers(aws)
        .refresh_recorded_one(Kind::KmsKey, &id, &key_id, &desired)
        .await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].observed.outputs.get("pending_deletion"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        found[0].observed.attrs.get("enabled"),
        Some(&Value::Bool(false))
    );

    // Deleting again (already pending) succeeds, as does deleting a key that never existed.
    providers(aws)
        .delete(Kind::KmsKey, &id, &key_id, &desired)
        .await;
    providers(aws)
        .delete(
            Kind::KmsKey,
            &id,
            "00000000-0000-0000-0000-000000000000",
            &desired,
        )
        .await;
    let found = providers(aws)
        .refresh_recorded_one(
            Kind::KmsKey,
            &id,
            "00000000-0000-0000-0000-000000000000",
            &desired,
        )
        .await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kms_key_pending_deletion_is_adopted_by_alias() {
    let env = env().await;
    let (aws, kms) = (&env.aws, aws_sdk_kms::Client::new(&env.config));
    let id = ResourceId::new(Kind::KmsKey, "secrets");
    let desired = key_attrs(&id);
    let alias = format!("alias/{BLUEPRINT}-eks-secrets");

    // Nothing yet: the natural-key lookup finds nothing.
    assert!(providers(aws)
        .refresh_missing_one(Kind::KmsKey, &id, &desired)
        .await
        .is_empty());

    // An earlier apply + destroy: the key waits for deletion, its alias still points at it.
    let created = providers(aws).create(Kind::KmsKey, &id, &desired).await;
    let key_id = created.cloud_id.clone();
    providers(aws)
        .delete(Kind::KmsKey, &id, &key_id, &desired)
        .await;

    // A re-create finds it by alias with state lost.
    let found = providers(aws)
        .refresh_missing_one(Kind::KmsKey, &id, &desired)
        .await;
    assert_eq!(found.len(), 1, "{found:?}");
    let found = found.into_iter().next().unwrap();
    assert_eq!(found.via, FoundVia::NaturalKey);
    assert_eq!(found.observed.cloud_id, key_id);
    assert_eq!(
        found.observed.outputs.get("pending_deletion"),
        Some(&Value::Bool(true))
    );
    assert_eq!(out(&found.observed, "arn"), out(&created, "arn"));
    assert_eq!(
        found.observed.attrs.get("enabled"),
        Some(&Value::Bool(false))
    );
    // Everything else already matches: the plan's update is `enabled` only.
    assert_eq!(
        changed(&found.observed.attrs, &desired),
        vec!["enabled".to_string()]
    );

    // The update cancels the deletion and enables the key.
    let updated = providers(aws)
        .update(Kind::KmsKey, &id, &key_id, &found.observed.attrs, &desired)
        .await;
    assert_eq!(updated.outputs.get("pending_deletion"), None);
    let metadata = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .cloned()
        .unwrap();
    assert_eq!(
        metadata.key_state().map(|state| state.as_str()),
        Some("Enabled")
    );
    assert!(metadata.deletion_date().is_none());
    let found = providers(aws)
        .assert_no_diff(Kind::KmsKey, &id, &key_id, &desired)
        .await;
    assert_eq!(found.observed.outputs.get("pending_deletion"), None);

    // A create that meets an existing alias (its key lost to a crash) points the alias at the
    // new key instead of failing.
    let second = providers(aws).create(Kind::KmsKey, &id, &desired).await;
    assert_ne!(second.cloud_id, key_id);
    assert_eq!(
        alias_target(&kms, &alias).await.as_deref(),
        Some(second.cloud_id.as_str())
    );
}

// ---------------------------------------------------------------------------------------
// log_group

fn group_attrs(id: &ResourceId, name: &str, retention: i64) -> Attrs {
    Attrs::from([
        ("name".to_string(), Value::str(name)),
        ("retention_in_days".to_string(), Value::Int(retention)),
        ("tags".to_string(), tags(BLUEPRINT, id, &[])),
    ])
}

async fn describe_group(
    logs: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
) -> Option<aws_sdk_cloudwatchlogs::types::LogGroup> {
    let output = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    output
        .log_groups()
        .iter()
        .find(|group| group.log_group_name() == Some(name))
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_group_lifecycle() {
    let env = env().await;
    let aws = &env.aws;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&env.config);
    let kms = aws_sdk_kms::Client::new(&env.config);
    let key_arn = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let id = ResourceId::new(Kind::LogGroup, "cluster");
    let name = "/aws/eks/test-cluster/cluster";
    let desired = with(
        &group_attrs(&id, name, 90),
        "kms_key_id",
        Value::str(&key_arn),
    );
    // A longer name under the same prefix must not be mistaken for ours.
    logs.create_log_group()
        .log_group_name(format!("{name}-other"))
        .send()
        .await
        .unwrap();

    let created = providers(aws).create(Kind::LogGroup, &id, &desired).await;
    assert_eq!(created.cloud_id, name);
    assert_eq!(out(&created, "name"), name);
    assert_eq!(
        out(&created, "arn"),
        format!("arn:aws:logs:eu-west-1:123456789012:log-group:{name}")
    );

    let group = describe_group(&logs, name).await.expect("created");
    assert_eq!(group.retention_in_days(), Some(90));
    assert_eq!(group.kms_key_id(), Some(key_arn.as_str()));
    let listed = logs
        .list_tags_for_resource()
        .resource_arn(out(&created, "arn"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed
            .tags()
            .and_then(|tags| tags.get("eksforge:resource"))
            .map(String::as_str),
        Some("log_group.cluster")
    );

    let found = providers(aws)
        .assert_no_diff(Kind::LogGroup, &id, name, &desired)
        .await;
    assert_eq!(found.observed.outputs, created.outputs);

    // In place: retention and tags.
    let changed_attrs = with(
        &with(&desired, "retention_in_days", Value::Int(30)),
        "tags",
        tags(BLUEPRINT, &id, &[("team", "platform")]),
    );
    providers(aws)
        .update(Kind::LogGroup, &id, name, &desired, &changed_attrs)
        .await;
    assert_eq!(
        describe_group(&logs, name)
            .await
            .unwrap()
            .retention_in_days(),
        Some(30)
    );
    let listed = logs
        .list_tags_for_resource()
        .resource_arn(out(&created, "arn"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed
            .tags()
            .and_then(|tags| tags.get("team"))
            .map(String::as_str),
        Some("platform")
    );
    providers(aws)
        .assert_no_diff(Kind::LogGroup, &id, name, &changed_attrs)
        .await;
    providers(aws)
        .update(Kind::LogGroup, &id, name, &changed_attrs, &desired)
        .await;
    let listed = logs
        .list_tags_for_resource()
        .resource_arn(out(&created, "arn"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.tags().and_then(|tags| tags.get("team")), None);
    providers(aws)
        .assert_no_diff(Kind::LogGroup, &id, name, &desired)
        .await;

    providers(aws)
        .delete(Kind::LogGroup, &id, name, &desired)
        .await;
    assert!(describe_group(&logs, name).await.is_none());
    assert!(describe_group(&logs, &format!("{name}-other"))
        .await
        .is_some());
    providers(aws)
        .delete(Kind::LogGroup, &id, name, &desired)
        .await;
    assert!(providers(aws)
        .refresh_recorded_one(Kind::LogGroup, &id, name, &desired)
        .await
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_group_that_exists_is_adopted() {
    let env = env().await;
    let aws = &env.aws;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&env.config);
    let id = ResourceId::new(Kind::LogGroup, "sessions");
    let name = "/aws/ssm/test/sessions";
    let desired = group_attrs(&id, name, 365);

    // Made outside eksforge (as EKS re-creates its group): no retention, no tags of ours.
    logs.create_log_group()
        .log_group_name(name)
        .send()
        .await
        .unwrap();

    // Refresh finds it by name.
    let found = providers(aws)
        .refresh_missing_one(Kind::LogGroup, &id, &desired)
        .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].via, FoundVia::NaturalKey);
    assert_eq!(found[0].observed.cloud_id, name);
    assert_eq!(found[0].observed.attrs.get("retention_in_days"), None);

    // A create that meets it adopts it and brings retention and tags to the desired ones.
    let created = providers(aws).create(Kind::LogGroup, &id, &desired).await;
    assert_eq!(created.cloud_id, name);
    assert_eq!(
        describe_group(&logs, name)
            .await
            .unwrap()
            .retention_in_days(),
        Some(365)
    );
    let listed = logs
        .list_tags_for_resource()
        .resource_arn(out(&created, "arn"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed
            .tags()
            .and_then(|tags| tags.get("eksforge:blueprint"))
            .map(String::as_str),
        Some(BLUEPRINT)
    );
    providers(aws)
        .assert_no_diff(Kind::LogGroup, &id, name, &desired)
        .await;
}

// ---------------------------------------------------------------------------------------
// ssm_document

const DOCUMENT: &str = "SSM-SessionManagerRunShell";

fn preferences(timeout: &str) -> String {
    canonical_json(&json!({
        "schemaVersion": "1.0",
        "description": "Session Manager preferences (eksforge test)",
        "sessionType": "Standard_Stream",
        "inputs": {
            "cloudWatchLogGroupName": "/aws/ssm/test/sessions",
            "cloudWatchEncryptionEnabled": true,
            "cloudWatchStreamingEnabled": true,
            "kmsKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
            "s3BucketName": "",
            "s3EncryptionEnabled": true,
            "runAsEnabled": false,
            "idleSessionTimeout": timeout,
        },
    }))
}

fn document_attrs(id: &ResourceId, content: String) -> Attrs {
    Attrs::from([
        ("name".to_string(), Value::str(DOCUMENT)),
        ("document_type".to_string(), Value::str("Session")),
        ("document_format".to_string(), Value::str("JSON")),
        ("content".to_string(), Value::str(content)),
        ("tags".to_string(), tags(BLUEPRINT, id, &[])),
    ])
}

/// The default version's content, canonical, and its version; `None` when the document is gone.
async fn document_content(ssm: &aws_sdk_ssm::Client) -> Option<(String, String)> {
    match ssm.get_document().name(DOCUMENT).send().await {
        Ok(output) => Some((
            eksforge::aws::policy::canonical(output.content().unwrap()).unwrap(),
            output.document_version().unwrap().to_string(),
        )),
        Err(error) => {
            let code = aws_sdk_ssm::error::ProvideErrorMetadata::code(&error).map(str::to_string);
            assert_eq!(code.as_deref(), Some("InvalidDocument"), "{error:?}");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssm_document_lifecycle() {
    let env = env().await;
    let aws = &env.aws;
    let ssm = aws_sdk_ssm::Client::new(&env.config);
    let id = ResourceId::new(Kind::SsmDocument, "session_preferences");
    let desired = document_attrs(&id, preferences("20"));

    let created = providers(aws)
        .create(Kind::SsmDocument, &id, &desired)
        .await;
    assert_eq!(created.cloud_id, DOCUMENT);
    assert_eq!(out(&created, "name"), DOCUMENT);
    assert_eq!(out(&created, "version"), "1");
    assert_eq!(
        document_content(&ssm).await,
        Some((preferences("20"), "1".to_string()))
    );
    let described = ssm.describe_document().name(DOCUMENT).send().await.unwrap();
    let document = described.document().unwrap();
    assert_eq!(
        document.document_type().map(|kind| kind.as_str()),
        Some("Session")
    );
    assert_eq!(
        document.document_format().map(|format| format.as_str()),
        Some("JSON")
    );
    assert!(document
        .tags()
        .iter()
        .any(|tag| tag.key() == "eksforge:resource"
            && tag.value() == "ssm_document.session_preferences"));

    let found = providers(aws)
        .assert_no_diff(Kind::SsmDocument, &id, DOCUMENT, &desired)
        .await;
    assert_eq!(found.observed.outputs, created.outputs);

    // In place: new content becomes version 2 and the default; a tag added.
    let changed_attrs = with(
        &document_attrs(&id, preferences("30")),
        "tags",
        tags(BLUEPRINT, &id, &[("team", "platform")]),
    );
    let updated = providers(aws)
        .update(Kind::SsmDocument, &id, DOCUMENT, &desired, &changed_attrs)
        .await;
    assert_eq!(out(&updated, "version"), "2");
    assert_eq!(
        document_content(&ssm).await,
        Some((preferences("30"), "2".to_string()))
    );
    let found = providers(aws)
        .assert_no_diff(Kind::SsmDocument, &id, DOCUMENT, &changed_attrs)
        .await;
    assert_eq!(out(&found.observed, "version"), "2");

    // Back to the first content: UpdateDocument answers DuplicateDocumentContent (version 1
    // holds it), so version 1 becomes the default again; the tag goes.
    let updated = providers(aws)
        .update(Kind::SsmDocument, &id, DOCUMENT, &changed_attrs, &desired)
        .await;
    assert_eq!(out(&updated, "version"), "1");
    assert_eq!(
        document_content(&ssm).await,
        Some((preferences("20"), "1".to_string()))
    );
    providers(aws)
        .assert_no_diff(Kind::SsmDocument, &id, DOCUMENT, &desired)
        .await;

    providers(aws)
        .delete(Kind::SsmDocument, &id, DOCUMENT, &desired)
        .await;
    assert_eq!(document_content(&ssm).await, None);
    providers(aws)
        .delete(Kind::SsmDocument, &id, DOCUMENT, &desired)
        .await;
    assert!(providers(aws)
        .refresh_recorded_one(Kind::SsmDocument, &id, DOCUMENT, &desired)
        .await
        .is_empty());

    // The console's own preferences (pretty-printed, other content, no tags): found by name and
    // adopted by a create, which brings content and tags to ours.
    let console = serde_json::to_string_pretty(&serde_json::json!({
        "schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream",
        "inputs": {"s3BucketName": "", "cloudWatchLogGroupName": "", "idleSessionTimeout": "20", "runAsEnabled": false},
    }))
    .unwrap();
    ssm.create_document()
        .name(DOCUMENT)
        .content(console)
        .document_type(aws_sdk_ssm::types::DocumentType::Session)
        .document_format(aws_sdk_ssm::types::DocumentFormat::Json)
        .send()
        .await
        .unwrap();
    let found = providers(aws)
        .refresh_missing_one(Kind::SsmDocument, &id, &desired)
        .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].via, FoundVia::NaturalKey);
    assert_eq!(
        changed(&found[0].observed.attrs, &desired),
        vec!["content".to_string(), "tags".to_string()]
    );
    let adopted = providers(aws)
        .create(Kind::SsmDocument, &id, &desired)
        .await;
    assert_eq!(out(&adopted, "version"), "2");
    assert_eq!(
        document_content(&ssm).await,
        Some((preferences("20"), "2".to_string()))
    );
    providers(aws)
        .assert_no_diff(Kind::SsmDocument, &id, DOCUMENT, &desired)
        .await;
}
