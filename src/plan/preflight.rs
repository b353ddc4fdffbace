//! Preflight: what would otherwise fail after minutes of waiting, checked before any change —
//! instance types offered in every chosen AZ, the Kubernetes version offered by EKS, IAM role
//! names free or ours, and room under the account's default quotas.
//! Failures name the blueprint key to change; warnings do not block.

mod addons;

pub use addons::{AddonNeeds, AddonReads};

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use crate::aws::{preflight as reads, Aws, AwsError};
use crate::resources::{DesiredSet, Kind, Value, TAG_BLUEPRINT};
use crate::state::State;

use super::{Action, Plan};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightFailure {
    /// The blueprint key to change (`node_groups[0].instance_types`), for file:line:column.
    pub key: String,
    pub message: String,
    pub help: String,
}

#[derive(Debug, Default, Clone)]
pub struct Preflight {
    pub failures: Vec<PreflightFailure>,
    pub warnings: Vec<String>,
    /// Facts for the plan's notes (the add-on versions EKS installs or offers).
    pub notes: Vec<String>,
}

/// Default quotas (Service Quotas is not read: these are AWS's defaults, yours may be higher).
const DEFAULT_VPCS: usize = 5;
const DEFAULT_EIPS: usize = 5;
const DEFAULT_CLUSTERS: usize = 100;
const DEFAULT_NAT_PER_AZ: usize = 5;

/// The reads a preflight needs: what the changes create (or move to a new version).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Instance types of node groups to be created.
    pub instance_types: BTreeSet<String>,
    /// The Kubernetes versions EKS offers (a cluster to be created or upgraded).
    pub versions: bool,
    /// IAM role names to be created.
    pub role_names: BTreeSet<String>,
    /// Usage under the default quotas (VPCs, EIPs, clusters or NAT gateways to be created).
    pub usage: bool,
    /// EKS's add-on catalog and the schemas of configuration values to be sent.
    pub addons: addons::AddonNeeds,
}

/// Kinds whose creation counts against a default quota (`usage`).
const QUOTA_KINDS: [Kind; 4] = [Kind::Vpc, Kind::Eip, Kind::EksCluster, Kind::NatGateway];

fn instance_types_of(attrs: &crate::resources::Attrs) -> Vec<String> {
    match attrs.get("instance_types") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn creates(action: Action) -> bool {
    action == Action::Create || action.is_replace()
}

impl Needs {
    /// What checking `plan` needs.
    pub fn of_plan(plan: &Plan) -> Needs {
        let mut needs = Needs::default();
        for change in &plan.changes {
            let kind = change.id.kind();
            let created = creates(change.action);
            let after = change.after.as_ref();
            if kind == Kind::EksNodeGroup && created {
                // A create always carries its attributes; without them there is nothing to check.
                needs
                    .instance_types
                    .extend(after.map(instance_types_of).unwrap_or_default());
            }
            if kind == Kind::EksCluster
                && (created
                    || (change.action == Action::Update
                        && change.changed.iter().any(|name| name == "version")))
            {
                needs.versions = true;
            }
            if kind == Kind::IamRole && change.action == Action::Create {
                if let Some(name) = after.and_then(|after| after.get("name")?.as_str()) {
                    needs.role_names.insert(name.to_string());
                }
            }
            if change.action == Action::Create && QUOTA_KINDS.contains(&kind) {
                needs.usage = true;
            }
        }
        // An upgrade's version moved out of the cluster's change into its steps: still checked.
        needs.versions |= plan.upgrade_steps() > 0;
        needs.addons = addons::AddonNeeds::of_plan(plan);
        needs
    }

    /// What checking the plan will most likely need, known before the refresh: the desired
    /// resources state does not record will be created, and so will node groups whose instance
    /// types changed; a cluster whose version changed will be upgraded. Lets the preflight's
    /// reads run alongside the refresh; [`preflight`] reads again whatever this missed.
    pub fn expected(desired: &DesiredSet, state: &State) -> Needs {
        let mut needs = Needs::default();
        for resource in desired.resources.values() {
            let kind = resource.kind();
            let recorded = state.resources.get(&resource.id);
            let differs = |name: &str| {
                recorded.is_none_or(|record| record.attrs.get(name) != resource.attrs.get(name))
            };
            if kind == Kind::EksNodeGroup && differs("instance_types") {
                needs
                    .instance_types
                    .extend(instance_types_of(&resource.attrs));
            }
            if kind == Kind::EksCluster && differs("version") {
                needs.versions = true;
            }
            if recorded.is_none() {
                if kind == Kind::IamRole {
                    if let Some(name) = resource.attrs.get("name").and_then(Value::as_str) {
                        needs.role_names.insert(name.to_string());
                    }
                }
                if QUOTA_KINDS.contains(&kind) {
                    needs.usage = true;
                }
            }
        }
        needs.addons = addons::AddonNeeds::expected(desired, &|resource| {
            state
                .resources
                .get(&resource.id)
                .map(|record| record.attrs.clone())
        });
        needs
    }

    /// Whether reads made for `self` answer everything `other` asks.
    pub fn covers(&self, other: &Needs) -> bool {
        other.instance_types.is_subset(&self.instance_types)
            && (!other.versions || self.versions)
            && other.role_names.is_subset(&self.role_names)
            && (!other.usage || self.usage)
            && self.addons.covers(&other.addons)
    }
}

/// The answers to a preflight's reads.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    needs: Needs,
    offered: BTreeSet<(String, String)>,
    /// `None` when the endpoint cannot say.
    versions: Option<BTreeSet<String>>,
    role_tags: BTreeMap<String, Option<BTreeMap<String, String>>>,
    usage: reads::Usage,
    addons: addons::AddonReads,
}

