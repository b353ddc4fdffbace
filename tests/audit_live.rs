//! The live posture reader against moto: the hardened cluster eksforge makes reads back with
//! its secure values, and a missing cluster is a clear error.
//!
//! moto limits (each read as `Fact::Unknown`, never as a pass): no `accessConfig` in
//! DescribeCluster, no access-entry or add-on APIs.

mod support;

use eksforge::audit::live;
use eksforge::audit::view::{Date, Fact};
use eksforge::aws::{Aws, WaitConfig};
use support::World;

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 23,
};

#[test]
fn the_hardened_cluster_reads_back_secure() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let aws = Aws::from_sdk_config(world.sdk(), WaitConfig::default());

    let posture = world
        .block_on(live::posture(&aws, "hardened", TODAY))
        .expect("the cluster is readable");
    let cluster = posture.cluster.as_ref().expect("a cluster view");
    assert_eq!(cluster.name, "hardened");
    assert!(cluster.endpoint_private, "{cluster:?}");
    assert!(
        !cluster.endpoint_public || !cluster.public_access_cidrs.iter().any(|c| c == "0.0.0.0/0"),
        "{cluster:?}"
    );
    assert!(!cluster.log_types.is_empty(), "control-plane logs enabled");
    assert!(cluster.secrets_key.is_some(), "secrets envelope-encrypted");

    // Nothing at or above high fails on what eksforge made (what the emulator cannot show is
    // not evaluated, never a pass and never a finding). Node groups read back without remote
    // access: the emulator, unlike bare moto, invents no key pair eksforge never sent.
    let blocking: Vec<String> = eksforge::audit::evaluate(&posture)
        .into_iter()
        .filter(|(meta, evaluation)| {
            evaluation.is_fail() && meta.severity >= eksforge::audit::Severity::High
        })
        .map(|(meta, evaluation)| format!("{} {:?}", meta.id, evaluation))
        .collect();
    assert!(blocking.is_empty(), "{blocking:#?}");

    let key = posture
        .secrets_key
        .as_ref()
        .expect("the secrets key is read");
    assert_eq!(key.rotation, Fact::Known(true));
    assert_eq!(key.customer_managed, Fact::Known(true));

    assert!(!posture.node_groups.is_empty());
    for group in &posture.node_groups {
        assert!(
            group
                .ami_type
                .known_str()
                .is_some_and(|ami| ami.starts_with("BOTTLEROCKET")),
            "{group:?}"
        );
        let launch = group.launch.known().expect("the launch template is read");
        assert_eq!(
            launch.http_tokens.as_deref(),
            Some("required"),
            "{launch:?}"
        );
        assert_eq!(launch.hop_limit, Some(1), "{launch:?}");
        assert!(!launch.public_ip);
    }
    let network = posture.network.as_ref().expect("the VPC is read");
    for subnet in posture
        .node_groups
        .iter()
        .flat_map(|group| group.subnets.iter())
    {
        let subnet = posture.subnet(subnet).expect("node subnets are described");
        assert_eq!(subnet.internet_route, None, "{subnet:?}");
        assert!(!subnet.map_public_ip_on_launch, "{subnet:?}");
    }
    assert!(!network.subnets.is_empty());
    assert!(posture
        .roles
        .iter()
        .any(|role| role.uses == eksforge::audit::view::RoleUse::Cluster));

    // Add-ons are read through ListAddons and DescribeAddon: the four the reference blueprint
    // installs, the CNI bound to its role and enforcing NetworkPolicy.
    let addons = posture.addons.known().expect("ListAddons answers");
    let names: Vec<&str> = addons.managed.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"],
        "{addons:?}"
    );
    let cni = &addons.managed[3];
    assert_eq!(cni.network_policy, Some(true));
    assert!(cni
        .service_account_role
        .as_deref()
        .is_some_and(|role| role.ends_with("role/hardened-irsa-kube-system-aws-node")));

    // GuardDuty is read for the region: the detector `[detection]` made, its EKS features on.
    let detection = posture
        .detection
        .as_ref()
        .and_then(Fact::known)
        .expect("ListDetectors and GetDetector answer");
    assert!(
        detection.guardduty && detection.eks_audit_logs && detection.runtime_monitoring,
        "{detection:?}"
    );
    for id in ["EKS-DET-001", "EKS-DET-002", "EKS-DET-003"] {
        assert_eq!(outcomes(&posture, id), ["pass"], "{id}");
    }

    // ECR is read for the region too: a repository made outside eksforge, with ECR's
    // defaults, is judged as it is.
    world.block_on(async {
        aws_sdk_ecr::Client::new(world.sdk())
            .create_repository()
            .repository_name("made-by-hand")
            .send()
            .await
            .expect("CreateRepository");
    });
    let posture = world
        .block_on(live::posture(&aws, "hardened", TODAY))
        .expect("the cluster is readable");
    let registry = posture
        .registry
        .as_ref()
        .and_then(Fact::known)
        .expect("DescribeRepositories answers");
    let names: Vec<&str> = registry
        .repositories
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["made-by-hand"]);
    for id in ["EKS-IMG-001", "EKS-IMG-002", "EKS-IMG-004", "EKS-IMG-007"] {
        assert_eq!(outcomes(&posture, id), ["fail"], "{id}");
    }
    assert_eq!(
        outcomes(&posture, "EKS-IMG-003"),
        ["pass"],
        "no repository policy"
    );
}

