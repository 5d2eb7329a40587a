//! Status, data summary (with per-file quality and labels) and column-mapping panels.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::browser::{bytes, int};
use super::state::Loading;
use crate::core::ingest::{LoadError, LoadReport};
use crate::core::schema::{Preset, Role};
use crate::core::summary::{FileInfo, Summary};
use crate::core::view::ViewState;
use crate::worker::Request;

#[derive(Properties, PartialEq)]
pub struct StatusProps {
    pub loading: Option<Loading>,
    pub errors: Vec<LoadError>,
    pub notice: Option<String>,
    pub has_data: bool,
    pub url_warnings: Vec<String>,
    pub on_dismiss: Callback<()>,
    pub on_cancel: Callback<()>,
}

/// "About 12 s left", from the bytes read so far and the time it took.
fn eta(l: &Loading) -> Option<String> {
    let total = l.total?;
    if l.bytes == 0 || l.elapsed_ms < 300.0 || l.bytes >= total {
        return None;
    }
    let left_s = l.elapsed_ms / l.bytes as f64 * (total - l.bytes) as f64 / 1000.0;
    Some(if left_s < 1.0 { "under a second left".into() } else { format!("about {left_s:.0} s left") })
}

/// Load progress (with Cancel), load errors and problems with the link.
#[component]
pub fn StatusBar(p: &StatusProps) -> Html {
    html! {
        <div class="status">
            if let Some(l) = &p.loading {
                <div class="progress" id="progress" role="status" aria-live="polite">
                    <span>{ format!("Loading {} — ", l.name) }</span>
                    <span>{ match l.total {
                        Some(t) if t > 0 => format!("{} of {} ({:.0}%)", bytes(l.bytes), bytes(t), l.bytes as f64 * 100.0 / t as f64),
                        _ => bytes(l.bytes),
                    } }</span>
                    <span>{ format!(", {} rows", int(l.rows)) }</span>
                    if let Some(e) = eta(l) { <span class="eta">{ format!(", {e}") }</span> }
                    <progress max={l.total.unwrap_or(0).max(1).to_string()} value={l.bytes.to_string()} />
                    <button class="button" id="cancel-load" onclick={p.on_cancel.reform(|_| ())}>{"Cancel"}</button>
                </div>
            }
            if !p.errors.is_empty() {
                <div class="error" id="load-error" role="alert">
                    <strong>{"Could not load: "}</strong>
                    <ul class="messages">
                        for e in &p.errors { <li class="message">{ e.to_string() }</li> }
                    </ul>
                    if p.has_data { <span class="kept">{"The data loaded before is still in use."}</span> }
                    <button class="link" onclick={p.on_dismiss.reform(|_| ())} aria-label="Dismiss">{"×"}</button>
                </div>
            }
            if let Some(n) = &p.notice {
                <div class="warning" id="notice" role="status">
                    { n.clone() }{ if p.has_data { " The data loaded before is still in use." } else { "" } }
                    <button class="link" onclick={p.on_dismiss.reform(|_| ())} aria-label="Dismiss">{"×"}</button>
                </div>
            }
            for w in &p.url_warnings {
                <div class="warning" role="status">{ format!("Link: {w}") }</div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    pub summary: Rc<Summary>,
    pub view: ViewState,
    pub on_view: Callback<ViewState>,
    pub send: Callback<Request>,
}

/// `2025-01-01T07:50:09Z` → `2025-01-01 07:50:09`.
fn readable(ts: Option<&str>) -> String {
    ts.unwrap_or_default().trim_end_matches('Z').replacen('T', " ", 1)
}

/// `+120` → `UTC+02:00`, `0` → `UTC`.
fn utc_offset(minutes: i16) -> String {
    if minutes == 0 {
        return "UTC".into();
    }
    let sign = if minutes < 0 { '−' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", minutes.unsigned_abs() / 60, minutes.unsigned_abs() % 60)
}

/// The quality notes of one file: skipped rows by reason, duplicates, zones, revenue.
fn quality(r: &LoadReport, id_suffix: &str) -> Html {
    html! {
        <>
            if let (true, Some(by)) = (r.headerless, &r.named_by) {
                <p class="note" id={format!("headerless-note{id_suffix}")}>
                    { format!("No header line: the columns are named from {by}; check their roles under Columns.") }
                </p>
            } else if r.headerless {
                <p class="note" id={format!("headerless-note{id_suffix}")}>
                    {"No header line: the columns are named column_1, column_2, … and their roles were guessed from the values; check them under Columns."}
                </p>
            }
            for (i, n) in r.notes.iter().enumerate() {
                <p class="note file-note" id={format!("file-note{id_suffix}-{}", i + 1)}>{ n.clone() }</p>
            }
            if r.unzoned_timestamps > 0 {
                <p class="note" id={format!("utc-note{id_suffix}")}>{ format!("{} {} no time zone; {} read as UTC.", int(r.unzoned_timestamps),
                    if r.unzoned_timestamps == 1 { "timestamp had" } else { "timestamps had" },
                    if r.unzoned_timestamps == 1 { "it is" } else { "they are" }) }</p>
            }
            if r.duplicates > 0 {
                <p class="note" id={format!("duplicates{id_suffix}")}>{ format!("{} exact duplicate row{} {}.", int(r.duplicates), if r.duplicates == 1 { "" } else { "s" },
                    if r.duplicates_dropped { "dropped" } else { "kept" }) }</p>
            }
            if r.out_of_order > 0 {
                <p class="note" id={format!("out-of-order{id_suffix}")}>{ format!("{} {} earlier than the row before; rows are put in time order.",
                    int(r.out_of_order), if r.out_of_order == 1 { "row was" } else { "rows were" }) }</p>
            }
            if r.offsets_minutes.len() > 1 {
                <p class="note" id={format!("offsets{id_suffix}")}>{ format!("Timestamps name {} time zones ({}); all are converted to UTC.",
                    r.offsets_minutes.len(), r.offsets_minutes.iter().map(|&m| utc_offset(m)).collect::<Vec<_>>().join(", ")) }</p>
            }
            if r.bad_revenue > 0 {
                <p class="note">{ format!("{} {} a revenue that is not a number; ignored.", int(r.bad_revenue), if r.bad_revenue == 1 { "row had" } else { "rows had" }) }</p>
            }
            if r.rows_skipped() > 0 {
                <ul class="skipped" id={format!("skipped{id_suffix}")}>
                    for st in &r.skipped {
                        <li>
                            <strong>{ format!("{} × {}", int(st.count), st.reason.describe()) }</strong>
                            { format!(" — line{} {}{}", if st.lines.len() > 1 { "s" } else { "" },
                                st.lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", "),
                                if st.count as usize > st.lines.len() { ", …" } else { "" }) }
                            if let Some(ex) = &st.example { <span class="example">{ format!(" (\"{ex}\")") }</span> }
                        </li>
                    }
                </ul>
            }
        </>
    }
}

/// Events, customers, channels, time range, files and their data quality.
#[component]
pub fn SummaryPanel(p: &SummaryProps) -> Html {
    let s = &p.summary;
    let several = s.files.len() > 1;
    let any_duplicates = s.files.iter().any(|f| f.report.duplicates > 0);
    let on_stitch = {
        let (view, on_view) = (p.view.clone(), p.on_view.clone());
        Callback::from(move |e: Event| {
            let mut v = view.clone();
            v.stitch = e.target_unchecked_into::<HtmlInputElement>().checked();
            on_view.emit(v);
        })
    };
    let on_keep_dups = {
        let (view, on_view) = (p.view.clone(), p.on_view.clone());
        Callback::from(move |e: Event| {
            let mut v = view.clone();
            v.keep_duplicates = e.target_unchecked_into::<HtmlInputElement>().checked();
            on_view.emit(v);
        })
    };
    // A path table counts journeys per channel (a journey can touch several channels).
    let per_journey = s.path_table.is_some();
    let denominator = match &s.path_table {
        Some(pt) => (pt.conversions + pt.nulls).max(1.0),
        None => s.events.max(1) as f64,
    };
    html! {
        <section class="card" id="summary" data-memory-bytes={s.memory_bytes.to_string()}>
            <h2>{"Data"}</h2>
            if let Some(pt) = &s.path_table {
                <dl class="stats">
                    <div><dt>{"Paths"}</dt><dd id="sum-paths">{ int(pt.paths) }</dd></div>
                    <div><dt>{"Journeys"}</dt><dd id="sum-journeys">{ int((pt.conversions + pt.nulls).round() as u64) }</dd></div>
                    <div><dt>{"Conversions"}</dt><dd id="sum-conversions">{ int(pt.conversions.round() as u64) }</dd></div>
                    <div><dt>{"Rows skipped"}</dt><dd id="sum-skipped">{ int(s.rows_skipped()) }</dd></div>
                </dl>
                <p class="range" id="sum-range">
                    <span>{ format!("A path table: aggregated journeys worth {} in conversion value, without times.", int(pt.value.round() as u64)) }</span>
                    if let [one] = s.files.as_slice() {
                        <span class="muted">{ format!("{} · {} rows read", one.report.format, int(one.report.rows_read)) }</span>
                    }
                </p>
            } else {
                <dl class="stats">
                    <div><dt>{"Events"}</dt><dd id="sum-events">{ int(s.events) }</dd></div>
                    <div><dt>{"Customers"}</dt><dd id="sum-customers">{ int(s.customers) }</dd></div>
                    <div><dt>{"Channels"}</dt><dd id="sum-channels">{ if s.has_channel { int(s.channel_values.len() as u64) } else { "—".into() } }</dd></div>
                    <div><dt>{"Rows skipped"}</dt><dd id="sum-skipped">{ int(s.rows_skipped()) }</dd></div>
                </dl>
                <p class="range" id="sum-range">
                    <span>{ format!("From {}", readable(s.first.as_deref())) }</span>
                    <span>{ format!("to {} UTC", readable(s.last.as_deref())) }</span>
                    if let [one] = s.files.as_slice() {
                        <span class="muted">{ format!("{} · {} rows read", one.report.format, int(one.report.rows_read)) }</span>
                    }
                </p>
            }
            if several {
                <ul class="files" id="files">
                    for (i, f) in s.files.iter().enumerate() {
                        <FileRow index={i} file={f.clone()} send={p.send.clone()} />
                    }
                </ul>
            } else if let [one] = s.files.as_slice() {
                { quality(&one.report, "") }
            }
            if s.rows_skipped() > 0 {
                <button class="button small" id="download-skipped" onclick={p.send.reform(|_| Request::SkippedRowsCsv)}
                        title="Every skipped row: file, line, reason and the offending text">
                    {"Download skipped rows (CSV)"}
                </button>
            }
            if s.identity.links > 0 {
                <label class="check" title="Rows carrying both an anonymous and a known id, or an identity-map file, link them">
                    <input type="checkbox" id="stitch-ids" checked={p.view.stitch} onchange={on_stitch} />
                    { format!(" Merge anonymous and known ids ({} link{})", int(s.identity.links), if s.identity.links == 1 { "" } else { "s" }) }
                </label>
                <p class="note" id="stitch-note">{ format!("{} anonymous id{} {} a known id{}.",
                    int(s.identity.merged), if s.identity.merged == 1 { "" } else { "s" },
                    if s.stitched { "merged into" } else { "can be merged into" },
                    if s.identity.conflicts > 0 { format!("; {} linked to several known ids (a shared device?) stay apart", int(s.identity.conflicts)) } else { String::new() }) }</p>
            }
            if s.path_table.is_none() {
                <StitchPair summary={s.clone()} view={p.view.clone()} on_view={p.on_view.clone()} />
            }
            if any_duplicates || p.view.keep_duplicates {
                <label class="check">
                    <input type="checkbox" id="keep-duplicates" checked={p.view.keep_duplicates} onchange={on_keep_dups} />
                    {" Keep exact duplicate rows"}
                </label>
            }
            if s.has_channel {
                <table class="mini" id="channel-table">
                    <caption>{ if per_journey { "Journeys touching each channel" } else { "Events per channel" } }</caption>
                    <thead><tr><th>{"Channel"}</th><th class="num">{ if per_journey { "Journeys" } else { "Events" } }</th><th class="num">{"%"}</th></tr></thead>
                    <tbody>
                        for v in &s.channel_values {
                            <tr>
                                <td>{ if v.value.is_empty() { "(empty)".to_string() } else { v.value.clone() } }</td>
                                <td class="num">{ int(v.events) }</td>
                                <td class="num">{ format!("{:.1}", v.events as f64 * 100.0 / denominator) }</td>
                            </tr>
                        }
                    </tbody>
                </table>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct StitchPairProps {
    summary: Rc<Summary>,
    view: ViewState,
    on_view: Callback<ViewState>,
}

/// Identity stitching from two columns the user picks: an anonymous id and a known id.
#[component]
fn StitchPair(p: &StitchPairProps) -> Html {
    // The half-chosen pair is kept here until both columns are picked.
    let pending = use_state(|| p.view.stitch_pair.clone().unwrap_or_default());
    {
        let pending = pending.clone();
        use_effect_with(p.view.stitch_pair.clone(), move |pair| {
            if let Some(pair) = pair {
                pending.set(pair.clone());
            }
        });
    }
    let mut headers: Vec<String> = Vec::new();
    for f in p.summary.files.iter().filter(|f| !f.report.identity_map) {
        for h in &f.report.headers {
            if !headers.contains(h) {
                headers.push(h.clone());
            }
        }
    }
    let pick = |known: bool| {
        let (view, on_view, pending) = (p.view.clone(), p.on_view.clone(), pending.clone());
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            let mut pair = (*pending).clone();
            if known {
                pair.1 = value;
            } else {
                pair.0 = value;
            }
            pending.set(pair.clone());
            let chosen = (!pair.0.is_empty() && !pair.1.is_empty() && pair.0 != pair.1).then_some(pair);
            if chosen != view.stitch_pair {
                let mut v = view.clone();
                v.stitch_pair = chosen;
                on_view.emit(v);
            }
        })
    };
    let select = |id: &str, current: &str, known: bool| {
        html! {
            <select id={id.to_string()} onchange={pick(known)}>
                <option value="" selected={current.is_empty()}>{"(none)"}</option>
                for h in &headers {
                    <option value={h.clone()} selected={h == current}>{ h.clone() }</option>
                }
            </select>
        }
    };
    html! {
        <details class="stitch-pair" id="stitch-pair" open={p.view.stitch_pair.is_some()}>
            <summary>{"Link ids from two columns"}</summary>
            <p class="muted">{"Rows carrying both link the anonymous id to the known id; rows without a customer id take the known id, else the anonymous one."}</p>
            <label class="map-row"><span>{"Anonymous id"}</span>{ select("stitch-anon", &pending.0, false) }</label>
            <label class="map-row"><span>{"Known id"}</span>{ select("stitch-known", &pending.1, true) }</label>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct FileRowProps {
    index: usize,
    file: FileInfo,
    send: Callback<Request>,
}

/// One of several loaded files: name, editable source label, counts, quality, remove.
#[component]
fn FileRow(p: &FileRowProps) -> Html {
    let (i, f) = (p.index, &p.file);
    let on_label = p.send.reform(move |e: Event| Request::SetLabel {
        index: i,
        label: e.target_unchecked_into::<HtmlInputElement>().value().trim().to_string(),
    });
    html! {
        <li class="file">
            <div class="file-head">
                <strong class="file-name">{ f.name.clone() }</strong>
                <button class="icon remove-file" title="Remove this file" aria-label={format!("Remove {}", f.name)}
                        onclick={p.send.reform(move |_| Request::RemoveFile { index: i })}>{"×"}</button>
            </div>
            if f.report.identity_map {
                <div class="muted">{ format!("{} · {} id pairs", f.report.format, int(f.report.rows_used)) }</div>
            } else {
            <div class="muted">{ format!("{} · {} events from {} rows", f.report.format,
                int(f.report.rows_used - if f.report.duplicates_dropped { f.report.duplicates } else { 0 }),
                int(f.report.rows_read)) }</div>
            }
            <label class="file-label-row">
                <span>{"Source label"}</span>
                <input type="text" class="file-label" value={f.label.clone()} onchange={on_label}
                       title="Used as the channel of this file's rows when it has no channel column" />
            </label>
            if let (Some(a), Some(b)) = (&f.report.first, &f.report.last) {
                <div class="muted">{ format!("{} → {}", readable(Some(a)), readable(Some(b))) }</div>
            }
            { quality(&f.report, &format!("-{}", i + 1)) }
        </li>
    }
}

/// What "no column" means for a role: nothing, or a channel derived from source and medium.
fn none_label(r: &LoadReport, role: Role) -> String {
    match (&r.mapping.derived_channel, role) {
        (Some(d), Role::Channel) => {
            let names = |cols: &[usize]| cols.iter().filter_map(|&c| r.headers.get(c).cloned()).collect::<Vec<_>>();
            let from: Vec<String> = [names(&d.source), names(&d.medium), names(&d.referrer)].concat();
            format!("(derived from {})", from.join(", "))
        }
        (_, Role::Revenue) if r.mapping.product_revenue.is_some() => {
            let name = |c: Option<usize>| c.and_then(|c| r.headers.get(c)).cloned().unwrap_or_default();
            let (products, events) = r.mapping.product_revenue.unzip();
            format!("(prices in {} of purchase hits, event 1 in {})", name(products), name(events))
        }
        _ => "(none)".to_string(),
    }
}

/// Extra columns a role falls back to, as "then a, b" (and a column the id is joined with).
fn fallback_note(r: &LoadReport, role: Role) -> Option<String> {
    let cols = r.mapping.fallbacks(role);
    let joined = r.mapping.id_joined_with.filter(|_| role == Role::Id).and_then(|c| r.headers.get(c));
    let joined = joined.map(|h| format!("joined with {h}"));
    let rest = (!cols.is_empty()).then(|| {
        let names: Vec<&str> = cols.iter().filter_map(|&c| r.headers.get(c).map(String::as_str)).collect();
        format!("where empty: {}", names.join(", then "))
    });
    match (joined, rest) {
        (Some(j), Some(r)) => Some(format!("{j}; {r}")),
        (j, r) => j.or(r),
    }
}

#[derive(Properties, PartialEq)]
pub struct ColumnsProps {
    pub summary: Rc<Summary>,
    pub view: ViewState,
    pub on_view: Callback<ViewState>,
}

/// What each column was taken for, per file, with a way to correct it. Corrections
/// are by header name and apply to every file that has that header.
#[component]
pub fn ColumnsPanel(p: &ColumnsProps) -> Html {
    let several = p.summary.files.len() > 1;
    let on_preset = {
        let (view, on_view) = (p.view.clone(), p.on_view.clone());
        Callback::from(move |e: Event| {
            let mut v = view.clone();
            v.preset = Preset::from_key(&e.target_unchecked_into::<HtmlSelectElement>().value());
            on_view.emit(v);
        })
    };
    let headerless = p
        .summary
        .files
        .iter()
        .any(|f| f.report.headerless && f.report.named_by.as_deref().is_none_or(|b| b.contains("names=")));
    let on_names = {
        let (view, on_view) = (p.view.clone(), p.on_view.clone());
        Callback::from(move |e: Event| {
            let text = e.target_unchecked_into::<HtmlInputElement>().value();
            let mut names: Vec<String> = text.split(',').map(|n| n.trim().to_string()).collect();
            while names.last().is_some_and(String::is_empty) {
                names.pop();
            }
            if names != view.names {
                let mut v = view.clone();
                v.names = names;
                on_view.emit(v);
            }
        })
    };
    html! {
        <section class="card" id="columns">
            <h2>{"Columns"}</h2>
            <p class="muted">{"Recognised from the header. Change a choice to re-read the file."}</p>
            if headerless || !p.view.names.is_empty() {
                <label class="map-row" title="For files without a header line: their columns' names, in order, comma-separated (empty keeps column_N); roles are then recognised by name">
                    <span>{"Column names"}</span>
                    <input type="text" id="column-names" value={p.view.names.join(", ")}
                           placeholder="customer_id, timestamp, event, channel" onchange={on_names} />
                </label>
            }
            <label class="map-row">
                <span>{"Format"}</span>
                <select id="preset" onchange={on_preset}>
                    <option value="" selected={p.view.preset.is_none()}>{"Detect automatically"}</option>
                    for preset in Preset::ALL {
                        <option value={preset.key()} selected={p.view.preset == Some(preset)}>{ preset.label() }</option>
                    }
                </select>
            </label>
            for (fi, f) in p.summary.files.iter().enumerate() {
                if several { <h3 class="file-name">{ f.name.clone() }</h3> }
                <p class="detected" id={if fi == 0 { "detected".to_string() } else { format!("detected-{}", fi + 1) }}>
                    { format!("{}: {}", if f.report.mapping.preset_detected { "Detected" } else { "Read as" }, f.report.mapping.preset.label()) }
                </p>
                <div class="mapping">
                    for role in Role::ALL {
                        <label class="map-row">
                            <span>{ role.label() }{ if role.required() { " *" } else { "" } }</span>
                            <select id={if fi == 0 { format!("col-{}", role.key()) } else { format!("col-{}-{}", role.key(), fi + 1) }}
                                onchange={{
                                    let (view, on_view, headers) = (p.view.clone(), p.on_view.clone(), f.report.headers.clone());
                                    Callback::from(move |e: Event| {
                                        let sel: HtmlSelectElement = e.target_unchecked_into();
                                        let idx: Option<usize> = sel.value().parse().ok();
                                        let mut v = view.clone();
                                        v.columns.set(role, idx.and_then(|i| headers.get(i).cloned()).unwrap_or_default());
                                        on_view.emit(v);
                                    })
                                }}>
                                <option value="" selected={f.report.mapping.get(role).is_none()}>{
                                    none_label(&f.report, role)
                                }</option>
                                for (i, h) in f.report.headers.iter().enumerate() {
                                    <option value={i.to_string()} selected={f.report.mapping.get(role) == Some(i)}>{ h.clone() }</option>
                                }
                            </select>
                        </label>
                        if let Some(note) = fallback_note(&f.report, role) { <p class="fallback">{ note }</p> }
                    }
                </div>
            }
            <KeptColumns summary={p.summary.clone()} view={p.view.clone()} on_view={p.on_view.clone()} />
        </section>
    }
}

/// The further columns kept as dimensions (for funnels, paths, breakdowns and attribution): a
/// checkbox per column no role reads, by header name across the files.
#[component]
fn KeptColumns(p: &ColumnsProps) -> Html {
    let mut candidates: Vec<String> = Vec::new();
    for f in &p.summary.files {
        let r = &f.report;
        for (i, h) in r.headers.iter().enumerate() {
            let h = h.trim().to_string();
            // As the loader: a column a role, a role's fallback or the joined id reads is not offered.
            let read = Role::ALL.iter().any(|&role| r.mapping.get(role) == Some(i))
                || r.mapping.fallbacks.iter().any(|(_, cols)| cols.contains(&i))
                || r.mapping.id_joined_with == Some(i);
            if !read && !h.is_empty() && !candidates.contains(&h) {
                candidates.push(h);
            }
        }
    }
    if candidates.is_empty() {
        return Html::default();
    }
    // The link's choice as soon as it is made (the re-read that applies it takes a moment), else
    // what the data keeps.
    let kept: Vec<String> = match &p.view.keep {
        Some(keep) => keep.iter().filter(|n| candidates.contains(n)).cloned().collect(),
        None => p.summary.attrs.iter().map(|a| a.name.clone()).collect(),
    };
    let toggle = |name: String| {
        let (view, on_view, kept) = (p.view.clone(), p.on_view.clone(), kept.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            let mut now = kept.clone();
            now.retain(|n| *n != name);
            if on {
                now.push(name.clone());
            }
            let mut v = view.clone();
            v.keep = Some(now);
            on_view.emit(v);
        })
    };
    let on_default = {
        let (view, on_view) = (p.view.clone(), p.on_view.clone());
        Callback::from(move |_: MouseEvent| {
            let mut v = view.clone();
            v.keep = None;
            on_view.emit(v);
        })
    };
    html! {
        <details class="kept-columns" id="kept-columns" open={candidates.len() <= 24}>
            <summary>{ format!("Kept columns ({} of {})", kept.len(), candidates.len()) }</summary>
            <p class="muted">{"Kept columns become dimensions: steps (device=mobile), breakdowns, paths and attribution by them. Each costs 1 byte per event up to 256 distinct values, 2 up to 65,536, 4 beyond; common names (country, device, campaign, plan, …) are kept by default."}</p>
            <div class="kept-list">
                for name in candidates {
                    <label class="check">
                        <input type="checkbox" class="kept-column" value={name.clone()} checked={kept.contains(&name)}
                               onchange={toggle(name.clone())} />
                        { name.clone() }
                    </label>
                }
            </div>
            if p.view.keep.is_some() {
                <button class="button" id="kept-default" onclick={on_default}>{"Keep the default columns"}</button>
            }
        </details>
    }
}