/// Every read `needs` asks for, at once: one round trip of wall time, none when nothing is
/// created.
pub async fn read(aws: &Aws, needs: &Needs, azs: &[String]) -> Result<Reads, AwsError> {
    read_with_addons(aws, needs, azs, addons::read(aws, &needs.addons)).await
}

/// Add-on reads made ahead: the needs they were made for, and EKS's answers.
pub type AddonsAhead = (AddonNeeds, Result<AddonReads, AwsError>);

/// The add-ons' reads made ahead (`ahead`) when they cover `needs`, else made now.
pub async fn addon_reads(
    aws: &Aws,
    needs: &AddonNeeds,
    ahead: Option<AddonsAhead>,
) -> Result<AddonReads, AwsError> {
    match ahead {
        Some((asked, answers)) if asked.covers(needs) => answers,
        _ => addons::read(aws, needs).await,
    }
}

/// [`read`], with the add-ons' answers from `addon_reads` (which may have started earlier).
pub async fn read_with_addons(
    aws: &Aws,
    needs: &Needs,
    azs: &[String],
    addon_reads: impl Future<Output = Result<AddonReads, AwsError>>,
) -> Result<Reads, AwsError> {
    let types: Vec<String> = needs.instance_types.iter().cloned().collect();
    let (offered, versions, roles, usage, addon_reads) = futures::join!(
        async {
            if types.is_empty() {
                Ok(BTreeSet::new())
            } else {
                reads::instance_type_offerings(aws, &types, azs).await
            }
        },
        async {
            if needs.versions {
                reads::eks_versions(aws).await
            } else {
                Ok(None)
            }
        },
        futures::future::try_join_all(
            needs
                .role_names
                .iter()
                .map(|name| reads::role_tags(aws, name))
        ),
        async {
            if needs.usage {
                reads::usage(aws, azs).await
            } else {
                Ok(reads::Usage::default())
            }
        },
        addon_reads,
    );
    Ok(Reads {
        needs: needs.clone(),
        offered: offered?,
        versions: versions?,
        role_tags: needs.role_names.iter().cloned().zip(roles?).collect(),
        usage: usage?,
        addons: addon_reads?,
    })
}

/// Checks `plan`, with the reads made ahead (`prefetched`, from [`Needs::expected`]) when they
/// cover what the plan needs, else with reads made now.
pub async fn preflight(
    aws: &Aws,
    desired: &DesiredSet,
    plan: &Plan,
    azs: &[String],
    node_group_keys: &[(String, String)],
    prefetched: Option<Result<Reads, AwsError>>,
) -> Result<Preflight, AwsError> {
    let needs = Needs::of_plan(plan);
    let answers = match prefetched {
        Some(Ok(reads)) if reads.needs.covers(&needs) => reads,
        // A failed read ahead is made again: it may have been asked for more than needed.
        _ => read(aws, &needs, azs).await?,
    };
    Ok(check(
        &aws.region,
        desired,
        plan,
        azs,
        node_group_keys,
        answers,
    ))
}

