//! Animated images FFmpeg encodes, WebP and AVIF here (`convert --to webp|avif`): what
//! browsers, Discord, blogs and most chat apps show today at a fraction of a GIF's bytes. The
//! clip goes through the filter chain as for GIF (rate, width, upright, HDR tone-mapped, trims
//! and effects) and is encoded by the kind's encoder (libwebp's `libwebp_anim`, lossy; libaom's
//! AV1) into its container, looping forever. Another kind is an [`Encoding`] and a spec in a
//! file of its own (`apng.rs`).

use super::control::Ticker;
use super::error::{JobError, OptionError};
use super::filters::Effect;
use super::gif::{check_frames, FPS, WIDTH};
use super::pipeline::{fd_url, more, open_input, ClipSource, Trim, VideoPipeline};
use super::writer::{Input, Made, Opt, Settings, Spec, Writer};
use ff::{codec, encoder, format, Dictionary, Packet, Rational};
use ffmpeg_next as ff;
use std::fs::File;

/// An animated image FFmpeg encodes: what one kind (WebP, AVIF, …) differs by. A kind is a
/// `static` beside its `--to` [`Spec`]; [`AnimatedOut`] writes any of them.
pub struct Encoding {
    /// The output's extension.
    pub ext: &'static str,
    /// FFmpeg's muxer that writes the container.
    pub muxer: &'static str,
    /// FFmpeg's encoder.
    pub encoder: &'static str,
    /// The frames' pixel format, as the encoder takes them.
    pub pixel: format::Pixel,
    /// `--quality` when not given; `None` for a kind without one (the option is then refused by
    /// its spec and left out of its settings).
    pub default_quality: Option<u8>,
    /// The encoder's options for a quality (1..=100) and the threads the job may use.
    pub options: fn(quality: u8, threads: usize) -> Vec<(&'static str, String)>,
    /// The muxer's option that makes it loop forever.
    pub loop_forever: (&'static str, &'static str),
}

/// Animated WebP: libwebp's quality as it is. The default, 80, is the least that kept SSIM at or
/// above our GIF's on the bench's clips (75 fell below it on the Samsung clip, 0.959 against 0.961).
pub static WEBP_ENCODING: Encoding = Encoding {
    ext: "webp",
    muxer: "webp",
    encoder: "libwebp_anim",
    pixel: format::Pixel::YUV420P,
    default_quality: Some(80),
    options: |q, _| vec![("quality", q.to_string()), ("compression_level", "4".into())],
    loop_forever: ("loop", "0"),
};

/// Animated AVIF (AV1, libaom): quality 1..=100 is CRF 63 down to 0; the default, 45 (CRF 35),
/// is the least that kept SSIM at or above our GIF's on the bench's clips.
pub static AVIF_ENCODING: Encoding = Encoding {
    ext: "avif",
    muxer: "avif",
    encoder: "libaom-av1",
    pixel: format::Pixel::YUV420P,
    default_quality: Some(45),
    options: |q, threads| {
        let crf = 63 - (u32::from(q.min(100)) * 63 / 100);
        vec![
            ("crf", crf.to_string()),
            ("b", "0".into()),
            ("cpu-used", "6".into()),
            ("row-mt", "1".into()),
            ("threads", threads.to_string()),
        ]
    },
    loop_forever: ("loop", "0"),
};

/// An animated image of any [`Encoding`]: the frame rate and width, and the quality when asked.
#[derive(Clone, Copy)]
pub struct AnimatedOut {
    pub kind: &'static Encoding,
    pub fps: f64,
    pub width: u32,
    /// 1..=100 (`None`: the kind's default).
    pub quality: Option<u8>,
}

/// What the command line knows of `--to webp`.
pub const WEBP: Spec = Spec {
    word: "webp",
    help: "An animated WebP (browsers, chat apps): a fraction of a GIF's bytes",
    takes: &[(Opt::Fps, Some("15")), (Opt::Width, Some("480")), (Opt::Quality, Some("80")), (Opt::Trim, None), (Opt::Effect, None)],
    refuses: "an animated WebP is always encoded, from the clip's frames in SDR; lower --quality or --width to make it smaller",
};

/// What the command line knows of `--to avif`.
pub const AVIF: Spec = Spec {
    word: "avif",
    help: "An animated AVIF (AV1): smaller still; current browsers show it",
    takes: &[(Opt::Fps, Some("15")), (Opt::Width, Some("480")), (Opt::Quality, Some("45")), (Opt::Trim, None), (Opt::Effect, None)],
    refuses: "an animated AVIF is always encoded, from the clip's frames in SDR; lower --quality or --width to make it smaller",
};

/// The writer `--to webp` makes of what the command line gave.
pub fn make_webp(s: &Settings) -> Box<dyn Writer> {
    Box::new(AnimatedOut::of(&WEBP_ENCODING, s))
}

/// The writer `--to avif` makes of what the command line gave.
pub fn make_avif(s: &Settings) -> Box<dyn Writer> {
    Box::new(AnimatedOut::of(&AVIF_ENCODING, s))
}

impl AnimatedOut {
    /// `kind` at the rate, width and quality given, [`FPS`] and [`WIDTH`] when not.
    pub fn of(kind: &'static Encoding, s: &Settings) -> Self {
        AnimatedOut { kind, fps: s.fps.unwrap_or(FPS), width: s.width.unwrap_or(WIDTH), quality: s.quality }
    }
}

impl Writer for AnimatedOut {
    fn name(&self) -> (&'static str, &'static str) {
        ("", self.kind.ext)
    }

