//! Lifecycle stages (`touchpath::core::stages`): hand-worked cases and an independent brute
//! force on the sample.
//!
//! The fixture `tests/fixtures/e2e/stages.csv` (20 events, 6 customers, 2024-05-01 UTC; also the
//! e2e test's) under the default model — keywords: ad_impression, site_visit → awareness (A);
//! product_view, add_to_cart → consideration (C); checkout, purchase → purchase (P);
//! repeat_purchase → retention (R); review_posted → advocacy (V); scroll → unmapped:
//!
//! | customer | events (channel) | entries |
//! |---|---|---|
//! | k1 | 10:00 ad_impression (display), 10:05 site_visit, 10:10 product_view (organic_search), 10:20 add_to_cart, 10:30 purchase 50 (direct), 12:30 review_posted (social) | A 10:00 display, C 10:10 organic_search, P 10:30 direct, V 12:30 social (skips R) |
//! | k2 | 09:00 site_visit, 09:30 product_view, 11:30 checkout, 11:40 purchase 30, 15:30 repeat_purchase 20 (all email) | A 09:00, C 09:30, P 11:30, R 15:30 (email) |
//! | k3 | 10:00 site_visit, 10:02 scroll, 10:04 site_visit (paid_search) | A 10:00 |
//! | k4 | 08:00 product_view, 08:30 site_visit, 09:00 add_to_cart (email) | C 08:00, A 08:30 (email) |
//! | k5 | 10:00 scroll (direct) | none |
//! | k6 | 10:00 site_visit (display), 10:01 purchase 10 (direct) | A 10:00 display, P 10:01 direct (skips C) |
//!
//! Reaching: A k1 k2 k3 k4 k6 = 5; C k1 k2 k4 = 3; P k1 k2 k6 = 3; R k2 = 1; V k1 = 1.
//! % of first 100, 60, 60, 20, 20; % of previous 100, 60, 100, 33.3, 100.
//! Conversion to the next stage after entering: A→C k1 k2 k4 (k4's add_to_cart 09:00 follows its
//! A entry 08:30) = 3 of 5 (drop 2); C→P k1 k2 = 2 of 3 (drop 1: k4); P→R k2 = 1 of 3 (k1 skipped
//! R, drop 2); R→V 0 of 1 (drop 1).
//! Furthest: none k5, A k3, C k4, P k6, R k2, V k1 — 1 each.
//! Time in stage (entry → first later-stage event after it), nearest rank:
//!   A: k1 10 min, k2 30 min, k4 30 min (08:30 → 09:00), k6 1 min; k3 stayed → [60, 600, 1800,
//!      1800] s: median (rank 2) 600 s, p90 (rank 4) 1800 s; moved on 4, stayed 1.
//!   C: k1 20 min, k2 2 h; k4 stayed (its only later events are A and C) → median 1200 s, p90 7200 s.
//!   P: k1 2 h (to review_posted, R skipped), k2 4 h; k6 stayed → median 7200 s, p90 14400 s.
//!   R, V: nobody moved on → none; stayed 1 each.
//! Events per stage: A 7, C 5, P 4, R 1, V 1; unmapped 2 (the scrolls). Revenue: P 90, R 20.
//! Per entry channel (transitions A→C, C→P, P→R, R→V; entered / converted): email 2/2, 2/1, 1/1,
//! 1/0 (6 entries); direct 0, 0, 2/0, 0; display 2/1, 0, 0, 0; organic_search 0, 1/1, 0, 0;
//! paid_search 1/0, 0, 0, 0 — ordered by entries, ties by name (direct before display).

mod common;

use touchpath::core::ingest::load_bytes;
use touchpath::core::paths::wildcard_match;
use touchpath::core::schema::ColumnOverrides;
use touchpath::core::stages::{
    compute, compute_with, customers_csv, stage_column, Source, StageModel, StageRule, StagesResult, DEFAULT_STAGES,
};
use touchpath::core::table::{EventTable, RowRef, TableBuilder};

const FIXTURE: &str = include_str!("fixtures/e2e/stages.csv");

fn fixture() -> EventTable {
    load_bytes("stages.csv", FIXTURE.as_bytes(), &ColumnOverrides::default()).unwrap().0
}

