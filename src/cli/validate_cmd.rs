//! `eksforge validate BLUEPRINT`: parse, merge, check, and expand on an offline placement so
//! every request eksforge would derive is held against AWS's limits too. No AWS call.

use std::path::Path;

use miette::Result;

use super::console::outln;
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::operation::placement;

pub fn run(settings: &Settings, path: &Path) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let placement = placement::offline_placement(&loaded, None);
    placement::desired(&loaded, &placement).map_err(errors::operation)?;
    outln!(
        "{}",
        settings.style.green(&format!(
            "{} is valid (blueprint \"{}\").",
            path.display(),
            loaded.model.blueprint.name
        ))
    );
    Ok(ExitStatus::Success)
}
