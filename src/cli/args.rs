//! The flags of each command (clap derive) and their translation into the library's plain
//! option types: clap stops here.

use crate::pair::PairOptions;
use crate::report::progress::Color;
use crate::scan::{DateBound, Filter, Versions};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Filters (they combine with AND)")]
pub struct FilterArgs {
    /// Keep only FaceTime Live Photos (the Photos rule "Lens includes FaceTime").
    #[arg(long)]
    pub facetime: bool,
    /// Keep only Live Photos whose lens (or camera model) contains TEXT, case-insensitively.
    #[arg(long, value_name = "TEXT")]
    pub lens: Option<String>,
    /// Keep only Live Photos whose camera make or model contains TEXT, case-insensitively.
    #[arg(long, value_name = "TEXT")]
    pub camera: Option<String>,
    /// Keep only Live Photos captured on or after DATE: a calendar date (2023-07-08, the capture's
    /// local date) or a date-time with an offset (2016-12-07T11:43:00-06:00, compared as instants).
    /// Live Photos without a capture time are left out by a date filter.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<DateBound>,
    /// Keep only Live Photos captured on or before DATE (a calendar date includes the whole day).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub until: Option<DateBound>,
    /// Keep only originals, not their edited versions (IMG_E1234, IMG_1234_edited, FullSizeRender).
    #[arg(long, conflicts_with = "edits_only")]
    pub originals_only: bool,
    /// Keep only edited versions (IMG_E1234, IMG_1234_edited, FullSizeRender).
    #[arg(long)]
    pub edits_only: bool,
    /// An edited still without a clip of its own is paired with its original's clip (found by
    /// identifier, or by the original's name and capture time in the same folder).
    #[arg(long)]
    pub edit_uses_original_clip: bool,
}

fn parse_date(s: &str) -> Result<DateBound, String> {
    DateBound::parse(s).ok_or_else(|| format!("'{s}' is neither a date (2023-07-08) nor a date-time (2016-12-07T11:43:00-06:00)"))
}

/// A bound's moment, for telling whether `--since` comes after `--until`: a date is its first
/// second (`--since`) or its last (`--until`); a date-time its instant, else its wall-clock time.
fn moment(b: &DateBound, end_of_day: bool) -> f64 {
    match b {
        DateBound::Day(d) => *d as f64 * 86_400.0 + if end_of_day { 86_399.0 } else { 0.0 },
        DateBound::Time(t) => t.utc().unwrap_or(t.local),
    }
}

impl FilterArgs {
    /// Filters that cannot match anything are a usage error.
    pub fn check(&self) -> Result<(), String> {
        if let (Some(since), Some(until)) = (&self.since, &self.until) {
            if moment(since, false) > moment(until, true) {
                return Err("--since is later than --until: no Live Photo can match; swap them".into());
            }
        }
        Ok(())
    }

    pub fn filter(&self) -> Filter {
        let versions = match (self.originals_only, self.edits_only) {
            (true, _) => Versions::OriginalsOnly,
            (_, true) => Versions::EditsOnly,
            _ => Versions::All,
        };
        Filter {
            facetime_only: self.facetime,
            lens: self.lens.clone(),
            camera: self.camera.clone(),
            versions,
            since: self.since,
            until: self.until,
        }
    }

    pub fn pairing(&self) -> PairOptions {
        PairOptions { edit_uses_original_clip: self.edit_uses_original_clip }
    }
}

/// `--color`, on the commands that draw progress bars.
#[derive(Args, Debug, Clone, Copy)]
pub struct ColorOpt {
    /// Colour in progress bars: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN", ignore_case = true)]
    pub color: ColorArg,
}

/// `--color`: whether progress bars are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorArg {
    /// On a terminal, unless the NO_COLOR environment variable is set.
    #[default]
    Auto,
    Always,
    Never,
}

