//! Column roles and their detection from header names.

use serde::{Deserialize, Serialize};

/// What a column means to Touchpath.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Id,
    Time,
    Event,
    Channel,
    Stage,
    Revenue,
    /// A session id: with the customer id it names one session (`count=sessions`, `grain=session`).
    Session,
}

impl Role {
    pub const ALL: [Role; 7] =
        [Role::Id, Role::Time, Role::Event, Role::Channel, Role::Stage, Role::Revenue, Role::Session];

    /// The key used in URLs and JSON (`id`, `time`, ...).
    pub fn key(self) -> &'static str {
        match self {
            Role::Id => "id",
            Role::Time => "time",
            Role::Event => "event",
            Role::Channel => "channel",
            Role::Stage => "stage",
            Role::Revenue => "revenue",
            Role::Session => "session",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    /// A human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Role::Id => "Customer id",
            Role::Time => "Timestamp",
            Role::Event => "Event",
            Role::Channel => "Channel",
            Role::Stage => "Stage",
            Role::Revenue => "Revenue",
            Role::Session => "Session",
        }
    }

    pub fn required(self) -> bool {
        matches!(self, Role::Id | Role::Time | Role::Event)
    }

    /// Normalised header names recognised for this role, best first.
    fn candidates(self) -> &'static [&'static str] {
        match self {
            Role::Id => &[
                "customer_id",
                "customerid",
                "customer",
                "user_id",
                "userid",
                "user",
                "visitor_id",
                "visitorid",
                "visitor",
                "client_id",
                "person_id",
                "distinct_id",
                "contact_id",
                "account_id",
                "anonymous_id",
                "user_pseudo_id",
                "case_concept_name",
                "case_id",
                "id",
            ],
            Role::Time => &[
                "timestamp",
                "time",
                "event_time",
                "event_timestamp",
                "datetime",
                "date_time",
                "time_timestamp",
                "ts",
                "occurred_at",
                "created_at",
                "event_date",
                "date",
            ],
            Role::Event => &[
                "event",
                "event_name",
                "event_type",
                "action",
                "touchpoint",
                "activity",
                "concept_name",
                "type",
                "name",
            ],
            Role::Channel => &[
                "channel",
                "channel_group",
                "default_channel_group",
                "source",
                "utm_source",
                "medium",
                "utm_medium",
                "traffic_source",
            ],
            Role::Stage => &["stage", "lifecycle_stage", "journey_stage", "funnel_stage"],
            Role::Revenue => &["revenue", "value", "amount", "conversion_value", "order_value", "price"],
            // Amplitude `session_id`, GA4 `event_params[key=ga_session_id]`, the clickstream's
            // `user_session`, Snowplow `domain_sessionid`, Adobe `visit_num` (with the visitor).
            Role::Session => &[
                "session_id",
                "sessionid",
                "ga_session_id",
                "user_session",
                "domain_sessionid",
                "visit_id",
                "visitid",
                "visit_num",
            ],
        }
    }
}

/// Lower-cases a header and folds every run of non-alphanumerics into `_`.
pub fn normalise_header(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    for c in h.trim().trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// The last segment of a flattened path: after the last `.`, or the key of a trailing `[key=…]`.
pub fn last_segment(h: &str) -> &str {
    if let Some(inner) = h.strip_suffix(']').and_then(|x| x.rsplit_once("[key=")) {
        return inner.1;
    }
    h.rsplit_once('.').map_or(h, |(_, last)| last)
}

/// Which column (by index into the header) plays each role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub id: Option<usize>,
    pub time: Option<usize>,
    pub event: Option<usize>,
    pub channel: Option<usize>,
    pub stage: Option<usize>,
    pub revenue: Option<usize>,
    /// A session id column (optional): a session is a (customer, session id) pair.
    #[serde(default)]
    pub session: Option<usize>,
    /// Further columns tried, in order, where a role's column is empty (GA4: `user_id`, then `user_pseudo_id`).
    pub fallbacks: Vec<(Role, Vec<usize>)>,
    /// Without a channel column: the channel comes from source / medium / referrer columns
    /// through the default channel grouping ([`crate::core::channel`]).
    pub derived_channel: Option<DerivedChannel>,
    /// The export format the mapping follows.
    pub preset: Preset,
    /// Whether the preset was detected (rather than chosen by the user).
    pub preset_detected: bool,
    /// A column whose value is joined to the id column's, `high_low` (Adobe's
    /// `post_visid_high` + `post_visid_low`); where either is empty the id's fallbacks are tried.
    #[serde(default)]
    pub id_joined_with: Option<usize>,
    /// Adobe data feeds: rows whose `exclude_hit` (this column) is not `0` are skipped.
    #[serde(default)]
    pub exclude_hit: Option<usize>,
    /// Adobe data feeds: rows whose `hit_source` (this column) is 5, 7, 8 or 9 are skipped.
    #[serde(default)]
    pub hit_source: Option<usize>,
    /// Adobe data feeds without a revenue column: the revenue of a purchase hit (event id 1 in
    /// `post_event_list`, the second column) is the sum of the prices in `post_product_list`
    /// (the first).
    #[serde(default)]
    pub product_revenue: Option<(usize, usize)>,
}

