//! Hot loops written so that the browser runs them optimised.

/// Items per call of a hot loop's body (see [`chunked`]).
pub const CHUNK: usize = 4096;

/// Runs `body` for each of `0..n`, a call per chunk of [`CHUNK`] items rather than one long
/// loop. In the browser, V8 runs wasm first with its baseline compiler and swaps in optimised
/// code only at a function's next call (there is no on-stack replacement for wasm): a loop over
/// a million rows inside one call would run unoptimised to its end, several times slower. As a
/// call per chunk, the body is optimised after its first chunks. Natively this costs nothing.
#[inline]
pub fn chunked(n: usize, mut body: impl FnMut(usize)) {
    let mut start = 0;
    while start < n {
        let end = n.min(start + CHUNK);
        run_chunk(&mut body, start..end);
        start = end;
    }
}

#[inline(never)]
fn run_chunk<F: FnMut(usize)>(body: &mut F, items: std::ops::Range<usize>) {
    for i in items {
        body(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_every_item_once_in_order() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let mut seen = Vec::new();
            chunked(n, |i| seen.push(i));
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "n = {n}");
        }
    }
}
