//! `kms_key`: the customer-managed key for EKS secrets (and logs). CreateKey (policy,
//! description, tags in the one call) → EnableKeyRotation → CreateAlias (UpdateAlias when the
//! alias already exists); in-place updates per attribute; ScheduleKeyDeletion on delete.
//!
//! The alias is the natural key: a desired key missing from state is found by
//! `DescribeKey(alias/…)`, also while it is pending deletion (a destroy keeps the alias, so a
//! re-create within the 7–30 day window adopts the key by cancelling its deletion instead of
//! failing on "alias already exists"). A key without its alias (cut off before `CreateAlias`)
//! is found by its `eksforge:*` tags (`find_by_tags`).

use std::collections::BTreeMap;

use aws_sdk_kms::types::{
    AliasListEntry, KeyListEntry, KeyMetadata, KeySpec, KeyState, KeyUsageType, Tag,
};
use futures::future::{try_join_all, Either};

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::refresh::{attr_str, required_str};
use super::tags::{tag_map, MapChanges};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct KmsKeyProvider;

static DESCRIPTION: Description = Description::new(
    Kind::KmsKey,
    "kms:DescribeKey",
    &[
        AttrRule::UpdatedBy("description", "kms:UpdateKeyDescription"),
        AttrRule::UpdatedBy("alias", "kms:CreateAlias/UpdateAlias"),
        AttrRule::UpdatedBy(
            "enable_key_rotation",
            "kms:EnableKeyRotation/DisableKeyRotation",
        ),
        AttrRule::UpdatedBy("policy", "kms:PutKeyPolicy"),
        AttrRule::UpdatedBy("enabled", "kms:CancelKeyDeletion/EnableKey"),
        // Not an AWS attribute: the waiting period a delete schedules.
        AttrRule::UpdatedBy("deletion_window_days", "recorded only"),
        AttrRule::UpdatedBy("tags", "kms:TagResource/UntagResource"),
    ],
)
// CreateKey (policy, tags) → EnableKeyRotation and CreateAlias at once.
// Delete: ScheduleKeyDeletion and DeleteAlias at once.
.calls(1, 2, 1, 1)
.create_is_not_idempotent()
// Found by alias (its natural key) rather than by a tag scan of every key in the account.
.adopts_by_natural_key();

/// The only key policy name KMS knows; moto requires it on GetKeyPolicy, so it is sent on
/// every policy call.
const POLICY_NAME: &str = "default";

/// KMS's own default waiting period.
const DEFAULT_DELETION_WINDOW: i64 = 30;

/// Aliases under this prefix belong to AWS-managed keys, never to ours.
const AWS_ALIAS_PREFIX: &str = "alias/aws/";

