//! The package-database delta: the OS packages (dpkg status, apk installed, the rpm DB) of the
//! image and of the container, catalogued by `sekisho-catalog`'s own parsers, compared by name
//! and version. The packages installed or upgraded at runtime escaped the image scan: they are
//! returned as a catalog of their own, for the vulnerability match.

use std::collections::BTreeMap;
use std::io;

use serde::{Deserialize, Serialize};

use sekisho_artifact::{
    Capture, EntryKind, EntryMeta, Inventory, LayerInfo, LayerSource, Note, Visitor, WalkError,
    WalkOptions as ArtifactWalk,
};
use sekisho_catalog::{Catalog, Cataloger, Package};

use crate::live::{LiveRoot, LiveTree};
use crate::tree::NodeKind;

/// The catalogers of the package databases.
pub fn catalogers() -> Vec<Box<dyn Cataloger>> {
    sekisho_catalog::os_catalogers()
}

/// The captures the package catalogers and OS detection need (register them on the image walk).
pub fn captures() -> Vec<Box<dyn Capture>> {
    let mut c = sekisho_catalog::os_captures();
    c.extend(sekisho_catalog::all_captures(&catalogers()));
    c
}

/// One package, by name and version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageVersion {
    /// `deb`, `apk`, `rpm`.
    pub kind: String,
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The database it is listed in.
    pub location: String,
}

/// A package whose version changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upgrade {
    pub from: PackageVersion,
    pub to: PackageVersion,
}

/// What the container's package databases say that the image's did not.
#[derive(Debug, Default)]
pub struct PackageDelta {
    pub added: Vec<PackageVersion>,
    pub removed: Vec<PackageVersion>,
    /// Same name, other version (up or down).
    pub upgraded: Vec<Upgrade>,
    /// The added and upgraded packages as catalogued in the container (with its OS), ready for
    /// the vulnerability match.
    pub runtime: Catalog,
    pub notes: Vec<Note>,
}

fn kind_word(p: &Package) -> String {
    serde_json::to_value(p.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{:?}", p.kind).to_ascii_lowercase())
}

fn pv(p: &Package) -> PackageVersion {
    PackageVersion {
        kind: kind_word(p),
        name: p.name.clone(),
        version: p.version.clone(),
        arch: p.arch.clone(),
        location: p.locations.first().cloned().unwrap_or_default(),
    }
}

/// The container's package databases, read through the live root.
struct LiveDbLayer<'a> {
    root: &'a LiveRoot,
    entries: Vec<EntryMeta>,
    info: LayerInfo,
}

struct Lazy<'a> {
    root: &'a LiveRoot,
    path: &'a str,
    file: Option<std::fs::File>,
}

/// Package databases are small: read as streams.
impl sekisho_artifact::EntryRead for Lazy<'_> {}

impl io::Read for Lazy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.file.is_none() {
            self.file = Some(self.root.open_file(self.path)?);
        }
        self.file.as_mut().expect("opened").read(buf)
    }
}

impl LayerSource for LiveDbLayer<'_> {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn walk(&mut self, visit: &mut Visitor<'_>, notes: &mut Vec<Note>) -> Result<(), WalkError> {
        for m in &self.entries {
            let mut r = Lazy {
                root: self.root,
                path: &m.path,
                file: None,
            };
            if let Err(e) = visit(m, &mut r) {
                notes.push(Note::new(Some(0), m.path.clone(), format!("not read: {e}")));
            }
        }
        Ok(())
    }
}

/// Catalogue the container's package databases: only the files the package captures want (and
/// the symlinks, to resolve paths as the container does) are read, through the live root.
pub fn live_catalog(root: &LiveRoot, live: &LiveTree) -> Catalog {
    let caps = captures();
    let refs: Vec<&dyn Capture> = caps.iter().map(AsRef::as_ref).collect();
    let mut entries = Vec::new();
    for (path, n) in &live.tree {
        let kind = match n.kind {
            NodeKind::File => EntryKind::File,
            NodeKind::Symlink => EntryKind::Symlink {
                target: n.target.clone().unwrap_or_default(),
            },
            _ => continue,
        };
        let m = EntryMeta {
            path: path.clone(),
            kind,
            size: n.size.unwrap_or(0),
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            mtime: n.mtime,
            capability: None,
        };
        if !m.is_file() || refs.iter().any(|c| c.wants(&m)) {
            entries.push(m);
        }
    }
    let mut layer = LiveDbLayer {
        root,
        entries,
        info: LayerInfo {
            index: 0,
            description: Some(format!("container {}", root.name())),
            ..LayerInfo::default()
        },
    };
    let res = sekisho_artifact::walk_layer_with(
        &mut layer,
        &ArtifactWalk {
            captures: &refs,
            ..ArtifactWalk::default()
        },
    );
    match res {
        Ok(r) => {
            sekisho_catalog::registry::analyze(&Inventory::from_layers(vec![r]), &catalogers())
        }
        Err(e) => Catalog {
            notes: vec![Note::new(
                None,
                root.name().to_string(),
                format!("package databases not read: {e}"),
            )],
            ..Catalog::default()
        },
    }
}

/// The image's packages, from an inventory walked with [`captures`].
pub fn image_catalog(inv: &Inventory) -> Catalog {
    sekisho_catalog::registry::analyze(inv, &catalogers())
}

/// Compare by (kind, name, arch): added, removed, and other versions.
pub fn delta(image: &Catalog, live: &Catalog) -> PackageDelta {
    type Key = (String, String, Option<String>);
    let key = |p: &Package| -> Key { (kind_word(p), p.name.clone(), p.arch.clone()) };
    let mut before: BTreeMap<Key, Vec<&Package>> = BTreeMap::new();
    for p in image.packages.iter().filter(|p| p.kind.is_os()) {
        before.entry(key(p)).or_default().push(p);
    }
    let mut after: BTreeMap<Key, Vec<&Package>> = BTreeMap::new();
    for p in live.packages.iter().filter(|p| p.kind.is_os()) {
        after.entry(key(p)).or_default().push(p);
    }
    let mut d = PackageDelta {
        runtime: Catalog {
            os: live.os.clone(),
            layers: live.layers.clone(),
            ..Catalog::default()
        },
        notes: live.notes.clone(),
        ..PackageDelta::default()
    };
    for (k, now) in &after {
        match before.get(k) {
            None => {
                for p in now {
                    d.added.push(pv(p));
                    d.runtime.packages.push((*p).clone());
                }
            }
            Some(was) => {
                let was_v: Vec<&str> = was.iter().map(|p| p.version.as_str()).collect();
                let now_v: Vec<&str> = now.iter().map(|p| p.version.as_str()).collect();
                if was_v != now_v {
                    for (i, p) in now.iter().enumerate() {
                        if was_v.contains(&p.version.as_str()) {
                            continue;
                        }
                        let from = was.get(i).or(was.first()).map(|w| pv(w));
                        if let Some(from) = from {
                            d.upgraded.push(Upgrade { from, to: pv(p) });
                        }
                        d.runtime.packages.push((*p).clone());
                    }
                }
            }
        }
    }
    for (k, was) in &before {
        if !after.contains_key(k) {
            d.removed.extend(was.iter().map(|p| pv(p)));
        }
    }
    d
}
