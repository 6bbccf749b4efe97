//! VMware VMDK: hosted sparse extents (monolithicSparse, streamOptimized) and text descriptors
//! (monolithicFlat and other multi-extent layouts).
//!
//! Layout from VMware's "Virtual Disk Format 5.0" specification: a 512-byte little-endian
//! SparseExtentHeader (magic `KDMV`), a grain directory of grain-table sector offsets, grain
//! tables of grain sector offsets. streamOptimized images set the compressed-grain flag (each
//! grain is a marker `{lba u64, size u32}` followed by deflate data) and keep the real grain
//! directory offset in a footer when the header says `GD_AT_END`.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use crate::dev::{
    BlockDev, ConcatDev, Dev, FileDev, SliceDev, TableCache, ZeroDev, check_range, invalid, le,
    read_vec,
};

pub const MAGIC: &[u8; 4] = b"KDMV";
const GD_AT_END: u64 = u64::MAX;
const FLAG_COMPRESSED: u32 = 1 << 16;
const MAX_CAPACITY_SECTORS: u64 = (64u64 << 40) / 512;
const MAX_GD_ENTRIES: u64 = 16 << 20;
const MAX_DESCRIPTOR: u64 = 1 << 20;

#[derive(Debug, Clone)]
struct Header {
    flags: u32,
    capacity: u64,
    grain_size: u64,
    desc_offset: u64,
    desc_size: u64,
    gtes_per_gt: u32,
    gd_offset: u64,
    compress: u16,
}

fn parse_header(h: &[u8], what: &str) -> io::Result<Header> {
    if h.len() < 512 || &h[..4] != MAGIC {
        return Err(invalid(format!("{what}: not a VMDK sparse extent")));
    }
    let version = le::u32(h, 4);
    if !(1..=3).contains(&version) {
        return Err(invalid(format!(
            "{what}: VMDK sparse version {version} is not supported"
        )));
    }
    Ok(Header {
        flags: le::u32(h, 8),
        capacity: le::u64(h, 12),
        grain_size: le::u64(h, 20),
        desc_offset: le::u64(h, 28),
        desc_size: le::u64(h, 36),
        gtes_per_gt: le::u32(h, 44),
        gd_offset: le::u64(h, 56),
        compress: le::u16(h, 77),
    })
}

/// One hosted sparse extent.
pub struct Sparse {
    file: Dev,
    hdr: Header,
    gd: Vec<u32>,
    gts: TableCache<Vec<u32>>,
    grains: TableCache<Vec<u8>>,
    name: String,
}

impl Sparse {
    pub fn open(file: Dev) -> io::Result<Self> {
        let name = file.describe();
        let h = read_vec(file.as_ref(), 0, 512)?;
        let mut hdr = parse_header(&h, &name)?;
        if hdr.gd_offset == GD_AT_END {
            // streamOptimized: the footer (a copy of the header with the real GD offset) is the
            // second-to-last sector, before the end-of-stream marker.
            if file.size() < 1536 {
                return Err(invalid(format!(
                    "{name}: VMDK stream is truncated (no footer)"
                )));
            }
            let f = read_vec(file.as_ref(), file.size() - 1024, 512)?;
            let foot = parse_header(&f, &format!("{name} footer")).map_err(|_| {
                invalid(format!(
                    "{name}: VMDK footer not found at the end; truncated stream?"
                ))
            })?;
            hdr.gd_offset = foot.gd_offset;
            if foot.gtes_per_gt != 0 {
                hdr.gtes_per_gt = foot.gtes_per_gt;
            }
        }
        if hdr.capacity > MAX_CAPACITY_SECTORS {
            return Err(invalid(format!(
                "{name}: VMDK capacity {} sectors is too large",
                hdr.capacity
            )));
        }
        if !hdr.grain_size.is_power_of_two() || !(1..=2048).contains(&hdr.grain_size) {
            return Err(invalid(format!(
                "{name}: VMDK grain size {} sectors is invalid",
                hdr.grain_size
            )));
        }
        if hdr.gtes_per_gt == 0 || hdr.gtes_per_gt > 65536 {
            return Err(invalid(format!(
                "{name}: VMDK has {} entries per grain table",
                hdr.gtes_per_gt
            )));
        }
        if hdr.flags & FLAG_COMPRESSED != 0 && hdr.compress != 1 {
            return Err(invalid(format!(
                "{name}: VMDK compression algorithm {} is not supported",
                hdr.compress
            )));
        }
        let grains = hdr.capacity.div_ceil(hdr.grain_size);
        let n_gd = grains.div_ceil(u64::from(hdr.gtes_per_gt));
        if n_gd > MAX_GD_ENTRIES {
            return Err(invalid(format!(
                "{name}: VMDK grain directory of {n_gd} entries is too large"
            )));
        }
        let gd_bytes = n_gd * 4;
        let gd_at = hdr.gd_offset.saturating_mul(512);
        if gd_at.saturating_add(gd_bytes) > file.size() {
            return Err(invalid(format!(
                "{name}: VMDK grain directory at sector {} is past the end of the file; truncated image?",
                hdr.gd_offset
            )));
        }
        let raw = read_vec(file.as_ref(), gd_at, gd_bytes as usize)?;
        let gd = raw.chunks_exact(4).map(|c| le::u32(c, 0)).collect();
        Ok(Self {
            file,
            hdr,
            gd,
            gts: TableCache::new(256),
            grains: TableCache::new(16),
            name,
        })
    }

