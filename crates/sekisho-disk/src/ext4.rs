//! ext2/ext3/ext4, read-only.
//!
//! Layout from the kernel's "ext4 Data Structures and Algorithms" document
//! (Documentation/filesystems/ext4/): superblock at byte 1024 (magic 0xEF53), block group
//! descriptors (32 or, with `64bit`, `s_desc_size` bytes; `meta_bg` placement supported), inodes
//! in per-group tables, file data through extent trees (header magic 0xF30A, any depth) or the
//! classic direct/indirect block map, inline data (`i_block` plus the `system.data` xattr), and
//! linear directory blocks (htree interior blocks look like empty entries, so reading every block
//! in order is complete). Checksums (`metadata_csum`) are not verified: we read, not repair.

use std::io::{self, Read};

use crate::dev::{Dev, invalid, le, read_vec};
use crate::fsread::{FsRead, MAX_RUNS, Node, NodeKind, Run, RunReader, check_runs};

pub const MAGIC: u16 = 0xEF53;
const EXTENTS_FL: u32 = 0x8_0000;
const INLINE_DATA_FL: u32 = 0x1000_0000;
const EXT_MAGIC: u16 = 0xF30A;
const MAX_EXTENT_DEPTH: u16 = 5;
/// Largest directory we read (bytes).
const MAX_DIR: u64 = 256 << 20;
/// Most extent-tree nodes one file may have.
const MAX_TREE_NODES: usize = 1 << 20;

/// Whether the device holds an ext2/3/4 superblock.
pub fn probe(sb: &[u8]) -> bool {
    sb.len() >= 2048 && le::u16(sb, 1024 + 56) == MAGIC
}

pub struct Ext4 {
    dev: Dev,
    block: u64,
    inodes_per_group: u64,
    inode_size: u64,
    blocks_per_group: u64,
    first_data_block: u64,
    groups: u64,
    desc_size: u64,
    incompat: u32,
    ro_compat: u32,
    first_meta_bg: u64,
    inodes_count: u64,
    pub label: String,
}

impl Ext4 {
    pub fn open(dev: Dev) -> io::Result<Self> {
        let name = dev.describe();
        let sb = read_vec(dev.as_ref(), 1024, 1024)?;
        if le::u16(&sb, 56) != MAGIC {
            return Err(invalid(format!("{name}: no ext2/3/4 superblock")));
        }
        let log = le::u32(&sb, 24);
        if log > 6 {
            return Err(invalid(format!(
                "{name}: ext4 block size 2^(10+{log}) is invalid"
            )));
        }
        let block = 1024u64 << log;
        let inodes_count = u64::from(le::u32(&sb, 0));
        let blocks = u64::from(le::u32(&sb, 4)) | (u64::from(le::u32(&sb, 0x150)) << 32);
        let blocks_per_group = u64::from(le::u32(&sb, 32));
        let inodes_per_group = u64::from(le::u32(&sb, 40));
        let first_data_block = u64::from(le::u32(&sb, 20));
        let rev = le::u32(&sb, 76);
        let inode_size = if rev == 0 {
            128
        } else {
            u64::from(le::u16(&sb, 88))
        };
        let incompat = le::u32(&sb, 96);
        let ro_compat = le::u32(&sb, 100);
        let desc_size = if incompat & 0x80 != 0 {
            u64::from(le::u16(&sb, 254)).max(32)
        } else {
            32
        };
        if blocks_per_group == 0
            || inodes_per_group == 0
            || !(128..=block).contains(&inode_size)
            || !inode_size.is_power_of_two()
            || desc_size > 1024
        {
            return Err(invalid(format!(
                "{name}: ext4 superblock has impossible geometry"
            )));
        }
        if blocks.saturating_mul(block) > dev.size() {
            // Tolerate (images are sometimes cut short), reads past the end fail later.
        }
        let groups = blocks
            .saturating_sub(first_data_block)
            .div_ceil(blocks_per_group);
        if groups == 0 || groups > (1 << 32) {
            return Err(invalid(format!("{name}: ext4 has {groups} block groups")));
        }
        let label_raw = &sb[120..136];
        let end = label_raw.iter().position(|&b| b == 0).unwrap_or(16);
        Ok(Self {
            dev,
            block,
            inodes_per_group,
            inode_size,
            blocks_per_group,
            first_data_block,
            groups,
            desc_size,
            incompat,
            ro_compat,
            first_meta_bg: u64::from(le::u32(&sb, 0x104)),
            inodes_count,
            label: String::from_utf8_lossy(&label_raw[..end]).into_owned(),
        })
    }

