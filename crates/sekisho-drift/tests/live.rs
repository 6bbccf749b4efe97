//! The live walk over a real directory: symlinks out of the root, FIFOs, devices and vanished
//! files are handled without following, opening or failing.

use std::os::unix::fs::{PermissionsExt, symlink};

use sekisho_drift::{Change, LiveRoot, NodeKind, Tree, Volatile, WalkOptions, compare, live};

fn expected_of(dir: &std::path::Path) -> Tree {
    let root = LiveRoot::open(dir).unwrap();
    // An "image" is the same tree walked with everything hashed: hash every file by giving
    // the walk a tree that wants every file.
    let first = live::walk(&root, &WalkOptions::default()).unwrap();
    let mut want = first.tree.clone();
    for n in want.values_mut() {
        if n.is_file() {
            n.digest = Some("sha256:".into());
        }
    }
    live::walk(
        &root,
        &WalkOptions {
            threads: 2,
            expected: Some(&want),
            ..WalkOptions::default()
        },
    )
    .unwrap()
    .tree
}

#[test]
fn hostile_tree_is_walked_without_following_or_opening() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "host file").unwrap();
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    std::fs::create_dir_all(r.join("usr/bin")).unwrap();
    std::fs::write(r.join("usr/bin/tool"), b"\x7fELF....").unwrap();
    std::fs::set_permissions(
        r.join("usr/bin/tool"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(r.join("data"), "same size").unwrap();
    symlink(outside.path(), r.join("escape")).unwrap();
    symlink("/etc/shadow", r.join("abs")).unwrap();
    let fifo = r.join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let exp = expected_of(r);
    assert_eq!(exp["pipe"].kind, NodeKind::Fifo);
    assert_eq!(exp["escape"].kind, NodeKind::Symlink);
    assert!(exp.keys().all(|k| !k.starts_with("escape/")), "{exp:?}");
    assert_eq!(exp["usr/bin/tool"].elf, Some(true));
    assert!(
        exp["data"]
            .digest
            .as_deref()
            .unwrap()
            .starts_with("sha256:")
    );

    // Same size, new content, restored mtime: found by content.
    let md = std::fs::metadata(r.join("data")).unwrap();
    std::fs::write(r.join("data"), "SAME SIZE").unwrap();
    let f = std::fs::File::options()
        .write(true)
        .open(r.join("data"))
        .unwrap();
    f.set_modified(md.modified().unwrap()).unwrap();
    drop(f);
    std::fs::remove_file(r.join("usr/bin/tool")).unwrap();
    std::fs::create_dir_all(r.join("tmp")).unwrap();
    std::fs::write(r.join("tmp/scratch"), "x").unwrap();
    let root = LiveRoot::open(r).unwrap();
    let lt = live::walk(
        &root,
        &WalkOptions {
            threads: 2,
            expected: Some(&exp),
            ..WalkOptions::default()
        },
    )
    .unwrap();
    let (c, v) = compare(&exp, &lt, &Volatile::defaults());
    let got: Vec<(&str, Change, &str)> = c
        .iter()
        .map(|c| (c.path.as_str(), c.change, c.class.word()))
        .collect();
    assert_eq!(
        got,
        [
            ("data", Change::Modified, "other"),
            ("usr/bin/tool", Change::Deleted, "deleted"),
        ]
    );
    assert!(c[0].detail.contains("same size"), "{}", c[0].detail);
    let vol: Vec<&str> = v.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(vol, ["tmp", "tmp/scratch"]);
}

#[test]
fn mount_points_are_not_covered() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("vol")).unwrap();
    std::fs::write(d.path().join("vol/x"), "x").unwrap();
    let root = LiveRoot::open(d.path()).unwrap();
    let lt = live::walk(
        &root,
        &WalkOptions {
            mounts: vec!["vol".into()],
            ..WalkOptions::default()
        },
    )
    .unwrap();
    assert!(lt.not_covered.contains("vol"));
    assert!(!lt.tree.contains_key("vol") && !lt.tree.contains_key("vol/x"));
}
