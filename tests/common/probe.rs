//! What a person checks in an export, read with ffmpeg-next: decoded frame count, duration,
//! codecs, size, rotation and container tags.

use ffmpeg_next as ff;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Probe {
    pub frames: u64,
    pub duration: f64,
    pub video_codec: String,
    pub codec_tag: String,
    pub width: u32,
    pub height: u32,
    /// Display-matrix rotation as ffmpeg reports it (counter-clockwise degrees).
    pub rotation: Option<f64>,
    pub audio_codec: Option<String>,
    pub data_streams: usize,
    pub creation_time: Option<String>,
    pub location: Option<String>,
}

pub fn probe(path: &Path) -> Probe {
    ff::init().unwrap();
    ff::util::log::set_level(ff::util::log::Level::Fatal);
    // through the descriptor, as livephoto does: names need not be UTF-8
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let url = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
    let mut ictx = ff::format::input(&url).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut p = Probe {
        duration: ictx.duration() as f64 / f64::from(ff::ffi::AV_TIME_BASE),
        creation_time: ictx.metadata().get("creation_time").map(String::from),
        location: ictx.metadata().get("location").map(String::from),
        ..Default::default()
    };
    let vs = ictx.streams().best(ff::media::Type::Video).expect("video stream");
    let vi = vs.index();
    let par = vs.parameters();
    p.video_codec = par.id().name().to_string();
    // SAFETY: reading plain fields of the stream's codec parameters.
    unsafe {
        let raw = par.as_ptr();
        p.codec_tag = String::from_utf8_lossy(&(*raw).codec_tag.to_le_bytes()).into_owned();
        p.width = (*raw).width as u32;
        p.height = (*raw).height as u32;
    }
    for sd in vs.side_data() {
        if sd.kind() == ff::codec::packet::side_data::Type::DisplayMatrix {
            // SAFETY: display matrix side data is 9 i32s, as av_display_rotation_get expects.
            p.rotation = Some(unsafe { ff::ffi::av_display_rotation_get(sd.data().as_ptr() as *const i32) });
        }
    }
    for s in ictx.streams() {
        match s.parameters().medium() {
            ff::media::Type::Audio if p.audio_codec.is_none() => p.audio_codec = Some(s.parameters().id().name().to_string()),
            ff::media::Type::Data => p.data_streams += 1,
            _ => {}
        }
    }
    let ctx = ff::codec::context::Context::from_parameters(par).unwrap();
    let mut dec = ctx.decoder().video().unwrap();
    let mut frame = ff::frame::Video::empty();
    for (s, packet) in ictx.packets() {
        if s.index() == vi {
            dec.send_packet(&packet).unwrap();
            while dec.receive_frame(&mut frame).is_ok() {
                p.frames += 1;
            }
        }
    }
    dec.send_eof().unwrap();
    while dec.receive_frame(&mut frame).is_ok() {
        p.frames += 1;
    }
    p
}

/// Mean HSV saturation of the first frame (0..1): a washed-out HDR export scores low.
pub fn first_frame_saturation(path: &Path) -> f64 {
    let frames = rgb_frames(path);
    let first = frames.first().expect("a decoded frame");
    let pixels = first.chunks_exact(3);
    let n = pixels.len().max(1) as f64;
    pixels
        .map(|px| {
            let (mx, mn) = (px.iter().max().copied().unwrap_or(0), px.iter().min().copied().unwrap_or(0));
            if mx == 0 {
                0.0
            } else {
                f64::from(mx - mn) / f64::from(mx)
            }
        })
        .sum::<f64>()
        / n
}

/// Every decoded video frame of `path` as packed RGB (small test files only).
pub fn rgb_frames(path: &Path) -> Vec<Vec<u8>> {
    ff::init().unwrap();
    let mut ictx = ff::format::input(path).unwrap();
    let vs = ictx.streams().best(ff::media::Type::Video).unwrap();
    let vi = vs.index();
    let mut dec = ff::codec::context::Context::from_parameters(vs.parameters()).unwrap().decoder().video().unwrap();
    let mut out = Vec::new();
    let take = |dec: &mut ff::decoder::Video, out: &mut Vec<Vec<u8>>| {
        let mut frame = ff::frame::Video::empty();
        while dec.receive_frame(&mut frame).is_ok() {
            let (w, h) = (frame.width(), frame.height());
            let mut scaler = ff::software::scaling::Context::get(
                frame.format(),
                w,
                h,
                ff::format::Pixel::RGB24,
                w,
                h,
                ff::software::scaling::Flags::BILINEAR,
            )
            .unwrap();
            let mut rgb = ff::frame::Video::empty();
            scaler.run(&frame, &mut rgb).unwrap();
            let stride = rgb.stride(0);
            out.push((0..h as usize).flat_map(|y| rgb.data(0)[y * stride..y * stride + w as usize * 3].to_vec()).collect());
        }
    };
    for (s, packet) in ictx.packets() {
        if s.index() == vi {
            dec.send_packet(&packet).unwrap();
            take(&mut dec, &mut out);
        }
    }
    dec.send_eof().unwrap();
    take(&mut dec, &mut out);
    out
}

/// Mean absolute difference of two RGB frames, 0..255.
pub fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x.abs_diff(*y))).sum::<f64>() / a.len().max(1) as f64
}