impl KindProvider for KmsKeyProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        // (id, what to describe, how, the recorded or desired attributes)
        let mut wanted: Vec<(ResourceId, &str, FoundVia, &Attrs)> = Vec::new();
        for (id, (key_id, recorded)) in &scope.recorded {
            wanted.push((id.clone(), key_id, FoundVia::State, recorded));
        }
        for (id, desired) in &scope.missing {
            if let Some(alias) =
                attr_str(desired, "alias").filter(|alias| alias.starts_with("alias/"))
            {
                wanted.push((id.clone(), alias, FoundVia::NaturalKey, desired));
            }
        }
        // A key missing from state is looked for by its alias and by its tags at once: the
        // tag scan (a key created just before a cut-off, its alias not yet made) does not wait
        // for the alias lookup to fail, and is dropped unanswered when the alias finds every
        // key. What the alias finds comes first.
        let unrecorded: Vec<(&ResourceId, &Attrs)> = scope.missing.iter().collect();
        let by_alias = try_join_all(wanted.into_iter().map(
            |(id, lookup, via, known)| async move {
                let observed = read(aws, &id, lookup, known).await?;
                Ok::<_, AwsError>(observed.map(|observed| Found { id, via, observed }))
            },
        ));
        let by_tags = find_by_tags(aws, &scope.blueprint, &unrecorded);
        futures::pin_mut!(by_alias, by_tags);
        let (by_alias, mut tagged) = match futures::future::select(by_alias, by_tags.as_mut()).await
        {
            Either::Left((by_alias, _)) => (by_alias?, None),
            Either::Right((tagged, by_alias)) => (by_alias.await?, Some(tagged?)),
        };
        let mut found: Vec<Found> = by_alias.into_iter().flatten().collect();
        let all_found = scope
            .missing
            .keys()
            .all(|id| found.iter().any(|known| &known.id == id));
        if !all_found {
            let tagged = match tagged.take() {
                Some(tagged) => tagged,
                None => by_tags.await?,
            };
            for item in tagged {
                if !found.iter().any(|known| known.id == item.id) {
                    found.push(item);
                }
            }
        }
        Ok(found)
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let tags = kms_tags(request.id, "kms:CreateKey", &tag_map(attrs))?;
        let mut call = aws
            .kms
            .create_key()
            .key_usage(KeyUsageType::EncryptDecrypt)
            .key_spec(KeySpec::SymmetricDefault)
            .set_tags((!tags.is_empty()).then_some(tags));
        if let Some(policy) = attr_str(attrs, "policy") {
            call = call.policy(policy);
        }
        if let Some(description) = attr_str(attrs, "description") {
            call = call.description(description);
        }
        let output = call
            // Sent once: no idempotency token, so a retry after a lost answer would make a
            // twin; the executor looks it up by tag before trying again (aws::retry).
            .customize()
            .config_override(super::retry::once_kms())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "kms:CreateKey", error))?;
        let metadata = output.key_metadata().ok_or_else(|| {
            AwsError::missing_in_response(request.id, "kms:CreateKey", "key metadata")
        })?;
        let key_id = metadata.key_id().to_string();
        // The ARN is an output others reference (the log groups' key): never recorded empty.
        let arn = metadata
            .arn()
            .ok_or_else(|| AwsError::missing_in_response(request.id, "kms:CreateKey", "key ARN"))?
            .to_string();
        // Rotation and the alias are independent: both at once.
        let rotation = async {
            if attrs.get("enable_key_rotation").and_then(Value::as_bool) == Some(true) {
                set_rotation(aws, request.id, &key_id, true).await?;
            }
            Ok::<_, AwsError>(())
        };
        let alias = async {
            if let Some(alias) = attr_str(attrs, "alias") {
                point_alias(aws, request.id, alias, &key_id).await?;
            }
            Ok::<_, AwsError>(())
        };
        futures::try_join!(rotation, alias)?;
        if attrs.get("enabled").and_then(Value::as_bool) == Some(false) {
            set_enabled(aws, request.id, &key_id, false).await?;
        }
        Ok(observed_after(&key_id, &arn, attrs))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let (id, key_id, before, after) =
            (request.id, request.cloud_id, request.before, request.after);
        let changed = |name: &str| request.changed.iter().any(|changed| changed == name);
        // First: a key pending deletion (or disabled) refuses most other operations.
        if changed("enabled") {
            let enabled = after
                .get("enabled")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            set_enabled(aws, id, key_id, enabled).await?;
        }
        if changed("description") {
            aws.kms
                .update_key_description()
                .key_id(key_id)
                .description(required_str(
                    after,
                    "description",
                    id,
                    "kms:UpdateKeyDescription",
                )?)
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(id, "kms:UpdateKeyDescription", error))?;
        }
        if changed("policy") {
            if let Some(policy) = attr_str(after, "policy") {
                aws.kms
                    .put_key_policy()
                    .key_id(key_id)
                    .policy_name(POLICY_NAME)
                    .policy(policy)
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "kms:PutKeyPolicy", error))?;
            }
        }
        if changed("enable_key_rotation") {
            let rotation = after
                .get("enable_key_rotation")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            set_rotation(aws, id, key_id, rotation).await?;
        }
        if changed("alias") {
            if let Some(alias) = attr_str(after, "alias") {
                point_alias(aws, id, alias, key_id).await?;
            }
            if let Some(old) =
                attr_str(before, "alias").filter(|old| Some(*old) != attr_str(after, "alias"))
            {
                delete_alias_if_ours(aws, id, old, key_id).await?;
            }
        }
        if changed("tags") {
            update_tags(aws, id, key_id, &tag_map(before), &tag_map(after)).await?;
        }
        let metadata = describe(aws, id, key_id).await?.ok_or_else(|| {
            AwsError::new(
                id,
                "kms:DescribeKey",
                format!("key {key_id} no longer exists"),
            )
        })?;
        let mut observed = observed_after(key_id, metadata.arn().unwrap_or_default(), after);
        if metadata.key_state() == Some(&KeyState::PendingDeletion) {
            observed
                .outputs
                .insert("pending_deletion".into(), Value::Bool(true));
        }
        Ok(observed)
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let (id, key_id) = (request.id, request.cloud_id);
        // Scheduled straight away: a key already pending deletion (or gone) answers with an
        // error, and only then is it described to tell which.
        let window = match request.attrs.get("deletion_window_days") {
            Some(Value::Int(days)) => *days,
            _ => DEFAULT_DELETION_WINDOW,
        };
        let window = i32::try_from(window.clamp(7, 30)).unwrap_or(30);
        // The alias is kept on purpose: a re-create finds the pending key through it.
        let result = aws
            .kms
            .schedule_key_deletion()
            .key_id(key_id)
            .pending_window_in_days(window)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => {
                let error = AwsError::from_sdk(id, "kms:ScheduleKeyDeletion", error);
                if is_gone(&error) {
                    return Ok(());
                }
                // Already pending deletion (a second destroy, or someone else):
                // KMSInvalidStateException.
                match describe(aws, id, key_id).await? {
                    None => Ok(()),
                    Some(metadata) if metadata.key_state() == Some(&KeyState::PendingDeletion) => {
                        Ok(())
                    }
                    Some(_) => Err(error),
                }
            }
        }
    }
}

