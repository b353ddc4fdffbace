//! `[cluster]`: version, endpoint access, the declared posture keys.

use super::formats::is_kubernetes_version;
use super::{Checker, POSTURE_KEY};
use crate::blueprint::cidr::{CidrError, Ipv4Cidr};
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    pub(super) fn cluster(&mut self, model: &Blueprint) {
        let Some(cluster) = &model.cluster else {
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
                "use a version in EKS standard support, quoted, e.g. version = \"1.34\""
                    .to_string(),
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

    /// Deletion protection is not sent to EKS yet: `true` is refused.
    pub(super) fn deletion_protection(&mut self, model: &Blueprint) {
        if model
            .cluster
            .as_ref()
            .is_some_and(|c| c.deletion_protection)
        {
            self.report(
                POSTURE_KEY,
                "cluster.deletion_protection",
                "cluster.deletion_protection = true is not sent to EKS by eksforge yet".to_string(),
                "not supported yet",
                "remove the key (EKS-VER-005 then reports deletion protection off, low) until eksforge sets it; the cluster is protected from replacement by the plan either way".to_string(),
            );
        }
    }

    /// The authentication mode and an existing control-plane role.
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
