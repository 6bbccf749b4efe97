//! VM disks read directly: disk image formats, partition tables, LVM and filesystems, with no
//! root, no loop devices and no mounting.
//!
//! Flow: a disk file → [`image::open`] (raw, qcow2, VMDK, VHD, VHDX, detected by magic) → a
//! [`dev::BlockDev`] → [`part::read_table`] (GPT, MBR with logical partitions, or none: a bare
//! filesystem) and [`lvm`] (PV → LVs) → every volume probed by its superblock
//! ([`probe::probe`]) → ext2/3/4 and XFS opened as [`FsLayer`]s, one `LayerSource` each, and
//! everything else reported as skipped with its type. [`open_disk`] does all of it and returns a
//! [`Disk`] whose [`VolumeReport`]s say, for every partition, what it holds and why it was or was
//! not scanned: a scan never ends in a silent "0 packages".
//!
//! Every reader is bounded: table sizes, chain lengths, tree depths and node counts are capped,
//! and malformed bytes give an error that names the file and the structure, never a panic.

#![forbid(unsafe_code)]

pub mod dev;
pub mod ext4;
pub mod fsread;
pub mod image;
pub mod layer;
pub mod lvm;
pub mod part;
pub mod probe;
pub mod qcow2;
pub mod sniff;
pub mod vhd;
pub mod vhdx;
pub mod vmdk;
pub mod xfs;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

pub use dev::{BlockDev, Dev};
use fsread::{FsRead, NodeKind};
pub use image::{Format, OpenOptions};
pub use layer::FsLayer;
use probe::Content;

/// Errors opening a disk. Messages name the file and the structure that was wrong.
///
/// The message already carries the underlying error's text (the file name is added when that
/// text lacks it), so the underlying error is not also exposed as the `source()`: a cause chain
/// printed by the caller (`caused by: …`) does not repeat it.
#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    #[error("{}", dev::named(path, error))]
    Io { path: String, error: io::Error },
}

/// Pages (4 KiB) of metadata cache per filesystem.
const FS_CACHE_PAGES: usize = 4096;
/// Most volumes one disk may have (partitions plus LVs).
const MAX_VOLUMES: usize = 512;

/// What we found in one partition or volume.
#[derive(Debug, Clone, Serialize)]
pub struct VolumeReport {
    /// `p2`, `p5` (a logical partition), `lvm vg0/root`, or `disk` for a bare filesystem.
    pub index: String,
    /// Partition number (1-based), when the volume is a partition.
    pub number: Option<u32>,
    /// GPT partition name or LVM LV name.
    pub name: Option<String>,
    /// GPT type GUID or MBR type byte (`0x83`); `lvm` for logical volumes.
    pub type_id: Option<String>,
    pub offset: u64,
    pub size: u64,
    /// `ext4`, `xfs`, `vfat`, `swap`, `LVM2 PV`, `unknown`, …
    pub fs: String,
    /// Filesystem label.
    pub label: Option<String>,
    /// Whether it holds `etc/os-release` or `usr/lib/os-release`.
    pub os_root: bool,
    /// PRETTY_NAME (or NAME VERSION_ID) from os-release.
    pub os: Option<String>,
    /// Why it is not scanned (`skipped: vfat`, an error), `None` when it is scanned.
    pub reason: Option<String>,
    /// Caveats about a scanned filesystem (a journal that was not replayed, encryption).
    pub notes: Vec<String>,
    #[serde(skip)]
    fs_handle: Option<FsHandle>,
}

/// The opened filesystem behind a report.
#[derive(Clone)]
struct FsHandle(Arc<dyn FsRead>);

impl std::fmt::Debug for FsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FsHandle({})", self.0.kind())
    }
}

impl VolumeReport {
    /// A short human name: `p2 "root-x86-64" (ext4)`.
    pub fn title(&self) -> String {
        let mut s = self.index.clone();
        if let Some(n) = self.name.as_deref().filter(|n| !n.is_empty()) {
            s.push_str(&format!(" {n:?}"));
        }
        s.push_str(&format!(" ({})", self.fs));
        s
    }

    /// The filesystem as a layer, when it is one we read (ext2/3/4, XFS).
    pub fn layer(&self, description: impl Into<String>) -> Option<FsLayer> {
        self.fs_handle
            .clone()
            .map(|f| FsLayer::new(f.0, description))
    }
}

