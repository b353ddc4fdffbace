//! The node-side EC2 providers (`security_group`, `security_group_rule`, `launch_template`)
//! against a moto of each test's own, called through the `Provider` trait and checked through
//! the EC2 API directly: create, read back with no difference, update in place, delete, and
//! delete again.

mod support;

use support::providers::{by_id, tags_named, Providers};

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    Filter, IpPermission, ResourceType, Tag, TagSpecification, UserIdGroupPair,
};
use eksforge::aws::{provider, Aws, CreateRequest, Found, FoundVia};
use eksforge::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT, TAG_RESOURCE};

const BLUEPRINT: &str = "ec2nodes";

struct World {
    _moto: support::Moto,
    aws: Aws,
    ec2: aws_sdk_ec2::Client,
    vpc_id: String,
}

impl World {
    fn providers(&self) -> Providers<'_> {
        Providers {
            aws: &self.aws,
            blueprint: BLUEPRINT,
        }
    }
}

async fn world() -> World {
    let moto = support::Moto::start();
    let config = support::sdk_config(&moto.url()).await;
    let aws = Aws::from_sdk_config(&config, Default::default());
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .expect("create VPC");
    let vpc_id = vpc
        .vpc()
        .and_then(|vpc| vpc.vpc_id())
        .expect("VPC id")
        .to_string();
    World {
        _moto: moto,
        aws,
        ec2,
        vpc_id,
    }
}

fn id(text: &str) -> ResourceId {
    ResourceId::parse(text).expect("a resource id")
}

/// Ownership tags with a `Name` as the expansion writes it (dots become dashes).
fn tags(id: &ResourceId, extra: &[(&str, &str)]) -> Value {
    let name = format!("{BLUEPRINT}-{}", id.as_str().replace('.', "-"));
    tags_named(BLUEPRINT, id, &name, extra)
}

