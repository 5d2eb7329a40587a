//! The view state and its readable URL-fragment form.
//!
//! `#view=funnel&by=event&steps=catalog,cart,payment_done&window=7d&data=exports/q3.csv&col.id=user`
//!
//! Keys are documented in README ("Share links"). Values are percent-encoded
//! only where they must be (`%`, `&`, `=`, `,`, `#`, `+`, spaces, control and
//! non-ASCII characters), so links stay hand-editable; `+` is never a space.
//! Unknown keys are kept and written back, so links from newer versions survive.

use super::attribution::{AttributionQuery, Conversion};
use super::funnel::{Breakdown, Count, Dimension, Exclusion, FunnelQuery, Order, Trend};
use super::paths::{format_date, parse_date, Direction, Grain, Merge, PathQuery, Rule};
use super::schema::{ColumnOverrides, Preset, Role};
use super::session::SessionSource;
use super::stages::{StageModel, StageRule};
use super::time::Duration;

/// Everything a share link carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewState {
    /// The view shown: `funnel` or `paths`. The keys `by` and `steps` belong to it.
    pub view: String,
    pub funnel: FunnelQuery,
    pub paths: PathQuery,
    pub attribution: AttributionQuery,
    /// The attribution view shows conversion value rather than conversions (`metric=value`).
    pub attribution_value: bool,
    /// A data file to load by URL (relative to the page, or absolute).
    pub data: Option<String>,
    /// Column-mapping corrections by header name.
    pub columns: ColumnOverrides,
    /// Keep exact duplicate rows (`dups=keep`); by default they are dropped.
    pub keep_duplicates: bool,
    /// At most this many workers read a large file at once (`workers=1` … `workers=8`); `None`:
    /// one per core.
    pub workers: Option<u32>,
    /// The export format to read files as (`preset=ga4`); `None` detects it.
    pub preset: Option<Preset>,
    /// Merge anonymous ids into the known id they are linked to (`stitch=1`).
    pub stitch: bool,
    /// Column names for files without a header line (`names=customer_id,timestamp,event`);
    /// an empty name keeps `column_N`.
    pub names: Vec<String>,
    /// Further columns kept as dimensions, by header name (`keep=plan,country`; `keep=` keeps
    /// none); `None` keeps the columns named as common dimensions (country, device, campaign, …).
    pub keep: Option<Vec<String>>,
    /// Two columns, by header name, whose values link an anonymous id to a known id
    /// (`stitch_pair=anonymous_id:email`).
    pub stitch_pair: Option<(String, String)>,
    /// The lifecycle-stage model (`stages=`, `stage_map=`; every view, as funnels and paths
    /// `by=stage` use it on data without a stage column).
    pub stages: StageModel,
    /// Keys this version does not know, kept in order.
    pub other: Vec<(String, String)>,
}

