//! Berkeley DB hash databases: rpm's `Packages` file (RHEL/CentOS ≤ 8, Amazon Linux 2, old
//! SUSE), read without libdb.
//!
//! Layout (libdb `dbinc/db_page.h`, `dbinc/hash.h`): page 0 is the hash metadata page
//! (`DBMETA` then `HMETA`): magic `0x061561` at byte 12 (its byte order is the file's byte order),
//! page size at 20, last page number at 32. Every page starts with a 26-byte header:
//! `lsn[8] pgno[4] prev_pgno[4] next_pgno[4] entries[2] hf_offset[2] level[1] type[1]`.
//! Hash pages (type 13, or 2 for pre-4.6 unsorted ones) hold `entries` 2-byte item offsets
//! after the header; items alternate key, data. rpm's header blobs are too big to sit in a hash
//! page, so data items are `H_OFFPAGE` (type 3: `type[1] unused[3] pgno[4] tlen[4]`) pointing
//! to a chain of overflow pages (type 7), each carrying `hf_offset` bytes after its header.
//! Small inline `H_KEYDATA` items (type 1) are read too. Key 0 holds rpm's instance counter.

use crate::CatalogError;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// Largest value rpm could store (its header limit), and the most values read.
const MAX_VALUE: usize = 256 << 20;
const MAX_VALUES: usize = 1 << 20;

fn fmt(path: &str, m: impl Into<String>) -> CatalogError {
    CatalogError::format(path, "Berkeley DB hash database", m)
}

#[derive(Clone, Copy)]
struct Order(bool); // true = big-endian

impl Order {
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s = b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.0 {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s = b.get(at..at.checked_add(2)?)?;
        let a = [s[0], s[1]];
        Some(if self.0 {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }
}

/// True when `b` starts like a Berkeley DB hash database.
pub fn is_bdb_hash(b: &[u8]) -> bool {
    let le = Order(false).u32(b, 12);
    let be = Order(true).u32(b, 12);
    le == Some(HASH_MAGIC) || be == Some(HASH_MAGIC)
}

/// Every (key, value) pair of a BDB hash database, in page order.
///
/// # Errors
/// When the metadata page is not a hash metadata page or the page size is invalid. Damaged data
/// pages are reported per item in the second list (and skipped).
#[expect(clippy::type_complexity, reason = "pairs plus problems")]
pub fn read_hash(
    path: &str,
    db: &[u8],
) -> Result<(Vec<(Vec<u8>, Vec<u8>)>, Vec<String>), CatalogError> {
    let order = if Order(false).u32(db, 12) == Some(HASH_MAGIC) {
        Order(false)
    } else if Order(true).u32(db, 12) == Some(HASH_MAGIC) {
        Order(true)
    } else {
        return Err(fmt(path, "no hash magic 0x061561 at byte 12"));
    };
    let page_size = order.u32(db, 20).unwrap_or(0) as usize;
    if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(fmt(path, format!("invalid page size {page_size}")));
    }
    if db.get(25) != Some(&P_HASHMETA) {
        return Err(fmt(path, "page 0 is not a hash metadata page"));
    }
    if db.get(24).is_some_and(|&e| e != 0) {
        return Err(CatalogError::Unsupported {
            path: path.into(),
            format: "Berkeley DB hash database",
            message: "encrypted database".into(),
        });
    }
    let pages = db.len() / page_size;
    let last = (order.u32(db, 32).unwrap_or(0) as usize).min(pages.saturating_sub(1));
    let page = |n: usize| db.get(n * page_size..(n + 1) * page_size);
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for n in 1..=last {
        let Some(p) = page(n) else { break };
        if p[25] != P_HASH && p[25] != P_HASH_UNSORTED {
            continue;
        }
        let entries = order.u16(p, 20).unwrap_or(0) as usize;
        let max_entries = (page_size - PAGE_HEADER) / 2;
        if entries > max_entries {
            problems.push(format!("page {n}: {entries} entries do not fit the page"));
            continue;
        }
        let offs: Vec<usize> = (0..entries)
            .map(|i| order.u16(p, PAGE_HEADER + 2 * i).unwrap_or(0) as usize)
            .collect();
        let item = |i: usize| -> Option<&[u8]> {
            let start = offs[i];
            // Items are laid out from the end of the page downwards.
            let end = if i == 0 { page_size } else { offs[i - 1] };
            (start >= PAGE_HEADER && start < end && end <= page_size).then(|| &p[start..end])
        };
        for k in (0..entries.saturating_sub(1)).step_by(2) {
            if out.len() >= MAX_VALUES {
                problems.push(format!("more than {MAX_VALUES} records; rest skipped"));
                return Ok((out, problems));
            }
            let (Some(key), Some(val)) = (item(k), item(k + 1)) else {
                problems.push(format!("page {n}: item {k} has a bad offset"));
                continue;
            };
            let key = match key[0] {
                H_KEYDATA => key[1..].to_vec(),
                t => {
                    problems.push(format!("page {n}: key item type {t} not supported"));
                    continue;
                }
            };
            match val[0] {
                H_KEYDATA => out.push((key, val[1..].to_vec())),
                H_OFFPAGE => match overflow(order, db, page_size, val) {
                    Ok(v) => out.push((key, v)),
                    Err(m) => problems.push(format!("page {n}: item {}: {m}", k + 1)),
                },
                t => problems.push(format!("page {n}: data item type {t} not supported")),
            }
        }
    }
    Ok((out, problems))
}

fn overflow(order: Order, db: &[u8], page_size: usize, item: &[u8]) -> Result<Vec<u8>, String> {
    let mut pg = order.u32(item, 4).ok_or("short H_OFFPAGE item")? as usize;
    let tlen = order.u32(item, 8).ok_or("short H_OFFPAGE item")? as usize;
    if tlen > MAX_VALUE {
        return Err(format!("value length {tlen} exceeds {MAX_VALUE}"));
    }
    let pages = db.len() / page_size;
    let mut out = Vec::with_capacity(tlen.min(db.len()));
    let mut hops = 0usize;
    while pg != 0 && out.len() < tlen {
        hops += 1;
        if hops > pages {
            return Err("overflow chain loops".into());
        }
        let p = db
            .get(pg * page_size..(pg + 1) * page_size)
            .ok_or_else(|| format!("overflow page {pg} beyond the file"))?;
        if p[25] != P_OVERFLOW {
            return Err(format!("page {pg} is not an overflow page"));
        }
        let used = order.u16(p, 22).unwrap_or(0) as usize;
        let end = (PAGE_HEADER + used).min(page_size);
        out.extend_from_slice(&p[PAGE_HEADER..end]);
        pg = order.u32(p, 16).unwrap_or(0) as usize;
    }
    if out.len() < tlen {
        return Err(format!(
            "overflow chain ended after {} of {tlen} bytes",
            out.len()
        ));
    }
    out.truncate(tlen);
    Ok(out)
}
