//! The GIF's colours: one palette of 255 for the whole clip, learnt with NeuQuant from an evenly
//! spread sample of its pixels (bounded, however long the clip), and Floyd–Steinberg dithering
//! of each frame onto it. Index 255 is kept for "unchanged since the previous frame".

/// Index reserved for "unchanged since the previous frame".
pub(super) const TRANSPARENT: u8 = 255;
pub(super) const PALETTE_SIZE: usize = 255;
/// Pixels NeuQuant learns from, at most (an even sample of the clip's pixels). 150,000 makes the
/// same palette quality as 400,000 on the bench clips (SSIM within 0.0005, bytes within 1 %) in
/// half the learning time, which was a third of a GIF's.
pub(super) const LEARN_PIXELS: usize = 150_000;
/// Share of the quantisation error diffused, in 256ths of the Floyd–Steinberg total (16ths × 16).
/// 37.5 % breaks up banding in gradients without the speckle that full diffusion adds to camera
/// noise (speckle that costs SSIM and bytes): on train.mov and a Samsung clip, at 15 fps and
/// 480 px, it measured better on both than 62.5 % (SSIM +0.001 to +0.002, 2 to 7 % fewer bytes).
pub(super) const DITHER_STRENGTH: i32 = 6;
/// Side of the blocks frame differencing decides on.
pub(super) const STILL_BLOCK: usize = 8;

/// For clips too long to hold: an evenly spread sample of every pixel seen, bounded: when it
/// holds twice the wanted number, every other sample goes and the stride doubles
/// (deterministic, one pass).
pub(super) struct Sampler {
    rgba: Vec<u8>,
    want: usize,
    step: usize,
    seen: usize,
}

impl Sampler {
    pub(super) fn new(want: usize) -> Self {
        Sampler { rgba: Vec::new(), want: want.max(1), step: 1, seen: 0 }
    }

    pub(super) fn add(&mut self, rgb: &[u8]) {
        for px in rgb.chunks_exact(3) {
            if self.seen.is_multiple_of(self.step) {
                self.rgba.extend_from_slice(&[px[0], px[1], px[2], 255]);
                if self.rgba.len() / 4 >= 2 * self.want {
                    self.halve();
                }
            }
            self.seen += 1;
        }
    }

    fn halve(&mut self) {
        let kept: Vec<u8> = self.rgba.chunks_exact(4).step_by(2).flatten().copied().collect();
        self.rgba = kept;
        self.step *= 2;
    }

    /// At most `want` pixels, evenly spread.
    pub(super) fn finish(mut self) -> Vec<u8> {
        if self.rgba.len() / 4 > self.want {
            let step = (self.rgba.len() / 4).div_ceil(self.want);
            self.rgba = self.rgba.chunks_exact(4).step_by(step).flatten().copied().collect();
        }
        self.rgba
    }
}

/// About [`LEARN_PIXELS`] pixels at one stride over all held frames: the sample the palette has
/// always been learnt from (the bench's SSIM figures), used whenever the clip fits in memory.
pub(super) fn even_sample<'a>(frames: impl Iterator<Item = &'a [u8]> + Clone) -> Vec<u8> {
    let total: usize = frames.clone().map(|f| f.len() / 3).sum();
    let step = (total / LEARN_PIXELS).max(1);
    let mut rgba = Vec::with_capacity(total / step * 4 + 4);
    let mut i = 0usize;
    for f in frames {
        for px in f.chunks_exact(3) {
            if i.is_multiple_of(step) {
                rgba.extend_from_slice(&[px[0], px[1], px[2], 255]);
            }
            i += 1;
        }
    }
    rgba
}

/// One palette for the clip, learnt from the sample.
pub(super) fn learn_palette(rgba: Vec<u8>) -> Vec<[u8; 3]> {
    // sample factor 1: learn from every pixel of the (already subsampled) set
    let nq = color_quant::NeuQuant::new(1, PALETTE_SIZE, &rgba);
    nq.color_map_rgb().chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// Nearest palette entry, cached per 7-bit-per-channel cell (2 MiB, filled lazily).
pub(super) struct Nearest<'a> {
    pub(super) palette: &'a [[u8; 3]],
    cache: Vec<u8>,
}

impl<'a> Nearest<'a> {
    pub(super) fn new(palette: &'a [[u8; 3]]) -> Self {
        Nearest { palette, cache: vec![TRANSPARENT; 1 << 21] }
    }

    fn index(&mut self, r: u8, g: u8, b: u8) -> u8 {
        let key = (usize::from(r >> 1) << 14) | (usize::from(g >> 1) << 7) | usize::from(b >> 1);
        let hit = self.cache[key];
        if hit != TRANSPARENT {
            return hit;
        }
        let (cr, cg, cb) = (i32::from(r), i32::from(g), i32::from(b));
        let mut best = (i32::MAX, 0u8);
        for (i, p) in self.palette.iter().enumerate() {
            let d = (i32::from(p[0]) - cr).pow(2) + (i32::from(p[1]) - cg).pow(2) + (i32::from(p[2]) - cb).pow(2);
            if d < best.0 {
                best = (d, i as u8);
            }
        }
        self.cache[key] = best.1;
        best.1
    }
}

/// Floyd–Steinberg error diffusion onto palette indices, at [`DITHER_STRENGTH`].
pub(super) fn dither(frame: &[u8], w: usize, h: usize, nearest: &mut Nearest<'_>) -> Vec<u8> {
    let mut out = vec![0u8; w * h];
    diffuse(frame, w, h, nearest, |_| true, |i, idx| out[i] = idx);
    out
}

