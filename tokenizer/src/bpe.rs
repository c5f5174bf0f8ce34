//! A loaded (or freshly trained) byte-level BPE tokenizer: encoding, counting, saving.

use std::path::Path;

use rayon::prelude::*;
use serde_json::Value;
use tokenizers::{Model, OffsetReferential, OffsetType, PreTokenizer, Token, Tokenizer};
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, Result};
use crate::fast::{Count, FastEncoder};
use crate::split::{self, DEFAULT_PIECE_BYTES};

/// End-of-text tokens looked for, in this order, when a tokenizer is loaded without naming
/// one. GPT-2/NeoX/Pythia use the first; Llama-2/Mistral-style vocabularies the second,
/// Llama-3 the third.
const EOS_CANDIDATES: [&str; 4] = ["<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>"];

/// A tokenizer defined by a HuggingFace `tokenizer.json`.
///
/// Byte-level BPE tokenizers with the GPT-2, cl100k / Llama 3 or o200k split pattern
/// (GPT-2, GPT-NeoX, Llama 3, GPT-4o-style, and those curate trains) are encoded by curate's
/// own encoder, which gives the ids of HF `tokenizers` about 45 times faster per core than
/// HF in Rust and 60 to 80 times faster than Python `encode_batch` (`benches/compare.sh`);
/// anything else by HF `tokenizers` itself. [`BpeTokenizer::encoder_path`] says which, and
/// why.
///
/// Encoding never adds special tokens (like `encode(text, add_special_tokens=False)`), so
/// counts are the tokens of the text itself; the pipeline appends [`BpeTokenizer::eos_id`]
/// between documents. Truncation and padding stored in the file are switched off: a count
/// must cover the whole text.
pub struct BpeTokenizer {
    inner: Tokenizer,
    /// The exact bytes of the `tokenizer.json` (as read, or as serialised after training).
    json: Vec<u8>,
    fingerprint: u64,
    eos: Option<(String, u32)>,
    split_exact: bool,
    piece_bytes: usize,
    /// The fast encoder, when the tokenizer is one it reproduces exactly.
    fast: Option<FastEncoder>,
    /// What the fast encoder handles, or why HF encodes instead.
    path_reason: String,
    /// Special-token text in documents is encoded as text (HF `encode_special_tokens`).
    specials_as_text: bool,
}

impl std::fmt::Debug for BpeTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BpeTokenizer")
            .field("vocab_size", &self.vocab_size())
            .field("fingerprint", &self.fingerprint_hex())
            .field("eos", &self.eos)
            .field("split_exact", &self.split_exact)
            .field("piece_bytes", &self.piece_bytes)
            .field("encoder_path", &self.encoder_path())
            .field("encoder_path_reason", &self.path_reason)
            .finish()
    }
}