impl From<ColorArg> for Color {
    fn from(c: ColorArg) -> Self {
        match c {
            ColorArg::Auto => Color::Auto,
            ColorArg::Always => Color::Always,
            ColorArg::Never => Color::Never,
        }
    }
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files or folders to scan, recursively. Symbolic links are followed (each file is listed once;
    /// loops and dangling links are listed as notes); folders livephoto exported to are skipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print one JSON document on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar while reading (there is none when stderr is not a terminal); the table,
    /// errors and notes are still printed.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also say how much was read (KiB of headers per media file), on stderr.
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    pub color: ColorOpt,
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EffectArg {
    /// Forward then backward: about twice the frames and the length.
    Bounce,
    /// A seamless loop: the last 0.4 s cross-fade into the start (0.4 s shorter than the clip).
    Loop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodecArg {
    /// Copy H.264; re-encode anything else (or a trimmed clip) to 8-bit H.264.
    Auto,
    /// Copy the video stream untouched.
    Copy,
    /// Re-encode to H.264 (for players without HEVC).
    H264,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StillOutArg {
    Original,
    Jpeg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StillEffectArg {
    /// The clip's frames aligned and averaged into one still.
    LongExposure,
}

#[derive(Args, Debug)]
#[command(next_help_heading = "Output")]
pub struct CommonOut {
    /// Output folder; the layout below each scanned folder is kept. It must not be a scanned
    /// folder, above one, or hold scanned files; it gets a `.livephoto-export` marker, so a scan
    /// of a folder above it skips it (named itself, it is scanned).
    #[arg(short, long, value_name = "DIR", default_value = "livephoto-export")]
    pub output: PathBuf,
    /// Parallel jobs, 1 to 256 [default: the number of cores]; never more than there are
    /// outputs to make.
    #[arg(short, long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// Replace existing outputs (otherwise they are skipped: "already there", or "out of date"
    /// when their source changed since). A scanned file is never replaced.
    #[arg(long)]
    pub overwrite: bool,
    /// Print what would be written, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress bar; errors, notes and the summary line are still printed (on stderr).
    #[arg(short, long)]
    pub quiet: bool,
    /// Print one JSON document on stdout instead of lines for people: a result per Live Photo,
    /// the counts, the scan's errors and notes.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub color: ColorOpt,
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Files or folders to scan, recursively. Symbolic links are followed (each file is listed once;
    /// loops and dangling links are listed as notes); folders livephoto exported to are skipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// What to make of each Live Photo.
    #[arg(long, value_name = "FORMAT", value_parser = formats(), ignore_case = true)]
    pub to: String,
    /// Play the clip as the Photos app's effects do (audio dropped).
    #[arg(long, value_enum, ignore_case = true, help_heading = "Clip")]
    pub effect: Option<EffectArg>,
    /// Start at this many seconds into the clip.
    #[arg(long, value_name = "S", conflicts_with = "around_key", help_heading = "Clip")]
    pub start: Option<f64>,
    /// End at this many seconds into the clip.
    #[arg(long, value_name = "S", conflicts_with = "around_key", help_heading = "Clip")]
    pub end: Option<f64>,
    /// Keep S seconds either side of the key photo (the moment the still was taken).
    #[arg(long, value_name = "S", help_heading = "Clip")]
    pub around_key: Option<f64>,
    #[arg(long, value_enum, ignore_case = true, help_heading = "MP4 and motion photo", help = with_defaults(
        "MP4 and motion-photo video. `auto`: an MP4 that plays everywhere (H.264 is copied; HEVC and HDR become 8-bit \
         H.264, tone-mapped and upright); `copy`: the stream untouched (HEVC/HDR for Apple players); `h264`: always re-encode.",
        "--codec",
    ))]
    pub codec: Option<CodecArg>,
    /// Motion photos from iPhone HDR photos are Ultra HDR (the gain map kept, Android 14+ shows
    /// them bright); `--sdr` writes plain SDR stills.
    #[arg(long, help_heading = "MP4 and motion photo")]
    pub sdr: bool,
    #[arg(long, help_heading = "GIF, WebP and AVIF", help = with_defaults("Frames per second of an animated image, above 0 and at most 60.", "--fps"))]
    pub fps: Option<f64>,
    #[arg(long, value_parser = clap::value_parser!(u32).range(16..=4096), help_heading = "GIF, WebP and AVIF", help = with_defaults(
        "Width in pixels of an animated image, 16 to 4096 (height follows the aspect ratio).",
        "--width",
    ))]
    pub width: Option<u32>,
    #[arg(long, value_name = "1..100", value_parser = clap::value_parser!(u8).range(1..=100), help_heading = "GIF, WebP and AVIF", help = with_defaults(
        "Quality, 1 to 100: lower makes smaller files. GIF: 100 keeps every frame as dithered; below, still areas are \
         kept from the frame before and busy areas are compressed lossily. WebP: libwebp's quality. AVIF: CRF 63 (1) to 0 (100).",
        "--quality",
    ))]
    pub quality: Option<u8>,
    /// Largest GIF size, e.g. 8MB, 500KB, 2MiB: quality, then width (down to 240 px), then frame
    /// rate (down to 8 fps) are lowered until the GIF fits, in a few trial encodes; what was
    /// chosen is reported. A GIF that cannot fit is a failure and nothing is written.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "GIF, WebP and AVIF")]
    pub max_size: Option<u64>,
    #[command(flatten)]
    pub out: CommonOut,
}

