//! What a stage reads: the parts of the stage before it, and that stage's fingerprint.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::run::fingerprint::fingerprint_config;
use crate::run::stage_record::STAGE_RECORD_FILE;

/// The complete output of an upstream stage.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub stage: String,
    pub dir: PathBuf,
    /// Changes whenever the upstream output may have changed.
    pub fingerprint: String,
    /// `(partition index, part file)`, in partition order.
    pub parts: Vec<(usize, PathBuf)>,
}

impl Upstream {
    /// The partition indices, in order: a downstream stage has the same partitions.
    pub fn partitions(&self) -> Vec<usize> {
        self.parts.iter().map(|(index, _)| *index).collect()
    }

    /// The part file of a partition.
    pub fn part(&self, index: usize) -> Result<&Path> {
        self.parts
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, path)| path.as_path())
            .with_context(|| format!("{} has no partition {index}", self.dir.display()))
    }

    /// The output a rank of a fused map step has just written, before the stage is sealed:
    /// every planned part by name. The rank reads only its own partitions' parts, which
    /// exist; `fingerprint` is the one the sealed record will have.
    pub fn planned(stage: &str, dir: &Path, fingerprint: String, partitions: usize) -> Upstream {
        Upstream {
            stage: stage.to_owned(),
            dir: dir.to_owned(),
            fingerprint,
            parts: (0..partitions)
                .map(|index| (index, dir.join(super::ingest::part_file_name(index))))
                .collect(),
        }
    }

    /// Reads the record of a complete stage. Every partition's statistics name its part
    /// in a `part` field.
    pub fn read(dir: &Path) -> Result<Upstream> {
        let path = dir.join(STAGE_RECORD_FILE);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let record: serde_json::Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        if record["status"] != "complete" {
            bail!("{} is not complete", dir.display());
        }
        let field = |name: &str| record[name].as_str().unwrap_or_default().to_owned();
        let mut parts = Vec::new();
        if let Some(done) = record["partitions_done"].as_object() {
            for (key, stats) in done {
                let index: usize = key
                    .parse()
                    .with_context(|| format!("{}: bad partition key {key}", path.display()))?;
                let part = stats["part"].as_str().with_context(|| {
                    format!("{}: partition {key} names no part", path.display())
                })?;
                parts.push((index, dir.join(part)));
            }
        }
        parts.sort();
        Ok(Upstream {
            stage: field("stage"),
            dir: dir.to_owned(),
            fingerprint: fingerprint_config(&(
                field("config_fingerprint"),
                field("input_fingerprint"),
            )),
            parts,
        })
    }
}
