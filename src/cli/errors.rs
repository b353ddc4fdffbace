//! Turning layer errors into diagnostics at the edge: what failed, and what to do.

use miette::{miette, Report};

use crate::apply::ApplyError;
use crate::aws::AwsError;
use crate::graph::GraphError;
use crate::operation::OperationError;
use crate::plan::file::PlanFileError;
use crate::state::outputs::OutputError;
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

/// An operation's error as the diagnostic the command ends with.
pub fn operation(error: OperationError) -> Report {
    use OperationError as E;
    match error {
        E::Aws(error) => aws(error),
        E::State(error) => state(error),
        E::Graph(error) => graph(error),
        E::Apply(error) => apply(error),
        E::DesiredPosture(_) => miette!(
            code = "eksforge::audit::internal",
            help = "this is a bug in eksforge, not in the blueprint: please report it with the blueprint that shows it",
            "could not build the blueprint's posture: {error}"
        ),
        E::Expand { .. } => miette!(
            code = "eksforge::network",
            help = "change network.vpc_cidr or the subnet CIDRs",
            "{error}"
        ),
        E::TooFewZones { ref available, .. } => miette!(
            code = "eksforge::network::azs",
            help = format!(
                "lower `azs` to at most {} or choose another region",
                available.len()
            ),
            "{error}"
        ),
        E::UnknownZone {
            ref region,
            ref available,
            ..
        } => miette!(
            code = "eksforge::network::azs",
            help = format!("use zones of region {}: {}", region, available.join(", ")),
            "{error}"
        ),
        E::UnknownTarget { .. } => miette!(
            code = "eksforge::target",
            help = "list the ids with `eksforge graph BLUEPRINT` or `eksforge state list BLUEPRINT`",
            "{error}"
        ),
        E::Protected { ref flags, .. } => miette!(
            code = "eksforge::plan::protected",
            help = format!(
                "the cluster and its KMS key cannot be recovered once deleted; nothing was changed. Pass {} if you really mean it",
                flags.join(" ")
            ),
            "{error}"
        ),
        E::Preflight { .. } => miette!(
            code = "eksforge::preflight",
            help = "fix the keys named above; nothing was changed (--skip-preflight skips these checks)",
            "{error}"
        ),
        E::PostureGate {
            threshold,
            ref expired,
            ..
        } => {
            let renew = if expired.is_empty() {
                "add a [[waivers]] block with a reason"
            } else {
                "move `expires` of an expired waiver on if its risk is still accepted (a waiver counts through its `expires` day), add a [[waivers]] block with a reason"
            };
            miette!(
                code = "eksforge::audit::gate",
                help = format!(
                    "fix the blueprint keys named above, {renew}, or raise the threshold with --fail-on / [audit] fail_on (now {threshold})"
                ),
                "{error}"
            )
        }
        E::NoOutputs { ref path, .. } => miette!(
            code = "eksforge::output::empty",
            help = format!(
                "run `eksforge apply {}` first: outputs are read from the state, not from AWS",
                path.display()
            ),
            "{error}"
        ),
        E::PathUnresolved { .. } => miette!(code = "eksforge::plan_file::unwritable", "{error}"),
        E::PlanOutOverwrites { .. } => miette!(
            code = "eksforge::plan_file::would_overwrite",
            help = "write the plan to a file of its own, e.g. --out plans/next.json; nothing was changed",
            "{error}"
        ),
        E::ImportUnknownId { .. } => miette!(
            code = "eksforge::import::unknown_id",
            help = "import only resources the blueprint declares; `eksforge plan` (or `eksforge graph`) lists their ids",
            "{error}"
        ),
        E::ImportIdManaged {
            ref id,
            ref blueprint,
            ..
        } => miette!(
            code = "eksforge::import::already_managed",
            help = format!(
                "`eksforge state rm {id} {}` first if it should track another resource",
                blueprint.display()
            ),
            "{error}"
        ),
        E::ImportCloudIdManaged { .. } => miette!(
            code = "eksforge::import::already_managed",
            help = "one cloud resource is tracked under one id only",
            "{error}"
        ),
        E::ImportNotFound {
            ref region,
            ref kind,
            ..
        } => miette!(
            code = "eksforge::import::not_found",
            help = format!(
                "check the id and the region ({region}); a {kind} is imported by the id AWS gave it"
            ),
            "{error}"
        ),
    }
}

/// A plan file that cannot be read or written, as a diagnostic saying what to do.
pub fn plan_file(error: PlanFileError) -> Report {
    match &error {
        PlanFileError::Unreadable { .. } => miette!(code = "eksforge::plan_file::unreadable", "{error}"),
        PlanFileError::Corrupt { .. } => miette!(
            code = "eksforge::plan_file::corrupt",
            help = "a plan file is what `eksforge plan BLUEPRINT --out FILE` wrote, unchanged: run `eksforge plan --out` again",
            "{error}"
        ),
        PlanFileError::UnknownFormat { .. } => miette!(
            code = "eksforge::plan_file::unknown_format",
            help = "plan files are applied by the eksforge version that wrote them: run `eksforge plan --out` again with this one",
            "{error}"
        ),
        PlanFileError::Unwritable { .. } => miette!(
            code = "eksforge::plan_file::unwritable",
            help = "choose another --out path, in a directory you can write",
            "{error}"
        ),
    }
}

/// An output asked for by name that the state does not give, naming those it does.
pub fn output(error: OutputError) -> Report {
    match &error {
        OutputError::NotRecorded { recorded, .. } => miette!(
            code = "eksforge::output::not_recorded",
            help = format!("this blueprint's outputs: {recorded}"),
            "{error}"
        ),
        OutputError::Unknown { recorded, .. } => miette!(
            code = "eksforge::output::unknown",
            help = format!("this blueprint's outputs: {recorded}"),
            "{error}"
        ),
    }
}
