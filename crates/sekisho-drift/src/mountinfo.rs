//! How the container's mounts and user-namespace id maps reach the walk. Parsing
//! `/proc/PID/mountinfo` and `uid_map`/`gid_map` is `sekisho-audit`'s (`parse::mountinfo`,
//! `parse::idmap`, fuzzed there); this module holds what the walk needs of them.
//!
//! Every mount but the root is listed as not covered: a volume, a bind mount, a secret,
//! `/etc/hosts`, `resolv.conf` and `hostname` are not part of the image, so they are neither
//! drift nor checked.

use serde::{Deserialize, Serialize};

/// One mount inside the container's root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// The mount point relative to the container's root, normalised (`etc/hosts`).
    pub path: String,
    pub fstype: String,
    pub source: String,
}

/// One line of a uid_map or gid_map: `inside outside count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub inside: u64,
    pub outside: u64,
    pub count: u64,
}

/// An owner as seen from the host, mapped to the container's view (unmapped ids stay).
pub fn map_to_inside(map: &[IdRange], host: u64) -> u64 {
    for r in map {
        if host >= r.outside && host - r.outside < r.count {
            return r.inside + (host - r.outside);
        }
    }
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_maps() {
        let m = [IdRange {
            inside: 0,
            outside: 100_000,
            count: 65_536,
        }];
        assert_eq!(map_to_inside(&m, 100_033), 33);
        assert_eq!(map_to_inside(&m, 5), 5);
        assert_eq!(map_to_inside(&m, 165_536), 165_536);
    }
}
