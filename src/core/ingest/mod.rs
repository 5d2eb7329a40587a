//! Reading export files into an [`EventTable`].
//!
//! [`Loader`] is push-based: the caller feeds byte chunks as they arrive (from
//! a `Blob` slice, a network stream or a native file) and calls
//! [`Loader::finish`] at the end. Nothing is buffered beyond the current
//! record, so a file of any size streams through bounded memory (plus the
//! table it builds). Gzip is recognised by its magic bytes and decompressed on
//! the fly. Text starting with `{` is JSON lines, with `[` a JSON array
//! ([`json`]), with `<` an XES event log; anything else is delimited text whose
//! delimiter is sniffed from the header line.
//!
//! Problems come in two kinds: a [`LoadError`] stops the load (empty file,
//! binary data, no id/time/event column, no usable row) and names the file,
//! the line and the reason; a bad row is skipped and counted in the
//! [`LoadReport`] by reason, with the first few line numbers.

mod csv;
pub mod json;
mod parts;
pub use parts::{count_newlines, cut_points, decode_loaded, encode_loaded, join_parts, LoadPart};
pub mod pathtable;
mod records;
mod xes;

use std::borrow::Cow;
use std::io::Write;

use serde::{Deserialize, Serialize};

use super::attribution::Journeys;
use super::channel::{adobe_channel, default_channel};
use super::schema::{adobe_purchase_revenue, last_segment, normalise_header, ColumnOverrides, Mapping, Preset, Role};
use super::table::{Duplicates, EventTable, RowRef, TableBuilder};
use super::time::{format_timestamp, parse_timestamp_with, trim, DayCache, Parsed};

/// How many offending line numbers are kept per skip reason for display.
pub const MAX_LINES_PER_REASON: usize = 5;
/// The most events one load may hold. WebAssembly gives a tab 4 GiB, and loading peaks at
/// about 64 bytes per event (the columns being built and the table they become); past this
/// a load stops with a message instead of running out of memory.
pub const MAX_EVENTS: u64 = 50_000_000;
/// How many skipped rows are listed in full per file (for the CSV download).
pub const MAX_SKIPPED_ROWS: usize = 100_000;
/// How many leading bytes are checked for binary data (a zero byte) before anything is parsed.
const BINARY_CHECK: usize = 4096;
/// How many bytes of the first line are examined to choose a delimiter.
const SNIFF_LIMIT: usize = 64 * 1024;
/// The pieces a chunk is read in ([`Loader::push`]).
const PIECE: usize = 256 * 1024;

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
    InvalidJson,
    /// Path tables: a count or value that is not a number ≥ 0.
    BadNumber,
    /// Path tables: a row whose path names no touch.
    EmptyPath,
    /// Adobe data feeds: `exclude_hit` is not 0 (Adobe leaves the hit out of reports).
    ExcludedHit,
    /// Adobe data feeds: `hit_source` 5, 7, 8 or 9 (data-source summary or transaction-id rows).
    DataSourceHit,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::MissingId => "missing customer id",
            SkipReason::BadTimestamp => "unparseable timestamp",
            SkipReason::MissingEvent => "missing event",
            SkipReason::TooFewFields => "fewer fields than the header",
            SkipReason::TruncatedLastLine => "truncated last line",
            SkipReason::InvalidJson => "invalid JSON",
            SkipReason::BadNumber => "count or value not a number ≥ 0",
            SkipReason::EmptyPath => "empty path",
            SkipReason::ExcludedHit => "excluded by Adobe (exclude_hit not 0)",
            SkipReason::DataSourceHit => "Adobe data-source row (hit_source 5, 7, 8 or 9), not a hit",
        }
    }
}

/// One skipped row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedRow {
    pub line: u64,
    pub reason: SkipReason,
    /// The offending text, when there is one (cut at 200 characters).
    pub detail: Option<String>,
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
    /// Every skipped row, up to [`MAX_SKIPPED_ROWS`], for the CSV download. Not serialised:
    /// it stays where the file was read (the worker) and is fetched on demand.
    #[serde(skip)]
    pub skipped_rows: Vec<SkippedRow>,
    /// Distinct (anonymous id, known id) pairs seen, for identity stitching. Not serialised.
    #[serde(skip)]
    pub identity_links: Vec<(String, String)>,
    /// Whether the file is an identity map (id pairs only, no events).
    pub identity_map: bool,
    /// Whether the file had no header line: its columns are named `column_1`, `column_2`, …
    /// and their roles were guessed from the values.
    #[serde(default)]
    pub headerless: bool,
    /// For a file without a header line: where its column names came from (`names=` in the
    /// link, or an Adobe feed's `column_headers.tsv`), when not `column_1`, `column_2`, ….
    #[serde(default)]
    pub named_by: Option<String>,
    /// Notes on how the file was read, shown with its data quality.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Whether the file is a lookup table of an Adobe data feed (id → name, no events): it is
    /// not loaded.
    #[serde(default)]
    pub lookup: bool,
    /// An aggregated path table's journeys (the file has no events). Not serialised: the
    /// worker keeps them; the summary describes them.
    #[serde(skip)]
    pub path_table: Option<std::sync::Arc<Journeys>>,
    /// `csv`, `tsv`, `semicolon-separated`, `pipe-separated`, `json lines` or `json`,
    /// with ` (gzip)` when compressed.
    pub format: String,
    pub headers: Vec<String>,
    pub mapping: Mapping,
    /// Further columns kept as dimensions (indices into `headers`), in the table's order.
    #[serde(default)]
    pub kept: Vec<usize>,
    pub bytes: u64,
    pub rows_read: u64,
    pub rows_used: u64,
    pub skipped: Vec<SkipStat>,
    /// Rows whose timestamp named no zone (read as UTC).
    pub unzoned_timestamps: u64,
    /// Rows whose revenue was present but not a number (row kept, no revenue).
    pub bad_revenue: u64,
    /// Exact duplicate rows (same customer, time, event, channel, stage and revenue as an earlier row).
    pub duplicates: u64,
    /// Whether those duplicates were dropped (the default) or kept.
    pub duplicates_dropped: bool,
    /// Rows whose time is earlier than the row before them in the file (they are sorted; counted).
    pub out_of_order: u64,
    /// The distinct UTC offsets the timestamps named, in minutes, ascending (all are normalised to UTC).
    pub offsets_minutes: Vec<i16>,
    /// The first and last timestamp of the rows used (RFC 3339, UTC).
    pub first: Option<String>,
    pub last: Option<String>,
}