    /// The embedded descriptor text, if any.
    pub fn descriptor(&self) -> Option<String> {
        if self.hdr.desc_offset == 0
            || self.hdr.desc_size == 0
            || self.hdr.desc_size * 512 > MAX_DESCRIPTOR
        {
            return None;
        }
        let d = read_vec(
            self.file.as_ref(),
            self.hdr.desc_offset * 512,
            (self.hdr.desc_size * 512) as usize,
        )
        .ok()?;
        let end = d.iter().position(|&b| b == 0).unwrap_or(d.len());
        Some(String::from_utf8_lossy(&d[..end]).into_owned())
    }

    fn grain_bytes(&self) -> u64 {
        self.hdr.grain_size * 512
    }

    fn grain_sector(&self, grain: u64) -> io::Result<u32> {
        let per = u64::from(self.hdr.gtes_per_gt);
        let gde = *self
            .gd
            .get((grain / per) as usize)
            .ok_or_else(|| invalid(format!("{}: grain out of range", self.name)))?;
        if gde == 0 {
            return Ok(0);
        }
        let at = u64::from(gde) * 512;
        let len = per * 4;
        if at.saturating_add(len) > self.file.size() {
            return Err(invalid(format!(
                "{}: VMDK grain table at sector {gde} is past the end of the file",
                self.name
            )));
        }
        let gt = self.gts.get_or(at, || {
            let raw = read_vec(self.file.as_ref(), at, len as usize)?;
            Ok(raw.chunks_exact(4).map(|c| le::u32(c, 0)).collect())
        })?;
        Ok(gt[(grain % per) as usize])
    }

    fn read_grain_part(&self, grain: u64, within: u64, buf: &mut [u8]) -> io::Result<()> {
        let s = self.grain_sector(grain)?;
        if s <= 1 {
            // 0: unallocated, 1: explicitly zeroed grain.
            buf.fill(0);
            return Ok(());
        }
        let at = u64::from(s) * 512;
        let gb = self.grain_bytes();
        if self.hdr.flags & FLAG_COMPRESSED != 0 {
            let data = self.grains.get_or(at, || {
                let m = read_vec(self.file.as_ref(), at, 12)?;
                let size = u64::from(le::u32(&m, 8));
                if size == 0 || size > gb * 2 + 4096 || at + 12 + size > self.file.size() {
                    return Err(invalid(format!(
                        "{}: compressed grain {grain} at sector {s} has bad size {size} or runs past the end",
                        self.name
                    )));
                }
                let comp = read_vec(self.file.as_ref(), at + 12, size as usize)?;
                let mut out = Vec::with_capacity(gb as usize);
                flate2::read::ZlibDecoder::new(comp.as_slice())
                    .take(gb)
                    .read_to_end(&mut out)
                    .map_err(|e| invalid(format!("{}: compressed grain {grain}: {e}", self.name)))?;
                out.resize(gb as usize, 0);
                Ok(out)
            })?;
            buf.copy_from_slice(&data[within as usize..within as usize + buf.len()]);
            return Ok(());
        }
        let off = at + within;
        if off + buf.len() as u64 > self.file.size() {
            return Err(invalid(format!(
                "{}: grain {grain} at sector {s} is past the end of the file",
                self.name
            )));
        }
        self.file.read_at(off, buf)
    }
}

impl BlockDev for Sparse {
    fn size(&self) -> u64 {
        self.hdr.capacity * 512
    }
    fn read_at(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        check_range(self, offset, buf.len())?;
        let gb = self.grain_bytes();
        while !buf.is_empty() {
            let g = offset / gb;
            let within = offset % gb;
            let n = ((gb - within) as usize).min(buf.len());
            let (a, b) = buf.split_at_mut(n);
            self.read_grain_part(g, within, a)?;
            buf = b;
            offset += n as u64;
        }
        Ok(())
    }
    fn describe(&self) -> String {
        format!("vmdk {}", self.name)
    }
}

/// True when `head` looks like a text descriptor.
pub fn is_descriptor(head: &[u8]) -> bool {
    let t = String::from_utf8_lossy(&head[..head.len().min(1024)]);
    t.trim_start().starts_with("# Disk DescriptorFile")
        || (t.contains("createType") && t.contains("version="))
}

