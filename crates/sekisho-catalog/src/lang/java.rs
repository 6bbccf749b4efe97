//! Java: Maven artifacts inside `.jar`/`.war`/`.ear` archives (nested archives included), and
//! Gradle dependency lockfiles.
//!
//! Archives are zip files (<https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT>). Maven
//! writes `META-INF/maven/GROUP/ARTIFACT/pom.properties` (`groupId`, `artifactId`, `version`) into
//! every artifact it builds, and shading/uber-jar plugins keep those of the bundled artifacts.
//! When an archive has none, the JAR manifest (`META-INF/MANIFEST.MF`, see the JAR File
//! Specification) and the file name (`name-1.2.3.jar`) give a best guess. Nested archives
//! (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, jars in an ear) are opened in memory, with caps on
//! depth, entry counts and inflated sizes.
//!
//! The capture keeps only the extracted coordinates (JSON), never the archive.
//!
//! `gradle.lockfile` (Gradle dependency locking): one `group:artifact:version=configurations`
//! line per dependency, `empty=…` and comments aside.

use std::io::{self, Cursor, Read};

use sekisho_artifact::{Capture, EntryMeta, Inventory};
use serde::{Deserialize, Serialize};

use super::{Format, LangError, Parsed, SimpleCataloger, emit, file_name, package, parent};
use crate::cataloger::{Cataloger, Context};
use crate::model::{Catalog, PackageKind};

const ARCHIVE: &str = "java-archive";
/// Largest top-level archive read.
pub const MAX_ARCHIVE: u64 = 256 << 20;
/// Largest nested archive inflated into memory.
pub const MAX_NESTED: u64 = 128 << 20;
/// Total bytes inflated from nested archives of one top-level archive.
pub const MAX_TOTAL_INFLATED: u64 = 512 << 20;
/// Deepest archive nesting followed (the top-level archive is depth 0).
pub const MAX_DEPTH: usize = 4;
/// Most entries looked at in one archive.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest `pom.properties` / `MANIFEST.MF` read.
const MAX_META: u64 = 1 << 20;

static FORMATS: &[Format] = &[Format {
    capture: "java-gradle-lock",
    wants: wants_gradle_lock,
    parse: parse_gradle_lock,
}];

fn wants_gradle_lock(path: &str) -> bool {
    let name = file_name(path);
    name.ends_with("gradle.lockfile")
        || (name.ends_with(".lockfile") && parent(path).ends_with("gradle/dependency-locks"))
}

fn is_archive_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        ".jar", ".war", ".ear", ".par", ".sar", ".jpi", ".hpi", ".kar",
    ]
    .iter()
    .any(|e| n.ends_with(e))
}

/// One artifact found in an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// `archive.war!/WEB-INF/lib/x.jar` style location inside the top-level archive.
    pub location: String,
    pub group: Option<String>,
    pub artifact: String,
    pub version: String,
    /// `pom.properties` or `manifest`.
    pub from: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
}

/// What the capture keeps for one archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveScan {
    pub artifacts: Vec<Artifact>,
    /// Problems inside the archive (unreadable nested archive, caps hit, no version).
    pub notes: Vec<String>,
}

struct ArchiveCapture;

impl Capture for ArchiveCapture {
    fn id(&self) -> &'static str {
        ARCHIVE
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file() && is_archive_name(file_name(&meta.path))
    }
    fn max_size(&self) -> u64 {
        MAX_ARCHIVE
    }
    fn capture(&self, meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::with_capacity(meta.size.min(MAX_ARCHIVE) as usize);
        r.take(MAX_ARCHIVE + 1).read_to_end(&mut buf)?;
        if buf.len() as u64 > MAX_ARCHIVE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("larger than the {MAX_ARCHIVE} byte archive limit"),
            ));
        }
        let scan = scan_archive(&meta.path, &buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        serde_json::to_vec(&scan)
            .map(Some)
            .map_err(io::Error::other)
    }
}

/// Scan an archive (its bytes) for Maven coordinates, following nested archives.
///
/// # Errors
/// When the top-level archive is not a readable zip.
pub fn scan_archive(path: &str, data: &[u8]) -> Result<ArchiveScan, LangError> {
    let mut scan = ArchiveScan::default();
    let mut budget = MAX_TOTAL_INFLATED;
    scan_one(path, file_name(path), data, 0, &mut budget, &mut scan)
        .map_err(|e| LangError::invalid(path, "Java archive", e))?;
    Ok(scan)
}

fn read_entry(f: &mut zip::read::ZipFile<'_, Cursor<&[u8]>>, cap: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(f.size().min(cap) as usize);
    f.take(cap + 1).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("inflates past the {cap} byte limit"),
        ));
    }
    Ok(out)
}

