//! `[irsa]` and `[addons]`: the OIDC provider, the roles trusted for Kubernetes service
//! accounts, and the EKS add-ons eksforge knows (with the role an add-on's pods use).

use std::collections::BTreeSet;

use serde_json::Value as Json;
use toml::{Table, Value as Toml};

use super::draft::{strings, table_in, Draft, Known};
use crate::aws::observe::{
    ClusterObservation, PodIdentityObservation, RoleObservation, RoleReference,
};
use crate::blueprint::addons::{known_addon, KNOWN_ADDONS, POD_IDENTITY_AGENT, VPC_CNI};
use crate::resources::last_path_part;

/// `system:serviceaccount:<namespace>:<name>` from a role's trust policy, when it names one.
fn service_account(role: &RoleObservation) -> Option<(String, String)> {
    let trust = role.trust.as_ref().ok()?.as_ref()?;
    let mut found = None;
    visit_strings(trust, &mut |text| {
        if let Some(rest) = text.strip_prefix("system:serviceaccount:") {
            if let Some((namespace, name)) = rest.split_once(':') {
                found.get_or_insert((namespace.to_string(), name.to_string()));
            }
        }
    });
    found
}

fn visit_strings(value: &Json, visit: &mut dyn FnMut(&str)) {
    match value {
        Json::String(text) => visit(text),
        Json::Array(items) => items.iter().for_each(|item| visit_strings(item, visit)),
        Json::Object(map) => map.values().for_each(|item| visit_strings(item, visit)),
        _ => {}
    }
}

pub(super) fn add_identity(draft: &mut Draft, observed: &ClusterObservation) {
    let provider = observed
        .oidc_provider
        .as_ref()
        .ok()
        .and_then(Option::as_ref);
    if let Some(provider) = provider {
        draft.know(
            "iam_oidc_provider.main",
            Known {
                cloud_id: provider.arn.clone(),
                outputs: [(
                    "arn".to_string(),
                    crate::resources::Value::str(provider.arn.clone()),
                )]
                .into(),
            },
        );
    }
    // The add-ons' roles are made by their add-on entries, not as service accounts.
    let addon_roles: BTreeSet<&str> = observed
        .addons
        .iter()
        .flatten()
        .flatten()
        .filter_map(|addon| addon.service_account_role_arn.as_deref())
        .collect();
    let mut accounts: Vec<Toml> = Vec::new();
    for role in &observed.roles {
        if role.reference != RoleReference::ServiceAccount
            || addon_roles.contains(role.arn.as_str())
        {
            continue;
        }
        let Some((namespace, name)) = service_account(role) else {
            draft.report.left_alone.push(format!(
                "role {}: trusts the cluster's OIDC provider for no single service account",
                role.name
            ));
            continue;
        };
        // An add-on's service account gets the role its add-on entry makes.
        let addon_account = KNOWN_ADDONS.iter().find(|known| {
            namespace == "kube-system"
                && known
                    .identity
                    .is_some_and(|need| need.service_account == name)
        });
        if let Some(known) = addon_account {
            draft.report.left_alone.push(format!(
                "role {}: trusted for kube-system/{name}, the {} add-on's service account, but not the role the add-on uses",
                role.name, known.name
            ));
            continue;
        }
        let mut account = Table::new();
        account.insert("namespace".into(), Toml::String(namespace.clone()));
        account.insert("name".into(), Toml::String(name.clone()));
        add_role_policies(draft, &mut account, role);
        accounts.push(Toml::Table(account));
        draft.know(
            &format!("iam_role.irsa.{namespace}.{name}"),
            Known::named(&role.name, Some(&role.arn)),
        );
    }
    let irsa = draft.section("irsa");
    irsa.insert("oidc_provider".into(), Toml::Boolean(provider.is_some()));
    if !accounts.is_empty() {
        irsa.insert("service_accounts".into(), Toml::Array(accounts));
    }
    add_addons(draft, observed);
}

