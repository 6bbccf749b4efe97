//! The streaming scanner.
//!
//! The pipeline reads each layer once and hands every file's bytes to the analyzers in chunks, so
//! a file is never buffered whole. [`FileScanner`] takes any chunking (`feed` as often as you
//! like, then [`FileScanner::finish`]) and finds exactly what [`scan_bytes`] finds on the whole
//! content, with exact lines and columns, in constant memory:
//!
//! 1. Bytes are gathered into blocks of [`BLOCK`] bytes. The tail of each block ([`Rules::carry`]
//!    bytes, longer than any match plus its context) is kept in front of the next one, so a token
//!    split across chunks is seen whole.
//! 2. An Aho-Corasick automaton finds every keyword of every rule in the block (one pass).
//! 3. For each keyword hit, the rule's regex runs only on a window around the hit whose bounds
//!    depend on the hit's offset alone. A hit is handled in the first block that holds its whole
//!    window, so it is handled once, whatever the chunking.
//! 4. A candidate passes the rule's format check, the decoy filters and the data-URI test, and
//!    becomes a match: rule, line, column (of the value's first character, counting Unicode
//!    scalar values), a redacted form and a fingerprint. The value itself is dropped there.
//! 5. At [`FileScanner::finish`], duplicates go, and where two rules claim the same value the
//!    earlier rule in the table wins.
//!
//! The first [`SNIFF`] bytes decide whether the file is text: a NUL byte means binary (skipped,
//! with a reason), a UTF-16 byte-order mark is skipped too, and a DER PKCS#12 header switches to a
//! key-bag search. Files longer than [`MAX_FILE_BYTES`] are scanned up to that size and reported
//! as truncated.

use std::fmt;
use std::sync::OnceLock;

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, Input, MatchKind, Span};
use md5::Md5;
use regex::bytes::Regex;
use sha2::{Digest as _, Sha256};

use crate::SecretError;
use crate::decoy;
use crate::redact;
use crate::rules::{Check, DETECTORS, Detector, RULE_COUNT};
use crate::validate;

/// Bytes gathered before a block is scanned.
pub const BLOCK: usize = 256 << 10;
/// The first bytes looked at to decide text or binary.
pub const SNIFF: usize = 8000;
/// Largest part of a file that is scanned; the rest of a longer file is not (reported).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Most matches kept for one file.
pub const MAX_MATCHES_PER_FILE: usize = 1000;
/// Largest file whose bytes are kept (bounded) until a match says its digest is wanted.
pub const LAZY_DIGEST_BYTES: usize = 1 << 20;
/// Bytes of left context every window has (for `\b` and the data-URI check).
const LEFT_CTX: usize = 512;
/// Bytes after a window's longest match that a regex may look at (`\b`, `$`).
const RIGHT_CTX: usize = 4;

/// Most keywords in one Teddy search. Measured on `/usr/share` text (see `docs/benchmarks.md`):
/// the 63 keywords of 4+ bytes in one fat Teddy ran at 1.5 GiB/s (four patterns per bucket, much
/// of the time spent verifying false candidates), in two fat Teddy searches of 32 at 3.4 GiB/s.
const TEDDY_GROUP: usize = 32;

const _: () = assert!(RULE_COUNT <= 128, "rule masks are u128");

/// One literal searcher of the prefilter and, per pattern, the rules it triggers.
struct Group {
    finder: Finder,
    rules: Vec<Vec<u8>>,
}

