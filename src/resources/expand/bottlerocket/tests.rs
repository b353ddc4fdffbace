//! The settings text must stay byte for byte what eksforge wrote before it used a TOML writer
//! (a change would replace every node group's launch template). `legacy_settings` is that
//! hand-written formatter, kept here only as the reference. It appended `user_data` as text;
//! eksforge now writes the fragment's parsed settings back, which gives the same bytes for a
//! fragment already written that way and refuses the rest (the tests at the end).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::UserDataError;
use crate::blueprint::model::{NodeGroup, Taint};

/// The user data of a group eksforge accepts.
fn settings(group: &NodeGroup) -> String {
    super::settings(group).expect("user data is built")
}

fn legacy_settings(group: &NodeGroup) -> String {
    let mut out = String::from(
        "# eksforge: Bottlerocket settings (merged with EKS's own by the managed node group)\n",
    );
    out.push_str("[settings.host-containers.admin]\nenabled = false\n\n");
    out.push_str("[settings.host-containers.control]\nenabled = true\n");
    if !group.labels.is_empty() {
        out.push_str("\n[settings.kubernetes.node-labels]\n");
        for (key, value) in &group.labels {
            out.push_str(&format!("{key:?} = {value:?}\n"));
        }
    }
    if !group.taints.is_empty() {
        out.push_str("\n[settings.kubernetes.node-taints]\n");
        let mut by_key: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for taint in &group.taints {
            by_key.entry(&taint.key).or_default().push(format!(
                "{}:{}",
                taint.value.clone().unwrap_or_default(),
                taint.effect
            ));
        }
        for (key, values) in by_key {
            let list: Vec<String> = values.iter().map(|value| format!("{value:?}")).collect();
            out.push_str(&format!("{key:?} = [{}]\n", list.join(", ")));
        }
    }
    if let Some(extra) = group
        .user_data
        .as_deref()
        .filter(|extra| !extra.trim().is_empty())
    {
        out.push_str("\n# node_groups.user_data\n");
        out.push_str(extra.trim_end());
        out.push('\n');
    }
    out
}

fn group(
    labels: &[(&str, &str)],
    taints: &[(&str, Option<&str>, &str)],
    user_data: Option<&str>,
) -> NodeGroup {
    let mut group: NodeGroup = toml::from_str(
        r#"
name = "system"
instance_types = ["m6i.large"]
min_size = 1
max_size = 3
desired_size = 2
"#,
    )
    .expect("a minimal node group");
    group.labels = labels
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    group.taints = taints
        .iter()
        .map(|(key, value, effect)| Taint {
            key: key.to_string(),
            value: value.map(str::to_string),
            effect: effect.to_string(),
        })
        .collect();
    group.user_data = user_data.map(str::to_string);
    group
}

fn check(group: &NodeGroup) {
    assert_eq!(settings(group), legacy_settings(group));
}

#[test]
fn a_group_without_labels_taints_or_user_data_gets_the_two_containers_only() {
    let group = group(&[], &[], None);
    assert_eq!(
        settings(&group),
        "# eksforge: Bottlerocket settings (merged with EKS's own by the managed node group)\n\
         [settings.host-containers.admin]\nenabled = false\n\n\
         [settings.host-containers.control]\nenabled = true\n"
    );
    check(&group);
}

