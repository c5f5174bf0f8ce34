//! The `curate` pipeline: job spec, readers, stages and the run directory.
//!
//! Only this crate knows about files, Arrow, Parquet and threads; the text logic lives in
//! `curate-filters` and the tokenizer arithmetic in `curate-tokenizer`.

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod document;
pub mod heartbeat;
pub use curate_extract as extract;
pub mod filtering;
pub mod ingest;
pub mod job;
pub mod logging;
pub mod progress;
pub mod report;
pub mod run;
pub mod runner;
pub mod stages;
pub mod storage;
pub mod timestamp;
