//! `iam_role_policy_attachment`: a managed policy on a role, its own diffable part.
//! AttachRolePolicy (idempotent) / DetachRolePolicy; nothing changes in place. Not taggable;
//! cloud id `<role>|<policy ARN>` (role names cannot hold `|`); found through one
//! ListAttachedRolePolicies per role.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::iam_role::check_name;
use super::iam_roles_bulk;
use super::refresh::{attr_str, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct IamRolePolicyAttachmentProvider;

static DESCRIPTION: Description = Description::new(
    Kind::IamRolePolicyAttachment,
    "iam:ListAttachedRolePolicies",
    &[
        AttrRule::ForcesReplacement("role"),
        AttrRule::ForcesReplacement("policy_arn"),
    ],
)
.adopts_by_natural_key();

fn observed(role: &str, policy_arn: &str) -> Observed {
    let cloud_id = format!("{role}|{policy_arn}");
    Observed {
        attrs: Attrs::from([
            ("role".to_string(), Value::str(role)),
            ("policy_arn".to_string(), Value::str(policy_arn)),
        ]),
        outputs: Attrs::from([("id".to_string(), Value::str(cloud_id.clone()))]),
        cloud_id,
    }
}

/// The managed policies attached to `role`; empty when the role does not exist.
async fn attached(aws: &Aws, role: &str) -> Result<BTreeSet<String>, AwsError> {
    let listed = aws
        .iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match listed {
        Ok(policies) => Ok(policies
            .iter()
            .filter_map(|policy| policy.policy_arn().map(str::to_string))
            .collect()),
        Err(error) => {
            let error = AwsError::from_sdk(
                format!("iam_role {role}"),
                "iam:ListAttachedRolePolicies",
                error,
            );
            if error.is_not_found() {
                Ok(BTreeSet::new())
            } else {
                Err(error)
            }
        }
    }
}

/// The role and policy ARN of a request, checked against the API reference.
fn parts<'a>(
    id: &ResourceId,
    operation: &'static str,
    attrs: &'a Attrs,
) -> Result<(&'a str, &'a str), AwsError> {
    let role = required_str(attrs, "role", id, operation)?;
    let arn = required_str(attrs, "policy_arn", id, operation)?;
    check_name(id, operation, "role name", role, 64)?;
    if !(20..=2048).contains(&arn.len()) || !arn.starts_with("arn:") || !arn.contains(":policy/") {
        return Err(AwsError::new(id, operation, format!("policy_arn {arn:?} is not a managed policy ARN (arn:<partition>:iam::<account or aws>:policy/<name>)")));
    }
    Ok((role, arn))
}

impl KindProvider for IamRolePolicyAttachmentProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut wanted: Vec<(ResourceId, String, String, FoundVia)> = Vec::new();
        for (id, (cloud_id, _)) in &scope.recorded {
            if let Some((role, arn)) = cloud_id.split_once('|') {
                wanted.push((
                    id.clone(),
                    role.to_string(),
                    arn.to_string(),
                    FoundVia::State,
                ));
            }
        }
        for (id, attrs) in &scope.missing {
            if let (Some(role), Some(arn)) =
                (attr_str(attrs, "role"), attr_str(attrs, "policy_arn"))
            {
                wanted.push((
                    id.clone(),
                    role.to_string(),
                    arn.to_string(),
                    FoundVia::NaturalKey,
                ));
            }
        }
        // One list per role, all roles at once; or the refresh's bulk read of every role.
        let roles: BTreeSet<&str> = wanted.iter().map(|(_, role, _, _)| role.as_str()).collect();
        let lists: BTreeMap<String, BTreeSet<String>> = match iam_roles_bulk::snapshot(aws).await {
            Some(snapshot) => {
                let snapshot = snapshot?;
                roles
                    .into_iter()
                    .filter_map(|role| {
                        let facts = snapshot.roles.get(role)?;
                        Some((role.to_string(), facts.attached.clone()))
                    })
                    .collect()
            }
            None => try_join_all(roles.into_iter().map(|role| async move {
                Ok::<_, AwsError>((role.to_string(), attached(aws, role).await?))
            }))
            .await?
            .into_iter()
            .collect(),
        };
        Ok(wanted
            .into_iter()
            .filter(|(_, role, arn, _)| lists.get(role).is_some_and(|arns| arns.contains(arn)))
            .map(|(id, role, arn, via)| Found {
                id,
                via,
                observed: observed(&role, &arn),
            })
            .collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let (role, arn) = parts(request.id, "iam:AttachRolePolicy", request.attrs)?;
        // Attaching what is already attached succeeds: a re-run after a crash converges.
        aws.iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "iam:AttachRolePolicy", error))?;
        Ok(observed(role, arn))
    }

    // Every attribute forces replacement: there is nothing to change in place.
    async fn update(&self, _aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        match request.cloud_id.split_once('|') {
            Some((role, arn)) => Ok(observed(role, arn)),
            None => Err(AwsError::new(
                request.id,
                "iam:AttachRolePolicy",
                format!("cloud id {:?} is not <role>|<policy arn>", request.cloud_id),
            )),
        }
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let Some((role, arn)) = request.cloud_id.split_once('|') else {
            return Err(AwsError::new(
                request.id,
                "iam:DetachRolePolicy",
                format!("cloud id {:?} is not <role>|<policy arn>", request.cloud_id),
            ));
        };
        match aws
            .iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Not attached, or the role or policy gone: nothing left to detach.
            Err(error) => AwsError::from_sdk(request.id, "iam:DetachRolePolicy", error).gone(),
        }
    }
}
