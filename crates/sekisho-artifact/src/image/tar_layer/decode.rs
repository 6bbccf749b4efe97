//! Entry decoding: from 512-byte blocks to one [`Entry`] per file, with every header we buffer
//! capped.
//!
//! A tar entry is a header block (POSIX.1-1988 ustar, with the 155-byte name prefix; GNU; or v7),
//! possibly preceded by metadata entries that apply to it: GNU `L`/`K` long names and links, PAX
//! `x` extended headers (POSIX.1-2008, pax "Extended Header Records": `"%d %s=%s\n"`) and `g`
//! global headers. Sparse files come as GNU old-style `S` entries (a map in the header plus
//! extension blocks) or as PAX GNU sparse 0.1 (a map in a record) and 1.0 (a map at the start of
//! the data). Each of those is read within [`Limits::max_header_bytes`]; a header that does not
//! checksum stops the layer (nothing after it can be trusted), while an entry we cannot use is
//! skipped with a note and the walk goes on.
//!
//! The decoder does not know about whiteouts (see [`super::whiteout`]) or the visitor (see
//! [`super::dispatch`]): it leaves the input at the entry's data and says how much is stored.

use std::io;

use super::{Limits, TarInput};
use crate::layer::{EntryKind, Note, WalkError};
use crate::path;

/// Size of a tar block.
const BLOCK: usize = 512;

/// Read exactly `buf.len()` bytes; `Ok(false)` on a clean end of stream before the first byte.
pub(super) fn read_block(r: &mut impl TarInput, buf: &mut [u8]) -> io::Result<bool> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => {
                if n == 0 {
                    return Ok(false);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("stream ends inside a tar header ({n} of 512 bytes)"),
                ));
            }
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Skip exactly `n` bytes; running out is an error naming `what` was being skipped.
pub(super) fn skip_exact(r: &mut impl TarInput, n: u64, what: &str) -> io::Result<()> {
    if r.skip(n)? < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("stream ends inside {what}"),
        ));
    }
    Ok(())
}

/// The zero bytes after `size` bytes of data, up to the next block.
pub(super) fn padding(size: u64) -> u64 {
    (512 - size % 512) % 512
}

/// Parse a numeric header field: octal text, or GNU base-256 when the high bit is set.
pub(super) fn parse_num(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        if field[0] == 0xff {
            return None; // negative
        }
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let s: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ' || *b == 0)
        .take_while(|b| *b != 0 && *b != b' ')
        .collect();
    if s.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for b in s {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// A NUL-terminated field (or the whole field when it has no NUL).
pub(super) fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    &field[..end]
}

/// Whether the header's checksum field matches its bytes (summed with the field as spaces), as
/// an unsigned or, for old writers, a signed sum.
pub(super) fn checksum_ok(h: &[u8; 512]) -> bool {
    let Some(want) = parse_num(&h[148..156]) else {
        return false;
    };
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in h.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    unsigned == want || signed == want as i64
}

/// Values from PAX extended headers and GNU long-name entries that apply to the next entry.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Pending {
    pub path: Option<Vec<u8>>,
    pub link: Option<Vec<u8>>,
    pub size: Option<u64>,
    pub uid: Option<u64>,
    pub gid: Option<u64>,
    pub mtime: Option<i64>,
    pub sparse_major: Option<u64>,
    pub sparse_minor: Option<u64>,
    pub sparse_name: Option<Vec<u8>>,
    pub sparse_realsize: Option<u64>,
    pub sparse_map: Option<String>,
    /// `SCHILY.xattr.security.capability`, hex-encoded (bounded by the PAX header cap).
    pub capability: Option<String>,
    /// Why the next entry must be skipped (an over-long name, an unusable PAX header).
    pub poison: Option<String>,
}

/// Parse PAX records (`"%d %s=%s\n"`, POSIX.1-2008 pax "extended header").
pub(super) fn parse_pax(data: &[u8], p: &mut Pending) -> Result<(), String> {
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|b| *b == 0) {
            break;
        }
        let sp = rest
            .iter()
            .position(|b| *b == b' ')
            .ok_or("PAX record without a length")?;
        let len: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("PAX record length is not a number")?;
        if len <= sp + 1 || len > rest.len() {
            return Err("PAX record length out of range".into());
        }
        let rec = &rest[sp + 1..len];
        let rec = rec
            .strip_suffix(b"\n")
            .ok_or("PAX record not ended by newline")?;
        let eq = rec
            .iter()
            .position(|b| *b == b'=')
            .ok_or("PAX record without '='")?;
        let (k, v) = (&rec[..eq], &rec[eq + 1..]);
        let num = |v: &[u8]| -> Result<u64, String> {
            std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("PAX {} is not a number", String::from_utf8_lossy(k)))
        };
        match k {
            b"path" => p.path = Some(v.to_vec()),
            b"linkpath" => p.link = Some(v.to_vec()),
            b"size" => p.size = Some(num(v)?),
            b"uid" => p.uid = Some(num(v)?),
            b"gid" => p.gid = Some(num(v)?),
            b"mtime" => {
                let s = String::from_utf8_lossy(v);
                let int = s.split('.').next().unwrap_or("0");
                p.mtime = int.parse().ok();
            }
            b"SCHILY.xattr.security.capability" => p.capability = Some(hex::encode(v)),
            b"GNU.sparse.major" => p.sparse_major = Some(num(v)?),
            b"GNU.sparse.minor" => p.sparse_minor = Some(num(v)?),
            b"GNU.sparse.name" => p.sparse_name = Some(v.to_vec()),
            b"GNU.sparse.realsize" | b"GNU.sparse.size" => p.sparse_realsize = Some(num(v)?),
            b"GNU.sparse.map" => p.sparse_map = Some(String::from_utf8_lossy(v).into_owned()),
            b"GNU.sparse.offset" | b"GNU.sparse.numbytes" => {
                // Format 0.0 repeats these keys; we do not reassemble it.
                p.poison = Some("GNU sparse format 0.0 is not supported".into());
            }
            _ => {}
        }
        rest = &rest[len..];
    }
    Ok(())
}

