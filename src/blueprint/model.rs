//! The typed blueprint: what a user wrote, after `extends`, `--var` overrides and defaults.
//!
//! These field names are the public interface that forked blueprints depend on (DESIGN.md's
//! sample): add keys freely, rename none. Every key is documented in `docs/blueprint.md`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

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
    /// Posture findings accepted on purpose, each with a reason.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// The posture gate: the severity at which `apply` refuses.
    #[serde(default)]
    pub audit: Option<AuditConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// `apply` refuses while an unwaived finding at or above this severity exists
    /// (`critical`, `high`, `medium`, `low`); `--fail-on` overrides it.
    #[serde(default = "default_fail_on")]
    #[schemars(extend("enum" = ["critical", "high", "medium", "low"]))]
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
    #[schemars(length(min = 1, max = super::validate::MAX_NAME_LEN), regex(pattern = r"^[a-z](-?[a-z0-9])*$"))]
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
    /// (VPC endpoints must then serve ECR, S3, STS, CloudWatch Logs and SSM).
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
    /// Kubernetes version in EKS standard support, quoted (`"1.34"`).
    #[serde(default = "default_cluster_version")]
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
    #[schemars(extend("items" = {"type": "string", "enum": super::validate::LOG_TYPES}))]
    pub logging: Vec<String>,
    /// Retention in days of the control-plane and session log groups (a CloudWatch Logs period).
    #[serde(default = "default_log_retention")]
    #[schemars(extend("enum" = super::validate::LOG_RETENTION_DAYS))]
    pub log_retention_days: u32,
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
    #[schemars(range(min = 7, max = 30))]
    pub deletion_window_days: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    /// Unique among the node groups; part of the node group's AWS names.
    #[schemars(length(min = 1, max = super::validate::MAX_NODE_GROUP_NAME_LEN), regex(pattern = r"^[a-z](-?[a-z0-9])*$"))]
    pub name: String,
    /// The node OS: Bottlerocket only.
    #[serde(default = "default_ami")]
    #[schemars(extend("enum" = ["bottlerocket"]))]
    pub ami: String,
    /// CPU architecture; must match the instance types (Graviton types are arm64).
    #[serde(default = "default_arch")]
    #[schemars(extend("enum" = ["x86_64", "arm64"]))]
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
    #[schemars(extend("enum" = ["ON_DEMAND", "SPOT"]))]
    pub capacity_type: String,
    /// Size in GiB of the (encrypted gp3) data volume that holds images and pods.
    #[serde(default = "default_disk_size")]
    #[schemars(range(min = 4, max = 16384))]
    pub disk_size: u32,
    /// Nodes replaced at once during a node group update.
    #[serde(default = "default_max_unavailable")]
    #[schemars(range(min = 1, max = 100))]
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
    #[schemars(extend("enum" = ["NoSchedule", "PreferNoSchedule", "NoExecute"]))]
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
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The posture check id, e.g. `EKS-NET-002`.
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
fn default_cluster_version() -> String {
    "1.34".to_string()
}
fn default_log_types() -> Vec<String> {
    [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
fn default_log_retention() -> u32 {
    90
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
fn default_arch() -> String {
    "x86_64".to_string()
}
