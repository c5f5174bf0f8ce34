//! End-to-end tests: the `curate` binary on `fixtures/` and on `../shared/corpora`.

mod support;

mod budget;
mod classifier;
mod cli;
mod cluster;
mod corpora_ingest;
mod dedup;
mod extract;
mod finpile;
mod fixtures_job;
mod kill_sweep;
mod object_store;
mod observability;
mod profiles;
mod query;
mod reliability;
mod report;
mod resume;
mod shards;
mod slurm;
mod tag;
mod token_commands;
mod tokens_mix;
mod warc_agreement;
