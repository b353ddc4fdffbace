//! `[blueprint]` (name, region, tags) and `[state]`.

use super::formats::{looks_like_region, name_rule};
use super::suggest::name_help;
use super::{Checker, Target};
use crate::blueprint::limits::{MAX_NAME_LEN, MAX_TAG_KEY_LEN, MAX_TAG_VALUE_LEN};
use crate::blueprint::model::{Blueprint, StateBackendKind};

impl Checker<'_> {
    pub(super) fn meta(&mut self, model: &Blueprint) {
        let meta = &model.blueprint;
        if let Some(reason) = name_rule(&meta.name, MAX_NAME_LEN) {
            self.report(
                "eksforge::blueprint::name",
                "blueprint.name",
                format!("invalid blueprint name \"{}\": {reason}", meta.name),
                "invalid name",
                name_help(&meta.name, MAX_NAME_LEN, "it names and tags every resource"),
            );
        }
        if let Some(region) = &meta.region {
            if !looks_like_region(region) {
                self.report(
                    "eksforge::blueprint::region",
                    "blueprint.region",
                    format!("\"{region}\" is not an AWS region code"),
                    "not a region",
                    "use a region code such as \"eu-west-1\" or \"us-east-2\" (not a name like \"Ireland\" nor an AZ like \"eu-west-1a\")".to_string(),
                );
            }
        }
        for (key, value) in &meta.tags {
            let path = format!("blueprint.tags.{key}");
            // A key with dots cannot be found by path: fall back to the tags table.
            let key_target = if key.contains(['.', '[']) {
                "blueprint.tags".to_string()
            } else {
                path.clone()
            };
            let lower = key.to_ascii_lowercase();
            let key_problem = if key.is_empty() {
                Some("a tag key cannot be empty".to_string())
            } else if key.chars().count() > MAX_TAG_KEY_LEN {
                Some(format!(
                    "tag key is {} characters long; AWS allows at most {MAX_TAG_KEY_LEN}",
                    key.chars().count()
                ))
            } else if lower.starts_with("aws:") {
                Some("tag keys starting with `aws:` are reserved for AWS".to_string())
            } else if lower.starts_with("eksforge:") {
                Some(
                    "tag keys starting with `eksforge:` are reserved for eksforge's own tags"
                        .to_string(),
                )
            } else {
                None
            };
            if let Some(reason) = key_problem {
                let problem = self.problem(
                    "eksforge::blueprint::tag",
                    Target::Key(&key_target),
                    format!("invalid tag key \"{key}\": {reason}"),
                    "invalid tag key",
                    format!("use a key of 1–{MAX_TAG_KEY_LEN} characters that does not start with `aws:` or `eksforge:`"),
                );
                self.problems.push(problem);
            }
            if value.chars().count() > MAX_TAG_VALUE_LEN {
                self.report(
                    "eksforge::blueprint::tag",
                    &key_target,
                    format!(
                        "tag \"{key}\" has a value of {} characters; AWS allows at most {MAX_TAG_VALUE_LEN}",
                        value.chars().count()
                    ),
                    "value too long",
                    format!("shorten the tag value to {MAX_TAG_VALUE_LEN} characters"),
                );
            }
        }
    }

    pub(super) fn state(&mut self, model: &Blueprint) {
        if model.state.backend == StateBackendKind::S3 && model.state.bucket.is_none() {
            self.report(
                "eksforge::blueprint::state",
                "state",
                "backend = \"s3\" needs a bucket".to_string(),
                "no `bucket` here",
                "add `bucket = \"…\"` (and optionally `key`, `region`, `kms_key_id`) to [state]"
                    .to_string(),
            );
        }
    }
}
