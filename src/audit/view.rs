//! The one picture of a cluster every check reads: built from the desired model at plan time
//! (`audit::desired`) or from read-only AWS calls (`audit::live`). Field names follow what the
//! checks need, not any one API.
//!
//! Linking: views refer to each other by the `resource` of their [`Subject`] (a desired id such
//! as `subnet.private.eu-west-1a` or `iam_role.node` on the desired side; a cloud id or ARN such
//! as `subnet-0abc` or `arn:aws:iam::123:role/x` on the live side). So a node group's
//! `subnets` and `node_role` hold the same strings as the matching [`SubnetView`] and
//! [`RoleView`] subjects.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::blueprint::bottlerocket_settings::node_settings;
pub use crate::blueprint::bottlerocket_settings::{HostContainer, NodeSettings};

/// Where a picture came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// The expanded blueprint (plan, `audit BLUEPRINT`).
    Desired,
    /// What the AWS API describes (`audit --live`, `audit --cluster`).
    Live,
}

/// What a finding is about and where to point.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    /// Desired side: the resource id (`eks_cluster.main`); live side: the ARN or cloud id.
    pub resource: String,
    /// The cloud id or ARN when known (live side; desired side once state records it).
    pub cloud_id: Option<String>,
    /// Desired side: the blueprint key that drives this subject (`cluster.public_access_cidrs`,
    /// `node_groups[0].imds_hop_limit`), located with `LoadedBlueprint::locate` (a default
    /// falls back to its `[section]` header). `None` on the live side.
    pub key: Option<String>,
}

impl Subject {
    pub fn new(resource: impl Into<String>) -> Self {
        Subject {
            resource: resource.into(),
            cloud_id: None,
            key: None,
        }
    }

    /// The same subject, pointing at blueprint key `key` (a check names the key that drives
    /// the particular finding, e.g. `cluster.endpoint_private` rather than the cluster's key).
    pub fn at(&self, key: impl Into<String>) -> Self {
        Subject {
            key: Some(key.into()),
            ..self.clone()
        }
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn with_cloud_id(mut self, cloud_id: impl Into<String>) -> Self {
        self.cloud_id = Some(cloud_id.into());
        self
    }
}

/// A value that may be unknown: the API is missing (moto has no EKS add-ons), the call was
/// denied, or the desired model cannot know it (an existing key's state). Checks turn
/// `Unknown` into "not evaluated", never into a pass.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact<T> {
    Known(T),
    Unknown(String),
}

impl<T> Fact<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(value) => Some(value),
            Fact::Unknown(_) => None,
        }
    }

    /// Why it is unknown (`None` when known).
    pub fn why_unknown(&self) -> Option<&str> {
        match self {
            Fact::Known(_) => None,
            Fact::Unknown(why) => Some(why),
        }
    }

    pub fn unknown(why: impl Into<String>) -> Self {
        Fact::Unknown(why.into())
    }

    /// `Known(value)` when there is a value, else `Unknown(why)`: how an optional API member
    /// becomes a fact.
    pub fn from_option(value: Option<T>, why: impl Into<String>) -> Self {
        match value {
            Some(value) => Fact::Known(value),
            None => Fact::unknown(why),
        }
    }
}

impl Fact<String> {
    /// The known text (`None` when unknown).
    pub fn known_str(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

/// A calendar date (UTC), for waiver expiry and the EKS version support calendar: the
/// blueprint's, so the default Kubernetes version and the audit read one calendar.
pub use crate::blueprint::date::Date;

/// Everything the checks read. Absent parts (`None`, empty lists) mean "nothing of that kind
/// here", which checks answer with no evaluation at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Posture {
    pub side: Side,
    /// The day the checks run for (waiver expiry, the version support table).
    pub today: Date,
    /// The account the cluster is in (for "the account root" and whole-account principals).
    pub account_id: Option<String>,
    pub partition: String,
    pub cluster: Option<ClusterView>,
    pub network: Option<NetworkView>,
    /// Cluster SGs, node SGs and (live, when readable) the VPC's default SG.
    pub security_groups: Vec<SecurityGroupView>,
    /// The key named by the cluster's secrets encryption (`None` when there is none).
    pub secrets_key: Option<KeyView>,
    /// Cluster, node, IRSA and access-entry roles.
    pub roles: Vec<RoleView>,
    /// The cluster's IAM OIDC provider: `Known(None)` when there is none.
    pub oidc_provider: Fact<Option<OidcProviderView>>,
    pub node_groups: Vec<NodeGroupView>,
    /// Session Manager preferences (`SSM-SessionManagerRunShell`): `Known(None)` when absent.
    pub session_preferences: Fact<Option<SessionPreferencesView>>,
    pub access_entries: Fact<Vec<AccessEntryView>>,
    /// GuardDuty in the cluster's region. `None`: not applicable on this side (a blueprint
    /// without `[detection]`).
    pub detection: Option<Fact<DetectionView>>,
    /// ECR. `None`: not applicable (a blueprint that declares no repositories).
    pub registry: Option<Fact<RegistryView>>,
    /// EKS managed add-ons (moto has no add-ons API: `Unknown` there).
    pub addons: Fact<AddonsView>,
    /// The region's EBS encryption-by-default setting; `None` on the desired side (an account
    /// setting the blueprint does not own).
    pub ebs_encryption_by_default: Option<Fact<bool>>,
}

impl Posture {
    /// A picture with nothing in it yet; the builders fill it.
    pub fn empty(side: Side, today: Date) -> Posture {
        Posture {
            side,
            today,
            account_id: None,
            partition: "aws".into(),
            cluster: None,
            network: None,
            security_groups: Vec::new(),
            secrets_key: None,
            roles: Vec::new(),
            oidc_provider: Fact::Known(None),
            node_groups: Vec::new(),
            session_preferences: Fact::Known(None),
            access_entries: Fact::Known(Vec::new()),
            detection: None,
            registry: None,
            addons: Fact::unknown("not read"),
            ebs_encryption_by_default: None,
        }
    }

