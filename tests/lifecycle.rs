//! The whole loop on the reference blueprint, against moto, checked through the EC2 API:
//! validate → plan (exit 2) → apply → re-plan "No changes" (exit 0) → a second apply makes no
//! mutating call → a tag change is an in-place update → a VPC CIDR change is a replacement →
//! destroy leaves nothing tagged behind.

mod support;

use std::collections::BTreeSet;

use support::cloud::{Cloud, Select};
use support::World;

const BLUEPRINT: &str = "network";
/// vpc, igw, public route table + route, 3 × (public subnet + association, eip, nat,
/// private subnet + table + association + route).
const RESOURCES: usize = 28;

fn tag(tags: &[aws_sdk_ec2::types::Tag], key: &str) -> Option<String> {
    tags.iter()
        .find(|tag| tag.key() == Some(key))
        .and_then(|tag| tag.value())
        .map(str::to_string)
}

struct Network {
    vpc_id: String,
    vpc_cidr: String,
    dns_support: bool,
    dns_hostnames: bool,
    vpc_tags: Vec<aws_sdk_ec2::types::Tag>,
    subnets: Vec<aws_sdk_ec2::types::Subnet>,
    route_tables: Vec<aws_sdk_ec2::types::RouteTable>,
    nat_gateways: Vec<aws_sdk_ec2::types::NatGateway>,
    internet_gateways: Vec<aws_sdk_ec2::types::InternetGateway>,
    addresses: usize,
}

/// Everything tagged for the blueprint, as EC2 describes it.
fn describe(world: &World) -> Option<Network> {
    let cloud = Cloud::new(world.sdk());
    world.block_on(async {
        let vpcs = cloud.vpcs(BLUEPRINT).await;
        assert!(
            vpcs.len() <= 1,
            "more than one VPC tagged for the blueprint: {vpcs:?}"
        );
        let vpc = vpcs.first()?;
        let vpc_id = vpc.vpc_id().unwrap().to_string();
        let attribute = |name| {
            let ec2 = cloud.ec2.clone();
            let vpc_id = vpc_id.clone();
            async move {
                ec2.describe_vpc_attribute()
                    .vpc_id(vpc_id)
                    .attribute(name)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let support = attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport).await;
        let hostnames = attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames).await;
        Some(Network {
            vpc_cidr: vpc.cidr_block().unwrap().to_string(),
            vpc_tags: vpc.tags().to_vec(),
            dns_support: support
                .enable_dns_support()
                .and_then(|v| v.value())
                .unwrap_or(false),
            dns_hostnames: hostnames
                .enable_dns_hostnames()
                .and_then(|v| v.value())
                .unwrap_or(false),
            vpc_id,
            subnets: cloud.subnets(BLUEPRINT).await,
            route_tables: cloud.route_tables(BLUEPRINT).await,
            nat_gateways: cloud.nat_gateways(BLUEPRINT).await,
            internet_gateways: cloud.internet_gateways(BLUEPRINT).await,
            addresses: cloud.addresses(BLUEPRINT).await.len(),
        })
    })
}

