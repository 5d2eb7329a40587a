//! The columnar event table.
//!
//! Events are clustered by customer: customer `c` owns rows
//! `offsets[c]..offsets[c + 1]`, so the customer column is implicit. Within a
//! customer, rows are ordered by timestamp; equal timestamps keep file order.
//! String columns are dictionary-encoded (`codes` index into `values`).

use std::collections::HashMap;

/// A dictionary-encoded string column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Column {
    /// Distinct values, in order of first appearance.
    pub values: Vec<String>,
    /// One code per row.
    pub codes: Vec<u32>,
}

impl Column {
    /// The code of a value, if present.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        self.values.iter().position(|v| v == value).map(|i| i as u32)
    }

    /// Rows per distinct value, indexed by code.
    pub fn counts(&self) -> Vec<u64> {
        let mut counts = vec![0u64; self.values.len()];
        for &c in &self.codes {
            counts[c as usize] += 1;
        }
        counts
    }
}

/// All loaded events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventTable {
    /// Customer id strings, by customer index (order of first appearance).
    pub customers: Vec<String>,
    /// `customers.len() + 1` row offsets.
    pub offsets: Vec<u32>,
    /// Microseconds since the epoch, UTC.
    pub ts: Vec<i64>,
    pub event: Column,
    pub channel: Option<Column>,
    pub stage: Option<Column>,
    /// Revenue per row; `NaN` where the row has none.
    pub revenue: Option<Vec<f64>>,
}

impl EventTable {
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    pub fn customer_count(&self) -> usize {
        self.customers.len()
    }

    /// The row range of customer `c`.
    pub fn rows_of(&self, c: usize) -> std::ops::Range<usize> {
        self.offsets[c] as usize..self.offsets[c + 1] as usize
    }
}

/// Interns strings to dense codes.
#[derive(Debug, Default)]
pub struct Interner {
    map: HashMap<Box<str>, u32>,
    values: Vec<String>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&c) = self.map.get(s) {
            return c;
        }
        let c = self.values.len() as u32;
        self.map.insert(s.into(), c);
        self.values.push(s.to_string());
        c
    }

    pub fn into_values(self) -> Vec<String> {
        self.values
    }
}

/// Collects rows in file order, then clusters them by customer.
#[derive(Debug, Default)]
pub struct TableBuilder {
    customers: Interner,
    events: Interner,
    channels: Interner,
    stages: Interner,
    cust: Vec<u32>,
    ts: Vec<i64>,
    event: Vec<u32>,
    channel: Vec<u32>,
    stage: Vec<u32>,
    revenue: Vec<f64>,
    pub has_channel: bool,
    pub has_stage: bool,
    pub has_revenue: bool,
}

/// One row, borrowed from the parser's buffers.
pub struct RowRef<'a> {
    pub customer: &'a str,
    pub ts: i64,
    pub event: &'a str,
    pub channel: Option<&'a str>,
    pub stage: Option<&'a str>,
    pub revenue: Option<f64>,
}

impl TableBuilder {
    pub fn new(has_channel: bool, has_stage: bool, has_revenue: bool) -> Self {
        TableBuilder { has_channel, has_stage, has_revenue, ..Default::default() }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    pub fn push(&mut self, row: RowRef<'_>) {
        self.cust.push(self.customers.intern(row.customer));
        self.ts.push(row.ts);
        self.event.push(self.events.intern(row.event));
        if self.has_channel {
            self.channel.push(self.channels.intern(row.channel.unwrap_or("")));
        }
        if self.has_stage {
            self.stage.push(self.stages.intern(row.stage.unwrap_or("")));
        }
        if self.has_revenue {
            self.revenue.push(row.revenue.unwrap_or(f64::NAN));
        }
    }

    /// Clusters rows by customer (counting sort, stable) and sorts each
    /// customer's rows by time (stable, so ties keep file order).
    pub fn finish(self) -> EventTable {
        let n_cust = self.customers.values.len();
        let mut offsets = vec![0u32; n_cust + 1];
        for &c in &self.cust {
            offsets[c as usize + 1] += 1;
        }
        for i in 0..n_cust {
            offsets[i + 1] += offsets[i];
        }
        let mut next = offsets.clone();
        let mut order = vec![0u32; self.cust.len()];
        for (row, &c) in self.cust.iter().enumerate() {
            order[next[c as usize] as usize] = row as u32;
            next[c as usize] += 1;
        }
        for c in 0..n_cust {
            let part = &mut order[offsets[c] as usize..offsets[c + 1] as usize];
            if !part.windows(2).all(|w| self.ts[w[0] as usize] <= self.ts[w[1] as usize]) {
                part.sort_by_key(|&r| self.ts[r as usize]);
            }
        }
        let gather_u32 = |v: &[u32]| order.iter().map(|&r| v[r as usize]).collect::<Vec<u32>>();
        let column =
            |interner: Interner, codes: &[u32]| Column { codes: gather_u32(codes), values: interner.into_values() };
        EventTable {
            ts: order.iter().map(|&r| self.ts[r as usize]).collect(),
            event: column(self.events, &self.event),
            channel: self.has_channel.then(|| column(self.channels, &self.channel)),
            stage: self.has_stage.then(|| column(self.stages, &self.stage)),
            revenue: self.has_revenue.then(|| order.iter().map(|&r| self.revenue[r as usize]).collect()),
            customers: self.customers.into_values(),
            offsets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(c: &'a str, ts: i64, e: &'a str) -> RowRef<'a> {
        RowRef { customer: c, ts, event: e, channel: None, stage: None, revenue: None }
    }

    #[test]
    fn clusters_by_customer_and_sorts_stably_by_time() {
        let mut b = TableBuilder::new(false, false, false);
        b.push(row("bob", 5, "b1"));
        b.push(row("ann", 9, "a1"));
        b.push(row("bob", 3, "b2"));
        b.push(row("ann", 9, "a2"));
        b.push(row("bob", 5, "b3"));
        let t = b.finish();
        assert_eq!(t.customers, vec!["bob", "ann"]);
        assert_eq!(t.offsets, vec![0, 3, 5]);
        assert_eq!(t.ts, vec![3, 5, 5, 9, 9]);
        let names: Vec<&str> = t.event.codes.iter().map(|&c| t.event.values[c as usize].as_str()).collect();
        assert_eq!(names, vec!["b2", "b1", "b3", "a1", "a2"]);
    }
}
