//! Rust crates: `Cargo.lock` in source trees and binaries built with `cargo auditable`.
//!
//! - `Cargo.lock` (TOML; versions 1–4): every `[[package]]` with `name` and `version`. Workspace
//!   members (no `source`) are reported too: they are what the lockfile builds.
//! - cargo-auditable (<https://github.com/rust-secure-code/cargo-auditable>, format described
//!   in its `auditable-serde` crate): an ELF section `.dep-v0` holding zlib-compressed JSON
//!   `{"packages": [{"name", "version", "source", "kind", "dependencies", "root"}]}`. The capture
//!   keeps only the inflated JSON (capped at [`MAX_AUDIT_JSON`]), extracted by [`super::binary`].

use sekisho_artifact::{Capture, Inventory};
use serde::Deserialize;

pub use super::binary::auditable::{MAX_AUDIT_JSON, extract_auditable, extract_auditable_from};
use super::binary::{ELF_CAPTURE, ElfCapture, ElfFacts};
use super::{Format, LangError, Parsed, SimpleCataloger, emit, file_name, package};
use crate::cataloger::{Cataloger, Context};
use crate::model::{Catalog, PackageKind};

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