impl ViewState {
    /// Parses a fragment (with or without the leading `#`). Values that cannot
    /// be used are dropped and described in the returned warnings.
    pub fn from_fragment(fragment: &str) -> (ViewState, Vec<String>) {
        let mut v = ViewState { view: "funnel".into(), ..Default::default() };
        let mut warnings = Vec::new();
        let pairs: Vec<(&str, &str)> = fragment
            .trim_start_matches('#')
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .collect();
        // `by` and `steps` mean other things in the paths view: read the view first.
        if let Some((_, raw)) = pairs.iter().rev().find(|(k, _)| decode(k) == "view") {
            v.view = decode(raw);
        }
        let paths = v.view == "paths";
        let attr = v.view == "attribution";
        for (k, raw) in pairs {
            let key = decode(k);
            if attr {
                if let Some(w) = v.attribution_key(&key, &decode(raw)) {
                    warnings.extend(w);
                    continue;
                }
            }
            match key.as_str() {
                "view" => {}
                "stages" => {
                    let names: Vec<String> = raw.split(',').map(decode).collect();
                    for d in v.stages.set_stages(names.iter().map(String::as_str)) {
                        warnings.push(format!("stages: {d}"));
                    }
                }
                "stage_map" => match parse_stage_rules(raw) {
                    Some(rules) => v.stages.rules = rules,
                    None => warnings.push(format!(
                        "stage_map={} should be rules like value:stage or channel:value:stage, comma-separated",
                        decode(raw)
                    )),
                },
                "by" if paths => {
                    let by = decode(raw);
                    match parse_paths_by(&by) {
                        Some((d, with_event)) => {
                            v.paths.by = d;
                            v.paths.with_event |= with_event;
                        }
                        None => warnings.push(format!(
                            "by={by} is not a dimension (use event, channel, stage, a kept column, or one of them with _event)"
                        )),
                    }
                }
                "with" if paths => match decode(raw).as_str() {
                    "event" => v.paths.with_event = true,
                    other => warnings.push(format!("with={other} should be event (steps combined with the event)")),
                },
                "steps" if paths => match decode(raw).parse::<usize>() {
                    Ok(n) if (1..=50).contains(&n) => v.paths.steps = n,
                    _ => warnings.push(format!("steps={} should be a number of steps from 1 to 50", decode(raw))),
                },
                "top" if paths => match decode(raw).parse::<usize>() {
                    Ok(n) if n >= 1 => v.paths.top = n,
                    _ => warnings.push(format!("top={} should be a number of values from 1", decode(raw))),
                },
                "collapse" if paths => v.paths.collapse = decode(raw) != "0",
                "from" if paths => v.paths.from = Some(decode(raw)).filter(|f| !f.is_empty()),
                "to" if paths => v.paths.to = Some(decode(raw)).filter(|f| !f.is_empty()),
                "grain" if paths => match Grain::from_key(&decode(raw)) {
                    Some(g) => v.paths.grain = g,
                    None => warnings
                        .push(format!("grain={} is not a choice (customer, session or conversion)", decode(raw))),
                },
                "session_gap" if paths => match Duration::parse(&decode(raw)) {
                    Ok(d) => v.paths.session_gap = d,
                    Err(e) => warnings.push(e.replace("window", "session_gap")),
                },
                "sessions" => match SessionSource::from_key(&decode(raw)) {
                    Some(src) if paths => v.paths.sessions = src,
                    Some(src) => v.funnel.sessions = src,
                    None => warnings.push(format!("sessions={} is not a choice (column or gap)", decode(raw))),
                },
                "merge" if paths => match parse_rules(raw) {
                    Some(rules) => {
                        v.paths.merge = rules
                            .into_iter()
                            .map(|(from, name)| Merge { values: from.split('+').map(decode).collect(), name })
                            .collect()
                    }
                    None => {
                        warnings.push(format!("merge={} should be rules like a+b:name, comma-separated", decode(raw)))
                    }
                },
                "rewrite" if paths => match parse_rules(raw) {
                    Some(rules) => {
                        v.paths.rewrite =
                            rules.into_iter().map(|(pattern, to)| Rule { pattern: decode(pattern), to }).collect()
                    }
                    None => warnings
                        .push(format!("rewrite={} should be rules like pattern:name, comma-separated", decode(raw))),
                },
                "direction" if paths => match Direction::from_key(&decode(raw)) {
                    Some(d) => v.paths.direction = d,
                    None => warnings.push(format!("direction={} is not a choice (forward or backward)", decode(raw))),
                },
                "since" | "until" if paths => match parse_date(&decode(raw)) {
                    Some(d) if key == "since" => v.paths.since = Some(d),
                    Some(d) => v.paths.until = Some(d),
                    None => warnings.push(format!("{key}={} should be a date like 2024-05-31", decode(raw))),
                },
                "touched" if paths => v.paths.touched = Some(decode(raw)).filter(|t| !t.is_empty()),
                "min_share" if paths => match decode(raw).parse::<f64>() {
                    Ok(x) if (0.0..=100.0).contains(&x) => v.paths.min_share = (x * 100.0).round() as u32,
                    _ => warnings.push(format!("min_share={} should be a percent from 0 to 100", decode(raw))),
                },
                "hide" if paths => v.paths.hide = raw.split(',').filter(|s| !s.is_empty()).map(decode).collect(),
                "converted" if paths => match decode(raw).as_str() {
                    "1" => v.paths.converted = Some(true),
                    "0" => v.paths.converted = Some(false),
                    other => warnings.push(format!("converted={other} is not a choice (use 1 or 0)")),
                },
                // An empty value means "no conversion event" (absent: the default).
                "conv" if paths => v.paths.conversion = Some(decode(raw)),
                "by" => match Dimension::from_key(&decode(raw)) {
                    Some(d) => v.funnel.by = d,
                    None => warnings.push(format!(
                        "by={} is not a dimension (use event, channel, stage or a kept column)",
                        decode(raw)
                    )),
                },
                "steps" => v.funnel.steps = raw.split(',').filter(|s| !s.is_empty()).map(decode).collect(),
                "order" => match Order::from_key(&decode(raw)) {
                    Some(o) => v.funnel.order = o,
                    None => warnings.push(format!("order={} is not a choice (ordered, strict or any)", decode(raw))),
                },
                "count" => match Count::from_key(&decode(raw)) {
                    Some(c) => v.funnel.count = c,
                    None => {
                        warnings.push(format!("count={} is not a choice (customers, sessions or totals)", decode(raw)))
                    }
                },
                "session_gap" => match Duration::parse(&decode(raw)) {
                    Ok(d) => v.funnel.session_gap = Some(d),
                    Err(e) => warnings.push(e.replace("window", "session_gap")),
                },
                "breakdown" if raw.is_empty() => v.funnel.breakdown = None,
                "breakdown" => match Breakdown::from_key(&decode(raw)) {
                    Some(b) => v.funnel.breakdown = Some(b),
                    None => warnings.push(format!(
                        "breakdown={} is not a choice (first_channel, last_channel, first_stage, step2_event, …)",
                        decode(raw)
                    )),
                },
                "insight" if raw.is_empty() => v.funnel.insight = None,
                "insight" => match decode(raw).parse::<usize>() {
                    Ok(n) if n >= 1 => v.funnel.insight = Some(n - 1),
                    _ => warnings.push(format!("insight={} should be a step number from 1", decode(raw))),
                },
                "ttc_from" => match decode(raw).parse::<usize>() {
                    Ok(n) if n >= 1 => v.funnel.ttc_from = (n > 1).then_some(n - 1),
                    _ => warnings.push(format!("ttc_from={} should be a step number from 1", decode(raw))),
                },
                "ttc" => match decode(raw).parse::<usize>() {
                    Ok(n) if n >= 2 => v.funnel.ttc_to = Some(n - 1),
                    _ => warnings.push(format!("ttc={} should be a step number from 2", decode(raw))),
                },
                "trend" if raw.is_empty() => v.funnel.trend = None,
                "trend" => match Trend::from_key(&decode(raw)) {
                    Some(t) => v.funnel.trend = Some(t),
                    None => warnings.push(format!("trend={} is not a choice (day, week or month)", decode(raw))),
                },
                "open" => match decode(raw).as_str() {
                    "1" => v.funnel.open = true,
                    "0" => v.funnel.open = false,
                    other => warnings.push(format!("open={other} is not a choice (use 1 or 0)")),
                },
                "optional" => {
                    for part in raw.split(',').filter(|p| !p.is_empty()) {
                        match part.parse::<usize>() {
                            Ok(n) if n >= 2 => v.funnel.optional.push(n - 1),
                            _ => warnings.push(format!("optional={part} should be a step number from 2")),
                        }
                    }
                    v.funnel.optional.sort_unstable();
                    v.funnel.optional.dedup();
                }
                "exclude" => {
                    for part in raw.split(',').filter(|p| !p.is_empty()) {
                        match parse_exclusion(part) {
                            Some(e) => v.funnel.exclusions.push(e),
                            None => warnings.push(format!(
                                "exclude={} should be a value and two steps, e.g. refund:1-3",
                                decode(part)
                            )),
                        }
                    }
                }
                "window" if raw.is_empty() => {}
                "window" => match Duration::parse(&decode(raw)) {
                    Ok(d) => v.funnel.window = Some(d),
                    Err(e) => warnings.push(e),
                },
                "data" => v.data = Some(decode(raw)).filter(|d| !d.is_empty()),
                "preset" => match Preset::from_key(&decode(raw)) {
                    Some(p) => v.preset = Some(p),
                    None => warnings.push(format!(
                        "preset={} is not a known format ({})",
                        decode(raw),
                        Preset::ALL.map(|p| p.key()).join(", ")
                    )),
                },
                "names" => {
                    v.names = raw.split(',').map(decode).map(|n| n.trim().to_string()).collect();
                    while v.names.last().is_some_and(String::is_empty) {
                        v.names.pop();
                    }
                }
                "keep" => {
                    v.keep = Some(
                        raw.split(',').map(decode).map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect(),
                    )
                }
                "stitch_pair" if raw.is_empty() => v.stitch_pair = None,
                "stitch_pair" => match raw.split_once(':').map(|(a, k)| (decode(a), decode(k))) {
                    Some((a, k)) if !a.is_empty() && !k.is_empty() && a != k => v.stitch_pair = Some((a, k)),
                    _ => warnings.push(format!(
                        "stitch_pair={} should be two different columns, anonymous_id:known_id",
                        decode(raw)
                    )),
                },
                "stitch" => match decode(raw).as_str() {
                    "1" => v.stitch = true,
                    "0" => v.stitch = false,
                    other => warnings.push(format!("stitch={other} is not a choice (use 1 or 0)")),
                },
                "workers" => match decode(raw).parse::<u32>() {
                    Ok(n @ 1..=8) => v.workers = Some(n),
                    _ => warnings.push(format!("workers={} is not a choice (use 1 to 8)", decode(raw))),
                },
                "dups" => match decode(raw).as_str() {
                    "keep" => v.keep_duplicates = true,
                    "drop" => v.keep_duplicates = false,
                    other => warnings.push(format!("dups={other} is not a choice (use keep or drop)")),
                },
                _ => match key.strip_prefix("col.").and_then(Role::from_key) {
                    Some(role) => v.columns.set(role, decode(raw)),
                    None => v.other.push((key, decode(raw))),
                },
            }
        }
        (v, warnings)
    }

