//! The plan controls on the emulator, checked through EKS and IAM and the proxy's call log:
//! `--replace` rolls a node group that has no changes (its successor created first, under the
//! next `-rN` name, then the original deleted); `--exclude` leaves a node group and what is built
//! on it uncreated, then unchanged, while the rest applies; `[[moved]]` renames a node group
//! (with its launch template) and an IRSA service account (with its role's attachment) in state
//! without an EKS call, keeping their AWS names; `state mv` moves a record under the lock and
//! refuses what it cannot; ids that name nothing (or contradict each other) are refused before
//! any call.

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
fn exclude_leaves_a_node_group_and_its_dependants_untouched_while_the_rest_applies() {
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

    // Now both change: the node group's maximum and the log groups' retention. Excluded, the
    // node group (and coredns, built on it) is left as it is while the rest applies.
    let groups = support::NODE_GROUP.replace("max_size = 2", "max_size = 3");
    world.write(
        "bp.toml",
        &support::small_cluster(
            NAME,
            "10.61.0.0/16",
            &format!("log_retention_days = 30\n{groups}"),
        ),
    );
    world.proxy.reset();
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
        "{}",
        run.stdout
    );
    let eks: Vec<String> = world
        .proxy
        .mutating_calls()
        .into_iter()
        .filter(|call| call.service == "eks")
        .map(|call| call.action)
        .collect();
    assert!(eks.is_empty(), "the node group is untouched: {eks:?}");
    let group = world.block_on(cloud.node_group_names(NAME)).remove(0);
    let max_size = world.block_on(async {
        let described = cloud
            .eks
            .describe_nodegroup()
            .cluster_name(NAME)
            .nodegroup_name(&group)
            .send()
            .await
            .expect("DescribeNodegroup");
        described
            .nodegroup()
            .and_then(|group| group.scaling_config())
            .and_then(|scaling| scaling.max_size())
    });
    assert_eq!(max_size, Some(2), "the node group keeps its maximum");
    let retention: Vec<Option<i32>> = world
        .block_on(cloud.log_groups("/aws/eks/"))
        .iter()
        .map(|group| group.retention_in_days())
        .collect();
    assert!(
        !retention.is_empty() && retention.iter().all(|days| *days == Some(30)),
        "the rest was applied: {retention:?}"
    );
    let plan = world.eksforge(&["plan", "bp.toml"]);
    assert!(
        plan.stdout
            .contains("# eks_node_group.general will be updated in-place")
            && plan
                .stdout
                .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "only the excluded node group is left to change:\n{}",
        plan.stdout
    );
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

/// The blueprint with its node group called `group`, one IRSA service account `apps/<account>`,
/// and `moved` appended.
fn renamed(group: &str, account: &str, moved: &str) -> String {
    let groups = support::NODE_GROUP.replace("name = \"general\"", &format!("name = \"{group}\""));
    let irsa = format!(
        "\n[irsa]\noidc_provider = true\n\n[[irsa.service_accounts]]\nnamespace = \"apps\"\nname = \"{account}\"\nmanaged_policies = [\"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"]\n"
    );
    format!(
        "{}{irsa}{moved}",
        support::small_cluster(NAME, "10.61.0.0/16", &groups)
    )
}

