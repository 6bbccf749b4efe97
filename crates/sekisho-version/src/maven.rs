//! Maven versions, ordered exactly as Maven's `ComparableVersion` orders them (Maven 4's
//! `compat/maven-artifact`, the class the POM reference's "Version Order Specification"
//! describes: <https://maven.apache.org/pom.html#version-order-specification>).
//!
//! A version is lowercased and split on `.`, `-` and digit/letter transitions into a tree of
//! items: numbers, qualifiers, "combinations" (a qualifier directly followed by a number, `rc1`,
//! or joined to it by `-`, `x-1`) and nested lists (`-` and a digit→letter transition open one).
//! An empty segment (`1..0`, `1--0`, a leading `-`) is the number 0. Trailing null items (0, the
//! empty qualifier, empty lists) are dropped, so `1.0 == 1` and `1-0 == 1`.
//!
//! Items compare by kind before value, as Maven's do:
//! - numbers are three kinds by their digit count after leading zeros are stripped: up to 9
//!   digits, up to 18, and longer. A number of a shorter kind is always smaller, and an all-zero
//!   run keeps its length (Maven's `stripLeadingZeroes` returns it unchanged), so ten zeros are a
//!   "long" zero, above every nine-digit number;
//! - a number is above every qualifier, combination and list (`1.1 > 1-sp`, `1.1 > 1-1`);
//! - a list is above a qualifier or a combination, and below a number;
//! - qualifiers order `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release
//!   < sp`, and unknown ones after those, lexically; `a`, `b`, `m` are `alpha`, `beta`,
//!   `milestone` only inside a combination (`a1`);
//! - a combination compares its qualifier first, then its number; against a bare qualifier with
//!   the same name it is the greater (`rc1 > rc`); against a missing item only its qualifier
//!   counts (`1-ga1 == 1`).
//!
//! Maven accepts every string, the empty one included (it equals `0`). The only string refused
//! here is one longer than [`crate::MAX_VERSION_LEN`] bytes, which bounds the tree's depth.
//! Case folding uses Rust's Unicode lowercase (Java's `toLowerCase(Locale.ENGLISH)` agrees outside
//! a few special-cased characters), and qualifiers compare by UTF-8 bytes (Java compares UTF-16
//! units; the two differ only between supplementary characters and U+E000..U+FFFF).

use std::cmp::Ordering;

use crate::semver::num_cmp;

/// Maven's `MAX_INTITEM_LENGTH` and `MAX_LONGITEM_LENGTH`: the digit counts where a number
/// changes kind.
const INT_DIGITS: usize = 9;
const LONG_DIGITS: usize = 18;

/// The kind of a number, in Maven's order between kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NumKind {
    Int,
    Long,
    Big,
}

#[derive(Debug, Clone)]
enum Item {
    /// A number: its kind and its decimal digits without leading zeros ("0" for zero).
    Num(NumKind, String),
    /// A qualifier, lowercased, aliases applied.
    Str(String),
    /// A qualifier followed by a number (`rc1`, `x-1`).
    Comb(String, NumKind, String),
    List(Vec<Item>),
}

/// A run of ASCII digits as Maven reads it.
fn number(buf: &str) -> (NumKind, String) {
    // Maven strips leading zeros only up to the first non-zero digit: an all-zero run stays.
    let kept = match buf.find(|c| c != '0') {
        Some(i) => &buf[i..],
        None if buf.is_empty() => "0",
        None => buf,
    };
    let kind = if kept.len() <= INT_DIGITS {
        NumKind::Int
    } else if kept.len() <= LONG_DIGITS {
        NumKind::Long
    } else {
        NumKind::Big
    };
    let value = kept.trim_start_matches('0');
    (
        kind,
        if value.is_empty() {
            "0".into()
        } else {
            value.into()
        },
    )
}

fn qualifier(value: &str, followed_by_digit: bool) -> String {
    let v = match value {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "cr" => "rc",
        v => v,
    };
    v.to_string()
}

/// The comparable form of a qualifier (Maven's `comparableQualifier`).
fn qualifier_key(q: &str) -> String {
    match q {
        "ga" | "final" | "release" | "" => "5".into(),
        "alpha" => "0".into(),
        "beta" => "1".into(),
        "milestone" => "2".into(),
        "rc" => "3".into(),
        "snapshot" => "4".into(),
        "sp" => "6".into(),
        other => format!("7-{other}"),
    }
}

const RELEASE_KEY: &str = "5";

fn parse_item(combination: bool, digit: bool, buf: &str) -> Item {
    if combination {
        let buf: String = buf.chars().filter(|c| *c != '-').collect();
        let idx = buf.find(|c: char| c.is_ascii_digit()).unwrap_or(buf.len());
        let (kind, n) = number(&buf[idx..]);
        Item::Comb(qualifier(&buf[..idx], true), kind, n)
    } else if digit {
        let (kind, n) = number(buf);
        Item::Num(kind, n)
    } else {
        Item::Str(qualifier(buf, false))
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Num(_, n) => n == "0",
            Item::Str(s) => s.is_empty(),
            Item::Comb(..) => false,
            Item::List(l) => l.is_empty(),
        }
    }
}

fn num_order(k1: NumKind, n1: &str, k2: NumKind, n2: &str) -> Ordering {
    k1.cmp(&k2).then_with(|| num_cmp(n1, n2))
}

