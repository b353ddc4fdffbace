//! `[[pod_identity]]`: service accounts that get an IAM role through EKS Pod Identity.

use super::irsa::irsa_accounts;
use super::service_accounts::DeclaredAccount;
use super::Checker;
use crate::blueprint::addons::POD_IDENTITY_AGENT;
use crate::blueprint::model::Blueprint;

/// The code of the problems only Pod Identity has: a missing agent, cluster, or an account
/// that IRSA already serves.
const POD_IDENTITY: &str = "eksforge::blueprint::pod_identity";

impl Checker<'_> {
    pub(super) fn pod_identity(&mut self, model: &Blueprint) {
        if model.pod_identity.is_empty() {
            return;
        }
        let accounts: Vec<DeclaredAccount<'_>> = model
            .pod_identity
            .iter()
            .enumerate()
            .map(|(i, entry)| DeclaredAccount {
                at: format!("pod_identity[{i}]"),
                name_key: "service_account",
                namespace: &entry.namespace,
                name: &entry.service_account,
                managed_policies: &entry.managed_policies,
            })
            .collect();
        self.declared_accounts(&accounts);
        if let Some(irsa) = &model.irsa {
            self.served_by_irsa_too(&accounts, &irsa_accounts(irsa));
        }
        if model.cluster.is_none() {
            self.report(
                POD_IDENTITY,
                "pod_identity",
                "[[pod_identity]] needs a cluster, but the blueprint has no [cluster]".to_string(),
                "no cluster to associate with",
                "add a [cluster] section, or remove the [[pod_identity]] entries".to_string(),
            );
        }
        if !model
            .addons
            .managed
            .iter()
            .any(|addon| addon == POD_IDENTITY_AGENT)
        {
            self.report(
                POD_IDENTITY,
                "addons.managed",
                format!(
                    "[[pod_identity]] needs the {POD_IDENTITY_AGENT} add-on, but addons.managed does not list it: pods would get no credentials"
                ),
                "no Pod Identity agent",
                format!("add \"{POD_IDENTITY_AGENT}\" to addons.managed"),
            );
        }
    }

    /// A service account has one role: two would race for its pods' credentials (the Pod
    /// Identity agent's win over the IRSA annotation), so whichever was meant is unclear.
    fn served_by_irsa_too(
        &mut self,
        accounts: &[DeclaredAccount<'_>],
        irsa: &[DeclaredAccount<'_>],
    ) {
        for account in accounts {
            let Some(twin) = irsa.iter().find(|twin| twin.names() == account.names()) else {
                continue;
            };
            self.report_pair(
                POD_IDENTITY,
                (&account.key(account.name_key), "Pod Identity role"),
                (&twin.key(twin.name_key), "IRSA role"),
                format!(
                    "service account {}/{} gets a role both from [[pod_identity]] and from [[irsa.service_accounts]]",
                    account.namespace, account.name
                ),
                "keep one of the two entries (docs/blueprint.md, \"IRSA or Pod Identity\")"
                    .to_string(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::blueprint::load_str;

    const CLUSTER: &str =
        "[blueprint]\nname = \"pods\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n";
    const ENTRY: &str =
        "[[pod_identity]]\nnamespace = \"apps\"\nservice_account = \"uploader\"\nmanaged_policies = [\"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"]\n";

    /// Each problem's message, line and help, in the order validation reports them.
    fn refusals(text: &str) -> Vec<(String, Option<usize>, String)> {
        let error = load_str("pods.toml", text, &[]).expect_err("refused");
        error
            .problems()
            .iter()
            .map(|problem| {
                (
                    problem.message().to_string(),
                    problem.location().map(|location| location.line),
                    problem.help_text().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn a_pod_identity_with_the_default_add_ons_loads() {
        let loaded = load_str("pods.toml", &format!("{CLUSTER}{ENTRY}"), &[]).expect("valid");
        assert_eq!(loaded.model.pod_identity.len(), 1);
        assert_eq!(loaded.model.pod_identity[0].service_account, "uploader");
    }

    #[test]
    fn names_must_be_kubernetes_names_and_policies_arns_and_documents() {
        let text = format!(
            "{CLUSTER}[[pod_identity]]\nnamespace = \"Apps\"\nservice_account = \"-up\"\nmanaged_policies = [\"AmazonS3ReadOnlyAccess\"]\ninline_policies = {{ read = \"not json\" }}\n"
        );
        insta::assert_debug_snapshot!(refusals(&text));
    }

    #[test]
    fn an_account_is_declared_once_and_never_for_irsa_too() {
        let text = format!(
            "{CLUSTER}[irsa]\n[[irsa.service_accounts]]\nnamespace = \"apps\"\nname = \"uploader\"\n{ENTRY}{ENTRY}"
        );
        insta::assert_debug_snapshot!(refusals(&text));
    }

    #[test]
    fn the_agent_add_on_and_a_cluster_are_required() {
        let text = format!(
            "[blueprint]\nname = \"pods\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[addons]\nmanaged = [\"vpc-cni\", \"kube-proxy\", \"coredns\"]\n{ENTRY}"
        );
        insta::assert_debug_snapshot!(refusals(&text));
    }
}
