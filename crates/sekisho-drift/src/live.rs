//! The container's tree, walked through a directory descriptor of its root.
//!
//! Safety rules, for a tree that may be hostile and is changing while we read it:
//! - every path is opened relative to the root descriptor with `openat2` and
//!   `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV` (where
//!   the kernel lacks `openat2`, one component at a time with `O_NOFOLLOW`), so no symlink is
//!   ever followed and nothing outside the root or across a mount is read;
//! - a file is opened only when `lstat` says it is a regular file, with `O_NOFOLLOW |
//!   O_NONBLOCK | O_NOCTTY`, and its `fstat` must match (device and inode) before it is read: a
//!   FIFO or a device is never opened, one swapped in mid-walk is never read;
//! - directories on another device, and the mount points of the container's mountinfo, are not
//!   descended: they are listed as not covered;
//! - a sparse file far larger than its allocation is not hashed (bounded work): it is compared
//!   by size and mtime, with a note;
//! - a file that vanishes mid-walk is listed as vanished, never an error that stops the run.
//!
//! Regular files are read in parallel (`threads`), and hashed only where the image has a
//! regular file of the same size at the path (elsewhere size alone proves a change); every
//! file's first bytes are read for the ELF magic.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, ResolveFlags, Stat};
use rustix::io::Errno;
use sekisho_artifact::Note;
use sha2::{Digest as _, Sha256};

use crate::mountinfo::{IdRange, map_to_inside};
use crate::tree::{Node, NodeKind, Tree, is_under};

/// Sparse files above this logical size whose allocation is under half of it are not hashed.
pub const SPARSE_MIN: u64 = 64 << 20;
/// Deepest directory nesting walked.
pub const MAX_DEPTH: usize = sekisho_artifact::path::MAX_DEPTH;
const CHUNK: usize = 256 << 10;
const CAP_XATTR: &str = "security.capability";
/// Largest `security.capability` value (v3 is 24 bytes).
const CAP_MAX: usize = 64;

/// A container's root, held open.
pub struct LiveRoot {
    fd: OwnedFd,
    dev: u64,
    name: String,
    openat2: AtomicBool,
}

fn errno_io(e: Errno) -> io::Error {
    io::Error::from(e)
}

impl LiveRoot {
    /// Open a root directory (`/proc/PID/root` resolves to the process's root).
    ///
    /// # Errors
    /// When `path` cannot be opened as a directory.
    pub fn open(path: &Path) -> io::Result<Self> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(errno_io)?;
        let st = rustix::fs::fstat(&fd).map_err(errno_io)?;
        Ok(Self {
            fd,
            dev: st.st_dev,
            name: path.display().to_string(),
            openat2: AtomicBool::new(true),
        })
    }

    /// What the root was opened as.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Open `rel` beneath the root without following any symlink or crossing a mount.
    fn open_beneath(&self, rel: &str, flags: OFlags) -> io::Result<OwnedFd> {
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
        if rel.is_empty() {
            return rustix::fs::openat(&self.fd, ".", flags | OFlags::DIRECTORY, Mode::empty())
                .map_err(errno_io);
        }
        if self.openat2.load(Ordering::Relaxed) {
            match rustix::fs::openat2(
                &self.fd,
                rel,
                flags,
                Mode::empty(),
                ResolveFlags::BENEATH
                    | ResolveFlags::NO_SYMLINKS
                    | ResolveFlags::NO_MAGICLINKS
                    | ResolveFlags::NO_XDEV,
            ) {
                Err(Errno::NOSYS) => self.openat2.store(false, Ordering::Relaxed),
                r => return r.map_err(errno_io),
            }
        }
        // One component at a time, each with O_NOFOLLOW.
        let mut cur: Option<OwnedFd> = None;
        let parts: Vec<&str> = rel.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() || *part == "." || *part == ".." {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad path"));
            }
            let last = i + 1 == parts.len();
            let f = if last {
                flags
            } else {
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
            };
            let dir = cur.as_ref().map_or(self.fd.as_fd(), AsFd::as_fd);
            let next = rustix::fs::openat(dir, *part, f, Mode::empty()).map_err(errno_io)?;
            let st = rustix::fs::fstat(&next).map_err(errno_io)?;
            if st.st_dev != self.dev {
                return Err(io::Error::other("crosses a mount"));
            }
            cur = Some(next);
        }
        cur.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty path"))
    }

    /// Open a regular file beneath the root for reading: never a FIFO, device or symlink.
    ///
    /// # Errors
    /// When it cannot be opened, or is not a regular file when opened.
    pub fn open_file(&self, rel: &str) -> io::Result<File> {
        let fd = self.open_beneath(rel, OFlags::RDONLY | OFlags::NONBLOCK)?;
        let st = rustix::fs::fstat(&fd).map_err(errno_io)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a regular file",
            ));
        }
        Ok(File::from(fd))
    }
}

