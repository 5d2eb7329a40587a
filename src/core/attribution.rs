//! Attribution: which touch values (channels by default) earn the conversions.
//!
//! Input is a set of weighted journeys ([`Journeys`]): either cut from the event table
//! ([`journeys`]: a customer's touches up to and including a conversion form one
//! journey, touches after the last conversion a non-converting one) or read from an
//! aggregated path table (`path`, `total_conversions`, `total_conversion_value`,
//! `total_null`). Every model then distributes each journey's conversions and value
//! over its touches:
//!
//! - rule models: first touch, last touch, linear, position-based, time decay;
//! - Markov chain (order 1 to 3) removal effects, solved exactly from the absorbing
//!   chain's linear system;
//! - Shapley values per observed channel set (see [`shapley`]).
//!
//! Everything is deterministic: the same input gives the same numbers, bit for bit.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::funnel::{Dimension, FunnelError};
use super::hot::chunked;
use super::sort::sort_by;
use super::table::{EventTable, FxBuild};
use super::time::{Duration, TimeUnit, MICROS_PER_SECOND};

/// Shapley values are computed exactly over 2^n coalitions; above this many touch values
/// the model is left out with a message.
pub const SHAPLEY_MAX_CHANNELS: usize = 20;
/// Above this many chain states, the Markov model is left out with a message (the exact
/// solve is cubic in the states).
pub const MARKOV_MAX_STATES: usize = 1500;

/// What counts as a conversion in event-level data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conversion {
    /// Events with this value of the event column (`purchase`).
    Event(String),
    /// Events whose revenue is above 0.
    Revenue,
}

impl Default for Conversion {
    fn default() -> Self {
        Conversion::Event(String::new())
    }
}

/// How to cut journeys and what to compute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionQuery {
    /// What a touch is: the channel (default) or the event.
    pub by: Dimension,
    pub conversion: Conversion,
    /// Touches longer than this before the conversion are dropped (for a journey without a
    /// conversion: before its last touch).
    pub lookback: Option<Duration>,
    /// Leave the conversion event's own touch value out of its journey.
    pub exclude_conversion_touch: bool,
    /// Consecutive touches with the same value count as one touch (the first one's time;
    /// applied after the lookback).
    pub collapse: bool,
    /// Position-based shares of the first and last touch, in percent (40/40: the touches
    /// between share the remaining 20).
    pub position: [u8; 2],
    /// Time decay: a touch this long before the conversion counts half as much as one at it.
    pub half_life: Duration,
    /// Markov chain order: 1, 2 or 3.
    pub markov_order: u8,
}

impl Default for AttributionQuery {
    fn default() -> Self {
        AttributionQuery {
            by: Dimension::Channel,
            conversion: Conversion::default(),
            lookback: None,
            exclude_conversion_touch: false,
            collapse: true,
            position: [40, 40],
            half_life: Duration { amount: 7, unit: TimeUnit::Day },
            markov_order: 1,
        }
    }
}

/// Weighted journeys, stored flat: journey `j` has touches `touches[offsets[j]..offsets[j + 1]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Journeys {
    /// Touch values; touches index into it.
    pub channels: Vec<String>,
    pub offsets: Vec<u32>,
    pub touches: Vec<u32>,
    /// Seconds from each touch to the journey's conversion; empty when times are unknown
    /// (path tables): time decay then decays by position.
    pub ages: Vec<f64>,
    pub conversions: Vec<f64>,
    pub value: Vec<f64>,
    pub nulls: Vec<f64>,
    /// Conversions (and their value) with no touch left to credit (all touches fell outside
    /// the lookback, or the only touch was the excluded conversion touch).
    pub unattributed: f64,
    pub unattributed_value: f64,
}

/// One journey of [`Journeys`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JourneyRef<'a> {
    pub touches: &'a [u32],
    pub ages: Option<&'a [f64]>,
    pub conversions: f64,
    pub value: f64,
    pub nulls: f64,
}

impl Journeys {
    pub fn new(channels: Vec<String>) -> Journeys {
        Journeys { channels, offsets: vec![0], ..Default::default() }
    }

