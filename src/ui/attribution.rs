//! The attribution view: every model side by side, as grouped bars and a table, with the
//! Markov chain's removal effects and transition matrix.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::browser::{self, int};
use super::export::ExportButtons;
use super::{edit_view, Edit};
use crate::core::attribution::{AttributionQuery, AttributionResult, Conversion};
use crate::core::chart::grouped_bars;
use crate::core::funnel::Dimension;
use crate::core::summary::Summary;
use crate::core::time::Duration;
use crate::core::view::ViewState;

#[derive(Properties, PartialEq)]
pub struct AttributionProps {
    pub summary: Rc<Summary>,
    pub view: ViewState,
    pub on_view: Callback<ViewState>,
    pub result: Option<Rc<AttributionResult>>,
    pub error: Option<String>,
    /// The query the result was computed for (the conversion chosen by default filled in).
    pub query: AttributionQuery,
    /// Asks the worker for the journeys as a path table download.
    pub on_journeys: Callback<()>,
}

/// One colour per model, in model order.
const MODEL_COLOURS: [&str; 7] = ["#2f7fd8", "#e07b39", "#3aa676", "#8a63d2", "#d4a72c", "#c94f7c", "#3bb3c3"];

/// The conversion event chosen when the link names none: the first of these the data has.
pub const DEFAULT_CONVERSIONS: [&str; 6] =
    ["purchase", "conversion", "order_completed", "Order Completed", "checkout_completed", "transaction"];

/// The conversion to use: the link's, else a usual conversion event the data has, else
/// revenue > 0 when there is revenue.
pub fn effective_query(view: &ViewState, summary: &Summary) -> AttributionQuery {
    let mut q = view.attribution.clone();
    if q.conversion == Conversion::Event(String::new()) {
        let has = |e: &str| summary.event_values.iter().any(|v| v.value == e);
        if let Some(e) = DEFAULT_CONVERSIONS.iter().find(|e| has(e)) {
            q.conversion = Conversion::Event(e.to_string());
        }
    }
    if !summary.has_channel || summary.path_table.is_some() {
        q.by = if summary.path_table.is_some() { Dimension::Channel } else { Dimension::Event };
    }
    q
}

/// A credit with thousands separators and up to two decimals: 1234.5 → "1,234.50", −3 → "−3".
fn amount(x: f64) -> String {
    let cents = (x.abs() * 100.0).round() as u64;
    let sign = if x < 0.0 && cents > 0 { "−" } else { "" };
    match cents % 100 {
        0 => format!("{sign}{}", int(cents / 100)),
        c => format!("{sign}{}.{c:02}", int(cents / 100)),
    }
}

fn pct(part: f64, whole: f64) -> String {
    if whole.abs() > 0.0 {
        format!("{:.1}%", part / whole * 100.0)
    } else {
        "—".into()
    }
}

