//! A plain root filesystem on the local disk (`sekisho rootfs DIR`), seen as a single layer.
//!
//! Symlinks are reported, never followed, so nothing outside `DIR` is read. Files are opened one at
//! a time, only when a capture wants them.

mod par;

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::layer::{
    EntryKind, EntryMeta, EntryRead, LayerInfo, LayerSource, Note, ReadAt, Visitor, WalkError,
};
use crate::path::MAX_DEPTH;
use crate::walk::{EndRun, EntryRun, StartRun};

/// A directory tree walked as one layer.
pub struct DirLayer {
    root: PathBuf,
    info: LayerInfo,
}

impl DirLayer {
    /// A layer over `root`. Fails if `root` is not a directory.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, WalkError> {
        let root = root.into();
        let md = fs::metadata(&root).map_err(|e| WalkError::Io {
            layer: root.display().to_string(),
            path: root.display().to_string(),
            source: e,
        })?;
        if !md.is_dir() {
            return Err(WalkError::Layer {
                layer: root.display().to_string(),
                message: "not a directory".into(),
            });
        }
        let info = LayerInfo {
            index: 0,
            description: Some(format!("rootfs {}", root.display())),
            ..LayerInfo::default()
        };
        Ok(Self { root, info })
    }

    fn meta_of(rel: &str, md: &fs::Metadata, full: &Path) -> EntryMeta {
        let ft = md.file_type();
        let kind = if ft.is_file() {
            EntryKind::File
        } else if ft.is_dir() {
            EntryKind::Dir
        } else if ft.is_symlink() {
            match fs::read_link(full) {
                Ok(t) => EntryKind::Symlink {
                    target: t.to_string_lossy().into_owned(),
                },
                Err(_) => EntryKind::Other,
            }
        } else if ft.is_char_device() {
            EntryKind::CharDevice
        } else if ft.is_block_device() {
            EntryKind::BlockDevice
        } else if ft.is_fifo() {
            EntryKind::Fifo
        } else {
            EntryKind::Other
        };
        EntryMeta {
            path: rel.to_string(),
            kind,
            size: if ft.is_file() { md.len() } else { 0 },
            mode: md.mode() & 0o7777,
            uid: u64::from(md.uid()),
            gid: u64::from(md.gid()),
            mtime: md.mtime(),
            capability: None,
        }
    }
}

/// What an entry visit goes to: the sequential walk's visitor and notes, or a parallel walk's run.
trait Sink {
    fn visit(&mut self, meta: &EntryMeta, r: &mut dyn EntryRead) -> io::Result<()>;
    fn note(&mut self, note: Note);
}

struct SeqSink<'v, 'a> {
    visit: &'v mut Visitor<'a>,
    notes: &'v mut Vec<Note>,
}

impl Sink for SeqSink<'_, '_> {
    fn visit(&mut self, meta: &EntryMeta, r: &mut dyn EntryRead) -> io::Result<()> {
        (self.visit)(meta, r)
    }
    fn note(&mut self, note: Note) {
        self.notes.push(note);
    }
}

impl Sink for Box<dyn EntryRun + '_> {
    fn visit(&mut self, meta: &EntryMeta, r: &mut dyn EntryRead) -> io::Result<()> {
        EntryRun::visit(self.as_mut(), meta, r)
    }
    fn note(&mut self, note: Note) {
        EntryRun::note(self.as_mut(), note);
    }
}

/// One name of a directory listing.
enum Listed {
    /// Its metadata is read through the open directory (`fstatat` on the directory's descriptor),
    /// so the kernel does not walk the whole path again for each entry.
    Name(String, fs::DirEntry),
    /// Not UTF-8: noted and skipped at its place.
    NotUtf8(std::ffi::OsString),
}