    /// The fragment, without `#`, keys in a fixed order.
    pub fn to_fragment(&self) -> String {
        let mut parts = vec![format!("view={}", encode(&self.view))];
        if let Some(d) = &self.data {
            parts.push(format!("data={}", encode(d)));
        }
        if self.view == "paths" {
            let p = &self.paths;
            let (by, with) = paths_by_key(&p.by, p.with_event);
            parts.push(format!("by={}", encode(&by)));
            if with {
                parts.push("with=event".into());
            }
            if let Some(f) = &p.from {
                parts.push(format!("from={}", encode(f)));
            }
            parts.push(format!("steps={}", p.steps));
            parts.push(format!("collapse={}", u8::from(p.collapse)));
            parts.push(format!("top={}", p.top));
            if let Some(c) = &p.conversion {
                parts.push(format!("conv={}", encode(c)));
            }
            if let Some(t) = &p.to {
                parts.push(format!("to={}", encode(t)));
            }
            if p.direction != Direction::Forward {
                parts.push(format!("direction={}", p.direction.key()));
            }
            if p.grain != Grain::Customer {
                parts.push(format!("grain={}", p.grain.key()));
            }
            if p.grain == Grain::Session {
                parts.push(format!("session_gap={}", p.session_gap));
                if p.sessions != SessionSource::Column {
                    parts.push(format!("sessions={}", p.sessions.key()));
                }
            }
            if !p.hide.is_empty() {
                parts.push(format!("hide={}", p.hide.iter().map(|h| encode(h)).collect::<Vec<_>>().join(",")));
            }
            if let Some(c) = p.converted {
                parts.push(format!("converted={}", u8::from(c)));
            }
            if let Some(d) = p.since {
                parts.push(format!("since={}", format_date(d)));
            }
            if let Some(d) = p.until {
                parts.push(format!("until={}", format_date(d)));
            }
            if let Some(t) = &p.touched {
                parts.push(format!("touched={}", encode(t)));
            }
            if !p.rewrite.is_empty() {
                let rules: Vec<String> =
                    p.rewrite.iter().map(|r| format!("{}:{}", rule_part(&r.pattern), rule_part(&r.to))).collect();
                parts.push(format!("rewrite={}", rules.join(",")));
            }
            if !p.merge.is_empty() {
                let rules: Vec<String> = p
                    .merge
                    .iter()
                    .map(|m| {
                        let from: Vec<String> = m.values.iter().map(|v| rule_part(v)).collect();
                        format!("{}:{}", from.join("+"), rule_part(&m.name))
                    })
                    .collect();
                parts.push(format!("merge={}", rules.join(",")));
            }
            if p.min_share > 0 {
                parts.push(format!("min_share={}", f64::from(p.min_share) / 100.0));
            }
        } else if self.view == "attribution" {
            parts.extend(self.attribution_keys());
        } else {
            parts.push(format!("by={}", encode(&self.funnel.by.key())));
            if !self.funnel.steps.is_empty() {
                // `|` separates a step's alternatives: kept readable (it decodes the same).
                let steps: Vec<String> = self.funnel.steps.iter().map(|s| encode(s).replace("%7C", "|")).collect();
                parts.push(format!("steps={}", steps.join(",")));
            }
            if let Some(w) = self.funnel.window {
                parts.push(format!("window={w}"));
            }
            if self.funnel.order != Order::Ordered {
                parts.push(format!("order={}", self.funnel.order.key()));
            }
            if self.funnel.open {
                parts.push("open=1".into());
            }
            if let Some(b) = &self.funnel.breakdown {
                parts.push(format!("breakdown={}", encode(&b.key())));
            }
            if let Some(t) = self.funnel.trend {
                parts.push(format!("trend={}", t.key()));
            }
            if let Some(j) = self.funnel.ttc_from {
                parts.push(format!("ttc_from={}", j + 1));
            }
            if let Some(j) = self.funnel.ttc_to {
                parts.push(format!("ttc={}", j + 1));
            }
            if let Some(j) = self.funnel.insight {
                parts.push(format!("insight={}", j + 1));
            }
            if self.funnel.count != Count::Customers {
                parts.push(format!("count={}", self.funnel.count.key()));
            }
            if let (Count::Sessions, Some(g)) = (self.funnel.count, self.funnel.session_gap) {
                parts.push(format!("session_gap={g}"));
            }
            if self.funnel.count == Count::Sessions && self.funnel.sessions != SessionSource::Column {
                parts.push(format!("sessions={}", self.funnel.sessions.key()));
            }
            if !self.funnel.optional.is_empty() {
                let o: Vec<String> = self.funnel.optional.iter().map(|j| (j + 1).to_string()).collect();
                parts.push(format!("optional={}", o.join(",")));
            }
            if !self.funnel.exclusions.is_empty() {
                let e: Vec<String> = self
                    .funnel
                    .exclusions
                    .iter()
                    .map(|e| format!("{}:{}-{}", encode(&e.value), e.from + 1, e.to + 1))
                    .collect();
                parts.push(format!("exclude={}", e.join(",")));
            }
        }
        if !self.stages.default_stages() {
            let names: Vec<String> = self.stages.stages.iter().map(|s| encode(s)).collect();
            parts.push(format!("stages={}", names.join(",")));
        }
        if !self.stages.rules.is_empty() {
            let rules: Vec<String> = self.stages.rules.iter().map(stage_rule_text).collect();
            parts.push(format!("stage_map={}", rules.join(",")));
        }
        if let Some(p) = self.preset {
            parts.push(format!("preset={}", p.key()));
        }
        if self.keep_duplicates {
            parts.push("dups=keep".into());
        }
        if let Some(n) = self.workers {
            parts.push(format!("workers={n}"));
        }
        if self.stitch {
            parts.push("stitch=1".into());
        }
        if let Some((a, k)) = &self.stitch_pair {
            parts.push(format!("stitch_pair={}:{}", rule_part(a), rule_part(k)));
        }
        if !self.names.is_empty() {
            parts.push(format!("names={}", self.names.iter().map(|n| encode(n)).collect::<Vec<_>>().join(",")));
        }
        if let Some(keep) = &self.keep {
            parts.push(format!("keep={}", keep.iter().map(|n| encode(n)).collect::<Vec<_>>().join(",")));
        }
        for (role, header) in &self.columns.0 {
            parts.push(format!("col.{}={}", role.key(), encode(header)));
        }
        for (k, val) in &self.other {
            parts.push(format!("{}={}", encode(k), encode(val)));
        }
        parts.join("&")
    }
}

