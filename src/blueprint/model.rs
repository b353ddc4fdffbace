//! The typed blueprint: what a user wrote, after `extends`, `--var` overrides and defaults.
//!
//! These field names are the public interface that forked blueprints depend on (`docs/blueprint.md`
//! sample): add keys freely, rename none. Every key is documented in `docs/blueprint.md`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::closed_set::closed_set;
use super::date::Date;
use super::kubernetes_calendar;
use super::limits;

/// An eksforge blueprint: one hardened Amazon EKS cluster (or its network alone). Every key is
/// described in docs/blueprint.md.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "eksforge blueprint")]
pub struct Blueprint {
    /// The blueprint's name, region, parent (`extends`) and tags.
    pub blueprint: Meta,
    /// Where the state is kept (default: the local file `state/<name>.json`).
    #[serde(default)]
    pub state: StateConfig,
    /// The dedicated VPC: its CIDR, availability zones, subnets and NAT.
    pub network: Network,
    /// The hardened EKS cluster; without it the blueprint makes the network only.
    #[serde(default)]
    pub cluster: Option<Cluster>,
    /// The customer-managed KMS key for Kubernetes secrets and the log groups.
    #[serde(default)]
    pub encryption: Option<Encryption>,
    /// EKS managed node groups on Bottlerocket, in the private subnets.
    #[serde(default)]
    pub node_groups: Vec<NodeGroup>,
    /// How the nodes and the cluster are reached: SSM only, logged sessions, admins.
    #[serde(default)]
    pub access: Option<Access>,
    /// The cluster's IAM OIDC provider and IAM roles for service accounts.
    #[serde(default)]
    pub irsa: Option<Irsa>,
    /// EKS Pod Identity: one IAM role per Kubernetes service account, trusted by the EKS Pod
    /// Identity service (`pods.eks.amazonaws.com`) for this cluster and account only, and an
    /// association binding it to the service account. Needs the `eks-pod-identity-agent`
    /// add-on and a `[cluster]`; no OIDC provider. A service account gets its role either
    /// here or in `[[irsa.service_accounts]]`, never both.
    #[serde(default)]
    pub pod_identity: Vec<PodIdentity>,
    /// Extra ingress rules on the cluster or node security group. Never defaulted: every one is
    /// written on purpose and audited (EKS-NET-006/007, EKS-ACC-005).
    #[serde(default)]
    pub security_rules: Vec<SecurityRule>,
    /// GuardDuty for EKS in the blueprint's region: the region's detector (adopted when the
    /// account has one) with the EKS features (docs/blueprint.md, `[detection]`).
    #[serde(default)]
    pub detection: Option<Detection>,
    /// The ECR registry and repositories the cluster pulls from. Refused at validation:
    /// eksforge does not provision ECR yet; `audit --cluster` judges the registry.
    #[serde(default)]
    pub registry: Option<Registry>,
    /// EKS managed add-ons, installed in the order a cluster comes up (docs/blueprint.md).
    #[serde(default)]
    pub addons: Addons,
    /// Posture findings accepted on purpose, each with a reason.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// The posture gate: the severity at which `apply` refuses.
    #[serde(default)]
    pub audit: Option<AuditConfig>,
    /// Resources renamed in the blueprint: each moves its state from the old id to the new
    /// one instead of a destroy and a create, and keeps the AWS names and tags it was made
    /// with (keep the entry for as long as the resource lives).
    #[serde(default)]
    pub moved: Vec<Moved>,
    /// Resources brought under management by `eksforge adopt`, by id: the name, description
    /// and tags each was made with by another tool, which eksforge keeps instead of deriving
    /// its own (AWS cannot rename most of them). Written by `adopt`; see docs/adopt.md.
    #[serde(default)]
    pub adopted: BTreeMap<String, Adopted>,
}

/// What an adopted resource keeps from the tool that made it. Each key replaces what eksforge
/// would derive for that resource; a key left out is derived as usual.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adopted {
    /// Its AWS name (an IAM role's, a node group's, a launch template's, a security group's).
    #[serde(default)]
    pub name: Option<String>,
    /// Its AWS description (a security group's cannot change; a role's can).
    #[serde(default)]
    pub description: Option<String>,
    /// Its tags, exactly (eksforge's `Name`, `eksforge:*` and `blueprint.tags` are then not
    /// added). AWS-reserved `aws:` tags are never listed: only AWS sets them.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    /// A launch template's tags for the instances and volumes it launches, when they are not
    /// its `tags`.
    #[serde(default)]
    pub instance_tags: Option<BTreeMap<String, String>>,
}

