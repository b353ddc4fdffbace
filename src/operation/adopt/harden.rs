//! `adopt --harden`: the adopted blueprint with the hardened defaults instead of what the
//! cluster has. Every blueprint default is the secure choice (docs/blueprint.md), so hardening
//! is removing the keys that merely record a weaker setting, keeping what defines the cluster
//! (names, CIDRs, versions, sizes, admins) and what AWS cannot change.

use toml::Value as Toml;

use super::draft::{table_in, Draft};

/// Keys whose default is the hardened setting, by section.
const SECURE_BY_DEFAULT: [(&str, &[&str]); 4] = [
    (
        "cluster",
        &[
            "endpoint_private",
            "endpoint_public",
            "public_access_cidrs",
            "logging",
            "log_retention_days",
            "log_encryption",
            "authentication_mode",
            "deletion_protection",
        ],
    ),
    ("encryption", &["rotation"]),
    ("network", &["map_public_ip"]),
    ("access", &["ssm_only", "session_logging"]),
];

const NODE_GROUP_SECURE_BY_DEFAULT: [&str; 6] = [
    "imds_tokens",
    "imds_hop_limit",
    "volume_encrypted",
    "ssh_key",
    "public_ip",
    "subnets",
];

pub(super) fn harden(draft: &mut Draft) {
    // The authentication mode only moves forward, and `API` drops the aws-auth ConfigMap's
    // mappings: it stays until they are access entries (the report's to-do says so).
    let keeps_config_map = draft
        .root
        .get("cluster")
        .and_then(|cluster| cluster.get("authentication_mode"))
        .and_then(Toml::as_str)
        .is_some_and(|mode| mode.contains("CONFIG_MAP"));
    let kept_mode = keeps_config_map
        .then(|| draft.section("cluster").get("authentication_mode").cloned())
        .flatten();
    for (section, keys) in SECURE_BY_DEFAULT {
        if let Some(Toml::Table(table)) = draft.root.get_mut(section) {
            for key in keys {
                table.remove(*key);
            }
        }
    }
    if let Some(mode) = kept_mode {
        draft
            .section("cluster")
            .insert("authentication_mode".into(), mode);
    }
    if let Some(Toml::Array(groups)) = draft.root.get_mut("node_groups") {
        for group in groups.iter_mut().filter_map(Toml::as_table_mut) {
            for key in NODE_GROUP_SECURE_BY_DEFAULT {
                group.remove(key);
            }
        }
    }
    // Flow logs of all traffic; the OIDC provider, so pods get roles of their own.
    draft
        .section("network")
        .insert("flow_logs".into(), Toml::Boolean(true));
    draft
        .section("irsa")
        .insert("oidc_provider".into(), Toml::Boolean(true));
    // The add-ons a cluster comes up with, the CNI enforcing NetworkPolicy with its own role.
    let addons = draft.section("addons");
    let mut managed: Vec<String> = addons
        .get("managed")
        .and_then(Toml::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Toml::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    for name in crate::blueprint::addons::KNOWN_ADDONS
        .iter()
        .map(|known| known.name)
        .filter(|name| *name != "aws-ebs-csi-driver")
    {
        if !managed.iter().any(|present| present == name) {
            managed.push(name.to_string());
        }
    }
    addons.insert(
        "managed".into(),
        Toml::Array(managed.into_iter().map(Toml::String).collect()),
    );
    let cni = table_in(addons, "vpc_cni");
    cni.insert("network_policy".into(), Toml::Boolean(true));
    cni.remove("identity");
    // GuardDuty for EKS in the region (the account's detector is adopted when there is one).
    draft
        .section("detection")
        .insert("guardduty".into(), Toml::Boolean(true));
}
