//! An ICC profile for a HEIF's `nclx` colour description (primaries + transfer), so a JPEG made
//! from an image that carries only `nclx` still says which colours its pixels mean: an ICC v4
//! display profile with a matrix (primaries adapted to D50 by Bradford) and a parametric curve
//! per channel. sRGB needs none (it is what a JPEG without a profile means).

/// CIE xy of (red, green, blue) for the ITU-T H.273 colour primaries livephoto meets.
fn primaries(code: u16) -> Option<[(f64, f64); 3]> {
    match code {
        1 => Some([(0.640, 0.330), (0.300, 0.600), (0.150, 0.060)]),  // BT.709 / sRGB
        9 => Some([(0.708, 0.292), (0.170, 0.797), (0.131, 0.046)]),  // BT.2020
        12 => Some([(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)]), // Display P3 (SMPTE EG 432-1)
        _ => None,
    }
}

/// ICC parametric curve type 3 (g, a, b, c, d) decoding the H.273 transfer characteristic.
fn curve(code: u16) -> Option<[f64; 5]> {
    match code {
        13 | 2 => Some([2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045]), // sRGB (and unspecified)
        1 | 6 | 14 | 15 => Some([1.0 / 0.45, 1.0 / 1.099, 0.099 / 1.099, 1.0 / 4.5, 0.081]), // BT.709 family
        _ => None,
    }
}

/// The sRGB transfer (IEC 61966-2-1) decoded: an encoded value in 0..=1 to linear light. Display
/// P3 shares it; Apple's gain maps are encoded with it too (docs/formats.md "HDR stills: gain maps").
pub fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

const D65: [f64; 3] = [0.95047, 1.0, 1.08883];
const D50: [f64; 3] = [0.96422, 1.0, 0.82521];

type M3 = [[f64; 3]; 3];

fn mul(a: &M3, b: &M3) -> M3 {
    let mut r = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            r[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    r
}

fn apply(m: &M3, v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| (0..3).map(|k| m[i][k] * v[k]).sum())
}

fn inverse(m: &M3) -> M3 {
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    let c = |r1: usize, c1: usize, r2: usize, c2: usize| m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1];
    [
        [c(1, 1, 2, 2) / det, -c(0, 1, 2, 2) / det, c(0, 1, 1, 2) / det],
        [-c(1, 0, 2, 2) / det, c(0, 0, 2, 2) / det, -c(0, 0, 1, 2) / det],
        [c(1, 0, 2, 1) / det, -c(0, 0, 2, 1) / det, c(0, 0, 1, 1) / det],
    ]
}

/// Bradford chromatic adaptation from D65 to D50 (the ICC connection space's white).
fn d65_to_d50() -> M3 {
    let b: M3 = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]];
    let (s, d) = (apply(&b, D65), apply(&b, D50));
    let scale: M3 = [[d[0] / s[0], 0.0, 0.0], [0.0, d[1] / s[1], 0.0], [0.0, 0.0, d[2] / s[2]]];
    mul(&inverse(&b), &mul(&scale, &b))
}

/// Columns = XYZ (D50) of the red, green and blue primaries at full intensity.
fn rgb_to_xyz_d50(p: [(f64, f64); 3]) -> M3 {
    let xyz = |(x, y): (f64, f64)| [x / y, 1.0, (1.0 - x - y) / y];
    let cols = p.map(xyz);
    let m: M3 = [0, 1, 2].map(|i| [cols[0][i], cols[1][i], cols[2][i]]);
    let s = apply(&inverse(&m), D65);
    let scaled: M3 = [0, 1, 2].map(|i| [m[i][0] * s[0], m[i][1] * s[1], m[i][2] * s[2]]);
    mul(&d65_to_d50(), &scaled)
}

fn s15f16(v: f64) -> [u8; 4] {
    ((v * 65536.0).round() as i32).to_be_bytes()
}

fn xyz_tag(v: [f64; 3]) -> Vec<u8> {
    [b"XYZ \0\0\0\0".to_vec(), v.iter().flat_map(|&x| s15f16(x)).collect()].concat()
}

fn mluc(text: &str) -> Vec<u8> {
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let mut t = b"mluc\0\0\0\0".to_vec();
    for v in [1u32, 12] {
        t.extend_from_slice(&v.to_be_bytes());
    }
    t.extend_from_slice(b"enUS");
    t.extend_from_slice(&(utf16.len() as u32).to_be_bytes());
    t.extend_from_slice(&28u32.to_be_bytes());
    t.extend_from_slice(&utf16);
    t
}

