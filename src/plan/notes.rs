//! Things a plan reports that are not changes: newer Bottlerocket releases for the node groups.

use std::collections::BTreeMap;

use crate::aws::{bottlerocket, Aws, AwsError};
use crate::resources::{DesiredSet, Kind, Value};

use super::Plan;

/// The current release per (Kubernetes version, architecture) the node groups use, with the
/// node groups that use it. Needs only the desired model, so it runs alongside the refresh.
pub struct Releases(Vec<Lookup>);

/// (Kubernetes version, architecture), the node groups using it, and the current release.
type Lookup = (
    (String, String),
    Vec<String>,
    Result<Option<String>, AwsError>,
);

pub async fn latest_bottlerocket(aws: &Aws, prefix: &str, desired: &DesiredSet) -> Releases {
    let mut wanted: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for group in desired
        .resources
        .values()
        .filter(|resource| resource.kind() == Kind::EksNodeGroup)
    {
        let text = |name: &str| {
            group
                .attrs
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let arch = if text("ami_type").ends_with("ARM_64") {
            "arm64"
        } else {
            "x86_64"
        };
        wanted
            .entry((text("version"), arch.to_string()))
            .or_default()
            .push(group.id.to_string());
    }
    let lookups = wanted
        .keys()
        .map(|(version, arch)| bottlerocket::latest_release(aws, prefix, version, arch));
    let results = futures::future::join_all(lookups).await;
    Releases(
        wanted
            .into_iter()
            .zip(results)
            .map(|((key, ids), result)| (key, ids, result))
            .collect(),
    )
}

/// Adds a note per node group whose Bottlerocket release is behind the current one; when the
/// current release cannot be read, one note says so and the plan goes on.
pub fn note_bottlerocket(plan: &mut Plan, prefix: &str, releases: Releases) {
    let mut unreadable = None;
    for ((version, arch), ids, result) in releases.0 {
        match result {
            Ok(Some(latest)) => {
                for id in ids {
                    let running = plan
                        .changes
                        .iter()
                        .find(|change| change.id.as_str() == id)
                        .and_then(|change| change.outputs.get("release_version"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    match running {
                        Some(running) if !latest.starts_with(running.split('-').next().unwrap_or(&running)) => plan.notes.push(format!(
                            "{id} runs Bottlerocket {running}; {latest} is current for Kubernetes {version} ({arch}): roll the node group to pick it up."
                        )),
                        None => plan.notes.push(format!("{id}: new nodes get Bottlerocket {latest}, current for Kubernetes {version} ({arch}).")),
                        _ => {}
                    }
                }
            }
            Ok(None) => unreadable = Some(format!("no Bottlerocket release published for Kubernetes {version} ({arch}) under {prefix}")),
            Err(error) => unreadable = Some(error.to_string()),
        }
    }
    if let Some(reason) = unreadable {
        plan.notes.push(format!(
            "Could not check for newer Bottlerocket releases ({reason}); going on without it."
        ));
    }
}
