//! The rules a blueprint must follow, checked offline before any AWS call. Every broken rule is
//! a [`Problem`] at the key or value that breaks it, with a help naming the fix; all are
//! reported at once.

use std::collections::BTreeMap;
use std::ops::Range;

use super::cidr::{subnet_layout, CidrError, Ipv4Cidr, MIN_SUBNET_PREFIX};
use super::error::{did_you_mean, Problem};
use super::loader::LoadedBlueprint;
use super::model::{AzSpec, Blueprint, NatMode, StateBackendKind};
use super::source::SourceId;

/// The five EKS control-plane log types.
pub const LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// VPC endpoint services `network.endpoints` may name (the suffix of
/// `com.amazonaws.<region>.<service>`).
pub const ENDPOINT_SERVICES: [&str; 12] = [
    "ecr.api",
    "ecr.dkr",
    "s3",
    "sts",
    "logs",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "ec2",
    "kms",
    "elasticloadbalancing",
    "autoscaling",
];

/// Longest blueprint name: it prefixes every resource name, and AWS caps some at 63–64.
pub const MAX_NAME_LEN: usize = 40;
/// Longest node group name (it follows the blueprint name in derived names).
pub const MAX_NODE_GROUP_NAME_LEN: usize = 32;

/// Every rule `loaded` breaks (empty when it is valid).
pub fn validate(loaded: &LoadedBlueprint) -> Vec<Problem> {
    let mut checker = Checker {
        loaded,
        problems: Vec::new(),
    };
    let model = &loaded.model;
    checker.meta(model);
    checker.state(model);
    checker.network(model);
    checker.cluster(model);
    checker.encryption(model);
    checker.node_groups(model);
    checker.irsa(model);
    checker.posture_keys(model);
    checker.waivers(model);
    checker.problems
}

struct Checker<'a> {
    loaded: &'a LoadedBlueprint,
    problems: Vec<Problem>,
}

