//! Trained classifiers on the real corpora: toxicity (Davidson + Jigsaw), quality
//! (reference text against raw web pages, judged by DCLM's human labels) and finance
//! routing. Every model is measured on documents it never saw: the split is by a hash of
//! the document id. The bars asserted sit a little under the values measured here.

use curate_filters::classifier::{
    Classifier, Evaluation, FeatureConfig, Labels, LinearModel, TrainConfig, Trainer, metrics_at,
    read_model, roc_auc, write_model,
};
use curate_filters::toxicity::{ToxicityFilter, list_entries};
use xxhash_rust::xxh3::xxh3_64;

use crate::load::{self, Doc};

/// One document in five is held out, by id.
fn held_out(id: &str) -> bool {
    xxh3_64(id.as_bytes()).is_multiple_of(5)
}

/// At most `max` bytes of `text`, cut at a character boundary (keeps training quick on
/// 70 KB transcripts and megabyte filings without changing what the classes look like).
fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Cuts long texts into documents of about `size` bytes at paragraph (or line) breaks.
fn chunks(id: &str, text: &str, size: usize) -> Vec<Doc> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        current.push_str(line);
        current.push('\n');
        if current.len() >= size && (line.trim().is_empty() || current.len() >= 2 * size) {
            out.push(Doc {
                id: format!("{id}#{}", out.len()),
                text: std::mem::take(&mut current),
            });
        }
    }
    if current.trim().len() > 200 {
        out.push(Doc {
            id: format!("{id}#{}", out.len()),
            text: current,
        });
    }
    out
}

/// A labelled document.
struct Labelled {
    id: String,
    text: String,
    positive: bool,
}

fn labelled(docs: Vec<Doc>, positive: bool) -> impl Iterator<Item = Labelled> {
    docs.into_iter().map(move |d| Labelled {
        id: d.id,
        text: d.text,
        positive,
    })
}

/// Trains on the documents not held out; returns the model and the held-out documents.
fn train_split<'a>(
    docs: &'a [Labelled],
    features: FeatureConfig,
    config: &TrainConfig,
) -> (LinearModel, Vec<&'a Labelled>) {
    let mut trainer = Trainer::new(features, Labels::default()).unwrap();
    let mut test = Vec::new();
    for doc in docs {
        if held_out(&doc.id) {
            test.push(doc);
        } else {
            trainer.add(head(&doc.text, 20_000), doc.positive);
        }
    }
    (trainer.fit(config).unwrap(), test)
}

fn evaluate(model: &LinearModel, docs: &[&Labelled]) -> Evaluation {
    let scores: Vec<f32> = docs.iter().map(|d| model.score(&d.text)).collect();
    let labels: Vec<bool> = docs.iter().map(|d| d.positive).collect();
    Evaluation::new(&scores, &labels, 0.5)
}

fn report(what: &str, e: &Evaluation) {
    let m = &e.at_threshold;
    eprintln!(
        "{what}: {} held-out ({} positive), AUC {:.4}, P {:.4} R {:.4} F1 {:.4}, FPR {:.4}",
        e.documents,
        e.positives,
        e.roc_auc.unwrap_or(f64::NAN),
        m.precision,
        m.recall,
        m.f1,
        m.false_positive_rate
    );
}

// ---------------------------------------------------------------- toxicity

/// Davidson tweets (hate or offensive = toxic) and Jigsaw train/valid comments.
fn toxicity_labelled() -> Vec<Labelled> {
    let mut docs = Vec::new();
    let davidson =
        load::csv_records("toxicity_labeled/davidson_hate_offensive/labeled_data.csv.gz");
    assert_eq!(davidson.len(), 24_783);
    for r in &davidson {
        docs.push(Labelled {
            id: format!("davidson#{}", &r[0]),
            text: r[6].to_owned(),
            positive: &r[5] != "2",
        });
    }
    for f in ["train", "valid"] {
        for r in load::csv_records(&format!("toxicity_labeled/jigsaw_toxic_sample/{f}.csv")) {
            docs.push(Labelled {
                id: format!("jigsaw#{}", &r[0]),
                text: r[1].to_owned(),
                positive: &r[2] == "1",
            });
        }
    }
    docs
}

