//! The Yew user interface: one app state (reducer), props down, callbacks up.

mod app;
pub mod attribution;
pub mod browser;
mod export;
pub mod funnel;
mod panels;
pub mod paths;
pub mod stages;
pub mod state;

pub use app::App;

use std::rc::Rc;

use yew::Callback;

use crate::core::view::ViewState;

/// A change to the view made from a control's value.
pub type Edit = Rc<dyn Fn(&mut ViewState, String)>;

/// A callback that applies `f` with a control's value to a copy of `view` and emits it.
pub fn edit_view(view: &ViewState, on_view: &Callback<ViewState>, f: Edit) -> Callback<String> {
    let (view, on_view) = (view.clone(), on_view.clone());
    Callback::from(move |value: String| {
        let mut v = view.clone();
        f(&mut v, value);
        on_view.emit(v);
    })
}
