//! Timestamp parsing and durations.
//!
//! Every timestamp becomes an `i64` count of microseconds since the Unix
//! epoch, in UTC. Accepted forms (see README, "Timestamps"):
//!
//! - ISO-8601 / RFC 3339: `2024-03-01T12:30:00Z`, `2024-03-01T12:30:00.25+02:00`,
//!   offsets as `+HH:MM`, `+HHMM` or `+HH`;
//! - `YYYY-MM-DD HH:MM[:SS[.fraction]]`, optionally followed by ` UTC` or an offset;
//! - a date alone, `YYYY-MM-DD` (midnight UTC);
//! - Unix epoch numbers, told apart by magnitude: seconds (< 10^11, a decimal
//!   fraction allowed), milliseconds (< 10^14), microseconds (< 10^17),
//!   nanoseconds (beyond).
//!
//! A timestamp without a zone is read as UTC; [`Parsed::zoned`] tells the
//! caller so that the UI can say it. Fractions finer than a microsecond are
//! truncated. A leap second (`:60`) is read as `:59.999999`.

/// Microseconds per unit.
pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
pub const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;
pub const MICROS_PER_WEEK: i64 = 7 * MICROS_PER_DAY;

/// A parsed timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    /// Microseconds since 1970-01-01T00:00:00Z.
    pub micros: i64,
    /// Whether the text named its zone (offset, `Z`, `UTC`, or an epoch number).
    pub zoned: bool,
    /// The UTC offset the text named, in minutes (0 for `Z`, `UTC` and epoch numbers).
    pub offset_minutes: Option<i16>,
}

/// [`str::trim`], quicker for the common text that starts and ends with a visible ASCII
/// character (which is never white space, so there is nothing to trim).
pub fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        [only] if only.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Parses a timestamp in any of the accepted forms; `None` if it is not one.
pub fn parse_timestamp(text: &str) -> Option<Parsed> {
    parse_timestamp_with(text, &mut DayCache::default())
}

/// The last date [`parse_timestamp_with`] read in the common layout and its day number: an
/// export sorted by time repeats one date row after row, so its digits, month length and
/// day number are worked out once per date instead of once per row.
#[derive(Debug, Clone, Copy, Default)]
pub struct DayCache {
    /// `YYYY-MM-DD` as written; all zero bytes until a date is read (text whose separators
    /// passed the layout check can never equal it).
    date: [u8; 10],
    days: i64,
}

/// Like [`parse_timestamp`], remembering the last date in `cache` (the result is the same).
pub fn parse_timestamp_with(text: &str, cache: &mut DayCache) -> Option<Parsed> {
    let s = trim(text).as_bytes();
    if s.is_empty() {
        return None;
    }
    if s[0].is_ascii_digit() && s.len() > 4 && s[4] != b'-' && s[4] != b'/' {
        return parse_epoch(s).map(|micros| Parsed { micros, zoned: true, offset_minutes: Some(0) });
    }
    parse_fixed(s, cache).or_else(|| parse_datetime(s))
}

/// The layouts most exports write, `YYYY-MM-DDTHH:MM:SS` (or with a space for the `T`), alone
/// or followed by `Z`, read without [`parse_datetime`]'s steps; `None` for anything else
/// (including a leap second), which that general parser then reads. Where this gives a
/// value, it is the general parser's (a test compares them).
fn parse_fixed(s: &[u8], cache: &mut DayCache) -> Option<Parsed> {
    let zoned = match s.len() {
        19 => false,
        20 if s[19] == b'Z' => true,
        _ => return None,
    };
    if s[4] != b'-' || s[7] != b'-' || (s[10] != b'T' && s[10] != b' ') || s[13] != b':' || s[16] != b':' {
        return None;
    }
    if ![11, 12, 14, 15, 17, 18].iter().all(|&at| s[at].is_ascii_digit()) {
        return None;
    }
    let two = |at: usize| i64::from(s[at] - b'0') * 10 + i64::from(s[at + 1] - b'0');
    let days = if s[..10] == cache.date {
        cache.days
    } else {
        if ![0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&at| s[at].is_ascii_digit()) {
            return None;
        }
        let year = two(0) * 100 + two(2);
        let (month, day) = (two(5), two(8));
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let days = days_from_civil(year, month, day);
        cache.date.copy_from_slice(&s[..10]);
        cache.days = days;
        days
    };
    let (hour, minute, second) = (two(11), two(14), two(17));
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let micros =
        days * MICROS_PER_DAY + hour * MICROS_PER_HOUR + minute * MICROS_PER_MINUTE + second * MICROS_PER_SECOND;
    Some(Parsed { micros, zoned, offset_minutes: zoned.then_some(0) })
}

