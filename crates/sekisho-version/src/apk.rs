//! Alpine/Wolfi package versions, ordered as apk-tools orders them.
//!
//! Two generations of apk-tools are in use, and they disagree at the edges:
//!
//! - **apk-tools 3** (`src/version.c` on master, Alpine 3.23 and later). Grammar
//!   `digit{.digit}...{letter}{_suffix{number}}...{~commit_hash}{-rN}`, where `suffix` is one of
//!   `alpha`, `beta`, `pre`, `rc` (pre-releases, sorting before the bare version) or `cvs`,
//!   `svn`, `git`, `hg`, `p` (post-releases); the hash is lowercase hex. Numbers are read into a
//!   `uint64_t` (wrapping, as `apk_blob_pull_uint` does); a digit component with a leading zero
//!   compares as a string. [`compare_raw`], [`fuzzy_match`] and [`is_valid`] are this machine.
//! - **apk-tools 2.14** (`src/version.c` on `2.14-stable`, Alpine 3.0 to 3.22, which built
//!   almost every package in the secdb history). A laxer state machine: a letter may be followed
//!   by more digit components (`1.2p3.4`), empty components (`1..2`, `1.`), a bare `-r`, a
//!   repeated `-rN`, an empty `_` suffix; leading zeros are counted into a negative value;
//!   numbers of 18 digits or more are invalid and `~` is unknown. [`v2`] is this machine.
//!
//! [`ApkVersion`] (the `Alpine`, `Wolfi` and `Chainguard` scheme) accepts what either accepts,
//! except strings that do not start with a digit (apk-tools 2.14 also validates ``, `a`, `.1`,
//! `_pre1` and `-r1`, none of which can name a package version). It orders them with one
//! machine, [`compare_lenient`]: apk-tools 3's, extended with the forms only apk-tools 2.14
//! accepts, each read as 2.14 reads it. So two versions apk-tools 3 accepts are ordered exactly
//! as apk-tools 3 orders them, a lenient form is ordered as apk-tools 2.14 orders it, and the
//! order stays one total order. The one place where the two apk-tools disagree is a component
//! with a leading zero (`1.0` vs `1.00`: 3 says `<`, 2.14 says `>`); there apk-tools 3 wins.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    InitialDigit = 0,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; `NONE` (5) is the pivot between pre- and post-release suffixes.
const SUFFIX_NONE: u8 = 5;
const SUFFIX_CVS: u8 = 6;

