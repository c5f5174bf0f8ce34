//! Filter tests on the real shared corpora (read in place, never copied): URL blocklists,
//! language identification and word-list toxicity. One test binary so it links once.

mod language;
mod load;
mod toxicity;
mod url;
