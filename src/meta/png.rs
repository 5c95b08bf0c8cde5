//! PNG stills: app-made Live Photos save their key photo as PNG (often behind a `.HEIC` name)
//! with the Apple MakerNote in an EXIF block. The chunks are walked by their headers only (the
//! image data is skipped); EXIF comes from the `eXIf` chunk (PNG 1.5 extension), else from a
//! `Raw profile type exif` / `APP1` text chunk (`tEXt`, `zTXt` or `iTXt`, hex as ImageMagick and
//! ExifTool write it), else nothing. XMP (`iTXt` `XML:com.adobe.xmp`) is read for the
//! motion-photo facts only ([`super::motion`]).

use super::bytes::Source;
use super::error::{MetaError, Result};
use super::info::StillInfo;

pub const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Text chunks longer than this are not metadata we want (ImageMagick's raw profiles of a
/// 64 KiB EXIF block are ~130 KiB of hex).
const MAX_TEXT_CHUNK: u64 = 4 << 20;
/// An inflated text chunk may be at most this large (zlib can expand 1000:1).
const MAX_INFLATED: usize = 8 << 20;

/// Reads a PNG still's metadata from its chunks.
pub fn read_png(src: &Source) -> Result<StillInfo> {
    let mut info = StillInfo::default();
    let (tiff, xmp) = walk(src)?;
    if let Some(tiff) = tiff {
        super::exif::apply_tiff(&mut info, tiff)?;
    }
    info.motion = super::motion::appended(src, xmp.as_slice());
    if info.motion.video.is_none() {
        // a Huawei's tail may follow any image (its writer appends to the file as it is)
        let end = src.read_upto(src.len().saturating_sub(32), 32, "PNG end")?;
        info.note = super::trailer::read(src, &end, &mut info);
    }
    Ok(info)
}

/// The EXIF TIFF block of a PNG in memory (what a JPEG made from it carries over), if any.
#[cfg(feature = "media")] // export keeps it in the JPEG
pub fn exif_block(data: &[u8]) -> Option<Vec<u8>> {
    walk(&Source::from_bytes(data)).ok()?.0
}

type Tiff = Vec<u8>;
type Xmp = Vec<u8>;

/// Walks the chunks to IEND: the EXIF TIFF block (`eXIf` first, else a raw-profile text chunk)
/// and the XMP packet.
fn walk(src: &Source) -> Result<(Option<Tiff>, Option<Xmp>)> {
    let (mut from_chunk, mut from_text, mut xmp) = (None, None, None);
    let mut offset = SIGNATURE.len() as u64;
    loop {
        if offset == src.len() {
            return Err(MetaError::corrupt(format!("PNG ends after {offset} bytes without its IEND chunk: the file looks truncated")));
        }
        let head = src.read_at(offset, 8, "PNG chunk header")?;
        let len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let kind: [u8; 4] = [head[4], head[5], head[6], head[7]];
        if len > i32::MAX as u64 || !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(MetaError::corrupt(format!(
                "PNG: the chunk at offset {offset} is not a chunk (type {}, length {len})",
                String::from_utf8_lossy(&kind).escape_debug()
            )));
        }
        let body = offset + 8;
        let next = body + len + 4; // data, then the CRC
        if next > src.len() {
            let what = format!("PNG chunk '{}'", String::from_utf8_lossy(&kind));
            return Err(MetaError::Truncated { what, offset, claimed: len + 12, file_len: src.len() });
        }
        match &kind {
            b"IEND" => break,
            b"eXIf" if from_chunk.is_none() => {
                let data = src.read_at(body, len, "PNG eXIf chunk")?;
                from_chunk = Some(tiff_of(data));
            }
            b"tEXt" | b"zTXt" | b"iTXt" if len <= MAX_TEXT_CHUNK => {
                let keyword = src.read_upto(body, 80.min(len), "PNG text chunk keyword")?;
                let keyword = keyword.split(|&b| b == 0).next().unwrap_or(&[]);
                let is_exif =
                    keyword.eq_ignore_ascii_case(b"Raw profile type exif") || keyword.eq_ignore_ascii_case(b"Raw profile type APP1");
                let is_xmp = &kind == b"iTXt" && keyword == b"XML:com.adobe.xmp";
                if (is_exif && from_text.is_none()) || is_xmp {
                    let data = src.read_at(body, len, "PNG text chunk")?;
                    let text = text_of(src, &kind, &data)?;
                    if is_exif {
                        from_text = raw_profile(&text).map(tiff_of);
                    } else {
                        xmp = Some(text);
                    }
                }
            }
            _ => {}
        }
        offset = next;
    }
    Ok((from_chunk.or(from_text), xmp))
}

/// An EXIF block from its TIFF header on: some writers keep JPEG's `Exif\0\0` in front of it.
fn tiff_of(mut block: Vec<u8>) -> Vec<u8> {
    if block.starts_with(b"Exif\0\0") {
        block.drain(..6);
    }
    block
}

