//! Turning layer errors into diagnostics at the edge: what failed, and what to do.

use miette::{miette, MietteHandlerOpts, Report};

use crate::apply::ApplyError;
use crate::aws::AwsError;
use crate::graph::GraphError;
use crate::operation::OperationError;
use crate::plan::file::PlanFileError;
use crate::state::outputs::OutputError;
use crate::state::StateError;

/// How every diagnostic is drawn: lines break at spaces only, so an ARN, a lock id, a path or
/// a URL stays one piece to copy (miette's default also breaks inside long words, at hyphens
/// and after `/`); and when standard error is not a terminal (CI logs, files, pipes) lines are
/// not wrapped at all.
pub fn report_options(stderr_is_terminal: bool) -> MietteHandlerOpts {
    MietteHandlerOpts::new()
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_lines(stderr_is_terminal)
}

/// Makes [`report_options`] the way `main` prints the error a command ends with.
pub fn install_report_handler() {
    let terminal = super::console::stderr_is_terminal();
    // Only fails when a hook is already set, which then stays.
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(report_options(terminal).build())
    }));
}

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
        E::Expand { help, .. } => miette!(code = "eksforge::network", help = help, "{error}"),
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
        E::UnknownId { flag, .. } => miette!(
            code = "eksforge::resource_id",
            help = format!("nothing was planned or changed; give {flag} an id of this blueprint (list them with `eksforge graph BLUEPRINT` or `eksforge state list BLUEPRINT`)"),
            "{error}"
        ),
        E::ConflictingControls { second, .. } => miette!(
            code = "eksforge::resource_id",
            help = format!("nothing was planned or changed; drop one of the two flags ({second} also leaves out what is built on the id)"),
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
        E::RepositoriesHoldImages { .. } => miette!(
            code = "eksforge::plan::repository_not_empty",
            help = "a deleted repository takes its images with it; force_delete = true on a repository is the consent",
            "{error}"
        ),
        E::AdoptRead(_) => miette!(
            code = "eksforge::adopt::read",
            help = "nothing was written; check the cluster's name and region (--region; `eksforge audit --cluster` reads the same) and that the caller may describe it",
            "{error}"
        ),
        E::AdoptNoVpc { .. } => miette!(
            code = "eksforge::adopt::no_vpc",
            help = "check the cluster's subnets with `aws eks describe-cluster`; nothing was written",
            "{error}"
        ),
        E::AdoptDraftInvalid { .. } => miette!(
            code = "eksforge::adopt::internal",
            help = "this is a bug in eksforge, not in the cluster: please report it with this message; nothing was written",
            "{error}"
        ),
        E::AdoptStateNotEmpty { .. } => miette!(
            code = "eksforge::adopt::state_in_use",
            help = "adopt writes a fresh state: point it at an empty one with --state PATH, or use `eksforge import` to add one resource to this state; nothing was written",
            "{error}"
        ),
        E::AdoptFileExists { .. } => miette!(
            code = "eksforge::adopt::file_exists",
            help = "choose another --out directory, or move the file away; nothing was written",
            "{error}"
        ),
        E::AdoptWrite { .. } => miette!(
            code = "eksforge::adopt::write",
            help = "check the --out directory's permissions and free space",
            "{error}"
        ),
        E::Upgrade { .. } => miette!(
            code = "eksforge::upgrade",
            help = "fix what each line names, or waive an insight as its help shows (docs/upgrades.md)",
            "{error}"
        ),
        E::NoClusterToCheck { .. } => miette!(
            code = "eksforge::upgrade::no_cluster",
            help = "apply the blueprint first, or check the region (--region)",
            "{error}"
        ),
        E::Moves { .. } => miette!(
            code = "eksforge::moved",
            help = "a move renames records in state within their kind: see docs/blueprint.md, [[moved]] and state mv",
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

#[cfg(test)]
mod tests {
    use std::fmt;

    use miette::{Diagnostic, ReportHandler};

    use super::*;

    const ARN: &str =
        "arn:aws:iam::123456789012:role/eksforge-production-eu-west-1-cluster-autoscaler-irsa-role";

    /// A diagnostic as `main` prints it, through the handler `options` build.
    fn render(options: MietteHandlerOpts, report: &Report) -> String {
        struct Shown<'a>(miette::MietteHandler, &'a dyn Diagnostic);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.debug(self.1, f)
            }
        }
        let handler = options.color(false).unicode(false).build();
        format!("{:?}", Shown(handler, report.as_ref()))
    }

    fn long_report() -> Report {
        miette!(
            code = "eksforge::test",
            help = format!("run `eksforge force-unlock prod.toml 6f1c2a4e-1b7d-4c2e-9a51-0d3f7c8b2e10` once {ARN} is gone"),
            "state `s3://eksforge-state-production-eu-west-1/eksforge/production.json` is locked by a run of {ARN}, a very long line indeed"
        )
    }

    #[test]
    fn without_a_terminal_nothing_is_wrapped() {
        let text = render(report_options(false), &long_report());
        let message = text
            .lines()
            .find(|line| line.contains("is locked by"))
            .expect("the message");
        assert!(
            message.contains(ARN) && message.ends_with("a very long line indeed"),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|line| line.contains("6f1c2a4e-1b7d-4c2e-9a51-0d3f7c8b2e10")
                    && line.contains(ARN)),
            "{text}"
        );
    }

    #[test]
    fn on_a_terminal_lines_wrap_between_words_only() {
        let text = render(report_options(true).width(60), &long_report());
        assert!(text.lines().count() > 6, "wrapped: {text}");
        for token in [
            ARN,
            "s3://eksforge-state-production-eu-west-1/eksforge/production.json",
            "6f1c2a4e-1b7d-4c2e-9a51-0d3f7c8b2e10",
        ] {
            assert!(
                text.lines().any(|line| line.contains(token)),
                "{token} split: {text}"
            );
        }
    }
}
