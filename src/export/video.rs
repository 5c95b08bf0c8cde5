//! MP4 export. `copy` remuxes the video untouched (HEVC tagged `hvc1` so Apple players accept it,
//! display matrix kept) and `h264` re-encodes with libx264 (yuv420p, even size, rotation applied).
//! Audio MP4 cannot hold (camera `lpcm`) becomes AAC; AAC is copied. Timed-metadata (`mebx`)
//! tracks are dropped. Capture time is written as MP4 `creation_time`; location as FFmpeg's `loci`
//! and, by [`super::location`], where players read it (`©xyz`, the ISO 6709 key).

use super::control::{Cancel, Ticker};
use super::error::JobError;
use super::filters::Effect;
use super::pipeline::{fd_url, more, next_packet, open_input, AudioPipeline, ClipSource, Trim, VideoPipeline};
use super::writer::{ExportMeta, Mp4Codec, Reencoded};
use ff::{codec, encoder, format, media, Dictionary, Packet, Rational};
use ffmpeg_next as ff;
use std::fs::File;

/// Where each input stream goes.
enum Route {
    Drop,
    Copy { ost: usize, itb: Rational },
    Video,
    Audio,
}

/// The H.264 encoder and the durations of the frames it holds, by pts.
struct VideoEnc {
    enc: encoder::Video,
    durations: std::collections::HashMap<i64, i64>,
    last_pts: Option<i64>,
    /// An effect made the frames (at a constant rate): a frame's own duration is its source
    /// frame's, not its place in the new clip, so each lasts until the next (the last as the
    /// one before it).
    constant_rate: bool,
}

impl VideoEnc {
    fn send(&mut self, f: &ff::frame::Video) -> Result<(), JobError> {
        // Some filters (fps, xfade) change the time base without rescaling a frame's duration:
        // one that claims over a second is not a Live Photo frame's, and is left to the muxer.
        let tb = self.enc.time_base();
        let d = f.packet().duration;
        let plausible = !self.constant_rate && d > 0 && (d as f64) * f64::from(tb.numerator()) <= f64::from(tb.denominator());
        if let Some(t) = f.pts() {
            // such a frame lasts as long as the one before it
            let d = if plausible { Some(d) } else { self.last_pts.map(|p| t - p).filter(|&g| g > 0) };
            if let Some(d) = d {
                self.durations.insert(t, d);
            }
            self.last_pts = Some(t);
        }
        self.enc.send_frame(f)?;
        Ok(())
    }
}

struct Encoders {
    video: Option<(VideoPipeline, VideoEnc, usize)>,
    audio: Option<(AudioPipeline, encoder::Audio, usize)>,
}

/// Writes `clip` as an MP4 into `dest` (the pending output, reached through its descriptor so
/// any folder name works). Returns the video frames written, and why the video was
/// re-encoded when it was.
pub fn to_mp4(
    clip: ClipSource<'_>,
    dest: &mut File,
    meta: &ExportMeta,
    codec_choice: Mp4Codec,
    trim: Trim,
    effect: Option<(Effect, f64)>,
    ticker: &Ticker<'_>,
) -> Result<(u64, Option<Reencoded>), JobError> {
    let mut ictx = open_input(clip)?;
    let mut octx = format::output_as(&fd_url(dest), "mp4").map_err(JobError::ffmpeg("cannot create the MP4"))?;
    let best_v = ictx.streams().best(media::Type::Video).map(|s| s.index());
    let video_codec = best_v.and_then(|v| ictx.stream(v)).map(|s| s.parameters().id());
    // `auto`: an MP4 that plays everywhere. H.264 is copied untouched; anything else (HEVC, 10-bit
    // HDR) becomes 8-bit H.264, tone-mapped and upright. Exact trims and effects need a re-encode too.
    let reencoded = match codec_choice {
        Mp4Codec::H264 => Some(Reencoded::Asked),
        Mp4Codec::Copy => None,
        Mp4Codec::Auto => match video_codec {
            Some(c) if c != codec::Id::H264 => Some(Reencoded::Codec(codec_word(c))),
            _ if effect.is_some() => Some(Reencoded::Effect),
            _ if trim.is_set() => Some(Reencoded::Trimmed),
            _ => None,
        },
    };
    let reencode = reencoded.is_some();
    // Photos drops the sound of Bounce and Loop: it would not follow the pictures
    let best_a = ictx.streams().best(media::Type::Audio).map(|s| s.index()).filter(|_| effect.is_none());
    let mut routes: Vec<Route> = (0..ictx.nb_streams()).map(|_| Route::Drop).collect();
    let mut enc = Encoders { video: None, audio: None };

    if let Some(v) = best_v {
        if reencode {
            enc.video = Some(h264_encoder(&ictx, &mut octx, ticker, meta.rotation, trim, effect)?);
            routes[v] = Route::Video;
        } else {
            routes[v] = copy_stream(&ictx, &mut octx, v)?;
        }
    } else {
        return Err(JobError::NoVideo);
    }
    if let Some(a) = best_a {
        let is_aac = ictx.stream(a).is_some_and(|s| s.parameters().id() == codec::Id::AAC);
        if is_aac && !trim.is_set() {
            routes[a] = copy_stream(&ictx, &mut octx, a)?;
        } else {
            enc.audio = Some(aac_encoder(&ictx, &mut octx, ticker.cancel(), trim)?);
            routes[a] = Route::Audio;
        }
    }
    octx.set_metadata(container_metadata(meta));
    let mut mux = Dictionary::new();
    mux.set("movflags", "+faststart"); // the index first: players start before the file has loaded
    octx.write_header_with(mux).map_err(JobError::ffmpeg("cannot write the MP4 header"))?;
    let frames = pump(&mut ictx, &mut octx, &routes, &mut enc, ticker)?;
    octx.write_trailer().map_err(JobError::ffmpeg("cannot finish the MP4"))?;
    drop(octx); // FFmpeg's own handle on the file is closed: what it wrote is all there
    if let Some(place) = &meta.location {
        super::location::add_to_file(dest, place)?;
    }
    Ok((frames, reencoded))
}

