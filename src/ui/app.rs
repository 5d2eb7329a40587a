//! The app shell: the worker bridge, the URL, file intake and the page layout.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlInputElement};
use yew::prelude::*;
use yew_agent::prelude::*;
use yew_agent::reactor::ReactorProvider;

use super::browser;
use super::funnel::FunnelView;
use super::panels::{ColumnsPanel, StatusBar, SummaryPanel};
use super::state::{Action, AppState, Loading};
use crate::core::view::ViewState;
use crate::worker::{Analysis, JsCodec, Request, Response, Source};

/// The built-in sample, served beside the page.
const SAMPLE_URL: &str = "static/sample.csv.gz";
pub const SAMPLE_NAME: &str = "Built-in sample";

/// The root: starts the analysis worker and renders the page.
#[component]
pub fn App() -> Html {
    html! {
        <ReactorProvider<Analysis, JsCodec> path="worker.js">
            <Shell />
        </ReactorProvider<Analysis, JsCodec>>
    }
}

#[component]
fn Shell() -> Html {
    let state = use_reducer(|| {
        let (view, url_warnings) = ViewState::from_fragment(&browser::fragment());
        AppState { view, url_warnings, ..Default::default() }
    });

    // Worker outputs become actions.
    let bridge = {
        let dispatch = state.dispatcher();
        use_reactor_bridge::<Analysis, _>(move |ev| {
            if let ReactorEvent::Output(r) = ev {
                dispatch.dispatch(match r {
                    Response::Progress { name, bytes, total, rows } => {
                        Action::Progress(Loading { name, bytes, total, rows })
                    }
                    Response::Loaded { name, summary } => Action::Loaded { name, summary: *summary },
                    Response::LoadFailed(e) => Action::LoadFailed(e),
                    Response::Funnel { id, result } => Action::FunnelDone { id, result },
                })
            }
        })
    };

    // Loading: by URL (the fragment's `data=`, or the sample) or from a file.
    let load_url = {
        let (bridge, dispatch) = (bridge.clone(), state.dispatcher());
        Rc::new(move |data: Option<String>, columns| {
            let (url, name) = match &data {
                Some(d) => (browser::resolve(d), d.clone()),
                None => (browser::resolve(SAMPLE_URL), SAMPLE_NAME.to_string()),
            };
            match url {
                Ok(url) => {
                    dispatch.dispatch(Action::LoadStarted(name.clone()));
                    bridge.send(Request::Load { source: Source::Url(url), name, columns });
                }
                Err(message) => dispatch.dispatch(Action::LoadFailed(crate::core::ingest::LoadError {
                    file: name,
                    line: None,
                    message,
                })),
            }
        })
    };
    let on_file = {
        let (bridge, dispatch, state) = (bridge.clone(), state.dispatcher(), state.clone());
        Callback::from(move |file: File| {
            let name = file.name();
            let mut view = state.view.clone();
            // A dropped file replaces a URL data source; the rest of the view is kept.
            if view.data.take().is_some() {
                dispatch.dispatch(Action::SetView(view.clone()));
            }
            dispatch.dispatch(Action::LoadStarted(name.clone()));
            bridge.send(Request::Load { source: Source::File(file), name, columns: view.columns });
        })
    };

    // On start: load what the link names, or the sample.
    {
        let (load_url, view) = (load_url.clone(), state.view.clone());
        use_effect_with((), move |_| load_url(view.data.clone(), view.columns.clone()));
    }

    // The fragment follows the view; a hand-edited fragment updates the view.
    use_effect_with(state.view.clone(), |v| browser::set_fragment(&v.to_fragment()));
    {
        let (dispatch, load_url) = (state.dispatcher(), load_url.clone());
        let last_data = Rc::new(RefCell::new(state.view.data.clone()));
        use_effect_with((), move |_| {
            let listener = Closure::<dyn Fn()>::new(move || {
                let (view, warnings) = ViewState::from_fragment(&browser::fragment());
                if view.data != *last_data.borrow() {
                    *last_data.borrow_mut() = view.data.clone();
                    if view.data.is_some() {
                        load_url(view.data.clone(), view.columns.clone());
                    }
                }
                dispatch.dispatch(Action::FromUrl(view, warnings));
            });
            let window = web_sys::window().expect("a window");
            let _ = window.add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
            move || {
                let _ = window.remove_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
            }
        });
    }

    // Column corrections re-read the data in the worker.
    {
        let (bridge, dispatch) = (bridge.clone(), state.dispatcher());
        let sent = use_mut_ref(|| state.view.columns.clone());
        let has_data = state.summary.is_some();
        let name = state.data_name.clone().unwrap_or_default();
        use_effect_with(state.view.columns.clone(), move |columns| {
            if has_data && *sent.borrow() != *columns {
                *sent.borrow_mut() = columns.clone();
                dispatch.dispatch(Action::LoadStarted(name));
                bridge.send(Request::Remap { columns: columns.clone() });
            }
        });
    }

    // The funnel is recomputed whenever its definition or the data changes.
    {
        let (bridge, dispatch) = (bridge.clone(), state.dispatcher());
        let next_id = use_mut_ref(|| 0u32);
        let has_data = state.summary.is_some();
        use_effect_with((state.generation, state.view.funnel.clone()), move |(_, query)| {
            if has_data && !query.steps.is_empty() {
                let id = {
                    let mut n = next_id.borrow_mut();
                    *n += 1;
                    *n
                };
                dispatch.dispatch(Action::FunnelRequested(id));
                bridge.send(Request::Funnel { id, query: query.clone() });
            }
        });
    }

    let on_view = {
        let dispatch = state.dispatcher();
        Callback::from(move |v: ViewState| dispatch.dispatch(Action::SetView(v)))
    };
    let on_dismiss = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| dispatch.dispatch(Action::DismissError))
    };
    let on_input_change = {
        let on_file = on_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(f) = input.files().and_then(|fs| fs.get(0)) {
                on_file.emit(f);
            }
            input.set_value("");
        })
    };
    let dragging = use_state(|| false);
    let on_dragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(true);
        })
    };
    let on_dragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_drop = {
        let (dragging, on_file) = (dragging.clone(), on_file.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(f) = e.data_transfer().and_then(|dt| dt.files()).and_then(|fs| fs.get(0)) {
                on_file.emit(f);
            }
        })
    };
    let on_sample = {
        let load_url = load_url.clone();
        let (view, dispatch) = (state.view.clone(), state.dispatcher());
        Callback::from(move |_| {
            let mut v = view.clone();
            v.data = None;
            v.columns = Default::default();
            dispatch.dispatch(Action::SetView(v.clone()));
            load_url(None, v.columns);
        })
    };

    let s = &*state;
    html! {
        <div class={classes!("page", dragging.then_some("dragging"))}
             ondragover={on_dragover} ondragleave={on_dragleave} ondrop={on_drop}>
            <header class="topbar">
                <div class="brand">
                    <svg class="logo" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M3 17 C8 17 8 7 13 7 S18 12 21 12" />
                        <circle cx="3" cy="17" r="2" /><circle cx="21" cy="12" r="2" />
                    </svg>
                    <span>{"Touchpath"}</span>
                </div>
                <div class="data-name" id="data-name" title="Loaded data">
                    { s.data_name.clone().unwrap_or_else(|| "No data loaded".into()) }
                </div>
                <div class="actions">
                    <button class="link" id="load-sample" onclick={on_sample}>{"Sample data"}</button>
                    <label class="button primary" for="file-input">{"Open your own files"}</label>
                    <input id="file-input" type="file" class="visually-hidden"
                           accept=".csv,.tsv,.txt,.json,.jsonl,.ndjson,.gz,text/csv,text/tab-separated-values,application/json"
                           onchange={on_input_change} />
                </div>
            </header>
            <StatusBar loading={s.loading.clone()} error={s.load_error.clone()}
                       has_data={s.summary.is_some()} url_warnings={s.url_warnings.clone()}
                       on_dismiss={on_dismiss} />
            <main class="content">
                <aside class="side">
                    if let Some(summary) = &s.summary {
                        <SummaryPanel summary={summary.clone()} />
                        <ColumnsPanel summary={summary.clone()} view={s.view.clone()} on_view={on_view.clone()} />
                    } else if s.loading.is_none() {
                        <p class="muted">{"Drop a CSV export anywhere on this page, or use “Open your own files”."}</p>
                    }
                </aside>
                <section class="main">
                    if let Some(summary) = &s.summary {
                        <FunnelView summary={summary.clone()} view={s.view.clone()} on_view={on_view}
                                    result={s.funnel.clone()} error={s.funnel_error.clone()}
                                    data_name={s.data_name.clone().unwrap_or_default()} />
                    }
                </section>
            </main>
            <footer class="foot">
                {"Your data never leaves this page: files are read and analysed in your browser, nothing is uploaded."}
            </footer>
            <div class="drop-hint" aria-hidden="true">{"Drop to load this file"}</div>
        </div>
    }
}
