//! The cluster itself and what hangs off it: control-plane log group, OIDC provider, Session
//! Manager preferences, access entries and add-ons.

use serde_json::Value as Json;

use crate::aws::observe::{
    AccessEntryDescription, AddonDescription, ClusterObservation, Read, SessionDocument,
    SESSION_DOCUMENT,
};

use super::{unknown, unknown_unless_listed};
use crate::audit::view::{
    AccessEntryView, AccessPolicyView, AddonView, AddonsView, ClusterView, Fact, LogGroupView,
    OidcProviderView, SessionPreferencesView, Subject,
};

const NO_ACCESS_CONFIG: &str = "eks:DescribeCluster returned no accessConfig (moto drops it)";

pub(super) fn cluster_view(observed: &ClusterObservation, subject: Subject) -> ClusterView {
    let cluster = &observed.cluster;
    let vpc_config = cluster.vpc_config.as_ref();
    ClusterView {
        subject,
        name: cluster
            .name
            .clone()
            .unwrap_or_else(|| observed.requested_name.clone()),
        version: Fact::from_option(
            cluster.version.clone(),
            "eks:DescribeCluster returned no version",
        ),
        // moto lacks eks:DescribeClusterVersions; the checks fall back to eksforge's table.
        reported_version_status: None,
        endpoint_public: vpc_config.is_some_and(|config| config.endpoint_public_access),
        endpoint_private: vpc_config.is_some_and(|config| config.endpoint_private_access),
        public_access_cidrs: vpc_config
            .map(|config| config.public_access_cidrs.clone())
            .unwrap_or_default(),
        log_types: cluster.enabled_log_types.clone(),
        secrets_key: cluster.secrets_key_arn.clone(),
        authentication_mode: cluster
            .authentication_mode
            .clone()
            .map(Fact::Known)
            .unwrap_or_else(|| Fact::unknown(NO_ACCESS_CONFIG)),
        bootstrap_creator_admin: cluster
            .bootstrap_cluster_creator_admin
            .map(Fact::Known)
            .unwrap_or_else(|| Fact::unknown(NO_ACCESS_CONFIG)),
        deletion_protection: cluster
            .deletion_protection
            .map(Fact::Known)
            .unwrap_or_else(|| Fact::unknown("eks:DescribeCluster returned no deletionProtection")),
        role: Fact::from_option(
            cluster.role_arn.clone(),
            "eks:DescribeCluster returned no roleArn",
        ),
        log_group: match &observed.log_group {
            Ok(group) => Fact::Known(group.as_ref().map(|group| {
                LogGroupView {
                    subject: Subject::new(group.arn.as_deref().unwrap_or(&group.name))
                        .with_cloud_id(group.name.clone()),
                    name: group.name.clone(),
                    retention_days: group
                        .retention_in_days
                        .and_then(|days| u32::try_from(days).ok()),
                    kms_key_id: group.kms_key_id.clone(),
                }
            })),
            Err(error) => unknown(error),
        },
        oidc_issuer: cluster.oidc_issuer.clone(),
    }
}

/// `arn:aws:eks:eu-west-1:123456789012:cluster/x` → (`123456789012`, `aws`).
pub(super) fn account_and_partition(arn: &str) -> (Option<String>, String) {
    let parts: Vec<&str> = arn.split(':').collect();
    let partition = parts
        .get(1)
        .filter(|p| !p.is_empty())
        .unwrap_or(&"aws")
        .to_string();
    let account = parts
        .get(4)
        .filter(|a| !a.is_empty())
        .map(|a| a.to_string());
    (account, partition)
}

pub(super) fn oidc_provider(observed: &ClusterObservation) -> Fact<Option<OidcProviderView>> {
    match &observed.oidc_provider {
        Ok(provider) => Fact::Known(provider.as_ref().map(|provider| {
            // The provider is found by the cluster's issuer, so its host stands in for a URL
            // the API left out (moto does).
            let issuer = observed
                .cluster
                .oidc_issuer
                .as_deref()
                .map(|issuer| issuer.trim_start_matches("https://").to_string());
            OidcProviderView {
                subject: Subject::new(provider.arn.clone()).with_cloud_id(provider.arn.clone()),
                url: Fact::from_option(
                    provider.url.clone().or(issuer),
                    "iam:GetOpenIDConnectProvider returned no Url and eks:DescribeCluster no oidc.issuer",
                ),
                client_ids: provider.client_ids.clone(),
            }
        })),
        Err(error) => unknown(error),
    }
}