#[test]
fn quotes_backslashes_and_unicode_are_written_as_before() {
    let group = group(
        &[
            ("node.kubernetes.io/role", "system"),
            ("say \"hi\"", "back\\slash"),
            ("ünïcödé/名前", "日本語 ✓"),
            ("tab\there", "new\nline"),
            ("plain", ""),
        ],
        &[
            ("dedicated", Some("sys\"tem"), "NoSchedule"),
            ("dedicated", None, "NoExecute"),
            ("gpu\\x", Some("ja/日本"), "PreferNoSchedule"),
        ],
        Some("[settings.kernel]\nlockdown = \"integrity\"\n\n  \n"),
    );
    check(&group);
    let text = settings(&group);
    assert!(text.contains(r#""say \"hi\"" = "back\\slash""#), "{text}");
    assert!(text.contains(r#""ünïcödé/名前" = "日本語 ✓""#), "{text}");
    assert!(
        text.contains(r#""dedicated" = ["sys\"tem:NoSchedule", ":NoExecute"]"#),
        "{text}"
    );
}

#[test]
fn blank_user_data_adds_nothing() {
    check(&group(&[("a", "b")], &[], Some("  \n ")));
    assert!(!settings(&group(&[], &[], Some("\n"))).contains("user_data"));
}

#[test]
fn the_settings_parse_back_to_the_labels_and_taints() {
    let group = group(
        &[("say \"hi\"", "back\\slash"), ("ünïcödé", "日本語")],
        &[("k", Some("v"), "NoSchedule"), ("k", None, "NoExecute")],
        None,
    );
    let parsed: toml::Table = toml::from_str(&settings(&group)).expect("valid TOML");
    let kubernetes = &parsed["settings"]["kubernetes"];
    assert_eq!(
        kubernetes["node-labels"]["say \"hi\""].as_str(),
        Some("back\\slash")
    );
    assert_eq!(
        kubernetes["node-labels"]["ünïcödé"].as_str(),
        Some("日本語")
    );
    let taints: Vec<&str> = kubernetes["node-taints"]["k"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(toml::Value::as_str)
        .collect();
    assert_eq!(taints, ["v:NoSchedule", ":NoExecute"]);
}

/// Printable text of the kinds labels and taints may carry (and some they may not): the
/// old formatter and TOML agree on these. Control characters other than tab and newline
/// were never valid TOML from the old formatter, and validation refuses them.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._/\\- \"\\\\'éü日本✓\t\n]{0,12}"
}

proptest! {
    #[test]
    fn any_labels_and_taints_are_written_as_before(
        labels in proptest::collection::btree_map(text(), text(), 0..4),
        taints in proptest::collection::vec(
            (text(), proptest::option::of(text()), prop_oneof!["NoSchedule", "PreferNoSchedule", "NoExecute"]),
            0..4,
        ),
    ) {
        let mut group = group(&[], &[], None);
        group.labels = labels;
        group.taints = taints
            .into_iter()
            .map(|(key, value, effect)| Taint { key, value, effect })
            .collect::<Vec<_>>();
        prop_assert_eq!(settings(&group), legacy_settings(&group));
    }
}

/// The document the user data parses to.
fn parsed(group: &NodeGroup) -> toml::Table {
    settings(group).parse().expect("valid TOML")
}

#[test]
fn a_bare_key_is_refused_instead_of_landing_in_the_control_container() {
    let error = super::settings(&group(
        &[],
        &[],
        Some(
            "superpowered = true
",
        ),
    ))
    .expect_err("refused");
    assert!(
        matches!(&error, UserDataError::Refused(message) if message.contains("`superpowered` outside [settings]")),
        "{error}"
    );
}

#[test]
fn refused_settings_never_reach_the_user_data() {
    for fragment in [
        "[settings.host-containers.admin]\nenabled = true\n",
        "[settings.host-containers.control]\nenabled = false\n",
        "[settings.bootstrap-containers.setup]\nsource = \"x\"\nmode = \"always\"\n",
        "[settings.kubernetes.node-labels]\nteam = \"x\"\n",
        "[bootstrap]\nx = 1\n",
        "[settings]\nkubernetes = 1\n",
        "[settings.kernel\n",
        "[settings.x]\ny = nan\n",
    ] {
        let result = super::settings(&group(&[("team", "a")], &[], Some(fragment)));
        assert!(
            matches!(result, Err(UserDataError::Refused(_))),
            "{fragment}: {result:?}"
        );
    }
}

#[test]
fn a_benign_fragment_lands_under_settings_beside_eksforge_s_tables() {
    let group = group(
        &[("team", "platform")],
        &[("dedicated", Some("system"), "NoSchedule")],
        Some(
            "# tuned for many connections\n[settings.kernel.sysctl]\n\"net.core.somaxconn\" = \"1024\"\n\n[settings.kubernetes]\nmax-pods = 50\n[settings]\nmotd = \"hi\"\n",
        ),
    );
    let text = settings(&group);
    assert!(
        text.contains("\n# node_groups.user_data\n[settings]\nmotd = \"hi\"\n"),
        "{text}"
    );
    let document = parsed(&group);
    assert_eq!(document.keys().collect::<Vec<_>>(), ["settings"]);
    let settings = &document["settings"];
    assert_eq!(
        settings["kernel"]["sysctl"]["net.core.somaxconn"].as_str(),
        Some("1024")
    );
    assert_eq!(settings["kubernetes"]["max-pods"].as_integer(), Some(50));
    assert_eq!(settings["motd"].as_str(), Some("hi"));
    // eksforge's own settings are untouched by the merge.
    assert_eq!(
        settings["kubernetes"]["node-labels"]["team"].as_str(),
        Some("platform")
    );
    let containers = &settings["host-containers"];
    assert_eq!(containers["admin"]["enabled"].as_bool(), Some(false));
    assert_eq!(containers["control"]["enabled"].as_bool(), Some(true));
    assert_eq!(
        containers["control"].as_table().map(toml::Table::len),
        Some(1)
    );
}

#[test]
fn control_characters_in_labels_and_taints_are_escaped() {
    let group = group(
        &[
            ("bell\u{7}key", "nul\u{0}esc\u{1b}del\u{7f}"),
            ("cr", "a\rb"),
        ],
        &[("k\u{1}", Some("v\u{8}"), "NoSchedule")],
        None,
    );
    let text = settings(&group);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "raw control characters: {text:?}"
    );
    let document = parsed(&group);
    let kubernetes = &document["settings"]["kubernetes"];
    assert_eq!(
        kubernetes["node-labels"]["bell\u{7}key"].as_str(),
        Some("nul\u{0}esc\u{1b}del\u{7f}")
    );
    assert_eq!(kubernetes["node-labels"]["cr"].as_str(), Some("a\rb"));
    assert_eq!(
        kubernetes["node-taints"]["k\u{1}"][0].as_str(),
        Some("v\u{8}:NoSchedule")
    );
}
