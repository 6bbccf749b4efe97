//! Reading advisory sources into a [`Builder`]: OSV JSON/YAML files, directory trees, OSV.dev
//! `all.zip` archives, sekisho export files, Debian tracker JSON and Alpine secdb (converted).
//!
//! A malformed record is skipped and counted (the first few are named); the import goes on.
//! Whole inputs are refused when over a size cap: zip archives are checked entry by entry against
//! [`Limits`] (declared and actual size, compression ratio, entry count, total) before any byte
//! is trusted.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::convert::{alpine, debian};
use crate::error::{DbError, Result};
use crate::export;
use crate::model::Advisory;
pub use crate::sink::{ImportReport, Limits, MAX_EXAMPLES, Sink};
use crate::store::Builder;

impl Sink<'_> {
    /// Parse and store one document of any supported kind; `name` is used in reports.
    ///
    /// # Errors
    /// SQLite errors; a document that does not parse is counted, not an error.
    pub fn document(&mut self, name: &str, bytes: &[u8], source: &str) -> Result<()> {
        let lower = name.to_ascii_lowercase();
        let value: Value = if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    self.bad(format!("{name}: not UTF-8: {e}"));
                    return Ok(());
                }
            };
            // YAML in the wild repeats keys (osv.dev's own OSV-130.yaml has two `references`):
            // the last one wins, as with the YAML loaders OSV tooling uses.
            let mut opts = serde_saphyr::Options::default();
            opts.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
            match serde_saphyr::from_str_with_options::<Value>(text, opts) {
                Ok(v) => v,
                Err(e) => {
                    let first = e.to_string().lines().next().unwrap_or("").to_string();
                    self.bad(format!("{name}: YAML: {first}"));
                    return Ok(());
                }
            }
        } else {
            // Fast path for the common case: a single OSV record.
            match serde_json::from_slice::<Value>(bytes) {
                Ok(v) => v,
                Err(e) => {
                    self.bad(format!("{name}: JSON: {e}"));
                    return Ok(());
                }
            }
        };
        self.value(name, value, source)
    }

    fn value(&mut self, name: &str, value: Value, source: &str) -> Result<()> {
        if value.get("id").is_some_and(Value::is_string) {
            let id = value["id"].as_str().unwrap_or("").to_string();
            match Advisory::from_value(value) {
                Ok(a) => self.put(&a, source)?,
                Err(e) => self.bad(format!("{name}: {id}: {e}")),
            }
        } else if value.get("affected").is_some_and(Value::is_array) {
            // An OSV-shaped record without a usable id is a broken record, not an unrelated file.
            self.bad(format!("{name}: record has no string `id`"));
        } else if debian::looks_like(&value) {
            let (recs, bad) = debian::convert(&value);
            for b in bad {
                self.bad(format!("{name}: {b}"));
            }
            self.report.converted += recs.len() as u64;
            for r in &recs {
                self.put(r, source)?;
            }
        } else if alpine::looks_like(&value) {
            let (recs, bad) = alpine::convert(&value);
            for b in bad {
                self.bad(format!("{name}: {b}"));
            }
            self.report.converted += recs.len() as u64;
            for r in &recs {
                self.put(r, source)?;
            }
        } else if let Value::Array(items) = value {
            // An array of OSV records (as the OSV API returns).
            if items
                .iter()
                .all(|i| i.get("id").is_some_and(Value::is_string))
                && !items.is_empty()
            {
                for (i, item) in items.into_iter().enumerate() {
                    self.value(&format!("{name}[{i}]"), item, source)?;
                }
            } else {
                self.ignored(format!(
                    "{name}: an array, but not of OSV records (each needs a string `id`)"
                ));
            }
        } else {
            // Valid JSON that is not advisory data (tool fixtures, configs): not a record.
            self.ignored(format!(
                "{name}: parses, but is not an OSV record, a Debian tracker or an Alpine secdb feed"
            ));
        }
        Ok(())
    }

    fn read_capped(&mut self, path: &Path) -> Result<Option<Vec<u8>>> {
        let len = std::fs::metadata(path)
            .map_err(|e| DbError::io(path, e))?
            .len();
        if len > self.limits.max_entry {
            self.bad(format!(
                "{}: {len} bytes, over the {} byte cap for one file",
                path.display(),
                self.limits.max_entry
            ));
            return Ok(None);
        }
        std::fs::read(path)
            .map(Some)
            .map_err(|e| DbError::io(path, e))
    }

    /// Import one path: a directory (recursively), a zip, an export file, or a JSON/YAML file.
    ///
    /// # Errors
    /// Unreadable paths, refused archives (zip bombs, bad checksums), SQLite errors.
    pub fn path(&mut self, path: &Path) -> Result<()> {
        let meta = std::fs::metadata(path).map_err(|e| DbError::io(path, e))?;
        let source = path.display().to_string();
        if meta.is_dir() {
            let mut files: Vec<PathBuf> = Vec::new();
            for e in walkdir::WalkDir::new(path).follow_links(false) {
                match e {
                    Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
                    Ok(e) if e.file_type().is_symlink() => {
                        self.looked_at();
                        self.ignored(format!(
                            "{}: a symbolic link, not followed",
                            e.path().display()
                        ));
                    }
                    Ok(_) => {}
                    Err(err) => {
                        let at = err.path().map_or_else(
                            || path.display().to_string(),
                            |p| p.display().to_string(),
                        );
                        self.looked_at();
                        self.ignored(format!("{at}: unreadable: {err}"));
                    }
                }
            }
            files.sort();
            for f in files {
                self.file(&f, &source)?;
            }
            Ok(())
        } else {
            self.file(path, &source)
        }
    }

    fn file(&mut self, f: &Path, source: &str) -> Result<()> {
        let name = f
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        self.progress.set_message(f.display().to_string());
        if name.ends_with(".zip") {
            self.looked_at();
            let file = std::fs::File::open(f).map_err(|e| DbError::io(f, e))?;
            return self.zip(&f.display().to_string(), file, source);
        }
        if export::is_export_file(f) {
            self.looked_at();
            let file = std::fs::File::open(f).map_err(|e| DbError::io(f, e))?;
            return export::read(file, &f.display().to_string(), self);
        }
        self.looked_at();
        if name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml") {
            if let Some(bytes) = self.read_capped(f)? {
                self.document(&f.display().to_string(), &bytes, source)?;
            }
        } else {
            self.ignored(format!(
                "{}: not .json, .yaml, .yml, .zip or a sekisho export file",
                f.display()
            ));
        }
        Ok(())
    }

    /// Import every `.json` entry of a zip archive (OSV.dev's `<Ecosystem>/all.zip`).
    ///
    /// # Errors
    /// [`DbError::Refused`] for an archive over the caps (declared sizes, ratio, entry count,
    /// total) or one that is not a zip; SQLite errors.
    pub fn zip<R: Read + Seek>(&mut self, name: &str, reader: R, source: &str) -> Result<()> {
        let mut z = zip::ZipArchive::new(reader)
            .map_err(|e| DbError::refused(name, format!("not a zip archive: {e}")))?;
        check_zip(name, &mut z, self.limits)?;
        let mut total: u64 = 0;
        for i in 0..z.len() {
            let mut e = z
                .by_index(i)
                .map_err(|err| DbError::refused(name, format!("entry {i}: {err}")))?;
            if e.is_dir() {
                continue;
            }
            let ename = format!("{name}!{}", e.name());
            let lower = e.name().to_ascii_lowercase();
            self.looked_at();
            if !(lower.ends_with(".json") || lower.ends_with(".yaml") || lower.ends_with(".yml")) {
                self.ignored(format!("{ename}: not a .json, .yaml or .yml entry"));
                continue;
            }
            let mut buf = Vec::with_capacity(e.size().min(1 << 20) as usize);
            let cap = self.limits.max_entry;
            let n = (&mut e)
                .take(cap + 1)
                .read_to_end(&mut buf)
                .map_err(|err| DbError::refused(name, format!("{}: {err}", e.name())))?;
            if n as u64 > cap {
                return Err(DbError::refused(
                    name,
                    format!(
                        "entry {} inflates past the {cap} byte cap (zip bomb?)",
                        e.name()
                    ),
                ));
            }
            total += n as u64;
            if total > self.limits.max_total {
                return Err(DbError::refused(
                    name,
                    format!(
                        "archive inflates past the {} byte total cap (zip bomb?)",
                        self.limits.max_total
                    ),
                ));
            }
            drop(e);
            self.document(&ename, &buf, source)?;
        }
        Ok(())
    }
}

