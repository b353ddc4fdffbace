//! The one confirmation prompt of the commands that change something (`apply`, `destroy`,
//! `force-unlock`): Terraform's wording, and only `yes` approves. A question is asked only on
//! a terminal: without one (a pipe nobody writes to, CI) the command is refused at once, before
//! it takes the state lock or makes any AWS call, as Terraform does with `-input=false`.

use miette::{miette, Report, Result};

use super::console::{self, out, outln};

/// `Ok` when standard input is a terminal, else the command's own `refusal` (naming the flag
/// that skips the question). Each command that may ask calls this first, so a run that could
/// never be answered neither waits nor holds the state lock.
pub fn require_terminal(refusal: impl FnOnce() -> Report) -> Result<()> {
    if console::stdin_is_terminal() {
        Ok(())
    } else {
        Err(refusal())
    }
}

/// Prints `prompt` and reads one answer from standard input: `true` only for `yes`. Standard
/// input that is not a terminal is `no_terminal()`, and input that ends before an answer
/// (Ctrl-D) is `no_input()`: both the command's own errors naming the flag that skips the
/// question.
pub fn answered_yes(
    prompt: &str,
    no_terminal: impl FnOnce() -> Report,
    no_input: impl FnOnce() -> Report,
) -> Result<bool> {
    require_terminal(no_terminal)?;
    out!("{prompt}\n\n  Enter a value: ");
    match console::read_line() {
        Ok(Some(answer)) => Ok(answer.trim() == "yes"),
        Ok(None) => {
            outln!();
            Err(no_input())
        }
        Err(error) => Err(miette!("could not read the answer: {error}")),
    }
}
