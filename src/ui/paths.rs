//! The paths view: controls, the Sankey diagram and the path-variants table.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::browser::{self, duration, int};
use super::export::ExportButtons;
use super::{edit_view, Edit};
use crate::core::funnel::Dimension;
use crate::core::paths::{
    format_date, parse_date, Direction, Grain, Merge, PathQuery, PathResult, Rule, ENDED, OTHER, STARTED,
};
use crate::core::session::SessionSource;
use crate::core::summary::{Summary, ValueCount};
use crate::core::time::Duration;
use crate::core::view::{parse_paths_by, paths_by_key, ViewState};

#[derive(Properties, PartialEq)]
pub struct PathsProps {
    pub summary: Rc<Summary>,
    pub view: ViewState,
    pub on_view: Callback<ViewState>,
    pub result: Option<Rc<PathResult>>,
    pub error: Option<String>,
}

const PALETTE: [&str; 10] =
    ["#2f7fd8", "#e07b39", "#3aa676", "#c94f7c", "#8a63d2", "#d4a72c", "#3bb3c3", "#a0522d", "#5b8c2a", "#d9534f"];

/// The same colour for a value in every view: a hash of its label into the palette.
pub fn colour(label: &str) -> &'static str {
    match label {
        OTHER => "#9aa7b5",
        ENDED | STARTED => "#d5dbe2",
        _ => {
            let h =
                label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
            PALETTE[(h % PALETTE.len() as u64) as usize]
        }
    }
}

/// Rules as typed: `left => name`, comma-separated (blank rules skipped, `None` if one has no `=>`).
fn parse_rules(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for r in text.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let (l, n) = r.split_once("=>")?;
        let (l, n) = (l.trim(), n.trim());
        if l.is_empty() || n.is_empty() {
            return None;
        }
        out.push((l.to_string(), n.to_string()));
    }
    Some(out)
}

/// The merge rules as typed in the field.
fn merge_text(q: &PathQuery) -> String {
    q.merge.iter().map(|m| format!("{} => {}", m.values.join(" + "), m.name)).collect::<Vec<_>>().join(", ")
}

/// The rewrite rules as typed in the field.
fn rewrite_text(q: &PathQuery) -> String {
    q.rewrite.iter().map(|r| format!("{} => {}", r.pattern, r.to)).collect::<Vec<_>>().join(", ")
}

