//! JSON lines (one object per line) and JSON arrays of objects.
//!
//! Nested objects are flattened to dotted paths (`properties.distinct_id`,
//! `context.campaign.source`); a list of `{key, value}` objects, as GA4 exports
//! `event_params`, becomes one column per key (`event_params[key=ga_session_id]`,
//! the first non-null of `value`'s `*_value` fields); other lists are indexed
//! (`items[0].price`, the first 20 elements). `null` is absent, numbers keep
//! their JSON text (integers of any size stay exact), booleans are `true`/`false`.
//!
//! Columns are the keys seen in the first [`super::records::DISCOVER`] records, in order of first
//! appearance; records are held until then so no early row is lost.

use serde_json::Value;

use super::records::{KeyedRecords, Record};
use super::{LoadError, Rows, SkipReason};

/// How many elements of an indexed list are kept.
const LIST_LIMIT: usize = 20;

pub(super) struct JsonParser {
    /// An array (`[...]`) rather than JSON lines.
    array: bool,
    /// Bytes of the record (array) or line (JSON lines) not yet complete.
    buf: Vec<u8>,
    /// Line number at the start of `buf` (1-based).
    buf_line: u64,
    /// Lines consumed so far (newlines seen), for line numbers.
    line: u64,
    // Array splitter state.
    depth: u32,
    in_string: bool,
    escape: bool,
    records: KeyedRecords,
}

impl JsonParser {
    pub fn new(array: bool, rows: &mut Rows) -> JsonParser {
        rows.report.format = if array { "json" } else { "json lines" }.to_string();
        rows.json = true;
        JsonParser {
            array,
            buf: Vec::new(),
            buf_line: 1,
            line: 1,
            depth: 0,
            in_string: false,
            escape: false,
            records: KeyedRecords::default(),
        }
    }

    pub fn feed(&mut self, input: &[u8], rows: &mut Rows) -> Result<(), LoadError> {
        if self.array {
            self.feed_array(input, rows)
        } else {
            self.feed_lines(input, rows)
        }
    }

    fn feed_lines(&mut self, mut input: &[u8], rows: &mut Rows) -> Result<(), LoadError> {
        while let Some(nl) = input.iter().position(|&b| b == b'\n') {
            let line_no = self.line;
            self.line += 1;
            if self.buf.is_empty() {
                self.value(line_no, &input[..nl], false, rows)?;
            } else {
                let mut whole = std::mem::take(&mut self.buf);
                whole.extend_from_slice(&input[..nl]);
                self.value(line_no, &whole, false, rows)?;
            }
            input = &input[nl + 1..];
        }
        self.buf.extend_from_slice(input);
        Ok(())
    }

    fn feed_array(&mut self, input: &[u8], rows: &mut Rows) -> Result<(), LoadError> {
        let mut start = if self.depth >= 2 { Some(0) } else { None };
        for (i, &b) in input.iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
            }
            if self.in_string {
                match (self.escape, b) {
                    (true, _) => self.escape = false,
                    (false, b'\\') => self.escape = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth == 2 {
                        start = Some(i);
                        self.buf_line = self.line;
                    }
                }
                b'}' | b']' => {
                    if self.depth == 2 {
                        let s = start.take().unwrap_or(0);
                        let line = self.buf_line;
                        if self.buf.is_empty() {
                            self.value(line, &input[s..=i], false, rows)?;
                        } else {
                            let mut whole = std::mem::take(&mut self.buf);
                            whole.extend_from_slice(&input[s..=i]);
                            self.value(line, &whole, false, rows)?;
                        }
                    }
                    self.depth = self.depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            self.buf.extend_from_slice(&input[s..]);
        }
        Ok(())
    }

    /// Parses one record's text; `last` marks an unterminated last line or record.
    fn value(&mut self, line: u64, text: &[u8], last: bool, rows: &mut Rows) -> Result<(), LoadError> {
        let trimmed = text.trim_ascii();
        if trimmed.is_empty() {
            return Ok(());
        }
        let record = match serde_json::from_slice::<Value>(trimmed) {
            Ok(Value::Object(map)) => {
                let mut out = Vec::with_capacity(map.len());
                let mut path = String::new();
                flatten(&mut path, &Value::Object(map), &mut out);
                out
            }
            Ok(_) => {
                rows.report.rows_read += 1;
                rows.report.skip(SkipReason::InvalidJson, line, Some("not a JSON object"));
                return Ok(());
            }
            Err(e) => {
                rows.report.rows_read += 1;
                let reason = if last { SkipReason::TruncatedLastLine } else { SkipReason::InvalidJson };
                rows.report.skip(reason, line, Some(&e.to_string()));
                return Ok(());
            }
        };
        self.records.add(line, record, rows)
    }

    pub fn finish(&mut self, rows: &mut Rows) -> Result<(), LoadError> {
        let rest = std::mem::take(&mut self.buf);
        let line = if self.array { self.buf_line } else { self.line };
        self.value(line, &rest, true, rows)?;
        self.records.finish(rows, "the file holds no JSON objects")
    }
}

/// Appends `value`'s scalar leaves to `out` under dotted paths starting at `path`.
pub fn flatten(path: &mut String, value: &Value, out: &mut Record) {
    let len = path.len();
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((path.clone(), b.to_string())),
        Value::Number(n) => out.push((path.clone(), n.to_string())),
        Value::String(s) => out.push((path.clone(), s.clone())),
        Value::Object(map) => {
            for (k, v) in map {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                flatten(path, v, out);
                path.truncate(len);
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(is_key_value) => {
            for item in items {
                let key = item.get("key").and_then(Value::as_str).unwrap_or_default();
                path.push_str(&format!("[key={key}]"));
                match item.get("value") {
                    // GA4: {"string_value": null, "int_value": 5, ...} → the first non-null `*_value`
                    // field (`user_properties` values also hold `set_timestamp_micros`, which sorts first).
                    Some(Value::Object(typed)) => {
                        let first = |want_value: bool| {
                            typed.iter().find(|(k, v)| !v.is_null() && (!want_value || k.ends_with("_value")))
                        };
                        if let Some((_, v)) = first(true).or_else(|| first(false)) {
                            flatten(path, v, out);
                        }
                    }
                    Some(v) => flatten(path, v, out),
                    None => {}
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().take(LIST_LIMIT).enumerate() {
                path.push_str(&format!("[{i}]"));
                flatten(path, item, out);
                path.truncate(len);
            }
        }
    }
}

fn is_key_value(v: &Value) -> bool {
    v.as_object().is_some_and(|o| o.get("key").is_some_and(Value::is_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_nested_objects_key_value_lists_and_indexed_lists() {
        let v: Value = serde_json::from_str(
            r#"{"event":"purchase","properties":{"distinct_id":"u1","time":1700000000,"flag":true,"none":null},
                "event_params":[{"key":"ga_session_id","value":{"string_value":null,"int_value":42}},
                                {"key":"page","value":{"string_value":"/home"}}],
                "items":[{"price":9.5},{"price":18446744073709551615}]}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        flatten(&mut String::new(), &v, &mut out);
        let got: Vec<(&str, &str)> = out.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            vec![
                // serde_json orders keys by name.
                ("event", "purchase"),
                ("event_params[key=ga_session_id]", "42"),
                ("event_params[key=page]", "/home"),
                ("items[0].price", "9.5"),
                ("items[1].price", "18446744073709551615"),
                ("properties.distinct_id", "u1"),
                ("properties.flag", "true"),
                ("properties.time", "1700000000"),
            ]
        );
    }
}