impl LoadReport {
    /// The row's time when its id, time and event are usable; otherwise the first of them that
    /// is not, recorded as the row's skip reason.
    fn required(&mut self, line: u64, id: &str, time: &str, event: &str, days: &mut DayCache) -> Option<Parsed> {
        if id.is_empty() {
            self.skip(SkipReason::MissingId, line, None);
            return None;
        }
        let Some(ts) = parse_timestamp_with(time, days) else {
            self.skip(SkipReason::BadTimestamp, line, Some(trim(time)));
            return None;
        };
        if event.is_empty() {
            self.skip(SkipReason::MissingEvent, line, None);
            return None;
        }
        Some(ts)
    }

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
        if self.skipped_rows.len() < MAX_SKIPPED_ROWS {
            let detail = example.map(|e| e.chars().take(200).collect());
            self.skipped_rows.push(SkippedRow { line, reason, detail });
        }
    }

    /// Re-files the skipped row at `line` under another reason.
    pub(super) fn refile(&mut self, line: u64, from: SkipReason, to: SkipReason, detail: &str) {
        // Two records can share a line (a bare `\r` ends a record without a new line): take
        // back one occurrence only, the last.
        if let Some(s) = self.skipped.iter_mut().find(|s| s.reason == from) {
            s.count -= 1;
            if let Some(i) = s.lines.iter().rposition(|&l| l == line) {
                s.lines.remove(i);
            }
        }
        self.skipped.retain(|s| s.count > 0);
        let position = self.skipped_rows.iter().rposition(|r| r.line == line && r.reason == from);
        let removed = position.map(|i| self.skipped_rows.remove(i)).is_some();
        self.skip(to, line, Some(detail));
        if !removed {
            // The row was past the listing cap: keep the list as it was.
            self.skipped_rows.pop();
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
    stage: Stage,
    text: Text,
    /// The file's size, when known: the table's columns are reserved from it once the first
    /// rows show the bytes per row (plain text only).
    size_hint: Option<u64>,
}

impl Loader {
    pub fn new(file: &str, overrides: ColumnOverrides) -> Loader {
        let mut text = Text::default();
        text.rows.file = file.to_string();
        text.rows.overrides = overrides;
        Loader { file: file.to_string(), stage: Stage::Sniffing(Vec::new()), text, size_hint: None }
    }

    /// The file's size in bytes, to reserve the table's columns once (no regrowth while reading).
    pub fn size_hint(mut self, bytes: u64) -> Loader {
        self.size_hint = Some(bytes);
        self
    }

    /// Reads the file as this export format instead of detecting it.
    pub fn preset(mut self, p: Option<Preset>) -> Loader {
        self.text.rows.preset = p;
        self
    }

    /// Stops with a clear message past this many events (default [`MAX_EVENTS`]).
    pub fn max_events(mut self, n: u64) -> Loader {
        self.text.rows.max_events = Some(n);
        self
    }

    /// Column names for a file without a header line (`names=`): applied only when the file
    /// turns out to have none; an empty name keeps `column_N`.
    pub fn names(mut self, names: Vec<String>) -> Loader {
        self.text.rows.names = Some(ColumnNames { names, by: "the names in the link (names=)".into(), forced: false });
        self
    }

    /// Names every column of an Adobe data feed's `hit_data` file from its `column_headers.tsv`:
    /// the file has no header line (unless its first line is these very names), and fields are
    /// tab-separated without quoting, as Adobe writes them.
    pub fn column_headers(mut self, names: Vec<String>, from: &str) -> Loader {
        self.text.rows.names = Some(ColumnNames { names, by: from.to_string(), forced: true });
        self
    }

    /// Within an Adobe data feed: a lookup table (`event.tsv`, `browser.tsv`, …: two or three
    /// columns, a number first, no time) is recognised and not loaded ([`LoadReport::lookup`]).
    pub fn skip_lookups(mut self, on: bool) -> Loader {
        self.text.rows.skip_lookups = on;
        self
    }

    /// Rows carrying both of these columns (by header name) link the first, an anonymous id,
    /// to the second, a known id, for identity stitching; a row without a customer id takes
    /// the known id, else the anonymous one.
    pub fn identity_pair(mut self, pair: Option<(String, String)>) -> Loader {
        self.text.rows.identity_pair = pair;
        self
    }

    /// Further columns to keep as dimensions, by header name (`keep=`); `None` keeps the
    /// columns whose names are common dimensions ([`auto_kept`]).
    pub fn keep(mut self, names: Option<Vec<String>>) -> Loader {
        self.text.rows.keep = names;
        self
    }

    /// For a part of a JSON-lines file after the first ([`LoadPart`]): its columns are these,
    /// the first part's ([`json_keys`](Self::json_keys)), not the keys of its own first records.
    pub fn with_json_keys(mut self, keys: Option<Vec<String>>) -> Loader {
        self.text.rows.json_keys = keys;
        self
    }

    /// For JSON lines whose columns are fixed (after the first records): those columns.
    pub fn json_keys(&self) -> Option<Vec<String>> {
        match &self.text.format {
            Some(Format::Json(p)) if !p.is_array() => self.text.rows.header.clone(),
            _ => None,
        }
    }

    /// Keeps exact duplicate rows instead of dropping them (they are counted either way).
    pub fn duplicates(mut self, d: Duplicates) -> Loader {
        self.text.rows.duplicates = d;
        self
    }

    /// Rows read so far (header excluded).
    pub fn rows_read(&self) -> u64 {
        self.text.rows.report.rows_read
    }

    fn error(&self, line: Option<u64>, message: impl Into<String>) -> LoadError {
        LoadError { file: self.file.clone(), line, message: message.into() }
    }

    /// Feeds the next chunk of the file.
    pub fn push(&mut self, mut chunk: &[u8]) -> Result<(), LoadError> {
        // A large chunk is read in pieces: until the columns are reserved (after the first
        // 1,000 rows of plain text), so that most of it goes into columns already of their final
        // size rather than growing ones; and because V8 runs a wasm function in its baseline tier
        // until its next call, so one call for a whole 16 MiB slice of a fresh worker (a part
        // worker, or a first load from a link) would parse it all unoptimised. Chunking never
        // changes what is read.
        while chunk.len() > PIECE {
            let (head, rest) = chunk.split_at(PIECE);
            self.push_piece(head)?;
            chunk = rest;
        }
        self.push_piece(chunk)
    }

    fn push_piece(&mut self, chunk: &[u8]) -> Result<(), LoadError> {
        self.text.rows.report.bytes += chunk.len() as u64;
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
        }?;
        self.reserve_from_hint();
        Ok(())
    }

    /// Once 1,000 rows of plain text are read, reserves room for the rows the rest of the
    /// file will hold at the same bytes per row (a little more, for shorter rows).
    fn reserve_from_hint(&mut self) {
        let rows = &mut self.text.rows;
        let (read, bytes) = (rows.report.rows_read, rows.report.bytes);
        if let (Some(total), Stage::Plain) = (self.size_hint, &self.stage) {
            if read >= 1_000 && bytes > 0 {
                self.size_hint = None;
                let expected = (total as f64 * read as f64 / bytes as f64 * 1.05) as u64;
                let more = expected.saturating_sub(read).min(rows.max_events.unwrap_or(MAX_EVENTS));
                if let Some(b) = rows.builder.as_mut() {
                    b.reserve(more as usize);
                }
            }
        }
    }

    fn choose_stage(&mut self, head: &[u8]) -> Result<(), LoadError> {
        if head.starts_with(&[0x1f, 0x8b]) {
            self.stage = Stage::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Vec::new())));
        } else if head.starts_with(b"PK\x03\x04") {
            return Err(self.error(
                None,
                "this is a zip archive nested in another archive or compressed file; unzip it and open the files inside",
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
                let r = self.text.push(&out);
                *dec.get_mut() = out;
                dec.get_mut().clear();
                r
            }
            Stage::Plain => self.text.push(chunk),
            Stage::Sniffing(_) => unreachable!("stage is chosen before decoding"),
        }
    }

    /// Ends the file: flushes the last record and builds the table.
    pub fn finish(self) -> Result<(EventTable, LoadReport), LoadError> {
        self.finish_part()?.finish()
    }

    /// Whether the rest of this file may be read in parts apart ([`LoadPart`]): it is plain
    /// (not compressed) delimited text with a header line, or JSON lines whose columns are
    /// fixed ([`json_keys`](Self::json_keys)), read as events (not a path table, an identity
    /// map or a lookup table). Asked once the header has been read.
    pub fn splittable(&self) -> bool {
        let rows = &self.text.rows;
        let format = match &self.text.format {
            Some(Format::Csv(_)) => true,
            Some(Format::Json(p)) => !p.is_array(),
            _ => false,
        };
        matches!(self.stage, Stage::Plain)
            && format
            && rows.builder.is_some()
            && rows.path_reader.is_none()
            && rows.identity_columns.is_none()
            && !rows.report.headerless
            && !rows.report.lookup
            && rows.names.as_ref().is_none_or(|n| !n.forced)
    }

    /// Whether, as far as read, the file holds events for a table (not a path table, an
    /// identity map or a lookup table), so another worker reading it whole can build its table.
    pub fn builds_table(&self) -> bool {
        let rows = &self.text.rows;
        rows.path_reader.is_none() && rows.identity_columns.is_none() && !rows.report.lookup
    }

    /// Whether this file can no longer become [`splittable`](Self::splittable): it is
    /// compressed, or of another format, or its header has been read and it is not.
    pub fn never_splittable(&self) -> bool {
        matches!(self.stage, Stage::Gzip(_))
            || matches!(&self.text.format, Some(Format::Xes(_)))
            || matches!(&self.text.format, Some(Format::Json(p)) if p.is_array())
            || (self.text.rows.header.is_some() && !self.splittable())
    }

    /// Like [`finish`](Self::finish), without building the table: the rows read, to be joined
    /// with the file's other parts ([`join_parts`]).
    pub fn finish_part(mut self) -> Result<LoadPart, LoadError> {
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
            self.text.push(&out)?;
        }
        let gzip = matches!(self.stage, Stage::Gzip(_));
        let mut part = self.text.finish_part()?;
        if gzip {
            part.report.format.push_str(" (gzip)");
        }
        Ok(part)
    }
}