#[component]
pub fn AttributionView(p: &AttributionProps) -> Html {
    let q = &p.query;
    let path_table = p.summary.path_table.is_some();
    let value_metric = p.view.attribution_value;
    let set = |f: Edit| edit_view(&p.view, &p.on_view, f);
    let select = |e: Event| e.target_unchecked_into::<HtmlSelectElement>().value();
    let input = |e: Event| e.target_unchecked_into::<HtmlInputElement>().value();
    let checked = |e: Event| e.target_unchecked_into::<HtmlInputElement>().checked().to_string();
    let on_by = set(Rc::new(|v, val| v.attribution.by = Dimension::from_key(&val).unwrap_or(Dimension::Channel)))
        .reform(select);
    let on_conv = set(Rc::new(|v, val| {
        v.attribution.conversion = if val == "\u{1}revenue" { Conversion::Revenue } else { Conversion::Event(val) }
    }))
    .reform(select);
    let on_lookback = set(Rc::new(|v, val| {
        v.attribution.lookback = if val.trim().is_empty() { None } else { Duration::parse(&val).ok() }
    }))
    .reform(input);
    let on_exclude = set(Rc::new(|v, val| v.attribution.exclude_conversion_touch = val == "true")).reform(checked);
    let on_collapse = set(Rc::new(|v, val| v.attribution.collapse = val == "true")).reform(checked);
    let on_first = set(Rc::new(|v, val| {
        if let Ok(f) = val.parse::<u8>() {
            let f = f.min(100);
            v.attribution.position = [f, v.attribution.position[1].min(100 - f)];
        }
    }))
    .reform(input);
    let on_last = set(Rc::new(|v, val| {
        if let Ok(l) = val.parse::<u8>() {
            let l = l.min(100);
            v.attribution.position = [v.attribution.position[0].min(100 - l), l];
        }
    }))
    .reform(input);
    let on_half = set(Rc::new(|v, val| {
        if let Ok(d) = Duration::parse(&val) {
            v.attribution.half_life = d;
        }
    }))
    .reform(input);
    let on_order =
        set(Rc::new(|v, val| v.attribution.markov_order = val.parse::<u8>().unwrap_or(1).clamp(1, 3))).reform(select);
    let on_metric = set(Rc::new(|v, val| v.attribution_value = val == "value")).reform(select);
    let has_revenue = p.summary.files.iter().any(|f| f.report.mapping.has_revenue());
    let conv_value = match &q.conversion {
        Conversion::Revenue => "\u{1}revenue".to_string(),
        Conversion::Event(e) => e.clone(),
    };
    let on_csv = {
        let result = p.result.clone();
        Callback::from(move |_| {
            if let Some(r) = &result {
                browser::download("touchpath-attribution.csv", "text/csv", &attribution_csv(r));
            }
        })
    };
    let on_json = {
        let (result, query) = (p.result.clone(), q.clone());
        Callback::from(move |_| {
            if let Some(r) = &result {
                let doc = serde_json::json!({
                    "schema": "touchpath.attribution.v1",
                    "query": &query,
                    "result": &**r,
                });
                let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
                browser::download("touchpath-attribution.json", "application/json", &text);
            }
        })
    };
    let on_journeys = p.on_journeys.reform(|_: MouseEvent| ());
    html! {
        <section class="card attribution" id="attribution">
            <div class="card-head">
                <h2>{"Attribution"}</h2>
                <div class="head-actions">
                    <ExportButtons chart="attribution-chart" file="touchpath-attribution" disabled={p.result.is_none()} />
                    <button class="button" id="download-attribution-csv" onclick={on_csv} disabled={p.result.is_none()}>{"CSV"}</button>
                    <button class="button" id="download-attribution-json" onclick={on_json} disabled={p.result.is_none()}>{"JSON"}</button>
                    <button class="button" id="download-journeys" onclick={on_journeys} disabled={p.result.is_none()}
                            title="The journeys the models ran on, as a path table (path, total_conversions, total_conversion_value, total_null)">
                        {"Journeys CSV"}
                    </button>
                </div>
            </div>
            <div class="builder" id="attribution-builder">
                if !path_table {
                    <label class="field"><span>{"Touches are"}</span>
                        <select id="attr-by" onchange={on_by}>
                            <option value="channel" selected={q.by == Dimension::Channel} disabled={!p.summary.has_channel}>{"channels"}</option>
                            <option value="event" selected={q.by == Dimension::Event}>{"events"}</option>
                            <option value="stage" selected={q.by == Dimension::Stage} disabled={p.summary.stage_values.is_empty()}>{"stages"}</option>
                            { super::attr_options(&p.summary, &q.by) }
                        </select>
                    </label>
                    <label class="field"><span>{"Conversion"}</span>
                        <select id="attr-conv" onchange={on_conv}>
                            if conv_value.is_empty() { <option value="" selected=true>{"choose…"}</option> }
                            if has_revenue {
                                <option value={"\u{1}revenue"} selected={q.conversion == Conversion::Revenue}>{"any event with revenue > 0"}</option>
                            }
                            for v in &p.summary.event_values {
                                <option value={v.value.clone()} selected={conv_value == v.value}>{ v.value.clone() }</option>
                            }
                        </select>
                    </label>
                    <label class="field"><span>{"Lookback"}</span>
                        <input id="attr-lookback" type="text" size="6" placeholder="all"
                               value={q.lookback.map(|d| d.to_string()).unwrap_or_default()} onchange={on_lookback} />
                    </label>
                    <label class="field"><span>{"Time-decay half-life"}</span>
                        <input id="attr-half-life" type="text" size="5" value={q.half_life.to_string()} onchange={on_half} />
                    </label>
                }
                <label class="field"><span>{"Position-based: first %"}</span>
                    <input id="attr-first" type="number" min="0" max="100" value={q.position[0].to_string()} onchange={on_first} />
                </label>
                <label class="field"><span>{"last %"}</span>
                    <input id="attr-last" type="number" min="0" max="100" value={q.position[1].to_string()} onchange={on_last} />
                </label>
                <label class="field"><span>{"Markov order"}</span>
                    <select id="attr-order" onchange={on_order}>
                        for o in 1..=3u8 {
                            <option value={o.to_string()} selected={q.markov_order == o}>{ o.to_string() }</option>
                        }
                    </select>
                </label>
                <label class="field"><span>{"Credit"}</span>
                    <select id="attr-metric" onchange={on_metric}>
                        <option value="conversions" selected={!value_metric}>{"conversions"}</option>
                        <option value="value" selected={value_metric}>{"conversion value"}</option>
                    </select>
                </label>
                if !path_table {
                    <label class="check"><input id="attr-exclude" type="checkbox" checked={q.exclude_conversion_touch} onchange={on_exclude} />
                        {" Leave out the conversion's own touch"}</label>
                    <label class="check"><input id="attr-collapse" type="checkbox" checked={q.collapse} onchange={on_collapse} />
                        {" Collapse repeats"}</label>
                }
            </div>
            if let Some(e) = &p.error { <p class="error" id="attribution-error">{ e.clone() }</p> }
            if let Some(r) = &p.result {
                <p class="muted" id="attribution-caption">{ caption(r, path_table) }</p>
                for note in &r.notes { <p class="notice" id="attribution-note">{ note.clone() }</p> }
                <Chart result={r.clone()} value={value_metric} />
                <CreditTable result={r.clone()} value={value_metric} />
                <MarkovDetails result={r.clone()} />
            }
        </section>
    }
}

