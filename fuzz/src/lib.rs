//! The pipeline's readers for fuzzing, compiled from `pipeline/src/ingest` itself but
//! without the rest of the `curate` crate: that crate pulls DataFusion, whose nightly
//! sanitizer build takes far longer on a small machine than the readers do. Under
//! `--cfg fuzzing` (set by `cargo fuzz`), `ingest` leaves out its Parquet reader, the one
//! module that needs Arrow.

#[path = "../../pipeline/src/ingest/mod.rs"]
pub mod ingest;
