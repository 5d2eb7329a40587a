//! `touchpath::core::paths` against an independent brute force on the generated sample.

use std::collections::{BTreeMap, HashMap};

use touchpath::core::funnel::Dimension;
use touchpath::core::paths::{compute, parse_date, Direction, Merge, PathQuery, Rule, ENDED, OTHER, STARTED};
use touchpath::core::sample;
use touchpath::core::table::EventTable;

mod common;

fn sample_table() -> EventTable {
    common::sample_table(false)
}

/// Each customer's channel path as strings, by brute force: group the raw events by customer,
/// sort by (time, original index), collapse repeats.
fn brute_paths(collapse: bool) -> Vec<Vec<String>> {
    let events = sample::generate(sample::DEFAULT_SEED, 20_000);
    let mut by_customer: BTreeMap<u32, Vec<(i64, usize, &str)>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        by_customer.entry(e.customer).or_default().push((e.ts, i, sample::CHANNELS[e.channel as usize]));
    }
    by_customer
        .into_values()
        .map(|mut evs| {
            evs.sort();
            let mut p: Vec<String> = Vec::new();
            for (_, _, ch) in evs {
                if !(collapse && p.last().map(String::as_str) == Some(ch)) {
                    p.push(ch.to_string());
                }
            }
            p
        })
        .collect()
}

#[test]
fn variants_and_sankey_match_a_brute_force_on_the_sample() {
    let t = sample_table();
    for collapse in [true, false] {
        let q = PathQuery { by: Dimension::Channel, steps: 5, collapse, top: 100, ..Default::default() };
        let r = compute(&t, &q).unwrap();
        let paths = brute_paths(collapse);
        let mut counts: HashMap<Vec<String>, u64> = HashMap::new();
        for p in &paths {
            *counts.entry(p.clone()).or_default() += 1;
        }
        assert_eq!(r.distinct_variants, counts.len() as u64);
        for v in &r.variants {
            assert_eq!(counts[&v.path], v.customers, "{:?}", v.path);
        }
        let listed: u64 = r.variants.iter().map(|v| v.customers).sum();
        assert_eq!(listed + r.rest_customers, paths.len() as u64);
        // Nodes: customers at (step, value) and ended sinks, all values shown (top 100).
        let mut nodes: HashMap<(usize, String), u64> = HashMap::new();
        for p in &paths {
            for (i, v) in p.iter().take(5).enumerate() {
                *nodes.entry((i, v.clone())).or_default() += 1;
            }
            if p.len() < 5 {
                *nodes.entry((p.len(), ENDED.to_string())).or_default() += 1;
            }
        }
        assert_eq!(r.nodes.len(), nodes.len());
        for n in &r.nodes {
            assert_ne!(n.label, OTHER);
            assert_eq!(nodes[&(n.step, n.label.clone())], n.customers, "{n:?}");
        }
    }
}

/// The brute force with cleaning and dates: keep events in `[lo, hi)`, rename channels by
/// `clean`, then group, sort and collapse as above.
fn brute_clean_paths(lo: i64, hi: i64, clean: impl Fn(&str) -> String) -> Vec<Vec<String>> {
    let events = sample::generate(sample::DEFAULT_SEED, 20_000);
    let mut by_customer: BTreeMap<u32, Vec<(i64, usize, String)>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if e.ts >= lo && e.ts < hi {
            by_customer.entry(e.customer).or_default().push((e.ts, i, clean(sample::CHANNELS[e.channel as usize])));
        }
    }
    by_customer
        .into_values()
        .map(|mut evs| {
            evs.sort();
            let mut p: Vec<String> = Vec::new();
            for (_, _, ch) in evs {
                if p.last() != Some(&ch) {
                    p.push(ch);
                }
            }
            p
        })
        .collect()
}

