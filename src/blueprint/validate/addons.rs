//! `[addons]`: which EKS managed add-ons, their pins, configuration and identities. Every key
//! here changes what apply installs; what could not work on a real cluster (a node group with
//! no CNI, coredns with no node to run on, an identity without its mechanism) is refused.

use std::collections::BTreeMap;

use super::suggest::{did_you_mean_or, quoted};
use super::{Checker, POSTURE_KEY};
use crate::blueprint::addons::{
    known_addon, KNOWN_ADDONS, KNOWN_ADDON_NAMES, POD_IDENTITY_AGENT, VPC_CNI,
};
use crate::blueprint::model::{AddonIdentity, Blueprint};

const CODE: &str = "eksforge::blueprint::addons";

impl Checker<'_> {
    pub(super) fn addons(&mut self, model: &Blueprint) {
        let addons = &model.addons;
        let written = self.loaded.locate_span("addons").is_some();
        if model.cluster.is_none() {
            if written {
                self.report(
                    CODE,
                    "addons",
                    "[addons] without a [cluster]: there is no cluster to install them on"
                        .to_string(),
                    "nothing to install on",
                    "add a [cluster] section, or remove [addons]".to_string(),
                );
            }
            return;
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, name) in addons.managed.iter().enumerate() {
            let at = format!("addons.managed[{i}]");
            if known_addon(name).is_none() {
                self.report(
                    POSTURE_KEY,
                    &at,
                    format!("eksforge does not install the add-on \"{name}\""),
                    "unknown add-on",
                    did_you_mean_or(name, KNOWN_ADDON_NAMES.iter().copied(), || {
                        format!("eksforge installs {}", quoted(KNOWN_ADDON_NAMES))
                    }),
                );
            }
            if let Some(first) = seen.insert(name, i) {
                self.report_pair(
                    CODE,
                    (&at, "listed again"),
                    (&format!("addons.managed[{first}]"), "first listed here"),
                    format!("add-on \"{name}\" is listed twice"),
                    "list each add-on once".to_string(),
                );
            }
        }
        let managed = |name: &str| addons.managed.iter().any(|item| item == name);
        self.addon_keys_name_managed_addons(model, &managed);
        if !model.node_groups.is_empty() && !managed(VPC_CNI) {
            self.report(
                POSTURE_KEY,
                "addons.managed",
                "node groups need the VPC CNI, but \"vpc-cni\" is not in addons.managed: with no CNI their nodes never become Ready".to_string(),
                "no CNI",
                "add \"vpc-cni\" to addons.managed".to_string(),
            );
        }
        // The default list with no node group installs only what needs no nodes (the
        // expansion leaves the rest out); a list written so is refused.
        let list_written = self.loaded.locate_span("addons.managed").is_some();
        for addon in KNOWN_ADDONS.iter().filter(|addon| addon.needs_nodes) {
            if list_written && managed(addon.name) && model.node_groups.is_empty() {
                self.report(
                    CODE,
                    "addons.managed",
                    format!(
                        "\"{}\" runs on nodes, and the blueprint has no [[node_groups]]: EKS would report it DEGRADED forever",
                        addon.name
                    ),
                    "no node to run on",
                    format!(
                        "add a [[node_groups]] table, or remove \"{}\" from addons.managed",
                        addon.name
                    ),
                );
            }
        }
        self.addon_identities(model, &managed);
    }

    /// Pins, configuration and per-add-on tables name add-ons that are installed: a setting of
    /// an add-on eksforge does not install would change nothing.
    fn addon_keys_name_managed_addons(
        &mut self,
        model: &Blueprint,
        managed: &dyn Fn(&str) -> bool,
    ) {
        let addons = &model.addons;
        let not_managed = |key: &str| {
            (
                format!("addons.{key} names an add-on that addons.managed does not list"),
                format!("add it to addons.managed, or remove addons.{key}"),
            )
        };
        for (name, version) in &addons.versions {
            let key = format!("versions.{name}");
            if !managed(name) {
                let (message, help) = not_managed(&key);
                self.report(
                    CODE,
                    &format!("addons.{key}"),
                    message,
                    "not installed",
                    help,
                );
            } else if !is_addon_version(version) {
                self.report(
                    CODE,
                    &format!("addons.{key}"),
                    format!("\"{version}\" is not an EKS add-on version"),
                    "not a version",
                    "EKS add-on versions read like \"v1.20.4-eksbuild.2\" (`aws eks describe-addon-versions --addon-name NAME`)".to_string(),
                );
            }
        }
        for (name, values) in &addons.configuration {
            let key = format!("configuration.{name}");
            if !managed(name) {
                let (message, help) = not_managed(&key);
                self.report(
                    CODE,
                    &format!("addons.{key}"),
                    message,
                    "not installed",
                    help,
                );
            }
            if name == VPC_CNI && values.contains_key("enableNetworkPolicy") {
                self.report(
                    POSTURE_KEY,
                    "addons.configuration.vpc-cni.enableNetworkPolicy",
                    "enableNetworkPolicy is set by addons.vpc_cni.network_policy".to_string(),
                    "set elsewhere",
                    "remove it here and use `[addons.vpc_cni] network_policy = true`".to_string(),
                );
            }
        }
        for addon in KNOWN_ADDONS {
            let Some(need) = addon.identity else { continue };
            if !managed(addon.name) && self.loaded.locate_span(need.table).is_some() {
                self.report(
                    CODE,
                    need.table,
                    format!(
                        "[{}] configures \"{}\", which addons.managed does not list",
                        need.table, addon.name
                    ),
                    "not installed",
                    format!(
                        "add \"{}\" to addons.managed, or remove [{}]",
                        addon.name, need.table
                    ),
                );
            }
        }
    }

    /// Each add-on that calls AWS gets a role of its own through the mechanism its table
    /// chooses; that mechanism must exist, and the service account must not have a second role.
    fn addon_identities(&mut self, model: &Blueprint, managed: &dyn Fn(&str) -> bool) {
        let oidc = model.irsa.as_ref().is_none_or(|irsa| irsa.oidc_provider);
        for addon in KNOWN_ADDONS.iter().filter(|addon| managed(addon.name)) {
            let Some(need) = addon.identity else { continue };
            let identity = if addon.name == VPC_CNI {
                &model.addons.vpc_cni.identity
            } else {
                &model.addons.ebs_csi.identity
            };
            let key = format!("{}.identity", need.table);
            match identity {
                AddonIdentity::Unrecognised(text) => self.report(
                    POSTURE_KEY,
                    &key,
                    format!("identity \"{text}\" is neither \"irsa\" nor \"pod_identity\""),
                    "unknown value",
                    "use \"irsa\" or \"pod_identity\"".to_string(),
                ),
                AddonIdentity::Irsa if !oidc => self.report(
                    POSTURE_KEY,
                    "irsa.oidc_provider",
                    format!(
                        "\"{}\" gets its role through IRSA, but irsa.oidc_provider = false",
                        addon.name
                    ),
                    "turned off",
                    format!("set irsa.oidc_provider = true, or `{key} = \"pod_identity\"`"),
                ),
                AddonIdentity::PodIdentity if !managed(POD_IDENTITY_AGENT) => self.report(
                    POSTURE_KEY,
                    &key,
                    format!(
                        "\"{}\" gets its role through EKS Pod Identity, which needs the \"{POD_IDENTITY_AGENT}\" add-on",
                        addon.name
                    ),
                    "no agent",
                    format!("add \"{POD_IDENTITY_AGENT}\" to addons.managed, or `{key} = \"irsa\"`"),
                ),
                _ => {}
            }
            let accounts = model
                .irsa
                .as_ref()
                .map(|irsa| irsa.service_accounts.as_slice())
                .unwrap_or_default();
            if let Some(i) = accounts.iter().position(|account| {
                account.namespace == "kube-system" && account.name == need.service_account
            }) {
                self.report(
                    CODE,
                    &format!("irsa.service_accounts[{i}]"),
                    format!(
                        "kube-system/{} is the \"{}\" add-on's service account: eksforge makes its role ({key})",
                        need.service_account, addon.name
                    ),
                    "made by the add-on",
                    format!(
                        "remove this [[irsa.service_accounts]] entry; the add-on's role gets {}",
                        need.managed_policy
                    ),
                );
            }
        }
    }
}