    pub fn len(&self) -> usize {
        self.conversions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conversions.is_empty()
    }

    /// Adds a journey; `ages` is empty or has one entry per touch.
    pub fn push(&mut self, touches: &[u32], ages: &[f64], conversions: f64, value: f64, nulls: f64) {
        debug_assert!(ages.is_empty() || ages.len() == touches.len());
        self.touches.extend_from_slice(touches);
        self.ages.extend_from_slice(ages);
        self.offsets.push(self.touches.len() as u32);
        self.conversions.push(conversions);
        self.value.push(value);
        self.nulls.push(nulls);
    }

    pub fn get(&self, j: usize) -> JourneyRef<'_> {
        let r = self.offsets[j] as usize..self.offsets[j + 1] as usize;
        JourneyRef {
            touches: &self.touches[r.clone()],
            ages: (self.ages.len() == self.touches.len() && !self.touches.is_empty()).then(|| &self.ages[r]),
            conversions: self.conversions[j],
            value: self.value[j],
            nulls: self.nulls[j],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = JourneyRef<'_>> {
        (0..self.len()).map(|j| self.get(j))
    }

    /// Whether touch times are known (event-level data).
    pub fn has_times(&self) -> bool {
        !self.touches.is_empty() && self.ages.len() == self.touches.len()
    }

    /// The journeys as a ChannelAttribution-style path table (`path` joined by ` > `),
    /// identical paths summed, most journeys first (ties by path).
    pub fn to_path_table_csv(&self) -> String {
        let mut rows: HashMap<&[u32], [f64; 3], FxBuild> = HashMap::default();
        for j in self.iter().filter(|j| !j.touches.is_empty()) {
            let r = rows.entry(j.touches).or_default();
            r[0] += j.conversions;
            r[1] += j.value;
            r[2] += j.nulls;
        }
        let mut rows: Vec<(String, [f64; 3])> = rows
            .into_iter()
            .map(|(t, r)| (t.iter().map(|&c| self.channels[c as usize].as_str()).collect::<Vec<_>>().join(" > "), r))
            .collect();
        sort_by(&mut rows, &|a, b| (b.1[0] + b.1[2]).total_cmp(&(a.1[0] + a.1[2])).then_with(|| a.0.cmp(&b.0)));
        let mut out = String::from("path,total_conversions,total_conversion_value,total_null\n");
        for (path, [c, v, n]) in rows {
            out.push_str(&format!("{},{},{},{}\n", csv_field(&path), c, round_money(v), n));
        }
        out
    }
}

fn round_money(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Why attribution cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributionError {
    NoChannelColumn,
    NoStageColumn,
    NoConversion,
    NoRevenueColumn,
    /// A kept column the data lacks ([`FunnelError::NoColumn`]).
    Missing(FunnelError),
}

impl std::fmt::Display for AttributionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttributionError::NoChannelColumn => write!(f, "{}", FunnelError::NoChannelColumn),
            AttributionError::NoStageColumn => write!(f, "{}", FunnelError::NoStageColumn),
            AttributionError::NoConversion => write!(f, "choose the conversion event"),
            AttributionError::Missing(e) => write!(f, "{e}"),
            AttributionError::NoRevenueColumn => {
                write!(f, "this data has no revenue column; map one under Columns or pick a conversion event")
            }
        }
    }
}

