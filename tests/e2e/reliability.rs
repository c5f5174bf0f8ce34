//! Regressions of reliability faults: stale outputs reused after a failed or changed run, a
//! lost token funnel, two runs on one directory, settings that passed load and failed late,
//! results that depended on threads, `curate verify` missing damage, unbounded reads, and
//! the command line's behaviour in pipes and logs.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{
    curate, read_counted, read_documents, read_json, repo_root, run_err, run_ok, stage_record,
    write_job,
};

/// `jobs/finance.toml` with absolute fixture paths and its run directory under `dir/out`.
fn finance_job(dir: &Path, edit: impl Fn(String) -> String) -> (PathBuf, PathBuf) {
    let text = fs::read_to_string(repo_root().join("jobs/finance.toml")).unwrap();
    let fixtures = format!("\"{}/fixtures/", repo_root().display());
    let text = text
        .replace("\"../fixtures/", &fixtures)
        .replace("output_dir = \"../runs\"", "output_dir = \"out\"");
    let job = write_job(dir, &edit(text));
    (job, dir.join("out/finance"))
}

/// Runs `job` and returns stderr (the per-stage lines).
fn run_job(job: &Path) -> String {
    let output = run_ok(&["run", job.to_str().unwrap(), "--quiet"]);
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Whether a run's stage line for `stage` says "up to date".
fn up_to_date(stderr: &str, stage: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.trim_start().starts_with(&format!("{stage}  ")) && l.ends_with("up to date"))
}

fn total_tokens(run: &Path) -> u64 {
    read_counted(&run.join("04-count"))
        .iter()
        .map(|r| r.token_count)
        .sum()
}

