//! The malicious-tar corpus: every hostile-input case from the image issue, built by hand here, and
//! each must end in a clear error (naming the layer and, where there is one, the path) or a safe
//! result with a note.

use std::io::{Read, Write};
use std::sync::Arc;

use sekisho_artifact::image::tar_layer::{MemBlob, walk_tar_bytes};
use sekisho_artifact::image::{BlobOpener, ImageError, Limits, TarLayer};
use sekisho_artifact::{Capture, EntryMeta, LayerInfo, LayerSource};
use sekisho_artifact::{Inventory, WalkError, collect};
use sha2::{Digest, Sha256};

// ---------- a tiny tar writer that will write anything ----------

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0width$o}\0", v, width = field.len() - 1);
    if s.len() == field.len() {
        field.copy_from_slice(s.as_bytes());
    } else {
        // GNU base-256 for values that do not fit in octal.
        field.fill(0);
        let n = field.len();
        field[n - 8..].copy_from_slice(&v.to_be_bytes());
        field[0] = 0x80;
    }
}

fn header(name: &[u8], typeflag: u8, size: u64, link: &[u8]) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = typeflag;
    let l = link.len().min(100);
    h[157..157 + l].copy_from_slice(&link[..l]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    checksum(&mut h);
    h
}

fn checksum(h: &mut [u8; 512]) {
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|b| u64::from(*b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
}

#[derive(Default)]
struct Tar(Vec<u8>);

impl Tar {
    fn raw(&mut self, h: [u8; 512], data: &[u8]) -> &mut Self {
        self.0.extend_from_slice(&h);
        self.0.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.0.extend(std::iter::repeat_n(0u8, pad));
        self
    }
    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.raw(header(name.as_bytes(), b'0', data.len() as u64, b""), data)
    }
    fn entry(&mut self, name: &str, t: u8, link: &str) -> &mut Self {
        self.raw(header(name.as_bytes(), t, 0, link.as_bytes()), b"")
    }
    fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        let mut body = Vec::new();
        for (k, v) in records {
            let rest = k.len() + v.len() + 3; // ' ' '=' '\n'
            let mut len = rest + 1;
            while format!("{len}").len() + rest != len {
                len = format!("{len}").len() + rest;
            }
            body.extend_from_slice(format!("{len} {k}=").as_bytes());
            body.extend_from_slice(v);
            body.push(b'\n');
        }
        self.raw(
            header(b"././@PaxHeader", b'x', body.len() as u64, b""),
            &body.clone(),
        )
    }
    fn gnu_long(&mut self, t: u8, name: &[u8]) -> &mut Self {
        let mut d = name.to_vec();
        d.push(0);
        self.raw(header(b"././@LongLink", t, d.len() as u64, b""), &d)
    }
    fn end(&mut self) -> Vec<u8> {
        self.0.extend(std::iter::repeat_n(0u8, 1024));
        std::mem::take(&mut self.0)
    }
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

// ---------- captures ----------

struct All;
impl Capture for All {
    fn id(&self) -> &'static str {
        "all"
    }
    fn wants(&self, m: &EntryMeta) -> bool {
        m.is_file() || matches!(m.kind, sekisho_artifact::EntryKind::Hardlink { .. })
    }
    fn max_size(&self) -> u64 {
        1 << 20
    }
}

fn layer(blob: Vec<u8>, tar: &[u8]) -> Box<dyn LayerSource> {
    let info = LayerInfo {
        index: 0,
        digest: Some(sha(&blob)),
        diff_id: Some(sha(tar)),
        ..LayerInfo::default()
    };
    Box::new(TarLayer::new(
        info,
        Arc::new(MemBlob(Arc::new(blob))),
        Limits::default(),
    ))
}

fn scan(tar: &[u8]) -> Result<Inventory, WalkError> {
    collect(vec![layer(gzip(tar), tar)], &[&All], 1)
}

fn files(inv: &Inventory) -> Vec<(String, Vec<u8>)> {
    inv.visible("all")
        .map(|c| (c.meta.path.clone(), c.data.clone()))
        .collect()
}

