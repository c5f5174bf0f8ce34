//! Progress of a stage on the terminal, and the one-line summary at its end.
//!
//! The bar is drawn only when stderr is a terminal; in CI logs and pipes the summary line
//! is all that appears.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts documents and bytes as workers report them and shows the rates.
pub struct StageProgress {
    bar: ProgressBar,
    documents: AtomicU64,
    bytes: AtomicU64,
    started: Instant,
}

impl StageProgress {
    /// A progress display for `stage` over `units` units of work (partitions).
    pub fn new(stage: &str, units: u64, visible: bool) -> Self {
        let target = if visible && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(units), target);
        let style = ProgressStyle::with_template(
            "{prefix:>10.bold} [{elapsed_precise}] {bar:30} {pos}/{len} parts  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(stage.to_owned());
        bar.enable_steady_tick(Duration::from_millis(250));
        StageProgress {
            bar,
            documents: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Records documents and text bytes processed.
    pub fn add(&self, documents: u64, bytes: u64) {
        let documents = self.documents.fetch_add(documents, Ordering::Relaxed) + documents;
        let bytes = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let seconds = self.started.elapsed().as_secs_f64().max(1e-9);
        self.bar.set_message(format!(
            "{} docs ({:.0} docs/s, {:.1} MB/s)",
            documents,
            documents as f64 / seconds,
            bytes as f64 / 1e6 / seconds
        ));
    }

    /// Marks one unit of work done.
    pub fn finish_unit(&self) {
        self.bar.inc(1);
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for StageProgress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Formats a byte count for people: `12.3 MB`.
pub fn human_bytes(bytes: u64) -> String {
    let bytes = bytes as f64;
    match bytes {
        b if b >= 1e12 => format!("{:.1} TB", b / 1e12),
        b if b >= 1e9 => format!("{:.1} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.1} MB", b / 1e6),
        b if b >= 1e3 => format!("{:.1} kB", b / 1e3),
        b => format!("{b:.0} B"),
    }
}
