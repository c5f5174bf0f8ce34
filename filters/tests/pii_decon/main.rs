//! PII redaction and benchmark decontamination on the real shared corpora (read in place,
//! never copied): hits per kind, zero hits on known-clean finance patterns, and recall of
//! injected benchmark sentences. A separate test binary from `corpora` so the filter chain's
//! tests and these can be run and changed independently.

#[allow(dead_code)]
#[path = "../corpora/load.rs"]
mod load;

mod decontaminate;
mod docs;
mod pii;