    fn has_super(&self, g: u64) -> bool {
        if self.ro_compat & 1 == 0 || g <= 1 {
            return true;
        }
        for b in [3u64, 5, 7] {
            let mut p = b;
            while p < g {
                p *= b;
            }
            if p == g {
                return true;
            }
        }
        false
    }

    fn group_desc(&self, g: u64) -> io::Result<Vec<u8>> {
        if g >= self.groups {
            return Err(invalid(format!(
                "{}: block group {g} out of range",
                self.dev.describe()
            )));
        }
        let per_block = self.block / self.desc_size;
        let idx = g / per_block;
        let blk = if self.incompat & 0x10 != 0 && idx >= self.first_meta_bg {
            let first = idx * per_block;
            self.first_data_block + first * self.blocks_per_group + u64::from(self.has_super(first))
        } else {
            self.first_data_block + 1 + idx
        };
        read_vec(
            self.dev.as_ref(),
            blk * self.block + (g % per_block) * self.desc_size,
            self.desc_size as usize,
        )
    }

    fn runs(&self, n: &Node) -> io::Result<Vec<Run>> {
        let flags = le::u32(&n.raw, 32);
        let what = format!("{} inode {}", self.dev.describe(), n.ino);
        let mut runs = Vec::new();
        if flags & EXTENTS_FL != 0 {
            let mut nodes = 0;
            self.walk_extents(&n.raw[40..100], None, 0, &mut runs, &mut nodes, &what)?;
        } else {
            self.walk_blockmap(n, &mut runs, &what)?;
        }
        check_runs(&mut runs, self.dev.as_ref(), &what)?;
        Ok(runs)
    }

    fn walk_extents(
        &self,
        node: &[u8],
        want_depth: Option<u16>,
        level: usize,
        runs: &mut Vec<Run>,
        nodes: &mut usize,
        what: &str,
    ) -> io::Result<()> {
        *nodes += 1;
        if *nodes > MAX_TREE_NODES {
            return Err(invalid(format!("{what}: extent tree has too many nodes")));
        }
        if le::u16(node, 0) != EXT_MAGIC {
            return Err(invalid(format!("{what}: extent node has bad magic")));
        }
        let entries = usize::from(le::u16(node, 2));
        let depth = le::u16(node, 6);
        if depth > MAX_EXTENT_DEPTH
            || want_depth.is_some_and(|d| d != depth)
            || level > MAX_EXTENT_DEPTH as usize
        {
            return Err(invalid(format!(
                "{what}: extent tree depth {depth} is inconsistent (a looping or corrupt extent tree)"
            )));
        }
        if 12 + entries * 12 > node.len() {
            return Err(invalid(format!(
                "{what}: extent node claims {entries} entries"
            )));
        }
        for i in 0..entries {
            let e = &node[12 + i * 12..24 + i * 12];
            if depth == 0 {
                let lblk = u64::from(le::u32(e, 0));
                let mut len = u64::from(le::u16(e, 4));
                let uninit = len > 32768;
                if uninit {
                    len -= 32768;
                }
                let pblk = (u64::from(le::u16(e, 6)) << 32) | u64::from(le::u32(e, 8));
                if runs.len() >= MAX_RUNS {
                    return Err(invalid(format!("{what}: too many extents")));
                }
                runs.push(Run {
                    start: lblk * self.block,
                    len: len * self.block,
                    phys: if uninit {
                        None
                    } else {
                        Some(pblk * self.block)
                    },
                });
            } else {
                let leaf = (u64::from(le::u16(e, 8)) << 32) | u64::from(le::u32(e, 4));
                if leaf == 0 || leaf.saturating_mul(self.block) >= self.dev.size() {
                    return Err(invalid(format!(
                        "{what}: extent index points to block {leaf}, outside the filesystem"
                    )));
                }
                let child = read_vec(self.dev.as_ref(), leaf * self.block, self.block as usize)?;
                self.walk_extents(&child, Some(depth - 1), level + 1, runs, nodes, what)?;
            }
        }
        Ok(())
    }

