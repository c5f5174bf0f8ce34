//! Progress of a stage: the bar on a terminal, the counts the heartbeat reports off one,
//! and each partition's own counts for its `partition_done` event.
//!
//! The bar is drawn only when stderr is a terminal (and logs are not JSON); in CI logs and
//! pipes the heartbeat (see [`crate::heartbeat`]) and the summary lines take its place.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What a stage has done so far, shared by its bar, its partitions and the heartbeat.
#[derive(Debug)]
pub struct LiveStage {
    pub stage: String,
    pub units_total: u64,
    units_done: AtomicU64,
    documents: AtomicU64,
    bytes: AtomicU64,
    started: Instant,
}

/// A moment's view of the stage that runs, for the heartbeat.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSnapshot {
    pub stage: String,
    pub units_done: u64,
    pub units_total: u64,
    pub documents: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

impl LiveStage {
    fn new(stage: &str, units_total: u64) -> LiveStage {
        LiveStage {
            stage: stage.to_owned(),
            units_total,
            units_done: AtomicU64::new(0),
            documents: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    pub fn snapshot(&self) -> LiveSnapshot {
        LiveSnapshot {
            stage: self.stage.clone(),
            units_done: self.units_done.load(Ordering::Relaxed),
            units_total: self.units_total,
            documents: self.documents.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
        }
    }
}

/// The stage running now, if any.
static CURRENT: Mutex<Option<Arc<LiveStage>>> = Mutex::new(None);

/// Marks `stage` as the one running (with no partitions known yet), or none.
pub fn set_current_stage(stage: Option<&str>) {
    set_current(stage.map(|s| Arc::new(LiveStage::new(s, 0))));
}

fn set_current(live: Option<Arc<LiveStage>>) {
    if let Ok(mut current) = CURRENT.lock() {
        *current = live;
    }
}

/// What the running stage has done so far.
pub fn current_snapshot() -> Option<LiveSnapshot> {
    CURRENT.lock().ok()?.as_ref().map(|live| live.snapshot())
}

/// Counts documents and bytes as workers report them and shows the rates.
pub struct StageProgress {
    bar: ProgressBar,
    live: Arc<LiveStage>,
    /// This partition's own counts (a partition's progress), or the stage's.
    documents: AtomicU64,
    bytes: AtomicU64,
    started: Instant,
    /// The stage's own progress clears the bar when dropped; a partition's does not.
    owns_bar: bool,
}

impl StageProgress {
    /// A progress display for `stage` over `units` units of work (partitions); becomes the
    /// stage the heartbeat reports.
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
        let live = Arc::new(LiveStage::new(stage, units));
        set_current(Some(live.clone()));
        StageProgress {
            bar,
            live,
            documents: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
            owns_bar: true,
        }
    }

    /// The progress of one partition: it adds to the stage's and keeps its own counts.
    pub fn partition(&self) -> StageProgress {
        StageProgress {
            bar: self.bar.clone(),
            live: self.live.clone(),
            documents: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
            owns_bar: false,
        }
    }

    /// Records documents and text bytes processed.
    pub fn add(&self, documents: u64, bytes: u64) {
        self.documents.fetch_add(documents, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        let documents = self.live.documents.fetch_add(documents, Ordering::Relaxed) + documents;
        let bytes = self.live.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let seconds = self.live.started.elapsed().as_secs_f64().max(1e-9);
        self.bar.set_message(format!(
            "{} docs ({:.0} docs/s, {:.1} MB/s)",
            documents,
            documents as f64 / seconds,
            bytes as f64 / 1e6 / seconds
        ));
    }

    /// Marks one unit of work done.
    pub fn finish_unit(&self) {
        self.live.units_done.fetch_add(1, Ordering::Relaxed);
        self.bar.inc(1);
    }

    /// Documents and bytes added through this progress (a partition's own).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.documents.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for StageProgress {
    fn drop(&mut self) {
        if self.owns_bar {
            self.bar.finish_and_clear();
        }
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

/// Formats seconds for people: `45 s`, `3m 20s`, `2h 05m`.
pub fn human_duration(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    match total {
        t if t >= 3600 => format!("{}h {:02}m", t / 3600, t % 3600 / 60),
        t if t >= 60 => format!("{}m {:02}s", t / 60, t % 60),
        t => format!("{t} s"),
    }
}
