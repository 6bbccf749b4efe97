//! Executables larger than `KEEP_WHOLE` are read as a stream into a sparse buffer (head, tail and
//! a window after each Go build-info magic) instead of being held whole. This test makes large
//! executables the way real ones are laid out — the test Go binary and the cargo-auditable ELF
//! from `.ci/setup.d/catalog-lang.sh`, each grown past 16 MiB by `objcopy --add-section` of a
//! 24 MiB non-alloc section, so the section headers stay at the end — and checks that:
//! - the streamed read finds exactly what reading the whole file finds;
//! - only a few MiB of the file are kept;
//! - a pre-Go-1.18 (pointer format) header in a large file is reported, not guessed.
//!
//! In CI (env `CI` set) missing inputs or tools fail the test; locally it skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use sekisho_artifact::{Capture, EntryMeta};
use sekisho_catalog::lang::binary::{
    ElfCapture, ElfFacts, KEEP_WHOLE, elf_facts, read_elf_bounded,
};
use sekisho_catalog::lang::golang::extract_buildinfo;
use sekisho_catalog::lang::rust::extract_auditable;

fn inputs() -> Option<PathBuf> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/test-inputs/catalog-lang"
    ))
    .to_path_buf();
    let have_objcopy = Command::new("objcopy").arg("--version").output().is_ok();
    if dir.join("go/goapp").exists() && dir.join("rust/auditable-app").exists() && have_objcopy {
        return Some(dir);
    }
    sekisho_testutil::require(
        false,
        "catalog-lang test inputs and objcopy (.ci/setup.d/catalog-lang.sh, binutils)",
    );
    None
}

/// `src` with a `size`-byte non-alloc section `.pad` added (and, for `extra`, another section
/// added after it), written to `dst` with mode 755.
fn grow(src: &Path, dst: &Path, size: usize, extra: Option<(&str, &Path)>) {
    let pad = dst.with_extension("pad");
    // Deterministic filler without the Go magic in it.
    let filler: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    std::fs::write(&pad, filler).unwrap();
    let mut c = Command::new("objcopy");
    c.arg("--add-section")
        .arg(format!(".pad={}", pad.display()))
        .args(["--set-section-flags", ".pad=noload,readonly"]);
    if let Some((name, file)) = extra {
        c.arg("--add-section")
            .arg(format!("{name}={}", file.display()))
            .args(["--set-section-flags", &format!("{name}=noload,readonly")]);
    }
    let st = c.arg(src).arg(dst).status().unwrap();
    assert!(st.success(), "objcopy failed");
    std::fs::remove_file(&pad).unwrap();
}

fn streamed(path: &Path) -> (ElfFacts, u64) {
    let bytes = std::fs::read(path).unwrap();
    let mut meta = EntryMeta::file("usr/bin/big", bytes.len() as u64);
    meta.mode = 0o755;
    assert!(ElfCapture.wants(&meta));
    let img = read_elf_bounded(&meta, &mut bytes.as_slice())
        .unwrap()
        .unwrap();
    let kept: u64 = img
        .kept
        .as_ref()
        .expect("a large file is read sparsely")
        .iter()
        .map(|(a, b)| b - a)
        .sum();
    (elf_facts(&img), kept)
}

#[test]
fn large_executables_are_streamed_with_bounded_memory() {
    let Some(dir) = inputs() else { return };
    let tmp = tempfile::tempdir().unwrap();

    // Go: the build info comes out the same as from the whole file.
    let go_src = dir.join("go/goapp");
    let big_go = tmp.path().join("big-go");
    grow(&go_src, &big_go, 24 << 20, None);
    let whole = std::fs::read(&big_go).unwrap();
    assert!(whole.len() as u64 > KEEP_WHOLE + (8 << 20));
    let want = extract_buildinfo(&whole).unwrap().expect("Go build info");
    assert!(want.go.starts_with("go1."), "{want:?}");
    let (facts, kept) = streamed(&big_go);
    assert_eq!(facts.go, Some(Ok(want)));
    assert_eq!(facts.rust, None);
    assert!(kept < 12 << 20, "kept {kept} bytes of {}", whole.len());

    // Rust: a .dep-v0 section after a big section (in the kept tail) is read the same.
    let rust_src = dir.join("rust/auditable-app");
    let dep = dir.join("rust/dep-v0.z");
    let plain = tmp.path().join("plain");
    // Strip the existing .dep-v0 and add it back after the padding.
    let st = Command::new("objcopy")
        .args(["--remove-section", ".dep-v0"])
        .arg(&rust_src)
        .arg(&plain)
        .status()
        .unwrap();
    assert!(st.success());
    let big_rust = tmp.path().join("big-rust");
    grow(&plain, &big_rust, 24 << 20, Some((".dep-v0", &dep)));
    let whole = std::fs::read(&big_rust).unwrap();
    let want = extract_auditable(&whole).unwrap().expect(".dep-v0");
    let (facts, kept) = streamed(&big_rust);
    assert_eq!(
        facts.rust,
        Some(Ok(String::from_utf8(want).unwrap())),
        "{facts:?}"
    );
    assert_eq!(facts.go, None);
    assert!(kept < 12 << 20, "kept {kept}");

    // The whole capture path keeps only the small facts.
    let mut meta = EntryMeta::file("usr/bin/big-go", std::fs::metadata(&big_go).unwrap().len());
    meta.mode = 0o755;
    let data = ElfCapture
        .capture(&meta, &mut std::fs::File::open(&big_go).unwrap())
        .unwrap()
        .unwrap();
    assert!(data.len() < 64 << 10, "{} bytes kept", data.len());
}

