//! Read-only calls the plan's preflight makes: what fails late is checked in seconds.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, LocationType};

use super::{Aws, AwsError, ErrorClass};

/// The (instance type, AZ) pairs EC2 offers among `types` × `zones`.
pub async fn instance_type_offerings(
    aws: &Aws,
    types: &[String],
    zones: &[String],
) -> Result<BTreeSet<(String, String)>, AwsError> {
    let output = aws
        .ec2
        .describe_instance_type_offerings()
        .location_type(LocationType::AvailabilityZone)
        .filters(
            Filter::builder()
                .name("instance-type")
                .set_values(Some(types.to_vec()))
                .build(),
        )
        .filters(
            Filter::builder()
                .name("location")
                .set_values(Some(zones.to_vec()))
                .build(),
        )
        .send()
        .await
        .map_err(|error| {
            AwsError::from_sdk("preflight", "ec2:DescribeInstanceTypeOfferings", error)
        })?;
    Ok(output
        .instance_type_offerings()
        .iter()
        .filter_map(|offering| {
            Some((
                offering.instance_type()?.as_str().to_string(),
                offering.location()?.to_string(),
            ))
        })
        .collect())
}

/// How many VPCs, Elastic IPs and clusters the account already has in the region, and NAT
/// gateways per AZ (for the default-quota check).
#[derive(Debug, Default, Clone)]
pub struct Usage {
    pub vpcs: usize,
    pub addresses: usize,
    pub clusters: Option<usize>,
    /// Live (pending or available) NAT gateways per availability zone.
    pub nat_gateways_per_az: BTreeMap<String, usize>,
}

/// All four reads at once (one round trip): the NAT gateways' zones come from the subnets of
/// `zones`, described alongside rather than after them.
pub async fn usage(aws: &Aws, zones: &[String]) -> Result<Usage, AwsError> {
    let vpcs = aws.ec2.describe_vpcs().send();
    let addresses = aws
        .ec2
        .describe_addresses()
        .filters(Filter::builder().name("domain").values("vpc").build())
        .send();
    let clusters = aws.eks.list_clusters().max_results(100).send();
    let nats = aws
        .ec2
        .describe_nat_gateways()
        .filter(
            Filter::builder()
                .name("state")
                .values("pending")
                .values("available")
                .build(),
        )
        .send();
    let subnets = aws
        .ec2
        .describe_subnets()
        .filters(
            Filter::builder()
                .name("availability-zone")
                .set_values(Some(zones.to_vec()))
                .build(),
        )
        .send();
    let (vpcs, addresses, clusters, nats, subnets) =
        futures::join!(vpcs, addresses, clusters, nats, subnets);
    let vpcs = vpcs.map_err(|error| AwsError::from_sdk("preflight", "ec2:DescribeVpcs", error))?;
    let addresses = addresses
        .map_err(|error| AwsError::from_sdk("preflight", "ec2:DescribeAddresses", error))?;
    let nats =
        nats.map_err(|error| AwsError::from_sdk("preflight", "ec2:DescribeNatGateways", error))?;
    let subnets =
        subnets.map_err(|error| AwsError::from_sdk("preflight", "ec2:DescribeSubnets", error))?;
    let zone_of: BTreeMap<&str, &str> = subnets
        .subnets()
        .iter()
        .filter_map(|subnet| Some((subnet.subnet_id()?, subnet.availability_zone()?)))
        .collect();
    let mut nat_gateways_per_az = BTreeMap::new();
    for subnet in nats.nat_gateways().iter().filter_map(|nat| nat.subnet_id()) {
        if let Some(zone) = zone_of.get(subnet) {
            *nat_gateways_per_az.entry(zone.to_string()).or_insert(0) += 1;
        }
    }
    Ok(Usage {
        vpcs: vpcs.vpcs().len(),
        addresses: addresses.addresses().len(),
        clusters: clusters.ok().map(|output| output.clusters().len()),
        nat_gateways_per_az,
    })
}

