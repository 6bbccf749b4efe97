//! Which OS (and release) a filesystem holds, and the OSV ecosystem its advisories use.
//!
//! Sources, in order of preference:
//! 1. `etc/os-release`, then `usr/lib/os-release` (os-release(5): `ID`, `VERSION_ID`,
//!    `VERSION_CODENAME`, `ID_LIKE`, `PRETTY_NAME`); a symlinked `etc/os-release` is resolved
//!    inside the root by [`Inventory::get`];
//! 2. `etc/lsb-release` (`DISTRIB_ID`, `DISTRIB_RELEASE`, `DISTRIB_CODENAME`);
//! 3. `etc/alpine-release`, the `etc/*-release` files of the Red Hat family and
//!    `etc/system-release` (Amazon), `etc/debian_version`;
//! 4. distroless images: no os-release but `var/lib/dpkg/status.d/` (the release is read from
//!    the `base-files` package version);
//! 5. a busybox binary (`bin/busybox`, its `BusyBox vX.Y.Z` banner).
//!
//! The OSV ecosystem follows the names in the OSV schema's `ecosystems.json`: `Debian:12`,
//! `Ubuntu:22.04:LTS` (the `:LTS` suffix is mandatory for LTS releases), `Alpine:v3.19`,
//! `AlmaLinux:9`, `Rocky Linux:9`, `Red Hat:enterprise_linux:9` (the CPE suffix), `SUSE:<product>`
//! and `openSUSE:<product>` (the os-release `PRETTY_NAME` without the vendor word),
//! `Amazon Linux:2023`, `Azure Linux:3`, `Photon OS:5.0`, `Mageia:9`, `Wolfi`, `Chainguard`.
//! An unknown distro or release is reported with `known: false`; an end-of-life one with
//! `eol: true` (judged against today's date and the table below). Neither is an error.

use std::io::{self, Read};

use sekisho_artifact::{Capture, EntryMeta, Inventory, Note};

use crate::model::OsInfo;

/// Capture id for the release files.
pub const CAPTURE: &str = "os-release";
/// Capture id for the busybox banner.
pub const CAPTURE_BUSYBOX: &str = "os-busybox";

/// Release files, in the order they are consulted.
pub const RELEASE_FILES: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/lsb-release",
    "etc/alpine-release",
    "etc/almalinux-release",
    "etc/rocky-release",
    "etc/centos-release",
    "etc/oracle-release",
    "etc/fedora-release",
    "etc/photon-release",
    "etc/mariner-release",
    "etc/azurelinux-release",
    "etc/redhat-release",
    "etc/system-release",
    "etc/SuSE-release",
    "etc/debian_version",
];

/// The capture of release files (small text files; 64 KiB cap).
pub struct ReleaseCapture;

impl Capture for ReleaseCapture {
    fn id(&self) -> &'static str {
        CAPTURE
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file() && RELEASE_FILES.contains(&meta.path.as_str())
    }
    fn max_size(&self) -> u64 {
        64 << 10
    }
}

/// The capture of a busybox binary: keeps only the version from its `BusyBox vX.Y.Z` banner.
pub struct BusyboxCapture;

impl Capture for BusyboxCapture {
    fn id(&self) -> &'static str {
        CAPTURE_BUSYBOX
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file() && (meta.path == "bin/busybox" || meta.path == "usr/bin/busybox")
    }
    fn max_size(&self) -> u64 {
        16 << 20
    }
    fn capture(&self, _meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        r.take(self.max_size()).read_to_end(&mut buf)?;
        Ok(busybox_version(&buf).map(String::into_bytes))
    }
}

/// The version in a `BusyBox v1.36.1 (…)` banner.
pub fn busybox_version(bin: &[u8]) -> Option<String> {
    let pat = b"BusyBox v";
    let at = bin.windows(pat.len()).position(|w| w == pat)?;
    let rest = &bin[at + pat.len()..];
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')))
        .unwrap_or(rest.len())
        .min(32);
    let v = std::str::from_utf8(&rest[..end]).ok()?;
    (!v.is_empty() && v.as_bytes()[0].is_ascii_digit()).then(|| v.to_string())
}