/// Whether a KMS error means the key (or alias) does not exist. KMS says `NotFoundException`,
/// which the shared classification does not know.
fn is_gone(error: &AwsError) -> bool {
    error.is_not_found() || error.code.as_deref() == Some("NotFoundException")
}

fn observed_after(key_id: &str, arn: &str, attrs: &Attrs) -> Observed {
    Observed {
        cloud_id: key_id.to_string(),
        attrs: attrs.clone(),
        outputs: outputs(key_id, arn),
    }
}

fn outputs(key_id: &str, arn: &str) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(key_id)),
        ("arn".to_string(), Value::str(arn)),
    ])
}

/// DescribeKey by key id, ARN or alias; `None` when there is no such key (or alias).
async fn describe(aws: &Aws, id: &ResourceId, key: &str) -> Result<Option<KeyMetadata>, AwsError> {
    match aws.kms.describe_key().key_id(key).send().await {
        Ok(output) => Ok(output.key_metadata().cloned()),
        Err(error) => {
            let error = AwsError::from_sdk(id, "kms:DescribeKey", error);
            if is_gone(&error) {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// Everything about one key, in the desired attributes' vocabulary. `known` are the recorded
/// (or, when adopting, desired) attributes: the alias to report when the key has several, and
/// `deletion_window_days`, copied so it never diffs.
async fn read(
    aws: &Aws,
    id: &ResourceId,
    key: &str,
    known: &Attrs,
) -> Result<Option<Observed>, AwsError> {
    // A key id (as state records it) is all the four reads need: they go with the describe,
    // one round trip in all. An alias must be resolved to the key id first.
    let (metadata, (aliases, rotation, policy, tags)) = if key.starts_with("alias/") {
        let Some(metadata) = describe(aws, id, key).await? else {
            return Ok(None);
        };
        let key_id = metadata.key_id().to_string();
        let details = futures::try_join!(
            list_aliases(aws, id, &key_id),
            rotation_status(aws, id, &key_id),
            key_policy(aws, id, &key_id),
            list_tags(aws, id, &key_id),
        )?;
        (metadata, details)
    } else {
        let (metadata, details) = futures::join!(
            describe(aws, id, key),
            futures::future::try_join4(
                list_aliases(aws, id, key),
                rotation_status(aws, id, key),
                key_policy(aws, id, key),
                list_tags(aws, id, key),
            )
        );
        // A key that is gone makes the other reads fail: the describe decides.
        let Some(metadata) = metadata? else {
            return Ok(None);
        };
        (metadata, details?)
    };
    let key_id = metadata.key_id().to_string();
    let pending = metadata.key_state() == Some(&KeyState::PendingDeletion);

    let mut attrs = Attrs::new();
    attrs.insert(
        "description".into(),
        Value::str(metadata.description().unwrap_or_default()),
    );
    let alias = attr_str(known, "alias")
        .filter(|expected| aliases.iter().any(|alias| alias == expected))
        .map(str::to_string)
        .or_else(|| aliases.first().cloned());
    if let Some(alias) = alias {
        attrs.insert("alias".into(), Value::str(alias));
    }
    if let Some(rotation) = rotation {
        attrs.insert("enable_key_rotation".into(), Value::Bool(rotation));
    }
    if let Some(policy) = policy {
        let canonical = super::policy::canonical(&policy).unwrap_or(policy);
        attrs.insert("policy".into(), Value::str(canonical));
    }
    attrs.insert(
        "enabled".into(),
        Value::Bool(metadata.key_state() == Some(&KeyState::Enabled)),
    );
    if let Some(window) = known.get("deletion_window_days") {
        attrs.insert("deletion_window_days".into(), window.clone());
    }
    attrs.insert(
        "tags".into(),
        Value::Map(
            tags.into_iter()
                .map(|(key, value)| (key, Value::str(value)))
                .collect(),
        ),
    );

    let mut outputs = outputs(&key_id, metadata.arn().unwrap_or_default());
    if pending {
        outputs.insert("pending_deletion".into(), Value::Bool(true));
    }
    Ok(Some(Observed {
        cloud_id: key_id,
        attrs,
        outputs,
    }))
}

/// The customer aliases that point at the key, sorted.
async fn list_aliases(aws: &Aws, id: &ResourceId, key_id: &str) -> Result<Vec<String>, AwsError> {
    let entries: Vec<AliasListEntry> = aws
        .kms
        .list_aliases()
        .key_id(key_id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(id, "kms:ListAliases", error))?;
    let mut aliases: Vec<String> = entries
        .iter()
        .filter(|entry| entry.target_key_id() == Some(key_id))
        .filter_map(|entry| entry.alias_name())
        .filter(|name| !name.starts_with(AWS_ALIAS_PREFIX))
        .map(str::to_string)
        .collect();
    aliases.sort();
    Ok(aliases)
}

/// Keys tagged for `wanted` ids whose alias does not (yet) name them: made by a create that
/// was cut off before `CreateAlias` (a crash, or an answer lost on the way back). Without this
/// they would be orphans that cost money every month. It lists the account's keys and reads
/// their tags, so it runs only for desired keys missing from state (the first apply, or after
/// such a cut-off), beside the alias lookup; keys pending deletion are left alone (their
/// alias, which a destroy keeps, finds them).
async fn find_by_tags(
    aws: &Aws,
    blueprint: &str,
    wanted: &[(&ResourceId, &Attrs)],
) -> Result<Vec<Found>, AwsError> {
    let Some((first, _)) = wanted.first() else {
        return Ok(Vec::new());
    };
    let keys: Vec<KeyListEntry> = aws
        .kms
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(*first, "kms:ListKeys", error))?;
    let key_ids: Vec<String> = keys
        .iter()
        .filter_map(|key| key.key_id().map(str::to_string))
        .collect();
    // Keys we may not read (AWS managed ones, other teams' key policies) are not ours.
    let tagged = futures::future::join_all(key_ids.iter().map(|key_id| async move {
        let tags = list_tags(aws, first, key_id).await.ok()?;
        if tags
            .get(crate::resources::TAG_BLUEPRINT)
            .map(String::as_str)
            != Some(blueprint)
        {
            return None;
        }
        let claimed = tags.get(crate::resources::TAG_RESOURCE)?.clone();
        Some((claimed, key_id.clone()))
    }))
    .await;
    let mut found = Vec::new();
    for (id, desired) in wanted {
        let id_text = id.to_string();
        for (_, key_id) in tagged
            .iter()
            .flatten()
            .filter(|(claimed, _)| *claimed == id_text)
        {
            let pending = describe(aws, id, key_id)
                .await?
                .is_none_or(|metadata| metadata.key_state() == Some(&KeyState::PendingDeletion));
            if pending {
                continue;
            }
            if let Some(observed) = read(aws, id, key_id, desired).await? {
                found.push(Found {
                    id: (*id).clone(),
                    via: FoundVia::Tag,
                    observed,
                });
                break;
            }
        }
    }
    Ok(found)
}

/// `None` when the key's state does not allow the read (KMSInvalidStateException).
async fn rotation_status(
    aws: &Aws,
    id: &ResourceId,
    key_id: &str,
) -> Result<Option<bool>, AwsError> {
    match aws
        .kms
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
    {
        Ok(output) => Ok(Some(output.key_rotation_enabled())),
        Err(error) => {
            let error = AwsError::from_sdk(id, "kms:GetKeyRotationStatus", error);
            if error.code.as_deref() == Some("KMSInvalidStateException") {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

async fn key_policy(aws: &Aws, id: &ResourceId, key_id: &str) -> Result<Option<String>, AwsError> {
    let output = aws
        .kms
        .get_key_policy()
        .key_id(key_id)
        .policy_name(POLICY_NAME)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "kms:GetKeyPolicy", error))?;
    Ok(output.policy().map(str::to_string))
}

/// The key's tags without AWS-reserved `aws:` keys.
async fn list_tags(
    aws: &Aws,
    id: &ResourceId,
    key_id: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let tags: Vec<Tag> = aws
        .kms
        .list_resource_tags()
        .key_id(key_id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(id, "kms:ListResourceTags", error))?;
    Ok(tags
        .iter()
        .filter(|tag| !tag.tag_key().starts_with("aws:"))
        .map(|tag| (tag.tag_key().to_string(), tag.tag_value().to_string()))
        .collect())
}

async fn set_rotation(
    aws: &Aws,
    id: &ResourceId,
    key_id: &str,
    enabled: bool,
) -> Result<(), AwsError> {
    if enabled {
        aws.kms
            .enable_key_rotation()
            .key_id(key_id)
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(id, "kms:EnableKeyRotation", error))?;
    } else {
        aws.kms
            .disable_key_rotation()
            .key_id(key_id)
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(id, "kms:DisableKeyRotation", error))?;
    }
    Ok(())
}

/// Enabled: a key pending deletion gets its deletion cancelled (which leaves it Disabled),
/// then EnableKey. Disabled: DisableKey.
async fn set_enabled(
    aws: &Aws,
    id: &ResourceId,
    key_id: &str,
    enabled: bool,
) -> Result<(), AwsError> {
    if !enabled {
        aws.kms
            .disable_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(id, "kms:DisableKey", error))?;
        return Ok(());
    }
    let metadata = describe(aws, id, key_id).await?.ok_or_else(|| {
        AwsError::new(
            id,
            "kms:DescribeKey",
            format!("key {key_id} no longer exists"),
        )
    })?;
    match metadata.key_state() {
        Some(KeyState::Enabled) => return Ok(()),
        Some(KeyState::PendingDeletion) => {
            aws.kms
                .cancel_key_deletion()
                .key_id(key_id)
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(id, "kms:CancelKeyDeletion", error))?;
        }
        _ => {}
    }
    aws.kms
        .enable_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "kms:EnableKey", error))?;
    Ok(())
}

