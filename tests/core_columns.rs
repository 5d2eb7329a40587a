//! Kept columns (`keep=`) as dimensions, and funnel steps on another column than the funnel's
//! (`channel=email`), against hand-worked cases and an independent brute force.

mod common;
use common::Rng;

use touchpath::core::funnel::{self, compute, Breakdown, Dimension, Exclusion, FunnelError, FunnelQuery, SegmentAt};
use touchpath::core::identity;
use touchpath::core::ingest::{load_bytes, Loader};
use touchpath::core::paths::{self, PathQuery};
use touchpath::core::schema::ColumnOverrides;
use touchpath::core::summary::Summary;
use touchpath::core::table::{self, EventTable, Part, RowRef, TableBuilder};

fn load(name: &str, text: &str, keep: Option<&[&str]>) -> EventTable {
    let mut l =
        Loader::new(name, ColumnOverrides::default()).keep(keep.map(|k| k.iter().map(|s| s.to_string()).collect()));
    l.push(text.as_bytes()).unwrap();
    l.finish().unwrap().0
}

/// The values of kept column `name`, row by row (table order).
fn attr(t: &EventTable, name: &str) -> Vec<String> {
    let c = t.attr(name).unwrap_or_else(|| panic!("no kept column {name}"));
    c.codes.iter().map(|code| c.values[code as usize].clone()).collect()
}

const SHOP: &str = "user,ts,event,channel,Country,plan,notes\n\
    a,2025-01-01T00:00:01Z,visit,email,DE,pro,x\n\
    a,2025-01-01T00:00:02Z,view,web, FR ,pro,y\n\
    b,2025-01-01T00:00:01Z,visit,ads,,free,z\n";

#[test]
fn common_dimension_names_are_kept_by_default_and_keep_chooses_exactly() {
    let t = load("shop.csv", SHOP, None);
    let names: Vec<&str> = t.attrs.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Country", "plan"], "country and plan are common dimension names, notes is not");
    // Values are trimmed; an empty field is "".
    assert_eq!(attr(&t, "Country"), ["DE", "FR", ""]);
    assert_eq!(attr(&t, "plan"), ["pro", "pro", "free"]);

    let t = load("shop.csv", SHOP, Some(&["notes", "missing", "channel", "notes"]));
    let names: Vec<&str> = t.attrs.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["notes"], "a missing name and a role's column are not kept; a repeat is kept once");
    assert_eq!(attr(&t, "notes"), ["x", "y", "z"]);

    assert!(load("shop.csv", SHOP, Some(&[])).attrs.is_empty(), "keep= keeps none");

    // The report names the kept columns by index; the summary lists their values.
    let (t, report) = load_bytes("shop.csv", SHOP.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert_eq!(report.kept, [4, 5]);
    let s = Summary::of(&t, Vec::new());
    let plan = &s.attrs[1];
    assert_eq!((plan.name.as_str(), plan.distinct), ("plan", 2));
    assert_eq!((plan.values[0].value.as_str(), plan.values[0].events), ("pro", 2));
    assert_eq!(s.values(&Dimension::Attr("Country".into())).len(), 3);
}

#[test]
fn json_records_without_the_key_get_an_empty_value() {
    let text =
        "{\"user\":\"a\",\"ts\":\"2025-01-01T00:00:01Z\",\"event\":\"visit\",\"properties\":{\"device\":\"mobile\"}}\n\
                {\"user\":\"a\",\"ts\":\"2025-01-01T00:00:02Z\",\"event\":\"buy\"}\n";
    let t = load("e.jsonl", text, None);
    assert_eq!(t.attrs.len(), 1);
    assert_eq!(t.attrs[0].name, "properties.device");
    assert_eq!(attr(&t, "properties.device"), ["mobile", ""]);
}

