//! Cutting long documents into pieces whose encodings concatenate to the encoding of the
//! whole document.
//!
//! Encoding a multi-megabyte string in one call makes the HuggingFace pipeline build
//! per-byte alignment tables and split bookkeeping for the whole string at once; pieces of a
//! few kilobytes keep the working set small and the cost linear in the length. The ids must
//! not change, so a piece boundary is placed only where every stage of the pipeline would
//! cut anyway:
//!
//! * the boundary is a single ASCII space `' '` at byte `p`, with an ASCII graphic
//!   (non-whitespace) character at `p - 1` and an ASCII letter at `p + 1`;
//! * the pre-tokenizer regex is one of the known GPT-style patterns (GPT-2's, or the
//!   cl100k / Llama-3 pattern), all of which end the token holding `p - 1` right there
//!   (no alternative lets a non-space character absorb a following space) and start the
//!   next token at the space (`" ?\p{L}+"` or `"[^\r\n\p{L}\p{N}]?\p{L}+"`); the regexes have
//!   no look-behind and their only look-ahead, `\s+(?!\S)`, applies to whitespace runs, which
//!   see the same next character in the piece as in the whole text;
//! * the normalizer is absent or per-character (NFC/NFD/NFKC/NFKD, lowercase): ASCII maps to
//!   ASCII and a space, a starter that composes with nothing, blocks any composition across
//!   the boundary;
//! * no added token can straddle the boundary: no added-token content contains a
//!   non-whitespace character followed by a space, and none uses `lstrip`, `rstrip` or
//!   `single_word` (which look at neighbouring characters);
//! * the model is BPE without dropout, which encodes each pre-token independently.
//!
//! Any other configuration disables splitting: documents are then encoded whole, which is
//! exact but may cost more than linear time on very long inputs. A stretch of text without
//! such a boundary (a long run without spaces, e.g. CJK or base64) stays in one piece.

use serde_json::Value;

/// The GPT-2 pre-tokenizer regex, as used by the `ByteLevel` pre-tokenizer with
/// `use_regex: true`.
pub const GPT2_PATTERN: &str =
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// The cl100k / Llama-3 pre-tokenizer regex.
pub const CL100K_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The o200k (GPT-4o) pre-tokenizer regex, as tiktoken defines it.
pub const O200K_PATTERN: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"|\p{N}{1,3}",
    r"| ?[^\s\p{L}\p{N}]+[\r\n/]*",
    r"|\s*[\r\n]+",
    r"|\s+(?!\S)",
    r"|\s+",
);

/// Default piece size in bytes for tokenizers encoded by HF `tokenizers` (the fast path
/// encodes whole documents): on earnings-call transcripts with the GPT-NeoX tokenizer
/// through HF, 1-2 KiB pieces counted fastest (5.5 MB/s per core against 4.9 at 8 KiB, 4.1
/// at 32 KiB and less for whole documents).
pub const DEFAULT_PIECE_BYTES: usize = 2 * 1024;

/// Decides from a `tokenizer.json` document whether documents may be cut into pieces.
pub(crate) fn splitting_is_exact(json: &Value) -> bool {
    model_ok(&json["model"])
        && normalizer_ok(&json["normalizer"])
        && pre_tokenizer_ok(&json["pre_tokenizer"])
        && added_tokens_ok(&json["added_tokens"])
}

fn model_ok(model: &Value) -> bool {
    model["type"] == "BPE" && model["dropout"].is_null()
}

fn normalizer_ok(n: &Value) -> bool {
    if n.is_null() {
        return true;
    }
    match n["type"].as_str() {
        Some("NFC" | "NFD" | "NFKC" | "NFKD" | "Lowercase") => true,
        Some("Sequence") => n["normalizers"]
            .as_array()
            .is_some_and(|all| all.iter().all(normalizer_ok)),
        _ => false,
    }
}

fn byte_level_ok(p: &Value, use_regex: bool) -> bool {
    p["type"] == "ByteLevel"
        && p["add_prefix_space"] == false
        && p["use_regex"].as_bool().unwrap_or(true) == use_regex
}

fn pre_tokenizer_ok(p: &Value) -> bool {
    if byte_level_ok(p, true) {
        return true;
    }
    if p["type"] != "Sequence" {
        return false;
    }
    let Some(steps) = p["pretokenizers"].as_array() else {
        return false;
    };
    match steps.as_slice() {
        [split, byte_level] => split_ok(split) && byte_level_ok(byte_level, false),
        _ => false,
    }
}

