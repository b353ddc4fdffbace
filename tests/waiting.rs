//! Waiting on real-AWS timescales, scaled down: the project's proxy holds the cluster in
//! CREATING, the node group in CREATING and NAT gateways in pending for a while (moto makes them
//! ready at once), then DELETING on destroy. What the API saw, in order, shows that:
//! everything that does not depend on the cluster finished while it was being created; the
//! node group was created only once the cluster was ACTIVE; the cluster was deleted only once
//! its node group was really gone. Progress lines show the waits.

mod support;

use std::time::Duration;

use support::proxy::{Call, Holds};
use support::World;

fn first(calls: &[Call], what: impl Fn(&Call) -> bool) -> Option<&Call> {
    calls.iter().find(|call| what(call))
}

fn last(calls: &[Call], what: impl Fn(&Call) -> bool) -> Option<&Call> {
    calls.iter().rev().find(|call| what(call))
}

#[test]
fn apply_overlaps_work_with_the_cluster_wait_and_destroy_waits_for_deletions() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    world.proxy.hold(Holds {
        cluster: Duration::from_secs(4),
        node_group: Duration::from_secs(2),
        nat_gateway: Duration::from_secs(1),
    });
    let run = world.eksforge(&[
        "apply",
        "hardened.toml",
        "--auto-approve",
        "--poll-max",
        "200ms",
        "--progress-every",
        "1s",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("eks_cluster.main: Still creating... ["),
        "progress while the cluster is CREATING:\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("Apply complete!"), "{}", run.stdout);

    let calls = world.proxy.calls();
    let cluster = |call: &Call| call.action == "GET /clusters/hardened";
    let creating = first(&calls, |c| {
        cluster(c) && c.reported.as_deref() == Some("CREATING")
    })
    .expect("the cluster was seen CREATING");
    let active = first(&calls, |c| {
        cluster(c) && c.reported.as_deref() == Some("ACTIVE")
    })
    .expect("the cluster became ACTIVE")
    .at;
    assert!(creating.at < active);

    // Everything that does not need the cluster was done while it was being created.
    let nat_ready = calls
        .iter()
        .filter(|c| c.action == "DescribeNatGateways" && c.reported.as_deref() == Some("available"))
        .count();
    assert!(
        nat_ready >= 3,
        "each NAT gateway was awaited until available"
    );
    let nats_done = last(&calls, |c| {
        c.action == "DescribeNatGateways" && c.reported.as_deref() == Some("available")
    })
    .unwrap()
    .at;
    assert!(
        nats_done < active,
        "NAT gateways were awaited while the cluster was CREATING"
    );
    assert!(
        calls
            .iter()
            .any(|c| c.action == "DescribeNatGateways" && c.reported.as_deref() == Some("pending")),
        "NATs were seen pending"
    );
    for action in ["CreateLaunchTemplate", "CreateRoute", "CreateDocument"] {
        let done = last(&calls, |c| c.action == action)
            .unwrap_or_else(|| panic!("no {action}"))
            .at;
        assert!(
            done < active,
            "{action} finished while the cluster was being created"
        );
    }
    let node_role_attached = calls
        .iter()
        .filter(|c| c.action == "AttachRolePolicy")
        .count();
    assert!(node_role_attached >= 5);

    // The node group waits for the cluster, and is itself awaited.
    let group_created = first(&calls, |c| {
        c.action == "POST /clusters/hardened/node-groups"
    })
    .expect("node group created")
    .at;
    assert!(
        group_created > active,
        "the node group is created only once the cluster is ACTIVE"
    );
    assert!(calls.iter().any(
        |c| c.action.starts_with("GET /clusters/hardened/node-groups/")
            && c.reported.as_deref() == Some("CREATING")
    ));

    // Destroy waits for the node group to be gone before deleting the cluster.
    world.proxy.reset();
    let run = world.eksforge(&[
        "destroy",
        "hardened.toml",
        "--auto-approve",
        "--allow-replace",
        "eks_cluster.main",
        "--poll-max",
        "200ms",
        "--progress-every",
        "1s",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let calls = world.proxy.calls();
    let deleting = last(&calls, |c| {
        c.action.starts_with("GET /clusters/hardened/node-groups/")
            && c.reported.as_deref() == Some("DELETING")
    })
    .expect("the node group was seen DELETING");
    let cluster_deleted = first(&calls, |c| c.action == "DELETE /clusters/hardened")
        .expect("cluster deleted")
        .at;
    assert!(
        deleting.at < cluster_deleted,
        "the cluster is deleted only after its node group is gone"
    );
    assert!(
        calls
            .iter()
            .any(|c| cluster(c) && c.reported.as_deref() == Some("DELETING")),
        "the cluster deletion was awaited"
    );
}
