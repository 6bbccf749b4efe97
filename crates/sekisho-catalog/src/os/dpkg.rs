//! dpkg: Debian, Ubuntu and distroless images.
//!
//! Inputs (deb-control(5) / dpkg(1) database layout):
//! - `var/lib/dpkg/status`: one RFC 822-style paragraph per package; only packages whose
//!   `Status:` ends in `installed` (`install ok installed`, `hold ok installed`) are installed;
//! - `var/lib/dpkg/status.d/*`: distroless images keep one paragraph file per package and no
//!   status file; these have no `Status:` field and are all installed;
//! - `var/lib/dpkg/info/NAME.list` or `NAME:ARCH.list` (multi-arch `same` packages): the files
//!   each package owns, used to avoid reporting a language package twice;
//! - `usr/share/doc/NAME/copyright`: when machine-readable (DEP-5, starts with `Format:`), its
//!   `License:` fields are the package's declared licenses.
//!
//! `Source:` may carry its own version (`Source: glibc (2.36-9)`), which matters because Debian
//! advisories name source packages and versions.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read};

use sekisho_artifact::{Capture, Captured, EntryMeta, Inventory, Note};

use crate::CatalogError;
use crate::cataloger::{Cataloger, Context};
use crate::model::{Catalog, Package, PackageKind, SourcePackage};

pub const CAPTURE_STATUS: &str = "dpkg-status";
pub const CAPTURE_INFO: &str = "dpkg-info";
pub const CAPTURE_COPYRIGHT: &str = "dpkg-copyright";

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";
const INFO: &str = "var/lib/dpkg/info/";
/// Maintainer-script and metadata suffixes that share `status.d/` with the package paragraphs.
const STATUS_D_SKIP: &[&str] = &[
    ".md5sums",
    ".preinst",
    ".postinst",
    ".prerm",
    ".postrm",
    ".conffiles",
    ".list",
    ".triggers",
    ".shlibs",
    ".symbols",
    ".templates",
    ".config",
];
/// Most licenses kept from one copyright file.
const MAX_LICENSES: usize = 32;

/// One package paragraph of a dpkg status file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpkgRecord {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub source: Option<SourcePackage>,
    pub multi_arch: Option<String>,
    /// The `Status:` field, if present (status.d paragraphs have none).
    pub status: Option<String>,
}

impl DpkgRecord {
    /// Installed per its Status field (status want/flag/state: the state word is `installed`).
    pub fn installed(&self) -> bool {
        self.status
            .as_deref()
            .is_none_or(|s| s.split_whitespace().last() == Some("installed"))
    }
}

/// Parse a dpkg status (or status.d) file. Returns every package paragraph and, for paragraphs
/// that could not be understood, a message each (the caller turns them into notes).
///
/// # Errors
/// When the input is too large or is not text at all.
pub fn parse_status(
    path: &str,
    data: &[u8],
) -> Result<(Vec<DpkgRecord>, Vec<String>), CatalogError> {
    let text = super::db_text(path, "dpkg status file", data)?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, para) in super::paragraphs(&text).enumerate() {
        if super::package_cap_reached(out.len(), &mut problems) {
            break;
        }
        let mut name = None;
        let mut version = None;
        let mut arch = None;
        let mut source = None;
        let mut multi = None;
        let mut status = None;
        let mut fields = 0usize;
        for line in &para {
            if line.starts_with(' ') || line.starts_with('\t') || line.starts_with('#') {
                continue; // continuation line or comment
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            fields += 1;
            let v = v.trim();
            match k {
                "Package" => name = Some(v.to_string()),
                "Version" => version = Some(v.to_string()),
                "Architecture" => arch = Some(v.to_string()),
                "Source" => source = Some(v.to_string()),
                "Multi-Arch" => multi = Some(v.to_string()),
                "Status" => status = Some(v.to_string()),
                _ => {}
            }
        }
        let what = |n: &Option<String>| {
            n.as_deref().map_or_else(
                || format!("paragraph {}", i + 1),
                |n| format!("package {n}"),
            )
        };
        match (&name, &version) {
            (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() && !valid_version(v) => {
                problems.push(format!("package {n}: invalid Version {v:?}; skipped"));
            }
            (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => {
                let source = source.as_deref().map(parse_source);
                out.push(DpkgRecord {
                    name: n.clone(),
                    version: v.clone(),
                    arch: arch.filter(|a| !a.is_empty()),
                    source,
                    multi_arch: multi,
                    status,
                });
            }
            _ if fields == 0 => problems.push(format!("{}: no fields; skipped", what(&name))),
            (None, _) => problems.push(format!("{}: no Package field; skipped", what(&name))),
            _ => {
                // A paragraph without a version is only odd when the package is installed.
                let rec_installed = status
                    .as_deref()
                    .is_none_or(|s| s.split_whitespace().last() == Some("installed"));
                if rec_installed {
                    problems.push(format!("{}: no Version field; skipped", what(&name)));
                }
            }
        }
    }
    Ok((out, problems))
}

/// A syntactically valid Debian version (deb-version(7)): `[epoch:]upstream[-revision]`, epoch
/// digits, upstream starting with a digit and made of `A-Za-z0-9.+~-:`, revision of
/// `A-Za-z0-9.+~`. dpkg itself refuses other versions.
pub fn valid_version(v: &str) -> bool {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (Some(e), r),
        None => (None, v),
    };
    if epoch.is_some_and(|e| e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => (u, Some(r)),
        None => (rest, None),
    };
    let up_ok = upstream.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && upstream
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'~' | b'-' | b':'));
    let rev_ok = revision.is_none_or(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'~'))
    });
    up_ok && rev_ok
}

