//! Partition tables: MBR (with the extended/logical EBR chain) and GPT (with CRC checks and the
//! backup header as a fallback).
//!
//! MBR layout: four 16-byte entries at 0x1BE, signature 0x55AA at 0x1FE; an extended partition
//! (type 0x05/0x0F/0x85) holds a chain of EBRs, each with a logical partition (relative to that
//! EBR) and a link to the next EBR (relative to the extended partition's start).
//! GPT layout (UEFI spec 2.10, chapter 5.3): header `EFI PART` at LBA 1 with a CRC-32 of itself
//! and of the partition entry array; a backup header at the last LBA.

use std::collections::HashSet;
use std::io;

use crate::dev::{BlockDev, crc32, invalid, le, read_vec};

/// Most MBR logical partitions we follow.
const MAX_LOGICAL: usize = 128;
/// Most GPT entries we read.
const MAX_GPT_ENTRIES: u32 = 1024;

/// One partition found in a table, with the extent its entry records: a partition of a truncated
/// image may start or end past the end of the disk (the caller reports it; it is not dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// 1-based number as Linux names it (`p5` is the first logical partition).
    pub number: u32,
    pub start: u64,
    pub size: u64,
    /// GPT partition name.
    pub name: Option<String>,
    /// GPT type GUID (upper-case text) or MBR type byte as `0x83`.
    pub type_id: String,
}

/// The table a disk carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Table {
    Gpt(Vec<Partition>),
    Mbr(Vec<Partition>),
    None,
}

/// Format an on-disk (mixed-endian) GUID.
pub fn guid_text(g: &[u8]) -> String {
    if g.len() < 16 {
        return String::new();
    }
    format!(
        "{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        g[3],
        g[2],
        g[1],
        g[0],
        g[5],
        g[4],
        g[7],
        g[6],
        g[8],
        g[9],
        g[10],
        g[11],
        g[12],
        g[13],
        g[14],
        g[15]
    )
}

/// Read the partition table of `dev`. `notes` gets anything odd (a corrupt primary GPT, a looping
/// EBR chain).
pub fn read_table(dev: &dyn BlockDev, notes: &mut Vec<String>) -> io::Result<Table> {
    if dev.size() < 1024 {
        return Ok(Table::None);
    }
    let mbr = read_vec(dev, 0, 512)?;
    // GPT first: a protective MBR, or a GPT header even without one (hybrid/odd tools).
    let protective =
        mbr[510] == 0x55 && mbr[511] == 0xAA && (0..4).any(|i| mbr[0x1BE + i * 16 + 4] == 0xEE);
    for ss in [512u64, 4096] {
        if dev.size() < ss * 3 {
            continue;
        }
        let h = read_vec(dev, ss, 512)?;
        if &h[..8] == b"EFI PART" || protective {
            match read_gpt(dev, ss, notes) {
                Ok(p) => return Ok(Table::Gpt(p)),
                Err(e) if protective && ss == 4096 => return Err(e),
                Err(e) if &h[..8] == b"EFI PART" => return Err(e),
                Err(_) => continue,
            }
        }
    }
    if mbr[510] != 0x55 || mbr[511] != 0xAA {
        return Ok(Table::None);
    }
    match read_mbr(dev, &mbr, notes) {
        Some(p) => Ok(Table::Mbr(p)),
        None => Ok(Table::None),
    }
}

fn mbr_entries(sector: &[u8]) -> [(u8, u8, u64, u64); 4] {
    let mut out = [(0u8, 0u8, 0u64, 0u64); 4];
    for (i, o) in out.iter_mut().enumerate() {
        let e = &sector[0x1BE + i * 16..0x1BE + (i + 1) * 16];
        *o = (
            e[0],
            e[4],
            u64::from(le::u32(e, 8)),
            u64::from(le::u32(e, 12)),
        );
    }
    out
}

fn is_extended(t: u8) -> bool {
    matches!(t, 0x05 | 0x0F | 0x85)
}

/// Parse an MBR; `None` when the sector does not look like a partition table (a FAT or NTFS boot
/// sector also ends in 0x55AA).
fn read_mbr(dev: &dyn BlockDev, mbr: &[u8], notes: &mut Vec<String>) -> Option<Vec<Partition>> {
    let sectors = dev.size() / 512;
    let ents = mbr_entries(mbr);
    let mut parts = Vec::new();
    let mut any = false;
    for (i, &(status, t, start, size)) in ents.iter().enumerate() {
        if t == 0 && size == 0 {
            continue;
        }
        if status != 0 && status != 0x80 {
            return None;
        }
        if start == 0 || size == 0 {
            return None;
        }
        any = true;
        if is_extended(t) {
            if start >= sectors {
                notes.push(format!(
                    "MBR extended partition {} starts past the end of the disk (truncated image?); its logical partitions cannot be read",
                    i + 1
                ));
                continue;
            }
            read_ebr_chain(dev, start, size, &mut parts, notes);
        } else {
            parts.push(Partition {
                number: i as u32 + 1,
                start: start * 512,
                size: size * 512,
                name: None,
                type_id: format!("{t:#04x}"),
            });
        }
    }
    if !any {
        return None;
    }
    parts.sort_by_key(|p| p.number);
    Some(parts)
}

