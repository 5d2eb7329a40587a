//! Identity stitching: one customer for a person's anonymous and known ids.
//!
//! Links come from rows that carry both an anonymous id and a known id (a format's
//! coalesced id columns, such as GA4's `user_pseudo_id` and `user_id`) and from
//! identity-map files (two columns of id pairs). The rules are deliberately safe:
//! - an anonymous id linked to exactly one known id becomes that known id;
//! - an anonymous id linked to several known ids (a shared device) stays as it is,
//!   and is counted as a conflict;
//! - known ids are never merged with each other.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::table::{EventTable, Part};

/// What stitching did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StitchReport {
    /// Distinct (anonymous, known) pairs seen.
    pub links: u64,
    /// Anonymous ids now read as a known id.
    pub merged: u64,
    /// Anonymous ids left alone because they link to several known ids.
    pub conflicts: u64,
}

/// Resolves anonymous ids to known ids by the rules above.
pub fn resolve(links: &[(String, String)]) -> (HashMap<String, String>, StitchReport) {
    let mut known_of: HashMap<&str, HashSet<&str>> = HashMap::new();
    let known: HashSet<&str> = links.iter().map(|(_, k)| k.as_str()).collect();
    let mut distinct = HashSet::new();
    for (anon, k) in links {
        if anon != k && distinct.insert((anon.as_str(), k.as_str())) {
            known_of.entry(anon.as_str()).or_default().insert(k.as_str());
        }
    }
    let mut map = HashMap::new();
    let mut report = StitchReport { links: distinct.len() as u64, ..Default::default() };
    let mut anons: Vec<&&str> = known_of.keys().collect();
    anons.sort();
    for anon in anons {
        // A known id is never re-read as another known id.
        if known.contains(*anon) {
            continue;
        }
        let ks = &known_of[*anon];
        if ks.len() == 1 {
            map.insert(anon.to_string(), ks.iter().next().unwrap().to_string());
            report.merged += 1;
        } else {
            report.conflicts += 1;
        }
    }
    (map, report)
}

/// Merges parts as [`super::table::merge`] does, reading customer ids through `ids`.
pub fn merge_stitched(parts: &[Part<'_>], ids: &HashMap<String, String>) -> EventTable {
    super::table::merge_mapped(parts, |id| ids.get(id).map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, k)| (a.to_string(), k.to_string())).collect()
    }

    #[test]
    fn anonymous_ids_with_one_known_id_merge_shared_devices_do_not() {
        let (map, rep) = resolve(&l(&[
            ("p1", "alice"),
            ("p1", "alice"), // repeated
            ("p2", "bob"),
            ("tablet", "alice"),
            ("tablet", "bob"), // shared device: two known ids
            ("bob", "carol"),  // a known id never becomes another
        ]));
        assert_eq!(map.get("p1").map(String::as_str), Some("alice"));
        assert_eq!(map.get("p2").map(String::as_str), Some("bob"));
        assert_eq!(map.get("tablet"), None);
        assert_eq!(map.get("bob"), None);
        assert_eq!(rep, StitchReport { links: 5, merged: 2, conflicts: 1 });
    }
}
