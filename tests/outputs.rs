//! After apply: `eksforge output` and `eksforge kubeconfig` read the state alone (no AWS call)
//! and agree with what the AWS API describes; `eksforge schema` is the committed
//! `docs/blueprint.schema.json`, and every shipped blueprint validates against it.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::cloud::{Cloud, Select};
use support::World;

const NAME: &str = "hardened";
const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("not JSON ({error}):\n{text}"))
}

/// The value of the first `key: "…"` line of a kubeconfig eksforge wrote (every scalar is a
/// double-quoted JSON string).
fn yaml_scalar(text: &str, key: &str) -> String {
    let prefix = format!("{key}: ");
    let line = text
        .lines()
        .map(str::trim_start)
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no `{key}` in:\n{text}"));
    let value = &line[prefix.len()..];
    serde_json::from_str(value).unwrap_or_else(|_| value.to_string())
}

/// The items of the `args:` list of the exec credential.
fn exec_args(text: &str) -> Vec<String> {
    let mut lines = text
        .lines()
        .skip_while(|line| line.trim() != "args:")
        .skip(1);
    let mut args = Vec::new();
    for line in lines.by_ref() {
        let Some(item) = line.trim_start().strip_prefix("- ") else {
            break;
        };
        args.push(serde_json::from_str(item).unwrap_or_else(|_| item.to_string()));
    }
    args
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|item| item.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn outputs_and_kubeconfig_match_what_aws_describes_without_calling_it() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let calls_after_apply = world.proxy.calls().len();

    let run = world.eksforge(&["output", "hardened.toml", "--json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let outputs = json(&run.stdout);
    let endpoint_run = world.eksforge(&["output", "hardened.toml", "cluster_endpoint"]);
    let text_run = world.eksforge(&["output", "hardened.toml"]);
    let subnets_run = world.eksforge(&["output", "hardened.toml", "private_subnet_ids"]);
    let unknown_run = world.eksforge(&["output", "hardened.toml", "cluster_endpont"]);
    let kubeconfig_run = world.eksforge(&["kubeconfig", "hardened.toml", "--write", "kc"]);
    let printed_run = world.eksforge(&["kubeconfig", "hardened.toml"]);
    assert_eq!(
        world.proxy.calls().len(),
        calls_after_apply,
        "output and kubeconfig make no AWS call: {:?}",
        &world.proxy.calls()[calls_after_apply..]
    );

    // Every output of the reference blueprint is there (the cluster security group only when
    // the endpoint reports one; moto does not).
    let names: BTreeSet<&str> = outputs
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected: BTreeSet<&str> = [
        "cluster_name",
        "cluster_arn",
        "cluster_endpoint",
        "cluster_certificate_authority_data",
        "cluster_oidc_issuer_url",
        "oidc_provider_arn",
        "cluster_iam_role_arn",
        "node_iam_role_arn",
        "irsa_role_arns",
        "vpc_id",
        "private_subnet_ids",
        "public_subnet_ids",
        "kms_key_arn",
        "cluster_log_group_name",
    ]
    .into();
    if names.contains("cluster_security_group_id") {
        expected.insert("cluster_security_group_id");
    }
    assert_eq!(names, expected);

    let cloud = Cloud::new(world.sdk());
    let (cluster, roles, oidc_providers, key_arn, log_groups) = world.block_on(async {
        let cluster = cloud.cluster(NAME).await.expect("a cluster");
        let mut roles = BTreeMap::new();
        for role in [
            format!("{NAME}-eks-cluster"),
            format!("{NAME}-eks-node"),
            format!("{NAME}-irsa-kube-system-aws-node"),
        ] {
            let got = cloud
                .role(&role)
                .await
                .unwrap_or_else(|| panic!("GetRole {role}: no such role"));
            roles.insert(role, got.arn().to_string());
        }
        let providers = cloud.oidc_provider_arns().await;
        let key = cloud.key(&format!("alias/{NAME}-eks-secrets")).await;
        let key_arn = key.arn().unwrap_or_default().to_string();
        let groups: Vec<String> = cloud
            .log_groups(&format!("/aws/eks/{NAME}/"))
            .await
            .iter()
            .filter_map(|g| g.log_group_name().map(str::to_string))
            .collect();
        (cluster, roles, providers, key_arn, groups)
    });

    // EKS.
    assert_eq!(outputs["cluster_name"], cluster.name().unwrap_or_default());
    assert_eq!(outputs["cluster_arn"], cluster.arn().unwrap_or_default());
    assert_eq!(
        outputs["cluster_endpoint"],
        cluster.endpoint().unwrap_or_default()
    );
    let ca = cluster
        .certificate_authority()
        .and_then(|ca| ca.data())
        .unwrap_or_default();
    assert!(!ca.is_empty());
    assert_eq!(outputs["cluster_certificate_authority_data"], ca);
    let issuer = cluster
        .identity()
        .and_then(|i| i.oidc())
        .and_then(|o| o.issuer())
        .unwrap_or_default();
    assert_eq!(outputs["cluster_oidc_issuer_url"], issuer);
    if let Some(group) = cluster
        .resources_vpc_config()
        .and_then(|vpc| vpc.cluster_security_group_id())
    {
        assert_eq!(outputs["cluster_security_group_id"], group);
    }
    // IAM.
    assert_eq!(
        outputs["cluster_iam_role_arn"],
        roles[&format!("{NAME}-eks-cluster")]
    );
    assert_eq!(
        outputs["node_iam_role_arn"],
        roles[&format!("{NAME}-eks-node")]
    );
    assert_eq!(
        outputs["irsa_role_arns"],
        serde_json::json!({"kube-system/aws-node": roles[&format!("{NAME}-irsa-kube-system-aws-node")]})
    );
    assert_eq!(
        cluster.role_arn(),
        outputs["cluster_iam_role_arn"].as_str(),
        "the cluster runs with that role"
    );
    let provider = outputs["oidc_provider_arn"].as_str().unwrap_or_default();
    assert!(
        oidc_providers.iter().any(|arn| arn == provider),
        "{provider} in {oidc_providers:?}"
    );
    assert!(
        provider.ends_with(issuer.trim_start_matches("https://")),
        "the provider is the cluster's issuer: {provider}"
    );
    // EC2, KMS, Logs.
    let vpc_ids = world.block_on(cloud.vpc_ids(NAME));
    assert_eq!(
        vpc_ids,
        [outputs["vpc_id"].as_str().unwrap_or_default().to_string()].into()
    );
    let private = world.block_on(
        cloud.subnet_ids(Select::blueprint(NAME).tag("kubernetes.io/role/internal-elb", "1")),
    );
    let public = world
        .block_on(cloud.subnet_ids(Select::blueprint(NAME).tag("kubernetes.io/role/elb", "1")));
    assert_eq!(private.len(), 3);
    assert_eq!(strings(&outputs["private_subnet_ids"]), private);
    assert_eq!(strings(&outputs["public_subnet_ids"]), public);
    let cluster_subnets: BTreeSet<String> = cluster
        .resources_vpc_config()
        .map(|vpc| vpc.subnet_ids().iter().cloned().collect())
        .unwrap_or_default();
    assert_eq!(cluster_subnets, private);
    assert_eq!(outputs["kms_key_arn"], key_arn.as_str());
    assert_eq!(
        outputs["cluster_log_group_name"],
        format!("/aws/eks/{NAME}/cluster")
    );
    assert!(
        log_groups
            .iter()
            .any(|group| outputs["cluster_log_group_name"] == group.as_str()),
        "{log_groups:?}"
    );

    // One output alone: the raw value, for `$(eksforge output hardened.toml cluster_endpoint)`.
    assert_eq!(endpoint_run.code, 0, "{}", endpoint_run.all());
    assert_eq!(
        endpoint_run.stdout,
        format!("{}\n", cluster.endpoint().unwrap_or_default())
    );
    assert_eq!(subnets_run.code, 0, "{}", subnets_run.all());
    assert_eq!(
        json(&subnets_run.stdout),
        outputs["private_subnet_ids"],
        "lists print as JSON"
    );

    // Text: `name = value` lines sorted by name, values as JSON.
    assert_eq!(text_run.code, 0, "{}", text_run.all());
    let lines: Vec<(&str, &str)> = text_run
        .stdout
        .lines()
        .map(|line| {
            line.split_once(" = ")
                .unwrap_or_else(|| panic!("not `name = value`: {line}"))
        })
        .collect();
    let listed: Vec<&str> = lines.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        listed,
        expected.iter().copied().collect::<Vec<_>>(),
        "sorted by name"
    );
    for (name, value) in lines {
        assert_eq!(json(value), outputs[name], "{name}");
    }

    // An unknown name is an error that lists the names there are.
    assert_eq!(unknown_run.code, 1, "{}", unknown_run.all());
    assert!(
        unknown_run
            .stderr
            .contains("no output named `cluster_endpont`"),
        "{}",
        unknown_run.stderr
    );
    assert!(
        unknown_run.stderr.contains("cluster_endpoint"),
        "lists the outputs: {}",
        unknown_run.stderr
    );

    // kubeconfig: private (0600), pointing at the cluster, credentials from `aws eks get-token`.
    assert_eq!(kubeconfig_run.code, 0, "{}", kubeconfig_run.all());
    let path = world.path("kc");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("kc written")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "kubeconfigs are credentials-adjacent");
    }
    let kubeconfig = std::fs::read_to_string(&path).expect("read kc");
    assert_eq!(printed_run.stdout, kubeconfig, "printed and written alike");
    assert_eq!(
        yaml_scalar(&kubeconfig, "server"),
        cluster.endpoint().unwrap_or_default()
    );
    assert_eq!(yaml_scalar(&kubeconfig, "certificate-authority-data"), ca);
    assert_eq!(
        yaml_scalar(&kubeconfig, "current-context"),
        cluster.arn().unwrap_or_default()
    );
    assert_eq!(yaml_scalar(&kubeconfig, "apiVersion"), "v1");
    assert_eq!(yaml_scalar(&kubeconfig, "command"), "aws");
    assert!(
        kubeconfig.contains("apiVersion: client.authentication.k8s.io/v1beta1"),
        "{kubeconfig}"
    );
    let args = exec_args(&kubeconfig);
    assert_eq!(&args[..2], ["eks", "get-token"], "{args:?}");
    let after = |flag: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    assert_eq!(after("--cluster-name").as_deref(), cluster.name());
    assert_eq!(after("--region").as_deref(), Some(support::REGION));
    assert!(
        !kubeconfig.contains("AWS_PROFILE"),
        "no --profile, no profile env"
    );

    // --profile is passed on to the AWS CLI; a file eksforge did not write is never replaced.
    let run = world.eksforge(&[
        "--profile",
        "platform-admin",
        "kubeconfig",
        "hardened.toml",
        "--write",
        "kc",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let kubeconfig = std::fs::read_to_string(&path).expect("read kc");
    assert!(
        kubeconfig.contains("- name: AWS_PROFILE\n            value: \"platform-admin\""),
        "{kubeconfig}"
    );
    world.write("config", "apiVersion: v1\nkind: Config\nclusters: []\n");
    let run = world.eksforge(&["kubeconfig", "hardened.toml", "--write", "config"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("not written by eksforge"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(world.path("config")).unwrap_or_default(),
        "apiVersion: v1\nkind: Config\nclusters: []\n"
    );
}

#[test]
fn a_network_only_blueprint_has_network_outputs_and_an_empty_state_has_none() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");

    let run = world.eksforge(&["output", "network.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("records no resources"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("eksforge apply network.toml"),
        "says what to do: {}",
        run.stderr
    );
    assert!(
        !world.path("state/network.json").exists(),
        "reading creates no state"
    );
    let run = world.eksforge(&["kubeconfig", "network.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        world.proxy.calls().is_empty(),
        "no AWS call: {:?}",
        world.proxy.calls()
    );

    let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let run = world.eksforge(&["output", "network.toml", "--json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let outputs = json(&run.stdout);
    let names: Vec<&str> = outputs
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["private_subnet_ids", "public_subnet_ids", "vpc_id"]);
    let private = world.block_on(
        Cloud::new(world.sdk())
            .subnet_ids(Select::blueprint("network").tag("kubernetes.io/role/internal-elb", "1")),
    );
    assert_eq!(strings(&outputs["private_subnet_ids"]), private);

    let run = world.eksforge(&["output", "network.toml", "cluster_endpoint"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("not recorded"),
        "a known output this blueprint does not make: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("vpc_id"),
        "lists the outputs there are: {}",
        run.stderr
    );
    let run = world.eksforge(&["kubeconfig", "network.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("no EKS cluster"), "{}", run.stderr);
}

fn schema_output() -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    // No AWS endpoint is reachable there: `schema` must not need one.
    let output = support::eksforge_command("http://127.0.0.1:9", dir.path())
        .arg("schema")
        .output()
        .expect("run eksforge schema");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn committed_schema() -> Value {
    let text = std::fs::read_to_string(Path::new(REPO).join("docs/blueprint.schema.json"))
        .expect("docs/blueprint.schema.json");
    json(&text)
}

#[test]
fn the_committed_schema_is_what_eksforge_schema_prints() {
    let committed = std::fs::read_to_string(Path::new(REPO).join("docs/blueprint.schema.json"))
        .expect("docs/blueprint.schema.json");
    assert!(
        schema_output() == committed,
        "docs/blueprint.schema.json is out of date with the blueprint types: regenerate it with\n    cargo run -q -- schema > docs/blueprint.schema.json"
    );
}

/// TOML as the JSON an editor validates (dates as their text).
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(text) => Value::String(text),
        toml::Value::Integer(number) => number.into(),
        toml::Value::Float(number) => number.into(),
        toml::Value::Boolean(flag) => flag.into(),
        toml::Value::Datetime(date) => Value::String(date.to_string()),
        toml::Value::Array(items) => items.into_iter().map(toml_to_json).collect(),
        toml::Value::Table(table) => table
            .into_iter()
            .map(|(key, value)| (key, toml_to_json(value)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn toml_file(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    toml_to_json(toml::Value::Table(
        text.parse()
            .unwrap_or_else(|error| panic!("{}: {error}", path.display())),
    ))
}

fn toml_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            toml_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            into.push(path);
        }
    }
}

#[test]
fn every_shipped_blueprint_validates_against_the_schema_and_points_editors_at_it() {
    let schema = committed_schema();
    let validator = jsonschema::draft7::new(&schema)
        .unwrap_or_else(|error| panic!("the schema compiles: {error}"));
    let mut files = Vec::new();
    toml_files(&Path::new(REPO).join("blueprints"), &mut files);
    files.push(Path::new(REPO).join("tests/fixtures/blueprints/full.toml"));
    assert!(files.len() >= 4, "{files:?}");
    for file in &files {
        let errors: Vec<String> = validator
            .iter_errors(&toml_file(file))
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not validate:\n{}",
            file.display(),
            errors.join("\n")
        );
    }

    // The reference blueprint: every top-level key is a schema property, and its header
    // directive points at the committed file.
    let hardened_path = Path::new(REPO).join("blueprints/hardened.toml");
    let hardened = toml_file(&hardened_path);
    for key in hardened.as_object().expect("a table").keys() {
        assert!(
            schema["properties"].get(key).is_some(),
            "[{key}] is not in the schema"
        );
    }
    let text = std::fs::read_to_string(&hardened_path).expect("hardened.toml");
    let directive = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("#:schema "))
        .expect("hardened.toml starts with a #:schema directive");
    let target = hardened_path
        .parent()
        .expect("a directory")
        .join(directive.trim());
    assert_eq!(
        std::fs::canonicalize(&target)
            .unwrap_or_else(|error| panic!("{}: {error}", target.display())),
        std::fs::canonicalize(Path::new(REPO).join("docs/blueprint.schema.json"))
            .expect("the schema file")
    );

    // Not vacuous: a misspelt key, a wrong type and a missing required key are all refused.
    let mut typo = hardened.clone();
    typo["network"]["nat_mode"] = "single".into();
    assert!(!validator.is_valid(&typo), "unknown keys are refused");
    let mut wrong = hardened.clone();
    wrong["cluster"]["endpoint_public"] = "no".into();
    assert!(!validator.is_valid(&wrong), "types are checked");
    let mut missing = hardened.clone();
    missing["network"]
        .as_object_mut()
        .expect("a table")
        .remove("vpc_cidr");
    assert!(!validator.is_valid(&missing), "required keys are checked");
}
