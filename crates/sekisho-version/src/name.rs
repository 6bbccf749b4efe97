//! Package-name normalisation per ecosystem, shared by the catalogers (purls), the matcher
//! (lookup keys) and the vulnerability DB (stored keys). One implementation, so a stored record
//! and a looked-up package can never disagree on how a name is spelled.

use crate::ecosystem::{Ecosystem, EcosystemName};

/// PEP 503 normalised name (<https://peps.python.org/pep-0503/#normalized-names>): lowercase,
/// runs of `-`, `_` and `.` become one `-`; surrounding whitespace is dropped.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Normalise a package name of the OSV ecosystem `eco_name` (with or without a release): PEP 503
/// for PyPI, `group:artifact` for Maven, module paths for Go, case-folding where the ecosystem is
/// case-insensitive. Unknown ecosystems keep the (trimmed) name.
pub fn normalize(eco_name: &str, name: &str) -> String {
    let name = name.trim();
    let Ok(n) = EcosystemName::parse(eco_name) else {
        return name.to_string();
    };
    match n.ecosystem {
        Ecosystem::PyPI => pep503(name),
        Ecosystem::CratesIo => name.to_ascii_lowercase().replace('_', "-"),
        Ecosystem::Go => {
            let s = name
                .strip_prefix("https://")
                .or_else(|| name.strip_prefix("http://"))
                .unwrap_or(name);
            s.trim_end_matches('/').to_string()
        }
        Ecosystem::Maven => {
            let s = if name.contains(':') {
                name.to_string()
            } else {
                name.replacen('/', ":", 1)
            };
            s.to_ascii_lowercase()
        }
        Ecosystem::Npm
        | Ecosystem::NuGet
        | Ecosystem::Packagist
        | Ecosystem::Debian
        | Ecosystem::Ubuntu
        | Ecosystem::Alpine
        | Ecosystem::Wolfi
        | Ecosystem::Chainguard => name.to_ascii_lowercase(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pep503("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(pep503(" Flask "), "flask");
        assert_eq!(pep503("_leading"), "leading");
        assert_eq!(normalize("PyPI", "Foo_Bar"), "foo-bar");
        assert_eq!(normalize("crates.io", "Serde_JSON"), "serde-json");
        assert_eq!(
            normalize("Go", "https://golang.org/x/text/"),
            "golang.org/x/text"
        );
        assert_eq!(normalize("Maven", "org.Apache/Log4j"), "org.apache:log4j");
        assert_eq!(normalize("Debian:12", "LibC6"), "libc6");
        assert_eq!(normalize("Nonesuch", " x "), "x");
    }
}
