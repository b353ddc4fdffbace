//! `eksforge force-unlock BLUEPRINT LOCK_ID [--force]`

use std::path::Path;

use miette::{miette, Report, Result};

use super::console::outln;
use super::errors;
use super::prompt;
use super::session::Settings;
use super::ExitStatus;

pub async fn run(
    settings: &Settings,
    path: &Path,
    lock_id: &str,
    force: bool,
) -> Result<ExitStatus> {
    if !force {
        prompt::require_terminal(no_terminal)?;
    }
    let loaded = settings.load_blueprint(path)?;
    let backend = settings.backend(&loaded)?;
    if !force && !confirm(&backend.describe(), lock_id)? {
        outln!("\nForce-unlock cancelled; the lock is still in place.");
        return Ok(ExitStatus::Failure);
    }
    backend.force_unlock(lock_id).await.map_err(errors::state)?;
    outln!(
        "Lock {lock_id} on {} removed; the state can be locked again.",
        backend.describe()
    );
    Ok(ExitStatus::Success)
}

/// Asks for `yes` on standard input, like Terraform's `force-unlock`.
fn confirm(backend: &str, lock_id: &str) -> Result<bool> {
    let prompt = format!(
        "Do you really want to force-unlock {backend} (lock id {lock_id})?\n  Removing the lock \
         of a run that is still going lets another run write the same state at the same \
         time.\n  Only 'yes' will be accepted to confirm."
    );
    prompt::answered_yes(&prompt, no_terminal, || {
        miette!(
            code = "eksforge::force_unlock::no_input",
            help = "pass --force when running without a terminal",
            "no answer on standard input: the lock was left in place"
        )
    })
}

/// `force-unlock` without `--force` while standard input is not a terminal: refused before
/// anything is read, since nobody could answer the question.
fn no_terminal() -> Report {
    miette!(
        code = "eksforge::force_unlock::no_terminal",
        help = "pass --force to remove the lock without a question",
        "`eksforge force-unlock` asks for confirmation, and standard input is not a terminal: \
         the lock was left in place"
    )
}
