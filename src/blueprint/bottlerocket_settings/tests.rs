use super::*;

/// Each problem as (kind, the text its span covers).
fn found(fragment: &str) -> Vec<(FragmentProblemKind, &str)> {
    check_fragment(fragment)
        .into_iter()
        .map(|problem| {
            let covered = fragment.get(problem.span.clone()).unwrap_or("?");
            (problem.kind, covered)
        })
        .collect()
}

fn kinds(fragment: &str) -> Vec<FragmentProblemKind> {
    check_fragment(fragment)
        .into_iter()
        .map(|problem| problem.kind)
        .collect()
}

fn refused_paths(fragment: &str) -> Vec<String> {
    check_fragment(fragment)
        .into_iter()
        .map(|problem| match problem.kind {
            FragmentProblemKind::Refused { path, .. } => path,
            other => panic!("not a refusal: {other:?}"),
        })
        .collect()
}

#[test]
fn a_bare_key_is_outside_settings_at_its_own_span() {
    let fragment = "enabled = true\n[settings.kernel]\nlockdown = \"integrity\"\n";
    assert_eq!(
        found(fragment),
        [(
            FragmentProblemKind::OutsideSettings("enabled".into()),
            "enabled"
        )]
    );
}

#[test]
fn a_top_level_table_other_than_settings_is_outside_settings() {
    let fragment = "[settings.kernel]\nlockdown = \"integrity\"\n[kubernetes]\nmax-pods = 10\n";
    assert_eq!(
        found(fragment),
        [(
            FragmentProblemKind::OutsideSettings("kubernetes".into()),
            "kubernetes"
        )]
    );
}

#[test]
fn host_containers_are_refused_in_every_spelling() {
    for fragment in [
        "[settings.host-containers.admin]\nenabled = true\n",
        "[settings.host-containers.control]\nsuperpowered = true\n",
        "[settings.host-containers.mine]\nenabled = true\nsource = \"x\"\nsuperpowered = true\n",
        "[settings]\n\"host-containers\".admin.enabled = true\n",
        "settings = { host-containers = { admin = { enabled = true } } }\n",
        "[settings.Host-Containers.admin]\nenabled = true\n",
    ] {
        let paths = refused_paths(fragment);
        assert_eq!(paths.len(), 1, "{fragment}: {paths:?}");
        assert!(
            paths[0].eq_ignore_ascii_case("settings.host-containers"),
            "{fragment}: {paths:?}"
        );
    }
}

#[test]
fn bootstrap_containers_static_pods_and_credentials_are_refused() {
    let fragment = "[settings.bootstrap-containers.setup]\nsource = \"x\"\nmode = \"always\"\n\
                    [settings.kubernetes.static-pods.p]\nmanifest = \"x\"\n\
                    [settings.aws]\ncredentials = \"W2RlZmF1bHRd\"\n\
                    [settings.oci-defaults.capabilities]\nsys-admin = true\n";
    assert_eq!(
        refused_paths(fragment),
        [
            "settings.bootstrap-containers",
            "settings.kubernetes.static-pods",
            "settings.aws.credentials",
            "settings.oci-defaults.capabilities",
        ]
    );
}

#[test]
fn labels_and_taints_point_at_the_blueprint_keys() {
    let problems = check_fragment(
        "[settings.kubernetes.node-labels]\na = \"b\"\n[settings.kubernetes.node-taints]\nk = [\"v:NoSchedule\"]\n",
    );
    let helps: Vec<String> = problems.iter().map(FragmentProblem::help).collect();
    assert_eq!(helps.len(), 2);
    assert!(helps[0].contains("node_groups[].labels"), "{helps:?}");
    assert!(helps[1].contains("node_groups[].taints"), "{helps:?}");
}

#[test]
fn lockdown_is_refused_only_when_turned_off() {
    assert_eq!(
        refused_paths("[settings.kernel]\nlockdown = \"none\"\n"),
        ["settings.kernel.lockdown"]
    );
    assert!(check_fragment("[settings.kernel]\nlockdown = \"integrity\"\n").is_empty());
}

