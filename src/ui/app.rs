//! The app shell: the worker bridge, the URL, file intake and the page layout.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlInputElement};
use yew::prelude::*;
use yew_agent::prelude::*;
use yew_agent::reactor::ReactorProvider;

use super::attribution::{effective_query, AttributionView};
use super::browser;
use super::funnel::FunnelView;
use super::panels::{ColumnsPanel, StatusBar, SummaryPanel};
use super::paths::PathsView;
use super::stages::StagesView;
use super::state::{Action, AppState, Loading};
use crate::core::ingest::LoadError;
use crate::core::stages::StageModel;
use crate::core::table::Duplicates;
use crate::core::view::ViewState;
use crate::worker::{Analysis, JsCodec, Request, Response, Source};

fn file_list(list: Option<web_sys::FileList>) -> Vec<File> {
    list.map(|fs| (0..fs.length()).filter_map(|i| fs.get(i)).collect()).unwrap_or_default()
}

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
        let steps_auto = view.funnel.steps.is_empty();
        AppState { view, url_warnings, steps_auto, ..Default::default() }
    });

    // Worker outputs become actions.
    let bridge = {
        let dispatch = state.dispatcher();
        use_reactor_bridge::<Analysis, _>(move |ev| {
            if let ReactorEvent::Output(r) = ev {
                browser::timing_end(r.timing_kind());
                if let Response::Download { file_name, mime, text } = &r {
                    browser::download(file_name, mime, text);
                    return;
                }
                dispatch.dispatch(match r {
                    Response::Progress { name, bytes, total, rows, elapsed_ms } => {
                        Action::Progress(Loading { name, bytes, total, rows, elapsed_ms })
                    }
                    Response::Loaded { summary } => Action::Loaded(*summary),
                    Response::LoadFailed(e) => Action::LoadFailed(e),
                    Response::Cancelled => Action::Cancelled,
                    Response::Funnel { id, result } => Action::FunnelDone { id, result: result.map(|r| *r) },
                    Response::Download { .. } => return,
                    Response::Paths { id, result } => Action::PathsDone { id, result },
                    Response::Attribution { id, result } => Action::AttributionDone { id, result },
                    Response::Stages { id, result } => Action::StagesDone { id, result },
                })
            }
        })
    };
    let send = {
        let bridge = bridge.clone();
        Callback::from(move |r: Request| {
            browser::timing_start(r.timing_kind());
            bridge.send(r)
        })
    };

    // Loading by URL: the fragment's `data=`, or the sample. Either replaces what is loaded.
    let load_url = {
        let (send, dispatch) = (send.clone(), state.dispatcher());
        Rc::new(move |data: Option<String>, columns| {
            let (url, name) = match &data {
                Some(d) => (browser::resolve(d), d.clone()),
                None => (browser::resolve(SAMPLE_URL), SAMPLE_NAME.to_string()),
            };
            match url {
                Ok(url) => {
                    dispatch.dispatch(Action::LoadStarted { name: name.clone(), replaceable: true });
                    send.emit(Request::Load { sources: vec![(Source::Url(url), name)], columns, replace: true });
                }
                Err(message) => {
                    dispatch.dispatch(Action::LoadFailed(vec![LoadError { file: name, line: None, message }]))
                }
            }
        })
    };
    // Files join what is loaded, unless that is the sample or a URL's data, which they replace.
    let on_files = {
        let (send, dispatch, state) = (send.clone(), state.dispatcher(), state.clone());
        Callback::from(move |files: Vec<File>| {
            if files.is_empty() {
                return;
            }
            let replace = state.summary.is_none() || state.replaceable;
            let mut view = state.view.clone();
            if view.data.take().is_some() {
                dispatch.dispatch(Action::SetView(view.clone()));
            }
            let names: Vec<String> = files.iter().map(|f| f.name()).collect();
            dispatch.dispatch(Action::LoadStarted { name: names.join(", "), replaceable: false });
            let sources = files.into_iter().zip(names).map(|(f, n)| (Source::File(f), n)).collect();
            send.emit(Request::Load { sources, columns: view.columns, replace });
        })
    };

    // On start: load what the link names, or the sample.
    {
        let (load_url, view, send) = (load_url.clone(), state.view.clone(), send.clone());
        use_effect_with((), move |_| {
            if view.keep_duplicates {
                send.emit(Request::SetDuplicates(Duplicates::Keep));
            }
            if view.workers.is_some() {
                send.emit(Request::SetWorkers(view.workers));
            }
            if view.preset.is_some() {
                send.emit(Request::SetPreset(view.preset));
            }
            if view.stitch {
                send.emit(Request::SetStitch(true));
            }
            if !view.names.is_empty() {
                send.emit(Request::SetNames(view.names.clone()));
            }
            if view.stitch_pair.is_some() {
                send.emit(Request::SetStitchPair(view.stitch_pair.clone()));
            }
            if view.keep.is_some() {
                send.emit(Request::SetKeep(view.keep.clone()));
            }
            if view.stages != StageModel::default() {
                send.emit(Request::SetStageModel(view.stages.clone()));
            }
            load_url(view.data.clone(), view.columns.clone())
        });
    }

    // Selects show the rendered choice even after the user picked another option.
    use_effect(browser::sync_selects);

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

    // Column corrections, the format and the duplicates choice re-read the data in the worker.
    {
        let (send, dispatch) = (send.clone(), state.dispatcher());
        let read_choices = |v: &ViewState| {
            (
                v.columns.clone(),
                v.keep_duplicates,
                v.preset,
                v.stitch,
                v.names.clone(),
                v.stitch_pair.clone(),
                v.keep.clone(),
            )
        };
        let sent = use_mut_ref(|| read_choices(&state.view));
        let has_data = state.summary.is_some();
        let (replaceable, name) = (state.replaceable, state.data_name().unwrap_or_default());
        use_effect_with(read_choices(&state.view), move |now| {
            let before = sent.borrow().clone();
            if has_data && before != *now {
                *sent.borrow_mut() = now.clone();
                dispatch.dispatch(Action::LoadStarted { name, replaceable });
                send.emit(if before.6 != now.6 {
                    Request::SetKeep(now.6.clone())
                } else if before.5 != now.5 {
                    Request::SetStitchPair(now.5.clone())
                } else if before.4 != now.4 {
                    Request::SetNames(now.4.clone())
                } else if before.3 != now.3 {
                    Request::SetStitch(now.3)
                } else if before.1 != now.1 {
                    Request::SetDuplicates(if now.1 { Duplicates::Keep } else { Duplicates::Drop })
                } else if before.2 != now.2 {
                    Request::SetPreset(now.2)
                } else {
                    Request::Remap { columns: now.0.clone() }
                });
            }
        });
    }

    // The number of workers reading a large file applies to the next reading.
    {
        let send = send.clone();
        let sent = use_mut_ref(|| state.view.workers);
        use_effect_with(state.view.workers, move |now| {
            if *sent.borrow() != *now {
                *sent.borrow_mut() = *now;
                send.emit(Request::SetWorkers(*now));
            }
        });
    }

    // The stage model goes to the worker when it changes (it fills the stage column of data
    // without one, and then answers with a new summary).
    {
        let send = send.clone();
        let sent = use_mut_ref(|| state.view.stages.clone());
        use_effect_with(state.view.stages.clone(), move |model| {
            if *sent.borrow() != *model {
                *sent.borrow_mut() = model.clone();
                send.emit(Request::SetStageModel(model.clone()));
            }
        });
    }

    // Stages are recomputed when the model or the data changes, while they are shown.
    {
        let (send, dispatch) = (send.clone(), state.dispatcher());
        let next_id = use_mut_ref(|| 0u32);
        let has_data = state.summary.is_some();
        let shown = state.view.view == "stages";
        use_effect_with((state.generation, state.view.stages.clone(), shown), move |(_, model, shown)| {
            if has_data && *shown {
                let id = {
                    let mut n = next_id.borrow_mut();
                    *n += 1;
                    *n
                };
                dispatch.dispatch(Action::StagesRequested(id, model.clone()));
                send.emit(Request::Stages { id, model: model.clone() });
            }
        });
    }

    // The funnel is recomputed whenever its definition or the data changes.
    {
        let (send, dispatch) = (send.clone(), state.dispatcher());
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
                send.emit(Request::Funnel { id, query: query.clone() });
            }
        });
    }

    // Paths are recomputed when their definition or the data changes, while they are shown.
    {
        let (send, dispatch) = (send.clone(), state.dispatcher());
        let next_id = use_mut_ref(|| 0u32);
        let has_data = state.summary.is_some();
        let shown = state.view.view == "paths";
        // Without a choice, `purchase` is the conversion event where the data has it.
        let mut query = state.view.paths.clone();
        if query.conversion.is_none() {
            let has = |e: &str| state.summary.as_ref().is_some_and(|s| s.event_values.iter().any(|v| v.value == e));
            query.conversion = has("purchase").then(|| "purchase".to_string());
        }
        use_effect_with((state.generation, query, shown), move |(_, query, shown)| {
            if has_data && *shown {
                let id = {
                    let mut n = next_id.borrow_mut();
                    *n += 1;
                    *n
                };
                dispatch.dispatch(Action::PathsRequested(id));
                send.emit(Request::Paths { id, query: query.clone() });
            }
        });
    }

    // Attribution is recomputed when its definition or the data changes, while it is shown.
    let attribution_query = state.summary.as_ref().map(|s| effective_query(&state.view, s)).unwrap_or_default();
    {
        let (send, dispatch) = (send.clone(), state.dispatcher());
        let next_id = use_mut_ref(|| 0u32);
        let has_data = state.summary.is_some();
        let shown = state.view.view == "attribution";
        use_effect_with((state.generation, attribution_query.clone(), shown), move |(_, query, shown)| {
            if has_data && *shown {
                let id = {
                    let mut n = next_id.borrow_mut();
                    *n += 1;
                    *n
                };
                dispatch.dispatch(Action::AttributionRequested(id));
                send.emit(Request::Attribution { id, query: query.clone() });
            }
        });
    }
    let on_journeys = {
        let (send, query) = (send.clone(), attribution_query.clone());
        Callback::from(move |_| send.emit(Request::JourneysCsv { query: query.clone() }))
    };

    let on_view = {
        let dispatch = state.dispatcher();
        Callback::from(move |v: ViewState| dispatch.dispatch(Action::SetView(v)))
    };
    let on_dismiss = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| dispatch.dispatch(Action::DismissError))
    };
    let on_cancel = send.reform(|_| Request::Cancel);
    let on_input_change = {
        let on_files = on_files.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_files.emit(file_list(input.files()));
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
        let (dragging, on_files) = (dragging.clone(), on_files.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            on_files.emit(file_list(e.data_transfer().and_then(|dt| dt.files())));
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
                    { s.data_name().unwrap_or_else(|| "No data loaded".into()) }
                </div>
                <div class="actions">
                    <button class="link" id="load-sample" onclick={on_sample}>{"Sample data"}</button>
                    <label class="button primary" for="file-input">{"Open your own files"}</label>
                    <input id="file-input" type="file" class="visually-hidden" multiple=true
                           accept=".csv,.tsv,.txt,.json,.jsonl,.ndjson,.xes,.gz,.zip,.tar,.tgz,text/csv,text/tab-separated-values,application/json"
                           onchange={on_input_change} />
                </div>
            </header>
            <StatusBar loading={s.loading.clone()} errors={s.load_errors.clone()} notice={s.notice.clone()}
                       has_data={s.summary.is_some()} url_warnings={s.url_warnings.clone()}
                       on_dismiss={on_dismiss} on_cancel={on_cancel} />
            <main class="content">
                <aside class="side">
                    if let Some(summary) = &s.summary {
                        <SummaryPanel summary={summary.clone()} view={s.view.clone()} on_view={on_view.clone()} send={send.clone()} />
                        if summary.path_table.is_none() {
                            <ColumnsPanel summary={summary.clone()} view={s.view.clone()} on_view={on_view.clone()} />
                        }
                    } else if s.loading.is_none() {
                        <p class="muted">{"Drop CSV, TSV or JSON exports anywhere on this page (several at once merge into one journey per customer), or use “Open your own files”."}</p>
                    }
                </aside>
                <section class="main">
                    if let Some(summary) = &s.summary {
                        <nav class="tabs" aria-label="Views">
                            for (key, label) in [("funnel", "Funnel"), ("paths", "Paths"), ("attribution", "Attribution"), ("stages", "Stages")] {
                                <button id={format!("tab-{key}")} class={classes!("tab", (s.view.view == key).then_some("active"))}
                                        aria-pressed={(s.view.view == key).to_string()}
                                        disabled={summary.path_table.is_some() && key != "attribution"}
                                        title={(summary.path_table.is_some() && key != "attribution").then_some("A path table holds aggregated journeys: it has no events for this view")}
                                        onclick={{
                                            let (view, on_view) = (s.view.clone(), on_view.clone());
                                            Callback::from(move |_| {
                                                let mut v = view.clone();
                                                v.view = key.to_string();
                                                on_view.emit(v);
                                            })
                                        }}>{ label }</button>
                            }
                            if match s.view.view.as_str() {
                                "paths" => s.paths_pending,
                                "attribution" => s.attribution_pending,
                                "stages" => s.stages_pending,
                                _ => s.funnel_pending,
                            } {
                                <span class="computing" id="computing" role="status">{"Computing…"}</span>
                            }
                        </nav>
                        if s.view.view == "attribution" {
                            <AttributionView summary={summary.clone()} view={s.view.clone()} on_view={on_view}
                                             result={s.attribution.clone()} error={s.attribution_error.clone()}
                                             query={attribution_query.clone()} on_journeys={on_journeys} />
                        } else if s.view.view == "stages" {
                            <StagesView view={s.view.clone()} on_view={on_view}
                                        result={s.stages.clone()} model={s.stages_model.clone()} error={s.stages_error.clone()}
                                        data_name={s.data_name().unwrap_or_default()}
                                        on_customers={{
                                            let (send, model) = (send.clone(), s.stages_model.clone());
                                            Callback::from(move |_| send.emit(Request::StagesCustomersCsv { model: model.clone() }))
                                        }} />
                        } else if s.view.view == "paths" {
                            <PathsView summary={summary.clone()} view={s.view.clone()} on_view={on_view}
                                       result={s.paths.clone()} error={s.paths_error.clone()} />
                        } else {
                            <FunnelView summary={summary.clone()} view={s.view.clone()} on_view={on_view}
                                        on_customers={{
                                            let (send, query) = (send.clone(), s.view.funnel.clone());
                                            Callback::from(move |_| send.emit(Request::FunnelCustomersCsv { query: query.clone() }))
                                        }}
                                        on_insight_csv={{
                                            let (send, query) = (send.clone(), s.view.funnel.clone());
                                            Callback::from(move |_| send.emit(Request::FunnelInsightCsv { query: query.clone() }))
                                        }}
                                        result={s.funnel.clone()} error={s.funnel_error.clone()}
                                        data_name={s.data_name().unwrap_or_default()} />
                        }
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
