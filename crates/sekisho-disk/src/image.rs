//! Open a disk image file of any supported format, detected by its magic bytes.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::dev::{Dev, FileDev, read_vec};
use crate::{qcow2, vhd, vhdx, vmdk};

/// The container format of a disk image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Raw,
    Qcow2,
    VmdkSparse,
    VmdkDescriptor,
    VhdFixed,
    VhdDynamic,
    Vhdx,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Raw => "raw",
            Format::Qcow2 => "qcow2",
            Format::VmdkSparse => "vmdk (sparse)",
            Format::VmdkDescriptor => "vmdk (descriptor)",
            Format::VhdFixed => "vhd (fixed)",
            Format::VhdDynamic => "vhd (dynamic)",
            Format::Vhdx => "vhdx",
        }
    }
}

/// How images are opened.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Follow qcow2 backing files, but only to files in the same directory as the image.
    pub allow_backing: bool,
}

/// Longest backing chain we follow.
const MAX_CHAIN: usize = 8;

/// Detect the format of an opened file from its first and last bytes.
pub fn detect(file: &Dev) -> io::Result<Format> {
    let head = read_vec(file.as_ref(), 0, 4096.min(file.size()) as usize)?;
    if head.starts_with(qcow2::MAGIC) {
        return Ok(Format::Qcow2);
    }
    if head.starts_with(vmdk::MAGIC) {
        return Ok(Format::VmdkSparse);
    }
    if head.starts_with(vhdx::MAGIC) {
        return Ok(Format::Vhdx);
    }
    if head.starts_with(b"# Disk DescriptorFile")
        || (file.size() < (1 << 20) && vmdk::is_descriptor(&head))
    {
        return Ok(Format::VmdkDescriptor);
    }
    if let Some(f) = vhd::footer(file.as_ref()) {
        return Ok(match crate::dev::be::u32(&f, 60) {
            2 => Format::VhdFixed,
            _ => Format::VhdDynamic,
        });
    }
    Ok(Format::Raw)
}

/// An opened disk: its format and the guest-visible device.
pub struct Image {
    pub format: Format,
    pub dev: Dev,
    pub path: PathBuf,
}

/// Open `path` as a disk image.
pub fn open(path: &Path, opts: &OpenOptions) -> io::Result<Image> {
    open_chain(path, opts, 0)
}

fn open_chain(path: &Path, opts: &OpenOptions, depth: usize) -> io::Result<Image> {
    let file: Dev = Arc::new(FileDev::open(path).map_err(|e| {
        io::Error::new(e.kind(), crate::dev::named(&path.display().to_string(), &e))
    })?);
    let format = detect(&file)?;
    let dev = match format {
        Format::Raw => file,
        Format::Qcow2 => {
            let h = read_vec(file.as_ref(), 0, 4096.min(file.size()) as usize)?;
            let hdr = qcow2::parse_header(&h, file.size(), &path.display().to_string())?;
            let backing = match &hdr.backing {
                Some(b) if opts.allow_backing => {
                    if depth >= MAX_CHAIN {
                        return Err(crate::dev::invalid(format!(
                            "{}: backing chain is longer than {MAX_CHAIN}",
                            path.display()
                        )));
                    }
                    Some(open_backing(path, b, opts, depth)?)
                }
                _ => None,
            };
            qcow2::open(file, backing)?
        }
        Format::VmdkSparse => {
            let s = vmdk::Sparse::open(file)?;
            if let Some(d) = s.descriptor() {
                if d.contains("parentFileNameHint") {
                    return Err(crate::dev::invalid(format!(
                        "{}: VMDK delta disk with a parent is not supported",
                        path.display()
                    )));
                }
            }
            Arc::new(s)
        }
        Format::VmdkDescriptor => {
            if file.size() > 1 << 20 {
                return Err(crate::dev::invalid(format!(
                    "{}: VMDK descriptor is too large",
                    path.display()
                )));
            }
            let t = read_vec(file.as_ref(), 0, file.size() as usize)?;
            vmdk::open_descriptor(path, &String::from_utf8_lossy(&t))?
        }
        Format::VhdFixed | Format::VhdDynamic => vhd::open(file)?,
        Format::Vhdx => vhdx::open(file)?,
    };
    Ok(Image {
        format,
        dev,
        path: path.to_path_buf(),
    })
}

/// Resolve a backing file name; it must be in the same directory as the image.
fn open_backing(path: &Path, name: &str, opts: &OpenOptions, depth: usize) -> io::Result<Dev> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let cand = if Path::new(name).is_absolute() {
        PathBuf::from(name)
    } else {
        dir.join(name)
    };
    let canon_dir = dir.canonicalize()?;
    let canon = cand.canonicalize().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("{}: backing file {name:?}: {e}", path.display()),
        )
    })?;
    if canon.parent() != Some(canon_dir.as_path()) {
        return Err(crate::dev::invalid(format!(
            "{}: backing file {name:?} is outside the image's directory; refusing",
            path.display()
        )));
    }
    Ok(open_chain(&canon, opts, depth + 1)?.dev)
}
