//! XES event logs through `touchpath::core::ingest`.

mod common;

use common::Rng;
use touchpath::core::funnel::{compute, Dimension, FunnelQuery};
use touchpath::core::ingest::{load_bytes, Loader, SkipReason};
use touchpath::core::schema::{ColumnOverrides, Preset};

const CLAIMS: &[u8] = include_bytes!("fixtures/xes/claims.xes");

#[test]
fn claims_log_reads_as_a_process_mining_log() {
    let (t, r) = load_bytes("claims.xes", CLAIMS, &ColumnOverrides::default()).unwrap();
    assert_eq!(r.format, "xes");
    assert_eq!(r.mapping.preset, Preset::ProcessMining);
    let col = |c: Option<usize>| c.map(|c| r.headers[c].as_str());
    assert_eq!(
        (col(r.mapping.id), col(r.mapping.time), col(r.mapping.event), col(r.mapping.revenue)),
        (Some("case:concept:name"), Some("time:timestamp"), Some("concept:name"), Some("amount"))
    );
    // Trace attributes become case:…; nested attributes join with dots; globals and the
    // log's own name are not data.
    assert!(r.headers.contains(&"case:channel".to_string()));
    assert!(r.headers.contains(&"notes.first".to_string()));
    assert!(!r.headers.iter().any(|h| h.contains("INVALID")));
    assert_eq!((r.rows_read, r.rows_used, t.len()), (6, 5, 5));
    assert_eq!(t.customers, ["C-1", "C-2"]);
    let bad: Vec<(SkipReason, Vec<u64>)> = r.skipped.iter().map(|s| (s.reason, s.lines.clone())).collect();
    assert_eq!(bad, [(SkipReason::BadTimestamp, vec![50])]);
    assert_eq!(r.offsets_minutes, [0, 60]);
    assert_eq!(r.out_of_order, 2);
    let rev: Vec<f64> = t.revenue.as_ref().unwrap().iter().map(|(_, v)| v).collect();
    assert_eq!(rev, [150.5]);
    let steps = ["register request", "check ticket", "pay compensation"].map(String::from).to_vec();
    let q = FunnelQuery { by: Dimension::Event, steps, ..Default::default() };
    let got: Vec<u64> = compute(&t, &q).unwrap().steps.iter().map(|s| s.customers).collect();
    assert_eq!(got, [2, 1, 1]);
}

#[test]
fn entities_and_any_chunking() {
    let (whole, wr) = load_bytes("claims.xes", CLAIMS, &ColumnOverrides::default()).unwrap();
    let mut rng = Rng::new(5);
    for _ in 0..200 {
        let mut l = Loader::new("claims.xes", ColumnOverrides::default());
        let mut pos = 0;
        while pos < CLAIMS.len() {
            let n = 1 + rng.below(40).min(CLAIMS.len() - pos - 1);
            l.push(&CLAIMS[pos..pos + n]).unwrap();
            pos += n;
        }
        let (t, r) = l.finish().unwrap();
        // Debug text, since the revenue column holds NaN (which is not equal to itself).
        assert_eq!(format!("{t:?}"), format!("{whole:?}"));
        assert_eq!(r, wr);
    }
}

#[test]
fn an_empty_or_cut_log_says_so() {
    let e = load_bytes("e.xes", b"<?xml version=\"1.0\"?><log></log>", &ColumnOverrides::default()).unwrap_err();
    assert_eq!(e.message, "the XES log holds no events");
    let cut = &CLAIMS[..CLAIMS.windows(7).rposition(|w| w == b"</event").unwrap()];
    let (_, r) = load_bytes("cut.xes", cut, &ColumnOverrides::default()).unwrap();
    assert_eq!(r.skipped.last().map(|s| s.reason), Some(SkipReason::TruncatedLastLine));
}
