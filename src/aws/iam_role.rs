//! `iam_role`: CreateRole (tags in the same call); UpdateAssumeRolePolicy, UpdateRole and
//! TagRole/UntagRole in place; on delete, whatever is still attached to the role (managed
//! policies, inline policies, instance profiles: a crash can leave them) is removed first.
//! Natural key: the name, adopted only when the role's `eksforge:blueprint` tag names this
//! blueprint. Also the IAM helpers the other `iam_*` kinds share (tags, documents, limits).

use std::time::{Duration, Instant};

use aws_sdk_iam::types::Tag;
use futures::future::join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT, TAG_RESOURCE};

use super::iam_roles_bulk::{self, RoleFacts};
use super::policy::{canonical, percent_decode};
use super::refresh::attr_str;
use super::tags::{tag_map, MapChanges};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, ErrorClass, Found,
    FoundVia, KindProvider, Observed, Scope, UpdateRequest,
};

pub struct IamRoleProvider;

// CreateRole (trust policy, tags at create).
static DESCRIPTION: Description = Description::new(
    Kind::IamRole,
    "iam:GetRole",
    &[
        AttrRule::ForcesReplacement("name"),
        AttrRule::ForcesReplacement("path"),
        AttrRule::UpdatedBy("assume_role_policy", "iam:UpdateAssumeRolePolicy"),
        AttrRule::UpdatedBy("description", "iam:UpdateRole"),
        AttrRule::UpdatedBy("max_session_duration", "iam:UpdateRole"),
        AttrRule::UpdatedBy("tags", "iam:TagRole/UntagRole"),
    ],
)
.adopts_by_natural_key();

/// What CreateRole says when the name is someone else's.
const NAME_TAKEN: &str = "role name taken by a role this blueprint did not create; rename the blueprint or delete the role";

