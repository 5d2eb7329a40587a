//! Cross-channel paths: each customer's sequence of touches, as a Sankey graph over
//! the first steps and as a table of path variants.
//!
//! A customer's path is the time-ordered sequence of their event (or channel) values,
//! with consecutive repeats collapsed into one step by default, optionally starting at
//! their first occurrence of an anchor value. Sankey nodes are (step, value) pairs, so
//! a channel revisited later is a new node and loops never break the layout. Per step
//! the most frequent values are shown and the rest grouped as "other"; a path that ends
//! before the last step flows into an explicit "journey ended" node at the next step.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use serde::{Deserialize, Serialize};

use super::funnel::{Dimension, FunnelError};
use super::hot::chunked;
use super::packed::{with_codes, with_times, TimeAt};
use super::sankey::{self, LinkIn, NodeIn, Settings};
use super::session::SessionSource;
use super::sort::{percentiles, sort_by};
use super::table::{Column, EventTable, FxHasher};
use super::time::{Duration, TimeUnit};

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The label of grouped rare values.
pub const OTHER: &str = "other";
/// The label of the sink a path flows into when it ends.
pub const ENDED: &str = "(journey ended)";
/// With backward paths: the label of the source a path flows out of where it starts.
pub const STARTED: &str = "(journey started)";

/// What to compute (URL keys in README, "Share links").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathQuery {
    pub by: Dimension,
    /// Steps shown in the Sankey.
    pub steps: usize,
    /// Collapse consecutive repeats of a value into one step.
    pub collapse: bool,
    /// Start each path at the customer's first occurrence of this value.
    pub from: Option<String>,
    /// Values shown per step before the rest are grouped as "other".
    pub top: usize,
    /// The event that counts as a conversion, for the variants' conversion rate.
    pub conversion: Option<String>,
    /// End each path at the first occurrence of this value after its start (customers who
    /// never reach it are left out).
    pub to: Option<String>,
    /// Values removed from the paths before anything else.
    pub hide: Vec<String>,
    /// Only customers who did (`Some(true)`) or did not (`Some(false)`) the conversion event.
    pub converted: Option<bool>,
    /// What one path is: a customer's whole history, a session, or a journey to a conversion.
    pub grain: Grain,
    /// The inactivity gap that ends a session (with [`Grain::Session`]).
    pub session_gap: Duration,
    /// Sessions from the data's session column (the default, when it has one) or the gap.
    #[serde(default)]
    pub sessions: SessionSource,
    /// Rewrite rules, applied first: a value matching a rule's pattern becomes its name (the
    /// first matching rule wins).
    pub rewrite: Vec<Rule>,
    /// Values merged into one, after the rewrite rules.
    pub merge: Vec<Merge>,
    /// At each Sankey step, values held by fewer than this share of the paths are "other", in
    /// hundredths of a percent (`100` = 1 %; `0`: no threshold).
    pub min_share: u32,
    /// Forward from the start (step 1 is the first touch) or backward from the end (step 1 is
    /// the last touch, at `to` when set).
    pub direction: Direction,
    /// Only events on or after this day (days since 1970-01-01, UTC); the rest are dropped
    /// before the paths are built.
    pub since: Option<i64>,
    /// Only events on or before this day (inclusive, UTC).
    pub until: Option<i64>,
    /// Only customers who touched this (cleaned) value within the dates.
    pub touched: Option<String>,
    /// Steps are the dimension's value combined with the event, labelled `channel · event`
    /// (URL `by=channel_event`); without effect when the dimension is the event.
    pub with_event: bool,
}

/// The separator of combined labels.
pub const COMBINED: &str = " · ";

/// The column whose values are the steps: the dimension's, or (`with_event`) its values
/// combined with the event's, `email · open`, codes in order of first appearance.
fn step_column<'a>(table: &'a EventTable, q: &PathQuery) -> Result<Cow<'a, Column>, FunnelError> {
    let column = q.by.column_or_error(table)?;
    if !q.with_event || q.by == Dimension::Event {
        return Ok(Cow::Borrowed(column));
    }
    let mut index: FxMap<(u32, u32), u32> = FxMap::default();
    let mut values: Vec<String> = Vec::new();
    let mut codes = Vec::with_capacity(column.codes.len());
    chunked(column.codes.len(), |r| {
        let (c, e) = (column.code(r), table.event.code(r));
        codes.push(*index.entry((c, e)).or_insert_with(|| {
            values.push(format!("{}{COMBINED}{}", column.values[c as usize], table.event.values[e as usize]));
            values.len() as u32 - 1
        }));
    });
    Ok(Cow::Owned(Column { values, codes: codes.into() }))
}

/// Reads a `YYYY-MM-DD` date as days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = super::time::days_from_civil(y, m, d);
    // 2024-02-30 would roll over into March: refuse it.
    (super::time::civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Writes days since 1970-01-01 as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = super::time::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

const DAY_MICROS: i64 = 86_400 * 1_000_000;

/// Which end of the paths the Sankey's steps count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Forward,
    Backward,
}

impl Direction {
    pub fn key(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Backward => "backward",
        }
    }

    pub fn from_key(k: &str) -> Option<Direction> {
        [Direction::Forward, Direction::Backward].into_iter().find(|d| d.key() == k)
    }
}

/// A rewrite rule: values matching `pattern` become `to`. In the pattern, `*` stands for any
/// run of characters (none included); every other character matches itself, and the pattern
/// must match the whole value: `/product/*` matches `/product/42` but not `/products`. A pattern
/// starting with `re:` is a regular expression instead: every match in the value is replaced by
/// `to` (`re:/product/\d+` → `/product/:id`), `$1` naming a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub pattern: String,
    pub to: String,
}

/// Values shown as one: each of `values` becomes `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merge {
    pub values: Vec<String>,
    pub name: String,
}

/// Whether `value` matches a pattern where `*` is any run of characters.
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    // Greedy with backtracking to the last star: linear in practice, never exponential.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < v.len() {
        if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == v[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// The values after cleaning: each raw code's cleaned code and label, and whether it is hidden.
struct Cleaned {
    labels: Vec<String>,
    /// Cleaned code per raw code.
    map: Vec<u32>,
    /// Per raw code: hidden (its raw or cleaned value is in `hide`).
    hidden: Vec<bool>,
}

/// A rewrite rule ready to apply: a `re:` pattern is a regular expression whose every match in
/// the value is replaced by `to` (`$1`, `${name}` name its groups); any other pattern a wildcard
/// over the whole value, which then becomes `to`.
enum Rewrite<'q> {
    Wildcard(&'q Rule),
    Regex(regex_lite::Regex, &'q str),
}

impl<'q> Rewrite<'q> {
    /// The rules of a query; an invalid regular expression is an error naming it.
    fn compile(rules: &'q [Rule]) -> Result<Vec<Rewrite<'q>>, FunnelError> {
        rules
            .iter()
            .map(|r| match r.pattern.strip_prefix("re:") {
                Some(re) => regex_lite::Regex::new(re).map(|re| Rewrite::Regex(re, &r.to)).map_err(|e| {
                    let reason = e.to_string();
                    let reason = reason.lines().last().unwrap_or(&reason).trim().to_string();
                    FunnelError::BadRule { pattern: r.pattern.clone(), reason }
                }),
                None => Ok(Rewrite::Wildcard(r)),
            })
            .collect()
    }

    /// The rewritten value, when the rule applies.
    fn apply<'v>(&self, value: &'v str) -> Option<std::borrow::Cow<'v, str>> {
        match self {
            Rewrite::Wildcard(r) => wildcard_match(&r.pattern, value).then(|| r.to.clone().into()),
            Rewrite::Regex(re, to) => re.is_match(value).then(|| re.replace_all(value, *to)),
        }
    }
}

impl Cleaned {
    fn new(column: &super::table::Column, q: &PathQuery) -> Result<Cleaned, FunnelError> {
        let rewrite = Rewrite::compile(&q.rewrite)?;
        let mut labels: Vec<String> = Vec::new();
        let mut index: FxMap<String, u32> = FxMap::default();
        let mut map = Vec::with_capacity(column.values.len());
        let mut hidden = Vec::with_capacity(column.values.len());
        for raw in &column.values {
            let rewritten = rewrite.iter().find_map(|r| r.apply(raw));
            let mut v = rewritten.as_deref().unwrap_or(raw.as_str());
            if let Some(m) = q.merge.iter().find(|m| m.values.iter().any(|x| x == v || x == raw)) {
                v = &m.name;
            }
            hidden.push(q.hide.iter().any(|h| h == raw || h == v));
            let code = *index.entry(v.to_string()).or_insert_with(|| {
                labels.push(v.to_string());
                labels.len() as u32 - 1
            });
            map.push(code);
        }
        Ok(Cleaned { labels, map, hidden })
    }

    fn code_of(&self, label: &str) -> Option<u32> {
        self.labels.iter().position(|l| l == label).map(|i| i as u32)
    }
}

/// What one path covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    /// All of a customer's touches.
    #[default]
    Customer,
    /// A session: from the session column (a customer and a session id), or touches with no
    /// gap longer than the session gap between them.
    Session,
    /// Touches up to and including a conversion; the touches after it start the next journey.
    Conversion,
}

impl Grain {
    pub fn key(self) -> &'static str {
        match self {
            Grain::Customer => "customer",
            Grain::Session => "session",
            Grain::Conversion => "conversion",
        }
    }

    pub fn from_key(k: &str) -> Option<Grain> {
        [Grain::Customer, Grain::Session, Grain::Conversion].into_iter().find(|g| g.key() == k)
    }
}

impl Default for PathQuery {
    fn default() -> Self {
        PathQuery {
            by: Dimension::Channel,
            steps: 6,
            collapse: true,
            from: None,
            top: 8,
            conversion: None,
            to: None,
            hide: Vec::new(),
            converted: None,
            grain: Grain::Customer,
            session_gap: Duration { amount: 30, unit: TimeUnit::Minute },
            sessions: SessionSource::Column,
            rewrite: Vec::new(),
            merge: Vec::new(),
            min_share: 0,
            direction: Direction::Forward,
            since: None,
            until: None,
            touched: None,
            with_event: false,
        }
    }
}

/// A Sankey node with its place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathNode {
    pub step: usize,
    pub label: String,
    pub customers: u64,
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
    /// The links (indices, ascending) of the paths through this node, for highlighting.
    pub through: Vec<usize>,
}

