//! Reading ELF executables with bounded memory: the cheap "is this a program?" test on metadata
//! and magic, section and virtual-address lookups, and the sparse reader that keeps only the
//! head, the tail and the windows after Go build-info magics of a large file.
//!
//! Knows nothing of what is extracted: [`super::buildinfo`] and [`super::auditable`] read from
//! the [`ElfImage`] this module produces.

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
    let name = crate::lang::file_name(&meta.path);
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

/// File range (offset, size) of the ELF section named `name`, if the file has one.
pub fn elf_section_range(data: &[u8], name: &str) -> Option<(u64, u64)> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(data).ok()?;
    file.section_by_name(name)?.file_range()
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

/// Executables up to this size are kept whole while they are read. Larger ones are read as a
/// stream into a sparse buffer that keeps only what the parsers need (see [`read_elf_bounded`]),
/// so a 200 MB Go binary costs a few MB of memory, not 200.
pub const KEEP_WHOLE: u64 = 16 << 20;
/// The magic that starts Go build info (`\xff Go buildinf:`). The sparse reader keeps a window
/// after each 16-byte-aligned occurrence, so it knows the magic; [`super::buildinfo`] parses
/// what the window holds.
pub const GO_BUILDINFO_MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// At most this many magic hits get a window (a binary embedding `debug/buildinfo` has the
/// magic in its read-only data too).
const GO_HITS: usize = 8;

/// How [`read_elf_bounded_with`] keeps a large executable. The defaults are what scans use;
/// tests and the fuzz target use small values to reach the sparse path with small inputs.
#[derive(Debug, Clone, Copy)]
pub struct SparseLimits {
    /// Files up to this size are kept whole.
    pub keep_whole: u64,
    /// Kept from the start: the ELF header and program headers.
    pub head: u64,
    /// Kept from the end: the section header table, `.shstrtab` and late non-alloc sections such
    /// as cargo-auditable's `.dep-v0`.
    pub tail: u64,
    /// Kept after each 16-byte-aligned Go build-info magic: the 32-byte header and the inline
    /// version and module strings (Go >= 1.18).
    pub go_window: u64,
    /// Read size; a multiple of 16 so an aligned 14-byte magic never straddles two chunks.
    pub chunk: usize,
}

impl Default for SparseLimits {
    fn default() -> Self {
        Self {
            keep_whole: KEEP_WHOLE,
            head: 64 << 10,
            tail: 8 << 20,
            go_window: 1 << 20,
            chunk: 64 << 10,
        }
    }
}

/// An executable as the parsers see it: either whole, or a sparse copy of the file in which only
/// `kept` byte ranges hold the file's bytes (the rest reads as zeros and is never resident).
pub struct ElfImage {
    pub data: Vec<u8>,
    /// `None` when `data` is the whole file.
    pub kept: Option<Vec<(u64, u64)>>,
}

impl ElfImage {
    /// Whether the file bytes `[off, off + len)` are really in `data`.
    pub fn holds(&self, off: u64, len: u64) -> bool {
        let Some(end) = off.checked_add(len) else {
            return false;
        };
        match &self.kept {
            None => end <= self.data.len() as u64,
            Some(r) => r.iter().any(|&(a, b)| off >= a && end <= b),
        }
    }

    /// Sparse images cannot answer every question: the section header table must be in the kept
    /// tail for section lookups to mean anything.
    pub fn check_sections(&self) -> Result<(), String> {
        if self.kept.is_none() {
            return Ok(());
        }
        let Some((sht, names)) = shdr_range(&self.data) else {
            return Ok(()); // no section headers: parsers fall back to scanning
        };
        // Section names live in `.shstrtab`: without it every lookup would silently miss.
        for (what, (off, len)) in [("section headers", Some(sht)), ("section names", names)]
            .into_iter()
            .filter_map(|(w, r)| r.map(|r| (w, r)))
        {
            if !self.holds(off, len) {
                return Err(format!(
                    "{what} at byte {off} of this {} byte executable lie outside what is kept while streaming",
                    self.data.len()
                ));
            }
        }
        Ok(())
    }
}

/// A byte range of a file: (offset, length).
type FileRange = (u64, u64);

/// File ranges of the ELF section header table and of the section-name table (`.shstrtab`, when
/// its header is readable), from the ELF header.
fn shdr_range(d: &[u8]) -> Option<(FileRange, Option<FileRange>)> {
    if d.len() < 64 || &d[..4] != b"\x7fELF" {
        return None;
    }
    let is64 = d[4] == 2;
    let big = d[5] == 2;
    let u16_at = |o: usize| -> u64 {
        let a = [d[o], d[o + 1]];
        u64::from(if big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    };
    let u32_at = |o: usize| -> u64 {
        let a = [d[o], d[o + 1], d[o + 2], d[o + 3]];
        u64::from(if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    };
    let u64_at = |o: usize| -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&d[o..o + 8]);
        if big {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    };
    let (shoff, shentsize, shnum, shstrndx) = if is64 {
        (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e))
    } else {
        (u32_at(0x20), u16_at(0x2e), u16_at(0x30), u16_at(0x32))
    };
    if shoff == 0 || shnum == 0 {
        return None;
    }
    let sht = (shoff, shentsize.checked_mul(shnum)?);
    // The `.shstrtab` header: its offset and size fields.
    let names = (|| {
        if shstrndx >= shnum {
            return None;
        }
        let at = usize::try_from(shoff.checked_add(shstrndx.checked_mul(shentsize)?)?).ok()?;
        let need = if is64 { 0x28 } else { 0x18 };
        if at.checked_add(need)? > d.len() {
            return None;
        }
        Some(if is64 {
            (u64_at(at + 0x18), u64_at(at + 0x20))
        } else {
            (u32_at(at + 0x10), u32_at(at + 0x14))
        })
    })();
    Some((sht, names))
}