enum Finder {
    /// Teddy (SIMD) when the CPU has it; Rabin-Karp otherwise.
    Packed(packed::Searcher),
    Ac(AhoCorasick),
    Mem(memchr::memmem::Finder<'static>),
}

impl Group {
    fn new(pats: &[&'static str], rules: Vec<Vec<u8>>) -> Result<Self, SecretError> {
        let bad = |m: String| SecretError::Rule {
            rule: "keywords",
            message: m,
        };
        let finder = if let [one] = pats
            && one.len() <= 2
        {
            Finder::Mem(memchr::memmem::Finder::new(one.as_bytes()))
        } else {
            let packed = |fat: Option<bool>| {
                packed::Config::new()
                    .match_kind(packed::MatchKind::LeftmostFirst)
                    .heuristic_pattern_limits(false)
                    .only_teddy_fat(fat)
                    .builder()
                    .extend(pats)
                    .build()
            };
            // Fat Teddy (16 buckets, AVX2) for more than 16 patterns: two patterns per bucket
            // keep false candidates rare in prose; slim Teddy's 8 buckets would hold four.
            // Without AVX2 there is no fat Teddy and the default choice stands.
            let p = if pats.len() > 16 {
                packed(Some(true)).or_else(|| packed(None))
            } else {
                packed(None)
            };
            match p {
                Some(p) => Finder::Packed(p),
                None => Finder::Ac(
                    AhoCorasick::builder()
                        .match_kind(MatchKind::LeftmostFirst)
                        .build(pats)
                        .map_err(|e| bad(e.to_string()))?,
                ),
            }
        };
        Ok(Self { finder, rules })
    }

    /// Every occurrence of every pattern (no pattern is a prefix of another in a group, so
    /// resuming one byte after each hit finds overlapping occurrences too).
    fn each(&self, hay: &[u8], mut f: impl FnMut(usize, &[u8])) {
        match &self.finder {
            Finder::Mem(m) => {
                for at in m.find_iter(hay) {
                    f(at, &self.rules[0]);
                }
            }
            Finder::Packed(p) => {
                let mut at = 0;
                while at < hay.len() {
                    let Some(m) = p.find_in(hay, Span::from(at..hay.len())) else {
                        break;
                    };
                    f(m.start(), &self.rules[m.pattern().as_usize()]);
                    at = m.start() + 1;
                }
            }
            Finder::Ac(ac) => {
                let mut at = 0;
                while at < hay.len() {
                    let Some(m) = ac.find(Input::new(hay).span(at..hay.len())) else {
                        break;
                    };
                    f(m.start(), &self.rules[m.pattern().as_usize()]);
                    at = m.start() + 1;
                }
            }
        }
    }
}

/// The compiled rule set. Build once ([`Rules::builtin`]) and share.
pub struct Rules {
    /// Keywords of 4+ bytes, of 3 bytes, and each shorter one alone: Teddy is fastest with few,
    /// long patterns, memmem with one short one.
    groups: Vec<Group>,
    keywords: usize,
    /// Each rule's pattern (`(?-u)` prefixed) and its regex, compiled on the rule's first
    /// keyword hit: a scan compiles only the rules its input gives a chance (a rootfs scan that
    /// only redacts build history compiles none or a few). `every_rule_compiles` in the tests
    /// compiles them all.
    patterns: Vec<Option<String>>,
    regexes: Vec<OnceLock<Option<Regex>>>,
    /// Per rule, the part of its pattern before the value group (`(?P<s>`) and that part's
    /// longest match, when it is a pattern of its own that can fail: every match of the rule
    /// starts with a match of it, so a window where it matches nowhere near the keyword is
    /// dropped after a look at a few dozen bytes instead of the whole window.
    heads: Vec<OnceLock<Option<(Regex, usize)>>>,
    s_group: Vec<usize>,
    show_group: Vec<Option<usize>>,
    /// Longest match of each rule's regex (bytes).
    span: Vec<usize>,
    carry: usize,
    /// Rules limited to some file names, and those names.
    scoped: u128,
    scoped_files: Vec<(usize, &'static [&'static str])>,
    pkcs12: Option<u8>,
}

impl fmt::Debug for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules")
            .field("rules", &RULE_COUNT)
            .field("keywords", &self.keywords)
            .field("carry", &self.carry)
            .finish()
    }
}

impl Rules {
    /// Compile the built-in table.
    ///
    /// # Errors
    /// When a pattern does not compile or is unbounded (a defect of the table; tests catch it).
    pub fn new() -> Result<Self, SecretError> {
        let mut keywords: Vec<&'static str> = Vec::new();
        let mut kw_rules: Vec<Vec<u8>> = Vec::new();
        let mut patterns = Vec::with_capacity(RULE_COUNT);
        let mut s_group = Vec::with_capacity(RULE_COUNT);
        let mut show_group = Vec::with_capacity(RULE_COUNT);
        let mut span = Vec::with_capacity(RULE_COUNT);
        let mut scoped = 0u128;
        let mut scoped_files = Vec::new();
        let mut pkcs12 = None;
        let mut reach = 0usize;
        for (i, d) in DETECTORS.iter().enumerate() {
            let idx = i as u8;
            if !d.files.is_empty() {
                scoped |= 1 << i;
                scoped_files.push((i, d.files));
            }
            if d.check == Check::Pkcs12 {
                pkcs12 = Some(idx);
                patterns.push(None);
                s_group.push(0);
                show_group.push(None);
                span.push(0);
                continue;
            }
            for k in d.keywords {
                match keywords.iter().position(|x| x == k) {
                    Some(p) => kw_rules[p].push(idx),
                    None => {
                        keywords.push(k);
                        kw_rules.push(vec![idx]);
                    }
                }
            }
            let pat = format!("(?-u){}", d.pattern);
            let bad = |m: String| SecretError::Rule {
                rule: d.rule.id,
                message: m,
            };
            let hir = regex_syntax::ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(&pat)
                .map_err(|e| bad(e.to_string()))?;
            let max = hir
                .properties()
                .maximum_len()
                .ok_or_else(|| bad("unbounded pattern".into()))?;
            // Group indices from the syntax tree: the regex crate numbers groups the same way.
            let s = group_index(&hir, "s").ok_or_else(|| bad("no `s` group".into()))?;
            s_group.push(s);
            show_group.push(group_index(&hir, "show"));
            span.push(max);
            reach = reach.max(max + d.back);
            patterns.push(Some(pat));
        }
        let regexes = (0..patterns.len()).map(|_| OnceLock::new()).collect();
        let heads = (0..patterns.len()).map(|_| OnceLock::new()).collect();
        let mut groups = Vec::new();
        for class in [0usize, 3, 2, 1] {
            let mut pats = Vec::new();
            let mut rules = Vec::new();
            for (k, r) in keywords.iter().zip(&kw_rules) {
                let c = k.len().min(4);
                let c = if c == 4 { 0 } else { c };
                if c == class {
                    pats.push(*k);
                    rules.push(r.clone());
                }
            }
            if class <= 2 && class != 0 {
                // Each short keyword is its own memmem search.
                for (p, r) in pats.into_iter().zip(rules) {
                    groups.push(Group::new(&[p], vec![r])?);
                }
            } else if !pats.is_empty() {
                // Teddy slows sharply past ~32 patterns (its 16 buckets fill up and every
                // candidate is verified against more patterns): two searches over half the
                // patterns each beat one over all of them.
                let n = pats.len().div_ceil(TEDDY_GROUP);
                let per = pats.len().div_ceil(n);
                for (p, r) in pats.chunks(per).zip(rules.chunks(per)) {
                    groups.push(Group::new(p, r.to_vec())?);
                }
            }
        }
        Ok(Self {
            groups,
            keywords: keywords.len(),
            patterns,
            regexes,
            heads,
            s_group,
            show_group,
            span,
            carry: reach + RIGHT_CTX + LEFT_CTX,
            scoped,
            scoped_files,
            pkcs12,
        })
    }

