//! The columnar event table.
//!
//! Events are clustered by customer: customer `c` owns rows
//! `offsets[c]..offsets[c + 1]`, so the customer column is implicit. Within a
//! customer, rows are ordered by timestamp; equal timestamps keep file order.
//! String columns are dictionary-encoded (`codes` index into `values`).

use std::hash::{BuildHasherDefault, Hasher};

use super::packed::with_codes;
pub use super::packed::{Codes, Ids, Revenue, Strings, Times};

/// A dictionary-encoded string column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Column {
    /// Distinct values, in order of first appearance.
    pub values: Vec<String>,
    /// One code per row.
    pub codes: Codes,
}

impl Column {
    /// The code of a value, if present.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        self.values.iter().position(|v| v == value).map(|i| i as u32)
    }

    /// The code of row `r`.
    #[inline]
    pub fn code(&self, r: usize) -> u32 {
        self.codes.get(r)
    }

    /// The value of row `r`.
    pub fn value(&self, r: usize) -> &str {
        &self.values[self.code(r) as usize]
    }

    /// Rows per distinct value, indexed by code (a call per 64 rows, see [`super::hot::chunked`]).
    pub fn counts(&self) -> Vec<u64> {
        fn count<C: Copy + Into<u32>>(codes: &[C], counts: &mut [u64]) {
            super::hot::chunked(codes.len().div_ceil(64), |k| {
                for &c in &codes[k * 64..codes.len().min(k * 64 + 64)] {
                    counts[c.into() as usize] += 1;
                }
            });
        }
        let mut counts = vec![0u64; self.values.len()];
        super::packed::with_codes!(&self.codes, |v| count(v, &mut counts));
        counts
    }
}

/// All loaded events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventTable {
    /// Customer id strings, by customer index (order of first appearance).
    pub customers: Ids,
    /// `customers.len() + 1` row offsets.
    pub offsets: Vec<u32>,
    /// Microseconds since the epoch, UTC (four bytes a row where they fit, see [`Times`]).
    pub ts: Times,
    pub event: Column,
    pub channel: Option<Column>,
    pub stage: Option<Column>,
    /// Revenue of the rows that have some, when a file has a revenue column.
    pub revenue: Option<Revenue>,
    /// Session id per row (`""` where the row has none), when a file has a session column.
    pub session: Option<Column>,
    /// Further columns kept by name (`keep=`), dimensions for funnels, paths and breakdowns
    /// (`""` where a row has no value, or its file no such column).
    pub attrs: Vec<Attr>,
}

/// A kept column beyond the mapped roles: its header name and values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attr {
    pub name: String,
    pub column: Column,
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

    /// The kept column named `name`.
    pub fn attr(&self, name: &str) -> Option<&Column> {
        self.attrs.iter().find(|a| a.name == name).map(|a| &a.column)
    }

    /// The row range of customer `c`.
    pub fn rows_of(&self, c: usize) -> std::ops::Range<usize> {
        self.offsets[c] as usize..self.offsets[c + 1] as usize
    }
}

/// A `HashMap` hasher builder for [`FxHasher`].
pub type FxBuild = BuildHasherDefault<FxHasher>;

/// The FxHash function (as rustc uses): fast for short keys such as ids and event
/// names; not resistant to crafted collisions, which a local file cannot exploit.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.0 = (self.0 ^ u64::from_le_bytes(c.try_into().unwrap())).wrapping_mul(K).rotate_left(26);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0 ^ u64::from_le_bytes(last)).wrapping_mul(K).rotate_left(26);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0 ^ u64::from(i)).wrapping_mul(0xf135_7aea_2e62_a9c5).rotate_left(26);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Interns strings to dense codes. The values live in one byte arena (`bytes`, value `c`
/// spanning `ends[c]..ends[c + 1]`), not one `String` each: no allocation per distinct value,
/// and a lookup touches a small dense offsets array and packed bytes, so fewer cache misses
/// than chasing a `String` to its own heap block (interning was a third of load time).
/// An open-addressing table maps hashes to codes; the last value is remembered (rows of one
/// customer often follow each other).
#[derive(Debug)]
pub struct Interner {
    /// Per slot, 0 for empty, else the high 32 bits of the value's hash above `code + 1` (so
    /// that most mismatches are told from the slot alone); the length is a power of two, at
    /// most half full.
    slots: Vec<u64>,
    /// The values' bytes, one after the other.
    bytes: Vec<u8>,
    /// `len + 1` offsets into `bytes`, starting with 0.
    ends: Vec<u32>,
    last: Option<u32>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner { slots: Vec::new(), bytes: Vec::new(), ends: vec![0], last: None }
    }
}

