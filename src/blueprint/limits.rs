//! Every numeric range, length, count and allowed set a blueprint must respect, written once:
//! `model.rs` puts them in the JSON schema (`eksforge schema`, `docs/blueprint.schema.json`)
//! and `validate/` checks them. The closed sets the blueprint names as enums (log types,
//! authentication mode, IMDS tokens, registry scan) list their values in `model.rs` instead.

use std::ops::RangeInclusive;

/// The largest blueprint file eksforge reads, each file of an `extends` chain alike. The
/// reference blueprint is a few KiB; a file larger than this is not a blueprint (a log, an
/// image, `/dev/zero`), and reading it whole would only use up memory.
pub const MAX_BLUEPRINT_FILE_BYTES: u64 = 1 << 20;

/// Longest blueprint name: it prefixes every resource name, and AWS caps some at 63–64.
pub const MAX_NAME_LEN: usize = 40;
/// Longest node group name (it follows the blueprint name in derived names).
pub const MAX_NODE_GROUP_NAME_LEN: usize = 32;

/// The VPC prefixes eksforge accepts: AWS allows /16 to /28, and subnets in every AZ need a /24.
pub const VPC_PREFIX: RangeInclusive<u8> = 16..=24;
/// How many availability zones a cluster spans.
pub const AZ_COUNT: RangeInclusive<usize> = 2..=6;

/// Longest tag key every service eksforge tags accepts, in characters (EC2's 127; IAM, EKS,
/// KMS and CloudWatch Logs take 128).
pub const MAX_TAG_KEY_LEN: usize = 127;
/// Longest tag value AWS accepts, in characters.
pub const MAX_TAG_VALUE_LEN: usize = 256;
/// Most tags one resource may carry (EC2, IAM, EKS, KMS and CloudWatch Logs alike).
pub const MAX_TAGS_PER_RESOURCE: usize = 50;
/// Most tags eksforge itself puts on one resource: `Name`, `eksforge:blueprint`,
/// `eksforge:resource` and a subnet's load-balancer role. `blueprint.tags` may hold the rest
/// of [`MAX_TAGS_PER_RESOURCE`]; a test over the expansion keeps this number true.
pub const MAX_EKSFORGE_TAGS: usize = 4;
/// Tag keys eksforge writes itself besides its `eksforge:` ones: a blueprint tag with one of
/// these keys would be silently replaced.
pub const EKSFORGE_TAG_KEYS: [&str; 3] = [
    "Name",
    "kubernetes.io/role/elb",
    "kubernetes.io/role/internal-elb",
];

/// Whether `c` may appear in a tag key or value everywhere eksforge tags: the character set
/// of IAM's and CloudWatch Logs' tag patterns (`[\p{L}\p{Z}\p{N}_.:/=+\-@]`; EC2, EKS and
/// KMS accept more). Letters, digits, spaces and `_ . : / = + - @`; no control characters.
pub fn tag_character_allowed(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

/// Most managed policies IAM attaches to one role (the adjustable quota's ceiling; accounts
/// start at 10).
pub const MAX_MANAGED_POLICIES_PER_ROLE: usize = 20;
/// Size of all of one role's inline policies together, in characters without whitespace.
pub const MAX_ROLE_INLINE_POLICY_CHARS: usize = 10_240;
/// Longest IAM inline policy name (`[\w+=,.@-]+`).
pub const MAX_INLINE_POLICY_NAME_LEN: usize = 128;

/// Longest `<namespace>.<service account>` that eksforge names resources after. The longest
/// id built from it, `eks_pod_identity_association.<namespace>.<service account>`, is that
/// resource's `eksforge:resource` tag (read back to find the resource), so it must fit a tag
/// value; a test over the expansion checks the bound.
pub const MAX_SERVICE_ACCOUNT_PATH_LEN: usize =
    MAX_TAG_VALUE_LEN - "eks_pod_identity_association.".len();

/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The fields a custom VPC flow log format may name (`${field}`), versions 2 to 8 of the
/// record (the "Available fields" table of the VPC user guide, "Flow log records").
pub const FLOW_LOG_FIELDS: [&str; 40] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
];

/// The record format AWS uses when none is given: the version 2 fields, in order.
pub const FLOW_LOG_DEFAULT_FIELDS: &[&str] = FLOW_LOG_FIELDS.split_at(14).0;

/// Why `name` is not an S3 general purpose bucket name, if it is not: 3 to 63 characters,
/// lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit.
pub fn s3_bucket_name_problem(name: &str) -> Option<String> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Some(format!(
            "it is {len} characters long; S3 bucket names take 3 to 63"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Some(format!(
            "`{bad}` is not allowed; use lowercase letters, digits, `.` and `-`"
        ));
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return Some("it must start and end with a letter or a digit".to_string());
    }
    if name.contains("..") {
        return Some("it must not contain `..`".to_string());
    }
    None
}

/// KMS's waiting period before a scheduled key deletion, in days.
pub const KMS_DELETION_WINDOW_MIN_DAYS: u32 = 7;
/// See [`KMS_DELETION_WINDOW_MIN_DAYS`].
pub const KMS_DELETION_WINDOW_MAX_DAYS: u32 = 30;
/// Longest KMS alias name (after `alias/`).
pub const MAX_KMS_ALIAS_LEN: usize = 250;

/// Node data volume size EC2 accepts for gp3, in GiB.
pub const DISK_SIZE_MIN_GIB: u32 = 4;
/// See [`DISK_SIZE_MIN_GIB`].
pub const DISK_SIZE_MAX_GIB: u32 = 16384;
/// Nodes EKS replaces at once during a node group update.
pub const MAX_UNAVAILABLE_MIN: u32 = 1;
/// See [`MAX_UNAVAILABLE_MIN`].
pub const MAX_UNAVAILABLE_MAX: u32 = 100;
/// IMDS response hop limit EC2 accepts.
pub const IMDS_HOP_LIMIT_MIN: u32 = 1;
/// See [`IMDS_HOP_LIMIT_MIN`].
pub const IMDS_HOP_LIMIT_MAX: u32 = 64;