fn has_note(inv: &Inventory, subject_part: &str, msg_part: &str) -> bool {
    inv.notes
        .iter()
        .any(|n| n.subject.contains(subject_part) && n.message.contains(msg_part))
}

// ---------- the corpus ----------

#[test]
fn absolute_and_dotdot_paths_stay_inside_with_a_note() {
    let tar = Tar::default()
        .file("/etc/passwd", b"root")
        .file("../../../etc/shadow", b"x")
        .file("./usr/./lib/../bin/sh", b"sh")
        .end();
    let inv = scan(&tar).unwrap();
    let f = files(&inv);
    let paths: Vec<&str> = f.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, vec!["etc/passwd", "etc/shadow", "usr/bin/sh"]);
    assert!(has_note(&inv, "/etc/passwd", "absolute"));
    assert!(has_note(&inv, "../../../etc/shadow", "resolved inside"));
}

#[test]
fn symlinks_out_of_the_root_resolve_inside() {
    let tar = Tar::default()
        .entry("escape", b'2', "../../../../../etc")
        .entry("abs", b'2', "/etc/passwd")
        .file("etc/passwd", b"root")
        .end();
    let inv = scan(&tar).unwrap();
    assert_eq!(inv.resolve("escape/passwd").unwrap(), "etc/passwd");
    assert_eq!(inv.get("all", "abs").unwrap().data, b"root");
}

#[test]
fn hardlinks_to_missing_or_later_entries_are_noted() {
    let tar = Tar::default()
        .file("a", b"hello")
        .entry("link-ok", b'1', "a")
        .entry("link-later", b'1', "b")
        .entry("link-missing", b'1', "nowhere")
        .entry("link-abs", b'1', "/../a")
        .file("b", b"later")
        .end();
    let inv = scan(&tar).unwrap();
    assert_eq!(inv.get("all", "link-ok").unwrap().data, b"hello");
    assert_eq!(inv.get("all", "link-abs").unwrap().data, b"hello");
    assert!(has_note(&inv, "link-later", "hard link"));
    assert!(has_note(&inv, "link-missing", "hard link"));
}

#[test]
fn device_nodes_and_fifos_are_entries_without_content() {
    let mut h = header(b"dev/sda", b'4', 0, b"");
    octal(&mut h[329..337], 8);
    checksum(&mut h);
    let tar = Tar::default()
        .raw(h, b"")
        .entry("dev/null", b'3', "")
        .entry("run/fifo", b'6', "")
        .file("ok", b"1")
        .end();
    let mut kinds = Vec::new();
    let mut notes = Vec::new();
    walk_tar_bytes(
        &tar,
        &Limits::default(),
        &mut |m, r| {
            let mut b = Vec::new();
            r.read_to_end(&mut b)?;
            kinds.push((m.path.clone(), m.kind.clone(), b.len()));
            Ok(())
        },
        &mut notes,
    )
    .unwrap();
    use sekisho_artifact::EntryKind::*;
    assert_eq!(
        kinds,
        vec![
            ("dev/sda".into(), BlockDevice, 0),
            ("dev/null".into(), CharDevice, 0),
            ("run/fifo".into(), Fifo, 0),
            ("ok".into(), File, 1),
        ]
    );
}

/// GNU old-style sparse header ('S') with the given segments and stored data.
fn gnu_sparse(name: &str, realsize: u64, segs: &[(u64, u64)], data: &[u8]) -> [u8; 512] {
    let mut h = header(name.as_bytes(), b'S', data.len() as u64, b"");
    h[257..265].copy_from_slice(b"ustar  \0");
    for (i, (off, len)) in segs.iter().enumerate().take(4) {
        let at = 386 + i * 24;
        octal(&mut h[at..at + 12], *off);
        octal(&mut h[at + 12..at + 24], *len);
    }
    octal(&mut h[483..495], realsize);
    checksum(&mut h);
    h
}

