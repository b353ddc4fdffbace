//! EKS access entries (authentication mode API): cluster admin for each of `access.admins`,
//! and `[[access.entries]]` with the policy and scope they choose.

use std::collections::BTreeMap;

use crate::blueprint::model::{Access, AccessEntry};
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;
use super::names::{last_path_part, sanitise, Arns};

pub(super) fn add_access_entries(
    builder: &mut Builder,
    access: &Access,
    cluster: &ResourceId,
    arns: &Arns,
) {
    for principal in &access.admins {
        let policy = BTreeMap::from([
            (
                "policy_arn".to_string(),
                Value::str(arns.access_policy("AmazonEKSClusterAdminPolicy")),
            ),
            ("scope_type".to_string(), Value::str("cluster")),
        ]);
        add_entry(builder, "admin", principal, policy, cluster);
    }
    for entry in &access.entries {
        add_entry(
            builder,
            "entry",
            &entry.principal,
            scoped_policy(entry, arns),
            cluster,
        );
    }
}

/// The access policy of one `[[access.entries]]`: its policy, scope and (for a namespace
/// scope) the namespaces, sorted.
fn scoped_policy(entry: &AccessEntry, arns: &Arns) -> BTreeMap<String, Value> {
    let mut policy = BTreeMap::from([
        (
            "policy_arn".to_string(),
            Value::str(arns.access_policy(&entry.policy)),
        ),
        ("scope_type".to_string(), Value::str(entry.scope.clone())),
    ]);
    if entry.scope == "namespace" {
        let mut namespaces = entry.namespaces.clone();
        namespaces.sort();
        policy.insert(
            "namespaces".to_string(),
            Value::List(namespaces.into_iter().map(Value::Str).collect()),
        );
    }
    policy
}

/// `eks_access_entry.<prefix>.<principal's short name>` with one access policy.
fn add_entry(
    builder: &mut Builder,
    prefix: &str,
    principal: &str,
    policy: BTreeMap<String, Value>,
    cluster: &ResourceId,
) {
    builder.add(
        Kind::EksAccessEntry,
        &format!("{prefix}.{}", sanitise(last_path_part(principal))),
        [
            ("cluster_name", cluster.output("name")),
            ("principal_arn", Value::str(principal)),
            ("type", Value::str("STANDARD")),
            ("access_policies", Value::List(vec![Value::Map(policy)])),
        ],
    );
}
