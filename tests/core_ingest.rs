//! Hand-worked cases for `touchpath::core::ingest`.
//!
//! Times below are written relative to `M` = 2024-03-01T00:00:00Z, which is day
//! 19 783 since the epoch (54 years × 365 + 13 leap days + 31 + 29 days of 2024),
//! i.e. 1 709 251 200 seconds.

mod common;
use common::Rng;

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use touchpath::core::ingest::{load_bytes, LoadError, LoadReport, Loader, SkipReason, SkipStat};
use touchpath::core::sample;
use touchpath::core::schema::{ColumnOverrides, Role};
use touchpath::core::table::EventTable;

const M: i64 = 1_709_251_200_000_000;
const SEC: i64 = 1_000_000;
const HOUR: i64 = 3_600 * SEC;

type Loaded = Result<(EventTable, LoadReport), LoadError>;

fn load(name: &str, bytes: &[u8]) -> Loaded {
    load_bytes(name, bytes, &ColumnOverrides::default())
}

fn load_with(bytes: &[u8], overrides: &ColumnOverrides) -> Loaded {
    load_bytes("t.csv", bytes, overrides)
}

/// Feeds the chunks one `push` at a time.
fn load_chunks(name: &str, chunks: &[&[u8]], overrides: &ColumnOverrides) -> Loaded {
    let mut loader = Loader::new(name, overrides.clone());
    for c in chunks {
        loader.push(c)?;
    }
    loader.finish()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The table as `(customer, micros, event, channel)` rows, in table order.
fn rows(t: &EventTable) -> Vec<(String, i64, String, Option<String>)> {
    let mut out = Vec::new();
    for c in 0..t.customer_count() {
        for r in t.rows_of(c) {
            let ev = t.event.value(r).to_string();
            let ch = t.channel.as_ref().map(|col| col.value(r).to_string());
            out.push((t.customers.id(c).to_string(), t.ts.at(r), ev, ch));
        }
    }
    out
}

fn row(c: &str, ts: i64, e: &str, ch: Option<&str>) -> (String, i64, String, Option<String>) {
    (c.to_string(), ts, e.to_string(), ch.map(str::to_string))
}

fn stat(reason: SkipReason, count: u64, lines: &[u64], example: Option<&str>) -> SkipStat {
    SkipStat { reason, count, lines: lines.to_vec(), example: example.map(str::to_string) }
}

fn ok(r: Loaded) -> (EventTable, LoadReport) {
    r.unwrap_or_else(|e| panic!("load failed: {e}"))
}

/// Asserts two load results are identical. `EventTable` holds `NaN` for missing revenue, and
/// `NaN != NaN`, so results are compared by their `Debug` text (which writes floats exactly);
/// a mismatch shows only the neighbourhood of the first difference.
#[track_caller]
fn assert_same(a: &Loaded, b: &Loaded, context: &str) {
    let (x, y) = (format!("{a:?}"), format!("{b:?}"));
    if x != y {
        let at = x.bytes().zip(y.bytes()).take_while(|(p, q)| p == q).count();
        let from = at.saturating_sub(150);
        let snip = |s: &str| s.get(from..(at + 150).min(s.len())).unwrap_or("").to_string();
        panic!("{context}: results differ at byte {at}:\n  left: ...{}\n right: ...{}", snip(&x), snip(&y));
    }
}

fn err(r: Loaded) -> LoadError {
    match r {
        Ok((t, rep)) => panic!("expected an error, loaded {} rows: {rep:?}", t.len()),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------
// Delimiters, quoting, BOM, CRLF, gzip

const BASIC: [[&str; 4]; 4] = [
    ["customer_id", "timestamp", "event", "channel"],
    ["c1", "2024-03-01T10:00:00Z", "visit", "email"],
    ["c2", "2024-03-01T09:30:00Z", "visit", "social"],
    ["c1", "2024-03-01 09:00:00", "signup", "email"],
];

fn basic_with(delim: &str, newline: &str) -> Vec<u8> {
    BASIC.iter().map(|r| r.join(delim) + newline).collect::<String>().into_bytes()
}

fn check_basic(t: &EventTable, rep: &LoadReport) {
    // c1's 09:00 signup sorts before its 10:00 visit; customers and values keep first-appearance order.
    assert_eq!(
        rows(t),
        vec![
            row("c1", M + 9 * HOUR, "signup", Some("email")),
            row("c1", M + 10 * HOUR, "visit", Some("email")),
            row("c2", M + 9 * HOUR + 1_800 * SEC, "visit", Some("social")),
        ]
    );
    assert_eq!(t.customers, vec!["c1", "c2"]);
    assert_eq!(t.offsets, vec![0, 2, 3]);
    assert_eq!(t.event.values, vec!["visit", "signup"]);
    assert_eq!(t.event.codes, vec![1, 0, 0]);
    assert_eq!(t.channel.as_ref().unwrap().values, vec!["email", "social"]);
    assert_eq!((t.stage.is_some(), t.revenue.is_some()), (false, false));
    assert_eq!(rep.headers, vec!["customer_id", "timestamp", "event", "channel"]);
    assert_eq!(
        (rep.mapping.id, rep.mapping.time, rep.mapping.event, rep.mapping.channel),
        (Some(0), Some(1), Some(2), Some(3))
    );
    assert_eq!((rep.rows_read, rep.rows_used, rep.rows_skipped()), (3, 3, 0));
    assert_eq!(rep.unzoned_timestamps, 1, "only 2024-03-01 09:00:00 names no zone");
}

#[test]
fn sniffs_each_delimiter() {
    for (delim, format) in [(",", "csv"), ("\t", "tsv"), (";", "semicolon-separated"), ("|", "pipe-separated")] {
        let bytes = basic_with(delim, "\n");
        let (t, rep) = ok(load("d.txt", &bytes));
        check_basic(&t, &rep);
        assert_eq!(rep.format, format);
        assert_eq!(rep.bytes, bytes.len() as u64);
        assert_eq!(rep.file, "d.txt");
    }
}

#[test]
fn crlf_bom_and_gzip_give_the_same_table() {
    let plain = basic_with(",", "\n");
    let (t0, r0) = ok(load("a.csv", &plain));
    let crlf = basic_with(",", "\r\n");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&crlf);
    for bytes in [crlf.clone(), bom.clone(), gzip(&plain), gzip(&bom)] {
        let (t, r) = ok(load("a.csv", &bytes));
        check_basic(&t, &r);
        assert_eq!(t, t0);
        assert_eq!(r.headers, r0.headers, "a BOM is not part of the first header");
        let gz = bytes.starts_with(&[0x1f, 0x8b]);
        assert_eq!(r.format, if gz { "csv (gzip)" } else { "csv" });
        assert_eq!(r.bytes, bytes.len() as u64, "bytes counts the file as given, compressed or not");
    }
    // Two gzip members back to back (as `cat a.gz b.gz` makes) read as one file.
    let split = plain.iter().position(|&b| b == b'\n').unwrap() + 30;
    let mut two = gzip(&plain[..split]);
    two.extend(gzip(&plain[split..]));
    assert_eq!(ok(load("a.csv.gz", &two)).0, t0);
}

/// Quoted fields with delimiters, doubled quotes and line breaks; rows on lines 5 and 9 are bad.
const QUOTED: &str = "customer_id,timestamp,event,note\n\
c1,2024-03-01T10:00:00Z,\"visit, home page\",\"first line\n\
second line\"\n\
\"c,2\",2024-03-01T10:00:01Z,\"say \"\"hi\"\"\",plain\n\
c3,not a time,visit,x\n\
c4,2024-03-01T10:00:02Z,visit,\"a\n\
\n\
b\"\n\
c5,,visit,x\n";

fn check_quoted(r: Loaded, bad_lines: &[u64]) {
    let (t, rep) = ok(r);
    assert_eq!(
        rows(&t),
        vec![
            row("c1", M + 10 * HOUR, "visit, home page", None),
            row("c,2", M + 10 * HOUR + SEC, "say \"hi\"", None),
            row("c4", M + 10 * HOUR + 2 * SEC, "visit", None),
        ]
    );
    assert_eq!((rep.rows_read, rep.rows_used), (5, 3));
    assert_eq!(rep.skipped, vec![stat(SkipReason::BadTimestamp, 2, bad_lines, Some("not a time"))]);
}

#[test]
fn quoted_fields_and_line_numbers_after_embedded_newlines() {
    // Line 1 header; the c1 row spans lines 2-3; "c,2" is line 4; "not a time" line 5;
    // c4 spans lines 6-8 (with an empty line inside the quotes); the empty timestamp is line 9.
    check_quoted(load("q.csv", QUOTED.as_bytes()), &[5, 9]);
    // The same with CRLF everywhere, inside the quotes too: the same line numbers.
    check_quoted(load("q.csv", QUOTED.replace('\n', "\r\n").as_bytes()), &[5, 9]);
    // A blank line after the header and another after "c,2" push the bad rows to lines 7 and 11.
    let blanks = QUOTED.replacen("note\n", "note\n\n", 1).replacen(",plain\n", ",plain\n\n", 1);
    check_quoted(load("q.csv", blanks.as_bytes()), &[7, 11]);
    check_quoted(load("q.csv", blanks.replace('\n', "\r\n").as_bytes()), &[7, 11]);
    // Two blank lines before the header shift everything by two.
    check_quoted(load("q.csv", format!("\n\n{QUOTED}").as_bytes()), &[7, 11]);
}

#[test]
fn long_and_wide_records() {
    // A 10 000-byte field and 150 columns before the timestamp and event: more than the parser's
    // first output buffer (4096 bytes) and field-end buffer (64 fields) hold.
    let mut header = vec!["customer_id".to_string(), "note".to_string()];
    header.extend((0..150).map(|i| format!("f{i}")));
    header.extend(["timestamp".to_string(), "event".to_string()]);
    let mut first = vec!["c1".to_string(), "x".repeat(10_000)];
    first.extend((0..150).map(|i| i.to_string()));
    first.extend(["2024-03-01T00:00:00Z".to_string(), "visit".to_string()]);
    let mut second = first.clone();
    second[0] = "c2".into();
    second[1] = format!("\"{}\n{}\"", "y".repeat(5_000), "z".repeat(5_000));
    let csv = format!("{}\n{}\n{}\nc3,bad\n", header.join(","), first.join(","), second.join(","));
    for chunk in [csv.len(), 4096, 1000, 7] {
        let chunks: Vec<&[u8]> = csv.as_bytes().chunks(chunk).collect();
        let (t, rep) = ok(load_chunks("wide.csv", &chunks, &ColumnOverrides::default()));
        assert_eq!(rows(&t), vec![row("c1", M, "visit", None), row("c2", M, "visit", None)], "chunks of {chunk}");
        assert_eq!((rep.mapping.time, rep.mapping.event), (Some(152), Some(153)));
        // Lines: 1 header, 2 c1, 3-4 c2 (a line break in its note), 5 the short row.
        assert_eq!(rep.skipped, vec![stat(SkipReason::TooFewFields, 1, &[5], None)]);
    }
}

#[test]
fn ids_beyond_2_pow_53_survive_as_strings() {
    // 2^53 = 9007199254740992; as f64, 9007199254740993 would round to it.
    let csv = "user_id,ts,event\n\
               9007199254740992,1709251200,a\n\
               9007199254740993,1709251201,b\n\
               18446744073709551615,1709251202,c\n\
               9007199254740993,1709251203,d\n";
    let (t, rep) = ok(load("ids.csv", csv.as_bytes()));
    assert_eq!(t.customers, vec!["9007199254740992", "9007199254740993", "18446744073709551615"]);
    assert_eq!(t.offsets, vec![0, 1, 3, 4]);
    assert_eq!(t.ts, vec![M, M + SEC, M + 3 * SEC, M + 2 * SEC]);
    assert_eq!(rep.unzoned_timestamps, 0, "epoch numbers name their zone");
}

#[test]
fn no_channel_column_still_loads() {
    let csv = "visitor,date,action\nv1,2024-03-01,open\nv2,2024-03-02,open\n";
    let (t, rep) = ok(load("n.csv", csv.as_bytes()));
    assert!(t.channel.is_none());
    assert_eq!(rep.mapping.channel, None);
    assert_eq!(rows(&t), vec![row("v1", M, "open", None), row("v2", M + 24 * HOUR, "open", None)]);
    assert_eq!(rep.unzoned_timestamps, 2);
}

#[test]
fn revenue_column() {
    let csv = "customer_id,timestamp,event,revenue\n\
               a,2024-03-01T00:00:01Z,buy,12.5\n\
               a,2024-03-01T00:00:02Z,buy,\n\
               a,2024-03-01T00:00:03Z,buy,abc\n\
               a,2024-03-01T00:00:04Z,buy,NaN\n\
               a,2024-03-01T00:00:05Z,buy,inf\n\
               a,2024-03-01T00:00:06Z,buy, -3 \n";
    let (t, rep) = ok(load("r.csv", csv.as_bytes()));
    let rev = t.revenue.as_ref().unwrap().per_row(t.len());
    assert_eq!(rev[0], 12.5);
    assert!(rev[1..5].iter().all(|v| v.is_nan()));
    assert_eq!(rev[5], -3.0);
    assert_eq!((rep.rows_used, rep.bad_revenue), (6, 3), "abc, NaN and inf are not usable amounts");
}

// ---------------------------------------------------------------------------
// Skipped rows

/// Line by line: 1 header, 2 ok, 3 bad time, 4 no id, 5 no event, 6 short, 7 bad time, 8 ok,
/// 9 blank id, 10 bad offset, 11 short, 12 ok (empty channel), 13 truncated, no newline.
const SKIPS: &str = "customer_id,timestamp,event,channel\n\
c1,2024-03-01T10:00:00Z,visit,email\n\
c2,yesterday,visit,email\n\
,2024-03-01T10:00:00Z,visit,email\n\
c3,2024-03-01T10:00:00Z,,email\n\
c4,2024-03-01\n\
c5,13/45/2024,visit,social\n\
c1,2024-03-01T11:00:00Z,buy,email\n\
\"  \",2024-03-01T10:00:00Z,visit,email\n\
c6,2024-03-01T10:00:00+25:00,visit,social\n\
c7\n\
c1,2024-03-01T12:00:00Z,visit,\n\
c8,2024-03-01T12:00:00Z";

fn check_skips(r: Loaded, shift: u64) {
    let (t, rep) = ok(r);
    let l = |n: u64| n + shift;
    assert_eq!(
        rows(&t),
        vec![
            row("c1", M + 10 * HOUR, "visit", Some("email")),
            row("c1", M + 11 * HOUR, "buy", Some("email")),
            row("c1", M + 12 * HOUR, "visit", Some("")),
        ]
    );
    assert_eq!((rep.rows_read, rep.rows_used, rep.rows_skipped()), (12, 3, 9));
    assert_eq!(
        rep.skipped,
        vec![
            stat(SkipReason::MissingId, 2, &[l(4), l(9)], None),
            stat(SkipReason::BadTimestamp, 3, &[l(3), l(7), l(10)], Some("yesterday")),
            stat(SkipReason::MissingEvent, 1, &[l(5)], None),
            stat(SkipReason::TooFewFields, 2, &[l(6), l(11)], None),
            stat(SkipReason::TruncatedLastLine, 1, &[l(13)], Some("2 of 4 fields")),
        ]
    );
}

#[test]
fn skipped_rows_are_counted_with_their_lines() {
    check_skips(load("s.csv", SKIPS.as_bytes()), 0);
    check_skips(load("s.csv", SKIPS.replace('\n', "\r\n").as_bytes()), 0);
    check_skips(load("s.csv.gz", &gzip(SKIPS.as_bytes())), 0);
    // One blank line right after the header moves every data row down one line.
    check_skips(load("s.csv", SKIPS.replacen('\n', "\n\n", 1).as_bytes()), 1);
    check_skips(load("s.csv", SKIPS.replacen('\n', "\r\n\r\n", 1).as_bytes()), 1);
}

#[test]
fn a_complete_last_line_without_newline_is_not_truncated() {
    let (t, rep) = ok(load("x.csv", b"customer_id,timestamp,event\nc1,2024-03-01,a\nc2,2024-03-01,b"));
    assert_eq!(t.customers, vec!["c1", "c2"]);
    assert!(rep.skipped.is_empty());
    // A short row that is not last (the file ends with a newline) stays "too few fields".
    let (_, rep) = ok(load("x.csv", b"customer_id,timestamp,event\nc1,2024-03-01,a\nc2,2024-03-01\n"));
    assert_eq!(rep.skipped, vec![stat(SkipReason::TooFewFields, 1, &[3], None)]);
}

#[test]
fn only_the_first_five_lines_per_reason_are_kept() {
    let mut csv = String::from("customer_id,timestamp,event\n");
    for i in 0..7 {
        csv.push_str(&format!("c{i},someday {i},visit\n"));
    }
    csv.push_str("c9,2024-03-01,visit\n");
    let (_, rep) = ok(load("m.csv", csv.as_bytes()));
    assert_eq!(rep.skipped, vec![stat(SkipReason::BadTimestamp, 7, &[2, 3, 4, 5, 6], Some("someday 0"))]);
}

// ---------------------------------------------------------------------------
// Fatal errors and the malformed-input corpus

#[test]
fn fatal_errors_in_memory() {
    let e = err(load("e.csv", b""));
    assert_eq!((e.line, e.message.as_str()), (None, "the file is empty"));
    assert_eq!(e.to_string(), "e.csv: the file is empty");
    assert_eq!(err(load("w.csv", b"  \r\n\t\n\n ")).message, "the file is empty");
    let e = err(load("h.csv", b"customer_id,timestamp,channel\nc1,2024-03-01,email\n"));
    assert_eq!(e.line, Some(1));
    assert!(e.message.starts_with("no event column found in the header (\"customer_id\", \"timestamp\", \"channel\")"));
    assert!(e.to_string().starts_with("h.csv: line 1: no event column"));
    let e = err(load("h.csv", b"customer_id,timestamp,event"));
    assert_eq!(e.message, "the file has a header but no rows");
    let e = err(load("b.csv", b"customer_id,timestamp,event\nc1,never,x\n,2024-03-01,y\n"));
    // Reasons are reported in enum order, so the missing id (line 3) comes before the bad time (line 2).
    assert_eq!(e.message, "no usable rows: all 2 rows were skipped (missing customer id, first at line 3)");
}

/// A fixture and what loading it must give: an error message or a summary of the load containing the text.
const CORPUS: &[(&str, bool, &str)] = &[
    ("empty.csv", false, "empty.csv: the file is empty"),
    ("whitespace_only.csv", false, "the file is empty"),
    ("binary.bin", false, "binary data (a zero byte) at byte 7"),
    ("utf16.csv", false, "binary data (a zero byte) at byte 3"),
    ("nul_in_first_row.csv", false, "binary data (a zero byte) at byte 30"),
    ("archive.zip", false, "this is a zip archive"),
    (
        "no_id_column.csv",
        false,
        "line 1: no customer id column found in the header (\"timestamp\", \"event\", \"channel\")",
    ),
    (
        "no_time_column.csv",
        false,
        "line 1: no timestamp column found in the header (\"customer_id\", \"event\", \"channel\")",
    ),
    (
        "no_event_column.csv",
        false,
        "line 1: no event column found in the header (\"customer_id\", \"timestamp\", \"channel\")",
    ),
    ("header_only.csv", false, "the file has a header but no rows"),
    ("header_then_blank_lines.csv", false, "the file has a header but no rows"),
    (
        "bad_timestamps.csv",
        false,
        "no usable rows: all 3 rows were skipped (unparseable timestamp, first at line 2: \"yesterday\")",
    ),
    ("too_few_fields.csv", false, "all 2 rows were skipped (fewer fields than the header, first at line 2)"),
    ("missing_ids.csv", false, "all 2 rows were skipped (missing customer id, first at line 2)"),
    ("truncated.csv", true, "used 2 of 3; truncated last line x1 at [4] (2 of 4 fields)"),
    ("cut_short.csv.gz", false, "the gzip data is damaged or cut short"),
    ("bad_crc.csv.gz", false, "the gzip data is damaged or cut short"),
    ("not_gzip_after_magic.gz", false, "the gzip data is damaged"),
];

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

/// One line describing a load's outcome, for substring checks.
fn outcome(r: &Loaded) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok((t, rep)) => {
            let skips: Vec<String> = rep
                .skipped
                .iter()
                .map(|s| {
                    let ex = s.example.as_ref().map(|e| format!(" ({e})")).unwrap_or_default();
                    format!("{} x{} at {:?}{ex}", s.reason.describe(), s.count, s.lines)
                })
                .collect();
            format!("used {} of {}; {}", t.len(), rep.rows_read, skips.join("; "))
        }
    }
}

