//! cargo-auditable data in an executable (<https://github.com/rust-secure-code/cargo-auditable>,
//! format described in its `auditable-serde` crate): the ELF section `.dep-v0` holds
//! zlib-compressed JSON; this inflates it, capped at [`MAX_AUDIT_JSON`]. Parsing the JSON into
//! packages is the Rust cataloger's ([`crate::lang::rust`]).

use std::io::Read;

use super::elf::{ElfImage, elf_section, elf_section_range};

/// Largest inflated `.dep-v0` JSON accepted (cargo-auditable itself caps at 8 MiB).
pub const MAX_AUDIT_JSON: u64 = 8 << 20;

/// The inflated `.dep-v0` JSON of a whole ELF file; `Ok(None)` when it has no such section.
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
