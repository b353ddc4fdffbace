//! `eks_pod_identity_association`: a Kubernetes service account's IAM role through EKS Pod
//! Identity. CreatePodIdentityAssociation (clientRequestToken, tags at create);
//! UpdatePodIdentityAssociation changes the role in place; tags by TagResource/UntagResource;
//! DeletePodIdentityAssociation. An association cannot move to another cluster, namespace or
//! service account: those force replacement. Cloud id: the association id (`a-…`), read back
//! with DescribePodIdentityAssociation; missing from state, one is found by its natural key
//! (ListPodIdentityAssociations filtered by namespace and service account) and adopted only
//! when its tags name it as this blueprint's. Tested against the emulator
//! (tests/pod_identity.rs).

use aws_sdk_eks::types::PodIdentityAssociation;
use futures::future::try_join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::eks_common::{tags_of, tags_value, update_tags};
use super::refresh::{attr_str, claimed_id, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct EksPodIdentityAssociationProvider;

static DESCRIPTION: Description = Description::new(
    Kind::EksPodIdentityAssociation,
    "eks:DescribePodIdentityAssociation",
    &[
        AttrRule::ForcesReplacement("cluster_name"),
        AttrRule::ForcesReplacement("namespace"),
        AttrRule::ForcesReplacement("service_account"),
        AttrRule::UpdatedBy("role_arn", "eks:UpdatePodIdentityAssociation"),
        AttrRule::UpdatedBy("tags", "eks:TagResource/UntagResource"),
    ],
)
// The association's id is EKS's: a missing one is looked up by namespace and service account.
.adopts_by_natural_key();

/// The association a refresh looks for: by its recorded id, or by its natural key.
enum Wanted {
    Recorded {
        cluster: String,
        association: String,
    },
    Missing {
        cluster: String,
        namespace: String,
        service_account: String,
    },
}

impl KindProvider for EksPodIdentityAssociationProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut wanted = Vec::new();
        for (id, (association, attrs)) in &scope.recorded {
            if let Some(cluster) = attr_str(attrs, "cluster_name") {
                let recorded = Wanted::Recorded {
                    cluster: cluster.to_string(),
                    association: association.clone(),
                };
                wanted.push((id.clone(), recorded));
            }
        }
        for (id, attrs) in &scope.missing {
            // The cluster's name is a reference: unknown (so nothing to find) until it exists.
            if let (Some(cluster), Some(namespace), Some(service_account)) = (
                attr_str(attrs, "cluster_name"),
                attr_str(attrs, "namespace"),
                attr_str(attrs, "service_account"),
            ) {
                let missing = Wanted::Missing {
                    cluster: cluster.to_string(),
                    namespace: namespace.to_string(),
                    service_account: service_account.to_string(),
                };
                wanted.push((id.clone(), missing));
            }
        }
        let found = try_join_all(
            wanted
                .into_iter()
                .map(|(id, wanted)| find(aws, scope, id, wanted)),
        )
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        const CALL: &str = "eks:CreatePodIdentityAssociation";
        let attrs = request.attrs;
        let output = aws
            .eks
            .create_pod_identity_association()
            .cluster_name(required_str(attrs, "cluster_name", request.id, CALL)?)
            .namespace(required_str(attrs, "namespace", request.id, CALL)?)
            .service_account(required_str(attrs, "service_account", request.id, CALL)?)
            .role_arn(required_str(attrs, "role_arn", request.id, CALL)?)
            .client_request_token(request.idempotency_token)
            .set_tags(Some(tags_of(attrs)))
            // An association EKS already holds for this service account (a run killed before
            // state was written) is ResourceInUseException: the executor then finds it by
            // natural key and adopts it if its tags say it is ours.
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, CALL, error))?;
        answered(request.id, CALL, output.association())
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        const CALL: &str = "eks:UpdatePodIdentityAssociation";
        let cluster = required_str(request.after, "cluster_name", request.id, CALL)?;
        let association = request.cloud_id;
        let gone = || {
            AwsError::new(
                request.id,
                "eks:DescribePodIdentityAssociation",
                "the association disappeared during its update",
            )
        };
        let mut current = describe(aws, request.id, cluster, association)
            .await?
            .ok_or_else(gone)?;
        if request.changes("role_arn") {
            let output = aws
                .eks
                .update_pod_identity_association()
                .cluster_name(cluster)
                .association_id(association)
                .role_arn(required_str(request.after, "role_arn", request.id, CALL)?)
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, CALL, error))?;
            current = answered(request.id, CALL, output.association())?;
        }
        if request.changes("tags") {
            let arn = current
                .outputs
                .get("association_arn")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    AwsError::missing_in_response(
                        request.id,
                        "eks:DescribePodIdentityAssociation",
                        "associationArn",
                    )
                })?;
            update_tags(aws, request.id, arn, &current.attrs, request.after).await?;
            current = describe(aws, request.id, cluster, association)
                .await?
                .ok_or_else(gone)?;
        }
        Ok(current)
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        const CALL: &str = "eks:DeletePodIdentityAssociation";
        let cluster = required_str(request.attrs, "cluster_name", request.id, CALL)?;
        aws.eks
            .delete_pod_identity_association()
            .cluster_name(cluster)
            .association_id(request.cloud_id)
            .send()
            .await
            .map(|_| ())
            // Gone already, or with its cluster: deleted.
            .map_err(|error| AwsError::from_sdk(request.id, CALL, error))
            .or_else(AwsError::gone)
    }
}

