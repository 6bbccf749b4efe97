//! Every rule finds its synthetic sample (exactly once, at the right line, redacted); no decoy
//! is reported; results do not depend on how a file is chunked.

use proptest::prelude::*;
use sekisho_secret::fixture::{decoys, sample};
use sekisho_secret::{DETECTORS, FileScanner, Rules, scan_bytes};

fn rules() -> &'static Rules {
    Rules::builtin().expect("rules compile")
}

#[test]
fn every_rule_finds_its_sample() {
    let mut tested = 0;
    for d in DETECTORS {
        let id = d.rule.id;
        if id == "pkcs12-private-key" {
            continue; // binary; see pkcs12 test
        }
        for seed in 0..8 {
            let s = sample(id, seed).unwrap_or_else(|| panic!("no sample for {id}"));
            let text = format!("# header line\n{}", s.text);
            let r = scan_bytes(rules(), s.file, text.as_bytes());
            let got: Vec<&str> = r.matches.iter().map(|m| m.rule_id()).collect();
            assert_eq!(
                got,
                vec![id],
                "{id} seed {seed} in {}:\n{}\n{r:?}",
                s.file,
                s.text
            );
            let m = &r.matches[0];
            let line = text
                .lines()
                .position(|l| l.contains(&s.value[..s.value.len().min(20)]))
                .map(|i| i as u32 + 1);
            assert_eq!(Some(m.line), line, "{id}: line");
            assert!(
                !m.redacted
                    .contains(&s.value[s.value.len().saturating_sub(12)..]),
                "{id}: {}",
                m.redacted
            );
            assert!(m.redacted.ends_with("****"));
            assert_eq!(m.fingerprint.len(), 16);
            tested += 1;
        }
    }
    assert!(tested >= 60 * 8, "{tested}");
}

#[test]
fn samples_are_distinct_across_seeds() {
    let a = sample("github-pat", 1).unwrap();
    let b = sample("github-pat", 2).unwrap();
    assert_ne!(a.value, b.value);
    let ra = scan_bytes(rules(), a.file, a.text.as_bytes());
    let rb = scan_bytes(rules(), b.file, b.text.as_bytes());
    assert_ne!(ra.matches[0].fingerprint, rb.matches[0].fingerprint);
}

#[test]
fn no_decoy_is_reported() {
    for (why, text) in decoys() {
        for path in [
            "app/config.env",
            "root/.npmrc",
            "etc/app/settings.yaml",
            "root/.kube/config",
        ] {
            let r = scan_bytes(rules(), path, text.as_bytes());
            assert!(
                r.matches.is_empty(),
                "decoy ({why}) reported in {path}: {:?}\n{text}",
                r.matches
            );
        }
    }
    // All decoys in one file, too.
    let all: String = decoys().into_iter().map(|(_, t)| t + "\n").collect();
    assert!(
        scan_bytes(rules(), "app/all.txt", all.as_bytes())
            .matches
            .is_empty()
    );
}

#[test]
fn pkcs12_files() {
    let mut r = sekisho_secret::fixture::Rng::new(3);
    let p12 = sekisho_secret::fixture::pkcs12(&mut r);
    let res = scan_bytes(rules(), "etc/ssl/private/site.p12", &p12);
    assert_eq!(res.matches.len(), 1, "{res:?}");
    assert_eq!(res.matches[0].rule_id(), "pkcs12-private-key");
    assert_eq!((res.matches[0].line, res.matches[0].column), (0, 0));
    // Without a key bag (a trust store): nothing, and not "binary skipped" either.
    let mut trust = p12.clone();
    let at = trust
        .windows(3)
        .position(|w| w == [0x0c, 0x0a, 0x01])
        .unwrap();
    trust[at + 1] = 0x0b;
    let res = scan_bytes(rules(), "etc/ssl/certs/java/cacerts", &trust);
    assert!(res.matches.is_empty() && res.skipped.is_none(), "{res:?}");
}

fn chunked(data: &[u8], cuts: &[usize]) -> sekisho_secret::FileResult {
    let mut s = FileScanner::new(rules(), "app/mixed.env");
    let mut at = 0;
    for &c in cuts {
        let c = c.min(data.len());
        if c > at {
            s.feed(&data[at..c]);
            at = c;
        }
    }
    s.feed(&data[at..]);
    s.finish()
}

/// A text with every sample, long lines, multi-byte characters and filler, so blocks split it.
fn corpus(seed: u64, filler: usize) -> Vec<u8> {
    let mut out = String::new();
    for (i, d) in DETECTORS.iter().enumerate() {
        if let Some(s) = sample(d.rule.id, seed) {
            if s.file == "app/settings.env" {
                out.push_str(&s.text);
            }
        }
        out.push_str(&"ü€ filler text, nothing to see; ".repeat(filler * (i % 5)));
        out.push('\n');
    }
    out.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_chunking_gives_the_same_matches(
        seed in 0u64..4,
        filler in 0usize..3000,
        mut cuts in proptest::collection::vec(0usize..400_000, 0..40),
    ) {
        let data = corpus(seed, filler);
        cuts.sort_unstable();
        let whole = scan_bytes(rules(), "app/mixed.env", &data);
        prop_assert!(whole.matches.len() > 40, "{}", whole.matches.len());
        let parts = chunked(&data, &cuts);
        prop_assert_eq!(&whole, &parts);
        // One byte at a time near a token, too.
        let ones: Vec<usize> = (0..data.len().min(3000)).collect();
        prop_assert_eq!(&whole, &chunked(&data, &ones));
    }
}
