//! A plain root filesystem on the local disk (`sekisho rootfs DIR`), seen as a single layer.
//!
//! Symlinks are reported, never followed, so nothing outside `DIR` is read. Files are opened one at
//! a time, only when a capture wants them.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::layer::{EntryKind, EntryMeta, LayerInfo, LayerSource, Note, Visitor, WalkError};
use crate::path::MAX_DEPTH;

/// A directory tree walked as one layer.
pub struct DirLayer {
    root: PathBuf,
    info: LayerInfo,
}

impl DirLayer {
    /// A layer over `root`. Fails if `root` is not a directory.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, WalkError> {
        let root = root.into();
        let md = fs::metadata(&root).map_err(|e| WalkError::Io {
            layer: root.display().to_string(),
            path: root.display().to_string(),
            source: e,
        })?;
        if !md.is_dir() {
            return Err(WalkError::Layer {
                layer: root.display().to_string(),
                message: "not a directory".into(),
            });
        }
        let info = LayerInfo {
            index: 0,
            description: Some(format!("rootfs {}", root.display())),
            ..LayerInfo::default()
        };
        Ok(Self { root, info })
    }

    fn meta_of(rel: &str, md: &fs::Metadata, full: &Path) -> EntryMeta {
        let ft = md.file_type();
        let kind = if ft.is_file() {
            EntryKind::File
        } else if ft.is_dir() {
            EntryKind::Dir
        } else if ft.is_symlink() {
            match fs::read_link(full) {
                Ok(t) => EntryKind::Symlink {
                    target: t.to_string_lossy().into_owned(),
                },
                Err(_) => EntryKind::Other,
            }
        } else if ft.is_char_device() {
            EntryKind::CharDevice
        } else if ft.is_block_device() {
            EntryKind::BlockDevice
        } else if ft.is_fifo() {
            EntryKind::Fifo
        } else {
            EntryKind::Other
        };
        EntryMeta {
            path: rel.to_string(),
            kind,
            size: if ft.is_file() { md.len() } else { 0 },
            mode: md.mode() & 0o7777,
            uid: u64::from(md.uid()),
            gid: u64::from(md.gid()),
            mtime: md.mtime(),
            capability: None,
        }
    }
}

impl LayerSource for DirLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }

    fn walk(&mut self, visit: &mut Visitor<'_>, notes: &mut Vec<Note>) -> Result<(), WalkError> {
        let layer = self.root.display().to_string();
        // Stay on the root's filesystem (like `tar --one-file-system`), so `sekisho rootfs /`
        // never wanders into /proc, /sys, /dev or other mounts; each skipped mount is a note.
        let root_dev = fs::metadata(&self.root).map(|m| m.dev()).ok();
        // Depth-first, sorted, so results are deterministic.
        let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
        while let Some((dir_rel, depth)) = stack.pop() {
            let dir_full = if dir_rel.is_empty() {
                self.root.clone()
            } else {
                self.root.join(&dir_rel)
            };
            let rd = match fs::read_dir(&dir_full) {
                Ok(rd) => rd,
                Err(e) => {
                    notes.push(Note::new(
                        Some(0),
                        dir_rel.clone(),
                        format!("skipped: cannot read directory: {e}"),
                    ));
                    continue;
                }
            };
            let mut names: Vec<_> = rd.filter_map(Result::ok).map(|e| e.file_name()).collect();
            names.sort();
            let mut subdirs = Vec::new();
            for name in names {
                let Some(name) = name.to_str().map(str::to_string) else {
                    notes.push(Note::new(
                        Some(0),
                        format!("{dir_rel}/{}", name.to_string_lossy()),
                        "skipped: file name is not UTF-8",
                    ));
                    continue;
                };
                let rel = if dir_rel.is_empty() {
                    name.clone()
                } else {
                    format!("{dir_rel}/{name}")
                };
                let full = self.root.join(&rel);
                let md = match fs::symlink_metadata(&full) {
                    Ok(md) => md,
                    Err(e) => {
                        notes.push(Note::new(Some(0), rel, format!("skipped: {e}")));
                        continue;
                    }
                };
                let meta = Self::meta_of(&rel, &md, &full);
                let res = if meta.kind == EntryKind::File {
                    // Open lazily: only read if the visitor reads.
                    let mut lazy = LazyFile {
                        path: &full,
                        file: None,
                    };
                    visit(&meta, &mut lazy)
                } else {
                    visit(&meta, &mut io::empty())
                };
                if let Err(e) = res {
                    if e.kind() == io::ErrorKind::PermissionDenied
                        || e.kind() == io::ErrorKind::NotFound
                    {
                        notes.push(Note::new(Some(0), rel.clone(), format!("skipped: {e}")));
                    } else {
                        return Err(WalkError::Io {
                            layer: layer.clone(),
                            path: rel,
                            source: e,
                        });
                    }
                }
                if meta.kind == EntryKind::Dir {
                    if root_dev.is_some_and(|d| d != md.dev()) {
                        notes.push(Note::new(
                            Some(0),
                            rel,
                            "skipped: mount point of another filesystem (not descended)",
                        ));
                    } else if depth + 1 >= MAX_DEPTH {
                        notes.push(Note::new(
                            Some(0),
                            rel,
                            format!("skipped: deeper than {MAX_DEPTH} levels"),
                        ));
                    } else {
                        subdirs.push((rel, depth + 1));
                    }
                }
            }
            subdirs.reverse();
            stack.extend(subdirs);
        }
        Ok(())
    }
}

/// Opens the file on first read.
struct LazyFile<'a> {
    path: &'a Path,
    file: Option<fs::File>,
}

impl io::Read for LazyFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.file.is_none() {
            self.file = Some(fs::File::open(self.path)?);
        }
        self.file.as_mut().expect("opened").read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Capture, collect};

    struct All;
    impl Capture for All {
        fn id(&self) -> &'static str {
            "all"
        }
        fn wants(&self, meta: &EntryMeta) -> bool {
            meta.is_file()
        }
    }

    #[test]
    fn walks_without_following_symlinks_out() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "no").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(root.path().join("etc/os-release"), "ID=debian\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
        let inv = collect(
            vec![Box::new(DirLayer::new(root.path()).unwrap())],
            &[&All],
            1,
        )
        .unwrap();
        let paths: Vec<&str> = inv.visible("all").map(|c| c.meta.path.as_str()).collect();
        assert_eq!(paths, vec!["etc/os-release"]);
        // The symlink is known, and resolves inside the root, never to the real /tmp.
        let escape = outside
            .path()
            .to_string_lossy()
            .trim_start_matches('/')
            .to_string();
        assert_eq!(
            inv.resolve("escape/secret").unwrap(),
            format!("{escape}/secret")
        );
        assert!(inv.get("all", "escape/secret").is_none());
    }
}
