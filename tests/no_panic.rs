//! No input makes eksforge panic (issue 15, class 5). A closed standard output or error
//! (`eksforge apply … | head -1`, `schema | head -0`) stops the printing, never the work: an
//! apply finishes and saves its state, checked through EC2 and the state file, and the exit
//! code is the work's own. Durations that overflow, are negative or are longer than a day are
//! refused by the parser with a message of eksforge's own, before any call.

mod support;

use std::io::BufRead;
use std::process::Stdio;
use std::time::Duration;

use support::cloud::Cloud;
use support::{closed_pipe, says, Run, Streams, World};

/// Long enough for a network apply on a loaded machine; only turns a hang into a failure.
const LIMIT: Duration = Duration::from_secs(600);

/// A run that did not panic (a panic exits 101 and prints "panicked", which a closed stderr
/// would swallow: the code is what counts).
fn no_panic(run: &Run, code: i32) {
    assert!(!run.all().contains("panicked"), "panic:\n{}", run.all());
    assert_eq!(run.code, code, "exit code:\n{}", run.all());
}

fn network(world: &World) {
    world.copy_in("blueprints/examples/network.toml", "network.toml");
}

/// The resources the stored state records.
fn recorded(world: &World) -> usize {
    let text = std::fs::read_to_string(world.path("state/network.json")).expect("state saved");
    let state: serde_json::Value = serde_json::from_str(&text).expect("state is JSON");
    state["resources"].as_object().map_or(0, |map| map.len())
}

fn closed_stdout() -> Streams {
    Streams {
        stdout: Some(closed_pipe()),
        ..Streams::default()
    }
}

#[test]
fn commands_into_a_closed_pipe_exit_as_they_would_into_an_open_one() {
    let world = World::new();
    network(&world);
    world.write("broken.toml", "[blueprint]\nname = \"x\"\nregion = 7\n");
    for args in [
        vec!["schema"],
        vec!["--help"],
        vec!["validate", "network.toml"],
        vec!["graph", "network.toml"],
        vec!["audit", "network.toml", "--format", "sarif"],
        vec!["audit", "network.toml"],
        // The error goes to standard error, which is open.
        vec!["validate", "broken.toml"],
    ] {
        let read_to_the_end = world.eksforge(&args);
        assert!(
            !read_to_the_end.all().trim().is_empty(),
            "{args:?} prints something"
        );
        let run = world.eksforge_with_streams(&args, closed_stdout(), LIMIT);
        no_panic(&run, read_to_the_end.code);
    }
}

#[test]
fn an_error_into_a_closed_stderr_still_exits_1() {
    let world = World::new();
    world.write("broken.toml", "[blueprint]\nname = \"x\"\nregion = 7\n");
    for args in [
        vec!["validate", "broken.toml"],
        vec!["plan", "missing.toml"],
        vec!["show", "missing.json"],
    ] {
        let streams = Streams {
            stdout: Some(closed_pipe()),
            stderr: Some(closed_pipe()),
            ..Streams::default()
        };
        no_panic(&world.eksforge_with_streams(&args, streams, LIMIT), 1);
    }
}

#[test]
fn plan_into_a_closed_pipe_keeps_its_detailed_exit_code() {
    let world = World::new();
    network(&world);
    let run = world.eksforge_with_streams(
        &[
            "plan",
            "network.toml",
            "--detailed-exitcode",
            "--out",
            "p.json",
        ],
        closed_stdout(),
        LIMIT,
    );
    no_panic(&run, 2);
    // The saved plan was still written, and is whole.
    let run = world.eksforge(&["show", "p.json"]);
    no_panic(&run, 0);
    assert!(run.stdout.contains("to add"), "{}", run.stdout);
    let run = world.eksforge_with_streams(&["show", "--json", "p.json"], closed_stdout(), LIMIT);
    no_panic(&run, 0);
}

#[test]
fn an_apply_with_its_output_closed_finishes_and_saves_state() {
    let world = World::new();
    network(&world);
    let run = world.eksforge_with_streams(
        &["apply", "network.toml", "--auto-approve"],
        Streams {
            stdout: Some(closed_pipe()),
            stderr: Some(closed_pipe()),
            ..Streams::default()
        },
        LIMIT,
    );
    no_panic(&run, 0);
    let cloud = Cloud::new(world.sdk());
    let (vpcs, subnets, nats) = world.block_on(async {
        (
            cloud.vpcs("network").await.len(),
            cloud.subnets("network").await.len(),
            cloud.available_nat_gateways("network").await,
        )
    });
    assert_eq!((vpcs, subnets, nats), (1, 6, 3), "the whole network exists");
    assert_eq!(recorded(&world), 28, "every resource is recorded");
    // Nothing is left to do: the state matches what AWS has.
    let run = world.eksforge(&["plan", "network.toml", "--detailed-exitcode"]);
    no_panic(&run, 0);

    let state =
        world.eksforge_with_streams(&["state", "pull", "network.toml"], closed_stdout(), LIMIT);
    no_panic(&state, 0);
}

#[test]
fn a_destroy_piped_into_head_goes_on_after_the_first_line() {
    let world = World::new();
    network(&world);
    no_panic(
        &world.eksforge(&["apply", "network.toml", "--auto-approve"]),
        0,
    );

    // `eksforge destroy … | head -1`: the reader takes one line and goes away while eksforge
    // is still writing.
    let mut command = support::eksforge_command(&world.proxy.url(), world.dir.path());
    let mut child = command
        .args(["destroy", "network.toml", "--auto-approve"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run eksforge");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the first line");
    assert!(!first.is_empty(), "eksforge printed a line");
    // The reader is dropped here: the rest of the output meets a closed pipe.
    let run = support::run_bounded_child(child, LIMIT);
    no_panic(&run, 0);

    let cloud = Cloud::new(world.sdk());
    let (vpcs, addresses) = world.block_on(async {
        (
            cloud.vpcs("network").await.len(),
            cloud.addresses("network").await.len(),
        )
    });
    assert_eq!((vpcs, addresses), (0, 0), "everything was deleted");
    assert_eq!(recorded(&world), 0, "and the state says so");
}

#[test]
fn durations_out_of_range_are_refused_by_the_parser_with_a_reason() {
    let world = World::new();
    network(&world);
    let cases = [
        ("18446744073709551615s", "longer than 24 hours"),
        ("18446744073709551615h", "longer than 24 hours"),
        ("18446744073709551616", "longer than 24 hours"),
        ("25h", "longer than 24 hours"),
        ("-1", "a duration cannot be negative: write e.g. 30m"),
        ("-30m", "a duration cannot be negative"),
    ];
    for flag in [
        "--wait-timeout",
        "--lock-timeout",
        "--poll-max",
        "--progress-every",
    ] {
        for (value, reason) in cases {
            let run = world.eksforge(&["apply", "network.toml", "--auto-approve", flag, value]);
            // clap's usage error: exit 2, the value and the flag named.
            no_panic(&run, 2);
            assert!(says(&run.stderr, reason), "{flag} {value}:\n{}", run.stderr);
            assert!(run.stderr.contains(flag), "{flag} {value}:\n{}", run.stderr);
            assert!(
                !run.stderr.contains("-- -1"),
                "{flag} {value}:\n{}",
                run.stderr
            );
        }
    }
    assert_eq!(world.proxy.calls(), vec![], "refused before any call");
    // The longest duration is accepted.
    no_panic(
        &world.eksforge(&["validate", "network.toml", "--wait-timeout", "24h"]),
        0,
    );
}
