//! The targets of `/proc/<pid>/ns/<type>` symlinks: `mnt:[4026531832]`.
//!
//! Format: `namespaces(7)`, "The /proc/pid/ns/ directory": the link target is the namespace type
//! followed by the nsfs inode number in brackets.

/// Parse `type:[inode]`, returning the type and the inode.
pub fn parse_link(target: &str) -> Option<(&str, u64)> {
    let (kind, rest) = target.trim().split_once(':')?;
    let inode = rest.strip_prefix('[')?.strip_suffix(']')?;
    Some((kind, inode.parse().ok()?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn links() {
        assert_eq!(
            super::parse_link("mnt:[4026531832]"),
            Some(("mnt", 4026531832))
        );
        assert_eq!(super::parse_link("mnt:4026531832"), None);
        assert_eq!(super::parse_link("pid:[x]"), None);
    }
}
