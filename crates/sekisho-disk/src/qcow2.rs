//! QEMU copy-on-write v2/v3 images.
//!
//! Layout from the QEMU qcow2 specification (docs/interop/qcow2.txt): a big-endian header, a
//! two-level table (L1 → L2 → data cluster) mapping guest clusters to host offsets, compressed
//! clusters (raw deflate; zstd is refused), and v3 "all zeros" clusters. A backing file is only
//! followed when the caller allows it (see [`crate::image::OpenOptions`]).

use std::io::{self, Read};
use std::sync::Arc;

use crate::dev::{BlockDev, Dev, TableCache, be, check_range, invalid, read_vec};

pub const MAGIC: &[u8; 4] = b"QFI\xfb";
/// Largest guest disk we accept (64 TiB).
const MAX_SIZE: u64 = 64 << 40;
/// Largest L1 table we read (entries).
const MAX_L1: u64 = 32 << 20;

const OFLAG_COPIED: u64 = 1 << 63;
const OFLAG_COMPRESSED: u64 = 1 << 62;
const OFLAG_ZERO: u64 = 1;
const L1E_OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
const L2E_OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;

/// Parsed header fields we need.
#[derive(Debug, Clone)]
pub struct Header {
    pub version: u32,
    pub cluster_bits: u32,
    pub size: u64,
    pub l1_size: u32,
    pub l1_offset: u64,
    pub backing: Option<String>,
    pub incompatible: u64,
    pub compression_type: u8,
}

pub fn parse_header(h: &[u8], file_size: u64, what: &str) -> io::Result<Header> {
    if h.len() < 72 || &h[..4] != MAGIC {
        return Err(invalid(format!("{what}: not a qcow2 image")));
    }
    let version = be::u32(h, 4);
    if version != 2 && version != 3 {
        return Err(invalid(format!(
            "{what}: qcow2 version {version} is not supported"
        )));
    }
    let cluster_bits = be::u32(h, 20);
    if !(9..=21).contains(&cluster_bits) {
        return Err(invalid(format!(
            "{what}: qcow2 cluster_bits {cluster_bits} out of range 9..=21"
        )));
    }
    let size = be::u64(h, 24);
    if size > MAX_SIZE {
        return Err(invalid(format!(
            "{what}: qcow2 virtual size {size} is too large"
        )));
    }
    if be::u32(h, 32) != 0 {
        return Err(invalid(format!(
            "{what}: encrypted qcow2 images are not supported"
        )));
    }
    let l1_size = be::u32(h, 36);
    let l1_offset = be::u64(h, 40);
    let (mut incompatible, mut compression_type) = (0, 0);
    if version == 3 {
        incompatible = be::u64(h, 72);
        let hlen = be::u32(h, 100);
        if hlen > 104 {
            compression_type = h.get(104).copied().unwrap_or(0);
        }
        let known = 0b1_1111;
        if incompatible & !known != 0 {
            return Err(invalid(format!(
                "{what}: unknown qcow2 incompatible features {incompatible:#x}"
            )));
        }
        if incompatible & (1 << 1) != 0 {
            return Err(invalid(format!("{what}: qcow2 image is marked corrupt")));
        }
        if incompatible & (1 << 2) != 0 {
            return Err(invalid(format!(
                "{what}: qcow2 external data files are not supported"
            )));
        }
        if incompatible & (1 << 4) != 0 {
            return Err(invalid(format!(
                "{what}: qcow2 extended L2 entries (subclusters) are not supported"
            )));
        }
        if compression_type != 0 {
            return Err(invalid(format!(
                "{what}: qcow2 compression type {compression_type} (zstd) is not supported; only deflate"
            )));
        }
    }
    let boff = be::u64(h, 8);
    let bsize = be::u32(h, 16);
    let backing = if boff != 0 && bsize != 0 {
        if bsize > 1023 || boff.saturating_add(u64::from(bsize)) > h.len() as u64 {
            return Err(invalid(format!(
                "{what}: qcow2 backing file name is out of range"
            )));
        }
        Some(
            String::from_utf8_lossy(&h[boff as usize..(boff + u64::from(bsize)) as usize])
                .into_owned(),
        )
    } else {
        None
    };
    let cluster = 1u64 << cluster_bits;
    let l2_entries = cluster / 8;
    let needed_l1 = size.div_ceil(cluster * l2_entries);
    if u64::from(l1_size) < needed_l1 || u64::from(l1_size) > MAX_L1 {
        return Err(invalid(format!(
            "{what}: qcow2 L1 table has {l1_size} entries, {needed_l1} needed"
        )));
    }
    if l1_offset % 512 != 0 || l1_offset.saturating_add(u64::from(l1_size) * 8) > file_size {
        return Err(invalid(format!(
            "{what}: qcow2 L1 table at {l1_offset} is past the end of the file ({file_size} bytes); truncated image?"
        )));
    }
    Ok(Header {
        version,
        cluster_bits,
        size,
        l1_size,
        l1_offset,
        backing,
        incompatible,
        compression_type,
    })
}

/// A qcow2 image as a block device.
pub struct Qcow2 {
    file: Dev,
    hdr: Header,
    l1: Vec<u64>,
    l2: TableCache<Vec<u64>>,
    clusters: TableCache<Vec<u8>>,
    backing: Option<Dev>,
    name: String,
}

