//! Language-ecosystem catalogers: packages installed by language package managers (pip, npm,
//! gem, composer, Maven jars, Go and Rust binaries) and packages pinned by lockfiles in source
//! trees.
//!
//! Every format has a pure parser, `parse_*(path, bytes) -> Result<Parsed, LangError>`, that the
//! catalogers, the fuzz targets and the fixture tests share. A cataloger captures the files it
//! wants (by path, cheaply), parses the visible versions after the walk and turns each result into
//! a [`Package`] carrying the file it came from and the layer that wrote that file. Anything a
//! parser does not understand — a corrupt lockfile, an unknown lockfile version, an unpinned
//! requirement — becomes a [`Note`] naming the file and the reason: a scan never silently lists
//! fewer packages.
//!
//! Ecosystem names follow the OSV schema's list (`PyPI`, `npm`, `crates.io`, `Go`, `Maven`,
//! `RubyGems`, `Packagist`, `NuGet`); purls follow the purl-spec type definitions.

pub mod binary;
pub mod dotnet;
pub mod golang;
pub mod java;
pub mod javascript;
pub mod php;

pub mod python;
pub mod ruby;
pub mod rust;

use sekisho_artifact::{Capture, Captured, EntryMeta, Inventory, Note};

use crate::cataloger::{Cataloger, Context};
use crate::model::{Catalog, Package, PackageKind};

/// Why a language file could not be parsed: the crate's error type. The message always names
/// the file (`Format` for malformed input, `Unsupported` for unknown lockfile versions).
pub type LangError = crate::CatalogError;

impl crate::CatalogError {
    pub(crate) fn invalid(path: &str, format: &'static str, reason: impl ToString) -> Self {
        Self::Format {
            path: path.to_string(),
            format,
            message: reason.to_string(),
        }
    }
    pub(crate) fn unsupported(path: &str, format: &'static str, reason: impl ToString) -> Self {
        Self::Unsupported {
            path: path.to_string(),
            format,
            message: reason.to_string(),
        }
    }
}

/// What one parser found in one file: packages (without location/layer, which the cataloger
/// fills in) and remarks on what was skipped inside an otherwise understood file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub packages: Vec<Package>,
    pub notes: Vec<String>,
}

/// Largest lockfile or metadata file read (bytes).
pub const MAX_TEXT_FILE: u64 = 32 << 20;
/// Most packages one file may yield; beyond this the rest is dropped with a note.
pub const MAX_PACKAGES_PER_FILE: usize = 200_000;

/// Build a language package: ecosystem and purl follow from `kind` and the name.
///
/// Name conventions (as OSV names packages): Maven `group:artifact`, Packagist `vendor/name`,
/// npm `@scope/name`, Go the module path.
pub fn package(kind: PackageKind, name: &str, version: &str) -> Package {
    Package {
        id: String::new(),
        name: name.to_string(),
        version: version.to_string(),
        kind,
        ecosystem: ecosystem(kind).map(str::to_string),
        purl: crate::purl::for_package(kind, name, version),
        source: None,
        licenses: Vec::new(),
        arch: None,
        modularity_label: None,
        locations: Vec::new(),
        layer: None,
        files: Vec::new(),
    }
}

/// The OSV ecosystem spelling for a language package kind.
pub fn ecosystem(kind: PackageKind) -> Option<&'static str> {
    Some(match kind {
        PackageKind::Python => "PyPI",
        PackageKind::Npm => "npm",
        PackageKind::Cargo => "crates.io",
        PackageKind::Go | PackageKind::GoStdlib => "Go",
        PackageKind::Java => "Maven",
        PackageKind::Gem => "RubyGems",
        PackageKind::Composer => "Packagist",
        PackageKind::Nuget => "NuGet",
        PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm => return None,
    })
}

/// Decode a text file: UTF-8 (BOM stripped), or UTF-16 with a BOM. Invalid UTF-8 is an error
/// naming the file.
pub fn text<'a>(
    path: &str,
    format: &'static str,
    data: &'a [u8],
) -> Result<std::borrow::Cow<'a, str>, LangError> {
    use std::borrow::Cow;
    if let Some(rest) = data.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|e| LangError::invalid(path, format, e));
    }
    let utf16 = |le: bool, rest: &[u8]| -> Result<Cow<'a, str>, LangError> {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units)
            .map(Cow::Owned)
            .map_err(|e| LangError::invalid(path, format, e))
    };
    if let Some(rest) = data.strip_prefix(b"\xFF\xFE") {
        return utf16(true, rest);
    }
    if let Some(rest) = data.strip_prefix(b"\xFE\xFF") {
        return utf16(false, rest);
    }
    std::str::from_utf8(data)
        .map(Cow::Borrowed)
        .map_err(|e| LangError::invalid(path, format, e))
}

/// The final path component.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory part of a path (`""` for a top-level file).
pub(crate) fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// Join a directory and a relative path, normalising `.`/`..` inside the root.
pub(crate) fn join(dir: &str, rel: &str) -> Option<String> {
    let joined = if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    };
    sekisho_artifact::path::normalize(&joined).ok()
}

/// A capture that keeps a whole small file chosen by its path.
pub(crate) struct FileCapture {
    pub id: &'static str,
    pub wants: fn(&str) -> bool,
    pub max: u64,
}

