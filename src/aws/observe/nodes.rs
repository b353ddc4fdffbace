//! Managed node groups: the group, what its nodes boot with (the launch template version, else
//! the running instances) and the current Bottlerocket release for its version.

use aws_sdk_ec2::types::Filter;
use aws_sdk_eks::types::LaunchTemplateSpecification;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{alphabet, Engine};
use futures::future::join_all;

use super::Read;
use crate::aws::bottlerocket;
use crate::aws::{Aws, AwsError};

/// One node group as `eks:DescribeNodegroup` and the reads it leads to describe it.
#[derive(Debug, Clone)]
pub struct NodeGroupObservation {
    pub name: String,
    pub arn: Option<String>,
    pub ami_type: Option<String>,
    pub version: Option<String>,
    pub release_version: Option<String>,
    pub subnets: Vec<String>,
    pub node_role: Option<String>,
    pub instance_types: Vec<String>,
    /// `ON_DEMAND` or `SPOT`.
    pub capacity_type: Option<String>,
    /// Minimum, maximum and desired size, when the answer gives all three.
    pub scaling: Option<(i32, i32, i32)>,
    pub remote_access: Option<RemoteAccessDescription>,
    pub launch: LaunchObservation,
    /// The current Bottlerocket release (`None` inside when no parameter exists); `None` when
    /// not asked: the group is not Bottlerocket or reports no Kubernetes version.
    pub latest_release: Option<Read<Option<String>>>,
}

impl NodeGroupObservation {
    /// The architecture of the group's AMI type, as the Bottlerocket parameters name it.
    pub fn arch(&self) -> &'static str {
        arch_of(self.ami_type.as_deref().unwrap_or_default())
    }
}

fn arch_of(ami_type: &str) -> &'static str {
    if ami_type.contains("ARM") {
        "arm64"
    } else {
        "x86_64"
    }
}

#[derive(Debug, Clone, Default)]
pub struct RemoteAccessDescription {
    pub ssh_key: Option<String>,
    pub source_security_groups: Vec<String>,
}

/// What the group's nodes boot with.
#[derive(Debug, Clone)]
pub enum LaunchObservation {
    /// The launch template version the group uses (`resource`: the template's id, else its
    /// name; `version`: as the group names it, `$Default` when it does not); `None` inside when
    /// the template has no such version.
    Template {
        resource: String,
        version: String,
        data: Read<Option<LaunchData>>,
    },
    /// The group names a launch template by neither id nor name.
    TemplateWithoutId,
    /// No launch template: the running instances tagged with the group's name.
    Instances(Read<Vec<InstanceDescription>>),
}

