//! Vendor exports (tests/fixtures/vendors/) through preset detection, coalescing and the
//! default channel grouping.
//!
//! Every expectation below was worked out by hand from the fixture, the preset specs in
//! `src/core/schema.rs` (role columns coalesced: the first non-empty wins) and the rules
//! table in `src/core/channel.rs`; the comment tables show the working. "rule n" refers to
//! that table: 1 direct, 2 email, 3 sms, 4 affiliate, 5 display, 6 paid_social, 7 social,
//! 8 paid_search, 9 organic_search, 10 referral, 11 other.

use touchpath::core::ingest::{load_bytes, LoadError, LoadReport, Loader, SkipReason};
use touchpath::core::schema::{ColumnOverrides, Preset, Role};
use touchpath::core::table::{Column, EventTable};

const GA4: &[u8] = include_bytes!("fixtures/vendors/ga4.jsonl");
const SEGMENT: &[u8] = include_bytes!("fixtures/vendors/segment.json");
const SEGMENT_WAREHOUSE: &[u8] = include_bytes!("fixtures/vendors/segment_warehouse.csv");
const MIXPANEL: &[u8] = include_bytes!("fixtures/vendors/mixpanel.jsonl");
const AMPLITUDE: &[u8] = include_bytes!("fixtures/vendors/amplitude.jsonl");
const SNOWPLOW: &[u8] = include_bytes!("fixtures/vendors/snowplow.tsv");
const CLICKSTREAM: &[u8] = include_bytes!("fixtures/vendors/clickstream.csv");
const PROCESS_MINING: &[u8] = include_bytes!("fixtures/vendors/process_mining.csv");

const ALL: [(&str, &[u8], Preset); 8] = [
    ("ga4.jsonl", GA4, Preset::Ga4),
    ("segment.json", SEGMENT, Preset::Segment),
    ("segment_warehouse.csv", SEGMENT_WAREHOUSE, Preset::Segment),
    ("mixpanel.jsonl", MIXPANEL, Preset::Mixpanel),
    ("amplitude.jsonl", AMPLITUDE, Preset::Amplitude),
    ("snowplow.tsv", SNOWPLOW, Preset::Snowplow),
    ("clickstream.csv", CLICKSTREAM, Preset::Clickstream),
    ("process_mining.csv", PROCESS_MINING, Preset::ProcessMining),
];

fn load(name: &str, bytes: &[u8]) -> (EventTable, LoadReport) {
    load_bytes(name, bytes, &ColumnOverrides::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn load_as(
    name: &str,
    bytes: &[u8],
    preset: Option<Preset>,
    overrides: ColumnOverrides,
) -> Result<(EventTable, LoadReport), LoadError> {
    let mut loader = Loader::new(name, overrides).preset(preset);
    loader.push(bytes)?;
    loader.finish()
}

/// The header name of a mapped column.
fn col(r: &LoadReport, c: Option<usize>) -> Option<&str> {
    c.map(|c| r.headers[c].as_str())
}

fn cols<'a>(r: &'a LoadReport, cs: &[usize]) -> Vec<&'a str> {
    cs.iter().map(|&c| r.headers[c].as_str()).collect()
}

/// Each customer (in order of first appearance) with its rows in time order, as
/// `event` or, when there is a channel, `event@channel`.
fn journeys(t: &EventTable) -> Vec<(String, Vec<String>)> {
    (0..t.customer_count())
        .map(|c| {
            let rows = t.rows_of(c).map(|r| {
                let event = t.event.value(r);
                match &t.channel {
                    Some(ch) => format!("{event}@{}", ch.value(r)),
                    None => event.to_string(),
                }
            });
            (t.customers.id(c).to_string(), rows.collect())
        })
        .collect()
}

fn owned(j: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    j.iter().map(|(c, rows)| (c.to_string(), rows.iter().map(|s| s.to_string()).collect())).collect()
}

/// Events per value, by value (values seen only on dropped duplicates are left out).
fn counts(col: &Column) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = col.values.iter().cloned().zip(col.counts()).filter(|(_, n)| *n > 0).collect();
    v.sort();
    v
}

fn owned_counts(c: &[(&str, u64)]) -> Vec<(String, u64)> {
    c.iter().map(|(v, n)| (v.to_string(), *n)).collect()
}

/// (customer, event, revenue) of the rows that have revenue, in table order.
fn revenues(t: &EventTable) -> Vec<(String, String, f64)> {
    let rev = t.revenue.as_ref().expect("a revenue column");
    let mut out = Vec::new();
    for c in 0..t.customer_count() {
        for (r, v) in rev.within(t.rows_of(c)) {
            out.push((t.customers.id(c).to_string(), t.event.value(r).to_string(), v));
        }
    }
    out
}

/// The time of a customer's `n`th row.
fn ts(t: &EventTable, customer: &str, n: usize) -> i64 {
    let c = t.customers.iter().position(|x| x == customer).unwrap_or_else(|| panic!("no customer {customer}"));
    t.ts.at(t.rows_of(c).nth(n).unwrap())
}

struct Expected {
    preset: Preset,
    format: &'static str,
    rows_read: u64,
    events: usize,
    duplicates: u64,
    /// (reason, count, first line numbers)
    skipped: &'static [(SkipReason, u64, &'static [u64])],
    unzoned: u64,
    journeys: &'static [(&'static str, &'static [&'static str])],
    /// Derived channel values and their event counts; `None` when the preset derives none.
    channels: Option<&'static [(&'static str, u64)]>,
}

/// Loads a fixture with detection and checks what every fixture test checks.
fn check(name: &str, bytes: &[u8], x: &Expected) -> (EventTable, LoadReport) {
    let (t, r) = load(name, bytes);
    assert_eq!((r.mapping.preset, r.mapping.preset_detected), (x.preset, true), "{name}: preset");
    assert_eq!(r.format, x.format, "{name}: format");
    assert_eq!(r.rows_read, x.rows_read, "{name}: rows read");
    assert_eq!(t.len(), x.events, "{name}: events");
    assert_eq!(r.duplicates, x.duplicates, "{name}: duplicates");
    assert!(r.duplicates_dropped);
    assert_eq!(r.rows_used, (x.events as u64) + x.duplicates, "{name}: rows used");
    let skipped: Vec<(SkipReason, u64, Vec<u64>)> =
        r.skipped.iter().map(|s| (s.reason, s.count, s.lines.clone())).collect();
    let want: Vec<(SkipReason, u64, Vec<u64>)> = x.skipped.iter().map(|(r, n, l)| (*r, *n, l.to_vec())).collect();
    assert_eq!(skipped, want, "{name}: skipped");
    assert_eq!(r.rows_read, r.rows_used + r.rows_skipped(), "{name}: every row used or skipped");
    assert_eq!(r.unzoned_timestamps, x.unzoned, "{name}: unzoned timestamps");
    assert_eq!(r.bad_revenue, 0, "{name}: bad revenue");
    assert_eq!(journeys(&t), owned(x.journeys), "{name}: journeys");
    assert_eq!(t.customer_count(), x.journeys.len(), "{name}: customers");
    match x.channels {
        Some(want) => {
            assert!(r.mapping.channel.is_none() && r.mapping.derived_channel.is_some(), "{name}: a derived channel");
            assert_eq!(counts(t.channel.as_ref().unwrap()), owned_counts(want), "{name}: channels");
            assert_eq!(want.iter().map(|(_, n)| *n as usize).sum::<usize>(), x.events);
        }
        None => {
            assert_eq!(r.mapping.derived_channel, None, "{name}");
            assert!(t.channel.is_none(), "{name}: no channel");
        }
    }
    (t, r)
}

// ---------------------------------------------------------------------------------------
// GA4 BigQuery export
// ---------------------------------------------------------------------------------------

