//! A fast encoder for byte-level BPE tokenizers, with ids identical to HF `tokenizers`.
//!
//! HF spends most of its time outside BPE proper: a backtracking regex per pre-token,
//! per-byte offset tables in `NormalizedString`, string allocations for every token. For the
//! tokenizer layouts that almost every LLM uses (GPT-2, GPT-NeoX, Llama 3, cl100k-style, and
//! the ones curate trains) the same ids come from much less work:
//!
//! 1. added tokens are split out with an Aho-Corasick automaton ([`added`]);
//! 2. the text between them is cut by a hand-written equivalent of the split regex
//!    ([`pretokenize`]);
//! 3. each piece is looked up whole, or merged by rank on its bytes ([`merge`]).
//!
//! [`FastEncoder::new`] reads the `tokenizer.json` and refuses (with a reason) anything it
//! does not reproduce exactly; the caller then keeps using HF. A normalizer is accepted
//! only when it is NFC. Almost all text is NFC already, which a byte scan or the NFC quick
//! check shows; other text is normalized with HF's own normalizer (its Unicode 9 tables
//! decide, not ours) and then encoded here, unless a `normalized: false` added token occurs
//! in it: HF would split that out before normalizing, so such a text is reported back
//! ([`FastEncoder::encode`] returns `false`) for HF to encode.

mod added;
mod classify;
mod merge;
mod pretokenize;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use tokenizers::{Model, NormalizedString, Normalizer, NormalizerWrapper, Tokenizer};
use unicode_normalization::{IsNormalized, is_nfc_quick};

use crate::split::{CL100K_PATTERN, GPT2_PATTERN, O200K_PATTERN};
use added::{AddedTokens, Segment};
use merge::{Bpe, Scratch};
pub(crate) use merge::{Count, Sink};
use pretokenize::Pattern;

/// The fast encoder of one tokenizer.
#[derive(Debug)]
pub(crate) struct FastEncoder {
    pattern: Pattern,
    bpe: Bpe,
    added: AddedTokens,
    /// The tokenizer normalizes with NFC.
    nfc: bool,
    /// HF's normalizer, for the texts that are not NFC already.
    normalizer: Option<NormalizerWrapper>,
    /// Distinguishes encoders, so that a thread's cached pieces are only reused by the
    /// encoder that computed them.
    serial: u64,
}

thread_local! {
    /// The scratch space and piece cache of this thread, and the `serial` of the encoder
    /// they belong to.
    static SCRATCH: RefCell<(u64, Scratch)> = RefCell::new((0, Scratch::default()));
}

/// GPT-2's byte-to-symbol map: printable Latin-1 bytes stand for themselves, the others
/// for U+0100 onwards, in byte order.
fn byte_symbols() -> [char; 256] {
    let mut out = ['\0'; 256];
    let mut shifted = 0u32;
    for (b, slot) in out.iter_mut().enumerate() {
        let printable = matches!(b, 0x21..=0x7e | 0xa1..=0xac | 0xae..=0xff);
        let code = if printable {
            b as u32
        } else {
            shifted += 1;
            255 + shifted
        };
        *slot = char::from_u32(code).unwrap_or('\0');
    }
    out
}

/// Why a `tokenizer.json` is not one the fast path reproduces, if it is not.
fn pattern_of(json: &Value) -> Result<(Pattern, bool), String> {
    let model = &json["model"];
    if model["type"] != "BPE" {
        return Err(format!("model type {} is not BPE", model["type"]));
    }
    if !model["dropout"].is_null() {
        return Err("BPE dropout is set".into());
    }
    for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
        if !(model[key].is_null() || model[key] == "") {
            return Err(format!("BPE {key} is set"));
        }
    }
    let nfc = normalizer_is_nfc(&json["normalizer"])?;
    let pattern = pre_tokenizer_pattern(&json["pre_tokenizer"])?;
    Ok((pattern, nfc))
}

/// `Ok(true)` for NFC, `Ok(false)` for no normalization, `Err` for anything else.
fn normalizer_is_nfc(n: &Value) -> Result<bool, String> {
    if n.is_null() {
        return Ok(false);
    }
    match n["type"].as_str() {
        Some("NFC") => Ok(true),
        Some("Sequence") => {
            let all = n["normalizers"]
                .as_array()
                .ok_or("normalizer Sequence without a list")?;
            let mut nfc = false;
            for one in all {
                nfc |= normalizer_is_nfc(one)?;
            }
            Ok(nfc)
        }
        _ => Err(format!("normalizer {} is not NFC", n["type"])),
    }
}