/// `v<major>.<minor>.<patch>-eksbuild.<n>`, the shape of every EKS add-on version.
fn is_addon_version(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let Some((semver, build)) = rest.split_once("-eksbuild.") else {
        return false;
    };
    let numbers = |text: &str| !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    semver.split('.').count() == 3 && semver.split('.').all(numbers) && numbers(build)
}

#[cfg(test)]
mod tests {
    use super::is_addon_version;
    use crate::blueprint::load_str;

    const BASE: &str = "[blueprint]\nname = \"addons\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n[[node_groups]]\nname = \"general\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n";

    fn problems(extra: &str) -> Vec<String> {
        let text = format!("{BASE}{extra}");
        match load_str("addons.toml", &text, &[]) {
            Ok(_) => Vec::new(),
            Err(error) => error
                .problems()
                .iter()
                .map(|problem| problem.message().to_string())
                .collect(),
        }
    }

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(problems(""), Vec::<String>::new());
        assert_eq!(
            problems("[addons]\nmanaged = [\"vpc-cni\", \"kube-proxy\", \"coredns\", \"eks-pod-identity-agent\", \"aws-ebs-csi-driver\"]\nversions = { coredns = \"v1.12.4-eksbuild.1\" }\n[addons.configuration.coredns]\nreplicaCount = 3\n[addons.vpc_cni]\nidentity = \"pod_identity\"\n"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_and_repeated_add_ons_are_refused() {
        let found =
            problems("[addons]\nmanaged = [\"vpc-cnii\", \"kube-proxy\", \"kube-proxy\"]\n");
        assert!(
            found.iter().any(|p| p.contains("\"vpc-cnii\"")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|p| p.contains("listed twice")),
            "{found:?}"
        );
        // And without vpc-cni the node group would never be Ready.
        assert!(
            found.iter().any(|p| p.contains("need the VPC CNI")),
            "{found:?}"
        );
    }

    #[test]
    fn settings_of_add_ons_not_installed_are_refused() {
        let found = problems("[addons]\nmanaged = [\"vpc-cni\"]\nversions = { coredns = \"v1.12.4-eksbuild.1\" }\n[addons.configuration.kube-proxy]\nmode = \"ipvs\"\n[addons.ebs_csi]\nidentity = \"irsa\"\n");
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.iter().all(|p| p.contains("not list")), "{found:?}");
    }

    #[test]
    fn bad_pins_and_a_second_network_policy_switch_are_refused() {
        let found = problems("[addons.versions]\ncoredns = \"1.12\"\n[addons.configuration.vpc-cni]\nenableNetworkPolicy = \"false\"\n");
        assert!(
            found
                .iter()
                .any(|p| p.contains("not an EKS add-on version")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|p| p.contains("network_policy")),
            "{found:?}"
        );
    }

    #[test]
    fn identities_need_their_mechanism() {
        let found = problems(
            "[addons]\nmanaged = [\"vpc-cni\"]\n[addons.vpc_cni]\nidentity = \"pod_identity\"\n",
        );
        assert!(
            found
                .iter()
                .any(|p| p.contains("needs the \"eks-pod-identity-agent\"")),
            "{found:?}"
        );
        let found = problems("[irsa]\noidc_provider = false\n");
        assert!(
            found
                .iter()
                .any(|p| p.contains("irsa.oidc_provider = false")),
            "{found:?}"
        );
        let found = problems("[[irsa.service_accounts]]\nnamespace = \"kube-system\"\nname = \"aws-node\"\nmanaged_policies = [\"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy\"]\n");
        assert!(
            found.iter().any(|p| p.contains("eksforge makes its role")),
            "{found:?}"
        );
    }

    #[test]
    fn node_add_ons_need_node_groups_and_add_ons_need_a_cluster() {
        let text =
            "[blueprint]\nname = \"addons\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n";
        assert!(
            load_str("a.toml", text, &[]).is_ok(),
            "the default list adapts"
        );
        let text = format!("{text}[addons]\nmanaged = [\"vpc-cni\", \"coredns\"]\n");
        let error = load_str("a.toml", &text, &[]).expect_err("coredns without nodes");
        assert!(error.problems()[0]
            .message()
            .contains("\"coredns\" runs on nodes"));
        let text = "[blueprint]\nname = \"addons\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[addons]\nmanaged = [\"kube-proxy\"]\n";
        let error = load_str("a.toml", text, &[]).expect_err("no cluster");
        assert!(error.problems()[0]
            .message()
            .contains("without a [cluster]"));
    }

    #[test]
    fn add_on_versions_have_the_eks_shape() {
        assert!(is_addon_version("v1.20.4-eksbuild.2"));
        assert!(!is_addon_version("1.20.4-eksbuild.2"));
        assert!(!is_addon_version("v1.20-eksbuild.2"));
        assert!(!is_addon_version("v1.20.4"));
        assert!(!is_addon_version("v1.20.4-eksbuild."));
    }
}
