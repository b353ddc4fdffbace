//! The EKS managed add-ons eksforge knows how to install: where each goes in the order of a
//! cluster's bring-up, and the identity it needs. Read by validation (names, pins, what needs
//! nodes), the expansion (order and roles) and the audit.

/// One add-on eksforge installs through the EKS add-on API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownAddon {
    /// The EKS add-on name (`DescribeAddonVersions` `addonName`).
    pub name: &'static str,
    /// Its pods run only on nodes: created after the first node group is ACTIVE (before that
    /// EKS reports it DEGRADED with `InsufficientNumberOfReplicas`). The others are daemons
    /// nodes need to become Ready, so node groups are created after them.
    pub needs_nodes: bool,
    /// The kube-system service account that calls AWS, and the AWS managed policy (path after
    /// `arn:<partition>:iam::aws:policy/`) its role gets.
    pub identity: Option<AddonIdentityNeed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddonIdentityNeed {
    pub service_account: &'static str,
    pub managed_policy: &'static str,
    /// The blueprint table whose `identity` key chooses IRSA or Pod Identity for it.
    pub table: &'static str,
}

pub const VPC_CNI: &str = "vpc-cni";
pub const POD_IDENTITY_AGENT: &str = "eks-pod-identity-agent";

pub const KNOWN_ADDONS: &[KnownAddon] = &[
    KnownAddon {
        name: VPC_CNI,
        needs_nodes: false,
        identity: Some(AddonIdentityNeed {
            service_account: "aws-node",
            managed_policy: "AmazonEKS_CNI_Policy",
            table: "addons.vpc_cni",
        }),
    },
    KnownAddon {
        name: "kube-proxy",
        needs_nodes: false,
        identity: None,
    },
    KnownAddon {
        name: POD_IDENTITY_AGENT,
        needs_nodes: false,
        identity: None,
    },
    KnownAddon {
        name: "coredns",
        needs_nodes: true,
        identity: None,
    },
    KnownAddon {
        name: "aws-ebs-csi-driver",
        needs_nodes: true,
        identity: Some(AddonIdentityNeed {
            service_account: "ebs-csi-controller-sa",
            managed_policy: "service-role/AmazonEBSCSIDriverPolicy",
            table: "addons.ebs_csi",
        }),
    },
];

/// The add-on eksforge knows by `name`.
pub fn known_addon(name: &str) -> Option<&'static KnownAddon> {
    KNOWN_ADDONS.iter().find(|addon| addon.name == name)
}

/// An add-on version's numbers in order (`v1.19.2-eksbuild.1` → `[1, 19, 2, 1]`): how add-on
/// versions compare, newer being greater.
pub fn version_numbers(version: &str) -> Vec<u64> {
    version
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// The names of [`KNOWN_ADDONS`], for messages and the schema.
pub const KNOWN_ADDON_NAMES: &[&str] = &[
    VPC_CNI,
    "kube-proxy",
    POD_IDENTITY_AGENT,
    "coredns",
    "aws-ebs-csi-driver",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_list_is_the_table() {
        let names: Vec<&str> = KNOWN_ADDONS.iter().map(|addon| addon.name).collect();
        assert_eq!(names, KNOWN_ADDON_NAMES);
    }
}