impl DirLayer {
    fn full(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    /// The names of a directory, sorted (so results are deterministic), or the note saying why
    /// it cannot be read.
    fn list(&self, dir_rel: &str) -> Result<Vec<Listed>, Note> {
        let rd = fs::read_dir(self.full(dir_rel)).map_err(|e| {
            Note::new(
                Some(0),
                dir_rel.to_string(),
                format!("skipped: cannot read directory: {e}"),
            )
        })?;
        let mut names: Vec<_> = rd
            .filter_map(Result::ok)
            .map(|e| (e.file_name(), e))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(names
            .into_iter()
            .map(|(n, e)| match n.into_string() {
                Ok(s) => Listed::Name(s, e),
                Err(n) => Listed::NotUtf8(n),
            })
            .collect())
    }

    /// Visit one listed entry of `dir_rel` (at `depth`); the directory to descend into, if it is
    /// one (same filesystem, not too deep).
    fn entry(
        &self,
        dir_rel: &str,
        depth: usize,
        name: &Listed,
        root_dev: Option<u64>,
        sink: &mut dyn Sink,
    ) -> Result<Option<String>, WalkError> {
        let (name, dirent) = match name {
            Listed::Name(n, e) => (n, e),
            Listed::NotUtf8(n) => {
                sink.note(Note::new(
                    Some(0),
                    format!("{dir_rel}/{}", n.to_string_lossy()),
                    "skipped: file name is not UTF-8",
                ));
                return Ok(None);
            }
        };
        let rel = if dir_rel.is_empty() {
            name.clone()
        } else {
            format!("{dir_rel}/{name}")
        };
        let full = self.root.join(&rel);
        // As `fs::symlink_metadata(&full)`: never follows a symlink.
        let md = match dirent.metadata() {
            Ok(md) => md,
            Err(e) => {
                sink.note(Note::new(Some(0), rel, format!("skipped: {e}")));
                return Ok(None);
            }
        };
        let meta = Self::meta_of(&rel, &md, &full);
        let res = if meta.kind == EntryKind::File {
            // Open lazily: only read if the visitor reads.
            let mut lazy = LazyFile {
                path: &full,
                file: None,
            };
            sink.visit(&meta, &mut lazy)
        } else {
            sink.visit(&meta, &mut io::empty())
        };
        if let Err(e) = res {
            if e.kind() == io::ErrorKind::PermissionDenied || e.kind() == io::ErrorKind::NotFound {
                sink.note(Note::new(Some(0), rel.clone(), format!("skipped: {e}")));
            } else {
                return Err(WalkError::Io {
                    layer: self.root.display().to_string(),
                    path: rel,
                    source: e,
                });
            }
        }
        if meta.kind != EntryKind::Dir {
            return Ok(None);
        }
        if root_dev.is_some_and(|d| d != md.dev()) {
            sink.note(Note::new(
                Some(0),
                rel,
                "skipped: mount point of another filesystem (not descended)",
            ));
            Ok(None)
        } else if depth + 1 >= MAX_DEPTH {
            sink.note(Note::new(
                Some(0),
                rel,
                format!("skipped: deeper than {MAX_DEPTH} levels"),
            ));
            Ok(None)
        } else {
            Ok(Some(rel))
        }
    }

    /// Stay on the root's filesystem (like `tar --one-file-system`), so `sekisho rootfs /` never
    /// wanders into /proc, /sys, /dev or other mounts; each skipped mount is a note.
    fn root_dev(&self) -> Option<u64> {
        fs::metadata(&self.root).map(|m| m.dev()).ok()
    }
}

impl LayerSource for DirLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }

    /// As many threads as the machine has cores ([`LayerSource::walk_parallel`]).
    fn threads(&self) -> usize {
        std::thread::available_parallelism().map_or(1, usize::from)
    }

    fn walk(&mut self, visit: &mut Visitor<'_>, notes: &mut Vec<Note>) -> Result<(), WalkError> {
        let root_dev = self.root_dev();
        let mut sink = SeqSink { visit, notes };
        // Depth-first, each directory's entries in name order, then its subdirectories.
        let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
        while let Some((dir_rel, depth)) = stack.pop() {
            let names = match self.list(&dir_rel) {
                Ok(n) => n,
                Err(note) => {
                    sink.note(note);
                    continue;
                }
            };
            let mut subdirs = Vec::new();
            for name in &names {
                if let Some(sub) = self.entry(&dir_rel, depth, name, root_dev, &mut sink)? {
                    subdirs.push((sub, depth + 1));
                }
            }
            subdirs.reverse();
            stack.extend(subdirs);
        }
        Ok(())
    }

    fn walk_parallel<'r>(
        &mut self,
        threads: usize,
        start: &StartRun<'r>,
        end: &mut EndRun<'r>,
    ) -> Option<Result<(), WalkError>> {
        if threads < 2 {
            return None;
        }
        Some(par::walk(self, threads, start, end))
    }
}

