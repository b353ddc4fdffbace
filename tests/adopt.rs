//! `eksforge adopt`: a cluster is read with read-only calls only, and the blueprint and state it
//! writes make an empty first plan; what state records is what the AWS API describes. A
//! cluster made straight through the AWS API (tests/support/foreign_cluster.rs), with an SSH rule
//! and an Amazon Linux node group added by hand, is adopted with its foreign names kept and
//! those two reported and left alone, then hardened: the plan is exactly the hardening with its
//! posture delta and a Bottlerocket group beside the Amazon Linux one; once applied, the live
//! audit finds only the two left alone at or above high, and nothing once the team retires them. A cluster
//! eksforge made whose state was lost comes back whole. Adopt never overwrites a blueprint
//! nor writes into a state that records resources.

mod support;

use std::collections::BTreeMap;

use support::cloud::Cloud;
use support::foreign_cluster::{self, CLUSTER};
use support::World;

/// id → cloud id, as `eksforge state show` prints each recorded resource.
fn recorded(world: &World, blueprint: &str) -> BTreeMap<String, String> {
    let list = world.eksforge(&["state", "list", blueprint]);
    assert_eq!(list.code, 0, "{}", list.all());
    list.stdout
        .lines()
        .map(|id| {
            let show = world.eksforge(&["state", "show", id, blueprint]);
            let record: serde_json::Value = serde_json::from_str(&show.stdout).expect("JSON");
            let cloud_id = record["cloud_id"].as_str().expect("a cloud id").to_string();
            (id.to_string(), cloud_id)
        })
        .collect()
}

/// `after` records every resource of `made` under its id and cloud id; besides them, only the
/// access entry EKS made for the cluster's creator (bootstrapped as admin), adopted as an admin
/// entry like any other.
fn assert_recorded_as(after: &BTreeMap<String, String>, made: &BTreeMap<String, String>) {
    for (id, cloud_id) in made {
        assert_eq!(after.get(id), Some(cloud_id), "{id}");
    }
    let extra: Vec<&String> = after.keys().filter(|id| !made.contains_key(*id)).collect();
    assert!(
        extra
            .iter()
            .all(|id| id.starts_with("eks_access_entry.admin.")),
        "{extra:?}"
    );
}

