//! Security groups: control plane ↔ nodes on 443 and 10250, node ↔ node; never 22, never
//! anything from 0.0.0.0/0 — plus the `[[security_rules]]` written on purpose.

use crate::blueprint::model::SecurityRule;
use crate::resources::{Kind, ResourceId, Value, UNMANAGED_INGRESS};

use super::builder::Builder;

/// The two groups everything else refers to.
pub(super) struct SecurityGroups {
    pub cluster: ResourceId,
    pub node: ResourceId,
}

/// `protocol = "-1"`: every protocol, and so no ports.
const ALL_PROTOCOLS: &str = "-1";

pub(super) fn add_security_groups(
    builder: &mut Builder,
    vpc: &ResourceId,
    extra_rules: &[SecurityRule],
) -> SecurityGroups {
    let groups = SecurityGroups {
        // Controllers add rules to these (the load balancer controller, EKS): not exclusive.
        cluster: add_group(
            builder,
            "cluster",
            "EKS control plane",
            vpc,
            Ingress::Shared,
        ),
        node: add_group(builder, "node", "EKS nodes", vpc, Ingress::Shared),
    };
    let SecurityGroups { cluster, node } = &groups;
    let baseline = [
        (
            "cluster.from_nodes_443",
            cluster,
            "tcp",
            443,
            node,
            "nodes to the API server",
        ),
        (
            "node.from_cluster_443",
            node,
            "tcp",
            443,
            cluster,
            "control plane to webhooks on nodes",
        ),
        (
            "node.from_cluster_10250",
            node,
            "tcp",
            10250,
            cluster,
            "control plane to kubelets",
        ),
        (
            "node.from_nodes_all",
            node,
            ALL_PROTOCOLS,
            -1,
            node,
            "node to node (pods across nodes)",
        ),
    ];
    for (key, group, protocol, port, source, description) in baseline {
        add_ingress(
            builder,
            key,
            IngressRule {
                group,
                protocol,
                ports: Some((i64::from(port), i64::from(port))),
                source: ("source_security_group_id", source.output("id")),
                description,
            },
        );
    }
    for (index, extra) in extra_rules.iter().enumerate() {
        add_extra_rules(builder, &groups, index, extra);
    }
    groups
}

/// Whether a group admits only the rules eksforge makes for it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Ingress {
    /// Others may add rules (controllers, EKS); they are not eksforge's to judge.
    Shared,
    /// Any other ingress rule is drift: shown in the plan and revoked by apply.
    OnlyEksforge,
}

/// `sg-…`: the security group `security_group.<key>` in the VPC, named `<blueprint>-eks-<key>`.
pub(super) fn add_group(
    builder: &mut Builder,
    key: &str,
    what: &str,
    vpc: &ResourceId,
    ingress: Ingress,
) -> ResourceId {
    let blueprint = builder.blueprint().to_string();
    let mut attrs = vec![
        ("name", Value::str(format!("{blueprint}-eks-{key}"))),
        (
            "description",
            Value::str(format!("eksforge {blueprint}: {what}")),
        ),
        ("vpc_id", vpc.output("id")),
    ];
    if ingress == Ingress::OnlyEksforge {
        attrs.push((UNMANAGED_INGRESS, Value::Map(Default::default())));
    }
    builder.add(Kind::SecurityGroup, key, attrs)
}

/// One `[[security_rules]]` entry: one rule resource per source (each CIDR, the source
/// group), `extra.N` when there is one source, else `extra.N.M`.
fn add_extra_rules(
    builder: &mut Builder,
    groups: &SecurityGroups,
    index: usize,
    extra: &SecurityRule,
) {
    let group = if extra.group == "cluster" {
        &groups.cluster
    } else {
        &groups.node
    };
    let mut sources: Vec<(&str, Value)> = extra
        .cidrs
        .iter()
        .map(|cidr| ("cidr_ipv4", Value::str(cidr.clone())))
        .collect();
    let source_group = match extra.source_group.as_deref() {
        Some("cluster") => Some(groups.cluster.output("id")),
        Some("node") => Some(groups.node.output("id")),
        Some(other) => Some(Value::str(other)),
        None => None,
    };
    sources.extend(source_group.map(|id| ("source_security_group_id", id)));
    let single = sources.len() == 1;
    let ports = extra
        .from_port
        .zip(extra.to_port)
        .map(|(from, to)| (i64::from(from), i64::from(to)));
    for (source_index, source) in sources.into_iter().enumerate() {
        let key = if single {
            format!("extra.{index}")
        } else {
            format!("extra.{index}.{source_index}")
        };
        add_ingress(
            builder,
            &key,
            IngressRule {
                group,
                protocol: &extra.protocol,
                ports,
                source,
                description: &extra.description,
            },
        );
    }
}

/// One ingress rule into `group`.
pub(super) struct IngressRule<'a> {
    pub group: &'a ResourceId,
    pub protocol: &'a str,
    /// From and to; ignored for all protocols.
    pub ports: Option<(i64, i64)>,
    /// `cidr_ipv4` or `source_security_group_id`, and its value.
    pub source: (&'a str, Value),
    pub description: &'a str,
}

pub(super) fn add_ingress(builder: &mut Builder, key: &str, rule: IngressRule<'_>) {
    let mut attrs = vec![
        ("security_group_id", rule.group.output("id")),
        ("direction", Value::str("ingress")),
        ("protocol", Value::str(rule.protocol)),
        rule.source,
        ("description", Value::str(rule.description)),
    ];
    if let Some((from, to)) = rule.ports.filter(|_| rule.protocol != ALL_PROTOCOLS) {
        attrs.push(("from_port", Value::Int(from)));
        attrs.push(("to_port", Value::Int(to)));
    }
    builder.add(Kind::SecurityGroupRule, key, attrs);
}
