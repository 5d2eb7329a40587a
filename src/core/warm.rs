//! A warm-up: every analysis run on a small generated table, so that a browser has its
//! optimised code ready before a person's first request on large data.
//!
//! Chromium runs a wasm function first from quickly made baseline code (Liftoff) and compiles
//! optimised code for it (TurboFan) once it has run for a while; a call already running keeps its
//! code. A person's first funnel or paths view on a 1M-event file is one long call, so it ran
//! wholly on baseline code: in headless Chromium, the first funnel on a 1M-event file took 84 ms,
//! 26 ms when everything is compiled optimised (`--js-flags=--no-liftoff`). Running each
//! analysis a few times on a small table while the worker is idle spends the tier-up budget of
//! their hot loops, so the long calls that follow start on optimised code (measured: that first
//! funnel 24–47 ms, the first paths view 104–118 ms instead of 156–183).
//!
//! The work is cut into phases ([`WarmUp::step`]) so that the worker can answer a request that
//! arrives meanwhile between two of them.

use super::attribution::{self, AttributionQuery, Conversion};
use super::funnel::{self, Dimension, FunnelIndex, FunnelQuery};
use super::ingest::load_bytes;
use super::paths::{self, PathQuery};
use super::sample;
use super::stages::{self, StageModel};
use super::table::EventTable;
use super::time::{Duration, TimeUnit};

/// Events of the generated table: enough loop iterations for each hot loop to be compiled
/// optimised, little enough for a phase to stay short on baseline code.
pub const EVENTS: usize = 20_000;

/// How often each analysis runs on it.
const ROUNDS: usize = 4;

/// The warm-up's state: the phases done, and the table it made when it was given none.
pub struct WarmUp {
    events: usize,
    phase: usize,
    table: Option<EventTable>,
    /// What the phases found (customers counted, variants, ...): kept, so that no work is
    /// optimised away, and checked by the tests.
    pub seen: Vec<u64>,
    /// The last result of each kind, for the worker to encode once as it would an answer (see
    /// [`WarmUp::into_results`]).
    results: Results,
}

/// A result of each kind the warm-up computes.
#[derive(Default)]
pub struct Results {
    pub funnel: Option<funnel::FunnelResult>,
    pub paths: Option<paths::PathResult>,
    pub attribution: Option<attribution::AttributionResult>,
}

impl Default for WarmUp {
    fn default() -> WarmUp {
        WarmUp::new(EVENTS)
    }
}

/// The phases in order: one operation each, so that none keeps a request waiting long.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Funnel,
    IndexedFunnel,
    Paths(usize),
    Attribution,
    Stages,
}

/// Each phase and how often it runs.
const PHASES: [(Phase, usize); 6] = [
    (Phase::Funnel, 2 * ROUNDS),
    (Phase::IndexedFunnel, 1),
    (Phase::Paths(6), ROUNDS / 2),
    (Phase::Paths(8), ROUNDS / 2),
    (Phase::Attribution, ROUNDS),
    (Phase::Stages, ROUNDS),
];

/// A table given to [`WarmUp::step`] is used when it holds at most this many events.
pub const MAX_GIVEN: usize = 4 * EVENTS;

/// The funnel the phases run: the generated data's three purchase steps within `days` days.
fn funnel_query(days: u32) -> FunnelQuery {
    FunnelQuery {
        by: Dimension::Event,
        steps: ["product_view", "add_to_cart", "purchase"].map(String::from).to_vec(),
        window: Some(Duration { amount: days, unit: TimeUnit::Day }),
        ..Default::default()
    }
}

impl WarmUp {
    /// A warm-up that makes a table of about `events` events when it is given none.
    pub fn new(events: usize) -> WarmUp {
        WarmUp { events, phase: 0, table: None, seen: Vec::new(), results: Results::default() }
    }

    /// The last results of the phases, once the warm-up is over: encoding them as answers readies
    /// the code that turns a result into a message (serde-wasm-bindgen and the glue it calls, run
    /// first on a person's first large answer otherwise).
    pub fn into_results(self) -> Results {
        self.results
    }

    /// The phase at step `i`, each of [`PHASES`] repeated as it says.
    fn phase_at(mut i: usize) -> Option<Phase> {
        for (phase, times) in PHASES {
            if i < times {
                return Some(phase);
            }
            i -= times;
        }
        None
    }

