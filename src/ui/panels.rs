//! Status, summary and column-mapping panels.

use std::rc::Rc;

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::browser::{bytes, int};
use super::state::Loading;
use crate::core::ingest::LoadError;
use crate::core::schema::Role;
use crate::core::summary::Summary;
use crate::core::view::ViewState;

#[derive(Properties, PartialEq)]
pub struct StatusProps {
    pub loading: Option<Loading>,
    pub error: Option<LoadError>,
    pub has_data: bool,
    pub url_warnings: Vec<String>,
    pub on_dismiss: Callback<()>,
}

/// Load progress, load errors and problems with the link.
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
                    <progress max={l.total.unwrap_or(0).max(1).to_string()} value={l.bytes.to_string()} />
                </div>
            }
            if let Some(e) = &p.error {
                <div class="error" id="load-error" role="alert">
                    <strong>{"Could not load: "}</strong>
                    <span class="message">{ e.to_string() }</span>
                    if p.has_data { <span class="kept">{" The data loaded before is still in use."}</span> }
                    <button class="link" onclick={p.on_dismiss.reform(|_| ())} aria-label="Dismiss">{"×"}</button>
                </div>
            }
            for w in &p.url_warnings {
                <div class="warning" role="status">{ format!("Link: {w}") }</div>
            }
        </div>
    }
}

/// `2025-01-01T07:50:09Z` → `2025-01-01 07:50:09`.
fn readable(ts: Option<&str>) -> String {
    ts.unwrap_or_default().trim_end_matches('Z').replacen('T', " ", 1)
}

#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    pub summary: Rc<Summary>,
}

/// Events, customers, channels, time range and skipped rows.
#[component]
pub fn SummaryPanel(p: &SummaryProps) -> Html {
    let s = &p.summary;
    let r = &s.report;
    let skipped = r.rows_skipped();
    html! {
        <section class="card" id="summary">
            <h2>{"Data"}</h2>
            <dl class="stats">
                <div><dt>{"Events"}</dt><dd id="sum-events">{ int(s.events) }</dd></div>
                <div><dt>{"Customers"}</dt><dd id="sum-customers">{ int(s.customers) }</dd></div>
                <div><dt>{"Channels"}</dt><dd id="sum-channels">{ if s.has_channel { int(s.channel_values.len() as u64) } else { "—".into() } }</dd></div>
                <div><dt>{"Rows skipped"}</dt><dd id="sum-skipped">{ int(skipped) }</dd></div>
            </dl>
            <p class="range" id="sum-range">
                <span>{ format!("From {}", readable(s.first.as_deref())) }</span>
                <span>{ format!("to {} UTC", readable(s.last.as_deref())) }</span>
                <span class="muted">{ format!("{} · {} rows read", r.format, int(r.rows_read)) }</span>
            </p>
            if r.unzoned_timestamps > 0 {
                <p class="note" id="utc-note">{ format!("{} timestamps had no time zone; they are read as UTC.", int(r.unzoned_timestamps)) }</p>
            }
            if r.bad_revenue > 0 {
                <p class="note">{ format!("{} rows had a revenue that is not a number; their revenue is ignored.", int(r.bad_revenue)) }</p>
            }
            if skipped > 0 {
                <ul class="skipped" id="skipped">
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
            if s.has_channel {
                <table class="mini" id="channel-table">
                    <caption>{"Events per channel"}</caption>
                    <thead><tr><th>{"Channel"}</th><th class="num">{"Events"}</th><th class="num">{"%"}</th></tr></thead>
                    <tbody>
                        for v in &s.channel_values {
                            <tr>
                                <td>{ if v.value.is_empty() { "(empty)".to_string() } else { v.value.clone() } }</td>
                                <td class="num">{ int(v.events) }</td>
                                <td class="num">{ format!("{:.1}", v.events as f64 * 100.0 / s.events.max(1) as f64) }</td>
                            </tr>
                        }
                    </tbody>
                </table>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ColumnsProps {
    pub summary: Rc<Summary>,
    pub view: ViewState,
    pub on_view: Callback<ViewState>,
}

/// What each column was taken for, with a way to correct it.
#[component]
pub fn ColumnsPanel(p: &ColumnsProps) -> Html {
    let headers = &p.summary.report.headers;
    let mapping = &p.summary.report.mapping;
    html! {
        <section class="card" id="columns">
            <h2>{"Columns"}</h2>
            <p class="muted">{"Recognised from the header. Change a choice to re-read the file."}</p>
            <div class="mapping">
                for role in Role::ALL {
                    <label class="map-row">
                        <span>{ role.label() }{ if role.required() { " *" } else { "" } }</span>
                        <select id={format!("col-{}", role.key())} onchange={{
                            let (view, on_view, headers) = (p.view.clone(), p.on_view.clone(), headers.clone());
                            Callback::from(move |e: Event| {
                                let sel: HtmlSelectElement = e.target_unchecked_into();
                                let idx: Option<usize> = sel.value().parse().ok();
                                let mut v = view.clone();
                                v.columns.set(role, idx.and_then(|i| headers.get(i).cloned()).unwrap_or_default());
                                on_view.emit(v);
                            })
                        }}>
                            <option value="" selected={mapping.get(role).is_none()}>{"(none)"}</option>
                            for (i, h) in headers.iter().enumerate() {
                                <option value={i.to_string()} selected={mapping.get(role) == Some(i)}>{ h.clone() }</option>
                            }
                        </select>
                    </label>
                }
            </div>
        </section>
    }
}
