//! Alpine/Wolfi package versions, ordered as apk-tools orders them.
//!
//! Grammar (apk-tools 3 `version.c`, Gentoo-derived):
//! `digit{.digit}...{letter}{_suffix{number}}...{~commit_hash}{-rN}`, where `suffix` is one of
//! `alpha`, `beta`, `pre`, `rc` (pre-releases, sorting before the bare version) or `cvs`, `svn`,
//! `git`, `hg`, `p` (post-releases). Versions are compared token by token; a digit component
//! with a leading zero compares as a string (as in the Gentoo spec). When one version runs out
//! or becomes invalid first, the token kinds decide (see [`compare_raw`]).

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
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
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
            tok: if value.is_empty() {
                Tok::Invalid
            } else {
                Tok::InitialDigit
            },
            suffix: 0,
            value,
        }
    }

    fn next(&mut self, prev: Tok) -> Token<'a> {
        let invalid = Token {
            tok: Tok::Invalid,
            suffix: 0,
            value: &[],
        };
        let Some(&c) = self.s.get(self.pos) else {
            return Token {
                tok: Tok::End,
                suffix: 0,
                value: &[],
            };
        };
        match c {
            b'a'..=b'z' => {
                if prev > Tok::Digit {
                    return invalid;
                }
                self.pos += 1;
                Token {
                    tok: Tok::Letter,
                    suffix: 0,
                    value: &self.s[self.pos - 1..self.pos],
                }
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if prev > Tok::Digit {
                        return invalid;
                    }
                    self.pos += 1;
                }
                let tok = match prev {
                    Tok::InitialDigit | Tok::Digit => Tok::Digit,
                    Tok::Suffix => Tok::SuffixNo,
                    _ => return invalid,
                };
                let value = self.digits();
                if value.is_empty() {
                    return invalid;
                }
                Token {
                    tok,
                    suffix: 0,
                    value,
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
                match suffix_value(value) {
                    Some(suffix) => Token {
                        tok: Tok::Suffix,
                        suffix,
                        value,
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
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_hexdigit() {
                    self.pos += 1;
                }
                if self.pos == start {
                    return invalid;
                }
                Token {
                    tok: Tok::CommitHash,
                    suffix: 0,
                    value: &self.s[start..self.pos],
                }
            }
            b'-' => {
                if prev >= Tok::RevisionNo || self.s.get(self.pos + 1) != Some(&b'r') {
                    return invalid;
                }
                self.pos += 2;
                let value = self.digits();
                if value.is_empty() {
                    return invalid;
                }
                Token {
                    tok: Tok::RevisionNo,
                    suffix: 0,
                    value,
                }
            }
            _ => invalid,
        }
    }
}

/// Compare two digit strings numerically (no overflow).
fn num_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let a = &a[a.iter().take_while(|c| **c == b'0').count()..];
    let b = &b[b.iter().take_while(|c| **c == b'0').count()..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.tok {
        Tok::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
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

fn compare_fuzzy(a: &str, b: &str, fuzzy: bool) -> Ordering {
    let mut la = Lexer {
        s: a.as_bytes(),
        pos: 0,
    };
    let mut lb = Lexer {
        s: b.as_bytes(),
        pos: 0,
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
    compare_fuzzy(a, b, false)
}

/// apk's fuzzy match (`~`): true when `a` starts with the version components of `b`
/// (`3.8.1 ~ 3.8`).
pub fn fuzzy_match(a: &str, b: &str) -> bool {
    compare_fuzzy(a, b, true) == Ordering::Equal
}

/// Whether `s` is a valid apk version.
pub fn is_valid(s: &str) -> bool {
    let mut l = Lexer {
        s: s.as_bytes(),
        pos: 0,
    };
    let mut t = l.first();
    while t.tok < Tok::End {
        t = l.next(t.tok);
    }
    t.tok == Tok::End
}

/// A validated apk version.
#[derive(Debug, Clone)]
pub struct ApkVersion(String);

impl ApkVersion {
    /// # Errors
    /// A reason string when `s` is not a valid apk version.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("version string is empty".into());
        }
        if !is_valid(s) {
            return Err(
                "not an apk version (digit{.digit}{letter}{_suffix{N}}{~hash}{-rN})".into(),
            );
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_raw(&self.0, &other.0)
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