/// Read a whole metadata entry's data (long name, PAX header), capped: an over-large one is
/// skipped and its reason returned as the inner `Err`.
pub(super) fn read_meta(
    r: &mut impl TarInput,
    size: u64,
    limits: &Limits,
) -> io::Result<Result<Vec<u8>, String>> {
    if size > limits.max_header_bytes {
        skip_exact(r, size + padding(size), "an extended header")?;
        return Ok(Err(format!(
            "extended header of {size} bytes exceeds the {} byte limit",
            limits.max_header_bytes
        )));
    }
    let mut buf = vec![0u8; size as usize];
    r.read_exact(&mut buf)?;
    skip_exact(r, padding(size), "header padding")?;
    Ok(Ok(buf))
}

/// Sparse segments: (offset, length) in the logical file.
pub(super) type SparseMap = Vec<(u64, u64)>;

/// A sparse map must be ordered, inside the logical size, and need no more bytes than stored.
pub(super) fn validate_sparse(map: &SparseMap, realsize: u64, stored: u64) -> Result<(), String> {
    let mut end = 0u64;
    let mut total = 0u64;
    for &(off, len) in map {
        let seg_end = off.checked_add(len).ok_or("sparse segment overflows")?;
        if off < end || seg_end > realsize {
            return Err("sparse map segments overlap or exceed the file size".into());
        }
        end = seg_end;
        total = total.checked_add(len).ok_or("sparse map overflows")?;
    }
    if total > stored {
        return Err(format!(
            "sparse map needs {total} bytes but the entry stores {stored}"
        ));
    }
    Ok(())
}

/// Read GNU old-style sparse entries from a header area (slots of 24 bytes: offset, length).
pub(super) fn gnu_sparse_slots(area: &[u8], map: &mut SparseMap) -> Option<()> {
    for slot in area.chunks_exact(24) {
        if slot.iter().all(|b| *b == 0) {
            continue;
        }
        let off = parse_num(&slot[..12])?;
        let len = parse_num(&slot[12..24])?;
        map.push((off, len));
    }
    Some(())
}

/// GNU sparse 1.0: the map is decimal lines at the start of the data, padded to 512.
/// Returns the map and how many stored bytes it used.
pub(super) fn read_sparse_1_0(
    r: &mut impl TarInput,
    stored: u64,
    limits: &Limits,
) -> io::Result<Result<(SparseMap, u64), String>> {
    let mut text = Vec::new();
    let mut block = [0u8; 512];
    let mut used = 0u64;
    let mut numbers: Vec<u64> = Vec::new();
    let mut need: Option<u64> = None;
    loop {
        if used + 512 > stored || used + 512 > limits.max_header_bytes {
            return Ok(Err("sparse map is truncated or too large".into()));
        }
        r.read_exact(&mut block)?;
        used += 512;
        text.extend_from_slice(&block);
        numbers.clear();
        let mut complete = 0usize;
        for line in text.split(|b| *b == b'\n') {
            complete += line.len() + 1;
            if complete > text.len() {
                break; // last piece has no newline yet
            }
            match std::str::from_utf8(line).ok().and_then(|s| s.parse().ok()) {
                Some(v) => numbers.push(v),
                None => return Ok(Err("bad number in sparse map".into())),
            }
            if need.is_none() {
                need = Some(numbers[0]);
            }
            if let Some(n) = need
                && numbers.len() as u64 == 1 + 2 * n
            {
                let map = numbers[1..].chunks(2).map(|c| (c[0], c[1])).collect();
                return Ok(Ok((map, used)));
            }
            if numbers.len() as u64 > 1 + 2 * need.unwrap_or(0) {
                return Ok(Err("bad sparse map".into()));
            }
        }
    }
}

/// GNU sparse 0.1: the map as one PAX record, `offset,length,offset,length,…`.
pub(super) fn parse_map_text(s: &str, limits: &Limits) -> Result<SparseMap, String> {
    if s.len() as u64 > limits.max_header_bytes {
        return Err("sparse map too large".into());
    }
    let nums: Result<Vec<u64>, _> = s
        .split(',')
        .filter(|x| !x.is_empty())
        .map(str::parse)
        .collect();
    let nums = nums.map_err(|_| "bad number in sparse map".to_string())?;
    if nums.len() % 2 != 0 {
        return Err("odd number of values in sparse map".into());
    }
    Ok(nums.chunks(2).map(|c| (c[0], c[1])).collect())
}

/// One header block, read through its fields (offsets from POSIX.1-1988 ustar and GNU tar).
pub(super) struct Header<'h>(pub &'h [u8; 512]);

impl Header<'_> {
    pub fn typeflag(&self) -> u8 {
        self.0[156]
    }
    pub fn size(&self) -> Option<u64> {
        parse_num(&self.0[124..136])
    }
    /// POSIX ustar magic (`ustar\0`): the name prefix field is valid.
    pub fn is_ustar(&self) -> bool {
        &self.0[257..263] == b"ustar\0"
    }
    /// GNU magic (`ustar  \0`).
    pub fn is_gnu(&self) -> bool {
        &self.0[257..265] == b"ustar  \0"
    }
    /// The name, with the ustar prefix joined in front.
    pub fn name(&self) -> Vec<u8> {
        let h = self.0;
        let mut n = Vec::new();
        if self.is_ustar() {
            let prefix = cstr(&h[345..500]);
            if !prefix.is_empty() {
                n.extend_from_slice(prefix);
                n.push(b'/');
            }
        }
        n.extend_from_slice(cstr(&h[..100]));
        n
    }
    pub fn link(&self) -> Vec<u8> {
        cstr(&self.0[157..257]).to_vec()
    }
    pub fn mode(&self) -> u32 {
        parse_num(&self.0[100..108]).unwrap_or(0) as u32 & 0o7777
    }
    pub fn uid(&self) -> Option<u64> {
        parse_num(&self.0[108..116])
    }
    pub fn gid(&self) -> Option<u64> {
        parse_num(&self.0[116..124])
    }
    pub fn mtime(&self) -> Option<i64> {
        parse_num(&self.0[136..148]).map(|v| v as i64)
    }
}

