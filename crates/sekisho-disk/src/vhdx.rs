//! Microsoft VHDX.
//!
//! Layout from [MS-VHDX] (v20160714): a file type identifier (`vhdxfile`), two headers (`head`,
//! CRC-32C, the one with the larger sequence number wins), two region tables (`regi`) locating the
//! block allocation table (BAT) and the metadata region, metadata items (block size, virtual disk
//! size, logical sector size), and a BAT of 64-bit entries (state in bits 0-2, file offset in MiB
//! in bits 20-63) with one sector-bitmap entry after every `chunk ratio` payload entries.
//! Differencing disks and images with a pending log are refused.

use std::io;
use std::sync::Arc;

use crate::dev::{BlockDev, Dev, check_range, crc32c, invalid, le, read_vec};

pub const MAGIC: &[u8; 8] = b"vhdxfile";
const MAX_SIZE: u64 = 64 << 40;
const MAX_BAT_ENTRIES: u64 = 64 << 20;

/// GUIDs as stored on disk (first three fields little-endian).
fn guid(s: &str) -> [u8; 16] {
    let h: Vec<u8> = s
        .chars()
        .filter(|c| *c != '-')
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| u8::from_str_radix(&c.iter().collect::<String>(), 16).unwrap_or(0))
        .collect();
    let mut g = [0u8; 16];
    g[0] = h[3];
    g[1] = h[2];
    g[2] = h[1];
    g[3] = h[0];
    g[4] = h[5];
    g[5] = h[4];
    g[6] = h[7];
    g[7] = h[6];
    g[8..16].copy_from_slice(&h[8..16]);
    g
}

const BAT_GUID: &str = "2DC27766-F623-4200-9D64-115E9BFD4A08";
const META_GUID: &str = "8B7CA206-4790-4B9A-B8FE-575F050F886E";
const FILE_PARAMS: &str = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B";
const DISK_SIZE: &str = "2FA54224-CD1B-4876-B211-5DBED83BF4B8";
const LOGICAL_SECTOR: &str = "8141BF1D-A96F-4709-BA47-F233A8FAAB5F";

pub struct Vhdx {
    file: Dev,
    size: u64,
    block_size: u64,
    chunk_ratio: u64,
    bat: Vec<u64>,
    name: String,
}

fn with_crc_zeroed(b: &[u8]) -> u32 {
    let mut c = b.to_vec();
    c[4..8].fill(0);
    crc32c(&c)
}

pub fn open(file: Dev) -> io::Result<Dev> {
    Ok(Arc::new(Vhdx::open(file)?))
}

