//! `eks_access_entry`: who may use the cluster (authentication mode API, not the aws-auth
//! ConfigMap). CreateAccessEntry, then AssociateAccessPolicy for each access policy;
//! policies change in place (associate / disassociate); DeleteAccessEntry.
//! Cloud id: `<cluster>|<principal ARN>`. Tested against the emulator
//! (tests/eks_access_and_updates.rs).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_eks::types::{AccessScope, AccessScopeType};
use futures::future::try_join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::refresh::{attr_str, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct EksAccessEntryProvider;

static DESCRIPTION: Description = Description::new(
    Kind::EksAccessEntry,
    "eks:DescribeAccessEntry",
    &[
        AttrRule::ForcesReplacement("cluster_name"),
        AttrRule::ForcesReplacement("principal_arn"),
        AttrRule::ForcesReplacement("type"),
        AttrRule::UpdatedBy(
            "access_policies",
            "eks:AssociateAccessPolicy/DisassociateAccessPolicy",
        ),
        AttrRule::UpdatedBy("tags", "eks:TagResource/UntagResource"),
    ],
)
// CreateAccessEntry → AssociateAccessPolicy.
.calls(1, 2, 1, 1)
.adopts_by_natural_key();

impl KindProvider for EksAccessEntryProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut wanted = Vec::new();
        for (id, (cloud_id, _)) in &scope.recorded {
            if let Some((cluster, principal)) = cloud_id.split_once('|') {
                wanted.push((
                    id.clone(),
                    cluster.to_string(),
                    principal.to_string(),
                    FoundVia::State,
                ));
            }
        }
        for (id, attrs) in &scope.missing {
            if let (Some(cluster), Some(principal)) = (
                attr_str(attrs, "cluster_name"),
                attr_str(attrs, "principal_arn"),
            ) {
                wanted.push((
                    id.clone(),
                    cluster.to_string(),
                    principal.to_string(),
                    FoundVia::NaturalKey,
                ));
            }
        }
        let found = try_join_all(wanted.into_iter().map(
            |(id, cluster, principal, via)| async move {
                Ok::<_, AwsError>(
                    describe(aws, &id, &cluster, &principal)
                        .await?
                        .map(|observed| Found { id, via, observed }),
                )
            },
        ))
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let cluster = required_str(attrs, "cluster_name", request.id, "eks:CreateAccessEntry")?;
        let principal = required_str(attrs, "principal_arn", request.id, "eks:CreateAccessEntry")?;
        let result = aws
            .eks
            .create_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .r#type(attr_str(attrs, "type").unwrap_or("STANDARD"))
            .client_request_token(request.idempotency_token)
            .set_tags(Some(super::eks_common::tags_of(attrs)))
            .send()
            .await;
        if let Err(error) = result {
            let error = AwsError::from_sdk(request.id, "eks:CreateAccessEntry", error);
            // Made by an interrupted run: carry on with its policies.
            if error.code.as_deref() != Some("ResourceInUseException") {
                return Err(error);
            }
        }
        for policy in policies(attrs) {
            associate(aws, request.id, cluster, principal, &policy).await?;
        }
        describe(aws, request.id, cluster, principal)
            .await?
            .ok_or_else(|| {
                AwsError::new(
                    request.id,
                    "eks:DescribeAccessEntry",
                    "the access entry is not visible after its creation",
                )
            })
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let cluster = required_str(
            request.after,
            "cluster_name",
            request.id,
            "eks:UpdateAccessEntry",
        )?;
        let principal = required_str(
            request.after,
            "principal_arn",
            request.id,
            "eks:UpdateAccessEntry",
        )?;
        if request.changed.iter().any(|name| name == "access_policies") {
            let old = policies(request.before);
            let new = policies(request.after);
            for policy in new.difference(&old) {
                associate(aws, request.id, cluster, principal, policy).await?;
            }
            let new_arns: BTreeSet<&String> = new.iter().map(|(arn, _)| arn).collect();
            for (arn, _) in old.iter().filter(|(arn, _)| !new_arns.contains(arn)) {
                aws.eks
                    .disassociate_access_policy()
                    .cluster_name(cluster)
                    .principal_arn(principal)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|error| {
                        AwsError::from_sdk(request.id, "eks:DisassociateAccessPolicy", error)
                    })?;
            }
        }
        let read_back = || async {
            describe(aws, request.id, cluster, principal)
                .await?
                .ok_or_else(|| {
                    AwsError::new(
                        request.id,
                        "eks:DescribeAccessEntry",
                        "the access entry disappeared during its update",
                    )
                })
        };
        let observed = read_back().await?;
        if request.changes("tags") {
            let arn = observed
                .outputs
                .get("arn")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    AwsError::new(
                        request.id,
                        "eks:DescribeAccessEntry",
                        "the entry has no ARN",
                    )
                })?;
            super::eks_common::update_tags(aws, request.id, arn, request.before, request.after)
                .await?;
            return read_back().await;
        }
        Ok(observed)
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let Some((cluster, principal)) = request.cloud_id.split_once('|') else {
            return Ok(());
        };
        aws.eks
            .delete_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| AwsError::from_sdk(request.id, "eks:DeleteAccessEntry", error))
            .or_else(AwsError::gone)
    }
}

