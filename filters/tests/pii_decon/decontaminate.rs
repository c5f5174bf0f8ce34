//! Decontamination against finance_sentiment references.
