//! `eksforge plan BLUEPRINT [--detailed-exitcode] [--target ID]...`

use std::path::Path;

use miette::{miette, Result};

use super::errors;
use super::session::{desired, guard, placement, Settings};
use super::ExitStatus;
use crate::plan::{self, DiffOptions, Plan};
use crate::resources::ResourceId;
use crate::ui;

pub async fn run(settings: &Settings, path: &Path, detailed_exitcode: bool, targets: &[String], refresh_only: bool) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    // Reading under the lock: a plan never sees a half-applied run's state mid-write.
    let lock = settings.lock(&backend, "plan").await?;
    let state = settings.read_state(&backend, &loaded).await?;
    let placement = placement(&aws, &loaded).await?;
    let (desired, graph) = desired(&loaded, &placement)?;
    let options = DiffOptions { targets: parse_targets(targets, &graph)? };
    let mut plan = if refresh_only {
        plan::plan_refresh_only(&aws, &desired, &state).await
    } else {
        plan::plan(&aws, &desired, &graph, &state, &options).await
    }
    .map_err(errors::aws)?;
    if !refresh_only {
        plan::bottlerocket_releases(&aws, &settings.global.bottlerocket_ssm_prefix, &desired, &mut plan).await;
    }
    drop(lock);
    print!("{}", ui::render_plan(&plan, settings.style));
    guard(settings, &aws, &loaded, &desired, &placement, &plan).await?;
    Ok(exit_for(&plan, detailed_exitcode))
}

pub fn exit_for(plan: &Plan, detailed_exitcode: bool) -> ExitStatus {
    if detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}

pub fn parse_targets(targets: &[String], graph: &crate::graph::ResourceGraph) -> Result<Vec<ResourceId>> {
    targets
        .iter()
        .map(|text| {
            ResourceId::parse(text).filter(|id| graph.contains(id)).ok_or_else(|| {
                miette!(
                    code = "eksforge::target",
                    help = "list the ids with `eksforge graph BLUEPRINT` or `eksforge state list BLUEPRINT`",
                    "--target {text}: no such resource in this blueprint"
                )
            })
        })
        .collect()
}