impl Qcow2 {
    /// `backing` is the opened backing device when the image has one and the caller allowed it.
    pub fn open(file: Dev, backing: Option<Dev>) -> io::Result<Self> {
        let name = file.describe();
        let hlen = 4096.min(file.size()) as usize;
        let h = read_vec(file.as_ref(), 0, hlen)?;
        let hdr = parse_header(&h, file.size(), &name)?;
        if hdr.backing.is_some() && backing.is_none() {
            return Err(invalid(format!(
                "{name}: qcow2 image has a backing file {:?}; refusing to follow it (use --allow-backing to read backing files in the same directory)",
                hdr.backing.as_deref().unwrap_or_default()
            )));
        }
        let raw = read_vec(file.as_ref(), hdr.l1_offset, hdr.l1_size as usize * 8)?;
        let l1 = raw.chunks_exact(8).map(|c| be::u64(c, 0)).collect();
        Ok(Self {
            file,
            hdr,
            l1,
            l2: TableCache::new(32),
            clusters: TableCache::new(16),
            backing,
            name,
        })
    }

    pub fn header(&self) -> &Header {
        &self.hdr
    }

    fn cluster_size(&self) -> u64 {
        1 << self.hdr.cluster_bits
    }

    /// The L2 entry for a guest cluster, or 0 when unallocated.
    fn l2_entry(&self, guest_cluster: u64) -> io::Result<u64> {
        let per = self.cluster_size() / 8;
        let l1i = (guest_cluster / per) as usize;
        let l1e = *self
            .l1
            .get(l1i)
            .ok_or_else(|| invalid(format!("{}: L1 index out of range", self.name)))?;
        let l2off = l1e & L1E_OFFSET_MASK;
        if l2off == 0 {
            return Ok(0);
        }
        let cs = self.cluster_size();
        if l2off % cs != 0 || l2off.saturating_add(cs) > self.file.size() {
            return Err(invalid(format!(
                "{}: L2 table offset {l2off} (L1 entry {l1i}) is misaligned or past the end of the file",
                self.name
            )));
        }
        let tbl = self.l2.get_or(l2off, || {
            let raw = read_vec(self.file.as_ref(), l2off, cs as usize)?;
            Ok(raw.chunks_exact(8).map(|c| be::u64(c, 0)).collect())
        })?;
        Ok(tbl[(guest_cluster % per) as usize])
    }

    fn read_cluster_part(&self, gc: u64, within: u64, buf: &mut [u8]) -> io::Result<()> {
        let e = self.l2_entry(gc)?;
        let cs = self.cluster_size();
        if e & OFLAG_COMPRESSED != 0 {
            let x = 62 - (self.hdr.cluster_bits - 8);
            let host = e & ((1u64 << x) - 1);
            let nsect = (e & !OFLAG_COPIED & !OFLAG_COMPRESSED) >> x;
            let clen = (nsect + 1) * 512 - (host & 511);
            if host.saturating_add(clen) > self.file.size().saturating_add(512) {
                return Err(invalid(format!(
                    "{}: compressed cluster {gc} at {host} runs past the end of the file",
                    self.name
                )));
            }
            let data = self.clusters.get_or(host, || {
                let avail = clen.min(self.file.size() - host.min(self.file.size()));
                let comp = read_vec(self.file.as_ref(), host, avail as usize)?;
                let mut out = Vec::with_capacity(cs as usize);
                let mut d = flate2::read::DeflateDecoder::new(comp.as_slice()).take(cs);
                d.read_to_end(&mut out)
                    .map_err(|e| invalid(format!("{}: compressed cluster {gc}: {e}", self.name)))?;
                out.resize(cs as usize, 0);
                Ok(out)
            })?;
            buf.copy_from_slice(&data[within as usize..within as usize + buf.len()]);
            return Ok(());
        }
        let host = e & L2E_OFFSET_MASK;
        if self.hdr.version >= 3 && e & OFLAG_ZERO != 0 {
            buf.fill(0);
            return Ok(());
        }
        if host == 0 {
            match &self.backing {
                Some(b) => {
                    let off = gc * cs + within;
                    let end = off + buf.len() as u64;
                    if end <= b.size() {
                        b.read_at(off, buf)?;
                    } else if off < b.size() {
                        let n = (b.size() - off) as usize;
                        b.read_at(off, &mut buf[..n])?;
                        buf[n..].fill(0);
                    } else {
                        buf.fill(0);
                    }
                }
                None => buf.fill(0),
            }
            return Ok(());
        }
        if host % cs != 0 || host.saturating_add(cs) > self.file.size() + cs {
            return Err(invalid(format!(
                "{}: L2 entry for guest cluster {gc} points to {host}, past the end of the file ({} bytes)",
                self.name,
                self.file.size()
            )));
        }
        let at = host + within;
        if at + buf.len() as u64 > self.file.size() {
            return Err(invalid(format!(
                "{}: data cluster for guest cluster {gc} at {host} is past the end of the file; truncated image?",
                self.name
            )));
        }
        self.file.read_at(at, buf)
    }
}

impl BlockDev for Qcow2 {
    fn size(&self) -> u64 {
        self.hdr.size
    }
    fn read_at(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        check_range(self, offset, buf.len())?;
        let cs = self.cluster_size();
        while !buf.is_empty() {
            let gc = offset / cs;
            let within = offset % cs;
            let n = ((cs - within) as usize).min(buf.len());
            let (a, b) = buf.split_at_mut(n);
            self.read_cluster_part(gc, within, a)?;
            buf = b;
            offset += n as u64;
        }
        Ok(())
    }
    fn describe(&self) -> String {
        format!("qcow2 {}", self.name)
    }
}

/// Keep the type in the public API small: callers get a [`Dev`].
pub fn open(file: Dev, backing: Option<Dev>) -> io::Result<Dev> {
    Ok(Arc::new(Qcow2::open(file, backing)?))
}
