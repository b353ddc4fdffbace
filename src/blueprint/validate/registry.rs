//! `[registry]`: the scan type, and each repository's name, policy, key and lifecycle count.

use std::collections::BTreeMap;

use super::formats::is_policy_document;
use super::{Checker, POSTURE_KEY};
use crate::blueprint::limits;
use crate::blueprint::model::{Blueprint, RegistryScan};

impl Checker<'_> {
    /// The scan type and the repositories.
    pub(super) fn registry(&mut self, model: &Blueprint) {
        let Some(registry) = &model.registry else {
            return;
        };
        if !registry.scan.is_known() {
            self.report(
                POSTURE_KEY,
                "registry.scan",
                format!(
                    "scan \"{}\" is neither \"basic\" nor \"enhanced\"",
                    registry.scan
                ),
                "unknown value",
                "use \"enhanced\" (continuous scanning) or \"basic\"".to_string(),
            );
        }
        let enhanced = registry.scan == RegistryScan::Enhanced;
        if enhanced && registry.repositories.len() > limits::MAX_ENHANCED_SCAN_REPOSITORIES {
            self.report(
                POSTURE_KEY,
                "registry.scan",
                format!(
                    "enhanced scanning names each repository in one rule, which takes at most {} (there are {})",
                    limits::MAX_ENHANCED_SCAN_REPOSITORIES,
                    registry.repositories.len()
                ),
                "too many repositories",
                "split the repositories over blueprints, or use scan = \"basic\"".to_string(),
            );
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, repository) in registry.repositories.iter().enumerate() {
            let at = |key: &str| format!("registry.repositories[{i}].{key}");
            if let Some(reason) = repository_name_problem(&repository.name) {
                self.report(
                    "eksforge::blueprint::repository_name",
                    &at("name"),
                    format!("invalid repository name \"{}\": {reason}", repository.name),
                    "invalid name",
                    format!(
                        "ECR takes {} to {} characters matching {}, e.g. \"team/app\"",
                        limits::REPOSITORY_NAME_LEN.start(),
                        limits::REPOSITORY_NAME_LEN.end(),
                        limits::REPOSITORY_NAME_PATTERN
                    ),
                );
            }
            if let Some(first) = seen.get(repository.name.as_str()) {
                self.report_pair(
                    "eksforge::blueprint::duplicate_repository",
                    (&at("name"), "second repository with this name"),
                    (
                        &format!("registry.repositories[{first}].name"),
                        "first defined here",
                    ),
                    format!("repository \"{}\" is defined twice", repository.name),
                    "give every [[registry.repositories]] a distinct name".to_string(),
                );
            } else {
                seen.insert(&repository.name, i);
            }
            if let Some(text) = &repository.policy {
                if !is_policy_document(text) {
                    self.report(
                        POSTURE_KEY,
                        &at("policy"),
                        "the repository policy is not a JSON policy document".to_string(),
                        "not a policy",
                        "write '{\"Version\":\"2012-10-17\",\"Statement\":[...]}'".to_string(),
                    );
                }
            }
            if repository.kms && model.cluster.is_none() {
                self.report(
                    POSTURE_KEY,
                    &at("kms"),
                    format!(
                        "repository \"{}\" is to be encrypted with the blueprint's KMS key, which only a [cluster] has",
                        repository.name
                    ),
                    "no key",
                    "add a [cluster] (its key, `encryption.kms_key`, encrypts the repository), or set kms = false (ECR's AES-256 encryption)".to_string(),
                );
            }
            if !limits::LIFECYCLE_KEEP.contains(&repository.lifecycle_keep) {
                self.report(
                    POSTURE_KEY,
                    &at("lifecycle_keep"),
                    format!(
                        "lifecycle_keep = {} is outside {} to {}",
                        repository.lifecycle_keep,
                        limits::LIFECYCLE_KEEP.start(),
                        limits::LIFECYCLE_KEEP.end()
                    ),
                    "out of range",
                    format!(
                        "keep between {} and {} newest images (default 50)",
                        limits::LIFECYCLE_KEEP.start(),
                        limits::LIFECYCLE_KEEP.end()
                    ),
                );
            }
        }
    }
}

/// Why `name` is not an ECR repository name (`limits::REPOSITORY_NAME_PATTERN`), if it is not.
fn repository_name_problem(name: &str) -> Option<String> {
    let length = name.chars().count();
    if !limits::REPOSITORY_NAME_LEN.contains(&length) {
        return Some(format!("{length} characters"));
    }
    for component in name.split('/') {
        if component.is_empty() {
            return Some("an empty path component (a leading, trailing or double `/`)".into());
        }
        if let Some(bad) = component.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        }) {
            return Some(format!(
                "`{bad}` is not allowed (lower-case letters, digits, `.`, `_`, `-`, `/`)"
            ));
        }
        // Separators only between letters and digits: one at a time, never at either end.
        let mut previous_separator = true;
        for c in component.chars() {
            let separator = matches!(c, '.' | '_' | '-');
            if separator && previous_separator {
                return Some(format!("`{component}` starts with or repeats a separator"));
            }
            previous_separator = separator;
        }
        if previous_separator {
            return Some(format!("`{component}` ends with a separator"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::repository_name_problem;
    use crate::blueprint::load_str;

    #[test]
    fn repository_names_follow_ecr() {
        for good in ["ab", "team/app", "a.b_c-d/e1", &"a".repeat(256)] {
            assert_eq!(repository_name_problem(good), None, "{good}");
        }
        for bad in [
            "a",
            "App",
            "a//b",
            "/a",
            "a/",
            "a__b",
            "a--b",
            "-ab",
            "ab.",
            "a b",
            &"a".repeat(257),
        ] {
            assert!(repository_name_problem(bad).is_some(), "{bad}");
        }
    }

    fn problems(text: &str) -> Vec<(String, Option<usize>)> {
        let error = load_str("registry.toml", text, &[]).expect_err("refused");
        error
            .problems()
            .iter()
            .map(|problem| {
                let line = problem.location().map(|location| location.line);
                (problem.message().to_string(), line)
            })
            .collect()
    }

    #[test]
    fn bad_repositories_are_refused_at_their_lines() {
        let text = "[blueprint]\nname = \"reg\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n\
                    [[registry.repositories]]\nname = \"Team/App\"\nkms = false\n\
                    [[registry.repositories]]\nname = \"app\"\nlifecycle_keep = 0\n\
                    [[registry.repositories]]\nname = \"app\"\n";
        assert_eq!(
            problems(text),
            [
                (
                    "invalid repository name \"Team/App\": `T` is not allowed (lower-case letters, digits, `.`, `_`, `-`, `/`)".to_string(),
                    Some(6)
                ),
                (
                    "repository \"app\" is to be encrypted with the blueprint's KMS key, which only a [cluster] has".to_string(),
                    Some(8)
                ),
                ("lifecycle_keep = 0 is outside 1 to 1000".to_string(), Some(10)),
                ("repository \"app\" is defined twice".to_string(), Some(12)),
                (
                    "repository \"app\" is to be encrypted with the blueprint's KMS key, which only a [cluster] has".to_string(),
                    Some(11)
                ),
            ]
        );
    }

    #[test]
    fn a_registry_without_a_cluster_loads_when_it_needs_no_key() {
        let text = "[blueprint]\nname = \"reg\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n\
                    [registry]\nscan = \"enhanced\"\n[[registry.repositories]]\nname = \"team/app\"\nkms = false\n";
        assert!(load_str("registry.toml", text, &[]).is_ok());
    }
}
