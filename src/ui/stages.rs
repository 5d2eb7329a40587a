//! The stages view: customers reaching each lifecycle stage (chart and table), the furthest
//! stage per customer, stage-to-stage conversion per entry channel, and the stage model editor.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::browser::{self, int};
use super::export::ExportButtons;
use crate::core::stages::{Source, StageModel, StageRule, StagesExport, StagesResult};
use crate::core::view::ViewState;

#[derive(Properties, PartialEq)]
pub struct StagesProps {
    pub view: ViewState,
    pub on_view: Callback<ViewState>,
    pub result: Option<Rc<StagesResult>>,
    /// The model `result` was computed with.
    pub model: StageModel,
    pub error: Option<String>,
    pub data_name: String,
    /// Asks the worker for the customers CSV (a download).
    pub on_customers: Callback<()>,
}

/// Event values listed in the editor (the rest are reachable through wildcard rules).
const VALUES_SHOWN: usize = 100;

fn pct(x: f64) -> String {
    format!("{x:.1}%")
}

/// Revenue with thousands separators, whole units: 165096.68 → "165,097".
fn money(v: f64) -> String {
    let sign = if v < -0.5 { "−" } else { "" };
    format!("{sign}{}", int(v.abs().round() as u64))
}

fn times(median: Option<f64>, p90: Option<f64>) -> String {
    match (median, p90) {
        (Some(m), Some(p)) => format!("{} / {}", browser::duration(m), browser::duration(p)),
        _ => "—".into(),
    }
}

fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        format!("{}…", label.chars().take(max - 1).collect::<String>())
    }
}

/// A rule as people read it: `channel:email → retention`, `scroll → (no stage)`.
fn rule_text(r: &StageRule) -> String {
    let stage = if r.stage.trim().is_empty() { "(no stage)" } else { r.stage.as_str() };
    format!("{}{} → {stage}", if r.channel { "channel:" } else { "" }, r.pattern)
}

#[component]
pub fn StagesView(p: &StagesProps) -> Html {
    let model = &p.view.stages;
    let on_json = {
        let (result, model, name) = (p.result.clone(), p.model.clone(), p.data_name.clone());
        Callback::from(move |_| {
            if let Some(r) = &result {
                if let Ok(json) = serde_json::to_string_pretty(&StagesExport::new(&name, &model, r)) {
                    browser::download("touchpath-stages.json", "application/json", &json);
                }
            }
        })
    };
    html! {
        <section class="card stages" id="stages">
            <div class="card-head">
                <h2>{"Lifecycle stages"}</h2>
                <div class="head-actions">
                    <ExportButtons chart="stages-chart" file="touchpath-stages" disabled={p.result.is_none()} />
                    <button class="button" id="download-stages-json" onclick={on_json} disabled={p.result.is_none()}>{"Download JSON"}</button>
                    <button class="button" id="download-stages-customers" onclick={p.on_customers.reform(|_: MouseEvent| ())}
                            disabled={p.result.is_none()}
                            title="One row per customer: the furthest stage, and the time and channel of their entry into each stage (for retargeting lists)">
                        {"Customers CSV"}
                    </button>
                </div>
            </div>
            if let Some(e) = &p.error { <p class="error" id="stages-error">{ e.clone() }</p> }
            if let Some(r) = &p.result {
                <p class="muted" id="stages-caption">{ caption(r) }</p>
                for note in &r.notes { <p class="note stages-note">{ note.clone() }</p> }
                <div class="stages-top">
                    <StagesChart result={r.clone()} />
                    <StagesTable result={r.clone()} />
                </div>
                <div class="stages-lower">
                    <Furthest result={r.clone()} />
                    <ByChannel result={r.clone()} />
                </div>
            }
            <ModelEditor model={model.clone()} result={p.result.clone()} edit={{
                let (view, on_view) = (p.view.clone(), p.on_view.clone());
                Callback::from(move |f: ModelEdit| {
                    let mut v = view.clone();
                    f(&mut v.stages);
                    on_view.emit(v);
                })
            }} />
        </section>
    }
}

