//! Blueprint → desired resources, in steps. Pure: the AZ names, region and account come in as
//! a `Placement`, resolved by the caller.
//!
//! Each step is a function of one file that takes what the blueprint says and what earlier
//! steps made (ids, ARNs as values) and adds its resources to the [`Builder`]. `expand` runs
//! them in a fixed order and is the only place that passes one step's result to another.

mod access;
mod addons;
mod bottlerocket;
mod builder;
mod cluster;
mod detection;
mod endpoints;
mod flow_logs;
mod iam;
mod irsa;
mod kms;
mod logs;
mod names;
mod network;
mod nodes;
mod pod_identity;
mod registry;
mod security_groups;
mod ssm;

use crate::blueprint::cidr::{subnet_layout, CidrError};
use crate::blueprint::model::{Access, Blueprint, Cluster, Encryption, Irsa};

use super::{DesiredSet, ResourceId};
use bottlerocket::UserDataError;
use builder::Builder;
use names::Arns;
use network::NetworkIds;

pub use kms::{default_key_alias, KEY_ADMIN_ACTIONS};
pub(crate) use names::last_path_part;

/// Where the blueprint goes: the availability zones (in order) and the account it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub azs: Vec<String>,
    pub region: String,
    pub account_id: String,
    /// `aws`, `aws-cn`, `aws-us-gov`: part of every ARN.
    pub partition: String,
}