/// Parse os-release(5) text: `KEY=value` lines, values optionally quoted with `"` or `'` and
/// backslash escapes inside double quotes.
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines().take(4096) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        out.push((k.to_string(), unquote(v.trim())));
    }
    out
}

fn unquote(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        let inner = &v[1..v.len() - 1];
        if b[0] == b'"' {
            let mut s = String::with_capacity(inner.len());
            let mut esc = false;
            for c in inner.chars() {
                if esc {
                    s.push(c);
                    esc = false;
                } else if c == '\\' {
                    esc = true;
                } else {
                    s.push(c);
                }
            }
            return s;
        }
        return inner.to_string();
    }
    v.to_string()
}

fn get<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Build an [`OsInfo`] from os-release fields.
pub fn from_os_release(kv: &[(String, String)], source: &str) -> Option<OsInfo> {
    let id = get(kv, "ID")?.to_ascii_lowercase();
    let mut os = OsInfo {
        id,
        version_id: get(kv, "VERSION_ID").map(str::to_string),
        codename: get(kv, "VERSION_CODENAME").map(str::to_string),
        id_like: get(kv, "ID_LIKE")
            .map(|s| s.split_whitespace().map(str::to_ascii_lowercase).collect())
            .unwrap_or_default(),
        pretty_name: get(kv, "PRETTY_NAME").map(str::to_string),
        source: source.to_string(),
        ..OsInfo::default()
    };
    classify(&mut os);
    Some(os)
}

/// Text of a captured release file, following symlinks inside the root.
fn text<'a>(inv: &'a Inventory, path: &str) -> Option<&'a str> {
    let c = inv.get(CAPTURE, path)?;
    std::str::from_utf8(&c.data).ok()
}

/// Detect the OS of an inventory collected with [`ReleaseCapture`] (and, for distroless and
/// busybox fallbacks, the dpkg and busybox captures). Problems become notes.
pub fn detect(inv: &Inventory, notes: &mut Vec<Note>) -> Option<OsInfo> {
    for p in ["etc/os-release", "usr/lib/os-release"] {
        let Some(c) = inv.get(CAPTURE, p) else {
            continue;
        };
        match std::str::from_utf8(&c.data) {
            Ok(t) => {
                let kv = parse_os_release(t);
                if let Some(mut os) = from_os_release(&kv, p) {
                    // Debian testing/sid carry no VERSION_ID; debian_version says which.
                    if os.id == "debian" && os.version_id.is_none() {
                        if let Some(dv) = text(inv, "etc/debian_version") {
                            apply_debian_version(&mut os, dv.trim());
                        }
                    }
                    return Some(os);
                }
                notes.push(Note::new(
                    Some(c.layer),
                    p,
                    "os-release has no ID; trying other release files",
                ));
            }
            Err(_) => notes.push(Note::new(
                Some(c.layer),
                p,
                "os-release is not UTF-8; trying other release files",
            )),
        }
    }
    if let Some(t) = text(inv, "etc/lsb-release") {
        let kv = parse_os_release(t);
        if let Some(id) = get(&kv, "DISTRIB_ID") {
            let mut os = OsInfo {
                id: id.to_ascii_lowercase(),
                version_id: get(&kv, "DISTRIB_RELEASE").map(str::to_string),
                codename: get(&kv, "DISTRIB_CODENAME").map(str::to_string),
                pretty_name: get(&kv, "DISTRIB_DESCRIPTION").map(str::to_string),
                source: "etc/lsb-release".into(),
                ..OsInfo::default()
            };
            classify(&mut os);
            return Some(os);
        }
    }
    if let Some(t) = text(inv, "etc/alpine-release") {
        let v = t.trim();
        if !v.is_empty() {
            let mut os = OsInfo {
                id: "alpine".into(),
                version_id: Some(v.to_string()),
                source: "etc/alpine-release".into(),
                ..OsInfo::default()
            };
            classify(&mut os);
            return Some(os);
        }
    }
    for p in RELEASE_FILES
        .iter()
        .filter(|p| p.ends_with("-release") && !p.contains("os-release"))
    {
        if matches!(*p, "etc/lsb-release" | "etc/alpine-release") {
            continue;
        }
        if let Some(t) = text(inv, p) {
            if let Some(mut os) = from_release_line(t.lines().next().unwrap_or("").trim(), p) {
                classify(&mut os);
                return Some(os);
            }
            notes.push(Note::new(
                None,
                *p,
                "release file not understood; trying other release files",
            ));
        }
    }
    if let Some(dv) = text(inv, "etc/debian_version") {
        let mut os = OsInfo {
            id: "debian".into(),
            source: "etc/debian_version".into(),
            ..OsInfo::default()
        };
        apply_debian_version(&mut os, dv.trim());
        classify(&mut os);
        return Some(os);
    }
    if let Some(os) = distroless(inv) {
        return Some(os);
    }
    let bb = inv
        .get(CAPTURE_BUSYBOX, "bin/busybox")
        .or_else(|| inv.get(CAPTURE_BUSYBOX, "usr/bin/busybox"))?;
    let v = String::from_utf8_lossy(&bb.data).into_owned();
    Some(OsInfo {
        id: "busybox".into(),
        version_id: Some(v.clone()),
        pretty_name: Some(format!("BusyBox v{v}")),
        source: bb.meta.path.clone(),
        ..OsInfo::default()
    })
}