/// One entry as its headers describe it. The input is left at the start of its stored data
/// (past a sparse 1.0 map, which the decoder has read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// The name as stored (lossy UTF-8), for notes about the entry as a whole.
    pub raw: String,
    /// The normalised path (chroot-style), before whiteout translation.
    pub path: String,
    pub kind: EntryKind,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: i64,
    /// File capabilities (`security.capability`), hex-encoded.
    pub capability: Option<String>,
    /// Bytes the archive stores for this entry (without the padding to the next block).
    pub stored: u64,
    /// Of those, the bytes of file content still unread.
    pub data: u64,
    /// A sparse file's map and logical size: `data` holds the segments back to back.
    pub sparse: Option<(SparseMap, u64)>,
}

/// How errors and notes name the layer being decoded.
#[derive(Clone, Copy)]
pub(super) struct Where<'a> {
    pub index: usize,
    pub layer: &'a str,
}

impl Where<'_> {
    pub fn layer_error(&self, message: String) -> WalkError {
        WalkError::Layer {
            layer: self.layer.to_string(),
            message,
        }
    }
    pub fn io_error(&self, path: &str, e: io::Error) -> WalkError {
        WalkError::Io {
            layer: self.layer.to_string(),
            path: path.to_string(),
            source: e,
        }
    }
    /// Note why the entry at `subject` is skipped, then skip its `stored` bytes and padding.
    pub fn skip(
        &self,
        r: &mut impl TarInput,
        notes: &mut Vec<Note>,
        subject: &str,
        why: String,
        stored: u64,
    ) -> Result<(), WalkError> {
        self.skip_rest(r, notes, subject, why, stored, stored)
    }

    /// [`Where::skip`] for an entry of which all but `left` of its `stored` bytes were read
    /// already (a sparse 1.0 map): skip those and the padding.
    pub fn skip_rest(
        &self,
        r: &mut impl TarInput,
        notes: &mut Vec<Note>,
        subject: &str,
        why: String,
        left: u64,
        stored: u64,
    ) -> Result<(), WalkError> {
        notes.push(Note::new(
            Some(self.index),
            subject.to_string(),
            format!("skipped: {why}"),
        ));
        skip_exact(r, left + padding(stored), "file data").map_err(|e| self.io_error(subject, e))
    }
}

/// Turns a tar stream into [`Entry`]s, one call of [`Decoder::next`] per entry. Metadata entries
/// are folded into the entry they describe; entries that cannot be used are skipped with a note.
pub(super) struct Decoder<'a> {
    at: Where<'a>,
    limits: &'a Limits,
    pending: Pending,
    entries: u64,
    zero_blocks: u32,
    h: [u8; BLOCK],
}

impl<'a> Decoder<'a> {
    pub fn new(at: Where<'a>, limits: &'a Limits) -> Self {
        Self {
            at,
            limits,
            pending: Pending::default(),
            entries: 0,
            zero_blocks: 0,
            h: [0; BLOCK],
        }
    }

    /// The next entry, or `None` at the end of the archive (two zero blocks, or a clean end of
    /// the stream between entries: many writers omit the end-of-archive marker).
    ///
    /// # Errors
    /// A header that does not checksum, a bad size field, too many entries, or a read error:
    /// nothing after such a header can be trusted.
    pub fn next<I: TarInput>(
        &mut self,
        r: &mut I,
        notes: &mut Vec<Note>,
    ) -> Result<Option<Entry>, WalkError> {
        loop {
            let Some(offset) = self.header(r)? else {
                return Ok(None);
            };
            let h = Header(&self.h);
            let Some(size) = h.size() else {
                return Err(self
                    .at
                    .layer_error(format!("tar header at offset {offset}: bad size field")));
            };
            if matches!(h.typeflag(), b'L' | b'K' | b'x' | b'g') {
                self.absorb(r, offset, size)?;
                continue;
            }
            if let Some(e) = self.entry(r, size, notes)? {
                return Ok(Some(e));
            }
        }
    }

    /// Read the next non-zero header block into `self.h` and check it; its offset, or `None` at
    /// the end of the archive.
    fn header<I: TarInput>(&mut self, r: &mut I) -> Result<Option<u64>, WalkError> {
        loop {
            let offset = r.position();
            match read_block(r, &mut self.h) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(e) => {
                    return Err(self
                        .at
                        .io_error(&format!("tar header at offset {offset}"), e));
                }
            }
            if self.h.iter().all(|b| *b == 0) {
                self.zero_blocks += 1;
                if self.zero_blocks >= 2 {
                    return Ok(None);
                }
                continue;
            }
            self.zero_blocks = 0;
            if !checksum_ok(&self.h) {
                return Err(self.at.layer_error(format!(
                    "corrupt tar header at offset {offset} (bad checksum); cannot continue"
                )));
            }
            self.entries += 1;
            if self.entries > self.limits.max_entries {
                return Err(self.at.layer_error(format!(
                    "more than the {} entry limit",
                    self.limits.max_entries
                )));
            }
            return Ok(Some(offset));
        }
    }

    /// Fold a metadata entry (`L`, `K`, `x`, `g`) into what applies to the next entry. One that
    /// is too large or does not parse poisons the next entry (it is skipped with the reason).
    fn absorb<I: TarInput>(&mut self, r: &mut I, offset: u64, size: u64) -> Result<(), WalkError> {
        let typeflag = self.h[156];
        let data = read_meta(r, size, self.limits).map_err(|e| {
            self.at
                .io_error(&format!("extended header at offset {offset}"), e)
        })?;
        let p = &mut self.pending;
        match (typeflag, data) {
            (_, Err(m)) => p.poison = Some(m),
            (b'L', Ok(d)) => p.path = Some(cstr(&d).to_vec()),
            (b'K', Ok(d)) => p.link = Some(cstr(&d).to_vec()),
            (b'x', Ok(d)) => {
                if let Err(m) = parse_pax(&d, p) {
                    p.poison = Some(m);
                }
            }
            // Global headers: only comments in practice (e.g. `git archive`).
            _ => {}
        }
        Ok(())
    }

    /// The entry whose header is in `self.h`, with what the metadata entries before it said;
    /// `None` when it was skipped (with a note).
    fn entry<I: TarInput>(
        &mut self,
        r: &mut I,
        hsize: u64,
        notes: &mut Vec<Note>,
    ) -> Result<Option<Entry>, WalkError> {
        let at = self.at;
        let h = Header(&self.h);
        let p = std::mem::take(&mut self.pending);
        let raw_path = p
            .sparse_name
            .clone()
            .or_else(|| p.path.clone())
            .unwrap_or_else(|| h.name());
        let stored = p.size.unwrap_or(hsize);
        let raw = String::from_utf8_lossy(&raw_path).into_owned();
        if let Some(why) = p.poison.clone() {
            at.skip(r, notes, &raw, why, stored)?;
            return Ok(None);
        }
        let Ok(path_str) = std::str::from_utf8(&raw_path) else {
            at.skip(r, notes, &raw, "file name is not UTF-8".into(), stored)?;
            return Ok(None);
        };
        let path = match entry_path(path_str, at.index, notes) {
            Ok(n) => n,
            Err(e) => {
                at.skip(r, notes, &raw, format!("bad path: {e}"), stored)?;
                return Ok(None);
            }
        };
        let Some((kind, data, sparse)) = entry_kind(
            r,
            &h,
            &p,
            path_str,
            &path,
            &raw,
            stored,
            at,
            self.limits,
            notes,
        )?
        else {
            return Ok(None);
        };
        Ok(Some(Entry {
            mode: h.mode(),
            uid: p.uid.or_else(|| h.uid()).unwrap_or(0),
            gid: p.gid.or_else(|| h.gid()).unwrap_or(0),
            mtime: p.mtime.or_else(|| h.mtime()).unwrap_or(0),
            capability: p.capability.clone(),
            raw,
            path,
            kind,
            stored,
            data,
            sparse,
        }))
    }
}

