//! A deterministic generator of realistic cross-channel journeys.
//!
//! Each customer walks the lifecycle (awareness → consideration → purchase →
//! retention → advocacy) and may drop out after any stage. Touches come from
//! ten channels, each stage favouring the channels that serve it; timestamps
//! advance by minutes to days; purchases carry revenue. The same seed always
//! gives the same events, byte for byte.

use std::io::{self, Write};

use super::time::{format_timestamp, MICROS_PER_DAY, MICROS_PER_MINUTE, MICROS_PER_SECOND};

pub const CHANNELS: [&str; 10] = [
    "organic_search",
    "paid_search",
    "email",
    "social",
    "display",
    "referral",
    "direct",
    "webinar",
    "call_center",
    "store",
];

/// The seed of the built-in sample and of the benchmark files.
pub const DEFAULT_SEED: u64 = 20_261_123;

/// SplitMix64: tiny, fast, and good enough for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Picks an index by weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

/// One generated event.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleEvent {
    pub customer: u32,
    pub ts: i64,
    pub channel: u8,
    pub event: &'static str,
    pub stage: &'static str,
    /// Revenue in cents, when the event carries any.
    pub revenue_cents: Option<u32>,
}

// Channel weights per kind of touch, in CHANNELS order.
const W_AWARE: [u32; 10] = [30, 22, 4, 20, 14, 8, 2, 0, 0, 0];
const W_WEB: [u32; 10] = [25, 18, 16, 10, 3, 8, 20, 0, 0, 0];
const W_BUY: [u32; 10] = [12, 14, 16, 5, 1, 4, 30, 0, 6, 12];
const W_RETAIN: [u32; 10] = [4, 2, 40, 8, 0, 0, 16, 0, 22, 8];

struct Walk<'a> {
    rng: &'a mut Rng,
    customer: u32,
    t: i64,
    out: &'a mut Vec<SampleEvent>,
}

impl Walk<'_> {
    fn wait(&mut self) {
        // Mostly minutes within a visit, sometimes days between visits.
        self.t += if self.rng.chance(0.6) {
            (1 + self.rng.below(30) as i64) * MICROS_PER_MINUTE
        } else {
            self.rng.below(6 * 86_400) as i64 * MICROS_PER_SECOND + MICROS_PER_MINUTE
        };
    }

    fn touch(&mut self, weights: &[u32; 10], event: &'static str, stage: &'static str, revenue_cents: Option<u32>) {
        let channel = self.rng.weighted(weights) as u8;
        self.emit(channel, event, stage, revenue_cents);
    }

    fn emit(&mut self, channel: u8, event: &'static str, stage: &'static str, revenue_cents: Option<u32>) {
        self.wait();
        self.out.push(SampleEvent { customer: self.customer, ts: self.t, channel, event, stage, revenue_cents });
    }

    fn order_value(&mut self) -> u32 {
        2_000 + self.rng.below(48_000) as u32
    }

    fn journey(&mut self) {
        // Awareness: 1-3 touches.
        for _ in 0..1 + self.rng.below(3) {
            let e = if self.rng.chance(0.45) { "ad_impression" } else { "site_visit" };
            self.touch(&W_AWARE, e, "awareness", None);
        }
        if !self.rng.chance(0.62) {
            return;
        }
        // Consideration: product views, sometimes a webinar or newsletter.
        for _ in 0..1 + self.rng.below(4) {
            self.touch(&W_WEB, "product_view", "consideration", None);
        }
        if self.rng.chance(0.15) {
            self.emit(7, "webinar_attended", "consideration", None);
        }
        if self.rng.chance(0.2) {
            self.emit(2, "newsletter_signup", "consideration", None);
        }
        if !self.rng.chance(0.5) {
            return;
        }
        self.touch(&W_WEB, "add_to_cart", "purchase", None);
        if !self.rng.chance(0.65) {
            return;
        }
        self.touch(&W_BUY, "checkout", "purchase", None);
        if !self.rng.chance(0.72) {
            return;
        }
        let v = self.order_value();
        self.touch(&W_BUY, "purchase", "purchase", Some(v));
        if !self.rng.chance(0.6) {
            return;
        }
        for _ in 0..1 + self.rng.below(3) {
            match self.rng.below(3) {
                0 => self.emit(8, "support_call", "retention", None),
                1 => self.emit(2, "email_open", "retention", None),
                _ => {
                    let v = self.order_value();
                    self.touch(&W_RETAIN, "repeat_purchase", "retention", Some(v));
                }
            }
        }
        if !self.rng.chance(0.3) {
            return;
        }
        let e = if self.rng.chance(0.6) { "review_posted" } else { "referral_sent" };
        self.touch(&W_AWARE, e, "advocacy", None);
    }
}

/// Generates about `target_events` events (exactly that many when the last
/// customer's journey is cut), ordered by time as exports usually are.
pub fn generate(seed: u64, target_events: usize) -> Vec<SampleEvent> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(target_events + 32);
    // Customers arrive over the first half of 2025.
    let base = 20_089 * MICROS_PER_DAY; // 2025-01-01
    let span = 181 * MICROS_PER_DAY;
    let mut customer = 0u32;
    while out.len() < target_events {
        let t = base + rng.below((span / MICROS_PER_SECOND) as u64) as i64 * MICROS_PER_SECOND;
        Walk { rng: &mut rng, customer, t, out: &mut out }.journey();
        customer += 1;
    }
    out.truncate(target_events);
    out.sort_by_key(|e| (e.ts, e.customer));
    out
}