fn apply_debian_version(os: &mut OsInfo, dv: &str) {
    // `12.4` → 12; `bookworm/sid` → testing/unstable (no number).
    let major = dv.split('.').next().unwrap_or("");
    if !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) {
        os.version_id = Some(major.to_string());
    } else if dv.ends_with("/sid") {
        os.codename.get_or_insert_with(|| "sid".to_string());
    }
    if os.pretty_name.is_none() {
        os.pretty_name = Some(format!("Debian {dv}"));
    }
    classify(os);
}

/// Distroless: `var/lib/dpkg/status.d/*` without any release file; the release is the major
/// version of the `base-files` package.
fn distroless(inv: &Inventory) -> Option<OsInfo> {
    let mut any = false;
    let mut base: Option<String> = None;
    for c in inv.visible(super::dpkg::CAPTURE_STATUS) {
        if !c.meta.path.starts_with("var/lib/dpkg/status.d/") {
            continue;
        }
        any = true;
        let Ok(t) = std::str::from_utf8(&c.data) else {
            continue;
        };
        for p in super::paragraphs(t) {
            let field = |k: &str| {
                p.iter()
                    .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix(':')))
                    .map(str::trim)
            };
            if field("Package") == Some("base-files") {
                base = field("Version").map(str::to_string);
            }
        }
    }
    if !any {
        return None;
    }
    let mut os = OsInfo {
        id: "debian".into(),
        source: "var/lib/dpkg/status.d/".into(),
        pretty_name: Some("Debian (distroless)".into()),
        ..OsInfo::default()
    };
    if let Some(v) = base {
        let major: String = v.chars().take_while(char::is_ascii_digit).collect();
        if !major.is_empty() {
            os.version_id = Some(major);
        }
    }
    classify(&mut os);
    Some(os)
}

/// `Rocky Linux release 9.3 (Blue Onyx)`, `CentOS Linux release 7.9.2009 (Core)`,
/// `Amazon Linux release 2 (Karoo)`, `Fedora release 39 (Thirty Nine)`.
pub fn from_release_line(line: &str, source: &str) -> Option<OsInfo> {
    let lower = line.to_ascii_lowercase();
    let (name, rest) = lower.split_once(" release ")?;
    let version: String = rest
        .split_whitespace()
        .next()?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let id = match name.trim() {
        n if n.starts_with("rocky") => "rocky",
        n if n.starts_with("almalinux") => "almalinux",
        n if n.starts_with("centos stream") => "centos",
        n if n.starts_with("centos") => "centos",
        n if n.starts_with("red hat") => "rhel",
        n if n.starts_with("oracle") => "ol",
        n if n.starts_with("fedora") => "fedora",
        n if n.starts_with("amazon") => "amzn",
        n if n.starts_with("vmware photon") || n.starts_with("photon") => "photon",
        n if n.starts_with("cbl-mariner") => "mariner",
        n if n.starts_with("microsoft azure linux") => "azurelinux",
        _ => return None,
    };
    Some(OsInfo {
        id: id.into(),
        version_id: (!version.is_empty()).then_some(version),
        pretty_name: Some(line.to_string()),
        source: source.to_string(),
        ..OsInfo::default()
    })
}