#[test]
fn tables_eksforge_writes_into_stay_tables() {
    for (fragment, path) in [
        ("settings = 5\n", "settings"),
        ("[settings]\nkubernetes = \"x\"\n", "settings.kubernetes"),
        (
            "[[settings.kubernetes]]\nmax-pods = 1\n",
            "settings.kubernetes",
        ),
    ] {
        assert_eq!(
            kinds(fragment),
            [FragmentProblemKind::NotATable(path.into())],
            "{fragment}"
        );
    }
}

#[test]
fn a_syntax_error_is_one_problem_with_the_parser_s_place() {
    let fragment = "[settings.host-containers.admin]\n[settings.host-containers.admin]\n";
    let problems = check_fragment(fragment);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(matches!(problems[0].kind, FragmentProblemKind::Syntax(_)));
    assert!(problems[0].span.start >= fragment.find('\n').unwrap_or(0));
}

#[test]
fn benign_settings_are_merged_and_blank_ones_add_nothing() {
    let settings = fragment_settings(
        "[settings.kernel.sysctl]\n\"net.core.somaxconn\" = \"1024\"\n[settings.kubernetes]\nmax-pods = 50\n",
    )
    .expect("allowed")
    .expect("settings");
    assert_eq!(
        settings["kernel"]["sysctl"]["net.core.somaxconn"].as_str(),
        Some("1024")
    );
    assert_eq!(settings["kubernetes"]["max-pods"].as_integer(), Some(50));
    assert_eq!(fragment_settings("  \n"), Ok(None));
    assert_eq!(fragment_settings("# later\n"), Ok(None));
    assert!(fragment_settings("x = 1\n").is_err());
}

#[test]
fn node_settings_apply_bottlerocket_s_defaults() {
    let defaults = node_settings(None).expect("defaults");
    assert_eq!(
        defaults.host_containers,
        [
            HostContainer {
                name: "admin".into(),
                enabled: false,
                superpowered: true
            },
            HostContainer {
                name: "control".into(),
                enabled: true,
                superpowered: false
            },
        ]
    );
    assert!(defaults.bootstrap_containers.is_empty() && defaults.static_pods.is_empty());
}

#[test]
fn node_settings_see_what_the_user_data_turns_on() {
    let settings = node_settings(Some(
        "[settings.host-containers.admin]\nenabled = true\n\
         [settings.host-containers.mine]\nenabled = true\nsuperpowered = true\n\
         [settings.bootstrap-containers.setup]\nmode = \"once\"\n\
         [settings.bootstrap-containers.idle]\nmode = \"off\"\n\
         [settings.kubernetes.static-pods.p]\nmanifest = \"x\"\n\
         [settings.kubernetes.static-pods.q]\nenabled = false\n",
    ))
    .expect("read");
    let enabled: Vec<&str> = settings
        .host_containers
        .iter()
        .filter(|container| container.enabled)
        .map(|container| container.name.as_str())
        .collect();
    assert_eq!(enabled, ["admin", "control", "mine"]);
    assert_eq!(
        settings.bootstrap_containers,
        [("setup".to_string(), "once".to_string())]
    );
    assert_eq!(settings.static_pods, ["p"]);
}

#[test]
fn node_settings_that_cannot_be_read_say_why() {
    for (user_data, why) in [
        ("#!/bin/bash\necho hi\n", "not Bottlerocket settings TOML"),
        (
            "[settings.host-containers.admin]\nenabled = \"yes\"\n",
            "settings.host-containers.admin.enabled is not a boolean",
        ),
        (
            "[settings]\nhost-containers = 1\n",
            "settings.host-containers is not a table",
        ),
        (
            "[settings.host-containers]\nadmin = true\n",
            "settings.host-containers.admin is not a table",
        ),
    ] {
        let error = node_settings(Some(user_data)).expect_err(user_data);
        assert!(error.contains(why), "{user_data}: {error}");
    }
}

#[test]
fn a_nan_is_refused_where_it_is_written() {
    let fragment = "[settings.x]\nlist = [1.0, nan]\n[[settings.y]]\nz = nan\n";
    assert_eq!(
        kinds(fragment),
        [
            FragmentProblemKind::NotANumber("settings.x.list".into()),
            FragmentProblemKind::NotANumber("settings.y".into()),
        ]
    );
}
