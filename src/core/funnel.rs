//! Ordered funnels.
//!
//! A customer reaches step k when events matching steps 1..k occur at strictly
//! increasing positions of their (time-ordered) event sequence; other events
//! may come between and repeats are allowed. With a window W, step k counts
//! only if `t(step k) − t(step 1) ≤ W`, for the step-1 occurrence that takes the
//! customer furthest. Counts are distinct customers.
//!
//! The scan is one pass per customer, O(events × steps matched per event):
//! `start[j]` holds the latest step-1 time of any chain that has completed
//! steps 1..=j so far. A later start always dominates (it leaves more of the
//! window), so keeping only the latest one per depth is exact.

use serde::{Deserialize, Serialize};

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use super::hot::chunked;
use super::packed::{with_codes, with_times, Codes, TimeAt, Times};
use super::sort::{percentiles, sort_by};
use super::table::{Column, EventTable};
use super::time::{civil_from_days, Duration};

/// The column steps are matched against: a mapped role's, or a kept column (`keep=`) by its
/// header name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Dimension {
    #[default]
    Event,
    Channel,
    /// The lifecycle stage column.
    Stage,
    /// A kept column, by header name.
    Attr(String),
}

impl Dimension {
    /// The key in links and JSON: `event`, `channel`, `stage`, or a kept column's name
    /// (`col:<name>` when the name is one of those three or starts with `col:`).
    pub fn key(&self) -> Cow<'_, str> {
        match self {
            Dimension::Event => "event".into(),
            Dimension::Channel => "channel".into(),
            Dimension::Stage => "stage".into(),
            Dimension::Attr(name)
                if matches!(name.as_str(), "event" | "channel" | "stage") || name.starts_with("col:") =>
            {
                format!("col:{name}").into()
            }
            Dimension::Attr(name) => name.as_str().into(),
        }
    }

    /// A dimension from its key; any other non-empty key names a kept column.
    pub fn from_key(k: &str) -> Option<Dimension> {
        match k {
            "" => None,
            "event" => Some(Dimension::Event),
            "channel" => Some(Dimension::Channel),
            "stage" => Some(Dimension::Stage),
            _ => Some(Dimension::Attr(k.strip_prefix("col:").unwrap_or(k).to_string())),
        }
    }

    /// For people: `event`, `channel`, `stage`, or the column's name.
    pub fn label(&self) -> &str {
        match self {
            Dimension::Event => "event",
            Dimension::Channel => "channel",
            Dimension::Stage => "stage",
            Dimension::Attr(name) => name,
        }
    }

    /// The column, or why it is missing.
    pub fn column_or_error<'t>(&self, table: &'t EventTable) -> Result<&'t Column, FunnelError> {
        self.column(table).ok_or_else(|| match self {
            Dimension::Stage => FunnelError::NoStageColumn,
            Dimension::Attr(name) => {
                FunnelError::NoColumn { name: name.clone(), kept: table.attrs.iter().map(|a| a.name.clone()).collect() }
            }
            _ => FunnelError::NoChannelColumn,
        })
    }

    pub fn column<'t>(&self, table: &'t EventTable) -> Option<&'t Column> {
        match self {
            Dimension::Event => Some(&table.event),
            Dimension::Channel => table.channel.as_ref(),
            Dimension::Stage => table.stage.as_ref(),
            Dimension::Attr(name) => table.attr(name),
        }
    }
}

impl Serialize for Dimension {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

impl<'de> Deserialize<'de> for Dimension {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Dimension, D::Error> {
        let k = String::deserialize(d)?;
        Dimension::from_key(&k).ok_or_else(|| serde::de::Error::custom("an empty dimension"))
    }
}

/// How a step matches, parsed from its text (see README, "Funnel semantics"): alternatives are
/// separated by `|`; a step starting with `contains:` matches values containing any of its
/// alternatives (ignoring case); a step starting with `re:` is one regular expression that must
/// match somewhere in the value (`^…$` to match whole values, `(?i)` to ignore case; its `|` is
/// the regex's own alternation); `\` makes the next character literal (`\|`, `\\`, `\contains:`,
/// `\re:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepMatch {
    pub values: Vec<String>,
    pub contains: bool,
    #[serde(default)]
    pub regex: bool,
}

impl StepMatch {
    pub fn parse(spec: &str) -> StepMatch {
        if let Some(pattern) = spec.strip_prefix("re:") {
            return StepMatch { values: vec![pattern.to_string()], contains: false, regex: true };
        }
        let (contains, rest) = match spec.strip_prefix("contains:") {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let mut values = vec![String::new()];
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => values.last_mut().unwrap().extend(chars.next()),
                '|' => values.push(String::new()),
                c => values.last_mut().unwrap().push(c),
            }
        }
        values.retain(|v| !v.is_empty());
        StepMatch { values, contains, regex: false }
    }

    /// Why the step cannot match anything as written: an invalid regular expression.
    pub fn error(&self) -> Option<String> {
        if !self.regex {
            return None;
        }
        regex_lite::Regex::new(&self.values[0]).err().map(|e| e.to_string())
    }

    /// Whether a value matches this step when it is no regular expression (`false` for one):
    /// equal to an alternative, or with `contains:` containing one, ignoring case.
    pub fn plain_match(&self, value: &str) -> bool {
        if self.regex {
            false
        } else if self.contains {
            let v = value.to_lowercase();
            self.values.iter().any(|n| v.contains(n.to_lowercase().as_str()))
        } else {
            self.values.iter().any(|v| v == value)
        }
    }

    /// A test of values against this step (a regular expression is compiled once).
    pub fn matcher(&self) -> Box<dyn Fn(&str) -> bool + '_> {
        match self.regex.then(|| regex_lite::Regex::new(&self.values[0])) {
            Some(Ok(re)) => Box::new(move |value| re.is_match(value)),
            Some(Err(_)) => Box::new(|_| false),
            None => Box::new(|value| self.plain_match(value)),
        }
    }

    /// The codes of the column's values this step matches, ascending.
    pub fn codes(&self, column: &Column) -> Vec<u32> {
        if self.regex || self.contains {
            let matches = self.matcher();
            (0..column.values.len() as u32).filter(|&c| matches(&column.values[c as usize])).collect()
        } else {
            let mut codes: Vec<u32> = self.values.iter().filter_map(|v| column.code_of(v)).collect();
            codes.sort_unstable();
            codes.dedup();
            codes
        }
    }

    /// For people: `a or b`, `contains x`, `matches /x/`.
    pub fn describe(&self) -> String {
        if self.regex {
            return format!("matches /{}/", self.values[0]);
        }
        let alts = self.values.join(" or ");
        if self.contains {
            format!("contains {alts}")
        } else {
            alts
        }
    }
}

/// A data value written as a step that matches exactly that value.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 1);
    if value.starts_with("contains:") || value.starts_with("re:") {
        out.push('\\');
    }
    for c in value.chars() {
        // `=` too, so that a value such as `channel=x` is not read as a step on the channel.
        if c == '\\' || c == '|' || c == '=' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The codes a step's text matches in `column`.
fn step_codes(column: &Column, spec: &str) -> Vec<u32> {
    StepMatch::parse(spec).codes(column)
}

/// What a funnel counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Count {
    /// Distinct customers (each customer's whole history).
    #[default]
    Customers,
    /// Sessions: a customer's events split where the gap between two events exceeds the session gap.
    Sessions,
    /// Every attempt: a customer's history cut after each completion of the funnel, so a customer
    /// who converts three times counts three times.
    Totals,
}

impl Count {
    pub fn key(self) -> &'static str {
        match self {
            Count::Customers => "customers",
            Count::Sessions => "sessions",
            Count::Totals => "totals",
        }
    }

    pub fn from_key(k: &str) -> Option<Count> {
        [Count::Customers, Count::Sessions, Count::Totals].into_iter().find(|c| c.key() == k)
    }
}

/// The period of the conversion-over-time table (`trend=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    Day,
    /// ISO weeks, Monday to Sunday (named by their Monday).
    Week,
    Month,
}

impl Trend {
    pub fn key(self) -> &'static str {
        match self {
            Trend::Day => "day",
            Trend::Week => "week",
            Trend::Month => "month",
        }
    }

    pub fn from_key(k: &str) -> Option<Trend> {
        [Trend::Day, Trend::Week, Trend::Month].into_iter().find(|t| t.key() == k)
    }

    /// The period index of a UTC day count: days, Monday day counts, or months since year 0.
    fn index(self, day: i64) -> i64 {
        match self {
            Trend::Day => day,
            Trend::Week => day - (day + 3).rem_euclid(7),
            Trend::Month => {
                let (y, m, _) = civil_from_days(day);
                y * 12 + m - 1
            }
        }
    }

    fn next(self, index: i64) -> i64 {
        index + if self == Trend::Week { 7 } else { 1 }
    }

    /// `2024-05-06` (day, week: its Monday) or `2024-05` (month).
    fn label(self, index: i64) -> String {
        match self {
            Trend::Day | Trend::Week => {
                let (y, m, d) = civil_from_days(index);
                format!("{y:04}-{m:02}-{d:02}")
            }
            Trend::Month => format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1),
        }
    }
}

/// One period of the conversion-over-time table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    pub period: String,
    /// Customers (or sessions) whose first step-1 event falls in the period.
    pub entered: u64,
    /// Of those, the ones who reached the last step.
    pub converted: u64,
    /// `converted / entered` in percent; `None` when nobody entered.
    pub rate_pct: Option<f64>,
}

/// Where a breakdown takes each unit's segment value from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentAt {
    /// The unit's first event with a value (its whole history, not only the funnel's events).
    First,
    /// The unit's last event with a value.
    Last,
    /// The event that did this step (0-based) in the unit's traced chain.
    Step(usize),
}

/// What the breakdown segments by (`breakdown=`): a dimension's value at the unit's first or last
/// event, or at the event that did a step. Written `first_channel`, `last_stage`, `step2_event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    pub at: SegmentAt,
    pub by: Dimension,
}

impl Breakdown {
    pub const FIRST_CHANNEL: Breakdown = Breakdown { at: SegmentAt::First, by: Dimension::Channel };
    pub const LAST_CHANNEL: Breakdown = Breakdown { at: SegmentAt::Last, by: Dimension::Channel };

    pub fn key(&self) -> String {
        match self.at {
            SegmentAt::First => format!("first_{}", self.by.key()),
            SegmentAt::Last => format!("last_{}", self.by.key()),
            SegmentAt::Step(j) => format!("step{}_{}", j + 1, self.by.key()),
        }
    }

    pub fn from_key(k: &str) -> Option<Breakdown> {
        let (at, by) = k.split_once('_')?;
        let at = match at {
            "first" => SegmentAt::First,
            "last" => SegmentAt::Last,
            _ => SegmentAt::Step(at.strip_prefix("step")?.parse::<usize>().ok()?.checked_sub(1)?),
        };
        Some(Breakdown { at, by: Dimension::from_key(by)? })
    }

    /// For people: `first-touch channel`, `event at step 2`.
    pub fn describe(&self) -> String {
        match self.at {
            SegmentAt::First => format!("first-touch {}", self.by.key()),
            SegmentAt::Last => format!("last-touch {}", self.by.key()),
            SegmentAt::Step(j) => format!("{} at step {}", self.by.key(), j + 1),
        }
    }
}

impl Serialize for Breakdown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

impl<'de> Deserialize<'de> for Breakdown {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Breakdown, D::Error> {
        let k = String::deserialize(d)?;
        Breakdown::from_key(&k).ok_or_else(|| serde::de::Error::custom(format!("unknown breakdown {k:?}")))
    }
}

/// Segments shown by name; the rest are summed into "other".
pub const TOP_SEGMENTS: usize = 5;

/// One segment of the breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    /// The channel, `(none)` for customers without any channel, or `(other)` (the rest summed).
    pub segment: String,
    /// Customers (or sessions) of the segment at each step.
    pub steps: Vec<u64>,
    /// Last step ÷ step 1, in percent; `None` when nobody of the segment reached step 1.
    pub conversion_pct: Option<f64>,
}