/// The checks themselves, on the answers: no calls.
pub fn check(
    region: &str,
    desired: &DesiredSet,
    plan: &Plan,
    azs: &[String],
    node_group_keys: &[(String, String)],
    answers: Reads,
) -> Preflight {
    let mut result = Preflight::default();
    let created = |kind: Kind| {
        plan.changes
            .iter()
            .filter(|change| change.id.kind() == kind && matches!(change.action, Action::Create))
            .count()
    };
    let Reads {
        offered,
        versions,
        role_tags,
        usage,
        addons: addon_reads,
        ..
    } = answers;
    addons::check(
        desired,
        plan,
        &Needs::of_plan(plan).addons,
        &addon_reads,
        &mut result,
    );
    let created_ids: BTreeSet<&str> = plan
        .changes
        .iter()
        .filter(|change| creates(change.action))
        .map(|change| change.id.as_str())
        .collect();
    let version_checked = Needs::of_plan(plan).versions;

    // Instance types in every AZ the node groups use.
    let groups: Vec<_> = desired
        .resources
        .values()
        .filter(|resource| resource.kind() == Kind::EksNodeGroup)
        .collect();
    if !groups.is_empty() {
        for (name, key) in node_group_keys {
            let id = format!("eks_node_group.{name}");
            if !created_ids.contains(id.as_str()) {
                continue;
            }
            let Some(group) = groups.iter().find(|group| group.id.as_str() == id) else {
                continue;
            };
            let Some(Value::List(kinds)) = group.attrs.get("instance_types") else {
                continue;
            };
            for kind in kinds.iter().filter_map(Value::as_str) {
                let missing: Vec<&String> = azs
                    .iter()
                    .filter(|az| !offered.contains(&(kind.to_string(), (*az).clone())))
                    .collect();
                if !missing.is_empty() {
                    let missing: Vec<&str> = missing.iter().map(|az| az.as_str()).collect();
                    result.failures.push(PreflightFailure {
                        key: key.clone(),
                        message: format!("instance type {kind} is not offered in {} (node group \"{name}\")", missing.join(", ")),
                        help: "choose an instance type offered in every AZ of the network (aws ec2 describe-instance-type-offerings --location-type availability-zone), or other AZs".to_string(),
                    });
                }
            }
        }
    }

    // The Kubernetes version, where the endpoint can say which it offers.
    if let Some(cluster) = desired
        .resources
        .values()
        .find(|resource| resource.kind() == Kind::EksCluster)
        .filter(|_| version_checked)
    {
        // `resources::expand` always sets the version; without one there is nothing to check.
        let version = cluster.attrs.get("version").and_then(Value::as_str);
        match (version, versions) {
            (Some(version), Some(offered)) if !offered.is_empty() && !offered.contains(version) => result.failures.push(PreflightFailure {
                key: "cluster.version".to_string(),
                message: format!("EKS does not offer Kubernetes {version} in {region}"),
                help: format!("use one of: {}", offered.into_iter().collect::<Vec<_>>().join(", ")),
            }),
            (_, Some(_)) => {}
            (_, None) => result.warnings.push("could not list the Kubernetes versions EKS offers here (DescribeClusterVersions unavailable): the version is not checked".to_string()),
        }
    }

    // IAM role names: free, or a role of this blueprint (adopted).
    for change in plan
        .changes
        .iter()
        .filter(|change| change.id.kind() == Kind::IamRole && change.action == Action::Create)
    {
        let Some(name) = change
            .after
            .as_ref()
            .and_then(|after| after.get("name"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        if let Some(Some(tags)) = role_tags.get(name) {
            if tags.get(TAG_BLUEPRINT).map(String::as_str) != Some(desired.blueprint.as_str()) {
                result.failures.push(PreflightFailure {
                    key: "blueprint.name".to_string(),
                    message: format!("{}: the IAM role name {name} is taken by a role this blueprint did not create", change.id),
                    help: "rename the blueprint (names derive from it), or delete or tag that role if it is a leftover of this blueprint".to_string(),
                });
            }
        }
    }

    // Room under the default quotas: a warning, since yours may be raised.
    let checks = [
        ("VPCs", usage.vpcs, created(Kind::Vpc), DEFAULT_VPCS),
        (
            "Elastic IPs",
            usage.addresses,
            created(Kind::Eip),
            DEFAULT_EIPS,
        ),
        (
            "EKS clusters",
            usage.clusters.unwrap_or(0),
            created(Kind::EksCluster),
            DEFAULT_CLUSTERS,
        ),
    ];
    // NAT gateways count per AZ; ours are named after their AZ (`nat_gateway.eu-west-1a`).
    for change in plan
        .changes
        .iter()
        .filter(|change| change.id.kind() == Kind::NatGateway && change.action == Action::Create)
    {
        let zone = change.id.as_str().trim_start_matches("nat_gateway.");
        let used = usage.nat_gateways_per_az.get(zone).copied().unwrap_or(0);
        if used + 1 > DEFAULT_NAT_PER_AZ {
            result.warnings.push(format!(
                "NAT gateways in {zone}: {used} in use + 1 to create exceeds the default quota of {DEFAULT_NAT_PER_AZ} per AZ; if your quota was not raised, request it in Service Quotas first"
            ));
        }
    }
    for (what, used, adding, quota) in checks {
        if adding > 0 && used + adding > quota {
            result.warnings.push(format!(
                "{what}: {used} in use + {adding} to create exceeds the default quota of {quota} in {region}; if your quota was not raised, request it in Service Quotas first"
            ));
        }
    }
    result
}