/// Opens the file on first read.
struct LazyFile<'a> {
    path: &'a Path,
    file: Option<fs::File>,
}

impl LazyFile<'_> {
    fn file(&mut self) -> io::Result<&mut fs::File> {
        if self.file.is_none() {
            self.file = Some(fs::File::open(self.path)?);
        }
        Ok(self.file.as_mut().expect("opened"))
    }
}

impl io::Read for LazyFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file()?.read(buf)
    }
}

/// A file of the tree reads at any offset (`pread`), so captures of large executables read
/// their headers and sections, not the whole file.
impl EntryRead for LazyFile<'_> {
    fn random_access(&mut self) -> io::Result<Option<&dyn ReadAt>> {
        Ok(Some(&*self.file()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Capture, collect};
    use std::os::unix::ffi::OsStrExt;

    struct All;
    impl Capture for All {
        fn id(&self) -> &'static str {
            "all"
        }
        fn wants(&self, meta: &EntryMeta) -> bool {
            meta.is_file()
        }
    }

    #[test]
    fn walks_without_following_symlinks_out() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "no").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(root.path().join("etc/os-release"), "ID=debian\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
        let inv = collect(
            vec![Box::new(DirLayer::new(root.path()).unwrap())],
            &[&All],
            1,
        )
        .unwrap();
        let paths: Vec<&str> = inv.visible("all").map(|c| c.meta.path.as_str()).collect();
        assert_eq!(paths, vec!["etc/os-release"]);
        // The symlink is known, and resolves inside the root, never to the real /tmp.
        let escape = outside
            .path()
            .to_string_lossy()
            .trim_start_matches('/')
            .to_string();
        assert_eq!(
            inv.resolve("escape/secret").unwrap(),
            format!("{escape}/secret")
        );
        assert!(inv.get("all", "escape/secret").is_none());
    }

    /// Keeps `*.txt` files; says files named `bad*` are not understood (a note).
    struct Texts;
    impl Capture for Texts {
        fn id(&self) -> &'static str {
            "texts"
        }
        fn wants(&self, meta: &EntryMeta) -> bool {
            meta.is_file() && (meta.path.ends_with(".txt") || meta.path.contains("/bad"))
        }
        fn capture(&self, meta: &EntryMeta, r: &mut dyn io::Read) -> io::Result<Option<Vec<u8>>> {
            let mut b = Vec::new();
            r.read_to_end(&mut b)?;
            if meta.path.contains("/bad") {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "not a text"));
            }
            Ok(Some(b))
        }
    }

    /// Counts the bytes of every executable through a push sink (shares the read with the
    /// digest of the index).
    struct Exec;
    struct ExecSink(u64);
    impl crate::CaptureSink for ExecSink {
        fn write(&mut self, chunk: &[u8]) -> io::Result<bool> {
            self.0 += chunk.len() as u64;
            Ok(true)
        }
        fn finish(self: Box<Self>) -> io::Result<Option<Vec<u8>>> {
            Ok(Some(self.0.to_string().into_bytes()))
        }
    }
    impl Capture for Exec {
        fn id(&self) -> &'static str {
            "exec"
        }
        fn wants(&self, meta: &EntryMeta) -> bool {
            meta.is_file() && meta.is_executable()
        }
        fn sink(&self, _: &EntryMeta) -> Option<Box<dyn crate::CaptureSink>> {
            Some(Box::new(ExecSink(0)))
        }
        fn tracks_history(&self) -> bool {
            true
        }
    }

    /// A tree with wide directories (more entries than one parallel run takes), deep ones,
    /// empty ones, symlinks inside and out, executables, notes and a non-UTF-8 name.
    fn fixture(outside: &Path) -> tempfile::TempDir {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let w = |rel: &str, body: &[u8]| {
            let p = r.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, body).unwrap();
        };
        w("etc/os-release", b"ID=debian\n");
        for i in 0..150 {
            w(
                &format!("usr/share/doc/f{i:03}.txt"),
                format!("doc {i}\n").as_bytes(),
            );
            w(&format!("usr/bin/tool{i:03}"), &vec![b'x'; i * 7]);
            let p = r.join(format!("usr/bin/tool{i:03}"));
            fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        }
        for i in 0..40 {
            w(&format!("srv/app{i:02}/conf/bad{i}"), b"?");
            w(
                &format!("srv/app{i:02}/conf/v.txt"),
                format!("app {i}").as_bytes(),
            );
            fs::create_dir_all(r.join(format!("srv/app{i:02}/empty"))).unwrap();
        }
        let mut deep = String::from("deep");
        for i in 0..40 {
            deep.push_str(&format!("/d{i}"));
            w(&format!("{deep}/n.txt"), deep.as_bytes());
        }
        std::os::unix::fs::symlink(outside, r.join("escape")).unwrap();
        std::os::unix::fs::symlink("../usr/share", r.join("srv/share")).unwrap();
        std::os::unix::fs::symlink("/etc", r.join("usr/etc")).unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
        fs::write(r.join("usr/share").join(odd), b"latin-1").unwrap();
        root
    }

    fn walk_with(root: &Path, threads: usize) -> crate::LayerResult {
        let caps: [&dyn Capture; 3] = [&All, &Texts, &Exec];
        crate::walk_layer_with(
            &mut DirLayer::new(root).unwrap(),
            &crate::WalkOptions {
                captures: &caps,
                index: crate::IndexMode::Digest,
                cancel: None,
                threads,
            },
        )
        .unwrap()
    }

    #[test]
    fn a_parallel_walk_is_the_one_thread_walk_entry_for_entry() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "no").unwrap();
        let root = fixture(outside.path());
        let one = walk_with(root.path(), 1);
        // The walk saw what the tree holds, so the comparison below is not between two empties.
        assert!(one.entries > 500, "{}", one.entries);
        assert_eq!(
            one.captured.iter().filter(|c| c.capture == "exec").count(),
            150
        );
        assert_eq!(one.capture_notes.len(), 40, "{:?}", one.capture_notes);
        assert!(
            one.notes.iter().any(|n| n.message.contains("not UTF-8")),
            "{:?}",
            one.notes
        );
        assert_eq!(one.symlinks.len(), 3);
        assert!(
            one.index
                .iter()
                .all(|e| !e.meta.is_file() || e.digest.is_some())
        );
        for threads in [2, 3, 8] {
            for _ in 0..3 {
                let par = walk_with(root.path(), threads);
                assert_eq!(par, one, "{threads} threads");
            }
        }
        // Nothing outside the root was read or listed, however many threads walk.
        let par = walk_with(root.path(), 4);
        assert!(
            par.index
                .iter()
                .all(|e| !e.meta.path.starts_with("escape/"))
        );
        assert!(par.captured.iter().all(|c| !c.meta.path.contains("secret")));
        assert_eq!(
            par.symlinks.get("escape").map(String::as_str),
            Some(outside.path().to_str().unwrap())
        );
    }

    #[test]
    fn a_parallel_walk_never_follows_symlinks_out() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "no").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(root.path().join("etc/os-release"), "ID=debian\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
        std::os::unix::fs::symlink("/", root.path().join("etc/rootlink")).unwrap();
        let inv = collect(
            vec![Box::new(DirLayer::new(root.path()).unwrap())],
            &[&All],
            8,
        )
        .unwrap();
        let paths: Vec<&str> = inv.visible("all").map(|c| c.meta.path.as_str()).collect();
        assert_eq!(paths, vec!["etc/os-release"]);
        assert!(inv.get("all", "escape/secret").is_none());
    }

    #[test]
    fn a_parallel_walk_stops_on_cancel() {
        let outside = tempfile::tempdir().unwrap();
        let root = fixture(outside.path());
        let cancel = std::sync::atomic::AtomicBool::new(true);
        let caps: [&dyn Capture; 1] = [&All];
        let r = crate::walk_layer_with(
            &mut DirLayer::new(root.path()).unwrap(),
            &crate::WalkOptions {
                captures: &caps,
                index: crate::IndexMode::Off,
                cancel: Some(&cancel),
                threads: 4,
            },
        );
        assert!(matches!(r, Err(WalkError::Cancelled)), "{r:?}");
    }
}