/// Cuts a customer's events into journeys (see the module documentation).
pub fn journeys(table: &EventTable, q: &AttributionQuery) -> Result<Journeys, AttributionError> {
    let column = q.by.column_or_error(table).map_err(|e| match e {
        FunnelError::NoChannelColumn => AttributionError::NoChannelColumn,
        FunnelError::NoStageColumn => AttributionError::NoStageColumn,
        e => AttributionError::Missing(e),
    })?;
    // A row converts when it is the conversion event (`Some(code)`; `None`: the event is not
    // in the file), or, for a revenue conversion, when it has revenue above 0.
    let conversion_event: Option<Option<u32>> = match &q.conversion {
        Conversion::Event(e) if e.is_empty() => return Err(AttributionError::NoConversion),
        Conversion::Event(e) => Some(table.event.code_of(e)),
        Conversion::Revenue => {
            table.revenue.as_ref().ok_or(AttributionError::NoRevenueColumn)?;
            None
        }
    };
    // An empty value is no touch.
    let blank = column.code_of("");
    let lookback = q.lookback.map(Duration::micros);
    let mut out = Journeys::new(column.values.clone());
    let mut touches: Vec<u32> = Vec::new();
    let mut times: Vec<i64> = Vec::new();
    let (mut kept, mut ages): (Vec<u32>, Vec<f64>) = (Vec::new(), Vec::new());
    // Emits the journey in `touches`/`times` ending at `end` (µs), with its outcome: the
    // lookback drops old touches first, then repeats collapse (so a repeat inside the window
    // is not lost to an older touch outside it).
    let mut emit =
        |touches: &mut Vec<u32>, times: &mut Vec<i64>, end: i64, conv: f64, value: f64, out: &mut Journeys| {
            let from = match lookback {
                Some(l) => times.partition_point(|&t| t < end - l),
                None => 0,
            };
            kept.clear();
            ages.clear();
            for (&t, &at) in touches[from..].iter().zip(&times[from..]) {
                if !(q.collapse && kept.last() == Some(&t)) {
                    kept.push(t);
                    ages.push((end - at) as f64 / MICROS_PER_SECOND as f64);
                }
            }
            if kept.is_empty() {
                out.unattributed += conv;
                out.unattributed_value += value;
            } else {
                out.push(&kept, &ages, conv, value, 1.0 - conv);
            }
            touches.clear();
            times.clear();
        };
    chunked(table.customer_count(), |c| {
        let rows = table.rows_of(c);
        let mut revenue = table.revenue.as_ref().map(|r| r.cursor(rows.start));
        for row in rows {
            let code = column.code(row);
            let ts = table.ts.at(row);
            let value = revenue.as_mut().and_then(|r| r.at(row));
            let conv = match conversion_event {
                Some(event) => event == Some(table.event.code(row)),
                None => value.is_some_and(|v| v > 0.0),
            };
            if Some(code) != blank && !(conv && q.exclude_conversion_touch) {
                touches.push(code);
                times.push(ts);
            }
            if conv {
                let value = value.filter(|v| v.is_finite()).unwrap_or(0.0);
                emit(&mut touches, &mut times, ts, 1.0, value, &mut out);
            }
        }
        if let Some(&end) = times.last() {
            emit(&mut touches, &mut times, end, 0.0, 0.0, &mut out);
        }
    });
    Ok(out)
}

/// Credits of one model, by channel (the order of [`AttributionResult::channels`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCredits {
    /// `first`, `last`, `linear`, `position`, `time_decay`, `markov`, `shapley`.
    pub key: String,
    pub label: String,
    pub conversions: Vec<f64>,
    pub value: Vec<f64>,
}

/// The Markov chain behind the Markov model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkovDetail {
    pub order: u8,
    /// Transient states (without the start state).
    pub states: usize,
    /// The probability that a journey from the start state converts.
    pub conversion_probability: f64,
    /// By channel: 1 − P(convert without the channel) / P(convert).
    pub removal_effects: Vec<f64>,
    /// The same with conversions weighted by their value.
    pub value_removal_effects: Vec<f64>,
    /// Order 1 only: transition probabilities from `(start)` and each channel (rows) to each
    /// channel, `(conversion)` and `(null)` (columns).
    pub transitions: Option<Vec<Vec<f64>>>,
}

/// All models for one set of journeys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionResult {
    /// Touch values that occur in a journey, most linear-credited first (ties: more touches
    /// first, then by name).
    pub channels: Vec<String>,
    pub models: Vec<ModelCredits>,
    /// Conversions and value credited (journeys with at least one touch).
    pub conversions: f64,
    pub value: f64,
    /// Non-converting journeys.
    pub nulls: f64,
    /// Converting journeys (or path-table rows with conversions).
    pub converting_journeys: u64,
    pub journeys: u64,
    pub unattributed: f64,
    pub unattributed_value: f64,
    pub has_times: bool,
    pub markov: Option<MarkovDetail>,
    /// Why a model is missing (Shapley above [`SHAPLEY_MAX_CHANNELS`], Markov above
    /// [`MARKOV_MAX_STATES`]).
    pub notes: Vec<String>,
}

