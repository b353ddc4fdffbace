//! The cluster `eksforge adopt` is tested on (tests/support/foreign_cluster.rs), made straight
//! through the AWS API: every piece exists as the describes report it, the node group and the
//! add-ons are ACTIVE, and nothing carries an `eksforge:` tag or eksforge's names. And it is
//! the blueprint's cluster but for those: with every piece imported one by one (`eksforge
//! import`, not `adopt`), the plan changes names, descriptions and tags only, and what follows
//! from them (a renamed role is replaced, so is what refers to it).

mod support;

use std::collections::{BTreeMap, HashMap};

use support::foreign_cluster::{self, ForeignCluster, CLUSTER};
use support::Moto;

fn no_eksforge_tag<'a>(what: &str, keys: impl IntoIterator<Item = &'a str>) {
    let keys: Vec<&str> = keys.into_iter().collect();
    assert!(
        keys.iter().all(|key| !key.starts_with("eksforge:")),
        "{what} carries an eksforge tag: {keys:?}"
    );
    assert!(
        keys.contains(&"owner"),
        "{what} has the foreign tags: {keys:?}"
    );
}

fn ec2_tag_keys(tags: &[aws_sdk_ec2::types::Tag]) -> Vec<&str> {
    tags.iter().filter_map(|tag| tag.key()).collect()
}