/// The text of a `tEXt`, `zTXt` or `iTXt` chunk (after its keyword), inflated when compressed.
fn text_of(src: &Source, kind: &[u8; 4], data: &[u8]) -> Result<Vec<u8>> {
    let after_keyword = data.iter().position(|&b| b == 0).map_or(&[][..], |i| &data[i + 1..]);
    let (compressed, text) = match kind {
        b"tEXt" => (false, after_keyword),
        b"zTXt" => (true, after_keyword.get(1..).unwrap_or(&[])), // compression method byte
        _ => {
            // iTXt: compression flag, method, language tag\0, translated keyword\0, text
            let flag = after_keyword.first().copied().unwrap_or(0);
            let rest = after_keyword.get(2..).unwrap_or(&[]);
            let mut parts = rest.splitn(3, |&b| b == 0);
            let (_lang, _translated) = (parts.next(), parts.next());
            (flag == 1, parts.next().unwrap_or(&[]))
        }
    };
    if !compressed {
        return Ok(text.to_vec());
    }
    let limit = MAX_INFLATED.min(usize::try_from(src.len().saturating_mul(64)).unwrap_or(MAX_INFLATED));
    let inflated = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(text, limit)
        .map_err(|e| MetaError::corrupt(format!("PNG: a compressed text chunk does not inflate ({:?})", e.status)))?;
    src.charge(inflated.len() as u64, "PNG text chunk")?;
    Ok(inflated)
}

/// The bytes of an ImageMagick-style raw profile: `\n<name>\n<spaces><length>\n<hex…>`.
fn raw_profile(text: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(text).ok()?;
    let mut lines = text.trim_start_matches('\n').splitn(3, '\n');
    let _name = lines.next()?;
    let len: usize = lines.next()?.trim().parse().ok()?;
    let hex: Vec<u8> = lines.next()?.bytes().filter(u8::is_ascii_hexdigit).collect();
    if hex.len() < len * 2 {
        return None;
    }
    let nibble = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    hex[..len * 2].chunks_exact(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::meta::{read_media_bytes, MediaInfo, StillFormat};

    /// A PNG chunk: length, type, data, CRC (the CRC is not checked by readers of metadata).
    pub fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(data);
        v.extend_from_slice(&[0; 4]);
        v
    }

    /// A 1×1 PNG carrying `extra` chunks before its image data.
    pub fn png(extra: &[Vec<u8>]) -> Vec<u8> {
        let ihdr = chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
        [SIGNATURE.to_vec(), ihdr, extra.concat(), chunk(b"IDAT", &[0; 12]), chunk(b"IEND", &[])].concat()
    }

    /// A big-endian TIFF with IFD0 = Make "Apple", Orientation 6.
    fn tiff() -> Vec<u8> {
        let mut t = b"MM\0\x2a\0\0\0\x08\0\x02".to_vec();
        t.extend_from_slice(&[0x01, 0x0f, 0, 2, 0, 0, 0, 6, 0, 0, 0, 38]); // Make, ASCII, 6 bytes at 38
        t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation 6
        t.extend_from_slice(&[0, 0, 0, 0]);
        t.extend_from_slice(b"Apple\0");
        t
    }

    fn still(data: &[u8]) -> StillInfo {
        match read_media_bytes(data, "x.HEIC") {
            Ok(Some(MediaInfo::Still(StillFormat::Png, s))) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn exif_comes_from_the_exif_chunk() {
        let s = still(&png(&[chunk(b"eXIf", &tiff())]));
        assert_eq!((s.shot.make.as_deref(), s.orientation), (Some("Apple"), Some(6)));
    }

    #[test]
    fn exif_comes_from_a_raw_profile_text_chunk_plain_or_compressed() {
        let block = [b"Exif\0\0".to_vec(), tiff()].concat();
        let hex: String = block.iter().map(|b| format!("{b:02x}")).collect();
        let text = format!("\nexif\n    {}\n{}\n", block.len(), hex);
        let plain = chunk(b"tEXt", &[b"Raw profile type exif\0".to_vec(), text.clone().into_bytes()].concat());
        assert_eq!(still(&png(&[plain])).shot.make.as_deref(), Some("Apple"));
        let z = miniz_oxide::deflate::compress_to_vec_zlib(text.as_bytes(), 6);
        let ztxt = chunk(b"zTXt", &[b"Raw profile type exif\0\0".to_vec(), z].concat());
        assert_eq!(still(&png(&[ztxt])).orientation, Some(6));
    }

    #[test]
    fn a_plain_png_is_a_still_without_metadata_and_a_cut_one_is_an_error() {
        let p = png(&[]);
        assert_eq!(still(&p), StillInfo::default());
        let e = read_media_bytes(&p[..p.len() - 12], "a.png").unwrap_err().to_string();
        assert!(e.contains("without its IEND"), "{e}");
        let e = read_media_bytes(&p[..40], "a.png").unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn a_zip_bomb_text_chunk_is_refused() {
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b'0'; 50 << 20], 10);
        let ztxt = chunk(b"zTXt", &[b"Raw profile type exif\0\0".to_vec(), bomb].concat());
        assert!(read_media_bytes(&png(&[ztxt]), "a.png").is_err());
    }
}
