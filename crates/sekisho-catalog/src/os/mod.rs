//! OS detection and the OS package catalogers (dpkg, apk, rpm).
//!
//! These share a few helpers: purl building (<https://github.com/package-url/purl-spec>) and the
//! mapping from a detected [`crate::OsInfo`] to the purl `distro` qualifier and namespace.

pub mod apk;
pub mod dpkg;
pub mod release;
pub mod rpm;

use crate::model::OsInfo;

/// Percent-encode a purl component: everything but the purl spec's unreserved characters.
pub fn purl_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Build a purl: `pkg:TYPE/NAMESPACE/NAME@VERSION?k=v&…` (qualifiers sorted by key as the spec
/// requires; empty values dropped).
pub fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, Option<&str>)],
) -> String {
    let mut s = format!("pkg:{ty}/");
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        s.push_str(&purl_encode(ns));
        s.push('/');
    }
    s.push_str(&purl_encode(name));
    if !version.is_empty() {
        s.push('@');
        s.push_str(&purl_encode(version));
    }
    let mut q: Vec<(&str, &str)> = qualifiers
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    q.sort_unstable();
    for (i, (k, v)) in q.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        s.push('=');
        s.push_str(&purl_encode(v));
    }
    s
}

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
    fn purls_encode_and_sort() {
        assert_eq!(
            purl(
                "deb",
                Some("debian"),
                "libc6",
                "2.36-9+deb12u4",
                &[("distro", Some("debian-12")), ("arch", Some("amd64"))]
            ),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            purl("rpm", None, "a", "1:2", &[("epoch", None)]),
            "pkg:rpm/a@1%3A2"
        );
    }

    #[test]
    fn paragraph_split() {
        let p: Vec<Vec<&str>> = paragraphs("\n\na: 1\nb: 2\n\n\nc: 3\r\n").collect();
        assert_eq!(p, vec![vec!["a: 1", "b: 2"], vec!["c: 3"]]);
    }
}
