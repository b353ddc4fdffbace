//! EKS reads: the cluster itself, its access entries and its add-ons.

use futures::future::join_all;

use super::Read;
use crate::aws::{Aws, AwsError};

/// What `eks:DescribeCluster` says about the cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterDescription {
    pub arn: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub role_arn: Option<String>,
    pub vpc_config: Option<VpcConfigDescription>,
    /// The key of the encryption configuration covering `secrets`.
    pub secrets_key_arn: Option<String>,
    /// The control-plane log types switched on.
    pub enabled_log_types: Vec<String>,
    /// `None` when the answer has no `accessConfig` (moto drops it) or no mode in it.
    pub authentication_mode: Option<String>,
    pub bootstrap_cluster_creator_admin: Option<bool>,
    pub deletion_protection: Option<bool>,
    pub oidc_issuer: Option<String>,
}

/// `resourcesVpcConfig`.
#[derive(Debug, Clone, Default)]
pub struct VpcConfigDescription {
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    /// The additional security groups.
    pub security_group_ids: Vec<String>,
    /// The group EKS made for the cluster.
    pub cluster_security_group_id: Option<String>,
    pub endpoint_public_access: bool,
    pub endpoint_private_access: bool,
    pub public_access_cidrs: Vec<String>,
}

impl ClusterDescription {
    pub fn vpc_id(&self) -> Option<&str> {
        self.vpc_config.as_ref()?.vpc_id.as_deref()
    }

    pub fn subnet_ids(&self) -> &[String] {
        self.vpc_config
            .as_ref()
            .map(|config| config.subnet_ids.as_slice())
            .unwrap_or(&[])
    }

    /// The additional groups, then the one EKS made.
    pub fn security_group_ids(&self) -> Vec<String> {
        let Some(config) = &self.vpc_config else {
            return Vec::new();
        };
        let mut ids = config.security_group_ids.clone();
        ids.extend(config.cluster_security_group_id.iter().cloned());
        ids
    }
}

/// One access entry: `DescribeAccessEntry` and `ListAssociatedAccessPolicies`.
#[derive(Debug, Clone, Default)]
pub struct AccessEntryDescription {
    pub principal_arn: String,
    pub entry_arn: Option<String>,
    pub kubernetes_groups: Vec<String>,
    pub policies: Vec<AccessPolicyDescription>,
}

#[derive(Debug, Clone, Default)]
pub struct AccessPolicyDescription {
    pub policy_arn: Option<String>,
    /// `cluster` or `namespace`, when the answer says.
    pub scope_type: Option<String>,
    pub scope_namespaces: Vec<String>,
}

/// One add-on: `DescribeAddon`, and the default version `DescribeAddonVersions` gives for the
/// cluster's Kubernetes version.
#[derive(Debug, Clone)]
pub struct AddonDescription {
    pub name: String,
    pub arn: Option<String>,
    pub version: Option<String>,
    /// The add-on's configuration values (JSON text) as set.
    pub configuration_values: Option<String>,
    pub service_account_role_arn: Option<String>,
    pub has_pod_identity_associations: bool,
    /// `None` when no version is marked default for the cluster's version.
    pub default_version: Read<Option<String>>,
}

/// The names of the clusters in the region (for a helpful "no such cluster" message).
pub async fn cluster_names(aws: &Aws) -> Result<Vec<String>, AwsError> {
    aws.eks
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|error| AwsError::from_sdk("clusters", "eks:ListClusters", error))
}

