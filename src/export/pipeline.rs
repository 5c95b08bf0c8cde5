//! Decoding through libavfilter, in-process: a video pipeline (decoder → rotation, HDR tone
//! mapping, trim, scaling → frames) and an audio pipeline (decoder → resample/trim → frames
//! sized for the encoder). Used by the GIF writer and the H.264/AAC paths of the MP4 writer.

use super::control::{Cancel, Ticker};
use super::error::JobError;
use super::filters::Effect;
use super::filters::{effect_filter, hdr_filter, rotation_filter};
use ff::{codec, filter, format, frame, media, Packet, Rational, Rescale};
use ffmpeg_next as ff;
use std::ops::DerefMut;

pub use super::filters::Trim;

/// Ensures FFmpeg is initialised and quiet (errors come back as values, not log lines).
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ff::init();
        // LIVEPHOTO_FFMPEG_LOG=1 shows FFmpeg's own warnings, to diagnose a failing file
        let level =
            if std::env::var_os("LIVEPHOTO_FFMPEG_LOG").is_some() { ff::util::log::Level::Warning } else { ff::util::log::Level::Fatal };
        ff::util::log::set_level(level);
    });
}

/// A name FFmpeg can open for an open file: names are bytes, and FFmpeg (through ffmpeg-next)
/// wants UTF-8, so it gets the descriptor's own name instead of the path.
pub fn fd_url(file: &std::fs::File) -> String {
    #[cfg(target_os = "linux")]
    return format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(file));
    #[cfg(all(unix, not(target_os = "linux")))]
    return format!("/dev/fd/{}", std::os::fd::AsRawFd::as_raw_fd(file));
    #[cfg(not(unix))]
    return String::new();
}

/// A clip to decode: a file, or the span of one that holds a motion photo's video.
#[derive(Debug, Clone, Copy)]
pub struct ClipSource<'a> {
    pub path: &'a std::path::Path,
    /// (offset, length) of the embedded MP4.
    pub span: Option<(u64, u64)>,
}

impl<'a> From<&'a std::path::Path> for ClipSource<'a> {
    fn from(path: &'a std::path::Path) -> Self {
        ClipSource { path, span: None }
    }
}

impl<'a> From<&'a crate::scan::ClipFile> for ClipSource<'a> {
    fn from(c: &'a crate::scan::ClipFile) -> Self {
        ClipSource { path: &c.path, span: c.embedded.map(|e| (e.offset, e.len)) }
    }
}

/// Opens a clip read-only. FFmpeg opens it through our descriptor, so any file name works; an
/// embedded video is read in place through FFmpeg's `subfile` protocol (nothing is copied).
pub fn open_input(clip: ClipSource<'_>) -> Result<format::context::Input, JobError> {
    init();
    let file = std::fs::File::open(clip.path).map_err(JobError::io("cannot open the clip"))?;
    #[cfg(unix)]
    let url = fd_url(&file);
    #[cfg(not(unix))]
    let url = clip.path.to_str().ok_or_else(|| JobError::Unsupported("the clip's name is not valid Unicode".into()))?.to_string();
    let url = match clip.span {
        Some((offset, len)) => format!("subfile,,start,{offset},end,{},,:{url}", offset + len),
        None => url,
    };
    let ictx = format::input(&url).map_err(JobError::ffmpeg("FFmpeg cannot open the clip"));
    drop(file); // FFmpeg holds its own descriptor now
    ictx
}

/// Whether a receive/read result means "go on" (`Ok`), "nothing more for now" (EAGAIN) or "no
/// more at all" (EOF). Those two are the only non-errors; anything else fails the item.
pub fn more(r: Result<(), ff::Error>, what: &str) -> Result<bool, JobError> {
    match r {
        Ok(()) => Ok(true),
        Err(ff::Error::Eof) => Ok(false),
        Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => Ok(false),
        Err(source) => Err(JobError::Ffmpeg { doing: what.to_string(), source }),
    }
}

