//! A filesystem inside a disk, walked as one [`LayerSource`].

use std::collections::HashSet;
use std::io::{self, Read};
use std::sync::Arc;

use sekisho_artifact::path::MAX_DEPTH;
use sekisho_artifact::{EntryKind, EntryMeta, LayerInfo, LayerSource, Note, WalkError};

use crate::fsread::{FsRead, Node, NodeKind};

/// Most entries one filesystem walk reports.
pub const MAX_ENTRIES: u64 = 20_000_000;

/// One filesystem of a VM disk as a layer. Symlinks are reported with their raw targets; the
/// artifact `Inventory` resolves them inside this filesystem's root.
pub struct FsLayer {
    fs: Arc<dyn FsRead>,
    info: LayerInfo,
}

impl FsLayer {
    pub fn new(fs: Arc<dyn FsRead>, description: impl Into<String>) -> Self {
        Self {
            fs,
            info: LayerInfo {
                index: 0,
                description: Some(description.into()),
                ..LayerInfo::default()
            },
        }
    }
}

struct Lazy<'a> {
    fs: &'a dyn FsRead,
    node: &'a Node,
    inner: Option<Box<dyn Read + Send + 'a>>,
}

impl Read for Lazy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inner.is_none() {
            self.inner = Some(self.fs.open(self.node)?);
        }
        match self.inner.as_mut() {
            Some(r) => r.read(buf),
            None => Ok(0),
        }
    }
}

/// Files of a disk's filesystems are read as streams.
impl sekisho_artifact::EntryRead for Lazy<'_> {}

fn kind_of(fs: &dyn FsRead, n: &Node) -> io::Result<EntryKind> {
    Ok(match n.kind {
        NodeKind::File => EntryKind::File,
        NodeKind::Dir => EntryKind::Dir,
        NodeKind::Symlink => {
            let t = fs.read_link(n)?;
            match String::from_utf8(t) {
                Ok(s) => EntryKind::Symlink { target: s },
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "symlink target is not UTF-8",
                    ));
                }
            }
        }
        NodeKind::CharDevice => EntryKind::CharDevice,
        NodeKind::BlockDevice => EntryKind::BlockDevice,
        NodeKind::Fifo => EntryKind::Fifo,
        NodeKind::Socket | NodeKind::Unknown => EntryKind::Other,
    })
}

impl LayerSource for FsLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }

    fn walk(
        &mut self,
        visit: &mut sekisho_artifact::Visitor<'_>,
        notes: &mut Vec<Note>,
    ) -> Result<(), WalkError> {
        let layer = self.info.description.clone().unwrap_or_default();
        let fs = self.fs.as_ref();
        let root = fs.root_ino();
        let root_node = fs.node(root).map_err(|e| WalkError::Layer {
            layer: layer.clone(),
            message: format!("cannot read the root directory: {e}"),
        })?;
        if root_node.kind != NodeKind::Dir {
            return Err(WalkError::Layer {
                layer,
                message: "root inode is not a directory".into(),
            });
        }
        let mut visited: HashSet<u64> = HashSet::from([root]);
        let mut stack: Vec<(String, Node, usize)> = vec![(String::new(), root_node, 0)];
        let mut count = 0u64;
        while let Some((dir, node, depth)) = stack.pop() {
            let mut ents = match fs.read_dir(&node) {
                Ok(e) => e,
                Err(e) => {
                    notes.push(Note::new(
                        Some(0),
                        dir.clone(),
                        format!("skipped: cannot read directory: {e}"),
                    ));
                    continue;
                }
            };
            ents.sort();
            let mut subdirs = Vec::new();
            for (name, ino) in ents {
                count += 1;
                if count > MAX_ENTRIES {
                    notes.push(Note::new(
                        Some(0),
                        dir.clone(),
                        format!("skipped: walk stopped after {MAX_ENTRIES} entries"),
                    ));
                    return Ok(());
                }
                let Ok(name) = String::from_utf8(name) else {
                    notes.push(Note::new(
                        Some(0),
                        dir.clone(),
                        "skipped: an entry name is not UTF-8",
                    ));
                    continue;
                };
                if name.contains('/') || name.contains('\0') || name == "." || name == ".." {
                    notes.push(Note::new(
                        Some(0),
                        dir.clone(),
                        format!("skipped: invalid entry name {name:?}"),
                    ));
                    continue;
                }
                let path = if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                };
                let n = match fs.node(ino) {
                    Ok(n) => n,
                    Err(e) => {
                        notes.push(Note::new(Some(0), path, format!("skipped: {e}")));
                        continue;
                    }
                };
                let kind = match kind_of(fs, &n) {
                    Ok(k) => k,
                    Err(e) => {
                        notes.push(Note::new(Some(0), path, format!("skipped: {e}")));
                        continue;
                    }
                };
                let meta = EntryMeta {
                    path: path.clone(),
                    kind,
                    size: if n.kind == NodeKind::File { n.size } else { 0 },
                    mode: n.mode,
                    uid: n.uid,
                    gid: n.gid,
                    mtime: n.mtime,
                    capability: None,
                };
                let res = if n.kind == NodeKind::File {
                    let mut lazy = Lazy {
                        fs,
                        node: &n,
                        inner: None,
                    };
                    visit(&meta, &mut lazy)
                } else {
                    visit(&meta, &mut io::empty())
                };
                if let Err(e) = res {
                    match e.kind() {
                        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                            notes.push(Note::new(Some(0), path.clone(), format!("skipped: {e}")));
                        }
                        _ => {
                            return Err(WalkError::Io {
                                layer,
                                path,
                                source: e,
                            });
                        }
                    }
                }
                if n.kind == NodeKind::Dir {
                    if !visited.insert(ino) {
                        notes.push(Note::new(Some(0), path, format!("skipped: directory inode {ino} was already visited (a directory cycle)")));
                    } else if depth + 1 >= MAX_DEPTH {
                        notes.push(Note::new(
                            Some(0),
                            path,
                            format!("skipped: deeper than {MAX_DEPTH} levels"),
                        ));
                    } else {
                        subdirs.push((path, n, depth + 1));
                    }
                }
            }
            subdirs.reverse();
            stack.extend(subdirs);
        }
        Ok(())
    }
}
