//! Drop-off insight for one funnel step: what the customers who stopped after it did instead,
//! and what those who went on did between it and the next step.
//!
//! Closed-funnel semantics (the first step is the entry, as for the customers CSV). Each unit's
//! step events are its traced chain (see [`funnel`]): the latest step-1 event whose chain does the
//! required steps in order within the window, with the earliest event for each next step.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use super::attribution::csv_field;
use super::funnel::{self, FunnelError, FunnelQuery};
use super::sort::sort_by;
use super::table::{Column, EventTable};
use super::time::format_timestamp;

/// Values listed by name in each list; the CSV has every unit.
pub const TOP_VALUES: usize = 10;

/// One value of a list, with the units (customers or sessions) it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueCount {
    pub value: String,
    pub customers: u64,
    /// `customers` as a percentage of the list's group (the dropped or the continued units).
    pub pct: f64,
}

/// The insight for the step pair (`step`, `next_step`), both 1-based and required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DropoffInsight {
    pub step: usize,
    pub next_step: usize,
    /// Units that reached `step`.
    pub reached: u64,
    /// Of those, the units that did not reach `next_step`.
    pub dropped: u64,
    /// The dropped units' next event after their `step` event that does not itself match `step`
    /// (in the funnel's dimension), `(no later event)` when there is none; all of them sum to
    /// `dropped`. The top [`TOP_VALUES`], then `(other)`.
    pub next_values: Vec<ValueCount>,
    /// The channel of the dropped units' last event (`(none)` without a channel); sums to `dropped`.
    pub last_channels: Vec<ValueCount>,
    /// Units that reached `next_step`.
    pub continued: u64,
    /// Values (in the funnel's dimension) the continued units did strictly between their `step`
    /// and `next_step` events: per value, the units that did it at least once (a unit may count
    /// under several values). The top [`TOP_VALUES`].
    pub between_values: Vec<ValueCount>,
    /// Continued units with no event between the two steps.
    pub direct: u64,
    /// Continued units without an in-order chain to trace (any-order funnels): not in `between_values`.
    pub untraced: u64,
}

/// What one unit contributes.
struct UnitInsight {
    unit: usize,
    continued: bool,
    step_row: Option<usize>,
    /// Dropped: the next event's row. Continued: the rows strictly between the two steps' events.
    next_row: Option<usize>,
    between: Option<Vec<usize>>,
}

/// The required step after `step` (0-based), if `step` is required and one follows.
fn next_required(query: &FunnelQuery, step: usize) -> Option<usize> {
    if step >= query.steps.len() || query.is_optional(step) {
        return None;
    }
    (step + 1..query.steps.len()).find(|&j| !query.is_optional(j))
}

/// Why an insight cannot be computed for a step.
fn bad_step(query: &FunnelQuery, step: usize) -> FunnelError {
    FunnelError::BadStep {
        step: query.steps.get(step).cloned().unwrap_or_default(),
        reason: "drop-off insight needs a required step followed by another required step".into(),
    }
}

/// The funnel's units, what each unit at the step contributes, and the next required step.
struct PerUnit {
    ranges: Vec<std::ops::Range<usize>>,
    units: Vec<UnitInsight>,
    next: usize,
}

fn per_unit(table: &EventTable, query: &FunnelQuery, step: usize) -> Result<PerUnit, FunnelError> {
    let next = next_required(query, step).ok_or_else(|| bad_step(query, step))?;
    let (column, matched_query) = funnel::matched(table, query)?;
    let column = &*column;
    let closed = FunnelQuery { open: false, ..matched_query.into_owned() };
    let window = closed.window.map_or(i64::MAX, |w| w.micros());
    let units = funnel::units_of(table, &closed, column);
    let found = funnel::closed_hits(table, &units, column, &closed, window, None);
    let tracer = funnel::Tracer {
        table,
        column,
        st: funnel::StepTable::new(column, &closed.steps),
        query: &closed,
        found: &found,
        window,
    };
    let seq = funnel::chain_to(&closed, next);
    let at = seq.iter().position(|&j| j == step).expect("a required step is in the chain to a later one");
    let mut out = Vec::new();
    // Without an index every unit is scanned, each in its own slot.
    for (u, rows) in units.iter().enumerate() {
        if !found.reaches(u, step) {
            continue;
        }
        if found.reaches(u, next) {
            // The unit's own chain when it holds both steps, else the chain traced to `next`.
            let pair = match (found.chain_row(u, step), found.chain_row(u, next)) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => funnel::trace(table, column, &tracer.st, &seq, rows.clone(), window)
                    .map(|c| (c[at], c[c.len() - 1])),
            };
            out.push(UnitInsight {
                unit: u,
                continued: true,
                step_row: pair.map(|p| p.0),
                next_row: pair.map(|p| p.1),
                between: pair.map(|(a, b)| (a + 1..b).collect()),
            });
        } else {
            let row = tracer.row(u, rows.clone(), step);
            let next_row = row.and_then(|r| (r + 1..rows.end).find(|&n| !tracer.st.is(column.code(n), step)));
            out.push(UnitInsight { unit: u, continued: false, step_row: row, next_row, between: None });
        }
    }
    Ok(PerUnit { ranges: units, units: out, next })
}

