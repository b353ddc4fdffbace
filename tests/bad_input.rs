//! Every user mistake ends in a clear message naming the file, line and key, with no AWS call
//! made and no state written. And a corrupt state file is refused and left byte for byte.

mod support;

use std::path::Path;

use support::tripwire::Tripwire;
use support::{eksforge_command, World};

const GOOD_NETWORK: &str = "[network]\nvpc_cidr = \"10.40.0.0/16\"\n";

/// (case name, files to write, args after the command, what the message must contain)
type Case = (
    &'static str,
    Vec<(&'static str, Vec<u8>)>,
    Vec<&'static str>,
    Vec<&'static str>,
);

fn cases() -> Vec<Case> {
    let text = |s: &str| s.as_bytes().to_vec();
    vec![
        ("toml syntax", vec![("bp.toml", text("[blueprint]\nname = \"x\n"))], vec![], vec!["bp.toml:2:"]),
        ("wrong type", vec![("bp.toml", text(&format!("[blueprint]\nname = \"demo\"\n{GOOD_NETWORK}azs = \"three\"\n")))], vec![], vec!["bp.toml:5:", "azs"]),
        ("unknown key", vec![("bp.toml", text(&format!("[blueprint]\nname = \"demo\"\n{GOOD_NETWORK}vpc_cdir = \"10.0.0.0/16\"\n")))], vec![], vec!["bp.toml:5:", "vpc_cdir"]),
        ("unknown section", vec![("bp.toml", text(&format!("[blueprint]\nname = \"demo\"\n{GOOD_NETWORK}[netwrok]\nnat = \"single\"\n")))], vec![], vec!["bp.toml:5:", "netwrok"]),
        ("bad cidr", vec![("bp.toml", text("[blueprint]\nname = \"demo\"\n[network]\nvpc_cidr = \"10.400.0.0/16\"\n"))], vec![], vec!["bp.toml:4:", "vpc_cidr"]),
        ("host bits set", vec![("bp.toml", text("[blueprint]\nname = \"demo\"\n[network]\nvpc_cidr = \"10.40.0.1/16\"\n"))], vec![], vec!["bp.toml:4:", "10.40.0.0/16"]),
        ("vpc too small", vec![("bp.toml", text("[blueprint]\nname = \"demo\"\n[network]\nvpc_cidr = \"10.40.0.0/26\"\n"))], vec![], vec!["bp.toml:4:", "vpc_cidr"]),
        ("overlapping subnets", vec![("bp.toml", text("[blueprint]\nname = \"demo\"\n[network]\nvpc_cidr = \"10.40.0.0/16\"\nazs = 2\nprivate_subnet_cidrs = [\"10.40.0.0/18\", \"10.40.32.0/19\"]\n"))], vec![], vec!["bp.toml:6:", "overlap"]),
        ("one az", vec![("bp.toml", text(&format!("[blueprint]\nname = \"demo\"\n{GOOD_NETWORK}azs = 1\n")))], vec![], vec!["bp.toml:5:", "azs"]),
        ("az of another region", vec![("bp.toml", text("[blueprint]\nname = \"demo\"\nregion = \"eu-west-1\"\n[network]\nvpc_cidr = \"10.40.0.0/16\"\nazs = [\"eu-west-1a\", \"us-east-1b\"]\n"))], vec![], vec!["bp.toml:6:", "us-east-1b"]),
        ("sizes", vec![("bp.toml", text(&format!("[blueprint]\nname = \"demo\"\n{GOOD_NETWORK}[[node_groups]]\nname = \"system\"\ninstance_types = [\"m6i.large\"]\nmin_size = 4\nmax_size = 6\ndesired_size = 3\n")))], vec![], vec!["bp.toml:", "min_size"]),
        ("duplicate node group", vec![("bp.toml", text(&format!("[blueprint]\nname = \"demo\"\n{GOOD_NETWORK}[[node_groups]]\nname = \"a\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n[[node_groups]]\nname = \"a\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n")))], vec![], vec!["bp.toml:", "duplicate"]),
        ("bad name", vec![("bp.toml", text(&format!("[blueprint]\nname = \"Prod_EU\"\n{GOOD_NETWORK}")))], vec![], vec!["bp.toml:2:", "name"]),
        ("extends missing", vec![("bp.toml", text("[blueprint]\nname = \"demo\"\nextends = \"nowhere.toml\"\n"))], vec![], vec!["bp.toml:3:", "nowhere.toml"]),
        ("extends cycle", vec![
            ("a.toml", text("[blueprint]\nname = \"demo\"\nextends = \"b.toml\"\n")),
            ("b.toml", text("[blueprint]\nname = \"demo\"\nextends = \"a.toml\"\n")),
        ], vec![], vec!["a.toml", "b.toml", "cycle"]),
        ("empty file", vec![("bp.toml", Vec::new())], vec![], vec!["bp.toml"]),
        ("binary garbage", vec![("bp.toml", vec![0xff, 0xfe, 0x00, 0x13, 0x37, 0x80, 0x81])], vec![], vec!["bp.toml"]),
        ("missing file", vec![], vec![], vec!["bp.toml", "eksforge init"]),
        ("bad --var", vec![("bp.toml", text(&format!("[blueprint]\nname = \"demo\"\n{GOOD_NETWORK}")))], vec!["--var", "network.nat"], vec!["network.nat"]),
        ("nat without public subnets", vec![("bp.toml", text(&format!("[blueprint]\nname = \"demo\"\n{GOOD_NETWORK}public_subnets = false\n")))], vec![], vec!["bp.toml:", "nat"]),
    ]
}

fn assert_rejected(
    dir: &Path,
    tripwire: &Tripwire,
    case: &str,
    command: &str,
    extra: &[&str],
    expected: &[&str],
) {
    let mut args = vec![command, "bp.toml"];
    if case == "extends cycle" {
        args[1] = "a.toml";
    }
    if command == "apply" {
        args.push("--auto-approve");
    }
    args.extend_from_slice(extra);
    let output = eksforge_command(&tripwire.url(), dir)
        .args(&args)
        .output()
        .expect("run eksforge");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{case} ({command}): exit code; stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{case}: panic\n{stderr}");
    for needle in expected {
        assert!(
            stderr.contains(needle),
            "{case} ({command}): message lacks `{needle}`:\n{stderr}"
        );
    }
    assert!(
        !tripwire.was_called(),
        "{case} ({command}): an AWS call was made"
    );
    assert!(
        !dir.join("state").exists(),
        "{case} ({command}): state was written"
    );
}

#[test]
fn broken_blueprints_are_refused_before_any_aws_call() {
    let cases = cases();
    assert!(cases.len() >= 15);
    for (case, files, extra, expected) in cases {
        let dir = tempfile::tempdir().expect("dir");
        for (name, bytes) in &files {
            std::fs::write(dir.path().join(name), bytes).expect("write");
        }
        let tripwire = Tripwire::new();
        for command in ["validate", "plan", "apply"] {
            assert_rejected(dir.path(), &tripwire, case, command, &extra, &expected);
        }
    }
}

#[test]
fn a_corrupt_state_file_is_refused_and_left_byte_for_byte() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let state = world.path("state/hardened.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let garbage = b"{\"format_version\": 1, \"serial\": 3, \"lineage\": \"x\", \"resources\": {\"vpc.main\": [tr".to_vec();
    std::fs::write(&state, &garbage).unwrap();
    for args in [
        vec!["plan", "hardened.toml"],
        vec!["apply", "hardened.toml", "--auto-approve"],
        vec!["destroy", "hardened.toml", "--auto-approve"],
    ] {
        let run = world.eksforge(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        assert!(
            run.stderr.contains("state/hardened.json"),
            "{args:?} names the file: {}",
            run.stderr
        );
        assert!(
            run.stderr.to_lowercase().contains("corrupt") || run.stderr.contains("not valid"),
            "{}",
            run.stderr
        );
        assert_eq!(
            std::fs::read(&state).unwrap(),
            garbage,
            "{args:?} left the file untouched"
        );
    }
    assert_eq!(world.proxy.mutating_calls(), vec![], "nothing was created");
}

#[test]
fn a_state_file_from_a_newer_eksforge_is_refused() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let state = world.path("state/hardened.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let newer = b"{\"format_version\": 99, \"serial\": 1, \"lineage\": \"x\", \"blueprint\": \"hardened\", \"resources\": {}}\n".to_vec();
    std::fs::write(&state, &newer).unwrap();
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("upgrade") || run.stderr.contains("newer"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(&state).unwrap(), newer);
    assert_eq!(world.proxy.mutating_calls(), vec![]);
}
