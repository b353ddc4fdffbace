//! `eksforge import`: a VPC made outside eksforge becomes `vpc.main`; nothing in AWS changes
//! on import; the next plan updates it in place (tags, DNS attributes) instead of creating a
//! second VPC, and apply keeps it the only one. Refusals name the reason (and the call).
//! `state rm` forgets without touching.

mod support;

use support::cloud::Cloud;
use support::World;

fn vpcs(world: &World) -> Vec<aws_sdk_ec2::types::Vpc> {
    world.block_on(Cloud::new(world.sdk()).vpcs_but_the_default())
}

#[test]
fn an_imported_vpc_is_updated_in_place_not_made_twice() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    let ec2 = world.ec2();
    let vpc_id = world.block_on(async {
        ec2.create_vpc()
            .cidr_block("10.40.0.0/16")
            .send()
            .await
            .unwrap()
            .vpc()
            .and_then(|vpc| vpc.vpc_id())
            .unwrap()
            .to_string()
    });

    let run = world.eksforge(&["import", "network.toml", "vpc.main", &vpc_id]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains(&format!("Imported vpc.main ({vpc_id}) into state")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("vpc.main will be updated in-place"),
        "shows what the next plan does to it:\n{}",
        run.stdout
    );
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "import changes nothing in AWS"
    );
    let run = world.eksforge(&["state", "list", "network.toml"]);
    assert_eq!(run.stdout, "vpc.main\n");
    let run = world.eksforge(&["state", "show", "vpc.main", "network.toml"]);
    let record: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(record["cloud_id"], vpc_id.as_str());

    let run = world.eksforge(&["plan", "network.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("vpc.main will be updated in-place")
            && !run.stdout.contains("vpc.main will be created"),
        "{}",
        run.stdout
    );

    // Refusals: imported already, an id the blueprint lacks, a cloud id that does not exist.
    let run = world.eksforge(&["import", "network.toml", "vpc.main", &vpc_id]);
    assert_eq!(run.code, 1);
    assert!(
        support::flat(&run.stderr).contains(&format!("vpc.main is already in state (as {vpc_id})")),
        "{}",
        run.stderr
    );
    let run = world.eksforge(&["import", "network.toml", "vpc.other", &vpc_id]);
    assert_eq!(run.code, 1);
    assert!(
        support::flat(&run.stderr).contains("`vpc.other` is not a resource of blueprint"),
        "{}",
        run.stderr
    );
    let run = world.eksforge(&[
        "import",
        "network.toml",
        "subnet.private.eu-west-1a",
        "subnet-0000000000000dead",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        // Without any whitespace: miette wraps the long id at a hyphen.
        run.stderr.replace(['│', ' ', '\n'], "").contains(
            "subnet.private.eu-west-1a:ec2:DescribeSubnetsfoundnosubnet-0000000000000dead"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(world.proxy.mutating_calls(), vec![]);

    // Apply adopts it: still one VPC, the imported one, now tagged and configured.
    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        !world
            .proxy
            .mutating_calls()
            .iter()
            .any(|call| call.action == "CreateVpc"),
        "no second VPC was created"
    );
    let listed = vpcs(&world);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].vpc_id(), Some(vpc_id.as_str()));
    assert!(
        listed[0]
            .tags()
            .iter()
            .any(|tag| tag.key() == Some("eksforge:resource") && tag.value() == Some("vpc.main")),
        "the imported VPC got the blueprint's tags"
    );
    let run = world.eksforge(&["plan", "network.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.all());

    // state rm forgets without touching anything in AWS.
    world.proxy.reset();
    let run = world.eksforge(&["state", "rm", "vpc.main", "network.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(world.proxy.calls(), vec![], "state rm makes no AWS call");
    assert_eq!(vpcs(&world).len(), 1, "the VPC is still there");
    let run = world.eksforge(&["state", "list", "network.toml"]);
    assert!(
        !run.stdout.lines().any(|id| id == "vpc.main"),
        "{}",
        run.stdout
    );
}
