//! An upgrade as one ordered plan. When the refreshed cluster runs an older Kubernetes minor
//! version than the blueprint names, the plan walks every minor in between, in order: the
//! control plane (UpdateClusterVersion, one minor, as EKS allows), then every add-on to the
//! version EKS offers for that minor (its default, the blueprint's pin at the last step), then
//! every node group (UpdateNodegroupVersion, with the Bottlerocket release of that minor when the
//! public SSM parameter is readable; rolled in place, never replaced). `apply` runs the steps one
//! at a time before the rest of the plan (src/apply/upgrade.rs).
//!
//! The version attributes the steps move leave the resources' own changes, so the rest of the
//! plan is what the upgrade does not do. A downgrade, a pin EKS does not offer for the target,
//! or a node group pinned so far behind that EKS would stop the upgrade halfway, is refused
//! here, before any call that changes anything.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::aws::preflight::{
    addon_versions, upgrade_insights, OfferedAddonVersion, UpgradeInsight,
};
use crate::aws::{bottlerocket, typical_wait_secs, Aws, AwsError};
use crate::blueprint::addons::version_numbers;
use crate::blueprint::limits::INSIGHT_WAIVER_PREFIX;
use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::preflight::PreflightFailure;
use super::{Action, Change, Plan};

/// The ordered steps from the cluster's version to the blueprint's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpgradePlan {
    pub cluster: ResourceId,
    /// The version the cluster runs.
    pub from: String,
    /// The version the blueprint names.
    pub to: String,
    /// In the order they run.
    pub steps: Vec<UpgradeStep>,
    /// EKS's upgrade-readiness insights for the cluster (ListInsights), sorted by name.
    #[serde(default)]
    pub insights: Vec<InsightView>,
    /// Why the insights could not be read (the upgrade is then planned without them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insights_unread: Option<String>,
    /// The target's support dates from the calendar (src/blueprint/kubernetes_calendar.rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support: Option<SupportDates>,
}

/// One upgrade insight as the plan shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightView {
    pub name: String,
    /// `PASSING`, `WARNING`, `ERROR` or `UNKNOWN`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
    /// The reason of the blueprint's waiver (`check = "insight:<name>"`) that accepts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived: Option<String>,
}

/// The last days of standard and extended support of a Kubernetes version (YYYY-MM-DD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportDates {
    pub version: String,
    pub end_of_standard: String,
    pub end_of_extended: String,
}

impl SupportDates {
    /// The calendar's dates of `version`, if the calendar has it.
    pub fn of(version: &str) -> Option<SupportDates> {
        let release = crate::blueprint::kubernetes_calendar::find(version)?;
        Some(SupportDates {
            version: version.to_string(),
            end_of_standard: release.end_of_standard.to_string(),
            end_of_extended: release.end_of_extended.to_string(),
        })
    }
}

/// The status of an insight that refuses an upgrade unless waived.
pub const BLOCKING_INSIGHT: &str = "ERROR";

/// What a step moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    ControlPlane,
    Addon,
    NodeGroup,
}

/// One update, waited for before the next starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpgradeStep {
    /// The Kubernetes minor version this step belongs to (`1.33`).
    pub kubernetes: String,
    pub kind: StepKind,
    pub resource: ResourceId,
    /// What the API calls it: the cluster's, add-on's or node group's name.
    pub name: String,
    /// The attribute the step changes (`version`, `addon_version`).
    pub attribute: String,
    /// Its value before the step, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub to: String,
    /// Node groups: the Bottlerocket release sent along (`releaseVersion`), when readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// How long such an update typically waits, from the kind's typical wait.
    pub typical_secs: u32,
}