/// A Sankey link with its ribbon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathLink {
    pub source: usize,
    pub target: usize,
    pub customers: u64,
    pub width: f64,
    /// SVG path of the ribbon's centre line.
    pub d: String,
    /// The links (indices, ascending) of the paths through this link, itself included.
    pub through: Vec<usize>,
}

/// One distinct path (after collapsing) and how many customers took it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub path: Vec<String>,
    pub customers: u64,
    pub pct_of_total: f64,
    /// Customers on this path who did the conversion event (any time), in percent; `None`
    /// without a conversion event.
    pub conversion_pct: Option<f64>,
    /// Revenue of those customers' events from the path's start; `None` without revenue.
    pub revenue: Option<f64>,
    /// Median time from the path's first to its last touch, in seconds.
    pub median_duration_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathResult {
    pub by: Dimension,
    pub grain: Grain,
    /// With [`Direction::Backward`], a node's `step` counts back from the path's end (0: the
    /// last touch), the columns run right to left, links point forward in time (from the
    /// earlier step to the later) and short paths flow out of a "(journey started)" source.
    pub direction: Direction,
    /// With `grain` session: where the sessions came from (`column` or `gap`).
    #[serde(default)]
    pub session_source: Option<SessionSource>,
    /// Journeys considered: customers, sessions or conversion journeys (see `grain`).
    pub total_customers: u64,
    /// Journeys with a path (all, or those that meet the anchors and filters).
    pub customers_in_paths: u64,
    pub nodes: Vec<PathNode>,
    pub links: Vec<PathLink>,
    /// Paths that pass through "other" at one of the steps shown or more (grouped values are
    /// never silently lost: the UI always shows this share).
    pub other_customers: u64,
    /// The most frequent variants, most customers first (ties by path).
    pub variants: Vec<Variant>,
    pub distinct_variants: u64,
    /// Customers whose variant is not among those listed.
    pub rest_customers: u64,
    pub width: f64,
    pub height: f64,
    /// The directly-follows graph of the same paths.
    pub transitions: TransitionGraph,
}

/// Variants listed in the result.
pub const TOP_VARIANTS: usize = 500;

impl PathResult {
    /// Takes the highlight lists (`through`) out of every node and link, packed as bitsets over
    /// the links: per node, then per link, `links.len().div_ceil(8)` bytes, bit `l % 8` of byte
    /// `l / 8` set when link `l` is in the list. Between the worker and the page this crosses as
    /// one byte array instead of a number per entry (over 100,000 at 8 steps of 1M events).
    pub fn take_through(&mut self) -> Vec<u8> {
        let per = self.links.len().div_ceil(8);
        let mut out = Vec::with_capacity(per * (self.nodes.len() + self.links.len()));
        let lists = self.nodes.iter_mut().map(|n| &mut n.through).chain(self.links.iter_mut().map(|l| &mut l.through));
        for list in lists {
            let at = out.len();
            out.resize(at + per, 0u8);
            for &l in std::mem::take(list).iter() {
                out[at + l / 8] |= 1 << (l % 8);
            }
        }
        out
    }

    /// Puts back the lists [`take_through`](Self::take_through) packed (ascending, as computed).
    pub fn restore_through(&mut self, packed: &[u8]) {
        let per = self.links.len().div_ceil(8);
        let lists = self.nodes.iter_mut().map(|n| &mut n.through).chain(self.links.iter_mut().map(|l| &mut l.through));
        for (list, bits) in lists.zip(packed.chunks(per.max(1))) {
            list.clear();
            for (k, &b) in bits.iter().enumerate() {
                let mut b = b;
                while b != 0 {
                    list.push(k * 8 + b.trailing_zeros() as usize);
                    b &= b - 1;
                }
            }
        }
    }
}

/// One directly-follows edge: customers' consecutive touches `from` → `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub from: usize,
    pub to: usize,
    /// Times it happened (a customer may take an edge several times).
    pub count: u64,
    /// `count` as a share of all transitions out of `from`, in percent.
    pub pct_of_from: f64,
    /// Median and 90th percentile of the time between the two touches, in seconds
    /// (nearest-rank percentiles).
    pub median_s: f64,
    pub p90_s: f64,
}

/// The directly-follows graph over the most frequent values (the rest as "other").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionGraph {
    pub values: Vec<String>,
    /// Paths starting and ending at each value.
    pub starts: Vec<u64>,
    pub ends: Vec<u64>,
    /// Edges, most frequent first.
    pub edges: Vec<Transition>,
    /// The graph drawn: values on a circle, edges as arcs (in the order of `edges`).
    pub layout: super::graph_layout::GraphLayout,
}

/// The directly-follows graph of the customers' paths (same cleaning as the Sankey).
pub fn transitions(table: &EventTable, q: &PathQuery) -> Result<TransitionGraph, FunnelError> {
    let column = step_column(table, q)?;
    let column = column.as_ref();
    let cl = Cleaned::new(column, q)?;
    let paths = customer_paths(table, column, &cl, q);
    let variants = Variants::of(&paths, cl.labels.len());
    Ok(transition_graph(column, &cl, &paths, &variants, q.top))
}

/// The graph over the `top` most frequent values, the rest as "other".
fn transition_graph(
    column: &super::table::Column,
    cl: &Cleaned,
    paths: &Paths,
    variants: &Variants,
    top: usize,
) -> TransitionGraph {
    // The most frequent (cleaned) values overall keep their name; the rest are "other".
    let mut counts = vec![0u64; cl.labels.len()];
    for (raw, n) in column.counts().into_iter().enumerate() {
        if !cl.hidden[raw] {
            counts[cl.map[raw] as usize] += n;
        }
    }
    let mut order: Vec<usize> = (0..counts.len()).filter(|&v| counts[v] > 0).collect();
    sort_by(&mut order, &|&a, &b| counts[b].cmp(&counts[a]).then_with(|| cl.labels[a].cmp(&cl.labels[b])));
    let top = top.max(1);
    let mut slot = vec![usize::MAX; counts.len()];
    let mut values: Vec<String> = Vec::new();
    for &v in order.iter().take(top) {
        slot[v] = values.len();
        values.push(cl.labels[v].clone());
    }
    if order.len() > top {
        values.push(OTHER.to_string());
        for &v in order.iter().skip(top) {
            slot[v] = values.len() - 1;
        }
    }
    let n = values.len();
    let mut starts = vec![0u64; n];
    let mut ends = vec![0u64; n];
    // Per edge `from * n + to`: the times it took (its count is their number), one flat list
    // in order of edge: counted first (over the distinct variants, each weighted by its paths),
    // then placed (over the paths, which hold the times).
    let edge_count = n * n;
    let mut count = vec![0usize; edge_count];
    chunked(variants.len(), |v| {
        let (p, w) = (variants.path(v), variants.weight[v]);
        let mut from = slot[p[0] as usize];
        starts[from] += w;
        for &code in &p[1..] {
            let to = slot[code as usize];
            count[from * n + to] += w as usize;
            from = to;
        }
        ends[from] += w;
    });
    let mut at: Vec<usize> = Vec::with_capacity(edge_count + 1);
    at.push(0);
    for &c in &count {
        at.push(at[at.len() - 1] + c);
    }
    let mut times = vec![0u32; at[edge_count]];
    let mut fill = at[..edge_count].to_vec();
    chunked(paths.len(), |i| {
        let span = paths.span(i);
        let mut from = slot[paths.codes[span.start] as usize];
        for (&code, &gap) in paths.codes[span.start + 1..span.end].iter().zip(&paths.gap_s[span.start + 1..span.end]) {
            let to = slot[code as usize];
            let e = from * n + to;
            times[fill[e]] = gap;
            fill[e] += 1;
            from = to;
        }
    });
    let mut out_total = vec![0u64; n];
    for e in 0..edge_count {
        out_total[e / n] += count[e] as u64;
    }
    let mut edges: Vec<Transition> = (0..edge_count)
        .filter(|&e| count[e] > 0)
        .map(|e| {
            let (from, to) = (e / n, e % n);
            let [median, p90] = percentiles(&mut times[at[e]..at[e + 1]], [0.5, 0.9]);
            Transition {
                from,
                to,
                count: count[e] as u64,
                pct_of_from: count[e] as f64 * 100.0 / out_total[from] as f64,
                median_s: f64::from(median),
                p90_s: f64::from(p90),
            }
        })
        .collect();
    sort_by(&mut edges, &|a, b| b.count.cmp(&a.count).then(a.from.cmp(&b.from)).then(a.to.cmp(&b.to)));
    let shape: Vec<(usize, usize, u64)> = edges.iter().map(|e| (e.from, e.to, e.count)).collect();
    let layout = super::graph_layout::circular(values.len(), &shape);
    TransitionGraph { values, starts, ends, edges, layout }
}

/// The customers' paths as value codes, all in one buffer: path `i` is
/// `codes[offsets[i]..offsets[i + 1]]`. Only the times later figures need are kept: per step
/// the gap before it (for the transitions) and per path its duration (for the variants), which
/// is 8 bytes a step rather than the 16 of each run's first and last time.
struct Paths {
    codes: Vec<u32>,
    /// Per step: whole seconds from the last touch of the previous step's run to the first
    /// touch of this one (`0` at a path's first step). Whole seconds are all the transitions
    /// report, and truncating keeps the order, so it commutes with their percentiles.
    gap_s: Vec<u32>,
    offsets: Vec<usize>,
    /// Per path: its customer and the rows it covers (row indices fit in `u32`, as the table's
    /// offsets).
    origin: Vec<(u32, std::ops::Range<u32>)>,
    /// Per path: microseconds from its first touch to its last.
    duration: Vec<i64>,
    /// Journeys considered (customers, sessions or conversion journeys), with a path or not.
    journeys: u64,
}

impl Paths {
    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn span(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i]..self.offsets[i + 1]
    }
}

/// A customer's rows within the query's dates (rows are in time order per customer, so they
/// are one range).
#[inline]
fn dated_rows(table: &EventTable, c: usize, q: &PathQuery) -> std::ops::Range<usize> {
    let rows = table.rows_of(c);
    if q.since.is_none() && q.until.is_none() {
        return rows;
    }
    let ts = table.ts.slice(rows.clone());
    let lo = q.since.map_or(0, |d| ts.first_at_least(d.saturating_mul(DAY_MICROS)));
    let hi = q.until.map_or(ts.len(), |d| ts.first_at_least((d + 1).saturating_mul(DAY_MICROS)));
    rows.start + lo..rows.start + hi.max(lo)
}

