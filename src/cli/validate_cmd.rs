//! `eksforge validate BLUEPRINT`: parse, merge, check. No AWS call.

use std::path::Path;

use miette::Result;

use super::console::outln;
use super::session::Settings;
use super::ExitStatus;

pub fn run(settings: &Settings, path: &Path) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
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
