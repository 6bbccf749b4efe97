//! Dates and RFC 3339 timestamps without a time-zone database (everything is UTC), shared by the
//! report writers, the ignore-file expiry check, the vulnerability DB's own stamps and the OS
//! end-of-life check: the one copy of the calendar arithmetic.

/// A calendar date (proleptic Gregorian), enough for expiry checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parse `YYYY-MM-DD` (a trailing `T…` time is ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.split('T').next()?;
        let mut it = s.splitn(3, '-');
        let year: i32 = it.next()?.parse().ok()?;
        let month: u32 = it.next()?.parse().ok()?;
        let day: u32 = it.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Self { year, month, day })
    }

    /// The date of `secs` seconds since the epoch (UTC).
    pub fn from_unix(secs: u64) -> Self {
        Self::from_days((secs / 86_400) as i64)
    }

    /// Civil date from days since 1970-01-01 (H. Hinnant's `civil_from_days`).
    pub fn from_days(z: i64) -> Self {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Self {
            year: (y + i64::from(m <= 2)) as i32,
            month: m,
            day: d,
        }
    }
}

impl Date {
    /// Days since 1970-01-01 (H. Hinnant's `days_from_civil`, the inverse of
    /// [`Date::from_days`]). The day is not checked against the month's length.
    pub fn to_days(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Seconds since the epoch as RFC 3339 UTC (`2026-11-26T01:02:03Z`).
pub fn rfc3339(secs: u64) -> String {
    let d = Date::from_unix(secs);
    let t = secs % 86_400;
    format!("{d}T{:02}:{:02}:{:02}Z", t / 3600, t / 60 % 60, t % 60)
}

/// Seconds since the epoch of the leading `YYYY-MM-DDTHH:MM:SS` of an RFC 3339 time, read as UTC
/// (what follows, a fraction or a zone, is ignored: for the stamps sekisho writes itself, which
/// are always `Z`). `None` when the fields are not numbers or the time is before 1970.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    if s.len() < 19 {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    let date = Date {
        year: i32::try_from(y).ok()?,
        month: u32::try_from(m).ok()?,
        day: u32::try_from(d).ok()?,
    };
    u64::try_from(date.to_days() * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

/// Seconds since the epoch now, from the system clock.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_stamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_119_045), "2025-11-26T01:04:05Z");
        assert_eq!(
            Date::parse("2026-02-28T10:00:00Z").unwrap().to_string(),
            "2026-02-28"
        );
        assert!(Date::parse("2026-13-01").is_none());
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(-1).to_string(), "1969-12-31");
    }

    #[test]
    fn stamps_round_trip() {
        let t = parse_rfc3339("2026-11-26T01:02:03.25Z").unwrap();
        assert_eq!(rfc3339(t), "2026-11-26T01:02:03Z");
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-02-29T12:00:00Z"), Some(951_825_600));
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), None, "before 1970");
        assert_eq!(parse_rfc3339("2026-11-26"), None, "no time");
        assert_eq!(parse_rfc3339("2026-xx-26T01:02:03Z"), None);
        for days in [-800_000, -1, 0, 59, 60, 365, 11_016, 20_000, 2_932_896] {
            assert_eq!(Date::from_days(days).to_days(), days, "{days}");
        }
        for secs in [0u64, 86_399, 951_782_400, 1_764_119_045, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(secs)), Some(secs), "{secs}");
        }
    }
}
