//! IAM reads: the cluster's OIDC provider, the roles it names or trusts it, and their policies.

use futures::future::join_all;
use serde_json::Value as Json;

use super::Read;
use crate::aws::policy::percent_decode;
use crate::aws::{Aws, AwsError};

/// The IAM OIDC provider whose URL is the cluster's issuer.
#[derive(Debug, Clone, Default)]
pub struct OidcProviderDescription {
    pub arn: String,
    pub url: Option<String>,
    pub client_ids: Vec<String>,
}

/// Why a role was read: who names it (the first reason found, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleReference {
    /// The cluster's own role.
    Cluster,
    /// A node group's node role.
    NodeGroup,
    /// Its trust policy names the cluster's OIDC provider (IRSA).
    ServiceAccount,
    /// An access entry's principal.
    AccessEntry,
    /// An EKS Pod Identity association binds it to a service account (read by `adopt`).
    PodIdentity,
}

/// One role: `GetRole`, its attached policies and its policy documents.
#[derive(Debug, Clone)]
pub struct RoleObservation {
    pub arn: String,
    pub name: String,
    pub reference: RoleReference,
    /// The trust policy, URL-decoded; `None` when absent or not JSON.
    pub trust: Read<Option<Json>>,
    pub attached_policy_arns: Read<Vec<String>>,
    /// The inline documents, then those of the customer-managed attached policies (AWS-managed
    /// ones are judged by ARN, so not read).
    pub documents: Read<Vec<NamedDocument>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NamedDocument {
    /// The inline policy's name or the managed policy's ARN.
    pub name: String,
    pub document: Json,
}

pub(super) async fn oidc_provider(
    aws: &Aws,
    issuer: Option<&str>,
) -> Read<Option<OidcProviderDescription>> {
    let Some(issuer) = issuer else {
        return Ok(None);
    };
    let host = issuer.trim_start_matches("https://");
    let listed = aws
        .iam
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(issuer, "iam:ListOpenIDConnectProviders", error))?;
    // Provider ARNs end in the issuer's host and path: match by suffix, then read the one.
    let suffix = format!("oidc-provider/{host}");
    let Some(arn) = listed
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|entry| entry.arn())
        .find(|arn| arn.ends_with(&suffix))
    else {
        return Ok(None);
    };
    let output = aws
        .iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(arn, "iam:GetOpenIDConnectProvider", error))?;
    Ok(Some(OidcProviderDescription {
        arn: arn.to_string(),
        url: output.url().map(str::to_string),
        client_ids: output.client_id_list().to_vec(),
    }))
}

/// Roles whose trust policy names the cluster's OIDC provider (IRSA). Best effort: a page
/// that cannot be read ends the search (the roles the cluster names are read regardless).
pub(super) async fn irsa_role_arns(aws: &Aws, oidc_provider_arn: Option<&str>) -> Vec<String> {
    let Some(oidc_provider_arn) = oidc_provider_arn else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut pages = aws.iam.list_roles().into_paginator().send();
    while let Some(Ok(page)) = pages.next().await {
        for role in page.roles() {
            let trusts_provider = role
                .assume_role_policy_document()
                .is_some_and(|trust| percent_decode(trust).contains(oidc_provider_arn));
            if trusts_provider {
                found.push(role.arn().to_string());
            }
        }
    }
    found
}

pub(super) async fn role(aws: &Aws, arn: String, reference: RoleReference) -> RoleObservation {
    let name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
    let (got, attached, inline) = futures::join!(
        aws.iam.get_role().role_name(&name).send(),
        aws.iam
            .list_attached_role_policies()
            .role_name(&name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        aws.iam
            .list_role_policies()
            .role_name(&name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
    );
    let trust = got
        .map(|output| {
            output
                .role()
                .and_then(|role| role.assume_role_policy_document())
                .and_then(|document| serde_json::from_str::<Json>(&percent_decode(document)).ok())
        })
        .map_err(|error| AwsError::from_sdk(&arn, "iam:GetRole", error));
    let attached_policy_arns: Read<Vec<String>> = attached
        .map(|policies| {
            policies
                .iter()
                .filter_map(|policy| policy.policy_arn().map(str::to_string))
                .collect()
        })
        .map_err(|error| AwsError::from_sdk(&arn, "iam:ListAttachedRolePolicies", error));
    let documents = match inline {
        Ok(inline_names) => {
            let customer_managed: Vec<&String> = attached_policy_arns
                .iter()
                .flatten()
                .filter(|arn| !arn.contains(":iam::aws:policy/"))
                .collect();
            let (inline_documents, managed_documents) = futures::join!(
                join_all(
                    inline_names
                        .iter()
                        .map(|policy| inline_document(aws, &name, policy))
                ),
                join_all(
                    customer_managed
                        .into_iter()
                        .map(|policy_arn| managed_document(aws, policy_arn))
                ),
            );
            inline_documents
                .into_iter()
                .chain(managed_documents)
                .collect::<Read<Vec<_>>>()
        }
        Err(error) => Err(AwsError::from_sdk(&arn, "iam:ListRolePolicies", error)),
    };
    RoleObservation {
        arn,
        name,
        reference,
        trust,
        attached_policy_arns,
        documents,
    }
}

async fn inline_document(aws: &Aws, role: &str, policy: &str) -> Read<NamedDocument> {
    let output = aws
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(role, "iam:GetRolePolicy", error))?;
    Ok(NamedDocument {
        name: policy.to_string(),
        document: document(output.policy_document()),
    })
}

/// A managed policy's default version's document.
async fn managed_document(aws: &Aws, policy_arn: &str) -> Read<NamedDocument> {
    let policy = aws
        .iam
        .get_policy()
        .policy_arn(policy_arn)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(policy_arn, "iam:GetPolicy", error))?;
    let version = policy
        .policy()
        .and_then(|policy| policy.default_version_id())
        .unwrap_or("v1");
    let output = aws
        .iam
        .get_policy_version()
        .policy_arn(policy_arn)
        .version_id(version)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(policy_arn, "iam:GetPolicyVersion", error))?;
    Ok(NamedDocument {
        document: document(
            output
                .policy_version()
                .and_then(|version| version.document())
                .unwrap_or("{}"),
        ),
        name: policy_arn.to_string(),
    })
}

/// A policy document as the API returns it: IAM's come URL-encoded, KMS's do not. A document
/// that is not JSON is kept as a string so a check can still show it.
pub(super) fn document(raw: &str) -> Json {
    let decoded = percent_decode(raw);
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(raw))
        .unwrap_or(Json::String(decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_decode_and_keep_what_is_not_json() {
        assert_eq!(document("%7B%22a%22%3A1%7D"), serde_json::json!({ "a": 1 }));
        assert_eq!(document("not json"), Json::String("not json".into()));
    }
}