/// `a.compareTo(b)`, with `None` for Java's `null` (a missing item).
fn cmp(a: &Item, b: Option<&Item>) -> Ordering {
    match a {
        Item::Num(k, x) => match b {
            None if x == "0" => Ordering::Equal,
            None => Ordering::Greater,
            Some(Item::Num(k2, y)) => num_order(*k, x, *k2, y),
            Some(_) => Ordering::Greater,
        },
        Item::Str(x) => match b {
            None => qualifier_key(x).as_str().cmp(RELEASE_KEY),
            Some(Item::Num(..) | Item::List(_)) => Ordering::Less,
            Some(Item::Str(y)) => qualifier_key(x).cmp(&qualifier_key(y)),
            Some(Item::Comb(s, ..)) => match qualifier_key(x).cmp(&qualifier_key(s)) {
                Ordering::Equal => Ordering::Less,
                r => r,
            },
        },
        Item::Comb(s, k, d) => match b {
            None => qualifier_key(s).as_str().cmp(RELEASE_KEY),
            Some(Item::Num(..) | Item::List(_)) => Ordering::Less,
            Some(Item::Str(y)) => match qualifier_key(s).cmp(&qualifier_key(y)) {
                Ordering::Equal => Ordering::Greater,
                r => r,
            },
            Some(Item::Comb(s2, k2, d2)) => qualifier_key(s)
                .cmp(&qualifier_key(s2))
                .then_with(|| num_order(*k, d, *k2, d2)),
        },
        Item::List(items) => match b {
            None => items
                .iter()
                .map(|i| cmp(i, None))
                .find(|r| *r != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
            Some(Item::Num(..)) => Ordering::Less,
            Some(Item::Str(_) | Item::Comb(..)) => Ordering::Greater,
            Some(Item::List(right)) => {
                let n = items.len().max(right.len());
                for i in 0..n {
                    let r = match (items.get(i), right.get(i)) {
                        (None, None) => Ordering::Equal,
                        (None, Some(r)) => cmp(r, None).reverse(),
                        (Some(l), r) => cmp(l, r),
                    };
                    if r != Ordering::Equal {
                        return r;
                    }
                }
                Ordering::Equal
            }
        },
    }
}

/// Maven's `ListItem.normalize`: drop null items at the end or before a qualifier, or before a
/// list that starts with a qualifier or a combination.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if i >= list.len() || !list[i].is_null() {
            continue;
        }
        let remove = match list.get(i + 1) {
            None | Some(Item::Str(_)) => true,
            Some(Item::List(next)) => matches!(next.first(), Some(Item::Comb(..) | Item::Str(_))),
            _ => false,
        };
        if remove {
            list.remove(i);
        }
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    root: Item,
}

/// Builder state: a path of nested lists, innermost last. Maven adds each new list to its parent
/// when it opens it; here it is added when it closes, which gives the same tree.
struct Builder {
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn cur(&mut self) -> &mut Vec<Item> {
        self.stack.last_mut().expect("root list always present")
    }
    /// Open a nested list if the current (innermost) one holds something: Maven's
    /// `if (!list.isEmpty())`. The innermost list never holds a list of its own yet, so checking
    /// the items pushed to it is the same test.
    fn open_list(&mut self) {
        if !self.cur().is_empty() {
            self.stack.push(Vec::new());
        }
    }
    fn finish(mut self) -> Vec<Item> {
        while self.stack.len() > 1 {
            let mut inner = self.stack.pop().expect("len > 1");
            normalize(&mut inner);
            self.cur().push(Item::List(inner));
        }
        let mut root = self.stack.pop().expect("root");
        normalize(&mut root);
        root
    }
}

impl MavenVersion {
    /// Parse any string, as Maven does (the empty string is `0`).
    ///
    /// # Errors
    /// A string longer than [`crate::MAX_VERSION_LEN`] bytes.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() > crate::MAX_VERSION_LEN {
            return Err(format!("longer than {} bytes", crate::MAX_VERSION_LEN));
        }
        let v = s.to_lowercase();
        let chars: Vec<(usize, char)> = v.char_indices().collect();
        let mut b = Builder {
            stack: vec![Vec::new()],
        };
        let mut is_digit = false;
        let mut is_comb = false;
        let mut start = 0usize; // byte offset
        let mut k = 0;
        while k < chars.len() {
            let (i, c) = chars[k];
            if c == '.' {
                let it = if i == start {
                    Item::Num(NumKind::Int, "0".into())
                } else {
                    parse_item(is_comb, is_digit, &v[start..i])
                };
                b.cur().push(it);
                is_comb = false;
                start = i + 1;
            } else if c == '-' {
                if i == start {
                    b.cur().push(Item::Num(NumKind::Int, "0".into()));
                } else {
                    // `X-1` is the combination `X1`.
                    if !is_digit && chars.get(k + 1).is_some_and(|(_, c1)| c1.is_ascii_digit()) {
                        is_comb = true;
                        k += 1;
                        continue;
                    }
                    let it = parse_item(is_comb, is_digit, &v[start..i]);
                    b.cur().push(it);
                }
                start = i + 1;
                b.open_list();
                is_comb = false;
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    is_comb = true;
                    b.open_list();
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    let it = parse_item(is_comb, true, &v[start..i]);
                    b.cur().push(it);
                    start = i;
                    b.stack.push(Vec::new());
                    is_comb = false;
                }
                is_digit = false;
            }
            k += 1;
        }
        if v.len() > start {
            // `1.0.0.X1 < 1.0.0-X2`: a trailing `.X` is `-X`.
            if !is_digit {
                b.open_list();
            }
            let it = parse_item(is_comb, is_digit, &v[start..]);
            b.cur().push(it);
        }
        Ok(Self {
            root: Item::List(b.finish()),
        })
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp(&self.root, Some(&other.root))
    }
}
impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for MavenVersion {}
