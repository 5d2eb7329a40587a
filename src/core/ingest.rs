//! Reading export files into an [`EventTable`].
//!
//! [`Loader`] is push-based: the caller feeds byte chunks as they arrive (from
//! a `Blob` slice, a network stream or a native file) and calls
//! [`Loader::finish`] at the end. Nothing is buffered beyond the current
//! record, so a file of any size streams through bounded memory (plus the
//! table it builds). Gzip is recognised by its magic bytes and decompressed on
//! the fly; the delimiter is sniffed from the header line.
//!
//! Problems come in two kinds: a [`LoadError`] stops the load (empty file,
//! binary data, no id/time/event column, no usable row) and names the file,
//! the line and the reason; a bad row is skipped and counted in the
//! [`LoadReport`] by reason, with the first few line numbers.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::schema::{ColumnOverrides, Mapping, Role};
use super::table::{EventTable, RowRef, TableBuilder};
use super::time::parse_timestamp;

/// How many offending line numbers are kept per skip reason.
pub const MAX_LINES_PER_REASON: usize = 5;
/// How many bytes of the first line are examined to choose a delimiter.
const SNIFF_LIMIT: usize = 64 * 1024;

/// A load that could not produce any data. Shown as `file: line N: message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadError {
    pub file: String,
    pub line: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}: line {}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Why a row was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    MissingId,
    BadTimestamp,
    MissingEvent,
    TooFewFields,
    TruncatedLastLine,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::MissingId => "missing customer id",
            SkipReason::BadTimestamp => "unparseable timestamp",
            SkipReason::MissingEvent => "missing event",
            SkipReason::TooFewFields => "fewer fields than the header",
            SkipReason::TruncatedLastLine => "truncated last line",
        }
    }
}

/// Skipped rows of one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkipStat {
    pub reason: SkipReason,
    pub count: u64,
    /// The first few line numbers (1-based, the header is line 1).
    pub lines: Vec<u64>,
    /// The offending text of the first such row, when there is one.
    pub example: Option<String>,
}

/// What a load read and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    pub file: String,
    /// `csv`, `tsv`, `semicolon-separated`, `pipe-separated`, with ` (gzip)` when compressed.
    pub format: String,
    pub headers: Vec<String>,
    pub mapping: Mapping,
    pub bytes: u64,
    pub rows_read: u64,
    pub rows_used: u64,
    pub skipped: Vec<SkipStat>,
    /// Rows whose timestamp named no zone (read as UTC).
    pub unzoned_timestamps: u64,
    /// Rows whose revenue was present but not a number (row kept, no revenue).
    pub bad_revenue: u64,
}

impl LoadReport {
    pub fn rows_skipped(&self) -> u64 {
        self.skipped.iter().map(|s| s.count).sum()
    }

    fn skip(&mut self, reason: SkipReason, line: u64, example: Option<&str>) {
        let stat = match self.skipped.iter_mut().find(|s| s.reason == reason) {
            Some(s) => s,
            None => {
                self.skipped.push(SkipStat { reason, count: 0, lines: Vec::new(), example: None });
                self.skipped.last_mut().unwrap()
            }
        };
        stat.count += 1;
        if stat.lines.len() < MAX_LINES_PER_REASON {
            stat.lines.push(line);
        }
        if stat.example.is_none() {
            stat.example = example.map(|e| e.chars().take(80).collect());
        }
    }
}

/// Compression detected from the first bytes.
enum Stage {
    /// Not enough bytes yet to tell.
    Sniffing(Vec<u8>),
    Plain,
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
}

/// Streams one file into an event table.
pub struct Loader {
    file: String,
    overrides: ColumnOverrides,
    stage: Stage,
    text: TextParser,
}

impl Loader {
    pub fn new(file: &str, overrides: ColumnOverrides) -> Loader {
        Loader { file: file.to_string(), overrides, stage: Stage::Sniffing(Vec::new()), text: TextParser::default() }
    }

    /// Rows read so far (header excluded).
    pub fn rows_read(&self) -> u64 {
        self.text.report.rows_read
    }

    fn error(&self, line: Option<u64>, message: impl Into<String>) -> LoadError {
        LoadError { file: self.file.clone(), line, message: message.into() }
    }