impl KindProvider for IamRoleProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        // Recorded roles by their recorded name, missing ones by their desired name: one
        // GetRole each, all at once.
        let mut wanted: Vec<(ResourceId, String, FoundVia)> = scope
            .recorded
            .iter()
            .map(|(id, (cloud_id, _))| (id.clone(), cloud_id.clone(), FoundVia::State))
            .collect();
        for (id, attrs) in &scope.missing {
            if let Some(name) = attr_str(attrs, "name") {
                wanted.push((id.clone(), name.to_string(), FoundVia::NaturalKey));
            }
        }
        // More than a handful of roles: one bulk read of the account's roles serves them all.
        let snapshot = iam_roles_bulk::snapshot(aws).await.transpose()?;
        let snapshot = snapshot.as_deref();
        let results = join_all(wanted.into_iter().map(|(id, name, via)| async move {
            let observed = match snapshot {
                Some(snapshot) => snapshot.roles.get(&name).and_then(from_snapshot),
                None => get_role(aws, &id, &name).await?,
            };
            // A role state does not record is adopted only when it is this blueprint's:
            // someone else's role of the same name is left alone (create then says so).
            Ok::<_, AwsError>(
                observed
                    .filter(|observed| {
                        via == FoundVia::State || owned_by(&observed.attrs, &scope.blueprint)
                    })
                    .map(|observed| Found { id, via, observed }),
            )
        }))
        .await;
        let mut found = Vec::new();
        for result in results {
            found.extend(result?);
        }
        Ok(found)
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let desired = Desired::from_attrs(attrs);
        desired.validate(request.id, "iam:CreateRole")?;
        let tags = iam_tags(attrs);
        check_tags(request.id, "iam:CreateRole", &tags)?;
        let result = aws
            .iam
            .create_role()
            .role_name(desired.name)
            .path(desired.path)
            .assume_role_policy_document(desired.assume_role_policy)
            .set_description(desired.description.map(str::to_string))
            .max_session_duration(desired.max_session_duration)
            .set_tags(Some(tags))
            .send()
            .await;
        match result {
            Ok(output) => {
                let role = output.role().ok_or_else(|| {
                    AwsError::missing_in_response(request.id, "iam:CreateRole", "role")
                })?;
                // IAM reads are eventually consistent: what was sent is what the role is.
                Ok(Observed {
                    cloud_id: role.role_name().to_string(),
                    attrs: known_attrs(attrs),
                    outputs: outputs(role.arn(), role.role_name(), role.role_id()),
                })
            }
            Err(error) => {
                let mut error = AwsError::from_sdk(request.id, "iam:CreateRole", error);
                if error.code.as_deref() != Some("EntityAlreadyExists") {
                    return Err(error);
                }
                // Ours (a run killed after CreateRole, before state was written, that this
                // plan did not see): take it over and bring it to the desired settings.
                let blueprint = tag_map(attrs)
                    .get(TAG_BLUEPRINT)
                    .cloned()
                    .unwrap_or_default();
                if let Some(existing) = get_role(aws, request.id, desired.name).await? {
                    if !blueprint.is_empty() && owned_by(&existing.attrs, &blueprint) {
                        return converge(aws, request.id, desired.name, &existing.attrs, attrs)
                            .await;
                    }
                }
                error.class = ErrorClass::AlreadyExists;
                error.message = format!("{NAME_TAKEN} ({}): {}", desired.name, error.message);
                Err(error)
            }
        }
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let changed: Vec<&str> = request.changed.iter().map(String::as_str).collect();
        apply_changes(
            aws,
            request.id,
            request.cloud_id,
            request.before,
            request.after,
            &changed,
        )
        .await?;
        finish(aws, request.id, request.cloud_id, request.after).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let name = request.cloud_id;
        // DeleteRole first: what eksforge attached is gone by now (the attachments are deleted
        // before their role), so usually this one call is the whole delete. DeleteConflict
        // says something else still holds the role: clear it, then try again. IAM is
        // eventually consistent, so a policy detached a moment ago can still block the delete:
        // the retries go on for a short while.
        let started = Instant::now();
        let limit = aws.waits.timeout.min(Duration::from_secs(60));
        let mut delay = aws.waits.first_poll;
        loop {
            let error = match aws.iam.delete_role().role_name(name).send().await {
                Ok(_) => return Ok(()),
                Err(error) => AwsError::from_sdk(request.id, "iam:DeleteRole", error),
            };
            if error.is_not_found() {
                return Ok(());
            }
            if error.code.as_deref() != Some("DeleteConflict") {
                return Err(error);
            }
            let cleared = match detach_everything(aws, request.id, name).await {
                Ok(cleared) => cleared,
                Err(error) if error.is_not_found() => return Ok(()),
                Err(error) => return Err(error),
            };
            if cleared == 0 {
                // Nothing left to clear: IAM has not caught up yet.
                if started.elapsed().saturating_add(delay) > limit {
                    return Err(error);
                }
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2).min(aws.waits.max_poll);
            }
        }
    }
}

/// The desired settings, read once from the resolved attributes.
struct Desired<'a> {
    name: &'a str,
    path: &'a str,
    assume_role_policy: &'a str,
    description: Option<&'a str>,
    max_session_duration: i32,
}

