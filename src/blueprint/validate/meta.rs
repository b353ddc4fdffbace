//! `[blueprint]` (name, region; its tags in `tags.rs`) and `[state]`.

use super::formats::{looks_like_region, name_rule};
use super::suggest::name_help;
use super::Checker;
use crate::blueprint::limits::MAX_NAME_LEN;
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
        self.tags(model);
    }

    pub(super) fn state(&mut self, model: &Blueprint) {
        if let Some(path) = &model.state.path {
            let reason = if path.trim().is_empty() {
                Some("is empty")
            } else if path.ends_with(['/', '\\']) {
                Some("names a directory")
            } else {
                None
            };
            if let Some(reason) = reason {
                self.report(
                    "eksforge::blueprint::state",
                    "state.path",
                    format!("[state] path {path:?} {reason}; the state is a file"),
                    "not a file path",
                    "write a file path such as \"state/prod.json\", or remove `path` for the default `state/<blueprint name>.json`".to_string(),
                );
            }
        }
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
