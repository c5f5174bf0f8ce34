//! `run.json`: who made a run and how it ended. The stages' records say what each stage
//! did; this one says which curate (version, git revision), when, where, with which seed
//! and threads, on how much input, what the work before the first stage cost, and, when a
//! stage failed, which one and why, so the report of a failed run can say so.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use super::cost::StepCost;

pub const RUN_RECORD_FILE: &str = "run.json";

/// The git revision the binary was built from (`build.rs`).
pub const GIT_REVISION: &str = env!("CURATE_GIT_REVISION");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Complete,
    Failed,
}

/// Which run this is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    pub job: String,
    pub job_file: String,
    pub curate_version: String,
    pub git_revision: String,
    /// When the run started, UTC, RFC 3339.
    pub started_at: String,
    pub seed: u64,
    pub host: String,
    pub threads: usize,
    pub input_files: u64,
    pub input_bytes: u64,
    /// The command line, as given.
    pub command: Vec<String>,
}

/// The stage that failed and its error (every cause, outermost first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFailure {
    pub stage: String,
    pub error: String,
    /// What the stage cost until it failed (it may have left no record to hold it).
    #[serde(default)]
    pub cost: Option<StepCost>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub identity: RunIdentity,
    pub status: RunStatus,
    pub finished_at: Option<String>,
    pub failure: Option<RunFailure>,
    /// Starting the process and loading the job, before the first stage.
    pub setup: Option<StepCost>,
    /// The process from its start to the end of the last stage (the report not included).
    pub process: Option<StepCost>,
}

impl RunRecord {
    pub fn new(identity: RunIdentity) -> RunRecord {
        RunRecord {
            identity,
            status: RunStatus::Running,
            finished_at: None,
            failure: None,
            setup: None,
            process: None,
        }
    }

    /// Reads `run.json` of a run directory; `None` when absent or unreadable (older runs).
    pub fn read(run_dir: &Path) -> Option<RunRecord> {
        let bytes = std::fs::read(run_dir.join(RUN_RECORD_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn write(&self, run_dir: &Path) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        write_atomic(&run_dir.join(RUN_RECORD_FILE), &bytes)
    }
}

/// The machine's name, from the kernel; "unknown" where unreadable.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