/// A world where the blueprint with its node group called `workers` and its service account
/// `apps/reader` was applied, and the names of the cluster's node groups (one).
fn applied_with_workers() -> (World, Cloud, Vec<String>) {
    let world = World::new();
    world.write("bp.toml", &renamed("workers", "reader", ""));
    let run = world.eksforge(&["apply", "bp.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let cloud = Cloud::new(world.sdk());
    let groups = world.block_on(cloud.node_group_names(NAME));
    assert_eq!(groups.len(), 1, "{groups:?}");
    (world, cloud, groups)
}

/// The IAM role `name`'s trust policy, as IAM returns it (URL-encoded), or `None` when IAM has
/// no such role.
fn trust_policy(world: &World, name: &str) -> Option<String> {
    let iam = aws_sdk_iam::Client::new(world.sdk());
    world.block_on(async {
        let role = iam.get_role().role_name(name).send().await.ok()?;
        role.role()?
            .assume_role_policy_document()
            .map(str::to_string)
    })
}

const ROLE: &str = "controls-irsa-apps-reader";

/// One entry for the node group (its launch template moves with it), one for the role (its
/// policy attachment moves with it).
const MOVED: &str = "\n[[moved]]\nfrom = \"eks_node_group.workers\"\nto = \"eks_node_group.general\"\n\n[[moved]]\nfrom = \"iam_role.irsa.apps.reader\"\nto = \"iam_role.irsa.apps.writer\"\n";

#[test]
fn a_renamed_node_group_and_service_account_with_moved_move_their_state_and_call_no_eks() {
    let (world, cloud, groups) = applied_with_workers();

    // A `to` the blueprint does not define: refused at its line, before any call.
    world.write(
        "bp.toml",
        &renamed(
            "general",
            "writer",
            "\n[[moved]]\nfrom = \"eks_node_group.workers\"\nto = \"eks_node_group.generl\"\n",
        ),
    );
    world.proxy.reset();
    let refused = world.eksforge(&["plan", "bp.toml"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    let text = support::flat(&refused.all());
    assert!(
        text.contains("bp.toml:")
            && text.contains("moved[0].to: eks_node_group.generl is no resource of this blueprint"),
        "{text}"
    );
    assert!(world.proxy.calls().is_empty(), "refused before any call");

    world.write("bp.toml", &renamed("general", "writer", MOVED));
    let plan = world.eksforge(&["plan", "bp.toml", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "the moves change state:\n{}", plan.all());
    for line in [
        format!(
            "# eks_node_group.general [{}] moved from eks_node_group.workers",
            groups[0]
        ),
        "moved from launch_template.workers".to_string(),
        "moved from iam_role.irsa.apps.reader".to_string(),
        "moved from iam_role_policy_attachment.irsa.apps.reader.AmazonS3ReadOnlyAccess".to_string(),
        // The role now trusts the renamed service account: updated in place, not replaced.
        "# iam_role.irsa.apps.writer will be updated in-place".to_string(),
        "Plan: 0 to add, 1 to change, 0 to destroy.".to_string(),
    ] {
        assert!(plan.stdout.contains(&line), "{line}:\n{}", plan.stdout);
    }
    let json = world.eksforge(&["plan", "bp.toml", "--json"]);
    let view: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan --json");
    let group = view["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|change| change["id"] == "eks_node_group.general")
        .expect("the node group");
    assert_eq!(group["moved_from"], "eks_node_group.workers");
    assert_eq!(group["action"], "no-op");

    // Saved and applied as a plan file: the moves travel with it.
    let saved = world.eksforge(&["plan", "bp.toml", "--out", "moves.json"]);
    assert_eq!(saved.code, 0, "plan --out:\n{}", saved.all());
    world.proxy.reset();
    let run = world.eksforge(&["apply", "moves.json"]);
    assert_eq!(run.code, 0, "apply the moves:\n{}", run.all());
    let calls = world.proxy.mutating_calls();
    let eks: Vec<&str> = calls
        .iter()
        .filter(|call| call.service == "eks")
        .map(|call| call.action.as_str())
        .collect();
    assert!(eks.is_empty(), "no EKS call: {eks:?}");
    let all: Vec<&str> = calls.iter().map(|call| call.action.as_str()).collect();
    assert_eq!(
        all,
        ["UpdateAssumeRolePolicy", "UpdateRole"],
        "only the role's trust policy and description: {all:?}"
    );
    assert_eq!(world.block_on(cloud.node_group_names(NAME)), groups);
    let trust = trust_policy(&world, ROLE).expect("the role keeps its name");
    assert!(
        trust.contains("apps%3Awriter") || trust.contains("apps:writer"),
        "{trust}"
    );

    let listed = world.eksforge(&["state", "list", "bp.toml"]);
    for (now, before) in [
        ("eks_node_group.general", "eks_node_group.workers"),
        ("launch_template.general", "launch_template.workers"),
        ("iam_role.irsa.apps.writer", "iam_role.irsa.apps.reader"),
    ] {
        assert!(
            listed.stdout.contains(&format!("{now}\n")) && !listed.stdout.contains(before),
            "{}",
            listed.stdout
        );
    }
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
            "launch_template.workers",
            "launch_template.workers",
            "state already records launch_template.workers",
        ),
        (
            "eks_node_group.workrs",
            "eks_node_group.general",
            "state records no eks_node_group.workrs",
        ),
        // The node group stays in the blueprint, built on its template: moving the template
        // away would leave it built on a record the next apply deletes.
        (
            "launch_template.workers",
            "launch_template.spare",
            "eks_node_group.workers is built on launch_template.workers: after the move it would be built on launch_template.spare",
        ),
    ] {
        let refused = world.eksforge(&["state", "mv", from, to, "bp.toml"]);
        assert_eq!(refused.code, 1, "{}", refused.all());
        assert!(
            support::flat(&refused.all()).contains(says),
            "{says}:\n{}",
            refused.all()
        );
    }
    let state_file = world.path(&format!("state/{NAME}.json"));
    let before = std::fs::read_to_string(&state_file).expect("state");

    // The blueprint renames the group (and says so); `state mv` makes the move now.
    let group_only = &MOVED[..MOVED
        .find("\n\n[[moved]]\nfrom = \"iam")
        .expect("two entries")];
    world.write("bp.toml", &renamed("general", "reader", group_only));
    let run = world.eksforge(&[
        "state",
        "mv",
        "eks_node_group.workers",
        "eks_node_group.general",
        "bp.toml",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("Moved launch_template.workers to launch_template.general in state"),
        "the template moves with its group:\n{}",
        run.stdout
    );
    assert!(world.proxy.calls().is_empty(), "state mv calls no AWS");
    let backup = world.path(&format!("state/{NAME}.json.backup"));
    assert_eq!(
        std::fs::read_to_string(backup).expect("backup"),
        before,
        "the state before the move is kept"
    );
    let shown = world.eksforge(&["state", "show", "eks_node_group.general", "bp.toml"]);
    assert!(shown.stdout.contains(&groups[0]), "{}", shown.stdout);
    assert_eq!(world.block_on(cloud.node_group_names(NAME)), groups);

    // The [[moved]] entry is a move already made; the AWS names are kept: nothing to do.
    let again = world.eksforge(&["plan", "bp.toml", "--detailed-exitcode"]);
    assert_eq!(
        again.code,
        0,
        "a plan after state mv is empty:\n{}",
        again.all()
    );
}