pub(super) async fn describe_cluster(
    aws: &Aws,
    name: &str,
) -> Result<ClusterDescription, AwsError> {
    let no_cluster = || format!("no cluster {name} in {}", aws.region);
    let described = aws
        .eks
        .describe_cluster()
        .name(name)
        .send()
        .await
        .map_err(|error| {
            let mut error = AwsError::from_sdk(name, "eks:DescribeCluster", error);
            if error.is_not_found() {
                error.message = no_cluster();
            }
            error
        })?;
    let Some(eks) = described.cluster() else {
        return Err(AwsError::new(name, "eks:DescribeCluster", no_cluster()));
    };
    let access = eks.access_config();
    Ok(ClusterDescription {
        arn: eks.arn().map(str::to_string),
        name: eks.name().map(str::to_string),
        version: eks.version().map(str::to_string),
        role_arn: eks.role_arn().map(str::to_string),
        vpc_config: eks
            .resources_vpc_config()
            .map(|config| VpcConfigDescription {
                vpc_id: config.vpc_id().map(str::to_string),
                subnet_ids: config.subnet_ids().to_vec(),
                security_group_ids: config.security_group_ids().to_vec(),
                cluster_security_group_id: config.cluster_security_group_id().map(str::to_string),
                endpoint_public_access: config.endpoint_public_access(),
                endpoint_private_access: config.endpoint_private_access(),
                public_access_cidrs: config.public_access_cidrs().to_vec(),
            }),
        secrets_key_arn: eks
            .encryption_config()
            .iter()
            // `resources` is deprecated (EKS now encrypts all API data) but still says `secrets`.
            .find(|config| {
                #[allow(deprecated)]
                let resources = config.resources();
                resources.is_empty() || resources.iter().any(|r| r == "secrets")
            })
            .and_then(|config| config.provider())
            .and_then(|provider| provider.key_arn())
            .map(str::to_string),
        enabled_log_types: eks
            .logging()
            .map(|logging| {
                logging
                    .cluster_logging()
                    .iter()
                    .filter(|setup| setup.enabled() == Some(true))
                    .flat_map(|setup| setup.types().iter().map(|t| t.as_str().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        authentication_mode: access
            .and_then(|a| a.authentication_mode())
            .map(|mode| mode.as_str().to_string()),
        bootstrap_cluster_creator_admin: access
            .and_then(|a| a.bootstrap_cluster_creator_admin_permissions()),
        deletion_protection: eks.deletion_protection(),
        oidc_issuer: eks
            .identity()
            .and_then(|identity| identity.oidc())
            .and_then(|oidc| oidc.issuer())
            .map(str::to_string),
    })
}

pub(super) async fn access_entries(
    aws: &Aws,
    cluster: &str,
) -> Read<Vec<Read<AccessEntryDescription>>> {
    let principals: Vec<String> = aws
        .eks
        .list_access_entries()
        .cluster_name(cluster)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(cluster, "eks:ListAccessEntries", error))?;
    Ok(join_all(
        principals
            .into_iter()
            .map(|principal| access_entry(aws, cluster, principal)),
    )
    .await)
}

async fn access_entry(aws: &Aws, cluster: &str, principal: String) -> Read<AccessEntryDescription> {
    let (entry, policies) = futures::join!(
        aws.eks
            .describe_access_entry()
            .cluster_name(cluster)
            .principal_arn(&principal)
            .send(),
        aws.eks
            .list_associated_access_policies()
            .cluster_name(cluster)
            .principal_arn(&principal)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
    );
    let entry =
        entry.map_err(|error| AwsError::from_sdk(&principal, "eks:DescribeAccessEntry", error))?;
    let policies = policies.map_err(|error| {
        AwsError::from_sdk(&principal, "eks:ListAssociatedAccessPolicies", error)
    })?;
    let entry = entry.access_entry();
    Ok(AccessEntryDescription {
        entry_arn: entry.and_then(|e| e.access_entry_arn()).map(str::to_string),
        kubernetes_groups: entry
            .map(|e| e.kubernetes_groups().to_vec())
            .unwrap_or_default(),
        policies: policies
            .iter()
            .map(|policy| AccessPolicyDescription {
                policy_arn: policy.policy_arn().map(str::to_string),
                scope_type: policy
                    .access_scope()
                    .and_then(|scope| scope.r#type())
                    .map(|t| t.as_str().to_string()),
                scope_namespaces: policy
                    .access_scope()
                    .map(|scope| scope.namespaces().to_vec())
                    .unwrap_or_default(),
            })
            .collect(),
        principal_arn: principal,
    })
}

pub(super) async fn addons(
    aws: &Aws,
    cluster: &str,
    kubernetes_version: Option<&str>,
) -> Read<Vec<Read<AddonDescription>>> {
    let names: Vec<String> = aws
        .eks
        .list_addons()
        .cluster_name(cluster)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(cluster, "eks:ListAddons", error))?;
    Ok(join_all(
        names
            .into_iter()
            .map(|name| addon(aws, cluster, name, kubernetes_version)),
    )
    .await)
}

async fn addon(
    aws: &Aws,
    cluster: &str,
    name: String,
    kubernetes_version: Option<&str>,
) -> Read<AddonDescription> {
    let (described, default_version) = futures::join!(
        aws.eks
            .describe_addon()
            .cluster_name(cluster)
            .addon_name(&name)
            .send(),
        default_addon_version(aws, &name, kubernetes_version),
    );
    let described =
        described.map_err(|error| AwsError::from_sdk(&name, "eks:DescribeAddon", error))?;
    let addon = described.addon();
    Ok(AddonDescription {
        arn: addon.and_then(|a| a.addon_arn()).map(str::to_string),
        version: addon.and_then(|a| a.addon_version()).map(str::to_string),
        configuration_values: addon
            .and_then(|a| a.configuration_values())
            .map(str::to_string),
        service_account_role_arn: addon
            .and_then(|a| a.service_account_role_arn())
            .map(str::to_string),
        has_pod_identity_associations: addon
            .is_some_and(|a| !a.pod_identity_associations().is_empty()),
        default_version,
        name,
    })
}

/// The version EKS marks default for `kubernetes_version`; `None` when none is (or the cluster
/// reports no version to compare with, so there is nothing to ask).
async fn default_addon_version(
    aws: &Aws,
    name: &str,
    kubernetes_version: Option<&str>,
) -> Read<Option<String>> {
    let Some(kubernetes_version) = kubernetes_version else {
        return Ok(None);
    };
    let infos = aws
        .eks
        .describe_addon_versions()
        .addon_name(name)
        .kubernetes_version(kubernetes_version)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(name, "eks:DescribeAddonVersions", error))?;
    Ok(infos
        .iter()
        .flat_map(|info| info.addon_versions().iter())
        .find(|version| {
            version.compatibilities().iter().any(|compatibility| {
                compatibility.default_version()
                    && compatibility.cluster_version() == Some(kubernetes_version)
            })
        })
        .and_then(|version| version.addon_version())
        .map(str::to_string))
}