    /// Feeds the next chunk of the file.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), LoadError> {
        self.text.report.bytes += chunk.len() as u64;
        match &mut self.stage {
            Stage::Sniffing(buf) => {
                buf.extend_from_slice(chunk);
                if buf.len() >= 4 {
                    let buf = std::mem::take(buf);
                    self.choose_stage(&buf)?;
                    self.push_decoded(&buf)?;
                }
                Ok(())
            }
            _ => self.push_decoded(chunk),
        }
    }

    fn choose_stage(&mut self, head: &[u8]) -> Result<(), LoadError> {
        if head.starts_with(&[0x1f, 0x8b]) {
            self.stage = Stage::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Vec::new())));
        } else if head.starts_with(b"PK\x03\x04") {
            return Err(self.error(
                None,
                "this is a zip archive; Touchpath reads CSV, TSV or gzip files (unzip it and drop the files inside)",
            ));
        } else {
            self.stage = Stage::Plain;
        }
        Ok(())
    }

    fn push_decoded(&mut self, chunk: &[u8]) -> Result<(), LoadError> {
        let file = &self.file;
        match &mut self.stage {
            Stage::Gzip(dec) => {
                dec.write_all(chunk).map_err(|e| LoadError {
                    file: file.clone(),
                    line: None,
                    message: format!("the gzip data is damaged ({e})"),
                })?;
                let out = std::mem::take(dec.get_mut());
                let r = self.text.push(&out, &self.overrides, file);
                *dec.get_mut() = out;
                dec.get_mut().clear();
                r
            }
            Stage::Plain => self.text.push(chunk, &self.overrides, file),
            Stage::Sniffing(_) => unreachable!("stage is chosen before decoding"),
        }
    }

    /// Ends the file: flushes the last record and builds the table.
    pub fn finish(mut self) -> Result<(EventTable, LoadReport), LoadError> {
        if let Stage::Sniffing(buf) = &mut self.stage {
            let buf = std::mem::take(buf);
            self.choose_stage(&buf)?;
            self.push_decoded(&buf)?;
        }
        if let Stage::Gzip(dec) = &mut self.stage {
            // `try_finish`, unlike `flush`, fails on a stream cut short or a bad checksum.
            dec.try_finish().map_err(|e| LoadError {
                file: self.file.clone(),
                line: None,
                message: format!("the gzip data is damaged or cut short ({e})"),
            })?;
            let out = std::mem::take(dec.get_mut());
            self.text.push(&out, &self.overrides, &self.file)?;
            self.text.report.format.push_str(" (gzip)");
        }
        self.text.finish(&self.overrides, &self.file)
    }
}

/// Loads a whole in-memory file (convenience for tests and native tools).
pub fn load_bytes(
    file: &str,
    bytes: &[u8],
    overrides: &ColumnOverrides,
) -> Result<(EventTable, LoadReport), LoadError> {
    let mut loader = Loader::new(file, overrides.clone());
    loader.push(bytes)?;
    loader.finish()
}

#[derive(Default)]
struct TextParser {
    /// Bytes of the first line while the delimiter is unknown.
    head: Vec<u8>,
    reader: Option<csv_core::Reader>,
    /// The current record's field bytes and field ends (they persist across chunks).
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Line on which the current record starts.
    record_line: u64,
    header: Option<Vec<String>>,
    mapping: Mapping,
    builder: Option<TableBuilder>,
    report: LoadReport,
    /// Whether the last byte seen was a newline (to tell a truncated last line).
    ended_with_newline: bool,
    /// Field count of the last record, and its line, for the truncation check.
    last_short: Option<(u64, usize)>,
    seen_text: bool,
    /// How many leading bytes have been checked for a zero byte (the first 4096 are).
    checked: usize,
    /// Leading whitespace, held back until text follows so that the reader sees the
    /// same bytes (and counts the same lines) however the file is chunked.
    held: Vec<u8>,
}

