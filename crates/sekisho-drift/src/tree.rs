//! One tree model for both sides of the comparison: the image's expected tree and the
//! container's live tree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Other,
}

impl NodeKind {
    /// The word the reports use.
    pub fn word(self) -> &'static str {
        match self {
            Self::File => "regular file",
            Self::Dir => "directory",
            Self::Symlink => "symlink",
            Self::CharDevice => "character device",
            Self::BlockDevice => "block device",
            Self::Fifo => "FIFO",
            Self::Socket => "socket",
            Self::Other => "special file",
        }
    }
}

/// One path of a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub kind: NodeKind,
    /// Permission bits with setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Size of a regular file; `None` when unknown (a hard link whose target was replaced).
    pub size: Option<u64>,
    pub mtime: i64,
    /// A symlink's raw target.
    pub target: Option<String>,
    /// `security.capability`, hex-encoded.
    pub capability: Option<String>,
    /// `sha256:<hex>` of a regular file's content, when computed.
    pub digest: Option<String>,
    /// Whether a regular file starts with the ELF magic (live side only).
    pub elf: Option<bool>,
    /// A directory implied by an entry below it but never written by a layer: its metadata is
    /// unknown and not compared.
    pub implicit: bool,
}

impl Node {
    /// A node of `kind` with everything else unset.
    pub fn new(kind: NodeKind, mode: u32) -> Self {
        Self {
            kind,
            mode: mode & 0o7777,
            uid: 0,
            gid: 0,
            size: None,
            mtime: 0,
            target: None,
            capability: None,
            digest: None,
            elf: None,
            implicit: false,
        }
    }

    pub fn is_file(&self) -> bool {
        self.kind == NodeKind::File
    }

    /// Setuid or setgid bits.
    pub fn set_id_bits(&self) -> u32 {
        self.mode & 0o6000
    }
}

/// Path (normalised, no leading slash) → node. The root itself is not an entry.
pub type Tree = BTreeMap<String, Node>;

/// The proper ancestors of a normalised path, nearest last (`a`, `a/b` for `a/b/c`).
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// Whether `path` is `dir` or lies below it (`dir` empty is the root: everything).
pub fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// The short form of a digest for details (`1a2b3c4d5e6f`).
pub fn short_digest(d: &str) -> &str {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    &hex[..hex.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_and_ancestors() {
        assert!(is_under("tmp/x", "tmp") && is_under("tmp", "tmp") && is_under("a", ""));
        assert!(!is_under("tmpx", "tmp") && !is_under("tm", "tmp"));
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(short_digest("sha256:0123456789abcdef"), "0123456789ab");
    }
}
