//! The cluster's deletion protection and support policy, end to end on the emulator and
//! checked through the EKS, EC2 and IAM APIs: both read back after apply (and the default
//! Kubernetes version is the calendar's); changing them in the blueprint updates the cluster in
//! place, one UpdateClusterConfig per kind of change (ListUpdates, DescribeUpdate); `destroy`
//! of a protected cluster is refused before any change, naming the key and the consent, and with
//! `--allow-replace eks_cluster.main` turns protection off first and leaves nothing; a cluster
//! protected by hand shows as drift and is refused by `destroy` too.
//!
//! The blueprints are small (network and cluster, no node groups) so each apply is quick.

mod support;

use aws_sdk_eks::types::{SupportType, UpdateStatus, UpdateType};
use eksforge::blueprint::date::Date;
use eksforge::blueprint::kubernetes_calendar;
use support::cloud::{Cloud, Select};
use support::World;

const NAME: &str = "guarded";

/// A network and a cluster with these `[cluster]` lines, the version left to its default.
fn blueprint(cluster_lines: &str) -> String {
    support::small_cluster(NAME, "10.60.0.0/16", &format!("{cluster_lines}\n"))
}

/// The updates EKS recorded for the cluster, oldest first, with their type, status and values.
async fn updates(cloud: &Cloud) -> Vec<(UpdateType, UpdateStatus, Vec<String>)> {
    support::cloud::eks_updates(&cloud.eks, NAME, None)
        .await
        .iter()
        .map(|update| {
            (
                update.r#type().expect("update type").clone(),
                update.status().expect("update status").clone(),
                update
                    .params()
                    .iter()
                    .filter_map(|param| param.value().map(str::to_string))
                    .collect(),
            )
        })
        .collect()
}

/// `(deletionProtection, upgradePolicy.supportType)` as DescribeCluster reports them.
async fn protection_and_support(cloud: &Cloud) -> (Option<bool>, Option<SupportType>) {
    let cluster = cloud.cluster(NAME).await.expect("the cluster exists");
    (
        cluster.deletion_protection(),
        cluster
            .upgrade_policy()
            .and_then(|policy| policy.support_type())
            .cloned(),
    )
}

