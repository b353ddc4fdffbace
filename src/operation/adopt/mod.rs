//! `adopt`: brings a cluster another tool made (eksctl, Terraform, the console) under
//! management. It reads the cluster and what surrounds it with read-only calls, writes the
//! blueprint that describes it with the blueprint's keys (one module per section), and records
//! every resource that blueprint makes in state under the lock, read as the next plan reads it.
//! Nothing in AWS is changed. What the blueprint cannot express is listed in a report beside
//! it and left alone. With `harden`, the blueprint keeps what defines the cluster and takes
//! the hardened defaults for the rest, so the first plan is the hardening.
//!
//! Names AWS cannot change (a role's, a node group's, a security group's description) and the
//! tags the other tool chose are kept under `[adopted."<id>"]`, found by comparing what the
//! refresh read with what eksforge would derive.

mod cluster;
mod draft;
mod harden;
mod identity;
mod network;
mod nodes;
mod observed;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::aws::{observe, Aws};
use crate::blueprint::{self, LoadedBlueprint};
use crate::graph::ResourceGraph;
use crate::plan::{self, DiffOptions, Plan, Refreshed};
use crate::resources::{DesiredSet, Kind, ResourceId, Value};
use crate::state::{Backend, LockInfo, RegionFacts, ResourceRecord, State, StateWriter};

pub use draft::AdoptReport;
use draft::{Draft, Known};

use super::placement::{desired, placement_from, region_facts};
use super::OperationError;

/// What `adopt` read and will write, before anything is written.
pub struct AdoptDraft {
    pub cluster: String,
    pub harden: bool,
    /// The blueprint's text.
    pub text: String,
    pub loaded: LoadedBlueprint,
    pub report: AdoptReport,
    desired: DesiredSet,
    graph: ResourceGraph,
    records: BTreeMap<ResourceId, ResourceRecord>,
}

impl AdoptDraft {
    /// How many resources state will record.
    pub fn recorded(&self) -> usize {
        self.records.len()
    }

    /// The blueprint's file in `out`: `<cluster>.toml`.
    pub fn blueprint_path(&self, out: &Path) -> PathBuf {
        out.join(format!("{}.toml", self.cluster))
    }

    /// The report's file in `out`: `<cluster>.adopt.md`.
    pub fn report_path(&self, out: &Path) -> PathBuf {
        out.join(format!("{}.adopt.md", self.cluster))
    }
}

/// What `adopt` wrote, and what the first plan of the blueprint does.
pub struct Adoption {
    pub blueprint: PathBuf,
    pub report_file: PathBuf,
    pub recorded: usize,
    pub plan: Plan,
    pub report: AdoptReport,
}

/// Reads cluster `name` and drafts its blueprint and state. Read-only.
pub async fn adopt_draft(
    aws: &Aws,
    name: &str,
    harden: bool,
) -> Result<AdoptDraft, OperationError> {
    // The region's zones and account go out with the first read: both expansions use them.
    let (observed, facts) = futures::join!(observe::cluster(aws, name), region_facts(aws));
    let (observed, facts) = (observed.map_err(OperationError::AdoptRead)?, facts?);
    let vpc_id = observed
        .vpc_id
        .clone()
        .ok_or_else(|| OperationError::AdoptNoVpc {
            cluster: name.to_string(),
        })?;
    let mut group_ids: Vec<String> = observed.security_groups.cluster_group_ids.clone();
    group_ids.extend(observed.security_groups.node_group_ids.iter().cloned());
    let (inventory, pod_identities) = futures::join!(
        observe::vpc_inventory(aws, &vpc_id, &group_ids),
        observe::pod_identities(aws, name)
    );
    let inventory = inventory?;

    let cluster_name = observed
        .cluster
        .name
        .clone()
        .unwrap_or_else(|| name.to_string());
    let mut draft = Draft::default();
    let meta = draft.section("blueprint");
    meta.insert("name".into(), toml::Value::String(cluster_name.clone()));
    meta.insert("region".into(), toml::Value::String(aws.region.clone()));
    let mut used_subnets: BTreeSet<String> =
        observed.cluster.subnet_ids().iter().cloned().collect();
    for group in observed.node_groups.iter().flatten().flatten() {
        used_subnets.extend(group.subnets.iter().cloned());
    }
    network::add_network(&mut draft, &inventory, &used_subnets);
    cluster::add_cluster(&mut draft, &observed);
    nodes::add_node_groups(&mut draft, &observed);
    identity::add_identity(&mut draft, &observed);
    identity::add_detection(&mut draft, &observed);
    match &pod_identities {
        Ok(associations) => identity::add_pod_identities(&mut draft, associations),
        Err(error) => draft.report.left_alone.push(format!(
            "Pod Identity associations: not read ({error}); add [[pod_identity]] entries by hand"
        )),
    }

    // First reading: expand what is known so far and read every resource as the plan does.
    let (_, desired, _) = expand(aws, &facts, &draft, &cluster_name)?;
    know_rules(&mut draft, &desired, &inventory);
    let refreshed = plan::refresh(aws, &desired, &pre_state(&draft, &desired)).await?;
    observed::fill_in(&mut draft, &desired, &refreshed);
    if harden {
        harden::harden(&mut draft);
    }

    // Second reading, of the final blueprint: what state records is what the next plan reads.
    let (loaded, desired, graph) = expand(aws, &facts, &draft, &cluster_name)?;
    let refreshed = plan::refresh(aws, &desired, &pre_state(&draft, &desired)).await?;
    let records = records(&desired, &refreshed);
    // With --harden, what is missing is the hardening itself: the plan lists it.
    for id in desired
        .resources
        .keys()
        .filter(|id| !harden && !records.contains_key(*id))
    {
        draft
            .report
            .differs
            .push(format!("{id}: not found; the first plan creates it"));
    }
    Ok(AdoptDraft {
        cluster: cluster_name,
        harden,
        text: render(&draft, name, &aws.region, harden)?,
        loaded,
        report: draft.report,
        desired,
        graph,
        records,
    })
}

