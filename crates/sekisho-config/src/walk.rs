//! Files and directories to check: directories are walked without following symlinks (a
//! symlink is named and skipped), `.git` is not entered, only files that may be configuration
//! (`*.yaml`, `*.yml`, `*.json`, Dockerfile names) are read, each at most
//! [`crate::MAX_FILE_BYTES`]. A file named on the command line is always read and recognised by
//! content. Files are checked in parallel; the result is in path order.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::{FileResult, MAX_FILE_BYTES, Options, scan_file};

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walked {
    /// One result per file read, in path order.
    pub files: Vec<FileResult>,
    /// Paths not read, with why (symlinks, unreadable files, over the size limit, ...).
    pub skipped: Vec<(String, String)>,
    /// Files in walked directories that are not configuration candidates (not read).
    pub other_files: usize,
}

impl Walked {
    /// Files per type (`kubernetes`, `dockerfile`, ..., `not-understood`, `unreadable`).
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for f in &self.files {
            let k = match f.file_type {
                Some(t) => t.as_str(),
                None if f.error.is_some() => "unreadable",
                None => "not-understood",
            };
            *m.entry(k.to_string()).or_default() += 1;
        }
        if !self.skipped.is_empty() {
            *m.entry("skipped".to_string()).or_default() += self.skipped.len();
        }
        m
    }
}

fn read_capped(p: &Path) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(p).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("over the {MAX_FILE_BYTES} byte limit; not read"));
    }
    Ok(buf)
}

/// A walked path as findings name it: without a leading `./`.
fn shown_path(p: &Path) -> String {
    let s = p.display().to_string();
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s,
    }
}

/// Check every file under `paths`.
pub fn scan_paths(paths: &[PathBuf], opts: &Options) -> Walked {
    let mut out = Walked::default();
    let mut todo: Vec<(PathBuf, String)> = Vec::new();
    for p in paths {
        let shown = p.display().to_string();
        let meta = match std::fs::symlink_metadata(p) {
            Ok(m) => m,
            Err(e) => {
                out.skipped.push((shown, format!("cannot read: {e}")));
                continue;
            }
        };
        if meta.is_file() || (meta.file_type().is_symlink() && p.is_file()) {
            // A file the user named is read, even through a symlink they named.
            todo.push((p.clone(), shown));
            continue;
        }
        if !meta.is_dir() {
            out.skipped
                .push((shown, "not a regular file or directory".into()));
            continue;
        }
        let walker = walkdir::WalkDir::new(p)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
        for e in walker {
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    let at = err
                        .path()
                        .map_or_else(|| shown.clone(), |x| x.display().to_string());
                    out.skipped.push((at, format!("cannot read: {err}")));
                    continue;
                }
            };
            let ft = e.file_type();
            let path_s = shown_path(e.path());
            if ft.is_symlink() {
                if crate::detect::is_candidate(&path_s) {
                    out.skipped.push((path_s, "symlink, not followed".into()));
                } else {
                    out.other_files += 1;
                }
                continue;
            }
            if !ft.is_file() {
                continue;
            }
            if crate::detect::is_candidate(&path_s) {
                todo.push((e.path().to_path_buf(), path_s));
            } else {
                out.other_files += 1;
            }
        }
    }
    let results: Vec<Result<FileResult, (String, String)>> = todo
        .par_iter()
        .map(|(p, shown)| match read_capped(p) {
            Ok(bytes) => Ok(scan_file(shown, &bytes, opts)),
            Err(e) => Err((shown.clone(), e)),
        })
        .collect();
    for r in results {
        match r {
            Ok(f) => out.files.push(f),
            Err(s) => out.skipped.push(s),
        }
    }
    out
}
