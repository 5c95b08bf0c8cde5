//! `--to apng`: an animated PNG, lossless (every frame's pixels as the filter chain made them,
//! full colour, no dithering) where a GIF has 256 colours: for editing and archiving rather
//! than sharing, as it is several times a GIF's bytes. Browsers show it; it loops forever.
//! FFmpeg's `apng` encoder and muxer write it (PNG's APNG extension, W3C PNG 3rd edition §4.3).

use super::animated::{AnimatedOut, Encoding};
use super::writer::{Opt, Settings, Spec, Writer};
use ffmpeg_next::format::Pixel;

/// RGB frames, each row filtered by Paeth prediction (PNG's best single filter), deflated.
static APNG_ENCODING: Encoding = Encoding {
    // `.png`, as the PNG specification has it: every PNG reader shows its first frame
    ext: "png",
    muxer: "apng",
    encoder: "apng",
    pixel: Pixel::RGB24,
    default_quality: None,
    options: |_, _| vec![("pred", "paeth".into())],
    loop_forever: ("plays", "0"),
};

/// What the command line knows of `--to apng`.
pub const SPEC: Spec = Spec {
    word: "apng",
    help: "An animated PNG: lossless full colour (no 256-colour palette), several times a GIF's bytes; for editing and archiving",
    takes: &[(Opt::Fps, Some("15")), (Opt::Width, Some("480")), (Opt::Trim, None), (Opt::Effect, None)],
    refuses: "an animated PNG is lossless, from the clip's frames in SDR; lower --width or --fps to make it smaller",
};

/// The writer `--to apng` makes of what the command line gave.
pub fn make(s: &Settings) -> Box<dyn Writer> {
    Box::new(AnimatedOut::of(&APNG_ENCODING, s))
}
