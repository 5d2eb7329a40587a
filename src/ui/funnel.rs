//! The funnel view: builder, SVG chart, table and JSON download.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::browser::{self, int, money};
use super::export::ExportButtons;
use super::{edit_view, Edit};
use crate::core::chart::funnel_layout_with;
use crate::core::dropoff::{DropoffInsight, ValueCount as InsightValue};
use crate::core::funnel::{
    escape_value, step_dimension, Breakdown, Count, Dimension, Exclusion, FunnelExport, FunnelResult, Order, SegmentAt,
    StepMatch, Trend, DEFAULT_SESSION_GAP,
};
use crate::core::session::SessionSource;
use crate::core::summary::{Summary, ValueCount};
use crate::core::time::Duration;
use crate::core::view::ViewState;

#[derive(Properties, PartialEq)]
pub struct FunnelProps {
    pub summary: Rc<Summary>,
    pub view: ViewState,
    pub on_view: Callback<ViewState>,
    pub result: Option<Rc<FunnelResult>>,
    pub error: Option<String>,
    pub data_name: String,
    /// Asks the worker for the funnel's customers as CSV (a download).
    pub on_customers: Callback<()>,
    /// Downloads the drop-off insight's customers as CSV.
    pub on_insight_csv: Callback<()>,
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

/// Values of each other column offered as steps in "+ Add step…".
const OTHER_COLUMN_VALUES: usize = 30;

#[component]
pub fn FunnelView(p: &FunnelProps) -> Html {
    let view = &p.view;
    let q = &view.funnel;
    let values: &[ValueCount] = p.summary.values(&q.by);
    let edit = |f: Edit| edit_view(view, &p.on_view, f);
    let on_by = edit(Rc::new(|v, val| {
        v.funnel.by = Dimension::from_key(&val).unwrap_or_default();
        v.funnel.steps.clear();
        v.funnel.optional.clear();
        v.funnel.exclusions.clear();
    }))
    .reform(|e: Event| select_value(&e));
    let on_open = edit(Rc::new(|v, val| v.funnel.open = val == "1")).reform(|e: Event| {
        if e.target_unchecked_into::<HtmlInputElement>().checked() {
            "1".to_string()
        } else {
            String::new()
        }
    });
    let on_breakdown =
        edit(Rc::new(|v, val| v.funnel.breakdown = Breakdown::from_key(&val))).reform(|e: Event| select_value(&e));
    let on_trend = edit(Rc::new(|v, val| v.funnel.trend = Trend::from_key(&val))).reform(|e: Event| select_value(&e));
    let on_count = edit(Rc::new(|v, val| v.funnel.count = Count::from_key(&val).unwrap_or_default()))
        .reform(|e: Event| select_value(&e));
    let on_sessions = edit(Rc::new(|v, val| v.funnel.sessions = SessionSource::from_key(&val).unwrap_or_default()))
        .reform(|e: Event| select_value(&e));
    let session_column = p.summary.session_columns();
    // The session gap applies when it parses (an invalid text is left in the box, marked).
    let gap_invalid = use_state(|| false);
    let on_gap = {
        let (view, on_view, gap_invalid) = (view.clone(), p.on_view.clone(), gap_invalid.clone());
        Callback::from(move |e: Event| {
            let text = e.target_unchecked_into::<HtmlInputElement>().value();
            match Duration::parse(text.trim()) {
                Ok(d) => {
                    gap_invalid.set(false);
                    let mut v = view.clone();
                    v.funnel.session_gap = (d != DEFAULT_SESSION_GAP).then_some(d);
                    on_view.emit(v);
                }
                Err(_) => gap_invalid.set(true),
            }
        })
    };
    let on_order = edit(Rc::new(|v, val| v.funnel.order = Order::from_key(&val).unwrap_or_default()))
        .reform(|e: Event| select_value(&e));
    let picked = |e: Event| {
        let sel = e.target_unchecked_into::<HtmlSelectElement>();
        let value = sel.value();
        sel.set_value(""); // back to "+ Add step…", so the same value can be added again
        value
    };
    let on_add = edit(Rc::new(|v, val| {
        if !val.is_empty() {
            v.funnel.steps.push(escape_value(&val))
        }
    }))
    .reform(picked);
    // Other columns' options are steps as written (`channel=email`).
    let on_add_other = edit(Rc::new(|v, val| {
        if !val.is_empty() {
            v.funnel.steps.push(val)
        }
    }))
    .reform(picked);

    // A step matching values that contain a text: typed, then Enter.
    let on_add_contains = edit(Rc::new(|v, val| {
        if !val.trim().is_empty() {
            v.funnel.steps.push(format!("contains:{}", escape_value(val.trim())))
        }
    }))
    .reform(|e: Event| {
        let input = e.target_unchecked_into::<HtmlInputElement>();
        let value = input.value();
        input.set_value("");
        value
    });

    // A step matching a regular expression: typed, then Enter.
    let on_add_regex = edit(Rc::new(|v, val| {
        if !val.trim().is_empty() {
            v.funnel.steps.push(format!("re:{}", val.trim()))
        }
    }))
    .reform(|e: Event| {
        let input = e.target_unchecked_into::<HtmlInputElement>();
        let value = input.value();
        input.set_value("");
        value
    });

    // The window is edited as text and applied when valid.
    let window_text = use_state(|| q.window.map(|w| w.to_string()).unwrap_or_default());
    let window_error = use_state(|| None::<String>);
    {
        let (window_text, w) = (window_text.clone(), q.window);
        use_effect_with(w, move |w| window_text.set(w.map(|w| w.to_string()).unwrap_or_default()));
    }
    let on_window = {
        let (view, on_view, window_error, window_text) =
            (view.clone(), p.on_view.clone(), window_error.clone(), window_text.clone());
        Callback::from(move |e: Event| {
            let text = e.target_unchecked_into::<HtmlInputElement>().value();
            window_text.set(text.clone());
            let parsed = if text.trim().is_empty() { Ok(None) } else { Duration::parse(&text).map(Some) };
            match parsed {
                Ok(w) => {
                    window_error.set(None);
                    let mut v = view.clone();
                    v.funnel.window = w;
                    on_view.emit(v);
                }
                Err(msg) => window_error.set(Some(msg)),
            }
        })
    };

    let on_download = {
        let (result, summary, name) = (p.result.clone(), p.summary.clone(), p.data_name.clone());
        Callback::from(move |_| {
            if let Some(r) = &result {
                let mut doc = FunnelExport::new(&name, summary.events, r);
                if r.session_source == Some(SessionSource::Column) {
                    doc.session_column = summary.session_columns();
                }
                if let Ok(json) = serde_json::to_string_pretty(&doc) {
                    browser::download("touchpath-funnel.json", "application/json", &json);
                }
            }
        })
    };

    let copied = use_state(|| false);
    let on_copy = {
        let copied = copied.clone();
        Callback::from(move |_| {
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(browser::copy_text(&browser::page_url()).await);
            });
        })
    };
    {
        let copied = copied.clone();
        use_effect_with(view.clone(), move |_| copied.set(false));
    }

    let channel_ok = p.summary.has_channel;
    // Breakdowns the data allows: first/last value of each column, and each column's value at a step.
    let dims = super::dimensions(&p.summary);
    let whole_history: Vec<Breakdown> = dims
        .iter()
        .filter(|d| **d != Dimension::Event)
        .flat_map(|by| [SegmentAt::First, SegmentAt::Last].map(|at| Breakdown { at, by: by.clone() }))
        .collect();
    let at_steps: Vec<Breakdown> = (0..q.steps.len())
        .flat_map(|j| dims.iter().map(move |by| Breakdown { at: SegmentAt::Step(j), by: by.clone() }))
        .collect();
    html! {
        <section class="card funnel" id="funnel">
            <div class="card-head">
                <h2>{"Funnel"}</h2>
                <div class="head-actions">
                    <ExportButtons chart="funnel-chart" file="touchpath-funnel" disabled={p.result.is_none()} />
                    <button class="button" id="copy-link" onclick={on_copy}
                            title="Copy a link to this view (the link never contains your data)">
                        { if *copied { "Link copied" } else { "Copy link" } }
                    </button>
                    <button class="button" id="download-json" onclick={on_download} disabled={p.result.is_none()}>
                        {"Download JSON"}
                    </button>
                    <button class="button" id="download-funnel-customers" onclick={p.on_customers.reform(|_: MouseEvent| ())}
                            disabled={p.result.is_none()}
                            title="Every customer who entered the funnel, with the furthest step reached, the step missed and their last channel (for retargeting lists)">
                        {"Customers CSV"}
                    </button>
                </div>
            </div>
            <div class="builder" id="funnel-builder">
                <label class="field">
                    <span>{"Steps are"}</span>
                    <select id="funnel-by" onchange={on_by}>
                        <option value="event" selected={q.by == Dimension::Event}>{"events"}</option>
                        <option value="channel" selected={q.by == Dimension::Channel} disabled={!channel_ok}>
                            { if channel_ok { "channels" } else { "channels (no channel column)" } }
                        </option>
                        <option value="stage" selected={q.by == Dimension::Stage} disabled={p.summary.stage_values.is_empty()}>{"stages"}</option>
                        { super::attr_options(&p.summary, &q.by) }
                    </select>
                </label>
                <label class="field">
                    <span>{"Order"}</span>
                    <select id="funnel-order" onchange={on_order}>
                        <option value="ordered" selected={q.order == Order::Ordered} title="Other events may come between steps">{"in order"}</option>
                        <option value="strict" selected={q.order == Order::Strict} title="Each step is the very next event">{"strictly in order"}</option>
                        <option value="any" selected={q.order == Order::Any}>{"in any order"}</option>
                    </select>
                </label>
                <label class="field">
                    <span>{"Conversion window"}</span>
                    <input id="funnel-window" type="text" placeholder="none (e.g. 30m, 7d)" size="16"
                           value={(*window_text).clone()} onchange={on_window}
                           aria-invalid={window_error.is_some().to_string()} />
                </label>
                <label class="field">
                    <span>{"Count"}</span>
                    <select id="funnel-count" onchange={on_count}>
                        <option value="customers" selected={q.count == Count::Customers}>{"customers"}</option>
                        <option value="sessions" selected={q.count == Count::Sessions} title="A session ends after a gap without events">{"sessions"}</option>
                        <option value="totals" selected={q.count == Count::Totals} title="Every attempt: a customer's history starts a new attempt after each conversion">{"every conversion (totals)"}</option>
                    </select>
                </label>
                if let (Count::Sessions, Some(col)) = (q.count, &session_column) {
                    <label class="field">
                        <span>{"Sessions from"}</span>
                        <select id="funnel-sessions" onchange={on_sessions}>
                            <option value="column" selected={q.sessions == SessionSource::Column}
                                    title="A session is a customer and a session id">{ format!("the {col} column") }</option>
                            <option value="gap" selected={q.sessions == SessionSource::Gap}>{"an inactivity gap"}</option>
                        </select>
                    </label>
                }
                if q.count == Count::Sessions {
                    <label class="field" title="With sessions from the column: splits the events that have no session id">
                        <span>{"Session ends after"}</span>
                        <input id="funnel-session-gap" type="text" size="8" aria-invalid={gap_invalid.to_string()}
                               value={q.session_gap.unwrap_or(DEFAULT_SESSION_GAP).to_string()} onchange={on_gap} />
                    </label>
                }
                <label class="field">
                    <span>{"Break down by"}</span>
                    <select id="funnel-breakdown" onchange={on_breakdown}>
                        <option value="" selected={q.breakdown.is_none()}>{"nothing"}</option>
                        <optgroup label="Whole history">
                            for b in whole_history {
                                <option value={b.key()} selected={q.breakdown.as_ref() == Some(&b)}>{ b.describe() }</option>
                            }
                        </optgroup>
                        <optgroup label="At a step">
                            for b in at_steps {
                                <option value={b.key()} selected={q.breakdown.as_ref() == Some(&b)}>{ b.describe() }</option>
                            }
                        </optgroup>
                    </select>
                </label>
                <label class="field">
                    <span>{"Conversion over time"}</span>
                    <select id="funnel-over-time" onchange={on_trend}>
                        <option value="" selected={q.trend.is_none()}>{"off"}</option>
                        <option value="day" selected={q.trend == Some(Trend::Day)}>{"by day"}</option>
                        <option value="week" selected={q.trend == Some(Trend::Week)}>{"by week"}</option>
                        <option value="month" selected={q.trend == Some(Trend::Month)}>{"by month"}</option>
                    </select>
                </label>
                <label class="check" title="Customers may enter at any step (GA4's open funnel)">
                    <input id="funnel-open" type="checkbox" checked={q.open} onchange={on_open} />
                    {"Open funnel"}
                </label>
                if let Some(err) = &*window_error { <span class="field-error" id="window-error">{ err.clone() }</span> }
            </div>
            <ol class="steps" id="funnel-steps">
                for (i, step) in q.steps.iter().enumerate() {
                    // Keyed by position and value: a step whose value changes gets a new <select>, so
                    // what it shows cannot drift from the view (browsers ignore `selected` once a user picked).
                    <li class="step" key={format!("{i}:{step}")}>
                        <span class="step-no">{ i + 1 }</span>
                        <select class="step-select" aria-label={format!("Step {}", i + 1)} onchange={
                            edit(Rc::new(move |v, val| v.funnel.steps[i] = val)).reform(|e: Event| select_value(&e))
                        }>
                            if !values.iter().any(|v| escape_value(&v.value) == *step) {
                                <option value={step.clone()} selected=true>{ special_step(step, &p.summary, &q.by) }</option>
                            }
                            for v in values {
                                <option value={escape_value(&v.value)} selected={escape_value(&v.value) == *step}>{ v.value.clone() }</option>
                            }
                        </select>
                        <select class="step-or" aria-label={format!("Step {}: or another value", i + 1)} title="Let another value also match this step" onchange={
                            edit(Rc::new(move |v, val| {
                                if !val.is_empty() {
                                    v.funnel.steps[i] = format!("{}|{}", v.funnel.steps[i], escape_value(&val));
                                }
                            })).reform(|e: Event| {
                                let sel = e.target_unchecked_into::<HtmlSelectElement>();
                                let value = sel.value();
                                sel.set_value("");
                                value
                            })
                        }>
                            <option value="" selected=true>{"or…"}</option>
                            // A step on another column takes that column's values.
                            for v in step_dimension(step).filter(|(d, _)| *d != q.by && dims.contains(d))
                                .map_or(values, |(d, _)| p.summary.values(&d)).iter().take(500) {
                                <option value={v.value.clone()}>{ v.value.clone() }</option>
                            }
                        </select>
                        if i > 0 {
                            <label class="step-optional" title="Customers may skip this step">
                                <input type="checkbox" aria-label={format!("Step {} optional", i + 1)} checked={q.is_optional(i)}
                                    onchange={edit(Rc::new(move |v, val| v.funnel.set_optional(i, val == "1")))
                                        .reform(|e: Event| if e.target_unchecked_into::<HtmlInputElement>().checked() { "1".into() } else { String::new() })} />
                                {"optional"}
                            </label>
                        }
                        <button class="icon" title="Move up" aria-label={format!("Move step {} up", i + 1)} disabled={i == 0}
                            onclick={edit(Rc::new(move |v, _| v.funnel.move_up(i))).reform(|_| String::new())}>{"↑"}</button>
                        <button class="icon" title="Remove" aria-label={format!("Remove step {}", i + 1)}
                            onclick={edit(Rc::new(move |v, _| v.funnel.remove_step(i))).reform(|_| String::new())}>{"×"}</button>
                    </li>
                }
                <li class="step add" key="add">
                    <select id="add-step" onchange={on_add} aria-label="Add a step">
                        <option value="" selected=true>{"+ Add step…"}</option>
                        for v in values {
                            <option value={v.value.clone()}>{ format!("{} ({})", v.value, int(v.events)) }</option>
                        }
                    </select>
                    <select id="add-step-other" onchange={on_add_other} aria-label="Add a step on another column"
                            title="A step matched on another column than the funnel's (channel=email in an event funnel)">
                        <option value="" selected=true>{"+ Step on another column…"}</option>
                        for d in dims.iter().filter(|d| **d != q.by) {
                            <optgroup label={d.label().to_string()}>
                                for v in p.summary.values(d).iter().filter(|v| !v.value.is_empty()).take(OTHER_COLUMN_VALUES) {
                                    <option value={format!("{}={}", d.key(), escape_value(&v.value))}>
                                        { format!("{}={} ({})", d.label(), v.value, int(v.events)) }
                                    </option>
                                }
                            </optgroup>
                        }
                    </select>
                    <input id="add-contains" type="text" size="14" placeholder="+ step containing…" aria-label="Add a step matching values that contain a text"
                           title="A step matching every value that contains this text (ignoring case); press Enter" onchange={on_add_contains} />
                    <input id="add-regex" type="text" size="14" placeholder="+ step matching regex…" aria-label="Add a step matching a regular expression"
                           title="A step matching every value in which this regular expression finds a match (^…$ for whole values, (?i) to ignore case); press Enter" onchange={on_add_regex} />
                </li>
            </ol>
            <div class="exclusions" id="funnel-exclusions">
                for (n, x) in q.exclusions.iter().enumerate() {
                    <div class="exclusion" key={format!("{n}:{}:{}:{}", x.value, x.from, x.to)}>
                        <span>{"Drop customers who do"}</span>
                        <select class="excl-value" aria-label={format!("Exclusion {} value", n + 1)} onchange={
                            edit(Rc::new(move |v, val| v.funnel.exclusions[n].value = val)).reform(|e: Event| select_value(&e))
                        }>
                            if !values.iter().any(|v| v.value == x.value) {
                                <option value={x.value.clone()} selected=true>{ format!("{} (not in data)", x.value) }</option>
                            }
                            for v in values {
                                <option value={v.value.clone()} selected={v.value == x.value}>{ v.value.clone() }</option>
                            }
                        </select>
                        <span>{"between step"}</span>
                        <select class="excl-from" aria-label={format!("Exclusion {} from step", n + 1)} onchange={
                            edit(Rc::new(move |v, val| {
                                let e = &mut v.funnel.exclusions[n];
                                e.from = val.parse().unwrap_or(0);
                                e.to = e.to.max(e.from + 1);
                            })).reform(|e: Event| select_value(&e))
                        }>
                            for i in (0..q.steps.len().saturating_sub(1)).filter(|&i| !q.is_optional(i)) {
                                <option value={i.to_string()} selected={i == x.from}>{ i + 1 }</option>
                            }
                        </select>
                        <span>{"and step"}</span>
                        <select class="excl-to" aria-label={format!("Exclusion {} to step", n + 1)} onchange={
                            edit(Rc::new(move |v, val| v.funnel.exclusions[n].to = val.parse().unwrap_or(1))).reform(|e: Event| select_value(&e))
                        }>
                            for j in x.from + 1..q.steps.len() {
                                <option value={j.to_string()} selected={j == x.to}>{ j + 1 }</option>
                            }
                        </select>
                        if q.order != Order::Ordered { <span class="muted">{"(applies to in-order funnels only)"}</span> }
                        <button class="icon" title="Remove exclusion" aria-label={format!("Remove exclusion {}", n + 1)}
                            onclick={edit(Rc::new(move |v, _| { v.funnel.exclusions.remove(n); })).reform(|_| String::new())}>{"×"}</button>
                    </div>
                }
                if q.steps.len() >= 2 {
                    <button class="button" id="add-exclusion" title="Drop customers who do an event between two steps"
                        onclick={edit(Rc::new(|v, _| {
                            let value = v.funnel.steps.first().cloned().unwrap_or_default();
                            let to = v.funnel.steps.len() - 1;
                            v.funnel.exclusions.push(Exclusion { value, from: 0, to });
                        })).reform(|_| String::new())}>{"+ Exclusion"}</button>
                }
            </div>
            if let Some(e) = &p.error { <p class="error" id="funnel-error">{ e.clone() }</p> }
            if let Some(r) = &p.result {
                if !r.steps.is_empty() {
                    <FunnelChart result={r.clone()} />
                    <FunnelTable result={r.clone()} view={p.view.clone()} on_view={p.on_view.clone()}
                                 session_column={session_column.clone()} />
                    if let Some(rev) = r.revenue_last_step {
                        <p class="muted" id="funnel-revenue"
                           title="The revenue on the event that did the last step, once per customer (or session, or attempt) who reached it">
                            { revenue_line(r, rev) }
                        </p>
                    }
                    if let Some(insight) = &r.insight {
                        <Dropoff result={r.clone()} insight={Rc::new(insight.clone())} view={p.view.clone()} on_view={p.on_view.clone()}
                                 on_csv={p.on_insight_csv.clone()} />
                    }
                    if r.time_to_convert.iter().any(|b| b.customers > 0) {
                        <TimeToConvert result={r.clone()} view={p.view.clone()} on_view={p.on_view.clone()} />
                    }
                    if r.breakdown.is_some() {
                        <Segments result={r.clone()} />
                    }
                    if r.trend.is_some() {
                        <OverTime result={r.clone()} />
                    }
                }
            } else if q.steps.is_empty() {
                <p class="muted">{"Add steps to build a funnel."}</p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ResultProps {
    pub result: Rc<FunnelResult>,
}

/// What the step select shows for a step that is not one plain value of the data: its
/// alternatives or `contains …`, marked when nothing in the data matches it. Regular expressions
/// are only evaluated in the worker (the table marks a step that matches nothing), which keeps the
/// regex engine out of the page's download.
/// How a step that is not one value of the funnel's column reads: `contains x`, `matches /x/`,
/// `a or b`, `channel: email` (a step on another column), with `(not in data)` when nothing matches.
fn special_step(step: &str, summary: &Summary, by: &Dimension) -> String {
    let (dim, text) = match step_dimension(step) {
        Some((d, rest)) if d != *by && super::dimensions(summary).contains(&d) => (d, rest),
        _ => (by.clone(), step),
    };
    let m = StepMatch::parse(text);
    let on = if dim == *by { String::new() } else { format!("{}: ", dim.label()) };
    if m.regex {
        return format!("{on}{}", m.describe());
    }
    let found = summary.values(&dim).iter().any(|v| m.plain_match(&v.value));
    // A kept column's summary lists its most frequent values only.
    let listed_all = match &dim {
        Dimension::Attr(n) => {
            summary.attrs.iter().find(|a| a.name == *n).is_none_or(|a| a.distinct as usize <= a.values.len())
        }
        _ => true,
    };
    format!("{on}{}{}", m.describe(), if found || !listed_all { "" } else { " (not in data)" })
}

fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        format!("{}…", label.chars().take(max - 1).collect::<String>())
    }
}