    /// Rule `r`'s regex, compiled on first use (`None` for a rule without one).
    fn regex(&self, r: usize) -> Option<&Regex> {
        self.regexes[r]
            .get_or_init(|| self.patterns[r].as_deref().and_then(|p| compile(p).ok()))
            .as_ref()
    }

    /// Rule `r`'s head (see the field), compiled on first use.
    fn head(&self, r: usize) -> Option<&(Regex, usize)> {
        self.heads[r]
            .get_or_init(|| {
                self.patterns[r]
                    .is_some()
                    .then(|| head(DETECTORS[r].pattern))
                    .flatten()
            })
            .as_ref()
    }

    /// Compile every rule now (what a scan does lazily), reporting the first that fails.
    ///
    /// # Errors
    /// A pattern that does not compile within the size limit: a defect of the table.
    pub fn compile_all(&self) -> Result<(), SecretError> {
        for (r, p) in self.patterns.iter().enumerate() {
            if let Some(p) = p {
                compile(p).map_err(|e| SecretError::Rule {
                    rule: DETECTORS[r].rule.id,
                    message: e.to_string(),
                })?;
                let _ = self.regex(r);
                let _ = self.head(r);
            }
        }
        Ok(())
    }

    /// The built-in rules, compiled once per process.
    ///
    /// # Errors
    /// See [`Rules::new`].
    pub fn builtin() -> Result<&'static Rules, &'static SecretError> {
        static RULES: OnceLock<Result<Rules, SecretError>> = OnceLock::new();
        RULES.get_or_init(Rules::new).as_ref()
    }

    /// Bytes kept from one block to the next: the longest window plus its context.
    pub fn carry(&self) -> usize {
        self.carry
    }

    /// The rules enabled for a file at `path` (file-name scopes applied).
    fn mask_for(&self, path: &str) -> u128 {
        let all = !0u128 >> (128 - RULE_COUNT);
        let mut m = all & !self.scoped;
        if path.is_empty() {
            return m;
        }
        let name = memchr::memrchr(b'/', path.as_bytes()).map_or(path, |k| &path[k + 1..]);
        for &(i, files) in &self.scoped_files {
            let ok = files.iter().any(|f| {
                if f.contains('/') {
                    path.strip_suffix(f)
                        .is_some_and(|rest| rest.is_empty() || rest.ends_with('/'))
                } else {
                    name == *f
                }
            });
            if ok {
                m |= 1 << i;
            }
        }
        m
    }
}

/// Why a file, or part of it, was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A NUL byte in the first [`SNIFF`] bytes.
    Binary,
    /// A UTF-16 byte-order mark.
    Utf16,
    /// Only the first `limit` bytes of a `size`-byte file were scanned.
    Truncated { limit: u64, size: u64 },
    /// More than `limit` matches; the rest were dropped.
    TooManyMatches { limit: usize },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Binary => f.write_str("binary file (NUL byte in the first 8000 bytes)"),
            Self::Utf16 => f.write_str("UTF-16 text (not scanned)"),
            Self::Truncated { limit, size } => {
                write!(f, "only the first {limit} of {size} bytes scanned")
            }
            Self::TooManyMatches { limit } => write!(f, "more than {limit} matches; rest dropped"),
        }
    }
}

/// One secret found in a file. Holds no part of the value beyond the redacted prefix.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretMatch {
    /// Index into [`DETECTORS`] / [`crate::rules::RULES`].
    pub rule: usize,
    /// 1-based line of the value's first byte; 0 in a binary file.
    pub line: u32,
    /// 1-based column (Unicode scalar values) of the value's first character; 0 in a binary file.
    pub column: u32,
    pub redacted: String,
    pub fingerprint: String,
    /// Byte offsets of the value in the file (`[start, end)`), for callers that must blank it
    /// out of text they show (history lines).
    pub start: u64,
    pub end: u64,
}

impl SecretMatch {
    pub fn detector(&self) -> &'static Detector {
        &DETECTORS[self.rule]
    }
    pub fn rule_id(&self) -> &'static str {
        DETECTORS[self.rule].rule.id
    }
}

impl fmt::Debug for SecretMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretMatch")
            .field("rule", &self.rule_id())
            .field("line", &self.line)
            .field("column", &self.column)
            .field("redacted", &self.redacted)
            .field("fingerprint", &self.fingerprint)
            .field("span", &(self.start..self.end))
            .finish()
    }
}

/// Digests of a whole file, for checking it against its package's recorded checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub md5: [u8; 16],
    pub sha256: [u8; 32],
}