fn attrs(pairs: Vec<(&str, Value)>) -> Attrs {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|tag| {
            (
                tag.key().unwrap_or_default().to_string(),
                tag.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The refreshed resource, which must read back exactly as desired (no perpetual diff).
fn assert_reads_back(
    found: &BTreeMap<ResourceId, Found>,
    id: &ResourceId,
    via: FoundVia,
    cloud_id: &str,
    desired: &Attrs,
) {
    let item = found
        .get(id)
        .unwrap_or_else(|| panic!("{id} not found by refresh: {found:?}"));
    assert_eq!(item.via, via, "{id} found another way");
    assert_eq!(
        item.observed.cloud_id, cloud_id,
        "{id} found as another cloud resource"
    );
    assert_eq!(
        &item.observed.attrs, desired,
        "{id} reads back differently from desired (a perpetual diff)"
    );
}

async fn security_group_directly(world: &World, name: &str) -> String {
    world
        .ec2
        .create_security_group()
        .group_name(name)
        .description(format!("test group {name}"))
        .vpc_id(&world.vpc_id)
        .send()
        .await
        .expect("create security group")
        .group_id()
        .expect("group id")
        .to_string()
}

#[tokio::test]
async fn security_group_lifecycle() {
    let world = world().await;
    let sg = id("security_group.node");
    let desired = attrs(vec![
        ("name", Value::str("hardened-eks-node")),
        ("description", Value::str("eksforge hardened: EKS nodes")),
        ("vpc_id", Value::str(world.vpc_id.clone())),
        ("tags", tags(&sg, &[])),
    ]);

    // Create, tagged at once.
    let created = world
        .providers()
        .create(Kind::SecurityGroup, &sg, &desired)
        .await;
    let group_id = created.cloud_id.clone();
    assert!(group_id.starts_with("sg-"), "{group_id}");
    assert_eq!(
        created.outputs.get("id"),
        Some(&Value::str(group_id.clone()))
    );
    let groups = world
        .ec2
        .describe_security_groups()
        .group_ids(&group_id)
        .send()
        .await
        .expect("describe");
    let group = &groups.security_groups()[0];
    assert_eq!(group.group_name(), Some("hardened-eks-node"));
    assert_eq!(group.description(), Some("eksforge hardened: EKS nodes"));
    assert_eq!(group.vpc_id(), Some(world.vpc_id.as_str()));
    let live_tags = tag_map(group.tags());
    assert_eq!(
        live_tags.get(TAG_BLUEPRINT).map(String::as_str),
        Some(BLUEPRINT)
    );
    assert_eq!(
        live_tags.get(TAG_RESOURCE).map(String::as_str),
        Some("security_group.node")
    );
    // AWS's default allow-all egress stays: nodes reach the internet through NAT.
    assert!(group
        .ip_permissions_egress()
        .iter()
        .any(|permission| permission.ip_protocol() == Some("-1")
            && permission
                .ip_ranges()
                .iter()
                .any(|range| range.cidr_ip() == Some("0.0.0.0/0"))));
    assert!(
        group.ip_permissions().is_empty(),
        "a new group opens nothing"
    );

    // Read back as desired, by id and (state lost) by tag.
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::SecurityGroup, &[(&sg, &group_id, &desired)])
            .await,
    );
    assert_reads_back(&found, &sg, FoundVia::State, &group_id, &desired);
    assert_eq!(
        found[&sg].observed.outputs.get("id"),
        Some(&Value::str(group_id.clone()))
    );
    let found = by_id(
        world
            .providers()
            .refresh_missing(Kind::SecurityGroup, &[(&sg, &desired)])
            .await,
    );
    assert_reads_back(&found, &sg, FoundVia::Tag, &group_id, &desired);

    // Tags change in place.
    let mut after = desired.clone();
    after.insert("tags".into(), tags(&sg, &[("team", "platform")]));
    let updated = world
        .providers()
        .update(Kind::SecurityGroup, &sg, &group_id, &desired, &after)
        .await;
    assert_eq!(updated.cloud_id, group_id);
    let groups = world
        .ec2
        .describe_security_groups()
        .group_ids(&group_id)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        tag_map(groups.security_groups()[0].tags())
            .get("team")
            .map(String::as_str),
        Some("platform")
    );
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::SecurityGroup, &[(&sg, &group_id, &after)])
            .await,
    );
    assert_reads_back(&found, &sg, FoundVia::State, &group_id, &after);

    // Delete, then delete what is gone.
    world
        .providers()
        .delete(Kind::SecurityGroup, &sg, &group_id, &after)
        .await;
    let left = world
        .ec2
        .describe_security_groups()
        .filters(Filter::builder().name("group-id").values(&group_id).build())
        .send()
        .await
        .expect("describe");
    assert!(
        left.security_groups().is_empty(),
        "the group is still there"
    );
    world
        .providers()
        .delete(Kind::SecurityGroup, &sg, &group_id, &after)
        .await;
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::SecurityGroup, &[(&sg, &group_id, &after)])
            .await,
    );
    assert!(found.is_empty(), "a deleted group was refreshed: {found:?}");
}

/// The rule with this id as the EC2 API describes it.
async fn live_rule(world: &World, rule_id: &str) -> Option<aws_sdk_ec2::types::SecurityGroupRule> {
    world
        .ec2
        .describe_security_group_rules()
        .filters(
            Filter::builder()
                .name("security-group-rule-id")
                .values(rule_id)
                .build(),
        )
        .send()
        .await
        .expect("describe rules")
        .security_group_rules()
        .first()
        .cloned()
}

fn rule_attrs(
    id: &ResourceId,
    group: &str,
    direction: &str,
    protocol: &str,
    ports: Option<i64>,
    source: (&str, &str),
    description: &str,
) -> Attrs {
    let mut attrs = attrs(vec![
        ("security_group_id", Value::str(group)),
        ("direction", Value::str(direction)),
        ("protocol", Value::str(protocol)),
        (source.0, Value::str(source.1)),
        ("description", Value::str(description)),
        ("tags", tags(id, &[])),
    ]);
    if let Some(port) = ports {
        attrs.insert("from_port".into(), Value::Int(port));
        attrs.insert("to_port".into(), Value::Int(port));
    }
    attrs
}