/// FFmpeg's short name of a codec (`hevc`, `prores`).
fn codec_word(id: codec::Id) -> String {
    ff::codec::decoder::find(id).map_or_else(|| format!("{id:?}").to_lowercase(), |c| c.name().to_string())
}

fn container_metadata(meta: &ExportMeta) -> Dictionary<'static> {
    let mut d = Dictionary::new();
    if let Some(t) = &meta.creation_time {
        d.set("creation_time", t);
    }
    if let Some(l) = &meta.location {
        d.set("location", l);
    }
    if let Some(m) = &meta.make {
        d.set("make", m);
    }
    if let Some(m) = &meta.model {
        d.set("model", m);
    }
    d
}

fn copy_stream(ictx: &format::context::Input, octx: &mut format::context::Output, index: usize) -> Result<Route, JobError> {
    let ist = ictx.stream(index).ok_or_else(|| JobError::Media("stream vanished".into()))?;
    let mut ost = octx.add_stream(encoder::find(codec::Id::None))?;
    ost.set_parameters(ist.parameters());
    ost.set_time_base(ist.time_base());
    let is_hevc = ist.parameters().id() == codec::Id::HEVC;
    // SAFETY: plain field writes on the stream's own codec parameters and side data, owned by octx.
    unsafe {
        (*ost.parameters().as_mut_ptr()).codec_tag = if is_hevc { u32::from_le_bytes(*b"hvc1") } else { 0 };
        for sd in ist.side_data() {
            if sd.kind() == codec::packet::side_data::Type::DisplayMatrix {
                let data = sd.data();
                let dst = ff::ffi::av_stream_new_side_data(
                    ost.as_mut_ptr(),
                    ff::ffi::AVPacketSideDataType::AV_PKT_DATA_DISPLAYMATRIX,
                    data.len(),
                );
                if !dst.is_null() {
                    std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len());
                }
            }
        }
    }
    Ok(Route::Copy { ost: ost.index(), itb: ist.time_base() })
}