/// Writes the blueprint and the report into `out`, records the state under its lock (refused
/// when the state already records resources, or the blueprint file exists), and plans.
pub async fn adopt_record(
    aws: &Aws,
    draft: AdoptDraft,
    backend: &Arc<dyn Backend>,
    out: &Path,
) -> Result<Adoption, OperationError> {
    let blueprint_path = draft.blueprint_path(out);
    let report_file = draft.report_path(out);
    if blueprint_path.exists() {
        return Err(OperationError::AdoptFileExists {
            path: blueprint_path,
        });
    }
    let lock = backend
        .lock(LockInfo::new("adopt", &backend.describe()))
        .await?;
    let state = crate::state::load(backend.as_ref(), &draft.cluster).await?;
    if !state.resources.is_empty() {
        return Err(OperationError::AdoptStateNotEmpty {
            count: state.resources.len(),
            backend: backend.describe(),
        });
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OperationError::AdoptWrite { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    std::fs::write(&blueprint_path, &draft.text).map_err(io(&blueprint_path))?;
    let mut writer = StateWriter::new(state, backend.clone());
    let recorded = draft.records.len();
    writer
        .record_many(
            draft
                .records
                .into_iter()
                .map(|(id, record)| (id, Some(record))),
        )
        .await?;
    let state = writer.state().clone();
    drop(lock);

    let plan = plan::plan(
        aws,
        &draft.desired,
        &draft.graph,
        &state,
        &DiffOptions::default(),
    )
    .await?;
    let text = report_text(&draft.cluster, draft.harden, recorded, &plan, &draft.report);
    std::fs::write(&report_file, text).map_err(io(&report_file))?;
    Ok(Adoption {
        blueprint: blueprint_path,
        report_file,
        recorded,
        plan,
        report: draft.report,
    })
}

/// The draft as a loaded blueprint and its desired resources, expanded on the region.
fn expand(
    aws: &Aws,
    facts: &RegionFacts,
    draft: &Draft,
    name: &str,
) -> Result<(LoadedBlueprint, DesiredSet, ResourceGraph), OperationError> {
    let text = render(draft, name, &aws.region, false)?;
    let loaded = blueprint::load_str(&format!("{name}.toml"), &text, &[]).map_err(|error| {
        OperationError::AdoptDraftInvalid {
            cluster: name.to_string(),
            problems: format!("{:?}", miette::Report::new(error)),
        }
    })?;
    let placement = placement_from(facts, &loaded)?;
    let (desired, graph) = desired(&loaded, &placement)?;
    Ok((loaded, desired, graph))
}

fn render(draft: &Draft, name: &str, region: &str, harden: bool) -> Result<String, OperationError> {
    let how = if harden { " --harden" } else { "" };
    let header = format!(
        "Written by `eksforge adopt --cluster {name} --region {region}{how}`.\n\
         It describes the cluster as it was read; see {name}.adopt.md for what it leaves out.\n\
         [adopted] keeps the names, descriptions and tags the tool that made each resource chose."
    );
    draft
        .render(&header)
        .map_err(|error| OperationError::AdoptDraftInvalid {
            cluster: name.to_string(),
            problems: error.to_string(),
        })
}

/// A state recording what is known of each resource, so the refresh reads it by its cloud id
/// (it carries no `eksforge:*` tag to be found by).
fn pre_state(draft: &Draft, desired: &DesiredSet) -> State {
    let mut state = State::new(&desired.blueprint);
    let lookup = |reference: &crate::resources::Ref| draft.output(reference);
    for (id, known) in &draft.known {
        let Some(resource) = desired.get(id) else {
            continue;
        };
        let attrs = resource
            .attrs
            .iter()
            .map(|(name, value)| (name.clone(), value.resolve_known(&lookup)))
            .collect();
        state.insert(
            id.clone(),
            ResourceRecord {
                kind: id.kind(),
                cloud_id: known.cloud_id.clone(),
                attrs,
                outputs: known.outputs.clone(),
                depends_on: BTreeSet::new(),
            },
        );
    }
    state
}

/// The security-group rules the blueprint makes, matched to the groups' ingress rules by
/// group, protocol, ports and source.
fn know_rules(draft: &mut Draft, desired: &DesiredSet, inventory: &observe::VpcInventory) {
    let id_of = |value: Option<&Value>| -> Option<String> {
        let value = value?.resolve_known(&|reference| draft.output(reference));
        value.as_str().map(str::to_string)
    };
    let mut matched = Vec::new();
    for resource in desired
        .resources
        .values()
        .filter(|resource| resource.kind() == Kind::SecurityGroupRule)
    {
        let attrs = &resource.attrs;
        let group = id_of(attrs.get("security_group_id"));
        let source = id_of(attrs.get("source_security_group_id"));
        let cidr = attrs.get("cidr_ipv4").and_then(Value::as_str);
        let protocol = attrs
            .get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("-1");
        let port = |name: &str| match attrs.get(name) {
            Some(Value::Int(port)) => i32::try_from(*port).ok(),
            _ => None,
        };
        let found = inventory.security_group_rules.iter().find(|rule| {
            Some(&rule.group_id) == group.as_ref()
                && rule.protocol == protocol
                && (protocol == "-1"
                    || (rule.from_port == port("from_port") && rule.to_port == port("to_port")))
                && rule.source_group_id == source
                && rule.cidr.as_deref() == cidr
        });
        if let Some(rule) = found {
            matched.push((resource.id.to_string(), rule.id.clone()));
        }
    }
    for rule in &inventory.security_group_rules {
        if !matched.iter().any(|(_, id)| id == &rule.id) {
            let source = rule
                .source_group_id
                .as_deref()
                .or(rule.cidr.as_deref())
                .unwrap_or("another source");
            draft.report.left_alone.push(format!(
                "security group rule {} on {} ({} {}–{} from {source}): not one eksforge makes; it stays",
                rule.id,
                rule.group_id,
                rule.protocol,
                rule.from_port.unwrap_or(-1),
                rule.to_port.unwrap_or(-1)
            ));
        }
    }
    for (id, rule) in matched {
        draft.know(&id, Known::ec2(&rule));
    }
}

/// What state records: each desired resource the refresh found, as it read it.
fn records(desired: &DesiredSet, refreshed: &Refreshed) -> BTreeMap<ResourceId, ResourceRecord> {
    refreshed
        .found
        .iter()
        .filter_map(|(id, found)| {
            let resource = desired.get(id)?;
            Some((
                id.clone(),
                ResourceRecord {
                    kind: id.kind(),
                    cloud_id: found.observed.cloud_id.clone(),
                    attrs: found.observed.attrs.clone(),
                    outputs: found.observed.outputs.clone(),
                    depends_on: resource.dependencies(),
                },
            ))
        })
        .collect()
}

/// The report beside the blueprint, in Markdown.
fn report_text(
    cluster: &str,
    harden: bool,
    recorded: usize,
    plan: &Plan,
    report: &AdoptReport,
) -> String {
    let mut text = format!("# Adopting `{cluster}`\n\n");
    text.push_str(&format!(
        "`eksforge adopt` recorded {recorded} resources in state; nothing in AWS was changed.\n\n"
    ));
    let changes: Vec<String> = plan
        .changes
        .iter()
        .filter(|change| change.action != plan::Action::NoOp)
        .map(|change| format!("- `{}`: {:?}", change.id, change.action))
        .collect();
    text.push_str("## The first plan\n\n");
    if changes.is_empty() {
        text.push_str("No changes: the blueprint describes the cluster as it is.\n\n");
    } else {
        let why = if harden {
            "the hardening, to review before `eksforge apply`"
        } else {
            "what the blueprint cannot express exactly (below)"
        };
        text.push_str(&format!("{} changes, {why}:\n\n", changes.len()));
        text.push_str(&changes.join("\n"));
        text.push_str("\n\n");
    }
    for (title, items) in [
        ("Expressed, but not exactly", &report.differs),
        (
            "Left alone (not in the blueprint, not in state)",
            &report.left_alone,
        ),
        ("To do by hand", &report.to_do),
    ] {
        if items.is_empty() {
            continue;
        }
        text.push_str(&format!("## {title}\n\n"));
        for item in items {
            text.push_str(&format!("- {item}\n"));
        }
        text.push('\n');
    }
    text
}
