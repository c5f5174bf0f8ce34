//! End-to-end tests: the `curate` binary on `fixtures/` and on `../shared/corpora`.

mod support;

mod cli;
mod corpora_ingest;
mod fixtures_job;
mod resume;
mod tag;
