//! How a HEIF image item is coded, for decoding it without libheif (docs/formats.md "HEIC
//! stills, decoded"): the HEVC set-up (`hvcC`) and the coded bytes of each of its tiles, the grid
//! they make and the size it is cut to, and the transforms to apply after (rotation, mirror), from
//! `pitm`, `iinf`, `iloc`, `iref` (`dimg`) and `iprp` (`ipco` + `ipma`) (ISO/IEC 23008-12 §6.6,
//! §9.3; ISO/IEC 14496-12 §8.11). An item this reader does not take (another codec, a crop, an
//! overlay, tiles of different set-ups) is `Ok(None)`: the caller decodes it otherwise.

use super::bytes::{Reader, Source};
use super::error::{MetaError, Result};
use super::heif;
use super::isobmff;

/// The most tiles a grid may have (256 x 256: a 131072-pixel-wide image of 512-pixel tiles).
const MAX_TILES: usize = 65_536;

/// An HEVC-coded image, as its tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct CodedImage {
    /// The `hvcC` record (the decoder's set-up: parameter sets, NAL length size), shared by
    /// every tile.
    pub config: Vec<u8>,
    /// Each tile's coded bytes, row by row.
    pub tiles: Vec<Vec<u8>>,
    /// Tiles per row and rows (1 x 1 for a single-tile image).
    pub columns: u32,
    pub rows: u32,
    /// Each tile's size, and the image's (the grid's output size, at most the tiles' span).
    pub tile_size: (u32, u32),
    pub size: (u32, u32),
    /// What to do after decoding, in order.
    pub transforms: Vec<Transform>,
}

/// A transform a HEIF applies to a decoded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Counter-clockwise, in quarter turns (`irot`).
    Rotate(u8),
    /// `imir` axis 0: about the vertical axis (left and right swap); 1: about the horizontal.
    Mirror(u8),
}

/// The primary image of the HEIF `file`, when it is coded as this reader takes.
pub fn primary(file: &[u8]) -> Result<Option<CodedImage>> {
    let Some((src, children)) = meta(file)? else { return Ok(None) };
    let Some(pitm) = isobmff::find(children, b"pitm")? else { return Ok(None) };
    let (version, body) = isobmff::full_box(pitm.body)?;
    let mut r = Reader::new(body, "HEIF 'pitm' box");
    let id = if version == 0 { u32::from(r.u16()?) } else { r.u32()? };
    image(&src, children, id)
}

/// The image item `id` of the HEIF `file` (a gain map, an auxiliary image).
pub fn item(file: &[u8], id: u32) -> Result<Option<CodedImage>> {
    let Some((src, children)) = meta(file)? else { return Ok(None) };
    image(&src, children, id)
}

fn meta(file: &[u8]) -> Result<Option<(Source<'_>, &[u8])>> {
    let Some(layout) = super::heif_edit::meta_layout(file)? else { return Ok(None) };
    Ok(Some((Source::from_bytes(file), layout.children)))
}

