use std::process::ExitCode;

use clap::Parser;

use eksforge::cli::{self, args::Cli, console};

fn main() -> ExitCode {
    cli::install_report_handler();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            console::stderr_line(format_args!(
                "error: could not start the async runtime: {error}"
            ));
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(status) => ExitCode::from(status.code()),
        Err(report) => {
            // miette's graphical report: the message, its code, labels with file:line:col
            // and the help line.
            console::stderr_line(format_args!("{report:?}"));
            ExitCode::from(1)
        }
    }
}