fn rule(pattern: &str, channel: bool, stage: &str) -> StageRule {
    StageRule { pattern: pattern.into(), channel, stage: stage.into() }
}

fn reach(r: &StagesResult) -> Vec<u64> {
    r.stages.iter().map(|s| s.customers).collect()
}

#[test]
fn the_fixture_under_the_default_model() {
    let r = compute(&fixture(), &StageModel::default());
    assert_eq!((r.customers, r.events, r.customers_none, r.unmapped_events), (6, 20, 1, 2));
    assert!(!r.uses_stage_column && r.has_channel);
    assert_eq!(reach(&r), [5, 3, 3, 1, 1]);
    let names: Vec<&str> = r.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(names, DEFAULT_STAGES);
    let round = |x: f64| (x * 10.0).round() / 10.0;
    let f: Vec<f64> = r.stages.iter().map(|s| round(s.pct_of_first)).collect();
    assert_eq!(f, [100.0, 60.0, 60.0, 20.0, 20.0]);
    let p: Vec<f64> = r.stages.iter().map(|s| round(s.pct_of_previous)).collect();
    assert_eq!(p, [100.0, 60.0, 100.0, 33.3, 100.0]);
    let from: Vec<Option<u64>> = r.stages.iter().map(|s| s.from_previous).collect();
    assert_eq!(from, [None, Some(3), Some(2), Some(1), Some(0)]);
    let conv: Vec<Option<f64>> = r.stages.iter().map(|s| s.conversion_pct.map(round)).collect();
    assert_eq!(conv, [None, Some(60.0), Some(66.7), Some(33.3), Some(0.0)]);
    let drop: Vec<Option<u64>> = r.stages.iter().map(|s| s.dropoff).collect();
    assert_eq!(drop, [None, Some(2), Some(1), Some(2), Some(1)]);
    let furthest: Vec<u64> = r.stages.iter().map(|s| s.furthest).collect();
    assert_eq!(furthest, [1, 1, 1, 1, 1]);
    let moved: Vec<(u64, u64)> = r.stages.iter().map(|s| (s.moved_on, s.stayed)).collect();
    assert_eq!(moved, [(4, 1), (2, 1), (2, 1), (0, 1), (0, 1)]);
    let times: Vec<(Option<f64>, Option<f64>)> = r.stages.iter().map(|s| (s.median_time_s, s.p90_time_s)).collect();
    assert_eq!(
        times,
        [
            (Some(600.0), Some(1800.0)),
            (Some(1200.0), Some(7200.0)),
            (Some(7200.0), Some(14400.0)),
            (None, None),
            (None, None)
        ]
    );
    let events: Vec<u64> = r.stages.iter().map(|s| s.events).collect();
    assert_eq!(events, [7, 5, 4, 1, 1]);
    let revenue: Vec<Option<f64>> = r.stages.iter().map(|s| s.revenue).collect();
    assert_eq!(revenue, [Some(0.0), Some(0.0), Some(90.0), Some(20.0), Some(0.0)]);
    // Per entry channel.
    let rows: Vec<(&str, &[u64], &[u64])> =
        r.by_channel.iter().map(|c| (c.channel.as_str(), &c.entered[..], &c.converted[..])).collect();
    assert_eq!(
        rows,
        [
            ("email", &[2, 2, 1, 1][..], &[2, 1, 1, 0][..]),
            ("direct", &[0, 0, 2, 0][..], &[0, 0, 0, 0][..]),
            ("display", &[2, 0, 0, 0][..], &[1, 0, 0, 0][..]),
            ("organic_search", &[0, 1, 0, 0][..], &[0, 1, 0, 0][..]),
            ("paid_search", &[1, 0, 0, 0][..], &[0, 0, 0, 0][..]),
        ]
    );
    let email: Vec<Option<f64>> = r.by_channel[0].rate_pct.iter().map(|x| x.map(round)).collect();
    assert_eq!(email, [Some(100.0), Some(50.0), Some(100.0), Some(0.0)]);
    assert_eq!(r.by_channel[1].rate_pct, [None, None, Some(0.0), None]);
    // The editor's list: every event value, most frequent first, with its keyword stage.
    let values: Vec<(&str, u64, Option<&str>, Source)> =
        r.values.iter().map(|v| (v.value.as_str(), v.events, v.stage.as_deref(), v.source)).collect();
    assert_eq!(
        values,
        [
            ("site_visit", 6, Some("awareness"), Source::Keyword),
            ("product_view", 3, Some("consideration"), Source::Keyword),
            ("purchase", 3, Some("purchase"), Source::Keyword),
            ("add_to_cart", 2, Some("consideration"), Source::Keyword),
            ("scroll", 2, None, Source::None),
            ("ad_impression", 1, Some("awareness"), Source::Keyword),
            ("checkout", 1, Some("purchase"), Source::Keyword),
            ("repeat_purchase", 1, Some("retention"), Source::Keyword),
            ("review_posted", 1, Some("advocacy"), Source::Keyword),
        ]
    );
    assert!(r.values.iter().all(|v| !v.mixed));
    assert!(r.notes.is_empty() && r.more_values == 0);
}

