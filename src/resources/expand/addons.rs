//! EKS managed add-ons in the order a cluster comes up: the CNI, kube-proxy and the Pod
//! Identity agent once the cluster is ACTIVE (node groups are created after them, so nodes
//! boot with a CNI that has its permissions); coredns and the EBS CSI driver after the first
//! node group, since their pods need nodes. The graph carries the order: node groups depend on
//! the first kind, the second kind depends on the first node group.

use serde_json::{Map, Value as Json};

use crate::blueprint::addons::{known_addon, AddonIdentityNeed, KnownAddon, VPC_CNI};
use crate::blueprint::model::{AddonIdentity, Addons, ServiceAccount};
use crate::resources::policy::sorted_json;
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;
use super::iam::attach;
use super::irsa::add_service_account_role;
use super::names::Arns;
use super::pod_identity::add_pod_identity_role;
use super::ExpandError;

/// The service accounts' namespace: every add-on eksforge installs runs in kube-system.
const NAMESPACE: &str = "kube-system";

pub(super) struct AddonInputs<'a> {
    pub cluster: &'a ResourceId,
    /// The cluster's OIDC provider, when there is one (IRSA identities need it).
    pub oidc_provider: Option<&'a ResourceId>,
    pub arns: &'a Arns<'a>,
}

/// The add-ons nodes need before they can become Ready; returns their ids, which node groups
/// are created after.
pub(super) fn add_addons_before_nodes(
    builder: &mut Builder,
    addons: &Addons,
    inputs: &AddonInputs<'_>,
) -> Result<Vec<ResourceId>, ExpandError> {
    add_addons(builder, addons, inputs, false, &[])
}

/// The add-ons whose pods need nodes, after the first node group. Without a node group there
/// is nowhere for them to run: they are left out (validation refuses them when listed).
pub(super) fn add_addons_after_nodes(
    builder: &mut Builder,
    addons: &Addons,
    inputs: &AddonInputs<'_>,
    first_node_group: Option<&ResourceId>,
) -> Result<Vec<ResourceId>, ExpandError> {
    let Some(first) = first_node_group else {
        return Ok(Vec::new());
    };
    add_addons(builder, addons, inputs, true, std::slice::from_ref(first))
}

fn add_addons(
    builder: &mut Builder,
    addons: &Addons,
    inputs: &AddonInputs<'_>,
    needing_nodes: bool,
    after: &[ResourceId],
) -> Result<Vec<ResourceId>, ExpandError> {
    let mut ids = Vec::new();
    for name in &addons.managed {
        let Some(known) = known_addon(name).filter(|known| known.needs_nodes == needing_nodes)
        else {
            continue;
        };
        ids.push(add_addon(builder, addons, known, inputs, after)?);
    }
    Ok(ids)
}

fn add_addon(
    builder: &mut Builder,
    addons: &Addons,
    known: &KnownAddon,
    inputs: &AddonInputs<'_>,
    after: &[ResourceId],
) -> Result<ResourceId, ExpandError> {
    let mut after = after.to_vec();
    let mut attrs = vec![
        ("cluster_name", inputs.cluster.output("name")),
        ("addon_name", Value::str(known.name)),
        (
            "configuration_values",
            Value::str(configuration_values(addons, known.name)),
        ),
    ];
    if let Some(version) = addons.versions.get(known.name) {
        attrs.push(("addon_version", Value::str(version.clone())));
    }
    let mut associations = Vec::new();
    let mut role_arn = Value::str("");
    if let Some(need) = known.identity {
        let identity = identity_choice(addons, known);
        let (role, attachment) = add_identity_role(builder, need, identity, inputs)?;
        // The role has its policy before the add-on's pods start.
        after.push(attachment);
        match identity {
            AddonIdentity::PodIdentity => associations.push(Value::Map(
                [
                    ("role_arn".to_string(), role.output("arn")),
                    (
                        "service_account".to_string(),
                        Value::str(need.service_account),
                    ),
                ]
                .into(),
            )),
            _ => role_arn = role.output("arn"),
        }
    }
    // Written even when empty, so a role or association added by hand shows as drift.
    attrs.push(("service_account_role_arn", role_arn));
    attrs.push(("pod_identity_associations", Value::List(associations)));
    Ok(builder.add_after(Kind::EksAddon, known.name, attrs, after))
}

fn identity_choice<'a>(addons: &'a Addons, known: &KnownAddon) -> &'a AddonIdentity {
    if known.name == VPC_CNI {
        &addons.vpc_cni.identity
    } else {
        &addons.ebs_csi.identity
    }
}

/// The add-on's role (IRSA or Pod Identity, as its table says) with its one managed policy;
/// returns the role and the policy attachment.
fn add_identity_role(
    builder: &mut Builder,
    need: AddonIdentityNeed,
    identity: &AddonIdentity,
    inputs: &AddonInputs<'_>,
) -> Result<(ResourceId, ResourceId), ExpandError> {
    let policy = inputs.arns.managed_policy(need.managed_policy);
    let account = ServiceAccount {
        namespace: NAMESPACE.to_string(),
        name: need.service_account.to_string(),
        managed_policies: Vec::new(),
        inline_policies: Default::default(),
    };
    let (key, role) = match (identity, inputs.oidc_provider) {
        (AddonIdentity::Irsa, Some(provider)) => (
            format!("irsa.{NAMESPACE}.{}", need.service_account),
            add_service_account_role(builder, provider, 0, &account)?,
        ),
        // Pod Identity (validation refuses IRSA without an OIDC provider).
        _ => add_pod_identity_role(builder, NAMESPACE, need.service_account, inputs.arns),
    };
    let attachment = attach(builder, &key, &role, &policy);
    Ok((role, attachment))
}

