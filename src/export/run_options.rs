//! What a run is asked to do, as plain values the library owns (the command line, or any other
//! caller, fills them in): where outputs go and how the run behaves ([`OutputOptions`]), and what
//! part of each clip plays how ([`ClipOptions`], `convert`'s), with the combinations that make no
//! sense said before any work.

use super::error::OptionError;
use super::filters::{Effect, Trim};
use super::writer::Writer;
use crate::pair::PairOptions;
use crate::scan::{Filter, LivePhoto};
use std::path::PathBuf;

/// Where outputs go and how a run behaves; shared by `convert`, `stills` and `report`.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// Output folder; the layout below each scanned folder is kept.
    pub dir: PathBuf,
    /// Parallel jobs (`None`: one per core).
    pub jobs: Option<usize>,
    /// Replace existing outputs (a scanned file is never replaced).
    pub overwrite: bool,
    /// Plan only: write nothing.
    pub dry_run: bool,
    /// How stills and clips are paired.
    pub pairing: PairOptions,
    /// Which Live Photos to export.
    pub filter: Filter,
}

/// What part of each clip `convert` plays, and how.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClipOptions {
    /// Bounce or Loop (`None`: the clip as it is).
    pub effect: Option<Effect>,
    /// Seconds into the clip to start and end at.
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// Seconds either side of the key photo to keep (instead of start/end).
    pub around_key: Option<f64>,
}

impl ClipOptions {
    /// Options that make no sense, alone, together or for `writer`, found before any work.
    pub fn validate(&self, writer: &dyn Writer) -> Result<(), OptionError> {
        let trims = self.start.is_some() || self.end.is_some() || self.around_key.is_some();
        writer.check(trims, self.effect.is_some())?;
        if [self.start, self.end, self.around_key].into_iter().flatten().any(|v| !(v.is_finite() && v >= 0.0)) {
            return Err(OptionError::NegativeTime);
        }
        match (self.start, self.end) {
            (Some(s), Some(e)) if e <= s => Err(OptionError::EndBeforeStart),
            _ => Ok(()),
        }
    }

    /// What made an output, as the manifest records it: the writer's words, then the clip's.
    pub fn settings(&self, writer: &dyn Writer) -> String {
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
        let effect = match self.effect {
            None => "-",
            Some(Effect::Bounce) => "bounce",
            Some(Effect::Loop) => "loop",
        };
        let clip = format!("effect {effect}, start {}, end {}, around-key {}", opt(self.start), opt(self.end), opt(self.around_key));
        format!("{}, {clip}", writer.settings())
    }

    /// The part of `lp`'s clip to keep.
    pub fn trim_for(&self, lp: &LivePhoto) -> Trim {
        match self.around_key {
            Some(s) => {
                let key = lp.clip.info.key_time_s.unwrap_or(lp.clip.info.duration_s / 2.0);
                Trim { start: Some((key - s).max(0.0)), end: Some(key + s) }
            }
            None => Trim { start: self.start, end: self.end },
        }
    }
}
