//! Microsoft Virtual Hard Disk (VHD, "vpc"): fixed and dynamic disks.
//!
//! Layout from Microsoft's "Virtual Hard Disk Image Format Specification" (v1.0): a 512-byte
//! big-endian footer (cookie `conectix`) at the end of the file (and a copy at the start of
//! dynamic disks), a dynamic-disk header (cookie `cxsparse`) with a block allocation table of
//! sector offsets; each allocated block starts with a sector bitmap saying which sectors hold
//! data. Differencing disks (type 4) are refused.

use std::io;
use std::sync::Arc;

use crate::dev::{BlockDev, Dev, SliceDev, TableCache, be, check_range, invalid, read_vec};

pub const FOOTER_COOKIE: &[u8; 8] = b"conectix";
const MAX_SIZE: u64 = 64 << 40;
const MAX_BAT: u32 = 16 << 20;

/// Whether the last sector (or 511 bytes) of the file carries a VHD footer.
pub fn footer(file: &dyn BlockDev) -> Option<Vec<u8>> {
    for back in [512u64, 511] {
        if file.size() < back {
            continue;
        }
        if let Ok(f) = read_vec(file, file.size() - back, 512.min(back as usize)) {
            if f.starts_with(FOOTER_COOKIE) {
                let mut f = f;
                f.resize(512, 0);
                return Some(f);
            }
        }
    }
    None
}

/// Dynamic VHD.
pub struct Dynamic {
    file: Dev,
    size: u64,
    block_size: u64,
    bitmap_bytes: u64,
    bat: Vec<u32>,
    bitmaps: TableCache<Vec<u8>>,
    name: String,
}

/// Open a VHD file (fixed or dynamic).
pub fn open(file: Dev) -> io::Result<Dev> {
    let name = file.describe();
    let f =
        footer(file.as_ref()).ok_or_else(|| invalid(format!("{name}: VHD footer not found")))?;
    let size = be::u64(&f, 48);
    let disk_type = be::u32(&f, 60);
    if size > MAX_SIZE {
        return Err(invalid(format!("{name}: VHD size {size} is too large")));
    }
    match disk_type {
        2 => {
            let avail = file.size().saturating_sub(512);
            if size > avail {
                return Err(invalid(format!(
                    "{name}: fixed VHD says {size} bytes but the file holds {avail}; truncated?"
                )));
            }
            Ok(Arc::new(SliceDev::new(
                file,
                0,
                size,
                format!("vhd {name}"),
            )))
        }
        3 => Ok(Arc::new(Dynamic::open(file, size, be::u64(&f, 16))?)),
        4 => Err(invalid(format!(
            "{name}: differencing VHD images (with a parent disk) are not supported"
        ))),
        t => Err(invalid(format!(
            "{name}: VHD disk type {t} is not supported"
        ))),
    }
}

impl Dynamic {
    fn open(file: Dev, size: u64, hdr_off: u64) -> io::Result<Self> {
        let name = file.describe();
        if hdr_off.saturating_add(1024) > file.size() {
            return Err(invalid(format!(
                "{name}: VHD dynamic header at {hdr_off} is past the end of the file"
            )));
        }
        let h = read_vec(file.as_ref(), hdr_off, 1024)?;
        if &h[..8] != b"cxsparse" {
            return Err(invalid(format!(
                "{name}: VHD dynamic header has a bad cookie"
            )));
        }
        let bat_off = be::u64(&h, 16);
        let entries = be::u32(&h, 28);
        let block_size = u64::from(be::u32(&h, 32));
        if !block_size.is_power_of_two() || !(512..=(256 << 20)).contains(&block_size) {
            return Err(invalid(format!(
                "{name}: VHD block size {block_size} is invalid"
            )));
        }
        if entries > MAX_BAT || u64::from(entries) * block_size < size {
            return Err(invalid(format!(
                "{name}: VHD block table of {entries} entries does not cover {size} bytes"
            )));
        }
        if bat_off.saturating_add(u64::from(entries) * 4) > file.size() {
            return Err(invalid(format!(
                "{name}: VHD block table is past the end of the file"
            )));
        }
        let raw = read_vec(file.as_ref(), bat_off, entries as usize * 4)?;
        let bat = raw.chunks_exact(4).map(|c| be::u32(c, 0)).collect();
        let bitmap_bytes = (block_size / 512).div_ceil(8).div_ceil(512) * 512;
        Ok(Self {
            file,
            size,
            block_size,
            bitmap_bytes,
            bat,
            bitmaps: TableCache::new(64),
            name,
        })
    }

    fn read_block_part(&self, blk: u64, within: u64, buf: &mut [u8]) -> io::Result<()> {
        let e = self.bat[blk as usize];
        if e == u32::MAX {
            buf.fill(0);
            return Ok(());
        }
        let base = u64::from(e) * 512;
        if base.saturating_add(self.bitmap_bytes + self.block_size) > self.file.size() {
            return Err(invalid(format!(
                "{}: VHD block {blk} at sector {e} is past the end of the file",
                self.name
            )));
        }
        let bm = self.bitmaps.get_or(base, || {
            read_vec(self.file.as_ref(), base, self.bitmap_bytes as usize)
        })?;
        let data = base + self.bitmap_bytes;
        // Runs of sectors with the same bitmap bit.
        let mut pos = 0usize;
        while pos < buf.len() {
            let off = within + pos as u64;
            let sector = off / 512;
            let present = bm[(sector / 8) as usize] & (0x80 >> (sector % 8)) != 0;
            let mut end = ((sector + 1) * 512 - within) as usize;
            while end < buf.len() {
                let s = (within + end as u64) / 512;
                let p = bm[(s / 8) as usize] & (0x80 >> (s % 8)) != 0;
                if p != present {
                    break;
                }
                end += 512;
            }
            let end = end.min(buf.len());
            if present {
                self.file.read_at(data + off, &mut buf[pos..end])?;
            } else {
                buf[pos..end].fill(0);
            }
            pos = end;
        }
        Ok(())
    }
}

impl BlockDev for Dynamic {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        check_range(self, offset, buf.len())?;
        while !buf.is_empty() {
            let b = offset / self.block_size;
            let within = offset % self.block_size;
            let n = ((self.block_size - within) as usize).min(buf.len());
            let (x, y) = buf.split_at_mut(n);
            self.read_block_part(b, within, x)?;
            buf = y;
            offset += n as u64;
        }
        Ok(())
    }
    fn describe(&self) -> String {
        format!("vhd {}", self.name)
    }
}
