//! The rpm header blob, as stored in every rpm database backend (and, after the lead and the
//! signature header, in a `.rpm` file).
//!
//! Layout (rpm `doc/manual/format.md`, "Header structure"): big-endian `il` (index entry count)
//! and `dl` (data length), then `il` 16-byte index entries `{tag, type, offset, count}`, then
//! `dl` bytes of data. Types: 0 NULL, 1 CHAR, 2 INT8, 3 INT16, 4 INT32, 5 INT64, 6 STRING,
//! 7 BIN, 8 STRING_ARRAY, 9 I18NSTRING. A region tag (61–63) heads immutable headers and is
//! skipped. Every offset and count is checked against the data; nothing is trusted.

use crate::CatalogError;

/// rpm's own limits (`rpmtag.h`: `HEADER_TAGS_MAX`-ish index cap, 256 MiB data).
pub const MAX_INDEX: u32 = 0xffff;
pub const MAX_DATA: u32 = 256 << 20;

pub const TAG_NAME: u32 = 1000;
pub const TAG_VERSION: u32 = 1001;
pub const TAG_RELEASE: u32 = 1002;
pub const TAG_EPOCH: u32 = 1003;
pub const TAG_VENDOR: u32 = 1011;
pub const TAG_LICENSE: u32 = 1014;
pub const TAG_ARCH: u32 = 1022;
pub const TAG_OLDFILENAMES: u32 = 1027;
pub const TAG_SOURCERPM: u32 = 1044;
pub const TAG_DIRINDEXES: u32 = 1116;
pub const TAG_BASENAMES: u32 = 1117;
pub const TAG_DIRNAMES: u32 = 1118;
pub const TAG_MODULARITYLABEL: u32 = 5096;

const T_INT32: u32 = 4;
const T_STRING: u32 = 6;
const T_STRING_ARRAY: u32 = 8;
const T_I18NSTRING: u32 = 9;

/// The fields sekisho reads from a header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmInfo {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
    pub modularity_label: Option<String>,
    /// Owned files (`DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`, or `OLDFILENAMES`), no leading `/`.
    pub files: Vec<String>,
}

impl RpmInfo {
    /// `[E:]V-R`, as rpm prints EVR (epoch only when set and non-zero).
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) if e != 0 => format!("{e}:{}-{}", self.version, self.release),
            _ => format!("{}-{}", self.version, self.release),
        }
    }
}

struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: usize,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// A parsed header: the index and the data store.
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

impl<'a> Header<'a> {
    /// Parse a header blob (starting at `il`). Also accepts the 8-byte header magic
    /// (`8e ad e8 01 00 00 00 00`) in front, as in `.rpm` files.
    ///
    /// # Errors
    /// When the index or data do not fit the blob or exceed rpm's limits.
    pub fn parse(blob: &'a [u8], what: &str) -> Result<Self, CatalogError> {
        let bad = |m: String| CatalogError::format(what, "rpm header", m);
        let blob = if blob.starts_with(&[0x8e, 0xad, 0xe8, 0x01]) {
            blob.get(8..).ok_or_else(|| bad("truncated magic".into()))?
        } else {
            blob
        };
        let il = be32(blob, 0).ok_or_else(|| bad("shorter than 8 bytes".into()))?;
        let dl = be32(blob, 4).ok_or_else(|| bad("shorter than 8 bytes".into()))?;
        if il == 0 || il > MAX_INDEX {
            return Err(bad(format!("index count {il} out of range")));
        }
        if dl > MAX_DATA {
            return Err(bad(format!("data length {dl} exceeds {MAX_DATA}")));
        }
        let index_end = 8 + il as usize * 16;
        let data_end = index_end + dl as usize;
        if blob.len() < data_end {
            return Err(bad(format!(
                "{} bytes, but index and data need {data_end}",
                blob.len()
            )));
        }
        let data = &blob[index_end..data_end];
        let mut entries = Vec::with_capacity(il as usize);
        for i in 0..il as usize {
            let at = 8 + i * 16;
            let (Some(tag), Some(ty), Some(off), Some(count)) = (
                be32(blob, at),
                be32(blob, at + 4),
                be32(blob, at + 8),
                be32(blob, at + 12),
            ) else {
                return Err(bad(format!("index entry {i} truncated")));
            };
            if (61..=63).contains(&tag) {
                continue; // region tags
            }
            if off as usize > data.len() {
                return Err(bad(format!(
                    "tag {tag}: offset {off} beyond data length {}",
                    data.len()
                )));
            }
            entries.push(Entry {
                tag,
                ty,
                offset: off as usize,
                count: count as usize,
            });
        }
        Ok(Self { entries, data })
    }

