//! Lifecycle stages: a model mapping events (and channels) to an ordered list of stages, and
//! the stage drop-off analysis (issue #5).
//!
//! **Model.** An ordered list of stages (default awareness → consideration → purchase →
//! retention → advocacy, or any custom list) and user rules. Each row gets at most one stage,
//! by the first of these that gives one:
//! 1. the user's rules, in order: the first rule whose pattern matches the row's event (or, for
//!    a `channel:` rule, its channel) wins; `*` in a pattern is any run of characters
//!    ([`wildcard_match`], as the paths' rewrite rules); a rule may map to no stage (unmapped);
//! 2. the row's own value in the data's stage column, when it names a stage of the list
//!    (ignoring case and surrounding spaces);
//! 3. keyword defaults from the event name ([`default_stage`]), for the default stage names the
//!    list holds.
//!
//! Rows given no stage are unmapped (counted, and left out of the analysis).
//!
//! **Analysis.** Per customer, in time order (ties in file order): a customer *reaches* stage i
//! with any event mapped to it; *enters* it at the first such event; their *furthest* stage is the
//! highest stage reached. Stage i *converts* to stage i+1 when an event mapped to i+1 comes after
//! the entry into i (a customer who skips i+1 does not convert to it); the customer *moves on*
//! from i at the first event after the entry into i mapped to any later stage, and the time in
//! stage i is from the entry to that event.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use super::attribution::csv_field;
use super::hot::chunked;
use super::paths::wildcard_match;
use super::sort::percentile;
use super::sort::sort_by;
use super::table::{Codes, Column, EventTable};
use super::time::format_timestamp;

/// The default stage list.
pub const DEFAULT_STAGES: [&str; 5] = ["awareness", "consideration", "purchase", "retention", "advocacy"];

/// At most this many stages.
pub const MAX_STAGES: usize = 20;

/// Event values listed in the result (the most frequent).
pub const MAX_VALUES: usize = 1_000;

/// Channel segments shown by name in the per-channel conversion; the rest are "(other)".
pub const TOP_CHANNELS: usize = 5;

/// A user rule: values matching `pattern` (events, or channels with `channel`) get `stage`
/// (empty: no stage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRule {
    pub pattern: String,
    pub channel: bool,
    pub stage: String,
}

/// The stage list and the user's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageModel {
    pub stages: Vec<String>,
    pub rules: Vec<StageRule>,
}

impl Default for StageModel {
    fn default() -> Self {
        StageModel { stages: DEFAULT_STAGES.iter().map(|s| s.to_string()).collect(), rules: Vec::new() }
    }
}

impl StageModel {
    /// Whether the stage list is the default one.
    pub fn default_stages(&self) -> bool {
        self.stages.iter().map(String::as_str).eq(DEFAULT_STAGES)
    }

    /// The index of a stage named `name` (ignoring case and surrounding spaces).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let name = name.to_lowercase();
        self.stages.iter().position(|s| s.trim().to_lowercase() == name)
    }

    /// Sets the stage list from text: names separated by commas, trimmed; empty and repeated
    /// names (ignoring case) are dropped; at most [`MAX_STAGES`]. Returns what was dropped.
    pub fn set_stages<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut dropped = Vec::new();
        for n in names {
            let n = n.trim();
            if n.is_empty() {
                continue;
            }
            if out.iter().any(|o| o.to_lowercase() == n.to_lowercase()) {
                dropped.push(format!("{n} is listed twice"));
            } else if out.len() == MAX_STAGES {
                dropped.push(format!("{n}: at most {MAX_STAGES} stages"));
            } else {
                out.push(n.to_string());
            }
        }
        if !out.is_empty() {
            self.stages = out;
        }
        dropped
    }

    /// Sets the rule for one exact event (or channel) value, replacing any exact rule for it;
    /// the rule goes first, so it wins over wildcard rules. `None` removes the exact rule.
    pub fn set_value_rule(&mut self, value: &str, channel: bool, stage: Option<&str>) {
        self.rules.retain(|r| !(r.channel == channel && r.pattern == value));
        if let Some(stage) = stage {
            self.rules.insert(0, StageRule { pattern: value.to_string(), channel, stage: stage.to_string() });
        }
    }
}

