//! Read every layer of an image through sekisho's layered view, with a cataloguer-like set of
//! captures (os-release, the dpkg/apk/rpm databases, Python/Node package metadata), and print
//! what was seen. Used by `bench/image-*.sh`; handy for poking at images by hand.
//!
//! Usage: `read_image (--oci-dir DIR[:TAG] | --input FILE | REF) [--platform P] [--threads N]
//!         [--cache-dir DIR] [--insecure]`

use std::time::Instant;

use sekisho_artifact::image::registry::{RegistryOptions, open_registry};
use sekisho_artifact::image::resolve::ImageOptions;
use sekisho_artifact::image::{Platform, archive, layout};
use sekisho_artifact::{Capture, EntryMeta};
use sekisho_artifact::{CollectOptions, collect_with};

struct Catalogish;
impl Capture for Catalogish {
    fn id(&self) -> &'static str {
        "catalogish"
    }
    fn wants(&self, m: &EntryMeta) -> bool {
        let p = m.path.as_str();
        m.is_file()
            && (p.ends_with("os-release")
                || p == "var/lib/dpkg/status"
                || p.starts_with("var/lib/dpkg/status.d/")
                || p == "lib/apk/db/installed"
                || p.starts_with("var/lib/rpm/")
                || p.ends_with(".dist-info/METADATA")
                || p.ends_with(".egg-info/PKG-INFO")
                || (p.ends_with("/package.json") && p.contains("node_modules/")))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = ImageOptions::default();
    let mut copts = CollectOptions::default();
    let mut ropts = RegistryOptions::default();
    let mut source: Option<(String, String)> = None;
    let mut i = 0;
    while i < args.len() {
        let next = |i: usize| args.get(i + 1).cloned().expect("missing value");
        match args[i].as_str() {
            "--oci-dir" | "--input" => {
                source = Some((args[i].clone(), next(i)));
                i += 1;
            }
            "--platform" => {
                opts.platform = Some(Platform::parse(&next(i)).expect("platform"));
                i += 1;
            }
            "--threads" => {
                copts.threads = next(i).parse().expect("threads");
                i += 1;
            }
            "--cache-dir" => {
                copts.cache_dir = Some(next(i).into());
                i += 1;
            }
            "--insecure" => ropts.insecure = true,
            r => source = Some(("ref".into(), r.to_string())),
        }
        i += 1;
    }
    let Some((kind, what)) = source else {
        eprintln!("usage: read_image (--oci-dir DIR[:TAG] | --input FILE | REF) [--platform P]");
        std::process::exit(2);
    };
    let start = Instant::now();
    let img = match kind.as_str() {
        "--oci-dir" => layout::open_layout(&what, &opts),
        "--input" => archive::open_archive(std::path::Path::new(&what), &opts),
        _ => open_registry(&what, &ropts, &opts),
    };
    let img = img.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let opened = start.elapsed();
    let nlayers = img.layers.len();
    let inv = collect_with(img.layers, &[&Catalogish], &copts).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let entries: u64 = inv.stats.iter().map(|s| s.0).sum();
    let bytes: u64 = inv.stats.iter().map(|s| s.1).sum();
    let kept: usize = inv.visible("catalogish").map(|c| c.data.len()).sum();
    println!(
        "{what}: {}/{} {nlayers} layers, {entries} entries, {bytes} file bytes, {} captured files ({kept} bytes), {} notes; opened in {:.3} s, total {:.3} s",
        img.meta.os,
        img.meta.architecture,
        inv.visible("catalogish").count(),
        inv.notes.len(),
        opened.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    for n in inv.notes.iter().take(10) {
        println!(
            "  note: {} {}: {}",
            n.layer.map_or("-".into(), |l| l.to_string()),
            n.subject,
            n.message
        );
    }
}
