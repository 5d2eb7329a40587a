//! `touchpath::core::funnel::compute` against an independent brute force.

mod common;
use common::Rng;

use std::io::Read;

use touchpath::core::funnel::{compute, Dimension, Exclusion, FunnelQuery, FunnelResult, Order};
use touchpath::core::ingest::load_bytes;
use touchpath::core::sample;
use touchpath::core::schema::ColumnOverrides;
use touchpath::core::table::{EventTable, RowRef, TableBuilder};
use touchpath::core::time::{Duration, TimeUnit};

/// One input row: customer, microseconds, event, channel.
type Row = (String, i64, String, String);

fn build(rows: &[Row]) -> EventTable {
    let mut b = TableBuilder::new(true, false, false);
    for (c, ts, e, ch) in rows {
        b.push(RowRef { customer: c, ts: *ts, event: e, channel: Some(ch), stage: None, revenue: None });
    }
    b.finish()
}

/// The brute force: for each customer and each occurrence of step 1, match every later step at the
/// earliest later position whose value fits and whose time is within the window of that step-1
/// occurrence; a customer's depth is the best over all step-1 occurrences.
fn brute(table: &EventTable, by: &Dimension, steps: &[String], window: Option<i64>) -> Vec<u64> {
    let col = by.column(table).expect("column present");
    let mut reached = vec![0u64; steps.len()];
    for c in 0..table.customer_count() {
        let seq: Vec<(i64, &str)> = table.rows_of(c).map(|r| (table.ts.at(r), col.value(r))).collect();
        let mut best = 0;
        for p0 in 0..seq.len() {
            if steps.is_empty() || seq[p0].1 != steps[0] {
                continue;
            }
            let t0 = seq[p0].0;
            let (mut depth, mut pos) = (1, p0);
            for step in &steps[1..] {
                let next = (pos + 1..seq.len())
                    .find(|&q| seq[q].1 == step.as_str())
                    .filter(|&q| window.is_none_or(|w| seq[q].0 - t0 <= w));
                match next {
                    Some(q) => {
                        depth += 1;
                        pos = q;
                    }
                    None => break,
                }
            }
            best = best.max(depth);
        }
        for r in reached.iter_mut().take(best) {
            *r += 1;
        }
    }
    reached
}

fn query(by: Dimension, steps: &[String], window: Option<Duration>) -> FunnelQuery {
    FunnelQuery { by, steps: steps.to_vec(), window, ..Default::default() }
}

fn counts(r: &FunnelResult) -> Vec<u64> {
    r.steps.iter().map(|s| s.customers).collect()
}

fn secs(n: u32) -> Duration {
    Duration { amount: n, unit: TimeUnit::Second }
}

/// Checks every field of a result against step counts worked out independently.
#[track_caller]
fn check_result(r: &FunnelResult, table: &EventTable, q: &FunnelQuery, want: &[u64]) {
    assert_eq!(counts(r), want, "{q:?}");
    assert_eq!(r.total_customers, table.customer_count() as u64);
    assert_eq!(r.by, q.by);
    assert_eq!(r.window, q.window.map(|w| w.to_string()));
    let col = q.by.column(table).unwrap();
    for (j, s) in r.steps.iter().enumerate() {
        assert_eq!(s.label, q.steps[j]);
        assert_eq!(s.present, col.values.contains(&q.steps[j]), "present flag of {}", s.label);
        let prev = if j == 0 { want[0] } else { want[j - 1] };
        assert_eq!(s.dropoff, prev - want[j]);
        let pct = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
        let (of_first, of_prev) = if j == 0 { (100.0, 100.0) } else { (pct(want[j], want[0]), pct(want[j], prev)) };
        assert!((s.pct_of_first - of_first).abs() < 1e-9, "{} vs {of_first}", s.pct_of_first);
        assert!((s.pct_of_previous - of_prev).abs() < 1e-9, "{} vs {of_prev}", s.pct_of_previous);
    }
}

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn random_rows(rng: &mut Rng, names: &[&str]) -> Vec<Row> {
    let customers = 2 + rng.below(5);
    let mut rows = Vec::new();
    for c in 0..customers {
        for _ in 0..rng.below(16) {
            // Times on a coarse grid, so ties are frequent; sometimes off the grid by a microsecond.
            let ts = rng.below(8) as i64 * 1_000_000 + if rng.below(4) == 0 { 1 } else { 0 };
            rows.push((format!("cust{c}"), ts, rng.pick(names).to_string(), rng.pick(names).to_string()));
        }
    }
    // Interleave customers and times: the builder clusters and sorts (stably).
    for i in (1..rows.len()).rev() {
        let j = rng.below(i + 1);
        rows.swap(i, j);
    }
    rows
}

#[test]
fn random_tables_match_the_brute_force_and_the_properties_hold() {
    let mut rng = Rng::new(0xF0E1_D2C3);
    let mut nonzero_last = 0;
    for case in 0..600 {
        let names = &NAMES[..3 + rng.below(2)];
        let rows = random_rows(&mut rng, names);
        let table = build(&rows);
        let by = if rng.below(3) == 0 { Dimension::Channel } else { Dimension::Event };
        let len = 1 + rng.below(5);
        let steps: Vec<String> = (0..len).map(|_| rng.pick(names).to_string()).collect();
        let windows = [None, Some(secs(1)), Some(secs(2)), Some(secs(3)), Some(secs(5))];
        let window = windows[rng.below(windows.len())];
        let q = query(by.clone(), &steps, window);
        let got = compute(&table, &q).unwrap();
        let want = brute(&table, &by, &steps, window.map(|w| w.micros()));
        check_result(&got, &table, &q, &want);
        if *want.last().unwrap() > 0 && len > 2 {
            nonzero_last += 1;
        }

        // Counts never increase from one step to the next.
        assert!(want.windows(2).all(|w| w[0] >= w[1]), "case {case}: {want:?}");

        // Events whose value is in no step change nothing (for old or new customers).
        let mut noisy = rows.clone();
        for _ in 0..1 + rng.below(6) {
            let cust = format!("cust{}", rng.below(8));
            let ts = rng.below(8) as i64 * 1_000_000;
            let at = rng.below(noisy.len() + 1);
            noisy.insert(at, (cust, ts, "zz_noise".into(), "zz_noise".into()));
        }
        let noisy_table = build(&noisy);
        assert_eq!(counts(&compute(&noisy_table, &q).unwrap()), want, "case {case}: noise changed the funnel");

        // A larger window never lowers a count; no window is the largest.
        let mut last = vec![0; len];
        for w in [Some(secs(1)), Some(secs(2)), Some(secs(3)), Some(secs(5)), Some(secs(8)), None] {
            let c = counts(&compute(&table, &query(by.clone(), &steps, w)).unwrap());
            assert!(c.iter().zip(&last).all(|(a, b)| a >= b), "case {case}: window {w:?} gave {c:?} after {last:?}");
            assert_eq!(c, brute(&table, &by, &steps, w.map(|w| w.micros())), "case {case} window {w:?}");
            last = c;
        }
        // Times span 7 s, so an 8 s window is the same as none.
        assert_eq!(counts(&compute(&table, &query(by.clone(), &steps, Some(secs(8)))).unwrap()), last);
    }
    assert!(nonzero_last > 50, "deep funnels were reached in {nonzero_last} cases");
}