impl<'a> Desired<'a> {
    fn from_attrs(attrs: &'a Attrs) -> Desired<'a> {
        Desired {
            name: attr_str(attrs, "name").unwrap_or_default(),
            path: attr_str(attrs, "path").unwrap_or("/"),
            assume_role_policy: attr_str(attrs, "assume_role_policy").unwrap_or_default(),
            description: attr_str(attrs, "description"),
            max_session_duration: max_session_duration(attrs),
        }
    }

    /// The IAM API reference's constraints, checked before the call: moto accepts much that
    /// IAM refuses.
    fn validate(&self, id: &ResourceId, operation: &'static str) -> Result<(), AwsError> {
        check_name(id, operation, "role name", self.name, 64)?;
        check_path(id, operation, self.path)?;
        check_document(id, operation, "assume_role_policy", self.assume_role_policy)?;
        if let Some(description) = self.description {
            check_description(id, operation, description)?;
        }
        if !(3600..=43200).contains(&self.max_session_duration) {
            return Err(AwsError::new(
                id,
                operation,
                format!(
                    "max_session_duration must be 3600 to 43200 seconds, not {}",
                    self.max_session_duration
                ),
            ));
        }
        Ok(())
    }
}

fn max_session_duration(attrs: &Attrs) -> i32 {
    match attrs.get("max_session_duration") {
        Some(Value::Int(seconds)) => i32::try_from(*seconds).unwrap_or(i32::MAX),
        _ => 3600,
    }
}

/// The attributes this kind reports, from desired ones (what create and update return).
fn known_attrs(attrs: &Attrs) -> Attrs {
    DESCRIPTION.classified(attrs)
}

fn outputs(arn: &str, name: &str, unique_id: &str) -> Attrs {
    Attrs::from([
        ("arn".to_string(), Value::str(arn)),
        ("name".to_string(), Value::str(name)),
        ("unique_id".to_string(), Value::str(unique_id)),
    ])
}

/// Whether a role's tags name `blueprint` as its owner.
fn owned_by(attrs: &Attrs, blueprint: &str) -> bool {
    tag_map(attrs).get(TAG_BLUEPRINT).map(String::as_str) == Some(blueprint)
}

/// Sends the calls that change `changed` attributes from `before` to `after`.
async fn apply_changes(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    before: &Attrs,
    after: &Attrs,
    changed: &[&str],
) -> Result<(), AwsError> {
    let changed = |key: &str| changed.contains(&key);
    let desired = Desired::from_attrs(after);
    if changed("assume_role_policy") {
        check_document(
            id,
            "iam:UpdateAssumeRolePolicy",
            "assume_role_policy",
            desired.assume_role_policy,
        )?;
        aws.iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(desired.assume_role_policy)
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(id, "iam:UpdateAssumeRolePolicy", error))?;
    }
    if changed("description") || changed("max_session_duration") {
        // Both always: an UpdateRole without a description clears it on some endpoints
        // (moto), and an empty one clears it on IAM.
        let description = desired.description.unwrap_or_default();
        check_description(id, "iam:UpdateRole", description)?;
        if !(3600..=43200).contains(&desired.max_session_duration) {
            return Err(AwsError::new(
                id,
                "iam:UpdateRole",
                format!(
                    "max_session_duration must be 3600 to 43200 seconds, not {}",
                    desired.max_session_duration
                ),
            ));
        }
        aws.iam
            .update_role()
            .role_name(name)
            .description(description)
            .max_session_duration(desired.max_session_duration)
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(id, "iam:UpdateRole", error))?;
    }
    if changed("tags") {
        MapChanges::of_tags(before, after)
            .send(
                |upserts| async move {
                    let tags = iam_tag_list(&upserts);
                    check_tags(id, "iam:TagRole", &tags)?;
                    aws.iam
                        .tag_role()
                        .role_name(name)
                        .set_tags(Some(tags))
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(id, "iam:TagRole", error))?;
                    Ok(())
                },
                |removals| async move {
                    aws.iam
                        .untag_role()
                        .role_name(name)
                        .set_tag_keys(Some(removals))
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(id, "iam:UntagRole", error))?;
                    Ok(())
                },
            )
            .await?;
    }
    Ok(())
}

/// Brings an adopted role (`live`) to `desired` in place.
async fn converge(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    live: &Attrs,
    desired: &Attrs,
) -> Result<Observed, AwsError> {
    let changed: Vec<&str> = [
        "assume_role_policy",
        "description",
        "max_session_duration",
        "tags",
    ]
    .into_iter()
    .filter(|key| {
        desired
            .get(*key)
            .is_some_and(|value| live.get(*key) != Some(value))
    })
    .collect();
    apply_changes(aws, id, name, live, desired, &changed).await?;
    let mut attrs = known_attrs(desired);
    // What cannot change in place stays as it is (the next plan replaces it if it differs).
    for key in ["name", "path"] {
        if let Some(value) = live.get(key) {
            attrs.insert(key.to_string(), value.clone());
        }
    }
    finish(aws, id, name, &attrs).await
}

/// The observed role after a change: the attributes as sent, the outputs as IAM has them.
async fn finish(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    attrs: &Attrs,
) -> Result<Observed, AwsError> {
    let output = aws
        .iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "iam:GetRole", error))?;
    let role = output
        .role()
        .ok_or_else(|| AwsError::new(id, "iam:GetRole", format!("role {name} is not described")))?;
    Ok(Observed {
        cloud_id: role.role_name().to_string(),
        attrs: known_attrs(attrs),
        outputs: outputs(role.arn(), role.role_name(), role.role_id()),
    })
}