fn scan_one(
    location: &str,
    file: &str,
    data: &[u8],
    depth: usize,
    budget: &mut u64,
    scan: &mut ArchiveScan,
) -> Result<(), String> {
    let mut z = zip::ZipArchive::new(Cursor::new(data)).map_err(|e| e.to_string())?;
    let n = z.len();
    if n > MAX_ENTRIES {
        scan.notes.push(format!(
            "{location}: only the first {MAX_ENTRIES} of {n} entries read"
        ));
    }
    let mut poms: Vec<Artifact> = Vec::new();
    let mut manifest: Option<Vec<(String, String)>> = None;
    let mut nested: Vec<usize> = Vec::new();
    for i in 0..n.min(MAX_ENTRIES) {
        let mut f = match z.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                scan.notes
                    .push(format!("{location}: entry #{i} unreadable: {e}"));
                continue;
            }
        };
        if f.is_dir() {
            continue;
        }
        let name = f.name().to_string();
        if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
            match read_entry(&mut f, MAX_META) {
                Ok(b) => {
                    let props = properties(&String::from_utf8_lossy(&b));
                    let get = |k: &str| {
                        props
                            .iter()
                            .find(|(a, _)| a == k)
                            .map(|(_, v)| v.clone())
                            .filter(|v| !v.is_empty())
                    };
                    match (get("groupId"), get("artifactId"), get("version")) {
                        (Some(g), Some(a), Some(v)) => poms.push(Artifact {
                            location: location.to_string(),
                            group: Some(g),
                            artifact: a,
                            version: v,
                            from: "pom.properties".into(),
                            licenses: Vec::new(),
                        }),
                        _ => scan.notes.push(format!(
                            "{location}!/{name}: pom.properties without groupId/artifactId/version"
                        )),
                    }
                }
                Err(e) => scan.notes.push(format!("{location}!/{name}: {e}")),
            }
        } else if name == "META-INF/MANIFEST.MF" {
            match read_entry(&mut f, MAX_META) {
                Ok(b) => manifest = Some(manifest_attrs(&String::from_utf8_lossy(&b))),
                Err(e) => scan.notes.push(format!("{location}!/{name}: {e}")),
            }
        } else if is_archive_name(&name) {
            nested.push(i);
        }
    }
    if poms.is_empty() {
        // Best guess from the manifest and the file name.
        let attrs = manifest.unwrap_or_default();
        let get = |k: &str| {
            attrs
                .iter()
                .find(|(a, _)| a.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let (fname_artifact, fname_version) = split_file_name(file);
        let version = get("Implementation-Version")
            .or_else(|| get("Bundle-Version"))
            .or(fname_version);
        let artifact = fname_artifact
            .or_else(|| get("Implementation-Title"))
            .unwrap_or_default();
        let group = get("Implementation-Vendor-Id");
        match version {
            Some(v) if !artifact.is_empty() => {
                let licenses = get("Bundle-License").into_iter().collect();
                scan.artifacts.push(Artifact {
                    location: location.to_string(),
                    group,
                    artifact,
                    version: v,
                    from: "manifest".into(),
                    licenses,
                });
            }
            _ => scan.notes.push(format!(
                "{location}: no pom.properties and no version in the manifest or file name; not reported"
            )),
        }
    } else {
        scan.artifacts.extend(poms);
    }
    if depth >= MAX_DEPTH {
        if !nested.is_empty() {
            scan.notes.push(format!(
                "{location}: {} nested archive(s) beyond depth {MAX_DEPTH} not read",
                nested.len()
            ));
        }
        return Ok(());
    }
    for i in nested {
        let Ok(mut f) = z.by_index(i) else { continue };
        let name = f.name().to_string();
        let inner_loc = format!("{location}!/{name}");
        let cap = MAX_NESTED.min(*budget);
        match read_entry(&mut f, cap) {
            Ok(b) => {
                *budget = budget.saturating_sub(b.len() as u64);
                drop(f);
                if let Err(e) = scan_one(&inner_loc, file_name(&name), &b, depth + 1, budget, scan)
                {
                    scan.notes
                        .push(format!("{inner_loc}: not a readable archive: {e}"));
                }
            }
            Err(e) => scan.notes.push(format!("{inner_loc}: not read: {e}")),
        }
    }
    Ok(())
}

/// `name-1.2.3.jar` → (`name`, `1.2.3`): the version starts at the first `-` followed by a digit.
pub fn split_file_name(file: &str) -> (Option<String>, Option<String>) {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let bytes = stem.as_bytes();
    let mut cut = None;
    for i in (1..bytes.len()).rev() {
        if bytes[i - 1] == b'-' && bytes[i].is_ascii_digit() {
            cut = Some(i - 1);
        }
    }
    match cut {
        Some(i) => (Some(stem[..i].to_string()), Some(stem[i + 1..].to_string())),
        None if !stem.is_empty() => (Some(stem.to_string()), None),
        None => (None, None),
    }
}

/// Java `.properties` key/values (the subset Maven writes: `key=value`, `#` comments).
fn properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(['#', '!']))
        .filter_map(|l| {
            let i = l.find(['=', ':'])?;
            Some((l[..i].trim().to_string(), l[i + 1..].trim().to_string()))
        })
        .collect()
}

