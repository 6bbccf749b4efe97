//! npm versions and ranges, as node-semver (the `semver` package npm uses) parses and orders
//! them: <https://github.com/npm/node-semver#versions> and `#ranges`.
//!
//! Versions are SemVer 2.0 parsed "loosely" (leading `v`/`=`/spaces, numbers up to
//! `Number.MAX_SAFE_INTEGER`, at most 256 characters). Ranges are the full range grammar:
//! `||`-separated sets of space-separated comparators, with hyphen ranges, X-ranges, `~` and `^`,
//! desugared to primitive comparators the way node-semver does, with its pre-release rule
//! (a pre-release version only satisfies a comparator set in which some comparator has a
//! pre-release on the same `major.minor.patch`).

use crate::semver::{JS_MAX_SAFE_INTEGER, SemVer, Syntax};

/// node-semver's `MAX_LENGTH`.
pub const MAX_LENGTH: usize = 256;

/// How npm versions are parsed (`loose: true` is what npm's registry tools use for installed
/// packages; strict parsing is a subset).
pub const LOOSE: Syntax = Syntax {
    v_prefix: true,
    loose: true,
    shorthand: false,
    max_number: Some(JS_MAX_SAFE_INTEGER),
};

/// node-semver's default (non-loose) syntax.
pub const STRICT: Syntax = Syntax {
    v_prefix: true,
    loose: false,
    shorthand: false,
    max_number: Some(JS_MAX_SAFE_INTEGER),
};

/// Parse an npm version as npm does (node-semver's `new SemVer(v, { loose: true })`).
///
/// # Errors
/// A reason string.
pub fn parse_version(s: &str) -> Result<SemVer, String> {
    parse_node(s, true)
}

/// JavaScript's `\s` (and what `String.prototype.trim` removes).
const JS_SPACE: &str = r"\t\n\x0B\x0C\r \u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}";

fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0B' | '\x0C' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// node-semver's `FULL` and `LOOSE` regular expressions (`internal/re.js`), built from the same
/// tokens. A backtracking engine and this one agree on which captures a match has (leftmost
/// first), so the odd matches node-semver makes are made here too: in loose mode `15.04.15.3`
/// is `15.4.1-5.3` (the patch gives its last digit to a hyphen-less pre-release).
static NODE_RE: LazyLock<[regex::Regex; 2]> = LazyLock::new(|| {
    let num = "0|[1-9][0-9]*";
    let num_loose = "[0-9]+";
    let non_num = "[0-9]*[a-zA-Z-][a-zA-Z0-9-]*";
    let build = r"(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))";
    let full = format!(
        r"^v?({num})\.({num})\.({num})(?:-((?:{non_num}|{num})(?:\.(?:{non_num}|{num}))*))?{build}?$"
    );
    let loose = format!(
        r"^[v={JS_SPACE}]*({num_loose})\.({num_loose})\.({num_loose})(?:-?((?:{non_num}|{num_loose})(?:\.(?:{non_num}|{num_loose}))*))?{build}?$"
    );
    [
        regex::Regex::new(&full).expect("static pattern"),
        regex::Regex::new(&loose).expect("static pattern"),
    ]
});