/// Normalise an entry's path. The root itself (`/`, as umoci writes it) is harmless; anything
/// else absolute or climbing with `..` is hostile or broken: it is resolved inside the image
/// root, with a note.
pub(super) fn entry_path(
    path_str: &str,
    index: usize,
    notes: &mut Vec<Note>,
) -> Result<String, path::PathError> {
    let is_root = path_str.split('/').all(|s| s.is_empty() || s == ".");
    if !is_root && (path_str.starts_with('/') || path_str.split('/').any(|s| s == "..")) {
        notes.push(Note::new(
            Some(index),
            path_str.to_string(),
            "path is absolute or climbs with '..'; resolved inside the image root",
        ));
    }
    path::normalize(path_str)
}

/// What an entry holds: its kind, the stored bytes of content still unread, and a sparse map.
type Kind = (EntryKind, u64, Option<(SparseMap, u64)>);

/// The entry's kind from its type flag, reading a sparse map where there is one. `None` when
/// the entry was skipped (with a note, unless it is a volume label).
#[expect(
    clippy::too_many_arguments,
    reason = "the decoder's state for one entry, passed apart so the borrow of the header block stays shared"
)]
fn entry_kind<I: TarInput>(
    r: &mut I,
    h: &Header<'_>,
    p: &Pending,
    path_str: &str,
    norm: &str,
    raw: &str,
    stored: u64,
    at: Where<'_>,
    limits: &Limits,
    notes: &mut Vec<Note>,
) -> Result<Option<Kind>, WalkError> {
    Ok(Some(match h.typeflag() {
        b'0' | 0 | b'7' => {
            if path_str.ends_with('/') && !h.is_ustar() && !h.is_gnu() {
                (EntryKind::Dir, stored, None) // v7 directory
            } else if p.sparse_major.is_some() || p.sparse_map.is_some() {
                let Some((map, realsize, data)) =
                    pax_sparse(r, p, norm, raw, stored, at, limits, notes)?
                else {
                    return Ok(None);
                };
                (EntryKind::File, data, Some((map, realsize)))
            } else {
                (EntryKind::File, stored, None)
            }
        }
        b'S' => {
            let Some((map, realsize)) = gnu_sparse(r, h, norm, stored, at, limits, notes)? else {
                return Ok(None);
            };
            (EntryKind::File, stored, Some((map, realsize)))
        }
        b'1' => {
            let link = p.link.clone().unwrap_or_else(|| h.link());
            match path::normalize(&String::from_utf8_lossy(&link)) {
                Ok(t) => (EntryKind::Hardlink { target: t }, stored, None),
                Err(e) => {
                    at.skip(
                        r,
                        notes,
                        raw,
                        format!("hard link with bad target: {e}"),
                        stored,
                    )?;
                    return Ok(None);
                }
            }
        }
        b'2' => {
            let link = p.link.clone().unwrap_or_else(|| h.link());
            let Ok(t) = String::from_utf8(link) else {
                at.skip(r, notes, raw, "symlink target is not UTF-8".into(), stored)?;
                return Ok(None);
            };
            (EntryKind::Symlink { target: t }, stored, None)
        }
        b'3' => (EntryKind::CharDevice, stored, None),
        b'4' => (EntryKind::BlockDevice, stored, None),
        b'5' | b'D' => (EntryKind::Dir, stored, None),
        b'6' => (EntryKind::Fifo, stored, None),
        b'V' => {
            skip_exact(r, stored + padding(stored), "volume label")
                .map_err(|e| at.io_error(norm, e))?;
            return Ok(None);
        }
        other => {
            at.skip(
                r,
                notes,
                raw,
                format!("unsupported tar entry type {:?}", other as char),
                stored,
            )?;
            return Ok(None);
        }
    }))
}

