//! `[network]`: the VPC range, the AZs, NAT, explicit subnets, the flow log options and the
//! declared endpoints.

use std::collections::BTreeMap;

use super::formats::{is_policy_document, looks_like_region};
use super::suggest::nearest_allowed;
use super::{Checker, POSTURE_KEY};
use crate::blueprint::cidr::{subnet_layout, CidrError, Ipv4Cidr, MIN_SUBNET_PREFIX};
use crate::blueprint::limits::{
    AZ_COUNT, ENDPOINT_SERVICES, FLOW_LOG_FIELDS, LOG_RETENTION_DAYS, MAX_ENDPOINT_POLICY_LEN,
    NODE_ENDPOINT_SERVICES, VPC_PREFIX,
};
use crate::blueprint::model::{AzSpec, Blueprint, FlowLogDestination, FlowLogs, NatMode};

impl Checker<'_> {
    pub(super) fn network(&mut self, model: &Blueprint) {
        let network = &model.network;
        let region = model.blueprint.region.as_deref();

        // vpc_cidr
        let vpc = match Ipv4Cidr::parse_with_host_bits(&network.vpc_cidr) {
            Err(e) => {
                self.report(
                    "eksforge::blueprint::vpc_cidr",
                    "network.vpc_cidr",
                    e.to_string(),
                    "not an IPv4 CIDR",
                    "write the VPC range as address/prefix, e.g. \"10.40.0.0/16\"".to_string(),
                );
                None
            }
            Ok(cidr) if cidr.has_host_bits() => {
                self.report(
                    "eksforge::blueprint::vpc_cidr",
                    "network.vpc_cidr",
                    format!("vpc_cidr \"{}\" has host bits set", network.vpc_cidr),
                    "host bits set",
                    format!("did you mean \"{}\"?", cidr.network()),
                );
                None
            }
            Ok(cidr) if !VPC_PREFIX.contains(&cidr.prefix) => {
                self.report(
                    "eksforge::blueprint::vpc_cidr",
                    "network.vpc_cidr",
                    format!(
                        "vpc_cidr \"{}\" is a /{}; eksforge needs a /{} to /{}",
                        network.vpc_cidr,
                        cidr.prefix,
                        VPC_PREFIX.start(),
                        VPC_PREFIX.end()
                    ),
                    "prefix out of range",
                    "AWS allows VPCs from /16 (65,536 addresses) to /28; eksforge needs at least a /24 to carve subnets in every AZ: use e.g. \"10.40.0.0/16\"".to_string(),
                );
                None
            }
            Ok(cidr) => Some(cidr),
        };

        // azs
        let az_count = match &network.azs {
            AzSpec::Count(n) => {
                let n = *n as usize;
                if !AZ_COUNT.contains(&n) {
                    self.report(
                        "eksforge::blueprint::azs",
                        "network.azs",
                        format!(
                            "azs = {n}: a cluster needs {} to {} availability zones",
                            AZ_COUNT.start(),
                            AZ_COUNT.end()
                        ),
                        "out of range",
                        "use `azs = 3` (the default): EKS needs subnets in at least 2 AZs, and 3 survive the loss of one".to_string(),
                    );
                    None
                } else {
                    Some(n)
                }
            }
            AzSpec::Names(names) => self.az_names(names, region),
        };

        // nat needs public subnets
        if network.nat != NatMode::None && !network.public_subnets {
            let nat = match network.nat {
                NatMode::PerAz => "per-az",
                NatMode::Single => "single",
                NatMode::None => "none",
            };
            self.report_pair("eksforge::blueprint::nat", ("network.nat", "needs public subnets"), ("network.public_subnets", "public subnets turned off here"), format!("nat = \"{nat}\" needs public subnets, but public_subnets = false"), "NAT gateways live in public subnets: set `public_subnets = true`, or `nat = \"none\"` when VPC endpoints serve ECR, S3, STS, logs and SSM".to_string());
        }

        // subnets
        let explicit =
            network.private_subnet_cidrs.is_some() || network.public_subnet_cidrs.is_some();
        if explicit {
            self.explicit_subnets(model, vpc, az_count);
        } else if let (Some(vpc), Some(az_count)) = (vpc, az_count) {
            match subnet_layout(network, az_count) {
                Ok(_) => {}
                Err(e @ CidrError::TooSmall { .. }) => self.report(
                    "eksforge::blueprint::carve",
                    "network.vpc_cidr",
                    e.to_string(),
                    "too small",
                    format!(
                        "{vpc} has {} addresses; give a larger vpc_cidr, fewer AZs, or explicit private_subnet_cidrs/public_subnet_cidrs",
                        vpc.size()
                    ),
                ),
                Err(e) => self.report(
                    "eksforge::blueprint::carve",
                    "network",
                    format!("cannot lay out subnets: {e}"),
                    "here",
                    "check vpc_cidr and azs".to_string(),
                ),
            }
        }
    }

    fn az_names(&mut self, names: &[String], region: Option<&str>) -> Option<usize> {
        let mut ok = true;
        if !AZ_COUNT.contains(&names.len()) {
            self.report(
                "eksforge::blueprint::azs",
                "network.azs",
                format!(
                    "azs lists {} availability zone{}; a cluster needs {} to {}",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    AZ_COUNT.start(),
                    AZ_COUNT.end()
                ),
                "out of range",
                format!("list {} to {} distinct AZs of the region, e.g. [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]", AZ_COUNT.start(), AZ_COUNT.end()),
            );
            ok = false;
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            let path = format!("network.azs[{i}]");
            if let Some(first) = seen.get(name.as_str()) {
                self.report_pair(
                    "eksforge::blueprint::azs",
                    (&path, "listed again"),
                    (&format!("network.azs[{first}]"), "first listed here"),
                    format!("availability zone \"{name}\" is listed twice"),
                    "list each AZ once".to_string(),
                );
                ok = false;
                continue;
            }
            seen.insert(name, i);
            let (zone_region, letter) = name.split_at(name.len().saturating_sub(1));
            let valid_shape =
                letter.bytes().all(|b| b.is_ascii_lowercase()) && looks_like_region(zone_region);
            let problem = match region {
                Some(region) if zone_region != region || !valid_shape => Some(format!(
                    "\"{name}\" is not an availability zone of {region}"
                )),
                None if !valid_shape => {
                    Some(format!("\"{name}\" is not an availability zone name"))
                }
                _ => None,
            };
            if let Some(message) = problem {
                let example = region.unwrap_or("eu-west-1");
                self.report(
                    "eksforge::blueprint::azs",
                    &path,
                    message,
                    "not an AZ name",
                    format!(
                        "an AZ name is the region followed by a letter, e.g. \"{example}a\"; or give a count (`azs = 3`) and let eksforge pick"
                    ),
                );
                ok = false;
            }
        }
        ok.then_some(names.len())
    }

    fn explicit_subnets(
        &mut self,
        model: &Blueprint,
        vpc: Option<Ipv4Cidr>,
        az_count: Option<usize>,
    ) {
        let network = &model.network;
        if network.public_subnet_cidrs.is_some() && !network.public_subnets {
            self.report_pair(
                "eksforge::blueprint::subnet_cidrs",
                ("network.public_subnet_cidrs", "public subnets given"),
                ("network.public_subnets", "but turned off here"),
                "public_subnet_cidrs is given but public_subnets = false".to_string(),
                "remove public_subnet_cidrs, or set public_subnets = true".to_string(),
            );
        }
        let lists: [(&str, &Option<Vec<String>>); 2] = [
            ("private_subnet_cidrs", &network.private_subnet_cidrs),
            ("public_subnet_cidrs", &network.public_subnet_cidrs),
        ];
        if network.public_subnets {
            for ((given, list), (missing, other)) in [(lists[0], lists[1]), (lists[1], lists[0])] {
                if list.is_some() && other.is_none() {
                    self.report(
                        "eksforge::blueprint::subnet_cidrs",
                        &format!("network.{given}"),
                        format!("{given} is given but {missing} is not"),
                        "only one list",
                        format!("give {missing} too (one CIDR per AZ), or neither list to let eksforge carve both"),
                    );
                }
            }
        }
        let mut parsed: Vec<(String, Ipv4Cidr)> = Vec::new();
        for (name, list) in lists {
            let Some(list) = list else { continue };
            if name == "public_subnet_cidrs" && !network.public_subnets {
                continue;
            }
            if let Some(az_count) = az_count {
                if list.len() != az_count {
                    self.report(
                        "eksforge::blueprint::subnet_cidrs",
                        &format!("network.{name}"),
                        format!(
                            "{name} has {} entries but there are {az_count} AZs",
                            list.len()
                        ),
                        "wrong count",
                        "give one CIDR per AZ, in AZ order".to_string(),
                    );
                }
            }
            for (i, text) in list.iter().enumerate() {
                let path = format!("network.{name}[{i}]");
                let subnet = match Ipv4Cidr::parse(text) {
                    Ok(subnet) => subnet,
                    Err(e) => {
                        let help = match &e {
                            CidrError::HostBits { network, .. } => {
                                format!("did you mean \"{network}\"?")
                            }
                            _ => "write a subnet as address/prefix, e.g. \"10.40.0.0/20\""
                                .to_string(),
                        };
                        self.report(
                            "eksforge::blueprint::subnet_cidrs",
                            &path,
                            e.to_string(),
                            "invalid subnet",
                            help,
                        );
                        continue;
                    }
                };
                if let Some(vpc) = vpc {
                    if !vpc.contains(&subnet) {
                        self.report(
                            "eksforge::blueprint::subnet_cidrs",
                            &path,
                            format!("subnet {subnet} is not inside vpc_cidr {vpc}"),
                            "outside the VPC",
                            format!(
                                "every subnet must lie within {vpc} ({} – {})",
                                addr(vpc.first()),
                                addr(vpc.last())
                            ),
                        );
                        continue;
                    }
                }
                if subnet.prefix > MIN_SUBNET_PREFIX {
                    self.report(
                        "eksforge::blueprint::subnet_cidrs",
                        &path,
                        format!("subnet {subnet} is smaller than /{MIN_SUBNET_PREFIX}, the smallest subnet AWS allows"),
                        "too small",
                        "use a /28 or larger (nodes and pods take addresses from private subnets: prefer /20 or larger)".to_string(),
                    );
                    continue;
                }
                if let Some((first_path, first)) = parsed.iter().find(|(_, p)| p.overlaps(&subnet))
                {
                    self.report_pair(
                        "eksforge::blueprint::subnet_cidrs",
                        (&path, "overlaps"),
                        (&first_path.clone(), "overlapped subnet"),
                        format!("subnet {subnet} overlaps {first}"),
                        "subnets of one VPC must not overlap; pick disjoint ranges".to_string(),
                    );
                    continue;
                }
                parsed.push((path, subnet));
            }
        }
    }

    /// The table form of `network.flow_logs`: a destination eksforge can write to, a retention
    /// period CloudWatch Logs accepts (and only where it means something), a record format of
    /// known `${field}`s.
    pub(super) fn flow_logs(&mut self, model: &Blueprint) {
        let FlowLogs::Options(options) = &model.network.flow_logs else {
            return;
        };
        let destination = match options.parsed_destination() {
            Ok(destination) => Some(destination),
            Err(reason) => {
                self.report(
                    "eksforge::blueprint::flow_logs",
                    "network.flow_logs.destination",
                    format!("network.flow_logs.destination: {reason}"),
                    "not a destination",
                    "use \"cloudwatch\" (the default: a log group eksforge creates) or \"s3://bucket/prefix\" (an existing bucket)".to_string(),
                );
                None
            }
        };
        if let Some(days) = options.retention_days {
            if matches!(destination, Some(FlowLogDestination::S3 { .. })) {
                self.report(
                    "eksforge::blueprint::flow_logs",
                    "network.flow_logs.retention_days",
                    "network.flow_logs.retention_days applies to the CloudWatch destination only".to_string(),
                    "not used with S3",
                    "remove the key and keep the objects with the bucket's lifecycle rules, or send flow logs to \"cloudwatch\"".to_string(),
                );
            } else if !LOG_RETENTION_DAYS.contains(&days) {
                self.report(
                    "eksforge::blueprint::flow_logs",
                    "network.flow_logs.retention_days",
                    format!("network.flow_logs.retention_days = {days} is not a retention period CloudWatch Logs accepts"),
                    "not an allowed value",
                    format!(
                        "{}; CloudWatch accepts {}",
                        nearest_allowed(days, &LOG_RETENTION_DAYS),
                        LOG_RETENTION_DAYS.map(|d| d.to_string()).join(", ")
                    ),
                );
            }
        }
        if let Some(format) = &options.format {
            if let Some(reason) = flow_log_format_problem(format) {
                self.report(
                    "eksforge::blueprint::flow_logs",
                    "network.flow_logs.format",
                    format!("network.flow_logs.format: {reason}"),
                    "not a flow log format",
                    format!(
                        "write fields as `${{field}}` separated by single spaces, e.g. \"{}\"; the fields are {}",
                        "${srcaddr} ${dstaddr} ${action}",
                        FLOW_LOG_FIELDS.join(", ")
                    ),
                );
            }
        }
    }

    /// Only endpoint services eksforge knows.
    pub(super) fn endpoints(&mut self, model: &Blueprint) {
        let network = &model.network;
        for (i, service) in network.endpoints.iter().enumerate() {
            if !ENDPOINT_SERVICES.contains(&service.as_str()) {
                self.report(
                    POSTURE_KEY,
                    &format!("network.endpoints[{i}]"),
                    format!("\"{service}\" is not a VPC endpoint service eksforge knows"),
                    "unknown service",
                    format!("use one of {}", ENDPOINT_SERVICES.join(", ")),
                );
            }
        }
        if network.nat == NatMode::None {
            self.nat_less_endpoints(model);
        }
        self.endpoint_policies(model);
    }

    /// Each policy for an endpoint that is listed, a JSON policy document EC2 takes.
    fn endpoint_policies(&mut self, model: &Blueprint) {
        let network = &model.network;
        for (service, text) in &network.endpoint_policies {
            // Quoted: service names hold dots (`"ecr.api"`).
            let key = format!("network.endpoint_policies.\"{service}\"");
            if !network.endpoints.contains(service) {
                self.report(
                    POSTURE_KEY,
                    &key,
                    format!("a policy for the \"{service}\" endpoint, which network.endpoints does not list"),
                    "no such endpoint",
                    format!("add \"{service}\" to network.endpoints, or remove its policy"),
                );
            } else if !is_policy_document(text) {
                self.report(
                    POSTURE_KEY,
                    &key,
                    format!("the \"{service}\" endpoint policy is not a JSON policy document"),
                    "not a policy",
                    "write '{\"Version\":\"2012-10-17\",\"Statement\":[...]}'".to_string(),
                );
            } else if text.chars().count() > MAX_ENDPOINT_POLICY_LEN {
                self.report(
                    POSTURE_KEY,
                    &key,
                    format!(
                        "the \"{service}\" endpoint policy is {} characters; EC2 takes at most {MAX_ENDPOINT_POLICY_LEN}",
                        text.chars().count()
                    ),
                    "too long",
                    "shorten it: merge statements, use wildcards in resource names".to_string(),
                );
            }
        }
    }

    /// `nat = "none"`: nodes reach AWS only through VPC endpoints, so every service they need
    /// to join, pull images, run the VPC CNI and Pod Identity, and be reached through SSM must
    /// be listed; a missing one leaves nodes that never become Ready (or cannot be reached).
    fn nat_less_endpoints(&mut self, model: &Blueprint) {
        let listed = &model.network.endpoints;
        let missing: Vec<&str> = NODE_ENDPOINT_SERVICES
            .iter()
            .copied()
            .filter(|needed| !listed.iter().any(|service| service == needed))
            .collect();
        if missing.is_empty() {
            return;
        }
        let written = self.loaded.locate_span("network.endpoints").is_some();
        let (here, there) = if written {
            (
                ("network.endpoints", "services missing here"),
                ("network.nat", "no NAT gateway here"),
            )
        } else {
            (
                ("network.nat", "no NAT gateway here"),
                ("network.endpoints", "no endpoints listed"),
            )
        };
        self.report_pair(
            "eksforge::blueprint::nat",
            here,
            there,
            format!(
                "nat = \"none\" leaves nodes without a way to {}: network.endpoints lacks {}",
                "reach ECR, S3, STS, EC2, SSM and EKS Auth",
                missing
                    .iter()
                    .map(|service| format!("\"{service}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "add {} to network.endpoints (nodes, the VPC CNI, Bottlerocket and SSM use them), or keep a NAT gateway (`nat = \"single\"`)",
                missing.join(", ")
            ),
        );
    }
}

fn addr(a: u32) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::from(a)
}