#[test]
fn merged_and_stitched_files_keep_columns_by_name() {
    let web = load(
        "web.csv",
        "user,ts,event,device\na,2025-01-01T00:00:02Z,visit,mobile\nb,2025-01-01T00:00:01Z,visit,desktop\n",
        None,
    );
    let calls = load("calls.csv", "user,ts,event,plan\na,2025-01-01T00:00:01Z,call,pro\n", None);
    let parts = [Part { table: &web, label: "web" }, Part { table: &calls, label: "calls" }];
    let t = table::merge(&parts);
    assert_eq!(t.attrs.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["device", "plan"]);
    // Rows: a's call (t1), a's visit (t2), then b's visit; a file without a column gives "".
    assert_eq!(attr(&t, "device"), ["", "mobile", "desktop"]);
    assert_eq!(attr(&t, "plan"), ["pro", "", ""]);
    let ids = [("b".to_string(), "a".to_string())].into_iter().collect();
    let s = identity::merge_stitched(&parts, &ids);
    assert_eq!(s.customer_count(), 1);
    // b's visit merges into a; at t1 it ties with a's call and keeps the files' order.
    assert_eq!(attr(&s, "device"), ["desktop", "", "mobile"]);
    assert_eq!(attr(&s, "plan"), ["", "pro", ""]);
}

/// Rows: customer, seconds, event, channel, device.
fn table_of(rows: &[(&str, i64, &str, &str, &str)]) -> EventTable {
    let mut b = TableBuilder::new(true, false, false).with_attrs(vec!["device".into()]);
    for &(c, s, e, ch, d) in rows {
        b.push(RowRef { customer: c, ts: s * 1_000_000, event: e, channel: Some(ch), stage: None, revenue: None });
        b.push_attr(0, d);
    }
    b.finish()
}

fn counts(t: &EventTable, q: &FunnelQuery) -> Vec<u64> {
    compute(t, q).unwrap().steps.iter().map(|s| s.customers).collect()
}

