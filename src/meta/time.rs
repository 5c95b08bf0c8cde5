//! Capture times. A still's EXIF `DateTimeOriginal` is local wall-clock time with an optional
//! `OffsetTimeOriginal`; a clip's `com.apple.quicktime.creationdate` is local time with an offset;
//! `mvhd` is UTC seconds since 1904 (docs/formats.md "Dates"). We keep the wall-clock reading and the
//! offset when known, so times compare exactly when both offsets are known and up to a whole
//! time-zone shift when one is not.

use serde::Serialize;

/// Seconds between 1904-01-01 (QuickTime epoch) and 1970-01-01.
const QT_EPOCH_OFFSET: i64 = 2_082_844_800;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CaptureTime {
    /// Wall-clock reading as seconds since 1970-01-01T00:00:00 *in the local zone*.
    pub local: f64,
    /// Offset from UTC in seconds, when the file says it.
    pub offset_s: Option<i32>,
}

impl CaptureTime {
    /// The instant in UTC seconds, when the offset is known.
    pub fn utc(&self) -> Option<f64> {
        self.offset_s.map(|o| self.local - f64::from(o))
    }

    /// From `mvhd` creation time (UTC seconds since 1904). Zero means "not set".
    pub fn from_mvhd(secs: u64) -> Option<Self> {
        if secs == 0 {
            return None;
        }
        let unix = i64::try_from(secs).ok()?.checked_sub(QT_EPOCH_OFFSET)?;
        Some(CaptureTime { local: unix as f64, offset_s: Some(0) })
    }

    /// EXIF "YYYY:MM:DD HH:MM:SS" with optional sub-seconds and "+HH:MM" offset.
    pub fn from_exif(dt: &str, subsec: Option<&str>, offset: Option<&str>) -> Option<Self> {
        let local = parse_datetime(dt.trim())?;
        let frac = subsec.and_then(|s| format!("0.{}", s.trim()).parse::<f64>().ok()).unwrap_or(0.0);
        Some(CaptureTime { local: local as f64 + frac, offset_s: offset.and_then(parse_offset) })
    }

    /// ISO 8601 as QuickTime writes it: "2021-04-10T11:43:59+0100", "...+01:00", "...Z".
    pub fn from_iso(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() < 19 || !s.is_char_boundary(19) {
            return None;
        }
        let local = parse_datetime(&s[..19])?;
        let mut rest = &s[19..];
        let mut frac = 0.0;
        if let Some(r) = rest.strip_prefix('.') {
            let digits: String = r.chars().take_while(|c| c.is_ascii_digit()).collect();
            frac = format!("0.{digits}").parse().unwrap_or(0.0);
            rest = &r[digits.len()..];
        }
        Some(CaptureTime { local: local as f64 + frac, offset_s: parse_offset(rest) })
    }

    /// RFC 3339 with the offset when known ("2021-04-10T11:44:00+01:00"), else without.
    pub fn to_rfc3339(&self) -> String {
        let secs = self.local.floor() as i64;
        let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
        let t = secs.rem_euclid(86_400);
        let mut s = format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
        match self.offset_s {
            Some(0) => s.push('Z'),
            Some(o) => {
                let sign = if o < 0 { '-' } else { '+' };
                let a = o.unsigned_abs();
                s.push_str(&format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60));
            }
            None => {}
        }
        s
    }

    /// How far apart two capture times are, in seconds, applying offsets where known. When one
    /// side lacks its offset, the smallest gap over every real time-zone shift (multiples of
    /// 15 minutes up to ±14 h) is taken: the file cannot tell us more.
    pub fn distance(&self, other: &CaptureTime) -> f64 {
        match (self.utc(), other.utc()) {
            (Some(a), Some(b)) => (a - b).abs(),
            _ if self.offset_s.is_none() && other.offset_s.is_none() => (self.local - other.local).abs(),
            _ => {
                let (a, b) = match (self.utc(), other.utc()) {
                    (Some(u), None) => (u, other.local),
                    (None, Some(u)) => (self.local, u),
                    _ => (self.local, other.local),
                };
                let d = b - a; // local - utc = offset + error
                let quarter = 900.0;
                let k = (d / quarter).round().clamp(-56.0, 56.0);
                (d - k * quarter).abs()
            }
        }
    }

    /// Seconds since 1970 UTC, assuming UTC when the offset is unknown (for file mtimes).
    pub fn unix_guess(&self) -> i64 {
        self.utc().unwrap_or(self.local).floor() as i64
    }
}

/// "YYYY:MM:DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SS" to seconds since 1970 (as if UTC).
fn parse_datetime(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y == 0 || !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None; // "0000:00:00 00:00:00" is how cameras write "unknown"
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// "+01:00", "+0100", "-05", "Z" to seconds.
fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim().trim_end_matches('\0');
    if s == "Z" {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|c| c.is_ascii_digit()).collect();
    let (h, m): (i32, i32) = match digits.len() {
        2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
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
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_and_quicktime_times_of_the_train_sample_agree() {
        let still = CaptureTime::from_exif("2021:04:10 11:44:00", Some("814"), Some("+01:00")).unwrap();
        let clip = CaptureTime::from_iso("2021-04-10T11:43:59+0100").unwrap();
        assert_eq!(still.to_rfc3339(), "2021-04-10T11:44:00+01:00");
        assert!((still.distance(&clip) - 1.814).abs() < 1e-6);
    }

    #[test]
    fn mvhd_is_utc_since_1904() {
        // 2021-04-10T10:44:00Z, train.mov's mvhd creation time
        let t = CaptureTime::from_mvhd(3_700_896_240).unwrap();
        assert_eq!(t.to_rfc3339(), "2021-04-10T10:44:00Z");
        assert!(CaptureTime::from_mvhd(0).is_none());
    }

    #[test]
    fn unknown_offset_matches_up_to_a_time_zone_shift() {
        let local_only = CaptureTime::from_exif("2021:04:10 11:44:00", None, None).unwrap();
        let utc = CaptureTime::from_mvhd(3_700_896_240).unwrap();
        assert!(local_only.distance(&utc) < 1.0);
        let year_later = CaptureTime::from_exif("2022:04:10 11:44:00", None, None).unwrap();
        assert!(year_later.distance(&utc) > 60.0);
        let other_minute = CaptureTime::from_exif("2021:04:10 11:51:00", None, None).unwrap();
        assert!(other_minute.distance(&utc) > 60.0);
    }

    #[test]
    fn placeholder_dates_are_unknown() {
        assert!(CaptureTime::from_exif("0000:00:00 00:00:00", None, None).is_none());
        assert!(CaptureTime::from_iso("garbage").is_none());
        assert!(CaptureTime::from_iso("2021-04-10T11:4é:59").is_none());
    }
}