impl ViewState {
    /// Reads one attribution key: `None` when `key` is not one, else the warnings it gives.
    fn attribution_key(&mut self, key: &str, val: &str) -> Option<Vec<String>> {
        let a = &mut self.attribution;
        let mut warn = Vec::new();
        match key {
            "by" => match Dimension::from_key(val) {
                Some(d) => a.by = d,
                None => warn.push(format!("by={val} is not a dimension (use channel, event, stage or a kept column)")),
            },
            "conv" => {
                if !matches!(a.conversion, Conversion::Revenue) {
                    a.conversion = Conversion::Event(val.to_string());
                }
            }
            "conv_by" => match val {
                "revenue" => a.conversion = Conversion::Revenue,
                "event" => {
                    if a.conversion == Conversion::Revenue {
                        a.conversion = Conversion::default();
                    }
                }
                _ => warn.push(format!("conv_by={val} is not a choice (event or revenue)")),
            },
            "lookback" if val.is_empty() => a.lookback = None,
            "lookback" => match Duration::parse(val) {
                Ok(d) => a.lookback = Some(d),
                Err(e) => warn.push(e.replace("window", "lookback")),
            },
            "exclude_conv" => a.exclude_conversion_touch = val == "1",
            "collapse" => a.collapse = val != "0",
            "position" => {
                let parts: Vec<Option<u8>> = val.split(',').map(|p| p.trim().parse::<u8>().ok()).collect();
                match parts.as_slice() {
                    [Some(f), Some(l)] if u16::from(*f) + u16::from(*l) <= 100 => a.position = [*f, *l],
                    _ => warn.push(format!(
                        "position={val} should be the first and last touch's percent, e.g. 40,40 (at most 100 together)"
                    )),
                }
            }
            "half_life" => match Duration::parse(val) {
                Ok(d) => a.half_life = d,
                Err(e) => warn.push(e.replace("window", "half_life")),
            },
            "markov" => match val.parse::<u8>() {
                Ok(o @ 1..=3) => a.markov_order = o,
                _ => warn.push(format!("markov={val} should be the Markov order: 1, 2 or 3")),
            },
            "metric" => match val {
                "conversions" => self.attribution_value = false,
                "value" => self.attribution_value = true,
                _ => warn.push(format!("metric={val} is not a choice (conversions or value)")),
            },
            _ => return None,
        }
        Some(warn)
    }

