//! Tokenizer training and counting, and the token-budget arithmetic of `curate`.
//!
//! * [`BpeTokenizer`]: train a byte-level BPE tokenizer on a sample ([`TrainConfig`]), or load
//!   any HuggingFace `tokenizer.json`; encode and count, byte-level BPE on a fast path of
//!   its own (hand-written split patterns, rank-based merges, a piece cache) with ids
//!   identical to HF `tokenizers`, other tokenizers through HF with long documents cut into
//!   pieces whose ids concatenate exactly to the whole document's.
//! * [`budget`]: the Chinchilla arithmetic (`C = 6ND`, 20 tokens per parameter) and the
//!   report of target versus available tokens.
//! * [`mix`]: per-source sampling rates that hit per-domain token shares exactly, and the
//!   deterministic per-document selection that realises them.
//!
//! No file I/O except reading and writing a `tokenizer.json`; no Arrow.

mod apportion;
mod bpe;
pub mod budget;
mod error;
mod fast;
pub mod format;
pub mod mix;
pub mod sample;
mod split;
mod train;

pub use bpe::BpeTokenizer;
pub use error::{Error, Result};
pub use split::{CL100K_PATTERN, DEFAULT_PIECE_BYTES, GPT2_PATTERN, O200K_PATTERN};
pub use train::{ENDOFTEXT, TrainConfig};