/// One extent line of a descriptor: `RW 2048 FLAT "disk-flat.vmdk" 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtentLine {
    pub sectors: u64,
    pub kind: String,
    pub file: Option<String>,
    pub offset: u64,
}

pub fn parse_descriptor(text: &str) -> io::Result<Vec<ExtentLine>> {
    let mut out = Vec::new();
    for line in text.lines().take(100_000) {
        let l = line.trim();
        let Some(rest) = ["RW ", "RDONLY ", "NOACCESS "]
            .iter()
            .find_map(|p| l.strip_prefix(p))
        else {
            continue;
        };
        let mut it = rest.trim().splitn(2, ' ');
        let sectors: u64 = it
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("VMDK descriptor: bad extent line {l:?}")))?;
        let rest = it.next().unwrap_or("").trim();
        let (kind, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let rest = rest.trim();
        let (file, tail) = if let Some(r) = rest.strip_prefix('"') {
            match r.split_once('"') {
                Some((f, t)) => (Some(f.to_string()), t.trim()),
                None => {
                    return Err(invalid(format!(
                        "VMDK descriptor: unterminated file name in {l:?}"
                    )));
                }
            }
        } else {
            (None, rest)
        };
        let offset = tail
            .split_whitespace()
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        out.push(ExtentLine {
            sectors,
            kind: kind.to_string(),
            file,
            offset,
        });
        if out.len() > 4096 {
            return Err(invalid("VMDK descriptor: too many extents"));
        }
    }
    if out.is_empty() {
        return Err(invalid("VMDK descriptor lists no extents"));
    }
    Ok(out)
}

/// Open a descriptor file's extents. Extent files must be in the descriptor's own directory.
pub fn open_descriptor(path: &Path, text: &str) -> io::Result<Dev> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut parts: Vec<Dev> = Vec::new();
    let mut total = 0u64;
    for e in parse_descriptor(text)? {
        let bytes = e
            .sectors
            .checked_mul(512)
            .ok_or_else(|| invalid("VMDK extent too large"))?;
        total = total.saturating_add(bytes);
        if total / 512 > MAX_CAPACITY_SECTORS {
            return Err(invalid(format!(
                "{}: VMDK descriptor describes a disk that is too large",
                path.display()
            )));
        }
        match e.kind.as_str() {
            "ZERO" => parts.push(Arc::new(ZeroDev(bytes))),
            "FLAT" | "VMFS" | "SPARSE" | "VMFSSPARSE" => {
                let f = e.file.as_deref().unwrap_or("");
                let name = Path::new(f);
                if f.is_empty() || name.components().count() != 1 || f.contains('/') || f == ".." {
                    return Err(invalid(format!(
                        "{}: VMDK extent file {f:?} is not a plain name in the same directory; refusing",
                        path.display()
                    )));
                }
                let fd: Dev = Arc::new(FileDev::open(&dir.join(name)).map_err(|err| {
                    io::Error::new(
                        err.kind(),
                        format!("{}: VMDK extent {f:?}: {err}", path.display()),
                    )
                })?);
                if e.kind.ends_with("SPARSE") {
                    let s = Sparse::open(fd)?;
                    let sz = s.size();
                    let s: Dev = Arc::new(s);
                    parts.push(Arc::new(SliceDev::new(s, 0, bytes.min(sz), f.to_string())));
                } else {
                    let start = e.offset.saturating_mul(512);
                    if start.saturating_add(bytes) > fd.size() {
                        return Err(invalid(format!(
                            "{}: VMDK flat extent {f:?} is shorter than the {bytes} bytes the descriptor says",
                            path.display()
                        )));
                    }
                    parts.push(Arc::new(SliceDev::new(fd, start, bytes, f.to_string())));
                }
            }
            other => {
                return Err(invalid(format!(
                    "{}: VMDK extent type {other} is not supported",
                    path.display()
                )));
            }
        }
    }
    Ok(Arc::new(ConcatDev::new(
        parts,
        format!("vmdk {}", path.display()),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_lines() {
        let t = "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"a-flat.vmdk\" 0\nRW 10 ZERO\n";
        let v = parse_descriptor(t).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].file.as_deref(), Some("a-flat.vmdk"));
        assert_eq!(v[1].kind, "ZERO");
        assert!(is_descriptor(t.as_bytes()));
    }

    #[test]
    fn descriptor_refuses_other_directories() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.vmdk");
        let t = "# Disk DescriptorFile\nRW 1 FLAT \"../etc/passwd\" 0\n";
        let e = open_descriptor(&p, t).err().unwrap().to_string();
        assert!(e.contains("same directory"), "{e}");
    }
}
