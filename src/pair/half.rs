//! What pairing is given and what it gives: the part of each half it looks at, how a pair was
//! made, and the pairs with what was left alone.

use crate::meta::CaptureTime;
use serde::Serialize;
use std::path::Path;

/// A still's DateTimeOriginal and its clip's creationdate differ by under two seconds (the clip
/// starts ~1.5 s before the shutter; both are truncated to whole seconds).
pub const TIME_TOLERANCE_S: f64 = 3.0;

/// The part of a still or clip that pairing looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct Half<'a> {
    pub path: &'a Path,
    pub content_id: Option<&'a str>,
    pub captured_at: Option<CaptureTime>,
    /// When the file was last written: among copies, the oldest is the original.
    pub modified: Option<std::time::SystemTime>,
    /// The identifier is one that pairs by itself alone (a vivo live photo's): never by name
    /// and time, even when the other half lost it.
    pub id_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    ContentId,
    NameAndTime,
    /// An edit's still with its original's clip (`--edit-uses-original-clip`).
    OriginalClip,
    /// An Android motion photo: the video is inside the still's file.
    Embedded,
    /// A `.livp` archive whose halves do not both carry an identifier: the archive ties them.
    Archive,
}

/// Choices the user makes about pairing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairOptions {
    /// An edited still without a clip of its own takes its original's clip.
    pub edit_uses_original_clip: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub still: usize,
    pub clip: usize,
    pub matched_by: MatchedBy,
    /// For an edited version: its original's pair (an index into [`Pairing::pairs`]).
    pub edit_of: Option<usize>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pairing {
    pub pairs: Vec<Pair>,
    pub unpaired_stills: Vec<usize>,
    pub unpaired_clips: Vec<usize>,
    /// Whether each still names an edited version ([`edits`]), as pairing told it.
    pub edited_stills: Vec<bool>,
}