/// An identity map's (anonymous, known) id columns: a header with one of each kind of id
/// name (the caller checks there is no time or event column).
fn identity_columns(headers: &[String]) -> Option<(usize, usize)> {
    const ANON: [&str; 9] = [
        "anonymous_id",
        "anonymousid",
        "anon_id",
        "device_id",
        "user_pseudo_id",
        "domain_userid",
        "cookie_id",
        "visitor_id",
        "client_id",
    ];
    const KNOWN: [&str; 7] = ["user_id", "userid", "customer_id", "known_id", "crm_id", "email", "account_id"];
    let norm: Vec<String> = headers.iter().map(|h| super::schema::normalise_header(h)).collect();
    let find = |names: &[&str]| names.iter().find_map(|n| norm.iter().position(|h| h == n));
    Some((find(&ANON)?, find(&KNOWN)?))
}

/// Every skipped row of the given files as CSV: `file,line,reason,detail`.
pub fn skipped_rows_csv(reports: &[&LoadReport]) -> String {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    let mut out = String::from("file,line,reason,detail\n");
    for r in reports {
        let mut rows: Vec<&SkippedRow> = r.skipped_rows.iter().collect();
        rows.sort_by_key(|row| row.line);
        for row in rows {
            out.push_str(&format!(
                "{},{},{},{}\n",
                field(&r.file),
                row.line,
                field(row.reason.describe()),
                field(row.detail.as_deref().unwrap_or(""))
            ));
        }
    }
    out
}

