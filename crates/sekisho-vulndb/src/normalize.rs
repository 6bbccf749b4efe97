//! Ecosystem, release and package-name normalisation, applied identically when records are
//! stored and when packages are looked up, so that `Ubuntu:22.04` finds `Ubuntu:22.04:LTS`
//! records, `Debian:bookworm` finds `Debian:12`, `Alpine:3.19.1` finds `Alpine:v3.19`, and the
//! PyPI name `Foo_Bar` finds `foo-bar` (PEP 503).

use sekisho_version::{Ecosystem, EcosystemName};

/// A normalised lookup key: canonical ecosystem name (OSV spelling, or the raw base name for
/// ecosystems sekisho does not know), normalised release (`""` when none), normalised package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub ecosystem: String,
    pub release: String,
    pub name: String,
}

/// Split and normalise an OSV ecosystem string (`Debian:12`, `Ubuntu:Pro:18.04:LTS`,
/// `Alpine:v3.19`, `PyPI`) into (canonical ecosystem, normalised release).
pub fn ecosystem(raw: &str) -> (String, String) {
    match EcosystemName::parse(raw) {
        Ok(n) => {
            let rel = n
                .release
                .as_deref()
                .map(|r| release(n.ecosystem, r))
                .unwrap_or_default();
            (n.ecosystem.osv_name().to_string(), rel)
        }
        Err(_) => {
            let raw = raw.trim();
            match raw.split_once(':') {
                Some((b, r)) => (b.to_string(), r.to_string()),
                None => (raw.to_string(), String::new()),
            }
        }
    }
}

/// Debian release codenames → numeric versions (as distro-info has them).
pub const DEBIAN_CODENAMES: &[(&str, &str)] = &[
    ("buzz", "1.1"),
    ("hamm", "2.0"),
    ("potato", "2.2"),
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4"),
    ("lenny", "5"),
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
];

const UBUNTU_CODENAMES: &[(&str, &str)] = &[
    ("trusty", "14.04"),
    ("xenial", "16.04"),
    ("bionic", "18.04"),
    ("focal", "20.04"),
    ("jammy", "22.04"),
    ("mantic", "23.10"),
    ("noble", "24.04"),
    ("oracular", "24.10"),
    ("plucky", "25.04"),
    ("questing", "25.10"),
];

/// The numeric Debian release for a codename (`bookworm` → `12`).
pub fn debian_release_number(codename: &str) -> Option<&'static str> {
    DEBIAN_CODENAMES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(codename))
        .map(|(_, n)| *n)
}

fn major(r: &str) -> String {
    r.split('.').next().unwrap_or(r).to_string()
}

/// Normalise a release string of `eco`.
pub fn release(eco: Ecosystem, r: &str) -> String {
    let r = r.trim();
    match eco {
        Ecosystem::Debian => {
            let l = r.to_ascii_lowercase();
            if let Some(n) = debian_release_number(&l) {
                return n.to_string();
            }
            match l.as_str() {
                "unstable" | "sid" => "sid".into(),
                _ if l.starts_with(|c: char| c.is_ascii_digit()) => {
                    let m = major(&l);
                    // Debian 1.x–3.x releases keep their minor; later ones are majors only.
                    if m.parse::<u32>().is_ok_and(|n| n >= 4) {
                        m
                    } else {
                        l
                    }
                }
                _ => l,
            }
        }
        Ecosystem::Ubuntu => {
            let mut parts: Vec<&str> = r.split(':').collect();
            if parts.last().is_some_and(|p| p.eq_ignore_ascii_case("lts")) {
                parts.pop();
            }
            let mut out = Vec::new();
            for p in parts {
                let p = if p.eq_ignore_ascii_case("pro") {
                    "Pro".to_string()
                } else if let Some((_, n)) = UBUNTU_CODENAMES
                    .iter()
                    .find(|(c, _)| c.eq_ignore_ascii_case(p))
                {
                    (*n).to_string()
                } else {
                    // 22.04.3 → 22.04
                    let mut it = p.split('.');
                    match (it.next(), it.next()) {
                        (Some(a), Some(b)) if a.chars().all(|c| c.is_ascii_digit()) => {
                            format!("{a}.{b}")
                        }
                        _ => p.to_string(),
                    }
                };
                out.push(p);
            }
            out.join(":")
        }
        Ecosystem::Alpine => {
            let l = r.to_ascii_lowercase();
            let v = l.strip_prefix('v').unwrap_or(&l);
            if v == "edge" {
                return "edge".into();
            }
            let mut it = v.split('.');
            match (it.next(), it.next()) {
                (Some(a), Some(b)) => format!("v{a}.{b}"),
                _ => format!("v{v}"),
            }
        }
        Ecosystem::AlmaLinux
        | Ecosystem::RockyLinux
        | Ecosystem::CentOs
        | Ecosystem::OracleLinux => major(r),
        _ if !eco.is_os() => String::new(),
        _ => r.to_string(),
    }
}

/// Normalise a package name of `eco` (see [`sekisho_version::name::normalize`]).
pub fn package(eco_name: &str, name: &str) -> String {
    sekisho_version::name::normalize(eco_name, name)
}

/// The full lookup key of a package of the OSV ecosystem string `eco` (e.g. `Debian:bookworm`).
pub fn key(eco: &str, name: &str) -> Key {
    let (ecosystem, release) = ecosystem(eco);
    let name = package(&ecosystem, name);
    Key {
        ecosystem,
        release,
        name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_and_releases() {
        assert_eq!(ecosystem("Debian:bookworm"), ("Debian".into(), "12".into()));
        assert_eq!(ecosystem("debian:12.5"), ("Debian".into(), "12".into()));
        assert_eq!(ecosystem("Debian:3.1"), ("Debian".into(), "3.1".into()));
        assert_eq!(
            ecosystem("Ubuntu:22.04:LTS"),
            ("Ubuntu".into(), "22.04".into())
        );
        assert_eq!(ecosystem("Ubuntu:22.04"), ("Ubuntu".into(), "22.04".into()));
        assert_eq!(ecosystem("Ubuntu:jammy"), ("Ubuntu".into(), "22.04".into()));
        assert_eq!(
            ecosystem("Ubuntu:Pro:18.04:LTS"),
            ("Ubuntu".into(), "Pro:18.04".into())
        );
        assert_eq!(ecosystem("Alpine:v3.19"), ("Alpine".into(), "v3.19".into()));
        assert_eq!(
            ecosystem("alpine:3.19.1"),
            ("Alpine".into(), "v3.19".into())
        );
        assert_eq!(ecosystem("AlmaLinux:9.3"), ("AlmaLinux".into(), "9".into()));
        assert_eq!(ecosystem("PyPI"), ("PyPI".into(), String::new()));
        assert_eq!(ecosystem("Hex"), ("Hex".into(), String::new()));
        assert_eq!(ecosystem("Bitnami:x"), ("Bitnami".into(), "x".into()));
    }

    #[test]
    fn names() {
        assert_eq!(package("PyPI", "Foo_Bar..baz"), "foo-bar-baz");
        assert_eq!(package("PyPI", "zope.interface"), "zope-interface");
        assert_eq!(package("crates.io", "Serde_JSON"), "serde-json");
        assert_eq!(package("Go", "https://github.com/a/b/"), "github.com/a/b");
        assert_eq!(
            package("Maven", "org.Apache.logging.log4j/log4j-core"),
            "org.apache.logging.log4j:log4j-core"
        );
        assert_eq!(package("AlmaLinux", "NetworkManager"), "NetworkManager");
    }
}
