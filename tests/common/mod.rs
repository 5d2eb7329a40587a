//! Helpers shared by the native integration tests.
#![allow(dead_code)] // each test crate uses its own subset

/// A seeded random source for generated test inputs (the engine's SplitMix64).
pub struct Rng(touchpath::core::sample::Rng);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(touchpath::core::sample::Rng::new(seed))
    }

    pub fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.0.below((hi - lo) as u64) as i64
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The generated sample (20,000 events) as a table, built without the CSV loader; with
/// `revenue`, purchases carry their revenue.
pub fn sample_table(revenue: bool) -> touchpath::core::table::EventTable {
    sample_table_with(revenue, false)
}

/// [`sample_table`], with the generator's own stage column when `stage`.
pub fn sample_table_with(revenue: bool, stage: bool) -> touchpath::core::table::EventTable {
    use touchpath::core::sample;
    use touchpath::core::table::{RowRef, TableBuilder};
    let mut b = TableBuilder::new(true, stage, revenue);
    for e in &sample::generate(sample::DEFAULT_SEED, 20_000) {
        let id = sample::customer_id(e.customer);
        b.push(RowRef {
            customer: &id,
            ts: e.ts,
            event: e.event,
            channel: Some(sample::CHANNELS[e.channel as usize]),
            stage: stage.then_some(e.stage),
            revenue: e.revenue_cents.filter(|_| revenue).map(|c| f64::from(c) / 100.0),
        });
    }
    b.finish()
}
