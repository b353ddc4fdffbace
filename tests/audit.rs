//! The posture engine as a user meets it: `audit` over blueprints (text, JSON, SARIF), waivers
//! (in force, expired, invalid), the apply gate against moto (refused before anything exists,
//! as the AWS API shows), and the plan's posture marks.

mod support;

use serde_json::Value as Json;
use support::cloud::Cloud;
use support::World;

const SSM_PREFIX: &str = "/eksforge-test/bottlerocket";

/// The reference blueprint with its public endpoint opened to the whole internet.
fn weak_text() -> String {
    let hardened = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints/hardened.toml"),
    )
    .expect("read hardened.toml");
    let weak = hardened.replacen(
        "endpoint_public = false",
        "endpoint_public = true\npublic_access_cidrs = [\"0.0.0.0/0\"]",
        1,
    );
    assert_ne!(
        weak, hardened,
        "hardened.toml no longer says endpoint_public = false"
    );
    weak
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.starts_with(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no line starts with {needle}"))
}

fn json(run: &support::Run) -> Json {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.all()))
}

fn open_findings(report: &Json, severities: &[&str]) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f.get("waived").is_none())
        .filter(|f| severities.contains(&f["severity"].as_str().unwrap_or("")))
        .map(|f| format!("{} {} {}", f["check"], f["resource"], f["detail"]))
        .collect()
}

/// `sarif` is valid against the official SARIF 2.1.0 schema (`tests/data/README.md`), formats
/// (URIs) included.
fn assert_valid_sarif(sarif: &Json) {
    let schema: Json =
        serde_json::from_str(include_str!("data/sarif-2.1.0.json")).expect("schema parses");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_reference_blueprint_has_no_finding_at_or_above_high() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let run = world.eksforge(&["audit", "hardened.toml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let report = json(&run);
    assert_eq!(report["side"], "desired");
    let blocking = open_findings(&report, &["critical", "high"]);
    assert!(blocking.is_empty(), "{blocking:#?}");
    assert!(
        report["summary"]["passed"].as_u64().unwrap_or(0) > 40,
        "{report}"
    );
    let sarif = world.eksforge(&["audit", "hardened.toml", "--format", "sarif"]);
    assert_eq!(sarif.code, 0, "{}", sarif.all());
    assert_valid_sarif(&json(&sarif));
    // Desired-model audits make no AWS call at all.
    assert!(world.proxy.calls().is_empty(), "{:?}", world.proxy.calls());
}

/// The vendored schema is the official one and does refuse: a tool without a name, a
/// `helpUri` that is not a URI, a level SARIF does not know.
#[test]
fn the_official_sarif_schema_refuses_what_sarif_forbids() {
    let schema: Json =
        serde_json::from_str(include_str!("data/sarif-2.1.0.json")).expect("schema parses");
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let valid = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "eksforge", "rules": [{"id": "EKS-NET-002", "helpUri": "https://example.com/checks.md#eks-net-002"}]}},
            "results": [{"ruleId": "EKS-NET-002", "level": "error", "message": {"text": "x"}}],
        }],
    });
    assert!(validator.is_valid(&valid));
    let mut nameless = valid.clone();
    nameless["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let mut bad_uri = valid.clone();
    bad_uri["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "not a uri at all".into();
    let mut bad_level = valid.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    for (what, document) in [
        ("no tool name", nameless),
        ("helpUri not a URI", bad_uri),
        ("unknown level", bad_level),
    ] {
        assert!(!validator.is_valid(&document), "{what} passed");
    }
}

#[test]
fn a_weak_blueprint_fails_with_findings_located_at_their_keys_in_text_json_and_sarif() {
    let world = World::new();
    let weak = weak_text();
    world.write("weak.toml", &weak);
    let cidr_line = line_of(&weak, "public_access_cidrs");

    let text = world.eksforge(&["audit", "weak.toml"]);
    assert_eq!(text.code, 1, "{}", text.all());
    assert!(
        text.stdout.contains("[HIGH] EKS-NET-002"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(&format!("weak.toml:{cidr_line}:")),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("remediation:"), "{}", text.stdout);

    let report = json(&world.eksforge(&["audit", "weak.toml", "--format", "json"]));
    let net002 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "EKS-NET-002")
        .expect("EKS-NET-002 reported");
    assert_eq!(net002["resource"], "eks_cluster.main");
    assert_eq!(net002["location"]["line"], cidr_line);
    assert_eq!(net002["severity"], "high");

    // --fail-on raises the bar: nothing critical, so exit 0.
    let lenient = world.eksforge(&["audit", "weak.toml", "--fail-on", "critical"]);
    assert_eq!(lenient.code, 0, "{}", lenient.all());

    let sarif_run = world.eksforge(&["audit", "weak.toml", "--format", "sarif"]);
    assert_eq!(sarif_run.code, 1);
    let sarif = json(&sarif_run);
    assert_valid_sarif(&sarif);
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(
        driver["informationUri"], "https://github.com/eksforge/eksforge",
        "the repository Cargo.toml names"
    );
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 62, "every catalog check is a rule");
    let net002 = rules
        .iter()
        .find(|rule| rule["id"] == "EKS-NET-002")
        .expect("the rule");
    assert_eq!(
        net002["helpUri"],
        "https://github.com/eksforge/eksforge/blob/main/docs/checks.md#eks-net-002"
    );
    assert!(
        rules.iter().all(|rule| rule["helpUri"].is_string()),
        "every rule has its help"
    );
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "EKS-NET-002")
        .expect("a result for EKS-NET-002");
    assert_eq!(result["level"], "error");
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "weak.toml");
    assert_eq!(physical["region"]["startLine"], cidr_line);
}

