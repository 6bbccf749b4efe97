//! The image's expected tree, from the layered walk's digest index: whiteouts, opaque
//! directories and overwrites already applied by [`sekisho_artifact::Inventory`], per-layer
//! results cached with the layer cache (the index part is cached per layer like any capture).

use sekisho_artifact::{
    Capture, CollectOptions, EntryKind, IndexMode, Inventory, LayerSource, Note, WalkError,
};

use crate::tree::{Node, NodeKind, Tree, ancestors};

/// Walk an image's layers once, with a digest index and `captures` (the package databases'),
/// within `opts` (threads, cache, cancel, progress). `opts.index` is forced to
/// [`IndexMode::Digest`].
///
/// # Errors
/// When a layer cannot be walked at all.
pub fn collect(
    layers: Vec<Box<dyn LayerSource>>,
    captures: &[&dyn Capture],
    opts: &CollectOptions<'_>,
) -> Result<Inventory, WalkError> {
    let mut o = opts.clone();
    o.index = IndexMode::Digest;
    sekisho_artifact::collect_with(layers, captures, &o)
}

/// The expected tree of an inventory collected with a digest index. Without one (a layer
/// walked without it) there is no tree to compare with: `None`.
pub fn tree(inv: &Inventory, notes: &mut Vec<Note>) -> Option<Tree> {
    let src = inv.tree()?;
    let mut out = Tree::new();
    for (path, te) in src {
        if path.is_empty() {
            continue;
        }
        let m = &te.entry.meta;
        let mut n = Node::new(NodeKind::Other, m.mode);
        n.uid = m.uid;
        n.gid = m.gid;
        n.mtime = m.mtime;
        n.capability = m.capability.clone();
        match &m.kind {
            EntryKind::File => {
                n.kind = NodeKind::File;
                n.size = Some(m.size);
                n.digest = te.entry.digest.clone();
            }
            EntryKind::Hardlink { target } => {
                // Same content as its target when it was written; the digest was copied then.
                n.kind = NodeKind::File;
                n.digest = te.entry.digest.clone();
                n.size = src
                    .get(target)
                    .filter(|t| t.entry.digest.is_some() && t.entry.digest == n.digest)
                    .map(|t| t.entry.meta.size);
                if n.digest.is_none() {
                    notes.push(Note::new(
                        Some(te.layer),
                        path.clone(),
                        format!(
                            "hard link to {target}, whose content the layer did not hold: compared by metadata only"
                        ),
                    ));
                }
            }
            EntryKind::Dir => n.kind = NodeKind::Dir,
            EntryKind::Symlink { target } => {
                n.kind = NodeKind::Symlink;
                n.target = Some(target.clone());
            }
            EntryKind::CharDevice => n.kind = NodeKind::CharDevice,
            EntryKind::BlockDevice => n.kind = NodeKind::BlockDevice,
            EntryKind::Fifo => n.kind = NodeKind::Fifo,
            EntryKind::Whiteout | EntryKind::Opaque => continue,
            EntryKind::Other => n.kind = NodeKind::Other,
        }
        out.insert(path.clone(), n);
    }
    // Parents a layer implied without writing them exist in any extracted container.
    let implied: Vec<String> = out
        .keys()
        .flat_map(|p| ancestors(p).map(str::to_string).collect::<Vec<_>>())
        .filter(|a| !out.contains_key(a))
        .collect();
    for a in implied {
        let mut n = Node::new(NodeKind::Dir, 0o755);
        n.implicit = true;
        out.insert(a, n);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sekisho_artifact::{EntryMeta, LayerInfo, Visitor};

    struct Mem(LayerInfo, Vec<(EntryMeta, Vec<u8>)>);
    impl LayerSource for Mem {
        fn info(&self) -> &LayerInfo {
            &self.0
        }
        fn walk(&mut self, visit: &mut Visitor<'_>, _: &mut Vec<Note>) -> Result<(), WalkError> {
            for (m, d) in &self.1 {
                visit(m, &mut d.as_slice()).map_err(|e| WalkError::Stopped(e.to_string()))?;
            }
            Ok(())
        }
    }

    fn layer(index: usize, es: Vec<(EntryMeta, &str)>) -> Box<dyn LayerSource> {
        Box::new(Mem(
            LayerInfo {
                index,
                ..LayerInfo::default()
            },
            es.into_iter()
                .map(|(m, d)| (m, d.as_bytes().to_vec()))
                .collect(),
        ))
    }

    #[test]
    fn whiteouts_apply_and_digests_and_links_are_kept() {
        let wh = EntryMeta {
            kind: EntryKind::Whiteout,
            ..EntryMeta::file("etc/gone", 0)
        };
        let hl = EntryMeta {
            kind: EntryKind::Hardlink {
                target: "usr/bin/a".into(),
            },
            ..EntryMeta::file("usr/bin/b", 0)
        };
        let cap = EntryMeta {
            capability: Some("01".into()),
            ..EntryMeta::file("usr/bin/ping", 1)
        };
        let inv = collect(
            vec![
                layer(
                    0,
                    vec![
                        (EntryMeta::file("etc/gone", 2), "xx"),
                        (EntryMeta::file("usr/bin/a", 3), "abc"),
                        (hl, ""),
                    ],
                ),
                layer(1, vec![(wh, ""), (cap, "p")]),
            ],
            &[],
            &CollectOptions::default(),
        )
        .unwrap();
        let t = tree(&inv, &mut Vec::new()).unwrap();
        let keys: Vec<&str> = t.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["usr", "usr/bin", "usr/bin/a", "usr/bin/b", "usr/bin/ping"]
        );
        let abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(t["usr/bin/a"].digest.as_deref(), Some(abc));
        assert_eq!(t["usr/bin/b"].digest.as_deref(), Some(abc));
        assert_eq!(t["usr/bin/b"].size, Some(3));
        assert_eq!(t["usr/bin/ping"].capability.as_deref(), Some("01"));
        assert!(t["usr"].implicit);
    }
}
