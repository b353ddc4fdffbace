//! `eksforge schema`: the JSON Schema of blueprints (`blueprint::schema`), on standard output.

use miette::Result;

use super::ExitStatus;
use crate::blueprint::schema::schema_text;

pub fn run() -> Result<ExitStatus> {
    print!("{}", schema_text());
    Ok(ExitStatus::Success)
}