/// Columns the channel is derived from (each a list tried in order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedChannel {
    pub source: Vec<usize>,
    pub medium: Vec<usize>,
    pub referrer: Vec<usize>,
    /// Adobe data feeds: `source` holds a tracking code (`post_campaign`) and `referrer`
    /// Adobe's numeric `ref_type` ([`crate::core::channel::adobe_channel`]).
    #[serde(default)]
    pub adobe: bool,
}

/// Known export formats, recognised from their column names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Columns recognised by name alone.
    #[default]
    Generic,
    Ga4,
    Segment,
    Mixpanel,
    Amplitude,
    Snowplow,
    Clickstream,
    ProcessMining,
    /// Adobe Analytics data feed (`hit_data.tsv`, named by `column_headers.tsv`).
    Adobe,
}

/// What a preset maps: header names per role (best first; all present ones are coalesced)
/// and the columns a channel is derived from.
struct PresetSpec {
    /// Sets of normalised header names; the preset is detected when all of one set are present.
    fingerprint: &'static [&'static [&'static str]],
    roles: &'static [(Role, &'static [&'static str])],
    source: &'static [&'static str],
    medium: &'static [&'static str],
    referrer: &'static [&'static str],
}

impl Preset {
    pub const ALL: [Preset; 9] = [
        Preset::Generic,
        Preset::Ga4,
        Preset::Segment,
        Preset::Mixpanel,
        Preset::Amplitude,
        Preset::Snowplow,
        Preset::Clickstream,
        Preset::ProcessMining,
        Preset::Adobe,
    ];