/// One rename: `from = "eks_node_group.workers"`, `to = "eks_node_group.general"`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Moved {
    /// The id state records it under (`<kind>.<name>`, as `eksforge state list` prints).
    pub from: String,
    /// Its id in the blueprint now: the same kind.
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// `apply` refuses while an unwaived finding at or above this severity exists
    /// (`critical`, `high`, `medium`, `low`); `--fail-on` overrides it.
    #[serde(default = "default_fail_on")]
    #[schemars(extend("enum" = limits::FAIL_ON_SEVERITIES))]
    pub fail_on: String,
}

fn default_fail_on() -> String {
    "high".to_string()
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Names and tags every resource: 1–40 chars, lowercase letters, digits and `-`, starting
    /// with a letter.
    #[schemars(length(min = 1, max = limits::MAX_NAME_LEN), regex(pattern = r"^[a-z](-?[a-z0-9])*$"))]
    pub name: String,
    /// AWS region; `--region` and the standard AWS chain apply when absent.
    #[serde(default)]
    pub region: Option<String>,
    /// Consumed by the loader (inherit, then override); kept for `validate` output.
    #[serde(default)]
    #[schemars(
        description = "A blueprint to inherit from, relative to this file: tables merge key by key and this file wins; arrays and values are replaced whole."
    )]
    pub extends: Option<String>,
    /// Extra tags on every resource (on top of `eksforge:blueprint` / `eksforge:resource`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// `"local"` (a JSON file) or `"s3"`.
    #[serde(default)]
    #[schemars(extend("default" = "local"))]
    pub backend: StateBackendKind,
    /// Local backend: path of the state file; default `state/<blueprint name>.json`.
    #[serde(default)]
    pub path: Option<String>,
    /// S3 backend.
    #[serde(default)]
    pub bucket: Option<String>,
    /// S3 backend: the object key of the state.
    #[serde(default)]
    pub key: Option<String>,
    /// S3 backend: the bucket's region (default: the blueprint's region).
    #[serde(default)]
    pub region: Option<String>,
    /// S3 backend: the KMS key for SSE-KMS on the state object.
    #[serde(default)]
    pub kms_key_id: Option<String>,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            backend: StateBackendKind::Local,
            path: None,
            bucket: None,
            key: None,
            region: None,
            kms_key_id: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateBackendKind {
    #[default]
    Local,
    S3,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// IPv4 CIDR of the dedicated VPC, /16 to /24, host bits zero.
    pub vpc_cidr: String,
    /// A count (≥ 2, chosen from DescribeAvailabilityZones in name order) or explicit AZ names.
    #[serde(default)]
    #[schemars(extend("default" = 3))]
    pub azs: AzSpec,
    /// How private subnets reach the internet: one NAT gateway per AZ, a single one, or none
    /// (`network.endpoints` must then list every service nodes need: ECR, S3, STS, EC2, SSM and
    /// EKS Auth; validation names the missing ones).
    #[serde(default)]
    #[schemars(extend("default" = "per-az"))]
    pub nat: NatMode,
    /// Public subnets (for NAT gateways and load balancers). Default true; `nat` other than
    /// "none" needs them.
    #[serde(default = "default_true")]
    pub public_subnets: bool,
    /// Explicit subnet CIDRs, one per AZ in AZ order; carved from `vpc_cidr` when absent.
    #[serde(default)]
    pub private_subnet_cidrs: Option<Vec<String>>,
    /// Explicit public subnet CIDRs, one per AZ in AZ order; carved from `vpc_cidr` when absent.
    #[serde(default)]
    pub public_subnet_cidrs: Option<Vec<String>>,
    /// Subnets assign public IPv4 addresses to what launches in them. Off: NAT gateways use
    /// Elastic IPs, nodes need no public address (EKS-NET-005).
    #[serde(default)]
    pub map_public_ip: bool,
    /// VPC flow logs of all the VPC's traffic (EKS-NET-008): `true` sends them to a CloudWatch
    /// log group eksforge creates, a table (`[network.flow_logs]`) chooses the destination,
    /// retention and record format. Default false (see docs/blueprint.md for the cost).
    #[serde(default)]
    #[schemars(extend("default" = false))]
    pub flow_logs: FlowLogs,
    /// VPC endpoint services the private subnets reach privately (`ecr.api`, `ecr.dkr`, `s3`,
    /// `sts`, `ec2`, `ssm`, `ssmmessages`, `ec2messages`, `eks-auth`, ...): `s3` as a gateway
    /// endpoint on the private route tables, the others as interface endpoints (private DNS
    /// on) in the private subnets behind a security group admitting HTTPS from the VPC only.
    /// Default none.
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": limits::ENDPOINT_SERVICES}))]
    pub endpoints: Vec<String>,
    /// Endpoint policies (`[network.endpoint_policies]`): a listed service → a JSON policy
    /// document limiting what may be reached through its endpoint (e.g. only this account's
    /// ECR repositories). A listed service without one keeps AWS's default policy, which
    /// allows everything IAM allows. Default none.
    #[serde(default)]
    pub endpoint_policies: BTreeMap<String, String>,
}

