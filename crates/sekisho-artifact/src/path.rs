//! Safe path handling for entries that come from hostile archives and filesystems.
//!
//! Every path inside a layer is normalised to a relative, `/`-separated form with no `.`/`..`
//! components, no leading `/` and no empty segments: `./usr//lib/../bin/sh` becomes `usr/bin/sh`.
//! `..` never climbs above the root (as in a chroot): `../../etc/passwd` becomes `etc/passwd`.

use thiserror::Error;

/// Longest path we accept (bytes), well above Linux's PATH_MAX of 4096.
pub const MAX_PATH_LEN: usize = 16 * 1024;
/// Deepest directory nesting we accept.
pub const MAX_DEPTH: usize = 512;

/// Why a path from an archive or filesystem was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PathError {
    #[error("path is {len} bytes long (limit {MAX_PATH_LEN})")]
    TooLong { len: usize },
    #[error("path is {depth} levels deep (limit {MAX_DEPTH})")]
    TooDeep { depth: usize },
    #[error("path contains a NUL byte")]
    Nul,
}

/// Normalise `raw` as if it were resolved inside a chroot. The empty string is the root.
pub fn normalize(raw: &str) -> Result<String, PathError> {
    if raw.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong { len: raw.len() });
    }
    if raw.contains('\0') {
        return Err(PathError::Nul);
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in raw.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    if parts.len() > MAX_DEPTH {
        return Err(PathError::TooDeep { depth: parts.len() });
    }
    Ok(parts.join("/"))
}

/// The parent directory of a normalised path (`""` for top-level entries).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// The last component of a normalised path.
pub fn file_name(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

/// Join a normalised directory and a (possibly relative or absolute) link target, resolving inside
/// the root. An absolute target restarts at the root, as in a chroot.
pub fn join_in_root(dir: &str, target: &str) -> Result<String, PathError> {
    if target.starts_with('/') || dir.is_empty() {
        normalize(target)
    } else {
        normalize(&format!("{dir}/{target}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_a_chroot() {
        assert_eq!(normalize("./usr//lib/../bin/sh").unwrap(), "usr/bin/sh");
        assert_eq!(normalize("/etc/passwd").unwrap(), "etc/passwd");
        assert_eq!(normalize("../../etc/shadow").unwrap(), "etc/shadow");
        assert_eq!(normalize("a/b/../../..").unwrap(), "");
        assert_eq!(normalize("").unwrap(), "");
        assert!(matches!(normalize("a\0b"), Err(PathError::Nul)));
        assert!(matches!(
            normalize(&"a/".repeat(MAX_DEPTH + 1)),
            Err(PathError::TooDeep { .. })
        ));
        assert!(matches!(
            normalize(&"x".repeat(MAX_PATH_LEN + 1)),
            Err(PathError::TooLong { .. })
        ));
    }

    #[test]
    fn link_targets_stay_inside() {
        assert_eq!(
            join_in_root("etc", "../usr/lib/os-release").unwrap(),
            "usr/lib/os-release"
        );
        assert_eq!(join_in_root("etc", "/../../../root").unwrap(), "root");
        assert_eq!(join_in_root("", "x").unwrap(), "x");
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(parent("a"), "");
        assert_eq!(file_name("a/b/c"), "c");
    }
}
