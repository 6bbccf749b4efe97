//! `cargo run --release -p sekisho-config --example scan_dir -- DIR...`: the library alone
//! (walk, parse, every check, findings serialised to JSON), for bench/config.sh when a release
//! build of the whole CLI is not at hand.

use std::path::PathBuf;

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let w = sekisho_config::walk::scan_paths(&paths, &sekisho_config::Options::default());
    let findings: Vec<_> = w.files.iter().flat_map(|f| f.findings.iter()).collect();
    let json = serde_json::to_vec(&findings).unwrap_or_default();
    let objects: usize = w.files.iter().map(|f| f.objects).sum();
    println!(
        "{} files, {objects} objects, {} findings, {} bytes of JSON",
        w.files.len(),
        findings.len(),
        json.len()
    );
}