fn parse_epoch(s: &[u8]) -> Option<i64> {
    let dot = s.iter().position(|&b| b == b'.');
    let (int_part, frac_part) = match dot {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if int_part.is_empty() || int_part.len() > 19 || !int_part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: i64 = std::str::from_utf8(int_part).ok()?.parse().ok()?;
    if n < 100_000_000_000 {
        let frac = match frac_part {
            Some(f) => fraction_micros(f)?,
            None => 0,
        };
        return Some(n * MICROS_PER_SECOND + frac);
    }
    if frac_part.is_some() {
        return None;
    }
    Some(if n < 100_000_000_000_000 {
        n * 1_000
    } else if n < 100_000_000_000_000_000 {
        n
    } else {
        n / 1_000
    })
}

/// Reads up to six digits of a decimal fraction as microseconds; more digits are truncated.
fn fraction_micros(f: &[u8]) -> Option<i64> {
    if f.is_empty() || !f.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut micros = 0i64;
    for i in 0..6 {
        micros = micros * 10 + f.get(i).map_or(0, |d| i64::from(d - b'0'));
    }
    Some(micros)
}

fn digits(s: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = s.get(at..at + n)?;
    let mut v = 0i64;
    for &b in part {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(b - b'0');
    }
    Some(v)
}

fn parse_datetime(s: &[u8]) -> Option<Parsed> {
    let year = digits(s, 0, 4)?;
    let sep = *s.get(4)?;
    if (sep != b'-' && sep != b'/') || s.get(7) != Some(&sep) {
        return None;
    }
    let month = digits(s, 5, 2)?;
    let day = digits(s, 8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut micros = days_from_civil(year, month, day) * MICROS_PER_DAY;
    let mut i = 10;
    if i == s.len() {
        return Some(Parsed { micros, zoned: false, offset_minutes: None });
    }
    if s[i] != b'T' && s[i] != b't' && s[i] != b' ' {
        return None;
    }
    i += 1;
    let hour = digits(s, i, 2)?;
    if s.get(i + 2) != Some(&b':') {
        return None;
    }
    let minute = digits(s, i + 3, 2)?;
    i += 5;
    let mut second = 0;
    let mut frac = 0;
    if s.get(i) == Some(&b':') {
        second = digits(s, i + 1, 2)?;
        i += 3;
        if matches!(s.get(i), Some(b'.') | Some(b',')) {
            let start = i + 1;
            let mut end = start;
            while end < s.len() && s[end].is_ascii_digit() {
                end += 1;
            }
            frac = fraction_micros(&s[start..end])?;
            i = end;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if second == 60 {
        second = 59;
        frac = 999_999;
    }
    micros += hour * MICROS_PER_HOUR + minute * MICROS_PER_MINUTE + second * MICROS_PER_SECOND + frac;
    let zone = &s[i..];
    let zone = if zone.first() == Some(&b' ') { &zone[1..] } else { zone };
    let offset = parse_zone(zone)?;
    match offset {
        Some(off) => {
            Some(Parsed { micros: micros - off, zoned: true, offset_minutes: Some((off / MICROS_PER_MINUTE) as i16) })
        }
        None => Some(Parsed { micros, zoned: false, offset_minutes: None }),
    }
}

/// `Ok(None)` = no zone; `Some(Some(offset_micros))` = a zone.
fn parse_zone(z: &[u8]) -> Option<Option<i64>> {
    match z {
        [] => Some(None),
        b"Z" | b"z" | b"UTC" | b"utc" | b"GMT" => Some(Some(0)),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest.len() {
                2 => (digits(rest, 0, 2)?, 0),
                4 => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
                5 if rest[2] == b':' => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * MICROS_PER_HOUR + m * MICROS_PER_MINUTE;
            Some(Some(if *sign == b'-' { -off } else { off }))
        }
        _ => None,
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Formats microseconds since the epoch as RFC 3339 in UTC, e.g. `2024-03-01T12:30:00Z`,
/// with a fraction only when it is not zero.
pub fn format_timestamp(micros: i64) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rem = micros.rem_euclid(MICROS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, f) = (
        rem / MICROS_PER_HOUR,
        rem % MICROS_PER_HOUR / MICROS_PER_MINUTE,
        rem % MICROS_PER_MINUTE / MICROS_PER_SECOND,
        rem % MICROS_PER_SECOND,
    );
    if f == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        let frac = format!("{f:06}");
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{}Z", frac.trim_end_matches('0'))
    }
}

/// A length of time written as a whole number and a unit: `s`, `m` (minutes),
/// `h`, `d`, `w`, e.g. `30m` or `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Duration {
    pub amount: u32,
    pub unit: TimeUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimeUnit {
    #[serde(rename = "s")]
    Second,
    #[serde(rename = "m")]
    Minute,
    #[serde(rename = "h")]
    Hour,
    #[serde(rename = "d")]
    Day,
    #[serde(rename = "w")]
    Week,
}

impl TimeUnit {
    fn micros(self) -> i64 {
        match self {
            TimeUnit::Second => MICROS_PER_SECOND,
            TimeUnit::Minute => MICROS_PER_MINUTE,
            TimeUnit::Hour => MICROS_PER_HOUR,
            TimeUnit::Day => MICROS_PER_DAY,
            TimeUnit::Week => MICROS_PER_WEEK,
        }
    }
    fn letter(self) -> char {
        match self {
            TimeUnit::Second => 's',
            TimeUnit::Minute => 'm',
            TimeUnit::Hour => 'h',
            TimeUnit::Day => 'd',
            TimeUnit::Week => 'w',
        }
    }
}

impl Duration {
    /// Parses `<whole number><unit>`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let t = text.trim();
        let unit = match t.chars().last() {
            Some('s') => TimeUnit::Second,
            Some('m') => TimeUnit::Minute,
            Some('h') => TimeUnit::Hour,
            Some('d') => TimeUnit::Day,
            Some('w') => TimeUnit::Week,
            _ => return Err(format!("window \"{t}\" needs a unit: s, m (minutes), h, d or w, e.g. 7d")),
        };
        let number = &t[..t.len() - 1];
        match number.parse::<u32>() {
            Ok(amount) if amount > 0 => Ok(Duration { amount, unit }),
            _ => Err(format!("window \"{t}\" needs a whole number above 0 before the unit, e.g. 7d")),
        }
    }

    pub fn micros(self) -> i64 {
        i64::from(self.amount) * self.unit.micros()
    }
}

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.letter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(text: &str) -> i64 {
        parse_timestamp(text).unwrap_or_else(|| panic!("{text} should parse")).micros
    }

    #[test]
    fn hand_worked_forms() {
        // 2024-03-01 is day 19783 since the epoch: 54 years * 365 + 13 leap days + 59 days of 2024 = 19783.
        let midnight = 19_783 * MICROS_PER_DAY;
        assert_eq!(us("2024-03-01"), midnight);
        assert_eq!(us("2024-03-01T00:00:00Z"), midnight);
        assert_eq!(us("2024-03-01 01:02:03"), midnight + 3_723 * MICROS_PER_SECOND);
        assert_eq!(us("2024-03-01 01:02:03 UTC"), midnight + 3_723 * MICROS_PER_SECOND);
        assert_eq!(us("2024-03-01T02:00:00+02:00"), midnight);
        assert_eq!(us("2024-03-01T02:00:00+0200"), midnight);
        assert_eq!(us("2024-02-29T22:00:00-02"), midnight);
        assert_eq!(us("2024-03-01T00:00:00.5Z"), midnight + 500_000);
        assert_eq!(us("2024-03-01T00:00:00.1234567Z"), midnight + 123_456);
        assert_eq!(us("1709251200"), midnight);
        assert_eq!(us("1709251200000"), midnight);
        assert_eq!(us("1709251200000000"), midnight);
        assert_eq!(us("1709251200000000000"), midnight);
        assert_eq!(us("1709251200.25"), midnight + 250_000);
        assert!(!parse_timestamp("2024-03-01 10:00").unwrap().zoned);
        assert_eq!(parse_timestamp("2024-03-01T10:00:00-05:30").unwrap().offset_minutes, Some(-330));
        assert_eq!(parse_timestamp("2024-03-01T10:00:00Z").unwrap().offset_minutes, Some(0));
        assert_eq!(parse_timestamp("2024-03-01").unwrap().offset_minutes, None);
        assert!(parse_timestamp("2024-03-01T10:00Z").unwrap().zoned);
    }

    #[test]
    fn rejects_garbage_and_impossible_dates() {
        for bad in [
            "",
            "yesterday",
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "2024-03-01T24:00:00Z",
            "2024-03-01T10:61:00Z",
            "2024-03-01T10:00:00+25:00",
            "2024-03-01X10:00",
            "12.5.2024",
            "1709251200000.5",
            "2024-03-01T10:00:00 Mars",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?} should be rejected");
        }
    }

    #[test]
    fn fixed_layouts_read_as_the_general_parser_reads_them() {
        let mut rng = crate::core::test_rng::XorShift(0x2545_f491_4f6c_dd1d);
        let mut next = |n: u64| rng.below(n);
        let mut fast = 0;
        // Shared across rows, as a load's is; half the timestamps fall on the previous one's
        // day (or near it), so the cached date is used, and changed bytes must still be seen.
        let mut cache = DayCache::default();
        let mut micros = 0;
        for _ in 0..200_000 {
            // A valid-looking timestamp, then a few bytes changed to digits or separators.
            micros = if next(2) == 0 {
                micros + next(7_200) as i64 * MICROS_PER_SECOND
            } else {
                (next(8_000_000_000) as i64 - 1_000_000_000) * MICROS_PER_SECOND
            };
            let mut t = format_timestamp(micros).into_bytes();
            if next(2) == 0 {
                t[10] = b' ';
            }
            if next(3) == 0 {
                t.pop();
            }
            for _ in 0..next(3) {
                let i = next(t.len() as u64) as usize;
                t[i] = b"0123456789-:T Zz.+/"[next(19) as usize];
            }
            let p = parse_fixed(&t, &mut cache);
            assert_eq!(p, parse_fixed(&t, &mut DayCache::default()), "{}", String::from_utf8_lossy(&t));
            if let Some(p) = p {
                fast += 1;
                assert_eq!(Some(p), parse_datetime(&t), "{}", String::from_utf8_lossy(&t));
            }
        }
        assert!(fast > 50_000, "the fast path read {fast}");
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("10m").unwrap().micros(), 600 * MICROS_PER_SECOND);
        assert_eq!(Duration::parse("7d").unwrap().micros(), 7 * MICROS_PER_DAY);
        assert_eq!(Duration::parse("2w").unwrap().to_string(), "2w");
        assert!(Duration::parse("7").is_err());
        assert!(Duration::parse("0d").is_err());
        assert!(Duration::parse("1.5h").is_err());
    }

    #[test]
    fn format_round_trip() {
        assert_eq!(format_timestamp(19_783 * MICROS_PER_DAY + 1), "2024-03-01T00:00:00.000001Z");
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999999Z");
        for t in [0i64, 1, 1_700_000_000_123_456, -86_400_000_001] {
            assert_eq!(us(&format_timestamp(t)), t);
        }
    }
}
