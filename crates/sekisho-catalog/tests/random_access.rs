//! Executables of a directory tree are read through random access (`Capture::capture_at`): the
//! ELF header, the section header table and names, the `.go.buildinfo` window and `.dep-v0`,
//! never the whole file. These tests check that this finds exactly what the stream read finds,
//! on every executable of this machine's `/usr` and on the test Go and Rust binaries (also
//! grown past 16 MiB), and that it reads little.
//!
//! In CI (env `CI` set) missing inputs or tools fail the test; locally it skips.

use std::cell::Cell;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use sekisho_artifact::{Capture, EntryMeta, ReadAt};
use sekisho_catalog::lang::binary::{
    ElfCapture, RandomRead, SparseLimits, elf_section_range, read_elf_at,
};

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

/// A file read at offsets, counting the bytes asked for.
struct Counting {
    file: std::fs::File,
    bytes: Cell<u64>,
}

impl ReadAt for Counting {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.bytes.set(self.bytes.get() + buf.len() as u64);
        FileExt::read_exact_at(&self.file, buf, offset)
    }
}

fn meta_of(path: &Path) -> EntryMeta {
    let len = std::fs::metadata(path).unwrap().len();
    let mut meta = EntryMeta::file("usr/bin/x", len);
    meta.mode = 0o755;
    meta
}

/// (stream capture, random-access capture, bytes read at offsets)
type Both = (
    io::Result<Option<Vec<u8>>>,
    Option<io::Result<Option<Vec<u8>>>>,
    u64,
);

fn both(path: &Path) -> Both {
    let meta = meta_of(path);
    let stream = ElfCapture.capture(&meta, &mut std::fs::File::open(path).unwrap());
    let at = Counting {
        file: std::fs::File::open(path).unwrap(),
        bytes: Cell::new(0),
    };
    let random = ElfCapture.capture_at(&meta, &at);
    (stream, random, at.bytes.get())
}

fn same(path: &Path, stream: &io::Result<Option<Vec<u8>>>, random: &io::Result<Option<Vec<u8>>>) {
    match (stream, random) {
        (Ok(a), Ok(b)) => assert_eq!(
            a.as_deref().map(String::from_utf8_lossy),
            b.as_deref().map(String::from_utf8_lossy),
            "{}",
            path.display()
        ),
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "{}: {a} / {b}", path.display()),
        (a, b) => panic!("{}: stream {a:?}, random access {b:?}", path.display()),
    }
}

/// Every executable under `dir` that the capture wants (up to `max`).
fn executables(dir: &Path, out: &mut Vec<PathBuf>, max: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<_> = rd.filter_map(Result::ok).collect();
    names.sort_by_key(std::fs::DirEntry::file_name);
    for e in names {
        if out.len() >= max {
            return;
        }
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            executables(&p, out, max);
        } else if ft.is_file() {
            let md = e.metadata().unwrap();
            let mut meta = EntryMeta::file(p.to_string_lossy(), md.len());
            meta.mode = std::os::unix::fs::PermissionsExt::mode(&md.permissions());
            if ElfCapture.wants(&meta) {
                out.push(p);
            }
        }
    }
}

#[test]
fn random_access_finds_what_the_stream_finds_on_this_machines_executables() {
    let Some(dir) = inputs() else { return };
    let mut files = vec![dir.join("go/goapp"), dir.join("rust/auditable-app")];
    for d in ["/usr/bin", "/usr/sbin", "/usr/libexec", "/usr/lib"] {
        executables(Path::new(d), &mut files, 4000);
    }
    let (mut elves, mut read_whole, mut facts) = (0, 0, 0);
    let (mut stream_bytes, mut random_bytes) = (0u64, 0u64);
    for f in &files {
        let (stream, random, bytes) = both(f);
        let Some(random) = random else {
            read_whole += 1;
            continue;
        };
        same(f, &stream, &random);
        if let Ok(Some(_)) = &random {
            facts += 1;
        }
        if bytes > 4 {
            elves += 1;
            stream_bytes += std::fs::metadata(f).unwrap().len();
            random_bytes += bytes;
        }
    }
    eprintln!(
        "{} executables: {elves} ELF compared, {facts} with facts, {read_whole} read as a stream; {random_bytes} of {stream_bytes} bytes read",
        files.len()
    );
    assert!(elves >= 50, "only {elves} ELF executables compared");
    // The Go and the Rust test binaries at least.
    assert!(facts >= 2, "{facts} with Go or Rust facts");
    assert!(
        read_whole * 10 <= elves,
        "{read_whole} of {elves} fell back to the stream"
    );
    assert!(
        random_bytes * 4 < stream_bytes,
        "random access read {random_bytes} of {stream_bytes} bytes"
    );
}