/// An opened disk.
pub struct Disk {
    pub path: PathBuf,
    pub format: Format,
    /// `gpt`, `mbr` or `none`.
    pub table: &'static str,
    pub volumes: Vec<VolumeReport>,
    /// Disk-level notes (a corrupt primary GPT that was recovered from the backup, …).
    pub notes: Vec<String>,
    pub size: u64,
}

impl Disk {
    /// The volumes that hold an OS root and can be read.
    pub fn os_roots(&self) -> impl Iterator<Item = &VolumeReport> {
        self.volumes
            .iter()
            .filter(|v| v.os_root && v.fs_handle.is_some())
    }
}

/// Open a disk image and look at every partition and volume in it.
pub fn open_disk(path: &Path, opts: &OpenOptions) -> Result<Disk, DiskError> {
    let err = |error: io::Error| DiskError::Io {
        path: path.display().to_string(),
        error,
    };
    let img = image::open(path, opts).map_err(err)?;
    analyse(path, img.format, img.dev)
}

/// Look at every partition and volume of an already opened guest device (`path` only names
/// things in messages).
pub fn analyse(path: &Path, format: Format, dev: Dev) -> Result<Disk, DiskError> {
    let err = |error: io::Error| DiskError::Io {
        path: path.display().to_string(),
        error,
    };
    let img = image::Image {
        format,
        dev,
        path: path.to_path_buf(),
    };
    let mut notes = Vec::new();
    let table = part::read_table(img.dev.as_ref(), &mut notes).map_err(err)?;
    let mut vols: Vec<(VolumeReport, Dev)> = Vec::new();
    let base = |index: String,
                number: Option<u32>,
                name: Option<String>,
                type_id: Option<String>,
                offset: u64,
                size: u64| VolumeReport {
        index,
        number,
        name,
        type_id,
        offset,
        size,
        fs: String::new(),
        label: None,
        os_root: false,
        os: None,
        reason: None,
        notes: Vec::new(),
        fs_handle: None,
    };
    let table_name = match &table {
        part::Table::Gpt(_) => "gpt",
        part::Table::Mbr(_) => "mbr",
        part::Table::None => "none",
    };
    match table {
        part::Table::Gpt(ps) | part::Table::Mbr(ps) => {
            let disk_size = img.dev.size();
            for p in ps.into_iter().take(MAX_VOLUMES) {
                // A truncated image: the partition is listed with what is missing, never dropped.
                let len = p.size.min(disk_size.saturating_sub(p.start));
                let d: Dev = Arc::new(dev::SliceDev::new(
                    img.dev.clone(),
                    p.start,
                    len,
                    format!("{} p{}", path.display(), p.number),
                ));
                let mut r = base(
                    format!("p{}", p.number),
                    Some(p.number),
                    p.name,
                    Some(p.type_id),
                    p.start,
                    p.size,
                );
                if len == 0 && p.size > 0 {
                    r.fs = "unknown".into();
                    r.reason = Some(format!(
                        "skipped: the partition starts at byte {} but the disk ends at byte {disk_size} (truncated image?)",
                        p.start
                    ));
                } else if len < p.size {
                    r.notes.push(format!(
                        "the partition runs {} bytes past the end of the disk ({disk_size} bytes; truncated image?): what is stored there cannot be read",
                        p.size - len
                    ));
                }
                vols.push((r, d));
            }
        }
        part::Table::None => vols.push((
            base("disk".into(), None, None, None, 0, img.dev.size()),
            img.dev.clone(),
        )),
    }
    // LVM: collect PVs, then resolve each VG's LVs once.
    let mut pvs: BTreeMap<String, Dev> = BTreeMap::new();
    let mut metas: Vec<String> = Vec::new();
    for (_, d) in &vols {
        if let Ok(Some(pv)) = lvm::read_pv(d.as_ref()) {
            pvs.insert(pv.uuid.replace('-', ""), d.clone());
            if let Some(m) = pv.metadata {
                if !metas.contains(&m) {
                    metas.push(m);
                }
            }
        }
    }
    for m in metas {
        match lvm::logical_volumes(&m, &pvs) {
            Ok(lvs) => {
                for lv in lvs.into_iter().take(MAX_VOLUMES) {
                    let mut r = base(
                        format!("lvm {}/{}", lv.vg, lv.name),
                        None,
                        Some(lv.name.clone()),
                        Some("lvm".into()),
                        0,
                        0,
                    );
                    match lv.dev {
                        Ok(d) => {
                            r.size = d.size();
                            vols.push((r, d));
                        }
                        Err(e) => {
                            r.fs = "unknown".into();
                            r.reason = Some(format!("skipped: logical volume cannot be read: {e}"));
                            vols.push((r, Arc::new(dev::ZeroDev(0))));
                        }
                    }
                }
            }
            Err(e) => notes.push(format!("LVM metadata could not be parsed: {e}")),
        }
    }
    let mut out = Vec::new();
    for (mut r, d) in vols {
        if r.reason.is_none() {
            examine(&mut r, d);
        }
        out.push(r);
    }
    Ok(Disk {
        path: path.to_path_buf(),
        format: img.format,
        table: table_name,
        volumes: out,
        notes,
        size: img.dev.size(),
    })
}