impl Vhdx {
    pub fn open(file: Dev) -> io::Result<Self> {
        let name = file.describe();
        if file.size() < 1 << 20 {
            return Err(invalid(format!(
                "{name}: VHDX file is too short ({} bytes)",
                file.size()
            )));
        }
        let id = read_vec(file.as_ref(), 0, 8)?;
        if id != MAGIC {
            return Err(invalid(format!("{name}: not a VHDX file")));
        }
        // Headers at 64 KiB and 128 KiB, 4 KiB each.
        let mut best: Option<(u64, Vec<u8>)> = None;
        for off in [64u64 << 10, 128 << 10] {
            let h = read_vec(file.as_ref(), off, 4096)?;
            if &h[..4] != b"head" || le::u32(&h, 4) != with_crc_zeroed(&h) {
                continue;
            }
            let seq = le::u64(&h, 8);
            if best.as_ref().is_none_or(|(s, _)| seq > *s) {
                best = Some((seq, h));
            }
        }
        let (_, h) = best.ok_or_else(|| {
            invalid(format!(
                "{name}: neither VHDX header is valid (bad signature or CRC-32C)"
            ))
        })?;
        if h[48..64].iter().any(|&b| b != 0) {
            return Err(invalid(format!(
                "{name}: VHDX log has entries that were never replayed (the image was not closed cleanly); open it once with Hyper-V or qemu-img to replay it"
            )));
        }
        // Region tables at 192 KiB and 256 KiB, 64 KiB each.
        let mut regions = None;
        for off in [192u64 << 10, 256 << 10] {
            let r = read_vec(file.as_ref(), off, 64 << 10)?;
            if &r[..4] == b"regi" && le::u32(&r, 4) == with_crc_zeroed(&r) {
                regions = Some(r);
                break;
            }
        }
        let r = regions
            .ok_or_else(|| invalid(format!("{name}: neither VHDX region table is valid")))?;
        let count = le::u32(&r, 8).min(2047) as usize;
        let (mut bat_reg, mut meta_reg) = (None, None);
        for i in 0..count {
            let e = &r[16 + i * 32..16 + (i + 1) * 32];
            let loc = (le::u64(e, 16), u64::from(le::u32(e, 24)));
            if e[..16] == guid(BAT_GUID) {
                bat_reg = Some(loc);
            } else if e[..16] == guid(META_GUID) {
                meta_reg = Some(loc);
            } else if le::u32(e, 28) & 1 != 0 {
                return Err(invalid(format!(
                    "{name}: VHDX has a required region this reader does not know"
                )));
            }
        }
        let (bat_off, bat_len) =
            bat_reg.ok_or_else(|| invalid(format!("{name}: VHDX has no BAT region")))?;
        let (meta_off, meta_len) =
            meta_reg.ok_or_else(|| invalid(format!("{name}: VHDX has no metadata region")))?;
        if !(64..=(16 << 20)).contains(&meta_len) || meta_off.saturating_add(meta_len) > file.size()
        {
            return Err(invalid(format!(
                "{name}: VHDX metadata region is out of range"
            )));
        }
        let m = read_vec(file.as_ref(), meta_off, meta_len as usize)?;
        if &m[..8] != b"metadata" {
            return Err(invalid(format!(
                "{name}: VHDX metadata table has a bad signature"
            )));
        }
        let n = usize::from(le::u16(&m, 10)).min(2047);
        let item = |g: &str| -> Option<&[u8]> {
            let id = guid(g);
            (0..n).find_map(|i| {
                let e = m.get(32 + i * 32..64 + i * 32)?;
                if e[..16] != id {
                    return None;
                }
                let off = le::u32(e, 16) as usize;
                let len = le::u32(e, 20) as usize;
                m.get(off..off.checked_add(len)?)
            })
        };
        let fp = item(FILE_PARAMS)
            .ok_or_else(|| invalid(format!("{name}: VHDX lacks file parameters")))?;
        let block_size = u64::from(le::u32(fp, 0));
        if le::u32(fp, 4) & 2 != 0 {
            return Err(invalid(format!(
                "{name}: differencing VHDX images (with a parent disk) are not supported"
            )));
        }
        let size = item(DISK_SIZE)
            .map(|b| le::u64(b, 0))
            .ok_or_else(|| invalid(format!("{name}: VHDX lacks the virtual disk size")))?;
        let lss = item(LOGICAL_SECTOR).map_or(512, |b| u64::from(le::u32(b, 0)));
        if !block_size.is_power_of_two() || !((1 << 20)..=(256 << 20)).contains(&block_size) {
            return Err(invalid(format!(
                "{name}: VHDX block size {block_size} is invalid"
            )));
        }
        if lss != 512 && lss != 4096 {
            return Err(invalid(format!(
                "{name}: VHDX logical sector size {lss} is invalid"
            )));
        }
        if size > MAX_SIZE {
            return Err(invalid(format!("{name}: VHDX size {size} is too large")));
        }
        let chunk_ratio = ((1u64 << 23) * lss) / block_size;
        let blocks = size.div_ceil(block_size);
        let entries = blocks + blocks.saturating_sub(1) / chunk_ratio.max(1);
        if entries > MAX_BAT_ENTRIES
            || entries * 8 > bat_len
            || bat_off.saturating_add(entries * 8) > file.size()
        {
            return Err(invalid(format!(
                "{name}: VHDX BAT ({entries} entries) is out of range"
            )));
        }
        let raw = read_vec(file.as_ref(), bat_off, (entries * 8) as usize)?;
        let bat = raw.chunks_exact(8).map(|c| le::u64(c, 0)).collect();
        Ok(Self {
            file,
            size,
            block_size,
            chunk_ratio,
            bat,
            name,
        })
    }

    fn read_block_part(&self, blk: u64, within: u64, buf: &mut [u8]) -> io::Result<()> {
        let idx = blk + blk / self.chunk_ratio;
        let e = *self
            .bat
            .get(idx as usize)
            .ok_or_else(|| invalid(format!("{}: BAT index out of range", self.name)))?;
        match e & 7 {
            // not present, undefined, zero, unmapped
            0..=3 => {
                buf.fill(0);
                Ok(())
            }
            6 => {
                let at = (e >> 20) << 20;
                let off = at + within;
                if off.saturating_add(buf.len() as u64) > self.file.size() {
                    return Err(invalid(format!(
                        "{}: VHDX block {blk} at {at} is past the end of the file",
                        self.name
                    )));
                }
                self.file.read_at(off, buf)
            }
            7 => Err(invalid(format!(
                "{}: VHDX block {blk} is partially present (differencing disk)",
                self.name
            ))),
            s => Err(invalid(format!(
                "{}: VHDX block {blk} has invalid state {s}",
                self.name
            ))),
        }
    }
}

impl BlockDev for Vhdx {
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
        format!("vhdx {}", self.name)
    }
}
