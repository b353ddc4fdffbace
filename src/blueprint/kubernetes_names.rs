//! Kubernetes' rules for what a blueprint hands to the kubelet: node label keys and values,
//! taint keys and values. A label or taint Kubernetes refuses would reach AWS and fail late
//! (or, in Bottlerocket's settings, stop the node from joining), so validation checks them
//! offline with these pure functions.
//!
//! A key is a qualified name: an optional DNS-subdomain prefix (at most 253 characters) and
//! `/`, then a name of at most 63 of `A-Z a-z 0-9 . _ -` that starts and ends with a letter or
//! digit. A value is empty or a name of the same shape.
//!
//! EKS's managed node group API is stricter, and eksforge sends labels and taints there too:
//! a whole key (prefix included) of at most 63 characters, a label value never empty, and at
//! most 50 taints.

use std::collections::BTreeMap;

use super::model::Taint;

/// Longest name part of a key, and longest value.
pub const MAX_NAME_LEN: usize = 63;
/// Most taints EKS takes on one managed node group.
pub const MAX_EKS_TAINTS: usize = 50;
/// Longest DNS-subdomain prefix of a key.
pub const MAX_PREFIX_LEN: usize = 253;

/// Why `key` is not a valid label or taint key; `None` when it is.
pub fn key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if let Some(reason) = prefix_problem(prefix) {
            return Some(format!("its prefix \"{prefix}\" {reason}"));
        }
    }
    if name.is_empty() {
        return Some("it has no name (the part after any `prefix/`)".to_string());
    }
    name_problem(name).map(|reason| format!("its name \"{name}\" {reason}"))
}

/// Why `value` is not a valid label or taint value; `None` when it is (empty is valid).
pub fn value_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    name_problem(value)
}

/// Why EKS would refuse `key` (already valid for Kubernetes) as a managed node group's label
/// or taint key: EKS caps the whole key, prefix included, at 63 characters.
fn eks_key_problem(key: &str) -> Option<String> {
    let length = key.chars().count();
    (length > MAX_NAME_LEN).then(|| {
        format!(
            "it is {length} characters long; EKS takes node group label and taint keys of at \
             most {MAX_NAME_LEN}, prefix included"
        )
    })
}

/// A name part or value: 1–63 of `A-Z a-z 0-9 . _ -`, alphanumeric at both ends.
fn name_problem(name: &str) -> Option<String> {
    if name.len() > MAX_NAME_LEN {
        return Some(format!(
            "is {} characters long; Kubernetes allows at most {MAX_NAME_LEN}",
            name.chars().count()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Some(format!(
            "contains {bad:?}; only letters, digits, `.`, `_` and `-` are allowed"
        ));
    }
    if !starts_and_ends_alphanumeric(name) {
        return Some("must start and end with a letter or digit".to_string());
    }
    None
}

/// A DNS subdomain: at most 253 characters of dot-separated lowercase labels of
/// `a-z 0-9 -`, alphanumeric at both ends.
fn prefix_problem(prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        return Some("is empty".to_string());
    }
    if prefix.len() > MAX_PREFIX_LEN {
        return Some(format!(
            "is {} characters long; Kubernetes allows at most {MAX_PREFIX_LEN}",
            prefix.chars().count()
        ));
    }
    let valid_label = |label: &str| {
        label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && starts_and_ends_alphanumeric(label)
    };
    if !prefix.split('.').all(valid_label) {
        return Some(
            "is not a DNS subdomain (lowercase letters, digits, `-` and `.`, each part starting and ending with a letter or digit)"
                .to_string(),
        );
    }
    None
}

fn starts_and_ends_alphanumeric(text: &str) -> bool {
    let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    alphanumeric(text.chars().next()) && alphanumeric(text.chars().last())
}

/// One label or taint of a node group that Kubernetes refuses, placed relative to the node
/// group (`labels.KEY`, `taints[N].value`) so validation can locate it in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameProblem {
    pub code: &'static str,
    /// Path below `node_groups[N]`.
    pub path: String,
    /// The problem is the key itself (point at the key), not its value.
    pub at_key: bool,
    pub message: String,
    pub label: &'static str,
    pub help: String,
}

