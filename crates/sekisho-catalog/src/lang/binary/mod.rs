//! Shared pieces for catalogers that read compiled executables (Go build info, Rust
//! cargo-auditable data).
//!
//! Layered so that nothing here depends on a cataloger: `elf` reads executables (sparsely when
//! large), `buildinfo` and `auditable` extract Go build info and cargo-auditable data from what
//! it read, and `capture` is the one capture that runs both on each executable. The Go and Rust
//! catalogers ([`super::golang`], [`super::rust`]) sit above all of it.
//!
//! The capture decides from the entry's metadata alone (a regular file with an execute bit, of a
//! plausible size, not a shared library) and then sniffs the ELF magic in the first bytes before
//! reading further, so scripts and other non-ELF executables cost four bytes. An ELF is read up to
//! [`MAX_BINARY`] bytes, the wanted data is extracted and only that is kept.

// The extractors are public through the catalogers that own their formats
// (`lang::golang::extract_buildinfo`, `lang::rust::extract_auditable`).
pub(crate) mod auditable;
pub(crate) mod buildinfo;
mod capture;
mod elf;

pub use capture::{ELF_CAPTURE, ElfCapture, ElfFacts, elf_facts};
pub use elf::{
    ElfImage, GO_BUILDINFO_MAGIC, KEEP_WHOLE, MAX_BINARY, RandomRead, SparseLimits, elf_section,
    elf_section_range, read_elf, read_elf_at, read_elf_bounded, read_elf_bounded_with, read_vaddr,
    wants_binary,
};
