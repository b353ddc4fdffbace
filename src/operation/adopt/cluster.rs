//! `[cluster]`, `[encryption]` and `[access]` from the cluster as EKS describes it, and the
//! cloud ids of the cluster, its role, key, log group and security groups.

use toml::Value as Toml;

use super::draft::{strings, Draft, Known};
use crate::aws::observe::{ClusterObservation, RoleReference, SESSION_DOCUMENT};
use crate::resources::last_path_part;

const CLUSTER_ADMIN_POLICY: &str = "AmazonEKSClusterAdminPolicy";
const SSM_CORE_POLICY: &str = "AmazonSSMManagedInstanceCore";

pub(super) fn add_cluster(draft: &mut Draft, observed: &ClusterObservation) {
    let description = &observed.cluster;
    let name = description
        .name
        .clone()
        .unwrap_or_else(|| observed.requested_name.clone());
    let cluster = draft.section("cluster");
    if let Some(version) = &description.version {
        cluster.insert("version".into(), Toml::String(version.clone()));
    }
    if let Some(vpc) = &description.vpc_config {
        cluster.insert(
            "endpoint_private".into(),
            Toml::Boolean(vpc.endpoint_private_access),
        );
        cluster.insert(
            "endpoint_public".into(),
            Toml::Boolean(vpc.endpoint_public_access),
        );
        if vpc.endpoint_public_access {
            cluster.insert(
                "public_access_cidrs".into(),
                strings(&vpc.public_access_cidrs),
            );
        }
    }
    cluster.insert("logging".into(), strings(&description.enabled_log_types));
    if let Some(mode) = &description.authentication_mode {
        cluster.insert("authentication_mode".into(), Toml::String(mode.clone()));
    }
    if let Some(bootstrap) = description.bootstrap_cluster_creator_admin {
        cluster.insert("bootstrap_creator_admin".into(), Toml::Boolean(bootstrap));
    }
    cluster.insert(
        "deletion_protection".into(),
        Toml::Boolean(description.deletion_protection == Some(true)),
    );
    let log_group = observed.log_group.as_ref().ok().and_then(Option::as_ref);
    match log_group {
        Some(group) => {
            if let Some(days) = group.retention_in_days {
                cluster.insert("log_retention_days".into(), Toml::Integer(days.into()));
            }
            cluster.insert(
                "log_encryption".into(),
                Toml::Boolean(group.kms_key_id.is_some()),
            );
            if group.retention_in_days.is_none() {
                draft.report.differs.push(format!(
                    "log group {} keeps its logs forever: the first plan gives it eksforge's default retention (cluster.log_retention_days)",
                    group.name
                ));
            }
            draft.know(
                "log_group.cluster",
                Known::named(&group.name, group.arn.as_deref()),
            );
        }
        None => draft.report.differs.push(format!(
            "no log group /aws/eks/{name}/cluster: the first plan creates it (kept and encrypted) before the control plane writes to it"
        )),
    }
    draft.know(
        "eks_cluster.main",
        Known::named(&name, description.arn.as_deref()),
    );
    if let Some(role) = description.role_arn.as_deref() {
        draft.know(
            "iam_role.cluster",
            Known::named(last_path_part(role), Some(role)),
        );
    }

    // Secrets: the key EKS encrypts them with is adopted and kept as it is.
    match (&description.secrets_key_arn, &observed.secrets_key) {
        (Some(arn), Some(key)) => {
            let encryption = draft.section("encryption");
            encryption.insert("kms_key".into(), Toml::String("create".into()));
            if let Ok(rotation) = key.rotation_enabled {
                encryption.insert("rotation".into(), Toml::Boolean(rotation));
            }
            if let Some(alias) = key.aliases.as_ref().ok().and_then(|aliases| aliases.first()) {
                encryption.insert("alias".into(), Toml::String(alias.clone()));
            }
            let key_id = last_path_part(arn).to_string();
            draft.know(
                "kms_key.secrets",
                Known {
                    cloud_id: key_id.clone(),
                    outputs: [
                        ("id".to_string(), crate::resources::Value::str(key_id)),
                        ("arn".to_string(), crate::resources::Value::str(arn.clone())),
                    ]
                    .into(),
                },
            );
        }
        _ => draft.report.differs.push(
            "Kubernetes secrets are not encrypted with a KMS key: the first plan makes one and replaces the cluster to encrypt them, refused unless `--allow-replace eks_cluster.main` (EKS could encrypt in place with AssociateEncryptionConfig; eksforge does not yet)".to_string(),
        ),
    }

    // Security groups: the cluster's additional group, and the group its nodes get.
    let groups = &observed.security_groups;
    if let Some(vpc) = &description.vpc_config {
        match vpc.security_group_ids.first() {
            Some(group) => draft.know("security_group.cluster", Known::ec2(group)),
            None => draft.report.differs.push(
                "the cluster has no additional security group: the first plan makes eksforge's and gives it to the cluster (UpdateClusterConfig)".to_string(),
            ),
        }
        for extra in vpc.security_group_ids.iter().skip(1) {
            draft.report.left_alone.push(format!(
                "security group {extra}: a second additional group of the cluster"
            ));
        }
    }
    let cluster_group = description
        .vpc_config
        .as_ref()
        .and_then(|vpc| vpc.security_group_ids.first().cloned());
    let node_group = groups
        .node_group_ids
        .iter()
        .find(|group| Some(*group) != cluster_group.as_ref());
    if let Some(group) = node_group {
        draft.know("security_group.node", Known::ec2(group));
    }

    add_access(draft, observed);
}

