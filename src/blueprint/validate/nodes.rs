//! `[[node_groups]]`: names, sizes, instance types and architecture, and the node posture keys.

use std::collections::BTreeMap;

use super::formats::{instance_arch_is_arm, is_kubernetes_version, is_policy_arn, name_rule};
use super::suggest::{did_you_mean_or, name_help};
use super::{Checker, Target, POSTURE_KEY};
use crate::blueprint::kubernetes_names;
use crate::blueprint::limits;
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    pub(super) fn node_groups(&mut self, model: &Blueprint) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, group) in model.node_groups.iter().enumerate() {
            let at = |key: &str| format!("node_groups[{i}].{key}");
            if let Some(reason) = name_rule(&group.name, limits::MAX_NODE_GROUP_NAME_LEN) {
                self.report(
                    "eksforge::blueprint::node_group_name",
                    &at("name"),
                    format!("invalid node group name \"{}\": {reason}", group.name),
                    "invalid name",
                    name_help(
                        &group.name,
                        limits::MAX_NODE_GROUP_NAME_LEN,
                        "it is part of the node group's AWS names",
                    ),
                );
            }
            if let Some(first) = seen.get(group.name.as_str()) {
                self.report_pair(
                    "eksforge::blueprint::duplicate_node_group",
                    (&at("name"), "second node group with this name"),
                    (&format!("node_groups[{first}].name"), "first defined here"),
                    format!("node group \"{}\" is defined twice", group.name),
                    "give every [[node_groups]] a distinct name".to_string(),
                );
            } else {
                seen.insert(&group.name, i);
            }
            if !limits::CAPACITY_TYPES.contains(&group.capacity_type.as_str()) {
                self.report(
                    "eksforge::blueprint::capacity_type",
                    &at("capacity_type"),
                    format!(
                        "capacity_type \"{}\" is not ON_DEMAND or SPOT",
                        group.capacity_type
                    ),
                    "unknown capacity type",
                    "use \"ON_DEMAND\" (the default) or \"SPOT\"".to_string(),
                );
            }
            if !(limits::DISK_SIZE_MIN_GIB..=limits::DISK_SIZE_MAX_GIB).contains(&group.disk_size) {
                self.report(
                    "eksforge::blueprint::disk_size",
                    &at("disk_size"),
                    format!(
                        "disk_size = {} GiB is outside {} to {}",
                        group.disk_size,
                        limits::DISK_SIZE_MIN_GIB,
                        limits::DISK_SIZE_MAX_GIB
                    ),
                    "out of range",
                    "use 20 (the default) or more for image-heavy workloads".to_string(),
                );
            }
            if !(limits::MAX_UNAVAILABLE_MIN..=limits::MAX_UNAVAILABLE_MAX)
                .contains(&group.max_unavailable)
            {
                self.report(
                    "eksforge::blueprint::max_unavailable",
                    &at("max_unavailable"),
                    format!(
                        "max_unavailable = {} is outside {} to {}",
                        group.max_unavailable,
                        limits::MAX_UNAVAILABLE_MIN,
                        limits::MAX_UNAVAILABLE_MAX
                    ),
                    "out of range",
                    "use 1 (the default): nodes are replaced one at a time".to_string(),
                );
            }
            for (t, taint) in group.taints.iter().enumerate() {
                if !limits::TAINT_EFFECTS.contains(&taint.effect.as_str()) {
                    self.report(
                        "eksforge::blueprint::taint_effect",
                        &format!("node_groups[{i}].taints[{t}].effect"),
                        format!(
                            "taint effect \"{}\" is not NoSchedule, PreferNoSchedule or NoExecute",
                            taint.effect
                        ),
                        "unknown effect",
                        "use one of NoSchedule, PreferNoSchedule, NoExecute".to_string(),
                    );
                }
            }
            for found in kubernetes_names::node_group_problems(&group.labels, &group.taints) {
                let path = at(&found.path);
                let target = if found.at_key {
                    Target::Key(&path)
                } else {
                    Target::Value(&path)
                };
                let problem =
                    self.problem(found.code, target, found.message, found.label, found.help);
                self.problems.push(problem);
            }
            // EKS takes the sizes as 32-bit signed integers: a larger one cannot be sent.
            for (key, size) in [
                ("min_size", group.min_size),
                ("max_size", group.max_size),
                ("desired_size", group.desired_size),
            ] {
                if i32::try_from(size).is_err() {
                    self.report(
                        "eksforge::blueprint::node_group_sizes",
                        &at(key),
                        format!("{key} = {size} is more than EKS takes ({})", i32::MAX),
                        "too large",
                        "EKS managed node groups hold at most a few hundred nodes (Service Quotas: nodes per managed node group); use a size within that".to_string(),
                    );
                }
            }
            if group.max_size < 1 {
                self.report(
                    "eksforge::blueprint::node_group_sizes",
                    &at("max_size"),
                    format!("node group \"{}\" has max_size = 0", group.name),
                    "must be at least 1",
                    "EKS needs max_size ≥ 1; remove the [[node_groups]] entry to have no nodes"
                        .to_string(),
                );
            }
            if group.min_size > group.desired_size {
                self.report_pair(
                    "eksforge::blueprint::node_group_sizes",
                    (&at("min_size"), "larger than desired_size"),
                    (&at("desired_size"), "desired_size"),
                    format!(
                        "node group \"{}\": min_size ({}) is larger than desired_size ({})",
                        group.name, group.min_size, group.desired_size
                    ),
                    "sizes must satisfy min_size ≤ desired_size ≤ max_size".to_string(),
                );
            }
            if group.desired_size > group.max_size {
                self.report_pair(
                    "eksforge::blueprint::node_group_sizes",
                    (&at("desired_size"), "larger than max_size"),
                    (&at("max_size"), "max_size"),
                    format!(
                        "node group \"{}\": desired_size ({}) is larger than max_size ({})",
                        group.name, group.desired_size, group.max_size
                    ),
                    "sizes must satisfy min_size ≤ desired_size ≤ max_size".to_string(),
                );
            }
            let arch_ok = limits::ARCHITECTURES.contains(&group.arch.as_str());
            if !arch_ok {
                let help = did_you_mean_or(&group.arch, limits::ARCHITECTURES, || {
                    "use \"x86_64\" or \"arm64\" (Graviton)".to_string()
                });
                self.report(
                    "eksforge::blueprint::arch",
                    &at("arch"),
                    format!("arch \"{}\" is not x86_64 or arm64", group.arch),
                    "unknown architecture",
                    help,
                );
            }
            if !limits::AMIS.contains(&group.ami.as_str()) {
                self.report(
                    "eksforge::blueprint::ami",
                    &at("ami"),
                    format!("ami \"{}\" is not supported", group.ami),
                    "not bottlerocket",
                    "use ami = \"bottlerocket\": a minimal, immutable OS with no SSH and no package manager".to_string(),
                );
            }
            if group.instance_types.is_empty() {
                self.report(
                    "eksforge::blueprint::instance_types",
                    &at("instance_types"),
                    format!("node group \"{}\" has no instance types", group.name),
                    "empty",
                    "list at least one, e.g. instance_types = [\"m6i.large\"]".to_string(),
                );
            }
            for (j, instance_type) in group.instance_types.iter().enumerate() {
                let path = format!("node_groups[{i}].instance_types[{j}]");
                let Some(graviton) = instance_arch_is_arm(instance_type) else {
                    self.report(
                        "eksforge::blueprint::instance_types",
                        &path,
                        format!("\"{instance_type}\" is not an EC2 instance type"),
                        "not family.size",
                        "an instance type is family.size, e.g. \"m6i.large\" or \"m7g.xlarge\""
                            .to_string(),
                    );
                    continue;
                };
                if arch_ok && graviton != (group.arch == "arm64") {
                    let (is, should) = if graviton {
                        (
                            "arm64 (Graviton)",
                            "arch = \"arm64\", or an x86_64 type such as m6i.large",
                        )
                    } else {
                        (
                            "x86_64",
                            "arch = \"x86_64\", or a Graviton type such as m7g.large",
                        )
                    };
                    self.report(
                        "eksforge::blueprint::instance_types",
                        &path,
                        format!(
                            "instance type \"{instance_type}\" is {is} but the node group's arch is {}",
                            group.arch
                        ),
                        "wrong architecture",
                        format!("use {should}"),
                    );
                }
            }
        }
    }

    /// IMDS, subnets, version pins, volume keys, policies, user data.
    pub(super) fn node_posture_keys(&mut self, model: &Blueprint) {
        let network = &model.network;
        for (i, group) in model.node_groups.iter().enumerate() {
            let at = |key: &str| format!("node_groups[{i}].{key}");
            if !group.imds_tokens.is_known() {
                self.report(
                    POSTURE_KEY,
                    &at("imds_tokens"),
                    format!(
                        "imds_tokens \"{}\" is neither \"required\" nor \"optional\"",
                        group.imds_tokens
                    ),
                    "unknown value",
                    "use \"required\" (IMDSv2 only, the secure default)".to_string(),
                );
            }
            if !(limits::IMDS_HOP_LIMIT_MIN..=limits::IMDS_HOP_LIMIT_MAX)
                .contains(&group.imds_hop_limit)
            {
                self.report(
                    POSTURE_KEY,
                    &at("imds_hop_limit"),
                    format!(
                        "imds_hop_limit = {} is outside EC2's {} to {}",
                        group.imds_hop_limit,
                        limits::IMDS_HOP_LIMIT_MIN,
                        limits::IMDS_HOP_LIMIT_MAX
                    ),
                    "out of range",
                    "use 1 (the default): pods cannot reach the node's credentials".to_string(),
                );
            }
            match group.subnets.as_str() {
                "private" => {}
                "public" if !network.public_subnets => self.report(
                    POSTURE_KEY,
                    &at("subnets"),
                    "nodes in public subnets, but network.public_subnets = false".to_string(),
                    "no public subnets",
                    "use subnets = \"private\" (the default)".to_string(),
                ),
                "public" => {}
                other => self.report(
                    POSTURE_KEY,
                    &at("subnets"),
                    format!("subnets \"{other}\" is neither \"private\" nor \"public\""),
                    "unknown value",
                    "use \"private\" (the default)".to_string(),
                ),
            }
            if let Some(version) = &group.version {
                if !is_kubernetes_version(version) {
                    self.report(
                        POSTURE_KEY,
                        &at("version"),
                        format!("\"{version}\" is not a Kubernetes version of the form 1.NN"),
                        "not 1.NN",
                        "remove the pin to follow the cluster's version".to_string(),
                    );
                }
            }
            if let Some(key) = &group.volume_kms_key {
                if !(key.starts_with("arn:") && key.contains(":kms:")) {
                    self.report(
                        POSTURE_KEY,
                        &at("volume_kms_key"),
                        format!("\"{key}\" is not a KMS key ARN"),
                        "not a key ARN",
                        "give arn:aws:kms:REGION:ACCOUNT:key/ID, or remove it to use the account's EBS default key".to_string(),
                    );
                }
            }
            for (j, policy) in group.extra_policies.iter().enumerate() {
                if !is_policy_arn(policy) {
                    self.report(
                        POSTURE_KEY,
                        &at(&format!("extra_policies[{j}]")),
                        format!("\"{policy}\" is not an IAM policy ARN"),
                        "not a policy ARN",
                        "give arn:aws:iam::ACCOUNT:policy/NAME or arn:aws:iam::aws:policy/NAME"
                            .to_string(),
                    );
                }
            }
            if let Some(extra) = &group.user_data {
                self.user_data(i, extra);
            }
        }
    }
}