#[test]
fn cleaning_dates_backward_and_touched_match_a_brute_force() {
    let t = sample_table();
    let (since, until) = (parse_date("2025-03-01").unwrap(), parse_date("2025-04-30").unwrap());
    let day = 86_400_000_000i64;
    // `*_search` → search (organic and paid); social and display merged into media.
    let clean = |c: &str| -> String {
        if c.ends_with("_search") {
            "search".into()
        } else if c == "social" || c == "display" {
            "media".into()
        } else {
            c.to_string()
        }
    };
    let paths = brute_clean_paths(since * day, (until + 1) * day, clean);
    assert!(paths.len() > 100, "the dates keep a real share of the sample: {}", paths.len());
    let q = PathQuery {
        by: Dimension::Channel,
        steps: 5,
        top: 100,
        rewrite: vec![Rule { pattern: "*_search".into(), to: "search".into() }],
        merge: vec![Merge { values: vec!["social".into(), "display".into()], name: "media".into() }],
        since: Some(since),
        until: Some(until),
        direction: Direction::Backward,
        ..Default::default()
    };
    let r = compute(&t, &q).unwrap();
    assert_eq!((r.total_customers, r.customers_in_paths), (paths.len() as u64, paths.len() as u64));
    let mut counts: HashMap<Vec<String>, u64> = HashMap::new();
    for p in &paths {
        *counts.entry(p.clone()).or_default() += 1;
    }
    assert_eq!(r.distinct_variants, counts.len() as u64);
    for v in &r.variants {
        assert_eq!(counts[&v.path], v.customers, "{:?}", v.path);
    }
    // Backward nodes: (steps back from the end, value), and the "started" source.
    let mut nodes: HashMap<(usize, String), u64> = HashMap::new();
    for p in &paths {
        for (i, v) in p.iter().rev().take(5).enumerate() {
            *nodes.entry((i, v.clone())).or_default() += 1;
        }
        if p.len() < 5 {
            *nodes.entry((p.len(), STARTED.to_string())).or_default() += 1;
        }
    }
    assert_eq!(r.nodes.len(), nodes.len());
    for n in &r.nodes {
        assert!(!n.label.ends_with("_search") && n.label != "social" && n.label != OTHER, "{n:?}");
        assert_eq!(nodes[&(n.step, n.label.clone())], n.customers, "{n:?}");
    }
    // Flow conservation: out of every node but the end's flow its customers (forward in time).
    for (i, n) in r.nodes.iter().enumerate() {
        let outflow: u64 = r.links.iter().filter(|l| l.source == i).map(|l| l.customers).sum();
        assert!(n.step == 0 || outflow == n.customers, "{n:?}");
    }
    // Who touched media within the dates: the paths with media in them.
    let r = compute(&t, &PathQuery { touched: Some("media".into()), direction: Direction::Forward, ..q }).unwrap();
    let with_media = paths.iter().filter(|p| p.iter().any(|v| v == "media")).count() as u64;
    assert!(with_media > 0 && with_media < paths.len() as u64);
    assert_eq!((r.total_customers, r.customers_in_paths), (paths.len() as u64, with_media));
}

/// Paths by session on tests/fixtures/e2e/session_column.csv (hand-worked in
/// `tests/core_funnel.rs`, `counting_sessions_from_the_session_column_hand_worked`), steps by event.
/// From the column: a view→cart→buy; b s1 view, s2 cart→buy→view; c (no id, 30 min gap)
/// view→cart, buy; d (x takes in y) view→cart→buy; e (-1: no id) view, cart — 8 sessions.
/// By the gap: a view→cart, buy; b view→cart→buy, view; c view→cart, buy; d view→cart→buy;
/// e view, cart — 9 sessions.
#[test]
fn sessions_from_the_session_column() {
    use touchpath::core::paths::Grain;
    use touchpath::core::schema::ColumnOverrides;
    use touchpath::core::session::SessionSource;
    let text = include_str!("fixtures/e2e/session_column.csv");
    let (t, _) = touchpath::core::ingest::load_bytes("s.csv", text.as_bytes(), &ColumnOverrides::default()).unwrap();
    let variants = |sessions| {
        let q = PathQuery { by: Dimension::Event, grain: Grain::Session, sessions, top: 20, ..Default::default() };
        let r = compute(&t, &q).unwrap();
        let mut v: Vec<(String, u64)> = r.variants.iter().map(|v| (v.path.join(" → "), v.customers)).collect();
        v.sort();
        (r.total_customers, r.session_source, v)
    };
    let own = |v: &[(&str, u64)]| v.iter().map(|(p, n)| (p.to_string(), *n)).collect::<Vec<_>>();
    assert_eq!(
        variants(SessionSource::Column),
        (
            8,
            Some(SessionSource::Column),
            own(&[
                ("buy", 1),
                ("cart", 1),
                ("cart → buy → view", 1),
                ("view", 2),
                ("view → cart", 1),
                ("view → cart → buy", 2)
            ])
        )
    );
    assert_eq!(
        variants(SessionSource::Gap),
        (
            9,
            Some(SessionSource::Gap),
            own(&[("buy", 2), ("cart", 1), ("view", 2), ("view → cart", 2), ("view → cart → buy", 2)])
        )
    );
    // By customer there is no session source.
    let r = compute(&t, &PathQuery { by: Dimension::Event, ..Default::default() }).unwrap();
    assert_eq!((r.total_customers, r.session_source), (5, None));
}