/// Keyword defaults, checked in this order (the first keyword found wins): a keyword is found
/// when the event name, lower-cased with every run of other characters (and each camelCase
/// boundary) made one `_`, starts with it or holds it right after a `_` — so `site_visit` and
/// `visits` hold `visit`, `preview` does not hold `review`, `reorder` does not hold `order`.
pub const KEYWORDS: &[(&str, &str)] = &[
    // retention
    ("repeat", "retention"),
    ("renew", "retention"),
    ("reorder", "retention"),
    ("rebuy", "retention"),
    ("retention", "retention"),
    ("retain", "retention"),
    ("login", "retention"),
    ("log_in", "retention"),
    ("signin", "retention"),
    ("sign_in", "retention"),
    ("support", "retention"),
    ("loyalty", "retention"),
    ("reactivat", "retention"),
    ("winback", "retention"),
    ("win_back", "retention"),
    ("upsell", "retention"),
    ("upgrade", "retention"),
    ("onboard", "retention"),
    // advocacy
    ("review", "advocacy"),
    ("refer", "advocacy"),
    ("share", "advocacy"),
    ("invite", "advocacy"),
    ("nps", "advocacy"),
    ("testimonial", "advocacy"),
    ("recommend", "advocacy"),
    ("advoca", "advocacy"),
    ("rating", "advocacy"),
    // purchase
    ("checkout", "purchase"),
    ("check_out", "purchase"),
    ("purchase", "purchase"),
    ("order", "purchase"),
    ("subscribe", "purchase"),
    ("subscription", "purchase"),
    ("payment", "purchase"),
    ("buy", "purchase"),
    ("transaction", "purchase"),
    ("conversion", "purchase"),
    // consideration
    ("product", "consideration"),
    ("view_item", "consideration"),
    ("item_view", "consideration"),
    ("search", "consideration"),
    ("compare", "consideration"),
    ("comparison", "consideration"),
    ("add_to", "consideration"),
    ("cart", "consideration"),
    ("basket", "consideration"),
    ("wishlist", "consideration"),
    ("webinar", "consideration"),
    ("demo", "consideration"),
    ("trial", "consideration"),
    ("pricing", "consideration"),
    ("price", "consideration"),
    ("quote", "consideration"),
    ("newsletter", "consideration"),
    ("signup", "consideration"),
    ("sign_up", "consideration"),
    ("register", "consideration"),
    ("registration", "consideration"),
    ("lead", "consideration"),
    ("download", "consideration"),
    ("brochure", "consideration"),
    ("contact", "consideration"),
    ("consider", "consideration"),
    // awareness
    ("impression", "awareness"),
    ("ad_view", "awareness"),
    ("ad_click", "awareness"),
    ("visit", "awareness"),
    ("open", "awareness"),
    ("landing", "awareness"),
    ("page_view", "awareness"),
    ("pageview", "awareness"),
    ("session_start", "awareness"),
    ("first_open", "awareness"),
    ("click", "awareness"),
    ("aware", "awareness"),
    ("view_ad", "awareness"),
];

/// `value` lower-cased, every run of non-alphanumeric characters and each camelCase boundary
/// made one `_`.
fn normalise(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    let mut prev_lower = false;
    for c in value.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = c.is_lowercase() || c.is_numeric();
            out.extend(c.to_lowercase());
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    out
}

/// The default stage name of an event name by its keywords ([`KEYWORDS`]), if any.
pub fn default_stage(event: &str) -> Option<&'static str> {
    let n = normalise(event);
    KEYWORDS
        .iter()
        .find(|(kw, _)| n.starts_with(kw) || n.match_indices(kw).any(|(i, _)| i > 0 && n.as_bytes()[i - 1] == b'_'))
        .map(|&(_, stage)| stage)
}

/// No stage.
pub const NONE: u16 = u16::MAX;

/// What decided an event value's stage, for the model editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A user rule on the event value.
    Rule,
    /// A user rule on the channel.
    Channel,
    /// The data's stage column.
    Data,
    /// A keyword default.
    Keyword,
    /// Nothing: unmapped.
    None,
}