#[test]
fn sparse_files_reconstruct_and_huge_ones_are_skipped() {
    let small = gnu_sparse("sparse", 16, &[(0, 3), (10, 3)], b"abcxyz");
    let huge_size = 1u64 << 40; // 1 TiB logical, 5 bytes stored
    let huge = gnu_sparse("huge", huge_size, &[(huge_size - 5, 5)], b"tail!");
    let tar = Tar::default()
        .raw(small, b"abcxyz")
        .raw(huge, b"tail!")
        .file("after", b"ok")
        .end();
    let inv = scan(&tar).unwrap();
    let got = inv.get("all", "sparse").unwrap();
    assert_eq!(got.data, b"abc\0\0\0\0\0\0\0xyz\0\0\0");
    assert_eq!(got.meta.size, 16);
    assert!(inv.get("all", "huge").is_none());
    assert!(has_note(&inv, "huge", "limit"));
    assert_eq!(inv.get("all", "after").unwrap().data, b"ok");
    // A sparse map that claims more than is stored: skipped with a note, walk goes on.
    let bad = gnu_sparse("bad", 100, &[(0, 50)], b"xy");
    let tar = Tar::default().raw(bad, b"xy").file("after", b"ok").end();
    let inv = scan(&tar).unwrap();
    assert!(has_note(&inv, "bad", "sparse map"));
    assert!(inv.get("all", "after").is_some());
}

#[test]
fn pax_sparse_1_0_reconstructs() {
    let mut data = b"2\n0\n2\n8\n2\n".to_vec();
    data.resize(512, 0);
    data.extend_from_slice(b"hiyo");
    let tar = Tar::default()
        .pax(&[
            ("GNU.sparse.major", b"1"),
            ("GNU.sparse.minor", b"0"),
            ("GNU.sparse.name", b"real/name"),
            ("GNU.sparse.realsize", b"12"),
        ])
        .raw(
            header(b"GNUSparseFile.0/name", b'0', data.len() as u64, b""),
            &data,
        )
        .end();
    let inv = scan(&tar).unwrap();
    assert_eq!(
        inv.get("all", "real/name").unwrap().data,
        b"hi\0\0\0\0\0\0yo\0\0"
    );
}

#[test]
fn deep_trees_and_long_names_are_skipped_with_notes() {
    let deep = "d/".repeat(600) + "f";
    let long = "x".repeat(20_000);
    let tar = Tar::default()
        .gnu_long(b'L', deep.as_bytes())
        .file("ignored-name", b"deep")
        .pax(&[("path", long.as_bytes())])
        .file("ignored2", b"long")
        .gnu_long(b'L', "long/gnu/name/".repeat(20).as_bytes())
        .file("short", b"gnu")
        .pax(&[("path", b"pax/name"), ("linkpath", b"target")])
        .entry("x", b'2', "")
        .file("after", b"ok")
        .end();
    let inv = scan(&tar).unwrap();
    assert!(has_note(&inv, "d/d/d", "levels deep"));
    assert!(has_note(&inv, "xxxx", "bytes long"));
    let gnu = "long/gnu/name/".repeat(20);
    assert_eq!(
        inv.get("all", gnu.trim_end_matches('/')).unwrap().data,
        b"gnu"
    );
    assert_eq!(
        inv.symlinks().collect::<Vec<_>>(),
        vec![("pax/name", "target")]
    );
    assert_eq!(inv.get("all", "after").unwrap().data, b"ok");
    // A GNU long name larger than the header limit: skipped, and its bytes never buffered.
    let huge = vec![b'a'; 3 << 20];
    let tar = Tar::default()
        .gnu_long(b'L', &huge)
        .file("n", b"1")
        .file("after", b"ok")
        .end();
    let inv = scan(&tar).unwrap();
    assert!(has_note(&inv, "n", "limit"));
    assert!(inv.get("all", "after").is_some());
}

#[test]
fn non_utf8_names_are_noted() {
    let tar = Tar::default()
        .raw(header(b"bad\xff\xfe", b'0', 1, b""), b"1")
        .file("after", b"ok")
        .end();
    let inv = scan(&tar).unwrap();
    assert!(has_note(&inv, "bad", "UTF-8"));
    assert!(inv.get("all", "after").is_some());
}

