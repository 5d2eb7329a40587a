//! What the loaded data holds, for the summary panel and the step pickers.

use serde::{Deserialize, Serialize};

use super::attribution::Journeys;
use super::identity::StitchReport;
use super::ingest::LoadReport;
use super::sort::sort_by;
use super::table::{Column, EventTable};
use super::time::format_timestamp;

/// A value and how many events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    pub value: String,
    pub events: u64,
}

/// One loaded file: its name, its source label and what reading it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    pub name: String,
    /// Serves as channel for this file's rows when it has no channel column (and several files are loaded).
    pub label: String,
    pub report: LoadReport,
}

/// An aggregated path table at a glance (the loaded data has no events then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathTableInfo {
    /// Distinct paths.
    pub paths: u64,
    pub conversions: f64,
    pub value: f64,
    pub nulls: f64,
}

/// The loaded dataset at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub events: u64,
    pub customers: u64,
    /// Event values, most frequent first (ties by name).
    pub event_values: Vec<ValueCount>,
    /// Channel values, most frequent first; empty when no channel column is mapped.
    pub channel_values: Vec<ValueCount>,
    /// Stage values, most frequent first; empty when no stage column is mapped.
    #[serde(default)]
    pub stage_values: Vec<ValueCount>,
    pub has_channel: bool,
    pub first: Option<String>,
    pub last: Option<String>,
    /// The files merged into the table, in load order.
    pub files: Vec<FileInfo>,
    /// Links between anonymous and known ids found in the files, and what merging them does.
    pub identity: StitchReport,
    /// Whether customers were stitched by those links.
    pub stitched: bool,
    /// The analysis worker's wasm memory in bytes after the load (0 natively); the benchmark
    /// divides it by `events` for resident bytes per event.
    #[serde(default)]
    pub memory_bytes: u64,
    /// Set when the data is an aggregated path table; `channel_values` then counts the
    /// journeys (conversions + non-conversions) touching each channel.
    #[serde(default)]
    pub path_table: Option<PathTableInfo>,
    /// The kept columns (`keep=`), in the table's order.
    #[serde(default)]
    pub attrs: Vec<AttrValues>,
}

/// A kept column's values, most frequent first, at most [`MAX_ATTR_VALUES`] of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttrValues {
    pub name: String,
    pub values: Vec<ValueCount>,
    /// Distinct values, `""` included.
    pub distinct: u64,
}

/// Values of a kept column listed in the summary (the rest are counted in `distinct`).
pub const MAX_ATTR_VALUES: usize = 1000;

fn value_counts(col: &Column) -> Vec<ValueCount> {
    let mut v: Vec<ValueCount> = col
        .values
        .iter()
        .zip(col.counts())
        .map(|(value, events)| ValueCount { value: value.clone(), events })
        .collect();
    sort_by(&mut v, &|a, b| b.events.cmp(&a.events).then_with(|| a.value.cmp(&b.value)));
    v
}

impl Summary {
    /// The values of a dimension, most frequent first.
    pub fn values(&self, by: &super::funnel::Dimension) -> &[ValueCount] {
        match by {
            super::funnel::Dimension::Event => &self.event_values,
            super::funnel::Dimension::Channel => &self.channel_values,
            super::funnel::Dimension::Stage => &self.stage_values,
            super::funnel::Dimension::Attr(name) => {
                self.attrs.iter().find(|a| &a.name == name).map_or(&[], |a| &a.values[..])
            }
        }
    }

    /// The session columns of the loaded files, by header name, in load order without repeats
    /// (`session_id`, or `session_id / visit_num` when files differ); `None` without one.
    pub fn session_columns(&self) -> Option<String> {
        let mut names: Vec<&str> = Vec::new();
        for f in &self.files {
            if let Some(h) = f.report.mapping.session.and_then(|i| f.report.headers.get(i)) {
                if !names.contains(&h.trim()) {
                    names.push(h.trim());
                }
            }
        }
        (!names.is_empty()).then(|| names.join(" / "))
    }

    pub fn of(table: &EventTable, files: Vec<FileInfo>) -> Summary {
        Summary {
            events: table.len() as u64,
            customers: table.customer_count() as u64,
            event_values: value_counts(&table.event),
            channel_values: table.channel.as_ref().map(value_counts).unwrap_or_default(),
            stage_values: table.stage.as_ref().map(value_counts).unwrap_or_default(),
            has_channel: table.channel.is_some(),
            first: table.ts.iter().min().map(format_timestamp),
            last: table.ts.iter().max().map(format_timestamp),
            files,
            identity: StitchReport::default(),
            stitched: false,
            memory_bytes: 0,
            path_table: None,
            attrs: table
                .attrs
                .iter()
                .map(|a| {
                    let mut values = value_counts(&a.column);
                    values.truncate(MAX_ATTR_VALUES);
                    AttrValues { name: a.name.clone(), values, distinct: a.column.values.len() as u64 }
                })
                .collect(),
        }
    }

    /// The summary of an aggregated path table.
    pub fn of_path_table(j: &Journeys, files: Vec<FileInfo>) -> Summary {
        let mut touching = vec![0.0; j.channels.len()];
        let mut seen = vec![usize::MAX; j.channels.len()];
        for (i, r) in j.iter().enumerate() {
            for &c in r.touches {
                if seen[c as usize] != i {
                    seen[c as usize] = i;
                    touching[c as usize] += r.conversions + r.nulls;
                }
            }
        }
        let mut channel_values: Vec<ValueCount> = j
            .channels
            .iter()
            .zip(touching)
            .map(|(value, n)| ValueCount { value: value.clone(), events: n.round() as u64 })
            .collect();
        sort_by(&mut channel_values, &|a, b| b.events.cmp(&a.events).then_with(|| a.value.cmp(&b.value)));
        let sum = |v: &[f64]| v.iter().sum::<f64>();
        Summary {
            events: 0,
            customers: 0,
            event_values: Vec::new(),
            channel_values,
            stage_values: Vec::new(),
            has_channel: true,
            first: None,
            last: None,
            files,
            identity: StitchReport::default(),
            stitched: false,
            memory_bytes: 0,
            attrs: Vec::new(),
            path_table: Some(PathTableInfo {
                paths: j.len() as u64,
                conversions: sum(&j.conversions),
                value: sum(&j.value),
                nulls: sum(&j.nulls),
            }),
        }
    }

    /// Rows skipped over all files.
    pub fn rows_skipped(&self) -> u64 {
        self.files.iter().map(|f| f.report.rows_skipped()).sum()
    }
}

/// A count with thousands separators: 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A source label from a file name: extensions dropped, `_`, `-` and `.` read as spaces
/// (`call_center-2025.csv.gz` → `call center 2025`).
pub fn label_from_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut stem = base;
    for ext in [".gz", ".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json"] {
        if stem.len() > ext.len() && stem.to_ascii_lowercase().ends_with(ext) {
            stem = &stem[..stem.len() - ext.len()];
        }
    }
    let words: Vec<&str> = stem.split(['_', '-', '.', ' ']).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        base.to_string()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_file_names() {
        assert_eq!(label_from_file_name("callcenter.csv"), "callcenter");
        assert_eq!(label_from_file_name("call_center-2025.csv.gz"), "call center 2025");
        assert_eq!(label_from_file_name("exports/Store POS.tsv"), "Store POS");
        assert_eq!(label_from_file_name("events.json.gz"), "events");
        assert_eq!(label_from_file_name(".csv"), "csv");
        assert_eq!(label_from_file_name("__"), "__");
    }
}