/// Which steps each value (code) of the funnel's column matches, as one flat list per code
/// (steps descending) so the scans stay in cache.
pub(crate) struct StepTable {
    /// `offsets[code]..offsets[code + 1]` indexes `steps`.
    offsets: Vec<u32>,
    steps: Vec<u32>,
    /// How many steps there are.
    len: usize,
}

impl StepTable {
    pub(crate) fn new<S: AsRef<str>>(column: &Column, steps: &[S]) -> StepTable {
        let mut per_code: Vec<Vec<u32>> = vec![Vec::new(); column.values.len()];
        for (j, step) in steps.iter().enumerate().rev() {
            for code in step_codes(column, step.as_ref()) {
                per_code[code as usize].push(j as u32);
            }
        }
        let mut offsets = Vec::with_capacity(per_code.len() + 1);
        offsets.push(0);
        let mut flat = Vec::new();
        for list in per_code {
            flat.extend(list);
            offsets.push(flat.len() as u32);
        }
        StepTable { offsets, steps: flat, len: steps.len() }
    }

    /// The steps `code` matches, descending.
    #[inline]
    pub(crate) fn of(&self, code: u32) -> &[u32] {
        &self.steps[self.offsets[code as usize] as usize..self.offsets[code as usize + 1] as usize]
    }

    #[inline]
    pub(crate) fn is(&self, code: u32, j: usize) -> bool {
        self.of(code).contains(&(j as u32))
    }
}

/// The position of each step in a chain of steps `seq` (`usize::MAX`: not in it).
fn positions(seq: &[usize], k: usize) -> Vec<usize> {
    let mut pos = vec![usize::MAX; k];
    for (p, &j) in seq.iter().enumerate() {
        pos[j] = p;
    }
    pos
}

/// The steps a chain to step `j` does: the required steps before `j`, then `j`.
pub(crate) fn chain_to(query: &FunnelQuery, j: usize) -> Vec<usize> {
    (0..j).filter(|&i| !query.is_optional(i)).chain([j]).collect()
}

/// The rows of the chain doing the steps `seq` in order within `rows`, traced as the funnel
/// traces (see [`chain_scan`]); `None` when no such chain exists.
pub(crate) fn trace(
    table: &EventTable,
    column: &Column,
    st: &StepTable,
    seq: &[usize],
    rows: Range<usize>,
    window: i64,
) -> Option<Vec<usize>> {
    let m = seq.len();
    let pos = positions(seq, st.len);
    let (mut start, mut chain) = (vec![NONE; m], vec![0u32; m * m]);
    let depth = chain_scan(table, column, st, &pos, rows, &mut start, &mut chain, window, window == i64::MAX);
    (m > 0 && depth == m).then(|| chain[(m - 1) * m..].iter().map(|&r| r as usize).collect())
}

/// Finds the event that did a step for a unit that reached it: the row in the unit's traced chain
/// (the latest step-1 event that takes it furthest, the earliest event for each next step); for
/// a step off that chain (optional steps, exclusions, strict order), the last row of the chain
/// traced to that step; without one (open funnels, any order), the unit's first event matching it.
pub(crate) struct Tracer<'a> {
    pub(crate) table: &'a EventTable,
    pub(crate) column: &'a Column,
    pub(crate) st: StepTable,
    pub(crate) query: &'a FunnelQuery,
    pub(crate) found: &'a Hits<'a>,
    pub(crate) window: i64,
}

impl Tracer<'_> {
    /// The row for the unit scanned in `slot` of [`Tracer::found`], whose rows are `rows`.
    pub(crate) fn row(&self, slot: usize, rows: Range<usize>, j: usize) -> Option<usize> {
        let (table, column, st) = (self.table, self.column, &self.st);
        self.found
            .chain_row(slot, j)
            .or_else(|| trace(table, column, st, &chain_to(self.query, j), rows.clone(), self.window)?.last().copied())
            .or_else(|| rows.clone().find(|&r| st.is(column.code(r), j)))
    }
}

/// A unit's segment: a value of the breakdown's column, no value, or (breakdown at a step) not
/// having reached that step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegKey {
    Value(u32),
    NoValue,
    NotReached,
}

/// Per segment, the units at each step: the segments with the most units at step 1 (ties by
/// name), at most [`TOP_SEGMENTS`], then "(other)", then (breakdown at a step) the units that did
/// not reach that step. `hits` are per slot of [`Tracer::found`]; the units it did not scan
/// reach no step, but still make their segment appear.
fn segments(tracer: &Tracer, units: &[Range<usize>], seg: &Column, hits: &[bool], by: Breakdown) -> Vec<SegmentRow> {
    let k = tracer.query.steps.len();
    let empty = seg.code_of("");
    let value = |r: Option<usize>| match r.map(|r| seg.code(r)) {
        Some(c) if Some(c) != empty => SegKey::Value(c),
        _ => SegKey::NoValue,
    };
    // Segments in order of first appearance, found through a slot per key.
    let nv = seg.values.len();
    let mut slot = vec![u32::MAX; nv + 2];
    let mut per: Vec<(SegKey, Vec<u64>)> = Vec::new();
    for (rows, s) in units.iter().zip(tracer.found.slot_of_units(units.len())) {
        let has = |r: &usize| Some(seg.code(*r)) != empty;
        let reached = s.map(|s| &hits[s * k..s * k + k]);
        let key = match (by.at, reached) {
            (SegmentAt::First, _) => value(rows.clone().find(has)),
            (SegmentAt::Last, _) => value(rows.clone().rev().find(has)),
            (SegmentAt::Step(j), Some(r)) if j < k && r[j] => value(tracer.row(s.unwrap(), rows.clone(), j)),
            (SegmentAt::Step(_), _) => SegKey::NotReached,
        };
        let i = match key {
            SegKey::Value(c) => c as usize,
            SegKey::NoValue => nv,
            SegKey::NotReached => nv + 1,
        };
        if slot[i] == u32::MAX {
            slot[i] = per.len() as u32;
            per.push((key, vec![0; k]));
        }
        let counts = &mut per[slot[i] as usize].1;
        for (n, &hit) in counts.iter_mut().zip(reached.unwrap_or_default()) {
            *n += u64::from(hit);
        }
    }
    let not_reached = per.iter().position(|p| p.0 == SegKey::NotReached).map(|i| per.swap_remove(i).1);
    let name = |key: SegKey| match key {
        SegKey::Value(c) => seg.values[c as usize].clone(),
        _ => "(none)".to_string(),
    };
    let mut rows: Vec<(String, Vec<u64>)> = per.into_iter().map(|(c, v)| (name(c), v)).collect();
    sort_by(&mut rows, &|a, b| b.1.first().cmp(&a.1.first()).then_with(|| a.0.cmp(&b.0)));
    if rows.len() > TOP_SEGMENTS {
        let rest = rows.split_off(TOP_SEGMENTS);
        let mut other = vec![0u64; k];
        for (_, v) in rest {
            for (o, n) in other.iter_mut().zip(v) {
                *o += n;
            }
        }
        rows.push(("(other)".into(), other));
    }
    if let (Some(v), SegmentAt::Step(j)) = (not_reached, by.at) {
        rows.push((format!("(did not reach step {})", j + 1), v));
    }
    rows.into_iter()
        .map(|(segment, steps)| {
            let first = steps.first().copied().unwrap_or(0);
            let conversion_pct = (first > 0).then(|| pct(steps.last().copied().unwrap_or(0), first));
            SegmentRow { segment, steps, conversion_pct }
        })
        .collect()
}

/// The default session gap: 30 minutes.
pub const DEFAULT_SESSION_GAP: Duration = Duration { amount: 30, unit: super::time::TimeUnit::Minute };

/// The row ranges a funnel is evaluated on: customers, their sessions, or their attempts (each
/// customer's history cut after every event that completes the required steps in order within the
/// window).
pub(crate) fn units_of(table: &EventTable, query: &FunnelQuery, column: &Column) -> Vec<Range<usize>> {
    let customers = (0..table.customer_count()).map(|c| table.rows_of(c));
    match query.count {
        Count::Customers => table.offsets.windows(2).map(|w| w[0] as usize..w[1] as usize).collect(),
        Count::Sessions => {
            let gap = query.session_gap.unwrap_or(DEFAULT_SESSION_GAP).micros();
            let mut sessions = super::session::Sessions::new(table, query.sessions, gap);
            let mut units = Vec::new();
            for rows in customers {
                sessions.split(rows, |s| units.push(s));
            }
            units
        }
        Count::Totals => {
            let seq: Vec<usize> = (0..query.steps.len()).filter(|&j| !query.is_optional(j)).collect();
            let pos = positions(&seq, query.steps.len());
            let st = StepTable::new(column, &query.steps);
            let window = query.window.map_or(i64::MAX, |w| w.micros());
            let m = seq.len();
            let (mut start, mut chain) = (vec![NONE; m], vec![0u32; m * m]);
            let mut units = Vec::new();
            for rows in customers {
                let mut from = rows.start;
                // Each attempt ends at the event that first completes the required steps.
                while from < rows.end {
                    let depth =
                        chain_scan(table, column, &st, &pos, from..rows.end, &mut start, &mut chain, window, true);
                    let end = if m > 0 && depth == m { chain[m * m - 1] as usize + 1 } else { rows.end };
                    units.push(from..end);
                    from = end;
                }
            }
            units
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FunnelQuery {
    pub by: Dimension,
    pub steps: Vec<String>,
    pub window: Option<Duration>,
    #[serde(default)]
    pub order: Order,
    /// Steps that may be skipped (0-based indices; step 1 is never optional).
    #[serde(default)]
    pub optional: Vec<usize>,
    /// Values whose occurrence between two steps drops a customer's chain.
    #[serde(default)]
    pub exclusions: Vec<Exclusion>,
    /// Open funnel: customers may enter at any step (`open=1`).
    #[serde(default)]
    pub open: bool,
    /// What is counted (`count=`).
    #[serde(default)]
    pub count: Count,
    /// The inactivity that ends a session (`session_gap=`, with `count=sessions`); default 30 min.
    #[serde(default)]
    pub session_gap: Option<Duration>,
    /// Sessions from the session column (the default, when the data has one) or the gap (`sessions=`).
    #[serde(default)]
    pub sessions: super::session::SessionSource,
    /// Conversion over time by period of entry (`trend=`), closed funnels.
    #[serde(default)]
    pub trend: Option<Trend>,
    /// Counts per segment (`breakdown=`).
    #[serde(default)]
    pub breakdown: Option<Breakdown>,
    /// The step (0-based, at least 1) the time-to-convert histogram ends at (`ttc=`, 1-based in
    /// the URL); `None`: the last step.
    #[serde(default)]
    pub ttc_to: Option<usize>,
    /// The step (0-based) the time-to-convert histogram starts at (`ttc_from=`, 1-based in the
    /// URL); `None`: step 1.
    #[serde(default)]
    pub ttc_from: Option<usize>,
    /// The step (0-based) whose drop-off insight is computed (`insight=`, 1-based in the URL).
    #[serde(default)]
    pub insight: Option<usize>,
}

/// An exclusion: an event (of the funnel's dimension) with value `value` strictly between the
/// chain's step `from` and step `to` (0-based, `from < to`) breaks the chain from step `to` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    pub value: String,
    pub from: usize,
    pub to: usize,
}

impl FunnelQuery {
    /// Whether step `j` (0-based) may be skipped; step 1 never is.
    pub fn is_optional(&self, j: usize) -> bool {
        j > 0 && j < self.steps.len() && self.optional.contains(&j)
    }

    /// The exclusions the engine applies: `from < to`, both steps exist, `from` is not optional.
    pub fn valid_exclusions(&self) -> impl Iterator<Item = &Exclusion> {
        self.exclusions.iter().filter(|e| e.from < e.to && e.to < self.steps.len() && !self.is_optional(e.from))
    }

    /// Marks step `j` optional or not (step 1 cannot be; exclusions starting at it are dropped).
    pub fn set_optional(&mut self, j: usize, optional: bool) {
        self.optional.retain(|&o| o != j);
        if optional && j > 0 && j < self.steps.len() {
            self.optional.push(j);
            self.optional.sort_unstable();
            self.exclusions.retain(|e| e.from != j);
        }
    }

    /// The closed funnel of steps `s..` (an open funnel's entry at step `s`): optional flags and
    /// the exclusions whose steps are both in it, renumbered.
    pub fn suffix(&self, s: usize) -> FunnelQuery {
        FunnelQuery {
            steps: self.steps[s..].to_vec(),
            optional: self.optional.iter().filter(|&&j| j > s).map(|&j| j - s).collect(),
            exclusions: self
                .valid_exclusions()
                .filter(|e| e.from >= s)
                .map(|e| Exclusion { value: e.value.clone(), from: e.from - s, to: e.to - s })
                .collect(),
            open: false,
            ..self.clone()
        }
    }

    /// Removes step `i`, keeping the optional flags and exclusions of the other steps.
    pub fn remove_step(&mut self, i: usize) {
        if i >= self.steps.len() {
            return;
        }
        self.steps.remove(i);
        let shift = |j: usize| if j > i { j - 1 } else { j };
        self.optional = self.optional.iter().filter(|&&j| j != i).map(|&j| shift(j)).filter(|&j| j > 0).collect();
        self.exclusions.retain(|e| e.from != i && e.to != i);
        for e in &mut self.exclusions {
            (e.from, e.to) = (shift(e.from), shift(e.to));
        }
    }

    /// Swaps steps `i − 1` and `i`; flags and exclusions move with their steps.
    pub fn move_up(&mut self, i: usize) {
        if i == 0 || i >= self.steps.len() {
            return;
        }
        self.steps.swap(i - 1, i);
        let swap = |j: usize| {
            if j == i {
                i - 1
            } else if j == i - 1 {
                i
            } else {
                j
            }
        };
        self.optional = self.optional.iter().map(|&j| swap(j)).filter(|&j| j > 0).collect();
        self.optional.sort_unstable();
        for e in &mut self.exclusions {
            let (a, b) = (swap(e.from), swap(e.to));
            (e.from, e.to) = (a.min(b), a.max(b));
        }
        let q = self.clone();
        self.exclusions.retain(|e| !q.is_optional(e.from));
    }
}

/// How steps must follow each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Steps in order, other events allowed between them.
    #[default]
    Ordered,
    /// Each step the customer's very next event after the previous step.
    Strict,
    /// Steps 1..k done in any order (each by its own event).
    Any,
}

impl Order {
    pub fn key(self) -> &'static str {
        match self {
            Order::Ordered => "ordered",
            Order::Strict => "strict",
            Order::Any => "any",
        }
    }

    pub fn from_key(k: &str) -> Option<Order> {
        [Order::Ordered, Order::Strict, Order::Any].into_iter().find(|o| o.key() == k)
    }
}