/// `src` with a 24 MiB non-alloc section `.pad` added (and `extra` after it), at `dst`.
fn grow(src: &Path, dst: &Path, extra: Option<(&str, &Path)>) {
    let pad = dst.with_extension("pad");
    let filler: Vec<u8> = (0..24usize << 20).map(|i| (i % 251) as u8).collect();
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
    assert!(c.arg(src).arg(dst).status().unwrap().success());
    std::fs::remove_file(&pad).unwrap();
}

#[test]
fn large_executables_are_read_at_a_few_offsets() {
    let Some(dir) = inputs() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let big_go = tmp.path().join("big-go");
    grow(&dir.join("go/goapp"), &big_go, None);
    let plain = tmp.path().join("plain");
    let st = Command::new("objcopy")
        .args(["--remove-section", ".dep-v0"])
        .arg(dir.join("rust/auditable-app"))
        .arg(&plain)
        .status()
        .unwrap();
    assert!(st.success());
    let big_rust = tmp.path().join("big-rust");
    grow(
        &plain,
        &big_rust,
        Some((".dep-v0", &dir.join("rust/dep-v0.z"))),
    );
    for (f, what) in [(&big_go, "\"go\""), (&big_rust, "\"rust\"")] {
        let (stream, random, bytes) = both(f);
        let random = random.expect("read through random access");
        same(f, &stream, &random);
        let kept = String::from_utf8(random.unwrap().expect("facts")).unwrap();
        assert!(kept.contains(what), "{kept}");
        let size = std::fs::metadata(f).unwrap().len();
        assert!(size > 24 << 20);
        // The head (64 KiB), the tables, a 1 MiB build-info window at most, the section.
        assert!(bytes < 2 << 20, "read {bytes} of {size} bytes");
    }
}

#[test]
fn a_small_pointer_format_binary_is_read_as_a_stream() {
    let Some(dir) = inputs() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(dir.join("go/goapp")).unwrap();
    let (off, _) = elf_section_range(&bytes, ".go.buildinfo").expect(".go.buildinfo");
    let off = off as usize;
    assert_eq!(&bytes[off..off + 14], b"\xff Go buildinf:");
    bytes[off + 15] &= !2; // the pre-1.18 pointer format
    let old = tmp.path().join("old-go");
    std::fs::write(&old, &bytes).unwrap();
    let meta = meta_of(&old);
    let at = std::fs::File::open(&old).unwrap();
    match read_elf_at(&meta, &at, &SparseLimits::default()).unwrap() {
        RandomRead::Stream => {}
        _ => panic!("a pointer-format binary read whole must go to the stream"),
    }
    // And the walk then reads it whole: the same answer either way.
    let (stream, random, _) = both(&old);
    assert!(random.is_none());
    assert!(stream.is_ok());
}

#[test]
fn a_file_shorter_than_its_size_is_an_error_naming_the_gap() {
    let Some(dir) = inputs() else { return };
    let bytes = std::fs::read(dir.join("rust/auditable-app")).unwrap();
    // The section headers are at the end of the file, past what is left of it.
    let mut meta = EntryMeta::file("usr/bin/cut", bytes.len() as u64);
    meta.mode = 0o755;
    let cut: &[u8] = &bytes[..bytes.len() - 64];
    let err = match read_elf_at(&meta, &cut, &SparseLimits::default()) {
        Err(e) => e,
        Ok(_) => panic!("a short file must be an error"),
    };
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("ends before byte"), "{err}");
    // Not an ELF file: nothing to keep, and only the magic is read.
    let text: &[u8] = b"#!/bin/sh\necho hello\n";
    let meta = EntryMeta::file("usr/bin/script", text.len() as u64);
    assert!(matches!(
        read_elf_at(&meta, &text, &SparseLimits::default()),
        Ok(RandomRead::NotElf)
    ));
}