#[tokio::test]
async fn security_group_rule_lifecycle() {
    let world = world().await;
    let cluster_sg = security_group_directly(&world, "hardened-eks-cluster").await;
    let node_sg = security_group_directly(&world, "hardened-eks-node").await;

    let from_cluster = id("security_group_rule.node.from_cluster_443");
    let nodes_all = id("security_group_rule.node.from_nodes_all");
    let to_vpc = id("security_group_rule.cluster.to_vpc_443");
    let from_cluster_attrs = rule_attrs(
        &from_cluster,
        &node_sg,
        "ingress",
        "tcp",
        Some(443),
        ("source_security_group_id", &cluster_sg),
        "control plane to webhooks on nodes",
    );
    // All traffic: no ports in the desired attributes, none sent.
    let nodes_all_attrs = rule_attrs(
        &nodes_all,
        &node_sg,
        "ingress",
        "-1",
        None,
        ("source_security_group_id", &node_sg),
        "node to node",
    );
    let to_vpc_attrs = rule_attrs(
        &to_vpc,
        &cluster_sg,
        "egress",
        "tcp",
        Some(443),
        ("cidr_ipv4", "10.20.0.0/16"),
        "API server to the VPC",
    );
    let rules = [
        (&from_cluster, &from_cluster_attrs),
        (&nodes_all, &nodes_all_attrs),
        (&to_vpc, &to_vpc_attrs),
    ];

    let mut created: BTreeMap<ResourceId, String> = BTreeMap::new();
    for (id, attrs) in rules {
        let observed = world
            .providers()
            .create(Kind::SecurityGroupRule, id, attrs)
            .await;
        assert!(
            observed.cloud_id.starts_with("sgr-"),
            "{}",
            observed.cloud_id
        );
        assert_eq!(
            observed.outputs.get("id"),
            Some(&Value::str(observed.cloud_id.clone()))
        );
        created.insert(id.clone(), observed.cloud_id);
    }

    // Through the API: exactly the rules asked for, tagged.
    let rule = live_rule(&world, &created[&from_cluster])
        .await
        .expect("443 rule");
    assert_eq!(rule.group_id(), Some(node_sg.as_str()));
    assert_eq!(rule.is_egress(), Some(false));
    assert_eq!(
        (rule.ip_protocol(), rule.from_port(), rule.to_port()),
        (Some("tcp"), Some(443), Some(443))
    );
    assert_eq!(
        rule.referenced_group_info()
            .and_then(|group| group.group_id()),
        Some(cluster_sg.as_str())
    );
    assert_eq!(
        tag_map(rule.tags()).get(TAG_RESOURCE).map(String::as_str),
        Some(from_cluster.as_str())
    );
    let rule = live_rule(&world, &created[&nodes_all])
        .await
        .expect("self rule");
    assert_eq!(rule.ip_protocol(), Some("-1"));
    assert_eq!(
        rule.referenced_group_info()
            .and_then(|group| group.group_id()),
        Some(node_sg.as_str())
    );
    assert_eq!(
        tag_map(rule.tags()).get(TAG_BLUEPRINT).map(String::as_str),
        Some(BLUEPRINT)
    );
    let rule = live_rule(&world, &created[&to_vpc])
        .await
        .expect("egress rule");
    assert_eq!(rule.is_egress(), Some(true));
    assert_eq!(rule.cidr_ipv4(), Some("10.20.0.0/16"));
    assert_eq!(rule.description(), Some("API server to the VPC"));
    let groups = world
        .ec2
        .describe_security_groups()
        .group_ids(&node_sg)
        .send()
        .await
        .expect("describe");
    let pairs: Vec<(Option<&str>, Option<&str>)> = groups.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|permission| permission.user_id_group_pairs())
        .map(|pair| (pair.group_id(), pair.description()))
        .collect();
    assert!(
        pairs.contains(&(
            Some(cluster_sg.as_str()),
            Some("control plane to webhooks on nodes")
        )),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&(Some(node_sg.as_str()), Some("node to node"))),
        "{pairs:?}"
    );
    assert_eq!(
        pairs.len(),
        2,
        "nothing else opened on the node group: {pairs:?}"
    );

    // Read back as desired, by id and by tag; AWS's default egress rule is not ours.
    let recorded: Vec<(&ResourceId, &str, &Attrs)> = rules
        .iter()
        .map(|(id, attrs)| (*id, created[*id].as_str(), *attrs))
        .collect();
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::SecurityGroupRule, &recorded)
            .await,
    );
    assert_eq!(found.len(), 3, "{found:?}");
    for (id, attrs) in rules {
        assert_reads_back(&found, id, FoundVia::State, &created[id], attrs);
    }
    let found = by_id(
        world
            .providers()
            .refresh_missing(Kind::SecurityGroupRule, &rules)
            .await,
    );
    for (id, attrs) in rules {
        assert_reads_back(&found, id, FoundVia::Tag, &created[id], attrs);
    }

    // Descriptions change in place (a group-referencing rule and a CIDR rule), and tags.
    let mut from_cluster_after = from_cluster_attrs.clone();
    from_cluster_after.insert(
        "description".into(),
        Value::str("control plane to admission webhooks"),
    );
    let updated = world
        .providers()
        .update(
            Kind::SecurityGroupRule,
            &from_cluster,
            &created[&from_cluster],
            &from_cluster_attrs,
            &from_cluster_after,
        )
        .await;
    assert_eq!(updated.cloud_id, created[&from_cluster]);
    let rule = live_rule(&world, &created[&from_cluster])
        .await
        .expect("443 rule");
    assert_eq!(
        rule.description(),
        Some("control plane to admission webhooks")
    );
    let mut to_vpc_after = to_vpc_attrs.clone();
    to_vpc_after.insert(
        "description".into(),
        Value::str("API server to anything in the VPC"),
    );
    to_vpc_after.insert("tags".into(), tags(&to_vpc, &[("team", "platform")]));
    world
        .providers()
        .update(
            Kind::SecurityGroupRule,
            &to_vpc,
            &created[&to_vpc],
            &to_vpc_attrs,
            &to_vpc_after,
        )
        .await;
    let rule = live_rule(&world, &created[&to_vpc])
        .await
        .expect("egress rule");
    assert_eq!(
        rule.description(),
        Some("API server to anything in the VPC")
    );
    assert_eq!(
        tag_map(rule.tags()).get("team").map(String::as_str),
        Some("platform")
    );
    let after = [
        (&from_cluster, &from_cluster_after),
        (&nodes_all, &nodes_all_attrs),
        (&to_vpc, &to_vpc_after),
    ];
    let recorded: Vec<(&ResourceId, &str, &Attrs)> = after
        .iter()
        .map(|(id, attrs)| (*id, created[*id].as_str(), *attrs))
        .collect();
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::SecurityGroupRule, &recorded)
            .await,
    );
    for (id, attrs) in after {
        assert_reads_back(&found, id, FoundVia::State, &created[id], attrs);
    }

    // Delete, then delete again; and a rule whose group is gone is gone too.
    for (id, attrs) in after {
        world
            .providers()
            .delete(Kind::SecurityGroupRule, id, &created[id], attrs)
            .await;
        assert!(
            live_rule(&world, &created[id]).await.is_none(),
            "{id} is still there"
        );
        world
            .providers()
            .delete(Kind::SecurityGroupRule, id, &created[id], attrs)
            .await;
    }
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::SecurityGroupRule, &recorded)
            .await,
    );
    assert!(found.is_empty(), "deleted rules were refreshed: {found:?}");
    world
        .ec2
        .delete_security_group()
        .group_id(&cluster_sg)
        .send()
        .await
        .expect("delete group");
    world
        .providers()
        .delete(
            Kind::SecurityGroupRule,
            &to_vpc,
            &created[&to_vpc],
            &to_vpc_after,
        )
        .await;
}

