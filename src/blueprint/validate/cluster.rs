//! `[cluster]`: version, support policy, endpoint access, the cluster's posture keys.

use super::formats::is_kubernetes_version;
use super::suggest::did_you_mean_or;
use super::{Checker, POSTURE_KEY};
use crate::blueprint::cidr::{CidrError, Ipv4Cidr};
use crate::blueprint::date::Date;
use crate::blueprint::kubernetes_calendar;
use crate::blueprint::model::{Blueprint, UpgradePolicy};

impl Checker<'_> {
    pub(super) fn cluster(&mut self, model: &Blueprint) {
        let Some(cluster) = &model.cluster else {
            self.sections_without_a_cluster();
            return;
        };
        if !is_kubernetes_version(&cluster.version) {
            self.report(
                "eksforge::blueprint::cluster_version",
                "cluster.version",
                format!(
                    "\"{}\" is not a Kubernetes version of the form 1.NN",
                    cluster.version
                ),
                "not 1.NN",
                format!(
                    "use a version in EKS standard support, quoted, e.g. version = \"{}\"",
                    kubernetes_calendar::newest_in_standard_support(Date::today())
                ),
            );
        }
        if !cluster.upgrade_policy.is_known() {
            let written = cluster.upgrade_policy.as_str();
            self.report(
                "eksforge::blueprint::upgrade_policy",
                "cluster.upgrade_policy",
                format!("upgrade_policy \"{written}\" is not an EKS support type"),
                "unknown support type",
                did_you_mean_or(written, UpgradePolicy::NAMES.iter().copied(), || {
                    "use \"STANDARD\" (EKS upgrades the cluster when standard support ends; the default) or \"EXTENDED\" (paid extended support)".to_string()
                }),
            );
        }
        if !cluster.endpoint_private && !cluster.endpoint_public {
            self.report(
                "eksforge::blueprint::endpoint",
                "cluster.endpoint_private",
                "the cluster API endpoint is neither private nor public".to_string(),
                "private access off",
                "set endpoint_private = true (recommended): nodes and operators inside the VPC reach the API privately".to_string(),
            );
        }
        for (i, text) in cluster.public_access_cidrs.iter().enumerate() {
            if let Err(e) = Ipv4Cidr::parse(text) {
                let help = match &e {
                    CidrError::HostBits { network, .. } => format!("did you mean \"{network}\"?"),
                    _ => "list the networks allowed to reach the public endpoint, e.g. \"203.0.113.0/24\"".to_string(),
                };
                self.report(
                    "eksforge::blueprint::public_access_cidrs",
                    &format!("cluster.public_access_cidrs[{i}]"),
                    e.to_string(),
                    "invalid CIDR",
                    help,
                );
            }
        }
        self.logging(cluster);
    }

    /// The authentication mode and an existing control-plane role.
    /// Without `[cluster]` eksforge makes the network only: a section that configures the
    /// cluster or what sits on it would be ignored, so it is refused where it was written.
    fn sections_without_a_cluster(&mut self) {
        const NEED_A_CLUSTER: &[(&str, &str)] = &[
            ("node_groups", "[[node_groups]]"),
            ("encryption", "[encryption]"),
            ("access", "[access]"),
            ("irsa", "[irsa]"),
            ("security_rules", "[[security_rules]]"),
        ];
        for (key, section) in NEED_A_CLUSTER {
            if self.loaded.locate_span(key).is_some() {
                self.report(
                    "eksforge::blueprint::needs_cluster",
                    key,
                    format!(
                        "{section} without a [cluster]: eksforge makes the network only and would ignore it"
                    ),
                    "no cluster",
                    format!("add a [cluster] section, or remove {section}"),
                );
            }
        }
    }

    pub(super) fn cluster_identity(&mut self, model: &Blueprint) {
        if let Some(cluster) = &model.cluster {
            if !cluster.authentication_mode.is_known() {
                self.report(
                    POSTURE_KEY,
                    "cluster.authentication_mode",
                    format!(
                        "authentication_mode \"{}\" is not an EKS authentication mode",
                        cluster.authentication_mode
                    ),
                    "unknown mode",
                    "use \"API\" (access entries only; the secure default), \"API_AND_CONFIG_MAP\" or \"CONFIG_MAP\"".to_string(),
                );
            }
            if let Some(arn) = &cluster.role_arn {
                if !(arn.starts_with("arn:") && arn.contains(":iam::") && arn.contains(":role/")) {
                    self.report(
                        POSTURE_KEY,
                        "cluster.role_arn",
                        format!("\"{arn}\" is not an IAM role ARN"),
                        "not a role ARN",
                        "give arn:aws:iam::ACCOUNT:role/NAME, or remove the key and let eksforge create the role".to_string(),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::blueprint::date::Date;
    use crate::blueprint::kubernetes_calendar;
    use crate::blueprint::load_str;
    use crate::blueprint::model::UpgradePolicy;

    fn with_cluster(lines: &str) -> String {
        format!("[blueprint]\nname = \"c\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n{lines}\n")
    }

    #[test]
    fn a_cluster_is_protected_on_standard_support_and_the_calendar_version_by_default() {
        let loaded = load_str("c.toml", &with_cluster(""), &[]).expect("valid");
        let Some(cluster) = &loaded.model.cluster else {
            panic!("a [cluster]");
        };
        assert!(cluster.deletion_protection, "secure by default");
        assert_eq!(cluster.upgrade_policy, UpgradePolicy::Standard);
        assert_eq!(
            cluster.version,
            kubernetes_calendar::newest_in_standard_support(Date::today())
        );
    }

    #[test]
    fn deletion_protection_and_extended_support_are_accepted_as_written() {
        let text = with_cluster("deletion_protection = false\nupgrade_policy = \"EXTENDED\"");
        let loaded = load_str("c.toml", &text, &[]).expect("valid");
        let Some(cluster) = &loaded.model.cluster else {
            panic!("a [cluster]");
        };
        assert!(!cluster.deletion_protection);
        assert_eq!(cluster.upgrade_policy, UpgradePolicy::Extended);
    }

    #[test]
    fn an_unknown_support_type_is_refused_at_its_value() {
        let text = with_cluster("upgrade_policy = \"EXTENDD\"");
        let error = load_str("c.toml", &text, &[]).expect_err("invalid");
        let problems = error.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].code_name(),
            "eksforge::blueprint::upgrade_policy"
        );
        assert_eq!(
            problems[0].message(),
            "upgrade_policy \"EXTENDD\" is not an EKS support type"
        );
        assert_eq!(problems[0].help_text(), Some("did you mean \"EXTENDED\"?"));
    }
}
