//! Destroy that finishes: what the cluster's controllers made in the VPC (an ALB of the AWS
//! Load Balancer Controller with its listener and target group, its security group with a
//! rule naming the node group and one on the node group naming it, a VPC CNI interface left
//! `available`) is found by its tags, listed in the destroy plan, and deleted before the
//! network, so nothing is left: no VPC, no load balancer, no target group, no interface.
//!
//! moto accepts a VPC deletion while security groups or interfaces remain, so the test
//! checks every kind for leftovers itself rather than relying on `DeleteVpc` refusing.

mod support;

use aws_sdk_ec2::types::{IpPermission, ResourceType, Tag, TagSpecification, UserIdGroupPair};
use aws_sdk_elasticloadbalancingv2 as elbv2;
use support::cloud::{Cloud, Select};
use support::World;

const CLUSTER: &str = "hardened";

fn tagged(kind: ResourceType, key: &str, value: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .tags(Tag::builder().key(key).value(value).build())
        .build()
}

#[test]
fn destroy_removes_what_kubernetes_made_and_leaves_nothing() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());

    let cloud = Cloud::new(world.sdk());
    let ec2 = &cloud.ec2;
    let elb = elbv2::Client::new(world.sdk());
    world.block_on(async {
        let vpc_id = cloud.vpcs(Select::resource("vpc.main")).await[0]
            .vpc_id()
            .unwrap()
            .to_string();
        let in_vpc = || Select::in_vpcs([&vpc_id]);
        let public: Vec<String> = cloud
            .subnet_ids(in_vpc().tag("kubernetes.io/role/elb", "1"))
            .await
            .into_iter()
            .collect();
        assert!(public.len() >= 2, "public subnets: {public:?}");
        let private = cloud
            .subnets(in_vpc().tag("kubernetes.io/role/internal-elb", "1"))
            .await[0]
            .subnet_id()
            .unwrap()
            .to_string();
        let node_sg = cloud
            .security_groups(Select::resource("security_group.node"))
            .await[0]
            .group_id()
            .unwrap()
            .to_string();

        // The controller's security group: HTTPS from the nodes, and the nodes accept it.
        let lb_sg = ec2
            .create_security_group()
            .group_name("k8s-default-web-1a2b3c")
            .description("[k8s] Managed SecurityGroup for LoadBalancer")
            .vpc_id(&vpc_id)
            .tag_specifications(tagged(
                ResourceType::SecurityGroup,
                &format!("kubernetes.io/cluster/{CLUSTER}"),
                "owned",
            ))
            .send()
            .await
            .unwrap()
            .group_id()
            .unwrap()
            .to_string();
        let from = |group: &str| {
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(group).build())
                .build()
        };
        ec2.authorize_security_group_ingress()
            .group_id(&lb_sg)
            .ip_permissions(from(&node_sg))
            .send()
            .await
            .unwrap();
        ec2.authorize_security_group_ingress()
            .group_id(&node_sg)
            .ip_permissions(from(&lb_sg))
            .send()
            .await
            .unwrap();

        let lb = elb
            .create_load_balancer()
            .name("k8s-default-web-1a2b3c")
            .set_subnets(Some(public.clone()))
            .security_groups(&lb_sg)
            .tags(
                elbv2::types::Tag::builder()
                    .key("elbv2.k8s.aws/cluster")
                    .value(CLUSTER)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let lb_arn = lb.load_balancers()[0]
            .load_balancer_arn()
            .unwrap()
            .to_string();
        let tg = elb
            .create_target_group()
            .name("k8s-default-web-tg")
            .protocol(elbv2::types::ProtocolEnum::Http)
            .port(80)
            .vpc_id(&vpc_id)
            .tags(
                elbv2::types::Tag::builder()
                    .key("elbv2.k8s.aws/cluster")
                    .value(CLUSTER)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let tg_arn = tg.target_groups()[0]
            .target_group_arn()
            .unwrap()
            .to_string();
        elb.create_listener()
            .load_balancer_arn(&lb_arn)
            .protocol(elbv2::types::ProtocolEnum::Http)
            .port(80)
            .default_actions(
                elbv2::types::Action::builder()
                    .r#type(elbv2::types::ActionTypeEnum::Forward)
                    .target_group_arn(&tg_arn)
                    .build(),
            )
            .send()
            .await
            .unwrap();

        // A VPC CNI interface its node left behind.
        ec2.create_network_interface()
            .subnet_id(&private)
            .description("aws-K8S-i-0123456789abcdef0")
            .tag_specifications(tagged(
                ResourceType::NetworkInterface,
                "cluster.k8s.amazonaws.com/name",
                CLUSTER,
            ))
            .send()
            .await
            .unwrap();
    });

    // The reference cluster is deletion-protected: destroy needs the consent.
    let run = world.eksforge(&[
        "destroy",
        "hardened.toml",
        "--auto-approve",
        "--allow-replace",
        "eks_cluster.main",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    for listed in [
        "Also deleting (made in the VPC by Kubernetes or GuardDuty, not by eksforge):",
        "load balancer k8s-default-web-1a2b3c",
        "target group k8s-default-web-tg",
        "security group k8s-default-web-1a2b3c",
        "network interface aws-K8S-i-0123456789abcdef0",
    ] {
        assert!(run.stdout.contains(listed), "{listed}:\n{}", run.stdout);
    }

    world.block_on(async {
        let left = cloud.vpcs_but_the_default().await;
        assert!(left.is_empty(), "VPCs left: {left:?}");
        let lbs = elb.describe_load_balancers().send().await.unwrap();
        assert!(lbs.load_balancers().is_empty(), "{lbs:?}");
        let tgs = elb.describe_target_groups().send().await.unwrap();
        assert!(tgs.target_groups().is_empty(), "{tgs:?}");
        let groups = cloud
            .security_groups(Select::everything().filter("group-name", ["k8s-default-web-1a2b3c"]))
            .await;
        assert!(groups.is_empty(), "{groups:?}");
        let enis = cloud
            .network_interfaces(Select::everything().tag("cluster.k8s.amazonaws.com/name", CLUSTER))
            .await;
        assert!(enis.is_empty(), "{enis:?}");
    });
}