/// Reads the next packet of the clip; `None` at its end. Unlike ffmpeg-next's packet iterator,
/// a read error is an error (a cut or unreadable clip), not the end of the clip.
pub fn next_packet(ictx: &mut format::context::Input) -> Result<Option<Packet>, JobError> {
    let mut packet = Packet::empty();
    for _ in 0..1000 {
        match packet.read(ictx) {
            Ok(()) => return Ok(Some(packet)),
            Err(ff::Error::Eof) => return Ok(None),
            Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => continue,
            Err(e) => return Err(JobError::ffmpeg("cannot read the clip")(e)),
        }
    }
    Err(JobError::Media("cannot read the clip: the demuxer keeps asking to try again".into()))
}

/// Decoder → filter graph → frames, for one stream of either medium.
pub struct Pipeline<F> {
    pub stream: usize,
    what: &'static str,
    decoder: ff::decoder::Opened,
    graph: filter::Graph,
    decoded: F,
    filtered: F,
    /// End of the last decoded frame (pts + duration): where the stream really ends, so `fps`
    /// emits the clip's last moments as the ffmpeg CLI does.
    end_pts: Option<i64>,
    /// Time base the caller wants filtered frames in (an encoder's), if not the sink's.
    target_tb: Option<Rational>,
    /// Checked between decoded frames.
    cancel: Cancel,
}

/// The rate and size filters of an animated image (GIF, WebP, AVIF): `fps` frames a second, at
/// most `width` pixels wide but never wider than the clip shows (a small clip is not blown up),
/// in the shape it shows: its pixels made square by its sample aspect ratio (a clip recorded
/// with non-square pixels, which an MP4 keeps as a flag, an image format cannot say), the
/// height following; both even.
pub fn animated_scale(fps: f64, width: u32) -> String {
    format!("fps={fps},scale=w='max(2,trunc(min({width},iw*sar)/2)*2)':h='max(2,trunc(ow/dar/2)*2)':flags=lanczos,setsar=1")
}

pub type VideoPipeline = Pipeline<frame::Video>;
pub type AudioPipeline = Pipeline<frame::Audio>;

impl VideoPipeline {
    /// `scale` and `tail` are the caller's part of the filter chain: `scale` (frame rate, size)
    /// runs before HDR tone mapping so that runs on small frames (a 4K float frame is 100 MB),
    /// `tail` (pixel format) after it.
    /// `effect` (with the trimmed clip's length in seconds) comes last, on the smallest frames.
    pub fn new(
        ictx: &format::context::Input,
        ticker: &Ticker<'_>,
        rotation: u16,
        trim: Trim,
        scale: &str,
        tail: &str,
        effect: Option<(Effect, f64)>,
    ) -> Result<Self, JobError> {
        let ist = ictx.streams().best(media::Type::Video).ok_or(JobError::NoVideo)?;
        let mut ctx = codec::context::Context::from_parameters(ist.parameters())?;
        // the job's share of the cores (see the runner): one thread when every core has a job
        ctx.set_threading(codec::threading::Config { kind: codec::threading::Type::Frame, count: ticker.threads(), ..Default::default() });
        let decoder = ctx.decoder().video().map_err(JobError::ffmpeg("no decoder for this video"))?;
        let tb = ist.time_base();
        let sar = decoder.aspect_ratio();
        let sar = if sar.numerator() > 0 { sar } else { Rational(1, 1) };
        let pix: ff::ffi::AVPixelFormat = decoder.format().into();
        let args = format!(
            "video_size={}x{}:pix_fmt={}:time_base={}/{}:pixel_aspect={}/{}",
            decoder.width(),
            decoder.height(),
            pix as i32,
            tb.numerator(),
            tb.denominator().max(1),
            sar.numerator(),
            sar.denominator()
        );
        let spec = format!(
            "{}{}{},{}{}{}",
            rotation_filter(rotation),
            trim.filter(false),
            scale,
            hdr_filter(decoder.color_transfer_characteristic()),
            effect_filter(effect, ist.avg_frame_rate())?,
            tail
        );
        let graph = build_graph("buffer", "buffersink", &args, spec.trim_end_matches(','))?;
        Ok(Pipeline::assemble(ist.index(), "video", decoder.0, graph, None, ticker.cancel()))
    }

