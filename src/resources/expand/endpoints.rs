//! VPC endpoints (`network.endpoints`): what lets private subnets reach AWS services without a
//! NAT gateway. S3 is a Gateway endpoint on every private route table (no charge, no network
//! interface); every other service an Interface endpoint in the private subnets, with private
//! DNS on (the service's usual host name resolves to the endpoint inside the VPC, so nodes need
//! no configuration), behind one security group that admits HTTPS from the VPC only.

use crate::blueprint::model::Network;
use crate::resources::policy::DEFAULT_ENDPOINT_POLICY;
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;
use super::network::NetworkIds;
use super::security_groups::{add_group, add_ingress, Ingress, IngressRule};

/// The one service eksforge reaches through a Gateway endpoint.
pub const GATEWAY_SERVICE: &str = "s3";

/// `vpc_endpoint.<service>` for each listed service, and `security_group.endpoints` with its
/// one rule when any of them is an interface endpoint.
pub(super) fn add_endpoints(
    builder: &mut Builder,
    network: &Network,
    ids: &NetworkIds,
    region: &str,
) {
    let interface_services: Vec<&String> = network
        .endpoints
        .iter()
        .filter(|service| service.as_str() != GATEWAY_SERVICE)
        .collect();
    let security_group = (!interface_services.is_empty())
        .then(|| add_endpoint_security_group(builder, &ids.vpc, &network.vpc_cidr));
    for service in &network.endpoints {
        let policy = network
            .endpoint_policies
            .get(service)
            .map_or(DEFAULT_ENDPOINT_POLICY, String::as_str);
        let mut attrs = vec![
            ("vpc_id", ids.vpc.output("id")),
            ("service_name", Value::str(service_name(region, service))),
            ("policy_document", Value::str(canonical_policy(policy))),
        ];
        match &security_group {
            Some(group) if service.as_str() != GATEWAY_SERVICE => {
                attrs.extend([
                    ("vpc_endpoint_type", Value::str("Interface")),
                    ("subnet_ids", outputs(&ids.private_subnets)),
                    ("security_group_ids", Value::List(vec![group.output("id")])),
                    ("private_dns_enabled", Value::Bool(true)),
                ]);
            }
            _ => {
                attrs.extend([
                    ("vpc_endpoint_type", Value::str("Gateway")),
                    ("route_table_ids", outputs(&ids.private_route_tables)),
                ]);
            }
        }
        builder.add(Kind::VpcEndpoint, service, attrs);
    }
}

/// `com.amazonaws.<region>.<service>`: the name every commercial and GovCloud region uses
/// for the services eksforge lists.
pub fn service_name(region: &str, service: &str) -> String {
    format!("com.amazonaws.{region}.{service}")
}

/// A policy document in canonical JSON (keys sorted, no whitespace), as the diff compares
/// it; validation has checked it is JSON (kept as written if not).
fn canonical_policy(text: &str) -> String {
    crate::resources::policy::canonical(text).unwrap_or_else(|| text.to_string())
}

fn outputs(ids: &[ResourceId]) -> Value {
    Value::List(ids.iter().map(|id| id.output("id")).collect())
}

/// The endpoints' group: HTTPS from the VPC CIDR and nothing else (no 0.0.0.0/0, no other
/// port); what reaches an endpoint from inside the VPC is then limited by the endpoint policy
/// and IAM, and nothing outside the VPC can reach it at all.
fn add_endpoint_security_group(builder: &mut Builder, vpc: &ResourceId, cidr: &str) -> ResourceId {
    let group = add_group(
        builder,
        "endpoints",
        "VPC endpoints",
        vpc,
        Ingress::OnlyEksforge,
    );
    add_ingress(
        builder,
        "endpoints.https_from_vpc",
        IngressRule {
            group: &group,
            protocol: "tcp",
            ports: Some((443, 443)),
            source: ("cidr_ipv4", Value::str(cidr)),
            description: "HTTPS from the VPC to its endpoints",
        },
    );
    group
}

#[cfg(test)]
mod tests {
    use crate::blueprint::load_str;
    use crate::resources::{expand, DesiredSet, Kind, Placement, ResourceId, Value};

    const NODE_SERVICES: &str = r#"["ecr.api", "ecr.dkr", "s3", "sts", "ec2", "ssm", "ssmmessages", "ec2messages", "eks-auth"]"#;

    fn expanded(network: &str) -> DesiredSet {
        let text = format!(
            "[blueprint]\nname = \"shop\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n{network}\n"
        );
        let loaded = load_str("shop.toml", &text, &[]).expect("valid");
        expand(&loaded.model, &Placement::example(2)).expect("expands")
    }

    fn of_kind(set: &DesiredSet, kind: Kind) -> usize {
        set.resources.keys().filter(|id| id.kind() == kind).count()
    }

    fn refs(set: &DesiredSet, id: &str, attribute: &str) -> Vec<String> {
        let id = ResourceId::parse(id).expect("an id");
        match set
            .get(&id)
            .and_then(|resource| resource.attrs.get(attribute))
        {
            Some(Value::List(items)) => items
                .iter()
                .map(|item| {
                    item.as_ref_target()
                        .expect("a reference")
                        .resource
                        .to_string()
                })
                .collect(),
            other => panic!("{id}.{attribute} is {other:?}"),
        }
    }

    #[test]
    fn no_nat_means_endpoints_and_no_gateway_or_address() {
        let set = expanded(&format!("nat = \"none\"\nendpoints = {NODE_SERVICES}"));
        assert_eq!(of_kind(&set, Kind::NatGateway), 0);
        assert_eq!(of_kind(&set, Kind::Eip), 0);
        assert_eq!(of_kind(&set, Kind::VpcEndpoint), 9);
        assert_eq!(
            refs(&set, "vpc_endpoint.s3", "route_table_ids"),
            [
                "route_table.private.eu-west-1a",
                "route_table.private.eu-west-1b"
            ]
        );
        assert_eq!(
            refs(&set, "vpc_endpoint.ecr.api", "subnet_ids"),
            ["subnet.private.eu-west-1a", "subnet.private.eu-west-1b"]
        );
        assert_eq!(
            refs(&set, "vpc_endpoint.ecr.api", "security_group_ids"),
            ["security_group.endpoints"]
        );
        let rule = set
            .get(&ResourceId::new(
                Kind::SecurityGroupRule,
                "endpoints.https_from_vpc",
            ))
            .expect("the endpoints' one rule");
        assert_eq!(
            rule.attrs.get("cidr_ipv4"),
            Some(&Value::str("10.0.0.0/16"))
        );
        assert_eq!(rule.attrs.get("from_port"), Some(&Value::Int(443)));
        let service = set
            .get(&ResourceId::new(Kind::VpcEndpoint, "sts"))
            .and_then(|endpoint| endpoint.attrs.get("service_name"));
        assert_eq!(service, Some(&Value::str("com.amazonaws.eu-west-1.sts")));
    }

    #[test]
    fn s3_alone_needs_no_security_group() {
        let set = expanded("endpoints = [\"s3\"]");
        assert_eq!(of_kind(&set, Kind::VpcEndpoint), 1);
        assert!(set
            .get(&ResourceId::new(Kind::SecurityGroup, "endpoints"))
            .is_none());
    }
}