fn examine(r: &mut VolumeReport, d: Dev) {
    let content = match probe::probe(d.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            r.fs = "unknown".into();
            r.reason = Some(format!("skipped: cannot read: {e}"));
            return;
        }
    };
    r.fs = content.name().into();
    let cached: Dev = Arc::new(dev::CachedDev::new(d, FS_CACHE_PAGES));
    let fs: io::Result<(Arc<dyn FsRead>, String)> = match content {
        Content::Ext => ext4::Ext4::open(cached).map(|f| {
            if f.needs_recovery() {
                r.notes.push("the ext4 journal was not replayed (the filesystem was not unmounted cleanly); recent changes may be missing".into());
            }
            if f.encrypted() {
                r.notes.push("ext4 encryption (fscrypt) is enabled; encrypted directories cannot be read".into());
            }
            let l = f.label.clone();
            (Arc::new(f) as Arc<dyn FsRead>, l)
        }),
        Content::Xfs => xfs::Xfs::open(cached).map(|f| {
            let l = f.label.clone();
            (Arc::new(f) as Arc<dyn FsRead>, l)
        }),
        Content::LvmPv => {
            r.reason =
                Some("LVM2 physical volume: its logical volumes are listed separately".into());
            return;
        }
        other => {
            r.reason = Some(format!("skipped: {}", other.name()));
            return;
        }
    };
    match fs {
        Ok((fs, label)) => {
            if !label.is_empty() {
                r.label = Some(label);
            }
            match os_release(fs.as_ref()) {
                Ok(Some(os)) => {
                    r.os_root = true;
                    r.os = os;
                }
                Ok(None) => {
                    r.reason = Some(format!(
                        "skipped: {} filesystem without etc/os-release or usr/lib/os-release (not an OS root)",
                        r.fs
                    ))
                }
                Err(e) => {
                    r.reason = Some(format!("skipped: {} filesystem cannot be read: {e}", r.fs))
                }
            }
            r.fs_handle = Some(FsHandle(fs));
        }
        Err(e) => {
            r.reason = Some(format!(
                "skipped: {} superblock found but unreadable: {e}",
                r.fs
            ))
        }
    }
}

/// `Some(pretty name)` when the filesystem holds an os-release file.
fn os_release(fs: &dyn FsRead) -> io::Result<Option<Option<String>>> {
    let mut found = false;
    for p in ["etc/os-release", "usr/lib/os-release"] {
        let Some(n) = fs.lookup(p)? else { continue };
        found = true;
        if n.kind == NodeKind::File && n.size <= 64 << 10 {
            let mut v = Vec::new();
            io::Read::read_to_end(&mut io::Read::take(fs.open(&n)?, 64 << 10), &mut v)?;
            let text = String::from_utf8_lossy(&v);
            let field = |k: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
                    .map(|v| v.trim().trim_matches('"').to_string())
            };
            let name = field("PRETTY_NAME").or_else(|| {
                field("NAME").map(|n| {
                    format!("{n} {}", field("VERSION_ID").unwrap_or_default())
                        .trim()
                        .to_string()
                })
            });
            return Ok(Some(name));
        }
    }
    Ok(if found { Some(None) } else { None })
}
