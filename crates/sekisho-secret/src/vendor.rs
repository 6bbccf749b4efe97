//! Vendor content: files an installed package owns, checked against the package's recorded
//! checksum.
//!
//! Libraries ship documented example keys in their docs and tests. A file that an installed
//! package owns and whose content still matches the package's checksum is the vendor's content,
//! unchanged since install: it is reported at INFO with the package name. A file that no longer
//! matches was changed after install and is a full finding.
//!
//! Sources (each a [`Capture`] from [`captures`], collected in the same layer walk):
//! - dpkg: `var/lib/dpkg/info/NAME[:ARCH].md5sums`, md5sum(1) output (`HEX  PATH`, path
//!   relative to `/`); versions from `var/lib/dpkg/status` when the dpkg cataloger's capture is
//!   present;
//! - rpm: the header of every installed package (`rpmdb.sqlite`, `Packages.db`, `Packages`):
//!   `FILEDIGESTS` (tag 1035, hex, one per file, aligned with `BASENAMES`) and `FILEDIGESTALGO`
//!   (tag 5011; 1 = MD5, 8 = SHA-256, …; MD5 when absent), parsed when the database is captured so
//!   only `path, digest, package` lines are kept;
//! - Python: `*.dist-info/RECORD` (CSV `path,sha256=<urlsafe base64, no padding>,size`, or hex as Debian writes it; paths
//!   relative to the directory holding the dist-info; PEP 376 / the "Recording installed
//!   projects" specification);
//! - npm: `node_modules/[@scope/]name/package.json` gives the package that owns every file under
//!   its directory (down to a nested `node_modules`). npm records no per-file checksum, so such
//!   files are owned but unverifiable: reported in full, with the package named.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sekisho_artifact::{Capture, EntryMeta, Inventory, Note, path};

use crate::scan::Digests;

pub const CAPTURE_MD5SUMS: &str = "secret-vendor-dpkg-md5sums";
pub const CAPTURE_RPM: &str = "secret-vendor-rpm-digests";
pub const CAPTURE_RECORD: &str = "secret-vendor-python-record";
pub const CAPTURE_NPM: &str = "secret-vendor-npm-package";
pub const CAPTURE_DPKG_STATUS: &str = "secret-vendor-dpkg-status";

/// Most lines kept from one metadata file.
pub const MAX_LINES: usize = 500_000;
/// Largest metadata file read (an rpm database can be large; it is parsed, not kept).
const MAX_TEXT: u64 = 32 << 20;
const MAX_RPMDB: u64 = 512 << 20;
const INFO: &str = "var/lib/dpkg/info/";
const RPM_DIRS: &[&str] = &["var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/"];
const RPM_FILES: &[&str] = &["rpmdb.sqlite", "Packages.db", "Packages"];

/// A recorded file checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileDigest {
    Md5([u8; 16]),
    Sha256([u8; 32]),
    /// An algorithm sekisho does not compute (rpm SHA-1/384/512/224), named.
    Other(&'static str),
    /// No checksum recorded (npm, RECORD rows without a hash).
    None,
}

/// What the index says about one file version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Owned by `package` and byte-for-byte what it installed.
    Unchanged { package: String },
    /// Owned by `package`, but the content differs from its checksum.
    Modified { package: String },
    /// Owned by `package`; the content cannot be compared (`why`).
    Unverified { package: String, why: String },
}

#[derive(Debug, Clone)]
struct Owner {
    package: Arc<str>,
    digest: FileDigest,
}

/// The files installed packages own, with their checksums, from every layer's metadata.
#[derive(Debug, Default)]
pub struct VendorIndex {
    files: HashMap<String, Vec<Owner>>,
    /// npm package directories → package.
    npm_dirs: HashMap<String, Arc<str>>,
    pub notes: Vec<Note>,
}