/// Runs every model on the journeys.
pub fn attribute(j: &Journeys, q: &AttributionQuery) -> AttributionResult {
    let n = j.channels.len();
    let mut models = vec![
        rule_model(j, "first", "First touch", |_, w| w[0] = 1.0),
        rule_model(j, "last", "Last touch", |_, w| *w.last_mut().unwrap() = 1.0),
        rule_model(j, "linear", "Linear", |_, w| w.fill(1.0 / w.len() as f64)),
        rule_model(j, "position", &format!("Position-based {}/{}", q.position[0], q.position[1]), |_, w| {
            position_weights(q.position, w)
        }),
        rule_model(j, "time_decay", &time_decay_label(j, q), |ages, w| time_decay_weights(ages, q.half_life, w)),
    ];
    let mut notes = Vec::new();
    let markov = match markov(j, q.markov_order.clamp(1, 3)) {
        Ok(m) => {
            let (conv, value) = (total(&j.conversions), total(&j.value));
            models.push(ModelCredits {
                key: "markov".into(),
                label: format!("Markov order {}", m.order),
                conversions: share_out(&m.removal_effects, conv),
                value: share_out(&m.value_removal_effects, value),
            });
            Some(m)
        }
        Err(e) => {
            notes.push(e);
            None
        }
    };
    match shapley(j) {
        Ok((conversions, value)) => {
            models.push(ModelCredits { key: "shapley".into(), label: "Shapley".into(), conversions, value })
        }
        Err(e) => notes.push(e),
    }
    // Channels that occur, ordered by linear credit, then touches, then name.
    let mut touched = vec![0u64; n];
    for &t in &j.touches {
        touched[t as usize] += 1;
    }
    let linear = &models[2].conversions;
    let mut order: Vec<usize> = (0..n).filter(|&c| touched[c] > 0).collect();
    sort_by(&mut order, &|&a, &b| {
        linear[b]
            .total_cmp(&linear[a])
            .then(touched[b].cmp(&touched[a]))
            .then_with(|| j.channels[a].cmp(&j.channels[b]))
    });
    let pick = |v: &[f64]| order.iter().map(|&c| v[c]).collect::<Vec<f64>>();
    for m in &mut models {
        m.conversions = pick(&m.conversions);
        m.value = pick(&m.value);
    }
    let markov = markov.map(|mut m| {
        m.removal_effects = pick(&m.removal_effects);
        m.value_removal_effects = pick(&m.value_removal_effects);
        if let Some(t) = &mut m.transitions {
            // Rows: start, then channels; columns: channels, conversion, null.
            let mut rows = vec![t[0].clone()];
            rows.extend(order.iter().map(|&c| t[c + 1].clone()));
            for r in &mut rows {
                let mut cols = pick(&r[..n]);
                cols.extend_from_slice(&r[n..]);
                *r = cols;
            }
            *t = rows;
        }
        m
    });
    AttributionResult {
        channels: order.iter().map(|&c| j.channels[c].clone()).collect(),
        models,
        conversions: total(&j.conversions),
        value: total(&j.value),
        nulls: total(&j.nulls),
        converting_journeys: j.conversions.iter().filter(|&&c| c > 0.0).count() as u64,
        journeys: j.len() as u64,
        unattributed: j.unattributed,
        unattributed_value: j.unattributed_value,
        has_times: j.has_times(),
        markov,
        notes,
    }
}

fn total(v: &[f64]) -> f64 {
    v.iter().sum()
}

fn time_decay_label(j: &Journeys, q: &AttributionQuery) -> String {
    if j.has_times() {
        format!("Time decay ({} half-life)", q.half_life)
    } else {
        "Time decay (by position)".into()
    }
}

