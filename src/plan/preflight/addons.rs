//! The add-ons' preflight: a pinned version EKS does not offer for the cluster's Kubernetes
//! version, or configuration values the add-on's schema refuses, would fail only once the
//! cluster is up; both are checked before any change, at the blueprint key. The same reads
//! give the plan its notes on versions: what an unpinned add-on gets, and newer ones.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::preflight::{addon_configuration_schema, addon_versions, OfferedAddonVersion};
use crate::aws::{Aws, AwsError};
use crate::blueprint::addons::version_numbers;
use crate::blueprint::JsonErrorAt;
use crate::resources::{Attrs, DesiredSet, Kind, Resource, Value};

use super::{Action, Plan, Preflight, PreflightFailure};

/// What the add-ons' checks read: EKS's catalog for one Kubernetes version, and the schemas
/// of the add-ons whose configuration is about to be sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddonNeeds {
    /// The cluster's Kubernetes version, when the blueprint installs add-ons.
    pub kubernetes: Option<String>,
    /// (add-on, pinned version) whose configuration values will be sent.
    pub schemas: BTreeSet<(String, Option<String>)>,
}

impl AddonNeeds {
    pub fn covers(&self, other: &AddonNeeds) -> bool {
        (other.kubernetes.is_none() || self.kubernetes == other.kubernetes)
            && other.schemas.is_subset(&self.schemas)
    }

    /// What `plan` sends: every add-on it keeps (for the notes), the configuration of those it
    /// creates or whose configuration or version it changes.
    pub fn of_plan(plan: &Plan) -> AddonNeeds {
        let mut needs = AddonNeeds::default();
        for change in &plan.changes {
            let Some(after) = change.after.as_ref() else {
                continue;
            };
            match change.id.kind() {
                Kind::EksCluster => needs.kubernetes = text(after, "version"),
                Kind::EksAddon if change.action != Action::Delete => {
                    let sends = change.action == Action::Create
                        || change.action.is_replace()
                        || change
                            .changed
                            .iter()
                            .any(|name| name == "configuration_values" || name == "addon_version");
                    if sends {
                        needs.want_schema(after);
                    }
                }
                _ => {}
            }
        }
        if !plan
            .changes
            .iter()
            .any(|change| change.id.kind() == Kind::EksAddon)
        {
            needs.kubernetes = None;
        }
        needs
    }

    /// The same, known before the refresh: add-ons not recorded with these values.
    pub fn expected(
        desired: &DesiredSet,
        recorded: &dyn Fn(&Resource) -> Option<Attrs>,
    ) -> AddonNeeds {
        let mut needs = AddonNeeds::default();
        let addons: Vec<&Resource> = desired
            .resources
            .values()
            .filter(|resource| resource.kind() == Kind::EksAddon)
            .collect();
        if addons.is_empty() {
            return needs;
        }
        needs.kubernetes = desired
            .resources
            .values()
            .find(|resource| resource.kind() == Kind::EksCluster)
            .and_then(|cluster| text(&cluster.attrs, "version"));
        for addon in addons {
            let record = recorded(addon);
            let differs = |name: &str| {
                record
                    .as_ref()
                    .is_none_or(|record| record.get(name) != addon.attrs.get(name))
            };
            // Unpinned, the add-on keeps the version it runs: only a pin can change it.
            let pin_differs = addon.attrs.contains_key("addon_version") && differs("addon_version");
            if differs("configuration_values") || pin_differs {
                needs.want_schema(&addon.attrs);
            }
        }
        needs
    }

    fn want_schema(&mut self, attrs: &Attrs) {
        if let (Some(name), Some(_)) = (
            text(attrs, "addon_name"),
            text(attrs, "configuration_values").filter(|values| !values.is_empty()),
        ) {
            self.schemas.insert((name, text(attrs, "addon_version")));
        }
    }
}