pub(super) fn session_preferences(
    document: &Read<Option<SessionDocument>>,
) -> Fact<Option<SessionPreferencesView>> {
    let document = match document {
        Ok(Some(document)) => document,
        Ok(None) => return Fact::Known(None),
        Err(error) => return unknown(error),
    };
    // A document that is not JSON sets no preference.
    let content: Json = document
        .content
        .as_deref()
        .and_then(|content| serde_json::from_str(content).ok())
        .unwrap_or(Json::Null);
    let inputs = &content["inputs"];
    let text = |key: &str| {
        inputs[key]
            .as_str()
            .filter(|value| !value.is_empty())
            .map(str::to_string)
    };
    Fact::Known(Some(SessionPreferencesView {
        subject: Subject::new(SESSION_DOCUMENT),
        cloudwatch_log_group: text("cloudWatchLogGroupName"),
        s3_bucket: text("s3BucketName"),
        kms_key_id: text("kmsKeyId"),
        cloudwatch_encryption: inputs["cloudWatchEncryptionEnabled"] == Json::Bool(true),
    }))
}

pub(super) fn access_entries(
    entries: &Read<Vec<Read<AccessEntryDescription>>>,
) -> Fact<Vec<AccessEntryView>> {
    let entries = match entries {
        Ok(entries) => entries,
        Err(error) => return unknown_unless_listed(error),
    };
    entries
        .iter()
        .map(|entry| entry.as_ref().map(access_entry))
        .collect::<Result<Vec<_>, _>>()
        .map(Fact::Known)
        .unwrap_or_else(unknown)
}

fn access_entry(entry: &AccessEntryDescription) -> AccessEntryView {
    let arn = entry
        .entry_arn
        .clone()
        .unwrap_or_else(|| entry.principal_arn.clone());
    AccessEntryView {
        subject: Subject::new(arn.clone()).with_cloud_id(arn),
        principal_arn: entry.principal_arn.clone(),
        kubernetes_groups: entry.kubernetes_groups.clone(),
        policies: entry
            .policies
            .iter()
            .map(|policy| AccessPolicyView {
                policy_arn: Fact::from_option(
                    policy.policy_arn.clone(),
                    "eks:ListAssociatedAccessPolicies returned no policyArn",
                ),
                scope: policy
                    .scope_type
                    .clone()
                    .unwrap_or_else(|| "cluster".into()),
                namespaces: policy.scope_namespaces.clone(),
            })
            .collect(),
        // The principal's trust is read with the roles (RoleUse::AccessEntry).
        principal_trust: Fact::unknown("read with the access entry's role"),
    }
}

pub(super) fn addons(
    addons: &Read<Vec<Read<AddonDescription>>>,
    subject: &Subject,
) -> Fact<AddonsView> {
    let addons = match addons {
        Ok(addons) => addons,
        Err(error) => return unknown_unless_listed(error),
    };
    addons
        .iter()
        .map(|addon| addon.as_ref().map(addon_view))
        .collect::<Result<Vec<_>, _>>()
        .map(|managed| {
            Fact::Known(AddonsView {
                subject: subject.clone(),
                managed,
            })
        })
        .unwrap_or_else(unknown)
}

fn addon_view(addon: &AddonDescription) -> AddonView {
    let configuration: Json = addon
        .configuration_values
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Json::Null);
    let arn = addon.arn.clone().unwrap_or_else(|| addon.name.clone());
    AddonView {
        subject: Subject::new(arn.clone()).with_cloud_id(arn),
        name: addon.name.clone(),
        version: addon.version.clone(),
        default_version: match &addon.default_version {
            Ok(version) => Fact::Known(version.clone()),
            Err(error) => unknown(error),
        },
        network_policy: (addon.name == "vpc-cni").then(|| {
            configuration["enableNetworkPolicy"] == Json::String("true".into())
                || configuration["enableNetworkPolicy"] == Json::Bool(true)
        }),
        service_account_role: addon.service_account_role_arn.clone(),
        pod_identity: addon.has_pod_identity_associations,
    }
}
