//! What a header read finds: a still's and a clip's own words about the shot (identifier, time,
//! camera, place), their format, orientation, HDR form and motion-photo video, a clip's tracks
//! and key photo. Plain values: every reader fills them in, nothing here reads a file.

use super::time::CaptureTime;
use super::{hdr, motion};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoLocation {
    pub lat: f64,
    pub lon: f64,
    pub alt: Option<f64>,
}

impl GeoLocation {
    /// ISO 6709 as MP4/QuickTime `location` tags hold it ("+52.2097-000.8955+103.640/").
    pub fn to_iso6709(&self) -> String {
        let mut s = format!("{:+08.4}{:+09.4}", self.lat, self.lon);
        if let Some(a) = self.alt {
            s.push_str(&format!("{a:+.3}"));
        }
        s.push('/');
        s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StillFormat {
    Jpeg,
    Heif,
    /// App-made Live Photos (EXIF in `eXIf` or a raw-profile text chunk).
    Png,
}

/// What either half says about the shot: the still from EXIF and the Apple MakerNote, the clip
/// from QuickTime `mdta` keys and `mvhd`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ShotInfo {
    /// The identifier both halves of a Live Photo carry: Apple's content identifier, or a vivo
    /// live photo's id (`id_kind` says which).
    pub content_id: Option<String>,
    #[serde(skip)]
    pub id_kind: IdKind,
    pub captured_at: Option<CaptureTime>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub software: Option<String>,
    pub lens: Option<String>,
    pub location: Option<GeoLocation>,
    /// `captured_at` came from a Google Takeout sidecar, not the file itself.
    pub time_from_sidecar: bool,
}

/// Whose identifier a [`ShotInfo::content_id`] is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdKind {
    /// Apple's content identifier (a UUID): pairing falls back to name and time when a half
    /// lost it (exports strip clips' metadata).
    #[default]
    Apple,
    /// A vivo live photo's id (`com.android.camera.livephoto`): its halves pair by it alone
    /// (docs/formats.md "Other phones' live photos"), never by name, and it is no UUID for Photos.
    Vivo,
}

/// What a still says about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StillInfo {
    pub shot: ShotInfo,
    pub orientation: Option<u16>,
    /// An Android motion photo's video, when the still holds one (or claims to).
    pub motion: motion::Motion,
    /// The form of its HDR gain map, when it has one.
    pub hdr: Option<hdr::Hdr>,
    /// Where a vendor's live-photo trailer starts (vivo's, after the image): a still written
    /// alone leaves it out, as it leaves out a motion photo's video.
    #[serde(skip)]
    pub trailer_at: Option<u64>,
    /// What a scan should say of the file without failing it (data after a JPEG's image).
    #[serde(skip)]
    pub note: Option<String>,
}

impl StillInfo {
    /// Where the photo's own bytes are followed by what is not the photo: a motion photo's
    /// video, a vendor's live-photo trailer. A still written alone leaves it out.
    pub fn extra_at(&self) -> Option<u64> {
        [self.motion.video.map(|v| v.offset), self.trailer_at].into_iter().flatten().min()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VideoTrack {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub frames: u64,
    pub fps: f64,
    /// Clockwise degrees from the display matrix.
    pub rotation: u16,
}

/// What a clip says about itself (`moov` header, `mdta` keys, tracks).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClipInfo {
    pub shot: ShotInfo,
    /// The video track's duration (the movie's when there is no video track).
    pub duration_s: f64,
    pub video: Option<VideoTrack>,
    pub audio_codec: Option<String>,
    /// Seconds from the clip's start to the key photo (still-image-time track).
    pub key_time_s: Option<f64>,
    /// What a scan should say of the file without failing it (bytes after the movie's boxes).
    #[serde(skip)]
    pub note: Option<String>,
}
