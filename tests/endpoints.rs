//! A cluster with no NAT at all: the reference blueprint with `nat = "none"` and the VPC
//! endpoints its nodes need, checked through the EC2 API on the emulator: no NAT gateway or
//! EIP; the S3 gateway endpoint on every private route table; every interface endpoint in the
//! private subnets with private DNS and the endpoint security group, which admits HTTPS from
//! the VPC only; an empty re-plan; a rule opened on that group by hand shown and revoked;
//! a required endpoint left out refused at validation with file:line; destroy leaves nothing.

mod support;

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use support::cloud::{Cloud, Select};
use support::World;

const NAME: &str = "private";
const VPC_CIDR: &str = "10.40.0.0/16";
const SERVICES: [&str; 10] = [
    "ecr.api",
    "ecr.dkr",
    "s3",
    "sts",
    "ec2",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "eks-auth",
    "logs",
];

/// The reference blueprint without NAT, listing `services` on line 7.
fn blueprint(services: &[&str]) -> String {
    let listed = services
        .iter()
        .map(|service| format!("\"{service}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "[blueprint]\nextends = \"hardened.toml\"\nname = \"{NAME}\"\n\n[network]\nnat = \"none\"\nendpoints = [{listed}]\n"
    )
}

fn by_blueprint() -> Filter {
    Filter::builder()
        .name("tag:eksforge:blueprint")
        .values(NAME)
        .build()
}

#[test]
fn a_cluster_without_nat_reaches_aws_through_endpoints_only() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    world.write("private.toml", &blueprint(&SERVICES));

    // The plan weighs the choice: no NAT gateway or address, nine interface endpoints in three
    // AZs (S3 is a free gateway endpoint), priced a month.
    let run = world.eksforge(&["plan", "private.toml", "--json"]);
    assert_eq!(run.code, 0, "plan:\n{}", run.all());
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan JSON");
    let after = &plan["network_cost"]["after"];
    assert_eq!(after["nat_gateways"], 0, "{after}");
    assert_eq!(after["public_ipv4_addresses"], 0, "{after}");
    assert_eq!(after["interface_endpoints"], 9, "{after}");
    assert_eq!(after["interface_endpoint_azs"], 27, "{after}");
    assert_eq!(after["gateway_endpoints"], 1, "{after}");
    // 27 endpoint network interfaces × $0.01 × 730 hours
    assert_eq!(after["monthly_usd"], 197.1, "{after}");
    assert_eq!(plan["network_cost"]["before"]["monthly_usd"], 0.0);

    let run = world.eksforge(&["apply", "private.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    assert!(
        run.stdout
            .contains("Network cost estimate: $0.00 → $197.10 a month (9 interface endpoints"),
        "{}",
        run.stdout
    );

    let cloud = Cloud::new(world.sdk());
    let ec2 = world.ec2();
    let endpoint_group = world.block_on(async {
        assert!(cloud.nat_gateways(NAME).await.is_empty(), "no NAT gateway");
        assert!(cloud.addresses(NAME).await.is_empty(), "no Elastic IP");

        let vpc = cloud.vpcs(NAME).await;
        let vpc_id = vpc[0].vpc_id().unwrap().to_string();
        let private_subnets: BTreeSet<String> = cloud
            .subnets(NAME)
            .await
            .iter()
            .filter(|subnet| {
                subnet
                    .tags()
                    .iter()
                    .any(|tag| tag.key() == Some("kubernetes.io/role/internal-elb"))
            })
            .filter_map(|subnet| subnet.subnet_id().map(str::to_string))
            .collect();
        assert_eq!(private_subnets.len(), 3, "{private_subnets:?}");
        let private_tables: BTreeSet<String> = cloud
            .route_tables(NAME)
            .await
            .iter()
            .filter(|table| {
                table.associations().iter().any(|association| {
                    association
                        .subnet_id()
                        .is_some_and(|subnet| private_subnets.contains(subnet))
                })
            })
            .filter_map(|table| table.route_table_id().map(str::to_string))
            .collect();
        assert_eq!(private_tables.len(), 3, "{private_tables:?}");
        let groups = cloud
            .security_groups(Select::resource("security_group.endpoints"))
            .await;
        assert_eq!(groups.len(), 1, "one endpoint security group");
        let endpoint_group = groups[0].group_id().unwrap().to_string();

        let endpoints = ec2
            .describe_vpc_endpoints()
            .filters(by_blueprint())
            .send()
            .await
            .unwrap()
            .vpc_endpoints()
            .to_vec();
        let services: BTreeSet<String> = endpoints
            .iter()
            .filter_map(|endpoint| endpoint.service_name().map(str::to_string))
            .collect();
        let expected: BTreeSet<String> = SERVICES
            .iter()
            .map(|service| format!("com.amazonaws.{}.{service}", support::REGION))
            .collect();
        assert_eq!(services, expected);
        for endpoint in &endpoints {
            let service = endpoint.service_name().unwrap();
            assert_eq!(endpoint.vpc_id(), Some(vpc_id.as_str()), "{service}");
            if service.ends_with(".s3") {
                assert_eq!(
                    endpoint.vpc_endpoint_type().map(|kind| kind.as_str()),
                    Some("Gateway")
                );
                let tables: BTreeSet<String> = endpoint.route_table_ids().iter().cloned().collect();
                assert_eq!(tables, private_tables, "S3 on every private route table");
            } else {
                assert_eq!(
                    endpoint.vpc_endpoint_type().map(|kind| kind.as_str()),
                    Some("Interface"),
                    "{service}"
                );
                let subnets: BTreeSet<String> = endpoint.subnet_ids().iter().cloned().collect();
                assert_eq!(subnets, private_subnets, "{service} in the private subnets");
                assert_eq!(endpoint.private_dns_enabled(), Some(true), "{service}");
                let groups: Vec<&str> = endpoint
                    .groups()
                    .iter()
                    .filter_map(|group| group.group_id())
                    .collect();
                assert_eq!(groups, [endpoint_group.as_str()], "{service}");
            }
        }

        let ingress: Vec<_> = cloud
            .security_group_rules(std::slice::from_ref(&endpoint_group))
            .await
            .into_iter()
            .filter(|rule| rule.is_egress() == Some(false))
            .collect();
        assert_eq!(ingress.len(), 1, "one ingress rule: {ingress:?}");
        assert_eq!(ingress[0].ip_protocol(), Some("tcp"));
        assert_eq!(
            (ingress[0].from_port(), ingress[0].to_port()),
            (Some(443), Some(443))
        );
        assert_eq!(ingress[0].cidr_ipv4(), Some(VPC_CIDR));
        endpoint_group
    });

    let run = world.eksforge(&["plan", "private.toml", "--detailed-exitcode"]);
    assert_eq!(
        run.code,
        0,
        "re-plan after apply must be empty:\n{}",
        run.all()
    );

    // Drift: the endpoint group opened to the internet by hand is shown and revoked.
    world.block_on(async {
        ec2.authorize_security_group_ingress()
            .group_id(&endpoint_group)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(443)
                    .to_port(443)
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let run = world.eksforge(&["plan", "private.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "the opened rule is a change:\n{}", run.all());
    assert!(
        run.stdout.contains("security_group.endpoints")
            && run.stdout.contains("unmanaged_ingress")
            && run.stdout.contains("0.0.0.0/0"),
        "the plan names the group, the attribute and the rule:\n{}",
        run.stdout
    );
    let run = world.eksforge(&["apply", "private.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    world.block_on(async {
        let open: Vec<_> = cloud
            .security_group_rules(std::slice::from_ref(&endpoint_group))
            .await
            .into_iter()
            .filter(|rule| rule.cidr_ipv4() == Some("0.0.0.0/0") && rule.is_egress() == Some(false))
            .collect();
        assert!(open.is_empty(), "the opened rule is revoked: {open:?}");
    });
    let run = world.eksforge(&["plan", "private.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "empty again:\n{}", run.all());

    // A required endpoint left out: refused at validation, at the endpoints line.
    let without_ssm: Vec<&str> = SERVICES
        .iter()
        .copied()
        .filter(|service| *service != "ssm")
        .collect();
    world.write("missing.toml", &blueprint(&without_ssm));
    let run = world.eksforge(&["validate", "missing.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("missing.toml:7") && run.stderr.contains("\"ssm\""),
        "names the file, line and service:\n{}",
        run.stderr
    );

    // Destroy (the cluster's deletion protection lifted with consent) leaves nothing tagged.
    let run = world.eksforge(&[
        "destroy",
        "private.toml",
        "--auto-approve",
        "--allow-replace",
        "eks_cluster.main",
    ]);
    assert_eq!(run.code, 0, "destroy:\n{}", run.all());
    world.block_on(async {
        let endpoints = ec2
            .describe_vpc_endpoints()
            .filters(by_blueprint())
            .send()
            .await
            .unwrap();
        let left: Vec<_> = endpoints
            .vpc_endpoints()
            .iter()
            .filter(|endpoint| {
                endpoint
                    .state()
                    .map(|state| state.as_str().to_ascii_lowercase())
                    != Some("deleted".to_string())
            })
            .collect();
        assert!(left.is_empty(), "endpoints left: {left:?}");
        assert!(cloud.vpcs(NAME).await.is_empty(), "VPC gone");
        assert!(cloud.subnets(NAME).await.is_empty(), "subnets gone");
        assert!(cloud.security_groups(NAME).await.is_empty(), "groups gone");
        assert!(
            cloud.route_tables(NAME).await.is_empty(),
            "route tables gone"
        );
    });
}

/// The policy document of the blueprint's endpoint for `service`, as EC2 describes it.
async fn endpoint_policy(ec2: &aws_sdk_ec2::Client, service: &str) -> serde_json::Value {
    let endpoints = ec2
        .describe_vpc_endpoints()
        .filters(
            Filter::builder()
                .name("tag:eksforge:blueprint")
                .values("guarded-endpoints")
                .build(),
        )
        .send()
        .await
        .expect("DescribeVpcEndpoints");
    let endpoint = endpoints
        .vpc_endpoints()
        .iter()
        .find(|endpoint| {
            endpoint
                .service_name()
                .is_some_and(|name| name.ends_with(&format!(".{service}")))
        })
        .unwrap_or_else(|| panic!("an endpoint for {service}"));
    serde_json::from_str(endpoint.policy_document().expect("a policy document"))
        .expect("the policy is JSON")
}

/// Endpoint policies: written for a listed service they are sent at create, changed in place
/// (ModifyVpcEndpoint), put back to AWS's default when removed (ResetPolicy), and a policy
/// edited by hand is drift that apply reverts; a policy for an unlisted service is refused
/// at its line.
#[test]
fn endpoint_policies_are_built_changed_in_place_and_reverted() {
    let world = World::new();
    let ec2 = world.ec2();
    let only_this_account = |action: &str| {
        format!(
            r#"'{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"{action}","Resource":"*","Condition":{{"StringEquals":{{"aws:PrincipalAccount":"123456789012"}}}}}}]}}'"#
        )
    };
    let blueprint = |policy: Option<&str>| {
        let policies = policy
            .map(|policy| format!("\n[network.endpoint_policies]\n\"ecr.api\" = {policy}\n"))
            .unwrap_or_default();
        format!(
            "[blueprint]\nname = \"guarded-endpoints\"\nregion = \"{}\"\n\n[network]\nvpc_cidr = \"10.72.0.0/16\"\nazs = 2\nnat = \"single\"\nendpoints = [\"s3\", \"ecr.api\"]\n{policies}",
            support::REGION
        )
    };
    world.write("net.toml", &blueprint(Some(&only_this_account("ecr:*"))));
    let run = world.eksforge(&["apply", "net.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let default = serde_json::json!({"Version": "2008-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]});
    world.block_on(async {
        let policy = endpoint_policy(&ec2, "ecr.api").await;
        assert_eq!(action(&policy), "ecr:*", "{policy}");
        assert_eq!(
            endpoint_policy(&ec2, "s3").await,
            default,
            "S3 keeps the default"
        );
    });
    let run = world.eksforge(&["plan", "net.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "the re-plan is empty:\n{}", run.all());

    // Narrowed in the blueprint: changed in place, never replaced.
    world.write("net.toml", &blueprint(Some(&only_this_account("ecr:Get*"))));
    world.proxy.reset();
    let run = world.eksforge(&["apply", "net.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    assert!(
        run.stdout.contains("~ vpc_endpoint.ecr.api"),
        "{}",
        run.stdout
    );
    let actions: Vec<String> = world
        .proxy
        .mutating_calls()
        .into_iter()
        .map(|call| call.action)
        .collect();
    assert_eq!(actions, ["ModifyVpcEndpoint"], "in place");
    world.block_on(async {
        let policy = endpoint_policy(&ec2, "ecr.api").await;
        assert_eq!(action(&policy), "ecr:Get*", "{policy}");
    });

    // Opened by hand: drift, put back.
    world.block_on(async {
        let endpoint_id = ec2
            .describe_vpc_endpoints()
            .filters(by_tag_resource("vpc_endpoint.ecr.api"))
            .send()
            .await
            .expect("DescribeVpcEndpoints")
            .vpc_endpoints()[0]
            .vpc_endpoint_id()
            .expect("an id")
            .to_string();
        ec2.modify_vpc_endpoint()
            .vpc_endpoint_id(endpoint_id)
            .reset_policy(true)
            .send()
            .await
            .expect("ModifyVpcEndpoint");
    });
    let run = world.eksforge(&["plan", "net.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "the opened policy is drift:\n{}", run.all());
    assert!(run.stdout.contains("policy_document"), "{}", run.stdout);
    let run = world.eksforge(&["apply", "net.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    world.block_on(async {
        let policy = endpoint_policy(&ec2, "ecr.api").await;
        assert_eq!(action(&policy), "ecr:Get*", "{policy}");
    });

    // Removed from the blueprint: AWS's default back.
    world.write("net.toml", &blueprint(None));
    let run = world.eksforge(&["apply", "net.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    world.block_on(async {
        assert_eq!(endpoint_policy(&ec2, "ecr.api").await, default);
    });

    // A policy for a service that is not listed: refused where it is written.
    world.write(
        "stray.toml",
        &(blueprint(None).replace("\"s3\", \"ecr.api\"", "\"s3\"")
            + "\n[network.endpoint_policies]\n\"ecr.api\" = '{\"Statement\":[]}'\n"),
    );
    let run = world.eksforge(&["validate", "stray.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let message = support::flat(&run.stderr);
    assert!(
        message.contains("stray.toml:12")
            && message.contains("which network.endpoints does not list"),
        "{message}"
    );
}

/// The action of a one-statement policy (`Statement` an object or a one-element array).
fn action(policy: &serde_json::Value) -> &serde_json::Value {
    let statement = &policy["Statement"];
    match statement.as_array() {
        Some(statements) => &statements[0]["Action"],
        None => &statement["Action"],
    }
}

fn by_tag_resource(id: &str) -> Filter {
    Filter::builder()
        .name("tag:eksforge:resource")
        .values(id)
        .build()
}