/// Loads a whole in-memory file (convenience for tests and native tools).
pub fn load_bytes(
    file: &str,
    bytes: &[u8],
    overrides: &ColumnOverrides,
) -> Result<(EventTable, LoadReport), LoadError> {
    // In slices, as the worker reads a file.
    let mut loader = Loader::new(file, overrides.clone()).size_hint(bytes.len() as u64);
    for chunk in bytes.chunks(16 << 20) {
        loader.push(chunk)?;
    }
    loader.finish()
}

/// The parser chosen for the text.
enum Format {
    Csv(Box<csv::CsvParser>),
    Json(json::JsonParser),
    Xes(Box<xes::XesParser>),
}

/// Decoded text: checks it is text, strips a byte-order mark, picks the format.
#[derive(Default)]
struct Text {
    /// Bytes seen before the format is chosen.
    head: Vec<u8>,
    format: Option<Format>,
    seen_text: bool,
    /// How many leading bytes have been checked for a zero byte (the first [`BINARY_CHECK`] are).
    checked: usize,
    /// Leading whitespace, held back until text follows so that the parser sees the
    /// same bytes (and counts the same lines) however the file is chunked.
    held: Vec<u8>,
    /// Whether the last byte seen was a newline (to tell a truncated last line).
    ended_with_newline: bool,
    rows: Rows,
}

impl Text {
    fn push(&mut self, chunk: &[u8]) -> Result<(), LoadError> {
        if chunk.is_empty() {
            return Ok(());
        }
        if self.checked < BINARY_CHECK {
            let n = chunk.len().min(BINARY_CHECK - self.checked);
            if let Some(pos) = chunk[..n].iter().position(|&b| b == 0) {
                return Err(LoadError {
                    file: self.rows.file.clone(),
                    line: None,
                    message: format!(
                        "this does not look like a text export: binary data (a zero byte) at byte {}; expected CSV, TSV or JSON text, or gzip",
                        self.checked + pos
                    ),
                });
            }
            self.checked += n;
        }
        self.ended_with_newline = chunk.last() == Some(&b'\n');
        if self.format.is_none() {
            self.head.extend_from_slice(chunk);
            // Wait for the first line of text (or enough bytes) before choosing.
            let text_start = self.head.iter().position(|b| !b.is_ascii_whitespace());
            let has_line = text_start.is_some_and(|i| self.head[i..].contains(&b'\n'));
            // Nothing is parsed before the first 4 KiB are checked for binary data, so the
            // verdict on a file does not depend on how it was chunked.
            if self.checked < BINARY_CHECK || (!has_line && self.head.len() < SNIFF_LIMIT) {
                return Ok(());
            }
            return self.start();
        }
        self.feed(chunk)
    }

    /// Chooses the format from the first non-blank byte and feeds what was held.
    fn start(&mut self) -> Result<(), LoadError> {
        let head = std::mem::take(&mut self.head);
        let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        self.format = Some(match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => {
                let mut parser = json::JsonParser::new(false, &mut self.rows);
                if let Some(keys) = self.rows.json_keys.take() {
                    parser.fix_keys(keys, &mut self.rows)?;
                }
                Format::Json(parser)
            }
            Some(b'[') => Format::Json(json::JsonParser::new(true, &mut self.rows)),
            Some(b'<') => Format::Xes(Box::new(xes::XesParser::new(&mut self.rows))),
            _ => Format::Csv(Box::new(csv::CsvParser::new(body, &mut self.rows))),
        });
        self.feed(&head)
    }

    fn feed(&mut self, mut input: &[u8]) -> Result<(), LoadError> {
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
                return self.feed(&all);
            }
        }
        match self.format.as_mut().expect("format chosen") {
            Format::Csv(p) => p.feed(input, &mut self.rows)?,
            Format::Json(p) => p.feed(input, &mut self.rows)?,
            Format::Xes(p) => p.feed(input, &mut self.rows)?,
        }
        self.rows.check_capacity()
    }

    /// Flushes the last record; what was read, before the table is built.
    fn finish_part(mut self) -> Result<LoadPart, LoadError> {
        if self.format.is_none() {
            self.start()?;
        }
        if !self.seen_text {
            return Err(LoadError { file: self.rows.file.clone(), line: None, message: "the file is empty".into() });
        }
        let clean_end = match self.format.as_mut().expect("format chosen") {
            Format::Csv(p) => {
                let clean = p.between_records();
                p.finish(&mut self.rows, self.ended_with_newline)?;
                clean
            }
            Format::Json(p) => {
                let clean = p.between_records();
                p.finish(&mut self.rows)?;
                clean
            }
            Format::Xes(p) => p.finish(&mut self.rows).map(|()| false)?,
        };
        if self.rows.header.is_none() {
            return Err(LoadError {
                file: self.rows.file.clone(),
                line: Some(1),
                message: "the file has no header line".into(),
            });
        }
        Ok(self.rows.into_part(clean_end))
    }
}