    /// Runs the next phase on `given` when it is small (at most [`MAX_GIVEN`] events: the
    /// built-in sample, usually loaded first), on a generated table otherwise (made by the first
    /// phase that needs it); false once every phase has run (and that table is dropped).
    pub fn step(&mut self, given: Option<&EventTable>) -> bool {
        let Some(phase) = Self::phase_at(self.phase) else {
            self.table = None;
            return false;
        };
        let given = given.filter(|t| !t.is_empty() && t.len() <= MAX_GIVEN);
        if given.is_none() && self.table.is_none() {
            // A phase of its own: generating and reading takes as long as a phase.
            let events = sample::generate(sample::DEFAULT_SEED, self.events);
            let mut csv = Vec::new();
            sample::write_csv(&events, &mut csv).expect("in memory");
            self.table = load_bytes("warm-up.csv", &csv, &Default::default()).ok().map(|(t, _)| t);
            if self.table.is_none() {
                // Never with the generated data; then there is nothing to warm up on.
                self.phase = usize::MAX;
            }
            return true;
        }
        self.phase += 1;
        let Some(t) = given.or(self.table.as_ref()) else { return true };
        let results = &mut self.results;
        let mut last_step = |r: Result<funnel::FunnelResult, _>| {
            let n = r.as_ref().ok().and_then(|r| r.steps.last().map(|s| s.customers));
            results.funnel = r.ok();
            n
        };
        match phase {
            Phase::Funnel => self.seen.push(last_step(funnel::compute(t, &funnel_query(7))).unwrap_or(0)),
            Phase::IndexedFunnel => {
                if let Ok(index) = FunnelIndex::new(t, &funnel_query(7)) {
                    for _ in 0..ROUNDS {
                        let r = funnel::compute_with(t, &funnel_query(3), Some(&index));
                        self.seen.push(last_step(r).unwrap_or(0));
                    }
                }
            }
            Phase::Paths(steps) => {
                let r = paths::compute(t, &PathQuery { steps, ..PathQuery::default() });
                self.seen.push(r.as_ref().map_or(0, |r| r.variants.len() as u64));
                self.results.paths = r.ok();
            }
            Phase::Attribution => {
                let q = AttributionQuery { conversion: Conversion::Event("purchase".into()), ..Default::default() };
                if let Ok(j) = attribution::journeys(t, &q) {
                    let r = attribution::attribute(&j, &q);
                    self.seen.push(j.len() as u64 + r.models.len() as u64);
                    self.results.attribution = Some(r);
                }
            }
            Phase::Stages => self.seen.push(stages::compute(t, &StageModel::default()).stages.len() as u64),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a warm-up to its end, giving it `given` at each step; the steps it took.
    fn run(w: &mut WarmUp, given: Option<&EventTable>) -> usize {
        let mut steps = 0;
        while w.step(given) {
            steps += 1;
            assert!(steps <= 100, "the warm-up ends");
        }
        assert!(!w.step(given), "and stays ended");
        assert!(w.table.is_none(), "the table it made is dropped");
        steps
    }

    /// What the phases saw, checked against each other: the 7-day funnel's last step, then the
    /// 3-day one from the index (as many or fewer customers convert within 3 days, some within
    /// 7), then paths, attribution and stages.
    fn check_seen(seen: &[u64]) {
        let (f7, rest) = seen.split_at(2 * ROUNDS);
        let (f3, rest) = rest.split_at(ROUNDS);
        assert!(f7.iter().all(|&n| n == f7[0] && n > 0), "{f7:?}");
        assert!(f3.iter().all(|&n| n == f3[0] && n <= f7[0]), "{f3:?} vs {f7:?}");
        let (paths, rest) = rest.split_at(ROUNDS);
        assert!(paths.iter().all(|&n| n > 0), "{paths:?}");
        let (attribution, stages) = rest.split_at(ROUNDS);
        assert!(attribution.iter().all(|&n| n > 0), "{attribution:?}");
        assert_eq!(stages, [5; ROUNDS], "the default model's five stages");
    }

    #[test]
    fn without_a_small_table_it_makes_one_and_runs_every_phase_on_it() {
        let mut w = WarmUp::new(2_000);
        // One step makes the table; then the 3-step funnel 2 × ROUNDS times, the indexed funnel
        // once, paths ROUNDS times (6 then 8 steps), attribution and stages ROUNDS times each.
        assert_eq!(run(&mut w, None), 1 + 5 * ROUNDS + 1);
        check_seen(&w.seen);
    }

    #[test]
    fn a_small_table_given_is_used_and_a_large_one_is_not() {
        let small = sample::generate(sample::DEFAULT_SEED, 3_000);
        let mut csv = Vec::new();
        sample::write_csv(&small, &mut csv).unwrap();
        let (t, _) = load_bytes("small.csv", &csv, &Default::default()).unwrap();
        let mut w = WarmUp::new(2_000);
        assert_eq!(run(&mut w, Some(&t)), 5 * ROUNDS + 1, "no step made a table");
        check_seen(&w.seen);
        // The same funnel on the given table: its counts are what the warm-up saw.
        assert_eq!(w.seen[0], funnel::compute(&t, &funnel_query(7)).unwrap().steps[2].customers);
        // Too large a table is not used: a table is made.
        let mut w = WarmUp::new(2_000);
        let large = sample::generate(sample::DEFAULT_SEED, MAX_GIVEN + 10_000);
        let mut csv = Vec::new();
        sample::write_csv(&large, &mut csv).unwrap();
        let (t, _) = load_bytes("large.csv", &csv, &Default::default()).unwrap();
        assert!(t.len() > MAX_GIVEN);
        assert_eq!(run(&mut w, Some(&t)), 1 + 5 * ROUNDS + 1);
        check_seen(&w.seen);
    }
}