#[test]
fn whiteouts_and_opaque_dirs_apply_across_layers() {
    let l0 = Tar::default()
        .file("a/keep", b"1")
        .file("a/gone", b"2")
        .file("b/old", b"3")
        .file("c/x", b"4")
        .end();
    let l1 = Tar::default()
        .entry("a/.wh.gone", b'0', "")
        .entry("b/.wh..wh..opq", b'0', "")
        .file("b/new", b"5")
        .entry(".wh.c", b'0', "")
        .entry(".wh..wh.plnk", b'5', "")
        .end();
    let mk = |i: usize, t: &[u8]| -> Box<dyn LayerSource> {
        let blob = gzip(t);
        Box::new(TarLayer::new(
            LayerInfo {
                index: i,
                digest: Some(sha(&blob)),
                diff_id: Some(sha(t)),
                ..LayerInfo::default()
            },
            Arc::new(MemBlob(Arc::new(blob))),
            Limits::default(),
        ))
    };
    let inv = collect(vec![mk(0, &l0), mk(1, &l1)], &[&All], 2).unwrap();
    let vis: Vec<String> = files(&inv).into_iter().map(|(p, _)| p).collect();
    assert_eq!(vis, vec!["a/keep", "b/new"]);
    let hidden: Vec<&str> = inv
        .history("all")
        .filter(|(_, v)| !v)
        .map(|(c, _)| c.meta.path.as_str())
        .collect();
    assert_eq!(hidden, vec!["a/gone", "b/old", "c/x"]);
}

/// An endless-looking stream generated on the fly: `n` empty files.
struct ManyFiles {
    n: u64,
    i: u64,
    buf: Vec<u8>,
    at: usize,
    done: bool,
}

impl Read for ManyFiles {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            self.buf.clear();
            self.at = 0;
            for _ in 0..256 {
                if self.i == self.n {
                    self.buf.extend(std::iter::repeat_n(0u8, 1024));
                    self.done = true;
                    break;
                }
                let name = format!("d{}/f{}", self.i % 1000, self.i);
                self.buf
                    .extend_from_slice(&header(name.as_bytes(), b'0', 0, b""));
                self.i += 1;
            }
        }
        let k = out.len().min(self.buf.len() - self.at);
        out[..k].copy_from_slice(&self.buf[self.at..self.at + k]);
        self.at += k;
        Ok(k)
    }
}

struct GenBlob(u64);
impl BlobOpener for GenBlob {
    fn open(&self) -> Result<Box<dyn Read + Send>, ImageError> {
        Ok(Box::new(ManyFiles {
            n: self.0,
            i: 0,
            buf: Vec::new(),
            at: 0,
            done: false,
        }))
    }
}

#[test]
fn many_tiny_files_stream_and_the_entry_limit_holds() {
    struct Count;
    impl Capture for Count {
        fn id(&self) -> &'static str {
            "count"
        }
        fn wants(&self, m: &EntryMeta) -> bool {
            m.path.ends_with("f42424")
        }
    }
    let n = 120_000;
    let l: Box<dyn LayerSource> = Box::new(TarLayer::new(
        LayerInfo::default(),
        Arc::new(GenBlob(n)),
        Limits::default(),
    ));
    let inv = collect(vec![l], &[&Count], 1).unwrap();
    assert_eq!(inv.stats[0].0, n);
    assert_eq!(inv.visible("count").count(), 1);
    let l: Box<dyn LayerSource> = Box::new(TarLayer::new(
        LayerInfo::default(),
        Arc::new(GenBlob(n)),
        Limits {
            max_entries: 1000,
            ..Limits::default()
        },
    ));
    let e = collect(vec![l], &[&Count], 1).unwrap_err().to_string();
    assert!(e.contains("1000 entry limit"), "{e}");
}

