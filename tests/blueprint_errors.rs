//! Broken blueprints, one per way to get a blueprint wrong: each must fail with the right
//! diagnostic code, name the problem, point at file:line:column, and render the same way as its
//! snapshot (`tests/snapshots/blueprint_errors__*.snap`).

use std::path::Path;

use eksforge::blueprint::{load, BlueprintError};
use miette::{GraphicalReportHandler, GraphicalTheme};

const BROKEN: &str = "tests/fixtures/blueprints/broken";

struct Case {
    /// Snapshot name.
    name: &'static str,
    /// File under `BROKEN`.
    file: &'static str,
    vars: &'static [&'static str],
    /// Expected diagnostic codes of the problems, in order.
    codes: &'static [&'static str],
    /// `file:line:column` of the first problem, as rendered.
    at: &'static str,
    /// Text the rendered diagnostic must contain.
    needles: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "syntax_error",
        file: "syntax.toml",
        vars: &[],
        codes: &["eksforge::blueprint::syntax"],
        at: "broken/syntax.toml:5:17",
        needles: &["invalid TOML", "strings need double quotes: `vpc_cidr = \"10.40.0.0/16\"`"],
    },
    Case {
        name: "wrong_type",
        file: "wrong_type.toml",
        vars: &[],
        codes: &["eksforge::blueprint::wrong_type"],
        at: "broken/wrong_type.toml:6:18",
        needles: &["`network.public_subnets`", "expected a boolean", "the string \"yes\""],
    },
    Case {
        name: "unquoted_version",
        file: "unquoted_version.toml",
        vars: &[],
        codes: &["eksforge::blueprint::wrong_type"],
        at: "broken/unquoted_version.toml:8:11",
        needles: &["`cluster.version`", "expected a string", "double quotes"],
    },
    Case {
        name: "unknown_key",
        file: "unknown_key.toml",
        vars: &[],
        codes: &["eksforge::blueprint::unknown_key"],
        at: "broken/unknown_key.toml:5:1",
        needles: &["unknown key `vpc_cdir` in `network`", "`vpc_cidr`, `azs`", "did you mean `vpc_cidr`?"],
    },
    Case {
        name: "unknown_section",
        file: "unknown_section.toml",
        vars: &[],
        codes: &["eksforge::blueprint::unknown_section"],
        at: "broken/unknown_section.toml:4:2",
        needles: &["unknown section `netwrok`", "did you mean `network`?"],
    },
    Case {
        name: "unknown_value",
        file: "unknown_value.toml",
        vars: &[],
        codes: &["eksforge::blueprint::unknown_value"],
        at: "broken/unknown_value.toml:6:7",
        needles: &["unknown value \"per_az\" for `network.nat`", "did you mean \"per-az\"?"],
    },
    Case {
        name: "missing_key",
        file: "missing_key.toml",
        vars: &[],
        codes: &["eksforge::blueprint::missing_key"],
        at: "broken/missing_key.toml:4:1",
        needles: &["missing key `vpc_cidr` in `network`", "vpc_cidr = \"10.40.0.0/16\""],
    },
    Case {
        name: "bad_cidr",
        file: "bad_cidr.toml",
        vars: &[],
        codes: &["eksforge::blueprint::vpc_cidr"],
        at: "broken/bad_cidr.toml:5:12",
        needles: &["`10.40.0.0` is not an IPv4 CIDR", "prefix length"],
    },
    Case {
        name: "host_bits",
        file: "host_bits.toml",
        vars: &[],
        codes: &["eksforge::blueprint::vpc_cidr"],
        at: "broken/host_bits.toml:5:12",
        needles: &["host bits set", "did you mean \"10.40.0.0/16\"?"],
    },
    Case {
        name: "impossible_carve",
        file: "impossible_carve.toml",
        vars: &[],
        codes: &["eksforge::blueprint::carve"],
        at: "broken/impossible_carve.toml:5:12",
        needles: &["too small for 6 AZs", "/27", "/30", "/22"],
    },
    Case {
        name: "overlapping_subnets",
        file: "overlapping_cidrs.toml",
        vars: &[],
        codes: &["eksforge::blueprint::subnet_cidrs"],
        at: "broken/overlapping_cidrs.toml:8:42",
        needles: &["subnet 10.40.32.0/20 overlaps 10.40.0.0/18", "overlapped subnet"],
    },
    Case {
        name: "one_az",
        file: "one_az.toml",
        vars: &[],
        codes: &["eksforge::blueprint::azs"],
        at: "broken/one_az.toml:6:7",
        needles: &["azs = 1", "2 to 6"],
    },
    Case {
        name: "bad_az_name",
        file: "bad_az_name.toml",
        vars: &[],
        codes: &["eksforge::blueprint::azs"],
        at: "broken/bad_az_name.toml:7:22",
        needles: &["\"us-east-1b\" is not an availability zone of eu-west-1", "eu-west-1a"],
    },
    Case {
        name: "nat_without_public_subnets",
        file: "nat_without_public.toml",
        vars: &[],
        codes: &["eksforge::blueprint::nat"],
        at: "broken/nat_without_public.toml:6:7",
        needles: &["needs public subnets", "public_subnets = true"],
    },
    Case {
        name: "bad_name",
        file: "bad_name.toml",
        vars: &[],
        codes: &["eksforge::blueprint::name"],
        at: "broken/bad_name.toml:2:8",
        needles: &["invalid blueprint name \"Prod_EU-\"", "\"prod-eu\""],
    },
    Case {
        name: "min_greater_than_desired",
        file: "min_gt_desired.toml",
        vars: &[],
        codes: &["eksforge::blueprint::node_group_sizes"],
        at: "broken/min_gt_desired.toml:10:12",
        needles: &["min_size (3) is larger than desired_size (2)", "min_size ≤ desired_size ≤ max_size"],
    },
    Case {
        name: "duplicate_node_group",
        file: "duplicate_node_group.toml",
        vars: &[],
        codes: &["eksforge::blueprint::duplicate_node_group"],
        at: "broken/duplicate_node_group.toml:15:8",
        needles: &["node group \"system\" is defined twice", "first defined here"],
    },
    Case {
        name: "extends_missing",
        file: "extends_missing.toml",
        vars: &[],
        codes: &["eksforge::blueprint::extends_missing"],
        at: "broken/extends_missing.toml:2:11",
        needles: &["does-not-exist.toml` not found", "relative to the directory"],
    },
    Case {
        name: "extends_cycle",
        file: "cycle_a.toml",
        vars: &[],
        codes: &["eksforge::blueprint::extends_cycle"],
        at: "broken/cycle_b.toml:2:11",
        needles: &["broken/cycle_a.toml → tests/fixtures/blueprints/broken/cycle_b.toml → tests/fixtures/blueprints/broken/cycle_a.toml"],
    },
    Case {
        name: "empty_file",
        file: "empty.toml",
        vars: &[],
        codes: &["eksforge::blueprint::empty"],
        at: "broken/empty.toml:1:1",
        needles: &["is empty", "eksforge init"],
    },
    Case {
        name: "binary_garbage",
        file: "binary.toml",
        vars: &[],
        codes: &["eksforge::blueprint::not_text"],
        at: "broken/binary.toml:1:1",
        needles: &["not a TOML text file", "0x89"],
    },
    Case {
        name: "var_without_equals",
        file: "valid.toml",
        vars: &["network.nat"],
        codes: &["eksforge::blueprint::bad_var"],
        at: "--var network.nat:1:1",
        needles: &["invalid --var `network.nat`: expected KEY=VALUE"],
    },
    Case {
        name: "var_unknown_index",
        file: "valid.toml",
        vars: &["node_groups.5.desired_size=3"],
        codes: &["eksforge::blueprint::bad_var"],
        at: "--var node_groups.5.desired_size=3:1:13",
        needles: &["unknown index 5", "`node_groups` has 1 entry", "from 0 to 0"],
    },
    Case {
        name: "var_unknown_value",
        file: "valid.toml",
        vars: &["network.nat=bogus"],
        codes: &["eksforge::blueprint::unknown_value"],
        at: "--var network.nat=bogus:1:13",
        needles: &["unknown value \"bogus\" for `network.nat`"],
    },
    Case {
        name: "var_unknown_key",
        file: "valid.toml",
        vars: &["network.natt=single"],
        codes: &["eksforge::blueprint::unknown_key"],
        at: "--var network.natt=single:1:9",
        needles: &["unknown key `natt`", "did you mean `nat`?"],
    },
    Case {
        name: "bad_log_retention",
        file: "bad_log_retention.toml",
        vars: &[],
        codes: &["eksforge::blueprint::log_retention"],
        at: "broken/bad_log_retention.toml:9:22",
        needles: &["log_retention_days = 100", "90 and 120"],
    },
    Case {
        name: "waiver_without_reason",
        file: "waiver_without_reason.toml",
        vars: &[],
        codes: &[
            "eksforge::blueprint::waiver_reason",
            "eksforge::blueprint::waiver_expires",
        ],
        at: "broken/waiver_without_reason.toml:9:10",
        needles: &["the waiver of EKS-NET-002 has no reason", "\"2026-02-30\" is not a date"],
    },
    Case {
        name: "many_problems_at_once",
        file: "many_problems.toml",
        vars: &[],
        codes: &[
            "eksforge::blueprint::region",
            "eksforge::blueprint::tag",
            "eksforge::blueprint::azs",
            "eksforge::blueprint::logging",
            "eksforge::blueprint::node_group_sizes",
            "eksforge::blueprint::node_group_sizes",
            "eksforge::blueprint::instance_types",
        ],
        at: "broken/many_problems.toml:4:10",
        needles: &["is invalid: 7 problems", "did you mean \"authenticator\"?", "reserved for AWS"],
    },
    Case {
        name: "node_labels",
        file: "node_labels.toml",
        vars: &[],
        codes: &[
            "eksforge::blueprint::node_label",
            "eksforge::blueprint::node_label",
            "eksforge::blueprint::node_taint",
        ],
        at: "broken/node_labels.toml:13:1",
        needles: &["prefix \"Example.com\" is not a DNS subdomain", "\"-ops\" of node label \"team\"", "\"sys tem\" of taint \"dedicated\"", "\"node.kubernetes.io/role\""],
    },
    Case {
        name: "pod_identity",
        file: "pod_identity.toml",
        vars: &[],
        codes: &[
            "eksforge::blueprint::pod_identity",
            "eksforge::blueprint::pod_identity",
        ],
        at: "broken/pod_identity.toml:20:19",
        needles: &[
            "service account apps/uploader gets a role both from [[pod_identity]] and from [[irsa.service_accounts]]",
            "IRSA role",
            "add \"eks-pod-identity-agent\" to addons.managed",
        ],
    },
    Case {
        name: "moved",
        file: "moved.toml",
        vars: &[],
        codes: &[
            "eksforge::blueprint::moved",
            "eksforge::blueprint::moved",
        ],
        at: "broken/moved.toml:11:6",
        needles: &[
            "a eks_node_group cannot become a launch_template",
            "\"eks_node_group.b\" is moved to and moved from: moves do not chain",
            "move \"eks_node_group.a\" straight to \"eks_node_group.c\" in one entry",
        ],
    },
];