/// Splits `total` in proportion to `weights` (all zero when the weights sum to zero).
fn share_out(weights: &[f64], total: f64) -> Vec<f64> {
    let sum: f64 = weights.iter().sum();
    weights.iter().map(|w| if sum > 0.0 { total * w / sum } else { 0.0 }).collect()
}

/// A rule model: `weigh(ages, weights)` fills one weight per touch (summing to 1) for
/// each converting journey; `ages` is `None` without touch times.
fn rule_model(j: &Journeys, key: &str, label: &str, weigh: impl Fn(Option<&[f64]>, &mut [f64])) -> ModelCredits {
    let n = j.channels.len();
    let (mut conversions, mut value) = (vec![0.0; n], vec![0.0; n]);
    let mut w = Vec::new();
    chunked(j.len(), |k| {
        let journey = j.get(k);
        let converted = journey.conversions > 0.0 && !journey.touches.is_empty();
        if !converted {
            return;
        }
        w.clear();
        w.resize(journey.touches.len(), 0.0);
        weigh(journey.ages, &mut w);
        for (&t, &wt) in journey.touches.iter().zip(&w) {
            conversions[t as usize] += journey.conversions * wt;
            value[t as usize] += journey.value * wt;
        }
    });
    ModelCredits { key: key.into(), label: label.into(), conversions, value }
}

/// Position-based weights: `first`% to the first touch, `last`% to the last, the rest
/// split evenly between the touches in between. One touch gets everything; two touches
/// split in the ratio first : last.
pub fn position_weights([first, last]: [u8; 2], w: &mut [f64]) {
    let (f, l) = (f64::from(first) / 100.0, f64::from(last) / 100.0);
    match w.len() {
        0 => {}
        1 => w[0] = 1.0,
        2 => {
            let (f, l) = if f + l > 0.0 { (f / (f + l), l / (f + l)) } else { (0.5, 0.5) };
            w[0] = f;
            w[1] = l;
        }
        k => {
            let middle = (1.0 - f - l).max(0.0) / (k - 2) as f64;
            w.fill(middle);
            w[0] = f;
            w[k - 1] = l;
            // Shares over 100% in all are scaled down.
            let sum: f64 = w.iter().sum();
            w.iter_mut().for_each(|x| *x /= sum);
        }
    }
}

/// Time-decay weights: 2^(−age / half-life), normalised; without times, 2^(−touches after).
pub fn time_decay_weights(ages: Option<&[f64]>, half_life: Duration, w: &mut [f64]) {
    let k = w.len();
    let half = half_life.micros() as f64 / MICROS_PER_SECOND as f64;
    for (i, x) in w.iter_mut().enumerate() {
        *x = match ages {
            Some(a) => (-a[i] / half).exp2(),
            None => (-((k - 1 - i) as f64)).exp2(),
        };
    }
    let sum: f64 = w.iter().sum();
    w.iter_mut().for_each(|x| *x /= sum);
}