/// What a destroy refused for the protected cluster must say, with nothing changed.
fn assert_destroy_refused(world: &World, cloud: &Cloud) {
    world.proxy.reset();
    let run = world.eksforge(&["destroy", "guarded.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "destroy must be refused:\n{}", run.all());
    let message = support::flat(&run.stderr);
    for wanted in [
        "refusing a plan that destroys protected resources",
        &format!("eks_cluster.main (cluster {NAME}) has EKS deletion protection on"),
        "cluster.deletion_protection",
        "--allow-replace eks_cluster.main",
    ] {
        assert!(message.contains(wanted), "{wanted}:\n{message}");
    }
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "refused before any change"
    );
    world.block_on(async {
        assert!(
            cloud.cluster(NAME).await.is_some(),
            "the cluster is still there"
        );
        assert_eq!(
            cloud.vpcs(Select::blueprint(NAME)).await.len(),
            1,
            "the VPC is still there"
        );
    });
}

/// `destroy --allow-replace eks_cluster.main`: protection off (waited for), then everything
/// deleted, checked through EKS, EC2 and IAM.
fn assert_consented_destroy_leaves_nothing(world: &World, cloud: &Cloud) {
    world.proxy.reset();
    let run = world.eksforge(&[
        "destroy",
        "guarded.toml",
        "--auto-approve",
        "--allow-replace",
        "eks_cluster.main",
    ]);
    assert_eq!(run.code, 0, "destroy with consent:\n{}", run.all());
    assert!(
        run.stdout
            .contains("eks_cluster.main has EKS deletion protection on"),
        "the plan says protection is lifted first:\n{}",
        run.stdout
    );
    let calls = world.proxy.calls();
    let position = |action: &str| calls.iter().position(|call| call.action == action);
    let lifted = position(&format!("POST /clusters/{NAME}/update-config"))
        .expect("protection turned off with UpdateClusterConfig");
    let deleted = position(&format!("DELETE /clusters/{NAME}")).expect("the cluster was deleted");
    assert!(lifted < deleted, "protection is off before DeleteCluster");
    world.block_on(async {
        assert!(cloud.cluster(NAME).await.is_none(), "no cluster");
        assert!(
            cloud.vpcs(Select::blueprint(NAME)).await.is_empty(),
            "no VPC tagged eksforge:blueprint={NAME}"
        );
        let roles: Vec<String> = cloud
            .role_names()
            .await
            .into_iter()
            .filter(|role| role.starts_with(&format!("{NAME}-")))
            .collect();
        assert_eq!(roles, Vec::<String>::new(), "no role of the blueprint");
    });
    let run = world.eksforge(&["state", "list", "guarded.toml"]);
    assert_eq!(run.stdout.trim(), "", "state empty after destroy");
}

#[test]
fn protection_and_support_policy_read_back_change_in_place_and_guard_destroy() {
    let world = World::new();
    let cloud = Cloud::new(world.sdk());
    world.write("guarded.toml", &blueprint("deletion_protection = true"));
    let run = world.eksforge(&["apply", "guarded.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());

    // Protected, on standard support, and on the calendar's default version.
    world.block_on(async {
        assert_eq!(
            protection_and_support(&cloud).await,
            (Some(true), Some(SupportType::Standard))
        );
        let cluster = cloud.cluster(NAME).await.expect("the cluster exists");
        assert_eq!(
            cluster.version(),
            Some(kubernetes_calendar::newest_in_standard_support(
                Date::today()
            )),
            "the default version is the newest in standard support"
        );
        assert!(updates(&cloud).await.is_empty(), "created as asked");
    });
    let run = world.eksforge(&["plan", "guarded.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "the re-plan is empty:\n{}", run.all());

    // Protection off and extended support, in one apply: two updates of their own, in place.
    world.write(
        "guarded.toml",
        &blueprint("deletion_protection = false\nupgrade_policy = \"EXTENDED\""),
    );
    world.proxy.reset();
    let run = world.eksforge(&["apply", "guarded.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    assert!(
        run.stdout.contains("deletion_protection = true → false"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("upgrade_policy = \"STANDARD\" → \"EXTENDED\""),
        "{}",
        run.stdout
    );
    assert!(
        !world
            .proxy
            .mutating_calls()
            .iter()
            .any(|call| call.action == format!("DELETE /clusters/{NAME}")),
        "updated in place, not replaced"
    );
    world.block_on(async {
        assert_eq!(
            protection_and_support(&cloud).await,
            (Some(false), Some(SupportType::Extended))
        );
        let mut updates = updates(&cloud).await;
        updates.sort_by_key(|(kind, ..)| kind.as_str().to_string());
        let kinds: Vec<(UpdateType, UpdateStatus)> = updates
            .iter()
            .map(|(kind, status, _)| (kind.clone(), status.clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    UpdateType::DeletionProtectionUpdate,
                    UpdateStatus::Successful
                ),
                (UpdateType::UpgradePolicyUpdate, UpdateStatus::Successful),
            ],
            "one UpdateClusterConfig per kind of change, and only those the plan showed"
        );
        assert_eq!(updates[0].2, ["false"], "{updates:?}");
        assert!(
            updates[1].2.iter().any(|value| value.contains("EXTENDED")),
            "{updates:?}"
        );
    });

    // Back on: the third update, protection read back on.
    world.write(
        "guarded.toml",
        &blueprint("deletion_protection = true\nupgrade_policy = \"EXTENDED\""),
    );
    let run = world.eksforge(&["apply", "guarded.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    world.block_on(async {
        assert_eq!(
            protection_and_support(&cloud).await,
            (Some(true), Some(SupportType::Extended))
        );
        let updates = updates(&cloud).await;
        assert_eq!(updates.len(), 3, "{updates:?}");
        assert!(
            updates.contains(&(
                UpdateType::DeletionProtectionUpdate,
                UpdateStatus::Successful,
                vec!["true".to_string()]
            )),
            "{updates:?}"
        );
    });
    let run = world.eksforge(&["plan", "guarded.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "the re-plan is empty:\n{}", run.all());

    assert_destroy_refused(&world, &cloud);
    assert_consented_destroy_leaves_nothing(&world, &cloud);
}

#[test]
fn a_cluster_protected_by_hand_is_drift_and_destroy_refuses_it() {
    let world = World::new();
    let cloud = Cloud::new(world.sdk());
    world.write("guarded.toml", &blueprint("deletion_protection = false"));
    let run = world.eksforge(&["apply", "guarded.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    world.block_on(async {
        assert_eq!(
            protection_and_support(&cloud).await,
            (Some(false), Some(SupportType::Standard))
        );
        // Someone turns protection on outside eksforge.
        cloud
            .eks
            .update_cluster_config()
            .name(NAME)
            .deletion_protection(true)
            .send()
            .await
            .expect("UpdateClusterConfig");
        assert_eq!(protection_and_support(&cloud).await.0, Some(true));
    });

    let run = world.eksforge(&["plan", "guarded.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "the plan has changes:\n{}", run.all());
    let line = run
        .stdout
        .lines()
        .find(|line| line.contains("deletion_protection = true → false"))
        .unwrap_or_else(|| panic!("the drift is shown:\n{}", run.stdout));
    assert!(line.contains("# changed outside eksforge"), "{line}");
    assert!(
        run.stdout.contains("now cluster deletion protection off"),
        "the posture marks the change the blueprint asks for:\n{}",
        run.stdout
    );

    // The live protection counts, whatever the blueprint says.
    assert_destroy_refused(&world, &cloud);
    assert_consented_destroy_leaves_nothing(&world, &cloud);
}