fn h264_encoder(
    ictx: &format::context::Input,
    octx: &mut format::context::Output,
    ticker: &Ticker<'_>,
    rotation: u16,
    trim: Trim,
    effect: Option<(Effect, f64)>,
) -> Result<(VideoPipeline, VideoEnc, usize), JobError> {
    let mut pipe = VideoPipeline::new(ictx, ticker, rotation, trim, "scale=trunc(iw/2)*2:trunc(ih/2)*2", "format=yuv420p", effect)?;
    let ist = ictx.streams().best(media::Type::Video).ok_or(JobError::NoVideo)?;
    let par = ist.parameters();
    // SAFETY: reading plain fields of the input stream's codec parameters.
    let (w, h, source_bps) = unsafe { ((*par.as_ptr()).width as u32, (*par.as_ptr()).height as u32, (*par.as_ptr()).bit_rate) };
    let (w, h) = if rotation == 90 || rotation == 270 { (h, w) } else { (w, h) };
    let x264 = encoder::find_by_name("libx264").ok_or_else(|| JobError::Unsupported("this FFmpeg has no libx264 encoder".into()))?;
    let global = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
    let mut ost = octx.add_stream(x264)?;
    let mut e = codec::context::Context::new_with_codec(x264).encoder().video()?;
    e.set_width(w & !1);
    e.set_height(h & !1);
    e.set_format(format::Pixel::YUV420P);
    let tb = pipe.out_time_base();
    e.set_time_base(tb);
    e.set_frame_rate(Some(ist.avg_frame_rate()));
    if global {
        e.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    // CRF 20, capped at the source's own video bit rate: measured on real clips (README,
    // "MP4 quality"), the cap keeps a long re-encode no larger than its source at an SSIM of
    // 0.98, where plain CRF 20 made a 5 Mbit/s iPhone H.264 clip 1.13x larger. Preset `veryfast`:
    // on an iOS 18 HEVC clip (1920x1440, 42 frames, one core) medium took 7.05 s for 4.90 MB at
    // SSIM 0.9852, faster 4.09 s / 4.92 MB / 0.9842, veryfast 2.88 s / 4.72 MB / 0.9818,
    // superfast 2.22 s but 5.54 MB; `slow` measured no better than medium (SSIM +0.0002).
    let mut opts = Dictionary::new();
    opts.set("preset", "veryfast");
    opts.set("crf", "20");
    opts.set("threads", &ticker.threads().to_string());
    // Above 2 megapixels (today's 1920x1440 clips) x264's lookahead and B-frames hold most of a
    // job's memory. On 20 iOS 18 clips (2 jobs): rc-lookahead 3 and 1 B-frame peak at 387 MB
    // (veryfast's 10 and 3: 579 MB) with fewer bytes (0.95x) at the same SSIM (0.982), and
    // faster; 1 B-frame with lookahead 5 peaked at 421 MB. On a 1440x1080 clip they cost 4.6%
    // more bytes at SSIM -0.002, so smaller frames keep the preset's own.
    if u64::from(w) * u64::from(h) > 2_000_000 {
        opts.set("x264-params", "rc-lookahead=3:bframes=1");
    }
    if source_bps > 0 {
        opts.set("maxrate", &source_bps.to_string());
        opts.set("bufsize", &(source_bps * 2).to_string());
    }
    let opened = e.open_as_with(x264, opts).map_err(JobError::ffmpeg("cannot start the H.264 encoder"))?;
    ost.set_parameters(&opened);
    ost.set_time_base(tb);
    let index = ost.index();
    let enc = VideoEnc { enc: opened, durations: Default::default(), last_pts: None, constant_rate: effect.is_some() };
    Ok((pipe, enc, index))
}

fn aac_encoder(
    ictx: &format::context::Input,
    octx: &mut format::context::Output,
    cancel: &Cancel,
    trim: Trim,
) -> Result<(AudioPipeline, encoder::Audio, usize), JobError> {
    let ist = ictx.streams().best(media::Type::Audio).ok_or_else(|| JobError::Media("the clip has no audio stream".into()))?;
    let dec = codec::context::Context::from_parameters(ist.parameters())?.decoder().audio()?;
    let aac = encoder::find(codec::Id::AAC).ok_or_else(|| JobError::Unsupported("this FFmpeg has no AAC encoder".into()))?;
    let global = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
    let mut ost = octx.add_stream(aac)?;
    let mut e = codec::context::Context::new_with_codec(aac).encoder().audio()?;
    let channels = dec.channels().clamp(1, 2);
    let layout = ff::ChannelLayout::default(i32::from(channels));
    e.set_rate(dec.rate() as i32);
    e.set_channel_layout(layout);
    e.set_format(format::Sample::F32(format::sample::Type::Planar));
    e.set_bit_rate(64_000 * usize::from(channels));
    e.set_time_base((1, dec.rate() as i32));
    if global {
        e.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    let opened = e.open_as(aac).map_err(JobError::ffmpeg("cannot start the AAC encoder"))?;
    ost.set_parameters(&opened);
    ost.set_time_base((1, dec.rate() as i32));
    let pipe = AudioPipeline::new(ictx, cancel, trim, &opened)?;
    Ok((pipe, opened, ost.index()))
}

/// Moves every packet to its route, then flushes the encoders.
fn pump(
    ictx: &mut format::context::Input,
    octx: &mut format::context::Output,
    routes: &[Route],
    enc: &mut Encoders,
    ticker: &Ticker<'_>,
) -> Result<u64, JobError> {
    let mut frames = 0u64;
    let video_index = ictx.streams().best(media::Type::Video).map(|s| s.index());
    while let Some(mut packet) = next_packet(ictx)? {
        ticker.check()?;
        let stream = packet.stream();
        match routes.get(stream).unwrap_or(&Route::Drop) {
            Route::Drop => {}
            Route::Copy { ost, itb } => {
                let otb = octx.stream(*ost).map(|s| s.time_base()).unwrap_or(*itb);
                packet.rescale_ts(*itb, otb);
                packet.set_position(-1);
                packet.set_stream(*ost);
                packet.write_interleaved(octx).map_err(write_error)?;
                if Some(stream) == video_index {
                    frames += 1;
                    ticker.frames(frames);
                }
            }
            Route::Video => {
                if let Some((pipe, e, ost)) = enc.video.as_mut() {
                    let otb = octx.stream(*ost).map(|s| s.time_base()).unwrap_or(Rational(1, 90000));
                    let itb = e.enc.time_base();
                    pipe.push(&packet, &mut |f| {
                        e.send(f)?;
                        frames += 1;
                        ticker.frames(frames);
                        drain_video(e, octx, *ost, itb, otb)
                    })?;
                }
            }
            Route::Audio => push_audio(enc, octx, &packet)?,
        }
    }
    finish(enc, octx, &mut frames, ticker)?;
    Ok(frames)
}

fn push_audio(enc: &mut Encoders, octx: &mut format::context::Output, packet: &Packet) -> Result<(), JobError> {
    if let Some((pipe, e, ost)) = enc.audio.as_mut() {
        let otb = octx.stream(*ost).map(|s| s.time_base()).unwrap_or(Rational(1, 48000));
        let etb = e.time_base();
        pipe.push(packet, &mut |f| {
            e.send_frame(f)?;
            drain_audio(e, octx, *ost, etb, otb)
        })?;
    }
    Ok(())
}

fn finish(enc: &mut Encoders, octx: &mut format::context::Output, frames: &mut u64, ticker: &Ticker<'_>) -> Result<(), JobError> {
    if let Some((pipe, e, ost)) = enc.video.as_mut() {
        let otb = octx.stream(*ost).map(|s| s.time_base()).unwrap_or(Rational(1, 90000));
        let itb = e.enc.time_base();
        pipe.finish(&mut |f| {
            e.send(f)?;
            *frames += 1;
            ticker.frames(*frames);
            drain_video(e, octx, *ost, itb, otb)
        })?;
        more(e.enc.send_eof(), "the H.264 encoder cannot finish")?;
        drain_video(e, octx, *ost, itb, otb)?;
    }
    if let Some((pipe, e, ost)) = enc.audio.as_mut() {
        let otb = octx.stream(*ost).map(|s| s.time_base()).unwrap_or(Rational(1, 48000));
        let etb = e.time_base();
        pipe.finish(&mut |f| {
            e.send_frame(f)?;
            drain_audio(e, octx, *ost, etb, otb)
        })?;
        more(e.send_eof(), "the AAC encoder cannot finish")?;
        drain_audio(e, octx, *ost, etb, otb)?;
    }
    Ok(())
}

fn drain_video(e: &mut VideoEnc, octx: &mut format::context::Output, ost: usize, itb: Rational, otb: Rational) -> Result<(), JobError> {
    write_encoded(octx, ost, itb, otb, |p| {
        let got = more(e.enc.receive_packet(p), "the H.264 encoder failed")?;
        // x264 does not carry frame durations to packets: give each packet its frame's own, so
        // the last frame counts in the duration exactly as in the source.
        if let Some(d) = p.pts().filter(|_| got).and_then(|t| e.durations.remove(&t)) {
            p.set_duration(d);
        }
        Ok(got)
    })
}

fn drain_audio(
    e: &mut encoder::Audio,
    octx: &mut format::context::Output,
    ost: usize,
    itb: Rational,
    otb: Rational,
) -> Result<(), JobError> {
    write_encoded(octx, ost, itb, otb, |p| more(e.receive_packet(p), "the AAC encoder failed"))
}

/// Writes every packet `next` yields (it fills the packet and says whether there was one) to
/// output stream `ost`, from the encoder's time base `itb` to the stream's `otb`.
fn write_encoded(
    octx: &mut format::context::Output,
    ost: usize,
    itb: Rational,
    otb: Rational,
    mut next: impl FnMut(&mut Packet) -> Result<bool, JobError>,
) -> Result<(), JobError> {
    let mut p = Packet::empty();
    while next(&mut p)? {
        p.set_stream(ost);
        p.rescale_ts(itb, otb);
        p.write_interleaved(octx).map_err(write_error)?;
    }
    Ok(())
}

/// Write failures are almost always the disk: say so.
fn write_error(e: ff::Error) -> JobError {
    match e {
        ff::Error::Other { errno: 28 } => {
            JobError::Io { doing: "cannot write the MP4".into(), source: std::io::Error::from_raw_os_error(28) }
        }
        other => JobError::Ffmpeg { doing: "cannot write the MP4".into(), source: other },
    }
}
