//! A running cluster as the AWS API describes it, read for the live posture audit
//! (`audit::live`): plain observed data, no judgement.
//!
//! Read-only guarantee: every call here is a `Describe*`, `Get*` or `List*` call; nothing in this
//! module can change the account. Each part carries its own outcome (`Read<T>`): a denied or
//! missing API makes that part an error naming the call and its code, never a failure of the
//! whole observation; only a cluster that cannot be described is an error. Lists page through
//! the SDK's paginators.
//!
//! Round trips dominate an audit's time, so independent reads run concurrently, in two waves:
//! what needs only `DescribeCluster`, then what the node groups, the OIDC provider and the
//! access entries name (subnets, security groups, roles).

mod ecr;
mod eks;
mod guardduty;
mod iam;
mod inventory;
mod kms;
mod logs;
mod network;
mod nodes;
mod pod_identity;
mod ssm;

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;

use super::{Aws, AwsError};

pub use ecr::{RegistryObservation, RepositoryDescription};
pub use eks::{
    cluster_names, AccessEntryDescription, AccessPolicyDescription, AddonDescription,
    ClusterDescription, VpcConfigDescription,
};
pub(crate) use guardduty::detector_features;
pub use guardduty::{DetectorDescription, FeatureDescription};
pub use iam::{NamedDocument, OidcProviderDescription, RoleObservation, RoleReference};
pub use inventory::{
    vpc_inventory, InventoryFlowLog, InventoryNat, InventoryRouteTable, InventoryRule,
    InventorySubnet, VpcInventory,
};
pub use kms::{KeyMetadataDescription, KeyObservation};
pub use logs::LogGroupDescription;
pub use network::{
    NetworkObservation, PermissionDescription, RouteDescription, RouteTableDescription,
    SecurityGroupDescription, SecurityGroupsObservation, SubnetDescription,
};
pub use nodes::{
    InstanceDescription, LaunchData, LaunchObservation, NodeGroupObservation,
    RemoteAccessDescription,
};
pub use pod_identity::{pod_identities, PodIdentityObservation};
pub use ssm::{SessionDocument, SESSION_DOCUMENT};

/// One read's outcome: the value, or the error naming the call and the AWS error code.
pub type Read<T> = Result<T, AwsError>;

/// Everything the posture checks need to know about one cluster, as read.
#[derive(Debug, Clone)]
pub struct ClusterObservation {
    /// The name the caller asked for (EKS's own answer is in `cluster.name`).
    pub requested_name: String,
    pub cluster: ClusterDescription,
    /// The list call's outcome, then each group's describe.
    pub node_groups: Read<Vec<Read<NodeGroupObservation>>>,
    /// `/aws/eks/<name>/cluster`, `None` when it does not exist.
    pub log_group: Read<Option<LogGroupDescription>>,
    /// The IAM OIDC provider matching the cluster's issuer; `None` without an issuer or match.
    pub oidc_provider: Read<Option<OidcProviderDescription>>,
    /// Session Manager preferences (`SESSION_DOCUMENT`); `None` when not set up.
    pub session_document: Read<Option<SessionDocument>>,
    /// The list call's outcome, then each entry's reads.
    pub access_entries: Read<Vec<Read<AccessEntryDescription>>>,
    /// The list call's outcome, then each add-on's reads.
    pub addons: Read<Vec<Read<AddonDescription>>>,
    pub ebs_encryption_by_default: Read<Option<bool>>,
    /// The region's GuardDuty detector; `None` when there is none.
    pub detector: Read<Option<DetectorDescription>>,
    /// The region's ECR registry: what the cluster's nodes may pull from.
    pub registry: Read<RegistryObservation>,
    /// From `DescribeCluster`, else from the first subnet the cluster or a node group uses.
    pub vpc_id: Option<String>,
    /// `None` without a VPC id.
    pub network: Option<NetworkObservation>,
    pub security_groups: SecurityGroupsObservation,
    /// The key encrypting the cluster's secrets, `None` when it has none.
    pub secrets_key: Option<KeyObservation>,
    /// Every role the cluster, its node groups, its IRSA service accounts and its access
    /// entries name, sorted by ARN.
    pub roles: Vec<RoleObservation>,
}