impl BpeTokenizer {
    /// Loads a `tokenizer.json` from disk.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            action: "reading",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_bytes(bytes)
    }

    /// Builds a tokenizer from the bytes of a `tokenizer.json`. The end-of-text token is the
    /// first of `<|endoftext|>`, `</s>`, `<|end_of_text|>`, `<eos>` present in the vocabulary
    /// (none if absent; see [`BpeTokenizer::with_eos`]).
    pub fn from_json_bytes(json: Vec<u8>) -> Result<Self> {
        let mut inner = Tokenizer::from_bytes(&json).map_err(Error::tokenizers)?;
        inner.with_truncation(None).map_err(Error::tokenizers)?;
        inner.with_padding(None);
        let doc: Value = serde_json::from_slice(&json)?;
        let split_exact = split::splitting_is_exact(&doc);
        let eos = EOS_CANDIDATES
            .iter()
            .find_map(|t| inner.token_to_id(t).map(|id| (t.to_string(), id)));
        let (fast, path_reason) = match FastEncoder::new(&doc, &inner) {
            Ok(f) => {
                let what = f.describe().to_string();
                (Some(f), what)
            }
            Err(why) => (None, why),
        };
        Ok(Self {
            fingerprint: xxh3_64(&json),
            inner,
            json,
            eos,
            split_exact,
            piece_bytes: DEFAULT_PIECE_BYTES,
            fast,
            path_reason,
            specials_as_text: false,
        })
    }

    /// Names the end-of-text token explicitly; fails if it is not in the vocabulary.
    pub fn with_eos(mut self, token: &str) -> Result<Self> {
        let id = self
            .inner
            .token_to_id(token)
            .ok_or_else(|| Error::MissingToken(token.to_string()))?;
        self.eos = Some((token.to_string(), id));
        Ok(self)
    }

    /// Sets the piece size used to cut long documents (bytes; at least 1). Only speed
    /// depends on it, never the ids.
    pub fn with_piece_bytes(mut self, bytes: usize) -> Self {
        self.piece_bytes = bytes.max(1);
        self
    }

    /// Treats special-token text inside documents (a literal `<|endoftext|>` in a web page)
    /// as ordinary text instead of the special id. Off by default, which matches HF
    /// `tokenizers` and the Python tools; turning it on keeps documents from injecting
    /// document separators into packed sequences.
    pub fn with_special_tokens_as_text(mut self, yes: bool) -> Self {
        self.inner.set_encode_special_tokens(yes);
        self.specials_as_text = yes;
        self
    }

    /// Switches the fast encoder off (`false`), so that every text goes through HF
    /// `tokenizers`: the reference the fast path is checked against, and a way out should
    /// a difference ever show up. Switching it on has no effect when the tokenizer is not
    /// one the fast path handles.
    pub fn with_fast_path(mut self, enabled: bool) -> Self {
        if !enabled && self.fast.is_some() {
            self.fast = None;
            self.path_reason = "fast path switched off by the caller".into();
        }
        self
    }

    /// `"fast"` when texts are encoded by curate's own byte-level BPE encoder (ids identical
    /// to HF `tokenizers`, many times faster), `"huggingface"` when by HF `tokenizers`; see
    /// [`BpeTokenizer::encoder_path_reason`] for why.
    pub fn encoder_path(&self) -> &'static str {
        if self.fast.is_some() {
            "fast"
        } else {
            "huggingface"
        }
    }

    /// For the fast path, the tokenizer layout it recognised; otherwise why it does not
    /// apply (e.g. `"normalizer \"NFKC\" is not NFC"`). With an NFC normalizer, texts that
    /// NFC would change are still encoded by HF, one by one.
    pub fn encoder_path_reason(&self) -> &str {
        &self.path_reason
    }

    /// Writes the `tokenizer.json` bytes to `path` (through a temporary file renamed into
    /// place, so a crash never leaves a half-written tokenizer).
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |action, source| Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        std::fs::write(&tmp, &self.json).map_err(|e| io("writing", e))?;
        std::fs::rename(&tmp, path).map_err(|e| io("renaming into", e))
    }

    /// The exact `tokenizer.json` bytes this tokenizer was built from.
    pub fn json_bytes(&self) -> &[u8] {
        &self.json
    }

    /// xxh3-64 of the `tokenizer.json` bytes: identifies the tokenizer in manifests and
    /// stage fingerprints.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// [`BpeTokenizer::fingerprint`] as 16 lowercase hex digits.
    pub fn fingerprint_hex(&self) -> String {
        format!("{:016x}", self.fingerprint)
    }

    /// Number of ids, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The end-of-text token id, if the vocabulary has one.
    pub fn eos_id(&self) -> Option<u32> {
        self.eos.as_ref().map(|(_, id)| *id)
    }

    /// The end-of-text token's text, if the vocabulary has one.
    pub fn eos_token(&self) -> Option<&str> {
        self.eos.as_ref().map(|(t, _)| t.as_str())
    }

    /// Id of a token string, if present.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Whether long documents are cut into pieces (see the `split` module documentation);
    /// when false every document is encoded whole.
    pub fn splits_long_documents(&self) -> bool {
        self.split_exact
    }

    /// The underlying HuggingFace tokenizer, for anything not wrapped here.
    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }

    /// Calls `f` with the ids of `piece`, in order.
    ///
    /// The steps of `Tokenizer::encode_fast` (added tokens and normalisation, pre-tokenizer,
    /// model) without building an `Encoding` (token strings, offsets, masks), which the
    /// counts and ids do not need; with special tokens not added, the post-processor changes
    /// no ids.
    fn piece_ids(&self, piece: &str, f: &mut impl FnMut(&[Token])) -> Result<()> {
        let inner = &self.inner;
        let mut pre = inner
            .get_added_vocabulary()
            .extract_and_normalize(inner.get_normalizer(), piece);
        if let Some(p) = inner.get_pre_tokenizer() {
            p.pre_tokenize(&mut pre).map_err(Error::tokenizers)?;
        }
        let model = inner.get_model();
        pre.tokenize(|n| model.tokenize(n.get()))
            .map_err(Error::tokenizers)?;
        for (_, _, tokens) in pre.get_splits(OffsetReferential::Normalized, OffsetType::None) {
            let tokens = tokens
                .as_deref()
                .ok_or_else(|| Error::Tokenizers("a split was left untokenized".into()))?;
            f(tokens);
        }
        Ok(())
    }

    /// Calls `f` with the tokens of each piece of `text`, in order.
    fn for_each_piece(&self, text: &str, mut f: impl FnMut(&[Token])) -> Result<()> {
        if self.split_exact {
            split::pieces(text, self.piece_bytes).try_for_each(|p| self.piece_ids(p, &mut f))
        } else {
            self.piece_ids(text, &mut f)
        }
    }

    /// Token ids of `text`, without special tokens added.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = Vec::with_capacity(text.len() / 4 + 1);
        if let Some(fast) = &self.fast
            && fast.encode(text, self.specials_as_text, &mut ids)
        {
            return Ok(ids);
        }
        self.for_each_piece(text, |p| ids.extend(p.iter().map(|t| t.id)))?;
        Ok(ids)
    }

    /// Number of tokens in `text` (the length of [`BpeTokenizer::encode`]); on the fast
    /// path no ids are stored.
    pub fn count(&self, text: &str) -> Result<usize> {
        let mut n = Count::default();
        if let Some(fast) = &self.fast
            && fast.encode(text, self.specials_as_text, &mut n)
        {
            return Ok(n.0);
        }
        let mut n = 0;
        self.for_each_piece(text, |p| n += p.len())?;
        Ok(n)
    }

    /// [`BpeTokenizer::encode`] over many texts on the rayon pool; the result is in input
    /// order whatever the number of threads.
    pub fn encode_batch<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Result<Vec<Vec<u32>>> {
        texts.par_iter().map(|t| self.encode(t.as_ref())).collect()
    }

    /// [`BpeTokenizer::count`] over many texts on the rayon pool, in input order.
    pub fn count_batch<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Result<Vec<usize>> {
        texts.par_iter().map(|t| self.count(t.as_ref())).collect()
    }

    /// Text of `ids` (special tokens kept).
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner.decode(ids, false).map_err(Error::tokenizers)
    }
}
