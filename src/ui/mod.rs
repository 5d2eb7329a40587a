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

use yew::{html, Callback, Html};

use crate::core::funnel::Dimension;
use crate::core::summary::Summary;
use crate::core::view::ViewState;

/// The kept columns as `<option>`s of a dimension select (an empty group without any).
pub fn attr_options(summary: &Summary, selected: &Dimension) -> Html {
    if summary.attrs.is_empty() {
        return Html::default();
    }
    html! {
        <optgroup label="Kept columns">
            for a in &summary.attrs {
                <option value={Dimension::Attr(a.name.clone()).key().into_owned()}
                        selected={matches!(selected, Dimension::Attr(n) if *n == a.name)}>{ a.name.clone() }</option>
            }
        </optgroup>
    }
}

/// The dimensions the loaded data offers: events, then channels and stages when it has them,
/// then its kept columns.
pub fn dimensions(summary: &Summary) -> Vec<Dimension> {
    let mut dims = vec![Dimension::Event];
    if summary.has_channel {
        dims.push(Dimension::Channel);
    }
    if !summary.stage_values.is_empty() {
        dims.push(Dimension::Stage);
    }
    dims.extend(summary.attrs.iter().map(|a| Dimension::Attr(a.name.clone())));
    dims
}

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
