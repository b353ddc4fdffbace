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
    Report::msg(error.to_string())
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
