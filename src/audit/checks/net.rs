//! Network and API endpoint (EKS-NET): the rows of docs/checks.md's section, one [`Check`] each.

use crate::audit::view::{Fact, Posture, RuleView, SecurityGroupView};
use crate::audit::{Check, Evaluation};
use crate::blueprint::limits::NODE_ENDPOINT_SERVICES;

const WHY: &str = "The API server and the nodes should be reachable only from the VPC and named networks; an address reachable from 0.0.0.0/0 is probed within minutes.";

pub(super) const CHECKS: &[Check] =
    &[
        check!(
            "EKS-NET-001",
            Low,
            "Public API endpoint enabled",
            WHY,
            "cluster.endpoint_public = false (reach the API from inside the VPC or over VPN)",
            ["CIS 5.4.2", "CKV_AWS_39", "AVD-AWS-0040"],
            desired = true,
            live = true,
            public_endpoint
        ),
        check!("EKS-NET-002", High, "Public endpoint reachable from any address", WHY,
        "cluster.public_access_cidrs = [\"<egress range>/32\"], or cluster.endpoint_public = false",
        ["CIS 5.4.1", "CKV_AWS_38", "AVD-AWS-0041", "P:eks_cluster_not_publicly_accessible"],
        desired = true, live = true, public_endpoint_open),
        check!(
            "EKS-NET-003",
            High,
            "Private endpoint access disabled",
            WHY,
            "cluster.endpoint_private = true",
            ["CIS 5.4.2", "P:eks_cluster_private_nodes_enabled"],
            desired = true,
            live = true,
            private_endpoint
        ),
        check!(
            "EKS-NET-004",
            High,
            "Private subnet has a route to an internet gateway",
            WHY,
            "[network]: private subnets egress through nat = \"per-az\", \"single\", or endpoints",
            ["BPG hosts (private subnets)"],
            desired = true,
            live = true,
            private_subnet_internet_route
        ),
        check!(
            "EKS-NET-005",
            Medium,
            "Subnet assigns public IPv4 addresses on launch",
            WHY,
            "network.map_public_ip = false",
            [
                "CKV_AWS_130",
                "AVD-AWS-0164",
                "P:vpc_subnet_no_public_ip_by_default"
            ],
            desired = true,
            live = true,
            subnet_public_ip
        ),
        check!(
            "EKS-NET-006",
            Critical,
            "SSH open to the internet",
            WHY,
            "delete the rule; access.ssm_only = true",
            [
                "CKV_AWS_24",
                "AVD-AWS-0107",
                "P:ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
            ],
            desired = true,
            live = true,
            ssh_from_internet
        ),
        check!(
            "EKS-NET-007",
            Critical,
            "All ports open to the internet",
            WHY,
            "allow only 443 (control plane), 10250 and node-to-node",
            ["CKV_AWS_277"],
            desired = true,
            live = true,
            all_ports_from_internet
        ),
        check!(
            "EKS-NET-008",
            Medium,
            "VPC flow logs off",
            WHY,
            "turn on VPC flow logs: `network.flow_logs = true` (all traffic to a CloudWatch log group eksforge creates)",
            ["CKV2_AWS_11", "AVD-AWS-0178", "P:vpc_flow_logs_enabled"],
            desired = true,
            live = true,
            flow_logs
        ),
        check!(
            "EKS-NET-009",
            Medium,
            "NAT-less VPC lacks the endpoints nodes need",
            WHY,
            "set nat = \"per-az\" (eksforge does not create VPC endpoints yet)",
            ["BPG image (ECR private endpoints)"],
            desired = true,
            live = true,
            endpoints
        ),
        check!(
            "EKS-NET-010",
            Low,
            "VPC default security group has rules",
            WHY,
            "remove the rules (eksforge does so on adopt)",
            ["CKV2_AWS_12", "AVD-AWS-0173"],
            desired = true,
            live = true,
            default_group_rules
        ),
    ];

fn public_endpoint(p: &Posture) -> Vec<Evaluation> {
    p.cluster
        .iter()
        .map(|c| {
            Evaluation::check(
                &c.subject.at("cluster.endpoint_public"),
                !c.endpoint_public,
                "the API endpoint is public (its exposure is judged by EKS-NET-002)",
            )
        })
        .collect()
}

fn public_endpoint_open(p: &Posture) -> Vec<Evaluation> {
    p.cluster
        .iter()
        .map(|c| {
            let open = c.public_access_cidrs.is_empty()
                || c.public_access_cidrs
                    .iter()
                    .any(|cidr| cidr == "0.0.0.0/0" || cidr == "::/0");
            let detail = if c.public_access_cidrs.is_empty() {
                "public endpoint with no public_access_cidrs: EKS applies 0.0.0.0/0".to_string()
            } else {
                format!(
                    "public_access_cidrs holds {}",
                    c.public_access_cidrs.join(", ")
                )
            };
            Evaluation::check(
                &c.subject.at("cluster.public_access_cidrs"),
                !(c.endpoint_public && open),
                detail,
            )
        })
        .collect()
}