/// FxHash-style mixing of a value's bytes for the [`Interner`]: eight bytes at a time, the
/// last (partial) word read overlapping the one before rather than copied out, and the
/// length mixed in so that overlapping reads cannot make two lengths collide. Ends with
/// MurmurHash3's finaliser: a multiply carries bits only upwards, so without it ids that
/// differ in their last characters (`cust-0001234`, the high bytes of the last word) shared
/// their low bits (the slot) and high bits (the tag), and lookups probed long runs of slots.
fn hash_bytes(b: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mix = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(26);
    let n = b.len();
    let mut h = mix(0, n as u64);
    if n >= 8 {
        let mut at = 0;
        while at + 8 <= n {
            h = mix(h, word(b, at));
            at += 8;
        }
        if at < n {
            h = mix(h, word(b, n - 8));
        }
    } else if n >= 4 {
        h = mix(h, half(b, 0) | half(b, n - 4) << 32);
    } else if n > 0 {
        h = mix(h, u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16);
    }
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    let h = (h ^ (h >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The eight bytes of `b` from `at`, as a number.
fn word(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The four bytes of `b` from `at`, as a number.
fn half(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap()))
}

/// Byte equality; values of 4 to 16 bytes (most ids and names) are compared as two
/// overlapping words rather than through `memcmp`.
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

impl Interner {
    /// How many distinct values there are.
    pub fn len(&self) -> usize {
        self.ends.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of value `c`.
    fn value(&self, c: u32) -> &[u8] {
        let c = c as usize;
        &self.bytes[self.ends[c] as usize..self.ends[c + 1] as usize]
    }

    pub fn intern(&mut self, s: &str) -> u32 {
        let s = s.as_bytes();
        if let Some(last) = self.last {
            if same(self.value(last), s) {
                return last;
            }
        }
        let h = hash_bytes(s);
        if self.slots.is_empty() {
            self.slots = vec![0; 64];
        }
        let tag = h >> 32 << 32;
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            match self.slots[i] {
                0 => break,
                e if e >> 32 << 32 == tag => {
                    let c = (e as u32).wrapping_sub(1);
                    if same(self.value(c), s) {
                        self.last = Some(c);
                        return c;
                    }
                }
                _ => {}
            }
            i = (i + 1) & mask;
        }
        let c = self.len() as u32;
        self.bytes.extend_from_slice(s);
        // Offsets are u32: a load's distinct values stay far below 4 GiB (wasm's whole memory).
        self.ends.push(u32::try_from(self.bytes.len()).expect("interned values under 4 GiB"));
        self.slots[i] = tag | u64::from(c + 1);
        self.last = Some(c);
        if self.len() * 2 > self.slots.len() {
            self.grow();
        }
        c
    }

    /// Doubles the table, hashing the values again (cheaper over a load than keeping every
    /// value's hash: each value is rehashed about once).
    fn grow(&mut self) {
        let mut slots = vec![0u64; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for c in 0..self.len() as u32 {
            let h = hash_bytes(self.value(c));
            let mut i = h as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = h >> 32 << 32 | (u64::from(c) + 1);
        }
        self.slots = slots;
    }

    /// The values, by code, in one buffer (the slots are freed first).
    pub fn into_strings(self) -> Strings {
        let Interner { slots, bytes, ends, .. } = self;
        drop(slots);
        // The arena holds whole `&str` values back to back, so it is UTF-8 and each span
        // starts on a character boundary.
        // Grown by doubling while reading: up to twice the bytes the values need.
        let (mut bytes, mut ends) = (bytes, ends);
        bytes.shrink_to_fit();
        ends.shrink_to_fit();
        Strings::from_parts(String::from_utf8(bytes).expect("interned text"), ends)
    }

    /// The values, by code, as the table's columns hold them (the slots are freed first).
    pub fn into_values(self) -> Vec<String> {
        let Interner { slots, bytes, ends, .. } = self;
        drop(slots);
        ends.windows(2)
            .map(|w| {
                // The arena holds whole `&str` values back to back, so each span is UTF-8.
                String::from_utf8(bytes[w[0] as usize..w[1] as usize].to_vec()).expect("interned text")
            })
            .collect()
    }
}

/// Collects rows in file order, then clusters them by customer.
#[derive(Debug, Default)]
pub struct TableBuilder {
    customers: Interner,
    events: Interner,
    channels: Interner,
    stages: Interner,
    sessions: Interner,
    cust: Vec<u32>,
    ts: Vec<i64>,
    event: Codes,
    channel: Codes,
    stage: Codes,
    revenue: Revenue,
    session: Codes,
    /// Kept columns: names, and per column its values' interner and codes.
    attr_names: Vec<String>,
    attr_values: Vec<Interner>,
    attr_codes: Vec<Codes>,
    pub has_channel: bool,
    pub has_stage: bool,
    pub has_revenue: bool,
    /// Whether rows carry a session id ([`push_with_session`](Self::push_with_session)).
    pub has_session: bool,
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

    /// Keeps these further columns; each row then gives their values with [`push_attr`](Self::push_attr).
    pub fn with_attrs(mut self, names: Vec<String>) -> Self {
        self.attr_values = names.iter().map(|_| Interner::default()).collect();
        self.attr_codes = names.iter().map(|_| Codes::default()).collect();
        self.attr_names = names;
        self
    }

    /// The kept columns' names.
    pub fn attr_names(&self) -> &[String] {
        &self.attr_names
    }

    /// The value of kept column `i` for the row pushed last (call once per kept column per row).
    pub fn push_attr(&mut self, i: usize, value: &str) {
        self.attr_codes[i].push(self.attr_values[i].intern(value));
    }

    pub fn push(&mut self, row: RowRef<'_>) {
        self.push_with_session(row, None);
    }

    /// Like [`push`](Self::push), with the row's session id (kept when `has_session`).
    pub fn push_with_session(&mut self, row: RowRef<'_>, session: Option<&str>) {
        if self.has_session {
            self.session.push(self.sessions.intern(session.unwrap_or("")));
        }
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
            self.revenue.push(self.ts.len() - 1, row.revenue.unwrap_or(f64::NAN));
        }
    }

    /// Clusters rows by customer (counting sort, stable) and sorts each
    /// customer's rows by time (stable, so ties keep file order).
    pub fn finish(self) -> EventTable {
        self.finish_with(Duplicates::Keep).0
    }

    /// Like [`finish`](Self::finish), also finding exact duplicates: rows of the same customer
    /// with the same time, event, channel, stage and revenue as an earlier row. Returns
    /// how many there were (dropped or kept, as asked).
    pub fn finish_with(mut self, duplicates: Duplicates) -> (EventTable, u64) {
        let n_cust = self.customers.len();
        // The customers' lookup table is no longer needed: freed before the columns are sorted.
        let customers = Ids::new(std::mem::take(&mut self.customers).into_strings());
        let rows = self.cust.len();
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
        drop(next);
        self.cust = Vec::new();
        let mut found = 0u64;
        // Kept rows are written over `order` itself (never ahead of the reading position).
        let mut kept = 0usize;
        let mut new_offsets = Vec::with_capacity(n_cust + 1);
        new_offsets.push(0u32);
        for c in 0..n_cust {
            let (start, end) = (offsets[c] as usize, offsets[c + 1] as usize);
            let part = &mut order[start..end];
            if !part.windows(2).all(|w| self.ts[w[0] as usize] <= self.ts[w[1] as usize]) {
                part.sort_by_key(|&r| self.ts[r as usize]);
            }
            // Duplicates share a timestamp, so compare within each run of equal times.
            let mut run_start = kept;
            for i in start..end {
                let r = order[i];
                if kept > run_start && self.ts[order[run_start] as usize] != self.ts[r as usize] {
                    run_start = kept;
                }
                let dup = order[run_start..kept].iter().any(|&k| self.same_row(k as usize, r as usize));
                found += u64::from(dup);
                if !dup || duplicates == Duplicates::Keep {
                    order[kept] = r;
                    kept += 1;
                }
            }
            new_offsets.push(kept as u32);
        }
        order.truncate(kept);
        order.shrink_to_fit();
        drop(offsets);
        // Each column is gathered in turn and its unsorted source freed at once, so the peak
        // holds one column twice, not the whole table.
        let TableBuilder {
            customers: _,
            events,
            channels,
            stages,
            sessions,
            cust: _,
            ts,
            event,
            channel,
            stage,
            revenue,
            session,
            has_channel,
            has_stage,
            has_revenue,
            has_session,
            attr_names,
            attr_values,
            attr_codes,
        } = self;
        let column = |interner: Interner, codes: Codes| {
            let values = interner.into_values();
            Column { codes: codes.gather(&order), values }
        };
        // Gathered, not permuted in place: following the permutation's cycles is a chain of
        // dependent cache misses (1.6 s against 0.27 s at 10M rows), and the parse stage's peak
        // already exceeds what holding the column twice costs here (at 10M rows both are 33.6 B/row).
        let ts = Times::gather_from(&ts, &order);
        let event = column(events, event);
        let channel = has_channel.then(|| column(channels, channel));
        let stage = has_stage.then(|| column(stages, stage));
        let revenue = has_revenue.then(|| revenue.gather(&order, rows));
        let session = has_session.then(|| column(sessions, session));
        let attrs = attr_names
            .into_iter()
            .zip(attr_values)
            .zip(attr_codes)
            .map(|((name, values), codes)| Attr { name, column: column(values, codes) })
            .collect();
        let table = EventTable { attrs, ts, event, channel, stage, revenue, session, customers, offsets: new_offsets };
        (table, found)
    }

    /// Room for `rows` more rows (a good guess avoids growing the columns while reading).
    pub fn reserve(&mut self, rows: usize) {
        self.cust.reserve(rows);
        self.ts.reserve(rows);
        self.event.reserve(rows);
        if self.has_channel {
            self.channel.reserve(rows);
        }
        if self.has_stage {
            self.stage.reserve(rows);
        }
        if self.has_session {
            self.session.reserve(rows);
        }
        for codes in &mut self.attr_codes {
            codes.reserve(rows);
        }
    }

    fn same_row(&self, a: usize, b: usize) -> bool {
        self.ts[a] == self.ts[b]
            && self.event.get(a) == self.event.get(b)
            && (!self.has_channel || self.channel.get(a) == self.channel.get(b))
            && (!self.has_stage || self.stage.get(a) == self.stage.get(b))
            && (!self.has_revenue || self.revenue.get(a).map(f64::to_bits) == self.revenue.get(b).map(f64::to_bits))
            && (!self.has_session || self.session.get(a) == self.session.get(b))
            && self.attr_codes.iter().all(|codes| codes.get(a) == codes.get(b))
    }

    /// Adds every row of `table`; rows without a channel column get `fallback_channel`.
    pub fn extend_from(&mut self, table: &EventTable, fallback_channel: Option<&str>) {
        self.extend_mapped(table, fallback_channel, |_| None);
    }

    /// Like [`extend_from`](Self::extend_from), each customer id replaced by the id `id` gives
    /// for it, if any.
    pub fn extend_mapped<'m>(
        &mut self,
        table: &EventTable,
        fallback_channel: Option<&str>,
        id: impl Fn(&str) -> Option<&'m str>,
    ) {
        fn text(col: &Option<Column>, r: usize) -> Option<&str> {
            col.as_ref().map(|c| c.value(r))
        }
        // Each of the builder's kept columns, from the table's column of that name.
        let attrs: Vec<Option<&Column>> = self.attr_names.iter().map(|n| table.attr(n)).collect();
        for c in 0..table.customer_count() {
            let own = table.customers.id(c);
            let customer = id(&own).unwrap_or(&own);
            for r in table.rows_of(c) {
                let row = RowRef {
                    customer,
                    ts: table.ts.at(r),
                    event: table.event.value(r),
                    channel: text(&table.channel, r).or(fallback_channel),
                    stage: text(&table.stage, r),
                    revenue: table.revenue.as_ref().and_then(|v| v.get(r)),
                };
                self.push_with_session(row, text(&table.session, r));
                for (i, col) in attrs.iter().enumerate() {
                    self.push_attr(i, col.map_or("", |c| c.value(r)));
                }
            }
        }
    }
}

/// Writes a builder's rows for [`TableBuilder::append_encoded`]: little-endian numbers, each
/// dictionary as its value ends and bytes, each column as its raw codes.
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).expect("a part holds under 4 GiB"));
    }

    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }

    fn interner(&mut self, i: &Interner) {
        self.dictionary(&i.ends, i.bytes.as_slice());
    }

    /// Values laid out back to back: their `len + 1` ends (from 0), then their bytes.
    fn dictionary(&mut self, ends: &[u32], text: &[u8]) {
        self.len(ends.len());
        self.0.extend(ends.iter().flat_map(|e| e.to_le_bytes()));
        self.bytes(text);
    }

    /// A column's dictionary and codes.
    fn column(&mut self, c: &Column) {
        let mut ends = Vec::with_capacity(c.values.len() + 1);
        ends.push(0u32);
        let mut text = Vec::new();
        for v in &c.values {
            text.extend_from_slice(v.as_bytes());
            ends.push(u32::try_from(text.len()).expect("a dictionary holds under 4 GiB"));
        }
        self.dictionary(&ends, &text);
        self.codes(&c.codes);
    }

    fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        self.words(v, u32::to_le_bytes);
    }

    /// Each value's `N` little-endian bytes, back to back.
    fn words<const N: usize, T: Copy>(&mut self, v: &[T], le: impl Fn(T) -> [u8; N]) {
        let start = self.0.len();
        self.0.resize(start + v.len() * N, 0);
        for (out, &x) in self.0[start..].chunks_exact_mut(N).zip(v) {
            out.copy_from_slice(&le(x));
        }
    }

    fn codes(&mut self, c: &Codes) {
        self.u8(c.width() as u8);
        self.len(c.len());
        with_codes!(c, |v| self.words(v, |x| x.to_le_bytes()));
    }
}