/// Read an ELF executable with bounded memory: `None` (after reading only the magic) when it is
/// not one. Up to [`KEEP_WHOLE`] bytes the file is kept whole; a larger one is streamed once
/// into a zeroed (lazily allocated) buffer of its size, keeping the head, the tail and a window
/// after each aligned Go build-info magic. The entry's size must be known (`meta.size`).
pub fn read_elf_bounded(meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<ElfImage>> {
    read_elf_bounded_with(meta, r, &SparseLimits::default())
}

/// [`read_elf_bounded`] with explicit limits.
pub fn read_elf_bounded_with(
    meta: &EntryMeta,
    r: &mut dyn Read,
    lim: &SparseLimits,
) -> io::Result<Option<ElfImage>> {
    if meta.size <= lim.keep_whole {
        return Ok(read_elf(meta, r)?.map(|data| ElfImage { data, kept: None }));
    }
    let chunk_len = lim.chunk.max(16) / 16 * 16;
    if meta.size > MAX_BINARY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the {MAX_BINARY} byte binary limit"),
        ));
    }
    let size = meta.size;
    let mut chunk = vec![0u8; chunk_len];
    let mut off: u64 = 0;
    let mut data: Vec<u8> = Vec::new();
    let mut go_hits: Vec<u64> = Vec::new();
    let tail_start = size.saturating_sub(lim.tail);
    loop {
        let mut n = 0;
        while n < chunk_len {
            match r.read(&mut chunk[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if off == 0 {
            if n < 4 || &chunk[..4] != b"\x7fELF" {
                return Ok(None);
            }
            // Zeroed allocation: pages never written are never resident.
            data = vec![0u8; usize::try_from(size).map_err(io::Error::other)?];
        }
        if n == 0 {
            break;
        }
        if off + n as u64 > size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("longer than its {size} byte size"),
            ));
        }
        let c = &chunk[..n];
        // Chunks start at multiples of 16, so aligned offsets stay aligned and a 14-byte magic
        // at an aligned offset never straddles two chunks.
        let mut i = 0;
        while i + 14 <= n {
            // Past the cap, a `.go.buildinfo` header outside every window is reported by the
            // parser (it checks what is kept), never read as zeros.
            if go_hits.len() < GO_HITS && &c[i..i + 14] == GO_BUILDINFO_MAGIC {
                go_hits.push(off + i as u64);
            }
            i += 16;
        }
        let keep = off < lim.head
            || off + n as u64 > tail_start
            || go_hits
                .iter()
                .any(|&h| off + n as u64 > h && off < h + lim.go_window);
        if keep {
            data[off as usize..off as usize + n].copy_from_slice(c);
        }
        off += n as u64;
        if n < chunk_len {
            break;
        }
    }
    if off < size {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("ends after {off} of its {size} bytes"),
        ));
    }
    let mut kept = vec![(0, lim.head.min(size)), (tail_start, size)];
    for h in go_hits {
        // Whole chunks were copied: widen to the chunk grid.
        let c = chunk_len as u64;
        let a = h - h % c;
        let b = (h + lim.go_window).div_ceil(c) * c;
        kept.push((a, b.min(size)));
    }
    Ok(Some(ElfImage {
        data,
        kept: Some(kept),
    }))
}

/// The largest section header table or section-name table read through random access; an
/// executable with a larger one is read as a stream instead.
const MAX_TABLE: u64 = 16 << 20;
/// What Go's `debug/buildinfo` searches when an ELF has no `.go.buildinfo` section: the start of
/// the first writable, non-executable loadable segment.
const GO_DATA_SEARCH: u64 = 64 << 10;

