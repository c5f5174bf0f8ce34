//! Filter and dedup tests on the real shared corpora (read in place, never copied):
//! agreement with datatrove's decisions, URL blocklists, language identification,
//! word-list toxicity, trained classifiers and dedup. One test binary so it links once.

mod classifier;
mod datatrove_agreement;
mod dedup;
mod language;
mod load;
mod toxicity;
mod url;
