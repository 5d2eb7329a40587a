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
//!
//! A record is read without building a `Value` tree for its top level ([`Object`]): its
//! scalars become text at once, strings without escapes borrowed from the line; only nested
//! objects and lists become `Value`s, to be flattened. The result is what flattening the
//! record's `Value` gives (keys in `Value`'s order, by name; a repeated key's last value).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

use super::records::{Fields, KeyedRecords, Record};
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

    pub fn is_array(&self) -> bool {
        self.array
    }

    /// Whether the input so far ended between records: JSON lines after a line break.
    pub fn between_records(&self) -> bool {
        !self.array && self.buf.is_empty()
    }

    /// Reads records as having these columns from the start (a later part of a file whose
    /// first part found them).
    pub fn fix_keys(&mut self, keys: Vec<String>, rows: &mut Rows) -> Result<(), LoadError> {
        self.records.fix_keys(keys, rows)
    }

    pub fn feed(&mut self, input: &[u8], rows: &mut Rows) -> Result<(), LoadError> {
        if self.array {
            self.feed_array(input, rows)
        } else {
            self.feed_lines(input, rows)
        }
    }

    fn feed_lines(&mut self, mut input: &[u8], rows: &mut Rows) -> Result<(), LoadError> {
        while let Some(nl) = memchr::memchr(b'\n', input) {
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
        // Checked as UTF-8 once, then parsed as text: `from_slice` checks each string on its own
        // (a call per string). Text that is not UTF-8 takes `from_slice`, for its message.
        let parsed = match std::str::from_utf8(trimmed) {
            Ok(text) => serde_json::from_str::<Object>(text),
            Err(_) => serde_json::from_slice::<Object>(trimmed),
        };
        let record = match parsed {
            // Once the columns are fixed, fields are only looked up by key: their order no
            // longer matters.
            Ok(Object(Some(entries))) => fields(entries, rows.header.is_none()),
            Ok(Object(None)) => {
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
        self.records.add_fields(line, record, rows)
    }

    pub fn finish(&mut self, rows: &mut Rows) -> Result<(), LoadError> {
        let rest = std::mem::take(&mut self.buf);
        let line = if self.array { self.buf_line } else { self.line };
        self.value(line, &rest, true, rows)?;
        self.records.finish(rows, "the file holds no JSON objects")
    }
}

/// A JSON text read for its top level: `None` when it is not an object, else its members in
/// the order written.
struct Object<'a>(Option<Vec<(Cow<'a, str>, Member<'a>)>>);

/// A top-level member's value: a scalar as text (what [`flatten`] makes of it), `null`, or a
/// nested object or list.
enum Member<'a> {
    Text(Cow<'a, str>),
    Null,
    Nested(Value),
}

/// A key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

/// A record's fields from its members: sorted by key, a repeated key's last value kept (as
/// `Value`'s map has them), nested values flattened below their key. Unless `sorted` is
/// asked, a record of distinct keys and no nested values (the common case) keeps the order
/// written, which has the same fields.
fn fields<'a>(mut members: Vec<(Cow<'a, str>, Member<'a>)>, sorted: bool) -> Fields<'a> {
    let distinct = |i: usize| members[..i].iter().all(|(k, _)| k.len() != members[i].0.len() || *k != members[i].0);
    if !sorted && members.iter().all(|(_, m)| !matches!(m, Member::Nested(_))) && (1..members.len()).all(distinct) {
        return members
            .into_iter()
            .filter_map(|(k, m)| match m {
                Member::Text(text) => Some((k, text)),
                _ => None,
            })
            .collect();
    }
    // A stable sort keeps repeated keys in the order written; the last of each run wins.
    members.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(members.len());
    let mut members = members.into_iter().peekable();
    while let Some((key, member)) = members.next() {
        if members.peek().is_some_and(|(next, _)| *next == key) {
            continue;
        }
        match member {
            Member::Text(text) => out.push((key, text)),
            Member::Null => {}
            Member::Nested(value) => {
                let mut nested = Record::new();
                flatten(&mut key.into_owned(), &value, &mut nested);
                out.extend(nested.into_iter().map(|(k, v)| (Cow::Owned(k), Cow::Owned(v))));
            }
        }
    }
    out
}

impl<'de> Deserialize<'de> for Object<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Object<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(8);
                while let Some(Key(key)) = map.next_key()? {
                    members.push((key, map.next_value()?));
                }
                Ok(Object(Some(members)))
            }
            // Any other value is read in full (as a `Value`, so that it is checked the same way)
            // and set aside.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<Value>()?.is_some() {}
                Ok(Object(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Object(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        // Scalars become the text `flatten` gives their `Value`: numbers through `Number`, so
        // that they print as `Value`'s do.
        impl<'de> Visitor<'de> for V {
            type Value = Member<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
                Ok(Member::Text(Cow::Borrowed(if b { "true" } else { "false" })))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
                Ok(Member::Text(Cow::Owned(Number::from(n).to_string())))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
                Ok(Member::Text(Cow::Owned(Number::from(n).to_string())))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
                Ok(Number::from_f64(n).map_or(Member::Null, |n| Member::Text(Cow::Owned(n.to_string()))))
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Member::Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Member::Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(Member::Text(Cow::Owned(s)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Member::Null)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Member::Nested)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Member::Nested)
            }
        }
        d.deserialize_any(V)
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
    fn records_read_as_flattening_their_value_gives() {
        let texts = [
            r#"{"b":"x","a":1,"c":null,"d":{"e":[1,{"f":2}]},"a":"2","a.b":"top"}"#,
            r#"{"e":"q\u00e9","n":-0,"f":1.50,"g":-2.5e-3,"big":18446744073709551616,"t":true,"u":false}"#,
            r#"{"k":"v","k":null}"#,
            r#"{"k":null,"k":"w"}"#,
            r#"{"customer_id":"c1","timestamp":"2025-01-01T00:00:00Z","event":"x","revenue":12.30}"#,
            r#"{}"#,
        ];
        for text in texts {
            let value: Value = serde_json::from_str(text).unwrap();
            let mut want = Vec::new();
            flatten(&mut String::new(), &value, &mut want);
            let read = |sorted: bool| -> Vec<(String, String)> {
                let Ok(Object(Some(members))) = serde_json::from_str::<Object>(text) else { panic!("{text}") };
                fields(members, sorted).into_iter().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
            };
            assert_eq!(read(true), want, "{text}");
            // In the order written: the same fields.
            let (mut got, mut want) = (read(false), want);
            got.sort();
            want.sort();
            assert_eq!(got, want, "{text}");
        }
        for text in ["[1,2]", "\"s\"", "3", "null"] {
            assert!(matches!(serde_json::from_str::<Object>(text), Ok(Object(None))), "{text}");
        }
    }

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