/// Per code of a column, the rule that matches it first: (rule index, stage or NONE). Rules
/// naming a stage not in the list are skipped.
fn rule_codes(model: &StageModel, column: &Column, channel: bool) -> Vec<Option<(usize, u16)>> {
    column
        .values
        .iter()
        .map(|v| {
            model.rules.iter().enumerate().filter(|(_, r)| r.channel == channel).find_map(|(i, r)| {
                let target =
                    if r.stage.trim().is_empty() { Some(NONE) } else { model.index_of(&r.stage).map(|s| s as u16) };
                target.filter(|_| wildcard_match(&r.pattern, v)).map(|t| (i, t))
            })
        })
        .collect()
}

/// The stage of every row (`NONE` when unmapped), with `stage_column` as the data's stage
/// column (pass `None` to ignore it, as for a stage column derived from the model).
pub fn assign(table: &EventTable, model: &StageModel, stage_column: Option<&Column>) -> Vec<u16> {
    assign_rows(table, model, stage_column, |_, _| {})
}

/// [`assign`], telling `source(row, what decided)` for every row.
fn assign_rows(
    table: &EventTable,
    model: &StageModel,
    stage_column: Option<&Column>,
    mut source: impl FnMut(usize, Source),
) -> Vec<u16> {
    let event_rule = rule_codes(model, &table.event, false);
    let channel_rule = table.channel.as_ref().map(|c| (c, rule_codes(model, c, true)));
    let data: Option<(&Column, Vec<u16>)> =
        stage_column.map(|c| (c, c.values.iter().map(|v| model.index_of(v).map_or(NONE, |s| s as u16)).collect()));
    let keyword: Vec<u16> = table
        .event
        .values
        .iter()
        .map(|v| default_stage(v).and_then(|s| model.index_of(s)).map_or(NONE, |s| s as u16))
        .collect();
    let has_channel_rules = model.rules.iter().any(|r| r.channel);
    (0..table.len())
        .map(|r| {
            let e = table.event.code(r) as usize;
            let mut rule = event_rule[e].map(|(i, s)| (i, s, Source::Rule));
            if has_channel_rules {
                if let Some((c, rules)) = &channel_rule {
                    if let Some((i, s)) = rules[c.code(r) as usize] {
                        if rule.is_none_or(|(j, _, _)| i < j) {
                            rule = Some((i, s, Source::Channel));
                        }
                    }
                }
            }
            if let Some((_, s, by)) = rule {
                source(r, by);
                return s;
            }
            if let Some((c, codes)) = &data {
                let s = codes[c.code(r) as usize];
                if s != NONE {
                    source(r, Source::Data);
                    return s;
                }
            }
            source(r, if keyword[e] == NONE { Source::None } else { Source::Keyword });
            keyword[e]
        })
        .collect()
}

/// The value of unmapped rows in [`stage_column`].
pub const NO_STAGE: &str = "(no stage)";

/// The model as a stage column (values: the stages, then [`NO_STAGE`] for unmapped rows when
/// there are any), so that funnels and paths `by=stage` work on data without one.
pub fn stage_column(table: &EventTable, model: &StageModel) -> Column {
    let stages = assign(table, model, None);
    let k = model.stages.len() as u32;
    let mut values = model.stages.clone();
    if stages.contains(&NONE) {
        values.push(NO_STAGE.to_string());
    }
    let codes = Codes::build(values.len(), stages.len(), |r| if stages[r] == NONE { k } else { u32::from(stages[r]) });
    Column { values, codes }
}

