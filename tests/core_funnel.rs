//! `touchpath::core::funnel::compute` against an independent brute force.

mod common;
use common::Rng;

use std::io::Read;

use touchpath::core::funnel::{compute, Dimension, FunnelQuery, FunnelResult};
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
fn brute(table: &EventTable, by: Dimension, steps: &[String], window: Option<i64>) -> Vec<u64> {
    let col = by.column(table).expect("column present");
    let mut reached = vec![0u64; steps.len()];
    for c in 0..table.customer_count() {
        let seq: Vec<(i64, &str)> =
            table.rows_of(c).map(|r| (table.ts[r], col.values[col.codes[r] as usize].as_str())).collect();
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
        let q = query(by, &steps, window);
        let got = compute(&table, &q).unwrap();
        let want = brute(&table, by, &steps, window.map(|w| w.micros()));
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
            let c = counts(&compute(&table, &query(by, &steps, w)).unwrap());
            assert!(c.iter().zip(&last).all(|(a, b)| a >= b), "case {case}: window {w:?} gave {c:?} after {last:?}");
            assert_eq!(c, brute(&table, by, &steps, w.map(|w| w.micros())), "case {case} window {w:?}");
            last = c;
        }
        // Times span 7 s, so an 8 s window is the same as none.
        assert_eq!(counts(&compute(&table, &query(by, &steps, Some(secs(8)))).unwrap()), last);
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
    assert_eq!(brute(&t, Dimension::Event, &s(&["a", "b", "c"]), None), vec![3, 2, 1]);
    assert_eq!(brute(&t, Dimension::Event, &s(&["a", "b"]), Some(2_000_000)), vec![3, 2]);
    assert_eq!(brute(&t, Dimension::Event, &s(&["a", "b"]), Some(500_000)), vec![3, 0]);
    assert_eq!(brute(&t, Dimension::Event, &s(&["a", "a", "b"]), None), vec![3, 1, 1]);
    for (steps, w) in [(s(&["a", "b", "c"]), None), (s(&["a", "b"]), Some(secs(2))), (s(&["a", "a", "b"]), None)] {
        let q = query(Dimension::Event, &steps, w);
        assert_eq!(counts(&compute(&t, &q).unwrap()), brute(&t, Dimension::Event, &steps, w.map(|w| w.micros())));
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
        let want = brute(&table, Dimension::Event, &steps, window.map(|w| w.micros()));
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
        let name = |r: usize| table.event.values[table.event.codes[r] as usize].as_str();
        let mut best = 0;
        for s in 0..rows.len() {
            let mut d = 0;
            while d < steps.len()
                && s + d < rows.len()
                && name(rows[s + d]) == steps[d]
                && window.is_none_or(|w| table.ts[rows[s + d]] - table.ts[rows[s]] <= w)
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
    use touchpath::core::funnel::Order;
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
    use touchpath::core::funnel::Order;
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
