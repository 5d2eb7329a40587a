//! A file read in parts, apart (in several workers), and the parts joined as one reading.
//!
//! A large delimited-text file is cut after line breaks into parts of about equal size. The
//! first part is read as usual; every other part is read by a loader of its own, with the
//! same choices, fed the file's header line and then its bytes. Each loader stops before
//! building the table ([`Loader::finish_part`](super::Loader::finish_part)); the parts, in
//! file order, are then joined ([`join_parts`]) and the table built once. The result is the
//! very table and report a reading of the whole file gives (tests compare them): the rows
//! of each part come after the rows before them, dictionaries take their codes in order of
//! first appearance, line numbers count the line breaks of the parts before, and the counts
//! that look across rows (out of time order, duplicates) are made across the parts' seams.
//!
//! A cut may fall inside a quoted field that holds a line break. A part then does not end
//! between records, and the parts do not join: the file is read whole instead.

use serde::{Deserialize, Serialize};

use super::pathtable::PathTableReader;
use super::{LoadError, LoadReport, SkippedRow, MAX_LINES_PER_REASON, MAX_SKIPPED_ROWS};
use crate::core::table::{Duplicates, EventTable, PartBytes, TableBuilder};

/// What a loader read of a file or of a part of one, before the table is built.
pub struct LoadPart {
    pub(super) file: String,
    pub(super) report: LoadReport,
    pub(super) builder: Option<TableBuilder>,
    pub(super) path_reader: Option<Box<PathTableReader>>,
    pub(super) duplicates: Duplicates,
    pub(super) max_events: u64,
    /// The earliest and latest time of the rows used.
    pub(super) range: Option<(i64, i64)>,
    /// The first and the last used row's time.
    pub(super) first_ts: Option<i64>,
    pub(super) last_ts: Option<i64>,
    /// Whether the input ended between records (not inside a quoted field).
    pub(super) clean_end: bool,
    /// Line breaks in the part's own bytes (set by the reader: [`LoadPart::set_bytes`]).
    pub(super) newlines: u64,
    /// The bytes and line breaks fed before the part's own (the header line), which its line
    /// numbers and byte count include.
    pub(super) prefix: (u64, u64),
}

/// A part's figures other than its rows, as they cross between workers.
#[derive(Serialize, Deserialize)]
struct Meta {
    file: String,
    report: LoadReport,
    skipped_rows: Vec<SkippedRow>,
    identity_links: Vec<(String, String)>,
    duplicates: Duplicates,
    max_events: u64,
    range: Option<(i64, i64)>,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    clean_end: bool,
    newlines: u64,
    prefix: (u64, u64),
}

/// The line breaks in `bytes`.
pub fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

impl LoadPart {
    /// Tells the part what it was fed: `prefix`, the bytes before its own (the file's header
    /// line, for every part but the first; empty for the first), and its own bytes' line breaks.
    pub fn set_bytes(&mut self, prefix: &[u8], newlines: u64) {
        self.prefix = (prefix.len() as u64, count_newlines(prefix));
        self.newlines = newlines;
    }

    /// The part as bytes, to cross to the worker that joins the parts ([`join_parts`]). Only a
    /// part of events has them: `None` for a path table or an identity map.
    pub fn encode(&self) -> Option<Vec<u8>> {
        if self.path_reader.is_some() {
            return None;
        }
        let builder = self.builder.as_ref()?;
        let meta = Meta {
            file: self.file.clone(),
            report: self.report.clone(),
            skipped_rows: self.report.skipped_rows.clone(),
            identity_links: self.report.identity_links.clone(),
            duplicates: self.duplicates,
            max_events: self.max_events,
            range: self.range,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            clean_end: self.clean_end,
            newlines: self.newlines,
            prefix: self.prefix,
        };
        Some(frame(&meta, builder.encode()))
    }

    /// A line number of this part as a line number of the whole file, given the line breaks
    /// of the parts before it.
    pub fn file_line(&self, line: u64, newlines_before: u64) -> u64 {
        (line + newlines_before).saturating_sub(self.prefix.1)
    }
}

/// `meta` as JSON (its length first, 8 bytes), then `body`: figures and rows in one buffer.
fn frame<M: Serialize>(meta: &M, mut body: Vec<u8>) -> Vec<u8> {
    let meta = serde_json::to_vec(meta).expect("a part's figures serialise");
    let mut out = Vec::with_capacity(8 + meta.len() + body.len());
    out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    out.extend_from_slice(&meta);
    out.append(&mut body);
    out
}

