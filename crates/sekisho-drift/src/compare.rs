//! The comparison, by content: every path of the image's tree against the container's, each
//! difference classified.
//!
//! A regular file is modified when its size or SHA-256 differs (mtimes are never trusted); any
//! path has a metadata change when its mode, owner, link target or file capabilities differ.
//! Directory mtimes and sizes, and the metadata of directories a layer only implied, are not
//! compared. Paths under a mount that is not covered are left out on both sides; paths on the
//! volatile list are kept, flagged, and reported on their own.

use serde::{Deserialize, Serialize};

pub use sekisho_finding::Change;

use crate::live::LiveTree;
use crate::tree::{Node, NodeKind, Tree, is_under, short_digest};
use crate::volatile::Volatile;

/// What a change touches, most telling first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// A setuid or setgid bit, or file capabilities, added.
    Setuid,
    /// A new or modified executable (ELF magic or an exec bit).
    Executable,
    /// A new or modified shared library.
    SharedLibrary,
    /// Cron, shell profiles, `authorized_keys`, systemd units, init scripts, `ld.so.preload`.
    Persistence,
    /// A package database (dpkg status, apk installed, the rpm DB).
    PackageDb,
    /// Configuration under `/etc`.
    EtcConfig,
    /// A path of the image that is gone.
    Deleted,
    /// On the volatile list.
    Volatile,
    Other,
}

impl Class {
    /// The word the reports use (`class` in JSON).
    pub fn word(self) -> &'static str {
        match self {
            Self::Setuid => "setuid",
            Self::Executable => "executable",
            Self::SharedLibrary => "shared-library",
            Self::Persistence => "persistence",
            Self::PackageDb => "package-db",
            Self::EtcConfig => "etc-config",
            Self::Deleted => "deleted",
            Self::Volatile => "volatile",
            Self::Other => "other",
        }
    }
}

/// One path that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    pub change: Change,
    pub class: Class,
    pub detail: String,
}

/// Package databases, as paths (normalised).
pub fn is_package_db(path: &str) -> bool {
    matches!(
        path,
        "var/lib/dpkg/status" | "lib/apk/db/installed" | "usr/lib/apk/db/installed"
    ) || path.starts_with("var/lib/dpkg/status.d/")
        || path.starts_with("var/lib/rpm/")
        || path.starts_with("usr/lib/sysimage/rpm/")
}

/// Paths that make something run again later (or at every login, or for every process).
pub fn is_persistence(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let under = |d: &str| is_under(path, d);
    under("etc/cron.d")
        || under("etc/cron.daily")
        || under("etc/cron.hourly")
        || under("etc/cron.weekly")
        || under("etc/cron.monthly")
        || path == "etc/crontab"
        || under("var/spool/cron")
        || under("etc/periodic")
        || under("etc/profile.d")
        || matches!(
            path,
            "etc/profile"
                | "etc/bash.bashrc"
                | "etc/bashrc"
                | "etc/environment"
                | "etc/zshrc"
                | "etc/zsh/zshrc"
                | "etc/rc.local"
                | "etc/ld.so.preload"
                | "etc/sudoers"
        )
        || under("etc/sudoers.d")
        || under("etc/init.d")
        || under("etc/local.d")
        || under("etc/systemd/system")
        || under("etc/systemd/user")
        || under("lib/systemd/system")
        || under("usr/lib/systemd/system")
        || under("etc/xdg/autostart")
        || under("etc/update-motd.d")
        || ((path.starts_with("root/") || path.starts_with("home/"))
            && (matches!(
                name,
                ".bashrc"
                    | ".bash_profile"
                    | ".bash_login"
                    | ".profile"
                    | ".zshrc"
                    | ".bash_logout"
            ) || path.contains("/.ssh/authorized_keys")
                || path.contains("/.config/systemd/user/")
                || path.contains("/.config/autostart/")))
}

/// A shared library by name (`libc.so.6`, `x.so`).
pub fn is_shared_library_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".so") || name.contains(".so.")
}

fn set_id_added(exp: Option<&Node>, live: &Node) -> bool {
    let before = exp.map_or(0, Node::set_id_bits);
    live.is_file() && live.set_id_bits() & !before != 0
}

fn capability_added(exp: Option<&Node>, live: &Node) -> bool {
    live.capability.is_some() && exp.and_then(|e| e.capability.as_ref()) != live.capability.as_ref()
}

