//! `_stage.json`: what a stage did, with which configuration, on which inputs, and which of
//! its partitions are done.
//!
//! The record is rewritten (atomically) each time a partition completes, so a crashed run
//! leaves a record that says exactly which partitions can be kept.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use super::fingerprint::InputFile;

/// Bumped when the layout of a stage's output changes, so old outputs are rebuilt.
pub const FORMAT_VERSION: u32 = 1;

/// The file name of the record inside a stage directory.
pub const STAGE_RECORD_FILE: &str = "_stage.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Running,
    Complete,
}

/// The record of one stage. `P` is the stage's per-partition statistics, `S` its summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageRecord<P, S> {
    pub stage: String,
    pub format_version: u32,
    pub status: StageStatus,
    pub config_fingerprint: String,
    pub input_fingerprint: String,
    pub inputs: Vec<InputFile>,
    pub partitions_total: usize,
    /// Statistics of every finished partition, keyed by its zero-padded index.
    pub partitions_done: BTreeMap<String, P>,
    /// The stage's totals, once complete.
    pub summary: Option<S>,
    /// Wall-clock seconds of the run that completed the stage (summed over resumptions).
    pub seconds: f64,
}

impl<P, S> StageRecord<P, S> {
    /// The record of a stage done in one step (a reduce step with no partitions).
    pub fn complete(
        stage: &str,
        config_fingerprint: String,
        input_fingerprint: String,
        inputs: Vec<InputFile>,
        summary: S,
        seconds: f64,
    ) -> Self {
        StageRecord {
            stage: stage.to_owned(),
            format_version: FORMAT_VERSION,
            status: StageStatus::Complete,
            config_fingerprint,
            input_fingerprint,
            inputs,
            partitions_total: 0,
            partitions_done: BTreeMap::new(),
            summary: Some(summary),
            seconds,
        }
    }
}

impl<P: Serialize + DeserializeOwned, S: Serialize + DeserializeOwned> StageRecord<P, S> {
    /// Reads the record of a stage directory; `None` when absent or unreadable (a record
    /// from another version or a damaged one means the stage reruns from scratch).
    pub fn read(stage_dir: &Path) -> Option<Self> {
        let bytes = std::fs::read(stage_dir.join(STAGE_RECORD_FILE)).ok()?;
        let record: Self = serde_json::from_slice(&bytes).ok()?;
        (record.format_version == FORMAT_VERSION).then_some(record)
    }

    pub fn write(&self, stage_dir: &Path) -> std::io::Result<()> {
        if super::fault::fails_at(&format!("record:{}", self.stage)) {
            return Err(std::io::Error::other(format!(
                "{}: injected fault (CURATE_TEST_FAULT=record:{})",
                stage_dir.join(STAGE_RECORD_FILE).display(),
                self.stage
            )));
        }
        if self.status == StageStatus::Complete {
            super::fault::abort_at(&format!("abort:{}", self.stage));
        }
        let mut bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        write_atomic(&stage_dir.join(STAGE_RECORD_FILE), &bytes)
    }

    /// Whether the stage's output is valid for this configuration and these inputs.
    pub fn is_complete_for(&self, config_fingerprint: &str, input_fingerprint: &str) -> bool {
        self.status == StageStatus::Complete && self.matches(config_fingerprint, input_fingerprint)
    }

    /// Whether finished partitions of this record may be kept by a resumed run.
    pub fn matches(&self, config_fingerprint: &str, input_fingerprint: &str) -> bool {
        self.config_fingerprint == config_fingerprint && self.input_fingerprint == input_fingerprint
    }
}

/// Whether the record in `stage_dir` says the stage is complete, whatever the stage (its
/// statistics are read as plain JSON).
pub fn is_complete(stage_dir: &Path) -> bool {
    StageRecord::<serde_json::Value, serde_json::Value>::read(stage_dir)
        .is_some_and(|record| record.status == StageStatus::Complete)
}

/// The key of a partition in `partitions_done` and the number in its file name.
pub fn partition_key(index: usize) -> String {
    format!("{index:05}")
}
