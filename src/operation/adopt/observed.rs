//! What only the refresh reads as eksforge compares it: each node group's sizes and instance
//! types, its launch template's volumes and metadata options, the cluster's support policy,
//! the key's policy. Written into the draft under the blueprint's keys, and each adopted
//! resource's own name, description and tags under `[adopted."<id>"]`.

use toml::{Table, Value as Toml};

use super::draft::{table_in, toml_of, Draft};
use crate::plan::Refreshed;
use crate::resources::{DesiredSet, Kind, ResourceId, Value};

/// The attributes an adopted resource keeps from the tool that made it.
const KEPT: [&str; 4] = ["name", "description", "tags", "instance_tags"];

pub(super) fn fill_in(draft: &mut Draft, desired: &DesiredSet, refreshed: &Refreshed) {
    let attr = |id: &str, attribute: &str| -> Option<Value> {
        let id = ResourceId::parse(id)?;
        refreshed
            .found
            .get(&id)?
            .observed
            .attrs
            .get(attribute)
            .cloned()
    };
    let cluster = draft.section("cluster");
    for (attribute, key) in [
        ("upgrade_policy", "upgrade_policy"),
        ("deletion_protection", "deletion_protection"),
    ] {
        if let Some(value) = attr("eks_cluster.main", attribute)
            .as_ref()
            .and_then(toml_of)
        {
            cluster.insert(key.into(), value);
        }
    }
    if let Some(days) = attr("log_group.cluster", "retention_in_days")
        .as_ref()
        .and_then(toml_of)
    {
        cluster.insert("log_retention_days".into(), days);
    }
    if draft.root.contains_key("encryption") {
        let rotation = attr("kms_key.secrets", "enable_key_rotation");
        let policy = attr("kms_key.secrets", "policy");
        let wanted_policy = resolved(desired, refreshed, "kms_key.secrets", "policy");
        let encryption = draft.section("encryption");
        if let Some(rotation) = rotation.as_ref().and_then(toml_of) {
            encryption.insert("rotation".into(), rotation);
        }
        // The key policy is written only where the plan would see a difference.
        if let (Some(Value::Str(live)), Some(wanted)) = (&policy, wanted_policy) {
            if !crate::plan::same(Kind::KmsKey, "policy", policy.as_ref(), &wanted) {
                encryption.insert("key_policy".into(), Toml::String(live.clone()));
            }
        }
    }
    fill_flow_logs(draft, desired, refreshed, &attr);
    fill_node_groups(draft, &attr);
    keep_adopted(draft, desired, refreshed);
}

/// A desired attribute with every reference the refresh can answer filled in.
fn resolved(
    desired: &DesiredSet,
    refreshed: &Refreshed,
    id: &str,
    attribute: &str,
) -> Option<Value> {
    let resource = desired.get(&ResourceId::parse(id)?)?;
    let value = resource.attrs.get(attribute)?;
    Some(value.resolve_known(&|reference| refreshed.output(reference)))
}

/// A flow log's format and its group's retention, where they are not the defaults.
fn fill_flow_logs(
    draft: &mut Draft,
    desired: &DesiredSet,
    refreshed: &Refreshed,
    attr: &dyn Fn(&str, &str) -> Option<Value>,
) {
    if !refreshed
        .found
        .contains_key(&ResourceId::new(Kind::FlowLog, "vpc"))
    {
        return;
    }
    let mut options = Table::new();
    let live_format = attr("flow_log.vpc", "log_format");
    if live_format != resolved(desired, refreshed, "flow_log.vpc", "log_format") {
        if let Some(format) = live_format.as_ref().and_then(toml_of) {
            options.insert("format".into(), format);
        }
    }
    let retention = attr("log_group.flow_logs", "retention_in_days");
    if retention
        != resolved(
            desired,
            refreshed,
            "log_group.flow_logs",
            "retention_in_days",
        )
    {
        if let Some(days) = retention.as_ref().and_then(toml_of) {
            options.insert("retention_days".into(), days);
        }
    }
    if !options.is_empty() {
        options.insert("destination".into(), Toml::String("cloudwatch".into()));
        draft
            .section("network")
            .insert("flow_logs".into(), Toml::Table(options));
    }
}

