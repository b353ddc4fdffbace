//! `eksforge output BLUEPRINT [NAME] [--json]`: the applied cluster's outputs, read from the
//! state alone (no AWS call, no lock: the local backend replaces its file atomically, so a
//! read sees a whole state, old or new).
//!
//! - no NAME: `name = value` lines sorted by name, every value as JSON (strings quoted, lists
//!   as arrays, maps as objects); with `--json`, one JSON object;
//! - NAME: just that value, a string raw (for `$(eksforge output bp.toml cluster_endpoint)`),
//!   a list or map as compact JSON; with `--json`, the value as JSON.

use std::path::Path;

use miette::{miette, Result};

use super::session::Settings;
use super::ExitStatus;
use crate::blueprint::LoadedBlueprint;
use crate::state::outputs::{OutputValue, Outputs};

pub async fn run(
    settings: &Settings,
    path: &Path,
    name: Option<&str>,
    json: bool,
) -> Result<ExitStatus> {
    let (_, outputs) = recorded_outputs(settings, path).await?;
    match name {
        Some(name) => {
            let value = lookup(&outputs, name)?;
            if json {
                println!("{}", serde_json::Value::from(value));
            } else {
                println!("{}", value.raw());
            }
        }
        None if json => println!("{}", pretty(&outputs.to_json())),
        None => {
            for (name, value) in outputs.iter() {
                println!("{name} = {}", serde_json::Value::from(value));
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// The blueprint and the outputs its state records; an error when the state records nothing.
pub(super) async fn recorded_outputs(
    settings: &Settings,
    path: &Path,
) -> Result<(LoadedBlueprint, Outputs)> {
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    let state = settings.read_state(&backend, &loaded).await?;
    let outputs = Outputs::from_state(&state);
    if outputs.is_empty() {
        let what = if state.is_empty() {
            "no resources"
        } else {
            "no resource with outputs"
        };
        return Err(miette!(
            code = "eksforge::output::empty",
            help = format!(
                "run `eksforge apply {}` first: outputs are read from the state, not from AWS",
                path.display()
            ),
            "{} records {what} for blueprint \"{}\": nothing to show",
            backend.describe(),
            loaded.model.blueprint.name
        ));
    }
    Ok((loaded, outputs))
}

/// The output called `name`, or an error naming the outputs there are.
pub(super) fn lookup<'a>(outputs: &'a Outputs, name: &str) -> Result<&'a OutputValue> {
    if let Some(value) = outputs.get(name) {
        return Ok(value);
    }
    let help = format!("this blueprint's outputs: {}", outputs.names().join(", "));
    Err(if Outputs::is_known(name) {
        miette!(
            code = "eksforge::output::not_recorded",
            help = help,
            "output `{name}` is not recorded in the state: this blueprint does not make its resource, or it has not been applied"
        )
    } else {
        miette!(
            code = "eksforge::output::unknown",
            help = help,
            "no output named `{name}`"
        )
    })
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
