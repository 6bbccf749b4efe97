//! Go modules: build info embedded in Go binaries, and `go.mod` files in source trees.
//!
//! Build info (what `go version -m` prints; written by the linker since Go 1.13, read by
//! `debug/buildinfo` in the Go standard library). The `.go.buildinfo` data starts with a 32-byte
//! header: the 14-byte magic `\xff Go buildinf:`, the pointer size, and a flags byte (bit 0: big
//! endian; bit 1: strings inline). Since Go 1.18 the version and module strings follow the header
//! inline, each as a uvarint length and bytes; before that the header holds two pointers (virtual
//! addresses) to Go string headers `{data pointer, length}`. The module string is framed by
//! 16-byte sentinels and lists `path`, `mod` (main module), `dep` lines and `=>` replacements of
//! the preceding `dep`, tab-separated.
//!
//! The toolchain version (`go1.21.3`) is reported as package `stdlib` with version `1.21.3`, as
//! the Go vulnerability database (and OSV) name the standard library. Module versions are kept
//! as Go writes them (`v1.2.3`, pseudo-versions, `+incompatible`).
//!
//! The capture keeps only the extracted strings, serialised as JSON `{"go": …, "mod": …}`.

use sekisho_artifact::{Capture, Inventory};
use serde::{Deserialize, Serialize};

use super::binary::{
    ELF_CAPTURE, ElfCapture, ElfFacts, ElfImage, elf_section, elf_section_range, read_vaddr,
};
use super::{Format, LangError, Parsed, SimpleCataloger, emit, file_name, package};
use crate::model::{Catalog, Package, PackageKind};
use crate::registry::{Cataloger, Context};

/// Build-info magic.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Longest version or module string accepted.
const MAX_STRING: u64 = 4 << 20;

static FORMATS: &[Format] = &[Format {
    capture: "go-mod",
    wants: |p| file_name(p) == "go.mod",
    parse: parse_go_mod,
}];

/// Go: binaries' build info and `go.mod`.
pub struct GoCataloger;

/// The Go cataloger.
pub fn cataloger() -> Box<dyn Cataloger> {
    Box::new(GoCataloger)
}

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
    let region = elf_section(elf, ".go.buildinfo");
    // Without section headers (stripped with sstrip, or odd linkers) scan the whole file.
    let data = region.unwrap_or(elf);
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
            super::binary::KEEP_WHOLE
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

impl Cataloger for GoCataloger {
    fn name(&self) -> &'static str {
        "go"
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        let mut v = SimpleCataloger {
            name: "go",
            formats: FORMATS,
        }
        .captures();
        v.push(Box::new(ElfCapture));
        v
    }
    fn catalog(&self, inv: &Inventory, ctx: &Context, out: &mut Catalog) {
        SimpleCataloger {
            name: "go",
            formats: FORMATS,
        }
        .catalog(inv, ctx, out);
        for c in inv.visible(ELF_CAPTURE) {
            let facts = match serde_json::from_slice::<ElfFacts>(&c.data) {
                Ok(f) => f,
                Err(e) => {
                    emit(
                        "go",
                        c,
                        Err(LangError::invalid(&c.meta.path, "executable facts", e)),
                        out,
                    );
                    continue;
                }
            };
            let Some(go) = facts.go else { continue };
            let res = go
                .map_err(|e| LangError::invalid(&c.meta.path, "Go build info", e))
                .map(|bi| {
                    let mut p = parse_buildinfo(&bi);
                    for pkg in &mut p.packages {
                        pkg.files = vec![c.meta.path.clone()];
                    }
                    p
                });
            emit("go", c, res, out);
        }
    }
}

/// `go1.21.3` → `1.21.3`; `go1.20` → `1.20.0`; `go1.22rc1` → `1.22.0-rc.1`;
/// `go1.21.3 X:boringcrypto` → `1.21.3`. `None` for development toolchains.
pub fn stdlib_version(go: &str) -> Option<String> {
    let v = go.split_whitespace().next()?.strip_prefix("go")?;
    // Toolchain suffixes such as `-xyz` (go1.23.6-xyz) are not part of the release.
    let v = v.split('-').next()?;
    let (nums, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let parts: Vec<&str> = nums.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut out = parts.join(".");
    for _ in parts.len()..3 {
        out.push_str(".0");
    }
    if let Some(pre) = pre {
        let (tag, n) = pre.split_at(pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len()));
        out.push('-');
        out.push_str(tag);
        if !n.is_empty() {
            out.push('.');
            out.push_str(n);
        }
    }
    Some(out)
}