const P1: &str = "1197596843.1709280000";
const P2: &str = "2088861274.1709292000";
const P4: &str = "1830491265.1709451000";

#[test]
fn ga4_bigquery_export() {
    // Id: user_id, else user_pseudo_id. Channel: source = first non-empty of
    // collected_traffic_source.manual_source, event_params[key=source], traffic_source.source;
    // medium likewise (…manual_medium, event_params[key=medium], traffic_source.medium).
    // traffic_source is the user's first-touch acquisition, so it colours every event
    // that carries no source of its own.
    //
    // line | user_pseudo_id | user_id | event          | source ← column          | medium | rule → channel
    //  1-4 | P4 1830…       | —       | first_visit, session_start, page_view, scroll
    //      |                |         |                | (direct) ← traffic_source | (none) | 1 direct ×4
    //  5-7 | P1 1197…       | (absent)| first_visit, session_start, page_view
    //      |                |         |                | google ← collected        | cpc    | 8 paid_search ×3
    //  8-9 | P1             | null    | view_item, add_to_cart
    //      |                |         |                | google ← traffic_source   | cpc    | 8 paid_search ×2
    // 10-11| P2 2088…       | null    | session_start, page_view
    //      |                |         |                | newsletter ← event_params | email  | 2 email ×2
    // 12   | P2             | null    | view_item      | newsletter ← traffic_src  | email  | 2 email
    // 13-15| P1             | u_1001  | login, begin_checkout, purchase
    //      |                |         |                | google ← traffic_source   | cpc    | 8 paid_search ×3
    // 16   | null (consent denied, cookieless ping): no id column has a value → skipped
    // 17-18| 3159…          | u_1002  | session_start, page_view
    //      |                |         |                | instagram ← collected     | social | 7 social ×2
    // 19-20| 3159…          | u_1002  | add_to_cart, purchase
    //      |                |         |                | facebook ← traffic_source | cpc    | 6 paid_social ×2
    // 21-22| P2 (next day, from Google: only page_referrer, no utm)
    //      |                |         | session_start, page_view
    //      |                |         |                | newsletter ← traffic_src  | email  | 2 email ×2
    //
    // Customers: P4, P1 (logged out), P2, u_1001 (P1 logged in), u_1002 (its pseudo id never
    // appears alone) = 5. P1 is two customers: the id coalesces per row, nothing links them.
    // Channels: paid_search 3+2+3 = 8, email 2+1+2 = 5, direct 4, social 2, paid_social 2 = 21.
    let (t, r) = check(
        "ga4.jsonl",
        GA4,
        &Expected {
            preset: Preset::Ga4,
            format: "json lines",
            rows_read: 22,
            events: 21,
            duplicates: 0,
            // A record without any id value (neither user_id nor user_pseudo_id) has a missing id.
            skipped: &[(SkipReason::MissingId, 1, &[16])],
            unzoned: 0,
            journeys: &[
                (P4, &["first_visit@direct", "session_start@direct", "page_view@direct", "scroll@direct"]),
                (
                    P1,
                    &[
                        "first_visit@paid_search",
                        "session_start@paid_search",
                        "page_view@paid_search",
                        "view_item@paid_search",
                        "add_to_cart@paid_search",
                    ],
                ),
                (
                    P2,
                    &[
                        "session_start@email",
                        "page_view@email",
                        "view_item@email",
                        "session_start@email",
                        "page_view@email",
                    ],
                ),
                ("u_1001", &["login@paid_search", "begin_checkout@paid_search", "purchase@paid_search"]),
                (
                    "u_1002",
                    &["session_start@social", "page_view@social", "add_to_cart@paid_social", "purchase@paid_social"],
                ),
            ],
            channels: Some(&[("direct", 4), ("email", 5), ("paid_search", 8), ("paid_social", 2), ("social", 2)]),
        },
    );
    let m = &r.mapping;
    assert_eq!(col(&r, m.id), Some("user_id"));
    assert_eq!(cols(&r, m.fallbacks(Role::Id)), ["user_pseudo_id"]);
    assert_eq!((col(&r, m.time), col(&r, m.event)), (Some("event_timestamp"), Some("event_name")));
    let d = m.derived_channel.as_ref().unwrap();
    assert_eq!(
        cols(&r, &d.source),
        ["collected_traffic_source.manual_source", "event_params[key=source]", "traffic_source.source"]
    );
    assert_eq!(
        cols(&r, &d.medium),
        ["collected_traffic_source.manual_medium", "event_params[key=medium]", "traffic_source.medium"]
    );

    // event_timestamp in µs, as a JSON number (P4's export) and as a string (BigQuery's INT64).
    assert_eq!(ts(&t, P4, 0), 1_709_451_000_000_001);
    assert_eq!(ts(&t, P1, 0), 1_709_280_000_123_456);

    // Stage is left open by the preset and detected from `user_properties[key=lifecycle_stage]`;
    // its value is the `string_value`, not the `set_timestamp_micros` that sorts before it.
    assert_eq!(col(&r, m.stage), Some("user_properties[key=lifecycle_stage]"));
    assert_eq!(counts(t.stage.as_ref().unwrap()), owned_counts(&[("", 14), ("customer", 4), ("lead", 3)]));

    // Revenue: ecommerce.purchase_revenue only — not the `value` event parameter, which GA4's
    // ecommerce events (view_item, add_to_cart, begin_checkout) also carry.
    assert_eq!(col(&r, m.revenue), Some("ecommerce.purchase_revenue"));
    assert!(m.fallbacks(Role::Revenue).is_empty());
    let s = |a: &str, b: &str, v: f64| (a.to_string(), b.to_string(), v);
    assert_eq!(revenues(&t), [s("u_1001", "purchase", 89.9), s("u_1002", "purchase", 42.5)]);
}

// ---------------------------------------------------------------------------------------
// Segment
// ---------------------------------------------------------------------------------------

const A1: &str = "6f1c2b9e-3d4a-4c1e-9f7b-2a8d5e0c4b13";
const A2: &str = "b7e4d2a1-58c9-4f0e-a3b6-91d2c7e8f054";
const A3: &str = "e91a7c4f-0b2d-4e6a-8c3f-5d7b9a1e2c46";