fn map_keys(tags: Option<&HashMap<String, String>>) -> Vec<&str> {
    tags.into_iter()
        .flatten()
        .map(|(key, _)| key.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_made_by_hand_exists_whole_with_foreign_names() {
    let moto = Moto::start();
    let sdk = support::sdk_config(&moto.url()).await;
    let made = foreign_cluster::make(&sdk).await;
    let cloud = support::cloud::Cloud::new(&sdk);
    check_network(&cloud, &made).await;
    check_iam(&cloud, &made).await;
    check_key_and_logs(&cloud, &made).await;
    check_eks(&cloud, &made).await;
    // Every resource of the expansion was made, and what was renamed is listed.
    assert_eq!(made.ids.len(), made.desired.resources.len());
    let cluster_role = &made.foreign_names["iam_role.cluster"];
    assert_eq!(
        cluster_role.name.as_deref(),
        Some(made.cluster_role_name.as_str())
    );
    assert!(made
        .cluster_role_name
        .starts_with("legacy-cluster-ServiceRole-"));
    assert_eq!(made.foreign_names["vpc.main"].tags["Name"], "legacy/VPC");
    for (id, foreign) in &made.foreign_names {
        no_eksforge_tag(id, foreign.tags.keys().map(String::as_str));
    }
    moto.assert_no_violations();
}

/// What a plan may change on a foreign resource: what a team's tools named and tagged.
const FOREIGN_ATTRIBUTES: [&str; 4] = ["name", "description", "tags", "instance_tags"];

#[test]
fn the_cluster_differs_from_its_blueprint_only_in_foreign_names() {
    let world = support::World::new();
    world.copy_in(foreign_cluster::BLUEPRINT, "legacy.toml");
    let made = world.block_on(foreign_cluster::make(world.sdk()));
    // In the order they were made: what one refers to is in state before it is read.
    for id in &made.order {
        let run = world.eksforge(&[
            "import",
            "legacy.toml",
            id,
            &made.ids[id],
            "--skip-preflight",
        ]);
        assert_eq!(run.code, 0, "import {id}:\n{}", run.all());
    }
    let run = world.eksforge(&["plan", "legacy.toml", "--json", "--skip-preflight"]);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("plan --json ({error}):\n{}", run.all()));
    let changes = plan["changes"].as_array().expect("changes");
    let mut off = Vec::new();
    for change in changes {
        let id = change["id"].as_str().expect("an id");
        assert_ne!(change["action"], "create", "{id} was made: {change}");
        for attribute in change["changed"].as_array().into_iter().flatten() {
            let attribute = attribute.as_str().expect("an attribute name");
            // A reference to a resource the plan replaces (for its foreign name) is not
            // known yet: a consequence, not a difference of its own.
            let cascades = change["after"][attribute]
                .to_string()
                .contains("$known_after_apply");
            if !FOREIGN_ATTRIBUTES.contains(&attribute) && !cascades {
                off.push(format!(
                    "{id}.{attribute}: {} → {}",
                    change["before"][attribute], change["after"][attribute]
                ));
            }
        }
    }
    assert!(
        off.is_empty(),
        "the foreign cluster differs from its blueprint beyond names, descriptions and tags:\n{}",
        off.join("\n")
    );
    // Every foreign resource shows its foreign names as the plan's only change of its own.
    let changed: Vec<&str> = changes.iter().filter_map(|c| c["id"].as_str()).collect();
    for id in made.foreign_names.keys() {
        assert!(
            changed.contains(&id.as_str()),
            "{id} is foreign but unchanged"
        );
    }
}

async fn check_network(cloud: &support::cloud::Cloud, made: &ForeignCluster) {
    let vpcs = cloud
        .ec2
        .describe_vpcs()
        .vpc_ids(&made.vpc_id)
        .send()
        .await
        .expect("DescribeVpcs");
    let vpc = &vpcs.vpcs()[0];
    assert_eq!(vpc.cidr_block(), Some("10.60.0.0/16"));
    no_eksforge_tag("the VPC", ec2_tag_keys(vpc.tags()));

    let subnets = cloud
        .subnets(support::cloud::Select::in_vpcs([made.vpc_id.as_str()]))
        .await;
    let cidrs: BTreeMap<&str, &str> = subnets
        .iter()
        .map(|subnet| {
            no_eksforge_tag("a subnet", ec2_tag_keys(subnet.tags()));
            (
                subnet.cidr_block().unwrap(),
                subnet.availability_zone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cidrs,
        BTreeMap::from([
            ("10.60.0.0/19", "eu-west-1a"),
            ("10.60.32.0/19", "eu-west-1b"),
            ("10.60.128.0/24", "eu-west-1a"),
            ("10.60.129.0/24", "eu-west-1b"),
        ])
    );
    assert_eq!(made.private_subnets.len(), 2);
    assert_eq!(made.public_subnets.len(), 2);

    assert_eq!(made.nat_gateway_ids.len(), 1, "nat = single");
    let nats = cloud
        .ec2
        .describe_nat_gateways()
        .set_nat_gateway_ids(Some(made.nat_gateway_ids.values().cloned().collect()))
        .send()
        .await
        .expect("DescribeNatGateways");
    let nat = &nats.nat_gateways()[0];
    assert_eq!(nat.state().map(|s| s.as_str()), Some("available"));
    assert_eq!(
        nat.subnet_id(),
        made.public_subnets.get("eu-west-1a").map(String::as_str)
    );
    no_eksforge_tag("the NAT gateway", ec2_tag_keys(nat.tags()));

    // Three route tables of ours (two private, one public) beside the VPC's main one.
    let tables = cloud
        .route_tables(support::cloud::Select::in_vpcs([made.vpc_id.as_str()]))
        .await;
    let ours: Vec<_> = tables
        .iter()
        .filter(|table| !table.associations().iter().any(|a| a.main() == Some(true)))
        .collect();
    assert_eq!(ours.len(), 3, "{tables:?}");
    for table in ours {
        no_eksforge_tag("a route table", ec2_tag_keys(table.tags()));
        assert!(
            table
                .routes()
                .iter()
                .any(|route| route.destination_cidr_block() == Some("0.0.0.0/0")),
            "a default route: {table:?}"
        );
    }

    let groups = cloud
        .ec2
        .describe_security_groups()
        .group_ids(&made.cluster_security_group_id)
        .group_ids(&made.node_security_group_id)
        .send()
        .await
        .expect("DescribeSecurityGroups");
    for group in groups.security_groups() {
        no_eksforge_tag("a security group", ec2_tag_keys(group.tags()));
        assert!(
            !group
                .group_name()
                .unwrap_or_default()
                .starts_with("legacy-eks-"),
            "a foreign group name: {group:?}"
        );
    }
    let cluster_group = groups
        .security_groups()
        .iter()
        .find(|group| group.group_id() == Some(made.cluster_security_group_id.as_str()))
        .expect("the control plane's group");
    assert_eq!(
        cluster_group.description(),
        Some("Communication between the control plane and worker nodegroups")
    );
    let rules = cloud
        .ec2
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(&made.cluster_security_group_id)
                .values(&made.node_security_group_id)
                .build(),
        )
        .send()
        .await
        .expect("DescribeSecurityGroupRules");
    let ingress: Vec<_> = rules
        .security_group_rules()
        .iter()
        .filter(|rule| rule.is_egress() == Some(false))
        .collect();
    assert_eq!(ingress.len(), 4, "{ingress:?}");
    for rule in ingress {
        no_eksforge_tag("a security group rule", ec2_tag_keys(rule.tags()));
    }

    let templates = cloud
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&made.launch_template_id)
        .send()
        .await
        .expect("DescribeLaunchTemplateVersions");
    let data = templates.launch_template_versions()[0]
        .launch_template_data()
        .expect("template data");
    let metadata = data.metadata_options().expect("metadata options");
    assert_eq!(metadata.http_tokens().map(|t| t.as_str()), Some("required"));
    assert_eq!(metadata.http_put_response_hop_limit(), Some(1));
    assert_eq!(data.block_device_mappings().len(), 2);
    assert!(data.user_data().is_some_and(|text| !text.is_empty()));
    for specification in data.tag_specifications() {
        no_eksforge_tag("an instance tag", ec2_tag_keys(specification.tags()));
    }
}

async fn check_iam(cloud: &support::cloud::Cloud, made: &ForeignCluster) {
    let mut roles = vec![made.cluster_role_name.clone(), made.node_role_name.clone()];
    roles.extend(made.irsa_role_names.values().cloned());
    assert_eq!(
        made.irsa_role_names
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        [
            "apps/reader",
            "kube-system/aws-node",
            "kube-system/external-dns"
        ]
    );
    for name in &roles {
        let role = cloud
            .iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .unwrap_or_else(|error| panic!("GetRole {name}: {error:?}"));
        let role = role.role().expect("a role");
        no_eksforge_tag(name, role.tags().iter().map(|tag| tag.key()));
        assert!(role.description().is_some(), "{name} has a description");
    }
    let attached = |role: String| async move {
        cloud
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
            .expect("ListAttachedRolePolicies")
            .attached_policies()
            .iter()
            .filter_map(|policy| policy.policy_name().map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        attached(made.cluster_role_name.clone()).await,
        ["AmazonEKSClusterPolicy"]
    );
    assert_eq!(attached(made.node_role_name.clone()).await.len(), 3);
    assert_eq!(
        attached(made.irsa_role_names["apps/reader"].clone()).await,
        ["AmazonS3ReadOnlyAccess"]
    );
    let inline = cloud
        .iam
        .list_role_policies()
        .role_name(&made.irsa_role_names["kube-system/external-dns"])
        .send()
        .await
        .expect("ListRolePolicies");
    assert_eq!(inline.policy_names(), ["route53"]);

    let provider = cloud
        .iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&made.oidc_provider_arn)
        .send()
        .await
        .expect("GetOpenIDConnectProvider");
    assert_eq!(provider.client_id_list(), ["sts.amazonaws.com"]);
    no_eksforge_tag(
        "the OIDC provider",
        provider.tags().iter().map(|tag| tag.key()),
    );
}

async fn check_key_and_logs(cloud: &support::cloud::Cloud, made: &ForeignCluster) {
    let rotation = cloud
        .kms
        .get_key_rotation_status()
        .key_id(&made.key_id)
        .send()
        .await
        .expect("GetKeyRotationStatus");
    assert!(rotation.key_rotation_enabled());
    let aliases = cloud
        .kms
        .list_aliases()
        .key_id(&made.key_id)
        .send()
        .await
        .expect("ListAliases");
    assert_eq!(
        aliases.aliases()[0].alias_name(),
        Some(made.key_alias.as_str())
    );
    assert_eq!(made.key_alias, "alias/legacy-secrets");
    let tags = cloud
        .kms
        .list_resource_tags()
        .key_id(&made.key_id)
        .send()
        .await
        .expect("ListResourceTags");
    no_eksforge_tag("the key", tags.tags().iter().map(|tag| tag.tag_key()));

    let groups = cloud
        .logs
        .describe_log_groups()
        .log_group_name_prefix(&made.log_group_name)
        .send()
        .await
        .expect("DescribeLogGroups");
    let group = &groups.log_groups()[0];
    assert_eq!(group.log_group_name(), Some("/aws/eks/legacy/cluster"));
    assert_eq!(group.retention_in_days(), Some(30));
    assert_eq!(group.kms_key_id(), Some(made.key_arn.as_str()));
}

async fn check_eks(cloud: &support::cloud::Cloud, made: &ForeignCluster) {
    assert_eq!(made.cluster_name, CLUSTER);
    let cluster = cloud
        .eks
        .describe_cluster()
        .name(CLUSTER)
        .send()
        .await
        .expect("DescribeCluster");
    let cluster = cluster.cluster().expect("a cluster");
    assert_eq!(cluster.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(cluster.version(), Some("1.33"));
    no_eksforge_tag("the cluster", map_keys(cluster.tags()));
    let vpc = cluster.resources_vpc_config().expect("VPC config");
    assert!(vpc.endpoint_public_access());
    assert!(vpc.endpoint_private_access());
    assert_eq!(
        vpc.security_group_ids(),
        [made.cluster_security_group_id.as_str()]
    );

    let group = cloud
        .eks
        .describe_nodegroup()
        .cluster_name(CLUSTER)
        .nodegroup_name(&made.node_group_name)
        .send()
        .await
        .expect("DescribeNodegroup");
    let group = group.nodegroup().expect("a node group");
    assert_eq!(group.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(
        group.launch_template().and_then(|template| template.id()),
        Some(made.launch_template_id.as_str())
    );
    let scaling = group.scaling_config().expect("scaling");
    assert_eq!(
        (
            scaling.min_size(),
            scaling.max_size(),
            scaling.desired_size()
        ),
        (Some(2), Some(4), Some(2))
    );
    no_eksforge_tag("the node group", map_keys(group.tags()));

    let addons = cloud
        .eks
        .list_addons()
        .cluster_name(CLUSTER)
        .send()
        .await
        .expect("ListAddons");
    let mut names = addons.addons().to_vec();
    names.sort();
    assert_eq!(names, ["coredns", "kube-proxy", "vpc-cni"]);
    assert_eq!(made.addons, names);
    for name in &names {
        let addon = cloud
            .eks
            .describe_addon()
            .cluster_name(CLUSTER)
            .addon_name(name)
            .send()
            .await
            .expect("DescribeAddon");
        let addon = addon.addon().expect("an add-on");
        assert_eq!(addon.status().map(|s| s.as_str()), Some("ACTIVE"), "{name}");
        no_eksforge_tag(name, map_keys(addon.tags()));
    }
    let cni = cloud
        .eks
        .describe_addon()
        .cluster_name(CLUSTER)
        .addon_name("vpc-cni")
        .send()
        .await
        .expect("DescribeAddon");
    assert!(cni
        .addon()
        .and_then(|addon| addon.service_account_role_arn())
        .is_some_and(|arn| arn.ends_with(&made.irsa_role_names["kube-system/aws-node"])));
}
