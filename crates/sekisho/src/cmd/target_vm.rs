//! Opening a VM disk (`sekisho vm DISK`, `sekisho sbom vm DISK`) into scannable targets.
//!
//! API for the scan commands:
//!
//! ```ignore
//! pub fn open_vm(t: &VmTarget, allow_backing: bool)
//!     -> anyhow::Result<(Vec<OpenedTarget>, Vec<PartitionReport>)>
//! pub fn partition_table(reports: &[PartitionReport]) -> String
//! ```
//!
//! `open_vm` reads the disk image (raw, qcow2, VMDK, VHD, VHDX; detected by magic) with
//! `sekisho-disk`, finds every partition and LVM logical volume, probes each by its superblock,
//! and returns one [`OpenedTarget`] (one layer) per filesystem that holds an OS root
//! (`etc/os-release` or `usr/lib/os-release`), named like `disk.qcow2 p2 "root-x86-64" (ext4)`.
//! It also returns a [`PartitionReport`] for EVERY partition/volume — index, name, type, fs type,
//! OS, and the reason it was skipped — so the caller can print them and never report a silent
//! "0 packages". When no filesystem holds an OS root, `open_vm` itself fails (exit 2) with that
//! table and the disk-level notes.
//! `allow_backing` follows qcow2 backing files, only within the image's directory (else such an
//! image is refused with a message naming the flag `--allow-backing`).
//! Errors (unreadable or corrupt image, corrupt GPT with a corrupt backup) name the file and the
//! structure.

#![allow(dead_code)] // `scan.rs` wires `vm` to this; until then parts may be unused.

use anyhow::Context;
use sekisho_artifact::Note;

use super::target::{OpenedTarget, VmTarget};

/// What was found in one partition or volume (serialisable, snake_case keys).
pub use sekisho_disk::VolumeReport as PartitionReport;

/// Open every OS-root filesystem of a VM disk as a target, and report on every partition.
pub fn open_vm(
    t: &VmTarget,
    allow_backing: bool,
) -> anyhow::Result<(Vec<OpenedTarget>, Vec<PartitionReport>)> {
    let opts = sekisho_disk::OpenOptions { allow_backing };
    let disk = sekisho_disk::open_disk(&t.disk, &opts)
        .with_context(|| format!("cannot read VM disk {}", t.disk.display()))?;
    let file = t.disk.file_name().map_or_else(
        || t.disk.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    // Disk-level notes and every skipped volume travel with each target, so reports show them.
    let mut shared: Vec<Note> = disk
        .notes
        .iter()
        .map(|n| Note::new(None, file.clone(), n.clone()))
        .collect();
    for v in &disk.volumes {
        if let Some(r) = &v.reason {
            shared.push(Note::new(None, format!("{file} {}", v.title()), r.clone()));
        }
        for n in &v.notes {
            shared.push(Note::new(None, format!("{file} {}", v.title()), n.clone()));
        }
    }
    let mut targets = Vec::new();
    if disk.os_roots().next().is_none() {
        // Nothing to scan: every partition with its reason, and what was odd about the disk (a
        // corrupt primary GPT, a looping EBR chain), which would otherwise travel only with the
        // targets.
        let mut msg = format!(
            "no filesystem with an operating system root found in {}:\n{}",
            t.disk.display(),
            partition_table(&disk.volumes)
        );
        for n in &disk.notes {
            msg.push_str(&format!("  note: {n}\n"));
        }
        anyhow::bail!(msg.trim_end().to_string());
    }
    for v in disk.os_roots() {
        let name = format!("{file} {}", v.title());
        let Some(layer) = v.layer(format!("{} ({})", name, disk.format.name())) else {
            continue;
        };
        targets.push(OpenedTarget {
            name,
            layers: vec![Box::new(layer)],
            notes: shared.clone(),
            partition: Some(sekisho_report::PartitionInfo {
                disk: t.disk.display().to_string(),
                format: disk.format.name().to_string(),
                index: v.index.clone(),
                number: v.number,
                name: v.name.clone(),
                type_id: v.type_id.clone(),
                filesystem: v.fs.clone(),
                label: v.label.clone(),
                offset: v.offset,
                size: v.size,
            }),
        });
    }
    Ok((targets, disk.volumes))
}

/// A plain-text table of the partitions, one per line, for stderr or the text report.
pub fn partition_table(reports: &[PartitionReport]) -> String {
    let mut s = String::new();
    for r in reports {
        let what = match (&r.os, r.os_root) {
            (Some(os), true) => format!("scanned: {os}"),
            (None, true) => "scanned".to_string(),
            _ => r.reason.clone().unwrap_or_default(),
        };
        s.push_str(&format!(
            "  {:<14} {:<20} {:<38} {:<8} {}\n",
            r.index,
            r.name.as_deref().unwrap_or("-"),
            r.type_id.as_deref().unwrap_or("-"),
            r.fs,
            what
        ));
        for n in &r.notes {
            s.push_str(&format!("  {:<14} note: {n}\n", ""));
        }
    }
    s
}