#[test]
fn segment_spec_messages() {
    // Id: userId, else anonymousId. Event: event (track), else name (page), else type.
    // Channel: context.campaign.source / .medium (present only on utm landings); Segment's
    // own top-level `channel` ("client"/"server") is the sending library, not a channel.
    //
    // line | userId / anonymousId | type     | event ← column            | campaign src/med   | rule → channel
    //  2   | — / A1               | page     | Home ← name               | google / cpc       | 8 paid_search
    //  3   | — / A1               | track    | Products Searched ← event | —                  | 1 direct
    //  4   | — / A1               | page     | Product ← name            | —                  | 1 direct
    //  5   | user_381 / A1        | identify | identify ← type           | —                  | 1 direct
    //  6   | user_381 / A1        | track    | Product Added             | —                  | 1 direct
    //  7   | user_381 / A1        | track    | Order Completed           | —                  | 1 direct
    //  8   | — / A2               | page     | page ← type (no name)     | newsletter / email | 2 email
    //  9   | — / A2               | track    | Product Viewed            | —                  | 1 direct
    // 10   | — / A2               | page     | Pricing                   | facebook / paid_social | 6 paid_social
    // 11   | — / A2               | track    | Product Viewed            | —                  | 1 direct
    // 12   | user_517 / — (server, "+00:00" offsets) | track | Order Completed | —          | 1 direct
    // 13   | user_517 / —         | track    | Subscription Started      | —                  | 1 direct
    // 14   | user_381 / A1        | page     | Blog                      | linkedin / social  | 7 social
    //
    // Customers: A1, user_381, A2, user_517 = 4. Channels: direct 9, paid_search 1, email 1,
    // paid_social 1, social 1 = 13.
    let (t, r) = check(
        "segment.json",
        SEGMENT,
        &Expected {
            preset: Preset::Segment,
            format: "json",
            rows_read: 13,
            events: 13,
            duplicates: 0,
            skipped: &[],
            unzoned: 0,
            journeys: &[
                (A1, &["Home@paid_search", "Products Searched@direct", "Product@direct"]),
                ("user_381", &["identify@direct", "Product Added@direct", "Order Completed@direct", "Blog@social"]),
                (A2, &["page@email", "Product Viewed@direct", "Pricing@paid_social", "Product Viewed@direct"]),
                ("user_517", &["Order Completed@direct", "Subscription Started@direct"]),
            ],
            channels: Some(&[("direct", 9), ("email", 1), ("paid_search", 1), ("paid_social", 1), ("social", 1)]),
        },
    );
    let m = &r.mapping;
    assert_eq!(col(&r, m.id), Some("userId"));
    assert_eq!(cols(&r, m.fallbacks(Role::Id)), ["anonymousId"]);
    assert_eq!(col(&r, m.event), Some("event"));
    assert_eq!(cols(&r, m.fallbacks(Role::Event)), ["name", "type"]);
    assert_eq!(col(&r, m.time), Some("timestamp"));
    assert_eq!(cols(&r, m.fallbacks(Role::Time)), ["originalTimestamp"]);
    // "Z" from analytics.js, "+00:00" from a server library.
    assert_eq!(ts(&t, A1, 0), 1_709_543_702_123_000);
    assert_eq!(ts(&t, "user_517", 1), 1_709_647_331_250_000);
    // Revenue: properties.revenue, else properties.total.
    let s = |a: &str, b: &str, v: f64| (a.to_string(), b.to_string(), v);
    assert_eq!(revenues(&t), [s("user_381", "Order Completed", 49.0), s("user_517", "Order Completed", 120.0)]);
}

#[test]
fn segment_warehouse_tracks_table() {
    // The `tracks` table as exported from Redshift: snake_case columns, `id` is the messageId
    // (there is no `message_id` column), timestamps with a "+00" offset. Id: user_id, else
    // anonymous_id. Event: the `event` slug. Channel: context_campaign_source / _medium.
    //
    // line | user_id / anonymous_id | event             | campaign src / med      | rule → channel
    //  2   | — / A1                 | products_searched | google / cpc            | 8 paid_search
    //  3   | — / A1                 | product_viewed    | —                       | 1 direct
    //  4   | user_381 / A1          | product_added     | —                       | 1 direct
    //  5   | user_381 / A1          | order_completed   | —                       | 1 direct
    //  6   | line 5 again (same id; a reload, only uuid_ts differs) → exact duplicate, dropped
    //  7   | — / A2                 | product_viewed    | newsletter / email      | 2 email
    //  8   | — / A2                 | product_viewed    | twitter / social        | 7 social
    //  9   | — / A2                 | product_added     | bing / cpc              | 8 paid_search
    // 10   | user_517 / — (server)  | order_completed   | —                       | 1 direct
    // 11   | — / A3                 | signed_up         | partnerstack / affiliate| 4 affiliate
    // 12   | user_640 / A3          | order_completed   | —                       | 1 direct
    //
    // Customers: A1, user_381, A2, user_517, A3, user_640 = 6. Events 11 − 1 duplicate = 10.
    // Channels: direct 5, paid_search 2, email 1, social 1, affiliate 1 = 10.
    let (t, r) = check(
        "segment_warehouse.csv",
        SEGMENT_WAREHOUSE,
        &Expected {
            preset: Preset::Segment,
            format: "csv",
            rows_read: 11,
            events: 10,
            duplicates: 1,
            skipped: &[],
            unzoned: 0,
            journeys: &[
                (A1, &["products_searched@paid_search", "product_viewed@direct"]),
                ("user_381", &["product_added@direct", "order_completed@direct"]),
                (A2, &["product_viewed@email", "product_viewed@social", "product_added@paid_search"]),
                ("user_517", &["order_completed@direct"]),
                (A3, &["signed_up@affiliate"]),
                ("user_640", &["order_completed@direct"]),
            ],
            channels: Some(&[("affiliate", 1), ("direct", 5), ("email", 1), ("paid_search", 2), ("social", 1)]),
        },
    );
    let m = &r.mapping;
    assert_eq!(col(&r, m.id), Some("user_id"));
    assert_eq!(cols(&r, m.fallbacks(Role::Id)), ["anonymous_id"]);
    assert_eq!(col(&r, m.time), Some("timestamp"));
    assert_eq!(cols(&r, m.fallbacks(Role::Time)), ["original_timestamp"]);
    assert_eq!(col(&r, m.revenue), None, "the tracks table holds no properties");
    assert_eq!(ts(&t, "user_381", 1), 1_709_543_900_042_000);
}

// ---------------------------------------------------------------------------------------
// Mixpanel raw export
// ---------------------------------------------------------------------------------------

const MP_D1: &str = "$device:18e0a1b2c3d4e5-0f1e2d3c4b5a69-26001a51-1fa400-18e0a1b2c3d4e5";
const MP_D2: &str = "18e0b2f4a6c8d1-07a9b3c5d7e9f1-4c657b58-e1000-18e0b2f4a6c8d1";

#[test]
fn mixpanel_raw_export() {
    // Id: properties.distinct_id. Time: properties.time (seconds; line 4 is milliseconds).
    // Channel: properties.utm_source / utm_medium (compared case-insensitively).
    //
    // line | distinct_id          | event             | utm_source / utm_medium | rule → channel
    //  1   | $device:18e0a1…      | $mp_web_page_view | google / cpc            | 8 paid_search
    //  2   | $device:18e0a1…      | Viewed Product    | google / cpc            | 8 paid_search
    //  3   | u_1001               | Signed Up         | google / cpc            | 8 paid_search
    //  4   | u_1001 (time in ms)  | Purchase          | google / cpc            | 8 paid_search
    //  5   | 18e0b2…              | $mp_web_page_view | newsletter / email      | 2 email
    //  6   | 18e0b2…              | Viewed Product    | —                       | 1 direct
    //  7   | line 6 delivered twice (same $insert_id, later mp_processing_time_ms) → duplicate
    //  8   | u_2048               | $mp_web_page_view | facebook / cpc          | 6 paid_social
    //  9   | u_2048               | Purchase          | —                       | 1 direct
    // 10   | "" (server event without identity) → skipped, missing customer id
    // 11   | 18e0b2…              | Signed Up         | LinkedIn / Social       | 7 social
    //
    // Customers: $device:18e0a1…, u_1001, 18e0b2…, u_2048 = 4 (the simplified ID merge's
    // "$device:" id and the user id stay two customers). Events 11 − 1 skipped − 1 duplicate = 9.
    // Channels: paid_search 4, email 1, direct 2, paid_social 1, social 1 = 9.
    let (t, r) = check(
        "mixpanel.jsonl",
        MIXPANEL,
        &Expected {
            preset: Preset::Mixpanel,
            format: "json lines",
            rows_read: 11,
            events: 9,
            duplicates: 1,
            skipped: &[(SkipReason::MissingId, 1, &[10])],
            unzoned: 0,
            journeys: &[
                (MP_D1, &["$mp_web_page_view@paid_search", "Viewed Product@paid_search"]),
                ("u_1001", &["Signed Up@paid_search", "Purchase@paid_search"]),
                (MP_D2, &["$mp_web_page_view@email", "Viewed Product@direct", "Signed Up@social"]),
                ("u_2048", &["$mp_web_page_view@paid_social", "Purchase@direct"]),
            ],
            channels: Some(&[("direct", 2), ("email", 1), ("paid_search", 4), ("paid_social", 1), ("social", 1)]),
        },
    );
    let m = &r.mapping;
    assert_eq!((col(&r, m.id), col(&r, m.time)), (Some("properties.distinct_id"), Some("properties.time")));
    assert!(m.fallbacks.is_empty());
    // Seconds and milliseconds told apart by magnitude.
    assert_eq!(ts(&t, "u_1001", 0), 1_709_719_500_000_000);
    assert_eq!(ts(&t, "u_1001", 1), 1_709_719_800_250_000);
    assert_eq!(col(&r, m.revenue), Some("properties.amount"));
    let s = |a: &str, b: &str, v: f64| (a.to_string(), b.to_string(), v);
    assert_eq!(revenues(&t), [s("u_1001", "Purchase", 98.0), s("u_2048", "Purchase", 19.99)]);
}

