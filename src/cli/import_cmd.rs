//! `eksforge import BLUEPRINT ID CLOUD_ID`: brings an existing resource under management.
//!
//! The resource is read through its kind's refresh, as if state already recorded it, so what
//! is recorded is exactly what the next plan compares with the blueprint; nothing in AWS is
//! changed. Under the state lock from the check to the write.

use std::path::Path;

use miette::{miette, Result};

use super::errors;
use super::session::{desired, placement, Settings};
use super::ExitStatus;
use crate::aws::{provider, read_call, Scope};
use crate::plan::{self, DiffOptions, Plan};
use crate::resources::{Attrs, Ref, ResourceId};
use crate::state::{ResourceRecord, StateWriter};
use crate::ui;

pub async fn run(settings: &Settings, path: &Path, id: &str, cloud_id: &str) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    let placement = placement(&aws, &loaded).await?;
    let (desired, graph) = desired(&loaded, &placement)?;
    let resource = ResourceId::parse(id)
        .and_then(|id| desired.get(&id))
        .ok_or_else(|| {
            miette!(
                code = "eksforge::import::unknown_id",
                help = "import only resources the blueprint declares; `eksforge plan` (or `eksforge graph`) lists their ids",
                "`{id}` is not a resource of blueprint {}",
                loaded.path().display()
            )
        })?;
    let id = resource.id.clone();
    let lock = settings.lock(&backend, "import").await?;
    let state = settings.read_state(&backend, &loaded).await?;
    if let Some(record) = state.resources.get(&id) {
        return Err(miette!(
            code = "eksforge::import::already_managed",
            help = format!(
                "`eksforge state rm {id} {}` first if it should track another resource",
                path.display()
            ),
            "{id} is already in state (as {})",
            record.cloud_id
        ));
    }
    if let Some((other, _)) = state
        .resources
        .iter()
        .find(|(other, record)| other.kind() == id.kind() && record.cloud_id == cloud_id)
    {
        return Err(miette!(
            code = "eksforge::import::already_managed",
            help = "one cloud resource is tracked under one id only",
            "{cloud_id} is already in state as {other}"
        ));
    }

    // Read it as a refresh would read a recorded resource: the desired attributes (references
    // filled in from state where known) tell kinds found by a natural key what to ask for.
    let from_state = |reference: &Ref| {
        state
            .resources
            .get(&reference.resource)?
            .outputs
            .get(&reference.output)
            .cloned()
    };
    let known: Attrs = resource
        .attrs
        .iter()
        .map(|(name, value)| (name.clone(), value.resolve_known(&from_state)))
        .collect();
    let scope = Scope {
        blueprint: desired.blueprint.clone(),
        recorded: [(id.clone(), (cloud_id.to_string(), known))]
            .into_iter()
            .collect(),
        missing: Default::default(),
    };
    let found = provider(id.kind())
        .refresh(&aws, &scope)
        .await
        .map_err(errors::aws)?
        .into_iter()
        .find(|found| found.id == id && found.observed.cloud_id == cloud_id)
        .ok_or_else(|| {
            miette!(
                code = "eksforge::import::not_found",
                help = format!(
                    "check the id and the region ({}); a {} is imported by the id AWS gave it",
                    aws.region,
                    id.kind()
                ),
                "{id}: {} found no {cloud_id}",
                read_call(id.kind())
            )
        })?;

    let mut writer = StateWriter::new(state, backend.clone());
    writer
        .record(
            id.clone(),
            Some(ResourceRecord {
                kind: id.kind(),
                cloud_id: found.observed.cloud_id.clone(),
                attrs: found.observed.attrs.clone(),
                outputs: found.observed.outputs.clone(),
                depends_on: resource.dependencies(),
            }),
        )
        .await
        .map_err(errors::state)?;
    let state = writer.state().clone();
    drop(lock);
    println!("Imported {id} ({cloud_id}) into state; nothing in AWS was changed.\n");

    // What the next plan does to it (read only, no lock needed).
    let plan = plan::plan(&aws, &desired, &graph, &state, &DiffOptions::default())
        .await
        .map_err(errors::aws)?;
    let only = Plan {
        changes: plan
            .changes
            .iter()
            .filter(|change| change.id == id)
            .cloned()
            .collect(),
        gone: Vec::new(),
        notes: Vec::new(),
        ..plan
    };
    println!("The next plan for {id}:\n");
    print!("{}", ui::render_plan(&only, settings.style));
    Ok(ExitStatus::Success)
}