#[test]
fn customers_csv_lists_every_customer_by_furthest_stage() {
    let csv = customers_csv(&fixture(), &StageModel::default(), None);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "customer_id,furthest_stage,furthest_stage_number,awareness_first_at,awareness_channel,consideration_first_at,consideration_channel,purchase_first_at,purchase_channel,retention_first_at,retention_channel,advocacy_first_at,advocacy_channel"
    );
    let t = |hm: &str| format!("2024-05-01T{hm}:00Z");
    let want = [
        "k5,(none),0,,,,,,,,,,".to_string(),
        format!("k3,awareness,1,{},paid_search,,,,,,,,", t("10:00")),
        format!("k4,consideration,2,{},email,{},email,,,,,,", t("08:30"), t("08:00")),
        format!("k6,purchase,3,{},display,,,{},direct,,,,", t("10:00"), t("10:01")),
        format!("k2,retention,4,{},email,{},email,{},email,{},email,,", t("09:00"), t("09:30"), t("11:30"), t("15:30")),
        format!(
            "k1,advocacy,5,{},display,{},organic_search,{},direct,,,{},social",
            t("10:00"),
            t("10:10"),
            t("10:30"),
            t("12:30")
        ),
    ];
    assert_eq!(&lines[1..], want.iter().map(String::as_str).collect::<Vec<_>>().as_slice());
}

#[test]
fn a_custom_stage_list_with_wildcard_rules() {
    // Stages visitor → buyer; site_visit and ad_impression are visitors, `*purchase` buyers
    // (purchase and repeat_purchase). The keyword defaults name no stage of this list.
    let model = StageModel {
        stages: vec!["visitor".into(), "buyer".into()],
        rules: vec![
            rule("site_visit", false, "visitor"),
            rule("ad_*", false, "Visitor"),
            rule("*purchase", false, "buyer"),
        ],
    };
    let r = compute(&fixture(), &model);
    // visitor: k1 k2 k3 k4 k6; buyer: k1 (10:30) k2 (11:40) k6 (10:01), each after their visitor entry.
    assert_eq!(reach(&r), [5, 3]);
    assert_eq!((r.stages[1].from_previous, r.stages[1].dropoff), (Some(3), Some(2)));
    // Unmapped: product_view 3, add_to_cart 2, checkout 1, review_posted 1, scroll 2.
    assert_eq!((r.unmapped_events, r.customers_none), (9, 1));
    let furthest: Vec<u64> = r.stages.iter().map(|s| s.furthest).collect();
    assert_eq!(furthest, [2, 3]);
    // Time as visitor: k1 10:00 → 10:30, k2 09:00 → 11:40, k6 1 min → [60, 1800, 9600]: median
    // rank 2, p90 rank 3.
    assert_eq!((r.stages[0].median_time_s, r.stages[0].p90_time_s), (Some(1800.0), Some(9600.0)));
    // Visitor entries: display (k1, k6), email (k2, k4), paid_search (k3).
    assert_eq!(
        r.by_channel.iter().map(|c| (c.channel.as_str(), c.entered[0], c.converted[0])).collect::<Vec<_>>(),
        [("display", 2, 2), ("email", 2, 1), ("paid_search", 1, 0)]
    );
    let v = r.values.iter().find(|v| v.value == "repeat_purchase").unwrap();
    assert_eq!((v.stage.as_deref(), v.source), (Some("buyer"), Source::Rule));
}

