//! Whiteout handling: which entries are deletions, and where an entry may land.
//!
//! OCI image spec, layer.md "Whiteouts": a file `.wh.NAME` deletes `NAME` (in the same directory)
//! from the layers below, and `.wh..wh..opq` makes its directory opaque (its lower-layer children
//! are hidden). Other `.wh..wh.` names are aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`) and not
//! part of the filesystem. Nothing but a directory may stand at the image root.
//!
//! Pure: decides from the normalised path and the kind, so every case is tested here without a
//! tar stream.

use crate::layer::EntryKind;
use crate::path;

/// What the walker does with a decoded entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Placement {
    /// An ordinary entry: hand it to the visitor as decoded.
    Keep,
    /// A whiteout or opaque marker: hand it to the visitor as `kind` on `path`, the path it
    /// affects.
    Marker { kind: EntryKind, path: String },
    /// The image root directory itself: nothing to report.
    Root,
    /// aufs bookkeeping: skipped without a note.
    Bookkeeping,
    /// It would replace the image root with something that is not a directory: skipped with a
    /// note.
    ReplacesRoot,
    /// A whiteout that names no file (`.wh..`, `.wh...`: `.` or `..` of its directory): skipped
    /// with this note, never turned into a path that climbs.
    Refused(String),
}

/// Where the entry at the normalised `path` lands.
pub(super) fn place(path: &str, kind: &EntryKind) -> Placement {
    let base = path::file_name(path);
    if let Some(rest) = base.strip_prefix(".wh.") {
        let dir = path::parent(path);
        if rest == ".wh..opq" {
            return at_root_or(
                dir,
                Placement::Marker {
                    kind: EntryKind::Opaque,
                    path: dir.to_string(),
                },
            );
        }
        if rest.starts_with(".wh.") || rest.is_empty() {
            return Placement::Bookkeeping;
        }
        if rest == "." || rest == ".." {
            return Placement::Refused(format!("whiteout names no file ({rest:?})"));
        }
        let target = if dir.is_empty() {
            rest.to_string()
        } else {
            format!("{dir}/{rest}")
        };
        return Placement::Marker {
            kind: EntryKind::Whiteout,
            path: target,
        };
    }
    if path.is_empty() {
        return if *kind == EntryKind::Dir {
            Placement::Root
        } else {
            Placement::ReplacesRoot
        };
    }
    Placement::Keep
}

/// A marker on the root directory would replace the root: only directories may stand there.
fn at_root_or(dir: &str, marker: Placement) -> Placement {
    if dir.is_empty() {
        Placement::ReplacesRoot
    } else {
        marker
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(kind: EntryKind, path: &str) -> Placement {
        Placement::Marker {
            kind,
            path: path.into(),
        }
    }

    #[test]
    fn whiteouts_name_the_path_they_delete() {
        let f = EntryKind::File;
        assert_eq!(place("a/b/.wh.c", &f), marker(EntryKind::Whiteout, "a/b/c"));
        assert_eq!(place(".wh.top", &f), marker(EntryKind::Whiteout, "top"));
        // The kind of the whiteout file itself does not matter.
        let link = EntryKind::Symlink { target: "x".into() };
        assert_eq!(place("d/.wh.x", &link), marker(EntryKind::Whiteout, "d/x"));
        // Names that merely contain the prefix are ordinary.
        assert_eq!(place("a/b.wh.c", &f), Placement::Keep);
        assert_eq!(place("a/.whc", &f), Placement::Keep);
        assert_eq!(place(".wh", &f), Placement::Keep);
    }

    #[test]
    fn whiteouts_never_climb() {
        let f = EntryKind::File;
        for (p, name) in [
            ("a/.wh..", "\".\""),
            ("a/.wh...", "\"..\""),
            (".wh...", "\"..\""),
        ] {
            assert_eq!(
                place(p, &f),
                Placement::Refused(format!("whiteout names no file ({name})")),
                "{p}"
            );
        }
        // Dots inside a name are fine.
        assert_eq!(place("a/.wh....", &f), marker(EntryKind::Whiteout, "a/..."));
        assert_eq!(place("a/.wh..x", &f), marker(EntryKind::Whiteout, "a/.x"));
    }

    #[test]
    fn opaque_markers_name_their_directory() {
        let f = EntryKind::File;
        assert_eq!(
            place("etc/ssl/.wh..wh..opq", &f),
            marker(EntryKind::Opaque, "etc/ssl")
        );
        // An opaque root would hide every layer below: only a directory may stand at the root.
        assert_eq!(place(".wh..wh..opq", &f), Placement::ReplacesRoot);
    }

    #[test]
    fn aufs_bookkeeping_is_not_part_of_the_filesystem() {
        let f = EntryKind::File;
        for p in [
            ".wh..wh.plnk",
            "x/.wh..wh.aufs",
            "x/.wh..wh.orph/y/.wh..wh.z",
            "x/.wh.",
        ] {
            assert_eq!(place(p, &f), Placement::Bookkeeping, "{p}");
        }
    }

    #[test]
    fn only_a_directory_may_stand_at_the_root() {
        assert_eq!(place("", &EntryKind::Dir), Placement::Root);
        for k in [
            EntryKind::File,
            EntryKind::Symlink { target: "/".into() },
            EntryKind::Hardlink { target: "x".into() },
            EntryKind::Fifo,
        ] {
            assert_eq!(place("", &k), Placement::ReplacesRoot, "{k:?}");
        }
        assert_eq!(place("usr", &EntryKind::Dir), Placement::Keep);
    }
}