#[cfg(test)]
impl Placement {
    /// The unit tests' placement: the first `azs` zones of eu-west-1, account 111122223333.
    pub fn example(azs: usize) -> Placement {
        Placement {
            azs: ["eu-west-1a", "eu-west-1b", "eu-west-1c"][..azs]
                .iter()
                .map(|zone| zone.to_string())
                .collect(),
            region: "eu-west-1".into(),
            account_id: "111122223333".into(),
            partition: "aws".into(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExpandError {
    #[error(transparent)]
    Cidr(#[from] CidrError),
    /// A policy document the blueprint gives does not parse. `blueprint::load` refuses such a
    /// blueprint, so only a caller that expands an unvalidated one sees this.
    #[error("`{blueprint_key}` is not a valid policy document for {resource} `{attribute}` (validate the blueprint first)")]
    InvalidDocument {
        resource: ResourceId,
        attribute: &'static str,
        blueprint_key: String,
    },
    /// `network.flow_logs.destination` names no destination (only reachable when expanding an
    /// unvalidated blueprint).
    #[error("`network.flow_logs.destination`: {0} (validate the blueprint first)")]
    InvalidFlowLogDestination(String),
    /// An `[adopted]` entry names a resource this blueprint does not make, or a key that
    /// resource does not have: it would keep nothing, so it is refused before any call.
    #[error(
        "[adopted] fits nothing this blueprint makes:\n  {}\nRemove the entry (or the key), or \
         bring back the blueprint section that made the resource (`eksforge state list` names \
         what state records)",
        .0.join("\n  ")
    )]
    UnfitAdoptions(Vec<String>),
    /// Something eksforge would send breaks an AWS limit that validation did not catch.
    #[error(
        "eksforge would send what AWS refuses (no request was made):\n  {}\nThis is a limit \
         blueprint validation should have named; shorten the input that names it, and please \
         report it",
        .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    RequestLimits(Vec<super::request_limits::LimitProblem>),
    /// A repository to be encrypted with the blueprint's KMS key in a blueprint without one
    /// (no `[cluster]`). `blueprint::load` refuses it, so only an unvalidated blueprint gets here.
    #[error("`{blueprint_key}`: {resource} is to be encrypted with the blueprint's KMS key, and there is none without a [cluster] (validate the blueprint first)")]
    NoKey {
        resource: ResourceId,
        blueprint_key: String,
    },
    /// A node group's Bottlerocket user data could not be built as a TOML document that says
    /// what was meant; it is never sent. `blueprint::load` refuses a fragment that breaks the
    /// rules, so this names an unvalidated blueprint or an eksforge bug.
    #[error("`{blueprint_key}`: {resource} gets no user data: {source}")]
    InvalidUserData {
        resource: ResourceId,
        blueprint_key: String,
        #[source]
        source: UserDataError,
    },
}

/// Expands a validated blueprint into its desired resources.
pub fn expand(blueprint: &Blueprint, placement: &Placement) -> Result<DesiredSet, ExpandError> {
    let layout = subnet_layout(&blueprint.network, placement.azs.len())?;
    let meta = &blueprint.blueprint;
    let mut builder = Builder::new(&meta.name, &meta.tags)
        .with_moves(&blueprint.moved)
        .with_adopted(&blueprint.adopted);
    let network = network::add_network(&mut builder, &blueprint.network, &placement.azs, &layout);
    if let Some(detection) = &blueprint.detection {
        detection::add_detector(&mut builder, detection);
    }
    endpoints::add_endpoints(
        &mut builder,
        &blueprint.network,
        &network,
        &placement.region,
    );
    let cluster = match &blueprint.cluster {
        Some(cluster) => Some(add_hardened_cluster(
            &mut builder,
            blueprint,
            cluster,
            placement,
            &network,
        )?),
        None => None,
    };
    if let Some(registry) = &blueprint.registry {
        let key_arn = cluster.as_ref().map(|(_, key)| &key.arn);
        registry::add_registry(&mut builder, registry, key_arn)?;
    }
    flow_logs::add_flow_logs(
        &mut builder,
        &blueprint.network,
        &network.vpc,
        cluster.as_ref().map(|(logs, _)| logs),
        &Arns { placement },
    )?;
    let unfit = builder.unfit_adoptions();
    if !unfit.is_empty() {
        return Err(ExpandError::UnfitAdoptions(unfit));
    }
    let set = builder.finish();
    let problems = super::request_limits::problems(&set);
    if !problems.is_empty() {
        return Err(ExpandError::RequestLimits(problems));
    }
    Ok(set)
}

/// The hardened cluster on top of the network. Every default here is the secure one
/// (the list in README.md, "What it makes"). Returns how the cluster's log groups are kept
/// (the flow log group follows) and the key that encrypts it (the registry's repositories use
/// it too).
fn add_hardened_cluster(
    builder: &mut Builder,
    blueprint: &Blueprint,
    cluster: &Cluster,
    placement: &Placement,
    network: &NetworkIds,
) -> Result<(logs::LogSettings, kms::SecretsKey), ExpandError> {
    let arns = Arns { placement };
    let access = blueprint.access.clone().unwrap_or_else(secure_access);
    let encryption = blueprint
        .encryption
        .clone()
        .unwrap_or_else(secure_encryption);
    let irsa = blueprint.irsa.clone().unwrap_or_else(secure_irsa);

    let cluster_role = iam::add_cluster_role(builder, cluster, &arns);
    let node_role = iam::add_node_role(builder, &access, &blueprint.node_groups, &arns);
    let key = kms::add_secrets_key(builder, &encryption, &cluster_role.principal, &arns)?;
    let logs = logs::LogSettings::new(cluster, &key.arn);
    let log_group = logs::add_cluster_log_group(builder, &logs);
    let groups =
        security_groups::add_security_groups(builder, &network.vpc, &blueprint.security_rules);

    let mut after = cluster_role.attachments;
    after.push(log_group);
    after.extend(key.created.clone());
    let eks = cluster::add_cluster(
        builder,
        cluster,
        &access,
        cluster::ClusterInputs {
            role_arn: cluster_role.arn,
            private_subnets: &network.private_subnets,
            security_group: &groups.cluster,
            secrets_key_arn: &key.arn,
            after,
        },
    );
    let oidc_provider = irsa::add_irsa(builder, &irsa, &eks)?;
    pod_identity::add_pod_identities(builder, &blueprint.pod_identity, &eks, &arns)?;
    let addon_inputs = addons::AddonInputs {
        cluster: &eks,
        oidc_provider: oidc_provider.as_ref(),
        arns: &arns,
    };
    let node_prerequisites =
        addons::add_addons_before_nodes(builder, &blueprint.addons, &addon_inputs)?;
    let node_groups = nodes::add_node_groups(
        builder,
        cluster,
        &blueprint.node_groups,
        &nodes::NodeInputs {
            cluster: &eks,
            role: &node_role,
            security_group: &groups.node,
            private_subnets: &network.private_subnets,
            public_subnets: &network.public_subnets,
            after: &node_prerequisites,
        },
    )?;
    addons::add_addons_after_nodes(
        builder,
        &blueprint.addons,
        &addon_inputs,
        node_groups.first(),
    )?;
    if access.session_logging {
        ssm::add_session_preferences(builder, &key, &logs);
    }
    access::add_access_entries(builder, &access, &eks, &arns);
    Ok((logs, key))
}

/// No `[access]`: nodes reached through SSM only, sessions logged, the creator as admin.
fn secure_access() -> Access {
    Access {
        ssm_only: true,
        session_logging: true,
        admins: Vec::new(),
        entries: Vec::new(),
    }
}

/// No `[encryption]`: a key made for this cluster, rotated, with the longest deletion window.
fn secure_encryption() -> Encryption {
    Encryption {
        kms_key: kms::CREATE.into(),
        rotation: true,
        deletion_window_days: 30,
        alias: None,
        key_admins: Vec::new(),
        key_policy: None,
    }
}

/// No `[irsa]`: the OIDC provider, so pods can get roles of their own.
fn secure_irsa() -> Irsa {
    Irsa {
        oidc_provider: true,
        service_accounts: Vec::new(),
    }
}
