//! The typed blueprint: what a user wrote, after `extends`, `--var` overrides and defaults.
//!
//! These field names are the public interface that forked blueprints depend on (DESIGN.md's
//! sample): add keys freely, rename none. Every key is documented in `docs/blueprint.md`.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blueprint {
    pub blueprint: Meta,
    #[serde(default)]
    pub state: StateConfig,
    pub network: Network,
    #[serde(default)]
    pub cluster: Option<Cluster>,
    #[serde(default)]
    pub encryption: Option<Encryption>,
    #[serde(default)]
    pub node_groups: Vec<NodeGroup>,
    #[serde(default)]
    pub access: Option<Access>,
    #[serde(default)]
    pub irsa: Option<Irsa>,
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Names and tags every resource: 1–40 chars, lowercase letters, digits and `-`, starting
    /// with a letter.
    pub name: String,
    /// AWS region; `--region` and the standard AWS chain apply when absent.
    #[serde(default)]
    pub region: Option<String>,
    /// Consumed by the loader (inherit, then override); kept for `validate` output.
    #[serde(default)]
    pub extends: Option<String>,
    /// Extra tags on every resource (on top of `eksforge:blueprint` / `eksforge:resource`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    #[serde(default)]
    pub backend: StateBackendKind,
    /// Local backend: path of the state file; default `state/<blueprint name>.json`.
    #[serde(default)]
    pub path: Option<String>,
    /// S3 backend.
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateBackendKind {
    #[default]
    Local,
    S3,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// IPv4 CIDR of the dedicated VPC, /16 to /24, host bits zero.
    pub vpc_cidr: String,
    /// A count (≥ 2, chosen from DescribeAvailabilityZones in name order) or explicit AZ names.
    #[serde(default)]
    pub azs: AzSpec,
    #[serde(default)]
    pub nat: NatMode,
    /// Public subnets (for NAT gateways and load balancers). Default true; `nat` other than
    /// "none" needs them.
    #[serde(default = "default_true")]
    pub public_subnets: bool,
    /// Explicit subnet CIDRs, one per AZ in AZ order; carved from `vpc_cidr` when absent.
    #[serde(default)]
    pub private_subnet_cidrs: Option<Vec<String>>,
    #[serde(default)]
    pub public_subnet_cidrs: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NatMode {
    #[default]
    PerAz,
    Single,
    None,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    #[serde(default = "default_cluster_version")]
    pub version: String,
    #[serde(default = "default_true")]
    pub endpoint_private: bool,
    #[serde(default)]
    pub endpoint_public: bool,
    #[serde(default)]
    pub public_access_cidrs: Vec<String>,
    #[serde(default = "default_log_types")]
    pub logging: Vec<String>,
    #[serde(default = "default_log_retention")]
    pub log_retention_days: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// "create" or an existing KMS key ARN.
    #[serde(default = "default_kms_key")]
    pub kms_key: String,
    #[serde(default = "default_true")]
    pub rotation: bool,
    /// Waiting period (7–30 days) before a destroyed key is really deleted; until then a
    /// re-create adopts it.
    #[serde(default = "default_deletion_window")]
    pub deletion_window_days: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    pub name: String,
    #[serde(default = "default_ami")]
    pub ami: String,
    #[serde(default = "default_arch")]
    pub arch: String,
    pub instance_types: Vec<String>,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_size: u32,
    /// "ON_DEMAND" or "SPOT".
    #[serde(default = "default_capacity_type")]
    pub capacity_type: String,
    /// Size in GiB of the (encrypted gp3) data volume that holds images and pods.
    #[serde(default = "default_disk_size")]
    pub disk_size: u32,
    /// Nodes replaced at once during a node group update.
    #[serde(default = "default_max_unavailable")]
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

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
    /// "NoSchedule", "PreferNoSchedule" or "NoExecute".
    pub effect: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    #[serde(default = "default_true")]
    pub ssm_only: bool,
    #[serde(default = "default_true")]
    pub session_logging: bool,
    /// IAM principal ARNs given cluster-admin through EKS access entries. When empty, the
    /// identity that creates the cluster gets admin access instead (and nobody else).
    #[serde(default)]
    pub admins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Irsa {
    #[serde(default = "default_true")]
    pub oidc_provider: bool,
    #[serde(default)]
    pub service_accounts: Vec<ServiceAccount>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccount {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub managed_policies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub check: String,
    pub reason: String,
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