    fn walk_blockmap(&self, n: &Node, runs: &mut Vec<Run>, what: &str) -> io::Result<()> {
        let nblocks = n.size.div_ceil(self.block);
        let ptrs_per = self.block / 4;
        let mut lblk = 0u64;
        let mut push = |lblk: u64, pblk: u64, runs: &mut Vec<Run>| -> io::Result<()> {
            if pblk == 0 {
                return Ok(());
            }
            if let Some(last) = runs.last_mut() {
                if let Some(p) = last.phys {
                    if last.start + last.len == lblk * self.block
                        && p + last.len == pblk * self.block
                    {
                        last.len += self.block;
                        return Ok(());
                    }
                }
            }
            if runs.len() >= MAX_RUNS {
                return Err(invalid(format!("{what}: too many blocks")));
            }
            runs.push(Run {
                start: lblk * self.block,
                len: self.block,
                phys: Some(pblk * self.block),
            });
            Ok(())
        };
        for i in 0..12 {
            if lblk >= nblocks {
                return Ok(());
            }
            push(lblk, u64::from(le::u32(&n.raw, 40 + i * 4)), runs)?;
            lblk += 1;
        }
        // Single, double, triple indirect.
        for level in 1..=3u32 {
            if lblk >= nblocks {
                return Ok(());
            }
            let root = u64::from(le::u32(&n.raw, 40 + (11 + level as usize) * 4));
            let span = ptrs_per.pow(level);
            if root == 0 {
                lblk += span;
                continue;
            }
            self.indirect(root, level, &mut lblk, nblocks, &mut push, runs)?;
        }
        Ok(())
    }

    fn indirect(
        &self,
        blk: u64,
        level: u32,
        lblk: &mut u64,
        nblocks: u64,
        push: &mut PushFn<'_>,
        runs: &mut Vec<Run>,
    ) -> io::Result<()> {
        let ptrs_per = self.block / 4;
        if blk.saturating_mul(self.block) >= self.dev.size() {
            return Err(invalid(format!(
                "{}: indirect block {blk} is outside the filesystem",
                self.dev.describe()
            )));
        }
        let b = read_vec(self.dev.as_ref(), blk * self.block, self.block as usize)?;
        for i in 0..ptrs_per as usize {
            if *lblk >= nblocks {
                return Ok(());
            }
            let p = u64::from(le::u32(&b, i * 4));
            if level == 1 {
                push(*lblk, p, runs)?;
                *lblk += 1;
            } else if p == 0 {
                *lblk += ptrs_per.pow(level - 1);
            } else {
                self.indirect(p, level - 1, lblk, nblocks, push, runs)?;
            }
        }
        Ok(())
    }

    /// The `system.data` xattr value of an inline-data inode (in-inode xattrs only).
    fn inline_xattr(&self, n: &Node) -> Vec<u8> {
        let raw = &n.raw;
        if raw.len() <= 128 {
            return Vec::new();
        }
        let extra = usize::from(le::u16(raw, 128));
        let start = 128 + extra;
        if le::u32(raw, start) != 0xEA02_0000 {
            return Vec::new();
        }
        let base = start + 4;
        let mut p = base;
        while p + 16 <= raw.len() && le::u32(raw, p) != 0 {
            let name_len = usize::from(raw[p]);
            let index = raw[p + 1];
            let voff = usize::from(le::u16(raw, p + 2));
            let vsize = le::u32(raw, p + 8) as usize;
            let name = raw.get(p + 16..p + 16 + name_len).unwrap_or(&[]);
            if index == 7 && name == b"data" {
                return raw
                    .get(base + voff..base + voff + vsize)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
            }
            p += (16 + name_len + 3) & !3;
        }
        Vec::new()
    }

    fn inline_bytes(&self, n: &Node) -> Vec<u8> {
        let mut v = n.raw[40..100].to_vec();
        v.extend(self.inline_xattr(n));
        v
    }

    fn content(&self, n: &Node, cap: u64) -> io::Result<Vec<u8>> {
        if n.size > cap {
            return Err(invalid(format!(
                "{} inode {}: {} bytes is more than the {cap} we read",
                self.dev.describe(),
                n.ino,
                n.size
            )));
        }
        let mut v = Vec::with_capacity(n.size as usize);
        self.open(n)?.take(cap).read_to_end(&mut v)?;
        Ok(v)
    }
}

type PushFn<'a> = dyn FnMut(u64, u64, &mut Vec<Run>) -> io::Result<()> + 'a;

