//! What a running scan tells its caller, and how the caller stops it. Both are passed in, so a
//! server can run many scans at once, each with its own progress sink, cancel switch and bounds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sekisho_artifact::{LayerInfo, Note};

/// Something a scan reports while it runs. The CLI prints these on stderr; a server records
/// them as job status.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A registry pull begins.
    Pulling { reference: &'a str },
    /// The partitions of a VM disk (a plain-text table).
    Partitions { disk: &'a str, table: &'a str },
    /// Reading a target's files begins.
    Cataloguing { target: &'a str },
    /// A layer was read (or served from the cache).
    Layer {
        info: &'a LayerInfo,
        entries: u64,
        bytes: u64,
        cached: bool,
    },
    /// A target's files were read and its packages found.
    Catalogued {
        target: &'a str,
        packages: usize,
        seconds: f64,
    },
    /// Things skipped or not understood in a target (all of them are in the report too).
    Notes { target: &'a str, notes: &'a [Note] },
    /// The vulnerability DB is missing and will be downloaded: from `source`, the `downloads`
    /// (URLs). Sent before anything is fetched.
    DbDownload {
        path: &'a str,
        source: &'a str,
        ecosystems: &'a [String],
        downloads: &'a [String],
    },
    /// The size of the download announced by [`Event::DbDownload`], as the server says it
    /// (`known` of the downloads had a size; `bytes` is their sum).
    DbDownloadSize {
        bytes: u64,
        known: usize,
        downloads: usize,
    },
    /// A target was matched against the DB and the policy applied.
    Matched {
        target: &'a str,
        packages: usize,
        shown: usize,
        hidden: usize,
        seconds: f64,
    },
    /// An analyzer ran over a target.
    Analyzed {
        target: &'a str,
        analyzer: &'a str,
        findings: usize,
        seconds: f64,
    },
    /// Something the user should know (a stale DB, an expired ignore rule).
    Warning { message: &'a str },
}

/// Where progress goes.
pub trait Progress: Send + Sync {
    fn event(&self, event: &Event<'_>);
}

/// A progress sink that drops everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn event(&self, _: &Event<'_>) {}
}

/// The switch a caller flips to stop a scan: checked between entries of every layer walk and
/// between stages.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the scan to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn flag(&self) -> &AtomicBool {
        &self.0
    }
}
