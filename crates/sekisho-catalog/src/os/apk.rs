//! apk: Alpine, Wolfi and Chainguard images.
//!
//! `lib/apk/db/installed` (or `usr/lib/apk/db/installed` on newer, /usr-merged images) is the
//! apk "installed database": blank-line separated stanzas of `K:value` lines with one-letter keys
//! (apk-tools `doc/apk-package(5)` / the database format): `P` name, `V` version, `A` arch,
//! `o` origin (the source package advisories name), `L` license, `F` a directory and the `R` lines
//! after it the files in it (file ownership).

use sekisho_artifact::{Capture, EntryMeta, Inventory, Note};
use std::collections::HashMap;

use crate::CatalogError;
use crate::cataloger::{Cataloger, Context};
use crate::model::{Catalog, Package, PackageKind, SourcePackage};

pub const CAPTURE: &str = "apk-installed";
const PATHS: &[&str] = &["lib/apk/db/installed", "usr/lib/apk/db/installed"];

/// One package stanza.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApkRecord {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub origin: Option<String>,
    pub license: Option<String>,
    pub files: Vec<String>,
}

/// Parse an apk installed database; stanzas that cannot be understood are reported as messages.
///
/// # Errors
/// When the input is too large or binary.
pub fn parse_installed(
    path: &str,
    data: &[u8],
) -> Result<(Vec<ApkRecord>, Vec<String>), CatalogError> {
    let text = super::db_text(path, "apk installed database", data)?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, para) in super::paragraphs(&text).enumerate() {
        if super::package_cap_reached(out.len(), &mut problems) {
            break;
        }
        let mut r = ApkRecord::default();
        let mut dir = String::new();
        let mut keyed = 0usize;
        let mut bad = 0usize;
        for line in &para {
            let b = line.as_bytes();
            if b.len() < 2 || b[1] != b':' {
                bad += 1;
                continue;
            }
            keyed += 1;
            let v = &line[2..];
            match b[0] {
                b'P' => r.name = v.trim().to_string(),
                b'V' => r.version = v.trim().to_string(),
                b'A' => r.arch = Some(v.trim().to_string()).filter(|s| !s.is_empty()),
                b'o' => r.origin = Some(v.trim().to_string()).filter(|s| !s.is_empty()),
                b'L' => r.license = Some(v.trim().to_string()).filter(|s| !s.is_empty()),
                b'F' => dir = v.trim().trim_matches('/').to_string(),
                b'R' => {
                    let f = v.trim();
                    if !f.is_empty() && r.files.len() < 1 << 20 {
                        r.files.push(if dir.is_empty() {
                            f.to_string()
                        } else {
                            format!("{dir}/{f}")
                        });
                    }
                }
                _ => {}
            }
        }
        if keyed == 0 {
            problems.push(format!(
                "stanza {}: no `K:value` lines ({bad} unreadable); skipped",
                i + 1
            ));
        } else if r.name.is_empty() {
            problems.push(format!("stanza {}: no P: (name) line; skipped", i + 1));
        } else if r.version.is_empty() {
            problems.push(format!("package {}: no V: (version) line; skipped", r.name));
        } else {
            out.push(r);
        }
    }
    Ok((out, problems))
}

struct InstalledCapture;
impl Capture for InstalledCapture {
    fn id(&self) -> &'static str {
        CAPTURE
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        meta.is_file() && PATHS.contains(&meta.path.as_str())
    }
    fn max_size(&self) -> u64 {
        super::MAX_DB_TEXT as u64
    }
}

/// The apk cataloger.
pub struct Apk;

impl Cataloger for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }
    fn captures(&self) -> Vec<Box<dyn Capture>> {
        vec![Box::new(InstalledCapture)]
    }
    fn catalog(&self, inv: &Inventory, ctx: &Context, out: &mut Catalog) {
        let os = ctx.os.as_ref();
        let apk_os = os.is_some_and(|o| {
            matches!(o.id.as_str(), "alpine" | "wolfi" | "chainguard")
                || o.id_like.iter().any(|l| l == "alpine")
        });
        let namespace = os.filter(|_| apk_os).map_or("alpine", |o| o.id.as_str());
        let ecosystem = if apk_os {
            super::os_ecosystem(os)
        } else {
            None
        };
        let distro = super::distro_qualifier(os);
        for c in inv.visible(CAPTURE) {
            let (recs, problems) = match parse_installed(&c.meta.path, &c.data) {
                Ok(r) => r,
                Err(e) => {
                    out.notes
                        .push(Note::new(Some(c.layer), c.meta.path.clone(), e.to_string()));
                    continue;
                }
            };
            for p in problems {
                out.notes.push(Note::new(
                    Some(c.layer),
                    c.meta.path.clone(),
                    format!("apk: {p}"),
                ));
            }
            // Layer that introduced each (name, version): first version of this DB listing it.
            let mut first: HashMap<(String, String), usize> = HashMap::new();
            let versions: Vec<_> = inv
                .history(CAPTURE)
                .filter(|(h, _)| h.meta.path == c.meta.path && h.layer <= c.layer)
                .map(|(h, _)| h)
                .collect();
            if versions.len() > 1 {
                for v in versions {
                    if let Ok((rs, _)) = parse_installed(&v.meta.path, &v.data) {
                        for r in rs {
                            first.entry((r.name, r.version)).or_insert(v.layer);
                        }
                    }
                }
            }
            for r in recs {
                let layer = first
                    .get(&(r.name.clone(), r.version.clone()))
                    .copied()
                    .unwrap_or(c.layer);
                let purl = crate::purl::build(
                    "apk",
                    Some(namespace),
                    &r.name,
                    &r.version,
                    &[("arch", r.arch.as_deref()), ("distro", distro.as_deref())],
                );
                out.packages.push(Package {
                    id: String::new(),
                    source: Some(SourcePackage {
                        name: r.origin.clone().unwrap_or_else(|| r.name.clone()),
                        version: None,
                    }),
                    name: r.name,
                    version: r.version,
                    kind: PackageKind::Apk,
                    ecosystem: ecosystem.clone(),
                    purl,
                    licenses: r.license.into_iter().collect(),
                    arch: r.arch,
                    modularity_label: None,
                    locations: vec![c.meta.path.clone()],
                    layer: Some(layer),
                    files: r.files,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas() {
        let db = b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:broken\n\nV:1\n";
        let (r, p) = parse_installed("db", db).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].files,
            vec!["lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"]
        );
        assert_eq!(r[0].origin.as_deref(), Some("musl"));
        assert_eq!(p.len(), 2, "{p:?}");
    }
}
