//! Python packages: installed distributions and lockfiles.
//!
//! Installed:
//! - wheels install a `NAME-VERSION.dist-info/` directory whose `METADATA` is in the Core
//!   Metadata format (<https://packaging.python.org/en/latest/specifications/core-metadata/>,
//!   RFC 822 style headers) and whose `RECORD` lists the installed files
//!   (<https://packaging.python.org/en/latest/specifications/recording-installed-packages/>);
//! - setuptools installs `NAME.egg-info/PKG-INFO` (a directory) or a single `NAME.egg-info`
//!   file, with `installed-files.txt` when pip installed it; eggs (`.egg` zip files) carry
//!   `EGG-INFO/PKG-INFO`.
//!
//! Lockfiles: `requirements*.txt` (only `==`/`===` pins are exact; everything else is reported
//! in a note), `poetry.lock`, `Pipfile.lock`, `uv.lock`, `pdm.lock` and `pylock.toml` (PEP 751).
//!
//! Names are kept as the metadata spells them; purls use the PEP 503 normalised name, which is
//! what matching should compare on.

use std::collections::BTreeMap;
use std::io::{self, Read};

use sekisho_artifact::{Capture, EntryMeta, Inventory, Note};
use serde::Deserialize;

use super::{
    FileCapture, LangError, MAX_TEXT_FILE, Parsed, emit, file_name, join, package, parent, toml_doc,
};
use crate::cataloger::{Cataloger, Context};
use crate::model::{Catalog, Package, PackageKind};

const METADATA: &str = "python-metadata";
const RECORD: &str = "python-record";
const EGG: &str = "python-egg";
const LOCK: &str = "python-lock";

/// Most files taken from one RECORD / installed-files.txt.
const MAX_RECORD_FILES: usize = 100_000;
/// Largest `.egg` zip read.
const MAX_EGG: u64 = 64 << 20;

fn wants_metadata(path: &str) -> bool {
    let dir = file_name(parent(path));
    let name = file_name(path);
    (name == "METADATA" && dir.ends_with(".dist-info"))
        || (name == "PKG-INFO" && (dir.ends_with(".egg-info") || dir == "EGG-INFO"))
        || name.ends_with(".egg-info")
}

fn wants_record(path: &str) -> bool {
    let dir = file_name(parent(path));
    let name = file_name(path);
    (name == "RECORD" && dir.ends_with(".dist-info"))
        || (name == "installed-files.txt" && dir.ends_with(".egg-info"))
}

fn wants_egg(path: &str) -> bool {
    path.ends_with(".egg")
}

/// A parser of one lockfile format.
pub type Parser = fn(&str, &[u8]) -> Result<Parsed, LangError>;

/// Which lockfile parser reads `path`, if any.
pub fn lockfile_parser(path: &str) -> Option<Parser> {
    let name = file_name(path);
    Some(match name {
        "poetry.lock" => parse_poetry_lock,
        "Pipfile.lock" => parse_pipfile_lock,
        "uv.lock" => parse_uv_lock,
        "pdm.lock" => parse_pdm_lock,
        "pylock.toml" => parse_pylock,
        _ if name.starts_with("pylock.") && name.ends_with(".toml") => parse_pylock,
        _ if name.starts_with("requirements") && name.ends_with(".txt") => parse_requirements,
        _ => return None,
    })
}

/// Python: installed distributions and lockfiles.
pub struct PythonCataloger;

struct EggCapture;

impl Capture for EggCapture {
    fn id(&self) -> &'static str {
        EGG
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file() && wants_egg(&meta.path)
    }
    fn max_size(&self) -> u64 {
        MAX_EGG
    }
    fn capture(&self, meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        r.take(MAX_EGG + 1).read_to_end(&mut buf)?;
        match egg_pkg_info(&buf) {
            Ok(Some(info)) => Ok(Some(info)),
            Ok(None) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: egg without EGG-INFO/PKG-INFO", meta.path),
            )),
            Err(e) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a readable egg: {e}", meta.path),
            )),
        }
    }
}

/// `EGG-INFO/PKG-INFO` from an egg (a zip file), if present.
pub fn egg_pkg_info(data: &[u8]) -> Result<Option<Vec<u8>>, zip::result::ZipError> {
    let mut z = zip::ZipArchive::new(io::Cursor::new(data))?;
    let Ok(f) = z.by_name("EGG-INFO/PKG-INFO") else {
        return Ok(None);
    };
    let mut out = Vec::new();
    f.take(MAX_TEXT_FILE).read_to_end(&mut out)?;
    Ok(Some(out))
}

