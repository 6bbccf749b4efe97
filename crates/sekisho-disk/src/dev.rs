//! Random-access, read-only block devices.
//!
//! Every disk format (raw, qcow2, VMDK, VHD, VHDX), every partition and every logical volume is
//! a [`BlockDev`]: a size and a positioned read. Readers for filesystems sit on top of it.
//! Nothing here needs root, loop devices or mounting: we read the image file with `pread`.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A read-only device with random access.
pub trait BlockDev: Send + Sync {
    /// Size in bytes.
    fn size(&self) -> u64;
    /// Fill `buf` from `offset`. Reading past [`BlockDev::size`] is an error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// A short description for messages (`qcow2 disk.qcow2`, `partition 2`).
    fn describe(&self) -> String;
}

/// Shared handle to a device.
pub type Dev = Arc<dyn BlockDev>;

pub(crate) fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// `error` prefixed with `name`, unless its message already names it.
pub(crate) fn named(name: &str, error: &io::Error) -> String {
    let msg = error.to_string();
    if name.is_empty() || msg.contains(name) {
        msg
    } else {
        format!("{name}: {msg}")
    }
}

pub(crate) fn check_range(dev: &dyn BlockDev, offset: u64, len: usize) -> io::Result<()> {
    match offset.checked_add(len as u64) {
        Some(end) if end <= dev.size() => Ok(()),
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "{}: read of {len} bytes at {offset} is past the end ({} bytes)",
                dev.describe(),
                dev.size()
            ),
        )),
    }
}

/// Read `len` bytes at `offset` into a new buffer (callers cap `len`).
pub fn read_vec(dev: &dyn BlockDev, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut v = vec![0u8; len];
    dev.read_at(offset, &mut v)?;
    Ok(v)
}

/// A plain file (a raw disk, a flat VMDK extent, or the container file of another format).
/// Sparse files need nothing special: holes read as zeros.
pub struct FileDev {
    file: File,
    size: u64,
    path: PathBuf,
}

