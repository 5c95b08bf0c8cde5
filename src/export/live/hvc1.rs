//! HEVC sample descriptions as Apple players take them: `hvc1`, not `hev1` (ISO/IEC 14496-15
//! §8.4.1: in `hvc1` every parameter set is in the `hvcC` box, whose arrays say they are complete;
//! `hev1` lets them come in the stream). Photos and QuickTime do not play `hev1`, which ffmpeg
//! and tools built on it write by default. A `hev1` entry whose `hvcC` holds a video, a sequence
//! and a picture parameter set is renamed `hvc1` and its arrays marked complete (what `ffmpeg
//! -c copy -tag:v hvc1` does); one that lacks them is left as it is (docs/formats.md "Writing a
//! Live Photo").

use crate::meta::isobmff::{self, boxed};

/// Bytes of a visual sample entry's own fields before its child boxes (ISO/IEC 14496-12 §12.1.3).
const VISUAL_ENTRY_FIELDS: usize = 78;
/// Bytes of an `hvcC` record before its count of arrays.
const HVCC_HEADER: usize = 22;
/// HEVC NAL unit types of the video, sequence and picture parameter sets (ITU-T H.265 Table 7-1).
const PARAMETER_SETS: [u8; 3] = [32, 33, 34];

/// The body of an `stsd` box (`stsd` the body) with its first entry renamed from `hev1` to `hvc1`;
/// `None` when there is nothing to rename or it cannot be renamed safely.
pub fn renamed(stsd: &[u8]) -> Option<Vec<u8>> {
    let entries = stsd.get(8..)?;
    let first = isobmff::boxes(entries).next()?.ok()?;
    if &first.kind != b"hev1" {
        return None;
    }
    let rest_at = first.body.as_ptr() as usize - entries.as_ptr() as usize + first.body.len();
    let fields = first.body.get(..VISUAL_ENTRY_FIELDS)?;
    let (mut children, mut complete) = (Vec::new(), false);
    for b in isobmff::boxes(first.body.get(VISUAL_ENTRY_FIELDS..)?) {
        let b = b.ok()?;
        if &b.kind == b"hvcC" {
            children.extend_from_slice(&boxed(b"hvcC", &completed(b.body)?));
            complete = true;
        } else {
            children.extend_from_slice(&boxed(&b.kind, b.body));
        }
    }
    complete.then(|| [&stsd[..8], &boxed(b"hvc1", &[fields, &children].concat()), &entries[rest_at..]].concat())
}

/// An `hvcC` record with its parameter-set arrays marked complete; `None` unless it holds at least
/// one video, one sequence and one picture parameter set.
fn completed(hvcc: &[u8]) -> Option<Vec<u8>> {
    let mut out = hvcc.to_vec();
    let arrays = *hvcc.get(HVCC_HEADER)?;
    let (mut p, mut found) = (HVCC_HEADER + 1, [false; 3]);
    for _ in 0..arrays {
        let kind = *hvcc.get(p)? & 0x3F;
        let count = u16::from_be_bytes([*hvcc.get(p + 1)?, *hvcc.get(p + 2)?]);
        if let Some(i) = PARAMETER_SETS.iter().position(|&k| k == kind) {
            found[i] |= count > 0;
            out[p] |= 0x80; // array_completeness
        }
        let mut q = p + 3;
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes([*hvcc.get(q)?, *hvcc.get(q + 1)?]));
            q += 2 + len;
        }
        hvcc.get(..q)?; // the array lies within the record
        p = q;
    }
    (found == [true; 3]).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `stsd` body of one visual entry `kind` whose `hvcC` has arrays of these NAL types (one
    /// 2-byte unit each), then an `avc1` entry.
    fn stsd(kind: &[u8; 4], nal_types: &[u8]) -> Vec<u8> {
        let mut hvcc = vec![1; HVCC_HEADER];
        hvcc.push(nal_types.len() as u8);
        for &t in nal_types {
            hvcc.extend_from_slice(&[t, 0, 1, 0, 2, 0xAB, 0xCD]);
        }
        let entry = boxed(kind, &[&[7u8; VISUAL_ENTRY_FIELDS][..], &boxed(b"hvcC", &hvcc), &boxed(b"colr", b"nclx")].concat());
        [&[0, 0, 0, 0, 0, 0, 0, 2][..], &entry, &boxed(b"avc1", &[0; 4])].concat()
    }

    #[test]
    fn hev1_with_its_parameter_sets_becomes_hvc1() {
        let out = renamed(&stsd(b"hev1", &[32, 33, 34, 39])).expect("renamed");
        let want = stsd(b"hvc1", &[32 | 0x80, 33 | 0x80, 34 | 0x80, 39]);
        assert_eq!(out, want, "the name and the three arrays' completeness: nothing else changes");
    }

    #[test]
    fn what_cannot_be_renamed_safely_is_left() {
        assert_eq!(renamed(&stsd(b"hvc1", &[32, 33, 34])), None, "already hvc1");
        assert_eq!(renamed(&stsd(b"hev1", &[32, 33])), None, "no picture parameter set in hvcC: they come in the stream");
        let mut cut = stsd(b"hev1", &[32, 33, 34]);
        let at = cut.windows(4).position(|w| w == b"hvcC").unwrap();
        cut[at - 1] -= 3; // the hvcC box claims less than its arrays need
        assert_eq!(renamed(&cut), None);
        assert_eq!(renamed(&[0; 6]), None);
    }

    #[test]
    fn damaged_entries_are_no_panic() {
        let good = stsd(b"hev1", &[32, 33, 34]);
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..3000 {
            let mut bad = good.clone();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % bad.len() as u64) as usize;
            bad[at] = (seed >> 32) as u8;
            if round % 5 == 0 {
                bad.truncate(at);
            }
            let _ = renamed(&bad);
        }
    }
}
