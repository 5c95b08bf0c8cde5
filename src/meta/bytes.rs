//! Bounded reading: every read of file data goes through [`Source`] (positioned reads with a
//! length check against the file size) or [`Reader`] (a cursor over bytes already loaded that
//! never reads past its slice). Nothing here trusts a size field read from the file.

use super::error::{human_bytes, MetaError, Result};
use std::cell::{Cell, RefCell};
use std::fs::File;
use std::path::Path;

/// The most a single metadata read may load (a `moov`, a HEIF `meta`, an EXIF block).
/// Real Live Photo metadata is a few KiB to a few hundred KiB.
pub const MAX_READ: u64 = 64 * 1024 * 1024;

/// What one file's parse may load or build, in all: [`BUDGET_PER_BYTE`] times the file's real
/// length plus [`BUDGET_FLOOR`]. A legitimate parse loads each structure about once (headers,
/// `moov` or `meta`, the EXIF block), so this is never met by a real file, and no size or count
/// field can make a small file cost much memory.
pub const BUDGET_PER_BYTE: u64 = 8;
pub const BUDGET_FLOOR: u64 = 64 * 1024;

/// A file opened read-only (or bytes in memory, for fuzzing and corruption tests), read only at
/// explicit offsets, counting the bytes it reads against the file's budget.
pub struct Source<'a> {
    backing: Backing<'a>,
    len: u64,
    read: Cell<u64>,
    budget: Cell<u64>,
    /// The last few small reads: parsers ask for a box header, then its body, then a field
    /// inside a span already read; those are served from here without another system call, and
    /// a read that starts inside one of them reads only the bytes past its end.
    recent: RefCell<Vec<(u64, Vec<u8>)>>,
}

/// Reads this small or smaller are kept in [`Source::recent`], at most [`RECENT_READS`] of them.
pub const RECENT_MAX: u64 = 8192;
const RECENT_READS: usize = 3;

enum Backing<'a> {
    File(File),
    Memory(&'a [u8]),
    /// A span of another source (a motion photo's embedded video): reads, counts and budget
    /// are the other source's.
    Within(&'a Source<'a>, u64),
}

impl Source<'static> {
    /// Opens `path` read-only (inputs are never written); also gives the open file's metadata.
    pub fn open(path: &Path) -> Result<(Self, std::fs::Metadata)> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        let len = meta.len();
        let src = Source {
            backing: Backing::File(file),
            len,
            read: Cell::new(0),
            budget: Cell::new(budget_for(len)),
            recent: RefCell::default(),
        };
        Ok((src, meta))
    }
}

impl<'a> Source<'a> {
    pub fn from_bytes(data: &'a [u8]) -> Self {
        let len = data.len() as u64;
        Source { len, backing: Backing::Memory(data), read: Cell::new(0), budget: Cell::new(budget_for(len)), recent: RefCell::default() }
    }

    /// The `len` bytes at `offset` as a source of their own (offsets count from `offset`).
    pub fn window(&'a self, offset: u64, len: u64) -> Result<Source<'a>> {
        if offset.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(MetaError::Truncated { what: "embedded video".into(), offset, claimed: len, file_len: self.len });
        }
        Ok(Source { backing: Backing::Within(self, offset), len, read: Cell::new(0), budget: Cell::new(0), recent: RefCell::default() })
    }

