//! Ctrl-C during an apply: the proxy holds the cluster in CREATING (moto makes it ACTIVE at
//! once) while everything that does not need the cluster finishes; then SIGINT. eksforge
//! starts nothing new, lets the running cluster create finish, saves state and exits 1
//! saying so; a second Ctrl-C stops waiting at once. Either way a second apply converges
//! with an empty re-plan and no twin.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::cloud::Cloud;
use support::proxy::Holds;
use support::{eksforge_command, World};

const FAST: [&str; 4] = ["--poll-max", "200ms", "--progress-every", "1s"];

fn sigint(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -INT failed");
}

/// Starts `apply` with its output in files (read after it ends).
fn start_apply(world: &World) -> Child {
    let stdout = std::fs::File::create(world.path("apply.out")).expect("stdout file");
    let stderr = std::fs::File::create(world.path("apply.err")).expect("stderr file");
    eksforge_command(&world.proxy.url(), world.dir.path())
        .args(["apply", "hardened.toml", "--auto-approve"])
        .args(FAST)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("spawn eksforge")
}

/// Waits until the cluster is being created and no mutating call came for a while: all
/// that does not need the cluster is done, only the cluster wait runs.
fn wait_for_the_cluster_wait(world: &World, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        assert!(Instant::now() < deadline, "the cluster wait never came");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("apply ended ({status}) before the cluster wait");
        }
        let calls = world.proxy.calls();
        let creating = calls.iter().any(|c| {
            c.action == "GET /clusters/hardened" && c.reported.as_deref() == Some("CREATING")
        });
        let quiet = calls
            .iter()
            .rev()
            .find(|c| c.is_mutating())
            .is_some_and(|c| c.at.elapsed() > Duration::from_millis(1500));
        if creating && quiet {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> (i32, Duration) {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return (status.code().unwrap_or(-1), started.elapsed());
        }
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("apply did not exit within {within:?} of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn state_ids(world: &World) -> Vec<String> {
    let run = world.eksforge(&["state", "list", "hardened.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    run.stdout.lines().map(str::to_string).collect()
}

fn converges(world: &World) {
    world.proxy.hold(Holds::default());
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve", FAST[0], FAST[1]]);
    assert_eq!(run.code, 0, "second apply:\n{}", run.all());
    let run = world.eksforge(&["plan", "hardened.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "not settled:\n{}", run.all());
    let cloud = Cloud::new(world.sdk());
    let (clusters, vpcs) = world.block_on(async {
        (
            cloud.cluster_names().await.len(),
            cloud.vpcs_but_the_default().await.len(),
        )
    });
    assert_eq!((clusters, vpcs), (1, 1), "no twin cluster or VPC");
}

#[test]
fn ctrl_c_starts_nothing_new_finishes_what_runs_and_saves_state() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let hold = Duration::from_secs(8);
    world.proxy.hold(Holds {
        cluster: hold,
        ..Holds::default()
    });
    let mut child = start_apply(&world);
    wait_for_the_cluster_wait(&world, &mut child);
    let signalled = Instant::now();
    sigint(&child);
    // The running cluster create is finished (at most the rest of the hold), nothing else.
    let (code, took) = wait_exit(&mut child, hold + Duration::from_secs(30));
    let stdout = std::fs::read_to_string(world.path("apply.out")).unwrap_or_default();
    let stderr = std::fs::read_to_string(world.path("apply.err")).unwrap_or_default();
    assert_eq!(code, 1, "exit status after Ctrl-C\n{stdout}\n{stderr}");
    eprintln!("exited {:.1}s after Ctrl-C", took.as_secs_f64());
    assert!(
        stdout.contains("Stopping: interrupted") && stdout.contains("Interrupted (Ctrl-C)"),
        "says it was interrupted:\n{stdout}"
    );
    assert!(
        stdout.contains("state was saved"),
        "says state was saved:\n{stdout}"
    );
    // Nothing started after the signal: no progress line opens an operation after it...
    let after_stop = stdout
        .split("Stopping: interrupted")
        .nth(1)
        .unwrap_or_default();
    assert!(
        !after_stop.contains("Creating..."),
        "an operation started after Ctrl-C:\n{after_stop}"
    );
    // ...and on the wire, no call that changes anything came after it.
    let late: Vec<String> = world
        .proxy
        .mutating_calls()
        .into_iter()
        .filter(|c| c.at > signalled)
        .map(|c| c.action)
        .collect();
    assert!(late.is_empty(), "mutating calls after Ctrl-C: {late:?}");
    assert!(
        stdout.contains("eks_cluster.main: Creation complete"),
        "the running cluster create was finished:\n{stdout}"
    );

    let ids = state_ids(&world);
    for recorded in ["vpc.main", "eks_cluster.main", "kms_key.secrets"] {
        assert!(
            ids.iter().any(|id| id == recorded),
            "{recorded} in state: {ids:?}"
        );
    }
    assert!(
        !ids.iter().any(|id| id.starts_with("eks_node_group.")),
        "the node group was never started: {ids:?}"
    );
    converges(&world);
}

#[test]
fn a_second_ctrl_c_stops_waiting_and_the_next_apply_adopts_what_was_abandoned() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    world.proxy.hold(Holds {
        cluster: Duration::from_secs(300),
        ..Holds::default()
    });
    let mut child = start_apply(&world);
    wait_for_the_cluster_wait(&world, &mut child);
    sigint(&child);
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().ok().flatten().is_none(),
        "the first Ctrl-C waits for the running work"
    );
    sigint(&child);
    let (code, took) = wait_exit(&mut child, Duration::from_secs(10));
    let stdout = std::fs::read_to_string(world.path("apply.out")).unwrap_or_default();
    assert_eq!(code, 1, "{stdout}");
    eprintln!("exited {:.1}s after the second Ctrl-C", took.as_secs_f64());
    assert!(
        stdout.contains("No longer awaited (Ctrl-C twice): eks_cluster.main"),
        "names what it stopped waiting for:\n{stdout}"
    );
    let ids = state_ids(&world);
    assert!(ids.iter().any(|id| id == "vpc.main"), "{ids:?}");
    assert!(
        !ids.iter().any(|id| id == "eks_cluster.main"),
        "the abandoned cluster is not recorded: {ids:?}"
    );
    // It exists, carries its tags, and is adopted instead of made twice.
    converges(&world);
}
