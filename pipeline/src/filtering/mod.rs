//! Running the filters of `curate-filters` over documents: profiles and presets, the
//! chain of built filters, and the stage and `curate tag` that use them.

pub mod chain;
pub mod config;
pub mod presets;
pub mod profiles;

pub use chain::{ChainOutcome, FilterChain};
pub use config::{FilterSection, ResolvedFilters, ResolvedProfile};
pub use curate_filters::classifier::step::{ClassifierSection, ClassifierUse, ToxicityCombine};
