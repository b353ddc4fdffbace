//! Loading blueprints that are right: the shipped ones, `extends`, `--var`, `locate`,
//! `source_hash`.

use std::path::{Path, PathBuf};

use eksforge::blueprint::cidr::{subnet_layout, Ipv4Cidr};
use eksforge::blueprint::model::{AzSpec, NatMode, StateBackendKind};
use eksforge::blueprint::{load, load_str, templates, BlueprintError, LoadedBlueprint};

const FIXTURES: &str = "tests/fixtures/blueprints";

fn vars(list: &[&str]) -> Vec<String> {
    list.iter().map(|v| v.to_string()).collect()
}

fn ok(result: Result<LoadedBlueprint, BlueprintError>) -> LoadedBlueprint {
    match result {
        Ok(loaded) => loaded,
        Err(e) => panic!("{:?}", miette::Report::new(e)),
    }
}

#[test]
fn the_hardened_blueprint_loads_as_documented() {
    let loaded = ok(load(Path::new("blueprints/hardened.toml"), &[]));
    let model = &loaded.model;
    assert_eq!(model.blueprint.name, "hardened");
    assert_eq!(model.blueprint.region.as_deref(), Some("eu-west-1"));
    assert_eq!(model.state.backend, StateBackendKind::Local);
    assert_eq!(model.network.vpc_cidr, "10.40.0.0/16");
    assert_eq!(model.network.azs, AzSpec::Count(3));
    assert_eq!(model.network.nat, NatMode::PerAz);
    assert!(model.network.public_subnets);
    assert_eq!(loaded.path(), Path::new("blueprints/hardened.toml"));

    let layout = subnet_layout(&model.network, 3).expect("layout");
    let shown: Vec<String> = layout
        .private
        .iter()
        .chain(&layout.public)
        .map(Ipv4Cidr::to_string)
        .collect();
    assert_eq!(
        shown,
        [
            "10.40.0.0/18",
            "10.40.64.0/18",
            "10.40.128.0/18",
            "10.40.192.0/20",
            "10.40.208.0/20",
            "10.40.224.0/20"
        ]
    );
    // The embedded template is the same file.
    let embedded = ok(load_str("hardened.toml", templates::HARDENED, &[]));
    assert_eq!(embedded.model, loaded.model);
    assert_eq!(embedded.source_hash(), loaded.source_hash());
}

#[test]
fn the_single_nat_example_extends_hardened() {
    let loaded = ok(load(Path::new("blueprints/examples/single-nat.toml"), &[]));
    let model = &loaded.model;
    assert_eq!(model.blueprint.name, "single-nat");
    assert_eq!(model.blueprint.region.as_deref(), Some("eu-west-1"));
    assert_eq!(model.blueprint.extends.as_deref(), Some("../hardened.toml"));
    assert_eq!(model.network.nat, NatMode::Single);
    assert_eq!(model.network.vpc_cidr, "10.40.0.0/16");

    // Each key is located in the file that set it.
    let nat = loaded.locate("network.nat").expect("nat");
    assert_eq!(
        nat.file,
        PathBuf::from("blueprints/examples/single-nat.toml")
    );
    let cidr = loaded.locate("network.vpc_cidr").expect("vpc_cidr");
    assert_eq!(cidr.file, PathBuf::from("blueprints/hardened.toml"));
    let text = std::fs::read_to_string("blueprints/hardened.toml").expect("read");
    assert_eq!(&text[cidr.span.clone()], "\"10.40.0.0/16\"");
    let line = text.lines().nth(cidr.line - 1).expect("line");
    assert!(line.starts_with("vpc_cidr = "), "{line}");
    assert_eq!(cidr.column, "vpc_cidr = ".len() + 1);
}

#[test]
fn every_section_of_the_design_sample_loads() {
    let loaded = ok(load(&Path::new(FIXTURES).join("full.toml"), &[]));
    let model = &loaded.model;
    assert_eq!(
        model.blueprint.tags.get("cost-center").map(String::as_str),
        Some("1234")
    );
    let cluster = model.cluster.as_ref().expect("cluster");
    assert_eq!(cluster.version, "1.34");
    assert_eq!(cluster.public_access_cidrs, ["203.0.113.0/24"]);
    assert_eq!(cluster.log_retention_days, 90);
    assert_eq!(model.node_groups.len(), 2);
    assert_eq!(model.node_groups[1].arch, "arm64");
    assert_eq!(model.node_groups[1].ami, "bottlerocket");
    let irsa = model.irsa.as_ref().expect("irsa");
    assert_eq!(irsa.service_accounts[0].name, "uploader");
    // A TOML date is accepted and kept as written.
    assert_eq!(model.waivers[0].expires.as_deref(), Some("2026-12-31"));

    let min = loaded.locate("node_groups[1].min_size").expect("min_size");
    assert_eq!(min.line, 40);
    assert_eq!(loaded.locate("node_groups.1.min_size"), Some(min));
    let section = loaded.locate("network").expect("network");
    assert_eq!((section.line, section.column), (10, 1));
    let header = loaded.locate("node_groups[0]").expect("node group");
    assert_eq!(header.line, 27);
    assert_eq!(
        loaded.locate("waivers[0].expires").map(|l| l.line),
        Some(58)
    );
    assert_eq!(loaded.locate("cluster.nope"), None);
    assert_eq!(loaded.locate("node_groups[9]"), None);
    assert_eq!(loaded.locate("access.ssm_only.deeper"), None);
    assert_eq!(loaded.locate(""), None);
}

