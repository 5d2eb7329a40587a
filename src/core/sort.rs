//! Sorting with one compiled copy of the standard sort per element type, and nearest-rank
//! percentiles.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`, as `slice::sort_by` does. The standard sort is compiled anew for
/// every comparator closure (3–9 KB of wasm each; some thirty of them made 16 % of the worker's
/// code); taking the comparator as a trait object compiles it once per element type, for an
/// indirect call per comparison. For sorts of a result's rows or a chart's shapes, not of the
/// data's rows.
pub fn sort_by<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    v.sort_by(cmp);
}

/// Nearest-rank percentile (`q` in 0..=1) of sorted values; 0 when there are none.
pub fn percentile(sorted: &[i64], q: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[nearest_rank(sorted.len(), q) - 1]
}

/// The 1-based nearest rank of quantile `q` among `len` (≥ 1) values.
fn nearest_rank(len: usize, q: f64) -> usize {
    ((q * len as f64).ceil() as usize).clamp(1, len)
}

/// Nearest-rank percentiles (as [`percentile`] of the sorted values) of unsorted values,
/// reordering them: a selection per quantile (ascending quantiles, each searched right of the
/// previous one) instead of a full sort.
pub fn percentiles<T: Ord + Copy + Default, const N: usize>(values: &mut [T], qs: [f64; N]) -> [T; N] {
    let mut out = [T::default(); N];
    if values.is_empty() {
        return out;
    }
    let len = values.len();
    let mut from = 0;
    for (o, q) in out.iter_mut().zip(qs) {
        let k = nearest_rank(len, q) - 1;
        debug_assert!(k + 1 >= from, "ascending quantiles");
        if k < from {
            // Same rank as the previous quantile: already in place.
            *o = values[k];
            continue;
        }
        *o = *values[from..].select_nth_unstable(k - from).1;
        from = k + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_the_sorted_ranks() {
        // Negatives, duplicates, the widest range, one value.
        let mut state = 7u64;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            state >> 11
        };
        let lists: Vec<Vec<i64>> = vec![
            (0..5000).map(|_| (next() % 100_000) as i64).collect(),
            (0..3000).map(|_| next() as i64 - (1 << 52)).collect(),
            (0..2000).map(|_| (next() % 3) as i64 * 1_000_000_007).collect(),
            (0..1000).map(|_| [i64::MIN, i64::MAX, 0, -1][(next() % 4) as usize]).collect(),
            vec![42; 900],
            (0..700).map(|i| if i == 350 { 1 } else { 0 }).collect(),
            (0..100).map(|_| (next() % 10) as i64).collect(),
            vec![5],
        ];
        for list in lists {
            let mut sorted = list.clone();
            sorted.sort();
            let mut values = list.clone();
            let [a, b, c] = percentiles(&mut values, [0.1, 0.5, 0.9]);
            assert_eq!([a, b, c], [0.1, 0.5, 0.9].map(|q| percentile(&sorted, q)), "{}", list.len());
        }
    }
}