fn value(column: &Column, row: usize) -> &str {
    column.value(row)
}

/// Sorted by units (most first, ties by value), the top [`TOP_VALUES`], the rest summed into
/// `(other)` when `sum_rest`.
fn top(counts: HashMap<String, u64>, whole: u64, sum_rest: bool) -> Vec<ValueCount> {
    let mut rows: Vec<(String, u64)> = counts.into_iter().collect();
    sort_by(&mut rows, &|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rest: u64 = rows.iter().skip(TOP_VALUES).map(|r| r.1).sum();
    rows.truncate(TOP_VALUES);
    if sum_rest && rest > 0 {
        rows.push(("(other)".into(), rest));
    }
    let pct = |n: u64| if whole == 0 { 0.0 } else { n as f64 * 100.0 / whole as f64 };
    rows.into_iter().map(|(value, customers)| ValueCount { value, customers, pct: pct(customers) }).collect()
}

/// The drop-off insight after `step` (0-based) of the funnel.
pub fn insight(table: &EventTable, query: &FunnelQuery, step: usize) -> Result<DropoffInsight, FunnelError> {
    let PerUnit { ranges: units_rows, units, next } = per_unit(table, query, step)?;
    let column = query.by.column_or_error(table)?;
    let (mut next_values, mut last_channels, mut between) = (HashMap::new(), HashMap::new(), HashMap::new());
    let (mut dropped, mut continued, mut direct, mut untraced) = (0u64, 0u64, 0u64, 0u64);
    for u in &units {
        if u.continued {
            continued += 1;
            match &u.between {
                None => untraced += 1,
                Some(rows) if rows.is_empty() => direct += 1,
                Some(rows) => {
                    let mut seen: Vec<&str> = rows.iter().map(|&r| value(column, r)).collect();
                    seen.sort_unstable();
                    seen.dedup();
                    for v in seen {
                        *between.entry(v.to_string()).or_insert(0) += 1;
                    }
                }
            }
        } else {
            dropped += 1;
            let next = u.next_row.map_or("(no later event)", |r| value(column, r));
            *next_values.entry(next.to_string()).or_insert(0) += 1;
            let last = units_rows[u.unit].end - 1;
            let channel = table.channel.as_ref().map(|c| value(c, last)).filter(|v| !v.is_empty());
            *last_channels.entry(channel.unwrap_or("(none)").to_string()).or_insert(0) += 1;
        }
    }
    Ok(DropoffInsight {
        step: step + 1,
        next_step: next + 1,
        reached: dropped + continued,
        dropped,
        next_values: top(next_values, dropped, true),
        last_channels: top(last_channels, dropped, true),
        continued,
        between_values: top(between, continued, false),
        direct,
        untraced,
    })
}

/// Every unit of the insight as CSV: `customer_id,unit_start,group,step_time,next_value,next_time,
/// between,last_channel,last_event,last_seen`. `group` is `dropped` or `continued`; `next_value`
/// and `next_time` are the dropped units' next event (empty for continued), or the continued
/// units' `next_step` event; `between` the continued units' values between the steps, in order of
/// first occurrence, joined by `|`. Dropped first, then continued, each by customer.
pub fn insight_csv(table: &EventTable, query: &FunnelQuery, step: usize) -> Result<String, FunnelError> {
    let PerUnit { ranges: units_rows, mut units, .. } = per_unit(table, query, step)?;
    let column = query.by.column_or_error(table)?;
    sort_by(&mut units, &|a, b| (a.continued, a.unit).cmp(&(b.continued, b.unit)));
    let mut out = String::from(
        "customer_id,unit_start,group,step_time,next_value,next_time,between,last_channel,last_event,last_seen\n",
    );
    let time = |r: Option<usize>| r.map_or(String::new(), |r| format_timestamp(table.ts.at(r)));
    for u in &units {
        let rows = &units_rows[u.unit];
        let customer = table.offsets.partition_point(|&o| o as usize <= rows.start) - 1;
        let last = rows.end - 1;
        let between = u.between.as_ref().map_or(String::new(), |rows| {
            let mut seen: Vec<&str> = Vec::new();
            for &r in rows {
                let v = value(column, r);
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            seen.join("|")
        });
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            csv_field(&table.customers.id(customer)),
            format_timestamp(table.ts.at(rows.start)),
            if u.continued { "continued" } else { "dropped" },
            time(u.step_row),
            u.next_row.map_or(String::new(), |r| csv_field(value(column, r))),
            time(u.next_row),
            csv_field(&between),
            table.channel.as_ref().map_or(String::new(), |c| csv_field(value(c, last))),
            csv_field(value(&table.event, last)),
            format_timestamp(table.ts.at(last)),
        ));
    }
    Ok(out)
}