fn fill_node_groups(draft: &mut Draft, attr: &dyn Fn(&str, &str) -> Option<Value>) {
    let Some(Toml::Array(groups)) = draft.root.get_mut("node_groups") else {
        return;
    };
    for entry in groups.iter_mut() {
        let Toml::Table(entry) = entry else { continue };
        let Some(name) = entry.get("name").and_then(Toml::as_str).map(str::to_string) else {
            continue;
        };
        let group = format!("eks_node_group.{name}");
        for key in [
            "instance_types",
            "capacity_type",
            "min_size",
            "max_size",
            "desired_size",
            "labels",
            "max_unavailable",
        ] {
            if let Some(value) = attr(&group, key).as_ref().and_then(toml_of) {
                entry.insert(key.into(), value);
            }
        }
        if entry
            .get("labels")
            .and_then(Toml::as_table)
            .is_some_and(Table::is_empty)
        {
            entry.remove("labels");
        }
        if let Some(Value::List(taints)) = attr(&group, "taints") {
            let taints: Vec<Toml> = taints.iter().filter_map(blueprint_taint).collect();
            if !taints.is_empty() {
                entry.insert("taints".into(), Toml::Array(taints));
            }
        }
        fill_launch_template(entry, &format!("launch_template.{name}"), attr);
    }
}

/// An EKS taint (`NO_SCHEDULE`) as the blueprint writes it (`NoSchedule`).
fn blueprint_taint(taint: &Value) -> Option<Toml> {
    let map = taint.as_map()?;
    let effect = match map.get("effect")?.as_str()? {
        "PREFER_NO_SCHEDULE" => "PreferNoSchedule",
        "NO_EXECUTE" => "NoExecute",
        _ => "NoSchedule",
    };
    let mut table = Table::new();
    table.insert(
        "key".into(),
        Toml::String(map.get("key")?.as_str()?.to_string()),
    );
    if let Some(value) = map.get("value").and_then(Value::as_str) {
        table.insert("value".into(), Toml::String(value.to_string()));
    }
    table.insert("effect".into(), Toml::String(effect.into()));
    Some(Toml::Table(table))
}

fn fill_launch_template(
    entry: &mut Table,
    template: &str,
    attr: &dyn Fn(&str, &str) -> Option<Value>,
) {
    if let Some(tokens) = attr(template, "metadata_http_tokens")
        .as_ref()
        .and_then(toml_of)
    {
        entry.insert("imds_tokens".into(), tokens);
    }
    if let Some(hops) = attr(template, "metadata_http_put_response_hop_limit")
        .as_ref()
        .and_then(toml_of)
    {
        entry.insert("imds_hop_limit".into(), hops);
    }
    if let Some(Value::List(volumes)) = attr(template, "block_device_mappings") {
        // Bottlerocket's data volume: the second device.
        let data = volumes
            .iter()
            .filter_map(Value::as_map)
            .find(|volume| volume.get("device_name").and_then(Value::as_str) == Some("/dev/xvdb"));
        if let Some(volume) = data {
            if let Some(size) = volume.get("volume_size").and_then(toml_of) {
                entry.insert("disk_size".into(), size);
            }
            if let Some(encrypted) = volume.get("encrypted").and_then(toml_of) {
                entry.insert("volume_encrypted".into(), encrypted);
            }
            if let Some(key) = volume.get("kms_key_id").and_then(toml_of) {
                entry.insert("volume_kms_key".into(), key);
            }
        }
    }
    if let Some(key) = attr(template, "key_name").as_ref().and_then(toml_of) {
        entry.insert("ssh_key".into(), key);
    }
    if let Some(Value::Bool(true)) = attr(template, "associate_public_ip_address") {
        entry.insert("public_ip".into(), Toml::Boolean(true));
    }
}