/// `glibc (2.36-9)` → name and version; `zlib` → name only.
pub fn parse_source(s: &str) -> SourcePackage {
    let s = s.trim();
    match s.split_once('(') {
        Some((n, rest)) => SourcePackage {
            name: n.trim().to_string(),
            version: Some(rest.trim_end_matches(')').trim().to_string()).filter(|v| !v.is_empty()),
        },
        None => SourcePackage {
            name: s.to_string(),
            version: None,
        },
    }
}

/// Files listed in an `info/*.list` file, normalised (no leading `/`, no `.`).
pub fn parse_list(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .lines()
        .filter_map(|l| {
            let p = l.trim().trim_start_matches('/');
            (!p.is_empty() && p != ".").then(|| p.to_string())
        })
        .collect()
}

/// License names from a DEP-5 machine-readable copyright file; empty for free-form files.
pub fn parse_copyright(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.starts_with("Format:") {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for l in text.lines() {
        if let Some(v) = l.strip_prefix("License:") {
            let v = v.trim();
            if !v.is_empty() && !out.iter().any(|x| x == v) {
                out.push(v.to_string());
                if out.len() >= MAX_LICENSES {
                    break;
                }
            }
        }
    }
    out
}

struct StatusCapture;
impl Capture for StatusCapture {
    fn id(&self) -> &'static str {
        CAPTURE_STATUS
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file()
            && (meta.path == STATUS
                || meta.path.strip_prefix(STATUS_D).is_some_and(|n| {
                    !n.is_empty()
                        && !n.contains('/')
                        && !STATUS_D_SKIP.iter().any(|s| n.ends_with(s))
                }))
    }
    fn max_size(&self) -> u64 {
        super::MAX_DB_TEXT as u64
    }
}

struct InfoCapture;
impl Capture for InfoCapture {
    fn id(&self) -> &'static str {
        CAPTURE_INFO
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file()
            && meta
                .path
                .strip_prefix(INFO)
                .is_some_and(|n| n.ends_with(".list") && !n.contains('/'))
    }
    fn max_size(&self) -> u64 {
        32 << 20
    }
}

/// Keeps only the license names of machine-readable copyright files (one per line).
struct CopyrightCapture;
impl Capture for CopyrightCapture {
    fn id(&self) -> &'static str {
        CAPTURE_COPYRIGHT
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file()
            && meta
                .path
                .strip_prefix("usr/share/doc/")
                .and_then(|r| r.strip_suffix("/copyright"))
                .is_some_and(|n| !n.is_empty() && !n.contains('/'))
    }
    fn max_size(&self) -> u64 {
        4 << 20
    }
    fn capture(&self, _meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        // Peek at the first line: free-form files are not read further.
        let mut head = [0u8; 8];
        let mut n = 0;
        while n < head.len() {
            let k = r.read(&mut head[n..])?;
            if k == 0 {
                break;
            }
            n += k;
        }
        if &head[..n] != b"Format: " && !head[..n].starts_with(b"Format:") {
            return Ok(None);
        }
        let mut buf = head[..n].to_vec();
        r.take(self.max_size()).read_to_end(&mut buf)?;
        let lic = parse_copyright(&buf);
        Ok((!lic.is_empty()).then(|| lic.join("\n").into_bytes()))
    }
}

/// The dpkg cataloger.
pub struct Dpkg;

fn is_deb_os(ctx: &Context) -> bool {
    ctx.os.as_ref().is_some_and(|o| {
        matches!(o.id.as_str(), "debian" | "ubuntu")
            || o.id_like.iter().any(|l| l == "debian" || l == "ubuntu")
    })
}

