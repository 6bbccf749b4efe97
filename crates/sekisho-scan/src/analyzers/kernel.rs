//! `kernel`: the kernels installed in a golden image (dpkg `linux-image-*`, rpm `kernel*`),
//! judged against the known container escapes of `sekisho-kernel`, each installed kernel and the
//! one the bootloader starts (GRUB `grub.cfg`/`grubenv`, Boot Loader Specification entries).
//! On by default for `vm` targets; `--scanners kernel` elsewhere.
//!
//! Each affected escape is an `isolation` finding with the check ID `known-escape` (the wall is
//! the shared kernel). Escapes that cannot be judged (no distro table applies, no upstream range)
//! are counted in a note per kernel, never dropped.

use sekisho_artifact::{Capture, EntryMeta, Note};
use sekisho_finding::{Finding, Isolation, Kind, Location, Rule, Severity};
use sekisho_kernel::boot::{ImageOs, InstalledKernel, MAX_BOOT_FILE, default_entry, judge_image};
use sekisho_kernel::verdict::{Judgement, Reach, Verdict};

use crate::analyzer::{Analyzer, Context, Output};
use crate::error::ScanError;

/// The check every known-escape finding has.
pub const RULES: &[Rule] = &[Rule {
    id: "known-escape",
    kind: Kind::Isolation,
    group: "kernel",
    severity: Severity::High,
    title: "A known container escape affects this kernel or runtime",
    why: "Every container on a host shares its kernel (and its runtime): one known escape in either is a way out for all of them, whatever the other walls.",
    fix: "Upgrade the kernel (or runtime) package to the fixed version named in the finding and boot into it; livepatch where that is not possible.",
    aliases: &[],
}];

const BOOT_CAPTURE: &str = "kernel-boot-v1";

/// The bootloader files the analyzer reads.
struct BootFiles;

fn is_boot_file(path: &str) -> bool {
    matches!(
        path,
        "boot/grub/grub.cfg"
            | "boot/grub2/grub.cfg"
            | "boot/grub/grubenv"
            | "boot/grub2/grubenv"
            | "boot/loader/loader.conf"
            | "boot/efi/loader/loader.conf"
    ) || (path.starts_with("boot/loader/entries/") || path.starts_with("boot/efi/loader/entries/"))
        && path.ends_with(".conf")
        && path.matches('/').count() <= 4
}

impl Capture for BootFiles {
    fn id(&self) -> &'static str {
        BOOT_CAPTURE
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file() && is_boot_file(&meta.path)
    }
    fn max_size(&self) -> u64 {
        MAX_BOOT_FILE as u64
    }
}

/// The `kernel` analyzer.
pub struct Kernels;

/// A known-escape finding from one judgement of `subject` (`linux-image-6.1.0-18-amd64
/// 6.1.76-1`, `this host's kernel`, `runc 1.1.5`).
pub fn escape_finding(
    j: &Judgement,
    subject: &str,
    logical: String,
    severity: Severity,
) -> Finding {
    let mut evidence = vec![j.reason.clone()];
    if let Some(r) = &j.reach_reason {
        evidence.push(r.clone());
    }
    Finding::Isolation(Isolation {
        id: RULES[0].id.to_string(),
        severity,
        title: format!("{} ({}) affects {subject}", j.id, j.name),
        why: format!("{} is a known {} escape: {}", j.id, j.component, j.reason),
        fix: format!(
            "upgrade {subject} past the fix ({}); {}",
            j.reason, RULES[0].fix
        ),
        wall: "kernel".into(),
        evidence,
        caught_by: Vec::new(),
        location: Location::logical(logical),
    })
}

/// The severity of an affected escape, weighed by what the audit saw: exploitable here is
/// CRITICAL, blocked here MEDIUM, not weighed HIGH.
pub fn escape_severity(j: &Judgement) -> Severity {
    match j.reach {
        Some(Reach::Exploitable) => Severity::Critical,
        Some(Reach::Blocked) => Severity::Medium,
        _ => Severity::High,
    }
}

