//! No input makes eksforge hang (issue 15, class 6). A blueprint, any file of its `extends`
//! chain, a saved plan, a state to push and the state file itself are read only when they are
//! regular files (a symlink to one is fine) no larger than their cap: a FIFO, `/dev/zero`, a
//! directory or an oversized file is refused at once, naming the file. A command that would
//! ask a question (`apply`, `destroy`, `force-unlock`) is refused at once when standard input
//! is not a terminal, before it takes the state lock or makes any call. Every run here has a
//! generous time limit that turns a hang into a failure; nothing asserts how fast it is.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{says, Run, Streams, World};

/// Only turns a hang into a failure.
const LIMIT: Duration = Duration::from_secs(120);

/// The cap of `src/blueprint/limits.rs` (`MAX_BLUEPRINT_FILE_BYTES`).
const BLUEPRINT_CAP: usize = 1 << 20;

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn bounded(world: &World, args: &[&str]) -> Run {
    world.eksforge_with_streams(args, Streams::default(), LIMIT)
}

/// Refused with exit 1, no panic, every `needle` in the message, and no AWS call made.
fn refused(world: &World, args: &[&str], needles: &[&str]) -> Run {
    let run = bounded(world, args);
    assert_eq!(run.code, 1, "{args:?}:\n{}", run.all());
    assert!(
        !run.stderr.contains("panicked"),
        "{args:?}:\n{}",
        run.stderr
    );
    for needle in needles {
        assert!(
            says(&run.stderr, needle),
            "{args:?}: message lacks `{needle}`:\n{}",
            run.stderr
        );
    }
    assert_eq!(
        world.proxy.calls(),
        vec![],
        "{args:?}: an AWS call was made"
    );
    run
}

fn child_extending(world: &World, parent: &str) {
    world.write(
        "child.toml",
        &format!("[blueprint]\nname = \"child\"\nextends = \"{parent}\"\n"),
    );
}

const PARENT: &str =
    "[blueprint]\nname = \"parent\"\nregion = \"eu-west-1\"\n\n[network]\nvpc_cidr = \"10.40.0.0/16\"\n";

#[test]
fn an_extends_that_is_not_a_regular_file_is_refused_naming_it() {
    let world = World::new();
    mkfifo(&world.path("fifo.toml"));
    std::fs::create_dir(world.path("dir.toml")).expect("mkdir");
    for (parent, kind) in [
        ("fifo.toml", "a FIFO (named pipe), not a regular file"),
        ("/dev/zero", "a character device"),
        ("dir.toml", "a directory, not a regular file"),
    ] {
        child_extending(&world, parent);
        for command in ["validate", "plan", "apply"] {
            let mut args = vec![command, "child.toml"];
            if command == "apply" {
                args.push("--auto-approve");
            }
            let run = refused(&world, &args, &[parent, kind, "child.toml:3"]);
            assert!(says(&run.stderr, "extends"), "{}", run.stderr);
        }
    }
}