#[test]
fn malformed_corpus() {
    let mut names: Vec<String> =
        std::fs::read_dir(fixture_dir()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let mut listed: Vec<String> = CORPUS.iter().map(|c| c.0.to_string()).collect();
    listed.sort();
    assert_eq!(names, listed, "every fixture is in the table and every table entry has a fixture");
    for &(name, loads, want) in CORPUS {
        let bytes = std::fs::read(fixture_dir().join(name)).unwrap();
        assert!(bytes.len() < 300, "{name}: keep fixtures tiny");
        let whole = load(name, &bytes);
        let got = outcome(&whole);
        assert_eq!(whole.is_ok(), loads, "{name}: {got}");
        assert!(got.contains(want), "{name}: {got:?} should contain {want:?}");
        // The outcome does not depend on how the bytes arrive.
        for cut in 0..=bytes.len() {
            let split = load_chunks(name, &[&bytes[..cut], &bytes[cut..]], &ColumnOverrides::default());
            assert_eq!(outcome(&split), got, "{name} split at {cut}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(outcome(&load_chunks(name, &singles, &ColumnOverrides::default())), got, "{name} byte by byte");
    }
}

#[test]
fn the_zip_check_reads_the_first_four_bytes_even_when_they_arrive_one_by_one() {
    let e = err(load_chunks("a.zip", &[b"P", b"K", b"\x03", b"\x04", b"rest"], &ColumnOverrides::default()));
    assert!(e.message.contains("zip archive"), "{e}");
    // Three bytes only: not a zip, not gzip; read as (useless) text.
    let e = err(load("short.csv", b"PK\x03"));
    assert!(e.message.contains("no customer id column"), "{e}");
}

// ---------------------------------------------------------------------------
// Chunking invariance

fn assert_split_invariant(name: &str, bytes: &[u8]) {
    let whole = load(name, bytes);
    assert!(whole.is_ok(), "{name}: {}", outcome(&whole));
    for cut in 0..=bytes.len() {
        let split = load_chunks(name, &[&bytes[..cut], &bytes[cut..]], &ColumnOverrides::default());
        assert_same(&split, &whole, &format!("{name} split at byte {cut}"));
    }
}

#[test]
fn every_single_split_point_gives_the_same_result() {
    let mut bom_crlf = b"\xEF\xBB\xBF".to_vec();
    bom_crlf.extend(QUOTED.replace('\n', "\r\n").bytes());
    let small: Vec<(&str, Vec<u8>)> = vec![
        ("quoted.csv", QUOTED.as_bytes().to_vec()),
        ("bom_crlf.csv", bom_crlf),
        ("skips.csv", SKIPS.as_bytes().to_vec()),
        ("blank_lead.csv", format!("\n\r\n{SKIPS}").into_bytes()),
        ("basic.tsv", basic_with("\t", "\n")),
    ];
    for (name, bytes) in &small {
        assert_split_invariant(name, bytes);
        assert_split_invariant(name, &gzip(bytes));
    }
    // And the plain and gzip loads agree on everything but the format and byte count.
    for (name, bytes) in &small {
        let (t1, mut r1) = ok(load(name, bytes));
        let (t2, r2) = ok(load(name, &gzip(bytes)));
        assert_eq!(t1, t2, "{name}");
        r1.format.push_str(" (gzip)");
        r1.bytes = r2.bytes;
        assert_eq!(r1, r2, "{name}");
    }
}

/// Splits `bytes` at `cuts` random points (some of them repeated, giving empty chunks).
fn random_chunks<'a>(rng: &mut Rng, bytes: &'a [u8], cuts: usize) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = (0..cuts).map(|_| rng.below(bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
}

#[test]
fn random_multi_way_splits_of_a_generated_file() {
    let events = sample::generate(99, 3_000);
    let mut csv = Vec::new();
    sample::write_csv(&events, &mut csv).unwrap();
    let gz = gzip(&csv);
    let (table, report) = ok(load("gen.csv", &csv));

    // The table holds exactly the generated events, clustered by customer in order of first appearance.
    assert_eq!((report.rows_read, report.rows_used, report.rows_skipped()), (3_000, 3_000, 0));
    let mut order: Vec<u32> = Vec::new();
    for e in &events {
        if !order.contains(&e.customer) {
            order.push(e.customer);
        }
    }
    let expected: Vec<_> = order
        .iter()
        .flat_map(|&c| {
            events.iter().filter(move |e| e.customer == c).map(|e| {
                row(&sample::customer_id(e.customer), e.ts, e.event, Some(sample::CHANNELS[e.channel as usize]))
            })
        })
        .collect();
    assert_eq!(rows(&table), expected);
    // Revenue: cents / 100 on purchases, NaN elsewhere.
    let revenue: Vec<Option<u64>> = table
        .revenue
        .as_ref()
        .unwrap()
        .per_row(table.len())
        .into_iter()
        .map(|v| if v.is_nan() { None } else { Some((v * 100.0).round() as u64) })
        .collect();
    let expected: Vec<Option<u64>> = order
        .iter()
        .flat_map(|&c| events.iter().filter(move |e| e.customer == c).map(|e| e.revenue_cents.map(u64::from)))
        .collect();
    assert_eq!(revenue, expected);

    let mut rng = Rng::new(0x5EED);
    for (bytes, name) in [(&csv, "gen.csv"), (&gz, "gen.csv.gz")] {
        let whole = load(name, bytes);
        assert_eq!(format!("{:?}", whole.as_ref().unwrap().0), format!("{table:?}"), "{name}: the same table");
        for trial in 0..12 {
            let cuts = [1, 2, 7, 50, 400][trial % 5];
            let chunks = random_chunks(&mut rng, bytes, cuts);
            let split = load_chunks(name, &chunks, &ColumnOverrides::default());
            assert_same(&split, &whole, &format!("{name} trial {trial} ({} chunks)", chunks.len()));
        }
        // Tiny chunks of 1 to 7 bytes.
        let mut chunks = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let n = (1 + rng.below(7)).min(bytes.len() - at);
            chunks.push(&bytes[at..at + n]);
            at += n;
        }
        assert_same(
            &load_chunks(name, &chunks, &ColumnOverrides::default()),
            &whole,
            &format!("{name} in tiny chunks"),
        );
    }
}

// ---------------------------------------------------------------------------
// Column overrides

#[test]
fn column_overrides_change_the_mapping_by_header_name() {
    let csv = b"user,ts,what,source,medium\nu1,2024-03-01T10:00:00Z,visit,google,cpc\n";
    let e = err(load_with(csv, &ColumnOverrides::default()));
    assert!(
        e.message
            .starts_with("no event column found in the header (\"user\", \"ts\", \"what\", \"source\", \"medium\")"),
        "{e}"
    );

    let mut o = ColumnOverrides::default();
    o.set(Role::Event, "what".into());
    let (t, rep) = ok(load_with(csv, &o));
    assert_eq!(rows(&t), vec![row("u1", M + 10 * HOUR, "visit", Some("google"))], "source is detected as channel");
    assert_eq!(
        (rep.mapping.id, rep.mapping.time, rep.mapping.event, rep.mapping.channel),
        (Some(0), Some(1), Some(2), Some(3))
    );

    o.set(Role::Channel, "medium".into());
    let (t, _) = ok(load_with(csv, &o));
    assert_eq!(rows(&t), vec![row("u1", M + 10 * HOUR, "visit", Some("cpc"))]);

    o.set(Role::Channel, String::new());
    let (t, rep) = ok(load_with(csv, &o));
    assert_eq!((t.channel.is_none(), rep.mapping.channel), (true, None), "an empty name clears the role");

    // Names are matched after trimming; roles can be swapped.
    o.set(Role::Id, " what ".into());
    o.set(Role::Event, "user".into());
    let (t, _) = ok(load_with(csv, &o));
    assert_eq!(rows(&t), vec![row("visit", M + 10 * HOUR, "u1", None)]);

    // A name this file lacks (a correction made for another file) leaves detection in place:
    // the id is "user" again, and the event is still taken from "user" as overridden above.
    o.set(Role::Id, "no such header".into());
    let (t, rep) = ok(load_with(csv, &o));
    assert_eq!((rep.mapping.id, rep.mapping.event), (Some(0), Some(0)));
    assert_eq!(rows(&t), vec![row("u1", M + 10 * HOUR, "u1", None)]);
}

/// A file without a header line: columns are named `column_N`, roles are guessed from the
/// values, and the table is the one the same file with its header gives.
#[test]
fn headerless_files_get_column_names_and_guessed_roles() {
    use touchpath::core::schema::Role;
    let mut with_header = Vec::new();
    touchpath::core::sample::write_csv(&touchpath::core::sample::generate(7, 5_000), &mut with_header).unwrap();
    let text = String::from_utf8(with_header.clone()).unwrap();
    let (_, body) = text.split_once('\n').unwrap();
    let (t, report) = load_bytes("noheader.csv", body.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert!(report.headerless);
    assert_eq!(report.headers, vec!["column_1", "column_2", "column_3", "column_4", "column_5", "column_6"]);
    // customer_id,timestamp,channel,event,stage,revenue
    let m = &report.mapping;
    assert_eq!(
        (m.id, m.time, m.channel, m.event, m.stage, m.revenue),
        (Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)),
        "{m:?}"
    );
    let (want, _) = load_bytes("header.csv", &with_header, &ColumnOverrides::default()).unwrap();
    let bits = |t: &touchpath::core::table::EventTable| -> Vec<u64> {
        t.revenue.as_ref().unwrap().per_row(t.len()).iter().map(|v| v.to_bits()).collect()
    };
    assert!(t.customers == want.customers && t.offsets == want.offsets && t.ts == want.ts);
    assert!(t.event == want.event && t.channel == want.channel && t.stage == want.stage);
    assert!(bits(&t) == bits(&want), "revenue differs");
    // Line numbers count from the first line, which is data.
    assert_eq!(report.rows_read, 5_000);

    // The user's choice wins over the guess (here: events are the stage column).
    let mut o = ColumnOverrides::default();
    o.set(Role::Event, "column_5".into());
    let (t, report) = load_bytes("noheader.csv", body.as_bytes(), &o).unwrap();
    assert_eq!(report.mapping.event, Some(4));
    assert!(t
        .event
        .values
        .iter()
        .all(|v| ["awareness", "consideration", "purchase", "retention", "advocacy"].contains(&v.as_str())));
}

#[test]
fn small_headerless_files_and_bad_rows_keep_their_lines() {
    // Three customers, epoch-second times; line 3 has a bad time.
    let text = "u1,1700000000,signup\nu2,1700000100,signup\nu1,soon,login\nu3,1700000200,login\nu2,1700000300,login\n";
    let (t, report) = load_bytes("x.csv", text.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert!(report.headerless);
    let m = &report.mapping;
    assert_eq!((m.id, m.time, m.event), (Some(0), Some(1), Some(2)), "{m:?}");
    assert_eq!((t.len(), t.customer_count()), (4, 3));
    let bad: Vec<u64> = report.skipped.iter().flat_map(|s| s.lines.clone()).collect();
    assert_eq!(bad, vec![3]);
}

#[test]
fn a_headerless_file_without_an_event_column_says_what_is_missing() {
    let e = load_bytes("n.csv", b"1700000000,5\n1700000100,6\n", &ColumnOverrides::default()).unwrap_err();
    assert!(e.message.starts_with("the file has no header line and no column looks like the event;"), "{}", e.message);
    assert!(e.message.contains("col.event=column_N"), "{}", e.message);
}

/// Names given for a file without a header line (`names=`): roles are then recognised by name,
/// and only the roles the names leave open are guessed.
#[test]
fn headerless_files_named_by_the_user() {
    use touchpath::core::ingest::Loader;
    use touchpath::core::schema::Role;
    // timestamp, session, customer, event. Guessed, the id is the column with the most distinct
    // values (the sessions s1…s6: 6 customers) and the event the text column with the fewest
    // (visit, signup, purchase).
    // tests/fixtures/e2e/headerless_sessions.csv (also opened by the e2e test): s1 c1 visit, s2 c1
    // signup, s3 c2 visit, s4 c2 visit, s5 c3 visit, s6 c3 purchase.
    let text = include_str!("fixtures/e2e/headerless_sessions.csv");
    let read = |names: &[&str], text: &str| {
        let mut l =
            Loader::new("events.csv", ColumnOverrides::default()).names(names.iter().map(|n| n.to_string()).collect());
        l.push(text.as_bytes()).unwrap();
        l.finish().unwrap()
    };
    let (t, r) = load_bytes("events.csv", text.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert_eq!((r.mapping.id, r.mapping.event, t.customer_count()), (Some(1), Some(3), 6));
    // Named: customer_id is the id by name → c1 (visit, signup), c2 (visit, visit), c3 (visit, purchase).
    let (t, r) = read(&["timestamp", "session", "customer_id", "event"], text);
    assert!(r.headerless);
    assert_eq!(r.named_by.as_deref(), Some("the names in the link (names=)"));
    assert_eq!(r.headers, ["timestamp", "session", "customer_id", "event"]);
    let m = &r.mapping;
    assert_eq!((m.time, m.id, m.event, m.channel), (Some(0), Some(2), Some(3), None));
    assert_eq!((t.len(), t.customers.to_vec()), (6, vec!["c1".to_string(), "c2".into(), "c3".into()]));
    // Only the third column named: column_1, column_2 and column_4 keep their numbers; the id
    // comes from the name, time and event are guessed (never the named column).
    let (t, r) = read(&["", "", "customer_id"], text);
    assert_eq!(r.headers, ["column_1", "column_2", "customer_id", "column_4"]);
    assert_eq!((r.mapping.time, r.mapping.id, r.mapping.event, t.customer_count()), (Some(0), Some(2), Some(3), 3));
    // More names than columns: the extra ones are ignored. A name that is no role name leaves
    // that role to the guess: "who" is no id name, so the sessions are the id again.
    let (t, r) = read(&["timestamp", "session", "who", "event", "channel"], text);
    assert_eq!(r.headers.len(), 4);
    assert_eq!((r.mapping.id, t.customer_count()), (Some(1), 6));
    // The user's column correction still wins.
    let mut o = ColumnOverrides::default();
    o.set(Role::Id, "who".into());
    let mut l = Loader::new("events.csv", o).names(vec!["timestamp".into(), "session".into(), "who".into()]);
    l.push(text.as_bytes()).unwrap();
    assert_eq!(l.finish().unwrap().0.customer_count(), 3);
    // A file with a header line keeps its own names.
    let (t, r) = read(&["a", "b", "c"], "user,ts,event\nu1,2024-03-01T10:00:00Z,visit\n");
    assert!(!r.headerless && r.named_by.is_none());
    assert_eq!((r.headers.clone(), t.len()), (vec!["user".to_string(), "ts".into(), "event".into()], 1));
}

/// The line splitter's own cases: a quote or a tab inside an unquoted field is part of it, a
/// field may start with a byte that follows the delimiter in ASCII (`-` after `,`), a quoted
/// field holds the delimiter, and any field may end exactly where a chunk does (also between
/// `\r` and `\n`). Lines are longer than the splitter's blocks, so fields cross them too.
#[test]
fn fields_split_the_same_at_every_chunk_boundary() {
    let bytes = b"customer_id,timestamp,event,channel\r\n\
                  c1,2024-03-01T10:00:00Z,sa\"le,ema\"il\r\n\
                  c2,2024-03-01T11:00:00Z,a\tb,-web\r\n\
                  \"c3\",2024-03-01T12:00:00Z,\"buy, now\",\"\"\r\n\
                  c1,2024-03-01T13:00:00Z,visit,x\r\n";
    let want = vec![
        row("c1", M + 10 * HOUR, "sa\"le", Some("ema\"il")),
        row("c1", M + 13 * HOUR, "visit", Some("x")),
        row("c2", M + 11 * HOUR, "a\tb", Some("-web")),
        row("c3", M + 12 * HOUR, "buy, now", Some("")),
    ];
    let check = |r: Loaded, context: &str| {
        let (t, rep) = r.unwrap_or_else(|e| panic!("{context}: {e}"));
        assert_eq!(rows(&t), want, "{context}");
        assert_eq!((rep.rows_read, rep.rows_used, rep.rows_skipped()), (4, 4, 0), "{context}");
    };
    let none = ColumnOverrides::default();
    check(load("t.csv", bytes), "whole");
    for cut in 1..bytes.len() {
        check(load_chunks("t.csv", &[&bytes[..cut], &bytes[cut..]], &none), &format!("cut at {cut}"));
    }
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    check(load_chunks("t.csv", &bytewise, &none), "byte by byte");
}
