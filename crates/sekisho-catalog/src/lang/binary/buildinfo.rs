//! Go build info in an executable (what `go version -m` prints; written by the linker since
//! Go 1.13, read by `debug/buildinfo` in the Go standard library). The `.go.buildinfo` data
//! starts with a 32-byte header: the 14-byte magic `\xff Go buildinf:`, the pointer size, and a
//! flags byte (bit 0: big endian; bit 1: strings inline). Since Go 1.18 the version and module
//! strings follow the header inline, each as a uvarint length and bytes; before that the header
//! holds two pointers (virtual addresses) to Go string headers `{data pointer, length}`. The
//! module string is framed by 16-byte sentinels, which are removed here.
//!
//! Turning the strings into packages is the Go cataloger's ([`crate::lang::golang`]).

use serde::{Deserialize, Serialize};

use super::elf::{
    ElfImage, GO_BUILDINFO_MAGIC, KEEP_WHOLE, elf_section_range, go_search_range, read_vaddr,
};

/// Build-info magic.
pub const MAGIC: &[u8; 14] = GO_BUILDINFO_MAGIC;
/// Longest version or module string accepted.
const MAX_STRING: u64 = 4 << 20;

/// The strings extracted from a binary's build info.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// Toolchain version as written (`go1.21.3`).
    pub go: String,
    /// Module info, sentinels removed (may be empty: built outside module mode).
    #[serde(rename = "mod")]
    pub modinfo: String,
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &c) in b.iter().enumerate().take(10) {
        x |= u64::from(c & 0x7f) << (7 * i);
        if c < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

fn find_magic(data: &[u8]) -> Option<usize> {
    // The header is 16-byte aligned in the file as in memory.
    let mut i = 0;
    while i + 32 <= data.len() {
        if &data[i..i + 14] == MAGIC {
            return Some(i);
        }
        i += 16;
    }
    None
}

fn read_uint(b: &[u8], big: bool) -> Option<u64> {
    Some(match b.len() {
        4 => {
            let a: [u8; 4] = b.try_into().ok()?;
            u64::from(if big {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            })
        }
        8 => {
            let a: [u8; 8] = b.try_into().ok()?;
            if big {
                u64::from_be_bytes(a)
            } else {
                u64::from_le_bytes(a)
            }
        }
        _ => return None,
    })
}

/// Strip the 16-byte sentinels around the module info, as `debug/buildinfo` does.
fn strip_sentinels(m: &[u8]) -> &[u8] {
    if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        &m[16..m.len() - 16]
    } else {
        m
    }
}

/// The inline (Go >= 1.18) header at `h`: the version and module strings that follow it, and
/// how many bytes of `h` they used.
fn parse_inline(h: &[u8]) -> Result<(Vec<u8>, Vec<u8>, usize), String> {
    let mut rest = h.get(32..).ok_or("build info header is cut short")?;
    let mut used = 32;
    let mut strings = Vec::with_capacity(2);
    for what in ["version", "module info"] {
        let (len, n) = uvarint(rest).ok_or_else(|| format!("bad {what} length"))?;
        if len > MAX_STRING {
            return Err(format!("{what} string of {len} bytes is too long"));
        }
        let len = len as usize;
        let s = rest
            .get(n..n + len)
            .ok_or_else(|| format!("{what} string runs past the end of the file"))?;
        strings.push(s.to_vec());
        rest = &rest[n + len..];
        used += n + len;
    }
    let m = strings.pop().unwrap_or_default();
    let v = strings.pop().unwrap_or_default();
    Ok((v, strip_sentinels(&m).to_vec(), used))
}

/// Extract the build info of a Go ELF binary. `Ok(None)` when it has none (not a Go binary).
pub fn extract_buildinfo(elf: &[u8]) -> Result<Option<BuildInfo>, String> {
    // Where Go's `debug/buildinfo` looks: the section, or the start of the data segment. A file
    // with neither section nor program headers (hand-made) is searched whole.
    let data: &[u8] = match go_search_range(elf) {
        Some((off, len)) => {
            let start = usize::try_from(off).unwrap_or(usize::MAX).min(elf.len());
            let end = usize::try_from(off.saturating_add(len))
                .unwrap_or(usize::MAX)
                .min(elf.len());
            &elf[start..end.max(start)]
        }
        None => elf,
    };
    let Some(off) = find_magic(data) else {
        return Ok(None);
    };
    let h = &data[off..];
    let ptr_size = usize::from(h[14]);
    let flags = h[15];
    let big = flags & 1 != 0;
    let (go, modinfo) = if flags & 2 != 0 {
        let (v, m, _) = parse_inline(h)?;
        (v, m)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("pointer size {ptr_size}"));
        }
        let read_string = |ptr_at: usize| -> Result<Vec<u8>, String> {
            let addr = read_uint(&h[ptr_at..ptr_at + ptr_size], big).ok_or("bad pointer")?;
            let hdr = read_vaddr(elf, addr, 2 * ptr_size as u64)
                .ok_or_else(|| format!("string header at {addr:#x} not in the file"))?;
            let data_ptr = read_uint(&hdr[..ptr_size], big).ok_or("bad pointer")?;
            let len = read_uint(&hdr[ptr_size..], big).ok_or("bad length")?;
            if len > MAX_STRING {
                return Err(format!("string of {len} bytes is too long"));
            }
            if len == 0 {
                return Ok(Vec::new());
            }
            read_vaddr(elf, data_ptr, len)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| format!("string data at {data_ptr:#x} not in the file"))
        };
        let v = read_string(16)?;
        let m = read_string(16 + ptr_size)?;
        (v, strip_sentinels(&m).to_vec())
    };
    Ok(Some(BuildInfo {
        go: String::from_utf8_lossy(&go).into_owned(),
        modinfo: String::from_utf8_lossy(&modinfo).into_owned(),
    }))
}

