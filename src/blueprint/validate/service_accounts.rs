//! What `[[irsa.service_accounts]]` and `[[pod_identity]]` share: each gives one Kubernetes
//! service account an IAM role of its own, so each names the account as Kubernetes requires,
//! declares it once, and lists policy ARNs and documents.

use std::collections::BTreeMap;

use super::formats::{is_dns_label, is_dns_subdomain, is_policy_arn, is_policy_document};
use super::{Checker, Target, POSTURE_KEY};
use crate::blueprint::limits::{
    MAX_INLINE_POLICY_NAME_LEN, MAX_MANAGED_POLICIES_PER_ROLE, MAX_ROLE_INLINE_POLICY_CHARS,
    MAX_SERVICE_ACCOUNT_PATH_LEN,
};

/// The code of every problem with a service account's names or policy ARNs.
pub(super) const SERVICE_ACCOUNT: &str = "eksforge::blueprint::service_account";

/// One service account as a blueprint section declares it.
pub(super) struct DeclaredAccount<'m> {
    /// The entry's key path: `irsa.service_accounts[0]`, `pod_identity[1]`.
    pub at: String,
    /// The key of the account's name in the entry: `name` (IRSA) or `service_account`.
    pub name_key: &'static str,
    pub namespace: &'m str,
    pub name: &'m str,
    pub managed_policies: &'m [String],
}

impl DeclaredAccount<'_> {
    /// The key path of one of the entry's keys.
    pub(super) fn key(&self, key: &str) -> String {
        format!("{}.{key}", self.at)
    }

    pub(super) fn names(&self) -> (&str, &str) {
        (self.namespace, self.name)
    }
}

impl Checker<'_> {
    /// Kubernetes names, each (namespace, name) once in `accounts`, and managed policy ARNs.
    pub(super) fn declared_accounts(&mut self, accounts: &[DeclaredAccount<'_>]) {
        let mut first_of: BTreeMap<(&str, &str), &DeclaredAccount<'_>> = BTreeMap::new();
        for account in accounts {
            self.kubernetes_names(account);
            if let Some(first) = first_of.get(&account.names()) {
                self.report_pair(
                    "eksforge::blueprint::duplicate_service_account",
                    (&account.key(account.name_key), "declared again"),
                    (&first.key(first.name_key), "first declared here"),
                    format!(
                        "service account {}/{} is declared twice",
                        account.namespace, account.name
                    ),
                    "declare each (namespace, name) once and list all its policies there"
                        .to_string(),
                );
            } else {
                first_of.insert(account.names(), account);
            }
            if account.managed_policies.len() > MAX_MANAGED_POLICIES_PER_ROLE {
                self.report(
                    SERVICE_ACCOUNT,
                    &account.key("managed_policies"),
                    format!(
                        "service account {}/{} lists {} managed policies; IAM attaches at most \
                         {MAX_MANAGED_POLICIES_PER_ROLE} to one role",
                        account.namespace,
                        account.name,
                        account.managed_policies.len()
                    ),
                    "too many policies",
                    "merge some of them into one customer managed policy, or into \
                     inline_policies"
                        .to_string(),
                );
            }
            for (j, policy) in account.managed_policies.iter().enumerate() {
                if !is_policy_arn(policy) {
                    self.report(
                        SERVICE_ACCOUNT,
                        &account.key(&format!("managed_policies[{j}]")),
                        format!("\"{policy}\" is not an IAM policy ARN"),
                        "not a policy ARN",
                        "use a policy ARN, e.g. \"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy\""
                            .to_string(),
                    );
                }
            }
        }
    }

    fn kubernetes_names(&mut self, account: &DeclaredAccount<'_>) {
        if !is_dns_label(account.namespace) {
            self.report(
                SERVICE_ACCOUNT,
                &account.key("namespace"),
                format!("\"{}\" is not a Kubernetes namespace name", account.namespace),
                "invalid namespace",
                "a namespace is 1–63 lowercase letters, digits and `-`, starting and ending with a letter or digit".to_string(),
            );
        }
        if !is_dns_subdomain(account.name) {
            self.report(
                SERVICE_ACCOUNT,
                &account.key(account.name_key),
                format!("\"{}\" is not a Kubernetes service account name", account.name),
                "invalid name",
                "a service account name is lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit".to_string(),
            );
        }
        let path_len = account.namespace.chars().count() + 1 + account.name.chars().count();
        if path_len > MAX_SERVICE_ACCOUNT_PATH_LEN {
            self.report(
                SERVICE_ACCOUNT,
                &account.key(account.name_key),
                format!(
                    "namespace and name of service account {}/{} are {path_len} characters \
                     together; eksforge records its role and association in the tag \
                     `eksforge:resource`, whose value AWS caps at 256 characters",
                    account.namespace, account.name
                ),
                "name too long",
                format!(
                    "keep `<namespace>.<name>` within {MAX_SERVICE_ACCOUNT_PATH_LEN} characters"
                ),
            );
        }
    }

    /// Inline policies of a service account's role (at `at`) are policy documents.
    pub(super) fn inline_policy_documents(
        &mut self,
        at: &str,
        policies: &BTreeMap<String, String>,
    ) {
        // IAM counts an inline policy's size without its whitespace, all of a role's together.
        let total: usize = policies
            .values()
            .map(|text| text.chars().filter(|c| !c.is_whitespace()).count())
            .sum();
        if total > MAX_ROLE_INLINE_POLICY_CHARS {
            self.report(
                POSTURE_KEY,
                &format!("{at}.inline_policies"),
                format!(
                    "the inline policies of {at} are {total} characters without whitespace; \
                     IAM allows {MAX_ROLE_INLINE_POLICY_CHARS} for all of one role's inline \
                     policies"
                ),
                "policies too large",
                "move some statements into a customer managed policy and list its ARN in \
                 managed_policies"
                    .to_string(),
            );
        }
        for (name, text) in policies {
            let valid_name = (1..=MAX_INLINE_POLICY_NAME_LEN).contains(&name.chars().count())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
            if !valid_name {
                let target = if name.contains(['.', '"']) || name.is_empty() {
                    format!("{at}.inline_policies")
                } else {
                    format!("{at}.inline_policies.{name}")
                };
                let problem = self.problem(
                    POSTURE_KEY,
                    Target::Key(&target),
                    format!("{name:?} cannot name an IAM inline policy"),
                    "invalid policy name",
                    format!(
                        "name it with 1–{MAX_INLINE_POLICY_NAME_LEN} ASCII letters, digits \
                         and `_ + = , . @ -`"
                    ),
                );
                self.problems.push(problem);
            }
            if !is_policy_document(text) {
                self.report(
                    POSTURE_KEY,
                    &format!("{at}.inline_policies.{name}"),
                    format!("inline policy \"{name}\" is not a JSON policy document"),
                    "not a policy",
                    "write '{\"Version\":\"2012-10-17\",\"Statement\":[...]}'".to_string(),
                );
            }
        }
    }
}
