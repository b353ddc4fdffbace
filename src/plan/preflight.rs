//! Preflight: what would otherwise fail after minutes of waiting, checked before any change —
//! instance types offered in every chosen AZ, the Kubernetes version offered by EKS, IAM role
//! names free or ours, and room under the account's default quotas.
//! Failures name the blueprint key to change; warnings do not block.

use std::collections::BTreeSet;

use crate::aws::{preflight as reads, Aws, AwsError};
use crate::resources::{DesiredSet, Kind, Value, TAG_BLUEPRINT};

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
}

/// Default quotas (Service Quotas is not read: these are AWS's defaults, yours may be higher).
const DEFAULT_VPCS: usize = 5;
const DEFAULT_EIPS: usize = 5;
const DEFAULT_CLUSTERS: usize = 100;
const DEFAULT_NAT_PER_AZ: usize = 5;

pub async fn preflight(
    aws: &Aws,
    desired: &DesiredSet,
    plan: &Plan,
    azs: &[String],
    node_group_keys: &[(String, String)],
) -> Result<Preflight, AwsError> {
    let mut result = Preflight::default();
    let created = |kind: Kind| {
        plan.changes
            .iter()
            .filter(|change| change.id.kind() == kind && matches!(change.action, Action::Create))
            .count()
    };

    // Every read at once: one round trip of wall time, not one per check.
    let all_types: Vec<String> = desired
        .resources
        .values()
        .filter(|resource| resource.kind() == Kind::EksNodeGroup)
        .flat_map(|group| match group.attrs.get("instance_types") {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        })
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let has_cluster = desired
        .resources
        .values()
        .any(|resource| resource.kind() == Kind::EksCluster);
    let role_names: Vec<String> = plan
        .changes
        .iter()
        .filter(|change| change.id.kind() == Kind::IamRole && change.action == Action::Create)
        .filter_map(|change| {
            change
                .after
                .as_ref()?
                .get("name")?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    let (offered, versions, roles, usage) = futures::join!(
        async {
            if all_types.is_empty() {
                Ok(BTreeSet::new())
            } else {
                reads::instance_type_offerings(aws, &all_types, azs).await
            }
        },
        async {
            if has_cluster {
                reads::eks_versions(aws).await
            } else {
                Ok(None)
            }
        },
        futures::future::try_join_all(role_names.iter().map(|name| reads::role_tags(aws, name))),
        reads::usage(aws),
    );
    let (offered, versions, usage) = (offered?, versions?, usage?);
    let role_tags: std::collections::BTreeMap<
        String,
        Option<std::collections::BTreeMap<String, String>>,
    > = role_names.iter().cloned().zip(roles?).collect();

    // Instance types in every AZ the node groups use.
    let groups: Vec<_> = desired
        .resources
        .values()
        .filter(|resource| resource.kind() == Kind::EksNodeGroup)
        .collect();
    if !groups.is_empty() {
        for (name, key) in node_group_keys {
            let Some(group) = groups
                .iter()
                .find(|group| group.id.as_str() == format!("eks_node_group.{name}"))
            else {
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
    {
        let version = cluster
            .attrs
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match versions {
            Some(offered) if !offered.is_empty() && !offered.contains(&version) => result.failures.push(PreflightFailure {
                key: "cluster.version".to_string(),
                message: format!("EKS does not offer Kubernetes {version} in {}", aws.region),
                help: format!("use one of: {}", offered.into_iter().collect::<Vec<_>>().join(", ")),
            }),
            Some(_) => {}
            None => result.warnings.push("could not list the Kubernetes versions EKS offers here (DescribeClusterVersions unavailable): the version is not checked".to_string()),
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
                "{what}: {used} in use + {adding} to create exceeds the default quota of {quota} in {}; if your quota was not raised, request it in Service Quotas first",
                aws.region
            ));
        }
    }
    Ok(result)
}
