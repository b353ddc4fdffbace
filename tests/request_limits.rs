//! Inputs that AWS or Kubernetes would refuse somewhere in the requests eksforge derives from
//! them (a tag on an IAM role, a label on a managed node group, a name built from a service
//! account) are refused by validation, offline, with file:line and a fix: `validate`, `plan`
//! and `apply` all stop before the first AWS call and write no state. And a state location
//! that cannot be written stops `apply` before its first change to AWS.

mod support;

use support::tripwire::Tripwire;
use support::{eksforge_command, World};

const HEAD: &str = "[blueprint]\nname = \"limits\"\nregion = \"eu-west-1\"\n";
const NETWORK: &str = "[network]\nvpc_cidr = \"10.40.0.0/16\"\n[cluster]\n";
const GROUP: &str = "[[node_groups]]\nname = \"general\"\ninstance_types = [\"m7i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n";

/// (case, blueprint text, what the message must contain: the line first)
fn cases() -> Vec<(&'static str, String, Vec<String>)> {
    let tags = |body: &str| format!("{HEAD}[blueprint.tags]\n{body}\n{NETWORK}");
    let with = |extra: &str| format!("{HEAD}{NETWORK}{extra}");
    let many_tags: String = (0..47).map(|i| format!("t{i} = \"v\"\n")).collect();
    let taints: String = (0..51)
        .map(|i| format!("[[node_groups.taints]]\nkey = \"t{i}\"\neffect = \"NoSchedule\"\n"))
        .collect();
    let policies: Vec<String> = (0..21)
        .map(|i| format!("\"arn:aws:iam::123456789012:policy/p{i}\""))
        .collect();
    let long_account = format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(36)
    );
    let long_label = format!("{}.example.com/role", "x".repeat(50));
    vec![
        ("tag key with a symbol IAM refuses", tags("\"team#1\" = \"a\""), vec!["bp.toml:5:".into(), "'#'".into()]),
        ("tag value with a control character", tags("team = \"a\\u001bb\""), vec!["bp.toml:5:".into(), "'\\u{1b}'".into()]),
        ("more tags than room beside eksforge's", tags(&many_tags), vec!["bp.toml:4:".into(), "at most 46".into()]),
        ("a tag eksforge sets itself", tags("Name = \"mine\""), vec!["bp.toml:5:".into(), "`Name`".into()]),
        ("tag keys differing in case", tags("team = \"a\"\nTeam = \"b\""), vec!["bp.toml:".into(), "only in case".into()]),
        (
            "service account too long for eksforge's resource tag",
            with(&format!("[[pod_identity]]\nnamespace = \"apps\"\nservice_account = \"{long_account}\"\nmanaged_policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n")),
            vec!["bp.toml:9:".into(), "eksforge:resource".into()],
        ),
        ("label key longer than EKS takes", with(&format!("{GROUP}[node_groups.labels]\n\"{long_label}\" = \"x\"\n")), vec!["bp.toml:".into(), "at most 63".into()]),
        ("empty label value", with(&format!("{GROUP}[node_groups.labels]\nteam = \"\"\n")), vec!["bp.toml:".into(), "empty node label".into()]),
        ("more taints than EKS takes", with(&format!("{GROUP}{taints}")), vec!["bp.toml:".into(), "at most 50".into()]),
        (
            "more managed policies than IAM attaches",
            with(&format!("[[pod_identity]]\nnamespace = \"apps\"\nservice_account = \"web\"\nmanaged_policies = [{}]\n", policies.join(", "))),
            vec!["bp.toml:10:".into(), "at most 20".into()],
        ),
        (
            "inline policy name IAM refuses",
            with("[[pod_identity]]\nnamespace = \"apps\"\nservice_account = \"web\"\n[pod_identity.inline_policies]\n\"read/all\" = '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}'\n"),
            vec!["bp.toml:".into(), "cannot name an IAM".into()],
        ),
        (
            "rule description EC2 refuses",
            with("[[security_rules]]\ngroup = \"node\"\nprotocol = \"tcp\"\nfrom_port = 443\nto_port = 443\ncidrs = [\"10.0.0.0/8\"]\ndescription = \"caf\u{e9} access\"\n"),
            vec!["bp.toml:13:".into(), "EC2 would refuse".into()],
        ),
        (
            "access scope namespace Kubernetes refuses",
            with("[access]\n[[access.entries]]\nprincipal = \"arn:aws:iam::123456789012:role/dev\"\npolicy = \"AmazonEKSEditPolicy\"\nscope = \"namespace\"\nnamespaces = [\"team-*\", \"Team_A\"]\n"),
            vec!["bp.toml:12:".into(), "\"Team_A\" is not a Kubernetes namespace".into()],
        ),
        ("empty state path", format!("{HEAD}[state]\npath = \"\"\n{NETWORK}"), vec!["bp.toml:5:".into(), "is empty".into()]),
        ("state path naming a directory", format!("{HEAD}[state]\npath = \"state/\"\n{NETWORK}"), vec!["bp.toml:5:".into(), "names a directory".into()]),
    ]
}