#[tokio::test]
async fn security_group_rule_adopts_what_a_crashed_run_made() {
    let world = world().await;
    let cluster_sg = security_group_directly(&world, "hardened-eks-cluster").await;
    let node_sg = security_group_directly(&world, "hardened-eks-node").await;
    let ec2 = &world.ec2;
    let rules_of = |group: String| async move {
        ec2.describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(group).build())
            .send()
            .await
            .expect("describe rules")
            .security_group_rules()
            .iter()
            .filter(|rule| rule.is_egress() == Some(false))
            .cloned()
            .collect::<Vec<_>>()
    };

    // The authorize call went through, then the run died before writing state: the next
    // create meets InvalidPermission.Duplicate and takes the rule that is there.
    let from_nodes = id("security_group_rule.cluster.from_nodes_443");
    let desired = rule_attrs(
        &from_nodes,
        &cluster_sg,
        "ingress",
        "tcp",
        Some(443),
        ("source_security_group_id", &node_sg),
        "nodes to the API server",
    );
    let first = world
        .providers()
        .create(Kind::SecurityGroupRule, &from_nodes, &desired)
        .await;
    let again = world
        .providers()
        .create(Kind::SecurityGroupRule, &from_nodes, &desired)
        .await;
    assert_eq!(
        again.cloud_id, first.cloud_id,
        "the second create made another rule"
    );
    assert_eq!(again.attrs, desired);
    assert_eq!(
        rules_of(cluster_sg.clone()).await.len(),
        1,
        "one rule, not two"
    );

    // The same for a rule made by hand without tags: adopted, and tagged as ours.
    let nodes_all = id("security_group_rule.node.from_nodes_all");
    world
        .ec2
        .authorize_security_group_ingress()
        .group_id(&node_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("-1")
                .user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .group_id(&node_sg)
                        .description("node to node")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("authorize by hand");
    let desired = rule_attrs(
        &nodes_all,
        &node_sg,
        "ingress",
        "-1",
        None,
        ("source_security_group_id", &node_sg),
        "node to node",
    );
    let adopted = world
        .providers()
        .create(Kind::SecurityGroupRule, &nodes_all, &desired)
        .await;
    let live = rules_of(node_sg.clone()).await;
    assert_eq!(live.len(), 1, "one rule, not two: {live:?}");
    assert_eq!(
        live[0].security_group_rule_id(),
        Some(adopted.cloud_id.as_str())
    );
    assert_eq!(
        tag_map(live[0].tags())
            .get(TAG_RESOURCE)
            .map(String::as_str),
        Some(nodes_all.as_str())
    );
    let found = by_id(
        world
            .providers()
            .refresh_recorded(
                Kind::SecurityGroupRule,
                &[(&nodes_all, &adopted.cloud_id, &desired)],
            )
            .await,
    );
    assert_reads_back(
        &found,
        &nodes_all,
        FoundVia::State,
        &adopted.cloud_id,
        &desired,
    );

    // A duplicate of a different rule is not adopted: a clear error instead.
    let foreign = id("security_group_rule.node.bad");
    let bogus = rule_attrs(
        &foreign,
        &node_sg,
        "ingress",
        "tcp",
        None,
        ("cidr_ipv4", "10.0.0.0/8"),
        "no ports",
    );
    let error = provider(Kind::SecurityGroupRule)
        .create(
            &world.aws,
            CreateRequest {
                id: &foreign,
                attrs: &bogus,
                idempotency_token: "t",
            },
        )
        .await
        .expect_err("tcp without ports must be refused");
    assert!(error.to_string().contains("from_port"), "{error}");
}