    /// The attribution view's keys, in a fixed order (defaults left out, but for `by`).
    fn attribution_keys(&self) -> Vec<String> {
        let a = &self.attribution;
        let d = AttributionQuery::default();
        let mut parts = vec![format!("by={}", encode(&a.by.key()))];
        match &a.conversion {
            Conversion::Revenue => parts.push("conv_by=revenue".into()),
            Conversion::Event(e) if !e.is_empty() => parts.push(format!("conv={}", encode(e))),
            Conversion::Event(_) => {}
        }
        if let Some(l) = a.lookback {
            parts.push(format!("lookback={l}"));
        }
        if a.exclude_conversion_touch {
            parts.push("exclude_conv=1".into());
        }
        if a.collapse != d.collapse {
            parts.push(format!("collapse={}", u8::from(a.collapse)));
        }
        if a.position != d.position {
            parts.push(format!("position={},{}", a.position[0], a.position[1]));
        }
        if a.half_life != d.half_life {
            parts.push(format!("half_life={}", a.half_life));
        }
        if a.markov_order != d.markov_order {
            parts.push(format!("markov={}", a.markov_order));
        }
        if self.attribution_value {
            parts.push("metric=value".into());
        }
        parts
    }
}

/// Reads `lhs:rhs,lhs:rhs` (raw, still encoded): the left sides raw, the right sides decoded.
/// `:`, `,` and `+` inside values are percent-encoded, so the split is unambiguous.
fn parse_rules(raw: &str) -> Option<Vec<(&str, String)>> {
    raw.split(',')
        .filter(|r| !r.is_empty())
        .map(|r| r.split_once(':').filter(|(l, _)| !l.is_empty()).map(|(l, n)| (l, decode(n))))
        .collect()
}

/// Reads `stage_map=` (raw, still encoded): rules `pattern:stage`, split at the last `:` (a `:` in
/// a value or stage is `%3A`); a pattern `channel:…` is a channel rule, `event:…` an event rule
/// (for an event value that itself starts with `channel:`). `pattern=>stage` is read too. An
/// empty stage maps to no stage.
fn parse_stage_rules(raw: &str) -> Option<Vec<StageRule>> {
    raw.split(',')
        .filter(|r| !r.is_empty())
        .map(|r| {
            let (lhs, stage) =
                match r.split_once("=>").or_else(|| r.split_once("=%3E")).or_else(|| r.split_once("=%3e")) {
                    Some(p) => p,
                    None => r.rsplit_once(':')?,
                };
            let (channel, pattern) = match lhs.strip_prefix("channel:") {
                Some(p) => (true, p),
                None => (false, lhs.strip_prefix("event:").unwrap_or(lhs)),
            };
            let pattern = decode(pattern);
            (!pattern.is_empty()).then(|| StageRule { pattern, channel, stage: decode(stage) })
        })
        .collect()
}

