//! ISO-BMFF / QuickTime box walking (ISO/IEC 14496-12 §4.2; QuickTime File Format "Atoms").
//! Top-level boxes are found by reading 8–16 byte headers and seeking over bodies, so a
//! multi-gigabyte `mdat` costs one header read. Nested boxes are walked over loaded bytes.

use super::bytes::{Reader, Source, RECENT_MAX};
use super::error::{human_bytes, MetaError, Result};

/// Most top-level boxes a file may have before we call it corrupt (real files have < 10).
const MAX_TOP_LEVEL: usize = 4096;

pub type FourCC = [u8; 4];

pub fn fourcc_str(f: &FourCC) -> String {
    f.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '?' }).collect()
}

/// A top-level box in a file: where its body starts and how long it is.
#[derive(Debug, Clone, Copy)]
pub struct TopBox {
    pub kind: FourCC,
    /// Where the box (its header) starts.
    pub offset: u64,
    pub body_offset: u64,
    pub body_len: u64,
}

/// Lists the top-level boxes of a file by their headers only. A box that claims more bytes than
/// the file has is an error that names the box and both sizes.
pub fn top_level(src: &Source) -> Result<Vec<TopBox>> {
    top_level_with(src, |_| Ok(()))
}

/// A movie's top-level boxes: as [`top_level`], but once its `moov` and `mdat` are whole, bytes
/// after them that are no box (a phone's tail kept by a splitter) end the walk instead of failing
/// it; `quicktime::read_clip` notes them (docs/formats.md "Movie ends"). Only for a file that is
/// a movie: in a still, boxes after the image are an appended video whose tail the still's reader
/// must see.
pub fn movie_top_level(src: &Source) -> Result<Vec<TopBox>> {
    walk_top_level(src, true, |_| Ok(()))
}

/// [`top_level`], handing each box to `visit` as soon as its header is read, before the next
/// header: what `visit` reads then can take the next header with it.
pub fn top_level_with(src: &Source, visit: impl FnMut(&TopBox) -> Result<()>) -> Result<Vec<TopBox>> {
    walk_top_level(src, false, visit)
}

fn walk_top_level(src: &Source, movie: bool, mut visit: impl FnMut(&TopBox) -> Result<()>) -> Result<Vec<TopBox>> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    while offset < src.len() {
        let left = src.len() - offset;
        if left < 8 {
            break; // a few stray trailing bytes are not worth failing a file for
        }
        // in a camera file (megabytes), the last few KiB are its `moov`: header and body in one read
        let tail = left <= RECENT_MAX && src.len() > 64 * RECENT_MAX;
        let head = src.read_upto(offset, if tail { left } else { 16 }, "box header")?;
        let (kind, header_len, size) = parse_header(&head, left)?;
        if &kind == b"moov" && size + 16 <= RECENT_MAX && size <= left {
            // the box is read whole next, and the next box's header after it: one read for both
            src.read_upto(offset, size + 16, "box")?;
        }
        let seen = |kind: &FourCC| out.iter().any(|b: &TopBox| &b.kind == kind);
        if movie && size > left && seen(b"moov") && seen(b"mdat") {
            break; // the movie is whole: what follows is no box
        }
        if size > left {
            return Err(MetaError::corrupt(format!(
                "QuickTime/ISO box '{}' at offset {offset} claims {} but the file ends after {} (truncated?)",
                fourcc_str(&kind),
                human_bytes(size),
                human_bytes(src.len())
            )));
        }
        let b = TopBox { kind, offset, body_offset: offset + header_len, body_len: size - header_len };
        visit(&b)?;
        out.push(b);
        if out.len() > MAX_TOP_LEVEL {
            return Err(MetaError::corrupt(format!("more than {MAX_TOP_LEVEL} top-level boxes")));
        }
        offset += size;
    }
    Ok(out)
}

