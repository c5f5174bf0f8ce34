//! Throughput of the linear text classifier on real earnings-call transcripts (30 MB):
//! scoring with word unigrams + bigrams, and with character 3-5-grams added; feature
//! extraction plus one SGD epoch (training). Single thread, bytes of text per second.

use std::hint::black_box;
use std::io::Read;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use curate_filters::classifier::{
    CharNgrams, FeatureConfig, Labels, LinearModel, TrainConfig, Trainer,
};

fn load_texts() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora/ectsum_earnings_calls/ectsum_train.jsonl.gz");
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{} is missing: {e}", path.display()));
    let mut jsonl = String::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_string(&mut jsonl)
        .unwrap();
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

/// A model trained on the first and second halves of the transcripts as two classes:
/// the weights are real, which is all the scoring cost depends on.
fn model(texts: &[String], features: FeatureConfig) -> LinearModel {
    let mut trainer = Trainer::new(features, Labels::default()).unwrap();
    for (i, t) in texts.iter().enumerate().take(200) {
        trainer.add(t, i % 2 == 0);
    }
    trainer.fit(&TrainConfig::default()).unwrap()
}

fn classifier(c: &mut Criterion) {
    let texts = load_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let words = FeatureConfig::default();
    let chars = FeatureConfig {
        char_ngrams: Some(CharNgrams { min: 3, max: 5 }),
        ..FeatureConfig::default()
    };
    let word_model = model(&texts, words.clone());
    let char_model = model(&texts, chars);

    let mut group = c.benchmark_group("classifier");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("score_word_bigrams", |b| {
        b.iter(|| texts.iter().map(|t| word_model.score(t)).sum::<f32>())
    });
    group.bench_function("score_with_char_ngrams", |b| {
        b.iter(|| texts.iter().map(|t| char_model.score(t)).sum::<f32>())
    });
    group.bench_function("train_one_epoch", |b| {
        b.iter(|| {
            let mut trainer = Trainer::new(words.clone(), Labels::default()).unwrap();
            for (i, t) in texts.iter().enumerate() {
                trainer.add(t, i % 2 == 0);
            }
            let config = TrainConfig {
                epochs: 1,
                ..TrainConfig::default()
            };
            black_box(trainer.fit(&config).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, classifier);
criterion_main!(benches);