impl Cataloger for PythonCataloger {
    fn name(&self) -> &'static str {
        "python"
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        vec![
            Box::new(FileCapture {
                id: METADATA,
                wants: wants_metadata,
                max: MAX_TEXT_FILE,
            }),
            Box::new(FileCapture {
                id: RECORD,
                wants: wants_record,
                max: MAX_TEXT_FILE,
            }),
            Box::new(EggCapture),
            Box::new(FileCapture {
                id: LOCK,
                wants: |p| lockfile_parser(p).is_some(),
                max: MAX_TEXT_FILE,
            }),
        ]
    }
    fn catalog(&self, inv: &Inventory, _ctx: &Context, out: &mut Catalog) {
        for c in inv.visible(METADATA).chain(inv.visible(EGG)) {
            let mut res = parse_metadata(&c.meta.path, &c.data);
            if let Ok(parsed) = &mut res {
                for p in &mut parsed.packages {
                    p.files = installed_files(inv, &c.meta.path, out);
                }
            }
            emit("python", c, res, out);
        }
        for c in inv.visible(LOCK) {
            if let Some(parse) = lockfile_parser(&c.meta.path) {
                emit("python", c, parse(&c.meta.path, &c.data), out);
            }
        }
    }
}

/// The files an installed distribution owns: its metadata file plus what RECORD (dist-info) or
/// installed-files.txt (egg-info) lists, as normalised paths.
fn installed_files(inv: &Inventory, metadata_path: &str, out: &mut Catalog) -> Vec<String> {
    let mut files = vec![metadata_path.to_string()];
    let dir = parent(metadata_path);
    let (list, base) = if file_name(dir).ends_with(".dist-info") {
        (format!("{dir}/RECORD"), parent(dir).to_string())
    } else if file_name(dir).ends_with(".egg-info") {
        (format!("{dir}/installed-files.txt"), dir.to_string())
    } else {
        return files;
    };
    let Some(c) = inv.get(RECORD, &list) else {
        return files;
    };
    let text = String::from_utf8_lossy(&c.data);
    let rels = if list.ends_with("RECORD") {
        record_paths(&text)
    } else {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    if rels.len() > MAX_RECORD_FILES {
        out.notes.push(Note::new(
            Some(c.layer),
            list.clone(),
            format!(
                "python: only the first {MAX_RECORD_FILES} of {} owned files kept",
                rels.len()
            ),
        ));
    }
    files.extend(
        rels.iter()
            .take(MAX_RECORD_FILES)
            .filter_map(|r| join(&base, r)),
    );
    files.sort();
    files.dedup();
    files
}

/// The first CSV column of each RECORD row (quoted with `"` when it holds a comma).
pub fn record_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let path = if let Some(rest) = line.strip_prefix('"') {
            let mut s = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(ch) = chars.next() {
                if ch == '"' {
                    if chars.peek() == Some(&'"') {
                        s.push('"');
                        chars.next();
                    } else {
                        break;
                    }
                } else {
                    s.push(ch);
                }
            }
            s
        } else {
            line.split(',').next().unwrap_or("").to_string()
        };
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

/// Parse Core Metadata headers (`METADATA`, `PKG-INFO`): name, version and declared licenses.
pub fn parse_metadata(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "Python core metadata";
    let text = super::text(path, F, data)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // the body (long description) starts here
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        } else if headers.is_empty() {
            return Err(LangError::invalid(path, F, "no header lines"));
        }
    }
    let get = |k: &str| {
        headers
            .iter()
            .find(|(h, v)| h == k && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let name = get("name").ok_or_else(|| LangError::invalid(path, F, "no Name header"))?;
    let version = get("version").ok_or_else(|| LangError::invalid(path, F, "no Version header"))?;
    let mut p = package(PackageKind::Python, name, version);
    if let Some(expr) = get("license-expression") {
        p.licenses.push(expr.to_string());
    } else if let Some(l) = get("license")
        .filter(|l| !l.eq_ignore_ascii_case("UNKNOWN") && !l.contains('\n') && l.len() <= 200)
    {
        p.licenses.push(l.to_string());
    } else {
        for (h, v) in &headers {
            if h == "classifier"
                && let Some(rest) = v.strip_prefix("License ::")
            {
                let last = rest.rsplit("::").next().unwrap_or(rest).trim();
                if !last.is_empty() && last != "OSI Approved" {
                    p.licenses.push(last.to_string());
                }
            }
        }
    }
    Ok(Parsed {
        packages: vec![p],
        notes: Vec::new(),
    })
}

fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

fn valid_pin(v: &str) -> bool {
    !v.is_empty()
        && v.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'!' | b'+' | b'-' | b'_'))
}

