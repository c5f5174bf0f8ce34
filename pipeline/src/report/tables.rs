//! The tables of a run that `curate query` offers, found by looking at the run directory:
//! every stage's parts as a table named after the stage, each sub-directory of parts
//! (`rejected`, `removed`) by its own name, each other Parquet file of a stage directory
//! (`selection`) by its stem, and the shard list of `shards/manifest.json`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::drops::{dropped_dirs, parquet_parts};
use super::records::discover;
use crate::stages::Stage;
use crate::stages::shard::manifest::MANIFEST_FILE;

/// Where a table's rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableSource {
    /// Parquet files read as one table.
    Parquet(Vec<PathBuf>),
    /// The `shards` list of the manifest in a shard directory.
    ShardManifest(PathBuf),
}

/// What a table holds, for the drops view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// A stage's documents.
    Documents,
    /// Documents or ids a stage dropped, with a `reason` column.
    Dropped,
    /// Anything else (the mix selection, the shard list).
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTable {
    pub name: String,
    /// The stage whose directory holds it.
    pub stage: String,
    pub kind: TableKind,
    pub source: TableSource,
}

/// Every table of the run, in pipeline order; names are unique (a clash is prefixed with
/// the stage's name).
pub fn run_tables(run_dir: &Path) -> Result<Vec<RunTable>> {
    let mut tables: Vec<RunTable> = Vec::new();
    let mut add = |name: String, stage: &str, kind: TableKind, source: TableSource| {
        let name = if tables.iter().any(|t| t.name == name) {
            format!("{stage}_{name}")
        } else {
            name
        };
        tables.push(RunTable {
            name: sql_name(&name),
            stage: stage.to_owned(),
            kind,
            source,
        });
    };
    for stage in discover(run_dir)? {
        if !stage.path.is_dir() {
            continue;
        }
        let parts = parquet_parts(&stage.path)?;
        if !parts.is_empty() {
            add(
                stage.name.clone(),
                &stage.name,
                TableKind::Documents,
                TableSource::Parquet(parts),
            );
        }
        for (dir, parts) in dropped_dirs(&stage.path)? {
            add(
                dir,
                &stage.name,
                TableKind::Dropped,
                TableSource::Parquet(parts),
            );
        }
        for file in other_parquet_files(&stage.path)? {
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            add(
                stem,
                &stage.name,
                TableKind::Other,
                TableSource::Parquet(vec![file]),
            );
        }
        if stage.dir_name == Stage::Shard.dir_name() && stage.path.join(MANIFEST_FILE).is_file() {
            add(
                "shards".to_owned(),
                &stage.name,
                TableKind::Other,
                TableSource::ShardManifest(stage.path.clone()),
            );
        }
    }
    Ok(tables)
}

/// A name usable unquoted in SQL: lower case, `-` and other signs as `_`.
fn sql_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Parquet files of a stage directory that are not parts (`selection.parquet`).
fn other_parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            path.is_file() && name.ends_with(".parquet") && !name.starts_with("part-")
        })
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_sql_identifiers() {
        assert_eq!(sql_name("web-crawl.v2"), "web_crawl_v2");
        assert_eq!(sql_name("Count"), "count");
    }
}