fn caption(r: &AttributionResult, path_table: bool) -> String {
    let mut s = format!(
        "{} conversions worth {} over {} converting {}, and {} journeys without a conversion.",
        amount(r.conversions),
        amount(r.value),
        int(r.converting_journeys),
        if path_table { "paths" } else { "journeys" },
        amount(r.nulls),
    );
    if r.unattributed > 0.0 {
        s.push_str(&format!(
            " {} conversions (worth {}) had no touch to credit within the lookback and are left out.",
            amount(r.unattributed),
            amount(r.unattributed_value)
        ));
    }
    if !r.has_times {
        s.push_str(" No touch times: time decay halves per touch before the conversion.");
    }
    s
}

/// The credits as CSV, one row per channel and model.
pub fn attribution_csv(r: &AttributionResult) -> String {
    let mut csv = String::from("channel,model,conversions,conversion_share,value,value_share\n");
    for m in &r.models {
        for (i, ch) in r.channels.iter().enumerate() {
            let share = |x: f64, t: f64| if t != 0.0 { format!("{:.6}", x / t) } else { String::new() };
            csv.push_str(&format!(
                "{},{},{:.6},{},{:.6},{}\n",
                crate::core::attribution::csv_field(ch),
                m.key,
                m.conversions[i],
                share(m.conversions[i], r.conversions),
                m.value[i],
                share(m.value[i], r.value)
            ));
        }
    }
    csv
}

#[derive(Properties, PartialEq)]
struct ResultProps {
    result: Rc<AttributionResult>,
    #[prop_or_default]
    value: bool,
}

const CHART_STYLE: &str =
    "text{font-family:system-ui,sans-serif;font-size:11px;fill:#1b2430}.tick line{stroke:#e3e8ee}.zero{stroke:#1b2430}";

/// Grouped bars: one row per channel, one bar per model.
#[component]
fn Chart(p: &ResultProps) -> Html {
    let r = &p.result;
    let values: Vec<Vec<f64>> = (0..r.channels.len())
        .map(|i| r.models.iter().map(|m| if p.value { m.value[i] } else { m.conversions[i] }).collect())
        .collect();
    let width = 760.0;
    let g = grouped_bars(&values, width, 150.0, 7.0);
    let legend_y = g.height + 10.0;
    html! {
        <svg id="attribution-chart" class="chart attribution-chart" role="img" xmlns="http://www.w3.org/2000/svg"
             aria-label={format!("Credited {} by channel and model", if p.value { "value" } else { "conversions" })}
             viewBox={format!("0 0 {width} {}", legend_y + 24.0)}>
            <style>{ CHART_STYLE }</style>
            <g class="ticks">
                for (t, x) in &g.ticks {
                    <g class="tick">
                        <line x1={x.to_string()} x2={x.to_string()} y1={g.plot_top.to_string()} y2={g.plot_bottom.to_string()} />
                        <text x={x.to_string()} y={(g.plot_bottom + 14.0).to_string()} text-anchor="middle">{ amount(*t) }</text>
                    </g>
                }
            </g>
            <line class="zero" x1={g.zero_x.to_string()} x2={g.zero_x.to_string()} y1={g.plot_top.to_string()} y2={g.plot_bottom.to_string()} />
            for (i, row) in g.rows.iter().enumerate() {
                <g class="group">
                    <text x={(g.plot_left - 16.0).to_string()} y={(g.label_y[i] + 4.0).to_string()} text-anchor="end">{ r.channels[i].clone() }</text>
                    // The channel's colour in every view (the Sankey's).
                    <circle class="swatch" cx={(g.plot_left - 8.0).to_string()} cy={g.label_y[i].to_string()} r="4" fill={super::paths::colour(&r.channels[i])} />
                    for (k, b) in row.iter().enumerate() {
                        <rect x={b.x.to_string()} y={b.y.to_string()} width={b.width.max(0.0).to_string()} height={b.height.to_string()}
                              fill={MODEL_COLOURS[k % MODEL_COLOURS.len()]}>
                            <title>{ format!("{} — {}: {}", r.channels[i], r.models[k].label, amount(values[i][k])) }</title>
                        </rect>
                    }
                </g>
            }
            <g class="legend">
                for (k, m) in r.models.iter().enumerate() {
                    <g transform={format!("translate({},{})", 10.0 + (k % 4) as f64 * 185.0, legend_y + (k / 4) as f64 * 14.0 - 4.0)}>
                        <rect width="10" height="10" y="-9" fill={MODEL_COLOURS[k % MODEL_COLOURS.len()]} />
                        <text x="14">{ m.label.clone() }</text>
                    </g>
                }
            </g>
        </svg>
    }
}

