//! `eksforge graph BLUEPRINT`: the dependency graph as DOT.

use std::path::Path;

use miette::Result;

use super::session::{desired, placement, Settings};
use super::ExitStatus;

pub async fn run(settings: &Settings, path: &Path) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let placement = placement(&aws, &loaded).await?;
    let (_, graph) = desired(&loaded, &placement)?;
    print!("{}", graph.to_dot(&loaded.model.blueprint.name));
    Ok(ExitStatus::Success)
}