/// The Markov chain of order `order` over the journeys, and its removal effects.
///
/// States are the last `order` touches (fewer at a journey's start), after dropping
/// consecutive repeats (self-transitions are ignored). Each journey walks
/// start → its states → conversion (weight: its conversions) or null (weight: its
/// non-conversions). Absorption probabilities solve (I − Q) x = r exactly (Gaussian
/// elimination with partial pivoting). Removing a channel sends every state that holds it
/// to null; its removal effect is 1 − P(convert | removed) / P(convert). Value removal
/// effects use the same chain with each conversion edge worth its mean value.
pub fn markov(j: &Journeys, order: u8) -> Result<MarkovDetail, String> {
    let order = usize::from(order.clamp(1, 3));
    let n = j.channels.len();
    // State keys: up to three touch codes, unused slots u32::MAX. State 0 is start.
    let mut index: HashMap<[u32; 3], usize, FxBuild> = HashMap::default();
    let mut keys: Vec<[u32; 3]> = vec![[u32::MAX; 3]];
    let mut edges: HashMap<(u32, u32), f64, FxBuild> = HashMap::default();
    let (mut conv_w, mut value_w, mut null_w) = (vec![0.0], vec![0.0], vec![0.0]);
    let mut path: Vec<u32> = Vec::new();
    let dense = order == 1 && n < 512;
    let mut chan_state = vec![usize::MAX; if dense { n } else { 0 }];
    let mut dense_w = vec![0.0; if dense { (n + 1) * (n + 1) } else { 0 }];
    chunked(j.len(), |k| {
        let journey = j.get(k);
        let weight = journey.conversions + journey.nulls;
        if journey.touches.is_empty() || weight <= 0.0 {
            return;
        }
        path.clear();
        for &t in journey.touches {
            if path.last() != Some(&t) {
                path.push(t);
            }
        }
        let mut from = 0usize;
        for i in 0..path.len() {
            // Order 1 with few channels: states and edges in dense arrays (the common case, fast).
            let known = if dense { chan_state[path[i] as usize] } else { usize::MAX };
            let s = if known != usize::MAX {
                known
            } else {
                let mut key = [u32::MAX; 3];
                let start = (i + 1).saturating_sub(order);
                key[..=i - start].copy_from_slice(&path[start..=i]);
                let next = keys.len();
                let s = *index.entry(key).or_insert(next);
                if s == next {
                    keys.push(key);
                    conv_w.push(0.0);
                    value_w.push(0.0);
                    null_w.push(0.0);
                }
                if dense {
                    chan_state[path[i] as usize] = s;
                }
                s
            };
            if dense {
                dense_w[from * (n + 1) + s] += weight;
            } else {
                *edges.entry((from as u32, s as u32)).or_default() += weight;
            }
            from = s;
        }
        conv_w[from] += journey.conversions;
        value_w[from] += journey.value;
        null_w[from] += journey.nulls;
    });
    let states = keys.len() - 1;
    if states > MARKOV_MAX_STATES {
        return Err(format!(
            "Markov order {order} needs {states} states, more than the {MARKOV_MAX_STATES} it solves exactly; use a lower order"
        ));
    }
    // Rows of Q as (to, probability), sorted for a deterministic sum order.
    let mut out_w = vec![0.0; keys.len()];
    let mut edge_list: Vec<((u32, u32), f64)> = edges.into_iter().collect();
    if dense {
        for f in 0..keys.len() {
            for t in 0..keys.len() {
                let w = dense_w[f * (n + 1) + t];
                if w != 0.0 {
                    edge_list.push(((f as u32, t as u32), w));
                }
            }
        }
    }
    sort_by(&mut edge_list, &|a, b| a.0.cmp(&b.0));
    for &((f, _), w) in &edge_list {
        out_w[f as usize] += w;
    }
    for s in 0..keys.len() {
        out_w[s] += conv_w[s] + null_w[s];
    }
    let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); keys.len()];
    for &((f, t), w) in &edge_list {
        rows[f as usize].push((t as usize, w / out_w[f as usize]));
    }
    let r_conv: Vec<f64> = (0..keys.len()).map(|s| if out_w[s] > 0.0 { conv_w[s] / out_w[s] } else { 0.0 }).collect();
    let r_value: Vec<f64> = (0..keys.len()).map(|s| if out_w[s] > 0.0 { value_w[s] / out_w[s] } else { 0.0 }).collect();
    let solve = |removed: Option<u32>| -> (f64, f64) {
        let keep: Vec<bool> = keys.iter().map(|k| removed.is_none_or(|c| !k.contains(&c))).collect();
        absorption(&rows, &r_conv, &r_value, &keep)
    };
    let (p, pv) = solve(None);
    let mut removal_effects = vec![0.0; n];
    let mut value_removal_effects = vec![0.0; n];
    let present: Vec<bool> = {
        let mut p = vec![false; n];
        keys.iter().flatten().filter(|&&c| c != u32::MAX).for_each(|&c| p[c as usize] = true);
        p
    };
    for c in (0..n).filter(|&c| present[c]) {
        let (pc, pvc) = solve(Some(c as u32));
        removal_effects[c] = if p > 0.0 { (1.0 - pc / p).clamp(0.0, 1.0) } else { 0.0 };
        value_removal_effects[c] = if pv > 0.0 { (1.0 - pvc / pv).clamp(0.0, 1.0) } else { 0.0 };
    }
    let transitions = (order == 1).then(|| {
        // Order-1 states are single channels: map channel → state.
        let mut state_of = vec![None; n];
        for (s, k) in keys.iter().enumerate().skip(1) {
            state_of[k[0] as usize] = Some(s);
        }
        let row = |s: Option<usize>| -> Vec<f64> {
            let mut r = vec![0.0; n + 2];
            if let Some(s) = s {
                for &(t, p) in &rows[s] {
                    r[keys[t][0] as usize] = p;
                }
                if out_w[s] > 0.0 {
                    r[n] = conv_w[s] / out_w[s];
                    r[n + 1] = null_w[s] / out_w[s];
                }
            }
            r
        };
        let mut m = vec![row(Some(0))];
        m.extend((0..n).map(|c| row(state_of[c])));
        m
    });
    Ok(MarkovDetail {
        order: order as u8,
        states,
        conversion_probability: p,
        removal_effects,
        value_removal_effects,
        transitions,
    })
}