    /// Reads every packet of `ictx`, decodes and filters this pipeline's stream, and hands each
    /// frame to `emit`, checking for cancellation between packets; the end included.
    pub fn run(
        &mut self,
        ictx: &mut format::context::Input,
        ticker: &Ticker<'_>,
        emit: &mut dyn FnMut(&frame::Video) -> Result<(), JobError>,
    ) -> Result<(), JobError> {
        while let Some(packet) = next_packet(ictx)? {
            ticker.check()?;
            if packet.stream() == self.stream {
                self.push(&packet, emit)?;
            }
        }
        self.finish(emit)
    }

    pub fn out_time_base(&mut self) -> Rational {
        self.graph.get("out").map(|mut c| c.sink().time_base()).unwrap_or(Rational(1, 1))
    }
}

impl AudioPipeline {
    /// Decodes the best audio stream and converts to the encoder's format, rate, layout and
    /// frame size; frames come out in the encoder's time base.
    pub fn new(ictx: &format::context::Input, cancel: &Cancel, trim: Trim, enc: &ff::encoder::Audio) -> Result<Self, JobError> {
        let ist = ictx.streams().best(media::Type::Audio).ok_or_else(|| JobError::Media("the clip has no audio stream".into()))?;
        let ctx = codec::context::Context::from_parameters(ist.parameters())?;
        let decoder = ctx.decoder().audio().map_err(JobError::ffmpeg("no decoder for this audio"))?;
        let mut layout = decoder.channel_layout();
        if layout.is_empty() {
            layout = ff::ChannelLayout::default(decoder.channels() as i32);
        }
        let args = format!(
            "time_base={}/{}:sample_rate={}:sample_fmt={}:channel_layout=0x{:x}",
            ist.time_base().numerator(),
            ist.time_base().denominator().max(1),
            decoder.rate(),
            decoder.format().name(),
            layout.bits()
        );
        let spec = format!(
            "{}aformat=sample_fmts={}:sample_rates={}:channel_layouts=0x{:x}",
            trim.filter(true),
            enc.format().name(),
            enc.rate(),
            enc.channel_layout().bits()
        );
        let mut graph = build_graph("abuffer", "abuffersink", &args, &spec)?;
        if let Some(mut out) = graph.get("out") {
            out.sink().set_frame_size(enc.frame_size());
        }
        Ok(Pipeline::assemble(ist.index(), "audio", decoder.0, graph, Some(enc.time_base()), cancel))
    }
}

impl<F: DerefMut<Target = ff::Frame> + Empty> Pipeline<F> {
    fn assemble(
        stream: usize,
        what: &'static str,
        decoder: ff::decoder::Opened,
        graph: filter::Graph,
        target_tb: Option<Rational>,
        cancel: &Cancel,
    ) -> Self {
        Pipeline {
            stream,
            what,
            decoder,
            graph,
            decoded: F::empty(),
            filtered: F::empty(),
            end_pts: None,
            target_tb,
            cancel: cancel.clone(),
        }
    }

    /// Feeds one packet; calls `emit` for each filtered frame.
    pub fn push(&mut self, packet: &Packet, emit: &mut dyn FnMut(&F) -> Result<(), JobError>) -> Result<(), JobError> {
        let what = self.what;
        let mut sent = self.decoder.send_packet(packet);
        if sent == Err(ff::Error::Other { errno: ff::util::error::EAGAIN }) {
            self.drain(emit)?; // the decoder wants its frames taken first
            sent = self.decoder.send_packet(packet);
        }
        sent.map_err(JobError::ffmpeg(format!("the {what} does not decode")))?;
        self.drain(emit)
    }

