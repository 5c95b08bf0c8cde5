//! Google Takeout's JSON sidecars: a media file that lost its dates (Takeout re-encodes or
//! strips clips) keeps its capture time and place in `NAME.json` or
//! `NAME.supplemental-metadata.json` beside it. Long names are cut to 51 characters
//! (`IMG_20230507_123456789.HEIC.supplemental-metad.json`), and a duplicate's counter moves
//! behind the extension (`IMG_1234(1).HEIC` → `IMG_1234.HEIC(1).json`). The sidecar's
//! `photoTakenTime.timestamp` is UTC seconds; `geoData` is zero when unknown.

use super::info::GeoLocation;
use super::time::CaptureTime;
use std::path::Path;

/// A sidecar larger than this is not one (real ones are under 2 KiB).
const MAX_SIDECAR: u64 = 256 * 1024;
const SUFFIX: &str = ".supplemental-metadata";

/// What a sidecar supplies for its media file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sidecar {
    pub captured_at: Option<CaptureTime>,
    pub location: Option<GeoLocation>,
}

/// Whether the sidecar file name `sidecar` (in the same folder) describes the media file `media`.
pub fn describes(sidecar: &str, media: &str) -> bool {
    let Some(stem) = sidecar.strip_suffix(".json") else { return false };
    // a duplicate's counter: "IMG_1234.HEIC(1)" or "IMG_1234.HEIC.supplemental-metadata(1)"
    let (stem, counter) = split_counter(stem);
    let media = match counter {
        Some(n) => match media.rsplit_once('.') {
            Some((base, ext)) => match base.strip_suffix(&format!("({n})")) {
                Some(b) => format!("{b}.{ext}"),
                None => return false,
            },
            None => return false,
        },
        None => media.to_string(),
    };
    let full = format!("{media}{SUFFIX}");
    // the whole name, or Takeout's cut of it (never shorter than the media name plus a dot)
    stem == media || stem == full || (stem.len() > media.len() && full.starts_with(stem))
}

/// "NAME(3)" → ("NAME", Some(3)).
fn split_counter(s: &str) -> (&str, Option<u32>) {
    if let Some(inner) = s.strip_suffix(')') {
        if let Some(open) = inner.rfind('(') {
            if let Ok(n) = inner[open + 1..].parse::<u32>() {
                return (&s[..open], Some(n));
            }
        }
    }
    (s, None)
}

/// Reads a sidecar; `None` when it is not one (too large, not JSON, no time or place).
pub fn read(path: &Path) -> Option<Sidecar> {
    let file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() > MAX_SIDECAR {
        return None;
    }
    let v: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(file)).ok()?;
    parse(&v)
}

fn parse(v: &serde_json::Value) -> Option<Sidecar> {
    let ts = &v["photoTakenTime"]["timestamp"];
    let secs = ts.as_str().and_then(|s| s.parse::<i64>().ok()).or_else(|| ts.as_i64()).filter(|&s| s > 0);
    let captured_at = secs.map(|s| CaptureTime { local: s as f64, offset_s: Some(0) });
    let geo = |g: &serde_json::Value| {
        let (lat, lon) = (g["latitude"].as_f64()?, g["longitude"].as_f64()?);
        let known = (lat != 0.0 || lon != 0.0) && lat.abs() <= 90.0 && lon.abs() <= 180.0;
        known.then(|| GeoLocation { lat, lon, alt: g["altitude"].as_f64().filter(|a| *a != 0.0) })
    };
    let location = geo(&v["geoData"]).or_else(|| geo(&v["geoDataExif"]));
    (captured_at.is_some() || location.is_some()).then_some(Sidecar { captured_at, location })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_names_as_takeout_writes_them() {
        assert!(describes("IMG_1234.HEIC.json", "IMG_1234.HEIC"));
        assert!(describes("IMG_1234.MP4.supplemental-metadata.json", "IMG_1234.MP4"));
        assert!(describes("IMG_1234.HEIC(1).json", "IMG_1234(1).HEIC"));
        assert!(describes("IMG_1234.HEIC.supplemental-metadata(1).json", "IMG_1234(1).HEIC"));
        assert!(describes("IMG_20230507_123456789.HEIC.supplemental-metad.json", "IMG_20230507_123456789.HEIC"));
        assert!(describes("IMG_20230507_123456789.HEIC.s.json", "IMG_20230507_123456789.HEIC"));
        assert!(!describes("IMG_1234.HEIC.json", "IMG_1234.MP4"), "another file's");
        assert!(!describes("IMG_1234.HEIC(1).json", "IMG_1234.HEIC"), "the duplicate's");
        assert!(!describes("IMG_123.json", "IMG_1234.HEIC"));
        assert!(!describes("IMG_1234.HEIC", "IMG_1234.HEIC"));
    }

    #[test]
    fn time_and_place_come_from_the_sidecar_and_zeros_mean_unknown() {
        let v = serde_json::json!({"title": "IMG_1234.MP4", "photoTakenTime": {"timestamp": "1580649316", "formatted": "2 Feb 2020"},
                                   "geoData": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0},
                                   "geoDataExif": {"latitude": 48.8584, "longitude": 2.2945, "altitude": 35.0}});
        let s = parse(&v).unwrap();
        assert_eq!(s.captured_at.unwrap().to_rfc3339(), "2020-02-02T13:15:16Z");
        assert_eq!(s.location, Some(GeoLocation { lat: 48.8584, lon: 2.2945, alt: Some(35.0) }));
        assert_eq!(parse(&serde_json::json!({"title": "x"})), None);
        assert_eq!(parse(&serde_json::json!({"photoTakenTime": {"timestamp": "0"}})), None);
    }
}
