//! `[irsa]`: the OIDC provider and the service accounts' roles.

use std::collections::BTreeMap;

use super::formats::{is_dns_label, is_dns_subdomain, is_policy_arn, is_policy_document};
use super::{Checker, POSTURE_KEY};
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    pub(super) fn irsa(&mut self, model: &Blueprint) {
        let Some(irsa) = &model.irsa else {
            return;
        };
        if !irsa.oidc_provider && !irsa.service_accounts.is_empty() {
            self.report(
                "eksforge::blueprint::service_account",
                "irsa.oidc_provider",
                "IRSA service accounts need the cluster's OIDC provider, but oidc_provider = false"
                    .to_string(),
                "turned off",
                "set oidc_provider = true, or remove the [[irsa.service_accounts]]".to_string(),
            );
        }
        let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for (i, account) in irsa.service_accounts.iter().enumerate() {
            let at = |key: &str| format!("irsa.service_accounts[{i}].{key}");
            if !is_dns_label(&account.namespace) {
                self.report(
                    "eksforge::blueprint::service_account",
                    &at("namespace"),
                    format!("\"{}\" is not a Kubernetes namespace name", account.namespace),
                    "invalid namespace",
                    "a namespace is 1–63 lowercase letters, digits and `-`, starting and ending with a letter or digit".to_string(),
                );
            }
            if !is_dns_subdomain(&account.name) {
                self.report(
                    "eksforge::blueprint::service_account",
                    &at("name"),
                    format!("\"{}\" is not a Kubernetes service account name", account.name),
                    "invalid name",
                    "a service account name is lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit".to_string(),
                );
            }
            let key = (account.namespace.as_str(), account.name.as_str());
            if let Some(first) = seen.get(&key) {
                self.report_pair(
                    "eksforge::blueprint::duplicate_service_account",
                    (&at("name"), "declared again"),
                    (
                        &format!("irsa.service_accounts[{first}].name"),
                        "first declared here",
                    ),
                    format!(
                        "service account {}/{} is declared twice",
                        account.namespace, account.name
                    ),
                    "declare each (namespace, name) once and list all its policies there"
                        .to_string(),
                );
            } else {
                seen.insert(key, i);
            }
            for (j, policy) in account.managed_policies.iter().enumerate() {
                if !is_policy_arn(policy) {
                    self.report(
                        "eksforge::blueprint::service_account",
                        &format!("irsa.service_accounts[{i}].managed_policies[{j}]"),
                        format!("\"{policy}\" is not an IAM policy ARN"),
                        "not a policy ARN",
                        "use a policy ARN, e.g. \"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy\""
                            .to_string(),
                    );
                }
            }
        }
    }

    /// Inline policies of service-account roles are policy documents.
    pub(super) fn inline_policies(&mut self, model: &Blueprint) {
        if let Some(irsa) = &model.irsa {
            for (i, account) in irsa.service_accounts.iter().enumerate() {
                for (name, text) in &account.inline_policies {
                    if !is_policy_document(text) {
                        self.report(
                            POSTURE_KEY,
                            &format!("irsa.service_accounts[{i}].inline_policies.{name}"),
                            format!("inline policy \"{name}\" is not a JSON policy document"),
                            "not a policy",
                            "write '{\"Version\":\"2012-10-17\",\"Statement\":[...]}'".to_string(),
                        );
                    }
                }
            }
        }
    }
}