/// Floyd–Steinberg over the pixels `redraw` picks (by index), handing each its palette index;
/// the error reaching a pixel not redrawn is dropped.
fn diffuse(frame: &[u8], w: usize, h: usize, nearest: &mut Nearest<'_>, redraw: impl Fn(usize) -> bool, mut put: impl FnMut(usize, u8)) {
    let mut err_cur = vec![[0i32; 3]; w + 2];
    let mut err_next = vec![[0i32; 3]; w + 2];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if !redraw(i) {
                continue;
            }
            let p = &frame[i * 3..i * 3 + 3];
            let e = err_cur[x + 1];
            let want = [0, 1, 2].map(|c| (i32::from(p[c]) + e[c] * DITHER_STRENGTH / 256).clamp(0, 255));
            let idx = nearest.index(want[0] as u8, want[1] as u8, want[2] as u8);
            put(i, idx);
            let got = nearest.palette[usize::from(idx)];
            for c in 0..3 {
                let q = want[c] - i32::from(got[c]);
                err_cur[x + 2][c] += q * 7;
                err_next[x][c] += q * 3;
                err_next[x + 1][c] += q * 5;
                err_next[x + 2][c] += q;
            }
        }
        std::mem::swap(&mut err_cur, &mut err_next);
        err_next.iter_mut().for_each(|e| *e = [0; 3]);
    }
}

/// What the GIF shows so far: each pixel's palette index and the source colour it was dithered
/// from. A later frame's pixel whose source stays within the tolerance of that colour keeps
/// what is shown (it becomes transparent), so still areas are never re-dithered: no crawling
/// noise, and long transparent runs that LZW stores in a few codes.
pub(super) struct Shown {
    /// Palette index shown at each pixel (updated by the caller once a frame is encoded).
    pub(super) idx: Vec<u8>,
    src: Vec<u8>,
}

impl Shown {
    pub(super) fn new() -> Self {
        Shown { idx: Vec::new(), src: Vec::new() }
    }
}

/// Floyd–Steinberg onto the palette; after the first frame, only in the [`STILL_BLOCK`]-square
/// blocks whose source moved more than `still_limit` (mean squared RGB distance per pixel) from
/// the source their pixels show. Deciding per block, not per pixel, keeps camera noise from
/// re-dithering scattered pixels (salt-and-pepper that costs bytes and looks like crawling).
/// Returns the frame's indices, [`TRANSPARENT`] where the shown pixel stays (or the new index
/// equals it).
pub(super) fn dither_changes(frame: &[u8], w: usize, h: usize, nearest: &mut Nearest<'_>, shown: &mut Shown, still_limit: u32) -> Vec<u8> {
    if shown.idx.len() != w * h {
        let idx = dither(frame, w, h, nearest);
        shown.idx.clone_from(&idx);
        shown.src = frame.to_vec();
        return idx;
    }
    let bs = STILL_BLOCK;
    let (bw, bh) = (w.div_ceil(bs), h.div_ceil(bs));
    let mut sums = vec![(0i64, 0i64); bw * bh];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let d: i64 = (0..3).map(|c| (i64::from(frame[i * 3 + c]) - i64::from(shown.src[i * 3 + c])).pow(2)).sum();
            let b = &mut sums[(y / bs) * bw + x / bs];
            b.0 += d;
            b.1 += 1;
        }
    }
    let moved_block: Vec<bool> = sums.iter().map(|&(d, n)| d > i64::from(still_limit) * n).collect();
    let mut out = vec![TRANSPARENT; w * h];
    // the error reaching a kept pixel is dropped: still areas stay still
    let redraw = |i: usize| moved_block[(i / w / bs) * bw + (i % w) / bs];
    diffuse(frame, w, h, nearest, redraw, |i, idx| {
        if idx != shown.idx[i] {
            out[i] = idx;
        }
        shown.src[i * 3..i * 3 + 3].copy_from_slice(&frame[i * 3..i * 3 + 3]);
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dithering_a_gradient_uses_the_palette_and_keeps_the_mean() {
        let (w, h) = (64usize, 8usize);
        let frame: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let v = ((i % w) * 4) as u8;
                [v, v, v]
            })
            .collect();
        let palette = vec![[0, 0, 0], [255, 255, 255]];
        let idx = dither(&frame, w, h, &mut Nearest::new(&palette));
        let mean_in: f64 = frame.iter().map(|&v| f64::from(v)).sum::<f64>() / frame.len() as f64;
        let mean_out: f64 = idx.iter().map(|&i| f64::from(palette[usize::from(i)][0])).sum::<f64>() / idx.len() as f64;
        assert!((mean_in - mean_out).abs() < 4.0, "{mean_in} vs {mean_out}");
        assert!(idx.iter().all(|&i| i < 2));
    }

    #[test]
    fn the_sampler_stays_bounded_and_spreads_evenly() {
        let mut s = Sampler::new(100);
        for frame in 0..50u8 {
            s.add(&vec![frame; 3 * 1000]); // 50 frames of 1000 pixels, each a different grey
        }
        assert!(s.rgba.len() / 4 < 200, "bounded while adding: {}", s.rgba.len() / 4);
        let px = s.finish();
        assert!(px.len() / 4 <= 100);
        let greys: std::collections::BTreeSet<u8> = px.chunks_exact(4).map(|p| p[0]).collect();
        assert!(greys.len() >= 45, "every part of the clip is sampled: {}", greys.len());
    }
}
