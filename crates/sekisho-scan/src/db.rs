//! The vulnerability DB for a scan: a shared handle the caller already has (a server), or a path
//! opened for this scan, downloaded first when it is missing and the caller allows the network.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sekisho_report::DbInfo;
use sekisho_vulndb::{Db, DbError, UpdateOptions};

use crate::error::{ErrorKind, ScanError};
use crate::progress::{Event, Progress};

/// Where the scan's vulnerability data comes from.
#[derive(Clone)]
pub enum DbSource {
    /// A handle the caller keeps open (and shares between scans).
    Shared(Arc<Db>),
    /// A file to open for this scan.
    Path {
        path: PathBuf,
        /// `None`: never touch the network (a missing DB means no vulnerability data). `Some`:
        /// when the file is missing, run `db update` with these options first.
        update: Option<UpdateOptions>,
        /// How old the DB may be before the scan warns.
        max_age: Duration,
    },
    /// No vulnerability data (SBOM-only or non-vulnerability scans).
    None,
}

impl std::fmt::Debug for DbSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shared(d) => f.debug_tuple("Shared").field(&d.path()).finish(),
            Self::Path { path, update, .. } => f
                .debug_struct("Path")
                .field("path", path)
                .field("update", &update.is_some())
                .finish(),
            Self::None => f.write_str("None"),
        }
    }
}

/// An open DB with what the report says about it.
pub(crate) struct OpenDb {
    pub db: Arc<Db>,
    pub info: DbInfo,
}

fn info_of(db: &Db) -> DbInfo {
    let st = db.summary().ok();
    DbInfo {
        path: Some(db.path().display().to_string()),
        updated: st
            .as_ref()
            .and_then(|s| s.updated_at.clone().or_else(|| s.built_at.clone())),
        advisories: st.as_ref().map(|s| s.advisories),
    }
}

/// Open the DB; `Ok(None)` (with a warning, and in `unavailable` the error to show the user)
/// when there is none to be had.
pub(crate) fn open(
    src: &DbSource,
    progress: &dyn Progress,
    warnings: &mut Vec<String>,
    unavailable: &mut Option<String>,
) -> Result<Option<OpenDb>, ScanError> {
    let (path, update, max_age) = match src {
        DbSource::None => return Ok(None),
        DbSource::Shared(db) => {
            return Ok(Some(OpenDb {
                info: info_of(db),
                db: db.clone(),
            }));
        }
        DbSource::Path {
            path,
            update,
            max_age,
        } => (path, update, *max_age),
    };
    let db_err = |e: DbError| {
        ScanError::with_source(ErrorKind::Database, format!("open {}", path.display()), e)
    };
    let db = match Db::open(path) {
        Ok(db) => db,
        Err(DbError::Missing(_)) => match update {
            Some(u) => {
                // Never a silent download: say what, from where and how big, first.
                let shown = path.display().to_string();
                let plan = sekisho_vulndb::plan(u);
                progress.event(&Event::DbDownload {
                    path: &shown,
                    source: &plan.source,
                    ecosystems: &plan.ecosystems,
                    downloads: &plan.downloads,
                });
                let sizes = sekisho_vulndb::download_sizes(&plan);
                progress.event(&Event::DbDownloadSize {
                    bytes: sizes.iter().flatten().sum(),
                    known: sizes.iter().flatten().count(),
                    downloads: sizes.len(),
                });
                match sekisho_vulndb::update(path, u) {
                    Ok(_) => Db::open(path).map_err(db_err)?,
                    Err(e) => {
                        let m = format!(
                            "no vulnerability database at {}, and downloading one from {} failed: {e}",
                            path.display(),
                            plan.source
                        );
                        warnings.push(m.clone());
                        *unavailable = Some(format!(
                            "{m}; the packages are listed without vulnerability matching. \
                             Load data with `sekisho db import PATH...` (files: OSV, all.zip, \
                             a `sekisho db export` file) or retry `sekisho db update`"
                        ));
                        return Ok(None);
                    }
                }
            }
            None => {
                let m = format!(
                    "no vulnerability database at {}, and --offline forbids downloading one",
                    path.display()
                );
                warnings.push(m.clone());
                *unavailable = Some(format!(
                    "{m}: the packages are listed without vulnerability matching. Load data \
                     first with `sekisho db import PATH...` (OSV files or directories, all.zip \
                     archives, a `sekisho db export` file), or drop --offline to run \
                     `sekisho db update`"
                ));
                return Ok(None);
            }
        },
        Err(e) => return Err(db_err(e)),
    };
    if let Some(w) = db.stale_warning(max_age) {
        warnings.push(w);
    }
    Ok(Some(OpenDb {
        info: info_of(&db),
        db: Arc::new(db),
    }))
}
