//! `iam_role`: CreateRole; UpdateAssumeRolePolicy / UpdateRole / TagRole in place; on delete,
//! whatever policies are still attached (a crash can leave some) are removed first.
//! Natural key: the name — adopted only when its tags name this blueprint.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;
use futures::future::{try_join_all, BoxFuture, FutureExt};

use crate::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT};

use super::policy::{canonical, percent_decode};
use super::refresh::attr_str;
use super::{AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, ErrorClass, Found, FoundVia, Observed, Provider, Scope, UpdateRequest};

pub struct IamRoleProvider;

const RULES: &[AttrRule] = &[
    AttrRule::ForcesReplacement("name"),
    AttrRule::ForcesReplacement("path"),
    AttrRule::UpdatedBy("assume_role_policy", "iam:UpdateAssumeRolePolicy"),
    AttrRule::UpdatedBy("description", "iam:UpdateRole"),
    AttrRule::UpdatedBy("max_session_duration", "iam:UpdateRole"),
    AttrRule::UpdatedBy("tags", "iam:TagRole/UntagRole"),
];

impl Provider for IamRoleProvider {
    fn kind(&self) -> Kind {
        Kind::IamRole
    }

    fn rules(&self) -> &'static [AttrRule] {
        RULES
    }

    fn adopts_by_natural_key(&self) -> bool {
        true
    }

    fn refresh<'a>(&'a self, aws: &'a Aws, scope: &'a Scope) -> BoxFuture<'a, Result<Vec<Found>, AwsError>> {
        async move {
            let mut wanted = Vec::new();
            for (id, (cloud_id, _)) in &scope.recorded {
                wanted.push((id.clone(), cloud_id.clone(), FoundVia::State));
            }
            for (id, attrs) in &scope.missing {
                if let Some(name) = attr_str(attrs, "name") {
                    wanted.push((id.clone(), name.to_string(), FoundVia::NaturalKey));
                }
            }
            let found = try_join_all(wanted.into_iter().map(|(id, name, via)| async move {
                let observed = describe(aws, &id, &name).await?;
                Ok::<_, AwsError>(observed.and_then(|observed| {
                    // Someone else's role of the same name is never adopted.
                    let ours = tags_of(&observed.attrs).get(TAG_BLUEPRINT).map(String::as_str) == Some(scope.blueprint.as_str());
                    (via == FoundVia::State || ours).then_some(Found { id, via, observed })
                }))
            }))
            .await?;
            Ok(found.into_iter().flatten().collect())
        }
        .boxed()
    }

    fn create<'a>(&'a self, aws: &'a Aws, request: CreateRequest<'a>) -> BoxFuture<'a, Result<Observed, AwsError>> {
        async move {
            let attrs = request.attrs;
            let name = attr_str(attrs, "name").unwrap_or_default();
            let mut call = aws
                .iam
                .create_role()
                .role_name(name)
                .path(attr_str(attrs, "path").unwrap_or("/"))
                .assume_role_policy_document(attr_str(attrs, "assume_role_policy").unwrap_or_default())
                .set_tags(Some(iam_tags(attrs)));
            if let Some(description) = attr_str(attrs, "description") {
                call = call.description(description);
            }
            if let Some(Value::Int(seconds)) = attrs.get("max_session_duration") {
                call = call.max_session_duration(i32::try_from(*seconds).unwrap_or(3600));
            }
            if let Err(error) = call.send().await {
                let mut error = AwsError::from_sdk(request.id, "iam:CreateRole", error);
                if error.code.as_deref() == Some("EntityAlreadyExists") {
                    error.class = ErrorClass::AlreadyExists;
                    error.message = format!("role name {name} is taken by a role this blueprint did not create; rename the blueprint or delete that role");
                }
                return Err(error);
            }
            describe(aws, request.id, name)
                .await?
                .ok_or_else(|| AwsError::new(request.id, "iam:GetRole", format!("role {name} is not visible after its creation")))
        }
        .boxed()
    }

    fn update<'a>(&'a self, aws: &'a Aws, request: UpdateRequest<'a>) -> BoxFuture<'a, Result<Observed, AwsError>> {
        async move {
            let name = attr_str(request.after, "name").unwrap_or(request.cloud_id);
            let changed = |key: &str| request.changed.iter().any(|name| name == key);
            if changed("assume_role_policy") {
                aws.iam
                    .update_assume_role_policy()
                    .role_name(name)
                    .policy_document(attr_str(request.after, "assume_role_policy").unwrap_or_default())
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(request.id, "iam:UpdateAssumeRolePolicy", error))?;
            }
            if changed("description") || changed("max_session_duration") {
                let mut call = aws.iam.update_role().role_name(name);
                if let Some(description) = attr_str(request.after, "description") {
                    call = call.description(description);
                }
                if let Some(Value::Int(seconds)) = request.after.get("max_session_duration") {
                    call = call.max_session_duration(i32::try_from(*seconds).unwrap_or(3600));
                }
                call.send().await.map_err(|error| AwsError::from_sdk(request.id, "iam:UpdateRole", error))?;
            }
            if changed("tags") {
                let (old, new) = (tags_of(request.before), tags_of(request.after));
                let upserts: Vec<Tag> = new
                    .iter()
                    .filter(|(key, value)| old.get(*key) != Some(*value))
                    .filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok())
                    .collect();
                let removed: Vec<String> = old.keys().filter(|key| !new.contains_key(*key)).cloned().collect();
                if !upserts.is_empty() {
                    aws.iam.tag_role().role_name(name).set_tags(Some(upserts)).send().await.map_err(|error| AwsError::from_sdk(request.id, "iam:TagRole", error))?;
                }
                if !removed.is_empty() {
                    aws.iam.untag_role().role_name(name).set_tag_keys(Some(removed)).send().await.map_err(|error| AwsError::from_sdk(request.id, "iam:UntagRole", error))?;
                }
            }
            describe(aws, request.id, name)
                .await?
                .ok_or_else(|| AwsError::new(request.id, "iam:GetRole", format!("role {name} disappeared during its update")))
        }
        .boxed()
    }

    fn delete<'a>(&'a self, aws: &'a Aws, request: DeleteRequest<'a>) -> BoxFuture<'a, Result<(), AwsError>> {
        async move {
            let name = attr_str(request.attrs, "name").unwrap_or(request.cloud_id);
            let gone = |error: AwsError| if error.is_not_found() { Ok(()) } else { Err(error) };
            // Policies left by an interrupted run would make DeleteRole fail with DeleteConflict.
            let attached: Vec<String> = match aws.iam.list_attached_role_policies().role_name(name).send().await {
                Ok(output) => output.attached_policies().iter().filter_map(|policy| policy.policy_arn().map(str::to_string)).collect(),
                Err(error) => return gone(AwsError::from_sdk(request.id, "iam:ListAttachedRolePolicies", error)),
            };
            for arn in attached {
                if let Err(error) = aws.iam.detach_role_policy().role_name(name).policy_arn(&arn).send().await {
                    gone(AwsError::from_sdk(request.id, "iam:DetachRolePolicy", error))?;
                }
            }
            let inline = match aws.iam.list_role_policies().role_name(name).send().await {
                Ok(output) => output.policy_names().to_vec(),
                Err(error) => return gone(AwsError::from_sdk(request.id, "iam:ListRolePolicies", error)),
            };
            for policy in inline {
                if let Err(error) = aws.iam.delete_role_policy().role_name(name).policy_name(&policy).send().await {
                    gone(AwsError::from_sdk(request.id, "iam:DeleteRolePolicy", error))?;
                }
            }
            match aws.iam.delete_role().role_name(name).send().await {
                Ok(_) => Ok(()),
                Err(error) => gone(AwsError::from_sdk(request.id, "iam:DeleteRole", error)),
            }
        }
        .boxed()
    }
}