/// Packages from extracted build info: the toolchain (`stdlib`), the main module (when it has a
/// real version) and every dependency, replacements applied.
pub fn parse_buildinfo(bi: &BuildInfo) -> Parsed {
    let mut out = Parsed::default();
    match stdlib_version(&bi.go) {
        Some(v) => out
            .packages
            .push(package(PackageKind::GoStdlib, "stdlib", &v)),
        None => out.notes.push(format!(
            "Go toolchain version {:?} is not a release; stdlib not reported",
            bi.go
        )),
    }
    if bi.modinfo.trim().is_empty() {
        out.notes
            .push("binary built without module information; only the toolchain is reported".into());
        return out;
    }
    let mut deps: Vec<Package> = Vec::new();
    for line in bi.modinfo.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.first().copied() {
            Some("mod") if f.len() >= 3 => {
                let (path, ver) = (f[1], f[2]);
                if ver.is_empty() || ver == "(devel)" {
                    out.notes.push(format!(
                        "main module {path} has no release version ({ver:?}); not reported"
                    ));
                } else {
                    deps.push(package(PackageKind::Go, path, ver));
                }
            }
            Some("dep") if f.len() >= 3 => deps.push(package(PackageKind::Go, f[1], f[2])),
            Some("=>") if f.len() >= 2 => {
                let Some(last) = deps.pop() else {
                    continue;
                };
                let new_path = f[1];
                let new_ver = f.get(2).copied().unwrap_or("");
                if new_ver.is_empty() {
                    out.notes.push(format!(
                        "{}@{} is replaced by local directory {new_path}; not reported",
                        last.name, last.version
                    ));
                } else {
                    deps.push(package(PackageKind::Go, new_path, new_ver));
                }
            }
            _ => {}
        }
    }
    out.packages.extend(deps);
    out
}

