//! `curate train-tokenizer` and `curate count` on loose files.

use curate_tokenizer::BpeTokenizer;

use crate::support::*;

#[test]
fn count_matches_reference_counts_for_c4() {
    let corpora = corpora();
    let tokenizer = corpora.join("reference_tokenizers/gpt-neo-test-tokenizer.json.gz");
    let files: Vec<String> = (1..=3)
        .map(|i| {
            corpora
                .join(format!("web_text_jsonl/c4-sample.0{i}.json.gz"))
                .display()
                .to_string()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let per_doc = dir.path().join("counts.jsonl");
    let mut args = vec![
        "count",
        "--tokenizer",
        tokenizer.to_str().unwrap(),
        "-o",
        per_doc.to_str().unwrap(),
    ];
    args.extend(files.iter().map(String::as_str));
    let stdout = String::from_utf8(run_ok(&args).stdout).unwrap();
    // Python `tokenizers` 0.23.3 with this file: 3,238 + 4,676 + 3,897 tokens.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines[0].contains("\t10 documents\t") && lines[0].ends_with("\t3238 tokens"),
        "{stdout}"
    );
    assert!(lines[1].contains("\t10 documents\t") && lines[1].ends_with("\t4676 tokens"));
    assert!(lines[2].contains("\t10 documents\t") && lines[2].ends_with("\t3897 tokens"));
    assert!(lines[3].starts_with("total\t30 documents\t") && lines[3].ends_with("\t11811 tokens"));

    // The reference file's per-document counts, line by line.
    let reference = std::fs::read_to_string(
        corpora.join("reference_tokenizers/gpt-neo-test-tokenizer.expected_counts.jsonl"),
    )
    .unwrap();
    let expected: Vec<u64> = reference
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| {
            v["corpus_file"]
                .as_str()
                .unwrap()
                .starts_with("web_text_jsonl/c4-sample")
        })
        .map(|v| v["n_tokens"].as_u64().unwrap())
        .collect();
    let written: Vec<u64> = std::fs::read_to_string(&per_doc)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["tokens"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(written, expected);
}

#[test]
fn trained_tokenizer_counts_what_it_encodes() {
    let fixtures = repo_root().join("fixtures");
    let inputs = [
        fixtures.join("finance/news.jsonl"),
        fixtures.join("general/web.jsonl"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("tokenizer.json");
    run_ok(&[
        "train-tokenizer",
        inputs[0].to_str().unwrap(),
        inputs[1].to_str().unwrap(),
        "--vocab-size",
        "400",
        "-o",
        output.to_str().unwrap(),
    ]);
    let tokenizer = BpeTokenizer::from_file(&output)
        .unwrap()
        .with_special_tokens_as_text(true);
    assert_eq!(tokenizer.eos_id(), Some(0));
    assert!(tokenizer.vocab_size() <= 400 && tokenizer.vocab_size() > 257);

    // Training twice on the same input gives the same file.
    let again = dir.path().join("again.json");
    run_ok(&[
        "train-tokenizer",
        inputs[0].to_str().unwrap(),
        inputs[1].to_str().unwrap(),
        "--vocab-size",
        "400",
        "-o",
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&output).unwrap(),
        std::fs::read(&again).unwrap()
    );

    let mut expected = 0;
    for input in &inputs {
        for line in std::fs::read_to_string(input).unwrap().lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            expected += tokenizer.count(record["text"].as_str().unwrap()).unwrap();
        }
    }
    let stdout = String::from_utf8(
        run_ok(&[
            "count",
            "--tokenizer",
            output.to_str().unwrap(),
            inputs[0].to_str().unwrap(),
            inputs[1].to_str().unwrap(),
        ])
        .stdout,
    )
    .unwrap();
    let total = stdout.lines().last().unwrap();
    assert!(total.ends_with(&format!("\t{expected} tokens")), "{stdout}");
}
