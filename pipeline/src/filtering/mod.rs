//! Running the filters of `curate-filters` over documents: the configuration, the chain of
//! built filters, and the stage and `curate tag` that use them.

pub mod chain;
pub mod config;

pub use chain::{ChainOutcome, FilterChain};
pub use config::{ClassifierSection, ClassifierUse, FilterName, FilterSection, ToxicityCombine};
