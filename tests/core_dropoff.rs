//! Funnel features worked out by hand: regular-expression steps, counting every conversion
//! (`count=totals`), breakdowns by a value at a step, revenue at the last step, and the
//! drop-off insight (what the customers who stopped did instead, what those who went on did
//! between).

use touchpath::core::dropoff::{insight, insight_csv, ValueCount};
use touchpath::core::funnel::{
    compute, escape_value, Breakdown, Count, Dimension, FunnelError, FunnelQuery, SegmentAt, StepMatch,
};
use touchpath::core::table::{EventTable, RowRef, TableBuilder};
use touchpath::core::time::{Duration, TimeUnit};

/// customer, seconds, event, channel, revenue.
type Row<'a> = (&'a str, i64, &'a str, &'a str, Option<f64>);

fn build(rows: &[Row]) -> EventTable {
    let mut b = TableBuilder::new(true, false, true);
    for &(customer, s, event, channel, revenue) in rows {
        b.push(RowRef { customer, ts: s * 1_000_000, event, channel: Some(channel), stage: None, revenue });
    }
    b.finish()
}

fn query(steps: &[&str]) -> FunnelQuery {
    FunnelQuery { steps: steps.iter().map(|s| s.to_string()).collect(), ..Default::default() }
}

fn counts(t: &EventTable, q: &FunnelQuery) -> Vec<u64> {
    compute(t, q).unwrap().steps.iter().map(|s| s.customers).collect()
}

fn listed(v: &[ValueCount]) -> Vec<(&str, u64)> {
    v.iter().map(|v| (v.value.as_str(), v.customers)).collect()
}

#[test]
fn regex_steps_match_anywhere_case_sensitive_unless_told() {
    let t = build(&[
        ("a", 1, "page:/product/1", "web", None),
        ("a", 2, "page:/product/22", "web", None),
        ("a", 3, "page:/cart", "web", None),
        ("b", 1, "page:/products", "web", None),
        ("b", 2, "page:/cart", "web", None),
        ("c", 1, "PAGE:/product/3", "web", None),
        ("c", 2, "page:/cart", "web", None),
    ]);
    // `\d+$`: /products does not match; PAGE: differs in case.
    assert_eq!(counts(&t, &query(&[r"re:^page:/product/\d+$", "page:/cart"])), [1, 1]);
    assert_eq!(counts(&t, &query(&[r"re:(?i)^page:/product/\d+$", "page:/cart"])), [2, 2]);
    // Unanchored: found anywhere in the value (all three customers have "/product").
    assert_eq!(counts(&t, &query(&["re:/product", "re:cart$"])), [3, 3]);
    // The regex's own `|` is alternation, not Touchpath's alternatives.
    assert_eq!(counts(&t, &query(&["re:/products$|/product/1$"])), [2]);
    let m = StepMatch::parse("re:a|b");
    assert_eq!((m.regex, m.values.as_slice(), m.describe()), (true, &["a|b".to_string()][..], "matches /a|b/".into()));
    // A value that starts with `re:` is written escaped and matched literally.
    assert_eq!(escape_value("re:x"), "\\re:x");
    assert!(!StepMatch::parse("\\re:x").regex);
    // An invalid expression is an error naming the step, not an empty step.
    match compute(&t, &query(&["re:(", "page:/cart"])) {
        Err(FunnelError::BadStep { step, .. }) => assert_eq!(step, "re:("),
        other => panic!("expected a bad-step error, got {other:?}"),
    }
}

#[test]
fn totals_count_every_conversion() {
    let t = build(&[
        // a converts twice, then starts a third attempt.
        ("a", 1, "view", "web", None),
        ("a", 2, "buy", "web", None),
        ("a", 3, "view", "web", None),
        ("a", 4, "buy", "web", None),
        ("a", 5, "view", "web", None),
        // b: two views, one conversion.
        ("b", 1, "view", "web", None),
        ("b", 2, "view", "web", None),
        ("b", 3, "buy", "web", None),
        // c never views.
        ("c", 1, "buy", "web", None),
    ]);
    let mut q = query(&["view", "buy"]);
    assert_eq!(counts(&t, &q), [2, 2]);
    q.count = Count::Totals;
    // a: 3 attempts, 2 conversions; b: 1 and 1.
    assert_eq!(counts(&t, &q), [4, 3]);
    // With a window, the events before a conversion belong to its attempt: d's early view is too
    // far from the first buy, the second view converts; one attempt, one conversion.
    let t = build(&[
        ("d", 0, "view", "web", None),
        ("d", 10, "buy", "web", None),
        ("d", 11, "view", "web", None),
        ("d", 12, "buy", "web", None),
        ("d", 20, "view", "web", None),
        ("d", 30, "buy", "web", None),
    ]);
    q.window = Some(Duration { amount: 5, unit: TimeUnit::Second });
    // Attempts: [view0 buy10 view11 buy12], [view20 buy30] (10 s: not converted).
    assert_eq!(counts(&t, &q), [2, 1]);
}

