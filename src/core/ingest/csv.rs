//! Delimited text (CSV, TSV, semicolon, pipe) on top of `csv-core`'s push parser.

use std::borrow::Cow;
use std::collections::HashSet;

use super::{is_adobe_hit_data, LoadError, RowOutcome, Rows, SkipReason, ADOBE_NAMES_HINT};
use crate::core::schema::{normalise_header, ColumnOverrides, Mapping, Role};
use crate::core::time::parse_timestamp;

/// Records of a file without a header line read before its columns' roles are guessed.
const HEADERLESS_SAMPLE: usize = 1000;

pub(super) struct CsvParser {
    reader: csv_core::Reader,
    /// The current record's field bytes and field ends (they persist across chunks;
    /// csv-core reports field ends from the start of the record, across calls).
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Line and field count of the last record when it was short, for the truncation check.
    last_short: Option<(u64, usize)>,
    /// A file without a header line: its first records, held until the roles are guessed.
    headerless: Option<Vec<(u64, Vec<String>)>>,
}

impl CsvParser {
    /// Starts a parser whose delimiter is sniffed from `head` (the first line at least).
    pub fn new(head: &[u8], rows: &mut Rows) -> CsvParser {
        let delimiter = sniff_delimiter(head);
        rows.report.format = match delimiter {
            b'\t' => "tsv",
            b';' => "semicolon-separated",
            b'|' => "pipe-separated",
            _ => "csv",
        }
        .to_string();
        // Adobe writes its data feed without quoting (a `"` is an ordinary character).
        let quoting = !rows.names.as_ref().is_some_and(|n| n.forced);
        CsvParser {
            reader: csv_core::ReaderBuilder::new().delimiter(delimiter).quoting(quoting).build(),
            out: vec![0; 4096],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            last_short: None,
            headerless: None,
        }
    }

