//! Benchmark for the language catalogers: generate a source/install tree with many lockfiles and
//! a large `node_modules`, then time cataloguing it (one walk with every default cataloger's
//! captures, then parsing). `bench/catalog-lang-tree.sh` drives it and compares with peers.
//!
//! Usage: `lang_bench generate DIR [PROJECTS] [NODE_PKGS] [PY_DISTS]`
//!        `lang_bench run DIR [RUNS]` (prints per-run wall time, the median and counts)

use std::path::{Path, PathBuf};
use std::time::Instant;

use sekisho_artifact::rootfs::DirLayer;
use sekisho_artifact::{Capture, LayerSource};
use sekisho_catalog::{Context, all_captures, catalog_inventory, default_catalogers};

fn shared() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).to_path_buf()
}

/// Real lockfiles from the shared fixtures, copied into every generated project.
const LOCKFILES: &[(&str, &str)] = &[
    (
        "fixtures-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3.json",
        "package-lock.json",
    ),
    (
        "fixtures-trivy/pkg/dependency/parser/nodejs/yarn/testdata/yarn_happy.lock",
        "yarn.lock",
    ),
    (
        "fixtures-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9.yaml",
        "pnpm-lock.yaml",
    ),
    (
        "fixtures-trivy/pkg/dependency/parser/python/poetry/testdata/poetry_normal.lock",
        "poetry.lock",
    ),
    (
        "fixtures-trivy/pkg/dependency/parser/python/pipenv/testdata/Pipfile_many.lock",
        "Pipfile.lock",
    ),
    (
        "fixtures-trivy/pkg/dependency/parser/rust/cargo/testdata/cargo_normal.lock",
        "Cargo.lock",
    ),
    (
        "fixtures-trivy/pkg/dependency/parser/php/composer/testdata/composer_happy.lock",
        "composer.lock",
    ),
    (
        "fixtures-trivy/pkg/dependency/parser/ruby/bundler/testdata/Gemfile_normal.lock",
        "Gemfile.lock",
    ),
    (
        "fixtures-trivy/integration/testdata/fixtures/repo/gomod/go.mod",
        "go.mod",
    ),
    (
        "fixtures-trivy/pkg/dependency/parser/python/pip/testdata/requirements_flask.txt",
        "requirements.txt",
    ),
];

fn generate(dir: &Path, projects: usize, node_pkgs: usize, py_dists: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let locks: Vec<(Vec<u8>, &str)> = LOCKFILES
        .iter()
        .map(|(src, name)| {
            let p = shared().join(src);
            (
                std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
                *name,
            )
        })
        .collect();
    for i in 0..projects {
        let p = dir.join(format!("srv/project-{i}"));
        std::fs::create_dir_all(&p).unwrap();
        for (data, name) in &locks {
            std::fs::write(p.join(name), data).unwrap();
        }
        // Some source files the catalogers must skip cheaply.
        for j in 0..20 {
            std::fs::write(p.join(format!("src-{j}.js")), b"module.exports = 1;\n").unwrap();
        }
    }
    let nm = dir.join("srv/app/node_modules");
    for i in 0..node_pkgs {
        let d = if i % 10 == 0 {
            nm.join(format!("@scope{}/pkg-{i}", i % 7))
        } else {
            nm.join(format!("pkg-{i}"))
        };
        std::fs::create_dir_all(d.join("lib")).unwrap();
        let name = if i % 10 == 0 {
            format!("@scope{}/pkg-{i}", i % 7)
        } else {
            format!("pkg-{i}")
        };
        std::fs::write(
            d.join("package.json"),
            format!(
                "{{\"name\":\"{name}\",\"version\":\"1.{}.{}\",\"license\":\"MIT\",\"main\":\"lib/index.js\",\"description\":\"generated for sekisho's benchmark\"}}\n",
                i % 50,
                i % 7
            ),
        )
        .unwrap();
        std::fs::write(d.join("lib/index.js"), b"module.exports = {};\n").unwrap();
        std::fs::write(d.join("README.md"), b"# generated\n").unwrap();
    }
    let sp = dir.join("usr/lib/python3/dist-packages");
    for i in 0..py_dists {
        let di = sp.join(format!("dist_{i}-2.{i}.0.dist-info"));
        std::fs::create_dir_all(&di).unwrap();
        std::fs::write(
            di.join("METADATA"),
            format!(
                "Metadata-Version: 2.1\nName: dist_{i}\nVersion: 2.{i}.0\nLicense: MIT\n\nbody\n"
            ),
        )
        .unwrap();
        let mut record = String::new();
        for j in 0..10 {
            record.push_str(&format!("dist_{i}/m{j}.py,sha256=x,10\n"));
        }
        std::fs::write(di.join("RECORD"), record).unwrap();
        let pd = sp.join(format!("dist_{i}"));
        std::fs::create_dir_all(&pd).unwrap();
        for j in 0..10 {
            std::fs::write(pd.join(format!("m{j}.py")), b"x = 1\n").unwrap();
        }
    }
}

fn run(dir: &Path, runs: usize) {
    let mut times = Vec::new();
    let mut count = 0;
    let mut notes = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let cats = default_catalogers();
        let caps = all_captures(&cats);
        let refs: Vec<&dyn Capture> = caps.iter().map(AsRef::as_ref).collect();
        let layers: Vec<Box<dyn LayerSource>> = vec![Box::new(DirLayer::new(dir).unwrap())];
        let inv = sekisho_artifact::collect(layers, &refs, 2).unwrap();
        let cat = catalog_inventory(&inv, &cats, &Context::default());
        times.push(t.elapsed().as_secs_f64());
        count = cat.packages.len();
        notes = cat.notes;
    }
    for (i, t) in times.iter().enumerate() {
        println!("run {i}: {t:.3} s");
    }
    times.sort_by(f64::total_cmp);
    println!(
        "median {:.3} s over {runs} runs; {count} packages, {} notes",
        times[times.len() / 2],
        notes.len()
    );
    for n in notes.iter().take(5) {
        println!("note: {}: {}", n.subject, n.message);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    match args.get(1).map(String::as_str) {
        Some("generate") if args.len() >= 3 => {
            generate(
                Path::new(&args[2]),
                arg(3, 200),
                arg(4, 20_000),
                arg(5, 2_000),
            );
        }
        Some("run") if args.len() >= 3 => run(Path::new(&args[2]), arg(3, 5)),
        _ => {
            eprintln!(
                "usage: lang_bench generate DIR [PROJECTS] [NODE_PKGS] [PY_DISTS] | run DIR [RUNS]"
            );
            std::process::exit(2);
        }
    }
}
