//! The filters people pick Live Photos by, as the Photos app offers them: FaceTime ("Lens
//! includes FaceTime"), lens, camera, capture date, originals or edits. They combine with AND;
//! each Live Photo left out is counted under the first filter that left it out.

use super::live_photo::LivePhoto;
use crate::meta::CaptureTime;
use std::cmp::Ordering;

/// Originals, edited versions, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Versions {
    #[default]
    All,
    OriginalsOnly,
    EditsOnly,
}

/// A `--since`/`--until` bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DateBound {
    /// A calendar date (`2023-07-08`), compared with the capture's own local calendar date.
    Day(i64),
    /// A date-time. With an offset or `Z` it is an instant, compared with the capture's instant;
    /// a capture (or a bound) without an offset is compared by wall-clock time.
    Time(CaptureTime),
}

impl DateBound {
    /// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS][.fff][Z|±HH:MM]`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() == 10 {
            let t = CaptureTime::from_iso(&format!("{s}T00:00:00"))?;
            return Some(DateBound::Day(t.local.div_euclid(86_400.0) as i64));
        }
        let full = match (s.get(..16), s.get(16..)) {
            (Some(minutes), Some(rest)) if !rest.starts_with(':') => format!("{minutes}:00{rest}"), // no seconds given
            _ => s.to_string(),
        };
        let t = CaptureTime::from_iso(&full)?;
        // from_iso ignores what it cannot read after the time: only an offset, a Z or nothing may follow
        let tail = full.get(19..)?.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
        (tail.is_empty() || t.offset_s.is_some()).then_some(DateBound::Time(t))
    }

    /// Where `t` falls relative to the bound.
    fn compare(&self, t: &CaptureTime) -> Ordering {
        match self {
            DateBound::Day(d) => (t.local.div_euclid(86_400.0) as i64).cmp(d),
            DateBound::Time(b) => match (t.utc(), b.utc()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => t.local.total_cmp(&b.local),
            },
        }
    }
}

/// Which Live Photos to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub facetime_only: bool,
    pub lens: Option<String>,
    /// Make or model contains this, case-insensitively.
    pub camera: Option<String>,
    pub versions: Versions,
    /// Captured on or after.
    pub since: Option<DateBound>,
    /// Captured on or before (a calendar date includes the whole day).
    pub until: Option<DateBound>,
}

impl Filter {
    pub fn keeps(&self, lp: &LivePhoto) -> bool {
        self.left_out_by(lp).is_none()
    }

    /// The first filter that leaves `lp` out, as the summary names it.
    pub fn left_out_by(&self, lp: &LivePhoto) -> Option<&'static str> {
        match self.versions {
            Versions::OriginalsOnly if lp.edited => return Some("--originals-only"),
            Versions::EditsOnly if !lp.edited => return Some("--edits-only"),
            _ => {}
        }
        if self.facetime_only && !lp.is_facetime() {
            return Some("--facetime");
        }
        if self.lens.as_deref().is_some_and(|t| !lp.lens_matches(t)) {
            return Some("--lens");
        }
        if self.camera.as_deref().is_some_and(|t| !lp.camera_matches(t)) {
            return Some("--camera");
        }
        if self.since.is_none() && self.until.is_none() {
            return None;
        }
        let Some(t) = lp.captured_at() else { return Some("no capture time (date filters)") };
        if self.since.is_some_and(|b| b.compare(&t) == Ordering::Less) {
            return Some("--since");
        }
        if self.until.is_some_and(|b| b.compare(&t) == Ordering::Greater) {
            return Some("--until");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(iso: &str) -> CaptureTime {
        CaptureTime::from_iso(iso).unwrap()
    }

    #[test]
    fn bounds_parse_as_dates_or_date_times() {
        assert_eq!(DateBound::parse("2023-07-08"), Some(DateBound::Day(19_546)));
        assert_eq!(DateBound::parse("2016-12-07T11:43:00-06:00"), Some(DateBound::Time(at("2016-12-07T11:43:00-06:00"))));
        assert_eq!(DateBound::parse("2016-12-07T11:43Z"), Some(DateBound::Time(at("2016-12-07T11:43:00Z"))));
        assert_eq!(DateBound::parse("2016-12-07T11:43:00"), Some(DateBound::Time(at("2016-12-07T11:43:00"))));
        for bad in
            ["yesterday", "2023-13-45", "2023-07-08T25:00:00", "2016-12-07T11:43:00 junk", "", "2016-12-07T11:4é", "2016-12-07T1é:43:00"]
        {
            assert_eq!(DateBound::parse(bad), None, "{bad}");
        }
    }

    /// A calendar date is the capture's local date; a date-time with an offset is an instant,
    /// whatever zone each side was in.
    #[test]
    fn dates_are_local_days_and_date_times_are_instants() {
        let day = DateBound::parse("2023-07-08").unwrap();
        // 23:30 in Los Angeles on the 8th is the 9th in UTC, but the 8th where it was taken
        assert_eq!(day.compare(&at("2023-07-08T23:30:00-07:00")), Ordering::Equal);
        assert_eq!(day.compare(&at("2023-07-09T00:10:00+02:00")), Ordering::Greater);
        let instant = DateBound::parse("2016-12-07T11:43:00-06:00").unwrap();
        assert_eq!(instant.compare(&at("2016-12-07T18:42:59+01:00")), Ordering::Less, "17:42:59Z is before 17:43Z");
        assert_eq!(instant.compare(&at("2016-12-07T17:43:00Z")), Ordering::Equal);
        assert_eq!(instant.compare(&at("2016-12-07T12:00:00-06:00")), Ordering::Greater);
        assert_eq!(instant.compare(&at("2016-12-07T11:00:00")), Ordering::Less, "no offset: wall-clock");
    }
}
