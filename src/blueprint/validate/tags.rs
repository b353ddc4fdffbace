//! `blueprint.tags`: every tag lands on every taggable resource, so each key and value must
//! pass the strictest rule among the services eksforge tags (EC2, IAM, EKS, KMS, CloudWatch
//! Logs), and the count must leave room for eksforge's own tags.

use std::collections::BTreeMap;

use super::{Checker, Target};
use crate::blueprint::limits::{
    tag_character_allowed, EKSFORGE_TAG_KEYS, MAX_EKSFORGE_TAGS, MAX_TAGS_PER_RESOURCE,
    MAX_TAG_KEY_LEN, MAX_TAG_VALUE_LEN,
};
use crate::blueprint::model::Blueprint;

const CODE: &str = "eksforge::blueprint::tag";

impl Checker<'_> {
    pub(super) fn tags(&mut self, model: &Blueprint) {
        let tags = &model.blueprint.tags;
        let room = MAX_TAGS_PER_RESOURCE - MAX_EKSFORGE_TAGS;
        if tags.len() > room {
            self.report(
                CODE,
                "blueprint.tags",
                format!(
                    "blueprint.tags has {} tags; with the {MAX_EKSFORGE_TAGS} eksforge adds \
                     (`Name`, `eksforge:blueprint`, `eksforge:resource`, a subnet's \
                     load-balancer role) a resource would carry more than the \
                     {MAX_TAGS_PER_RESOURCE} AWS allows",
                    tags.len()
                ),
                "too many tags",
                format!("keep at most {room} tags in blueprint.tags"),
            );
        }
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (key, value) in tags {
            // A key with dots cannot be found by path: fall back to the tags table.
            let target = if key.contains(['.', '[', '"']) || key.is_empty() {
                "blueprint.tags".to_string()
            } else {
                format!("blueprint.tags.{key}")
            };
            if let Some(reason) = key_problem(key) {
                let problem = self.problem(
                    CODE,
                    Target::Key(&target),
                    format!("invalid tag key {key:?}: {reason}"),
                    "invalid tag key",
                    format!(
                        "use a key of 1–{MAX_TAG_KEY_LEN} letters, digits, spaces and \
                         `_ . : / = + - @` that does not start with `aws:` or `eksforge:`"
                    ),
                );
                self.problems.push(problem);
            }
            if let Some(reason) = value_problem(value) {
                self.report(
                    CODE,
                    &target,
                    format!("invalid value for tag {key:?}: {reason}"),
                    "invalid tag value",
                    format!(
                        "use at most {MAX_TAG_VALUE_LEN} letters, digits, spaces and \
                         `_ . : / = + - @`"
                    ),
                );
            }
            // IAM keeps one tag per key whatever its case, and refuses the request otherwise.
            let folded = key.to_lowercase();
            match seen.get(&folded) {
                Some(first) => self.report(
                    CODE,
                    &target,
                    format!("tag keys {first:?} and {key:?} differ only in case"),
                    "same key as another tag",
                    "IAM treats tag keys that differ only in case as one key; keep one of them"
                        .to_string(),
                ),
                None => {
                    seen.insert(folded, key);
                }
            }
        }
    }
}

/// Why AWS (or eksforge's own tagging) would refuse `key`; `None` when it is fine.
fn key_problem(key: &str) -> Option<String> {
    let length = key.chars().count();
    let lower = key.to_lowercase();
    if key.is_empty() {
        Some("a tag key cannot be empty".to_string())
    } else if length > MAX_TAG_KEY_LEN {
        Some(format!(
            "it is {length} characters long; EC2 allows at most {MAX_TAG_KEY_LEN}"
        ))
    } else if lower.starts_with("aws:") {
        Some("tag keys starting with `aws:` are reserved for AWS".to_string())
    } else if lower.starts_with("eksforge:") {
        Some("tag keys starting with `eksforge:` are reserved for eksforge's own tags".to_string())
    } else if let Some(own) = EKSFORGE_TAG_KEYS
        .iter()
        .find(|own| own.to_lowercase() == lower)
    {
        Some(format!(
            "eksforge sets `{own}` itself on the resources it makes, and would replace this tag"
        ))
    } else {
        character_problem(key)
    }
}

/// Why AWS would refuse `value` as a tag value; `None` when it is fine (empty is fine).
fn value_problem(value: &str) -> Option<String> {
    let length = value.chars().count();
    if length > MAX_TAG_VALUE_LEN {
        return Some(format!(
            "it is {length} characters long; AWS allows at most {MAX_TAG_VALUE_LEN}"
        ));
    }
    character_problem(value)
}

/// The first character IAM and CloudWatch Logs refuse in a tag, with its position.
fn character_problem(text: &str) -> Option<String> {
    let (position, bad) = text
        .chars()
        .enumerate()
        .find(|(_, c)| !tag_character_allowed(*c))?;
    Some(format!(
        "character {} is {bad:?}, which IAM and CloudWatch Logs refuse in tags",
        position + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_every_tagged_service_accepts() {
        for key in [
            "team",
            "cost-center",
            "app.kubernetes.io/name",
            "Owner @ ops",
            "é",
        ] {
            assert_eq!(key_problem(key), None, "{key}");
        }
        assert_eq!(key_problem(&"k".repeat(MAX_TAG_KEY_LEN)), None);
    }

    #[test]
    fn keys_some_tagged_service_refuses() {
        for (key, reason) in [
            ("", "empty"),
            ("AWS:owner", "reserved for AWS"),
            ("EksForge:x", "eksforge's own"),
            ("name", "sets `Name` itself"),
            ("kubernetes.io/role/elb", "sets `kubernetes.io/role/elb`"),
            ("team#1", "'#'"),
            ("line\nbreak", "'\\n'"),
            ("tab\there", "'\\t'"),
        ] {
            let found = key_problem(key).unwrap_or_else(|| panic!("{key:?} refused"));
            assert!(found.contains(reason), "{key:?}: {found}");
        }
        let long = key_problem(&"k".repeat(MAX_TAG_KEY_LEN + 1)).expect("too long");
        assert!(
            long.contains("128 characters long; EC2 allows at most 127"),
            "{long}"
        );
    }

    #[test]
    fn values_may_be_empty_but_not_too_long_nor_controls() {
        assert_eq!(value_problem(""), None);
        assert_eq!(value_problem(&"v".repeat(MAX_TAG_VALUE_LEN)), None);
        assert!(value_problem(&"v".repeat(MAX_TAG_VALUE_LEN + 1)).is_some());
        let control = value_problem("ok\u{7}").expect("bell refused");
        assert!(control.contains("character 3"), "{control}");
    }
}