pub(super) fn tags_of(attrs: &Attrs) -> BTreeMap<String, String> {
    attrs
        .get("tags")
        .and_then(Value::as_map)
        .map(|tags| tags.iter().filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

pub(super) fn iam_tags(attrs: &Attrs) -> Vec<Tag> {
    tags_of(attrs).into_iter().filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok()).collect()
}

pub(super) fn tags_value(tags: &[Tag]) -> Value {
    Value::Map(tags.iter().filter(|tag| !tag.key().starts_with("aws:")).map(|tag| (tag.key().to_string(), Value::str(tag.value()))).collect())
}

/// A policy document as the desired side writes it: decoded (IAM URL-encodes documents) and
/// canonical.
pub(super) fn document(raw: &str) -> String {
    let decoded = percent_decode(raw);
    canonical(&decoded).or_else(|| canonical(raw)).unwrap_or(decoded)
}

async fn describe(aws: &Aws, id: &ResourceId, name: &str) -> Result<Option<Observed>, AwsError> {
    let output = match aws.iam.get_role().role_name(name).send().await {
        Ok(output) => output,
        Err(error) => {
            let error = AwsError::from_sdk(id, "iam:GetRole", error);
            if error.is_not_found() {
                return Ok(None);
            }
            return Err(error);
        }
    };
    let Some(role) = output.role() else { return Ok(None) };
    let mut attrs = Attrs::from([
        ("name".to_string(), Value::str(role.role_name())),
        ("path".to_string(), Value::str(role.path())),
        ("assume_role_policy".to_string(), Value::str(document(role.assume_role_policy_document().unwrap_or_default()))),
        ("tags".to_string(), tags_value(role.tags())),
    ]);
    if let Some(description) = role.description() {
        attrs.insert("description".into(), Value::str(description));
    }
    if let Some(seconds) = role.max_session_duration() {
        attrs.insert("max_session_duration".into(), Value::Int(i64::from(seconds)));
    }
    Ok(Some(Observed {
        cloud_id: role.role_name().to_string(),
        attrs,
        outputs: Attrs::from([
            ("arn".to_string(), Value::str(role.arn())),
            ("name".to_string(), Value::str(role.role_name())),
            ("unique_id".to_string(), Value::str(role.role_id())),
        ]),
    }))
}