fn byte_level(p: &Value, use_regex: bool) -> Result<(), String> {
    if p["type"] != "ByteLevel" {
        return Err(format!("pre-tokenizer {} is not ByteLevel", p["type"]));
    }
    if p["add_prefix_space"] != false {
        return Err("ByteLevel add_prefix_space is set".into());
    }
    if p["use_regex"].as_bool().unwrap_or(true) != use_regex {
        return Err(format!("ByteLevel use_regex is not {use_regex}"));
    }
    Ok(())
}

fn pre_tokenizer_pattern(p: &Value) -> Result<Pattern, String> {
    if p["type"] == "ByteLevel" {
        byte_level(p, true)?;
        return Ok(Pattern::Gpt2);
    }
    let steps = match p["type"].as_str() {
        Some("Sequence") => p["pretokenizers"].as_array().map(Vec::as_slice),
        _ => None,
    };
    let Some([split, bl]) = steps else {
        return Err("pre-tokenizer is neither ByteLevel nor [Split, ByteLevel]".into());
    };
    byte_level(bl, false)?;
    if split["type"] != "Split" || split["behavior"] != "Isolated" || split["invert"] != false {
        return Err("pre-tokenizer Split is not an isolating, non-inverted split".into());
    }
    match split["pattern"]["Regex"].as_str() {
        Some(GPT2_PATTERN) => Ok(Pattern::Gpt2),
        Some(CL100K_PATTERN) => Ok(Pattern::Cl100k),
        Some(O200K_PATTERN) => Ok(Pattern::O200k),
        _ => Err("split pattern is not GPT-2's, cl100k's or o200k's".into()),
    }
}

/// `(a, b)` of each merge rule in rank order, as HF reads them (`"a b"` strings, `#version`
/// lines skipped, or `[a, b]` pairs).
fn merge_pairs(model: &Value) -> Result<Vec<(String, String)>, String> {
    let list = model["merges"].as_array().ok_or("BPE merges missing")?;
    let mut out = Vec::with_capacity(list.len());
    for m in list {
        match m {
            Value::String(s) if s.starts_with("#version") => {}
            Value::String(s) => match s.split(' ').collect::<Vec<_>>().as_slice() {
                [a, b] => out.push((a.to_string(), b.to_string())),
                _ => return Err(format!("bad merge {s:?}")),
            },
            Value::Array(pair) => match pair.as_slice() {
                [Value::String(a), Value::String(b)] => out.push((a.clone(), b.clone())),
                _ => return Err(format!("bad merge {m}")),
            },
            _ => return Err(format!("bad merge {m}")),
        }
    }
    Ok(out)
}

/// Whether NFC leaves `text` unchanged, by the quick check (a `Maybe` counts as no).
/// Every character below U+0300 (UTF-8 lead bytes below 0xCC) is NFC and never composes
/// with what precedes it, so most text is decided by one byte scan.
fn is_nfc(text: &str) -> bool {
    text.bytes().all(|b| b < 0xcc) || is_nfc_quick(text.chars()) == IsNormalized::Yes
}

