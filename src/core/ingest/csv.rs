//! Delimited text (CSV, TSV, semicolon, pipe) on top of `csv-core`'s push parser.

use std::borrow::Cow;
use std::collections::HashSet;

use super::{LoadError, RowOutcome, Rows, SkipReason};
use crate::core::schema::Role;
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
        CsvParser {
            reader: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
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
        if rows.header.is_none() {
            let fields =
                (0..ends.len()).map(|i| String::from_utf8_lossy(field(out, ends, i).unwrap()).trim().to_string());
            let fields: Vec<String> = fields.collect();
            match &mut self.headerless {
                Some(pending) => pending.push((line, fields)),
                None if looks_like_data(&fields) => self.headerless = Some(vec![(line, fields)]),
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
        let width = pending.iter().map(|(_, f)| f.len()).max().unwrap_or(0);
        let headers: Vec<String> = (1..=width).map(|i| format!("column_{i}")).collect();
        for (role, col) in guess_roles(&pending, width) {
            if !rows.overrides.0.iter().any(|(r, _)| *r == role) {
                rows.overrides.set(role, headers[col].clone());
            }
        }
        rows.report.headerless = true;
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