/// node-semver's `SemVer` constructor: at most 256 UTF-16 units, trimmed, matched against
/// `FULL` (or `LOOSE`), each number at most `Number.MAX_SAFE_INTEGER`; numeric pre-release
/// identifiers below it become numbers (`01` → `1`), larger ones stay strings.
///
/// # Errors
/// A reason string when node-semver throws.
pub fn parse_node(s: &str, loose: bool) -> Result<SemVer, String> {
    if s.encode_utf16().count() > MAX_LENGTH {
        return Err(format!("longer than {MAX_LENGTH} characters"));
    }
    let t = s.trim_matches(is_js_space);
    let c = NODE_RE[usize::from(loose)]
        .captures(t)
        .ok_or("not a node-semver version")?;
    let number = |i: usize, what: &str| -> Result<String, String> {
        let d = c.get(i).map_or("", |m| m.as_str());
        let n = d.trim_start_matches('0');
        let n = if n.is_empty() { "0" } else { n };
        if n.len() > 16 || n.parse::<u64>().map_or(true, |v| v > JS_MAX_SAFE_INTEGER) {
            return Err(format!(
                "{what} version {d:?} is above Number.MAX_SAFE_INTEGER"
            ));
        }
        Ok(n.to_string())
    };
    let (major, minor, patch) = (
        number(1, "major")?,
        number(2, "minor")?,
        number(3, "patch")?,
    );
    let pre = c.get(4).map_or_else(Vec::new, |m| {
        m.as_str()
            .split('.')
            .map(|id| {
                if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
                    let n = id.trim_start_matches('0');
                    let n = if n.is_empty() { "0" } else { n };
                    if n.len() <= 16 && n.parse::<u64>().is_ok_and(|v| v < JS_MAX_SAFE_INTEGER) {
                        return crate::semver::Ident::Numeric(n.to_string());
                    }
                    // node keeps it as the string it was; it still compares numerically.
                    return crate::semver::Ident::Numeric(id.to_string());
                }
                crate::semver::Ident::AlphaNumeric(id.to_string())
            })
            .collect()
    });
    let build = c.get(5).map_or_else(Vec::new, |m| {
        m.as_str().split('.').map(str::to_string).collect()
    });
    Ok(SemVer {
        major,
        minor,
        patch,
        pre,
        build,
    })
}

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

/// node-semver `Range` options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RangeOptions {
    pub loose: bool,
    pub include_prerelease: bool,
}

/// The regular grammar of node-semver's range syntax, written out from its README. Numbers are
/// ASCII digits only.
struct Grammar {
    hyphen: Regex,
    comparator_trim: Regex,
    tilde_trim: Regex,
    caret_trim: Regex,
    tilde: Regex,
    caret: Regex,
    xrange: Regex,
    star: Regex,
    build: Regex,
    comparator: Regex,
    gte0: Regex,
    gte0_pre: Regex,
}

fn grammar(loose: bool) -> Grammar {
    let num = r"0|[1-9][0-9]*";
    let num_loose = r"[0-9]+";
    let nonnum = r"[0-9]*[a-zA-Z-][a-zA-Z0-9-]*";
    let n = if loose { num_loose } else { num };
    let prid = format!("(?:{n}|{nonnum})");
    let pre = if loose {
        format!(r"(?:-?({prid}(?:\.{prid})*))")
    } else {
        format!(r"(?:-({prid}(?:\.{prid})*))")
    };
    let build = r"(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))";
    let xrid = format!(r"{n}|x|X|\*");
    let xplain = format!(r"[v=\s]*({xrid})(?:\.({xrid})(?:\.({xrid})(?:{pre})?{build}?)?)?");
    let main = format!(r"({n})\.({n})\.({n})");
    let plain = if loose {
        format!(r"[v=\s]*{main}{pre}?{build}?")
    } else {
        format!(r"v?{main}{pre}?{build}?")
    };
    let looseplain = format!(
        r"[v=\s]*({num_loose})\.({num_loose})\.({num_loose})(?:-?({p}(?:\.{p})*))?{build}?",
        p = format!("(?:{num_loose}|{nonnum})")
    );
    let gtlt = r"((?:<|>)?=?)";
    let re = |s: &str| Regex::new(s).expect("static npm grammar");
    Grammar {
        hyphen: re(&format!(r"^\s*({xplain})\s+-\s+({xplain})\s*$")),
        comparator_trim: re(&format!(r"(\s*){gtlt}\s*({looseplain}|{xplain})")),
        tilde_trim: re(r"(\s*)~>?\s+"),
        caret_trim: re(r"(\s*)\^\s+"),
        tilde: re(&format!(r"^~>?{xplain}$")),
        caret: re(&format!(r"^\^{xplain}$")),
        xrange: re(&format!(r"^{gtlt}\s*{xplain}$")),
        star: re(r"(<|>)?=?\s*\*"),
        build: re(build),
        comparator: re(&format!(r"^{gtlt}\s*({plain})$|^$")),
        gte0: re(r"^\s*>=\s*0\.0\.0\s*$"),
        gte0_pre: re(r"^\s*>=\s*0\.0\.0-0\s*$"),
    }
}

