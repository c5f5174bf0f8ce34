//! The run directory: where stages put their output, and how a rerun knows what to keep.

pub mod atomic;
pub mod cost;
pub mod fault;
pub mod fingerprint;
pub mod funnel;
pub mod lock;
pub mod marker;
pub mod part_writer;
pub mod run_record;
pub mod stage_record;

pub use stage_record::{StageRecord, StageStatus};