/// Styles inside the SVG, so an exported file looks as on screen.
const FUNNEL_SVG_STYLE: &str = "text{font-family:system-ui,sans-serif;font-size:12px;fill:#5b6675}\
.value{fill:#1b2430;font-weight:600}.bar{fill:#2f7fd8}.bar.optional{fill:#7fb0e8}.ghost{fill:#d5e4f6}.tick line{stroke:#edf0f4}.axis{stroke:#9aa7b5}";

/// Bars per step, the previous step as a pale "ghost" to show the drop-off.
#[component]
pub fn FunnelChart(p: &ResultProps) -> Html {
    let (w, h) = (720.0, 300.0);
    let counts: Vec<u64> = p.result.steps.iter().map(|s| s.customers).collect();
    // The ghost is the step this one is compared with: the nearest earlier required step.
    let steps = &p.result.steps;
    let previous: Vec<u64> = (0..steps.len())
        .map(|i| (0..i).rev().find(|&j| !steps[j].optional).map_or(steps[i].customers, |j| steps[j].customers))
        .collect();
    let g = funnel_layout_with(&counts, &previous, w, h);
    let label_len = (90 / counts.len().max(1)).clamp(8, 24);
    html! {
        <svg id="funnel-chart" class="chart" viewBox={format!("0 0 {w} {h}")} role="img"
             xmlns="http://www.w3.org/2000/svg" aria-label="Funnel chart: customers reaching each step">
            <style>{ FUNNEL_SVG_STYLE }</style>
            { count_gridlines(&g) }
            for (i, (b, s)) in g.bars.iter().zip(&p.result.steps).enumerate() {
                <g class="step-bar">
                    <title>{ format!("{}: {} customers ({:.1}% of step 1, {:.1}% of previous)", s.label, int(s.customers), s.pct_of_first, s.pct_of_previous) }</title>
                    if i > 0 {
                        <rect class="ghost" x={b.x.to_string()} width={b.width.to_string()}
                              y={b.ghost_y.to_string()} height={(b.y - b.ghost_y).max(0.0).to_string()} />
                    }
                    <rect class={if s.optional { "bar optional" } else { "bar" }} x={b.x.to_string()} width={b.width.to_string()} y={b.y.to_string()} height={b.height.to_string()} />
                    <text class="value" x={(b.x + b.width / 2.0).to_string()} y={(b.y - 6.0).to_string()} text-anchor="middle">
                        { format!("{} · {:.1}%", int(s.customers), s.pct_of_first) }
                    </text>
                    <text class="label" x={(b.x + b.width / 2.0).to_string()} y={(g.baseline + 18.0).to_string()} text-anchor="middle">
                        { format!("{}. {}{}", i + 1, short(&StepMatch::parse(&s.label).describe(), label_len), if s.optional { " (optional)" } else { "" }) }
                    </text>
                </g>
            }
            <line class="axis" x1={g.plot_left.to_string()} x2={g.plot_right.to_string()}
                  y1={g.baseline.to_string()} y2={g.baseline.to_string()} />
        </svg>
    }
}

