//! rpm: the Red Hat family, SUSE, Amazon Linux, Azure Linux/Mariner, Photon.
//!
//! rpm keeps one header blob per installed package ([`header`]) in one of three database
//! backends, found under `var/lib/rpm/`, `usr/lib/sysimage/rpm/` (or `usr/share/rpm/`):
//! - `rpmdb.sqlite` (rpm ≥ 4.16: Fedora 33+, RHEL 9, Azure Linux): table `Packages(hnum, blob)`,
//!   read with SQLite from a private temporary copy (with its `-wal` file when present);
//! - `Packages.db` (NDB, SUSE): [`ndb`];
//! - `Packages` (Berkeley DB hash, RHEL ≤ 8, Amazon Linux 2): [`bdb`], parsed here without libdb.
//!
//! The backend is recognised by content, not by name. Anything unreadable becomes a note naming
//! the file and the reason.

pub mod bdb;
pub mod header;
pub mod ndb;

use std::collections::{BTreeMap, HashMap, HashSet};

use sekisho_artifact::{Capture, Captured, EntryMeta, Inventory, Note};

use crate::CatalogError;
use crate::cataloger::{Cataloger, Context};
use crate::model::{Catalog, Package, PackageKind, SourcePackage};
pub use header::RpmInfo;

pub const CAPTURE: &str = "rpm-db";
const DIRS: &[&str] = &["var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/"];
const FILES: &[&str] = &[
    "rpmdb.sqlite",
    "rpmdb.sqlite-wal",
    "Packages.db",
    "Packages",
];
/// Largest rpm database read (bytes).
pub const MAX_DB: u64 = 512 << 20;

/// Which backend a database file is, judged by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Ndb,
    Bdb,
}

/// Recognise a database by its magic bytes.
pub fn sniff(b: &[u8]) -> Option<Backend> {
    if b.starts_with(b"SQLite format 3\0") {
        Some(Backend::Sqlite)
    } else if ndb::is_ndb(b) {
        Some(Backend::Ndb)
    } else if bdb::is_bdb_hash(b) {
        Some(Backend::Bdb)
    } else {
        None
    }
}

/// Read every package of an rpm database (any backend). Headers that cannot be parsed are
/// listed as problems; the database as a whole failing is an error.
///
/// # Errors
/// Unknown format, or a database that cannot be opened at all.
pub fn read_db(
    path: &str,
    data: &[u8],
    wal: Option<&[u8]>,
) -> Result<(Vec<RpmInfo>, Vec<String>), CatalogError> {
    let mut problems = Vec::new();
    let blobs: Vec<(String, Vec<u8>)> = match sniff(data) {
        Some(Backend::Sqlite) => read_sqlite(path, data, wal)?,
        Some(Backend::Ndb) => {
            let (b, p) = ndb::read_ndb(path, data)?;
            problems.extend(p);
            b.into_iter()
                .map(|(i, h)| (format!("package {i}"), h.to_vec()))
                .collect()
        }
        Some(Backend::Bdb) => {
            let (kv, p) = bdb::read_hash(path, data)?;
            problems.extend(p);
            kv.into_iter()
                // Key 0 holds rpm's next-instance counter, not a header.
                .filter(|(k, _)| k.iter().any(|&b| b != 0))
                .map(|(k, v)| {
                    let n = k
                        .get(..4)
                        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
                    (format!("record {n}"), v)
                })
                .collect()
        }
        None => {
            return Err(CatalogError::Unsupported {
                path: path.into(),
                format: "rpm database",
                message: "not SQLite, NDB or Berkeley DB hash (unknown magic)".into(),
            });
        }
    };
    let mut out = Vec::with_capacity(blobs.len());
    for (what, b) in blobs {
        match header::parse_info(&b, &format!("{path} ({what})")) {
            Ok(i) => out.push(i),
            Err(e) => problems.push(e.to_string()),
        }
    }
    Ok((out, problems))
}

