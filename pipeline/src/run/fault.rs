//! Faults injected on purpose, for tests and for people trying out recovery:
//! `CURATE_TEST_FAULT` names where the process fails. `record:STAGE` fails every write of
//! that stage's `_stage.json` (after the stage wrote its output), and `STEP:RANK:abort|hang`
//! fails or hangs one cluster task (see `cluster::task`).

/// The variable that names the faults.
pub const FAULT_VARIABLE: &str = "CURATE_TEST_FAULT";

/// Whether the fault `point` is asked for (one of the comma-separated entries).
pub fn fails_at(point: &str) -> bool {
    std::env::var(FAULT_VARIABLE)
        .is_ok_and(|spec| spec.split(',').any(|entry| entry.trim() == point))
}
