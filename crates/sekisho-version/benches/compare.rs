//! Comparisons per second for each ecosystem: `compare()` on string pairs (parse both + order),
//! and `Version::try_cmp` on pre-parsed versions (what a matcher does after parsing once).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sekisho_version::{Ecosystem, Version, compare};

fn corpus(eco: Ecosystem) -> Vec<&'static str> {
    match eco {
        Ecosystem::Debian => vec![
            "1:2.36-9+deb12u4",
            "2.36-9+deb12u3",
            "1.0~rc1-1",
            "7.88.1-10+deb12u5",
            "3.0.11-1~deb12u2",
            "1.2.13.dfsg-1",
            "252.22-1~deb12u1",
            "0.8.2~git20230101-1",
        ],
        Ecosystem::AlmaLinux => vec![
            "1:2.06-27.el9_0.7.alma",
            "2.06-46.el9.alma",
            "3.0.7-25.el9_3",
            "1.1.1k-7.el8_6",
            "0:4.18.0-477.10.1.el8_8",
            "5.14.0-362.8.1.el9_3",
            "2.9.13-3.el9_2.1",
            "1.0^git1-1",
        ],
        Ecosystem::Alpine => vec![
            "1.36.1-r15",
            "3.1.4-r5",
            "1.2.3_rc1-r0",
            "2.4.58-r0",
            "8.5.0_p20230101-r1",
            "1.1.1w-r1",
            "0.9.8z-r0",
            "5.2.21-r0",
        ],
        Ecosystem::CratesIo => vec![
            "1.0.0",
            "0.0.0-0",
            "1.2.3-alpha.1",
            "0.4.20",
            "1.35.1",
            "2.0.0-rc.2+build",
            "0.10.56",
            "1.0.197",
        ],
        Ecosystem::Npm => vec![
            "4.17.21",
            "v1.2.3",
            "1.0.0-beta.3",
            "0.0.1",
            "18.2.0",
            "5.0.0-rc.1",
            "3.3.7",
            "7.5.4",
        ],
        Ecosystem::PyPI => vec![
            "2.31.0",
            "1.0.post1",
            "1!2.0",
            "3.0.0rc1",
            "1.0.dev0",
            "2.0.0+local.1",
            "0.9.7a",
            "1.26.4",
        ],
        Ecosystem::Go => vec![
            "v1.2.3",
            "1.21.8",
            "go1.22rc1",
            "v0.0.0-20230101120000-abcdef123456",
            "1.22.0-0",
            "v2.0.0+incompatible",
            "v1.50.1",
            "0.17.0",
        ],
        Ecosystem::Maven => vec![
            "2.17.1",
            "1.0-SNAPSHOT",
            "5.3.30",
            "1.0.0.RC1",
            "2.0-beta-3",
            "31.1-jre",
            "1.2.3-sp1",
            "9.4.53.v20231009",
        ],
        Ecosystem::RubyGems => vec![
            "7.0.8",
            "1.0.0.pre",
            "2.7.10",
            "1.15.5",
            "6.1.7.6",
            "3.0.0.beta2",
            "0.9.1",
            "13.0.6",
        ],
        Ecosystem::NuGet => vec![
            "13.0.3",
            "1.0.0-rc.1",
            "4.7.2.1",
            "6.0.0-preview.5",
            "2.1.0",
            "8.0.1",
            "12.0.1",
            "1.0.0+meta",
        ],
        Ecosystem::Packagist => vec![
            "v5.4.20",
            "2.0.0-RC1",
            "1.0.0-beta2",
            "6.4.1",
            "1.0.0-p1",
            "3.1.0.0",
            "7.3.0",
            "1.0-dev",
        ],
        _ => vec!["1.0"],
    }
}

const BENCHED: [Ecosystem; 11] = [
    Ecosystem::Debian,
    Ecosystem::AlmaLinux,
    Ecosystem::Alpine,
    Ecosystem::CratesIo,
    Ecosystem::Npm,
    Ecosystem::PyPI,
    Ecosystem::Go,
    Ecosystem::Maven,
    Ecosystem::RubyGems,
    Ecosystem::NuGet,
    Ecosystem::Packagist,
];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("compare_strings");
    for eco in BENCHED {
        let vs = corpus(eco);
        let pairs: Vec<(&str, &str)> = vs
            .iter()
            .flat_map(|a| vs.iter().map(move |b| (*a, *b)))
            .collect();
        g.throughput(Throughput::Elements(pairs.len() as u64));
        g.bench_function(eco.osv_name(), |b| {
            b.iter(|| {
                for (x, y) in &pairs {
                    std::hint::black_box(compare(eco, x, y).expect("valid corpus"));
                }
            });
        });
    }
    g.finish();
    let mut g = c.benchmark_group("compare_parsed");
    for eco in BENCHED {
        let parsed: Vec<Version> = corpus(eco)
            .iter()
            .map(|v| Version::parse(eco, v).expect("valid"))
            .collect();
        let n = (parsed.len() * parsed.len()) as u64;
        g.throughput(Throughput::Elements(n));
        g.bench_function(eco.osv_name(), |b| {
            b.iter(|| {
                for x in &parsed {
                    for y in &parsed {
                        std::hint::black_box(x.try_cmp(y));
                    }
                }
            });
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
