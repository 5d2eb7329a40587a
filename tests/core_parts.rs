//! A file read in parts apart (`Loader::finish_part`, `LoadPart::encode`, `join_parts`) gives
//! exactly the table and report (or the error) of reading it whole.
//!
//! The harness follows the worker's protocol: cuts fall right after a `\n` past the header
//! line; part 0 is the file's start, read by a loader as usual; every later part is read by a
//! fresh loader with the same choices, fed the file's header line and then its own bytes. A
//! split reading that does not join (`Ok(None)`, or a part that fails to read) is allowed —
//! the worker then reads the file whole — but every test counts the joined cases and asserts
//! the exact number expected (all of them, unless a cut falls inside a quoted line break).

mod common;
use common::Rng;

use std::iter::once;

use touchpath::core::ingest::{
    count_newlines, decode_loaded, encode_loaded, join_parts, LoadError, LoadPart, LoadReport, Loader, SkipReason,
};
use touchpath::core::sample;
use touchpath::core::schema::ColumnOverrides;
use touchpath::core::table::{Duplicates, EventTable, PartBytes};

type Reading = Result<(EventTable, LoadReport), LoadError>;

/// The loader's choices, the same for every part.
#[derive(Clone, Default)]
struct Opts {
    keep_duplicates: bool,
    pair: Option<(String, String)>,
    max_events: Option<u64>,
}

impl Opts {
    fn keep() -> Opts {
        Opts { keep_duplicates: true, ..Opts::default() }
    }

    fn loader(&self, name: &str) -> Loader {
        let mut l = Loader::new(name, ColumnOverrides::default()).identity_pair(self.pair.clone());
        if self.keep_duplicates {
            l = l.duplicates(Duplicates::Keep);
        }
        match self.max_events {
            Some(n) => l.max_events(n),
            None => l,
        }
    }
}

fn feed(loader: &mut Loader, bytes: &[u8], chunk: usize) -> Result<(), LoadError> {
    bytes.chunks(chunk.max(1)).try_for_each(|c| loader.push(c))
}

/// The sequential reference: the whole file through one loader.
fn whole(name: &str, bytes: &[u8], opts: &Opts, chunk: usize) -> Reading {
    let mut l = opts.loader(name);
    feed(&mut l, bytes, chunk)?;
    l.finish()
}

/// The file's header line, with its `\n`.
fn header_line(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == b'\n').expect("a header line");
    &bytes[..=end]
}

/// One part read as the worker reads it; `None` when it fails (the worker reads whole).
fn read_part(name: &str, opts: &Opts, prefix: &[u8], own: &[u8], chunk: usize) -> Option<LoadPart> {
    let mut l = opts.loader(name);
    if !prefix.is_empty() {
        l.push(prefix).ok()?;
    }
    feed(&mut l, own, chunk).ok()?;
    let mut part = l.finish_part().ok()?;
    part.set_bytes(prefix, count_newlines(own));
    Some(part)
}

/// Part 0 and the later parts, encoded.
fn read_parts(name: &str, bytes: &[u8], cuts: &[usize], opts: &Opts, chunk: usize) -> Option<(LoadPart, Vec<Vec<u8>>)> {
    let header = header_line(bytes);
    let bounds: Vec<usize> = once(0).chain(cuts.iter().copied()).chain(once(bytes.len())).collect();
    let first = read_part(name, opts, &[], &bytes[..bounds[1]], chunk)?;
    let rest = bounds[1..]
        .windows(2)
        .map(|w| read_part(name, opts, header, &bytes[w[0]..w[1]], chunk)?.encode())
        .collect::<Option<Vec<_>>>()?;
    Some((first, rest))
}