#[test]
fn defaults_fill_what_is_not_written() {
    let loaded = ok(load_str(
        "min.toml",
        "[blueprint]\nname = \"min\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n",
        &[],
    ));
    let cluster = loaded.model.cluster.as_ref().expect("cluster");
    assert!(cluster.endpoint_private);
    assert!(!cluster.endpoint_public);
    assert_eq!(cluster.logging.len(), 5);
    assert_eq!(loaded.model.network.azs, AzSpec::Count(3));
    assert_eq!(loaded.locate("cluster.logging"), None);
    assert_eq!(loaded.locate("cluster").map(|l| l.line), Some(5));
}

#[test]
fn vars_override_merge_and_are_located() {
    let base = Path::new(FIXTURES).join("full.toml");
    let loaded = ok(load(
        &base,
        &vars(&[
            "network.nat=single",
            "blueprint.name=prod-us",
            "cluster.endpoint_public=false",
            "node_groups.0.desired_size=4",
            "node_groups[1].instance_types=[\"m7g.xlarge\"]",
            "cluster.version=1.35",
            "network.azs=[\"eu-west-1a\", \"eu-west-1b\"]",
            "blueprint.tags.owner=team platform",
        ]),
    ));
    let model = &loaded.model;
    assert_eq!(model.network.nat, NatMode::Single);
    assert_eq!(model.blueprint.name, "prod-us");
    let cluster = model.cluster.as_ref().expect("cluster");
    assert!(!cluster.endpoint_public);
    // `1.35` parses as a float but the key takes a string: the text as typed.
    assert_eq!(cluster.version, "1.35");
    assert_eq!(model.node_groups[0].desired_size, 4);
    assert_eq!(model.node_groups[1].instance_types, ["m7g.xlarge"]);
    assert_eq!(
        model.network.azs,
        AzSpec::Names(vec!["eu-west-1a".into(), "eu-west-1b".into()])
    );
    assert_eq!(
        model.blueprint.tags.get("owner").map(String::as_str),
        Some("team platform")
    );
    // Untouched keys keep their values.
    assert_eq!(
        model.blueprint.tags.get("team").map(String::as_str),
        Some("platform")
    );

    let at = loaded.locate("network.nat").expect("nat");
    assert_eq!(at.file, PathBuf::from("--var network.nat=single"));
    assert_eq!((at.line, at.column, at.span.clone()), (1, 13, 12..18));
    let at = loaded.locate("network.azs[1]").expect("azs");
    assert_eq!(at.span, 27..39);
}

#[test]
fn vars_create_missing_sections_and_later_vars_win() {
    let text = "[blueprint]\nname = \"v\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n";
    let loaded = ok(load_str(
        "v.toml",
        text,
        &vars(&[
            "cluster.log_retention_days=30",
            "cluster.log_retention_days = 60 ",
        ]),
    ));
    assert_eq!(
        loaded.model.cluster.as_ref().map(|c| c.log_retention_days),
        Some(60)
    );
    let at = loaded
        .locate("cluster.log_retention_days")
        .expect("located");
    assert_eq!(
        at.file,
        PathBuf::from("--var cluster.log_retention_days = 60 ")
    );
    assert_eq!(at.column, 30);
}