#[test]
fn decompression_bombs_hit_the_limits() {
    // 80 MiB of zeros in one file, zstd-compressed to a few KiB.
    let size = 80u64 << 20;
    let mut tar = header(b"zeros", b'0', size, b"").to_vec();
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    enc.write_all(&tar).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..(size >> 20) {
        enc.write_all(&zeros).unwrap();
    }
    enc.write_all(&[0u8; 1024]).unwrap();
    let blob = enc.finish().unwrap();
    tar.clear();
    let mk = |limits: Limits| -> Box<dyn LayerSource> {
        Box::new(TarLayer::new(
            LayerInfo {
                digest: Some(sha(&blob)),
                ..LayerInfo::default()
            },
            Arc::new(MemBlob(Arc::new(blob.clone()))),
            limits,
        ))
    };
    let d = sha(&blob);
    let e = collect(
        vec![mk(Limits {
            max_inflated: 8 << 20,
            ..Limits::default()
        })],
        &[&All],
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains(&d) && e.contains("byte limit"), "{e}");
    let e = collect(
        vec![mk(Limits {
            max_ratio: 100,
            ..Limits::default()
        })],
        &[&All],
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains(&d) && e.contains("100:1"), "{e}");
    // With default limits the same layer is fine (the 80 MiB file is just over the capture cap).
    let inv = collect(vec![mk(Limits::default())], &[&All], 1).unwrap();
    assert!(has_note(&inv, "zeros", "limit"));
}

#[test]
fn truncated_streams_are_clear_errors() {
    let tar = Tar::default().file("a", &[7u8; 100_000]).end();
    let gz = gzip(&tar);
    let cut = gz[..gz.len() / 2].to_vec();
    let d = sha(&cut);
    let l: Box<dyn LayerSource> = Box::new(TarLayer::new(
        LayerInfo {
            digest: Some(d.clone()),
            ..LayerInfo::default()
        },
        Arc::new(MemBlob(Arc::new(cut))),
        Limits::default(),
    ));
    let e = collect(vec![l], &[&All], 1).unwrap_err().to_string();
    assert!(
        e.contains(&d) && e.contains("gzip stream is truncated"),
        "{e}"
    );

    let z = zstd::encode_all(&tar[..], 3).unwrap();
    let cut = z[..z.len() - 10].to_vec();
    let l: Box<dyn LayerSource> = Box::new(TarLayer::new(
        LayerInfo {
            digest: Some(sha(&cut)),
            ..LayerInfo::default()
        },
        Arc::new(MemBlob(Arc::new(cut))),
        Limits::default(),
    ));
    let e = collect(vec![l], &[&All], 1).unwrap_err().to_string();
    assert!(e.contains("zstd stream is truncated"), "{e}");

    // A plain tar cut inside file data names the path.
    let cut = tar[..1000].to_vec();
    let l: Box<dyn LayerSource> = Box::new(TarLayer::new(
        LayerInfo {
            digest: Some(sha(&cut)),
            ..LayerInfo::default()
        },
        Arc::new(MemBlob(Arc::new(cut))),
        Limits::default(),
    ));
    let e = collect(vec![l], &[&All], 1).unwrap_err().to_string();
    assert!(e.contains("reading a") || e.contains(": a"), "{e}");
}

#[test]
fn digest_and_diff_id_mismatches_are_errors() {
    let tar = Tar::default().file("a", b"1").end();
    let gz = gzip(&tar);
    let wrong = format!("sha256:{}", "0".repeat(64));
    let l: Box<dyn LayerSource> = Box::new(TarLayer::new(
        LayerInfo {
            digest: Some(wrong.clone()),
            diff_id: Some(sha(&tar)),
            ..LayerInfo::default()
        },
        Arc::new(MemBlob(Arc::new(gz.clone()))),
        Limits::default(),
    ));
    let e = collect(vec![l], &[&All], 1).unwrap_err().to_string();
    assert!(
        e.contains(&wrong) && e.contains("blob digest mismatch"),
        "{e}"
    );
    let l: Box<dyn LayerSource> = Box::new(TarLayer::new(
        LayerInfo {
            digest: Some(sha(&gz)),
            diff_id: Some(wrong.clone()),
            ..LayerInfo::default()
        },
        Arc::new(MemBlob(Arc::new(gz))),
        Limits::default(),
    ));
    let e = collect(vec![l], &[&All], 1).unwrap_err().to_string();
    assert!(e.contains("diff_id mismatch"), "{e}");
}