fn read_ebr_chain(
    dev: &dyn BlockDev,
    ext_start: u64,
    ext_size: u64,
    parts: &mut Vec<Partition>,
    notes: &mut Vec<String>,
) {
    let sectors = dev.size() / 512;
    let mut seen = HashSet::new();
    let mut ebr = ext_start;
    let mut number = 5;
    loop {
        if !seen.insert(ebr) {
            notes.push(format!(
                "MBR extended partition: EBR chain loops back to sector {ebr}; stopped"
            ));
            return;
        }
        if seen.len() > MAX_LOGICAL {
            notes.push(format!(
                "MBR extended partition: more than {MAX_LOGICAL} logical partitions; stopped"
            ));
            return;
        }
        if ebr >= sectors {
            notes.push(format!(
                "MBR extended partition: EBR at sector {ebr} is past the end of the disk"
            ));
            return;
        }
        let Ok(s) = read_vec(dev, ebr * 512, 512) else {
            notes.push(format!(
                "MBR extended partition: cannot read EBR at sector {ebr}"
            ));
            return;
        };
        if s[510] != 0x55 || s[511] != 0xAA {
            notes.push(format!(
                "MBR extended partition: EBR at sector {ebr} has no 0x55AA signature"
            ));
            return;
        }
        let e = mbr_entries(&s);
        let (_, t, rel, size) = e[0];
        if t != 0 && size != 0 {
            parts.push(Partition {
                number,
                start: (ebr + rel) * 512,
                size: size * 512,
                name: None,
                type_id: format!("{t:#04x}"),
            });
            number += 1;
        }
        let (_, nt, nrel, _) = e[1];
        if nt == 0 || nrel == 0 || !is_extended(nt) {
            return;
        }
        if nrel >= ext_size {
            notes.push(format!(
                "MBR extended partition: next EBR at +{nrel} lies outside the extended partition"
            ));
            return;
        }
        ebr = ext_start + nrel;
    }
}

struct GptHeader {
    entries_lba: u64,
    count: u32,
    entry_size: u32,
    entries_crc: u32,
    alternate: u64,
}

fn parse_gpt_header(h: &[u8], lba: u64) -> Result<GptHeader, String> {
    if &h[..8] != b"EFI PART" {
        return Err(format!("no GPT signature at LBA {lba}"));
    }
    let hsize = le::u32(h, 12) as usize;
    if !(92..=512).contains(&hsize) {
        return Err(format!("GPT header at LBA {lba} has size {hsize}"));
    }
    let mut c = h[..hsize].to_vec();
    c[16..20].fill(0);
    if crc32(&c) != le::u32(h, 16) {
        return Err(format!("GPT header at LBA {lba} fails its CRC-32 check"));
    }
    let count = le::u32(h, 80);
    let entry_size = le::u32(h, 84);
    if count > MAX_GPT_ENTRIES || !(128..=4096).contains(&entry_size) || entry_size % 8 != 0 {
        return Err(format!(
            "GPT header at LBA {lba} has {count} entries of {entry_size} bytes"
        ));
    }
    Ok(GptHeader {
        entries_lba: le::u64(h, 72),
        count,
        entry_size,
        entries_crc: le::u32(h, 88),
        alternate: le::u64(h, 32),
    })
}

fn gpt_entries(dev: &dyn BlockDev, ss: u64, h: &GptHeader) -> Result<Vec<Partition>, String> {
    let len = u64::from(h.count) * u64::from(h.entry_size);
    let at = h
        .entries_lba
        .checked_mul(ss)
        .ok_or("GPT entry array offset overflows")?;
    if at.saturating_add(len) > dev.size() {
        return Err(format!(
            "GPT entry array at LBA {} is past the end of the disk",
            h.entries_lba
        ));
    }
    let raw = read_vec(dev, at, len as usize).map_err(|e| e.to_string())?;
    if crc32(&raw) != h.entries_crc {
        return Err(format!(
            "GPT entry array at LBA {} fails its CRC-32 check",
            h.entries_lba
        ));
    }
    let mut out = Vec::new();
    for (i, e) in raw.chunks_exact(h.entry_size as usize).enumerate() {
        if e[..16].iter().all(|&b| b == 0) {
            continue;
        }
        let first = le::u64(e, 32);
        let last = le::u64(e, 40);
        if last < first {
            continue;
        }
        let name: Vec<u16> = e[56..128]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&c| c != 0)
            .collect();
        out.push(Partition {
            number: i as u32 + 1,
            start: first.saturating_mul(ss),
            size: (last - first).saturating_add(1).saturating_mul(ss),
            name: Some(String::from_utf16_lossy(&name)),
            type_id: guid_text(&e[..16]),
        });
    }
    Ok(out)
}

