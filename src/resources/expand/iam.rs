//! IAM: the cluster role (unless `cluster.role_arn` names an existing one) and the node role,
//! with their managed-policy attachments; the role, trust and policy shapes IRSA and Pod
//! Identity reuse.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use crate::blueprint::model::{Access, Cluster, NodeGroup};
use crate::resources::policy::{document, placeholder};
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;
use super::names::{bounded_name, last_path_part, sanitise, Arns};
use super::ExpandError;

/// The role the control plane assumes.
pub(super) struct ClusterRole {
    /// `role_arn` of the cluster: the created role's output or the named ARN.
    pub arn: Value,
    /// The same ARN as a key-policy principal (a placeholder for a created role).
    pub principal: String,
    /// What the cluster must wait for: the created role's policy attachment.
    pub attachments: Vec<ResourceId>,
}

/// The role every node group's instances assume.
pub(super) struct NodeRole {
    pub role: ResourceId,
    /// What a node group must wait for: nodes join only once these are attached.
    pub attachments: Vec<ResourceId>,
}

pub(super) fn add_cluster_role(
    builder: &mut Builder,
    cluster: &Cluster,
    arns: &Arns,
) -> ClusterRole {
    if let Some(arn) = &cluster.role_arn {
        return ClusterRole {
            arn: Value::str(arn.clone()),
            principal: arn.clone(),
            attachments: Vec::new(),
        };
    }
    let name = format!("{}-eks-cluster", builder.blueprint());
    let role = add_service_role(
        builder,
        "cluster",
        &name,
        "eks.amazonaws.com",
        "EKS control plane of this cluster",
    );
    let attachment = attach(
        builder,
        "cluster",
        &role,
        &arns.managed_policy("AmazonEKSClusterPolicy"),
    );
    ClusterRole {
        arn: role.output("arn"),
        principal: placeholder(&role, "arn"),
        attachments: vec![attachment],
    }
}

/// The node role: worker and registry-read policies, SSM when nodes are reached through it,
/// and every group's `extra_policies`. No CNI policy: that goes to the aws-node service
/// account through IRSA.
pub(super) fn add_node_role(
    builder: &mut Builder,
    access: &Access,
    node_groups: &[NodeGroup],
    arns: &Arns,
) -> NodeRole {
    let name = format!("{}-eks-node", builder.blueprint());
    let role = add_service_role(
        builder,
        "node",
        &name,
        "ec2.amazonaws.com",
        "Bottlerocket nodes of this cluster",
    );
    let mut policies: Vec<String> = [
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
    ]
    .iter()
    .map(|policy| arns.managed_policy(policy))
    .collect();
    if access.ssm_only {
        policies.push(arns.managed_policy("AmazonSSMManagedInstanceCore"));
    }
    // `node_groups.N.extra_policies` go on the one shared node role.
    for policy in node_groups.iter().flat_map(|group| &group.extra_policies) {
        if !policies.contains(policy) {
            policies.push(policy.clone());
        }
    }
    let attachments = policies
        .iter()
        .map(|policy| attach(builder, "node", &role, policy))
        .collect();
    NodeRole { role, attachments }
}

/// A role an AWS service assumes (and may tag its sessions in).
fn add_service_role(
    builder: &mut Builder,
    key: &str,
    name: &str,
    service: &str,
    description: &str,
) -> ResourceId {
    add_role(
        builder,
        key,
        name,
        &service_trust(service, None),
        description,
    )
}

/// The trust policy of a role `service` assumes and tags its sessions in, under `condition`
/// when given.
pub(super) fn service_trust(service: &str, condition: Option<Json>) -> Json {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    });
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [statement],
    })
}

/// An IAM role `role.<key>` named `name` (bounded to IAM's 64 characters) with `trust` as its
/// assume-role policy.
pub(super) fn add_role(
    builder: &mut Builder,
    key: &str,
    name: &str,
    trust: &Json,
    description: &str,
) -> ResourceId {
    builder.add(
        Kind::IamRole,
        key,
        [
            ("name", Value::str(bounded_name(name, 64))),
            ("path", Value::str("/")),
            ("assume_role_policy", document(trust)),
            ("description", Value::str(description)),
            ("max_session_duration", Value::Int(3600)),
        ],
    )
}

/// Attaches a managed policy to `role`, as `<role_key>.<policy short name>`.
pub(super) fn attach(
    builder: &mut Builder,
    role_key: &str,
    role: &ResourceId,
    policy_arn: &str,
) -> ResourceId {
    builder.add(
        Kind::IamRolePolicyAttachment,
        &format!("{role_key}.{}", sanitise(last_path_part(policy_arn))),
        [
            ("role", role.output("name")),
            ("policy_arn", Value::str(policy_arn)),
        ],
    )
}

/// The policies a blueprint entry (`at`, e.g. `irsa.service_accounts[0]`) gives the role
/// `role.<role_key>`: each managed policy attached, each inline one (name → JSON document) as
/// `iam_role_policy.<role_key>.<name>`. A document that does not parse names its key.
pub(super) fn add_role_policies(
    builder: &mut Builder,
    role_key: &str,
    role: &ResourceId,
    managed: &[String],
    inline: &BTreeMap<String, String>,
    at: &str,
) -> Result<(), ExpandError> {
    for policy in managed {
        attach(builder, role_key, role, policy);
    }
    for (policy_name, text) in inline {
        let policy_key = format!("{role_key}.{}", sanitise(policy_name));
        let parsed: Json =
            serde_json::from_str(text).map_err(|_| ExpandError::InvalidDocument {
                resource: ResourceId::new(Kind::IamRolePolicy, &policy_key),
                attribute: "policy",
                blueprint_key: format!("{at}.inline_policies.{policy_name}"),
            })?;
        builder.add(
            Kind::IamRolePolicy,
            &policy_key,
            [
                ("role", role.output("name")),
                ("name", Value::str(policy_name.clone())),
                ("policy", document(&parsed)),
            ],
        );
    }
    Ok(())
}