/// What a problem is about: a value (`network.vpc_cidr`) or a key (`blueprint.tags."aws:x"`).
enum Target<'p> {
    Value(&'p str),
    Key(&'p str),
}

impl Checker<'_> {
    /// Where `target` was written; a default (not written) falls back to the nearest enclosing
    /// section that was, then to the top of the file.
    fn place(&self, target: &Target<'_>) -> Option<(SourceId, Range<usize>)> {
        let (mut path, key) = match target {
            Target::Value(p) => (*p, false),
            Target::Key(p) => (*p, true),
        };
        if key {
            if let Some(found) = self.loaded.locate_key(path) {
                return Some(found);
            }
        }
        loop {
            if let Some(found) = self.loaded.locate_span(path) {
                return Some(found);
            }
            match path.rfind(['.', '[']) {
                Some(i) => path = &path[..i],
                None => return Some((self.loaded.root.src, 0..0)),
            }
        }
    }

    fn problem(
        &self,
        code: &'static str,
        target: Target<'_>,
        message: String,
        label: &str,
        help: String,
    ) -> Problem {
        let problem = Problem::new(code, message);
        let problem = match self.place(&target) {
            Some((src, span)) => problem.at(&self.loaded.sources, src, span, label),
            None => problem,
        };
        problem.with_help(help)
    }

    fn report(
        &mut self,
        code: &'static str,
        path: &str,
        message: String,
        label: &str,
        help: String,
    ) {
        let problem = self.problem(code, Target::Value(path), message, label, help);
        self.problems.push(problem);
    }

    /// A problem at `path` that also points at `other` (the first of a duplicate, the other
    /// side of a comparison), as a second label when both are in the same file, else in the help.
    fn report_pair(
        &mut self,
        code: &'static str,
        (path, label): (&str, &str),
        (other, other_label): (&str, &str),
        message: String,
        help: String,
    ) {
        let here = self.place(&Target::Value(path));
        let there = self.place(&Target::Value(other));
        let problem = Problem::new(code, message);
        let problem = match (here, there) {
            (Some((src, span)), Some((other_src, other_span))) if src == other_src => problem
                .at(&self.loaded.sources, src, span, label)
                .at(&self.loaded.sources, src, other_span, other_label)
                .with_help(help),
            (Some((src, span)), there) => {
                let problem = problem.at(&self.loaded.sources, src, span, label);
                match there {
                    Some((other_src, other_span)) => {
                        let at = self.loaded.sources.location(other_src, other_span);
                        problem.with_help(format!("{help} ({other_label}: {at})"))
                    }
                    None => problem.with_help(help),
                }
            }
            (None, _) => problem.with_help(help),
        };
        self.problems.push(problem);
    }

    fn meta(&mut self, model: &Blueprint) {
        let meta = &model.blueprint;
        if let Some(reason) = name_rule(&meta.name, MAX_NAME_LEN) {
            self.report(
                "eksforge::blueprint::name",
                "blueprint.name",
                format!("invalid blueprint name \"{}\": {reason}", meta.name),
                "invalid name",
                name_help(&meta.name, MAX_NAME_LEN, "it names and tags every resource"),
            );
        }
        if let Some(region) = &meta.region {
            if !looks_like_region(region) {
                self.report(
                    "eksforge::blueprint::region",
                    "blueprint.region",
                    format!("\"{region}\" is not an AWS region code"),
                    "not a region",
                    "use a region code such as \"eu-west-1\" or \"us-east-2\" (not a name like \"Ireland\" nor an AZ like \"eu-west-1a\")".to_string(),
                );
            }
        }
        for (key, value) in &meta.tags {
            let path = format!("blueprint.tags.{key}");
            // A key with dots cannot be found by path: fall back to the tags table.
            let key_target = if key.contains(['.', '[']) {
                "blueprint.tags".to_string()
            } else {
                path.clone()
            };
            let lower = key.to_ascii_lowercase();
            let key_problem = if key.is_empty() {
                Some("a tag key cannot be empty".to_string())
            } else if key.chars().count() > 128 {
                Some(format!(
                    "tag key is {} characters long; AWS allows at most 128",
                    key.chars().count()
                ))
            } else if lower.starts_with("aws:") {
                Some("tag keys starting with `aws:` are reserved for AWS".to_string())
            } else if lower.starts_with("eksforge:") {
                Some(
                    "tag keys starting with `eksforge:` are reserved for eksforge's own tags"
                        .to_string(),
                )
            } else {
                None
            };
            if let Some(reason) = key_problem {
                let problem = self.problem(
                    "eksforge::blueprint::tag",
                    Target::Key(&key_target),
                    format!("invalid tag key \"{key}\": {reason}"),
                    "invalid tag key",
                    "use a key of 1–128 characters that does not start with `aws:` or `eksforge:`"
                        .to_string(),
                );
                self.problems.push(problem);
            }
            if value.chars().count() > 256 {
                self.report(
                    "eksforge::blueprint::tag",
                    &key_target,
                    format!(
                        "tag \"{key}\" has a value of {} characters; AWS allows at most 256",
                        value.chars().count()
                    ),
                    "value too long",
                    "shorten the tag value to 256 characters".to_string(),
                );
            }
        }
    }

    fn state(&mut self, model: &Blueprint) {
        if model.state.backend == StateBackendKind::S3 && model.state.bucket.is_none() {
            self.report(
                "eksforge::blueprint::state",
                "state",
                "backend = \"s3\" needs a bucket".to_string(),
                "no `bucket` here",
                "add `bucket = \"…\"` (and optionally `key`, `region`, `kms_key_id`) to [state]"
                    .to_string(),
            );
        }
    }

    fn network(&mut self, model: &Blueprint) {
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
            Ok(cidr) if !(16..=24).contains(&cidr.prefix) => {
                self.report(
                    "eksforge::blueprint::vpc_cidr",
                    "network.vpc_cidr",
                    format!(
                        "vpc_cidr \"{}\" is a /{}; eksforge needs a /16 to /24",
                        network.vpc_cidr, cidr.prefix
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
                if !(2..=6).contains(&n) {
                    self.report(
                        "eksforge::blueprint::azs",
                        "network.azs",
                        format!("azs = {n}: a cluster needs 2 to 6 availability zones"),
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
        if !(2..=6).contains(&names.len()) {
            self.report(
                "eksforge::blueprint::azs",
                "network.azs",
                format!(
                    "azs lists {} availability zone{}; a cluster needs 2 to 6",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" }
                ),
                "out of range",
                "list 2 to 6 distinct AZs of the region, e.g. [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]".to_string(),
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

    fn cluster(&mut self, model: &Blueprint) {
        let Some(cluster) = &model.cluster else {
            return;
        };
        let version_ok = cluster
            .version
            .strip_prefix("1.")
            .is_some_and(|minor| minor.len() == 2 && minor.bytes().all(|b| b.is_ascii_digit()));
        if !version_ok {
            self.report(
                "eksforge::blueprint::cluster_version",
                "cluster.version",
                format!(
                    "\"{}\" is not a Kubernetes version of the form 1.NN",
                    cluster.version
                ),
                "not 1.NN",
                "use a version in EKS standard support, quoted, e.g. version = \"1.34\""
                    .to_string(),
            );
        }
        if !cluster.endpoint_private && !cluster.endpoint_public {
            self.report(
                "eksforge::blueprint::endpoint",
                "cluster.endpoint_private",
                "the cluster API endpoint is neither private nor public".to_string(),
                "private access off",
                "set endpoint_private = true (recommended): nodes and operators inside the VPC reach the API privately".to_string(),
            );
        }
        for (i, text) in cluster.public_access_cidrs.iter().enumerate() {
            if let Err(e) = Ipv4Cidr::parse(text) {
                let help = match &e {
                    CidrError::HostBits { network, .. } => format!("did you mean \"{network}\"?"),
                    _ => "list the networks allowed to reach the public endpoint, e.g. \"203.0.113.0/24\"".to_string(),
                };
                self.report(
                    "eksforge::blueprint::public_access_cidrs",
                    &format!("cluster.public_access_cidrs[{i}]"),
                    e.to_string(),
                    "invalid CIDR",
                    help,
                );
            }
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, log_type) in cluster.logging.iter().enumerate() {
            let path = format!("cluster.logging[{i}]");
            if !LOG_TYPES.contains(&log_type.as_str()) {
                let help = match did_you_mean(log_type, LOG_TYPES) {
                    Some(best) => format!("did you mean \"{best}\"?"),
                    None => format!("the EKS log types are {}", quoted(&LOG_TYPES)),
                };
                self.report(
                    "eksforge::blueprint::logging",
                    &path,
                    format!("\"{log_type}\" is not an EKS control-plane log type"),
                    "unknown log type",
                    help,
                );
            } else if let Some(first) = seen.get(log_type.as_str()) {
                self.report_pair(
                    "eksforge::blueprint::logging",
                    (&path, "listed again"),
                    (&format!("cluster.logging[{first}]"), "first listed here"),
                    format!("log type \"{log_type}\" is listed twice"),
                    "list each log type once".to_string(),
                );
            } else {
                seen.insert(log_type, i);
            }
        }
        let days = cluster.log_retention_days;
        if !LOG_RETENTION_DAYS.contains(&days) {
            let below = LOG_RETENTION_DAYS.iter().rev().find(|d| **d < days);
            let above = LOG_RETENTION_DAYS.iter().find(|d| **d > days);
            let nearest = match (below, above) {
                (Some(b), Some(a)) => format!("the nearest allowed values are {b} and {a}"),
                (None, Some(a)) => format!("the smallest allowed value is {a}"),
                (Some(b), None) => format!("the largest allowed value is {b}"),
                (None, None) => String::new(),
            };
            self.report(
                "eksforge::blueprint::log_retention",
                "cluster.log_retention_days",
                format!(
                    "log_retention_days = {days} is not a retention period CloudWatch Logs accepts"
                ),
                "not an allowed value",
                format!(
                    "{nearest}; CloudWatch accepts {}",
                    LOG_RETENTION_DAYS.map(|d| d.to_string()).join(", ")
                ),
            );
        }
    }

    fn encryption(&mut self, model: &Blueprint) {
        let Some(encryption) = &model.encryption else {
            return;
        };
        let key = &encryption.kms_key;
        let is_arn = key.starts_with("arn:")
            && key.contains(":kms:")
            && (key.contains(":key/") || key.contains(":alias/"));
        if key != "create" && !is_arn {
            self.report(
                "eksforge::blueprint::kms_key",
                "encryption.kms_key",
                format!("kms_key \"{key}\" is neither \"create\" nor a KMS key ARN"),
                "not a key",
                "use \"create\" (a customer-managed key with rotation, made for this cluster) or an existing key's ARN, arn:aws:kms:REGION:ACCOUNT:key/ID".to_string(),
            );
        }
        if !(7..=30).contains(&encryption.deletion_window_days) {
            self.report(
                "eksforge::blueprint::deletion_window",
                "encryption.deletion_window_days",
                format!(
                    "deletion_window_days = {} is outside KMS's 7 to 30 days",
                    encryption.deletion_window_days
                ),
                "out of range",
                "use 30 (the default): the longest window to undo a mistaken destroy".to_string(),
            );
        }
    }

    fn node_groups(&mut self, model: &Blueprint) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, group) in model.node_groups.iter().enumerate() {
            let at = |key: &str| format!("node_groups[{i}].{key}");
            if let Some(reason) = name_rule(&group.name, MAX_NODE_GROUP_NAME_LEN) {
                self.report(
                    "eksforge::blueprint::node_group_name",
                    &at("name"),
                    format!("invalid node group name \"{}\": {reason}", group.name),
                    "invalid name",
                    name_help(
                        &group.name,
                        MAX_NODE_GROUP_NAME_LEN,
                        "it is part of the node group's AWS names",
                    ),
                );
            }
            if let Some(first) = seen.get(group.name.as_str()) {
                self.report_pair(
                    "eksforge::blueprint::duplicate_node_group",
                    (&at("name"), "second node group with this name"),
                    (&format!("node_groups[{first}].name"), "first defined here"),
                    format!("node group \"{}\" is defined twice", group.name),
                    "give every [[node_groups]] a distinct name".to_string(),
                );
            } else {
                seen.insert(&group.name, i);
            }
            if !matches!(group.capacity_type.as_str(), "ON_DEMAND" | "SPOT") {
                self.report(
                    "eksforge::blueprint::capacity_type",
                    &at("capacity_type"),
                    format!(
                        "capacity_type \"{}\" is not ON_DEMAND or SPOT",
                        group.capacity_type
                    ),
                    "unknown capacity type",
                    "use \"ON_DEMAND\" (the default) or \"SPOT\"".to_string(),
                );
            }
            if !(4..=16384).contains(&group.disk_size) {
                self.report(
                    "eksforge::blueprint::disk_size",
                    &at("disk_size"),
                    format!("disk_size = {} GiB is outside 4 to 16384", group.disk_size),
                    "out of range",
                    "use 20 (the default) or more for image-heavy workloads".to_string(),
                );
            }
            if group.max_unavailable < 1 || group.max_unavailable > 100 {
                self.report(
                    "eksforge::blueprint::max_unavailable",
                    &at("max_unavailable"),
                    format!(
                        "max_unavailable = {} is outside 1 to 100",
                        group.max_unavailable
                    ),
                    "out of range",
                    "use 1 (the default): nodes are replaced one at a time".to_string(),
                );
            }
            for (t, taint) in group.taints.iter().enumerate() {
                if !matches!(
                    taint.effect.as_str(),
                    "NoSchedule" | "PreferNoSchedule" | "NoExecute"
                ) {
                    self.report(
                        "eksforge::blueprint::taint_effect",
                        &format!("node_groups[{i}].taints[{t}].effect"),
                        format!(
                            "taint effect \"{}\" is not NoSchedule, PreferNoSchedule or NoExecute",
                            taint.effect
                        ),
                        "unknown effect",
                        "use one of NoSchedule, PreferNoSchedule, NoExecute".to_string(),
                    );
                }
            }
            let names = super::kubernetes_names::node_group_problems(&group.labels, &group.taints);
            for found in names {
                let path = at(&found.path);
                let target = if found.at_key {
                    Target::Key(&path)
                } else {
                    Target::Value(&path)
                };
                let problem =
                    self.problem(found.code, target, found.message, found.label, found.help);
                self.problems.push(problem);
            }
            if group.max_size < 1 {
                self.report(
                    "eksforge::blueprint::node_group_sizes",
                    &at("max_size"),
                    format!("node group \"{}\" has max_size = 0", group.name),
                    "must be at least 1",
                    "EKS needs max_size ≥ 1; remove the [[node_groups]] entry to have no nodes"
                        .to_string(),
                );
            }
            if group.min_size > group.desired_size {
                self.report_pair(
                    "eksforge::blueprint::node_group_sizes",
                    (&at("min_size"), "larger than desired_size"),
                    (&at("desired_size"), "desired_size"),
                    format!(
                        "node group \"{}\": min_size ({}) is larger than desired_size ({})",
                        group.name, group.min_size, group.desired_size
                    ),
                    "sizes must satisfy min_size ≤ desired_size ≤ max_size".to_string(),
                );
            }
            if group.desired_size > group.max_size {
                self.report_pair(
                    "eksforge::blueprint::node_group_sizes",
                    (&at("desired_size"), "larger than max_size"),
                    (&at("max_size"), "max_size"),
                    format!(
                        "node group \"{}\": desired_size ({}) is larger than max_size ({})",
                        group.name, group.desired_size, group.max_size
                    ),
                    "sizes must satisfy min_size ≤ desired_size ≤ max_size".to_string(),
                );
            }
            let arch_ok = matches!(group.arch.as_str(), "x86_64" | "arm64");
            if !arch_ok {
                let help = match did_you_mean(&group.arch, ["x86_64", "arm64"]) {
                    Some(best) => format!("did you mean \"{best}\"?"),
                    None => "use \"x86_64\" or \"arm64\" (Graviton)".to_string(),
                };
                self.report(
                    "eksforge::blueprint::arch",
                    &at("arch"),
                    format!("arch \"{}\" is not x86_64 or arm64", group.arch),
                    "unknown architecture",
                    help,
                );
            }
            if group.ami != "bottlerocket" {
                self.report(
                    "eksforge::blueprint::ami",
                    &at("ami"),
                    format!("ami \"{}\" is not supported", group.ami),
                    "not bottlerocket",
                    "use ami = \"bottlerocket\": a minimal, immutable OS with no SSH and no package manager".to_string(),
                );
            }
            if group.instance_types.is_empty() {
                self.report(
                    "eksforge::blueprint::instance_types",
                    &at("instance_types"),
                    format!("node group \"{}\" has no instance types", group.name),
                    "empty",
                    "list at least one, e.g. instance_types = [\"m6i.large\"]".to_string(),
                );
            }
            for (j, instance_type) in group.instance_types.iter().enumerate() {
                let path = format!("node_groups[{i}].instance_types[{j}]");
                let Some(graviton) = instance_arch_is_arm(instance_type) else {
                    self.report(
                        "eksforge::blueprint::instance_types",
                        &path,
                        format!("\"{instance_type}\" is not an EC2 instance type"),
                        "not family.size",
                        "an instance type is family.size, e.g. \"m6i.large\" or \"m7g.xlarge\""
                            .to_string(),
                    );
                    continue;
                };
                if arch_ok && graviton != (group.arch == "arm64") {
                    let (is, should) = if graviton {
                        (
                            "arm64 (Graviton)",
                            "arch = \"arm64\", or an x86_64 type such as m6i.large",
                        )
                    } else {
                        (
                            "x86_64",
                            "arch = \"x86_64\", or a Graviton type such as m7g.large",
                        )
                    };
                    self.report(
                        "eksforge::blueprint::instance_types",
                        &path,
                        format!(
                            "instance type \"{instance_type}\" is {is} but the node group's arch is {}",
                            group.arch
                        ),
                        "wrong architecture",
                        format!("use {should}"),
                    );
                }
            }
        }
    }

    /// The keys the posture checks read (CHECKS.md's † keys).
    fn posture_keys(&mut self, model: &Blueprint) {
        const CODE: &str = "eksforge::blueprint::posture_key";
        let network = &model.network;
        if network.flow_logs {
            self.report(
                CODE,
                "network.flow_logs",
                "network.flow_logs = true is not provisioned by eksforge yet".to_string(),
                "not supported yet",
                "remove the key (EKS-NET-008 then reports flow logs off, medium) until eksforge creates flow logs".to_string(),
            );
        }
        if model
            .cluster
            .as_ref()
            .is_some_and(|c| c.deletion_protection)
        {
            self.report(
                CODE,
                "cluster.deletion_protection",
                "cluster.deletion_protection = true is not sent to EKS by eksforge yet".to_string(),
                "not supported yet",
                "remove the key (EKS-VER-005 then reports deletion protection off, low) until eksforge sets it; the cluster is protected from replacement by the plan either way".to_string(),
            );
        }
        for (i, service) in network.endpoints.iter().enumerate() {
            if !ENDPOINT_SERVICES.contains(&service.as_str()) {
                self.report(
                    CODE,
                    &format!("network.endpoints[{i}]"),
                    format!("\"{service}\" is not a VPC endpoint service eksforge knows"),
                    "unknown service",
                    format!("use one of {}", ENDPOINT_SERVICES.join(", ")),
                );
            }
        }
        if let Some(cluster) = &model.cluster {
            if !["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"]
                .contains(&cluster.authentication_mode.as_str())
            {
                self.report(
                    CODE,
                    "cluster.authentication_mode",
                    format!(
                        "authentication_mode \"{}\" is not an EKS authentication mode",
                        cluster.authentication_mode
                    ),
                    "unknown mode",
                    "use \"API\" (access entries only; the secure default), \"API_AND_CONFIG_MAP\" or \"CONFIG_MAP\"".to_string(),
                );
            }
            if let Some(arn) = &cluster.role_arn {
                if !(arn.starts_with("arn:") && arn.contains(":iam::") && arn.contains(":role/")) {
                    self.report(
                        CODE,
                        "cluster.role_arn",
                        format!("\"{arn}\" is not an IAM role ARN"),
                        "not a role ARN",
                        "give arn:aws:iam::ACCOUNT:role/NAME, or remove the key and let eksforge create the role".to_string(),
                    );
                }
            }
        }
        if let Some(encryption) = &model.encryption {
            if let Some(alias) = &encryption.alias {
                let name = alias.strip_prefix("alias/").unwrap_or_default();
                let valid = !name.is_empty()
                    && !name.starts_with("aws/")
                    && name.len() <= 250
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c));
                if !valid {
                    self.report(
                        CODE,
                        "encryption.alias",
                        format!("\"{alias}\" is not a KMS alias eksforge can create"),
                        "invalid alias",
                        "use alias/NAME (letters, digits, /, _ and -; not alias/aws/...)"
                            .to_string(),
                    );
                }
            }
            for (i, admin) in encryption.key_admins.iter().enumerate() {
                if !(admin.starts_with("arn:") && admin.contains(":iam::")) {
                    self.report(
                        CODE,
                        &format!("encryption.key_admins[{i}]"),
                        format!("\"{admin}\" is not an IAM principal ARN"),
                        "not an ARN",
                        "give a role or user ARN, arn:aws:iam::ACCOUNT:role/NAME".to_string(),
                    );
                }
            }
            if let Some(text) = &encryption.key_policy {
                if parse_key_policy_statements(text).is_none() {
                    self.report(
                        CODE,
                        "encryption.key_policy",
                        "key_policy is not a JSON policy statement, an array of them, or a policy document".to_string(),
                        "not policy statements",
                        "write JSON such as '{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:...\"},\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}'".to_string(),
                    );
                }
            }
        }
        for (i, group) in model.node_groups.iter().enumerate() {
            let at = |key: &str| format!("node_groups[{i}].{key}");
            if !["required", "optional"].contains(&group.imds_tokens.as_str()) {
                self.report(
                    CODE,
                    &at("imds_tokens"),
                    format!(
                        "imds_tokens \"{}\" is neither \"required\" nor \"optional\"",
                        group.imds_tokens
                    ),
                    "unknown value",
                    "use \"required\" (IMDSv2 only, the secure default)".to_string(),
                );
            }
            if !(1..=64).contains(&group.imds_hop_limit) {
                self.report(
                    CODE,
                    &at("imds_hop_limit"),
                    format!(
                        "imds_hop_limit = {} is outside EC2's 1 to 64",
                        group.imds_hop_limit
                    ),
                    "out of range",
                    "use 1 (the default): pods cannot reach the node's credentials".to_string(),
                );
            }
            match group.subnets.as_str() {
                "private" => {}
                "public" if !network.public_subnets => self.report(
                    CODE,
                    &at("subnets"),
                    "nodes in public subnets, but network.public_subnets = false".to_string(),
                    "no public subnets",
                    "use subnets = \"private\" (the default)".to_string(),
                ),
                "public" => {}
                other => self.report(
                    CODE,
                    &at("subnets"),
                    format!("subnets \"{other}\" is neither \"private\" nor \"public\""),
                    "unknown value",
                    "use \"private\" (the default)".to_string(),
                ),
            }
            if let Some(version) = &group.version {
                let ok = version.strip_prefix("1.").is_some_and(|minor| {
                    minor.len() == 2 && minor.bytes().all(|b| b.is_ascii_digit())
                });
                if !ok {
                    self.report(
                        CODE,
                        &at("version"),
                        format!("\"{version}\" is not a Kubernetes version of the form 1.NN"),
                        "not 1.NN",
                        "remove the pin to follow the cluster's version".to_string(),
                    );
                }
            }
            if let Some(key) = &group.volume_kms_key {
                if !(key.starts_with("arn:") && key.contains(":kms:")) {
                    self.report(
                        CODE,
                        &at("volume_kms_key"),
                        format!("\"{key}\" is not a KMS key ARN"),
                        "not a key ARN",
                        "give arn:aws:kms:REGION:ACCOUNT:key/ID, or remove it to use the account's EBS default key".to_string(),
                    );
                }
            }
            for (j, policy) in group.extra_policies.iter().enumerate() {
                if !(policy.starts_with("arn:") && policy.contains(":policy/")) {
                    self.report(
                        CODE,
                        &at(&format!("extra_policies[{j}]")),
                        format!("\"{policy}\" is not an IAM policy ARN"),
                        "not a policy ARN",
                        "give arn:aws:iam::ACCOUNT:policy/NAME or arn:aws:iam::aws:policy/NAME"
                            .to_string(),
                    );
                }
            }
            if let Some(extra) = &group.user_data {
                if let Err(error) = extra.parse::<toml::Table>() {
                    self.report(
                        CODE,
                        &at("user_data"),
                        format!("user_data is not Bottlerocket settings TOML: {}", error.message()),
                        "not TOML",
                        "write Bottlerocket settings, e.g. \"[settings.kernel]\\nlockdown = \\\"integrity\\\"\"".to_string(),
                    );
                }
            }
        }
        for (i, rule) in model.security_rules.iter().enumerate() {
            let at = |key: &str| format!("security_rules[{i}].{key}");
            if !["cluster", "node"].contains(&rule.group.as_str()) {
                self.report(
                    CODE,
                    &at("group"),
                    format!(
                        "group \"{}\" is neither \"cluster\" nor \"node\"",
                        rule.group
                    ),
                    "unknown group",
                    "name the security group the rule opens: \"cluster\" or \"node\"".to_string(),
                );
            }
            let ports = (rule.from_port, rule.to_port);
            match rule.protocol.as_str() {
                "-1" if ports != (None, None) => self.report(
                    CODE,
                    &at("protocol"),
                    "protocol -1 (all traffic) takes no ports".to_string(),
                    "all ports",
                    "remove from_port and to_port, or name a protocol".to_string(),
                ),
                "-1" => {}
                "tcp" | "udp" | "icmp" => {
                    let valid = match ports {
                        (Some(from), Some(to)) => {
                            (0..=65535).contains(&from) && (0..=65535).contains(&to) && from <= to
                        }
                        _ => false,
                    };
                    if !valid {
                        self.report(
                            CODE,
                            &at("from_port"),
                            "from_port and to_port must both be set, 0 to 65535, from ≤ to"
                                .to_string(),
                            "invalid port range",
                            "e.g. from_port = 443, to_port = 443".to_string(),
                        );
                    }
                }
                other => self.report(
                    CODE,
                    &at("protocol"),
                    format!("protocol \"{other}\" is not tcp, udp, icmp or -1"),
                    "unknown protocol",
                    "use \"tcp\", \"udp\", \"icmp\" or \"-1\" (all)".to_string(),
                ),
            }
            for (j, cidr) in rule.cidrs.iter().enumerate() {
                if let Err(error) = Ipv4Cidr::parse(cidr) {
                    self.report(
                        CODE,
                        &at(&format!("cidrs[{j}]")),
                        error.to_string(),
                        "invalid CIDR",
                        "list IPv4 source networks, e.g. \"10.0.0.0/8\"".to_string(),
                    );
                }
            }
            let source_ok = match rule.source_group.as_deref() {
                None => true,
                Some(group) => ["cluster", "node"].contains(&group) || group.starts_with("sg-"),
            };
            if !source_ok {
                self.report(
                    CODE,
                    &at("source_group"),
                    "source_group is neither \"cluster\", \"node\" nor an sg- id".to_string(),
                    "unknown group",
                    "use \"cluster\", \"node\" or a security group id".to_string(),
                );
            }
            if rule.cidrs.is_empty() && rule.source_group.is_none() {
                self.report(
                    CODE,
                    &format!("security_rules[{i}]"),
                    "the rule admits nothing: give cidrs or source_group".to_string(),
                    "no source",
                    "add cidrs = [\"10.0.0.0/8\"] or source_group = \"node\"".to_string(),
                );
            }
            if rule.description.trim().is_empty() {
                self.report(
                    CODE,
                    &at("description"),
                    "a security rule needs a description".to_string(),
                    "empty",
                    "say why the rule exists".to_string(),
                );
            }
        }
        if let Some(irsa) = &model.irsa {
            for (i, account) in irsa.service_accounts.iter().enumerate() {
                for (name, text) in &account.inline_policies {
                    if !is_policy_document(text) {
                        self.report(
                            CODE,
                            &format!("irsa.service_accounts[{i}].inline_policies.{name}"),
                            format!("inline policy \"{name}\" is not a JSON policy document"),
                            "not a policy",
                            "write '{\"Version\":\"2012-10-17\",\"Statement\":[...]}'".to_string(),
                        );
                    }
                }
            }
        }
        if let Some(access) = &model.access {
            for (i, entry) in access.entries.iter().enumerate() {
                let at = |key: &str| format!("access.entries[{i}].{key}");
                if !(entry.principal.starts_with("arn:") && entry.principal.contains(":iam::")) {
                    self.report(
                        CODE,
                        &at("principal"),
                        format!("\"{}\" is not an IAM principal ARN", entry.principal),
                        "not an ARN",
                        "give a role or user ARN, arn:aws:iam::ACCOUNT:role/NAME".to_string(),
                    );
                }
                if entry.policy.is_empty()
                    || !entry.policy.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    self.report(
                        CODE,
                        &at("policy"),
                        format!("\"{}\" is not an EKS access policy name", entry.policy),
                        "invalid name",
                        "use a short name such as \"AmazonEKSViewPolicy\"".to_string(),
                    );
                }
                match (entry.scope.as_str(), entry.namespaces.is_empty()) {
                    ("cluster", true) | ("namespace", false) => {}
                    ("cluster", false) => self.report(
                        CODE,
                        &at("namespaces"),
                        "namespaces are given, but scope = \"cluster\"".to_string(),
                        "ignored",
                        "set scope = \"namespace\", or remove namespaces".to_string(),
                    ),
                    ("namespace", true) => self.report(
                        CODE,
                        &at("scope"),
                        "scope = \"namespace\" needs namespaces".to_string(),
                        "no namespaces",
                        "add namespaces = [\"team-a\"]".to_string(),
                    ),
                    (other, _) => self.report(
                        CODE,
                        &at("scope"),
                        format!("scope \"{other}\" is neither \"cluster\" nor \"namespace\""),
                        "unknown scope",
                        "use \"namespace\" with namespaces, or \"cluster\"".to_string(),
                    ),
                }
            }
        }
        if let Some(registry) = &model.registry {
            if !["basic", "enhanced"].contains(&registry.scan.as_str()) {
                self.report(
                    CODE,
                    "registry.scan",
                    format!(
                        "scan \"{}\" is neither \"basic\" nor \"enhanced\"",
                        registry.scan
                    ),
                    "unknown value",
                    "use \"enhanced\" (continuous scanning) or \"basic\"".to_string(),
                );
            }
            for (i, repository) in registry.repositories.iter().enumerate() {
                if let Some(text) = &repository.policy {
                    if !is_policy_document(text) {
                        self.report(
                            CODE,
                            &format!("registry.repositories[{i}].policy"),
                            "the repository policy is not a JSON policy document".to_string(),
                            "not a policy",
                            "write '{\"Version\":\"2012-10-17\",\"Statement\":[...]}'".to_string(),
                        );
                    }
                }
            }
        }
    }

    fn irsa(&mut self, model: &Blueprint) {
        let Some(irsa) = &model.irsa else {
            return;
        };
        if !irsa.oidc_provider && !irsa.service_accounts.is_empty() {
            self.report(
                "eksforge::blueprint::service_account",
                "irsa.oidc_provider",
                "IRSA service accounts need the cluster's OIDC provider, but oidc_provider = false"
                    .to_string(),
                "turned off",
                "set oidc_provider = true, or remove the [[irsa.service_accounts]]".to_string(),
            );
        }
        let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for (i, account) in irsa.service_accounts.iter().enumerate() {
            let at = |key: &str| format!("irsa.service_accounts[{i}].{key}");
            if !is_dns_label(&account.namespace, 63) {
                self.report(
                    "eksforge::blueprint::service_account",
                    &at("namespace"),
                    format!("\"{}\" is not a Kubernetes namespace name", account.namespace),
                    "invalid namespace",
                    "a namespace is 1–63 lowercase letters, digits and `-`, starting and ending with a letter or digit".to_string(),
                );
            }
            if !is_dns_subdomain(&account.name) {
                self.report(
                    "eksforge::blueprint::service_account",
                    &at("name"),
                    format!("\"{}\" is not a Kubernetes service account name", account.name),
                    "invalid name",
                    "a service account name is lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit".to_string(),
                );
            }
            let key = (account.namespace.as_str(), account.name.as_str());
            if let Some(first) = seen.get(&key) {
                self.report_pair(
                    "eksforge::blueprint::duplicate_service_account",
                    (&at("name"), "declared again"),
                    (
                        &format!("irsa.service_accounts[{first}].name"),
                        "first declared here",
                    ),
                    format!(
                        "service account {}/{} is declared twice",
                        account.namespace, account.name
                    ),
                    "declare each (namespace, name) once and list all its policies there"
                        .to_string(),
                );
            } else {
                seen.insert(key, i);
            }
            for (j, policy) in account.managed_policies.iter().enumerate() {
                if !(policy.starts_with("arn:") && policy.contains(":policy/")) {
                    self.report(
                        "eksforge::blueprint::service_account",
                        &format!("irsa.service_accounts[{i}].managed_policies[{j}]"),
                        format!("\"{policy}\" is not an IAM policy ARN"),
                        "not a policy ARN",
                        "use a policy ARN, e.g. \"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy\""
                            .to_string(),
                    );
                }
            }
        }
    }

    fn waivers(&mut self, model: &Blueprint) {
        for (i, waiver) in model.waivers.iter().enumerate() {
            let at = |key: &str| format!("waivers[{i}].{key}");
            if waiver.check.trim().is_empty() {
                self.report(
                    "eksforge::blueprint::waiver_check",
                    &at("check"),
                    "a waiver must name the check it waives".to_string(),
                    "empty",
                    "set check to a posture check id, e.g. \"EKS-NET-002\"".to_string(),
                );
            }
            if waiver.reason.trim().is_empty() {
                self.report(
                    "eksforge::blueprint::waiver_reason",
                    &at("reason"),
                    format!("the waiver of {} has no reason", waiver.check),
                    "empty reason",
                    "say why the risk is accepted, e.g. reason = \"office egress needs the public endpoint until the VPN lands\"".to_string(),
                );
            }
            if let Some(expires) = &waiver.expires {
                if !is_date(expires) {
                    self.report(
                        "eksforge::blueprint::waiver_expires",
                        &at("expires"),
                        format!("expires \"{expires}\" is not a date (YYYY-MM-DD)"),
                        "not YYYY-MM-DD",
                        "write a calendar date, e.g. expires = 2026-12-31".to_string(),
                    );
                }
            }
        }
    }
}

/// Why `name` is not a valid blueprint-style name, if it is not.
fn name_rule(name: &str, max: usize) -> Option<String> {
    let len = name.chars().count();
    if len == 0 {
        return Some("it is empty".to_string());
    }
    if len > max {
        return Some(format!("it is {len} characters long; the limit is {max}"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "`{bad}` is not allowed; use lowercase letters, digits and `-`"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("it must start with a lowercase letter".to_string());
    }
    if name.ends_with('-') {
        return Some("it must not end with `-`".to_string());
    }
    if name.contains("--") {
        return Some("it must not contain `--`".to_string());
    }
    None
}

fn name_help(name: &str, max: usize, why: &str) -> String {
    let mut fixed = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (fixed.is_empty() || fixed.ends_with('-'))) {
            fixed.push(c);
        }
    }
    let mut fixed: String = fixed
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')
        .chars()
        .take(max)
        .collect();
    while fixed.ends_with('-') {
        fixed.pop();
    }
    let rule = format!(
        "1–{max} lowercase letters, digits and `-`, starting with a letter, with no trailing `-` and no `--` ({why})"
    );
    if fixed.is_empty() || fixed == name {
        rule
    } else {
        format!("use {rule}, e.g. \"{fixed}\"")
    }
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-2`, `eusc-de-east-1`.
fn looks_like_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && (2..=4).contains(&parts[0].len())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether an instance type is arm64 (Graviton); `None` when it is not `family.size`.
fn instance_arch_is_arm(instance_type: &str) -> Option<bool> {
    let (family, size) = instance_type.split_once('.')?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !valid(family) || !valid(size) {
        return None;
    }
    if family == "a1" {
        return Some(true);
    }
    // The generation digits, then the attribute letters: `g` first means Graviton (m7g, c6gn,
    // x2gd, im4gn); g5 (GPU) has none.
    let after_letters = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let attributes = after_letters.trim_start_matches(|c: char| c.is_ascii_digit());
    if after_letters.len() == attributes.len() {
        // No generation digits (`u-6tb1`): not a Graviton family.
        return Some(false);
    }
    Some(attributes.starts_with('g'))
}

fn is_dns_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(|label| is_dns_label(label, 63))
}

/// `YYYY-MM-DD`, a real calendar date.
fn is_date(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |r: Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn addr(a: u32) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::from(a)
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statements of an `encryption.key_policy` string: one statement, an array of them, or a
/// whole policy document with `Statement`. `None` when it is none of these.
pub fn parse_key_policy_statements(text: &str) -> Option<Vec<serde_json::Value>> {
    let parsed: serde_json::Value = serde_json::from_str(text).ok()?;
    let statements = match parsed {
        serde_json::Value::Object(ref map) if map.contains_key("Statement") => {
            match map.get("Statement")? {
                serde_json::Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            }
        }
        serde_json::Value::Object(_) => vec![parsed],
        serde_json::Value::Array(items) => items,
        _ => return None,
    };
    statements
        .iter()
        .all(|statement| {
            statement
                .get("Effect")
                .and_then(serde_json::Value::as_str)
                .is_some()
                && (statement.get("Action").is_some() || statement.get("NotAction").is_some())
        })
        .then_some(statements)
}

/// A JSON object with a `Statement` (one statement or an array of them).
fn is_policy_document(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|document| document.get("Statement").cloned())
        .is_some_and(|statement| statement.is_object() || statement.is_array())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_rule("prod-eu", 40), None);
        assert!(name_rule("", 40).is_some());
        assert!(name_rule("Prod", 40).is_some());
        assert!(name_rule("1prod", 40).is_some());
        assert!(name_rule("prod-", 40).is_some());
        assert!(name_rule("prod--eu", 40).is_some());
        assert!(name_rule("prod_eu", 40).is_some());
        assert!(name_rule(&"a".repeat(41), 40).is_some());
        assert_eq!(name_rule(&"a".repeat(40), 40), None);
        assert!(name_help("Prod_EU-", 40, "x").contains("\"prod-eu\""));
    }

    #[test]
    fn regions() {
        for ok in [
            "eu-west-1",
            "us-gov-west-1",
            "ap-southeast-2",
            "eusc-de-east-1",
            "il-central-1",
        ] {
            assert!(looks_like_region(ok), "{ok}");
        }
        for bad in [
            "Ireland",
            "eu-west",
            "eu-west-1a",
            "eu_west_1",
            "e-west-1",
            "eu-west-100",
            "",
        ] {
            assert!(!looks_like_region(bad), "{bad}");
        }
    }

    #[test]
    fn instance_architectures() {
        assert_eq!(instance_arch_is_arm("m6i.large"), Some(false));
        assert_eq!(instance_arch_is_arm("m7g.xlarge"), Some(true));
        assert_eq!(instance_arch_is_arm("c6gn.2xlarge"), Some(true));
        assert_eq!(instance_arch_is_arm("g5.xlarge"), Some(false));
        assert_eq!(instance_arch_is_arm("g5g.xlarge"), Some(true));
        assert_eq!(instance_arch_is_arm("t3.medium"), Some(false));
        assert_eq!(instance_arch_is_arm("a1.large"), Some(true));
        assert_eq!(instance_arch_is_arm("u-6tb1.metal"), Some(false));
        assert_eq!(instance_arch_is_arm("large"), None);
        assert_eq!(instance_arch_is_arm("M6i.large"), None);
    }

    #[test]
    fn dates() {
        assert!(is_date("2026-12-31"));
        assert!(is_date("2028-02-29"));
        assert!(!is_date("2026-02-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("2026-1-01"));
        assert!(!is_date("2026-12-31T00:00:00Z"));
        assert!(!is_date("next year"));
    }

    #[test]
    fn kubernetes_names() {
        assert!(is_dns_label("kube-system", 63));
        assert!(!is_dns_label("-x", 63));
        assert!(is_dns_subdomain("aws-node"));
        assert!(is_dns_subdomain("a.b"));
        assert!(!is_dns_subdomain("A"));
        assert!(!is_dns_subdomain("a..b"));
    }
}
