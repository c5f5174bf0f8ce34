//! The fast encoder gives the same ids as HF `tokenizers` (the same tokenizer with the fast
//! path switched off) on samples of every text corpus, on stress strings and on 100,000
//! random strings, for the GPT-NeoX reference tokenizer and for tokenizers trained by
//! curate with the GPT-2, the cl100k / Llama 3 and the o200k split patterns.

mod common;

use std::sync::OnceLock;

use common::{Rng, corpus_samples, random_bytes_text, random_text, stress_texts, training_texts};
use curate_tokenizer::{BpeTokenizer, CL100K_PATTERN, GPT2_PATTERN, O200K_PATTERN, TrainConfig};

fn neox_json() -> Vec<u8> {
    common::bytes("reference_tokenizers/gpt-neo-test-tokenizer.json.gz")
}

/// `(name, tokenizer.json)` of every tokenizer checked; trained ones are built once.
fn tokenizer_jsons() -> &'static [(&'static str, Vec<u8>)] {
    static JSONS: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    JSONS.get_or_init(|| {
        let texts = training_texts();
        let train = |pattern: Option<&str>, nfc: bool| {
            let cfg = TrainConfig {
                vocab_size: 3_000,
                pattern: pattern.map(str::to_string),
                nfc,
                special_tokens: vec!["<|endoftext|>".into(), "<|padding|>".into()],
                ..TrainConfig::default()
            };
            BpeTokenizer::train(texts.iter(), &cfg)
                .unwrap()
                .json_bytes()
                .to_vec()
        };
        let llama3 = train(Some(CL100K_PATTERN), false);
        // Llama 3's tokenizer.json sets `ignore_merges`: whole pieces found in the
        // vocabulary are taken as they are.
        let mut doc: serde_json::Value = serde_json::from_slice(&llama3).unwrap();
        doc["model"]["ignore_merges"] = true.into();
        let gpt2 = train(None, false);
        vec![
            ("neox", neox_json()),
            ("trained_gpt2_many_added", with_many_added_tokens(&gpt2)),
            ("trained_gpt2", gpt2),
            ("trained_gpt2_split_nfc", train(Some(GPT2_PATTERN), true)),
            ("trained_cl100k", llama3),
            (
                "trained_cl100k_ignore_merges",
                serde_json::to_vec(&doc).unwrap(),
            ),
            ("trained_o200k", train(Some(O200K_PATTERN), false)),
        ]
    })
}

/// `json` with a dozen more added tokens that occur inside ordinary text (more distinct
/// first bytes than the fast path searches for one by one), some matched on the normalized
/// text, some special, one a single character.
fn with_many_added_tokens(json: &[u8]) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(json).unwrap();
    let next = doc["model"]["vocab"].as_object().unwrap().len() + 10;
    let added = doc["added_tokens"].as_array_mut().unwrap();
    let contents = [
        "the", " and", "ing", "🙂", "\n\n", "x", "'s", "[CLS]", "12", "é", "  ", "<|", "Ġ",
    ];
    for (i, content) in contents.iter().enumerate() {
        added.push(serde_json::json!({
            "id": next + i, "content": content, "single_word": false, "lstrip": false,
            "rstrip": false, "normalized": i % 2 == 0, "special": i % 3 == 0,
        }));
    }
    serde_json::to_vec(&doc).unwrap()
}

/// The fast tokenizer and its HF reference.
fn pair(json: &[u8]) -> (BpeTokenizer, BpeTokenizer) {
    let fast = BpeTokenizer::from_json_bytes(json.to_vec()).unwrap();
    let hf = BpeTokenizer::from_json_bytes(json.to_vec())
        .unwrap()
        .with_fast_path(false)
        .with_piece_bytes(usize::MAX);
    (fast, hf)
}

/// Panics with the first difference, in context.
fn assert_same(name: &str, label: &str, text: &str, fast: &BpeTokenizer, hf: &BpeTokenizer) {
    let want = hf.encode(text).unwrap();
    let got = fast.encode(text).unwrap();
    if got != want {
        let at = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
        let lo = at.saturating_sub(3);
        panic!(
            "{name}: ids differ on {label} at token {at}\n fast {:?} = {:?}\n   hf {:?} = {:?}\n text {:?}",
            &got[lo..(at + 4).min(got.len())],
            fast.decode(&got[lo..(at + 4).min(got.len())])
                .unwrap_or_default(),
            &want[lo..(at + 4).min(want.len())],
            hf.decode(&want[lo..(at + 4).min(want.len())])
                .unwrap_or_default(),
            common::prefix(text, 300),
        );
    }
    assert_eq!(
        fast.count(text).unwrap(),
        want.len(),
        "{name}: count on {label}"
    );
}