/// Detaches every managed policy, deletes every inline policy and takes the role out of every
/// instance profile: the three lists at once, then every removal at once. Returns how many
/// things it removed.
async fn detach_everything(aws: &Aws, id: &ResourceId, name: &str) -> Result<usize, AwsError> {
    let attached = async {
        aws.iam
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|error| AwsError::from_sdk(id, "iam:ListAttachedRolePolicies", error))
    };
    let inline = async {
        aws.iam
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|error| AwsError::from_sdk(id, "iam:ListRolePolicies", error))
    };
    let profiles = async {
        aws.iam
            .list_instance_profiles_for_role()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|error| AwsError::from_sdk(id, "iam:ListInstanceProfilesForRole", error))
    };
    let (attached, inline, profiles) = futures::try_join!(attached, inline, profiles)?;
    let attached: Vec<String> = attached
        .iter()
        .filter_map(|policy| policy.policy_arn().map(str::to_string))
        .collect();
    let profiles: Vec<String> = profiles
        .iter()
        .map(|profile| profile.instance_profile_name().to_string())
        .collect();
    let removed = attached.len() + inline.len() + profiles.len();
    // A thing already removed is fine; the role being gone shows in the list calls.
    let detaches = attached.iter().map(|arn| async move {
        match aws
            .iam
            .detach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => AwsError::from_sdk(id, "iam:DetachRolePolicy", error).gone(),
        }
    });
    let deletes = inline.iter().map(|policy| async move {
        match aws
            .iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => AwsError::from_sdk(id, "iam:DeleteRolePolicy", error).gone(),
        }
    });
    let removals = profiles.iter().map(|profile| async move {
        match aws
            .iam
            .remove_role_from_instance_profile()
            .role_name(name)
            .instance_profile_name(profile)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => AwsError::from_sdk(id, "iam:RemoveRoleFromInstanceProfile", error).gone(),
        }
    });
    futures::try_join!(
        futures::future::try_join_all(detaches),
        futures::future::try_join_all(deletes),
        futures::future::try_join_all(removals),
    )?;
    Ok(removed)
}

/// GetRole in this kind's vocabulary; `None` when there is no such role.
async fn get_role(aws: &Aws, id: &ResourceId, name: &str) -> Result<Option<Observed>, AwsError> {
    let output = match aws.iam.get_role().role_name(name).send().await {
        Ok(output) => output,
        Err(error) => return AwsError::from_sdk(id, "iam:GetRole", error).absent(),
    };
    let Some(role) = output.role() else {
        return Ok(None);
    };
    Ok(Some(Observed {
        cloud_id: role.role_name().to_string(),
        attrs: role_attrs(RoleShape {
            name: role.role_name(),
            path: role.path(),
            trust_policy: document(role.assume_role_policy_document().unwrap_or_default()),
            tags: role.tags(),
            description: role.description(),
            max_session_duration: role.max_session_duration(),
        }),
        outputs: outputs(role.arn(), role.role_name(), role.role_id()),
    }))
}

/// The role as the bulk read saw it (`iam_roles_bulk`), in GetRole's vocabulary.
fn from_snapshot(facts: &RoleFacts) -> Option<Observed> {
    let detail = &facts.detail;
    let name = detail.role_name()?;
    Some(Observed {
        cloud_id: name.to_string(),
        attrs: role_attrs(RoleShape {
            name,
            path: detail.path().unwrap_or("/"),
            trust_policy: facts.trust_policy(),
            tags: facts.tags(),
            description: facts.listed.as_ref().and_then(|role| role.description()),
            max_session_duration: facts
                .listed
                .as_ref()
                .and_then(|role| role.max_session_duration()),
        }),
        outputs: outputs(
            detail.arn().unwrap_or_default(),
            name,
            detail.role_id().unwrap_or_default(),
        ),
    })
}

/// What GetRole and the bulk read both report of a role.
struct RoleShape<'a> {
    name: &'a str,
    path: &'a str,
    trust_policy: String,
    tags: &'a [Tag],
    description: Option<&'a str>,
    max_session_duration: Option<i32>,
}