#[test]
fn waivers_accept_until_they_expire_and_bad_ones_are_refused_with_their_line() {
    let world = World::new();
    let weak = weak_text();
    let waived = format!(
        "{weak}\n[[waivers]]\ncheck = \"EKS-NET-002\"\nresource = \"eks_cluster.main\"\nreason = \"office egress until the VPN lands\"\nexpires = 2999-12-31\n"
    );
    world.write("waived.toml", &waived);
    let run = world.eksforge(&["audit", "waived.toml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let report = json(&run);
    let net002 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "EKS-NET-002")
        .expect("still listed");
    assert_eq!(
        net002["waived"]["reason"],
        "office egress until the VPN lands"
    );
    let sarif = json(&world.eksforge(&["audit", "waived.toml", "--format", "sarif"]));
    assert_valid_sarif(&sarif);
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "EKS-NET-002")
        .unwrap();
    assert_eq!(result["suppressions"][0]["kind"], "inSource");

    let expired = waived.replace("expires = 2999-12-31", "expires = 2020-01-31");
    world.write("expired.toml", &expired);
    let run = world.eksforge(&["audit", "expired.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    // The waiver written last (the reference blueprint carries waivers of its own).
    let waiver_line = line_of(&expired, "expires = 2020-01-31") - 4;
    assert!(
        run.stdout.contains("expired on 2020-01-31")
            && run.stdout.contains(&format!("expired.toml:{waiver_line}:")),
        "{}",
        run.stdout
    );

    let unknown = waived.replace("check = \"EKS-NET-002\"", "check = \"EKS-NET-020\"");
    world.write("unknown.toml", &unknown);
    for command in ["validate", "audit", "plan"] {
        let run = world.eksforge(&[command, "unknown.toml"]);
        assert_eq!(run.code, 1, "{command}: {}", run.all());
        assert!(
            run.all().contains("EKS-NET-020") && run.all().contains("not in the posture catalog"),
            "{command}: {}",
            run.all()
        );
        assert!(run.all().contains("unknown.toml:"), "{}", run.all());
    }
    let blank = waived.replace(
        "reason = \"office egress until the VPN lands\"",
        "reason = \" \"",
    );
    world.write("blank.toml", &blank);
    let run = world.eksforge(&["audit", "blank.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.all().contains("has no reason"), "{}", run.all());
    assert!(
        world.proxy.calls().is_empty(),
        "no AWS call for any of these"
    );
}

#[test]
fn the_gate_refuses_before_anything_exists_and_a_waiver_lets_apply_through() {
    let world = World::new();
    let weak = weak_text();
    world.write("hardened.toml", &weak);
    let run = world.eksforge(&[
        "apply",
        "hardened.toml",
        "--auto-approve",
        "--bottlerocket-ssm-prefix",
        SSM_PREFIX,
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.all().contains("EKS-NET-002"), "{}", run.all());
    assert!(run.all().contains("refusing to apply"), "{}", run.all());
    assert!(
        run.all().contains("[[waivers]]"),
        "a ready-to-paste waiver: {}",
        run.all()
    );
    assert!(
        world.proxy.mutating_calls().is_empty(),
        "{:?}",
        world.proxy.mutating_calls()
    );
    let vpcs = world.block_on(Cloud::new(world.sdk()).vpcs("hardened"));
    assert!(vpcs.is_empty(), "nothing was created");

    // An expired waiver refuses as well.
    let expired = format!(
        "{weak}\n[[waivers]]\ncheck = \"EKS-NET-002\"\nreason = \"office egress until the VPN lands\"\nexpires = 2020-01-31\n"
    );
    world.write("hardened.toml", &expired);
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(world.proxy.mutating_calls().is_empty());
    // ... and says so: which waiver, where it is written, and since when, not only "open".
    let waiver_line = expired
        .lines()
        .enumerate()
        .filter(|(_, line)| *line == "[[waivers]]")
        .last()
        .expect("the waiver")
        .0
        + 1;
    for needle in [
        format!("the waiver of EKS-NET-002 (hardened.toml:{waiver_line}:1) expired on 2020-01-31"),
        "it no longer accepts this finding".to_string(),
        "1 of them had a waiver that has expired".to_string(),
        format!("the waiver of EKS-NET-002 at hardened.toml:{waiver_line}:1: if the risk is still accepted, move its `expires` on"),
    ] {
        assert!(run.stderr.contains(&needle), "lacks {needle}: {}", run.stderr);
    }

    // With a waiver in force the same blueprint applies; the finding is listed as waived.
    world.write(
        "hardened.toml",
        &expired.replace("2020-01-31", "2999-12-31"),
    );
    let run = world.eksforge(&[
        "apply",
        "hardened.toml",
        "--auto-approve",
        "--bottlerocket-ssm-prefix",
        SSM_PREFIX,
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("[waived: office egress"),
        "{}",
        run.stdout
    );
    let cluster = world
        .block_on(Cloud::new(world.sdk()).cluster("hardened"))
        .expect("DescribeCluster");
    let vpc_config = cluster.resources_vpc_config().unwrap();
    assert!(vpc_config.endpoint_public_access());
}

#[test]
fn a_plan_marks_the_change_that_weakens_posture() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let run = world.eksforge(&[
        "apply",
        "hardened.toml",
        "--auto-approve",
        "--bottlerocket-ssm-prefix",
        SSM_PREFIX,
    ]);
    assert_eq!(run.code, 0, "{}", run.all());

    world.write("hardened.toml", &weak_text());
    let run = world.eksforge(&[
        "plan",
        "hardened.toml",
        "--bottlerocket-ssm-prefix",
        SSM_PREFIX,
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let weakens = run
        .stdout
        .lines()
        .find(|line| line.contains("! eks_cluster.main") && line.contains("EKS-NET-002 high"));
    assert!(weakens.is_some(), "{}", run.stdout);

    let plan = json(&world.eksforge(&[
        "plan",
        "hardened.toml",
        "--json",
        "--bottlerocket-ssm-prefix",
        SSM_PREFIX,
    ]));
    assert_eq!(plan["format_version"], "1.2");
    let cluster = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "eks_cluster.main")
        .unwrap();
    assert!(
        cluster["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "EKS-NET-002" && f["effect"] == "weakens"),
        "{cluster}"
    );
    assert!(plan["posture"]["findings"].is_array());
}

#[test]
fn auditing_a_cluster_that_does_not_exist_names_the_call() {
    let world = World::new();
    let run = world.eksforge(&["audit", "--cluster", "nope", "--region", "eu-west-1"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.all().contains("DescribeCluster") && run.all().contains("nope"),
        "{}",
        run.all()
    );
    assert!(
        world.proxy.mutating_calls().is_empty(),
        "read-only calls only"
    );
}
