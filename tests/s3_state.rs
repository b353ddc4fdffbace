//! The S3 state backend as a user runs it, against moto: the state object, the lock object
//! (held, contended, left by a killed run, waited for), `force-unlock`, `state pull/push`,
//! and a missing bucket. Results are checked through the S3 and EC2 APIs (straight to moto,
//! not through the proxy), not only through eksforge's output.
//!
//! moto 5.2 honours `If-None-Match: *` and `If-Match` on PutObject and `If-Match` on
//! DeleteObject (412 `PreconditionFailed`); `moto_honours_s3_conditional_writes` checks that
//! first, so a moto that stops doing so fails there and not in a confusing place. One moto
//! quirk is handled in eksforge itself, without weakening anything: its GetBucketVersioning
//! answer has the root element `GetBucketVersioningResponse` (real S3:
//! `VersioningConfiguration`), which the SDK cannot parse; `S3Backend` then reads `<Status>`
//! from the body.

mod support;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    ServerSideEncryption, VersioningConfiguration,
};
use support::cloud::Cloud;
use support::{eksforge_command, says, World, REGION};

const BUCKET: &str = "eksforge-state";
const KEY: &str = "eksforge/network.json";
const LOCK_KEY: &str = "eksforge/network.json.lock";

fn s3(world: &World) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(world.sdk())
            .force_path_style(true)
            .build(),
    )
}

fn create_bucket(world: &World, versioned: bool) {
    let s3 = s3(world);
    world.block_on(async {
        s3.create_bucket()
            .bucket(BUCKET)
            .create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(REGION))
                    .build(),
            )
            .send()
            .await
            .expect("create bucket");
        if versioned {
            s3.put_bucket_versioning()
                .bucket(BUCKET)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .expect("enable versioning");
        }
    });
}

/// The network example with `[state] backend = "s3"`.
fn blueprint(world: &World) {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/blueprints/examples/network.toml"
    ))
    .expect("network example");
    world.write(
        "network.toml",
        &format!("{source}\n[state]\nbackend = \"s3\"\nbucket = \"{BUCKET}\"\n"),
    );
}

fn world(versioned: bool) -> World {
    let world = World::new();
    create_bucket(&world, versioned);
    blueprint(&world);
    world
}

/// An object's bytes, `None` when it does not exist.
fn object(world: &World, key: &str) -> Option<Vec<u8>> {
    let s3 = s3(world);
    world.block_on(async {
        let output = s3.get_object().bucket(BUCKET).key(key).send().await.ok()?;
        Some(output.body.collect().await.ok()?.into_bytes().to_vec())
    })
}

fn stored_state(world: &World) -> serde_json::Value {
    serde_json::from_slice(&object(world, KEY).expect("the state object exists")).expect("json")
}

fn put_object(world: &World, key: &str, body: &str) {
    let s3 = s3(world);
    world.block_on(async {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send()
            .await
            .expect("put object");
    });
}

fn delete_object(world: &World, key: &str) {
    let s3 = s3(world);
    world.block_on(async {
        s3.delete_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .expect("delete object");
    });
}

fn keys(world: &World) -> Vec<String> {
    let s3 = s3(world);
    world.block_on(async {
        s3.list_objects_v2()
            .bucket(BUCKET)
            .send()
            .await
            .expect("list objects")
            .contents()
            .iter()
            .filter_map(|object| object.key().map(str::to_string))
            .collect()
    })
}

/// VPCs eksforge made for the `network` blueprint.
fn vpcs(world: &World) -> usize {
    world
        .block_on(Cloud::new(world.sdk()).vpcs("network"))
        .len()
}

/// A lock object as another run would leave it.
fn hold_lock(world: &World, id: &str) {
    put_object(
        world,
        LOCK_KEY,
        &serde_json::json!({
            "id": id,
            "who": "alice@ci-runner-7",
            "pid": 4242,
            "command": "apply",
            "created": "2026-08-01T09:30:00Z",
            "backend": format!("s3 state s3://{BUCKET}/{KEY}"),
            "eksforge_version": "0.1.0",
        })
        .to_string(),
    );
}