/// One step's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub label: String,
    /// Distinct customers who reached this step.
    pub customers: u64,
    /// `customers` as a percentage of step 1 (100 for step 1; 0 when step 1 is 0).
    pub pct_of_first: f64,
    /// `customers` as a percentage of the previous step (100 for step 1; 0 when the previous step is 0).
    pub pct_of_previous: f64,
    /// Customers of the previous step who did not reach this one (0 for step 1).
    pub dropoff: u64,
    /// Whether the value occurs in the data at all.
    pub present: bool,
    /// Median and 90th-percentile time (seconds) from the previous step and from step 1, over the
    /// customers who reached this step (ordered funnels; `None` for step 1 and other orders).
    pub median_from_previous_s: Option<f64>,
    pub p90_from_previous_s: Option<f64>,
    pub median_from_first_s: Option<f64>,
    pub p90_from_first_s: Option<f64>,
    /// Whether the step may be skipped (its "previous" step is the nearest earlier required step).
    #[serde(default)]
    pub optional: bool,
    /// Open funnels: customers who entered at this step (did not arrive from an earlier step).
    #[serde(default)]
    pub entries: Option<u64>,
}

/// A computed funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelResult {
    pub by: Dimension,
    pub order: Order,
    pub window: Option<String>,
    /// Customers in the data (reached or not).
    pub total_customers: u64,
    pub steps: Vec<StepResult>,
    /// The exclusions applied (0-based steps).
    #[serde(default)]
    pub exclusions: Vec<Exclusion>,
    /// Whether customers could enter at any step.
    #[serde(default)]
    pub open: bool,
    /// Ordered closed funnels: how long the customers who reached the last step (or the
    /// `ttc_to` step) took from step 1.
    #[serde(default)]
    pub time_to_convert: Vec<TimeBin>,
    /// The step (0-based) `time_to_convert` ends at.
    #[serde(default)]
    pub time_to_convert_step: Option<usize>,
    /// The step (0-based) `time_to_convert` starts at (step 1 unless `ttc_from`).
    #[serde(default)]
    pub time_to_convert_from: Option<usize>,
    /// With `trend`: per period of the first step-1 event, entered and converted (closed funnels).
    #[serde(default)]
    pub trend: Option<Trend>,
    #[serde(default)]
    pub over_time: Vec<PeriodRow>,
    /// With `breakdown` (and a channel column): counts per segment.
    #[serde(default)]
    pub breakdown: Option<Breakdown>,
    #[serde(default)]
    pub segments: Vec<SegmentRow>,
    /// What the step counts count, and with sessions the gap and the sessions in the data.
    #[serde(default)]
    pub count: Count,
    #[serde(default)]
    pub session_gap: Option<String>,
    #[serde(default)]
    pub sessions: Option<u64>,
    /// With sessions: where they came from (`column` or `gap`; with `column` the gap splits the
    /// events without a session id).
    #[serde(default)]
    pub session_source: Option<super::session::SessionSource>,
    /// With a revenue column: the revenue of the events that did the last step, one per unit
    /// that reached it (its traced chain's last-step event).
    #[serde(default)]
    pub revenue_last_step: Option<f64>,
    /// With `insight`: what the units that stopped after that step did instead, and what those
    /// who went on did between it and the next required step.
    #[serde(default)]
    pub insight: Option<super::dropoff::DropoffInsight>,
}

/// One bar of the time-to-convert histogram: `from_s <= t < to_s` (no `to_s`: no upper bound).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeBin {
    pub label: String,
    pub from_s: f64,
    pub to_s: Option<f64>,
    /// Customers (or sessions) whose time from step 1 to the last step falls in the bin.
    pub customers: u64,
}

/// The histogram's bin edges in seconds and their labels: fixed, readable bins.
const TIME_BINS: [(f64, &str); 10] = [
    (0.0, "< 1 min"),
    (60.0, "1–5 min"),
    (300.0, "5–15 min"),
    (900.0, "15–60 min"),
    (3600.0, "1–6 h"),
    (21_600.0, "6–24 h"),
    (86_400.0, "1–3 d"),
    (259_200.0, "3–7 d"),
    (604_800.0, "7–30 d"),
    (2_592_000.0, "≥ 30 d"),
];

/// The time-to-convert histogram of durations in microseconds.
pub fn time_histogram(micros: &[i64]) -> Vec<TimeBin> {
    let mut bins: Vec<TimeBin> = TIME_BINS
        .iter()
        .enumerate()
        .map(|(i, &(from, label))| TimeBin {
            label: label.into(),
            from_s: from,
            to_s: TIME_BINS.get(i + 1).map(|b| b.0),
            customers: 0,
        })
        .collect();
    for &t in micros {
        let s = t as f64 / 1e6;
        let i = TIME_BINS.iter().rposition(|b| s >= b.0).unwrap_or(0);
        bins[i].customers += 1;
    }
    bins
}

/// Why a funnel cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FunnelError {
    NoChannelColumn,
    NoStageColumn,
    /// A dimension names a column the data does not keep.
    NoColumn {
        name: String,
        kept: Vec<String>,
    },
    /// A step (or exclusion) that cannot match as written: an invalid regular expression.
    BadStep {
        step: String,
        reason: String,
    },
    /// A paths rewrite rule whose `re:` pattern is not a valid regular expression.
    BadRule {
        pattern: String,
        reason: String,
    },
}

impl std::fmt::Display for FunnelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FunnelError::NoChannelColumn => {
                write!(f, "this data has no channel column; map one under Columns or build the funnel by event")
            }
            FunnelError::NoStageColumn => {
                write!(f, "this data has no stage column; map one under Columns or build the funnel by event")
            }
            FunnelError::NoColumn { name, kept } if kept.is_empty() => write!(
                f,
                "this data keeps no column \"{name}\"; keep it under Columns (Kept columns) or choose another dimension"
            ),
            FunnelError::NoColumn { name, kept } => write!(
                f,
                "this data keeps no column \"{name}\" (kept: {}); keep it under Columns (Kept columns) or choose another dimension",
                kept.join(", ")
            ),
            FunnelError::BadStep { step, reason } => {
                let reason = reason.lines().last().unwrap_or(reason).trim();
                write!(f, "step \"{step}\" is not a valid regular expression: {reason}")
            }
            FunnelError::BadRule { pattern, reason } => {
                write!(f, "rewrite rule \"{pattern}\" is not a valid regular expression: {reason}")
            }
        }
    }
}

/// Per step: times (µs) from the previous step and from step 1 of the customers who reached it.
type Gaps = (Vec<i64>, Vec<i64>);

/// Sentinel for "no chain has reached this depth".
const NONE: i64 = i64::MIN;

/// Computes a funnel; a step whose value does not occur counts 0 customers.
///
/// Optional steps: in ordered and any-order funnels a matched optional step never helps a later
/// step, so the required steps are one funnel and each optional step `j` is the last step of the
/// funnel "required steps before `j`, then `j`". Strict order follows every way of skipping.
/// The customers (or sessions) who entered the funnel, each with the furthest step they reached,
/// as CSV for retargeting lists: `customer_id,unit_start,furthest_step,furthest_step_label,
/// next_step,converted,last_channel,last_event,last_seen`. `next_step` is the step they did not
/// reach (empty when they converted); the last channel, event and time are of the unit's last
/// event. Closed-funnel semantics (the first step is the entry); ordered by furthest step, then
/// customer.
pub fn customers_csv(table: &EventTable, query: &FunnelQuery) -> Result<String, FunnelError> {
    let (column, matched_query) = matched(table, query)?;
    let column = &*column;
    let k = query.steps.len();
    let units = units_of(table, &matched_query, column);
    let closed = FunnelQuery { open: false, ..matched_query.into_owned() };
    let window = query.window.map_or(i64::MAX, |w| w.micros());
    let found = closed_hits(table, &units, column, &closed, window, None);
    let mut rows: Vec<(usize, usize, &Range<usize>)> = Vec::new();
    for slot in 0..found.slots() {
        let range = &units[found.unit(slot)];
        if let Some(furthest) = (0..k).rev().find(|&j| found.reaches(slot, j)) {
            let customer = table.offsets.partition_point(|&o| o as usize <= range.start) - 1;
            rows.push((furthest, customer, range));
        }
    }
    sort_by(&mut rows, &|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.start.cmp(&b.2.start)));
    let field = |s: &str| super::attribution::csv_field(s);
    let text = |c: &Option<Column>, r: usize| c.as_ref().map_or(String::new(), |c| field(c.value(r)));
    let mut out = String::from(
        "customer_id,unit_start,furthest_step,furthest_step_label,next_step,converted,last_channel,last_event,last_seen\n",
    );
    for (furthest, customer, range) in rows {
        let last = range.end - 1;
        let next = query.steps.get(furthest + 1).map_or(String::new(), |s| field(s));
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            field(&table.customers.id(customer)),
            super::time::format_timestamp(table.ts.at(range.start)),
            furthest + 1,
            field(&query.steps[furthest]),
            next,
            u8::from(furthest + 1 == k),
            text(&table.channel, last),
            field(table.event.value(last)),
            super::time::format_timestamp(table.ts.at(last)),
        ));
    }
    Ok(out)
}

