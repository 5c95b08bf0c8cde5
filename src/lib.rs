//! livephoto: find Apple Live Photos (a still and its clip, tied by a content identifier) and
//! Android motion photos in messy exports, pair them, and convert them to MP4, GIF, WebP, AVIF,
//! Google Motion Photos or stills (JPEG, Long Exposure).
//!
//! Layers, each importing only those before it (tests/layers.rs checks):
//! `walk` (files, once each) → `meta` (identifiers, times, tracks from headers) → `pair` (pure)
//! → `scan` (walk + meta + pair: a [`Library`]) → `export` (convert/stills; the `media`
//! feature) → `report` (the only place that prints) → `cli` (flags, exit codes; used only by
//! the two binaries). `display` (how paths are shown) sits below them all.

// One place prints: `report` (through io handles, so a closed pipe is an error, not a panic).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod display;
pub mod meta;
mod pair;
pub mod scan;
mod walk;

#[cfg(feature = "media")]
pub mod export;
pub mod report;

#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod fuzzing;

pub use meta::MetaError;
pub use pair::{MatchedBy, PairOptions};
pub use scan::{scan, ClipFile, FileError, Filter, Library, LivePhoto, Note, StillFile, Versions};
pub use walk::EXPORT_MARKER;