/// The row ranges that are one journey each, with their customer (customers without events
/// within the dates have none).
fn journeys(table: &EventTable, q: &PathQuery, conv: Option<u32>) -> Vec<(usize, std::ops::Range<usize>)> {
    let grain = q.grain;
    let mut sessions = super::session::Sessions::new(table, q.sessions, q.session_gap.micros());
    let mut out = Vec::with_capacity(table.customer_count());
    chunked(table.customer_count(), |c| {
        let rows = dated_rows(table, c, q);
        if grain == Grain::Session {
            sessions.split(rows, |s| out.push((c, s)));
            return;
        }
        if grain == Grain::Customer {
            // The whole history is one journey: no row needs looking at.
            if !rows.is_empty() {
                out.push((c, rows));
            }
            return;
        }
        let mut start = rows.start;
        for r in rows.clone() {
            if grain == Grain::Conversion && conv == Some(table.event.code(r)) {
                out.push((c, start..r + 1));
                start = r + 1;
            }
        }
        if start < rows.end {
            out.push((c, start..rows.end));
        }
    });
    out
}

/// Extracts every journey's path by the query's rules: filter by conversion, start at
/// `from`, drop hidden values, collapse repeats, end at `to`.
fn customer_paths(table: &EventTable, column: &super::table::Column, cl: &Cleaned, q: &PathQuery) -> Paths {
    let codes = &column.codes;
    let mut out = Paths {
        codes: Vec::new(),
        gap_s: Vec::new(),
        offsets: vec![0],
        origin: Vec::new(),
        duration: Vec::new(),
        journeys: 0,
    };
    // A named value absent from the data matches nothing, so no customer has a path.
    let lookup = |v: &Option<String>| v.as_ref().map(|v| cl.code_of(v));
    let (from, to, touched) = (lookup(&q.from), lookup(&q.to), lookup(&q.touched));
    if matches!(from, Some(None)) || matches!(to, Some(None)) || matches!(touched, Some(None)) {
        out.journeys = journeys(table, q, None).len() as u64;
        return out;
    }
    let conv = q.conversion.as_ref().and_then(|c| table.event.code_of(c));
    // Per raw code: its cleaned code, or `HIDDEN`.
    let any_hidden = cl.hidden.iter().any(|&h| h);
    let step_code: Vec<u32> =
        cl.map.iter().zip(&cl.hidden).map(|(&v, &hidden)| if hidden { HIDDEN } else { v }).collect();
    let to_code = to.flatten();
    let collapse = q.collapse;
    // At most a step per row: reserving that bound once costs no more memory than the doublings
    // growth would reach (pages never written are never touched), and saves their copies.
    let mut step_codes: Vec<u32> = Vec::with_capacity(codes.len());
    let mut gaps: Vec<u32> = Vec::with_capacity(codes.len());
    // Steps written (the two buffers above are zeroed ahead of it).
    let mut len = 0usize;
    // A customer's rows within the dates are its one journey: no list of journeys is made.
    let all = (q.grain != Grain::Customer).then(|| journeys(table, q, conv));
    let bound = all.as_ref().map_or(table.customer_count(), Vec::len);
    let (offsets, origin, duration) = (&mut out.offsets, &mut out.origin, &mut out.duration);
    offsets.reserve_exact(bound);
    origin.reserve_exact(bound);
    duration.reserve_exact(bound);
    // Whether the customer touched the `touched` value within the dates (journeys of a customer
    // come together, so one answer is kept).
    let mut touch_memo: (usize, bool) = (usize::MAX, false);
    // Takes one journey's path, if it has one.
    let mut take = |c: usize, rows: std::ops::Range<usize>| {
        if let Some(want) = touched.flatten() {
            if touch_memo.0 != c {
                touch_memo = (c, dated_rows(table, c, q).any(|r| cl.map[codes.get(r) as usize] == want));
            }
            if !touch_memo.1 {
                return;
            }
        }
        if let Some(want) = q.converted {
            let did = conv.is_some_and(|code| rows.clone().any(|r| table.event.code(r) == code));
            if did != want {
                return;
            }
        }
        let start = match from.flatten() {
            None => rows.start,
            Some(a) => {
                match rows.clone().find(|&r| cl.map[codes.get(r) as usize] == a && !cl.hidden[codes.get(r) as usize]) {
                    Some(r) => r,
                    None => return,
                }
            }
        };
        let span = start..rows.end;
        // Room for a step per row (within the bound reserved, zeroed a block at a time).
        if step_codes.len() < len + span.len() {
            let grow = (step_codes.len() + (1 << 16)).min(step_codes.capacity()).max(len + span.len());
            step_codes.resize(grow, 0);
            gaps.resize(grow, 0);
        }
        let steps = with_codes!(&column.codes, |v| with_times!(table.ts.slice(span.clone()), |t| steps_of(
            &v[span.clone()],
            t,
            &step_code,
            StepRules { collapse, any_hidden, to_code },
            &mut step_codes[len..],
            &mut gaps[len..],
        )));
        let Some(steps) = steps else { return };
        len += steps.len;
        let end = span.start + steps.rows;
        offsets.push(len);
        origin.push((c as u32, start as u32..end as u32));
        duration.push(steps.duration);
    };
    let mut journeys = 0u64;
    match &all {
        None => chunked(table.customer_count(), |c| {
            let rows = dated_rows(table, c, q);
            if !rows.is_empty() {
                journeys += 1;
                take(c, rows);
            }
        }),
        Some(all) => {
            journeys = all.len() as u64;
            chunked(all.len(), |j| take(all[j].0, all[j].1.clone()));
        }
    }
    step_codes.truncate(len);
    gaps.truncate(len);
    out.journeys = journeys;
    out.codes = step_codes;
    out.gap_s = gaps;
    out
}

/// How [`steps_of`] turns rows into steps.
#[derive(Clone, Copy)]
struct StepRules {
    collapse: bool,
    /// Whether any value is hidden (`HIDDEN` in the step codes).
    any_hidden: bool,
    /// The value a path ends at (and must reach).
    to_code: Option<u32>,
}

/// A journey's path as [`steps_of`] wrote it.
struct Steps {
    /// Steps written.
    len: usize,
    /// Rows the path covers (from the first), up to and with the `to` value's.
    rows: usize,
    /// Microseconds from its first touch to its last.
    duration: i64,
}

/// Whole seconds in `us` microseconds (none below zero, at most `u32::MAX`), exactly as integer
/// division gives them but without one: wasm has no 64-bit multiply-high, so a division by a
/// constant stays a slow `i64.div_s`. The float estimate is off by at most one, then corrected.
#[inline]
fn whole_seconds(us: i64) -> u32 {
    let us = us.max(0) as u64;
    let q = (us as f64 * 1e-6) as u64;
    let q = q - u64::from(q * 1_000_000 > us);
    let q = q + u64::from((q + 1) * 1_000_000 <= us);
    q.min(u64::from(u32::MAX)) as u32
}

/// A step code that hides its row's value.
const HIDDEN: u32 = u32::MAX;

/// Writes the path of one journey's rows (`codes` and `ts`, in time order) into `out` and
/// `gaps` (each as long as the rows at least): per step its value, and the whole seconds from the
/// last touch of the step before (`0` at the first step). None when it has no step or does not
/// reach the `to` value. Repeats collapse without a branch (a repeat writes where the next step
/// will), so that values that change at random cost no mispredicted jumps.
#[inline]
fn steps_of<C: Copy + Into<u32>, T: TimeAt>(
    codes: &[C],
    ts: T,
    step_code: &[u32],
    rules: StepRules,
    out: &mut [u32],
    gaps: &mut [u32],
) -> Option<Steps> {
    let (mut len, mut last, mut first_t, mut last_t) = (0usize, HIDDEN, 0i64, 0i64);
    let mut rows = codes.len();
    let mut reached = rules.to_code.is_none();
    // As long as `codes` (so the loop needs no bounds check on it).
    assert!(ts.len() >= codes.len());
    for (r, &raw) in codes.iter().enumerate() {
        let t = ts.at(r);
        let v = step_code[raw.into() as usize];
        if rules.any_hidden && v == HIDDEN {
            continue;
        }
        if last == HIDDEN {
            first_t = t;
            last_t = t;
        }
        out[len] = v;
        gaps[len] = whole_seconds(t - last_t);
        len += usize::from(!rules.collapse || v != last);
        last = v;
        last_t = t;
        if rules.to_code == Some(v) {
            reached = true;
            rows = r + 1;
            break;
        }
    }
    (reached && len > 0).then_some(Steps { len, rows, duration: last_t - first_t })
}

/// Everything a paths request builds before its Sankey: the cleaned values, every journey's
/// path, the distinct variants, the variants listed and the transition graph. None of it
/// depends on the Sankey's shape (steps, values per step, share threshold, direction; the
/// transition graph depends on the values per step, and is made anew when they change), so the
/// worker keeps it for the loaded table and a change of shape only builds and lays out the
/// Sankey.
pub struct Prepared {
    /// The query with the Sankey's shape left out.
    key: PathQuery,
    /// The steps' column when it is made for the query (values combined with the event); else
    /// the table's own is used.
    combined: Option<Column>,
    cl: Cleaned,
    paths: Paths,
    variants: Variants,
    listed: Vec<Variant>,
    /// The transition graph, for `key.top` values.
    transitions: TransitionGraph,
}

impl Prepared {
    pub fn new(table: &EventTable, q: &PathQuery) -> Result<Prepared, FunnelError> {
        let column = step_column(table, q)?;
        let cl = Cleaned::new(column.as_ref(), q)?;
        let paths = customer_paths(table, column.as_ref(), &cl, q);
        // Distinct paths first: everything but the transitions' times and the listed variants'
        // figures depends only on a path's values, so it is computed once per variant, weighted
        // by its customers.
        let variants = Variants::of(&paths, cl.labels.len());
        let listed = list_variants(table, q, &cl, &paths, &variants);
        let transitions = transition_graph(column.as_ref(), &cl, &paths, &variants, q.top);
        let combined = match column {
            Cow::Owned(c) => Some(c),
            Cow::Borrowed(_) => None,
        };
        let key = PathQuery { steps: 0, min_share: 0, direction: Direction::Forward, ..q.clone() };
        Ok(Prepared { key, combined, cl, paths, variants, listed, transitions })
    }

    /// Whether `q` asks for the same paths (whatever the Sankey's shape).
    pub fn fits(&self, q: &PathQuery) -> bool {
        let shape = PathQuery { steps: 0, min_share: 0, direction: Direction::Forward, top: self.key.top, ..q.clone() };
        shape == self.key
    }
}