/// `[[pod_identity]]` from the associations made directly (an add-on's are its own), each
/// with its role's policies. They need the agent add-on; a service account IRSA already
/// serves keeps its IRSA role.
pub(super) fn add_pod_identities(draft: &mut Draft, associations: &[PodIdentityObservation]) {
    let agent = draft
        .root
        .get("addons")
        .and_then(|addons| addons.get("managed"))
        .and_then(Toml::as_array)
        .is_some_and(|managed| {
            managed
                .iter()
                .any(|name| name.as_str() == Some(POD_IDENTITY_AGENT))
        });
    let irsa_accounts: BTreeSet<(String, String)> = draft
        .root
        .get("irsa")
        .and_then(|irsa| irsa.get("service_accounts"))
        .and_then(Toml::as_array)
        .into_iter()
        .flatten()
        .filter_map(|account| {
            Some((
                account.get("namespace")?.as_str()?.to_string(),
                account.get("name")?.as_str()?.to_string(),
            ))
        })
        .collect();
    let mut entries: Vec<Toml> = Vec::new();
    for association in associations
        .iter()
        .filter(|found| found.owner_arn.is_none())
    {
        let (namespace, account) = (&association.namespace, &association.service_account);
        let who = format!("{namespace}/{account}");
        let Some(role) = &association.role else {
            draft.report.left_alone.push(format!(
                "Pod Identity association {} ({who}): names no role",
                association.association_id
            ));
            continue;
        };
        if !agent || irsa_accounts.contains(&(namespace.clone(), account.clone())) {
            draft.report.left_alone.push(format!(
                "Pod Identity association {} ({who}, role {}): {}",
                association.association_id,
                role.name,
                if agent {
                    "the service account has an IRSA role too; eksforge gives it one or the other"
                } else {
                    "the cluster runs no eks-pod-identity-agent add-on"
                }
            ));
            continue;
        }
        let mut entry = Table::new();
        entry.insert("namespace".into(), Toml::String(namespace.clone()));
        entry.insert("service_account".into(), Toml::String(account.clone()));
        add_role_policies(draft, &mut entry, role);
        entries.push(Toml::Table(entry));
        draft.know(
            &format!("iam_role.pod_identity.{namespace}.{account}"),
            Known::named(&role.name, Some(&role.arn)),
        );
        draft.know(
            &format!("eks_pod_identity_association.{namespace}.{account}"),
            Known {
                cloud_id: association.association_id.clone(),
                outputs: Default::default(),
            },
        );
    }
    if !entries.is_empty() {
        draft
            .root
            .insert("pod_identity".into(), Toml::Array(entries));
    }
}

/// A workload role's managed and inline policies as a service account entry writes them.
fn add_role_policies(draft: &mut Draft, entry: &mut Table, role: &RoleObservation) {
    match &role.attached_policy_arns {
        Ok(managed) if !managed.is_empty() => {
            entry.insert("managed_policies".into(), strings(managed));
        }
        Ok(_) => {}
        Err(error) => draft.report.differs.push(format!(
            "role {}: its attached policies could not be read ({error}); add them to managed_policies",
            role.name
        )),
    }
    let mut inline = Table::new();
    for document in role.documents.iter().flatten() {
        if !document.name.starts_with("arn:") {
            inline.insert(
                document.name.clone(),
                Toml::String(document.document.to_string()),
            );
        }
    }
    if !inline.is_empty() {
        entry.insert("inline_policies".into(), Toml::Table(inline));
    }
}

/// `[detection]` from the region's GuardDuty detector, and the registry's repositories
/// (eksforge does not provision ECR: reported).
pub(super) fn add_detection(draft: &mut Draft, observed: &ClusterObservation) {
    let cluster = observed.cluster.name.as_deref();
    if let Ok(Some(detector)) = &observed.detector {
        if let Some(other) = detector
            .blueprint
            .as_deref()
            .filter(|owner| Some(*owner) != cluster)
        {
            draft.detector_elsewhere = true;
            draft.report.left_alone.push(format!(
                "GuardDuty detector {}: managed by blueprint {other} (a region has one detector)",
                detector.id
            ));
            return add_registry(draft, observed);
        }
        let enabled = |feature: &str| {
            detector
                .features
                .get(feature)
                .is_some_and(|found| found.status == "ENABLED")
        };
        let detection = draft.section("detection");
        detection.insert("guardduty".into(), Toml::Boolean(detector.enabled));
        detection.insert(
            "eks_audit_logs".into(),
            Toml::Boolean(enabled("EKS_AUDIT_LOGS")),
        );
        detection.insert(
            "runtime_monitoring".into(),
            Toml::Boolean(enabled("RUNTIME_MONITORING") || enabled("EKS_RUNTIME_MONITORING")),
        );
    }
    add_registry(draft, observed);
}

