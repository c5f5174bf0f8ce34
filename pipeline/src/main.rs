use std::process::ExitCode;

use clap::Parser;
use curate::logging::{self, LogFormat};

fn main() -> ExitCode {
    curate::run::cost::mark_process_start();
    let cli = curate::cli::Cli::parse();
    let format = cli.log_format;
    logging::init(format);
    match curate::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match format {
                LogFormat::Human => eprintln!("error: {error:#}"),
                LogFormat::Json => tracing::error!(
                    target: logging::CONSOLE,
                    event = "error",
                    "{error:#}"
                ),
            }
            ExitCode::FAILURE
        }
    }
}
