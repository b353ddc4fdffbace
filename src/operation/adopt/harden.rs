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
    // A Bottlerocket group beside each group running another OS (that one is left alone).
    if !draft.successors.is_empty() {
        let taken: Vec<String> = draft
            .root
            .get("node_groups")
            .and_then(Toml::as_array)
            .into_iter()
            .flatten()
            .filter_map(|group| group.get("name")?.as_str().map(str::to_string))
            .collect();
        let successors: Vec<Toml> = draft
            .successors
            .drain(..)
            .filter(|entry| {
                let name = entry.get("name").and_then(Toml::as_str);
                !taken.iter().any(|taken| Some(taken.as_str()) == name)
            })
            .map(Toml::Table)
            .collect();
        match draft.root.get_mut("node_groups") {
            Some(Toml::Array(groups)) => groups.extend(successors),
            _ => {
                draft
                    .root
                    .insert("node_groups".into(), Toml::Array(successors));
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
    // GuardDuty for EKS in the region (the account's detector is adopted when there is one,
    // unless another blueprint manages it).
    if !draft.detector_elsewhere {
        let detection = draft.section("detection");
        for key in ["guardduty", "eks_audit_logs", "runtime_monitoring"] {
            detection.remove(key);
        }
        detection.insert("guardduty".into(), Toml::Boolean(true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(text: &str) -> Draft {
        Draft {
            root: toml::from_str(text).expect("TOML"),
            ..Draft::default()
        }
    }

    #[test]
    fn weaker_settings_give_way_to_the_defaults_and_what_defines_the_cluster_stays() {
        let mut adopted = draft(
            "[cluster]\nversion = \"1.33\"\nendpoint_public = true\npublic_access_cidrs = [\"0.0.0.0/0\"]\nlogging = [\"api\"]\nauthentication_mode = \"API\"\nbootstrap_creator_admin = true\n[network]\nvpc_cidr = \"10.0.0.0/16\"\nflow_logs = false\n[[node_groups]]\nname = \"workers\"\nmin_size = 2\nimds_hop_limit = 2\nssh_key = \"ops\"\n[addons]\nmanaged = [\"vpc-cni\"]\n[addons.vpc_cni]\nnetwork_policy = false\nidentity = \"irsa\"\n",
        );
        harden(&mut adopted);
        let root = &adopted.root;
        let cluster = root["cluster"].as_table().expect("cluster");
        assert_eq!(cluster["version"].as_str(), Some("1.33"));
        assert_eq!(cluster["bootstrap_creator_admin"].as_bool(), Some(true));
        for gone in [
            "endpoint_public",
            "public_access_cidrs",
            "logging",
            "authentication_mode",
        ] {
            assert!(!cluster.contains_key(gone), "{gone}");
        }
        assert_eq!(root["network"]["vpc_cidr"].as_str(), Some("10.0.0.0/16"));
        assert_eq!(root["network"]["flow_logs"].as_bool(), Some(true));
        let group = root["node_groups"][0].as_table().expect("group");
        assert_eq!(group["min_size"].as_integer(), Some(2));
        assert!(!group.contains_key("imds_hop_limit") && !group.contains_key("ssh_key"));
        let managed: Vec<&str> = root["addons"]["managed"]
            .as_array()
            .expect("managed")
            .iter()
            .filter_map(toml::Value::as_str)
            .collect();
        assert_eq!(
            managed,
            ["vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns"]
        );
        assert_eq!(
            root["addons"]["vpc_cni"]["network_policy"].as_bool(),
            Some(true)
        );
        assert_eq!(root["detection"]["guardduty"].as_bool(), Some(true));
        assert_eq!(root["irsa"]["oidc_provider"].as_bool(), Some(true));
    }

    #[test]
    fn a_group_on_another_os_gets_a_bottlerocket_successor_unless_its_name_is_taken() {
        let successor = |name: &str| {
            toml::from_str::<toml::Table>(&format!(
                "name = \"{name}\"\nami = \"bottlerocket\"\ninstance_types = [\"m5.large\"]\nmin_size = 2\nmax_size = 3\ndesired_size = 2\n"
            ))
            .expect("TOML")
        };
        let mut adopted = draft("[[node_groups]]\nname = \"workers\"\n");
        adopted.successors = vec![successor("ng-1-bottlerocket"), successor("workers")];
        harden(&mut adopted);
        let names: Vec<&str> = adopted.root["node_groups"]
            .as_array()
            .expect("groups")
            .iter()
            .filter_map(|group| group["name"].as_str())
            .collect();
        assert_eq!(names, ["workers", "ng-1-bottlerocket"]);
        let mut only_others = draft("");
        only_others.successors = vec![successor("ng-1-bottlerocket")];
        harden(&mut only_others);
        assert_eq!(
            only_others.root["node_groups"][0]["min_size"].as_integer(),
            Some(2)
        );
    }

    #[test]
    fn a_config_map_authentication_mode_stays_until_its_mappings_move() {
        let mut adopted = draft("[cluster]\nauthentication_mode = \"API_AND_CONFIG_MAP\"\n");
        harden(&mut adopted);
        assert_eq!(
            adopted.root["cluster"]["authentication_mode"].as_str(),
            Some("API_AND_CONFIG_MAP")
        );
    }
}
