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
    /// The delimiter, and whether `"` quotes fields (as csv-core was built).
    delimiter: u8,
    quoting: bool,
    /// Whether csv-core has just ended a record (it is at the start of the next one), so that
    /// whole lines may be split here instead ([`split_line`]).
    at_start: bool,
    /// Line breaks consumed by [`split_line`] (csv-core counts only those it reads).
    extra_lines: u64,
    /// Field spans of the line being split (scratch, reused).
    spans: Vec<(usize, usize)>,
    /// Whether whole lines are split here at all (off in tests that compare with csv-core alone).
    fast: bool,
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
            delimiter,
            quoting,
            at_start: false,
            extra_lines: 0,
            spans: Vec::with_capacity(64),
            fast: true,
        }
    }

    pub fn feed(&mut self, input: &[u8], rows: &mut Rows) -> Result<(), LoadError> {
        // The fast path: between records, each whole line of plain fields (the common case) is
        // split right here, borrowing its fields from `input`; csv-core reads everything else
        // (quotes it cannot skip, bare `\r`, a line cut by the chunk's end) one record at a time,
        // then hands back. Both give the same fields and line numbers (tests compare them).
        let last_newline = input.iter().rposition(|&b| b == b'\n');
        let mut utf8 = Utf8Run::default();
        let mut pos = 0;
        while pos < input.len() {
            if self.fast && self.at_start && rows.header.is_some() && !rows.report.lookup {
                match split_line(input, pos, self.delimiter, self.quoting, &mut self.spans) {
                    Split::Blank(next) => {
                        // csv-core skips blank lines too (it counts their `\n`).
                        self.extra_lines += 1;
                        pos = next;
                        continue;
                    }
                    Split::Line(end, next) => {
                        let line = self.reader.line() + self.extra_lines;
                        self.extra_lines += 1;
                        let spans = &self.spans;
                        // Spans start and end at ASCII bytes (delimiters, quotes, line ends),
                        // so they always fall on character boundaries of the line's text.
                        let outcome = match utf8.line(input, pos, end, last_newline) {
                            Some(line_text) => rows
                                .row(line, |i| spans.get(i).map(|&(a, b)| Cow::Borrowed(&line_text[a - pos..b - pos]))),
                            // Not UTF-8: each field as today, replacing what is not.
                            None => rows.row(line, |i| spans.get(i).map(|&(a, b)| text(&input[a..b]))),
                        };
                        self.last_short = (outcome == RowOutcome::Short).then_some((line, spans.len()));
                        pos = next;
                        continue;
                    }
                    Split::Slow => {}
                }
            }
            pos += self.read_record(&input[pos..], rows)?;
        }
        Ok(())
    }

    /// Lets csv-core read until it ends one record (or the input); returns the bytes consumed.
    /// An empty input tells csv-core the file has ended.
    fn read_record(&mut self, mut input: &[u8], rows: &mut Rows) -> Result<usize, LoadError> {
        let mut consumed = 0;
        self.at_start = false;
        loop {
            let (res, nin, nout, nend) =
                self.reader.read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.ends_len..]);
            // Whether this call consumed a `\n` that ended a record (not so for `\r` or the end of the file).
            let ended_by_newline = nin > 0 && input[nin - 1] == b'\n';
            input = &input[nin..];
            consumed += nin;
            self.out_len += nout;
            self.ends_len += nend;
            match res {
                csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End => return Ok(consumed),
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
                    let end_line = self.reader.line() + self.extra_lines - u64::from(ended_by_newline);
                    let inner = self.out[..self.out_len].iter().filter(|&&b| b == b'\n').count() as u64;
                    self.record(end_line - inner, rows)?;
                    self.out_len = 0;
                    self.ends_len = 0;
                    self.at_start = true;
                    return Ok(consumed);
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
        self.read_record(&[], rows)?;
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

/// How [`split_line`] found the line starting at a position.
enum Split {
    /// A blank line (`\n` or `\r\n`), which csv-core skips; the next line starts at `.0`.
    Blank(usize),
    /// A line of fields ending at `.0` (its `\r\n` or `\n`), the next line starting at `.1`.
    Line(usize, usize),
    /// Anything csv-core must read: a quote it does not simply strip, a `\r` not before a
    /// `\n`, a quoted line break, or no line break before the end of the input.
    Slow,
}

/// Splits the line of `input` starting at `start` (csv-core being at the start of a record)
/// into field spans, exactly as csv-core would: a field runs to the delimiter or the line's
/// end (`\n`, or `\r\n`); with quoting, a field that starts with `"` runs to the next `"`,
/// which must end it (be followed by the delimiter or the line's end), and keeps the bytes in
/// between (delimiters and `\r` included). A quote inside an unquoted field is an ordinary
/// byte, for csv-core too.
fn split_line(input: &[u8], start: usize, delimiter: u8, quoting: bool, spans: &mut Vec<(usize, usize)>) -> Split {
    match (input[start], input.get(start + 1)) {
        (b'\n', _) => return Split::Blank(start + 1),
        (b'\r', Some(b'\n')) => return Split::Blank(start + 2),
        _ => {}
    }
    spans.clear();
    let mut i = start;
    loop {
        let field_start = i;
        if quoting && input.get(i) == Some(&b'"') {
            let Some(close) = find3(&input[i + 1..], b'"', b'\n', b'\n') else {
                return Split::Slow;
            };
            let close = i + 1 + close;
            if input[close] != b'"' {
                return Split::Slow;
            }
            spans.push((field_start + 1, close));
            i = close + 1;
            match input.get(i) {
                Some(&b) if b == delimiter => i += 1,
                Some(b'\n') => return Split::Line(i, i + 1),
                Some(b'\r') if input.get(i + 1) == Some(&b'\n') => return Split::Line(i, i + 2),
                _ => return Split::Slow,
            }
            continue;
        }
        let Some(n) = find3(&input[i..], delimiter, b'\n', b'\r') else {
            return Split::Slow;
        };
        let end = i + n;
        spans.push((field_start, end));
        match input[end] {
            b'\n' => return Split::Line(end, end + 1),
            b'\r' if input.get(end + 1) == Some(&b'\n') => return Split::Line(end, end + 2),
            b'\r' => return Split::Slow,
            _ => i = end + 1,
        }
    }
}

/// The position of the first byte of `bytes` that is `a`, `b` or `c`, looking at eight bytes
/// at a time: a byte equal to `x` is a zero byte of `word ^ x`, and `(v - 0x01…) & !v & 0x80…`
/// marks zero bytes of `v` (exactly so up to its first one, the lowest, which is all we need).
fn find3(bytes: &[u8], a: u8, b: u8, c: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let (wa, wb, wc) = (LO * u64::from(a), LO * u64::from(b), LO * u64::from(c));
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let w = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        let found = zero(w ^ wa) | zero(w ^ wb) | zero(w ^ wc);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..].iter().position(|&x| x == a || x == b || x == c).map(|p| at + p)
}