    /// The key used in URLs (`preset=ga4`).
    pub fn key(self) -> &'static str {
        match self {
            Preset::Generic => "generic",
            Preset::Ga4 => "ga4",
            Preset::Segment => "segment",
            Preset::Mixpanel => "mixpanel",
            Preset::Amplitude => "amplitude",
            Preset::Snowplow => "snowplow",
            Preset::Clickstream => "clickstream",
            Preset::ProcessMining => "processmining",
            Preset::Adobe => "adobe",
        }
    }

    pub fn from_key(k: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.key() == k)
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Generic => "Generic (column names)",
            Preset::Ga4 => "GA4 BigQuery export",
            Preset::Segment => "Segment",
            Preset::Mixpanel => "Mixpanel export",
            Preset::Amplitude => "Amplitude export",
            Preset::Snowplow => "Snowplow enriched events",
            Preset::Clickstream => "E-commerce clickstream",
            Preset::ProcessMining => "Process-mining event log",
            Preset::Adobe => "Adobe Analytics data feed",
        }
    }

    fn spec(self) -> Option<PresetSpec> {
        Some(match self {
            Preset::Generic => return None,
            Preset::Ga4 => PresetSpec {
                fingerprint: &[&["event_timestamp", "user_pseudo_id", "event_name"]],
                roles: &[
                    (Role::Id, &["user_id", "user_pseudo_id"]),
                    (Role::Time, &["event_timestamp"]),
                    (Role::Event, &["event_name"]),
                    // Not the `value` event parameter: view_item and add_to_cart carry it too.
                    (Role::Revenue, &["ecommerce_purchase_revenue"]),
                ],
                source: &["collected_traffic_source_manual_source", "event_params_key_source", "traffic_source_source"],
                medium: &["collected_traffic_source_manual_medium", "event_params_key_medium", "traffic_source_medium"],
                referrer: &[],
            },
            Preset::Segment => PresetSpec {
                // The JSON spec, and the warehouse tables' snake_case flattening.
                fingerprint: &[
                    &["type", "timestamp", "messageid"],
                    // Warehouse tables have no `message_id` column: the messageId is `id`.
                    &["event", "event_text", "timestamp", "anonymous_id"],
                ],
                roles: &[
                    (Role::Id, &["userid", "user_id", "anonymousid", "anonymous_id"]),
                    (Role::Time, &["timestamp", "originaltimestamp", "original_timestamp"]),
                    (Role::Event, &["event", "name", "type"]),
                    (Role::Revenue, &["properties_revenue", "properties_total"]),
                ],
                source: &["context_campaign_source"],
                medium: &["context_campaign_medium"],
                referrer: &[],
            },
            Preset::Mixpanel => PresetSpec {
                fingerprint: &[&["event", "properties_distinct_id", "properties_time"]],
                roles: &[
                    (Role::Id, &["properties_distinct_id"]),
                    (Role::Time, &["properties_time"]),
                    (Role::Event, &["event"]),
                    (Role::Revenue, &["properties_revenue", "properties_amount"]),
                ],
                source: &["properties_utm_source", "properties_initial_utm_source"],
                medium: &["properties_utm_medium", "properties_initial_utm_medium"],
                referrer: &[],
            },
            Preset::Amplitude => PresetSpec {
                fingerprint: &[
                    &["event_type", "event_time", "amplitude_id"],
                    &["event_type", "event_time", "device_id"],
                ],
                roles: &[
                    (Role::Id, &["user_id", "device_id", "amplitude_id"]),
                    (Role::Time, &["event_time", "client_event_time"]),
                    (Role::Event, &["event_type"]),
                    (Role::Revenue, &["revenue", "event_properties_revenue"]),
                ],
                source: &[
                    "event_properties_utm_source",
                    "user_properties_utm_source",
                    "user_properties_initial_utm_source",
                ],
                medium: &[
                    "event_properties_utm_medium",
                    "user_properties_utm_medium",
                    "user_properties_initial_utm_medium",
                ],
                referrer: &[],
            },
            Preset::Snowplow => PresetSpec {
                fingerprint: &[&["domain_userid", "collector_tstamp"]],
                roles: &[
                    (Role::Id, &["user_id", "domain_userid", "network_userid"]),
                    (Role::Time, &["derived_tstamp", "collector_tstamp"]),
                    (Role::Event, &["event_name", "event"]),
                    (Role::Revenue, &["tr_total"]),
                ],
                source: &["mkt_source", "refr_source"],
                medium: &["mkt_medium"],
                referrer: &["refr_medium"],
            },
            Preset::Clickstream => PresetSpec {
                fingerprint: &[&["event_time", "event_type", "user_id", "user_session"]],
                // `price` is on every event (views too), so it is not revenue.
                roles: &[
                    (Role::Id, &["user_id"]),
                    (Role::Time, &["event_time"]),
                    (Role::Event, &["event_type"]),
                    (Role::Revenue, &[]),
                ],
                source: &[],
                medium: &[],
                referrer: &[],
            },
            Preset::ProcessMining => PresetSpec {
                fingerprint: &[&["case_concept_name", "concept_name", "time_timestamp"]],
                roles: &[
                    (Role::Id, &["case_concept_name"]),
                    (Role::Time, &["time_timestamp"]),
                    (Role::Event, &["concept_name"]),
                ],
                source: &[],
                medium: &[],
                referrer: &[],
            },
            // The `post_` columns hold the values after Adobe's processing (as Adobe recommends);
            // the others are fallbacks. The visitor is `post_visid_high` + `post_visid_low`
            // (joined in `adobe_columns`); `date_time` is in the report suite's time zone, so the
            // UTC `hit_time_gmt` comes first.
            Preset::Adobe => PresetSpec {
                fingerprint: &[&["post_visid_high", "post_visid_low"], &["visid_high", "visid_low", "hit_time_gmt"]],
                roles: &[
                    (Role::Id, &["post_visid_high", "visid_high", "mcvisid"]),
                    (Role::Time, &["hit_time_gmt", "date_time"]),
                    (Role::Event, &["post_pagename", "pagename", "post_page_url", "page_url"]),
                    (Role::Revenue, &[]),
                ],
                source: &["post_campaign", "campaign"],
                medium: &[],
                referrer: &["ref_type"],
            },
        })
    }

    /// The preset whose fingerprint the header matches, most specific first.
    pub fn detect(headers: &[String]) -> Preset {
        let norm: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
        Preset::ALL
            .into_iter()
            .filter_map(|p| p.spec().map(|s| (p, s)))
            .find(|(_, s)| s.fingerprint.iter().any(|set| set.iter().all(|f| norm.iter().any(|n| n == f))))
            .map_or(Preset::Generic, |(p, _)| p)
    }
}