/// End-of-life dates (last day of security support, LTS included where the distro has one),
/// as `YYYY-MM-DD`, per distro family and release.
const EOL: &[(&str, &str, &str)] = &[
    ("debian", "7", "2018-05-31"),
    ("debian", "8", "2020-06-30"),
    ("debian", "9", "2022-06-30"),
    ("debian", "10", "2024-06-30"),
    ("debian", "11", "2026-08-31"),
    ("debian", "12", "2028-06-30"),
    ("debian", "13", "2030-06-30"),
    ("ubuntu", "14.04", "2019-04-30"),
    ("ubuntu", "16.04", "2021-04-30"),
    ("ubuntu", "18.04", "2023-05-31"),
    ("ubuntu", "20.04", "2025-05-31"),
    ("ubuntu", "22.04", "2027-06-30"),
    ("ubuntu", "24.04", "2029-05-31"),
    ("ubuntu", "24.10", "2025-07-10"),
    ("ubuntu", "25.04", "2026-01-15"),
    ("ubuntu", "25.10", "2026-07-09"),
    ("ubuntu", "26.04", "2031-05-31"),
    ("ubuntu", "26.10", "2027-07-31"),
    ("alpine", "3.12", "2022-05-01"),
    ("alpine", "3.13", "2022-11-01"),
    ("alpine", "3.14", "2023-05-01"),
    ("alpine", "3.15", "2023-11-01"),
    ("alpine", "3.16", "2024-05-23"),
    ("alpine", "3.17", "2024-11-22"),
    ("alpine", "3.18", "2025-05-09"),
    ("alpine", "3.19", "2025-11-01"),
    ("alpine", "3.20", "2026-04-01"),
    ("alpine", "3.21", "2026-11-01"),
    ("alpine", "3.22", "2027-05-01"),
    ("alpine", "3.23", "2027-11-01"),
    ("el", "6", "2020-11-30"),
    ("el", "7", "2024-06-30"),
    ("el", "8", "2029-05-31"),
    ("el", "9", "2032-05-31"),
    ("el", "10", "2035-05-31"),
    ("centos", "6", "2020-11-30"),
    ("centos", "7", "2024-06-30"),
    ("centos", "8", "2021-12-31"),
    ("centos", "9", "2027-05-31"),
    ("centos", "10", "2030-01-01"),
    ("amzn", "2018.03", "2023-12-31"),
    ("amzn", "2", "2026-06-30"),
    ("amzn", "2023", "2029-06-30"),
    ("mariner", "1", "2023-07-31"),
    ("mariner", "2", "2025-07-31"),
    ("azurelinux", "3", "2027-07-31"),
];

/// Today as `YYYY-MM-DD` (UTC), from the system clock.
fn today() -> String {
    sekisho_finding::time::Date::from_unix(sekisho_finding::time::unix_now()).to_string()
}

fn eol_state(family: &str, release: &str) -> Option<bool> {
    EOL.iter()
        .find(|(f, r, _)| *f == family && *r == release)
        .map(|(_, _, d)| *d < today().as_str())
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

fn major_minor(v: &str) -> Option<String> {
    let mut it = v.split('.');
    let a = it.next()?;
    let b = it.next()?;
    let b: String = b.chars().take_while(char::is_ascii_digit).collect();
    (!a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) && !b.is_empty())
        .then(|| format!("{a}.{b}"))
}

