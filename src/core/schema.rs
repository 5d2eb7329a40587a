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
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Id, Role::Time, Role::Event, Role::Channel, Role::Stage, Role::Revenue];

    /// The key used in URLs and JSON (`id`, `time`, ...).
    pub fn key(self) -> &'static str {
        match self {
            Role::Id => "id",
            Role::Time => "time",
            Role::Event => "event",
            Role::Channel => "channel",
            Role::Stage => "stage",
            Role::Revenue => "revenue",
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
        };
        *slot = col;
    }

    /// Guesses roles from header names; a column serves one role at most. Whole
    /// names are tried first, then the last segment of a flattened JSON path
    /// (`properties.distinct_id` → `distinct_id`, `event_params[key=source]` → `source`).
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
            }
        }
        self
    }
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
            Mapping { id: Some(0), time: Some(1), event: Some(3), channel: Some(2), stage: None, revenue: Some(4) }
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