/// A directory where the stage's record is written makes that write fail (the record is
/// written through `<name>.tmp`, and a directory cannot be created as a file).
/// Runs the job with the writes of `stage`'s record failing (after its output is written);
/// returns stderr.
fn run_with_failing_record(job: &Path, stage: &str) -> String {
    let output = crate::support::curate()
        .env("CURATE_TEST_FAULT", format!("record:{stage}"))
        .args(["run", job.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_tokenizer_replaced_by_a_failed_run_is_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let (job, run) = finance_job(dir.path(), |t| t);
    run_job(&job);
    let first_tokens = total_tokens(&run);
    let first_tokenizer = fs::read(run.join("tokenizer/tokenizer.json")).unwrap();

    finance_job(dir.path(), |t| {
        t.replace("vocab_size = 4096", "vocab_size = 600")
    });
    let stderr = run_with_failing_record(&job, "tokenizer");
    assert!(stderr.contains("stage tokenizer failed"), "{stderr}");
    assert_ne!(
        fs::read(run.join("tokenizer/tokenizer.json")).unwrap(),
        first_tokenizer,
        "the failed run replaced tokenizer.json"
    );

    finance_job(dir.path(), |t| t);
    let stderr = run_job(&job);
    assert!(!up_to_date(&stderr, "tokenizer"), "{stderr}");
    assert_eq!(
        fs::read(run.join("tokenizer/tokenizer.json")).unwrap(),
        first_tokenizer
    );
    assert_eq!(total_tokens(&run), first_tokens);
}

#[test]
fn a_mix_plan_replaced_by_a_failed_run_is_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let (job, run) = finance_job(dir.path(), |t| t);
    run_job(&job);
    let first_plan = read_json(&run.join("05-mix/plan.json"));

    finance_job(dir.path(), |t| {
        t.replace(
            "finance = 0.51\ngeneral = 0.49",
            "finance = 0.3\ngeneral = 0.7",
        )
    });
    let stderr = run_with_failing_record(&job, "mix");
    assert!(stderr.contains("stage mix failed"), "{stderr}");
    assert_ne!(read_json(&run.join("05-mix/plan.json")), first_plan);

    finance_job(dir.path(), |t| t);
    let stderr = run_job(&job);
    assert!(!up_to_date(&stderr, "mix"), "{stderr}");
    assert_eq!(read_json(&run.join("05-mix/plan.json")), first_plan);
}

fn query_count(run: &Path, sql: &str) -> u64 {
    let output = run_ok(&["query", run.to_str().unwrap(), sql, "--format", "csv"]);
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines().nth(1).unwrap().trim().parse().unwrap()
}

/// The sources of the rows of every Parquet part in `dir`.
fn part_sources(dir: &Path) -> Vec<String> {
    if !dir.is_dir() {
        return Vec::new();
    }
    crate::support::read_batches(dir)
        .iter()
        .flat_map(|batch| {
            let sources = crate::support::utf8_column(batch, "source");
            (0..batch.num_rows())
                .map(|row| sources.value(row).to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The filter stage's dropped tokens as the funnel annotation recorded them.
fn filter_dropped_tokens(run: &Path) -> serde_json::Value {
    stage_record(&run.join("02-filter"))["tokens"]["dropped"].clone()
}

#[test]
fn rejected_and_removed_parts_of_a_removed_source_go_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (job, run) = finance_job(dir.path(), |t| t);
    run_job(&job);
    let rejected = part_sources(&run.join("02-filter/rejected"));
    assert!(
        rejected.iter().any(|s| s == "web-crawl"),
        "the fixtures have rejected web-crawl pages: {rejected:?}"
    );

    // The same job without the web-crawl source.
    let without = |t: String| {
        let start = t.find("[[source]]\nname = \"web-crawl\"").unwrap();
        let end = start + t[start..].find("\n\n").unwrap();
        format!("{}{}", &t[..start], &t[end + 2..])
    };
    finance_job(dir.path(), without);
    run_job(&job);
    for sub in ["02-filter/rejected", "03-dedup/removed"] {
        let sources = part_sources(&run.join(sub));
        assert!(
            !sources.iter().any(|s| s == "web-crawl"),
            "{sub}: {sources:?}"
        );
    }
    assert_eq!(
        query_count(
            &run,
            "SELECT count(*) FROM drops WHERE source = 'web-crawl'"
        ),
        0
    );

    // Everything counted equals a fresh run of the smaller job.
    let fresh_dir = tempfile::tempdir().unwrap();
    let (fresh_job, fresh) = finance_job(fresh_dir.path(), without);
    run_job(&fresh_job);
    let all = "SELECT count(*) FROM drops";
    assert_eq!(query_count(&run, all), query_count(&fresh, all));
    assert_eq!(filter_dropped_tokens(&run), filter_dropped_tokens(&fresh));

    // Turning rejected documents off removes them.
    finance_job(dir.path(), |t| {
        without(t).replace(
            "[filter.url]",
            "[filter]\nwrite_rejected = false\n\n[filter.url]",
        )
    });
    run_job(&job);
    assert!(part_sources(&run.join("02-filter/rejected")).is_empty());
    assert_eq!(
        query_count(&run, "SELECT count(*) FROM drops WHERE stage = 'filter'"),
        0
    );
}

#[test]
fn a_token_funnel_lost_to_a_kill_is_counted_again() {
    let dir = tempfile::tempdir().unwrap();
    let (job, run) = finance_job(dir.path(), |t| t);
    run_job(&job);
    let filter_dir = run.join("02-filter");
    let record = stage_record(&filter_dir);
    let tokens = record["tokens"].clone();
    assert!(tokens.is_object(), "no funnel tokens in {record:#}");
    let report = read_json(&run.join("report.json"));

    // A kill between the count stage and the funnel annotation leaves records without it.
    let mut stripped = record.clone();
    stripped.as_object_mut().unwrap().remove("tokens");
    fs::write(
        filter_dir.join("_stage.json"),
        serde_json::to_vec_pretty(&stripped).unwrap(),
    )
    .unwrap();

    run_job(&job);
    assert_eq!(stage_record(&filter_dir)["tokens"], tokens);
    assert_eq!(
        read_json(&run.join("report.json"))["funnel"],
        report["funnel"]
    );
}

#[test]
fn a_second_run_on_a_locked_directory_fails_at_once_and_removes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (job, run) = finance_job(dir.path(), |t| t);
    run_job(&job);
    // A temporary file as a running run would have it.
    let in_flight = run.join("01-ingest/part-00000.parquet.tmp");
    fs::write(&in_flight, b"being written").unwrap();
    let listing = |dir: &Path| {
        let mut names: Vec<String> = walk(dir)
            .iter()
            .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
            .collect();
        names.sort();
        names
    };
    let before = listing(&run);

    let mut lock = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(run.join(".lock"))
        .unwrap();
    lock.try_lock().unwrap();
    lock.set_len(0).unwrap();
    write!(lock, "pid {} on a test host", std::process::id()).unwrap();
    let started = std::time::Instant::now();
    let stderr = run_err(&["run", job.to_str().unwrap(), "--quiet"]);
    assert!(started.elapsed().as_secs() < 30, "the second run waited");
    assert!(stderr.contains("in use by another curate run"), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", std::process::id())),
        "{stderr}"
    );
    assert!(in_flight.is_file());
    assert_eq!(listing(&run), before);
    drop(lock);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        }
        files.push(path);
    }
    files
}

/// A job with every section, valid: each case below breaks one setting.
fn validation_job() -> String {
    let fixtures = repo_root().join("fixtures");
    format!(
        r#"[job]
name = "valid"

[[source]]
name = "news"
domain = "finance"
format = "jsonl"
paths = ["{f}/finance/news.jsonl"]

[[source]]
name = "web"
domain = "general"
format = "jsonl"
paths = ["{f}/general/web.jsonl"]

[ingest]
batch_docs = 64

[filter.language]
min_score = 0.5

[filter.gopher_repetition]
dup_line_frac = 0.3

[dedup]
memory_mb = 64

[dedup.minhash]
bands = 14

[dedup.lines]
max_docs = 10

[tokenizer]
vocab_size = 512

[mix]
max_epochs = 4.0

[mix.shares]
finance = 0.5
general = 0.5

[shard]
seq_len = 128
"#,
        f = fixtures.display()
    )
}

#[test]
fn bad_settings_fail_at_load_naming_the_line_of_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let job = write_job(dir.path(), &validation_job());
    run_ok(&["check", job.to_str().unwrap()]);
    // (the line as written in the valid job, its broken form, the key, the line the key is
    // written on in the broken job)
    let cases: &[(&str, &str, &str, &str)] = &[
        ("seq_len = 128", "seq_len = 0", "shard.seq_len", "seq_len"),
        ("bands = 14", "bands = 0", "dedup.minhash.bands", "bands"),
        (
            "batch_docs = 64",
            "batch_docs = 0",
            "ingest.batch_docs",
            "batch_docs",
        ),
        (
            "batch_docs = 64",
            "batch_docs = 64\nmax_doc_bytes = 0",
            "ingest.max_doc_bytes",
            "max_doc_bytes",
        ),
        (
            "memory_mb = 64",
            "memory_mb = 0",
            "dedup.memory_mb",
            "memory_mb",
        ),
        (
            "max_epochs = 4.0",
            "max_epochs = -1.0",
            "mix.max_epochs",
            "max_epochs",
        ),
        (
            "general = 0.5",
            "general = 0.4",
            "mix.shares",
            "[mix.shares]",
        ),
        (
            "general = 0.5",
            "general = nan",
            "mix.shares.general",
            "general =",
        ),
        (
            "general = 0.5",
            "general = -0.5",
            "mix.shares.general",
            "general =",
        ),
        (
            "vocab_size = 512",
            "vocab_size = 1",
            "tokenizer.vocab_size",
            "vocab_size",
        ),
        (
            "vocab_size = 512",
            "vocab_size = 512\npath = \"no-such-tokenizer.json\"",
            "tokenizer.path",
            "path = \"no-such",
        ),
        (
            "max_docs = 10",
            "max_docs = 0",
            "dedup.lines.max_docs",
            "max_docs",
        ),
        (
            "[filter.language]",
            "[filter.url]\nblock_domain_files = [\"no-such-list.txt\"]\n\n[filter.language]",
            "filter.url.block_domain_files",
            "block_domain_files",
        ),
        (
            "min_score = 0.5",
            "min_score = 7.5",
            "filter.language.min_score",
            "min_score",
        ),
        (
            "[dedup]",
            "[filter.classifier.quality]\nmodel = \"no-such-model.bin\"\nuse = \"quality\"\nthreshold = 0.5\n\n[dedup]",
            "filter.classifier.quality.model",
            "model =",
        ),
        (
            "dup_line_frac = 0.3",
            "dup_line_frac = 3.0",
            "filter.gopher_repetition.dup_line_frac",
            "dup_line_frac",
        ),
        (
            "seq_len = 128",
            "seq_len = 128\neos_token = \"<|no-such-token|>\"",
            "shard.eos_token",
            "eos_token",
        ),
    ];
    let mut failures = Vec::new();
    for (good, bad, key, marker) in cases {
        let text = validation_job().replacen(good, bad, 1);
        let line = text.lines().position(|l| l.starts_with(marker)).unwrap() + 1;
        let job = write_job(dir.path(), &text);
        let expected = format!("job.toml:{line}: `{key}`");
        for command in ["check", "run"] {
            let mut args = vec![command, job.to_str().unwrap()];
            if command == "run" {
                args.push("--quiet");
            }
            let output = curate()
                .args(&args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            if output.status.success() || !stderr.contains(&expected) {
                failures.push(format!(
                    "{bad:?} ({command}): expected {expected}, got {stderr}"
                ));
            }
        }
        assert!(
            !dir.path().join("runs/valid").exists(),
            "{bad:?}: curate run started the run"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_domain_with_every_document_filtered_out_fails_the_mix_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // General web text runs a profile that no document passes.
    let edit = |t: String| {
        t.replace(
            "[filter.url]",
            "[filter]\nprofile_by_domain = { general = \"impossible\" }\n\n\
             [filter.profile.impossible.gopher_quality]\nmin_doc_words = 50000\n\n[filter.url]",
        )
    };
    let (job, _) = finance_job(dir.path(), edit);
    let stderr = run_err(&["run", job.to_str().unwrap(), "--quiet"]);
    assert!(stderr.contains("stage mix failed"), "{stderr}");
    assert!(stderr.contains("domain general has no tokens"), "{stderr}");
    assert!(stderr.contains("allow_empty_domains"), "{stderr}");

    let (_, run) = finance_job(dir.path(), |t| {
        edit(t).replace("[mix]\n", "[mix]\nallow_empty_domains = true\n")
    });
    run_job(&job);
    let manifest = read_json(&run.join("shards/manifest.json"));
    let domains: Vec<&String> = manifest["mix"]["by_domain"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(domains, ["finance"]);
}

/// One WARC response record holding `html`.
fn warc_response(id: usize, html: &str) -> String {
    let http = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}");
    format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{id:012}>\r\n\
         WARC-Target-URI: http://example.com/{id}\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n\
         Content-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n{http}\r\n\r\n",
        http.len()
    )
}

#[test]
fn a_small_html_work_budget_skips_the_same_pages_whatever_the_threads() {
    let inputs = tempfile::tempdir().unwrap();
    let paragraph = "<p>The river carried sediment from the high mountains down to the wide \
                     sea, and over thousands of years it shaped the valleys and the plains.</p>\n";
    // Four files, each with a short page and a long one: the long pages need more work
    // than the budget allows.
    for file in 0..4 {
        let short = format!(
            "<html><body><article>{}</article></body></html>",
            paragraph.repeat(8)
        );
        let long = format!(
            "<html><body><article>{}</article></body></html>",
            paragraph.repeat(2000 + file * 100)
        );
        let records = warc_response(2 * file, &short) + &warc_response(2 * file + 1, &long);
        fs::write(inputs.path().join(format!("crawl-{file}.warc")), records).unwrap();
    }
    let body = format!(
        r#"[job]
name = "budget"

[[source]]
name = "crawl"
domain = "general"
format = "warc"
paths = ["{}/*.warc"]

[ingest.html]
work_budget = 200000
"#,
        inputs.path().display()
    );
    let mut seen = Vec::new();
    for threads in ["1", "2", "4"] {
        let dir = tempfile::tempdir().unwrap();
        let job = write_job(dir.path(), &body);
        run_ok(&[
            "run",
            job.to_str().unwrap(),
            "--quiet",
            "--threads",
            threads,
        ]);
        let ingest = dir.path().join("runs/budget/01-ingest");
        let record = stage_record(&ingest);
        let skipped = record["summary"]["total"]["skipped"].clone();
        seen.push((read_documents(&ingest), skipped));
    }
    let (documents, skipped) = &seen[0];
    assert_eq!(documents.len(), 4, "the short pages are kept");
    assert_eq!(
        skipped["too_large"], 4,
        "the long pages are skipped: {skipped}"
    );
    for other in &seen[1..] {
        assert_eq!(&other.0, documents);
        assert_eq!(&other.1, skipped);
    }
}

/// Copies a finished run so each damage is checked on its own.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn verify_rejects_every_kind_of_damage() {
    let dir = tempfile::tempdir().unwrap();
    let (job, run) = finance_job(dir.path(), |t| {
        t.replace(
            "shard_bytes = 16384",
            "shard_bytes = 16384\nmegatron = true",
        )
    });
    run_job(&job);
    run_ok(&["verify", run.to_str().unwrap()]);

    type Damage = Box<dyn Fn(&Path)>;
    let manifest_edit = |edit: fn(&mut serde_json::Value)| -> Damage {
        Box::new(move |shards: &Path| {
            let path = shards.join("manifest.json");
            let mut manifest = read_json(&path);
            edit(&mut manifest);
            fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
        })
    };
    let damages: Vec<(&str, Damage)> = vec![
        (
            "a dropped shard entry",
            manifest_edit(|m| {
                m["shards"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "a duplicated entry",
            manifest_edit(|m| {
                let first = m["shards"][0].clone();
                m["shards"].as_array_mut().unwrap().push(first);
            }),
        ),
        (
            "an emptied shard list",
            manifest_edit(|m| m["shards"] = serde_json::json!([])),
        ),
        (
            "a changed eos_id",
            manifest_edit(|m| m["eos_id"] = serde_json::json!(m["eos_id"].as_u64().unwrap() + 1)),
        ),
        (
            "vocab_size raised to 10^9",
            manifest_edit(|m| m["vocab_size"] = serde_json::json!(1_000_000_000u64)),
        ),
        (
            "edited token counts",
            manifest_edit(|m| {
                m["text_tokens"] = serde_json::json!(m["text_tokens"].as_u64().unwrap() + 1)
            }),
        ),
        (
            "an edited share",
            manifest_edit(|m| {
                let by_domain = m["mix"]["by_domain"].as_object_mut().unwrap();
                let (_, first) = by_domain.iter_mut().next().unwrap();
                let share = first["share"].as_f64().unwrap();
                first["share"] = serde_json::json!(share / 2.0);
            }),
        ),
        (
            "an edited seed",
            manifest_edit(|m| m["seed"] = serde_json::json!(m["seed"].as_u64().unwrap() + 1)),
        ),
        (
            "an edited job_fingerprint",
            manifest_edit(|m| m["job_fingerprint"] = serde_json::json!("0123456789abcdef")),
        ),
        (
            "a stray .arrow file",
            Box::new(|shards: &Path| {
                fs::copy(
                    shards.join("data-00000-of-00002.arrow"),
                    shards.join("data-stray.arrow"),
                )
                .map(|_| ())
                .or_else(|_| fs::write(shards.join("data-stray.arrow"), b"stray"))
                .unwrap();
            }),
        ),
        (
            "a flipped byte in megatron/data.bin",
            Box::new(|shards: &Path| {
                let path = shards.join("megatron/data.bin");
                let mut bytes = fs::read(&path).unwrap();
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x40;
                fs::write(&path, bytes).unwrap();
            }),
        ),
        (
            "megatron/data.idx truncated to 100 bytes",
            Box::new(|shards: &Path| {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(shards.join("megatron/data.idx"))
                    .unwrap();
                file.set_len(100).unwrap();
            }),
        ),
    ];
    let mut missed = Vec::new();
    for (index, (name, damage)) in damages.iter().enumerate() {
        // The whole run: verify checks the shards against its records and resolved job.
        let copy = dir.path().join(format!("damaged-{index}/finance"));
        copy_dir(&run, &copy);
        damage(&copy.join("shards"));
        let output = curate().args(["verify"]).arg(&copy).output().unwrap();
        if output.status.success() {
            missed.push(*name);
        }
    }
    assert!(missed.is_empty(), "curate verify accepted: {missed:?}");
}

/// A JSONL file of three documents, the middle one a single line of `long` bytes.
fn write_long_line_corpus(path: &Path, long: usize) {
    let mut file = std::io::BufWriter::new(File::create(path).unwrap());
    writeln!(
        file,
        r#"{{"id": "a", "text": "The first document is short."}}"#
    )
    .unwrap();
    write!(file, r#"{{"id": "huge", "text": ""#).unwrap();
    let chunk = "word ".repeat(1 << 16);
    let mut written = 0;
    while written < long {
        file.write_all(chunk.as_bytes()).unwrap();
        written += chunk.len();
    }
    writeln!(file, r#""}}"#).unwrap();
    writeln!(
        file,
        r#"{{"id": "c", "text": "The last document is short too."}}"#
    )
    .unwrap();
}

#[test]
fn a_jsonl_line_over_max_doc_bytes_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("long.jsonl");
    write_long_line_corpus(&corpus, 64 << 20);
    let job = write_job(
        dir.path(),
        &format!(
            "[job]\nname = \"long\"\n\n[[source]]\nname = \"long\"\ndomain = \"general\"\n\
             format = \"jsonl\"\npaths = [\"{}\"]\n\n[ingest]\nmax_doc_bytes = 1048576\n",
            corpus.display()
        ),
    );
    run_ok(&["run", job.to_str().unwrap(), "--quiet"]);
    let ingest = dir.path().join("runs/long/01-ingest");
    let ids: Vec<String> = read_documents(&ingest).into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["a", "c"]);
    let record = stage_record(&ingest);
    assert_eq!(
        record["summary"]["total"]["skipped"]["too_large"], 1,
        "{record:#}"
    );
}

#[test]
fn a_resumed_stage_counts_the_seconds_of_the_interrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let (job, run) = finance_job(dir.path(), |t| t);
    run_ok(&["run", job.to_str().unwrap(), "--quiet", "--until", "ingest"]);
    let ingest = run.join("01-ingest");
    // As a run killed after all but one partition leaves it: running, and the time spent
    // up to its last finished partition.
    let mut record = stage_record(&ingest);
    record["status"] = serde_json::json!("running");
    record["seconds"] = serde_json::json!(1000.0);
    let done = record["partitions_done"].as_object_mut().unwrap();
    let last = done.keys().next_back().unwrap().clone();
    done.remove(&last);
    fs::write(
        ingest.join("_stage.json"),
        serde_json::to_vec_pretty(&record).unwrap(),
    )
    .unwrap();
    run_ok(&["run", job.to_str().unwrap(), "--quiet", "--until", "ingest"]);
    let seconds = stage_record(&ingest)["seconds"].as_f64().unwrap();
    assert!(seconds >= 1000.0, "resumed ingest says {seconds} s");
}

#[test]
fn check_piped_into_a_closed_reader_exits_quietly() {
    let job = repo_root().join("jobs/finance.toml");
    let mut child = curate()
        .args(["check", job.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the first byte, like `| head -0`.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.status.success(), "{stderr}");
}

#[test]
fn warnings_written_to_a_file_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("bad.jsonl");
    fs::write(&corpus, "{\"text\": \"fine\"}\n{broken\n").unwrap();
    let job = write_job(
        dir.path(),
        &format!(
            "[job]\nname = \"warn\"\n\n[[source]]\nname = \"bad\"\ndomain = \"general\"\n\
             format = \"jsonl\"\npaths = [\"{}\"]\n",
            corpus.display()
        ),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_curate"))
        .args(["run", job.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

#[test]
fn query_refuses_ddl_as_read_only_and_reads_runs_under_glob_characters() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("runs [1] *");
    let (job, _) = finance_job(dir.path(), |t| t);
    run_ok(&[
        "run",
        job.to_str().unwrap(),
        "--quiet",
        "--until",
        "filter",
        "--output-dir",
        odd.to_str().unwrap(),
    ]);
    let run = odd.join("finance");
    let documents = read_documents(&run.join("01-ingest")).len() as u64;
    assert_eq!(query_count(&run, "SELECT count(*) FROM ingest"), documents);

    let stderr = run_err(&[
        "query",
        run.to_str().unwrap(),
        "CREATE TABLE t AS SELECT * FROM ingest",
    ]);
    assert!(stderr.contains("read-only"), "{stderr}");
    assert!(!stderr.contains("unknown table"), "{stderr}");
}