/// [`read_elf_bounded`] through random access (a file of a directory tree): only the ELF
/// header and program headers, the section header table, the section names, the `.go.buildinfo`
/// window and `.dep-v0` are read, whatever the file's size, into a sparse [`ElfImage`] that
/// holds the file's bytes in those ranges alone.
///
/// [`RandomRead::Stream`] when this file has to be read as a stream for the answer to be the
/// same: no section headers, an oversized table, or Go build info in the pre-1.18 pointer format
/// in a file small enough to be read whole (its strings may lie anywhere). Without a
/// `.go.buildinfo` section, the build info is looked for where Go's `debug/buildinfo` looks (the
/// start of the first writable segment), not in the whole file.
///
/// # Errors
/// As [`read_elf_bounded`]: too large, or the file is shorter than its size said.
pub fn read_elf_at(
    meta: &EntryMeta,
    at: &dyn sekisho_artifact::ReadAt,
    lim: &SparseLimits,
) -> io::Result<RandomRead> {
    let size = meta.size;
    if size > MAX_BINARY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the {MAX_BINARY} byte binary limit"),
        ));
    }
    let short = |e: io::Error, off: u64, len: u64| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("ends before byte {} of its {size} bytes", off + len),
            )
        } else {
            e
        }
    };
    let mut magic = [0u8; 4];
    if size < 4 {
        return Ok(RandomRead::NotElf);
    }
    at.read_exact_at(&mut magic, 0)
        .map_err(|e| short(e, 0, 4))?;
    if &magic != b"\x7fELF" {
        return Ok(RandomRead::NotElf);
    }
    // Zeroed allocation: pages never written are never resident.
    let mut data = vec![0u8; usize::try_from(size).map_err(io::Error::other)?];
    let mut kept: Vec<(u64, u64)> = Vec::new();
    let mut read = |data: &mut Vec<u8>, off: u64, len: u64| -> io::Result<()> {
        let end = off.saturating_add(len).min(size);
        if end <= off {
            return Ok(());
        }
        at.read_exact_at(&mut data[off as usize..end as usize], off)
            .map_err(|e| short(e, off, end - off))?;
        kept.push((off, end));
        Ok(())
    };
    read(&mut data, 0, lim.head)?;
    let Some((sht, _)) = shdr_range(&data) else {
        return Ok(RandomRead::Stream);
    };
    if sht.1 > MAX_TABLE || sht.0.checked_add(sht.1).is_none_or(|e| e > size) {
        return Ok(RandomRead::Stream);
    }
    read(&mut data, sht.0, sht.1)?;
    match shdr_range(&data) {
        Some((_, Some(names))) if names.1 <= MAX_TABLE => read(&mut data, names.0, names.1)?,
        _ => return Ok(RandomRead::Stream),
    }
    match elf_section_range(&data, ".go.buildinfo") {
        Some((off, _)) => {
            read(&mut data, off, lim.go_window)?;
            // The pre-1.18 format points at strings anywhere in the file: a file read whole
            // finds them, so read this one whole too.
            let head = usize::try_from(off)
                .ok()
                .and_then(|o| data.get(o..o.checked_add(16)?));
            if size <= lim.keep_whole
                && head.is_some_and(|h| h.starts_with(GO_BUILDINFO_MAGIC) && h[15] & 2 == 0)
            {
                return Ok(RandomRead::Stream);
            }
        }
        None => {
            if let Some((off, len)) = go_search_range(&data) {
                read(&mut data, off, len)?;
            }
        }
    }
    if let Some((off, len)) = elf_section_range(&data, ".dep-v0") {
        if len <= lim.tail || size <= lim.keep_whole {
            read(&mut data, off, len)?;
        }
    }
    Ok(RandomRead::Read(ElfImage {
        data,
        kept: Some(kept),
    }))
}

/// What [`read_elf_at`] found.
pub enum RandomRead {
    /// Not an ELF file.
    NotElf,
    /// Read it as a stream instead (see [`read_elf_at`]).
    Stream,
    /// The ranges the parsers need.
    Read(ElfImage),
}

/// Where Go's `debug/buildinfo` looks for the build-info header, as a file range: the
/// `.go.buildinfo` section, or without one the first 64 KiB of the first writable,
/// non-executable loadable segment. `None` for a file with neither (no section or program
/// headers: only hand-made files); callers then search all they hold.
pub fn go_search_range(data: &[u8]) -> Option<(u64, u64)> {
    elf_section_range(data, ".go.buildinfo")
        .or_else(|| first_data_segment(data).map(|(off, len)| (off, len.min(GO_DATA_SEARCH))))
}

/// File range of the first writable, non-executable loadable segment (where Go's
/// `debug/buildinfo` looks for the build info when there is no `.go.buildinfo` section).
fn first_data_segment(data: &[u8]) -> Option<(u64, u64)> {
    use object::read::elf::{FileHeader, ProgramHeader};
    use object::{FileKind, elf};
    fn find<H: FileHeader>(data: &[u8]) -> Option<(u64, u64)> {
        let h = H::parse(data).ok()?;
        let e = h.endian().ok()?;
        for p in h.program_headers(e, data).ok()? {
            let f = p.p_flags(e);
            if p.p_type(e) == elf::PT_LOAD && f & (elf::PF_X | elf::PF_W) == elf::PF_W {
                return Some((p.p_offset(e).into(), p.p_filesz(e).into()));
            }
        }
        None
    }
    match FileKind::parse(data).ok()? {
        FileKind::Elf64 => find::<elf::FileHeader64<object::Endianness>>(data),
        FileKind::Elf32 => find::<elf::FileHeader32<object::Endianness>>(data),
        _ => None,
    }
}