/// UTF-8 validation for whole lines, done once for a run of lines rather than per field:
/// `input[from..to]` is known to be UTF-8, as `text`.
#[derive(Default)]
struct Utf8Run<'a> {
    from: usize,
    to: usize,
    text: &'a str,
}

impl<'a> Utf8Run<'a> {
    /// The line `input[start..end]` as text, or `None` when it is not UTF-8. Checks from
    /// `start` to the input's last line break when the line lies beyond the checked run; a
    /// run stops at the first invalid byte, so the input is checked about once in all.
    fn line(&mut self, input: &'a [u8], start: usize, end: usize, last_newline: Option<usize>) -> Option<&'a str> {
        if start < self.from || end > self.to {
            let stop = last_newline.map_or(input.len(), |n| n + 1).max(end);
            let valid = match std::str::from_utf8(&input[start..stop]) {
                Ok(text) => text,
                // The bytes before the first invalid one are valid, so this cannot fail.
                Err(e) => std::str::from_utf8(&input[start..start + e.valid_up_to()]).unwrap_or_default(),
            };
            (self.from, self.to, self.text) = (start, start + valid.len(), valid);
        }
        if end > self.to {
            return None;
        }
        self.text.get(start - self.from..end - self.from)
    }
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

#[cfg(test)]
mod tests {
    use super::super::ColumnNames;
    use super::*;

    /// Reads `bytes` as the loader does, in chunks of at most `chunk` bytes, with or without
    /// the line-splitting fast path; the outcome as comparable text.
    fn read(bytes: &[u8], chunk: usize, fast: bool, unquoted: bool) -> String {
        let mut rows = Rows { file: "f".into(), ..Default::default() };
        if unquoted {
            let names = ["customer_id", "timestamp", "event", "channel", "revenue"].map(String::from).to_vec();
            rows.names = Some(ColumnNames { names, by: "test".into(), forced: true });
        }
        let mut parser = CsvParser::new(bytes, &mut rows);
        parser.fast = fast;
        for piece in bytes.chunks(chunk.max(1)) {
            if let Err(e) = parser.feed(piece, &mut rows) {
                return format!("error: {e}");
            }
        }
        if let Err(e) = parser.finish(&mut rows, bytes.last() == Some(&b'\n')) {
            return format!("error: {e}");
        }
        if rows.header.is_none() {
            return "no header".into();
        }
        match rows.finish() {
            Ok((table, report)) => format!("{table:?}\n{report:?}\n{:?}", report.skipped_rows),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn find3_finds_the_first_of_three_bytes() {
        let mut state = 0x1234_5678_9abc_def1u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            let bytes: Vec<u8> = (0..len).map(|i| b"ab,\n\r\x80\xff\x01"[((state >> (i % 60)) % 8) as usize]).collect();
            let want = bytes.iter().position(|&x| x == b',' || x == b'\n' || x == b'\r');
            assert_eq!(find3(&bytes, b',', b'\n', b'\r'), want, "{bytes:?}");
        }
    }

    #[test]
    fn split_lines_read_as_csv_core_reads_them() {
        let pieces: [&[u8]; 24] = [
            b"a",
            b"cust-1",
            b"b b",
            b" c ",
            b"2024-03-01T10:00:00Z",
            b"2024-03-01 10:05:00",
            b"1709287200",
            b"visit",
            b"12.5",
            b"",
            b",",
            b",",
            b",",
            b"\t",
            b"\"",
            b"\"q,\"",
            b"\"\"",
            b"\n",
            b"\n",
            b"\r\n",
            b"\r",
            b"\xff",
            b"\xc3\xa9",
            b"\xc3",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for case in 0..3000 {
            let mut bytes = b"customer_id,timestamp,event,channel,revenue\n".to_vec();
            for _ in 0..next(12) {
                // Mostly well-formed rows, with random pieces in between.
                if next(3) == 0 {
                    for _ in 0..1 + next(8) {
                        bytes.extend_from_slice(pieces[next(pieces.len())]);
                    }
                } else {
                    let row: [&[u8]; 5] =
                        [pieces[next(4)], pieces[4 + next(3)], pieces[7], pieces[next(4)], pieces[8 + next(2)]];
                    bytes.extend_from_slice(&row.join(&b","[..]));
                    bytes.extend_from_slice(pieces[17 + next(4)]);
                }
            }
            let unquoted = case % 4 == 3;
            let expected = read(&bytes, usize::MAX, false, unquoted);
            for chunk in [usize::MAX, 1 + next(bytes.len()), 7] {
                assert_eq!(
                    read(&bytes, chunk, true, unquoted),
                    expected,
                    "{:?} in chunks of {chunk}",
                    bytes.escape_ascii().to_string()
                );
            }
        }
    }
}