fn add_registry(draft: &mut Draft, observed: &ClusterObservation) {
    if let Ok(registry) = &observed.registry {
        for repository in &registry.repositories {
            draft.report.left_alone.push(format!(
                "ECR repository {}: eksforge does not provision ECR; `eksforge audit --cluster` judges the registry",
                repository.name
            ));
        }
    }
}

fn add_addons(draft: &mut Draft, observed: &ClusterObservation) {
    let Ok(addons) = &observed.addons else {
        return;
    };
    let present: Vec<_> = addons.iter().flatten().collect();
    for addon in &present {
        if known_addon(&addon.name).is_none() {
            draft.report.left_alone.push(format!(
                "add-on {}: eksforge does not manage it; it keeps running as it is",
                addon.name
            ));
        }
    }
    // In eksforge's bring-up order.
    let managed: Vec<String> = KNOWN_ADDONS
        .iter()
        .filter(|known| present.iter().any(|addon| addon.name == known.name))
        .map(|known| known.name.to_string())
        .collect();
    let mut configuration = Table::new();
    let mut identities: Vec<(&'static str, &'static str, String)> = Vec::new();
    let mut network_policy = false;
    for addon in &present {
        let Some(known) = known_addon(&addon.name) else {
            continue;
        };
        let text = addon
            .configuration_values
            .as_deref()
            .filter(|text| !text.trim().is_empty());
        let mut values = match text.map(serde_json::from_str::<serde_json::Map<String, Json>>) {
            None => serde_json::Map::new(),
            Some(Ok(values)) => values,
            Some(Err(_)) => {
                draft.report.differs.push(format!(
                    "add-on {}: its configuration values are not a JSON object (YAML?); write them as addons.configuration.{} by hand",
                    addon.name, addon.name
                ));
                serde_json::Map::new()
            }
        };
        if known.name == VPC_CNI {
            network_policy = values.remove("enableNetworkPolicy").is_some_and(|flag| {
                flag == Json::String("true".into()) || flag == Json::Bool(true)
            });
        }
        if !values.is_empty() {
            if let Ok(Toml::Table(table)) = Toml::try_from(Json::Object(values)) {
                configuration.insert(known.name.to_string(), Toml::Table(table));
            }
        }
        if let Some(need) = known.identity {
            let identity = if addon.has_pod_identity_associations {
                "pod_identity"
            } else {
                "irsa"
            };
            let table = need.table.trim_start_matches("addons.");
            identities.push((table, identity, need.service_account.to_string()));
            if let Some(role) = addon.service_account_role_arn.as_deref() {
                draft.know(
                    &format!("iam_role.irsa.kube-system.{}", need.service_account),
                    Known::named(last_path_part(role), Some(role)),
                );
            } else if !addon.has_pod_identity_associations {
                draft.report.differs.push(format!(
                    "add-on {}: its pods use the node role; the first plan gives it a role of its own",
                    addon.name
                ));
            }
        }
    }
    let section = draft.section("addons");
    section.insert("managed".into(), strings(&managed));
    for (table, identity, _) in &identities {
        table_in(section, table).insert("identity".into(), Toml::String(identity.to_string()));
    }
    if managed.iter().any(|name| name == VPC_CNI) {
        table_in(section, "vpc_cni").insert("network_policy".into(), Toml::Boolean(network_policy));
    }
    if !configuration.is_empty() {
        section.insert("configuration".into(), Toml::Table(configuration));
    }
}