/// Parses a box header from `head`; `avail` is how many bytes the enclosing space has from the
/// header on. Returns (type, header length, total size).
fn parse_header(head: &[u8], avail: u64) -> Result<(FourCC, u64, u64)> {
    let mut r = Reader::new(head, "box header");
    let size32 = r.u32()?;
    let kind = r.fourcc()?;
    let (header_len, size) = match size32 {
        0 => (8, avail),
        1 => (16, r.u64()?),
        n => (8, u64::from(n)),
    };
    if size < header_len {
        return Err(MetaError::corrupt(format!("box '{}' has an impossible size {size} (smaller than its own header)", fourcc_str(&kind))));
    }
    Ok((kind, header_len, size))
}

/// How far a read reaches past the box it is for: the next box header or two (a small box such
/// as an `iref` or `pitm` comes with them, so it costs no read of its own).
const LOOK_AHEAD: u64 = 256;
/// What is left of a parent is read whole once it is this small.
const REST_WHOLE: u64 = 1024;

/// Where the first child of type `kind` of `parent` lies (children from `skip` bytes into its
/// body), found by reading box headers only.
pub fn child(src: &Source, parent: &TopBox, skip: u64, kind: &FourCC) -> Result<Option<TopBox>> {
    let end = parent.body_offset + parent.body_len;
    let mut pos = parent.body_offset + skip;
    while end.saturating_sub(pos) >= 8 {
        let left = end - pos;
        let head = src.read_upto(pos, 16, "box header")?;
        let (k, header_len, size) = parse_header(&head, left)?;
        if size > left {
            return Err(MetaError::corrupt(format!("box '{}' claims {size} bytes but only {left} remain in its parent", fourcc_str(&k))));
        }
        if &k == kind {
            return Ok(Some(TopBox { kind: k, offset: pos, body_offset: pos + header_len, body_len: size - header_len }));
        }
        pos += size;
    }
    Ok(None)
}

/// The children of `parent` (a top-level box; they start `skip` bytes into its body) whose type
/// is in `keep`, packed one after another as in the file, headers included. The others are
/// jumped over rather than read when no read needs to cross them: a HEIF `meta`'s `iprp`
/// (colour profile, codec configurations) is most of its bytes and a scan needs none of it.
/// Each read runs to the end of the kept child it is for, plus [`LOOK_AHEAD`]; the rest of the
/// parent is read whole once it is under [`REST_WHOLE`], with the next top-level header after it.
pub fn read_children(src: &Source, parent: &TopBox, skip: u64, keep: &[&FourCC], what: &str) -> Result<Vec<u8>> {
    let end = parent.body_offset + parent.body_len;
    let mut out = Vec::new();
    // the bytes read last: [at, at + win.len())
    let (mut win, mut at): (Vec<u8>, u64) = (Vec::new(), 0);
    let mut pos = parent.body_offset + skip;
    while end.saturating_sub(pos) >= 8 {
        let left = end - pos;
        let has = |win: &[u8], at: u64, from: u64, to: u64| from >= at && to <= at + win.len() as u64;
        if !has(&win, at, pos, pos + left.min(16)) {
            let len = if left <= REST_WHOLE { left + 16 } else { LOOK_AHEAD };
            win = src.read_upto(pos, len, what)?;
            at = pos;
        }
        let here = &win[(pos - at) as usize..];
        let (kind, _, size) = parse_header(here, left)?;
        if size > left {
            return Err(MetaError::corrupt(format!(
                "box '{}' claims {size} bytes but only {left} remain in its parent",
                fourcc_str(&kind)
            )));
        }
        if keep.contains(&&kind) {
            if !has(&win, at, pos, pos + size) {
                let from = at + win.len() as u64;
                let rest = end - (pos + size);
                let to = if rest <= REST_WHOLE { end + 16 } else { pos + size + LOOK_AHEAD };
                win.extend(src.read_upto(from, to - from, what)?);
            }
            let start = (pos - at) as usize;
            out.extend_from_slice(&win[start..start + size as usize]);
        }
        pos += size;
    }
    Ok(out)
}

/// A box inside loaded bytes.
#[derive(Debug, Clone, Copy)]
pub struct BoxRef<'a> {
    pub kind: FourCC,
    pub body: &'a [u8],
}

