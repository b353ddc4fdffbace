//! `output` and `kubeconfig`: the outputs the state records for the blueprint, read from the
//! state alone (no AWS call, no lock: the local backend replaces its file atomically, so a
//! read sees a whole state, old or new).

use std::sync::Arc;

use crate::blueprint::LoadedBlueprint;
use crate::state::outputs::Outputs;
use crate::state::Backend;

use super::OperationError;

/// The outputs the state records; an error when it records none.
pub async fn recorded_outputs(
    backend: &Arc<dyn Backend>,
    loaded: &LoadedBlueprint,
) -> Result<Outputs, OperationError> {
    let state = crate::state::load(backend.as_ref(), &loaded.model.blueprint.name).await?;
    let outputs = Outputs::from_state(&state);
    if outputs.is_empty() {
        let what = if state.is_empty() {
            "no resources"
        } else {
            "no resource with outputs"
        };
        return Err(OperationError::NoOutputs {
            backend: backend.describe(),
            what,
            blueprint: loaded.model.blueprint.name.clone(),
            path: loaded.path().to_path_buf(),
        });
    }
    Ok(outputs)
}