    pub fn feed(&mut self, mut input: &[u8], rows: &mut Rows) -> Result<(), LoadError> {
        loop {
            let (res, nin, nout, nend) =
                self.reader.read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.ends_len..]);
            // Whether this call consumed a `\n` that ended a record (not so for `\r` or the end of the file).
            let ended_by_newline = nin > 0 && input[nin - 1] == b'\n';
            input = &input[nin..];
            self.out_len += nout;
            self.ends_len += nend;
            match res {
                csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End => return Ok(()),
                csv_core::ReadRecordResult::OutputFull => {
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    // The record starts on the line it ends on, less the line breaks inside
                    // its quoted fields (csv-core counts every `\n`, and skips blank lines).
                    let end_line = self.reader.line() - u64::from(ended_by_newline);
                    let inner = self.out[..self.out_len].iter().filter(|&&b| b == b'\n').count() as u64;
                    self.record(end_line - inner, rows)?;
                    self.out_len = 0;
                    self.ends_len = 0;
                }
            }
        }
    }

    fn record(&mut self, line: u64, rows: &mut Rows) -> Result<(), LoadError> {
        let (out, ends) = (&self.out[..], &self.ends[..self.ends_len]);
        if rows.report.lookup {
            return Ok(());
        }
        if rows.header.is_none() {
            let fields =
                (0..ends.len()).map(|i| String::from_utf8_lossy(field(out, ends, i).unwrap()).trim().to_string());
            let fields: Vec<String> = fields.collect();
            if rows.skip_lookups && self.headerless.is_none() && looks_like_lookup(&fields) {
                rows.report.lookup = true;
                rows.report.headers = fields.clone();
                rows.header = Some(fields);
                return Ok(());
            }
            // Names given for the file: a first line of those very names is its header.
            let is_data = match &rows.names {
                Some(n) if n.forced => {
                    let norm = |v: &[String]| v.iter().map(|h| normalise_header(h)).collect::<Vec<_>>();
                    norm(&fields) != norm(&n.names)
                }
                _ => looks_like_data(&fields),
            };
            if let Some(n) = rows.names.as_ref().filter(|n| n.forced && is_data && self.headerless.is_none()) {
                if fields.len() != n.names.len() {
                    return Err(LoadError {
                        file: rows.file.clone(),
                        line: Some(line),
                        message: format!(
                            "{} names {} columns but this line has {} fields: are they from the same data feed?",
                            n.by,
                            n.names.len(),
                            fields.len()
                        ),
                    });
                }
            }
            match &mut self.headerless {
                Some(pending) => pending.push((line, fields)),
                None if is_data => self.headerless = Some(vec![(line, fields)]),
                None => return rows.set_header(fields, line),
            }
            if self.headerless.as_ref().is_some_and(|p| p.len() >= HEADERLESS_SAMPLE) {
                self.fix_headerless(rows)?;
            }
            return Ok(());
        }
        let outcome = rows.row(line, |i| field(out, ends, i).map(text));
        self.last_short = (outcome == RowOutcome::Short).then_some((line, ends.len()));
        Ok(())
    }

    /// Names the columns of a file without a header `column_1`, `column_2`, …, guesses their
    /// roles from the records held (the user's choices win), and reads those records.
    fn fix_headerless(&mut self, rows: &mut Rows) -> Result<(), LoadError> {
        let Some(pending) = self.headerless.take() else { return Ok(()) };
        let mut width = pending.iter().map(|(_, f)| f.len()).max().unwrap_or(0);
        let names = rows.names.clone().unwrap_or_default();
        if names.forced {
            width = width.max(names.names.len());
        }
        let name = |i: usize| names.names.get(i).map(|n| n.trim()).filter(|n| !n.is_empty());
        let headers: Vec<String> =
            (0..width).map(|i| name(i).map_or_else(|| format!("column_{}", i + 1), str::to_string)).collect();
        let named = (0..width).any(|i| name(i).is_some());
        // Roles the names give are recognised by name (as for a header line); the others are
        // guessed from the values, in columns the names left free.
        let by_name = if named {
            Mapping::for_header(&headers, rows.preset, &ColumnOverrides::default())
        } else {
            Mapping::default()
        };
        let used: Vec<usize> = Role::ALL
            .iter()
            .filter_map(|r| by_name.get(*r))
            .chain(by_name.fallbacks.iter().flat_map(|f| f.1.iter().copied()))
            .chain(by_name.id_joined_with)
            .collect();
        for (role, col) in guess_roles(&pending, width) {
            let open = by_name.get(role).is_none() && !used.contains(&col);
            let derived = role == Role::Channel && by_name.derived_channel.is_some();
            if open && !derived && !rows.overrides.0.iter().any(|(r, _)| *r == role) {
                rows.overrides.set(role, headers[col].clone());
            }
        }
        rows.report.headerless = true;
        if named {
            rows.report.named_by = Some(names.by.clone());
        } else if is_adobe_hit_data(&rows.file) {
            rows.report.notes.push(format!("{}.", capitalise(ADOBE_NAMES_HINT)));
        }
        rows.set_header(headers, pending.first().map_or(1, |p| p.0))?;
        for (line, fields) in &pending {
            let outcome = rows.row(*line, |i| fields.get(i).map(|f| Cow::Borrowed(f.as_str())));
            self.last_short = (outcome == RowOutcome::Short).then_some((*line, fields.len()));
        }
        Ok(())
    }

    /// Flushes the last record; a short last row without a final newline is re-filed as truncated.
    pub fn finish(&mut self, rows: &mut Rows, ended_with_newline: bool) -> Result<(), LoadError> {
        let seen_before = rows.report.rows_read;
        // An empty input tells csv-core the file has ended; it yields the last record.
        self.feed(&[], rows)?;
        self.fix_headerless(rows)?;
        let last_record_was_flushed = rows.report.rows_read > seen_before;
        if let (true, false, Some((line, fields))) = (last_record_was_flushed, ended_with_newline, self.last_short) {
            let example = format!("{fields} of {} fields", rows.report.headers.len());
            rows.report.refile(line, SkipReason::TooFewFields, SkipReason::TruncatedLastLine, &example);
        }
        Ok(())
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Whether a first line is a lookup table's (Adobe's `event.tsv`, `browser.tsv`: an id and a
/// name, sometimes a third column): two or three fields, the first a whole number, no date.
fn looks_like_lookup(fields: &[String]) -> bool {
    (2..=3).contains(&fields.len())
        && !fields[0].is_empty()
        && fields[0].bytes().all(|b| b.is_ascii_digit())
        && !looks_like_data(fields)
}

/// A field as text: borrowed when it is valid UTF-8 (the fast, common case).
fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// Field `i` of a record held as concatenated bytes and field end offsets.
fn field<'a>(out: &'a [u8], ends: &[usize], i: usize) -> Option<&'a [u8]> {
    let end = *ends.get(i)?;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    Some(&out[start..end])
}

/// Chooses the delimiter that occurs most often (outside quotes) in the first line.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let text = head.iter().position(|b| !b.is_ascii_whitespace()).map_or(head, |i| &head[i..]);
    let line_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    let mut counts = [0usize; 4];
    let cands = [b',', b'\t', b';', b'|'];
    let mut quoted = false;
    for &b in &text[..line_end] {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = cands.iter().position(|&c| c == b) {
                counts[i] += 1;
            }
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap();
    if counts[best] == 0 {
        b','
    } else {
        cands[best]
    }
}

/// Whether a first line is a record rather than a header: a field is a date and time (a
/// header never is).
fn looks_like_data(fields: &[String]) -> bool {
    fields.iter().any(|f| f.bytes().filter(u8::is_ascii_digit).count() >= 8 && parse_timestamp(f).is_some())
}

