//! The VPC (subnets and their internet routes, flow logs, NAT, endpoints) and the security
//! groups.

use std::collections::BTreeMap;

use crate::aws::observe::{
    NetworkObservation, RouteTableDescription, SecurityGroupDescription, SecurityGroupsObservation,
};

use super::unknown;
use crate::audit::view::{
    Fact, GroupRole, NetworkView, RuleView, SecurityGroupView, Subject, SubnetView,
};

/// The view's `default_sg_has_rules` stays `None`: it comes with the security groups.
pub(super) fn network_view(network: &NetworkObservation) -> NetworkView {
    let vpc_id = network.vpc_id.as_str();
    let routes = network
        .route_tables
        .as_ref()
        .ok()
        .map(|tables| InternetRoutes::of(tables));
    let subnets = match &network.subnets {
        Ok(subnets) => subnets
            .iter()
            .map(|subnet| {
                let id = subnet.id.clone();
                let tagged = |key: &str| subnet.tag_keys.iter().any(|tag| tag == key);
                SubnetView {
                    internet_route: routes.as_ref().and_then(|routes| routes.of_subnet(&id)),
                    subject: Subject::new(id.clone()).with_cloud_id(id),
                    // Subnets the cluster or its node groups use are meant to be private
                    // unless tagged for public load balancers.
                    private: tagged("kubernetes.io/role/internal-elb")
                        || !tagged("kubernetes.io/role/elb"),
                    map_public_ip_on_launch: subnet.map_public_ip_on_launch,
                }
            })
            .collect(),
        // The subnet-level checks then have nothing to judge; the VPC-level facts still count.
        Err(_) => Vec::new(),
    };
    NetworkView {
        subject: Subject::new(vpc_id).with_cloud_id(vpc_id),
        subnets,
        flow_logs: match &network.flow_log_statuses {
            Ok(statuses) => Fact::Known(
                statuses
                    .iter()
                    .any(|status| matches!(status.as_deref(), Some("ACTIVE") | None)),
            ),
            Err(error) => unknown(error),
        },
        nat: match &network.nat_gateway_states {
            Ok(states) => Fact::Known(
                states
                    .iter()
                    .any(|state| matches!(state.as_deref(), Some("available" | "pending") | None)),
            ),
            Err(error) => unknown(error),
        },
        endpoints: match &network.endpoint_services {
            Ok(services) => Fact::Known(services.iter().map(|s| endpoint_suffix(s)).collect()),
            Err(error) => unknown(error),
        },
        default_sg_has_rules: None,
    }
}

/// The internet gateway each subnet's route table sends a default route to.
struct InternetRoutes {
    by_subnet: BTreeMap<String, Option<String>>,
    /// The main table's, for subnets without an explicit association.
    main: Option<String>,
}

impl InternetRoutes {
    fn of(tables: &[RouteTableDescription]) -> InternetRoutes {
        let mut routes = InternetRoutes {
            by_subnet: BTreeMap::new(),
            main: None,
        };
        for table in tables {
            let gateway = table
                .routes
                .iter()
                .find(|route| {
                    route.destination_cidr.as_deref() == Some("0.0.0.0/0")
                        || route.destination_ipv6_cidr.as_deref() == Some("::/0")
                })
                .and_then(|route| route.gateway_id.clone())
                .filter(|gateway| gateway.starts_with("igw-"));
            if table.main {
                routes.main.clone_from(&gateway);
            }
            for subnet in &table.subnet_ids {
                routes.by_subnet.insert(subnet.clone(), gateway.clone());
            }
        }
        routes
    }

    fn of_subnet(&self, subnet: &str) -> Option<String> {
        self.by_subnet
            .get(subnet)
            .cloned()
            .unwrap_or_else(|| self.main.clone())
    }
}

/// `com.amazonaws.eu-west-1.ecr.api` → `ecr.api`.
fn endpoint_suffix(service: &str) -> String {
    let parts: Vec<&str> = service.split('.').collect();
    if parts.len() > 3 && parts[0] == "com" {
        parts[3..].join(".")
    } else {
        service.to_string()
    }
}

pub(super) struct Groups {
    pub views: Vec<SecurityGroupView>,
    pub default_has_rules: Option<Fact<bool>>,
}

pub(super) fn security_groups(observed: &SecurityGroupsObservation) -> Groups {
    let mut views: Vec<SecurityGroupView> = match &observed.by_id {
        Ok(groups) => groups
            .iter()
            .map(|group| {
                let role = if observed.cluster_group_ids.contains(&group.id) {
                    GroupRole::Cluster
                } else if observed.node_group_ids.contains(&group.id) {
                    GroupRole::Node
                } else {
                    GroupRole::Other
                };
                group_view(group, role)
            })
            .collect(),
        // The group checks then have nothing to judge.
        Err(_) => Vec::new(),
    };
    let default_has_rules = observed
        .default_group
        .as_ref()
        .map(|default| match default {
            Ok(Some(group)) => {
                views.push(group_view(group, GroupRole::Default));
                Fact::Known(!group.ingress.is_empty() || group.has_egress_rules)
            }
            Ok(None) => Fact::unknown("the VPC has no default security group"),
            Err(error) => unknown(error),
        });
    Groups {
        views,
        default_has_rules,
    }
}

fn group_view(group: &SecurityGroupDescription, role: GroupRole) -> SecurityGroupView {
    let id = group.id.clone();
    SecurityGroupView {
        subject: Subject::new(id.clone()).with_cloud_id(id.clone()),
        role,
        ingress: group
            .ingress
            .iter()
            .map(|permission| {
                let protocol = permission.protocol.as_deref().unwrap_or("-1").to_string();
                let all = protocol == "-1";
                RuleView {
                    subject: Subject::new(id.clone()),
                    protocol,
                    from_port: if all { None } else { permission.from_port },
                    to_port: if all { None } else { permission.to_port },
                    cidrs: permission.cidrs.clone(),
                    source_groups: permission.source_group_ids.clone(),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_services_are_shortened() {
        assert_eq!(
            endpoint_suffix("com.amazonaws.eu-west-1.ecr.api"),
            "ecr.api"
        );
        assert_eq!(endpoint_suffix("com.amazonaws.eu-west-1.s3"), "s3");
        assert_eq!(endpoint_suffix("custom"), "custom");
    }
}