fn private_endpoint(p: &Posture) -> Vec<Evaluation> {
    p.cluster
        .iter()
        .map(|c| {
            Evaluation::check(
                &c.subject.at("cluster.endpoint_private"),
                c.endpoint_private,
                "endpoint_private is false: nodes reach the API through the internet",
            )
        })
        .collect()
}

fn private_subnet_internet_route(p: &Posture) -> Vec<Evaluation> {
    let Some(network) = &p.network else {
        return Vec::new();
    };
    network
        .subnets
        .iter()
        .filter(|s| s.private)
        .map(|s| {
            Evaluation::check(
                &s.subject.at("network.nat"),
                s.internet_route.is_none(),
                format!(
                    "its route table sends the default route to {}",
                    s.internet_route.as_deref().unwrap_or("")
                ),
            )
        })
        .collect()
}

fn subnet_public_ip(p: &Posture) -> Vec<Evaluation> {
    let Some(network) = &p.network else {
        return Vec::new();
    };
    network
        .subnets
        .iter()
        .map(|s| {
            Evaluation::check(
                &s.subject.at("network.map_public_ip"),
                !s.map_public_ip_on_launch,
                "MapPublicIpOnLaunch is true",
            )
        })
        .collect()
}

/// One evaluation per security group: the rules `bad` picks, as the detail.
fn group_rules(p: &Posture, bad: fn(&RuleView) -> bool, what: &str) -> Vec<Evaluation> {
    p.security_groups
        .iter()
        .map(|group: &SecurityGroupView| {
            let offending: Vec<&RuleView> = group.ingress.iter().filter(|r| bad(r)).collect();
            let subject = offending
                .first()
                .map(|r| &r.subject)
                .unwrap_or(&group.subject);
            let subject = if subject.key.is_some() {
                subject.clone()
            } else {
                group.subject.clone()
            };
            let rules: Vec<String> = offending.iter().map(|r| describe_rule(r)).collect();
            Evaluation::check(
                &subject,
                offending.is_empty(),
                format!("{what}: {}", rules.join("; ")),
            )
        })
        .collect()
}

pub(super) fn describe_rule(rule: &RuleView) -> String {
    let ports = match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) if from == to => from.to_string(),
        (Some(from), Some(to)) => format!("{from}-{to}"),
        _ => "all ports".to_string(),
    };
    let sources: Vec<&str> = rule
        .cidrs
        .iter()
        .chain(&rule.source_groups)
        .map(String::as_str)
        .collect();
    format!(
        "{} {ports} from {} ({})",
        rule.protocol,
        sources.join(", "),
        rule.subject.resource
    )
}

fn ssh_from_internet(p: &Posture) -> Vec<Evaluation> {
    group_rules(
        p,
        |r| r.covers_tcp_port(22) && r.from_anywhere(),
        "admits SSH from the internet",
    )
}

fn all_ports_from_internet(p: &Posture) -> Vec<Evaluation> {
    group_rules(
        p,
        |r| {
            let all = r.protocol == "-1"
                || r.protocol == "all"
                || (r.from_port == Some(0) && r.to_port == Some(65535));
            all && r.from_anywhere()
        },
        "admits all traffic from the internet",
    )
}

fn flow_logs(p: &Posture) -> Vec<Evaluation> {
    let Some(network) = &p.network else {
        return Vec::new();
    };
    let subject = network.subject.at("network.flow_logs");
    vec![match &network.flow_logs {
        Fact::Known(on) => Evaluation::check(&subject, *on, "no active flow log on the VPC"),
        Fact::Unknown(why) => Evaluation::not_evaluated(&subject, why),
    }]
}

fn endpoints(p: &Posture) -> Vec<Evaluation> {
    let Some(network) = &p.network else {
        return Vec::new();
    };
    let subject = network.subject.at("network.endpoints");
    vec![match (&network.nat, &network.endpoints) {
        (Fact::Known(true), _) => Evaluation::pass(&subject),
        (Fact::Known(false), Fact::Known(have)) => {
            let missing: Vec<&str> = NODE_ENDPOINT_SERVICES
                .iter()
                .copied()
                .filter(|needed| !have.iter().any(|h| h == needed))
                .collect();
            Evaluation::check(
                &subject,
                missing.is_empty(),
                format!("no NAT and no endpoint for {}", missing.join(", ")),
            )
        }
        (Fact::Unknown(why), _) | (_, Fact::Unknown(why)) => {
            Evaluation::not_evaluated(&subject, why)
        }
    }]
}