fn word_list() -> ToxicityFilter {
    let words = load::read_text("badwords_lists/ldnoobw/en.txt");
    ToxicityFilter::builder()
        .words(list_entries(&words))
        .default_allow_phrases()
        .build()
        .unwrap()
}

fn toxicity_features() -> FeatureConfig {
    FeatureConfig::default()
}

#[test]
fn toxicity_classifier_beats_the_word_list_on_held_out_documents() {
    let docs = toxicity_labelled();
    let (model, test) = train_split(&docs, toxicity_features(), &TrainConfig::default());
    assert_eq!(test.len(), 5_020);
    let classifier = evaluate(&model, &test);
    report("toxicity classifier", &classifier);

    let words = word_list();
    let flags: Vec<f32> = test
        .iter()
        .map(|d| f32::from(u8::from(!words.check(&d.text, None).is_keep())))
        .collect();
    let labels: Vec<bool> = test.iter().map(|d| d.positive).collect();
    let list = Evaluation::new(&flags, &labels, 0.5);
    report("toxicity word list", &list);

    let auc = classifier.roc_auc.unwrap();
    assert!(auc > 0.96, "classifier AUC {auc}");
    assert!(
        classifier.at_threshold.f1 > list.at_threshold.f1,
        "classifier F1 {} vs word list {}",
        classifier.at_threshold.f1,
        list.at_threshold.f1
    );
    // The word list is a yes/no rule: its AUC is that of one operating point.
    assert!(auc > list.roc_auc.unwrap());

    // False positives on finance text, which has no toxic documents.
    let mut total = 0;
    let mut by_model = 0;
    let mut by_list = 0;
    for (name, set) in load::finance_sets() {
        let m = set.iter().filter(|d| model.score(&d.text) >= 0.5).count();
        let l = set
            .iter()
            .filter(|d| !words.check(&d.text, None).is_keep())
            .count();
        eprintln!(
            "finance false positives, {name}: classifier {m}, word list {l} of {}",
            set.len()
        );
        total += set.len();
        by_model += m;
        by_list += l;
    }
    eprintln!("finance false positives: classifier {by_model}, word list {by_list} of {total}");
    // The word list with its allow-list flags none; the model flags a few short posts
    // and headlines (41 of 22,421 measured: FiQA, SemEval, PhraseBank), which is why a
    // job can require both to agree (`combine = "both"`): no finance document then.
    assert_eq!(by_list, 0);
    assert!(
        (by_model as f64) < 0.0025 * total as f64,
        "classifier flags {by_model} of {total} finance documents"
    );
}

// ---------------------------------------------------------------- quality

/// `html` without `<script>` and `<style>` blocks, then tags stripped: the text a naive
/// crawl keeps, menus and footers included.
fn raw_page_text(html: &str) -> String {
    let mut html = std::borrow::Cow::Borrowed(html);
    for tag in ["script", "style", "noscript"] {
        let block = regex::Regex::new(&format!(r"(?is)<{tag}\b.*?</{tag}\s*>")).unwrap();
        html = std::borrow::Cow::Owned(block.replace_all(&html, " ").into_owned());
    }
    let mut text = String::with_capacity(html.len() / 4);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    for (entity, c) in [
        ("&nbsp;", " "),
        ("&amp;", "&"),
        ("&quot;", "\""),
        ("&#39;", "'"),
    ] {
        text = text.replace(entity, c);
    }
    // Collapse the whitespace the tags leave behind, line by line.
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Raw web pages: the WCXB benchmark pages, tag-stripped.
fn raw_web() -> Vec<Doc> {
    let root = load::corpus_path("html_extraction_benchmarks/wcxb/html");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 777);
    names
        .into_iter()
        .map(|name| {
            let rel = format!("html_extraction_benchmarks/wcxb/html/{name}");
            Doc {
                text: raw_page_text(&load::read_text(&rel)),
                id: rel,
            }
        })
        .collect()
}

