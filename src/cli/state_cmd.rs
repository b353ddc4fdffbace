//! `eksforge state list|show ID|rm ID BLUEPRINT`

use std::path::Path;

use miette::{miette, IntoDiagnostic, Result};

use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::resources::ResourceId;
use crate::state::StateWriter;

pub async fn list(settings: &Settings, path: &Path) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    let state = settings.read_state(&backend, &loaded).await?;
    for id in state.resources.keys() {
        println!("{id}");
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
    println!(
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
    println!("Removed {resource} ({cloud_id}) from state; the resource itself is untouched.");
    println!("Note: it still carries its eksforge tags, so the next plan adopts it again unless you remove them.");
    Ok(ExitStatus::Success)
}

fn not_recorded(id: &str) -> miette::Report {
    miette!(
        code = "eksforge::state::not_found",
        help = "`eksforge state list BLUEPRINT` lists the recorded ids",
        "state records no resource `{id}`"
    )
}
