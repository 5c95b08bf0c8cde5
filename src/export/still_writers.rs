//! The writers of stills, behind the same seam as `convert`'s formats ([`super::writer`]): the
//! still byte for byte (`stills`), as JPEG or Ultra HDR JPEG (`stills --format jpeg`), and the
//! report's thumbnails. Each names its output by what its bytes are (a JPEG Takeout named
//! `.HEIC` becomes `.jpg`; a motion photo's still loses `.MP`) and keeps the still's time.

use super::control::Ticker;
use super::destination::{name_with, still_name};
use super::error::{JobError, OptionError};
use super::jpeg_encode::QUALITY;
use super::still;
use super::writer::{ExportMeta, Input, Made, MadeOf, Writer};
use crate::meta::StillFormat;
use crate::scan::LivePhoto;
use std::ffi::OsString;
use std::fs::File;
use std::path::Path;

/// `stills` (`--format original`): the still byte for byte (a motion photo's without its video).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginalOut;

impl Writer for OriginalOut {
    fn name(&self) -> (&'static str, &'static str) {
        ("", "")
    }

    fn file_name(&self, lp: &LivePhoto) -> OsString {
        still_name(&lp.still.path, lp.still.format, lp.still.info.extra_at().is_some())
    }

    fn settings(&self) -> String {
        "stills: format original".into()
    }

    fn write(&self, input: &Input<'_>, out: &mut File, _: &Ticker<'_>) -> Result<Made, JobError> {
        still::copy(&input.lp.still, out).map(|_| Made::default())
    }

    fn made_of(&self) -> MadeOf {
        MadeOf::Still
    }

    fn sources<'a>(&self, lp: &'a LivePhoto) -> Vec<&'a Path> {
        vec![&lp.still.path]
    }

    /// A byte-identical copy keeps the original's modification time.
    fn mtime(&self, lp: &LivePhoto) -> Option<i64> {
        file_mtime(&lp.still.path)
    }

    fn verb(&self) -> &'static str {
        "copied"
    }
}

/// `stills --format jpeg`: HEIC and PNG stills as JPEG at `quality`, JPEGs as they are; with
/// `hdr`, a still with a gain map as an Ultra HDR JPEG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegOut {
    pub hdr: bool,
    /// 1..=100 ([`QUALITY`] unless asked).
    pub quality: u8,
}

impl Writer for JpegOut {
    fn name(&self) -> (&'static str, &'static str) {
        ("", "jpg")
    }

    fn file_name(&self, lp: &LivePhoto) -> OsString {
        let written = if still::converts_to_jpeg(&lp.still, self.hdr) { StillFormat::Jpeg } else { lp.still.format };
        still_name(&lp.still.path, written, lp.still.info.extra_at().is_some())
    }

    fn settings(&self) -> String {
        // an SDR JPEG at the default quality is what earlier versions made: the same words
        let hdr = if self.hdr { ", ultra hdr" } else { "" };
        let quality = if self.quality == QUALITY { String::new() } else { format!(", quality {}", self.quality) };
        format!("stills: format jpeg{hdr}{quality}")
    }

    fn check(&self, _: bool, _: bool) -> Result<(), OptionError> {
        match (1..=100).contains(&self.quality) {
            true => Ok(()),
            false => Err(OptionError::Quality),
        }
    }

    fn write(&self, input: &Input<'_>, out: &mut File, ticker: &Ticker<'_>) -> Result<Made, JobError> {
        let how = still::Encoding { quality: self.quality, threads: ticker.threads() };
        still::to_jpeg(&input.lp.still, out, self.hdr, how).map(|note| Made { note, ..Made::default() })
    }

    fn made_of(&self) -> MadeOf {
        MadeOf::Still
    }

    fn sources<'a>(&self, lp: &'a LivePhoto) -> Vec<&'a Path> {
        vec![&lp.still.path]
    }

    /// A JPEG copied as it is keeps its modification time; one made gets the capture time.
    fn mtime(&self, lp: &LivePhoto) -> Option<i64> {
        match still::converts_to_jpeg(&lp.still, self.hdr) {
            true => ExportMeta::of(lp).mtime,
            false => file_mtime(&lp.still.path),
        }
    }
}

/// The report's thumbnail of each still: a small upright JPEG, the longer side at most `px`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThumbnailOut {
    pub px: u32,
}

impl Writer for ThumbnailOut {
    fn name(&self) -> (&'static str, &'static str) {
        ("", "jpg")
    }

    fn file_name(&self, lp: &LivePhoto) -> OsString {
        name_with(&lp.still.path, "", "jpg")
    }

    /// None: a report's pictures are remade when their sources change, whatever the settings were.
    fn settings(&self) -> String {
        String::new()
    }

    fn write(&self, input: &Input<'_>, out: &mut File, _: &Ticker<'_>) -> Result<Made, JobError> {
        still::thumbnail(&input.lp.still, self.px, out).map(|()| Made::default())
    }

    fn made_of(&self) -> MadeOf {
        MadeOf::Still
    }

    fn sources<'a>(&self, lp: &'a LivePhoto) -> Vec<&'a Path> {
        vec![&lp.still.path]
    }

    fn mtime(&self, _: &LivePhoto) -> Option<i64> {
        None
    }

    fn verb(&self) -> &'static str {
        "made"
    }
}

fn file_mtime(p: &Path) -> Option<i64> {
    let t = std::fs::metadata(p).ok()?.modified().ok()?;
    t.duration_since(std::time::UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_secs()).ok())
}
