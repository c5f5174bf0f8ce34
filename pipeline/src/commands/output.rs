//! Standard output for commands whose output is piped: `curate check job.toml | head`
//! closes the pipe early, and that must end the command quietly, not with a panic (what
//! `println!` does on a closed pipe) or an error message.

use std::io::Write;

use anyhow::{Context, Result};

/// Writes `text` to standard output; a closed pipe is not an error.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.context("cannot write to standard output"),
    }
}

/// Whether `error` comes from writing to a pipe whose reader has gone: the reader has what
/// it wanted, so the command ends quietly.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
