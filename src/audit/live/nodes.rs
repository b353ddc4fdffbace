//! Managed node groups and what their nodes boot with.

use crate::aws::observe::{LaunchObservation, NodeGroupObservation, Read};

use super::unknown;
use crate::audit::view::{
    read_node_settings, Fact, LaunchView, NodeGroupView, RemoteAccessView, Subject,
};

/// The groups that could be read. The view has no place for an unreadable group, so one whose
/// list or describe failed is left out.
pub(super) fn node_groups(groups: &Read<Vec<Read<NodeGroupObservation>>>) -> Vec<NodeGroupView> {
    groups
        .iter()
        .flatten()
        .filter_map(|group| group.as_ref().ok())
        .map(node_group)
        .collect()
}

fn node_group(group: &NodeGroupObservation) -> NodeGroupView {
    let arn = group.arn.clone().unwrap_or_else(|| group.name.clone());
    let ami_type = Fact::from_option(
        group.ami_type.clone(),
        "eks:DescribeNodegroup returned no amiType",
    );
    NodeGroupView {
        subject: Subject::new(arn.clone()).with_cloud_id(arn),
        name: group.name.clone(),
        latest_release: latest_release(group, &ami_type),
        ami_type,
        version: group.version.clone(),
        release_version: group.release_version.clone(),
        subnets: group.subnets.clone(),
        node_role: Fact::from_option(
            group.node_role.clone(),
            "eks:DescribeNodegroup returned no nodeRole",
        ),
        remote_access: group.remote_access.as_ref().map(|remote| RemoteAccessView {
            ssh_key: remote.ssh_key.clone(),
            source_security_groups: remote.source_security_groups.clone(),
        }),
        launch: launch(group),
    }
}

fn latest_release(group: &NodeGroupObservation, ami_type: &Fact<String>) -> Fact<String> {
    let ami_type = match ami_type {
        Fact::Known(ami_type) => ami_type,
        Fact::Unknown(why) => return Fact::unknown(why.clone()),
    };
    if !ami_type.starts_with("BOTTLEROCKET") {
        return Fact::unknown(format!("{ami_type} is not Bottlerocket"));
    }
    let (Some(version), Some(release)) = (&group.version, &group.latest_release) else {
        return Fact::unknown("the node group reports no Kubernetes version");
    };
    match release {
        Ok(Some(release)) => Fact::Known(release.clone()),
        Ok(None) => Fact::unknown(format!(
            "ssm:GetParameter: no Bottlerocket release parameter for {version}/{}",
            group.arch()
        )),
        Err(error) => unknown(error),
    }
}

fn launch(group: &NodeGroupObservation) -> Fact<LaunchView> {
    let security_groups = group.launch.security_group_ids().to_vec();
    match &group.launch {
        LaunchObservation::TemplateWithoutId => {
            Fact::unknown("the node group names a launch template without id")
        }
        LaunchObservation::Template {
            resource,
            version,
            data,
        } => match data {
            Ok(Some(data)) => Fact::Known(LaunchView {
                subject: Subject::new(resource.clone()).with_cloud_id(resource.clone()),
                http_tokens: data.http_tokens.clone(),
                hop_limit: data.hop_limit.map(i64::from),
                volumes: data
                    .volumes
                    .iter()
                    .map(|(device, encrypted)| (device.clone(), *encrypted))
                    .collect(),
                key_name: data.key_name.clone(),
                public_ip: data.associates_public_ip,
                user_data: data.user_data.clone(),
                node_settings: read_node_settings(data.user_data.as_deref()),
                security_groups,
            }),
            Ok(None) => Fact::unknown(format!(
                "ec2:DescribeLaunchTemplateVersions: no version {version} of {resource}"
            )),
            Err(error) => unknown(error),
        },
        LaunchObservation::Instances(Err(error)) => unknown(error),
        LaunchObservation::Instances(Ok(instances)) => {
            let Some(first) = instances.first() else {
                return Fact::unknown(format!(
                    "node group {} has no launch template and no running instances to read",
                    group.name
                ));
            };
            Fact::Known(LaunchView {
                subject: Subject::new(first.instance_id.as_deref().unwrap_or(&group.name)),
                http_tokens: first.http_tokens.clone(),
                hop_limit: first.hop_limit.map(i64::from),
                // Instance block devices do not say whether they are encrypted without
                // DescribeVolumes; leave them unset rather than guess.
                volumes: first
                    .device_names
                    .iter()
                    .map(|device| (device.clone(), None))
                    .collect(),
                key_name: first.key_name.clone(),
                public_ip: instances
                    .iter()
                    .any(|instance| instance.public_ip_address.is_some()),
                user_data: None,
                node_settings: Fact::unknown(
                    "the instances' user data is not read (a node group without a launch template)",
                ),
                security_groups,
            })
        }
    }
}
