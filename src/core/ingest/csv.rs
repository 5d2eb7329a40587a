//! Delimited text (CSV, TSV, semicolon, pipe) on top of `csv-core`'s push parser.

use super::{LoadError, RowOutcome, Rows, SkipReason};

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
            let headers =
                (0..ends.len()).map(|i| String::from_utf8_lossy(field(out, ends, i).unwrap()).trim().to_string());
            return rows.set_header(headers.collect(), line);
        }
        let outcome = rows.row(line, |i| field(out, ends, i).map(text));
        self.last_short = (outcome == RowOutcome::Short).then_some((line, ends.len()));
        Ok(())
    }

    /// Flushes the last record; a short last row without a final newline is re-filed as truncated.
    pub fn finish(&mut self, rows: &mut Rows, ended_with_newline: bool) -> Result<(), LoadError> {
        let seen_before = rows.report.rows_read;
        // An empty input tells csv-core the file has ended; it yields the last record.
        self.feed(&[], rows)?;
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
