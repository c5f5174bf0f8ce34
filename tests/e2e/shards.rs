//! The shard stage: packed sequences that hold every selected token once per planned copy,
//! a shuffle fixed by the seed, a manifest `curate verify` holds the files to, and the
//! Megatron layout read back by a reader written here from its published description.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::UInt32Type;
use arrow::ipc::reader::StreamReader;

use crate::support::*;

/// One packed sequence: its ids and its `(source, id, start, offset, length)` stretches.
struct Row {
    ids: Vec<u32>,
    segments: Vec<(String, String, String, usize, usize, usize)>,
}

fn read_shards(shards: &Path) -> Vec<Row> {
    let manifest = read_json(&shards.join("manifest.json"));
    let mut rows = Vec::new();
    for shard in manifest["shards"].as_array().unwrap() {
        let file = File::open(shards.join(shard["file"].as_str().unwrap())).unwrap();
        for batch in StreamReader::try_new(BufReader::new(file), None).unwrap() {
            rows.extend(rows_of(&batch.unwrap()));
        }
    }
    rows
}

fn rows_of(batch: &RecordBatch) -> Vec<Row> {
    let ids = batch.column_by_name("input_ids").unwrap().as_list::<i32>();
    let documents = batch.column_by_name("documents").unwrap().as_list::<i32>();
    (0..batch.num_rows())
        .map(|row| {
            let segments = documents.value(row);
            let segments = segments.as_struct();
            let text =
                |c: usize, i: usize| segments.column(c).as_string::<i32>().value(i).to_owned();
            let number = |c: usize, i: usize| {
                segments.column(c).as_primitive::<UInt32Type>().value(i) as usize
            };
            Row {
                ids: ids
                    .value(row)
                    .as_primitive::<UInt32Type>()
                    .values()
                    .to_vec(),
                segments: (0..segments.len())
                    .map(|i| {
                        (
                            text(0, i),
                            text(1, i),
                            text(2, i),
                            number(3, i),
                            number(4, i),
                            number(5, i),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

/// `(source, id) -> (domain, input_ids)` of the count stage.
fn counted_by_key(count_dir: &Path) -> BTreeMap<(String, String), (String, Vec<u32>)> {
    read_counted(count_dir)
        .into_iter()
        .map(|d| ((d.source, d.id), (d.domain, d.input_ids)))
        .collect()
}

/// `jobs/finance.toml` with absolute fixture paths and the given seed and extra `[shard]`
/// keys, written into `dir`.
fn finance_job_variant(dir: &Path, seed: u64, shard_keys: &str) -> PathBuf {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("jobs/finance.toml"))
        .unwrap()
        .replace("\"../fixtures/", &format!("\"{}/fixtures/", root.display()))
        .replace("seed = 42", &format!("seed = {seed}"))
        .replace("[shard]\n", &format!("[shard]\n{shard_keys}\n"));
    let path = dir.join("finance.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run_variant(seed: u64, shard_keys: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let job = finance_job_variant(dir.path(), seed, shard_keys);
    let out = dir.path().join("runs");
    run_ok(&[
        "run",
        job.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    (dir, out.join("finance"))
}

#[test]
fn shards_hold_every_selected_token_once_per_copy() {
    let (_out, run_dir) = run_finance_job(&[]);
    let shards = run_dir.join("shards");
    let manifest = read_json(&shards.join("manifest.json"));
    let seq_len = manifest["seq_len"].as_u64().unwrap() as usize;
    let eos = manifest["eos_id"].as_u64().unwrap() as u32;
    assert_eq!(seq_len, 512);
    assert_eq!(manifest["format"], "curate-shards");
    assert!(
        manifest["shards"].as_array().unwrap().len() > 1,
        "fixtures fill several shards"
    );
    let rows = read_shards(&shards);
    assert_eq!(rows.len() as u64, manifest["sequences"].as_u64().unwrap());
    assert!(rows.iter().all(|r| r.ids.len() == seq_len));
    assert_eq!(
        (rows.len() * seq_len) as u64,
        manifest["tokens"].as_u64().unwrap()
    );

    // Every stretch is the document's ids followed by EOS, from its offset on; together
    // the stretches cover each selected document exactly `copies` times, except the tokens
    // after the last full sequence, which the manifest counts as dropped.
    let counted = counted_by_key(&run_dir.join("04-count"));
    let selection = read_selection(&run_dir.join("05-mix"));
    let mut covered: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut by_domain: BTreeMap<String, u64> = BTreeMap::new();
    for row in &rows {
        let mut next = 0;
        for (source, domain, id, start, offset, length) in &row.segments {
            assert_eq!(*start, next, "stretches tile the sequence");
            next = start + length;
            let (doc_domain, ids) = &counted[&(source.clone(), id.clone())];
            assert_eq!(domain, doc_domain);
            let mut with_eos = ids.clone();
            with_eos.push(eos);
            assert_eq!(
                &row.ids[*start..start + length],
                &with_eos[*offset..offset + length]
            );
            *covered.entry((source.clone(), id.clone())).or_default() += length;
            let text_tokens = length - usize::from(offset + length == with_eos.len());
            *by_domain.entry(domain.clone()).or_default() += text_tokens as u64;
        }
        assert_eq!(next, seq_len);
    }
    let mut missing = 0;
    for (key, copies) in &selection {
        let expected = *copies as usize * (counted[key].1.len() + 1);
        let got = covered.get(key).copied().unwrap_or(0);
        assert!(got <= expected, "{key:?}: {got} > {expected}");
        missing += expected - got;
    }
    assert!(
        covered.keys().all(|k| selection.contains_key(k)),
        "only selected documents"
    );
    assert_eq!(missing as u64, manifest["dropped_tokens"].as_u64().unwrap());
    assert!(missing < seq_len);

    // The manifest's mix is what the shards hold: the mix stage's selection less the
    // dropped tail.
    let text_total: u64 = by_domain.values().sum();
    let mix = read_json(&run_dir.join("05-mix/_stage.json"));
    let mut short = 0;
    for (domain, tokens) in &by_domain {
        let entry = &manifest["mix"]["by_domain"][domain];
        assert_eq!(entry["tokens"].as_u64().unwrap(), *tokens, "{domain}");
        let share = *tokens as f64 / text_total as f64;
        assert!((entry["share"].as_f64().unwrap() - share).abs() < 1e-12);
        let selected: u64 = selection
            .iter()
            .filter(|(key, _)| counted[*key].0 == *domain)
            .map(|(key, copies)| u64::from(*copies) * counted[key].1.len() as u64)
            .sum();
        let planned = mix["summary"]["by_domain"][domain]["realised_tokens"]
            .as_u64()
            .unwrap();
        assert_eq!(selected, planned, "{domain}");
        short += planned - tokens;
    }
    assert!(short <= manifest["dropped_tokens"].as_u64().unwrap());
    assert_eq!(
        text_total,
        manifest["text_tokens"].as_u64().unwrap(),
        "text tokens in the manifest"
    );

    // HF datasets metadata names every shard.
    let state = read_json(&shards.join("state.json"));
    let files: Vec<&str> = state["_data_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    let listed: Vec<&str> = manifest["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, listed);
    assert!(shards.join("dataset_info.json").is_file());
    assert!(!shards.join(".work").exists(), "spills are removed");
    let verified = run_ok(&["verify", run_dir.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&verified.stdout).contains("match the manifest"));
}

#[test]
fn shuffle_is_fixed_by_the_seed() {
    let keys = "";
    let (_a, run_a) = run_variant(7, keys);
    let (_b, run_b) = run_variant(7, keys);
    let (_c, run_c) = run_variant(8, keys);
    let manifest = |run: &Path| read_json(&run.join("shards/manifest.json"));
    let files = |run: &Path| -> Vec<Vec<u8>> {
        manifest(run)["shards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| std::fs::read(run.join("shards").join(s["file"].as_str().unwrap())).unwrap())
            .collect()
    };
    assert_eq!(files(&run_a), files(&run_b), "same seed, same bytes");
    assert_eq!(manifest(&run_a)["shards"], manifest(&run_b)["shards"]);
    let first = |run: &Path| read_shards(&run.join("shards"))[0].ids.clone();
    assert_ne!(first(&run_a), first(&run_c), "another seed, another order");
}

#[test]
fn verify_catches_altered_truncated_and_missing_shards() {
    let (_dir, run) = run_variant(42, "");
    let shards = run.join("shards");
    run_ok(&["verify", run.to_str().unwrap()]);
    let manifest = read_json(&shards.join("manifest.json"));
    let first = shards.join(manifest["shards"][0]["file"].as_str().unwrap());
    let original = std::fs::read(&first).unwrap();

    let mut flipped = original.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    std::fs::write(&first, &flipped).unwrap();
    let error = run_err(&["verify", run.to_str().unwrap()]);
    assert!(error.contains("altered"), "{error}");

    std::fs::write(&first, &original[..original.len() - 100]).unwrap();
    let error = run_err(&["verify", run.to_str().unwrap()]);
    assert!(error.contains("truncated"), "{error}");

    std::fs::remove_file(&first).unwrap();
    let error = run_err(&["verify", run.to_str().unwrap()]);
    assert!(error.contains("missing"), "{error}");

    std::fs::write(&first, &original).unwrap();
    run_ok(&["verify", run.to_str().unwrap()]);
}

/// Reads `data.idx` + `data.bin` as `megatron.core.datasets.indexed_dataset` lays them
/// out: header, version, dtype code, counts, lengths (i32), pointers (i64), documents.
fn read_megatron(dir: &Path) -> Vec<Vec<u32>> {
    let idx = std::fs::read(dir.join("data.idx")).unwrap();
    let bin = std::fs::read(dir.join("data.bin")).unwrap();
    assert_eq!(&idx[..9], b"MMIDIDX\x00\x00");
    let u64_at = |at: usize| u64::from_le_bytes(idx[at..at + 8].try_into().unwrap());
    assert_eq!(u64_at(9), 1, "version");
    let dtype = idx[17];
    let sequences = u64_at(18) as usize;
    let documents = u64_at(26) as usize;
    assert_eq!(documents, sequences + 1);
    let lengths_at = 34;
    let pointers_at = lengths_at + 4 * sequences;
    let documents_at = pointers_at + 8 * sequences;
    assert_eq!(idx.len(), documents_at + 8 * documents);
    let item = match dtype {
        8 => 2,
        4 => 4,
        other => panic!("dtype code {other}"),
    };
    (0..sequences)
        .map(|i| {
            let length = i32::from_le_bytes(
                idx[lengths_at + 4 * i..lengths_at + 4 * i + 4]
                    .try_into()
                    .unwrap(),
            ) as usize;
            let pointer = i64::from_le_bytes(
                idx[pointers_at + 8 * i..pointers_at + 8 * i + 8]
                    .try_into()
                    .unwrap(),
            ) as usize;
            (0..length)
                .map(|t| {
                    let at = pointer + t * item;
                    if item == 2 {
                        u32::from(u16::from_le_bytes(bin[at..at + 2].try_into().unwrap()))
                    } else {
                        i32::from_le_bytes(bin[at..at + 4].try_into().unwrap()) as u32
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn megatron_files_hold_the_same_sequences_and_padding_is_masked() {
    let (_dir, run) = run_variant(42, "megatron = true\nremainder = \"pad\"");
    let shards = run.join("shards");
    let rows = read_shards(&shards);
    let megatron = read_megatron(&shards.join("megatron"));
    let arrow: Vec<Vec<u32>> = rows.iter().map(|r| r.ids.clone()).collect();
    assert_eq!(megatron, arrow);

    // Padded: nothing is dropped, and the one padded sequence masks its padding.
    let manifest = read_json(&shards.join("manifest.json"));
    assert_eq!(manifest["dropped_tokens"], 0);
    let padding = manifest["padding_tokens"].as_u64().unwrap();
    let mut masked = 0u64;
    for shard in manifest["shards"].as_array().unwrap() {
        let file = File::open(shards.join(shard["file"].as_str().unwrap())).unwrap();
        for batch in StreamReader::try_new(BufReader::new(file), None).unwrap() {
            let batch = batch.unwrap();
            let mask = batch
                .column_by_name("attention_mask")
                .unwrap()
                .as_list::<i32>();
            masked += mask
                .values()
                .as_primitive::<arrow::datatypes::UInt8Type>()
                .values()
                .iter()
                .filter(|&&m| m == 0)
                .count() as u64;
        }
    }
    assert_eq!(masked, padding);
}

/// Every file of a shard directory (work files excluded) with its bytes, by name.
fn shard_dir_files(shards: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(shards)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// The fixtures job with 2 sequences of 512 tokens per shard (a dozen shards), in `dir`.
fn small_shards_job(dir: &Path) -> PathBuf {
    let job = finance_job_variant(dir, 42, "");
    let text = std::fs::read_to_string(&job).unwrap();
    assert!(
        text.contains("shard_bytes = 16384\n"),
        "jobs/finance.toml changed"
    );
    std::fs::write(
        &job,
        text.replace("shard_bytes = 16384\n", "shard_bytes = 4096\n"),
    )
    .unwrap();
    job
}

/// Runs `job` on one thread into `dir/runs`, aborting after `crash` shards when given.
fn run_small_shards(dir: &Path, job: &Path, crash: Option<&str>) -> std::process::Output {
    let out = dir.join("runs");
    let mut command = curate();
    command.args([
        "run",
        job.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
        "--threads",
        "1",
        "--quiet",
    ]);
    if let Some(after) = crash {
        command.env("CURATE_TEST_FAULT", format!("abort:shard:{after}"));
    }
    command.output().unwrap()
}

#[test]
fn a_run_killed_while_writing_shards_resumes_to_the_same_shards() {
    let fresh = tempfile::tempdir().unwrap();
    let job = small_shards_job(fresh.path());
    assert!(run_small_shards(fresh.path(), &job, None).status.success());
    let expected = shard_dir_files(&fresh.path().join("runs/finance/shards"));

    let dir = tempfile::tempdir().unwrap();
    let job = small_shards_job(dir.path());
    let crashed = run_small_shards(dir.path(), &job, Some("5"));
    assert!(!crashed.status.success(), "the run was to abort");
    let shards = dir.path().join("runs/finance/shards");
    let record = read_json(&shards.join("_stage.json"));
    assert_eq!(record["status"], "running");
    let total = record["partitions_total"].as_u64().unwrap();
    assert!(total > 5, "{total} shards: too few to crash in between");
    assert_eq!(record["partitions_done"].as_object().unwrap().len(), 5);
    assert!(
        !shards.join("manifest.json").exists(),
        "no manifest before the end"
    );
    let written_before: BTreeMap<String, std::time::SystemTime> = record["partitions_done"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| {
            let file = s["file"].as_str().unwrap().to_owned();
            let modified = std::fs::metadata(shards.join(&file))
                .unwrap()
                .modified()
                .unwrap();
            (file, modified)
        })
        .collect();

    let resumed = run_small_shards(dir.path(), &job, None);
    assert!(resumed.status.success(), "{resumed:?}");
    // The five shards written before the crash were kept, not written again.
    for (file, modified) in &written_before {
        let now = std::fs::metadata(shards.join(file))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(&now, modified, "{file} was rewritten");
    }
    let got = shard_dir_files(&shards);
    let names = |files: &BTreeMap<String, Vec<u8>>| files.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&got), names(&expected));
    for (name, bytes) in &expected {
        if name == "_stage.json" {
            continue; // holds timings
        }
        assert!(
            &got[name] == bytes,
            "{name} differs from an uninterrupted run"
        );
    }
    assert!(
        !shards.join(".work").exists(),
        "the work directory is removed"
    );
}