/// The profile for `nclx` (primaries, transfer) codes; `None` for sRGB or what it cannot describe.
pub fn from_nclx(primaries_code: u16, transfer_code: u16) -> Option<Vec<u8>> {
    if primaries_code == 1 && matches!(transfer_code, 13 | 2) {
        return None; // sRGB: what a JPEG without a profile already means
    }
    let name = match primaries_code {
        12 => "Display P3 (from HEIF nclx)",
        9 => "BT.2020 (from HEIF nclx)",
        _ => "BT.709 (from HEIF nclx)",
    };
    profile(primaries_code, transfer_code, name)
}

/// An sRGB profile, for pixels made in sRGB that should say so (a viewer assumes sRGB without
/// a profile, but an editor or a print service asks).
pub fn srgb() -> Vec<u8> {
    profile(1, 13, "sRGB (BT.709 primaries, sRGB curve)").unwrap_or_default()
}

/// A matrix/TRC profile of the primaries and transfer `nclx` codes name, called `name`.
fn profile(primaries_code: u16, transfer_code: u16, name: &str) -> Option<Vec<u8>> {
    let (p, c) = (primaries(primaries_code)?, curve(transfer_code)?);
    let m = rgb_to_xyz_d50(p);
    let para = [b"para\0\0\0\0\0\x03\0\0".to_vec(), c.iter().flat_map(|&v| s15f16(v)).collect()].concat();
    let chad = [b"sf32\0\0\0\0".to_vec(), d65_to_d50().iter().flatten().flat_map(|&v| s15f16(v)).collect()].concat();
    let column = |j: usize| [m[0][j], m[1][j], m[2][j]];
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"desc", mluc(name)),
        (b"cprt", mluc("No copyright, use freely")),
        (b"wtpt", xyz_tag(D50)),
        (b"chad", chad),
        (b"rXYZ", xyz_tag(column(0))),
        (b"gXYZ", xyz_tag(column(1))),
        (b"bXYZ", xyz_tag(column(2))),
        (b"rTRC", para.clone()),
        (b"gTRC", para.clone()),
        (b"bTRC", para),
    ];
    let mut table = (tags.len() as u32).to_be_bytes().to_vec();
    let mut data = Vec::new();
    let data_start = 128 + 4 + 12 * tags.len();
    for (sig, body) in &tags {
        table.extend_from_slice(*sig);
        table.extend_from_slice(&((data_start + data.len()) as u32).to_be_bytes());
        table.extend_from_slice(&(body.len() as u32).to_be_bytes());
        data.extend_from_slice(body);
        data.resize(data.len().div_ceil(4) * 4, 0);
    }
    let size = data_start + data.len();
    let mut h = Vec::with_capacity(size);
    h.extend_from_slice(&(size as u32).to_be_bytes());
    h.extend_from_slice(b"\0\0\0\0\x04\x20\0\0mntrRGB XYZ ");
    h.extend_from_slice(&[0x07, 0xea, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]); // 2026-01-01
    h.extend_from_slice(b"acsp");
    h.resize(64, 0); // platform, flags, manufacturer, model, attributes, intent 0 (perceptual)
    h.extend(D50.iter().flat_map(|&v| s15f16(v)));
    h.resize(128, 0); // creator, profile ID (zero: not computed), reserved
    Some([h, table, data].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xyz_at(icc: &[u8], sig: &[u8; 4]) -> [f64; 3] {
        let n = u32::from_be_bytes(icc[128..132].try_into().unwrap()) as usize;
        let e = (0..n).map(|i| 132 + 12 * i).find(|&e| &icc[e..e + 4] == sig).unwrap();
        let off = u32::from_be_bytes(icc[e + 4..e + 8].try_into().unwrap()) as usize;
        [0, 1, 2].map(|k| f64::from(i32::from_be_bytes(icc[off + 8 + 4 * k..off + 12 + 4 * k].try_into().unwrap())) / 65536.0)
    }

    #[test]
    fn display_p3_from_nclx_matches_the_published_primaries() {
        let icc = from_nclx(12, 13).expect("P3 needs a profile");
        assert_eq!(u32::from_be_bytes(icc[..4].try_into().unwrap()) as usize, icc.len());
        assert_eq!(&icc[36..40], b"acsp");
        // Display P3's matrix as Apple's own profile has it (D50)
        for (sig, want) in [(b"rXYZ", [0.5151, 0.2412, -0.0011]), (b"gXYZ", [0.2920, 0.6922, 0.0419]), (b"bXYZ", [0.1571, 0.0666, 0.7841])]
        {
            let got = xyz_at(&icc, sig);
            assert!(got.iter().zip(want).all(|(g, w)| (g - w).abs() < 0.002), "{}: {got:?} vs {want:?}", String::from_utf8_lossy(sig));
        }
        assert_eq!(from_nclx(1, 13), None, "sRGB needs none");
        assert_eq!(from_nclx(12, 18), None, "HLG is not described by a simple curve");
    }
}