/// A PAX sparse file: 1.0 keeps the map at the start of the data, 0.1 in a record. The map, the
/// logical size and the stored bytes left after the map; `None` when the entry was skipped.
#[expect(
    clippy::too_many_arguments,
    reason = "one entry's decoding state, as in entry_kind"
)]
fn pax_sparse<I: TarInput>(
    r: &mut I,
    p: &Pending,
    norm: &str,
    raw: &str,
    stored: u64,
    at: Where<'_>,
    limits: &Limits,
    notes: &mut Vec<Note>,
) -> Result<Option<(SparseMap, u64, u64)>, WalkError> {
    let realsize = p.sparse_realsize.unwrap_or(stored);
    let mut data = stored;
    let map = if p.sparse_major == Some(1) {
        let start = r.position();
        match read_sparse_1_0(r, stored, limits) {
            Ok(Ok((map, used))) => {
                data = stored - used;
                map
            }
            Ok(Err(m)) => {
                // The blocks read before the map turned out bad are gone from the stream.
                let used = r.position() - start;
                at.skip_rest(r, notes, raw, m, stored - used, stored)?;
                return Ok(None);
            }
            Err(e) => return Err(at.io_error(norm, e)),
        }
    } else {
        match parse_map_text(p.sparse_map.as_deref().unwrap_or(""), limits) {
            Ok(m) => m,
            Err(m) => {
                at.skip(r, notes, raw, m, stored)?;
                return Ok(None);
            }
        }
    };
    if let Err(m) = validate_sparse(&map, realsize, data) {
        notes.push(Note::new(
            Some(at.index),
            norm.to_string(),
            format!("skipped: {m}"),
        ));
        skip_exact(r, data + padding(stored), "file data").map_err(|e| at.io_error(norm, e))?;
        return Ok(None);
    }
    Ok(Some((map, realsize, data)))
}

