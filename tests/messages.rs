//! Messages that must not mislead, as a user meets them from a non-terminal run (a CI log):
//! every bad waiver reported at once, check ids spelled as the catalog spells them, columns in
//! characters after non-ASCII text, identifiers printed whole, and a state push of another
//! state named as such. None of these commands makes an AWS call: the endpoint is a closed
//! port.

mod support;

use std::path::Path;

use support::eksforge_command;

const HEAD: &str = "[blueprint]\nname = \"demo\"\n[network]\nvpc_cidr = \"10.40.0.0/16\"\n";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn eksforge(dir: &Path, args: &[&str]) -> Run {
    let output = eksforge_command("http://127.0.0.1:9", dir)
        .args(args)
        .output()
        .expect("run eksforge");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn with_blueprint(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("bp.toml"), text).expect("write");
    dir
}

fn validate_fails(text: &str) -> String {
    let dir = with_blueprint(text);
    let run = eksforge(dir.path(), &["validate", "bp.toml"]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run.stderr
}

#[test]
fn two_bad_waivers_are_two_problems() {
    let stderr = validate_fails(&format!(
        "{HEAD}[[waivers]]\ncheck = \"EKS-NET-999\"\nreason = \"accepted\"\n\n[[waivers]]\ncheck = \"EKS-NET-002\"\nreason = \" \"\n"
    ));
    assert!(stderr.contains("is invalid: 2 problems"), "{stderr}");
    assert!(
        stderr.contains("the waiver names check EKS-NET-999, which is not in the posture catalog")
            && stderr.contains("[bp.toml:6:9]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the waiver of EKS-NET-002 has no reason")
            && stderr.contains("[bp.toml:11:10]"),
        "{stderr}"
    );
}

#[test]
fn a_check_id_in_another_case_or_mistyped_gets_the_catalog_spelling() {
    let stderr = validate_fails(&format!(
        "{HEAD}[[waivers]]\ncheck = \"eks-net-008\"\nreason = \"accepted\"\n[[waivers]]\ncheck = \"EKS-NTE-002\"\nreason = \"accepted\"\n"
    ));
    assert!(stderr.contains("is invalid: 2 problems"), "{stderr}");
    assert!(
        stderr.contains("check ids are written in upper case")
            && stderr.contains("did you mean \"EKS-NET-008\"?"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean \"EKS-NET-002\"?"), "{stderr}");
}

#[test]
fn columns_after_non_ascii_text_count_characters() {
    // `5` is the 37th character of its line and its 40th byte.
    let stderr = validate_fails(&HEAD.replace(
        "name = \"demo\"\n",
        "name = \"demo\"\ntags = { \"équipe→ops\" = \"x\", team = 5 }\n",
    ));
    assert!(stderr.contains("[bp.toml:3:37]"), "{stderr}");

    // A state file's JSON error, too.
    let dir = with_blueprint(HEAD);
    std::fs::create_dir_all(dir.path().join("state")).expect("mkdir");
    std::fs::write(
        dir.path().join("state/demo.json"),
        "{\"blueprint\": \"débâcle\", \"serial\": oops}",
    )
    .expect("write");
    let run = eksforge(dir.path(), &["state", "list", "bp.toml"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("line 1, column 36"), "{}", run.stderr);
}

#[test]
fn an_identifier_in_an_error_is_printed_whole_without_a_terminal() {
    let arn = "arn:aws:iam::123456789012:role/eksforge-production-eu-west-1-platform-administrators-break-glass";
    let dir = with_blueprint(HEAD);
    let run = eksforge(dir.path(), &["state", "show", arn, "bp.toml"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|line| line.contains("state records no resource"))
        .unwrap_or_else(|| panic!("the message: {}", run.stderr));
    assert!(line.contains(&format!("`{arn}`")), "{}", run.stderr);
    let help = run
        .stderr
        .lines()
        .find(|line| line.contains("help:"))
        .unwrap_or_else(|| panic!("the help: {}", run.stderr));
    assert!(
        help.contains("`eksforge state list BLUEPRINT` lists the recorded ids"),
        "one line: {}",
        run.stderr
    );
}

fn state(lineage: &str, serial: u64) -> String {
    format!(
        "{{\"format_version\": 1, \"serial\": {serial}, \"lineage\": \"{lineage}\", \"blueprint\": \"demo\", \"resources\": {{}}}}\n"
    )
}

#[test]
fn a_push_of_another_state_says_so() {
    let dir = with_blueprint(HEAD);
    std::fs::create_dir_all(dir.path().join("state")).expect("mkdir");
    let stored = state("11111111-1111-4111-8111-111111111111", 4);
    std::fs::write(dir.path().join("state/demo.json"), &stored).expect("write");
    std::fs::write(
        dir.path().join("other.json"),
        state("22222222-2222-4222-8222-222222222222", 9),
    )
    .expect("write");
    let run = eksforge(dir.path(), &["state", "push", "bp.toml", "other.json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("refusing to push `other.json` to state `state/demo.json`: it is another state (lineage 22222222-2222-4222-8222-222222222222), not a version of the state stored there (lineage 11111111-1111-4111-8111-111111111111, serial 4)"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("since this run read it"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("state/demo.json")).expect("read"),
        stored
    );

    std::fs::write(
        dir.path().join("older.json"),
        state("11111111-1111-4111-8111-111111111111", 3),
    )
    .expect("write");
    let run = eksforge(dir.path(), &["state", "push", "bp.toml", "older.json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("refusing to push `older.json` (serial 3) to state `state/demo.json`: it already holds serial 4 of the same lineage"),
        "{}",
        run.stderr
    );
}