impl Analyzer for Kernels {
    fn id(&self) -> &'static str {
        "kernel"
    }
    fn kind(&self) -> Kind {
        Kind::Isolation
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        vec![Box::new(BootFiles)]
    }
    fn needs_packages(&self) -> bool {
        true
    }
    fn rules(&self) -> &'static [Rule] {
        RULES
    }
    fn analyze(&self, cx: &Context<'_>, out: &mut Output) -> Result<(), ScanError> {
        let Some(cat) = cx.catalog else {
            return Ok(());
        };
        let Some(os) = &cat.os else {
            return Ok(());
        };
        let installed: Vec<InstalledKernel> = cat
            .packages
            .iter()
            .filter(|p| {
                p.name.starts_with("linux-image-")
                    || matches!(
                        p.name.as_str(),
                        "kernel" | "kernel-core" | "kernel-rt" | "kernel-rt-core"
                    )
            })
            .map(|p| InstalledKernel {
                name: p.name.clone(),
                version: p.version.clone(),
                source: p.source.as_ref().map(|s| s.name.clone()),
                arch: p.arch.clone(),
            })
            .collect();
        if installed.is_empty() {
            // A container image or a root without a packaged kernel: nothing to judge, and
            // nothing to say unless this is a VM disk, which boots one.
            if cx.target_kind == "vm" {
                out.notes.push(Note::new(
                    None,
                    "kernel",
                    "no kernel package installed: the kernel this image boots was not judged",
                ));
            }
            return Ok(());
        }
        let text = |p: &str| -> Option<String> {
            cx.inventory
                .get(BOOT_CAPTURE, p)
                .map(|c| String::from_utf8_lossy(&c.data).into_owned())
        };
        let grub_cfg = text("boot/grub/grub.cfg").or_else(|| text("boot/grub2/grub.cfg"));
        let grubenv = text("boot/grub/grubenv").or_else(|| text("boot/grub2/grubenv"));
        let loader =
            text("boot/loader/loader.conf").or_else(|| text("boot/efi/loader/loader.conf"));
        let bls: Vec<(String, String)> = cx
            .inventory
            .visible(BOOT_CAPTURE)
            .filter(|c| c.meta.path.contains("/loader/entries/"))
            .map(|c| {
                let stem = c
                    .meta
                    .path
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .trim_end_matches(".conf")
                    .to_string();
                (stem, String::from_utf8_lossy(&c.data).into_owned())
            })
            .collect();
        let boot = default_entry(
            grub_cfg.as_deref(),
            grubenv.as_deref(),
            &bls,
            loader.as_deref(),
        );
        let judged = judge_image(
            sekisho_kernel::data::embedded(),
            &ImageOs {
                id: os.id.clone(),
                version_id: os.version_id.clone(),
                codename: os.codename.clone(),
            },
            &installed,
            boot,
        );
        for n in &judged.notes {
            out.notes.push(Note::new(None, "kernel", n.clone()));
        }
        for k in &judged.kernels {
            let subject = format!(
                "{} {}{}",
                k.package,
                k.version,
                if k.default {
                    " (the default boot kernel)"
                } else {
                    ""
                }
            );
            let mut unknown = Vec::new();
            for j in &k.escapes {
                match j.verdict {
                    Verdict::Affected => {
                        // Kernels that do not boot by default matter less, but still ship.
                        let sev = if k.default || judged.default_index.is_none() {
                            escape_severity(j)
                        } else {
                            Severity::Medium
                        };
                        out.findings.push(escape_finding(
                            j,
                            &subject,
                            format!("kernel:{}", k.package),
                            sev,
                        ));
                    }
                    Verdict::Unknown => unknown.push(j.id.clone()),
                    Verdict::NotAffected => {}
                }
            }
            if !unknown.is_empty() {
                out.notes.push(Note::new(
                    None,
                    format!("kernel {}", k.package),
                    format!(
                        "{} known escape(s) could not be judged (no fix data applies): {}",
                        unknown.len(),
                        unknown.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_files() {
        for p in [
            "boot/grub/grub.cfg",
            "boot/grub2/grubenv",
            "boot/loader/entries/abc-6.1.conf",
            "boot/loader/loader.conf",
        ] {
            assert!(is_boot_file(p), "{p}");
        }
        for p in [
            "boot/grub/fonts/unicode.pf2",
            "etc/grub.cfg",
            "boot/loader/entries/x.txt",
        ] {
            assert!(!is_boot_file(p), "{p}");
        }
    }
}
