//! `[[node_groups]]` from the managed node groups that run Bottlerocket through a launch
//! template; the others are reported and left alone. Sizes, instance types, labels and taints
//! are filled in from the refresh (`observed.rs`), which reads them as eksforge compares them.

use toml::{Table, Value as Toml};

use super::draft::{strings, Draft, Known};
use crate::aws::observe::{ClusterObservation, LaunchObservation, NodeGroupObservation};
use crate::blueprint::limits::MAX_NODE_GROUP_NAME_LEN;
use crate::resources::last_path_part;

/// A blueprint name for a node group's AWS name: lowercase letters, digits and single dashes,
/// starting with a letter. A trailing `-<8 hex digits>` (eksforge's own, eksctl's `ng-…`
/// keeps its prefix) is dropped: it names a version of the group, not the group.
pub(super) fn blueprint_name(aws_name: &str) -> String {
    let aws_name = match aws_name.rsplit_once('-') {
        Some((stem, suffix))
            if !stem.is_empty()
                && suffix.len() == 8
                && suffix.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            stem
        }
        _ => aws_name,
    };
    let mut name = String::new();
    for c in aws_name.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_alphanumeric() {
            if name.is_empty() && !c.is_ascii_alphabetic() {
                name.push('g');
            }
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let mut name: String = name
        .trim_end_matches('-')
        .chars()
        .take(MAX_NODE_GROUP_NAME_LEN)
        .collect();
    while name.ends_with('-') {
        name.pop();
    }
    if name.is_empty() {
        "nodes".to_string()
    } else {
        name
    }
}

pub(super) fn add_node_groups(draft: &mut Draft, observed: &ClusterObservation) {
    let Ok(groups) = &observed.node_groups else {
        return;
    };
    let cluster_version = observed.cluster.version.as_deref();
    let mut entries: Vec<Toml> = Vec::new();
    let mut node_role: Option<String> = None;
    for group in groups.iter().flatten() {
        if let Some(entry) = node_group_entry(draft, group, &mut node_role, cluster_version) {
            entries.push(Toml::Table(entry));
        }
    }
    if let Some(role) = &node_role {
        draft.know(
            "iam_role.node",
            Known::named(last_path_part(role), Some(role)),
        );
        // Policies on the node role beyond the ones eksforge attaches stay attached.
        let extra: Vec<String> = observed
            .roles
            .iter()
            .find(|observed| &observed.arn == role)
            .and_then(|observed| observed.attached_policy_arns.as_ref().ok())
            .into_iter()
            .flatten()
            .filter(|arn| {
                !STANDARD_NODE_POLICIES
                    .iter()
                    .any(|policy| arn.ends_with(policy))
            })
            .cloned()
            .collect();
        if let (false, Some(Toml::Table(first))) = (extra.is_empty(), entries.first_mut()) {
            first.insert("extra_policies".into(), strings(&extra));
        }
    }
    if !entries.is_empty() {
        draft
            .root
            .insert("node_groups".into(), Toml::Array(entries));
    }
}

const STANDARD_NODE_POLICIES: [&str; 3] = [
    "/AmazonEKSWorkerNodePolicy",
    "/AmazonEC2ContainerRegistryReadOnly",
    "/AmazonSSMManagedInstanceCore",
];

fn node_group_entry(
    draft: &mut Draft,
    group: &NodeGroupObservation,
    node_role: &mut Option<String>,
    cluster_version: Option<&str>,
) -> Option<Table> {
    let bottlerocket = group
        .ami_type
        .as_deref()
        .is_some_and(|ami| ami.starts_with("BOTTLEROCKET_") && !ami.contains("NVIDIA"));
    let template = match &group.launch {
        LaunchObservation::Template { resource, .. } if resource.starts_with("lt-") => {
            Some(resource.clone())
        }
        _ => None,
    };
    let (Some(template), true) = (template, bottlerocket) else {
        draft.report.left_alone.push(format!(
            "node group {} ({}): eksforge manages Bottlerocket node groups with a launch template it can name; add a Bottlerocket group beside it (--harden does), move the workloads, then delete this one",
            group.name,
            group.ami_type.as_deref().unwrap_or("no AMI type"),
        ));
        if let Some(successor) = successor(group) {
            draft.successors.push(successor);
        }
        return None;
    };
    if let Some(role) = &group.node_role {
        match node_role {
            Some(first) if first != role => {
                draft.report.differs.push(format!(
                    "node group {} runs as {role}: eksforge gives every node group one node role ({first})",
                    group.name
                ));
            }
            _ => *node_role = Some(role.clone()),
        }
    }
    let name = blueprint_name(&group.name);
    let mut entry = Table::new();
    entry.insert("name".into(), Toml::String(name.clone()));
    entry.insert("ami".into(), Toml::String("bottlerocket".into()));
    entry.insert("arch".into(), Toml::String(group.arch().into()));
    // Filled in from the refresh; these only make the first expansion valid.
    entry.insert("instance_types".into(), strings(&["m6i.large".to_string()]));
    for key in ["min_size", "max_size", "desired_size"] {
        entry.insert(key.into(), Toml::Integer(1));
    }
    // A group on the control plane's version follows it; one behind is pinned.
    if let Some(version) = group
        .version
        .as_ref()
        .filter(|v| Some(v.as_str()) != cluster_version)
    {
        entry.insert("version".into(), Toml::String(version.clone()));
    }
    draft.know(
        &format!("eks_node_group.{name}"),
        Known::named(&group.name, group.arn.as_deref()),
    );
    draft.know(&format!("launch_template.{name}"), Known::ec2(&template));
    Some(entry)
}

/// A Bottlerocket group to take over from `group` (another OS): `<name>-bottlerocket`, of its
/// architecture, instance types, capacity type and sizes, in the private subnets. `None` when
/// the answer lacks the instance types or sizes.
fn successor(group: &NodeGroupObservation) -> Option<Table> {
    let (min, max, desired) = group.scaling?;
    if group.instance_types.is_empty() {
        return None;
    }
    let stem = blueprint_name(&group.name);
    let suffix = "-bottlerocket";
    let stem: String = stem
        .chars()
        .take(MAX_NODE_GROUP_NAME_LEN - suffix.len())
        .collect();
    let mut entry = Table::new();
    entry.insert(
        "name".into(),
        Toml::String(format!("{}{suffix}", stem.trim_end_matches('-'))),
    );
    entry.insert("ami".into(), Toml::String("bottlerocket".into()));
    entry.insert("arch".into(), Toml::String(group.arch().into()));
    entry.insert("instance_types".into(), strings(&group.instance_types));
    if let Some(capacity) = &group.capacity_type {
        entry.insert("capacity_type".into(), Toml::String(capacity.clone()));
    }
    for (key, size) in [
        ("min_size", min),
        ("max_size", max),
        ("desired_size", desired),
    ] {
        entry.insert(key.into(), Toml::Integer(size.into()));
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::blueprint_name;

    #[test]
    fn aws_names_become_blueprint_names() {
        assert_eq!(blueprint_name("workers"), "workers");
        assert_eq!(blueprint_name("ng-1a2b"), "ng-1a2b");
        assert_eq!(blueprint_name("system-bc5de402"), "system");
        assert_eq!(blueprint_name("-bc5de402"), "bc5de402");
        assert_eq!(blueprint_name("Managed_NG--One"), "managed-ng-one");
        assert_eq!(blueprint_name("1st"), "g1st");
        assert_eq!(blueprint_name("---"), "nodes");
        assert!(blueprint_name(&"a".repeat(80)).len() <= 32);
    }
}