impl LaunchObservation {
    /// The security groups the nodes get, where known (the template's, else the first
    /// instance's).
    pub fn security_group_ids(&self) -> &[String] {
        match self {
            LaunchObservation::Template {
                data: Ok(Some(data)),
                ..
            } => &data.security_group_ids,
            LaunchObservation::Instances(Ok(instances)) => instances
                .first()
                .map(|first| first.security_group_ids.as_slice())
                .unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// A launch template version's data.
#[derive(Debug, Clone, Default)]
pub struct LaunchData {
    pub http_tokens: Option<String>,
    pub hop_limit: Option<i32>,
    /// Each block device: its name and whether its EBS volume is encrypted.
    pub volumes: Vec<(Option<String>, Option<bool>)>,
    pub key_name: Option<String>,
    /// Whether any network interface asks for a public address.
    pub associates_public_ip: bool,
    /// The user data decoded from base64; `None` when absent or not base64 of UTF-8 text.
    pub user_data: Option<String>,
    /// The template's groups, then its network interfaces' groups.
    pub security_group_ids: Vec<String>,
}

/// A running node (for groups without a launch template).
#[derive(Debug, Clone, Default)]
pub struct InstanceDescription {
    pub instance_id: Option<String>,
    pub http_tokens: Option<String>,
    pub hop_limit: Option<i32>,
    pub device_names: Vec<Option<String>>,
    pub key_name: Option<String>,
    pub public_ip_address: Option<String>,
    pub security_group_ids: Vec<String>,
}

pub(super) async fn node_groups(aws: &Aws, cluster: &str) -> Read<Vec<Read<NodeGroupObservation>>> {
    let names: Vec<String> = aws
        .eks
        .list_nodegroups()
        .cluster_name(cluster)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(cluster, "eks:ListNodegroups", error))?;
    Ok(join_all(names.iter().map(|name| node_group(aws, cluster, name))).await)
}

async fn node_group(aws: &Aws, cluster: &str, name: &str) -> Read<NodeGroupObservation> {
    let output = aws
        .eks
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(name, "eks:DescribeNodegroup", error))?;
    let Some(group) = output.nodegroup() else {
        return Err(AwsError::new(
            name,
            "eks:DescribeNodegroup",
            "the answer holds no node group",
        ));
    };
    let ami_type = group.ami_type().map(|t| t.as_str().to_string());
    let version = group.version().map(str::to_string);
    let (launch, latest_release) = futures::join!(
        launch(aws, cluster, name, group.launch_template()),
        latest_release(aws, ami_type.as_deref(), version.as_deref()),
    );
    Ok(NodeGroupObservation {
        name: name.to_string(),
        arn: group.nodegroup_arn().map(str::to_string),
        ami_type,
        version,
        release_version: group.release_version().map(str::to_string),
        subnets: group.subnets().to_vec(),
        node_role: group.node_role().map(str::to_string),
        instance_types: group.instance_types().to_vec(),
        capacity_type: group.capacity_type().map(|kind| kind.as_str().to_string()),
        scaling: group.scaling_config().and_then(|scaling| {
            Some((
                scaling.min_size()?,
                scaling.max_size()?,
                scaling.desired_size()?,
            ))
        }),
        remote_access: group.remote_access().map(|remote| RemoteAccessDescription {
            ssh_key: remote.ec2_ssh_key().map(str::to_string),
            source_security_groups: remote.source_security_groups().to_vec(),
        }),
        launch,
        latest_release,
    })
}

async fn latest_release(
    aws: &Aws,
    ami_type: Option<&str>,
    version: Option<&str>,
) -> Option<Read<Option<String>>> {
    let ami_type = ami_type.filter(|ami_type| ami_type.starts_with("BOTTLEROCKET"))?;
    let version = version?;
    Some(
        bottlerocket::latest_release(
            aws,
            bottlerocket::DEFAULT_PREFIX,
            version,
            arch_of(ami_type),
        )
        .await,
    )
}

async fn launch(
    aws: &Aws,
    cluster: &str,
    group: &str,
    template: Option<&LaunchTemplateSpecification>,
) -> LaunchObservation {
    let Some(template) = template else {
        return LaunchObservation::Instances(instances(aws, cluster, group).await);
    };
    let request = aws.ec2.describe_launch_template_versions();
    let request = match (template.id(), template.name()) {
        (Some(id), _) => request.launch_template_id(id),
        (None, Some(name)) => request.launch_template_name(name),
        (None, None) => return LaunchObservation::TemplateWithoutId,
    };
    let version = template.version().unwrap_or("$Default").to_string();
    let resource = template
        .id()
        .or(template.name())
        .unwrap_or(group)
        .to_string();
    let data = request
        .versions(&version)
        .send()
        .await
        .map(|output| {
            output
                .launch_template_versions()
                .first()
                .and_then(|found| found.launch_template_data())
                .map(launch_data)
        })
        .map_err(|error| {
            AwsError::from_sdk(&resource, "ec2:DescribeLaunchTemplateVersions", error)
        });
    LaunchObservation::Template {
        resource,
        version,
        data,
    }
}

fn launch_data(data: &aws_sdk_ec2::types::ResponseLaunchTemplateData) -> LaunchData {
    let metadata = data.metadata_options();
    let interfaces = data.network_interfaces();
    let mut security_group_ids = data.security_group_ids().to_vec();
    security_group_ids.extend(interfaces.iter().flat_map(|i| i.groups().iter().cloned()));
    LaunchData {
        http_tokens: metadata
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str().to_string()),
        hop_limit: metadata.and_then(|m| m.http_put_response_hop_limit()),
        volumes: data
            .block_device_mappings()
            .iter()
            .map(|mapping| {
                (
                    mapping.device_name().map(str::to_string),
                    mapping.ebs().and_then(|ebs| ebs.encrypted()),
                )
            })
            .collect(),
        key_name: data.key_name().map(str::to_string),
        associates_public_ip: interfaces
            .iter()
            .any(|i| i.associate_public_ip_address() == Some(true)),
        user_data: data.user_data().and_then(decode_user_data),
        security_group_ids,
    }
}

/// Standard base64 that takes padding or its absence alike.
const USER_DATA: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Launch template user data is standard base64 (whitespace tolerated); `None` when it is not
/// valid or not UTF-8 text.
fn decode_user_data(encoded: &str) -> Option<String> {
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = USER_DATA.decode(compact).ok()?;
    String::from_utf8(bytes).ok()
}

/// A node group without a launch template: its running instances.
async fn instances(aws: &Aws, cluster: &str, group: &str) -> Read<Vec<InstanceDescription>> {
    let tag = |key: &str, value: &str| {
        Filter::builder()
            .name(format!("tag:{key}"))
            .values(value)
            .build()
    };
    let instances = aws
        .ec2
        .describe_instances()
        .filters(tag("eks:nodegroup-name", group))
        .filters(tag("eks:cluster-name", cluster))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(group, "ec2:DescribeInstances", error))?;
    Ok(instances
        .iter()
        .flat_map(|reservation| reservation.instances().iter())
        .map(|instance| {
            let metadata = instance.metadata_options();
            InstanceDescription {
                instance_id: instance.instance_id().map(str::to_string),
                http_tokens: metadata
                    .and_then(|m| m.http_tokens())
                    .map(|t| t.as_str().to_string()),
                hop_limit: metadata.and_then(|m| m.http_put_response_hop_limit()),
                device_names: instance
                    .block_device_mappings()
                    .iter()
                    .map(|mapping| mapping.device_name().map(str::to_string))
                    .collect(),
                key_name: instance.key_name().map(str::to_string),
                public_ip_address: instance.public_ip_address().map(str::to_string),
                security_group_ids: instance
                    .security_groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_decodes_from_base64() {
        assert_eq!(decode_user_data("TWFu").as_deref(), Some("Man"));
        assert_eq!(decode_user_data("TWE=").as_deref(), Some("Ma"));
        assert_eq!(decode_user_data("TQ==").as_deref(), Some("M"));
        assert_eq!(decode_user_data("TWE").as_deref(), Some("Ma"));
        assert_eq!(decode_user_data("TWFu\nTWFu").as_deref(), Some("ManMan"));
        assert_eq!(decode_user_data("!!!!"), None);
        assert_eq!(arch_of("BOTTLEROCKET_ARM_64"), "arm64");
        assert_eq!(arch_of("BOTTLEROCKET_x86_64"), "x86_64");
    }
}