/// Each evaluation of check `id`: "pass", "fail" or "not evaluated".
fn outcomes(posture: &eksforge::audit::view::Posture, id: &str) -> Vec<&'static str> {
    eksforge::audit::evaluate(posture)
        .into_iter()
        .filter(|(meta, _)| meta.id == id)
        .map(|(_, evaluation)| match evaluation.outcome {
            eksforge::audit::Outcome::Pass => "pass",
            eksforge::audit::Outcome::Fail(_) => "fail",
            eksforge::audit::Outcome::NotEvaluated(_) => "not evaluated",
        })
        .collect()
}

#[test]
fn a_missing_cluster_is_a_clear_error() {
    let world = World::new();
    let aws = Aws::from_sdk_config(world.sdk(), WaitConfig::default());
    let error = world
        .block_on(live::posture(&aws, "nope", TODAY))
        .expect_err("no such cluster");
    assert!(error.to_string().contains("no cluster nope in"), "{error}");
    assert!(error.to_string().contains("eks:DescribeCluster"), "{error}");
}

/// A deliberately weak cluster made straight through the SDK (no eksforge): its weaknesses
/// read back as they are.
#[test]
fn a_weak_cluster_reads_back_weak() {
    use aws_sdk_ec2::types::{AttributeBooleanValue, IpPermission, IpRange};
    let world = World::new();
    let sdk = world.sdk();
    let (ec2, eks, iam) = (
        aws_sdk_ec2::Client::new(sdk),
        aws_sdk_eks::Client::new(sdk),
        aws_sdk_iam::Client::new(sdk),
    );
    world.block_on(async {
        let vpc = ec2.create_vpc().cidr_block("10.9.0.0/16").send().await.unwrap();
        let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block("10.9.1.0/24")
            .send()
            .await
            .unwrap();
        let subnet_id = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
        ec2.modify_subnet_attribute()
            .subnet_id(&subnet_id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
            .send()
            .await
            .unwrap();
        let igw = ec2.create_internet_gateway().send().await.unwrap();
        let igw_id = igw.internet_gateway().unwrap().internet_gateway_id().unwrap().to_string();
        ec2.attach_internet_gateway()
            .internet_gateway_id(&igw_id)
            .vpc_id(&vpc_id)
            .send()
            .await
            .unwrap();
        let table = ec2.create_route_table().vpc_id(&vpc_id).send().await.unwrap();
        let table_id = table.route_table().unwrap().route_table_id().unwrap().to_string();
        ec2.create_route()
            .route_table_id(&table_id)
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(&igw_id)
            .send()
            .await
            .unwrap();
        ec2.associate_route_table()
            .route_table_id(&table_id)
            .subnet_id(&subnet_id)
            .send()
            .await
            .unwrap();
        let group = ec2
            .create_security_group()
            .group_name("weak")
            .description("weak")
            .vpc_id(&vpc_id)
            .send()
            .await
            .unwrap();
        let group_id = group.group_id().unwrap().to_string();
        ec2.authorize_security_group_ingress()
            .group_id(&group_id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(22)
                    .to_port(22)
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let role = iam
            .create_role()
            .role_name("weak-cluster")
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send()
            .await
            .unwrap();
        let role_arn = role.role().unwrap().arn().to_string();
        iam.attach_role_policy()
            .role_name("weak-cluster")
            .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
            .send()
            .await
            .unwrap();
        eks.create_cluster()
            .name("weak")
            .role_arn(&role_arn)
            .resources_vpc_config(
                aws_sdk_eks::types::VpcConfigRequest::builder()
                    .subnet_ids(&subnet_id)
                    .security_group_ids(&group_id)
                    .endpoint_public_access(true)
                    .endpoint_private_access(false)
                    .public_access_cidrs("0.0.0.0/0")
                    .build(),
            )
            .send()
            .await
            .unwrap();

        let aws = Aws::from_sdk_config(sdk, WaitConfig::default());
        let posture = live::posture(&aws, "weak", TODAY).await.expect("readable");
        let cluster = posture.cluster.as_ref().unwrap();
        assert!(cluster.endpoint_public && !cluster.endpoint_private, "{cluster:?}");
        assert_eq!(cluster.public_access_cidrs, ["0.0.0.0/0"]);
        assert!(cluster.log_types.is_empty());
        assert_eq!(cluster.secrets_key, None);
        assert!(posture.secrets_key.is_none());
        let subnet = posture.subnet(&subnet_id).expect("the cluster subnet is read");
        assert_eq!(subnet.internet_route.as_deref(), Some(igw_id.as_str()));
        assert!(subnet.map_public_ip_on_launch);
        let weak_group = posture
            .security_groups
            .iter()
            .find(|g| g.subject.resource == group_id)
            .expect("the cluster SG is read");
        assert!(weak_group
            .ingress
            .iter()
            .any(|rule| rule.covers_tcp_port(22) && rule.from_anywhere()));
        let role = posture.role(&role_arn).expect("the cluster role is read");
        assert_eq!(
            role.managed_policies,
            Fact::Known(vec!["arn:aws:iam::aws:policy/AdministratorAccess".to_string()])
        );

        // What the checks make of it: every weakness built above is a finding.
        let failed: std::collections::BTreeSet<&str> = eksforge::audit::evaluate(&posture)
            .into_iter()
            .filter(|(_, evaluation)| evaluation.is_fail())
            .map(|(meta, _)| meta.id)
            .collect();
        for expected in [
            "EKS-NET-001", "EKS-NET-002", "EKS-NET-003", "EKS-NET-005", "EKS-NET-006",
            "EKS-ENC-001", "EKS-LOG-001", "EKS-IAM-004", "EKS-IAM-006",
        ] {
            assert!(failed.contains(expected), "{expected} not found: {failed:?}");
        }
    });
}