#[component]
pub fn PathsView(p: &PathsProps) -> Html {
    let q = &p.view.paths;
    let values: &[ValueCount] = p.summary.values(&q.by);
    // Anchors may name the values the cleaning rules make, as well as the data's values.
    // Combined values are the result's (the most frequent ones).
    let combined = q.with_event && q.by != Dimension::Event;
    let mut choices: Vec<String> = if combined {
        p.result.iter().flat_map(|r| r.transitions.values.iter().filter(|v| *v != OTHER).cloned()).collect()
    } else {
        values.iter().map(|v| v.value.clone()).collect()
    };
    for name in q.merge.iter().map(|m| &m.name).chain(q.rewrite.iter().map(|r| &r.to)) {
        if !choices.contains(name) {
            choices.push(name.clone());
        }
    }
    let set = |f: Edit| edit_view(&p.view, &p.on_view, f);
    // A click on a Sankey node anchors the view as it is then: the callback reads the latest view
    // and `on_view`, so it is made once and the Sankey is not drawn again for a new callback.
    let latest = use_mut_ref(|| (p.view.clone(), p.on_view.clone()));
    *latest.borrow_mut() = (p.view.clone(), p.on_view.clone());
    let on_anchor = use_callback((), move |val: String, _| {
        let (mut v, on_view) = latest.borrow().clone();
        // Backward paths are anchored at their end.
        if v.paths.direction == Direction::Backward {
            v.paths.to = Some(val);
        } else {
            v.paths.from = Some(val);
        }
        on_view.emit(v);
    });
    let select = |e: Event| e.target_unchecked_into::<HtmlSelectElement>().value();
    let input = |e: Event| e.target_unchecked_into::<HtmlInputElement>().value();
    let on_by = set(Rc::new(|v, val| {
        // Option values are `by_value`'s.
        let (with, by) = val.split_once(':').unwrap_or(("0", &val));
        (v.paths.by, v.paths.with_event) = parse_paths_by(by).unwrap_or_default();
        v.paths.with_event |= with == "1";
        // Anchors and the touched filter name values of the old dimension.
        v.paths.from = None;
        v.paths.to = None;
        v.paths.touched = None;
    }))
    .reform(select);
    let on_from = set(Rc::new(|v, val| v.paths.from = Some(val).filter(|f| !f.is_empty()))).reform(select);
    let on_steps = set(Rc::new(|v, val| {
        if let Ok(n) = val.parse::<usize>() {
            v.paths.steps = n.clamp(2, 20);
        }
    }))
    .reform(input);
    let on_top = set(Rc::new(|v, val| {
        if let Ok(n) = val.parse::<usize>() {
            v.paths.top = n.clamp(1, 50);
        }
    }))
    .reform(input);
    let on_to = set(Rc::new(|v, val| v.paths.to = Some(val).filter(|t| !t.is_empty()))).reform(select);
    let on_hide = set(Rc::new(|v, val| {
        v.paths.hide = val.split(',').map(str::trim).filter(|h| !h.is_empty()).map(String::from).collect()
    }))
    .reform(input);
    let on_merge = set(Rc::new(|v, val| {
        if let Some(rules) = parse_rules(&val) {
            v.paths.merge = rules
                .into_iter()
                .map(|(from, name)| Merge {
                    values: from.split('+').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect(),
                    name,
                })
                .collect();
        }
    }))
    .reform(input);
    let on_rewrite = set(Rc::new(|v, val| {
        if let Some(rules) = parse_rules(&val) {
            v.paths.rewrite = rules.into_iter().map(|(pattern, to)| Rule { pattern, to }).collect();
        }
    }))
    .reform(input);
    let on_share = set(Rc::new(|v, val| {
        if let Ok(x) = val.trim().parse::<f64>() {
            v.paths.min_share = (x.clamp(0.0, 100.0) * 100.0).round() as u32;
        }
    }))
    .reform(input);
    let on_since = set(Rc::new(|v, val| v.paths.since = parse_date(&val))).reform(input);
    let on_until = set(Rc::new(|v, val| v.paths.until = parse_date(&val))).reform(input);
    let on_touched = set(Rc::new(|v, val| v.paths.touched = Some(val).filter(|t| !t.is_empty()))).reform(select);
    let on_converted = set(Rc::new(|v, val| {
        v.paths.converted = match val.as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        }
    }))
    .reform(select);
    let on_direction =
        set(Rc::new(|v, val| v.paths.direction = Direction::from_key(&val).unwrap_or_default())).reform(select);
    let on_grain = set(Rc::new(|v, val| v.paths.grain = Grain::from_key(&val).unwrap_or_default())).reform(select);
    let on_gap = set(Rc::new(|v, val| {
        if let Ok(d) = Duration::parse(&val) {
            v.paths.session_gap = d;
        }
    }))
    .reform(input);
    let on_sessions =
        set(Rc::new(|v, val| v.paths.sessions = SessionSource::from_key(&val).unwrap_or_default())).reform(select);
    let session_column = p.summary.session_columns();
    let has_purchase = p.summary.event_values.iter().any(|v| v.value == "purchase");
    let on_conv = set(Rc::new(|v, val| {
        v.paths.conversion = match val.as_str() {
            "" => None,
            "-" => Some(String::new()),
            _ => Some(val),
        }
    }))
    .reform(select);
    let on_collapse = set(Rc::new(|v, val| v.paths.collapse = val == "true"))
        .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>().checked().to_string());
    let on_csv = {
        let result = p.result.clone();
        Callback::from(move |_| {
            if let Some(r) = &result {
                let mut csv = String::from("path,customers,pct_of_total,conversion_pct,revenue,median_duration_s\n");
                let opt = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x:.4}"));
                for v in &r.variants {
                    let path = v.path.join(" > ").replace('"', "\"\"");
                    csv.push_str(&format!(
                        "\"{path}\",{},{:.4},{},{},{}\n",
                        v.customers,
                        v.pct_of_total,
                        opt(v.conversion_pct),
                        opt(v.revenue),
                        v.median_duration_s
                    ));
                }
                if r.rest_customers > 0 {
                    csv.push_str(&format!("\"(other paths)\",{},\n", r.rest_customers));
                }
                browser::download("touchpath-paths.csv", "text/csv", &csv);
            }
        })
    };
    let on_json = {
        let (result, query) = (p.result.clone(), q.clone());
        Callback::from(move |_| {
            if let Some(r) = &result {
                let doc = serde_json::json!({ "schema": "touchpath.paths.v1", "query": &query, "result": &**r });
                let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
                browser::download("touchpath-paths.json", "application/json", &text);
            }
        })
    };
    let channel_ok = p.summary.has_channel;
    html! {
        <section class="card paths" id="paths">
            <div class="card-head">
                <h2>{"Paths"}</h2>
                <div class="head-actions">
                    <ExportButtons chart="sankey" file="touchpath-sankey" disabled={p.result.is_none()} />
                    <button class="button" id="download-variants" onclick={on_csv} disabled={p.result.is_none()}>
                        {"Download CSV"}
                    </button>
                    <button class="button" id="download-paths-json" onclick={on_json} disabled={p.result.is_none()}
                            title="The path definition and everything computed: Sankey nodes and links, variants, step matrix, transitions">
                        {"Download JSON"}
                    </button>
                </div>
            </div>
            <div class="builder" id="paths-builder">
                <label class="field"><span>{"Steps are"}</span>
                    <select id="paths-by" onchange={on_by}>
                        <option value={by_value(&Dimension::Channel, false)} selected={q.by == Dimension::Channel && !combined} disabled={!channel_ok}>{"channels"}</option>
                        <option value={by_value(&Dimension::Channel, true)} selected={q.by == Dimension::Channel && combined} disabled={!channel_ok}>{"channel · event"}</option>
                        <option value={by_value(&Dimension::Event, false)} selected={q.by == Dimension::Event}>{"events"}</option>
                        <option value={by_value(&Dimension::Stage, false)} selected={q.by == Dimension::Stage && !combined} disabled={p.summary.stage_values.is_empty()}>{"stages"}</option>
                        if !p.summary.attrs.is_empty() {
                            <optgroup label="Kept columns">
                                for a in &p.summary.attrs {
                                    <option value={by_value(&Dimension::Attr(a.name.clone()), false)}
                                            selected={!combined && matches!(&q.by, Dimension::Attr(n) if *n == a.name)}>{ a.name.clone() }</option>
                                }
                            </optgroup>
                        }
                        // Every other dimension combined with the event, as `channel · event` is.
                        if !p.summary.stage_values.is_empty() || !p.summary.attrs.is_empty() {
                            <optgroup label="Combined with the event">
                                for d in super::dimensions(&p.summary).into_iter().filter(|d| !matches!(d, Dimension::Event | Dimension::Channel)) {
                                    <option value={by_value(&d, true)} selected={combined && q.by == d}>
                                        { format!("{} · event", d.label()) }
                                    </option>
                                }
                            </optgroup>
                        }
                    </select>
                </label>
                <label class="field"><span>{"A path is"}</span>
                    <select id="paths-grain" onchange={on_grain}>
                        <option value="customer" selected={q.grain == Grain::Customer}>{"a customer's history"}</option>
                        <option value="session" selected={q.grain == Grain::Session}>{"a session"}</option>
                        <option value="conversion" selected={q.grain == Grain::Conversion}>{"a journey to a conversion"}</option>
                    </select>
                </label>
                if let (Grain::Session, Some(col)) = (q.grain, &session_column) {
                    <label class="field"><span>{"Sessions from"}</span>
                        <select id="paths-sessions" onchange={on_sessions}>
                            <option value="column" selected={q.sessions == SessionSource::Column}
                                    title="A session is a customer and a session id">{ format!("the {col} column") }</option>
                            <option value="gap" selected={q.sessions == SessionSource::Gap}>{"an inactivity gap"}</option>
                        </select>
                    </label>
                }
                if q.grain == Grain::Session {
                    <label class="field" title="With sessions from the column: splits the events that have no session id"><span>{"Session ends after"}</span>
                        <input id="paths-gap" type="text" size="6" value={q.session_gap.to_string()} onchange={on_gap} />
                    </label>
                }
                <label class="field"><span>{"Steps count"}</span>
                    <select id="paths-direction" onchange={on_direction}>
                        <option value="forward" selected={q.direction == Direction::Forward}>{"forward from the start"}</option>
                        <option value="backward" selected={q.direction == Direction::Backward}>{"backward from the end"}</option>
                    </select>
                </label>
                <label class="field"><span>{"Starting at"}</span>
                    <select id="paths-from" onchange={on_from}>
                        <option value="" selected={q.from.is_none()}>{"the first touch"}</option>
                        for v in &choices {
                            <option value={v.clone()} selected={q.from.as_deref() == Some(v.as_str())}>{ v.clone() }</option>
                        }
                    </select>
                </label>
                <label class="field"><span>{"Ending at"}</span>
                    <select id="paths-to" onchange={on_to}>
                        <option value="" selected={q.to.is_none()}>{"the last touch"}</option>
                        for v in &choices {
                            <option value={v.clone()} selected={q.to.as_deref() == Some(v.as_str())}>{ v.clone() }</option>
                        }
                    </select>
                </label>
                <label class="field"><span>{"Hide values"}</span>
                    <input id="paths-hide" type="text" placeholder="e.g. direct, page_view" size="16"
                           value={q.hide.join(", ")} onchange={on_hide} />
                </label>
                <label class="field" title="Rewrite rules, comma-separated: pattern => name; * in a pattern is any text"><span>{"Rewrite"}</span>
                    <input id="paths-rewrite" type="text" placeholder="e.g. /product/* => product" size="20"
                           value={rewrite_text(q)} onchange={on_rewrite} />
                </label>
                <label class="field" title="Merge rules, comma-separated: a + b => name"><span>{"Merge values"}</span>
                    <input id="paths-merge" type="text" placeholder="e.g. cpc + display => paid" size="20"
                           value={merge_text(q)} onchange={on_merge} />
                </label>
                <label class="field" title="At each step, values held by fewer of the paths are grouped as other"><span>{"Min. share %"}</span>
                    <input id="paths-min-share" type="number" min="0" max="100" step="0.5"
                           value={(f64::from(q.min_share) / 100.0).to_string()} onchange={on_share} />
                </label>
                <label class="field" title="Events before this day (UTC) are dropped"><span>{"From date"}</span>
                    <input id="paths-since" type="date" value={q.since.map(format_date).unwrap_or_default()} onchange={on_since} />
                </label>
                <label class="field" title="Events after this day (UTC) are dropped"><span>{"To date"}</span>
                    <input id="paths-until" type="date" value={q.until.map(format_date).unwrap_or_default()} onchange={on_until} />
                </label>
                <label class="field"><span>{"Who touched"}</span>
                    <select id="paths-touched" onchange={on_touched}>
                        <option value="" selected={q.touched.is_none()}>{"anything"}</option>
                        for v in &choices {
                            <option value={v.clone()} selected={q.touched.as_deref() == Some(v.as_str())}>{ v.clone() }</option>
                        }
                    </select>
                </label>
                <label class="field"><span>{"Customers"}</span>
                    <select id="paths-converted" onchange={on_converted}>
                        <option value="" selected={q.converted.is_none()}>{"all"}</option>
                        <option value="1" selected={q.converted == Some(true)}>{"who converted"}</option>
                        <option value="0" selected={q.converted == Some(false)}>{"who did not convert"}</option>
                    </select>
                </label>
                <label class="field"><span>{"Conversion event"}</span>
                    <select id="paths-conv" onchange={on_conv}>
                        <option value="" selected={q.conversion.is_none()}>{ if has_purchase { "purchase (default)" } else { "(none)" } }</option>
                        <option value="-" selected={q.conversion.as_deref() == Some("")}>{"(none)"}</option>
                        for v in &p.summary.event_values {
                            <option value={v.value.clone()} selected={q.conversion.as_deref() == Some(v.value.as_str())}>{ v.value.clone() }</option>
                        }
                    </select>
                </label>
                <label class="field"><span>{"Steps shown"}</span>
                    <input id="paths-steps" type="number" min="2" max="20" value={q.steps.to_string()} onchange={on_steps} />
                </label>
                <label class="field"><span>{"Values per step"}</span>
                    <input id="paths-top" type="number" min="1" max="50" value={q.top.to_string()} onchange={on_top} />
                </label>
                <label class="check"><input id="paths-collapse" type="checkbox" checked={q.collapse} onchange={on_collapse} />
                    {" Collapse repeats"}</label>
            </div>
            if let Some(e) = &p.error { <p class="error" id="paths-error">{ e.clone() }</p> }
            if let Some(r) = &p.result {
                <p class="muted" id="paths-caption">{ format!("{} of {} {} have a path{}{}; each column is a step, ribbons are {}.",
                    int(r.customers_in_paths), int(r.total_customers), unit(r.grain),
                    q.from.as_ref().map(|f| format!(" starting at {f}")).unwrap_or_default(),
                    q.to.as_ref().map(|t| format!(" ending at {t}")).unwrap_or_default(), unit(r.grain)) }
                    if r.direction == Direction::Backward { {" Steps count back from the end: the rightmost column is each path's last touch."} }
                    { match r.session_source {
                        Some(SessionSource::Column) => format!(" Sessions from the {} column.", session_column.as_deref().unwrap_or("session")),
                        // Said only when the column could have been used: without one nothing changes.
                        Some(SessionSource::Gap) if session_column.is_some() => format!(" A gap over {} ends a session.", q.session_gap),
                        _ => String::new(),
                    } }</p>
                <p class="muted" id="paths-other">{ format!("{} {} ({:.1}% of the paths) pass through \u{201c}other\u{201d} at some step shown.",
                    int(r.other_customers), unit(r.grain), r.other_customers as f64 * 100.0 / r.customers_in_paths.max(1) as f64) }</p>
                <Sankey result={r.clone()} {on_anchor} />
                <VariantsTable result={r.clone()} part={Part::Variants} />
                <StepMatrix result={r.clone()} part={Part::Whole} />
                <Transitions result={r.clone()} part={Part::Transitions} />
            }
        </section>
    }
}

