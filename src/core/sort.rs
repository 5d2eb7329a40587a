//! Sorting with one compiled copy of the standard sort per element type.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`, as `slice::sort_by` does. The standard sort is compiled anew for
/// every comparator closure (3–9 KB of wasm each; some thirty of them made 16 % of the worker's
/// code); taking the comparator as a trait object compiles it once per element type, for an
/// indirect call per comparison. For sorts of a result's rows or a chart's shapes, not of the
/// data's rows.
pub fn sort_by<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    v.sort_by(cmp);
}