impl Mapping {
    pub fn get(&self, role: Role) -> Option<usize> {
        match role {
            Role::Id => self.id,
            Role::Time => self.time,
            Role::Event => self.event,
            Role::Channel => self.channel,
            Role::Stage => self.stage,
            Role::Revenue => self.revenue,
            Role::Session => self.session,
        }
    }

    pub fn set(&mut self, role: Role, col: Option<usize>) {
        let slot = match role {
            Role::Id => &mut self.id,
            Role::Time => &mut self.time,
            Role::Event => &mut self.event,
            Role::Channel => &mut self.channel,
            Role::Stage => &mut self.stage,
            Role::Revenue => &mut self.revenue,
            Role::Session => &mut self.session,
        };
        *slot = col;
    }

    /// Guesses roles from header names; a column serves one role at most. Whole
    /// names are tried first, then the last segment of a flattened JSON path
    /// (`properties.distinct_id` → `distinct_id`, `event_params[key=source]` → `source`).
    /// The mapping for a header: the chosen preset (or the detected one), generic
    /// detection for roles the preset leaves open, then the user's corrections.
    pub fn for_header(headers: &[String], preset: Option<Preset>, overrides: &ColumnOverrides) -> Mapping {
        let chosen = preset.unwrap_or_else(|| Preset::detect(headers));
        let mut m = match chosen.spec() {
            Some(spec) => Mapping::from_spec(headers, &spec),
            None => Mapping::detect(headers),
        };
        m.preset = chosen;
        m.preset_detected = preset.is_none();
        if chosen == Preset::Adobe {
            m.adobe_columns(headers);
        }
        let m = m.with_overrides(headers, overrides);
        // A channel column chosen by the user replaces the derived one.
        if m.channel.is_some() {
            return Mapping { derived_channel: None, ..m };
        }
        m
    }

    fn from_spec(headers: &[String], spec: &PresetSpec) -> Mapping {
        let norm: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
        let find_all =
            |names: &[&str]| -> Vec<usize> { names.iter().filter_map(|n| norm.iter().position(|h| h == n)).collect() };
        let mut m = Mapping::default();
        for (role, names) in spec.roles {
            let cols = find_all(names);
            if let Some((&first, rest)) = cols.split_first() {
                m.set(*role, Some(first));
                if !rest.is_empty() {
                    m.fallbacks.push((*role, rest.to_vec()));
                }
            }
        }
        // Roles the preset leaves open are detected from the remaining columns; where the
        // preset derives the channel, source and medium columns are not taken as channel.
        let generic = Mapping::detect(headers);
        let derives = !(spec.source.is_empty() && spec.medium.is_empty() && spec.referrer.is_empty());
        let derived_from = [spec.source, spec.medium, spec.referrer].concat();
        let used: Vec<usize> = Role::ALL
            .iter()
            .filter_map(|r| m.get(*r))
            .chain(m.fallbacks.iter().flat_map(|f| f.1.clone()))
            .chain(derived_from.iter().filter_map(|n| norm.iter().position(|h| h == n)))
            .collect();
        for role in Role::ALL {
            // A role the preset lists, even with no column, is not guessed from names.
            if (role == Role::Channel && derives) || spec.roles.iter().any(|(r, _)| *r == role) {
                continue;
            }
            if m.get(role).is_none() {
                if let Some(c) = generic.get(role).filter(|c| !used.contains(c)) {
                    m.set(role, Some(c));
                }
            }
        }
        let (source, medium, referrer) = (find_all(spec.source), find_all(spec.medium), find_all(spec.referrer));
        if m.channel.is_none() && !(source.is_empty() && medium.is_empty() && referrer.is_empty()) {
            m.derived_channel = Some(DerivedChannel { source, medium, referrer, adobe: false });
        }
        m
    }