/// "2.0 d / 7.0 d", or "—".
fn times(median: Option<f64>, p90: Option<f64>) -> String {
    match (median, p90) {
        (Some(m), Some(p)) => format!("{} / {}", super::browser::duration(m), super::browser::duration(p)),
        _ => "—".into(),
    }
}

/// "Revenue at the last step: 1,234.50 from 12 customers".
fn revenue_line(r: &FunnelResult, revenue: f64) -> String {
    let n = r.steps.last().map_or(0, |s| s.customers);
    let unit = unit_label(r).to_lowercase();
    let unit = if n == 1 { unit.trim_end_matches('s') } else { &unit };
    format!("Revenue at the last step: {} from {} {unit}", money(revenue), int(n))
}

/// What the step counts count, as a column heading.
fn unit_label(r: &FunnelResult) -> &'static str {
    match r.count {
        Count::Customers => "Customers",
        Count::Sessions => "Sessions",
        Count::Totals => "Attempts",
    }
}

/// The same numbers as a table; a required step's drop-off opens its insight.
#[component]
pub fn FunnelTable(p: &ResultViewProps) -> Html {
    let r = &p.result;
    let insight = |step: Option<usize>| {
        let (view, on_view) = (p.view.clone(), p.on_view.clone());
        Callback::from(move |_: MouseEvent| {
            let mut v = view.clone();
            v.funnel.insight = step;
            on_view.emit(v);
        })
    };
    html! {
        <table class="data" id="funnel-table">
            <caption>
                { format!("{} customers in the data · steps by {}{}{}{}{}{}", int(r.total_customers), r.by.key(),
                    match r.order { Order::Ordered => "", Order::Strict => " · strictly in order", Order::Any => " · in any order" },
                    r.window.as_ref().map(|w| format!(" · window {w} from step 1")).unwrap_or_default(),
                    if r.open { " · open: customers may enter at any step" } else { "" },
                    match (r.sessions, r.session_source, &r.session_gap) {
                        (Some(n), Some(SessionSource::Column), _) => format!(" · counting {} sessions from the {} column", int(n),
                            p.session_column.as_deref().unwrap_or("session")),
                        (Some(n), _, Some(g)) => format!(" · counting {} sessions (a gap over {g} ends one)", int(n)),
                        _ => String::new(),
                    },
                    r.exclusions.iter().map(|e| format!(" · excluding {} between steps {} and {}", e.value, e.from + 1, e.to + 1)).collect::<String>()) }
                if r.count == Count::Totals {
                    <span id="funnel-totals-note">{" · counting every attempt: after each conversion a customer's next events start a new one"}</span>
                }
            </caption>
            <thead>
                <tr>
                    <th>{"#"}</th><th>{"Step"}</th><th class="num">{ unit_label(r) }</th>
                    <th class="num">{"% of first"}</th><th class="num">{"% of previous"}</th><th class="num">{"Drop-off"}</th>
                    if r.open { <th class="num" title="Customers who entered the funnel at this step (did not arrive from an earlier step)">{"Entered here"}</th> }
                    <th class="num" title="Median and 90th percentile time from the previous step">{"Time from previous (median / p90)"}</th>
                    <th class="num" title="Median and 90th percentile time from step 1">{"From step 1"}</th>
                    <th><span class="visually-hidden">{"Drop-off insight"}</span></th>
                </tr>
            </thead>
            <tbody>
                for (i, s) in r.steps.iter().enumerate() {
                    <tr class={classes!("funnel-row", s.optional.then_some("optional"))}>
                        <td>{ i + 1 }
                            if s.optional { <span class="muted opt-tag" title="Optional: may be skipped; % of previous and drop-off are of the nearest earlier required step">{" opt."}</span> }
                        </td>
                        <td class="step-label">{ StepMatch::parse(&s.label).describe() }</td>
                        <td class="num step-customers">{ int(s.customers) }</td>
                        <td class="num step-pct-first">{ format!("{:.1}%", s.pct_of_first) }</td>
                        <td class="num step-pct-prev">{ format!("{:.1}%", s.pct_of_previous) }</td>
                        <td class="num step-dropoff">{ int(s.dropoff) }</td>
                        if r.open { <td class="num step-entries">{ int(s.entries.unwrap_or(0)) }</td> }
                        <td class="num step-time-prev">{ times(s.median_from_previous_s, s.p90_from_previous_s) }</td>
                        <td class="num step-time-first">{ times(s.median_from_first_s, s.p90_from_first_s) }</td>
                        <td class="insight-cell">
                            if let Some(prev) = (i > 0 && !s.optional).then(|| (0..i).rev().find(|&j| !r.steps[j].optional)).flatten() {
                                <button class="link insight-link" aria-label={format!("Drop-off insight: step {} to step {}", prev + 1, i + 1)}
                                        title="What the customers who stopped here did instead, and what those who went on did between"
                                        onclick={insight(Some(prev))}>{"why?"}</button>
                            }
                        </td>
                    </tr>
                }
            </tbody>
        </table>
    }
}

