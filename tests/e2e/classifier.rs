//! Trained classifiers through the binary: `curate train-classifier` on real corpora,
//! `curate tag --classifier`, and `[filter.classifier.*]` in a job (drop, combine with the
//! word list, route to the finance domain) with exact counts.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::Float32Type;

use crate::support::*;

/// Trains a model with `curate train-classifier`; returns its path and evaluation.
fn train(
    dir: &Path,
    name: &str,
    positive: &[PathBuf],
    negative: &[PathBuf],
) -> (PathBuf, serde_json::Value) {
    let model = dir.join(format!("{name}.clf"));
    let mut args: Vec<String> = vec!["train-classifier".into(), "--positive".into()];
    args.extend(positive.iter().map(|p| p.display().to_string()));
    args.push("--negative".into());
    args.extend(negative.iter().map(|p| p.display().to_string()));
    args.extend([
        "--seed".into(),
        "1".into(),
        "-o".into(),
        model.display().to_string(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run_ok(&refs);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ROC AUC"), "{stderr}");
    let eval_path = dir.join(format!("{name}.clf.eval.json"));
    let eval: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&eval_path).unwrap()).unwrap();
    (model, eval)
}

struct Models {
    _dir: tempfile::TempDir,
    finance: PathBuf,
    toxic: PathBuf,
}

/// The web text of the shared corpora the models are trained against: the C4, CCNet and
/// Paloma samples and DCLM's human-labelled pages.
fn web_text() -> Vec<PathBuf> {
    let corpora = corpora();
    [
        "c4-sample.01.json.gz",
        "c4-sample.02.json.gz",
        "c4-sample.03.json.gz",
        "c4_100_domains_5_www.theguardian.com_00000000.jsonl.gz",
        "cc_en_head-0091.jsonl.gz",
    ]
    .iter()
    .map(|f| corpora.join("web_text_jsonl").join(f))
    .chain(std::iter::once(
        corpora.join("dclm_quality_labels/dclm_human_quality_labels.jsonl"),
    ))
    .collect()
}

/// Trains the finance router (earnings calls against web text and 4chan threads) into
/// `dir`; returns the model, its evaluation, and the negative examples.
fn finance_router(dir: &Path) -> (PathBuf, serde_json::Value, Vec<PathBuf>) {
    let corpora = corpora();
    let ectsum = corpora.join("ectsum_earnings_calls/ectsum_train.jsonl.gz");
    let mut general = web_text();
    general.push(corpora.join("toxic_web_4chan/4chan_00000000.jsonl.gz"));
    let (finance, eval) = train(dir, "finance", std::slice::from_ref(&ectsum), &general);
    (finance, eval, general)
}

/// A finance router (earnings calls vs web text) and a toxicity model (4chan threads vs
/// earnings calls and web text), trained on the shared corpora. The web text: the C4,
/// CCNet and Paloma samples, DCLM's human-labelled pages, and (for the router) 4chan.
fn models() -> Models {
    let dir = tempfile::tempdir().unwrap();
    let corpora = corpora();
    let ectsum = corpora.join("ectsum_earnings_calls/ectsum_train.jsonl.gz");
    let chan = corpora.join("toxic_web_4chan/4chan_00000000.jsonl.gz");
    let web = web_text();
    let (finance, eval, general) = finance_router(dir.path());
    // 1,681 transcripts against 50 + 333 web documents and 424 threads, a tenth held
    // out by id.
    let held = &eval["held_out"];
    assert_eq!(
        eval["train_documents"].as_u64().unwrap() + held["documents"].as_u64().unwrap(),
        1_681 + 50 + 333 + 424
    );
    assert!(held["roc_auc"].as_f64().unwrap() > 0.99, "{eval}");
    assert_eq!(
        eval["thresholds_for_retention"].as_array().unwrap().len(),
        4
    );

    let mut clean = web;
    clean.push(ectsum);
    let (toxic, eval) = train(dir.path(), "toxic", &[chan], &clean);
    assert!(
        eval["held_out"]["roc_auc"].as_f64().unwrap() > 0.95,
        "{eval}"
    );

    // Same inputs, same seed: the same bytes.
    let again = dir.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    let (finance_again, _) = train(
        &again,
        "finance",
        &[corpora.join("ectsum_earnings_calls/ectsum_train.jsonl.gz")],
        &general,
    );
    assert_eq!(
        std::fs::read(&finance).unwrap(),
        std::fs::read(&finance_again).unwrap()
    );
    Models {
        _dir: dir,
        finance,
        toxic,
    }
}

/// A small general-domain source: two finance paragraphs (to be routed) and two that are
/// not. Also written where `curate tag` reads it.
const BLOG: &str = r#"{"id": "blog-1", "text": "Revenue for the quarter grew 12% year over year to $4.2 billion, and operating margin expanded by 150 basis points. We are raising our full-year guidance for earnings per share, and we expect free cash flow to exceed $1 billion as we continue to return capital to shareholders through dividends and buybacks."}
{"id": "blog-2", "text": "Our tomato seedlings finally went into the raised beds this weekend. We mixed in two bags of compost, watered them well and put up a little net to keep the birds off. If the weather holds, the first fruit should come in about eight weeks."}
{"id": "blog-3", "text": "Net interest income increased to $512 million in the third quarter, driven by higher loan balances and deposit pricing discipline. Our capital ratios remain strong, and we repurchased 2 million shares during the quarter while maintaining our quarterly dividend."}
{"id": "blog-4", "text": "The village fete is on Saturday from ten until four. There will be a cake stall, a dog show and a tug of war between the two pubs, and the brass band is playing on the green after lunch. Bring a chair if you want to sit down."}
"#;

/// The three sources (finance news, general web and blog), the toxicity word list and the
/// finance router, under a `[job]` named `name` with `job_keys` (lines) added.
fn routed_job_header(name: &str, job_keys: &str, finance: &Path, blog: &Path) -> String {
    let root = repo_root();
    format!(
        r#"[job]
name = "{name}"
{job_keys}

[[source]]
name = "news"
domain = "finance"
format = "jsonl"
paths = ["{news}"]

[[source]]
name = "web"
domain = "general"
format = "jsonl"
paths = ["{web}"]

[[source]]
name = "blog"
domain = "general"
format = "jsonl"
paths = ["{blog}"]

[filter.toxicity]
word_files = ["{words}"]

[filter.classifier.finance]
model = "{finance}"
use = "domain"
domain = "finance"
threshold = 0.9
"#,
        news = root.join("fixtures/finance/news.jsonl").display(),
        web = root.join("fixtures/general/web.jsonl").display(),
        blog = blog.display(),
        words = root.join("fixtures/lists/toxic_words.txt").display(),
        finance = finance.display(),
    )
}

fn job_text(finance: &Path, toxic: &Path, blog: &Path, combine: &str) -> String {
    format!(
        r#"{header}
# Trained on 4chan threads, the model scores one-line insults low: this threshold makes
# it flag the insult (about 0.08) and the watch spam (about 0.31), nothing else.
[filter.classifier.toxic]
model = "{toxic}"
use = "toxicity"
threshold = 0.05
combine = "{combine}"
"#,
        header = routed_job_header("clf", "", finance, blog),
        toxic = toxic.display(),
    )
}

/// Runs the job with `combine`; returns the filter stage's directory.
fn run_job(dir: &Path, models: &Models, combine: &str) -> PathBuf {
    let blog = dir.join("blog.jsonl");
    std::fs::write(&blog, BLOG).unwrap();
    let job = write_job(
        dir,
        &job_text(&models.finance, &models.toxic, &blog, combine),
    );
    run_ok(&["run", job.to_str().unwrap(), "--quiet"]);
    dir.join("runs/clf/02-filter")
}

#[test]
fn classifiers_in_a_job_drop_combine_and_route_with_exact_counts() {
    let models = models();

    // combine = "either": the word list drops the insult (it runs first), the model the
    // spam page.
    let dir = tempfile::tempdir().unwrap();
    let stage = run_job(dir.path(), &models, "either");
    let record = stage_record(&stage);
    let summary = &record["summary"];
    assert_eq!(summary["total"]["input"]["documents"], 16);
    assert_eq!(summary["total"]["output"]["documents"], 14);
    assert_eq!(
        summary["total"]["dropped_by"],
        serde_json::json!({
            "toxicity": {"documents": 1, "bytes": 127},
            "classifier.toxic": {"documents": 1, "bytes": 391},
        })
    );
    assert_eq!(
        summary["total"]["dropped"],
        serde_json::json!({
            "toxicity_bad_word_count": {"documents": 1, "bytes": 127},
            "classifier_toxic": {"documents": 1, "bytes": 391},
        })
    );
    // The two finance paragraphs of the general blog, nothing else.
    assert_eq!(
        summary["routed"],
        serde_json::json!({"finance": {
            "domain": "finance",
            "total": {"documents": 2, "bytes": 569},
            "by_source": {"blog": {"documents": 2, "bytes": 569}},
        }})
    );
    let docs = read_documents(&stage);
    let domains: Vec<(String, String)> = docs
        .iter()
        .filter(|d| d.source == "blog")
        .map(|d| (d.id.clone(), d.domain.clone()))
        .collect();
    assert_eq!(
        domains,
        [
            ("blog-1", "finance"),
            ("blog-2", "general"),
            ("blog-3", "finance"),
            ("blog-4", "general"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    // Scores are columns of the output, one per classifier.
    let batches = read_batches(&stage);
    let mut finance_scores = Vec::new();
    for batch in &batches {
        for column in ["finance_score", "toxic_score"] {
            let scores = batch
                .column_by_name(column)
                .unwrap_or_else(|| panic!("no {column}"))
                .as_primitive::<Float32Type>();
            assert_eq!(scores.null_count(), 0);
        }
        let ids = utf8_column(batch, "id");
        let scores = batch
            .column_by_name("finance_score")
            .unwrap()
            .as_primitive::<Float32Type>();
        for row in 0..batch.num_rows() {
            finance_scores.push((ids.value(row).to_owned(), scores.value(row)));
        }
    }
    let routed_or_finance = |id: &str| id.starts_with("fn-") || id == "blog-1" || id == "blog-3";
    assert_eq!(finance_scores.len(), 14);
    for (id, score) in &finance_scores {
        if id.starts_with("gw-") || id == "blog-2" || id == "blog-4" {
            assert!(*score < 0.9, "{id}: {score}");
        } else {
            assert!(routed_or_finance(id), "{id}");
        }
    }

    // combine = "classifier": the word list no longer decides; the model drops both.
    let dir = tempfile::tempdir().unwrap();
    let stage = run_job(dir.path(), &models, "classifier");
    let summary = &stage_record(&stage)["summary"];
    assert_eq!(summary["total"]["output"]["documents"], 14);
    assert_eq!(
        summary["total"]["dropped_by"],
        serde_json::json!({"classifier.toxic": {"documents": 2, "bytes": 127 + 391}})
    );

    // combine = "both": only the insult, which both flag.
    let dir = tempfile::tempdir().unwrap();
    let stage = run_job(dir.path(), &models, "both");
    let summary = &stage_record(&stage)["summary"];
    assert_eq!(summary["total"]["output"]["documents"], 15);
    assert_eq!(
        summary["total"]["dropped"],
        serde_json::json!({"classifier_and_word_list_toxic": {"documents": 1, "bytes": 127}})
    );

    // `curate tag --classifier` scores ad hoc, with a keep column for the threshold.
    let out = tempfile::tempdir().unwrap();
    let tags = out.path().join("tags.jsonl");
    let news = repo_root().join("fixtures/finance/news.jsonl");
    let web = repo_root().join("fixtures/general/web.jsonl");
    let blog = out.path().join("blog.jsonl");
    std::fs::write(&blog, BLOG).unwrap();
    let spec = format!("finance={}:0.9", models.finance.display());
    let output = run_ok(&[
        "tag",
        "--format",
        "jsonl",
        "-o",
        tags.to_str().unwrap(),
        "--filters",
        "gopher_quality",
        "--classifier",
        &spec,
        news.to_str().unwrap(),
        web.to_str().unwrap(),
        blog.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("finance: score thresholds that keep 50% at"),
        "{stderr}"
    );
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&tags)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 16);
    let keeps: Vec<(String, bool)> = rows
        .iter()
        .map(|r| {
            assert!(r["finance_score"].is_number(), "{r}");
            assert!(r["gopher_quality"].is_string(), "{r}");
            (
                r["id"].as_str().unwrap().to_owned(),
                r["finance_keep"].as_bool().unwrap(),
            )
        })
        .collect();
    let kept: Vec<&str> = keeps
        .iter()
        .filter(|(_, k)| *k)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(kept, ["blog-1", "blog-3"]);
}

#[test]
fn classifier_errors_name_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let news = repo_root().join("fixtures/finance/news.jsonl");
    let base = format!(
        "[job]\nname = \"bad\"\n\n[[source]]\nname = \"news\"\ndomain = \"finance\"\nformat = \"jsonl\"\npaths = [\"{}\"]\n\n",
        news.display()
    );
    let job = write_job(
        dir.path(),
        &format!(
            "{base}[filter.classifier.quality]\nmodel = \"missing.clf\"\nuse = \"quality\"\nthreshold = 0.5\n"
        ),
    );
    let stderr = run_err(&["run", job.to_str().unwrap(), "--quiet"]);
    assert!(stderr.contains("filter.classifier.quality"), "{stderr}");
    assert!(stderr.contains("missing.clf"), "{stderr}");

    let job = write_job(
        dir.path(),
        &format!(
            "{base}[filter.classifier.quality]\nmodel = \"missing.clf\"\nuse = \"quality\"\nkeep_fraction = 0.1\n"
        ),
    );
    let stderr = run_err(&["run", job.to_str().unwrap(), "--quiet"]);
    assert!(
        stderr.contains("keep_fraction = 0.1 is not supported in a job"),
        "{stderr}"
    );

    // A file that is not a model.
    let not_a_model = dir.path().join("words.clf");
    std::fs::write(&not_a_model, "idiot\nmoron\n").unwrap();
    let job = write_job(
        dir.path(),
        &format!(
            "{base}[filter.classifier.toxic]\nmodel = \"words.clf\"\nuse = \"toxicity\"\nthreshold = 0.5\n"
        ),
    );
    let stderr = run_err(&["run", job.to_str().unwrap(), "--quiet"]);
    assert!(stderr.contains("words.clf"), "{stderr}");
    assert!(stderr.contains("not a curate classifier model"), "{stderr}");
}

/// Rows of the shards' `documents` column: `(source, domain, id)` per stretch.
fn shard_stretches(shards: &Path) -> Vec<(String, String, String)> {
    let manifest = read_json(&shards.join("manifest.json"));
    let mut stretches = Vec::new();
    for shard in manifest["shards"].as_array().unwrap() {
        let file = std::fs::File::open(shards.join(shard["file"].as_str().unwrap())).unwrap();
        let reader =
            arrow::ipc::reader::StreamReader::try_new(std::io::BufReader::new(file), None).unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let documents = batch.column_by_name("documents").unwrap().as_list::<i32>();
            for row in 0..batch.num_rows() {
                let segments = documents.value(row);
                let segments = segments.as_struct();
                let text = |name: &str, i: usize| {
                    segments
                        .column_by_name(name)
                        .unwrap()
                        .as_string::<i32>()
                        .value(i)
                        .to_owned()
                };
                for i in 0..segments.len() {
                    stretches.push((text("source", i), text("domain", i), text("id", i)));
                }
            }
        }
    }
    stretches
}

#[test]
fn routed_documents_count_toward_their_new_domains_share() {
    let dir = tempfile::tempdir().unwrap();
    let (finance, _, _) = finance_router(dir.path());
    let blog = dir.path().join("blog.jsonl");
    std::fs::write(&blog, BLOG).unwrap();
    let job = write_job(
        dir.path(),
        &format!(
            r#"{header}
[tokenizer]
vocab_size = 512
special_tokens = ["<|endoftext|>"]

[mix]
max_epochs = 4.0
total = "all"

[mix.shares]
finance = 0.51
general = 0.49

[shard]
seq_len = 64
remainder = "pad"
"#,
            header = routed_job_header("routed", "seed = 7", &finance, &blog),
        ),
    );
    run_ok(&["run", job.to_str().unwrap(), "--quiet"]);
    let run_dir = dir.path().join("runs/routed");

    // The count parts carry each document's own domain: the two finance paragraphs of the
    // general blog, routed, and nothing else.
    let counted = read_counted(&run_dir.join("04-count"));
    let routed: Vec<&str> = counted
        .iter()
        .filter(|d| d.source != "news" && d.domain == "finance")
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(routed, ["blog-1", "blog-3"]);

    // Tokens per slice (source, document domain), and per domain by the documents' own
    // domains: the routed paragraphs count toward finance, their source stays general.
    let mut slices: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for doc in &counted {
        *slices
            .entry((doc.source.clone(), doc.domain.clone()))
            .or_default() += doc.token_count;
    }
    let keys: Vec<(&str, &str)> = slices
        .keys()
        .map(|(s, d)| (s.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("blog", "finance"),
            ("blog", "general"),
            ("news", "finance"),
            ("web", "general"),
        ]
    );
    let counts = &stage_record(&run_dir.join("04-count"))["summary"];
    for ((source, domain), tokens) in &slices {
        assert_eq!(
            counts["by_slice"][source][domain]["tokens"], *tokens,
            "{source}/{domain}"
        );
    }
    let blog_finance = slices[&("blog".into(), "finance".into())];
    let blog_general = slices[&("blog".into(), "general".into())];
    let news = slices[&("news".into(), "finance".into())];
    let web = slices[&("web".into(), "general".into())];
    assert!(blog_finance > 0 && blog_general > 0);
    assert_eq!(
        counts["by_domain"]["finance"]["tokens"],
        news + blog_finance
    );
    assert_eq!(counts["by_domain"]["general"]["tokens"], web + blog_general);
    assert_eq!(counts["by_domain"]["finance"]["documents"], 6 + 2);
    assert_eq!(counts["by_source"]["blog"]["domain"], "general");
    assert_eq!(
        counts["by_source"]["blog"]["tokens"],
        blog_finance + blog_general
    );

    // The plan has one rate per slice, exactly the planner's for these slices: the routed
    // slice shares the finance target with `news`.
    let plan = read_json(&run_dir.join("05-mix/plan.json"));
    let expected = curate_tokenizer::mix::plan_mix(&curate_tokenizer::mix::MixInput {
        sources: slices
            .iter()
            .map(
                |((name, domain), tokens)| curate_tokenizer::mix::SourceTokens {
                    name: name.clone(),
                    domain: domain.clone(),
                    tokens: *tokens,
                    weight: None,
                },
            )
            .collect(),
        shares: [("finance".to_string(), 0.51), ("general".to_string(), 0.49)].into(),
        max_epochs: 4.0,
        total: curate_tokenizer::mix::MixTotal::Everything,
        on_shortfall: Default::default(),
    })
    .unwrap();
    assert_eq!(
        plan["plan"],
        serde_json::to_value(&expected).unwrap(),
        "the plan is the planner's over the slices"
    );
    let planned: Vec<(String, String, u64, f64)> = plan["plan"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["domain"].as_str().unwrap().to_owned(),
                s["available_tokens"].as_u64().unwrap(),
                s["rate"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(planned.len(), 4);
    assert_eq!(
        (planned[0].0.as_str(), planned[0].1.as_str(), planned[0].2),
        ("blog", "finance", blog_finance)
    );
    assert!(planned[0].3 > 0.0);
    let finance_plan = &plan["plan"]["domains"][0];
    assert_eq!(finance_plan["domain"], "finance");
    assert_eq!(finance_plan["available_tokens"], news + blog_finance);
    assert_eq!(
        finance_plan["planned_tokens"].as_u64().unwrap(),
        expected.sources[0].planned_tokens + expected.sources[2].planned_tokens
    );

    // The selection gives each slice its planned tokens to within a document, and the
    // summary's realised tokens per domain are the selected copies by document domain.
    let selection = read_selection(&run_dir.join("05-mix"));
    let mut realised: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for doc in &counted {
        let copies = selection
            .get(&(doc.source.clone(), doc.id.clone()))
            .copied()
            .unwrap_or(0);
        *realised
            .entry((doc.source.clone(), doc.domain.clone()))
            .or_default() += u64::from(copies) * doc.token_count;
    }
    let chosen = &plan["selection"];
    assert_eq!(chosen["blog"]["domain"], "general");
    for domain in ["finance", "general"] {
        let slice = &chosen["blog"]["slices"][domain];
        assert_eq!(
            slice["realised_tokens"],
            realised[&("blog".into(), domain.into())],
            "{domain}"
        );
        assert_eq!(slice["documents"], 2, "{domain}");
    }
    assert!(
        chosen["news"].get("slices").is_none(),
        "a source in one domain is one slice"
    );
    let realised_finance =
        realised[&("news".into(), "finance".into())] + realised[&("blog".into(), "finance".into())];
    let realised_general =
        realised[&("web".into(), "general".into())] + realised[&("blog".into(), "general".into())];
    assert!(realised[&("blog".into(), "finance".into())] > 0);
    let summary = &plan["summary"];
    assert_eq!(
        summary["by_domain"]["finance"]["realised_tokens"],
        realised_finance
    );
    assert_eq!(
        summary["by_domain"]["general"]["realised_tokens"],
        realised_general
    );
    assert_eq!(
        summary["realised_tokens"],
        realised_finance + realised_general
    );

    // The shards hold every selected token (padded, none dropped), under the documents' own
    // domains: the manifest's finance tokens include the routed paragraphs.
    let manifest = read_json(&run_dir.join("shards/manifest.json"));
    assert_eq!(manifest["dropped_tokens"], 0);
    assert_eq!(
        manifest["mix"]["by_domain"]["finance"]["tokens"],
        realised_finance
    );
    assert_eq!(
        manifest["mix"]["by_domain"]["general"]["tokens"],
        realised_general
    );
    assert_eq!(manifest["mix"]["by_source"]["blog"]["domain"], "general");
    let stretches = shard_stretches(&run_dir.join("shards"));
    for id in ["blog-1", "blog-3"] {
        let domains: std::collections::BTreeSet<&str> = stretches
            .iter()
            .filter(|(source, _, doc)| source == "blog" && doc == id)
            .map(|(_, domain, _)| domain.as_str())
            .collect();
        assert_eq!(domains, ["finance"].into(), "{id}");
    }

    // The report shows the source whole and its slices one by one.
    let report = read_json(&run_dir.join("report.json"));
    let source = &report["mix"]["by_source"]["blog"];
    assert_eq!(source["domain"], "general");
    assert_eq!(source["available_tokens"], blog_finance + blog_general);
    assert_eq!(source["shard_tokens"], chosen["blog"]["realised_tokens"]);
    let rows: Vec<(&str, &str, u64)> = report["mix"]["routed_slices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap(),
                r["domain"].as_str().unwrap(),
                r["realised_tokens"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "blog",
                "finance",
                realised[&("blog".into(), "finance".into())]
            ),
            (
                "blog",
                "general",
                realised[&("blog".into(), "general".into())]
            ),
        ]
    );
}
