//! OS detection and the OS package catalogers (dpkg, apk, rpm).
//!
//! These share a few helpers: the mapping from a detected [`crate::OsInfo`] to the purl `distro`
//! qualifier and namespace ([`crate::purl`] builds the purls), and RFC 822 paragraphs.

pub mod apk;
pub mod dpkg;
pub mod release;
pub mod rpm;

use crate::model::OsInfo;

/// The purl `distro` qualifier for an OS: `debian-12`, `alpine-3.19.1`, `rocky-9.3`.
pub fn distro_qualifier(os: Option<&OsInfo>) -> Option<String> {
    let os = os?;
    match &os.version_id {
        Some(v) => Some(format!("{}-{}", os.id, v)),
        None => Some(os.id.clone()),
    }
}

/// The ecosystem to put on an OS package: the OS's OSV ecosystem when it belongs to the package
/// family (a dpkg package on Debian), else `None`.
pub(crate) fn os_ecosystem(os: Option<&OsInfo>) -> Option<String> {
    os.and_then(|o| o.osv_ecosystem.clone())
}

/// Split text into RFC 822-style paragraphs (dpkg status, apk installed use blank-line
/// separated stanzas). Lines keep their order; `\r` is stripped.
pub(crate) fn paragraphs(text: &str) -> impl Iterator<Item = Vec<&str>> {
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    std::iter::from_fn(move || {
        let mut para = Vec::new();
        for l in lines.by_ref() {
            if l.trim().is_empty() {
                if para.is_empty() {
                    continue;
                }
                return Some(para);
            }
            para.push(l);
        }
        if para.is_empty() { None } else { Some(para) }
    })
}

/// Longest text a package database may hold (bytes); larger inputs are refused with a note.
pub const MAX_DB_TEXT: usize = 256 << 20;
/// Most packages one database may hold.
pub const MAX_PACKAGES: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraph_split() {
        let p: Vec<Vec<&str>> = paragraphs("\n\na: 1\nb: 2\n\n\nc: 3\r\n").collect();
        assert_eq!(p, vec![vec!["a: 1", "b: 2"], vec!["c: 3"]]);
    }
}
