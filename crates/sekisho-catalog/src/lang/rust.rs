//! Rust crates: `Cargo.lock` in source trees and binaries built with `cargo auditable`.
//!
//! - `Cargo.lock` (TOML; versions 1–4): every `[[package]]` with `name` and `version`. Workspace
//!   members (no `source`) are reported too: they are what the lockfile builds.
//! - cargo-auditable (<https://github.com/rust-secure-code/cargo-auditable>, format described
//!   in its `auditable-serde` crate): an ELF section `.dep-v0` holding zlib-compressed JSON
//!   `{"packages": [{"name", "version", "source", "kind", "dependencies", "root"}]}`. The capture
//!   keeps only the inflated JSON (capped at [`MAX_AUDIT_JSON`]).

use std::io::{self, Read};

use sekisho_artifact::{Capture, EntryMeta, Inventory};
use serde::Deserialize;

use super::binary::{MAX_BINARY, elf_section, read_elf, wants_binary};
use super::{Format, LangError, Parsed, SimpleCataloger, emit, file_name, package};
use crate::model::{Catalog, PackageKind};
use crate::registry::{Cataloger, Context};

/// Largest inflated `.dep-v0` JSON accepted (cargo-auditable itself caps at 8 MiB).
pub const MAX_AUDIT_JSON: u64 = 8 << 20;

const BINARY: &str = "rust-binary";

static FORMATS: &[Format] = &[Format {
    capture: "rust-cargo-lock",
    wants: |p| file_name(p) == "Cargo.lock",
    parse: parse_cargo_lock,
}];

/// Rust: `Cargo.lock` and cargo-auditable binaries.
pub struct RustCataloger;

/// The Rust cataloger.
pub fn cataloger() -> Box<dyn Cataloger> {
    Box::new(RustCataloger)
}

struct AuditableCapture;

impl Capture for AuditableCapture {
    fn id(&self) -> &'static str {
        BINARY
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        wants_binary(meta)
    }
    fn max_size(&self) -> u64 {
        MAX_BINARY
    }
    fn capture(&self, meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let Some(elf) = read_elf(meta, r)? else {
            return Ok(None);
        };
        extract_auditable(&elf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", meta.path)))
    }
}

/// The inflated cargo-auditable JSON of an ELF binary, `None` when it has no `.dep-v0`.
pub fn extract_auditable(elf: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let Some(sec) = elf_section(elf, ".dep-v0") else {
        return Ok(None);
    };
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(sec)
        .take(MAX_AUDIT_JSON + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!(".dep-v0 section is not zlib data: {e}"))?;
    if out.len() as u64 > MAX_AUDIT_JSON {
        return Err(format!(
            ".dep-v0 inflates past the {MAX_AUDIT_JSON} byte limit"
        ));
    }
    Ok(Some(out))
}

impl Cataloger for RustCataloger {
    fn name(&self) -> &'static str {
        "rust"
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        let mut v = SimpleCataloger {
            name: "rust",
            formats: FORMATS,
        }
        .captures();
        v.push(Box::new(AuditableCapture));
        v
    }
    fn catalog(&self, inv: &Inventory, ctx: &Context, out: &mut Catalog) {
        SimpleCataloger {
            name: "rust",
            formats: FORMATS,
        }
        .catalog(inv, ctx, out);
        for c in inv.visible(BINARY) {
            let res = parse_auditable_json(&c.meta.path, &c.data).map(|mut p| {
                for pkg in &mut p.packages {
                    pkg.files = vec![c.meta.path.clone()];
                }
                p
            });
            emit("rust", c, res, out);
        }
    }
}

#[derive(Deserialize)]
struct Lock {
    version: Option<i64>,
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
}

/// `Cargo.lock`.
pub fn parse_cargo_lock(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "Cargo.lock";
    let doc: Lock = super::toml_doc(path, F, data)?;
    if let Some(v) = doc.version
        && !(1..=4).contains(&v)
    {
        return Err(LangError::unsupported(path, F, format!("version {v}")));
    }
    let mut out = Parsed::default();
    let mut seen = std::collections::BTreeSet::new();
    for p in doc.package {
        if seen.insert((p.name.clone(), p.version.clone())) {
            out.packages
                .push(package(PackageKind::Cargo, &p.name, &p.version));
        }
    }
    Ok(out)
}

/// The JSON that cargo-auditable embeds (already inflated).
pub fn parse_auditable_json(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "cargo-auditable dependency list";
    #[derive(Deserialize)]
    struct Audit {
        packages: Vec<AuditPackage>,
    }
    #[derive(Deserialize)]
    struct AuditPackage {
        name: String,
        version: String,
    }
    let doc: Audit = super::json(path, F, data)?;
    let mut out = Parsed::default();
    // Build dependencies (`"kind": "build"`) are reported too: a vulnerable build script or
    // proc-macro can taint the binary.
    for p in doc.packages {
        out.packages
            .push(package(PackageKind::Cargo, &p.name, &p.version));
    }
    Ok(out)
}

/// Convenience for the fuzzer: the packages of an ELF with `.dep-v0`.
pub fn parse_auditable_elf(path: &str, elf: &[u8]) -> Result<Parsed, LangError> {
    match extract_auditable(elf) {
        Ok(Some(json)) => parse_auditable_json(path, &json),
        Ok(None) => Ok(Parsed::default()),
        Err(e) => Err(LangError::invalid(path, "cargo-auditable binary", e)),
    }
}