#[test]
fn rules_naming_no_stage_are_ignored_and_noted() {
    let mut model = StageModel::default();
    model.rules.push(rule("site_visit", false, "nowhere"));
    let r = compute(&fixture(), &model);
    assert_eq!(reach(&r), [5, 3, 3, 1, 1], "the keyword default still applies");
    assert_eq!(r.notes.len(), 1);
    assert!(r.notes[0].contains("nowhere"), "{:?}", r.notes);
}

#[test]
fn channel_rules_and_event_rules_by_their_order() {
    let t = fixture();
    // Every email row is retention: k2 and k4 then reach only retention.
    let mut model = StageModel::default();
    model.rules.push(rule("email", true, "retention"));
    let r = compute(&t, &model);
    assert_eq!(reach(&r), [3, 1, 2, 2, 1]);
    // checkout is only k2's, by email: the channel rule decides all of it.
    let v = r.values.iter().find(|v| v.value == "checkout").unwrap();
    assert_eq!((v.stage.as_deref(), v.source, v.mixed), (Some("retention"), Source::Channel, false));
    // site_visit: 4 rows by keyword (awareness), 2 by the channel rule (k2, k4).
    let v = r.values.iter().find(|v| v.value == "site_visit").unwrap();
    assert_eq!((v.stage.as_deref(), v.source, v.mixed), (Some("awareness"), Source::Keyword, true));
    // An event rule listed first wins over the channel rule: product_view is advocacy, also by email.
    model.rules.insert(0, rule("product_view", false, "advocacy"));
    let r = compute(&t, &model);
    assert_eq!(reach(&r), [3, 1, 2, 2, 3]);
    // site_visit rows are email (retention) for k2 and k4 and awareness otherwise: mixed.
    let v = r.values.iter().find(|v| v.value == "site_visit").unwrap();
    assert!(v.mixed);
    assert_eq!(v.stage.as_deref(), Some("awareness"), "4 of its 6 rows (k1, k3 twice, k6); 2 retention");
}

/// A table with a stage column: (customer, seconds, event, stage).
fn with_stages(rows: &[(&str, i64, &str, &str)]) -> EventTable {
    let mut b = TableBuilder::new(false, true, false);
    for &(c, s, e, st) in rows {
        b.push(RowRef { customer: c, ts: s * 1_000_000, event: e, channel: None, stage: Some(st), revenue: None });
    }
    b.finish()
}

#[test]
fn the_data_stage_column_comes_between_rules_and_keywords() {
    // visit is marked Purchase by the data (keyword: awareness); "thing" has an empty and an
    // unknown stage (no keyword either); buy is marked awareness (keyword: purchase).
    let t = with_stages(&[
        ("s1", 1, "visit", "Purchase"),
        ("s1", 2, "thing", ""),
        ("s1", 3, "thing", "nonsense"),
        ("s1", 4, "buy", " awareness "),
    ]);
    let r = compute(&t, &StageModel::default());
    assert!(r.uses_stage_column);
    assert_eq!(reach(&r), [1, 0, 1, 0, 0]);
    assert_eq!(r.unmapped_events, 2);
    // Purchase (t=1) is entered before awareness (t=4): no stage after either entry is a later one.
    assert_eq!(r.stages[2].furthest, 1);
    assert_eq!((r.stages[0].moved_on, r.stages[2].moved_on), (0, 0));
    let src: Vec<(&str, Option<&str>, Source)> =
        r.values.iter().map(|v| (v.value.as_str(), v.stage.as_deref(), v.source)).collect();
    assert_eq!(
        src,
        [
            ("thing", None, Source::None),
            ("buy", Some("awareness"), Source::Data),
            ("visit", Some("purchase"), Source::Data)
        ]
    );
    // User rules override the data: visit → awareness, buy → no stage.
    let model =
        StageModel { rules: vec![rule("visit", false, "awareness"), rule("buy", false, "")], ..Default::default() };
    let r = compute(&t, &model);
    assert_eq!(reach(&r), [1, 0, 0, 0, 0]);
    assert_eq!(r.unmapped_events, 3);
    assert_eq!(r.values.iter().find(|v| v.value == "visit").unwrap().source, Source::Rule);
    // Ignoring the stage column (as for a column derived from the model): keywords only.
    let r = compute_with(&t, &StageModel::default(), None);
    assert!(!r.uses_stage_column);
    assert_eq!(reach(&r), [1, 0, 1, 0, 0]);
    assert_eq!((r.stages[0].moved_on, r.stages[0].median_time_s), (1, Some(3.0)), "visit t=1 → buy t=4");
    assert_eq!(r.stages[1].from_previous, Some(0), "skipping consideration is no conversion to it");
}