/// EKS's answers: its add-on catalog for the Kubernetes version, and schemas by add-on.
#[derive(Debug, Clone, Default)]
pub struct AddonReads {
    pub catalog: BTreeMap<String, Vec<OfferedAddonVersion>>,
    /// Add-on → (the version the schema is of, the schema if EKS publishes one).
    pub schemas: BTreeMap<String, (String, Option<String>)>,
}

/// The catalog, then (the one read that waits on another) each schema of the version that
/// will be installed: the pin, else EKS's default.
pub async fn read(aws: &Aws, needs: &AddonNeeds) -> Result<AddonReads, AwsError> {
    let Some(kubernetes) = &needs.kubernetes else {
        return Ok(AddonReads::default());
    };
    let catalog = addon_versions(aws, kubernetes).await?;
    let wanted: Vec<(String, String)> = needs
        .schemas
        .iter()
        .filter_map(|(name, pin)| {
            let version = pin.clone().or_else(|| default_version(&catalog, name))?;
            // A pin EKS does not offer is reported by the check; its schema cannot be read.
            offered(&catalog, name, &version).then(|| (name.clone(), version))
        })
        .collect();
    let schemas = futures::future::try_join_all(
        wanted
            .iter()
            .map(|(name, version)| addon_configuration_schema(aws, name, version)),
    )
    .await?;
    Ok(AddonReads {
        catalog,
        schemas: wanted
            .into_iter()
            .zip(schemas)
            .map(|((name, version), schema)| (name, (version, schema)))
            .collect(),
    })
}

fn default_version(
    catalog: &BTreeMap<String, Vec<OfferedAddonVersion>>,
    name: &str,
) -> Option<String> {
    catalog
        .get(name)?
        .iter()
        .find(|version| version.default)
        .map(|version| version.version.clone())
}

fn offered(
    catalog: &BTreeMap<String, Vec<OfferedAddonVersion>>,
    name: &str,
    version: &str,
) -> bool {
    catalog
        .get(name)
        .is_some_and(|versions| versions.iter().any(|offered| offered.version == version))
}