impl FileDev {
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let md = file.metadata()?;
        if !md.is_file() {
            return Err(io::Error::other(format!(
                "{}: not a regular file",
                path.display()
            )));
        }
        Ok(Self {
            file,
            size: md.len(),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl BlockDev for FileDev {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        check_range(self, offset, buf.len())?;
        self.file.read_exact_at(buf, offset)
    }
    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// An in-memory device (tests and fuzzing).
pub struct MemDev {
    pub data: Vec<u8>,
    pub name: String,
}

impl MemDev {
    pub fn new(data: Vec<u8>) -> Self {
        Self {
            data,
            name: "memory".into(),
        }
    }
}

impl BlockDev for MemDev {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        check_range(self, offset, buf.len())?;
        let o = offset as usize;
        buf.copy_from_slice(&self.data[o..o + buf.len()]);
        Ok(())
    }
    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// A window of another device (a partition, a linear LV segment).
pub struct SliceDev {
    inner: Dev,
    start: u64,
    len: u64,
    name: String,
}

impl SliceDev {
    /// A window; it is clamped to the inner device so a partition entry that runs past the end of
    /// the disk cannot make us read garbage offsets (reads past the real end fail).
    pub fn new(inner: Dev, start: u64, len: u64, name: impl Into<String>) -> Self {
        Self {
            inner,
            start,
            len,
            name: name.into(),
        }
    }
}

impl BlockDev for SliceDev {
    fn size(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        check_range(self, offset, buf.len())?;
        let off = self
            .start
            .checked_add(offset)
            .ok_or_else(|| invalid(format!("{}: offset overflow", self.name)))?;
        self.inner.read_at(off, buf)
    }
    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// Several devices end to end (LVM segments, multi-extent VMDK descriptors).
pub struct ConcatDev {
    /// (start in the concatenation, device)
    parts: Vec<(u64, Dev)>,
    size: u64,
    name: String,
}

impl ConcatDev {
    pub fn new(parts: Vec<Dev>, name: impl Into<String>) -> Self {
        let mut at = 0u64;
        let mut v = Vec::with_capacity(parts.len());
        for p in parts.into_iter().filter(|p| p.size() > 0) {
            let s = p.size();
            v.push((at, p));
            at = at.saturating_add(s);
        }
        Self {
            parts: v,
            size: at,
            name: name.into(),
        }
    }
}

impl BlockDev for ConcatDev {
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        check_range(self, offset, buf.len())?;
        while !buf.is_empty() {
            let i = match self.parts.binary_search_by(|(s, _)| s.cmp(&offset)) {
                Ok(i) => i,
                Err(i) => i.saturating_sub(1),
            };
            let (s, d) = &self.parts[i];
            let within = offset - s;
            let n = (d.size() - within).min(buf.len() as u64) as usize;
            if n == 0 {
                return Err(invalid(format!("{}: empty part", self.name)));
            }
            let (a, b) = buf.split_at_mut(n);
            d.read_at(within, a)?;
            buf = b;
            offset += n as u64;
        }
        Ok(())
    }
    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// A device of zeros (VMDK ZERO extents).
pub struct ZeroDev(pub u64);

impl BlockDev for ZeroDev {
    fn size(&self) -> u64 {
        self.0
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        check_range(self, offset, buf.len())?;
        buf.fill(0);
        Ok(())
    }
    fn describe(&self) -> String {
        "zero extent".into()
    }
}

/// Page size of [`CachedDev`].
pub const PAGE: usize = 4096;
/// Reads at least this big bypass the cache (file contents stream straight through).
const BYPASS: usize = 64 * 1024;

/// A bounded page cache in front of a device: filesystem metadata (inodes, directory blocks,
/// extent tree nodes) is read many times in small pieces. At most `pages` pages are kept; the
/// oldest is dropped first.
pub struct CachedDev {
    inner: Dev,
    pages: usize,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    map: HashMap<u64, Arc<[u8]>>,
    order: VecDeque<u64>,
}

impl CachedDev {
    pub fn new(inner: Dev, pages: usize) -> Self {
        Self {
            inner,
            pages: pages.max(4),
            state: Mutex::new(CacheState::default()),
        }
    }

    fn page(&self, n: u64) -> io::Result<Arc<[u8]>> {
        if let Some(p) = self.state.lock().map_err(|_| poisoned())?.map.get(&n) {
            return Ok(p.clone());
        }
        let start = n * PAGE as u64;
        let len = (self.inner.size() - start).min(PAGE as u64) as usize;
        let mut v = vec![0u8; len];
        self.inner.read_at(start, &mut v)?;
        let p: Arc<[u8]> = v.into();
        let mut st = self.state.lock().map_err(|_| poisoned())?;
        if st.map.insert(n, p.clone()).is_none() {
            st.order.push_back(n);
        }
        while st.order.len() > self.pages {
            if let Some(old) = st.order.pop_front() {
                st.map.remove(&old);
            }
        }
        Ok(p)
    }
}

fn poisoned() -> io::Error {
    io::Error::other("block cache lock poisoned")
}

impl BlockDev for CachedDev {
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn read_at(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        check_range(self, offset, buf.len())?;
        if buf.len() >= BYPASS {
            return self.inner.read_at(offset, buf);
        }
        while !buf.is_empty() {
            let n = offset / PAGE as u64;
            let within = (offset % PAGE as u64) as usize;
            let p = self.page(n)?;
            let take = (p.len() - within).min(buf.len());
            let (a, b) = buf.split_at_mut(take);
            a.copy_from_slice(&p[within..within + take]);
            buf = b;
            offset += take as u64;
        }
        Ok(())
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// Little/big-endian field readers over byte slices that never panic: out-of-range reads give 0.
pub(crate) mod le {
    pub fn u16(b: &[u8], o: usize) -> u16 {
        b.get(o..o + 2)
            .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
    }
    pub fn u32(b: &[u8], o: usize) -> u32 {
        b.get(o..o + 4)
            .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    pub fn u64(b: &[u8], o: usize) -> u64 {
        b.get(o..o + 8).map_or(0, |s| {
            u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]])
        })
    }
}

pub(crate) mod be {
    pub fn u16(b: &[u8], o: usize) -> u16 {
        b.get(o..o + 2)
            .map_or(0, |s| u16::from_be_bytes([s[0], s[1]]))
    }
    pub fn u32(b: &[u8], o: usize) -> u32 {
        b.get(o..o + 4)
            .map_or(0, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    pub fn u64(b: &[u8], o: usize) -> u64 {
        b.get(o..o + 8).map_or(0, |s| {
            u64::from_be_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]])
        })
    }
}

/// CRC-32 (IEEE 802.3, as GPT uses) and CRC-32C (Castagnoli, as VHDX uses), table-free.
pub(crate) fn crc32_generic(poly: u32, data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (poly & mask);
        }
    }
    !crc
}

pub fn crc32(data: &[u8]) -> u32 {
    crc32_generic(0xEDB8_8320, data)
}

pub fn crc32c(data: &[u8]) -> u32 {
    crc32_generic(0x82F6_3B78, data)
}

type TableState<V> = (HashMap<u64, Arc<V>>, VecDeque<u64>);

/// A small bounded map of decoded tables (L2 tables, grain tables, decompressed clusters).
pub(crate) struct TableCache<V> {
    cap: usize,
    inner: Mutex<TableState<V>>,
}

impl<V> TableCache<V> {
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    pub fn get_or(&self, key: u64, load: impl FnOnce() -> io::Result<V>) -> io::Result<Arc<V>> {
        if let Some(v) = self.inner.lock().map_err(|_| poisoned())?.0.get(&key) {
            return Ok(v.clone());
        }
        let v = Arc::new(load()?);
        let mut g = self.inner.lock().map_err(|_| poisoned())?;
        if g.0.insert(key, v.clone()).is_none() {
            g.1.push_back(key);
        }
        while g.1.len() > self.cap {
            if let Some(k) = g.1.pop_front() {
                g.0.remove(&k);
            }
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crcs_match_known_vectors() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn cache_and_slices_read_the_same_bytes() {
        let data: Vec<u8> = (0..20000u32).map(|i| (i * 7) as u8).collect();
        let mem: Dev = Arc::new(MemDev::new(data.clone()));
        let c = CachedDev::new(mem.clone(), 2);
        let mut b = vec![0u8; 9000];
        c.read_at(3000, &mut b).unwrap();
        assert_eq!(&b[..], &data[3000..12000]);
        assert!(c.read_at(19999, &mut [0u8; 2]).is_err());
        let s = SliceDev::new(mem.clone(), 100, 50, "p1");
        let mut b = [0u8; 10];
        s.read_at(40, &mut b).unwrap();
        assert_eq!(&b[..], &data[140..150]);
        assert!(s.read_at(45, &mut b).is_err());
        let cat = ConcatDev::new(
            vec![
                Arc::new(SliceDev::new(mem.clone(), 0, 10, "a")),
                Arc::new(SliceDev::new(mem, 50, 10, "b")),
            ],
            "cat",
        );
        let mut b = [0u8; 6];
        cat.read_at(7, &mut b).unwrap();
        assert_eq!(&b[..3], &data[7..10]);
        assert_eq!(&b[3..], &data[50..53]);
    }
}