impl FastEncoder {
    /// Builds the encoder for a loaded tokenizer and its `tokenizer.json`; `Err` says why
    /// the fast path does not apply.
    pub(crate) fn new(json: &Value, inner: &Tokenizer) -> Result<Self, String> {
        let (pattern, nfc) = pattern_of(json)?;
        let model = &json["model"];
        let ignore_merges = model["ignore_merges"].as_bool().unwrap_or(false);

        let symbols = byte_symbols();
        let byte_of: HashMap<char, u8> = symbols
            .iter()
            .enumerate()
            .map(|(b, &c)| (c, b as u8))
            .collect();
        let vocab = inner.get_model().get_vocab();
        // Bytes that never occur in UTF-8 (C0, C1, F5..FF) may be missing, as they are from
        // GPT-NeoX's vocabulary; every other byte must have its symbol.
        let mut byte_ids = [u32::MAX; 256];
        for (b, c) in symbols.iter().enumerate() {
            match vocab.get(c.to_string().as_str()) {
                Some(&id) => byte_ids[b] = id,
                None if matches!(b, 0xc0 | 0xc1 | 0xf5..=0xff) => {}
                None => return Err(format!("byte symbol {c:?} is not in the vocabulary")),
            }
        }
        let mut entries: Vec<(Vec<u8>, u32)> = vocab
            .iter()
            .filter_map(|(tok, &id)| {
                let bytes: Option<Vec<u8>> =
                    tok.chars().map(|c| byte_of.get(&c).copied()).collect();
                bytes.map(|b| (b, id))
            })
            .collect();
        entries.sort_unstable_by_key(|(_, id)| *id);
        let mut merges = Vec::new();
        for (a, b) in merge_pairs(model)? {
            let id = |t: &str| {
                vocab
                    .get(t)
                    .copied()
                    .ok_or_else(|| format!("merge token {t:?} is not in the vocabulary"))
            };
            merges.push((id(&a)?, id(&b)?, id(&format!("{a}{b}"))?));
        }
        let bpe = Bpe::new(byte_ids, &entries, &merges, ignore_merges);

        let (mut raw, mut normalized) = (Vec::new(), Vec::new());
        let mut added: Vec<_> = inner.get_added_tokens_decoder().into_iter().collect();
        added.sort_unstable_by_key(|(id, _)| *id);
        for (id, tok) in added {
            if tok.content.is_empty() {
                continue;
            }
            if tok.lstrip || tok.rstrip || tok.single_word {
                return Err(format!(
                    "added token {:?} uses lstrip, rstrip or single_word",
                    tok.content
                ));
            }
            if tok.normalized {
                let mut content = NormalizedString::from(tok.content.as_str());
                if let Some(n) = inner.get_normalizer() {
                    n.normalize(&mut content)
                        .map_err(|e| format!("normalizing added token: {e}"))?;
                }
                normalized.push((content.get().to_string(), id, tok.special));
            } else {
                raw.push((tok.content.clone(), id, tok.special));
            }
        }
        Ok(Self {
            pattern,
            bpe,
            added: AddedTokens::new(raw, normalized)?,
            nfc,
            normalizer: inner.get_normalizer().cloned(),
            serial: {
                static NEXT: AtomicU64 = AtomicU64::new(1);
                NEXT.fetch_add(1, Ordering::Relaxed)
            },
        })
    }

    /// Emits the ids of `text` into `out`, or returns `false` (emitting nothing) when HF
    /// must encode it: normalization changes it and a `normalized: false` added token occurs
    /// in it.
    pub(crate) fn encode(&self, text: &str, specials_as_text: bool, out: &mut impl Sink) -> bool {
        let normalized = if self.nfc && !is_nfc(text) {
            match self.normalize(text) {
                Some(n) => Some(n),
                None => return false,
            }
        } else {
            None
        };
        let mut run = |scratch: &mut Scratch| {
            let mut segment = |seg| match seg {
                Segment::Token(id) => out.push(id),
                Segment::Text(t) => self
                    .pattern
                    .split(t, |piece| self.bpe.encode(piece, scratch, out)),
            };
            match &normalized {
                Some(n) => self
                    .added
                    .split_normalized(n, specials_as_text, &mut segment),
                None => self.added.split(text, specials_as_text, &mut segment),
            }
        };
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut mine) => {
                if mine.0 != self.serial {
                    *mine = (self.serial, Scratch::default());
                }
                run(&mut mine.1);
            }
            // Only reachable if a sink re-entered the encoder; use a fresh space.
            Err(_) => run(&mut Scratch::default()),
        });
        true
    }

    /// `text` normalized by HF's normalizer, when HF would normalize it as one segment (no
    /// `normalized: false` added token in it).
    fn normalize(&self, text: &str) -> Option<String> {
        if self.added.any_raw(text) {
            return None;
        }
        let mut s = NormalizedString::from(text);
        self.normalizer.as_ref()?.normalize(&mut s).ok()?;
        Some(s.get().to_string())
    }

    /// Which split regex the tokenizer uses, in words.
    pub(crate) fn describe(&self) -> &'static str {
        match (self.pattern, self.nfc) {
            (Pattern::Gpt2, false) => "byte-level BPE, GPT-2 split pattern",
            (Pattern::Gpt2, true) => "byte-level BPE, GPT-2 split pattern, NFC",
            (Pattern::Cl100k, false) => "byte-level BPE, cl100k/Llama 3 split pattern",
            (Pattern::Cl100k, true) => "byte-level BPE, cl100k/Llama 3 split pattern, NFC",
            (Pattern::O200k, false) => "byte-level BPE, o200k split pattern",
            (Pattern::O200k, true) => "byte-level BPE, o200k split pattern, NFC",
        }
    }
}
