//! Times as the contract writes them: RFC 3339 with an offset, or `YYYY-MM-DD HH:MM[:SS]` read in
//! the import's zone (`--tz`), or a date alone where a field allows one. Everything is stored as
//! milliseconds since the Unix epoch ([`Millis`]), so comparisons are integer comparisons.
//!
//! Parsing is on the import's hot path: the fixed-width forms are read by hand and the zone's
//! offset is cached per local hour, so a row costs no allocation and, usually, no zone lookup.

use chrono::{LocalResult, NaiveDate, Offset, SecondsFormat, TimeZone};
use chrono_tz::Tz;

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "not a time (write YYYY-MM-DD HH:MM[:SS], read in {zone}, or RFC 3339 such as 2020-01-23T14:05:00+08:00)"
    )]
    Malformed { zone: String },
    #[error("a date alone is not enough here (add the time of day: YYYY-MM-DD HH:MM[:SS])")]
    DateOnly,
    #[error("does not exist in {zone}: the clocks skipped it")]
    Skipped { zone: String },
}

/// Reads times in one zone, remembering the zone's offset for the last local hour it saw.
#[derive(Debug, Clone)]
pub struct TimeReader {
    zone: Tz,
    /// (local hour index, offset in ms) for an hour in which the offset does not change.
    cached: Option<(i64, i64)>,
    /// The same for a whole local day: most days have no transition.
    cached_day: Option<(i64, i64)>,
}

/// A parsed calendar time before the zone is applied.
struct Civil {
    local_ms: i64,
    /// Offset written in the text, in ms east of UTC; `None` for a local time.
    offset_ms: Option<i64>,
    date_only: bool,
}