/// What a scan of one file found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileResult {
    pub matches: Vec<SecretMatch>,
    pub skipped: Option<SkipReason>,
    /// Bytes fed (including any beyond the size cap).
    pub bytes: u64,
    /// The file's digests, when asked for, the file had matches and was read whole.
    pub digests: Option<Digests>,
}

/// Options of one file's scan.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileOptions {
    /// The file's size, when known in advance (decides how digests are computed).
    pub size: Option<u64>,
    /// Compute digests when the file has matches (vendor checks need them).
    pub digests: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unknown,
    Text,
    Pkcs12,
    Skipped,
}

struct Raw {
    rule: u8,
    start: u64,
    end: u64,
    line: u32,
    column: u32,
    redacted: String,
    fingerprint: String,
}

enum Hashing {
    Off,
    /// Nothing dropped from the scan buffer yet: it holds the whole file so far, so nothing is
    /// copied until the first block is scanned and dropped (most files never get there).
    InBuf,
    /// Bytes kept (bounded by [`LAZY_DIGEST_BYTES`]) until the end says whether digests matter.
    Lazy(Vec<u8>),
    Eager(Box<(Md5, Sha256)>),
    /// The file went past the size cap: its digest cannot be known.
    Lost,
}

/// The streaming scanner of one file. See the module docs.
pub struct FileScanner<'r> {
    rules: &'r Rules,
    mask: u128,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Absolute end of the last scanned block.
    scanned_to: u64,
    /// Newlines before `base`, and characters since the last one.
    line_base: u64,
    col_base: u64,
    /// Bytes accepted (≤ the cap) and bytes fed.
    taken: u64,
    fed: u64,
    mode: Mode,
    skipped: Option<SkipReason>,
    raw: Vec<Raw>,
    hashing: Hashing,
    /// PKCS#12: a key bag was seen; the running fingerprint hash of the file.
    p12_found: bool,
    p12_hash: Option<Sha256>,
    /// The size the caller announced (a caller may stop reading at the cap).
    size: u64,
}

impl fmt::Debug for FileScanner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileScanner")
            .field("fed", &self.fed)
            .field("mode", &self.mode)
            .field("matches", &self.raw.len())
            .finish()
    }
}

fn count_nl(b: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// Unicode scalar values in UTF-8 bytes (bytes that do not continue a character).
fn chars(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| (c as i8) >= -0x40).count() as u64
}

/// DER `SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data | pkcs7-signedData ...` (RFC 7292 PFX).
fn is_pfx(b: &[u8]) -> bool {
    const DATA_OID: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];
    if b.first() != Some(&0x30) {
        return false;
    }
    let mut i = 1;
    let len_of = |i: &mut usize| -> Option<()> {
        let l = *b.get(*i)?;
        *i += 1;
        if l & 0x80 != 0 {
            let n = usize::from(l & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            *i += n;
        }
        Some(())
    };
    if len_of(&mut i).is_none() || b.get(i..i + 3) != Some(&[0x02, 0x01, 0x03]) {
        return false;
    }
    i += 3;
    if b.get(i) != Some(&0x30) {
        return false;
    }
    i += 1;
    if len_of(&mut i).is_none() {
        return false;
    }
    b.get(i..i + DATA_OID.len()) == Some(DATA_OID)
        && matches!(b.get(i + DATA_OID.len()), Some(0x01 | 0x02))
}

/// PKCS#12 keyBag and pkcs8ShroudedKeyBag OIDs (1.2.840.113549.1.12.10.1.{1,2}), DER-encoded.
const KEYBAG_OIDS: [&[u8]; 2] = [
    &[
        0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x01,
    ],
    &[
        0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02,
    ],
];

impl<'r> FileScanner<'r> {
    /// A scanner for the file at `path` (relative to the target's root; it decides which
    /// file-scoped rules apply). Use `""` for text that is not a file (config values).
    pub fn new(rules: &'r Rules, path: &str) -> Self {
        Self::with_options(rules, path, FileOptions::default())
    }

    pub fn with_options(rules: &'r Rules, path: &str, opts: FileOptions) -> Self {
        let hashing = if !opts.digests {
            Hashing::Off
        } else if opts.size.is_some_and(|s| s > LAZY_DIGEST_BYTES as u64) {
            Hashing::Eager(Box::new((Md5::new(), Sha256::new())))
        } else {
            Hashing::InBuf
        };
        // Room for the whole file up to one block and its carry (the most the buffer holds), so
        // that gathering a small file is one copy with no regrowth. A claimed size is only a hint
        // (and bounded here).
        let cap = opts
            .size
            .map_or(0, |s| usize::try_from(s).unwrap_or(usize::MAX))
            .min(BLOCK + rules.carry);
        Self {
            rules,
            mask: rules.mask_for(path),
            buf: Vec::with_capacity(cap),
            base: 0,
            scanned_to: 0,
            line_base: 0,
            col_base: 0,
            taken: 0,
            fed: 0,
            mode: Mode::Unknown,
            skipped: None,
            raw: Vec::new(),
            hashing,
            p12_found: false,
            p12_hash: None,
            size: opts.size.unwrap_or(0),
        }
    }

    /// Whether more input can change the result (false once the file is skipped as binary or
    /// the size cap is reached): callers may stop reading.
    pub fn wants_more(&self) -> bool {
        self.mode != Mode::Skipped && self.taken < MAX_FILE_BYTES
    }

