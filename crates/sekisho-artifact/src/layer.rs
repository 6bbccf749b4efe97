//! The layered filesystem's data: where a layer came from ([`LayerInfo`]), what an entry is
//! ([`EntryMeta`], [`EntryKind`]), what was skipped ([`Note`]), and the [`LayerSource`] trait every
//! target implements (an image layer, a directory, a filesystem in a VM disk).

use std::io::{self, Read};

use serde::{Deserialize, Serialize};

use crate::path::PathError;
use crate::walk::{EndRun, StartRun};

/// Where a layer came from. For a root filesystem or a VM filesystem only `index` (0) and a
/// description are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Position in the image, 0 = bottom.
    pub index: usize,
    /// Digest of the (compressed) blob, as in the manifest.
    pub digest: Option<String>,
    /// Digest of the uncompressed tar, as in the image config's `rootfs.diff_ids`.
    pub diff_id: Option<String>,
    /// The history `created_by` line that made this layer, when known.
    pub created_by: Option<String>,
    /// Media type of the blob, when known.
    pub media_type: Option<String>,
    /// Compressed size in bytes, when known.
    pub size: Option<u64>,
    /// Free-form description for non-image sources, e.g. `rootfs /srv/root` or `partition 2 (ext4)`.
    pub description: Option<String>,
}

/// What kind of entry a layer holds at a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Dir,
    /// A symbolic link; `target` is the raw link text (resolve with [`Inventory::resolve`]).
    Symlink {
        target: String,
    },
    /// A hard link to another entry of the same layer; `target` is normalised.
    Hardlink {
        target: String,
    },
    CharDevice,
    BlockDevice,
    Fifo,
    /// An overlay/OCI whiteout: the path is deleted from lower layers (`.wh.NAME`).
    Whiteout,
    /// An opaque directory marker: the directory's lower-layer children are hidden (`.wh..wh..opq`).
    Opaque,
    Other,
}

/// Metadata of one entry in a layer. `path` is always normalised (see [`crate::path::normalize`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: i64,
    /// The `security.capability` extended attribute (file capabilities), hex-encoded, when the
    /// entry carries one (PAX `SCHILY.xattr.security.capability`, or read from a live tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
}

impl EntryMeta {
    /// A regular file with default metadata (handy for tests and synthetic layers).
    pub fn file(path: impl Into<String>, size: u64) -> Self {
        Self {
            path: path.into(),
            kind: EntryKind::File,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
            capability: None,
        }
    }

    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::File
    }

    /// True when any execute bit is set.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// Something that was skipped or not understood. Notes are carried all the way to the report:
/// we never silently return fewer results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The layer (index) the note is about, if any.
    pub layer: Option<usize>,
    /// The path (or digest) the note is about.
    pub subject: String,
    /// What happened, e.g. `skipped: device node`.
    pub message: String,
}

impl Note {
    pub fn new(
        layer: Option<usize>,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            layer,
            subject: subject.into(),
            message: message.into(),
        }
    }
}

/// Errors that stop a layer walk. Entry-level problems become [`Note`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("layer {layer}: {message}")]
    Layer { layer: String, message: String },
    #[error("layer {layer}: reading {path}: {source}")]
    Io {
        layer: String,
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("layer {layer}: bad path {path:?}: {source}")]
    Path {
        layer: String,
        path: String,
        #[source]
        source: PathError,
    },
    #[error("walk stopped: {0}")]
    Stopped(String),
    /// The caller cancelled the scan.
    #[error("cancelled")]
    Cancelled,
}

/// Callback for [`LayerSource::walk`]: gets each entry's metadata and, for regular files, a reader
/// over its content. It may leave the reader unread.
pub type Visitor<'a> = dyn FnMut(&EntryMeta, &mut dyn Read) -> io::Result<()> + 'a;

/// One layer that can be walked once, front to back.
pub trait LayerSource: Send {
    /// Where the layer came from.
    fn info(&self) -> &LayerInfo;
    /// Visit every entry in order. Paths handed to `visit` are already normalised; whiteout files
    /// are reported as [`EntryKind::Whiteout`] / [`EntryKind::Opaque`] on the path they affect.
    /// Problems with single entries are pushed to `notes` and the walk goes on.
    fn walk(&mut self, visit: &mut Visitor<'_>, notes: &mut Vec<Note>) -> Result<(), WalkError>;
    /// How many threads a walk of this layer runs at once (the caller's own included), so a
    /// scan can keep all of its layers within one thread budget.
    fn threads(&self) -> usize {
        1
    }
    /// Visit every entry with up to `threads` threads, when the source can (a directory tree,
    /// whose entries can be read in any order): each thread visits runs of consecutive entries
    /// through its own [`EntryRun`](crate::walk::EntryRun) from `start`, and every run is handed to `end` in walk order,
    /// so that the result is the one [`LayerSource::walk`] gives, entry for entry and note for
    /// note. Walk notes go to the run they belong to ([`EntryRun::note`](crate::walk::EntryRun::note)). Hard links are not
    /// resolved across runs, so a source that has them does not walk in parallel.
    ///
    /// `None` (the default): the source walks only front to back; use [`LayerSource::walk`].
    fn walk_parallel<'r>(
        &mut self,
        _threads: usize,
        _start: &StartRun<'r>,
        _end: &mut EndRun<'r>,
    ) -> Option<Result<(), WalkError>> {
        None
    }
}