/// The part of a paths result a section draws.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Whole,
    /// The variants, their count and the rest (and the grain, for their unit).
    Variants,
    Transitions,
}

/// A result for a section that draws `part` of it. Props are equal when that part is: the same
/// result (one answer is one `Rc`, so no deep comparison of its thousands of values), or, for the
/// variants and transitions, equal parts, so that a change they do not show (another number of
/// steps) does not draw them again.
#[derive(Properties)]
struct ResultProps {
    result: Rc<PathResult>,
    part: Part,
}

impl PartialEq for ResultProps {
    fn eq(&self, o: &Self) -> bool {
        let (a, b) = (&*self.result, &*o.result);
        self.part == o.part
            && (Rc::ptr_eq(&self.result, &o.result)
                || match self.part {
                    Part::Whole => false,
                    Part::Variants => {
                        (a.grain, a.distinct_variants, a.rest_customers)
                            == (b.grain, b.distinct_variants, b.rest_customers)
                            && a.variants == b.variants
                    }
                    Part::Transitions => a.transitions == b.transitions,
                })
    }
}

#[derive(Properties)]
struct SankeyProps {
    result: Rc<PathResult>,
    /// Start the paths at a value (a click on its node).
    on_anchor: Callback<String>,
}

impl PartialEq for SankeyProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.result, &o.result) && self.on_anchor == o.on_anchor
    }
}