    /// The role a subject names (a cluster's `role`, a node group's `node_role`).
    pub fn role(&self, resource: &str) -> Option<&RoleView> {
        self.roles
            .iter()
            .find(|role| role.subject.resource == resource)
    }

    /// The subnet a node group names.
    pub fn subnet(&self, resource: &str) -> Option<&SubnetView> {
        self.network
            .as_ref()?
            .subnets
            .iter()
            .find(|subnet| subnet.subject.resource == resource)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterView {
    pub subject: Subject,
    pub name: String,
    /// Kubernetes minor version, `1.34`; `Unknown` when the API did not report it.
    pub version: Fact<String>,
    /// What `eks:DescribeClusterVersions` said of `version` (`STANDARD_SUPPORT`,
    /// `EXTENDED_SUPPORT`, `UNSUPPORTED`, or `NOT_LISTED`); `None` when not asked or not
    /// answered — the checks then use eksforge's dated table.
    pub reported_version_status: Option<String>,
    pub endpoint_public: bool,
    pub endpoint_private: bool,
    /// As configured; empty with a public endpoint means EKS applies `0.0.0.0/0`.
    pub public_access_cidrs: Vec<String>,
    /// Enabled control-plane log types.
    pub log_types: Vec<String>,
    /// `encryptionConfig[]` holds `secrets`: the key's ARN (or alias / reference); `None`
    /// when secrets are not envelope-encrypted.
    pub secrets_key: Option<String>,
    /// `API`, `API_AND_CONFIG_MAP`, `CONFIG_MAP`.
    pub authentication_mode: Fact<String>,
    pub bootstrap_creator_admin: Fact<bool>,
    pub deletion_protection: Fact<bool>,
    /// The cluster role: the `resource` of its [`RoleView`]; `Unknown` when the API did not
    /// report it.
    pub role: Fact<String>,
    /// The control-plane log group `/aws/eks/<name>/cluster`: `Known(None)` when missing (on
    /// the desired side: not created ahead of the cluster).
    pub log_group: Fact<Option<LogGroupView>>,
    /// The cluster's OIDC issuer URL when known.
    pub oidc_issuer: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupView {
    pub subject: Subject,
    pub name: String,
    /// `None`: never expires.
    pub retention_days: Option<u32>,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkView {
    /// The VPC.
    pub subject: Subject,
    pub subnets: Vec<SubnetView>,
    /// An active VPC flow log exists (desired: `network.flow_logs`).
    pub flow_logs: Fact<bool>,
    /// NAT gateways give private subnets egress (desired: `network.nat` is not `none`).
    pub nat: Fact<bool>,
    /// VPC endpoint services, as the short suffix: `ecr.api`, `ecr.dkr`, `s3`, `sts`, `logs`,
    /// `ssm`, `ssmmessages`, `ec2messages`.
    pub endpoints: Fact<Vec<String>>,
    /// The VPC's default security group has rules. `None`: not applicable (the desired side
    /// of a VPC eksforge creates).
    pub default_sg_has_rules: Option<Fact<bool>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubnetView {
    pub subject: Subject,
    /// Meant for nodes and internal load balancers (desired: `subnet.private.*`; live: tagged
    /// `kubernetes.io/role/internal-elb`, or named by a node group).
    pub private: bool,
    pub map_public_ip_on_launch: bool,
    /// The internet gateway its route table sends `0.0.0.0/0` or `::/0` to (the explicit
    /// association, else the VPC's main table), if any.
    pub internet_route: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRole {
    Cluster,
    Node,
    /// The VPC's default security group.
    Default,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroupView {
    pub subject: Subject,
    pub role: GroupRole,
    pub ingress: Vec<RuleView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleView {
    /// Desired: the rule's resource id and blueprint key (`security_rules[0]`).
    pub subject: Subject,
    /// `tcp`, `udp`, `icmp`, or `-1` (all).
    pub protocol: String,
    /// `None` with protocol `-1` (all ports).
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// IPv4 and IPv6 source ranges.
    pub cidrs: Vec<String>,
    /// Source security groups (their `resource`s or ids).
    pub source_groups: Vec<String>,
}

impl RuleView {
    /// Whether the rule admits TCP port `port` (all-traffic rules included).
    pub fn covers_tcp_port(&self, port: i32) -> bool {
        match self.protocol.as_str() {
            "-1" | "all" => true,
            "tcp" | "6" => match (self.from_port, self.to_port) {
                (Some(from), Some(to)) => from <= port && port <= to,
                _ => true,
            },
            _ => false,
        }
    }

    /// Whether a source is the whole internet.
    pub fn from_anywhere(&self) -> bool {
        self.cidrs
            .iter()
            .any(|cidr| cidr == "0.0.0.0/0" || cidr == "::/0")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyView {
    pub subject: Subject,
    /// `CUSTOMER` (true) or `AWS` managed (false).
    pub customer_managed: Fact<bool>,
    /// `Enabled`, `Disabled`, `PendingDeletion`, ...
    pub state: Fact<String>,
    pub rotation: Fact<bool>,
    /// The key policy document (desired side: placeholders such as
    /// `${iam_role.cluster.arn}` stand for ARNs not known yet).
    pub policy: Fact<Json>,
    pub aliases: Fact<Vec<String>>,
    /// Principals allowed to administer the key besides the account root
    /// (`encryption.key_admins`).
    pub admins: Vec<String>,
    /// The principal the cluster uses the key as (the cluster role's ARN or placeholder).
    pub cluster_role_principal: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleUse {
    Cluster,
    Node,
    Irsa,
    /// Trusted by the EKS Pod Identity service (`pods.eks.amazonaws.com`) for a service
    /// account's pods: a workload role like an IRSA one, judged on its policies.
    PodIdentity,
    AccessEntry,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleView {
    pub subject: Subject,
    pub name: String,
    pub uses: RoleUse,
    pub trust: Fact<Json>,
    /// Attached managed policy ARNs.
    pub managed_policies: Fact<Vec<String>>,
    /// Inline policies and the documents of customer-managed attached policies.
    pub policy_documents: Fact<Vec<PolicyDocument>>,
    /// For IRSA roles: the service account the trust should pin (`namespace`, `name`) when the
    /// blueprint declares it; for Pod Identity roles, the account its association names.
    pub service_account: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    /// The inline policy's name or the managed policy's ARN.
    pub name: String,
    pub document: Json,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OidcProviderView {
    pub subject: Subject,
    /// The issuer URL the provider trusts; `Unknown` when the API did not report it.
    pub url: Fact<String>,
    pub client_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeGroupView {
    pub subject: Subject,
    pub name: String,
    /// `BOTTLEROCKET_x86_64`, `AL2023_x86_64_STANDARD`, `CUSTOM`, ...; `Unknown` when the API
    /// did not report it.
    pub ami_type: Fact<String>,
    /// The Kubernetes version the group runs (`None`: follows the cluster).
    pub version: Option<String>,
    /// The OS release (`1.26.2-...`); `None` when not pinned and not yet known.
    pub release_version: Option<String>,
    /// The newest Bottlerocket release for this group's Kubernetes version and architecture
    /// (the SSM public parameter); `Unknown` when it could not be read.
    pub latest_release: Fact<String>,
    /// Subnets: `resource`s of [`SubnetView`]s.
    pub subnets: Vec<String>,
    /// The node role: `resource` of a [`RoleView`]; `Unknown` when the API did not report it.
    pub node_role: Fact<String>,
    pub remote_access: Option<RemoteAccessView>,
    /// What the nodes launch with: the launch template's data, or (live, with no template) the
    /// instances' settings.
    pub launch: Fact<LaunchView>,
}

/// The [`LaunchView::node_settings`] of `user_data` (`None`: the template has none, so
/// Bottlerocket's defaults apply); `Unknown` when it cannot be read as Bottlerocket settings.
pub fn read_node_settings(user_data: Option<&str>) -> Fact<NodeSettings> {
    match node_settings(user_data) {
        Ok(settings) => Fact::Known(settings),
        Err(why) => Fact::Unknown(why),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RemoteAccessView {
    pub ssh_key: Option<String>,
    pub source_security_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LaunchView {
    pub subject: Subject,
    /// `required` or `optional`; `None` when unset (AWS then allows IMDSv1 unless the AMI
    /// says otherwise).
    pub http_tokens: Option<String>,
    pub hop_limit: Option<i64>,
    /// Block devices: `(device name, encrypted)`; a `None` name means the API named no device
    /// (the mapping still counts), `None` encrypted means unset.
    pub volumes: Vec<(Option<String>, Option<bool>)>,
    pub key_name: Option<String>,
    /// `NetworkInterfaces[].AssociatePublicIpAddress` (or instances with a public IP).
    pub public_ip: bool,
    /// Decoded user data (Bottlerocket settings TOML).
    pub user_data: Option<String>,
    /// What that user data runs besides Kubernetes (host and bootstrap containers, static
    /// pods), read from the whole document: [`read_node_settings`].
    pub node_settings: Fact<NodeSettings>,
    /// Security groups on the template's interfaces.
    pub security_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionPreferencesView {
    pub subject: Subject,
    pub cloudwatch_log_group: Option<String>,
    pub s3_bucket: Option<String>,
    pub kms_key_id: Option<String>,
    pub cloudwatch_encryption: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccessEntryView {
    pub subject: Subject,
    pub principal_arn: String,
    pub kubernetes_groups: Vec<String>,
    pub policies: Vec<AccessPolicyView>,
    /// The principal role's trust document when readable (broad-principal test).
    pub principal_trust: Fact<Option<Json>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccessPolicyView {
    /// `arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`; `Unknown` when the
    /// API did not report it.
    pub policy_arn: Fact<String>,
    /// `cluster` or `namespace`.
    pub scope: String,
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetectionView {
    pub subject: Subject,
    pub guardduty: bool,
    pub eks_audit_logs: bool,
    pub runtime_monitoring: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegistryView {
    /// Registry-level scanning covers every repository (`SCAN_ON_PUSH` or `CONTINUOUS_SCAN`
    /// rules with a wildcard filter, or `registry.scan = "enhanced"`).
    pub registry_scanning: bool,
    pub repositories: Vec<RepositoryView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryView {
    pub subject: Subject,
    pub name: String,
    pub scan_on_push: bool,
    pub immutable_tags: bool,
    pub policy: Option<Json>,
    pub kms_encrypted: bool,
    pub lifecycle_policy: bool,
    /// Critical and high counts of the newest image's scan (live only; `None` on the desired
    /// side or with no image).
    pub newest_image_findings: Option<Fact<(u32, u32)>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AddonsView {
    /// The cluster (what K8S-003 reports against).
    pub subject: Subject,
    pub managed: Vec<AddonView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AddonView {
    pub subject: Subject,
    /// `vpc-cni`, `kube-proxy`, `coredns`, `eks-pod-identity-agent`, ...
    pub name: String,
    /// Pinned or installed version (`None`: EKS's default for the cluster version).
    pub version: Option<String>,
    /// The default version for the cluster's Kubernetes version.
    pub default_version: Fact<Option<String>>,
    /// vpc-cni only: `enableNetworkPolicy`.
    pub network_policy: Option<bool>,
    pub service_account_role: Option<String>,
    pub pod_identity: bool,
}

#[cfg(test)]
pub mod fixture;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_count_from_the_epoch() {
        assert_eq!(
            Date::parse("2027-03-31"),
            Some(Date {
                year: 2027,
                month: 3,
                day: 31
            })
        );
        assert_eq!(Date::parse("2027-02-29"), None);
        assert_eq!(Date::parse("2028-02-29").map(|d| d.day), Some(29));
        assert_eq!(Date::parse("2027-3-31"), None);
        assert_eq!(Date::parse("tomorrow"), None);
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_415).to_string(),
            "2025-11-23"
        );
    }

    #[test]
    fn rules_know_their_ports() {
        let rule = |protocol: &str, from: Option<i32>, to: Option<i32>| RuleView {
            subject: Subject::new("r"),
            protocol: protocol.into(),
            from_port: from,
            to_port: to,
            cidrs: vec!["0.0.0.0/0".into()],
            source_groups: vec![],
        };
        assert!(rule("tcp", Some(0), Some(1024)).covers_tcp_port(22));
        assert!(rule("-1", None, None).covers_tcp_port(22));
        assert!(!rule("tcp", Some(443), Some(443)).covers_tcp_port(22));
        assert!(!rule("udp", Some(22), Some(22)).covers_tcp_port(22));
        assert!(rule("tcp", Some(22), Some(22)).from_anywhere());
    }
}
