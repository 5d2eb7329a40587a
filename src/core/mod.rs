//! The Touchpath engine: pure Rust, no web dependencies, deterministic.
//!
//! Data flows one way: bytes → [`ingest::Loader`] → [`table::EventTable`]
//! (columnar, clustered by customer, time-ordered) → analyses such as
//! [`funnel::compute`] that return plain serde structs. [`chart`] holds the
//! geometry the UI draws, [`view`] the share-link state, and [`sample`] the
//! seeded generator behind the built-in sample and the benchmark files.

pub mod attribution;
pub mod channel;
pub mod chart;
pub mod dropoff;
pub mod funnel;
pub mod graph_layout;
pub mod hot;
pub mod identity;
pub mod ingest;
pub mod packed;
pub mod paths;
pub mod sample;
pub mod sankey;
pub mod schema;
pub mod session;
pub mod sort;
pub mod stages;
pub mod summary;
pub mod table;
pub mod tar;
#[cfg(test)]
mod test_rng;
pub mod time;
pub mod view;
pub mod warm;
pub mod zip;