fn caption(r: &StagesResult) -> String {
    let share = if r.events > 0 { r.unmapped_events as f64 * 100.0 / r.events as f64 } else { 0.0 };
    let n = |x: u64, one: &str, many: &str| format!("{} {}", int(x), if x == 1 { one } else { many });
    format!(
        "{} · {}, {} in no stage ({:.1}%) · {} with no event in any stage · stages from your rules, {}keyword defaults",
        n(r.customers, "customer", "customers"),
        n(r.events, "event", "events"),
        int(r.unmapped_events),
        share,
        n(r.customers_none, "customer", "customers"),
        if r.uses_stage_column { "the data's stage column, " } else { "" },
    )
}

#[derive(Properties, PartialEq)]
struct ResultProps {
    result: Rc<StagesResult>,
}

/// Styles inside the SVG, so an exported file looks as on screen.
const SVG_STYLE: &str = "text{font-family:system-ui,sans-serif;font-size:12px;fill:#5b6675}\
.value{fill:#1b2430;font-weight:600}.bar{fill:#2f7fd8}.ghost{fill:#d5e4f6}.tick line{stroke:#edf0f4}.axis{stroke:#9aa7b5}\
.label{font-size:12px;fill:#1b2430}.conv{fill:#1b2430;font-size:11px}.drop{fill:#b42318;font-size:11px}";

/// Horizontal bars of customers per stage, top to bottom, the previous stage as a pale ghost
/// behind each bar; between two bars the conversion and the drop-off.
#[component]
fn StagesChart(p: &ResultProps) -> Html {
    let r = &p.result;
    let (w, left, right, top) = (340.0, 96.0, 52.0, 8.0);
    let (bar_h, gap) = (26.0, 22.0);
    let n = r.stages.len();
    let h = top * 2.0 + n as f64 * bar_h + n.saturating_sub(1) as f64 * gap;
    let max = r.stages.iter().map(|s| s.customers).max().unwrap_or(0).max(1) as f64;
    let x_of = |v: u64| (w - left - right) * v as f64 / max;
    let y_of = |i: usize| top + i as f64 * (bar_h + gap);
    html! {
        <svg id="stages-chart" class="chart stages-chart" viewBox={format!("0 0 {w} {h}")} role="img"
             xmlns="http://www.w3.org/2000/svg" aria-label="Customers reaching each stage, with the conversion between stages">
            <style>{ SVG_STYLE }</style>
            for (i, s) in r.stages.iter().enumerate() {
                <g class="step-bar stage-bar">
                    <title>{ format!("{}: {} customer{} ({:.1}% of the first stage)", s.stage, int(s.customers),
                        if s.customers == 1 { "" } else { "s" }, s.pct_of_first) }</title>
                    <text class="label" x={(left - 8.0).to_string()} y={(y_of(i) + bar_h / 2.0 + 4.0).to_string()} text-anchor="end">
                        { short(&s.stage, 16) }
                    </text>
                    if i > 0 {
                        <rect class="ghost" x={left.to_string()} y={y_of(i).to_string()} height={bar_h.to_string()}
                              width={x_of(r.stages[i - 1].customers).to_string()} />
                    }
                    <rect class="bar" x={left.to_string()} y={y_of(i).to_string()} height={bar_h.to_string()}
                          width={x_of(s.customers).max(1.0).to_string()} />
                    <text class="value" x={(left + x_of(s.customers.max(if i > 0 { r.stages[i - 1].customers } else { 0 })) + 6.0).to_string()}
                          y={(y_of(i) + bar_h / 2.0 + 4.0).to_string()}>{ int(s.customers) }</text>
                </g>
                if i + 1 < n {
                    <g class="stage-conv">
                        <title>{ format!("{} → {}: {} of {} reached {} after entering {}", s.stage, r.stages[i + 1].stage,
                            int(r.stages[i + 1].from_previous.unwrap_or(0)), int(s.customers), r.stages[i + 1].stage, s.stage) }</title>
                        <text class="conv" x={(left + 4.0).to_string()} y={(y_of(i) + bar_h + gap / 2.0 + 4.0).to_string()}>
                            { format!("↓ {}", r.stages[i + 1].conversion_pct.map(pct).unwrap_or_else(|| "—".into())) }
                        </text>
                        <text class="drop" x={(left + 64.0).to_string()} y={(y_of(i) + bar_h + gap / 2.0 + 4.0).to_string()}>
                            { format!("−{}", int(r.stages[i + 1].dropoff.unwrap_or(0))) }
                        </text>
                    </g>
                }
            }
            <line class="axis" x1={left.to_string()} x2={left.to_string()} y1={(top - 4.0).to_string()} y2={(h - top + 4.0).to_string()} />
        </svg>
    }
}