    /// Feed the next bytes of the file.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.fed += chunk.len() as u64;
        if self.mode == Mode::Skipped {
            return;
        }
        let room = usize::try_from(MAX_FILE_BYTES - self.taken).unwrap_or(usize::MAX);
        let mut chunk = if chunk.len() > room {
            self.hashing = Hashing::Lost;
            &chunk[..room]
        } else {
            chunk
        };
        self.taken += chunk.len() as u64;
        while !chunk.is_empty() {
            let pending =
                (self.base + self.buf.len() as u64 - self.scanned_to.max(self.base)) as usize;
            let n = BLOCK.saturating_sub(pending).min(chunk.len()).max(1);
            self.hash(&chunk[..n]);
            self.buf.extend_from_slice(&chunk[..n]);
            chunk = &chunk[n..];
            if pending + n >= BLOCK {
                self.scan(false);
                if self.mode == Mode::Skipped {
                    return;
                }
            }
        }
    }

    fn hash(&mut self, chunk: &[u8]) {
        if let Some(h) = &mut self.p12_hash {
            h.update(chunk);
        }
        match &mut self.hashing {
            Hashing::Off | Hashing::Lost | Hashing::InBuf => {}
            Hashing::Eager(h) => {
                h.0.update(chunk);
                h.1.update(chunk);
            }
            Hashing::Lazy(keep) => {
                if keep.len() + chunk.len() <= LAZY_DIGEST_BYTES {
                    keep.extend_from_slice(chunk);
                } else {
                    let mut h = Box::new((Md5::new(), Sha256::new()));
                    h.0.update(&keep[..]);
                    h.1.update(&keep[..]);
                    h.0.update(chunk);
                    h.1.update(chunk);
                    self.hashing = Hashing::Eager(h);
                }
            }
        }
    }

    fn sniff(&mut self) {
        let head = &self.buf[..self.buf.len().min(SNIFF)];
        if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
            self.skip(SkipReason::Utf16);
        } else if self.rules.pkcs12.is_some() && self.mask_pkcs12() && is_pfx(head) {
            self.mode = Mode::Pkcs12;
            let mut h = Sha256::new();
            h.update(
                DETECTORS[usize::from(self.rules.pkcs12.unwrap_or(0))]
                    .rule
                    .id
                    .as_bytes(),
            );
            h.update([0]);
            h.update(&self.buf);
            self.p12_hash = Some(h);
        } else if memchr::memchr(0, head).is_some() {
            self.skip(SkipReason::Binary);
        } else {
            self.mode = Mode::Text;
        }
    }

    fn mask_pkcs12(&self) -> bool {
        self.rules.pkcs12.is_some_and(|i| self.mask & (1 << i) != 0)
    }

    fn skip(&mut self, why: SkipReason) {
        self.mode = Mode::Skipped;
        self.skipped = Some(why);
        self.buf = Vec::new();
        self.hashing = Hashing::Off;
    }

    /// Scan what is buffered; `last` at the end of the file.
    fn scan(&mut self, last: bool) {
        if self.mode == Mode::Unknown {
            self.sniff();
        }
        match self.mode {
            Mode::Text => self.scan_text(last),
            Mode::Pkcs12 => {
                if !self.p12_found {
                    self.p12_found = KEYBAG_OIDS
                        .iter()
                        .any(|o| memchr::memmem::find(&self.buf, o).is_some());
                }
            }
            Mode::Skipped | Mode::Unknown => return,
        }
        self.scanned_to = self.base + self.buf.len() as u64;
        if !last {
            self.drop_front();
        }
    }

    fn scan_text(&mut self, last: bool) {
        let rules = self.rules;
        let end = self.base + self.buf.len() as u64;
        let mut found: Vec<(usize, Raw)> = Vec::new();
        let buf = &self.buf[..];
        for g in &rules.groups {
            g.each(buf, |p_rel, hit_rules| {
                let p = self.base + p_rel as u64;
                for &ri in hit_rules {
                    let r = usize::from(ri);
                    if self.mask & (1 << r) == 0 {
                        continue;
                    }
                    let d = &DETECTORS[r];
                    let win_start = p.saturating_sub(d.back as u64);
                    let hay_end = win_start + (rules.span[r] + RIGHT_CTX) as u64;
                    if hay_end <= self.scanned_to || (!last && hay_end > end) {
                        continue; // handled in an earlier block, or wait for the next one
                    }
                    let ws = (win_start.max(self.base) - self.base) as usize;
                    let he = (hay_end.min(end) - self.base) as usize;
                    if !d.needs.is_empty() && !needs(&buf[p_rel..he], d.needs) {
                        continue;
                    }
                    if let Some(raw) = self.try_rule(r, d, ws, p_rel, he) {
                        found.push(raw);
                    }
                }
            });
        }
        if found.is_empty() {
            return;
        }
        // Lines and columns, in one pass over the block.
        found.sort_by_key(|(rel, _)| *rel);
        let mut nl = 0u64;
        let mut last_nl: Option<usize> = None;
        let mut pos = 0usize;
        for (rel, mut raw) in found {
            let seg = &self.buf[pos..rel];
            nl += count_nl(seg);
            if let Some(k) = memchr::memrchr(b'\n', seg) {
                last_nl = Some(pos + k);
            }
            pos = rel;
            let col = match last_nl {
                Some(k) => chars(&self.buf[k + 1..rel]),
                None => self.col_base + chars(&self.buf[..rel]),
            };
            raw.line = u32::try_from(self.line_base + nl + 1).unwrap_or(u32::MAX);
            raw.column = u32::try_from(col + 1).unwrap_or(u32::MAX);
            self.raw.push(raw);
        }
        if self.raw.len() > 4 * MAX_MATCHES_PER_FILE {
            self.compact();
        }
    }

    /// Run rule `r` on the window `[ws, he)` of the buffer for the keyword at `p_rel`.
    fn try_rule(
        &self,
        r: usize,
        d: &Detector,
        ws: usize,
        p_rel: usize,
        he: usize,
    ) -> Option<(usize, Raw)> {
        let re = self.rules.regex(r)?;
        if let Some((head, max)) = self.rules.head(r) {
            // A match of the rule starting at `a` in `[ws, p_rel]` begins with a match of its
            // head that ends by `a + max`; the look-ahead context after it is in the haystack.
            let small = &self.buf[..he.min(p_rel + max + RIGHT_CTX)];
            if head.find_at(small, ws).is_none_or(|m| m.start() > p_rel) {
                return None;
            }
        }
        let hay = &self.buf[..he];
        let mut at = ws;
        let m = loop {
            let m = re.find_at(hay, at)?;
            if m.start() > p_rel {
                return None;
            }
            if m.end() > p_rel {
                break m;
            }
            at = m.start() + 1;
        };
        let caps = re.captures_at(hay, m.start())?;
        let s = caps.get(self.rules.s_group[r])?;
        let value = s.as_bytes();
        let show = self.rules.show_group[r]
            .and_then(|g| caps.get(g))
            .map_or(&b""[..], |g| g.as_bytes());
        if decoy::value_decoy(d, value, &hay[s.end()..m.end().max(s.end())]).is_some()
            || (d.generic && decoy::code_follows(hay.get(s.end()..).unwrap_or_default()))
            || !validate::check(d.check, value)
            || decoy::in_base64_blob(&self.buf, s.start())
        {
            return None;
        }
        let start = self.base + s.start() as u64;
        Some((
            s.start(),
            Raw {
                rule: r as u8,
                start,
                end: self.base + s.end() as u64,
                line: 0,
                column: 0,
                redacted: redact::redact(show, d.sep, value, d.reveal),
                fingerprint: redact::fingerprint(d.rule.id, value),
            },
        ))
    }

    /// Keep only the last [`Rules::carry`] bytes, counting lines in what goes.
    fn drop_front(&mut self) {
        let keep = self.rules.carry.min(self.buf.len());
        let n = self.buf.len() - keep;
        if n == 0 {
            return;
        }
        if matches!(self.hashing, Hashing::InBuf) {
            // The buffer is the whole file so far (nothing was dropped before): keep it for the
            // digests from here on.
            self.hashing = Hashing::Lazy(Vec::new());
            let all = std::mem::take(&mut self.buf);
            self.hash(&all);
            self.buf = all;
        }
        let gone = &self.buf[..n];
        self.line_base += count_nl(gone);
        match memchr::memrchr(b'\n', gone) {
            Some(k) => self.col_base = chars(&gone[k + 1..]),
            None => self.col_base += chars(gone),
        }
        self.buf.drain(..n);
        self.base += n as u64;
    }

    /// Dedupe, resolve overlaps (earlier rule wins), order by position, cap.
    fn compact(&mut self) {
        self.raw.sort_by_key(|a| (a.rule, a.start, a.end));
        self.raw
            .dedup_by(|a, b| a.rule == b.rule && a.start == b.start);
        let mut kept: Vec<Raw> = Vec::with_capacity(self.raw.len());
        // Spans already claimed, sorted by start.
        let mut claimed: Vec<(u64, u64)> = Vec::new();
        for r in std::mem::take(&mut self.raw) {
            // Claimed spans never overlap, so their ends are sorted too: only the last one that
            // starts before `r` ends can reach into it.
            let i = claimed.partition_point(|&(s, _)| s < r.end);
            if i > 0 && claimed[i - 1].1 > r.start {
                continue;
            }
            claimed.insert(i, (r.start, r.end));
            kept.push(r);
        }
        kept.sort_by_key(|a| (a.start, a.rule));
        if kept.len() > MAX_MATCHES_PER_FILE {
            kept.truncate(MAX_MATCHES_PER_FILE);
            if self.skipped.is_none() {
                self.skipped = Some(SkipReason::TooManyMatches {
                    limit: MAX_MATCHES_PER_FILE,
                });
            }
        }
        self.raw = kept;
    }

    /// End of the file: scan what is left and return the result.
    pub fn finish(mut self) -> FileResult {
        if self.mode != Mode::Skipped {
            self.scan(true);
        }
        if self.mode == Mode::Pkcs12 && self.p12_found {
            if let (Some(h), Some(i)) = (self.p12_hash.take(), self.rules.pkcs12) {
                self.raw.push(Raw {
                    rule: i,
                    start: 0,
                    end: 1,
                    line: 0,
                    column: 0,
                    redacted: "PKCS#12 ****".into(),
                    fingerprint: redact::hex16(&h.finalize()),
                });
            }
        }
        self.compact();
        let size = self.fed.max(self.size);
        if self.taken < size && self.mode != Mode::Skipped && self.skipped.is_none() {
            self.skipped = Some(SkipReason::Truncated {
                limit: MAX_FILE_BYTES,
                size,
            });
        }
        let digests = if self.raw.is_empty() {
            None
        } else {
            match std::mem::replace(&mut self.hashing, Hashing::Off) {
                Hashing::Off | Hashing::Lost => None,
                Hashing::InBuf => Some(Digests {
                    md5: Md5::digest(&self.buf).into(),
                    sha256: Sha256::digest(&self.buf).into(),
                }),
                Hashing::Lazy(keep) => Some(Digests {
                    md5: Md5::digest(&keep).into(),
                    sha256: Sha256::digest(&keep).into(),
                }),
                Hashing::Eager(h) => {
                    let (m, s) = *h;
                    Some(Digests {
                        md5: m.finalize().into(),
                        sha256: s.finalize().into(),
                    })
                }
            }
        };
        FileResult {
            matches: self
                .raw
                .into_iter()
                .map(|r| SecretMatch {
                    rule: usize::from(r.rule),
                    line: r.line,
                    column: r.column,
                    redacted: r.redacted,
                    fingerprint: r.fingerprint,
                    start: r.start,
                    end: r.end,
                })
                .collect(),
            skipped: self.skipped,
            bytes: self.fed,
            digests,
        }
    }
}

