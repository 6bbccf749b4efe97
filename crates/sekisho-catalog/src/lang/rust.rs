//! Rust crates: `Cargo.lock` in source trees and binaries built with `cargo auditable`.
//!
//! - `Cargo.lock` (TOML; versions 1–4): every `[[package]]` with `name` and `version`. Workspace
//!   members (no `source`) are reported too: they are what the lockfile builds.
//! - cargo-auditable (<https://github.com/rust-secure-code/cargo-auditable>, format described
//!   in its `auditable-serde` crate): an ELF section `.dep-v0` holding zlib-compressed JSON
//!   `{"packages": [{"name", "version", "source", "kind", "dependencies", "root"}]}`. The capture
//!   keeps only the inflated JSON (capped at [`MAX_AUDIT_JSON`]).

use std::io::Read;

use sekisho_artifact::{Capture, Inventory};
use serde::Deserialize;

use super::binary::{ELF_CAPTURE, ElfCapture, ElfFacts, ElfImage, elf_section, elf_section_range};
use super::{Format, LangError, Parsed, SimpleCataloger, emit, file_name, package};
use crate::model::{Catalog, PackageKind};
use crate::registry::{Cataloger, Context};

/// Largest inflated `.dep-v0` JSON accepted (cargo-auditable itself caps at 8 MiB).
pub const MAX_AUDIT_JSON: u64 = 8 << 20;

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

/// [`extract_auditable`] on an executable read with bounded memory: the `.dep-v0` section must
/// lie in what was kept (it is a late non-alloc section, so it is in the kept tail in practice).
pub fn extract_auditable_from(elf: &ElfImage) -> Result<Option<Vec<u8>>, String> {
    if elf.kept.is_some() {
        match elf_section_range(&elf.data, ".dep-v0") {
            None => return Ok(None),
            Some((off, len)) if !elf.holds(off, len) => {
                return Err(format!(
                    ".dep-v0 section at byte {off} ({len} bytes) lies outside what is kept while streaming"
                ));
            }
            Some(_) => {}
        }
    }
    extract_auditable(&elf.data)
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
        v.push(Box::new(ElfCapture));
        v
    }
    fn catalog(&self, inv: &Inventory, ctx: &Context, out: &mut Catalog) {
        SimpleCataloger {
            name: "rust",
            formats: FORMATS,
        }
        .catalog(inv, ctx, out);
        for c in inv.visible(ELF_CAPTURE) {
            // Decoding errors are reported once, by the Go cataloger.
            let Ok(facts) = serde_json::from_slice::<ElfFacts>(&c.data) else {
                continue;
            };
            let Some(rust) = facts.rust else { continue };
            let res = rust
                .map_err(|e| super::LangError::invalid(&c.meta.path, "cargo-auditable data", e))
                .and_then(|json| parse_auditable_json(&c.meta.path, json.as_bytes()))
                .map(|mut p| {
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
