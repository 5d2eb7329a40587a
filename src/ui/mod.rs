//! The Yew user interface: one app state (reducer), props down, callbacks up.

mod app;
pub mod browser;
pub mod funnel;
mod panels;
pub mod state;

pub use app::App;
