//! `curate query` on the fixtures run: the README's examples give what reading the Parquet
//! outputs independently gives, in every output format; unknown tables are named; the
//! text column is not read unless a query asks for it.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::UInt64Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::support::*;

fn query(run_dir: &Path, sql: &str, format: &str) -> String {
    let output = run_ok(&["query", run_dir.to_str().unwrap(), sql, "--format", format]);
    String::from_utf8(output.stdout).unwrap()
}

/// (id, source, domain, text bytes, token_count) of every count row.
fn counted(run_dir: &Path) -> Vec<(String, String, String, u64)> {
    let mut rows = Vec::new();
    for batch in read_batches(&run_dir.join("04-count")) {
        let (ids, sources, domains) = (
            utf8_column(&batch, "id"),
            utf8_column(&batch, "source"),
            utf8_column(&batch, "domain"),
        );
        let counts = primitive_column::<UInt64Type>(&batch, "token_count");
        for row in 0..batch.num_rows() {
            rows.push((
                ids.value(row).to_owned(),
                sources.value(row).to_owned(),
                domains.value(row).to_owned(),
                counts.value(row),
            ));
        }
    }
    rows
}

const TOKENS_PER_DOMAIN: &str =
    "SELECT domain, sum(token_count) AS tokens FROM count GROUP BY domain ORDER BY domain";
const TOP_DROP_REASONS: &str = "SELECT stage, reason, count(*) AS documents FROM drops \
     GROUP BY stage, reason ORDER BY documents DESC, reason LIMIT 10";
const LONGEST_KEPT: &str =
    "SELECT id, source, token_count FROM count ORDER BY token_count DESC, id LIMIT 3";

#[test]
fn readme_examples_answer_on_the_fixtures_run() {
    let (_out, run_dir) = run_finance_job(&[]);
    let rows = counted(&run_dir);

    // Tokens per domain.
    let mut per_domain: BTreeMap<String, u64> = BTreeMap::new();
    for (_, _, domain, tokens) in &rows {
        *per_domain.entry(domain.clone()).or_default() += tokens;
    }
    let expected: String = std::iter::once("domain,tokens\n".to_owned())
        .chain(per_domain.iter().map(|(d, t)| format!("{d},{t}\n")))
        .collect();
    assert_eq!(query(&run_dir, TOKENS_PER_DOMAIN, "csv"), expected);
    assert_eq!(expected, "domain,tokens\nfinance,1177\ngeneral,1186\n");

    // The most common drop reasons over filter's rejected and dedup's removed documents.
    let mut reasons: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (stage, dir) in [
        ("filter", "02-filter/rejected"),
        ("dedup", "03-dedup/removed"),
    ] {
        for batch in read_batches(&run_dir.join(dir)) {
            let column = utf8_column(&batch, "reason");
            for row in 0..batch.num_rows() {
                *reasons
                    .entry((stage.to_owned(), column.value(row).to_owned()))
                    .or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<((String, String), u64)> = reasons.into_iter().collect();
    ranked.sort_by(|(ka, a), (kb, b)| b.cmp(a).then(ka.1.cmp(&kb.1)));
    let expected: String = std::iter::once("stage,reason,documents\n".to_owned())
        .chain(
            ranked
                .iter()
                .take(10)
                .map(|((stage, reason), n)| format!("{stage},{reason},{n}\n")),
        )
        .collect();
    assert_eq!(query(&run_dir, TOP_DROP_REASONS, "csv"), expected);
    assert!(expected.starts_with("stage,reason,documents\nfilter,too_few_sentences,4\n"));

    // The longest kept documents, as a JSON array.
    let mut longest = rows.clone();
    longest.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(&b.0)));
    let json: serde_json::Value =
        serde_json::from_str(&query(&run_dir, LONGEST_KEPT, "json")).unwrap();
    let expected: Vec<serde_json::Value> = longest
        .iter()
        .take(3)
        .map(|(id, source, _, tokens)| {
            serde_json::json!({"id": id, "source": source, "token_count": tokens})
        })
        .collect();
    assert_eq!(json, serde_json::Value::Array(expected));

    // The terminal table has the same numbers.
    let table = query(&run_dir, TOKENS_PER_DOMAIN, "table");
    assert!(table.contains("| finance | 1177   |"), "{table}");
}

#[test]
fn every_table_of_the_run_is_there() {
    let (_out, run_dir) = run_finance_job(&[]);
    let csv = query(
        &run_dir,
        "SELECT (SELECT count(*) FROM ingest) AS ingest, (SELECT count(*) FROM filter) AS filter, \
         (SELECT count(*) FROM rejected) AS rejected, (SELECT count(*) FROM dedup) AS dedup, \
         (SELECT count(*) FROM removed) AS removed, (SELECT count(*) FROM count) AS counted, \
         (SELECT sum(copies) FROM selection) AS copies",
        "csv",
    );
    let copies: u64 = {
        let file = File::open(run_dir.join("05-mix/selection.parquet")).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| {
                let b = b.unwrap();
                b.column_by_name("copies")
                    .unwrap()
                    .as_primitive::<arrow::datatypes::UInt32Type>()
                    .values()
                    .iter()
                    .map(|c| u64::from(*c))
                    .sum::<u64>()
            })
            .sum()
    };
    assert_eq!(
        csv,
        format!("ingest,filter,rejected,dedup,removed,counted,copies\n18,9,9,7,2,7,{copies}\n")
    );

    let error = run_err(&["query", run_dir.to_str().unwrap(), "SELECT * FROM nope"]);
    let mut tables = vec![
        "count",
        "dedup",
        "drops",
        "filter",
        "ingest",
        "rejected",
        "removed",
        "selection",
    ];
    if run_dir.join("shards/manifest.json").is_file() {
        tables.push("shards");
    }
    let expected = format!("unknown table `nope`; the run has: {}", tables.join(", "));
    assert!(error.contains(&expected), "{error}");
    let error = run_err(&["query", run_dir.to_str().unwrap(), "DROP TABLE count"]);
    assert!(error.contains("DDL not supported"), "{error}");
}