/// Why `format` is not a flow log record format, if it is not: one or more known `${field}`s,
/// separated by single spaces, each field once.
pub(crate) fn flow_log_format_problem(format: &str) -> Option<String> {
    if format.is_empty() {
        return Some("it is empty; name at least one field".to_string());
    }
    let mut seen = Vec::new();
    for token in format.split(' ') {
        let Some(field) = token.strip_prefix("${").and_then(|t| t.strip_suffix('}')) else {
            return Some(format!("`{token}` is not a `${{field}}` token"));
        };
        if !FLOW_LOG_FIELDS.contains(&field) {
            return Some(format!("`{field}` is not a flow log field"));
        }
        if seen.contains(&field) {
            return Some(format!("`{field}` is named twice"));
        }
        seen.push(field);
    }
    None
}

#[cfg(test)]
mod flow_log_format_tests {
    use super::flow_log_format_problem;

    #[test]
    fn formats_are_known_fields_separated_by_single_spaces() {
        assert_eq!(
            flow_log_format_problem("${srcaddr} ${dstaddr} ${action}"),
            None
        );
        assert!(flow_log_format_problem("").is_some());
        assert!(flow_log_format_problem("${srcaddr}  ${dstaddr}").is_some());
        assert!(flow_log_format_problem("$srcaddr").is_some());
        assert!(flow_log_format_problem("${nope}").is_some());
        assert!(flow_log_format_problem("${action} ${action}").is_some());
    }
}

