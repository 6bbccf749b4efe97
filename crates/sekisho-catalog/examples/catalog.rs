//! Print the catalog of a root filesystem directory as JSON (packages without their owned-file
//! lists), for benchmarks and debugging until `sekisho sbom` covers every target.
//!
//! `cargo run --release -p sekisho-catalog --example catalog -- ROOTFS [--os-only] [--names]`
//! `--names` prints `name<TAB>version` lines of OS packages instead of JSON.

use sekisho_artifact::{CollectOptions, LayerSource, rootfs::DirLayer};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: catalog ROOTFS [--os-only] [--names]");
        std::process::exit(2);
    };
    let rest: Vec<String> = args.collect();
    let os_only = rest.iter().any(|a| a == "--os-only");
    let names = rest.iter().any(|a| a == "--names");
    let layer = match DirLayer::new(&dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("catalog: {dir}: {e}");
            std::process::exit(2);
        }
    };
    let layers: Vec<Box<dyn LayerSource>> = vec![Box::new(layer)];
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
