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

/// Parse an npm version (node-semver, `loose`).
///
/// # Errors
/// A reason string.
pub fn parse_version(s: &str) -> Result<SemVer, String> {
    if s.len() > MAX_LENGTH {
        return Err(format!("longer than {MAX_LENGTH} characters"));
    }
    SemVer::parse_with(s, &LOOSE)
}