/// A step's own dimension when its text starts with one and `=` (`channel=email`,
/// `device=mobile|tablet`, `stage=contains:purchase`), with the rest of the text: a built-in
/// dimension (`event`, `channel`, `stage`), or a column the data keeps. `\=` writes an `=` that
/// is part of a value.
pub fn step_dimension(spec: &str) -> Option<(Dimension, &str)> {
    let (name, rest) = spec.split_once('=')?;
    if name.is_empty() || name.contains('\\') || name.starts_with("re:") || name.starts_with("contains:") {
        return None;
    }
    Some((Dimension::from_key(name)?, rest))
}

/// The column a funnel's steps are matched on, and the query as matched on it, once every step
/// and exclusion is known to be valid. When every step and exclusion is in the funnel's
/// dimension: its column, and the query (with `by=` prefixes such as `event=` taken off). A step
/// in another dimension (`channel=email` in an event funnel, see [`step_dimension`]) makes a
/// column for the query: each row's value is the set of steps and exclusions the row matches,
/// and each step's text names the sets that hold it.
pub(crate) fn matched<'t, 'q>(
    table: &'t EventTable,
    query: &'q FunnelQuery,
) -> Result<(Cow<'t, Column>, Cow<'q, FunnelQuery>), FunnelError> {
    let column = query.by.column_or_error(table)?;
    let specs: Vec<&String> = query.steps.iter().chain(query.exclusions.iter().map(|e| &e.value)).collect();
    // Per spec: its dimension (`None`: the funnel's) and its text without the prefix.
    let mut own: Vec<(Option<Dimension>, &str)> = Vec::with_capacity(specs.len());
    for spec in &specs {
        let (dim, text) = match step_dimension(spec) {
            Some((d, rest)) if d.column(table).is_some() || !matches!(d, Dimension::Attr(_)) => {
                d.column_or_error(table)?;
                (Some(d).filter(|d| *d != query.by), rest)
            }
            _ => (None, spec.as_str()),
        };
        if let Some(reason) = StepMatch::parse(text).error() {
            return Err(FunnelError::BadStep { step: spec.to_string(), reason });
        }
        own.push((dim, text));
    }
    let rewrite = |q: &mut FunnelQuery, texts: &[String]| {
        let k = q.steps.len();
        q.steps = texts[..k].to_vec();
        for (e, t) in q.exclusions.iter_mut().zip(&texts[k..]) {
            e.value = t.clone();
        }
    };
    if own.iter().all(|(d, _)| d.is_none()) {
        if own.iter().zip(&specs).all(|((_, t), s)| *t == s.as_str()) {
            return Ok((Cow::Borrowed(column), Cow::Borrowed(query)));
        }
        let mut q = query.clone();
        rewrite(&mut q, &own.iter().map(|(_, t)| t.to_string()).collect::<Vec<_>>());
        return Ok((Cow::Borrowed(column), Cow::Owned(q)));
    }
    // The columns involved, each with the specs matched on it.
    let mut groups: Vec<(&Column, Vec<usize>)> = Vec::new();
    for (i, (dim, _)) in own.iter().enumerate() {
        let col = dim.as_ref().map_or(column, |d| d.column(table).expect("checked above"));
        match groups.iter_mut().find(|(c, _)| std::ptr::eq(*c, col)) {
            Some((_, specs)) => specs.push(i),
            None => groups.push((col, vec![i])),
        }
    }
    // Per group and code, the id of the set of its specs the code matches; a row's key mixes
    // its groups' ids (mixed radix).
    let mut group_ids: Vec<Vec<u64>> = Vec::new();
    let mut radix: Vec<u64> = Vec::new();
    let mut sets_of: Vec<Vec<Vec<usize>>> = Vec::new();
    for (col, specs_here) in &groups {
        let mut per_code: Vec<Vec<usize>> = vec![Vec::new(); col.values.len()];
        for &i in specs_here {
            for c in StepMatch::parse(own[i].1).codes(col) {
                per_code[c as usize].push(i);
            }
        }
        let mut sets: Vec<Vec<usize>> = vec![Vec::new()];
        let ids = per_code
            .into_iter()
            .map(|set| match sets.iter().position(|s| *s == set) {
                Some(p) => p as u64,
                None => {
                    sets.push(set);
                    sets.len() as u64 - 1
                }
            })
            .collect();
        group_ids.push(ids);
        radix.push(sets.len() as u64);
        sets_of.push(sets);
    }
    if radix.iter().try_fold(1u64, |a, &r| a.checked_mul(r)).is_none() {
        return Err(FunnelError::BadStep {
            step: specs[0].clone(),
            reason: "too many combinations of steps in different columns".into(),
        });
    }
    let mut codes = Vec::with_capacity(table.len());
    let mut keys: HashMap<u64, u32, super::table::FxBuild> = HashMap::default();
    let mut key_list: Vec<u64> = Vec::new();
    for r in 0..table.len() {
        let mut key = 0u64;
        for ((col, _), (ids, &base)) in groups.iter().zip(group_ids.iter().zip(&radix)) {
            key = key * base + ids[col.code(r) as usize];
        }
        let code = *keys.entry(key).or_insert_with(|| {
            key_list.push(key);
            key_list.len() as u32 - 1
        });
        codes.push(code);
    }
    // Each made value names the specs it matches (`#0,3`); each spec lists the values with it.
    let mut values = Vec::with_capacity(key_list.len());
    let mut texts: Vec<Vec<String>> = vec![Vec::new(); specs.len()];
    for &key in &key_list {
        let mut rest = key;
        let mut matched: Vec<usize> = Vec::new();
        for (g, &base) in radix.iter().enumerate().rev() {
            matched.extend(&sets_of[g][(rest % base) as usize]);
            rest /= base;
        }
        matched.sort_unstable();
        let name = format!("#{}", matched.iter().map(usize::to_string).collect::<Vec<_>>().join(","));
        for &i in &matched {
            texts[i].push(name.clone());
        }
        values.push(name);
    }
    let mut q = query.clone();
    rewrite(&mut q, &texts.iter().map(|names| names.join("|")).collect::<Vec<_>>());
    Ok((Cow::Owned(Column { values, codes: codes.into() }), Cow::Owned(q)))
}

/// What the funnels of one table with the same steps and exclusions (the same texts, on the
/// same dimension) share, whatever their window, order, count or breakdown: the column the steps
/// are matched on (made for the query when steps are in other columns, see [`matched`]) and the
/// rows that match any step or exclusion, per customer. Ordered scans of customers visit only
/// these rows (an event matching nothing changes no chain), and the made column is not made
/// again. The worker keeps one for its table and drops it whenever the table changes.
pub struct FunnelIndex {
    /// What it was built for: the dimension, and the step then exclusion texts.
    by: Dimension,
    specs: Vec<String>,
    /// The column made for the query, when its steps are in other columns.
    column: Option<Column>,
    /// The step then exclusion texts as matched on that column.
    matched_specs: Vec<String>,
    /// The customers with a matching row, ascending; `starts[i]..starts[i + 1]` indexes the rows
    /// of `customers[i]` in `rows` and `codes`.
    customers: Vec<u32>,
    starts: Vec<u32>,
    /// The matching rows, ascending, and their codes in the matched column (one load per row
    /// during the scans instead of a look-up through the row), as wide as the column's.
    rows: Vec<u32>,
    codes: Codes,
    /// The matching rows' times, in the table's form (the scans read them in order instead of
    /// gathering them).
    ts: Times,
}

/// The step then exclusion texts of a query.
fn specs_of(query: &FunnelQuery) -> impl Iterator<Item = &String> {
    query.steps.iter().chain(query.exclusions.iter().map(|e| &e.value))
}

impl FunnelIndex {
    /// The index of `query`'s steps and exclusions on `table`; the errors of [`compute`].
    pub fn new(table: &EventTable, query: &FunnelQuery) -> Result<FunnelIndex, FunnelError> {
        let (column, matched_query) = matched(table, query)?;
        let matched_specs: Vec<String> = specs_of(&matched_query).cloned().collect();
        let mut wanted = vec![false; column.values.len()];
        for spec in &matched_specs {
            for code in step_codes(&column, spec) {
                wanted[code as usize] = true;
            }
        }
        let (mut customers, mut starts, mut rows) = (Vec::new(), vec![0u32], Vec::new());
        let mut codes = Codes::build(column.values.len(), 0, |_| 0);
        chunked(table.customer_count(), |c| {
            let before = rows.len();
            for r in table.rows_of(c) {
                let code = column.code(r);
                if wanted[code as usize] {
                    rows.push(r as u32);
                    codes.push(code);
                }
            }
            if rows.len() > before {
                customers.push(c as u32);
                starts.push(rows.len() as u32);
            }
        });
        let ts = table.ts.gather(&rows);
        let column = match column {
            Cow::Owned(column) => Some(column),
            Cow::Borrowed(_) => None,
        };
        Ok(FunnelIndex {
            by: query.by.clone(),
            specs: specs_of(query).cloned().collect(),
            column,
            matched_specs,
            customers,
            starts,
            rows,
            codes,
            ts,
        })
    }

    /// Whether this index is of `query`'s steps and exclusions (on the same table).
    pub fn fits(&self, query: &FunnelQuery) -> bool {
        self.by == query.by && specs_of(query).eq(self.specs.iter())
    }

    /// The column and query as [`matched`] gives them, without matching again.
    fn matched<'t, 'q>(
        &'t self,
        table: &'t EventTable,
        query: &'q FunnelQuery,
    ) -> (Cow<'t, Column>, Cow<'q, FunnelQuery>) {
        let column = match &self.column {
            Some(column) => column,
            None => query.by.column(table).expect("the index was built from this column"),
        };
        if specs_of(query).eq(self.matched_specs.iter()) {
            return (Cow::Borrowed(column), Cow::Borrowed(query));
        }
        let mut q = query.clone();
        let k = q.steps.len();
        q.steps = self.matched_specs[..k].to_vec();
        for (e, t) in q.exclusions.iter_mut().zip(&self.matched_specs[k..]) {
            e.value = t.clone();
        }
        (Cow::Borrowed(column), Cow::Owned(q))
    }

    /// The index's rows of the `i`-th customer it lists.
    fn span(&self, i: usize) -> Range<usize> {
        self.starts[i] as usize..self.starts[i + 1] as usize
    }
}

/// [`compute_with`] without an index.
pub fn compute(table: &EventTable, query: &FunnelQuery) -> Result<FunnelResult, FunnelError> {
    compute_with(table, query, None)
}