/// Styles inside the SVG, so an exported file looks as on screen.
/// While a hover highlights paths, the links and nodes groups are dimmed as a whole (`dim`) and
/// copies of the lit shapes are drawn above them (`.hl`): the groups are composited layers
/// (`will-change`), so dimming them repaints nothing and only the copies are drawn.
const SANKEY_SVG_STYLE: &str = "text{font-family:system-ui,sans-serif;font-size:11px;fill:#1b2430}.link{stroke-opacity:.32}\
     .link:hover,.link.lit{stroke-opacity:.6}.links,.nodes{will-change:opacity}.links.dim{opacity:.19}.nodes.dim{opacity:.3}\
     .node:focus{outline:none}.node:focus rect,.node.current rect{stroke:#1b2430;stroke-width:2}";

/// What the pointer (or the keyboard focus) is on in the Sankey.
#[derive(Clone, Copy, PartialEq)]
enum Hover {
    Node(usize),
    Link(usize),
}

/// Nodes as bars, links as ribbons; hovering shows counts and shares.
#[component]
fn Sankey(p: &SankeyProps) -> Html {
    let r = &p.result;
    let total = r.customers_in_paths.max(1) as f64;
    let (pad_top, pad_right) = (8.0, 150.0);
    let back = r.direction == Direction::Backward;
    let sink = |l: &str| l == OTHER || l == ENDED || l == STARTED;
    // Hovering a node or link highlights the paths through it, their links and their nodes, by
    // setting classes on the drawn shapes: a hover never re-renders hundreds of them.
    let enter = |h: Hover| {
        let r = p.result.clone();
        Callback::from(move |_: ()| highlight(&r, Some(h)))
    };
    let leave = {
        let r = p.result.clone();
        Callback::from(move |_: ()| highlight(&r, None))
    };
    // Shapes drawn again for a new result keep the classes set by hand: clear the marks.
    use_effect_with(p.result.clone(), |r| highlight(r, None));
    html! {
        <svg id="sankey" class="chart sankey" role="img" aria-label="Sankey diagram of customer paths"
             xmlns="http://www.w3.org/2000/svg"
             viewBox={format!("0 {} {} {}", -pad_top, r.width + pad_right, r.height + 2.0 * pad_top)}>
            <style>{ SANKEY_SVG_STYLE }</style>
            <g class="links">
                for (i, l) in r.links.iter().enumerate() {
                    <path class="link" d={l.d.clone()}
                          onmouseenter={enter(Hover::Link(i)).reform(|_: MouseEvent| ())} onmouseleave={leave.reform(|_: MouseEvent| ())} stroke={colour(&r.nodes[l.source].label)}
                          stroke-width={l.width.max(1.0).to_string()} fill="none">
                        <title>{ format!("{} → {}: {} customers ({:.1}% of all, {:.1}% of {})",
                            r.nodes[l.source].label, r.nodes[l.target].label, int(l.customers),
                            l.customers as f64 * 100.0 / total,
                            l.customers as f64 * 100.0 / r.nodes[l.source].customers.max(1) as f64,
                            r.nodes[l.source].label) }</title>
                    </path>
                }
            </g>
            <g class="nodes">
                for (i, n) in r.nodes.iter().enumerate() {
                    <g class="node" tabindex="0"
                       role="button" aria-label={format!("Step {}: {}, {} customers", n.step + 1, n.label, n.customers)}
                       onmouseenter={enter(Hover::Node(i)).reform(|_: MouseEvent| ())} onmouseleave={leave.reform(|_: MouseEvent| ())}
                       onfocus={enter(Hover::Node(i)).reform(|_: FocusEvent| ())} onblur={leave.reform(|_: FocusEvent| ())}
                       onclick={{
                        let (label, on_anchor) = (n.label.clone(), p.on_anchor.clone());
                        Callback::from(move |_| if !sink(&label) { on_anchor.emit(label.clone()) })
                    }}
                       onkeydown={{
                        // Enter anchors the paths at the node, like a click.
                        let (label, on_anchor) = (n.label.clone(), p.on_anchor.clone());
                        Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" && !sink(&label) { on_anchor.emit(label.clone()) })
                    }}>
                        <rect x={n.x0.to_string()} y={n.y0.to_string()} width={(n.x1 - n.x0).to_string()}
                              height={(n.y1 - n.y0).max(0.5).to_string()} fill={colour(&n.label)} />
                        <title>{ format!("Step {}{}: {} — {} customers ({:.1}% of all){}", n.step + 1, if back { " from the end" } else { "" },
                            n.label, int(n.customers), n.customers as f64 * 100.0 / total,
                            if sink(&n.label) { "" } else if back { "; click to end paths here" } else { "; click to start paths here" }) }</title>
                        if n.y1 - n.y0 >= 9.0 {
                            <text x={(n.x1 + 4.0).to_string()} y={((n.y0 + n.y1) / 2.0 + 4.0).to_string()}>
                                { format!("{} {}", n.label, int(n.customers)) }
                            </text>
                        }
                    </g>
                }
            </g>
            <g class="hl" pointer-events="none" aria-hidden="true"></g>
        </svg>
    }
}