fn image(src: &Source, children: &[u8], id: u32) -> Result<Option<CodedImage>> {
    let types = heif::item_types(children)?;
    let Some(kind) = types.iter().find(|t| t.0 == id).map(|t| t.1) else { return Ok(None) };
    let props = Properties::read(children)?;
    let Some(own) = props.of(id) else { return Ok(None) };
    let Some(transforms) = transforms(&own)? else { return Ok(None) };
    let Some(size) = ispe(&own)? else { return Ok(None) };
    let (tile_ids, columns, rows) = match &kind {
        b"hvc1" => (vec![id], 1, 1),
        b"grid" => {
            let data = item_data(src, children, id)?;
            let Some((rows, columns, out)) = grid(&data)? else { return Ok(None) };
            if out != size {
                return Ok(None); // a grid whose output is not its own size: not a layout this reader knows
            }
            let Some(tiles) = super::heif_edit::derived_from(children, id)? else { return Ok(None) };
            if tiles.len() != (rows * columns) as usize || tiles.len() > MAX_TILES {
                return Err(MetaError::corrupt(format!("HEIF grid {id}: {rows}x{columns} tiles, but {} references", tiles.len())));
            }
            (tiles, columns, rows)
        }
        _ => return Ok(None),
    };
    let mut config: Option<&[u8]> = None;
    let mut tile_size = None;
    for &t in &tile_ids {
        if types.iter().find(|x| x.0 == t).map(|x| x.1) != Some(*b"hvc1") {
            return Ok(None);
        }
        let Some(p) = props.of(t) else { return Ok(None) };
        let (Some(hvcc), Some(s)) = (p.iter().find(|b| &b.0 == b"hvcC").map(|b| b.1), ispe(&p)?) else { return Ok(None) };
        // every tile decoded by one decoder: one set-up, one size (and, for a tile, no transform of its own)
        if config.is_some_and(|c| c != hvcc) || tile_size.is_some_and(|ts| ts != s) || (kind == *b"grid" && transforms_in(&p)) {
            return Ok(None);
        }
        config = Some(hvcc);
        tile_size = Some(s);
    }
    let (Some(config), Some(tile_size)) = (config, tile_size) else { return Ok(None) };
    if u64::from(tile_size.0) * u64::from(columns) < u64::from(size.0) || u64::from(tile_size.1) * u64::from(rows) < u64::from(size.1) {
        return Err(MetaError::corrupt(format!("HEIF image {id}: its tiles do not cover its {}x{} pixels", size.0, size.1)));
    }
    let (locations, _) = heif::item_locations(src, children, |i| tile_ids.contains(&i))?;
    let mut tiles = Vec::with_capacity(tile_ids.len());
    let mut total = 0u64;
    for t in &tile_ids {
        let loc = locations.iter().find(|l| l.id() == *t).ok_or_else(|| MetaError::corrupt(format!("HEIF tile {t} has no location")))?;
        let tile = heif::read_item(src, children, loc)?;
        // tiles are distinct bytes of the file: many pointing at the same bytes would make
        // copies without end of a small file
        total += tile.len() as u64;
        if total > src.len() {
            return Err(MetaError::corrupt(format!("HEIF image {id}: its tiles add up to more bytes than the file holds")));
        }
        tiles.push(tile);
    }
    Ok(Some(CodedImage { config: config.to_vec(), tiles, columns, rows, tile_size, size, transforms }))
}

fn item_data(src: &Source, children: &[u8], id: u32) -> Result<Vec<u8>> {
    let (locations, _) = heif::item_locations(src, children, |i| i == id)?;
    let loc = locations.first().ok_or_else(|| MetaError::corrupt(format!("HEIF item {id} has no location")))?;
    heif::read_item(src, children, loc)
}

/// A grid's rows, columns and output size.
type Grid = (u32, u32, (u32, u32));

/// A grid's rows, columns and output size (ISO/IEC 23008-12 §6.6.2.3); `None` for a version
/// this reader does not know.
fn grid(data: &[u8]) -> Result<Option<Grid>> {
    let mut r = Reader::new(data, "HEIF grid");
    if r.u8()? != 0 {
        return Ok(None);
    }
    let flags = r.u8()?;
    let (rows, columns) = (u32::from(r.u8()?) + 1, u32::from(r.u8()?) + 1);
    let (w, h) = match flags & 1 {
        0 => (u32::from(r.u16()?), u32::from(r.u16()?)),
        _ => (r.u32()?, r.u32()?),
    };
    Ok(Some((rows, columns, (w, h))))
}

/// The image size an item's `ispe` gives.
fn ispe(props: &[([u8; 4], &[u8])]) -> Result<Option<(u32, u32)>> {
    let Some(body) = props.iter().find(|b| &b.0 == b"ispe").map(|b| b.1) else { return Ok(None) };
    let (_, body) = isobmff::full_box(body)?;
    let mut r = Reader::new(body, "HEIF 'ispe' property");
    let (w, h) = (r.u32()?, r.u32()?);
    Ok((w > 0 && h > 0).then_some((w, h)))
}

/// Whether an item has a property that changes its pixels after decoding.
fn transforms_in(props: &[([u8; 4], &[u8])]) -> bool {
    props.iter().any(|b| matches!(&b.0, b"irot" | b"imir" | b"clap"))
}

