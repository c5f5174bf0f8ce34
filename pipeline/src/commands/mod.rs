//! One module per subcommand of `curate`: its arguments and what it does.

pub mod check;
pub mod run;
pub mod tag;