/// Highlights the paths through `h` (a node or a link): dims the links and nodes groups and draws
/// copies of the lit links (those of the paths through `h`), of the nodes they join and of a
/// hovered node, marked `lit`, in the `.hl` group above them; `None` clears it. The drawn shapes
/// themselves are never touched, so a hover restyles and repaints only the copies, however many
/// links there are.
fn highlight(r: &PathResult, h: Option<Hover>) {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let find = |s: &str| doc.query_selector(s).ok().flatten();
    let (Some(links), Some(nodes), Some(hl)) =
        (find("#sankey > .links"), find("#sankey > .nodes"), find("#sankey > .hl"))
    else {
        return;
    };
    hl.set_text_content(None);
    let _ = links.set_attribute("class", if h.is_some() { "links dim" } else { "links" });
    let _ = nodes.set_attribute("class", if h.is_some() { "nodes dim" } else { "nodes" });
    let Some(h) = h else { return };
    let through = match h {
        Hover::Node(n) => r.nodes.get(n).map(|n| &n.through),
        Hover::Link(l) => r.links.get(l).map(|l| &l.through),
    };
    let mut node_lit = vec![false; r.nodes.len()];
    if let Hover::Node(n) = h {
        node_lit[n] = true;
    }
    let lit_links: Vec<usize> = through.into_iter().flatten().copied().filter(|&l| l < r.links.len()).collect();
    for &l in &lit_links {
        node_lit[r.links[l].source] = true;
        node_lit[r.links[l].target] = true;
    }
    let (Ok(link_shapes), Ok(node_shapes)) =
        (doc.query_selector_all("#sankey > .links > path"), doc.query_selector_all("#sankey > .nodes > g"))
    else {
        return;
    };
    // A copy of shape `i` of `shapes`, marked lit (copies of nodes are not focusable).
    let copy = |shapes: &web_sys::NodeList, i: usize, class: &str| {
        let Some(shape) = shapes.item(i as u32) else { return };
        let Ok(copy) = shape.clone_node_with_deep(true) else { return };
        if let Ok(el) = copy.dyn_into::<web_sys::Element>() {
            let _ = el.set_attribute("class", class);
            let _ = el.remove_attribute("tabindex");
            let _ = hl.append_child(&el);
        }
    };
    for &l in &lit_links {
        copy(&link_shapes, l, "link lit");
    }
    // The hovered or focused node's copy covers it, so the copy shows its outline.
    let current = match h {
        Hover::Node(n) => Some(n),
        Hover::Link(_) => None,
    };
    for n in (0..r.nodes.len()).filter(|&n| node_lit[n]) {
        copy(&node_shapes, n, if current == Some(n) { "node lit current" } else { "node lit" });
    }
}