/// Stage, customers, % of first, % of previous, converted from the previous stage, drop-off,
/// time in stage, customers who did not move on.
#[component]
fn StagesTable(p: &ResultProps) -> Html {
    let r = &p.result;
    let revenue: Vec<String> = r
        .stages
        .iter()
        .filter_map(|s| s.revenue.filter(|v| *v != 0.0).map(|v| format!("{} {}", s.stage, money(v))))
        .collect();
    let has_revenue = r.stages.iter().any(|s| s.revenue.is_some());
    html! {
        <div class="table-wrap">
            <table class="data mini compact" id="stages-table">
                <thead><tr>
                    <th>{"Stage"}</th>
                    <th class="num">{"Customers"}</th>
                    <th class="num">{"% of first"}</th>
                    <th class="num" title="Customers in this stage ÷ customers in the previous one (above 100% when customers skipped the previous stage)">{"% of prev."}</th>
                    <th class="num" title="Of the previous stage's customers, the share who reached this stage after entering the previous one">{"Conversion"}</th>
                    <th class="num" title="The previous stage's customers who did not reach this stage after entering it">{"Drop-off"}</th>
                    <th class="num" title="Median / 90th percentile time from entering the stage to the first event in a later stage">{"Time in stage"}</th>
                    <th class="num" title="Customers who never reached a later stage after entering this one (left out of the times)">{"Stayed"}</th>
                </tr></thead>
                <tbody>
                    for s in &r.stages {
                        <tr class="stage-row">
                            <td class="stage-name">{ s.stage.clone() }</td>
                            <td class="num stage-customers">{ int(s.customers) }</td>
                            <td class="num stage-pct-first">{ pct(s.pct_of_first) }</td>
                            <td class="num stage-pct-prev">{ pct(s.pct_of_previous) }</td>
                            <td class="num stage-conv" title={s.from_previous.map(|n| format!("{} converted from the previous stage", int(n)))}>
                                { s.conversion_pct.map(pct).unwrap_or_else(|| "—".into()) }
                            </td>
                            <td class="num stage-dropoff">{ s.dropoff.map(int).unwrap_or_else(|| "—".into()) }</td>
                            <td class="num stage-time">{ times(s.median_time_s, s.p90_time_s) }</td>
                            <td class="num stage-stayed">{ int(s.stayed) }</td>
                        </tr>
                    }
                </tbody>
            </table>
            if has_revenue {
                <p class="muted" id="stages-revenue">{ if revenue.is_empty() {
                    "Revenue of the events in each stage: none.".to_string()
                } else {
                    format!("Revenue of the events in each stage: {}.", revenue.join(" · "))
                } }</p>
            }
        </div>
    }
}

/// How many customers end at each stage (their furthest), "(none)" first.
#[component]
fn Furthest(p: &ResultProps) -> Html {
    let r = &p.result;
    let total = r.customers.max(1) as f64;
    let rows: Vec<(String, u64)> = std::iter::once(("(none)".to_string(), r.customers_none))
        .chain(r.stages.iter().map(|s| (s.stage.clone(), s.furthest)))
        .collect();
    html! {
        <div class="furthest" id="stages-furthest">
            <h3>{"Furthest stage per customer"}</h3>
            <table class="data mini" id="stages-furthest-table">
                <thead><tr><th>{"Furthest stage"}</th><th class="num">{"Customers"}</th><th class="num">{"Share"}</th><th></th></tr></thead>
                <tbody>
                    for (stage, n) in rows {
                        <tr class="furthest-row">
                            <td class="furthest-stage">{ stage }</td>
                            <td class="num furthest-count">{ int(n) }</td>
                            <td class="num furthest-share">{ pct(n as f64 * 100.0 / total) }</td>
                            <td class="share-cell"><span class="share-bar" style={format!("width: {:.1}%", n as f64 * 100.0 / total)}></span></td>
                        </tr>
                    }
                </tbody>
            </table>
        </div>
    }
}