/// The class of a change to a path that exists in the container.
fn classify(path: &str, exp: Option<&Node>, live: &Node) -> Class {
    if set_id_added(exp, live) || capability_added(exp, live) {
        return Class::Setuid;
    }
    if is_package_db(path) {
        return Class::PackageDb;
    }
    if is_persistence(path) {
        return Class::Persistence;
    }
    if live.is_file() {
        let elf = live.elf == Some(true);
        if (elf || live.mode & 0o111 != 0) && is_shared_library_name(path) && elf {
            return Class::SharedLibrary;
        }
        if elf || live.mode & 0o111 != 0 {
            return Class::Executable;
        }
    }
    if is_under(path, "etc") {
        return Class::EtcConfig;
    }
    Class::Other
}

fn describe(n: &Node) -> String {
    let mut s = match n.kind {
        NodeKind::File => match n.size {
            Some(sz) => format!("regular file, {sz} bytes"),
            None => "regular file".to_string(),
        },
        NodeKind::Symlink => format!(
            "symlink -> {}",
            n.target.as_deref().unwrap_or("(unreadable)")
        ),
        k => k.word().to_string(),
    };
    if !n.implicit {
        s.push_str(&format!(", mode {:04o}, owner {}:{}", n.mode, n.uid, n.gid));
    }
    if n.elf == Some(true) {
        s.push_str(", ELF");
    }
    if let Some(c) = &n.capability {
        s.push_str(&format!(", file capabilities {c}"));
    }
    s
}

/// What differs between two nodes at one path, or nothing.
fn differences(exp: &Node, live: &Node, unhashed: Option<&String>) -> Option<(Change, String)> {
    let mut content: Vec<String> = Vec::new();
    let mut meta: Vec<String> = Vec::new();
    if exp.kind != live.kind {
        return Some((
            Change::Modified,
            format!("was a {}, now a {}", describe(exp), describe(live)),
        ));
    }
    match exp.kind {
        NodeKind::File => {
            if let (Some(a), Some(b)) = (exp.size, live.size)
                && a != b
            {
                content.push(format!("size {a} -> {b}"));
            }
            if content.is_empty() {
                match (&exp.digest, &live.digest) {
                    (Some(a), Some(b)) if a != b => content.push(format!(
                        "content differs, same size (sha256 {} -> {})",
                        short_digest(a),
                        short_digest(b)
                    )),
                    (Some(_), None) => {
                        if let Some(why) = unhashed
                            && exp.mtime != live.mtime
                        {
                            content.push(format!("mtime {} -> {} ({why})", exp.mtime, live.mtime));
                        }
                    }
                    _ => {}
                }
            }
        }
        NodeKind::Symlink => {
            if exp.target != live.target {
                content.push(format!(
                    "target {} -> {}",
                    exp.target.as_deref().unwrap_or("?"),
                    live.target.as_deref().unwrap_or("?")
                ));
            }
        }
        _ => {}
    }
    if !exp.implicit {
        // A symlink's mode is meaningless on Linux.
        if exp.mode != live.mode && exp.kind != NodeKind::Symlink {
            meta.push(format!("mode {:04o} -> {:04o}", exp.mode, live.mode));
        }
        if (exp.uid, exp.gid) != (live.uid, live.gid) {
            meta.push(format!(
                "owner {}:{} -> {}:{}",
                exp.uid, exp.gid, live.uid, live.gid
            ));
        }
    }
    if exp.kind == NodeKind::File && exp.capability != live.capability {
        meta.push(match (&exp.capability, &live.capability) {
            (None, Some(c)) => format!("file capabilities added ({c})"),
            (Some(_), None) => "file capabilities removed".to_string(),
            (a, b) => format!(
                "file capabilities {} -> {}",
                a.as_deref().unwrap_or(""),
                b.as_deref().unwrap_or("")
            ),
        });
    }
    if content.is_empty() && meta.is_empty() {
        return None;
    }
    let change = if content.is_empty() {
        Change::Metadata
    } else {
        Change::Modified
    };
    content.extend(meta);
    Some((change, content.join("; ")))
}

