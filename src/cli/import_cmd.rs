//! `eksforge import BLUEPRINT ID CLOUD_ID`: brings an existing resource under management
//! (`operation::import_run`); nothing in AWS is changed.

use std::path::Path;

use miette::Result;

use super::console::{out, outln};
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::operation;
use crate::ui;

pub async fn run(settings: &Settings, path: &Path, id: &str, cloud_id: &str) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let aws = settings.connect(&loaded).await?;
    let backend = settings.backend(&loaded)?;
    let run = operation::import(&aws, &loaded, &backend, id, cloud_id)
        .await
        .map_err(errors::operation)?;
    outln!(
        "Imported {} ({}) into state; nothing in AWS was changed.\n",
        run.id,
        run.cloud_id
    );
    let next = run.next.map_err(errors::operation)?;
    outln!("The next plan for {}:\n", run.id);
    out!("{}", ui::render_plan(&next, settings.style));
    Ok(ExitStatus::Success)
}