/// One wanted association as found, if it exists (and, found by natural key, is ours).
async fn find(
    aws: &Aws,
    scope: &Scope,
    id: ResourceId,
    wanted: Wanted,
) -> Result<Option<Found>, AwsError> {
    match wanted {
        Wanted::Recorded {
            cluster,
            association,
        } => Ok(describe(aws, &id, &cluster, &association)
            .await?
            .map(|observed| Found {
                id,
                via: FoundVia::State,
                observed,
            })),
        Wanted::Missing {
            cluster,
            namespace,
            service_account,
        } => {
            let listed = aws
                .eks
                .list_pod_identity_associations()
                .cluster_name(&cluster)
                .namespace(&namespace)
                .service_account(&service_account)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await;
            let summaries = match listed {
                Ok(summaries) => summaries,
                // No cluster (yet): no association either.
                Err(error) => {
                    return AwsError::from_sdk(&id, "eks:ListPodIdentityAssociations", error)
                        .absent()
                }
            };
            for summary in summaries {
                // Owned by an add-on (its `podIdentityAssociations`): the add-on's, not ours.
                if summary.owner_arn().is_some() {
                    continue;
                }
                let Some(association) = summary.association_id() else {
                    continue;
                };
                let Some(observed) = describe(aws, &id, &cluster, association).await? else {
                    continue;
                };
                if claimed_id(&observed, &scope.blueprint, Kind::EksPodIdentityAssociation).as_ref()
                    == Some(&id)
                {
                    return Ok(Some(Found {
                        id,
                        via: FoundVia::NaturalKey,
                        observed,
                    }));
                }
            }
            Ok(None)
        }
    }
}

async fn describe(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    association: &str,
) -> Result<Option<Observed>, AwsError> {
    const CALL: &str = "eks:DescribePodIdentityAssociation";
    let output = match aws
        .eks
        .describe_pod_identity_association()
        .cluster_name(cluster)
        .association_id(association)
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => return AwsError::from_sdk(id, CALL, error).absent(),
    };
    match output.association() {
        Some(found) => observed(id, CALL, found).map(Some),
        None => Ok(None),
    }
}

/// The association a create or an update answers with.
fn answered(
    id: &ResourceId,
    call: &'static str,
    association: Option<&PodIdentityAssociation>,
) -> Result<Observed, AwsError> {
    let association =
        association.ok_or_else(|| AwsError::missing_in_response(id, call, "association"))?;
    observed(id, call, association)
}

/// An association as EKS describes it, in this kind's attributes.
fn observed(
    id: &ResourceId,
    call: &'static str,
    association: &PodIdentityAssociation,
) -> Result<Observed, AwsError> {
    let member = |value: Option<&str>, name: &str| {
        value
            .map(Value::str)
            .ok_or_else(|| AwsError::missing_in_response(id, call, name))
    };
    let association_id = association
        .association_id()
        .ok_or_else(|| AwsError::missing_in_response(id, call, "associationId"))?;
    let attrs = Attrs::from([
        (
            "cluster_name".to_string(),
            member(association.cluster_name(), "clusterName")?,
        ),
        (
            "namespace".to_string(),
            member(association.namespace(), "namespace")?,
        ),
        (
            "service_account".to_string(),
            member(association.service_account(), "serviceAccount")?,
        ),
        (
            "role_arn".to_string(),
            member(association.role_arn(), "roleArn")?,
        ),
        ("tags".to_string(), tags_value(association.tags())),
    ]);
    let mut outputs = Attrs::from([("association_id".to_string(), Value::str(association_id))]);
    if let Some(arn) = association.association_arn() {
        outputs.insert("association_arn".into(), Value::str(arn));
    }
    Ok(Observed {
        cloud_id: association_id.to_string(),
        attrs,
        outputs,
    })
}