/// Longest security group rule description EC2 accepts.
pub const MAX_RULE_DESCRIPTION_LEN: usize = 255;
/// The symbols EC2 accepts in a rule description, besides ASCII letters, digits and spaces.
pub const RULE_DESCRIPTION_SYMBOLS: &str = "._-:/()#,@[]+=&;{}!$*";

/// Whether EC2 accepts `c` in a security group rule description.
pub fn rule_description_character_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ' ' || RULE_DESCRIPTION_SYMBOLS.contains(c)
}

/// Ports a security group rule may open.
pub const PORTS: RangeInclusive<i32> = 0..=65535;

/// Longest Kubernetes DNS label (a namespace, one part of a subdomain).
pub const MAX_DNS_LABEL_LEN: usize = 63;
/// Longest Kubernetes DNS subdomain (a service account name).
pub const MAX_DNS_SUBDOMAIN_LEN: usize = 253;

/// VPC endpoint services `network.endpoints` may name (the suffix of
/// `com.amazonaws.<region>.<service>`). The first nine are the ones a VPC without NAT
/// needs for nodes to join and run (`NODE_ENDPOINT_SERVICES`).
pub const ENDPOINT_SERVICES: [&str; 14] = [
    "ecr.api",
    "ecr.dkr",
    "s3",
    "sts",
    "ec2",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "eks-auth",
    "logs",
    "elasticloadbalancing",
    "autoscaling",
    "kms",
    "eks",
];

/// The longest VPC endpoint policy EC2 takes, in characters (whitespace included).
pub const MAX_ENDPOINT_POLICY_LEN: usize = 20_480;

/// Endpoint services Bottlerocket EKS nodes need when the VPC has no NAT: the head of
/// `ENDPOINT_SERVICES`, read by both validation (`nat = "none"`) and the audit (EKS-NET-009).
/// - `ecr.api`, `ecr.dkr` and `s3` (a gateway endpoint: image layers are stored in S3): the
///   pause image, the add-on images (VPC CNI, kube-proxy, CoreDNS, Pod Identity agent) and every
///   workload image pulled from ECR;
/// - `ec2`: the VPC CNI (`aws-node`) attaches network interfaces and assigns pod addresses;
/// - `sts`: IRSA (AssumeRoleWithWebIdentity) for the VPC CNI's own role and other pods;
/// - `eks-auth`: EKS Pod Identity (AssumeRoleForPodIdentity), the agent eksforge installs;
/// - `ssm`, `ssmmessages`, `ec2messages`: Bottlerocket's control container and Session Manager,
///   the only way into a node (no SSH).
///
/// Not needed: `logs` (nodes ship no logs themselves; control-plane logs and flow logs are
/// delivered by AWS services, not through the VPC), `eks` (the node's cluster endpoint and CA
/// come in its user data and the API server is reached privately in the VPC), `kms` (secrets
/// are decrypted by the control plane), `elasticloadbalancing` and `autoscaling` (only for the
/// load balancer controller and cluster autoscaler, when installed).
pub const NODE_ENDPOINT_SERVICES: &[&str] = ENDPOINT_SERVICES.split_at(9).0;

/// `node_groups.*.ami`: Bottlerocket only.
pub const AMIS: [&str; 1] = ["bottlerocket"];
/// `node_groups.*.arch`.
pub const ARCHITECTURES: [&str; 2] = ["x86_64", "arm64"];
/// `node_groups.*.capacity_type`.
pub const CAPACITY_TYPES: [&str; 2] = ["ON_DEMAND", "SPOT"];
/// `node_groups.*.subnets`.
pub const NODE_SUBNETS: [&str; 2] = ["private", "public"];
/// `node_groups.*.taints.*.effect`.
pub const TAINT_EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
/// `access.entries.*.scope`.
pub const ACCESS_SCOPES: [&str; 2] = ["cluster", "namespace"];
/// `security_rules.*.group` (and the named values of `source_group`).
pub const RULE_GROUPS: [&str; 2] = ["cluster", "node"];
/// `security_rules.*.protocol`; `-1` is all traffic.
pub const RULE_PROTOCOLS: [&str; 4] = ["tcp", "udp", "icmp", "-1"];
/// `audit.fail_on`: the posture severities, most severe first.
pub const FAIL_ON_SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// ECR repository names: 2 to 256 characters of [`REPOSITORY_NAME_PATTERN`].
pub const REPOSITORY_NAME_LEN: RangeInclusive<usize> = 2..=256;
/// ECR's repository name pattern (CreateRepository's `repositoryName`): lower-case path
/// components of letters and digits, separated inside by one `.`, `_` or `-`.
pub const REPOSITORY_NAME_PATTERN: &str =
    "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*";
/// How many newest images a repository's lifecycle policy keeps (`lifecycle_keep`, the
/// `imageCountMoreThan` rule's `countNumber`).
pub const LIFECYCLE_KEEP: RangeInclusive<u32> = 1..=1000;
/// Days an untagged image is kept before the lifecycle policy expires it.
pub const UNTAGGED_IMAGE_DAYS: u32 = 7;
/// Most repositories `registry.scan = "enhanced"` covers: its one scanning rule takes at most
/// 100 repository filters (PutRegistryScanningConfiguration).
pub const MAX_ENHANCED_SCAN_REPOSITORIES: usize = 100;