#[test]
fn breakdown_by_the_channel_at_a_step() {
    let t = build(&[
        ("a", 1, "visit", "email", None),
        ("a", 2, "cart", "search", None), // the traced cart: the earliest after the visit
        ("a", 3, "cart", "email", None),
        ("a", 4, "buy", "search", None),
        ("b", 1, "visit", "email", None),
        ("b", 2, "cart", "social", None),
        ("c", 1, "visit", "direct", None),
        ("d", 1, "visit", "social", None),
        ("d", 2, "cart", "social", None),
        ("d", 3, "buy", "email", None),
    ]);
    let mut q = query(&["visit", "cart", "buy"]);
    q.breakdown = Some(Breakdown { at: SegmentAt::Step(1), by: Dimension::Channel });
    let r = compute(&t, &q).unwrap();
    let segs: Vec<(&str, Vec<u64>, Option<f64>)> =
        r.segments.iter().map(|s| (s.segment.as_str(), s.steps.clone(), s.conversion_pct)).collect();
    assert_eq!(
        segs,
        [
            ("social", vec![2, 2, 1], Some(50.0)),
            ("search", vec![1, 1, 1], Some(100.0)),
            ("(did not reach step 2)", vec![1, 0, 0], Some(0.0)),
        ]
    );
    // The key round-trips and reads as written in links.
    assert_eq!(q.breakdown.as_ref().unwrap().key(), "step2_channel");
    assert_eq!(Breakdown::from_key("step2_channel"), q.breakdown);
    assert_eq!(Breakdown::from_key("first_channel"), Some(Breakdown::FIRST_CHANNEL));
    assert_eq!(Breakdown::from_key("step0_channel"), None);
    // First event: every customer has one (a, b, c, d all start with visit).
    q.breakdown = Some(Breakdown { at: SegmentAt::First, by: Dimension::Event });
    let r = compute(&t, &q).unwrap();
    assert_eq!(r.segments.len(), 1);
    assert_eq!((r.segments[0].segment.as_str(), r.segments[0].steps.clone()), ("visit", vec![4, 3, 2]));
}

#[test]
fn revenue_at_the_last_step_is_the_traced_event_of_each_unit() {
    let t = build(&[
        ("a", 1, "visit", "web", None),
        ("a", 2, "buy", "web", Some(10.0)),
        ("a", 3, "buy", "web", Some(5.0)), // a later purchase is not the funnel's last step
        ("b", 1, "visit", "web", None),
        ("b", 2, "buy", "web", Some(7.5)),
        ("c", 1, "buy", "web", Some(100.0)), // never visits
        ("e", 1, "visit", "web", None),
        ("e", 2, "buy", "web", None), // no revenue: counts 0
    ]);
    let mut q = query(&["visit", "buy"]);
    assert_eq!(compute(&t, &q).unwrap().revenue_last_step, Some(17.5));
    // Counting every conversion: a's second buy has no visit before it in its attempt.
    q.count = Count::Totals;
    assert_eq!(compute(&t, &q).unwrap().revenue_last_step, Some(17.5));
    // Without a revenue column there is no figure.
    let mut b = TableBuilder::new(false, false, false);
    b.push(RowRef { customer: "x", ts: 0, event: "visit", channel: None, stage: None, revenue: None });
    assert_eq!(compute(&b.finish(), &query(&["visit"])).unwrap().revenue_last_step, None);
}

fn insight_table() -> EventTable {
    build(&[
        ("a", 1, "visit", "email", None),
        ("a", 2, "search", "email", None),
        ("a", 3, "cart", "search", None),
        ("a", 4, "buy", "search", None),
        ("b", 1, "visit", "social", None),
        ("b", 2, "visit", "social", None), // repeats of the step are not "what they did next"
        ("b", 3, "exit_page", "direct", None),
        ("c", 1, "visit", "email", None),
        ("c", 2, "cart", "email", None),
        ("d", 1, "visit", "direct", None),
        ("e", 1, "visit", "email", None),
        ("e", 2, "faq", "email", None),
        ("e", 3, "faq", "email", None),
        ("e", 4, "help", "social", None),
        ("e", 5, "cart", "email", None),
        ("f", 1, "cart", "email", None), // never at step 1
    ])
}