fn compile(pat: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pat)
        .size_limit(8 << 20)
        .build()
}

/// The index of the capture group named `name`, as the regex crate numbers groups (by opening
/// parenthesis, whole match 0).
fn group_index(hir: &regex_syntax::hir::Hir, name: &str) -> Option<usize> {
    use regex_syntax::hir::HirKind;
    let mut stack = vec![hir];
    while let Some(h) = stack.pop() {
        match h.kind() {
            HirKind::Capture(c) => {
                if c.name.as_deref() == Some(name) {
                    return usize::try_from(c.index).ok();
                }
                stack.push(&c.sub);
            }
            HirKind::Concat(v) | HirKind::Alternation(v) => stack.extend(v.iter()),
            HirKind::Repetition(r) => stack.push(&r.sub),
            _ => {}
        }
    }
    None
}

/// The head of a rule's pattern (see [`Rules`]): the text before `(?P<s>`, when it compiles on
/// its own (it does not when the value group sits inside another group), is bounded and cannot
/// match the empty string (then it would rule nothing out).
fn head(pattern: &str) -> Option<(Regex, usize)> {
    let cut = pattern.find("(?P<s>")?;
    let pat = format!("(?-u){}", &pattern[..cut]);
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(&pat)
        .ok()?;
    let props = hir.properties();
    let max = props.maximum_len()?;
    if props.minimum_len().unwrap_or(0) == 0 {
        return None;
    }
    let re = regex::bytes::RegexBuilder::new(&pat)
        .size_limit(8 << 20)
        .build()
        .ok()?;
    Some((re, max))
}