/// The default version's data as the EC2 API describes it.
async fn default_version(
    world: &World,
    template_id: &str,
) -> aws_sdk_ec2::types::LaunchTemplateVersion {
    world
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .versions("$Default")
        .send()
        .await
        .expect("describe versions")
        .launch_template_versions()
        .first()
        .cloned()
        .expect("a default version")
}

const USER_DATA: &str = "W3NldHRpbmdzLmhvc3QtY29udGFpbmVycy5hZG1pbl0KZW5hYmxlZCA9IGZhbHNlCg==";
const KMS_KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/0b5e1c2d-1111-2222-3333-444455556666";

fn volume(device: &str, size: i64, kms_key: Option<&str>) -> Value {
    let mut map = BTreeMap::from([
        ("device_name".to_string(), Value::str(device)),
        ("volume_size".to_string(), Value::Int(size)),
        ("volume_type".to_string(), Value::str("gp3")),
        ("encrypted".to_string(), Value::Bool(true)),
        ("delete_on_termination".to_string(), Value::Bool(true)),
    ]);
    if let Some(key) = kms_key {
        map.insert("kms_key_id".to_string(), Value::str(key));
    }
    Value::Map(map)
}

/// Checks the hardening of a version's data, and that it is the whole desired data.
fn assert_hardened(
    version: &aws_sdk_ec2::types::LaunchTemplateVersion,
    node_sg: &str,
    data_volume_size: i32,
) {
    let data = version.launch_template_data().expect("data");
    let metadata = data.metadata_options().expect("metadata options");
    assert_eq!(
        metadata.http_tokens().map(|tokens| tokens.as_str()),
        Some("required"),
        "IMDSv2 only"
    );
    assert_eq!(metadata.http_put_response_hop_limit(), Some(1));
    assert_eq!(
        metadata.http_endpoint().map(|endpoint| endpoint.as_str()),
        Some("enabled")
    );
    assert!(data.key_name().is_none(), "no SSH key");
    assert!(
        data.iam_instance_profile().is_none(),
        "the node group sets the profile"
    );
    assert!(
        data.image_id().is_none(),
        "the node group's AMI type picks the image"
    );
    let volumes: Vec<(Option<&str>, Option<i32>)> = data
        .block_device_mappings()
        .iter()
        .map(|mapping| {
            (
                mapping.device_name(),
                mapping.ebs().and_then(|ebs| ebs.volume_size()),
            )
        })
        .collect();
    assert_eq!(
        volumes,
        vec![
            (Some("/dev/xvda"), Some(4)),
            (Some("/dev/xvdb"), Some(data_volume_size))
        ]
    );
    for mapping in data.block_device_mappings() {
        let ebs = mapping.ebs().expect("an EBS volume");
        assert_eq!(ebs.encrypted(), Some(true), "{mapping:?} unencrypted");
        assert_eq!(ebs.volume_type().map(|kind| kind.as_str()), Some("gp3"));
        assert_eq!(ebs.delete_on_termination(), Some(true));
    }
    assert_eq!(
        data.block_device_mappings()[1]
            .ebs()
            .and_then(|ebs| ebs.kms_key_id()),
        Some(KMS_KEY)
    );
    assert_eq!(data.security_group_ids(), [node_sg.to_string()]);
    assert_eq!(data.user_data(), Some(USER_DATA));
    for resource_type in [ResourceType::Instance, ResourceType::Volume] {
        let spec = data
            .tag_specifications()
            .iter()
            .find(|spec| spec.resource_type() == Some(&resource_type))
            .unwrap_or_else(|| panic!("no tag specification for {resource_type:?}"));
        let tags = tag_map(spec.tags());
        assert_eq!(
            tags.get("Name").map(String::as_str),
            Some("ec2nodes-system")
        );
        assert_eq!(tags.get(TAG_BLUEPRINT).map(String::as_str), Some(BLUEPRINT));
    }
}