fn render(error: &BlueprintError) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, error)
        .expect("render");
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

fn load_broken(case: &Case) -> BlueprintError {
    let vars: Vec<String> = case.vars.iter().map(|v| v.to_string()).collect();
    match load(&Path::new(BROKEN).join(case.file), &vars) {
        Ok(_) => panic!("{}: loaded, expected an error", case.name),
        Err(e) => e,
    }
}

#[test]
fn every_broken_blueprint_fails_with_a_located_diagnostic() {
    assert!(CASES.len() >= 18);
    let mut failures = Vec::new();
    for case in CASES {
        let error = load_broken(case);
        let rendered = render(&error);
        let mut fail = |what: String| failures.push(format!("{}: {what}\n{rendered}", case.name));
        if error.codes() != case.codes {
            fail(format!("codes {:?}", error.codes()));
        }
        for code in case.codes {
            if !rendered.contains(code) {
                fail(format!("no {code}"));
            }
        }
        let at = format!("{}]", case.at);
        if !rendered.contains(&at) {
            fail(format!("no {at}"));
        }
        if !case.at.starts_with("--var") && !rendered.contains(&format!("[{BROKEN}/")) {
            fail("file not named".to_string());
        }
        // Messages unwrapped, for needles longer than a rendered line.
        let messages: Vec<String> = error.problems().iter().map(|p| p.to_string()).collect();
        let messages = messages.join("\n");
        for needle in case.needles {
            if !rendered.contains(needle) && !messages.contains(needle) {
                fail(format!("no {needle:?}"));
            }
        }
        match error.problems().first().and_then(|p| p.location()) {
            Some(location) if format!("{location}]").ends_with(&at) => {}
            other => fail(format!("location {other:?}")),
        }
        insta::assert_snapshot!(case.name, rendered);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_missing_file_names_the_path_and_suggests_init() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prod.toml");
    let error = load(&path, &[]).expect_err("missing");
    assert!(matches!(error, BlueprintError::NotFound { .. }));
    let rendered = render(&error).replace(&dir.path().display().to_string(), "[TMP]");
    assert!(rendered.contains("[TMP]/prod.toml"), "{rendered}");
    assert!(rendered.contains("eksforge init"), "{rendered}");
    insta::assert_snapshot!("missing_file", rendered);
}
