//! `eksforge state list|show ID|rm ID BLUEPRINT`, `state mv FROM TO BLUEPRINT`, `state pull BLUEPRINT`,
//! `state push BLUEPRINT FILE [--force]`

use std::path::Path;

use miette::{miette, IntoDiagnostic, Result};

use super::console::{errln, outln};
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::blueprint::user_file;
use crate::operation;
use crate::resources::ResourceId;
use crate::state::{self, format, StateWriter};

pub async fn list(settings: &Settings, path: &Path) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    let state = settings.read_state(&backend, &loaded).await?;
    for id in state.resources.keys() {
        outln!("{id}");
    }
    Ok(ExitStatus::Success)
}

pub async fn show(settings: &Settings, path: &Path, id: &str) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    let state = settings.read_state(&backend, &loaded).await?;
    let record = ResourceId::parse(id)
        .and_then(|id| state.resources.get(&id))
        .ok_or_else(|| not_recorded(id))?;
    outln!(
        "{}",
        serde_json::to_string_pretty(record).into_diagnostic()?
    );
    Ok(ExitStatus::Success)
}

pub async fn rm(settings: &Settings, path: &Path, id: &str) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    let lock = settings.lock(&backend, "state rm").await?;
    let state = settings.read_state(&backend, &loaded).await?;
    let resource = ResourceId::parse(id)
        .filter(|id| state.resources.contains_key(id))
        .ok_or_else(|| not_recorded(id))?;
    let cloud_id = state.resources[&resource].cloud_id.clone();
    let mut writer = StateWriter::new(state, backend.clone());
    writer
        .record(resource.clone(), None)
        .await
        .map_err(errors::state)?;
    drop(lock);
    outln!("Removed {resource} ({cloud_id}) from state; the resource itself is untouched.");
    outln!("Note: it still carries its eksforge tags, so the next plan adopts it again unless you remove them.");
    Ok(ExitStatus::Success)
}

pub async fn mv(settings: &Settings, path: &Path, from: &str, to: &str) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    let lock = settings.lock(&backend, "state mv").await?;
    let state = settings.read_state(&backend, &loaded).await?;
    let moved = operation::moved::state_move_offline(&loaded, &state, from, to)
        .map_err(errors::operation)?;
    let mut updates: Vec<(ResourceId, Option<state::ResourceRecord>)> = moved
        .moved
        .values()
        .map(|old| (old.clone(), None))
        .collect();
    for (id, record) in &moved.state.resources {
        if state.resources.get(id) != Some(record) {
            updates.push((id.clone(), Some(record.clone())));
        }
    }
    let mut writer = StateWriter::new(state, backend.clone());
    writer.record_many(updates).await.map_err(errors::state)?;
    drop(lock);
    for (new, old) in &moved.moved {
        outln!("Moved {old} to {new} in state; nothing in AWS was touched.");
    }
    let kept = loaded
        .model
        .moved
        .iter()
        .any(|entry| entry.from == from && entry.to == to);
    if !kept {
        outln!("Note: AWS names and tags derived from {from} (a node group's or a role's name) follow the new id at the next apply, which replaces what cannot be renamed; a [[moved]] entry with from = \"{from}\", to = \"{to}\" in the blueprint keeps them (docs/blueprint.md).");
    }
    Ok(ExitStatus::Success)
}

fn not_recorded(id: &str) -> miette::Report {
    miette!(
        code = "eksforge::state::not_found",
        help = "`eksforge state list BLUEPRINT` lists the recorded ids",
        "state records no resource `{id}`"
    )
}

pub async fn pull(settings: &Settings, path: &Path) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    // No lock: reading one object (or one file replaced by rename) is atomic on its own.
    let Some(state) = backend.read().await.map_err(errors::state)? else {
        errln!("No state is stored at {} yet.", backend.describe());
        return Ok(ExitStatus::Success);
    };
    let bytes = format::encode(&backend.location(), &state).map_err(errors::state)?;
    super::console::stdout_bytes(&bytes);
    Ok(ExitStatus::Success)
}

pub async fn push(
    settings: &Settings,
    path: &Path,
    file: &Path,
    force: bool,
) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let bytes = user_file::read(file, format::MAX_STATE_FILE_BYTES).map_err(|error| {
        miette!(
            code = "eksforge::state::push",
            help = "give the path of a state printed by `eksforge state pull`",
            "could not read `{}`: {error}",
            file.display()
        )
    })?;
    // Refuses anything that is not a state this eksforge reads (corrupt, newer format).
    let pushed = format::decode(file, &bytes).map_err(errors::state)?;
    let name = &loaded.model.blueprint.name;
    if &pushed.blueprint != name {
        return Err(miette!(
            code = "eksforge::state::push",
            help = "push it with the blueprint it belongs to",
            "`{}` is the state of blueprint `{}`, not `{name}`; refusing to push it",
            file.display(),
            pushed.blueprint
        ));
    }
    let backend = settings.backend(&loaded)?;
    let lock = settings.lock(&backend, "state push").await?;
    let written = if force {
        backend.write_forced(&pushed).await
    } else {
        // Another lineage or an older serial is refused, naming both.
        state::push(backend.as_ref(), file, &pushed).await
    };
    let unlocked = lock.unlock().await;
    written.map_err(|error| {
        let help = if force {
            "nothing was changed".to_string()
        } else {
            "nothing was changed; `--force` replaces the stored state anyway (check with `eksforge state pull` first)".to_string()
        };
        miette!(code = "eksforge::state::push", help = help, "{error}")
    })?;
    unlocked.map_err(errors::state)?;
    outln!(
        "Pushed `{}` (serial {}, lineage {}) to {}.",
        file.display(),
        pushed.serial,
        pushed.lineage,
        backend.describe()
    );
    Ok(ExitStatus::Success)
}