impl UpgradeStep {
    /// `control plane 1.33`, `add-on coredns v1.11.4-eksbuild.24 → v1.12.4-eksbuild.1`.
    pub fn title(&self) -> String {
        let from = self
            .from
            .as_deref()
            .map(|from| format!("{from} → "))
            .unwrap_or_default();
        let release = self
            .release
            .as_deref()
            .map(|release| format!(" (Bottlerocket {release})"))
            .unwrap_or_default();
        match self.kind {
            StepKind::ControlPlane => format!("control plane {from}{}", self.to),
            StepKind::Addon => format!("add-on {} {from}{}", self.name, self.to),
            StepKind::NodeGroup => {
                format!("node group {} {from}{}{release}", self.name, self.to)
            }
        }
    }
}

impl UpgradePlan {
    /// The steps' typical waits added up: they run one after another.
    pub fn estimate_secs(&self) -> u64 {
        self.steps
            .iter()
            .map(|step| u64::from(step.typical_secs))
            .sum()
    }
}

/// A Kubernetes version's minor number (`1.33` → 33); `None` for anything but `1.NN`.
pub fn minor_of(version: &str) -> Option<u32> {
    let (major, minor) = version.split_once('.')?;
    if major != "1" {
        return None;
    }
    minor.parse().ok()
}

/// An add-on as the upgrade sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonNow {
    pub id: ResourceId,
    pub name: String,
    /// The version it runs.
    pub current: Option<String>,
    /// The blueprint's pin (`addons.versions`), if any.
    pub pin: Option<String>,
}

/// A node group as the upgrade sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNow {
    pub id: ResourceId,
    pub name: String,
    pub current: u32,
    /// The version the blueprint wants it at (the cluster's unless pinned).
    pub wanted: u32,
    /// `x86_64` or `arm64`, as the Bottlerocket parameters name them.
    pub arch: String,
    /// The blueprint's `release_version`, if any.
    pub pinned_release: Option<String>,
}

/// What an upgrade needs to know before it can be planned: found in the plan, without a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeNeeds {
    pub cluster: ResourceId,
    pub cluster_name: String,
    pub from: String,
    pub to: String,
    pub addons: Vec<AddonNow>,
    pub groups: Vec<GroupNow>,
}

/// EKS's answers for every minor the upgrade passes through.
#[derive(Debug, Clone)]
pub struct UpgradeReads {
    /// Kubernetes version → add-on → the versions offered, newest first.
    pub catalogs: BTreeMap<String, BTreeMap<String, Vec<OfferedAddonVersion>>>,
    /// (Kubernetes version, architecture) → the current Bottlerocket release, when readable.
    pub releases: BTreeMap<(String, String), String>,
    /// The cluster's upgrade insights, or why they could not be read.
    pub insights: Result<Vec<UpgradeInsight>, String>,
}

impl Default for UpgradeReads {
    fn default() -> Self {
        UpgradeReads {
            catalogs: BTreeMap::new(),
            releases: BTreeMap::new(),
            insights: Ok(Vec::new()),
        }
    }
}

fn text<'a>(attrs: Option<&'a Attrs>, name: &str) -> Option<&'a str> {
    attrs?.get(name).and_then(Value::as_str)
}

/// Changes the upgrade leaves alone: created, replaced or deleted resources are not rolled.
fn in_place(change: &Change) -> bool {
    matches!(change.action, Action::NoOp | Action::Update) && change.before.is_some()
}

/// A plan that moves the cluster's version down, the way the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downgrade {
    pub from: String,
    pub to: String,
}