// ---------------------------------------------------------------------------------------
// Amplitude Export API
// ---------------------------------------------------------------------------------------

const AM_D1: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const AM_D3: &str = "d8c7b6a5-9e8f-4d7c-b6a5-4f3e2d1c0b9a";

#[test]
fn amplitude_export() {
    // Id: user_id, else device_id, else amplitude_id. Time: event_time ("YYYY-MM-DD
    // HH:MM:SS.ffffff", no zone: read as UTC and counted). Channel: source = first non-empty
    // of event_properties.utm_source, user_properties.utm_source, user_properties.initial_utm_source;
    // medium likewise.
    //
    // line | user_id / device_id  | event_type              | utm src / med ← where     | rule → channel
    //  1   | null / D1 a1b2…      | [Amplitude] Page Viewed | google / cpc ← user_props | 8 paid_search
    //  2   | null / D1            | view_product            | google / cpc ← user_props | 8 paid_search
    //  3   | cust_7781 / D1       | $identify               | google / cpc ← user_props | 8 paid_search
    //  4   | cust_7781 / D1       | purchase                | google / cpc ← user_props | 8 paid_search
    //  5   | cust_9001 / F3A1… (iOS) | session_start        | —                         | 1 direct
    //  6   | cust_9001            | view_product            | braze / push ← event_props| 11 other
    //  7   | cust_9001            | purchase                | —                         | 1 direct
    //  8   | null / D3 d8c7…      | [Amplitude] Page Viewed | newsletter / email ← user | 2 email
    //  9   | null / D3            | view_product            | newsletter / email ← user | 2 email
    // 10   | null / D3            | [Amplitude] Page Viewed | facebook / paid_social    | 6 paid_social
    //
    // Customers: D1, cust_7781, cust_9001, D3 = 4. Channels: paid_search 4, direct 2, other 1,
    // email 2, paid_social 1 = 10.
    let (t, r) = check(
        "amplitude.jsonl",
        AMPLITUDE,
        &Expected {
            preset: Preset::Amplitude,
            format: "json lines",
            rows_read: 10,
            events: 10,
            duplicates: 0,
            skipped: &[],
            unzoned: 10,
            journeys: &[
                (AM_D1, &["[Amplitude] Page Viewed@paid_search", "view_product@paid_search"]),
                ("cust_7781", &["$identify@paid_search", "purchase@paid_search"]),
                ("cust_9001", &["session_start@direct", "view_product@other", "purchase@direct"]),
                (
                    AM_D3,
                    &["[Amplitude] Page Viewed@email", "view_product@email", "[Amplitude] Page Viewed@paid_social"],
                ),
            ],
            channels: Some(&[("direct", 2), ("email", 2), ("other", 1), ("paid_search", 4), ("paid_social", 1)]),
        },
    );
    let m = &r.mapping;
    assert_eq!(col(&r, m.id), Some("user_id"));
    assert_eq!(cols(&r, m.fallbacks(Role::Id)), ["device_id", "amplitude_id"]);
    assert_eq!(col(&r, m.time), Some("event_time"));
    assert_eq!(cols(&r, m.fallbacks(Role::Time)), ["client_event_time"]);
    // event_time (…00.512), not client_event_time (…00.498).
    assert_eq!(ts(&t, AM_D1, 0), 1_709_719_200_512_000);
    // Revenue: event_properties.$revenue only — not a product's `price` on views.
    assert_eq!(col(&r, m.revenue), Some("event_properties.$revenue"));
    assert!(m.fallbacks(Role::Revenue).is_empty());
    let s = |a: &str, b: &str, v: f64| (a.to_string(), b.to_string(), v);
    assert_eq!(revenues(&t), [s("cust_7781", "purchase", 98.0), s("cust_9001", "purchase", 120.0)]);
}

// ---------------------------------------------------------------------------------------
// Snowplow enriched events
// ---------------------------------------------------------------------------------------

const SP1: &str = "5d9f1e2a-7b3c-4d8e-9f0a-1b2c3d4e5f60";
const SP2: &str = "8b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const SP3: &str = "c3d4e5f6-0718-4293-a4b5-c6d7e8f90a1b";
const SP4: &str = "e5f60718-2930-4a4b-9c5d-6e7f8091a2b3";
const SP_NUID: &str = "ecdff4d0-9175-40ac-a8bb-325c49733607";

#[test]
fn snowplow_enriched_events() {
    // Id: user_id, else domain_userid, else network_userid. Time: derived_tstamp, else
    // collector_tstamp (no zone). Event: event_name, else event. Channel: source = mkt_source,
    // else refr_source; medium = mkt_medium; referrer medium = refr_medium. The referer parser
    // names a refr_source only for referrers it recognises (never for "unknown"/"internal").
    //
    // line | id ← column        | event_name (event)   | source      | med       | refr_medium | rule → channel
    //  2   | SP1 ← domain_userid| page_view            | Google      | —         | search      | 9 organic_search
    //  3   | SP1                | page_ping            | Google      | —         | search      | 9 organic_search
    //  4   | SP1                | page_view            | —           | —         | internal    | 1 direct
    //  5   | SP2 ← domain_userid| page_view            | google (mkt)| cpc       | search      | 8 paid_search
    //  6   | u-48151 ← user_id  | link_click (unstruct)| google (mkt)| cpc       | search      | 8 paid_search
    //  7   | u-48151            | transaction          | —           | —         | internal    | 1 direct
    //  8   | SP3                | page_view            | Facebook    | —         | social      | 7 social
    //  9   | SP3                | event (struct)       | Facebook    | —         | social      | 7 social
    // 10   | SP4                | page_view            | Gmail       | —         | email       | 2 email
    // 11   | SP4                | page_view            | —           | —         | unknown     | 10 referral
    // 12   | ecdf… ← network_userid (server event: no domain_userid; no derived_tstamp)
    //      |                    | subscription_renewed | —           | —         | —           | 1 direct
    // 13   | SP1 (next day)     | page_view            | —           | —         | —           | 1 direct
    // 14   | SP3                | page_view            | awin (mkt)  | affiliate | unknown     | 4 affiliate
    //
    // Customers: SP1, SP2, u-48151, SP3, SP4, ecdf… = 6. Channels: organic_search 2, direct 4,
    // paid_search 2, social 2, email 1, referral 1, affiliate 1 = 13.
    let (t, r) = check(
        "snowplow.tsv",
        SNOWPLOW,
        &Expected {
            preset: Preset::Snowplow,
            format: "tsv",
            rows_read: 13,
            events: 13,
            duplicates: 0,
            skipped: &[],
            unzoned: 13,
            journeys: &[
                (
                    SP1,
                    &["page_view@organic_search", "page_ping@organic_search", "page_view@direct", "page_view@direct"],
                ),
                (SP2, &["page_view@paid_search"]),
                ("u-48151", &["link_click@paid_search", "transaction@direct"]),
                (SP3, &["page_view@social", "event@social", "page_view@affiliate"]),
                (SP4, &["page_view@email", "page_view@referral"]),
                (SP_NUID, &["subscription_renewed@direct"]),
            ],
            channels: Some(&[
                ("affiliate", 1),
                ("direct", 4),
                ("email", 1),
                ("organic_search", 2),
                ("paid_search", 2),
                ("referral", 1),
                ("social", 2),
            ]),
        },
    );
    let m = &r.mapping;
    assert_eq!(col(&r, m.id), Some("user_id"));
    assert_eq!(cols(&r, m.fallbacks(Role::Id)), ["domain_userid", "network_userid"]);
    assert_eq!(col(&r, m.time), Some("derived_tstamp"));
    assert_eq!(cols(&r, m.fallbacks(Role::Time)), ["collector_tstamp"]);
    assert_eq!(col(&r, m.event), Some("event_name"));
    let d = m.derived_channel.as_ref().unwrap();
    assert_eq!((cols(&r, &d.source), cols(&r, &d.medium)), (vec!["mkt_source", "refr_source"], vec!["mkt_medium"]));
    assert_eq!(cols(&r, &d.referrer), ["refr_medium"]);
    // derived_tstamp 2024-03-01 10:00:00.121; the server event falls back to collector_tstamp.
    assert_eq!(ts(&t, SP1, 0), 1_709_287_200_121_000);
    assert_eq!(ts(&t, SP_NUID, 0), 1_709_506_800_000_000);
    let s = |a: &str, b: &str, v: f64| (a.to_string(), b.to_string(), v);
    assert_eq!(revenues(&t), [s("u-48151", "transaction", 149.9)]);
}