/// The Go facts of `path` by the three reads: whole, streamed with the sparse buffer (small
/// limits, so the sparse path is taken), and through random access.
fn go_three_ways(path: &Path) -> [Option<Result<String, String>>; 3] {
    use sekisho_catalog::lang::binary::{elf_facts, read_elf_bounded_with};
    let bytes = std::fs::read(path).unwrap();
    let meta = meta_of(path);
    let whole = sekisho_catalog::lang::golang::extract_buildinfo(&bytes)
        .transpose()
        .map(|r| r.map(|b| format!("{b:?}")));
    let lim = SparseLimits {
        keep_whole: 4096,
        ..SparseLimits::default()
    };
    let img = read_elf_bounded_with(&meta, &mut bytes.as_slice(), &lim)
        .unwrap()
        .unwrap();
    assert!(img.kept.is_some());
    let streamed = elf_facts(&img).go.map(|r| r.map(|b| format!("{b:?}")));
    let at: &[u8] = &bytes;
    let random = match read_elf_at(&meta, &at, &SparseLimits::default()).unwrap() {
        RandomRead::Read(img) => elf_facts(&img).go.map(|r| r.map(|b| format!("{b:?}"))),
        _ => panic!("{}: not read through random access", path.display()),
    };
    [whole, streamed, random]
}

/// Without a `.go.buildinfo` section, Go's `debug/buildinfo` looks at the start of the first
/// writable segment, where Go's linker puts the build info; so do all three reads.
#[test]
fn without_the_section_the_build_info_is_found_where_go_looks() {
    let Some(dir) = inputs() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let renamed = tmp.path().join("renamed");
    let st = Command::new("objcopy")
        .args(["--rename-section", ".go.buildinfo=.gobi"])
        .arg(dir.join("go/goapp"))
        .arg(&renamed)
        .status()
        .unwrap();
    assert!(st.success());
    let bytes = std::fs::read(&renamed).unwrap();
    assert!(elf_section_range(&bytes, ".go.buildinfo").is_none());
    let want = go_three_ways(&dir.join("go/goapp"));
    assert!(matches!(&want[0], Some(Ok(_))), "{want:?}");
    assert_eq!(go_three_ways(&renamed), want);
    assert_eq!(want[1], want[0]);
    assert_eq!(want[2], want[0]);
}

/// A program that carries Go's build-info magic as data (a scanner such as this one) is not a Go
/// binary: the magic is outside where Go looks, and no read reports it (a whole-file search
/// used to read garbage after it as a toolchain version).
#[test]
fn the_magic_outside_where_go_looks_is_not_go_build_info() {
    let Some(dir) = inputs() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let blob = tmp.path().join("blob");
    let mut b = vec![0u8; 4096];
    for at in (0..4096).step_by(512) {
        b[at..at + 14].copy_from_slice(b"\xff Go buildinf:");
        b[at + 14] = 8;
        b[at + 15] = 2;
        b[at + 32] = 5;
        b[at + 33..at + 38].copy_from_slice(b"junk!");
    }
    std::fs::write(&blob, &b).unwrap();
    let bin = tmp.path().join("rust-with-magic");
    let st = Command::new("objcopy")
        .arg("--add-section")
        .arg(format!(".magic={}", blob.display()))
        .args([
            "--set-section-flags",
            ".magic=noload,readonly",
            "--set-section-alignment",
            ".magic=4096",
        ])
        .arg(dir.join("rust/auditable-app"))
        .arg(&bin)
        .status()
        .unwrap();
    assert!(st.success());
    let bytes = std::fs::read(&bin).unwrap();
    let (off, _) = elf_section_range(&bytes, ".magic").unwrap();
    assert_eq!(
        &bytes[off as usize..off as usize + 14],
        b"\xff Go buildinf:"
    );
    assert_eq!(go_three_ways(&bin), [None, None, None]);
}