/// How the live walk runs.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions<'a> {
    /// Threads reading files (at least one).
    pub threads: usize,
    /// Mount points (normalised, relative to the root) not to walk: listed as not covered.
    pub mounts: Vec<String>,
    /// The image's tree: a file is hashed only where it has a regular file of the same size.
    pub expected: Option<&'a Tree>,
    /// uid_map / gid_map of the container (`--pid`), to read owners as it sees them.
    pub uid_map: Option<Vec<IdRange>>,
    pub gid_map: Option<Vec<IdRange>>,
    /// Set to stop the walk.
    pub cancel: Option<&'a AtomicBool>,
}

/// The container's tree and what the walk could not look at.
#[derive(Debug, Default)]
pub struct LiveTree {
    pub tree: Tree,
    /// Mount points inside the root that were not walked (not covered).
    pub not_covered: BTreeSet<String>,
    /// Paths that vanished (or changed type) between listing and reading.
    pub vanished: BTreeSet<String>,
    /// Regular files not hashed, with why (sparse): compared by size and mtime only.
    pub unhashed: BTreeMap<String, String>,
    /// Everything else skipped or not understood.
    pub notes: Vec<Note>,
    /// Regular files seen, and bytes hashed.
    pub files: u64,
    pub hashed_bytes: u64,
}

fn kind_of(st: &Stat) -> NodeKind {
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => NodeKind::File,
        FileType::Directory => NodeKind::Dir,
        FileType::Symlink => NodeKind::Symlink,
        FileType::CharacterDevice => NodeKind::CharDevice,
        FileType::BlockDevice => NodeKind::BlockDevice,
        FileType::Fifo => NodeKind::Fifo,
        FileType::Socket => NodeKind::Socket,
        FileType::Unknown => NodeKind::Other,
    }
}

fn is_gone(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(c) if c == Errno::NOENT.raw_os_error() || c == Errno::NOTDIR.raw_os_error())
}

/// A regular file to read in the second phase.
struct Job {
    path: String,
    dev: u64,
    ino: u64,
    size: u64,
    blocks: u64,
    hash: bool,
}

enum Read1 {
    Done {
        cap: Option<String>,
        digest: Option<String>,
        elf: bool,
        hashed: u64,
    },
    Sparse(String),
    Vanished,
    Failed(String),
}

