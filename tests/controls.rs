//! The plan controls on the emulator, checked through EKS: `--replace` rolls a node group that
//! has no changes (its successor created first, under the next `-rN` name, then the original
//! deleted), `--exclude` leaves a node group and what is built on it uncreated until a plain
//! apply, and ids that name nothing (or contradict each other) are refused before any call.

mod support;

use support::cloud::Cloud;
use support::World;

const NAME: &str = "controls";

fn blueprint() -> String {
    support::small_cluster(NAME, "10.61.0.0/16", support::NODE_GROUP)
}

/// The mutating calls so far, by action.
fn mutating(world: &World) -> Vec<String> {
    world
        .proxy
        .mutating_calls()
        .iter()
        .map(|call| call.action.clone())
        .collect()
}

/// The cluster's add-ons (ListAddons).
async fn addons(cloud: &Cloud) -> Vec<String> {
    let listed = cloud.eks.list_addons().cluster_name(NAME).send().await;
    listed.expect("ListAddons").addons().to_vec()
}

#[test]
fn replace_rolls_a_node_group_create_before_destroy() {
    let world = World::new();
    world.write("bp.toml", &blueprint());
    let run = world.eksforge(&["apply", "bp.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let cloud = Cloud::new(world.sdk());
    let before = world.block_on(cloud.node_group_names(NAME));
    assert_eq!(before.len(), 1, "{before:?}");

    world.proxy.reset();
    let plan = world.eksforge(&["plan", "bp.toml", "--replace", "eks_node_group.general"]);
    assert_eq!(plan.code, 0, "plan:\n{}", plan.all());
    assert!(
        plan.stdout.contains(
            "# eks_node_group.general will be replaced (create, then destroy) (asked for by --replace)"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "only the node group: {}",
        plan.stdout
    );
    assert!(mutating(&world).is_empty(), "{:?}", mutating(&world));

    let run = world.eksforge(&[
        "apply",
        "bp.toml",
        "--auto-approve",
        "--replace",
        "eks_node_group.general",
    ]);
    assert_eq!(run.code, 0, "apply --replace:\n{}", run.all());
    let calls = mutating(&world);
    // EKS is REST: the proxy names its calls by method and path.
    let groups = format!("/clusters/{NAME}/node-groups");
    let created = calls
        .iter()
        .position(|action| *action == format!("POST {groups}"));
    let deleted = calls
        .iter()
        .position(|action| *action == format!("DELETE {groups}/{}", before[0]));
    assert!(
        matches!((created, deleted), (Some(c), Some(d)) if c < d),
        "created before the original is deleted: {calls:?}"
    );
    let after = world.block_on(cloud.node_group_names(NAME));
    assert_eq!(
        after,
        vec![format!("{}-r1", before[0])],
        "the original is gone"
    );
    world.block_on(async {
        let group = cloud
            .eks
            .describe_nodegroup()
            .cluster_name(NAME)
            .nodegroup_name(&after[0])
            .send()
            .await
            .expect("DescribeNodegroup");
        let status = group.nodegroup().and_then(|group| group.status()).cloned();
        assert_eq!(status, Some(aws_sdk_eks::types::NodegroupStatus::Active));
    });

    // The rolled group is what the blueprint wants: a plain plan is empty.
    let again = world.eksforge(&["plan", "bp.toml", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "no changes after the roll:\n{}", again.all());
}

#[test]
fn exclude_leaves_a_node_group_and_its_dependants_until_a_plain_apply() {
    let world = World::new();
    world.write("bp.toml", &blueprint());
    let run = world.eksforge(&[
        "apply",
        "bp.toml",
        "--auto-approve",
        "--exclude",
        "eks_node_group.general",
    ]);
    assert_eq!(run.code, 0, "apply --exclude:\n{}", run.all());
    assert!(
        run.stdout
            .contains("Note: --exclude: left out eks_node_group.general (excluded)"),
        "the plan says what was left out:\n{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("because they depend on it, eks_addon.coredns."),
        "the dependants are named:\n{}",
        run.stdout
    );
    let cloud = Cloud::new(world.sdk());
    assert!(
        world.block_on(cloud.cluster(NAME)).is_some(),
        "the rest was applied"
    );
    assert_eq!(
        world.block_on(cloud.node_group_names(NAME)),
        Vec::<String>::new(),
        "no node group"
    );
    let creates_group = format!("POST /clusters/{NAME}/node-groups");
    assert!(
        !mutating(&world).contains(&creates_group),
        "{:?}",
        mutating(&world)
    );

    assert!(
        !world
            .block_on(addons(&cloud))
            .contains(&"coredns".to_string()),
        "coredns, which needs nodes, was left out too"
    );

    let run = world.eksforge(&["apply", "bp.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "plain apply:\n{}", run.all());
    assert_eq!(world.block_on(cloud.node_group_names(NAME)).len(), 1);
    assert!(world
        .block_on(addons(&cloud))
        .contains(&"coredns".to_string()));
}

#[test]
fn unknown_and_contradicting_ids_are_refused_before_any_call() {
    let world = World::new();
    world.write("bp.toml", &blueprint());
    let run = world.eksforge(&["plan", "bp.toml", "--replace", "eks_node_group.generl"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let text = support::flat(&run.all());
    assert!(
        text.contains("--replace eks_node_group.generl: no such resource in this blueprint (the nearest are eks_node_group.general"),
        "{text}"
    );
    let run = world.eksforge(&[
        "apply",
        "bp.toml",
        "--auto-approve",
        "--target",
        "eks_node_group.general",
        "--exclude",
        "eks_node_group.general",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        support::flat(&run.all()).contains("a resource cannot be both planned and left out"),
        "{}",
        run.all()
    );
    let calls: Vec<String> = world
        .proxy
        .calls()
        .iter()
        .map(|call| call.action.clone())
        .collect();
    assert!(calls.is_empty(), "no call at all: {calls:?}");
}

/// The blueprint with its node group called `group`, and `moved` appended.
fn renamed(group: &str, moved: &str) -> String {
    let groups = support::NODE_GROUP.replace("name = \"general\"", &format!("name = \"{group}\""));
    format!(
        "{}{moved}",
        support::small_cluster(NAME, "10.61.0.0/16", &groups)
    )
}

/// A world where the blueprint with its node group called `workers` was applied, and the
/// names of the cluster's node groups (one).
fn applied_with_workers() -> (World, Cloud, Vec<String>) {
    let world = World::new();
    world.write("bp.toml", &renamed("workers", ""));
    let run = world.eksforge(&["apply", "bp.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let cloud = Cloud::new(world.sdk());
    let groups = world.block_on(cloud.node_group_names(NAME));
    assert_eq!(groups.len(), 1, "{groups:?}");
    (world, cloud, groups)
}

const MOVED: &str = "\n[[moved]]\nfrom = \"eks_node_group.workers\"\nto = \"eks_node_group.general\"\n\n[[moved]]\nfrom = \"launch_template.workers\"\nto = \"launch_template.general\"\n";

#[test]
fn a_renamed_node_group_with_moved_moves_its_state_and_changes_nothing_in_aws() {
    let (world, cloud, groups) = applied_with_workers();

    // Renamed without both moves: the node group would lose its launch template.
    world.write(
        "bp.toml",
        &renamed(
            "general",
            &MOVED[..MOVED.find("\n\n[[moved]]\nfrom = \"launch").unwrap()],
        ),
    );
    world.proxy.reset();
    let refused = world.eksforge(&["plan", "bp.toml"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    let text = support::flat(&refused.all());
    assert!(
        text.contains("bp.toml:") && text.contains("moved[0].from: eks_node_group.workers is built on launch_template.workers, which the blueprint no longer defines"),
        "{text}"
    );
    assert!(world.proxy.calls().is_empty(), "refused before any call");

    world.write("bp.toml", &renamed("general", MOVED));
    let plan = world.eksforge(&["plan", "bp.toml", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "the moves change state:\n{}", plan.all());
    assert!(
        plan.stdout.contains(&format!(
            "# eks_node_group.general [{}] moved from eks_node_group.workers",
            groups[0]
        )),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("No changes to resources; apply records the state updates above."),
        "no destroy and create:\n{}",
        plan.stdout
    );

    world.proxy.reset();
    let run = world.eksforge(&["apply", "bp.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply the moves:\n{}", run.all());
    assert!(mutating(&world).is_empty(), "{:?}", mutating(&world));
    assert_eq!(world.block_on(cloud.node_group_names(NAME)), groups);
    let listed = world.eksforge(&["state", "list", "bp.toml"]);
    assert!(
        listed.stdout.contains("eks_node_group.general\n")
            && !listed.stdout.contains("eks_node_group.workers"),
        "{}",
        listed.stdout
    );
    let again = world.eksforge(&["plan", "bp.toml", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "a re-plan is empty:\n{}", again.all());
}

#[test]
fn state_mv_moves_a_record_under_the_lock_and_refuses_what_it_cannot() {
    let (world, cloud, groups) = applied_with_workers();

    world.proxy.reset();
    for (from, to, says) in [
        (
            "eks_node_group.workers",
            "launch_template.workers",
            "a move cannot change the kind",
        ),
        (
            "eks_node_group.spare",
            "eks_node_group.general",
            "state records no eks_node_group.spare",
        ),
        (
            "eks_node_group.workers",
            "eks_addon.coredns",
            "a move cannot change the kind",
        ),
        (
            "launch_template.workers",
            "launch_template.workers",
            "state already records launch_template.workers",
        ),
    ] {
        let refused = world.eksforge(&["state", "mv", from, to, "bp.toml"]);
        assert_eq!(refused.code, 1, "{}", refused.all());
        assert!(
            support::flat(&refused.all()).contains(says),
            "{}",
            refused.all()
        );
    }
    let run = world.eksforge(&[
        "state",
        "mv",
        "eks_node_group.workers",
        "eks_node_group.spare",
        "bp.toml",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(world.proxy.calls().is_empty(), "state mv calls no AWS");
    let shown = world.eksforge(&["state", "show", "eks_node_group.spare", "bp.toml"]);
    assert!(shown.stdout.contains(&groups[0]), "{}", shown.stdout);
    assert_eq!(world.block_on(cloud.node_group_names(NAME)), groups);
}