/// Channels × models: credited conversions (or value) and their share of the total.
#[component]
fn CreditTable(p: &ResultProps) -> Html {
    let r = &p.result;
    let total = if p.value { r.value } else { r.conversions };
    let sums: Vec<f64> =
        r.models.iter().map(|m| if p.value { m.value.iter().sum() } else { m.conversions.iter().sum() }).collect();
    html! {
        <div class="table-wrap">
            <table class="data" id="attribution-table">
                <thead><tr>
                    <th>{"Channel"}</th>
                    for m in &r.models { <th class="num" data-model={m.key.clone()}>{ m.label.clone() }</th> }
                </tr></thead>
                <tbody>
                    for (i, ch) in r.channels.iter().enumerate() {
                        <tr>
                            <td>{ ch.clone() }</td>
                            for m in &r.models {
                                <td class="num" data-model={m.key.clone()}>
                                    { amount(if p.value { m.value[i] } else { m.conversions[i] }) }
                                    <span class="muted">{ format!(" {}", pct(if p.value { m.value[i] } else { m.conversions[i] }, total)) }</span>
                                </td>
                            }
                        </tr>
                    }
                </tbody>
                <tfoot><tr>
                    <th>{"Total"}</th>
                    for s in &sums { <th class="num">{ amount(*s) }</th> }
                </tr></tfoot>
            </table>
        </div>
    }
}

/// Removal effects, the conversion probability and (order 1) the transition matrix.
#[component]
fn MarkovDetails(p: &ResultProps) -> Html {
    let r = &p.result;
    let Some(m) = &r.markov else { return html! {} };
    let n = r.channels.len();
    let mut columns: Vec<String> = r.channels.clone();
    columns.push("(conversion)".into());
    columns.push("(null)".into());
    html! {
        <details class="markov" id="markov-details">
            <summary>{ format!("Markov chain (order {}): {} states, P(conversion) = {:.4}", m.order, m.states, m.conversion_probability) }</summary>
            <table class="data" id="removal-effects">
                <thead><tr><th>{"Channel"}</th><th class="num">{"Removal effect"}</th><th class="num">{"Value removal effect"}</th></tr></thead>
                <tbody>
                    for (i, ch) in r.channels.iter().enumerate() {
                        <tr><td>{ ch.clone() }</td>
                            <td class="num">{ format!("{:.4}", m.removal_effects[i]) }</td>
                            <td class="num">{ format!("{:.4}", m.value_removal_effects[i]) }</td></tr>
                    }
                </tbody>
            </table>
            if let Some(t) = &m.transitions {
                <h3>{"Transition probabilities"}</h3>
                <div class="scroll">
                    <table class="heatmap" id="markov-transitions">
                        <thead><tr><th>{"From \\ to"}</th>
                            for c in &columns { <th class="num">{ c.clone() }</th> }
                        </tr></thead>
                        <tbody>
                            for (i, row) in t.iter().enumerate() {
                                <tr><td>{ if i == 0 { "(start)".to_string() } else { r.channels[i - 1].clone() } }</td>
                                    for (j, x) in row.iter().enumerate().take(n + 2) {
                                        <td class="num" style={format!("background: rgba(47,127,216,{:.3})", x * 0.6)}
                                            title={format!("{} → {}", if i == 0 { "(start)" } else { r.channels[i - 1].as_str() }, columns[j])}>
                                            { if *x > 0.0 { format!("{x:.3}") } else { String::new() } }
                                        </td>
                                    }
                                </tr>
                            }
                        </tbody>
                    </table>
                </div>
            }
        </details>
    }
}
