//! What a file that is not a VM disk is: a text file, an image archive, a compressed file…, so
//! that `sekisho vm FILE` can say what it found and which command reads it.
//!
//! Only called on files in which nothing was recognised (no disk format, no partition table, no
//! filesystem). Bounded: the first 64 KiB, and at most [`MAX_TAR_ENTRIES`] tar headers (the
//! entries' contents are skipped by seeking, or, inside gzip, read through and dropped up to
//! [`MAX_INFLATE`] bytes).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Most tar headers looked at.
pub const MAX_TAR_ENTRIES: usize = 100_000;
/// Most bytes inflated from a gzip-compressed file.
pub const MAX_INFLATE: u64 = 256 << 20;

/// What kind of image archive a tar holds, from its entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TarKind {
    /// `oci-layout` (and `index.json`): an OCI image layout in a tar.
    Oci,
    /// `manifest.json` without `oci-layout`: `docker save`.
    Docker,
    /// Neither, or not known within the bounds.
    Plain,
}

/// A sentence fragment saying what the file at `path` is, and which command reads it (e.g. "a
/// text file", "an OCI archive: try `sekisho image --input FILE`"). `None` when unreadable.
#[must_use]
pub fn describe(path: &Path) -> Option<String> {
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    describe_reader(&mut f, len, &path.display().to_string())
}

/// [`describe`] for content read from `f` (the content starting at offset 0, `len` bytes long), named
/// `shown` in the suggested command.
#[must_use]
pub fn describe_reader<R: Read + Seek>(f: &mut R, len: u64, shown: &str) -> Option<String> {
    let mut head = Vec::with_capacity(65536);
    f.by_ref().take(65536).read_to_end(&mut head).ok()?;
    if head.is_empty() {
        return Some("an empty file".into());
    }
    if is_tar_header(&head) {
        return Some(match tar_kind(f, len) {
            TarKind::Oci => format!("an OCI archive: try `sekisho image --input {shown}`"),
            TarKind::Docker => {
                format!("a docker-archive (`docker save`): try `sekisho image --input {shown}`")
            }
            TarKind::Plain => "a tar archive that is not an image archive (a root filesystem? \
                 extract it and run `sekisho rootfs DIR`)"
                .into(),
        });
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        let _ = f.seek(SeekFrom::Start(0));
        let mut gz = flate2::read::MultiGzDecoder::new(io::BufReader::new(f)).take(MAX_INFLATE);
        let mut first = vec![0u8; 512];
        let tar = gz.read_exact(&mut first).is_ok() && is_tar_header(&first);
        if !tar {
            return Some(
                "gzip-compressed data, not a disk image (decompress a compressed disk first)"
                    .into(),
            );
        }
        return Some(match tar_kind_stream(&first, &mut gz) {
            TarKind::Oci => {
                format!("a gzip-compressed OCI archive: try `sekisho image --input {shown}`")
            }
            TarKind::Docker => {
                format!("a gzip-compressed docker-archive: try `sekisho image --input {shown}`")
            }
            TarKind::Plain => "a gzip-compressed tar archive that is not an image archive (a root \
                 filesystem? extract it and run `sekisho rootfs DIR`)"
                .into(),
        });
    }
    let magic: &[(&[u8], &str)] = &[
        (b"\xfd7zXZ\x00", "xz-compressed data"),
        (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
        (b"BZh", "bzip2-compressed data"),
        (b"PK\x03\x04", "a zip archive"),
        (b"\x7fELF", "an ELF executable or library"),
        (
            b"hsqs",
            "a squashfs filesystem, which sekisho does not read",
        ),
        (b"SQLite format 3\x00", "an SQLite database"),
    ];
    for (m, what) in magic {
        if head.starts_with(m) {
            let mut s = (*what).to_string();
            if what.ends_with("compressed data") {
                s.push_str(", not a disk image (decompress it first)");
            }
            return Some(s);
        }
    }
    if head.len() > 0x8006 && &head[0x8001..0x8006] == b"CD001" {
        return Some("an ISO 9660 (CD/DVD) image, which sekisho does not read".into());
    }
    if let Some(text) = as_text(&head, len > head.len() as u64) {
        let t = text.trim_start();
        if (t.starts_with('{') || t.starts_with('['))
            && (t.contains("\"bomFormat\"") || t.contains("\"spdxVersion\""))
        {
            return Some(format!("an SBOM: try `sekisho scan-sbom {shown}`"));
        }
        if t.starts_with('{') || t.starts_with('[') {
            return Some("a JSON text file".into());
        }
        return Some("a text file".into());
    }
    None
}

/// The head as text: valid UTF-8 (a character cut at the end of a longer file is fine) with no
/// NUL and almost only printable characters.
fn as_text(head: &[u8], more: bool) -> Option<&str> {
    let s = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if more && head.len() - e.valid_up_to() < 4 && e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    let control = s
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c'))
        .count();
    (control * 100 <= s.chars().count()).then_some(s)
}

/// A ustar or GNU tar header with a valid checksum.
fn is_tar_header(b: &[u8]) -> bool {
    if b.len() < 512 || b[257..262] != *b"ustar" {
        return false;
    }
    let Some(want) = octal(&b[148..156]) else {
        return false;
    };
    let sum: u64 = b[..512]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if (148..156).contains(&i) {
                u64::from(b' ')
            } else {
                u64::from(c)
            }
        })
        .sum();
    sum == want
}

