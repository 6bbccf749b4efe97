//! XFS (v5, and v4 where it costs nothing), read-only.
//!
//! Layout from the "XFS Algorithms & Data Structures" book (xfs-documentation, 3rd edition):
//! big-endian superblock `XFSB` at byte 0 of allocation group 0; inode numbers encode
//! (AG, block in AG, slot in block); inode core `IN` (176 bytes in v3 inodes, 100 in v2) followed
//! by the data fork in one of three formats: local (inline bytes: short-form directories and
//! symlinks), extents (128-bit packed `bmbt_rec`s) or a B+tree (`bmdr` root in the inode, `BMA3` /
//! `BMAP` long-form blocks below). Directories in block, leaf or node form keep their entries in
//! data blocks (`XDB3`/`XDD3`, v4 `XD2B`/`XD2D`) below the 32 GiB leaf offset, which is all we
//! need to list them. Remote symlinks carry an `XSLM` header per block on v5.

use std::io::{self, Read};

use crate::dev::{Dev, be, invalid, read_vec};
use crate::fsread::{FsRead, MAX_RUNS, Node, NodeKind, Run, RunReader, check_runs};

pub const MAGIC: &[u8; 4] = b"XFSB";
const MAX_DIR: u64 = 256 << 20;
const MAX_BTREE_LEVEL: u16 = 10;
const MAX_TREE_NODES: usize = 1 << 20;
const LEAF_OFFSET: u64 = 1 << 35;

pub fn probe(sb: &[u8]) -> bool {
    sb.starts_with(MAGIC)
}

pub struct Xfs {
    dev: Dev,
    block: u64,
    agblocks: u64,
    agcount: u64,
    inode_size: u64,
    agblklog: u32,
    inopblog: u32,
    dirblk: u64,
    v5: bool,
    ftype: bool,
    root: u64,
    pub label: String,
}

#[derive(Debug, Clone, Copy)]
struct Ext {
    off: u64,
    block: u64,
    count: u64,
    unwritten: bool,
}

fn unpack(rec: &[u8]) -> Ext {
    let l0 = be::u64(rec, 0);
    let l1 = be::u64(rec, 8);
    Ext {
        unwritten: l0 >> 63 != 0,
        off: (l0 >> 9) & ((1u64 << 54) - 1),
        block: ((l0 & 0x1ff) << 43) | (l1 >> 21),
        count: l1 & ((1u64 << 21) - 1),
    }
}

impl Xfs {
    pub fn open(dev: Dev) -> io::Result<Self> {
        let name = dev.describe();
        let sb = read_vec(dev.as_ref(), 0, 512)?;
        if !probe(&sb) {
            return Err(invalid(format!("{name}: no XFS superblock")));
        }
        let block = u64::from(be::u32(&sb, 4));
        let agblocks = u64::from(be::u32(&sb, 84));
        let agcount = u64::from(be::u32(&sb, 88));
        let version = be::u16(&sb, 100) & 0xF;
        let inode_size = u64::from(be::u16(&sb, 104));
        let blocklog = u32::from(sb[120]);
        let inodelog = u32::from(sb[122]);
        let inopblog = u32::from(sb[123]);
        let agblklog = u32::from(sb[124]);
        let dirblklog = u32::from(sb[192]);
        let v5 = version == 5;
        if !(4..=5).contains(&version)
            || !(512..=65536).contains(&block)
            || 1u64 << blocklog != block
            || !(256..=2048).contains(&inode_size)
            || 1u64 << inodelog != inode_size
            || blocklog < inodelog
            || inopblog != blocklog - inodelog
            || agblocks == 0
            || agcount == 0
            || agblklog > 31
            || agblocks > 1u64 << agblklog
            || dirblklog > 6
        {
            return Err(invalid(format!(
                "{name}: XFS superblock has impossible geometry (version {version})"
            )));
        }
        let incompat = be::u32(&sb, 216);
        if v5 && incompat & !0x3f != 0 {
            return Err(invalid(format!(
                "{name}: XFS has unknown incompatible features {incompat:#x}"
            )));
        }
        let ftype = if v5 {
            incompat & 1 != 0
        } else {
            be::u32(&sb, 200) & 0x200 != 0
        };
        let end = sb[108..120].iter().position(|&b| b == 0).unwrap_or(12);
        Ok(Self {
            dev,
            block,
            agblocks,
            agcount,
            inode_size,
            agblklog,
            inopblog,
            dirblk: block << dirblklog,
            v5,
            ftype,
            root: be::u64(&sb, 56),
            label: String::from_utf8_lossy(&sb[108..108 + end]).into_owned(),
        })
    }

