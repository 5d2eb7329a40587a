//! Compact columns of the event table: strings kept back to back in one buffer, codes one
//! or two bytes wide when their dictionary is small enough, and revenue kept only for the
//! rows that have some (a few per cent of rows in most files). They keep the table's
//! resident bytes per event down; the table's memory is the engine's.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Index, Range};

/// A list of strings in one buffer: value `i` spans `ends[i]..ends[i + 1]` of `text`. One
/// allocation for all values instead of one `String` each (a customer id cost 24 bytes of
/// `String` plus its own heap block).
#[derive(Clone, PartialEq, Eq)]
pub struct Strings {
    text: String,
    /// `len + 1` offsets into `text`, starting with 0.
    ends: Vec<u32>,
}

impl Default for Strings {
    fn default() -> Self {
        Strings { text: String::new(), ends: vec![0] }
    }
}

impl Strings {
    /// From values laid out as [`Strings`] lays them out (`ends` starts with 0, rises, and
    /// ends at `text.len()`, each span on a character boundary).
    pub(crate) fn from_parts(text: String, ends: Vec<u32>) -> Strings {
        debug_assert!(ends.first() == Some(&0) && ends.last().map(|&e| e as usize) == Some(text.len()));
        Strings { text, ends }
    }

    /// The values' text and their `len + 1` ends, as [`from_parts`](Self::from_parts) takes them.
    pub(crate) fn parts(&self) -> (&str, &[u32]) {
        (&self.text, &self.ends)
    }

    pub fn len(&self) -> usize {
        self.ends.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let (start, end) = (*self.ends.get(i)?, *self.ends.get(i + 1)?);
        self.text.get(start as usize..end as usize)
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator + Clone + '_ {
        self.ends.windows(2).map(|w| &self.text[w[0] as usize..w[1] as usize])
    }

    /// The values as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(String::from).collect()
    }

    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
    }
}

impl Index<usize> for Strings {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        &self.text[self.ends[i] as usize..self.ends[i + 1] as usize]
    }
}

impl fmt::Debug for Strings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Strings {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut out = Strings::default();
        for s in iter {
            out.push(s.as_ref());
        }
        out
    }
}

/// Comparisons of a list of strings with a slice, array or vector of texts, value by value.
macro_rules! compare_with_texts {
    ($t:ty) => {
        impl<S: AsRef<str>> PartialEq<[S]> for $t {
            fn eq(&self, other: &[S]) -> bool {
                self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
            }
        }

        impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for $t {
            fn eq(&self, other: &[S; N]) -> bool {
                *self == other[..]
            }
        }

        impl<S: AsRef<str>> PartialEq<Vec<S>> for $t {
            fn eq(&self, other: &Vec<S>) -> bool {
                *self == other[..]
            }
        }
    };
}

compare_with_texts!(Strings);

/// Customer ids, by customer. Ids that are all one text followed by a number (`cust-0141824`,
/// `100234`, `u_7`) are held as that text once and a four-byte number each; other ids as
/// [`Strings`] (their bytes plus four a customer). An id is read as a [`Cow`]: borrowed from the
/// text, or written out from its number.
#[derive(Clone, PartialEq, Eq)]
pub enum Ids {
    Text(Strings),
    /// `prefix`, then the number in decimal, zero-padded to `width` digits (`0`: no padding,
    /// and no id had a leading zero).
    Numbered {
        prefix: String,
        width: u8,
        numbers: Vec<u32>,
    },
}

impl Default for Ids {
    fn default() -> Self {
        Ids::Text(Strings::default())
    }
}