/// How the variants table is sorted.
#[derive(Clone, Copy, PartialEq)]
enum SortBy {
    Customers,
    Conversion,
    Revenue,
    Duration,
    Length,
}

/// The value of a *Steps are* option: `1:` (combined with the event) or `0:`, then the
/// dimension's paths key ([`paths_by_key`]), so that no column name can be misread.
fn by_value(d: &Dimension, combined: bool) -> String {
    format!("{}:{}", u8::from(combined), paths_by_key(d, false).0)
}

/// Rows shown at once in the variants table.
const SHOWN: usize = 50;

/// The most frequent distinct paths, searchable and sortable, with the exact size of the rest.
#[component]
fn VariantsTable(p: &ResultProps) -> Html {
    let r = &p.result;
    let search = use_state(String::new);
    let sort = use_state(|| SortBy::Customers);
    let needle = search.to_lowercase();
    let mut rows: Vec<(usize, &crate::core::paths::Variant)> = r
        .variants
        .iter()
        .enumerate()
        .filter(|(_, v)| needle.is_empty() || v.path.iter().any(|s| s.to_lowercase().contains(&needle)))
        .collect();
    let key = |v: &crate::core::paths::Variant| match *sort {
        SortBy::Customers => v.customers as f64,
        SortBy::Conversion => v.conversion_pct.unwrap_or(0.0),
        SortBy::Revenue => v.revenue.unwrap_or(0.0),
        SortBy::Duration => v.median_duration_s,
        SortBy::Length => v.path.len() as f64,
    };
    rows.sort_by(|a, b| key(b.1).total_cmp(&key(a.1)).then(a.0.cmp(&b.0)));
    let matching = rows.len();
    let header = |label: &str, by: SortBy, class: &'static str| {
        let active = *sort == by;
        let sort = sort.clone();
        html! {
            <th class={classes!(class, "sortable")} aria-sort={if active { "descending" } else { "none" }}>
                <button class="link" title="Sort by this column" onclick={Callback::from(move |_| sort.set(by))}>
                    { label.to_string() }{ if active { " ▾" } else { "" } }
                </button>
            </th>
        }
    };
    let on_search = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| search.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    html! {
        <div class="variants">
            <input id="variants-search" type="search" placeholder="Search paths…" value={(*search).clone()} oninput={on_search}
                   aria-label="Search the path variants" />
            <table class="data" id="variants-table">
                <caption>{ format!("{} distinct paths{}{}", int(r.distinct_variants),
                    if r.rest_customers > 0 { format!(" · the {} most frequent cover all but {} {}", r.variants.len(), int(r.rest_customers), unit(r.grain)) } else { String::new() },
                    if matching > SHOWN || !needle.is_empty() { format!(" · showing {} of {} matching", matching.min(SHOWN), matching) } else { String::new() }) }</caption>
                <thead><tr><th>{"#"}</th>{ header("Path (longest first)", SortBy::Length, "path") }
                    { header(unit(r.grain), SortBy::Customers, "num") }<th class="num">{"% of all"}</th>
                    { header("Converted", SortBy::Conversion, "num") }{ header("Revenue", SortBy::Revenue, "num") }
                    { header("Median duration", SortBy::Duration, "num") }</tr></thead>
                <tbody>
                    for (i, v) in rows.iter().take(SHOWN) {
                        <tr class="variant-row">
                            <td>{ i + 1 }</td>
                            <td class="variant-path">{ v.path.join(" → ") }</td>
                            <td class="num variant-customers">{ int(v.customers) }</td>
                            <td class="num variant-pct">{ format!("{:.1}%", v.pct_of_total) }</td>
                            <td class="num variant-conv">{ v.conversion_pct.map_or("—".to_string(), |c| format!("{c:.1}%")) }</td>
                            <td class="num variant-revenue">{ v.revenue.map_or("—".to_string(), |r| format!("{r:.2}")) }</td>
                            <td class="num variant-duration">{ duration(v.median_duration_s) }</td>
                        </tr>
                    }
                </tbody>
            </table>
        </div>
    }
}