/// Compare the image's tree with the container's. Returns the changes outside the volatile
/// list and those on it, each sorted by path.
pub fn compare(
    expected: &Tree,
    live: &LiveTree,
    volatile: &Volatile,
) -> (Vec<FileChange>, Vec<FileChange>) {
    let skipped = |p: &str| {
        live.not_covered.iter().any(|m| is_under(p, m))
            || live.vanished.iter().any(|v| is_under(p, v))
    };
    let mut changes = Vec::new();
    let mut vol = Vec::new();
    let mut push = |c: FileChange| {
        if volatile.matches(&c.path) {
            vol.push(FileChange {
                class: Class::Volatile,
                ..c
            });
        } else {
            changes.push(c);
        }
    };
    for (path, e) in expected {
        if skipped(path) {
            continue;
        }
        match live.tree.get(path) {
            None => push(FileChange {
                path: path.clone(),
                change: Change::Deleted,
                class: if is_package_db(path) {
                    Class::PackageDb
                } else {
                    Class::Deleted
                },
                detail: format!("was a {}", describe(e)),
            }),
            Some(l) => {
                if let Some((change, detail)) = differences(e, l, live.unhashed.get(path)) {
                    push(FileChange {
                        path: path.clone(),
                        change,
                        class: classify(path, Some(e), l),
                        detail,
                    });
                }
            }
        }
    }
    for (path, l) in &live.tree {
        if expected.contains_key(path) || skipped(path) {
            continue;
        }
        push(FileChange {
            path: path.clone(),
            change: Change::Added,
            class: classify(path, None, l),
            detail: format!("new {}", describe(l)),
        });
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    vol.sort_by(|a, b| a.path.cmp(&b.path));
    (changes, vol)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(mode: u32, size: u64, digest: &str) -> Node {
        let mut n = Node::new(NodeKind::File, mode);
        n.size = Some(size);
        n.digest = Some(digest.into());
        n.elf = Some(false);
        n
    }

    #[test]
    fn classifies_each_kind_of_change() {
        let mut exp = Tree::new();
        exp.insert("usr/bin/ls".into(), file(0o755, 10, "sha256:aa"));
        exp.insert("usr/bin/su".into(), file(0o755, 10, "sha256:bb"));
        exp.insert("etc/passwd".into(), file(0o644, 10, "sha256:cc"));
        exp.insert("etc/gone".into(), file(0o644, 1, "sha256:dd"));
        exp.insert("tmp/x".into(), file(0o644, 1, "sha256:ee"));
        exp.insert("var/lib/dpkg/status".into(), file(0o644, 5, "sha256:ff"));
        let mut live = LiveTree::default();
        let mut ls = file(0o755, 10, "sha256:a0");
        ls.elf = Some(true);
        live.tree.insert("usr/bin/ls".into(), ls);
        live.tree
            .insert("usr/bin/su".into(), file(0o4755, 10, "sha256:bb"));
        live.tree
            .insert("etc/passwd".into(), file(0o644, 12, "sha256:c0"));
        live.tree
            .insert("tmp/x".into(), file(0o644, 2, "sha256:e0"));
        live.tree
            .insert("var/lib/dpkg/status".into(), file(0o644, 9, "sha256:f0"));
        let mut nc = file(0o755, 3, "sha256:11");
        nc.elf = Some(true);
        live.tree.insert("usr/local/bin/nc".into(), nc);
        let mut so = file(0o644, 3, "sha256:12");
        so.elf = Some(true);
        live.tree.insert("usr/lib/libevil.so.1".into(), so);
        live.tree.insert(
            "root/.ssh/authorized_keys".into(),
            file(0o600, 3, "sha256:13"),
        );
        live.tree
            .insert("usr/local/bin".into(), Node::new(NodeKind::Dir, 0o755));
        let (c, v) = compare(&exp, &live, &Volatile::defaults());
        let got: Vec<(&str, Change, &str)> = c
            .iter()
            .map(|c| (c.path.as_str(), c.change, c.class.word()))
            .collect();
        assert_eq!(
            got,
            [
                ("etc/gone", Change::Deleted, "deleted"),
                ("etc/passwd", Change::Modified, "etc-config"),
                ("root/.ssh/authorized_keys", Change::Added, "persistence"),
                ("usr/bin/ls", Change::Modified, "executable"),
                ("usr/bin/su", Change::Metadata, "setuid"),
                ("usr/lib/libevil.so.1", Change::Added, "shared-library"),
                ("usr/local/bin", Change::Added, "other"),
                ("usr/local/bin/nc", Change::Added, "executable"),
                ("var/lib/dpkg/status", Change::Modified, "package-db"),
            ]
        );
        assert!(
            c[3].detail.contains("content differs, same size"),
            "{}",
            c[3].detail
        );
        assert_eq!(c[4].detail, "mode 0755 -> 4755");
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].path.as_str(), v[0].class), ("tmp/x", Class::Volatile));
    }

    #[test]
    fn not_covered_and_vanished_are_left_out() {
        let mut exp = Tree::new();
        exp.insert("data/a".into(), file(0o644, 1, "sha256:aa"));
        exp.insert("etc/hosts".into(), file(0o644, 1, "sha256:bb"));
        let mut live = LiveTree::default();
        live.not_covered.insert("data".into());
        live.vanished.insert("etc/hosts".into());
        let (c, v) = compare(&exp, &live, &Volatile::new::<&str>(&[]).unwrap());
        assert!(c.is_empty() && v.is_empty(), "{c:?}");
    }
}
