//! The fast path drops no finding: on random text with planted tokens, decoys, bare keywords and
//! near-miss noise, the scanner (Teddy keyword prefilter, bounded regex windows, `needs` bytes,
//! blocks and carries, any chunking) reports exactly what a naive scan reports. The naive scan
//! finds every occurrence of every keyword with a plain substring search, runs the rule's regex
//! over the whole file from `back` bytes before the keyword (the table's documented bound: how far
//! before its keyword a match may start) and keeps the leftmost match that covers the keyword,
//! then applies the same value filters, dedupe and overlap resolution. It uses no prefilter, no
//! window end, no `needs` bytes and no blocks, so a rule whose window or `needs` is too tight, a
//! keyword the prefilter misses, or a token lost at a block seam fails here.
//!
//! Searching from further left than `back` is not the same contract: an earlier match that covers
//! the keyword (`TOKEN=ghp_…secret_x`, rejected as a decoy) would hide the match `secret_x = …`
//! that the keyword `ecret` stands for. The first version of this test did that, and so does a
//! plain `find_iter` over the file (its matches do not overlap).

use std::sync::OnceLock;

use proptest::prelude::*;
use regex::bytes::Regex;
use sekisho_secret::fixture::{decoys, sample};
use sekisho_secret::{Check, DETECTORS, FileScanner, Rules, decoy, redact, validate};

fn rules() -> &'static Rules {
    Rules::builtin().expect("rules compile")
}

/// Each rule's regex compiled on its own, as the naive path runs it.
fn regexes() -> &'static [Option<Regex>] {
    static RE: OnceLock<Vec<Option<Regex>>> = OnceLock::new();
    RE.get_or_init(|| {
        DETECTORS
            .iter()
            .map(|d| {
                (d.check != Check::Pkcs12)
                    .then(|| Regex::new(&format!("(?-u){}", d.pattern)).expect("rule compiles"))
            })
            .collect()
    })
}