/// The hardened network properties, through the API.
fn assert_hardened_network(net: &Network, cidr_prefix: &str) {
    assert!(
        net.vpc_cidr.starts_with(cidr_prefix),
        "VPC CIDR {}",
        net.vpc_cidr
    );
    assert!(
        net.dns_support && net.dns_hostnames,
        "DNS support and hostnames on"
    );

    let private: Vec<_> = net
        .subnets
        .iter()
        .filter(|s| tag(s.tags(), "kubernetes.io/role/internal-elb").as_deref() == Some("1"))
        .collect();
    let public: Vec<_> = net
        .subnets
        .iter()
        .filter(|s| tag(s.tags(), "kubernetes.io/role/elb").as_deref() == Some("1"))
        .collect();
    assert_eq!(private.len(), 3, "three private subnets");
    assert_eq!(public.len(), 3, "three public subnets");
    assert_eq!(net.subnets.len(), 6);
    let azs: BTreeSet<_> = private
        .iter()
        .map(|s| s.availability_zone().unwrap().to_string())
        .collect();
    assert_eq!(azs.len(), 3, "private subnets in three AZs: {azs:?}");
    for subnet in &net.subnets {
        assert_eq!(subnet.vpc_id(), Some(net.vpc_id.as_str()));
        assert_eq!(
            subnet.map_public_ip_on_launch(),
            Some(false),
            "no automatic public IPs"
        );
        assert!(subnet.cidr_block().unwrap().starts_with(cidr_prefix));
        assert!(tag(subnet.tags(), "eksforge:resource")
            .unwrap()
            .starts_with("subnet."));
    }

    assert_eq!(net.internet_gateways.len(), 1);
    let igw = &net.internet_gateways[0];
    assert_eq!(
        igw.attachments().first().and_then(|a| a.vpc_id()),
        Some(net.vpc_id.as_str())
    );
    let igw_id = igw.internet_gateway_id().unwrap();

    assert_eq!(net.nat_gateways.len(), 3, "one NAT gateway per AZ");
    assert_eq!(net.addresses, 3, "one EIP per NAT gateway");
    let public_ids: BTreeSet<_> = public.iter().map(|s| s.subnet_id().unwrap()).collect();
    for nat in &net.nat_gateways {
        assert_eq!(nat.state().map(|s| s.as_str()), Some("available"));
        assert!(
            public_ids.contains(nat.subnet_id().unwrap()),
            "NAT gateways live in public subnets"
        );
    }

    // Every subnet is explicitly associated; private ones route to a NAT, never to the IGW.
    for subnet in &net.subnets {
        let subnet_id = subnet.subnet_id().unwrap();
        let table = net
            .route_tables
            .iter()
            .find(|t| {
                t.associations()
                    .iter()
                    .any(|a| a.subnet_id() == Some(subnet_id))
            })
            .unwrap_or_else(|| panic!("subnet {subnet_id} has no route table association"));
        let default_route = table
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"));
        if public_ids.contains(subnet_id) {
            assert_eq!(
                default_route.and_then(|r| r.gateway_id()),
                Some(igw_id),
                "public subnets route to the IGW"
            );
        } else {
            assert!(
                table
                    .routes()
                    .iter()
                    .all(|r| r.gateway_id() != Some(igw_id)),
                "a private subnet has an IGW route"
            );
            let nat = default_route
                .and_then(|r| r.nat_gateway_id())
                .expect("private default route via NAT");
            let nat_az = net
                .nat_gateways
                .iter()
                .find(|n| n.nat_gateway_id() == Some(nat))
                .and_then(|n| net.subnets.iter().find(|s| s.subnet_id() == n.subnet_id()))
                .and_then(|s| s.availability_zone());
            assert_eq!(
                nat_az,
                subnet.availability_zone(),
                "each private subnet uses its own AZ's NAT"
            );
        }
    }
}