fn read_gpt(dev: &dyn BlockDev, ss: u64, notes: &mut Vec<String>) -> io::Result<Vec<Partition>> {
    let primary = read_vec(dev, ss, 512)?;
    let first_err = match parse_gpt_header(&primary, 1).and_then(|h| gpt_entries(dev, ss, &h)) {
        Ok(p) => return Ok(p),
        Err(e) => e,
    };
    // Fall back to the backup header: the primary's alternate LBA if its header is readable,
    // then the last LBA of the disk.
    let mut cands = vec![dev.size() / ss - 1];
    if let Ok(h) = parse_gpt_header(&primary, 1) {
        cands.insert(0, h.alternate);
    } else if &primary[..8] == b"EFI PART" {
        let alt = le::u64(&primary, 32);
        if alt > 1 && alt < dev.size() / ss {
            cands.insert(0, alt);
        }
    }
    let mut errs = vec![first_err.clone()];
    for lba in cands {
        if lba < 2 || lba >= dev.size() / ss {
            continue;
        }
        let b = read_vec(dev, lba * ss, 512)?;
        match parse_gpt_header(&b, lba).and_then(|h| gpt_entries(dev, ss, &h)) {
            Ok(p) => {
                notes.push(format!(
                    "primary GPT is corrupt ({first_err}); used the backup GPT at LBA {lba}"
                ));
                return Ok(p);
            }
            Err(e) => errs.push(e),
        }
    }
    Err(invalid(format!(
        "{}: GPT is corrupt and so is its backup: {}",
        dev.describe(),
        errs.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_text_is_mixed_endian() {
        let g = [
            0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e,
            0xc9, 0x3b,
        ];
        assert_eq!(guid_text(&g), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    }

    #[test]
    fn mbr_partitions_past_the_end_are_kept_with_their_extent() {
        // A truncated disk: p1 inside, p2 half outside, p3 entirely outside (64 sectors here).
        let mut d = vec![0u8; 64 * 512];
        for (i, (start, size)) in [(8u32, 8u32), (32, 64), (200, 10)].into_iter().enumerate() {
            let o = 0x1BE + i * 16;
            d[o + 4] = 0x83;
            d[o + 8..o + 12].copy_from_slice(&start.to_le_bytes());
            d[o + 12..o + 16].copy_from_slice(&size.to_le_bytes());
        }
        d[510] = 0x55;
        d[511] = 0xAA;
        let dev = crate::dev::MemDev::new(d);
        let t = read_table(&dev, &mut Vec::new()).unwrap();
        let Table::Mbr(p) = t else { panic!("{t:?}") };
        let ext: Vec<(u32, u64, u64)> = p.iter().map(|p| (p.number, p.start, p.size)).collect();
        assert_eq!(
            ext,
            [
                (1, 8 * 512, 8 * 512),
                (2, 32 * 512, 64 * 512),
                (3, 200 * 512, 10 * 512)
            ]
        );
    }

    #[test]
    fn looping_ebr_chain_stops() {
        let mut d = vec![0u8; 64 * 512];
        let put = |d: &mut [u8], sector: usize, idx: usize, t: u8, start: u32, size: u32| {
            let o = sector * 512 + 0x1BE + idx * 16;
            d[o + 4] = t;
            d[o + 8..o + 12].copy_from_slice(&start.to_le_bytes());
            d[o + 12..o + 16].copy_from_slice(&size.to_le_bytes());
            d[sector * 512 + 510] = 0x55;
            d[sector * 512 + 511] = 0xAA;
        };
        put(&mut d, 0, 0, 0x05, 8, 56);
        put(&mut d, 8, 0, 0x83, 1, 4);
        put(&mut d, 8, 1, 0x05, 10, 10);
        put(&mut d, 18, 0, 0x83, 1, 4);
        put(&mut d, 18, 1, 0x05, 0, 10); // rel 0 ends the chain
        put(&mut d, 18, 1, 0x05, 10, 10); // points back to sector 18 → loop
        let dev = crate::dev::MemDev::new(d);
        let mut notes = Vec::new();
        let t = read_table(&dev, &mut notes).unwrap();
        let Table::Mbr(p) = t else { panic!("{t:?}") };
        assert_eq!(p.iter().map(|p| p.number).collect::<Vec<_>>(), vec![5, 6]);
        assert!(notes.iter().any(|n| n.contains("loops")), "{notes:?}");
    }
}