/// Whether a rule applies to a file at `path` (file-name scopes).
fn applies(files: &[&str], path: &str) -> bool {
    if files.is_empty() {
        return true;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    files.iter().any(|f| {
        if f.contains('/') {
            path.strip_suffix(f)
                .is_some_and(|rest| rest.is_empty() || rest.ends_with('/'))
        } else {
            name == *f
        }
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    start: u64,
    end: u64,
    rule: usize,
    line: u32,
    column: u32,
    redacted: String,
    fingerprint: String,
}

fn line_col(data: &[u8], at: usize) -> (u32, u32) {
    let before = &data[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let from = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |k| k + 1);
    let col = before[from..]
        .iter()
        .filter(|&&c| (c as i8) >= -0x40)
        .count()
        + 1;
    (line as u32, col as u32)
}

/// Longer than any match of any rule (the scanner's carry is below it, a unit test checks).
const MAX_MATCH: usize = 8192;

/// Every rule's regex over the whole file, at every occurrence of one of its keywords (found by a
/// plain substring search per keyword): the leftmost match starting at most `back` bytes before
/// the keyword that covers it. The haystack ends [`MAX_MATCH`] bytes after the keyword only to
/// keep the test fast (no match is longer). Text only (the inputs have no NUL and no BOM).
fn naive(path: &str, data: &[u8]) -> Vec<Found> {
    let mut raw: Vec<Found> = Vec::new();
    for (r, d) in DETECTORS.iter().enumerate() {
        let Some(re) = &regexes()[r] else { continue };
        if !applies(d.files, path) {
            continue;
        }
        let names: Vec<Option<&str>> = re.capture_names().collect();
        let s_group = names.iter().position(|n| *n == Some("s")).expect("s group");
        let show_group = names.iter().position(|n| *n == Some("show"));
        let mut hits: Vec<usize> = d
            .keywords
            .iter()
            .flat_map(|k| memchr::memmem::find_iter(data, k.as_bytes()))
            .collect();
        hits.sort_unstable();
        hits.dedup();
        for p in hits {
            let hay = &data[..(p + MAX_MATCH).min(data.len())];
            let mut at = p.saturating_sub(d.back);
            let m = loop {
                let Some(m) = re.find_at(hay, at) else {
                    break None;
                };
                if m.start() > p {
                    break None;
                }
                if m.end() > p {
                    break Some(m);
                }
                at = m.start() + 1;
            };
            let Some(m) = m else { continue };
            let caps = re.captures_at(hay, m.start()).expect("same match");
            let s = caps.get(s_group).expect("s matched");
            let value = s.as_bytes();
            let show = show_group
                .and_then(|g| caps.get(g))
                .map_or(&b""[..], |g| g.as_bytes());
            if decoy::value_decoy(d, value, &data[s.end()..m.end().max(s.end())]).is_some()
                || (d.generic && decoy::code_follows(&data[s.end()..]))
                || !validate::check(d.check, value)
                || decoy::in_base64_blob(data, s.start())
            {
                continue;
            }
            let (line, column) = line_col(data, s.start());
            raw.push(Found {
                start: s.start() as u64,
                end: s.end() as u64,
                rule: r,
                line,
                column,
                redacted: redact::redact(show, d.sep, value, d.reveal),
                fingerprint: redact::fingerprint(d.rule.id, value),
            });
        }
    }
    // Dedupe, then overlaps: the earlier rule in the table keeps the span.
    raw.sort_by_key(|a| (a.rule, a.start, a.end));
    raw.dedup_by(|a, b| a.rule == b.rule && a.start == b.start);
    let mut kept: Vec<Found> = Vec::new();
    for f in raw {
        if kept.iter().any(|k| k.start < f.end && f.start < k.end) {
            continue;
        }
        kept.push(f);
    }
    kept.sort_by_key(|a| (a.start, a.rule));
    kept
}

fn fast(path: &str, data: &[u8], cuts: &[usize]) -> Vec<Found> {
    let mut s = FileScanner::new(rules(), path);
    let mut at = 0;
    for &c in cuts {
        let c = c.min(data.len());
        if c > at {
            s.feed(&data[at..c]);
            at = c;
        }
    }
    s.feed(&data[at..]);
    let r = s.finish();
    assert_eq!(r.skipped, None);
    r.matches
        .into_iter()
        .map(|m| Found {
            start: m.start,
            end: m.end,
            rule: m.rule,
            line: m.line,
            column: m.column,
            redacted: m.redacted,
            fingerprint: m.fingerprint,
        })
        .collect()
}

const PATHS: &[&str] = &[
    "app/settings.env",
    "root/.npmrc",
    "root/.netrc",
    "root/.pypirc",
    "root/.docker/config.json",
    "root/.git-credentials",
    "home/u/.config/git/credentials",
];

const FILLER: &[&str] = &[
    "the ",
    "quick ",
    "brown ",
    "fox ",
    "übersicht ",
    "€ ",
    "\n",
    "\n\n",
    "\t",
    "  ",
    "# ",
    "key ",
    "value ",
    "= ",
    ": ",
    "=",
    ":",
    "\"",
    "'",
    "@",
    "/",
    "://",
    "https://example.org/x ",
    "user@host ",
    "a:b@c ",
    ";base64,",
    "data:",
    "(",
    "[",
    "{",
    "}",
    "\r\n",
    "-----",
    "\\n",
];

/// One piece of the generated text.
#[derive(Debug, Clone)]
enum Piece {
    /// A rule's synthetic sample (its file content, holding the secret).
    Sample(usize, u64),
    /// One of the decoys that must never be reported.
    Decoy(usize),
    /// A rule's keyword with no token after it.
    Keyword(usize, usize),
    /// Prose and punctuation.
    Filler(usize),
    /// Characters tokens are made of (near misses, tokens glued to neighbours).
    Noise(u64, usize),
    /// A long run that pushes later pieces into the next block.
    Pad(usize),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        4 => (0..DETECTORS.len(), 0u64..6).prop_map(|(r, s)| Piece::Sample(r, s)),
        2 => (0usize..64).prop_map(Piece::Decoy),
        3 => (0..DETECTORS.len(), 0usize..4).prop_map(|(r, k)| Piece::Keyword(r, k)),
        6 => (0..FILLER.len()).prop_map(Piece::Filler),
        2 => (any::<u64>(), 1usize..80).prop_map(|(s, n)| Piece::Noise(s, n)),
        1 => (0usize..300_000).prop_map(Piece::Pad),
    ]
}

fn render(pieces: &[Piece]) -> Vec<u8> {
    const TOKEN_CHARS: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.:@~$";
    let all_decoys = decoys();
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Sample(r, seed) => {
                if let Some(s) = sample(DETECTORS[*r].rule.id, *seed) {
                    out.extend_from_slice(s.text.as_bytes());
                }
            }
            Piece::Decoy(i) => {
                let (_, t) = &all_decoys[i % all_decoys.len()];
                out.extend_from_slice(t.as_bytes());
            }
            Piece::Keyword(r, k) => {
                let kw = DETECTORS[*r].keywords;
                if !kw.is_empty() {
                    out.extend_from_slice(kw[k % kw.len()].as_bytes());
                }
            }
            Piece::Filler(i) => out.extend_from_slice(FILLER[*i].as_bytes()),
            Piece::Noise(seed, n) => {
                let mut x = *seed | 1;
                for _ in 0..*n {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    out.push(TOKEN_CHARS[(x % TOKEN_CHARS.len() as u64) as usize]);
                }
            }
            Piece::Pad(n) => {
                out.extend(std::iter::repeat_n(b'.', *n));
                out.push(b'\n');
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn fast_path_finds_what_every_regex_over_the_whole_file_finds(
        path in 0..PATHS.len(),
        pieces in proptest::collection::vec(piece(), 1..120),
        mut cuts in proptest::collection::vec(0usize..700_000, 0..12),
    ) {
        let path = PATHS[path];
        let data = render(&pieces);
        cuts.sort_unstable();
        let want = naive(path, &data);
        prop_assert_eq!(&fast(path, &data, &[]), &want, "whole buffer");
        prop_assert_eq!(&fast(path, &data, &cuts), &want, "chunks at {:?}", cuts);
    }
}

/// Every sample of every rule alone in its file, and all of them in one file: the fast path and
/// the naive one agree and find the planted values.
#[test]
fn every_sample_agrees_with_the_naive_scan() {
    let mut all = Vec::new();
    for (r, d) in DETECTORS.iter().enumerate() {
        for seed in 0..4 {
            let Some(s) = sample(d.rule.id, seed) else {
                continue;
            };
            let want = naive(s.file, s.text.as_bytes());
            assert!(
                want.iter().any(|f| f.rule == r),
                "{}: naive scan misses its sample",
                d.rule.id
            );
            assert_eq!(fast(s.file, s.text.as_bytes(), &[]), want, "{}", d.rule.id);
            if s.file == "app/settings.env" {
                all.extend_from_slice(s.text.as_bytes());
                all.push(b'\n');
            }
        }
    }
    let want = naive("app/settings.env", &all);
    assert!(want.len() > 150, "{}", want.len());
    assert_eq!(fast("app/settings.env", &all, &[]), want);
}