/// Stage-to-stage conversion per channel of the entry event.
#[component]
fn ByChannel(p: &ResultProps) -> Html {
    let r = &p.result;
    let transitions: Vec<String> =
        r.stages.windows(2).map(|w| format!("{} → {}", short(&w[0].stage, 14), short(&w[1].stage, 14))).collect();
    html! {
        <div class="by-channel" id="stages-channels">
            <h3>{"Stage-to-stage conversion by entry channel"}</h3>
            if !r.has_channel {
                <p class="muted">{"This data has no channel column."}</p>
            } else if transitions.is_empty() {
                <p class="muted">{"One stage: no stage-to-stage conversion."}</p>
            } else {
                <p class="muted">{"Each customer counts in the channel of the event where they entered the stage; the cell is converted / entered."}</p>
                <div class="scroll">
                    <table class="data mini" id="stages-channels-table">
                        <thead><tr>
                            <th>{"Entry channel"}</th>
                            for t in &transitions { <th class="num">{ t.clone() }</th> }
                        </tr></thead>
                        <tbody>
                            for c in &r.by_channel {
                                <tr class="channel-row">
                                    <td class="channel-name">{ c.channel.clone() }</td>
                                    for i in 0..transitions.len() {
                                        <td class="num channel-rate" title={format!("{} of {} converted", c.converted[i], c.entered[i])}>
                                            { match c.rate_pct[i] {
                                                Some(rate) => format!("{} · {}/{}", pct(rate), int(c.converted[i]), int(c.entered[i])),
                                                None => "—".into(),
                                            } }
                                        </td>
                                    }
                                </tr>
                            }
                        </tbody>
                    </table>
                </div>
            }
        </div>
    }
}

/// A change to the stage model.
type ModelEdit = Rc<dyn Fn(&mut StageModel)>;

#[derive(Properties, PartialEq)]
struct EditorProps {
    model: StageModel,
    result: Option<Rc<StagesResult>>,
    /// Applies a change to the model to the current view (which goes to the URL); a new callback
    /// each render, so it never holds an old view.
    edit: Callback<ModelEdit>,
}

fn source_text(s: Source) -> &'static str {
    match s {
        Source::Rule => "your rule",
        Source::Channel => "channel rule",
        Source::Data => "stage column",
        Source::Keyword => "keyword",
        Source::None => "—",
    }
}