/// Bytes a part of a table was [encoded](TableBuilder::encode) to, read a stretch at a time:
/// held in memory, or elsewhere (the joining worker leaves them in the JavaScript heap, so its
/// own memory holds one stretch of them at a time, not the whole part).
pub trait PartBytes {
    fn len(&self) -> usize;
    /// Copies bytes `at..at + out.len()` (within [`len`](Self::len)) into `out`.
    fn copy(&self, at: usize, out: &mut [u8]);
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartBytes for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn copy(&self, at: usize, out: &mut [u8]) {
        out.copy_from_slice(&self[at..at + out.len()]);
    }
}

impl PartBytes for Vec<u8> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn copy(&self, at: usize, out: &mut [u8]) {
        self.as_slice().copy(at, out);
    }
}

/// Reads what [`Writer`] wrote from `src`, from `pos` on; every read is checked, so damaged
/// bytes give an error, never a panic. Long columns are read in stretches of [`STRETCH`] bytes.
struct Reader<'a, P: PartBytes + ?Sized> {
    src: &'a P,
    pos: usize,
    buf: Vec<u8>,
}

/// Bytes copied out of a part at a time.
const STRETCH: usize = 1 << 16;

impl<'a, P: PartBytes + ?Sized> Reader<'a, P> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if n > self.src.len().saturating_sub(self.pos) {
            return Err("the part's bytes end too soon".into());
        }
        self.buf.resize(n, 0);
        self.src.copy(self.pos, &mut self.buf);
        self.pos += n;
        Ok(&self.buf)
    }

    /// `count` items of `width` bytes, handed to `f` a stretch at a time.
    fn each(
        &mut self,
        count: usize,
        width: usize,
        mut f: impl FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut failed = None;
        self.stretches(count, width, |s| {
            if failed.is_none() {
                failed = s.chunks_exact(width).try_for_each(&mut f).err();
            }
        })?;
        failed.map_or(Ok(()), Err)
    }

    /// `count` items of `width` bytes, handed to `f` a stretch of whole items at a time.
    fn stretches(&mut self, count: usize, width: usize, mut f: impl FnMut(&[u8])) -> Result<(), String> {
        let total = count.checked_mul(width).ok_or("a part's column is too long")?;
        if total > self.src.len().saturating_sub(self.pos) {
            return Err("the part's bytes end too soon".into());
        }
        let per = (STRETCH / width).max(1) * width;
        let mut left = total;
        while left > 0 {
            let n = left.min(per);
            f(self.take(n)?);
            left -= n;
        }
        Ok(())
    }

    /// `count` values of `N` little-endian bytes each, read through `le`, appended to `out`.
    fn words_into<const N: usize, T>(
        &mut self,
        count: usize,
        out: &mut Vec<T>,
        le: impl Fn([u8; N]) -> T,
    ) -> Result<(), String> {
        out.reserve(count.min(self.src.len().saturating_sub(self.pos) / N));
        self.stretches(count, N, |s| out.extend(s.chunks_exact(N).map(|c| le(c.try_into().unwrap()))))
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }

    fn len(&mut self) -> Result<usize, String> {
        Ok(self.u32()? as usize)
    }

    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }

    /// Bytes written by [`Writer::bytes`], copied straight into their own vector (a customers'
    /// dictionary is megabytes: through the stretch buffer it would be held twice).
    fn bytes(&mut self) -> Result<Vec<u8>, String> {
        let n = self.len()?;
        if n > self.src.len().saturating_sub(self.pos) {
            return Err("the part's bytes end too soon".into());
        }
        let mut out = vec![0u8; n];
        self.src.copy(self.pos, &mut out);
        self.pos += n;
        Ok(out)
    }

    /// A dictionary's values, each interned into `into`: their codes there, by their codes in
    /// the part.
    fn values(&mut self, into: &mut Interner) -> Result<Vec<u32>, String> {
        let values = self.dictionary()?;
        Ok(values.iter().map(|v| into.intern(v)).collect())
    }

    /// Values written by [`Writer::dictionary`], checked: ends that start at 0, never fall,
    /// end at the text's end and fall on character boundaries.
    fn dictionary(&mut self) -> Result<Strings, String> {
        let ends = self.u32s()?;
        let bytes = self.bytes()?;
        let text = String::from_utf8(bytes).map_err(|_| "a part's values are not UTF-8".to_string())?;
        let fits = ends.first().is_some_and(|&e| e == 0)
            && ends.last().is_some_and(|&e| e as usize == text.len())
            && ends.windows(2).all(|w| w[0] <= w[1])
            && ends.iter().all(|&e| text.is_char_boundary(e as usize));
        if !fits {
            return Err("a part's value ends are damaged".into());
        }
        Ok(Strings::from_parts(text, ends))
    }

    /// A list written by [`Writer::u32s`].
    fn u32s(&mut self) -> Result<Vec<u32>, String> {
        let n = self.len()?;
        let mut out = Vec::new();
        self.words_into(n, &mut out, u32::from_le_bytes)?;
        Ok(out)
    }

    /// A column written by [`Writer::column`], of `rows` rows.
    fn column(&mut self, rows: usize) -> Result<Column, String> {
        let values = self.dictionary()?.to_vec();
        let width = self.u8()? as usize;
        if self.len()? != rows {
            return Err("a part's column has the wrong length".into());
        }
        let mut codes = match width {
            1 => Codes::U8(Vec::new()),
            2 => Codes::U16(Vec::new()),
            4 => Codes::U32(Vec::new()),
            _ => return Err("a part's column has the wrong width".into()),
        };
        match &mut codes {
            Codes::U8(v) => self.words_into(rows, v, u8::from_le_bytes)?,
            Codes::U16(v) => self.words_into(rows, v, u16::from_le_bytes)?,
            Codes::U32(v) => self.words_into(rows, v, u32::from_le_bytes)?,
        }
        let top = with_codes!(&codes, |v| v.iter().max().map(|&c| c as usize));
        if top.is_some_and(|c| c >= values.len()) {
            return Err("a part's code is out of range".into());
        }
        Ok(Column { values, codes })
    }

    /// A code column of `rows` codes, each read through `map`.
    fn codes(&mut self, rows: usize, map: &[u32], into: &mut Codes) -> Result<(), String> {
        let width = self.u8()? as usize;
        if self.len()? != rows || !matches!(width, 1 | 2 | 4) {
            return Err("a part's column has the wrong length".into());
        }
        into.reserve(rows);
        self.each(rows, width, |c| {
            let code = match width {
                1 => u32::from(c[0]),
                2 => u32::from(u16::from_le_bytes(c.try_into().unwrap())),
                _ => u32::from_le_bytes(c.try_into().unwrap()),
            };
            into.push(*map.get(code as usize).ok_or("a part's code is out of range")?);
            Ok(())
        })
    }

    /// A column of `rows` values written with their count first (checked), each of `N`
    /// little-endian bytes read through `le`, appended to `out`.
    fn counted<const N: usize, T>(
        &mut self,
        rows: usize,
        out: &mut Vec<T>,
        le: impl Fn([u8; N]) -> T,
    ) -> Result<(), String> {
        if self.len()? != rows {
            return Err("a part's column has the wrong length".into());
        }
        self.words_into(rows, out, le)
    }
}