/// `network.flow_logs`: a switch, or the options of flow logs that are on.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub enum FlowLogs {
    /// `true`: on, to CloudWatch Logs with the defaults; `false`: off.
    Switch(bool),
    /// On, with these options.
    Options(FlowLogOptions),
}

impl Default for FlowLogs {
    fn default() -> Self {
        FlowLogs::Switch(false)
    }
}

impl FlowLogs {
    /// The options of flow logs that are on; `None` when they are off.
    pub fn options(&self) -> Option<FlowLogOptions> {
        match self {
            FlowLogs::Switch(false) => None,
            FlowLogs::Switch(true) => Some(FlowLogOptions::default()),
            FlowLogs::Options(options) => Some(options.clone()),
        }
    }

    pub fn enabled(&self) -> bool {
        !matches!(self, FlowLogs::Switch(false))
    }
}

// A bool or a table, each deserialized by its own visitor method so a wrong key inside the
// table is reported at that key (serde's untagged enums only say "no variant matched").
impl<'de> Deserialize<'de> for FlowLogs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FlowLogsVisitor;
        impl<'de> serde::de::Visitor<'de> for FlowLogsVisitor {
            type Value = FlowLogs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true, false or a table of flow log options")
            }
            fn visit_bool<E: serde::de::Error>(self, on: bool) -> Result<FlowLogs, E> {
                Ok(FlowLogs::Switch(on))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<FlowLogs, A::Error> {
                FlowLogOptions::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(FlowLogs::Options)
            }
        }
        deserializer.deserialize_any(FlowLogsVisitor)
    }
}

/// `[network.flow_logs]`: where the VPC's flow log records go and how they are kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowLogOptions {
    /// `"cloudwatch"` (a log group eksforge creates, written through a delivery role), or
    /// `"s3://bucket/prefix"`: an existing bucket eksforge does not create, whose policy must
    /// let `delivery.logs.amazonaws.com` write.
    #[serde(default = "default_flow_log_destination")]
    #[schemars(extend("default" = "cloudwatch"))]
    pub destination: String,
    /// Retention in days of the CloudWatch log group (a CloudWatch Logs period). Default:
    /// `cluster.log_retention_days`. Only with the CloudWatch destination.
    #[serde(default)]
    #[schemars(extend("enum" = limits::LOG_RETENTION_DAYS))]
    pub retention_days: Option<u32>,
    /// A custom record format: flow log fields as `${field}` separated by single spaces.
    /// Default: AWS's default format (the version 2 fields).
    #[serde(default)]
    pub format: Option<String>,
}

impl Default for FlowLogOptions {
    fn default() -> Self {
        FlowLogOptions {
            destination: default_flow_log_destination(),
            retention_days: None,
            format: None,
        }
    }
}

/// `flow_logs.destination = "cloudwatch"`.
pub const FLOW_LOGS_TO_CLOUDWATCH: &str = "cloudwatch";

fn default_flow_log_destination() -> String {
    FLOW_LOGS_TO_CLOUDWATCH.to_string()
}

/// Where flow log records go, as `destination` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowLogDestination {
    CloudWatch,
    S3 {
        bucket: String,
        prefix: Option<String>,
    },
}

