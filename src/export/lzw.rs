//! GIF's LZW, written here (instead of the gif crate's exact encoder) for its lossy mode, the
//! technique of gifsicle's `--lossy` and gifski: when the next pixel does not extend the current
//! dictionary string exactly, a string whose next pixel's colour is within the tolerance of
//! the wanted one is taken instead. Long strings are kept, so fewer codes are written, and each
//! substituted pixel stays within the tolerance of what the ditherer chose. A transparent
//! pixel (the frame keeps what is shown) may take any colour close to what is shown there, and
//! an opaque one may become transparent when what is shown is close to it.
//!
//! With no tolerance the output is plain LZW of the pixels, decoded bit for bit.

use super::palette::TRANSPARENT;

const MAX_CODES: usize = 4096;
const MIN_CODE_SIZE: u8 = 8;
const CLEAR: u16 = 1 << MIN_CODE_SIZE;
const END: u16 = CLEAR + 1;
const NONE: u16 = u16::MAX;

/// How far a pixel may move, as a squared RGB distance between palette colours.
pub(super) struct Tolerance {
    /// Squared distance between every two palette entries (256 × 256).
    dist: Vec<u32>,
    limit: u32,
}

impl Tolerance {
    pub(super) fn new(palette: &[[u8; 3]], limit: u32) -> Self {
        let mut dist = vec![u32::MAX; 256 * 256];
        for (i, a) in palette.iter().enumerate() {
            for (j, b) in palette.iter().enumerate() {
                dist[i * 256 + j] = (0..3).map(|c| (i32::from(a[c]) - i32::from(b[c])).unsigned_abs().pow(2)).sum();
            }
        }
        Tolerance { dist, limit }
    }
}

/// Dictionary and bit packer, kept between frames (the child table is 2 MiB).
pub(super) struct Lzw {
    /// `child[code * 256 + pixel]`: the code of `code`'s string extended by `pixel`.
    child: Vec<u16>,
    /// Entries set since the last reset, to clear them without wiping the whole table.
    set: Vec<u32>,
    first_child: Vec<u16>,
    next_sibling: Vec<u16>,
    last_pixel: Vec<u8>,
}

impl Lzw {
    pub(super) fn new() -> Self {
        Lzw {
            child: vec![NONE; MAX_CODES * 256],
            set: Vec::new(),
            first_child: vec![NONE; MAX_CODES],
            next_sibling: vec![NONE; MAX_CODES],
            last_pixel: vec![0; MAX_CODES],
        }
    }

    fn reset(&mut self) {
        for &i in &self.set {
            self.child[i as usize] = NONE;
        }
        self.set.clear();
        self.first_child.iter_mut().for_each(|c| *c = NONE);
    }

    fn add(&mut self, code: u16, pixel: u8, new: u16) {
        let i = usize::from(code) * 256 + usize::from(pixel);
        self.child[i] = new;
        self.set.push(i as u32);
        self.next_sibling[usize::from(new)] = self.first_child[usize::from(code)];
        self.first_child[usize::from(code)] = new;
        self.last_pixel[usize::from(new)] = pixel;
    }

    /// The child of `code` whose pixel may stand for `pixels[i]`, the closest.
    fn close_child(&self, code: u16, want: u8, under: Option<u8>, tol: &Tolerance, limit: u32) -> Option<u16> {
        let colour = |p: u8| if p == TRANSPARENT { under } else { Some(p) };
        let want = colour(want)?;
        let mut best = (limit.min(tol.limit) + 1, NONE);
        let mut c = self.first_child[usize::from(code)];
        while c != NONE {
            if let Some(got) = colour(self.last_pixel[usize::from(c)]) {
                let d = tol.dist[usize::from(want) * 256 + usize::from(got)];
                if d < best.0 {
                    best = (d, c);
                }
            }
            c = self.next_sibling[usize::from(c)];
        }
        (best.1 != NONE).then_some(best.1)
    }

