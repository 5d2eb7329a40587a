//! JSON lines and JSON arrays through `touchpath::core::ingest`.

mod common;

use std::io::Write;

use common::Rng;
use touchpath::core::ingest::{load_bytes, LoadReport, Loader, SkipReason};
use touchpath::core::schema::{ColumnOverrides, Preset};
use touchpath::core::table::EventTable;

/// 2024-03-01T00:00:00Z in microseconds: 19,783 days since the epoch.
const MAR1: i64 = 19_783 * 86_400 * 1_000_000;
const SEC: i64 = 1_000_000;

fn load(bytes: &[u8]) -> (EventTable, LoadReport) {
    load_bytes("events.json", bytes, &ColumnOverrides::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// (customer, micros, event, channel) per row, in table order.
fn rows(t: &EventTable) -> Vec<(String, i64, String, Option<String>)> {
    let mut out = Vec::new();
    for c in 0..t.customer_count() {
        for r in t.rows_of(c) {
            out.push((
                t.customers.id(c).to_string(),
                t.ts.at(r),
                t.event.value(r).to_string(),
                t.channel.as_ref().map(|ch| ch.value(r).to_string()),
            ));
        }
    }
    out
}

fn r(c: &str, ts: i64, e: &str, ch: Option<&str>) -> (String, i64, String, Option<String>) {
    (c.into(), ts, e.into(), ch.map(String::from))
}

const MIXPANEL: &str = r#"{"event":"Signed Up","properties":{"time":1709251200,"distinct_id":"u1","utm_source":"google","$insert_id":"a"}}
{"event":"Purchase","properties":{"time":1709251260000,"distinct_id":"u1","utm_source":"email"}}
{"event":"Signed Up","properties":{"time":1709251230,"distinct_id":"u2"}}
"#;

#[test]
fn json_lines_with_nested_properties() {
    let (t, rep) = load(MIXPANEL.as_bytes());
    assert_eq!(rep.format, "json lines");
    assert_eq!((rep.rows_read, rep.rows_used), (3, 3));
    let h = |i: Option<usize>| i.map(|i| rep.headers[i].as_str());
    assert_eq!(h(rep.mapping.id), Some("properties.distinct_id"));
    assert_eq!(h(rep.mapping.time), Some("properties.time"));
    // Detected as a Mixpanel export: the channel is derived from utm_source / utm_medium.
    assert_eq!(rep.mapping.preset, Preset::Mixpanel);
    assert_eq!(h(rep.mapping.channel), None);
    let derived = rep.mapping.derived_channel.as_ref().expect("a derived channel");
    assert_eq!(derived.source.iter().map(|&c| rep.headers[c].as_str()).collect::<Vec<_>>(), ["properties.utm_source"]);
    // Seconds and milliseconds told apart by magnitude. Channels by the default grouping:
    // "google" with no medium is a search engine → organic_search; "email" contains "mail" → email;
    // u2 has neither source nor medium → direct.
    assert_eq!(
        rows(&t),
        vec![
            r("u1", MAR1, "Signed Up", Some("organic_search")),
            r("u1", MAR1 + 60 * SEC, "Purchase", Some("email")),
            r("u2", MAR1 + 30 * SEC, "Signed Up", Some("direct")),
        ]
    );
}

#[test]
fn json_array_pretty_printed_with_braces_in_strings() {
    let text = r#"[
  {"userId": "9007199254740993", "timestamp": "2024-03-01T00:00:00Z", "event": "a {tricky} \"name\" ]"},
  {"userId": "9007199254740993", "timestamp": "2024-03-01T00:00:05Z",
   "event": "b", "context": {"campaign": {"source": "newsletter"}}}
]"#;
    let (t, rep) = load(text.as_bytes());
    assert_eq!(rep.format, "json");
    assert_eq!(
        rows(&t),
        vec![
            r("9007199254740993", MAR1, "a {tricky} \"name\" ]", Some("")),
            r("9007199254740993", MAR1 + 5 * SEC, "b", Some("newsletter")),
        ]
    );
}

#[test]
fn ga4_event_params_become_columns() {
    let text = r#"{"event_timestamp":"1709251200000000","event_name":"page_view","user_pseudo_id":"p1","event_params":[{"key":"source","value":{"string_value":"google","int_value":null}},{"key":"ga_session_id","value":{"int_value":77}}]}
"#;
    let (t, rep) = load(text.as_bytes());
    assert!(rep.headers.contains(&"event_params[key=ga_session_id]".to_string()), "{:?}", rep.headers);
    // GA4: source "google" without a medium → organic_search.
    assert_eq!(rep.mapping.preset, Preset::Ga4);
    assert_eq!(rows(&t), vec![r("p1", MAR1, "page_view", Some("organic_search"))]);
}

#[test]
fn bad_lines_are_skipped_with_their_line_numbers() {
    // Line 2 is not JSON, line 3 is not an object, line 5 is blank, line 6 has no id key,
    // line 7 is cut short (no closing brace, no final newline).
    let text = "{\"user\":\"a\",\"ts\":\"2024-03-01\",\"event\":\"x\"}\n\
                oops\n\
                [1,2]\n\
                {\"user\":\"b\",\"ts\":\"2024-03-01\",\"event\":\"y\"}\n\
                \n\
                {\"ts\":\"2024-03-01\",\"event\":\"z\"}\n\
                {\"user\":\"c\",\"ts\":\"2024-03";
    let (t, rep) = load(text.as_bytes());
    assert_eq!(t.len(), 2);
    let lines = |reason| rep.skipped.iter().find(|s| s.reason == reason).map(|s| s.lines.clone());
    assert_eq!(lines(SkipReason::InvalidJson), Some(vec![2, 3]));
    assert_eq!(lines(SkipReason::MissingId), Some(vec![6]), "a record without the id key");
    assert_eq!(lines(SkipReason::TruncatedLastLine), Some(vec![7]));
    assert_eq!(rep.rows_read, 6);
}

#[test]
fn columns_come_from_the_first_records_not_just_the_first() {
    // Revenue appears only in the third record; it is still mapped.
    let text = "{\"user\":\"a\",\"ts\":\"2024-03-01\",\"event\":\"visit\"}\n\
                {\"user\":\"a\",\"ts\":\"2024-03-02\",\"event\":\"cart\"}\n\
                {\"user\":\"a\",\"ts\":\"2024-03-03\",\"event\":\"buy\",\"revenue\":12.5}\n";
    let (t, rep) = load(text.as_bytes());
    assert!(rep.mapping.revenue.is_some());
    let rev = t.revenue.as_ref().unwrap();
    assert_eq!(rev.iter().collect::<Vec<_>>(), vec![(2, 12.5)]);
}

#[test]
fn errors_name_the_problem() {
    let e = load_bytes("x.json", b"[]", &ColumnOverrides::default()).unwrap_err();
    assert_eq!(e.message, "the file holds no JSON objects");
    let e = load_bytes("x.json", b"{\"a\":1,\"b\":2}\n", &ColumnOverrides::default()).unwrap_err();
    assert!(e.message.starts_with("no customer id column found in the header (\"a\", \"b\")"), "{e}");
    assert_eq!(e.line, Some(1));
}

#[test]
fn any_chunking_and_gzip_give_the_same_result() {
    let mut text = String::from("[\n");
    for i in 0..300 {
        text.push_str(&format!(
            "{{\"user\":\"u{}\",\"ts\":{},\"event\":\"e{}\",\"props\":{{\"note\":\"a\\\"}}{{[\"}}}},\n",
            i % 17,
            1_709_251_200 + i,
            i % 5
        ));
    }
    text.push_str("{\"user\":\"last\",\"ts\":1709251200,\"event\":\"end\"}\n]\n");
    let bytes = text.into_bytes();
    let (whole_t, whole_r) = load(&bytes);
    assert_eq!(whole_t.len(), 301);
    let mut rng = Rng::new(42);
    for _ in 0..40 {
        let mut loader = Loader::new("events.json", ColumnOverrides::default());
        let mut pos = 0;
        while pos < bytes.len() {
            let n = 1 + rng.below(64).min(bytes.len() - pos - 1);
            loader.push(&bytes[pos..pos + n]).unwrap();
            pos += n;
        }
        let (t, rep) = loader.finish().unwrap();
        assert_eq!(t, whole_t);
        assert_eq!(rep, whole_r);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let (t, rep) = load_bytes("events.json.gz", &gz.finish().unwrap(), &ColumnOverrides::default()).unwrap();
    assert_eq!(t, whole_t);
    assert_eq!(rep.format, "json (gzip)");
}