/// An uncompressed layer with a digest (a `blobs/sha256/` docker-archive layer) is hashed once,
/// by the thread that reads it, that one hash checked against both the digest and the diff_id;
/// one without a digest is hashed for its diff_id as it is parsed. Any changed byte fails.
#[test]
fn an_uncompressed_layer_hashed_once_still_fails_on_any_changed_byte() {
    let tar = Tar::default()
        .file("etc/os-release", b"ID=debian\n")
        .file("b", &[7u8; 3000])
        .end();
    let plain = |blob: Vec<u8>, digest: String, diff_id: String| -> Box<dyn LayerSource> {
        Box::new(TarLayer::new(
            LayerInfo {
                digest: Some(digest).filter(|d| !d.is_empty()),
                diff_id: Some(diff_id),
                ..LayerInfo::default()
            },
            Arc::new(MemBlob(Arc::new(blob))),
            Limits::default(),
        ))
    };
    let good = sha(&tar);
    let inv = collect(
        vec![plain(tar.clone(), good.clone(), good.clone())],
        &[&All],
        1,
    )
    .unwrap();
    assert_eq!(
        inv.get("all", "etc/os-release").unwrap().data,
        b"ID=debian\n"
    );
    // One byte of file data changed (the tar still parses): the digest check fails.
    for at in [512 + 3, 1536 + 2999] {
        let mut bad = tar.clone();
        bad[at] ^= 1;
        let e = collect(vec![plain(bad, good.clone(), good.clone())], &[&All], 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("blob digest mismatch") && e.contains(&good),
            "{at}: {e}"
        );
        // Without a digest (`<id>/layer.tar` archives), the diff_id check catches it.
        let mut bad = tar.clone();
        bad[at] ^= 1;
        let e = collect(vec![plain(bad, String::new(), good.clone())], &[&All], 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("diff_id mismatch") && e.contains(&good),
            "{at}: {e}"
        );
    }
    let inv = collect(
        vec![plain(tar.clone(), String::new(), good.clone())],
        &[&All],
        1,
    )
    .unwrap();
    assert_eq!(inv.get("all", "b").unwrap().data.len(), 3000);
    // A wrong digest that is also the diff_id.
    let wrong = format!("sha256:{}", "0".repeat(64));
    let e = collect(
        vec![plain(tar.clone(), wrong.clone(), wrong.clone())],
        &[&All],
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("blob digest mismatch"), "{e}");
    // A right digest with a different diff_id is still checked on its own.
    let e = collect(
        vec![plain(tar.clone(), good.clone(), wrong.clone())],
        &[&All],
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("diff_id mismatch"), "{e}");
    // A compressed blob whose digest is named as its diff_id: the uncompressed content is
    // hashed as well, and does not match.
    let gz = gzip(&tar);
    let e = collect(vec![plain(gz.clone(), sha(&gz), sha(&gz))], &[&All], 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("diff_id mismatch"), "{e}");
}