#[derive(Properties, PartialEq)]
pub struct ResultViewProps {
    pub result: Rc<FunnelResult>,
    pub view: ViewState,
    pub on_view: Callback<ViewState>,
    /// The session column's header name, for the caption of sessions counted from it.
    #[prop_or_default]
    pub session_column: Option<String>,
}

/// The time from step 1 to the last step (or a chosen step, `ttc=`), as bars and a table.
#[component]
pub fn TimeToConvert(p: &ResultViewProps) -> Html {
    let bins = &p.result.time_to_convert;
    let to = p.result.time_to_convert_step.unwrap_or(p.result.steps.len().saturating_sub(1));
    let from = p.result.time_to_convert_from.unwrap_or(0);
    let on_from = {
        let (view, on_view) = (p.view.clone(), p.on_view.clone());
        Callback::from(move |e: Event| {
            let mut v = view.clone();
            let i: usize = select_value(&e).parse().unwrap_or(0);
            v.funnel.ttc_from = (i > 0).then_some(i);
            on_view.emit(v);
        })
    };
    let on_to = {
        let (view, on_view, k) = (p.view.clone(), p.on_view.clone(), p.result.steps.len());
        Callback::from(move |e: Event| {
            let mut v = view.clone();
            let j: usize = select_value(&e).parse().unwrap_or(k - 1);
            v.funnel.ttc_to = (j + 1 < k).then_some(j);
            on_view.emit(v);
        })
    };
    let (w, h) = (720.0, 200.0);
    let counts: Vec<u64> = bins.iter().map(|b| b.customers).collect();
    let g = funnel_layout_with(&counts, &counts, w, h);
    let total: u64 = counts.iter().sum();
    let last = p.result.steps.get(to).map(|s| StepMatch::parse(&s.label).describe()).unwrap_or_default();
    let first = p.result.steps.get(from).map(|s| StepMatch::parse(&s.label).describe()).unwrap_or_default();
    let unit = unit_label(&p.result);
    html! {
        <div class="time-to-convert" id="funnel-ttc">
            <h3>{ format!("Time to convert: {first} → {last}") }</h3>
            <label class="field"><span>{"From step"}</span>
                <select id="funnel-ttc-from" onchange={on_from}>
                    for (i, s) in p.result.steps.iter().enumerate().take(to) {
                        <option value={i.to_string()} selected={i == from}>{ format!("{}. {}", i + 1, StepMatch::parse(&s.label).describe()) }</option>
                    }
                </select>
            </label>
            <label class="field"><span>{"To step"}</span>
                <select id="funnel-ttc-to" onchange={on_to}>
                    for (j, s) in p.result.steps.iter().enumerate().skip(from + 1) {
                        <option value={j.to_string()} selected={j == to}>{ format!("{}. {}", j + 1, StepMatch::parse(&s.label).describe()) }</option>
                    }
                </select>
            </label>
            <svg id="funnel-ttc-chart" class="chart" viewBox={format!("0 0 {w} {h}")} role="img"
                 xmlns="http://www.w3.org/2000/svg" aria-label={format!("Histogram of the time from step {} to step {}", from + 1, to + 1)}>
                <style>{ FUNNEL_SVG_STYLE }</style>
                { count_gridlines(&g) }
                for (b, bin) in g.bars.iter().zip(bins.iter()) {
                    <g class="step-bar">
                        <title>{ format!("{}: {}", bin.label, int(bin.customers)) }</title>
                        <rect class="bar" x={b.x.to_string()} width={b.width.to_string()} y={b.y.to_string()} height={b.height.to_string()} />
                        if bin.customers > 0 {
                            <text class="value" x={(b.x + b.width / 2.0).to_string()} y={(b.y - 6.0).to_string()} text-anchor="middle">{ int(bin.customers) }</text>
                        }
                        <text class="label" x={(b.x + b.width / 2.0).to_string()} y={(g.baseline + 18.0).to_string()} text-anchor="middle">{ bin.label.clone() }</text>
                    </g>
                }
                <line class="axis" x1={g.plot_left.to_string()} x2={g.plot_right.to_string()}
                      y1={g.baseline.to_string()} y2={g.baseline.to_string()} />
            </svg>
            <table class="data mini" id="funnel-ttc-table">
                <thead><tr><th>{ format!("Time from step {} to step {}", from + 1, to + 1) }</th><th class="num">{ unit }</th><th class="num">{"Share"}</th></tr></thead>
                <tbody>
                    for bin in bins.iter() {
                        <tr class="ttc-row">
                            <td class="ttc-label">{ bin.label.clone() }</td>
                            <td class="num ttc-count">{ int(bin.customers) }</td>
                            <td class="num ttc-share">{ format!("{:.1}%", if total == 0 { 0.0 } else { bin.customers as f64 * 100.0 / total as f64 }) }</td>
                        </tr>
                    }
                </tbody>
            </table>
        </div>
    }
}