#[test]
fn vars_are_validated_like_the_file() {
    let text = "[blueprint]\nname = \"v\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n";
    let error = load_str("v.toml", text, &vars(&["network.azs=1"])).expect_err("invalid");
    assert_eq!(error.codes(), ["eksforge::blueprint::azs"]);
    let at = error.problems()[0].location().expect("located").clone();
    assert_eq!(at.file, PathBuf::from("--var network.azs=1"));
    assert_eq!(at.column, 13);

    for (var, needle) in [
        ("=3", "not a key path"),
        ("network..nat=x", "not a key path"),
        ("network.vpc_cidr.x=1", "is a string, it has no `x`"),
        ("blueprint[0]=1", "is a table, not an array"),
        ("waivers.0.reason=x", "no `waivers`"),
    ] {
        let error = load_str("v.toml", text, &vars(&[var])).expect_err(var);
        assert_eq!(error.codes(), ["eksforge::blueprint::bad_var"], "{var}");
        let message = error.problems()[0].to_string();
        assert!(message.contains(needle), "{var}: {message}");
        assert!(message.contains(var), "{var}: {message}");
    }

    let full = Path::new(FIXTURES).join("full.toml");
    let error = load(&full, &vars(&["node_groups.x.name=a"])).expect_err("not an index");
    assert_eq!(error.codes(), ["eksforge::blueprint::bad_var"]);
    assert!(error.problems()[0]
        .to_string()
        .contains("`x` is not an index"));
    let at = error.problems()[0].location().expect("located").clone();
    assert_eq!(at.span, 12..13);
}

#[test]
fn source_hash_follows_every_input() {
    let text = "[blueprint]\nname = \"h\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n";
    let hash = |text: &str, v: &[&str]| ok(load_str("h.toml", text, &vars(v))).source_hash();
    let base = hash(text, &[]);
    assert_eq!(base.len(), 64);
    assert!(base.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(base, hash(text, &[]));
    assert_ne!(base, hash(&format!("{text}# a comment\n"), &[]));
    assert_ne!(base, hash(text, &["network.nat=single"]));
    assert_ne!(
        hash(text, &["network.nat=single"]),
        hash(
            text,
            &[
                "network.nat=none",
                "network.public_subnets=false",
                r#"network.endpoints=["ecr.api", "ecr.dkr", "s3", "sts", "ec2", "ssm", "ssmmessages", "ec2messages", "eks-auth"]"#,
            ]
        )
    );
}

#[test]
fn source_hash_covers_extended_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let parent = dir.path().join("base.toml");
    let child = dir.path().join("child.toml");
    std::fs::write(&parent, "[network]\nvpc_cidr = \"10.0.0.0/16\"\n").expect("write");
    std::fs::write(
        &child,
        "[blueprint]\nextends = \"base.toml\"\nname = \"c\"\n",
    )
    .expect("write");
    let first = ok(load(&child, &[]));
    assert_eq!(first.model.network.vpc_cidr, "10.0.0.0/16");
    std::fs::write(&parent, "[network]\nvpc_cidr = \"10.1.0.0/16\"\n").expect("write");
    let second = ok(load(&child, &[]));
    assert_eq!(second.model.network.vpc_cidr, "10.1.0.0/16");
    assert_ne!(first.source_hash(), second.source_hash());
}

#[test]
fn extends_chains_merge_deeply_and_arrays_replace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir(root.join("base")).expect("mkdir");
    std::fs::write(
        root.join("base/grand.toml"),
        "[blueprint]\nname = \"grand\"\nregion = \"eu-west-1\"\ntags = { a = \"1\", b = \"2\" }\n\
         [network]\nvpc_cidr = \"10.0.0.0/16\"\nazs = [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]\n",
    )
    .expect("write");
    std::fs::write(
        root.join("base/parent.toml"),
        "[blueprint]\nextends = \"grand.toml\"\ntags = { b = \"3\" }\n[network]\nnat = \"single\"\n",
    )
    .expect("write");
    std::fs::write(
        root.join("child.toml"),
        "[blueprint]\nextends = \"base/parent.toml\"\nname = \"child\"\n\
         [network]\nazs = [\"eu-west-1b\", \"eu-west-1c\"]\n",
    )
    .expect("write");
    let loaded = ok(load(&root.join("child.toml"), &[]));
    let model = &loaded.model;
    assert_eq!(model.blueprint.name, "child");
    assert_eq!(model.blueprint.region.as_deref(), Some("eu-west-1"));
    let tags: Vec<(&str, &str)> = model
        .blueprint
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(tags, [("a", "1"), ("b", "3")]);
    assert_eq!(model.network.nat, NatMode::Single);
    assert_eq!(
        model.network.azs,
        AzSpec::Names(vec!["eu-west-1b".into(), "eu-west-1c".into()])
    );
    let region = loaded.locate("blueprint.region").expect("region");
    assert!(
        region.file.ends_with("base/grand.toml"),
        "{}",
        region.file.display()
    );
}

#[test]
fn a_problem_in_an_extended_file_points_into_that_file() {
    let error =
        load(&Path::new(FIXTURES).join("extends_bad_parent.toml"), &[]).expect_err("invalid");
    let problem = error.problems()[0];
    assert_eq!(problem.code_name(), "eksforge::blueprint::vpc_cidr");
    let at = problem.location().expect("located");
    assert_eq!(
        at.file,
        PathBuf::from("tests/fixtures/blueprints/bad_parent.toml")
    );
    assert_eq!((at.line, at.column), (2, 12));
}
