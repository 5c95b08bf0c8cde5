//! A HEIC's image decoded by FFmpeg's HEVC decoder, tile by tile, into the YCbCr 4:2:0 planes a
//! JPEG holds (docs/formats.md "HEIC stills, decoded"): no round trip through RGB, no chroma
//! the source never had. Each tile is one intra picture; with more than one thread, FFmpeg
//! decodes several at once (frame threads). The tiles are placed on the grid, cut to the
//! image's size, turned and mirrored as the file says, and brought to full range if they are
//! not. Anything else (10-bit, 4:4:4, another matrix than BT.601, a crop) is `None`: the caller
//! decodes it with libheif.

use super::error::JobError;
use crate::meta::heif_image::{CodedImage, Transform};
use ff::{codec, format, frame, util::color, Packet};
use ffmpeg_next as ff;

/// An image as YCbCr planes, BT.601: `y` is `width` x `height`, `cb` and `cr` half that each
/// way, rounded up (4:2:0; neutral for a greyscale image).
#[derive(Debug, Clone, PartialEq)]
pub struct Planes {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u8>,
    pub cb: Vec<u8>,
    pub cr: Vec<u8>,
}

impl Planes {
    /// The chroma planes' size.
    pub fn chroma_size(&self) -> (usize, usize) {
        (self.width.div_ceil(2), self.height.div_ceil(2))
    }

    /// Packed RGB rows (BT.601, full range: JPEG's own conversion), each chroma sample shared by
    /// its 2 x 2 pixels.
    pub fn to_rgb(&self) -> Vec<u8> {
        let (cw, _) = self.chroma_size();
        let mut out = Vec::with_capacity(self.width * self.height * 3);
        for row in 0..self.height {
            for col in 0..self.width {
                let y = f32::from(self.y[row * self.width + col]);
                let c = (row / 2) * cw + col / 2;
                let (cb, cr) = (f32::from(self.cb[c]) - 128.0, f32::from(self.cr[c]) - 128.0);
                let px = [y + 1.402 * cr, y - 0.344_136 * cb - 0.714_136 * cr, y + 1.772 * cb];
                out.extend(px.map(|v| v.round().clamp(0.0, 255.0) as u8));
            }
        }
        out
    }
}

/// Pixels an image may claim from nothing: 64 MP (a 48 MP iPhone photo, a 50 MP Android one).
const PIXELS_FREE: u64 = 64 << 20;
/// Pixels an image may claim beyond that per byte of its file: HEVC codes a flat 512-pixel tile
/// in a few dozen bytes, so a real 200 MP photo of sky still holds far more than this asks.
const PIXELS_PER_BYTE: u64 = 4096;

/// Refuses an image whose claimed size (`ispe`, checked by nobody before the decoder allocates
/// for it) the file's `file_len` bytes cannot hold: memory follows the file's real size.
pub fn check_claimed_size(width: u32, height: u32, file_len: usize) -> Result<(), JobError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > PIXELS_FREE + PIXELS_PER_BYTE * file_len as u64 {
        return Err(JobError::Media(format!(
            "this HEIC claims {width}x{height} pixels ({} MP) in {}: corrupt size fields, not decoded",
            pixels / 1_000_000,
            super::error::size_words(file_len as u64)
        )));
    }
    Ok(())
}