/// A GNU old-style sparse file (`S`): four map slots in the header, more in extension blocks
/// (each counted against the header cap). The map and the logical size; `None` when skipped.
fn gnu_sparse<I: TarInput>(
    r: &mut I,
    h: &Header<'_>,
    norm: &str,
    stored: u64,
    at: Where<'_>,
    limits: &Limits,
    notes: &mut Vec<Note>,
) -> Result<Option<(SparseMap, u64)>, WalkError> {
    let mut map = SparseMap::new();
    let mut ok = gnu_sparse_slots(&h.0[386..482], &mut map).is_some();
    let realsize = parse_num(&h.0[483..495]).unwrap_or(0);
    let mut extended = h.0[482] != 0;
    let mut ext = [0u8; 512];
    let mut ext_blocks = 0u64;
    while extended {
        ext_blocks += 1;
        if ext_blocks * 512 > limits.max_header_bytes {
            return Err(at.layer_error(format!(
                "{norm}: sparse map larger than the {} byte limit",
                limits.max_header_bytes
            )));
        }
        match read_block(r, &mut ext) {
            Ok(true) => {}
            Ok(false) => {
                return Err(at.io_error(
                    norm,
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "stream ends inside a sparse map",
                    ),
                ));
            }
            Err(e) => return Err(at.io_error(norm, e)),
        }
        ok &= gnu_sparse_slots(&ext[..504], &mut map).is_some();
        extended = ext[504] != 0;
    }
    let check = if ok {
        validate_sparse(&map, realsize, stored)
    } else {
        Err("bad number in sparse map".into())
    };
    if let Err(m) = check {
        notes.push(Note::new(
            Some(at.index),
            norm.to_string(),
            format!("skipped: {m}"),
        ));
        skip_exact(r, stored + padding(stored), "file data").map_err(|e| at.io_error(norm, e))?;
        return Ok(None);
    }
    Ok(Some((map, realsize)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::tar_layer::SliceInput;
    use crate::image::tar_layer::test_tar::{
        Tar, checksum, header, limits, noted, octal, pax_body, pos,
    };

    /// Decode every entry of `tar`; the entries, the notes, and the error that stopped it.
    fn decode_all(tar: &[u8], limits: &Limits) -> (Vec<Entry>, Vec<Note>, Option<WalkError>) {
        let mut r = SliceInput::new(tar);
        let mut d = Decoder::new(
            Where {
                index: 3,
                layer: "L",
            },
            limits,
        );
        let mut out = Vec::new();
        let mut notes = Vec::new();
        loop {
            match d.next(&mut r, &mut notes) {
                Ok(Some(e)) => {
                    // Skip the data as the dispatcher would.
                    skip_exact(&mut r, e.data + padding(e.stored), "data").unwrap();
                    out.push(e);
                }
                Ok(None) => return (out, notes, None),
                Err(e) => return (out, notes, Some(e)),
            }
        }
    }

    fn paths(es: &[Entry]) -> Vec<&str> {
        es.iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn numbers_octal_base256_and_garbage() {
        assert_eq!(parse_num(b"0000644\0"), Some(0o644));
        assert_eq!(parse_num(b"  755 \0\0"), Some(0o755));
        assert_eq!(parse_num(b"\0\0\0\0"), Some(0));
        assert_eq!(parse_num(b"0000009\0"), None, "9 is not octal");
        assert_eq!(parse_num(b"12x4\0"), None);
        let mut f = [0u8; 12];
        octal(&mut f, 1 << 40);
        assert_eq!(f[0], 0x80, "too big for octal: base-256");
        assert_eq!(parse_num(&f), Some(1 << 40));
        assert_eq!(parse_num(&[0xff; 12]), None, "negative base-256");
        // Base-256 that overflows 64 bits.
        assert_eq!(parse_num(&[0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        // Octal that overflows 64 bits.
        assert_eq!(parse_num(b"7777777777777777777777777"), None);
    }

    #[test]
    fn checksums_unsigned_signed_and_bad() {
        let mut h = header(b"f", b'0', 0, b"");
        assert!(checksum_ok(&h));
        h[0] = b'g';
        assert!(!checksum_ok(&h), "one byte changed");
        // Old writers summed signed bytes: a name byte >= 0x80 makes the sums differ.
        let mut h = header(b"f", b'0', 0, b"");
        h[1] = 0xe9;
        let signed: i64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| i64::from(if (148..156).contains(&i) { 32 } else { b as i8 }))
            .sum();
        h[148..156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
        assert!(checksum_ok(&h));
        let mut h = header(b"f", b'0', 0, b"");
        h[148..156].copy_from_slice(b"zzzzzz\0 ");
        assert!(!checksum_ok(&h), "a checksum field that is not a number");
    }

    #[test]
    fn header_fields_join_the_ustar_prefix_only_for_ustar() {
        let mut h = header(b"name", b'0', 5, b"");
        h[345..351].copy_from_slice(b"prefix");
        checksum(&mut h);
        let hd = Header(&h);
        assert_eq!(hd.name(), b"prefix/name");
        assert_eq!(
            (hd.mode(), hd.uid(), hd.gid()),
            (0o644, Some(1000), Some(1001))
        );
        assert_eq!(hd.mtime(), Some(1_700_000_000));
        assert_eq!(hd.size(), Some(5));
        // GNU headers use that area for other things (sparse maps, times): never a prefix.
        h[257..265].copy_from_slice(b"ustar  \0");
        assert!(Header(&h).is_gnu());
        assert_eq!(Header(&h).name(), b"name");
    }

    #[test]
    fn pax_records_parse() {
        let body = pax_body(&[
            ("path", b"a/very/long/name"),
            ("linkpath", b"target"),
            ("size", b"12345"),
            ("uid", b"7"),
            ("gid", b"8"),
            ("mtime", b"1700000000.123456"),
            ("comment", b"ignored"),
        ]);
        let mut p = Pending::default();
        parse_pax(&body, &mut p).unwrap();
        assert_eq!(p.path.as_deref(), Some(&b"a/very/long/name"[..]));
        assert_eq!(p.link.as_deref(), Some(&b"target"[..]));
        assert_eq!(
            (p.size, p.uid, p.gid, p.mtime),
            (Some(12345), Some(7), Some(8), Some(1_700_000_000))
        );
        // Zero padding after the records ends them.
        let mut padded = pax_body(&[("path", b"x")]);
        padded.extend_from_slice(&[0; 100]);
        let mut p = Pending::default();
        parse_pax(&padded, &mut p).unwrap();
        assert_eq!(p.path.as_deref(), Some(&b"x"[..]));
    }

    #[test]
    fn hostile_pax_records_are_errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"path=x\n", "without a length"),
            (b"abc path=x\n", "not a number"),
            // A record that claims to be far longer than the header holds.
            (b"99999999 path=x\n", "out of range"),
            (b"2 x\n", "out of range"),
            (b"3 x\n", "not ended by newline"),
            (b"11 path=xy\0", "not ended by newline"),
            (b"10 pathxy\n", "without '='"),
            (b"12 size=abc\n", "PAX size is not a number"),
            (b"20 uid=-1\n", "out of range"),
        ];
        for (data, want) in cases {
            let mut p = Pending::default();
            let e = parse_pax(data, &mut p).unwrap_err();
            assert!(e.contains(want), "{:?}: {e}", String::from_utf8_lossy(data));
        }
        let mut p = Pending::default();
        parse_pax(&pax_body(&[("GNU.sparse.offset", b"0")]), &mut p).unwrap();
        assert!(p.poison.as_deref().unwrap().contains("0.0"));
    }

    #[test]
    fn metadata_over_the_cap_is_skipped_not_buffered() {
        let mut data = vec![b'a'; 5000];
        data.extend_from_slice(&[0; 120]); // padding to 5120
        data.extend_from_slice(b"NEXT");
        let mut r = SliceInput::new(&data);
        let got = read_meta(&mut r, 5000, &limits()).unwrap();
        assert!(got.unwrap_err().contains("exceeds the 4096 byte limit"));
        assert_eq!(pos(&r), 5120, "skipped with its padding");
        let mut r = SliceInput::new(&data);
        assert_eq!(
            read_meta(&mut r, 100, &limits()).unwrap().unwrap().len(),
            100
        );
        assert_eq!(pos(&r), 512);
        // Cut short: an error, not a short buffer.
        let mut r = SliceInput::new(&data[..50]);
        assert!(read_meta(&mut r, 100, &limits()).is_err());
    }

    #[test]
    fn sparse_maps_are_validated() {
        assert!(validate_sparse(&vec![(0, 3), (10, 3)], 16, 6).is_ok());
        let lies: &[(SparseMap, u64, u64, &str)] = &[
            (
                vec![(0, 50)],
                100,
                2,
                "needs 50 bytes but the entry stores 2",
            ),
            (vec![(10, 3), (0, 3)], 16, 6, "overlap"),
            (vec![(0, 5), (3, 5)], 16, 10, "overlap"),
            (vec![(10, 10)], 16, 10, "exceed the file size"),
            (vec![(u64::MAX, 2)], u64::MAX, 2, "overflows"),
        ];
        for (map, real, stored, want) in lies {
            let e = validate_sparse(map, *real, *stored).unwrap_err();
            assert!(e.contains(want), "{map:?}: {e}");
        }
        assert_eq!(
            parse_map_text("0,3,10,3", &limits()).unwrap(),
            vec![(0, 3), (10, 3)]
        );
        assert!(
            parse_map_text("0,3,10", &limits())
                .unwrap_err()
                .contains("odd")
        );
        assert!(
            parse_map_text("0,x", &limits())
                .unwrap_err()
                .contains("bad number")
        );
        assert!(
            parse_map_text(&"1,".repeat(3000), &limits())
                .unwrap_err()
                .contains("too large")
        );
        let mut slots = [0u8; 48];
        slots[..5].copy_from_slice(b"zzzzz");
        assert!(gnu_sparse_slots(&slots, &mut SparseMap::new()).is_none());
    }

    #[test]
    fn sparse_1_0_maps_within_caps() {
        let mut data = b"2\n0\n2\n8\n2\n".to_vec();
        data.resize(512, 0);
        data.extend_from_slice(b"hiyo");
        let mut r = SliceInput::new(&data);
        let (map, used) = read_sparse_1_0(&mut r, data.len() as u64, &limits())
            .unwrap()
            .unwrap();
        assert_eq!((map, used), (vec![(0, 2), (8, 2)], 512));
        // A map that says it has more segments than the entry stores.
        let mut lie = b"1000\n0\n2\n".to_vec();
        lie.resize(512, 0);
        let mut r = SliceInput::new(&lie);
        let e = read_sparse_1_0(&mut r, 512, &limits())
            .unwrap()
            .unwrap_err();
        assert!(e.contains("truncated or too large"), "{e}");
        // A map longer than the header cap, in an entry that stores plenty.
        let mut long = b"100000\n".to_vec();
        long.extend(std::iter::repeat_n(b"1\n".as_slice(), 5000).flatten());
        let mut r = SliceInput::new(&long);
        let e = read_sparse_1_0(&mut r, long.len() as u64, &limits())
            .unwrap()
            .unwrap_err();
        assert!(e.contains("too large"), "{e}");
        let mut bad = b"1\n0\nx\n".to_vec();
        bad.resize(512, 0);
        let mut r = SliceInput::new(&bad);
        assert!(
            read_sparse_1_0(&mut r, 512, &limits())
                .unwrap()
                .unwrap_err()
                .contains("bad number")
        );
    }

    #[test]
    fn file_capabilities_come_from_schily_xattrs() {
        let tar = Tar::default()
            .pax(&[(
                "SCHILY.xattr.security.capability",
                b"\x01\x00\x00\x02\x00\x20",
            )])
            .file("usr/bin/ping", b"x")
            .file("usr/bin/plain", b"y")
            .end();
        let (es, notes, err) = decode_all(&tar, &limits());
        assert!(err.is_none() && notes.is_empty(), "{err:?} {notes:?}");
        assert_eq!(es[0].capability.as_deref(), Some("010000020020"));
        assert_eq!(es[1].capability, None);
    }

    #[test]
    fn entries_with_metadata_fold_into_one() {
        let tar = Tar::default()
            .gnu_long(b'L', b"a/long/name/from/gnu")
            .gnu_long(b'K', b"the/link/target")
            .entry("short", b'2', "ignored")
            .pax(&[("path", b"pax/path"), ("uid", b"42"), ("mtime", b"5")])
            .file("hdr-name", b"12345")
            .end();
        let (es, notes, err) = decode_all(&tar, &limits());
        assert!(err.is_none() && notes.is_empty(), "{err:?} {notes:?}");
        assert_eq!(paths(&es), ["a/long/name/from/gnu", "pax/path"]);
        assert_eq!(
            es[0].kind,
            EntryKind::Symlink {
                target: "the/link/target".into()
            }
        );
        assert_eq!((es[1].uid, es[1].gid, es[1].mtime), (42, 1001, 5));
        assert_eq!((es[1].stored, es[1].data), (5, 5));
    }

    #[test]
    fn looping_long_names_hit_the_entry_limit() {
        // A stream of GNU long-name headers that never reaches an entry: each one counts.
        let mut t = Tar::default();
        for i in 0..200 {
            t.gnu_long(b'L', format!("loop/{i}").as_bytes());
        }
        let (es, _, err) = decode_all(&t.end(), &limits());
        assert!(es.is_empty());
        let err = err.expect("the entry limit stops the loop").to_string();
        assert!(err.contains("test-layer") || err.contains("L"), "{err}");
        assert!(err.contains("more than the 100 entry limit"), "{err}");
        // A few in a row: the last one wins.
        let tar = Tar::default()
            .gnu_long(b'L', b"first")
            .gnu_long(b'L', b"second")
            .file("x", b"")
            .end();
        assert_eq!(paths(&decode_all(&tar, &limits()).0), ["second"]);
    }

    #[test]
    fn oversized_and_broken_pax_headers_skip_only_their_entry() {
        let big = vec![b'a'; 5000];
        let tar = Tar::default()
            .raw(header(b"././@PaxHeader", b'x', big.len() as u64, b""), &big)
            .file("victim", b"data")
            .raw(header(b"././@PaxHeader", b'x', 8, b""), b"99 bad\n\n")
            .file("victim2", b"data")
            .file("after", b"ok")
            .end();
        let (es, notes, err) = decode_all(&tar, &limits());
        assert!(err.is_none(), "{err:?}");
        assert_eq!(paths(&es), ["after"]);
        assert!(noted(
            &notes,
            "victim",
            "skipped: extended header of 5000 bytes exceeds"
        ));
        assert!(noted(
            &notes,
            "victim2",
            "skipped: PAX record length out of range"
        ));
        // Over-long GNU names likewise.
        let tar = Tar::default()
            .gnu_long(b'L', &[b'n'; 5000])
            .file("victim", b"")
            .file("after", b"")
            .end();
        let (es, notes, _) = decode_all(&tar, &limits());
        assert_eq!(paths(&es), ["after"]);
        assert!(noted(&notes, "victim", "exceeds the 4096 byte limit"));
    }

    #[test]
    fn bad_checksums_and_cut_headers_stop_the_layer() {
        let mut tar = Tar::default().file("ok", b"x").end();
        let mut bad = header(b"bad", b'0', 0, b"");
        bad[0] = b'B'; // after the checksum was computed
        tar.splice(1024..1024, bad);
        let (es, _, err) = decode_all(&tar, &limits());
        assert_eq!(paths(&es), ["ok"]);
        let err = err.unwrap().to_string();
        assert!(
            err.contains("corrupt tar header at offset 1024 (bad checksum)"),
            "{err}"
        );
        // A bad size field.
        let mut h = header(b"f", b'0', 0, b"");
        h[124..136].copy_from_slice(b"9999999999\0\0");
        checksum(&mut h);
        let (_, _, err) = decode_all(&Tar::default().raw(h, b"").end(), &limits());
        assert!(
            err.unwrap()
                .to_string()
                .contains("offset 0: bad size field")
        );
        // The stream ends inside a header.
        let tar = Tar::default().file("ok", b"x").end();
        let (_, _, err) = decode_all(&tar[..1024 + 100], &limits());
        assert!(
            err.unwrap()
                .to_string()
                .contains("ends inside a tar header")
        );
    }

    #[test]
    fn the_end_of_the_archive() {
        // Two zero blocks; one zero block then the end of the stream; no end blocks at all.
        let full = Tar::default().file("a", b"x").end();
        for cut in [full.len(), full.len() - 512, full.len() - 1024] {
            let (es, _, err) = decode_all(&full[..cut], &limits());
            assert!(err.is_none(), "{cut}: {err:?}");
            assert_eq!(paths(&es), ["a"]);
        }
        // Entries after two zero blocks are not read.
        let mut tar = Tar::default().file("a", b"x").end();
        tar.extend_from_slice(&Tar::default().file("hidden", b"").end());
        assert_eq!(paths(&decode_all(&tar, &limits()).0), ["a"]);
    }

    #[test]
    fn traversal_and_absolute_paths_land_inside_with_a_note() {
        let tar = Tar::default()
            .file("../../etc/passwd", b"")
            .file("/etc/shadow", b"")
            .file("a/../../b", b"")
            .entry("/", b'5', "")
            .entry("./", b'5', "")
            .end();
        let (es, notes, _) = decode_all(&tar, &limits());
        assert_eq!(paths(&es), ["etc/passwd", "etc/shadow", "b", "", ""]);
        for p in ["../../etc/passwd", "/etc/shadow", "a/../../b"] {
            assert!(noted(&notes, p, "resolved inside the image root"), "{p}");
        }
        assert_eq!(notes.len(), 3, "the root itself is no traversal: {notes:?}");
        assert_eq!(notes[0].layer, Some(3));
    }

    #[test]
    fn unusable_entries_are_skipped_with_notes_and_the_stream_stays_aligned() {
        let mut nonutf8 = header(b"bad\xff", b'0', 3, b"");
        checksum(&mut nonutf8);
        let tar = Tar::default()
            .raw(nonutf8, b"abc")
            .raw(header(b"weird", b'X', 4, b""), b"data")
            .raw(header(b"hl", b'1', 0, b"a\0b"), b"")
            .gnu_long(b'K', b"\xfe\xff")
            .entry("sl", b'2', "")
            .raw(header(b"label", b'V', 0, b""), b"")
            .pax(&[("path", b"nul\0inside")])
            .file("ignored", b"")
            .file("after", b"ok")
            .end();
        let (es, notes, err) = decode_all(&tar, &limits());
        assert!(err.is_none(), "{err:?}");
        // `a\0b` is cut at the NUL (the header field is NUL-terminated): a link to `a`.
        assert_eq!(paths(&es), ["hl", "after"]);
        assert!(noted(&notes, "bad\u{fffd}", "not UTF-8"));
        assert!(noted(&notes, "weird", "unsupported tar entry type 'X'"));
        assert!(noted(&notes, "sl", "symlink target is not UTF-8"));
        assert!(noted(&notes, "nul\0inside", "skipped: bad path"));
        assert!(
            !notes.iter().any(|n| n.subject == "label"),
            "a volume label is no entry"
        );
    }

    #[test]
    fn gnu_sparse_maps_that_lie_are_skipped() {
        let sparse = |name: &str, real: u64, segs: &[(u64, u64)], stored: u64, ext: bool| {
            let mut h = header(name.as_bytes(), b'S', stored, b"");
            h[257..265].copy_from_slice(b"ustar  \0");
            for (i, (off, len)) in segs.iter().enumerate() {
                let at = 386 + i * 24;
                octal(&mut h[at..at + 12], *off);
                octal(&mut h[at + 12..at + 24], *len);
            }
            h[482] = u8::from(ext);
            octal(&mut h[483..495], real);
            checksum(&mut h);
            h
        };
        let tar = Tar::default()
            .raw(sparse("good", 16, &[(0, 3), (10, 3)], 6, false), b"abcxyz")
            .raw(sparse("lies", 100, &[(0, 50)], 2, false), b"xy")
            .raw(sparse("past-end", 10, &[(8, 5)], 5, false), b"12345")
            .file("after", b"ok")
            .end();
        let (es, notes, err) = decode_all(&tar, &limits());
        assert!(err.is_none(), "{err:?}");
        assert_eq!(paths(&es), ["good", "after"]);
        assert_eq!(es[0].sparse, Some((vec![(0, 3), (10, 3)], 16)));
        assert!(noted(
            &notes,
            "lies",
            "needs 50 bytes but the entry stores 2"
        ));
        assert!(noted(&notes, "past-end", "exceed the file size"));
        // Extension blocks that never end: stopped at the header cap.
        let mut t = Tar::default();
        t.0.extend_from_slice(&sparse("endless", 16, &[], 0, true));
        let mut ext = [0u8; 512];
        ext[504] = 1;
        for _ in 0..20 {
            t.0.extend_from_slice(&ext);
        }
        let (_, _, err) = decode_all(&t.end(), &limits());
        assert!(
            err.unwrap()
                .to_string()
                .contains("endless: sparse map larger than the 4096 byte limit")
        );
        // The stream ends inside the extension blocks.
        let mut t = Tar::default();
        t.0.extend_from_slice(&sparse("cut", 16, &[], 0, true));
        let (_, _, err) = decode_all(&t.0, &limits());
        assert!(
            err.unwrap()
                .to_string()
                .contains("stream ends inside a sparse map")
        );
    }

    #[test]
    fn pax_sparse_maps_that_lie_are_skipped() {
        let tar = Tar::default()
            .pax(&[
                ("GNU.sparse.major", b"0"),
                ("GNU.sparse.minor", b"1"),
                ("GNU.sparse.name", b"lies"),
                ("GNU.sparse.realsize", b"1000"),
                ("GNU.sparse.map", b"0,500"),
            ])
            .file("GNUSparseFile.0/lies", b"short")
            .pax(&[("GNU.sparse.major", b"0"), ("GNU.sparse.map", b"1,2,3")])
            .file("odd", b"")
            .file("after", b"ok")
            .end();
        let (es, notes, err) = decode_all(&tar, &limits());
        assert!(err.is_none(), "{err:?}");
        assert_eq!(paths(&es), ["after"]);
        assert!(noted(
            &notes,
            "lies",
            "needs 500 bytes but the entry stores 5"
        ));
        assert!(noted(&notes, "odd", "odd number of values"));
    }
}
