//! Maven versions, ordered as Maven 4's `ComparableVersion` orders them (the POM reference,
//! "Version Order Specification", <https://maven.apache.org/pom.html#version-order-specification>).
//!
//! A version is split on `.`, `-` and digit/letter transitions into a tree: `-` (and a
//! letter→digit transition) opens a nested list. Numbers compare numerically; known qualifiers
//! order `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`, unknown
//! qualifiers sort after them lexically. Maven 4 (MNG-7644) treats a letter-digit run such as
//! `rc1` or `X-1` as one "combination" item, so `1.0.0.RC1 < 1.0.0-RC2` and `2-abc == 2.0.abc`.
//! Trailing "null" items (0, empty or release qualifiers) are dropped, so `1.0 == 1`.

use std::cmp::Ordering;

use crate::semver::num_cmp;

/// Maven refuses longer version strings.
pub const MAX_LEN: usize = 256;

#[derive(Debug, Clone)]
enum Item {
    /// Decimal digits without leading zeros ("0" for zero).
    Num(String),
    /// A qualifier, lowercased, aliases applied.
    Str(String),
    /// A qualifier followed by a number (`rc1`, `X-1`).
    Comb(String, String),
    List(Vec<Item>),
}

fn strip_zeros(s: &str) -> String {
    let t = s.trim_start_matches('0');
    if t.is_empty() { "0".into() } else { t.into() }
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let v = match value {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        v => v,
    };
    let v = if v == "cr" { "rc" } else { v };
    Item::Str(v.to_string())
}

/// The comparable form of a qualifier.
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

fn parse_item(combination: bool, digit: bool, buf: &str) -> Item {
    if combination {
        let buf: String = buf.chars().filter(|c| *c != '-').collect();
        let idx = buf.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let Item::Str(s) = string_item(&buf[..idx], true) else {
            unreachable!("string_item returns Str")
        };
        Item::Comb(s, strip_zeros(&buf[idx..]))
    } else if digit {
        Item::Num(strip_zeros(buf))
    } else {
        string_item(buf, false)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Num(n) => n == "0",
            Item::Str(s) => s.is_empty(),
            Item::Comb(..) => false,
            Item::List(l) => l.is_empty(),
        }
    }
}

fn neg(o: Ordering) -> Ordering {
    o.reverse()
}

/// `a.compareTo(b)`, with `None` for Java's `null` (a missing item).
fn cmp(a: &Item, b: Option<&Item>) -> Ordering {
    match a {
        Item::Num(x) => match b {
            None => {
                if x == "0" {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Some(Item::Num(y)) => num_cmp(x, y),
            Some(_) => Ordering::Greater,
        },
        Item::Str(x) => match b {
            None => qualifier_key(x).cmp(&"5".to_string()),
            Some(Item::Num(_)) => Ordering::Less,
            Some(Item::Str(y)) => qualifier_key(x).cmp(&qualifier_key(y)),
            Some(Item::Comb(s, d)) => {
                let r = cmp(a, Some(&Item::Str(s.clone())));
                if r == Ordering::Equal {
                    if cmp(a, None) == Ordering::Equal {
                        return neg(cmp(&Item::Num(d.clone()), None));
                    }
                    return Ordering::Less;
                }
                r
            }
            Some(l @ Item::List(_)) => neg(cmp(l, Some(a))),
        },
        Item::Comb(s, d) => {
            let sp = Item::Str(s.clone());
            match b {
                None => {
                    let r = cmp(&sp, None);
                    if r == Ordering::Equal {
                        return cmp(&Item::Num(d.clone()), None);
                    }
                    r
                }
                Some(Item::Num(_)) => Ordering::Less,
                Some(other @ Item::Str(_)) => {
                    let r = cmp(&sp, Some(other));
                    if r == Ordering::Equal {
                        if cmp(&sp, None) == Ordering::Equal {
                            return cmp(&Item::Num(d.clone()), None);
                        }
                        return Ordering::Greater;
                    }
                    r
                }
                Some(l @ Item::List(_)) => neg(cmp(l, Some(a))),
                Some(Item::Comb(s2, d2)) => {
                    let r = cmp(&sp, Some(&Item::Str(s2.clone())));
                    if r == Ordering::Equal {
                        return num_cmp(d, d2);
                    }
                    r
                }
            }
        }
        Item::List(items) => match b {
            None => {
                for i in items {
                    let r = cmp(i, None);
                    if r != Ordering::Equal {
                        return r;
                    }
                }
                Ordering::Equal
            }
            Some(Item::Num(_)) => Ordering::Less,
            Some(other @ (Item::Str(_) | Item::Comb(..))) => {
                let mut r = match items.first() {
                    None => neg(cmp(other, None)),
                    Some(first) => cmp(first, Some(other)),
                };
                let mut i = 1;
                while r == Ordering::Equal && i < items.len() {
                    r = cmp(&items[i], None);
                    i += 1;
                }
                r
            }
            Some(Item::List(right)) => {
                let n = items.len().max(right.len());
                for i in 0..n {
                    let r = match (items.get(i), right.get(i)) {
                        (None, None) => Ordering::Equal,
                        (None, Some(r)) => neg(cmp(r, None)),
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

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if i >= list.len() {
            continue;
        }
        if list[i].is_null() {
            let remove = match list.get(i + 1) {
                None | Some(Item::Str(_)) => true,
                Some(Item::List(next)) => {
                    matches!(next.first(), Some(Item::Comb(..) | Item::Str(_)))
                }
                _ => false,
            };
            if remove {
                list.remove(i);
            }
        }
    }
    if list.len() == 1
        && let Some(Item::List(inner)) = list.first()
    {
        let inner = inner.clone();
        *list = inner;
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    root: Item,
}

/// Builder state: a path of nested lists, innermost last.
struct Builder {
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn cur(&mut self) -> &mut Vec<Item> {
        self.stack.last_mut().expect("root list always present")
    }
    fn push_list(&mut self) {
        self.stack.push(Vec::new());
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
    /// Parse any string (Maven accepts every string up to 256 characters).
    ///
    /// # Errors
    /// An empty or over-long string.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("empty version".into());
        }
        if s.chars().count() > MAX_LEN {
            return Err(format!("longer than {MAX_LEN} characters"));
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
                if i == start {
                    b.cur().push(Item::Num("0".into()));
                } else {
                    let it = parse_item(is_comb, is_digit, &v[start..i]);
                    b.cur().push(it);
                }
                is_comb = false;
                start = i + 1;
            } else if c == '-' {
                if i == start {
                    b.cur().push(Item::Num("0".into()));
                } else {
                    if !is_digit
                        && let Some((_, c1)) = chars.get(k + 1)
                        && c1.is_ascii_digit()
                    {
                        is_comb = true;
                        k += 1;
                        continue;
                    }
                    let it = parse_item(is_comb, is_digit, &v[start..i]);
                    b.cur().push(it);
                }
                start = i + 1;
                if !b.cur().is_empty() {
                    b.push_list();
                }
                is_comb = false;
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    is_comb = true;
                    if !b.cur().is_empty() {
                        b.push_list();
                    }
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    let it = parse_item(is_comb, true, &v[start..i]);
                    b.cur().push(it);
                    start = i;
                    b.push_list();
                    is_comb = false;
                }
                is_digit = false;
            }
            k += 1;
        }
        if v.len() > start {
            if !is_digit && !b.cur().is_empty() {
                b.push_list();
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