/// The figures [`frame`] put first, and where the body starts.
fn unframe<M: for<'de> Deserialize<'de>, P: PartBytes + ?Sized>(bytes: &P) -> Result<(M, usize), String> {
    let mut len = [0u8; 8];
    if bytes.len() < 8 {
        return Err("a part's bytes end too soon".into());
    }
    bytes.copy(0, &mut len);
    let len = u64::from_le_bytes(len);
    let end = usize::try_from(len).ok().and_then(|l| l.checked_add(8)).filter(|&e| e <= bytes.len());
    let end = end.ok_or("a part's bytes end too soon")?;
    let mut meta = vec![0u8; end - 8];
    bytes.copy(8, &mut meta);
    let meta = serde_json::from_slice(&meta).map_err(|e| format!("a part's figures are damaged: {e}"))?;
    Ok((meta, end))
}

/// A part's figures, read back from [`LoadPart::encode`], and where its rows' bytes start.
fn decode<P: PartBytes + ?Sized>(bytes: &P) -> Result<(Meta, usize), String> {
    let (mut meta, end): (Meta, usize) = unframe(bytes)?;
    meta.report.skipped_rows = std::mem::take(&mut meta.skipped_rows);
    meta.report.identity_links = std::mem::take(&mut meta.identity_links);
    Ok((meta, end))
}

/// A built table's report, whole, as it crosses between workers (the report's own
/// serialisation leaves out its skipped rows and identity links).
#[derive(Serialize, Deserialize)]
struct Loaded<R, S, L> {
    report: R,
    skipped_rows: S,
    identity_links: L,
}

/// A file's table and report, built in a part worker, as bytes for [`decode_loaded`]: the
/// worker that reads a large file builds its table there and hands the analysis worker only
/// the table (see [`EventTable::encode`]). Not for a path table (it has no rows).
pub fn encode_loaded(table: &EventTable, report: &LoadReport) -> Vec<u8> {
    let loaded = Loaded { report, skipped_rows: &report.skipped_rows, identity_links: &report.identity_links };
    frame(&loaded, table.encode())
}

/// The table and report [`encode_loaded`] wrote.
pub fn decode_loaded<P: PartBytes + ?Sized>(bytes: &P) -> Result<(EventTable, LoadReport), String> {
    type Owned = Loaded<LoadReport, Vec<SkippedRow>, Vec<(String, String)>>;
    let (loaded, end): (Owned, usize) = unframe(bytes)?;
    let Loaded { mut report, skipped_rows, identity_links } = loaded;
    report.skipped_rows = skipped_rows;
    report.identity_links = identity_links;
    Ok((EventTable::decode(bytes, end)?, report))
}

/// Joins a file's parts, read apart, into one reading of the file: `first` is the file's first
/// part (read here), `rest` the others in file order, each [encoded](LoadPart::encode). The
/// result builds the table and report that reading the whole file gives.
///
/// `Ok(None)` when the parts do not join: one of them did not end between records (a cut
/// fell inside a quoted line break), or they were read with other columns or choices. The
/// file is then to be read whole. An error is the file's own, as reading it whole gives it
/// (more events than a tab can hold).
pub fn join_parts<P: PartBytes>(mut first: LoadPart, rest: Vec<P>) -> Result<Option<LoadPart>, LoadError> {
    if first.path_reader.is_some() || first.builder.is_none() || first.report.identity_map || first.report.lookup {
        return Ok(None);
    }
    // Room for every part's rows at once (the columns do not grow part by part); a row takes
    // at least 12 of a part's bytes, which bounds what damaged figures could ask for.
    let metas: Vec<Result<(Meta, usize), String>> = rest.iter().map(|b| decode(b)).collect();
    let more: u64 = metas.iter().filter_map(|m| m.as_ref().ok()).map(|(m, _)| m.report.rows_used).sum();
    let bound = rest.iter().map(|b| b.len() as u64 / 12).sum::<u64>();
    first.builder.as_mut().expect("checked above").reserve(more.min(bound) as usize);
    let mut newlines_before = first.newlines;
    let mut clean = first.clean_end;
    // Each part's bytes are freed once its rows are in.
    for (bytes, meta) in rest.into_iter().zip(metas) {
        let Ok((part, rows_at)) = meta else { return Ok(None) };
        let same = |a: &LoadReport, b: &LoadReport| {
            a.format == b.format
                && a.headers == b.headers
                && a.mapping == b.mapping
                && a.kept == b.kept
                && !b.identity_map
                && !b.lookup
                && !b.headerless
        };
        if !clean || !same(&first.report, &part.report) || part.duplicates != first.duplicates {
            return Ok(None);
        }
        let builder = first.builder.as_mut().expect("checked above");
        if builder.append_encoded_from(&bytes, rows_at).is_err() {
            return Ok(None);
        }
        let line = |l: u64| (l + newlines_before).saturating_sub(part.prefix.1);
        first.report.bytes += part.report.bytes.saturating_sub(part.prefix.0);
        join_report(&mut first.report, part.report, line);
        // The part's first row meets the last row before it.
        if let (Some(last), Some(next)) = (first.last_ts, part.first_ts) {
            first.report.out_of_order += u64::from(next < last);
        }
        first.first_ts = first.first_ts.or(part.first_ts);
        first.last_ts = part.last_ts.or(first.last_ts);
        first.range = match (first.range, part.range) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (a, b) => a.or(b),
        };
        newlines_before += part.newlines;
        clean = part.clean_end;
    }
    first.clean_end = clean;
    if first.report.rows_used > first.max_events {
        return Err(LoadError {
            file: first.file.clone(),
            line: None,
            message: super::too_many_events(first.max_events),
        });
    }
    Ok(Some(first))
}