    /// Drains the decoder, closes the filter graph at the stream's real end, emits the rest.
    pub fn finish(&mut self, emit: &mut dyn FnMut(&F) -> Result<(), JobError>) -> Result<(), JobError> {
        let what = format!("the {} decoder cannot finish", self.what);
        more(self.decoder.send_eof(), &what)?;
        self.drain(emit)?;
        let mut src = self.graph.get("in").ok_or_else(|| JobError::Media("filter graph lost its input".into()))?;
        let closed = match self.end_pts {
            Some(end) => src.source().close(end),
            None => src.source().flush(),
        };
        more(closed, "the filter graph cannot finish")?;
        self.pull(emit)
    }

    fn drain(&mut self, emit: &mut dyn FnMut(&F) -> Result<(), JobError>) -> Result<(), JobError> {
        let what = format!("the {} does not decode", self.what);
        while more(self.decoder.receive_frame(&mut self.decoded), &what)? {
            self.cancel.check()?;
            let ts = self.decoded.timestamp();
            self.decoded.set_pts(ts);
            if let Some(t) = ts {
                let end = t.saturating_add(self.decoded.packet().duration.max(0));
                self.end_pts = Some(self.end_pts.map_or(end, |e| e.max(end)));
            }
            let mut src = self.graph.get("in").ok_or_else(|| JobError::Media("filter graph lost its input".into()))?;
            src.source().add(&self.decoded)?;
            self.pull(emit)?;
        }
        Ok(())
    }

    fn pull(&mut self, emit: &mut dyn FnMut(&F) -> Result<(), JobError>) -> Result<(), JobError> {
        loop {
            let mut sink = self.graph.get("out").ok_or_else(|| JobError::Media("filter graph lost its output".into()))?;
            if !more(sink.sink().frame(&mut self.filtered), "the filter graph failed")? {
                return Ok(());
            }
            // a decoded frame keeps its source's picture type, which an encoder takes as an order
            // (x264 forces it): after effects reorder frames, a forced B or P frame breaks the
            // stream ("non monotonically increasing dts"), so encoders choose, as the ffmpeg CLI lets them
            // SAFETY: a plain field write on the frame this pipeline owns.
            unsafe { (*self.filtered.as_mut_ptr()).pict_type = ff::ffi::AVPictureType::AV_PICTURE_TYPE_NONE };
            if let (Some(target), Some(p)) = (self.target_tb, self.filtered.pts()) {
                let sink_tb = sink.sink().time_base();
                self.filtered.set_pts(Some(p.rescale(sink_tb, target)));
            }
            emit(&self.filtered)?;
        }
    }
}

/// Frames that can start empty (ffmpeg-next's video and audio frames).
pub trait Empty {
    fn empty() -> Self;
}

impl Empty for frame::Video {
    fn empty() -> Self {
        frame::Video::empty()
    }
}

impl Empty for frame::Audio {
    fn empty() -> Self {
        frame::Audio::empty()
    }
}

fn build_graph(src: &str, sink: &str, args: &str, spec: &str) -> Result<filter::Graph, JobError> {
    let mut graph = filter::Graph::new();
    let find = |n: &str| filter::find(n).ok_or_else(|| JobError::Unsupported(format!("this FFmpeg lacks the '{n}' filter")));
    graph.add(&find(src)?, "in", args)?;
    graph.add(&find(sink)?, "out", "")?;
    let spec = if spec.is_empty() {
        if src == "buffer" {
            "null"
        } else {
            "anull"
        }
    } else {
        spec
    };
    graph.output("in", 0)?.input("out", 0)?.parse(spec).map_err(JobError::ffmpeg(format!("cannot build the filter chain '{spec}'")))?;
    graph.validate()?;
    Ok(graph)
}