/// Iterates the boxes packed in `data`. Yields an error (then stops) when a box overruns.
pub struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
    failed: bool,
}

pub fn boxes(data: &[u8]) -> Boxes<'_> {
    Boxes { data, pos: 0, failed: false }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<BoxRef<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.data.len().saturating_sub(self.pos) < 8 {
            return None;
        }
        let rest = &self.data[self.pos..];
        let parsed = parse_header(rest, rest.len() as u64).and_then(|(kind, hl, size)| {
            if size > rest.len() as u64 {
                return Err(MetaError::corrupt(format!(
                    "box '{}' claims {size} bytes but only {} remain in its parent",
                    fourcc_str(&kind),
                    rest.len()
                )));
            }
            Ok((BoxRef { kind, body: &rest[hl as usize..size as usize] }, size as usize))
        });
        match parsed {
            Ok((b, size)) => {
                self.pos += size;
                Some(Ok(b))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// The first child box of type `kind`, if any (errors in siblings before it are reported).
pub fn find<'a>(data: &'a [u8], kind: &FourCC) -> Result<Option<BoxRef<'a>>> {
    for b in boxes(data) {
        let b = b?;
        if &b.kind == kind {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// Follows a path of box types down from `data` (e.g. `[b"mdia", b"minf", b"stbl"]`).
pub fn find_path<'a>(data: &'a [u8], path: &[&FourCC]) -> Result<Option<BoxRef<'a>>> {
    let mut cur = data;
    let mut found = None;
    for kind in path {
        match find(cur, kind)? {
            Some(b) => {
                cur = b.body;
                found = Some(b);
            }
            None => return Ok(None),
        }
    }
    Ok(found)
}

/// Body of a full box (version + flags) past those 4 bytes, with the version.
pub fn full_box(body: &[u8]) -> Result<(u8, &[u8])> {
    if body.len() < 4 {
        return Err(MetaError::corrupt("full box shorter than its version/flags"));
    }
    Ok((body[0], &body[4..]))
}

/// The children of a `meta` box, which is a plain container in QuickTime and a full box in
/// ISO-BMFF (QTFF "Metadata atoms"; ISO 14496-12 §8.11.1). Probe for the `hdlr` child.
pub fn meta_children(body: &[u8]) -> &[u8] {
    &body[meta_children_at(body)..]
}

/// Where a `meta` box's children start in its body, told from the body's first 12 bytes: 4
/// (past an ISO full box's version and flags) or 0.
pub fn meta_children_at(body: &[u8]) -> usize {
    let qt_hdlr = body.get(4..8) == Some(b"hdlr");
    let iso = body.get(8..12) == Some(b"hdlr") || body.get(..4) == Some(&[0, 0, 0, 0]);
    if !qt_hdlr && iso && body.len() >= 4 {
        4
    } else {
        0
    }
}

/// A box with a 32-bit size around `body` (the MP4 location edit; tests that build files).
#[cfg_attr(not(feature = "media"), allow(dead_code))]
pub(crate) fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 8);
    v.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_siblings_large_sizes_and_to_end_boxes() {
        let mut data = boxed(b"ftyp", b"qt  \0\0\0\0");
        data.extend_from_slice(&1u32.to_be_bytes()); // 64-bit size
        data.extend_from_slice(b"wide");
        data.extend_from_slice(&20u64.to_be_bytes());
        data.extend_from_slice(&[9; 4]);
        data.extend_from_slice(&0u32.to_be_bytes()); // size 0: to the end
        data.extend_from_slice(b"mdat");
        data.extend_from_slice(&[1, 2, 3]);
        let got: Vec<(String, usize)> = boxes(&data).map(|b| b.unwrap()).map(|b| (fourcc_str(&b.kind), b.body.len())).collect();
        assert_eq!(got, vec![("ftyp".into(), 8), ("wide".into(), 4), ("mdat".into(), 3)]);
    }

    #[test]
    fn an_overrunning_child_is_an_error_and_stops_the_walk() {
        let mut data = boxed(b"free", &[0; 4]);
        data.extend_from_slice(&100u32.to_be_bytes());
        data.extend_from_slice(b"moov");
        data.extend_from_slice(&[0; 10]);
        let items: Vec<_> = boxes(&data).collect();
        assert_eq!(items.len(), 2);
        let e = items[1].as_ref().unwrap_err().to_string();
        assert!(e.contains("'moov' claims 100 bytes but only 18 remain"), "{e}");
    }

    /// A HEIF-like file: `ftyp`, then a `meta` whose big `iprp` sits between the boxes a scan
    /// keeps, then `mdat`.
    fn file_with_meta(iprp_len: usize) -> (Vec<u8>, Vec<u8>) {
        let iinf = boxed(b"iinf", &[3u8; 600]);
        let iloc = boxed(b"iloc", &[5u8; 300]);
        let idat = boxed(b"idat", &[6u8; 16]);
        let children = [boxed(b"hdlr", &[0; 25]), boxed(b"pitm", &[0; 6]), iinf.clone(), boxed(b"iref", &[0; 150])];
        let children = [children.concat(), boxed(b"iprp", &vec![4u8; iprp_len]), idat.clone(), iloc.clone()].concat();
        let meta = boxed(b"meta", &[vec![0, 0, 0, 0], children].concat());
        let file = [boxed(b"ftyp", b"heic\0\0\0\0mif1heic"), meta, boxed(b"mdat", &[9; 50_000])].concat();
        (file, [iinf, idat, iloc].concat())
    }

    #[test]
    fn kept_children_are_read_and_a_big_box_between_them_is_jumped_over() {
        for iprp_len in [100, 1500, 20_000] {
            let (file, kept) = file_with_meta(iprp_len);
            let src = Source::from_bytes(&file);
            let mut got = None;
            let top = top_level_with(&src, |b| {
                if &b.kind == b"meta" {
                    got = Some(read_children(&src, b, 4, &[b"iinf", b"iloc", b"idat"], "meta").unwrap());
                }
                Ok(())
            })
            .unwrap();
            assert_eq!(got.as_deref(), Some(&kept[..]), "iprp of {iprp_len} bytes: the kept boxes, whole and in order");
            assert_eq!(top.iter().map(|b| fourcc_str(&b.kind)).collect::<Vec<_>>(), ["ftyp", "meta", "mdat"]);
            // ftyp and meta, each byte at most once, with the next header (16)
            let (read, through_meta) = (src.bytes_read(), top[2].offset + 16);
            assert!(read <= through_meta, "iprp of {iprp_len} bytes: {read} bytes read of {through_meta}");
            if iprp_len == 20_000 {
                assert!(read < through_meta - 19_000, "a 20,000-byte iprp is jumped over: {read} bytes read");
            }
        }
    }

    #[test]
    fn a_child_running_past_its_parent_is_an_error() {
        let meta = boxed(b"meta", &[vec![0, 0, 0, 0], boxed(b"iinf", &[0; 20])[..8].to_vec(), vec![0; 4]].concat());
        let file = [meta, boxed(b"mdat", &[0; 10])].concat();
        let src = Source::from_bytes(&file);
        let top = top_level(&src).unwrap();
        let e = read_children(&src, &top[0], 4, &[b"iinf"], "meta").unwrap_err().to_string();
        assert!(e.contains("'iinf' claims 28 bytes but only 12 remain"), "{e}");
    }

    #[test]
    fn find_path_and_quicktime_or_iso_meta() {
        let stbl = boxed(b"stbl", &boxed(b"stsd", &[0; 8]));
        let trak = boxed(b"mdia", &boxed(b"minf", &stbl));
        assert!(find_path(&trak, &[b"mdia", b"minf", b"stbl", b"stsd"]).unwrap().is_some());
        assert!(find_path(&trak, &[b"mdia", b"hdlr"]).unwrap().is_none());
        let qt = boxed(b"hdlr", &[0; 24]);
        assert_eq!(meta_children(&qt).len(), qt.len());
        let iso = [vec![0, 0, 0, 0], qt.clone()].concat();
        assert_eq!(meta_children(&iso), &qt[..]);
    }
}