/// `requirements*.txt`: pip requirement lines pinned with `==` (or `===`). Other lines
/// (ranges, wildcards, URLs, editable installs, `-r` includes) are listed in a note, never
/// silently dropped.
pub fn parse_requirements(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "pip requirements file";
    let text = super::text(path, F, data)?;
    let mut out = Parsed::default();
    let mut unpinned: Vec<String> = Vec::new();
    let mut includes: Vec<String> = Vec::new();
    let mut logical = String::new();
    let mut lines: Vec<String> = Vec::new();
    for raw in text.lines() {
        let raw = raw.trim_end_matches('\r');
        if let Some(cont) = raw.strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(raw);
        lines.push(std::mem::take(&mut logical));
    }
    if !logical.is_empty() {
        lines.push(logical);
    }
    for line in lines {
        // A comment starts at `#` at line start or after whitespace; pip also ends a requirement
        // at a `#` glued to it in practice (`Jinja2==3.0.0#comment`).
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('-') {
            let opt = line.split_whitespace().next().unwrap_or(line);
            if matches!(
                opt,
                "-r" | "--requirement" | "-c" | "--constraint" | "-e" | "--editable"
            ) || opt.starts_with("--requirement=")
                || opt.starts_with("--constraint=")
            {
                includes.push(line.to_string());
            }
            continue; // index options (--index-url, --hash on its own line) carry no package
        }
        // Drop per-requirement options (`--hash=...`) and environment markers.
        let req = line.split(" --").next().unwrap_or(line);
        let req = req.split(';').next().unwrap_or(req).trim();
        let spec = req.find("==").map(|i| (&req[..i], &req[i..]));
        let Some((name_part, rest)) = spec else {
            unpinned.push(req.to_string());
            continue;
        };
        let version = rest.trim_start_matches('=').trim();
        let name = name_part.split('[').next().unwrap_or(name_part).trim();
        if !valid_name(name) || !valid_pin(version) {
            unpinned.push(req.to_string());
            continue;
        }
        out.packages
            .push(package(PackageKind::Python, name, version));
    }
    if !unpinned.is_empty() {
        out.notes.push(format!(
            "{} requirement(s) not pinned to one version with ==, not reported: {}",
            unpinned.len(),
            truncate_list(&unpinned)
        ));
    }
    if !includes.is_empty() {
        out.notes.push(format!(
            "requirement includes/editables not followed: {}",
            truncate_list(&includes)
        ));
    }
    Ok(out)
}

fn truncate_list(items: &[String]) -> String {
    let mut s = items
        .iter()
        .take(10)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 10 {
        s.push_str(&format!(", … ({} more)", items.len() - 10));
    }
    s
}

#[derive(Deserialize)]
struct TomlPackages {
    #[serde(default)]
    package: Vec<TomlPackage>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    source: Option<toml::Value>,
}

fn from_toml_packages(
    path: &str,
    f: &'static str,
    pkgs: Vec<TomlPackage>,
    skip_local_root: bool,
) -> Result<Parsed, LangError> {
    let mut out = Parsed::default();
    let mut no_version = Vec::new();
    for (i, p) in pkgs.into_iter().enumerate() {
        let Some(name) = p.name.filter(|n| !n.is_empty()) else {
            return Err(LangError::invalid(
                path,
                f,
                format!("package #{i} has no name"),
            ));
        };
        if skip_local_root {
            // uv: the project itself (and workspace members) are `virtual`/`editable` sources.
            if let Some(toml::Value::Table(t)) = &p.source
                && (t.contains_key("virtual") || t.contains_key("editable"))
            {
                continue;
            }
        }
        match p.version.filter(|v| !v.is_empty()) {
            Some(v) => out.packages.push(package(PackageKind::Python, &name, &v)),
            None => no_version.push(name),
        }
    }
    if !no_version.is_empty() {
        out.notes.push(format!(
            "{} package(s) without a version, not reported: {}",
            no_version.len(),
            truncate_list(&no_version)
        ));
    }
    Ok(out)
}

/// `poetry.lock` (TOML, `[[package]]` tables with `name` and `version`).
pub fn parse_poetry_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "poetry.lock";
    let doc: TomlPackages = toml_doc(path, F, data)?;
    from_toml_packages(path, F, doc.package, false)
}