/// Conversion rate per period of entry: bars (0–100 %) and a table.
#[component]
pub fn OverTime(p: &ResultProps) -> Html {
    let r = &p.result;
    let rows = &r.over_time;
    let items: Vec<(String, Option<f64>, String)> = rows
        .iter()
        .map(|row| {
            let rate = row.rate_pct.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "nobody entered".into());
            let title = format!("{}: {} of {} converted ({rate})", row.period, int(row.converted), int(row.entered));
            (row.period.clone(), row.rate_pct, title)
        })
        .collect();
    let grain = match r.trend {
        Some(Trend::Day) => "day",
        Some(Trend::Week) => "week (from Monday)",
        _ => "month",
    };
    let unit = unit_label(r);
    html! {
        <div class="over-time" id="funnel-trend">
            <h3>{ format!("Conversion over time, by {grain} of entry") }</h3>
            if rows.is_empty() {
                <p class="muted">{"Nobody reached step 1."}</p>
            } else {
                { rate_bars("funnel-trend-chart", "Conversion rate per period of entry", &items, false) }
                <table class="data mini" id="funnel-trend-table">
                    <thead><tr><th>{"Entered in"}</th><th class="num">{ format!("{unit} entered") }</th><th class="num">{"Converted"}</th><th class="num">{"Rate"}</th></tr></thead>
                    <tbody>
                        for row in rows.iter() {
                            <tr class="trend-row">
                                <td class="trend-period">{ row.period.clone() }</td>
                                <td class="num trend-entered">{ int(row.entered) }</td>
                                <td class="num trend-converted">{ int(row.converted) }</td>
                                <td class="num trend-rate">{ row.rate_pct.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into()) }</td>
                            </tr>
                        }
                    </tbody>
                </table>
            }
        </div>
    }
}