#[test]
fn an_oversized_extends_is_refused_naming_the_cap() {
    let world = World::new();
    // A valid blueprint padded with a comment past the cap.
    let mut big = String::from(PARENT);
    big.push('#');
    big.push_str(&"x".repeat(BLUEPRINT_CAP));
    big.push('\n');
    world.write("big.toml", &big);
    child_extending(&world, "big.toml");
    refused(
        &world,
        &["validate", "child.toml"],
        &["big.toml", "larger than 1 MiB", "child.toml:3"],
    );
    // Exactly at the cap is fine.
    let mut at_cap = String::from(PARENT);
    at_cap.push('#');
    at_cap.push_str(&"x".repeat(BLUEPRINT_CAP - PARENT.len() - 2));
    at_cap.push('\n');
    assert_eq!(at_cap.len(), BLUEPRINT_CAP);
    world.write("big.toml", &at_cap);
    let run = bounded(&world, &["validate", "child.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn a_symlink_to_a_regular_file_is_followed() {
    let world = World::new();
    world.write("parent.toml", PARENT);
    std::os::unix::fs::symlink(world.path("parent.toml"), world.path("link.toml")).expect("ln");
    child_extending(&world, "link.toml");
    let run = bounded(&world, &["validate", "child.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    std::os::unix::fs::symlink(world.path("child.toml"), world.path("top.toml")).expect("ln");
    let run = bounded(&world, &["validate", "top.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn a_top_level_blueprint_that_is_not_a_regular_file_is_refused() {
    let world = World::new();
    mkfifo(&world.path("fifo.toml"));
    std::fs::create_dir(world.path("dir.toml")).expect("mkdir");
    world.write("big.toml", &"#".repeat(BLUEPRINT_CAP + 1));
    for (path, kind) in [
        ("fifo.toml", "FIFO"),
        ("/dev/zero", "character device"),
        ("dir.toml", "directory"),
        ("big.toml", "larger than 1 MiB"),
    ] {
        for args in [
            vec!["validate", path],
            vec!["plan", path],
            vec!["audit", path],
            vec!["destroy", path, "--auto-approve"],
        ] {
            refused(&world, &args, &[path, kind, "not_a_blueprint_file"]);
        }
    }
}

#[test]
fn plan_files_and_states_that_are_not_regular_files_are_refused() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    mkfifo(&world.path("fifo.json"));
    std::fs::create_dir(world.path("dir.json")).expect("mkdir");
    for (path, kind) in [
        ("fifo.json", "FIFO"),
        ("/dev/zero", "character device"),
        ("dir.json", "directory"),
    ] {
        refused(&world, &["show", path], &[path, kind]);
        refused(&world, &["show", "--json", path], &[path, kind]);
        // Neither a plan nor a blueprint: refused as the blueprint it would then be.
        refused(&world, &["apply", path, "--auto-approve"], &[path, kind]);
        refused(
            &world,
            &["state", "push", "network.toml", path],
            &[path, kind],
        );
    }
    // The state file itself, refused before the lock file is made beside it (a device is left
    // out: a regression would make a lock file in /dev).
    for (path, kind) in [("fifo.json", "FIFO"), ("dir.json", "directory")] {
        for args in [
            vec!["plan", "network.toml", "--state", path],
            vec!["apply", "network.toml", "--auto-approve", "--state", path],
            vec!["state", "list", "network.toml", "--state", path],
        ] {
            refused(&world, &args, &[path, kind, "--state"]);
        }
        assert!(
            !world.path(&format!("{path}.lock")).exists(),
            "{path}: a lock was taken"
        );
    }
    assert!(!world.path("state").exists(), "nothing was written");
}

/// A pipe nobody ever writes to, as standard input (`eksforge apply … < fifo` in a script
/// whose writer never comes): the run must end on its own.
fn silent_stdin() -> (Stdio, std::io::PipeWriter) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    (Stdio::from(reader), writer)
}

#[test]
fn a_question_without_a_terminal_is_refused_before_the_lock_and_any_call() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    for (args, flag) in [
        (vec!["apply", "network.toml"], "--auto-approve"),
        (
            vec!["apply", "network.toml", "--refresh-only"],
            "--auto-approve",
        ),
        (vec!["destroy", "network.toml"], "--auto-approve"),
        (vec!["force-unlock", "network.toml", "some-id"], "--force"),
    ] {
        let (stdin, writer) = silent_stdin();
        let streams = Streams {
            stdin: Some(stdin),
            ..Streams::default()
        };
        let run = world.eksforge_with_streams(&args, streams, LIMIT);
        drop(writer);
        assert_eq!(run.code, 1, "{args:?}:\n{}", run.all());
        assert!(
            says(&run.stderr, "not a terminal"),
            "{args:?}:\n{}",
            run.stderr
        );
        assert!(says(&run.stderr, flag), "{args:?}:\n{}", run.stderr);
        assert_eq!(
            world.proxy.calls(),
            vec![],
            "{args:?}: an AWS call was made"
        );
        // The lock was never taken: not even its directory exists.
        assert!(
            !world.path("state").exists(),
            "{args:?}: the state lock was taken"
        );
    }
    // The apply refusal points at the saved-plan way too.
    let run = bounded(&world, &["apply", "network.toml"]);
    assert!(says(&run.stderr, "--out FILE"), "{}", run.stderr);

    // With the flag the same pipe is no obstacle, and the state lock is free.
    let (stdin, writer) = silent_stdin();
    let streams = Streams {
        stdin: Some(stdin),
        ..Streams::default()
    };
    let run = world.eksforge_with_streams(
        &[
            "apply",
            "network.toml",
            "--auto-approve",
            "--lock-timeout",
            "0s",
        ],
        streams,
        Duration::from_secs(600),
    );
    drop(writer);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn a_saved_plan_applies_without_a_terminal_and_a_terminal_still_gets_the_question() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    let run = world.eksforge(&["plan", "network.toml", "--out", "p.json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    // A saved plan asks nothing, so standard input does not matter.
    let run = world.eksforge_with_streams(
        &["apply", "p.json"],
        Streams::default(),
        Duration::from_secs(600),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let vpcs = |world: &World| {
        world
            .block_on(support::cloud::Cloud::new(world.sdk()).vpcs("network"))
            .len()
    };
    assert_eq!(vpcs(&world), 1, "the plan was applied");

    // A person at a terminal is asked, and "no" changes nothing.
    world.proxy.reset();
    let run = world.eksforge_in_terminal(&["destroy", "network.toml"], "no\n");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("Do you really want to destroy"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Apply cancelled."), "{}", run.stdout);
    assert_eq!(world.proxy.mutating_calls(), vec![]);
    assert_eq!(vpcs(&world), 1, "declined: nothing deleted");
}