/// `go.mod`: `require` lines (single and blocks), with `replace` directives applied. Local
/// replacements (a directory, no version) drop the module with a note.
pub fn parse_go_mod(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    const F: &str = "go.mod";
    let text = super::text(path, F, data)?;
    let mut requires: Vec<(String, String)> = Vec::new();
    // (old path, old version or "", new path, new version or "")
    let mut replaces: Vec<(String, String, String, String)> = Vec::new();
    let mut block: Option<&str> = None;
    let mut saw_directive = false;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (verb, rest) = match block {
            Some(b) => {
                if line == ")" {
                    block = None;
                    continue;
                }
                (b, line)
            }
            None => {
                let (v, r) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                let r = r.trim();
                if r == "(" {
                    block = Some(match v {
                        "require" => "require",
                        "replace" => "replace",
                        "exclude" => "exclude",
                        "retract" => "retract",
                        "tool" => "tool",
                        "godebug" => "godebug",
                        "ignore" => "ignore",
                        _ => {
                            return Err(LangError::invalid(
                                path,
                                F,
                                format!("line {}: unknown block {v:?}", n + 1),
                            ));
                        }
                    });
                    saw_directive = true;
                    continue;
                }
                (v, r)
            }
        };
        match verb {
            "module" | "go" | "toolchain" | "exclude" | "retract" | "tool" | "godebug"
            | "ignore" => saw_directive = true,
            "require" => {
                saw_directive = true;
                let f: Vec<&str> = rest.split_whitespace().collect();
                if f.len() < 2 {
                    return Err(LangError::invalid(
                        path,
                        F,
                        format!("line {}: require needs a module and a version", n + 1),
                    ));
                }
                requires.push((unquote(f[0]), f[1].to_string()));
            }
            "replace" => {
                saw_directive = true;
                let Some((old, new)) = rest.split_once("=>") else {
                    return Err(LangError::invalid(
                        path,
                        F,
                        format!("line {}: replace without =>", n + 1),
                    ));
                };
                let o: Vec<&str> = old.split_whitespace().collect();
                let w: Vec<&str> = new.split_whitespace().collect();
                if o.is_empty() || w.is_empty() {
                    return Err(LangError::invalid(
                        path,
                        F,
                        format!("line {}: malformed replace", n + 1),
                    ));
                }
                replaces.push((
                    unquote(o[0]),
                    o.get(1).map_or(String::new(), |s| (*s).to_string()),
                    unquote(w[0]),
                    w.get(1).map_or(String::new(), |s| (*s).to_string()),
                ));
            }
            _ => {
                return Err(LangError::invalid(
                    path,
                    F,
                    format!("line {}: unknown directive {verb:?}", n + 1),
                ));
            }
        }
    }
    if !saw_directive {
        return Err(LangError::invalid(path, F, "no go.mod directives"));
    }
    let mut out = Parsed::default();
    let mut seen = std::collections::BTreeSet::new();
    for (m, v) in requires {
        let rep = replaces
            .iter()
            .find(|(o, ov, _, _)| *o == m && (ov.is_empty() || *ov == v));
        let (name, ver) = match rep {
            Some((_, _, np, nv)) if nv.is_empty() => {
                out.notes.push(format!(
                    "{m}@{v} is replaced by local directory {np}; not reported"
                ));
                continue;
            }
            Some((_, _, np, nv)) => (np.clone(), nv.clone()),
            None => (m, v),
        };
        if seen.insert((name.clone(), ver.clone())) {
            out.packages.push(package(PackageKind::Go, &name, &ver));
        }
    }
    Ok(out)
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').trim_matches('`').to_string()
}

/// For the fuzzer and tests: packages from a whole ELF.
pub fn parse_binary(path: &str, elf: &[u8]) -> Result<Parsed, LangError> {
    match extract_buildinfo(elf) {
        Ok(Some(bi)) => Ok(parse_buildinfo(&bi)),
        Ok(None) => Ok(Parsed::default()),
        Err(e) => Err(LangError::invalid(path, "Go build info", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdlib_versions() {
        assert_eq!(stdlib_version("go1.21.3").as_deref(), Some("1.21.3"));
        assert_eq!(stdlib_version("go1.20").as_deref(), Some("1.20.0"));
        assert_eq!(stdlib_version("go1.22rc1").as_deref(), Some("1.22.0-rc.1"));
        assert_eq!(
            stdlib_version("go1.21.3 X:boringcrypto").as_deref(),
            Some("1.21.3")
        );
        assert_eq!(stdlib_version("devel go1.23-abc"), None);
    }

    #[test]
    fn modinfo_with_replacement() {
        let bi = BuildInfo {
            go: "go1.19.2".into(),
            modinfo: "path\tex.com/cmd\nmod\tex.com\t(devel)\t\ndep\ta.com/x\tv1.0.0\th1:x\n=>\tb.com/x\tv1.1.0\th1:y\ndep\tc.com/y\tv0.1.0\th1:z\n=>\t../y\t\t\nbuild\tGOOS=linux\n".into(),
        };
        let p = parse_buildinfo(&bi);
        let got: Vec<_> = p
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.ecosystem.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("stdlib", "1.19.2", Some("Go")),
                ("b.com/x", "v1.1.0", Some("Go")),
            ]
        );
        assert_eq!(p.notes.len(), 2);
    }

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

    /// A minimal ELF64 with one PT_LOAD segment and pre-1.18 (pointer) build info.
    #[test]
    fn pointer_format_resolves_through_segments() {
        let base: u64 = 0x40_0000;
        let version = b"go1.16.5";
        let modinfo = b"0123456789abcdefpath\tx\nmod\tx.com/m\tv0.9.0\t\ndep\ty.com/d\tv1.0.0\th1:x\n0123456789abcdef";
        let mut f = vec![0u8; 128];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // 64-bit
        f[5] = 1; // little endian
        f[6] = 1;
        f[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        f[18..20].copy_from_slice(&0x3eu16.to_le_bytes());
        f[20..24].copy_from_slice(&1u32.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        f[52..54].copy_from_slice(&64u16.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
        f[58..60].copy_from_slice(&64u16.to_le_bytes());
        // build info header at 128, string headers at 160/176, data at 192.
        f.extend_from_slice(MAGIC);
        f.push(8);
        f.push(0);
        f.extend_from_slice(&(base + 160).to_le_bytes());
        f.extend_from_slice(&(base + 176).to_le_bytes());
        let vdata = 192u64;
        let mdata = vdata + version.len() as u64;
        f.extend_from_slice(&(base + vdata).to_le_bytes());
        f.extend_from_slice(&(version.len() as u64).to_le_bytes());
        f.extend_from_slice(&(base + mdata).to_le_bytes());
        f.extend_from_slice(&(modinfo.len() as u64).to_le_bytes());
        f.extend_from_slice(version);
        f.extend_from_slice(modinfo);
        let len = f.len() as u64;
        let ph = &mut f[64..120];
        ph[0..4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        ph[4..8].copy_from_slice(&4u32.to_le_bytes());
        ph[16..24].copy_from_slice(&base.to_le_bytes());
        ph[24..32].copy_from_slice(&base.to_le_bytes());
        ph[32..40].copy_from_slice(&len.to_le_bytes());
        ph[40..48].copy_from_slice(&len.to_le_bytes());
        ph[48..56].copy_from_slice(&0x1000u64.to_le_bytes());
        let p = parse_binary("bin", &f).unwrap();
        let got: Vec<_> = p
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("stdlib", "1.16.5"),
                ("x.com/m", "v0.9.0"),
                ("y.com/d", "v1.0.0")
            ]
        );
        // A truncated copy fails with an error naming the file, never panics.
        let e = parse_binary("bin", &f[..200]).unwrap_err();
        assert!(e.to_string().contains("bin"), "{e}");
    }
}