impl TableBuilder {
    /// The rows read so far, as bytes for [`append_encoded`](Self::append_encoded) (a part of
    /// a file read in another worker crosses to the one that joins the parts this way).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(self.len() * 24 + 1024));
        w.0.extend_from_slice(b"TPB2");
        for flag in [self.has_channel, self.has_stage, self.has_revenue, self.has_session] {
            w.u8(u8::from(flag));
        }
        w.len(self.attr_names.len());
        for name in &self.attr_names {
            w.bytes(name.as_bytes());
        }
        w.len(self.len());
        for i in [&self.customers, &self.events, &self.channels, &self.stages, &self.sessions] {
            w.interner(i);
        }
        for i in &self.attr_values {
            w.interner(i);
        }
        w.u32s(&self.cust);
        w.len(self.ts.len());
        w.words(&self.ts, i64::to_le_bytes);
        let (revenue_rows, revenue) = self.revenue.parts();
        w.u32s(revenue_rows);
        w.len(revenue.len());
        w.words(revenue, |x| x.to_bits().to_le_bytes());
        for c in [&self.event, &self.channel, &self.stage, &self.session] {
            w.codes(c);
        }
        for c in &self.attr_codes {
            w.codes(c);
        }
        w.0
    }

    /// Adds the rows of another builder, [encoded](Self::encode), after this one's: the same
    /// table as if its rows had been pushed here one by one (values new to a dictionary take
    /// the next codes, in the order the other builder met them). Fails, adding nothing, when
    /// the other builder has other columns; damaged bytes may leave some rows added.
    pub fn append_encoded(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.append_encoded_from(bytes, 0)
    }

    /// Like [`append_encoded`](Self::append_encoded), with the encoded rows at `at..` of `src`.
    pub fn append_encoded_from<P: PartBytes + ?Sized>(&mut self, src: &P, at: usize) -> Result<(), String> {
        let mut r = Reader { src, pos: at, buf: Vec::new() };
        if r.take(4)? != b"TPB2" {
            return Err("not a part of a table".into());
        }
        let flags = [r.u8()? != 0, r.u8()? != 0, r.u8()? != 0, r.u8()? != 0];
        if flags != [self.has_channel, self.has_stage, self.has_revenue, self.has_session] {
            return Err("the part has other columns".into());
        }
        let n_attrs = r.len()?;
        let mut names = Vec::with_capacity(n_attrs.min(64));
        for _ in 0..n_attrs {
            names.push(String::from_utf8(r.bytes()?).map_err(|_| "a kept column's name is not UTF-8")?);
        }
        if names != self.attr_names {
            return Err("the part keeps other columns".into());
        }
        let rows = r.len()?;
        // Each dictionary's values, as codes of this builder's dictionaries.
        let customers = r.values(&mut self.customers)?;
        let events = r.values(&mut self.events)?;
        let channels = r.values(&mut self.channels)?;
        let stages = r.values(&mut self.stages)?;
        let sessions = r.values(&mut self.sessions)?;
        let mut attrs = Vec::with_capacity(n_attrs);
        for i in 0..n_attrs {
            attrs.push(r.values(&mut self.attr_values[i])?);
        }
        if r.len()? != rows {
            return Err("a part's column has the wrong length".into());
        }
        self.cust.reserve(rows);
        let cust = &mut self.cust;
        r.each(rows, 4, |c| {
            let code = u32::from_le_bytes(c.try_into().unwrap()) as usize;
            cust.push(*customers.get(code).ok_or("a part's customer is out of range")?);
            Ok(())
        })?;
        r.counted(rows, &mut self.ts, i64::from_le_bytes)?;
        let listed = r.len()?;
        if listed > rows {
            return Err("a part lists more revenue rows than it has".into());
        }
        let mut revenue_rows = Vec::with_capacity(listed);
        r.each(listed, 4, |c| {
            revenue_rows.push(u32::from_le_bytes(c.try_into().unwrap()));
            Ok(())
        })?;
        let mut values = Vec::new();
        r.counted(listed, &mut values, |w| f64::from_bits(u64::from_le_bytes(w)))?;
        let first_row = self.ts.len() - rows;
        self.revenue.extend(first_row, revenue_rows.into_iter().zip(values))?;
        let used = |on: bool| if on { rows } else { 0 };
        r.codes(rows, &events, &mut self.event)?;
        r.codes(used(self.has_channel), &channels, &mut self.channel)?;
        r.codes(used(self.has_stage), &stages, &mut self.stage)?;
        r.codes(used(self.has_session), &sessions, &mut self.session)?;
        for (i, map) in attrs.iter().enumerate() {
            r.codes(rows, map, &mut self.attr_codes[i])?;
        }
        if r.pos != src.len() {
            return Err("a part has bytes left over".into());
        }
        Ok(())
    }
}