#[test]
fn the_derived_stage_column_follows_the_model() {
    let t = fixture();
    let col = stage_column(&t, &StageModel::default());
    assert_eq!(col.values, ["awareness", "consideration", "purchase", "retention", "advocacy", "(no stage)"]);
    let counts = col.counts();
    assert_eq!(counts, [7, 5, 4, 1, 1, 2]);
    // Without unmapped rows there is no "(no stage)" value.
    let model = StageModel { rules: vec![rule("scroll", false, "awareness")], ..Default::default() };
    assert_eq!(stage_column(&t, &model).values.len(), 5);
}

#[test]
fn empty_and_odd_inputs_do_not_panic() {
    let empty = EventTable::default();
    let r = compute(&empty, &StageModel::default());
    assert_eq!((r.customers, r.customers_none), (0, 0));
    assert!(r.stages.iter().all(|s| s.customers == 0 && s.pct_of_first == 0.0));
    assert_eq!(customers_csv(&empty, &StageModel::default(), None).lines().count(), 1);
    // A single stage: no transitions, no channel segments.
    let one = StageModel { stages: vec!["all".into()], rules: vec![rule("*", false, "all")] };
    let r = compute(&fixture(), &one);
    assert_eq!(reach(&r), [5 + 1]);
    assert!(r.by_channel.is_empty());
    assert_eq!((r.stages[0].moved_on, r.stages[0].stayed), (0, 6));
    // Many distinct events: the 1,000 most frequent are listed, the rest counted.
    let mut b = TableBuilder::new(false, false, false);
    let names: Vec<String> = (0..1_005).map(|i| format!("page_{i:04}")).collect();
    for (i, n) in names.iter().enumerate() {
        let reps = if i < 3 { 2 } else { 1 };
        for _ in 0..reps {
            b.push(RowRef { customer: "c", ts: i as i64, event: n, channel: None, stage: None, revenue: None });
        }
    }
    let r = compute(&b.finish(), &StageModel::default());
    assert_eq!((r.values.len(), r.more_values), (1_000, 5));
    assert_eq!(
        (r.values[0].value.as_str(), r.values[0].events, r.values[3].value.as_str()),
        ("page_0000", 2, "page_0003")
    );
    assert!(!r.has_channel && r.by_channel.is_empty());
    let t = with_stages(&[("s", 1, "visit", "")]);
    let model = StageModel { rules: vec![rule("*", true, "advocacy")], ..Default::default() };
    let r = compute(&t, &model);
    assert_eq!((reach(&r), r.notes.len()), (vec![1, 0, 0, 0, 0], 1), "{:?}", r.notes);
}

/// The sample's events and the stage its generator gives each: the independent mapping used
/// by the brute force (keywords under the default model, worked out from the event names).
fn sample_stage(event: &str) -> Option<usize> {
    Some(match event {
        "ad_impression" | "site_visit" | "email_open" => 0,
        "product_view" | "webinar_attended" | "newsletter_signup" | "add_to_cart" => 1,
        "checkout" | "purchase" => 2,
        "support_call" | "repeat_purchase" => 3,
        "review_posted" | "referral_sent" => 4,
        _ => return None,
    })
}

/// What the brute force finds.
struct Brute {
    reach: Vec<u64>,
    furthest: Vec<u64>,
    none: u64,
    /// Converted from stage i to i + 1.
    conv: Vec<u64>,
    /// Sorted times in stage (µs).
    times: Vec<Vec<i64>>,
    /// Per entry channel of stage i (`(none)` without one): entered and converted per transition.
    segments: std::collections::BTreeMap<String, (Vec<u64>, Vec<u64>)>,
    /// Customers with some event in a stage ≥ i.
    at_least: Vec<u64>,
}