fn octal(f: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(f).ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c == ' ');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

/// The entry's content size (octal, or GNU base-256).
fn entry_size(h: &[u8]) -> Option<u64> {
    let f = &h[124..136];
    if f[0] & 0x80 != 0 {
        let mut v: u64 = 0;
        for &c in &f[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(c))?;
        }
        return Some(v);
    }
    octal(f)
}

/// The entry's name, without a leading `./`.
fn entry_name(h: &[u8]) -> String {
    let end = h[..100].iter().position(|&c| c == 0).unwrap_or(100);
    let name = String::from_utf8_lossy(&h[..end]);
    name.trim_start_matches("./").to_string()
}

/// What `name` says about the archive: `Some` once the answer is final (`oci-layout`);
/// `manifest.json` is remembered, as an OCI archive may hold one too.
fn note(name: &str, manifest: &mut bool) -> Option<TarKind> {
    match name {
        "oci-layout" => Some(TarKind::Oci),
        "manifest.json" => {
            *manifest = true;
            None
        }
        _ => None,
    }
}

/// Walk a seekable tar's headers.
fn tar_kind<R: Read + Seek>(f: &mut R, len: u64) -> TarKind {
    let mut manifest = false;
    let mut at: u64 = 0;
    let mut h = [0u8; 512];
    for _ in 0..MAX_TAR_ENTRIES {
        if at + 512 > len || f.seek(SeekFrom::Start(at)).is_err() || f.read_exact(&mut h).is_err() {
            break;
        }
        if !is_tar_header(&h) {
            break;
        }
        if let Some(k) = note(&entry_name(&h), &mut manifest) {
            return k;
        }
        let Some(size) = entry_size(&h) else { break };
        at = at
            .saturating_add(512)
            .saturating_add(size.div_ceil(512) * 512);
    }
    if manifest {
        TarKind::Docker
    } else {
        TarKind::Plain
    }
}

/// Walk a tar stream's headers (inside gzip), `first` being the first header.
fn tar_kind_stream(first: &[u8], r: &mut impl Read) -> TarKind {
    let mut manifest = false;
    let mut h = [0u8; 512];
    h.copy_from_slice(&first[..512]);
    for _ in 0..MAX_TAR_ENTRIES {
        if !is_tar_header(&h) {
            break;
        }
        if let Some(k) = note(&entry_name(&h), &mut manifest) {
            return k;
        }
        let Some(size) = entry_size(&h) else { break };
        let skip = size.div_ceil(512) * 512;
        match io::copy(&mut r.by_ref().take(skip), &mut io::sink()) {
            Ok(n) if n == skip => {}
            _ => break,
        }
        if r.read_exact(&mut h).is_err() {
            break;
        }
    }
    if manifest {
        TarKind::Docker
    } else {
        TarKind::Plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(names: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for n in names {
            let mut h = [0u8; 512];
            h[..n.len()].copy_from_slice(n.as_bytes());
            h[100..107].copy_from_slice(b"0000644");
            h[124..135].copy_from_slice(b"00000000005");
            h[156] = b'0';
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
            h[148..156].copy_from_slice(b"        ");
            let sum: u32 = h.iter().map(|&c| u32::from(c)).sum();
            let cs = format!("{sum:06o}\0 ");
            h[148..156].copy_from_slice(cs.as_bytes());
            out.extend_from_slice(&h);
            let mut body = [0u8; 512];
            body[..5].copy_from_slice(b"hello");
            out.extend_from_slice(&body);
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    fn describe_bytes(b: &[u8]) -> String {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b).unwrap();
        describe(&p).unwrap_or_else(|| "-".into())
    }

    #[test]
    fn kinds() {
        assert_eq!(describe_bytes(b"hello\nworld\n"), "a text file");
        assert_eq!(describe_bytes(b""), "an empty file");
        assert_eq!(describe_bytes(b"{\"a\": 1}"), "a JSON text file");
        assert!(describe_bytes(br#"{"bomFormat":"CycloneDX"}"#).contains("scan-sbom"));
        assert!(
            describe_bytes(&tar_with(&["blobs/x", "oci-layout", "index.json"]))
                .contains("an OCI archive")
        );
        assert!(
            describe_bytes(&tar_with(&["abc/layer.tar", "manifest.json"]))
                .contains("docker-archive")
        );
        assert!(describe_bytes(&tar_with(&["etc/passwd"])).contains("not an image archive"));
        assert!(describe_bytes(b"\x7fELF\x02\x01\x01\0\0\0").contains("ELF"));
        assert_eq!(describe_bytes(&[0u8, 1, 2, 3, 0xff, 0xfe, 0, 0]), "-");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar_with(&["oci-layout"])).unwrap();
        let gz = gz.finish().unwrap();
        assert!(describe_bytes(&gz).contains("gzip-compressed OCI archive"));
        // A corrupt tar header (bad checksum) is not a tar; truncated gzip is still said.
        let mut bad = tar_with(&["oci-layout"]);
        bad[0] = b'X';
        assert!(!describe_bytes(&bad).contains("archive"));
        assert!(describe_bytes(&gz[..12]).contains("gzip-compressed data"));
    }
}