/// What the counts count: customers, sessions or journeys.
fn unit(g: Grain) -> &'static str {
    match g {
        Grain::Customer => "customers",
        Grain::Session => "sessions",
        Grain::Conversion => "journeys",
    }
}

/// The transition-probability matrix (row: from, column: to) as a heatmap, and the edges
/// with their counts and timing.
#[component]
fn Transitions(p: &ResultProps) -> Html {
    let g = &p.result.transitions;
    let n = g.values.len();
    let mut cell: Vec<Vec<Option<&crate::core::paths::Transition>>> = vec![vec![None; n]; n];
    for e in &g.edges {
        cell[e.from][e.to] = Some(e);
    }
    html! {
        <div class="transitions" id="transitions">
            <h3>{"Transitions"}</h3>
            <TransitionGraphView result={p.result.clone()} part={Part::Transitions} />
            <p class="muted">{"Share of each value's next touches (row → column); loops and returns included. Hover a cell for counts and times."}</p>
            <div class="scroll">
                <table class="heatmap" id="transition-matrix">
                    <thead><tr><th>{"from \\ to"}</th>
                        for v in &g.values { <th>{ v.clone() }</th> }
                        <th>{"journey ends"}</th>
                    </tr></thead>
                    <tbody>
                        for (i, from) in g.values.iter().enumerate() {
                            <tr>
                                <th>{ from.clone() }</th>
                                for (j, to) in g.values.iter().enumerate() {
                                    if let Some(e) = cell[i][j] {
                                        <td class="num" style={format!("background: rgba(47,127,216,{:.2})", e.pct_of_from / 100.0 * 0.85)}
                                            title={format!("{from} → {to}: {} times ({:.1}% of {from}'s next touches); median {}, p90 {}",
                                                int(e.count), e.pct_of_from, duration(e.median_s), duration(e.p90_s))}>
                                            { format!("{:.0}%", e.pct_of_from) }
                                        </td>
                                    } else {
                                        <td class="num empty">{"·"}</td>
                                    }
                                }
                                <td class="num">{ int(g.ends[i]) }</td>
                            </tr>
                        }
                    </tbody>
                </table>
            </div>
            <table class="data" id="transition-edges">
                <caption>{ format!("{} transitions, most frequent first", int(g.edges.len() as u64)) }</caption>
                <thead><tr><th>{"From"}</th><th>{"To"}</th><th class="num">{"Times"}</th><th class="num">{"% of from"}</th>
                    <th class="num">{"Median time"}</th><th class="num">{"p90 time"}</th></tr></thead>
                <tbody>
                    for e in g.edges.iter().take(20) {
                        <tr class="edge-row">
                            <td>{ g.values[e.from].clone() }</td><td>{ g.values[e.to].clone() }</td>
                            <td class="num">{ int(e.count) }</td><td class="num">{ format!("{:.1}%", e.pct_of_from) }</td>
                            <td class="num">{ duration(e.median_s) }</td><td class="num">{ duration(e.p90_s) }</td>
                        </tr>
                    }
                </tbody>
            </table>
        </div>
    }
}

