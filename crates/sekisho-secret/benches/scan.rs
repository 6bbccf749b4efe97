//! Secret-scanner throughput on real text: every text file under the debootstrap rootfs's
//! `/usr/share` (built by `../shared/bench/images.sh`; `SEKISHO_BENCH_DIR` overrides the cache
//! location), fed to [`FileScanner`] in 64 KiB chunks as the pipeline does, plus the same corpus
//! as one buffer per file through [`scan_bytes`].

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekisho_secret::{FileOptions, FileScanner, Rules, scan_bytes};

fn bench_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SEKISHO_BENCH_DIR") {
        return PathBuf::from(d);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME must be set");
    cache.join("sekisho-bench")
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            walk(&p, root, out);
        } else if ft.is_file() {
            let Ok(data) = std::fs::read(&p) else {
                continue;
            };
            // Text only: what the scanner would not skip as binary.
            if data[..data.len().min(8000)].contains(&0) {
                continue;
            }
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            out.push((rel, data));
        }
    }
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = bench_dir().join("rootfs/debian12-full");
    let share = root.join("usr/share");
    assert!(
        share.is_dir(),
        "benchmark corpus {} is missing: run `bash ../shared/bench/images.sh` first",
        share.display()
    );
    let mut out = Vec::new();
    walk(&share, &root, &mut out);
    out.retain(|(p, _)| sekisho_secret::wants(p, 0, 0o644));
    out
}

fn bench(c: &mut Criterion) {
    let rules = Rules::builtin().expect("rules compile");
    let files = corpus();
    let bytes: u64 = files.iter().map(|(_, d)| d.len() as u64).sum();
    eprintln!("corpus: {} text files, {} bytes", files.len(), bytes);
    let mut g = c.benchmark_group("secret-scan");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(20);
    g.bench_function("usr-share-stream-64k", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (p, d) in &files {
                let mut s = FileScanner::with_options(
                    rules,
                    p,
                    FileOptions {
                        size: Some(d.len() as u64),
                        digests: true,
                    },
                );
                for chunk in d.chunks(64 << 10) {
                    s.feed(chunk);
                }
                n += s.finish().matches.len();
            }
            n
        });
    });
    g.bench_function("usr-share-whole-buffer", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|(p, d)| scan_bytes(rules, p, d).matches.len())
                .sum::<usize>()
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