#[test]
fn dropoff_insight_lists_what_stopped_customers_did_and_what_continuing_ones_did_between() {
    let t = insight_table();
    let q = query(&["visit", "cart", "buy"]);
    let d = insight(&t, &q, 0).unwrap();
    assert_eq!((d.step, d.next_step, d.reached, d.dropped, d.continued), (1, 2, 5, 2, 3));
    assert_eq!(listed(&d.next_values), [("(no later event)", 1), ("exit_page", 1)]);
    assert_eq!(d.next_values[0].pct, 50.0);
    assert_eq!(listed(&d.last_channels), [("direct", 2)]);
    // a did search; e did faq (twice: counted once) and help; c went straight on.
    assert_eq!(listed(&d.between_values), [("faq", 1), ("help", 1), ("search", 1)]);
    assert!((d.between_values[0].pct - 100.0 / 3.0).abs() < 1e-9);
    assert_eq!((d.direct, d.untraced), (1, 0));
    // Step 2 → 3: c and e stopped at the cart (nothing after it), a bought.
    let d = insight(&t, &q, 1).unwrap();
    assert_eq!((d.reached, d.dropped, d.continued, d.direct), (3, 2, 1, 1));
    assert_eq!(listed(&d.next_values), [("(no later event)", 2)]);
    assert_eq!(listed(&d.last_channels), [("email", 2)]);
    // The last step has no next step; neither has a step beyond the funnel.
    assert!(insight(&t, &q, 2).is_err());
    assert!(insight(&t, &q, 7).is_err());
    // Through the funnel query, the result carries it.
    let r = compute(&t, &FunnelQuery { insight: Some(0), ..q.clone() }).unwrap();
    assert_eq!(r.insight.map(|d| d.dropped), Some(2));
}

#[test]
fn dropoff_insight_skips_optional_steps() {
    let t = insight_table();
    let mut q = query(&["visit", "search", "cart"]);
    q.optional = vec![1];
    // The next required step after visit is cart (step 3): a, c and e went on.
    let d = insight(&t, &q, 0).unwrap();
    assert_eq!((d.next_step, d.dropped, d.continued), (3, 2, 3));
    // An optional step has no insight of its own.
    assert!(insight(&t, &q, 1).is_err());
}

#[test]
fn dropoff_insight_csv_lists_every_unit() {
    let t = insight_table();
    let csv = insight_csv(&t, &query(&["visit", "cart", "buy"]), 0).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "customer_id,unit_start,group,step_time,next_value,next_time,between,last_channel,last_event,last_seen",
            "b,1970-01-01T00:00:01Z,dropped,1970-01-01T00:00:02Z,exit_page,1970-01-01T00:00:03Z,,direct,exit_page,1970-01-01T00:00:03Z",
            "d,1970-01-01T00:00:01Z,dropped,1970-01-01T00:00:01Z,,,,direct,visit,1970-01-01T00:00:01Z",
            "a,1970-01-01T00:00:01Z,continued,1970-01-01T00:00:01Z,cart,1970-01-01T00:00:03Z,search,search,buy,1970-01-01T00:00:04Z",
            "c,1970-01-01T00:00:01Z,continued,1970-01-01T00:00:01Z,cart,1970-01-01T00:00:02Z,,email,cart,1970-01-01T00:00:02Z",
            "e,1970-01-01T00:00:01Z,continued,1970-01-01T00:00:01Z,cart,1970-01-01T00:00:05Z,faq|help,email,cart,1970-01-01T00:00:05Z",
        ]
    );
}

#[test]
fn time_to_convert_between_two_later_steps() {
    // a: cart 3 s → buy 4 s (1 s); h: cart 1000 s → buy 1100 s (100 s); b never buys.
    let t = build(&[
        ("a", 1, "visit", "web", None),
        ("a", 3, "cart", "web", None),
        ("a", 4, "buy", "web", None),
        ("h", 0, "visit", "web", None),
        ("h", 1000, "cart", "web", None),
        ("h", 1100, "buy", "web", None),
        ("b", 0, "visit", "web", None),
        ("b", 10, "cart", "web", None),
    ]);
    let mut q = query(&["visit", "cart", "buy"]);
    q.ttc_from = Some(1);
    let r = compute(&t, &q).unwrap();
    assert_eq!((r.time_to_convert_from, r.time_to_convert_step), (Some(1), Some(2)));
    let bins: Vec<(&str, u64)> =
        r.time_to_convert.iter().filter(|b| b.customers > 0).map(|b| (b.label.as_str(), b.customers)).collect();
    assert_eq!(bins, [("< 1 min", 1), ("1–5 min", 1)]);
    // From step 1 (the default): a 3 s, h 1100 s (18 min 20 s).
    q.ttc_from = None;
    let r = compute(&t, &q).unwrap();
    let bins: Vec<(&str, u64)> =
        r.time_to_convert.iter().filter(|b| b.customers > 0).map(|b| (b.label.as_str(), b.customers)).collect();
    assert_eq!(bins, [("< 1 min", 1), ("15–60 min", 1)]);
    // A start at or after the end is ignored: from step 1.
    q.ttc_from = Some(2);
    assert_eq!(compute(&t, &q).unwrap().time_to_convert_from, Some(0));
}