#[cfg(test)]
mod nat_less_tests {

    const BASE: &str =
        "[blueprint]\nname = \"private\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\nnat = \"none\"\n";

    /// Each problem's message and line.
    fn problems(extra: &str) -> Vec<(String, Option<usize>)> {
        super::super::problems_and_lines("private.toml", &format!("{BASE}{extra}"))
    }

    #[test]
    fn no_nat_with_every_node_endpoint_is_valid() {
        let listed = r#"endpoints = ["ecr.api", "ecr.dkr", "s3", "sts", "ec2", "ssm", "ssmmessages", "ec2messages", "eks-auth"]"#;
        assert_eq!(problems(&format!("{listed}\n")), []);
    }

    #[test]
    fn no_nat_names_the_missing_endpoints_where_they_are_listed() {
        let found = problems("endpoints = [\"ecr.api\", \"ecr.dkr\", \"s3\", \"sts\", \"ec2\", \"ssm\", \"eks-auth\"]\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .0
                .contains("lacks \"ssmmessages\", \"ec2messages\""),
            "{found:?}"
        );
        assert_eq!(found[0].1, Some(6));
    }

    #[test]
    fn endpoint_policies_must_be_policy_documents_within_ec2s_limit() {
        let listed = r#"endpoints = ["ecr.api", "ecr.dkr", "s3", "sts", "ec2", "ssm", "ssmmessages", "ec2messages", "eks-auth"]"#;
        let found = problems(&format!(
            "{listed}\n[network.endpoint_policies]\n\"ecr.api\" = 'allow all'\n"
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].0.contains("not a JSON policy document"),
            "{found:?}"
        );
        assert_eq!(found[0].1, Some(8));
        let long = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Sid":"{}"}}]}}"#,
            "x".repeat(20_480)
        );
        let found = problems(&format!(
            "{listed}\n[network.endpoint_policies]\ns3 = '{long}'\n"
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].0.contains("EC2 takes at most 20480"), "{found:?}");
    }

    #[test]
    fn no_nat_without_endpoints_points_at_nat() {
        let found = problems("");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, Some(5));
    }
}
