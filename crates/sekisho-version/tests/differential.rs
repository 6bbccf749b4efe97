//! Differential tests against the real tools: dpkg (libdpkg-perl's `Dpkg::Version`, with a sample
//! cross-checked by `dpkg --compare-versions`), rpm 4.18 (`rpm --eval` with a Lua chunk calling
//! `rpm.vercmp`) and PEP 440 (`packaging`, plus `packaging-legacy` for non-PEP 440 strings, from
//! the venv `.ci/setup.d/versions.sh` builds), RubyGems (Debian's `ruby`), Composer
//! (`php-composer-semver`), node-semver (npm) and Maven (`ComparableVersion` from Debian's Maven
//! 3.8 jar, on the pairs where Maven 3.8 and Maven 4 agree; with `SEKISHO_MAVEN4_CLASSPATH` set
//! to classes built from apache/maven's `compat/maven-artifact`, on every pair: 400,000 pairs
//! over four seeds agreed when this test was written).
//!
//! Each test generates at least 100,000 pairs (seeded: set `SEKISHO_DIFF_SEED` to reproduce a
//! failure; the seed is printed) from upstream vectors, random versions and mutations of both,
//! and sends them to ONE process of the tool. In CI (env `CI` set) a missing tool fails the test;
//! elsewhere the test is skipped with a message.

use std::cmp::Ordering;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use sekisho_version::{dpkg, npm, packagist, pep440, rpm, rubygems};

const PAIRS: usize = 100_000;
const DEFAULT_SEED: u64 = 20_261_126;

/// True when the tool can run; panics in CI when it cannot.
#[track_caller]
fn require(what: &str, ok: bool) -> bool {
    sekisho_testutil::require(ok, &format!("{what} (run ./.ci/setup)"))
}

fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn shared(rel: &str) -> String {
    let p = workspace().join("../shared/data").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// splitmix64: small, seeded, good enough for test generation.
struct Rng(u64);

impl Rng {
    fn new(salt: u64) -> Self {
        let seed = std::env::var("SEKISHO_DIFF_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_SEED);
        eprintln!("differential seed: {seed} (SEKISHO_DIFF_SEED={seed} to reproduce)");
        Self(seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn word(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn digits(&mut self) -> String {
        match self.below(10) {
            0 => "0".into(),
            1 => format!("0{}", self.below(10)),
            2 => format!("{}", self.next() % 100_000_000_000),
            _ => format!("{}", self.below(20)),
        }
    }
}

/// Insert, delete, replace or duplicate a piece of `s`, using `alphabet`.
fn mutate(rng: &mut Rng, s: &str, alphabet: &[&str]) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<String> = chars.iter().map(char::to_string).collect();
    for _ in 0..=rng.below(2) {
        let at = if out.is_empty() {
            0
        } else {
            rng.below(out.len() + 1)
        };
        match rng.below(5) {
            0 => out.insert(at, (*rng.pick(alphabet)).to_string()),
            1 if at < out.len() => {
                out.remove(at);
            }
            2 if at < out.len() => out[at] = (*rng.pick(alphabet)).to_string(),
            3 if at < out.len() => {
                let piece = out[at..].iter().take(3).cloned().collect::<Vec<_>>();
                for (k, p) in piece.into_iter().enumerate() {
                    out.insert(at + k, p);
                }
            }
            _ => out.insert(at, rng.digits()),
        }
    }
    out.concat()
}

/// A corpus of `n` pairs: half mutations of each other, half independent.
fn pairs(
    rng: &mut Rng,
    seeds: &[String],
    generate: &dyn Fn(&mut Rng) -> String,
    alphabet: &[&str],
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(PAIRS);
    while out.len() < PAIRS {
        let a = if rng.chance(30) {
            rng.pick(seeds).clone()
        } else {
            generate(rng)
        };
        let b = match rng.below(4) {
            0 => a.clone(),
            1 => mutate(rng, &a, alphabet),
            2 => rng.pick(seeds).clone(),
            _ => generate(rng),
        };
        let a = if rng.chance(15) {
            mutate(rng, &a, alphabet)
        } else {
            a
        };
        if a.contains(['\t', '\n', '\r']) || b.contains(['\t', '\n', '\r']) {
            continue;
        }
        out.push((a, b));
    }
    out
}

/// Run `cmd` with `input` on stdin; its stdout lines.
fn run_tool(cmd: &mut Command, input: &str) -> Vec<String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn oracle");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("oracle output");
    writer.join().expect("writer thread");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn ord(s: &str) -> Ordering {
    match s.trim() {
        "-1" => Ordering::Less,
        "0" => Ordering::Equal,
        "1" => Ordering::Greater,
        other => panic!("oracle printed {other:?}"),
    }
}

fn report(mismatches: &[String], what: &str) {
    assert!(
        mismatches.is_empty(),
        "{} {what} mismatches (first 30):\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------- dpkg

fn dpkg_gen(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(20) {
        s.push_str(&format!("{}:", rng.below(4)));
    }
    s.push_str(&rng.digits());
    for _ in 0..rng.below(4) {
        s.push_str(rng.word(&[
            ".", ".", "+", "~", "~rc", "~beta", "a", "b", "+dfsg", "+b", ".0",
        ]));
        if rng.chance(70) {
            s.push_str(&rng.digits());
        }
    }
    if rng.chance(70) {
        s.push('-');
        s.push_str(&rng.digits());
        for _ in 0..rng.below(3) {
            s.push_str(rng.word(&["ubuntu", "+deb12u", "~bpo", ".", "build", "~", "+"]));
            if rng.chance(60) {
                s.push_str(&rng.digits());
            }
        }
    }
    s
}

#[test]
fn dpkg_matches_libdpkg_perl() {
    let have = Command::new("perl")
        .args(["-MDpkg::Version", "-e", "1"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !require("perl with Dpkg::Version (libdpkg-perl)", have) {
        return;
    }
    let mut rng = Rng::new(1);
    let text = shared("versions-dpkg/dpkg-compare.txt");
    let seeds: Vec<String> = text
        .lines()
        .flat_map(|l| {
            l.split_whitespace()
                .take(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let alphabet = [
        "0", "1", "9", ".", "+", "~", "-", ":", "a", "z", "A", "_", "!",
    ];
    let ps = pairs(&mut rng, &seeds, &dpkg_gen, &alphabet);
    let input: String = ps.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let script = r#"
use strict; use warnings; use Dpkg::Version;
$| = 0;
while (my $l = <STDIN>) {
    chomp $l; my ($a, $b) = split /\t/, $l, 2;
    my ($va) = version_check($a); my ($vb) = version_check($b);
    my $c = ($va && $vb) ? version_compare($a, $b) : 'x';
    print(($va ? 1 : 0), ' ', ($vb ? 1 : 0), ' ', $c, "\n");
}
"#;
    let out = run_tool(Command::new("perl").args(["-e", script]), &input);
    assert_eq!(out.len(), ps.len());
    let mut mismatches = Vec::new();
    let mut compared = 0;
    let mut sample = Vec::new();
    for ((a, b), line) in ps.iter().zip(&out) {
        let f: Vec<&str> = line.split(' ').collect();
        let (va, vb) = (f[0] == "1", f[1] == "1");
        let pa = dpkg::DpkgVersion::parse(a);
        let pb = dpkg::DpkgVersion::parse(b);
        let mut disputed = false;
        for (s, perl_ok, ours_ok) in [(a, va, pa.is_ok()), (b, vb, pb.is_ok())] {
            if perl_ok != ours_ok {
                // Dpkg::Version is laxer than C dpkg (a trailing `:`, `:` in a revision, an
                // epoch above INT_MAX); C dpkg decides validity, as in dpkg-parse.tsv.
                disputed = true;
                if c_dpkg_valid(s) != Some(ours_ok) {
                    mismatches.push(format!(
                        "validity {s:?}: perl {perl_ok}, C dpkg {:?}, ours {ours_ok}",
                        c_dpkg_valid(s)
                    ));
                }
            }
        }
        if disputed {
            continue;
        }
        if let (Ok(x), Ok(y)) = (pa, pb) {
            compared += 1;
            let want = ord(f[2]);
            if x.cmp(&y) != want {
                mismatches.push(format!("{a} vs {b}: dpkg {want:?}, ours {:?}", x.cmp(&y)));
            }
            if sample.len() < 150 && rng.chance(5) {
                sample.push((a.clone(), b.clone(), want));
            }
        }
    }
    report(&mismatches, "dpkg");
    assert!(compared > PAIRS / 2, "only {compared} valid pairs compared");
    // Cross-check the oracle itself with dpkg --compare-versions on a sample.
    if require(
        "dpkg",
        Command::new("dpkg").arg("--version").output().is_ok(),
    ) {
        for (a, b, want) in sample {
            for (op, holds) in [
                ("lt", want == Ordering::Less),
                ("eq", want == Ordering::Equal),
                ("gt", want == Ordering::Greater),
            ] {
                let st = Command::new("dpkg")
                    .args(["--compare-versions", &a, op, &b])
                    .status()
                    .expect("dpkg");
                assert_eq!(st.success(), holds, "dpkg --compare-versions {a} {op} {b}");
            }
        }
    }
}

/// Whether C dpkg accepts `v` strictly: `dpkg --compare-versions v eq v` succeeds without a
/// "bad syntax" error or warning.
fn c_dpkg_valid(v: &str) -> Option<bool> {
    let o = Command::new("dpkg")
        .args(["--compare-versions", v, "eq", v])
        .output()
        .ok()?;
    Some(o.status.success() && !String::from_utf8_lossy(&o.stderr).contains("bad syntax"))
}

// ----------------------------------------------------------------------------------------- rpm

fn rpm_gen(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(15) {
        s.push_str(&format!("{}:", rng.below(3)));
    } else if rng.chance(8) {
        // Epochs rpm does not read as numbers: the text stays in the version.
        s.push_str(rng.word(&[
            "abc:", ":", "1a:", "-1:", "01:", "0x1:", " 1:", "1 :", "1::", "a:b:", "+1:",
        ]));
    }
    s.push_str(&rng.digits());
    for _ in 0..rng.below(4) {
        s.push_str(rng.word(&[
            ".", ".", "_", "+", "~", "^", "~rc", "^git", "a", "b", "p", ".el9", ".fc40", "git",
            " ", ":",
        ]));
        if rng.chance(60) {
            s.push_str(&rng.digits());
        }
    }
    if rng.chance(70) {
        s.push('-');
        s.push_str(&rng.digits());
        for _ in 0..rng.below(3) {
            s.push_str(rng.word(&[
                ".el9",
                ".el8_6",
                ".module_el8.6.0+2877+8e437bf5",
                ".fc40",
                "~",
                "^",
                ".",
                "_",
            ]));
            if rng.chance(50) {
                s.push_str(&rng.digits());
            }
        }
    }
    s
}

#[test]
fn rpm_matches_rpm_vercmp() {
    let have = Command::new("rpm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !require("rpm", have) {
        return;
    }
    let mut rng = Rng::new(2);
    let mut seeds = Vec::new();
    for f in [
        "versions-rpm/rpmvercmp.txt",
        "versions-rpm/rpmvercmp-oddities-disabled-upstream.txt",
    ] {
        for l in shared(f).lines().filter(|l| !l.starts_with('#')) {
            seeds.extend(l.split_whitespace().take(2).map(str::to_string));
        }
    }
    let alphabet = [
        "0", "1", "9", ".", "+", "~", "^", "-", ":", "a", "Z", "_", "α", "%",
    ];
    let ps = pairs(&mut rng, &seeds, &rpm_gen, &alphabet);
    // Every pair goes to rpm.vercmp (whole EVRs); it rejects only the empty string.
    let dir = std::env::temp_dir().join(format!("sekisho-rpm-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pairs.tsv");
    let mut input = String::new();
    for (a, b) in &ps {
        input.push_str(&format!("{a}\t{b}\n"));
    }
    std::fs::write(&file, &input).unwrap();
    let lua = format!(
        "%{{lua: local out = {{}} for l in io.lines('{}') do local a, b = l:match('^(.-)\\t(.*)$') local ok, r = pcall(rpm.vercmp, a, b) out[#out+1] = ok and tostring(r) or 'x' end print(table.concat(out, '\\n')) }}",
        file.display()
    );
    let out = run_tool(Command::new("rpm").args(["--eval", &lua]), "");
    std::fs::remove_dir_all(&dir).ok();
    let out: Vec<String> = out.into_iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(out.len(), ps.len(), "rpm printed {} lines", out.len());
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for ((a, b), line) in ps.iter().zip(&out) {
        let (pa, pb) = (rpm::RpmVersion::parse(a), rpm::RpmVersion::parse(b));
        if line == "x" {
            // rpm.vercmp rejects only the empty string.
            if pa.is_ok() && pb.is_ok() {
                mismatches.push(format!("rpm rejects {a:?} or {b:?}; we accept both"));
            }
            continue;
        }
        let (Ok(x), Ok(y)) = (pa, pb) else {
            mismatches.push(format!("rpm accepts {a:?} and {b:?}; we reject one"));
            continue;
        };
        compared += 1;
        let want = ord(line);
        if x.cmp(&y) != want {
            mismatches.push(format!(
                "{a:?} vs {b:?}: rpm {want:?}, ours {:?}",
                x.cmp(&y)
            ));
        }
    }
    report(&mismatches, "rpm");
    assert!(compared > PAIRS / 2, "only {compared} pairs compared");
}

// ------------------------------------------------------------------------------------- PEP 440

fn pep_gen(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(5) {
        s.push('v');
    }
    if rng.chance(10) {
        s.push_str(&format!("{}!", rng.below(3)));
    }
    s.push_str(&rng.digits());
    for _ in 0..rng.below(4) {
        s.push('.');
        s.push_str(&rng.digits());
    }
    if rng.chance(40) {
        s.push_str(rng.word(&[
            "a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "-a", ".b", "_rc", "A", "RC",
        ]));
        if rng.chance(70) {
            s.push_str(&rng.digits());
        }
    }
    if rng.chance(30) {
        s.push_str(rng.word(&[".post", "post", "-", "-r", ".rev", "_post", "r"]));
        s.push_str(&rng.digits());
    }
    if rng.chance(30) {
        s.push_str(rng.word(&[".dev", "dev", "-dev", "_DEV"]));
        if rng.chance(70) {
            s.push_str(&rng.digits());
        }
    }
    if rng.chance(15) {
        s.push('+');
        s.push_str(rng.word(&["ubuntu", "local", "abc", "1", "cpu"]));
        for _ in 0..rng.below(3) {
            s.push_str(rng.word(&[".", "-", "_"]));
            s.push_str(rng.word(&["1", "2", "x", "deadbeef", "10"]));
        }
    }
    if rng.chance(8) {
        // legacy-looking strings
        s = rng
            .pick(&[
                "1.0-SNAPSHOT",
                "2004d",
                "0.9.7a",
                "1.0_beta",
                "dev",
                "1.0.x",
                "1.0-final",
                "1.2-preview-3",
                "french toast",
                "1.0+abc+def",
                "1.0.0.0.0-rc1-dev",
            ])
            .to_string();
    }
    s
}

#[test]
fn pep440_matches_packaging() {
    let py = workspace().join("target/test-inputs/versions/venv/bin/python");
    let have = py.is_file()
        && Command::new(&py)
            .args(["-c", "import packaging, packaging_legacy"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !require(
        "the versions venv with packaging and packaging-legacy (.ci/setup.d/versions.sh)",
        have,
    ) {
        return;
    }
    let mut rng = Rng::new(3);
    let seeds: Vec<String> = shared("versions-pep440/pep440-sorted-ascending.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let alphabet = [
        "0", "1", "9", ".", "-", "_", "+", "!", "a", "b", "c", "rc", "post", "dev", "r", "v", "x",
        "z",
    ];
    let ps = pairs(&mut rng, &seeds, &pep_gen, &alphabet);
    let input: String = ps.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let script = r#"
import sys
from packaging.version import Version, InvalidVersion
from packaging_legacy.version import LegacyVersion
def key(s):
    try:
        return 1, Version(s)
    except InvalidVersion:
        return 0, LegacyVersion(s)
out = []
for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t", 1)
    (va, ka), (vb, kb) = key(a), key(b)
    if va != vb:
        c = -1 if va < vb else 1
    else:
        c = -1 if ka < kb else (1 if ka > kb else 0)
    out.append(f"{va} {vb} {c} {ka}" if va else f"{va} {vb} {c} -")
sys.stdout.write("\n".join(out) + "\n")
"#;
    let out = run_tool(Command::new(&py).args(["-c", script]), &input);
    assert_eq!(out.len(), ps.len());
    let mut mismatches = Vec::new();
    let mut valid_pairs = 0;
    for ((a, b), line) in ps.iter().zip(&out) {
        let f: Vec<&str> = line.splitn(4, ' ').collect();
        let (va, vb) = (f[0] == "1", f[1] == "1");
        let pa = pep440::Pep440Version::parse(a);
        let pb = pep440::Pep440Version::parse(b);
        if pa.is_ok() != va || pb.is_ok() != vb {
            mismatches.push(format!(
                "validity {a:?}={va} {b:?}={vb}: ours {} {}",
                pa.is_ok(),
                pb.is_ok()
            ));
            continue;
        }
        if let Ok(p) = &pa
            && p.to_string() != f[3]
        {
            mismatches.push(format!("normalised {a:?}: packaging {}, ours {p}", f[3]));
        }
        if va && vb {
            valid_pairs += 1;
        }
        let (Ok(x), Ok(y)) = (pep440::PyVersion::parse(a), pep440::PyVersion::parse(b)) else {
            continue;
        };
        let want = ord(f[2]);
        if x.cmp(&y) != want {
            mismatches.push(format!(
                "{a:?} vs {b:?}: packaging {want:?}, ours {:?}",
                x.cmp(&y)
            ));
        }
    }
    report(&mismatches, "PEP 440");
    assert!(valid_pairs > PAIRS / 3, "only {valid_pairs} valid pairs");
}

// ------------------------------------------------------------------------------------ RubyGems

fn gem_gen(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(5) {
        s.push_str(rng.word(&[" ", "\t", "v", "="]));
    }
    s.push_str(&rng.digits());
    for _ in 0..rng.below(5) {
        s.push_str(rng.word(&[
            ".", ".", ".", "-", "beta", "rc", "pre", "a", "b", "alpha", ".pre", ".rc", "-beta.",
            "..", "_", "+", "B", "Z",
        ]));
        if rng.chance(60) {
            s.push_str(&rng.digits());
        }
    }
    if rng.chance(5) {
        s.push_str(rng.word(&[" ", "\n", "-", "."]));
    }
    s
}

/// `Gem::Version.correct?` and `Gem::Version#<=>` of the machine's Ruby (Debian's `ruby`).
#[test]
fn rubygems_matches_gem_version() {
    let have = Command::new("ruby")
        .args(["-e", "require 'rubygems'; Gem::Version.new('1.0')"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !require("ruby (Debian package ruby) with rubygems", have) {
        return;
    }
    let ver = Command::new("ruby")
        .args(["-e", "print RUBY_VERSION, ' rubygems ', Gem::VERSION"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    eprintln!("oracle: ruby {ver}");
    let mut rng = Rng::new(4);
    let seeds: Vec<String> = [
        "1.0",
        "1.0.0",
        "1.0.a",
        "1.0.0.1beta",
        "1.0beta",
        "1.0.b1",
        "2.0.0.rc1",
        "1.0-beta",
        "1.0-beta-2",
        "1.a.0",
        "0.9.8.rc",
        "1.2.3.pre.4",
        "01.02",
        "1.0a1b2",
        "5.0.0.beta1.1",
        "",
        "1beta",
        "1..0",
        "1.0.",
        "v1",
        "1_0",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let alphabet = [
        "0", "1", "9", ".", "-", "a", "z", "beta", "pre", "B", " ", "_", "\u{a0}", "\u{3000}",
    ];
    let ps = pairs(&mut rng, &seeds, &gem_gen, &alphabet);
    let input: String = ps
        .iter()
        .map(|(a, b)| format!("{}\t{}\n", a.replace('\n', "\\n"), b.replace('\n', "\\n")))
        .collect();
    let script = r##"
out = []
STDIN.each_line do |l|
  a, b = l.chomp.split("\t", -1).map { |s| s.gsub("\\n", "\n") }
  va = Gem::Version.correct?(a) ? 1 : 0
  vb = Gem::Version.correct?(b) ? 1 : 0
  c = (va == 1 && vb == 1) ? (Gem::Version.new(a) <=> Gem::Version.new(b)) : "x"
  out << "#{va} #{vb} #{c}"
end
puts out
"##;
    let out = run_tool(Command::new("ruby").args(["-e", script]), &input);
    assert_eq!(out.len(), ps.len());
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for ((a, b), line) in ps.iter().zip(&out) {
        let f: Vec<&str> = line.split(' ').collect();
        let (pa, pb) = (
            rubygems::GemVersion::parse(a),
            rubygems::GemVersion::parse(b),
        );
        for (s, ok, ours) in [(a, f[0] == "1", pa.is_ok()), (b, f[1] == "1", pb.is_ok())] {
            if ok != ours {
                mismatches.push(format!("validity {s:?}: ruby {ok}, ours {ours}"));
            }
        }
        if let (Ok(x), Ok(y)) = (pa, pb)
            && f[2] != "x"
        {
            compared += 1;
            let want = ord(f[2]);
            if x.cmp(&y) != want {
                mismatches.push(format!(
                    "{a:?} vs {b:?}: ruby {want:?}, ours {:?}",
                    x.cmp(&y)
                ));
            }
        }
    }
    report(&mismatches, "RubyGems");
    assert!(compared > PAIRS / 4, "only {compared} valid pairs compared");
}

// ----------------------------------------------------------------------------------- Packagist

const COMPOSER_SEMVER: &str = "/usr/share/php/Composer/Semver/autoload.php";

fn composer_gen(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(30) {
        s.push_str(rng.word(&["v", "V", " ", "=", "dev-", "x"]));
    }
    if rng.chance(10) {
        // date versions
        s.push_str(&format!("20{:02}", rng.below(30)));
        for _ in 0..rng.below(4) {
            s.push_str(rng.word(&["", ".", "-", ":"]));
            s.push_str(&format!("{:02}", rng.below(60)));
        }
    } else {
        s.push_str(&rng.digits());
        for _ in 0..rng.below(5) {
            s.push('.');
            s.push_str(&rng.digits());
        }
    }
    if rng.chance(50) {
        s.push_str(rng.word(&["", "-", ".", "_"]));
        s.push_str(rng.word(&[
            "stable", "beta", "b", "RC", "rc", "alpha", "a", "patch", "pl", "p", "Beta", "STABLE",
            "dev", "foo", "x", "X", "*",
        ]));
        for _ in 0..rng.below(3) {
            if rng.chance(50) {
                s.push_str(rng.word(&[".", "-"]));
            }
            s.push_str(&rng.digits());
        }
    }
    if rng.chance(20) {
        s.push_str(rng.word(&["-dev", ".dev", "dev", "-DEV", "@dev", "@stable", "@beta"]));
    }
    if rng.chance(8) {
        s.push_str(rng.word(&["+build.1", "+20200101", " as 1.0.0", " ", "\u{a0}"]));
    }
    s
}

/// Composer's own `VersionParser::normalize` (Debian `php-composer-semver`, with `composer`)
/// and PHP's `version_compare`, both on the normalised pair (Composer's order) and on the raw
/// strings (our `packagist::version_compare`).
#[test]
fn packagist_matches_composer() {
    let have = std::path::Path::new(COMPOSER_SEMVER).is_file()
        && Command::new("php")
            .args(["-r", "exit(function_exists('version_compare') ? 0 : 1);"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !require(
        "php (php-cli) and Composer's semver library (composer / php-composer-semver)",
        have,
    ) {
        return;
    }
    let ver = Command::new("php")
        .args(["-r", "echo PHP_VERSION;"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    eprintln!("oracle: php {ver}, {COMPOSER_SEMVER}");
    let mut rng = Rng::new(5);
    let seeds: Vec<String> = [
        "v3.0",
        "v3.0.0-beta",
        "3.0.0-beta.1",
        "1.0.0-RC1",
        "1.0.0.RC1",
        "1.0.0-rc.1",
        "2.1-p1",
        "2.1-patch1",
        "1.0-stable",
        "1.0-dev",
        "1.x-dev",
        "1.2.x-dev",
        "dev-master",
        "master",
        "1.2.3.4",
        "1.2.3.4.5",
        "20100102",
        "2010-01-02",
        "2010-01-02.5",
        "123456.0",
        "1.0.0+build",
        "1.0 as 2.0",
        "1.0@dev",
        "v1.0.0-alpha2-dev",
        "99999",
        "100000",
        "1.0.0-beta1.2",
        "1.0.0pl2",
        "1.0-b",
        "1.0-a1",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let alphabet = [
        "0", "1", "9", ".", "-", "_", "+", "v", "a", "b", "p", "RC", "dev", "x", "*", "@", " ", "#",
    ];
    let ps = pairs(&mut rng, &seeds, &composer_gen, &alphabet);
    let input: String = ps.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let script = format!(
        r#"require '{COMPOSER_SEMVER}';
$p = new Composer\Semver\VersionParser();
$norm = function ($v) use ($p) {{
    try {{ $n = $p->normalize($v); }} catch (\Exception $e) {{ return ['x', '']; }}
    return [strpos($n, 'dev-') === 0 ? 'b' : 'v', $n];
}};
$out = fopen('php://stdout', 'w');
while (($l = fgets(STDIN)) !== false) {{
    [$a, $b] = explode("\t", substr($l, 0, -1), 2);
    [$sa, $na] = $norm($a);
    [$sb, $nb] = $norm($b);
    $c = ($sa === 'v' && $sb === 'v') ? version_compare($na, $nb) : 'x';
    fwrite($out, "$sa $sb $c " . version_compare($a, $b) . "\t$na\t$nb\n");
}}
"#
    );
    let out = run_tool(Command::new("php").args(["-r", &script]), &input);
    assert_eq!(out.len(), ps.len());
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for ((a, b), line) in ps.iter().zip(&out) {
        let (head, norms) = line.split_once('\t').expect("tab");
        let (na, nb) = norms.split_once('\t').expect("tab");
        let f: Vec<&str> = head.split(' ').collect();
        let raw = ord(f[3]);
        if packagist::version_compare(a, b) != raw {
            mismatches.push(format!(
                "version_compare({a:?}, {b:?}): php {raw:?}, ours {:?}",
                packagist::version_compare(a, b)
            ));
        }
        for (s, status, want) in [(a, f[0], na), (b, f[1], nb)] {
            let got = packagist::normalize(s);
            let ok = match (&got, status) {
                (Ok(packagist::Normalized::Version(n)), "v")
                | (Ok(packagist::Normalized::Branch(n)), "b") => n == want,
                (Err(_), "x") => true,
                _ => false,
            };
            if !ok {
                mismatches.push(format!(
                    "normalize({s:?}): composer {status} {want:?}, ours {got:?}"
                ));
            }
        }
        if f[2] != "x" {
            let (Ok(x), Ok(y)) = (
                packagist::PackagistVersion::parse(a),
                packagist::PackagistVersion::parse(b),
            ) else {
                mismatches.push(format!("composer orders {a:?} and {b:?}; we reject one"));
                continue;
            };
            compared += 1;
            let want = ord(f[2]);
            if x.cmp(&y) != want {
                mismatches.push(format!(
                    "{a:?} vs {b:?}: composer {want:?}, ours {:?}",
                    x.cmp(&y)
                ));
            }
        }
    }
    eprintln!("Packagist: {compared} ordered pairs of {}", ps.len());
    report(&mismatches, "Packagist");
    assert!(compared > PAIRS / 4, "only {compared} valid pairs compared");
}

// ----------------------------------------------------------------------------------------- npm

fn npm_gen(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(40) {
        s.push_str(rng.word(&["v", "V", "=", "=v", "v=", " v", "vv", "= v ", "  ", "v "]));
    }
    s.push_str(&rng.digits());
    for _ in 0..rng.below(4) {
        s.push('.');
        s.push_str(&rng.digits());
    }
    if rng.chance(40) {
        s.push_str(rng.word(&["-", "", "-beta.", "-rc.", "-0.", "pre", "-alpha-1."]));
        s.push_str(rng.word(&["beta", "rc", "1", "01", "x", "9007199254740992", "a-b"]));
    }
    if rng.chance(15) {
        s.push('+');
        s.push_str(rng.word(&["build", "1", "001", "sha.abc", ""]));
    }
    s
}

/// node-semver itself (`semver` from the npm registry, in target/test-inputs/versions/node):
/// `semver.parse(v, { loose: true })` and `semver.compare(a, b, true)`, as npm orders versions,
/// `v`/`=` prefixes included.
#[test]
fn npm_matches_node_semver() {
    let dir = workspace().join("target/test-inputs/versions/node/node_modules/semver");
    let have = dir.join("package.json").is_file()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !require(
        "node and node-semver (npm install semver, .ci/setup.d/versions.sh)",
        have,
    ) {
        return;
    }
    let mut rng = Rng::new(6);
    let seeds: Vec<String> = [
        "v1.2.3",
        "=1.2.3",
        "v=1.2.3",
        "=v1.2.3",
        " v1.2.3 ",
        "vv1.2.3",
        "V1.2.3",
        "1.2.3-beta",
        "1.2.3beta",
        "01.2.3",
        "1.2.3-01",
        "v1.2",
        "1.2.3+build",
        "9007199254740991.0.0",
        "9007199254740992.0.0",
        "1.2.3-9007199254740992",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let alphabet = ["0", "1", "9", ".", "-", "+", "v", "=", " ", "a", "V"];
    let ps = pairs(&mut rng, &seeds, &npm_gen, &alphabet);
    let input: String = ps.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let script = format!(
        r#"const semver = require({dir:?});
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
const out = [];
for (const l of lines) {{
  if (l === '') continue;
  const [a, b] = l.split('\t');
  const pa = semver.parse(a, {{ loose: true }}), pb = semver.parse(b, {{ loose: true }});
  const c = (pa && pb) ? semver.compare(pa, pb, true) : 'x';
  out.push(`${{pa ? 1 : 0}} ${{pb ? 1 : 0}} ${{c}} ${{pa ? pa.version : '-'}}`);
}}
process.stdout.write(out.join('\n') + '\n');
"#
    );
    let out = run_tool(Command::new("node").args(["-e", &script]), &input);
    assert_eq!(out.len(), ps.len());
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for ((a, b), line) in ps.iter().zip(&out) {
        let f: Vec<&str> = line.splitn(4, ' ').collect();
        let (pa, pb) = (npm::parse_version(a), npm::parse_version(b));
        for (s, ok, ours) in [(a, f[0] == "1", pa.is_ok()), (b, f[1] == "1", pb.is_ok())] {
            if ok != ours {
                mismatches.push(format!("validity {s:?}: node-semver {ok}, ours {ours}"));
            }
        }
        if let Ok(p) = &pa
            && f[0] == "1"
            && p.to_string() != f[3].split('+').next().unwrap_or("")
        {
            mismatches.push(format!("version of {a:?}: node-semver {}, ours {p}", f[3]));
        }
        if let (Ok(x), Ok(y)) = (pa, pb)
            && f[2] != "x"
        {
            compared += 1;
            let want = ord(f[2]);
            if x.cmp(&y) != want {
                mismatches.push(format!(
                    "{a:?} vs {b:?}: node-semver {want:?}, ours {:?}",
                    x.cmp(&y)
                ));
            }
        }
    }
    report(&mismatches, "npm");
    assert!(compared > PAIRS / 4, "only {compared} valid pairs compared");
}

// --------------------------------------------------------------------------------------- Maven

/// Debian's `libmaven3-core-java` (pulled in by `maven`) ships Maven's own `ComparableVersion`.
const MAVEN_ARTIFACT_JAR: &str = "/usr/share/java/maven-artifact-3.x.jar";

fn maven_gen(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(10) {
        s.push_str(rng.word(&["v", "V", "-", ".", "r"]));
    }
    s.push_str(&rng.digits());
    for _ in 0..rng.below(6) {
        s.push_str(rng.word(&[
            ".",
            ".",
            ".",
            "-",
            "-",
            "_",
            "..",
            "--",
            "alpha",
            "a",
            "beta",
            "b",
            "milestone",
            "m",
            "rc",
            "cr",
            "RC",
            "snapshot",
            "SNAPSHOT",
            "ga",
            "final",
            "FINAL",
            "release",
            "sp",
            "foo",
            "x",
            "Z",
            "jre",
            "android",
            "",
        ]));
        if rng.chance(60) {
            s.push_str(&rng.digits());
        }
    }
    if rng.chance(5) {
        s.push_str(rng.word(&["-", ".", "-0", ".0.0", "-ga", "-final"]));
    }
    s
}

/// Whether `s` holds something that Maven 4 (the `ComparableVersion` our comparator follows, and
/// whose own test vectors `vectors.rs` checks) orders differently from the Maven 3.8 jar that
/// Debian ships:
/// - a "combination" item (MNG-7644): a letter directly followed by a digit (`rc1`), or a letter
///   joined to a number by `-` (`x-1`);
/// - a qualifier after `.`, which Maven 4 reads as if it followed `-` (`1.0.0.X1 < 1.0.0-X2`);
/// - a release qualifier (`ga`, `final`, `release`), which Maven 3 drops as a null item;
/// - an empty segment between `-` and `.` (`1-.0`, `.-1`), which the two nest differently.
///
/// Pairs with such a string are left out of the Maven 3.8 comparison. Run with
/// `SEKISHO_MAVEN4_CLASSPATH` pointing at Maven 4's classes to compare every pair.
fn maven4_only(s: &str) -> bool {
    let b = s.to_lowercase().into_bytes();
    let letter = |c: u8| !c.is_ascii_digit() && c != b'.' && c != b'-';
    b.windows(2).any(|w| letter(w[0]) && w[1].is_ascii_digit())
        || b.windows(3)
            .any(|w| letter(w[0]) && w[1] == b'-' && w[2].is_ascii_digit())
        || b.windows(2).any(|w| w[0] == b'.' && letter(w[1]))
        || b.windows(2)
            .any(|w| matches!(w, [b'-', b'.'] | [b'.', b'-']))
        || ["ga", "final", "release"]
            .iter()
            .any(|q| s.to_lowercase().contains(q))
}

/// Maven's `ComparableVersion#compareTo` (the Maven 3.8 jar from Debian, run through Java's
/// single-file source launcher) on generated versions: qualifier aliases and case, `-` vs `.`,
/// trailing zeros and release qualifiers, unknown qualifiers, leading zeros, numbers past 64
/// bits, empty segments. Maven accepts every string, so only the order is compared.
#[test]
fn maven_matches_comparable_version() {
    let have = std::path::Path::new(MAVEN_ARTIFACT_JAR).is_file()
        && Command::new("java")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !require(
        "java (openjdk-17-jdk-headless) and Maven's maven-artifact jar (maven)",
        have,
    ) {
        return;
    }
    let dir = tempfile_dir();
    let src = dir.join("MavenCompare.java");
    std::fs::write(
        &src,
        r#"
import java.io.*;
import org.apache.maven.artifact.versioning.ComparableVersion;
public class MavenCompare {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, "UTF-8")));
    String l;
    while ((l = in.readLine()) != null) {
      String[] f = l.split("\t", -1);
      int c = new ComparableVersion(f[0]).compareTo(new ComparableVersion(f[1]));
      out.println(Integer.signum(c));
    }
    out.flush();
  }
}
"#,
    )
    .expect("write MavenCompare.java");
    let mut rng = Rng::new(7);
    let seeds: Vec<String> = [
        "1",
        "1.0",
        "1.0.0",
        "1-0",
        "1.0-0",
        "1-ga",
        "1.0.final",
        "1-release",
        "1-sp",
        "1-sp1",
        "1.0-alpha",
        "1.0-a",
        "1.0-alpha-1",
        "1.0-beta",
        "1.0-b2",
        "1.0-milestone",
        "1.0-m1",
        "1.0-rc",
        "1.0-cr",
        "1.0-RC",
        "1.0-SNAPSHOT",
        "1.0-snapshot",
        "1.0-foo",
        "1.0.foo",
        "1-1",
        "1.1",
        "1-1.foo-bar-1-baz-0.1",
        "2.0.0.RC1",
        "2.0.0-RC2",
        "2-abc",
        "2.0.abc",
        "1.0.0-jre",
        "1.0.0-android",
        "01.002",
        "1..0",
        "1--0",
        "1.0-",
        "1.0.",
        "",
        "-",
        "v1",
        "99999999999999999999",
        "1.99999999999999999999",
        "1_0",
        "1.0.0.0.0.0",
        "1.0-0.0-0",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let alphabet = [
        "0", "1", "9", ".", "-", "_", "a", "b", "m", "rc", "sp", "ga", "x", "SNAPSHOT",
    ];
    let ps = pairs(&mut rng, &seeds, &maven_gen, &alphabet);
    let input: String = ps.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    // SEKISHO_MAVEN4_CLASSPATH: a classpath holding a Maven 4 `ComparableVersion` (for example
    // classes compiled from apache/maven's compat/maven-artifact). Then every pair must agree.
    let maven4 = std::env::var("SEKISHO_MAVEN4_CLASSPATH").ok();
    let cp = maven4.as_deref().unwrap_or(MAVEN_ARTIFACT_JAR);
    eprintln!("oracle: ComparableVersion from {cp}");
    let out = run_tool(
        Command::new("java")
            .args(["-Xshare:auto", "-cp", cp])
            .arg(&src),
        &input,
    );
    assert_eq!(out.len(), ps.len());
    let (mut mismatches, mut compared, mut skipped) = (Vec::new(), 0, 0);
    for ((a, b), line) in ps.iter().zip(&out) {
        let (Ok(x), Ok(y)) = (
            sekisho_version::maven::MavenVersion::parse(a),
            sekisho_version::maven::MavenVersion::parse(b),
        ) else {
            // Maven takes every string; ours refuses only what is longer than Maven's limit.
            mismatches.push(format!("{a:?} / {b:?}: ours rejects one"));
            continue;
        };
        let want = ord(line);
        if maven4.is_none() && (maven4_only(a) || maven4_only(b)) {
            skipped += 1;
            continue;
        }
        compared += 1;
        if x.cmp(&y) != want {
            mismatches.push(format!(
                "{a:?} vs {b:?}: Maven {want:?}, ours {:?}",
                x.cmp(&y)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "maven: {compared} pairs compared with {}, {skipped} where Maven 4 and 3.8 differ left to the upstream vectors",
        if maven4.is_some() {
            "Maven 4"
        } else {
            "Maven 3.8"
        }
    );
    report(&mismatches, "Maven");
    assert!(compared > PAIRS / 5, "only {compared} pairs compared");
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "sekisho-maven-diff-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
