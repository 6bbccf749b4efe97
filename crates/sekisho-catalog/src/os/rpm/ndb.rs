//! rpm's NDB backend (`Packages.db`, SUSE since 15 SP3 / openSUSE).
//!
//! Layout (rpm `lib/backend/ndb/rpmpkg.c`), little-endian: a 32-byte file header
//! `{magic "RpmP", version, generation, slot_npages, 4×reserved}`, then slot entries of 16 bytes
//! `{magic "Slot", pkgidx, blkoff, blkcnt}` filling `slot_npages` 4 KiB pages (the header takes
//! the first two slots' space). Each used slot points (in 16-byte blocks) to a blob
//! `{magic "BlbS", pkgidx, checksum, len}` followed by `len` bytes: the rpm header.

use crate::CatalogError;

const HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const PAGE: usize = 4096;
const BLOCK: usize = 16;
const MAX_SLOT_PAGES: usize = 1 << 16;

fn le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// True when `b` starts with the NDB package-database magic.
pub fn is_ndb(b: &[u8]) -> bool {
    le(b, 0) == Some(HEADER_MAGIC)
}

/// Every header blob (package index, bytes) in slot order.
///
/// # Errors
/// When the file header is not an NDB header or unsupported. Damaged slots/blobs are listed in
/// the second vector.
#[expect(clippy::type_complexity, reason = "blobs plus problems")]
pub fn read_ndb<'a>(
    path: &str,
    db: &'a [u8],
) -> Result<(Vec<(u32, &'a [u8])>, Vec<String>), CatalogError> {
    let f = |m: String| CatalogError::format(path, "rpm NDB database", m);
    if !is_ndb(db) {
        return Err(f("no RpmP magic".into()));
    }
    let version = le(db, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(CatalogError::Unsupported {
            path: path.into(),
            format: "rpm NDB database",
            message: format!("version {version}"),
        });
    }
    let npages = le(db, 12).unwrap_or(0) as usize;
    if npages == 0 || npages > MAX_SLOT_PAGES {
        return Err(f(format!("slot page count {npages} out of range")));
    }
    let nslots = npages * PAGE / 16 - 2;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for i in 0..nslots {
        let at = 32 + i * 16;
        let Some(magic) = le(db, at) else {
            problems.push(format!("slot area truncated at slot {i}"));
            break;
        };
        if magic != SLOT_MAGIC {
            problems.push(format!("slot {i}: bad magic"));
            continue;
        }
        let idx = le(db, at + 4).unwrap_or(0);
        let off = le(db, at + 8).unwrap_or(0) as usize;
        let cnt = le(db, at + 12).unwrap_or(0) as usize;
        if idx == 0 {
            continue; // free slot
        }
        let start = off * BLOCK;
        let Some(blob) = db.get(start..start.saturating_add(cnt.saturating_mul(BLOCK))) else {
            problems.push(format!(
                "package {idx}: blob at block {off} beyond the file"
            ));
            continue;
        };
        if le(blob, 0) != Some(BLOB_MAGIC) || le(blob, 4) != Some(idx) {
            problems.push(format!("package {idx}: bad blob header"));
            continue;
        }
        let len = le(blob, 12).unwrap_or(0) as usize;
        match blob.get(16..16usize.saturating_add(len)) {
            Some(h) => out.push((idx, h)),
            None => problems.push(format!(
                "package {idx}: blob length {len} exceeds its blocks"
            )),
        }
    }
    Ok((out, problems))
}