/// The split reading at `cuts`, or `None` when its parts do not join. The joined table and
/// report cross as the part worker that builds them sends them to the analysis worker.
fn split(name: &str, bytes: &[u8], cuts: &[usize], opts: &Opts, chunk: usize) -> Option<Reading> {
    let (first, rest) = read_parts(name, bytes, cuts, opts, chunk)?;
    let cross = |(table, report): (EventTable, LoadReport)| {
        decode_loaded(&encode_loaded(&table, &report)).expect("a built table crosses whole")
    };
    match join_parts(first, rest) {
        Ok(Some(p)) => Some(p.finish().map(cross)),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

/// The first field in which two tables differ. Revenue is compared by bits (so that a `NaN` or
/// a `-0.0` read apart is not taken for another value).
fn table_difference(a: &EventTable, b: &EventTable) -> Option<&'static str> {
    let bits =
        |t: &EventTable| t.revenue.as_ref().map(|r| r.iter().map(|(row, v)| (row, v.to_bits())).collect::<Vec<_>>());
    [
        ("customers", a.customers == b.customers),
        ("offsets", a.offsets == b.offsets),
        ("ts", a.ts == b.ts),
        ("event", a.event == b.event),
        ("channel", a.channel == b.channel),
        ("stage", a.stage == b.stage),
        ("revenue", bits(a) == bits(b)),
        ("session", a.session == b.session),
        ("attrs", a.attrs == b.attrs),
    ]
    .into_iter()
    .find_map(|(field, same)| (!same).then_some(field))
}

fn assert_same(expected: &Reading, got: &Reading, context: &str) {
    match (expected, got) {
        (Ok((te, re)), Ok((tg, rg))) => {
            assert_eq!(re, rg, "{context}: the reports differ");
            if let Some(field) = table_difference(te, tg) {
                panic!("{context}: the tables' {field} differ");
            }
        }
        (Err(e), Err(g)) => assert_eq!(e, g, "{context}: the errors differ"),
        (e, g) => panic!("{context}: whole reading ok={}, split reading ok={}", e.is_ok(), g.is_ok()),
    }
}

/// Reads `bytes` split at each set of cuts; asserts every joined reading equals `expected`.
/// Returns how many joined.
fn sweep(name: &str, bytes: &[u8], expected: &Reading, cut_sets: &[Vec<usize>], opts: &Opts, chunk: usize) -> usize {
    let mut joined = 0;
    for cuts in cut_sets {
        if let Some(got) = split(name, bytes, cuts, opts, chunk) {
            assert_same(expected, &got, &format!("{name} cut at {cuts:?}, chunks of {chunk}"));
            joined += 1;
        }
    }
    joined
}

/// Every position right after a `\n`, from the end of the header line to before the end.
fn newline_cuts(bytes: &[u8]) -> Vec<usize> {
    (header_line(bytes).len()..bytes.len()).filter(|&i| bytes[i - 1] == b'\n').collect()
}

/// Each single cut: two parts.
fn single_cuts(bytes: &[u8]) -> Vec<Vec<usize>> {
    newline_cuts(bytes).into_iter().map(|c| vec![c]).collect()
}

/// `trials` random sets of cuts making `parts` parts.
fn random_cuts(rng: &mut Rng, bytes: &[u8], parts: usize, trials: usize) -> Vec<Vec<usize>> {
    let candidates = newline_cuts(bytes);
    assert!(candidates.len() >= parts, "too few lines to cut into {parts} parts");
    (0..trials)
        .map(|_| {
            let mut cuts = std::collections::BTreeSet::new();
            while cuts.len() < parts - 1 {
                cuts.insert(candidates[rng.below(candidates.len())]);
            }
            cuts.into_iter().collect()
        })
        .collect()
}

/// Whether a loader reports the file splittable once its header is read. The format is only
/// chosen after the first 4 KiB (or at the end), so a small file's rows are repeated until a
/// loader has been fed that much.
fn probe_splittable(name: &str, bytes: &[u8], opts: &Opts) -> bool {
    let mut l = opts.loader(name);
    let body = &bytes[header_line(bytes).len()..];
    let mut fed = bytes.len();
    if l.push(bytes).is_err() {
        return false;
    }
    while fed < 8192 {
        if l.push(b"\n").is_err() || l.push(body).is_err() {
            return false;
        }
        fed += body.len() + 1;
    }
    l.splittable()
}

// ---------------------------------------------------------------------------------------------
// The generated sample.

fn sample_csv(events: usize, device: bool) -> Vec<u8> {
    let mut out = Vec::new();
    sample::write_csv_with(&sample::generate(sample::DEFAULT_SEED, events), &mut out, device).unwrap();
    out
}

#[test]
fn the_sample_cut_into_2_3_and_5_parts_reads_as_the_whole_file() {
    let mut rng = Rng::new(1);
    for device in [true, false] {
        let bytes = sample_csv(20_000, device);
        let opts = Opts::default();
        assert!(probe_splittable("sample.csv", &bytes, &opts));
        let expected = whole("sample.csv", &bytes, &opts, 64 << 10);
        let (table, report) = expected.as_ref().expect("the sample loads");
        assert_eq!(report.kept.is_empty(), !device, "the device column is kept");
        assert_eq!(table.len(), 20_000);
        for parts in [2, 3, 5] {
            let cuts = random_cuts(&mut rng, &bytes, parts, 2);
            assert_eq!(sweep("sample.csv", &bytes, &expected, &cuts, &opts, 1 << 10), cuts.len());
        }
    }
}

#[test]
fn a_small_sample_fed_in_7_byte_chunks_reads_as_the_whole_file() {
    let mut rng = Rng::new(2);
    let bytes = sample_csv(2_000, true);
    for opts in [Opts::default(), Opts::keep()] {
        let expected = whole("sample.csv", &bytes, &opts, 7);
        assert!(expected.is_ok());
        let cuts: Vec<_> = [2, 3, 5].iter().flat_map(|&p| random_cuts(&mut rng, &bytes, p, 1)).collect();
        assert_eq!(sweep("sample.csv", &bytes, &expected, &cuts, &opts, 7), cuts.len());
    }
}

// ---------------------------------------------------------------------------------------------
// A generated messy file.

/// How a messy file is written.
#[derive(Clone, Copy)]
struct Messy {
    delimiter: char,
    crlf: bool,
    bom: bool,
    /// Some event fields hold a quoted line break.
    breaks: bool,
}

const PLAIN: Messy = Messy { delimiter: ',', crlf: false, bom: false, breaks: false };

/// The variants every messy test reads.
fn variants() -> Vec<Messy> {
    vec![
        PLAIN,
        Messy { crlf: true, ..PLAIN },
        Messy { bom: true, ..PLAIN },
        Messy { delimiter: ';', ..PLAIN },
        Messy { breaks: true, ..PLAIN },
        Messy { breaks: true, crlf: true, delimiter: ';', bom: true },
    ]
}

fn quote(field: &str, delimiter: char) -> String {
    if field.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn messy_timestamp(rng: &mut Rng) -> String {
    let minute = rng.range(0, 3 * 24 * 60);
    let (d, h, m, s) = (1 + minute / 1440, minute / 60 % 24, minute % 60, rng.range(0, 60));
    match rng.below(100) {
        0..=39 => format!("2024-03-{d:02}T{h:02}:{m:02}:{s:02}Z"),
        40..=59 => format!("2024-03-{d:02}T{h:02}:{m:02}:{s:02}+02:00"),
        60..=69 => format!("2024-03-{d:02}T{h:02}:{m:02}:{s:02}-05:30"),
        70..=89 => format!("2024-03-{d:02} {h:02}:{m:02}:{s:02}"),
        90..=94 => "not a time".to_string(),
        _ => "2024-13-45T99:00:00Z".to_string(),
    }
}

/// A messy row's fields; `break_here` puts a line break (`eol`) in the event field.
fn messy_row(rng: &mut Rng, break_here: bool, eol: &str) -> Vec<String> {
    let id = if rng.below(100) < 6 { String::new() } else { format!("c{}", rng.below(40)) };
    let event = if break_here {
        format!("note{eol}line two")
    } else {
        rng.pick(&["visit", "view", "cart", "purchase", "view, product", ""]).to_string()
    };
    let channel = rng.pick(&["email", "seo", "ads", "social", "", "say \"hi\""]).to_string();
    let revenue = match rng.below(10) {
        0..=6 => String::new(),
        7 | 8 => format!("{}.{:02}", rng.below(200), rng.below(100)),
        _ => "abc".to_string(),
    };
    let device = rng.pick(&["mobile", "desktop", "tablet"]).to_string();
    vec![id, messy_timestamp(rng), event, channel, revenue, device]
}

/// A messy file of about `lines` lines, and the cut positions inside its quoted line breaks.
fn messy_csv(seed: u64, lines: usize, m: Messy) -> (Vec<u8>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let eol = if m.crlf { "\r\n" } else { "\n" };
    let d = m.delimiter.to_string();
    let mut out: Vec<u8> = if m.bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
    out.extend(["customer_id", "timestamp", "event", "channel", "revenue", "device"].join(&d).bytes());
    out.extend(eol.bytes());
    let mut inside = Vec::new();
    let mut last = String::new();
    for i in 0..lines {
        let line = match rng.below(100) {
            0..=3 => String::new(),
            4..=7 => format!("c{}{d}{}", rng.below(40), messy_timestamp(&mut rng)),
            8..=13 if !last.is_empty() => last.clone(),
            _ => {
                let break_here = m.breaks && (i == 5 || rng.below(100) < 4);
                let row = messy_row(&mut rng, break_here, eol);
                let line = row.iter().map(|f| quote(f, m.delimiter)).collect::<Vec<_>>().join(&d);
                if break_here {
                    let at = line.find('\n').expect("the break") + 1;
                    inside.push(out.len() + at);
                }
                last = if break_here { String::new() } else { line.clone() };
                line
            }
        };
        out.extend(line.bytes());
        out.extend(eol.bytes());
    }
    (out, inside)
}

/// How many of the cut sets keep clear of the quoted line breaks (all of them should join).
fn clean_sets(cut_sets: &[Vec<usize>], inside: &[usize]) -> usize {
    cut_sets.iter().filter(|cuts| !cuts.iter().any(|c| inside.contains(c))).count()
}

/// Reads the file split at each set of cuts, for both duplicate choices, and asserts exactly
/// the cut sets clear of quoted line breaks join. Returns (joined, not joined).
fn check_messy(name: &str, bytes: &[u8], inside: &[usize], cut_sets: &[Vec<usize>], chunk: usize) -> (usize, usize) {
    let mut counts = (0, 0);
    for opts in [Opts::default(), Opts::keep()] {
        assert!(probe_splittable(name, bytes, &opts), "{name} is splittable");
        let expected = whole(name, bytes, &opts, chunk);
        let joined = sweep(name, bytes, &expected, cut_sets, &opts, chunk);
        assert_eq!(joined, clean_sets(cut_sets, inside), "{name}: the cuts clear of quoted line breaks join");
        counts = (counts.0 + joined, counts.1 + cut_sets.len() - joined);
    }
    counts
}

#[test]
fn a_small_messy_file_cut_at_every_line_reads_as_the_whole_file() {
    for (seed, m) in variants().into_iter().enumerate() {
        let (bytes, inside) = messy_csv(seed as u64, 60, m);
        let cuts = single_cuts(&bytes);
        let (joined, apart) = check_messy("messy.csv", &bytes, &inside, &cuts, 7);
        assert!(joined > 0);
        if m.breaks {
            assert!(!inside.is_empty() && apart > 0, "a cut inside a quoted line break does not join");
        } else {
            assert_eq!(apart, 0);
        }
    }
}

#[test]
fn a_big_messy_file_cut_at_random_lines_reads_as_the_whole_file() {
    let mut rng = Rng::new(3);
    for (seed, m) in variants().into_iter().enumerate() {
        let (bytes, inside) = messy_csv(100 + seed as u64, 3_000, m);
        let mut cuts: Vec<_> = [2, 3, 4].iter().flat_map(|&p| random_cuts(&mut rng, &bytes, p, 3)).collect();
        // And a cut inside a quoted line break, when there is one.
        cuts.extend(inside.first().map(|&c| vec![c]));
        let (joined, apart) = check_messy("messy.csv", &bytes, &inside, &cuts, 1 << 10);
        assert!(joined > 0);
        assert_eq!(apart > 0, m.breaks);
    }
}

#[test]
fn the_messy_file_skips_rows_for_every_reason_it_should() {
    // The generator does exercise what the split readings are compared on.
    let (bytes, _) = messy_csv(100, 3_000, PLAIN);
    let (_, r) = whole("messy.csv", &bytes, &Opts::default(), 1 << 10).unwrap();
    let reasons: Vec<_> = r.skipped.iter().map(|s| s.reason).collect();
    for reason in [SkipReason::MissingId, SkipReason::BadTimestamp, SkipReason::MissingEvent, SkipReason::TooFewFields]
    {
        assert!(reasons.contains(&reason), "{reason:?} in {reasons:?}");
    }
    assert!(r.duplicates > 0 && r.out_of_order > 0 && r.bad_revenue > 0 && r.unzoned_timestamps > 0);
    assert_eq!(r.offsets_minutes, [-330, 0, 120]);
    assert!(!r.kept.is_empty(), "the device column is kept");
}

#[test]
fn a_file_whose_last_line_is_cut_short_reads_as_the_whole_file() {
    for (seed, m) in variants().into_iter().enumerate() {
        let (mut bytes, inside) = messy_csv(200 + seed as u64, 60, m);
        bytes.extend(format!("c1{}2024-03-01T10:00:00Z", m.delimiter).bytes());
        let expected = whole("short.csv", &bytes, &Opts::default(), 7);
        let r = &expected.as_ref().unwrap().1;
        assert!(r.skipped.iter().any(|s| s.reason == SkipReason::TruncatedLastLine), "{:?}", r.skipped);
        let cuts = single_cuts(&bytes);
        let joined = sweep("short.csv", &bytes, &expected, &cuts, &Opts::default(), 7);
        assert_eq!(joined, clean_sets(&cuts, &inside));
    }
}

// ---------------------------------------------------------------------------------------------
// Real fixtures.

/// Plain delimited fixtures with a header line, read as events.
const SPLITTABLE_FIXTURES: &[&str] = &[
    "e2e/attribution-events.csv",
    "e2e/bad_timestamps.csv",
    "e2e/funnel-insight.csv",
    "e2e/funnel-more.csv",
    "e2e/funnel-trend.csv",
    "e2e/journeys.csv",
    "e2e/kept-columns.csv",
    "e2e/markup_channel.csv",
    "e2e/orders.csv",
    "e2e/session_column.csv",
    "e2e/stages.csv",
    "e2e/stitch_pair.csv",
    "e2e/web-paths.csv",
    "vendors/segment_warehouse.csv",
    "vendors/clickstream.csv",
    "vendors/process_mining.csv",
    "vendors/snowplow.tsv",
    "bad/bad_timestamps.csv",
    "bad/too_few_fields.csv",
    "bad/missing_ids.csv",
    "bad/truncated.csv",
    "bad/header_then_blank_lines.csv",
];

/// Fixtures a loader does not offer to read in parts: headerless files (their columns are
/// guessed) and aggregated path tables; and files that do not load at all (no id column).
const UNSPLITTABLE_FIXTURES: &[&str] = &[
    "e2e/headerless.csv",
    "e2e/headerless_sessions.csv",
    "e2e/attribution-paths.csv",
    "e2e/attribution-21-channels.csv",
    "e2e/attribution-badrow.csv",
    "e2e/no_id.csv",
    "bad/no_id_column.csv",
    "bad/no_time_column.csv",
    "bad/no_event_column.csv",
];

fn fixture(path: &str) -> (String, Vec<u8>) {
    let name = path.rsplit('/').next().unwrap().to_string();
    (name, std::fs::read(format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap())
}

#[test]
fn fixtures_cut_at_every_line_read_as_the_whole_file() {
    let opts = Opts::default();
    let mut total = 0;
    for path in SPLITTABLE_FIXTURES {
        let (name, bytes) = fixture(path);
        assert!(probe_splittable(&name, &bytes, &opts), "{path} is splittable");
        let cuts = single_cuts(&bytes);
        for chunk in [7, 1 << 16] {
            let expected = whole(&name, &bytes, &opts, chunk);
            assert_eq!(sweep(&name, &bytes, &expected, &cuts, &opts, chunk), cuts.len(), "{path}");
        }
        total += cuts.len();
    }
    assert!(total > 100, "{total} cuts");
}

#[test]
fn headerless_files_and_path_tables_are_not_splittable() {
    for path in UNSPLITTABLE_FIXTURES {
        let (name, bytes) = fixture(path);
        assert!(!probe_splittable(&name, &bytes, &Opts::default()), "{path} is not splittable");
    }
}

/// A file that cannot be cut (compressed, a JSON array, XES, no header line) is read whole by
/// one part worker, its table built there: the reading crosses as the very table and report
/// reading it in the analysis worker gives. Path tables, identity maps and files that fail
/// do not build there (the analysis worker reads them).
#[test]
fn files_read_whole_in_one_part_worker_read_as_in_the_analysis_worker() {
    let opts = Opts::default();
    let mut gz = fixture("../../static/sample.csv.gz");
    gz.0 = "sample.csv.gz".into();
    let built = [
        gz,
        fixture("vendors/segment.json"),
        fixture("vendors/ga4.jsonl"),
        fixture("vendors/snowplow.tsv"),
        fixture("xes/claims.xes"),
        fixture("e2e/headerless.csv"),
        fixture("e2e/headerless_sessions.csv"),
    ];
    for (name, bytes) in &built {
        let expected = whole(name, bytes, &opts, 1 << 16);
        assert!(expected.as_ref().is_ok_and(|(t, _)| !t.is_empty()), "{name} reads");
        let got = split(name, bytes, &[], &opts, 1 << 16).unwrap_or_else(|| panic!("{name} builds in one part"));
        assert_same(&expected, &got, name);
    }
    for path in ["e2e/attribution-paths.csv", "bad/no_id_column.csv"] {
        let (name, bytes) = fixture(path);
        assert!(split(&name, &bytes, &[], &opts, 1 << 16).is_none(), "{path} is read in the analysis worker");
    }
}

// ---------------------------------------------------------------------------------------------
// Identity pairs, failures, damaged parts.

fn identity_csv(seed: u64, lines: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = String::from("anonymous_id,user_id,timestamp,event,channel\n");
    for _ in 0..lines {
        let anon = if rng.below(100) < 5 { String::new() } else { format!("a{}", rng.below(300)) };
        let known = if rng.below(100) < 30 { format!("u{}", rng.below(100)) } else { String::new() };
        let ts = messy_timestamp(&mut rng);
        let event = rng.pick(&["visit", "login", "purchase"]);
        out.push_str(&format!("{anon},{known},{ts},{event},{}\n", rng.pick(&["email", "seo"])));
    }
    out.into_bytes()
}

#[test]
fn identity_links_of_a_split_reading_match_the_whole_file() {
    let mut rng = Rng::new(4);
    let bytes = identity_csv(5, 3_000);
    let opts = Opts { pair: Some(("anonymous_id".into(), "user_id".into())), ..Opts::default() };
    assert!(probe_splittable("ids.csv", &bytes, &opts));
    let expected = whole("ids.csv", &bytes, &opts, 1 << 10);
    assert!(expected.as_ref().unwrap().1.identity_links.len() > 100);
    let cuts: Vec<_> = [2, 3, 5].iter().flat_map(|&p| random_cuts(&mut rng, &bytes, p, 3)).collect();
    assert_eq!(sweep("ids.csv", &bytes, &expected, &cuts, &opts, 1 << 10), cuts.len());
    let small = identity_csv(6, 60);
    let expected = whole("ids.csv", &small, &opts, 7);
    let cuts = single_cuts(&small);
    assert_eq!(sweep("ids.csv", &small, &expected, &cuts, &opts, 7), cuts.len());
}

#[test]
fn a_file_without_a_usable_row_fails_alike_in_parts() {
    let mut out = String::from("customer_id,timestamp,event,channel\n");
    for i in 0..40 {
        out.push_str(&format!(",2024-03-01T10:{:02}:00Z,visit,email\n", i));
    }
    let bytes = out.into_bytes();
    let expected = whole("noids.csv", &bytes, &Opts::default(), 7);
    assert!(expected.is_err());
    let cuts = single_cuts(&bytes);
    assert_eq!(sweep("noids.csv", &bytes, &expected, &cuts, &Opts::default(), 7), cuts.len());
}

#[test]
fn too_many_events_across_the_parts_fails_alike() {
    let bytes = sample_csv(3_000, false);
    let opts = Opts { max_events: Some(2_000), ..Opts::default() };
    let expected = whole("big.csv", &bytes, &opts, 1 << 10);
    assert!(expected.is_err());
    // Cuts at about a third and two thirds: no part holds more than the limit.
    let lines = newline_cuts(&bytes);
    let cuts = vec![vec![lines[lines.len() / 3], lines[2 * lines.len() / 3]]];
    assert_eq!(sweep("big.csv", &bytes, &expected, &cuts, &opts, 1 << 10), 1);
}

/// The sample's parts at two cuts, the later ones encoded.
fn sample_parts(bytes: &[u8]) -> (LoadPart, Vec<Vec<u8>>) {
    let lines = newline_cuts(bytes);
    let cuts = [lines[lines.len() / 3], lines[2 * lines.len() / 3]];
    read_parts("sample.csv", bytes, &cuts, &Opts::default(), 1 << 16).unwrap()
}

/// A way to damage a part's bytes.
type Damage = Box<dyn Fn(&mut Vec<u8>)>;

#[test]
fn damaged_parts_do_not_join() {
    let bytes = sample_csv(2_000, true);
    let (first, rest) = sample_parts(&bytes);
    assert!(join_parts(first, rest.clone()).unwrap().is_some(), "the undamaged parts join");
    let meta_len = u64::from_le_bytes(rest[0][..8].try_into().unwrap()) as usize;
    let magic = 8 + meta_len;
    assert_eq!(&rest[0][magic..magic + 4], b"TPB2");
    let damages: Vec<(&str, Damage)> = vec![
        ("empty", Box::new(|b| b.clear())),
        ("4 bytes", Box::new(|b| b.truncate(4))),
        ("half the figures", Box::new(move |b| b.truncate(8 + meta_len / 2))),
        ("no rows", Box::new(move |b| b.truncate(magic))),
        ("half the rows", Box::new(|b| b.truncate(b.len() / 2))),
        ("the last byte", Box::new(|b| b.truncate(b.len() - 1))),
        ("the magic flipped", Box::new(move |b| b[magic] ^= 0xff)),
        ("a huge length", Box::new(|b| b[..8].copy_from_slice(&u64::MAX.to_le_bytes()))),
        ("damaged figures", Box::new(|b| b[8] = b'!')),
    ];
    for (what, damage) in &damages {
        for at in 0..2 {
            let (first, mut rest) = sample_parts(&bytes);
            damage(&mut rest[at]);
            let joined = join_parts(first, rest);
            assert!(matches!(joined, Ok(None)), "part {at} with {what} does not join");
        }
    }
}

/// Cuts at even shares of `text`, found through 64 KiB windows as the worker reads them.
fn cuts_of(text: &[u8], parts: usize, after: u64) -> Option<Vec<u64>> {
    let window = |a: u64, b: u64| Ok(text[a as usize..b as usize].to_vec());
    touchpath::core::ingest::cut_points(text.len() as u64, parts, after, window).unwrap()
}

#[test]
fn cut_points_fall_after_the_first_line_break_of_each_share() {
    // 10 lines of 10 bytes (line i at 10i, its break at 10i + 9): shares start at 25, 50 and
    // 75, and the first breaks at or after them are at 29, 59 and 79.
    let text: Vec<u8> = (0..10).flat_map(|i| format!("line {i:03}.\n").into_bytes()).collect();
    assert_eq!(text.len(), 100);
    assert_eq!(cuts_of(&text, 4, 10), Some(vec![30, 60, 80]));
    // A share that starts right on a line start still cuts after that line's break.
    assert_eq!(cuts_of(&text, 2, 10), Some(vec![60]));
    // Cuts inside the head (the first part must hold the header and more) do not count.
    assert_eq!(cuts_of(&text, 4, 30), None);
    // Two shares meeting the same line break, or no line break left: read whole.
    assert_eq!(cuts_of(&text, 60, 0), None);
    assert_eq!(cuts_of(b"no line break here at all", 2, 0), None);
    // A line longer than the 64 KiB window.
    let long: Vec<u8> = [b"a\n".as_slice(), &vec![b'x'; 200_000], b"\nb\n"].concat();
    assert_eq!(cuts_of(&long, 2, 2), None);
}

// ---------------------------------------------------------------------------------------------
// JSON lines: later parts are read with the columns the first part found (no header line).

/// The split reading of a JSON-lines file at `cuts` (the first part holds at least the records
/// that fix the columns), or `None` when its parts do not join.
fn split_json(name: &str, bytes: &[u8], cuts: &[usize], chunk: usize) -> Option<Reading> {
    let bounds: Vec<usize> = once(0).chain(cuts.iter().copied()).chain(once(bytes.len())).collect();
    let mut l = Opts::default().loader(name);
    feed(&mut l, &bytes[..bounds[1]], chunk).ok()?;
    assert!(l.splittable(), "JSON lines with fixed columns are splittable");
    let keys = l.json_keys();
    assert!(keys.is_some(), "the first part fixed the columns");
    let mut first = l.finish_part().ok()?;
    first.set_bytes(&[], count_newlines(&bytes[..bounds[1]]));
    let rest = bounds[1..]
        .windows(2)
        .map(|w| {
            let mut l = Opts::default().loader(name).with_json_keys(keys.clone());
            feed(&mut l, &bytes[w[0]..w[1]], chunk).ok()?;
            let mut part = l.finish_part().ok()?;
            part.set_bytes(&[], count_newlines(&bytes[w[0]..w[1]]));
            part.encode()
        })
        .collect::<Option<Vec<_>>>()?;
    match join_parts(first, rest) {
        Ok(Some(p)) => Some(p.finish()),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

#[test]
fn json_lines_cut_after_the_columns_are_fixed_read_as_the_whole_file() {
    let mut text = Vec::new();
    sample::write_jsonl(&sample::generate(sample::DEFAULT_SEED, 6_000), &mut text).unwrap();
    // Damage in the later parts: a line that is not JSON, one that is not an object, a record
    // without an id, and a key that first appears after the columns were fixed (not a column).
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let mut bytes = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        bytes.extend_from_slice(line);
        match i {
            2_500 => bytes.extend_from_slice(b"{not json\n"),
            3_100 => bytes.extend_from_slice(b"[1, 2]\n"),
            4_000 => bytes
                .extend_from_slice(b"{\"event\": \"visit\", \"timestamp\": \"2024-01-01T00:00:00Z\", \"late\": 1}\n"),
            _ => {}
        }
    }
    let expected = whole("events.jsonl", &bytes, &Opts::default(), 64 << 10);
    let (_, report) = expected.as_ref().expect("the file loads");
    assert_eq!(report.format, "json lines");
    assert_eq!(report.rows_skipped(), 3, "{:?}", report.skipped);
    assert!(!report.headers.iter().any(|h| h == "late"));
    // Cuts after the first 1,000 records (which fix the columns), into 2 to 4 parts.
    let after: Vec<usize> = newline_cuts(&bytes).into_iter().filter(|&c| c > bytes.len() / 4).collect();
    let mut rng = Rng::new(7);
    let mut joined = 0;
    for parts in 2..=4 {
        for _ in 0..6 {
            let mut cuts: Vec<usize> = (1..parts).map(|_| after[rng.below(after.len())]).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let got = split_json("events.jsonl", &bytes, &cuts, 4096).expect("JSON lines always join");
            assert_same(&expected, &got, &format!("JSON lines cut at {cuts:?}"));
            joined += 1;
        }
    }
    assert_eq!(joined, 18);
}

#[test]
fn compressed_files_and_path_tables_are_never_splittable() {
    let mut gz = Opts::default().loader("events.csv.gz");
    gz.push(&sample::sample_csv_gz()[..8192]).unwrap();
    assert!(gz.never_splittable() && !gz.splittable());
    let (name, bytes) = fixture("e2e/attribution-paths.csv");
    let mut table = Opts::default().loader(&name);
    table.push(&bytes).unwrap();
    table.push(&vec![b'\n'; 8192]).unwrap();
    assert!(table.never_splittable() && !table.splittable());
    // A CSV of events is splittable once its header is read, and not "never" before.
    let csv = sample_csv(2_000, false);
    let mut events = Opts::default().loader("events.csv");
    events.push(&csv[..100]).unwrap();
    assert!(!events.never_splittable() && !events.splittable());
    events.push(&csv[100..]).unwrap();
    assert!(events.splittable() && !events.never_splittable());
}

/// Part bytes that count how they are read: the join must copy them out a stretch at a time
/// (the worker leaves them in the JavaScript heap), never ask for bytes past their end, and
/// read every byte once.
struct Counted {
    bytes: Vec<u8>,
    largest: std::cell::Cell<usize>,
    copied: std::cell::Cell<usize>,
}

impl PartBytes for Counted {
    fn len(&self) -> usize {
        self.bytes.len()
    }

    fn copy(&self, at: usize, out: &mut [u8]) {
        out.copy_from_slice(&self.bytes[at..at + out.len()]);
        self.largest.set(self.largest.get().max(out.len()));
        self.copied.set(self.copied.get() + out.len());
    }
}

#[test]
fn parts_held_elsewhere_join_a_stretch_at_a_time() {
    // 60,000 events: each later part's time column alone is about 160 KB, several stretches.
    let bytes = sample_csv(60_000, true);
    let opts = Opts::default();
    let expected = whole("sample.csv", &bytes, &opts, 1 << 16);
    let lines = newline_cuts(&bytes);
    let cuts = [lines[lines.len() / 3], lines[2 * lines.len() / 3]];
    let (first, rest) = read_parts("sample.csv", &bytes, &cuts, &opts, 1 << 16).unwrap();
    let sizes: Vec<usize> = rest.iter().map(Vec::len).collect();
    let counted: Vec<Counted> = rest
        .into_iter()
        .map(|bytes| Counted { bytes, largest: Default::default(), copied: Default::default() })
        .collect();
    // Keep a view of the counters: the parts move into the join.
    let counters: Vec<std::rc::Rc<Counted>> = counted.into_iter().map(std::rc::Rc::new).collect();
    struct Shared(std::rc::Rc<Counted>);
    impl PartBytes for Shared {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn copy(&self, at: usize, out: &mut [u8]) {
            self.0.copy(at, out)
        }
    }
    let shared: Vec<Shared> = counters.iter().map(|c| Shared(c.clone())).collect();
    let got = join_parts(first, shared).unwrap().expect("the parts join").finish();
    assert_same(&expected, &got, "parts joined from counted bytes");
    for (c, size) in counters.iter().zip(sizes) {
        assert!(size > 3 * (1 << 16), "a part of {size} bytes is too small to need stretches");
        // The columns are read in stretches of at most 64 KiB (the figures and each dictionary's
        // text whole: here smaller than that).
        assert!(c.largest.get() <= 1 << 16, "largest copy {} of a {size}-byte part", c.largest.get());
        // Every byte once: the figures are decoded once, before the rows.
        assert_eq!(c.copied.get(), size, "bytes copied out of a {size}-byte part");
    }
}