/// (policy ARN, scope type) pairs.
fn policies(attrs: &Attrs) -> BTreeSet<(String, String)> {
    match attrs.get("access_policies") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(Value::as_map)
            .filter_map(|policy| {
                Some((
                    policy.get("policy_arn")?.as_str()?.to_string(),
                    policy
                        .get("scope_type")
                        .and_then(Value::as_str)
                        .unwrap_or("cluster")
                        .to_string(),
                ))
            })
            .collect(),
        _ => BTreeSet::new(),
    }
}

async fn associate(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    principal: &str,
    (arn, scope): &(String, String),
) -> Result<(), AwsError> {
    aws.eks
        .associate_access_policy()
        .cluster_name(cluster)
        .principal_arn(principal)
        .policy_arn(arn)
        .access_scope(
            AccessScope::builder()
                .r#type(AccessScopeType::from(scope.as_str()))
                .build(),
        )
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "eks:AssociateAccessPolicy", error))?;
    Ok(())
}

async fn describe(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    principal: &str,
) -> Result<Option<Observed>, AwsError> {
    let entry = match aws
        .eks
        .describe_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => return AwsError::from_sdk(id, "eks:DescribeAccessEntry", error).absent(),
    };
    let Some(entry) = entry.access_entry() else {
        return Ok(None);
    };
    let associated = aws
        .eks
        .list_associated_access_policies()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "eks:ListAssociatedAccessPolicies", error))?;
    let mut policies: Vec<(String, String)> = associated
        .associated_access_policies()
        .iter()
        .filter_map(|policy| {
            Some((
                policy.policy_arn()?.to_string(),
                policy
                    .access_scope()
                    .and_then(|scope| scope.r#type())
                    .map(|kind| kind.as_str().to_string())
                    .unwrap_or_else(|| "cluster".into()),
            ))
        })
        .collect();
    policies.sort();
    let attrs = Attrs::from([
        (
            "cluster_name".to_string(),
            Value::str(entry.cluster_name().unwrap_or(cluster)),
        ),
        (
            "principal_arn".to_string(),
            Value::str(entry.principal_arn().unwrap_or(principal)),
        ),
        (
            "type".to_string(),
            Value::str(entry.r#type().unwrap_or("STANDARD")),
        ),
        (
            "access_policies".to_string(),
            Value::List(
                policies
                    .into_iter()
                    .map(|(arn, scope)| {
                        Value::Map(BTreeMap::from([
                            ("policy_arn".to_string(), Value::str(arn)),
                            ("scope_type".to_string(), Value::str(scope)),
                        ]))
                    })
                    .collect(),
            ),
        ),
        (
            "tags".to_string(),
            super::eks_common::tags_value(entry.tags()),
        ),
    ]);
    let cloud_id = format!("{cluster}|{principal}");
    let mut outputs = Attrs::from([("id".to_string(), Value::str(cloud_id.clone()))]);
    if let Some(arn) = entry.access_entry_arn() {
        outputs.insert("arn".into(), Value::str(arn));
    }
    Ok(Some(Observed {
        cloud_id,
        attrs,
        outputs,
    }))
}
