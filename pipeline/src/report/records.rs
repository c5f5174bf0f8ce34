//! The stage directories of a run, read as plain JSON: the report reads every
//! `_stage.json` the same way, so a stage it has never heard of still shows its status,
//! time and documents.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use super::model::StageState;
use crate::run::stage_record::STAGE_RECORD_FILE;
use crate::stages::Stage;

/// One stage directory and its record.
#[derive(Debug, Clone)]
pub struct StageDir {
    /// The stage's name (`ingest`, `filter`, ...).
    pub name: String,
    /// The directory's name inside the run directory.
    pub dir_name: String,
    pub path: PathBuf,
    pub state: StageState,
    /// `_stage.json`, when readable.
    pub record: Option<Value>,
}

impl StageDir {
    /// The record's `summary`, when the stage wrote one.
    pub fn summary(&self) -> Option<&Value> {
        self.record
            .as_ref()?
            .get("summary")
            .filter(|s| !s.is_null())
    }

    /// The `tokens` object the count stage adds to earlier document stages.
    pub fn tokens(&self) -> Option<&Value> {
        self.record
            .as_ref()?
            .get("tokens")
            .filter(|t| t.is_object())
    }

    pub fn partitions(&self) -> impl Iterator<Item = &Value> {
        self.record
            .as_ref()
            .and_then(|r| r.get("partitions_done"))
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.values())
    }

    pub fn partitions_done(&self) -> usize {
        self.partitions().count()
    }

    pub fn partitions_total(&self) -> usize {
        self.record
            .as_ref()
            .and_then(|r| u64_at(r, &["partitions_total"]))
            .unwrap_or(0) as usize
    }

    /// Seconds of the stage, its global step (`index_seconds` of dedup) included.
    pub fn seconds(&self) -> f64 {
        let Some(record) = &self.record else {
            return 0.0;
        };
        let own = record.get("seconds").and_then(Value::as_f64).unwrap_or(0.0);
        let index = self
            .summary()
            .and_then(|s| s.get("index_seconds"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        own + index
    }
}

/// The stage directories in pipeline order: the stages this build knows (present or not),
/// then any other directory holding a `_stage.json`, by name.
pub fn discover(run_dir: &Path) -> Result<Vec<StageDir>> {
    if !run_dir.is_dir() {
        anyhow::bail!("{} is not a run directory", run_dir.display());
    }
    let known: Vec<(String, String)> = Stage::ALL
        .iter()
        .map(|s| (s.name().to_owned(), s.dir_name().to_owned()))
        .collect();
    let mut others: Vec<String> = std::fs::read_dir(run_dir)
        .with_context(|| format!("cannot list {}", run_dir.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join(STAGE_RECORD_FILE).is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !known.iter().any(|(_, dir)| dir == name))
        .collect();
    others.sort();
    let mut dirs: Vec<StageDir> = known
        .into_iter()
        .map(|(name, dir)| read_stage_dir(run_dir, &dir, Some(name)))
        .collect();
    dirs.extend(others.iter().map(|dir| read_stage_dir(run_dir, dir, None)));
    Ok(dirs)
}

fn read_stage_dir(run_dir: &Path, dir_name: &str, name: Option<String>) -> StageDir {
    let path = run_dir.join(dir_name);
    let record: Option<Value> = std::fs::read(path.join(STAGE_RECORD_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let exists = path.join(STAGE_RECORD_FILE).is_file();
    let state = match (&record, exists) {
        (_, false) => StageState::Absent,
        (None, true) => StageState::Unreadable,
        (Some(r), true) => match r.get("status").and_then(Value::as_str) {
            Some("complete") => StageState::Complete,
            Some(_) => StageState::Running,
            None => StageState::Unreadable,
        },
    };
    let name = name
        .or_else(|| {
            record
                .as_ref()
                .and_then(|r| r.get("stage"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| strip_number(dir_name).to_owned());
    StageDir {
        name,
        dir_name: dir_name.to_owned(),
        path,
        state,
        record,
    }
}

/// `02-filter` → `filter`.
pub fn strip_number(dir_name: &str) -> &str {
    match dir_name.split_once('-') {
        Some((number, rest)) if number.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => dir_name,
    }
}

/// The number at a path of object keys.
pub fn u64_at(value: &Value, path: &[&str]) -> Option<u64> {
    at(value, path)?.as_u64()
}

pub fn f64_at(value: &Value, path: &[&str]) -> Option<f64> {
    at(value, path)?.as_f64()
}

pub fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path)?.as_str()
}

pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// Reads a JSON file of the run, `None` when it is absent.
pub fn read_json(path: &Path) -> Result<Option<Value>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is not JSON", path.display())
            })?))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names_drop_their_number() {
        assert_eq!(strip_number("02-filter"), "filter");
        assert_eq!(strip_number("tokenizer"), "tokenizer");
        assert_eq!(strip_number("x-y"), "x-y");
    }
}
