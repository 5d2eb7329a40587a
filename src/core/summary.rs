//! What the loaded data holds, for the summary panel and the step pickers.

use serde::{Deserialize, Serialize};

use super::ingest::LoadReport;
use super::table::{Column, EventTable};
use super::time::format_timestamp;

/// A value and how many events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    pub value: String,
    pub events: u64,
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
    pub has_channel: bool,
    pub first: Option<String>,
    pub last: Option<String>,
    pub report: LoadReport,
}

fn value_counts(col: &Column) -> Vec<ValueCount> {
    let mut v: Vec<ValueCount> = col
        .values
        .iter()
        .zip(col.counts())
        .map(|(value, events)| ValueCount { value: value.clone(), events })
        .collect();
    v.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.value.cmp(&b.value)));
    v
}

impl Summary {
    pub fn of(table: &EventTable, report: LoadReport) -> Summary {
        Summary {
            events: table.len() as u64,
            customers: table.customer_count() as u64,
            event_values: value_counts(&table.event),
            channel_values: table.channel.as_ref().map(value_counts).unwrap_or_default(),
            has_channel: table.channel.is_some(),
            first: table.ts.iter().min().map(|&t| format_timestamp(t)),
            last: table.ts.iter().max().map(|&t| format_timestamp(t)),
            report,
        }
    }
}