/// Bars of percentages (0–100 %), one per item: (label, rate, tooltip); `coloured`: each bar in
/// its value's colour (as in the Sankey), grey for `(other)`, `(none)` and the like.
fn rate_bars(id: &str, aria: &str, items: &[(String, Option<f64>, String)], coloured: bool) -> Html {
    let fill = |label: &str| match coloured {
        false => None,
        true if label.starts_with('(') => Some("#9aa7b5"),
        true => Some(super::paths::colour(label)),
    };
    let (w, h) = (720.0, 200.0);
    let (left, right, top, bottom) = (48.0, 8.0, 16.0, 40.0);
    let plot_h = h - top - bottom;
    let band = (w - left - right) / items.len().max(1) as f64;
    let every = items.len().div_ceil(7).max(1); // at most 7 labels, so they never overlap
    let y = |pct: f64| top + plot_h * (1.0 - pct / 100.0);
    html! {
        <svg id={id.to_string()} class="chart" viewBox={format!("0 0 {w} {h}")} role="img"
             xmlns="http://www.w3.org/2000/svg" aria-label={aria.to_string()}>
            <style>{ FUNNEL_SVG_STYLE }</style>
            for t in [0.0, 25.0, 50.0, 75.0, 100.0] {
                <g class="tick">
                    <line x1={left.to_string()} x2={(w - right).to_string()} y1={y(t).to_string()} y2={y(t).to_string()} />
                    <text x={(left - 6.0).to_string()} y={(y(t) + 4.0).to_string()} text-anchor="end">{ format!("{t}%") }</text>
                </g>
            }
            for (i, (label, rate, title)) in items.iter().enumerate() {
                <g class="step-bar">
                    <title>{ title.clone() }</title>
                    <rect class="bar" style={fill(label).map(|c| format!("fill:{c}"))} x={(left + band * i as f64 + band * 0.14).to_string()} width={(band * 0.72).to_string()}
                          y={y(rate.unwrap_or(0.0)).to_string()} height={(plot_h * rate.unwrap_or(0.0) / 100.0).to_string()} />
                    if let Some(r) = rate {
                        if items.len() <= 12 {
                            <text class="value" x={(left + band * (i as f64 + 0.5)).to_string()} y={(y(*r) - 6.0).to_string()} text-anchor="middle">{ format!("{r:.1}%") }</text>
                        }
                    }
                    if i % every == 0 {
                        <text class="label" x={(left + band * (i as f64 + 0.5)).to_string()} y={(h - bottom + 18.0).to_string()} text-anchor="middle">{ short(label, 18) }</text>
                    }
                </g>
            }
            <line class="axis" x1={left.to_string()} x2={(w - right).to_string()} y1={(h - bottom).to_string()} y2={(h - bottom).to_string()} />
        </svg>
    }
}