/// The tool that made the cluster still believes it owns it: say how to let go, recognised by
/// the tags and security-group descriptions eksctl and terraform-aws-modules write.
fn note_other_tools(draft: &mut Draft, entries: &[(ResourceId, Table)]) {
    let has = |test: &dyn Fn(&str, &Toml) -> bool| {
        entries
            .iter()
            .any(|(_, entry)| entry.iter().any(|(key, value)| test(key, value)))
    };
    let tag_key = |prefixes: &'static [&'static str]| {
        move |key: &str, value: &Toml| {
            key == "tags"
                && value.as_table().is_some_and(|tags| {
                    tags.keys()
                        .any(|tag| prefixes.iter().any(|prefix| tag.starts_with(prefix)))
                })
        }
    };
    if has(&tag_key(&["alpha.eksctl.io/", "eksctl.cluster.k8s.io/"])) {
        draft.report.to_do.push(
            "eksctl made this cluster: its CloudFormation stacks still own the resources, and `eksctl delete` or deleting a stack would destroy them. Set DeletionPolicy Retain on every resource of each stack, then delete the stacks, node groups' first and the cluster's last (docs/adopt.md)".to_string(),
        );
    }
    let terraform_description = |key: &str, value: &Toml| {
        key == "description"
            && matches!(
                value.as_str(),
                Some("EKS cluster security group" | "EKS node shared security group")
            )
    };
    if has(&tag_key(&["terraform-aws-modules"])) || has(&terraform_description) {
        draft.report.to_do.push(
            "terraform-aws-modules made this cluster: stop Terraform managing it without destroying it, with a `removed { from = module.eks  lifecycle { destroy = false } }` block (Terraform 1.7+) or `terraform state rm module.eks module.vpc` (docs/adopt.md)".to_string(),
        );
    }
}

/// `[adopted."<id>"]` for each found resource whose name, description or tags are not what
/// eksforge would derive.
fn keep_adopted(draft: &mut Draft, desired: &DesiredSet, refreshed: &Refreshed) {
    let mut entries: Vec<(ResourceId, Table)> = Vec::new();
    for (id, found) in &refreshed.found {
        let Some(resource) = desired.get(id) else {
            continue;
        };
        let mut entry = Table::new();
        for attribute in KEPT {
            let (Some(wanted), Some(live)) = (
                resource.attrs.get(attribute),
                found.observed.attrs.get(attribute),
            ) else {
                continue;
            };
            let wanted = wanted.resolve_known(&|reference| refreshed.output(reference));
            if crate::plan::same(id.kind(), attribute, Some(live), &wanted) {
                continue;
            }
            // Tags only AWS or eksforge set are never written: the plan leaves them alone.
            let live = match (attribute, live) {
                ("tags" | "instance_tags", Value::Map(tags)) => Value::Map(
                    tags.iter()
                        .filter(|(key, _)| {
                            let key = key.to_lowercase();
                            !key.starts_with("aws:") && !key.starts_with("eksforge:")
                        })
                        .map(|(key, value)| (key.clone(), value.clone()))
                        .collect(),
                ),
                _ => live.clone(),
            };
            if let Some(value) = toml_of(&live) {
                entry.insert(attribute.into(), value);
            }
        }
        if !entry.is_empty() {
            entries.push((id.clone(), entry));
        }
    }
    note_other_tools(draft, &entries);
    if entries.is_empty() {
        return;
    }
    let adopted = draft.section("adopted");
    for (id, entry) in entries {
        *table_in(adopted, &id.to_string()) = entry;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, text: &str) -> (ResourceId, Table) {
        (
            ResourceId::parse(id).expect("an id"),
            toml::from_str(text).expect("TOML"),
        )
    }

    #[test]
    fn the_tool_that_made_the_cluster_is_named_with_how_to_let_go() {
        let mut eksctl = Draft::default();
        note_other_tools(
            &mut eksctl,
            &[entry(
                "vpc.main",
                "tags = { \"alpha.eksctl.io/cluster-name\" = \"legacy\", Name = \"eksctl-legacy-cluster/VPC\" }",
            )],
        );
        assert_eq!(eksctl.report.to_do.len(), 1);
        assert!(eksctl.report.to_do[0].contains("DeletionPolicy Retain"));

        let mut terraform = Draft::default();
        note_other_tools(
            &mut terraform,
            &[entry(
                "security_group.node",
                "description = \"EKS node shared security group\"",
            )],
        );
        assert_eq!(terraform.report.to_do.len(), 1);
        assert!(terraform.report.to_do[0].contains("destroy = false"));

        let mut console = Draft::default();
        note_other_tools(
            &mut console,
            &[entry("vpc.main", "tags = { owner = \"platform\" }")],
        );
        assert!(console.report.to_do.is_empty());
    }
}