fn spawn(world: &World, args: &[&str]) -> Child {
    eksforge_command(&world.proxy.url(), world.dir.path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn eksforge")
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn moto_honours_s3_conditional_writes() {
    let world = world(true);
    let s3 = s3(&world);
    world.block_on(async {
        let first = s3
            .put_object()
            .bucket(BUCKET)
            .key("probe")
            .if_none_match("*")
            .body(ByteStream::from_static(b"1"))
            .send()
            .await
            .expect("create");
        let again = s3
            .put_object()
            .bucket(BUCKET)
            .key("probe")
            .if_none_match("*")
            .body(ByteStream::from_static(b"2"))
            .send()
            .await;
        assert_eq!(
            again
                .err()
                .and_then(|e| e.raw_response().map(|r| r.status().as_u16())),
            Some(412),
            "If-None-Match: * on an existing key"
        );
        let stale = s3
            .put_object()
            .bucket(BUCKET)
            .key("probe")
            .if_match("\"not-the-etag\"")
            .body(ByteStream::from_static(b"3"))
            .send()
            .await;
        assert_eq!(
            stale
                .err()
                .and_then(|e| e.raw_response().map(|r| r.status().as_u16())),
            Some(412),
            "If-Match with a stale ETag"
        );
        let etag = first.e_tag().expect("etag").to_string();
        s3.put_object()
            .bucket(BUCKET)
            .key("probe")
            .if_match(&etag)
            .body(ByteStream::from_static(b"4"))
            .send()
            .await
            .expect("If-Match with the current ETag");
        let delete = s3
            .delete_object()
            .bucket(BUCKET)
            .key("probe")
            .if_match(&etag)
            .send()
            .await;
        assert_eq!(
            delete
                .err()
                .and_then(|e| e.raw_response().map(|r| r.status().as_u16())),
            Some(412),
            "DeleteObject If-Match with a stale ETag"
        );
    });
}

#[test]
fn apply_keeps_the_state_in_s3_encrypted_and_releases_the_lock() {
    let world = world(true);
    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!says(&run.stderr, "versioning"), "{}", run.stderr);

    let state = stored_state(&world);
    let resources = state["resources"].as_object().expect("resources").len();
    assert!(resources >= 20, "{resources} resources recorded");
    // One write per finished resource (some batched), so the serial is at least the number
    // of write rounds and never 0.
    assert!(state["serial"].as_u64().unwrap_or(0) >= 1, "{state}");
    assert_eq!(state["blueprint"], "network");
    assert_eq!(
        keys(&world),
        vec![KEY.to_string()],
        "the lock object is gone"
    );
    let s3 = s3(&world);
    let head = world.block_on(s3.head_object().bucket(BUCKET).key(KEY).send());
    assert_eq!(
        head.expect("head").server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert!(
        !world.path("state").exists(),
        "no local state is written next to an S3 state"
    );
    assert_eq!(vpcs(&world), 1);

    // Settled: a re-plan reads the S3 state and changes nothing.
    let serial = state["serial"].clone();
    let run = world.eksforge(&["plan", "network.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(stored_state(&world)["serial"], serial);
}

#[test]
fn a_held_lock_refuses_a_run_naming_the_holder_until_force_unlocked() {
    let world = world(true);
    let id = "6f1c2a4e-0000-4000-8000-000000000001";
    hold_lock(&world, id);

    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    for needle in [
        "alice@ci-runner-7",
        "2026-08-01T09:30:00Z",
        "running `apply`",
        id,
        "force-unlock",
        "s3://eksforge-state/eksforge/network.json",
    ] {
        assert!(
            says(&run.stderr, needle),
            "missing {needle}: {}",
            run.stderr
        );
    }
    assert_eq!(vpcs(&world), 0, "a refused run creates nothing");
    assert!(object(&world, KEY).is_none());

    // The wrong id is refused, naming the holder; "no" keeps the lock.
    let run = world.eksforge(&["force-unlock", "network.toml", "not-the-id", "--force"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(says(&run.stderr, id), "{}", run.stderr);
    let run = world.eksforge_in_terminal(&["force-unlock", "network.toml", id], "no\n");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        object(&world, LOCK_KEY).is_some(),
        "declined: the lock stays"
    );
    // Without a terminal nobody could answer: refused at once, and the lock stays.
    let run = world.eksforge(&["force-unlock", "network.toml", id]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(says(&run.stderr, "--force"), "{}", run.stderr);
    assert!(
        object(&world, LOCK_KEY).is_some(),
        "no terminal: the lock stays"
    );

    let run = world.eksforge_in_terminal(&["force-unlock", "network.toml", id], "yes\n");
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        object(&world, LOCK_KEY).is_none(),
        "the lock object is deleted"
    );
    let run = world.eksforge(&["force-unlock", "network.toml", id, "--force"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(says(&run.stderr, "not locked"), "{}", run.stderr);

    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(vpcs(&world), 1);
}

#[test]
fn of_two_concurrent_applies_exactly_one_proceeds_and_the_other_names_it() {
    let world = world(true);
    // Slow every call down so the winner holds the lock for seconds, not milliseconds.
    world.proxy.set_latency(Duration::from_millis(40));
    let args = ["apply", "network.toml", "--auto-approve"];
    let (first, second) = (spawn(&world, &args), spawn(&world, &args));
    let pids = [first.id(), second.id()];
    let outputs = [
        first.wait_with_output().expect("wait"),
        second.wait_with_output().expect("wait"),
    ];
    let winners: Vec<usize> = (0..2).filter(|&i| outputs[i].status.success()).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one run proceeds:\n--- first\n{}\n--- second\n{}",
        text(&outputs[0]),
        text(&outputs[1])
    );
    let (winner, loser) = (winners[0], 1 - winners[0]);
    assert_eq!(outputs[loser].status.code(), Some(1));
    let refused = String::from_utf8_lossy(&outputs[loser].stderr);
    assert!(
        says(&refused, "is locked by")
            && says(&refused, &format!("(pid {})", pids[winner]))
            && says(&refused, "running `apply`")
            && says(&refused, "lock id"),
        "the refused run names the winner (pid {}): {refused}",
        pids[winner]
    );
    assert_eq!(vpcs(&world), 1, "one VPC: the loser created nothing");
    assert_eq!(keys(&world), vec![KEY.to_string()], "the lock is released");
}

/// The ETag S3 gives an object now.
fn etag(world: &World, key: &str) -> String {
    let s3 = s3(world);
    world.block_on(async {
        s3.head_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .expect("head object")
            .e_tag()
            .expect("an ETag")
            .trim_matches('"')
            .to_string()
    })
}

/// A lock object that is not a lock eksforge wrote leaves a way out: the error names the
/// object and the id `force-unlock` takes for it, which removes exactly that object.
#[test]
fn an_unreadable_lock_object_is_named_with_the_id_that_removes_it() {
    let world = world(true);
    put_object(&world, LOCK_KEY, "\u{0}garbage{ not a lock");
    let id = format!("unreadable-{}", etag(&world, LOCK_KEY));

    let run = world.eksforge(&["plan", "network.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    for needle in [
        "s3://eksforge-state/eksforge/network.json.lock",
        "cannot read",
        &format!("eksforge force-unlock BLUEPRINT {id}"),
    ] {
        assert!(
            says(&run.stderr, needle),
            "missing {needle}: {}",
            run.stderr
        );
    }
    // Printed whole on one line (stderr is not a terminal), ready to copy.
    assert!(
        run.stderr.lines().any(|line| line.contains(&id)),
        "{}",
        run.stderr
    );

    // Another id (a lock id of earlier runs, or a typo) is refused with the right one.
    let run = world.eksforge(&["force-unlock", "network.toml", "some-old-id", "--force"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(says(&run.stderr, &id), "{}", run.stderr);
    assert!(object(&world, LOCK_KEY).is_some(), "the lock stays");

    // The object changed since the id was printed: the id no longer removes it.
    put_object(&world, LOCK_KEY, "other garbage");
    let run = world.eksforge(&["force-unlock", "network.toml", &id, "--force"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let id = format!("unreadable-{}", etag(&world, LOCK_KEY));
    assert!(says(&run.stderr, &id), "{}", run.stderr);
    assert!(object(&world, LOCK_KEY).is_some(), "the new object stays");

    let run = world.eksforge(&["force-unlock", "network.toml", &id, "--force"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        object(&world, LOCK_KEY).is_none(),
        "the lock object is deleted"
    );
    let run = world.eksforge(&["plan", "network.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn a_killed_runs_lock_is_cleared_by_force_unlock_and_apply_then_converges() {
    let world = world(true);
    // Mutating call 1 is the lock object's PutObject; freeze at the 4th (some creates made,
    // maybe a state write) and kill the run there, as a crash would.
    world.proxy.freeze_at(4);
    let mut child = spawn(&world, &["apply", "network.toml", "--auto-approve"]);
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !world.proxy.is_frozen() {
        assert!(Instant::now() < deadline, "the run never froze");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("apply ended ({status}) before freezing");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    world.proxy.thaw();

    let lock: serde_json::Value =
        serde_json::from_slice(&object(&world, LOCK_KEY).expect("the killed run's lock stays"))
            .expect("lock json");
    assert_eq!(lock["pid"], pid);
    let id = lock["id"].as_str().expect("lock id").to_string();

    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        says(&run.stderr, &id) && says(&run.stderr, &format!("(pid {pid})")),
        "{}",
        run.stderr
    );

    let run = world.eksforge(&["force-unlock", "network.toml", &id, "--force"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(vpcs(&world), 1, "adopted, not duplicated");
    let run = world.eksforge(&["plan", "network.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn lock_timeout_waits_for_the_holder_then_proceeds_or_gives_up_naming_it() {
    let world = world(true);
    let id = "6f1c2a4e-0000-4000-8000-000000000002";
    hold_lock(&world, id);

    let started = Instant::now();
    let run = world.eksforge(&["plan", "network.toml", "--lock-timeout", "2s"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(started.elapsed() >= Duration::from_secs(2), "it waited");
    assert!(
        says(&run.stderr, id) && says(&run.stderr, "alice@ci-runner-7"),
        "{}",
        run.stderr
    );

    let started = Instant::now();
    let child = spawn(
        &world,
        &[
            "apply",
            "network.toml",
            "--auto-approve",
            "--lock-timeout",
            "60s",
        ],
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(vpcs(&world), 0, "nothing happens while the lock is held");
    delete_object(&world, LOCK_KEY);
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{}", text(&output));
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert_eq!(vpcs(&world), 1);
    assert!(object(&world, LOCK_KEY).is_none());
}

#[test]
fn state_pull_and_push_round_trip_and_refuse_an_older_or_foreign_state() {
    let world = world(true);
    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());

    let run = world.eksforge(&["state", "pull", "network.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let stored = object(&world, KEY).expect("state object");
    assert_eq!(
        run.stdout.as_bytes(),
        stored.as_slice(),
        "pull prints the object"
    );
    let pulled: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let serial = pulled["serial"].as_u64().expect("serial");

    let push = |state: &serde_json::Value, extra: &[&str]| {
        world.write(
            "pushed.json",
            &serde_json::to_string_pretty(state).expect("json"),
        );
        let mut args = vec!["state", "push", "network.toml", "pushed.json"];
        args.extend_from_slice(extra);
        world.eksforge(&args)
    };

    // A lower serial is refused and the object left as it is.
    let mut older = pulled.clone();
    older["serial"] = (serial - 1).into();
    let run = push(&older, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        says(
            &run.stderr,
            &format!("it already holds serial {serial} of the same lineage")
        ),
        "{}",
        run.stderr
    );
    assert!(says(&run.stderr, "--force"), "{}", run.stderr);
    assert_eq!(object(&world, KEY).expect("state"), stored);

    // Another lineage too.
    let mut foreign = pulled.clone();
    foreign["serial"] = (serial + 5).into();
    foreign["lineage"] = "00000000-0000-4000-8000-000000000000".into();
    let run = push(&foreign, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    // Named as what it is, a different state, not a run's state replaced under it.
    assert!(
        says(&run.stderr, "`pushed.json` to state `s3://eksforge-state/eksforge/network.json`: it is another state (lineage 00000000-0000-4000-8000-000000000000)")
            && !says(&run.stderr, "since this run read it"),
        "{}",
        run.stderr
    );
    assert!(says(&run.stderr, "--force"), "{}", run.stderr);
    assert_eq!(object(&world, KEY).expect("state"), stored);

    // A newer serial of the same lineage is pushed.
    let mut newer = pulled.clone();
    newer["serial"] = (serial + 1).into();
    let run = push(&newer, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(stored_state(&world)["serial"], serial + 1);

    // --force replaces even an older one.
    let run = push(&older, &["--force"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(stored_state(&world)["serial"], serial - 1);

    // Push takes the lock.
    hold_lock(&world, "6f1c2a4e-0000-4000-8000-000000000003");
    let run = push(&newer, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(says(&run.stderr, "is locked by"), "{}", run.stderr);
    assert_eq!(stored_state(&world)["serial"], serial - 1);
    assert!(keys(&world).iter().all(|key| key == KEY || key == LOCK_KEY));
}

#[test]
fn a_missing_bucket_is_a_clear_error_and_nothing_is_created() {
    let world = World::new();
    blueprint(&world);
    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    for needle in [
        "NoSuchBucket",
        "s3://eksforge-state",
        "GetBucketVersioning",
        "create it",
        "enable versioning",
    ] {
        assert!(
            says(&run.stderr, needle),
            "missing {needle}: {}",
            run.stderr
        );
    }
    assert_eq!(vpcs(&world), 0);
    assert!(
        world.proxy.mutating_calls().is_empty(),
        "no mutating call: {:?}",
        world.proxy.mutating_calls()
    );
}

#[test]
fn an_unversioned_bucket_works_with_a_warning() {
    let world = world(false);
    let run = world.eksforge(&["plan", "network.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr
            .contains("Warning: versioning is off on bucket `eksforge-state`")
            && says(&run.stderr, "put-bucket-versioning"),
        "{}",
        run.stderr
    );
}

#[test]
fn force_unlock_and_state_pull_push_work_for_local_state_too() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());

    // A killed run leaves its holder information in the lock file but no OS lock.
    let id = "6f1c2a4e-0000-4000-8000-000000000004";
    let lock_file = world.path("state/network.json.lock");
    std::fs::write(
        &lock_file,
        serde_json::json!({
            "id": id, "who": "bob@laptop", "pid": 999_999, "command": "apply",
            "created": "2026-08-01T09:30:00Z", "backend": "local state state/network.json",
        })
        .to_string(),
    )
    .expect("write lock file");
    let run = world.eksforge_in_terminal(&["force-unlock", "network.toml", id], "yes\n");
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(std::fs::read_to_string(&lock_file).expect("lock file"), "");

    let run = world.eksforge(&["state", "pull", "network.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let stored = std::fs::read_to_string(world.path("state/network.json")).expect("state");
    assert_eq!(run.stdout, stored);
    let mut state: serde_json::Value = serde_json::from_str(&stored).expect("json");
    let serial = state["serial"].as_u64().expect("serial");
    state["serial"] = (serial - 1).into();
    world.write("older.json", &state.to_string());
    let run = world.eksforge(&["state", "push", "network.toml", "older.json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(
        std::fs::read_to_string(world.path("state/network.json")).expect("state"),
        stored
    );
    let run = world.eksforge(&["state", "push", "network.toml", "older.json", "--force"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let now: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(world.path("state/network.json")).expect("state"),
    )
    .expect("json");
    assert_eq!(now["serial"], serial - 1);
    assert_eq!(
        std::fs::read_to_string(world.path("state/network.json.backup")).expect("backup"),
        stored,
        "the replaced state is kept as the backup"
    );
}