/// One `stage_map=` rule as written in the fragment.
fn stage_rule_text(r: &StageRule) -> String {
    let prefix = if r.channel {
        "channel:"
    } else if r.pattern.starts_with("channel:") || r.pattern.starts_with("event:") {
        "event:"
    } else {
        ""
    };
    format!("{prefix}{}:{}", rule_part(&r.pattern), rule_part(&r.stage))
}

/// A value inside a `merge` or `rewrite` rule: encoded, `:` included.
fn rule_part(s: &str) -> String {
    encode(s).replace(':', "%3A")
}

/// One `exclude=` item, still percent-encoded: `value:i-j` (1-based steps, `i < j`). The range is
/// split at the last `:`, so a value may itself hold `:`.
fn parse_exclusion(raw: &str) -> Option<Exclusion> {
    let (value, range) = raw.rsplit_once(':')?;
    let (i, j) = range.split_once('-')?;
    let (i, j) = (i.parse::<usize>().ok()?, j.parse::<usize>().ok()?);
    let value = decode(value);
    (i >= 1 && i < j && !value.is_empty()).then(|| Exclusion { value, from: i - 1, to: j - 1 })
}

fn keep(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~:/@!$'()*;?[]".contains(&b)
}

/// Percent-encodes what would break the fragment syntax.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid escapes stay as written; invalid UTF-8 is replaced).
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(hi), Some(lo)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(hi * 16 + lo);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The paths view's `by=` value, and whether `with=event` must follow it: the dimension's key,
/// with `_event` appended for steps combined with the event (`channel_event`, `device_event`).
/// A kept column whose name ends in `_event` would then read as combined, so such a key is
/// written `col:<name>`; a `col:` key combined is followed by `with=event` instead.
pub fn paths_by_key(by: &Dimension, with_event: bool) -> (String, bool) {
    let key = by.key();
    let escaped =
        if key.starts_with("col:") || !key.ends_with("_event") { key.to_string() } else { format!("col:{key}") };
    match (with_event && *by != Dimension::Event, escaped.starts_with("col:")) {
        (false, _) => (escaped, false),
        (true, false) => (format!("{escaped}_event"), false),
        (true, true) => (escaped, true),
    }
}

