//! Saved plans and machine-readable plans, as CI uses them, against moto and checked through
//! the EC2 API: `plan --out FILE` then `apply FILE` does exactly what the plan said; a stale
//! plan (state moved on, another state, the blueprint changed) or a damaged plan file is
//! refused with zero mutating calls and the state untouched; `plan --json` and
//! `show --json FILE` print the documented format (docs/plan-json.md); `--detailed-exitcode`
//! works with `--out` and `--json`.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::cloud::Cloud;
use support::{says, Run, World};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("not JSON ({error}):\n{text}"))
}

fn ok(run: &Run, code: i32) {
    assert_eq!(
        run.code,
        code,
        "exit code {} (wanted {code}):\n{}",
        run.code,
        run.all()
    );
}

/// `Plan: A to add, C to change, D to destroy.` from a text plan.
fn text_summary(stdout: &str) -> (u64, u64, u64) {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("Plan: "))
        .unwrap_or_else(|| panic!("no summary line:\n{stdout}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 3, "{line}");
    (numbers[0], numbers[1], numbers[2])
}

/// What EC2 has for the blueprint: (VPC CIDRs, subnet CIDRs, available NAT gateways).
fn live(world: &World) -> (BTreeSet<String>, BTreeSet<String>, usize) {
    let cloud = Cloud::new(world.sdk());
    world.block_on(async {
        (
            cloud
                .vpcs("network")
                .await
                .iter()
                .filter_map(|vpc| vpc.cidr_block())
                .map(str::to_string)
                .collect(),
            cloud
                .subnets("network")
                .await
                .iter()
                .filter_map(|subnet| subnet.cidr_block())
                .map(str::to_string)
                .collect(),
            cloud.available_nat_gateways("network").await,
        )
    })
}

/// The `after.cidr_block` of every planned create of `kind` in a plan file.
fn planned_cidrs(plan_file: &Value, kind: &str) -> BTreeSet<String> {
    plan_file["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|change| {
            change["action"] == "create"
                && change["id"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{kind}."))
        })
        .map(|change| change["after"]["cidr_block"].as_str().unwrap().to_string())
        .collect()
}

fn planned_ids(plan_file: &Value) -> BTreeSet<String> {
    plan_file["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_saved_plan_applies_exactly_what_it_says() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");

    // The plan is made with a --var; apply reuses it without being told.
    let run = world.eksforge(&[
        "plan",
        "network.toml",
        "--var",
        "network.nat=single",
        "--out",
        "plans/p.json",
        "--detailed-exitcode",
    ]);
    ok(&run, 2);
    assert!(run.stdout.contains("Saved the plan to plans/p.json. To apply exactly this plan: eksforge apply plans/p.json"), "{}", run.stdout);
    let (add, change, destroy) = text_summary(&run.stdout);
    assert!(add > 0 && change == 0 && destroy == 0, "{}", run.stdout);
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "plan --out changes nothing"
    );
    assert_eq!(live(&world).0.len(), 0, "nothing created by the plan");
    assert!(
        !world.path("state/network.json").exists(),
        "no state written by the plan"
    );

    let text = std::fs::read_to_string(world.path("plans/p.json")).unwrap();
    assert!(
        text.starts_with("{\n  \"eksforge_plan\": 2,"),
        "the magic comes first: {text}"
    );
    let saved = json(&text);
    assert_eq!(saved["blueprint"]["path"], "network.toml");
    assert_eq!(saved["blueprint"]["name"], "network");
    assert_eq!(
        saved["blueprint"]["source_hash"].as_str().unwrap().len(),
        64
    );
    assert_eq!(
        saved["settings"]["vars"],
        serde_json::json!(["network.nat=single"])
    );
    assert_eq!(saved["settings"]["region"], "eu-west-1");
    assert_eq!(saved["settings"]["state_path"], "state/network.json");
    assert_eq!(
        saved["prior_state"],
        serde_json::json!({ "lineage": null, "serial": 0 })
    );
    assert_eq!(
        saved["plan"]["changes"].as_array().unwrap().len() as u64,
        add
    );
    let subnet = saved["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["id"] == "subnet.private.eu-west-1a")
        .unwrap();
    assert_eq!(
        subnet["after"]["vpc_id"],
        serde_json::json!({ "$ref": "vpc.main.id" }),
        "references stay unresolved until apply"
    );

    // `show` renders the same plan from the file, with no AWS call.
    world.proxy.reset();
    let shown = world.eksforge(&["show", "plans/p.json"]);
    ok(&shown, 0);
    assert!(shown.stdout.starts_with("Saved plan plans/p.json: blueprint network (network.toml with --var network.nat=single), made "), "{}", shown.stdout);
    assert!(
        shown
            .stdout
            .contains("against state/network.json (no state yet)"),
        "{}",
        shown.stdout
    );
    // The plan part: `plan` adds the blueprint's posture after it, which `show` (no blueprint
    // evaluation) does not print.
    let plan_text = run.stdout.split("\nSaved the plan").next().unwrap();
    let plan_text = plan_text.split("\n\nPosture ").next().unwrap();
    assert!(
        shown.stdout.trim_end().ends_with(plan_text.trim_end()),
        "show prints the plan as plan did:\n{}\n---\n{plan_text}",
        shown.stdout
    );
    assert!(world.proxy.calls().is_empty(), "show calls no AWS API");

    // No question asked (stdin is closed), exactly the plan applied.
    let run = world.eksforge(&["apply", "plans/p.json"]);
    ok(&run, 0);
    assert!(
        run.stdout
            .starts_with("Applying the saved plan plans/p.json (made "),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("Enter a value"),
        "a saved plan is not confirmed again: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "Apply complete! Resources: {add} added, 0 changed, 0 destroyed."
        )),
        "{}",
        run.stdout
    );
    let (vpcs, subnets, nats) = live(&world);
    assert_eq!(vpcs, planned_cidrs(&saved, "vpc"), "the VPC the plan said");
    assert_eq!(
        subnets,
        planned_cidrs(&saved, "subnet"),
        "the subnets the plan said"
    );
    assert_eq!(nats, 1, "the plan's --var network.nat=single was applied");
    let listed = world.eksforge(&["state", "list", "network.toml"]);
    let recorded: BTreeSet<String> = listed.stdout.lines().map(str::to_string).collect();
    assert_eq!(
        recorded,
        planned_ids(&saved),
        "state records exactly the planned resources"
    );

    // Settled: an empty re-plan (exit 0), saved too; applying it changes nothing.
    let run = world.eksforge(&[
        "plan",
        "network.toml",
        "--var",
        "network.nat=single",
        "--detailed-exitcode",
        "--out",
        "empty.json",
    ]);
    ok(&run, 0);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);
    let empty = json(&std::fs::read_to_string(world.path("empty.json")).unwrap());
    assert_eq!(
        empty["prior_state"]["lineage"].as_str().unwrap().len(),
        36,
        "a uuid: {empty}"
    );
    world.proxy.reset();
    let run = world.eksforge(&["apply", "empty.json"]);
    ok(&run, 0);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "an empty saved plan mutates nothing"
    );

    // The first plan was used up: the state moved on since.
    let run = world.eksforge(&["apply", "plans/p.json"]);
    ok(&run, 1);
    assert!(
        says(&run.stderr, "was created since the plan was made"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_saved_plan_is_refused_once_the_state_moved_on() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    let state = world.path("state/network.json");
    let backup = world.path("state/network.json.backup");

    // Planned with no state; then another apply creates one.
    ok(
        &world.eksforge(&["plan", "network.toml", "--out", "first.json"]),
        0,
    );
    ok(
        &world.eksforge(&[
            "apply",
            "network.toml",
            "--auto-approve",
            "--target",
            "subnet.private.eu-west-1a",
        ]),
        0,
    );

    let refuse = |plan: &str, reason: &str| {
        let before = std::fs::read(&state).unwrap();
        let before_backup = std::fs::read(&backup).ok();
        world.proxy.reset();
        let run = world.eksforge(&["apply", plan]);
        ok(&run, 1);
        assert!(
            says(&run.stderr, &format!("the saved plan {plan} (made ")),
            "{}",
            run.stderr
        );
        assert!(
            says(&run.stderr, "is stale and was not applied"),
            "{}",
            run.stderr
        );
        assert!(
            says(&run.stderr, reason),
            "wanted {reason:?}:\n{}",
            run.stderr
        );
        assert!(
            says(
                &run.stderr,
                &format!("run `eksforge plan network.toml --out {plan}` again")
            ),
            "{}",
            run.stderr
        );
        assert!(
            says(&run.stderr, "eksforge::plan_file::stale"),
            "{}",
            run.stderr
        );
        assert_eq!(
            world.proxy.mutating_calls(),
            vec![],
            "a refused plan makes no mutating call"
        );
        assert_eq!(
            std::fs::read(&state).unwrap(),
            before,
            "the state is unchanged"
        );
        assert_eq!(
            std::fs::read(&backup).ok(),
            before_backup,
            "and so is its backup"
        );
        assert!(!run.stdout.contains("Apply complete"), "{}", run.stdout);
    };
    refuse(
        "first.json",
        "the state at state/network.json was created since the plan was made (now lineage ",
    );

    // Planned against serial N; another apply moves the state to N+1.
    ok(
        &world.eksforge(&["plan", "network.toml", "--out", "second.json"]),
        0,
    );
    let serial = json(&std::fs::read_to_string(world.path("second.json")).unwrap())["prior_state"]
        ["serial"]
        .as_u64()
        .unwrap();
    assert!(serial > 0);
    ok(
        &world.eksforge(&[
            "apply",
            "network.toml",
            "--auto-approve",
            "--target",
            "subnet.private.eu-west-1b",
        ]),
        0,
    );
    let now = json(&std::fs::read_to_string(&state).unwrap())["serial"]
        .as_u64()
        .unwrap();
    refuse("second.json", &format!("the state at state/network.json moved on since the plan was made (serial {serial} then, {now} now)"));

    // Another state altogether (same serial, another lineage).
    ok(
        &world.eksforge(&["plan", "network.toml", "--out", "third.json"]),
        0,
    );
    let mut stored = json(&std::fs::read_to_string(&state).unwrap());
    let lineage = stored["lineage"].as_str().unwrap().to_string();
    stored["lineage"] = Value::from("00000000-0000-4000-8000-000000000000");
    std::fs::write(&state, serde_json::to_string_pretty(&stored).unwrap()).unwrap();
    refuse(
        "third.json",
        &format!("is another one (lineage 00000000-0000-4000-8000-000000000000; the plan was made against lineage {lineage})"),
    );

    // The state file is gone.
    std::fs::rename(&state, world.path("moved.json")).unwrap();
    world.proxy.reset();
    let run = world.eksforge(&["apply", "third.json"]);
    ok(&run, 1);
    assert!(
        says(
            &run.stderr,
            "the state at state/network.json is gone since the plan was made"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(world.proxy.mutating_calls(), vec![]);
    assert!(!state.exists(), "no new state written");

    // Put back as it was: the plan fits again and applies.
    std::fs::rename(world.path("moved.json"), &state).unwrap();
    stored["lineage"] = Value::from(lineage);
    std::fs::write(&state, serde_json::to_string_pretty(&stored).unwrap()).unwrap();
    let run = world.eksforge(&["apply", "third.json"]);
    ok(&run, 0);
    assert!(run.stdout.contains("Apply complete!"), "{}", run.stdout);
}

#[test]
fn a_saved_plan_is_refused_after_the_blueprint_changed() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    ok(
        &world.eksforge(&["plan", "network.toml", "--out", "p.json"]),
        0,
    );

    // Any change to the text counts: what it means is for a new plan to say.
    let original = std::fs::read_to_string(world.path("network.toml")).unwrap();
    world.write("network.toml", &original.replace("azs = 3", "azs = 2"));
    world.proxy.reset();
    let run = world.eksforge(&["apply", "p.json"]);
    ok(&run, 1);
    assert!(
        says(
            &run.stderr,
            "the blueprint network.toml (or a file it extends) changed since the plan was made"
        ),
        "{}",
        run.stderr
    );
    assert!(
        says(
            &run.stderr,
            "run `eksforge plan network.toml --out p.json` again"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(world.proxy.mutating_calls(), vec![], "nothing changed");
    assert!(
        !world.path("state/network.json").exists(),
        "no state written"
    );

    // A blueprint that no longer loads at all.
    world.write("network.toml", "[blueprint\n");
    let run = world.eksforge(&["apply", "p.json"]);
    ok(&run, 1);
    assert!(
        says(
            &run.stderr,
            "the blueprint of the saved plan p.json no longer loads: nothing was changed"
        ),
        "{}",
        run.stderr
    );

    // Flags that would make the apply differ from the plan are refused, not ignored.
    world.write("network.toml", &original);
    let run = world.eksforge(&["apply", "p.json", "--var", "network.nat=single"]);
    ok(&run, 1);
    assert!(
        says(
            &run.stderr,
            "--var network.nat=single (the plan was made with none)"
        ),
        "{}",
        run.stderr
    );
    let run = world.eksforge(&["apply", "p.json", "--target", "vpc.main"]);
    ok(&run, 1);
    assert!(
        says(
            &run.stderr,
            "--target vpc.main (the plan was made for none)"
        ),
        "{}",
        run.stderr
    );
    let run = world.eksforge(&["apply", "p.json", "--region", "us-east-1"]);
    ok(&run, 1);
    assert!(
        says(
            &run.stderr,
            "--region us-east-1 (the plan was made for eu-west-1)"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(world.proxy.mutating_calls(), vec![]);

    // Restored exactly: the plan fits again and applies, from another directory too.
    std::fs::create_dir_all(world.path("elsewhere")).unwrap();
    let run = support::eksforge_command(&world.proxy.url(), &world.path("elsewhere"))
        .args(["apply", "../p.json"])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        world.path("state/network.json").exists(),
        "the state the plan named, not one relative to the new directory"
    );
    assert!(!world.path("elsewhere/state").exists());
}

#[test]
fn damaged_and_unknown_plan_files_are_refused() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    ok(
        &world.eksforge(&["plan", "network.toml", "--out", "p.json"]),
        0,
    );
    let text = std::fs::read_to_string(world.path("p.json")).unwrap();
    world.proxy.reset();

    let check = |name: &str, content: &str, wanted: &[&str]| {
        world.write(name, content);
        for command in [
            vec!["apply", name],
            vec!["show", name],
            vec!["show", "--json", name],
        ] {
            let run = world.eksforge(&command);
            ok(&run, 1);
            for text in wanted {
                assert!(
                    says(&run.stderr, text),
                    "{command:?}: wanted {text:?}:\n{}",
                    run.stderr
                );
            }
            assert!(run.stdout.is_empty(), "{}", run.stdout);
        }
    };
    let mut newer = json(&text);
    newer["eksforge_plan"] = Value::from(3);
    check(
        "newer.json",
        &newer.to_string(),
        &[
            "newer.json is a plan file of format 3; this eksforge reads format 2 only",
            "eksforge::plan_file::unknown_format",
        ],
    );
    check(
        "truncated.json",
        &text[..text.len() / 2],
        &[
            "truncated.json is not an eksforge plan file",
            "eksforge::plan_file::corrupt",
            "run `eksforge plan --out` again",
        ],
    );
    let mut extra = json(&text);
    extra["surprise"] = Value::from(1);
    check(
        "extra.json",
        &extra.to_string(),
        &[
            "extra.json is not an eksforge plan file",
            "unknown field `surprise`",
        ],
    );
    // Edited after it was written: one planned create turned into a delete of nothing, and
    // the view no longer what the body holds. The digest refuses it before any call.
    let mut edited = json(&text);
    edited["plan"]["changes"][0]["action"] = Value::from("delete");
    check(
        "edited.json",
        &serde_json::to_string_pretty(&edited).unwrap(),
        &[
            "edited.json is not an eksforge plan file",
            "it was changed after eksforge wrote it",
            "make the plan again",
        ],
    );
    // The JSON view is for reading, not a plan file.
    let view = world.eksforge(&["plan", "network.toml", "--json"]);
    check(
        "view.json",
        &view.stdout,
        &["view.json is not an eksforge plan file: no `eksforge_plan` field"],
    );

    assert!(
        world.proxy.calls().iter().all(|call| !call.is_mutating()),
        "{:?}",
        world.proxy.calls()
    );
    assert!(!world.path("state/network.json").exists());

    // `show` on a blueprint says what it is.
    let run = world.eksforge(&["show", "network.toml"]);
    ok(&run, 1);
    assert!(
        says(&run.stderr, "it is not JSON (a blueprint?"),
        "{}",
        run.stderr
    );
    let run = world.eksforge(&["show", "missing.json"]);
    ok(&run, 1);
    assert!(
        says(&run.stderr, "could not read the plan file missing.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn plan_json_is_the_documented_format_and_show_json_matches_it() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");

    let text = world.eksforge(&["plan", "network.toml"]);
    ok(&text, 0);
    let (add, change, destroy) = text_summary(&text.stdout);

    // --json with --out and --detailed-exitcode: JSON alone on stdout, the note on stderr.
    let run = world.eksforge(&[
        "plan",
        "network.toml",
        "--json",
        "--out",
        "p.json",
        "--detailed-exitcode",
    ]);
    ok(&run, 2);
    assert!(
        says(&run.stderr, "Saved the plan to p.json."),
        "{}",
        run.stderr
    );
    let view = json(&run.stdout);
    assert_eq!(view["format_version"], "1.2");
    assert_eq!(view["blueprint"], "network");
    assert_eq!(view["mode"], "normal");
    assert_eq!(view["has_changes"], true);
    assert_eq!(view["gone"], serde_json::json!([]));
    assert!(view["notes"].is_array());
    assert_eq!(
        view["summary"],
        serde_json::json!({ "add": add, "change": change, "destroy": destroy, "adopt": 0 })
    );
    let changes = view["changes"].as_array().unwrap();
    assert_eq!(changes.len() as u64, add);
    let ids: Vec<&str> = changes
        .iter()
        .map(|change| change["id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "changes sorted by id");
    let fields = [
        "id",
        "kind",
        "action",
        "actions",
        "cloud_id",
        "before",
        "after",
        "changed",
        "requires_replace",
        "drifted",
        "reason",
        "adopted_via",
        "findings",
    ];
    for change in changes {
        let keys: Vec<&str> = change
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut wanted = fields.to_vec();
        wanted.sort();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort();
        assert_eq!(keys_sorted, wanted, "{change}");
        assert_eq!(change["action"], "create");
        assert_eq!(change["actions"], serde_json::json!(["create"]));
        assert!(change["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}.", change["kind"].as_str().unwrap())));
        assert_eq!(change["before"], Value::Null);
        assert!(change["after"].is_object());
        assert!(change["findings"].is_array(), "{change}");
    }
    let subnet = changes
        .iter()
        .find(|change| change["id"] == "subnet.private.eu-west-1a")
        .unwrap();
    assert_eq!(
        subnet["after"]["vpc_id"],
        serde_json::json!({ "$known_after_apply": "vpc.main.id" })
    );
    assert_eq!(
        subnet["after"]["cidr_block"]
            .as_str()
            .map(|cidr| cidr.starts_with("10.40.")),
        Some(true)
    );

    // show --json of the saved plan is the same document, byte for byte, with no AWS call.
    world.proxy.reset();
    let shown = world.eksforge(&["show", "--json", "p.json"]);
    ok(&shown, 0);
    assert_eq!(shown.stdout, run.stdout);
    assert!(world.proxy.calls().is_empty());

    // After the apply: every resource listed as a no-op, nothing to do, exit 0.
    ok(&world.eksforge(&["apply", "p.json"]), 0);
    let run = world.eksforge(&["plan", "network.toml", "--json", "--detailed-exitcode"]);
    ok(&run, 0);
    let view = json(&run.stdout);
    assert_eq!(view["has_changes"], false);
    assert_eq!(
        view["summary"],
        serde_json::json!({ "add": 0, "change": 0, "destroy": 0, "adopt": 0 })
    );
    let changes = view["changes"].as_array().unwrap();
    assert_eq!(changes.len() as u64, add, "no-ops are listed");
    for change in changes {
        assert_eq!(change["action"], "no-op", "{change}");
        assert!(change["cloud_id"].is_string(), "{change}");
        assert_eq!(
            change["before"]["cidr_block"],
            change["after"]["cidr_block"]
        );
    }
    let vpc = changes
        .iter()
        .find(|change| change["id"] == "vpc.main")
        .unwrap();
    let live_vpcs = live(&world).0;
    assert_eq!(
        live_vpcs,
        BTreeSet::from([vpc["after"]["cidr_block"].as_str().unwrap().to_string()])
    );

    // A change shows as an update with old and new.
    world.write("tagged.toml", "[blueprint]\nname = \"network\"\nextends = \"network.toml\"\n\n[blueprint.tags]\nteam = \"platform\"\n");
    let text = world.eksforge(&["plan", "tagged.toml"]);
    let run = world.eksforge(&["plan", "tagged.toml", "--json", "--detailed-exitcode"]);
    ok(&run, 2);
    let view = json(&run.stdout);
    let (add, change, destroy) = text_summary(&text.stdout);
    assert_eq!(
        view["summary"],
        serde_json::json!({ "add": add, "change": change, "destroy": destroy, "adopt": 0 })
    );
    let vpc = view["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["id"] == "vpc.main")
        .unwrap();
    assert_eq!(vpc["action"], "update");
    assert_eq!(vpc["changed"], serde_json::json!(["tags"]));
    assert_eq!(vpc["before"]["tags"]["team"], Value::Null);
    assert_eq!(vpc["after"]["tags"]["team"], "platform");
}

/// `plan --out` never lands on the user's own files: the blueprint, a file it extends, the
/// state, its backup or lock. Refused before any AWS call, the file left as it was.
#[test]
fn a_plan_is_never_written_over_the_blueprint_or_the_state() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "base.toml");
    world.write("network.toml", "[blueprint]\nextends = \"base.toml\"\n");
    let before = std::fs::read_to_string(world.path("base.toml")).unwrap();
    world.proxy.reset();
    for (out, what) in [
        ("network.toml", "it is the blueprint"),
        (
            "./sub/../base.toml",
            "a file of the blueprint's `extends` chain",
        ),
        ("state/network.json", "it is the state file"),
        ("state/network.json.backup", "the state's backup"),
        ("state/network.json.lock", "the state's lock file"),
    ] {
        std::fs::create_dir_all(world.path("sub")).unwrap();
        let run = world.eksforge(&["plan", "network.toml", "--out", out]);
        ok(&run, 1);
        assert!(
            says(&run.stderr, "refusing to write the plan to"),
            "{}",
            run.stderr
        );
        assert!(says(&run.stderr, what), "{out}: {}", run.stderr);
        assert!(
            says(&run.stderr, "eksforge::plan_file::would_overwrite"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(world.path("base.toml")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read_to_string(world.path("network.toml")).unwrap(),
        "[blueprint]\nextends = \"base.toml\"\n"
    );
    assert!(!world.path("state").exists(), "nothing written");
    assert!(
        world.proxy.calls().is_empty(),
        "no AWS call: {:?}",
        world.proxy.calls()
    );
}
