//! livephoto: find Apple Live Photos (a still and its clip, tied by a content identifier) in
//! messy exports, pair them, and convert them to MP4 or GIF.
//!
//! Data flows one way: `scan` (walk + sniff) → `meta` (identifiers, times, tracks from headers)
//! → `pair` (pure) → `convert` / `stills` → `report`.

// One place prints: `report` (through io handles, so a closed pipe is an error, not a panic).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod error;
pub mod meta;
pub mod pair;
pub mod scan;
pub mod walk;

pub use error::MetaError;
pub use scan::{scan, ClipFile, FileError, Filter, Library, LivePhoto, Note, StillFile};
pub mod cli;
pub mod convert;
pub mod report;