fn parse_dirents(b: &[u8], out: &mut Vec<(Vec<u8>, u64)>) {
    let mut p = 0usize;
    while p + 8 <= b.len() {
        let ino = u64::from(le::u32(b, p));
        let rec = usize::from(le::u16(b, p + 4));
        let nl = usize::from(b[p + 6]);
        if rec < 8 || p + rec > b.len() {
            break;
        }
        if ino != 0 && nl > 0 && p + 8 + nl <= p + rec {
            let name = &b[p + 8..p + 8 + nl];
            if name != b"." && name != b".." {
                out.push((name.to_vec(), ino));
            }
        }
        p += rec;
    }
}

impl FsRead for Ext4 {
    fn kind(&self) -> &'static str {
        "ext4"
    }
    fn root_ino(&self) -> u64 {
        2
    }
    fn node(&self, ino: u64) -> io::Result<Node> {
        let at = self.inode_offset(ino)?;
        let raw = read_vec(self.dev.as_ref(), at, self.inode_size as usize)?;
        let mode = u32::from(le::u16(&raw, 0));
        Ok(Node {
            ino,
            kind: NodeKind::from_mode(mode),
            size: u64::from(le::u32(&raw, 4)) | (u64::from(le::u32(&raw, 108)) << 32),
            mode: mode & 0o7777,
            uid: u64::from(le::u16(&raw, 2)) | (u64::from(le::u16(&raw, 120)) << 16),
            gid: u64::from(le::u16(&raw, 24)) | (u64::from(le::u16(&raw, 122)) << 16),
            mtime: i64::from(le::u32(&raw, 16) as i32),
            raw,
        })
    }
    fn read_dir(&self, dir: &Node) -> io::Result<Vec<(Vec<u8>, u64)>> {
        let mut out = Vec::new();
        let flags = le::u32(&dir.raw, 32);
        if flags & INLINE_DATA_FL != 0 {
            // 4-byte parent inode, then entries; the xattr part holds more entries.
            parse_dirents(&dir.raw[44..100], &mut out);
            parse_dirents(&self.inline_xattr(dir), &mut out);
            return Ok(out);
        }
        let data = self.content(dir, MAX_DIR)?;
        for blk in data.chunks(self.block as usize) {
            parse_dirents(blk, &mut out);
        }
        Ok(out)
    }
    fn read_link(&self, link: &Node) -> io::Result<Vec<u8>> {
        let flags = le::u32(&link.raw, 32);
        if link.size > 4096 {
            return Err(invalid(format!(
                "{} inode {}: symlink of {} bytes",
                self.dev.describe(),
                link.ino,
                link.size
            )));
        }
        if flags & (EXTENTS_FL | INLINE_DATA_FL) == 0 && link.size < 60 {
            return Ok(link.raw[40..40 + link.size as usize].to_vec());
        }
        self.content(link, 4096)
    }
    fn open(&self, file: &Node) -> io::Result<Box<dyn Read + Send + '_>> {
        let flags = le::u32(&file.raw, 32);
        if flags & INLINE_DATA_FL != 0 {
            let mut v = self.inline_bytes(file);
            v.resize(file.size.min(v.len() as u64) as usize, 0);
            if (v.len() as u64) < file.size {
                return Err(invalid(format!(
                    "{} inode {}: inline data is shorter than the file size",
                    self.dev.describe(),
                    file.ino
                )));
            }
            return Ok(Box::new(io::Cursor::new(v)));
        }
        let runs = self.runs(file)?;
        Ok(Box::new(RunReader::new(self.dev.clone(), runs, file.size)))
    }
}

impl Ext4 {
    /// Byte offset of inode `ino` on the device.
    pub fn inode_offset(&self, ino: u64) -> io::Result<u64> {
        if ino == 0 || ino > self.inodes_count {
            return Err(invalid(format!(
                "{}: inode {ino} out of range",
                self.dev.describe()
            )));
        }
        let g = (ino - 1) / self.inodes_per_group;
        let idx = (ino - 1) % self.inodes_per_group;
        let gd = self.group_desc(g)?;
        let mut table = u64::from(le::u32(&gd, 8));
        if self.desc_size >= 64 {
            table |= u64::from(le::u32(&gd, 0x28)) << 32;
        }
        Ok(table
            .saturating_mul(self.block)
            .saturating_add(idx * self.inode_size))
    }

    /// Whether the journal says it needs recovery (we read the filesystem as it is on disk).
    pub fn needs_recovery(&self) -> bool {
        self.incompat & 0x4 != 0
    }
    /// Whether the filesystem uses fscrypt (encrypted names and contents cannot be read).
    pub fn encrypted(&self) -> bool {
        self.incompat & 0x1_0000 != 0
    }
}