/// Absorption into conversion from state 0, for the chain restricted to the `keep` states
/// (a state not kept absorbs into null): solves (I − Q) x = r for both right-hand sides.
fn absorption(rows: &[Vec<(usize, f64)>], r_conv: &[f64], r_value: &[f64], keep: &[bool]) -> (f64, f64) {
    // Only states reachable from start matter; number them densely.
    let mut slot = vec![usize::MAX; rows.len()];
    let mut live = vec![0usize];
    slot[0] = 0;
    let mut i = 0;
    while i < live.len() {
        for &(t, _) in &rows[live[i]] {
            if keep[t] && slot[t] == usize::MAX {
                slot[t] = live.len();
                live.push(t);
            }
        }
        i += 1;
    }
    let m = live.len();
    // Augmented matrix [I − Q | r_conv | r_value], row-major.
    let w = m + 2;
    let mut a = vec![0.0; m * w];
    for (i, &s) in live.iter().enumerate() {
        a[i * w + i] = 1.0;
        for &(t, p) in &rows[s] {
            if keep[t] {
                a[i * w + slot[t]] -= p;
            }
        }
        a[i * w + m] = r_conv[s];
        a[i * w + m + 1] = r_value[s];
    }
    let x = gauss_solve(&mut a, m, 2);
    (x[0][0], x[1][0])
}

/// Solves A x = b for `k` right-hand sides stored as the last `k` columns of the
/// row-major augmented `m × (m + k)` matrix (Gaussian elimination, partial pivoting).
/// Returns one solution vector per right-hand side.
pub fn gauss_solve(a: &mut [f64], m: usize, k: usize) -> Vec<Vec<f64>> {
    let w = m + k;
    for col in 0..m {
        let pivot = (col..m).max_by(|&x, &y| a[x * w + col].abs().total_cmp(&a[y * w + col].abs())).unwrap_or(col);
        if pivot != col {
            for c in 0..w {
                a.swap(col * w + c, pivot * w + c);
            }
        }
        let p = a[col * w + col];
        if p == 0.0 {
            continue;
        }
        let (top, rest) = a.split_at_mut((col + 1) * w);
        let pivot_row = &top[col * w..];
        for row in rest.chunks_exact_mut(w) {
            let f = row[col] / p;
            if f != 0.0 {
                for c in col..w {
                    row[c] -= f * pivot_row[c];
                }
            }
        }
    }
    let mut x = vec![vec![0.0; m]; k];
    for (r, xr) in x.iter_mut().enumerate() {
        for i in (0..m).rev() {
            let mut s = a[i * w + m + r];
            for c in i + 1..m {
                s -= a[i * w + c] * xr[c];
            }
            let d = a[i * w + i];
            xr[i] = if d == 0.0 { 0.0 } else { s / d };
        }
    }
    x
}

