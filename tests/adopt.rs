//! `eksforge adopt`: a cluster is read with read-only calls only, and the blueprint and state it
//! writes make an empty first plan; what state records is what the AWS API describes. A
//! cluster eksforge made whose state was lost comes back whole. Adopt never overwrites a
//! blueprint nor writes into a state that records resources.

mod support;

use std::collections::BTreeMap;

use support::cloud::Cloud;
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

#[test]
fn a_cluster_eksforge_made_whose_state_was_lost_is_adopted_with_an_empty_first_plan() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
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

    // The same resources under the same ids as the lost state; besides them, only the access
    // entry EKS made for the cluster's creator (bootstrapped as admin), now an admin entry.
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
