//! Cross-checks `touchpath::core::time::parse_timestamp` against the `jiff` crate.
//!
//! Random instants between 1970 and 2100, with random sub-second digits and random
//! UTC offsets, are written in every accepted form; the parsed microseconds must
//! equal what jiff computes for the instant the text denotes, and `zoned` must be
//! false exactly for the forms that name no zone.

mod common;
use common::Rng;

use jiff::civil::{DateTime, Time};
use jiff::tz::Offset;
use jiff::Timestamp;
use touchpath::core::time::parse_timestamp;

fn us(ts: Timestamp) -> i64 {
    ts.as_microsecond()
}

/// The instant a civil date-time denotes at `offset`, in microseconds (sub-microsecond digits dropped).
fn at_offset(dt: DateTime, offset: Offset) -> i64 {
    us(offset.to_timestamp(dt).expect("in range"))
}

fn date_part(dt: DateTime) -> String {
    format!("{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day())
}

/// `HH:MM:SS` plus `digits` digits of the fraction (none when 0), and the civil time that text denotes.
fn time_part(dt: DateTime, digits: u32) -> (String, DateTime) {
    let hms = format!("{:02}:{:02}:{:02}", dt.hour(), dt.minute(), dt.second());
    if digits == 0 {
        return (hms, dt.with().subsec_nanosecond(0).build().unwrap());
    }
    let scale = 10i32.pow(9 - digits);
    let kept = dt.subsec_nanosecond() / scale;
    let text = format!("{hms}.{kept:0width$}", width = digits as usize);
    (text, dt.with().subsec_nanosecond(kept * scale).build().unwrap())
}

fn offset_text(quarters: i64, colon: bool) -> String {
    let sign = if quarters < 0 { '-' } else { '+' };
    let minutes = quarters.abs() * 15;
    let (h, m) = (minutes / 60, minutes % 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

/// What an epoch number means by the documented magnitude rule, as microseconds (via jiff).
fn epoch_by_magnitude(n: i64) -> i64 {
    let ts = if n < 100_000_000_000 {
        Timestamp::from_second(n)
    } else if n < 100_000_000_000_000 {
        Timestamp::from_millisecond(n)
    } else if n < 100_000_000_000_000_000 {
        Timestamp::from_microsecond(n)
    } else {
        Timestamp::from_nanosecond(i128::from(n))
    };
    us(ts.expect("in range"))
}

#[track_caller]
fn check(text: &str, micros: i64, zoned: bool) {
    let p = parse_timestamp(text).unwrap_or_else(|| panic!("{text:?} should parse"));
    assert_eq!(p.micros, micros, "{text:?}: micros (parsed {}, jiff {micros})", p.micros);
    assert_eq!(p.zoned, zoned, "{text:?}: zoned");
}

#[test]
fn random_instants_in_every_form_match_jiff() {
    let mut rng = Rng::new(0x7043_4854_5041_5448);
    // From the second day of 1970 (epoch numbers of four digits or fewer would read as a year) to 2100.
    let lo = Timestamp::from_second(86_400).unwrap().as_second();
    let hi = "2100-01-01T00:00:00Z".parse::<Timestamp>().unwrap().as_second();
    let mut checked = 0usize;
    let mut small_ms = 0usize; // epoch milliseconds read as seconds by the magnitude rule
    for _ in 0..20_000 {
        let secs = rng.range(lo, hi);
        let nanos = rng.range(0, 1_000_000_000) as i32;
        let ts = Timestamp::new(secs, nanos).unwrap();
        let quarters = rng.range(-48, 57); // -12:00 ..= +14:00
        let offset = Offset::from_seconds((quarters * 900) as i32).unwrap();
        let utc = Offset::UTC.to_datetime(ts);
        let local = offset.to_datetime(ts);
        let digits = rng.range(0, 10) as u32;

        // RFC 3339 with Z, in UTC.
        let (t, shown) = time_part(utc, digits);
        let text = format!("{}T{t}Z", date_part(utc));
        let want = at_offset(shown, Offset::UTC);
        check(&text, want, true);
        assert_eq!(us(text.parse::<Timestamp>().unwrap()), want, "jiff's own reading of {text}");

        // RFC 3339 with +HH:MM, and ISO 8601 with +HHMM, in local time.
        let (t, shown) = time_part(local, digits);
        let want = at_offset(shown, offset);
        let text = format!("{}T{t}{}", date_part(local), offset_text(quarters, true));
        check(&text, want, true);
        assert_eq!(us(text.parse::<Timestamp>().unwrap()), want, "jiff's own reading of {text}");
        check(&format!("{}T{t}{}", date_part(local), offset_text(quarters, false)), want, true);
        // `+HH` when the offset is whole hours.
        if quarters % 4 == 0 {
            let hh = offset_text(quarters, false);
            check(&format!("{}T{t}{}", date_part(local), &hh[..3]), want, true);
        }
        // Space-separated with an offset after a space.
        check(&format!("{} {t} {}", date_part(local), offset_text(quarters, true)), want, true);

        // `YYYY-MM-DD HH:MM:SS.ffffff` without a zone: the wall time read as UTC.
        let (t, shown) = time_part(local, 6);
        let text = format!("{} {t}", date_part(local));
        let want = at_offset(shown, Offset::UTC);
        check(&text, want, false);
        assert_eq!(at_offset(text.parse::<DateTime>().unwrap(), Offset::UTC), want, "jiff's reading of {text}");

        // `... UTC`, in UTC.
        let (t, shown) = time_part(utc, digits);
        check(&format!("{} {t} UTC", date_part(utc)), at_offset(shown, Offset::UTC), true);

        // `YYYY-MM-DD HH:MM`, no seconds, no zone.
        let minute = local.with().second(0).subsec_nanosecond(0).build().unwrap();
        let text = format!("{} {:02}:{:02}", date_part(local), local.hour(), local.minute());
        check(&text, at_offset(minute, Offset::UTC), false);

        // A date alone: midnight UTC of that date.
        let midnight = local.date().to_datetime(Time::midnight());
        check(&date_part(local), at_offset(midnight, Offset::UTC), false);

        // Epoch seconds, whole and with a fraction.
        let (s, sub) = (ts.as_second(), ts.subsec_nanosecond());
        check(&s.to_string(), us(Timestamp::from_second(s).unwrap()), true);
        if digits > 0 {
            let scale = 10i32.pow(9 - digits);
            let kept = sub / scale;
            let text = format!("{s}.{kept:0width$}", width = digits as usize);
            check(&text, us(Timestamp::new(s, kept * scale).unwrap()), true);
        }
        // Epoch milliseconds, microseconds and nanoseconds, read by magnitude.
        let ms = ts.as_millisecond();
        if ms < 100_000_000_000 {
            small_ms += 1;
        }
        check(&ms.to_string(), epoch_by_magnitude(ms), true);
        let micros = ts.as_microsecond();
        check(&micros.to_string(), epoch_by_magnitude(micros), true);
        let ns = i64::try_from(ts.as_nanosecond()).unwrap();
        check(&ns.to_string(), epoch_by_magnitude(ns), true);
        checked += 1;
    }
    assert_eq!(checked, 20_000);
    // About 2.5% of instants fall before 1973-03-03, where milliseconds are below 10^11.
    assert!(small_ms > 100, "the seconds/milliseconds boundary was exercised {small_ms} times");
}

#[test]
fn epoch_magnitude_boundaries() {
    for (text, want) in [
        ("99999999999", Timestamp::from_second(99_999_999_999)),
        ("100000000000", Timestamp::from_millisecond(100_000_000_000)),
        ("99999999999999", Timestamp::from_millisecond(99_999_999_999_999)),
        ("100000000000000", Timestamp::from_microsecond(100_000_000_000_000)),
        ("99999999999999999", Timestamp::from_microsecond(99_999_999_999_999_999)),
        ("100000000000000000", Timestamp::from_nanosecond(100_000_000_000_000_000)),
        ("1709251200999999999", Timestamp::from_nanosecond(1_709_251_200_999_999_999)),
    ] {
        check(text, us(want.unwrap()), true);
    }
    // 10^11 ms is 10^8 s: 1973-03-03T09:46:40Z.
    check("100000000000", us("1973-03-03T09:46:40Z".parse().unwrap()), true);
    // A fraction is only allowed on seconds.
    assert_eq!(parse_timestamp("100000000000.5"), None);
}

#[test]
fn every_offset_and_leap_day() {
    // Each quarter-hour offset from -12:00 to +14:00 on a leap day.
    let dt: DateTime = "2024-02-29T23:59:59.999999".parse().unwrap();
    for quarters in -48..=56i64 {
        let offset = Offset::from_seconds((quarters * 900) as i32).unwrap();
        let want = at_offset(dt, offset);
        for colon in [true, false] {
            check(&format!("2024-02-29T23:59:59.999999{}", offset_text(quarters, colon)), want, true);
        }
    }
    // Century rules: 2000 was a leap year, 2100 is not.
    check("2000-02-29", at_offset("2000-02-29T00:00".parse().unwrap(), Offset::UTC), false);
    assert_eq!(parse_timestamp("2100-02-29"), None);
    assert!("2100-02-29".parse::<jiff::civil::Date>().is_err());
}
