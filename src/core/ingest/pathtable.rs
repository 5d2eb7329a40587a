//! Aggregated path tables, as ChannelAttribution reads them: one row per path
//! (`A > B > C`) with its conversions, conversion value and non-converting journeys.
//! Identical paths are summed; the result is a set of weighted [`Journeys`].

use std::borrow::Cow;
use std::collections::HashMap;

use super::SkipReason;
use crate::core::attribution::Journeys;
use crate::core::table::FxBuild;

/// Header names of each column (lower case).
const PATH: &[&str] = &["path", "paths", "var_path", "channel_path", "journey"];
const CONVERSIONS: &[&str] = &["total_conversions", "total_conversion", "conversions", "var_conv", "total_conv"];
const VALUE: &[&str] = &["total_conversion_value", "conversion_value", "total_value", "var_value", "value", "revenue"];
const NULLS: &[&str] = &["total_null", "total_nulls", "null", "nulls", "var_null", "non_conversions"];

/// Reads the rows of a path table.
#[derive(Debug, Clone)]
pub(super) struct PathTableReader {
    path: usize,
    conversions: Option<usize>,
    value: Option<usize>,
    nulls: Option<usize>,
    channel_index: HashMap<String, u32, FxBuild>,
    rows: HashMap<Vec<u32>, usize, FxBuild>,
    journeys: Journeys,
    parts: Vec<u32>,
}

impl PathTableReader {
    /// A reader when the header is a path table's: a path column and a conversions or null column.
    pub fn detect(headers: &[String]) -> Option<PathTableReader> {
        let find =
            |names: &[&str]| names.iter().find_map(|n| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(n)));
        let path = find(PATH)?;
        let (conversions, nulls) = (find(CONVERSIONS), find(NULLS));
        if conversions.is_none() && nulls.is_none() {
            return None;
        }
        Some(PathTableReader {
            path,
            conversions,
            value: find(VALUE),
            nulls,
            channel_index: HashMap::default(),
            rows: HashMap::default(),
            journeys: Journeys::new(Vec::new()),
            parts: Vec::new(),
        })
    }

    /// The columns read, for the report: (role, column index).
    pub fn columns(&self) -> Vec<(&'static str, usize)> {
        let mut c = vec![("path", self.path)];
        c.extend(self.conversions.map(|i| ("conversions", i)));
        c.extend(self.value.map(|i| ("conversion value", i)));
        c.extend(self.nulls.map(|i| ("non-conversions", i)));
        c
    }

    /// Adds one row (`json`: a record, where an absent key is no value); on a skip, says why (and the offending text).
    pub fn row<'a>(
        &mut self,
        text: impl Fn(usize) -> Option<Cow<'a, str>>,
        json: bool,
    ) -> Result<(), (SkipReason, Option<String>)> {
        let Some(path) = text(self.path) else {
            return Err((SkipReason::TooFewFields, None));
        };
        let number = |col: Option<usize>| -> Result<f64, (SkipReason, Option<String>)> {
            let Some(col) = col else { return Ok(0.0) };
            match text(col) {
                // A JSON record without the key has none; a delimited row without the field is short.
                None if json => Ok(0.0),
                None => Err((SkipReason::TooFewFields, None)),
                Some(t) if t.trim().is_empty() => Ok(0.0),
                Some(t) => match t.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                    _ => Err((SkipReason::BadNumber, Some(t.trim().to_string()))),
                },
            }
        };
        let (conversions, value, nulls) = (number(self.conversions)?, number(self.value)?, number(self.nulls)?);
        self.parts.clear();
        for name in path.split('>').map(str::trim).filter(|s| !s.is_empty()) {
            let next = self.channel_index.len() as u32;
            let code = *self.channel_index.entry(name.to_string()).or_insert_with(|| {
                self.journeys.channels.push(name.to_string());
                next
            });
            self.parts.push(code);
        }
        if self.parts.is_empty() {
            return Err((SkipReason::EmptyPath, Some(path.into_owned())));
        }
        match self.rows.get(&self.parts) {
            Some(&j) => {
                self.journeys.conversions[j] += conversions;
                self.journeys.value[j] += value;
                self.journeys.nulls[j] += nulls;
            }
            None => {
                self.rows.insert(self.parts.clone(), self.journeys.len());
                self.journeys.push(&self.parts, &[], conversions, value, nulls);
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Journeys {
        self.journeys
    }
}

/// Several path tables as one: channels by name, identical paths summed.
pub fn merge(tables: &[&Journeys]) -> Journeys {
    if let [one] = tables {
        return (*one).clone();
    }
    let mut index: HashMap<String, u32, FxBuild> = HashMap::default();
    let mut rows: HashMap<Vec<u32>, usize, FxBuild> = HashMap::default();
    let mut out = Journeys::new(Vec::new());
    for t in tables {
        out.unattributed += t.unattributed;
        out.unattributed_value += t.unattributed_value;
        for j in t.iter() {
            let path: Vec<u32> = j
                .touches
                .iter()
                .map(|&c| {
                    let name = &t.channels[c as usize];
                    let next = index.len() as u32;
                    *index.entry(name.clone()).or_insert_with(|| {
                        out.channels.push(name.clone());
                        next
                    })
                })
                .collect();
            match rows.get(&path) {
                Some(&r) => {
                    out.conversions[r] += j.conversions;
                    out.value[r] += j.value;
                    out.nulls[r] += j.nulls;
                }
                None => {
                    rows.insert(path.clone(), out.len());
                    out.push(&path, &[], j.conversions, j.value, j.nulls);
                }
            }
        }
    }
    out
}