    fn entry(&self, tag: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// A STRING (or the first of a STRING_ARRAY / I18NSTRING) tag.
    pub fn string(&self, tag: u32) -> Option<String> {
        let e = self.entry(tag)?;
        if !matches!(e.ty, T_STRING | T_STRING_ARRAY | T_I18NSTRING) {
            return None;
        }
        let rest = &self.data[e.offset..];
        let end = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    /// A STRING_ARRAY tag, every element checked against the data length.
    pub fn strings(&self, tag: u32) -> Option<Vec<String>> {
        let e = self.entry(tag)?;
        if !matches!(e.ty, T_STRING_ARRAY | T_I18NSTRING | T_STRING) {
            return None;
        }
        let mut rest = &self.data[e.offset..];
        // Each element needs at least its NUL byte.
        if e.count > rest.len() {
            return None;
        }
        let mut out = Vec::with_capacity(e.count);
        for _ in 0..e.count {
            let end = rest.iter().position(|&b| b == 0)?;
            out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
            rest = &rest[end + 1..];
        }
        Some(out)
    }

    /// An INT32 array tag.
    pub fn int32s(&self, tag: u32) -> Option<Vec<u32>> {
        let e = self.entry(tag)?;
        if e.ty != T_INT32 {
            return None;
        }
        let bytes = e.count.checked_mul(4)?;
        let s = self.data.get(e.offset..e.offset.checked_add(bytes)?)?;
        Some(
            s.chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }

    /// Extract [`RpmInfo`].
    ///
    /// # Errors
    /// When NAME, VERSION or RELEASE is missing.
    pub fn info(&self, what: &str) -> Result<RpmInfo, CatalogError> {
        let need = |tag: u32, n: &str| {
            self.string(tag)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| CatalogError::format(what, "rpm header", format!("no {n} tag")))
        };
        let name = need(TAG_NAME, "NAME")?;
        let version = need(TAG_VERSION, "VERSION")?;
        let release = need(TAG_RELEASE, "RELEASE")?;
        let files = match (
            self.strings(TAG_BASENAMES),
            self.strings(TAG_DIRNAMES),
            self.int32s(TAG_DIRINDEXES),
        ) {
            (Some(base), Some(dirs), Some(idx)) if base.len() == idx.len() => base
                .iter()
                .zip(idx)
                .filter_map(|(b, i)| {
                    let d = dirs.get(i as usize)?;
                    Some(format!("{d}{b}").trim_start_matches('/').to_string())
                })
                .collect(),
            _ => self
                .strings(TAG_OLDFILENAMES)
                .unwrap_or_default()
                .into_iter()
                .map(|f| f.trim_start_matches('/').to_string())
                .collect(),
        };
        let opt = |tag| self.string(tag).filter(|s| !s.is_empty() && s != "(none)");
        Ok(RpmInfo {
            name,
            epoch: self.int32s(TAG_EPOCH).and_then(|v| v.first().copied()),
            version,
            release,
            arch: opt(TAG_ARCH),
            source_rpm: opt(TAG_SOURCERPM),
            license: opt(TAG_LICENSE),
            vendor: opt(TAG_VENDOR),
            modularity_label: opt(TAG_MODULARITYLABEL),
            files,
        })
    }
}

/// Parse a header blob straight to [`RpmInfo`].
///
/// # Errors
/// See [`Header::parse`] and [`Header::info`].
pub fn parse_info(blob: &[u8], what: &str) -> Result<RpmInfo, CatalogError> {
    Header::parse(blob, what)?.info(what)
}

/// The main header of a `.rpm` file: skip the 96-byte lead and the signature header (padded to
/// 8 bytes), then parse the header.
///
/// # Errors
/// When the lead or signature header is malformed.
pub fn parse_rpm_file(b: &[u8], what: &str) -> Result<RpmInfo, CatalogError> {
    let bad = |m: &str| CatalogError::format(what, "rpm package file", m);
    if !b.starts_with(&[0xed, 0xab, 0xee, 0xdb]) {
        return Err(bad("no rpm lead magic"));
    }
    let sig = b.get(96..).ok_or_else(|| bad("truncated lead"))?;
    if !sig.starts_with(&[0x8e, 0xad, 0xe8, 0x01]) {
        return Err(bad("no signature header magic"));
    }
    let il = be32(sig, 8).ok_or_else(|| bad("truncated signature"))? as usize;
    let dl = be32(sig, 12).ok_or_else(|| bad("truncated signature"))? as usize;
    if il > MAX_INDEX as usize || dl > MAX_DATA as usize {
        return Err(bad("signature header too large"));
    }
    let len = 16 + il * 16 + dl;
    let padded = len.div_ceil(8) * 8;
    let hdr = sig
        .get(padded..)
        .ok_or_else(|| bad("truncated after signature"))?;
    parse_info(hdr, what)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Build a header blob from (tag, type, count, data) entries (test helper, also for fuzz
    /// seeds).
    pub fn build(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, count, d) in entries {
            if *ty == T_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(d);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    pub fn s(v: &str) -> (u32, Vec<u8>) {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        (1, b)
    }

    #[test]
    fn header_fields_and_files() {
        let mut dirs = b"/usr/bin/\0/etc/\0".to_vec();
        let _ = &mut dirs;
        let blob = build(&[
            (TAG_NAME, T_STRING, 1, s("bash").1),
            (TAG_VERSION, T_STRING, 1, s("5.1.8").1),
            (TAG_RELEASE, T_STRING, 1, s("1.el9").1),
            (TAG_EPOCH, T_INT32, 1, 2u32.to_be_bytes().to_vec()),
            (TAG_ARCH, T_STRING, 1, s("x86_64").1),
            (TAG_BASENAMES, T_STRING_ARRAY, 2, b"bash\0bashrc\0".to_vec()),
            (TAG_DIRNAMES, T_STRING_ARRAY, 2, dirs),
            (
                TAG_DIRINDEXES,
                T_INT32,
                2,
                [0u32.to_be_bytes(), 1u32.to_be_bytes()].concat(),
            ),
        ]);
        let i = parse_info(&blob, "t").unwrap();
        assert_eq!(i.evr(), "2:5.1.8-1.el9");
        assert_eq!(i.files, vec!["usr/bin/bash", "etc/bashrc"]);
        // Truncations never panic.
        for n in 0..blob.len() {
            let _ = parse_info(&blob[..n], "t");
        }
        let mut bad = blob.clone();
        bad[0..4].copy_from_slice(&0xffff_ffffu32.to_be_bytes());
        assert!(parse_info(&bad, "t").is_err());
    }
}
