//! The smaller commands as a user runs them: init, graph, --target, --var, state show / rm.

mod support;

use support::cloud::Cloud;
use support::World;

#[test]
fn init_writes_a_blueprint_that_validates_and_refuses_to_overwrite() {
    let world = World::new();
    let run = world.eksforge(&["init", "--template", "hardened", "envs/prod"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let written = std::fs::read_to_string(world.path("envs/prod/hardened.toml")).unwrap();
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/blueprints/hardened.toml"
    ))
    .unwrap();
    assert_eq!(
        written,
        template.replacen(
            "#:schema ../docs/blueprint.schema.json",
            "#:schema ./blueprint.schema.json",
            1
        )
    );
    let schema = std::fs::read_to_string(world.path("envs/prod/blueprint.schema.json")).unwrap();
    assert_eq!(
        schema,
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/blueprint.schema.json"
        ))
        .unwrap()
    );
    let run = world.eksforge(&["validate", "envs/prod/hardened.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let run = world.eksforge(&["init", "envs/prod"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    let run = world.eksforge(&["init", "--template", "nope", "envs/x"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("hardened"),
        "names the templates there are: {}",
        run.stderr
    );
    assert!(
        world.proxy.calls().is_empty(),
        "init and validate call no AWS API"
    );
}

#[test]
fn graph_target_var_and_state_commands() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");

    let run = world.eksforge(&["graph", "network.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.starts_with("digraph \"network\" {"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\"vpc.main\" -> \"subnet.private.eu-west-1a\";"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\"nat_gateway.eu-west-1a\" -> \"route.private.eu-west-1a.default\";"),
        "{}",
        run.stdout
    );

    // --target: the subnet and what it depends on, nothing else.
    let run = world.eksforge(&[
        "plan",
        "network.toml",
        "--target",
        "subnet.private.eu-west-1a",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("Plan: 2 to add, 0 to change, 0 to destroy."),
        "{}",
        run.stdout
    );
    let run = world.eksforge(&[
        "apply",
        "network.toml",
        "--auto-approve",
        "--target",
        "subnet.private.eu-west-1a",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let run = world.eksforge(&["state", "list", "network.toml"]);
    assert_eq!(run.stdout, "subnet.private.eu-west-1a\nvpc.main\n");
    let run = world.eksforge(&["plan", "network.toml", "--target", "nosuch.thing"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("--target nosuch.thing"),
        "{}",
        run.stderr
    );

    // --var overrides a key: a single NAT gateway.
    let run = world.eksforge(&[
        "apply",
        "network.toml",
        "--auto-approve",
        "--var",
        "network.nat=single",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let nats = world.block_on(Cloud::new(world.sdk()).available_nat_gateways("network"));
    assert_eq!(nats, 1, "network.nat=single makes one NAT gateway");

    // state rm forgets without touching; the tags bring it back on the next plan (adoption).
    let run = world.eksforge(&["state", "rm", "vpc.main", "network.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let run = world.eksforge(&["state", "show", "vpc.main", "network.toml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("state records no resource `vpc.main`"),
        "{}",
        run.stderr
    );
    let run = world.eksforge(&[
        "plan",
        "network.toml",
        "--var",
        "network.nat=single",
        "--detailed-exitcode",
    ]);
    assert_eq!(run.code, 2, "adoption is a state change: {}", run.all());
    assert!(
        run.stdout.contains("Adopting vpc.main (vpc-"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("vpc.main will be created"),
        "no duplicate VPC: {}",
        run.stdout
    );
}

#[test]
fn preflight_warns_when_default_quotas_would_be_exceeded() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    // Five NAT gateways already in eu-west-1a (the default quota per AZ), made by hand.
    world.block_on(async {
        let ec2 = world.ec2();
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.9.0.0/16")
            .send()
            .await
            .unwrap();
        let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block("10.9.0.0/24")
            .availability_zone("eu-west-1a")
            .send()
            .await
            .unwrap();
        let subnet_id = subnet
            .subnet()
            .and_then(|s| s.subnet_id())
            .unwrap()
            .to_string();
        for _ in 0..5 {
            ec2.create_nat_gateway()
                .subnet_id(&subnet_id)
                .connectivity_type(aws_sdk_ec2::types::ConnectivityType::Private)
                .send()
                .await
                .unwrap();
        }
    });
    let run = world.eksforge(&["plan", "network.toml"]);
    assert_eq!(
        run.code,
        0,
        "quota findings warn, they do not block: {}",
        run.all()
    );
    assert!(
        run.stderr.contains(
            "NAT gateways in eu-west-1a: 5 in use + 1 to create exceeds the default quota of 5"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("eu-west-1b: "),
        "only the full AZ is named: {}",
        run.stderr
    );
}
