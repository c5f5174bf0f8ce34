//! One module per subcommand of `curate`: its arguments and what it does.

pub mod budget;
pub mod check;
pub mod count;
pub mod dedup;
pub mod extract;
pub mod init;
pub mod inputs;
pub mod launch;
pub mod output;
pub mod plan;
pub mod publish;
pub mod query;
pub mod report;
pub mod run;
pub mod status;
pub mod tag;
pub mod train_classifier;
pub mod train_tokenizer;
pub mod verify;