/// Brute force per customer from the raw rows: for each stage, the first row in it; conversion
/// is any row of the next stage after it; moving on the first row of a later stage after it.
fn brute(t: &EventTable, stage_of: impl Fn(usize) -> Option<usize>, k: usize) -> Brute {
    let mut b = Brute {
        reach: vec![0; k],
        furthest: vec![0; k],
        none: 0,
        conv: vec![0; k],
        times: vec![Vec::new(); k],
        segments: Default::default(),
        at_least: vec![0; k],
    };
    let transitions = k.saturating_sub(1);
    for c in 0..t.customer_count() {
        let rows: Vec<(usize, usize)> = t.rows_of(c).filter_map(|r| stage_of(r).map(|s| (r, s))).collect();
        let mut best = None;
        for i in 0..k {
            if rows.iter().any(|&(_, s)| s >= i) {
                b.at_least[i] += 1;
            }
            let Some(&(first, _)) = rows.iter().find(|(_, s)| *s == i) else { continue };
            b.reach[i] += 1;
            best = Some(i);
            let converted = rows.iter().any(|&(r, s)| s == i + 1 && r > first);
            b.conv[i] += u64::from(converted);
            if let Some(&(r, _)) = rows.iter().find(|&&(r, s)| s > i && r > first) {
                b.times[i].push(t.ts.at(r) - t.ts.at(first));
            }
            if i < transitions {
                let ch = t.channel.as_ref().map_or("", |col| col.value(first));
                let name = if ch.is_empty() { "(none)".to_string() } else { ch.to_string() };
                let e = b.segments.entry(name).or_insert_with(|| (vec![0; transitions], vec![0; transitions]));
                e.0[i] += 1;
                e.1[i] += u64::from(converted);
            }
        }
        match best {
            Some(f) => b.furthest[f] += 1,
            None => b.none += 1,
        }
    }
    for v in &mut b.times {
        v.sort_unstable();
    }
    b
}