#[test]
fn pointer_format_in_a_large_file_is_reported_not_guessed() {
    // A minimal little-endian ELF64 header, then padding, then an aligned pre-1.18 header
    // (flags 0: pointers), well past the head, with no section headers.
    let size = (KEEP_WHOLE + (4 << 20)) as usize;
    let mut f = vec![0u8; size];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2; // 64-bit
    f[5] = 1; // little-endian
    f[6] = 1;
    let at = 4 << 20; // 16-byte aligned
    f[at..at + 14].copy_from_slice(b"\xff Go buildinf:");
    f[at + 14] = 8; // pointer size
    f[at + 15] = 0; // pointer format
    let mut meta = EntryMeta::file("usr/bin/old-go", size as u64);
    meta.mode = 0o755;
    let img = read_elf_bounded(&meta, &mut f.as_slice()).unwrap().unwrap();
    let facts = elf_facts(&img);
    let err = facts.go.expect("reported").unwrap_err();
    assert!(err.contains("pre-Go-1.18 pointer format"), "{err}");
}

#[test]
fn a_stream_shorter_than_its_size_is_an_error() {
    let size = (KEEP_WHOLE + 1) as usize;
    let mut f = vec![0u8; size - 100];
    f[..4].copy_from_slice(b"\x7fELF");
    let mut meta = EntryMeta::file("usr/bin/cut", size as u64);
    meta.mode = 0o755;
    let e = read_elf_bounded(&meta, &mut f.as_slice())
        .err()
        .expect("error");
    assert!(e.to_string().contains("ends after"), "{e}");
}

/// Small limits reach the sparse path with a crafted file: an ELF64 header, an inline (Go >=
/// 1.18) build-info header far from head and tail, and filler. The streamed read gives what the
/// whole read gives, and a header whose strings run past the kept window is an error, not a
/// truncated answer.
#[test]
fn sparse_path_with_small_limits_matches_the_whole_read() {
    use sekisho_catalog::lang::binary::{SparseLimits, read_elf_bounded_with};
    let lim = SparseLimits {
        keep_whole: 1024,
        head: 256,
        tail: 256,
        go_window: 512,
        chunk: 128,
    };
    let build = |modinfo_len: usize| {
        let mut f = vec![0x5au8; 8192];
        f[..64].fill(0);
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[6] = 1;
        let at = 4096;
        f[at..at + 14].copy_from_slice(b"\xff Go buildinf:");
        f[at + 14] = 8;
        f[at + 15] = 2; // inline strings
        f[at + 16..at + 32].fill(0);
        let version = b"go1.22.1";
        let modinfo = vec![b'm'; modinfo_len];
        let mut p = at + 32;
        f[p] = version.len() as u8;
        p += 1;
        f[p..p + version.len()].copy_from_slice(version);
        p += version.len();
        // uvarint of modinfo_len (< 16384)
        f[p] = (modinfo_len as u8 & 0x7f) | 0x80;
        f[p + 1] = (modinfo_len >> 7) as u8;
        p += 2;
        f[p..p + modinfo_len].copy_from_slice(&modinfo);
        f
    };
    let mut meta = EntryMeta::file("usr/bin/crafted", 8192);
    meta.mode = 0o755;

    let f = build(200);
    let whole = extract_buildinfo(&f).unwrap().unwrap();
    let img = read_elf_bounded_with(&meta, &mut f.as_slice(), &lim)
        .unwrap()
        .unwrap();
    let kept: u64 = img.kept.as_ref().unwrap().iter().map(|(a, b)| b - a).sum();
    assert!(kept < 2048, "kept {kept}");
    assert_eq!(elf_facts(&img).go, Some(Ok(whole)));

    // Strings longer than the window: reported, not read as zeros.
    let f = build(1500);
    assert!(extract_buildinfo(&f).unwrap().is_some());
    let img = read_elf_bounded_with(&meta, &mut f.as_slice(), &lim)
        .unwrap()
        .unwrap();
    let err = elf_facts(&img).go.unwrap().unwrap_err();
    assert!(err.contains("kept while streaming"), "{err}");
}