fn suffix_value(s: &[u8]) -> Option<u8> {
    Some(match s {
        b"alpha" => 1,
        b"beta" => 2,
        b"pre" => 3,
        b"rc" => 4,
        b"cvs" => 6,
        b"svn" => 7,
        b"git" => 8,
        b"hg" => 9,
        b"p" => 10,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    tok: Tok,
    suffix: u8,
    value: &'a [u8],
    /// A digit run right after a letter (`1.2p3`, lenient only): apk-tools 2 reads it as a plain
    /// number.
    after_letter: bool,
}

impl Token<'_> {
    const fn of(tok: Tok) -> Self {
        Self {
            tok,
            suffix: 0,
            value: &[],
            after_letter: false,
        }
    }
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    /// Also take the forms only apk-tools 2.14 accepts (see [`ApkVersion`]).
    lenient: bool,
}

impl<'a> Lexer<'a> {
    fn digits(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    fn first(&mut self) -> Token<'a> {
        let value = self.digits();
        Token {
            value,
            ..Token::of(if value.is_empty() {
                Tok::Invalid
            } else {
                Tok::InitialDigit
            })
        }
    }

    fn next(&mut self, prev: Tok) -> Token<'a> {
        let invalid = Token::of(Tok::Invalid);
        let Some(&c) = self.s.get(self.pos) else {
            return Token::of(Tok::End);
        };
        match c {
            b'a'..=b'z' => {
                if prev > Tok::Digit {
                    return invalid;
                }
                self.pos += 1;
                Token {
                    value: &self.s[self.pos - 1..self.pos],
                    ..Token::of(Tok::Letter)
                }
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if prev > Tok::Digit {
                        return invalid;
                    }
                    self.pos += 1;
                }
                let after_letter = self.lenient && c != b'.' && prev == Tok::Letter;
                let tok = match prev {
                    Tok::InitialDigit | Tok::Digit => Tok::Digit,
                    Tok::Suffix => Tok::SuffixNo,
                    Tok::Letter if after_letter => Tok::Digit,
                    _ => return invalid,
                };
                let value = self.digits();
                // apk-tools 2 reads an empty component (`1..2`, `1.`) as a number.
                if value.is_empty() && !(self.lenient && c == b'.') {
                    return invalid;
                }
                Token {
                    value,
                    after_letter,
                    ..Token::of(tok)
                }
            }
            b'_' => {
                if prev > Tok::SuffixNo {
                    return invalid;
                }
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_lowercase() {
                    self.pos += 1;
                }
                let value = &self.s[start..self.pos];
                // apk-tools 2 takes a trailing `_` as a suffix of value 0, the value of `cvs`.
                let suffix = if self.lenient && self.pos == self.s.len() && value.is_empty() {
                    Some(SUFFIX_CVS)
                } else {
                    suffix_value(value)
                };
                match suffix {
                    Some(suffix) => Token {
                        suffix,
                        value,
                        ..Token::of(Tok::Suffix)
                    },
                    None => invalid,
                }
            }
            b'~' => {
                if prev >= Tok::CommitHash {
                    return invalid;
                }
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.s.len()
                    && matches!(self.s[self.pos], b'0'..=b'9' | b'a'..=b'f')
                {
                    self.pos += 1;
                }
                if self.pos == start {
                    return invalid;
                }
                Token {
                    value: &self.s[start..self.pos],
                    ..Token::of(Tok::CommitHash)
                }
            }
            b'-' => {
                // apk-tools 2 also takes a second `-rN` and a bare `-r` (revision 0).
                let again = self.lenient && prev == Tok::RevisionNo;
                if (prev >= Tok::RevisionNo && !again) || self.s.get(self.pos + 1) != Some(&b'r') {
                    return invalid;
                }
                self.pos += 2;
                let value = self.digits();
                if value.is_empty() && !self.lenient {
                    return invalid;
                }
                Token {
                    value,
                    ..Token::of(Tok::RevisionNo)
                }
            }
            _ => invalid,
        }
    }
}

/// The value `apk_blob_pull_uint` reads from a digit run: a `uint64_t` that wraps on overflow.
fn apk_uint(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |v, d| {
        v.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
    })
}

/// Numeric comparison as apk-tools 3 does it (on the wrapped `uint64_t` values).
fn num_cmp(a: &[u8], b: &[u8]) -> Ordering {
    apk_uint(a).cmp(&apk_uint(b))
}

fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.tok {
        Tok::Digit
            if !a.after_letter
                && (a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0')) =>
        {
            a.value.cmp(b.value)
        }
        Tok::Digit | Tok::InitialDigit | Tok::SuffixNo | Tok::RevisionNo => {
            num_cmp(a.value, b.value)
        }
        Tok::Letter => a.value.cmp(b.value),
        Tok::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

fn compare_fuzzy(a: &str, b: &str, fuzzy: bool, lenient: bool) -> Ordering {
    let mut la = Lexer {
        s: a.as_bytes(),
        pos: 0,
        lenient,
    };
    let mut lb = Lexer {
        s: b.as_bytes(),
        pos: 0,
        lenient,
    };
    let mut ta = la.first();
    let mut tb = lb.first();
    while ta.tok == tb.tok && ta.tok < Tok::End {
        let r = token_cmp(&ta, &tb);
        if r != Ordering::Equal {
            return r;
        }
        ta = la.next(ta.tok);
        tb = lb.next(tb.tok);
    }
    if ta.tok == tb.tok || (tb.tok == Tok::End && fuzzy) {
        return Ordering::Equal;
    }
    if ta.tok == Tok::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if tb.tok == Tok::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    tb.tok.cmp(&ta.tok)
}

/// apk's comparison of two arbitrary strings, valid or not (what `apk version -t` prints).
/// Never panics. Prefer [`ApkVersion`], which rejects invalid versions.
pub fn compare_raw(a: &str, b: &str) -> Ordering {
    compare_fuzzy(a, b, false, false)
}

/// apk's fuzzy match (`~`): true when `a` starts with the version components of `b`
/// (`3.8.1 ~ 3.8`).
pub fn fuzzy_match(a: &str, b: &str) -> bool {
    compare_fuzzy(a, b, true, false) == Ordering::Equal
}

/// Whether apk-tools 3 accepts `s` as a version (`apk_version_validate`).
pub fn is_valid(s: &str) -> bool {
    valid_in(s, false)
}

fn valid_in(s: &str, lenient: bool) -> bool {
    let mut l = Lexer {
        s: s.as_bytes(),
        pos: 0,
        lenient,
    };
    let mut t = l.first();
    while t.tok < Tok::End {
        t = l.next(t.tok);
    }
    t.tok == Tok::End
}

/// The order of [`ApkVersion`] on any two strings: apk-tools 3's machine, extended with the
/// forms only apk-tools 2.14 accepts (a digit run after a letter, empty components, a bare or
/// repeated `-r`, a trailing `_`), each read as apk-tools 2.14 reads it. On two versions
/// apk-tools 3 accepts, this is exactly [`compare_raw`].
pub fn compare_lenient(a: &str, b: &str) -> Ordering {
    compare_fuzzy(a, b, false, true)
}

/// Whether [`compare_lenient`]'s machine reads `s` to its end.
pub fn is_valid_lenient(s: &str) -> bool {
    valid_in(s, true)
}

/// Which apk-tools accepts a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// apk-tools 3 accepts it (apk-tools 2.14 may too).
    V3,
    /// Only apk-tools 2.14 accepts it (`1.2p3.4`, `1..2`, `1.0-r`, `1.0-r1-r2`, …).
    V2Only,
}

/// A version that apk-tools 3 or apk-tools 2.14 accepts (see the module docs).
#[derive(Debug, Clone)]
pub struct ApkVersion {
    s: String,
    dialect: Dialect,
}

impl ApkVersion {
    /// # Errors
    /// A reason string when neither apk-tools 3 nor apk-tools 2.14 accepts `s`, or when it does
    /// not start with a digit. Nothing is trimmed: apk rejects surrounding whitespace too.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("version string is empty".into());
        }
        if !s.as_bytes()[0].is_ascii_digit() {
            return Err("an apk version starts with a digit".into());
        }
        let dialect = if is_valid(s) {
            Dialect::V3
        } else if v2::is_valid(s) {
            Dialect::V2Only
        } else {
            return Err("neither apk-tools 3 nor apk-tools 2 accepts it \
                 (digit{.digit}{letter}{_suffix{N}}{~hash}{-rN})"
                .into());
        };
        Ok(Self {
            s: s.to_string(),
            dialect,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// Which apk-tools generation accepts this version.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lenient(&self.s, &other.s)
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    /// Equal when they order equal (`1.0` and `1.00` are the same version).
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for ApkVersion {}

/// apk-tools 2.14's version machine (`src/version.c` on the `2.14-stable` branch), as Alpine
/// 3.0 to 3.22 order versions. `get_token`/`next_token` are followed step by step, including
/// their quirks: the first token may be empty, `.` may repeat, a run of leading zeros after `.`
/// becomes a separate token whose value is minus the number of extra zeros, a number of 18
/// digits or more is invalid, suffixes match by prefix, and a NUL byte ends the string.
pub mod v2 {
    use std::cmp::Ordering;

    // The C enum values; the comparison rules depend on their order.
    const INVALID: i8 = -1;
    const DIGIT_OR_ZERO: i8 = 0;
    const DIGIT: i8 = 1;
    const LETTER: i8 = 2;
    const SUFFIX: i8 = 3;
    const SUFFIX_NO: i8 = 4;
    const REVISION_NO: i8 = 5;
    const END: i8 = 6;

    const PRE_SUFFIXES: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
    const POST_SUFFIXES: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];

    fn next_token(ty: &mut i8, b: &mut &[u8]) {
        let mut n = INVALID;
        if b.is_empty() || b[0] == 0 {
            n = END;
        } else if (*ty == DIGIT || *ty == DIGIT_OR_ZERO) && b[0].is_ascii_lowercase() {
            n = LETTER;
        } else if *ty == LETTER && b[0].is_ascii_digit() {
            n = DIGIT;
        } else if *ty == SUFFIX && b[0].is_ascii_digit() {
            n = SUFFIX_NO;
        } else {
            match b[0] {
                b'.' => n = DIGIT_OR_ZERO,
                b'_' => n = SUFFIX,
                b'-' if b.len() > 1 && b[1] == b'r' => {
                    n = REVISION_NO;
                    *b = &b[1..];
                }
                _ => {}
            }
            *b = &b[1..];
        }
        if n < *ty
            && !((n == DIGIT_OR_ZERO && *ty == DIGIT)
                || (n == SUFFIX && *ty == SUFFIX_NO)
                || (n == DIGIT && *ty == LETTER))
        {
            n = INVALID;
        }
        *ty = n;
    }

    fn get_token(ty: &mut i8, b: &mut &[u8]) -> i64 {
        if b.is_empty() {
            *ty = END;
            return 0;
        }
        let mut i = 0usize;
        let mut nt = INVALID;
        let mut v: i64 = 0;
        // `case TOKEN_DIGIT_OR_ZERO`: a run of leading zeros is its own token; otherwise the C
        // code falls through to the digit case.
        let zero_run = *ty == DIGIT_OR_ZERO && b[0] == b'0';
        let ty_now = if *ty == DIGIT_OR_ZERO { DIGIT } else { *ty };
        match ty_now {
            _ if zero_run => {
                while i + 1 < b.len() && b[i + 1] == b'0' {
                    i += 1;
                }
                nt = DIGIT;
                v = -i64::try_from(i).unwrap_or(i64::MAX);
            }
            DIGIT | SUFFIX_NO | REVISION_NO => {
                while i < b.len() && b[i].is_ascii_digit() {
                    v = v.wrapping_mul(10).wrapping_add(i64::from(b[i] - b'0'));
                    i += 1;
                }
                if i >= 18 {
                    *ty = INVALID;
                    return -1;
                }
            }
            LETTER => {
                // `char` is signed on the platforms apk runs on; LETTER only ever holds a-z.
                v = i64::from(b[0]);
                i = 1;
            }
            SUFFIX => {
                let hit = |list: &[&[u8]]| list.iter().position(|s| b.starts_with(s));
                if let Some(k) = hit(&PRE_SUFFIXES) {
                    i = PRE_SUFFIXES[k].len();
                    v = i64::try_from(k).unwrap_or(0) - 4;
                } else if let Some(k) = hit(&POST_SUFFIXES) {
                    i = POST_SUFFIXES[k].len();
                    v = i64::try_from(k).unwrap_or(0);
                } else {
                    *ty = INVALID;
                    return -1;
                }
            }
            _ => {
                *ty = INVALID;
                return -1;
            }
        }
        *b = &b[i..];
        if b.is_empty() {
            *ty = END;
        } else if nt != INVALID {
            *ty = nt;
        } else {
            next_token(ty, b);
        }
        v
    }

    fn compare_fuzzy(a: &str, b: &str, fuzzy: bool) -> Ordering {
        let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
        let (mut at, mut bt) = (DIGIT, DIGIT);
        let (mut av, mut bv) = (0i64, 0i64);
        while at == bt && at != END && at != INVALID && av == bv {
            av = get_token(&mut at, &mut a);
            bv = get_token(&mut bt, &mut b);
        }
        if av != bv {
            return av.cmp(&bv);
        }
        if at == bt || fuzzy {
            return Ordering::Equal;
        }
        let mut tt = at;
        if at == SUFFIX && get_token(&mut tt, &mut a) < 0 {
            return Ordering::Less;
        }
        let mut tt = bt;
        if bt == SUFFIX && get_token(&mut tt, &mut b) < 0 {
            return Ordering::Greater;
        }
        bt.cmp(&at)
    }

    /// apk-tools 2.14's `apk_version_compare_blob` on any two strings, valid or not. Never
    /// panics.
    pub fn compare_raw(a: &str, b: &str) -> Ordering {
        compare_fuzzy(a, b, false)
    }

    /// apk-tools 2.14's fuzzy comparison (`apk_version_compare_blob_fuzzy(a, b, TRUE)`): equal
    /// when no token value differs before one of them ends or turns invalid.
    pub fn fuzzy_match(a: &str, b: &str) -> bool {
        compare_fuzzy(a, b, true) == Ordering::Equal
    }

    /// Whether apk-tools 2.14 accepts `s` (`apk_version_validate`; it accepts the empty string).
    pub fn is_valid(s: &str) -> bool {
        let mut b = s.as_bytes();
        let mut t = DIGIT;
        while t != END && t != INVALID {
            get_token(&mut t, &mut b);
        }
        t == END
    }
}
