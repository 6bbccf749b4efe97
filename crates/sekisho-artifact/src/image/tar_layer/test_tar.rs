//! A tiny tar writer for the walker's unit tests: it writes whatever it is told, checksums
//! included, so each test can build the one hostile header it is about.

use super::{Limits, SliceInput, TarInput};
use crate::layer::{EntryMeta, Note, WalkError};

/// Write `v` as zero-padded octal with a NUL, or GNU base-256 when it does not fit.
pub fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0width$o}\0", v, width = field.len() - 1);
    if s.len() == field.len() {
        field.copy_from_slice(s.as_bytes());
    } else {
        field.fill(0);
        let n = field.len();
        field[n - 8..].copy_from_slice(&v.to_be_bytes());
        field[0] = 0x80;
    }
}

/// Recompute a header's checksum (the unsigned sum, with the field counted as spaces).
pub fn checksum(h: &mut [u8; 512]) {
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|b| u64::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// A ustar header.
pub fn header(name: &[u8], typeflag: u8, size: u64, link: &[u8]) -> [u8; 512] {
    let mut h = [0u8; 512];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name[..n]);
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 1000);
    octal(&mut h[116..124], 1001);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 1_700_000_000);
    h[156] = typeflag;
    let l = link.len().min(100);
    h[157..157 + l].copy_from_slice(&link[..l]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    checksum(&mut h);
    h
}

/// PAX records, each `"%d %s=%s\n"` with the length counting itself.
pub fn pax_body(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in records {
        let rest = k.len() + v.len() + 3;
        let mut len = rest + 1;
        while format!("{len}").len() + rest != len {
            len = format!("{len}").len() + rest;
        }
        body.extend_from_slice(format!("{len} {k}=").as_bytes());
        body.extend_from_slice(v);
        body.push(b'\n');
    }
    body
}

#[derive(Default)]
pub struct Tar(pub Vec<u8>);

impl Tar {
    /// A header and its data, padded to the block.
    pub fn raw(&mut self, h: [u8; 512], data: &[u8]) -> &mut Self {
        self.0.extend_from_slice(&h);
        self.0.extend_from_slice(data);
        self.0
            .extend(std::iter::repeat_n(0u8, (512 - data.len() % 512) % 512));
        self
    }
    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.raw(header(name.as_bytes(), b'0', data.len() as u64, b""), data)
    }
    pub fn entry(&mut self, name: &str, typeflag: u8, link: &str) -> &mut Self {
        self.raw(header(name.as_bytes(), typeflag, 0, link.as_bytes()), b"")
    }
    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        let body = pax_body(records);
        self.raw(
            header(b"././@PaxHeader", b'x', body.len() as u64, b""),
            &body,
        )
    }
    pub fn gnu_long(&mut self, typeflag: u8, name: &[u8]) -> &mut Self {
        let mut d = name.to_vec();
        d.push(0);
        self.raw(header(b"././@LongLink", typeflag, d.len() as u64, b""), &d)
    }
    /// The archive with its two end blocks.
    pub fn end(&mut self) -> Vec<u8> {
        self.0.extend(std::iter::repeat_n(0u8, 1024));
        std::mem::take(&mut self.0)
    }
}

/// Small limits so the tests reach them with small inputs.
pub fn limits() -> Limits {
    Limits {
        max_inflated: 1 << 20,
        max_entries: 100,
        max_ratio: 1000,
        max_header_bytes: 4096,
    }
}

/// What a walk handed out: each entry with its content, and the notes.
pub type Walked = (Vec<(EntryMeta, Vec<u8>)>, Vec<Note>);

/// Walk `tar` with `limits`, reading every entry whole.
pub fn walk(tar: &[u8], limits: &Limits) -> Result<Walked, WalkError> {
    let mut got = Vec::new();
    let mut notes = Vec::new();
    let mut visit = |m: &EntryMeta, r: &mut dyn crate::layer::EntryRead| -> std::io::Result<()> {
        let mut d = Vec::new();
        r.read_to_end(&mut d)?;
        got.push((m.clone(), d));
        Ok(())
    };
    super::walk_tar(
        &mut SliceInput::new(tar),
        3,
        "test-layer",
        limits,
        &mut visit,
        &mut notes,
    )?;
    Ok((got, notes))
}

/// Whether a note on `subject` mentions `part`.
pub fn noted(notes: &[Note], subject: &str, part: &str) -> bool {
    notes
        .iter()
        .any(|n| n.subject == subject && n.message.contains(part))
}

/// Where a [`SliceInput`] stands.
pub fn pos(r: &SliceInput<'_>) -> u64 {
    r.position()
}