impl FlowLogOptions {
    /// The destination, or why `destination` names none.
    pub fn parsed_destination(&self) -> Result<FlowLogDestination, String> {
        if self.destination == FLOW_LOGS_TO_CLOUDWATCH {
            return Ok(FlowLogDestination::CloudWatch);
        }
        let Some(rest) = self.destination.strip_prefix("s3://") else {
            return Err(format!(
                "\"{}\" is neither \"cloudwatch\" nor an s3://bucket/prefix location",
                self.destination
            ));
        };
        let (bucket, prefix) = match rest.split_once('/') {
            Some((bucket, prefix)) => (bucket, Some(prefix)),
            None => (rest, None),
        };
        if let Some(reason) = limits::s3_bucket_name_problem(bucket) {
            return Err(format!("bucket name \"{bucket}\": {reason}"));
        }
        let prefix = match prefix {
            None | Some("") => None,
            Some(prefix) => {
                let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
                if prefix.split('/').any(str::is_empty) {
                    return Err(format!(
                        "prefix \"{prefix}\" has an empty folder (`//` or a leading `/`)"
                    ));
                }
                if prefix.split('/').any(|folder| folder == "AWSLogs") {
                    return Err("the prefix may not use `AWSLogs` as a folder name: AWS adds that folder itself".to_string());
                }
                Some(prefix.to_string())
            }
        };
        Ok(FlowLogDestination::S3 {
            bucket: bucket.to_string(),
            prefix,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AzSpec {
    Count(u32),
    Names(Vec<String>),
}

impl Default for AzSpec {
    fn default() -> Self {
        AzSpec::Count(3)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NatMode {
    #[default]
    PerAz,
    Single,
    None,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Kubernetes version, quoted (`"1.35"`). Default: the newest version in EKS standard
    /// support today on eksforge's dated calendar (`kubernetes_calendar.rs`), so an unpinned
    /// blueprint moves when the calendar does; pin it for production.
    #[serde(default = "default_cluster_version")]
    #[schemars(transform = without_default)]
    pub version: String,
    /// The API server is reachable from inside the VPC.
    #[serde(default = "default_true")]
    pub endpoint_private: bool,
    /// The API server is reachable from the internet; restrict it with `public_access_cidrs`.
    #[serde(default)]
    pub endpoint_public: bool,
    /// IPv4 CIDRs allowed to reach the public endpoint (never 0.0.0.0/0 without a waiver).
    #[serde(default)]
    pub public_access_cidrs: Vec<String>,
    /// Control-plane log types sent to CloudWatch Logs; keep all five.
    #[serde(default = "default_log_types")]
    #[schemars(extend("items" = {"type": "string", "enum": ControlPlaneLogType::NAMES}))]
    pub logging: Vec<ControlPlaneLogType>,
    /// Retention in days of the control-plane and session log groups (a CloudWatch Logs period).
    #[serde(default = "default_log_retention")]
    #[schemars(extend("enum" = limits::LOG_RETENTION_DAYS))]
    pub log_retention_days: u32,
    /// Encrypt the control-plane and session log groups with the KMS key (EKS-LOG-003).
    #[serde(default = "default_true")]
    pub log_encryption: bool,
    /// How the API server authenticates IAM principals: access entries only (`API`), or the
    /// aws-auth ConfigMap as well (EKS-ACC-001). EKS moves only towards `API`.
    #[serde(default = "default_authentication_mode")]
    #[schemars(extend("enum" = AuthenticationMode::NAMES))]
    pub authentication_mode: AuthenticationMode,
    /// Give the identity that creates the cluster cluster-admin (EKS-ACC-002). Default: false
    /// when `access.admins` or `access.entries` name an admin, true otherwise (else nobody
    /// could administer the cluster). Fixed at creation.
    #[serde(default)]
    pub bootstrap_creator_admin: Option<bool>,
    /// EKS deletion protection (EKS-VER-005): EKS refuses DeleteCluster while it is on, so a
    /// stray `aws eks delete-cluster` or console click cannot take the cluster (its etcd, every
    /// workload) with it. Default true, secure by default. `eksforge destroy` refuses a
    /// protected cluster unless `--allow-replace eks_cluster.main` consents; then it turns
    /// protection off, waits, and deletes.
    #[serde(default = "default_true")]
    pub deletion_protection: bool,
    /// What EKS does when the version leaves standard support: `STANDARD` upgrades the control
    /// plane to the next version (no extended-support fee); `EXTENDED` keeps it on the old
    /// version under paid extended support. Always sent: EKS otherwise puts clusters made
    /// through the API on `EXTENDED` silently.
    #[serde(default = "default_upgrade_policy")]
    #[schemars(extend("enum" = UpgradePolicy::NAMES))]
    pub upgrade_policy: UpgradePolicy,
    /// An existing IAM role for the control plane instead of the one eksforge creates
    /// (EKS-IAM-006 then cannot be evaluated at plan time).
    #[serde(default)]
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// "create" or an existing KMS key ARN.
    #[serde(default = "default_kms_key")]
    pub kms_key: String,
    /// Yearly automatic rotation of the created key.
    #[serde(default = "default_true")]
    pub rotation: bool,
    /// Waiting period (7–30 days) before a destroyed key is really deleted; until then a
    /// re-create adopts it.
    #[serde(default = "default_deletion_window")]
    #[schemars(range(
        min = limits::KMS_DELETION_WINDOW_MIN_DAYS,
        max = limits::KMS_DELETION_WINDOW_MAX_DAYS
    ))]
    pub deletion_window_days: u32,
    /// Alias of the created key; default `alias/<blueprint name>-eks-secrets` (EKS-ENC-006).
    #[serde(default)]
    pub alias: Option<String>,
    /// IAM principal ARNs allowed to administer the created key besides the account root
    /// (EKS-ENC-005).
    #[serde(default)]
    pub key_admins: Vec<String>,
    /// Extra key policy statements, as a JSON string: one statement object or an array of
    /// them; merged into the generated policy (EKS-ENC-004/005).
    #[serde(default)]
    pub key_policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    /// Unique among the node groups; part of the node group's AWS names.
    #[schemars(length(min = 1, max = limits::MAX_NODE_GROUP_NAME_LEN), regex(pattern = r"^[a-z](-?[a-z0-9])*$"))]
    pub name: String,
    /// The node OS: Bottlerocket only.
    #[serde(default = "default_ami")]
    #[schemars(extend("enum" = limits::AMIS))]
    pub ami: String,
    /// CPU architecture; must match the instance types (Graviton types are arm64).
    #[serde(default = "default_arch")]
    #[schemars(extend("enum" = limits::ARCHITECTURES))]
    pub arch: String,
    /// EC2 instance types (`family.size`), at least one.
    pub instance_types: Vec<String>,
    /// Fewest nodes (≤ desired_size).
    pub min_size: u32,
    /// Most nodes (≥ desired_size).
    pub max_size: u32,
    /// Nodes at creation; afterwards the autoscaler's to move unless `track_desired_size`.
    pub desired_size: u32,
    /// "ON_DEMAND" or "SPOT".
    #[serde(default = "default_capacity_type")]
    #[schemars(extend("enum" = limits::CAPACITY_TYPES))]
    pub capacity_type: String,
    /// Size in GiB of the (encrypted gp3) data volume that holds images and pods.
    #[serde(default = "default_disk_size")]
    #[schemars(range(min = limits::DISK_SIZE_MIN_GIB, max = limits::DISK_SIZE_MAX_GIB))]
    pub disk_size: u32,
    /// Nodes replaced at once during a node group update.
    #[serde(default = "default_max_unavailable")]
    #[schemars(range(
        min = limits::MAX_UNAVAILABLE_MIN,
        max = limits::MAX_UNAVAILABLE_MAX
    ))]
    pub max_unavailable: u32,
    /// Kubernetes node labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Kubernetes node taints.
    #[serde(default)]
    pub taints: Vec<Taint>,
    /// Whether `desired_size` is enforced after creation. Off by default: the cluster
    /// autoscaler (or Karpenter) moves it, and that is not drift.
    #[serde(default)]
    pub track_desired_size: bool,
    /// IMDSv2 only (`required`) or IMDSv1 too (`optional`) (EKS-NODE-002).
    #[serde(default = "default_imds_tokens")]
    #[schemars(extend("enum" = ImdsTokens::NAMES))]
    pub imds_tokens: ImdsTokens,
    /// IMDS response hop limit, 1 to 64; 1 keeps pods away from the node's credentials
    /// (EKS-NODE-003).
    #[serde(default = "default_hop_limit")]
    #[schemars(range(min = limits::IMDS_HOP_LIMIT_MIN, max = limits::IMDS_HOP_LIMIT_MAX))]
    pub imds_hop_limit: u32,
    /// Encrypt the OS and data volumes (EKS-NODE-004).
    #[serde(default = "default_true")]
    pub volume_encrypted: bool,
    /// KMS key (ARN) for the volumes; default: the account's EBS default key.
    #[serde(default)]
    pub volume_kms_key: Option<String>,
    /// An EC2 key pair name for SSH (EKS-NODE-005); leave unset and use SSM.
    #[serde(default)]
    pub ssh_key: Option<String>,
    /// Which subnets the nodes run in (EKS-NODE-006).
    #[serde(default = "default_node_subnets")]
    #[schemars(extend("enum" = limits::NODE_SUBNETS))]
    pub subnets: String,
    /// Nodes get public IPv4 addresses (EKS-NODE-007).
    #[serde(default)]
    pub public_ip: bool,
    /// Extra Bottlerocket settings: a TOML document of `[settings.…]` tables, merged under
    /// `settings` with eksforge's; host and bootstrap containers, static pods and credentials
    /// are refused; never secrets (EKS-NODE-008, EKS-NODE-009).
    #[serde(default)]
    pub user_data: Option<String>,
    /// Extra IAM managed policy ARNs attached to the node role (EKS-IAM-004, EKS-IMG-005).
    #[serde(default)]
    pub extra_policies: Vec<String>,
    /// Kubernetes version pin (`"1.33"`); default: the cluster's (EKS-VER-003).
    #[serde(default)]
    pub version: Option<String>,
    /// Bottlerocket release pin (`"1.26.2-..."`); default: the latest (EKS-VER-004).
    #[serde(default)]
    pub release_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value (optional).
    #[serde(default)]
    pub value: Option<String>,
    /// "NoSchedule", "PreferNoSchedule" or "NoExecute".
    #[schemars(extend("enum" = limits::TAINT_EFFECTS))]
    pub effect: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// Nodes are reached through SSM Session Manager only (no SSH key, no port 22).
    #[serde(default = "default_true")]
    pub ssm_only: bool,
    /// Session Manager sessions are logged to CloudWatch Logs and encrypted with the KMS key.
    #[serde(default = "default_true")]
    pub session_logging: bool,
    /// IAM principal ARNs given cluster-admin through EKS access entries. When empty, the
    /// identity that creates the cluster gets admin access instead (and nobody else).
    #[serde(default)]
    pub admins: Vec<String>,
    /// Access entries with a chosen access policy and scope (EKS-ACC-003).
    #[serde(default)]
    pub entries: Vec<AccessEntry>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessEntry {
    /// IAM principal ARN (role or user).
    pub principal: String,
    /// EKS access policy short name, e.g. `AmazonEKSViewPolicy`.
    #[serde(default = "default_access_policy")]
    pub policy: String,
    /// `cluster` or `namespace`.
    #[serde(default = "default_access_scope")]
    #[schemars(extend("enum" = limits::ACCESS_SCOPES))]
    pub scope: String,
    /// Namespaces, with `scope = "namespace"`.
    #[serde(default)]
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityRule {
    /// The security group the rule opens: `cluster` or `node`.
    #[schemars(extend("enum" = limits::RULE_GROUPS))]
    pub group: String,
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    #[schemars(extend("enum" = limits::RULE_PROTOCOLS))]
    pub protocol: String,
    /// First port (not with protocol `-1`).
    #[serde(default)]
    pub from_port: Option<i32>,
    /// Last port (not with protocol `-1`).
    #[serde(default)]
    pub to_port: Option<i32>,
    /// IPv4 source CIDRs.
    #[serde(default)]
    pub cidrs: Vec<String>,
    /// A source security group: `cluster`, `node` or an `sg-` id.
    #[serde(default)]
    pub source_group: Option<String>,
    /// Why the rule exists.
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Detection {
    /// The region's GuardDuty detector, created or adopted, enabled (EKS-DET-001). `false`
    /// builds none (and then no feature below may be `true` in writing).
    #[serde(default = "default_true")]
    pub guardduty: bool,
    /// The detector's `EKS_AUDIT_LOGS` feature: EKS audit-log monitoring (EKS-DET-002).
    #[serde(default = "default_true")]
    pub eks_audit_logs: bool,
    /// The detector's `RUNTIME_MONITORING` feature with EKS add-on management (GuardDuty
    /// deploys its agent to the cluster) (EKS-DET-003).
    #[serde(default = "default_true")]
    pub runtime_monitoring: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    /// Registry scanning: `basic` or `enhanced` (continuous, Amazon Inspector).
    #[serde(default = "default_registry_scan")]
    #[schemars(extend("enum" = RegistryScan::NAMES))]
    pub scan: RegistryScan,
    /// The repositories.
    #[serde(default)]
    pub repositories: Vec<Repository>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Repository {
    /// Repository name.
    pub name: String,
    /// Scan images on push (EKS-IMG-001).
    #[serde(default = "default_true")]
    pub scan_on_push: bool,
    /// Tags cannot be overwritten (EKS-IMG-002).
    #[serde(default = "default_true")]
    pub immutable_tags: bool,
    /// Repository policy, as a JSON string (EKS-IMG-003).
    #[serde(default)]
    pub policy: Option<String>,
    /// Encrypt with the blueprint's KMS key (EKS-IMG-004).
    #[serde(default = "default_true")]
    pub kms: bool,
    /// The lifecycle policy keeps this many newest images (EKS-IMG-007), 1 to 1000; untagged
    /// images expire after `limits::UNTAGGED_IMAGE_DAYS` days whatever the count.
    #[serde(default = "default_lifecycle_keep")]
    #[schemars(range(min = *limits::LIFECYCLE_KEEP.start(), max = *limits::LIFECYCLE_KEEP.end()))]
    pub lifecycle_keep: u32,
    /// Let `destroy` (or removing the repository from the blueprint) delete it while it still
    /// holds images, which go with it. Off: such a repository is refused, naming its images.
    #[serde(default)]
    pub force_delete: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Addons {
    /// The EKS managed add-ons eksforge installs (EKS-K8S-003): `vpc-cni`, `kube-proxy` and
    /// `eks-pod-identity-agent` before any node group, `coredns` and `aws-ebs-csi-driver` after
    /// the first node group is ACTIVE.
    #[serde(default = "default_managed_addons")]
    #[schemars(extend("items" = {"type": "string", "enum": crate::blueprint::addons::KNOWN_ADDON_NAMES}))]
    pub managed: Vec<String>,
    /// The VPC CNI's settings.
    #[serde(default)]
    pub vpc_cni: VpcCni,
    /// The EBS CSI driver's identity (when `aws-ebs-csi-driver` is managed).
    #[serde(default)]
    pub ebs_csi: EbsCsi,
    /// Version pins by add-on name, checked against what EKS offers for the cluster's
    /// Kubernetes version; default: EKS's default for that version (EKS-K8S-004).
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
    /// Configuration values by add-on name, as a TOML table sent as JSON; checked against the
    /// add-on's schema (`DescribeAddonConfiguration`) before any change.
    #[serde(default)]
    pub configuration: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
}

impl Default for Addons {
    fn default() -> Self {
        Addons {
            managed: default_managed_addons(),
            vpc_cni: VpcCni::default(),
            ebs_csi: EbsCsi::default(),
            versions: BTreeMap::new(),
            configuration: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcCni {
    /// The VPC CNI enforces Kubernetes NetworkPolicy (EKS-K8S-001): sent as the configuration
    /// value `enableNetworkPolicy`.
    #[serde(default = "default_true")]
    pub network_policy: bool,
    /// How the CNI gets its AWS permissions (EKS-K8S-002): `irsa` (a role trusted through the
    /// cluster's OIDC provider) or `pod_identity` (needs `eks-pod-identity-agent`).
    #[serde(default = "default_addon_identity")]
    #[schemars(extend("enum" = AddonIdentity::NAMES))]
    pub identity: AddonIdentity,
}

impl Default for VpcCni {
    fn default() -> Self {
        VpcCni {
            network_policy: true,
            identity: default_addon_identity(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EbsCsi {
    /// How the EBS CSI controller gets its AWS permissions: `irsa` or `pod_identity`.
    #[serde(default = "default_addon_identity")]
    #[schemars(extend("enum" = AddonIdentity::NAMES))]
    pub identity: AddonIdentity,
}

impl Default for EbsCsi {
    fn default() -> Self {
        EbsCsi {
            identity: default_addon_identity(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Irsa {
    /// The cluster's IAM OIDC provider (client id sts.amazonaws.com); needed by service accounts.
    #[serde(default = "default_true")]
    pub oidc_provider: bool,
    /// Service accounts that get an IAM role, trusted on both `sub` and `aud`.
    #[serde(default)]
    pub service_accounts: Vec<ServiceAccount>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccount {
    /// Kubernetes namespace (a DNS label).
    pub namespace: String,
    /// Service account name (a DNS subdomain).
    pub name: String,
    /// ARNs of IAM managed policies attached to the service account's role.
    #[serde(default)]
    pub managed_policies: Vec<String>,
    /// Inline policies of the service account's role: name → policy document (JSON string).
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PodIdentity {
    /// Kubernetes namespace of the service account (a DNS label).
    pub namespace: String,
    /// Kubernetes service account name (a DNS subdomain); only pods running as it get the
    /// role's credentials.
    pub service_account: String,
    /// ARNs of IAM managed policies attached to the service account's role (EKS-IAM-004).
    #[serde(default)]
    pub managed_policies: Vec<String>,
    /// Inline policies of the service account's role: name → policy document (JSON string)
    /// (EKS-IAM-004/005).
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The posture check id, e.g. `EKS-NET-002`; or `insight:<name>` to accept the EKS
    /// upgrade insight of that name (docs/upgrades.md).
    pub check: String,
    /// Why the risk is accepted.
    pub reason: String,
    /// Limit the waiver to one resource id.
    #[serde(default)]
    pub resource: Option<String>,
    /// YYYY-MM-DD (a TOML date or a string).
    #[serde(default)]
    pub expires: Option<String>,
}

fn default_true() -> bool {
    true
}
/// No `default` in the schema for a key whose default depends on the day (`cluster.version`):
/// the committed schema must not go stale with the calendar; the description says what it is.
fn without_default(schema: &mut schemars::Schema) {
    schema.remove("default");
}
fn default_cluster_version() -> String {
    kubernetes_calendar::newest_in_standard_support(Date::today()).to_string()
}
fn default_upgrade_policy() -> UpgradePolicy {
    UpgradePolicy::Standard
}
fn default_log_types() -> Vec<ControlPlaneLogType> {
    ControlPlaneLogType::ALL.to_vec()
}
/// `cluster.log_retention_days` when not written, and the flow log group's retention without
/// `[cluster]`.
pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 90;

fn default_log_retention() -> u32 {
    DEFAULT_LOG_RETENTION_DAYS
}
fn default_kms_key() -> String {
    "create".to_string()
}
fn default_deletion_window() -> u32 {
    30
}
fn default_capacity_type() -> String {
    "ON_DEMAND".to_string()
}
fn default_disk_size() -> u32 {
    20
}
fn default_max_unavailable() -> u32 {
    1
}
fn default_ami() -> String {
    "bottlerocket".to_string()
}
fn default_authentication_mode() -> AuthenticationMode {
    AuthenticationMode::Api
}
fn default_imds_tokens() -> ImdsTokens {
    ImdsTokens::Required
}
fn default_hop_limit() -> u32 {
    1
}
fn default_node_subnets() -> String {
    "private".to_string()
}
fn default_access_policy() -> String {
    "AmazonEKSClusterAdminPolicy".to_string()
}
fn default_access_scope() -> String {
    "cluster".to_string()
}
fn default_registry_scan() -> RegistryScan {
    RegistryScan::Basic
}
fn default_lifecycle_keep() -> u32 {
    50
}
fn default_managed_addons() -> Vec<String> {
    ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}
fn default_addon_identity() -> AddonIdentity {
    AddonIdentity::Irsa
}
fn default_arch() -> String {
    "x86_64".to_string()
}

closed_set! {
    /// An EKS control-plane log type (`cluster.logging`).
    pub enum ControlPlaneLogType {
        Api = "api",
        Audit = "audit",
        Authenticator = "authenticator",
        ControllerManager = "controllerManager",
        Scheduler = "scheduler",
    }
}

closed_set! {
    /// How the API server authenticates IAM principals (`cluster.authentication_mode`).
    pub enum AuthenticationMode {
        /// Access entries only.
        Api = "API",
        ApiAndConfigMap = "API_AND_CONFIG_MAP",
        /// The aws-auth ConfigMap only.
        ConfigMap = "CONFIG_MAP",
    }
}

closed_set! {
    /// What EKS does when the cluster's version leaves standard support
    /// (`cluster.upgrade_policy`, sent as `upgradePolicy.supportType`).
    pub enum UpgradePolicy {
        /// Upgraded by EKS to the next version at the end of standard support.
        Standard = "STANDARD",
        /// Kept on its version under (paid) extended support.
        Extended = "EXTENDED",
    }
}

closed_set! {
    /// Whether instance metadata needs a session token (`node_groups.*.imds_tokens`).
    pub enum ImdsTokens {
        /// IMDSv2 only.
        Required = "required",
        /// IMDSv1 too.
        Optional = "optional",
    }
}

closed_set! {
    /// How an add-on's service account gets AWS credentials (`addons.vpc_cni.identity`).
    pub enum AddonIdentity {
        /// IAM roles for service accounts, through the cluster's OIDC provider.
        Irsa = "irsa",
        /// EKS Pod Identity, through the `eks-pod-identity-agent` add-on.
        PodIdentity = "pod_identity",
    }
}

closed_set! {
    /// How the ECR registry scans images (`registry.scan`).
    pub enum RegistryScan {
        Basic = "basic",
        /// Continuous scanning by Amazon Inspector.
        Enhanced = "enhanced",
    }
}