    /// Takes `n` bytes from the file's budget before they are allocated; `what` names the
    /// structure that wants them.
    pub fn charge(&self, n: u64, what: &str) -> Result<()> {
        if let Backing::Within(outer, _) = &self.backing {
            return outer.charge(n, what);
        }
        let left = self.budget.get();
        if n > left {
            return Err(MetaError::corrupt(format!(
                "{what} would need {} more, beyond what a {} file can hold (corrupt size or count fields)",
                human_bytes(n),
                human_bytes(self.len)
            )));
        }
        self.budget.set(left - n);
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// Bytes actually read so far (for the "headers only" promise and the benchmark).
    pub fn bytes_read(&self) -> u64 {
        match &self.backing {
            Backing::Within(outer, _) => outer.bytes_read(),
            _ => self.read.get(),
        }
    }

    /// Reads exactly `len` bytes at `offset`; `what` names the structure for error messages.
    pub fn read_at(&self, offset: u64, len: u64, what: &str) -> Result<Vec<u8>> {
        let end = offset.checked_add(len).ok_or_else(|| MetaError::corrupt(format!("{what}: offset overflows")))?;
        if end > self.len {
            return Err(MetaError::Truncated { what: what.to_string(), offset, claimed: len, file_len: self.len });
        }
        if len > MAX_READ {
            return Err(MetaError::TooLarge { what: what.to_string(), size: len, limit: MAX_READ });
        }
        if let Backing::Within(outer, base) = &self.backing {
            return outer.read_at(base + offset, len, what);
        }
        // a span read before gives the bytes it has: all of them (no read), or the start of them
        let mut known: &[u8] = &[];
        let recent = self.recent.borrow();
        for (at, data) in recent.iter() {
            let Some(from) = offset.checked_sub(*at).and_then(|f| usize::try_from(f).ok()).filter(|&f| f < data.len()) else { continue };
            if let Some(all) = data.get(from..from + len as usize) {
                return Ok(all.to_vec());
            }
            if data.len() - from > known.len() {
                known = &data[from..];
            }
        }
        let known_len = known.len() as u64;
        self.charge(len - known_len, what)?;
        let mut buf = vec![0u8; len as usize];
        buf[..known.len()].copy_from_slice(known);
        drop(recent);
        let (fresh, fresh_at) = (&mut buf[known_len as usize..], offset + known_len);
        match &self.backing {
            Backing::File(f) => read_exact_at(f, fresh, fresh_at).map_err(|e| shrink_error(e, what, self.len))?,
            Backing::Memory(m) => fresh.copy_from_slice(&m[fresh_at as usize..end as usize]),
            Backing::Within(..) => unreachable!("handled above"),
        }
        self.read.set(self.read.get() + len - known_len);
        if len <= RECENT_MAX {
            let mut recent = self.recent.borrow_mut();
            if recent.len() == RECENT_READS {
                recent.remove(0);
            }
            recent.push((offset, buf.clone()));
        }
        Ok(buf)
    }

    /// Reads up to `len` bytes at `offset`, fewer at the end of the file.
    pub fn read_upto(&self, offset: u64, len: u64, what: &str) -> Result<Vec<u8>> {
        let len = len.min(self.len.saturating_sub(offset));
        self.read_at(offset, len, what)
    }
}

fn budget_for(len: u64) -> u64 {
    len.saturating_mul(BUDGET_PER_BYTE).saturating_add(BUDGET_FLOOR)
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_read(buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

/// A file that shrank while we read it reports an early EOF: say so in words.
fn shrink_error(e: std::io::Error, what: &str, len: u64) -> MetaError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        MetaError::corrupt(format!("{what}: the file became shorter than {} while it was read", human_bytes(len)))
    } else {
        MetaError::Io(e)
    }
}

/// Byte order of a TIFF-style structure (EXIF, the Apple MakerNote): bounded reads at offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endian {
    pub big: bool,
}

impl Endian {
    pub fn u16_at(self, data: &[u8], p: usize) -> Option<u16> {
        let b: [u8; 2] = data.get(p..p.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }

    pub fn u32_at(self, data: &[u8], p: usize) -> Option<u32> {
        let b: [u8; 4] = data.get(p..p.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    #[cfg(feature = "media")] // export rewrites EXIF fields
    pub fn u16_bytes(self, v: u16) -> [u8; 2] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    #[cfg(feature = "media")]
    pub fn u32_bytes(self, v: u32) -> [u8; 4] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_shrinks_while_read_is_an_error_in_words() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("clip.mov");
        std::fs::write(&p, vec![7u8; 4096]).unwrap();
        let (src, _) = Source::open(&p).unwrap();
        std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(100).unwrap();
        let e = src.read_at(1000, 100, "QuickTime 'moov' box").unwrap_err().to_string();
        assert!(e.contains("became shorter"), "{e}");
    }

    #[test]
    fn reads_past_the_end_name_what_and_where() {
        let data = [0u8; 10];
        let src = Source::from_bytes(&data);
        let e = src.read_at(8, 100, "HEIF 'meta' box").unwrap_err().to_string();
        assert!(e.contains("HEIF 'meta' box") && e.contains("offset 8") && e.contains("100 bytes"), "{e}");
        assert_eq!(src.read_upto(8, 100, "x").unwrap().len(), 2);
    }

    #[test]
    fn a_read_that_starts_inside_a_recent_one_reads_only_what_is_new() {
        let data: Vec<u8> = (0..=255).cycle().take(20_000).collect();
        let src = Source::from_bytes(&data);
        assert_eq!(src.read_at(0, 64, "head").unwrap(), &data[..64]);
        assert_eq!(src.read_at(40, 300, "box").unwrap(), &data[40..340], "the known start and the new rest, joined");
        assert_eq!(src.bytes_read(), 340, "bytes 40..64 came from the first read");
        assert_eq!(src.read_at(100, 200, "field").unwrap(), &data[100..300]);
        assert_eq!(src.bytes_read(), 340, "inside a recent read: no read at all");
        assert_eq!(src.read_at(10_000, 100, "elsewhere").unwrap(), &data[10_000..10_100]);
        assert_eq!(src.bytes_read(), 440);
    }
}

/// A big-endian cursor over a byte slice that never reads past its end.
#[derive(Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Reader { data, pos: 0, what }
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(MetaError::corrupt(format!("{} is cut short: needed {n} more bytes, {} left", self.what, self.remaining())));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    pub fn fourcc(&mut self) -> Result<[u8; 4]> {
        let b = self.take(4)?;
        Ok([b[0], b[1], b[2], b[3]])
    }

    /// An unsigned big-endian integer of 0, 4 or 8 bytes (HEIF `iloc` field sizes).
    pub fn uint(&mut self, size: u8) -> Result<u64> {
        match size {
            0 => Ok(0),
            4 => Ok(u64::from(self.u32()?)),
            8 => self.u64(),
            n => Err(MetaError::corrupt(format!("{}: unsupported field size {n}", self.what))),
        }
    }
}
