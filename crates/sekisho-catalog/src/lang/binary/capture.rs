//! The one capture for compiled executables, shared by the Go and the Rust catalogers: each ELF
//! is read once with bounded memory ([`super::elf`]) and only the extracted Go build info
//! ([`super::buildinfo`]) and cargo-auditable JSON ([`super::auditable`]) are kept, as JSON
//! [`ElfFacts`].

use std::io::{self, Read};

use sekisho_artifact::EntryMeta;

use super::auditable::extract_auditable_from;
use super::buildinfo::{BuildInfo, extract_buildinfo_from};
use super::elf::{
    ElfImage, MAX_BINARY, RandomRead, SparseLimits, read_elf_at, read_elf_bounded, wants_binary,
};

/// What one read of an executable found, for both the Go and the Rust cataloger (one capture, so
/// the file is read and held once).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ElfFacts {
    /// Go build info, or why it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go: Option<Result<BuildInfo, String>>,
    /// cargo-auditable dependency JSON, or why it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<Result<String, String>>,
}

/// Capture id of [`ElfCapture`].
pub const ELF_CAPTURE: &str = "elf-binary-v2";

/// The one capture for compiled executables: reads each ELF once with bounded memory and keeps
/// only the Go build info and the cargo-auditable data.
pub struct ElfCapture;

impl sekisho_artifact::Capture for ElfCapture {
    fn id(&self) -> &'static str {
        ELF_CAPTURE
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        wants_binary(meta)
    }
    fn max_size(&self) -> u64 {
        MAX_BINARY
    }
    fn capture(&self, meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let Some(elf) = read_elf_bounded(meta, r)? else {
            return Ok(None);
        };
        keep(&elf)
    }
    /// A file of a directory tree: its headers and the two sections, not the whole file.
    fn capture_at(
        &self,
        meta: &EntryMeta,
        at: &dyn sekisho_artifact::ReadAt,
    ) -> Option<io::Result<Option<Vec<u8>>>> {
        match read_elf_at(meta, at, &SparseLimits::default()) {
            Ok(RandomRead::NotElf) => Some(Ok(None)),
            Ok(RandomRead::Stream) => None,
            Ok(RandomRead::Read(elf)) => Some(keep(&elf)),
            Err(e) => Some(Err(e)),
        }
    }
}

/// The facts of one executable, as kept (`None` when it has neither).
fn keep(elf: &ElfImage) -> io::Result<Option<Vec<u8>>> {
    let facts = elf_facts(elf);
    if facts.go.is_none() && facts.rust.is_none() {
        return Ok(None);
    }
    serde_json::to_vec(&facts)
        .map(Some)
        .map_err(io::Error::other)
}

/// Extract the Go build info and the cargo-auditable data of an executable.
pub fn elf_facts(elf: &ElfImage) -> ElfFacts {
    if let Err(e) = elf.check_sections() {
        // Without trustworthy section headers nothing can be said: report it for both.
        return ElfFacts {
            go: Some(Err(e.clone())),
            rust: None,
        };
    }
    let go = extract_buildinfo_from(elf).transpose();
    let rust = extract_auditable_from(elf)
        .map(|o| o.map(|v| String::from_utf8_lossy(&v).into_owned()))
        .transpose();
    ElfFacts { go, rust }
}
