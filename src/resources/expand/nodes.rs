//! Bottlerocket managed node groups, each through a hardened launch template: IMDSv2 with one
//! hop, encrypted volumes, no key pair or public address unless asked for, and Bottlerocket
//! settings as user data (`bottlerocket.rs`).

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use crate::blueprint::model::{Cluster, NodeGroup, Taint};
use crate::resources::{Kind, ResourceId, Value, TAG_BLUEPRINT};

use super::bottlerocket::settings;
use super::builder::Builder;
use super::cluster::outputs;
use super::iam::NodeRole;
use super::names::short_hash;
use super::ExpandError;

/// What every node group is placed in and runs as.
pub(super) struct NodeInputs<'a> {
    pub cluster: &'a ResourceId,
    pub role: &'a NodeRole,
    pub security_group: &'a ResourceId,
    pub private_subnets: &'a [ResourceId],
    pub public_subnets: &'a [ResourceId],
    /// What nodes need running before they can become Ready (the CNI and kube-proxy add-ons).
    pub after: &'a [ResourceId],
}

pub(super) fn add_node_groups(
    builder: &mut Builder,
    cluster: &Cluster,
    groups: &[NodeGroup],
    inputs: &NodeInputs<'_>,
) -> Result<Vec<ResourceId>, ExpandError> {
    groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            let template = add_launch_template(builder, index, group, inputs.security_group)?;
            Ok(add_node_group(builder, cluster, group, &template, inputs))
        })
        .collect()
}

fn add_node_group(
    builder: &mut Builder,
    cluster: &Cluster,
    group: &NodeGroup,
    template: &ResourceId,
    inputs: &NodeInputs<'_>,
) -> ResourceId {
    let subnets = if group.subnets == "public" {
        inputs.public_subnets
    } else {
        inputs.private_subnets
    };
    let ami_type = if group.arch == "arm64" {
        "BOTTLEROCKET_ARM_64"
    } else {
        "BOTTLEROCKET_x86_64"
    };
    let mut instance_types = group.instance_types.clone();
    instance_types.sort();
    // What forces a replacement is in the name, so a successor can exist beside the original
    // (create before destroy).
    let identity = format!(
        "{ami_type}|{}|{}|{}|{}",
        instance_types.join(","),
        group.capacity_type,
        subnets.len(),
        builder.made_as_id(template),
    );
    let made_as = builder.made_as_name(Kind::EksNodeGroup, &group.name);
    let labels = group
        .labels
        .iter()
        .map(|(key, value)| (key.clone(), Value::str(value.clone())))
        .collect();
    let mut attrs = vec![
        ("cluster_name", inputs.cluster.output("name")),
        (
            "name",
            Value::str(format!("{made_as}-{}", short_hash(&identity))),
        ),
        ("node_role_arn", inputs.role.role.output("arn")),
        ("subnet_ids", outputs(subnets, "id")),
        ("ami_type", Value::str(ami_type)),
        (
            "instance_types",
            Value::List(instance_types.into_iter().map(Value::Str).collect()),
        ),
        ("capacity_type", Value::str(group.capacity_type.clone())),
        ("launch_template_id", template.output("id")),
        (
            "launch_template_version",
            Value::join(vec![template.output("latest_version")]),
        ),
        (
            "version",
            Value::str(group.version.as_ref().unwrap_or(&cluster.version).clone()),
        ),
        ("min_size", Value::Int(i64::from(group.min_size))),
        ("max_size", Value::Int(i64::from(group.max_size))),
        ("desired_size", Value::Int(i64::from(group.desired_size))),
        ("labels", Value::Map(labels)),
        ("taints", eks_taints(&group.taints)),
        (
            "max_unavailable",
            Value::Int(i64::from(group.max_unavailable)),
        ),
    ];
    if let Some(release) = &group.release_version {
        attrs.push(("release_version", Value::str(release.clone())));
    }
    // Nodes join only once the node role has its policies, and become Ready only once the
    // CNI runs with its permissions.
    let node_group = builder.add_after(
        Kind::EksNodeGroup,
        &group.name,
        attrs,
        inputs.role.attachments.iter().chain(inputs.after).cloned(),
    );
    if !group.track_desired_size {
        builder.managed_elsewhere(&node_group, "desired_size");
    }
    node_group
}

