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
        let mut scan = Scan::new(input, self.delimiter, self.quoting);
        let mut pos = 0;
        while pos < input.len() {
            if self.fast && self.at_start && rows.header.is_some() && !rows.report.lookup {
                match split_line(&mut scan, pos, &mut self.spans) {
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

    /// Whether the input so far ended between records (no field of a record begun is pending,
    /// so the input did not stop inside a quoted field). Headerless files hold their first
    /// records back: never between records until their roles are guessed.
    pub fn between_records(&self) -> bool {
        self.out_len == 0 && self.ends_len == 0 && self.headerless.is_none()
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

/// Splits the line of `scan`'s input starting at `start` (csv-core being at the start of a
/// record) into field spans, exactly as csv-core would: a field runs to the delimiter or the
/// line's end (`\n`, or `\r\n`); with quoting, a field that starts with `"` runs to the next
/// `"`, which must end it (be followed by the delimiter or the line's end), and keeps the
/// bytes in between (delimiters and `\r` included). A quote inside an unquoted field is an
/// ordinary byte, for csv-core too.
fn split_line(scan: &mut Scan<'_>, start: usize, spans: &mut Vec<(usize, usize)>) -> Split {
    let (input, delimiter) = (scan.input, scan.delimiter);
    match (input[start], input.get(start + 1)) {
        (b'\n', _) => return Split::Blank(start + 1),
        (b'\r', Some(b'\n')) => return Split::Blank(start + 2),
        _ => {}
    }
    spans.clear();
    scan.seek(start);
    let mut i = start;
    loop {
        if scan.quoting && input.get(i) == Some(&b'"') {
            // The closing quote, unless a line break comes first.
            scan.seek(i + 1);
            let close = loop {
                match scan.next().map(|p| (p, input[p])) {
                    Some((p, b'"')) => break p,
                    Some((_, b'\n')) | None => return Split::Slow,
                    Some(_) => {}
                }
            };
            spans.push((i + 1, close));
            i = close + 1;
            match input.get(i) {
                Some(&b) if b == delimiter => {
                    i += 1;
                    scan.seek(i);
                }
                Some(b'\n') => return Split::Line(i, i + 1),
                Some(b'\r') if input.get(i + 1) == Some(&b'\n') => return Split::Line(i, i + 2),
                _ => return Split::Slow,
            }
            continue;
        }
        // The field's end: a `"` or another control byte here is part of the field.
        let end = loop {
            match scan.next() {
                Some(p) if input[p] == delimiter || input[p] == b'\n' || input[p] == b'\r' => break p,
                Some(_) => {}
                None => return Split::Slow,
            }
        };
        spans.push((i, end));
        match input[end] {
            b'\n' => return Split::Line(end, end + 1),
            b'\r' if input.get(end + 1) == Some(&b'\n') => return Split::Line(end, end + 2),
            b'\r' => return Split::Slow,
            _ => i = end + 1,
        }
    }
}

/// A cursor over the bytes of the input that can end a field: the delimiter, `"` when
/// quoting, and every byte below 0x20 (`\n` and `\r` among them), and possibly a few others
/// (the caller checks each byte it is given; see [`block_mask`]). The input is examined a
/// block at a time, each block once however many fields it holds; finding the next such
/// byte is then a count of trailing zeros. (Searching field by field, as before, re-read
/// the word a field shares with the next.)
struct Scan<'a> {
    input: &'a [u8],
    delimiter: u8,
    /// The byte searched for besides the delimiter: `"` when quoting, else the delimiter again.
    quote: u8,
    quoting: bool,
    /// The block starting at `at` (a multiple of [`BLOCK`]): byte `k` of it is marked in
    /// `bits` (bit `k * STRIDE`, or one bit of that byte) when `input[at + k]` can end a
    /// field and lies at or after the cursor.
    at: usize,
    bits: u64,
    /// The cursor: where the next search starts.
    pos: usize,
}

impl<'a> Scan<'a> {
    fn new(input: &'a [u8], delimiter: u8, quoting: bool) -> Scan<'a> {
        let quote = if quoting { b'"' } else { delimiter };
        let mut scan = Scan { input, delimiter, quote, quoting, at: 0, bits: 0, pos: 0 };
        scan.bits = scan.mask_at(0);
        scan
    }

    /// The mask of the block at `at`; bytes past the input's end count as ordinary.
    fn mask_at(&self, at: usize) -> u64 {
        match self.input.get(at..at + BLOCK) {
            Some(b) => block_mask(b.try_into().unwrap(), self.delimiter, self.quote),
            None => {
                let mut b = [b'a'; BLOCK];
                let rest = self.input.get(at..).unwrap_or_default();
                b[..rest.len()].copy_from_slice(rest);
                block_mask(&b, self.delimiter, self.quote)
            }
        }
    }

    /// Moves the cursor to `pos`.
    fn seek(&mut self, pos: usize) {
        let at = pos / BLOCK * BLOCK;
        // Bits of the block before the cursor are cleared as they are passed, so going back
        // (never needed by the line splitter, but cheap to allow) reads the block again.
        if at != self.at || pos < self.pos {
            self.at = at;
            self.bits = self.mask_at(at);
        }
        self.bits &= u64::MAX << ((pos - at) as u32 * STRIDE);
        self.pos = pos;
    }

    /// The first byte at or after the cursor that can end a field, the cursor moving past
    /// it; `None` when the input ends first.
    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.bits != 0 {
                let p = self.at + (self.bits.trailing_zeros() / STRIDE) as usize;
                self.bits &= self.bits - 1;
                self.pos = p + 1;
                return Some(p);
            }
            if self.at + BLOCK >= self.input.len() {
                self.pos = self.input.len();
                return None;
            }
            self.at += BLOCK;
            self.bits = self.mask_at(self.at);
        }
    }
}

/// With WebAssembly SIMD (the browser's build, `.cargo/config.toml`), blocks of sixteen
/// bytes, bit `k` of the mask for byte `k`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
const BLOCK: usize = 16;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
const STRIDE: u32 = 1;

/// Byte `k` of the block is marked when it is `a`, `b` or below 0x20: eight instructions for
/// the sixteen bytes, exact.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn block_mask(block: &[u8; BLOCK], a: u8, b: u8) -> u64 {
    use core::arch::wasm32::{u8x16, u8x16_bitmask, u8x16_eq, u8x16_lt, u8x16_splat, v128_or};
    let [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15] = *block;
    let v = u8x16(b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15);
    let hits =
        v128_or(v128_or(u8x16_eq(v, u8x16_splat(a)), u8x16_eq(v, u8x16_splat(b))), u8x16_lt(v, u8x16_splat(0x20)));
    u64::from(u8x16_bitmask(hits))
}

/// Elsewhere, blocks of one eight-byte word, bit 7 of byte `k` of the mask for byte `k`.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
const BLOCK: usize = 8;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
const STRIDE: u32 = 8;

/// Byte `k` of the block is marked when it is `a`, `b` or below 0x20, and possibly when it
/// follows such a byte (which the line splitter, reading each byte it is pointed to, passes
/// over): a byte `x` is marked by `(x - 1) & !x & 0x80` when zero, so `x ^ a` and `x ^ b` mark
/// `a` and `b`, and `(x - 0x20) & !x & 0x80` the bytes below 0x20; done on a whole word, a
/// byte that borrows from the one below it (just after a marked byte) may be marked too,
/// but a byte that should be never is missed.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn block_mask(block: &[u8; BLOCK], a: u8, b: u8) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let w = u64::from_le_bytes(*block);
    let (va, vb) = (w ^ (LO * u64::from(a)), w ^ (LO * u64::from(b)));
    ((va.wrapping_sub(LO) & !va) | (vb.wrapping_sub(LO) & !vb) | (w.wrapping_sub(LO * 0x20) & !w)) & HI
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
    use crate::core::test_rng::XorShift;

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
        match rows.into_part(true).finish() {
            Ok((table, report)) => format!("{table:?}\n{report:?}\n{:?}", report.skipped_rows),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn block_mask_marks_the_delimiter_the_quote_and_control_bytes() {
        let mut rng = XorShift(0x1234_5678_9abc_def1u64);
        for case in 0..50_000 {
            let state = rng.next();
            let mut block = [0u8; BLOCK];
            for (i, b) in block.iter_mut().enumerate() {
                let pick = (state >> (i * 4 % 60)) as usize % 24;
                *b = match pick {
                    0..=19 => b"ab,\n\r\"\t;\x80\xff\x01\x1f\x20\x21\x23-\x7f\xa2\xac\x00"[pick],
                    _ => (state >> (i * 3 % 56)) as u8,
                };
            }
            let (a, b) = ([b',', b'\t', b';', b'|'][case % 4], [b'"', b',', b'\t'][case % 3]);
            let marked = |k: usize| block[k] == a || block[k] == b || block[k] < 0x20;
            let got = |k: usize| (block_mask(&block, a, b) >> (k as u32 * STRIDE)) & ((1 << STRIDE) - 1) != 0;
            // Every byte that should be is marked; a byte marked besides follows a marked one.
            for k in 0..BLOCK {
                assert!(got(k) == marked(k) || got(k) && (0..k).any(marked), "{block:?} at {k}");
            }
        }
    }

    #[test]
    fn scan_finds_each_byte_that_can_end_a_field() {
        let mut rng = XorShift(0x1234_5678_9abc_def1u64);
        for case in 0..5_000 {
            let state = rng.next();
            let len = (state % 70) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| b"ab,\n\r\"\t;\x80\xff\x01\x1f\x20-\xa2\xac"[((state >> (i % 60)) % 16) as usize])
                .collect();
            let (delimiter, quoting) = ([b',', b'\t', b';'][case % 3], case % 4 != 0);
            let ends = |b: u8| b == delimiter || (quoting && b == b'"') || b < 0x20;
            let want: Vec<usize> = (0..len).filter(|&i| ends(bytes[i])).collect();
            let mut scan = Scan::new(&bytes, delimiter, quoting);
            // From every position, forwards and then backwards: each search lists the rest.
            for from in (0..=len + 1).chain((0..len).rev()) {
                scan.seek(from);
                let found: Vec<usize> = std::iter::from_fn(|| scan.next()).collect();
                assert!(found.windows(2).all(|w| w[0] < w[1]) && found.iter().all(|&i| i >= from && i < len));
                let found: Vec<usize> = found.into_iter().filter(|&i| ends(bytes[i])).collect();
                let rest: Vec<usize> = want.iter().copied().filter(|&i| i >= from).collect();
                assert_eq!(found, rest, "{bytes:?} from {from}");
                assert_eq!(scan.next(), None);
            }
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
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: usize| rng.below(n as u64) as usize;
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