/// Reference text: Wikipedia articles, books, newswire and earnings calls.
fn reference() -> Vec<Doc> {
    let mut docs = Vec::new();
    for d in load::wikitext() {
        docs.extend(chunks(&d.id, &d.text, 4_000));
    }
    for d in load::gutenberg() {
        docs.extend(chunks(&d.id, &d.text, 4_000).into_iter().take(150));
    }
    docs.extend(load::reuters().into_iter().step_by(20));
    docs.extend(load::ectsum().into_iter().step_by(4).map(|d| Doc {
        text: head(&d.text, 8_000).to_owned(),
        id: d.id,
    }));
    docs
}

fn quality_model() -> LinearModel {
    let mut docs: Vec<Labelled> = labelled(reference(), true).collect();
    docs.extend(labelled(raw_web(), false));
    let mut trainer = Trainer::new(FeatureConfig::default(), Labels::default()).unwrap();
    for doc in &docs {
        trainer.add(head(&doc.text, 20_000), doc.positive);
    }
    let (positives, negatives) = trainer.counts();
    eprintln!("quality training set: {positives} reference, {negatives} raw web");
    trainer.fit(&TrainConfig::default()).unwrap()
}

#[test]
fn quality_classifier_ranks_wikipedia_above_spam_and_follows_human_labels() {
    let model = quality_model();

    // DCLM's pairwise expectation: every Wikipedia page above every Common Crawl page.
    // The pipeline scores extracted text, so the pages are tag-stripped first (fed as raw
    // HTML, markup dominates both kinds of page and the model was never trained on it).
    let page = |name: &str| {
        raw_page_text(&load::read_text(&format!(
            "dclm_quality_labels/wiki_vs_cc_html/{name}.html.gz"
        )))
    };
    let wiki: Vec<f32> = (1..=5)
        .map(|i| model.score(&page(&format!("wikipedia_paragraph{i}"))))
        .collect();
    let cc: Vec<f32> = (1..=5)
        .map(|i| model.score(&page(&format!("common_crawl_paragraph{i}"))))
        .collect();
    eprintln!("wikipedia {wiki:?}\ncommon crawl {cc:?}");
    for (i, w) in wiki.iter().enumerate() {
        for (j, c) in cc.iter().enumerate() {
            assert!(
                w > c,
                "wikipedia {} ({w}) vs common crawl {} ({c})",
                i + 1,
                j + 1
            );
        }
    }

    // Human labels: AUC of the score against `label`, on all and on unanimous documents.
    let records = load::jsonl("dclm_quality_labels/dclm_human_quality_labels.jsonl");
    assert_eq!(records.len(), 333);
    let mut all = (Vec::new(), Vec::new());
    let mut unanimous = (Vec::new(), Vec::new());
    for r in &records {
        let score = model.score(r["text"].as_str().unwrap());
        let label = r["label"].as_i64().unwrap() == 1;
        all.0.push(score);
        all.1.push(label);
        if r["unanimous"].as_bool().unwrap() {
            unanimous.0.push(score);
            unanimous.1.push(label);
        }
    }
    let auc = roc_auc(&all.0, &all.1).unwrap();
    let auc_unanimous = roc_auc(&unanimous.0, &unanimous.1).unwrap();
    let m = metrics_at(&all.0, &all.1, 0.5);
    eprintln!(
        "DCLM human labels: AUC {auc:.4} (unanimous {auc_unanimous:.4}), at 0.5 P {:.4} R {:.4} F1 {:.4}",
        m.precision, m.recall, m.f1
    );
    assert!(auc > 0.70, "AUC {auc}");
    assert!(auc_unanimous > 0.76, "unanimous AUC {auc_unanimous}");
}

// ---------------------------------------------------------------- finance routing

fn general_sets() -> Vec<Doc> {
    let mut docs = Vec::new();
    for d in load::wikitext() {
        docs.extend(chunks(&d.id, &d.text, 3_000));
    }
    for d in load::gutenberg() {
        docs.extend(chunks(&d.id, &d.text, 3_000).into_iter().take(200));
    }
    for d in load::nltk_txt("webtext.zip") {
        docs.extend(chunks(&d.id, &d.text, 2_000));
    }
    docs.extend(load::nltk_txt("movie_reviews.zip"));
    docs.extend(load::nltk_txt("inaugural.zip"));
    docs.extend(load::jsonl_docs(
        "toxic_web_4chan/4chan_00000000.jsonl.gz",
        "text",
    ));
    docs.extend(load::web_text());
    docs
}