pub fn compute(table: &EventTable, q: &PathQuery) -> Result<PathResult, FunnelError> {
    compute_with(table, q, &Prepared::new(table, q)?)
}

/// The paths view from what [`Prepared`] built for the same paths ([`Prepared::fits`]); for
/// other paths, from scratch.
pub fn compute_with(table: &EventTable, q: &PathQuery, prepared: &Prepared) -> Result<PathResult, FunnelError> {
    if !prepared.fits(q) {
        return compute(table, q);
    }
    let Prepared { cl, paths, variants, .. } = prepared;
    let steps = q.steps.max(1);

    // Values shown at each step: the most frequent, the rest as "other"; with a share
    // threshold, also values held by fewer than `min_share` of the paths at that step.
    let n_values = cl.labels.len();
    let other = n_values as u32; // code of "other"
    let ended = n_values as u32 + 1; // code of "journey ended" (backward: "journey started")
    let back = q.direction == Direction::Backward;
    let sink = if back { STARTED } else { ENDED };
    // The value at step `i`, counted from the start or (backward) from the end.
    let at = |p: &[u32], i: usize| -> Option<u32> {
        if back {
            p.len().checked_sub(i + 1).map(|k| p[k])
        } else {
            p.get(i).copied()
        }
    };
    // Per step and value, the node's code: the value itself or "other" (flat: step × value).
    let mut node_codes: Vec<u32> = Vec::with_capacity(steps * n_values);
    let mut counts = vec![0u64; steps * n_values];
    chunked(variants.len(), |v| {
        let (p, w) = (variants.path(v), variants.weight[v]);
        for i in 0..p.len().min(steps) {
            counts[i * n_values + at(p, i).expect("within the path") as usize] += w;
        }
    });
    for counts in counts.chunks_exact(n_values.max(1)).take(steps) {
        let mut order: Vec<usize> = (0..n_values).filter(|&v| counts[v] > 0).collect();
        sort_by(&mut order, &|&a, &b| counts[b].cmp(&counts[a]).then_with(|| cl.labels[a].cmp(&cl.labels[b])));
        let mut keep = vec![false; n_values];
        let share_ok = |n: u64| n as u128 * 10_000 >= u128::from(q.min_share) * paths.len() as u128;
        for &v in order.iter().take(q.top.max(1)) {
            keep[v] = share_ok(counts[v]);
        }
        node_codes.extend((0..n_values as u32).map(|v| if keep[v as usize] { v } else { other }));
    }
    let node_code = |i: usize, v: u32| node_codes[i * n_values + v as usize];

    // Each variant's route through the Sankey: its node at each step shown, then the sink when
    // its path ends before the last step. Variants on the same route are taken together below,
    // and node and link counts are sums over the routes. Two variants share a route only when it
    // loses something of them, a step past the last shown or a value shown as "other": the route
    // of a variant that ends before the last step with every value shown gives its path back, and
    // no lossy route looks like it (each has "other" or no sink). So only the lossy variants'
    // routes are told apart by a map; each other variant is a route of its own.
    let width = n_values + 2;
    let mut node_ids: Vec<u32> = vec![u32::MAX; (steps + 1) * width];
    let mut node_key: Vec<(usize, u32)> = Vec::new();
    let mut other_customers = 0u64;
    // Per variant, its route as node ids (flat: variant `v` is `hops[hop_at[v]..hop_at[v + 1]]`).
    let mut hops: Vec<u32> = Vec::with_capacity(variants.len() * (steps + 1).min(8));
    let mut hop_at: Vec<usize> = Vec::with_capacity(variants.len() + 1);
    hop_at.push(0);
    let mut lossy: Vec<u32> = Vec::new();
    chunked(variants.len(), |v| {
        let (p, w) = (variants.path(v), variants.weight[v]);
        let len = p.len().min(steps);
        let mut through_other = false;
        let mut visit = |key: (usize, u32)| {
            let slot = &mut node_ids[key.0 * width + key.1 as usize];
            if *slot == u32::MAX {
                *slot = node_key.len() as u32;
                node_key.push(key);
            }
            hops.push(*slot);
        };
        for i in 0..len {
            let code = node_code(i, at(p, i).expect("within the path"));
            through_other |= code == other;
            visit((i, code));
        }
        if len < steps {
            visit((len, ended));
        }
        hop_at.push(hops.len());
        other_customers += if through_other { w } else { 0 };
        if through_other || p.len() >= steps {
            lossy.push(v as u32);
        }
    });
    let route_of = |v: usize| &hops[hop_at[v]..hop_at[v + 1]];
    // Routes: the whole variants' (one each), then the distinct routes of the lossy ones. Their
    // order changes nothing below (nodes and links are sorted, memberships are sets).
    let (of_lossy, first_lossy) = distinct(lossy.len(), |i| route_of(lossy[i] as usize), node_key.len());
    let mut first_route: Vec<u32> = Vec::with_capacity(variants.len() - lossy.len() + first_lossy.len());
    let mut route_weight: Vec<u64> = Vec::with_capacity(first_route.capacity());
    let mut next_lossy = 0;
    chunked(variants.len(), |v| {
        if lossy.get(next_lossy) == Some(&(v as u32)) {
            next_lossy += 1;
        } else {
            first_route.push(v as u32);
            route_weight.push(variants.weight[v]);
        }
    });
    let whole = first_route.len();
    first_route.extend(first_lossy.iter().map(|&i| lossy[i as usize]));
    route_weight.resize(first_route.len(), 0);
    chunked(lossy.len(), |i| route_weight[whole + of_lossy[i] as usize] += variants.weight[lossy[i] as usize]);
    let routes = |r: usize| route_of(first_route[r] as usize);
    // A link joins a node to one at the next step: it is found in a table by its first node and
    // the second's place among the nodes of its step.
    let mut at_step = vec![0u32; steps + 1];
    let place: Vec<u32> = node_key
        .iter()
        .map(|&(step, _)| {
            at_step[step] += 1;
            at_step[step] - 1
        })
        .collect();
    let per_step = at_step.iter().copied().max().unwrap_or(0) as usize;
    let mut link_at: Vec<u32> = vec![u32::MAX; node_key.len() * per_step];
    // Node counts, and the links (consecutive nodes of a route) with their counts; per route
    // its links, as link ids in order of first appearance (flat, as the hops).
    let mut node_count = vec![0u64; node_key.len()];
    let mut link_ends: Vec<(u32, u32)> = Vec::new();
    let mut link_weight: Vec<u64> = Vec::new();
    let mut route_links: Vec<u32> = Vec::with_capacity(hops.len());
    let mut route_links_at: Vec<usize> = Vec::with_capacity(first_route.len() + 1);
    route_links_at.push(0);
    chunked(first_route.len(), |r| {
        let (route, w) = (routes(r), route_weight[r]);
        for &n in route {
            node_count[n as usize] += w;
        }
        for pair in route.windows(2) {
            let (a, b) = (pair[0] as usize, pair[1] as usize);
            debug_assert_eq!(node_key[a].0 + 1, node_key[b].0, "a link joins consecutive steps");
            let id = &mut link_at[a * per_step + place[b] as usize];
            if *id == u32::MAX {
                *id = link_ends.len() as u32;
                link_ends.push((pair[0], pair[1]));
                link_weight.push(0);
            }
            let id = *id;
            link_weight[id as usize] += w;
            route_links.push(id);
        }
        route_links_at.push(route_links.len());
    });
    // Stable order: by step, then customers (descending), "other" and "ended" last.
    let mut order: Vec<usize> = (0..node_count.len()).collect();
    let rank = |code: u32| u8::from(code == other) + 2 * u8::from(code == ended);
    sort_by(&mut order, &|&a, &b| {
        let ((sa, ca), (sb, cb)) = (node_key[a], node_key[b]);
        sa.cmp(&sb)
            .then(rank(ca).cmp(&rank(cb)))
            .then(node_count[b].cmp(&node_count[a]))
            .then_with(|| label(&cl.labels, ca, other, ended, sink).cmp(label(&cl.labels, cb, other, ended, sink)))
    });
    let mut position = vec![0usize; order.len()];
    for (pos, &n) in order.iter().enumerate() {
        position[n] = pos;
    }
    // Links point forward in time: backward, from the step further back to the nearer one.
    let link_of = |(a, b): (u32, u32)| -> (usize, usize) {
        let (s, n) = (position[a as usize], position[b as usize]);
        if back {
            (n, s)
        } else {
            (s, n)
        }
    };
    let mut links: Vec<((usize, usize), u64)> =
        link_ends.iter().zip(&link_weight).map(|(&ends, &w)| (link_of(ends), w)).collect();
    // Per link id, its index among the sorted links.
    let mut sorted: Vec<u32> = (0..links.len() as u32).collect();
    sort_by(&mut sorted, &|&a, &b| links[a as usize].0.cmp(&links[b as usize].0));
    let mut link_index = vec![0usize; links.len()];
    for (i, &l) in sorted.iter().enumerate() {
        link_index[l as usize] = i;
    }
    links.sort();
    // Backward, the anchor's column is on the right: columns mirror the steps.
    let last_step = node_key.iter().map(|k| k.0).max().unwrap_or(0);
    let col_of = |step: usize| if back { last_step - step } else { step };
    let nodes_in: Vec<NodeIn> =
        order.iter().map(|&n| NodeIn { column: col_of(node_key[n].0), value: node_count[n] as f64 }).collect();
    let links_in: Vec<LinkIn> =
        links.iter().map(|&((s, t), c)| LinkIn { source: s, target: t, value: c as f64 }).collect();
    let settings = Settings::default();
    let (placed, ribbons) = sankey::layout(&nodes_in, &links_in, settings);

    // Per node and per link: the links of the paths through it, over the distinct routes (each
    // distinct path takes one route through the Sankey). Membership as bitsets over the links:
    // OR-ing a route's links into each of its links is cheap and needs no sorting; the nodes'
    // follow from their links'.
    let words = links.len().div_ceil(64).max(1);
    let mut node_bits = vec![0u64; order.len() * words];
    let mut link_bits = vec![0u64; links.len() * words];
    let mut route_bits = vec![0u64; words];
    chunked(first_route.len(), |r| {
        let on = &route_links[route_links_at[r]..route_links_at[r + 1]];
        route_bits.fill(0);
        for &l in on {
            let l = link_index[l as usize];
            route_bits[l / 64] |= 1 << (l % 64);
        }
        let or_into = |bits: &mut [u64], at: usize| {
            for (b, r) in bits[at * words..(at + 1) * words].iter_mut().zip(&route_bits) {
                *b |= r;
            }
        };
        for &l in on {
            or_into(&mut link_bits, link_index[l as usize]);
        }
    });
    // A node's are those of the links into and out of it: every path through it with a link
    // takes one of them, and every path on one of them passes through it (a path of one node has
    // no link to list). Far cheaper than OR-ing each route into each of its nodes too.
    for (l, &((s, t), _)) in links.iter().enumerate() {
        let bits = &link_bits[l * words..(l + 1) * words];
        for n in [s, t] {
            for (b, r) in node_bits[n * words..(n + 1) * words].iter_mut().zip(bits) {
                *b |= r;
            }
        }
    }
    // The set bits of each bitset, ascending.
    let lists = |bits: &[u64], count: usize| -> Vec<Vec<usize>> {
        (0..count)
            .map(|i| {
                let mut out = Vec::new();
                for (k, &w) in bits[i * words..(i + 1) * words].iter().enumerate() {
                    let mut w = w;
                    while w != 0 {
                        out.push(k * 64 + w.trailing_zeros() as usize);
                        w &= w - 1;
                    }
                }
                out
            })
            .collect()
    };
    let mut node_through = lists(&node_bits, order.len());
    let link_through = lists(&link_bits, links.len());
    let nodes = order
        .iter()
        .zip(&placed)
        .map(|(&n, o)| PathNode {
            step: node_key[n].0,
            label: label(&cl.labels, node_key[n].1, other, ended, sink).to_string(),
            customers: node_count[n],
            x0: o.x0,
            x1: o.x1,
            y0: o.y0,
            y1: o.y1,
            through: std::mem::take(&mut node_through[position[n]]),
        })
        .collect();
    let links = links
        .iter()
        .zip(&ribbons)
        .zip(link_through)
        .map(|((&((s, t), c), r), through)| PathLink {
            source: s,
            target: t,
            customers: c,
            width: r.width,
            d: r.path(),
            through,
        })
        .collect();

    let total = paths.journeys;
    let listed = prepared.listed.clone();
    let listed_customers: u64 = listed.iter().map(|v| v.customers).sum();
    Ok(PathResult {
        by: q.by.clone(),
        grain: q.grain,
        session_source: (q.grain == Grain::Session).then(|| q.sessions.used(table)),
        direction: q.direction,
        total_customers: total,
        customers_in_paths: paths.len() as u64,
        nodes,
        links,
        other_customers,
        variants: listed,
        distinct_variants: variants.len() as u64,
        rest_customers: paths.len() as u64 - listed_customers,
        width: settings.width,
        height: settings.height,
        transitions: if q.top == prepared.key.top {
            prepared.transitions.clone()
        } else {
            let column = prepared.combined.as_ref().map_or_else(|| q.by.column_or_error(table), Ok)?;
            transition_graph(column, cl, paths, variants, q.top)
        },
    })
}