impl TimeReader {
    pub fn new(zone: Tz) -> TimeReader {
        TimeReader {
            zone,
            cached: None,
            cached_day: None,
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// A timestamp: a date alone is refused.
    pub fn timestamp(&mut self, s: &str) -> Result<Millis, TimeError> {
        let civil = parse_civil(s).ok_or_else(|| self.malformed())?;
        if civil.date_only {
            return Err(TimeError::DateOnly);
        }
        self.resolve(civil)
    }

    /// A timestamp or a date alone. A date reads as the first millisecond of that local day, or
    /// with `end_of_day` as its last, so that `to: 2020-02-10` includes the whole of 10 February.
    pub fn time_or_date(&mut self, s: &str, end_of_day: bool) -> Result<Millis, TimeError> {
        let mut civil = parse_civil(s).ok_or_else(|| self.malformed())?;
        if civil.date_only && end_of_day {
            civil.local_ms += DAY_MS - 1;
        }
        self.resolve(civil)
    }

    /// The local calendar date (`YYYY-MM-DD`) of an instant, as used in train-car place ids.
    pub fn local_date(&mut self, t: Millis) -> String {
        let offset = self.offset_at_instant(t);
        let days = (t + offset).div_euclid(DAY_MS);
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}")
    }

    fn malformed(&self) -> TimeError {
        TimeError::Malformed {
            zone: self.zone.name().to_owned(),
        }
    }

    fn offset_at_instant(&self, t: Millis) -> i64 {
        let utc = chrono::DateTime::from_timestamp_millis(t)
            .unwrap_or_default()
            .naive_utc();
        i64::from(
            self.zone
                .offset_from_utc_datetime(&utc)
                .fix()
                .local_minus_utc(),
        ) * 1000
    }

    fn resolve(&mut self, civil: Civil) -> Result<Millis, TimeError> {
        if let Some(offset) = civil.offset_ms {
            return Ok(civil.local_ms - offset);
        }
        let hour = civil.local_ms.div_euclid(HOUR_MS);
        if let Some((h, offset)) = self.cached
            && h == hour
        {
            return Ok(civil.local_ms - offset);
        }
        let day = civil.local_ms.div_euclid(DAY_MS);
        match self.cached_day {
            Some((d, offset)) if d == day => return Ok(civil.local_ms - offset),
            _ => {
                let (first, last) = (day * DAY_MS, day * DAY_MS + DAY_MS - 1);
                if let (LocalResult::Single(a), LocalResult::Single(b)) =
                    (self.offset_at_local(first), self.offset_at_local(last))
                {
                    // Equal offsets at both ends can still hide a transition there and back
                    // within the day; no zone does that, so the day is taken as steady.
                    if a == b {
                        self.cached_day = Some((day, a));
                        return Ok(civil.local_ms - a);
                    }
                }
            }
        }
        let offset = match self.offset_at_local(civil.local_ms) {
            LocalResult::Single(o) => o,
            // In the repeated hour after clocks go back, the earlier reading is taken.
            LocalResult::Ambiguous(a, b) => a.max(b),
            LocalResult::None => {
                return Err(TimeError::Skipped {
                    zone: self.zone.name().to_owned(),
                });
            }
        };
        let hour_start = hour * HOUR_MS;
        let steady = matches!(self.offset_at_local(hour_start), LocalResult::Single(o) if o == offset)
            && matches!(self.offset_at_local(hour_start + HOUR_MS - 1), LocalResult::Single(o) if o == offset);
        if steady {
            self.cached = Some((hour, offset));
        }
        Ok(civil.local_ms - offset)
    }

    fn offset_at_local(&self, local_ms: i64) -> LocalResult<i64> {
        let Some(naive) = chrono::DateTime::from_timestamp_millis(local_ms).map(|d| d.naive_utc())
        else {
            return LocalResult::None;
        };
        self.zone
            .offset_from_local_datetime(&naive)
            .map(|o| i64::from(o.fix().local_minus_utc()) * 1000)
    }
}

/// A screening moment as CONTRACT.md section 5 reads it everywhere (`screen`, `trace`, `serve`,
/// `purge`, the server's configuration and API): a timestamp of section 1, or a date alone
/// meaning that date's 00:00 in `zone`.
pub fn read_moment(text: &str, zone: Tz) -> Result<Millis, TimeError> {
    TimeReader::new(zone).time_or_date(text.trim(), false)
}

/// Formats an instant as RFC 3339 in `zone`, with fractional seconds only when there are some:
/// `2020-01-23T10:12:00+08:00`.
pub fn format_time(t: Millis, zone: Tz) -> String {
    match chrono::DateTime::from_timestamp_millis(t) {
        Some(d) => d
            .with_timezone(&zone)
            .to_rfc3339_opts(SecondsFormat::AutoSi, false),
        None => t.to_string(),
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
}

/// Reads `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM`, optional `:SS`, optional
/// fraction, and an optional offset (`Z`, `+HH:MM`, `-HH:MM`, `+HHMM`).
fn parse_civil(s: &str) -> Option<Civil> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32)?;
    let day_ms = days_from_civil(y, m, d) * DAY_MS;
    if b.len() == 10 {
        return Some(Civil {
            local_ms: day_ms,
            offset_ms: None,
            date_only: true,
        });
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let (hh, mm) = (digits(&b[11..13])?, digits(&b[14..16])?);
    let mut i = 16;
    let mut ss = 0;
    let mut frac_ms = 0;
    if b.get(i) == Some(&b':') {
        ss = digits(b.get(i + 1..i + 3)?)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            // Milliseconds are kept; finer digits are dropped.
            let ms_digits = &b[start..end.min(start + 3)];
            frac_ms = digits(ms_digits)? * 10i64.pow(3 - ms_digits.len() as u32);
            i = end;
        }
    }
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let local_ms = day_ms + hh * HOUR_MS + mm * 60_000 + ss * 1000 + frac_ms;
    let rest = &b[i..];
    let offset_ms = match rest {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let oh = digits(&[*h1, *h2])?;
            let om = digits(&[*m1, *m2])?;
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * HOUR_MS + om * 60_000;
            Some(if *sign == b'-' { -o } else { o })
        }
        _ => return None,
    };
    Some(Civil {
        local_ms,
        offset_ms,
        date_only: false,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shanghai() -> TimeReader {
        TimeReader::new(chrono_tz::Asia::Shanghai)
    }

    fn rfc(s: &str) -> Millis {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn both_forms_agree() {
        let mut r = shanghai();
        let t = rfc("2020-01-23T14:05:00+08:00");
        assert_eq!(r.timestamp("2020-01-23T14:05:00+08:00"), Ok(t));
        assert_eq!(r.timestamp("2020-01-23 14:05"), Ok(t));
        assert_eq!(r.timestamp("2020-01-23 14:05:00"), Ok(t));
        assert_eq!(r.timestamp("2020-01-23T06:05:00Z"), Ok(t));
        assert_eq!(r.timestamp("2020-01-23T14:05:00.250+08:00"), Ok(t + 250));
        assert_eq!(r.timestamp("2020-01-23T01:05:00-05:00"), Ok(t));
    }

    #[test]
    fn other_zones_and_gaps() {
        let mut ny = TimeReader::new(chrono_tz::America::New_York);
        assert_eq!(
            ny.timestamp("2020-01-23 01:05"),
            Ok(rfc("2020-01-23T01:05:00-05:00"))
        );
        assert_eq!(
            ny.timestamp("2020-07-23 01:05"),
            Ok(rfc("2020-07-23T01:05:00-04:00"))
        );
        assert!(matches!(
            ny.timestamp("2020-03-08 02:30"),
            Err(TimeError::Skipped { .. })
        ));
    }

    #[test]
    fn malformed_times_are_refused() {
        let mut r = shanghai();
        for bad in [
            "",
            "2020-13-01 10:00",
            "2020-02-30 10:00",
            "2020-01-23 24:00",
            "2020-01-23 10:60",
            "2020/01/23 10:00",
            "2020-01-23 10",
            "2020-01-23 10:00+0800x",
            "yesterday",
            "2020-01-23 10:00:00.",
        ] {
            assert!(r.timestamp(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(r.timestamp("2020-01-23"), Err(TimeError::DateOnly));
    }

    #[test]
    fn dates_read_as_start_or_end_of_day() {
        let mut r = shanghai();
        assert_eq!(
            r.time_or_date("2020-01-23", false),
            Ok(rfc("2020-01-23T00:00:00+08:00"))
        );
        assert_eq!(
            r.time_or_date("2020-01-23", true),
            Ok(rfc("2020-01-24T00:00:00+08:00") - 1)
        );
    }

    #[test]
    fn a_moment_is_a_timestamp_or_a_dates_midnight() {
        let zone = chrono_tz::Asia::Shanghai;
        assert_eq!(
            read_moment("2020-01-29", zone),
            Ok(rfc("2020-01-29T00:00:00+08:00"))
        );
        assert_eq!(
            read_moment("2020-01-29 08:30", zone),
            Ok(rfc("2020-01-29T08:30:00+08:00"))
        );
        assert_eq!(
            read_moment("2020-01-29T08:30:00Z", zone),
            Ok(rfc("2020-01-29T16:30:00+08:00"))
        );
        assert!(read_moment("29/01/2020", zone).is_err());
    }

    #[test]
    fn local_dates_and_formatting() {
        let mut r = shanghai();
        assert_eq!(r.local_date(rfc("2020-01-23T23:30:00+08:00")), "2020-01-23");
        assert_eq!(r.local_date(rfc("2020-01-23T16:30:00Z")), "2020-01-24");
        assert_eq!(
            format_time(rfc("2020-01-23T10:12:00+08:00"), chrono_tz::Asia::Shanghai),
            "2020-01-23T10:12:00+08:00"
        );
    }

    proptest! {
        #[test]
        fn agrees_with_chrono(secs in 0i64..4_000_000_000i64) {
            let t = secs * 1000;
            let text = format_time(t, chrono_tz::Asia::Shanghai);
            prop_assert_eq!(shanghai().timestamp(&text), Ok(t));
            let local = chrono::DateTime::from_timestamp_millis(t).unwrap()
                .with_timezone(&chrono_tz::Europe::Berlin).format("%Y-%m-%d %H:%M:%S").to_string();
            let mut berlin = TimeReader::new(chrono_tz::Europe::Berlin);
            let back = berlin.timestamp(&local).unwrap();
            // In the repeated autumn hour the earlier instant is chosen.
            prop_assert!(back == t || back == t - 3_600_000);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = shanghai().time_or_date(&s, true);
        }
    }
}