/// Computes a funnel, with the [`FunnelIndex`] of its steps when one is at hand (an index of
/// other steps is not used); the result is the same either way.
pub fn compute_with(
    table: &EventTable,
    query: &FunnelQuery,
    index: Option<&FunnelIndex>,
) -> Result<FunnelResult, FunnelError> {
    let index = index.filter(|ix| ix.fits(query));
    let (column, matched_query) = match index {
        Some(ix) => ix.matched(table, query),
        None => matched(table, query)?,
    };
    let (column, original, query) = (&*column, query, &*matched_query);
    // The index lists customers' rows: units of other kinds are scanned row by row.
    let index = index.filter(|_| query.count == Count::Customers);
    let k = query.steps.len();
    let units = units_of(table, query, column);
    let units = &units[..];
    let present: Vec<bool> = query.steps.iter().map(|s| !step_codes(column, s).is_empty()).collect();
    let optional: Vec<bool> = (0..k).map(|j| query.is_optional(j)).collect();
    let window = query.window.map_or(i64::MAX, |w| w.micros());
    let mut found = closed_hits(table, units, column, query, window, index);
    let mut gaps = std::mem::take(&mut found.gaps);
    // Per scanned unit (slot), as the closed and open hits below are.
    let n = found.slots();
    let hits = &found.hits;
    let count = |v: &[bool], j: usize| (0..n).filter(|&c| v[c * k + j]).count() as u64;
    let (mut r, final_hits) = if !query.open {
        let mut reached = vec![0u64; k];
        for unit in hits.chunks_exact(k.max(1)) {
            for (n, &hit) in reached.iter_mut().zip(unit) {
                *n += u64::from(hit);
            }
        }
        (result(original, table.customer_count() as u64, &reached, &present, &optional, None), None)
    } else {
        // Entry at step 1 is the closed funnel; an entry at step s is the closed funnel of steps
        // s.. (its optional steps and the exclusions within it). `arrived`: reached from an
        // entry before the step.
        let mut reach = hits.clone();
        let mut arrived = vec![false; n * k];
        for c in 0..n {
            for j in 1..k {
                arrived[c * k + j] = hits[c * k + j];
            }
        }
        for s in 1..k {
            let sub = query.suffix(s);
            let m = k - s;
            let h = closed_hits(table, units, column, &sub, window, index).hits;
            for c in 0..n {
                for p in 0..m {
                    if h[c * m + p] {
                        reach[c * k + s + p] = true;
                        arrived[c * k + s + p] |= p > 0;
                    }
                }
            }
        }
        let reached: Vec<u64> = (0..k).map(|j| count(&reach, j)).collect();
        let entries: Vec<u64> =
            (0..k).map(|j| (0..n).filter(|&c| reach[c * k + j] && !arrived[c * k + j]).count() as u64).collect();
        // Drop-off: customers at the previous step who did not arrive at this one.
        let dropoff: Vec<u64> = (0..k)
            .map(|j| {
                let prev = (0..j).rev().find(|&i| !optional[i]);
                prev.map_or(0, |i| (0..n).filter(|&c| reach[c * k + i] && !arrived[c * k + j]).count() as u64)
            })
            .collect();
        gaps.iter_mut().for_each(|g| *g = (Vec::new(), Vec::new()));
        (
            result(original, table.customer_count() as u64, &reached, &present, &optional, Some((&dropoff, &entries))),
            Some(reach),
        )
    };
    let final_hits = final_hits.as_ref().unwrap_or(hits);
    let tracer = Tracer { table, column, st: StepTable::new(column, &query.steps), query, found: &found, window };
    if let Some(by) = query.breakdown.clone() {
        if let Some(seg) = by.by.column(table) {
            r.breakdown = Some(by.clone());
            r.segments = segments(&tracer, units, seg, final_hits, by);
        }
    }
    if let (Some(revenue), true) = (table.revenue.as_ref(), k > 0) {
        let mut sum = 0.0;
        for slot in (0..n).filter(|&s| final_hits[s * k + k - 1]) {
            // The traced chain's row when it is known, without reading the unit's rows (a
            // cache miss per unit).
            let row = found.chain_row(slot, k - 1).or_else(|| tracer.row(slot, units[found.unit(slot)].clone(), k - 1));
            if let Some(v) = row.and_then(|r| revenue.get(r)) {
                sum += v;
            }
        }
        r.revenue_last_step = Some(sum);
    }
    if let Some(step) = query.insight {
        r.insight = super::dropoff::insight(table, original, step).ok();
    }
    if query.count == Count::Sessions {
        r.sessions = Some(units.len() as u64);
        r.session_source = Some(query.sessions.used(table));
    }
    if let (Some(trend), false, true) = (query.trend, query.open, k > 0) {
        r.trend = Some(trend);
        r.over_time = over_time(table, units, column, &query.steps[0], &found, trend);
    }
    if query.order == Order::Ordered && !query.open && k >= 2 {
        let to = query.ttc_to.filter(|&j| (1..k).contains(&j)).unwrap_or(k - 1);
        let from = query.ttc_from.filter(|&i| i < to).unwrap_or(0);
        r.time_to_convert = if from == 0 {
            time_histogram(&gaps[to].1)
        } else {
            // Between two later steps: their events in the traced chain of each unit at both.
            let mut times = Vec::new();
            for slot in (0..n).filter(|&s| hits[s * k + from] && hits[s * k + to]) {
                let rows = &units[found.unit(slot)];
                if let (Some(a), Some(b)) = (tracer.row(slot, rows.clone(), from), tracer.row(slot, rows.clone(), to)) {
                    times.push(table.ts.at(b) - table.ts.at(a));
                }
            }
            time_histogram(&times)
        };
        r.time_to_convert_step = Some(to);
        r.time_to_convert_from = Some(from);
    }
    if query.order == Order::Ordered {
        for (step, (prev, first)) in r.steps.iter_mut().zip(gaps.iter_mut()).skip(1) {
            if !prev.is_empty() {
                // The step after step 1: both lists hold the same times, selected once.
                let same = prev == first;
                let [median, p90] = median_and_p90_seconds(prev);
                (step.median_from_previous_s, step.p90_from_previous_s) = (Some(median), Some(p90));
                let [median, p90] = if same { [median, p90] } else { median_and_p90_seconds(first) };
                (step.median_from_first_s, step.p90_from_first_s) = (Some(median), Some(p90));
            }
        }
    }
    Ok(r)
}

/// Conversion over time: each unit that reached step 1, by the period of its first step-1 event;
/// converted when it reached the last step. Periods without entries between the first and the
/// last are listed with zeros.
fn over_time(
    table: &EventTable,
    units: &[Range<usize>],
    column: &Column,
    first_step: &str,
    found: &Hits,
    trend: Trend,
) -> Vec<PeriodRow> {
    let k = found.k;
    let mut is_first = vec![false; column.values.len()];
    for code in step_codes(column, first_step) {
        is_first[code as usize] = true;
    }
    let mut by_period: std::collections::BTreeMap<i64, (u64, u64)> = Default::default();
    for slot in (0..found.slots()).filter(|&s| found.reaches(s, 0)) {
        if let Some(row) = units[found.unit(slot)].clone().find(|&r| is_first[column.code(r) as usize]) {
            let day = table.ts.at(row).div_euclid(86_400_000_000);
            let e = by_period.entry(trend.index(day)).or_default();
            e.0 += 1;
            e.1 += u64::from(found.reaches(slot, k - 1));
        }
    }
    let (Some(&first), Some(&last)) = (by_period.keys().next(), by_period.keys().next_back()) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    let mut i = first;
    while i <= last {
        let (entered, converted) = by_period.get(&i).copied().unwrap_or((0, 0));
        rows.push(PeriodRow {
            period: trend.label(i),
            entered,
            converted,
            rate_pct: (entered > 0).then(|| pct(converted, entered)),
        });
        i = trend.next(i);
    }
    rows
}

/// What the closed funnel finds, for the units it scans: which steps each reaches
/// (`hits[slot * k + j]`), per step the times from the previous step and from step 1 (ordered
/// funnels), and — ordered funnels without exclusions — each unit's traced chain over the
/// required steps. With an index only the customers it lists are scanned (in order, slot `i`
/// being its `i`-th customer): the others have no row matching a step, so they reach none, and
/// nothing is stored or counted for them.
pub(crate) struct Hits<'a> {
    /// The units scanned, ascending; `None`: every unit (slot `u` is unit `u`).
    scanned: Option<&'a [u32]>,
    slots: usize,
    k: usize,
    pub(crate) hits: Vec<bool>,
    pub(crate) gaps: Vec<Gaps>,
    /// The required steps and, per slot, the rows of its chain over them (`u32::MAX` past its depth).
    chains: Option<(Vec<usize>, Vec<u32>)>,
}

impl Hits<'_> {
    /// How many units were scanned.
    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    /// The unit scanned in `slot`.
    pub(crate) fn unit(&self, slot: usize) -> usize {
        self.scanned.map_or(slot, |units| units[slot] as usize)
    }

    /// Whether the unit in `slot` reaches step `j`.
    pub(crate) fn reaches(&self, slot: usize, j: usize) -> bool {
        self.hits[slot * self.k + j]
    }

    /// The slot of each unit in turn (`None` for the units not scanned), given the units' count.
    fn slot_of_units(&self, n: usize) -> impl Iterator<Item = Option<usize>> + '_ {
        let mut next = 0;
        (0..n).map(move |u| match self.scanned {
            None => Some(u),
            Some(units) => {
                let scanned = units.get(next) == Some(&(u as u32));
                next += usize::from(scanned);
                scanned.then(|| next - 1)
            }
        })
    }

    /// The row that did required step `j` in the traced chain of the unit in `slot` (the latest
    /// step-1 event that takes the unit furthest, the earliest event for each next step), when
    /// known.
    pub(crate) fn chain_row(&self, slot: usize, j: usize) -> Option<usize> {
        let (steps, rows) = self.chains.as_ref()?;
        let p = steps.iter().position(|&s| s == j)?;
        let row = rows[slot * steps.len() + p];
        (row != u32::MAX).then_some(row as usize)
    }
}

/// Which steps each unit reaches in the closed funnel, and per step the times from the previous
/// step and from step 1 (ordered funnels); with an index (`units` then are the customers), for
/// the customers it lists (see [`Hits`]).
pub(crate) fn closed_hits<'a>(
    table: &EventTable,
    units: &[Range<usize>],
    column: &Column,
    query: &FunnelQuery,
    window: i64,
    index: Option<&'a FunnelIndex>,
) -> Hits<'a> {
    let k = query.steps.len();
    let scanned = index.map(|ix| &ix.customers[..]);
    let n = scanned.map_or(units.len(), <[u32]>::len);
    let rows_of = |slot: usize| units[scanned.map_or(slot, |s| s[slot] as usize)].clone();
    let optional: Vec<bool> = (0..k).map(|j| query.is_optional(j)).collect();
    let mut hits = vec![false; n * k];
    let mut gaps: Vec<Gaps> = vec![(Vec::new(), Vec::new()); k];
    let mut chains = None;
    if k > 0 && query.order == Order::Strict {
        let mut matches: Vec<Vec<usize>> = vec![Vec::new(); column.values.len()];
        for (j, step) in query.steps.iter().enumerate() {
            for code in step_codes(column, step) {
                matches[code as usize].push(j);
            }
        }
        for c in 0..n {
            let hit = strict_reach(table, column, &matches, &optional, rows_of(c), window);
            hits[c * k..(c + 1) * k].copy_from_slice(&hit);
        }
    } else if k > 0 {
        let required: Vec<usize> = (0..k).filter(|&j| !optional[j]).collect();
        let mut subs = vec![required.clone()];
        for j in (0..k).filter(|&j| optional[j]) {
            subs.push(required.iter().copied().filter(|&r| r < j).chain([j]).collect());
        }
        for (i, sub) in subs.iter().enumerate() {
            let labels: Vec<&str> = sub.iter().map(|&j| query.steps[j].as_str()).collect();
            let pos = |j: usize| sub.iter().position(|&s| s == j);
            let exclusions: Vec<(u32, usize, usize)> = query
                .valid_exclusions()
                .filter_map(|e| Some((step_codes(column, &e.value), pos(e.from)?, pos(e.to)?)))
                .flat_map(|(codes, from, to)| codes.into_iter().map(move |c| (c, from, to)))
                .collect();
            let m = sub.len();
            let (sub_hits, sub_gaps) = if query.order == Order::Any {
                let mut h = vec![false; n * m];
                for c in 0..n {
                    let depth = any_order_depth(table, column, &labels, rows_of(c), window);
                    h[c * m..c * m + depth].fill(true);
                }
                (h, vec![(Vec::new(), Vec::new()); m])
            } else {
                let (h, g, rows) = ordered_scan(table, units, column, &labels, &exclusions, window, index);
                if i == 0 && !rows.is_empty() {
                    chains = Some((sub.clone(), rows));
                }
                (h, g)
            };
            if m == k {
                // Every step is required: the run is the funnel.
                (hits, gaps) = (sub_hits, sub_gaps);
                continue;
            }
            let from = if i == 0 { 0 } else { m - 1 };
            for (p, g) in sub_gaps.into_iter().enumerate().skip(from) {
                let j = sub[p];
                gaps[j] = g;
                for c in 0..n {
                    hits[c * k + j] = sub_hits[c * m + p];
                }
            }
        }
    }
    Hits { scanned, slots: n, k, hits, gaps, chains }
}