/// Decodes `image` with `threads` threads into full-range planes, as JPEG holds them and libheif
/// gives them (limited-range tiles are stretched). `Ok(None)` when its tiles are not 8-bit 4:2:0
/// BT.601 (or unspecified) YCbCr or 8-bit greyscale: the caller decodes it another way.
pub fn decode(image: &CodedImage, threads: usize) -> Result<Option<Planes>, JobError> {
    super::pipeline::init();
    let bad = |doing: &str| JobError::ffmpeg(format!("FFmpeg cannot {doing} this HEIC's image"));
    let codec = ff::decoder::find(codec::Id::HEVC).ok_or_else(|| JobError::Unsupported("this FFmpeg has no HEVC decoder".into()))?;
    let mut ctx = codec::context::Context::new_with_codec(codec);
    // SAFETY: the context is ours and not open yet; extradata is allocated by FFmpeg's allocator
    // (freed with the context), padded as FFmpeg requires, and filled with the hvcC record
    unsafe {
        let p = ctx.as_mut_ptr();
        let pad = ff::ffi::AV_INPUT_BUFFER_PADDING_SIZE as usize;
        let ext = ff::ffi::av_mallocz(image.config.len() + pad) as *mut u8;
        if ext.is_null() {
            return Err(JobError::Media("out of memory for the decoder's set-up".into()));
        }
        std::ptr::copy_nonoverlapping(image.config.as_ptr(), ext, image.config.len());
        (*p).extradata = ext;
        (*p).extradata_size = image.config.len() as i32;
        (*p).thread_count = threads.clamp(1, 16) as i32;
        (*p).thread_type = ff::ffi::FF_THREAD_FRAME;
    }
    let mut dec = ctx.decoder().video().map_err(bad("open the decoder for"))?;
    let (tw, th) = (image.tile_size.0 as usize, image.tile_size.1 as usize);
    let (w, h) = (image.size.0 as usize, image.size.1 as usize);
    let mut canvas = Canvas::new(w, h, &image.transforms);
    let mut frame = frame::Video::empty();
    let mut placed = 0usize;
    let mut range: Option<color::Range> = None;
    let mut take = |dec: &mut ff::decoder::Video, frame: &mut frame::Video, placed: &mut usize| -> Result<Option<()>, JobError> {
        while dec.receive_frame(frame).is_ok() {
            if !matches!(frame.format(), format::Pixel::YUV420P | format::Pixel::YUVJ420P | format::Pixel::GRAY8)
                || !matches!(frame.color_space(), color::Space::BT470BG | color::Space::SMPTE170M | color::Space::Unspecified)
                || frame.width() as usize != tw
                || frame.height() as usize != th
            {
                return Ok(None);
            }
            let full = frame.format() == format::Pixel::YUVJ420P || frame.color_range() == color::Range::JPEG;
            let this = if full { color::Range::JPEG } else { color::Range::MPEG };
            if range.is_some_and(|r| r != this) {
                return Ok(None);
            }
            range = Some(this);
            let index = usize::try_from(frame.pts().unwrap_or(-1))
                .map_err(|_| JobError::Media("a HEIC tile came back without its place".into()))?;
            if index >= image.tiles.len() {
                return Err(JobError::Media("a HEIC tile came back without its place".into()));
            }
            let (col, row) = (index % image.columns as usize, index / image.columns as usize);
            canvas.place(frame, col * tw, row * th);
            *placed += 1;
        }
        Ok(Some(()))
    };
    for (i, tile) in image.tiles.iter().enumerate() {
        let mut packet = Packet::copy(tile);
        packet.set_pts(Some(i as i64));
        packet.set_dts(Some(i as i64));
        loop {
            match dec.send_packet(&packet) {
                Ok(()) => break,
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => {
                    if take(&mut dec, &mut frame, &mut placed)?.is_none() {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(JobError::Ffmpeg { doing: "decode a tile of this HEIC".into(), source: e }),
            }
        }
        if take(&mut dec, &mut frame, &mut placed)?.is_none() {
            return Ok(None);
        }
    }
    let _ = dec.send_eof();
    if take(&mut dec, &mut frame, &mut placed)?.is_none() {
        return Ok(None);
    }
    if placed != image.tiles.len() {
        return Err(JobError::Media(format!(
            "{} of this HEIC's {} tiles could not be decoded",
            image.tiles.len() - placed,
            image.tiles.len()
        )));
    }
    let mut planes = canvas.planes;
    if range == Some(color::Range::MPEG) {
        to_full_range(&mut planes);
    }
    Ok(Some(planes))
}

/// The image being put together from its tiles, already turned and mirrored: each tile's pixels
/// go straight to where the transforms take them (one pass, no second image in memory).
struct Canvas {
    planes: Planes,
    /// Where a pixel of the untransformed luma and chroma planes goes.
    luma: Mapping,
    chroma: Mapping,
}

impl Canvas {
    fn new(width: usize, height: usize, transforms: &[Transform]) -> Self {
        let (luma, (w, h)) = Mapping::of(transforms, width, height);
        let (chroma, _) = Mapping::of(transforms, width.div_ceil(2), height.div_ceil(2));
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let planes = Planes { width: w, height: h, y: vec![0; w * h], cb: vec![128; cw * ch], cr: vec![128; cw * ch] };
        Canvas { planes, luma, chroma }
    }

    /// Puts `tile`, whose top left corner is at (`x`, `y`) of the untransformed image, in place;
    /// what falls outside the image is left out.
    fn place(&mut self, tile: &frame::Video, x: usize, y: usize) {
        let (tw, th) = (tile.width() as usize, tile.height() as usize);
        let p = &mut self.planes;
        let (luma, chroma) = (self.luma, self.chroma);
        luma.copy(&mut p.y, tile.data(0), tile.stride(0), (tw, th), (x, y));
        if tile.planes() < 3 {
            return; // greyscale: the chroma planes stay neutral
        }
        let (ctw, cth) = (tw.div_ceil(2), th.div_ceil(2));
        chroma.copy(&mut p.cb, tile.data(1), tile.stride(1), (ctw, cth), (x / 2, y / 2));
        chroma.copy(&mut p.cr, tile.data(2), tile.stride(2), (ctw, cth), (x / 2, y / 2));
    }
}

/// Where pixel (x, y) of an untransformed `w` x `h` plane lands in the transformed plane, as an
/// index: `start + x * step_x + y * step_y` (rotations and mirrors move pixels by whole rows and
/// columns).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mapping {
    /// The untransformed size.
    w: usize,
    h: usize,
    start: isize,
    step_x: isize,
    step_y: isize,
}

impl Mapping {
    /// The mapping `transforms` make of a `w` x `h` plane, and the transformed size.
    fn of(transforms: &[Transform], w: usize, h: usize) -> (Mapping, (usize, usize)) {
        // follow three points through the transforms: the origin and one step along each axis
        let (mut pts, mut size) = ([(0isize, 0isize), (1, 0), (0, 1)], (w as isize, h as isize));
        for t in transforms {
            for p in pts.iter_mut() {
                *p = match *t {
                    Transform::Rotate(q) => (0..q & 3).fold(*p, |(x, y), i| {
                        // one quarter turn counter-clockwise of a plane `sw` wide
                        let sw = if i % 2 == 0 { size.0 } else { size.1 };
                        (y, sw - 1 - x)
                    }),
                    Transform::Mirror(0) => (size.0 - 1 - p.0, p.1),
                    Transform::Mirror(_) => (p.0, size.1 - 1 - p.1),
                };
            }
            if let Transform::Rotate(q) = t {
                if q & 1 == 1 {
                    size = (size.1, size.0);
                }
            }
        }
        let index = |(x, y): (isize, isize)| y * size.0 + x;
        let start = index(pts[0]);
        let m = Mapping { w, h, start, step_x: index(pts[1]) - start, step_y: index(pts[2]) - start };
        (m, (size.0 as usize, size.1 as usize))
    }

    /// Copies a `size` block of rows `stride` apart in `src`, whose top left corner is at `at` in
    /// the untransformed plane, to where it lands in `dst`.
    fn copy(&self, dst: &mut [u8], src: &[u8], stride: usize, size: (usize, usize), at: (usize, usize)) {
        let cols = size.0.min(self.w.saturating_sub(at.0));
        for row in 0..size.1.min(self.h.saturating_sub(at.1)) {
            let Some(from) = src.get(row * stride..row * stride + cols) else { return };
            let first = self.start + at.0 as isize * self.step_x + (at.1 + row) as isize * self.step_y;
            if self.step_x == 1 {
                if let Some(to) = usize::try_from(first).ok().and_then(|f| dst.get_mut(f..f + cols)) {
                    to.copy_from_slice(from);
                }
                continue;
            }
            for (i, v) in from.iter().enumerate() {
                if let Some(d) = usize::try_from(first + i as isize * self.step_x).ok().and_then(|f| dst.get_mut(f)) {
                    *d = *v;
                }
            }
        }
    }
}

/// Limited-range (video) levels stretched to full range: Y 16..235, Cb and Cr 16..240 to 0..255.
fn to_full_range(p: &mut Planes) {
    let lut = |lo: f64, span: f64, mid: bool| -> [u8; 256] {
        std::array::from_fn(|v| {
            let v = v as f64;
            let out = if mid { (v - 128.0) * 255.0 / span + 128.0 } else { (v - lo) * 255.0 / span };
            out.round().clamp(0.0, 255.0) as u8
        })
    };
    let (luma, chroma) = (lut(16.0, 219.0, false), lut(16.0, 224.0, true));
    p.y.iter_mut().for_each(|v| *v = luma[usize::from(*v)]);
    p.cb.iter_mut().chain(p.cr.iter_mut()).for_each(|v| *v = chroma[usize::from(*v)]);
}

#[cfg(test)]
#[allow(clippy::print_stdout)] // the tests say what they checked
mod tests {
    use super::*;

    /// The 3 x 2 plane `a b c / d e f` after `transforms`, placed as two tiles (its left 2
    /// columns, then its right one).
    fn after(transforms: &[Transform]) -> (Vec<u8>, usize) {
        let (m, (w, h)) = Mapping::of(transforms, 3, 2);
        let mut out = vec![b'.'; w * h];
        m.copy(&mut out, b"ab de", 3, (2, 2), (0, 0));
        m.copy(&mut out, b"c.f", 2, (1, 2), (2, 0));
        (out, w)
    }

    #[test]
    fn turns_and_mirrors_move_each_pixel_where_the_spec_says() {
        assert_eq!(after(&[]), (b"abcdef".to_vec(), 3));
        assert_eq!(after(&[Transform::Rotate(1)]), (b"cfbead".to_vec(), 2), "a quarter turn counter-clockwise: c f / b e / a d");
        assert_eq!(after(&[Transform::Rotate(3)]), (b"daebfc".to_vec(), 2), "three quarters: d a / e b / f c");
        assert_eq!(after(&[Transform::Rotate(2)]), (b"fedcba".to_vec(), 3));
        assert_eq!(after(&[Transform::Mirror(0)]), (b"cbafed".to_vec(), 3), "about the vertical axis");
        assert_eq!(after(&[Transform::Mirror(1)]), (b"defabc".to_vec(), 3), "about the horizontal axis");
        // in order: turned, then mirrored (ISO/IEC 23008-12 applies them as listed)
        assert_eq!(after(&[Transform::Rotate(1), Transform::Mirror(0)]), (b"fcebda".to_vec(), 2));
    }

    #[test]
    fn video_levels_reach_the_full_range() {
        let mut p = Planes { width: 2, height: 1, y: vec![16, 235], cb: vec![16], cr: vec![240] };
        to_full_range(&mut p);
        assert_eq!((p.y, p.cr), (vec![0, 255], vec![255]));
        assert!(p.cb[0] <= 1, "16 is half a level above 0 on the full scale");
    }

    /// Our planes against libheif 1.23's decode of the same image to YCbCr 4:2:0 (transforms
    /// applied): the same size and, plane by plane, the same values (mean difference under half a
    /// level: the two HEVC decoders agree; placement, turns and mirrors are ours).
    fn matches_libheif(file: &[u8], what: &str) -> bool {
        let Some(coded) = crate::meta::heif_image::primary(file).unwrap() else { return false };
        // libheif gives full-range planes, whatever the coded levels: as decode does
        let Some(planes) = decode(&coded, 2).unwrap() else { return false };
        let ctx = libheif_rs::HeifContext::read_from_bytes(file).unwrap();
        let handle = ctx.primary_image_handle().unwrap();
        let theirs = libheif_rs::LibHeif::new().decode(&handle, libheif_rs::ColorSpace::YCbCr(libheif_rs::Chroma::C420), None).unwrap();
        let p = theirs.planes();
        let (cw, ch) = planes.chroma_size();
        for (name, ours, plane, (w, h)) in [
            ("Y", &planes.y, p.y.unwrap(), (planes.width, planes.height)),
            ("Cb", &planes.cb, p.cb.unwrap(), (cw, ch)),
            ("Cr", &planes.cr, p.cr.unwrap(), (cw, ch)),
        ] {
            assert_eq!((w, h), (plane.width as usize, plane.height as usize), "{what}: {name} plane's size (upright)");
            let diff: u64 = (0..h)
                .flat_map(|r| (0..w).map(move |c| (r, c)))
                .map(|(r, c)| u64::from(ours[r * w + c].abs_diff(plane.data[r * plane.stride + c])))
                .sum();
            let mean = diff as f64 / (w * h) as f64;
            assert!(mean < 0.5, "{what}: {name} differs from libheif's by {mean:.3} on average");
        }
        true
    }

    #[test]
    fn a_fixture_heic_decodes_to_the_planes_libheif_gives() {
        let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/heic_mov/IMG_0001.HEIC")).unwrap();
        assert!(matches_libheif(&file, "the fixture"), "the fixture is decoded by its tiles");
    }

    /// Every real HEIC of the samples (iPhone 7 to 15, iOS 12 to 18.2, turned, 12 and 24 MP;
    /// Samsung): those this decoder takes match libheif's decode; the iPhones' all are taken.
    #[test]
    fn real_heics_decode_to_the_planes_libheif_gives() {
        let Some(dir) = std::env::var_os("LIVEPHOTO_SAMPLES").map(std::path::PathBuf::from) else {
            println!("note: LIVEPHOTO_SAMPLES is not set; the real HEICs are not checked");
            return;
        };
        let mut taken = Vec::new();
        for sub in ["apple", "apple-ios18", "android"] {
            let files = std::fs::read_dir(dir.join(sub)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(sub).display()));
            for f in files.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("heic"))) {
                let bytes = std::fs::read(&f).unwrap();
                if matches_libheif(&bytes, &f.display().to_string()) {
                    taken.push(f.file_name().unwrap().to_string_lossy().into_owned());
                }
            }
        }
        println!("decoded by their tiles: {taken:?}");
        // more real HEICs, from elsewhere (LIVEPHOTO_MORE_HEICS: a folder of them), checked the same way
        if let Some(more) = std::env::var_os("LIVEPHOTO_MORE_HEICS") {
            let mut other = (Vec::new(), Vec::new());
            for f in std::fs::read_dir(more)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x.len() == 4 || x == "HIF" || x == "hif"))
            {
                let bytes = std::fs::read(&f).unwrap();
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                if matches_libheif(&bytes, &name) {
                    other.0.push(name)
                } else {
                    other.1.push(name)
                }
            }
            println!("more: decoded by their tiles {:?}; through libheif {:?}", other.0, other.1);
        }
        for iphone in ["230708_TessSug_Demo-LA_BD_iV190163.HEIC", "IMG_2682.heic", "classic-car.heic", "IMG_3853.HEIC"] {
            assert!(taken.iter().any(|t| t == iphone), "{iphone} goes through libheif: {taken:?}");
        }
    }
}