impl Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn captures(&self) -> Vec<Box<dyn Capture>> {
        vec![
            Box::new(StatusCapture),
            Box::new(InfoCapture),
            Box::new(CopyrightCapture),
        ]
    }

    fn catalog(&self, inv: &Inventory, ctx: &Context, out: &mut Catalog) {
        let visible: Vec<&Captured> = inv.visible(CAPTURE_STATUS).collect();
        if visible.is_empty() {
            return;
        }
        // Owned files, keyed by `name:arch` and `name`.
        let mut lists: HashMap<&str, &Captured> = HashMap::new();
        for c in inv.visible(CAPTURE_INFO) {
            if let Some(n) = c
                .meta
                .path
                .strip_prefix(INFO)
                .and_then(|n| n.strip_suffix(".list"))
            {
                lists.insert(n, c);
            }
        }
        let os = ctx.os.as_ref();
        let namespace = os
            .filter(|_| is_deb_os(ctx))
            .map_or("debian", |o| o.id.as_str())
            .to_string();
        let ecosystem = if is_deb_os(ctx) {
            super::os_ecosystem(os)
        } else {
            None
        };
        let distro = super::distro_qualifier(os);
        for c in visible {
            let (records, problems) = match parse_status(&c.meta.path, &c.data) {
                Ok(r) => r,
                Err(e) => {
                    out.notes
                        .push(Note::new(Some(c.layer), c.meta.path.clone(), e.to_string()));
                    continue;
                }
            };
            for p in problems {
                out.notes.push(Note::new(
                    Some(c.layer),
                    c.meta.path.clone(),
                    format!("dpkg: {p}"),
                ));
            }
            let first_layers = first_layers(inv, &c.meta.path, c.layer);
            for r in records.into_iter().filter(DpkgRecord::installed) {
                let key = (r.name.clone(), r.version.clone());
                let layer = first_layers
                    .as_ref()
                    .and_then(|m| m.get(&key).copied())
                    .unwrap_or(c.layer);
                let list = r
                    .arch
                    .as_ref()
                    .and_then(|a| lists.get(format!("{}:{a}", r.name).as_str()))
                    .or_else(|| lists.get(r.name.as_str()));
                let files = list.map(|l| parse_list(&l.data)).unwrap_or_default();
                let licenses = copyright(inv, &r.name);
                let purl = crate::purl::build(
                    "deb",
                    Some(&namespace),
                    &r.name,
                    &r.version,
                    &[("arch", r.arch.as_deref()), ("distro", distro.as_deref())],
                );
                out.packages.push(Package {
                    id: String::new(),
                    name: r.name,
                    version: r.version,
                    kind: PackageKind::Deb,
                    ecosystem: ecosystem.clone(),
                    purl,
                    source: r.source,
                    licenses,
                    arch: r.arch,
                    modularity_label: None,
                    locations: vec![c.meta.path.clone()],
                    layer: Some(layer),
                    files,
                });
            }
        }
    }
}

fn copyright(inv: &Inventory, name: &str) -> Vec<String> {
    inv.get(
        CAPTURE_COPYRIGHT,
        &format!("usr/share/doc/{name}/copyright"),
    )
    .map(|c| {
        String::from_utf8_lossy(&c.data)
            .lines()
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// For a status file rewritten by several layers: the first layer whose version lists each
/// (name, version) as installed. `None` when only one version exists (its layer is the answer).
fn first_layers(
    inv: &Inventory,
    path: &str,
    visible_layer: usize,
) -> Option<HashMap<(String, String), usize>> {
    let versions: Vec<&Captured> = inv
        .history(CAPTURE_STATUS)
        .filter(|(c, _)| c.meta.path == path && c.layer <= visible_layer)
        .map(|(c, _)| c)
        .collect();
    if versions.len() <= 1 {
        return None;
    }
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for v in versions {
        let Ok((recs, _)) = parse_status(path, &v.data) else {
            continue;
        };
        for r in recs.into_iter().filter(DpkgRecord::installed) {
            seen.entry((r.name, r.version)).or_insert(v.layer);
        }
    }
    Some(seen)
}

/// The set of package names in a status file that are installed (used by tests and tools).
pub fn installed_names(records: &[DpkgRecord]) -> BTreeSet<(String, String)> {
    records
        .iter()
        .filter(|r| r.installed())
        .map(|r| (r.name.clone(), r.version.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_paragraphs() {
        let s = b"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nSource: glibc (2.36-9+deb12u4)\nVersion: 2.36-9+deb12u4\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: nover\nStatus: install ok installed\n\nVersion: 3\n";
        let (r, p) = parse_status("s", s).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].name, "libc6");
        assert_eq!(
            r[0].source,
            Some(SourcePackage {
                name: "glibc".into(),
                version: Some("2.36-9+deb12u4".into())
            })
        );
        assert!(r[0].installed());
        assert!(!r[1].installed());
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("nover") && p[0].contains("Version"));
        assert!(p[1].contains("no Package"));
        assert!(parse_status("s", b"\0\0").is_err());
    }

    #[test]
    fn versions() {
        for v in [
            "1.0",
            "1:2.36-9+deb12u4",
            "2.3.1-93ubuntu1",
            "1.0~rc1",
            "0:1-2-3",
        ] {
            assert!(valid_version(v), "{v}");
        }
        for v in ["1:5.#", "a1.0", ":1", "1.0-", "x:1"] {
            assert!(!valid_version(v), "{v}");
        }
    }

    #[test]
    fn copyright_dep5() {
        let c = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+\n\nFiles: x\nLicense: MIT\n\nLicense: GPL-2+\n text\n";
        assert_eq!(parse_copyright(c), vec!["GPL-2+", "MIT"]);
        assert!(parse_copyright(b"This is free-form\nLicense: MIT\n").is_empty());
    }

    #[test]
    fn lists() {
        assert_eq!(
            parse_list(b"/.\n/usr\n/usr/bin/x\n"),
            vec!["usr".to_string(), "usr/bin/x".to_string()]
        );
    }
}