/// The stage list, the rules, and every event value with its stage in a select.
#[component]
fn ModelEditor(p: &EditorProps) -> Html {
    let m = &p.model;
    let apply = |f: ModelEdit| {
        let edit = p.edit.clone();
        move || edit.emit(f.clone())
    };
    let on_stages = {
        let edit = p.edit.clone();
        Callback::from(move |e: Event| {
            let text = e.target_unchecked_into::<HtmlInputElement>().value();
            edit.emit(Rc::new(move |m: &mut StageModel| {
                m.set_stages(text.split(','));
            }));
        })
    };
    let reset = apply(Rc::new(|m: &mut StageModel| m.stages = StageModel::default().stages));
    let pattern = use_node_ref();
    let target = use_node_ref();
    let on_add = {
        let (edit, pattern, target) = (p.edit.clone(), pattern.clone(), target.clone());
        Callback::from(move |_: MouseEvent| {
            let (Some(input), Some(select)) = (pattern.cast::<HtmlInputElement>(), target.cast::<HtmlSelectElement>())
            else {
                return;
            };
            let text = input.value().trim().to_string();
            if text.is_empty() {
                return;
            }
            let stage = select.value();
            input.set_value("");
            let (channel, pat) = match text.strip_prefix("channel:") {
                Some(rest) => (true, rest.trim().to_string()),
                None => (false, text),
            };
            if pat.is_empty() {
                return;
            }
            edit.emit(Rc::new(move |m: &mut StageModel| {
                m.rules.push(StageRule { pattern: pat.clone(), channel, stage: stage.clone() });
            }));
        })
    };
    let values = p.result.as_ref().map(|r| r.values.clone()).unwrap_or_default();
    let more = p.result.as_ref().map_or(0, |r| r.more_values) + values.len().saturating_sub(VALUES_SHOWN) as u64;
    let stage_options = |selected: Option<&str>| {
        html! {
            <>
                for s in &m.stages {
                    <option value={s.clone()} selected={selected.is_some_and(|x| x.eq_ignore_ascii_case(s))}>{ s.clone() }</option>
                }
                <option value="" selected={selected.is_none()}>{"(no stage)"}</option>
            </>
        }
    };
    html! {
        <details class="stage-model" id="stages-model" open=true>
            <summary>{"Stage model"}</summary>
            <p class="muted">{"Each event gets the stage of the first matching rule below (an event pattern, or channel:pattern for a channel; * is any run of characters), else its value in the data's stage column when that names a stage, else a default from keywords in the event name. Changes go into the link."}</p>
            <div class="builder">
                <label class="field"><span>{"Stages, in order (comma-separated)"}</span>
                    <input id="stages-list" type="text" size="60" value={m.stages.join(", ")} onchange={on_stages} />
                </label>
                if !m.default_stages() {
                    <button class="button" id="stages-reset" onclick={Callback::from(move |_| reset())}>{"Default stages"}</button>
                }
            </div>
            <h3>{"Rules"}</h3>
            <ol class="stage-rules" id="stages-rules">
                for (i, r) in m.rules.iter().enumerate() {
                    <li class="stage-rule" key={format!("{i} {}", rule_text(r))}>
                        <span class="rule-text">{ rule_text(r) }</span>
                        <button class="icon remove-rule" title="Remove rule" aria-label={format!("Remove rule {}", i + 1)}
                                onclick={{ let f = apply(Rc::new(move |m: &mut StageModel| { if i < m.rules.len() { m.rules.remove(i); } })); Callback::from(move |_| f()) }}>{"×"}</button>
                    </li>
                }
            </ol>
            <div class="builder add-rule">
                <label class="field"><span>{"Pattern"}</span>
                    <input id="stages-rule-pattern" type="text" size="28" ref={pattern} placeholder="e.g. /pricing* or channel:email" />
                </label>
                <label class="field"><span>{"Stage"}</span>
                    <select id="stages-rule-stage" ref={target}>{ stage_options(m.stages.first().map(String::as_str)) }</select>
                </label>
                <button class="button" id="stages-rule-add" onclick={on_add}>{"+ Rule"}</button>
            </div>
            if !values.is_empty() {
                <h3>{"Events and their stage"}</h3>
                <div class="scroll values-scroll">
                    <table class="data mini" id="stages-values">
                        <thead><tr><th>{"Event"}</th><th class="num">{"Events"}</th><th>{"Stage"}</th><th>{"From"}</th><th></th></tr></thead>
                        <tbody>
                            for v in values.iter().take(VALUES_SHOWN) {
                                <tr class="value-row" key={v.value.clone()}>
                                    <td class="value-name">{ v.value.clone() }</td>
                                    <td class="num value-events">{ int(v.events) }</td>
                                    <td>
                                        <select class="value-stage" aria-label={format!("Stage of {}", v.value)} onchange={{
                                            let (edit, value) = (p.edit.clone(), v.value.clone());
                                            Callback::from(move |e: Event| {
                                                let stage = e.target_unchecked_into::<HtmlSelectElement>().value();
                                                let value = value.clone();
                                                edit.emit(Rc::new(move |m: &mut StageModel| m.set_value_rule(&value, false, Some(&stage))));
                                            })
                                        }}>{ stage_options(v.stage.as_deref()) }</select>
                                    </td>
                                    <td class="value-source">{ source_text(v.source) }
                                        if v.mixed { <span class="muted" title="Its events get different stages (the stage column or channel rules decide per event); the select shows the most frequent">{" (mixed)"}</span> }
                                    </td>
                                    <td>
                                        if m.rules.iter().any(|r| !r.channel && r.pattern == v.value) {
                                            <button class="icon value-reset" title="Remove your rule for this event" aria-label={format!("Remove the rule for {}", v.value)}
                                                    onclick={{ let value = v.value.clone(); let f = apply(Rc::new(move |m: &mut StageModel| m.set_value_rule(&value, false, None))); Callback::from(move |_| f()) }}>{"×"}</button>
                                        }
                                    </td>
                                </tr>
                            }
                        </tbody>
                    </table>
                </div>
                if more > 0 {
                    <p class="muted" id="stages-more-values">{ format!("and {} more event values (map them with a wildcard rule)", int(more)) }</p>
                }
            }
        </details>
    }
}