/// Per-step counts of an ordered funnel over `labels` and, per step, the times from the previous
/// step and from step 1 of the customers who reached it. `exclusions` are (code, from, to) over
/// positions in `labels`.
///
/// An exclusion stops a chain from reaching its `to` step, not the steps before it; so the steps
/// are cut into segments at the exclusions' `to` steps, and the steps of each segment are counted
/// by a run over the steps up to the segment's end with the exclusions that end at or before the
/// segment's start (a run kills the chains an exclusion event breaks). With an index (`units`
/// then are the customers), only its customers are scanned (see [`Hits`]) and only its rows
/// visited.
fn ordered_scan(
    table: &EventTable,
    units: &[Range<usize>],
    column: &Column,
    labels: &[&str],
    exclusions: &[(u32, usize, usize)],
    window: i64,
    index: Option<&FunnelIndex>,
) -> (Vec<bool>, Vec<Gaps>, Vec<u32>) {
    let k = labels.len();
    let n = index.map_or(units.len(), |ix| ix.customers.len());
    let mut chains = Vec::new();
    let mut cuts: Vec<usize> = exclusions.iter().map(|e| e.2).chain([0, k]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut hits = vec![false; n * k];
    let mut gaps = Vec::with_capacity(k);
    for seg in cuts.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        let active: Vec<(u32, usize, usize)> = exclusions.iter().copied().filter(|e| e.2 <= a).collect();
        let run = ordered_run(table, units, column, &labels[..b], &active, window, index);
        for (u, &d) in run.depths.iter().enumerate() {
            let d = d as usize;
            if d > a {
                // Stores of each step's flag: filling `a..d` would be a call to memset per unit.
                for (hit, j) in hits[u * k + a..u * k + b].iter_mut().zip(a..) {
                    *hit = j < d;
                }
            }
        }
        gaps.extend(run.gaps.into_iter().skip(a));
        if exclusions.is_empty() {
            chains = run.chains;
        }
    }
    (hits, gaps, chains)
}

/// The ordered scan of one unit without exclusions (the hot loop), over a chain of `m` steps
/// (`pos`: each step's position in it, see [`positions`]). State `p` (the chain's first `p + 1`
/// steps done) holds the latest step-1 time `start[p]` of such a chain and its rows
/// `chain[p * m..=p * m + p]`: that step-1 event, then the earliest event for each next step (of
/// step-1 events at one instant, the latest). Returns the depth reached; with `stop`, the scan
/// ends at the first complete chain (as funnels without a window do, and attempts for totals).
#[allow(clippy::too_many_arguments)]
#[inline]
fn chain_scan(
    table: &EventTable,
    column: &Column,
    st: &StepTable,
    pos: &[usize],
    rows: Range<usize>,
    start: &mut [i64],
    chain: &mut [u32],
    window: i64,
    stop: bool,
) -> usize {
    let m = start.len();
    start.fill(NONE);
    let mut depth = 0;
    let first = rows.start;
    let (codes, ts) = (column.codes.range(rows.clone()), table.ts.slice(rows));
    for (i, code) in codes.enumerate() {
        let steps = st.of(code);
        // Only a row that matches a step needs its time.
        let t = if steps.is_empty() { 0 } else { ts.at(i) };
        for &j in steps {
            let p = pos[j as usize];
            if p == 0 {
                start[0] = t;
                chain[0] = (first + i) as u32;
                depth = depth.max(1);
            } else if p != usize::MAX {
                let s = start[p - 1];
                // Rows are in time order, so `t - s` cannot overflow.
                if s != NONE && s > start[p] && t - s <= window {
                    start[p] = s;
                    // A few rows: an element loop beats a call to memmove here.
                    for i in 0..p {
                        chain[p * m + i] = chain[(p - 1) * m + i];
                    }
                    chain[p * m + p] = (first + i) as u32;
                    depth = depth.max(p + 1);
                }
            }
        }
        if depth == m && stop {
            break;
        }
    }
    depth
}

/// The most steps [`StepMasks`] holds (one bit each).
const MASK_STEPS: usize = 32;

/// Which steps each value (code) of the funnel's column matches, as a bit set per code (bit `j`:
/// step `j`), for funnels of at most [`MASK_STEPS`] steps: one load per event, and no work for
/// the events that match no step.
struct StepMasks(Vec<u32>);

impl StepMasks {
    fn new(column: &Column, labels: &[&str]) -> Option<StepMasks> {
        if labels.len() > MASK_STEPS {
            return None;
        }
        let mut masks = vec![0u32; column.values.len()];
        for (j, label) in labels.iter().enumerate() {
            for code in step_codes(column, label) {
                masks[code as usize] |= 1 << j;
            }
        }
        Some(StepMasks(masks))
    }
}

/// One unit's states for [`masked_scan`]: as in [`chain_scan`], `start[p]` is the latest step-1
/// time of a chain through steps `0..=p` and `chain[p][..=p]` its rows.
struct ChainState {
    start: [i64; MASK_STEPS],
    chain: [[u32; MASK_STEPS]; MASK_STEPS],
}

impl ChainState {
    fn new() -> ChainState {
        ChainState { start: [NONE; MASK_STEPS], chain: [[0; MASK_STEPS]; MASK_STEPS] }
    }
}

/// [`chain_scan`] over the funnel's own steps (`pos` the identity) with the steps as bit sets:
/// the same states and chains, found with less work per event. `codes` are the codes of the rows
/// scanned (the unit's, or its rows in an index) and `time(i)` the time of the `i`-th; the
/// chains hold places `i`; returns the depth reached (`m` steps).
#[allow(clippy::too_many_arguments)]
#[inline]
fn masked_scan<C: Copy + Into<u32>>(
    codes: &[C],
    time: impl Fn(usize) -> i64,
    masks: &StepMasks,
    m: usize,
    state: &mut ChainState,
    window: i64,
    stop: bool,
) -> usize {
    let ChainState { start, chain } = state;
    start[..m].fill(NONE);
    let mut depth = 0;
    for (i, &code) in codes.iter().enumerate() {
        let mut mask = masks.0[code.into() as usize];
        if mask == 0 {
            continue;
        }
        let (t, at) = (time(i), i as u32);
        // Deeper steps first, so an event doing several steps advances each from the states
        // before it.
        while mask != 0 {
            let p = (31 - mask.leading_zeros()) as usize;
            mask &= !(1 << p);
            if p == 0 {
                start[0] = t;
                chain[0][0] = at;
                depth = depth.max(1);
            } else {
                let s = start[p - 1];
                // `s > start[p]` also rules out `s == NONE`; rows are in time order, so `t - s`
                // cannot overflow.
                if s > start[p] && t - s <= window {
                    start[p] = s;
                    let (before, after) = chain.split_at_mut(p);
                    let (from, to) = (&before[p - 1], &mut after[0]);
                    // A few rows: an element loop beats a call to memmove here.
                    for (dst, &src) in to[..p].iter_mut().zip(&from[..p]) {
                        *dst = src;
                    }
                    to[p] = at;
                    depth = depth.max(p + 1);
                }
            }
        }
        if depth == m && stop {
            break;
        }
    }
    depth
}

/// [`ordered_run`] without exclusions over at most [`MASK_STEPS`] steps: each unit's depth and
/// traced chain from [`masked_scan`], and the times between steps along that chain. With an
/// index (`units` then are the customers), only its customers are scanned, over its rows (the
/// run's slots are theirs, see [`Hits`]).
fn masked_run(
    table: &EventTable,
    units: &[Range<usize>],
    column: &Column,
    masks: &StepMasks,
    k: usize,
    window: i64,
    index: Option<&FunnelIndex>,
) -> Run {
    let n = index.map_or(units.len(), |ix| ix.customers.len());
    let stop = window == i64::MAX;
    let mut depths = vec![0u32; n];
    let mut out = vec![u32::MAX; n * k];
    // At most one time per slot and step: reserved once (memory a unit never reaches is never
    // touched), so the pushes below never reallocate.
    let mut gaps: Vec<Gaps> = (0..k)
        .map(|j| if j == 0 { (Vec::new(), Vec::new()) } else { (Vec::with_capacity(n), Vec::with_capacity(n)) })
        .collect();
    let mut state = ChainState::new();
    for slot in 0..n {
        // The slot's rows scanned: their codes and times, and where each is in the table (the
        // index's list, or from the unit's first row).
        let (codes, times, span, rows, first_row) = match index {
            Some(ix) => {
                let span = ix.span(slot);
                (&ix.codes, &ix.ts, span.clone(), Some(&ix.rows[span]), 0)
            }
            None => {
                let rows = units[slot].clone();
                (&column.codes, &table.ts, rows.clone(), None, rows.start as u32)
            }
        };
        let times = times.slice(span.clone());
        let d = with_codes!(codes, |v| with_times!(times, |t| masked_scan(
            &v[span.clone()],
            |i| t.at(i),
            masks,
            k,
            &mut state,
            window,
            stop
        )));
        // The slot's depth, chain and times, straight from the scan's state: the times from the
        // rows just scanned, not from the table's column (a cache miss per unit).
        depths[slot] = d as u32;
        if d == 0 {
            continue;
        }
        let chain = &state.chain[d - 1][..d];
        let first = times.at(chain[0] as usize);
        let mut prev = first;
        for (j, &at) in chain.iter().enumerate() {
            out[slot * k + j] = rows.map_or(first_row + at, |rows| rows[at as usize]);
            if j > 0 {
                let t = times.at(at as usize);
                gaps[j].0.push(t - prev);
                gaps[j].1.push(t - first);
                prev = t;
            }
        }
    }
    Run { depths, gaps, chains: out }
}

/// One ordered run over `labels`.
struct Run {
    /// Steps reached per unit.
    depths: Vec<u32>,
    gaps: Vec<Gaps>,
    /// Without exclusions: per unit, the rows of its traced chain (`k` slots, `depth` used).
    chains: Vec<u32>,
}

/// One ordered run over `labels`: an exclusion event kills the chains between its steps. With an
/// index (`units` then are the customers), only its customers are scanned (the run's slots are
/// theirs, see [`Hits`]); the bit-set scan and the scan with exclusions visit only its rows.
fn ordered_run(
    table: &EventTable,
    units: &[Range<usize>],
    column: &Column,
    labels: &[&str],
    exclusions: &[(u32, usize, usize)],
    window: i64,
    index: Option<&FunnelIndex>,
) -> Run {
    let k = labels.len();
    if exclusions.is_empty() {
        if let Some(masks) = StepMasks::new(column, labels) {
            return masked_run(table, units, column, &masks, k, window, index);
        }
    }
    // For each code, the steps it matches, in descending order.
    let matches = StepTable::new(column, labels);
    // For each code, the (from, to) ranges of states it breaks.
    let mut breaks: Vec<Vec<(usize, usize)>> = vec![Vec::new(); column.values.len()];
    for &(code, from, to) in exclusions {
        breaks[code as usize].push((from, to));
    }
    let track = !exclusions.is_empty();
    let ident: Vec<usize> = (0..k).collect();
    let scanned = index.map(|ix| &ix.customers[..]);
    let n = scanned.map_or(units.len(), <[u32]>::len);
    let mut depths = vec![0u32; n];
    let mut gaps: Vec<(Vec<i64>, Vec<i64>)> = vec![(Vec::new(), Vec::new()); k];
    let mut start = vec![NONE; k];
    // Without exclusions: the chains of one unit's states (see `chain_scan`), and every unit's
    // deepest chain.
    let mut scratch = vec![0u32; if track { 0 } else { k * k }];
    let mut out = vec![u32::MAX; if track { 0 } else { n * k }];
    // With exclusions, each state keeps its chain's step times (row j: steps 0..=j), and `best`
    // the chain of the latest start that reached the deepest state so far.
    let mut chains = if track { vec![0i64; k * k] } else { Vec::new() };
    let mut best: Vec<i64> = Vec::new();
    let mut times: Vec<i64> = Vec::with_capacity(k);
    let mut updated = vec![false; k];
    for i in 0..n {
        let c = scanned.map_or(i, |s| s[i] as usize);
        let state = (&mut start[..], &mut chains[..], &mut updated[..], &mut best);
        let depth = if let (true, Some(ix)) = (track, index) {
            let rows = ix.rows[ix.span(i)].iter().map(|&r| r as usize);
            tracked_scan(table, column, &matches, &breaks, rows, window, state)
        } else if track {
            tracked_scan(table, column, &matches, &breaks, units[c].clone(), window, state)
        } else {
            let rows = units[c].clone();
            let depth =
                chain_scan(table, column, &matches, &ident, rows, &mut start, &mut scratch, window, window == i64::MAX);
            if depth > 0 {
                let deepest = &scratch[(depth - 1) * k..(depth - 1) * k + depth];
                out[i * k..i * k + depth].copy_from_slice(deepest);
                best.clear();
                best.extend(deepest.iter().map(|&r| table.ts.at(r as usize)));
            }
            depth
        };
        depths[i] = depth as u32;
        if depth > 1 {
            times.clone_from(&best);
            for j in 1..times.len() {
                gaps[j].0.push(times[j] - times[j - 1]);
                gaps[j].1.push(times[j] - times[0]);
            }
        }
    }
    Run { depths, gaps, chains: out }
}