/// CreateAlias; when the alias exists already (left by an earlier key), UpdateAlias points it
/// at this one.
async fn point_alias(
    aws: &Aws,
    id: &ResourceId,
    alias: &str,
    key_id: &str,
) -> Result<(), AwsError> {
    let created = aws
        .kms
        .create_alias()
        .alias_name(alias)
        .target_key_id(key_id)
        .send()
        .await;
    let Err(error) = created else {
        return Ok(());
    };
    let error = AwsError::from_sdk(id, "kms:CreateAlias", error);
    if error.class != super::ErrorClass::AlreadyExists {
        return Err(error);
    }
    aws.kms
        .update_alias()
        .alias_name(alias)
        .target_key_id(key_id)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "kms:UpdateAlias", error))?;
    Ok(())
}

/// Removes a renamed-away alias, but only while it still points at this key.
async fn delete_alias_if_ours(
    aws: &Aws,
    id: &ResourceId,
    alias: &str,
    key_id: &str,
) -> Result<(), AwsError> {
    if !list_aliases(aws, id, key_id)
        .await?
        .iter()
        .any(|name| name == alias)
    {
        return Ok(());
    }
    match aws.kms.delete_alias().alias_name(alias).send().await {
        Ok(_) => Ok(()),
        Err(error) => {
            let error = AwsError::from_sdk(id, "kms:DeleteAlias", error);
            if is_gone(&error) {
                Ok(())
            } else {
                Err(error)
            }
        }
    }
}