#[tokio::test]
async fn launch_template_lifecycle() {
    let world = world().await;
    let node_sg = security_group_directly(&world, "hardened-eks-node").await;
    let lt = id("launch_template.system");
    let instance_tags = BTreeMap::from([
        ("Name".to_string(), Value::str("ec2nodes-system")),
        (TAG_BLUEPRINT.to_string(), Value::str(BLUEPRINT)),
    ]);
    let desired = attrs(vec![
        ("name", Value::str("ec2nodes-system")),
        ("metadata_http_tokens", Value::str("required")),
        ("metadata_http_put_response_hop_limit", Value::Int(1)),
        ("metadata_http_endpoint", Value::str("enabled")),
        (
            "block_device_mappings",
            Value::List(vec![
                volume("/dev/xvda", 4, None),
                volume("/dev/xvdb", 50, Some(KMS_KEY)),
            ]),
        ),
        (
            "security_group_ids",
            Value::List(vec![Value::str(node_sg.clone())]),
        ),
        ("user_data", Value::str(USER_DATA)),
        ("instance_tags", Value::Map(instance_tags)),
        ("tags", tags(&lt, &[])),
    ]);

    // Create: version 1, the default.
    let created = world
        .providers()
        .create(Kind::LaunchTemplate, &lt, &desired)
        .await;
    let template_id = created.cloud_id.clone();
    assert!(template_id.starts_with("lt-"), "{template_id}");
    assert_eq!(
        created.outputs.get("id"),
        Some(&Value::str(template_id.clone()))
    );
    assert_eq!(
        created.outputs.get("name"),
        Some(&Value::str("ec2nodes-system"))
    );
    assert_eq!(created.outputs.get("latest_version"), Some(&Value::Int(1)));
    assert_eq!(created.outputs.get("default_version"), Some(&Value::Int(1)));
    let version = default_version(&world, &template_id).await;
    assert_eq!(version.version_number(), Some(1));
    assert_hardened(&version, &node_sg, 50);
    let templates = world
        .ec2
        .describe_launch_templates()
        .launch_template_ids(&template_id)
        .send()
        .await
        .expect("describe");
    let live_tags = tag_map(templates.launch_templates()[0].tags());
    assert_eq!(
        live_tags.get(TAG_RESOURCE).map(String::as_str),
        Some("launch_template.system")
    );

    // Read back as desired, by the recorded template and (state lost) by tag.
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::LaunchTemplate, &[(&lt, &template_id, &desired)])
            .await,
    );
    assert_reads_back(&found, &lt, FoundVia::State, &template_id, &desired);
    assert_eq!(found[&lt].observed.outputs, created.outputs);
    let found = by_id(
        world
            .providers()
            .refresh_missing(Kind::LaunchTemplate, &[(&lt, &desired)])
            .await,
    );
    assert_reads_back(&found, &lt, FoundVia::Tag, &template_id, &desired);

    // A create that finds its own template (a crash before state was written) adopts it.
    let again = world
        .providers()
        .create(Kind::LaunchTemplate, &lt, &desired)
        .await;
    assert_eq!(again.cloud_id, template_id);
    assert_eq!(
        again.outputs.get("default_version"),
        Some(&Value::Int(1)),
        "nothing to change, no new version"
    );

    // A bigger data volume: a new version with the full data, made the default.
    let mut after = desired.clone();
    after.insert(
        "block_device_mappings".into(),
        Value::List(vec![
            volume("/dev/xvda", 4, None),
            volume("/dev/xvdb", 80, Some(KMS_KEY)),
        ]),
    );
    let updated = world
        .providers()
        .update(Kind::LaunchTemplate, &lt, &template_id, &desired, &after)
        .await;
    assert_eq!(updated.cloud_id, template_id);
    assert_eq!(updated.outputs.get("latest_version"), Some(&Value::Int(2)));
    assert_eq!(updated.outputs.get("default_version"), Some(&Value::Int(2)));
    let version = default_version(&world, &template_id).await;
    assert_eq!(version.version_number(), Some(2));
    assert_hardened(&version, &node_sg, 80);
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::LaunchTemplate, &[(&lt, &template_id, &after)])
            .await,
    );
    assert_reads_back(&found, &lt, FoundVia::State, &template_id, &after);
    assert_eq!(
        found[&lt].observed.outputs.get("default_version"),
        Some(&Value::Int(2))
    );

    // The template's own tags change without a new version.
    let mut retagged = after.clone();
    retagged.insert("tags".into(), tags(&lt, &[("team", "platform")]));
    let updated = world
        .providers()
        .update(Kind::LaunchTemplate, &lt, &template_id, &after, &retagged)
        .await;
    assert_eq!(updated.outputs.get("latest_version"), Some(&Value::Int(2)));
    // (DescribeTags: moto's DescribeLaunchTemplates shows only the tags given at create.)
    let live = world
        .ec2
        .describe_tags()
        .filters(
            Filter::builder()
                .name("resource-id")
                .values(&template_id)
                .build(),
        )
        .send()
        .await
        .expect("describe tags");
    assert!(
        live.tags()
            .iter()
            .any(|tag| tag.key() == Some("team") && tag.value() == Some("platform")),
        "{live:?}"
    );
    let templates = world
        .ec2
        .describe_launch_templates()
        .launch_template_ids(&template_id)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        templates.launch_templates()[0].latest_version_number(),
        Some(2)
    );
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::LaunchTemplate, &[(&lt, &template_id, &retagged)])
            .await,
    );
    assert_reads_back(&found, &lt, FoundVia::State, &template_id, &retagged);

    // Delete, then delete what is gone.
    world
        .providers()
        .delete(Kind::LaunchTemplate, &lt, &template_id, &retagged)
        .await;
    let left = world
        .ec2
        .describe_launch_templates()
        .filters(
            Filter::builder()
                .name("launch-template-name")
                .values("ec2nodes-system")
                .build(),
        )
        .send()
        .await
        .expect("describe");
    assert!(
        left.launch_templates().is_empty(),
        "the template is still there"
    );
    world
        .providers()
        .delete(Kind::LaunchTemplate, &lt, &template_id, &retagged)
        .await;
    let found = by_id(
        world
            .providers()
            .refresh_recorded(Kind::LaunchTemplate, &[(&lt, &template_id, &retagged)])
            .await,
    );
    assert!(
        found.is_empty(),
        "a deleted template was refreshed: {found:?}"
    );
}