/// Taints as EKS takes them (`NO_SCHEDULE`), in a stable order.
fn eks_taints(taints: &[Taint]) -> Value {
    let mut taints: Vec<Value> = taints
        .iter()
        .map(|taint| {
            let mut map = BTreeMap::from([
                ("key".to_string(), Value::str(taint.key.clone())),
                (
                    "effect".to_string(),
                    Value::str(eks_taint_effect(&taint.effect)),
                ),
            ]);
            if let Some(value) = &taint.value {
                map.insert("value".to_string(), Value::str(value.clone()));
            }
            Value::Map(map)
        })
        .collect();
    taints.sort_by_key(|taint| taint.to_string());
    Value::List(taints)
}

fn eks_taint_effect(effect: &str) -> &'static str {
    match effect {
        "PreferNoSchedule" => "PREFER_NO_SCHEDULE",
        "NoExecute" => "NO_EXECUTE",
        _ => "NO_SCHEDULE",
    }
}

fn add_launch_template(
    builder: &mut Builder,
    index: usize,
    group: &NodeGroup,
    security_group: &ResourceId,
) -> Result<ResourceId, ExpandError> {
    let user_data = settings(group).map_err(|source| ExpandError::InvalidUserData {
        resource: ResourceId::new(Kind::LaunchTemplate, &group.name),
        blueprint_key: format!("node_groups[{index}].user_data"),
        source,
    })?;
    let made_as = builder.made_as_name(Kind::LaunchTemplate, &group.name);
    let name = format!("{}-{made_as}", builder.blueprint());
    let instance_tags = BTreeMap::from([
        ("Name".to_string(), Value::str(name.clone())),
        (
            TAG_BLUEPRINT.to_string(),
            Value::str(builder.blueprint().to_string()),
        ),
    ]);
    let mut attrs = vec![
        ("name", Value::str(name)),
        // IMDSv2 only, one hop by default: pods cannot reach the node's credentials.
        (
            "metadata_http_tokens",
            Value::str(group.imds_tokens.as_str()),
        ),
        (
            "metadata_http_put_response_hop_limit",
            Value::Int(i64::from(group.imds_hop_limit)),
        ),
        ("metadata_http_endpoint", Value::str("enabled")),
        // Bottlerocket: an OS volume and a data volume, both encrypted.
        (
            "block_device_mappings",
            Value::List(vec![
                volume(group, "/dev/xvda", 4),
                volume(group, "/dev/xvdb", group.disk_size),
            ]),
        ),
        (
            "security_group_ids",
            Value::List(vec![security_group.output("id")]),
        ),
        ("user_data", Value::str(encode_user_data(&user_data))),
        ("instance_tags", Value::Map(instance_tags)),
    ];
    // Only when asked for: absent means no key pair and no public address.
    if let Some(key) = &group.ssh_key {
        attrs.push(("key_name", Value::str(key.clone())));
    }
    if group.public_ip {
        attrs.push(("associate_public_ip_address", Value::Bool(true)));
    }
    Ok(builder.add(Kind::LaunchTemplate, &group.name, attrs))
}

/// One gp3 volume, encrypted unless the group says otherwise (with its key when it names one).
fn volume(group: &NodeGroup, device: &str, size_gib: u32) -> Value {
    let mut map = BTreeMap::from([
        ("device_name".to_string(), Value::str(device)),
        ("volume_size".to_string(), Value::Int(i64::from(size_gib))),
        ("volume_type".to_string(), Value::str("gp3")),
        ("encrypted".to_string(), Value::Bool(group.volume_encrypted)),
        ("delete_on_termination".to_string(), Value::Bool(true)),
    ]);
    if let Some(key) = group
        .volume_kms_key
        .as_ref()
        .filter(|_| group.volume_encrypted)
    {
        map.insert("kms_key_id".to_string(), Value::str(key.clone()));
    }
    Value::Map(map)
}

/// Launch template user data: standard base64 with padding, as EC2 takes it.
fn encode_user_data(text: &str) -> String {
    BASE64.encode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_is_standard_base64() {
        assert_eq!(encode_user_data("Man"), "TWFu");
        assert_eq!(encode_user_data("Ma"), "TWE=");
        assert_eq!(encode_user_data("M"), "TQ==");
        assert_eq!(encode_user_data(""), "");
    }
}