impl Capture for FileCapture {
    fn id(&self) -> &'static str {
        self.id
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        (meta.is_file() || matches!(meta.kind, sekisho_artifact::EntryKind::Hardlink { .. }))
            && (self.wants)(&meta.path)
    }
    fn max_size(&self) -> u64 {
        self.max
    }
}

/// One file format a cataloger reads: which paths, and the parser.
pub(crate) struct Format {
    pub capture: &'static str,
    pub wants: fn(&str) -> bool,
    pub parse: fn(&str, &[u8]) -> Result<Parsed, LangError>,
}

/// Parse one captured file with `parse` and append its packages and notes to `out`.
pub(crate) fn emit(
    cataloger: &str,
    c: &Captured,
    result: Result<Parsed, LangError>,
    out: &mut Catalog,
) {
    match result {
        Ok(parsed) => {
            let n = parsed.packages.len();
            for mut p in parsed.packages.into_iter().take(MAX_PACKAGES_PER_FILE) {
                p.locations = vec![c.meta.path.clone()];
                p.layer = Some(c.layer);
                out.packages.push(p);
            }
            if n > MAX_PACKAGES_PER_FILE {
                out.notes.push(Note::new(
                    Some(c.layer),
                    c.meta.path.clone(),
                    format!(
                        "{cataloger}: only the first {MAX_PACKAGES_PER_FILE} of {n} packages kept"
                    ),
                ));
            }
            for msg in parsed.notes {
                out.notes.push(Note::new(
                    Some(c.layer),
                    c.meta.path.clone(),
                    format!("{cataloger}: {msg}"),
                ));
            }
        }
        Err(e) => out.notes.push(Note::new(
            Some(c.layer),
            c.meta.path.clone(),
            format!("{cataloger}: skipped: {e}"),
        )),
    }
}

/// A cataloger made only of whole-file formats.
pub(crate) struct SimpleCataloger {
    pub name: &'static str,
    pub formats: &'static [Format],
}

impl Cataloger for SimpleCataloger {
    fn name(&self) -> &'static str {
        self.name
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        self.formats
            .iter()
            .map(|f| {
                Box::new(FileCapture {
                    id: f.capture,
                    wants: f.wants,
                    max: MAX_TEXT_FILE,
                }) as Box<dyn Capture>
            })
            .collect()
    }
    fn catalog(&self, inv: &Inventory, _ctx: &Context, out: &mut Catalog) {
        for f in self.formats {
            for c in inv.visible(f.capture) {
                emit(self.name, c, (f.parse)(&c.meta.path, &c.data), out);
            }
        }
    }
}

/// Every language cataloger, in a stable order.
pub fn catalogers() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(python::PythonCataloger),
        Box::new(javascript::JavaScriptCataloger),
        rust::cataloger(),
        golang::cataloger(),
        Box::new(java::JavaCataloger),
        ruby::cataloger(),
        php::cataloger(),
        dotnet::cataloger(),
    ]
}

/// Parse `data` as JSON, naming the file in the error.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    path: &str,
    format: &'static str,
    data: &[u8],
) -> Result<T, LangError> {
    let s = text(path, format, data)?;
    serde_json::from_str(&s).map_err(|e| LangError::invalid(path, format, e))
}

/// Parse `data` as TOML, naming the file in the error.
pub(crate) fn toml_doc<T: serde::de::DeserializeOwned>(
    path: &str,
    format: &'static str,
    data: &[u8],
) -> Result<T, LangError> {
    let s = text(path, format, data)?;
    if s.trim().is_empty() {
        return Err(LangError::invalid(path, format, "empty file"));
    }
    toml::from_str(&s).map_err(|e| LangError::invalid(path, format, e))
}

/// Licenses from a JSON value that may be a string, an SPDX expression, an object
/// `{ "type": "MIT" }` or a list of either (npm's legacy forms, composer's arrays).
pub(crate) fn json_licenses(v: Option<&serde_json::Value>) -> Vec<String> {
    use serde_json::Value;
    let mut out = Vec::new();
    let mut push = |v: &Value| match v {
        Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
        Value::Object(m) => {
            if let Some(Value::String(s)) = m.get("type").or_else(|| m.get("name"))
                && !s.trim().is_empty()
            {
                out.push(s.trim().to_string());
            }
        }
        _ => {}
    };
    match v {
        Some(Value::Array(a)) => a.iter().for_each(&mut push),
        Some(v) => push(v),
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_decodes_boms() {
        assert_eq!(text("f", "x", b"\xEF\xBB\xBFab").unwrap(), "ab");
        assert_eq!(text("f", "x", b"\xFF\xFEa\0b\0").unwrap(), "ab");
        assert_eq!(text("f", "x", b"\xFE\xFF\0a\0b").unwrap(), "ab");
        let e = text("dir/f.txt", "x", b"\xC3").unwrap_err();
        assert!(e.to_string().starts_with("dir/f.txt: not a valid x"));
    }

    #[test]
    fn join_stays_inside() {
        assert_eq!(join("a/b", "../c").unwrap(), "a/c");
        assert_eq!(join("a", "../../../x").unwrap(), "x");
    }
}
