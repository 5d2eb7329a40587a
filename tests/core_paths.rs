//! `touchpath::core::paths` against an independent brute force on the generated sample.

use std::collections::{BTreeMap, HashMap};

use touchpath::core::funnel::Dimension;
use touchpath::core::paths::{
    compute, compute_with, parse_date, Direction, Merge, PathQuery, Prepared, Rule, ENDED, OTHER, STARTED,
};
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

/// Each customer's collapsed channel path on the sample with revenue, by brute force: per customer
/// (in order of first appearance) the runs `(channel, first µs, last µs)`, the revenue of all their
/// events (summed in time order) and whether they purchased.
struct BruteCustomer {
    runs: Vec<(String, i64, i64)>,
    revenue: f64,
    purchased: bool,
}

fn brute_customers() -> Vec<BruteCustomer> {
    let events = sample::generate(sample::DEFAULT_SEED, 20_000);
    let mut order: Vec<u32> = Vec::new();
    let mut by_customer: HashMap<u32, Vec<(i64, usize)>> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        by_customer.entry(e.customer).or_insert_with(|| {
            order.push(e.customer);
            Vec::new()
        });
        by_customer.get_mut(&e.customer).unwrap().push((e.ts, i));
    }
    order
        .iter()
        .map(|c| {
            let mut evs = by_customer[c].clone();
            evs.sort();
            let mut out = BruteCustomer { runs: Vec::new(), revenue: 0.0, purchased: false };
            for &(ts, i) in &evs {
                let e = &events[i];
                let ch = sample::CHANNELS[e.channel as usize];
                match out.runs.last_mut() {
                    Some(run) if run.0 == ch => run.2 = ts,
                    _ => out.runs.push((ch.to_string(), ts, ts)),
                }
                out.revenue += e.revenue_cents.map_or(0.0, |c| f64::from(c) / 100.0);
                out.purchased |= e.event == "purchase";
            }
            out
        })
        .collect()
}

/// Nearest-rank percentile of unsorted values.
fn nearest_rank(mut v: Vec<i64>, q: f64) -> i64 {
    v.sort_unstable();
    v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
}

#[test]
fn variant_figures_and_transition_times_match_a_brute_force() {
    let t = common::sample_table(true);
    let customers = brute_customers();
    let q = PathQuery {
        by: Dimension::Channel,
        steps: 4,
        top: 5,
        conversion: Some("purchase".into()),
        ..Default::default()
    };
    let r = compute(&t, &q).unwrap();
    // Variants: customers, conversion share, revenue and the median duration (first to last touch).
    let mut by_path: HashMap<Vec<String>, Vec<&BruteCustomer>> = HashMap::new();
    for c in &customers {
        by_path.entry(c.runs.iter().map(|r| r.0.clone()).collect()).or_default().push(c);
    }
    assert_eq!(r.distinct_variants, by_path.len() as u64);
    assert!(r.variants.len() >= 100, "enough variants to mean something: {}", r.variants.len());
    for w in r.variants.windows(2) {
        assert!(w[0].customers > w[1].customers || (w[0].customers == w[1].customers && w[0].path < w[1].path));
    }
    for v in &r.variants {
        let cs = &by_path[&v.path];
        assert_eq!(v.customers, cs.len() as u64, "{:?}", v.path);
        let conv = cs.iter().filter(|c| c.purchased).count() as f64 * 100.0 / cs.len() as f64;
        assert_eq!(v.conversion_pct, Some(conv), "{:?}", v.path);
        let revenue: f64 = cs.iter().map(|c| c.revenue).sum();
        assert!((v.revenue.unwrap() - revenue).abs() <= 1e-6 * revenue.max(1.0), "{:?}", v.path);
        let durations: Vec<i64> = cs.iter().map(|c| c.runs.last().unwrap().2 - c.runs[0].1).collect();
        assert_eq!(v.median_duration_s, nearest_rank(durations, 0.5) as f64 / 1e6, "{:?}", v.path);
    }
    // Transitions: the 5 channels with most events keep their name, the rest are "other"; per
    // edge its count and nearest-rank median and 90th percentile of whole seconds between runs.
    let mut rows: HashMap<&str, u64> = HashMap::new();
    for e in sample::generate(sample::DEFAULT_SEED, 20_000) {
        *rows.entry(sample::CHANNELS[e.channel as usize]).or_default() += 1;
    }
    let mut ranked: Vec<(&str, u64)> = rows.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let g = &r.transitions;
    let mut expect_values: Vec<String> = ranked.iter().take(5).map(|v| v.0.to_string()).collect();
    expect_values.push(OTHER.to_string());
    assert_eq!(g.values, expect_values);
    let slot = |v: &str| g.values.iter().position(|x| x == v).unwrap_or(5);
    let mut times: HashMap<(usize, usize), Vec<i64>> = HashMap::new();
    let (mut starts, mut ends) = (vec![0u64; 6], vec![0u64; 6]);
    for c in &customers {
        starts[slot(&c.runs[0].0)] += 1;
        ends[slot(&c.runs.last().unwrap().0)] += 1;
        for w in c.runs.windows(2) {
            times.entry((slot(&w[0].0), slot(&w[1].0))).or_default().push((w[1].1 - w[0].2) / 1_000_000);
        }
    }
    assert_eq!((&g.starts, &g.ends), (&starts, &ends));
    assert_eq!(g.edges.len(), times.len());
    for e in &g.edges {
        let ts = &times[&(e.from, e.to)];
        assert_eq!(e.count, ts.len() as u64);
        assert_eq!(e.median_s, nearest_rank(ts.clone(), 0.5) as f64, "{e:?}");
        assert_eq!(e.p90_s, nearest_rank(ts.clone(), 0.9) as f64, "{e:?}");
    }
}

