//! Shared pieces for catalogers that read compiled executables (Go build info, Rust
//! cargo-auditable data).
//!
//! The capture decides from the entry's metadata alone (a regular file with an execute bit, of a
//! plausible size, not a shared library) and then sniffs the ELF magic in the first bytes before
//! reading further, so scripts and other non-ELF executables cost four bytes. An ELF is read up to
//! [`MAX_BINARY`] bytes, the wanted data is extracted and only that is kept.

use std::io::{self, Read};

use sekisho_artifact::EntryMeta;

/// Largest executable read (bytes); larger ones are skipped with a note.
pub const MAX_BINARY: u64 = 256 << 20;
/// Smallest file worth looking at.
const MIN_BINARY: u64 = 256;

/// Whether an entry could be a program binary worth reading.
pub fn wants_binary(meta: &EntryMeta) -> bool {
    if !meta.is_file() || !meta.is_executable() || meta.size < MIN_BINARY {
        return false;
    }
    let name = super::file_name(&meta.path);
    // Shared libraries (Fedora marks them executable) are not Go/Rust programs in practice and
    // are many; scripts are cheap to reject by magic, but skip the obvious ones up front.
    !(name.contains(".so.")
        || name.ends_with(".so")
        || name.ends_with(".sh")
        || name.ends_with(".py")
        || name.ends_with(".pl")
        || name.ends_with(".rb")
        || name.ends_with(".js"))
}

/// Read an ELF file: `None` (after reading only the magic) when it is not one.
pub fn read_elf(meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = r.read(&mut magic[got..])?;
        if n == 0 {
            return Ok(None);
        }
        got += n;
    }
    if &magic != b"\x7fELF" {
        return Ok(None);
    }
    let mut buf = Vec::with_capacity(meta.size.min(MAX_BINARY) as usize);
    buf.extend_from_slice(&magic);
    r.take(MAX_BINARY.saturating_sub(4) + 1)
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_BINARY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the {MAX_BINARY} byte binary limit"),
        ));
    }
    Ok(Some(buf))
}

/// The bytes of the ELF section named `name`, if the file has one.
pub fn elf_section<'a>(data: &'a [u8], name: &str) -> Option<&'a [u8]> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(data).ok()?;
    let sec = file.section_by_name(name)?;
    let (off, size) = sec.file_range()?;
    let start = usize::try_from(off).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    data.get(start..end)
}

/// Read `len` bytes at virtual address `addr` of an ELF file, via its loadable segments.
pub fn read_vaddr(data: &[u8], addr: u64, len: u64) -> Option<&[u8]> {
    use object::{Object, ObjectSegment};
    let file = object::File::parse(data).ok()?;
    for seg in file.segments() {
        let (off, fsize) = seg.file_range();
        let base = seg.address();
        if addr >= base && addr.checked_add(len)? <= base.checked_add(fsize)? {
            let start = usize::try_from(off.checked_add(addr - base)?).ok()?;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            return data.get(start..end);
        }
    }
    // Files without program headers (relocatables, odd test binaries): try sections.
    use object::ObjectSection;
    for sec in file.sections() {
        let base = sec.address();
        let Some((off, fsize)) = sec.file_range() else {
            continue;
        };
        if addr >= base && addr.checked_add(len)? <= base.checked_add(fsize)? {
            let start = usize::try_from(off.checked_add(addr - base)?).ok()?;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            return data.get(start..end);
        }
    }
    None
}
