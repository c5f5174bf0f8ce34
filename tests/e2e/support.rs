//! Helpers for running the `curate` binary and reading what it wrote.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{UInt32Type, UInt64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("pipeline/ has a parent")
        .to_owned()
}

/// `../shared/corpora`, which the tests read in place. Missing corpora fail the test.
pub fn corpora() -> PathBuf {
    let path = repo_root().join("../shared/corpora");
    assert!(
        path.is_dir(),
        "{} is missing: the tests need the shared corpora beside the repository",
        path.display()
    );
    path.canonicalize().expect("corpora path resolves")
}

pub fn curate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_curate"))
}

/// Runs `curate` with `args` and asserts success, showing its output otherwise.
pub fn run_ok(args: &[&str]) -> Output {
    let output = curate().args(args).output().expect("curate starts");
    assert!(
        output.status.success(),
        "curate {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `curate` with `args` and asserts failure; returns stderr.
pub fn run_err(args: &[&str]) -> String {
    let output = curate().args(args).output().expect("curate starts");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "curate {args:?} should fail\n{stderr}"
    );
    stderr
}

/// Writes a job file into `dir`.
pub fn write_job(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("job.toml");
    std::fs::write(&path, body).expect("job file written");
    path
}

/// `_stage.json` of a stage directory.
pub fn stage_record(stage_dir: &Path) -> serde_json::Value {
    let bytes = std::fs::read(stage_dir.join("_stage.json")).expect("_stage.json exists");
    serde_json::from_slice(&bytes).expect("_stage.json is JSON")
}

/// One document as a stage wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub id: String,
    pub source: String,
    pub domain: String,
    pub url: Option<String>,
    pub text: String,
}

/// The Parquet part files of a stage, in name order.
pub fn part_files(stage_dir: &Path) -> Vec<PathBuf> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(stage_dir)
        .expect("stage directory exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("part-") && name.ends_with(".parquet")
        })
        .collect();
    parts.sort();
    parts
}

/// Every document of a stage, parts in order.
pub fn read_documents(stage_dir: &Path) -> Vec<Doc> {
    let mut docs = Vec::new();
    for part in part_files(stage_dir) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&part).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let strings = |name: &str| {
                batch
                    .column_by_name(name)
                    .unwrap()
                    .as_string::<i32>()
                    .clone()
            };
            let (ids, sources, domains, urls) = (
                strings("id"),
                strings("source"),
                strings("domain"),
                strings("url"),
            );
            let texts = batch
                .column_by_name("text")
                .unwrap()
                .as_string::<i64>()
                .clone();
            for row in 0..batch.num_rows() {
                docs.push(Doc {
                    id: ids.value(row).to_owned(),
                    source: sources.value(row).to_owned(),
                    domain: domains.value(row).to_owned(),
                    url: urls.is_valid(row).then(|| urls.value(row).to_owned()),
                    text: texts.value(row).to_owned(),
                });
            }
        }
    }
    docs
}

/// Every record batch of the Parquet parts in `dir`, parts in name order.
pub fn read_batches(dir: &Path) -> Vec<arrow::array::RecordBatch> {
    part_files(dir)
        .iter()
        .flat_map(|part| {
            ParquetRecordBatchReaderBuilder::try_new(File::open(part).unwrap())
                .unwrap()
                .build()
                .unwrap()
                .map(|batch| batch.unwrap())
        })
        .collect()
}

/// A Utf8 column of a batch.
pub fn utf8_column(batch: &arrow::array::RecordBatch, name: &str) -> arrow::array::StringArray {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_string::<i32>()
        .clone()
}

/// Column `name` of `batch` as a primitive array of type `T`.
pub fn primitive_column<T: arrow::datatypes::ArrowPrimitiveType>(
    batch: &arrow::array::RecordBatch,
    name: &str,
) -> arrow::array::PrimitiveArray<T> {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<T>()
        .clone()
}

/// Runs `jobs/finance.toml` into a fresh temporary directory with `extra` arguments;
/// returns the directory (kept alive by the caller) and the run directory in it.
pub fn run_finance_job(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let job = repo_root().join("jobs/finance.toml");
    let mut args = vec![
        "run",
        job.to_str().unwrap(),
        "--output-dir",
        out.path().to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
    let run_dir = out.path().join("finance");
    (out, run_dir)
}

/// One row of a count part.
pub struct Counted {
    pub id: String,
    pub source: String,
    pub domain: String,
    pub text: String,
    pub token_count: u64,
    pub input_ids: Vec<u32>,
}

/// Every row of a count stage's parts, in part order.
pub fn read_counted(stage_dir: &Path) -> Vec<Counted> {
    let mut rows = Vec::new();
    for batch in read_batches(stage_dir) {
        let s = |name: &str| utf8_column(&batch, name);
        let (ids, sources, domains) = (s("id"), s("source"), s("domain"));
        let texts = batch
            .column_by_name("text")
            .unwrap()
            .as_string::<i64>()
            .clone();
        let counts = primitive_column::<UInt64Type>(&batch, "token_count");
        let lists = batch
            .column_by_name("input_ids")
            .unwrap()
            .as_list::<i32>()
            .clone();
        for row in 0..batch.num_rows() {
            let ids_array = lists.value(row);
            rows.push(Counted {
                id: ids.value(row).to_owned(),
                source: sources.value(row).to_owned(),
                domain: domains.value(row).to_owned(),
                text: texts.value(row).to_owned(),
                token_count: counts.value(row),
                input_ids: ids_array.as_primitive::<UInt32Type>().values().to_vec(),
            });
        }
    }
    rows
}

/// `(source, id) -> copies` from the mix stage's selection file.
pub fn read_selection(mix_dir: &Path) -> BTreeMap<(String, String), u32> {
    let file = File::open(mix_dir.join("selection.parquet")).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut selection = BTreeMap::new();
    for batch in reader {
        let batch = batch.unwrap();
        let sources = batch
            .column_by_name("source")
            .unwrap()
            .as_string::<i32>()
            .clone();
        let ids = batch
            .column_by_name("id")
            .unwrap()
            .as_string::<i32>()
            .clone();
        let copies = primitive_column::<UInt32Type>(&batch, "copies");
        for row in 0..batch.num_rows() {
            selection.insert(
                (sources.value(row).to_owned(), ids.value(row).to_owned()),
                copies.value(row),
            );
        }
    }
    selection
}

/// A JSON file the run wrote.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Runs `job` into `out` (`--output-dir`, quietly) with `extra` arguments such as
/// `--until filter`; returns the run directory `out/<name>`.
pub fn run_job(job: &Path, out: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "run",
        job.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
    out.join(name)
}