/// What a team adds by hand that no blueprint key says: SSH from the VPC on the nodes' group,
/// and an Amazon Linux node group; and the cluster role's description cleared, as eksctl makes
/// roles. Returns the rule's id and the group's name.
async fn add_what_no_blueprint_says(
    world: &World,
    foreign: &foreign_cluster::ForeignCluster,
) -> (String, String) {
    let ec2 = world.ec2();
    let rule = ec2
        .authorize_security_group_ingress()
        .group_id(&foreign.node_security_group_id)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("10.60.0.0/16")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("AuthorizeSecurityGroupIngress");
    let rule_id = rule
        .security_group_rules()
        .first()
        .and_then(|rule| rule.security_group_rule_id())
        .expect("a rule id")
        .to_string();
    // eksctl and CloudFormation make roles without a description.
    aws_sdk_iam::Client::new(world.sdk())
        .update_role()
        .role_name(&foreign.cluster_role_name)
        .description("")
        .send()
        .await
        .expect("UpdateRole");
    let eks = aws_sdk_eks::Client::new(world.sdk());
    let node_role = format!("arn:aws:iam::123456789012:role/{}", foreign.node_role_name);
    let group = "al2023";
    eks.create_nodegroup()
        .cluster_name(CLUSTER)
        .nodegroup_name(group)
        .node_role(node_role)
        .set_subnets(Some(foreign.private_subnets.values().cloned().collect()))
        .ami_type(aws_sdk_eks::types::AmiTypes::Al2023X8664Standard)
        .scaling_config(
            aws_sdk_eks::types::NodegroupScalingConfig::builder()
                .min_size(1)
                .max_size(1)
                .desired_size(1)
                .build(),
        )
        .send()
        .await
        .expect("CreateNodegroup");
    for _ in 0..600 {
        let described = eks
            .describe_nodegroup()
            .cluster_name(CLUSTER)
            .nodegroup_name(group)
            .send()
            .await
            .expect("DescribeNodegroup");
        let status = described.nodegroup().and_then(|group| group.status());
        if status == Some(&aws_sdk_eks::types::NodegroupStatus::Active) {
            return (rule_id, group.to_string());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("node group {group} never became ACTIVE");
}

/// Each planned change of `plan --json` that is not a no-op: id → action.
fn planned(world: &World, args: &[&str]) -> BTreeMap<String, String> {
    let run = world.eksforge(args);
    assert_eq!(run.code, 0, "{}", run.all());
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan JSON");
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|change| change["action"] != "no-op")
        .map(|change| {
            (
                change["id"].as_str().expect("id").to_string(),
                change["action"].as_str().expect("action").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_cluster_made_through_the_api_is_adopted_as_it_is_then_hardened() {
    let world = World::new();
    let foreign = world.block_on(foreign_cluster::make(world.sdk()));
    let (extra_rule, extra_group) = world.block_on(add_what_no_blueprint_says(&world, &foreign));

    world.proxy.reset();
    let run = world.eksforge(&["adopt", "--cluster", CLUSTER, "--out", "adopted"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "adopt changes nothing in AWS"
    );
    // Every resource the cluster was made of is recorded under its id, as AWS knows it.
    let after = recorded(&world, "adopted/legacy.toml");
    let made: BTreeMap<String, String> = foreign.ids.clone().into_iter().collect();
    assert_recorded_as(&after, &made);
    // The names AWS cannot change are kept, not replaced.
    let blueprint = std::fs::read_to_string(world.path("adopted/legacy.toml")).expect("blueprint");
    let kept = toml::from_str::<toml::Table>(&blueprint).expect("TOML");
    assert_eq!(
        kept["adopted"]["iam_role.cluster"]["name"].as_str(),
        Some(foreign.cluster_role_name.as_str())
    );
    assert_eq!(
        kept["adopted"]["iam_role.cluster"]["description"].as_str(),
        Some("")
    );
    let node_group = &foreign.foreign_names["security_group.node"];
    assert_eq!(
        kept["adopted"]["security_group.node"]["description"].as_str(),
        node_group.description.as_deref()
    );
    assert!(!blueprint.contains("eksforge:"), "{blueprint}");
    let run = world.eksforge(&["plan", "adopted/legacy.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "the first plan is empty:\n{}", run.all());
    // What no blueprint key says is in the report, neither in the blueprint nor in state.
    let report =
        std::fs::read_to_string(world.path("adopted/legacy.adopt.md")).expect("the report");
    for left_alone in [
        format!("security group rule {extra_rule}"),
        format!("node group {extra_group} (AL2023_x86_64_STANDARD)"),
    ] {
        assert!(report.contains(&left_alone), "{left_alone}:\n{report}");
    }
    assert!(!after
        .values()
        .any(|cloud_id| cloud_id == &extra_rule || cloud_id.contains(&extra_group)));

    // --harden: the same cluster, the hardened defaults; a state of its own.
    world.proxy.reset();
    let hardened = ["--state", "state/hardened.json"];
    let run = world.eksforge(
        &[
            &[
                "adopt",
                "--cluster",
                CLUSTER,
                "--out",
                "hardened",
                "--harden",
            ][..],
            &hardened,
        ]
        .concat(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(world.proxy.mutating_calls(), vec![]);
    let changes = planned(
        &world,
        &[&["plan", "hardened/legacy.toml", "--json"][..], &hardened].concat(),
    );
    let expected: BTreeMap<String, String> = [
        // Private endpoint only, all five log types, deletion protection.
        ("eks_cluster.main", "update"),
        // Kept 90 days.
        ("log_group.cluster", "update"),
        // NetworkPolicy enforced.
        ("eks_addon.vpc-cni", "update"),
        ("eks_addon.eks-pod-identity-agent", "create"),
        // Flow logs of all traffic, delivered through a role of their own.
        ("flow_log.vpc", "create"),
        ("log_group.flow_logs", "create"),
        ("iam_role.flow_logs", "create"),
        ("iam_role_policy.flow_logs.deliver", "create"),
        // Session Manager sessions logged.
        ("log_group.sessions", "create"),
        ("ssm_document.session_preferences", "create"),
        ("guardduty_detector.region", "create"),
        // A Bottlerocket group beside the Amazon Linux one, of its instance types and sizes.
        ("eks_node_group.al2023-bottlerocket", "create"),
        ("launch_template.al2023-bottlerocket", "create"),
    ]
    .into_iter()
    .map(|(id, action)| (id.to_string(), action.to_string()))
    .collect();
    assert_eq!(changes, expected, "the plan is exactly the hardening");
    let run = world.eksforge(&[&["plan", "hardened/legacy.toml"][..], &hardened].concat());
    for delta in ["EKS-NET-002", "EKS-LOG-001", "EKS-ACC-006", "EKS-NET-008"] {
        assert!(
            run.stdout
                .lines()
                .any(|line| line.contains("no longer") && line.contains(delta)),
            "posture delta {delta}:\n{}",
            run.stdout
        );
    }

    let run = world.eksforge(
        &[
            &["apply", "hardened/legacy.toml", "--auto-approve"][..],
            &hardened,
        ]
        .concat(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    // Through the API: the endpoint is private and every log type is on.
    let cluster = world
        .block_on(Cloud::new(world.sdk()).cluster(CLUSTER))
        .expect("the cluster");
    let vpc = cluster.resources_vpc_config().expect("VPC config");
    assert!(!vpc.endpoint_public_access());
    assert!(vpc.endpoint_private_access());
    let enabled: usize = cluster
        .logging()
        .map(|logging| {
            logging
                .cluster_logging()
                .iter()
                .filter(|setup| setup.enabled() == Some(true))
                .map(|setup| setup.types().len())
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(enabled, 5);
    let successor_name = world
        .block_on(Cloud::new(world.sdk()).node_group_names(CLUSTER))
        .into_iter()
        .find(|name| name.starts_with("al2023-bottlerocket"))
        .expect("the successor group");
    let bottlerocket = world.block_on(async {
        aws_sdk_eks::Client::new(world.sdk())
            .describe_nodegroup()
            .cluster_name(CLUSTER)
            .nodegroup_name(&successor_name)
            .send()
            .await
            .expect("DescribeNodegroup")
    });
    let successor = bottlerocket.nodegroup().expect("a node group");
    assert_eq!(
        successor.ami_type(),
        Some(&aws_sdk_eks::types::AmiTypes::BottlerocketX8664)
    );
    assert_eq!(
        successor
            .scaling_config()
            .and_then(|scaling| scaling.desired_size()),
        Some(1)
    );
    // What adopt left alone is still there, untouched.
    let ec2 = world.ec2();
    let rules = world.block_on(async {
        ec2.describe_security_group_rules()
            .security_group_rule_ids(&extra_rule)
            .send()
            .await
            .expect("DescribeSecurityGroupRules")
    });
    assert_eq!(rules.security_group_rules().len(), 1, "{extra_rule} kept");
    assert!(world
        .block_on(Cloud::new(world.sdk()).node_group_names(CLUSTER))
        .contains(&extra_group));
    // The live audit judges what exists, so what adopt left alone is still found: the SSH rule
    // and the Amazon Linux group, and nothing else at or above high.
    let audit = || world.eksforge(&["audit", "--cluster", CLUSTER, "--region", "eu-west-1"]);
    let run = audit();
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("0 critical, 2 high"), "{}", run.stdout);
    for (check, resource) in [
        ("EKS-ACC-005", foreign.node_security_group_id.as_str()),
        ("EKS-NODE-001", extra_group.as_str()),
    ] {
        assert!(
            run.stdout.lines().any(|line| line.contains(check)),
            "{check}:\n{}",
            run.stdout
        );
        assert!(run.stdout.contains(resource), "{resource}:\n{}", run.stdout);
    }
    // Once the team retires them (the report's advice), nothing at or above high is left.
    world.block_on(retire(
        &world,
        &foreign.node_security_group_id,
        &extra_rule,
        &extra_group,
    ));
    let run = audit();
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("0 critical, 0 high"), "{}", run.stdout);
}

/// Revokes the SSH rule and deletes the Amazon Linux group, waiting until it is gone.
async fn retire(world: &World, group_id: &str, rule: &str, node_group: &str) {
    world
        .ec2()
        .revoke_security_group_ingress()
        .group_id(group_id)
        .security_group_rule_ids(rule)
        .send()
        .await
        .expect("RevokeSecurityGroupIngress");
    let eks = aws_sdk_eks::Client::new(world.sdk());
    eks.delete_nodegroup()
        .cluster_name(CLUSTER)
        .nodegroup_name(node_group)
        .send()
        .await
        .expect("DeleteNodegroup");
    for _ in 0..600 {
        let left = Cloud::new(world.sdk()).node_group_names(CLUSTER).await;
        if !left.iter().any(|name| name == node_group) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("node group {node_group} was never deleted");
}

#[test]
fn a_cluster_eksforge_made_whose_state_was_lost_is_adopted_with_an_empty_first_plan() {
    let world = World::new();
    // The reference blueprint, with a Pod Identity role besides the IRSA ones.
    let reference = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints/hardened.toml"),
    )
    .expect("the reference blueprint");
    world.write(
        "hardened.toml",
        &format!("{reference}\n[[pod_identity]]\nnamespace = \"apps\"\nservice_account = \"writer\"\nmanaged_policies = [\"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"]\n"),
    );
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let before = recorded(&world, "hardened.toml");
    std::fs::remove_file(world.path("state/hardened.json")).expect("state removed");

    world.proxy.reset();
    let run = world.eksforge(&["adopt", "--cluster", "hardened", "--out", "adopted"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "adopt changes nothing in AWS"
    );
    assert!(
        run.stdout
            .contains("Adopted cluster hardened (eu-west-1): ")
            && run.stdout.contains("nothing in AWS was changed"),
        "{}",
        run.stdout
    );
    assert!(world.path("adopted/hardened.toml").exists());
    assert!(world.path("adopted/hardened.adopt.md").exists());

    // The same resources under the same ids as the lost state.
    let after = recorded(&world, "adopted/hardened.toml");
    for (id, cloud_id) in &before {
        assert_eq!(after.get(id), Some(cloud_id), "{id}");
    }
    let extra: Vec<&String> = after
        .keys()
        .filter(|id| !before.contains_key(*id))
        .collect();
    assert!(
        extra
            .iter()
            .all(|id| id.starts_with("eks_access_entry.admin.")),
        "{extra:?}"
    );
    // And they are what the API describes: the cluster's VPC, subnets and node group.
    let cloud = Cloud::new(world.sdk());
    let cluster = world
        .block_on(cloud.cluster("hardened"))
        .expect("the cluster");
    let subnets = cluster
        .resources_vpc_config()
        .map(|config| config.subnet_ids().to_vec())
        .unwrap_or_default();
    for subnet in &subnets {
        assert!(
            after
                .iter()
                .any(|(id, cloud_id)| id.starts_with("subnet.private.") && cloud_id == subnet),
            "the cluster's subnet {subnet} is recorded as a private subnet"
        );
    }
    let described = world.block_on(
        cloud.subnets(support::cloud::Select::everything().filter("subnet-id", &subnets)),
    );
    let vpc = described[0].vpc_id().expect("a VPC");
    assert_eq!(after["vpc.main"], vpc);
    let groups = world.block_on(cloud.node_group_names("hardened"));
    assert_eq!(groups, vec![after["eks_node_group.system"].clone()]);
    let associations = world.block_on(cloud.pod_identity_associations("hardened"));
    let writer = associations
        .iter()
        .find(|association| association.service_account() == Some("writer"))
        .expect("the writer's association");
    assert_eq!(
        Some(after["eks_pod_identity_association.apps.writer"].as_str()),
        writer.association_id()
    );

    let run = world.eksforge(&["plan", "adopted/hardened.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "the first plan is empty:\n{}", run.all());
}

#[test]
fn adopt_never_overwrites_a_blueprint_nor_writes_into_a_state_in_use() {
    let world = World::new();
    world.write(
        "small.toml",
        &support::small_cluster("small", "10.70.0.0/16", support::NODE_GROUP),
    );
    let run = world.eksforge(&["apply", "small.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let state_before = std::fs::read_to_string(world.path("state/small.json")).expect("state");

    // The state at state/small.json records the cluster already.
    let run = world.eksforge(&["adopt", "--cluster", "small", "--out", "adopted"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        support::says(&run.stderr, "already records"),
        "{}",
        run.stderr
    );
    assert!(
        !world.path("adopted/small.toml").exists(),
        "nothing written"
    );
    assert_eq!(
        std::fs::read_to_string(world.path("state/small.json")).expect("state"),
        state_before
    );

    // A blueprint already there is never replaced.
    std::fs::create_dir_all(world.path("kept")).expect("mkdir");
    world.write("kept/small.toml", "# mine\n");
    let run = world.eksforge(&[
        "adopt",
        "--cluster",
        "small",
        "--out",
        "kept",
        "--state",
        "other.json",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        support::says(&run.stderr, "already exists"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(world.path("kept/small.toml")).expect("kept"),
        "# mine\n"
    );

    // A cluster that does not exist is named.
    let run = world.eksforge(&["adopt", "--cluster", "missing", "--out", "x"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        support::says(&run.stderr, "no cluster missing"),
        "{}",
        run.stderr
    );
    assert!(!world.path("x").exists());
}