#[test]
fn hand_worked_brute_force_sanity() {
    // The brute force itself, on cases worked by hand.
    let rows = |v: &[(&str, i64, &str)]| -> EventTable {
        build(
            &v.iter()
                .map(|&(c, s, e)| (c.to_string(), s * 1_000_000, e.to_string(), String::new()))
                .collect::<Vec<_>>(),
        )
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    // a: a b c in order; b: c before a (a only); c: a, then a (first a too early for b in 2 s), b.
    let t = rows(&[
        ("a", 0, "a"),
        ("a", 1, "b"),
        ("a", 2, "c"),
        ("b", 0, "c"),
        ("b", 1, "a"),
        ("c", 0, "a"),
        ("c", 5, "a"),
        ("c", 6, "b"),
    ]);
    assert_eq!(brute(&t, &Dimension::Event, &s(&["a", "b", "c"]), None), vec![3, 2, 1]);
    assert_eq!(brute(&t, &Dimension::Event, &s(&["a", "b"]), Some(2_000_000)), vec![3, 2]);
    assert_eq!(brute(&t, &Dimension::Event, &s(&["a", "b"]), Some(500_000)), vec![3, 0]);
    assert_eq!(brute(&t, &Dimension::Event, &s(&["a", "a", "b"]), None), vec![3, 1, 1]);
    for (steps, w) in [(s(&["a", "b", "c"]), None), (s(&["a", "b"]), Some(secs(2))), (s(&["a", "a", "b"]), None)] {
        let q = query(Dimension::Event, &steps, w);
        assert_eq!(counts(&compute(&t, &q).unwrap()), brute(&t, &Dimension::Event, &steps, w.map(|w| w.micros())));
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn the_sample_matches_the_brute_force_and_the_shipped_file() {
    let gz = sample::sample_csv_gz();
    let (table, report) = load_bytes("sample.csv.gz", &gz, &ColumnOverrides::default()).unwrap();
    assert_eq!((report.rows_used, report.rows_skipped()), (sample::SAMPLE_EVENTS as u64, 0));
    let steps: Vec<String> = ["site_visit", "product_view", "add_to_cart", "purchase"].map(String::from).to_vec();
    let mut results = Vec::new();
    for window in [None, Some(Duration { amount: 7, unit: TimeUnit::Day })] {
        let q = query(Dimension::Event, &steps, window);
        let r = compute(&table, &q).unwrap();
        let want = brute(&table, &Dimension::Event, &steps, window.map(|w| w.micros()));
        check_result(&r, &table, &q, &want);
        assert!(want[3] > 0 && want[0] > want[1] && want[1] > want[2] && want[2] > want[3], "{want:?}");
        results.push(want);
    }
    // The 7-day window loses some customers somewhere, never gains any.
    assert!(results[1].iter().zip(&results[0]).all(|(w, n)| w <= n));
    assert!(results[1] != results[0], "a 7d window should cut some slow journeys: {results:?}");

    // The shipped sample is exactly what the generator writes.
    let shipped = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/sample.csv.gz")).unwrap();
    let (a, b) = (gunzip(&shipped), gunzip(&gz));
    assert!(a == b, "static/sample.csv.gz drifted from sample::sample_csv_gz(); rerun `touchpath-gen --sample`");
}

/// Strict order by brute force: for every start, count consecutive events matching the steps.
fn brute_strict(table: &EventTable, steps: &[String], window: Option<i64>) -> Vec<u64> {
    let mut reached = vec![0u64; steps.len()];
    for c in 0..table.customer_count() {
        let rows: Vec<usize> = table.rows_of(c).collect();
        let name = |r: usize| table.event.value(r);
        let mut best = 0;
        for s in 0..rows.len() {
            let mut d = 0;
            while d < steps.len()
                && s + d < rows.len()
                && name(rows[s + d]) == steps[d]
                && window.is_none_or(|w| table.ts.at(rows[s + d]) - table.ts.at(rows[s]) <= w)
            {
                d += 1;
            }
            best = best.max(d);
        }
        for r in reached.iter_mut().take(best) {
            *r += 1;
        }
    }
    reached
}

#[test]
fn order_modes_keep_their_invariants() {
    let mut rng = Rng::new(0x0DE5);
    for case in 0..500 {
        let names = &NAMES[..3 + rng.below(2)];
        let table = build(&random_rows(&mut rng, names));
        let len = 1 + rng.below(4);
        let steps: Vec<String> = (0..len).map(|_| rng.pick(names).to_string()).collect();
        let window = [None, Some(secs(1)), Some(secs(3))][rng.below(3)];
        let run = |order: Order| {
            let q = FunnelQuery { order, ..query(Dimension::Event, &steps, window) };
            counts(&compute(&table, &q).unwrap())
        };
        let (ordered, strict, any) = (run(Order::Ordered), run(Order::Strict), run(Order::Any));
        assert_eq!(strict, brute_strict(&table, &steps, window.map(|w| w.micros())), "case {case}");
        // Strict ⊆ ordered ⊆ any order, step by step; counts never increase.
        for j in 0..len {
            assert!(strict[j] <= ordered[j] && ordered[j] <= any[j], "case {case}: {strict:?} {ordered:?} {any:?}");
        }
        assert!(any.windows(2).all(|w| w[0] >= w[1]) && strict.windows(2).all(|w| w[0] >= w[1]));
    }
}

#[test]
fn order_modes_hand_worked() {
    // a: view cart buy (consecutive);  b: view other cart buy;  c: cart view buy;  d: buy view.
    let rows: Vec<Row> = [
        ("a", 1, "view"),
        ("a", 2, "cart"),
        ("a", 3, "buy"),
        ("b", 1, "view"),
        ("b", 2, "other"),
        ("b", 3, "cart"),
        ("b", 4, "buy"),
        ("c", 1, "cart"),
        ("c", 2, "view"),
        ("c", 3, "buy"),
        ("d", 1, "buy"),
        ("d", 2, "view"),
    ]
    .iter()
    .map(|&(c, t, e)| (c.to_string(), t * 1_000_000, e.to_string(), String::new()))
    .collect();
    let table = build(&rows);
    let steps: Vec<String> = ["view", "cart", "buy"].map(String::from).to_vec();
    let run = |order, window| {
        counts(&compute(&table, &FunnelQuery { order, ..query(Dimension::Event, &steps, window) }).unwrap())
    };
    // Ordered: a, b full; c view then buy but no cart after view → 1; d → 1.
    assert_eq!(run(Order::Ordered, None), [4, 2, 2]);
    // Strict: only a has cart right after view.
    assert_eq!(run(Order::Strict, None), [4, 1, 1]);
    // Any order: a, b, c have all three; d has view and buy but no cart → 1.
    assert_eq!(run(Order::Any, None), [4, 3, 3]);
    // Any order within 1 s: a (1..3 s spans 2 s: view+cart in 1 s → 2); b view..cart spans 2 s → 1;
    // c cart+view within 1 s → 2; d → 1.
    assert_eq!(run(Order::Any, Some(secs(1))), [4, 2, 0]);
}

#[test]
fn funnels_by_stage_use_the_stage_column() {
    // c1: awareness → consideration → purchase; c2: awareness → purchase; c3: consideration only.
    let csv = "customer_id,timestamp,event,stage\n\
               c1,2025-01-01T00:00:00Z,visit,awareness\n\
               c1,2025-01-02T00:00:00Z,view,consideration\n\
               c1,2025-01-03T00:00:00Z,buy,purchase\n\
               c2,2025-01-01T00:00:00Z,visit,awareness\n\
               c2,2025-01-05T00:00:00Z,buy,purchase\n\
               c3,2025-01-01T00:00:00Z,view,consideration\n";
    let (t, _) = load_bytes("s.csv", csv.as_bytes(), &ColumnOverrides::default()).unwrap();
    let steps: Vec<String> = ["awareness", "consideration", "purchase"].map(String::from).to_vec();
    // Reached: awareness c1, c2 (2); then consideration c1 (1); then purchase c1 (1).
    assert_eq!(counts(&compute(&t, &query(Dimension::Stage, &steps, None)).unwrap()), vec![2, 1, 1]);
    // Without a stage column, a stage funnel says so.
    let csv = "customer_id,timestamp,event\nc1,2025-01-01T00:00:00Z,visit\n";
    let (t, _) = load_bytes("e.csv", csv.as_bytes(), &ColumnOverrides::default()).unwrap();
    let e = compute(&t, &query(Dimension::Stage, &steps, None)).unwrap_err();
    assert!(e.to_string().contains("no stage column"), "{e}");
}

/// Optional steps and exclusions by brute force: every chain of events is tried. Step `j` is
/// reached when some chain matches steps 0..=j in order, skipping only optional steps before `j`,
/// each step at a later position (strict: the very next position) within the window of the
/// chain's first event, and no exclusion (value, from, to) with both steps in the chain has an
/// event of its value strictly between them that is not itself one of the chain's steps.
fn brute_general(
    table: &EventTable,
    steps: &[String],
    optional: &[usize],
    exclusions: &[(String, usize, usize)],
    window: Option<i64>,
    strict: bool,
) -> Vec<u64> {
    let hits = brute_hits(table, steps, optional, exclusions, window, strict);
    (0..steps.len()).map(|j| hits.iter().filter(|h| h[j]).count() as u64).collect()
}

/// Per customer, which steps [`brute_general`] says they reach.
fn brute_hits(
    table: &EventTable,
    steps: &[String],
    optional: &[usize],
    exclusions: &[(String, usize, usize)],
    window: Option<i64>,
    strict: bool,
) -> Vec<Vec<bool>> {
    #[allow(clippy::too_many_arguments)]
    fn search(
        seq: &[(i64, &str)],
        steps: &[String],
        opt: &[bool],
        excl: &[(String, usize, usize)],
        window: Option<i64>,
        strict: bool,
        target: usize,
        chain: &mut Vec<(usize, usize)>, // (step, position)
    ) -> bool {
        let idx = chain.last().map_or(0, |&(s, _)| s + 1);
        for next in idx..=target {
            // Steps idx..next are skipped: all must be optional (step 0 never is).
            if (idx..next).any(|s| s == 0 || !opt[s]) {
                break;
            }
            let positions: Vec<usize> = match chain.last() {
                None => (0..seq.len()).collect(),
                Some(&(_, p)) if strict => vec![p + 1],
                Some(&(_, p)) => (p + 1..seq.len()).collect(),
            };
            for q in positions.into_iter().filter(|&q| q < seq.len() && brute_match(&steps[next], seq[q].1)) {
                if let (Some(w), Some(&(_, p0))) = (window, chain.first()) {
                    if seq[q].0 - seq[p0].0 > w {
                        continue;
                    }
                }
                chain.push((next, q));
                let broken = excl.iter().any(|(x, f, t)| {
                    *t == next
                        && chain.iter().find(|c| c.0 == *f).is_some_and(|&(_, pf)| {
                            (pf + 1..q).any(|m| brute_match(x, seq[m].1) && !chain.iter().any(|c| c.1 == m))
                        })
                });
                if !broken && (next == target || search(seq, steps, opt, excl, window, strict, target, chain)) {
                    chain.pop();
                    return true;
                }
                chain.pop();
            }
        }
        false
    }
    let opt: Vec<bool> = (0..steps.len()).map(|j| j > 0 && optional.contains(&j)).collect();
    (0..table.customer_count())
        .map(|c| {
            let seq: Vec<(i64, &str)> = table.rows_of(c).map(|r| (table.ts.at(r), table.event.value(r))).collect();
            (0..steps.len())
                .map(|j| search(&seq, steps, &opt, exclusions, window, strict, j, &mut Vec::new()))
                .collect()
        })
        .collect()
}

/// Open funnels by brute force: a customer reaches step j when, for some entry step s ≤ j, the
/// closed funnel of steps s.. (its optional steps and exclusions, renumbered) reaches j; they
/// arrived at j when some s < j does. Returns (reached, entries, drop-off) per step.
#[allow(clippy::type_complexity)]
fn brute_open(
    table: &EventTable,
    steps: &[String],
    optional: &[usize],
    exclusions: &[(String, usize, usize)],
    window: Option<i64>,
    strict: bool,
) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    let k = steps.len();
    let n = table.customer_count();
    let (mut reach, mut arrived) = (vec![vec![false; k]; n], vec![vec![false; k]; n]);
    for s in 0..k {
        let opt: Vec<usize> = optional.iter().filter(|&&j| j > s).map(|&j| j - s).collect();
        let ex: Vec<(String, usize, usize)> =
            exclusions.iter().filter(|e| e.1 >= s).map(|(v, f, t)| (v.clone(), f - s, t - s)).collect();
        let hits = brute_hits(table, &steps[s..], &opt, &ex, window, strict);
        for c in 0..n {
            for p in 0..k - s {
                if hits[c][p] {
                    reach[c][s + p] = true;
                    arrived[c][s + p] |= p > 0;
                }
            }
        }
    }
    let prev = |j: usize| (0..j).rev().find(|i| !optional.contains(i));
    let reached = (0..k).map(|j| (0..n).filter(|&c| reach[c][j]).count() as u64).collect();
    let entries = (0..k).map(|j| (0..n).filter(|&c| reach[c][j] && !arrived[c][j]).count() as u64).collect();
    let dropoff = (0..k)
        .map(|j| prev(j).map_or(0, |i| (0..n).filter(|&c| reach[c][i] && !arrived[c][j]).count() as u64))
        .collect();
    (reached, entries, dropoff)
}

/// Whether a step written without escapes (`a|b`, `contains:a|b`) matches `value`, by hand.
fn brute_match(spec: &str, value: &str) -> bool {
    match spec.strip_prefix("contains:") {
        Some(rest) => rest.split('|').any(|a| !a.is_empty() && value.to_lowercase().contains(&a.to_lowercase())),
        None => spec.split('|').any(|a| a == value),
    }
}

/// Any order by brute force: over every set of events spanning at most the window, the most
/// steps 1..j that can each be given a distinct matching event (tried by backtracking).
fn brute_any(table: &EventTable, steps: &[String], window: Option<i64>) -> Vec<u64> {
    fn assign(steps: &[String], j: usize, events: &[&str], used: &mut Vec<bool>) -> bool {
        if j == steps.len() {
            return true;
        }
        for m in 0..events.len() {
            if !used[m] && brute_match(&steps[j], events[m]) {
                used[m] = true;
                let ok = assign(steps, j + 1, events, used);
                used[m] = false;
                if ok {
                    return true;
                }
            }
        }
        false
    }
    let mut reached = vec![0u64; steps.len()];
    for c in 0..table.customer_count() {
        let rows: Vec<usize> = table.rows_of(c).collect();
        let mut best = 0;
        for &l in &rows {
            let events: Vec<&str> = rows
                .iter()
                .filter(|&&m| m >= l && window.is_none_or(|w| table.ts.at(m) - table.ts.at(l) <= w))
                .map(|&m| table.event.value(m))
                .collect();
            while best < steps.len() && assign(&steps[..best + 1], 0, &events, &mut vec![false; events.len()]) {
                best += 1;
            }
        }
        for r in reached.iter_mut().take(best) {
            *r += 1;
        }
    }
    reached
}

fn events(v: &[(&str, i64, &str)]) -> EventTable {
    build(&v.iter().map(|&(c, s, e)| (c.to_string(), s * 1_000_000, e.to_string(), String::new())).collect::<Vec<_>>())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn excl(value: &str, from: usize, to: usize) -> Exclusion {
    Exclusion { value: value.into(), from, to }
}

#[test]
fn exclusions_hand_worked() {
    // Steps view → cart → buy; exclude `refund` between step 1 and step 3 (0-based 0 → 2).
    // a: view cart buy                 → 3 steps (no refund)
    // b: view refund cart buy          → the only chain has refund between view and buy: reaches
    //                                    view and cart (the exclusion drops it from step 3 on) → 2
    // c: view refund view cart buy     → the second view starts a clean chain → 3
    // d: view cart buy refund          → refund after the buy is not between → 3
    // e: view cart refund buy          → 2
    // f: refund view cart              → refund before step 1 does not matter → 2
    let t = events(&[
        ("a", 1, "view"),
        ("a", 2, "cart"),
        ("a", 3, "buy"),
        ("b", 1, "view"),
        ("b", 2, "refund"),
        ("b", 3, "cart"),
        ("b", 4, "buy"),
        ("c", 1, "view"),
        ("c", 2, "refund"),
        ("c", 3, "view"),
        ("c", 4, "cart"),
        ("c", 5, "buy"),
        ("d", 1, "view"),
        ("d", 2, "cart"),
        ("d", 3, "buy"),
        ("d", 4, "refund"),
        ("e", 1, "view"),
        ("e", 2, "cart"),
        ("e", 3, "refund"),
        ("e", 4, "buy"),
        ("f", 1, "refund"),
        ("f", 2, "view"),
        ("f", 3, "cart"),
    ]);
    let q = |exclusions: Vec<Exclusion>| FunnelQuery {
        steps: strings(&["view", "cart", "buy"]),
        exclusions,
        ..Default::default()
    };
    let r = compute(&t, &q(vec![excl("refund", 0, 2)])).unwrap();
    // view: all 6; cart: a b c d e f = 6; buy: a c d = 3.
    assert_eq!(counts(&r), [6, 6, 3]);
    assert_eq!(r.exclusions, vec![excl("refund", 0, 2)]);
    // The JSON names steps from 1.
    let json = serde_json::to_value(touchpath::core::funnel::FunnelExport::new("t.csv", 23, &r)).unwrap();
    assert_eq!(json["exclusions"], serde_json::json!([{ "value": "refund", "from_step": 1, "to_step": 3 }]));
    assert_eq!(json["steps"][1]["optional"], serde_json::json!(false));
    // Between steps 2 and 3 only: b's refund is before its cart (not between) → b buys; e's is
    // between cart and buy → e stops at cart; c: 3. Buyers a b c d = 4.
    assert_eq!(counts(&compute(&t, &q(vec![excl("refund", 1, 2)])).unwrap()), [6, 6, 4]);
    // Between steps 1 and 2: b (refund between view and cart) stays at view; c restarts → 3
    // steps; e's refund is after its cart → 3. Carts: a c d e f = 5, buys a c d e = 4.
    assert_eq!(counts(&compute(&t, &q(vec![excl("refund", 0, 1)])).unwrap()), [6, 5, 4]);
    // Without the exclusion everyone with the events counts: 6, 6, 5 (all but f buy).
    assert_eq!(counts(&compute(&t, &q(vec![])).unwrap()), [6, 6, 5]);
    // An exclusion with a value not in the data changes nothing; an invalid one is ignored.
    assert_eq!(counts(&compute(&t, &q(vec![excl("nope", 0, 2), excl("refund", 2, 1)])).unwrap()), [6, 6, 5]);
    // The brute force agrees on every case above.
    for e in
        [vec![("refund".to_string(), 0, 2)], vec![("refund".to_string(), 1, 2)], vec![("refund".to_string(), 0, 1)]]
    {
        let want = brute_general(&t, &strings(&["view", "cart", "buy"]), &[], &e, None, false);
        let ex: Vec<Exclusion> = e.iter().map(|(v, f, to)| excl(v, *f, *to)).collect();
        assert_eq!(counts(&compute(&t, &q(ex)).unwrap()), want, "{e:?}");
    }
}

#[test]
fn exclusions_and_time_between_steps() {
    // a: view 0, cart 10, refund 20, cart 30, buy 70. Exclude refund between steps 2 and 3:
    // the chain through cart 10 breaks; the chain view 0 → cart 30 → buy 70 is clean.
    // Times are per step, from the chains that reach it: cart is reached by view 0 → cart 10
    // (the refund only stops the buy) → 10 s; buy from cart 30 → 40 s, from view 70 s.
    let t = events(&[("a", 0, "view"), ("a", 10, "cart"), ("a", 20, "refund"), ("a", 30, "cart"), ("a", 70, "buy")]);
    let q = FunnelQuery {
        steps: strings(&["view", "cart", "buy"]),
        exclusions: vec![excl("refund", 1, 2)],
        ..Default::default()
    };
    let r = compute(&t, &q).unwrap();
    assert_eq!(counts(&r), [1, 1, 1]);
    assert_eq!(r.steps[1].median_from_previous_s, Some(10.0));
    assert_eq!(r.steps[2].median_from_previous_s, Some(40.0));
    assert_eq!(r.steps[2].median_from_first_s, Some(70.0));
}

#[test]
fn optional_steps_hand_worked() {
    // Steps visit → signup (optional) → cart → buy.
    // a: visit signup cart buy   b: visit cart buy   c: visit signup   d: signup visit cart
    // Required funnel visit → cart → buy: visit a b c d = 4; cart a b d = 3; buy a b = 2.
    // signup (optional) is reached by whoever did visit then signup: a c = 2.
    // % of previous of cart is of visit (the nearest required step): 3/4; of signup: 2/4.
    let t = events(&[
        ("a", 1, "visit"),
        ("a", 2, "signup"),
        ("a", 3, "cart"),
        ("a", 4, "buy"),
        ("b", 1, "visit"),
        ("b", 2, "cart"),
        ("b", 3, "buy"),
        ("c", 1, "visit"),
        ("c", 2, "signup"),
        ("d", 1, "signup"),
        ("d", 2, "visit"),
        ("d", 3, "cart"),
    ]);
    let steps = strings(&["visit", "signup", "cart", "buy"]);
    let q = FunnelQuery { steps: steps.clone(), optional: vec![1], ..Default::default() };
    let r = compute(&t, &q).unwrap();
    assert_eq!(counts(&r), [4, 2, 3, 2]);
    assert_eq!(r.steps.iter().map(|s| s.optional).collect::<Vec<_>>(), [false, true, false, false]);
    assert_eq!((r.steps[1].pct_of_previous, r.steps[1].dropoff), (50.0, 2));
    assert_eq!((r.steps[2].pct_of_previous, r.steps[2].dropoff), (75.0, 1));
    assert_eq!((r.steps[3].pct_of_previous, r.steps[3].dropoff), (200.0 / 3.0, 1));
    // Required, signup would cut b and d: 4, 2, 1, 1.
    assert_eq!(counts(&compute(&t, &FunnelQuery { optional: vec![], ..q.clone() }).unwrap()), [4, 2, 1, 1]);
    // Strict order: a's visit signup cart buy are consecutive → 4; b: visit cart buy, skipping
    // signup → 3 steps but not signup; c: visit signup; d: visit cart. → 4, 2, 3, 2.
    let strict = FunnelQuery { order: Order::Strict, ..q.clone() };
    assert_eq!(counts(&compute(&t, &strict).unwrap()), [4, 2, 3, 2]);
    // Any order: d also has signup (before visit): signup a c d = 3; cart a b d = 3; buy a b = 2.
    let any = FunnelQuery { order: Order::Any, ..q.clone() };
    assert_eq!(counts(&compute(&t, &any).unwrap()), [4, 3, 3, 2]);
    assert_eq!(counts(&compute(&t, &q).unwrap()), brute_general(&t, &steps, &[1], &[], None, false));
    assert_eq!(counts(&compute(&t, &strict).unwrap()), brute_general(&t, &steps, &[1], &[], None, true));
    // Strict: a skipped optional step cannot hide an event between steps: visit x cart fails.
    let t2 = events(&[("a", 1, "visit"), ("a", 2, "x"), ("a", 3, "cart")]);
    assert_eq!(counts(&compute(&t2, &strict).unwrap()), [1, 0, 0, 0]);
}

#[test]
fn editing_steps_keeps_flags_and_exclusions_on_their_steps() {
    let mut q = FunnelQuery {
        steps: strings(&["a", "b", "c", "d"]),
        optional: vec![2],
        exclusions: vec![excl("x", 0, 3), excl("y", 1, 2)],
        ..Default::default()
    };
    q.move_up(2); // a c b d: c (optional) is now step 1 (0-based); y between b and c → 1..2 still
    assert_eq!(q.steps, strings(&["a", "c", "b", "d"]));
    assert_eq!(q.optional, [1]);
    // y was from b (now 2) to c (now 1): swapped to 1 → 2, but step 1 is optional: dropped.
    assert_eq!(q.exclusions, vec![excl("x", 0, 3)]);
    q.remove_step(0); // c b d: step 0 can't be optional; x started at the removed step.
    assert_eq!(
        (q.steps.clone(), q.optional.clone(), q.exclusions.clone()),
        (strings(&["c", "b", "d"]), vec![], vec![])
    );
    q.exclusions.push(excl("x", 0, 2));
    q.set_optional(1, true);
    q.set_optional(0, true); // ignored
    assert_eq!(q.optional, [1]);
    q.remove_step(1);
    assert_eq!((q.optional.clone(), q.exclusions.clone()), (vec![], vec![excl("x", 0, 1)]));
}

#[test]
fn optional_steps_and_exclusions_match_the_brute_force() {
    let mut rng = Rng::new(0x0E7C_1005);
    let mut hit_optional = 0;
    for case in 0..700 {
        let names = &NAMES[..3 + rng.below(2)];
        let table = build(&random_rows(&mut rng, names));
        let len = 2 + rng.below(4);
        let steps: Vec<String> = (0..len).map(|_| rng.pick(names).to_string()).collect();
        let optional: Vec<usize> = (1..len).filter(|_| rng.below(3) == 0).collect();
        let mut exclusions = Vec::new();
        for _ in 0..rng.below(3) {
            let from = rng.below(len - 1);
            let to = from + 1 + rng.below(len - 1 - from);
            if !optional.contains(&from) {
                exclusions.push((rng.pick(names).to_string(), from, to));
            }
        }
        let window = [None, Some(secs(1)), Some(secs(3))][rng.below(3)];
        let w = window.map(|w| w.micros());
        let q = FunnelQuery {
            steps: steps.clone(),
            window,
            optional: optional.clone(),
            exclusions: exclusions.iter().map(|(v, f, t)| excl(v, *f, *t)).collect(),
            ..Default::default()
        };
        let ordered = counts(&compute(&table, &q).unwrap());
        assert_eq!(ordered, brute_general(&table, &steps, &optional, &exclusions, w, false), "case {case}: {q:?}");
        let strict = counts(&compute(&table, &FunnelQuery { order: Order::Strict, ..q.clone() }).unwrap());
        assert_eq!(strict, brute_general(&table, &steps, &optional, &[], w, true), "case {case} strict: {q:?}");
        let plain = FunnelQuery { optional: vec![], exclusions: vec![], ..q.clone() };
        let plain_counts = counts(&compute(&table, &plain).unwrap());
        let no_excl = counts(&compute(&table, &FunnelQuery { exclusions: vec![], ..q.clone() }).unwrap());
        let any = counts(&compute(&table, &FunnelQuery { order: Order::Any, ..q.clone() }).unwrap());
        for j in 0..len {
            // Exclusions only remove customers; optional steps only add them at required steps.
            assert!(ordered[j] <= no_excl[j], "case {case}: {ordered:?} vs {no_excl:?}");
            if !optional.contains(&j) {
                assert!(no_excl[j] >= plain_counts[j], "case {case}: {no_excl:?} vs {plain_counts:?}");
            }
            // strict ≤ ordered (without exclusions) ≤ any order.
            assert!(strict[j] <= no_excl[j] && no_excl[j] <= any[j], "case {case}: {strict:?} {no_excl:?} {any:?}");
        }
        // Required steps never increase along the funnel.
        let req: Vec<u64> = (0..len).filter(|j| !optional.contains(j)).map(|j| ordered[j]).collect();
        assert!(req.windows(2).all(|w| w[0] >= w[1]), "case {case}: {ordered:?}");
        if !optional.is_empty() && ordered[len - 1] > 0 && plain_counts[len - 1] < no_excl[len - 1] {
            hit_optional += 1;
        }
    }
    assert!(hit_optional > 20, "optional steps made a difference in only {hit_optional} cases");
}

#[test]
fn open_funnel_hand_worked() {
    // Steps view → cart → buy, open (customers may enter at any step).
    // a: view cart buy   b: cart buy   c: buy   d: cart   e: view buy
    // view: a e = 2 (both enter here); cart: a b d = 3 (a arrived from view; b, d enter here);
    // buy: a b c e = 4 (a, b arrived from cart; c and e — no cart before — enter here).
    // Drop-off = customers at the previous step who did not arrive here: cart: e → 1; buy: d → 1.
    // % of first: 150% and 200%; % of previous: 3/2 = 150%, 4/3 = 133.3%.
    let t = events(&[
        ("a", 1, "view"),
        ("a", 2, "cart"),
        ("a", 3, "buy"),
        ("b", 1, "cart"),
        ("b", 2, "buy"),
        ("c", 1, "buy"),
        ("d", 1, "cart"),
        ("e", 1, "view"),
        ("e", 2, "buy"),
    ]);
    let steps = strings(&["view", "cart", "buy"]);
    let q = FunnelQuery { steps: steps.clone(), open: true, ..Default::default() };
    let r = compute(&t, &q).unwrap();
    assert!(r.open);
    assert_eq!(counts(&r), [2, 3, 4]);
    assert_eq!(r.steps.iter().map(|s| s.entries).collect::<Vec<_>>(), [Some(2), Some(2), Some(2)]);
    assert_eq!(r.steps.iter().map(|s| s.dropoff).collect::<Vec<_>>(), [0, 1, 1]);
    assert_eq!((r.steps[1].pct_of_first, r.steps[2].pct_of_first), (150.0, 200.0));
    assert_eq!((r.steps[1].pct_of_previous, r.steps[2].pct_of_previous), (150.0, 400.0 / 3.0));
    // Closed: 2, 1 (a), 1 (a); no entries column.
    let closed = compute(&t, &FunnelQuery { open: false, ..q.clone() }).unwrap();
    assert_eq!(counts(&closed), [2, 1, 1]);
    assert_eq!(closed.steps[1].entries, None);
    // The JSON says so.
    let json = serde_json::to_value(touchpath::core::funnel::FunnelExport::new("t.csv", 9, &r)).unwrap();
    assert_eq!(
        (json["open"].clone(), json["steps"][2]["entries"].clone()),
        (serde_json::json!(true), serde_json::json!(2))
    );
    assert_eq!(brute_open(&t, &steps, &[], &[], None, false), (vec![2, 3, 4], vec![2, 2, 2], vec![0, 1, 1]));
}

#[test]
fn open_funnels_match_the_brute_force_and_are_at_least_the_closed_ones() {
    let mut rng = Rng::new(0x09E4_F001);
    let mut more = 0;
    for case in 0..400 {
        let names = &NAMES[..3 + rng.below(2)];
        let table = build(&random_rows(&mut rng, names));
        let len = 1 + rng.below(4);
        let steps: Vec<String> = (0..len).map(|_| rng.pick(names).to_string()).collect();
        let optional: Vec<usize> = (1..len).filter(|_| rng.below(4) == 0).collect();
        let mut exclusions = Vec::new();
        if len > 1 && rng.below(2) == 0 {
            let from = rng.below(len - 1);
            let to = from + 1 + rng.below(len - 1 - from);
            if !optional.contains(&from) {
                exclusions.push((rng.pick(names).to_string(), from, to));
            }
        }
        let window = [None, Some(secs(1)), Some(secs(3))][rng.below(3)];
        let strict = rng.below(3) == 0;
        let q = FunnelQuery {
            steps: steps.clone(),
            window,
            order: if strict { Order::Strict } else { Order::Ordered },
            optional: optional.clone(),
            exclusions: exclusions.iter().map(|(v, f, t)| excl(v, *f, *t)).collect(),
            open: true,
            ..Default::default()
        };
        let r = compute(&table, &q).unwrap();
        // Strict order ignores exclusions (nothing comes between consecutive steps).
        let ex = if strict { Vec::new() } else { exclusions.clone() };
        let (reached, entries, dropoff) =
            brute_open(&table, &steps, &optional, &ex, window.map(|w| w.micros()), strict);
        assert_eq!(counts(&r), reached, "case {case}: {q:?}");
        assert_eq!(r.steps.iter().map(|s| s.entries.unwrap()).collect::<Vec<_>>(), entries, "case {case}: {q:?}");
        assert_eq!(r.steps.iter().map(|s| s.dropoff).collect::<Vec<_>>(), dropoff, "case {case}: {q:?}");
        // Open ≥ closed at every step; entries at step 1 are everyone there.
        let closed = counts(&compute(&table, &FunnelQuery { open: false, ..q.clone() }).unwrap());
        assert!(reached.iter().zip(&closed).all(|(o, c)| o >= c), "case {case}: {reached:?} {closed:?}");
        assert_eq!(entries[0], reached[0]);
        if reached != closed {
            more += 1;
        }
    }
    assert!(more > 50, "open differed from closed in only {more} cases");
}

#[test]
fn step_alternatives_and_contains_hand_worked() {
    use touchpath::core::funnel::{escape_value, StepMatch};
    // Parsing: `|` separates alternatives, `contains:` matches substrings, `\` escapes.
    let m = |v: &[&str], contains| StepMatch { values: strings(v), contains, regex: false };
    assert_eq!(StepMatch::parse("email_click|sms_click"), m(&["email_click", "sms_click"], false));
    assert_eq!(StepMatch::parse("contains:Click"), m(&["Click"], true));
    assert_eq!(StepMatch::parse(r"a\|b|c\\"), m(&["a|b", r"c\"], false));
    assert_eq!(StepMatch::parse(r"\contains:x"), m(&["contains:x"], false));
    assert_eq!(StepMatch::parse("a||"), m(&["a"], false));
    for v in ["plain", "a|b", r"back\slash", "contains:x", "|"] {
        assert_eq!(StepMatch::parse(&escape_value(v)), m(&[v], false), "{v}");
    }
    assert_eq!(StepMatch::parse("email_click|sms_click").describe(), "email_click or sms_click");

    // Steps visit → email_click or sms_click → buy.
    // a: visit email_click buy   b: visit sms_click buy   c: visit push_click buy   d: sms_click visit
    // Ordered: visit a b c d = 4; a click after visit: a b = 2; buy after: a b = 2.
    // contains:click also takes c's push_click (and would take "Click" in any case) → 4, 3, 3.
    let t = events(&[
        ("a", 1, "visit"),
        ("a", 2, "email_click"),
        ("a", 3, "buy"),
        ("b", 1, "visit"),
        ("b", 2, "sms_click"),
        ("b", 3, "buy"),
        ("c", 1, "visit"),
        ("c", 2, "PUSH_CLICK"),
        ("c", 3, "buy"),
        ("d", 1, "sms_click"),
        ("d", 2, "visit"),
    ]);
    let run = |steps: &[&str], order| {
        counts(&compute(&t, &FunnelQuery { steps: strings(steps), order, ..Default::default() }).unwrap())
    };
    assert_eq!(run(&["visit", "email_click|sms_click", "buy"], Order::Ordered), [4, 2, 2]);
    assert_eq!(run(&["visit", "contains:click", "buy"], Order::Ordered), [4, 3, 3]);
    assert_eq!(run(&["visit", "contains:click", "buy"], Order::Strict), [4, 3, 3]);
    // Any order: d's sms_click before its visit counts too → clicks a b d = 3 (c's is not listed).
    assert_eq!(run(&["visit", "email_click|sms_click", "buy"], Order::Any), [4, 3, 2]);
    // Alternatives sharing a value need distinct events in any order: "visit|buy" twice.
    // a, b, c have visit and buy → 2 each; d has one visit → 1.
    assert_eq!(run(&["visit|buy", "buy|visit"], Order::Any), [4, 3]);
    // A step whose alternatives are all missing is "not in data"; one present is enough.
    let r = compute(&t, &FunnelQuery { steps: strings(&["visit", "nope|sms_click", "nope"]), ..Default::default() })
        .unwrap();
    assert_eq!(r.steps.iter().map(|s| s.present).collect::<Vec<_>>(), [true, true, false]);
    // Exclusions take the same syntax: drop chains with any click between visit and buy.
    let q = FunnelQuery {
        steps: strings(&["visit", "buy"]),
        exclusions: vec![excl("contains:click", 0, 1)],
        ..Default::default()
    };
    assert_eq!(counts(&compute(&t, &q).unwrap()), [4, 0]);
}

#[test]
fn step_alternatives_match_the_brute_force_in_every_order() {
    let mut rng = Rng::new(0xA17E_2007);
    let specs = ["a", "b", "c", "d", "a|b", "b|c", "c|d|a", "contains:A", "contains:b|c", "a|zz"];
    let mut deep = 0;
    for case in 0..500 {
        let names = &NAMES[..3 + rng.below(2)];
        let table = build(&random_rows(&mut rng, names));
        let len = 1 + rng.below(4);
        let steps: Vec<String> = (0..len).map(|_| rng.pick(&specs).to_string()).collect();
        let window = [None, Some(secs(1)), Some(secs(3))][rng.below(3)];
        let w = window.map(|w| w.micros());
        let optional: Vec<usize> = (1..len).filter(|_| rng.below(4) == 0).collect();
        let mut exclusions = Vec::new();
        if len > 1 && rng.below(2) == 0 {
            let from = rng.below(len - 1);
            if !optional.contains(&from) {
                exclusions.push((rng.pick(&specs).to_string(), from, len - 1));
            }
        }
        let q = FunnelQuery {
            steps: steps.clone(),
            window,
            optional: optional.clone(),
            exclusions: exclusions.iter().map(|(v, f, t)| excl(v, *f, *t)).collect(),
            ..Default::default()
        };
        let ordered = counts(&compute(&table, &q).unwrap());
        assert_eq!(ordered, brute_general(&table, &steps, &optional, &exclusions, w, false), "case {case}: {q:?}");
        let strict = counts(&compute(&table, &FunnelQuery { order: Order::Strict, ..q.clone() }).unwrap());
        assert_eq!(strict, brute_general(&table, &steps, &optional, &[], w, true), "case {case}: {q:?}");
        let plain = FunnelQuery { optional: vec![], exclusions: vec![], ..q.clone() };
        let any = counts(&compute(&table, &FunnelQuery { order: Order::Any, ..plain.clone() }).unwrap());
        assert_eq!(any, brute_any(&table, &steps, w), "case {case} any: {steps:?} {window:?}");
        let ordered_plain = counts(&compute(&table, &plain).unwrap());
        assert!(ordered_plain.iter().zip(&any).all(|(o, a)| o <= a), "case {case}: {ordered_plain:?} {any:?}");
        if any[len - 1] > 0 && len > 2 {
            deep += 1;
        }
    }
    assert!(deep > 50, "deep any-order funnels in only {deep} cases");
}

#[test]
fn counting_sessions_hand_worked() {
    use touchpath::core::funnel::Count;
    // Steps view → cart → buy, sessions end after 30 min without events (the default gap).
    // a: view 0:00, cart 0:10, buy 0:50 (40 min gap: the buy is a new session)
    //    → session 1 reaches cart; session 2 (buy alone) reaches nothing.
    // b: view 0:00, cart 0:20, buy 0:45 (gaps 20, 25 min: one session) → 3 steps;
    //    view 5:00 (new session) → 1 step.
    // c: cart 0:00 → a session without view → nothing.
    // Sessions: a 2, b 2, c 1 = 5. view: a1 b1 b2 = 3; cart: a1 b1 = 2; buy: b1 = 1.
    let m = 60;
    let t = events(&[
        ("a", 0, "view"),
        ("a", 10 * m, "cart"),
        ("a", 50 * m, "buy"),
        ("b", 0, "view"),
        ("b", 20 * m, "cart"),
        ("b", 45 * m, "buy"),
        ("b", 300 * m, "view"),
        ("c", 0, "cart"),
    ]);
    let q = FunnelQuery { steps: strings(&["view", "cart", "buy"]), count: Count::Sessions, ..Default::default() };
    let r = compute(&t, &q).unwrap();
    assert_eq!(counts(&r), [3, 2, 1]);
    assert_eq!((r.sessions, r.total_customers, r.session_gap.as_deref()), (Some(5), 3, Some("30m")));
    // By customer: a reaches buy (no window) → 2, 2, 2.
    assert_eq!(counts(&compute(&t, &FunnelQuery { count: Count::Customers, ..q.clone() }).unwrap()), [2, 2, 2]);
    // A 45-minute gap joins a's buy: a 1 session, b 2, c 1; view 3, cart 2, buy 2.
    let longer = FunnelQuery { session_gap: Some(Duration { amount: 45, unit: TimeUnit::Minute }), ..q.clone() };
    let r = compute(&t, &longer).unwrap();
    assert_eq!((counts(&r), r.sessions), (vec![3, 2, 2], Some(4)));
    // Exactly the gap is still the same session: with a 40-minute gap a's buy (40 min) joins.
    let exact = FunnelQuery { session_gap: Some(Duration { amount: 40, unit: TimeUnit::Minute }), ..q.clone() };
    assert_eq!(counts(&compute(&t, &exact).unwrap()), [3, 2, 2]);
    let json = serde_json::to_value(touchpath::core::funnel::FunnelExport::new("t.csv", 8, &r)).unwrap();
    assert_eq!(
        (json["count"].clone(), json["sessions"].clone()),
        (serde_json::json!("sessions"), serde_json::json!(4))
    );
}

#[test]
fn counting_sessions_matches_the_brute_force_on_split_customers() {
    use touchpath::core::funnel::Count;
    let mut rng = Rng::new(0x5E55_1017);
    for case in 0..300 {
        let names = &NAMES[..3 + rng.below(2)];
        let rows = random_rows(&mut rng, names);
        let gap = 1 + rng.below(3) as u32;
        let table = build(&rows);
        // The brute force: rename each customer's rows by session (a gap > `gap` seconds starts
        // a new one), then count customers of that table.
        let mut split = Vec::new();
        for c in 0..table.customer_count() {
            let mut session = 0;
            let rows: Vec<usize> = table.rows_of(c).collect();
            for (i, &r) in rows.iter().enumerate() {
                if i > 0 && table.ts.at(r) - table.ts.at(rows[i - 1]) > gap as i64 * 1_000_000 {
                    session += 1;
                }
                let e = table.event.value(r).to_string();
                split.push((format!("{}#{session}", table.customers.id(c)), table.ts.at(r), e, String::new()));
            }
        }
        let sessions = build(&split);
        let len = 1 + rng.below(4);
        let steps: Vec<String> = (0..len).map(|_| rng.pick(names).to_string()).collect();
        let optional: Vec<usize> = (1..len).filter(|_| rng.below(4) == 0).collect();
        for order in [Order::Ordered, Order::Strict, Order::Any] {
            for open in [false, true] {
                let q = FunnelQuery {
                    steps: steps.clone(),
                    order,
                    open,
                    optional: optional.clone(),
                    count: Count::Sessions,
                    session_gap: Some(secs(gap)),
                    ..Default::default()
                };
                let got = compute(&table, &q).unwrap();
                let want = compute(&sessions, &FunnelQuery { count: Count::Customers, session_gap: None, ..q.clone() })
                    .unwrap();
                assert_eq!(got.steps, want.steps, "case {case}: {q:?}");
                assert_eq!(got.sessions, Some(sessions.customer_count() as u64));
            }
        }
        let plain = FunnelQuery { steps: steps.clone(), ..Default::default() };
        let by_session = FunnelQuery { count: Count::Sessions, session_gap: Some(secs(gap)), ..plain.clone() };
        assert_eq!(
            counts(&compute(&table, &by_session).unwrap()),
            brute(&sessions, &Dimension::Event, &steps, None),
            "case {case}"
        );
    }
}

#[test]
fn time_to_convert_histogram_hand_worked() {
    // view → buy; times from view to buy: a 30 s, b 60 s (exactly 1 min: the 1–5 min bin),
    // c 10 min, d 2 days, e 40 days; f never buys. Bins (from ≤ t < to):
    // < 1 min: a; 1–5 min: b; 5–15 min: c; 1–3 d: d; ≥ 30 d: e. Sum 5 = customers at buy.
    let (m, d) = (60, 86_400);
    let t = events(&[
        ("a", 0, "view"),
        ("a", 30, "buy"),
        ("b", 0, "view"),
        ("b", m, "buy"),
        ("c", 0, "view"),
        ("c", 10 * m, "buy"),
        ("d", 0, "view"),
        ("d", 2 * d, "buy"),
        ("e", 0, "view"),
        ("e", 40 * d, "buy"),
        ("f", 0, "view"),
    ]);
    let q = FunnelQuery { steps: strings(&["view", "buy"]), ..Default::default() };
    let r = compute(&t, &q).unwrap();
    let bins: Vec<(&str, u64)> = r.time_to_convert.iter().map(|b| (b.label.as_str(), b.customers)).collect();
    assert_eq!(
        bins,
        [
            ("< 1 min", 1),
            ("1–5 min", 1),
            ("5–15 min", 1),
            ("15–60 min", 0),
            ("1–6 h", 0),
            ("6–24 h", 0),
            ("1–3 d", 1),
            ("3–7 d", 0),
            ("7–30 d", 0),
            ("≥ 30 d", 1)
        ]
    );
    assert_eq!(
        (r.time_to_convert[1].from_s, r.time_to_convert[1].to_s, r.time_to_convert[9].to_s),
        (60.0, Some(300.0), None)
    );
    // Other orders, open funnels and one-step funnels have no histogram.
    assert!(compute(&t, &FunnelQuery { order: Order::Any, ..q.clone() }).unwrap().time_to_convert.is_empty());
    assert!(compute(&t, &FunnelQuery { open: true, ..q.clone() }).unwrap().time_to_convert.is_empty());
    assert!(compute(&t, &FunnelQuery { steps: strings(&["view"]), ..q.clone() }).unwrap().time_to_convert.is_empty());
}

#[test]
fn the_histogram_counts_everyone_at_the_last_step() {
    let mut rng = Rng::new(0x7157_0C0A);
    for case in 0..300 {
        let names = &NAMES[..3 + rng.below(2)];
        let table = build(&random_rows(&mut rng, names));
        let len = 2 + rng.below(3);
        let steps: Vec<String> = (0..len).map(|_| rng.pick(names).to_string()).collect();
        let optional: Vec<usize> = (1..len).filter(|_| rng.below(4) == 0).collect();
        let window = [None, Some(secs(1)), Some(secs(3))][rng.below(3)];
        let q = FunnelQuery { steps, window, optional, ..Default::default() };
        let r = compute(&table, &q).unwrap();
        let total: u64 = r.time_to_convert.iter().map(|b| b.customers).sum();
        assert_eq!(total, r.steps[len - 1].customers, "case {case}: {q:?}");
        // Times span at most 8 s here: everything is under a minute.
        assert_eq!(r.time_to_convert[0].customers, total, "case {case}");
    }
}

#[test]
fn conversion_over_time_hand_worked() {
    use touchpath::core::funnel::Trend;
    // tests/fixtures/e2e/funnel-trend.csv, steps visit → buy. Entry = the first visit (UTC):
    // t1 Mon 04-29 (buys), t2 04-30 (no), t3 05-02 (buys 05-05), t4 05-06 (its buy on 05-03 is
    // before any visit; buys 05-07), t5 05-06 (no), t6 05-06 23:59:59 (buys 05-20 after a second
    // visit: converted, entered on 05-06), t7 05-08 (no).
    // Weeks (Mondays): 04-29: t1 t2 t3 → 3 entered, 2 converted (66.7%); 05-06: t4 t5 t6 t7 → 4, 2 (50%).
    // Months: 2024-04: t1 t2 → 2, 1 (50%); 2024-05: t3 t4 t5 t6 t7 → 5, 3 (60%).
    // Days 04-29 … 05-08, 10 rows: 04-29 1/1, 04-30 1/0, 05-01 0/0 (no rate), 05-02 1/1,
    // 05-03..05-05 0/0, 05-06 3/2, 05-07 0/0, 05-08 1/0.
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/e2e/funnel-trend.csv")).unwrap();
    let (t, _) = load_bytes("funnel-trend.csv", &bytes, &ColumnOverrides::default()).unwrap();
    let run = |trend| {
        let q = FunnelQuery { steps: strings(&["visit", "buy"]), trend: Some(trend), ..Default::default() };
        let r = compute(&t, &q).unwrap();
        assert_eq!(r.trend, Some(trend));
        r.over_time.iter().map(|p| (p.period.clone(), p.entered, p.converted, p.rate_pct)).collect::<Vec<_>>()
    };
    let row = |p: &str, e, c, r: Option<f64>| (p.to_string(), e, c, r);
    assert_eq!(run(Trend::Week), [row("2024-04-29", 3, 2, Some(200.0 / 3.0)), row("2024-05-06", 4, 2, Some(50.0))]);
    assert_eq!(run(Trend::Month), [row("2024-04", 2, 1, Some(50.0)), row("2024-05", 5, 3, Some(60.0))]);
    let days = run(Trend::Day);
    assert_eq!(days.len(), 10);
    assert_eq!(days[0], row("2024-04-29", 1, 1, Some(100.0)));
    assert_eq!(days[2], row("2024-05-01", 0, 0, None));
    assert_eq!(days[7], row("2024-05-06", 3, 2, Some(200.0 / 3.0)));
    assert_eq!(days[9], row("2024-05-08", 1, 0, Some(0.0)));
    // Every period's entries add up to step 1, conversions to the last step.
    let r =
        compute(&t, &FunnelQuery { steps: strings(&["visit", "buy"]), trend: Some(Trend::Day), ..Default::default() })
            .unwrap();
    assert_eq!(r.over_time.iter().map(|p| p.entered).sum::<u64>(), r.steps[0].customers);
    assert_eq!(r.over_time.iter().map(|p| p.converted).sum::<u64>(), r.steps[1].customers);
    // No trend asked, none computed; open funnels have none.
    assert!(compute(&t, &FunnelQuery { steps: strings(&["visit", "buy"]), ..Default::default() })
        .unwrap()
        .over_time
        .is_empty());
    let open =
        FunnelQuery { steps: strings(&["visit", "buy"]), trend: Some(Trend::Day), open: true, ..Default::default() };
    assert!(compute(&t, &open).unwrap().over_time.is_empty());
}

#[test]
fn breakdown_by_first_and_last_channel_hand_worked() {
    use touchpath::core::funnel::{Breakdown, SegmentRow};
    // tests/fixtures/e2e/journeys.csv (see tests/e2e/app.test.mjs), steps site_visit →
    // product_view → add_to_cart → purchase: depths c1 4, c2 4, c3 2, c4 1, c5 4, c6 1, c7 0, c8 1.
    // Channels in time order: c1 ads…email, c2 ads…direct, c3 email, c4 ads…email,
    // c5 ads…direct, c6 direct, c7 email, c8 ads.
    // First channel: ads c1 c2 c4 c5 c8 → 5, 3, 3, 3 (60%); direct c6 → 1, 0, 0, 0 (0%);
    //   email c3 c7 → 1 (c7 never visits), 1, 0, 0 (0%). Ordered by step 1, then name.
    // Last channel: direct c2 c5 c6 → 3, 2, 2, 2 (66.7%); email c1 c3 c4 c7 → 3, 2, 1, 1 (33.3%);
    //   ads c8 → 1, 0, 0, 0.
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/e2e/journeys.csv")).unwrap();
    let (t, _) = load_bytes("journeys.csv", &bytes, &ColumnOverrides::default()).unwrap();
    let run = |by| {
        let q = FunnelQuery {
            steps: strings(&["site_visit", "product_view", "add_to_cart", "purchase"]),
            breakdown: Some(by),
            ..Default::default()
        };
        let r = compute(&t, &q).unwrap();
        assert_eq!(counts(&r), [7, 4, 3, 3]);
        r.segments
    };
    let seg = |s: &str, steps: [u64; 4], pct: Option<f64>| SegmentRow {
        segment: s.into(),
        steps: steps.to_vec(),
        conversion_pct: pct,
    };
    assert_eq!(
        run(Breakdown::FIRST_CHANNEL),
        [
            seg("ads", [5, 3, 3, 3], Some(60.0)),
            seg("direct", [1, 0, 0, 0], Some(0.0)),
            seg("email", [1, 1, 0, 0], Some(0.0))
        ]
    );
    assert_eq!(
        run(Breakdown::LAST_CHANNEL),
        [
            seg("direct", [3, 2, 2, 2], Some(200.0 / 3.0)),
            seg("email", [3, 2, 1, 1], Some(100.0 / 3.0)),
            seg("ads", [1, 0, 0, 0], Some(0.0))
        ]
    );
}

#[test]
fn breakdown_segments_add_up_and_fold_into_other() {
    use touchpath::core::funnel::{Breakdown, SegmentAt, TOP_SEGMENTS};
    let mut rng = Rng::new(0xB4EA_C0DE);
    let channels = ["a", "b", "c", "d", "e", "f", "g", ""];
    for case in 0..200 {
        let mut rows = random_rows(&mut rng, &NAMES);
        for r in rows.iter_mut() {
            r.3 = rng.pick(&channels).to_string();
        }
        let table = build(&rows);
        let len = 1 + rng.below(4);
        let steps: Vec<String> = (0..len).map(|_| rng.pick(&NAMES).to_string()).collect();
        let at_steps = (0..len).map(|j| Breakdown { at: SegmentAt::Step(j), by: Dimension::Channel });
        for by in [Breakdown::FIRST_CHANNEL, Breakdown::LAST_CHANNEL].into_iter().chain(at_steps) {
            for open in [false, true] {
                let q = FunnelQuery { steps: steps.clone(), breakdown: Some(by.clone()), open, ..Default::default() };
                let r = compute(&table, &q).unwrap();
                assert!(r.segments.len() <= TOP_SEGMENTS + 1, "case {case}");
                for j in 0..len {
                    let sum: u64 = r.segments.iter().map(|s| s.steps[j]).sum();
                    assert_eq!(sum, r.steps[j].customers, "case {case} step {j}: {:?}", r.segments);
                }
                // Named segments first, by step-1 count; "(other)" and "(did not reach …)" last.
                let named: Vec<u64> =
                    r.segments.iter().filter(|s| !s.segment.starts_with('(')).map(|s| s.steps[0]).collect();
                assert!(named.windows(2).all(|w| w[0] >= w[1]), "case {case}");
            }
        }
    }
}

#[test]
fn customers_csv_lists_each_entrant_with_the_furthest_step() {
    use touchpath::core::funnel::customers_csv;
    let csv = "customer_id,timestamp,event,channel\n\
               a,2025-01-01T00:00:00Z,visit,email\n\
               a,2025-01-01T01:00:00Z,cart,email\n\
               a,2025-01-01T02:00:00Z,buy,direct\n\
               b,2025-01-01T00:00:00Z,visit,social\n\
               b,2025-01-02T00:00:00Z,cart,social\n\
               c,2025-01-01T00:00:00Z,cart,search\n\
               c,2025-01-01T05:00:00Z,visit,search\n\
               d,2025-01-01T00:00:00Z,visit,email\n\
               e,2025-01-01T00:00:00Z,cart,email\n";
    let (t, _) = load_bytes("c.csv", csv.as_bytes(), &ColumnOverrides::default()).unwrap();
    let steps: Vec<String> = ["visit", "cart", "buy"].map(String::from).to_vec();
    // a: visit → cart → buy (converted); b: visit → cart; c: its cart comes before its visit, so
    // only step 1; d: step 1; e never visits: not in the list. Ordered by furthest step, then by
    // customer (order of first appearance: c before d).
    let got = customers_csv(&t, &query(Dimension::Event, &steps, None)).unwrap();
    assert_eq!(
        got,
        "customer_id,unit_start,furthest_step,furthest_step_label,next_step,converted,last_channel,last_event,last_seen\n\
         c,2025-01-01T00:00:00Z,1,visit,cart,0,search,visit,2025-01-01T05:00:00Z\n\
         d,2025-01-01T00:00:00Z,1,visit,cart,0,email,visit,2025-01-01T00:00:00Z\n\
         b,2025-01-01T00:00:00Z,2,cart,buy,0,social,cart,2025-01-02T00:00:00Z\n\
         a,2025-01-01T00:00:00Z,3,buy,,1,direct,buy,2025-01-01T02:00:00Z\n"
    );
    // With a 12-hour window, b's cart (a day later) no longer counts: b stops at step 1.
    let q = query(Dimension::Event, &steps, Some(Duration { amount: 12, unit: TimeUnit::Hour }));
    let got = customers_csv(&t, &q).unwrap();
    assert!(got.contains("\nb,2025-01-01T00:00:00Z,1,visit,cart,0,social,cart,2025-01-02T00:00:00Z\n"), "{got}");
}

#[test]
fn time_to_convert_can_end_at_any_step() {
    let csv = "customer_id,timestamp,event\n\
               a,2025-01-01T00:00:00Z,visit\na,2025-01-01T01:00:00Z,cart\na,2025-01-01T02:00:00Z,buy\n\
               b,2025-01-01T00:00:00Z,visit\nb,2025-01-02T00:00:00Z,cart\n";
    let (t, _) = load_bytes("t.csv", csv.as_bytes(), &ColumnOverrides::default()).unwrap();
    let steps: Vec<String> = ["visit", "cart", "buy"].map(String::from).to_vec();
    let filled = |r: &FunnelResult| -> Vec<(String, u64)> {
        r.time_to_convert.iter().filter(|b| b.customers > 0).map(|b| (b.label.clone(), b.customers)).collect()
    };
    // To the last step (buy): only a, 2 h after its visit (bin 1–6 h).
    let r = compute(&t, &query(Dimension::Event, &steps, None)).unwrap();
    assert_eq!((filled(&r), r.time_to_convert_step), (vec![("1–6 h".to_string(), 1)], Some(2)));
    // To step 2 (cart): a after 1 h (1–6 h), b after 24 h = 86,400 s (1–3 d starts at 86,400 s).
    let q = FunnelQuery { ttc_to: Some(1), ..query(Dimension::Event, &steps, None) };
    let r = compute(&t, &q).unwrap();
    assert_eq!((filled(&r), r.time_to_convert_step), (vec![("1–6 h".into(), 1), ("1–3 d".into(), 1)], Some(1)));
    // A step out of range means the last step.
    let q = FunnelQuery { ttc_to: Some(7), ..query(Dimension::Event, &steps, None) };
    assert_eq!(compute(&t, &q).unwrap().time_to_convert_step, Some(2));
}

/// Counting every conversion, by brute force: a customer's attempts are found one by one — the
/// shortest run of events from the attempt's start that completes the funnel (by [`brute`]'s
/// rules on that run alone), then the next attempt starts after it; the last attempt (which
/// does not convert) counts its depth.
fn brute_totals(table: &EventTable, steps: &[String], window: Option<i64>) -> Vec<u64> {
    let k = steps.len();
    let depth = |seq: &[(i64, &str)]| -> usize {
        let mut best = 0;
        for p0 in (0..seq.len()).filter(|&p| seq[p].1 == steps[0]) {
            let (mut d, mut pos) = (1, p0);
            for step in &steps[1..] {
                match (pos + 1..seq.len())
                    .find(|&q| seq[q].1 == step.as_str() && window.is_none_or(|w| seq[q].0 - seq[p0].0 <= w))
                {
                    Some(q) => (d, pos) = (d + 1, q),
                    None => break,
                }
            }
            best = best.max(d);
        }
        best
    };
    let mut reached = vec![0u64; k];
    for c in 0..table.customer_count() {
        let seq: Vec<(i64, &str)> = table.rows_of(c).map(|r| (table.ts.at(r), table.event.value(r))).collect();
        let mut from = 0;
        loop {
            match (from..seq.len()).find(|&r| depth(&seq[from..=r]) == k) {
                Some(r) => {
                    reached.iter_mut().for_each(|n| *n += 1);
                    from = r + 1;
                }
                None => {
                    reached.iter_mut().take(depth(&seq[from..])).for_each(|n| *n += 1);
                    break;
                }
            }
        }
    }
    reached
}

#[test]
fn counting_totals_matches_the_brute_force_and_is_at_least_customers() {
    use touchpath::core::funnel::Count;
    let mut rng = Rng::new(0x70_7A15);
    for case in 0..300 {
        let table = build(&random_rows(&mut rng, &NAMES));
        let len = 1 + rng.below(4);
        let steps: Vec<String> = (0..len).map(|_| rng.pick(&NAMES).to_string()).collect();
        let window = (rng.below(3) == 0).then(|| secs(1 + rng.below(4) as u32));
        let q = FunnelQuery { steps: steps.clone(), window, count: Count::Totals, ..Default::default() };
        let totals = counts(&compute(&table, &q).unwrap());
        assert_eq!(totals, brute_totals(&table, &steps, window.map(|w| w.micros())), "case {case}: {q:?}");
        let customers = counts(&compute(&table, &FunnelQuery { count: Count::Customers, ..q.clone() }).unwrap());
        assert!(totals.iter().zip(&customers).all(|(t, c)| t >= c), "case {case}: {totals:?} < {customers:?}");
        assert!(totals.windows(2).all(|w| w[0] >= w[1]), "case {case}: {totals:?}");
    }
}

/// tests/fixtures/e2e/session_column.csv (also opened by the e2e test), steps view → cart → buy.
/// Times are minutes after 10:00; `·` is an empty session id.
///
/// | customer | events (minute, session id, event)                        |
/// |----------|-----------------------------------------------------------|
/// | a        | 0 s1 view, 10 s1 cart, 50 s1 buy                          |
/// | b        | 0 s1 view, 5 s2 cart, 10 s2 buy, 120 s2 view              |
/// | c        | 0 · view, 20 · cart, 60 · buy                             |
/// | d        | 0 x view, 1 y cart, 2 x buy                               |
/// | e        | 0 -1 view, 45 -1 cart (Amplitude's -1: no session id)     |
///
/// From the column (events without an id split by the 30-minute gap):
/// a {view cart buy} → 3 steps; b s1 {view} → 1, s2 {cart buy view} → 1 (its view comes last;
/// a's s1 is another session: the pair is customer and id); c {view cart} → 2, {buy} → 0; d: x runs from 0 to 2 and
/// takes in y → one session {view cart buy} → 3; e {view} → 1, {cart} → 0.
/// 8 sessions; view a b1 b2 c1 d e1 = 6, cart a c1 d = 3, buy a d = 2.
///
/// By the 30-minute gap: a {view cart} → 2, {buy} → 0 (40 min); b {view cart buy} → 3,
/// {view} → 1; c as above; d {view cart buy} → 3; e as above.
/// 9 sessions; view a1 b1 b2 c1 d e1 = 6, cart a1 b1 c1 d = 4, buy b1 d = 2.
#[test]
fn counting_sessions_from_the_session_column_hand_worked() {
    use touchpath::core::funnel::{Count, FunnelExport};
    use touchpath::core::session::SessionSource;
    let text = include_str!("fixtures/e2e/session_column.csv");
    let (t, report) = load_bytes("s.csv", text.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert_eq!(report.mapping.session, Some(2), "session_id is recognised");
    let q = FunnelQuery { steps: strings(&["view", "cart", "buy"]), count: Count::Sessions, ..Default::default() };
    let r = compute(&t, &q).unwrap();
    assert_eq!((counts(&r), r.sessions), (vec![6, 3, 2], Some(8)));
    // The gap still splits the events without an id.
    assert_eq!((r.session_source, r.session_gap.as_deref()), (Some(SessionSource::Column), Some("30m")));
    let json = serde_json::to_value(FunnelExport::new("s.csv", 15, &r)).unwrap();
    assert_eq!(json["session_source"], serde_json::json!("column"));
    let gap = FunnelQuery { sessions: SessionSource::Gap, ..q.clone() };
    let r = compute(&t, &gap).unwrap();
    assert_eq!((counts(&r), r.sessions), (vec![6, 4, 2], Some(9)));
    assert_eq!((r.session_source, r.session_gap.as_deref()), (Some(SessionSource::Gap), Some("30m")));
    let json = serde_json::to_value(FunnelExport::new("s.csv", 15, &r)).unwrap();
    assert_eq!((json["session_source"].clone(), json["session_gap"].clone()), (serde_json::json!("gap"), "30m".into()));
    // A 1-hour gap joins e's cart (45 min) and c's buy (40 min) to their sessions; the column
    // sessions with ids are not cut by it: a {view cart buy} 3, b1 1, b2 1, c {view cart buy} 3,
    // d 3, e {view cart} 2 → 6 sessions; view 6, cart 4, buy 3.
    let hour = FunnelQuery { session_gap: Some(Duration { amount: 1, unit: TimeUnit::Hour }), ..q.clone() };
    let r = compute(&t, &hour).unwrap();
    assert_eq!((counts(&r), r.sessions), (vec![6, 4, 3], Some(6)));
    // By customer nothing changes: every customer does view, then cart, and all but e buy.
    let r = compute(&t, &FunnelQuery { count: Count::Customers, ..q.clone() }).unwrap();
    assert_eq!((counts(&r), r.sessions, r.session_source), (vec![5, 5, 4], None, None));
    // Without a session column (the role cleared), sessions=column falls back to the gap.
    let mut o = ColumnOverrides::default();
    o.set(touchpath::core::schema::Role::Session, String::new());
    let (plain, _) = load_bytes("s.csv", text.as_bytes(), &o).unwrap();
    assert!(plain.session.is_none());
    let r = compute(&plain, &q).unwrap();
    assert_eq!((counts(&r), r.sessions, r.session_source), (vec![6, 4, 2], Some(9), Some(SessionSource::Gap)));
}

/// Sessions from the column against a brute force that renames each customer by
/// (customer, session id) — on tables whose ids never interleave, so every pair's events are
/// one stretch — and those with no id by the gap.
#[test]
fn column_sessions_match_the_brute_force() {
    use touchpath::core::funnel::Count;
    let mut rng = Rng::new(0x5E55_2024);
    for _ in 0..200 {
        let names = &NAMES[..3];
        let rows = random_rows(&mut rng, names);
        let gap = 1 + rng.below(3) as i64;
        // Each customer's rows in time order get ids in runs: "" or s0, s1, … (never back).
        let plain = build(&rows);
        let mut b = TableBuilder::new(false, false, false);
        b.has_session = true;
        let mut split = Vec::new();
        for c in 0..plain.customer_count() {
            let (mut id, mut run, mut prev_empty_ts): (String, u32, Option<i64>) = (String::new(), 0, None);
            let mut label = String::new();
            for r in plain.rows_of(c) {
                if rng.below(3) == 0 {
                    let next = if rng.below(3) == 0 { String::new() } else { format!("s{run}") };
                    run += 1;
                    // Two runs without an id in a row are one run.
                    if !(next.is_empty() && id.is_empty()) {
                        (label, prev_empty_ts) = (next.clone(), None);
                    }
                    id = next;
                }
                let e = plain.event.value(r).to_string();
                if id.is_empty() {
                    // Events without an id: a new session after a gap over `gap` seconds.
                    if prev_empty_ts.is_some_and(|p| plain.ts.at(r) - p > gap * 1_000_000) || !label.starts_with('~') {
                        label = format!("~{r}");
                    }
                    prev_empty_ts = Some(plain.ts.at(r));
                }
                let cust = &*plain.customers.id(c);
                b.push_with_session(
                    RowRef { customer: cust, ts: plain.ts.at(r), event: &e, channel: None, stage: None, revenue: None },
                    Some(&id),
                );
                split.push((format!("{cust}#{label}"), plain.ts.at(r), e, String::new()));
            }
        }
        let t = b.finish();
        let want_table = build(&split);
        let steps: Vec<String> = (0..1 + rng.below(3)).map(|_| rng.pick(names).to_string()).collect();
        let q =
            FunnelQuery { steps, count: Count::Sessions, session_gap: Some(secs(gap as u32)), ..Default::default() };
        let got = compute(&t, &q).unwrap();
        let want = compute(&want_table, &FunnelQuery { count: Count::Customers, ..q.clone() }).unwrap();
        assert_eq!(counts(&got), counts(&want));
        assert_eq!(got.sessions, Some(want_table.customer_count() as u64));
    }
}

#[test]
fn an_index_of_the_steps_gives_the_same_funnels_for_every_window_order_and_count() {
    use touchpath::core::funnel::{compute_with, Breakdown, Count, FunnelIndex};
    let mut rng = Rng::new(0x1DE7_F00D);
    for case in 0..300 {
        let names = &NAMES[..3 + rng.below(2)];
        let table = build(&random_rows(&mut rng, names));
        let len = 1 + rng.below(4);
        // Steps on the funnel's column, sometimes on the other one (a made column) or alternatives.
        let step = |rng: &mut Rng| match rng.below(5) {
            0 => format!("channel={}", rng.pick(names)),
            1 => format!("{}|{}", rng.pick(names), rng.pick(names)),
            _ => rng.pick(names).to_string(),
        };
        let steps: Vec<String> = (0..len).map(|_| step(&mut rng)).collect();
        let exclusions = if len > 1 && rng.below(2) == 0 { vec![excl(rng.pick(names), 0, len - 1)] } else { vec![] };
        let base = FunnelQuery { steps, exclusions, ..Default::default() };
        let index = FunnelIndex::new(&table, &base).unwrap();
        // One index serves every query with the same steps and exclusions.
        for _ in 0..8 {
            let q = FunnelQuery {
                window: [None, Some(secs(1)), Some(secs(3))][rng.below(3)],
                order: [Order::Ordered, Order::Strict, Order::Any][rng.below(3)],
                optional: (1..len).filter(|_| rng.below(3) == 0).collect(),
                open: rng.below(4) == 0,
                count: [Count::Customers, Count::Customers, Count::Sessions, Count::Totals][rng.below(4)],
                breakdown: [None, Some(Breakdown::FIRST_CHANNEL), Breakdown::from_key("step1_channel")][rng.below(3)]
                    .clone(),
                ..base.clone()
            };
            assert!(index.fits(&q));
            assert_eq!(compute_with(&table, &q, Some(&index)), compute(&table, &q), "case {case}: {q:?}");
        }
        // An index of other steps is not used.
        let other = FunnelQuery { steps: vec!["zz".into()], ..base.clone() };
        assert!(!index.fits(&other));
        assert_eq!(compute_with(&table, &other, Some(&index)), compute(&table, &other), "case {case}");
    }
}

#[test]
fn an_index_scans_only_its_customers_and_the_others_still_form_their_segments() {
    use touchpath::core::funnel::{compute_with, Breakdown, FunnelIndex};
    let s = 1_000_000;
    let row = |c: &str, t: i64, e: &str, ch: &str| (c.to_string(), t * s, e.to_string(), ch.to_string());
    let table = build(&[
        row("a", 0, "view", "email"),
        row("a", 10, "cart", "email"),
        row("a", 20, "buy", "email"),
        row("b", 0, "view", "ads"),
        row("b", 100, "cart", "ads"),
        row("c", 0, "other", "social"), // no step: not in the index
        row("d", 0, "view", "email"),
        row("e", 0, "other", ""), // no step, no channel: not in the index
    ]);
    let steps: Vec<String> = ["view", "cart", "buy"].map(String::from).to_vec();
    let index = FunnelIndex::new(&table, &FunnelQuery { steps: steps.clone(), ..Default::default() }).unwrap();
    // Within 50 s, b's cart (100 s after its view) is too late: a, b, d at view; a at cart and buy.
    let q =
        FunnelQuery { steps, window: Some(secs(50)), breakdown: Some(Breakdown::FIRST_CHANNEL), ..Default::default() };
    let got = compute_with(&table, &q, Some(&index)).unwrap();
    assert_eq!(got, compute(&table, &q).unwrap());
    assert_eq!(got.steps.iter().map(|s| s.customers).collect::<Vec<_>>(), vec![3, 1, 1]);
    let segments: Vec<(&str, Vec<u64>, Option<f64>)> =
        got.segments.iter().map(|s| (s.segment.as_str(), s.steps.clone(), s.conversion_pct)).collect();
    // c and e reach nothing, but their channels are segments (zero rows, ties by name).
    assert_eq!(
        segments,
        vec![
            ("email", vec![2, 1, 1], Some(50.0)),
            ("ads", vec![1, 0, 0], Some(0.0)),
            ("(none)", vec![0, 0, 0], None),
            ("social", vec![0, 0, 0], None),
        ]
    );
    // By the channel of step 2: only a's cart is within the window; b, d (at view) and c, e
    // (nowhere) did not reach it.
    let q2 = FunnelQuery { breakdown: Breakdown::from_key("step2_channel"), ..q };
    let got = compute_with(&table, &q2, Some(&index)).unwrap();
    assert_eq!(got, compute(&table, &q2).unwrap());
    let segments: Vec<(&str, Vec<u64>)> = got.segments.iter().map(|s| (s.segment.as_str(), s.steps.clone())).collect();
    assert_eq!(segments, vec![("email", vec![1, 1, 1]), ("(did not reach step 2)", vec![2, 0, 0])]);
}
