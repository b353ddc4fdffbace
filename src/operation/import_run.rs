//! `import`: brings an existing resource under management. The resource is read through its
//! kind's refresh, as if state already recorded it, so what is recorded is exactly what the
//! next plan compares with the blueprint; nothing in AWS is changed. Under the state lock from
//! the check to the write.

use std::sync::Arc;

use crate::aws::{provider, read_call, Aws, Scope};
use crate::blueprint::LoadedBlueprint;
use crate::plan::{self, DiffOptions, Plan};
use crate::resources::{Attrs, Ref, ResourceId};
use crate::state::{Backend, LockInfo, ResourceRecord, StateWriter};

use super::placement::placed_desired;
use super::OperationError;

/// What was imported, and what the next plan does to it.
pub struct ImportRun {
    pub id: ResourceId,
    pub cloud_id: String,
    /// The next plan, reduced to the imported resource (planned after the import was
    /// recorded: its failure does not undo the import).
    pub next: Result<Plan, OperationError>,
}

pub async fn import(
    aws: &Aws,
    loaded: &LoadedBlueprint,
    backend: &Arc<dyn Backend>,
    id: &str,
    cloud_id: &str,
) -> Result<ImportRun, OperationError> {
    let (_, desired, graph) = placed_desired(aws, loaded).await?;
    let resource = ResourceId::parse(id)
        .and_then(|id| desired.get(&id))
        .ok_or_else(|| OperationError::ImportUnknownId {
            id: id.to_string(),
            blueprint: loaded.path().to_path_buf(),
        })?;
    let id = resource.id.clone();
    let lock = backend
        .lock(LockInfo::new("import", &backend.describe()))
        .await?;
    let state = crate::state::load(backend.as_ref(), &loaded.model.blueprint.name).await?;
    if let Some(record) = state.resources.get(&id) {
        return Err(OperationError::ImportIdManaged {
            id: id.to_string(),
            cloud_id: record.cloud_id.clone(),
            blueprint: loaded.path().to_path_buf(),
        });
    }
    if let Some((other, _)) = state
        .resources
        .iter()
        .find(|(other, record)| other.kind() == id.kind() && record.cloud_id == cloud_id)
    {
        return Err(OperationError::ImportCloudIdManaged {
            cloud_id: cloud_id.to_string(),
            other: other.to_string(),
        });
    }

    // Read it as a refresh would read a recorded resource: the desired attributes (references
    // filled in from state where known) tell kinds found by a natural key what to ask for.
    let from_state = |reference: &Ref| state.output(reference);
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
        .refresh(aws, &scope)
        .await?
        .into_iter()
        .find(|found| found.id == id && found.observed.cloud_id == cloud_id)
        .ok_or_else(|| OperationError::ImportNotFound {
            id: id.to_string(),
            call: read_call(id.kind()).to_string(),
            cloud_id: cloud_id.to_string(),
            region: aws.region.clone(),
            kind: id.kind().to_string(),
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
        .await?;
    let state = writer.state().clone();
    drop(lock);

    // What the next plan does to it (read only, no lock needed).
    let next = plan::plan(aws, &desired, &graph, &state, &DiffOptions::default())
        .await
        .map(|plan| Plan {
            changes: plan
                .changes
                .iter()
                .filter(|change| change.id == id)
                .cloned()
                .collect(),
            gone: Vec::new(),
            notes: Vec::new(),
            ..plan
        })
        .map_err(OperationError::from);
    Ok(ImportRun {
        id,
        cloud_id: cloud_id.to_string(),
        next,
    })
}