/// Reads a paths `by=` value written by [`paths_by_key`] (`with=event` is read apart): the
/// dimension and whether its values are combined with the event.
pub fn parse_paths_by(by: &str) -> Option<(Dimension, bool)> {
    if by.starts_with("col:") {
        return Dimension::from_key(by).map(|d| (d, false));
    }
    match by.strip_suffix("_event") {
        Some(base) if !base.is_empty() && base != "event" => Dimension::from_key(base).map(|d| (d, true)),
        _ => Dimension::from_key(by).map(|d| (d, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::TimeUnit;

    #[test]
    fn parses_the_documented_example() {
        let (v, w) = ViewState::from_fragment("#view=funnel&by=event&steps=catalog,cart,payment_done&window=7d");
        assert!(w.is_empty());
        assert_eq!(v.view, "funnel");
        assert_eq!(v.funnel.steps, vec!["catalog", "cart", "payment_done"]);
        assert_eq!(v.funnel.window, Some(Duration { amount: 7, unit: TimeUnit::Day }));
        assert_eq!(v.data, None);
    }

    #[test]
    fn round_trips_awkward_values() {
        let mut v = ViewState { view: "funnel".into(), ..Default::default() };
        v.funnel.by = Dimension::Channel;
        v.funnel.steps = vec!["a,b".into(), "x&y=z".into(), "50% off".into(), "café #1+2".into()];
        v.funnel.window = Some(Duration { amount: 10, unit: TimeUnit::Minute });
        v.funnel.order = Order::Strict;
        v.data = Some("https://host/exports/q3.csv?x=1&y=2".into());
        v.columns.set(Role::Id, "User ID".into());
        v.other.push(("future".into(), "thing".into()));
        v.keep_duplicates = true;
        v.preset = Some(Preset::Ga4);
        v.stitch = true;
        v.names = vec!["customer_id".into(), String::new(), "a,b".into()];
        v.stitch_pair = Some(("case:id".into(), "e-mail".into()));
        let f = v.to_fragment();
        assert!(f.contains("&stitch_pair=case%3Aid:e-mail&names=customer_id,,a%2Cb&"), "{f}");
        assert!(f.contains("steps=a%2Cb,x%26y%3Dz,50%25%20off,caf%C3%A9%20%231%2B2"), "{f}");
        assert!(f.contains("data=https://host/exports/q3.csv?x%3D1%26y%3D2"), "{f}");
        let (back, w) = ViewState::from_fragment(&f);
        assert!(w.is_empty());
        assert_eq!(back, v);
    }

    #[test]
    fn the_paths_view_reads_its_own_keys() {
        // The documented example, with `view` last to show the order does not matter.
        let (v, w) = ViewState::from_fragment("#by=channel&from=email&steps=8&collapse=1&view=paths");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            v.paths,
            PathQuery {
                by: Dimension::Channel,
                steps: 8,
                collapse: true,
                from: Some("email".into()),
                ..Default::default()
            }
        );
        assert!(v.funnel.steps.is_empty(), "steps=8 is not a funnel step here");
        assert_eq!(ViewState::from_fragment(&v.to_fragment()).0, v);
        let (v, w) = ViewState::from_fragment("view=paths&grain=session&session_gap=45m");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((v.paths.grain, v.paths.session_gap.to_string()), (Grain::Session, "45m".to_string()));
        assert_eq!(ViewState::from_fragment(&v.to_fragment()).0, v);
        let (v, w) = ViewState::from_fragment("view=paths&from=ad&to=buy&hide=direct,a%2Cb&converted=0");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((v.paths.to.as_deref(), v.paths.converted), (Some("buy"), Some(false)));
        assert_eq!(v.paths.hide, ["direct", "a,b"]);
        assert_eq!(ViewState::from_fragment(&v.to_fragment()).0, v);
        let (_, w) = ViewState::from_fragment("view=paths&steps=0");
        assert_eq!(w.len(), 1);
        // Cleaning: rewrite rules (`:` inside a value encoded), merges (`+` between values), share.
        let f = "view=paths&rewrite=/product/*:/product/%3Aid,utm_*:campaign&merge=ads+display:paid,a%2Bb+c:x%3Ay&min_share=1.5";
        let (v, w) = ViewState::from_fragment(f);
        assert!(w.is_empty(), "{w:?}");
        let rule = |p: &str, t: &str| Rule { pattern: p.into(), to: t.into() };
        assert_eq!(v.paths.rewrite, [rule("/product/*", "/product/:id"), rule("utm_*", "campaign")]);
        let merge = |vs: &[&str], n: &str| Merge { values: vs.iter().map(|s| s.to_string()).collect(), name: n.into() };
        assert_eq!(v.paths.merge, [merge(&["ads", "display"], "paid"), merge(&["a+b", "c"], "x:y")]);
        assert_eq!(v.paths.min_share, 150);
        assert!(v.to_fragment().contains(f.trim_start_matches("view=paths")), "{}", v.to_fragment());
        assert_eq!(ViewState::from_fragment(&v.to_fragment()).0, v);
        let (v, w) = ViewState::from_fragment("view=paths&by=channel_event");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((&v.paths.by, v.paths.with_event), (&Dimension::Channel, true));
        assert!(v.to_fragment().contains("by=channel_event"));
        assert_eq!(ViewState::from_fragment(&v.to_fragment()).0, v);
        // Any other name is a kept column's (the engine says when the data keeps none such).
        let (v, w) = ViewState::from_fragment("view=paths&by=device_event");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((&v.paths.by, v.paths.with_event), (&Dimension::Attr("device".into()), true));
        assert_eq!(ViewState::from_fragment("view=paths&by=").1.len(), 1);
        // Kept columns whose names end in `_event`, or need the `col:` escape, alone and combined.
        for (name, plain, combined) in [
            ("x_event", "by=col:x_event", "by=col:x_event&with=event"),
            ("device", "by=device", "by=device_event"),
            ("channel", "by=col:channel", "by=col:channel&with=event"),
            ("col:y_event", "by=col:col:y_event", "by=col:col:y_event&with=event"),
        ] {
            for (with_event, want) in [(false, plain), (true, combined)] {
                let mut v = ViewState { view: "paths".into(), ..Default::default() };
                (v.paths.by, v.paths.with_event) = (Dimension::Attr(name.into()), with_event);
                let f = v.to_fragment();
                assert!(f.contains(&format!("{want}&")) || f.ends_with(want), "{name} {with_event}: {f}");
                let (back, w) = ViewState::from_fragment(&f);
                assert!(w.is_empty(), "{w:?}");
                assert_eq!((&back.paths.by, back.paths.with_event), (&Dimension::Attr(name.into()), with_event), "{f}");
            }
        }
        // `with=event` may come first.
        let (v, _) = ViewState::from_fragment("view=paths&with=event&by=col:x_event");
        assert_eq!((&v.paths.by, v.paths.with_event), (&Dimension::Attr("x_event".into()), true));
        let (v, w) = ViewState::from_fragment("view=paths&to=buy&direction=backward");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(v.paths.direction, Direction::Backward);
        assert!(v.to_fragment().contains("&to=buy&direction=backward"), "{}", v.to_fragment());
        assert_eq!(ViewState::from_fragment(&v.to_fragment()).0, v);
        assert!(!ViewState::default().to_fragment().contains("direction"));
        let (v, w) = ViewState::from_fragment("view=paths&since=2024-05-02&until=2024-05-04&touched=e%2Dmail%20x");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((v.paths.since, v.paths.until), (Some(19845), Some(19847)));
        assert_eq!(v.paths.touched.as_deref(), Some("e-mail x"));
        assert!(
            v.to_fragment().ends_with("&since=2024-05-02&until=2024-05-04&touched=e-mail%20x"),
            "{}",
            v.to_fragment()
        );
        assert_eq!(ViewState::from_fragment(&v.to_fragment()).0, v);
        let (v, w) = ViewState::from_fragment("view=paths&since=2024-13-01&until=yesterday");
        assert_eq!((w.len(), v.paths.since, v.paths.until), (2, None, None));
        let (v, w) = ViewState::from_fragment("view=paths&direction=up&merge=ads&rewrite=:x&min_share=101");
        assert_eq!(w.len(), 4, "{w:?}");
        assert_eq!(v.paths.direction, Direction::Forward);
        assert!(v.paths.merge.is_empty() && v.paths.rewrite.is_empty() && v.paths.min_share == 0);
    }

    #[test]
    fn step_alternatives_and_contains_stay_readable() {
        let f = "view=funnel&by=event&steps=visit,email_click|sms_click,contains:buy,a%5C|b";
        let (v, w) = ViewState::from_fragment(f);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(v.funnel.steps, ["visit", "email_click|sms_click", "contains:buy", "a\\|b"]);
        assert_eq!(v.to_fragment(), f);
        // A hand-written %7C is the same separator.
        assert_eq!(ViewState::from_fragment("steps=a%7Cb,a%5C%7Cb").0.funnel.steps, ["a|b", "a\\|b"]);
    }

    #[test]
    fn optional_steps_and_exclusions_round_trip() {
        let (v, w) = ViewState::from_fragment(
            "view=funnel&steps=visit,signup,cart,buy&open=1&optional=2&exclude=refund:1-4,a%2Cb:c:2-3",
        );
        assert!(w.is_empty(), "{w:?}");
        assert!(v.funnel.open);
        let (s, w) = ViewState::from_fragment("steps=a,b&count=sessions&session_gap=45m");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            (s.funnel.count, s.funnel.session_gap.map(|g| g.to_string())),
            (Count::Sessions, Some("45m".into()))
        );
        assert!(s.to_fragment().ends_with("&count=sessions&session_gap=45m"), "{}", s.to_fragment());
        assert_eq!(ViewState::from_fragment(&s.to_fragment()).0, s);
        assert_eq!(ViewState::from_fragment("count=totals").0.funnel.count, Count::Totals);
        assert_eq!(ViewState::from_fragment("count=every").1.len(), 1);
        let (d, w) = ViewState::from_fragment("steps=a,b,c&breakdown=step2_channel&insight=2&count=totals");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            (d.funnel.insight, d.funnel.breakdown.as_ref().map(|b| b.key())),
            (Some(1), Some("step2_channel".into()))
        );
        assert!(d.to_fragment().contains("&breakdown=step2_channel&insight=2&count=totals"), "{}", d.to_fragment());
        assert_eq!(ViewState::from_fragment(&d.to_fragment()).0, d);
        assert_eq!(ViewState::from_fragment("insight=0").1.len(), 1);
        assert_eq!(ViewState::from_fragment("breakdown=step0_event").1.len(), 1);
        let (t, w) = ViewState::from_fragment("steps=a,b&trend=week");
        assert!(w.is_empty() && t.funnel.trend == Some(Trend::Week), "{w:?}");
        assert!(t.to_fragment().ends_with("&trend=week"), "{}", t.to_fragment());
        assert_eq!(ViewState::from_fragment("trend=year").1.len(), 1);
        let (b, w) = ViewState::from_fragment("steps=a,b&breakdown=last_channel");
        assert!(w.is_empty() && b.funnel.breakdown == Some(Breakdown::LAST_CHANNEL), "{w:?}");
        assert_eq!(ViewState::from_fragment(&b.to_fragment()).0, b);
        assert_eq!(v.funnel.optional, [1]);
        assert_eq!(
            v.funnel.exclusions,
            vec![
                Exclusion { value: "refund".into(), from: 0, to: 3 },
                Exclusion { value: "a,b:c".into(), from: 1, to: 2 }
            ]
        );
        let f = v.to_fragment();
        assert!(f.contains("&open=1&optional=2&exclude=refund:1-4,a%2Cb:c:2-3"), "{f}");
        assert_eq!(ViewState::from_fragment(&f).0, v);
        // Step 1 cannot be optional; a range must go forward.
        let (v, w) = ViewState::from_fragment("steps=a,b&optional=1,x&exclude=r:2-1,r,r:0-2");
        assert_eq!((v.funnel.optional.len(), v.funnel.exclusions.len(), w.len()), (0, 0, 5), "{w:?}");
    }

    #[test]
    fn bad_values_warn_and_are_dropped() {
        let (v, w) = ViewState::from_fragment("window=7x&by=&steps=a");
        assert_eq!(v.funnel.window, None);
        assert_eq!(v.funnel.by, Dimension::Event);
        assert_eq!(v.funnel.steps, vec!["a"]);
        assert_eq!(w.len(), 2);
        // A name that is no built-in dimension is a kept column's; `col:` spells one named as a built-in.
        let (v, w) = ViewState::from_fragment("by=planet&breakdown=step1_col:event&keep=planet,col:event");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(v.funnel.by, Dimension::Attr("planet".into()));
        assert_eq!(v.funnel.breakdown.as_ref().map(|b| b.by.clone()), Some(Dimension::Attr("event".into())));
        assert_eq!(v.keep, Some(vec!["planet".to_string(), "col:event".to_string()]));
        assert!(v.to_fragment().contains("by=planet&"), "{}", v.to_fragment());
        assert_eq!(ViewState::from_fragment("keep=").0.keep, Some(vec![]));
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%41"), "%zzA");
        assert_eq!(decode("%é%"), "%é%");
        let (v, w) = ViewState::from_fragment("stitch_pair=a&names=x,,");
        assert_eq!((v.stitch_pair, v.names, w.len()), (None, vec!["x".to_string()], 1));
        assert_eq!(ViewState::from_fragment("stitch_pair=a:a").1.len(), 1);
    }
}