/// The tags of an existing IAM role with this name, `None` when the name is free.
pub async fn role_tags(
    aws: &Aws,
    name: &str,
) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    match aws.iam.get_role().role_name(name).send().await {
        Ok(output) => Ok(Some(
            output
                .role()
                .map(|role| {
                    role.tags()
                        .iter()
                        .map(|tag| (tag.key().to_string(), tag.value().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        )),
        Err(error) => AwsError::from_sdk(name, "iam:GetRole", error).absent(),
    }
}

/// The Kubernetes versions EKS offers in the region; `None` when the endpoint cannot say.
pub async fn eks_versions(aws: &Aws) -> Result<Option<BTreeSet<String>>, AwsError> {
    match aws.eks.describe_cluster_versions().send().await {
        Ok(output) => Ok(Some(
            output
                .cluster_versions()
                .iter()
                .filter_map(|version| version.cluster_version().map(str::to_string))
                .collect(),
        )),
        Err(error) => {
            let error = AwsError::from_sdk("preflight", "eks:DescribeClusterVersions", error);
            if matches!(
                error.class,
                ErrorClass::Unsupported | ErrorClass::NotFound | ErrorClass::Other
            ) && error.code.is_none()
            {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// One add-on version EKS offers for a Kubernetes version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedAddonVersion {
    pub version: String,
    /// EKS's default for that Kubernetes version (what an unpinned add-on gets).
    pub default: bool,
}

/// The add-on versions EKS offers for `kubernetes`, by add-on name, newest first as EKS lists
/// them (DescribeAddonVersions, every page).
pub async fn addon_versions(
    aws: &Aws,
    kubernetes: &str,
) -> Result<BTreeMap<String, Vec<OfferedAddonVersion>>, AwsError> {
    let mut offered: BTreeMap<String, Vec<OfferedAddonVersion>> = BTreeMap::new();
    let mut pages = aws
        .eks
        .describe_addon_versions()
        .kubernetes_version(kubernetes)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|error| AwsError::from_sdk("preflight", "eks:DescribeAddonVersions", error))?;
        for addon in page.addons() {
            let Some(name) = addon.addon_name() else {
                continue;
            };
            let versions = offered.entry(name.to_string()).or_default();
            for version in addon.addon_versions() {
                let Some(text) = version.addon_version() else {
                    continue;
                };
                let default = version.compatibilities().iter().any(|compatibility| {
                    compatibility.cluster_version() == Some(kubernetes)
                        && compatibility.default_version()
                });
                versions.push(OfferedAddonVersion {
                    version: text.to_string(),
                    default,
                });
            }
        }
    }
    Ok(offered)
}

/// The JSON schema of an add-on version's configuration values (DescribeAddonConfiguration);
/// `None` when EKS publishes none.
pub async fn addon_configuration_schema(
    aws: &Aws,
    addon: &str,
    version: &str,
) -> Result<Option<String>, AwsError> {
    let output = aws
        .eks
        .describe_addon_configuration()
        .addon_name(addon)
        .addon_version(version)
        .send()
        .await
        .map_err(|error| {
            AwsError::from_sdk(
                format!("eks_addon.{addon}"),
                "eks:DescribeAddonConfiguration",
                error,
            )
        })?;
    Ok(output
        .configuration_schema()
        .filter(|schema| !schema.trim().is_empty())
        .map(str::to_string))
}

/// One EKS upgrade insight (category `UPGRADE_READINESS`), as ListInsights and, for one that is
/// not passing, DescribeInsight report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeInsight {
    pub id: String,
    pub name: String,
    /// `PASSING`, `WARNING`, `ERROR` or `UNKNOWN`.
    pub status: String,
    /// The version the insight checks the cluster against.
    pub kubernetes_version: Option<String>,
    pub reason: Option<String>,
    /// What EKS says to do (DescribeInsight; read only for insights that are not passing).
    pub recommendation: Option<String>,
}

/// The cluster's upgrade-readiness insights (ListInsights, every page), with the
/// recommendation of each one that is not passing (DescribeInsight, all at once).
pub async fn upgrade_insights(aws: &Aws, cluster: &str) -> Result<Vec<UpgradeInsight>, AwsError> {
    use aws_sdk_eks::types::{Category, InsightsFilter};
    let mut insights = Vec::new();
    let mut pages = aws
        .eks
        .list_insights()
        .cluster_name(cluster)
        .filter(
            InsightsFilter::builder()
                .categories(Category::UpgradeReadiness)
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| AwsError::from_sdk(cluster, "eks:ListInsights", error))?;
        for summary in page.insights() {
            let status = summary.insight_status();
            insights.push(UpgradeInsight {
                id: summary.id().unwrap_or_default().to_string(),
                name: summary.name().unwrap_or_default().to_string(),
                status: status
                    .and_then(|status| status.status())
                    .map_or("UNKNOWN", |status| status.as_str())
                    .to_string(),
                kubernetes_version: summary.kubernetes_version().map(str::to_string),
                reason: status
                    .and_then(|status| status.reason())
                    .map(str::to_string),
                recommendation: None,
            });
        }
    }
    let details = futures::future::try_join_all(
        insights
            .iter()
            .filter(|insight| insight.status != "PASSING" && !insight.id.is_empty())
            .map(|insight| async move {
                let output = aws
                    .eks
                    .describe_insight()
                    .cluster_name(cluster)
                    .id(&insight.id)
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(cluster, "eks:DescribeInsight", error))?;
                Ok::<_, AwsError>((
                    insight.id.clone(),
                    output
                        .insight()
                        .and_then(|detail| detail.recommendation())
                        .map(str::to_string),
                ))
            }),
    )
    .await?;
    let recommendations: BTreeMap<String, Option<String>> = details.into_iter().collect();
    for insight in &mut insights {
        insight.recommendation = recommendations.get(&insight.id).cloned().flatten();
    }
    insights.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(insights)
}

/// The Kubernetes version the cluster `name` runs (DescribeCluster); `None` when there is no
/// such cluster.
pub async fn cluster_version(aws: &Aws, name: &str) -> Result<Option<String>, AwsError> {
    match aws.eks.describe_cluster().name(name).send().await {
        Ok(output) => Ok(output
            .cluster()
            .and_then(|cluster| cluster.version())
            .map(str::to_string)),
        Err(error) => AwsError::from_sdk(name, "eks:DescribeCluster", error).absent(),
    }
}

/// The add-ons the cluster runs and their versions (ListAddons, then DescribeAddon of each).
pub async fn installed_addons(
    aws: &Aws,
    cluster: &str,
) -> Result<Vec<(String, Option<String>)>, AwsError> {
    let mut names = Vec::new();
    let mut pages = aws
        .eks
        .list_addons()
        .cluster_name(cluster)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| AwsError::from_sdk(cluster, "eks:ListAddons", error))?;
        names.extend(page.addons().iter().cloned());
    }
    futures::future::try_join_all(names.into_iter().map(|name| async move {
        let output = aws
            .eks
            .describe_addon()
            .cluster_name(cluster)
            .addon_name(&name)
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(cluster, "eks:DescribeAddon", error))?;
        let version = output
            .addon()
            .and_then(|addon| addon.addon_version())
            .map(str::to_string);
        Ok::<_, AwsError>((name, version))
    }))
    .await
}