/// `pdm.lock` (TOML, `[[package]]` tables).
pub fn parse_pdm_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "pdm.lock";
    let doc: TomlPackages = toml_doc(path, F, data)?;
    from_toml_packages(path, F, doc.package, false)
}

/// `uv.lock` (TOML, `version = 1`, `[[package]]` tables; the project itself has a `virtual` or
/// `editable` source and is not a dependency).
pub fn parse_uv_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "uv.lock";
    #[derive(Deserialize)]
    struct Uv {
        version: Option<i64>,
        #[serde(default)]
        package: Vec<TomlPackage>,
    }
    let doc: Uv = toml_doc(path, F, data)?;
    if let Some(v) = doc.version
        && v != 1
    {
        return Err(LangError::unsupported(
            path,
            F,
            format!("lockfile version {v}"),
        ));
    }
    from_toml_packages(path, F, doc.package, true)
}

/// `pylock.toml` (PEP 751: `lock-version = "1.0"`, `[[packages]]`).
pub fn parse_pylock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "pylock.toml";
    #[derive(Deserialize)]
    struct Pylock {
        #[serde(rename = "lock-version")]
        lock_version: Option<String>,
        #[serde(default)]
        packages: Vec<TomlPackage>,
    }
    let doc: Pylock = toml_doc(path, F, data)?;
    match doc.lock_version.as_deref() {
        Some(v) if v.starts_with("1.") || v == "1" => {}
        Some(v) => return Err(LangError::unsupported(path, F, format!("lock-version {v}"))),
        None => return Err(LangError::invalid(path, F, "no lock-version")),
    }
    from_toml_packages(path, F, doc.packages, false)
}

/// `Pipfile.lock` (JSON: `default` and `develop` maps of name → `{ "version": "==1.2.3" }`).
pub fn parse_pipfile_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "Pipfile.lock";
    #[derive(Deserialize)]
    struct Entry {
        version: Option<String>,
    }
    #[derive(Deserialize)]
    struct Lock {
        #[serde(rename = "_meta")]
        meta: Option<serde_json::Value>,
        #[serde(default)]
        default: BTreeMap<String, Entry>,
        #[serde(default)]
        develop: BTreeMap<String, Entry>,
    }
    let doc: Lock = super::json(path, F, data)?;
    if doc.meta.is_none() && doc.default.is_empty() && doc.develop.is_empty() {
        return Err(LangError::invalid(path, F, "no _meta, default or develop"));
    }
    let mut out = Parsed::default();
    let mut unpinned = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (name, e) in doc.default.iter().chain(doc.develop.iter()) {
        match e.version.as_deref().and_then(|v| v.strip_prefix("==")) {
            Some(v) if valid_pin(v) => {
                if seen.insert((name.clone(), v.to_string())) {
                    out.packages.push(package(PackageKind::Python, name, v));
                }
            }
            _ => unpinned.push(name.clone()),
        }
    }
    if !unpinned.is_empty() {
        out.notes.push(format!(
            "{} package(s) without an == version (VCS/path/editable), not reported: {}",
            unpinned.len(),
            truncate_list(&unpinned)
        ));
    }
    Ok(out)
}

/// Convenience for tests and tools: the packages of one installed distribution.
pub fn installed(path: &str, data: &[u8]) -> Result<Vec<Package>, LangError> {
    parse_metadata(path, data).map(|p| p.packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_headers_and_licenses() {
        let m = b"Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.2\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n\nName: body\n";
        let p = parse_metadata("x/METADATA", m).unwrap().packages;
        assert_eq!(p[0].name, "Foo_Bar");
        assert_eq!(p[0].purl, "pkg:pypi/foo-bar@1.2");
        assert_eq!(p[0].licenses, vec!["MIT License"]);
        assert!(
            parse_metadata("x/METADATA", b"Name: a\n")
                .unwrap_err()
                .to_string()
                .contains("x/METADATA")
        );
    }

    #[test]
    fn requirements_pins_only() {
        let r = b"a==1.0 \\\n  --hash=sha256:x\nb>=2\nc[x]==3 ; python_version<'3'\n-r other.txt\nd==4.*\n";
        let p = parse_requirements("requirements.txt", r).unwrap();
        let names: Vec<_> = p
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(names, vec![("a", "1.0"), ("c", "3")]);
        assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
        assert!(p.notes[0].contains("b>=2") && p.notes[0].contains("d==4.*"));
    }

    #[test]
    fn record_csv() {
        assert_eq!(
            record_paths("a/b.py,sha256=x,1\n\"a,b.py\",,\n"),
            vec!["a/b.py", "a,b.py"]
        );
    }
}