/// Runs `check` for every tokenizer, one thread each.
fn for_each_tokenizer(check: impl Fn(&str, &BpeTokenizer, &BpeTokenizer) + Sync) {
    std::thread::scope(|s| {
        for (name, json) in tokenizer_jsons() {
            let check = &check;
            s.spawn(move || {
                let (fast, hf) = pair(json);
                assert_eq!(
                    fast.encoder_path(),
                    "fast",
                    "{name}: {}",
                    fast.encoder_path_reason()
                );
                assert_eq!(hf.encoder_path(), "huggingface");
                check(name, &fast, &hf);
            });
        }
    });
}

#[test]
fn fast_path_is_taken_for_byte_level_tokenizers() {
    for (name, json) in tokenizer_jsons() {
        let tok = BpeTokenizer::from_json_bytes(json.clone()).unwrap();
        assert_eq!(
            tok.encoder_path(),
            "fast",
            "{name}: {}",
            tok.encoder_path_reason()
        );
    }
    let neox = BpeTokenizer::from_json_bytes(neox_json()).unwrap();
    assert_eq!(
        neox.encoder_path_reason(),
        "byte-level BPE, GPT-2 split pattern, NFC"
    );
}

/// A change to a `tokenizer.json` document.
type Edit = fn(&mut serde_json::Value);

#[test]
fn other_layouts_fall_back_to_huggingface() {
    let base: serde_json::Value = serde_json::from_slice(&neox_json()).unwrap();
    let variants: [(&str, Edit); 5] = [
        ("nfkc", |d| {
            d["normalizer"] = serde_json::json!({"type": "NFKC"})
        }),
        ("prefix space", |d| {
            d["pre_tokenizer"]["add_prefix_space"] = true.into()
        }),
        ("dropout", |d| d["model"]["dropout"] = 0.1.into()),
        ("lstrip", |d| d["added_tokens"][1]["lstrip"] = true.into()),
        ("whitespace", |d| {
            d["pre_tokenizer"] = serde_json::json!({"type": "Whitespace"})
        }),
    ];
    for (what, change) in variants {
        let mut doc = base.clone();
        change(&mut doc);
        let tok = BpeTokenizer::from_json_bytes(serde_json::to_vec(&doc).unwrap()).unwrap();
        assert_eq!(tok.encoder_path(), "huggingface", "{what}");
        assert!(!tok.encoder_path_reason().is_empty());
        // Still encodes (through HF).
        assert!(!tok.encode("Hello world").unwrap().is_empty(), "{what}");
    }
}

#[test]
fn corpora_ids_match_huggingface() {
    let samples = corpus_samples(6_000);
    let bytes: usize = samples.iter().map(|(_, t)| t.len()).sum();
    assert!(
        samples.len() > 500 && bytes > 1_000_000,
        "{} samples, {bytes} bytes",
        samples.len()
    );
    for_each_tokenizer(|name, fast, hf| {
        for (label, text) in &samples {
            assert_same(name, label, text, fast, hf);
        }
    });
}

#[test]
fn stress_texts_match_huggingface() {
    let texts = stress_texts();
    for_each_tokenizer(|name, fast, hf| {
        for (label, text) in &texts {
            assert_same(name, label, text, fast, hf);
        }
    });
}

#[test]
fn random_strings_match_huggingface() {
    // 100,000 cases in all: random Unicode strings and byte soups, fixed seeds.
    let per = 100_000 / tokenizer_jsons().len();
    for_each_tokenizer(|name, fast, hf| {
        let mut rng = Rng(0x5eed_0000 + name.len() as u64);
        for i in 0..per {
            let text = if i % 4 == 3 {
                random_bytes_text(&mut rng)
            } else {
                random_text(&mut rng)
            };
            assert_same(name, &format!("random case {i}"), &text, fast, hf);
        }
    });
}

#[test]
fn special_tokens_as_text_match_huggingface() {
    let texts = stress_texts();
    for (name, json) in tokenizer_jsons() {
        let fast = BpeTokenizer::from_json_bytes(json.clone())
            .unwrap()
            .with_special_tokens_as_text(true);
        let hf = BpeTokenizer::from_json_bytes(json.clone())
            .unwrap()
            .with_fast_path(false)
            .with_special_tokens_as_text(true);
        for (label, text) in &texts {
            assert_same(name, label, text, &fast, &hf);
        }
    }
}

#[test]
fn batch_apis_use_the_fast_path_in_order() {
    let (fast, hf) = pair(&tokenizer_jsons()[0].1);
    let texts: Vec<String> = stress_texts().into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        fast.encode_batch(&texts).unwrap(),
        hf.encode_batch(&texts).unwrap()
    );
    assert_eq!(
        fast.count_batch(&texts).unwrap(),
        hf.count_batch(&texts).unwrap()
    );
}