fn needs(window: &[u8], any: &[u8]) -> bool {
    match any {
        [a] => memchr::memchr(*a, window).is_some(),
        [a, b] => memchr::memchr2(*a, *b, window).is_some(),
        [a, b, c, ..] => memchr::memchr3(*a, *b, *c, window).is_some(),
        [] => true,
    }
}

/// Scan a whole buffer (tests, config values, small inputs).
pub fn scan_bytes(rules: &Rules, path: &str, data: &[u8]) -> FileResult {
    let mut s = FileScanner::new(rules, path);
    s.feed(data);
    s.finish()
}

/// `text` with every secret the rules find in it masked (`ghp_****`): for showing text that may
/// hold secrets, such as history lines.
pub fn redact_text(rules: &Rules, text: &str) -> String {
    let r = scan_bytes(rules, "", text.as_bytes());
    if r.matches.is_empty() {
        return text.to_string();
    }
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut at = 0usize;
    for m in &r.matches {
        let (s, e) = (m.start as usize, (m.end as usize).min(b.len()));
        if s < at || s >= e {
            continue;
        }
        let keep = DETECTORS[m.rule].reveal.min((e - s) / 3);
        out.extend_from_slice(&b[at..s + keep]);
        out.extend_from_slice(b"****");
        at = e;
    }
    out.extend_from_slice(&b[at..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// Known binary file name endings: never read for secrets (images, archives, compiled code,
/// fonts, media, message catalogs). PKCS#12 files (`.p12`, `.pfx`) are not in the list.
const BINARY_SUFFIXES: &[&str] = &[
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".svgz", ".gz",
    ".tgz", ".xz", ".bz2", ".zst", ".lz4", ".lzma", ".7z", ".zip", ".jar", ".war", ".ear", ".whl",
    ".deb", ".rpm", ".apk", ".so", ".a", ".o", ".ko", ".pyc", ".pyo", ".class", ".mo", ".ttf",
    ".otf", ".woff", ".woff2", ".eot", ".pcf", ".pdf", ".mp3", ".mp4", ".ogg", ".wav", ".flac",
    ".webm", ".wasm", ".exe", ".dll", ".node", ".qcow2", ".iso",
];

/// Directories whose files are never secrets' homes and are binary or generated.
const SKIP_DIRS: &[&str] = &[
    "proc/",
    "sys/",
    "dev/",
    "usr/share/locale/",
    "usr/share/zoneinfo/",
    "usr/lib/locale/",
    "usr/share/i18n/charmaps/",
];

/// The cheap pre-filter: whether a file with this path, size and mode is worth reading. Decided
/// from the name alone (known binary suffixes, binary-only directories); `size` and `mode` do not
/// exclude anything today (an empty file or one past the cap is still read, so that replacing a
/// secret with an empty or large file is seen), but are part of the contract.
pub fn wants(path: &str, _size: u64, _mode: u32) -> bool {
    if SKIP_DIRS.iter().any(|d| path.starts_with(d)) {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if BINARY_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        return false;
    }
    // Versioned shared objects: libfoo.so.1.2.3.
    !lower.contains(".so.")
        || !lower
            .rsplit(".so.")
            .next()
            .is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> &'static Rules {
        Rules::builtin().expect("rules compile")
    }

    fn ids(r: &FileResult) -> Vec<(&'static str, u32, u32)> {
        r.matches
            .iter()
            .map(|m| (m.rule_id(), m.line, m.column))
            .collect()
    }

    /// Rules compile lazily in scans: here every one must compile, and the group indices taken
    /// from the syntax tree must be the compiled regex's.
    #[test]
    fn every_rule_compiles() {
        let r = Rules::new().expect("rules parse");
        r.compile_all().expect("every rule compiles");
        for (i, p) in r.patterns.iter().enumerate() {
            let Some(p) = p else { continue };
            let re = compile(p).unwrap();
            let names: Vec<Option<&str>> = re.capture_names().collect();
            assert_eq!(
                Some(r.s_group[i]),
                names.iter().position(|n| *n == Some("s")),
                "{}",
                DETECTORS[i].rule.id
            );
            assert_eq!(
                r.show_group[i],
                names.iter().position(|n| *n == Some("show")),
                "{}",
                DETECTORS[i].rule.id
            );
            assert!(r.regex(i).is_some(), "{}", DETECTORS[i].rule.id);
        }
    }

    #[test]
    fn compiles_with_bounded_windows() {
        let r = rules();
        assert!(r.carry() < 8192, "carry {}", r.carry());
    }

    #[test]
    fn finds_with_lines_and_columns() {
        let text = "line one\n  token: \"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\"\n→ AKIA2OGYBAH6TQLTMBQW\n";
        let res = scan_bytes(rules(), "app/config.yaml", text.as_bytes());
        assert_eq!(
            ids(&res),
            vec![("github-pat", 2, 11), ("aws-access-key-id", 3, 3)],
            "{res:?}"
        );
        assert_eq!(res.matches[0].redacted, "ghp_****");
        assert!(!format!("{res:?}").contains("M7H4jx"));
    }

    #[test]
    fn binary_utf16_and_truncation() {
        let mut b = b"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".to_vec();
        b.push(0);
        let r = scan_bytes(rules(), "x", &b);
        assert_eq!(r.skipped, Some(SkipReason::Binary));
        assert!(r.matches.is_empty());
        let r = scan_bytes(rules(), "x", &[0xff, 0xfe, b'a', 0]);
        assert_eq!(r.skipped, Some(SkipReason::Utf16));
    }

    #[test]
    fn file_scoped_rules() {
        let netrc = b"machine git.internal login ci password Vq7#pLm2Zx9!\n";
        assert_eq!(
            ids(&scan_bytes(rules(), "root/.netrc", netrc)),
            vec![("netrc-password", 1, 40)]
        );
        assert!(
            ids(&scan_bytes(rules(), "root/notes.txt", netrc))
                .iter()
                .all(|m| m.0 != "netrc-password")
        );
    }

    #[test]
    fn digests_of_matching_files_whatever_the_size_and_chunking() {
        let token = b"\nGITHUB_TOKEN=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\n";
        // Within one block, past one block (the buffer no longer holds the whole file), past the
        // lazy digest limit.
        for len in [200usize, BLOCK + 5000, LAZY_DIGEST_BYTES + 70_000] {
            let mut data = vec![b'x'; len];
            data[len / 4..len / 4 + token.len()].copy_from_slice(token);
            let want = Digests {
                md5: Md5::digest(&data).into(),
                sha256: Sha256::digest(&data).into(),
            };
            for size in [None, Some(len as u64)] {
                for chunk in [7usize, 64 << 10, len] {
                    let mut s = FileScanner::with_options(
                        rules(),
                        "app/.env",
                        FileOptions {
                            size,
                            digests: true,
                        },
                    );
                    for c in data.chunks(chunk) {
                        s.feed(c);
                    }
                    let r = s.finish();
                    assert_eq!(r.matches.len(), 1, "{len} {size:?} {chunk}");
                    assert_eq!(r.digests.as_ref(), Some(&want), "{len} {size:?} {chunk}");
                }
            }
        }
    }

    #[test]
    fn wants_skips_binary_names() {
        assert!(wants("etc/app.env", 10, 0o644));
        assert!(wants("root/.ssh/id_rsa", 10, 0o600));
        assert!(wants("etc/ssl/private/site.p12", 10, 0o600));
        assert!(!wants("usr/lib/x86_64-linux-gnu/libc.so.6", 10, 0o755));
        assert!(!wants("usr/share/locale/de/LC_MESSAGES/x.mo", 10, 0o644));
        assert!(!wants("usr/share/doc/x/changelog.Debian.gz", 10, 0o644));
        assert!(wants("usr/lib/python3/dist-packages/x.so.py", 10, 0o644));
    }
}