fn read_file(root: &LiveRoot, j: &Job, buf: &mut [u8]) -> Read1 {
    let mut f = match root.open_file(&j.path) {
        Ok(f) => f,
        Err(e) if is_gone(&e) => return Read1::Vanished,
        Err(e) if e.kind() == io::ErrorKind::InvalidData => return Read1::Vanished,
        Err(e) => return Read1::Failed(format!("not read: {e}")),
    };
    match rustix::fs::fstat(&f) {
        Ok(st) if st.st_dev == j.dev && st.st_ino == j.ino => {}
        Ok(_) => return Read1::Vanished,
        Err(e) => return Read1::Failed(format!("not read: {e}")),
    }
    let mut cap_buf = [0u8; CAP_MAX];
    let cap = match rustix::fs::fgetxattr(&f, CAP_XATTR, &mut cap_buf[..]) {
        Ok(n) => Some(hex::encode(&cap_buf[..n])),
        Err(Errno::NODATA | Errno::NOTSUP) => None,
        Err(Errno::RANGE) => Some("oversized".to_string()),
        Err(e) => return Read1::Failed(format!("cannot read its capabilities: {e}")),
    };
    let sparse = j.size > SPARSE_MIN && j.blocks.saturating_mul(512) < j.size / 2;
    if j.hash && sparse {
        return Read1::Sparse(format!(
            "sparse file of {} bytes with {} allocated: not hashed, compared by size and mtime",
            j.size,
            j.blocks.saturating_mul(512)
        ));
    }
    let mut h = j.hash.then(Sha256::new);
    let mut head = [0u8; 4];
    let mut head_len = 0;
    let mut hashed = 0u64;
    loop {
        let want = if h.is_some() { buf.len() } else { 4 - head_len };
        if want == 0 {
            break;
        }
        let n = match f.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Read1::Failed(format!("read failed: {e}")),
        };
        if head_len < 4 {
            let k = (4 - head_len).min(n);
            head[head_len..head_len + k].copy_from_slice(&buf[..k]);
            head_len += k;
        }
        if let Some(h) = h.as_mut() {
            h.update(&buf[..n]);
            hashed += n as u64;
        }
    }
    Read1::Done {
        cap,
        digest: h.map(|h| format!("sha256:{}", hex::encode(h.finalize()))),
        elf: head_len == 4 && head == *b"\x7fELF",
        hashed,
    }
}

fn lossy(name: &CStr) -> String {
    String::from_utf8_lossy(name.to_bytes()).into_owned()
}