fn steps(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_step_can_match_another_column_hand_worked() {
    let t = table_of(&[
        // a: an email visit, a view, a purchase: all three steps.
        ("a", 1, "visit", "email", "mobile"),
        ("a", 2, "view", "web", "mobile"),
        ("a", 3, "purchase", "web", "desktop"),
        // b: its email event is the view itself; no view after it.
        ("b", 1, "visit", "ads", "desktop"),
        ("b", 2, "view", "email", "desktop"),
        ("b", 3, "purchase", "web", "desktop"),
        // c: no email at all.
        ("c", 1, "visit", "ads", "tablet"),
        ("c", 2, "view", "ads", "tablet"),
    ]);
    let q = FunnelQuery { steps: steps(&["channel=email", "view", "purchase"]), ..Default::default() };
    assert_eq!(counts(&t, &q), [2, 1, 1]);
    let r = compute(&t, &q).unwrap();
    assert_eq!(r.steps[0].label, "channel=email", "labels stay as written");
    assert!(r.steps.iter().all(|s| s.present));
    // The same in a channel funnel, its events named with event=.
    let q = FunnelQuery {
        by: Dimension::Channel,
        steps: steps(&["email", "event=view", "event=purchase"]),
        ..Default::default()
    };
    assert_eq!(counts(&t, &q), [2, 1, 1]);
    // A kept column as a step, with alternatives; and as the funnel's own dimension.
    let q = FunnelQuery { steps: steps(&["device=mobile|tablet", "view", "device=desktop"]), ..Default::default() };
    assert_eq!(counts(&t, &q), [2, 2, 1], "a: mobile visit, view, desktop purchase; c stops at its view");
    let q = FunnelQuery {
        by: Dimension::Attr("device".into()),
        steps: steps(&["mobile", "desktop"]),
        ..Default::default()
    };
    assert_eq!(counts(&t, &q), [1, 1]);
    // A prefix that names the funnel's own dimension only strips it.
    let q = FunnelQuery { steps: steps(&["event=visit", "purchase"]), ..Default::default() };
    assert_eq!(counts(&t, &q), [3, 2]);
    // An exclusion on another column: an ads event between visit and purchase drops b.
    let q = FunnelQuery {
        steps: steps(&["visit", "purchase"]),
        exclusions: vec![Exclusion { value: "channel=ads".into(), from: 0, to: 1 }],
        ..Default::default()
    };
    assert_eq!(counts(&t, &q), [3, 2], "b's visit is itself the ads event, not between the steps");
    let q = FunnelQuery {
        steps: steps(&["visit", "purchase"]),
        exclusions: vec![Exclusion { value: "device=desktop".into(), from: 0, to: 1 }],
        ..Default::default()
    };
    assert_eq!(counts(&t, &q), [3, 1], "b's desktop view comes between: b is dropped at purchase");
    // `\=` writes an `=` of a value; a name the data has no column for is a plain value.
    let u = table_of(&[("a", 1, "channel=x", "web", "m"), ("a", 2, "size=big", "web", "m")]);
    let q = FunnelQuery { steps: steps(&["channel\\=x", "size=big"]), ..Default::default() };
    assert_eq!(counts(&u, &q), [1, 1]);
    // A built-in dimension the data lacks is an error, as is an invalid expression after a prefix.
    let q = FunnelQuery { steps: steps(&["stage=purchase"]), ..Default::default() };
    assert_eq!(compute(&t, &q).unwrap_err(), FunnelError::NoStageColumn);
    let q = FunnelQuery { steps: steps(&["channel=re:(", "view"]), ..Default::default() };
    assert!(matches!(compute(&t, &q).unwrap_err(), FunnelError::BadStep { step, .. } if step == "channel=re:("));
    // Strict order and any order use the same matching.
    let q =
        FunnelQuery { steps: steps(&["channel=email", "view"]), order: funnel::Order::Strict, ..Default::default() };
    assert_eq!(counts(&t, &q), [2, 1]);
    let q = FunnelQuery { steps: steps(&["view", "channel=email"]), order: funnel::Order::Any, ..Default::default() };
    assert_eq!(
        counts(&t, &q),
        [3, 1],
        "any order: a's email visit before its view counts; b's one email row is its view"
    );
}

#[test]
fn the_drop_off_insight_and_csv_use_the_mixed_steps() {
    let t = table_of(&[
        ("a", 1, "visit", "email", "mobile"),
        ("a", 2, "view", "web", "mobile"),
        ("b", 1, "visit", "email", "desktop"),
        ("b", 2, "chat", "web", "desktop"),
        ("c", 1, "visit", "ads", "desktop"),
    ]);
    let q = FunnelQuery { steps: steps(&["channel=email", "view"]), ..Default::default() };
    let i = touchpath::core::dropoff::insight(&t, &q, 0).unwrap();
    assert_eq!((i.reached, i.dropped, i.continued), (2, 1, 1));
    // Values are shown in the funnel's dimension (events), not as the matching's sets.
    assert_eq!(i.next_values[0].value, "chat");
    let csv = funnel::customers_csv(&t, &q).unwrap();
    assert!(csv.contains("\nb,") && csv.contains(",1,channel=email,view,0,"), "{csv}");
}

#[test]
fn breakdowns_and_paths_by_a_kept_column() {
    let t = table_of(&[
        ("a", 1, "visit", "email", "mobile"),
        ("a", 2, "buy", "web", "desktop"),
        ("b", 1, "visit", "ads", "mobile"),
        ("c", 1, "visit", "ads", "tablet"),
        ("c", 2, "buy", "web", "tablet"),
    ]);
    let by = |at| Some(Breakdown { at, by: Dimension::Attr("device".into()) });
    let q = FunnelQuery { steps: steps(&["visit", "buy"]), breakdown: by(SegmentAt::First), ..Default::default() };
    let r = compute(&t, &q).unwrap();
    let seg: Vec<(&str, Vec<u64>)> = r.segments.iter().map(|s| (s.segment.as_str(), s.steps.clone())).collect();
    assert_eq!(seg, [("mobile", vec![2, 1]), ("tablet", vec![1, 1])]);
    let q = FunnelQuery { breakdown: by(SegmentAt::Step(1)), ..q };
    let r = compute(&t, &q).unwrap();
    let seg: Vec<(&str, Vec<u64>)> = r.segments.iter().map(|s| (s.segment.as_str(), s.steps.clone())).collect();
    assert_eq!(seg[..2], [("desktop", vec![1, 1]), ("tablet", vec![1, 1])]);
    assert_eq!(q.breakdown.as_ref().unwrap().key(), "step2_device");
    // Paths by device: a mobile → desktop, b mobile, c tablet (repeats collapsed).
    let p = paths::compute(&t, &PathQuery { by: Dimension::Attr("device".into()), steps: 4, ..Default::default() })
        .unwrap();
    let mut variants: Vec<(String, u64)> = p.variants.iter().map(|v| (v.path.join(" > "), v.customers)).collect();
    variants.sort();
    assert_eq!(variants, [("mobile".to_string(), 1), ("mobile > desktop".to_string(), 1), ("tablet".to_string(), 1)]);
    // A column the data does not keep: the error names the kept ones.
    let q = FunnelQuery { by: Dimension::Attr("plan".into()), steps: steps(&["pro"]), ..Default::default() };
    let e = compute(&t, &q).unwrap_err();
    assert_eq!(e.to_string(), "this data keeps no column \"plan\" (kept: device); keep it under Columns (Kept columns) or choose another dimension");
}

/// The brute force for ordered funnels with a predicate per step: per customer, for each row
/// matching step 1, each next step at the earliest later row that matches it within the window;
/// the customer's depth is the best over the step-1 rows.
fn brute(t: &EventTable, preds: &[Box<dyn Fn(usize) -> bool + '_>], window: Option<i64>) -> Vec<u64> {
    let mut reached = vec![0u64; preds.len()];
    for c in 0..t.customer_count() {
        let rows: Vec<usize> = t.rows_of(c).collect();
        let mut best = 0;
        for (i, &r0) in rows.iter().enumerate() {
            if preds.is_empty() || !preds[0](r0) {
                continue;
            }
            let mut depth = 1;
            let mut at = i;
            for p in &preds[1..] {
                match (at + 1..rows.len()).find(|&x| p(rows[x])) {
                    Some(x) if window.is_none_or(|w| t.ts.at(rows[x]) - t.ts.at(r0) <= w) => {
                        depth += 1;
                        at = x;
                    }
                    _ => break,
                }
            }
            best = best.max(depth);
        }
        for n in &mut reached[..best] {
            *n += 1;
        }
    }
    reached
}

#[test]
fn mixed_steps_match_the_brute_force_on_random_tables() {
    let mut rng = Rng::new(0x6d69_7865);
    let events = ["visit", "view", "cart", "buy"];
    let channels = ["email", "ads", "web"];
    let devices = ["mobile", "desktop"];
    for case in 0..300 {
        let mut rows = Vec::new();
        for c in 0..1 + rng.below(6) {
            for _ in 0..rng.below(8) {
                let (e, ch, d) = (rng.pick(&events), rng.pick(&channels), rng.pick(&devices));
                rows.push((format!("c{c}"), rng.range(0, 20), e, ch, d));
            }
        }
        let rows: Vec<(&str, i64, &str, &str, &str)> =
            rows.iter().map(|(c, s, e, ch, d)| (c.as_str(), *s, *e, *ch, *d)).collect();
        let t = table_of(&rows);
        // Each step: an event, a channel, a device, or an event alternative.
        let specs: Vec<String> = (0..1 + rng.below(4))
            .map(|_| match rng.below(4) {
                0 => rng.pick(&events).to_string(),
                1 => format!("channel={}", rng.pick(&channels)),
                2 => format!("device={}", rng.pick(&devices)),
                _ => format!("{}|{}", rng.pick(&events), rng.pick(&events)),
            })
            .collect();
        let ev = t.event.clone();
        let ch = t.channel.clone().unwrap();
        let dev = t.attr("device").unwrap().clone();
        let preds: Vec<Box<dyn Fn(usize) -> bool>> = specs
            .iter()
            .map(|s| -> Box<dyn Fn(usize) -> bool> {
                let (col, want): (&touchpath::core::table::Column, Vec<String>) = match s.split_once('=') {
                    Some(("channel", v)) => (&ch, vec![v.to_string()]),
                    Some(("device", v)) => (&dev, vec![v.to_string()]),
                    _ => (&ev, s.split('|').map(String::from).collect()),
                };
                Box::new(move |r| want.iter().any(|w| *w == col.value(r)))
            })
            .collect();
        let window = [None, Some(3), Some(8)][rng.below(3)];
        let q = FunnelQuery {
            steps: specs.clone(),
            window: window.map(|s| touchpath::core::time::Duration {
                amount: s as u32,
                unit: touchpath::core::time::TimeUnit::Second,
            }),
            ..Default::default()
        };
        let want = brute(&t, &preds, window.map(|s| s * 1_000_000));
        assert_eq!(counts(&t, &q), want, "case {case}: {specs:?} {window:?}");
    }
}