/// Column mapping, validation and the table being built: what every text format shares.
#[derive(Default)]
pub(super) struct Rows {
    /// The file's name, for messages.
    pub file: String,
    /// A lower event limit than [`MAX_EVENTS`] (for tests).
    max_events: Option<u64>,
    /// The user's corrections to the column mapping.
    pub overrides: ColumnOverrides,
    pub header: Option<Vec<String>>,
    duplicates: Duplicates,
    /// The export format chosen by the user; `None` detects it.
    preset: Option<Preset>,
    /// Whether rows are JSON records (an absent key is an empty value, not a short row).
    pub json: bool,
    /// The previous used row's time, for counting rows out of time order.
    last_ts: Option<i64>,
    /// The first used row's time (where a part of a file read apart meets the part before).
    first_ts: Option<i64>,
    /// The earliest and latest time of the rows used.
    range: Option<(i64, i64)>,
    /// The last date read, for the next row's timestamp (rows sorted by time share dates).
    day_cache: DayCache,
    /// Whether every role is read from its one column, with none of the special cases (path
    /// tables, identity maps, Adobe's columns, fallbacks, identity pairs, derived channels):
    /// rows then take [`Rows::plain_row`], the same steps without the checks for those.
    plain: bool,
    /// For an identity-map file: the (anonymous, known) id columns.
    identity_columns: Option<(usize, usize)>,
    seen_links: std::collections::HashSet<(String, String)>,
    /// For a path table: its reader.
    path_reader: Option<Box<pathtable::PathTableReader>>,
    /// Column names given for a file without a header line.
    pub names: Option<ColumnNames>,
    /// Whether a lookup table (in an Adobe data feed) is recognised and not loaded.
    pub skip_lookups: bool,
    /// A user-chosen (anonymous id, known id) pair of columns, by header name.
    identity_pair: Option<(String, String)>,
    /// The pair's column indices in this file.
    pair_columns: Option<(usize, usize)>,
    /// Further columns to keep, by header name; `None`: common dimension names.
    keep: Option<Vec<String>>,
    /// For a part of a JSON-lines file after the first: the columns the first part found.
    json_keys: Option<Vec<String>>,
    /// The kept columns' indices in this file.
    kept: Vec<usize>,
    mapping: Mapping,
    builder: Option<TableBuilder>,
    pub report: LoadReport,
}

/// Column names for a file without a header line, and where they came from.
#[derive(Debug, Clone, Default)]
pub(super) struct ColumnNames {
    pub names: Vec<String>,
    pub by: String,
    /// The file is known to have no header line (an Adobe feed's `hit_data`).
    pub forced: bool,
}

/// Whether a file is an Adobe data feed's `hit_data` (`hit_data.tsv`, `hit_data.tsv.gz`, also
/// inside a folder or an archive).
pub fn is_adobe_hit_data(file: &str) -> bool {
    let base = file.rsplit('/').next().unwrap_or(file).to_ascii_lowercase();
    base.starts_with("hit_data") && (base.ends_with(".tsv") || base.ends_with(".tsv.gz"))
}

/// Whether a file is an Adobe data feed's `column_headers.tsv`.
pub fn is_adobe_column_headers(file: &str) -> bool {
    file.rsplit('/').next().unwrap_or(file).eq_ignore_ascii_case("column_headers.tsv")
}

/// The column names of an Adobe data feed's `column_headers.tsv`: its one tab-separated line.
pub fn parse_column_headers(file: &str, bytes: &[u8]) -> Result<Vec<String>, LoadError> {
    let fail = |message: &str| LoadError { file: file.to_string(), line: Some(1), message: message.to_string() };
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| fail("column_headers.tsv is not UTF-8 text"))?;
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let names: Vec<String> = line.split('\t').map(|n| n.trim().to_string()).collect();
    if names.len() < 2 || names.iter().any(String::is_empty) {
        return Err(fail("column_headers.tsv should be one line of tab-separated column names"));
    }
    Ok(names)
}

/// The hint added to messages about an Adobe `hit_data` file read without its column names.
pub const ADOBE_NAMES_HINT: &str = "this looks like an Adobe Analytics data feed: column_headers.tsv names its columns; open both files together (or the zip that holds them)";

/// The message for a file of more than `max` events.
fn too_many_events(max: u64) -> String {
    format!(
        "more than {} events: a browser tab cannot hold them (WebAssembly has 4 GB); split the file by date, or drop columns and rows you do not need",
        super::summary::thousands(max)
    )
}

/// At most this many distinct (anonymous, known) id pairs are kept from a file of events.
const MAX_IDENTITY_LINKS: usize = 1_000_000;

/// What became of one row.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum RowOutcome {
    Used,
    Skipped,
    /// Skipped because a mapped field is missing (a short CSV row).
    Short,
}

impl Rows {
    /// Fails once more events were read than a tab's memory can hold.
    fn check_capacity(&self) -> Result<(), LoadError> {
        let max = self.max_events.unwrap_or(MAX_EVENTS);
        if self.report.rows_used <= max {
            return Ok(());
        }
        Err(LoadError { file: self.file.clone(), line: None, message: too_many_events(max) })
    }