    /// Adobe data feeds: the visitor id is a pair of columns, `post_visid_high` and
    /// `post_visid_low` (else `visid_high` and `visid_low`), then `mcvisid` where they are
    /// empty; excluded hits and data-source rows are marked for skipping.
    fn adobe_columns(&mut self, headers: &[String]) {
        let norm: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
        let find = |n: &str| norm.iter().position(|h| h == n);
        let pair = [("post_visid_high", "post_visid_low"), ("visid_high", "visid_low")]
            .into_iter()
            .find_map(|(hi, lo)| Some((find(hi)?, find(lo)?)));
        self.fallbacks.retain(|(r, _)| *r != Role::Id);
        match pair {
            Some((hi, lo)) => {
                self.id = Some(hi);
                self.id_joined_with = Some(lo);
                if let Some(mc) = find("mcvisid") {
                    self.fallbacks.push((Role::Id, vec![mc]));
                }
            }
            None => self.id = find("mcvisid"),
        }
        self.exclude_hit = find("exclude_hit");
        self.hit_source = find("hit_source");
        self.product_revenue = find("post_product_list").zip(find("post_event_list"));
        if let Some(d) = &mut self.derived_channel {
            d.adobe = true;
        }
    }

    /// Whether rows have a revenue: a revenue column, or Adobe's product list.
    pub fn has_revenue(&self) -> bool {
        self.revenue.is_some() || self.product_revenue.is_some()
    }

    /// The further columns tried for `role` when its column is empty.
    pub fn fallbacks(&self, role: Role) -> &[usize] {
        self.fallbacks.iter().find(|(r, _)| *r == role).map_or(&[], |(_, c)| c.as_slice())
    }

    pub fn detect(headers: &[String]) -> Mapping {
        let whole: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
        let last: Vec<String> = headers.iter().map(|h| normalise_header(last_segment(h))).collect();
        let mut m = Mapping::default();
        let mut taken = vec![false; headers.len()];
        for names in [&whole, &last] {
            for role in Role::ALL {
                if m.get(role).is_some() {
                    continue;
                }
                'cands: for cand in role.candidates() {
                    for (i, n) in names.iter().enumerate() {
                        if !taken[i] && n == cand {
                            m.set(role, Some(i));
                            taken[i] = true;
                            break 'cands;
                        }
                    }
                }
            }
        }
        m
    }

    /// Applies user corrections by header name: an empty name clears the role; a
    /// name this file's header lacks is ignored (a shared link's corrections were
    /// made for another file), so detection stands.
    pub fn with_overrides(mut self, headers: &[String], overrides: &ColumnOverrides) -> Mapping {
        for (role, name) in &overrides.0 {
            if name.is_empty() {
                self.set(*role, None);
            } else if let Some(col) = headers.iter().position(|h| h.trim() == name.trim()) {
                self.set(*role, Some(col));
            } else {
                continue;
            }
            self.fallbacks.retain(|(r, _)| r != role);
            if *role == Role::Id {
                self.id_joined_with = None;
            }
            if *role == Role::Revenue {
                self.product_revenue = None;
            }
            if *role == Role::Channel {
                self.derived_channel = None;
            }
        }
        self
    }
}

