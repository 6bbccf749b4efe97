//! A per-thread memo of parsed versions. Matching compares one package version with every bound
//! of every candidate advisory, and a re-match of thousands of components meets the same bounds
//! again and again; some parsers (PEP 440's grammar) cost microseconds. Parsing is a pure
//! function of the scheme and the string, so the memo changes no answer. Bounded: each scheme
//! keeps at most [`PER_SCHEME`] strings and starts over when full.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::{Scheme, Version};

/// Most strings remembered per scheme and thread.
const PER_SCHEME: usize = 8192;
/// Strings longer than this are parsed every time (they are rare, and would make the memo's
/// memory depend on its input).
const MAX_KEY: usize = 128;

type Parsed = Result<Version, String>;

thread_local! {
    static MEMO: RefCell<Vec<HashMap<Box<str>, Parsed>>> = const { RefCell::new(Vec::new()) };
}

/// The parse of `s` in `scheme`, from the memo or from `parse`.
pub(crate) fn parse(scheme: Scheme, s: &str, parse: impl FnOnce() -> Parsed) -> Parsed {
    if s.len() > MAX_KEY {
        return parse();
    }
    let slot = scheme as usize;
    if let Some(hit) = MEMO.with(|m| m.borrow().get(slot).and_then(|t| t.get(s).cloned())) {
        return hit;
    }
    let r = parse();
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() <= slot {
            m.resize_with(slot + 1, HashMap::new);
        }
        let t = &mut m[slot];
        if t.len() >= PER_SCHEME {
            t.clear();
        }
        t.insert(s.into(), r.clone());
    });
    r
}

#[cfg(test)]
mod tests {
    use crate::{Ecosystem, Version};

    /// The memo answers as the parser does, for good and bad strings, and stays bounded.
    #[test]
    fn memo_answers_as_the_parser_and_stays_bounded() {
        for s in ["1.0", "1.0.post1", "not a version!", "2!1.0rc1", "1.0"] {
            let first = Version::parse(Ecosystem::PyPI, s).map(|v| format!("{v:?}"));
            let again = Version::parse(Ecosystem::PyPI, s).map(|v| format!("{v:?}"));
            let direct = Version::parse_uncached(crate::Scheme::Pep440, s)
                .map(|v| format!("{v:?}"))
                .map_err(|r| crate::VersionError::invalid(Ecosystem::PyPI, s, r));
            assert_eq!(first, again);
            assert_eq!(first, direct);
        }
        for i in 0..(super::PER_SCHEME + 10) {
            Version::parse(Ecosystem::PyPI, &format!("1.{i}")).unwrap();
        }
        let n = super::MEMO.with(|m| m.borrow()[crate::Scheme::Pep440 as usize].len());
        assert!(n <= super::PER_SCHEME, "{n}");
    }
}
