//! What a step of a run cost the machine: CPU seconds of the whole process (every worker
//! thread counts), wall seconds and peak resident memory, measured across the step.
//!
//! CPU time comes from `getrusage(RUSAGE_SELF)`, so the steps of a run add up to what
//! `/usr/bin/time` reports for the process. The peak is the kernel's high-water mark
//! (`VmHWM`), reset at the step's start through `/proc/self/clear_refs` so that each step
//! has its own; where the reset is refused the process's peak so far is recorded instead,
//! and `peak_rss_scope` says so.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use super::stage_record::STAGE_RECORD_FILE;

/// The measured cost of one step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StepCost {
    pub wall_seconds: f64,
    /// User plus system CPU seconds of the process during the step.
    pub cpu_seconds: f64,
    pub user_seconds: f64,
    pub system_seconds: f64,
    /// The most resident memory the process held during the step, in bytes.
    pub peak_rss_bytes: Option<u64>,
    /// `step` when the peak is the step's own, `process` when it is the process's so far.
    #[serde(default)]
    pub peak_rss_scope: PeakScope,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeakScope {
    #[default]
    Step,
    Process,
}

/// CPU seconds (user, system) the process has used so far.
#[derive(Debug, Clone, Copy, Default)]
struct CpuTimes {
    user: f64,
    system: f64,
}

fn cpu_times() -> CpuTimes {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given, which points
    // to memory of that type; RUSAGE_SELF is always a valid `who`.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if status != 0 {
        return CpuTimes::default();
    }
    // SAFETY: getrusage succeeded, so the struct is initialised.
    let usage = unsafe { usage.assume_init() };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    CpuTimes {
        user: seconds(usage.ru_utime),
        system: seconds(usage.ru_stime),
    }
}

/// `VmHWM` of `/proc/self/status`, in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kilobytes * 1024)
}

/// Resets the high-water mark to the current resident size; false where not allowed.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

static PROCESS_START: OnceLock<Instant> = OnceLock::new();

/// Notes when the process started, for the wall time of the work before the first stage.
/// Called first thing in `main`; later calls change nothing.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(Instant::now);
}

/// Measures one step from its creation to [`CostMeter::finish`].
#[derive(Debug)]
pub struct CostMeter {
    started: Instant,
    cpu: CpuTimes,
    scope: PeakScope,
}

impl CostMeter {
    pub fn start() -> CostMeter {
        let scope = if reset_peak_rss() {
            PeakScope::Step
        } else {
            PeakScope::Process
        };
        CostMeter {
            started: Instant::now(),
            cpu: cpu_times(),
            scope,
        }
    }

    /// A meter that started with the process (see [`mark_process_start`]): what the
    /// process did before now, job loading included.
    pub fn since_process_start() -> CostMeter {
        CostMeter {
            started: *PROCESS_START.get_or_init(Instant::now),
            cpu: CpuTimes::default(),
            scope: PeakScope::Process,
        }
    }

    pub fn finish(&self) -> StepCost {
        let now = cpu_times();
        let user = (now.user - self.cpu.user).max(0.0);
        let system = (now.system - self.cpu.system).max(0.0);
        StepCost {
            wall_seconds: self.started.elapsed().as_secs_f64(),
            cpu_seconds: user + system,
            user_seconds: user,
            system_seconds: system,
            peak_rss_bytes: peak_rss(),
            peak_rss_scope: self.scope,
        }
    }
}

/// Adds `cost` under `key` to the `_stage.json` of `stage_dir` (the record is the stage's
/// own; the cost is known only once the stage returned). Nothing happens without a record.
pub fn record_cost(stage_dir: &Path, key: &str, cost: &StepCost) -> std::io::Result<()> {
    let path = stage_dir.join(STAGE_RECORD_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    let mut record: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
    let Some(object) = record.as_object_mut() else {
        return Ok(());
    };
    object.insert(
        key.to_owned(),
        serde_json::to_value(cost).map_err(std::io::Error::other)?,
    );
    let mut bytes = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    write_atomic(&path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_step_costs_cpu() {
        let meter = CostMeter::start();
        let mut x = 0u64;
        while meter.started.elapsed().as_millis() < 50 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let cost = meter.finish();
        assert!(cost.cpu_seconds > 0.02, "{cost:?}");
        assert!(cost.wall_seconds >= 0.05);
        assert!(cost.peak_rss_bytes.is_some_and(|b| b > 0));
    }
}