// ---------------------------------------------------------------------------------------
// E-commerce clickstream and process mining: no channel to derive
// ---------------------------------------------------------------------------------------

#[test]
fn rees46_clickstream() {
    // line | user_id   | event_time (UTC) | event_type
    //  2,5,11,13 | 562076640 | 00:00:02 view, 00:00:24 cart, 00:01:10 view, 00:02:51 purchase
    //  3,9,10,15,16 | 553329724 | view, cart, remove_from_cart, then a second session: view, view
    //  4,7,8,12,14 | 556138645 | view, view, (line 8 = line 7, an exact duplicate), cart, purchase
    //  6   | 564506666 | view
    // Events 15 − 1 duplicate = 14; customers 4.
    let (t, r) = check(
        "clickstream.csv",
        CLICKSTREAM,
        &Expected {
            preset: Preset::Clickstream,
            format: "csv",
            rows_read: 15,
            events: 14,
            duplicates: 1,
            skipped: &[],
            unzoned: 0,
            journeys: &[
                ("562076640", &["view", "cart", "view", "purchase"]),
                ("553329724", &["view", "cart", "remove_from_cart", "view", "view"]),
                ("556138645", &["view", "view", "cart", "purchase"]),
                ("564506666", &["view"]),
            ],
            channels: None,
        },
    );
    assert_eq!(ts(&t, "562076640", 0), 1_569_888_002_000_000);
    // `price` is the product's price on every event, views and carts included, not what was
    // paid: the preset maps no revenue.
    assert_eq!(col(&r, r.mapping.revenue), None);
    assert!(t.revenue.is_none());
}

#[test]
fn pm4py_event_log() {
    // 4 cases, 18 events; case 1 has a start/complete pair of "examine thoroughly" (two events
    // of one name). Offsets +01:00, +02:00 (case 3 crosses the switch to summer time) and Z.
    let (t, r) = check(
        "process_mining.csv",
        PROCESS_MINING,
        &Expected {
            preset: Preset::ProcessMining,
            format: "csv",
            rows_read: 18,
            events: 18,
            duplicates: 0,
            skipped: &[],
            unzoned: 0,
            journeys: &[
                (
                    "1",
                    &[
                        "register request",
                        "examine thoroughly",
                        "examine thoroughly",
                        "check ticket",
                        "decide",
                        "reject request",
                    ],
                ),
                ("2", &["register request", "check ticket", "examine casually", "decide", "pay compensation"]),
                ("3", &["register request", "examine casually", "check ticket", "decide", "pay compensation"]),
                ("4", &["register request", "check ticket"]),
            ],
            channels: None,
        },
    );
    let m = &r.mapping;
    assert_eq!(
        (col(&r, m.id), col(&r, m.time), col(&r, m.event)),
        (Some("case:concept:name"), Some("time:timestamp"), Some("concept:name"))
    );
    assert_eq!((m.channel, m.stage, m.revenue), (None, None, None));
    // 2024-03-30T17:10+01:00 → 2024-04-02T09:05+02:00 is 62 h 55 min, not 63 h 55 min.
    assert_eq!(ts(&t, "3", 2) - ts(&t, "3", 1), (62 * 60 + 55) * 60 * 1_000_000);
    assert_eq!(ts(&t, "3", 2), 1_712_041_500_000_000);
}

// ---------------------------------------------------------------------------------------
// Detection, the generic preset, and channel corrections
// ---------------------------------------------------------------------------------------

#[test]
fn each_header_detects_its_preset() {
    for (name, bytes, preset) in ALL {
        let (_, r) = load(name, bytes);
        assert_eq!(Preset::detect(&r.headers), preset, "{name}: {:?}", r.headers);
    }
    // The delimited files straight from their first line.
    for (name, bytes, delimiter, preset) in [
        ("segment_warehouse.csv", SEGMENT_WAREHOUSE, ',', Preset::Segment),
        ("snowplow.tsv", SNOWPLOW, '\t', Preset::Snowplow),
        ("clickstream.csv", CLICKSTREAM, ',', Preset::Clickstream),
        ("process_mining.csv", PROCESS_MINING, ',', Preset::ProcessMining),
    ] {
        let first = std::str::from_utf8(bytes).unwrap().lines().next().unwrap();
        let headers: Vec<String> = first.split(delimiter).map(String::from).collect();
        assert_eq!(Preset::detect(&headers), preset, "{name}");
    }
    let adobe =
        std::str::from_utf8(ADOBE_HEADERS).unwrap().trim_end().split('\t').map(String::from).collect::<Vec<_>>();
    assert_eq!(Preset::detect(&adobe), Preset::Adobe);
    // Without the post_ columns, the raw visitor pair and hit_time_gmt.
    let raw: Vec<String> = adobe.iter().filter(|h| !h.starts_with("post_")).cloned().collect();
    assert_eq!(Preset::detect(&raw), Preset::Adobe);
    assert_eq!(Preset::from_key("adobe"), Some(Preset::Adobe));
}