/// The customer id string of a generated customer.
pub fn customer_id(customer: u32) -> String {
    format!("cust-{customer:07}")
}

/// Writes events as CSV with the header `customer_id,timestamp,channel,event,stage,revenue`.
pub fn write_csv<W: Write>(events: &[SampleEvent], w: W) -> io::Result<()> {
    write_csv_with(events, w, false)
}

/// A generated customer's device: `mobile` (55 %), `desktop` (38 %) or `tablet` (7 %), fixed
/// per customer.
pub fn device_of(customer: u32) -> &'static str {
    let mut z = u64::from(customer).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    match (z ^ (z >> 31)) % 100 {
        0..=54 => "mobile",
        55..=92 => "desktop",
        _ => "tablet",
    }
}

/// Like [`write_csv`], with a last column `device` ([`device_of`]) when `device`.
pub fn write_csv_with<W: Write>(events: &[SampleEvent], w: W, device: bool) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    writeln!(w, "customer_id,timestamp,channel,event,stage,revenue{}", if device { ",device" } else { "" })?;
    for e in events {
        write!(
            w,
            "{},{},{},{},{},",
            customer_id(e.customer),
            format_timestamp(e.ts),
            CHANNELS[e.channel as usize],
            e.event,
            e.stage
        )?;
        if let Some(c) = e.revenue_cents {
            write!(w, "{}.{:02}", c / 100, c % 100)?;
        }
        if device {
            write!(w, ",{}", device_of(e.customer))?;
        }
        writeln!(w)?;
    }
    w.flush()
}

/// Writes events as JSON lines with the same fields as [`write_csv`].
pub fn write_jsonl<W: Write>(events: &[SampleEvent], w: W) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    for e in events {
        write!(
            w,
            "{{\"customer_id\":\"{}\",\"timestamp\":\"{}\",\"channel\":\"{}\",\"event\":\"{}\",\"stage\":\"{}\"",
            customer_id(e.customer),
            format_timestamp(e.ts),
            CHANNELS[e.channel as usize],
            e.event,
            e.stage
        )?;
        if let Some(c) = e.revenue_cents {
            write!(w, ",\"revenue\":{}.{:02}", c / 100, c % 100)?;
        }
        writeln!(w, "}}")?;
    }
    w.flush()
}

/// Events in the built-in sample that the page opens with.
/// A ChannelAttribution-style path table of `rows` random paths over [`CHANNELS`]
/// (1–8 touches, weighted towards short paths), with conversions, value and non-conversions;
/// the same seed gives the same text. Paths can repeat (a reader sums them).
pub fn path_table_csv(seed: u64, rows: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::from("path,total_conversions,total_conversion_value,total_null\n");
    let mut path: Vec<&str> = Vec::new();
    for _ in 0..rows {
        path.clear();
        let len = 1 + rng.below(4) as usize + rng.below(5) as usize * usize::from(rng.below(2) == 0);
        for _ in 0..len {
            path.push(CHANNELS[rng.below(CHANNELS.len() as u64) as usize]);
        }
        let conversions = rng.below(4) * u64::from(rng.below(3) == 0);
        let nulls = rng.below(20);
        let value = conversions as f64 * (20.0 + rng.below(20_000) as f64 / 100.0);
        out.push_str(&format!("{},{conversions},{value:.2},{nulls}\n", path.join(" > ")));
    }
    out
}

pub const SAMPLE_EVENTS: usize = 20_000;

/// The built-in sample as gzip-compressed CSV (what `static/sample.csv.gz` holds), with each
/// customer's device as a column to keep.
pub fn sample_csv_gz() -> Vec<u8> {
    let mut csv = Vec::new();
    write_csv_with(&generate(DEFAULT_SEED, SAMPLE_EVENTS), &mut csv, true).expect("writing to memory");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&csv).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_exact_size() {
        let a = generate(7, 5_000);
        assert_eq!(a.len(), 5_000);
        assert_eq!(a, generate(7, 5_000));
        assert_ne!(a, generate(8, 5_000));
        assert!(a.windows(2).all(|w| w[0].ts <= w[1].ts));
    }

    #[test]
    fn realistic_shape() {
        let ev = generate(DEFAULT_SEED, SAMPLE_EVENTS);
        let customers = ev.iter().map(|e| e.customer).max().unwrap() + 1;
        let buyers: std::collections::HashSet<u32> =
            ev.iter().filter(|e| e.event == "purchase").map(|e| e.customer).collect();
        let rate = buyers.len() as f64 / f64::from(customers);
        assert!((0.05..0.25).contains(&rate), "purchase rate {rate}");
        let used: std::collections::HashSet<u8> = ev.iter().map(|e| e.channel).collect();
        assert_eq!(used.len(), 10, "all ten channels occur");
        for stage in ["awareness", "consideration", "purchase", "retention", "advocacy"] {
            assert!(ev.iter().any(|e| e.stage == stage), "{stage} occurs");
        }
        assert!(ev.iter().filter(|e| e.revenue_cents.is_some()).all(|e| e.event.contains("purchase")));
    }
}