fn kms_tags(
    id: &ResourceId,
    operation: &'static str,
    tags: &BTreeMap<String, String>,
) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .tag_key(key)
                .tag_value(value)
                .build()
                .map_err(|error| AwsError::new(id, operation, format!("tag {key}: {error}")))
        })
        .collect()
}

/// TagResource for new or changed values, UntagResource for removed keys.
async fn update_tags(
    aws: &Aws,
    id: &ResourceId,
    key_id: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    MapChanges::between(old, new)
        .send(
            |upserts| async move {
                aws.kms
                    .tag_resource()
                    .key_id(key_id)
                    .set_tags(Some(kms_tags(id, "kms:TagResource", &upserts)?))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "kms:TagResource", error))?;
                Ok(())
            },
            |removals| async move {
                aws.kms
                    .untag_resource()
                    .key_id(key_id)
                    .set_tag_keys(Some(removals))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "kms:UntagResource", error))?;
                Ok(())
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_take_the_kms_shape() {
        let id = ResourceId::new(Kind::KmsKey, "secrets");
        let tags = BTreeMap::from([("a".to_string(), "1".to_string())]);
        let built = kms_tags(&id, "kms:CreateKey", &tags).expect("valid tags");
        assert_eq!(built.len(), 1);
        assert_eq!(built[0].tag_key(), "a");
        assert_eq!(built[0].tag_value(), "1");
    }

    #[test]
    fn kms_not_found_counts_as_gone() {
        let mut error = AwsError::new("kms_key.secrets", "kms:DescribeKey", "missing");
        assert!(!is_gone(&error));
        error.code = Some("NotFoundException".into());
        assert!(is_gone(&error));
    }
}