/// The rotations and mirrors of an item, in order; `None` when it has one this reader does not
/// apply (a crop, `clap`).
fn transforms(props: &[([u8; 4], &[u8])]) -> Result<Option<Vec<Transform>>> {
    let mut out = Vec::new();
    for (kind, body) in props {
        match kind {
            b"irot" => out.push(Transform::Rotate(body.first().ok_or_else(|| MetaError::corrupt("HEIF: an empty 'irot'"))? & 3)),
            b"imir" => out.push(Transform::Mirror(body.first().ok_or_else(|| MetaError::corrupt("HEIF: an empty 'imir'"))? & 1)),
            b"clap" => return Ok(None),
            _ => {}
        }
    }
    Ok(Some(out))
}

/// The property boxes (`ipco`) and which go with which item (`ipma`).
struct Properties<'a> {
    boxes: Vec<([u8; 4], &'a [u8])>,
    /// (item, 1-based property indexes in order)
    associations: Vec<(u32, Vec<u16>)>,
}

impl<'a> Properties<'a> {
    fn read(children: &'a [u8]) -> Result<Self> {
        let Some(iprp) = isobmff::find(children, b"iprp")? else { return Ok(Properties { boxes: Vec::new(), associations: Vec::new() }) };
        let ipco = isobmff::find(iprp.body, b"ipco")?.ok_or_else(|| MetaError::corrupt("HEIF: 'iprp' without 'ipco'"))?;
        let boxes = isobmff::boxes(ipco.body).map(|b| b.map(|b| (b.kind, b.body))).collect::<Result<Vec<_>>>()?;
        let mut associations = Vec::new();
        for b in isobmff::boxes(iprp.body) {
            let b = b?;
            if &b.kind != b"ipma" {
                continue;
            }
            let (version, flags, body) = full_box_flags(b.body)?;
            let mut r = Reader::new(body, "HEIF 'ipma' box");
            let count = r.u32()? as usize;
            if count > r.remaining() / 3 {
                return Err(MetaError::corrupt(format!("HEIF 'ipma' claims {count} items in {} bytes", r.remaining())));
            }
            for _ in 0..count {
                let item = if version < 1 { u32::from(r.u16()?) } else { r.u32()? };
                let n = usize::from(r.u8()?);
                let mut idx = Vec::with_capacity(n);
                for _ in 0..n {
                    idx.push(if flags & 1 == 1 { r.u16()? & 0x7FFF } else { u16::from(r.u8()? & 0x7F) });
                }
                associations.push((item, idx));
            }
        }
        Ok(Properties { boxes, associations })
    }

    /// An item's properties, in its `ipma` order; `None` when one names no property.
    fn of(&self, item: u32) -> Option<Vec<([u8; 4], &'a [u8])>> {
        let (_, idx) = self.associations.iter().find(|a| a.0 == item)?;
        idx.iter().filter(|&&i| i > 0).map(|&i| self.boxes.get(usize::from(i) - 1).copied()).collect()
    }
}