    fn settings(&self) -> String {
        let words = format!("{}: fps {}, width {}", self.kind.muxer, self.fps, self.width);
        match self.quality.or(self.kind.default_quality) {
            Some(q) => format!("{words}, quality {q}"),
            None => words,
        }
    }

    fn check(&self, _: bool, _: bool) -> Result<(), OptionError> {
        check_frames(self.fps, self.width, self.quality)
    }

    fn write(&self, input: &Input<'_>, out: &mut File, ticker: &Ticker<'_>) -> Result<Made, JobError> {
        write((&*input.lp.clip).into(), out, input.meta.rotation, input.trim, self, input.effect, ticker).map(Made::frames)
    }
}

/// The encoder and stream, opened on the first frame (its size is the filter chain's).
struct Out {
    octx: format::context::Output,
    enc: Option<(encoder::Video, usize)>,
    tb: Rational,
    frames: u64,
}

/// Writes `clip` as an animated image of `opts.kind` into `dest`; returns the frames written
/// (0: none in range).
fn write(
    clip: ClipSource<'_>,
    dest: &mut File,
    rotation: u16,
    trim: Trim,
    opts: &AnimatedOut,
    effect: Option<(Effect, f64)>,
    ticker: &Ticker<'_>,
) -> Result<u64, JobError> {
    let codec = encoder::find_by_name(opts.kind.encoder)
        .ok_or_else(|| JobError::Unsupported(format!("this FFmpeg has no {} encoder", opts.kind.encoder)))?;
    let mut ictx = open_input(clip)?;
    let scale = super::pipeline::animated_scale(opts.fps, opts.width);
    let pixel = opts.kind.pixel.descriptor().map_or("yuv420p", |d| d.name());
    let mut pipe = VideoPipeline::new(&ictx, ticker, rotation, trim, &scale, &format!("format={pixel}"), effect)?;
    let tb = pipe.out_time_base();
    let octx = format::output_as(&fd_url(dest), opts.kind.muxer).map_err(JobError::ffmpeg("cannot create the image"))?;
    let mut out = Out { octx, enc: None, tb, frames: 0 };
    let mut emit = |f: &ff::frame::Video| -> Result<(), JobError> {
        if out.enc.is_none() {
            out.enc = Some(open(&mut out.octx, codec, f.width(), f.height(), tb, opts, ticker.threads())?);
        }
        let Some((enc, ost)) = out.enc.as_mut() else { return Ok(()) };
        enc.send_frame(f)?;
        out.frames += 1;
        ticker.frames(out.frames);
        drain(enc, &mut out.octx, *ost, out.tb)
    };
    pipe.run(&mut ictx, ticker, &mut emit)?;
    let Some((mut enc, ost)) = out.enc.take() else { return Ok(0) };
    more(enc.send_eof(), "the encoder cannot finish")?;
    drain(&mut enc, &mut out.octx, ost, out.tb)?;
    out.octx.write_trailer().map_err(JobError::ffmpeg("cannot finish the image"))?;
    Ok(out.frames)
}

fn open(
    octx: &mut format::context::Output,
    codec: ff::Codec,
    w: u32,
    h: u32,
    tb: Rational,
    opts: &AnimatedOut,
    threads: usize,
) -> Result<(encoder::Video, usize), JobError> {
    let global = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
    let mut ost = octx.add_stream(codec)?;
    let mut e = codec::context::Context::new_with_codec(codec).encoder().video()?;
    e.set_width(w);
    e.set_height(h);
    e.set_format(opts.kind.pixel);
    e.set_time_base(tb);
    e.set_frame_rate(Some(Rational::from(opts.fps)));
    if global {
        e.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    let mut o = Dictionary::new();
    for (key, value) in (opts.kind.options)(opts.quality.or(opts.kind.default_quality).unwrap_or(100), threads) {
        o.set(key, &value);
    }
    let opened = e.open_as_with(codec, o).map_err(JobError::ffmpeg("cannot start the encoder"))?;
    ost.set_parameters(&opened);
    ost.set_time_base(tb);
    let index = ost.index();
    let mut mux = Dictionary::new();
    mux.set(opts.kind.loop_forever.0, opts.kind.loop_forever.1);
    octx.write_header_with(mux).map_err(JobError::ffmpeg("cannot write the image header"))?;
    Ok((opened, index))
}

fn drain(enc: &mut encoder::Video, octx: &mut format::context::Output, ost: usize, tb: Rational) -> Result<(), JobError> {
    let otb = octx.stream(ost).map_or(tb, |s| s.time_base());
    let mut p = Packet::empty();
    while more(enc.receive_packet(&mut p), "the encoder failed")? {
        p.set_stream(ost);
        p.rescale_ts(tb, otb);
        p.write_interleaved(octx).map_err(JobError::ffmpeg("cannot write the image"))?;
    }
    Ok(())
}