#[test]
fn highlight_lists_match_a_brute_force_over_the_routes() {
    let t = sample_table();
    for (steps, top) in [(4, 3), (6, 100)] {
        let r = compute(&t, &PathQuery { by: Dimension::Channel, steps, top, ..Default::default() }).unwrap();
        // The values shown at each step; the rest are "other".
        let shown = |i: usize, v: &str| {
            r.nodes.iter().any(|n| n.step == i && n.label == v && n.label != OTHER && n.label != ENDED)
        };
        let node = |i: usize, v: &str| r.nodes.iter().position(|n| n.step == i && n.label == v).unwrap();
        let link = |s: usize, d: usize| r.links.iter().position(|l| (l.source, l.target) == (s, d)).unwrap();
        let mut node_sets = vec![std::collections::BTreeSet::new(); r.nodes.len()];
        let mut link_sets = vec![std::collections::BTreeSet::new(); r.links.len()];
        // And the customers on each node and link (routes that merge values as "other" or cut
        // longer paths are shared by several paths).
        let (mut node_customers, mut link_customers) = (vec![0u64; r.nodes.len()], vec![0u64; r.links.len()]);
        for p in brute_paths(true) {
            let mut route: Vec<usize> =
                p.iter().take(steps).enumerate().map(|(i, v)| node(i, if shown(i, v) { v } else { OTHER })).collect();
            if p.len() < steps {
                route.push(node(p.len(), ENDED));
            }
            let links: Vec<usize> = route.windows(2).map(|w| link(w[0], w[1])).collect();
            for &n in &route {
                node_sets[n].extend(links.iter().copied());
                node_customers[n] += 1;
            }
            for &l in &links {
                link_sets[l].extend(links.iter().copied());
                link_customers[l] += 1;
            }
        }
        assert_eq!(r.nodes.iter().map(|n| n.customers).collect::<Vec<_>>(), node_customers, "steps {steps}, top {top}");
        assert_eq!(r.links.iter().map(|l| l.customers).collect::<Vec<_>>(), link_customers, "steps {steps}, top {top}");
        for (n, set) in r.nodes.iter().zip(&node_sets) {
            assert_eq!(n.through, set.iter().copied().collect::<Vec<_>>(), "{n:?}");
        }
        for (l, set) in r.links.iter().zip(&link_sets) {
            assert_eq!(l.through, set.iter().copied().collect::<Vec<_>>(), "{l:?}");
        }
    }
}

/// The worker keeps what one query prepared and reuses it for queries that differ only in the
/// Sankey's shape: each such answer must equal the one computed from scratch, and the prepared
/// state must refuse any query that asks for other paths.
#[test]
fn prepared_paths_serve_every_shape_as_a_fresh_computation() {
    let t = common::sample_table(true);
    let base = PathQuery {
        by: Dimension::Channel,
        steps: 6,
        top: 8,
        conversion: Some("purchase".into()),
        with_event: false,
        ..Default::default()
    };
    for first in [base.clone(), PathQuery { with_event: true, by: Dimension::Channel, top: 12, ..base.clone() }] {
        let prepared = Prepared::new(&t, &first).unwrap();
        let mut checked = 0;
        for steps in [1, 3, 8, 20] {
            for top in [first.top, 3] {
                for min_share in [0, 500] {
                    for direction in [Direction::Forward, Direction::Backward] {
                        let q = PathQuery { steps, top, min_share, direction, ..first.clone() };
                        assert!(prepared.fits(&q));
                        let reused = compute_with(&t, &q, &prepared).unwrap();
                        assert_eq!(reused, compute(&t, &q).unwrap(), "{q:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 32);
        // Another definition of the paths does not fit.
        for other in [
            PathQuery { collapse: !first.collapse, ..first.clone() },
            PathQuery { from: Some("email".into()), ..first.clone() },
            PathQuery { conversion: None, ..first.clone() },
            PathQuery { hide: vec!["email".into()], ..first.clone() },
            PathQuery { by: Dimension::Event, ..first.clone() },
            PathQuery { since: Some(19_000), ..first.clone() },
        ] {
            assert!(!prepared.fits(&other), "{other:?}");
            assert_eq!(compute_with(&t, &other, &prepared).unwrap(), compute(&t, &other).unwrap(), "{other:?}");
        }
    }
}
