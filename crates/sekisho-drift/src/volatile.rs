//! The volatile list: paths a running container is expected to write (temporary files, runtime
//! state, caches, logs). Changes there are reported on their own and never trip
//! `--fail-on-drift`.
//!
//! A pattern is a glob over the absolute path (`/var/log`, `/var/lib/apt/lists/*`); a path is
//! volatile when the pattern matches it or one of its parent directories, so `/tmp` covers
//! everything below it.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::tree::ancestors;

/// The documented defaults (docs/drift.md).
pub const DEFAULTS: &[&str] = &[
    "/tmp",
    "/var/tmp",
    "/run",
    "/var/run",
    "/var/cache",
    "/var/log",
    "/var/lock",
    "/dev/shm",
    "/var/lib/apt/lists",
    "/var/lib/dhcp",
    "/root/.cache",
    "/home/*/.cache",
    "/root/.bash_history",
    "/home/*/.bash_history",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/mtab",
    "/etc/ld.so.cache",
    "/**/__pycache__",
];

/// A compiled volatile list.
#[derive(Debug, Clone)]
pub struct Volatile {
    patterns: Vec<String>,
    set: GlobSet,
}

/// A pattern that is not a glob.
#[derive(Debug, thiserror::Error)]
#[error("bad volatile pattern {pattern:?}: {message}")]
pub struct PatternError {
    pub pattern: String,
    pub message: String,
}

fn glob(p: &str) -> Result<Glob, PatternError> {
    let rel = p.trim_start_matches('/');
    let rel = rel.trim_end_matches('/');
    GlobBuilder::new(rel)
        .literal_separator(true)
        .build()
        .map_err(|e| PatternError {
            pattern: p.to_string(),
            message: e.to_string(),
        })
}

impl Volatile {
    /// A list of patterns.
    ///
    /// # Errors
    /// When a pattern is not a glob.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, PatternError> {
        let mut b = GlobSetBuilder::new();
        let mut kept = Vec::new();
        for p in patterns {
            let p = p.as_ref();
            b.add(glob(p)?);
            kept.push(p.to_string());
        }
        let set = b.build().map_err(|e| PatternError {
            pattern: kept.join(","),
            message: e.to_string(),
        })?;
        Ok(Self {
            patterns: kept,
            set,
        })
    }

    /// The defaults.
    pub fn defaults() -> Self {
        Self::new(DEFAULTS).expect("default volatile patterns are globs")
    }

    /// The defaults with `extra` added (`--volatile`), or `extra` alone when `replace`.
    ///
    /// # Errors
    /// When a pattern is not a glob.
    pub fn with(extra: &[String], replace: bool) -> Result<Self, PatternError> {
        let mut all: Vec<String> = if replace {
            Vec::new()
        } else {
            DEFAULTS.iter().map(|s| (*s).to_string()).collect()
        };
        all.extend(extra.iter().cloned());
        Self::new(&all)
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether `path` (normalised, no leading slash) or a parent directory is volatile.
    pub fn matches(&self, path: &str) -> bool {
        self.set.is_match(path) || ancestors(path).any(|a| self.set.is_match(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_subtrees_only() {
        let v = Volatile::defaults();
        assert!(v.matches("tmp") && v.matches("tmp/a/b") && v.matches("var/log/apt/term.log"));
        assert!(v.matches("home/ann/.cache/x") && v.matches("usr/lib/python3/__pycache__/a.pyc"));
        assert!(!v.matches("tmpx") && !v.matches("etc/passwd") && !v.matches("usr/bin/tmp"));
        let own = Volatile::with(&["/srv/data/*.db".into()], true).unwrap();
        assert!(own.matches("srv/data/a.db") && !own.matches("tmp/x"));
        assert!(Volatile::new(&["/a/[".to_string()]).is_err());
    }
}