    /// Sets the header (column names) and maps roles; fails without id, time or event.
    pub fn set_header(&mut self, headers: Vec<String>, line: u64) -> Result<(), LoadError> {
        let mut mapping = Mapping::for_header(&headers, self.preset, &self.overrides);
        if let Some((anon, known)) = &self.identity_pair {
            let find = |name: &str| headers.iter().position(|h| h.trim() == name.trim());
            self.pair_columns = find(anon).zip(find(known)).filter(|(a, k)| a != k);
            // A file whose only ids are the pair's: the known id, else the anonymous one.
            if let (None, Some((a, k))) = (mapping.id, self.pair_columns) {
                mapping.id = Some(k);
                mapping.fallbacks.retain(|(r, _)| *r != Role::Id);
                mapping.fallbacks.push((Role::Id, vec![a]));
            }
        }
        let file = self.file.as_str();
        // An aggregated path table: a path column and counts, no time.
        if mapping.time.is_none() {
            if let Some(reader) = pathtable::PathTableReader::detect(&headers) {
                let used: Vec<String> =
                    reader.columns().iter().map(|(role, i)| format!("{role}: {}", headers[*i].trim())).collect();
                self.report.format.push_str(&format!(" path table ({})", used.join(", ")));
                self.report.headers = headers.clone();
                self.path_reader = Some(Box::new(reader));
                self.header = Some(headers);
                return Ok(());
            }
        }
        // An identity map: a few columns of id pairs, with no time and no event.
        if mapping.time.is_none() && mapping.event.is_none() && headers.len() <= 4 {
            if let Some(cols) = identity_columns(&headers) {
                self.identity_columns = Some(cols);
                self.report.identity_map = true;
                self.report.format.push_str(" identity map");
                self.report.headers = headers.clone();
                self.header = Some(headers);
                return Ok(());
            }
        }
        for role in [Role::Id, Role::Time, Role::Event] {
            if mapping.get(role).is_none() {
                let mut shown: Vec<String> = headers.iter().take(40).map(|h| format!("\"{h}\"")).collect();
                if headers.len() > 40 {
                    shown.push(format!("… {} more", headers.len() - 40));
                }
                if self.report.headerless {
                    let adobe = if self.report.named_by.is_none() && is_adobe_hit_data(file) {
                        format!("; {ADOBE_NAMES_HINT}")
                    } else {
                        String::new()
                    };
                    return Err(LoadError {
                        file: file.into(),
                        line: None,
                        message: format!(
                            "the file has no header line and no column looks like the {}; add a header line naming the columns, name them in the link (names=customer_id,timestamp,event), or name the column (col.{}=column_N){adobe}",
                            role.label().to_lowercase(),
                            role.key()
                        ),
                    });
                }
                return Err(LoadError {
                    file: file.into(),
                    line: Some(line),
                    message: format!(
                        "no {} column found in the header ({}); name a column {} or pick one in Columns",
                        role.label().to_lowercase(),
                        shown.join(", "),
                        match role {
                            Role::Id => "customer_id, user_id or visitor_id",
                            Role::Time => "timestamp, time, date or event_time",
                            _ => "event, event_name, event_type, action or touchpoint",
                        }
                    ),
                });
            }
        }
        let has_channel = mapping.channel.is_some() || mapping.derived_channel.is_some();
        self.kept = kept_columns(&headers, &mapping, self.keep.as_deref());
        let attrs = self.kept.iter().map(|&i| headers[i].trim().to_string()).collect();
        let mut builder =
            TableBuilder::new(has_channel, mapping.stage.is_some(), mapping.has_revenue()).with_attrs(attrs);
        builder.has_session = mapping.session.is_some();
        self.report.kept = self.kept.clone();
        self.builder = Some(builder);
        self.report.headers = headers.clone();
        self.report.mapping = mapping.clone();
        self.plain = self.pair_columns.is_none()
            && mapping.fallbacks.iter().all(|(_, cols)| cols.is_empty())
            && mapping.id_joined_with.is_none()
            && mapping.exclude_hit.is_none()
            && mapping.hit_source.is_none()
            && (mapping.channel.is_some() || mapping.derived_channel.is_none())
            && (mapping.revenue.is_some() || mapping.product_revenue.is_none());
        self.mapping = mapping;
        self.header = Some(headers);
        Ok(())
    }