#[test]
fn finance_router_precision_and_recall_on_held_out_documents() {
    let mut docs: Vec<Labelled> = Vec::new();
    for (_, set) in load::finance_sets() {
        docs.extend(labelled(set, true));
    }
    docs.extend(labelled(general_sets(), false));
    let (model, test) = train_split(&docs, FeatureConfig::default(), &TrainConfig::default());
    let e = evaluate(&model, &test);
    report("finance router", &e);
    assert!(e.roc_auc.unwrap() > 0.995, "AUC {:?}", e.roc_auc);
    assert!(
        e.at_threshold.precision > 0.995,
        "precision {}",
        e.at_threshold.precision
    );
    assert!(
        e.at_threshold.recall > 0.975,
        "recall {}",
        e.at_threshold.recall
    );
}

// ---------------------------------------------------------------- determinism

#[test]
fn same_seed_gives_the_same_bytes_and_round_trips_scores() {
    let docs: Vec<Labelled> = toxicity_labelled().into_iter().step_by(7).collect();
    let config = TrainConfig {
        seed: 42,
        ..TrainConfig::default()
    };
    let bytes = |config: &TrainConfig| {
        let (model, _) = train_split(&docs, FeatureConfig::default(), config);
        let mut out = Vec::new();
        write_model(&model, &mut out).unwrap();
        (model, out)
    };
    let (model, first) = bytes(&config);
    let (_, second) = bytes(&config);
    assert_eq!(first, second);
    let (_, other_seed) = bytes(&TrainConfig { seed: 43, ..config });
    assert_ne!(first, other_seed);

    let back = read_model(&first[..]).unwrap();
    let through_classifier = Classifier::read(&first[..], None).unwrap();
    for doc in docs.iter().take(500) {
        let s = model.score(&doc.text);
        assert_eq!(back.score(&doc.text).to_bits(), s.to_bits());
        assert_eq!(through_classifier.score(&doc.text).to_bits(), s.to_bits());
    }
}

// ---------------------------------------------------------------- fastText models

/// A C++-format fastText model (trained here with the `fasttext` crate, saved in the
/// `.bin` layout) scores through [`Classifier`] exactly as fastText predicts.
#[test]
fn fasttext_bin_models_score_as_fasttext_predicts() {
    let dir = std::env::temp_dir().join(format!("curate-ft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("train.txt");
    let mut lines = String::new();
    for doc in toxicity_labelled().iter().step_by(10) {
        let label = if doc.positive {
            "__label__toxic"
        } else {
            "__label__clean"
        };
        lines.push_str(&format!(
            "{label} {}\n",
            doc.text.replace(['\n', '\r'], " ")
        ));
    }
    std::fs::write(&input, lines).unwrap();
    let mut args = fasttext::args::Args::default();
    args.input = input.clone();
    args.model = fasttext::args::ModelName::Supervised;
    args.loss = fasttext::args::LossName::Softmax;
    args.dim = 16;
    args.epoch = 5;
    args.lr = 0.5;
    args.min_count = 1;
    args.word_ngrams = 2;
    args.bucket = 100_000;
    args.minn = 0;
    args.maxn = 0;
    args.thread = 1;
    args.verbose = 0;
    let trained = fasttext::FastText::train(args).unwrap();
    let mut bytes = Vec::new();
    trained.save(&mut bytes).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let classifier = Classifier::read(&bytes[..], None).unwrap();
    assert_eq!(classifier.kind(), "fasttext");
    assert_eq!(classifier.positive_label(), "__label__toxic");
    for text in [
        "you are a stupid bitch",
        "thanks, the edit looks good to me",
    ] {
        let expected = trained
            .predict(text, 2, 0.0)
            .into_iter()
            .find(|p| p.label == "__label__toxic")
            .map_or(0.0, |p| p.prob.clamp(0.0, 1.0));
        assert_eq!(classifier.score(text), expected, "{text}");
    }
    assert!(
        classifier.score("you are a stupid bitch")
            > classifier.score("thanks, the edit looks good to me")
    );
    let err = Classifier::read(&bytes[..], Some("spam")).unwrap_err();
    assert!(err.to_string().contains("__label__clean"), "{err}");
}