/// Main-section attributes of a JAR manifest (continuation lines start with one space).
fn manifest_attrs(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // end of the main section
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some((_, v)) = out.last_mut() {
                v.push_str(cont);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// Java: archives and Gradle lockfiles.
pub struct JavaCataloger;

impl Cataloger for JavaCataloger {
    fn name(&self) -> &'static str {
        "java"
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        let mut v = SimpleCataloger {
            name: "java",
            formats: FORMATS,
        }
        .captures();
        v.push(Box::new(ArchiveCapture));
        v
    }
    fn catalog(&self, inv: &Inventory, ctx: &Context, out: &mut Catalog) {
        SimpleCataloger {
            name: "java",
            formats: FORMATS,
        }
        .catalog(inv, ctx, out);
        for c in inv.visible(ARCHIVE) {
            let res = serde_json::from_slice::<ArchiveScan>(&c.data)
                .map_err(|e| LangError::invalid(&c.meta.path, "Java archive scan", e))
                .map(|s| archive_packages(&c.meta.path, s));
            emit("java", c, res, out);
        }
    }
}

/// Turn an archive scan into packages (Maven names are `group:artifact`).
pub fn archive_packages(path: &str, scan: ArchiveScan) -> Parsed {
    let mut out = Parsed {
        packages: Vec::new(),
        notes: scan.notes,
    };
    let mut seen = std::collections::BTreeSet::new();
    for a in scan.artifacts {
        let name = match &a.group {
            Some(g) => format!("{g}:{}", a.artifact),
            None => a.artifact.clone(),
        };
        if !seen.insert((name.clone(), a.version.clone())) {
            continue;
        }
        if a.group.is_none() {
            out.notes.push(format!(
                "{}: groupId unknown (no pom.properties); reported as {name}",
                a.location
            ));
        }
        let mut p = package(PackageKind::Java, &name, &a.version);
        p.licenses = a.licenses;
        p.files = vec![path.to_string()];
        out.packages.push(p);
    }
    out
}

/// For the fuzzer and tests: packages from an archive's bytes.
pub fn parse_archive(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    scan_archive(path, data).map(|s| archive_packages(path, s))
}

/// `gradle.lockfile`.
pub fn parse_gradle_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "gradle.lockfile";
    let text = super::text(path, F, data)?;
    let mut out = Parsed::default();
    let mut bad = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with("empty=") {
            continue;
        }
        let coords = l.split('=').next().unwrap_or(l);
        let f: Vec<&str> = coords.split(':').collect();
        if f.len() == 3 && f.iter().all(|x| !x.is_empty() && !x.contains(' ')) {
            out.packages.push(package(
                PackageKind::Java,
                &format!("{}:{}", f[0], f[1]),
                f[2],
            ));
        } else {
            bad.push(l.to_string());
        }
    }
    if !bad.is_empty() {
        out.notes.push(format!(
            "{} line(s) not of the form group:artifact:version, not reported: {}",
            bad.len(),
            bad.iter().take(10).cloned().collect::<Vec<_>>().join(" | ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            split_file_name("commons-io-2.6.jar"),
            (Some("commons-io".into()), Some("2.6".into()))
        );
        assert_eq!(
            split_file_name("log4j-core-2.14.1-SNAPSHOT.jar"),
            (Some("log4j-core".into()), Some("2.14.1-SNAPSHOT".into()))
        );
        assert_eq!(split_file_name("app.jar"), (Some("app".into()), None));
    }

    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn nested_archives_and_manifest_fallback() {
        let inner = zip(&[(
            "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
            b"#Generated\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n",
        )]);
        let bare = zip(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\r\nImplementation-Version: 3.2\r\nImplementation-Vendor-Id: com.example\r\n\r\n",
        )]);
        let war = zip(&[
            ("WEB-INF/lib/log4j-core-2.14.1.jar", &inner),
            ("WEB-INF/lib/widget-3.2.jar", &bare),
            ("WEB-INF/lib/broken.jar", b"not a zip"),
        ]);
        let p = parse_archive("srv/app.war", &war).unwrap();
        let got: Vec<_> = p
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.purl.as_str()))
            .collect();
        assert!(got.contains(&(
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        )));
        assert!(got.contains(&(
            "com.example:widget",
            "3.2",
            "pkg:maven/com.example/widget@3.2"
        )));
        // The war itself has no coordinates and the broken jar is unreadable: both noted.
        assert!(
            p.notes.iter().any(|n| n.contains("broken.jar")),
            "{:?}",
            p.notes
        );
        assert!(
            p.notes.iter().any(|n| n.starts_with("srv/app.war:")),
            "{:?}",
            p.notes
        );
        assert!(parse_archive("x.jar", b"PK\x03\x04junk").is_err());
    }
}