impl TextParser {
    fn push(&mut self, chunk: &[u8], overrides: &ColumnOverrides, file: &str) -> Result<(), LoadError> {
        if chunk.is_empty() {
            return Ok(());
        }
        if self.checked < 4096 {
            let n = chunk.len().min(4096 - self.checked);
            if let Some(pos) = chunk[..n].iter().position(|&b| b == 0) {
                return Err(LoadError {
                    file: file.into(),
                    line: None,
                    message: format!(
                        "this does not look like a text export: binary data (a zero byte) at byte {}; expected CSV or TSV text, or gzip",
                        self.checked + pos
                    ),
                });
            }
            self.checked += n;
        }
        self.ended_with_newline = chunk.last() == Some(&b'\n');
        if self.reader.is_none() {
            self.head.extend_from_slice(chunk);
            let has_line = self.head.contains(&b'\n');
            if !has_line && self.head.len() < SNIFF_LIMIT {
                return Ok(());
            }
            let head = std::mem::take(&mut self.head);
            self.start(&head);
            return self.feed(&head, overrides, file);
        }
        self.feed(chunk, overrides, file)
    }

    fn start(&mut self, head: &[u8]) {
        let delimiter = sniff_delimiter(head);
        self.report.format = match delimiter {
            b'\t' => "tsv",
            b';' => "semicolon-separated",
            b'|' => "pipe-separated",
            _ => "csv",
        }
        .to_string();
        self.reader = Some(csv_core::ReaderBuilder::new().delimiter(delimiter).build());
        self.out = vec![0; 4096];
        self.ends = vec![0; 64];
        self.record_line = 1;
    }