#[test]
fn choosing_generic_overrides_detection() {
    let generic = |name: &str, bytes: &[u8]| load_as(name, bytes, Some(Preset::Generic), ColumnOverrides::default());
    // (file, id column, channel column, events, customers, skipped (reason, count) by reason)
    type Row<'a> = (&'a str, &'a [u8], &'a str, Option<&'a str>, usize, usize, &'a [(SkipReason, u64)]);
    let cases: [Row; 7] = [
        // Only `user_id` is the id: logged-out rows (no value) are skipped; the channel is the
        // raw first-touch `traffic_source.source` (google ×3, facebook ×4).
        ("ga4.jsonl", GA4, "user_id", Some("traffic_source.source"), 7, 2, &[(SkipReason::MissingId, 15)]),
        // The 7 anonymous rows (no userId) and the identify and page calls of known users (no
        // `event` key: 2) are skipped; the channel is Segment's `channel` field: "client" ×2, "server" ×2.
        (
            "segment.json",
            SEGMENT,
            "userId",
            Some("channel"),
            4,
            2,
            &[(SkipReason::MissingId, 7), (SkipReason::MissingEvent, 2)],
        ),
        ("segment_warehouse.csv", SEGMENT_WAREHOUSE, "user_id", None, 4, 3, &[(SkipReason::MissingId, 6)]),
        // `$user_id` (last segment `user_id`) beats `distinct_id`.
        (
            "mixpanel.jsonl",
            MIXPANEL,
            "properties.$user_id",
            Some("properties.utm_source"),
            4,
            2,
            &[(SkipReason::MissingId, 7)],
        ),
        (
            "amplitude.jsonl",
            AMPLITUDE,
            "user_id",
            Some("user_properties.utm_source"),
            5,
            2,
            &[(SkipReason::MissingId, 5)],
        ),
        // These presets name the columns generic detection finds anyway.
        ("clickstream.csv", CLICKSTREAM, "user_id", None, 14, 4, &[]),
        ("process_mining.csv", PROCESS_MINING, "case:concept:name", None, 18, 4, &[]),
    ];
    for (name, bytes, id, channel, events, customers, skipped) in cases {
        let (t, r) = generic(name, bytes).unwrap_or_else(|e| panic!("{e}"));
        let m = &r.mapping;
        assert_eq!((m.preset, m.preset_detected), (Preset::Generic, false), "{name}");
        assert!(m.fallbacks.is_empty() && m.derived_channel.is_none(), "{name}: nothing coalesced or derived");
        assert_eq!(col(&r, m.id), Some(id), "{name}: id");
        assert_eq!(col(&r, m.channel), channel, "{name}: channel");
        assert_eq!((t.len(), t.customer_count()), (events, customers), "{name}: events, customers");
        let by_reason: Vec<(SkipReason, u64)> = r.skipped.iter().map(|s| (s.reason, s.count)).collect();
        assert_eq!(by_reason, skipped, "{name}: skipped rows by reason");
    }
    let (t, _) = generic("segment.json", SEGMENT).unwrap();
    assert_eq!(counts(t.channel.as_ref().unwrap()), owned_counts(&[("client", 2), ("server", 2)]));
    // Snowplow's names (`*_tstamp`) are no generic timestamp name.
    let e = generic("snowplow.tsv", SNOWPLOW).unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("snowplow.tsv", Some(1)));
    assert!(e.message.starts_with("no timestamp column found in the header (\"app_id\", \"platform\""), "{e}");
    // Choosing the preset that would be detected is the same load, but not "detected".
    let (t, r) = load_as("snowplow.tsv", SNOWPLOW, Some(Preset::Snowplow), ColumnOverrides::default()).unwrap();
    assert_eq!((r.mapping.preset, r.mapping.preset_detected, t.len()), (Preset::Snowplow, false, 13));
}

#[test]
fn a_channel_correction_replaces_the_derived_channel() {
    let with = |role: Role, header: &str| {
        let mut o = ColumnOverrides::default();
        o.set(role, header.into());
        o
    };
    // Snowplow with refr_source as the channel: Google (lines 2, 3, 5, 6), Facebook (8, 9),
    // Gmail (10), empty on the other 6.
    let (t, r) = load_as("snowplow.tsv", SNOWPLOW, None, with(Role::Channel, "refr_source")).unwrap();
    assert_eq!(r.mapping.preset, Preset::Snowplow, "the preset is still detected");
    assert_eq!((col(&r, r.mapping.channel), r.mapping.derived_channel.as_ref()), (Some("refr_source"), None));
    assert_eq!(
        counts(t.channel.as_ref().unwrap()),
        owned_counts(&[("", 6), ("Facebook", 2), ("Gmail", 1), ("Google", 4)])
    );
    // A flattened JSON path works as the header name: GA4's traffic_source.medium is
    // (none) ×4 (P4), cpc ×8 (P1, u_1001) + ×4 (u_1002), email ×5 (P2).
    let (t, r) = load_as("ga4.jsonl", GA4, None, with(Role::Channel, "traffic_source.medium")).unwrap();
    assert_eq!((col(&r, r.mapping.channel), r.mapping.derived_channel.as_ref()), (Some("traffic_source.medium"), None));
    assert_eq!(counts(t.channel.as_ref().unwrap()), owned_counts(&[("(none)", 4), ("cpc", 12), ("email", 5)]));
    // A header this file lacks leaves the derived channel in place.
    let (t, r) = load_as("snowplow.tsv", SNOWPLOW, None, with(Role::Channel, "utm_source")).unwrap();
    assert!(r.mapping.channel.is_none() && r.mapping.derived_channel.is_some());
    assert_eq!(counts(t.channel.as_ref().unwrap()).len(), 7);
    // An empty correction means "no channel": nothing is derived either.
    let (t, r) = load_as("mixpanel.jsonl", MIXPANEL, None, with(Role::Channel, "")).unwrap();
    assert!(r.mapping.channel.is_none() && r.mapping.derived_channel.is_none() && t.channel.is_none());
    // Correcting another role keeps the derived channel.
    let (t, r) = load_as("amplitude.jsonl", AMPLITUDE, None, with(Role::Id, "device_id")).unwrap();
    assert_eq!((col(&r, r.mapping.id), r.mapping.fallbacks(Role::Id)), (Some("device_id"), &[][..]));
    assert_eq!(t.customer_count(), 3, "one device per customer: D1, the iPhone, D3");
    assert_eq!(counts(t.channel.as_ref().unwrap()).iter().map(|c| c.1).sum::<u64>(), 10);
}

// ---------------------------------------------------------------------------------------
// Adobe Analytics data feed: hit_data.tsv (no header) named by column_headers.tsv
// ---------------------------------------------------------------------------------------
//
// hit_data.tsv, 20 lines, 28 columns (column_headers.tsv). Visitor = post_visid_high "_"
// post_visid_low, else mcvisid. Time = hit_time_gmt (Unix s, UTC), else date_time (the
// report suite's time, EST here, read as UTC without a zone). Event = post_pagename, else
// pagename, else post_page_url, else page_url. Channel: adobe_channel(post_campaign, ref_type).
//   line  visitor  page                 post_campaign          ref_type → channel / why skipped
//   1     A        home                 —                      3 search      → organic_search
//   2     A        product:tents        —                      1 internal    → direct
//   3     A        cart                 —                      1             → direct
//   4     A        cart                 exclude_hit 1                         → skipped: excluded
//   5     B        landing:summer       cpc:google:brand       3             → paid_search (medium cpc)
//   6     B        product:boots        cpc:google:brand       1             → paid_search
//   7     B        (none)               hit_source 5                          → skipped: data source
//   8     B        (page_url) https://shop.example.com/help/returns, cpc:google:brand → paid_search
//   9     A        home                 email:spring_sale      6 typed       → email
//   10    A        checkout             email:spring_sale      1             → email
//   11    A        order confirmation   email:spring_sale      1             → email
//   12    A        home                 exclude_hit 3                         → skipped: excluded
//   13    C        blog:camping-tips    —                      9 social      → social
//   14    C        product:stove        —                      1             → direct
//   15    C        (none)               hit_source 7                          → skipped: data source
//   16    D        home                 —                      2 other site  → referral
//   17    D        no page name or URL                                        → skipped: missing event
//   18    E (mcvisid only; no hit_time_gmt: date_time 2024-03-05 08:00:00, unzoned) home, 6 → direct
//   19    F        home                 facebook:cpc:retarget  9             → paid_social
//   20    F        product:tents        facebook:cpc:retarget  1             → paid_social
// → 20 rows, 15 events, 6 visitors, 5 skipped (missing event 1, excluded 2, data source 2);
//   channels direct 2 + 1 + 1 = 4, email 3, paid_search 3, paid_social 2, organic_search 1,
//   social 1, referral 1 (= 15). The used rows' times never go back: 0 out of order.

