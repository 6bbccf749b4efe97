//! The layered filesystem's data: where a layer came from ([`LayerInfo`]), what an entry is
//! ([`EntryMeta`], [`EntryKind`]), what was skipped ([`Note`]), and the [`LayerSource`] trait every
//! target implements (an image layer, a directory, a filesystem in a VM disk).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};

use serde::{Deserialize, Serialize};

use crate::path::PathError;

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
pub type Visitor<'a> = dyn FnMut(&EntryMeta, &mut dyn EntryRead) -> io::Result<()> + 'a;

/// An entry's content as a source hands it to the walk: a stream read front to back, and, where
/// the source can read at any offset (a file of a directory tree), random access to the same
/// bytes, so a capture that needs a few ranges of a large file (an executable's section headers
/// and two sections) reads those instead of the whole file.
pub trait EntryRead: Read {
    /// Random access to the entry's bytes, when the source has it. Reading through it does not
    /// move the stream.
    ///
    /// # Errors
    /// Opening the entry failed (as a first `read` would).
    fn random_access(&mut self) -> io::Result<Option<&dyn ReadAt>> {
        Ok(None)
    }
}

/// Positioned reads of one entry's bytes (see [`EntryRead::random_access`]).
pub trait ReadAt {
    /// Fill `buf` from byte `offset`; an `UnexpectedEof` error when the entry ends first.
    ///
    /// # Errors
    /// Reading failed or the entry is shorter than `offset + buf.len()`.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

impl ReadAt for std::fs::File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
}

impl ReadAt for &[u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let src = usize::try_from(offset)
            .ok()
            .and_then(|o| self.get(o..o.checked_add(buf.len())?))
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// Streams without random access.
impl EntryRead for io::Empty {}
impl EntryRead for &[u8] {}

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
    /// through its own [`EntryRun`] from `start`, and every run is handed to `end` in walk order,
    /// so that the result is the one [`LayerSource::walk`] gives, entry for entry and note for
    /// note. Walk notes go to the run they belong to ([`EntryRun::note`]). Hard links are not
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

/// One kept version of one wanted file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    /// The id of the capture (`walk::Capture::id`) that kept it.
    pub capture: String,
    /// Metadata of the entry (normalised path).
    pub meta: EntryMeta,
    /// Layer index that wrote this version.
    pub layer: usize,
    /// What the capture kept.
    pub data: Vec<u8>,
}

/// Whether (and how) a walk keeps a per-entry index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum IndexMode {
    /// No index.
    #[default]
    Off,
    /// Path, type, mode, owner, size, mtime and link target of every entry.
    Meta,
    /// As `Meta`, plus the SHA-256 of every regular file's content.
    Digest,
}

impl IndexMode {
    /// The cache part that holds this index.
    pub(crate) fn part_id(self) -> Option<&'static str> {
        match self {
            Self::Off => None,
            Self::Meta => Some("index-meta"),
            Self::Digest => Some("index-digest"),
        }
    }
}

/// One entry of a layer's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub meta: EntryMeta,
    /// `sha256:<hex>` of a regular file's content, with [`IndexMode::Digest`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// The result of walking one layer: plain data, cacheable by diff_id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerResult {
    pub info: LayerInfo,
    pub captured: Vec<Captured>,
    /// Paths deleted by whiteouts in this layer.
    pub whiteouts: BTreeSet<String>,
    /// Directories made opaque in this layer.
    pub opaques: BTreeSet<String>,
    /// Every symlink in this layer: path → raw target.
    pub symlinks: BTreeMap<String, String>,
    /// Every path the layer writes (any kind but whiteouts), with whether it is a directory;
    /// recorded only when a capture tracks history (`walk::Capture::tracks_history`): with it, a captured version
    /// replaced by an entry no capture wanted (an empty file, a directory) is still known to be
    /// replaced.
    pub written: BTreeMap<String, bool>,
    /// The per-entry index, when asked for (see [`IndexMode`]).
    pub index: Vec<IndexEntry>,
    /// Number of entries in the layer.
    pub entries: u64,
    /// Bytes of regular-file content in the layer.
    pub bytes: u64,
    /// What was skipped or not understood by the walk itself.
    pub notes: Vec<Note>,
    /// What the captures skipped or did not understand, in entry order (cached with each
    /// capture's part).
    pub capture_notes: Vec<CaptureNote>,
}

/// A note a capture made about one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureNote {
    /// The capture's id.
    pub capture: String,
    /// The entry's position in the layer (0-based), so notes of parts cached separately come
    /// back in walk order.
    pub seq: u64,
    pub note: Note,
}

impl LayerResult {
    /// Every note: the walk's, then the captures', in entry order.
    pub fn all_notes(&self) -> impl Iterator<Item = &Note> {
        self.notes
            .iter()
            .chain(self.capture_notes.iter().map(|n| &n.note))
    }
}

/// One run of consecutive entries of a parallel walk (a slice of one directory's entries, in
/// walk order), visited on one thread. The walker makes them ([`StartRun`]) and takes them back in
/// walk order ([`EndRun`]); see [`LayerSource::walk_parallel`].
pub trait EntryRun: Send {
    /// Visit one entry, as a [`crate::Visitor`] does.
    ///
    /// # Errors
    /// As the visitor's: the source turns it into a note or stops the walk.
    fn visit(&mut self, meta: &EntryMeta, r: &mut dyn EntryRead) -> io::Result<()>;
    /// A note of the walk itself (an unreadable directory, a mount point not descended), in walk
    /// order among this run's entries.
    fn note(&mut self, note: Note);
    /// What the run found, for the walker to merge.
    fn finish(self: Box<Self>) -> LayerResult;
}

/// Makes a fresh [`EntryRun`]; called from the walking threads.
pub type StartRun<'a> = dyn Fn() -> Box<dyn EntryRun + 'a> + Sync + 'a;
/// Takes each finished [`EntryRun`] back, in walk order (the order a one-thread walk visits
/// their entries in); called on the thread that started the walk.
pub type EndRun<'a> = dyn FnMut(Box<dyn EntryRun + 'a>) + 'a;
