//! Identify what a partition or volume holds from its superblock (never from its name or type).

use std::io;

use crate::dev::{BlockDev, le, read_vec};

/// What a volume holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    Ext,
    Xfs,
    LvmPv,
    Btrfs,
    Vfat,
    Ntfs,
    Exfat,
    Swap,
    Luks,
    Squashfs,
    Iso9660,
    F2fs,
    Zfs,
    BitLocker,
    Empty,
    Unknown,
}

impl Content {
    pub fn name(self) -> &'static str {
        match self {
            Content::Ext => "ext4",
            Content::Xfs => "xfs",
            Content::LvmPv => "LVM2 PV",
            Content::Btrfs => "btrfs",
            Content::Vfat => "vfat",
            Content::Ntfs => "ntfs",
            Content::Exfat => "exfat",
            Content::Swap => "swap",
            Content::Luks => "LUKS",
            Content::Squashfs => "squashfs",
            Content::Iso9660 => "iso9660",
            Content::F2fs => "f2fs",
            Content::Zfs => "zfs",
            Content::BitLocker => "BitLocker",
            Content::Empty => "empty",
            Content::Unknown => "unknown",
        }
    }
}

/// Probe a device. Reads at most the first 68 KiB.
pub fn probe(dev: &dyn BlockDev) -> io::Result<Content> {
    let n = dev.size().min(68 << 10) as usize;
    let b = read_vec(dev, 0, n)?;
    let at = |o: usize, m: &[u8]| b.get(o..o + m.len()) == Some(m);
    if at(0, b"LUKS\xba\xbe") || at(0, b"SKUL\xba\xbe") {
        return Ok(Content::Luks);
    }
    if (0..4).any(|s| at(s * 512, b"LABELONE") && at(s * 512 + 24, b"LVM2 001")) {
        return Ok(Content::LvmPv);
    }
    if at(0, crate::xfs::MAGIC) {
        return Ok(Content::Xfs);
    }
    if b.len() >= 2048 && le::u16(&b, 1024 + 56) == crate::ext4::MAGIC {
        return Ok(Content::Ext);
    }
    if at(0x10040, b"_BHRfS_M") {
        return Ok(Content::Btrfs);
    }
    if at(0, b"hsqs") {
        return Ok(Content::Squashfs);
    }
    if at(0x8001, b"CD001") {
        return Ok(Content::Iso9660);
    }
    if b.len() >= 0x404 && le::u32(&b, 0x400) == 0xF2F5_2010 {
        return Ok(Content::F2fs);
    }
    if at(3, b"NTFS    ") {
        return Ok(Content::Ntfs);
    }
    if at(3, b"EXFAT   ") {
        return Ok(Content::Exfat);
    }
    if at(3, b"-FVE-FS-") {
        return Ok(Content::BitLocker);
    }
    if at(510, b"\x55\xaa") && (at(0x36, b"FAT") || at(0x52, b"FAT32")) {
        return Ok(Content::Vfat);
    }
    for page in [4096usize, 8192, 16384, 65536] {
        if at(page - 10, b"SWAPSPACE2") || at(page - 10, b"SWAP-SPACE") {
            return Ok(Content::Swap);
        }
    }
    // ZFS labels carry uberblocks (magic 0x00bab10c) at 128 KiB into each label.
    if b.len() >= (68 << 10) && b[..64].iter().all(|&x| x == 0) && b.iter().all(|&x| x == 0) {
        return Ok(Content::Empty);
    }
    if dev.size() >= (256 << 10) {
        let u = read_vec(dev, 128 << 10, 8)?;
        if u == 0x00ba_b10cu64.to_le_bytes() || u == 0x00ba_b10cu64.to_be_bytes() {
            return Ok(Content::Zfs);
        }
    }
    Ok(Content::Unknown)
}
