//! `/proc/<pid>/uid_map` and `gid_map`.
//!
//! Format: `user_namespaces(7)`, "User and group ID mappings": each line is
//! `ID-inside-ns ID-outside-ns length`, where the outside ID is relative to the user namespace of
//! the process that opens the file. The kernel accepts at most 340 lines (Linux 4.15+).

/// One mapping line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdRange {
    pub inside: u32,
    pub outside: u32,
    pub count: u32,
}

/// The kernel's own limit on lines in an ID map.
pub const MAX_RANGES: usize = 340;

/// Parse a map. Malformed lines are skipped; at most [`MAX_RANGES`] are kept.
pub fn parse(text: &str) -> Vec<IdRange> {
    text.lines()
        .take(super::MAX_LINES)
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let inside = it.next()?.parse().ok()?;
            let outside = it.next()?.parse().ok()?;
            let count = it.next()?.parse().ok()?;
            (it.next().is_none() && count > 0).then_some(IdRange {
                inside,
                outside,
                count,
            })
        })
        .take(MAX_RANGES)
        .collect()
}

/// The identity map of the initial user namespace: `0 0 4294967295`.
pub fn is_identity_full(map: &[IdRange]) -> bool {
    map.len() == 1 && map[0].inside == 0 && map[0].outside == 0 && map[0].count == u32::MAX
}

/// Where inside-ID 0 (root) maps to, if it is mapped at all.
pub fn root_maps_to(map: &[IdRange]) -> Option<u32> {
    map.iter().find(|r| r.inside == 0).map(|r| r.outside)
}

/// How many IDs the map covers (saturating).
pub fn covered(map: &[IdRange]) -> u64 {
    map.iter().map(|r| u64::from(r.count)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_rootless() {
        let m = parse("         0          0 4294967295\n");
        assert!(is_identity_full(&m));
        let m = parse("0 1000 1\n1 100000 65536\n");
        assert_eq!(m.len(), 2);
        assert_eq!(root_maps_to(&m), Some(1000));
        assert_eq!(covered(&m), 65537);
        assert!(parse("0 0\nx y z\n0 0 0\n").is_empty());
    }
}