#[test]
fn inputs_aws_would_refuse_are_refused_offline_with_their_line() {
    let cases = cases();
    assert!(cases.len() >= 14);
    for (case, text, needles) in cases {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("bp.toml"), &text).expect("write");
        let tripwire = Tripwire::new();
        for command in ["validate", "plan", "apply"] {
            let mut args = vec![command, "bp.toml"];
            if command == "apply" {
                args.push("--auto-approve");
            }
            let output = eksforge_command(&tripwire.url(), dir.path())
                .args(&args)
                .output()
                .expect("run eksforge");
            let stderr = support::flat(&String::from_utf8_lossy(&output.stderr));
            assert_eq!(
                output.status.code(),
                Some(1),
                "{case} ({command}):\n{stderr}"
            );
            for needle in &needles {
                assert!(
                    stderr.contains(needle.as_str()),
                    "{case} ({command}): message lacks `{needle}`:\n{stderr}"
                );
            }
            assert!(
                !tripwire.was_called(),
                "{case} ({command}): an AWS call was made"
            );
            assert!(
                !dir.path().join("state").exists(),
                "{case} ({command}): state written"
            );
        }
    }
}

#[test]
fn an_unwritable_state_location_stops_apply_before_its_first_change() {
    let world = World::new();
    world.write(
        "bp.toml",
        &format!("{HEAD}{NETWORK}deletion_protection = false\n"),
    );
    // The state file is a link into /proc, where no file can be made: reading it finds
    // nothing and the lock is taken beside the link, so only the first state write would fail.
    std::fs::create_dir_all(world.path("state")).expect("mkdir");
    std::os::unix::fs::symlink("/proc/eksforge-state.json", world.path("state/limits.json"))
        .expect("symlink");
    let run = world.eksforge(&["apply", "bp.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let stderr = support::flat(&run.stderr);
    assert!(
        stderr.contains("the state cannot be written")
            && stderr.contains("a file cannot be created in `/proc`"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed in AWS"), "{stderr}");
    assert_eq!(
        world.proxy.mutating_calls().len(),
        0,
        "{:?}",
        world.proxy.mutating_calls()
    );
    let vpcs = world
        .block_on(world.ec2().describe_vpcs().send())
        .expect("describe vpcs");
    let tagged = vpcs
        .vpcs()
        .iter()
        .filter(|vpc| {
            vpc.tags()
                .iter()
                .any(|tag| tag.key() == Some("eksforge:blueprint"))
        })
        .count();
    assert_eq!(tagged, 0, "no VPC was made");
}

#[test]
fn the_longest_names_and_most_tags_validation_accepts_are_accepted_by_aws() {
    let world = World::new();
    let tags: String = (0..46)
        .map(|i| format!("\"{i:02}{}\" = \"{}\"\n", "k".repeat(125), "v".repeat(256)))
        .collect();
    // 63 + 1 + 163 = 227: the longest `<namespace>.<name>` eksforge takes.
    let account = format!("{}.{}.{}", "a".repeat(63), "b".repeat(63), "c".repeat(35));
    world.write(
        "bp.toml",
        &format!(
            "[blueprint]\nname = \"{}\"\nregion = \"eu-west-1\"\n[blueprint.tags]\n{tags}\n{NETWORK}deletion_protection = false\n\
             [[pod_identity]]\nnamespace = \"{}\"\nservice_account = \"{account}\"\nmanaged_policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n",
            "l".repeat(40),
            "n".repeat(63)
        ),
    );
    let run = world.eksforge(&["apply", "bp.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    // Read back through IAM: the role carries all the blueprint's tags beside eksforge's.
    let iam = aws_sdk_iam::Client::new(world.sdk());
    let roles = world.block_on(iam.list_roles().send()).expect("list roles");
    let role = roles
        .roles()
        .iter()
        .find(|role| role.role_name().contains("-pod-"))
        .expect("the pod identity role");
    let tags = world
        .block_on(iam.list_role_tags().role_name(role.role_name()).send())
        .expect("role tags");
    assert_eq!(
        tags.tags().len(),
        49,
        "46 of the blueprint's + Name + 2 of eksforge's"
    );
    let resource = tags
        .tags()
        .iter()
        .find(|tag| tag.key() == "eksforge:resource")
        .expect("eksforge:resource");
    assert_eq!(
        resource.value().chars().count(),
        "iam_role.pod_identity.".len() + 63 + 1 + account.len()
    );
    assert!(role.role_name().len() <= 64);
}