/// The most frequent variants (up to [`TOP_VARIANTS`]) with their figures.
fn list_variants(table: &EventTable, q: &PathQuery, cl: &Cleaned, paths: &Paths, variants: &Variants) -> Vec<Variant> {
    let total = paths.journeys;
    let n_values = cl.labels.len();
    // Most customers first, ties by the paths' labels; labels are made only for those listed.
    // Cleaned labels are distinct, so comparing paths by each value's rank among the sorted
    // labels orders them exactly as comparing their labels, without a string comparison.
    let mut by_name: Vec<usize> = (0..n_values).collect();
    sort_by(&mut by_name, &|&a, &b| cl.labels[a].cmp(&cl.labels[b]));
    let mut label_rank = vec![0u32; n_values];
    for (r, &v) in by_name.iter().enumerate() {
        label_rank[v] = r as u32;
    }
    let by_label =
        |a: &[u32], b: &[u32]| a.iter().map(|&v| label_rank[v as usize]).cmp(b.iter().map(|&v| label_rank[v as usize]));
    let mut ranked: Vec<u32> = (0..variants.len() as u32).collect();
    let top = TOP_VARIANTS.min(ranked.len());
    if top > 0 && top < ranked.len() {
        // Only variants at least as frequent as the `top`-th most frequent can be listed: a
        // selection on the weights alone (no comparison of paths) leaves far fewer to rank.
        let mut weights = variants.weight.clone();
        let cut = *weights.select_nth_unstable_by(top - 1, |a, b| b.cmp(a)).1;
        ranked.retain(|&v| variants.weight[v as usize] >= cut);
    }
    let order = |&a: &u32, &b: &u32| {
        let (a, b) = (a as usize, b as usize);
        variants.weight[b].cmp(&variants.weight[a]).then_with(|| by_label(variants.path(a), variants.path(b)))
    };
    if top > 0 && top < ranked.len() {
        ranked.select_nth_unstable_by(top - 1, order);
    }
    sort_by(&mut ranked[..top], &order);
    // The listed variants' conversions, revenue and durations, from their paths (in path order,
    // so sums add up as they always have); durations bucketed by listed variant.
    let conv_code = q.conversion.as_ref().and_then(|c| table.event.code_of(c));
    let mut listed_at = vec![u32::MAX; variants.len()];
    let mut bucket = vec![0usize; top + 1];
    for (k, &v) in ranked[..top].iter().enumerate() {
        listed_at[v as usize] = k as u32;
        bucket[k + 1] = bucket[k] + variants.weight[v as usize] as usize;
    }
    let mut converted = vec![0u64; top];
    let mut revenue = vec![0f64; top];
    let mut durations = vec![0i64; bucket[top]];
    let mut fill = bucket.clone();
    chunked(paths.origin.len(), |i| {
        let k = listed_at[variants.of[i] as usize];
        if k == u32::MAX {
            return;
        }
        let k = k as usize;
        let (c, ref rows) = paths.origin[i];
        let (c, rows) = (c as usize, rows.start as usize..rows.end as usize);
        if let Some(code) = conv_code {
            // A customer converts at any time; a session or journey only within itself.
            let scope = if q.grain == Grain::Customer { table.rows_of(c) } else { rows.clone() };
            converted[k] += u64::from(scope.into_iter().any(|r| table.event.code(r) == code));
        }
        if let Some(rev) = &table.revenue {
            revenue[k] += rev.sum(rows.clone());
        }
        durations[fill[k]] = paths.duration[i];
        fill[k] += 1;
    });
    let listed: Vec<Variant> = ranked[..top]
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let c = variants.weight[v as usize];
            let d = &mut durations[bucket[k]..bucket[k + 1]];
            Variant {
                path: variants.path(v as usize).iter().map(|&v| cl.labels[v as usize].clone()).collect(),
                customers: c,
                pct_of_total: if total == 0 { 0.0 } else { c as f64 * 100.0 / total as f64 },
                conversion_pct: conv_code.map(|_| converted[k] as f64 * 100.0 / c as f64),
                revenue: table.revenue.as_ref().map(|_| revenue[k]),
                median_duration_s: percentiles(d, [0.5])[0] as f64 / 1e6,
            }
        })
        .collect();
    listed
}

/// The distinct paths: each path's variant, and per variant its first path and customers.
struct Variants {
    /// Per path: its variant.
    of: Vec<u32>,
    /// Per variant: its first path.
    first: Vec<u32>,
    /// Per variant: its paths (customers, sessions or journeys).
    weight: Vec<u64>,
    /// The variants' values, one after the other in order of variant (`at[v]..at[v + 1]`): the
    /// Sankey reads every variant's path for each shape, and reads them in order here rather
    /// than from their first paths, scattered over all paths.
    codes: Vec<u32>,
    at: Vec<u32>,
}

impl Variants {
    fn of(paths: &Paths, values: usize) -> Variants {
        let (of, first) = distinct(paths.len(), |i| &paths.codes[paths.span(i)], values);
        let mut weight = vec![0u64; first.len()];
        chunked(of.len(), |i| weight[of[i] as usize] += 1);
        let mut at = Vec::with_capacity(first.len() + 1);
        at.push(0);
        let mut len = 0;
        chunked(first.len(), |v| len += paths.span(first[v] as usize).len());
        let mut codes = Vec::with_capacity(len);
        chunked(first.len(), |v| {
            codes.extend_from_slice(&paths.codes[paths.span(first[v] as usize)]);
            at.push(codes.len() as u32);
        });
        Variants { of, first, weight, codes, at }
    }

    fn len(&self) -> usize {
        self.first.len()
    }

    fn path(&self, v: usize) -> &[u32] {
        &self.codes[self.at[v] as usize..self.at[v + 1] as usize]
    }
}

/// The distinct sequences among `n` (codes below `codes`): per item its class, and per class its
/// first item, classes numbered in order of first appearance. A sequence short enough is keyed
/// by one integer (its codes packed, each plus one, so that lengths differ too); a longer one by
/// its slice.
fn distinct<'a>(n: usize, item: impl Fn(usize) -> &'a [u32], codes: usize) -> (Vec<u32>, Vec<u32>) {
    let bits = usize::BITS - codes.leading_zeros();
    let fits = (64 / bits.max(1)) as usize;
    let mut packed: FxMap<u64, u32> = FxMap::with_capacity_and_hasher(n.min(1 << 16), Default::default());
    let mut long: FxMap<&[u32], u32> = FxMap::default();
    let mut of = Vec::with_capacity(n);
    let mut first = Vec::new();
    chunked(n, |i| {
        let s = item(i);
        let next = first.len() as u32;
        let class = if s.len() <= fits {
            let key = s.iter().fold(0u64, |k, &c| (k << bits) | (u64::from(c) + 1));
            *packed.entry(key).or_insert(next)
        } else {
            *long.entry(s).or_insert(next)
        };
        if class == next {
            first.push(i as u32);
        }
        of.push(class);
    });
    (of, first)
}