fn role_attrs(role: RoleShape<'_>) -> Attrs {
    Attrs::from([
        ("name".to_string(), Value::str(role.name)),
        ("path".to_string(), Value::str(role.path)),
        (
            "assume_role_policy".to_string(),
            Value::str(role.trust_policy),
        ),
        ("tags".to_string(), tags_value(role.tags)),
        // IAM omits an empty description and may omit the default duration: report both, so
        // an empty desired description compares equal to none.
        (
            "description".to_string(),
            Value::str(role.description.unwrap_or_default()),
        ),
        (
            "max_session_duration".to_string(),
            Value::Int(i64::from(role.max_session_duration.unwrap_or(3600))),
        ),
    ])
}

// ---------------------------------------------------------------------------------------------
// Shared by the `iam_*` kinds.

/// The `tags` attribute as IAM tags.
pub(super) fn iam_tags(attrs: &Attrs) -> Vec<Tag> {
    tag_map(attrs)
        .into_iter()
        .filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok())
        .collect()
}

/// IAM tags as the `tags` attribute (AWS's own `aws:` tags are not ours to diff).
pub(super) fn tags_value(tags: &[Tag]) -> Value {
    Value::Map(
        tags.iter()
            .filter(|tag| !tag.key().starts_with("aws:"))
            .map(|tag| (tag.key().to_string(), Value::str(tag.value())))
            .collect(),
    )
}

/// The tags to set (new or changed values) and the keys to remove, from `before` to `after`.
pub(super) fn iam_tag_list(tags: &std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok())
        .collect()
}

/// Whether the tags claim `id` for `blueprint`.
pub(super) fn claims(attrs: &Attrs, blueprint: &str, id: &ResourceId) -> bool {
    let tags = tag_map(attrs);
    tags.get(TAG_BLUEPRINT).map(String::as_str) == Some(blueprint)
        && tags.get(TAG_RESOURCE).map(String::as_str) == Some(id.as_str())
}

/// A policy document as the desired side writes it: canonical JSON. IAM returns documents
/// URL-encoded (RFC 3986); a document that already parses as JSON is taken as it is, so a `+`
/// or `%` inside it is never mangled.
pub(super) fn document(raw: &str) -> String {
    canonical(raw)
        .or_else(|| canonical(&percent_decode(raw)))
        .unwrap_or_else(|| percent_decode(raw))
}

/// IAM tag limits: at most 50, keys 1–128 characters, values up to 256, neither starting with
/// `aws:`.
pub(super) fn check_tags(
    id: &ResourceId,
    operation: &'static str,
    tags: &[Tag],
) -> Result<(), AwsError> {
    if tags.len() > 50 {
        return Err(AwsError::new(
            id,
            operation,
            format!("{} tags; IAM allows at most 50", tags.len()),
        ));
    }
    for tag in tags {
        let (key, value) = (tag.key(), tag.value());
        if key.is_empty()
            || key.chars().count() > 128
            || value.chars().count() > 256
            || key.to_ascii_lowercase().starts_with("aws:")
        {
            return Err(AwsError::new(id, operation, format!("tag {key:?}: IAM tag keys are 1-128 characters, values at most 256, and `aws:` is reserved")));
        }
    }
    Ok(())
}

/// IAM entity names (roles, inline policies): 1 to `max` characters of `[A-Za-z0-9+=,.@_-]`.
pub(super) fn check_name(
    id: &ResourceId,
    operation: &'static str,
    what: &str,
    name: &str,
    max: usize,
) -> Result<(), AwsError> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if name.is_empty() || name.len() > max || !valid_chars {
        return Err(AwsError::new(id, operation, format!("{what} {name:?} is invalid: IAM allows 1 to {max} characters of letters, digits and +=,.@_-")));
    }
    Ok(())
}

/// A policy document: present and at most 131072 characters (the API's limit; IAM's size
/// quotas are lower and reported by IAM itself).
pub(super) fn check_document(
    id: &ResourceId,
    operation: &'static str,
    what: &str,
    document: &str,
) -> Result<(), AwsError> {
    if document.trim().is_empty() || document.chars().count() > 131_072 {
        return Err(AwsError::new(
            id,
            operation,
            format!("{what} must be a policy document of 1 to 131072 characters"),
        ));
    }
    Ok(())
}