/// A full box's version, flags and the rest.
fn full_box_flags(body: &[u8]) -> Result<(u8, u32, &[u8])> {
    let head = body.get(..4).ok_or_else(|| MetaError::corrupt("HEIF: a full box shorter than its header"))?;
    Ok((head[0], u32::from_be_bytes([0, head[1], head[2], head[3]]), &body[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)).unwrap()
    }

    #[test]
    fn a_fixture_heics_primary_is_its_tiles_and_their_set_up() {
        let file = fixture("heic_mov/IMG_0001.HEIC");
        let image = primary(&file).unwrap().expect("an HEVC image");
        assert_eq!(image.tiles.len() as u32, image.columns * image.rows);
        assert!(image.tile_size.0 * image.columns >= image.size.0 && image.tile_size.1 * image.rows >= image.size.1);
        assert_eq!(image.config.first(), Some(&1), "an hvcC record starts with its version, 1");
        assert!(image.tiles.iter().all(|t| t.len() > 4));
    }

    /// A grid HEIF of `n` x `n` tiles of 64 x 64 pixels, every tile's location the same
    /// `tile_len` bytes of its `mdat`.
    fn grid_of_one_tile_repeated(n: u16, tile_len: u32) -> Vec<u8> {
        use crate::meta::isobmff::boxed;
        let full = |kind: &[u8; 4], body: &[u8]| boxed(kind, &[&[0u8; 4][..], body].concat());
        let tiles = n * n;
        let build = |mdat_at: u32| {
            let mut infe = Vec::new();
            for id in 1..=tiles + 1 {
                let kind = if id == 1 { b"grid" } else { b"hvc1" };
                infe.extend(boxed(b"infe", &[&[2, 0, 0, 0][..], &id.to_be_bytes(), &[0, 0], kind, &[0]].concat()));
            }
            let mut iloc = vec![1, 0, 0, 0, 0x44, 0x00];
            iloc.extend((tiles + 1).to_be_bytes());
            iloc.extend([&1u16.to_be_bytes()[..], &[0, 1, 0, 0, 0, 1], &0u32.to_be_bytes(), &8u32.to_be_bytes()].concat());
            for id in 2..=tiles + 1 {
                iloc.extend([&id.to_be_bytes()[..], &[0, 0, 0, 0, 0, 1], &mdat_at.to_be_bytes(), &tile_len.to_be_bytes()].concat());
            }
            let side = (64 * n).to_be_bytes();
            let grid = [&[0, 0, (n - 1) as u8, (n - 1) as u8][..], &side, &side].concat();
            let dimg =
                [&1u16.to_be_bytes()[..], &tiles.to_be_bytes(), &(2..=tiles + 1).flat_map(u16::to_be_bytes).collect::<Vec<_>>()].concat();
            let ispe = |w: u32| full(b"ispe", &[w.to_be_bytes(), w.to_be_bytes()].concat());
            let ipco = boxed(b"ipco", &[boxed(b"hvcC", &[1; 23]), ispe(64), ispe(64 * u32::from(n))].concat());
            let mut ipma = u32::from(tiles + 1).to_be_bytes().to_vec();
            ipma.extend([&1u16.to_be_bytes()[..], &[1, 0x03]].concat());
            for id in 2..=tiles + 1 {
                ipma.extend([&id.to_be_bytes()[..], &[2, 0x81, 0x02]].concat());
            }
            let meta = [
                full(b"hdlr", &[&[0; 4][..], b"pict", &[0; 13]].concat()),
                full(b"pitm", &1u16.to_be_bytes()),
                full(b"iinf", &[&tiles.wrapping_add(1).to_be_bytes()[..], &infe].concat()),
                boxed(b"iloc", &iloc),
                full(b"iref", &boxed(b"dimg", &dimg)),
                boxed(b"iprp", &[ipco, full(b"ipma", &ipma)].concat()),
                boxed(b"idat", &grid),
            ]
            .concat();
            [boxed(b"ftyp", b"heic\0\0\0\0mif1heic"), full(b"meta", &meta)].concat()
        };
        let head = build(0);
        let at = head.len() as u32 + 8;
        [build(at), boxed(b"mdat", &vec![7; tile_len as usize])].concat()
    }

    /// Tiles are distinct bytes of the file: a grid whose 256 tiles all point at one 4 KB span
    /// would copy it 256 times (64 MB from a 64 KB-sized claim, without end at 65536 tiles).
    #[test]
    fn tiles_sharing_their_bytes_are_refused() {
        let honest = grid_of_one_tile_repeated(1, 4000);
        let image = primary(&honest).unwrap().expect("a 1 x 1 grid");
        assert_eq!((image.tiles.len(), image.size, image.tile_size), (1, (64, 64), (64, 64)));
        let shared = grid_of_one_tile_repeated(16, 4000);
        assert!(shared.len() < 20_000, "{}", shared.len());
        let err = primary(&shared).map(|i| i.map(|i| i.tiles.len())).unwrap_err().to_string();
        assert!(err.contains("its tiles add up to more bytes than the file holds"), "{err}");
    }

    #[test]
    fn damaged_heics_are_errors_or_none_never_panics() {
        let file = fixture("heic_mov/IMG_0001.HEIC");
        for cut in (0..file.len()).step_by(13) {
            let _ = primary(&file[..cut]);
        }
        for i in 0..file.len().min(3000) {
            let mut bad = file.clone();
            bad[i] ^= 0xFF;
            let _ = primary(&bad);
        }
    }
}
