//! `eksforge graph BLUEPRINT`: the dependency graph as DOT.

use std::path::Path;

use miette::Result;

use super::console::out;
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::operation;

pub async fn run(settings: &Settings, path: &Path) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let (_, _, graph) = operation::placed_desired(&aws, &loaded)
        .await
        .map_err(errors::operation)?;
    out!("{}", graph.to_dot(&loaded.model.blueprint.name));
    Ok(ExitStatus::Success)
}
