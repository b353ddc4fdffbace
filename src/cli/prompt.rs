//! The one confirmation prompt of the commands that change something (`apply`, `destroy`,
//! `force-unlock`): Terraform's wording, and only `yes` approves.

use std::io::{BufRead, Write};

use miette::{miette, Report, Result};

/// Prints `prompt` and reads one answer from standard input: `true` only for `yes`. Standard
/// input that ends before an answer (no terminal, as in CI) is `no_input()`, the command's own
/// error naming the flag that skips the question.
pub fn answered_yes(prompt: &str, no_input: impl FnOnce() -> Report) -> Result<bool> {
    print!("{prompt}\n\n  Enter a value: ");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| miette!("could not read the answer: {error}"))?;
    if read == 0 {
        println!();
        return Err(no_input());
    }
    Ok(answer.trim() == "yes")
}