static STRICT_GRAMMAR: LazyLock<Grammar> = LazyLock::new(|| grammar(false));
static LOOSE_GRAMMAR: LazyLock<Grammar> = LazyLock::new(|| grammar(true));

fn is_x(id: Option<&str>) -> bool {
    match id {
        None => true,
        Some(s) => s.is_empty() || s.eq_ignore_ascii_case("x") || s == "*",
    }
}

/// node-semver 7.8 rejects a wildcard followed by a concrete component (`1.x.5`, `x.1`).
fn check_x_order(parts: [Option<&str>; 3]) -> Result<(), String> {
    let mut seen_x = false;
    for p in parts {
        match p {
            None => break,
            Some(_) if is_x(p) => seen_x = true,
            Some(s) if seen_x => return Err(format!("{s:?} after a wildcard")),
            Some(_) => {}
        }
    }
    Ok(())
}

/// `+id + 1` for a decimal string.
fn inc(s: &str) -> String {
    let mut digits: Vec<u8> = s.trim_start_matches('0').bytes().collect();
    if digits.is_empty() {
        return "1".into();
    }
    let mut i = digits.len();
    loop {
        if i == 0 {
            digits.insert(0, b'1');
            break;
        }
        i -= 1;
        if digits[i] == b'9' {
            digits[i] = b'0';
        } else {
            digits[i] += 1;
            break;
        }
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// `+id` (a JS number printed back).
fn numstr(s: &str) -> String {
    let t = s.trim_start_matches('0');
    if t.is_empty() { "0".into() } else { t.into() }
}

fn cap<'a>(c: &'a regex::Captures<'_>, i: usize) -> Option<&'a str> {
    c.get(i).map(|m| m.as_str())
}

fn replace_caret(g: &Grammar, comp: &str, opts: RangeOptions) -> Result<String, String> {
    let Some(c) = g.caret.captures(comp) else {
        return Ok(comp.to_string());
    };
    let (mj, mn, pa, pr) = (cap(&c, 1), cap(&c, 2), cap(&c, 3), cap(&c, 4));
    check_x_order([mj, mn, pa])?;
    let z = if opts.include_prerelease { "-0" } else { "" };
    let (mj_s, mn_s, pa_s) = (mj.unwrap_or(""), mn.unwrap_or(""), pa.unwrap_or(""));
    Ok(if is_x(mj) {
        String::new()
    } else if is_x(mn) {
        format!(">={mj_s}.0.0{z} <{}.0.0-0", inc(mj_s))
    } else if is_x(pa) {
        if mj_s == "0" {
            format!(">={mj_s}.{mn_s}.0{z} <{mj_s}.{}.0-0", inc(mn_s))
        } else {
            format!(">={mj_s}.{mn_s}.0{z} <{}.0.0-0", inc(mj_s))
        }
    } else if let Some(pr) = pr {
        if mj_s == "0" {
            if mn_s == "0" {
                format!(">={mj_s}.{mn_s}.{pa_s}-{pr} <{mj_s}.{mn_s}.{}-0", inc(pa_s))
            } else {
                format!(">={mj_s}.{mn_s}.{pa_s}-{pr} <{mj_s}.{}.0-0", inc(mn_s))
            }
        } else {
            format!(">={mj_s}.{mn_s}.{pa_s}-{pr} <{}.0.0-0", inc(mj_s))
        }
    } else if mj_s == "0" {
        if mn_s == "0" {
            format!(">={mj_s}.{mn_s}.{pa_s} <{mj_s}.{mn_s}.{}-0", inc(pa_s))
        } else {
            format!(">={mj_s}.{mn_s}.{pa_s} <{mj_s}.{}.0-0", inc(mn_s))
        }
    } else {
        format!(">={mj_s}.{mn_s}.{pa_s} <{}.0.0-0", inc(mj_s))
    })
}

fn replace_tilde(g: &Grammar, comp: &str, opts: RangeOptions) -> Result<String, String> {
    let Some(c) = g.tilde.captures(comp) else {
        return Ok(comp.to_string());
    };
    let (mj, mn, pa, pr) = (cap(&c, 1), cap(&c, 2), cap(&c, 3), cap(&c, 4));
    check_x_order([mj, mn, pa])?;
    let z = if opts.include_prerelease { "-0" } else { "" };
    let (mj_s, mn_s, pa_s) = (mj.unwrap_or(""), mn.unwrap_or(""), pa.unwrap_or(""));
    Ok(if is_x(mj) {
        String::new()
    } else if is_x(mn) {
        format!(">={mj_s}.0.0{z} <{}.0.0-0", inc(mj_s))
    } else if is_x(pa) {
        format!(">={mj_s}.{mn_s}.0{z} <{mj_s}.{}.0-0", inc(mn_s))
    } else if let Some(pr) = pr {
        format!(">={mj_s}.{mn_s}.{pa_s}-{pr} <{mj_s}.{}.0-0", inc(mn_s))
    } else {
        format!(">={mj_s}.{mn_s}.{pa_s} <{mj_s}.{}.0-0", inc(mn_s))
    })
}

fn replace_xrange(g: &Grammar, comp: &str, opts: RangeOptions) -> Result<String, String> {
    let comp = comp.trim();
    let Some(c) = g.xrange.captures(comp) else {
        return Ok(comp.to_string());
    };
    let mut gtlt = cap(&c, 1).unwrap_or("").to_string();
    let (mj, mn, pa) = (cap(&c, 2), cap(&c, 3), cap(&c, 4));
    check_x_order([mj, mn, pa])?;
    let xm_major = is_x(mj);
    let xm = xm_major || is_x(mn);
    let xp = xm || is_x(pa);
    let any_x = xp;
    if gtlt == "=" && any_x {
        gtlt.clear();
    }
    let mut pr = if opts.include_prerelease { "-0" } else { "" };
    let (mut mj_s, mut mn_s) = (mj.unwrap_or("").to_string(), mn.unwrap_or("").to_string());
    Ok(if xm_major {
        if gtlt == ">" || gtlt == "<" {
            "<0.0.0-0".to_string()
        } else {
            "*".to_string()
        }
    } else if !gtlt.is_empty() && any_x {
        if xm {
            mn_s = "0".into();
        }
        let mut pa_s = "0".to_string();
        if gtlt == ">" {
            gtlt = ">=".into();
            if xm {
                mj_s = inc(&mj_s);
                mn_s = "0".into();
                pa_s = "0".into();
            } else {
                mn_s = inc(&mn_s);
                pa_s = "0".into();
            }
        } else if gtlt == "<=" {
            gtlt = "<".into();
            if xm {
                mj_s = inc(&mj_s);
            } else {
                mn_s = inc(&mn_s);
            }
        }
        if gtlt == "<" {
            pr = "-0";
        }
        format!(
            "{gtlt}{}.{}.{}{pr}",
            numstr(&mj_s),
            numstr(&mn_s),
            numstr(&pa_s)
        )
    } else if xm {
        format!(">={mj_s}.0.0{pr} <{}.0.0-0", inc(&mj_s))
    } else if xp {
        format!(">={mj_s}.{mn_s}.0{pr} <{mj_s}.{}.0-0", inc(&mn_s))
    } else {
        comp.to_string()
    })
}

fn each_word(s: &str, f: impl Fn(&str) -> Result<String, String>) -> Result<String, String> {
    Ok(s.split_whitespace()
        .map(f)
        .collect::<Result<Vec<_>, _>>()?
        .join(" "))
}

fn hyphen_replace(c: &regex::Captures<'_>, opts: RangeOptions) -> Result<String, String> {
    let (from, fm, fmi, fp, fpr) = (
        cap(c, 1).unwrap_or(""),
        cap(c, 2),
        cap(c, 3),
        cap(c, 4),
        cap(c, 5),
    );
    let (to, tm, tmi, tp, tpr) = (
        cap(c, 7).unwrap_or(""),
        cap(c, 8),
        cap(c, 9),
        cap(c, 10),
        cap(c, 11),
    );
    check_x_order([fm, fmi, fp])?;
    check_x_order([tm, tmi, tp])?;
    let z = if opts.include_prerelease { "-0" } else { "" };
    let from = if is_x(fm) {
        String::new()
    } else if is_x(fmi) {
        format!(">={}.0.0{z}", fm.unwrap_or(""))
    } else if is_x(fp) {
        format!(">={}.{}.0{z}", fm.unwrap_or(""), fmi.unwrap_or(""))
    } else if fpr.is_some() {
        format!(">={from}")
    } else {
        format!(">={from}{z}")
    };
    let to = if is_x(tm) {
        String::new()
    } else if is_x(tmi) {
        format!("<{}.0.0-0", inc(tm.unwrap_or("")))
    } else if is_x(tp) {
        format!("<{}.{}.0-0", tm.unwrap_or(""), inc(tmi.unwrap_or("")))
    } else if let Some(tpr) = tpr {
        format!(
            "<={}.{}.{}-{tpr}",
            tm.unwrap_or(""),
            tmi.unwrap_or(""),
            tp.unwrap_or("")
        )
    } else if opts.include_prerelease {
        format!(
            "<{}.{}.{}-0",
            tm.unwrap_or(""),
            tmi.unwrap_or(""),
            inc(tp.unwrap_or(""))
        )
    } else {
        format!("<={to}")
    };
    Ok(format!("{from} {to}").trim().to_string())
}

/// A primitive comparator: `op` is one of "", "<", "<=", ">", ">="; `version` None = any.
#[derive(Debug, Clone)]
pub struct Comparator {
    pub op: String,
    pub version: Option<SemVer>,
}

impl Comparator {
    /// node-semver's `comparator.value`.
    pub fn value(&self) -> String {
        match &self.version {
            None => String::new(),
            Some(v) => format!("{}{}", self.op, js_version(v)),
        }
    }

    fn test(&self, v: &SemVer) -> bool {
        let Some(c) = &self.version else {
            return true;
        };
        let o = v.cmp(c);
        match self.op.as_str() {
            "" => o == Ordering::Equal,
            "<" => o == Ordering::Less,
            "<=" => o != Ordering::Greater,
            ">" => o == Ordering::Greater,
            ">=" => o != Ordering::Less,
            _ => false,
        }
    }
}

/// `semver.version` as node-semver prints it (numeric identifiers as numbers).
fn js_version(v: &SemVer) -> String {
    let mut s = format!("{}.{}.{}", v.major, v.minor, v.patch);
    if !v.pre.is_empty() {
        let ids: Vec<String> = v
            .pre
            .iter()
            .map(|i| match i {
                crate::semver::Ident::Numeric(n) => numstr(n),
                crate::semver::Ident::AlphaNumeric(a) => a.clone(),
            })
            .collect();
        s.push('-');
        s.push_str(&ids.join("."));
    }
    s
}

/// A parsed node-semver range: `||`-separated sets of comparators that must all hold.
#[derive(Debug, Clone)]
pub struct Range {
    pub sets: Vec<Vec<Comparator>>,
    pub options: RangeOptions,
}

impl Range {
    /// Parse a range string (`>=1.2.3 <2 || ^3.1`, `1.x`, `~1.2`, `1.0 - 2.0`, `*`, …).
    ///
    /// # Errors
    /// A reason string for an invalid range.
    pub fn parse(range: &str, options: RangeOptions) -> Result<Self, String> {
        if range.len() > MAX_LENGTH * 4 {
            return Err("range string too long".into());
        }
        let g: &Grammar = if options.loose {
            &LOOSE_GRAMMAR
        } else {
            &STRICT_GRAMMAR
        };
        let raw = range.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut sets: Vec<Vec<Comparator>> = Vec::new();
        for part in raw.split("||") {
            let set = parse_set(g, part.trim(), options)?;
            if !set.is_empty() {
                sets.push(set);
            }
        }
        if sets.is_empty() {
            return Err("no comparators".into());
        }
        if sets.len() > 1 {
            let first = sets[0].clone();
            sets.retain(|c| c[0].value() != "<0.0.0-0");
            if sets.is_empty() {
                sets = vec![first];
            } else if sets.len() > 1
                && let Some(any) = sets
                    .iter()
                    .find(|c| c.len() == 1 && c[0].value().is_empty())
            {
                sets = vec![any.clone()];
            }
        }
        Ok(Self { sets, options })
    }

    /// node-semver's `range.range`: sets joined with `||`, comparators with spaces.
    pub fn canonical(&self) -> String {
        self.sets
            .iter()
            .map(|s| {
                s.iter()
                    .map(Comparator::value)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("||")
    }

    /// node-semver's `satisfies` for an already parsed version.
    pub fn satisfies(&self, v: &SemVer) -> bool {
        self.sets.iter().any(|set| self.test_set(set, v))
    }

    /// Parse `version` (with this range's looseness) and test it; invalid versions never satisfy.
    pub fn satisfies_str(&self, version: &str) -> bool {
        let syn = if self.options.loose { LOOSE } else { STRICT };
        if version.len() > MAX_LENGTH {
            return false;
        }
        SemVer::parse_with(version, &syn).is_ok_and(|v| self.satisfies(&v))
    }

    fn test_set(&self, set: &[Comparator], v: &SemVer) -> bool {
        if !set.iter().all(|c| c.test(v)) {
            return false;
        }
        if v.is_prerelease() && !self.options.include_prerelease {
            // A pre-release only matches when a comparator names a pre-release of the same
            // major.minor.patch.
            return set.iter().any(|c| {
                c.version.as_ref().is_some_and(|a| {
                    a.is_prerelease()
                        && a.major == v.major
                        && a.minor == v.minor
                        && a.patch == v.patch
                })
            });
        }
        true
    }

    /// node-semver's `outside(version, range, '>')` (`gtr`) when `greater`, else `ltr`.
    pub fn outside(&self, v: &SemVer, greater: bool) -> bool {
        if self.satisfies(v) {
            return false;
        }
        let (comp, ecomp) = if greater { (">", ">=") } else { ("<", "<=") };
        let gt = |a: &SemVer, b: &SemVer| {
            if greater { a > b } else { a < b }
        };
        let lt = |a: &SemVer, b: &SemVer| {
            if greater { a < b } else { a > b }
        };
        let lte = |a: &SemVer, b: &SemVer| !gt(a, b);
        let zero = Comparator {
            op: ">=".into(),
            version: SemVer::parse("0.0.0").ok(),
        };
        for set in &self.sets {
            let mut high: Option<&Comparator> = None;
            let mut low: Option<&Comparator> = None;
            for c in set {
                let c = if c.version.is_none() { &zero } else { c };
                let h = *high.get_or_insert(c);
                let l = *low.get_or_insert(c);
                let (Some(cv), Some(hv), Some(lv)) = (&c.version, &h.version, &l.version) else {
                    continue;
                };
                if gt(cv, hv) {
                    high = Some(c);
                } else if lt(cv, lv) {
                    low = Some(c);
                }
            }
            let (Some(high), Some(low)) = (high, low) else {
                continue;
            };
            if high.op == comp || high.op == ecomp {
                return false;
            }
            let Some(lv) = &low.version else { continue };
            if ((low.op.is_empty() || low.op == comp) && lte(v, lv))
                || (low.op == ecomp && lt(v, lv))
            {
                return false;
            }
        }
        true
    }
}

fn parse_set(g: &Grammar, part: &str, opts: RangeOptions) -> Result<Vec<Comparator>, String> {
    let mut range = match g.hyphen.captures(part) {
        Some(c) => hyphen_replace(&c, opts)?,
        None => part.to_string(),
    };
    range = g
        .comparator_trim
        .replace_all(&range, |c: &regex::Captures<'_>| {
            format!(
                "{}{}{}",
                cap(c, 1).unwrap_or(""),
                cap(c, 2).unwrap_or(""),
                cap(c, 3).unwrap_or("")
            )
        })
        .into_owned();
    range = g.tilde_trim.replace_all(&range, "${1}~").into_owned();
    range = g.caret_trim.replace_all(&range, "${1}^").into_owned();
    let parsed: Vec<String> = range
        .split(' ')
        .map(|comp| {
            let comp = g.build.replace(comp, "").into_owned();
            let comp = each_word(&comp, |c| replace_caret(g, c, opts))?;
            let comp = each_word(&comp, |c| replace_tilde(g, c, opts))?;
            let comp = each_word(&comp, |c| replace_xrange(g, c, opts))?;
            Ok(g.star.replace(comp.trim(), "").into_owned())
        })
        .collect::<Result<_, String>>()?;
    let joined = parsed.join(" ");
    let mut list: Vec<String> = joined
        .split_whitespace()
        .map(|c| {
            let re = if opts.include_prerelease {
                &g.gte0_pre
            } else {
                &g.gte0
            };
            re.replace(c.trim(), "").into_owned()
        })
        .collect();
    if joined.trim().is_empty() {
        list = vec![String::new()];
    }
    if opts.loose {
        list.retain(|c| g.comparator.is_match(c));
    }
    let mut out: Vec<Comparator> = Vec::new();
    for comp in list {
        let c = parse_comparator(g, &comp, opts)?;
        if c.value() == "<0.0.0-0" {
            return Ok(vec![c]);
        }
        let v = c.value();
        if let Some(existing) = out.iter_mut().find(|e| e.value() == v) {
            *existing = c;
        } else {
            out.push(c);
        }
    }
    if out.len() > 1 && out.iter().any(|c| c.value().is_empty()) {
        out.retain(|c| !c.value().is_empty());
    }
    Ok(out)
}

fn parse_comparator(g: &Grammar, comp: &str, opts: RangeOptions) -> Result<Comparator, String> {
    let comp = comp.split_whitespace().collect::<Vec<_>>().join(" ");
    let c = g
        .comparator
        .captures(&comp)
        .ok_or_else(|| format!("invalid comparator {comp:?}"))?;
    let mut op = cap(&c, 1).unwrap_or("").to_string();
    if op == "=" {
        op.clear();
    }
    let version = match cap(&c, 2) {
        None | Some("") => None,
        Some(v) => {
            let syn = if opts.loose { LOOSE } else { STRICT };
            Some(SemVer::parse_with(v, &syn)?)
        }
    };
    Ok(Comparator { op, version })
}

/// Whether `version` satisfies the npm range `range` (node-semver `satisfies`).
///
/// # Errors
/// A reason string when the range is invalid.
pub fn satisfies(version: &str, range: &str, options: RangeOptions) -> Result<bool, String> {
    Ok(Range::parse(range, options)?.satisfies_str(version))
}