    /// Validates one row and adds it to the table; `text(i)` is the row's value of column `i`.
    pub fn row<'a>(&mut self, line: u64, text: impl Fn(usize) -> Option<Cow<'a, str>>) -> RowOutcome {
        if self.plain {
            return self.plain_row(line, text);
        }
        let report = &mut self.report;
        report.rows_read += 1;
        if let Some(reader) = &mut self.path_reader {
            return match reader.row(text, self.json) {
                Ok(()) => {
                    report.rows_used += 1;
                    RowOutcome::Used
                }
                Err((SkipReason::TooFewFields, _)) => {
                    report.skip(SkipReason::TooFewFields, line, None);
                    RowOutcome::Short
                }
                Err((reason, example)) => {
                    report.skip(reason, line, example.as_deref());
                    RowOutcome::Skipped
                }
            };
        }
        if let Some((anon, known)) = self.identity_columns {
            let (a, k) = (text(anon), text(known));
            match (a.as_deref().map(trim), k.as_deref().map(trim)) {
                (Some(a), Some(k)) if !a.is_empty() && !k.is_empty() => {
                    report.rows_used += 1;
                    if self.seen_links.insert((a.to_string(), k.to_string())) {
                        report.identity_links.push((a.to_string(), k.to_string()));
                    }
                    return RowOutcome::Used;
                }
                (None, _) | (_, None) => report.skip(SkipReason::TooFewFields, line, None),
                _ => report.skip(SkipReason::MissingId, line, None),
            }
            return RowOutcome::Skipped;
        }
        let m = &self.mapping;
        if let Some(v) = m.exclude_hit.and_then(&text).filter(|v| !matches!(trim(v), "" | "0")) {
            report.skip(SkipReason::ExcludedHit, line, Some(&format!("exclude_hit {}", trim(&v))));
            return RowOutcome::Skipped;
        }
        if let Some(v) = m.hit_source.and_then(&text).filter(|v| matches!(trim(v), "5" | "7" | "8" | "9")) {
            report.skip(SkipReason::DataSourceHit, line, Some(&format!("hit_source {}", trim(&v))));
            return RowOutcome::Skipped;
        }
        // Adobe: the visitor is two columns joined, `high_low`; empty when either is.
        let joined = |col: usize| -> Option<Cow<'a, str>> {
            let first = text(col)?;
            match m.id_joined_with.filter(|_| Some(col) == m.id) {
                None => Some(first),
                Some(other) => {
                    let second = text(other)?;
                    let (a, b) = (trim(&first), trim(&second));
                    Some(if a.is_empty() || b.is_empty() { Cow::Borrowed("") } else { Cow::Owned(format!("{a}_{b}")) })
                }
            }
        };
        let pair_cols: Vec<usize> = self.pair_columns.map_or(Vec::new(), |(a, k)| vec![k, a]);
        // A role's column, or where it is empty, the first non-empty of its fallbacks (and, for
        // the id, of a chosen identity pair's known and anonymous columns).
        let get_role = |role: Role| -> Option<Cow<'a, str>> {
            // The common case, a role read from its one column: that column's value, as the
            // loop below gives it.
            if m.fallbacks(role).is_empty()
                && (role != Role::Id || (pair_cols.is_empty() && m.id_joined_with.is_none()))
            {
                return m.get(role).and_then(&text);
            }
            let mut first = None;
            let pair: &[usize] = if role == Role::Id { &pair_cols } else { &[] };
            for col in m.get(role).into_iter().chain(m.fallbacks(role).iter().copied()).chain(pair.iter().copied()) {
                let v = if role == Role::Id { joined(col) } else { text(col) };
                match v {
                    Some(v) if !trim(&v).is_empty() => return Some(v),
                    Some(v) if first.is_none() => first = Some(v),
                    _ => {}
                }
            }
            first
        };
        let first_of = |cols: &[usize]| cols.iter().find_map(|&c| text(c).filter(|v| !trim(v).is_empty()));
        let get = |i: Option<usize>| i.and_then(&text);
        // In JSON a record without a key simply has no value; in delimited text a missing
        // field means a short row.
        let get_required = |role| get_role(role).or_else(|| self.json.then_some(Cow::Borrowed("")));
        let (Some(id), Some(time), Some(event)) =
            (get_required(Role::Id), get_required(Role::Time), get_required(Role::Event))
        else {
            report.skip(SkipReason::TooFewFields, line, None);
            return RowOutcome::Short;
        };
        let (id, event) = (trim(&id), trim(&event));
        // A row with both ids of the chosen pair links them.
        if let Some((a, k)) = self.pair_columns {
            if let (Some(anon), Some(known)) = (text(a), text(k)) {
                let (anon, known) = (trim(&anon), trim(&known));
                if !anon.is_empty() && !known.is_empty() && anon != known {
                    let pair = (anon.to_string(), known.to_string());
                    if self.seen_links.len() < MAX_IDENTITY_LINKS && self.seen_links.insert(pair.clone()) {
                        report.identity_links.push(pair);
                    }
                }
            }
        }
        // A row with both its known id (the id column) and an anonymous id (a fallback) links
        // them (not so for a joined id: Adobe's ids are all anonymous).
        let anonymous = m.fallbacks(Role::Id);
        if let Some(known) =
            m.id.filter(|_| m.id_joined_with.is_none() && !anonymous.is_empty())
                .and_then(&text)
                .filter(|k| !trim(k).is_empty())
        {
            for &c in anonymous {
                if let Some(anon) = text(c).filter(|a| !trim(a).is_empty() && trim(a) != trim(&known)) {
                    let pair = (trim(&anon).to_string(), trim(&known).to_string());
                    if self.seen_links.len() < MAX_IDENTITY_LINKS && self.seen_links.insert(pair.clone()) {
                        report.identity_links.push(pair);
                    }
                }
            }
        }
        let Some(ts) = report.required(line, id, &time, event, &mut self.day_cache) else {
            return RowOutcome::Skipped;
        };
        let channel = match &m.derived_channel {
            Some(d) if m.channel.is_none() && d.adobe => Some(Cow::Borrowed(adobe_channel(
                first_of(&d.source).as_deref().unwrap_or(""),
                first_of(&d.referrer).as_deref().unwrap_or(""),
            ))),
            Some(d) if m.channel.is_none() => Some(Cow::Borrowed(default_channel(
                first_of(&d.source).as_deref().unwrap_or(""),
                first_of(&d.medium).as_deref().unwrap_or(""),
                first_of(&d.referrer).as_deref().unwrap_or(""),
            ))),
            _ => get(m.channel),
        };
        let stage = get(m.stage);
        let session = get(m.session);
        let revenue = match (m.revenue, m.product_revenue) {
            (None, Some((products, events))) => {
                let (p, e) = (text(products), text(events));
                adobe_purchase_revenue(p.as_deref().unwrap_or(""), e.as_deref().unwrap_or(""))
            }
            _ => revenue_of(get_role(Role::Revenue).as_deref(), report),
        };
        let (stage, session) = (stage.as_deref(), session.as_deref());
        self.add(
            RowRef { customer: id, ts: ts.micros, event, channel: channel.as_deref(), stage, revenue },
            ts,
            session,
        );
        self.add_kept(text);
        RowOutcome::Used
    }

    /// [`row`](Self::row) for a plain mapping ([`Rows::plain`]): the same outcome, report and
    /// table, with only the steps such a mapping needs (rows of the common exports come here).
    fn plain_row<'a>(&mut self, line: u64, text: impl Fn(usize) -> Option<Cow<'a, str>>) -> RowOutcome {
        let report = &mut self.report;
        report.rows_read += 1;
        let m = &self.mapping;
        let get = |i: Option<usize>| i.and_then(&text);
        // In JSON a record without a key simply has no value; in delimited text a missing
        // field means a short row.
        let get_required = |i| get(i).or_else(|| self.json.then_some(Cow::Borrowed("")));
        let (Some(id), Some(time), Some(event)) = (get_required(m.id), get_required(m.time), get_required(m.event))
        else {
            report.skip(SkipReason::TooFewFields, line, None);
            return RowOutcome::Short;
        };
        let (id, event) = (trim(&id), trim(&event));
        let Some(ts) = report.required(line, id, &time, event, &mut self.day_cache) else {
            return RowOutcome::Skipped;
        };
        let (channel, stage, session) = (get(m.channel), get(m.stage), get(m.session));
        let revenue = revenue_of(get(m.revenue).as_deref(), report);
        let (channel, stage, session) = (channel.as_deref(), stage.as_deref(), session.as_deref());
        self.add(RowRef { customer: id, ts: ts.micros, event, channel, stage, revenue }, ts, session);
        self.add_kept(text);
        RowOutcome::Used
    }

    /// Counts a used row (its time's zone, order and range) and adds it to the table;
    /// `row.channel` and `row.stage` are trimmed here.
    fn add(&mut self, row: RowRef<'_>, ts: Parsed, session: Option<&str>) {
        let report = &mut self.report;
        if !ts.zoned {
            report.unzoned_timestamps += 1;
        }
        if let Some(off) = ts.offset_minutes {
            if let Err(at) = report.offsets_minutes.binary_search(&off) {
                report.offsets_minutes.insert(at, off);
            }
        }
        match self.last_ts {
            Some(l) if ts.micros < l => report.out_of_order += 1,
            None => self.first_ts = Some(ts.micros),
            _ => {}
        }
        self.last_ts = Some(ts.micros);
        self.range = Some(self.range.map_or((ts.micros, ts.micros), |(a, b)| (a.min(ts.micros), b.max(ts.micros))));
        report.rows_used += 1;
        let row = RowRef { channel: row.channel.map(trim), stage: row.stage.map(trim), ..row };
        // Amplitude writes -1 for events outside any session: no session id.
        let session = session.map(str::trim).filter(|s| *s != "-1");
        let builder = self.builder.as_mut().expect("header read");
        builder.push_with_session(row, session);
    }

    /// The kept columns' values of the row just added.
    fn add_kept<'a>(&mut self, text: impl Fn(usize) -> Option<Cow<'a, str>>) {
        let builder = self.builder.as_mut().expect("header read");
        for (i, &col) in self.kept.iter().enumerate() {
            builder.push_attr(i, text(col).as_deref().map_or("", trim));
        }
    }

    /// What was read, before the table is built (`clean_end`: the input ended between records).
    pub(super) fn into_part(self, clean_end: bool) -> LoadPart {
        LoadPart {
            file: self.file,
            report: self.report,
            builder: self.builder,
            path_reader: self.path_reader,
            duplicates: self.duplicates,
            max_events: self.max_events.unwrap_or(MAX_EVENTS),
            range: self.range,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            clean_end,
            newlines: 0,
            prefix: (0, 0),
        }
    }
}