    /// LZW-encodes `pixels` (8-bit codes), the minimum code size first, as
    /// [`gif::Encoder::write_lzw_pre_encoded_frame`] takes it. With a tolerance, pixels may be
    /// replaced (in place) by close ones; `under` is what is shown below each pixel (for
    /// frames after the first).
    pub(super) fn encode(&mut self, pixels: &mut [u8], under: Option<&[u8]>, lossy: Option<(&Tolerance, &[u16])>) -> Vec<u8> {
        let mut out = Bits { bytes: vec![MIN_CODE_SIZE], acc: 0, n: 0, width: MIN_CODE_SIZE + 1 };
        self.reset();
        out.put(CLEAR);
        let mut next = END + 1;
        let mut cur: Option<u16> = None;
        for i in 0..pixels.len() {
            let p = pixels[i];
            let Some(c) = cur else {
                cur = Some(u16::from(p));
                continue;
            };
            let exact = self.child[usize::from(c) * 256 + usize::from(p)];
            if exact != NONE {
                cur = Some(exact);
                continue;
            }
            if let Some((tol, limits)) = lossy {
                if let Some(k) = self.close_child(c, p, under.map(|u| u[i]), tol, u32::from(limits[i])) {
                    pixels[i] = self.last_pixel[usize::from(k)];
                    cur = Some(k);
                    continue;
                }
            }
            out.put(c);
            if usize::from(next) >= MAX_CODES - 1 {
                out.put(CLEAR);
                out.width = MIN_CODE_SIZE + 1;
                self.reset();
                next = END + 1;
            } else {
                if next >= 1 << out.width && out.width < 12 {
                    out.width += 1;
                }
                self.add(c, p, next);
                next += 1;
            }
            cur = Some(u16::from(p));
        }
        if let Some(c) = cur {
            out.put(c);
            if next >= 1 << out.width && out.width < 12 {
                out.width += 1;
            }
        }
        out.put(END);
        out.finish()
    }
}

/// Codes packed least significant bit first.
struct Bits {
    bytes: Vec<u8>,
    acc: u32,
    n: u8,
    width: u8,
}

impl Bits {
    fn put(&mut self, code: u16) {
        self.acc |= u32::from(code) << self.n;
        self.n += self.width;
        while self.n >= 8 {
            self.bytes.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.bytes.push(self.acc as u8);
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(data: &[u8], w: u16, h: u16) -> Vec<u8> {
        let mut file = Vec::new();
        {
            let palette: Vec<u8> = (0..=255u8).flat_map(|i| [i, i, i]).collect();
            let mut enc = gif::Encoder::new(&mut file, w, h, &palette).unwrap();
            let frame = gif::Frame { width: w, height: h, buffer: data.to_vec().into(), ..gif::Frame::default() };
            enc.write_lzw_pre_encoded_frame(&frame).unwrap();
        }
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::Indexed);
        let mut d = opts.read_info(file.as_slice()).unwrap();
        d.read_next_frame().unwrap().unwrap().buffer.to_vec()
    }

    #[test]
    fn exact_lzw_decodes_to_the_same_pixels_through_every_code_width_and_clear() {
        // noise (many codes, several clears) then runs (long strings)
        let mut state = 12345u32;
        let mut pixels: Vec<u8> = (0..300 * 200)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                if i < 40_000 {
                    (state >> 16) as u8
                } else {
                    (i / 700 % 7) as u8
                }
            })
            .collect();
        let want = pixels.clone();
        let data = Lzw::new().encode(&mut pixels, None, None);
        assert_eq!(pixels, want, "nothing is replaced without a tolerance");
        assert_eq!(decode(&data, 300, 200), want);
        // and the tiny cases
        for n in [1usize, 2, 3, 255, 256, 257] {
            let mut px: Vec<u8> = (0..n).map(|i| (i * 7 % 256) as u8).collect();
            let want = px.clone();
            assert_eq!(decode(&Lzw::new().encode(&mut px, None, None), n as u16, 1), want, "{n} pixels");
        }
    }

    #[test]
    fn lossy_lzw_is_smaller_and_every_pixel_stays_within_the_tolerance() {
        let palette: Vec<[u8; 3]> = (0..255u8).map(|i| [i, i, i]).collect();
        let mut state = 7u32;
        // a grey ramp with ±2 noise, as dithering leaves it
        let mut pixels: Vec<u8> = (0..200 * 100)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (i % 200 + (state >> 16) as i32 % 5 - 2).clamp(0, 254) as u8
            })
            .collect();
        let orig = pixels.clone();
        let exact = Lzw::new().encode(&mut pixels.clone(), None, None);
        let tol = Tolerance::new(&palette, 3 * 3 * 3);
        let limits = vec![u16::MAX; pixels.len()];
        let lossy = Lzw::new().encode(&mut pixels, None, Some((&tol, &limits)));
        assert!(lossy.len() * 10 < exact.len() * 8, "lossy {} vs exact {} bytes", lossy.len(), exact.len());
        assert_eq!(decode(&lossy, 200, 100), pixels, "the encoded pixels are the ones reported");
        for (a, b) in orig.iter().zip(&pixels) {
            assert!(a.abs_diff(*b) <= 3, "{a} became {b}");
        }
    }
}