fn hex_decode<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Parse a dpkg `.md5sums` file: `(path, md5)` per valid line, and the number of lines skipped.
pub fn parse_md5sums(data: &[u8]) -> (Vec<(String, [u8; 16])>, usize) {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    let mut bad = 0;
    for line in text.lines().take(MAX_LINES) {
        if line.trim().is_empty() {
            continue;
        }
        // `HEX  path` (text mode) or `HEX *path` (binary mode).
        let parsed = line.get(..32).and_then(hex_decode::<16>).and_then(|md5| {
            let rest = line.get(32..)?;
            let p = rest
                .strip_prefix("  ")
                .or_else(|| rest.strip_prefix(" *"))?;
            let p = path::normalize(p).ok().filter(|p| !p.is_empty())?;
            Some((p, md5))
        });
        match parsed {
            Some(x) => out.push(x),
            None => bad += 1,
        }
    }
    (out, bad)
}

/// One CSV field of a RECORD row (double-quoted when it holds a comma or a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
        if out.len() > 16 {
            break;
        }
    }
    out.push(cur);
    out
}

/// A SHA-256 written as 64 hex digits. PEP 376 says urlsafe base64, but Debian's python3
/// packages write hex (`sha256=81d821…`), and 64 hex digits never decode to 32 bytes of base64
/// (that takes 43 characters), so the two forms can't be confused.
fn sha256_hex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

/// Parse a dist-info `RECORD` whose dist-info directory sits in `site` (a normalised directory
/// path): `(path, digest)` per row (paths resolved inside the root), and rows skipped.
pub fn parse_record(site: &str, data: &[u8]) -> (Vec<(String, FileDigest)>, usize) {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    let mut bad = 0;
    for line in text.lines().take(MAX_LINES) {
        if line.trim().is_empty() {
            continue;
        }
        let f = csv_fields(line);
        let Some(rel) = f.first().filter(|p| !p.is_empty()) else {
            bad += 1;
            continue;
        };
        let Ok(p) = path::join_in_root(site, rel) else {
            bad += 1;
            continue;
        };
        let digest = match f.get(1).map(String::as_str).unwrap_or("") {
            "" => FileDigest::None,
            h => match h.split_once('=') {
                Some(("sha256", b)) => match sha256_hex(b).or_else(|| {
                    URL_SAFE_NO_PAD
                        .decode(b.trim_end_matches('='))
                        .ok()
                        .and_then(|v| <[u8; 32]>::try_from(v).ok())
                }) {
                    Some(d) => FileDigest::Sha256(d),
                    None => {
                        bad += 1;
                        continue;
                    }
                },
                Some(("sha384", _)) => FileDigest::Other("sha384"),
                Some(("sha512", _)) => FileDigest::Other("sha512"),
                _ => {
                    bad += 1;
                    continue;
                }
            },
        };
        out.push((p, digest));
    }
    (out, bad)
}

/// rpm `FILEDIGESTALGO` values (rpm's `pgpHashAlgo`).
fn rpm_algo(v: Option<u32>) -> Option<&'static str> {
    match v {
        None | Some(1) => Some("md5"),
        Some(2) => Some("sha1"),
        Some(8) => Some("sha256"),
        Some(9) => Some("sha384"),
        Some(10) => Some("sha512"),
        Some(11) => Some("sha224"),
        Some(_) => None,
    }
}

const TAG_FILEDIGESTS: u32 = 1035;
const TAG_FILEDIGESTALGO: u32 = 5011;

/// `path \t algo:hex \t name-evr` lines for one rpm header blob.
pub fn rpm_header_lines(blob: &[u8], what: &str, out: &mut String) -> Result<usize, String> {
    use sekisho_catalog::os::rpm::header::Header;
    let h = Header::parse(blob, what).map_err(|e| e.to_string())?;
    let info = h.info(what).map_err(|e| e.to_string())?;
    let digests = h.strings(TAG_FILEDIGESTS).unwrap_or_default();
    let Some(algo) = rpm_algo(
        h.int32s(TAG_FILEDIGESTALGO)
            .and_then(|v| v.first().copied()),
    ) else {
        return Err(format!("{what}: unknown FILEDIGESTALGO"));
    };
    if digests.len() != info.files.len() {
        return Ok(0);
    }
    let pkg = format!("{} {}", info.name, info.evr());
    let mut n = 0;
    for (f, d) in info.files.iter().zip(&digests) {
        if d.is_empty() || f.contains(['\t', '\n']) {
            continue;
        }
        out.push_str(&format!("{f}\t{algo}:{d}\t{pkg}\n"));
        n += 1;
    }
    Ok(n)
}

