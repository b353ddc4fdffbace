//! `eksforge schema`: the JSON Schema of blueprints (`blueprint::schema`), on standard output.

use miette::Result;

use super::console::out;
use super::ExitStatus;
use crate::blueprint::schema::schema_text;

pub fn run() -> Result<ExitStatus> {
    out!("{}", schema_text());
    Ok(ExitStatus::Success)
}
