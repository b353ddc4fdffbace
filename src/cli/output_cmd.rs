//! `eksforge output BLUEPRINT [NAME] [--json]`: the applied cluster's outputs, read from the
//! state alone (no AWS call, no lock: the local backend replaces its file atomically, so a
//! read sees a whole state, old or new).
//!
//! - no NAME: `name = value` lines sorted by name, every value as JSON (strings quoted, lists
//!   as arrays, maps as objects); with `--json`, one JSON object;
//! - NAME: just that value, a string raw (for `$(eksforge output bp.toml cluster_endpoint)`),
//!   a list or map as compact JSON; with `--json`, the value as JSON.

use std::path::Path;

use miette::Result;

use super::console::outln;
use super::errors;
use super::session::Settings;
use super::ExitStatus;
use crate::operation;

pub async fn run(
    settings: &Settings,
    path: &Path,
    name: Option<&str>,
    json: bool,
) -> Result<ExitStatus> {
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    let outputs = operation::recorded_outputs(&backend, &loaded)
        .await
        .map_err(errors::operation)?;
    match name {
        Some(name) => {
            let value = outputs.lookup(name).map_err(errors::output)?;
            if json {
                outln!("{}", serde_json::Value::from(value));
            } else {
                outln!("{}", value.raw());
            }
        }
        None if json => outln!("{}", pretty(&outputs.to_json())),
        None => {
            for (name, value) in outputs.iter() {
                outln!("{name} = {}", serde_json::Value::from(value));
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