/// An Adobe purchase hit's revenue: when `post_event_list` holds event 1 (purchase; ids may
/// carry a value, `200=5`), the sum of the prices (fourth `;` field) of the products in
/// `post_product_list` (`Category;Product;Quantity;Price;Events;eVars`, comma-separated).
/// `None` for other hits, or a purchase whose products name no price.
pub fn adobe_purchase_revenue(products: &str, events: &str) -> Option<f64> {
    if !events.split(',').any(|e| e.split('=').next().map(str::trim) == Some("1")) {
        return None;
    }
    let prices: Vec<f64> = products
        .split(',')
        .filter_map(|p| p.split(';').nth(3))
        .filter_map(|price| price.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .collect();
    (!prices.is_empty()).then(|| prices.iter().sum())
}

/// User corrections to the detected mapping, by header name (kept in the URL as `col.<role>=<header>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnOverrides(pub Vec<(Role, String)>);

impl ColumnOverrides {
    pub fn set(&mut self, role: Role, header: String) {
        self.0.retain(|(r, _)| *r != role);
        self.0.push((role, header));
        self.0.sort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_common_headers() {
        let m = Mapping::detect(&h(&["User ID", "Event Time", "Source", "event_name", "Revenue"]));
        assert_eq!(
            m,
            Mapping {
                id: Some(0),
                time: Some(1),
                event: Some(3),
                channel: Some(2),
                stage: None,
                revenue: Some(4),
                ..Default::default()
            }
        );
        let m = Mapping::detect(&h(&["\u{feff}visitor", "date", "action"]));
        assert_eq!((m.id, m.time, m.event, m.channel), (Some(0), Some(1), Some(2), None));
        let m = Mapping::detect(&h(&["case:concept:name", "concept:name", "time:timestamp"]));
        assert_eq!((m.id, m.time, m.event), (Some(0), Some(2), Some(1)));
    }

    #[test]
    fn prefers_specific_names_and_uses_a_column_once() {
        // "channel" beats "source"; "timestamp" beats "date".
        let m = Mapping::detect(&h(&["date", "source", "customer_id", "timestamp", "channel", "event"]));
        assert_eq!((m.time, m.channel, m.id), (Some(3), Some(4), Some(2)));
    }

    #[test]
    fn detects_flattened_json_paths() {
        let m = Mapping::detect(&h(&[
            "event",
            "properties.$insert_id",
            "properties.distinct_id",
            "properties.time",
            "properties.utm_source",
        ]));
        assert_eq!((m.event, m.id, m.time, m.channel), (Some(0), Some(2), Some(3), Some(4)));
        // A whole-name match beats a last-segment match, whatever the order.
        let m = Mapping::detect(&h(&["context.user_id", "user_id", "ts", "event_params[key=source]", "name"]));
        assert_eq!((m.id, m.channel, m.event), (Some(1), Some(3), Some(4)));
        assert_eq!(last_segment("event_params[key=ga_session_id]"), "ga_session_id");
        assert_eq!(last_segment("a.b.c"), "c");
    }

    #[test]
    fn adobe_product_list_revenue() {
        assert_eq!(adobe_purchase_revenue(";Tent 2P;1;249.00", "1,200"), Some(249.0));
        // Two products, one without a price; the purchase event with a value.
        assert_eq!(
            adobe_purchase_revenue("Outdoor;Tent;2;498.00;event5=1,;Stove;1;;,;Mug;3;30.5", "200=5,1"),
            Some(528.5)
        );
        assert_eq!(adobe_purchase_revenue(";Tent 2P;1;249.00", "12,100"), None, "not a purchase hit");
        assert_eq!(adobe_purchase_revenue(";Tent 2P;1", "1"), None, "no price");
        assert_eq!(adobe_purchase_revenue("", "10,1"), None);
    }

    #[test]
    fn overrides_by_name() {
        let headers = h(&["user", "ts", "what", "medium"]);
        let mut o = ColumnOverrides::default();
        o.set(Role::Event, "medium".into());
        o.set(Role::Channel, String::new());
        let m = Mapping::detect(&headers).with_overrides(&headers, &o);
        assert_eq!((m.event, m.channel), (Some(3), None));
        // A header this file lacks leaves the detected column in place.
        let mut o = ColumnOverrides::default();
        o.set(Role::Id, "account".into());
        assert_eq!(Mapping::detect(&headers).with_overrides(&headers, &o).id, Some(0));
    }
}
