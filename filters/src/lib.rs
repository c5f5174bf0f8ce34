//! Text-only logic of `curate`: document analysis, heuristic quality filters, language
//! and toxicity filters, and dedup algorithms.
//!
//! Nothing here reads files or knows about Arrow: every function takes text and returns a
//! decision with the signal values it computed, so the same code serves the pipeline's
//! stages, the ad hoc `curate tag` command and the benchmarks.

pub mod analysis;
pub mod c4;
pub mod classifier;
pub mod decontaminate;
pub mod decontaminate_filter;
pub mod dedup;
mod fast_hash;
pub mod filter;
pub mod fineweb;
pub mod gopher_quality;
pub mod gopher_repetition;
pub mod integrity;
pub mod language;
pub mod pii;
pub mod registry;
mod rng;
pub mod toxicity;
pub mod url;
pub mod verdict;
pub mod word_split;

pub use verdict::{Annotation, AnnotationValue, Signal, Verdict};
