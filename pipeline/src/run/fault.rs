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
//! - `abort:upload:DIR:K`: a run kept in a bucket dies after the K-th object of its
//!   directory `DIR` (`shards`, `01-ingest`, ...) is uploaded in one push.
//! - `wait:STAGE`: before the stage starts, the process creates `$CURATE_TEST_WAIT_FILE`
//!   plus `.waiting` and waits until `$CURATE_TEST_WAIT_FILE` exists (a test does
//!   something to the world in between: removes a source object, stops a server).
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

/// Waits at `point` for the test to go on (see `wait:STAGE` above).
pub fn wait_at(point: &str) {
    if !fails_at(point) {
        return;
    }
    let Ok(file) = std::env::var("CURATE_TEST_WAIT_FILE") else {
        eprintln!("curate: {point} asked for, but CURATE_TEST_WAIT_FILE is not set");
        return;
    };
    let go = std::path::PathBuf::from(&file);
    let _ = std::fs::write(format!("{file}.waiting"), point);
    let started = std::time::Instant::now();
    while !go.exists() && started.elapsed() < std::time::Duration::from_secs(300) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
