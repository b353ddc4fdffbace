//! `[registry]`: scan type and repository policies.

use super::formats::is_policy_document;
use super::{Checker, POSTURE_KEY};
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    /// The scan type and repository policies.
    pub(super) fn registry(&mut self, model: &Blueprint) {
        if let Some(registry) = &model.registry {
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
            for (i, repository) in registry.repositories.iter().enumerate() {
                if let Some(text) = &repository.policy {
                    if !is_policy_document(text) {
                        self.report(
                            POSTURE_KEY,
                            &format!("registry.repositories[{i}].policy"),
                            "the repository policy is not a JSON policy document".to_string(),
                            "not a policy",
                            "write '{\"Version\":\"2012-10-17\",\"Statement\":[...]}'".to_string(),
                        );
                    }
                }
            }
        }
    }
}