const ADOBE_HITS: &[u8] = include_bytes!("fixtures/vendors/adobe/hit_data.tsv");
const ADOBE_HEADERS: &[u8] = include_bytes!("fixtures/vendors/adobe/column_headers.tsv");
const ADOBE_ZIP: &[u8] = include_bytes!("fixtures/vendors/adobe_feed.zip");

const VA: &str = "3037283049503457321_6917529027641081856";
const VB: &str = "2894711022145560102_4611686018427387904";
const VC: &str = "3123456789012345678_5764607523034234880";
const VD: &str = "1844674407370955161_2305843009213693952";
const VE: &str = "45118063262476512113542087734582921234";
const VF: &str = "2999887766554433221_1152921504606846976";

fn load_adobe(hit_data: &str, hits: &[u8], headers: &[u8], preset: Option<Preset>) -> (EventTable, LoadReport) {
    let names = touchpath::core::ingest::parse_column_headers("column_headers.tsv", headers).unwrap();
    assert_eq!(names.len(), 28);
    let mut loader = Loader::new(hit_data, ColumnOverrides::default())
        .column_headers(names, "column_headers.tsv")
        .skip_lookups(true)
        .preset(preset);
    loader.push(hits).unwrap_or_else(|e| panic!("{e}"));
    loader.finish().unwrap_or_else(|e| panic!("{e}"))
}

fn check_adobe(t: &EventTable, r: &LoadReport) {
    assert_eq!((r.mapping.preset, r.mapping.preset_detected), (Preset::Adobe, true));
    assert_eq!(Preset::Adobe.label(), "Adobe Analytics data feed");
    assert_eq!((r.format.as_str(), r.headerless, r.named_by.as_deref()), ("tsv", true, Some("column_headers.tsv")));
    let m = &r.mapping;
    assert_eq!((col(r, m.id), col(r, m.id_joined_with)), (Some("post_visid_high"), Some("post_visid_low")));
    assert_eq!(cols(r, m.fallbacks(Role::Id)), ["mcvisid"]);
    assert_eq!((col(r, m.time), cols(r, m.fallbacks(Role::Time))), (Some("hit_time_gmt"), vec!["date_time"]));
    assert_eq!(col(r, m.event), Some("post_pagename"));
    assert_eq!(cols(r, m.fallbacks(Role::Event)), ["pagename", "post_page_url", "page_url"]);
    assert_eq!((col(r, m.revenue), col(r, m.channel), col(r, m.stage)), (None, None, None));
    let (products, events) = m.product_revenue.unzip();
    assert_eq!((col(r, products), col(r, events)), (Some("post_product_list"), Some("post_event_list")));
    let d = m.derived_channel.as_ref().expect("a derived channel");
    assert!(d.adobe);
    assert_eq!((cols(r, &d.source), cols(r, &d.referrer)), (vec!["post_campaign", "campaign"], vec!["ref_type"]));
    assert_eq!((r.rows_read, r.rows_used, t.len(), r.duplicates), (20, 15, 15, 0));
    let skipped: Vec<(SkipReason, u64, Vec<u64>)> =
        r.skipped.iter().map(|s| (s.reason, s.count, s.lines.clone())).collect();
    assert_eq!(
        skipped,
        [
            (SkipReason::MissingEvent, 1, vec![17]),
            (SkipReason::ExcludedHit, 2, vec![4, 12]),
            (SkipReason::DataSourceHit, 2, vec![7, 15]),
        ]
    );
    assert_eq!(r.skipped[1].example.as_deref(), Some("exclude_hit 1"));
    assert_eq!(r.skipped[2].example.as_deref(), Some("hit_source 5"));
    assert_eq!((r.unzoned_timestamps, r.out_of_order), (1, 0));
    assert_eq!(
        journeys(t),
        owned(&[
            (
                VA,
                &[
                    "home@organic_search",
                    "product:tents@direct",
                    "cart@direct",
                    "home@email",
                    "checkout@email",
                    "order confirmation@email",
                ]
            ),
            (
                VB,
                &[
                    "landing:summer@paid_search",
                    "product:boots@paid_search",
                    "https://shop.example.com/help/returns@paid_search"
                ]
            ),
            (VC, &["blog:camping-tips@social", "product:stove@direct"]),
            (VD, &["home@referral"]),
            (VE, &["home@direct"]),
            (VF, &["home@paid_social", "product:tents@paid_social"]),
        ])
    );
    assert_eq!(
        counts(t.channel.as_ref().unwrap()),
        owned_counts(&[
            ("direct", 4),
            ("email", 3),
            ("organic_search", 1),
            ("paid_search", 3),
            ("paid_social", 2),
            ("referral", 1),
            ("social", 1),
        ])
    );
    // hit_time_gmt 1709287200 = 2024-03-01T10:00:00Z (date_time says 05:00:00, EST);
    // E has only date_time, 2024-03-05 08:00:00, read as UTC.
    assert_eq!(ts(t, VA, 0), 1_709_287_200_000_000);
    assert_eq!(ts(t, VE, 0), 1_709_625_600_000_000);
    // Revenue: the purchase hits (event 1 in post_event_list) are line 11 (";Tent 2P;1;249.00",
    // events "1,200") and line 15 (";Stove;1;89.00", a skipped data-source row); line 3 lists a
    // product without a price on a cart addition (event 12).
    assert_eq!(revenues(t), [(VA.to_string(), "order confirmation".to_string(), 249.0)]);
    assert_eq!(r.bad_revenue, 0);
    // Adobe's visitor ids are all anonymous: no identity links.
    assert!(r.identity_links.is_empty());
}

#[test]
fn adobe_data_feed_named_by_column_headers() {
    let (t, r) = load_adobe("hit_data.tsv", ADOBE_HITS, ADOBE_HEADERS, None);
    check_adobe(&t, &r);
    // Chosen rather than detected: the same load.
    let (t, r) = load_adobe("hit_data.tsv", ADOBE_HITS, ADOBE_HEADERS, Some(Preset::Adobe));
    assert_eq!((r.mapping.preset_detected, t.len(), t.customer_count()), (false, 15, 6));
    // Read as generic, the names are recognised by the generic rules: date_time is the time,
    // no name is an id or an event, so those are guessed from the values (and the Adobe rules —
    // joined visitor, exclusions — do not apply).
    let (_, r) = load_adobe("hit_data.tsv", ADOBE_HITS, ADOBE_HEADERS, Some(Preset::Generic));
    assert_eq!((r.mapping.preset, col(&r, r.mapping.time)), (Preset::Generic, Some("date_time")));
    assert!(r.mapping.exclude_hit.is_none() && r.mapping.id_joined_with.is_none() && r.skipped.is_empty());
    assert!(r.mapping.product_revenue.is_none());
    // A first line that is the column names themselves is read as the header.
    let mut with_header = ADOBE_HEADERS.to_vec();
    with_header.extend_from_slice(ADOBE_HITS);
    let (t, r) = load_adobe("hit_data.tsv", &with_header, ADOBE_HEADERS, None);
    assert_eq!((r.headerless, r.rows_read, t.len()), (false, 20, 15));
    assert_eq!(r.skipped[0].lines, [18], "line numbers count the header");
}

#[test]
fn adobe_zip_with_lookup_files() {
    let files = touchpath::core::zip::read_all(ADOBE_ZIP).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["hit_data.tsv", "column_headers.tsv", "browser.tsv", "event.tsv"]);
    assert!(touchpath::core::ingest::is_adobe_column_headers(names[1]));
    assert!(touchpath::core::ingest::is_adobe_hit_data("feed.zip/hit_data.tsv"));
    assert!(!touchpath::core::ingest::is_adobe_hit_data("hit_data.csv"));
    let (t, r) = load_adobe("adobe_feed.zip/hit_data.tsv", &files[0].1, &files[1].1, None);
    check_adobe(&t, &r);
    // The lookups (id → name, no time) are recognised, not loaded, and are no error.
    for (name, bytes) in &files[2..] {
        let (t, r) = load_adobe(name, bytes, &files[1].1, None);
        assert!(r.lookup && t.is_empty(), "{name}");
    }
    // Outside an Adobe feed, a lookup is an ordinary file without an id column.
    let e = load_bytes("event.tsv", &files[3].1, &ColumnOverrides::default()).unwrap_err();
    assert!(e.message.starts_with("no customer id column found in the header (\"1\", \"Purchase\")"), "{e}");
}

