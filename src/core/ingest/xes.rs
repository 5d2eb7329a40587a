//! XES event logs (IEEE 1849), as process-mining tools write them.
//!
//! Each `<event>` becomes a record of its attributes (`concept:name`,
//! `time:timestamp`, `org:resource`, …), plus its trace's attributes prefixed
//! `case:` as pm4py names them (`case:concept:name` is the case id). Nested
//! attributes are joined with dots; `<global>` defaults and log-level attributes
//! are ignored. The scanner streams: a tag cut by a chunk boundary waits for the
//! next chunk. Entities (`&amp;`, `&lt;`, `&#233;`, …) are decoded.

use super::records::{KeyedRecords, Record};
use super::{LoadError, Rows};

const ATTRIBUTE_TYPES: [&str; 8] = ["string", "date", "int", "float", "boolean", "id", "list", "container"];

#[derive(Default)]
pub(super) struct XesParser {
    /// Bytes not yet scanned (an incomplete tag).
    buf: Vec<u8>,
    /// Line number at the start of `buf`.
    line: u64,
    /// Depth inside `<global>` blocks, whose attributes are defaults, not data.
    global: u32,
    in_trace: bool,
    trace_attrs: Record,
    /// The open event: its line and attributes.
    event: Option<(u64, Record)>,
    /// Keys of open attributes that have children.
    nested: Vec<String>,
    records: KeyedRecords,
}

impl XesParser {
    pub fn new(rows: &mut Rows) -> XesParser {
        rows.report.format = "xes".to_string();
        XesParser { line: 1, ..Default::default() }
    }

    pub fn feed(&mut self, input: &[u8], rows: &mut Rows) -> Result<(), LoadError> {
        self.buf.extend_from_slice(input);
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0;
        let mut line = self.line;
        let result = loop {
            let Some(lt) = buf[pos..].iter().position(|&b| b == b'<').map(|i| pos + i) else {
                line += count_lines(&buf[pos..]);
                pos = buf.len();
                break Ok(());
            };
            line += count_lines(&buf[pos..lt]);
            let Some(end) = tag_end(&buf[lt..]).map(|i| lt + i) else {
                pos = lt; // incomplete: wait for more bytes
                break Ok(());
            };
            let tag = &buf[lt + 1..end];
            if let Err(e) = self.tag(tag, line, rows) {
                break Err(e);
            }
            line += count_lines(&buf[lt..=end]);
            pos = end + 1;
        };
        self.buf = buf[pos..].to_vec();
        self.line = line;
        result
    }

    fn tag(&mut self, tag: &[u8], line: u64, rows: &mut Rows) -> Result<(), LoadError> {
        if tag.first().is_some_and(|&b| b == b'?' || b == b'!') {
            return Ok(()); // declaration, comment, doctype
        }
        let text = String::from_utf8_lossy(tag);
        let text = text.trim();
        if let Some(name) = text.strip_prefix('/') {
            match name.trim() {
                "trace" => {
                    self.in_trace = false;
                    self.trace_attrs.clear();
                }
                "event" => {
                    if let Some((event_line, attrs)) = self.event.take() {
                        let mut record: Record = self.trace_attrs.clone();
                        record.extend(attrs);
                        self.records.add(event_line, record, rows)?;
                    }
                }
                "global" => self.global = self.global.saturating_sub(1),
                n if ATTRIBUTE_TYPES.contains(&n) => {
                    self.nested.pop();
                }
                _ => {}
            }
            return Ok(());
        }
        let self_closing = text.ends_with('/');
        let text = text.trim_end_matches('/');
        let (name, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        match name {
            "trace" => {
                self.in_trace = true;
                self.trace_attrs.clear();
            }
            "event" => self.event = Some((line, Vec::new())),
            "global" if !self_closing => self.global += 1,
            n if ATTRIBUTE_TYPES.contains(&n) => {
                let attrs = parse_attributes(rest);
                let get = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
                let key = get("key").unwrap_or_default();
                let full =
                    if self.nested.is_empty() { key.clone() } else { format!("{}.{key}", self.nested.join(".")) };
                if self.global == 0 {
                    if let Some(value) = get("value") {
                        if let Some((_, attrs)) = self.event.as_mut() {
                            attrs.push((full.clone(), value));
                        } else if self.in_trace {
                            self.trace_attrs.push((format!("case:{full}"), value));
                        }
                    }
                }
                if !self_closing {
                    self.nested.push(key);
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub fn finish(&mut self, rows: &mut Rows) -> Result<(), LoadError> {
        if let Some((line, _)) = self.event.take() {
            rows.report.rows_read += 1;
            rows.report.skip(super::SkipReason::TruncatedLastLine, line, Some("an <event> without its end"));
        }
        self.records.finish(rows, "the XES log holds no events")
    }
}

fn count_lines(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

/// Where the tag starting at `b[0] == b'<'` ends (its `>`), skipping quoted values and comments.
fn tag_end(b: &[u8]) -> Option<usize> {
    if b.starts_with(b"<!--") {
        return b.windows(3).position(|w| w == b"-->").map(|i| i + 2);
    }
    let mut quote = None;
    for (i, &c) in b.iter().enumerate().skip(1) {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// `key="a &amp; b" value='x'` → [("key", "a & b"), ("value", "x")].
fn parse_attributes(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq].trim().to_string();
        let after = rest[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else { break };
        let Some(close) = after[1..].find(q) else { break };
        out.push((name, decode_entities(&after[1..1 + close])));
        rest = after[close + 2..].trim_start();
    }
    out
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..semi];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => {
                u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32)
            }
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_and_entities() {
        assert_eq!(
            parse_attributes(r#"key="concept:name" value="A &amp; B &lt;1&gt; &#233;&#xE9; &bogus; & x""#),
            vec![("key".to_string(), "concept:name".to_string()), ("value".into(), "A & B <1> éé &bogus; & x".into())]
        );
        // '<' is at 0; the closing '>' after "/" is the 29th character, index 28.
        assert_eq!(tag_end(br#"<string key="a>b" value='c'/> tail"#), Some(28));
        assert_eq!(tag_end(b"<!-- a > b --> x"), Some(13));
        assert_eq!(tag_end(b"<string key=\"unfinished"), None);
    }
}