impl EventTable {
    /// The table as bytes for [`decode`](Self::decode): a table built in another worker (a
    /// part worker reads a large file) crosses to the analysis worker this way, so the
    /// analysis worker's memory, which never shrinks, holds the table and not what building
    /// it took.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(self.len() * 16 + self.customers.len() * 24 + 1024));
        w.0.extend_from_slice(b"TPT2");
        for flag in [self.channel.is_some(), self.stage.is_some(), self.revenue.is_some(), self.session.is_some()] {
            w.u8(u8::from(flag));
        }
        w.len(self.attrs.len());
        for a in &self.attrs {
            w.bytes(a.name.as_bytes());
        }
        w.len(self.len());
        match &self.customers {
            Ids::Text(ids) => {
                w.u8(0);
                let (text, ends) = ids.parts();
                w.dictionary(ends, text.as_bytes());
            }
            Ids::Numbered { prefix, width, numbers } => {
                w.u8(1);
                w.bytes(prefix.as_bytes());
                w.u8(*width);
                w.u32s(numbers);
            }
        }
        w.u32s(&self.offsets);
        w.u8(self.ts.width() as u8);
        match &self.ts {
            Times::Narrow { base, unit, v } => {
                w.0.extend(base.to_le_bytes());
                w.0.extend(unit.to_le_bytes());
                w.u32s(v);
            }
            Times::Wide(v) => {
                w.len(v.len());
                w.words(v, i64::to_le_bytes);
            }
        }
        for c in
            [Some(&self.event), self.channel.as_ref(), self.stage.as_ref(), self.session.as_ref()].into_iter().flatten()
        {
            w.column(c);
        }
        if let Some(revenue) = &self.revenue {
            let (rows, values) = revenue.parts();
            w.u32s(rows);
            w.len(values.len());
            w.words(values, |x| x.to_bits().to_le_bytes());
        }
        for a in &self.attrs {
            w.column(&a.column);
        }
        w.0
    }

    /// A table from [`encode`](Self::encode)'s bytes at `at..` of `src`, each column allocated
    /// once at its size. Damaged bytes give an error, never a panic or a table that breaks its
    /// invariants.
    pub fn decode<P: PartBytes + ?Sized>(src: &P, at: usize) -> Result<EventTable, String> {
        let mut r = Reader { src, pos: at, buf: Vec::new() };
        if r.take(4)? != b"TPT2" {
            return Err("not a table".into());
        }
        let flags = [r.u8()? != 0, r.u8()? != 0, r.u8()? != 0, r.u8()? != 0];
        let n_attrs = r.len()?;
        let mut names = Vec::with_capacity(n_attrs.min(64));
        for _ in 0..n_attrs {
            names.push(String::from_utf8(r.bytes()?).map_err(|_| "a kept column's name is not UTF-8")?);
        }
        let rows = r.len()?;
        let customers = match r.u8()? {
            0 => Ids::Text(r.dictionary()?),
            1 => {
                let prefix = String::from_utf8(r.bytes()?).map_err(|_| "the customers' ids are damaged")?;
                let width = r.u8()?;
                if width > 10 {
                    return Err("the customers' ids are damaged".into());
                }
                Ids::Numbered { prefix, width, numbers: r.u32s()? }
            }
            _ => return Err("the customers' ids are damaged".into()),
        };
        let offsets = r.u32s()?;
        let fits = offsets.len() == customers.len() + 1
            && offsets.first() == Some(&0)
            && offsets.last().is_some_and(|&o| o as usize == rows)
            && offsets.windows(2).all(|w| w[0] <= w[1]);
        if !fits {
            return Err("the table's customer offsets are damaged".into());
        }
        let ts = match r.u8()? {
            4 => {
                let (base, unit) = (r.i64()?, r.i64()?);
                let mut v = Vec::new();
                r.counted(rows, &mut v, u32::from_le_bytes)?;
                Times::narrow(base, unit, v)?
            }
            8 => {
                let mut v = Vec::new();
                r.counted(rows, &mut v, i64::from_le_bytes)?;
                Times::Wide(v)
            }
            _ => return Err("the table's time column is damaged".into()),
        };
        let event = r.column(rows)?;
        let mut column = |on: bool| on.then(|| r.column(rows)).transpose();
        let (channel, stage, session) = (column(flags[0])?, column(flags[1])?, column(flags[3])?);
        let revenue = if flags[2] {
            let listed = r.u32s()?;
            let mut values = Vec::new();
            r.counted(listed.len(), &mut values, |w| f64::from_bits(u64::from_le_bytes(w)))?;
            if listed.last().is_some_and(|&l| l as usize >= rows) {
                return Err("a revenue row is out of range".into());
            }
            Some(Revenue::from_listed(listed, values)?)
        } else {
            None
        };
        let mut attrs = Vec::with_capacity(n_attrs);
        for name in names {
            attrs.push(Attr { name, column: r.column(rows)? });
        }
        if r.pos != src.len() {
            return Err("a part has bytes left over".into());
        }
        Ok(EventTable { customers, offsets, ts, event, channel, stage, revenue, session, attrs })
    }
}

