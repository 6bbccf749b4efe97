//! Where imported records go: the [`Builder`] plus the import's bookkeeping (counts, the first
//! malformed items, size caps, the ecosystem filter).
//!
//! Its own module because every reader puts into it: the file, directory and zip readers in
//! [`crate::import`], the export-file reader in [`crate::export`], and `db update`. The readers
//! depend on the sink, never on each other through it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::Result;
use crate::model::Advisory;
use crate::store::{Builder, PutOutcome};

/// Size caps applied to every input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single JSON/YAML file or zip entry (uncompressed).
    pub max_entry: u64,
    /// Largest total uncompressed size of one archive.
    pub max_total: u64,
    /// Largest uncompressed/compressed ratio of one zip entry.
    pub max_ratio: u64,
    /// Most entries in one archive.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entry: 64 << 20,
            max_total: 8 << 30,
            max_ratio: 1000,
            max_entries: 2_000_000,
        }
    }
}

/// How many malformed records are named in the report.
pub const MAX_EXAMPLES: usize = 10;

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// Records read and valid (including converted ones).
    pub records: u64,
    pub inserted: u64,
    pub replaced: u64,
    /// Records not stored because the DB already had a newer version of the same id.
    pub kept_newer: u64,
    /// Records (or feed entries) skipped because they did not parse.
    pub malformed: u64,
    /// The first [`MAX_EXAMPLES`] malformed items: `path[: id]: reason`.
    pub malformed_examples: Vec<String>,
    /// Files that are not advisory data (README, LICENSE, .txt) and were ignored.
    pub ignored_files: u64,
    /// The first [`MAX_EXAMPLES`] ignored files: `path: reason`.
    pub ignored_examples: Vec<String>,
    /// Files (and archive entries) looked at.
    pub files: u64,
    /// Inputs (command-line paths) that held no advisory record at all.
    pub inputs_without_records: Vec<String>,
    /// Records produced by feed converters (Debian tracker, Alpine secdb).
    pub converted: u64,
}

impl ImportReport {
    fn bad(&mut self, what: String) {
        self.malformed += 1;
        if self.malformed_examples.len() < MAX_EXAMPLES {
            self.malformed_examples.push(what);
        }
    }

    fn ignored(&mut self, what: String) {
        self.ignored_files += 1;
        if self.ignored_examples.len() < MAX_EXAMPLES {
            self.ignored_examples.push(what);
        }
    }
}

/// A destination for records: the builder plus bookkeeping.
pub struct Sink<'a> {
    pub builder: &'a mut Builder,
    pub report: ImportReport,
    pub limits: Limits,
    pub progress: ProgressBar,
    /// When non-empty, keep only records with an affected entry in one of these base ecosystems
    /// (OSV names, case-insensitive).
    pub ecosystems: Vec<String>,
}

impl<'a> Sink<'a> {
    /// A sink writing into `builder`; `progress` draws a bar on stderr.
    pub fn new(builder: &'a mut Builder, progress: bool) -> Self {
        let pb = if progress {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} {human_pos} records {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb
        } else {
            ProgressBar::hidden()
        };
        Sink {
            builder,
            report: ImportReport::default(),
            limits: Limits::default(),
            progress: pb,
            ecosystems: Vec::new(),
        }
    }

    fn wanted(&self, adv: &Advisory) -> bool {
        if self.ecosystems.is_empty() {
            return true;
        }
        adv.affected.iter().any(|a| {
            a.package.as_ref().is_some_and(|p| {
                let base = p.ecosystem.split(':').next().unwrap_or("");
                self.ecosystems.iter().any(|e| e.eq_ignore_ascii_case(base))
            })
        })
    }

    /// Store one record.
    ///
    /// # Errors
    /// SQLite errors (malformed records are not errors).
    pub fn put(&mut self, adv: &Advisory, source: &str) -> Result<()> {
        if !self.wanted(adv) {
            return Ok(());
        }
        self.report.records += 1;
        match self.builder.put(adv, source)? {
            PutOutcome::Inserted => self.report.inserted += 1,
            PutOutcome::Replaced => self.report.replaced += 1,
            PutOutcome::KeptNewer => self.report.kept_newer += 1,
        }
        self.progress.inc(1);
        Ok(())
    }

    /// Record a malformed item.
    pub fn bad(&mut self, what: String) {
        self.report.bad(what);
    }

    /// Record a file that is not advisory data: `what` is `path: reason`.
    pub fn ignored(&mut self, what: String) {
        self.report.ignored(what);
    }

    /// Count one file (or archive entry) looked at.
    pub fn looked_at(&mut self) {
        self.report.files += 1;
    }
}