/// The ordered scan of one unit with exclusions: each state keeps its chain's step times, an
/// exclusion event breaks the chains between its steps; `best` ends as the times of the latest
/// start that reached the deepest state. Returns the depth reached.
fn tracked_scan(
    table: &EventTable,
    column: &Column,
    matches: &StepTable,
    breaks: &[Vec<(usize, usize)>],
    rows: impl Iterator<Item = usize>,
    window: i64,
    (start, chains, updated, best): (&mut [i64], &mut [i64], &mut [bool], &mut Vec<i64>),
) -> usize {
    let k = start.len();
    start.fill(NONE);
    best.clear();
    let mut depth = 0usize;
    for row in rows {
        let code = column.code(row);
        let steps = matches.of(code);
        let t = table.ts.at(row);
        for &j in steps {
            let j = j as usize;
            let before = (start[j], depth);
            // A chain with the same start is renewed: the state's older chain may be broken by
            // an exclusion event later, the renewed one not yet.
            let advance = if j == 0 {
                start[0] = t;
                true
            } else if start[j - 1] != NONE && t.saturating_sub(start[j - 1]) <= window && start[j - 1] >= start[j] {
                start[j] = start[j - 1];
                true
            } else {
                false
            };
            if advance {
                depth = depth.max(j + 1);
                updated[j] = true;
                if j > 0 {
                    chains.copy_within((j - 1) * k..(j - 1) * k + j, j * k);
                }
                chains[j * k + j] = t;
                // Times: the latest start reaching the deepest step, earliest events.
                if j + 1 > before.1 || (j + 1 == depth && start[j] > before.0) {
                    best.clear();
                    best.extend_from_slice(&chains[j * k..j * k + j + 1]);
                }
            }
        }
        // An exclusion event breaks the chains between its steps, but not a chain that used this
        // very event as a step.
        for &(from, to) in &breaks[code as usize] {
            for s in from..to {
                if !updated[s] {
                    start[s] = NONE;
                }
            }
        }
        for &j in steps {
            updated[j as usize] = false;
        }
    }
    depth
}

/// Steps to start with when a link names none: the common e-commerce path where
/// the data has at least two of its events, otherwise its three most frequent events.
pub fn default_steps(event_values_by_frequency: &[String]) -> Vec<String> {
    const PATH: [&str; 6] = ["site_visit", "page_view", "product_view", "add_to_cart", "checkout", "purchase"];
    let known: Vec<String> =
        PATH.iter().filter(|p| event_values_by_frequency.iter().any(|v| v == *p)).map(|p| p.to_string()).collect();
    if known.len() >= 2 {
        known
    } else {
        event_values_by_frequency.iter().take(3).cloned().collect()
    }
}

/// The downloadable JSON document (schema documented in README, "Funnel JSON").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelExport {
    /// Always `touchpath.funnel.v1`.
    pub schema: String,
    /// The data file's name.
    pub data: String,
    /// Events and customers in the loaded data.
    pub events: u64,
    pub customers: u64,
    pub by: Dimension,
    pub order: Order,
    pub window: Option<String>,
    /// Whether customers could enter at any step (`entries` per step then counts them).
    pub open: bool,
    /// Ordered closed funnels: the time from step 1 to the last step (or `time_to_convert_to`), binned.
    pub time_to_convert: Vec<TimeBin>,
    /// The step number (1-based) `time_to_convert` ends at; null without a histogram.
    pub time_to_convert_to: Option<usize>,
    /// The step number (1-based) `time_to_convert` starts at; null without a histogram.
    pub time_to_convert_from: Option<usize>,
    /// Conversion over time (`trend`: `day`, `week`, `month` or null).
    pub trend: Option<Trend>,
    pub over_time: Vec<PeriodRow>,
    /// Breakdown (`first_channel`, `last_channel` or null) and its segments.
    pub breakdown: Option<Breakdown>,
    pub segments: Vec<SegmentRow>,
    /// What the step counts count: `customers` or `sessions` (then `session_gap` and `sessions`).
    pub count: Count,
    pub session_gap: Option<String>,
    pub sessions: Option<u64>,
    /// With sessions: `column` (from the data's session column) or `gap` (an inactivity gap).
    pub session_source: Option<super::session::SessionSource>,
    /// With sessions from the column: its header name (set by the page, which knows the files).
    pub session_column: Option<String>,
    /// With a revenue column: the revenue of the last step's events (one per unit that reached it).
    pub revenue_last_step: Option<f64>,
    /// With `insight=`: the drop-off insight (steps numbered from 1).
    pub insight: Option<super::dropoff::DropoffInsight>,
    /// Exclusions applied, with 1-based step numbers.
    pub exclusions: Vec<ExclusionExport>,
    pub steps: Vec<StepResult>,
}

/// An exclusion in the JSON export (steps numbered from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionExport {
    pub value: String,
    pub from_step: usize,
    pub to_step: usize,
}

impl FunnelExport {
    pub fn new(data: &str, events: u64, result: &FunnelResult) -> FunnelExport {
        FunnelExport {
            schema: "touchpath.funnel.v1".into(),
            data: data.into(),
            events,
            customers: result.total_customers,
            by: result.by.clone(),
            order: result.order,
            window: result.window.clone(),
            open: result.open,
            time_to_convert: result.time_to_convert.clone(),
            time_to_convert_to: result.time_to_convert_step.map(|j| j + 1),
            time_to_convert_from: result.time_to_convert_from.map(|j| j + 1),
            trend: result.trend,
            over_time: result.over_time.clone(),
            breakdown: result.breakdown.clone(),
            segments: result.segments.clone(),
            count: result.count,
            session_gap: result.session_gap.clone(),
            sessions: result.sessions,
            session_source: result.session_source,
            session_column: None,
            revenue_last_step: result.revenue_last_step,
            insight: result.insight.clone(),
            exclusions: result
                .exclusions
                .iter()
                .map(|e| ExclusionExport { value: e.value.clone(), from_step: e.from + 1, to_step: e.to + 1 })
                .collect(),
            steps: result.steps.clone(),
        }
    }
}

/// Strict order: which steps a customer reaches. From every step-1 event, each next event must
/// match a next step (skipping only optional steps), within the window of the run's first event.
fn strict_reach(
    table: &EventTable,
    column: &Column,
    matches: &[Vec<usize>],
    optional: &[bool],
    rows: std::ops::Range<usize>,
    window: i64,
) -> Vec<bool> {
    let k = optional.len();
    let is_step = |row: usize, j: usize| matches[column.code(row) as usize].contains(&j);
    let mut hit = vec![false; k];
    let (mut live, mut next) = (vec![false; k], vec![false; k]);
    for first in rows.clone() {
        if !is_step(first, 0) {
            continue;
        }
        hit[0] = true;
        live.fill(false);
        live[0] = true;
        let mut row = first + 1;
        while row < rows.end && table.ts.at(row).saturating_sub(table.ts.at(first)) <= window && live.contains(&true) {
            next.fill(false);
            for s in (0..k).filter(|&s| live[s]) {
                for t in s + 1..k {
                    if is_step(row, t) {
                        next[t] = true;
                        hit[t] = true;
                    }
                    if !optional[t] {
                        break;
                    }
                }
            }
            std::mem::swap(&mut live, &mut next);
            row += 1;
        }
        if !hit.contains(&false) {
            break;
        }
    }
    hit
}

/// Any order: the largest k such that steps 1..k are each done by a distinct event (a value
/// listed twice needs two), all within one window.
fn any_order_depth(
    table: &EventTable,
    column: &Column,
    steps: &[&str],
    rows: std::ops::Range<usize>,
    window: i64,
) -> usize {
    let k = steps.len();
    // Per step, the codes it accepts; steps 1..j are done when each can be given its own event:
    // a bipartite matching of steps to events (codes with their counts in the window), grown one
    // step at a time by augmenting paths (Kuhn's algorithm).
    let sets: Vec<Vec<u32>> = steps.iter().map(|s| step_codes(column, s)).collect();
    fn augment(
        step: usize,
        sets: &[Vec<u32>],
        counts: &HashMap<u32, usize>,
        owner: &mut HashMap<u32, Vec<usize>>,
        seen: &mut Vec<u32>,
    ) -> bool {
        for &code in &sets[step] {
            if seen.contains(&code) {
                continue;
            }
            seen.push(code);
            let cap = counts.get(&code).copied().unwrap_or(0);
            let holders = owner.get(&code).map_or(0, Vec::len);
            if holders < cap {
                owner.entry(code).or_default().push(step);
                return true;
            }
            for i in 0..holders {
                let other = owner[&code][i];
                if augment(other, sets, counts, owner, seen) {
                    let h = owner.get_mut(&code).unwrap();
                    h[i] = step;
                    return true;
                }
            }
        }
        false
    }
    let depth_for = |counts: &HashMap<u32, usize>| {
        let mut owner: HashMap<u32, Vec<usize>> = HashMap::new();
        for j in 0..k {
            if !augment(j, &sets, counts, &mut owner, &mut Vec::new()) {
                return j;
            }
        }
        k
    };
    // Slide a window over the customer's events, counting step values inside it.
    let mut counts: HashMap<u32, usize> = HashMap::new();
    let mut best = 0;
    let mut left = rows.start;
    for right in rows.clone() {
        *counts.entry(column.code(right)).or_insert(0) += 1;
        while table.ts.at(right).saturating_sub(table.ts.at(left)) > window {
            if let Some(n) = counts.get_mut(&column.code(left)) {
                *n -= 1;
            }
            left += 1;
        }
        best = best.max(depth_for(&counts));
        if best == k {
            break;
        }
    }
    best
}