fn nearest_rank(sorted: &[i64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    Some(sorted[rank - 1] as f64 / 1e6)
}

#[track_caller]
fn check_against_brute(t: &EventTable, r: &StagesResult, stage_of: impl Fn(usize) -> Option<usize>) {
    let k = r.stages.len();
    let b = brute(t, stage_of, k);
    assert_eq!(reach(r), b.reach);
    assert_eq!(r.stages.iter().map(|s| s.furthest).collect::<Vec<_>>(), b.furthest);
    assert_eq!(r.customers_none, b.none);
    for i in 0..k {
        let s = &r.stages[i];
        assert_eq!(s.moved_on, b.times[i].len() as u64, "stage {i}");
        assert_eq!(s.stayed, s.customers - s.moved_on, "stage {i}");
        assert_eq!((s.median_time_s, s.p90_time_s), (nearest_rank(&b.times[i], 0.5), nearest_rank(&b.times[i], 0.9)));
        if i > 0 {
            assert_eq!(s.from_previous, Some(b.conv[i - 1]), "stage {i}");
            assert_eq!(s.dropoff, Some(r.stages[i - 1].customers - b.conv[i - 1]), "stage {i}");
        }
        // Reaching some stage ≥ i is having a furthest stage ≥ i.
        assert_eq!(r.stages[i..].iter().map(|s| s.furthest).sum::<u64>(), b.at_least[i], "stage {i}");
    }
    assert_eq!(r.stages.iter().map(|s| s.furthest).sum::<u64>() + r.customers_none, t.customer_count() as u64);
    if !r.has_channel {
        assert!(r.by_channel.is_empty());
        return;
    }
    // The channel segments add up to the overall entries and conversions; with at most five
    // segments each is the brute force's.
    for (i, &conv) in b.conv.iter().enumerate().take(k.saturating_sub(1)) {
        let entered: u64 = r.by_channel.iter().map(|c| c.entered[i]).sum();
        let converted: u64 = r.by_channel.iter().map(|c| c.converted[i]).sum();
        assert_eq!((entered, converted), (r.stages[i].customers, conv), "transition {i}");
    }
    if b.segments.len() <= 5 {
        let mut got: Vec<(String, Vec<u64>, Vec<u64>)> =
            r.by_channel.iter().map(|c| (c.channel.clone(), c.entered.clone(), c.converted.clone())).collect();
        got.sort();
        let want: Vec<(String, Vec<u64>, Vec<u64>)> = b.segments.into_iter().map(|(n, (e, v))| (n, e, v)).collect();
        assert_eq!(got, want);
    }
}

/// Random small tables and models with user rules only (stage names the keywords never give),
/// against the brute force with an independent reading of the rules.
#[test]
fn random_tables_and_rules_against_a_brute_force() {
    let mut rng = common::Rng::new(0x0057_A6E0);
    let events = ["a", "b", "c", "ab", "x"];
    let channels = ["e", "s", "", "w"];
    let patterns = ["a", "b", "c", "ab", "x", "a*", "*c", "*b*", "*", "zz"];
    let names = ["s1", "s2", "s3", "s4"];
    let (mut reached, mut converted) = (0, 0);
    for case in 0..600 {
        let with_channel = rng.below(4) != 0;
        let mut b = TableBuilder::new(with_channel, false, false);
        for c in 0..1 + rng.below(6) {
            let id = format!("c{c}");
            for _ in 0..rng.below(12) {
                let ts = rng.range(0, 8) * 60_000_000; // ties are likely
                let event = rng.pick(&events);
                let channel = if with_channel { Some(rng.pick(&channels)) } else { None };
                b.push(RowRef { customer: &id, ts, event, channel, stage: None, revenue: None });
            }
        }
        let t = b.finish();
        let k = 1 + rng.below(4);
        let stages: Vec<String> = names[..k].iter().map(|s| s.to_string()).collect();
        let rules: Vec<StageRule> = (0..1 + rng.below(6))
            .map(|_| {
                let odd = usize::from(rng.below(3) == 0);
                let stage = match rng.below(k + 1 + odd) {
                    i if i < k => stages[i].clone(),
                    i if i == k => String::new(),
                    _ => "nowhere".to_string(),
                };
                let pattern = rng.pick(&patterns);
                rule(pattern, rng.below(3) == 0, &stage)
            })
            .collect();
        let model = StageModel { stages: stages.clone(), rules: rules.clone() };
        let r = compute(&t, &model);
        let stage_of = |row: usize| -> Option<usize> {
            let event = t.event.value(row);
            let channel = t.channel.as_ref().map(|col| col.value(row));
            for ru in &rules {
                let target =
                    if ru.stage.is_empty() { Some(None) } else { stages.iter().position(|s| *s == ru.stage).map(Some) };
                let Some(target) = target else { continue };
                let value = if ru.channel { channel } else { Some(event) };
                if value.is_some_and(|v| wildcard_match(&ru.pattern, v)) {
                    return target;
                }
            }
            None
        };
        let unmapped = (0..t.len()).filter(|&row| stage_of(row).is_none()).count() as u64;
        assert_eq!(r.unmapped_events, unmapped, "case {case}");
        check_against_brute(&t, &r, stage_of);
        reached += reach(&r).iter().sum::<u64>();
        converted += r.stages.iter().filter_map(|s| s.from_previous).sum::<u64>();
    }
    assert!(reached > 300 && converted > 50, "the cases exercise the analysis: {reached} {converted}");
}

#[test]
fn the_sample_against_a_brute_force() {
    let t = common::sample_table(true);
    let r = compute(&t, &StageModel::default());
    check_against_brute(&t, &r, |row| sample_stage(t.event.value(row)));
    assert_eq!(r.unmapped_events, 0, "every sample event has a keyword stage");
    assert_eq!(r.by_channel.len(), 6, "ten channels: the top five and (other)");
    assert_eq!(r.by_channel[5].channel, "(other)");
    // The sample has a picture worth showing: fewer customers at every later stage.
    let n = reach(&r);
    assert!(n.windows(2).all(|w| w[0] >= w[1]) && n[4] > 0, "{n:?}");
}

#[test]
fn the_sample_with_its_stage_column_against_a_brute_force() {
    // The generator's own stages (add_to_cart is purchase there, email_open retention).
    let t = common::sample_table_with(false, true);
    let r = compute(&t, &StageModel::default());
    assert!(r.uses_stage_column);
    let col = t.stage.as_ref().unwrap();
    let stage_of = |row: usize| DEFAULT_STAGES.iter().position(|s| *s == col.value(row));
    check_against_brute(&t, &r, stage_of);
    let cart = r.values.iter().find(|v| v.value == "add_to_cart").unwrap();
    assert_eq!((cart.stage.as_deref(), cart.source), (Some("purchase"), Source::Data));
}
