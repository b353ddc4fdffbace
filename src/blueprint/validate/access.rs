//! `[access]`: access entries and their scope.

use super::formats::{is_dns_label, is_iam_principal_arn};
use super::{Checker, POSTURE_KEY};
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    /// Principal ARN, policy name, scope and namespaces.
    pub(super) fn access_entries(&mut self, model: &Blueprint) {
        if let Some(access) = &model.access {
            for (i, entry) in access.entries.iter().enumerate() {
                let at = |key: &str| format!("access.entries[{i}].{key}");
                if !is_iam_principal_arn(&entry.principal) {
                    self.report(
                        POSTURE_KEY,
                        &at("principal"),
                        format!("\"{}\" is not an IAM principal ARN", entry.principal),
                        "not an ARN",
                        "give a role or user ARN, arn:aws:iam::ACCOUNT:role/NAME".to_string(),
                    );
                }
                if entry.policy.is_empty()
                    || !entry.policy.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    self.report(
                        POSTURE_KEY,
                        &at("policy"),
                        format!("\"{}\" is not an EKS access policy name", entry.policy),
                        "invalid name",
                        "use a short name such as \"AmazonEKSViewPolicy\"".to_string(),
                    );
                }
                for (j, namespace) in entry.namespaces.iter().enumerate() {
                    // EKS matches a trailing `*` as a prefix (`team-*`); the rest is a name.
                    let name = namespace.strip_suffix('*').unwrap_or(namespace);
                    let valid = is_dns_label(name)
                        || (namespace.ends_with('*')
                            && !name.is_empty()
                            && is_dns_label(&format!("{name}x")));
                    if !valid {
                        self.report(
                            POSTURE_KEY,
                            &at(&format!("namespaces[{j}]")),
                            format!("\"{namespace}\" is not a Kubernetes namespace name"),
                            "invalid namespace",
                            "a namespace is 1–63 lowercase letters, digits and `-`, starting and \
                             ending with a letter or digit; `team-*` matches every namespace \
                             starting `team-` (for all namespaces, use scope = \"cluster\")"
                                .to_string(),
                        );
                    }
                }
                match (entry.scope.as_str(), entry.namespaces.is_empty()) {
                    ("cluster", true) | ("namespace", false) => {}
                    ("cluster", false) => self.report(
                        POSTURE_KEY,
                        &at("namespaces"),
                        "namespaces are given, but scope = \"cluster\"".to_string(),
                        "ignored",
                        "set scope = \"namespace\", or remove namespaces".to_string(),
                    ),
                    ("namespace", true) => self.report(
                        POSTURE_KEY,
                        &at("scope"),
                        "scope = \"namespace\" needs namespaces".to_string(),
                        "no namespaces",
                        "add namespaces = [\"team-a\"]".to_string(),
                    ),
                    (other, _) => self.report(
                        POSTURE_KEY,
                        &at("scope"),
                        format!("scope \"{other}\" is neither \"cluster\" nor \"namespace\""),
                        "unknown scope",
                        "use \"namespace\" with namespaces, or \"cluster\"".to_string(),
                    ),
                }
            }
        }
    }
}
