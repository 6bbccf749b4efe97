//! Go modules: build info embedded in Go binaries, and `go.mod` files in source trees.
//!
//! Build info (what `go version -m` prints) is read out of executables by
//! [`super::binary`]'s one executable capture (the format is described in its build-info
//! module); this cataloger turns the extracted strings into packages. The module string lists
//! `path`, `mod` (main module), `dep` lines and `=>` replacements of the preceding `dep`,
//! tab-separated.
//!
//! The toolchain version (`go1.21.3`) is reported as package `stdlib` with version `1.21.3`, as
//! the Go vulnerability database (and OSV) name the standard library. Module versions are kept
//! as Go writes them (`v1.2.3`, pseudo-versions, `+incompatible`).
//!
//! The capture keeps only the extracted strings, serialised as JSON `{"go": …, "mod": …}`.

use sekisho_artifact::{Capture, Inventory};

pub use super::binary::buildinfo::{BuildInfo, MAGIC, extract_buildinfo, extract_buildinfo_from};
use super::binary::{ELF_CAPTURE, ElfCapture, ElfFacts};
use super::{Format, LangError, Parsed, SimpleCataloger, emit, file_name, package};
use crate::cataloger::{Cataloger, Context};
use crate::model::{Catalog, Package, PackageKind};

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
