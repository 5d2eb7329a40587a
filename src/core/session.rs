//! Where one session ends and the next begins: a session column, or an inactivity gap.

use serde::{Deserialize, Serialize};

use std::ops::Range;

use super::table::{Codes, EventTable, Times};

/// Where sessions come from (`sessions=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionSource {
    /// The data's session column, when it has one (else the inactivity gap).
    #[default]
    Column,
    /// An inactivity gap longer than the session gap ends a session.
    Gap,
}

impl SessionSource {
    pub fn key(self) -> &'static str {
        match self {
            SessionSource::Column => "column",
            SessionSource::Gap => "gap",
        }
    }

    pub fn from_key(k: &str) -> Option<SessionSource> {
        [SessionSource::Column, SessionSource::Gap].into_iter().find(|s| s.key() == k)
    }

    /// What is used on `table`: the column only when asked for and present.
    pub fn used(self, table: &EventTable) -> SessionSource {
        if self == SessionSource::Column && table.session.is_some() {
            SessionSource::Column
        } else {
            SessionSource::Gap
        }
    }
}

/// Splits a customer's time-ordered rows into sessions.
///
/// From the column, a session is a (customer, session id) pair: it runs from the customer's
/// first event with that id to their last one (an id that comes back later is still the same
/// session), taking in every event between — events without an id, and other ids whose run
/// overlaps it, which join it as one session. Events without an id outside every such run form
/// sessions among themselves, split by the inactivity gap. Without the column (or with
/// [`SessionSource::Gap`]), a gap longer than `gap` between two events ends a session.
pub struct Sessions<'t> {
    ts: &'t Times,
    /// Session codes, and the code of the empty id.
    ids: Option<(&'t Codes, Option<u32>)>,
    gap: i64,
    /// Per session code, its last row in the customer being split.
    last: Vec<u32>,
}

impl<'t> Sessions<'t> {
    pub fn new(table: &'t EventTable, source: SessionSource, gap_micros: i64) -> Sessions<'t> {
        let (ids, last) = match (source.used(table), &table.session) {
            (SessionSource::Column, Some(col)) => (Some((&col.codes, col.code_of(""))), vec![0; col.values.len()]),
            _ => (None, Vec::new()),
        };
        Sessions { ts: &table.ts, ids, gap: gap_micros, last }
    }

    /// Whether sessions come from the session column.
    pub fn from_column(&self) -> bool {
        self.ids.is_some()
    }

    /// Calls `emit` with each session of `rows` (one customer's rows), in time order.
    pub fn split(&mut self, rows: Range<usize>, mut emit: impl FnMut(Range<usize>)) {
        if rows.is_empty() {
            return;
        }
        let (ts, gap) = (self.ts, self.gap);
        let Some((codes, empty)) = self.ids else {
            let mut start = rows.start;
            for r in rows.start + 1..rows.end {
                if ts.at(r) - ts.at(r - 1) > gap {
                    emit(start..r);
                    start = r;
                }
            }
            emit(start..rows.end);
            return;
        };
        let has_id = |r: usize| Some(codes.get(r)) != empty;
        for r in rows.clone().filter(|&r| has_id(r)) {
            self.last[codes.get(r) as usize] = r as u32;
        }
        // `reach`: the last row of the ids seen in the current session (none: no id yet).
        let (mut start, mut reach): (usize, Option<usize>) = (rows.start, None);
        for r in rows.clone() {
            if r > start {
                let split = match reach {
                    Some(x) => r > x,
                    None => has_id(r) || ts.at(r) - ts.at(r - 1) > gap,
                };
                if split {
                    emit(start..r);
                    (start, reach) = (r, None);
                }
            }
            if has_id(r) {
                let end = self.last[codes.get(r) as usize] as usize;
                reach = Some(reach.map_or(end, |x| x.max(end)));
            }
        }
        emit(start..rows.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::table::{RowRef, TableBuilder};

    /// One customer's sessions as (first row, rows) from `(minute, session id)` events.
    fn split(events: &[(i64, &str)], source: SessionSource) -> Vec<(usize, usize)> {
        let mut b = TableBuilder::new(false, false, false);
        b.has_session = true;
        for &(m, id) in events {
            let row =
                RowRef { customer: "c", ts: m * 60_000_000, event: "e", channel: None, stage: None, revenue: None };
            b.push_with_session(row, Some(id));
        }
        let t = b.finish();
        let mut s = Sessions::new(&t, source, 30 * 60_000_000);
        let mut out = Vec::new();
        s.split(t.rows_of(0), |r| out.push((r.start, r.len())));
        out
    }

    #[test]
    fn a_session_is_a_session_id_and_ids_that_come_back_stay_one_session() {
        use SessionSource::{Column, Gap};
        // Runs of one id, whatever the gaps: a (0, 100), b (101), then a gap of 40 min without ids.
        assert_eq!(split(&[(0, "a"), (100, "a"), (101, "b")], Column), [(0, 2), (2, 1)]);
        assert_eq!(split(&[(0, "a"), (100, "a"), (101, "b")], Gap), [(0, 1), (1, 2)]);
        // a comes back after b: one session from a's first event to its last, b inside it; c after.
        assert_eq!(split(&[(0, "a"), (1, "b"), (2, "a"), (3, "c")], Column), [(0, 3), (3, 1)]);
        // Overlapping runs chain: a 0–2, b 1–4 (x inside) → one session of five events.
        assert_eq!(split(&[(0, "a"), (1, "b"), (2, "a"), (3, "x"), (4, "b")], Column), [(0, 5)]);
        // Without an id: inside a run they belong to it; outside, the gap splits them.
        assert_eq!(split(&[(0, "a"), (50, ""), (60, "a")], Column), [(0, 3)]);
        assert_eq!(
            split(&[(0, ""), (20, ""), (60, ""), (61, "a"), (62, ""), (63, "")], Column),
            [(0, 2), (2, 1), (3, 1), (4, 2)]
        );
    }
}