#[tokio::test]
async fn launch_template_of_someone_else_is_not_adopted() {
    let world = world().await;
    world
        .ec2
        .create_launch_template()
        .launch_template_name("ec2nodes-system")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .instance_type("t3.micro".into())
                .build(),
        )
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::LaunchTemplate)
                .tags(Tag::builder().key("owner").value("someone else").build())
                .build(),
        )
        .send()
        .await
        .expect("a template by hand");
    let lt = id("launch_template.system");
    let desired = attrs(vec![
        ("name", Value::str("ec2nodes-system")),
        ("metadata_http_tokens", Value::str("required")),
        ("tags", tags(&lt, &[])),
    ]);
    let error = provider(Kind::LaunchTemplate)
        .create(
            &world.aws,
            CreateRequest {
                id: &lt,
                attrs: &desired,
                idempotency_token: "t",
            },
        )
        .await
        .expect_err("a name taken by another template");
    assert_eq!(
        error.code.as_deref(),
        Some("InvalidLaunchTemplateName.AlreadyExistsException"),
        "{error}"
    );
    let found = by_id(
        world
            .providers()
            .refresh_missing(Kind::LaunchTemplate, &[(&lt, &desired)])
            .await,
    );
    assert!(
        found.is_empty(),
        "another's template was adopted: {found:?}"
    );
}