/// A `docker save` archive holding one uncompressed layer, with one byte of the layer's file
/// data flipped after the manifest and config were written.
fn docker_archive(dir: &std::path::Path, corrupt: bool, blobs: bool) -> std::path::PathBuf {
    let layer = Tar::default()
        .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file("usr/share/doc/big", &[b'z'; 5000])
        .end();
    let lsha = sha(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{lsha}"]}}}}"#
    );
    let csha = sha(config.as_bytes());
    // `docker save` of Docker 25 and later names blobs by digest; earlier ones `<hex>.tar`, which
    // carries no digest to check but the diff_id.
    let (lname, cname) = if blobs {
        (
            format!("blobs/sha256/{}", &lsha[7..]),
            format!("blobs/sha256/{}", &csha[7..]),
        )
    } else {
        (
            format!("{}.tar", &lsha[7..]),
            format!("{}.json", &csha[7..]),
        )
    };
    let manifest = format!(r#"[{{"Config":"{cname}","RepoTags":["t:1"],"Layers":["{lname}"]}}]"#);
    let mut blob = layer;
    if corrupt {
        blob[512 + 5] ^= 0x20; // inside etc/os-release's data
    }
    let archive = Tar::default()
        .file("manifest.json", manifest.as_bytes())
        .file(&cname, config.as_bytes())
        .file(&lname, &blob)
        .end();
    let p = dir.join(format!("{corrupt}-{blobs}.tar"));
    std::fs::write(&p, archive).unwrap();
    p
}

#[test]
fn a_docker_archive_with_a_changed_layer_byte_fails_on_the_digest() {
    use sekisho_artifact::image::archive::open_archive;
    use sekisho_artifact::image::resolve::ImageOptions;
    let dir = tempfile::tempdir().unwrap();
    for (blobs, says) in [(true, "blob digest mismatch"), (false, "diff_id mismatch")] {
        let good = docker_archive(dir.path(), false, blobs);
        let good = open_archive(&good, &ImageOptions::default()).unwrap();
        let inv = collect(good.layers, &[&All], 4).unwrap();
        assert_eq!(
            inv.get("all", "etc/os-release").unwrap().data,
            b"ID=debian\nVERSION_ID=\"12\"\n"
        );
        let bad = docker_archive(dir.path(), true, blobs);
        let bad = open_archive(&bad, &ImageOptions::default()).unwrap();
        let e = collect(bad.layers, &[&All], 4).unwrap_err().to_string();
        assert!(e.contains(says), "{blobs}: {e}");
    }
}

#[test]
fn corrupt_headers_and_junk_are_errors_not_panics() {
    let mut tar = Tar::default().file("a", b"1").file("b", b"2").end();
    tar[512 * 2 + 10] ^= 0x55; // inside b's header
    let e = scan(&tar).unwrap_err().to_string();
    assert!(
        e.contains("bad checksum") && e.contains("offset 1024"),
        "{e}"
    );
    for junk in [&b"x"[..], &[0xffu8; 700][..], &[0u8; 100][..]] {
        let _ = walk_tar_bytes(
            junk,
            &Limits::default(),
            &mut |_, _| Ok(()),
            &mut Vec::new(),
        );
    }
    let e = collect(vec![layer(b"\xfd7zXZ\0rest".to_vec(), b"")], &[&All], 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("xz"), "{e}");
}

#[test]
fn layer_cache_hits_skip_the_walk_and_keys_include_captures() {
    struct Fail;
    impl BlobOpener for Fail {
        fn open(&self) -> Result<Box<dyn Read + Send>, ImageError> {
            panic!("a cache hit must not open the blob")
        }
    }
    let tar = Tar::default().file("etc/os-release", b"ID=x").end();
    let gz = gzip(&tar);
    let info = LayerInfo {
        digest: Some(sha(&gz)),
        diff_id: Some(sha(&tar)),
        ..LayerInfo::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let opts = sekisho_artifact::CollectOptions {
        threads: 1,
        cache_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let real = || -> Vec<Box<dyn LayerSource>> {
        vec![Box::new(TarLayer::new(
            info.clone(),
            Arc::new(MemBlob(Arc::new(gz.clone()))),
            Limits::default(),
        ))]
    };
    let first = sekisho_artifact::collect_with(real(), &[&All], &opts).unwrap();
    let failing: Vec<Box<dyn LayerSource>> = vec![Box::new(TarLayer::new(
        info.clone(),
        Arc::new(Fail),
        Limits::default(),
    ))];
    let second = sekisho_artifact::collect_with(failing, &[&All], &opts).unwrap();
    assert_eq!(files(&first), files(&second));
    // Another capture set is not a hit: it walks (and reads) the real blob.
    struct Other;
    impl Capture for Other {
        fn id(&self) -> &'static str {
            "other"
        }
        fn wants(&self, m: &EntryMeta) -> bool {
            m.is_file()
        }
    }
    let third = sekisho_artifact::collect_with(real(), &[&All, &Other], &opts).unwrap();
    assert_eq!(third.visible("other").count(), 1);
}
