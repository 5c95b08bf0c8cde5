//! The Apple MakerNote (EXIF tag 0x927C of an iPhone's still): its own IFD, read by hand as no
//! maintained crate exposes it (docs/formats.md "The identifier in the still"): its byte order,
//! the content identifier (tag 0x0011) that ties a Live Photo's halves, and numeric tags (the
//! HDR headroom, tags 33 and 48).

use super::bytes::Endian;

/// The byte order of an Apple MakerNote ("Apple iOS\0", 00 01, "MM" or "II", its IFD at offset
/// 14; docs/formats.md "The identifier in the still"), or `None` when `mn` is not one.
pub fn apple_order(mn: &[u8]) -> Option<Endian> {
    if !mn.starts_with(b"Apple iOS\0") || mn.len() < 16 {
        return None;
    }
    match &mn[12..14] {
        b"MM" => Some(Endian { big: true }),
        b"II" => Some(Endian { big: false }),
        _ => None,
    }
}

/// Apple MakerNote tag 0x0011: value offsets count from the start of the MakerNote
/// (docs/formats.md; ExifTool Apple.pm).
pub fn apple_content_id(mn: &[u8]) -> Option<String> {
    let order = apple_order(mn)?;
    let u16_at = |p: usize| order.u16_at(mn, p);
    let u32_at = |p: usize| order.u32_at(mn, p);
    let count = usize::from(u16_at(14)?);
    for i in 0..count.min(512) {
        let e = 16 + i * 12;
        let (tag, typ, n) = (u16_at(e)?, u16_at(e + 2)?, u32_at(e + 4)? as usize);
        if tag != 0x0011 || typ != 2 {
            continue;
        }
        let raw = if n <= 4 {
            mn.get(e + 8..e + 8 + n)?
        } else {
            let off = u32_at(e + 8)? as usize;
            mn.get(off..off.checked_add(n)?)?
        };
        return normalize_content_id(&String::from_utf8_lossy(raw));
    }
    None
}

/// A numeric Apple MakerNote tag (rational, signed rational, float, integer) as a number: the
/// HDR headroom tags 33 and 48, for instance (docs/formats.md "HDR stills: gain maps").
#[cfg(feature = "media")] // export reads the HDR headroom
pub fn apple_number(mn: &[u8], tag: u16) -> Option<f64> {
    let order = apple_order(mn)?;
    let count = usize::from(order.u16_at(mn, 14)?);
    let e = (0..count.min(512)).map(|i| 16 + i * 12).find(|&e| order.u16_at(mn, e) == Some(tag))?;
    let (typ, n) = (order.u16_at(mn, e + 2)?, order.u32_at(mn, e + 4)?);
    if n != 1 {
        return None;
    }
    let at = |size: usize| if size <= 4 { Some(e + 8) } else { order.u32_at(mn, e + 8).map(|o| o as usize) };
    match typ {
        5 | 10 => {
            let p = at(8)?;
            let (num, den) = (order.u32_at(mn, p)?, order.u32_at(mn, p + 4)?);
            let (num, den) = if typ == 10 { (f64::from(num as i32), f64::from(den as i32)) } else { (f64::from(num), f64::from(den)) };
            (den != 0.0).then(|| num / den)
        }
        11 => order.u32_at(mn, at(4)?).map(|b| f64::from(f32::from_bits(b))),
        4 => order.u32_at(mn, at(4)?).map(f64::from),
        9 => order.u32_at(mn, at(4)?).map(|v| f64::from(v as i32)),
        3 => order.u16_at(mn, at(2)?).map(f64::from),
        _ => None,
    }
}

/// Trim, upper-case and check the UUID shape (8-4-4-4-12 hex). Anything else is not an identifier.
pub fn normalize_content_id(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('\0').trim().to_ascii_uppercase();
    let groups: Vec<&str> = s.split('-').collect();
    let shape = [8, 4, 4, 4, 12];
    let ok = groups.len() == 5 && groups.iter().zip(shape).all(|(g, n)| g.len() == n && g.bytes().all(|c| c.is_ascii_hexdigit()));
    ok.then_some(s)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds an Apple MakerNote with the given (tag, type, value) ASCII/long entries.
    pub fn makernote(big: bool, entries: &[(u16, u16, &[u8])]) -> Vec<u8> {
        let mut mn = b"Apple iOS\0\0\x01".to_vec();
        mn.extend_from_slice(if big { b"MM" } else { b"II" });
        let p16 = |v: u16| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        let p32 = |v: u32| if big { v.to_be_bytes() } else { v.to_le_bytes() };
        mn.extend_from_slice(&p16(entries.len() as u16));
        let data_start = 16 + entries.len() * 12 + 4;
        let mut data = Vec::new();
        for (tag, typ, val) in entries {
            mn.extend_from_slice(&p16(*tag));
            mn.extend_from_slice(&p16(*typ));
            mn.extend_from_slice(&p32(val.len() as u32));
            if val.len() <= 4 {
                let mut v = val.to_vec();
                v.resize(4, 0);
                mn.extend_from_slice(&v);
            } else {
                mn.extend_from_slice(&p32((data_start + data.len()) as u32));
                data.extend_from_slice(val);
            }
        }
        mn.extend_from_slice(&[0; 4]);
        mn.extend_from_slice(&data);
        mn
    }

    pub const ID: &[u8] = b"E905E6C6-C747-4805-942F-9904A0281F02\0";

    #[test]
    fn reads_tag_0x11_in_both_byte_orders() {
        for big in [true, false] {
            let mn = makernote(big, &[(0x0001, 9, &[0, 0, 0, 12]), (0x0011, 2, ID)]);
            assert_eq!(apple_content_id(&mn).as_deref(), Some("E905E6C6-C747-4805-942F-9904A0281F02"));
        }
    }

    #[test]
    fn other_uuid_tags_are_not_the_pairing_key() {
        // 0x002b PhotoIdentifier, 0x000b BurstUUID: UUIDs, but not the content identifier
        let mn = makernote(true, &[(0x000b, 2, ID), (0x002b, 2, ID)]);
        assert_eq!(apple_content_id(&mn), None);
    }

    #[test]
    fn lower_case_identifiers_are_normalised_and_junk_rejected() {
        assert_eq!(
            normalize_content_id(" e905e6c6-c747-4805-942f-9904a0281f02\0").as_deref(),
            Some("E905E6C6-C747-4805-942F-9904A0281F02")
        );
        assert_eq!(normalize_content_id("not-a-uuid"), None);
        assert_eq!(normalize_content_id(""), None);
    }

    #[test]
    fn hostile_makernotes_do_not_panic() {
        let mut mn = makernote(true, &[(0x0011, 2, ID)]);
        let good = mn.clone();
        for cut in 0..good.len() {
            let _ = apple_content_id(&good[..cut]);
        }
        mn[14] = 0xFF; // huge count
        mn[15] = 0xFF;
        let _ = apple_content_id(&mn);
        let mut bad_off = good.clone();
        bad_off[24..28].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xF0]);
        assert_eq!(apple_content_id(&bad_off), None);
    }
}
