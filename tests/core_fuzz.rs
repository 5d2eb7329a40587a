//! Robustness: arbitrary bytes and mutated valid files never panic the loader, and any
//! chunking of the same bytes gives the same outcome. Seeded, so failures reproduce.

mod common;

use std::io::Write;

use common::Rng;
use touchpath::core::ingest::Loader;
use touchpath::core::schema::ColumnOverrides;

/// Loads `bytes` in chunks cut at random points; the outcome as comparable text.
fn outcome(bytes: &[u8], rng: &mut Rng) -> String {
    outcome_with(Loader::new("f", ColumnOverrides::default()), bytes, rng)
}

fn outcome_with(mut loader: Loader, bytes: &[u8], rng: &mut Rng) -> String {
    let mut pos = 0;
    while pos < bytes.len() {
        let n = 1 + rng.below(bytes.len() - pos);
        if let Err(e) = loader.push(&bytes[pos..pos + n]) {
            return format!("error: {e}");
        }
        pos += n;
    }
    match loader.finish() {
        Ok((t, r)) => format!("ok: {} events, {} customers, {:?}", t.len(), t.customer_count(), r.skipped),
        Err(e) => format!("error: {e}"),
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let csv = b"customer_id,timestamp,event,channel,revenue\n\
                a,2024-03-01T10:00:00Z,visit,web,\n\
                a,\"2024-03-01 10:05:00\",\"buy, now\",email,12.5\n\
                b,1709287200,visit,\"so\"\"cial\",\n"
        .to_vec();
    let jsonl = b"{\"user\":\"a\",\"ts\":\"2024-03-01\",\"event\":\"x\",\"p\":{\"q\":[1,{\"key\":\"k\",\"value\":{\"int_value\":3}}]}}\n\
                  {\"user\":\"b\",\"ts\":1709287200000,\"event\":\"y\"}\n"
        .to_vec();
    let json = b"[{\"user\":\"a\",\"ts\":\"2024-03-01\",\"event\":\"x\"},\n {\"user\":\"b\",\"ts\":\"2024-03-02\",\"event\":\"y \\\"}]\"}]"
        .to_vec();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&csv).unwrap();
    let xes = include_bytes!("fixtures/xes/claims.xes").to_vec();
    vec![csv, jsonl, json, gz.finish().unwrap(), xes]
}

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        let special = [b'"', b',', b'\n', b'\r', b'{', b'}', b'[', b']', b'\\', 0, 0xff, 0xc3, b'\t'];
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = special[rng.below(special.len())];
            }
            1 if !b.is_empty() => {
                let i = rng.below(b.len());
                b.remove(i);
            }
            2 => {
                let i = rng.below(b.len() + 1);
                b.insert(i, special[rng.below(special.len())]);
            }
            3 if !b.is_empty() => b.truncate(rng.below(b.len())),
            _ => {
                // Duplicate a slice (long fields, repeated records).
                if b.len() > 2 {
                    let i = rng.below(b.len() - 1);
                    let j = i + 1 + rng.below((b.len() - i - 1).min(64));
                    let piece = b[i..j].to_vec();
                    let at = rng.below(b.len() + 1);
                    b.splice(at..at, piece);
                }
            }
        }
    }
    b
}

#[test]
fn mutated_files_never_panic_and_chunking_never_changes_the_outcome() {
    let mut rng = Rng::new(0xF022);
    let seeds = seeds();
    for case in 0..4_000 {
        let bytes = mutate(&seeds[case % seeds.len()], &mut rng);
        let a = outcome(&bytes, &mut rng);
        let b = outcome(&bytes, &mut rng);
        // A damaged gzip stream may be noticed by the checksum or by the text it decodes to,
        // depending on where the chunks end: either way it is an error. Everything else is exact.
        let both_errors = a.starts_with("error") && b.starts_with("error");
        if !(both_errors && bytes.starts_with(&[0x1f, 0x8b])) {
            assert_eq!(a, b, "case {case}: {:?}", String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(7);
    for _ in 0..2_000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        outcome(&bytes, &mut rng);
        // Text-like noise, which gets further into the parsers.
        let text: Vec<u8> = (0..len).map(|_| b"ab,\"\n{}[]:0123456789-TZ "[rng.below(24)]).collect();
        outcome(&text, &mut rng);
    }
}

#[test]
fn a_huge_single_field_is_handled() {
    // One 8 MB quoted field spanning the whole file: buffers grow, nothing breaks.
    let mut csv = b"customer_id,timestamp,event\na,2024-03-01,\"".to_vec();
    csv.extend(std::iter::repeat_n(b'x', 8 << 20));
    csv.extend_from_slice(b"\"\n");
    let mut rng = Rng::new(1);
    assert_eq!(outcome(&csv, &mut rng), "ok: 1 events, 1 customers, []");
}

/// Files read with column names: an Adobe feed named by its column_headers.tsv (lookups
/// recognised), and a header-less file named by the user. Mutations never panic and chunking
/// never changes the outcome.
#[test]
fn named_files_never_panic_and_chunking_never_changes_the_outcome() {
    let headers = include_bytes!("fixtures/vendors/adobe/column_headers.tsv");
    let names = touchpath::core::ingest::parse_column_headers("column_headers.tsv", headers).unwrap();
    let adobe = include_bytes!("fixtures/vendors/adobe/hit_data.tsv").to_vec();
    let lookup = include_bytes!("fixtures/vendors/adobe/event.tsv").to_vec();
    let plain = include_bytes!("fixtures/e2e/headerless_sessions.csv").to_vec();
    let mut rng = Rng::new(0xADBE);
    let mut loaded = 0;
    for case in 0..1_500 {
        let (seed, user) = [(&adobe, false), (&lookup, false), (&plain, true)][case % 3];
        let bytes = mutate(seed, &mut rng);
        let loader = || {
            let l = Loader::new("hit_data.tsv", ColumnOverrides::default());
            if user {
                l.names(vec!["timestamp".into(), "session".into(), "customer_id".into()])
            } else {
                l.column_headers(names.clone(), "column_headers.tsv").skip_lookups(true)
            }
        };
        let a = outcome_with(loader(), &bytes, &mut rng);
        let b = outcome_with(loader(), &bytes, &mut rng);
        assert_eq!(a, b, "case {case}: {:?}", String::from_utf8_lossy(&bytes));
        loaded += usize::from(a.starts_with("ok"));
    }
    // Most mutations leave a loadable file: the parsers were reached, not only the errors.
    assert!(loaded > 500, "{loaded} of 1500 loaded");
}