/// Fill `osv_ecosystem`, `known` and `eol` from `id` and `version_id`.
pub fn classify(os: &mut OsInfo) {
    let v = os.version_id.clone().unwrap_or_default();
    let numeric_major = !v.is_empty() && major(&v).bytes().all(|b| b.is_ascii_digit());
    let (eco, known, eol): (Option<String>, bool, bool) = match os.id.as_str() {
        "debian" => {
            if numeric_major {
                let m = major(&v);
                match eol_state("debian", m) {
                    Some(e) => (Some(format!("Debian:{m}")), true, e),
                    None => (
                        Some(format!("Debian:{m}")),
                        m.parse::<u32>().is_ok_and(|n| n < 7),
                        m.parse::<u32>().is_ok_and(|n| n < 7),
                    ),
                }
            } else if os.codename.as_deref() == Some("sid") {
                (Some("Debian:sid".into()), true, false)
            } else {
                (None, false, false)
            }
        }
        "ubuntu" => match major_minor(&v) {
            Some(mm) => {
                let lts = mm.ends_with(".04")
                    && mm
                        .split('.')
                        .next()
                        .and_then(|y| y.parse::<u32>().ok())
                        .is_some_and(|y| y % 2 == 0);
                let eco = if lts {
                    format!("Ubuntu:{mm}:LTS")
                } else {
                    format!("Ubuntu:{mm}")
                };
                match eol_state("ubuntu", &mm) {
                    Some(e) => (Some(eco), true, e),
                    None => {
                        let old = mm
                            .split('.')
                            .next()
                            .and_then(|y| y.parse::<u32>().ok())
                            .is_some_and(|y| y < 24);
                        (Some(eco), old, old)
                    }
                }
            }
            None => (None, false, false),
        },
        "alpine" => match major_minor(&v) {
            Some(mm) if !v.contains("_alpha") && !v.contains("_rc") => {
                let eco = format!("Alpine:v{mm}");
                match eol_state("alpine", &mm) {
                    Some(e) => (Some(eco), true, e),
                    None => {
                        let old = mm
                            .split('.')
                            .nth(1)
                            .and_then(|m| m.parse::<u32>().ok())
                            .is_some_and(|m| mm.starts_with("3.") && m < 12);
                        (Some(eco), old, old)
                    }
                }
            }
            _ => (None, false, false),
        },
        "almalinux" | "rocky" | "rhel" | "ol" if numeric_major => {
            let m = major(&v);
            let eco = match os.id.as_str() {
                "almalinux" => Some(format!("AlmaLinux:{m}")),
                "rocky" => Some(format!("Rocky Linux:{m}")),
                "rhel" => Some(format!("Red Hat:enterprise_linux:{m}")),
                _ => None,
            };
            match eol_state("el", m) {
                Some(e) => (eco, true, e),
                None => (eco, false, false),
            }
        }
        "centos" if numeric_major => match eol_state("centos", major(&v)) {
            Some(e) => (None, true, e),
            None => (None, false, false),
        },
        "fedora" if numeric_major => {
            // Fedora releases live ~13 months; anything older than 41 is past support in 2026.
            let n: u32 = major(&v).parse().unwrap_or(0);
            (None, true, n < 42)
        }
        "amzn" => {
            let rel = if v.starts_with("2018") || v.starts_with("2017") {
                "2018.03".to_string()
            } else {
                major(&v).to_string()
            };
            match eol_state("amzn", &rel) {
                Some(e) => (
                    Some(if rel == "2018.03" {
                        "Amazon Linux:1".to_string()
                    } else {
                        format!("Amazon Linux:{rel}")
                    }),
                    true,
                    e,
                ),
                None => (None, false, false),
            }
        }
        "mariner" | "azurelinux" if numeric_major => {
            let m = major(&v);
            let fam = if os.id == "mariner" {
                "mariner"
            } else {
                "azurelinux"
            };
            match eol_state(fam, m) {
                Some(e) => (Some(format!("Azure Linux:{m}")), true, e),
                None => (Some(format!("Azure Linux:{m}")), false, false),
            }
        }
        "photon" if !v.is_empty() => {
            let mm = major_minor(&v).unwrap_or_else(|| format!("{}.0", major(&v)));
            (Some(format!("Photon OS:{mm}")), true, false)
        }
        "mageia" if numeric_major => (Some(format!("Mageia:{}", major(&v))), true, false),
        "sles" | "sled" | "sle-micro" | "sles_sap" => {
            let p = os.pretty_name.clone().unwrap_or_default();
            let p = p.strip_prefix("SUSE ").unwrap_or(&p).to_string();
            ((!p.is_empty()).then(|| format!("SUSE:{p}")), true, false)
        }
        id if id.starts_with("opensuse") => {
            let p = os.pretty_name.clone().unwrap_or_default();
            let p = p.strip_prefix("openSUSE ").unwrap_or(&p).to_string();
            (
                (!p.is_empty()).then(|| format!("openSUSE:{p}")),
                true,
                false,
            )
        }
        "wolfi" => (Some("Wolfi".into()), true, false),
        "chainguard" => (Some("Chainguard".into()), true, false),
        _ => (None, false, false),
    };
    os.osv_ecosystem = eco;
    os.known = known;
    os.eol = eol;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(text: &str) -> OsInfo {
        from_os_release(&parse_os_release(text), "etc/os-release").unwrap()
    }

    #[test]
    fn ecosystems() {
        let d = os("ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
        assert_eq!(d.osv_ecosystem.as_deref(), Some("Debian:12"));
        assert!(d.known && !d.eol);
        let u = os("ID=ubuntu\nVERSION_ID=\"22.04\"\nID_LIKE=debian\n");
        assert_eq!(u.osv_ecosystem.as_deref(), Some("Ubuntu:22.04:LTS"));
        assert_eq!(u.id_like, vec!["debian"]);
        assert_eq!(
            os("ID=ubuntu\nVERSION_ID=\"23.10\"")
                .osv_ecosystem
                .as_deref(),
            Some("Ubuntu:23.10")
        );
        let a = os("ID=alpine\nVERSION_ID=3.19.1\n");
        assert_eq!(a.osv_ecosystem.as_deref(), Some("Alpine:v3.19"));
        assert!(a.eol, "3.19 support ended 2025-11");
        assert_eq!(
            os("ID=\"rocky\"\nVERSION_ID=\"9.3\"")
                .osv_ecosystem
                .as_deref(),
            Some("Rocky Linux:9")
        );
        assert_eq!(
            os("ID=almalinux\nVERSION_ID=8.10").osv_ecosystem.as_deref(),
            Some("AlmaLinux:8")
        );
        assert_eq!(
            os("ID=amzn\nVERSION_ID=2023").osv_ecosystem.as_deref(),
            Some("Amazon Linux:2023")
        );
        assert_eq!(
            os("ID=sles\nVERSION_ID=15.5\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"")
                .osv_ecosystem
                .as_deref(),
            Some("SUSE:Linux Enterprise Server 15 SP5")
        );
        assert_eq!(
            os("ID=wolfi\nVERSION_ID=20230201").osv_ecosystem.as_deref(),
            Some("Wolfi")
        );
        let old = os("ID=debian\nVERSION_ID=\"9\"");
        assert!(old.known && old.eol);
        let weird = os("ID=plan9\nVERSION_ID=4");
        assert!(!weird.known && weird.osv_ecosystem.is_none());
    }

    #[test]
    fn release_lines() {
        let r =
            from_release_line("Rocky Linux release 9.3 (Blue Onyx)", "etc/redhat-release").unwrap();
        assert_eq!(
            (r.id.as_str(), r.version_id.as_deref()),
            ("rocky", Some("9.3"))
        );
        let c = from_release_line("CentOS Linux release 7.9.2009 (Core)", "x").unwrap();
        assert_eq!(c.id, "centos");
        let a = from_release_line("Amazon Linux release 2 (Karoo)", "x").unwrap();
        assert_eq!(a.id, "amzn");
        assert!(from_release_line("hello", "x").is_none());
    }

    #[test]
    fn busybox_banner() {
        assert_eq!(
            busybox_version(b"\0\0BusyBox v1.36.1 (2023-07-27 17:12:24 UTC)").as_deref(),
            Some("1.36.1")
        );
        assert_eq!(busybox_version(b"BusyBox vX"), None);
    }

    #[test]
    fn quoting() {
        let kv = parse_os_release("A=\"x \\\"y\\\"\"\nB='z'\n# c\nbad line\n");
        assert_eq!(get(&kv, "A"), Some("x \"y\""));
        assert_eq!(get(&kv, "B"), Some("z"));
    }
}
