//! EC2 reads: the cluster's VPC (subnets, routes, flow logs, endpoints, NAT), its security
//! groups and the region's EBS encryption default.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, SecurityGroup};

use super::Read;
use crate::aws::{Aws, AwsError};

/// The cluster's VPC.
#[derive(Debug, Clone)]
pub struct NetworkObservation {
    pub vpc_id: String,
    /// The subnets the cluster and its node groups use.
    pub subnets: Read<Vec<SubnetDescription>>,
    pub route_tables: Read<Vec<RouteTableDescription>>,
    /// Each flow log's status (`None` when the answer has none).
    pub flow_log_statuses: Read<Vec<Option<String>>>,
    /// Each VPC endpoint's service name (`com.amazonaws.<region>.<service>`).
    pub endpoint_services: Read<Vec<String>>,
    /// Each NAT gateway's state (`None` when the answer has none).
    pub nat_gateway_states: Read<Vec<Option<String>>>,
}

#[derive(Debug, Clone, Default)]
pub struct SubnetDescription {
    pub id: String,
    pub map_public_ip_on_launch: bool,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RouteTableDescription {
    pub routes: Vec<RouteDescription>,
    /// Whether it is the VPC's main table (for subnets without an explicit association).
    pub main: bool,
    /// The subnets explicitly associated with it.
    pub subnet_ids: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RouteDescription {
    pub destination_cidr: Option<String>,
    pub destination_ipv6_cidr: Option<String>,
    pub gateway_id: Option<String>,
}

/// The security groups read, and why each was asked for.
#[derive(Debug, Clone)]
pub struct SecurityGroupsObservation {
    /// The cluster's groups (the additional ones, then the one EKS made).
    pub cluster_group_ids: Vec<String>,
    /// The groups the node groups' nodes get or admit remote access from.
    pub node_group_ids: BTreeSet<String>,
    /// Both of the above, described by id.
    pub by_id: Read<Vec<SecurityGroupDescription>>,
    /// The VPC's `default` group (`None` inside when the VPC has none); `None` without a VPC.
    pub default_group: Option<Read<Option<SecurityGroupDescription>>>,
}

#[derive(Debug, Clone, Default)]
pub struct SecurityGroupDescription {
    pub id: String,
    pub ingress: Vec<PermissionDescription>,
    pub has_egress_rules: bool,
}

/// One ingress permission.
#[derive(Debug, Clone, Default)]
pub struct PermissionDescription {
    pub protocol: Option<String>,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// IPv4 ranges, then IPv6 ranges.
    pub cidrs: Vec<String>,
    pub source_group_ids: Vec<String>,
}

/// The VPC a subnet is in (best effort: `None` when it cannot be read).
pub(super) async fn vpc_of_subnet(aws: &Aws, subnet_id: &str) -> Option<String> {
    let output = aws
        .ec2
        .describe_subnets()
        .subnet_ids(subnet_id)
        .send()
        .await
        .ok()?;
    output.subnets().first()?.vpc_id().map(str::to_string)
}

/// An EC2 filter on one value (also `inventory.rs`'s).
pub(super) fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

pub(super) async fn network(
    aws: &Aws,
    vpc_id: Option<&str>,
    subnet_ids: &BTreeSet<String>,
) -> Option<NetworkObservation> {
    let vpc_id = vpc_id?;
    let (subnets, route_tables, flow_logs, endpoints, nat_gateways) = futures::join!(
        aws.ec2
            .describe_subnets()
            .set_subnet_ids(Some(subnet_ids.iter().cloned().collect()))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        aws.ec2
            .describe_route_tables()
            .filters(filter("vpc-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        aws.ec2
            .describe_flow_logs()
            .filter(filter("resource-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        aws.ec2
            .describe_vpc_endpoints()
            .filters(filter("vpc-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        aws.ec2
            .describe_nat_gateways()
            .filter(filter("vpc-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
    );
    Some(NetworkObservation {
        vpc_id: vpc_id.to_string(),
        subnets: subnets
            .map(|subnets| {
                // An entry without its id cannot be named or matched: EC2 always sends one.
                subnets
                    .iter()
                    .filter_map(|subnet| {
                        Some(SubnetDescription {
                            id: subnet.subnet_id()?.to_string(),
                            map_public_ip_on_launch: subnet.map_public_ip_on_launch() == Some(true),
                            tag_keys: subnet
                                .tags()
                                .iter()
                                .filter_map(|tag| tag.key().map(str::to_string))
                                .collect(),
                        })
                    })
                    .collect()
            })
            .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeSubnets", error)),
        route_tables: route_tables
            .map(|tables| tables.iter().map(route_table).collect())
            .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeRouteTables", error)),
        flow_log_statuses: flow_logs
            .map(|logs| {
                logs.iter()
                    .map(|log| log.flow_log_status().map(str::to_string))
                    .collect()
            })
            .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeFlowLogs", error)),
        endpoint_services: endpoints
            .map(|endpoints| {
                endpoints
                    .iter()
                    .filter_map(|endpoint| endpoint.service_name().map(str::to_string))
                    .collect()
            })
            .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeVpcEndpoints", error)),
        nat_gateway_states: nat_gateways
            .map(|nats| {
                nats.iter()
                    .map(|nat| nat.state().map(|state| state.as_str().to_string()))
                    .collect()
            })
            .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeNatGateways", error)),
    })
}

fn route_table(table: &aws_sdk_ec2::types::RouteTable) -> RouteTableDescription {
    RouteTableDescription {
        routes: table
            .routes()
            .iter()
            .map(|route| RouteDescription {
                destination_cidr: route.destination_cidr_block().map(str::to_string),
                destination_ipv6_cidr: route.destination_ipv6_cidr_block().map(str::to_string),
                gateway_id: route.gateway_id().map(str::to_string),
            })
            .collect(),
        main: table
            .associations()
            .iter()
            .any(|association| association.main() == Some(true)),
        subnet_ids: table
            .associations()
            .iter()
            .filter_map(|association| association.subnet_id().map(str::to_string))
            .collect(),
    }
}

/// The cluster's and the node groups' groups by id, and the VPC's default group, at once.
pub(super) async fn security_groups(
    aws: &Aws,
    vpc_id: Option<&str>,
    cluster_group_ids: Vec<String>,
    node_group_ids: BTreeSet<String>,
) -> SecurityGroupsObservation {
    let ids: BTreeSet<&String> = cluster_group_ids.iter().chain(&node_group_ids).collect();
    let by_id = async {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        aws.ec2
            .describe_security_groups()
            .set_group_ids(Some(ids.iter().map(|id| id.to_string()).collect()))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map(|groups| groups.iter().filter_map(security_group).collect())
            .map_err(|error| AwsError::from_sdk("cluster", "ec2:DescribeSecurityGroups", error))
    };
    let default_group = async {
        let vpc_id = vpc_id?;
        Some(
            aws.ec2
                .describe_security_groups()
                .filters(filter("vpc-id", vpc_id))
                .filters(filter("group-name", "default"))
                .send()
                .await
                .map(|output| output.security_groups().first().and_then(security_group))
                .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeSecurityGroups", error)),
        )
    };
    let (by_id, default_group) = futures::join!(by_id, default_group);
    SecurityGroupsObservation {
        cluster_group_ids,
        node_group_ids,
        by_id,
        default_group,
    }
}

/// `None` for an entry without its id (EC2 always sends one).
fn security_group(group: &SecurityGroup) -> Option<SecurityGroupDescription> {
    Some(SecurityGroupDescription {
        id: group.group_id()?.to_string(),
        ingress: group
            .ip_permissions()
            .iter()
            .map(|permission| PermissionDescription {
                protocol: permission.ip_protocol().map(str::to_string),
                from_port: permission.from_port(),
                to_port: permission.to_port(),
                cidrs: permission
                    .ip_ranges()
                    .iter()
                    .filter_map(|range| range.cidr_ip().map(str::to_string))
                    .chain(
                        permission
                            .ipv6_ranges()
                            .iter()
                            .filter_map(|range| range.cidr_ipv6().map(str::to_string)),
                    )
                    .collect(),
                source_group_ids: permission
                    .user_id_group_pairs()
                    .iter()
                    .filter_map(|pair| pair.group_id().map(str::to_string))
                    .collect(),
            })
            .collect(),
        has_egress_rules: !group.ip_permissions_egress().is_empty(),
    })
}

pub(super) async fn ebs_encryption_by_default(aws: &Aws) -> Read<Option<bool>> {
    aws.ec2
        .get_ebs_encryption_by_default()
        .send()
        .await
        .map(|output| output.ebs_encryption_by_default())
        .map_err(|error| AwsError::from_sdk("region", "ec2:GetEbsEncryptionByDefault", error))
}
