//! A VPC's parts by id, read for `eksforge adopt`: what each subnet, gateway, route table and
//! security-group rule is, so the adoption can say which blueprint resource each one is.
//! Read-only (`Describe*` only), like the rest of `observe`; each list pages through the SDK's
//! paginator. The reads go out at once: one round.

use aws_sdk_ec2::types::Filter;

use super::network::filter;
use crate::aws::{Aws, AwsError};

/// Everything in one VPC that a blueprint's network makes.
#[derive(Debug, Clone, Default)]
pub struct VpcInventory {
    pub vpc_id: String,
    pub cidr: String,
    pub subnets: Vec<InventorySubnet>,
    /// The internet gateway attached to the VPC.
    pub internet_gateway: Option<String>,
    /// NAT gateways not deleted or deleting.
    pub nat_gateways: Vec<InventoryNat>,
    pub route_tables: Vec<InventoryRouteTable>,
    /// The ingress rules of the groups asked for.
    pub security_group_rules: Vec<InventoryRule>,
    /// Flow logs on the VPC.
    pub flow_logs: Vec<InventoryFlowLog>,
    /// VPC endpoints: id and service name.
    pub endpoints: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct InventoryFlowLog {
    pub id: String,
    /// `cloud-watch-logs`, `s3`, `kinesis-data-firehose`.
    pub destination_type: String,
    pub traffic_type: String,
    pub log_group_name: Option<String>,
    /// The role CloudWatch Logs delivery assumes.
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct InventorySubnet {
    pub id: String,
    pub availability_zone: String,
    pub cidr: String,
    pub map_public_ip_on_launch: bool,
}

#[derive(Debug, Clone, Default)]
pub struct InventoryNat {
    pub id: String,
    pub subnet_id: String,
    pub allocation_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct InventoryRouteTable {
    pub id: String,
    pub main: bool,
    /// Explicit associations: (association id, subnet id).
    pub associations: Vec<(String, String)>,
    /// The IPv4 default route's target (`igw-…`, `nat-…`), if any.
    pub default_route_target: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct InventoryRule {
    pub id: String,
    pub group_id: String,
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub cidr: Option<String>,
    pub source_group_id: Option<String>,
}

/// Reads VPC `vpc_id` and, for `group_ids`, their ingress rules.
pub async fn vpc_inventory(
    aws: &Aws,
    vpc_id: &str,
    group_ids: &[String],
) -> Result<VpcInventory, AwsError> {
    let in_vpc = || filter("vpc-id", vpc_id);
    let (vpcs, subnets, gateways, nats, tables, rules, flow_logs, endpoints) = futures::join!(
        aws.ec2.describe_vpcs().vpc_ids(vpc_id).send(),
        aws.ec2
            .describe_subnets()
            .filters(in_vpc())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        aws.ec2
            .describe_internet_gateways()
            .filters(filter("attachment.vpc-id", vpc_id))
            .send(),
        aws.ec2
            .describe_nat_gateways()
            .filter(in_vpc())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        aws.ec2
            .describe_route_tables()
            .filters(in_vpc())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        async {
            if group_ids.is_empty() {
                return Ok(Vec::new());
            }
            aws.ec2
                .describe_security_group_rules()
                .filters(
                    Filter::builder()
                        .name("group-id")
                        .set_values(Some(group_ids.to_vec()))
                        .build(),
                )
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
        },
        aws.ec2
            .describe_flow_logs()
            .filter(filter("resource-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
        aws.ec2
            .describe_vpc_endpoints()
            .filters(in_vpc())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>(),
    );
    let vpcs = vpcs.map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeVpcs", error))?;
    let cidr = vpcs
        .vpcs()
        .first()
        .and_then(|vpc| vpc.cidr_block())
        .ok_or_else(|| AwsError::new(vpc_id, "ec2:DescribeVpcs", "returned no CIDR block"))?
        .to_string();
    let subnets = subnets
        .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeSubnets", error))?
        .iter()
        .filter_map(|subnet| {
            Some(InventorySubnet {
                id: subnet.subnet_id()?.to_string(),
                availability_zone: subnet.availability_zone()?.to_string(),
                cidr: subnet.cidr_block()?.to_string(),
                map_public_ip_on_launch: subnet.map_public_ip_on_launch() == Some(true),
            })
        })
        .collect();
    let internet_gateway = gateways
        .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeInternetGateways", error))?
        .internet_gateways()
        .iter()
        .find_map(|gateway| gateway.internet_gateway_id().map(str::to_string));
    let nat_gateways = nats
        .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeNatGateways", error))?
        .iter()
        .filter(|nat| {
            !matches!(
                nat.state().map(|state| state.as_str()),
                Some("deleted" | "deleting" | "failed")
            )
        })
        .filter_map(|nat| {
            Some(InventoryNat {
                id: nat.nat_gateway_id()?.to_string(),
                subnet_id: nat.subnet_id()?.to_string(),
                allocation_id: nat
                    .nat_gateway_addresses()
                    .first()
                    .and_then(|address| address.allocation_id())
                    .map(str::to_string),
            })
        })
        .collect();
    let route_tables = tables
        .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeRouteTables", error))?
        .iter()
        .filter_map(|table| {
            Some(InventoryRouteTable {
                id: table.route_table_id()?.to_string(),
                main: table
                    .associations()
                    .iter()
                    .any(|association| association.main() == Some(true)),
                associations: table
                    .associations()
                    .iter()
                    .filter_map(|association| {
                        Some((
                            association.route_table_association_id()?.to_string(),
                            association.subnet_id()?.to_string(),
                        ))
                    })
                    .collect(),
                default_route_target: table
                    .routes()
                    .iter()
                    .find(|route| route.destination_cidr_block() == Some("0.0.0.0/0"))
                    .and_then(|route| route.gateway_id().or(route.nat_gateway_id()))
                    .map(str::to_string),
            })
        })
        .collect();
    let security_group_rules = rules
        .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeSecurityGroupRules", error))?
        .iter()
        .filter(|rule| rule.is_egress() != Some(true))
        .filter_map(|rule| {
            Some(InventoryRule {
                id: rule.security_group_rule_id()?.to_string(),
                group_id: rule.group_id()?.to_string(),
                protocol: rule.ip_protocol().unwrap_or("-1").to_string(),
                from_port: rule.from_port(),
                to_port: rule.to_port(),
                cidr: rule.cidr_ipv4().map(str::to_string),
                source_group_id: rule
                    .referenced_group_info()
                    .and_then(|group| group.group_id())
                    .map(str::to_string),
            })
        })
        .collect();
    let flow_logs = flow_logs
        .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeFlowLogs", error))?
        .iter()
        .filter_map(|log| {
            Some(InventoryFlowLog {
                id: log.flow_log_id()?.to_string(),
                destination_type: log
                    .log_destination_type()
                    .map(|kind| kind.as_str().to_string())
                    .unwrap_or_else(|| "cloud-watch-logs".to_string()),
                traffic_type: log.traffic_type()?.as_str().to_string(),
                log_group_name: log.log_group_name().map(str::to_string),
                role_arn: log.deliver_logs_permission_arn().map(str::to_string),
            })
        })
        .collect();
    let endpoints = endpoints
        .map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeVpcEndpoints", error))?
        .iter()
        .filter_map(|endpoint| {
            Some((
                endpoint.vpc_endpoint_id()?.to_string(),
                endpoint.service_name()?.to_string(),
            ))
        })
        .collect();
    Ok(VpcInventory {
        vpc_id: vpc_id.to_string(),
        cidr,
        subnets,
        internet_gateway,
        nat_gateways,
        route_tables,
        security_group_rules,
        flow_logs,
        endpoints,
    })
}