impl UpgradeNeeds {
    /// The upgrade `plan` asks for, if any: the cluster stays and its version goes up.
    /// `Err` for a downgrade, which EKS cannot do.
    pub fn of_plan(plan: &Plan) -> Result<Option<UpgradeNeeds>, Downgrade> {
        let Some(cluster) = plan.changes.iter().find(|change| {
            change.id.kind() == Kind::EksCluster
                && change.action == Action::Update
                && change.changed.iter().any(|name| name == "version")
        }) else {
            return Ok(None);
        };
        let (Some(from), Some(to)) = (
            text(cluster.before.as_ref(), "version"),
            text(cluster.after.as_ref(), "version"),
        ) else {
            return Ok(None);
        };
        let (Some(from_minor), Some(to_minor)) = (minor_of(from), minor_of(to)) else {
            return Ok(None);
        };
        if to_minor < from_minor {
            return Err(Downgrade {
                from: from.to_string(),
                to: to.to_string(),
            });
        }
        let addons = plan
            .changes
            .iter()
            .filter(|change| change.id.kind() == Kind::EksAddon && in_place(change))
            .filter_map(|change| {
                let name = text(change.before.as_ref(), "addon_name")
                    .or_else(|| text(change.after.as_ref(), "addon_name"))?;
                Some(AddonNow {
                    id: change.id.clone(),
                    name: name.to_string(),
                    current: text(change.before.as_ref(), "addon_version").map(str::to_string),
                    pin: text(change.after.as_ref(), "addon_version")
                        .filter(|pin| !pin.trim().is_empty())
                        .map(str::to_string),
                })
            })
            .collect();
        let groups = plan
            .changes
            .iter()
            .filter(|change| change.id.kind() == Kind::EksNodeGroup && in_place(change))
            .filter_map(|change| {
                let current = minor_of(text(change.before.as_ref(), "version")?)?;
                let wanted = text(change.after.as_ref(), "version")
                    .and_then(minor_of)
                    .unwrap_or(to_minor);
                let ami = text(change.after.as_ref(), "ami_type")
                    .or_else(|| text(change.before.as_ref(), "ami_type"))
                    .unwrap_or_default();
                Some(GroupNow {
                    id: change.id.clone(),
                    name: text(change.before.as_ref(), "name")
                        .map(str::to_string)
                        .or_else(|| change.cloud_id.clone())?,
                    current,
                    wanted,
                    arch: if ami.ends_with("ARM_64") {
                        "arm64"
                    } else {
                        "x86_64"
                    }
                    .to_string(),
                    pinned_release: text(change.after.as_ref(), "release_version")
                        .map(str::to_string),
                })
            })
            .collect();
        Ok(Some(UpgradeNeeds {
            cluster: cluster.id.clone(),
            cluster_name: text(cluster.before.as_ref(), "name")
                .map(str::to_string)
                .or_else(|| cluster.cloud_id.clone())
                .unwrap_or_default(),
            from: from.to_string(),
            to: to.to_string(),
            addons,
            groups,
        }))
    }

    /// Every minor the upgrade passes through, oldest first, the target last.
    pub fn minors(&self) -> Vec<String> {
        match (minor_of(&self.from), minor_of(&self.to)) {
            (Some(from), Some(to)) => (from + 1..=to).map(|minor| format!("1.{minor}")).collect(),
            _ => Vec::new(),
        }
    }
}

/// DescribeAddonVersions for every minor passed through (when the cluster has add-ons), and the
/// Bottlerocket release of every (minor, architecture) a node group steps to, all at once. A
/// release that cannot be read is left out: the node group then gets EKS's latest.
pub async fn read(
    aws: &Aws,
    bottlerocket_prefix: &str,
    needs: &UpgradeNeeds,
) -> Result<UpgradeReads, AwsError> {
    let minors = needs.minors();
    let catalogs = futures::future::try_join_all(
        minors
            .iter()
            .filter(|_| !needs.addons.is_empty())
            .map(|minor| async move {
                Ok::<_, AwsError>((minor.clone(), addon_versions(aws, minor).await?))
            }),
    );
    let wanted: BTreeSet<(String, String)> = needs
        .groups
        .iter()
        .flat_map(|group| {
            (group.current + 1..=group.wanted)
                .map(|minor| (format!("1.{minor}"), group.arch.clone()))
        })
        .collect();
    let releases = futures::future::join_all(wanted.into_iter().map(|(minor, arch)| async move {
        let release = bottlerocket::latest_release(aws, bottlerocket_prefix, &minor, &arch).await;
        ((minor, arch), release.ok().flatten())
    }));
    let insights = upgrade_insights(aws, &needs.cluster_name);
    let (catalogs, releases, insights) = futures::join!(catalogs, releases, insights);
    Ok(UpgradeReads {
        catalogs: catalogs?.into_iter().collect(),
        releases: releases
            .into_iter()
            .filter_map(|(key, release)| Some((key, release?)))
            .collect(),
        insights: insights.map_err(|error| error.to_string()),
    })
}