#[test]
fn queries_read_only_the_columns_they_name() {
    let (_out, run_dir) = run_finance_job(&[]);
    let plan = query(
        &run_dir,
        "EXPLAIN SELECT domain, sum(token_count) FROM count GROUP BY domain",
        "csv",
    );
    let scan = plan
        .lines()
        .find(|l| l.contains("DataSourceExec"))
        .unwrap_or_else(|| panic!("no scan in\n{plan}"));
    assert!(scan.contains("projection=[domain, token_count]"), "{scan}");
    assert!(
        !scan.contains("text") && !scan.contains("input_ids"),
        "{scan}"
    );
}

#[test]
fn results_write_as_parquet_and_shards_come_from_the_manifest() {
    let (out, run_dir) = run_finance_job(&[]);
    let file = out.path().join("longest.parquet");
    run_ok(&[
        "query",
        run_dir.to_str().unwrap(),
        LONGEST_KEPT,
        "--format",
        "parquet",
        "-o",
        file.to_str().unwrap(),
    ]);
    let batches: Vec<_> = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 3);
    let error = run_err(&[
        "query",
        run_dir.to_str().unwrap(),
        LONGEST_KEPT,
        "--format",
        "parquet",
    ]);
    assert!(error.contains("-o FILE"), "{error}");

    // The shard stage's own manifest, read here as plain JSON.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("shards/manifest.json")).unwrap())
            .unwrap();
    let files = manifest["shards"].as_array().unwrap();
    assert_eq!(
        query(
            &run_dir,
            "SELECT count(*) AS files, sum(sequences) AS sequences, sum(tokens) AS tokens FROM shards",
            "csv"
        ),
        format!(
            "files,sequences,tokens\n{},{},{}\n",
            files.len(),
            manifest["sequences"],
            manifest["tokens"]
        )
    );
}