/// Where a value's label goes: beside its dot, away from the circle's centre.
fn label_at(x: f64, y: f64, c: f64) -> (f64, f64, &'static str) {
    use crate::core::graph_layout::NODE_R;
    if x - c > 1.0 {
        (x + NODE_R + 5.0, y + 4.0, "start")
    } else if c - x > 1.0 {
        (x - NODE_R - 5.0, y + 4.0, "end")
    } else if y < c {
        (x, y - NODE_R - 6.0, "middle")
    } else {
        (x, y + NODE_R + 15.0, "middle")
    }
}

/// The directly-follows graph drawn: values on a circle (laid out in the engine), arcs with
/// their counts, self-loops outside the circle.
#[component]
fn TransitionGraphView(p: &ResultProps) -> Html {
    use crate::core::graph_layout::NODE_R;
    let g = &p.result.transitions;
    let l = &g.layout;
    let c = l.size / 2.0;
    html! {
        <svg id="transition-graph" class="chart graph" role="img" aria-label="Directly-follows graph of the paths"
             xmlns="http://www.w3.org/2000/svg" style="max-width: 560px; max-height: 560px; width: 100%; display: block;"
             viewBox={format!("0 0 {} {}", l.size, l.size)}>
            <style>{ "text{font-family:system-ui,sans-serif;font-size:12px;fill:#1b2430}.edge{fill:none;stroke:#5b6b7d;stroke-opacity:.55}.edge:hover{stroke-opacity:.95}.count{font-size:12px;font-weight:600;fill:#1b2430;paint-order:stroke;stroke:#fff;stroke-width:3px}" }</style>
            <defs>
                <marker id="dfg-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse">
                    <path d="M0,0L10,5L0,10z" fill="#5b6b7d" />
                </marker>
            </defs>
            <g class="edges">
                for (e, shape) in g.edges.iter().zip(&l.edges) {
                    <g class="dfg-edge">
                        <path class="edge" d={shape.d.clone()} stroke-width={format!("{:.1}", shape.width)} marker-end="url(#dfg-arrow)">
                            <title>{ format!("{} → {}: {} times ({:.1}% of {}'s next touches)", g.values[e.from], g.values[e.to],
                                int(e.count), e.pct_of_from, g.values[e.from]) }</title>
                        </path>
                        <text class="count" x={format!("{:.1}", shape.label_x)} y={format!("{:.1}", shape.label_y + 3.0)} text-anchor="middle">{ int(e.count) }</text>
                    </g>
                }
            </g>
            <g class="dfg-nodes">
                for (i, (v, n)) in g.values.iter().zip(&l.nodes).enumerate() {
                    <g class="dfg-node">
                        <circle cx={format!("{:.1}", n.x)} cy={format!("{:.1}", n.y)} r={NODE_R.to_string()} fill={colour(v)} />
                        <title>{ format!("{v}: {} paths start here, {} end here", int(g.starts[i]), int(g.ends[i])) }</title>
                        <text x={format!("{:.1}", label_at(n.x, n.y, c).0)} y={format!("{:.1}", label_at(n.x, n.y, c).1)}
                              text-anchor={label_at(n.x, n.y, c).2}>{ v.clone() }</text>
                    </g>
                }
            </g>
        </svg>
    }
}

/// Share of customers at each value at each step (retentioneering's step matrix).
#[component]
fn StepMatrix(p: &ResultProps) -> Html {
    let r = &p.result;
    let steps = r.nodes.iter().map(|n| n.step + 1).max().unwrap_or(0);
    let mut labels: Vec<&str> = Vec::new();
    for n in &r.nodes {
        if !labels.contains(&n.label.as_str()) {
            labels.push(&n.label);
        }
    }
    let total = r.customers_in_paths.max(1) as f64;
    // Backward, the columns run in time order too: the furthest step back first, the end last.
    let back = r.direction == Direction::Backward;
    let columns: Vec<usize> = if back { (0..steps).rev().collect() } else { (0..steps).collect() };
    let heading = |i: usize| {
        if back {
            if i == 0 {
                "end".to_string()
            } else {
                format!("end−{i}")
            }
        } else {
            (i + 1).to_string()
        }
    };
    let share = |label: &str, step: usize| {
        r.nodes.iter().find(|n| n.step == step && n.label == label).map(|n| n.customers as f64 * 100.0 / total)
    };
    html! {
        <div class="step-matrix">
            <h3>{"Step matrix"}</h3>
            <p class="muted">{"Share of customers at each value at each step."}</p>
            <div class="scroll">
                <table class="heatmap" id="step-matrix">
                    <thead><tr><th>{"value \\ step"}</th>
                        for &i in &columns { <th>{ heading(i) }</th> }
                    </tr></thead>
                    <tbody>
                        for label in &labels {
                            <tr>
                                <th>{ label.to_string() }</th>
                                for &i in &columns {
                                    if let Some(pct) = share(label, i) {
                                        <td class="num" style={format!("background: rgba(58,166,118,{:.2})", pct / 100.0 * 0.85)}>{ format!("{pct:.1}%") }</td>
                                    } else {
                                        <td class="num empty">{"·"}</td>
                                    }
                                }
                            </tr>
                        }
                    </tbody>
                </table>
            </div>
        </div>
    }
}