    /// Byte offset of inode `ino` on the device.
    pub fn inode_offset(&self, ino: u64) -> io::Result<u64> {
        let agno = ino >> (self.agblklog + self.inopblog);
        let agbno = (ino >> self.inopblog) & ((1u64 << self.agblklog) - 1);
        let slot = ino & ((1u64 << self.inopblog) - 1);
        if agno >= self.agcount || agbno >= self.agblocks {
            return Err(invalid(format!(
                "{} inode {ino}: inode number is outside the filesystem",
                self.dev.describe()
            )));
        }
        Ok((agno * self.agblocks + agbno) * self.block + slot * self.inode_size)
    }

    fn fsb_to_byte(&self, fsb: u64, what: &str) -> io::Result<u64> {
        let agno = fsb >> self.agblklog;
        let agbno = fsb & ((1u64 << self.agblklog) - 1);
        if agno >= self.agcount || agbno >= self.agblocks {
            return Err(invalid(format!(
                "{what}: block {fsb:#x} is outside the filesystem"
            )));
        }
        Ok((agno * self.agblocks + agbno) * self.block)
    }

    fn core_size(&self, raw: &[u8]) -> usize {
        if raw[4] >= 3 { 176 } else { 100 }
    }

    fn data_fork<'a>(&self, n: &'a Node) -> &'a [u8] {
        let core = self.core_size(&n.raw);
        let forkoff = usize::from(n.raw[82]) * 8;
        let end = if forkoff != 0 {
            (core + forkoff).min(n.raw.len())
        } else {
            n.raw.len()
        };
        &n.raw[core.min(end)..end]
    }

    fn nextents(&self, raw: &[u8]) -> u64 {
        let flags2 = be::u64(raw, 120);
        if raw[4] >= 3 && flags2 & (1 << 4) != 0 {
            be::u64(raw, 24)
        } else {
            u64::from(be::u32(raw, 76))
        }
    }

    fn extents(&self, n: &Node) -> io::Result<Vec<Ext>> {
        let what = format!("{} inode {}", self.dev.describe(), n.ino);
        let fork = self.data_fork(n);
        match n.raw[5] {
            2 => {
                let cnt = self.nextents(&n.raw);
                if cnt.saturating_mul(16) > fork.len() as u64 {
                    return Err(invalid(format!(
                        "{what}: {cnt} extents do not fit in the inode"
                    )));
                }
                Ok(fork
                    .chunks_exact(16)
                    .take(cnt as usize)
                    .map(unpack)
                    .collect())
            }
            3 => {
                let level = be::u16(fork, 0);
                let numrecs = usize::from(be::u16(fork, 2));
                let maxrecs = fork.len().saturating_sub(4) / 16;
                if level == 0 || level > MAX_BTREE_LEVEL || numrecs > maxrecs {
                    return Err(invalid(format!(
                        "{what}: bad bmap btree root (level {level}, {numrecs} records)"
                    )));
                }
                let mut out = Vec::new();
                let mut nodes = 0;
                for i in 0..numrecs {
                    let ptr = be::u64(fork, 4 + maxrecs * 8 + i * 8);
                    self.btree(ptr, level - 1, &mut out, &mut nodes, &what)?;
                }
                Ok(out)
            }
            f => Err(invalid(format!(
                "{what}: data fork format {f} has no extents"
            ))),
        }
    }

    fn btree(
        &self,
        fsb: u64,
        level: u16,
        out: &mut Vec<Ext>,
        nodes: &mut usize,
        what: &str,
    ) -> io::Result<()> {
        *nodes += 1;
        if *nodes > MAX_TREE_NODES {
            return Err(invalid(format!("{what}: bmap btree has too many blocks")));
        }
        let at = self.fsb_to_byte(fsb, what)?;
        let b = read_vec(self.dev.as_ref(), at, self.block as usize)?;
        let magic = &b[..4];
        let (ok, hl) = if self.v5 {
            (magic == b"BMA3", 72)
        } else {
            (magic == b"BMAP", 24)
        };
        if !ok {
            return Err(invalid(format!(
                "{what}: bmap btree block {fsb:#x} has bad magic {:?}; refusing a corrupt btree",
                String::from_utf8_lossy(magic)
            )));
        }
        let lvl = be::u16(&b, 4);
        let numrecs = usize::from(be::u16(&b, 6));
        let maxrecs = (self.block as usize - hl) / 16;
        if lvl != level || numrecs > maxrecs {
            return Err(invalid(format!(
                "{what}: bmap btree block {fsb:#x} has level {lvl} (expected {level}) and {numrecs} records"
            )));
        }
        if lvl == 0 {
            if out.len() + numrecs > MAX_RUNS {
                return Err(invalid(format!("{what}: too many extents")));
            }
            out.extend(b[hl..hl + numrecs * 16].chunks_exact(16).map(unpack));
            return Ok(());
        }
        for i in 0..numrecs {
            let ptr = be::u64(&b, hl + maxrecs * 8 + i * 8);
            self.btree(ptr, lvl - 1, out, nodes, what)?;
        }
        Ok(())
    }

    fn runs(&self, n: &Node, below: Option<u64>) -> io::Result<Vec<Run>> {
        let what = format!("{} inode {}", self.dev.describe(), n.ino);
        let mut runs = Vec::new();
        for e in self.extents(n)? {
            let start = e.off.saturating_mul(self.block);
            if below.is_some_and(|b| start >= b) {
                continue;
            }
            let phys = if e.unwritten {
                None
            } else {
                Some(self.fsb_to_byte(e.block, &what)?)
            };
            runs.push(Run {
                start,
                len: e.count * self.block,
                phys,
            });
        }
        check_runs(&mut runs, self.dev.as_ref(), &what)?;
        Ok(runs)
    }

    fn parse_sf_dir(&self, n: &Node, out: &mut Vec<(Vec<u8>, u64)>) -> io::Result<()> {
        let f = self.data_fork(n);
        let f = &f[..f.len().min(n.size as usize)];
        if f.len() < 6 {
            return Err(invalid(format!(
                "{} inode {}: short-form directory is too short",
                self.dev.describe(),
                n.ino
            )));
        }
        let count = usize::from(f[0]);
        let i8 = f[1];
        let isz = if i8 > 0 { 8 } else { 4 };
        let count = if i8 > 0 { usize::from(i8) } else { count };
        let mut p = 2 + isz;
        for _ in 0..count {
            let Some(&nl) = f.get(p) else { break };
            let nl = usize::from(nl);
            let name_at = p + 3;
            let ino_at = name_at + nl + usize::from(self.ftype);
            if ino_at + isz > f.len() {
                return Err(invalid(format!(
                    "{} inode {}: short-form directory entry runs past the fork",
                    self.dev.describe(),
                    n.ino
                )));
            }
            let ino = if isz == 8 {
                be::u64(f, ino_at)
            } else {
                u64::from(be::u32(f, ino_at))
            };
            out.push((f[name_at..name_at + nl].to_vec(), ino & ((1u64 << 56) - 1)));
            p = ino_at + isz;
        }
        Ok(())
    }

    fn parse_data_block(&self, b: &[u8], out: &mut Vec<(Vec<u8>, u64)>) {
        let magic = &b[..4];
        let (is_block, hdr) = match magic {
            b"XDB3" => (true, 64),
            b"XDD3" => (false, 64),
            b"XD2B" => (true, 16),
            b"XD2D" => (false, 16),
            _ => return,
        };
        let end = if is_block {
            let count = be::u32(b, b.len() - 8) as usize;
            b.len().saturating_sub(8 + count.saturating_mul(8))
        } else {
            b.len()
        };
        let mut p = hdr;
        while p + 8 <= end {
            if be::u16(b, p) == 0xFFFF {
                let len = usize::from(be::u16(b, p + 2));
                if len == 0 || len % 8 != 0 {
                    break;
                }
                p += len;
                continue;
            }
            let ino = be::u64(b, p);
            let nl = usize::from(b.get(p + 8).copied().unwrap_or(0));
            let len = (8 + 1 + nl + usize::from(self.ftype) + 2 + 7) & !7;
            if nl == 0 || p + len > end {
                break;
            }
            let name = &b[p + 9..p + 9 + nl];
            if name != b"." && name != b".." {
                out.push((name.to_vec(), ino));
            }
            p += len;
        }
    }
}