#[derive(Args, Debug)]
pub struct StillsArgs {
    /// Files or folders to scan, recursively. Symbolic links are followed (each file is listed once;
    /// loops and dangling links are listed as notes); folders livephoto exported to are skipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// `original` copies byte for byte; `jpeg` converts HEIC and PNG stills to JPEG and copies
    /// JPEGs, but an iPhone HDR photo (a HEIC, or a JPEG, with a gain map) becomes an Ultra HDR
    /// JPEG, which Android 14+, Google Photos and Chrome show brighter than SDR, as the iPhone does.
    #[arg(long, value_enum, default_value = "original", ignore_case = true)]
    pub format: StillOutArg,
    /// With `--format jpeg`: the JPEG quality of a HEIC or PNG converted, 1 to 100 (lower makes
    /// smaller files) [default: 95, as many bytes as heif-convert -q 95 makes or fewer].
    #[arg(long, value_name = "1..100", value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: Option<u8>,
    /// With `--format jpeg`: plain SDR JPEGs, no gain map.
    #[arg(long)]
    pub sdr: bool,
    /// `long-exposure`: Photos' Long Exposure, the clip's frames aligned and averaged in linear
    /// light into one JPEG at the clip's size (silky water, light trails), with the still's
    /// EXIF, GPS and capture time.
    #[arg(long, value_enum, ignore_case = true, conflicts_with = "format")]
    pub effect: Option<StillEffectArg>,
    #[command(flatten)]
    pub out: CommonOut,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Files or folders to scan, recursively. Symbolic links are followed (each file is listed once;
    /// loops and dangling links are listed as notes); folders livephoto exported to are skipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The page to write (a folder, or a path ending in /: index.html in it). Its pictures go in the folder
    /// `<name>_files` beside it. A page livephoto wrote before is replaced; any other file only
    /// with --overwrite; a scanned file never.
    #[arg(short, long, value_name = "FILE", default_value = "livephoto-report.html")]
    pub output: PathBuf,
    /// Thumbnails only: no animated previews of the clips (much faster on a large library).
    #[arg(long)]
    pub no_previews: bool,
    /// Width of the animated previews, in pixels (16 to 4096).
    #[arg(long, value_name = "PX", default_value_t = 320, value_parser = clap::value_parser!(u32).range(16..=4096))]
    pub preview_width: u32,
    /// Frame rate of the animated previews.
    #[arg(long, value_name = "FPS", default_value_t = 10.0)]
    pub preview_fps: f64,
    /// Parallel jobs, 1 to 256 [default: the number of cores]; never more than there are
    /// pictures to make.
    #[arg(short, long, value_name = "N", value_parser = jobs)]
    pub jobs: Option<usize>,
    /// Remake every picture (otherwise those made by an earlier report of the same sources are
    /// kept), and replace an -o file that is not a livephoto report.
    #[arg(long)]
    pub overwrite: bool,
    /// No progress bar; errors and the summary line are still printed (on stderr).
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub color: ColorOpt,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `--to`'s values: the formats' own words and help lines (`export::FORMATS`). A build without
/// the media feature has no formats (its `convert` is the helper's): it takes any word.
fn formats() -> clap::builder::ValueParser {
    #[cfg(feature = "media")]
    {
        use clap::builder::{PossibleValue, PossibleValuesParser, ValueParser};
        ValueParser::new(PossibleValuesParser::new(crate::export::FORMATS.iter().map(|s| PossibleValue::new(s.word).help(s.help))))
    }
    #[cfg(not(feature = "media"))]
    {
        clap::builder::NonEmptyStringValueParser::new().into()
    }
}

/// `text` and the defaults the formats that take `flag` give it: `[default: 15]`, or each
/// format's when they differ (`[default: gif 90, webp 80, avif 45]`).
fn with_defaults(text: &str, flag: &str) -> String {
    #[cfg(feature = "media")]
    {
        use crate::export::{Opt, FORMATS};
        let all = [Opt::Codec, Opt::Sdr, Opt::Fps, Opt::Width, Opt::Quality, Opt::MaxSize, Opt::Trim, Opt::Effect];
        let Some(opt) = all.into_iter().find(|o| o.flag() == flag) else { return text.into() };
        let defaults: Vec<(&str, &str)> = FORMATS.iter().filter_map(|s| s.default_of(opt).map(|d| (s.word, d))).collect();
        match defaults.as_slice() {
            [] => text.into(),
            [(_, d), rest @ ..] if rest.iter().all(|(_, o)| o == d) => format!("{} [default: {d}]", text.trim_end_matches('.')),
            each => format!(
                "{} [default: {}]",
                text.trim_end_matches('.'),
                each.iter().map(|(w, d)| format!("{w} {d}")).collect::<Vec<_>>().join(", ")
            ),
        }
    }
    #[cfg(not(feature = "media"))]
    {
        let _ = flag;
        text.into()
    }
}

/// The most parallel jobs `--jobs` takes (the export runner starts no more, whatever a library
/// caller asks: `export::MAX_JOBS`).
pub const MAX_JOBS: usize = 256;

/// `--jobs N`: 1 to [`MAX_JOBS`].
fn jobs(s: &str) -> Result<usize, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_JOBS as u64).contains(&n) => Ok(n as usize),
        Ok(0) => Err("0 jobs would do nothing: give 1 to 256 (the default is one per core)".into()),
        Ok(_) => Err(format!("{s} jobs is more than livephoto runs at once: give 1 to {MAX_JOBS} (the default is one per core)")),
        Err(_) => Err(format!("{s:?} is not a number of jobs: give 1 to {MAX_JOBS}")),
    }
}

/// A size in bytes: a number with an optional unit, KB/MB/GB (powers of 1000, also K/M/G) or
/// KiB/MiB/GiB (powers of 1024); "8MB", "1.5 MB", "500KiB", "9000000".
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("{s:?} is not a size (like 8MB, 500KB or 2MiB)"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown size unit {other:?} (use KB, MB, GB, KiB, MiB or GiB)")),
    };
    let bytes = (n * mult).round();
    if !(1.0..1e15).contains(&bytes) {
        return Err(format!("{s:?}: the size must be at least 1 byte"));
    }
    Ok(bytes as u64)
}