#[test]
fn reference_blueprint_lifecycle() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");

    let run = world.eksforge(&["validate", "network.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());

    let run = world.eksforge(&["plan", "network.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "a first plan has changes: {}", run.all());
    assert!(
        run.stdout.contains(&format!(
            "Plan: {RESOURCES} to add, 0 to change, 0 to destroy."
        )),
        "{}",
        run.stdout
    );
    assert!(describe(&world).is_none(), "plan created nothing");

    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply: {}", run.all());
    assert!(
        run.stdout.contains(&format!(
            "Apply complete! Resources: {RESOURCES} added, 0 changed, 0 destroyed."
        )),
        "{}",
        run.stdout
    );
    let network = describe(&world).expect("a VPC after apply");
    assert_hardened_network(&network, "10.40.");

    let run = world.eksforge(&["state", "list", "network.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.stdout.lines().count(), RESOURCES, "{}", run.stdout);
    assert!(run
        .stdout
        .lines()
        .any(|line| line == "subnet.private.eu-west-1a"));
    let run = world.eksforge(&["state", "show", "vpc.main", "network.toml"]);
    assert!(run.stdout.contains(&network.vpc_id), "{}", run.all());

    // No drift, no changes: exit 0 and zero mutating calls on a second apply.
    let run = world.eksforge(&["plan", "network.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "re-plan after apply: {}", run.all());
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);
    world.proxy.reset();
    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "a no-change apply mutates nothing"
    );
    assert!(!world.proxy.calls().is_empty(), "it did refresh");

    // A tag change is an update in place.
    world.write(
        "tagged.toml",
        "[blueprint]\nname = \"network\"\nextends = \"network.toml\"\n\n[blueprint.tags]\nteam = \"platform\"\n",
    );
    let run = world.eksforge(&["plan", "tagged.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stdout.contains("~ vpc.main"), "{}", run.stdout);
    assert!(
        run.stdout.contains("+ \"team\" = \"platform\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Plan: 0 to add, 18 to change, 0 to destroy."),
        "{}",
        run.stdout
    );
    let run = world.eksforge(&["apply", "tagged.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let tagged = describe(&world).expect("still there");
    assert_eq!(
        tagged.vpc_id, network.vpc_id,
        "same VPC: updated, not replaced"
    );
    assert_eq!(tag(&tagged.vpc_tags, "team").as_deref(), Some("platform"));
    let run = world.eksforge(&["plan", "tagged.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "settled after the tag change: {}", run.all());

    // Drift: a tag removed by hand is shown and put back.
    world.block_on(async {
        world
            .ec2()
            .delete_tags()
            .resources(&network.vpc_id)
            .tags(aws_sdk_ec2::types::Tag::builder().key("team").build())
            .send()
            .await
            .unwrap();
    });
    let run = world.eksforge(&["plan", "tagged.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("# changed outside eksforge"),
        "{}",
        run.stdout
    );
    // --refresh-only shows the drift alone, and can accept it into state.
    let run = world.eksforge(&[
        "plan",
        "tagged.toml",
        "--refresh-only",
        "--detailed-exitcode",
    ]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("Objects have changed outside eksforge"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("- \"team\" = \"platform\""),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("Plan:"),
        "no changes in a refresh-only plan: {}",
        run.stdout
    );
    world.proxy.reset();
    let run = world.eksforge(&["apply", "tagged.toml", "--refresh-only", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "refresh-only changes nothing in AWS"
    );
    let run = world.eksforge(&["state", "show", "vpc.main", "tagged.toml"]);
    assert!(
        !run.stdout.contains("platform"),
        "state now records the live tags: {}",
        run.stdout
    );
    let run = world.eksforge(&[
        "plan",
        "tagged.toml",
        "--refresh-only",
        "--detailed-exitcode",
    ]);
    assert_eq!(run.code, 0, "no drift left against state: {}", run.all());
    let run = world.eksforge(&["apply", "tagged.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        tag(&describe(&world).unwrap().vpc_tags, "team").as_deref(),
        Some("platform")
    );

    // A VPC CIDR change replaces the VPC and everything built on it.
    world.write(
        "moved.toml",
        "[blueprint]\nname = \"network\"\nextends = \"tagged.toml\"\n\n[network]\nvpc_cidr = \"10.41.0.0/16\"\n",
    );
    let run = world.eksforge(&["plan", "moved.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stdout.contains("-/+ vpc.main"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("cidr_block = \"10.40.0.0/16\" → \"10.41.0.0/16\"  # forces replacement"),
        "{}",
        run.stdout
    );
    let run = world.eksforge(&["apply", "moved.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let moved = describe(&world).expect("a VPC after the replacement");
    assert_ne!(moved.vpc_id, network.vpc_id, "a new VPC");
    assert_hardened_network(&moved, "10.41.");
    let cloud = Cloud::new(world.sdk());
    let old = world.block_on(cloud.vpcs(Select::in_vpcs([&network.vpc_id])));
    assert!(old.is_empty(), "the old VPC is gone");
    let run = world.eksforge(&["plan", "moved.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "settled after the replacement: {}", run.all());

    // Destroy leaves nothing tagged.
    let run = world.eksforge(&["destroy", "moved.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("Destroy complete!"), "{}", run.stdout);
    assert!(describe(&world).is_none(), "no VPC left");
    let leftovers = world.block_on(async {
        (
            cloud.subnets(BLUEPRINT).await.len(),
            cloud.route_tables(BLUEPRINT).await.len(),
            cloud.internet_gateways(BLUEPRINT).await.len(),
            cloud.addresses(BLUEPRINT).await.len(),
            cloud.nat_gateways(BLUEPRINT).await.len(),
        )
    });
    assert_eq!(
        leftovers,
        (0, 0, 0, 0, 0),
        "(subnets, route tables, IGWs, EIPs, NATs) left after destroy"
    );
    let run = world.eksforge(&["state", "list", "moved.toml"]);
    assert_eq!(run.stdout.trim(), "", "state is empty after destroy");
}

#[test]
fn apply_asks_and_does_nothing_without_yes() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    let run = world.eksforge_in_terminal(&["apply", "network.toml"], "no\n");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("Only 'yes' will be accepted"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Apply cancelled."), "{}", run.stdout);
    assert!(describe(&world).is_none(), "nothing created");
    assert_eq!(world.proxy.mutating_calls(), vec![]);

    // Without a terminal (standard input /dev/null, as in CI) nobody could answer: refused
    // before any call.
    world.proxy.reset();
    let run = world.eksforge(&["apply", "network.toml"]);
    assert_eq!(run.code, 1, "no terminal: {}", run.all());
    assert!(
        support::says(&run.stderr, "not a terminal"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert_eq!(world.proxy.calls(), vec![]);
}