/// Check an archive's directory against the caps before reading any entry.
///
/// # Errors
/// [`DbError::Refused`] naming the first violation.
pub fn check_zip<R: Read + Seek>(name: &str, z: &mut zip::ZipArchive<R>, l: Limits) -> Result<()> {
    if z.len() > l.max_entries {
        return Err(DbError::refused(
            name,
            format!("{} entries, over the cap of {}", z.len(), l.max_entries),
        ));
    }
    let mut declared: u64 = 0;
    for i in 0..z.len() {
        let e = z
            .by_index_raw(i)
            .map_err(|err| DbError::refused(name, format!("entry {i}: {err}")))?;
        let (size, comp) = (e.size(), e.compressed_size());
        if size > l.max_entry {
            return Err(DbError::refused(
                name,
                format!(
                    "entry {} declares {size} bytes, over the {} byte cap",
                    e.name(),
                    l.max_entry
                ),
            ));
        }
        if size > 1 << 20 && size / comp.max(1) > l.max_ratio {
            return Err(DbError::refused(
                name,
                format!(
                    "entry {} compresses {size} bytes into {comp} (ratio over {}): refusing a likely zip bomb",
                    e.name(),
                    l.max_ratio
                ),
            ));
        }
        declared = declared.saturating_add(size);
    }
    if declared > l.max_total {
        return Err(DbError::refused(
            name,
            format!(
                "archive declares {declared} bytes in total, over the {} byte cap",
                l.max_total
            ),
        ));
    }
    Ok(())
}

