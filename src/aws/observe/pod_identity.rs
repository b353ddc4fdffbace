//! EKS Pod Identity, read for `eksforge adopt`: the cluster's associations and the role each
//! binds to its service account. Read-only (ListPodIdentityAssociations,
//! DescribePodIdentityAssociation, and the roles' IAM reads); the describes go out at once.

use futures::future::join_all;

use super::iam::{role, RoleObservation, RoleReference};
use super::Read;
use crate::aws::{Aws, AwsError};

/// One association, with its role.
#[derive(Debug, Clone)]
pub struct PodIdentityObservation {
    pub association_id: String,
    pub namespace: String,
    pub service_account: String,
    /// The add-on that made it (EKS manages it through the add-on), `None` when made directly.
    pub owner_arn: Option<String>,
    /// The role, when the describe named one.
    pub role: Option<RoleObservation>,
}

/// Every Pod Identity association of cluster `name`.
pub async fn pod_identities(aws: &Aws, name: &str) -> Read<Vec<PodIdentityObservation>> {
    let summaries = aws
        .eks
        .list_pod_identity_associations()
        .cluster_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(name, "eks:ListPodIdentityAssociations", error))?;
    let described = join_all(summaries.iter().filter_map(|summary| {
        let id = summary.association_id()?.to_string();
        Some(async move {
            let answer = aws
                .eks
                .describe_pod_identity_association()
                .cluster_name(name)
                .association_id(&id)
                .send()
                .await
                .map_err(|error| {
                    AwsError::from_sdk(&id, "eks:DescribePodIdentityAssociation", error)
                })?;
            let missing = |what: &str| {
                AwsError::new(
                    &id,
                    "eks:DescribePodIdentityAssociation",
                    format!("returned no {what}"),
                )
            };
            let association = answer.association().ok_or_else(|| missing("association"))?;
            let namespace = association
                .namespace()
                .ok_or_else(|| missing("namespace"))?;
            let service_account = association
                .service_account()
                .ok_or_else(|| missing("service account"))?;
            let role = match association.role_arn() {
                Some(arn) => Some(role(aws, arn.to_string(), RoleReference::PodIdentity).await),
                None => None,
            };
            Ok::<_, AwsError>(PodIdentityObservation {
                association_id: id.clone(),
                namespace: namespace.to_string(),
                service_account: service_account.to_string(),
                owner_arn: association.owner_arn().map(str::to_string),
                role,
            })
        })
    }))
    .await;
    described.into_iter().collect()
}
