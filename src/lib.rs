//! Touchpath: customer-journey analytics that runs entirely in the browser.
//!
//! - [`core`]: the engine, pure Rust, tested natively.
//! - `worker` (wasm32 only): the analysis worker holding the event table.
//! - `ui` (wasm32 only): the Yew single-page app.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod worker;
