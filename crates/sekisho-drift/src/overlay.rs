//! The overlay `upperdir` as a second witness. Where the container's root is an overlay mount
//! (its mountinfo names `upperdir=`), the upper directory holds exactly what the container
//! wrote: files created or copied up, whiteouts for deletions (character devices 0:0), and
//! opaque directories. It is never the only evidence: the full content comparison runs first and
//! decides what changed; the upper directory then confirms each change, and a change it does not
//! hold did not come through the container's writable layer: the image's lower layers on this
//! host differ from the image (a tampered layer store), which the report says.
//!
//! The walk holds a descriptor per directory and opens every entry relative to its parent with
//! `O_NOFOLLOW`: no symlink is followed, nothing outside the upper directory is read, and no file
//! is opened (only `lstat` and the directory's opaque xattr are read). It is bounded by
//! [`MAX_ENTRIES`] and [`crate::live::MAX_DEPTH`].

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};

/// Most upper-directory entries read; past it the witness is incomplete and says so.
pub const MAX_ENTRIES: usize = 1_000_000;
const OPAQUE_XATTRS: [&str; 2] = ["trusted.overlay.opaque", "user.overlay.opaque"];

/// What the upper directory holds, by path relative to the container's root.
#[derive(Debug, Default, Clone)]
pub struct Upper {
    /// Entries written by the container (created, copied up, or whose metadata changed).
    pub written: BTreeSet<String>,
    /// Whiteouts: paths the container deleted.
    pub whiteouts: BTreeSet<String>,
    /// Opaque directories: the container replaced everything below them.
    pub opaque: BTreeSet<String>,
    /// Why the walk stopped early, if it did.
    pub incomplete: Option<String>,
}

/// The `upperdir=` of an overlay mount's superblock options. `None` when the mount is not an
/// overlay, has no upper directory, or the path is escaped (a comma or backslash in it).
pub fn upperdir_of(fstype: &str, super_options: &[String]) -> Option<String> {
    if fstype != "overlay" {
        return None;
    }
    let dir = super_options
        .iter()
        .find_map(|o| o.strip_prefix("upperdir="))?;
    (dir.starts_with('/') && !dir.contains('\\')).then(|| dir.to_string())
}

impl Upper {
    /// Whether the upper directory accounts for `path` (relative): written there, whited out,
    /// or below an opaque directory or a whiteout.
    pub fn holds(&self, path: &str) -> bool {
        if self.written.contains(path) || self.whiteouts.contains(path) {
            return true;
        }
        let mut p = path;
        while let Some((parent, _)) = p.rsplit_once('/') {
            if self.opaque.contains(parent) || self.whiteouts.contains(parent) {
                return true;
            }
            p = parent;
        }
        false
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn is_opaque(fd: &OwnedFd) -> bool {
    let mut buf = [0u8; 8];
    OPAQUE_XATTRS.iter().any(|x| {
        rustix::fs::fgetxattr(fd, *x, &mut buf[..]).is_ok_and(|n| n >= 1 && buf[0] == b'y')
    })
}

/// Read the upper directory at `dir` (a host path from the mountinfo).
///
/// # Errors
/// When `dir` itself cannot be opened as a directory (without following a symlink).
pub fn read(dir: &Path) -> io::Result<Upper> {
    let root = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut up = Upper::default();
    let mut stack: Vec<(OwnedFd, String, usize)> = vec![(root, String::new(), 0)];
    let mut seen = 0usize;
    while let Some((fd, rel, depth)) = stack.pop() {
        let d = match Dir::read_from(&fd) {
            Ok(d) => d,
            Err(e) => {
                up.incomplete
                    .get_or_insert_with(|| format!("/{rel}: {}", io::Error::from(e)));
                continue;
            }
        };
        for ent in d {
            let Ok(ent) = ent else {
                up.incomplete
                    .get_or_insert_with(|| format!("/{rel}: unreadable directory entry"));
                break;
            };
            let name: &CStr = ent.file_name();
            let bytes = name.to_bytes();
            if bytes == b"." || bytes == b".." {
                continue;
            }
            seen += 1;
            if seen > MAX_ENTRIES {
                up.incomplete = Some(format!("more than {MAX_ENTRIES} entries"));
                return Ok(up);
            }
            let Ok(n) = std::str::from_utf8(bytes) else {
                up.incomplete
                    .get_or_insert_with(|| format!("/{rel}: a name that is not UTF-8"));
                continue;
            };
            let path = join(&rel, n);
            let Ok(st) = rustix::fs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW) else {
                continue; // gone since it was listed
            };
            match FileType::from_raw_mode(st.st_mode) {
                FileType::CharacterDevice if st.st_rdev == 0 => {
                    up.whiteouts.insert(path);
                }
                FileType::Directory => {
                    up.written.insert(path.clone());
                    if depth + 1 >= crate::live::MAX_DEPTH {
                        up.incomplete
                            .get_or_insert_with(|| format!("/{path}: nested too deep"));
                        continue;
                    }
                    match rustix::fs::openat(
                        &fd,
                        name,
                        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                        Mode::empty(),
                    ) {
                        Ok(sub) => {
                            if is_opaque(&sub) {
                                up.opaque.insert(path.clone());
                            }
                            stack.push((sub, path, depth + 1));
                        }
                        Err(e) => {
                            up.incomplete
                                .get_or_insert_with(|| format!("/{path}: {}", io::Error::from(e)));
                        }
                    }
                }
                _ => {
                    up.written.insert(path);
                }
            }
        }
    }
    Ok(up)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upperdir_from_super_options() {
        let o = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            upperdir_of("overlay", &o("rw,lowerdir=/l,upperdir=/var/u,workdir=/w")),
            Some("/var/u".into())
        );
        assert_eq!(upperdir_of("ext4", &o("rw,upperdir=/u")), None);
        assert_eq!(upperdir_of("overlay", &o("ro,lowerdir=/a:/b")), None);
        assert_eq!(upperdir_of("overlay", &o("upperdir=rel")), None);
        assert_eq!(upperdir_of("overlay", &o("upperdir=/a\\,b")), None);
    }

    #[test]
    fn reads_written_whiteouts_and_never_follows_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let u = d.path().join("upper");
        std::fs::create_dir_all(u.join("etc/deep")).unwrap();
        std::fs::write(u.join("etc/passwd"), "x").unwrap();
        std::os::unix::fs::symlink("/", u.join("etc/escape")).unwrap();
        std::os::unix::fs::symlink(d.path(), u.join("loop")).unwrap();
        let up = read(&u).unwrap();
        assert!(up.written.contains("etc/passwd"));
        assert!(up.written.contains("etc/deep"));
        assert!(up.written.contains("etc/escape"));
        assert!(up.written.contains("loop"));
        assert!(
            !up.written
                .iter()
                .any(|p| p.starts_with("loop/") || p.starts_with("etc/escape/")),
            "{:?}",
            up.written
        );
        assert!(up.holds("etc/passwd"));
        assert!(!up.holds("etc/shadow"));
        let mut up = up;
        up.opaque.insert("opt".into());
        up.whiteouts.insert("srv".into());
        assert!(up.holds("opt/a/b"));
        assert!(up.holds("srv/x"));
        // The upper directory itself must not be a symlink.
        std::os::unix::fs::symlink(&u, d.path().join("link")).unwrap();
        assert!(read(&d.path().join("link")).is_err());
    }
}
