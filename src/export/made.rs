//! What a writer reports about an output it made, beside its frames: why an MP4's video was
//! re-encoded, what `--max-size` chose for a GIF. The runner and the reports carry these without
//! knowing the writers that fill them in.

/// Why an MP4's video was re-encoded rather than copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reencoded {
    /// The clip's codec (HEVC, lowercase as FFmpeg names it) does not play everywhere.
    Codec(String),
    /// A trim: a stream copy cannot cut exactly.
    Trimmed,
    /// Bounce or Loop.
    Effect,
    /// `--codec h264`.
    Asked,
}

impl Reencoded {
    /// One word for the summary and `--json`: `hevc`, `trimmed`, `effect`, `asked`.
    pub fn word(&self) -> &str {
        match self {
            Reencoded::Codec(c) => c,
            Reencoded::Trimmed => "trimmed",
            Reencoded::Effect => "effect",
            Reencoded::Asked => "asked",
        }
    }
}

/// What `--max-size` chose for one GIF.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GifFit {
    pub width: u32,
    pub fps: f64,
    /// 1..=100.
    pub quality: u8,
    pub bytes: u64,
    /// Encodes it took (1: the asked settings fitted).
    pub passes: u32,
    /// Whether anything was lowered from what was asked.
    pub lowered: bool,
}