impl FsRead for Xfs {
    fn kind(&self) -> &'static str {
        "xfs"
    }
    fn root_ino(&self) -> u64 {
        self.root
    }
    fn node(&self, ino: u64) -> io::Result<Node> {
        let what = format!("{} inode {ino}", self.dev.describe());
        let at = self.inode_offset(ino)?;
        let raw = read_vec(self.dev.as_ref(), at, self.inode_size as usize)?;
        if &raw[..2] != b"IN" {
            return Err(invalid(format!("{what}: inode has bad magic")));
        }
        let mode = u32::from(be::u16(&raw, 2));
        let flags2 = be::u64(&raw, 120);
        let mtime = if raw[4] >= 3 && flags2 & (1 << 3) != 0 {
            (be::u64(&raw, 40) / 1_000_000_000) as i64 - (1i64 << 31)
        } else {
            i64::from(be::u32(&raw, 40) as i32)
        };
        Ok(Node {
            ino,
            kind: NodeKind::from_mode(mode),
            size: be::u64(&raw, 56),
            mode: mode & 0o7777,
            uid: u64::from(be::u32(&raw, 8)),
            gid: u64::from(be::u32(&raw, 12)),
            mtime,
            raw,
        })
    }
    fn read_dir(&self, dir: &Node) -> io::Result<Vec<(Vec<u8>, u64)>> {
        let mut out = Vec::new();
        if dir.raw[5] == 1 {
            self.parse_sf_dir(dir, &mut out)?;
            return Ok(out);
        }
        let runs = self.runs(dir, Some(LEAF_OFFSET))?;
        let end = runs.iter().map(|r| r.start + r.len).max().unwrap_or(0);
        if end > MAX_DIR {
            return Err(invalid(format!(
                "{} inode {}: directory of {end} bytes is too large",
                self.dev.describe(),
                dir.ino
            )));
        }
        let mut data = Vec::with_capacity(end as usize);
        RunReader::new(self.dev.clone(), runs, end).read_to_end(&mut data)?;
        for b in data.chunks(self.dirblk as usize) {
            if b.len() as u64 == self.dirblk {
                self.parse_data_block(b, &mut out);
            }
        }
        Ok(out)
    }
    fn read_link(&self, link: &Node) -> io::Result<Vec<u8>> {
        if link.size > 4096 {
            return Err(invalid(format!(
                "{} inode {}: symlink of {} bytes",
                self.dev.describe(),
                link.ino,
                link.size
            )));
        }
        let size = link.size as usize;
        if link.raw[5] == 1 {
            let f = self.data_fork(link);
            return f
                .get(..size)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| invalid("XFS local symlink is longer than its fork"));
        }
        let runs = self.runs(link, None)?;
        let mut out = Vec::new();
        for r in runs {
            let Some(p) = r.phys else { continue };
            let mut off = 0;
            while off < r.len && out.len() < size {
                let b = read_vec(self.dev.as_ref(), p + off, self.block as usize)?;
                if self.v5 {
                    if &b[..4] != b"XSLM" {
                        return Err(invalid(format!(
                            "{} inode {}: remote symlink block has bad magic",
                            self.dev.describe(),
                            link.ino
                        )));
                    }
                    let n = (be::u32(&b, 8) as usize).min(b.len() - 56);
                    out.extend_from_slice(&b[56..56 + n]);
                } else {
                    out.extend_from_slice(&b);
                }
                off += self.block;
            }
        }
        out.truncate(size);
        Ok(out)
    }
    fn open(&self, file: &Node) -> io::Result<Box<dyn Read + Send + '_>> {
        if file.raw[5] == 1 {
            let f = self.data_fork(file);
            let v = f
                .get(..file.size as usize)
                .ok_or_else(|| invalid("XFS inline file is longer than its fork"))?;
            return Ok(Box::new(io::Cursor::new(v.to_vec())));
        }
        let runs = self.runs(file, None)?;
        Ok(Box::new(RunReader::new(self.dev.clone(), runs, file.size)))
    }
}