/// A role path: `/`, or `/` + printable ASCII + `/`, at most 512 characters.
fn check_path(id: &ResourceId, operation: &'static str, path: &str) -> Result<(), AwsError> {
    let valid = path == "/"
        || (path.len() >= 3
            && path.starts_with('/')
            && path.ends_with('/')
            && path.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if !valid || path.len() > 512 {
        return Err(AwsError::new(id, operation, format!("path {path:?} is invalid: `/`, or up to 512 printable characters starting and ending with `/`")));
    }
    Ok(())
}

/// A role description: at most 1000 characters, tab/newline/carriage return, printable ASCII
/// and Latin-1.
fn check_description(
    id: &ResourceId,
    operation: &'static str,
    description: &str,
) -> Result<(), AwsError> {
    let valid_chars = description
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'));
    if description.chars().count() > 1000 || !valid_chars {
        return Err(AwsError::new(
            id,
            operation,
            "description must be at most 1000 characters of printable ASCII or Latin-1",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> ResourceId {
        ResourceId::new(Kind::IamRole, "node")
    }

    #[test]
    fn documents_are_decoded_only_when_encoded() {
        let canonical =
            r#"{"Statement":{"Action":"sts:AssumeRole","Effect":"Allow"},"Version":"2012-10-17"}"#;
        let encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%5B%22sts%3AAssumeRole%22%5D%7D%5D%7D";
        assert_eq!(document(encoded), canonical);
        assert_eq!(document(canonical), canonical);
        // A plus sign in a plain document stays a plus sign.
        let plus = r#"{"Condition":{"StringLike":{"a":"b+c"}}}"#;
        assert_eq!(document(plus), plus);
    }

    #[test]
    fn names_paths_and_descriptions_follow_the_api_reference() {
        assert!(check_name(&id(), "op", "role name", "hardened-eks-node", 64).is_ok());
        assert!(check_name(&id(), "op", "role name", &"a".repeat(64), 64).is_ok());
        assert!(check_name(&id(), "op", "role name", &"a".repeat(65), 64).is_err());
        assert!(check_name(&id(), "op", "role name", "", 64).is_err());
        assert!(check_name(&id(), "op", "role name", "has space", 64).is_err());
        assert!(check_name(&id(), "op", "role name", "a|b", 64).is_err());
        assert!(check_path(&id(), "op", "/").is_ok());
        assert!(check_path(&id(), "op", "/eksforge/").is_ok());
        assert!(check_path(&id(), "op", "eksforge/").is_err());
        assert!(check_path(&id(), "op", "/eksforge").is_err());
        assert!(check_path(&id(), "op", "//").is_err());
        assert!(check_description(&id(), "op", "eksforge prod: EKS nodes").is_ok());
        assert!(check_description(&id(), "op", &"d".repeat(1001)).is_err());
        assert!(check_description(&id(), "op", "emoji \u{1f600}").is_err());
    }

    #[test]
    fn tag_limits_and_changes() {
        let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build().unwrap();
        assert!(check_tags(&id(), "op", &[tag("team", "platform")]).is_ok());
        assert!(check_tags(&id(), "op", &[tag("aws:x", "y")]).is_err());
        assert!(check_tags(&id(), "op", &[tag(&"k".repeat(129), "y")]).is_err());
        let many: Vec<Tag> = (0..51).map(|n| tag(&format!("k{n}"), "v")).collect();
        assert!(check_tags(&id(), "op", &many).is_err());

        let attrs = |pairs: &[(&str, &str)]| {
            Attrs::from([(
                "tags".to_string(),
                Value::Map(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.to_string(), Value::str(*v)))
                        .collect(),
                ),
            )])
        };
        let tag_changes = |before: &Attrs, after: &Attrs| {
            let changes = MapChanges::of_tags(before, after);
            (iam_tag_list(&changes.upserts), changes.removals)
        };
        let (upserts, removed) = tag_changes(
            &attrs(&[("a", "1"), ("b", "2")]),
            &attrs(&[("a", "1"), ("b", "3"), ("c", "4")]),
        );
        assert_eq!(
            upserts
                .iter()
                .map(|tag| (tag.key(), tag.value()))
                .collect::<Vec<_>>(),
            [("b", "3"), ("c", "4")]
        );
        assert!(removed.is_empty());
        let (upserts, removed) =
            tag_changes(&attrs(&[("a", "1"), ("b", "2")]), &attrs(&[("a", "1")]));
        assert!(upserts.is_empty());
        assert_eq!(removed, ["b"]);
    }
}