/// What to do with exact duplicate rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Duplicates {
    #[default]
    Drop,
    Keep,
}

/// One loaded file's table and the label its rows take as channel when it has no channel column.
pub struct Part<'a> {
    pub table: &'a EventTable,
    pub label: &'a str,
}

/// Merges several files' tables into one journey per customer. A file without a
/// channel column contributes its label as channel when the merged table has
/// channels (some file has a channel column, or there are several files). Rows of
/// one customer are ordered by time; equal times keep the order of the parts.
pub fn merge(parts: &[Part<'_>]) -> EventTable {
    merge_mapped(parts, |_| None)
}

/// Like [`merge`], each customer id replaced by the id `id` gives for it, if any (identity
/// stitching).
pub fn merge_mapped<'m>(parts: &[Part<'_>], id: impl Fn(&str) -> Option<&'m str>) -> EventTable {
    let has_channel = parts.len() > 1 || parts.iter().any(|p| p.table.channel.is_some());
    let has_stage = parts.iter().any(|p| p.table.stage.is_some());
    let has_revenue = parts.iter().any(|p| p.table.revenue.is_some());
    let mut b = TableBuilder::new(has_channel, has_stage, has_revenue).with_attrs(attr_names(parts));
    b.has_session = parts.iter().any(|p| p.table.session.is_some());
    for p in parts {
        b.extend_mapped(p.table, has_channel.then_some(p.label), &id);
    }
    b.finish()
}