/// The median and 90th [`percentile`](super::sort::percentile) of unsorted microseconds (reordered, in linear time), in
/// seconds.
fn median_and_p90_seconds(values: &mut [i64]) -> [f64; 2] {
    percentiles(values, [0.5, 0.9]).map(|v| v as f64 / 1e6)
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The result rows; `open` gives the open funnel's drop-offs and entries per step.
fn result(
    query: &FunnelQuery,
    total: u64,
    reached: &[u64],
    present: &[bool],
    optional: &[bool],
    open: Option<(&[u64], &[u64])>,
) -> FunnelResult {
    let steps = query
        .steps
        .iter()
        .enumerate()
        .map(|(j, label)| {
            // The previous step is the nearest earlier required one (step 1 is always required).
            let prev = reached[(0..j).rev().find(|&i| !optional[i]).unwrap_or(0)];
            StepResult {
                label: label.clone(),
                customers: reached[j],
                pct_of_first: if j == 0 { 100.0 } else { pct(reached[j], reached[0]) },
                pct_of_previous: if j == 0 { 100.0 } else { pct(reached[j], prev) },
                dropoff: match open {
                    Some((dropoff, _)) => dropoff[j],
                    None => prev.saturating_sub(reached[j]),
                },
                present: present[j],
                median_from_previous_s: None,
                p90_from_previous_s: None,
                median_from_first_s: None,
                p90_from_first_s: None,
                optional: optional[j],
                entries: open.map(|(_, e)| e[j]),
            }
        })
        .collect();
    FunnelResult {
        by: query.by.clone(),
        order: query.order,
        window: query.window.map(|w| w.to_string()),
        total_customers: total,
        steps,
        open: query.open,
        time_to_convert: Vec::new(),
        time_to_convert_step: None,
        time_to_convert_from: None,
        trend: None,
        over_time: Vec::new(),
        breakdown: None,
        segments: Vec::new(),
        count: query.count,
        session_gap: (query.count == Count::Sessions)
            .then(|| query.session_gap.unwrap_or(DEFAULT_SESSION_GAP).to_string()),
        sessions: None,
        session_source: None,
        revenue_last_step: None,
        insight: None,
        exclusions: if query.order == Order::Ordered {
            query.valid_exclusions().cloned().collect()
        } else {
            Vec::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::TimeUnit;

    use crate::core::table::table_of as table;

    fn counts(t: &EventTable, steps: &[&str], window: Option<Duration>) -> Vec<u64> {
        let q = FunnelQuery { steps: steps.iter().map(|s| s.to_string()).collect(), window, ..Default::default() };
        compute(t, &q).unwrap().steps.iter().map(|s| s.customers).collect()
    }

    fn secs(n: u32) -> Option<Duration> {
        Some(Duration { amount: n, unit: TimeUnit::Second })
    }

    #[test]
    fn ordered_with_gaps_and_wrong_order() {
        let t = table(&[
            ("a", 1, "view"),
            ("a", 2, "other"),
            ("a", 3, "cart"),
            ("a", 4, "buy"),
            ("b", 1, "cart"),
            ("b", 2, "view"), // cart before view: step 1 only
            ("c", 5, "view"),
            ("c", 6, "buy"), // skips cart
            ("d", 1, "other"),
        ]);
        assert_eq!(counts(&t, &["view", "cart", "buy"], None), vec![3, 1, 1]);
    }

    #[test]
    fn window_picks_the_start_that_goes_furthest() {
        // The first view is too early for the window, the second one is not.
        let t = table(&[("a", 0, "view"), ("a", 100, "view"), ("a", 105, "cart"), ("a", 200, "buy")]);
        assert_eq!(counts(&t, &["view", "cart", "buy"], secs(10)), vec![1, 1, 0]);
        assert_eq!(counts(&t, &["view", "cart", "buy"], secs(100)), vec![1, 1, 1]);
        // Boundary: exactly W counts, W + 1 does not.
        let t = table(&[("a", 0, "view"), ("a", 10, "cart")]);
        assert_eq!(counts(&t, &["view", "cart"], secs(10)), vec![1, 1]);
        assert_eq!(counts(&t, &["view", "cart"], secs(9)), vec![1, 0]);
    }

    #[test]
    fn ties_keep_file_order_and_repeated_steps_need_distinct_events() {
        // Same timestamp: file order decides (cart then view → view is not before cart).
        let t = table(&[("a", 5, "cart"), ("a", 5, "view")]);
        assert_eq!(counts(&t, &["view", "cart"], None), vec![1, 0]);
        let t = table(&[("a", 5, "view"), ("a", 5, "cart")]);
        assert_eq!(counts(&t, &["view", "cart"], secs(1)), vec![1, 1]);
        // A step repeated needs two occurrences.
        let t = table(&[("a", 1, "view"), ("b", 1, "view"), ("b", 2, "view")]);
        assert_eq!(counts(&t, &["view", "view"], None), vec![2, 1]);
    }

    #[test]
    fn unsorted_input_is_ordered_by_time() {
        let t = table(&[("a", 30, "buy"), ("a", 10, "view"), ("a", 20, "cart")]);
        assert_eq!(counts(&t, &["view", "cart", "buy"], None), vec![1, 1, 1]);
    }

    #[test]
    fn percentages_and_dropoff() {
        let t = table(&[("a", 1, "x"), ("a", 2, "y"), ("b", 1, "x"), ("c", 1, "x"), ("d", 1, "x"), ("d", 2, "y")]);
        let q = FunnelQuery { steps: vec!["x".into(), "y".into(), "zzz".into()], ..Default::default() };
        let r = compute(&t, &q).unwrap();
        assert_eq!(r.total_customers, 4);
        assert_eq!((r.steps[1].customers, r.steps[1].pct_of_first, r.steps[1].dropoff), (2, 50.0, 2));
        assert_eq!((r.steps[2].customers, r.steps[2].pct_of_previous, r.steps[2].present), (0, 0.0, false));
    }

    #[test]
    fn time_between_steps() {
        // a: view 0, cart 10, buy 40;  b: view 0, view 100, cart 130 (the later view is the start);
        // c: view 0, cart 50, buy 60.  From previous (cart): a 10, b 30, c 50 → median 30, p90 50;
        // buy: a 30, c 10 → median 10, p90 30; from first at buy: a 40, c 60 → 40, 60.
        let t = table(&[
            ("a", 0, "view"),
            ("a", 10, "cart"),
            ("a", 40, "buy"),
            ("b", 0, "view"),
            ("b", 100, "view"),
            ("b", 130, "cart"),
            ("c", 0, "view"),
            ("c", 50, "cart"),
            ("c", 60, "buy"),
        ]);
        let q = FunnelQuery { steps: vec!["view".into(), "cart".into(), "buy".into()], ..Default::default() };
        let r = compute(&t, &q).unwrap();
        let stats = |i: usize| {
            let s = &r.steps[i];
            (s.median_from_previous_s, s.p90_from_previous_s, s.median_from_first_s, s.p90_from_first_s)
        };
        assert_eq!(stats(0), (None, None, None, None));
        assert_eq!(stats(1), (Some(30.0), Some(50.0), Some(30.0), Some(50.0)));
        assert_eq!(stats(2), (Some(10.0), Some(30.0), Some(40.0), Some(60.0)));
        // A window picks the start that converts: b's first view is 130 s before its cart.
        let w = FunnelQuery { window: Some(Duration { amount: 35, unit: TimeUnit::Second }), ..q };
        assert_eq!(compute(&t, &w).unwrap().steps[1].median_from_previous_s, Some(10.0));
    }

    #[test]
    fn default_steps_prefer_the_commerce_path() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(default_steps(&v(&["purchase", "x", "site_visit", "y"])), v(&["site_visit", "purchase"]));
        assert_eq!(default_steps(&v(&["a", "b", "purchase", "c"])), v(&["a", "b", "purchase"]));
        assert_eq!(default_steps(&v(&["a"])), v(&["a"]));
    }

    #[test]
    fn channel_needs_a_channel_column() {
        let t = table(&[("a", 1, "x")]);
        let q = FunnelQuery { by: Dimension::Channel, steps: vec!["email".into()], ..Default::default() };
        assert_eq!(compute(&t, &q), Err(FunnelError::NoChannelColumn));
    }

    /// The per-event step lists' scan ([`chain_scan`], as every ordered run used before the bit
    /// sets): per unit the depth, the traced chain and the times between steps.
    fn reference_run(t: &EventTable, units: &[Range<usize>], labels: &[&str], window: i64) -> Run {
        let k = labels.len();
        let st = StepTable::new(&t.event, labels);
        let ident: Vec<usize> = (0..k).collect();
        let (mut start, mut scratch) = (vec![NONE; k], vec![0u32; k * k]);
        let mut run = Run {
            depths: Vec::new(),
            gaps: vec![(Vec::new(), Vec::new()); k],
            chains: vec![u32::MAX; units.len() * k],
        };
        for (c, rows) in units.iter().enumerate() {
            let d = chain_scan(
                t,
                &t.event,
                &st,
                &ident,
                rows.clone(),
                &mut start,
                &mut scratch,
                window,
                window == i64::MAX,
            );
            run.depths.push(d as u32);
            if d > 0 {
                run.chains[c * k..c * k + d].copy_from_slice(&scratch[(d - 1) * k..(d - 1) * k + d]);
            }
            let times: Vec<i64> = run.chains[c * k..c * k + d].iter().map(|&r| t.ts.at(r as usize)).collect();
            for j in 1..times.len() {
                run.gaps[j].0.push(times[j] - times[j - 1]);
                run.gaps[j].1.push(times[j] - times[0]);
            }
        }
        run
    }

    #[test]
    fn bit_set_scan_matches_the_step_list_scan_on_random_tables() {
        let mut rng = crate::core::test_rng::XorShift(0x9e37_79b9_7f4a_7c15);
        let mut below = |n: u64| rng.below(n);
        let names = ["a", "b", "c", "d", "e"];
        let specs = ["a", "b", "c", "d", "a|b", "c|d|e", "contains:a", "zz"];
        for _ in 0..3000 {
            let rows: Vec<(String, i64, &str)> = (0..below(40))
                .map(|_| (format!("c{}", below(5)), below(12) as i64, names[below(5) as usize]))
                .collect();
            let refs: Vec<(&str, i64, &str)> = rows.iter().map(|(c, s, e)| (c.as_str(), *s, *e)).collect();
            let t = table(&refs);
            let labels: Vec<&str> = (0..1 + below(6)).map(|_| specs[below(specs.len() as u64) as usize]).collect();
            let window = [i64::MAX, 0, 2_000_000, 5_000_000][below(4) as usize];
            let units: Vec<Range<usize>> = (0..t.customer_count()).map(|c| t.rows_of(c)).collect();
            let masks = StepMasks::new(&t.event, &labels).expect("few steps");
            let fast = masked_run(&t, &units, &t.event, &masks, labels.len(), window, None);
            let slow = reference_run(&t, &units, &labels, window);
            let what = format!("{refs:?} {labels:?} window {window}");
            assert_eq!(fast.depths, slow.depths, "{what}");
            assert_eq!(fast.chains, slow.chains, "{what}");
            assert_eq!(fast.gaps, slow.gaps, "{what}");
            // Over the rows of an index of the steps: the same run for the customers it lists,
            // and nothing reached by the others.
            let q = FunnelQuery { steps: labels.iter().map(|l| l.to_string()).collect(), ..Default::default() };
            let index = FunnelIndex::new(&t, &q).unwrap();
            let indexed = masked_run(&t, &units, &t.event, &masks, labels.len(), window, Some(&index));
            let k = labels.len();
            let (mut depths, mut chains) = (vec![0u32; units.len()], vec![u32::MAX; units.len() * k]);
            for (i, &c) in index.customers.iter().enumerate() {
                depths[c as usize] = indexed.depths[i];
                chains[c as usize * k..][..k].copy_from_slice(&indexed.chains[i * k..][..k]);
            }
            assert_eq!(depths, slow.depths, "{what}");
            assert_eq!(chains, slow.chains, "{what}");
            assert_eq!(indexed.gaps, slow.gaps, "{what}");
        }
    }

    #[test]
    fn median_and_p90_are_the_nearest_ranks_of_the_sorted_values() {
        let mut seed = 7u64;
        for len in 1..200 {
            let values: Vec<i64> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    (seed >> 40) as i64 % 50
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let want = [0.5, 0.9].map(|q| crate::core::sort::percentile(&sorted, q) as f64 / 1e6);
            assert_eq!(median_and_p90_seconds(&mut values.clone()), want, "{values:?}");
        }
    }
}