fn default_group_rules(p: &Posture) -> Vec<Evaluation> {
    let Some(network) = &p.network else {
        return Vec::new();
    };
    match &network.default_sg_has_rules {
        None => Vec::new(),
        Some(Fact::Known(has)) => vec![Evaluation::check(
            &network.subject,
            !has,
            "the default security group has ingress or egress rules",
        )],
        Some(Fact::Unknown(why)) => vec![Evaluation::not_evaluated(&network.subject, why)],
    }
}

#[cfg(test)]
mod tests {
    use crate::audit::view::{Fact, RuleView, Subject};

    fn open_rule(protocol: &str, from: Option<i32>, to: Option<i32>) -> RuleView {
        RuleView {
            subject: Subject::new("security_group_rule.extra").with_key("security_rules[0]"),
            protocol: protocol.into(),
            from_port: from,
            to_port: to,
            cidrs: vec!["0.0.0.0/0".into()],
            source_groups: vec![],
        }
    }

    case!(net_001, "EKS-NET-001", [Desired, Live], |p| p
        .cluster
        .as_mut()
        .unwrap()
        .endpoint_public =
        true);
    case!(net_002_open_to_all, "EKS-NET-002", [Desired, Live], |p| {
        let c = p.cluster.as_mut().unwrap();
        c.endpoint_public = true;
        c.public_access_cidrs = vec!["0.0.0.0/0".into()];
    });
    case!(
        net_002_empty_means_everyone,
        "EKS-NET-002",
        [Desired, Live],
        |p| p.cluster.as_mut().unwrap().endpoint_public = true
    );
    case!(net_002_ipv6, "EKS-NET-002", [Live], |p| {
        let c = p.cluster.as_mut().unwrap();
        c.endpoint_public = true;
        c.public_access_cidrs = vec!["203.0.113.0/24".into(), "::/0".into()];
    });
    case!(net_003, "EKS-NET-003", [Desired, Live], |p| p
        .cluster
        .as_mut()
        .unwrap()
        .endpoint_private =
        false);
    case!(net_004, "EKS-NET-004", [Desired, Live], |p| p
        .network
        .as_mut()
        .unwrap()
        .subnets[0]
        .internet_route =
        Some("igw-1".into()));
    case!(net_005, "EKS-NET-005", [Desired, Live], |p| p
        .network
        .as_mut()
        .unwrap()
        .subnets[4]
        .map_public_ip_on_launch =
        true);
    case!(net_006, "EKS-NET-006", [Desired, Live], |p| p
        .security_groups[1]
        .ingress
        .push(open_rule("tcp", Some(22), Some(22))));
    case!(net_006_range, "EKS-NET-006", [Live], |p| p.security_groups
        [0]
    .ingress
    .push(open_rule("tcp", Some(0), Some(1024))));
    case!(net_007, "EKS-NET-007", [Desired, Live], |p| p
        .security_groups[0]
        .ingress
        .push(open_rule("-1", None, None)));
    case!(net_008, "EKS-NET-008", [Desired, Live], |p| p
        .network
        .as_mut()
        .unwrap()
        .flow_logs =
        Fact::Known(false));
    case!(net_009, "EKS-NET-009", [Desired, Live], |p| {
        let n = p.network.as_mut().unwrap();
        n.nat = Fact::Known(false);
        n.endpoints = Fact::Known(vec!["s3".into(), "sts".into()]);
    });
    case!(net_010, "EKS-NET-010", [Live], |p| p
        .network
        .as_mut()
        .unwrap()
        .default_sg_has_rules =
        Some(Fact::Known(true)));

    #[test]
    fn unknown_inputs_are_not_evaluated() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Live);
        p.network.as_mut().unwrap().flow_logs =
            Fact::unknown("AccessDenied on ec2:DescribeFlowLogs");
        let result = crate::audit::checks::testing::run("EKS-NET-008", &p);
        assert!(matches!(
            result[0].outcome,
            crate::audit::Outcome::NotEvaluated(_)
        ));
    }

    #[test]
    fn ssh_from_a_named_group_is_not_the_internet() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Desired);
        let mut rule = open_rule("tcp", Some(22), Some(22));
        rule.cidrs.clear();
        rule.source_groups.push("sg-bastion".into());
        p.security_groups[1].ingress.push(rule);
        assert!(crate::audit::checks::testing::run("EKS-NET-006", &p)
            .iter()
            .all(|e| !e.is_fail()));
    }
}
