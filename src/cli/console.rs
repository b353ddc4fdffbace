//! The process's standard streams, and the only code of eksforge that touches them: every
//! line the commands print (through `out!`, `outln!`, `err!` and `errln!`, used like
//! `print!`, `println!`, `eprint!` and `eprintln!`), the prompt's answer, and whether each
//! stream is a terminal. `tests/layers.rs` forbids `println!` and friends everywhere else.
//!
//! Rust ignores `SIGPIPE`, so a write to a closed pipe (`eksforge apply … | head -1`) fails with
//! `BrokenPipe`, and `println!` panics on it; a panic mid-apply would abandon work in flight.
//! Here a failed write means "stop printing" on that stream, never "stop working": the failure
//! is remembered, every later write to the stream is skipped, and the command goes on (an
//! apply finishes and saves its state). The exit code is the work's own result, as if the
//! output had been read to the end: `schema | head -0` exits 0, an apply that failed exits 1.

use std::fmt;
use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to standard output failed: nothing more is written there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Set once a write to standard error failed: nothing more is written there.
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Prints to standard output (`print!` that never panics and stops at a closed stream).
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::console::stdout_fmt(format_args!($($arg)*)) };
}

/// Prints a line to standard output (`println!` that never panics).
macro_rules! outln {
    () => { $crate::cli::console::stdout_fmt(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::console::stdout_line(format_args!($($arg)*)) };
}

pub(crate) use out;
pub(crate) use outln;

/// Prints to standard error (`eprint!` that never panics).
macro_rules! err {
    ($($arg:tt)*) => { $crate::cli::console::stderr_fmt(format_args!($($arg)*)) };
}

/// Prints a line to standard error (`eprintln!` that never panics).
macro_rules! errln {
    () => { $crate::cli::console::stderr_fmt(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::console::stderr_line(format_args!($($arg)*)) };
}

pub(crate) use err;
pub(crate) use errln;

/// What `out!` calls.
pub fn stdout_fmt(args: fmt::Arguments<'_>) {
    write_to(&STDOUT_CLOSED, &mut io::stdout().lock(), |w| {
        w.write_fmt(args)
    });
}

/// What `outln!` calls.
pub fn stdout_line(args: fmt::Arguments<'_>) {
    write_to(&STDOUT_CLOSED, &mut io::stdout().lock(), |w| {
        w.write_fmt(args)?;
        w.write_all(b"\n")
    });
}

/// What `err!` calls.
pub fn stderr_fmt(args: fmt::Arguments<'_>) {
    write_to(&STDERR_CLOSED, &mut io::stderr().lock(), |w| {
        w.write_fmt(args)
    });
}

/// What `errln!` calls (and `src/main.rs`, for the error that ends a command).
pub fn stderr_line(args: fmt::Arguments<'_>) {
    write_to(&STDERR_CLOSED, &mut io::stderr().lock(), |w| {
        w.write_fmt(args)?;
        w.write_all(b"\n")
    });
}

/// Writes `bytes` to standard output as they are (`state pull`).
pub fn stdout_bytes(bytes: &[u8]) {
    write_to(&STDOUT_CLOSED, &mut io::stdout().lock(), |w| {
        w.write_all(bytes)
    });
}

/// Runs `write` on `stream` and flushes (so a prompt shows before the answer is read, and a
/// closed pipe is noticed at the write that hit it), unless `closed` says the stream failed
/// before. A failure sets `closed`; it is not reported: a broken pipe is the reader's choice,
/// and any other failure (a full disk behind a redirection) leaves no stream worth reporting
/// it on that the user reads.
fn write_to<W: Write>(
    closed: &AtomicBool,
    stream: &mut W,
    write: impl FnOnce(&mut W) -> io::Result<()>,
) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if write(stream).and_then(|()| stream.flush()).is_err() {
        closed.store(true, Ordering::Relaxed);
    }
}

/// Whether standard output is a terminal (colour is used only then).
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Whether standard error is a terminal (diagnostics are wrapped only then).
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// Whether standard input is a terminal: a question is asked only then.
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// One line from standard input, without its line ending; `None` at the end of input.
pub fn read_line() -> io::Result<Option<String>> {
    let mut line = String::new();
    if io::stdin().lock().read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream whose reader went away after `room` bytes.
    struct ClosedAfter {
        room: usize,
        written: Vec<u8>,
        attempts: usize,
    }

    impl Write for ClosedAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.attempts += 1;
            if self.written.len() >= self.room {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            let n = buf.len().min(self.room - self.written.len());
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_pipe_stops_the_stream_for_good_without_a_panic() {
        let closed = AtomicBool::new(false);
        let mut stream = ClosedAfter {
            room: 4,
            written: Vec::new(),
            attempts: 0,
        };
        write_to(&closed, &mut stream, |w| w.write_all(b"ab"));
        assert!(!closed.load(Ordering::Relaxed));
        write_to(&closed, &mut stream, |w| w.write_all(b"cdef"));
        assert!(
            closed.load(Ordering::Relaxed),
            "the broken pipe is remembered"
        );
        let attempts = stream.attempts;
        write_to(&closed, &mut stream, |w| w.write_all(b"gh"));
        assert_eq!(stream.attempts, attempts, "later writes are skipped");
        assert_eq!(stream.written, b"abcd");
    }
}