#[test]
fn adobe_files_on_their_own() {
    // hit_data.tsv alone has no header: it is read as a file without one (columns guessed,
    // here poorly), with a note naming column_headers.tsv.
    let (_, r) = load("hit_data.tsv", ADOBE_HITS);
    assert!(r.headerless && r.named_by.is_none());
    assert_eq!(r.mapping.preset, Preset::Generic);
    assert_eq!(
        r.notes,
        ["This looks like an Adobe Analytics data feed: column_headers.tsv names its columns; open both files together (or the zip that holds them)."]
    );
    // When even a guess fails, the message says so too.
    let e =
        load_bytes("hit_data.tsv", b"2024-03-01 10:00:00\t1\n2024-03-01 10:00:01\t2\n", &ColumnOverrides::default())
            .unwrap_err();
    assert!(e.message.ends_with("; this looks like an Adobe Analytics data feed: column_headers.tsv names its columns; open both files together (or the zip that holds them)"), "{e}");
    // column_headers.tsv must be one line of names.
    let e = touchpath::core::ingest::parse_column_headers("column_headers.tsv", b"just one\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "column_headers.tsv: line 1: column_headers.tsv should be one line of tab-separated column names"
    );
    // Names and data of different feeds.
    let mut loader = Loader::new("hit_data.tsv", ColumnOverrides::default())
        .column_headers(vec!["a".into(), "b".into(), "c".into()], "column_headers.tsv");
    let e = loader.push(ADOBE_HITS).unwrap_err();
    assert_eq!(
        e.to_string(),
        "hit_data.tsv: line 1: column_headers.tsv names 3 columns but this line has 28 fields: are they from the same data feed?"
    );
}

/// Adobe's "multiple files" delivery: the hit data gzip-compressed (`01-rsid_date.tsv.gz`) and
/// the column names with the lookups in `rsid_date-lookup_data.tar.gz`. The same 20 rows.
#[test]
fn adobe_gzipped_hit_data_and_a_lookup_tar_gz() {
    let hits = include_bytes!("fixtures/vendors/adobe_multi/01-examplersid_2024-03-05.tsv.gz");
    let lookups = include_bytes!("fixtures/vendors/adobe_multi/examplersid_2024-03-05-lookup_data.tar.gz");
    let files = touchpath::core::tar::read_all(lookups).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["column_headers.tsv", "browser.tsv", "event.tsv"]);
    assert_eq!(files[0].1, ADOBE_HEADERS);
    let (t, mut r) = load_adobe("01-examplersid_2024-03-05.tsv.gz", hits, &files[0].1, None);
    assert_eq!(r.format, "tsv (gzip)");
    r.format = "tsv".into();
    check_adobe(&t, &r);
}

/// Sessions in the vendor fixtures (`count=sessions`): worked out from the fixtures' session
/// columns and times.
///
/// | fixture | session column | customers → sessions from the column | by a 30-minute gap |
/// |---|---|---|---|
/// | GA4 | `event_params[key=ga_session_id]` | P4 1, P1 1, P2 2 (1709292000, 1709370000), u_1001 1, u_1002 1 = 6 | the same 6 (P2's two are 21 h apart) |
/// | Amplitude | `session_id` | device a1b2… 1, cust_7781 1, cust_9001 1, device d8c7… 2 = 5 | 5 |
/// | Snowplow | `domain_sessionid` | 5d9f… 2, 8b1c… 1, u-48151 1, c3d4… 2, e5f6… 1, the network id ecdf… (no session id) 1 = 8 | 8 |
/// | clickstream | `user_session` | 562076640 1, 553329724 2, 556138645 1, 564506666 1 = 5 | 5 |
/// | Adobe | `visit_num` (with the visitor) | 3037… visits 1 and 2, 2894… 1, 3123… 1, 1844… 1, mcvisid …234 1, 2999… 1 = 7 | 7 |
///
/// The gap and the column part where sessions have pauses: with a 1-minute gap Amplitude's
/// sessions split at every pause over a minute — a1b2… 10:00:00.5 | 10:01:10 (69.5 s),
/// cust_7781 10:03:00 | 10:05:30, cust_9001 07:45:12, 07:45:20 | 07:48:02, d8c7… 12:30:00 |
/// 12:31:45 | next day — 2 + 2 + 2 + 3 = 9, the column still 5. With a 10-minute gap Snowplow's
/// e5f6… (08:14:59, then 08:40:11 in the same session) is two: 9, the column 8.
#[test]
fn vendor_session_columns() {
    use touchpath::core::funnel::{compute, Count, FunnelQuery};
    use touchpath::core::session::SessionSource;
    use touchpath::core::time::{Duration, TimeUnit};
    let sessions = |t: &EventTable, source, minutes: u32| {
        let step = t.event.values[0].clone();
        let q = FunnelQuery {
            steps: vec![step],
            count: Count::Sessions,
            sessions: source,
            session_gap: Some(Duration { amount: minutes, unit: TimeUnit::Minute }),
            ..Default::default()
        };
        let r = compute(t, &q).unwrap();
        (r.sessions.unwrap(), r.session_source.unwrap())
    };
    let (adobe, adobe_report) = load_adobe("hit_data.tsv", ADOBE_HITS, ADOBE_HEADERS, None);
    let loaded: Vec<(&str, EventTable, LoadReport)> = ALL
        .iter()
        .map(|(name, bytes, _)| {
            let (t, r) = load(name, bytes);
            (*name, t, r)
        })
        .chain([("hit_data.tsv", adobe, adobe_report)])
        .collect();
    let want: [(&str, Option<&str>, u64, u64); 9] = [
        ("ga4.jsonl", Some("event_params[key=ga_session_id]"), 6, 6),
        ("segment.json", None, 0, 0),
        ("segment_warehouse.csv", None, 0, 0),
        ("mixpanel.jsonl", None, 0, 0),
        ("amplitude.jsonl", Some("session_id"), 5, 5),
        ("snowplow.tsv", Some("domain_sessionid"), 8, 8),
        ("clickstream.csv", Some("user_session"), 5, 5),
        ("process_mining.csv", None, 0, 0),
        ("hit_data.tsv", Some("visit_num"), 7, 7),
    ];
    for ((name, t, r), (want_name, header, column, gap)) in loaded.iter().zip(want) {
        assert_eq!(*name, want_name);
        assert_eq!(col(r, r.mapping.session), header, "{name}");
        assert_eq!(t.session.is_some(), header.is_some(), "{name}");
        if header.is_some() {
            assert_eq!(sessions(t, SessionSource::Column, 30), (column, SessionSource::Column), "{name}");
            assert_eq!(sessions(t, SessionSource::Gap, 30), (gap, SessionSource::Gap), "{name}");
        } else {
            assert_eq!(sessions(t, SessionSource::Column, 30).1, SessionSource::Gap, "{name}: no column");
        }
    }
    let amplitude = &loaded[4].1;
    assert_eq!(sessions(amplitude, SessionSource::Column, 1).0, 5);
    assert_eq!(sessions(amplitude, SessionSource::Gap, 1).0, 9);
    let snowplow = &loaded[5].1;
    assert_eq!(sessions(snowplow, SessionSource::Column, 10).0, 8);
    assert_eq!(sessions(snowplow, SessionSource::Gap, 10).0, 9);
}
