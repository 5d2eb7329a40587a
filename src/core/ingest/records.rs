//! Records of named values (flattened JSON objects, XES events): their columns are the
//! keys seen in the first [`DISCOVER`] records, in order of first appearance; records
//! are held until then, so no early row is lost.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{LoadError, Rows};

/// How many records are read before the columns are fixed.
pub const DISCOVER: usize = 1000;

/// A record: (key, value) pairs.
pub type Record = Vec<(String, String)>;

/// A record whose keys and values borrow from the text it was read from where they can (a
/// JSON string without escapes): once the columns are fixed, it is read without copying.
pub type Fields<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

#[derive(Default)]
pub(super) struct KeyedRecords {
    pending: Vec<(u64, Record)>,
    keys: Vec<String>,
    key_index: HashMap<String, usize>,
}

impl KeyedRecords {
    /// Takes one record found at `line`.
    pub fn add(&mut self, line: u64, record: Record, rows: &mut Rows) -> Result<(), LoadError> {
        let fields = record.into_iter().map(|(k, v)| (Cow::Owned(k), Cow::Owned(v))).collect();
        self.add_fields(line, fields, rows)
    }

    /// Like [`add`](Self::add), borrowing; a record is copied only while the columns are not
    /// yet fixed (it is held until then).
    pub fn add_fields(&mut self, line: u64, fields: Fields<'_>, rows: &mut Rows) -> Result<(), LoadError> {
        if rows.header.is_some() {
            self.row(line, &fields, rows);
            return Ok(());
        }
        for (k, _) in &fields {
            if !self.key_index.contains_key(k.as_ref()) {
                self.key_index.insert(k.to_string(), self.keys.len());
                self.keys.push(k.to_string());
            }
        }
        let record = fields.into_iter().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        self.pending.push((line, record));
        if self.pending.len() >= DISCOVER {
            self.fix_columns(rows)?;
        }
        Ok(())
    }

    /// Fixes the columns as these keys before any record is read.
    pub fn fix_keys(&mut self, keys: Vec<String>, rows: &mut Rows) -> Result<(), LoadError> {
        self.key_index = keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect();
        self.keys = keys;
        self.fix_columns(rows)
    }

    fn fix_columns(&mut self, rows: &mut Rows) -> Result<(), LoadError> {
        let first_line = self.pending.first().map_or(1, |(l, _)| *l);
        rows.set_header(self.keys.clone(), first_line)?;
        for (line, record) in std::mem::take(&mut self.pending) {
            let fields: Fields<'_> =
                record.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str()))).collect();
            self.row(line, &fields, rows);
        }
        Ok(())
    }

    fn row(&self, line: u64, record: &Fields<'_>, rows: &mut Rows) {
        let keys = &self.keys;
        rows.row(line, |i| {
            let key = keys.get(i)?;
            record.iter().find(|(k, _)| k == key).map(|(_, v)| Cow::Borrowed(v.as_ref()))
        });
    }

    /// Fixes the columns if fewer than [`DISCOVER`] records came; `none` is the message when
    /// there were no records at all.
    pub fn finish(&mut self, rows: &mut Rows, none: &str) -> Result<(), LoadError> {
        if rows.header.is_none() {
            if self.pending.is_empty() {
                return Err(LoadError { file: rows.file.clone(), line: None, message: none.into() });
            }
            self.fix_columns(rows)?;
        }
        Ok(())
    }
}
