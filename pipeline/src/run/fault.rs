//! Faults injected on purpose, for tests and for people trying out recovery:
//! `CURATE_TEST_FAULT` names where the process fails (comma-separated):
//!
//! - `record:STAGE`: every write of that stage's `_stage.json` fails (an error).
//! - `abort:STAGE`: the process dies (abort: no destructor runs, no file is closed, as
//!   with `kill -9`) just before the record that says the stage is complete.
//! - `abort:STAGE:K`: it dies when the K-th partition this process finished has its
//!   output and marker but is not yet in `_stage.json`; for the shard stage, once K shards
//!   are written and recorded.
//! - `abort:funnel`: it dies in the middle of count's funnel annotation, after the first
//!   earlier stage got its tokens.
//! - `STEP:RANK:abort|hang`: one cluster task fails or hangs (see `cluster::task`).

/// The variable that names the faults.
pub const FAULT_VARIABLE: &str = "CURATE_TEST_FAULT";

/// Whether the fault `point` is asked for (one of the comma-separated entries).
pub fn fails_at(point: &str) -> bool {
    std::env::var(FAULT_VARIABLE)
        .is_ok_and(|spec| spec.split(',').any(|entry| entry.trim() == point))
}

/// Dies at once (as `kill -9` would kill it) when the fault `point` is asked for.
pub fn abort_at(point: &str) {
    if fails_at(point) {
        eprintln!("curate: aborting at {point} ({FAULT_VARIABLE})");
        std::process::abort();
    }
}
