//! Commands: clap arguments in, one call into each layer, an exit status out. No logic here.

pub mod args;
pub mod console;
mod errors;
mod session;

mod adopt_cmd;
mod apply_cmd;
mod audit_cmd;
mod force_unlock_cmd;
mod graph_cmd;
mod import_cmd;
mod init_cmd;
mod kubeconfig_cmd;
mod output_cmd;
mod plan_cmd;
mod prompt;
mod schema_cmd;
mod show_cmd;
mod state_cmd;
mod upgrade_cmd;
mod validate_cmd;

use miette::Result;

use args::{Cli, Command, StateCommand};
pub use errors::install_report_handler;
use session::Settings;

/// What the process exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// `--detailed-exitcode`: the plan has changes.
    Changes,
    /// The command ran but did not succeed (a declined apply, a partial apply).
    Failure,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
        }
    }
}

pub async fn run(cli: Cli) -> Result<ExitStatus> {
    let settings = Settings::from_args(cli.global);
    match cli.command {
        Command::Init { template, dir } => init_cmd::run(&template, &dir),
        Command::Validate { blueprint } => validate_cmd::run(&settings, &blueprint),
        Command::Plan {
            blueprint,
            detailed_exitcode,
            targets,
            replace,
            exclude,
            refresh_only,
            out,
            json,
        } => {
            let flags = plan_cmd::PlanFlags {
                detailed_exitcode,
                targets: &targets,
                replace: &replace,
                exclude: &exclude,
                refresh_only,
                out: out.as_deref(),
                json,
            };
            plan_cmd::run(&settings, &blueprint, &flags).await
        }
        Command::Apply {
            blueprint,
            auto_approve,
            targets,
            replace,
            exclude,
            refresh_only,
        } => {
            let controls = apply_cmd::Controls {
                targets: &targets,
                replace: &replace,
                exclude: &exclude,
            };
            apply_cmd::apply(&settings, &blueprint, auto_approve, &controls, refresh_only).await
        }
        Command::Upgrade {
            blueprint,
            to,
            check,
            within,
        } => upgrade_cmd::run(&settings, &blueprint, to.as_deref(), check, within).await,
        Command::Destroy {
            blueprint,
            auto_approve,
        } => apply_cmd::destroy(&settings, &blueprint, auto_approve).await,
        Command::Audit {
            blueprint,
            live,
            cluster,
            format,
        } => {
            audit_cmd::run(
                &settings,
                blueprint.as_deref(),
                live,
                cluster.as_deref(),
                &format,
            )
            .await
        }
        Command::Graph { blueprint } => graph_cmd::run(&settings, &blueprint).await,
        Command::Output {
            blueprint,
            name,
            json,
        } => output_cmd::run(&settings, &blueprint, name.as_deref(), json).await,
        Command::Kubeconfig { blueprint, write } => {
            kubeconfig_cmd::run(&settings, &blueprint, write.as_deref()).await
        }
        Command::Schema => schema_cmd::run(),
        Command::Show { planfile, json } => show_cmd::run(&settings, &planfile, json),
        Command::Import {
            blueprint,
            id,
            cloud_id,
        } => import_cmd::run(&settings, &blueprint, &id, &cloud_id).await,
        Command::Adopt {
            cluster,
            out,
            harden,
        } => adopt_cmd::run(&settings, &cluster, &out, harden).await,
        Command::State { command } => match command {
            StateCommand::List { blueprint } => state_cmd::list(&settings, &blueprint).await,
            StateCommand::Show { id, blueprint } => {
                state_cmd::show(&settings, &blueprint, &id).await
            }
            StateCommand::Rm { id, blueprint } => state_cmd::rm(&settings, &blueprint, &id).await,
            StateCommand::Mv {
                from,
                to,
                blueprint,
            } => state_cmd::mv(&settings, &blueprint, &from, &to).await,
            StateCommand::Pull { blueprint } => state_cmd::pull(&settings, &blueprint).await,
            StateCommand::Push {
                blueprint,
                file,
                force,
            } => state_cmd::push(&settings, &blueprint, &file, force).await,
        },
        Command::ForceUnlock {
            blueprint,
            lock_id,
            force,
        } => force_unlock_cmd::run(&settings, &blueprint, &lock_id, force).await,
    }
}
