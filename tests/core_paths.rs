//! `touchpath::core::paths` against an independent brute force on the generated sample.

use std::collections::{BTreeMap, HashMap};

use touchpath::core::funnel::Dimension;
use touchpath::core::paths::{compute, PathQuery, ENDED, OTHER};
use touchpath::core::sample;
use touchpath::core::table::{EventTable, RowRef, TableBuilder};

/// The sample as a table, built without the CSV loader.
fn sample_table() -> EventTable {
    let events = sample::generate(sample::DEFAULT_SEED, 20_000);
    let mut b = TableBuilder::new(true, false, false);
    for e in &events {
        let id = sample::customer_id(e.customer);
        b.push(RowRef {
            customer: &id,
            ts: e.ts,
            event: e.event,
            channel: Some(sample::CHANNELS[e.channel as usize]),
            stage: None,
            revenue: None,
        });
    }
    b.finish()
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