/// One stage's row of the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRow {
    pub stage: String,
    /// Customers with any event in the stage.
    pub customers: u64,
    /// `customers` ÷ the first stage's, in percent (0 when that is 0).
    pub pct_of_first: f64,
    /// `customers` ÷ the previous stage's, in percent (100 for the first stage; 0 when the
    /// previous is 0; above 100 when customers skipped the previous stage).
    pub pct_of_previous: f64,
    /// Of the previous stage's customers, those with an event in this stage after entering the
    /// previous one (null for the first stage).
    pub from_previous: Option<u64>,
    /// `from_previous` ÷ the previous stage's customers, in percent (null for the first stage
    /// or when the previous stage has none).
    pub conversion_pct: Option<f64>,
    /// The previous stage's customers who did not reach this stage after entering it.
    pub dropoff: Option<u64>,
    /// Customers whose furthest stage this is.
    pub furthest: u64,
    /// Customers who moved on (reached a later stage after entering this one) and who did not.
    pub moved_on: u64,
    pub stayed: u64,
    /// Median and 90th-percentile (nearest rank) seconds from entering the stage to moving on,
    /// over the customers who moved on (null when none did).
    pub median_time_s: Option<f64>,
    pub p90_time_s: Option<f64>,
    /// Events mapped to the stage.
    pub events: u64,
    /// Revenue of the events mapped to the stage (null without a revenue column).
    pub revenue: Option<f64>,
}

/// Stage-to-stage conversion of one channel segment: per transition i → i+1, the customers who
/// entered stage i on this channel and those of them who converted to i+1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRow {
    /// The channel of the entry event, `(none)` when it has none, or `(other)`.
    pub channel: String,
    pub entered: Vec<u64>,
    pub converted: Vec<u64>,
    /// `converted ÷ entered` per transition, percent; null when nobody entered.
    pub rate_pct: Vec<Option<f64>>,
}

/// An event value in the model editor: its events and the stage its rows get.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueStage {
    pub value: String,
    pub events: u64,
    /// The stage most of its rows get (ties: the earlier stage); null when most are unmapped.
    pub stage: Option<String>,
    pub source: Source,
    /// Whether its rows get different stages (by the data's stage column or channel rules).
    pub mixed: bool,
}

/// The stage analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagesResult {
    pub stages: Vec<StageRow>,
    pub customers: u64,
    pub events: u64,
    /// Customers with no event mapped to any stage (their furthest stage is "(none)").
    pub customers_none: u64,
    pub unmapped_events: u64,
    /// Whether the data's stage column took part (precedence 2).
    pub uses_stage_column: bool,
    /// Whether the data has a channel column (else `by_channel` is empty).
    pub has_channel: bool,
    /// Per entry channel: the [`TOP_CHANNELS`] with the most stage entries, then "(other)".
    pub by_channel: Vec<ChannelRow>,
    /// The [`MAX_VALUES`] most frequent event values (ties by name), with their stage.
    pub values: Vec<ValueStage>,
    /// Event values beyond those.
    pub more_values: u64,
    /// Rules that name a stage not in the list (ignored), and similar remarks.
    pub notes: Vec<String>,
}

/// One customer's stages: per stage, the row of its entry (first event) and whether it
/// converted to the next stage; per stage the time to moving on (µs).
struct Walk {
    entry: Vec<Option<usize>>,
    converted: Vec<bool>,
    moved: Vec<Option<i64>>,
}

