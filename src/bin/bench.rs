//! `touchpath-bench`: native timings of the engine on generated data.
//!
//! ```text
//! cargo run --profile bench-native --bin touchpath-bench -- --events 1M
//! ```
//! Prints a table and writes `target/bench/native-<N>.json`. The browser-side,
//! side-by-side benchmark against DuckDB-WASM is issue #8's work.

use std::time::Instant;

use touchpath::core::attribution::{self, AttributionQuery, Conversion};
use touchpath::core::funnel::{self, Dimension, FunnelQuery};
use touchpath::core::ingest::load_bytes;
use touchpath::core::paths::{self, PathQuery};
use touchpath::core::sample;
use touchpath::core::stages::{self, StageModel};
use touchpath::core::time::{Duration, TimeUnit};

fn median_ms(mut runs: Vec<f64>) -> (f64, f64, f64) {
    runs.sort_by(f64::total_cmp);
    (runs[runs.len() / 2], runs[0], runs[runs.len() - 1])
}

fn time<T>(repeats: usize, mut f: impl FnMut() -> T) -> ((f64, f64, f64), T) {
    let mut runs = Vec::new();
    let mut last = None;
    for _ in 0..repeats {
        let t = Instant::now();
        last = Some(f());
        runs.push(t.elapsed().as_secs_f64() * 1e3);
    }
    (median_ms(runs), last.expect("at least one run"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `100k`, `1M`, `10M` or a plain number.
    let count = |s: &str| -> Option<usize> {
        let (num, mult) = match s.chars().last()? {
            'k' | 'K' => (&s[..s.len() - 1], 1_000),
            'm' | 'M' => (&s[..s.len() - 1], 1_000_000),
            _ => (s, 1),
        };
        num.parse::<usize>().ok().map(|n| n * mult)
    };
    let events = match args.iter().position(|a| a == "--events").and_then(|i| args.get(i + 1)) {
        Some(n) => count(n).unwrap_or_else(|| {
            eprintln!("--events takes a number such as 100k, 1M or 10M");
            std::process::exit(2)
        }),
        None => 1_000_000,
    };
    let events = if args.iter().any(|a| a == "--tiny") { 100_000 } else { events };
    let repeats = if events > 2_000_000 { 3 } else { 5 };

    let mut csv = Vec::new();
    sample::write_csv(&sample::generate(sample::DEFAULT_SEED, events), &mut csv).expect("in memory");
    let ((parse, pmin, pmax), (table, _)) =
        time(repeats, || load_bytes("events.csv", &csv, &Default::default()).expect("generated data loads"));
    let mut jsonl = Vec::new();
    sample::write_jsonl(&sample::generate(sample::DEFAULT_SEED, events), &mut jsonl).expect("in memory");
    let ((jparse, jmin, jmax), (jtable, _)) =
        time(repeats.min(3), || load_bytes("events.jsonl", &jsonl, &Default::default()).expect("generated data loads"));
    assert_eq!(jtable.len(), table.len(), "JSON lines and CSV give the same events");
    drop((jtable, jsonl));
    let query = FunnelQuery {
        by: Dimension::Event,
        steps: ["product_view", "add_to_cart", "purchase"].map(String::from).to_vec(),
        window: Some(Duration { amount: 7, unit: TimeUnit::Day }),
        ..Default::default()
    };
    let ((fun, fmin, fmax), result) = time(repeats * 4, || funnel::compute(&table, &query).expect("event funnel"));
    let counts: Vec<u64> = result.steps.iter().map(|s| s.customers).collect();
    // As the worker answers a change of window: from the index of the steps it keeps.
    let index = funnel::FunnelIndex::new(&table, &query).expect("event funnel");
    let q3 = FunnelQuery { window: Some(Duration { amount: 3, unit: TimeUnit::Day }), ..query.clone() };
    let ((ifun, ifmin, ifmax), _) =
        time(repeats * 4, || funnel::compute_with(&table, &q3, Some(&index)).expect("event funnel"));
    drop(index);
    // #5's benchmark funnel: 5 steps, 7-day window, broken down by first-touch channel.
    let q5 = FunnelQuery {
        by: Dimension::Event,
        steps: ["site_visit", "product_view", "add_to_cart", "checkout", "purchase"].map(String::from).to_vec(),
        window: Some(Duration { amount: 7, unit: TimeUnit::Day }),
        breakdown: Some(funnel::Breakdown::FIRST_CHANNEL),
        ..Default::default()
    };
    let ((fun5, f5min, f5max), r5) = time(repeats * 4, || funnel::compute(&table, &q5).expect("5-step funnel"));
    let counts5: Vec<u64> = r5.steps.iter().map(|s| s.customers).collect();
    // Lifecycle stages under the default model (the sample's stage column and keyword defaults).
    let model = StageModel::default();
    let ((stage_ms, stmin, stmax), st) = time(repeats, || stages::compute(&table, &model));
    let pq = PathQuery { steps: 8, ..PathQuery::default() };
    let ((sankey, smin, smax), paths) = time(repeats, || paths::compute(&table, &pq).expect("channel paths"));
    // Another number of steps on the same paths, as the worker answers it: from the prepared
    // paths (`paths::Prepared`), only the Sankey built and laid out anew.
    let prepared = paths::Prepared::new(&table, &PathQuery { steps: 6, ..pq.clone() }).expect("channel paths");
    let ((reshape, rmin, rmax), reshaped) =
        time(repeats, || paths::compute_with(&table, &pq, &prepared).expect("channel paths"));
    assert_eq!(reshaped, paths, "the prepared paths give the same answer");
    // Attribution: journeys to `purchase`, then every model (Markov order 1), and Markov alone.
    let aq = AttributionQuery { conversion: Conversion::Event("purchase".into()), ..Default::default() };
    let ((cut, cmin, cmax), journeys) =
        time(repeats, || attribution::journeys(&table, &aq).expect("purchase journeys"));
    let ((models, mmin, mmax), attributed) = time(repeats, || attribution::attribute(&journeys, &aq));
    let ((markov1, kmin, kmax), _) = time(repeats, || attribution::markov(&journeys, 1).expect("order 1"));
    let ((markov3, k3min, k3max), m3) = time(repeats, || attribution::markov(&journeys, 3).expect("order 3"));
    // A 100k-row path table: read, then every model.
    let table_rows = if events >= 1_000_000 { 100_000 } else { 10_000 };
    let pt = sample::path_table_csv(sample::DEFAULT_SEED, table_rows);
    let ((pt_read, prmin, prmax), (_, report)) =
        time(repeats, || load_bytes("paths.csv", pt.as_bytes(), &Default::default()).expect("path table loads"));
    let pj = report.path_table.expect("read as a path table");
    let ((pt_models, pmmin, pmmax), _) = time(repeats, || attribution::attribute(&pj, &aq));
    let mevs = events as f64 / parse / 1e3;
    println!("touchpath native benchmark: {events} events, {} MB CSV", csv.len() / 1_000_000);
    println!("| phase | median ms | min | max |");
    println!("|---|---|---|---|");
    println!("| CSV parse + index ({mevs:.2} M events/s) | {parse:.1} | {pmin:.1} | {pmax:.1} |");
    println!(
        "| JSON lines parse + index ({:.2} M events/s) | {jparse:.1} | {jmin:.1} | {jmax:.1} |",
        events as f64 / jparse / 1e3
    );
    println!("| 3-step 7-day funnel | {fun:.2} | {fmin:.2} | {fmax:.2} |");
    println!("| the same, 3-day window, from the kept index of its steps | {ifun:.2} | {ifmin:.2} | {ifmax:.2} |");
    println!("| 5-step 7-day funnel, broken down by first-touch channel | {fun5:.2} | {f5min:.2} | {f5max:.2} |");
    println!(
        "| 8-step channel Sankey + variants + transitions (layout included) | {sankey:.1} | {smin:.1} | {smax:.1} |"
    );
    println!("| the same after a change of steps (6 → 8, paths kept) | {reshape:.1} | {rmin:.1} | {rmax:.1} |");
    println!(
        "| lifecycle stages, default model ({} stages) | {stage_ms:.1} | {stmin:.1} | {stmax:.1} |",
        st.stages.len()
    );
    println!("| attribution: cut {} journeys | {cut:.1} | {cmin:.1} | {cmax:.1} |", journeys.len());
    println!("| attribution: all models (Markov order 1) | {models:.1} | {mmin:.1} | {mmax:.1} |");
    println!("| attribution: Markov order 1 alone | {markov1:.2} | {kmin:.2} | {kmax:.2} |");
    println!("| attribution: Markov order 3 alone ({} states) | {markov3:.1} | {k3min:.1} | {k3max:.1} |", m3.states);
    println!("| path table ({table_rows} rows): read | {pt_read:.1} | {prmin:.1} | {prmax:.1} |");
    println!("| path table ({} distinct paths): all models | {pt_models:.1} | {pmmin:.1} | {pmmax:.1} |", pj.len());
    println!(
        "attributed conversions: {} (Markov P(conversion) {:.4})",
        attributed.conversions,
        attributed.markov.as_ref().map_or(0.0, |m| m.conversion_probability)
    );
    println!(
        "funnel counts: {counts:?}; top path: {:?} ({} customers)",
        paths.variants[0].path, paths.variants[0].customers
    );
    let json = serde_json::json!({
        "events": events, "csv_bytes": csv.len(),
        "parse_ms": {"median": parse, "min": pmin, "max": pmax}, "parse_m_events_per_s": mevs,
        "jsonl_parse_ms": {"median": jparse, "min": jmin, "max": jmax},
        "funnel_ms": {"median": fun, "min": fmin, "max": fmax}, "funnel_counts": counts,
        "funnel_indexed_ms": {"median": ifun, "min": ifmin, "max": ifmax},
        "funnel5_breakdown_ms": {"median": fun5, "min": f5min, "max": f5max}, "funnel5_counts": counts5,
        "paths_ms": {"median": sankey, "min": smin, "max": smax},
        "paths_steps_change_ms": {"median": reshape, "min": rmin, "max": rmax},
        "stages_ms": {"median": stage_ms, "min": stmin, "max": stmax},
        "attribution_journeys_ms": {"median": cut, "min": cmin, "max": cmax},
        "attribution_models_ms": {"median": models, "min": mmin, "max": mmax},
        "markov1_ms": {"median": markov1, "min": kmin, "max": kmax},
        "markov3_ms": {"median": markov3, "min": k3min, "max": k3max}, "markov3_states": m3.states,
        "path_table_rows": table_rows,
        "path_table_read_ms": {"median": pt_read, "min": prmin, "max": prmax},
        "path_table_models_ms": {"median": pt_models, "min": pmmin, "max": pmmax},
    });
    let dir = std::path::Path::new("target/bench");
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(format!("native-{events}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&json).expect("json")).expect("write results");
    println!("wrote {}", path.display());
}