/// The checks and notes, on the answers: no calls.
pub fn check(
    desired: &DesiredSet,
    plan: &Plan,
    needs: &AddonNeeds,
    reads: &AddonReads,
    result: &mut Preflight,
) {
    let Some(kubernetes) = &needs.kubernetes else {
        return;
    };
    let mut sent_versions = AddonNeeds::default();
    for change in &plan.changes {
        if change.id.kind() == Kind::EksAddon
            && (change.action == Action::Create
                || change.action.is_replace()
                || change.changed.iter().any(|name| name == "addon_version"))
        {
            if let Some(name) = change
                .after
                .as_ref()
                .and_then(|after| text(after, "addon_name"))
            {
                sent_versions.schemas.insert((name, None));
            }
        }
    }
    for change in plan.changes.iter().filter(|change| {
        change.id.kind() == Kind::EksAddon
            && change.action == Action::Update
            && change
                .changed
                .iter()
                .any(|name| name == "service_account_role_arn")
            && change
                .after
                .as_ref()
                .and_then(|after| text(after, "service_account_role_arn"))
                .is_none_or(|role| role.is_empty())
    }) {
        result.notes.push(format!(
            "{}: EKS cannot take an add-on's role away in place, so the add-on is released with its software kept running (DeleteAddon preserve) and created again as wanted.",
            change.id
        ));
    }
    for addon in desired
        .resources
        .values()
        .filter(|resource| resource.kind() == Kind::EksAddon)
    {
        let Some(name) = text(&addon.attrs, "addon_name") else {
            continue;
        };
        let pin = text(&addon.attrs, "addon_version");
        let versions = reads.catalog.get(&name);
        let sent = sent_versions.schemas.contains(&(name.clone(), None));
        match (versions, &pin) {
            (None, _) if sent => result.failures.push(PreflightFailure {
                key: "addons.managed".to_string(),
                message: format!("EKS offers no {name} add-on for Kubernetes {kubernetes}"),
                help: format!(
                    "remove \"{name}\" from addons.managed, or choose a Kubernetes version EKS offers it for (aws eks describe-addon-versions --addon-name {name})"
                ),
            }),
            (Some(versions), Some(pin)) if sent && !versions.iter().any(|v| &v.version == pin) => {
                result.failures.push(PreflightFailure {
                    key: format!("addons.versions.{name}"),
                    message: format!(
                        "EKS does not offer {name} {pin} for Kubernetes {kubernetes}"
                    ),
                    help: format!(
                        "use one of {} (the default is {}), or remove the pin",
                        versions
                            .iter()
                            .take(5)
                            .map(|v| v.version.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        default_version(&reads.catalog, &name).unwrap_or_else(|| "none".into())
                    ),
                });
            }
            _ => {}
        }
        if let Some(versions) = versions {
            note_versions(
                plan,
                addon,
                &name,
                kubernetes,
                versions,
                pin.as_deref(),
                result,
            );
        }
        if let Some((version, Some(schema))) = reads.schemas.get(&name) {
            let values = text(&addon.attrs, "configuration_values").unwrap_or_default();
            for problem in schema_problems(schema, &values) {
                result.failures.push(PreflightFailure {
                    key: configuration_key(&name, &problem.path),
                    message: format!(
                        "{name} {version} refuses its configuration values: {}",
                        problem.message
                    ),
                    help: format!(
                        "change addons.configuration.{name} to what the schema allows (aws eks describe-addon-configuration --addon-name {name} --addon-version {version})"
                    ),
                });
            }
        }
    }
}

/// What an unpinned add-on gets, and newer versions than the one installed or pinned.
fn note_versions(
    plan: &Plan,
    addon: &Resource,
    name: &str,
    kubernetes: &str,
    versions: &[OfferedAddonVersion],
    pin: Option<&str>,
    result: &mut Preflight,
) {
    let default = versions
        .iter()
        .find(|v| v.default)
        .map(|v| v.version.as_str());
    let newest = versions
        .iter()
        .map(|v| v.version.as_str())
        .max_by_key(|version| version_numbers(version));
    let installed = plan
        .changes
        .iter()
        .find(|change| change.id == addon.id)
        .and_then(|change| change.before.as_ref())
        .and_then(|before| text(before, "addon_version"));
    let current = pin.map(str::to_string).or(installed.clone());
    match (&current, default) {
        (None, Some(default)) => result.notes.push(format!(
            "{}: EKS installs {default}, its default for Kubernetes {kubernetes}.",
            addon.id
        )),
        (Some(current), _) => {
            if let Some(newest) =
                newest.filter(|newest| version_numbers(newest) > version_numbers(current))
            {
                result.notes.push(format!(
                    "{} runs {current}; {newest} is the newest for Kubernetes {kubernetes} (default {}): pin it in addons.versions.{name} to move.",
                    addon.id,
                    default.unwrap_or("none"),
                ));
            }
        }
        _ => {}
    }
}

/// The blueprint key a configuration problem is about: the CNI's network policy switch has
/// its own key.
fn configuration_key(name: &str, path: &str) -> String {
    if name == crate::blueprint::addons::VPC_CNI && path.starts_with("/enableNetworkPolicy") {
        "addons.vpc_cni.network_policy".to_string()
    } else {
        format!("addons.configuration.{name}")
    }
}

struct SchemaProblem {
    /// JSON pointer into the values (`/replicaCount`).
    path: String,
    message: String,
}

/// What `schema` (JSON Schema) finds wrong with `values` (JSON text; empty is `{}`).
fn schema_problems(schema: &str, values: &str) -> Vec<SchemaProblem> {
    let values: serde_json::Value = if values.is_empty() {
        serde_json::json!({})
    } else {
        match serde_json::from_str(values) {
            Ok(values) => values,
            Err(error) => {
                return vec![SchemaProblem {
                    path: String::new(),
                    message: format!("not JSON: {}", JsonErrorAt::of(values.as_bytes(), &error)),
                }]
            }
        }
    };
    let schema: serde_json::Value = match serde_json::from_str(schema) {
        Ok(schema) => schema,
        // EKS's own schema does not parse: nothing to check against.
        Err(_) => return Vec::new(),
    };
    let Ok(validator) = jsonschema::validator_for(&schema) else {
        return Vec::new();
    };
    validator
        .iter_errors(&values)
        .map(|error| {
            let path = error.instance_path().to_string();
            SchemaProblem {
                message: if path.is_empty() {
                    error.to_string()
                } else {
                    format!("{path}: {error}")
                },
                path,
            }
        })
        .collect()
}

fn text(attrs: &Attrs, name: &str) -> Option<String> {
    attrs.get(name).and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{"type":"object","additionalProperties":false,"properties":{"replicaCount":{"type":"integer"},"enableNetworkPolicy":{"type":"string"}}}"#;

    fn addon(name: &str, pin: Option<&str>) -> Resource {
        let mut attrs = Attrs::from([
            ("addon_name".to_string(), Value::str(name)),
            (
                "configuration_values".to_string(),
                Value::str(r#"{"enableNetworkPolicy":"true"}"#),
            ),
        ]);
        if let Some(pin) = pin {
            attrs.insert("addon_version".to_string(), Value::str(pin));
        }
        Resource {
            id: crate::resources::ResourceId::new(Kind::EksAddon, name),
            attrs,
            depends_on: BTreeSet::new(),
            managed_elsewhere: BTreeSet::new(),
        }
    }

    #[test]
    fn an_unpinned_add_on_recorded_as_desired_needs_no_schema_read() {
        let mut desired = DesiredSet::default();
        desired.insert(addon("vpc-cni", None));
        let recorded = |resource: &Resource| {
            let mut attrs = resource.attrs.clone();
            attrs.insert(
                "addon_version".to_string(),
                Value::str("v1.19.0-eksbuild.1"),
            );
            Some(attrs)
        };
        assert!(AddonNeeds::expected(&desired, &recorded).schemas.is_empty());
        // A pin that moves, or values that change, are sent: their schema is read.
        let mut pinned = DesiredSet::default();
        pinned.insert(addon("vpc-cni", Some("v1.20.0-eksbuild.1")));
        assert_eq!(AddonNeeds::expected(&pinned, &recorded).schemas.len(), 1);
        let changed = |resource: &Resource| {
            let mut attrs = resource.attrs.clone();
            attrs.insert("configuration_values".to_string(), Value::str("{}"));
            Some(attrs)
        };
        assert_eq!(AddonNeeds::expected(&desired, &changed).schemas.len(), 1);
    }

    #[test]
    fn values_outside_the_schema_are_named_by_their_path() {
        assert!(schema_problems(SCHEMA, r#"{"replicaCount":3}"#).is_empty());
        assert!(schema_problems(SCHEMA, "").is_empty());
        let problems = schema_problems(SCHEMA, r#"{"replicaCount":"three"}"#);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "/replicaCount");
        let problems = schema_problems(SCHEMA, r#"{"replicas":3}"#);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("replicas"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn the_network_policy_switch_has_its_own_key() {
        assert_eq!(
            configuration_key("vpc-cni", "/enableNetworkPolicy"),
            "addons.vpc_cni.network_policy"
        );
        assert_eq!(
            configuration_key("vpc-cni", "/env"),
            "addons.configuration.vpc-cni"
        );
        assert_eq!(
            configuration_key("coredns", ""),
            "addons.configuration.coredns"
        );
    }
}
#[cfg(test)]
mod draft7 {
    #[test]
    fn draft7_schema() {
        let schema = r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": false, "properties": {"replicaCount": {"type": "integer"}}}"#;
        let problems = super::schema_problems(schema, r#"{"replicas":3}"#);
        assert_eq!(problems.len(), 1);
    }
}