fn newer(a: &str, b: &str) -> bool {
    version_numbers(a) > version_numbers(b)
}

/// The version an add-on moves to at `minor`, `None` when it stays; `Err` when EKS offers
/// nothing it could run on there.
fn addon_target(
    addon: &AddonNow,
    current: Option<&str>,
    minor: &str,
    last: bool,
    offered: &[OfferedAddonVersion],
) -> Result<Option<String>, PreflightFailure> {
    let is_offered = |version: &str| offered.iter().any(|o| o.version == version);
    let default = offered
        .iter()
        .find(|o| o.default)
        .map(|o| o.version.as_str());
    let listed = || {
        offered
            .iter()
            .map(|o| o.version.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(pin) = &addon.pin {
        if is_offered(pin) {
            return Ok((current != Some(pin.as_str())).then(|| pin.clone()));
        }
        if last {
            return Err(PreflightFailure {
                key: format!("addons.versions.{}", addon.name),
                message: format!(
                    "{} {pin} is not offered for Kubernetes {minor}, the version this upgrade ends at (offered: {})",
                    addon.name,
                    listed()
                ),
                help: format!(
                    "pin one of the offered versions, or remove the pin to get EKS's default ({})",
                    default.unwrap_or("none")
                ),
            });
        }
    }
    let Some(default) = default.or_else(|| offered.first().map(|o| o.version.as_str())) else {
        return Err(PreflightFailure {
            key: "addons.managed".to_string(),
            message: format!(
                "EKS offers no version of {} for Kubernetes {minor}, a step of this upgrade",
                addon.name
            ),
            help: format!(
                "remove \"{}\" from addons.managed, or upgrade to a version EKS offers it for (aws eks describe-addon-versions --addon-name {})",
                addon.name, addon.name
            ),
        });
    };
    // Never backwards: a newer build that still runs on this minor stays.
    match current {
        Some(current) if is_offered(current) && !newer(default, current) => Ok(None),
        _ => Ok(Some(default.to_string())),
    }
}

/// The ordered steps from what runs to what the blueprint names; every problem found at once.
/// `waivers`: insight name → the reason of the blueprint's waiver in force that accepts it.
pub fn steps(
    needs: &UpgradeNeeds,
    reads: &UpgradeReads,
    waivers: &BTreeMap<String, String>,
) -> Result<UpgradePlan, Vec<PreflightFailure>> {
    let minors = needs.minors();
    let mut steps = Vec::new();
    let mut failures = Vec::new();
    let mut addon_versions: BTreeMap<&ResourceId, Option<String>> = needs
        .addons
        .iter()
        .map(|addon| (&addon.id, addon.current.clone()))
        .collect();
    let mut group_versions: BTreeMap<&ResourceId, u32> = needs
        .groups
        .iter()
        .map(|group| (&group.id, group.current))
        .collect();
    let mut control_plane = needs.from.clone();
    // First the node groups still behind the control plane (a run stopped before rolling
    // them): EKS moves the control plane only once its node groups run its version.
    let walk =
        std::iter::once((true, &needs.from)).chain(minors.iter().map(|minor| (false, minor)));
    for (index, (catching_up, minor)) in walk.enumerate() {
        let last = index == minors.len() && !catching_up;
        let Some(minor_number) = minor_of(minor) else {
            continue;
        };
        if !catching_up {
            steps.push(UpgradeStep {
                kubernetes: minor.clone(),
                kind: StepKind::ControlPlane,
                resource: needs.cluster.clone(),
                name: needs.cluster_name.clone(),
                attribute: "version".to_string(),
                from: Some(control_plane.clone()),
                to: minor.clone(),
                release: None,
                typical_secs: typical_wait_secs(Kind::EksCluster, false),
            });
            control_plane = minor.clone();
            let catalog = reads.catalogs.get(minor);
            for addon in &needs.addons {
                let offered = catalog
                    .and_then(|catalog| catalog.get(&addon.name))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let current = addon_versions.get(&addon.id).cloned().flatten();
                match addon_target(addon, current.as_deref(), minor, last, offered) {
                    Ok(Some(target)) => {
                        steps.push(UpgradeStep {
                            kubernetes: minor.clone(),
                            kind: StepKind::Addon,
                            resource: addon.id.clone(),
                            name: addon.name.clone(),
                            attribute: "addon_version".to_string(),
                            from: current,
                            to: target.clone(),
                            release: None,
                            typical_secs: typical_wait_secs(Kind::EksAddon, false),
                        });
                        addon_versions.insert(&addon.id, Some(target));
                    }
                    Ok(None) => {}
                    Err(failure) => failures.push(failure),
                }
            }
        }
        for group in &needs.groups {
            let previous = group_versions
                .get(&group.id)
                .copied()
                .unwrap_or(group.current);
            if previous >= minor_number || minor_number > group.wanted {
                continue;
            }
            let release = match &group.pinned_release {
                Some(pinned) if minor_number == group.wanted => Some(pinned.clone()),
                _ => reads
                    .releases
                    .get(&(minor.clone(), group.arch.clone()))
                    .cloned(),
            };
            steps.push(UpgradeStep {
                kubernetes: minor.clone(),
                kind: StepKind::NodeGroup,
                resource: group.id.clone(),
                name: group.name.clone(),
                attribute: "version".to_string(),
                from: Some(format!("1.{previous}")),
                to: minor.clone(),
                release,
                typical_secs: typical_wait_secs(Kind::EksNodeGroup, false),
            });
            group_versions.insert(&group.id, minor_number);
        }
    }
    let (insights, insights_unread) = match &reads.insights {
        Ok(read) => (
            read.iter()
                .map(|insight| InsightView {
                    name: insight.name.clone(),
                    status: insight.status.clone(),
                    kubernetes_version: insight.kubernetes_version.clone(),
                    reason: insight.reason.clone(),
                    recommendation: insight.recommendation.clone(),
                    waived: waivers.get(&insight.name).cloned(),
                })
                .collect::<Vec<_>>(),
            None,
        ),
        Err(why) => (Vec::new(), Some(why.clone())),
    };
    failures.extend(
        insights
            .iter()
            .filter(|insight| insight.status == BLOCKING_INSIGHT && insight.waived.is_none())
            .map(|insight| refusal_of(insight, &needs.to)),
    );
    if !failures.is_empty() {
        return Err(failures);
    }
    Ok(UpgradePlan {
        cluster: needs.cluster.clone(),
        from: needs.from.clone(),
        to: needs.to.clone(),
        steps,
        insights,
        insights_unread,
        support: SupportDates::of(&needs.to),
    })
}

/// Node groups pinned (`version`) so far below the target that the upgrade would stop halfway:
/// EKS moves the control plane (UpdateClusterVersion) only while every managed node group runs
/// its version, so each control plane step needs the node groups at its starting minor, and the
/// last one starts at the minor below the target. One minor behind the target at the end is
/// allowed (kubelets may trail the API server). `version_keys`: node group id → the blueprint
/// key of its `version`, for file:line.
pub fn skew_refusals(
    needs: &UpgradeNeeds,
    version_keys: &BTreeMap<String, String>,
) -> Vec<PreflightFailure> {
    let Some(to) = minor_of(&needs.to) else {
        return Vec::new();
    };
    if needs.minors().is_empty() {
        return Vec::new();
    }
    let lowest_allowed = to - 1;
    needs
        .groups
        .iter()
        .filter(|group| group.wanted < lowest_allowed)
        .map(|group| PreflightFailure {
            key: version_keys
                .get(group.id.as_str())
                .cloned()
                .unwrap_or_else(|| "cluster.version".to_string()),
            message: format!(
                "node group {} is pinned to Kubernetes 1.{}, but EKS updates the control plane only while every managed node group runs its version: the step to {} could not run",
                group.name,
                group.wanted,
                needs.to
            ),
            help: format!(
                "raise the node group's version to \"1.{lowest_allowed}\" or later, or remove it to follow cluster.version; or upgrade the cluster only to \"1.{}\"",
                group.wanted + 1
            ),
        })
        .collect()
}

/// An ERROR insight nobody waived: the upgrade waits until it is fixed or waived.
fn refusal_of(insight: &InsightView, to: &str) -> PreflightFailure {
    let reason = insight
        .reason
        .as_deref()
        .map(|reason| format!(": {reason}"))
        .unwrap_or_default();
    let recommendation = insight
        .recommendation
        .as_deref()
        .map(|text| format!("{text}; "))
        .unwrap_or_default();
    PreflightFailure {
        key: "cluster.version".to_string(),
        message: format!(
            "EKS upgrade insight \"{}\" is ERROR{reason}; upgrading to {to} is refused before any change",
            insight.name
        ),
        help: format!(
            "{recommendation}or accept it: [[waivers]] check = \"{}{}\" reason = \"<why the upgrade may go on>\"",
            INSIGHT_WAIVER_PREFIX, insight.name
        ),
    }
}

/// Hands the version attributes the steps move from the resources' own changes to the
/// upgrade: what is left of a change is what the upgrade does not do (a change left with
/// nothing becomes a no-op).
pub fn attach(plan: &mut Plan, upgrade: UpgradePlan) {
    let moved: BTreeSet<(&ResourceId, &str)> = upgrade
        .steps
        .iter()
        .map(|step| (&step.resource, step.attribute.as_str()))
        .collect();
    for change in &mut plan.changes {
        if change.action != Action::Update {
            continue;
        }
        let id = change.id.clone();
        change
            .changed
            .retain(|name| !moved.contains(&(&id, name.as_str())));
        change
            .drifted
            .retain(|name| !moved.contains(&(&id, name.as_str())));
        if change.changed.is_empty() {
            change.action = Action::NoOp;
        }
    }
    plan.upgrade = Some(upgrade);
}

/// The upgrade `plan` asks for, planned: `Ok(None)` when the version does not go up. Reads
/// only; the failures name the blueprint keys to change.
/// `version_keys`: node group id → the blueprint key of its `version` (see [`skew_refusals`]).
pub async fn plan_upgrade(
    aws: &Aws,
    bottlerocket_prefix: &str,
    waivers: &BTreeMap<String, String>,
    version_keys: &BTreeMap<String, String>,
    plan: &mut Plan,
) -> Result<Vec<PreflightFailure>, AwsError> {
    let needs = match UpgradeNeeds::of_plan(plan) {
        Ok(Some(needs)) => needs,
        Ok(None) => return Ok(Vec::new()),
        Err(Downgrade { from, to }) => {
            return Ok(vec![PreflightFailure {
                key: "cluster.version".to_string(),
                message: format!(
                    "the cluster runs Kubernetes {from} and EKS cannot downgrade a cluster to {to}"
                ),
                help: format!(
                    "set cluster.version = \"{from}\" (or newer); going back means a new cluster"
                ),
            }])
        }
    };
    let mut failures = skew_refusals(&needs, version_keys);
    let reads = read(aws, bottlerocket_prefix, &needs).await?;
    match steps(&needs, &reads, waivers) {
        Ok(upgrade) if failures.is_empty() => attach(plan, upgrade),
        Ok(_) => {}
        Err(more) => failures.extend(more),
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> ResourceId {
        ResourceId::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    fn offered(versions: &[(&str, bool)]) -> Vec<OfferedAddonVersion> {
        versions
            .iter()
            .map(|(version, default)| OfferedAddonVersion {
                version: version.to_string(),
                default: *default,
            })
            .collect()
    }

    fn needs(pin: Option<&str>) -> UpgradeNeeds {
        UpgradeNeeds {
            cluster: id("eks_cluster.main"),
            cluster_name: "prod".into(),
            from: "1.32".into(),
            to: "1.34".into(),
            addons: vec![AddonNow {
                id: id("eks_addon.kube-proxy"),
                name: "kube-proxy".into(),
                current: Some("v1.32.9-eksbuild.3".into()),
                pin: pin.map(str::to_string),
            }],
            groups: vec![GroupNow {
                id: id("eks_node_group.general"),
                name: "general-abc".into(),
                current: 32,
                wanted: 34,
                arch: "x86_64".into(),
                pinned_release: None,
            }],
        }
    }

    fn reads() -> UpgradeReads {
        let mut catalogs = BTreeMap::new();
        for minor in ["1.33", "1.34"] {
            let patch = if minor == "1.33" { "1.33.5" } else { "1.34.1" };
            catalogs.insert(
                minor.to_string(),
                BTreeMap::from([(
                    "kube-proxy".to_string(),
                    offered(&[
                        (&format!("v{patch}-eksbuild.3"), true),
                        (&format!("v{patch}-eksbuild.1"), false),
                    ]),
                )]),
            );
        }
        UpgradeReads {
            catalogs,
            releases: BTreeMap::from([(
                ("1.33".to_string(), "x86_64".to_string()),
                "1.50.0-aaaa".to_string(),
            )]),
            insights: Ok(Vec::new()),
        }
    }

    #[test]
    fn every_minor_in_order_control_plane_then_add_ons_then_node_groups() {
        let upgrade =
            steps(&needs(None), &reads(), &BTreeMap::new()).unwrap_or_else(|f| panic!("{f:?}"));
        let titles: Vec<String> = upgrade.steps.iter().map(UpgradeStep::title).collect();
        assert_eq!(
            titles,
            [
                "control plane 1.32 → 1.33",
                "add-on kube-proxy v1.32.9-eksbuild.3 → v1.33.5-eksbuild.3",
                "node group general-abc 1.32 → 1.33 (Bottlerocket 1.50.0-aaaa)",
                "control plane 1.33 → 1.34",
                "add-on kube-proxy v1.33.5-eksbuild.3 → v1.34.1-eksbuild.3",
                "node group general-abc 1.33 → 1.34",
            ]
        );
        assert_eq!(upgrade.estimate_secs(), 2 * (600 + 60 + 240));
    }

    #[test]
    fn a_pin_is_reached_at_the_last_step_and_a_pin_not_offered_there_is_refused() {
        let upgrade = steps(
            &needs(Some("v1.34.1-eksbuild.1")),
            &reads(),
            &BTreeMap::new(),
        )
        .unwrap_or_else(|f| panic!("{f:?}"));
        let last_addon = upgrade
            .steps
            .iter()
            .rfind(|step| step.kind == StepKind::Addon)
            .map(|step| step.to.clone());
        assert_eq!(last_addon.as_deref(), Some("v1.34.1-eksbuild.1"));

        let Err(failures) = steps(
            &needs(Some("v1.31.0-eksbuild.1")),
            &reads(),
            &BTreeMap::new(),
        ) else {
            panic!("a pin EKS does not offer for 1.34 was accepted");
        };
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].key, "addons.versions.kube-proxy");
        assert!(failures[0]
            .message
            .contains("not offered for Kubernetes 1.34"));
    }

    #[test]
    fn an_add_on_never_goes_backwards_and_a_pinned_node_group_stops_at_its_version() {
        let mut wanted = needs(None);
        wanted.addons = vec![AddonNow {
            id: id("eks_addon.vpc-cni"),
            name: "vpc-cni".into(),
            current: Some("v1.21.1-eksbuild.1".into()),
            pin: None,
        }];
        wanted.groups[0].wanted = 33;
        let mut catalogs = reads();
        for catalog in catalogs.catalogs.values_mut() {
            catalog.insert(
                "vpc-cni".into(),
                offered(&[("v1.21.1-eksbuild.1", false), ("v1.20.4-eksbuild.2", true)]),
            );
        }
        let upgrade =
            steps(&wanted, &catalogs, &BTreeMap::new()).unwrap_or_else(|f| panic!("{f:?}"));
        let kinds: Vec<(StepKind, &str)> = upgrade
            .steps
            .iter()
            .map(|step| (step.kind, step.kubernetes.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (StepKind::ControlPlane, "1.33"),
                (StepKind::NodeGroup, "1.33"),
                (StepKind::ControlPlane, "1.34"),
            ]
        );
    }

    #[test]
    fn an_error_insight_refuses_the_upgrade_unless_a_waiver_accepts_it() {
        let mut with_error = reads();
        with_error.insights = Ok(vec![UpgradeInsight {
            id: "i-1".into(),
            name: "Deprecated APIs in use".into(),
            status: "ERROR".into(),
            kubernetes_version: Some("1.33".into()),
            reason: Some("v1beta1 FlowSchema is used".into()),
            recommendation: Some("Move to v1".into()),
        }]);
        let Err(failures) = steps(&needs(None), &with_error, &BTreeMap::new()) else {
            panic!("an ERROR insight let the upgrade through");
        };
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].key, "cluster.version");
        assert!(failures[0]
            .message
            .contains("\"Deprecated APIs in use\" is ERROR"));
        assert!(failures[0]
            .help
            .contains("check = \"insight:Deprecated APIs in use\""));

        let waivers = BTreeMap::from([(
            "Deprecated APIs in use".to_string(),
            "the FlowSchema goes with the upgrade".to_string(),
        )]);
        let upgrade =
            steps(&needs(None), &with_error, &waivers).unwrap_or_else(|f| panic!("{f:?}"));
        assert_eq!(
            upgrade.insights[0].waived.as_deref(),
            Some("the FlowSchema goes with the upgrade")
        );
        assert_eq!(
            upgrade.support.map(|support| support.version),
            Some("1.34".to_string())
        );
    }

    #[test]
    fn a_node_group_behind_the_control_plane_catches_up_first() {
        let mut behind = needs(None);
        behind.from = "1.33".into();
        behind.addons.clear();
        let upgrade =
            steps(&behind, &reads(), &BTreeMap::new()).unwrap_or_else(|f| panic!("{f:?}"));
        let titles: Vec<String> = upgrade.steps.iter().map(UpgradeStep::title).collect();
        assert_eq!(
            titles,
            [
                "node group general-abc 1.32 → 1.33 (Bottlerocket 1.50.0-aaaa)",
                "control plane 1.33 → 1.34",
                "node group general-abc 1.33 → 1.34",
            ]
        );
    }

    #[test]
    fn a_node_group_pinned_two_minors_below_the_target_is_refused_at_its_version() {
        let keys = BTreeMap::from([(
            "eks_node_group.general".to_string(),
            "node_groups[0].version".to_string(),
        )]);
        let mut one_behind = needs(None);
        one_behind.groups[0].wanted = 33;
        assert_eq!(skew_refusals(&one_behind, &keys), vec![]);

        let mut two_behind = needs(None);
        two_behind.groups[0].wanted = 32;
        let failures = skew_refusals(&two_behind, &keys);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].key, "node_groups[0].version");
        assert!(
            failures[0]
                .message
                .contains("general-abc is pinned to Kubernetes 1.32"),
            "{}",
            failures[0].message
        );
        assert!(failures[0].help.contains("\"1.33\" or later"));
    }

    #[test]
    fn minors_are_read_as_1_nn_only() {
        assert_eq!(minor_of("1.34"), Some(34));
        assert_eq!(minor_of("2.1"), None);
        assert_eq!(minor_of("latest"), None);
    }
}
