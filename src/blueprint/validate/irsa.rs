//! `[irsa]`: the OIDC provider and the service accounts' roles.

use super::service_accounts::{DeclaredAccount, SERVICE_ACCOUNT};
use super::Checker;
use crate::blueprint::model::{Blueprint, Irsa};

impl Checker<'_> {
    pub(super) fn irsa(&mut self, model: &Blueprint) {
        let Some(irsa) = &model.irsa else {
            return;
        };
        if !irsa.oidc_provider && !irsa.service_accounts.is_empty() {
            self.report(
                SERVICE_ACCOUNT,
                "irsa.oidc_provider",
                "IRSA service accounts need the cluster's OIDC provider, but oidc_provider = false"
                    .to_string(),
                "turned off",
                "set oidc_provider = true, or remove the [[irsa.service_accounts]]".to_string(),
            );
        }
        self.declared_accounts(&irsa_accounts(irsa));
    }

    /// Inline policies of service-account roles (IRSA and Pod Identity) are policy documents.
    pub(super) fn inline_policies(&mut self, model: &Blueprint) {
        if let Some(irsa) = &model.irsa {
            for (i, account) in irsa.service_accounts.iter().enumerate() {
                self.inline_policy_documents(
                    &format!("irsa.service_accounts[{i}]"),
                    &account.inline_policies,
                );
            }
        }
        for (i, entry) in model.pod_identity.iter().enumerate() {
            self.inline_policy_documents(&format!("pod_identity[{i}]"), &entry.inline_policies);
        }
    }
}

/// The `[[irsa.service_accounts]]` as declared accounts.
pub(super) fn irsa_accounts(irsa: &Irsa) -> Vec<DeclaredAccount<'_>> {
    irsa.service_accounts
        .iter()
        .enumerate()
        .map(|(i, account)| DeclaredAccount {
            at: format!("irsa.service_accounts[{i}]"),
            name_key: "name",
            namespace: &account.namespace,
            name: &account.name,
            managed_policies: &account.managed_policies,
        })
        .collect()
}
