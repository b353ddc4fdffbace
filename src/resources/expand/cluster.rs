//! The EKS cluster: private subnets, the cluster security group, the endpoint access the
//! blueprint asks for, the chosen control-plane log types, secrets encrypted with the key,
//! access entries for authentication, deletion protection and the support policy, and no
//! self-managed add-ons.

use crate::blueprint::model::ControlPlaneLogType;
use crate::blueprint::model::{Access, Cluster};
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;

/// What the cluster is made of, built by the earlier steps.
pub(super) struct ClusterInputs<'a> {
    pub role_arn: Value,
    pub private_subnets: &'a [ResourceId],
    pub security_group: &'a ResourceId,
    pub secrets_key_arn: &'a Value,
    /// Created beforehand, though no attribute names them: the role's policy attachment,
    /// the log group (so EKS does not create it unencrypted), the created key.
    pub after: Vec<ResourceId>,
}

pub(super) fn add_cluster(
    builder: &mut Builder,
    cluster: &Cluster,
    access: &Access,
    inputs: ClusterInputs<'_>,
) -> ResourceId {
    let name = builder.blueprint().to_string();
    let mut attrs = vec![
        ("name", Value::str(name)),
        ("version", Value::str(cluster.version.clone())),
        ("role_arn", inputs.role_arn),
        ("subnet_ids", outputs(inputs.private_subnets, "id")),
        (
            "security_group_ids",
            Value::List(vec![inputs.security_group.output("id")]),
        ),
        (
            "endpoint_private_access",
            Value::Bool(cluster.endpoint_private),
        ),
        (
            "endpoint_public_access",
            Value::Bool(cluster.endpoint_public),
        ),
        ("enabled_log_types", enabled_log_types(&cluster.logging)),
        ("secrets_kms_key_arn", inputs.secrets_key_arn.clone()),
        (
            "authentication_mode",
            Value::str(cluster.authentication_mode.as_str()),
        ),
        (
            "bootstrap_cluster_creator_admin",
            Value::Bool(cluster.bootstrap_creator_admin.unwrap_or(
                // Nobody else is named: the creator must be admin or nobody is.
                access.admins.is_empty() && access.entries.is_empty(),
            )),
        ),
        (
            "deletion_protection",
            Value::Bool(cluster.deletion_protection),
        ),
        (
            "upgrade_policy",
            Value::str(cluster.upgrade_policy.as_str()),
        ),
        // eksforge installs the managed add-ons itself: no unmanaged copies from EKS.
        ("bootstrap_self_managed_addons", Value::Bool(false)),
    ];
    if cluster.endpoint_public {
        let mut cidrs = cluster.public_access_cidrs.clone();
        cidrs.sort();
        attrs.push((
            "public_access_cidrs",
            Value::List(cidrs.into_iter().map(Value::Str).collect()),
        ));
    }
    builder.add_after(Kind::EksCluster, "main", attrs, inputs.after)
}

/// The wanted log types in the order EKS reports them, each once.
fn enabled_log_types(wanted: &[ControlPlaneLogType]) -> Value {
    Value::List(
        ControlPlaneLogType::ALL
            .iter()
            .filter(|kind| wanted.contains(kind))
            .map(|kind| Value::str(kind.as_str()))
            .collect(),
    )
}

/// `output` of each resource, as a list.
pub(super) fn outputs(resources: &[ResourceId], output: &str) -> Value {
    Value::List(
        resources
            .iter()
            .map(|resource| resource.output(output))
            .collect(),
    )
}