/// Reads cluster `name` in `aws`'s region. Fails only when the cluster cannot be described
/// (`no cluster NAME in REGION` when it does not exist).
pub async fn cluster(aws: &Aws, name: &str) -> Result<ClusterObservation, AwsError> {
    let cluster = eks::describe_cluster(aws, name).await?;

    // Everything below depends only on DescribeCluster: read it all at once.
    let (
        node_groups,
        log_group,
        oidc_provider,
        session_document,
        access_entries,
        addons,
        ebs_encryption_by_default,
        detector,
        registry,
    ) = futures::join!(
        nodes::node_groups(aws, name),
        logs::control_plane_log_group(aws, name),
        iam::oidc_provider(aws, cluster.oidc_issuer.as_deref()),
        ssm::session_document(aws),
        eks::access_entries(aws, name),
        eks::addons(aws, name, cluster.version.as_deref()),
        network::ebs_encryption_by_default(aws),
        guardduty::detector(aws),
        ecr::registry(aws),
    );

    // Node groups name their subnets, roles and launch templates' groups: the second wave.
    let described_groups: Vec<&NodeGroupObservation> = node_groups
        .iter()
        .flatten()
        .filter_map(|group| group.as_ref().ok())
        .collect();
    let mut subnet_ids: BTreeSet<String> = cluster.subnet_ids().iter().cloned().collect();
    let mut node_group_security_groups: BTreeSet<String> = BTreeSet::new();
    let mut roles: BTreeMap<String, RoleReference> = BTreeMap::new();
    if let Some(role) = cluster.role_arn.as_ref().filter(|arn| !arn.is_empty()) {
        roles.insert(role.clone(), RoleReference::Cluster);
    }
    for group in &described_groups {
        subnet_ids.extend(group.subnets.iter().cloned());
        if let Some(role) = group.node_role.as_ref().filter(|arn| !arn.is_empty()) {
            roles
                .entry(role.clone())
                .or_insert(RoleReference::NodeGroup);
        }
        node_group_security_groups.extend(group.launch.security_group_ids().iter().cloned());
        if let Some(remote) = &group.remote_access {
            node_group_security_groups.extend(remote.source_security_groups.iter().cloned());
        }
    }
    // Some endpoints (moto) leave `resourcesVpcConfig.vpcId` out: the subnets name it.
    let vpc_id = match cluster.vpc_id() {
        Some(vpc_id) => Some(vpc_id.to_string()),
        None => match subnet_ids.iter().next() {
            Some(first) => network::vpc_of_subnet(aws, first).await,
            None => None,
        },
    };
    let oidc_provider_arn = match &oidc_provider {
        Ok(Some(provider)) => Some(provider.arn.as_str()),
        _ => None,
    };
    let (network, security_groups, secrets_key, irsa_roles) = futures::join!(
        network::network(aws, vpc_id.as_deref(), &subnet_ids),
        network::security_groups(
            aws,
            vpc_id.as_deref(),
            cluster.security_group_ids(),
            node_group_security_groups,
        ),
        kms::key(aws, cluster.secrets_key_arn.as_deref()),
        iam::irsa_role_arns(aws, oidc_provider_arn),
    );
    for role in irsa_roles {
        roles.entry(role).or_insert(RoleReference::ServiceAccount);
    }
    // Access entries name roles only when every entry could be read (as the view then has them).
    let read_entries: Option<Vec<&AccessEntryDescription>> = access_entries
        .as_ref()
        .ok()
        .and_then(|entries| entries.iter().map(|entry| entry.as_ref().ok()).collect());
    for entry in read_entries.into_iter().flatten() {
        if entry.principal_arn.contains(":role/") {
            roles
                .entry(entry.principal_arn.clone())
                .or_insert(RoleReference::AccessEntry);
        }
    }
    let roles = join_all(
        roles
            .into_iter()
            .map(|(arn, reference)| iam::role(aws, arn, reference)),
    )
    .await;

    Ok(ClusterObservation {
        requested_name: name.to_string(),
        cluster,
        node_groups,
        log_group,
        oidc_provider,
        session_document,
        access_entries,
        addons,
        ebs_encryption_by_default,
        detector,
        registry,
        vpc_id,
        network,
        security_groups,
        secrets_key,
        roles,
    })
}