fn read_sqlite(
    path: &str,
    data: &[u8],
    wal: Option<&[u8]>,
) -> Result<Vec<(String, Vec<u8>)>, CatalogError> {
    let err = |m: String| CatalogError::format(path, "rpm SQLite database", m);
    let dir = tempfile::tempdir().map_err(|e| err(format!("temporary directory: {e}")))?;
    let db = dir.path().join("rpmdb.sqlite");
    std::fs::write(&db, data).map_err(|e| err(format!("temporary copy: {e}")))?;
    if let Some(w) = wal {
        std::fs::write(dir.path().join("rpmdb.sqlite-wal"), w)
            .map_err(|e| err(format!("temporary copy of the WAL: {e}")))?;
    }
    let conn = rusqlite::Connection::open_with_flags(
        &db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| err(e.to_string()))?;
    let mut st = conn
        .prepare("SELECT hnum, blob FROM Packages")
        .map_err(|e| err(e.to_string()))?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .map_err(|e| err(e.to_string()))?;
    let mut out = Vec::new();
    for r in rows {
        let (n, b) = r.map_err(|e| err(e.to_string()))?;
        out.push((format!("hnum {n}"), b));
        if out.len() > super::MAX_PACKAGES {
            return Err(CatalogError::Limit {
                path: path.into(),
                format: "rpm SQLite database",
                message: format!("more than {} packages", super::MAX_PACKAGES),
            });
        }
    }
    Ok(out)
}

/// `bash-5.1.8-1.el9.src.rpm` → (`bash`, `5.1.8-1.el9`).
pub fn split_source_rpm(s: &str) -> Option<SourcePackage> {
    let base = s
        .strip_suffix(".src.rpm")
        .or_else(|| s.strip_suffix(".nosrc.rpm"))
        .unwrap_or(s);
    let (nv, rel) = base.rsplit_once('-')?;
    let (name, ver) = nv.rsplit_once('-')?;
    (!name.is_empty()).then(|| SourcePackage {
        name: name.to_string(),
        version: Some(format!("{ver}-{rel}")),
    })
}

struct DbCapture;
impl Capture for DbCapture {
    fn id(&self) -> &'static str {
        CAPTURE
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file()
            && DIRS.iter().any(|d| {
                meta.path
                    .strip_prefix(d)
                    .is_some_and(|n| FILES.contains(&n))
            })
    }
    fn max_size(&self) -> u64 {
        MAX_DB
    }
}

fn purl_namespace(id: &str) -> &str {
    match id {
        "rhel" => "redhat",
        "amzn" => "amazon",
        "ol" => "oracle",
        "sles" | "sled" | "sles_sap" | "sle-micro" => "suse",
        id if id.starts_with("opensuse") => "opensuse",
        id => id,
    }
}

fn is_rpm_os(ctx: &Context) -> bool {
    ctx.os.as_ref().is_some_and(|o| {
        matches!(
            o.id.as_str(),
            "rhel"
                | "centos"
                | "rocky"
                | "almalinux"
                | "fedora"
                | "ol"
                | "amzn"
                | "sles"
                | "sled"
                | "sles_sap"
                | "sle-micro"
                | "mariner"
                | "azurelinux"
                | "photon"
                | "mageia"
                | "openeuler"
        ) || o.id.starts_with("opensuse")
            || o.id_like.iter().any(|l| {
                matches!(
                    l.as_str(),
                    "rhel" | "fedora" | "centos" | "suse" | "opensuse"
                )
            })
    })
}

/// The rpm cataloger.
pub struct Rpm;

