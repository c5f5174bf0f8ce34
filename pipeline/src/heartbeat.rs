//! The heartbeat: off a terminal (where no bar is drawn) a line every N seconds says what
//! the running stage has done, how fast and how long it has left, so a long batch job's
//! log shows it is alive and where it is.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::logging::CONSOLE;
use crate::progress::{LiveSnapshot, current_snapshot, human_bytes, human_duration};

/// A thread that reports the running stage until dropped.
pub struct Heartbeat {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    /// Starts reporting every `every`; `None` for a zero interval (no heartbeat).
    pub fn start(every: Duration) -> Option<Heartbeat> {
        if every.is_zero() {
            return None;
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("curate-heartbeat".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    if let Some(live) = current_snapshot() {
                        beat(&live);
                    }
                }
            })
            .ok()?;
        Some(Heartbeat {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn beat(live: &LiveSnapshot) {
    let seconds = live.elapsed.as_secs_f64();
    let mb_per_second = live.bytes as f64 / 1e6 / seconds.max(1e-9);
    let eta = eta_seconds(live);
    tracing::info!(
        target: CONSOLE,
        event = "heartbeat",
        stage = live.stage.as_str(),
        partitions_done = live.units_done,
        partitions_total = live.units_total,
        documents = live.documents,
        bytes = live.bytes,
        elapsed_seconds = seconds,
        mb_per_second,
        eta_seconds = eta,
        "{}",
        heartbeat_line(live, mb_per_second, eta)
    );
}

/// Seconds left at the pace of the partitions done so far; `None` before the first.
fn eta_seconds(live: &LiveSnapshot) -> Option<f64> {
    (live.units_done > 0 && live.units_total >= live.units_done).then(|| {
        live.elapsed.as_secs_f64() / live.units_done as f64
            * (live.units_total - live.units_done) as f64
    })
}

fn heartbeat_line(live: &LiveSnapshot, mb_per_second: f64, eta: Option<f64>) -> String {
    let elapsed = human_duration(live.elapsed.as_secs_f64());
    if live.units_total == 0 {
        return format!("running for {elapsed}");
    }
    format!(
        "{}/{} partitions, {} docs, {} ({mb_per_second:.1} MB/s), {elapsed} elapsed, ETA {}",
        live.units_done,
        live.units_total,
        live.documents,
        human_bytes(live.bytes),
        eta.map_or_else(|| "unknown".to_owned(), human_duration)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_follows_the_pace_of_partitions() {
        let live = LiveSnapshot {
            stage: "filter".into(),
            units_done: 1,
            units_total: 4,
            documents: 10,
            bytes: 2_000_000,
            elapsed: Duration::from_secs(20),
        };
        assert_eq!(eta_seconds(&live), Some(60.0));
        let line = heartbeat_line(&live, 0.1, eta_seconds(&live));
        assert_eq!(
            line,
            "1/4 partitions, 10 docs, 2.0 MB (0.1 MB/s), 20 s elapsed, ETA 1m 00s"
        );
        let starting = LiveSnapshot {
            units_done: 0,
            ..live
        };
        assert_eq!(eta_seconds(&starting), None);
    }
}