/// Walks every customer's mapped rows in time order.
fn walk(table: &EventTable, stages: &[u16], k: usize, mut f: impl FnMut(usize, &Walk)) {
    let mut w = Walk { entry: vec![None; k], converted: vec![false; k], moved: vec![None; k] };
    let mut pending: Vec<usize> = Vec::with_capacity(k);
    chunked(table.customer_count(), |c| {
        w.entry.fill(None);
        w.converted.fill(false);
        w.moved.fill(None);
        pending.clear();
        for r in table.rows_of(c) {
            let s = stages[r];
            if s == NONE {
                continue;
            }
            let s = s as usize;
            if s > 0 && w.entry[s - 1].is_some() {
                w.converted[s - 1] = true;
            }
            pending.retain(|&i| {
                if i < s {
                    w.moved[i] = Some(table.ts.at(r) - table.ts.at(w.entry[i].unwrap_or(r)));
                    false
                } else {
                    true
                }
            });
            if w.entry[s].is_none() {
                w.entry[s] = Some(r);
                pending.push(s);
            }
        }
        f(c, &w);
    });
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Notes on rules that cannot apply.
fn model_notes(model: &StageModel) -> Vec<String> {
    model
        .rules
        .iter()
        .filter(|r| !r.stage.trim().is_empty() && model.index_of(&r.stage).is_none())
        .map(|r| {
            format!(
                "The rule {}{} → {} is ignored: {} is not one of the stages.",
                if r.channel { "channel:" } else { "" },
                r.pattern,
                r.stage,
                r.stage
            )
        })
        .collect()
}

/// The stage analysis of `table` under `model`, with `stage_column` as the data's stage column.
pub fn compute_with(table: &EventTable, model: &StageModel, stage_column: Option<&Column>) -> StagesResult {
    let k = model.stages.len();
    // Per event code, the rows each source decided (in `Source` order).
    let mut sources = vec![0u64; table.event.values.len() * 5];
    let stages =
        assign_rows(table, model, stage_column, |r, by| sources[table.event.code(r) as usize * 5 + by as usize] += 1);
    let mut customers = vec![0u64; k];
    let mut converted = vec![0u64; k];
    let mut furthest = vec![0u64; k];
    let mut none = 0u64;
    let mut moved: Vec<Vec<i64>> = vec![Vec::new(); k];
    let channel = table.channel.as_ref();
    let empty = channel.and_then(|c| c.code_of(""));
    // Per entry channel code (None: no channel): entered and converted per transition.
    let mut per: HashMap<Option<u32>, (Vec<u64>, Vec<u64>)> = HashMap::new();
    let transitions = k.saturating_sub(1);
    walk(table, &stages, k, |_, w| {
        match (0..k).rev().find(|&i| w.entry[i].is_some()) {
            Some(f) => furthest[f] += 1,
            None => none += 1,
        }
        for i in 0..k {
            let Some(row) = w.entry[i] else { continue };
            customers[i] += 1;
            converted[i] += u64::from(w.converted[i]);
            if let Some(t) = w.moved[i] {
                moved[i].push(t);
            }
            if i < transitions {
                if let Some(c) = channel {
                    let code = Some(c.code(row)).filter(|&x| Some(x) != empty);
                    let e = per.entry(code).or_insert_with(|| (vec![0; transitions], vec![0; transitions]));
                    e.0[i] += 1;
                    e.1[i] += u64::from(w.converted[i]);
                }
            }
        }
    });
    let mut events = vec![0u64; k];
    let mut revenue = table.revenue.as_ref().map(|_| vec![0.0f64; k]);
    let mut unmapped = 0u64;
    for &s in &stages {
        if s == NONE {
            unmapped += 1;
            continue;
        }
        events[s as usize] += 1;
    }
    if let (Some(rev), Some(sum)) = (&table.revenue, revenue.as_mut()) {
        for (r, v) in rev.iter() {
            if let Some(&s) = stages.get(r).filter(|&&s| s != NONE) {
                sum[s as usize] += v;
            }
        }
    }
    let first = customers.first().copied().unwrap_or(0);
    let rows = (0..k)
        .map(|i| {
            let mut t = std::mem::take(&mut moved[i]);
            t.sort_unstable();
            let n = t.len() as u64;
            let secs = |q: f64| (!t.is_empty()).then(|| percentile(&t, q) as f64 / 1e6);
            let prev = i.checked_sub(1).map(|p| (customers[p], converted[p]));
            StageRow {
                stage: model.stages[i].clone(),
                customers: customers[i],
                pct_of_first: pct(customers[i], first),
                pct_of_previous: prev.map_or(100.0, |(c, _)| pct(customers[i], c)),
                from_previous: prev.map(|(_, v)| v),
                conversion_pct: prev.and_then(|(c, v)| (c > 0).then(|| pct(v, c))),
                dropoff: prev.map(|(c, v)| c - v),
                furthest: furthest[i],
                moved_on: n,
                stayed: customers[i] - n,
                median_time_s: secs(0.5),
                p90_time_s: secs(0.9),
                events: events[i],
                revenue: revenue.as_ref().map(|r| r[i]),
            }
        })
        .collect();
    let name = |code: Option<u32>| match (code, channel) {
        (Some(c), Some(col)) => col.values[c as usize].clone(),
        _ => "(none)".to_string(),
    };
    let mut segs: Vec<(String, Vec<u64>, Vec<u64>)> = per.into_iter().map(|(c, (e, v))| (name(c), e, v)).collect();
    sort_by(&mut segs, &|a, b| b.1.iter().sum::<u64>().cmp(&a.1.iter().sum::<u64>()).then_with(|| a.0.cmp(&b.0)));
    if segs.len() > TOP_CHANNELS {
        let rest = segs.split_off(TOP_CHANNELS);
        let mut other = ("(other)".to_string(), vec![0; transitions], vec![0; transitions]);
        for (_, e, v) in rest {
            for i in 0..transitions {
                other.1[i] += e[i];
                other.2[i] += v[i];
            }
        }
        segs.push(other);
    }
    let by_channel = segs
        .into_iter()
        .map(|(channel, entered, converted)| {
            let rate_pct = entered.iter().zip(&converted).map(|(&e, &v)| (e > 0).then(|| pct(v, e))).collect();
            ChannelRow { channel, entered, converted, rate_pct }
        })
        .collect();
    StagesResult {
        stages: rows,
        customers: table.customer_count() as u64,
        events: table.len() as u64,
        customers_none: none,
        unmapped_events: unmapped,
        uses_stage_column: stage_column.is_some(),
        has_channel: channel.is_some(),
        by_channel,
        more_values: table.event.values.len().saturating_sub(MAX_VALUES) as u64,
        values: value_stages(table, model, &stages, &sources),
        notes: {
            let mut notes = model_notes(model);
            if channel.is_none() && model.rules.iter().any(|r| r.channel) {
                notes.push("This data has no channel column: the channel: rules match nothing.".into());
            }
            notes
        },
    }
}

/// [`compute_with`] the table's own stage column.
pub fn compute(table: &EventTable, model: &StageModel) -> StagesResult {
    compute_with(table, model, table.stage.as_ref())
}

/// Every event value with the stage most of its rows get.
fn value_stages(table: &EventTable, model: &StageModel, stages: &[u16], sources: &[u64]) -> Vec<ValueStage> {
    let k = model.stages.len();
    let n = table.event.values.len();
    // Per event code: rows per stage, unmapped last.
    let mut counts = vec![0u64; n * (k + 1)];
    for (r, &s) in stages.iter().enumerate() {
        let e = table.event.code(r) as usize;
        counts[e * (k + 1) + if s == NONE { k } else { s as usize }] += 1;
    }
    const ORDER: [Source; 5] = [Source::Rule, Source::Channel, Source::Data, Source::Keyword, Source::None];
    let mut out: Vec<ValueStage> = table
        .event
        .values
        .iter()
        .enumerate()
        .map(|(e, value)| {
            let row = &counts[e * (k + 1)..(e + 1) * (k + 1)];
            let best = (0..=k).max_by(|&a, &b| row[a].cmp(&row[b]).then(b.cmp(&a))).unwrap_or(k);
            let by = &sources[e * 5..e * 5 + 5];
            let source = (0..5).max_by(|&a, &b| by[a].cmp(&by[b]).then(b.cmp(&a))).map_or(Source::None, |i| ORDER[i]);
            ValueStage {
                value: value.clone(),
                events: row.iter().sum(),
                stage: (best < k).then(|| model.stages[best].clone()),
                source,
                mixed: row.iter().filter(|&&x| x > 0).count() > 1,
            }
        })
        .collect();
    sort_by(&mut out, &|a, b| b.events.cmp(&a.events).then_with(|| a.value.cmp(&b.value)));
    out.truncate(MAX_VALUES);
    out
}

/// One row per customer: `customer_id,furthest_stage,furthest_stage_number`, then per stage
/// `<stage>_first_at,<stage>_channel` (the time and channel of the entry event; empty when the
/// stage was not reached). Ordered by furthest stage (none first), then by customer (order of
/// first appearance). Stage names in the header are lower-cased with other characters as `_`.
pub fn customers_csv(table: &EventTable, model: &StageModel, stage_column: Option<&Column>) -> String {
    let k = model.stages.len();
    let stages = assign(table, model, stage_column);
    let mut out = String::from("customer_id,furthest_stage,furthest_stage_number");
    for s in &model.stages {
        let h = normalise(s);
        out.push_str(&format!(",{}_first_at,{}_channel", csv_field(&h), csv_field(&h)));
    }
    out.push('\n');
    let mut lines: Vec<(usize, usize, String)> = Vec::new();
    walk(table, &stages, k, |c, w| {
        let f = (0..k).rev().find(|&i| w.entry[i].is_some());
        let mut line = format!(
            "{},{},{}",
            csv_field(&table.customers.id(c)),
            f.map_or("(none)".to_string(), |f| csv_field(&model.stages[f])),
            f.map_or(0, |f| f + 1)
        );
        for e in &w.entry {
            match e {
                Some(r) => {
                    let ch = table.channel.as_ref().map_or(String::new(), |col| csv_field(col.value(*r)));
                    line.push_str(&format!(",{},{}", format_timestamp(table.ts.at(*r)), ch));
                }
                None => line.push_str(",,"),
            }
        }
        line.push('\n');
        lines.push((f.map_or(0, |f| f + 1), c, line));
    });
    sort_by(&mut lines, &|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, _, l) in lines {
        out.push_str(&l);
    }
    out
}

/// The downloadable JSON document (`touchpath.stages.v1`, README "Stages JSON").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagesExport {
    pub schema: String,
    pub data: String,
    pub model: StageModel,
    pub result: StagesResult,
}

