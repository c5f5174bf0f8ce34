//! The job spec: a TOML file naming the sources and configuring each stage.

pub mod dedup;
mod error;
pub mod html;
mod load;
pub mod locate;
#[cfg(test)]
mod mutation_tests;
mod resolved;
pub mod spec;

pub use dedup::{DedupScope, DedupSection};
pub use error::JobError;
pub use load::{load_job, load_job_for_tagging};
pub use resolved::{ResolvedJob, ResolvedSource};