/// Shapley attribution on observed channel sets.
///
/// For each set S of distinct channels a journey touched, v(S) is the conversion rate of
/// the journeys whose channel set is exactly S: conversions / (conversions + nulls), and 0
/// for a set no journey has. The conversions (and value) of the journeys with set S are
/// split over the channels i ∈ S in proportion to their Shapley value in the game v
/// restricted to S (Shapley 1953):
///
/// φᵢ(S) = Σ_{T ⊆ S∖{i}} |T|! (|S| − |T| − 1)! / |S|! · (v(T ∪ {i}) − v(T)),
///
/// whose sum over S is v(S) (efficiency), so channel i earns conversions(S) · φᵢ(S) / v(S).
/// A channel whose presence lowers the conversion rate can earn a negative share. Exact:
/// every coalition is enumerated, which is why the data may hold at most
/// [`SHAPLEY_MAX_CHANNELS`] channels.
pub fn shapley(j: &Journeys) -> Result<(Vec<f64>, Vec<f64>), String> {
    let n = j.channels.len();
    let mut used = vec![false; n];
    for &t in &j.touches {
        used[t as usize] = true;
    }
    let count = used.iter().filter(|&&u| u).count();
    if count > SHAPLEY_MAX_CHANNELS {
        return Err(format!(
            "Shapley is computed exactly over every set of channels, which takes 2^n steps: it needs at most {SHAPLEY_MAX_CHANNELS} channels and this data has {count}"
        ));
    }
    // Compact channel bits.
    let mut bit = vec![u32::MAX; n];
    let mut channel_of = Vec::new();
    for c in (0..n).filter(|&c| used[c]) {
        bit[c] = channel_of.len() as u32;
        channel_of.push(c);
    }
    // (conversions, value, nulls) per exact channel set.
    let mut sets: HashMap<u32, [f64; 3], FxBuild> = HashMap::default();
    chunked(j.len(), |k| {
        let journey = j.get(k);
        if journey.touches.is_empty() {
            return;
        }
        let mask = journey.touches.iter().fold(0u32, |m, &t| m | 1 << bit[t as usize]);
        let e = sets.entry(mask).or_default();
        e[0] += journey.conversions;
        e[1] += journey.value;
        e[2] += journey.nulls;
    });
    let rate = |mask: u32| match sets.get(&mask) {
        Some([c, _, nl]) if c + nl > 0.0 => c / (c + nl),
        _ => 0.0,
    };
    let mut converting: Vec<(u32, [f64; 3])> = sets.iter().filter(|(_, e)| e[0] > 0.0).map(|(&m, &e)| (m, e)).collect();
    sort_by(&mut converting, &|a, b| a.0.cmp(&b.0));
    let (mut conversions, mut value) = (vec![0.0; n], vec![0.0; n]);
    let mut local_v = Vec::new();
    for (mask, [conv, val, _]) in converting {
        let members: Vec<u32> = (0..32).filter(|b| mask & (1 << b) != 0).collect();
        let k = members.len();
        // v of every subset of S, indexed by a local mask over `members`.
        local_v.clear();
        local_v.extend((0u32..1 << k).map(|lm| {
            let global =
                members.iter().enumerate().filter(|(i, _)| lm & (1 << i) != 0).fold(0, |g, (_, &b)| g | 1 << b);
            rate(global)
        }));
        // weight[t] = t! (k − t − 1)! / k!
        let weight: Vec<f64> = (0..k).map(|t| 1.0 / (k as f64 * binomial(k - 1, t))).collect();
        let v_s = local_v[(1 << k) - 1];
        for (i, &b) in members.iter().enumerate() {
            let mut phi = 0.0;
            for lm in 0u32..1 << k {
                if lm & (1 << i) == 0 {
                    phi += weight[lm.count_ones() as usize] * (local_v[(lm | 1 << i) as usize] - local_v[lm as usize]);
                }
            }
            let c = channel_of[b as usize];
            conversions[c] += conv * phi / v_s;
            value[c] += val * phi / v_s;
        }
    }
    Ok((conversions, value))
}

/// C(n, k) as a float.
fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}
