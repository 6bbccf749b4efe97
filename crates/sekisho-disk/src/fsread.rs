//! What every filesystem reader provides, and the file-content reader they share.

use std::io::{self, Read};

use crate::dev::{BlockDev, Dev, invalid};

/// The type of an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown,
}

impl NodeKind {
    pub fn from_mode(mode: u32) -> Self {
        match mode & 0o170000 {
            0o100000 => NodeKind::File,
            0o040000 => NodeKind::Dir,
            0o120000 => NodeKind::Symlink,
            0o020000 => NodeKind::CharDevice,
            0o060000 => NodeKind::BlockDevice,
            0o010000 => NodeKind::Fifo,
            0o140000 => NodeKind::Socket,
            _ => NodeKind::Unknown,
        }
    }
}

/// One inode, decoded.
#[derive(Debug, Clone)]
pub struct Node {
    pub ino: u64,
    pub kind: NodeKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: i64,
    /// The raw on-disk inode (its format is the filesystem's business).
    pub raw: Vec<u8>,
}

/// A filesystem we can walk.
pub trait FsRead: Send + Sync {
    /// `ext4`, `xfs`.
    fn kind(&self) -> &'static str;
    fn root_ino(&self) -> u64;
    fn node(&self, ino: u64) -> io::Result<Node>;
    /// Directory entries other than `.` and `..`: (name bytes, inode number).
    fn read_dir(&self, dir: &Node) -> io::Result<Vec<(Vec<u8>, u64)>>;
    fn read_link(&self, link: &Node) -> io::Result<Vec<u8>>;
    /// The content of a regular file.
    fn open(&self, file: &Node) -> io::Result<Box<dyn Read + Send + '_>>;

    /// Look a path up from the root without following symlinks in the last component.
    fn lookup(&self, path: &str) -> io::Result<Option<Node>> {
        let mut cur = self.node(self.root_ino())?;
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            if cur.kind != NodeKind::Dir {
                return Ok(None);
            }
            let ents = self.read_dir(&cur)?;
            let Some((_, ino)) = ents.into_iter().find(|(n, _)| n == seg.as_bytes()) else {
                return Ok(None);
            };
            cur = self.node(ino)?;
        }
        Ok(Some(cur))
    }
}

/// A piece of a file: `len` bytes at logical `start`, read from byte `phys` of the device, or
/// zeros (a hole or an unwritten extent) when `phys` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: u64,
    pub len: u64,
    pub phys: Option<u64>,
}

/// Most runs a single file may have.
pub const MAX_RUNS: usize = 4 << 20;

/// Sort runs, refuse overlaps (a corrupt or hostile extent map) and check they lie on the device.
pub fn check_runs(runs: &mut [Run], dev: &dyn BlockDev, what: &str) -> io::Result<()> {
    runs.sort_by_key(|r| r.start);
    let mut end = 0u64;
    for r in runs.iter() {
        if r.start < end {
            return Err(invalid(format!(
                "{what}: extents overlap at logical byte {}",
                r.start
            )));
        }
        end = r.start.saturating_add(r.len);
        if let Some(p) = r.phys {
            if p.saturating_add(r.len) > dev.size() {
                return Err(invalid(format!(
                    "{what}: extent at byte {p} lies past the end of the filesystem"
                )));
            }
        }
    }
    Ok(())
}

/// Reads a file through its runs; anything not covered reads as zeros.
pub struct RunReader {
    dev: Dev,
    runs: Vec<Run>,
    size: u64,
    pos: u64,
    idx: usize,
}

impl RunReader {
    pub fn new(dev: Dev, runs: Vec<Run>, size: u64) -> Self {
        Self {
            dev,
            runs,
            size,
            pos: 0,
            idx: 0,
        }
    }
}

impl Read for RunReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.size - self.pos).min(1 << 20) as usize;
        while self.idx < self.runs.len()
            && self.runs[self.idx].start + self.runs[self.idx].len <= self.pos
        {
            self.idx += 1;
        }
        let n = match self.runs.get(self.idx) {
            Some(r) if r.start <= self.pos => {
                let within = self.pos - r.start;
                let n = (want as u64).min(r.len - within) as usize;
                match r.phys {
                    Some(p) => self.dev.read_at(p + within, &mut buf[..n])?,
                    None => buf[..n].fill(0),
                }
                n
            }
            Some(r) => {
                let n = (want as u64).min(r.start - self.pos) as usize;
                buf[..n].fill(0);
                n
            }
            None => {
                buf[..want].fill(0);
                want
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}