/// Every header blob of an rpm database (any backend), with problems.
fn rpm_blobs(path: &str, data: &[u8]) -> Result<(Vec<Vec<u8>>, Vec<String>), String> {
    use sekisho_catalog::os::rpm::{Backend, bdb, ndb, sniff};
    match sniff(data) {
        Some(Backend::Ndb) => {
            let (b, p) = ndb::read_ndb(path, data).map_err(|e| e.to_string())?;
            Ok((b.into_iter().map(|(_, h)| h.to_vec()).collect(), p))
        }
        Some(Backend::Bdb) => {
            let (kv, p) = bdb::read_hash(path, data).map_err(|e| e.to_string())?;
            Ok((
                kv.into_iter()
                    .filter(|(k, _)| k.iter().any(|&b| b != 0))
                    .map(|(_, v)| v)
                    .collect(),
                p,
            ))
        }
        Some(Backend::Sqlite) => {
            let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
            let db = dir.path().join("rpmdb.sqlite");
            std::fs::write(&db, data).map_err(|e| format!("temporary copy: {e}"))?;
            let conn = rusqlite::Connection::open_with_flags(
                &db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| e.to_string())?;
            let mut st = conn
                .prepare("SELECT blob FROM Packages")
                .map_err(|e| e.to_string())?;
            let rows = st
                .query_map([], |r| r.get::<_, Vec<u8>>(0))
                .map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            for r in rows {
                out.push(r.map_err(|e| e.to_string())?);
                if out.len() > 200_000 {
                    return Err("more than 200000 packages".into());
                }
            }
            Ok((out, Vec::new()))
        }
        None => Err("not an rpm database (unknown magic)".into()),
    }
}

struct Md5sumsCapture;
impl Capture for Md5sumsCapture {
    fn id(&self) -> &'static str {
        CAPTURE_MD5SUMS
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file()
            && meta
                .path
                .strip_prefix(INFO)
                .is_some_and(|n| n.ends_with(".md5sums") && !n.contains('/'))
    }
    fn max_size(&self) -> u64 {
        MAX_TEXT
    }
}

/// Keeps `name\tversion` of every installed package of `var/lib/dpkg/status` (package versions
/// for the vendor verdicts when the package stage does not run).
struct DpkgStatusCapture;
impl Capture for DpkgStatusCapture {
    fn id(&self) -> &'static str {
        CAPTURE_DPKG_STATUS
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file() && meta.path == "var/lib/dpkg/status"
    }
    fn max_size(&self) -> u64 {
        MAX_TEXT
    }
    fn capture(&self, meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        r.take(MAX_TEXT + 1).read_to_end(&mut buf)?;
        let Ok((recs, _)) = sekisho_catalog::os::dpkg::parse_status(&meta.path, &buf) else {
            return Ok(None);
        };
        let mut out = String::new();
        for r in recs.iter().filter(|r| r.installed()) {
            out.push_str(&format!("{}\t{}\n", r.name, r.version));
        }
        Ok(Some(out.into_bytes()))
    }
}

struct RecordCapture;
impl Capture for RecordCapture {
    fn id(&self) -> &'static str {
        CAPTURE_RECORD
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file()
            && path::file_name(&meta.path) == "RECORD"
            && path::file_name(path::parent(&meta.path)).ends_with(".dist-info")
    }
    fn max_size(&self) -> u64 {
        MAX_TEXT
    }
}

/// Keeps `name\tversion` of a package.json under `node_modules/`.
struct NpmCapture;
impl Capture for NpmCapture {
    fn id(&self) -> &'static str {
        CAPTURE_NPM
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file() && npm_package_dir(&meta.path).is_some()
    }
    fn max_size(&self) -> u64 {
        4 << 20
    }
    fn capture(&self, _meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        r.take(self.max_size() + 1).read_to_end(&mut buf)?;
        #[derive(serde::Deserialize)]
        struct Pkg {
            name: Option<String>,
            version: Option<String>,
        }
        let Ok(p) = serde_json::from_slice::<Pkg>(&buf) else {
            return Ok(None);
        };
        Ok(match (p.name, p.version) {
            (Some(n), Some(v)) if !n.contains('\t') && !v.contains('\t') => {
                Some(format!("{n}\t{v}").into_bytes())
            }
            _ => None,
        })
    }
}