/// The add-on's configuration values as canonical JSON (keys sorted): the blueprint's
/// `addons.configuration.<name>` table, and for the CNI the network policy switch. Empty when
/// there is nothing to configure.
fn configuration_values(addons: &Addons, name: &str) -> String {
    let mut values: Map<String, Json> = addons.configuration.get(name).cloned().unwrap_or_default();
    if name == VPC_CNI {
        // The add-on's schema takes the switch as a string.
        values.insert(
            "enableNetworkPolicy".to_string(),
            Json::String(addons.vpc_cni.network_policy.to_string()),
        );
    }
    if values.is_empty() {
        return String::new();
    }
    sorted_json(&Json::Object(values))
}

#[cfg(test)]
mod tests {
    use crate::blueprint::load_str;
    use crate::resources::{expand, DesiredSet, Kind, Placement, ResourceId, Value};

    const BASE: &str = "[blueprint]\nname = \"order\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\nazs = 2\n[cluster]\n[[node_groups]]\nname = \"first\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n[[node_groups]]\nname = \"second\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n";

    fn desired(extra: &str) -> DesiredSet {
        let loaded = load_str("order.toml", &format!("{BASE}{extra}"), &[])
            .unwrap_or_else(|error| panic!("{error:?}"));
        expand(&loaded.model, &Placement::example(2)).expect("expands")
    }

    fn addon(name: &str) -> ResourceId {
        ResourceId::new(Kind::EksAddon, name)
    }

    fn depends(desired: &DesiredSet, who: &ResourceId, on: &ResourceId) -> bool {
        desired
            .get(who)
            .unwrap_or_else(|| panic!("{who} is desired"))
            .dependencies()
            .contains(on)
    }

    /// The graph carries the bring-up order: node groups after the node-side daemons, the
    /// pods that need nodes after the first node group only.
    #[test]
    fn node_groups_come_after_the_cni_and_coredns_after_the_first_node_group() {
        let desired = desired("");
        let groups: Vec<ResourceId> = desired
            .resources
            .keys()
            .filter(|id| id.kind() == Kind::EksNodeGroup)
            .cloned()
            .collect();
        assert_eq!(groups.len(), 2);
        for group in &groups {
            for before in ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"] {
                assert!(
                    depends(&desired, group, &addon(before)),
                    "{group} after {before}"
                );
            }
            assert!(!depends(&desired, group, &addon("coredns")));
        }
        let first = groups
            .iter()
            .find(|id| id.as_str().starts_with("eks_node_group.first"))
            .expect("first");
        let second = groups.iter().find(|id| *id != first).expect("second");
        assert!(depends(&desired, &addon("coredns"), first));
        assert!(!depends(&desired, &addon("coredns"), second));
        // The CNI has its policy before it starts.
        let attachment = ResourceId::new(
            Kind::IamRolePolicyAttachment,
            "irsa.kube-system.aws-node.AmazonEKS_CNI_Policy",
        );
        assert!(depends(&desired, &addon("vpc-cni"), &attachment));
    }

    #[test]
    fn the_ebs_csi_driver_gets_a_role_of_its_own_through_the_chosen_mechanism() {
        let desired = desired(
            "[addons]\nmanaged = [\"vpc-cni\", \"kube-proxy\", \"coredns\", \"eks-pod-identity-agent\", \"aws-ebs-csi-driver\"]\n[addons.ebs_csi]\nidentity = \"pod_identity\"\n",
        );
        let driver = desired.get(&addon("aws-ebs-csi-driver")).expect("driver");
        let Some(Value::List(associations)) = driver.attrs.get("pod_identity_associations") else {
            panic!("associations");
        };
        let association = associations[0].as_map().expect("a map");
        assert_eq!(
            association.get("service_account").and_then(Value::as_str),
            Some("ebs-csi-controller-sa")
        );
        let role = ResourceId::new(
            Kind::IamRole,
            "pod_identity.kube-system.ebs-csi-controller-sa",
        );
        assert!(desired.get(&role).is_some());
        let attachment = ResourceId::new(
            Kind::IamRolePolicyAttachment,
            "pod_identity.kube-system.ebs-csi-controller-sa.AmazonEBSCSIDriverPolicy",
        );
        let policy = desired
            .get(&attachment)
            .and_then(|attachment| attachment.attrs.get("policy_arn"))
            .and_then(Value::as_str);
        assert_eq!(
            policy,
            Some("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy")
        );
        assert_eq!(
            driver
                .attrs
                .get("service_account_role_arn")
                .and_then(Value::as_str),
            Some("")
        );
    }

    #[test]
    fn configuration_is_sorted_json_and_the_cni_carries_its_network_policy_switch() {
        let desired = desired(
            "[addons.configuration.coredns]\nreplicaCount = 3\ntolerations = [{ key = \"a\" }]\n[addons.vpc_cni]\nnetwork_policy = false\n",
        );
        let values = |name: &str| {
            desired
                .get(&addon(name))
                .and_then(|addon| addon.attrs.get("configuration_values"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        assert_eq!(
            values("coredns").as_deref(),
            Some(r#"{"replicaCount":3,"tolerations":[{"key":"a"}]}"#)
        );
        assert_eq!(
            values("vpc-cni").as_deref(),
            Some(r#"{"enableNetworkPolicy":"false"}"#)
        );
        assert_eq!(values("kube-proxy").as_deref(), Some(""));
    }
}