impl Ids {
    /// The ids, numbered when every one is the same text and a number that writes them back
    /// exactly (a number up to `u32::MAX`, all zero-padded to one width or none with a leading
    /// zero).
    pub fn new(ids: Strings) -> Ids {
        match numbered(&ids) {
            Some((prefix, width, numbers)) => Ids::Numbered { prefix, width, numbers },
            None => Ids::Text(ids),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Ids::Text(s) => s.len(),
            Ids::Numbered { numbers, .. } => numbers.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of customer `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<Cow<'_, str>> {
        match self {
            Ids::Text(s) => s.get(i).map(Cow::Borrowed),
            Ids::Numbered { prefix, width, numbers } => {
                let n = *numbers.get(i)?;
                Some(Cow::Owned(format!("{prefix}{n:0w$}", w = usize::from(*width))))
            }
        }
    }

    /// The id of customer `i` (`i` below [`len`](Self::len)).
    pub fn id(&self, i: usize) -> Cow<'_, str> {
        self.get(i).expect("a customer of the table")
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Cow<'_, str>> + '_ {
        (0..self.len()).map(|i| self.id(i))
    }

    /// The ids as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(Cow::into_owned).collect()
    }
}

/// The common text, the width and the numbers of `ids`, when [`Ids::Numbered`] holds them.
fn numbered(ids: &Strings) -> Option<(String, u8, Vec<u32>)> {
    let first = ids.get(0)?;
    let digits = first.bytes().rev().take_while(u8::is_ascii_digit).count();
    let prefix = &first[..first.len() - digits];
    if digits == 0 || digits > 10 {
        return None;
    }
    let (mut fixed, mut canonical) = (true, true);
    let mut numbers = Vec::with_capacity(ids.len());
    for id in ids.iter() {
        let rest = id.strip_prefix(prefix)?.as_bytes();
        if rest.is_empty() || rest.len() > 10 || !rest.iter().all(u8::is_ascii_digit) {
            return None;
        }
        fixed &= rest.len() == digits;
        canonical &= rest == b"0" || rest[0] != b'0';
        if !fixed && !canonical {
            return None;
        }
        let n = rest.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        numbers.push(u32::try_from(n).ok()?);
    }
    Some((prefix.to_string(), if fixed { digits as u8 } else { 0 }, numbers))
}

impl fmt::Debug for Ids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

compare_with_texts!(Ids);

/// A column's codes, each as wide as the column's dictionary needs: one byte for up to 256
/// values (channels, stages), two for up to 65,536 (events, most kept columns), four beyond.
#[derive(Clone, PartialEq, Eq)]
pub enum Codes {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for Codes {
    fn default() -> Self {
        Codes::U8(Vec::new())
    }
}

/// Runs `$body` with `$v` bound to the codes' vector of their width (so generic code over
/// `C: Copy + Into<u32>` runs on each width without a test per code).
macro_rules! with_codes {
    ($codes:expr, |$v:ident| $body:expr) => {
        match $codes {
            $crate::core::packed::Codes::U8($v) => $body,
            $crate::core::packed::Codes::U16($v) => $body,
            $crate::core::packed::Codes::U32($v) => $body,
        }
    };
}
pub(crate) use with_codes;

impl Codes {
    /// Codes of a dictionary of `values` values, `code(i)` for `i` in `0..len`, in the
    /// narrowest width that holds them.
    pub fn build(values: usize, len: usize, code: impl Fn(usize) -> u32) -> Codes {
        if values <= 1 << 8 {
            Codes::U8((0..len).map(|i| code(i) as u8).collect())
        } else if values <= 1 << 16 {
            Codes::U16((0..len).map(|i| code(i) as u16).collect())
        } else {
            Codes::U32((0..len).map(code).collect())
        }
    }

    /// The code of row `i`.
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self {
            Codes::U8(v) => u32::from(v[i]),
            Codes::U16(v) => u32::from(v[i]),
            Codes::U32(v) => v[i],
        }
    }

    pub fn len(&self) -> usize {
        with_codes!(self, |v| v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per code.
    pub fn width(&self) -> usize {
        match self {
            Codes::U8(_) => 1,
            Codes::U16(_) => 2,
            Codes::U32(_) => 4,
        }
    }

    /// Adds a code, widening the column when the code needs more bytes (a column being
    /// built starts one byte wide).
    pub fn push(&mut self, code: u32) {
        fn widen<A: Copy + Into<u32>, B: TryFrom<u32>>(v: &[A], extra: usize) -> Vec<B> {
            let mut out = Vec::with_capacity(v.len() + extra);
            out.extend(v.iter().filter_map(|&c| B::try_from(c.into()).ok()));
            out
        }
        match self {
            Codes::U8(v) => match u8::try_from(code) {
                Ok(c) => v.push(c),
                Err(_) => {
                    *self = Codes::U16(widen(v, v.capacity() - v.len()));
                    self.push(code);
                }
            },
            Codes::U16(v) => match u16::try_from(code) {
                Ok(c) => v.push(c),
                Err(_) => {
                    *self = Codes::U32(widen(v, v.capacity() - v.len()));
                    self.push(code);
                }
            },
            Codes::U32(v) => v.push(code),
        }
    }

    pub fn reserve(&mut self, more: usize) {
        with_codes!(self, |v| v.reserve(more))
    }

    /// The codes of rows `order`, in that order (row `i` of the result is row `order[i]`).
    pub fn gather(&self, order: &[u32]) -> Codes {
        match self {
            Codes::U8(v) => Codes::U8(order.iter().map(|&r| v[r as usize]).collect()),
            Codes::U16(v) => Codes::U16(order.iter().map(|&r| v[r as usize]).collect()),
            Codes::U32(v) => Codes::U32(order.iter().map(|&r| v[r as usize]).collect()),
        }
    }

    /// The codes of rows `rows`.
    pub fn range(&self, rows: Range<usize>) -> impl ExactSizeIterator<Item = u32> + Clone + '_ {
        (rows.start..rows.end).map(|i| self.get(i))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = u32> + Clone + '_ {
        self.range(0..self.len())
    }

    pub fn to_vec(&self) -> Vec<u32> {
        self.iter().collect()
    }
}

impl From<Vec<u32>> for Codes {
    /// Narrows codes to the width their largest code needs.
    fn from(v: Vec<u32>) -> Codes {
        let values = v.iter().max().map_or(0, |&m| m as usize + 1);
        if values > 1 << 16 {
            return Codes::U32(v);
        }
        Codes::build(values, v.len(), |i| v[i])
    }
}

impl fmt::Debug for Codes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq<Vec<u32>> for Codes {
    fn eq(&self, other: &Vec<u32>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter().copied())
    }
}

/// Revenue of the rows that have some, by row, rows ascending. A row without revenue (or
/// with `NaN`) is not listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revenue {
    rows: Vec<u32>,
    values: Vec<f64>,
    /// A bit per row up to the last listed one, set where the row is listed, and per 64 rows
    /// the listed rows before them: a row's place in `rows` without a search (0.19 bytes per
    /// row).
    bits: Vec<u64>,
    rank: Vec<u32>,
}

impl Revenue {
    /// Rows with revenue.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds `value` for `row`, which follows every row added before. `NaN` adds nothing.
    pub fn push(&mut self, row: usize, value: f64) {
        debug_assert!(self.rows.last().is_none_or(|&r| (r as usize) < row));
        if !value.is_nan() {
            let word = row / 64;
            while self.bits.len() <= word {
                self.bits.push(0);
                self.rank.push(self.rows.len() as u32);
            }
            self.bits[word] |= 1 << (row % 64);
            self.rows.push(row as u32);
            self.values.push(value);
        }
    }

    /// How many listed rows come before `row`.
    fn before(&self, row: usize) -> usize {
        match self.bits.get(row / 64) {
            Some(&w) => self.rank[row / 64] as usize + (w & ((1u64 << (row % 64)) - 1)).count_ones() as usize,
            None => self.rows.len(),
        }
    }

    /// The revenue of `row`, if it has some.
    pub fn get(&self, row: usize) -> Option<f64> {
        let listed = self.bits.get(row / 64).is_some_and(|w| w >> (row % 64) & 1 == 1);
        listed.then(|| self.values[self.before(row)])
    }

    /// The listed rows within `rows` and their revenue.
    pub fn within(&self, rows: Range<usize>) -> impl Iterator<Item = (usize, f64)> + '_ {
        let span = self.before(rows.start)..self.before(rows.end.max(rows.start));
        self.rows[span.clone()].iter().zip(&self.values[span]).map(|(&r, &v)| (r as usize, v))
    }

    /// The sum of the revenue of `rows` (0 where none has any).
    pub fn sum(&self, rows: Range<usize>) -> f64 {
        self.within(rows).map(|(_, v)| v).sum()
    }

    /// Every listed row and its revenue, rows ascending.
    pub fn iter(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.within(0..usize::MAX)
    }

    /// The revenue of each of `count` rows, `NaN` where a row has none.
    pub fn per_row(&self, count: usize) -> Vec<f64> {
        let mut out = vec![f64::NAN; count];
        for (r, v) in self.within(0..count) {
            out[r] = v;
        }
        out
    }

    /// The revenue of rows `order` (row `i` of the result is row `order[i]` here), for a
    /// table of `count` rows; each row's value found through the bit set, without a search.
    pub(crate) fn gather(self, order: &[u32], count: usize) -> Revenue {
        let mut out = Revenue {
            rows: Vec::with_capacity(self.rows.len()),
            values: Vec::with_capacity(self.rows.len()),
            bits: Vec::with_capacity(count.div_ceil(64)),
            rank: Vec::with_capacity(count.div_ceil(64)),
        };
        for (i, &r) in order.iter().enumerate() {
            if let Some(v) = self.get(r as usize) {
                out.push(i, v);
            }
        }
        out
    }

    /// A reader of the revenue of rows asked for in ascending order, from `row` on.
    pub fn cursor(&self, row: usize) -> Cursor<'_> {
        Cursor { rows: &self.rows, values: &self.values, i: self.before(row) }
    }

    /// The listed rows and values, for [`TableBuilder::encode`](super::table::TableBuilder::encode).
    pub(crate) fn parts(&self) -> (&[u32], &[f64]) {
        (&self.rows, &self.values)
    }

    /// The column of rows `rows` (ascending) with revenue `values`, checked, kept in the
    /// vectors given (a decoded table's revenue is not copied again).
    pub(crate) fn from_listed(rows: Vec<u32>, values: Vec<f64>) -> Result<Revenue, String> {
        let fits =
            rows.len() == values.len() && rows.windows(2).all(|w| w[0] < w[1]) && !values.iter().any(|v| v.is_nan());
        if !fits {
            return Err("the table's revenue rows are damaged".into());
        }
        let words = rows.last().map_or(0, |&r| r as usize / 64 + 1);
        let (mut bits, mut rank) = (vec![0u64; words], vec![0u32; words]);
        for (i, &r) in rows.iter().enumerate().rev() {
            bits[r as usize / 64] |= 1 << (r % 64);
            rank[r as usize / 64] = i as u32;
        }
        // A word without listed rows ranks as the first listed row after it.
        for w in (0..words.saturating_sub(1)).rev() {
            if bits[w] == 0 {
                rank[w] = rank[w + 1];
            }
        }
        Ok(Revenue { rows, values, bits, rank })
    }

    /// Adds rows listed elsewhere, each moved on by `offset`; rows must ascend past this
    /// column's last.
    pub(crate) fn extend(&mut self, offset: usize, rows: impl Iterator<Item = (u32, f64)>) -> Result<(), String> {
        for (r, v) in rows {
            let row = offset + r as usize;
            if self.rows.last().is_some_and(|&last| last as usize >= row) || row > u32::MAX as usize {
                return Err("a part's revenue rows are out of order".into());
            }
            self.push(row, v);
        }
        Ok(())
    }
}

/// See [`Revenue::cursor`].
pub struct Cursor<'a> {
    rows: &'a [u32],
    values: &'a [f64],
    i: usize,
}

impl Cursor<'_> {
    /// The revenue of `row`, if it has some; `row` is at least the row asked for before.
    pub fn at(&mut self, row: usize) -> Option<f64> {
        while self.rows.get(self.i).is_some_and(|&r| (r as usize) < row) {
            self.i += 1;
        }
        (self.rows.get(self.i).map(|&r| r as usize) == Some(row)).then(|| self.values[self.i])
    }
}

/// The time column: microseconds since the epoch, UTC, one per row. Four bytes a row when
/// every time is `base + k * unit` with `k` fitting in a `u32` (`unit` a second, a millisecond
/// or a microsecond: whole-second times within 136 years of each other, millisecond ones within
/// 49 days), eight otherwise (microsecond times over more than 71 minutes, as GA4 exports).
#[derive(Clone, PartialEq, Eq)]
pub enum Times {
    Narrow { base: i64, unit: i64, v: Vec<u32> },
    Wide(Vec<i64>),
}

impl Default for Times {
    fn default() -> Self {
        Times::Wide(Vec::new())
    }
}

/// The units a narrow time column counts in, coarsest first.
const UNITS: [i64; 3] = [1_000_000, 1_000, 1];

/// The base and unit a narrow column of `times` would use, if one can hold them.
fn narrow_form(times: &[i64]) -> Option<(i64, i64)> {
    let (&first, rest) = times.split_first()?;
    let (mut lo, mut hi, mut unit) = (first, first, UNITS[0]);
    for &t in rest {
        lo = lo.min(t);
        hi = hi.max(t);
        // The coarsest unit every difference from the first time is a multiple of (then so is
        // every difference from the smallest). Constant divisors: a multiply, not a division.
        let d = t.wrapping_sub(first);
        if unit == 1_000_000 && d % 1_000_000 != 0 {
            unit = if d % 1_000 == 0 { 1_000 } else { 1 };
        } else if unit == 1_000 && d % 1_000 != 0 {
            unit = 1;
        }
    }
    let span = hi.checked_sub(lo)? / unit;
    (span <= i64::from(u32::MAX)).then_some((lo, unit))
}

/// `times` (rows `order` of them, or all) as counts of `unit` from `base`, which hold them.
fn narrowed(times: &[i64], order: Option<&[u32]>, base: i64, unit: i64) -> Vec<u32> {
    fn each(times: &[i64], order: Option<&[u32]>, f: impl Fn(i64) -> u32) -> Vec<u32> {
        match order {
            Some(order) => order.iter().map(|&r| f(times[r as usize])).collect(),
            None => times.iter().map(|&t| f(t)).collect(),
        }
    }
    match unit {
        1_000_000 => each(times, order, |t| ((t - base) / 1_000_000) as u32),
        1_000 => each(times, order, |t| ((t - base) / 1_000) as u32),
        _ => each(times, order, |t| (t - base) as u32),
    }
}

impl Times {
    /// The times in the narrow form when it holds them all.
    pub fn new(times: Vec<i64>) -> Times {
        match narrow_form(&times) {
            Some((base, unit)) => Times::Narrow { base, unit, v: narrowed(&times, None, base, unit) },
            None => Times::Wide(times),
        }
    }

    /// The times of rows `order` of `times`, in that order, narrow when they fit.
    pub fn gather_from(times: &[i64], order: &[u32]) -> Times {
        match narrow_form(times) {
            Some((base, unit)) => Times::Narrow { base, unit, v: narrowed(times, Some(order), base, unit) },
            None => Times::Wide(order.iter().map(|&r| times[r as usize]).collect()),
        }
    }

    /// The times of rows `order` of this column, in that order and in its form.
    pub fn gather(&self, order: &[u32]) -> Times {
        match self {
            Times::Narrow { base, unit, v } => {
                Times::Narrow { base: *base, unit: *unit, v: order.iter().map(|&r| v[r as usize]).collect() }
            }
            Times::Wide(v) => Times::Wide(order.iter().map(|&r| v[r as usize]).collect()),
        }
    }

    /// A narrow column from its parts, checked: `unit` one of a second, a millisecond or a
    /// microsecond, and every time it can hold within `i64`.
    pub(crate) fn narrow(base: i64, unit: i64, v: Vec<u32>) -> Result<Times, String> {
        let top = i64::from(u32::MAX).checked_mul(unit).and_then(|s| base.checked_add(s));
        if !UNITS.contains(&unit) || top.is_none() {
            return Err("the table's time column is damaged".into());
        }
        Ok(Times::Narrow { base, unit, v })
    }

    /// The time of row `i`.
    #[inline]
    pub fn at(&self, i: usize) -> i64 {
        match self {
            Times::Narrow { base, unit, v } => base + i64::from(v[i]) * unit,
            Times::Wide(v) => v[i],
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Times::Narrow { v, .. } => v.len(),
            Times::Wide(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per row.
    pub fn width(&self) -> usize {
        match self {
            Times::Narrow { .. } => 4,
            Times::Wide(_) => 8,
        }
    }

    /// Rows the column has room for.
    pub fn capacity(&self) -> usize {
        match self {
            Times::Narrow { v, .. } => v.capacity(),
            Times::Wide(v) => v.capacity(),
        }
    }

    /// The times of rows `rows`, for a scan to read ([`with_times`]).
    #[inline]
    pub fn slice(&self, rows: Range<usize>) -> TimesRef<'_> {
        match self {
            Times::Narrow { base, unit, v } => TimesRef::Narrow(NarrowTimes { base: *base, unit: *unit, v: &v[rows] }),
            Times::Wide(v) => TimesRef::Wide(&v[rows]),
        }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = i64> + Clone + '_ {
        (0..self.len()).map(|i| self.at(i))
    }

    pub fn to_vec(&self) -> Vec<i64> {
        self.iter().collect()
    }
}

impl fmt::Debug for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq<Vec<i64>> for Times {
    fn eq(&self, other: &Vec<i64>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter().copied())
    }
}

/// Times of a run of rows as a scan reads them: `at(i)` is the run's `i`-th time.
pub trait TimeAt: Copy {
    fn at(self, i: usize) -> i64;
    fn len(self) -> usize;

    fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The first place whose time is at least `t` (the run is in time order), or `len`.
    fn first_at_least(self, t: i64) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.at(mid) < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

impl TimeAt for &[i64] {
    #[inline]
    fn at(self, i: usize) -> i64 {
        self[i]
    }

    #[inline]
    fn len(self) -> usize {
        <[i64]>::len(self)
    }
}

/// A run of a narrow time column.
#[derive(Clone, Copy)]
pub struct NarrowTimes<'a> {
    base: i64,
    unit: i64,
    v: &'a [u32],
}

impl TimeAt for NarrowTimes<'_> {
    #[inline]
    fn at(self, i: usize) -> i64 {
        self.base + i64::from(self.v[i]) * self.unit
    }

    #[inline]
    fn len(self) -> usize {
        self.v.len()
    }
}

/// See [`Times::slice`].
#[derive(Clone, Copy)]
pub enum TimesRef<'a> {
    Narrow(NarrowTimes<'a>),
    Wide(&'a [i64]),
}

impl TimeAt for TimesRef<'_> {
    #[inline]
    fn at(self, i: usize) -> i64 {
        match self {
            TimesRef::Narrow(t) => t.at(i),
            TimesRef::Wide(t) => t.at(i),
        }
    }

    #[inline]
    fn len(self) -> usize {
        match self {
            TimesRef::Narrow(t) => t.len(),
            TimesRef::Wide(t) => TimeAt::len(t),
        }
    }
}

/// Runs `$body` with `$t` bound to the run's times in their own form (a [`TimeAt`]), so a hot
/// loop is compiled once per form rather than testing the form at every row.
macro_rules! with_times {
    ($times:expr, |$t:ident| $body:expr) => {
        match $times {
            $crate::core::packed::TimesRef::Narrow($t) => $body,
            $crate::core::packed::TimesRef::Wide($t) => $body,
        }
    };
}
pub(crate) use with_times;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_index_iterate_and_compare() {
        let s: Strings = ["bob", "", "ann é"].into_iter().collect();
        assert_eq!((s.len(), &s[0], &s[1], &s[2]), (3, "bob", "", "ann é"));
        assert_eq!(s.get(3), None);
        assert_eq!(s, ["bob", "", "ann é"]);
        assert_ne!(s, vec!["bob", ""]);
        assert_eq!(format!("{s:?}"), r#"["bob", "", "ann é"]"#);
        assert!(Strings::default().is_empty());
    }

    #[test]
    fn codes_take_the_narrowest_width() {
        for (values, width) in [(0, 1), (1, 1), (256, 1), (257, 2), (65_536, 2), (65_537, 4)] {
            let codes = Codes::build(values, 3, |i| (values.max(1) - 1 - i.min(values.max(1) - 1)) as u32);
            assert_eq!(codes.width(), width, "{values} values");
            let want: Vec<u32> = (0..3).map(|i| (values.max(1) - 1 - i.min(values.max(1) - 1)) as u32).collect();
            assert_eq!(codes, want, "{values} values");
            assert_eq!(
                (codes.get(0), codes.len(), codes.range(1..3).collect::<Vec<_>>()),
                (want[0], 3, want[1..].to_vec())
            );
        }
        assert_eq!(Codes::from(vec![3, 255, 0]).width(), 1);
        assert_eq!(Codes::from(vec![256]).width(), 2);
        assert_eq!(Codes::from(vec![70_000, 1]), vec![70_000, 1]);
        assert_eq!(Codes::from(vec![70_000]).width(), 4);
        assert!(Codes::from(Vec::new()).is_empty());
        // Pushed codes widen the column as they grow; gathered ones keep its width.
        let mut c = Codes::default();
        let pushed = [3, 255, 256, 7, 65_535, 65_536, 0];
        for (i, &code) in pushed.iter().enumerate() {
            c.push(code);
            assert_eq!(c, pushed[..=i].to_vec());
            assert_eq!(c.width(), [1, 1, 2, 2, 2, 4, 4][i]);
        }
        assert_eq!(c.gather(&[6, 0, 5]), vec![0, 3, 65_536]);
        assert_eq!(Codes::from(vec![9, 8]).gather(&[1, 1, 0]), vec![8, 8, 9]);
    }

    #[test]
    fn revenue_lookups_sums_and_gather() {
        let mut r = Revenue::default();
        for (row, v) in [(1, 2.5), (2, f64::NAN), (4, 10.0), (7, 1.0)] {
            r.push(row, v);
        }
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r.get(0), r.get(1), r.get(2), r.get(4), r.get(7), r.get(99)),
            (None, Some(2.5), None, Some(10.0), Some(1.0), None)
        );
        assert_eq!((r.sum(0..8), r.sum(2..5), r.sum(5..7), r.sum(4..4)), (13.5, 10.0, 0.0, 0.0));
        let mut cursor = r.cursor(2);
        assert_eq!(
            (cursor.at(2), cursor.at(4), cursor.at(4), cursor.at(6), cursor.at(7), cursor.at(9)),
            (None, Some(10.0), Some(10.0), None, Some(1.0), None)
        );
        let per_row = r.per_row(8);
        assert_eq!(per_row.iter().filter(|v| !v.is_nan()).count(), 3);
        assert_eq!((per_row[1], per_row[4], per_row[7]), (2.5, 10.0, 1.0));
        // Reverse 8 rows: old row 7 becomes row 0, old 4 row 3, old 1 row 6.
        let order: Vec<u32> = (0..8).rev().collect();
        let g = r.clone().gather(&order, 8);
        assert_eq!(g.iter().collect::<Vec<_>>(), vec![(0, 1.0), (3, 10.0), (6, 2.5)]);
        // A gather that drops rows (as duplicates are dropped) and crosses 64-row words.
        let mut wide = Revenue::default();
        for row in (0..200).step_by(3) {
            wide.push(row, row as f64);
        }
        let order: Vec<u32> = (0..200).filter(|r| r % 2 == 0).collect();
        // Lookups and sums across words (rows 0, 3, ..., 198 listed, row r worth r), against sums
        // worked out directly, at every start and a few lengths.
        for start in 0..210 {
            assert_eq!(wide.get(start), (start % 3 == 0 && start < 200).then_some(start as f64), "row {start}");
            for len in [0, 1, 63, 64, 65, 130] {
                let want: usize = (start..(start + len).min(200)).filter(|r| r % 3 == 0).sum();
                assert_eq!(wide.sum(start..start + len), want as f64, "rows {start}..+{len}");
            }
            let next = (start..200).find(|r| r % 3 == 0);
            assert_eq!(wide.cursor(start).at(next.unwrap_or(500)), next.map(|r| r as f64), "cursor at {start}");
        }
        let g = wide.gather(&order, 200);
        let want: Vec<(usize, f64)> =
            order.iter().enumerate().filter(|(_, &r)| r % 3 == 0).map(|(i, &r)| (i, f64::from(r))).collect();
        assert_eq!(g.iter().collect::<Vec<_>>(), want);
    }

    #[test]
    fn ids_of_one_text_and_a_number_are_held_as_numbers() {
        // (ids, numbered as (prefix, width) or held as text)
        type Case<'a> = (Vec<&'a str>, Option<(&'a str, u8)>);
        let cases: Vec<Case> = vec![
            (vec!["cust-0141824", "cust-0000007", "cust-2162121"], Some(("cust-", 7))),
            (vec!["u_7", "u_1001", "u_0"], Some(("u_", 0))),
            (vec!["100234", "9", "4294967295"], Some(("", 0))),
            (vec!["a1b05", "a1b17"], Some(("a1b", 2))),
            (vec!["42"], Some(("", 2))),
            // Leading zeros at more than one width, a number past u32, other text, no digits.
            (vec!["x05", "x5"], None),
            (vec!["x007", "x12"], None),
            (vec!["4294967296"], None),
            (vec!["u_1", "v_2"], None),
            (vec!["u_1", "u_1a"], None),
            (vec!["alice", "bob"], None),
            (vec!["u_12345678901"], None),
            (vec!["c0é"], None),
            (vec![], None),
        ];
        for (ids, want) in cases {
            let got = Ids::new(ids.iter().collect());
            let form = match &got {
                Ids::Numbered { prefix, width, numbers } => {
                    assert_eq!(numbers.len(), ids.len());
                    Some((prefix.as_str(), *width))
                }
                Ids::Text(_) => None,
            };
            assert_eq!(form, want, "{ids:?}");
            // Every id reads back exactly, either way.
            assert_eq!(got, ids, "{ids:?}");
            assert_eq!(got.to_vec(), ids.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got.get(ids.len()), None);
        }
    }

    #[test]
    fn revenue_from_its_listed_rows_equals_the_pushed_column() {
        for rows in [vec![], vec![0], vec![1, 200, 201, 700], (0..300).step_by(7).collect::<Vec<u32>>()] {
            let mut pushed = Revenue::default();
            for &r in &rows {
                pushed.push(r as usize, f64::from(r) + 0.5);
            }
            let values: Vec<f64> = rows.iter().map(|&r| f64::from(r) + 0.5).collect();
            let listed = Revenue::from_listed(rows.clone(), values).unwrap();
            assert_eq!(listed, pushed, "{rows:?}");
            // Lookups between listed rows go through the ranks of words without any.
            assert_eq!(
                (0..800).map(|r| listed.get(r)).collect::<Vec<_>>(),
                (0..800).map(|r| pushed.get(r)).collect::<Vec<_>>()
            );
        }
        assert!(Revenue::from_listed(vec![3, 3], vec![1.0, 2.0]).is_err());
        assert!(Revenue::from_listed(vec![5, 2], vec![1.0, 2.0]).is_err());
        assert!(Revenue::from_listed(vec![1], vec![f64::NAN]).is_err());
        assert!(Revenue::from_listed(vec![1], vec![]).is_err());
    }

    #[test]
    fn times_narrow_to_the_coarsest_unit_that_holds_them() {
        const S: i64 = 1_000_000;
        let base = 1_735_689_600 * S; // 2025-01-01
                                      // (times, the width and unit expected)
        let cases: Vec<(Vec<i64>, usize, i64)> = vec![
            (vec![base + 5 * S, base, base + 86_400 * S], 4, S),
            (vec![base, base + 1_500_000, base + 3_000], 4, 1_000),
            (vec![base, base + 1_500], 4, 1),
            (vec![base, base + 7], 4, 1),
            // Seconds before 1970, and the widest span four bytes of seconds hold.
            (vec![-S, base, -S + i64::from(u32::MAX) * S], 4, S),
            (vec![0, (i64::from(u32::MAX) + 1) * S], 8, 0),
            // Milliseconds over 49.7 days; microseconds over 71.6 minutes (GA4).
            (vec![base, base + i64::from(u32::MAX) * 1_000 + 1_000], 8, 0),
            (vec![base, base + i64::from(u32::MAX)], 4, 1),
            (vec![base, base + i64::from(u32::MAX) + 1], 8, 0),
            (vec![i64::MIN, i64::MAX], 8, 0),
            (vec![42], 4, S),
            (vec![], 8, 0),
        ];
        for (times, width, unit) in cases {
            let t = Times::new(times.clone());
            assert_eq!((t.width(), t.len()), (width, times.len()), "{times:?}");
            if let Times::Narrow { unit: u, base: b, .. } = &t {
                assert_eq!((*u, *b), (unit, times.iter().copied().min().unwrap()), "{times:?}");
            }
            assert_eq!(t, times, "{times:?}");
            let slice = t.slice(0..times.len());
            assert_eq!((0..times.len()).map(|i| slice.at(i)).collect::<Vec<_>>(), times);
            // Gathered (reversed, one row dropped): the rows asked for, in the form of the source.
            let order: Vec<u32> = (0..times.len() as u32).rev().skip(1).collect();
            let g = Times::gather_from(&times, &order);
            assert_eq!(t.gather(&order), g);
            assert_eq!(g.to_vec(), order.iter().map(|&r| times[r as usize]).collect::<Vec<_>>());
            assert_eq!(g.width(), if times.is_empty() { 8 } else { width });
        }
        // A run's first place at or after a time, as `partition_point` finds it.
        let sorted = Times::new(vec![10 * S, 20 * S, 20 * S, 30 * S]);
        let run = sorted.slice(1..4);
        let found: Vec<usize> = [0, 20 * S, 21 * S, 30 * S, 31 * S].iter().map(|&x| run.first_at_least(x)).collect();
        assert_eq!(found, vec![0, 0, 2, 2, 3]);
        // Parts from damaged bytes: another unit, or times beyond `i64`.
        assert!(Times::narrow(0, 7, vec![1]).is_err());
        assert!(Times::narrow(i64::MAX - 5, 1, vec![1]).is_err());
        assert_eq!(Times::narrow(-3, 1_000, vec![0, 2]).unwrap(), vec![-3, 1_997]);
    }
}
