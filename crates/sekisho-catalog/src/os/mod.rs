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

/// The text of a stanza-based package database (`format` names it in errors), refused when over
/// [`MAX_DB_TEXT`] or binary (a NUL byte); invalid UTF-8 is replaced, not refused.
pub(crate) fn db_text<'a>(
    path: &str,
    format: &'static str,
    data: &'a [u8],
) -> Result<std::borrow::Cow<'a, str>, crate::CatalogError> {
    if data.len() > MAX_DB_TEXT {
        return Err(crate::CatalogError::Limit {
            path: path.into(),
            format,
            message: format!("{} bytes", data.len()),
        });
    }
    if data.contains(&0) {
        return Err(crate::CatalogError::format(
            path,
            format,
            "contains NUL bytes (binary data)",
        ));
    }
    Ok(String::from_utf8_lossy(data))
}

/// Whether a database already holds [`MAX_PACKAGES`] records (`n`); if so the rest is skipped
/// with a message in `problems`.
pub(crate) fn package_cap_reached(n: usize, problems: &mut Vec<String>) -> bool {
    if n < MAX_PACKAGES {
        return false;
    }
    problems.push(format!("more than {MAX_PACKAGES} packages; rest skipped"));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraph_split() {
        let p: Vec<Vec<&str>> = paragraphs("\n\na: 1\nb: 2\n\n\nc: 3\r\n").collect();
        assert_eq!(p, vec![vec!["a: 1", "b: 2"], vec!["c: 3"]]);
    }

    #[test]
    fn database_text_and_package_cap() {
        assert_eq!(
            db_text("s", "dpkg status file", b"Package: a\n").unwrap(),
            "Package: a\n"
        );
        let e = db_text("var/lib/dpkg/status", "dpkg status file", b"a\0b").unwrap_err();
        assert!(e.to_string().contains("var/lib/dpkg/status"), "{e}");
        assert!(e.to_string().contains("NUL"), "{e}");
        assert_eq!(db_text("s", "f", b"caf\xe9").unwrap(), "caf\u{fffd}");
        let mut problems = Vec::new();
        assert!(!package_cap_reached(MAX_PACKAGES - 1, &mut problems));
        assert!(problems.is_empty());
        assert!(package_cap_reached(MAX_PACKAGES, &mut problems));
        assert_eq!(
            problems,
            [format!("more than {MAX_PACKAGES} packages; rest skipped")]
        );
    }
}