/// Parses the rpm database when it is captured; keeps `path\talgo:hex\tpackage` lines.
struct RpmCapture;
impl Capture for RpmCapture {
    fn id(&self) -> &'static str {
        CAPTURE_RPM
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file()
            && RPM_DIRS.iter().any(|d| {
                meta.path
                    .strip_prefix(d)
                    .is_some_and(|n| RPM_FILES.contains(&n))
            })
    }
    fn max_size(&self) -> u64 {
        MAX_RPMDB
    }
    fn capture(&self, meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::with_capacity(meta.size.min(MAX_RPMDB) as usize);
        r.take(MAX_RPMDB + 1).read_to_end(&mut buf)?;
        let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
        let (blobs, problems) = rpm_blobs(&meta.path, &buf).map_err(bad)?;
        drop(buf);
        let mut out = String::new();
        let mut failed = problems.len();
        for (i, b) in blobs.iter().enumerate() {
            if rpm_header_lines(b, &format!("{} header {i}", meta.path), &mut out).is_err() {
                failed += 1;
            }
        }
        if failed > 0 {
            out.push_str(&format!("#\t{failed} headers or records unreadable\n"));
        }
        Ok(Some(out.into_bytes()))
    }
}

/// The captures that collect package checksums; register them with the layer walk.
pub fn captures() -> Vec<Box<dyn Capture>> {
    vec![
        Box::new(Md5sumsCapture),
        Box::new(DpkgStatusCapture),
        Box::new(RecordCapture),
        Box::new(NpmCapture),
        Box::new(RpmCapture),
    ]
}

/// For `.../node_modules/NAME/package.json` or `.../node_modules/@SCOPE/NAME/package.json`: the
/// package directory.
fn npm_package_dir(p: &str) -> Option<&str> {
    let dir = p.strip_suffix("/package.json")?;
    let parent = path::parent(dir);
    if path::file_name(parent) == "node_modules" {
        return Some(dir);
    }
    (path::file_name(parent).starts_with('@')
        && path::file_name(path::parent(parent)) == "node_modules")
        .then_some(dir)
}

impl VendorIndex {
    /// Build the index from every captured version of the metadata (deleted ones too: a file
    /// of a package removed later is still that package's content in the layer that has it).
    pub fn from_inventory(inv: &Inventory) -> Self {
        let mut idx = Self::default();
        let mut versions: HashMap<String, String> = HashMap::new();
        for (c, _) in inv.history(sekisho_catalog::os::dpkg::CAPTURE_STATUS) {
            if let Ok((recs, _)) = sekisho_catalog::os::dpkg::parse_status(&c.meta.path, &c.data) {
                for r in recs {
                    versions.insert(r.name, r.version);
                }
            }
        }
        for (c, _) in inv.history(CAPTURE_DPKG_STATUS) {
            for l in String::from_utf8_lossy(&c.data).lines() {
                if let Some((n, v)) = l.split_once('\t') {
                    versions.insert(n.to_string(), v.to_string());
                }
            }
        }
        for (c, _) in inv.history(CAPTURE_MD5SUMS) {
            let stem = path::file_name(&c.meta.path)
                .strip_suffix(".md5sums")
                .unwrap_or_default();
            let name = stem.split(':').next().unwrap_or(stem);
            let pkg: Arc<str> = match versions.get(name) {
                Some(v) => format!("{name} {v}").into(),
                None => name.into(),
            };
            let (rows, bad) = parse_md5sums(&c.data);
            if bad > 0 {
                idx.notes.push(Note::new(
                    Some(c.layer),
                    c.meta.path.clone(),
                    format!("secret vendor index: {bad} malformed md5sums lines skipped"),
                ));
            }
            for (p, md5) in rows {
                idx.add(p, &pkg, FileDigest::Md5(md5));
            }
        }
        for (c, _) in inv.history(CAPTURE_RPM) {
            for line in String::from_utf8_lossy(&c.data).lines() {
                let mut it = line.splitn(3, '\t');
                let (Some(p), Some(d), Some(pkg)) = (it.next(), it.next(), it.next()) else {
                    continue;
                };
                if p == "#" {
                    idx.notes.push(Note::new(
                        Some(c.layer),
                        c.meta.path.clone(),
                        format!("secret vendor index: rpm database: {d} {pkg}"),
                    ));
                    continue;
                }
                let digest = match d.split_once(':') {
                    Some(("md5", h)) => {
                        hex_decode::<16>(h).map_or(FileDigest::None, FileDigest::Md5)
                    }
                    Some(("sha256", h)) => {
                        hex_decode::<32>(h).map_or(FileDigest::None, FileDigest::Sha256)
                    }
                    Some((a, _)) => FileDigest::Other(match a {
                        "sha1" => "sha1",
                        "sha384" => "sha384",
                        "sha512" => "sha512",
                        _ => "sha224",
                    }),
                    None => FileDigest::None,
                };
                let pkg: Arc<str> = pkg.into();
                idx.add(p.to_string(), &pkg, digest);
            }
        }
        for (c, _) in inv.history(CAPTURE_RECORD) {
            let dist = path::file_name(path::parent(&c.meta.path));
            let stem = dist.strip_suffix(".dist-info").unwrap_or(dist);
            let pkg: Arc<str> = match stem.split_once('-') {
                Some((n, v)) => format!("{n} {v}").into(),
                None => stem.into(),
            };
            let site = path::parent(path::parent(&c.meta.path));
            let (rows, bad) = parse_record(site, &c.data);
            if bad > 0 {
                idx.notes.push(Note::new(
                    Some(c.layer),
                    c.meta.path.clone(),
                    format!("secret vendor index: {bad} malformed RECORD rows skipped"),
                ));
            }
            for (p, d) in rows {
                idx.add(p, &pkg, d);
            }
        }
        for (c, _) in inv.history(CAPTURE_NPM) {
            let text = String::from_utf8_lossy(&c.data);
            let Some((n, v)) = text.split_once('\t') else {
                continue;
            };
            if let Some(dir) = npm_package_dir(&c.meta.path) {
                idx.npm_dirs
                    .insert(dir.to_string(), format!("{n} {v} (npm)").into());
            }
        }
        idx
    }

