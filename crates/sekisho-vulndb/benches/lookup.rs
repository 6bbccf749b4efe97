//! Warm lookup throughput on one core: `cargo bench -p sekisho-vulndb --bench lookup`.
//! Uses `$SEKISHO_BENCH_DB` if set, else imports `../shared/data` (Go, crates.io, PyPI,
//! AlmaLinux) into a temporary DB first. Half the lookups hit, half miss (like a real scan,
//! where most packages have no advisory).

use std::path::PathBuf;
use std::time::Instant;

use sekisho_vulndb::{Db, ImportOptions, import_paths};

fn main() {
    let db_path = match std::env::var_os("SEKISHO_BENCH_DB") {
        Some(p) => PathBuf::from(p),
        None => {
            let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
            let dir = tempfile::tempdir().expect("tempdir").keep();
            let p = dir.join("db.sqlite");
            let srcs: Vec<PathBuf> = [
                "osv-go-vulndb",
                "osv-rustsec",
                "osv-pypa-json",
                "osv-almalinux",
            ]
            .iter()
            .map(|d| data.join(d))
            .collect();
            import_paths(
                &p,
                &srcs,
                &ImportOptions {
                    fresh: true,
                    progress: false,
                },
            )
            .expect("import");
            p
        }
    };
    let db = Db::open(&db_path).expect("open");
    // Keys that exist: every (ecosystem, name) of a sample of advisories.
    let mut hits: Vec<(String, String)> = Vec::new();
    db.for_each_advisory(|a| {
        for af in &a.affected {
            if let Some(p) = &af.package
                && !p.ecosystem.is_empty()
                && hits.len() < 20_000
            {
                hits.push((p.ecosystem.clone(), p.name.clone()));
            }
        }
        Ok(())
    })
    .expect("scan");
    let misses: Vec<(String, String)> = (0..hits.len())
        .map(|i| (hits[i].0.clone(), format!("no-such-package-{i}")))
        .collect();
    let mut keys: Vec<&(String, String)> = hits.iter().chain(misses.iter()).collect();
    keys.sort_by_key(|k| (k.1.len() * 7919 + k.0.len()) % 1009);
    // Warm-up pass.
    for (e, n) in &keys {
        let _ = db.lookup(e, n).expect("lookup");
    }
    let rounds = 5;
    let t = Instant::now();
    let mut found = 0usize;
    for _ in 0..rounds {
        for (e, n) in &keys {
            found += db.lookup(e, n).expect("lookup").len();
        }
    }
    let el = t.elapsed().as_secs_f64();
    let n = (keys.len() * rounds) as f64;
    println!(
        "lookups: {n} in {el:.3}s = {:.0} lookups/s warm (one thread); {found} candidates",
        n / el
    );
    // Evaluated queries (range evaluation included) on the hit keys.
    let t = Instant::now();
    let mut m = 0usize;
    for (e, name) in hits.iter().take(5_000) {
        if let Ok(q) = db.query(e, name, Some("0.0.1"), Default::default()) {
            m += q.matches.len();
        }
    }
    let el = t.elapsed().as_secs_f64();
    println!(
        "queries with version evaluation: {:.0}/s ({m} matches)",
        5_000f64.min(hits.len() as f64) / el
    );
}
