//! Print the catalog of a root filesystem directory as JSON (packages without their owned-file
//! lists), for benchmarks and debugging until `sekisho sbom` covers every target.
//!
//! `cargo run --release -p sekisho-catalog --example catalog -- TARGET [--os-only] [--names]`
//! where TARGET is a root filesystem directory, `--archive FILE` (docker-archive or OCI archive),
//! `--oci DIR[:TAG]` (OCI image layout) or `--registry REF` (plain HTTP allowed, for a loopback
//! registry). `--names` prints `name<TAB>version` lines of OS packages instead of JSON.

use sekisho_artifact::image::{self, resolve::ImageOptions};
use sekisho_artifact::{CollectOptions, LayerSource, rootfs::DirLayer};

fn open(args: &[String]) -> Result<Vec<Box<dyn LayerSource>>, String> {
    let opts = ImageOptions::default();
    match args.first().map(String::as_str) {
        Some("--archive") => {
            let f = args.get(1).ok_or("--archive needs a file")?;
            image::archive::open_archive(std::path::Path::new(f), &opts)
                .map(|i| i.layers)
                .map_err(|e| e.to_string())
        }
        Some("--oci") => {
            let d = args.get(1).ok_or("--oci needs DIR[:TAG]")?;
            image::layout::open_layout(d, &opts)
                .map(|i| i.layers)
                .map_err(|e| e.to_string())
        }
        Some("--registry") => {
            let r = args.get(1).ok_or("--registry needs a reference")?;
            let ropts = image::registry::RegistryOptions {
                insecure: true,
                ..Default::default()
            };
            image::registry::open_registry(r, &ropts, &opts)
                .map(|i| i.layers)
                .map_err(|e| e.to_string())
        }
        Some(dir) => DirLayer::new(dir)
            .map(|l| vec![Box::new(l) as Box<dyn LayerSource>])
            .map_err(|e| e.to_string()),
        None => Err("no target".into()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let os_only = args.iter().any(|a| a == "--os-only");
    let names = args.iter().any(|a| a == "--names");
    let target: Vec<String> = args
        .iter()
        .filter(|a| *a != "--os-only" && *a != "--names")
        .cloned()
        .collect();
    let dir = target.join(" ");
    let layers = match open(&target) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "usage: catalog ROOTFS|--archive FILE|--oci DIR[:TAG]|--registry REF [--os-only] [--names]\ncatalog: {dir}: {e}"
            );
            std::process::exit(2);
        }
    };
    let catalogers = if os_only {
        sekisho_catalog::os_catalogers()
    } else {
        sekisho_catalog::default_catalogers()
    };
    let mut cat = match sekisho_catalog::scan_with(layers, &CollectOptions::default(), &catalogers)
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("catalog: {dir}: {e}");
            std::process::exit(2);
        }
    };
    if names {
        for p in cat.packages.iter().filter(|p| p.kind.is_os()) {
            println!("{}\t{}", p.name, p.version);
        }
        return;
    }
    for p in &mut cat.packages {
        p.files.clear();
    }
    let v = serde_json::json!({
        "schema_version": 1,
        "kind": "catalog",
        "catalog": cat,
    });
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
}