/// Words that name channels and lifecycle stages, to recognise such columns by their values.
const CHANNEL_WORDS: [&str; 18] = [
    "search",
    "mail",
    "social",
    "direct",
    "display",
    "referral",
    "organic",
    "paid",
    "cpc",
    "affiliate",
    "sms",
    "push",
    "facebook",
    "google",
    "newsletter",
    "webinar",
    "store",
    "call",
];
const STAGE_WORDS: [&str; 8] =
    ["awareness", "consideration", "purchase", "retention", "advocacy", "loyalty", "acquisition", "activation"];

/// Guesses column roles from sample records of a file without a header:
/// - time: the column with the most dates and times (at least half its values);
/// - channel and stage: columns whose values are mostly channel or stage words;
/// - customer id: the other column with the most distinct values (not decimal numbers), preferring
///   values with digits;
/// - event: the other text column with the fewest distinct values (at least 2, at most half the
///   rows), preferring values without digits;
/// - revenue: another column of numbers, some with decimals.
pub(super) fn guess_roles(records: &[(u64, Vec<String>)], width: usize) -> Vec<(Role, usize)> {
    struct Stats {
        filled: usize,
        times: usize,
        numbers: usize,
        decimals: usize,
        channel_words: usize,
        stage_words: usize,
        with_digits: usize,
        distinct: usize,
    }
    let stats: Vec<Stats> = (0..width)
        .map(|c| {
            let values: Vec<&str> =
                records.iter().filter_map(|(_, f)| f.get(c)).map(|v| v.as_str()).filter(|v| !v.is_empty()).collect();
            let lower: Vec<String> = values.iter().map(|v| v.to_lowercase()).collect();
            let has = |words: &[&str]| lower.iter().filter(|v| words.iter().any(|w| v.contains(w))).count();
            Stats {
                filled: values.len(),
                times: values.iter().filter(|v| v.len() >= 8 && parse_timestamp(v).is_some()).count(),
                numbers: values.iter().filter(|v| v.parse::<f64>().is_ok()).count(),
                decimals: values.iter().filter(|v| v.contains('.') && v.parse::<f64>().is_ok()).count(),
                channel_words: has(&CHANNEL_WORDS),
                stage_words: has(&STAGE_WORDS),
                with_digits: values.iter().filter(|v| v.bytes().any(|b| b.is_ascii_digit())).count(),
                distinct: values.iter().collect::<HashSet<_>>().len(),
            }
        })
        .collect();
    let share = |n: usize, s: &Stats| s.filled > 0 && n * 10 >= s.filled * 9;
    let mostly = |n: usize, s: &Stats| s.filled > 0 && n * 2 >= s.filled;
    let mut taken = vec![false; width];
    let mut roles = Vec::new();
    let mut pick = |role: Role, c: Option<usize>, taken: &mut Vec<bool>| {
        if let Some(c) = c {
            taken[c] = true;
            roles.push((role, c));
        }
    };
    let time =
        (0..width).filter(|&c| mostly(stats[c].times, &stats[c])).max_by_key(|&c| (stats[c].times, usize::MAX - c));
    pick(Role::Time, time, &mut taken);
    let best = |taken: &[bool], score: &dyn Fn(&Stats) -> Option<(bool, usize)>| {
        (0..width)
            .filter(|&c| !taken[c])
            .filter_map(|c| score(&stats[c]).map(|s| (s, usize::MAX - c)))
            .max()
            .map(|(_, c)| usize::MAX - c)
    };
    let channel = best(&taken, &|s| mostly(s.channel_words, s).then_some((true, s.channel_words)));
    pick(Role::Channel, channel, &mut taken);
    let stage = best(&taken, &|s| mostly(s.stage_words, s).then_some((true, s.stage_words)));
    pick(Role::Stage, stage, &mut taken);
    // Ids usually hold digits (u1, cust-0042, uuids); event names usually do not.
    let id = best(&taken, &|s| (s.filled > 0 && s.decimals == 0).then_some((mostly(s.with_digits, s), s.distinct)));
    pick(Role::Id, id, &mut taken);
    let event = (0..width)
        .filter(|&c| {
            let s = &stats[c];
            !taken[c] && s.filled > 0 && !mostly(s.numbers, s) && s.distinct >= 2 && s.distinct * 2 <= s.filled
        })
        .min_by_key(|&c| (mostly(stats[c].with_digits, &stats[c]), stats[c].distinct, c));
    pick(Role::Event, event, &mut taken);
    let revenue = best(&taken, &|s| (s.decimals > 0 && share(s.numbers, s)).then_some((true, s.numbers)));
    pick(Role::Revenue, revenue, &mut taken);
    roles
}