/// Adds a later part's report to `into`, its line numbers read through `line`.
fn join_report(into: &mut LoadReport, part: LoadReport, line: impl Fn(u64) -> u64) {
    into.rows_read += part.rows_read;
    into.rows_used += part.rows_used;
    into.unzoned_timestamps += part.unzoned_timestamps;
    into.bad_revenue += part.bad_revenue;
    into.out_of_order += part.out_of_order;
    for stat in part.skipped {
        let at = match into.skipped.iter().position(|s| s.reason == stat.reason) {
            Some(at) => at,
            None => {
                into.skipped.push(super::SkipStat { reason: stat.reason, count: 0, lines: Vec::new(), example: None });
                into.skipped.len() - 1
            }
        };
        let s = &mut into.skipped[at];
        s.count += stat.count;
        let room = MAX_LINES_PER_REASON.saturating_sub(s.lines.len());
        s.lines.extend(stat.lines.into_iter().take(room).map(&line));
        if s.example.is_none() {
            s.example = stat.example;
        }
    }
    let room = MAX_SKIPPED_ROWS.saturating_sub(into.skipped_rows.len());
    into.skipped_rows.extend(part.skipped_rows.into_iter().take(room).map(|r| SkippedRow { line: line(r.line), ..r }));
    if !part.identity_links.is_empty() {
        let mut seen: std::collections::HashSet<(String, String)> = into.identity_links.iter().cloned().collect();
        for pair in part.identity_links {
            if seen.len() < super::MAX_IDENTITY_LINKS && seen.insert(pair.clone()) {
                into.identity_links.push(pair);
            }
        }
    }
    for off in part.offsets_minutes {
        if let Err(at) = into.offsets_minutes.binary_search(&off) {
            into.offsets_minutes.insert(at, off);
        }
    }
    for note in part.notes {
        if !into.notes.contains(&note) {
            into.notes.push(note);
        }
    }
}

/// Where to cut a file of `size` bytes into `parts` parts: the position after the first line
/// break at or after each even share, read through `window` (bytes `at..at + n`). `None` when
/// a share has no line break near it, or the cuts would not all fall after `after`.
pub fn cut_points(
    size: u64,
    parts: usize,
    after: u64,
    mut window: impl FnMut(u64, u64) -> Result<Vec<u8>, String>,
) -> Result<Option<Vec<u64>>, String> {
    const WINDOW: u64 = 64 << 10;
    let mut out: Vec<u64> = Vec::new();
    for k in 1..parts as u64 {
        let at = size * k / parts as u64;
        let bytes = window(at, (at + WINDOW).min(size))?;
        let Some(i) = bytes.iter().position(|&b| b == b'\n') else { return Ok(None) };
        let cut = at + i as u64 + 1;
        if cut <= after || cut >= size || out.last().is_some_and(|&c| cut <= c) {
            return Ok(None);
        }
        out.push(cut);
    }
    Ok(Some(out))
}