/// The funnel per segment: conversion bars and a table of every step's count.
#[component]
pub fn Segments(p: &ResultProps) -> Html {
    let r = &p.result;
    let by = r.breakdown.as_ref().map(Breakdown::describe).unwrap_or_default();
    let items: Vec<(String, Option<f64>, String)> = r
        .segments
        .iter()
        .map(|s| {
            let title = format!(
                "{}: {} converted of {} at step 1",
                s.segment,
                int(*s.steps.last().unwrap_or(&0)),
                int(s.steps[0])
            );
            (s.segment.clone(), s.conversion_pct, title)
        })
        .collect();
    html! {
        <div class="segments" id="funnel-segments">
            <h3>{ format!("By {by}: conversion from step 1 to the last step") }</h3>
            if r.segments.is_empty() {
                <p class="muted">{"No customers to break down."}</p>
            } else {
                { rate_bars("funnel-breakdown-chart", "Conversion per segment", &items, true) }
                <table class="data mini" id="funnel-breakdown-table">
                    <thead>
                        <tr>
                            <th>{"Segment"}</th>
                            for (i, s) in r.steps.iter().enumerate() {
                                <th class="num">{ format!("{}. {}", i + 1, short(&StepMatch::parse(&s.label).describe(), 18)) }</th>
                            }
                            <th class="num">{"Conversion"}</th>
                        </tr>
                    </thead>
                    <tbody>
                        for s in r.segments.iter() {
                            <tr class="segment-row">
                                <td class="segment-name">{ s.segment.clone() }</td>
                                for n in s.steps.iter() { <td class="num segment-count">{ int(*n) }</td> }
                                <td class="num segment-rate">{ s.conversion_pct.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into()) }</td>
                            </tr>
                        }
                    </tbody>
                </table>
            }
        </div>
    }
}

