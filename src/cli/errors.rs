//! Turning layer errors into diagnostics at the edge: what failed, and what to do.

use miette::{miette, Report};

use crate::apply::ApplyError;
use crate::aws::AwsError;
use crate::graph::GraphError;
use crate::state::StateError;

pub fn aws(error: AwsError) -> Report {
    let code = format!("eksforge::aws::{:?}", error.class).to_lowercase();
    miette!(code = code, help = error.hint(), "{error}")
}

pub fn state(error: StateError) -> Report {
    // The variant name, snake-cased, is the code: `eksforge::state::newer_format`.
    let debug = format!("{error:?}");
    let variant = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("error");
    let mut code = String::from("eksforge::state::");
    for (index, c) in variant.chars().enumerate() {
        if c.is_uppercase() && index > 0 {
            code.push('_');
        }
        code.push(c.to_ascii_lowercase());
    }
    miette!(code = code, "{error}")
}

pub fn graph(error: GraphError) -> Report {
    miette!(
        code = "eksforge::graph",
        help = "a resource cannot depend on itself through others: remove one of the references",
        "{error}"
    )
}

pub fn apply(error: ApplyError) -> Report {
    match error {
        ApplyError::State(error) => state(error),
        other => miette!(code = "eksforge::apply", "{other}"),
    }
}