/// The kept columns of several tables, by name, in order of first appearance.
pub fn attr_names(parts: &[Part<'_>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for a in parts.iter().flat_map(|p| &p.table.attrs) {
        if !names.contains(&a.name) {
            names.push(a.name.clone());
        }
    }
    names
}

/// A table from `(customer, seconds, event)` rows, for the engine's unit tests.
#[cfg(test)]
pub(crate) fn table_of(rows: &[(&str, i64, &str)]) -> EventTable {
    let mut b = TableBuilder::new(false, false, false);
    for &(c, s, e) in rows {
        b.push(RowRef { customer: c, ts: s * 1_000_000, event: e, channel: None, stage: None, revenue: None });
    }
    b.finish()
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
        let names: Vec<&str> = t.event.codes.iter().map(|c| t.event.values[c as usize].as_str()).collect();
        assert_eq!(names, vec!["b2", "b1", "b3", "a1", "a2"]);
    }

    /// A table with every kind of column: channel, stage, sparse revenue, session, a kept
    /// column with 300 values (two-byte codes), non-ASCII text.
    fn full_table() -> EventTable {
        let mut b = TableBuilder::new(true, true, true).with_attrs(vec!["device".into()]);
        b.has_session = true;
        for i in 0..1_000i64 {
            let customer = format!("c{}é", i % 37);
            let event = format!("e{}", i % 7);
            let r = RowRef {
                customer: &customer,
                ts: 1_700_000_000_000_000 + (i * 7_919) % 5_000 * 1_000_000,
                event: &event,
                channel: (i % 5 != 0).then_some(["email", "paid", "social"][i as usize % 3]),
                stage: Some(["awareness", "purchase"][i as usize % 2]),
                revenue: (i % 11 == 0).then_some(i as f64 / 4.0),
            };
            b.push_with_session(r, (i % 3 != 0).then_some(&*format!("s{}", i / 10)));
            b.push_attr(0, &format!("d{}", i % 300));
        }
        b.finish()
    }

    #[test]
    fn a_table_crosses_between_workers_whole() {
        let t = full_table();
        assert_eq!((t.len(), t.customer_count()), (1_000, 37));
        assert_eq!(t.attrs[0].column.codes.width(), 2);
        let back = EventTable::decode(&t.encode(), 0).unwrap();
        assert_eq!(back, t);
        // Every column at its size: nothing reserved beyond the rows.
        assert_eq!(back.ts.capacity(), 1_000);
        // Whole seconds: four bytes a row. The eight-byte form crosses as itself.
        assert_eq!(back.ts.width(), 4);
        let wide = EventTable { ts: Times::Wide(t.ts.to_vec()), ..t.clone() };
        let crossed = EventTable::decode(&wide.encode(), 0).unwrap();
        assert_eq!((crossed.ts.width(), crossed.ts.to_vec()), (8, t.ts.to_vec()));
        assert_eq!(crossed, wide);
        // Numbered customer ids cross as numbers.
        let numbered = table_of(&[("cust-07", 5, "a"), ("cust-31", 2, "b"), ("cust-07", 9, "c")]);
        assert!(matches!(&numbered.customers, Ids::Numbered { width: 2, .. }), "{:?}", numbered.customers);
        let crossed = EventTable::decode(&numbered.encode(), 0).unwrap();
        assert_eq!(crossed.customers, ["cust-07", "cust-31"]);
        assert_eq!(crossed, numbered);
        // Revenue kept exactly: rows 0, 11, 22, … of the file, by bits.
        let sum: f64 = back.revenue.as_ref().unwrap().iter().map(|(_, v)| v).sum();
        assert_eq!(sum, (0..1_000).step_by(11).map(|i| i as f64 / 4.0).sum::<f64>());
        let empty = TableBuilder::new(false, false, false).finish();
        assert_eq!(EventTable::decode(&empty.encode(), 0).unwrap(), empty);
    }

    #[test]
    fn damaged_table_bytes_are_an_error_not_a_panic() {
        let t = full_table();
        let wide = EventTable { ts: Times::Wide(t.ts.to_vec()), ..t.clone() };
        let numbered = table_of(&[("cust-07", 5, "a"), ("cust-31", 2, "b"), ("cust-07", 9, "c")]);
        for bytes in [t.encode(), wide.encode(), numbered.encode()] {
            damaged(bytes);
        }
    }

    fn damaged(bytes: Vec<u8>) {
        // Every cut short reading fails.
        for n in (0..bytes.len()).step_by(7).chain([bytes.len() - 1]) {
            assert!(EventTable::decode(&bytes[..n], 0).is_err(), "cut at {n}");
        }
        // A byte changed anywhere never panics (it may still read, as other values).
        for i in (0..bytes.len()).step_by(3) {
            let mut b = bytes.clone();
            b[i] ^= 0xa5;
            let _ = EventTable::decode(&b, 0);
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(EventTable::decode(&longer, 0).is_err());
    }

    #[test]
    fn code_columns_widen_past_65536_values() {
        let mut b = TableBuilder::new(false, false, false);
        let names: Vec<String> = (0..70_000).map(|i| format!("e{i}")).collect();
        for (i, n) in names.iter().enumerate() {
            b.push(row(if i % 2 == 0 { "a" } else { "b" }, i as i64, n));
        }
        // A duplicate of a row whose code is past the widening.
        b.push(row("a", 69_998, "e69998"));
        let (t, dups) = b.finish_with(Duplicates::Drop);
        assert_eq!((dups, t.len()), (1, 70_000));
        let a: Vec<&str> = t.rows_of(0).map(|r| t.event.value(r)).collect();
        assert_eq!(a, names.iter().step_by(2).map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn exact_duplicates_are_found_within_equal_times_even_when_not_adjacent() {
        let mut b = TableBuilder::new(true, false, true);
        let mut push = |c, ts, e, ch, rev| {
            b.push(RowRef { customer: c, ts, event: e, channel: Some(ch), stage: None, revenue: rev });
        };
        push("a", 1, "x", "web", None);
        push("a", 1, "y", "web", None);
        push("a", 1, "x", "web", None); // duplicate of row 1, not adjacent
        push("a", 1, "x", "email", None); // other channel: not a duplicate
        push("a", 2, "x", "web", Some(5.0));
        push("a", 2, "x", "web", Some(5.0)); // duplicate
        push("a", 2, "x", "web", Some(6.0)); // other revenue
        push("b", 1, "x", "web", None); // other customer
        let (t, n) = b.finish_with(Duplicates::Drop);
        assert_eq!(n, 2);
        assert_eq!(t.len(), 6);
        assert_eq!(t.offsets, vec![0, 5, 6]);
    }

    #[test]
    fn merge_joins_customers_across_files_and_labels_channel_less_files() {
        let mut web = TableBuilder::new(true, false, false);
        web.push(RowRef { customer: "a", ts: 10, event: "visit", channel: Some("seo"), stage: None, revenue: None });
        web.push(RowRef { customer: "b", ts: 5, event: "visit", channel: Some("ads"), stage: None, revenue: None });
        let web = web.finish();
        let mut calls = TableBuilder::new(false, false, true);
        calls.push(RowRef { customer: "a", ts: 10, event: "call", channel: None, stage: None, revenue: Some(3.0) });
        calls.push(RowRef { customer: "a", ts: 7, event: "call", channel: None, stage: None, revenue: None });
        let calls = calls.finish();
        let t = merge(&[Part { table: &web, label: "web" }, Part { table: &calls, label: "call center" }]);
        assert_eq!(t.customers, vec!["a", "b"]);
        let ch = t.channel.as_ref().unwrap();
        let a: Vec<(i64, &str, &str)> = t.rows_of(0).map(|r| (t.ts.at(r), t.event.value(r), ch.value(r))).collect();
        // Time order; the tie at 10 keeps file order (web before calls).
        assert_eq!(a, vec![(7, "call", "call center"), (10, "visit", "seo"), (10, "call", "call center")]);
        let rev = t.revenue.as_ref().unwrap();
        assert_eq!(rev.iter().collect::<Vec<_>>(), vec![(2, 3.0)]);
        // A single file without channels stays without channels.
        assert!(merge(&[Part { table: &calls, label: "calls" }]).channel.is_none());
    }
}