impl LoadPart {
    /// Builds the table, or says why there is nothing to use.
    pub fn finish(mut self) -> Result<(EventTable, LoadReport), LoadError> {
        let file = std::mem::take(&mut self.file);
        let file = file.as_str();
        self.report.skipped.sort_by_key(|s| s.reason);
        if self.report.lookup {
            self.report.file = file.to_string();
            return Ok((EventTable::default(), self.report));
        }
        if let Some(reader) = self.path_reader.take() {
            if self.report.rows_used == 0 {
                return Err(LoadError { file: file.into(), line: None, message: no_rows_message(&self.report) });
            }
            self.report.file = file.to_string();
            self.report.path_table = Some(std::sync::Arc::new(reader.finish()));
            return Ok((EventTable::default(), self.report));
        }
        if self.report.identity_map {
            if self.report.identity_links.is_empty() {
                return Err(LoadError {
                    file: file.into(),
                    line: None,
                    message: "the identity map holds no id pairs".into(),
                });
            }
            self.report.file = file.to_string();
            return Ok((EventTable::default(), self.report));
        }
        if self.report.rows_used == 0 {
            return Err(LoadError { file: file.into(), line: None, message: no_rows_message(&self.report) });
        }
        self.report.file = file.to_string();
        if let Some((a, b)) = self.range {
            self.report.first = Some(format_timestamp(a));
            self.report.last = Some(format_timestamp(b));
        }
        let (table, duplicates) = self.builder.take().expect("header read").finish_with(self.duplicates);
        self.report.duplicates = duplicates;
        self.report.duplicates_dropped = self.duplicates == Duplicates::Drop;
        Ok((table, self.report))
    }
}

/// A row's revenue: `None` when empty; a value that is not a finite number counts as bad
/// revenue (the row is kept, without revenue).
fn revenue_of(text: Option<&str>, report: &mut LoadReport) -> Option<f64> {
    match text.map(trim) {
        None | Some("") => None,
        Some(r) => match r.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                report.bad_revenue += 1;
                None
            }
        },
    }
}

/// Header names (normalised, or their last segment) kept as dimensions without a `keep=`.
const AUTO_KEPT: &[&str] = &[
    "country",
    "region",
    "city",
    "language",
    "device",
    "device_category",
    "device_type",
    "platform",
    "os",
    "browser",
    "campaign",
    "utm_campaign",
    "utm_source",
    "utm_medium",
    "utm_content",
    "source",
    "medium",
    "plan",
    "segment",
    "tier",
    "product",
    "category",
];

/// At most this many columns are kept without a `keep=`.
pub const MAX_AUTO_KEPT: usize = 6;

/// Whether a header names a common dimension kept by default.
pub fn auto_kept(header: &str) -> bool {
    let named = |h: &str| AUTO_KEPT.contains(&normalise_header(h).as_str());
    named(header) || named(last_segment(header))
}

/// The columns kept beyond the mapped roles: those named in `keep` (in its order), or without
/// one, up to [`MAX_AUTO_KEPT`] columns named as common dimensions. Never a column a role reads.
fn kept_columns(headers: &[String], mapping: &Mapping, keep: Option<&[String]>) -> Vec<usize> {
    let mut used: Vec<usize> = Role::ALL.iter().filter_map(|&r| mapping.get(r)).collect();
    used.extend(mapping.fallbacks.iter().flat_map(|(_, cols)| cols.iter().copied()));
    used.extend(mapping.id_joined_with);
    let free = |i: &usize| !used.contains(i);
    match keep {
        Some(names) => {
            let mut out: Vec<usize> = Vec::new();
            for name in names {
                if let Some(i) = headers.iter().position(|h| h.trim() == name.trim()).filter(free) {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
            out
        }
        None => (0..headers.len()).filter(free).filter(|&i| auto_kept(&headers[i])).take(MAX_AUTO_KEPT).collect(),
    }
}

/// Why a file with a header gave no rows.
fn no_rows_message(report: &LoadReport) -> String {
    match report.skipped.first() {
        Some(first) if report.rows_read > 0 => format!(
            "no usable rows: all {} rows were skipped ({}{}{})",
            report.rows_read,
            first.reason.describe(),
            first.lines.first().map(|l| format!(", first at line {l}")).unwrap_or_default(),
            first.example.as_ref().map(|e| format!(": \"{e}\"")).unwrap_or_default()
        ),
        _ => "the file has a header but no rows".to_string(),
    }
}