impl Cataloger for Rpm {
    fn name(&self) -> &'static str {
        "rpm"
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        vec![Box::new(DbCapture)]
    }
    fn catalog(&self, inv: &Inventory, ctx: &Context, out: &mut Catalog) {
        let os = ctx.os.as_ref();
        let rpm_os = is_rpm_os(ctx);
        let ecosystem = if rpm_os {
            super::os_ecosystem(os)
        } else {
            None
        };
        let namespace = os.map_or("redhat", |o| purl_namespace(&o.id)).to_string();
        let distro = super::distro_qualifier(os);
        // One database per directory: the newest backend present wins.
        let mut by_dir: BTreeMap<&str, Vec<&Captured>> = BTreeMap::new();
        for c in inv.visible(CAPTURE) {
            let dir = c.meta.path.rsplit_once('/').map_or("", |(d, _)| d);
            by_dir.entry(dir).or_default().push(c);
        }
        let mut seen: HashSet<(String, String, Option<String>)> = HashSet::new();
        for (dir, files) in by_dir {
            let find = |n: &str| {
                files
                    .iter()
                    .find(|c| c.meta.path.ends_with(&format!("/{n}")))
            };
            let wal = find("rpmdb.sqlite-wal").map(|c| c.data.as_slice());
            let Some(db) = find("rpmdb.sqlite")
                .or_else(|| find("Packages.db"))
                .or_else(|| find("Packages"))
            else {
                continue;
            };
            for other in files
                .iter()
                .filter(|c| c.meta.path != db.meta.path && !c.meta.path.ends_with("-wal"))
            {
                out.notes.push(Note::new(
                    Some(other.layer),
                    other.meta.path.clone(),
                    format!(
                        "rpm: not read; {} in {dir} is the active database",
                        db.meta.path
                    ),
                ));
            }
            let (pkgs, problems) = match read_db(&db.meta.path, &db.data, wal) {
                Ok(r) => r,
                Err(e) => {
                    out.notes.push(Note::new(
                        Some(db.layer),
                        db.meta.path.clone(),
                        e.to_string(),
                    ));
                    continue;
                }
            };
            for p in problems {
                out.notes.push(Note::new(
                    Some(db.layer),
                    db.meta.path.clone(),
                    format!("rpm: {p}"),
                ));
            }
            let first = first_layers(inv, db);
            for p in pkgs {
                let evr = p.evr();
                if !seen.insert((p.name.clone(), evr.clone(), p.arch.clone())) {
                    continue;
                }
                let layer = first
                    .as_ref()
                    .and_then(|m| m.get(&(p.name.clone(), evr.clone())).copied())
                    .unwrap_or(db.layer);
                let epoch = p.epoch.filter(|e| *e != 0).map(|e| e.to_string());
                let purl = crate::purl::build(
                    "rpm",
                    Some(&namespace),
                    &p.name,
                    &format!("{}-{}", p.version, p.release),
                    &[
                        ("arch", p.arch.as_deref()),
                        ("distro", distro.as_deref()),
                        ("epoch", epoch.as_deref()),
                    ],
                );
                out.packages.push(Package {
                    id: String::new(),
                    source: p.source_rpm.as_deref().and_then(split_source_rpm),
                    name: p.name,
                    version: evr,
                    kind: PackageKind::Rpm,
                    ecosystem: ecosystem.clone(),
                    purl,
                    licenses: p.license.into_iter().collect(),
                    arch: p.arch,
                    modularity_label: p.modularity_label,
                    locations: vec![db.meta.path.clone()],
                    layer: Some(layer),
                    files: p.files,
                });
            }
        }
    }
}

/// First layer whose version of this database lists each (name, EVR), when the database was
/// written by more than one layer.
fn first_layers(inv: &Inventory, db: &Captured) -> Option<HashMap<(String, String), usize>> {
    let versions: Vec<&Captured> = inv
        .history(CAPTURE)
        .filter(|(c, _)| c.meta.path == db.meta.path && c.layer <= db.layer)
        .map(|(c, _)| c)
        .collect();
    if versions.len() <= 1 {
        return None;
    }
    let mut m = HashMap::new();
    for v in versions {
        // The WAL of the same layer, if any.
        let wal_path = format!("{}-wal", v.meta.path);
        let wal = inv
            .history(CAPTURE)
            .find(|(c, _)| c.layer == v.layer && c.meta.path == wal_path)
            .map(|(c, _)| c.data.as_slice());
        if let Ok((pkgs, _)) = read_db(&v.meta.path, &v.data, wal) {
            for p in pkgs {
                let evr = p.evr();
                m.entry((p.name, evr)).or_insert(v.layer);
            }
        }
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        let s = split_source_rpm("ca-certificates-2.0.0-1.cm2.src.rpm").unwrap();
        assert_eq!(s.name, "ca-certificates");
        assert_eq!(s.version.as_deref(), Some("2.0.0-1.cm2"));
        assert!(split_source_rpm("nodash").is_none());
    }

    #[test]
    fn unknown_backend_is_an_error() {
        let e = read_db("var/lib/rpm/Packages", b"garbage garbage garbage", None).unwrap_err();
        assert!(e.to_string().contains("var/lib/rpm/Packages"), "{e}");
    }
}
