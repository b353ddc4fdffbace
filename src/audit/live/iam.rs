//! Roles (trust, attached policies, documents) and the secrets key.

use serde_json::Value as Json;

use crate::aws::observe::{KeyObservation, RoleObservation, RoleReference};

use super::unknown;
use crate::audit::view::{Fact, KeyView, PolicyDocument, RoleUse, RoleView, Subject};

pub(super) fn role_view(role: &RoleObservation) -> RoleView {
    RoleView {
        subject: Subject::new(role.arn.clone()).with_cloud_id(role.arn.clone()),
        name: role.name.clone(),
        uses: match role.reference {
            RoleReference::Cluster => RoleUse::Cluster,
            RoleReference::NodeGroup => RoleUse::Node,
            // A workload's role either way: judged as one.
            RoleReference::ServiceAccount | RoleReference::PodIdentity => RoleUse::Irsa,
            RoleReference::AccessEntry => RoleUse::AccessEntry,
        },
        trust: match &role.trust {
            Ok(Some(trust)) => Fact::Known(trust.clone()),
            Ok(None) => Fact::unknown("iam:GetRole returned no trust policy"),
            Err(error) => unknown(error),
        },
        managed_policies: match &role.attached_policy_arns {
            Ok(arns) => Fact::Known(arns.clone()),
            Err(error) => unknown(error),
        },
        policy_documents: match &role.documents {
            Ok(documents) => Fact::Known(
                documents
                    .iter()
                    .map(|document| PolicyDocument {
                        name: document.name.clone(),
                        document: document.document.clone(),
                    })
                    .collect(),
            ),
            Err(error) => unknown(error),
        },
        service_account: None,
    }
}

/// The secrets key; `cluster_role` is the principal the key policy must let use it.
pub(super) fn key_view(key: &KeyObservation, cluster_role: Option<&str>) -> KeyView {
    let (customer_managed, state) = match &key.metadata {
        Ok(metadata) => (
            metadata
                .key_manager
                .as_deref()
                .map(|manager| Fact::Known(manager == "CUSTOMER"))
                .unwrap_or_else(|| Fact::unknown("kms:DescribeKey returned no KeyManager")),
            metadata
                .key_state
                .clone()
                .map(Fact::Known)
                .unwrap_or_else(|| Fact::unknown("kms:DescribeKey returned no KeyState")),
        ),
        Err(error) => (unknown(error), unknown(error)),
    };
    KeyView {
        subject: Subject::new(key.arn.clone()).with_cloud_id(key.arn.clone()),
        customer_managed,
        state,
        rotation: match &key.rotation_enabled {
            Ok(enabled) => Fact::Known(*enabled),
            Err(error) => unknown(error),
        },
        policy: match &key.policy {
            // A key always has its default policy; an answer without one reads as empty.
            Ok(policy) => Fact::Known(
                policy
                    .clone()
                    .unwrap_or_else(|| Json::Object(Default::default())),
            ),
            Err(error) => unknown(error),
        },
        aliases: match &key.aliases {
            Ok(aliases) => Fact::Known(aliases.clone()),
            Err(error) => unknown(error),
        },
        // The live side cannot tell "administrator" from other principals in the policy; the
        // checks read `policy` itself.
        admins: Vec::new(),
        cluster_role_principal: cluster_role
            .filter(|role| !role.is_empty())
            .map(str::to_string),
    }
}