impl StagesExport {
    pub fn new(data: &str, model: &StageModel, result: &StagesResult) -> StagesExport {
        StagesExport {
            schema: "touchpath.stages.v1".into(),
            data: data.into(),
            model: model.clone(),
            result: result.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::table::table_of;

    #[test]
    fn keywords_match_at_word_starts() {
        let cases = [
            ("site_visit", Some("awareness")),
            ("ad_impression", Some("awareness")),
            ("email_open", Some("awareness")),
            ("product_view", Some("consideration")),
            ("add_to_cart", Some("consideration")),
            ("webinar_attended", Some("consideration")),
            ("newsletter_signup", Some("consideration")),
            ("checkout", Some("purchase")),
            ("Order Completed", Some("purchase")),
            ("purchase", Some("purchase")),
            ("repeat_purchase", Some("retention")),
            ("reorder", Some("retention")),
            ("support_call", Some("retention")),
            ("review_posted", Some("advocacy")),
            ("referral_sent", Some("advocacy")),
            ("ProductViewed", Some("consideration")),
            ("preview", None),
            ("scroll", None),
            ("", None),
        ];
        for (event, want) in cases {
            assert_eq!(default_stage(event), want, "{event}");
        }
        assert_eq!(normalise("Add--To Cart"), "add_to_cart");
        assert_eq!(normalise("checkoutStarted"), "checkout_started");
    }

    #[test]
    fn first_rule_wins_and_channel_rules_compete_by_order() {
        let t = table_of(&[("a", 1, "visit"), ("a", 2, "x"), ("a", 3, "buy")]);
        let mut m = StageModel::default();
        m.rules.push(StageRule { pattern: "x*".into(), channel: false, stage: "Retention".into() });
        m.rules.push(StageRule { pattern: "*".into(), channel: false, stage: "advocacy".into() });
        assert_eq!(assign(&t, &m, None), vec![4, 3, 4]);
        m.set_value_rule("visit", false, Some(""));
        assert_eq!(assign(&t, &m, None), vec![NONE, 3, 4]);
        let col = stage_column(&t, &m);
        assert_eq!(col.values.last().map(String::as_str), Some(NO_STAGE));
        assert_eq!(col.codes, vec![5, 3, 4]);
    }

    #[test]
    fn set_stages_drops_repeats_and_blanks() {
        let mut m = StageModel::default();
        let dropped = m.set_stages(["Lead", " ", "lead", "Customer"]);
        assert_eq!(m.stages, ["Lead", "Customer"]);
        assert_eq!(dropped.len(), 1);
        assert_eq!(m.index_of("CUSTOMER "), Some(1));
        assert!(m.set_stages([""]).is_empty());
        assert_eq!(m.stages, ["Lead", "Customer"], "an empty list keeps the stages");
    }
}