/// Options of [`import_paths`].
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Start from an empty DB instead of adding to the existing one.
    pub fresh: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// Import `paths` into the DB at `db`, atomically: either everything is swapped in or the old DB
/// stays as it was.
///
/// # Errors
/// Unreadable or refused inputs (no partial import is committed), SQLite and file-system errors;
/// [`DbError::NothingImported`] when no input held a single advisory record (the DB is left as it
/// was, and the message names what was looked at and why each file was skipped).
pub fn import_paths(db: &Path, paths: &[PathBuf], opts: &ImportOptions) -> Result<ImportReport> {
    let mut b = Builder::begin(db, opts.fresh)?;
    let mut sink = Sink::new(&mut b, opts.progress);
    for p in paths {
        let before = (sink.report.records, sink.report.malformed);
        sink.path(p)?;
        let (r, m) = (
            sink.report.records - before.0,
            sink.report.malformed - before.1,
        );
        let name = p.display().to_string();
        if r == 0 {
            sink.report.inputs_without_records.push(name.clone());
        }
        sink.builder.record_source(&name, "import", r, m)?;
    }
    sink.progress.finish_and_clear();
    let report = sink.report;
    if report.records == 0 {
        // Dropping the builder removes its temporary file: the old DB (or none) stays.
        return Err(DbError::NothingImported(nothing_imported(paths, &report)));
    }
    b.commit()?;
    Ok(report)
}

/// The message for an import that found no advisory: what was looked at, and why it was skipped.
fn nothing_imported(paths: &[PathBuf], r: &ImportReport) -> String {
    use std::fmt::Write as _;
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut m = format!(
        "no advisory record found in {}: looked at {} file{} ({} malformed, {} not advisory data); \
         the database was not changed",
        names.join(", "),
        r.files,
        if r.files == 1 { "" } else { "s" },
        r.malformed,
        r.ignored_files
    );
    for e in r.malformed_examples.iter().chain(&r.ignored_examples) {
        let _ = write!(m, "\n  skipped {e}");
    }
    let named = (r.malformed_examples.len() + r.ignored_examples.len()) as u64;
    let total = r.malformed + r.ignored_files;
    if total > named {
        let _ = write!(m, "\n  … and {} more", total - named);
    }
    if r.files == 0 {
        m.push_str("\n  (no files at all: is the path an empty directory?)");
    }
    m.push_str(
        "\n  sekisho imports OSV records (.json/.yaml, directories of them, OSV.dev all.zip \
         archives), `sekisho db export` files, Debian security tracker JSON and Alpine secdb JSON",
    );
    m
}