const LABEL_CODE: &str = "eksforge::blueprint::node_label";
const TAINT_CODE: &str = "eksforge::blueprint::node_taint";
const KEY_HELP: &str = "write the key as `name` or `prefix/name`, at most 63 characters in all (EKS's limit): a name of letters, digits, `.`, `_` and `-` starting and ending with a letter or digit, e.g. \"node.kubernetes.io/role\"";
const VALUE_HELP: &str = "write 1–63 letters, digits, `.`, `_` and `-` starting and ending with a letter or digit (a taint value may also be \"\")";

/// Every label and taint of a node group that Kubernetes would refuse.
pub fn node_group_problems(
    labels: &BTreeMap<String, String>,
    taints: &[Taint],
) -> Vec<NameProblem> {
    let mut problems = Vec::new();
    for (key, value) in labels {
        // A key with dots, brackets or quotes cannot be found by path: point at the table.
        let path = if key.contains(['.', '[', '"', '\'']) {
            "labels".to_string()
        } else {
            format!("labels.{key}")
        };
        if let Some(reason) = key_problem(key).or_else(|| eks_key_problem(key)) {
            problems.push(NameProblem {
                code: LABEL_CODE,
                path: path.clone(),
                at_key: true,
                message: format!("invalid node label key \"{key}\": {reason}"),
                label: "invalid label key",
                help: KEY_HELP.to_string(),
            });
        }
        let eks_value_problem = value
            .is_empty()
            .then(|| "EKS refuses an empty node label value".to_string());
        if let Some(reason) = value_problem(value).or(eks_value_problem) {
            problems.push(NameProblem {
                code: LABEL_CODE,
                path,
                at_key: false,
                message: format!("invalid value \"{value}\" of node label \"{key}\": {reason}"),
                label: "invalid label value",
                help: VALUE_HELP.to_string(),
            });
        }
    }
    if taints.len() > MAX_EKS_TAINTS {
        problems.push(NameProblem {
            code: TAINT_CODE,
            path: "taints".to_string(),
            at_key: false,
            message: format!(
                "the node group has {} taints; EKS takes at most {MAX_EKS_TAINTS}",
                taints.len()
            ),
            label: "too many taints",
            help: format!("keep at most {MAX_EKS_TAINTS} taints"),
        });
    }
    for (index, taint) in taints.iter().enumerate() {
        if let Some(reason) = key_problem(&taint.key).or_else(|| eks_key_problem(&taint.key)) {
            problems.push(NameProblem {
                code: TAINT_CODE,
                path: format!("taints[{index}].key"),
                at_key: false,
                message: format!("invalid taint key \"{}\": {reason}", taint.key),
                label: "invalid taint key",
                help: KEY_HELP.to_string(),
            });
        }
        let Some(value) = &taint.value else {
            continue;
        };
        if let Some(reason) = value_problem(value) {
            problems.push(NameProblem {
                code: TAINT_CODE,
                path: format!("taints[{index}].value"),
                at_key: false,
                message: format!(
                    "invalid value \"{value}\" of taint \"{}\": {reason}",
                    taint.key
                ),
                label: "invalid taint value",
                help: VALUE_HELP.to_string(),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn keys_kubernetes_accepts() {
        for key in [
            "app",
            "node.kubernetes.io/role",
            "example.com/My_Team-1.x",
            "a",
            "k8s.io/a",
            &format!("{}/{}", "a".repeat(253), "b".repeat(63)),
        ] {
            assert_eq!(key_problem(key), None, "{key}");
        }
    }

    #[test]
    fn keys_kubernetes_refuses() {
        for key in [
            "",
            "/app",
            "example.com/",
            "Example.com/app",
            "-app",
            "app-",
            "app name",
            "say \"hi\"",
            "ünïcödé",
            "a/b/c",
            "exa_mple.com/app",
            ".example.com/app",
            &"a".repeat(64),
            &format!("{}/b", "a".repeat(254)),
        ] {
            assert!(key_problem(key).is_some(), "{key:?}");
        }
    }

    #[test]
    fn values_kubernetes_accepts_and_refuses() {
        for value in ["", "system", "v1.2_3-x", &"z".repeat(63)] {
            assert_eq!(value_problem(value), None, "{value}");
        }
        for value in ["-x", "x.", "a b", "back\\slash", "日本", &"z".repeat(64)] {
            assert!(value_problem(value).is_some(), "{value:?}");
        }
    }

    #[test]
    fn reasons_name_the_broken_part() {
        assert_eq!(
            key_problem("Bad.Prefix/app").as_deref(),
            Some("its prefix \"Bad.Prefix\" is not a DNS subdomain (lowercase letters, digits, `-` and `.`, each part starting and ending with a letter or digit)")
        );
        assert_eq!(
            key_problem("team/a b").as_deref(),
            Some(
                "its name \"a b\" contains ' '; only letters, digits, `.`, `_` and `-` are allowed"
            )
        );
    }

    #[test]
    fn node_group_problems_are_placed_at_the_label_or_taint() {
        let labels = BTreeMap::from([
            ("ok".to_string(), "fine".to_string()),
            ("bad key".to_string(), "-bad".to_string()),
            ("node.kubernetes.io/x y".to_string(), "v".to_string()),
        ]);
        let taints = [
            Taint {
                key: "dedicated".to_string(),
                value: Some("a b".to_string()),
                effect: "NoSchedule".to_string(),
            },
            Taint {
                key: "-x".to_string(),
                value: None,
                effect: "NoSchedule".to_string(),
            },
        ];
        let found: Vec<(&str, String, bool)> = node_group_problems(&labels, &taints)
            .into_iter()
            .map(|problem| (problem.code, problem.path, problem.at_key))
            .collect();
        assert_eq!(
            found,
            [
                (LABEL_CODE, "labels.bad key".to_string(), true),
                (LABEL_CODE, "labels.bad key".to_string(), false),
                (LABEL_CODE, "labels".to_string(), true),
                (TAINT_CODE, "taints[0].value".to_string(), false),
                (TAINT_CODE, "taints[1].key".to_string(), false),
            ]
        );
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?"
    }

    fn prefix() -> impl Strategy<Value = String> {
        proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", 1..5)
            .prop_map(|labels| labels.join("."))
    }

    proptest! {
        #[test]
        fn well_formed_keys_and_values_pass(prefix in proptest::option::of(prefix()), name in name()) {
            let key = match prefix {
                Some(prefix) => format!("{prefix}/{name}"),
                None => name.clone(),
            };
            prop_assert_eq!(key_problem(&key), None);
            prop_assert_eq!(value_problem(&name), None);
        }

        #[test]
        fn a_character_outside_the_set_fails(name in name(), bad in "[^A-Za-z0-9._/-]", at in 0usize..64) {
            let mut chars: Vec<char> = name.chars().collect();
            let at = at.min(chars.len());
            chars.insert(at, bad.chars().next().unwrap_or(' '));
            let text: String = chars.into_iter().collect();
            prop_assert!(key_problem(&text).is_some());
            prop_assert!(value_problem(&text).is_some());
        }

        #[test]
        fn anything_accepted_is_safe_in_bottlerocket_settings(text in "\\PC{0,80}") {
            // Accepted keys and values need no escaping in TOML: the settings stay readable.
            if key_problem(&text).is_none() {
                prop_assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c)));
            }
            if value_problem(&text).is_none() {
                prop_assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
            }
        }
    }
}
