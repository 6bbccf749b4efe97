//! Benchmark driver: open a VM disk, list every partition, and walk every OS root the way a scan
//! does (every entry visited, package-database files captured), then count dpkg/apk packages.
//!
//! `cargo run --release -p sekisho-disk --example vm_inventory -- DISK [--allow-backing]`

use std::time::Instant;

use sekisho_artifact::{Capture, EntryMeta, collect};

struct PkgDbs;

impl Capture for PkgDbs {
    fn id(&self) -> &'static str {
        "pkgdb"
    }
    fn wants(&self, m: &EntryMeta) -> bool {
        matches!(
            m.path.as_str(),
            "var/lib/dpkg/status"
                | "lib/apk/db/installed"
                | "etc/os-release"
                | "usr/lib/os-release"
        ) || m.path.starts_with("var/lib/dpkg/status.d/")
            || m.path.starts_with("var/lib/rpm/")
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(disk) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: vm_inventory DISK [--allow-backing]");
        std::process::exit(2);
    };
    let opts = sekisho_disk::OpenOptions {
        allow_backing: args.iter().any(|a| a == "--allow-backing"),
    };
    let t = Instant::now();
    let d = match sekisho_disk::open_disk(std::path::Path::new(disk), &opts) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "{disk}: {} ({} bytes), table {}",
        d.format.name(),
        d.size,
        d.table
    );
    for n in &d.notes {
        println!("  note: {n}");
    }
    for v in &d.volumes {
        println!(
            "  {:<16} {:<14} {:<8} os_root={} {}",
            v.index,
            v.name.as_deref().unwrap_or("-"),
            v.fs,
            v.os_root,
            v.reason.as_deref().or(v.os.as_deref()).unwrap_or("")
        );
    }
    let mut total = 0usize;
    for v in d.os_roots() {
        let layer = v.layer(v.title()).expect("os root has a layer");
        let inv = collect(vec![Box::new(layer)], &[&PkgDbs], 1).expect("walk");
        let mut pkgs = 0;
        for c in inv.visible("pkgdb") {
            let text = String::from_utf8_lossy(&c.data);
            if c.meta.path.starts_with("var/lib/dpkg/status") {
                pkgs += text
                    .split("\n\n")
                    .filter(|p| {
                        p.lines()
                            .any(|l| l.starts_with("Status:") && l.ends_with(" installed"))
                    })
                    .count();
            } else if c.meta.path == "lib/apk/db/installed" {
                pkgs += text.lines().filter(|l| l.starts_with("P:")).count();
            }
        }
        let (entries, bytes) = inv.stats.first().copied().unwrap_or_default();
        println!(
            "  {}: {entries} entries, {bytes} bytes of files, {pkgs} packages, {} notes",
            v.title(),
            inv.notes.len()
        );
        total += pkgs;
    }
    println!(
        "packages: {total}; elapsed {:.3} s",
        t.elapsed().as_secs_f64()
    );
}