/// [`extract_buildinfo`] on an executable read with bounded memory. A sparse image (a large
/// file) holds only its head, tail and the windows after aligned build-info magics: the inline
/// format (Go >= 1.18) is read from the window; the older pointer format, which points anywhere
/// in the file, is reported as not read rather than guessed.
pub fn extract_buildinfo_from(elf: &ElfImage) -> Result<Option<BuildInfo>, String> {
    let Some(kept) = &elf.kept else {
        return extract_buildinfo(&elf.data);
    };
    let data = &elf.data;
    let at = match elf_section_range(data, ".go.buildinfo") {
        Some((off, size)) => {
            if !elf.holds(off, size.min(32)) {
                return Err(format!(
                    ".go.buildinfo section at byte {off} lies outside what is kept while streaming"
                ));
            }
            let (o, n) = (
                usize::try_from(off).map_err(|e| e.to_string())?,
                usize::try_from(size).map_err(|e| e.to_string())?,
            );
            let Some(i) = data.get(o..o.saturating_add(n)).and_then(find_magic) else {
                return Ok(None);
            };
            o + i
        }
        None if go_search_range(data).is_some() => {
            // The start of the data segment, where Go looks: a header there was kept (a window
            // is kept after every aligned magic the stream passes).
            let (off, len) = go_search_range(data).expect("checked");
            let (o, n) = (off as usize, len as usize);
            let hit = (o..o.saturating_add(n).min(data.len()))
                .step_by(16)
                .find(|&i| elf.holds(i as u64, 32) && data[i..].starts_with(MAGIC));
            match hit {
                Some(x) => x,
                None => return Ok(None),
            }
        }
        None => {
            let mut found = None;
            for &(a, b) in kept {
                if let Some(i) = data.get(a as usize..b as usize).and_then(find_magic) {
                    found = Some(a as usize + i);
                    break;
                }
            }
            match found {
                Some(x) => x,
                None => return Ok(None),
            }
        }
    };
    if !elf.holds(at as u64, 32) {
        return Err(format!(
            "build info header at byte {at} lies outside what is kept while streaming"
        ));
    }
    let h = &data[at..];
    if h[15] & 2 == 0 {
        return Err(format!(
            "build info in the pre-Go-1.18 pointer format in a {} byte executable: not read (only executables up to {} bytes are read whole)",
            data.len(),
            KEEP_WHOLE
        ));
    }
    let (go, modinfo, used) = parse_inline(h)?;
    if !elf.holds(at as u64, used as u64) {
        return Err(format!(
            "build info strings ({used} bytes) run past what is kept while streaming"
        ));
    }
    Ok(Some(BuildInfo {
        go: String::from_utf8_lossy(&go).into_owned(),
        modinfo: String::from_utf8_lossy(&modinfo).into_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made inline (Go 1.18+) build-info blob inside an otherwise empty "file".
    #[test]
    fn inline_header_is_found_without_sections() {
        let mut f = vec![0u8; 64];
        f.extend_from_slice(MAGIC);
        f.push(8);
        f.push(2);
        f.extend_from_slice(&[0u8; 16]);
        let v = b"go1.21.3";
        let m = b"0123456789abcdefpath\tx\nmod\tx.com/m\tv1.2.3\t\n0123456789abcdef";
        f.push(v.len() as u8);
        f.extend_from_slice(v);
        f.push(m.len() as u8);
        f.extend_from_slice(m);
        let bi = extract_buildinfo(&f).unwrap().unwrap();
        assert_eq!(bi.go, "go1.21.3");
        assert_eq!(bi.modinfo, "path\tx\nmod\tx.com/m\tv1.2.3\t\n");
    }
}