/// Walk the tree below `root`.
///
/// # Errors
/// Only when the root itself cannot be listed, or on cancel; everything below becomes notes.
pub fn walk(root: &LiveRoot, opts: &WalkOptions<'_>) -> io::Result<LiveTree> {
    let mut out = LiveTree::default();
    let mounts: BTreeSet<&str> = opts
        .mounts
        .iter()
        .map(String::as_str)
        .filter(|m| !m.is_empty())
        .collect();
    let mut jobs: Vec<Job> = Vec::new();
    let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
    let map_uid = |u: u32| {
        let u = u64::from(u);
        opts.uid_map.as_deref().map_or(u, |m| map_to_inside(m, u))
    };
    let map_gid = |g: u32| {
        let g = u64::from(g);
        opts.gid_map.as_deref().map_or(g, |m| map_to_inside(m, g))
    };
    while let Some((dir, depth)) = stack.pop() {
        if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(io::Error::other("cancelled"));
        }
        let fd = match root.open_beneath(&dir, OFlags::RDONLY | OFlags::DIRECTORY) {
            Ok(fd) => fd,
            Err(e) if dir.is_empty() => return Err(e),
            Err(e) if is_gone(&e) => {
                out.vanished.insert(dir.clone());
                continue;
            }
            Err(e) => {
                out.notes.push(Note::new(
                    None,
                    dir.clone(),
                    format!("directory not walked: {e}"),
                ));
                continue;
            }
        };
        let mut names: Vec<String> = Vec::new();
        match Dir::read_from(&fd) {
            Ok(d) => {
                for ent in d {
                    match ent {
                        Ok(ent) => {
                            let n = ent.file_name();
                            if n.to_bytes() == b"." || n.to_bytes() == b".." {
                                continue;
                            }
                            let s = lossy(n);
                            if std::str::from_utf8(n.to_bytes()).is_err() {
                                out.notes.push(Note::new(
                                    None,
                                    format!("{dir}/{s}"),
                                    "name is not UTF-8: compared under its lossy form",
                                ));
                            }
                            names.push(s);
                        }
                        Err(e) => {
                            out.notes.push(Note::new(
                                None,
                                dir.clone(),
                                format!("listing cut short: {e}"),
                            ));
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                out.notes.push(Note::new(
                    None,
                    dir.clone(),
                    format!("directory not listed: {e}"),
                ));
                continue;
            }
        }
        names.sort();
        let mut subdirs = Vec::new();
        for name in names {
            let rel = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            if mounts.contains(rel.as_str()) {
                out.not_covered.insert(rel);
                continue;
            }
            let st = match rustix::fs::statat(&fd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => st,
                Err(Errno::NOENT) => {
                    out.vanished.insert(rel);
                    continue;
                }
                Err(e) => {
                    out.notes
                        .push(Note::new(None, rel, format!("not compared: lstat: {e}")));
                    continue;
                }
            };
            let kind = kind_of(&st);
            let mut n = Node::new(kind, st.st_mode);
            n.uid = map_uid(st.st_uid);
            n.gid = map_gid(st.st_gid);
            n.mtime = st.st_mtime;
            match kind {
                NodeKind::File => {
                    let size = u64::try_from(st.st_size).unwrap_or(0);
                    n.size = Some(size);
                    let hash = opts.expected.and_then(|t| t.get(&rel)).is_some_and(|e| {
                        e.is_file() && e.digest.is_some() && e.size.is_none_or(|s| s == size)
                    });
                    out.files += 1;
                    jobs.push(Job {
                        path: rel.clone(),
                        dev: st.st_dev,
                        ino: st.st_ino,
                        size,
                        blocks: u64::try_from(st.st_blocks).unwrap_or(0),
                        hash,
                    });
                }
                NodeKind::Symlink => match rustix::fs::readlinkat(&fd, name.as_str(), Vec::new()) {
                    Ok(t) => n.target = Some(lossy(&t)),
                    Err(Errno::NOENT) => {
                        out.vanished.insert(rel);
                        continue;
                    }
                    Err(e) => out.notes.push(Note::new(
                        None,
                        rel.clone(),
                        format!("symlink target not read: {e}"),
                    )),
                },
                NodeKind::Dir => {
                    if st.st_dev != root.dev {
                        out.not_covered.insert(rel);
                        continue;
                    }
                    if depth + 1 >= MAX_DEPTH {
                        out.notes.push(Note::new(
                            None,
                            rel.clone(),
                            format!("not descended: deeper than {MAX_DEPTH} levels"),
                        ));
                    } else {
                        subdirs.push((rel.clone(), depth + 1));
                    }
                }
                _ => {}
            }
            out.tree.insert(rel, n);
        }
        subdirs.reverse();
        stack.extend(subdirs);
    }
    // Phase 2: read the files, in parallel.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Read1)>> = Mutex::new(Vec::with_capacity(jobs.len()));
    let workers = opts.threads.max(1).min(jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut buf = vec![0u8; CHUNK];
                let mut mine = Vec::new();
                loop {
                    if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(j) = jobs.get(i) else { break };
                    mine.push((i, read_file(root, j, &mut buf)));
                }
                results.lock().expect("results").append(&mut mine);
            });
        }
    });
    if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        return Err(io::Error::other("cancelled"));
    }
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|(i, _)| *i);
    for (i, r) in results {
        let j = &jobs[i];
        match r {
            Read1::Done {
                cap,
                digest,
                elf,
                hashed,
            } => {
                out.hashed_bytes += hashed;
                if let Some(n) = out.tree.get_mut(&j.path) {
                    n.capability = cap;
                    n.digest = digest;
                    n.elf = Some(elf);
                }
            }
            Read1::Sparse(why) => {
                out.unhashed.insert(j.path.clone(), why);
            }
            Read1::Vanished => {
                out.tree.remove(&j.path);
                out.vanished.insert(j.path.clone());
            }
            Read1::Failed(why) => {
                out.unhashed.insert(j.path.clone(), why);
            }
        }
    }
    // A vanished directory takes what was listed below it.
    let gone: Vec<String> = out.vanished.iter().cloned().collect();
    for g in gone {
        out.tree.retain(|p, _| !is_under(p, &g));
    }
    Ok(out)
}
