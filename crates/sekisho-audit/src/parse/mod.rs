//! Parsers for the text files the kernel exposes under `/proc` and `/sys`.
//!
//! Everything here is pure: bytes in, typed values out, no I/O. The input is untrusted (a
//! fixture, or a `/proc` that a hostile container runtime may have faked), so the parsers never
//! panic, cap how many lines and entries they keep, and skip what they do not understand instead
//! of guessing. Each parser has a fuzz target under `fuzz/fuzz_targets/audit_*.rs`.

#![forbid(unsafe_code)]

pub mod cgroup;
pub mod idmap;
pub mod mountinfo;
pub mod nsfs;
pub mod status;

/// The most lines any parser looks at; `/proc` files are small, and a host with more mounts than
/// this is reported as truncated by the caller.
pub const MAX_LINES: usize = 100_000;

/// Parse a decimal or `max`-style limit: `None` for "max"/unlimited.
pub fn parse_limit(s: &str) -> Option<u64> {
    let s = s.trim();
    if s == "max" || s.is_empty() {
        return None;
    }
    s.parse::<u64>().ok()
}