fn label<'a>(labels: &'a [String], code: u32, other: u32, ended: u32, sink: &'static str) -> &'a str {
    if code == other {
        OTHER
    } else if code == ended {
        sink
    } else {
        &labels[code as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::sort::percentile;
    use crate::core::table::{RowRef, TableBuilder};

    use crate::core::table::table_of as table;

    fn q(steps: usize) -> PathQuery {
        PathQuery { by: Dimension::Event, steps, ..Default::default() }
    }

    #[test]
    fn whole_seconds_are_those_of_integer_division() {
        let mut rng = crate::core::test_rng::XorShift(11);
        let mut next = move || rng.next() >> 1;
        let mut cases: Vec<i64> = vec![0, 1, 999_999, 1_000_000, 1_000_001, 59_999_999, 60_000_000, i64::MAX];
        // Around multiples of a second, small and far beyond `u32::MAX` seconds.
        for k in [1i64, 7, 86_400, 4_294_967_295, 4_294_967_296, 9_000_000_000_000] {
            cases.extend([k * 1_000_000 - 1, k * 1_000_000, k * 1_000_000 + 1]);
        }
        cases.extend((0..20_000).map(|_| next() as i64 >> (next() % 63)));
        for us in cases {
            let want = (us / 1_000_000).min(i64::from(u32::MAX)) as u32;
            assert_eq!(whole_seconds(us), want, "{us} µs");
        }
        assert_eq!(whole_seconds(-5), 0);
        assert_eq!(whole_seconds(i64::MIN), 0);
    }

    #[test]
    fn hand_worked_sankey_and_variants() {
        // a: seo seo email buy → seo email buy;  b: seo email;  c: ads buy;  d: seo email buy.
        let t = table(&[
            ("a", 1, "seo"),
            ("a", 2, "seo"),
            ("a", 3, "email"),
            ("a", 4, "buy"),
            ("b", 1, "seo"),
            ("b", 2, "email"),
            ("c", 1, "ads"),
            ("c", 2, "buy"),
            ("d", 1, "seo"),
            ("d", 2, "email"),
            ("d", 3, "buy"),
        ]);
        let r = compute(&t, &q(3)).unwrap();
        let nodes: Vec<(usize, &str, u64)> = r.nodes.iter().map(|n| (n.step, n.label.as_str(), n.customers)).collect();
        assert_eq!(nodes, [(0, "seo", 3), (0, "ads", 1), (1, "email", 3), (1, "buy", 1), (2, "buy", 2), (2, ENDED, 2)]);
        let links: Vec<(usize, usize, u64)> = r.links.iter().map(|l| (l.source, l.target, l.customers)).collect();
        // seo→email 3, ads→buy 1, email→buy 2, email→ended 1 (b), buy→ended 1 (c).
        assert_eq!(links, [(0, 2, 3), (1, 3, 1), (2, 4, 2), (2, 5, 1), (3, 5, 1)]);
        let v: Vec<(String, u64)> = r.variants.iter().map(|v| (v.path.join(" > "), v.customers)).collect();
        assert_eq!(v, [("seo > email > buy".to_string(), 2), ("ads > buy".into(), 1), ("seo > email".into(), 1)]);
        assert_eq!((r.distinct_variants, r.rest_customers), (3, 0));
        assert_eq!(r.variants[0].pct_of_total, 50.0);
        // Highlighting: links 0 seo→email, 1 ads→buy, 2 email→buy, 3 email→ended, 4 buy→ended.
        // Through email (a, d: links 0 2; b: 0 3) → 0 2 3; through ended (b: 0 3; c: 1 4) → 0 1 3 4;
        // through ads → c's 1 4; through the link email→buy (a, d) → 0 2.
        let through: Vec<Vec<usize>> = r.nodes.iter().map(|n| n.through.clone()).collect();
        assert_eq!(through, [vec![0, 2, 3], vec![1, 4], vec![0, 2, 3], vec![1, 4], vec![0, 2], vec![0, 1, 3, 4]]);
        let through: Vec<Vec<usize>> = r.links.iter().map(|l| l.through.clone()).collect();
        assert_eq!(through, [vec![0, 2, 3], vec![1, 4], vec![0, 2], vec![0, 3], vec![1, 4]]);
    }

    #[test]
    fn distinct_sequences_packed_or_by_slice() {
        // 5 codes: 3 bits each, so up to 21 codes pack into one integer; longer ones go by slice.
        let long_a: Vec<u32> = (0..30).map(|i| i % 5).collect();
        let mut long_b = long_a.clone();
        long_b[29] = 0;
        let items: Vec<Vec<u32>> = vec![
            vec![0],
            vec![0, 0],
            vec![4, 3],
            long_a.clone(),
            vec![0],
            long_b.clone(),
            vec![0, 0],
            long_a,
            (0..21).map(|i| i % 5).collect(),
            (0..21).map(|i| i % 5).collect(),
            vec![],
            vec![],
        ];
        let (of, first) = distinct(items.len(), |i| &items[i], 5);
        assert_eq!(of, [0, 1, 2, 3, 0, 4, 1, 3, 5, 5, 6, 6]);
        assert_eq!(first, [0, 1, 2, 3, 5, 8, 10]);
        for i in 0..items.len() {
            for j in 0..items.len() {
                assert_eq!(of[i] == of[j], items[i] == items[j], "{i} {j}");
            }
        }
    }

    #[test]
    fn highlight_lists_pack_into_bitsets_and_back() {
        let t = table(&[("a", 1, "x"), ("a", 2, "y"), ("b", 1, "x"), ("b", 2, "z"), ("c", 1, "w"), ("c", 2, "x")]);
        for steps in [1, 2, 3] {
            let r = compute(&t, &q(steps)).unwrap();
            let mut packed = r.clone();
            let bits = packed.take_through();
            assert!(
                packed.nodes.iter().all(|n| n.through.is_empty()) && packed.links.iter().all(|l| l.through.is_empty())
            );
            assert_eq!(bits.len(), r.links.len().div_ceil(8) * (r.nodes.len() + r.links.len()));
            packed.restore_through(&bits);
            assert_eq!(packed, r);
        }
        // Wider than a byte: 30 links, a list with indices across bytes.
        let rows: Vec<(String, i64, String)> = (0..30)
            .flat_map(|c| [(format!("c{c}"), 1, format!("s{c}")), (format!("c{c}"), 2, "t".to_string())])
            .collect();
        let rows: Vec<(&str, i64, &str)> = rows.iter().map(|(c, t, e)| (c.as_str(), *t, e.as_str())).collect();
        let t = table(&rows);
        let r = compute(&t, &PathQuery { top: 40, ..q(3) }).unwrap();
        assert!(r.links.len() > 30, "{}", r.links.len());
        let mut packed = r.clone();
        let bits = packed.take_through();
        packed.restore_through(&bits);
        assert_eq!(packed, r);
    }

    #[test]
    fn flow_is_conserved_and_rare_values_are_other() {
        let t = table(&[("a", 1, "x"), ("a", 2, "y"), ("b", 1, "x"), ("b", 2, "z"), ("c", 1, "w")]);
        let r = compute(&t, &PathQuery { top: 1, ..q(3) }).unwrap();
        // Step 0: x (2) shown, w grouped as other; step 1: y and z tie at 1: y (by name) shown, z other.
        let step1: Vec<(&str, u64)> =
            r.nodes.iter().filter(|n| n.step == 1).map(|n| (n.label.as_str(), n.customers)).collect();
        assert_eq!(step1, [("y", 1), (OTHER, 1), (ENDED, 1)]);
        // Into every node of step ≥ 1 flows exactly its customers; out of every node flows all of
        // its customers unless it is the last step or a sink.
        for (i, n) in r.nodes.iter().enumerate() {
            let inflow: u64 = r.links.iter().filter(|l| l.target == i).map(|l| l.customers).sum();
            let outflow: u64 = r.links.iter().filter(|l| l.source == i).map(|l| l.customers).sum();
            if n.step > 0 {
                assert_eq!(inflow, n.customers, "{n:?}");
            }
            if n.step + 1 < 3 && n.label != ENDED {
                assert_eq!(outflow, n.customers, "{n:?}");
            }
        }
    }

    #[test]
    fn transitions_with_times_self_loops_and_other() {
        // Times in seconds. a: x(0) x(10) y(70) x(100);  b: y(0) x(30);  c: z(5).
        let t = table(&[
            ("a", 0, "x"),
            ("a", 10, "x"),
            ("a", 70, "y"),
            ("a", 100, "x"),
            ("b", 0, "y"),
            ("b", 30, "x"),
            ("c", 5, "z"),
        ]);
        let g = transitions(&t, &PathQuery { top: 2, ..q(5) }).unwrap();
        // x occurs 4 times, y 2, z 1: top 2 are x, y; z becomes "other".
        assert_eq!(g.values, ["x", "y", OTHER]);
        assert_eq!((g.starts.clone(), g.ends.clone()), (vec![1, 1, 1], vec![2, 0, 1]));
        let e: Vec<(usize, usize, u64, f64, f64)> =
            g.edges.iter().map(|e| (e.from, e.to, e.count, e.median_s, e.p90_s)).collect();
        // Collapsed: a x→y after the run's last x (10 → 70: 60 s), y→x 30 s; b y→x 30 s.
        // y→x happens twice (30 s, 30 s); x→y once (60 s). Out of y: 2 of 2 = 100%.
        assert_eq!(e, [(1, 0, 2, 30.0, 30.0), (0, 1, 1, 60.0, 60.0)]);
        assert_eq!(g.edges[0].pct_of_from, 100.0);
        // The drawing has a dot per value and an arc per edge, widths by count (2 → 6, 1 → 3.5).
        assert_eq!((g.layout.nodes.len(), g.layout.edges.len()), (3, 2));
        assert_eq!((g.layout.edges[0].width, g.layout.edges[1].width), (6.0, 3.5));
        // Kept repeats: the self-loop x→x (10 s) appears, and x's outgoing share is split 1:1.
        let g = transitions(&t, &PathQuery { top: 2, collapse: false, ..q(5) }).unwrap();
        let xx = g.edges.iter().find(|e| e.from == 0 && e.to == 0).unwrap();
        assert_eq!((xx.count, xx.median_s, xx.pct_of_from), (1, 10.0, 50.0));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9);
    }

    #[test]
    fn variants_carry_conversion_revenue_and_median_duration() {
        // Paths from "ad": a ad(0) site(60) buy(120, 10.0);  b ad(0) site(30);  c ad(0) site(90) buy(100, 5.5);
        // d site(0) ad(10) — its path starts at ad (10): just "ad", duration 0.
        let mut b = TableBuilder::new(false, false, true);
        for &(c, t, e, r) in &[
            ("a", 0, "ad", None),
            ("a", 60, "site", None),
            ("a", 120, "buy", Some(10.0)),
            ("b", 0, "ad", None),
            ("b", 30, "site", None),
            ("c", 0, "ad", None),
            ("c", 90, "site", None),
            ("c", 100, "buy", Some(5.5)),
            ("d", 0, "site", None),
            ("d", 10, "ad", None),
        ] {
            b.push(RowRef { customer: c, ts: t * 1_000_000, event: e, channel: None, stage: None, revenue: r });
        }
        let t = b.finish();
        let q = PathQuery { from: Some("ad".into()), conversion: Some("buy".into()), ..q(4) };
        let r = compute(&t, &q).unwrap();
        type Row = (String, u64, Option<f64>, Option<f64>, f64);
        let v: Vec<Row> = r
            .variants
            .iter()
            .map(|v| (v.path.join(">"), v.customers, v.conversion_pct, v.revenue, v.median_duration_s))
            .collect();
        assert_eq!(
            v,
            [
                // a (120 s) and c (100 s): nearest-rank median of [100, 120] is 100.
                ("ad>site>buy".to_string(), 2, Some(100.0), Some(15.5), 100.0),
                ("ad".to_string(), 1, Some(0.0), Some(0.0), 0.0),
                ("ad>site".to_string(), 1, Some(0.0), Some(0.0), 30.0),
            ]
        );
    }

    #[test]
    fn ending_at_hiding_and_the_conversion_filter() {
        // a: ad direct site buy site;  b: ad site;  c: direct ad buy;  d: site ad.
        let t = table(&[
            ("a", 1, "ad"),
            ("a", 2, "direct"),
            ("a", 3, "site"),
            ("a", 4, "buy"),
            ("a", 5, "site"),
            ("b", 1, "ad"),
            ("b", 2, "site"),
            ("c", 1, "direct"),
            ("c", 2, "ad"),
            ("c", 3, "buy"),
            ("d", 1, "site"),
            ("d", 2, "ad"),
        ]);
        let paths = |q: PathQuery| -> Vec<String> {
            let mut v: Vec<String> = compute(&t, &q).unwrap().variants.iter().map(|v| v.path.join(">")).collect();
            v.sort();
            v
        };
        // Up to buy: a ends at its buy (the later site is cut), c too; b and d never buy: left out.
        assert_eq!(paths(PathQuery { to: Some("buy".into()), ..q(5) }), ["ad>direct>site>buy", "direct>ad>buy"]);
        // Between ad and buy, with direct hidden.
        assert_eq!(
            paths(PathQuery { from: Some("ad".into()), to: Some("buy".into()), hide: vec!["direct".into()], ..q(5) }),
            ["ad>buy", "ad>site>buy"]
        );
        // Hiding can make repeats meet: d is site, ad; hiding ad leaves site alone.
        assert!(paths(PathQuery { hide: vec!["ad".into()], ..q(5) }).contains(&"site".to_string()));
        // Only customers who did not buy: b and d.
        let q_conv = PathQuery { conversion: Some("buy".into()), converted: Some(false), ..q(5) };
        assert_eq!(paths(q_conv), ["ad>site", "site>ad"]);
        // A `to` value absent from the data: nobody.
        assert_eq!(compute(&t, &PathQuery { to: Some("nope".into()), ..q(5) }).unwrap().customers_in_paths, 0);
        // Transitions follow the same cleaning: with direct hidden, a's ad→site is direct.
        let g = transitions(&t, &PathQuery { hide: vec!["direct".into()], ..q(5) }).unwrap();
        assert!(!g.values.contains(&"direct".to_string()));
    }

    #[test]
    fn sessions_and_conversion_journeys() {
        // a (minutes): ad 0, site 10, buy 20, then after a 2 h gap: ad 140, site 145, buy 150, ad 180
        // (30 min after the buy: not more than the gap, same session);  b: site 0.
        let m = 60;
        let t = table(&[
            ("a", 0, "ad"),
            ("a", 10 * m, "site"),
            ("a", 20 * m, "buy"),
            ("a", 140 * m, "ad"),
            ("a", 145 * m, "site"),
            ("a", 150 * m, "buy"),
            ("a", 180 * m, "ad"),
            ("b", 0, "site"),
        ]);
        let variants = |q: PathQuery| -> (u64, Vec<(String, u64, Option<f64>)>) {
            let r = compute(&t, &q).unwrap();
            (r.total_customers, r.variants.iter().map(|v| (v.path.join(">"), v.customers, v.conversion_pct)).collect())
        };
        let conv = Some("buy".to_string());
        let s = |p: &str, n: u64, c: f64| (p.to_string(), n, Some(c));
        // Sessions (30 min gap): a has two, b one → 3 journeys.
        assert_eq!(
            variants(PathQuery { grain: Grain::Session, conversion: conv.clone(), ..q(8) }),
            (3, vec![s("ad>site>buy", 1, 100.0), s("ad>site>buy>ad", 1, 100.0), s("site", 1, 0.0)])
        );
        // Conversion journeys: a's buys end two journeys, its last ad starts a third; b one → 4.
        assert_eq!(
            variants(PathQuery { grain: Grain::Conversion, conversion: conv.clone(), ..q(8) }),
            (4, vec![s("ad>site>buy", 2, 100.0), s("ad", 1, 0.0), s("site", 1, 0.0)])
        );
        // Whole customers: a converted (at any time), b did not.
        assert_eq!(
            variants(PathQuery { conversion: conv, ..q(8) }),
            (2, vec![s("ad>site>buy>ad>site>buy>ad", 1, 100.0), s("site", 1, 0.0)])
        );
    }

    #[test]
    fn anchor_and_no_collapse() {
        let t = table(&[("a", 1, "x"), ("a", 2, "x"), ("a", 3, "y"), ("b", 1, "y")]);
        let r = compute(&t, &PathQuery { from: Some("x".into()), collapse: false, ..q(4) }).unwrap();
        assert_eq!(r.customers_in_paths, 1, "only a has the anchor");
        assert_eq!(r.variants[0].path, ["x", "x", "y"]);
        let none = compute(&t, &PathQuery { from: Some("nope".into()), ..q(4) }).unwrap();
        assert_eq!((none.customers_in_paths, none.nodes.len()), (0, 0));
    }

    #[test]
    fn wildcards_match_whole_values() {
        assert!(wildcard_match("/product/*", "/product/42"));
        assert!(wildcard_match("/product/*", "/product/"), "* may match nothing");
        assert!(!wildcard_match("/product/*", "/products"));
        assert!(!wildcard_match("a", "ab"), "the whole value must match");
        assert!(wildcard_match("a*b*c", "aXbYbc"));
        assert!(wildcard_match("*x", "xyx"), "backtracks to the last star");
        assert!(!wildcard_match("*x", "xy"));
        assert!(wildcard_match("*", "") && wildcard_match("**", "é"));
    }

    /// a: /product/1 /product/2 cart buy;  b: /product/9 checkout buy;  c: home cart;  d: /products buy.
    fn shop() -> EventTable {
        table(&[
            ("a", 1, "/product/1"),
            ("a", 2, "/product/2"),
            ("a", 3, "cart"),
            ("a", 4, "buy"),
            ("b", 1, "/product/9"),
            ("b", 2, "checkout"),
            ("b", 3, "buy"),
            ("c", 1, "home"),
            ("c", 2, "cart"),
            ("d", 1, "/products"),
            ("d", 2, "buy"),
        ])
    }

    fn cleaning() -> PathQuery {
        PathQuery {
            rewrite: vec![Rule { pattern: "/product/*".into(), to: "product".into() }],
            merge: vec![Merge { values: vec!["cart".into(), "checkout".into()], name: "basket".into() }],
            ..q(3)
        }
    }

    #[test]
    fn regex_rewrite_rules_replace_every_match() {
        let t = shop();
        let variants = |rules: &[(&str, &str)]| -> Vec<(String, u64)> {
            let rewrite = rules.iter().map(|(p, to)| Rule { pattern: p.to_string(), to: to.to_string() }).collect();
            let q = PathQuery { rewrite, ..q(4) };
            compute(&t, &q).unwrap().variants.iter().map(|v| (v.path.join(">"), v.customers)).collect()
        };
        // `/product/\d+` → `/product/:id`: a's two products collapse (a: /product/:id cart buy);
        // b /product/:id checkout buy; /products has no digits after the slash and stays.
        assert_eq!(
            variants(&[(r"re:/product/\d+", "/product/:id")]),
            [
                ("/product/:id>cart>buy".into(), 1),
                ("/product/:id>checkout>buy".into(), 1),
                ("/products>buy".into(), 1),
                ("home>cart".into(), 1)
            ]
        );
        // Groups name parts of the match; the rest of the value is kept.
        assert_eq!(
            variants(&[(r"re:^/(product)s?/?\d*$", "$1")]),
            [
                ("home>cart".into(), 1),
                ("product>buy".into(), 1),
                ("product>cart>buy".into(), 1),
                ("product>checkout>buy".into(), 1)
            ]
        );
        // An invalid expression is an error naming the rule.
        let q = PathQuery { rewrite: vec![Rule { pattern: "re:(".into(), to: "x".into() }], ..q(4) };
        let err = compute(&t, &q).unwrap_err();
        assert!(err.to_string().starts_with("rewrite rule \"re:(\" is not a valid regular expression"), "{err}");
    }

    #[test]
    fn rewrite_and_merge_clean_the_values() {
        let t = shop();
        let variants = |q: PathQuery| -> Vec<(String, u64)> {
            compute(&t, &q).unwrap().variants.iter().map(|v| (v.path.join(">"), v.customers)).collect()
        };
        // Rewritten: a product product cart buy → (collapsed) product basket buy; b product basket buy;
        // c home basket; d keeps /products (the pattern needs "/product/").
        assert_eq!(
            variants(cleaning()),
            [("product>basket>buy".into(), 2), ("/products>buy".into(), 1), ("home>basket".into(), 1)]
        );
        // Hiding the merged name hides both of its values; hiding a raw value only that one.
        let hide = |h: &str| PathQuery { hide: vec![h.into()], ..cleaning() };
        assert_eq!(
            variants(hide("basket")),
            [("product>buy".into(), 2), ("/products>buy".into(), 1), ("home".into(), 1)]
        );
        assert_eq!(
            variants(hide("cart")),
            [
                ("/products>buy".into(), 1),
                ("home".into(), 1),
                ("product>basket>buy".into(), 1),
                ("product>buy".into(), 1)
            ]
        );
        // Anchors name cleaned values: from basket, a b c have it.
        assert_eq!(
            variants(PathQuery { from: Some("basket".into()), ..cleaning() }),
            [("basket>buy".into(), 2), ("basket".into(), 1)]
        );
        // The transition graph counts cleaned values: product 3 rows, basket 3 (cart 2 + checkout 1),
        // buy 3, then /products 1 and home 1 (ties by name).
        let g = transitions(&t, &cleaning()).unwrap();
        assert_eq!(g.values, ["basket", "buy", "product", "/products", "home"]);
        // A rule can merge several patterns into one name, and the first matching rule wins.
        let q = PathQuery {
            rewrite: vec![
                Rule { pattern: "/*".into(), to: "page".into() },
                Rule { pattern: "/product/*".into(), to: "never".into() },
            ],
            ..q(3)
        };
        // a: page cart buy; b: page checkout buy; c: home cart; d: page buy — "never" is never used.
        let v: Vec<String> = variants(q).into_iter().map(|v| v.0).collect();
        assert_eq!(v, ["home>cart", "page>buy", "page>cart>buy", "page>checkout>buy"]);
    }

    #[test]
    fn share_threshold_groups_small_values_and_counts_them() {
        let t = shop();
        // Cleaned paths: a product basket buy;  b product basket buy;  c home basket;  d /products buy.
        // min_share 30 %: step 1 product 2/4 = 50 % stays, /products and home 25 % each → other (2);
        // step 2 basket 3/4 stays, d's buy 1/4 → other; step 3 buy 2/4 stays, c and d ended.
        let r = compute(&t, &PathQuery { min_share: 3000, ..cleaning() }).unwrap();
        let nodes: Vec<(usize, &str, u64)> = r.nodes.iter().map(|n| (n.step, n.label.as_str(), n.customers)).collect();
        assert_eq!(
            nodes,
            [(0, "product", 2), (0, OTHER, 2), (1, "basket", 3), (1, OTHER, 1), (2, "buy", 2), (2, ENDED, 2)]
        );
        let links: Vec<(usize, usize, u64)> = r.links.iter().map(|l| (l.source, l.target, l.customers)).collect();
        // c: other → basket → ended;  d: other → other → ended.
        assert_eq!(links, [(0, 2, 2), (1, 2, 1), (1, 3, 1), (2, 4, 2), (2, 5, 1), (3, 5, 1)]);
        // c and d pass through "other": 2 of 4.
        assert_eq!(r.other_customers, 2);
        // Flow: into each later node flows its customers; out of each node but the last step's
        // flows its customers (ended is a node).
        for (i, n) in r.nodes.iter().enumerate() {
            let inflow: u64 = r.links.iter().filter(|l| l.target == i).map(|l| l.customers).sum();
            let outflow: u64 = r.links.iter().filter(|l| l.source == i).map(|l| l.customers).sum();
            assert!(n.step == 0 || inflow == n.customers, "{n:?}");
            assert!(n.step == 2 || n.label == ENDED || outflow == n.customers, "{n:?}");
        }
        // Exactly at the threshold a value stays: 25 % of 4 is 1 path.
        let r = compute(&t, &PathQuery { min_share: 2500, ..cleaning() }).unwrap();
        assert_eq!(r.other_customers, 0);
        assert!(r.nodes.iter().all(|n| n.label != OTHER));
        // The variants are untouched by the threshold.
        assert_eq!(r.variants.len(), 3);
    }

    #[test]
    fn backward_paths_end_at_the_anchor() {
        // Cleaned (see `shop`), ending at buy: a product basket buy; b the same; d /products buy;
        // c never buys. Counted back from buy: step 0 buy 3; step 1 basket 2, /products 1;
        // step 2 product 2, and d's path started before: (journey started) 1.
        let q = PathQuery { to: Some("buy".into()), direction: Direction::Backward, ..cleaning() };
        let r = compute(&shop(), &q).unwrap();
        assert_eq!(r.direction, Direction::Backward);
        let nodes: Vec<(usize, &str, u64)> = r.nodes.iter().map(|n| (n.step, n.label.as_str(), n.customers)).collect();
        assert_eq!(nodes, [(0, "buy", 3), (1, "basket", 2), (1, "/products", 1), (2, "product", 2), (2, STARTED, 1)]);
        // Links point forward in time: basket → buy 2, /products → buy 1, product → basket 2,
        // (journey started) → /products 1.
        let links: Vec<(usize, usize, u64)> = r.links.iter().map(|l| (l.source, l.target, l.customers)).collect();
        assert_eq!(links, [(1, 0, 2), (2, 0, 1), (3, 1, 2), (4, 2, 1)]);
        // The anchor's column is on the right, earlier steps to its left; ribbons run left to right.
        assert!(r.nodes[0].x0 > r.nodes[1].x0 && r.nodes[1].x0 > r.nodes[3].x0, "{:?}", r.nodes);
        assert_eq!(r.nodes[3].x0, 0.0);
        for l in &r.links {
            assert!(r.nodes[l.source].x1 <= r.nodes[l.target].x0);
        }
        // Flow: out of every node but the anchor's flow its customers; into every node but the
        // furthest step's and the source flow its customers.
        for (i, n) in r.nodes.iter().enumerate() {
            let inflow: u64 = r.links.iter().filter(|l| l.target == i).map(|l| l.customers).sum();
            let outflow: u64 = r.links.iter().filter(|l| l.source == i).map(|l| l.customers).sum();
            assert!(n.step == 0 || outflow == n.customers, "{n:?}");
            assert!(n.step == 2 || n.label == STARTED || inflow == n.customers, "{n:?}");
        }
        // The variants read forward as always; the step count is only the Sankey's.
        let v: Vec<String> = r.variants.iter().map(|v| v.path.join(">")).collect();
        assert_eq!(v, ["product>basket>buy", "/products>buy"]);
        // Highlighting follows the paths backward too: through buy every link; through /products
        // d's (journey started) → /products → buy, links 3 and 1.
        assert_eq!((r.nodes[0].through.clone(), r.nodes[2].through.clone()), (vec![0, 1, 2, 3], vec![1, 3]));
        // Without an anchor, backward counts from each path's last touch: c ends at basket.
        let q = PathQuery { direction: Direction::Backward, steps: 2, ..cleaning() };
        let r = compute(&shop(), &q).unwrap();
        let step0: Vec<(&str, u64)> =
            r.nodes.iter().filter(|n| n.step == 0).map(|n| (n.label.as_str(), n.customers)).collect();
        assert_eq!(step0, [("buy", 3), ("basket", 1)]);
    }

    #[test]
    fn dates_and_touched_filter_the_customers() {
        // Days (UTC) since 1970-01-01. a: x day 0, y day 1, z day 2 (23:59:59);  b: x day 1, y day 3;  c: z day 3.
        let d = 86_400;
        let t = table(&[
            ("a", 0, "x"),
            ("a", d, "y"),
            ("a", 3 * d - 1, "z"),
            ("b", d, "x"),
            ("b", 3 * d, "y"),
            ("c", 3 * d, "z"),
        ]);
        let run = |q: PathQuery| -> (u64, u64, Vec<String>) {
            let r = compute(&t, &q).unwrap();
            let mut v: Vec<String> = r.variants.iter().map(|v| v.path.join(">")).collect();
            v.sort();
            (r.total_customers, r.customers_in_paths, v)
        };
        let (day1, day2) = (parse_date("1970-01-02"), parse_date("1970-01-03"));
        assert_eq!((day1, day2), (Some(1), Some(2)));
        // Days 1–2 (until is inclusive: a's z at 23:59:59 of day 2 stays): a y z, b x; c has
        // nothing then and is not counted at all.
        let dated = PathQuery { since: day1, until: day2, ..q(4) };
        assert_eq!(run(dated.clone()), (2, 2, vec!["x".into(), "y>z".into()]));
        // Only since: b keeps both, c is back.
        assert_eq!(run(PathQuery { since: Some(3), ..q(4) }), (2, 2, vec!["y".into(), "z".into()]));
        // Customers who touched z: a and c, counted among all 3.
        assert_eq!(run(PathQuery { touched: Some("z".into()), ..q(4) }), (3, 2, vec!["x>y>z".into(), "z".into()]));
        // Touched within the dates: only a (c's z is on day 3).
        assert_eq!(run(PathQuery { touched: Some("z".into()), ..dated.clone() }), (2, 1, vec!["y>z".into()]));
        // An unknown value matches nobody.
        assert_eq!(run(PathQuery { touched: Some("nope".into()), ..q(4) }), (3, 0, vec![]));
        // Sessions are cut by the dates too (1 h gap: every touch is its own session).
        let s = PathQuery { grain: Grain::Session, session_gap: Duration { amount: 1, unit: TimeUnit::Hour }, ..dated };
        assert_eq!(run(s).0, 3, "a's y and z, b's x");
        assert_eq!((parse_date("2024-02-30"), parse_date("2024-2-3"), parse_date("x")), (None, None, None));
        assert_eq!(format_date(parse_date("2024-02-29").unwrap()), "2024-02-29");
    }

    #[test]
    fn channel_and_event_combined() {
        // a: visit/seo, visit/email, buy/email;  b: visit/seo, buy/seo.
        let mut b = TableBuilder::new(true, false, false);
        for &(c, t, e, ch) in &[
            ("a", 1, "visit", "seo"),
            ("a", 2, "visit", "email"),
            ("a", 3, "buy", "email"),
            ("b", 1, "visit", "seo"),
            ("b", 2, "buy", "seo"),
        ] {
            b.push(RowRef { customer: c, ts: t, event: e, channel: Some(ch), stage: None, revenue: None });
        }
        let t = b.finish();
        let paths = |q: PathQuery| -> Vec<String> {
            compute(&t, &q).unwrap().variants.iter().map(|v| v.path.join(" > ")).collect()
        };
        let q = PathQuery { by: Dimension::Channel, with_event: true, ..q(4) };
        // Combined, nothing repeats: a seo·visit email·visit email·buy; b seo·visit seo·buy (ties by path).
        assert_eq!(paths(q.clone()), ["seo · visit > email · visit > email · buy", "seo · visit > seo · buy"]);
        // By channel alone, a's two email touches collapse: seo > email; b: seo (a prefix sorts first).
        assert_eq!(paths(PathQuery { with_event: false, ..q.clone() }), ["seo", "seo > email"]);
        // Anchors and the transition graph name combined values.
        assert_eq!(
            paths(PathQuery { from: Some("email · visit".into()), ..q.clone() }),
            ["email · visit > email · buy"]
        );
        let g = transitions(&t, &q).unwrap();
        assert_eq!(g.values, ["seo · visit", "email · buy", "email · visit", "seo · buy"]);
        // With the event as the dimension, the flag changes nothing.
        assert_eq!(paths(PathQuery { by: Dimension::Event, ..q }), ["visit > buy"], "a: visit visit buy collapses");
    }
}