fn add_access(draft: &mut Draft, observed: &ClusterObservation) {
    let node_role = observed
        .roles
        .iter()
        .find(|role| role.reference == RoleReference::NodeGroup);
    let ssm_only = node_role.is_some_and(|role| {
        role.attached_policy_arns
            .as_ref()
            .is_ok_and(|arns| arns.iter().any(|arn| arn.ends_with(SSM_CORE_POLICY)))
    });
    let session_logging = matches!(observed.session_document, Ok(Some(_)));
    if session_logging {
        draft.know(
            "ssm_document.session_preferences",
            Known::named(SESSION_DOCUMENT, None),
        );
    }
    let mut admins: Vec<String> = Vec::new();
    if let Ok(entries) = &observed.access_entries {
        for entry in entries.iter().flatten() {
            let is_node = node_role.is_some_and(|role| role.arn == entry.principal_arn);
            let admin = entry.policies.iter().any(|policy| {
                policy
                    .policy_arn
                    .as_deref()
                    .is_some_and(|arn| arn.ends_with(CLUSTER_ADMIN_POLICY))
                    && policy.scope_type.as_deref() == Some("cluster")
            });
            if is_node {
                continue;
            }
            if admin && entry.policies.len() == 1 && entry.kubernetes_groups.is_empty() {
                admins.push(entry.principal_arn.clone());
            } else {
                draft.report.left_alone.push(format!(
                    "access entry for {}: not a cluster-wide admin entry; add it to [[access.entries]] by hand",
                    entry.principal_arn
                ));
            }
        }
    }
    let access = draft.section("access");
    access.insert("ssm_only".into(), Toml::Boolean(ssm_only));
    access.insert("session_logging".into(), Toml::Boolean(session_logging));
    access.insert("admins".into(), strings(&admins));
    let mode = observed
        .cluster
        .authentication_mode
        .as_deref()
        .unwrap_or("");
    if mode.contains("CONFIG_MAP") {
        draft.report.to_do.push(
            "the aws-auth ConfigMap: eksforge does not read Kubernetes objects. Move each of its mappings to an access entry (`[access] admins` or `[[access.entries]]`), then set `cluster.authentication_mode = \"API\"`".to_string(),
        );
    }
}