/// Horizontal gridlines with count labels on the left, for a bar chart laid out by `chart`.
fn count_gridlines(g: &crate::core::chart::FunnelGeometry) -> Html {
    html! {
        for (t, y) in g.ticks.iter().copied() {
            <g class="tick">
                <line x1={g.plot_left.to_string()} x2={g.plot_right.to_string()} y1={y.to_string()} y2={y.to_string()} />
                <text x={(g.plot_left - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ int(t as u64) }</text>
            </g>
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct DropoffProps {
    pub result: Rc<FunnelResult>,
    pub insight: Rc<DropoffInsight>,
    pub view: ViewState,
    pub on_view: Callback<ViewState>,
    pub on_csv: Callback<()>,
}

/// One list of the insight: value, units and share.
fn value_table(id: &str, heading: &str, unit: &str, rows: &[InsightValue]) -> Html {
    html! {
        <table class="data mini" id={id.to_string()}>
            <thead><tr><th>{ heading.to_string() }</th><th class="num">{ unit.to_string() }</th><th class="num">{"Share"}</th></tr></thead>
            <tbody>
                for v in rows.iter() {
                    <tr class="insight-row">
                        <td class="insight-value">{ v.value.clone() }</td>
                        <td class="num insight-count">{ int(v.customers) }</td>
                        <td class="num insight-share">{ format!("{:.1}%", v.pct) }</td>
                    </tr>
                }
            </tbody>
        </table>
    }
}

/// Drop-off insight between a step and the next required step: what the units that stopped did
/// next and their last channel; what those who went on did between the two steps.
#[component]
pub fn Dropoff(p: &DropoffProps) -> Html {
    let (r, d) = (&p.result, &p.insight);
    let label = |n: usize| r.steps.get(n - 1).map(|s| StepMatch::parse(&s.label).describe()).unwrap_or_default();
    let unit = unit_label(r).to_lowercase();
    let on_close = {
        let (view, on_view) = (p.view.clone(), p.on_view.clone());
        Callback::from(move |_: MouseEvent| {
            let mut v = view.clone();
            v.funnel.insight = None;
            on_view.emit(v);
        })
    };
    let share = |n: u64| if d.reached == 0 { 0.0 } else { n as f64 * 100.0 / d.reached as f64 };
    html! {
        <div class="dropoff" id="funnel-insight">
            <div class="card-head">
                <h3>{ format!("Drop-off insight: step {}. {} → step {}. {}", d.step, label(d.step), d.next_step, label(d.next_step)) }</h3>
                <div class="head-actions">
                    <button class="button" id="download-insight-csv" onclick={p.on_csv.reform(|_: MouseEvent| ())}
                            title="Every unit of this insight: dropped or continued, the next event or the events between, the last channel">
                        {"Customers CSV"}
                    </button>
                    <button class="icon" id="close-insight" aria-label="Close the drop-off insight" onclick={on_close}>{"×"}</button>
                </div>
            </div>
            <p class="muted" id="insight-summary">
                { format!("Of {} {unit} at step {}, {} ({:.1}%) stopped and {} ({:.1}%) went on to step {}.",
                    int(d.reached), d.step, int(d.dropped), share(d.dropped), int(d.continued), share(d.continued), d.next_step) }
            </p>
            <div class="insight-columns">
                <div class="insight-col" id="insight-dropped">
                    <h4>{ format!("Stopped after step {} ({})", d.step, int(d.dropped)) }</h4>
                    { value_table("insight-next", "What they did next", unit_label(r), &d.next_values) }
                    { value_table("insight-last-channel", "Their last channel", unit_label(r), &d.last_channels) }
                </div>
                <div class="insight-col" id="insight-continued">
                    <h4>{ format!("Went on to step {} ({})", d.next_step, int(d.continued)) }</h4>
                    { value_table("insight-between", "What they did between", unit_label(r), &d.between_values) }
                    <p class="muted" id="insight-direct">
                        { format!("{} went straight on, with nothing between.", int(d.direct)) }
                        if d.untraced > 0 { { format!(" {} have no in-order path to trace.", int(d.untraced)) } }
                    </p>
                </div>
            </div>
        </div>
    }
}