    fn feed(&mut self, mut input: &[u8], overrides: &ColumnOverrides, file: &str) -> Result<(), LoadError> {
        if !self.seen_text {
            // Strip a UTF-8 byte-order mark.
            if self.held.is_empty() && input.starts_with(b"\xEF\xBB\xBF") {
                input = &input[3..];
            }
            self.seen_text = input.iter().any(|b| !b.is_ascii_whitespace());
            if !self.seen_text {
                self.held.extend_from_slice(input);
                return Ok(());
            }
            if !self.held.is_empty() {
                let mut all = std::mem::take(&mut self.held);
                all.extend_from_slice(input);
                return self.feed(&all, overrides, file);
            }
        }
        loop {
            let reader = self.reader.as_mut().expect("reader started");
            let (res, nin, nout, nend) =
                reader.read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.ends_len..]);
            // Whether this call consumed a `\n` that ended a record (not so for `\r` or the end of the file).
            let ended_by_newline = nin > 0 && input[nin - 1] == b'\n';
            input = &input[nin..];
            // csv-core reports field ends from the start of the record, across calls, so
            // they index `self.out` as they are.
            self.out_len += nout;
            self.ends_len += nend;
            match res {
                csv_core::ReadRecordResult::InputEmpty => return Ok(()),
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
                    let end_line = self.reader.as_ref().unwrap().line() - u64::from(ended_by_newline);
                    let inner = self.out[..self.out_len].iter().filter(|&&b| b == b'\n').count() as u64;
                    self.record_line = end_line - inner;
                    self.record(overrides, file)?;
                    self.out_len = 0;
                    self.ends_len = 0;
                }
                csv_core::ReadRecordResult::End => return Ok(()),
            }
        }
    }

    fn field(&self, i: usize) -> Option<&[u8]> {
        field(&self.out, &self.ends[..self.ends_len], i)
    }

    fn record(&mut self, overrides: &ColumnOverrides, file: &str) -> Result<(), LoadError> {
        let line = self.record_line;
        if self.header.is_none() {
            let headers: Vec<String> = (0..self.ends_len)
                .map(|i| String::from_utf8_lossy(self.field(i).unwrap()).trim().to_string())
                .collect();
            let mapping = Mapping::detect(&headers).with_overrides(&headers, overrides);
            for role in [Role::Id, Role::Time, Role::Event] {
                if mapping.get(role).is_none() {
                    return Err(LoadError {
                        file: file.into(),
                        line: Some(line),
                        message: format!(
                            "no {} column found in the header ({}); name a column {} or pick one in Columns",
                            role.label().to_lowercase(),
                            headers.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", "),
                            match role {
                                Role::Id => "customer_id, user_id or visitor_id",
                                Role::Time => "timestamp, time, date or event_time",
                                _ => "event, event_name, event_type, action or touchpoint",
                            }
                        ),
                    });
                }
            }
            self.builder =
                Some(TableBuilder::new(mapping.channel.is_some(), mapping.stage.is_some(), mapping.revenue.is_some()));
            self.report.headers = headers;
            self.report.mapping = mapping.clone();
            self.mapping = mapping;
            self.header = Some(self.report.headers.clone());
            return Ok(());
        }
        self.report.rows_read += 1;
        self.last_short = None;
        let (out, ends, n) = (&self.out, &self.ends, self.ends_len);
        let report = &mut self.report;
        let m = &self.mapping;
        let text = |i: Option<usize>| i.and_then(|i| field(out, &ends[..n], i)).map(String::from_utf8_lossy);
        let (Some(id), Some(time), Some(event)) = (text(m.id), text(m.time), text(m.event)) else {
            report.skip(SkipReason::TooFewFields, line, None);
            self.last_short = Some((line, n));
            return Ok(());
        };
        let (id, event) = (id.trim(), event.trim());
        if id.is_empty() {
            report.skip(SkipReason::MissingId, line, None);
            return Ok(());
        }
        let Some(ts) = parse_timestamp(&time) else {
            report.skip(SkipReason::BadTimestamp, line, Some(time.trim()));
            return Ok(());
        };
        if event.is_empty() {
            report.skip(SkipReason::MissingEvent, line, None);
            return Ok(());
        }
        let channel = text(m.channel);
        let stage = text(m.stage);
        let revenue = match text(m.revenue).as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => match r.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    report.bad_revenue += 1;
                    None
                }
            },
        };
        if !ts.zoned {
            report.unzoned_timestamps += 1;
        }
        report.rows_used += 1;
        let row = RowRef {
            customer: id,
            ts: ts.micros,
            event,
            channel: channel.as_deref().map(str::trim),
            stage: stage.as_deref().map(str::trim),
            revenue,
        };
        self.builder.as_mut().expect("header read").push(row);
        Ok(())
    }

    fn finish(mut self, overrides: &ColumnOverrides, file: &str) -> Result<(EventTable, LoadReport), LoadError> {
        if self.reader.is_none() {
            let head = std::mem::take(&mut self.head);
            self.start(&head);
            self.feed(&head, overrides, file)?;
        }
        if !self.seen_text {
            return Err(LoadError { file: file.into(), line: None, message: "the file is empty".into() });
        }
        let used_before = self.report.rows_used;
        let skipped_before = self.report.rows_skipped();
        // An empty input tells csv-core the file has ended; it yields the last record.
        self.feed(&[], overrides, file)?;
        if self.header.is_none() {
            return Err(LoadError { file: file.into(), line: Some(1), message: "the file has no header line".into() });
        }
        let last_record_was_flushed = self.report.rows_used + self.report.rows_skipped() > used_before + skipped_before;
        if last_record_was_flushed && !self.ended_with_newline {
            if let Some((line, fields)) = self.last_short {
                // Re-file the short last row as truncated.
                if let Some(s) = self.report.skipped.iter_mut().find(|s| s.reason == SkipReason::TooFewFields) {
                    s.count -= 1;
                    s.lines.retain(|&l| l != line);
                }
                self.report.skipped.retain(|s| s.count > 0);
                let example = format!("{fields} of {} fields", self.report.headers.len());
                self.report.skip(SkipReason::TruncatedLastLine, line, Some(&example));
            }
        }
        self.report.skipped.sort_by_key(|s| s.reason);
        if self.report.rows_used == 0 {
            let message = if self.report.rows_read == 0 {
                "the file has a header but no rows".to_string()
            } else {
                let first = &self.report.skipped[0];
                format!(
                    "no usable rows: all {} rows were skipped ({}, first at line {}{})",
                    self.report.rows_read,
                    first.reason.describe(),
                    first.lines[0],
                    first.example.as_ref().map(|e| format!(": \"{e}\"")).unwrap_or_default()
                )
            };
            return Err(LoadError { file: file.into(), line: None, message });
        }
        self.report.file = file.to_string();
        let table = self.builder.take().expect("header read").finish();
        Ok((table, self.report))
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
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let mut counts = [0usize; 4];
    let cands = [b',', b'\t', b';', b'|'];
    let mut quoted = false;
    for &b in &head[..line_end] {
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