    fn add(&mut self, p: String, pkg: &Arc<str>, digest: FileDigest) {
        let v = self.files.entry(p).or_default();
        if v.len() < 16 {
            v.push(Owner {
                package: pkg.clone(),
                digest,
            });
        }
    }

    /// Files in the index (for summaries and tests).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.npm_dirs.is_empty()
    }

    /// Whether the file version at `p` with `digests` is vendor content.
    pub fn check(&self, p: &str, digests: Option<&Digests>) -> Option<Verdict> {
        if let Some(owners) = self.files.get(p) {
            let mut mismatch = false;
            let mut why = String::new();
            for o in owners {
                let (want, got): (&[u8], Option<&[u8]>) = match (&o.digest, digests) {
                    (FileDigest::Md5(w), d) => (w, d.map(|d| &d.md5[..])),
                    (FileDigest::Sha256(w), d) => (w, d.map(|d| &d.sha256[..])),
                    (FileDigest::Other(a), _) => {
                        why = format!(
                            "the package records a {a} checksum, which sekisho does not compute"
                        );
                        continue;
                    }
                    (FileDigest::None, _) => {
                        why = "the package records no checksum for it".into();
                        continue;
                    }
                };
                match got {
                    Some(g) if g == want => {
                        return Some(Verdict::Unchanged {
                            package: o.package.to_string(),
                        });
                    }
                    Some(_) => mismatch = true,
                    None => why = "the file's digest was not computed (read only in part)".into(),
                }
            }
            let package = owners[0].package.to_string();
            return Some(if mismatch {
                Verdict::Modified { package }
            } else {
                Verdict::Unverified { package, why }
            });
        }
        // npm: the nearest package directory above the file, not across a nested node_modules.
        let mut dir = path::parent(p);
        while !dir.is_empty() {
            if let Some(pkg) = self.npm_dirs.get(dir) {
                return Some(Verdict::Unverified {
                    package: pkg.to_string(),
                    why: "npm records no per-file checksums".into(),
                });
            }
            if path::file_name(dir) == "node_modules" {
                break;
            }
            dir = path::parent(dir);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5sums_lines() {
        let (rows, bad) = parse_md5sums(
            b"d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/x/README\n\
              0123456789abcdef0123456789abcdef *usr/bin/x\n\
              nothex  usr/y\n\
              d41d8cd98f00b204e9800998ecf8427e  ../../etc/shadow\n\n",
        );
        assert_eq!(bad, 1);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0, "usr/share/doc/x/README");
        assert_eq!(rows[2].0, "etc/shadow", "paths stay inside the root");
    }

    #[test]
    fn record_rows() {
        let d = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let rec = format!(
            "requests/__init__.py,sha256={d},4962\n\"odd,name.py\",sha256={d},1\n\
             requests-2.31.0.dist-info/RECORD,,\n../../../bin/tool,sha256={d},9\nbad,md5=xx,1\n"
        );
        let (rows, bad) = parse_record("usr/lib/python3/dist-packages", rec.as_bytes());
        assert_eq!(bad, 1);
        assert_eq!(
            rows[0],
            (
                "usr/lib/python3/dist-packages/requests/__init__.py".into(),
                FileDigest::Sha256([7; 32])
            )
        );
        assert_eq!(rows[1].0, "usr/lib/python3/dist-packages/odd,name.py");
        assert_eq!(rows[2].1, FileDigest::None);
        assert_eq!(rows[3].0, "usr/bin/tool");
    }

    /// Debian's python3 packages write the digest in hex; both forms are read.
    #[test]
    fn record_rows_with_hex_digests() {
        let rec = "charset_normalizer/md.py,sha256=81d82100b00385775ecc8abc6bcbc31ef183bb2246afcecba36c57ec24b50d42,27664\n\
                   x.py,sha256=81d82100b00385775ecc8abc6bcbc31ef183bb2246afcecba36c57ec24b50d4,1\n";
        let (rows, bad) = parse_record("usr/lib/python3/dist-packages", rec.as_bytes());
        assert_eq!(bad, 1, "63 hex digits are neither form");
        let FileDigest::Sha256(d) = rows[0].1 else {
            panic!("{:?}", rows[0]);
        };
        assert_eq!(d[0], 0x81);
        assert_eq!(d[31], 0x42);
    }

    #[test]
    fn npm_dirs() {
        assert_eq!(
            npm_package_dir("app/node_modules/lodash/package.json"),
            Some("app/node_modules/lodash")
        );
        assert_eq!(
            npm_package_dir("node_modules/@aws-sdk/core/package.json"),
            Some("node_modules/@aws-sdk/core")
        );
        assert_eq!(
            npm_package_dir("app/node_modules/lodash/sub/package.json"),
            None
        );
        assert_eq!(npm_package_dir("app/package.json"), None);
    }

    #[test]
    fn verdicts() {
        let mut idx = VendorIndex::default();
        let pkg: Arc<str> = "libfoo 1.0-1".into();
        let content = b"example".to_vec();
        let md5: [u8; 16] = {
            use md5::Digest as _;
            md5::Md5::digest(&content).into()
        };
        idx.add(
            "usr/share/doc/foo/README".into(),
            &pkg,
            FileDigest::Md5(md5),
        );
        idx.npm_dirs.insert(
            "app/node_modules/aws-sdk".into(),
            "aws-sdk 2.0.0 (npm)".into(),
        );
        let d = |b: &[u8]| {
            use md5::Digest as _;
            Digests {
                md5: md5::Md5::digest(b).into(),
                sha256: sha2::Sha256::digest(b).into(),
            }
        };
        assert_eq!(
            idx.check("usr/share/doc/foo/README", Some(&d(&content))),
            Some(Verdict::Unchanged {
                package: "libfoo 1.0-1".into()
            })
        );
        assert_eq!(
            idx.check("usr/share/doc/foo/README", Some(&d(b"changed"))),
            Some(Verdict::Modified {
                package: "libfoo 1.0-1".into()
            })
        );
        assert!(matches!(
            idx.check("usr/share/doc/foo/README", None),
            Some(Verdict::Unverified { .. })
        ));
        assert!(matches!(
            idx.check("app/node_modules/aws-sdk/README.md", None),
            Some(Verdict::Unverified { .. })
        ));
        assert_eq!(
            idx.check("app/node_modules/aws-sdk/node_modules/x/y.js", None),
            None
        );
        assert_eq!(idx.check("etc/app.env", None), None);
    }
}