fn split_ok(s: &Value) -> bool {
    let known = s["pattern"]["Regex"]
        .as_str()
        .is_some_and(|r| r == GPT2_PATTERN || r == CL100K_PATTERN);
    s["type"] == "Split" && known && s["behavior"] == "Isolated" && s["invert"] == false
}

fn added_tokens_ok(tokens: &Value) -> bool {
    let Some(tokens) = tokens.as_array() else {
        return tokens.is_null();
    };
    tokens.iter().all(|t| {
        let flag = |name: &str| t[name].as_bool().unwrap_or(false);
        let content = t["content"].as_str().unwrap_or("");
        !flag("lstrip") && !flag("rstrip") && !flag("single_word") && !straddles(content)
    })
}

/// Whether an added token's content could cover a boundary: it would have to contain the
/// boundary's non-whitespace character followed by the space.
fn straddles(content: &str) -> bool {
    let mut prev_non_ws = false;
    for c in content.chars() {
        if c == ' ' && prev_non_ws {
            return true;
        }
        prev_non_ws = !c.is_whitespace();
    }
    false
}

/// Whether byte `p` of `bytes` is a boundary where the encoding may be cut (see the module
/// documentation).
fn is_boundary(bytes: &[u8], p: usize) -> bool {
    p > 0
        && p + 1 < bytes.len()
        && bytes[p] == b' '
        && bytes[p - 1].is_ascii_graphic()
        && bytes[p + 1].is_ascii_alphabetic()
}

/// Pieces of `text`, each at least `target` bytes long (except the last), cut at the first
/// boundary at or after `target` bytes into the piece. Concatenated they give `text` back.
pub(crate) fn pieces(text: &str, target: usize) -> Pieces<'_> {
    Pieces {
        text,
        pos: 0,
        target: target.max(1),
    }
}

/// Iterator returned by [`pieces`].
pub(crate) struct Pieces<'a> {
    text: &'a str,
    pos: usize,
    target: usize,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        if start >= bytes.len() {
            return None;
        }
        let from = start.saturating_add(self.target);
        let end = (from..bytes.len())
            .find(|&p| is_boundary(bytes, p))
            .unwrap_or(bytes.len());
        self.pos = end;
        // `end` is either the text's end or an ASCII space, so both ends are char boundaries.
        self.text.get(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cut_only_at_single_spaces_before_letters() {
        let text = "alpha beta  gamma 12 delta.\nepsilon";
        let got: Vec<&str> = pieces(text, 1).collect();
        assert_eq!(
            got,
            vec!["alpha", " beta  gamma 12", " delta.\nepsilon"],
            "double space, digit and newline are not boundaries"
        );
        assert_eq!(got.concat(), text);
    }

    #[test]
    fn pieces_respect_target_and_keep_text() {
        let text = "a b c d e f g h i j";
        let got: Vec<&str> = pieces(text, 4).collect();
        assert_eq!(got, vec!["a b c", " d e", " f g", " h i", " j"]);
        assert_eq!(pieces("", 4).count(), 0);
        assert_eq!(
            pieces("日本語 テキスト", 1).collect::<Vec<_>>(),
            vec!["日本語 テキスト"]
        );
    }

    #[test]
    fn straddling_added_tokens_are_detected() {
        assert!(!straddles("<|endoftext|>"));
        assert!(!straddles("    "));
        assert!(straddles("New York"));
        assert!(!straddles(" leading"));
    }

    #[test]
    fn configuration_checks() {
        let ok: Value = serde_json::json!({
            "model": {"type": "BPE", "dropout": null},
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
            "added_tokens": [{"content": "  ", "lstrip": false, "rstrip": false, "single_word": false}]
        });
        assert!(splitting_is_exact(&ok));
        let mut prefix = ok.clone();
        prefix["pre_tokenizer"]["add_prefix_space"] = Value::Bool(true);
        assert!(!splitting_is_exact(&prefix));
        let mut strip = ok.clone();
        strip["added_tokens"][0]["rstrip"] = Value::Bool(true);
        assert!(!splitting_is_exact(&strip));
        let mut norm = ok.clone();
        norm["normalizer"] = serde_json::json!({"type": "Prepend", "prepend": "_"});
        assert!(!splitting_is_exact(&norm));
        let mut seq = ok.clone();
        seq["pre_tokenizer"] = serde_json::json!({"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": CL100K_PATTERN}, "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}
        ]});
        assert!(splitting_is_exact(&seq));
        seq["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = Value::from(r"\w+ \w+");
        assert!(!splitting_is_exact(&seq));
    }
}
