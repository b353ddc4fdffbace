//! The EKS providers on what moto alone lacks — access entries and their policies, the
//! cluster's authentication mode, a node group's launch-template version — driven through the
//! `Provider` trait against the project's emulator (docs/emulator.md), and checked through the
//! EKS API itself: DescribeAccessEntry, ListAssociatedAccessPolicies, DescribeCluster's
//! `accessConfig`, DescribeNodegroup, ListUpdates and DescribeUpdate.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_eks::types::{
    AccessScopeType, AuthenticationMode, CreateAccessConfigRequest, LaunchTemplateSpecification,
    Update, UpdateStatus, UpdateType, VpcConfigRequest,
};
use eksforge::aws::{Aws, FoundVia, WaitConfig};
use eksforge::resources::{Attrs, Kind, ResourceId, Value};
use support::providers::{changed, Providers};

const BLUEPRINT: &str = "hardened";
const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const VIEW_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
const TRUST_EKS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// An emulator, the clients, and the network and roles a cluster needs.
struct World {
    moto: support::Moto,
    aws: Aws,
    eks: aws_sdk_eks::Client,
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
    subnet_ids: Vec<String>,
    security_group_id: String,
    cluster_role_arn: String,
}

impl World {
    fn providers(&self) -> Providers<'_> {
        Providers {
            aws: &self.aws,
            blueprint: BLUEPRINT,
        }
    }

    async fn role(&self, name: &str, trust: &str) -> String {
        let role = self
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust)
            .send()
            .await
            .unwrap_or_else(|error| panic!("create role {name}: {error:?}"));
        role.role().expect("a role").arn().to_string()
    }

    /// A cluster made directly through the SDK (not by eksforge), ACTIVE when this returns.
    async fn sdk_cluster(&self, name: &str, mode: AuthenticationMode) {
        self.eks
            .create_cluster()
            .name(name)
            .role_arn(&self.cluster_role_arn)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(Some(self.subnet_ids.clone()))
                    .security_group_ids(&self.security_group_id)
                    .endpoint_private_access(true)
                    .endpoint_public_access(false)
                    .build(),
            )
            .access_config(
                CreateAccessConfigRequest::builder()
                    .authentication_mode(mode)
                    .bootstrap_cluster_creator_admin_permissions(false)
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|error| panic!("create cluster {name}: {error:?}"));
    }

    /// The updates EKS recorded for a cluster (or one of its node groups), oldest first.
    async fn updates(&self, cluster: &str, nodegroup: Option<&str>) -> Vec<Update> {
        support::cloud::eks_updates(&self.eks, cluster, nodegroup).await
    }

    /// How long CREATING, UPDATING, DELETING and an update's InProgress last from now on.
    fn set_transition_seconds(&self, seconds: f64) {
        self.moto
            .configure(&format!(r#"{{"transitionSeconds": {seconds}}}"#));
    }
}

async fn world() -> World {
    let moto = support::Moto::start();
    let config = support::sdk_config(&moto.url()).await;
    let aws = Aws::from_sdk_config(
        &config,
        WaitConfig {
            first_poll: Duration::from_millis(100),
            max_poll: Duration::from_millis(400),
            ..WaitConfig::default()
        },
    );
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpc_id = ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .send()
        .await
        .expect("create VPC")
        .vpc()
        .and_then(|vpc| vpc.vpc_id())
        .expect("VPC id")
        .to_string();
    let mut subnet_ids = Vec::new();
    for (cidr, zone) in [
        ("10.30.0.0/20", "eu-west-1a"),
        ("10.30.16.0/20", "eu-west-1b"),
    ] {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .expect("create subnet");
        subnet_ids.push(
            subnet
                .subnet()
                .and_then(|subnet| subnet.subnet_id())
                .expect("subnet id")
                .to_string(),
        );
    }
    subnet_ids.sort();
    let security_group_id = ec2
        .create_security_group()
        .group_name("cluster")
        .description("cluster")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("create security group")
        .group_id()
        .expect("group id")
        .to_string();
    let mut world = World {
        moto,
        aws,
        eks: aws_sdk_eks::Client::new(&config),
        ec2,
        iam: aws_sdk_iam::Client::new(&config),
        subnet_ids,
        security_group_id,
        cluster_role_arn: String::new(),
    };
    world.cluster_role_arn = world.role("hardened-eks-cluster", TRUST_EKS).await;
    world
}

/// A world with the cluster `access` in authentication mode API and a role to give access to.
async fn access_world() -> (World, String) {
    let world = world().await;
    world.sdk_cluster("access", AuthenticationMode::Api).await;
    let principal = world.role("PlatformAdmin", TRUST_EC2).await;
    (world, principal)
}

fn id(text: &str) -> ResourceId {
    ResourceId::parse(text).expect("a resource id")
}

fn entry_attrs(cluster: &str, principal: &str, policies: &[&str]) -> Attrs {
    Attrs::from([
        ("cluster_name".to_string(), Value::str(cluster)),
        ("principal_arn".to_string(), Value::str(principal)),
        ("type".to_string(), Value::str("STANDARD")),
        (
            "access_policies".to_string(),
            Value::List(
                policies
                    .iter()
                    .map(|arn| {
                        Value::Map(BTreeMap::from([
                            ("policy_arn".to_string(), Value::str(*arn)),
                            ("scope_type".to_string(), Value::str("cluster")),
                        ]))
                    })
                    .collect(),
            ),
        ),
        (
            "tags".to_string(),
            Value::Map(BTreeMap::from([(
                "eksforge:blueprint".to_string(),
                Value::str(BLUEPRINT),
            )])),
        ),
    ])
}

/// The policies associated with `principal`, as (policy ARN, scope type), read from EKS.
async fn associated_policies(
    world: &World,
    cluster: &str,
    principal: &str,
) -> Vec<(String, AccessScopeType)> {
    let output = world
        .eks
        .list_associated_access_policies()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
        .expect("list associated access policies");
    let mut policies: Vec<(String, AccessScopeType)> = output
        .associated_access_policies()
        .iter()
        .map(|policy| {
            (
                policy.policy_arn().expect("policy ARN").to_string(),
                policy
                    .access_scope()
                    .and_then(|scope| scope.r#type())
                    .expect("scope type")
                    .clone(),
            )
        })
        .collect();
    policies.sort_by(|a, b| a.0.cmp(&b.0));
    policies
}

/// Whether DescribeAccessEntry answers ResourceNotFoundException for `principal`.
async fn access_entry_is_not_found(world: &World, cluster: &str, principal: &str) -> bool {
    match world
        .eks
        .describe_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
    {
        Ok(_) => false,
        Err(error) => error
            .as_service_error()
            .is_some_and(|error| error.is_resource_not_found_exception()),
    }
}

#[tokio::test]
async fn an_access_entry_is_created_with_its_policy_and_reads_back_without_a_diff() {
    let (world, principal) = access_world().await;
    let entry = id("eks_access_entry.admin.PlatformAdmin");
    let desired = entry_attrs("access", &principal, &[ADMIN_POLICY]);

    let observed = world
        .providers()
        .create(Kind::EksAccessEntry, &entry, &desired)
        .await;
    assert_eq!(observed.cloud_id, format!("access|{principal}"));
    assert_eq!(
        observed.attrs,
        desired,
        "what the API reports equals what was asked: {:?}",
        changed(&observed.attrs, &desired)
    );

    // What EKS holds: the entry as asked, and exactly one policy on the whole cluster.
    let described = world
        .eks
        .describe_access_entry()
        .cluster_name("access")
        .principal_arn(&principal)
        .send()
        .await
        .expect("describe access entry");
    let described = described.access_entry().expect("an access entry");
    assert_eq!(described.principal_arn(), Some(principal.as_str()));
    assert_eq!(described.r#type(), Some("STANDARD"));
    assert_eq!(
        described
            .tags()
            .and_then(|tags| tags.get("eksforge:blueprint"))
            .map(String::as_str),
        Some(BLUEPRINT)
    );
    assert_eq!(
        observed.outputs.get("arn").and_then(Value::as_str),
        described.access_entry_arn()
    );
    assert_eq!(
        associated_policies(&world, "access", &principal).await,
        [(ADMIN_POLICY.to_string(), AccessScopeType::Cluster)]
    );

    // A refresh by state and one by natural key (a lost state) both read it back unchanged.
    world
        .providers()
        .assert_no_diff(Kind::EksAccessEntry, &entry, &observed.cloud_id, &desired)
        .await;
    world
        .providers()
        .assert_adopted(
            Kind::EksAccessEntry,
            &entry,
            &observed.cloud_id,
            &desired,
            FoundVia::NaturalKey,
        )
        .await;
}

#[tokio::test]
async fn changing_access_policies_associates_the_new_and_disassociates_the_old() {
    let (world, principal) = access_world().await;
    let entry = id("eks_access_entry.admin.PlatformAdmin");
    let (before, after) = (
        entry_attrs("access", &principal, &[ADMIN_POLICY]),
        entry_attrs("access", &principal, &[VIEW_POLICY]),
    );
    let created = world
        .providers()
        .create(Kind::EksAccessEntry, &entry, &before)
        .await;
    assert_eq!(
        associated_policies(&world, "access", &principal).await,
        [(ADMIN_POLICY.to_string(), AccessScopeType::Cluster)]
    );

    let updated = world
        .providers()
        .update(
            Kind::EksAccessEntry,
            &entry,
            &created.cloud_id,
            &before,
            &after,
        )
        .await;
    assert_eq!(updated.attrs, after);
    assert_eq!(
        associated_policies(&world, "access", &principal).await,
        [(VIEW_POLICY.to_string(), AccessScopeType::Cluster)],
        "the new policy is associated and the old one disassociated"
    );
    world
        .providers()
        .assert_no_diff(Kind::EksAccessEntry, &entry, &created.cloud_id, &after)
        .await;
}

/// Tags change in place (TagResource / UntagResource on the entry's ARN), read back from EKS.
#[tokio::test]
async fn changing_access_entry_tags_tags_and_untags_the_entry() {
    let (world, principal) = access_world().await;
    let entry = id("eks_access_entry.admin.PlatformAdmin");
    let before = entry_attrs("access", &principal, &[ADMIN_POLICY]);
    let mut after = before.clone();
    after.insert(
        "tags".to_string(),
        Value::Map(BTreeMap::from([
            ("eksforge:blueprint".to_string(), Value::str(BLUEPRINT)),
            ("team".to_string(), Value::str("platform")),
        ])),
    );
    let created = world
        .providers()
        .create(Kind::EksAccessEntry, &entry, &before)
        .await;
    let updated = world
        .providers()
        .update(
            Kind::EksAccessEntry,
            &entry,
            &created.cloud_id,
            &before,
            &after,
        )
        .await;
    assert_eq!(updated.attrs, after);
    let tags = world
        .eks
        .describe_access_entry()
        .cluster_name("access")
        .principal_arn(&principal)
        .send()
        .await
        .expect("describe access entry")
        .access_entry()
        .and_then(|entry| entry.tags().cloned())
        .unwrap_or_default();
    assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
    // And back: the tag is removed.
    world
        .providers()
        .update(
            Kind::EksAccessEntry,
            &entry,
            &created.cloud_id,
            &after,
            &before,
        )
        .await;
    world
        .providers()
        .assert_no_diff(Kind::EksAccessEntry, &entry, &created.cloud_id, &before)
        .await;
}

#[tokio::test]
async fn a_missing_access_entry_is_not_found_and_deleting_it_again_succeeds() {
    let (world, principal) = access_world().await;
    let entry = id("eks_access_entry.admin.PlatformAdmin");
    let attrs = entry_attrs("access", &principal, &[ADMIN_POLICY]);

    // Nothing exists yet: a refresh of what state lacks finds nothing, as EKS answers.
    assert!(access_entry_is_not_found(&world, "access", &principal).await);
    let found = world
        .providers()
        .refresh_missing_one(Kind::EksAccessEntry, &entry, &attrs)
        .await;
    assert!(found.is_empty(), "{found:?}");

    // An entry made outside eksforge, deleted through the provider, then deleted again.
    world
        .eks
        .create_access_entry()
        .cluster_name("access")
        .principal_arn(&principal)
        .send()
        .await
        .expect("create access entry");
    assert!(!access_entry_is_not_found(&world, "access", &principal).await);
    let cloud_id = format!("access|{principal}");
    for _ in 0..2 {
        world
            .providers()
            .delete(Kind::EksAccessEntry, &entry, &cloud_id, &attrs)
            .await;
        assert!(access_entry_is_not_found(&world, "access", &principal).await);
    }
    let found = world
        .providers()
        .refresh_recorded_one(Kind::EksAccessEntry, &entry, &cloud_id, &attrs)
        .await;
    assert!(found.is_empty(), "{found:?}");
}

fn cluster_attrs(world: &World, name: &str) -> Attrs {
    let cluster = id("eks_cluster.main");
    Attrs::from([
        ("name".to_string(), Value::str(name)),
        ("version".to_string(), Value::str("1.34")),
        (
            "role_arn".to_string(),
            Value::str(world.cluster_role_arn.clone()),
        ),
        (
            "subnet_ids".to_string(),
            Value::List(world.subnet_ids.iter().cloned().map(Value::Str).collect()),
        ),
        (
            "security_group_ids".to_string(),
            Value::List(vec![Value::str(world.security_group_id.clone())]),
        ),
        ("endpoint_private_access".to_string(), Value::Bool(true)),
        ("endpoint_public_access".to_string(), Value::Bool(false)),
        ("enabled_log_types".to_string(), Value::List(vec![])),
        ("authentication_mode".to_string(), Value::str("API")),
        ("deletion_protection".to_string(), Value::Bool(false)),
        ("upgrade_policy".to_string(), Value::str("STANDARD")),
        (
            "bootstrap_self_managed_addons".to_string(),
            Value::Bool(false),
        ),
        (
            "tags".to_string(),
            Value::Map(BTreeMap::from([
                ("eksforge:blueprint".to_string(), Value::str(BLUEPRINT)),
                (
                    "eksforge:resource".to_string(),
                    Value::str(cluster.as_str()),
                ),
            ])),
        ),
    ])
}

#[tokio::test]
async fn the_cluster_is_created_with_authentication_mode_api_and_a_config_map_cluster_is_moved_to_it(
) {
    let world = world().await;
    let cluster = id("eks_cluster.main");
    let mut desired = cluster_attrs(&world, BLUEPRINT);
    desired.insert("bootstrap_cluster_creator_admin".into(), Value::Bool(false));

    // CREATING lasts a second: the create returns only once the cluster is ACTIVE.
    world.set_transition_seconds(1.0);
    let observed = world
        .providers()
        .create(Kind::EksCluster, &cluster, &desired)
        .await;
    world.set_transition_seconds(0.0);
    assert_eq!(
        observed.outputs.get("status").and_then(Value::as_str),
        Some("ACTIVE")
    );
    assert!(
        !observed.attrs.contains_key("public_access_cidrs"),
        "0.0.0.0/0 reported for a closed public endpoint is not drift"
    );
    let described = world
        .eks
        .describe_cluster()
        .name(BLUEPRINT)
        .send()
        .await
        .expect("describe cluster");
    let described = described.cluster().expect("a cluster");
    let access = described.access_config().expect("accessConfig");
    assert_eq!(access.authentication_mode(), Some(&AuthenticationMode::Api));
    assert_eq!(
        access.bootstrap_cluster_creator_admin_permissions(),
        Some(false)
    );
    let vpc = described
        .resources_vpc_config()
        .expect("resourcesVpcConfig");
    assert!(!vpc.endpoint_public_access() && vpc.endpoint_private_access());
    assert_eq!(
        vpc.public_access_cidrs(),
        ["0.0.0.0/0"],
        "no CIDRs were sent for the closed public endpoint: EKS's default stands"
    );
    // Without the creator's bootstrap permissions, no access entry was made for it.
    let entries = world
        .eks
        .list_access_entries()
        .cluster_name(BLUEPRINT)
        .send()
        .await
        .expect("list access entries");
    assert!(entries.access_entries().is_empty(), "{entries:?}");

    // A cluster still on the aws-auth ConfigMap, made outside eksforge: drift the plan shows
    // and an update fixes in place, through API_AND_CONFIG_MAP as EKS requires.
    world
        .sdk_cluster("legacy", AuthenticationMode::ConfigMap)
        .await;
    let mut legacy = cluster_attrs(&world, "legacy");
    // Made through the SDK without a policy, EKS put it on extended support: kept as is, so
    // the only change here is the authentication mode.
    legacy.insert("upgrade_policy".into(), Value::str("EXTENDED"));
    let found = world
        .providers()
        .refresh_recorded_one(Kind::EksCluster, &cluster, "legacy", &legacy)
        .await;
    assert_eq!(found.len(), 1, "{found:?}");
    let before = found[0].observed.attrs.clone();
    assert_eq!(
        before.get("authentication_mode"),
        Some(&Value::str("CONFIG_MAP"))
    );
    let updated = world
        .providers()
        .update(Kind::EksCluster, &cluster, "legacy", &before, &legacy)
        .await;
    assert_eq!(
        updated.attrs.get("authentication_mode"),
        Some(&Value::str("API"))
    );
    let described = world
        .eks
        .describe_cluster()
        .name("legacy")
        .send()
        .await
        .expect("describe cluster");
    assert_eq!(
        described
            .cluster()
            .and_then(|cluster| cluster.access_config())
            .and_then(|access| access.authentication_mode()),
        Some(&AuthenticationMode::Api)
    );
    let steps: Vec<(UpdateType, UpdateStatus, Vec<String>)> = world
        .updates("legacy", None)
        .await
        .iter()
        .map(|update| {
            (
                update.r#type().expect("update type").clone(),
                update.status().expect("update status").clone(),
                update
                    .params()
                    .iter()
                    .filter_map(|param| param.value().map(str::to_string))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                UpdateType::AccessConfigUpdate,
                UpdateStatus::Successful,
                vec!["API_AND_CONFIG_MAP".to_string()]
            ),
            (
                UpdateType::AccessConfigUpdate,
                UpdateStatus::Successful,
                vec!["API".to_string()]
            ),
        ]
    );
}

#[tokio::test]
async fn a_new_launch_template_version_rolls_the_node_group_and_waits_for_it() {
    let world = world().await;
    world.sdk_cluster("nodes", AuthenticationMode::Api).await;
    let node_role = world.role("hardened-eks-node", TRUST_EC2).await;
    let template = world
        .ec2
        .create_launch_template()
        .launch_template_name("system")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .instance_type(aws_sdk_ec2::types::InstanceType::M6iLarge)
                .build(),
        )
        .send()
        .await
        .expect("create launch template");
    let template_id = template
        .launch_template()
        .and_then(|template| template.launch_template_id())
        .expect("template id")
        .to_string();
    world
        .ec2
        .create_launch_template_version()
        .launch_template_id(&template_id)
        .source_version("1")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .instance_type(aws_sdk_ec2::types::InstanceType::M6iXlarge)
                .build(),
        )
        .send()
        .await
        .expect("create launch template version 2");
    world
        .eks
        .create_nodegroup()
        .cluster_name("nodes")
        .nodegroup_name("system-1a2b3c4d")
        .node_role(&node_role)
        .set_subnets(Some(world.subnet_ids.clone()))
        .launch_template(
            LaunchTemplateSpecification::builder()
                .id(&template_id)
                .version("1")
                .build(),
        )
        .send()
        .await
        .expect("create node group");

    let group = id("eks_node_group.system");
    let attrs = |version: &str| {
        Attrs::from([
            ("cluster_name".to_string(), Value::str("nodes")),
            ("name".to_string(), Value::str("system-1a2b3c4d")),
            ("launch_template_id".to_string(), Value::str(&template_id)),
            ("launch_template_version".to_string(), Value::str(version)),
        ])
    };
    // The rolling update lasts two seconds: the update returns only once it is over.
    let delay = Duration::from_secs(2);
    world.set_transition_seconds(delay.as_secs_f64());
    let started = Instant::now();
    let updated = world
        .providers()
        .update(
            Kind::EksNodeGroup,
            &group,
            "system-1a2b3c4d",
            &attrs("1"),
            &attrs("2"),
        )
        .await;
    let waited = started.elapsed();
    assert!(
        waited >= delay,
        "returned after {waited:?}, before the update ended"
    );
    assert_eq!(
        updated.attrs.get("launch_template_version"),
        Some(&Value::str("2"))
    );

    let described = world
        .eks
        .describe_nodegroup()
        .cluster_name("nodes")
        .nodegroup_name("system-1a2b3c4d")
        .send()
        .await
        .expect("describe node group");
    let described = described.nodegroup().expect("a node group");
    assert_eq!(
        described.status().map(|status| status.as_str()),
        Some("ACTIVE")
    );
    let launch_template = described.launch_template().expect("a launch template");
    assert_eq!(launch_template.id(), Some(template_id.as_str()));
    assert_eq!(launch_template.version(), Some("2"));

    let updates = world.updates("nodes", Some("system-1a2b3c4d")).await;
    assert_eq!(updates.len(), 1, "one UpdateNodegroupVersion: {updates:?}");
    assert_eq!(updates[0].r#type(), Some(&UpdateType::VersionUpdate));
    assert_eq!(updates[0].status(), Some(&UpdateStatus::Successful));
    let version_param = updates[0]
        .params()
        .iter()
        .find(|param| param.r#type().map(|kind| kind.as_str()) == Some("LaunchTemplateVersion"));
    assert_eq!(
        version_param.and_then(|param| param.value()),
        Some("2"),
        "{updates:?}"
    );
}
