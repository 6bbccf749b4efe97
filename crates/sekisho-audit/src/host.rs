//! Host access: every read of `/proc`, `/sys` and `/dev`, every syscall probe and CPUID goes
//! through the [`Host`] trait.
//!
//! [`RealHost`] reads the running kernel; [`FixtureHost`] reads a recorded directory tree (a
//! copy of the interesting parts of `/proc`, `/sys`, `/dev` and `/run`) plus a small `_host`
//! file for what a tree cannot hold (uname, CPUID, probe results, which paths are writable), so
//! every check can be unit-tested against recorded shapes of machines we cannot create here.

use std::fs;
use std::io::{self, Read};
use std::path::PathBuf;

pub use crate::model::{Cpuid, Uname};
use crate::probe::{Attempt, Outcome, Syscall};

/// What kind of file a path is (following symlinks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Socket,
    BlockDevice,
    CharDevice,
    Other,
}

/// Read access to the machine being audited. Paths are absolute (`/proc/self/status`).
pub trait Host {
    /// Read at most `cap` bytes of a file.
    fn read(&self, path: &str, cap: usize) -> io::Result<Vec<u8>>;
    /// The target of a symlink.
    fn read_link(&self, path: &str) -> io::Result<String>;
    /// Names in a directory (unsorted).
    fn list_dir(&self, path: &str) -> io::Result<Vec<String>>;
    /// The kind of file at `path`, following symlinks; `None` if absent or unreadable.
    fn kind(&self, path: &str) -> Option<FileKind>;
    /// Whether this process may write the file (`access(W_OK)` with effective IDs; a read-only
    /// mount counts as not writable). Nothing is opened for writing.
    fn writable(&self, path: &str) -> bool;
    /// Whether this process can open the file for reading (nothing is read).
    fn openable(&self, path: &str) -> bool;
    fn uname(&self) -> Option<Uname>;
    fn cpuid(&self) -> Option<Cpuid>;
    /// The first few KiB of the kernel log (`syslog(SYSLOG_ACTION_READ_ALL)`, non-destructive).
    fn kernel_log_head(&self) -> Option<String>;
    /// Run one syscall probe; `None` when probes are unavailable.
    fn probe(&self, sc: Syscall, attempt: Attempt) -> Option<Outcome>;
    /// This process's own environment (never another process's).
    fn own_env(&self, key: &str) -> Option<String>;
    /// `getpid()` as this process sees it (in its own PID namespace).
    fn own_pid(&self) -> u32;
    /// What `<path> --version` prints, for a runtime binary that neither a package nor Go build
    /// info identifies. `None` when not run (the default).
    fn version_output(&self, _path: &str) -> Option<String> {
        None
    }

    /// Read a text file (lossy UTF-8), capped at 4 MiB.
    fn read_text(&self, path: &str) -> io::Result<String> {
        self.read(path, 4 << 20)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
    fn exists(&self, path: &str) -> bool {
        self.kind(path).is_some()
    }
}

/// The running kernel.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealHost;

impl Host for RealHost {
    fn read(&self, path: &str, cap: usize) -> io::Result<Vec<u8>> {
        let f = fs::File::open(path)?;
        let mut buf = Vec::new();
        f.take(cap as u64).read_to_end(&mut buf)?;
        Ok(buf)
    }
    fn read_link(&self, path: &str) -> io::Result<String> {
        fs::read_link(path).map(|p| p.to_string_lossy().into_owned())
    }
    fn list_dir(&self, path: &str) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for e in fs::read_dir(path)? {
            out.push(e?.file_name().to_string_lossy().into_owned());
        }
        Ok(out)
    }
    fn kind(&self, path: &str) -> Option<FileKind> {
        use std::os::unix::fs::FileTypeExt;
        let t = fs::metadata(path).ok()?.file_type();
        Some(if t.is_file() {
            FileKind::File
        } else if t.is_dir() {
            FileKind::Dir
        } else if t.is_socket() {
            FileKind::Socket
        } else if t.is_block_device() {
            FileKind::BlockDevice
        } else if t.is_char_device() {
            FileKind::CharDevice
        } else {
            FileKind::Other
        })
    }
    fn writable(&self, path: &str) -> bool {
        crate::sys::access_writable(path)
    }
    fn openable(&self, path: &str) -> bool {
        fs::File::open(path).is_ok()
    }
    fn uname(&self) -> Option<Uname> {
        crate::sys::uname()
    }
    fn cpuid(&self) -> Option<Cpuid> {
        crate::sys::cpuid()
    }
    fn kernel_log_head(&self) -> Option<String> {
        crate::sys::kernel_log_head(8192)
    }
    fn probe(&self, sc: Syscall, attempt: Attempt) -> Option<Outcome> {
        Some(crate::sys::probe(sc, attempt))
    }
    fn own_env(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
    fn own_pid(&self) -> u32 {
        std::process::id()
    }
    /// Runs `path --version` only for a root-owned regular file that group and others cannot
    /// write, with an empty environment, no stdin, a 3 s deadline and 4 KiB of output kept.
    fn version_output(&self, path: &str) -> Option<String> {
        use std::os::unix::fs::MetadataExt;
        use std::process::{Command, Stdio};
        let m = fs::metadata(path).ok()?;
        if !m.is_file() || m.uid() != 0 || m.mode() & 0o022 != 0 || m.mode() & 0o111 == 0 {
            return None;
        }
        let mut child = Command::new(path)
            .arg("--version")
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
            }
        }
        let mut out = Vec::new();
        child.stdout.take()?.take(4096).read_to_end(&mut out).ok()?;
        Some(String::from_utf8_lossy(&out).into_owned())
    }
}

/// A recorded machine: `root/proc/...`, `root/sys/...`, `root/dev/...`, plus `root/_host`, a
/// line-oriented file:
///
/// ```text
/// pid 1                     # getpid() inside the recorded namespace
/// uname Linux 4.4.0 x86_64 #1 SMP Sun Jan 10 15:06:54 PST 2016
/// cpuid 1 KVMKVMKVM         # hypervisor bit, vendor (or -)
/// env container=podman
/// writable /proc/sysrq-trigger
/// openable /proc/kcore
/// socket /run/docker.sock
/// blockdev /dev/vda
/// unreadable /proc/1/ns/mnt
/// probe mount real errno 1  # or: ok, signal 31
/// version /usr/bin/crun crun version 1.8.1   # what `--version` prints
/// ```
///
/// Symlinks under `proc/*/ns/` may be real symlinks or regular files holding the link text.
/// `_dmesg` holds the kernel log.
#[derive(Debug, Clone)]
pub struct FixtureHost {
    root: PathBuf,
    meta: Vec<(String, String)>,
}

impl FixtureHost {
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let text = fs::read_to_string(root.join("_host")).unwrap_or_default();
        let meta = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l.split_once(' ').unwrap_or((l, ""));
                (k.to_string(), v.trim().to_string())
            })
            .collect();
        Ok(Self { root, meta })
    }
    fn path(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }
    fn has(&self, key: &str, value: &str) -> bool {
        self.meta.iter().any(|(k, v)| k == key && v == value)
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn denied(&self, p: &str) -> io::Result<()> {
        if self.has("unreadable", p) {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        Ok(())
    }
}

fn fixture_outcome(words: &[&str]) -> Option<Outcome> {
    match words {
        ["ok", ..] => Some(Outcome::Ok),
        ["errno", n, ..] => n.parse().ok().map(Outcome::Errno),
        ["signal", n, ..] => n.parse().ok().map(Outcome::Signal),
        _ => None,
    }
}

impl Host for FixtureHost {
    fn read(&self, path: &str, cap: usize) -> io::Result<Vec<u8>> {
        self.denied(path)?;
        let p = self.path(path);
        if p.is_dir() {
            return Err(io::Error::other("is a directory"));
        }
        RealHost.read(p.to_str().unwrap_or_default(), cap)
    }
    fn read_link(&self, path: &str) -> io::Result<String> {
        self.denied(path)?;
        let p = self.path(path);
        match fs::read_link(&p) {
            Ok(t) => Ok(t.to_string_lossy().into_owned()),
            Err(_) => Ok(fs::read_to_string(&p)?.trim().to_string()),
        }
    }
    fn list_dir(&self, path: &str) -> io::Result<Vec<String>> {
        self.denied(path)?;
        RealHost.list_dir(self.path(path).to_str().unwrap_or_default())
    }
    fn kind(&self, path: &str) -> Option<FileKind> {
        if self.has("socket", path) {
            return Some(FileKind::Socket);
        }
        if self.has("blockdev", path) {
            return Some(FileKind::BlockDevice);
        }
        let p = self.path(path);
        let m = fs::symlink_metadata(&p).ok()?;
        Some(if m.is_dir() {
            FileKind::Dir
        } else {
            FileKind::File
        })
    }
    fn writable(&self, path: &str) -> bool {
        self.has("writable", path)
    }
    fn openable(&self, path: &str) -> bool {
        self.has("openable", path)
            || (!self.has("unreadable", path) && self.path(path).is_file() && path != "/proc/kcore")
    }
    fn uname(&self) -> Option<Uname> {
        let v = self.get("uname")?;
        let mut it = v.splitn(4, ' ');
        Some(Uname {
            sysname: it.next()?.to_string(),
            release: it.next()?.to_string(),
            machine: it.next().unwrap_or("").to_string(),
            version: it.next().unwrap_or("").to_string(),
        })
    }
    fn cpuid(&self) -> Option<Cpuid> {
        let v = self.get("cpuid")?;
        let mut it = v.split_whitespace();
        let bit = it.next()? == "1";
        let vendor = it.next().filter(|s| *s != "-").map(str::to_string);
        Some(Cpuid {
            hypervisor_bit: bit,
            vendor,
        })
    }
    fn kernel_log_head(&self) -> Option<String> {
        fs::read_to_string(self.root.join("_dmesg")).ok()
    }
    fn probe(&self, sc: Syscall, attempt: Attempt) -> Option<Outcome> {
        let want_attempt = match attempt {
            Attempt::Real => "real",
            Attempt::Canary => "canary",
        };
        self.meta
            .iter()
            .filter(|(k, _)| k == "probe")
            .find_map(|(_, v)| {
                let w: Vec<&str> = v.split_whitespace().collect();
                match w.as_slice() {
                    [name, a, rest @ ..] if *name == sc.name() && *a == want_attempt => {
                        fixture_outcome(rest)
                    }
                    _ => None,
                }
            })
    }
    fn own_env(&self, key: &str) -> Option<String> {
        self.meta
            .iter()
            .filter(|(k, _)| k == "env")
            .find_map(|(_, v)| v.strip_prefix(key)?.strip_prefix('=').map(str::to_string))
    }
    fn own_pid(&self) -> u32 {
        self.get("pid").and_then(|p| p.parse().ok()).unwrap_or(1)
    }
    fn version_output(&self, path: &str) -> Option<String> {
        self.meta
            .iter()
            .filter(|(k, _)| k == "version")
            .find_map(|(_, v)| v.strip_prefix(path)?.strip_prefix(' ').map(str::to_string))
    }
}

/// A host whose syscall probes run in a helper process (see [`crate::sys::probe_in`]) whenever
/// this process has other threads: a forked child of a threaded process carries only the
/// forking thread, and a server's threads need not share one seccomp filter. Everything else is
/// the inner host's. Single-threaded callers keep the forked probes.
pub struct HelperProbes<'a> {
    pub inner: &'a dyn Host,
    /// An executable that runs [`crate::sys::helper_main`] first thing (the `sekisho` binary).
    pub exe: std::path::PathBuf,
    /// Use the helper even when this process is single-threaded (tests).
    pub always: bool,
}

impl Host for HelperProbes<'_> {
    fn read(&self, path: &str, cap: usize) -> io::Result<Vec<u8>> {
        self.inner.read(path, cap)
    }
    fn read_link(&self, path: &str) -> io::Result<String> {
        self.inner.read_link(path)
    }
    fn list_dir(&self, path: &str) -> io::Result<Vec<String>> {
        self.inner.list_dir(path)
    }
    fn kind(&self, path: &str) -> Option<FileKind> {
        self.inner.kind(path)
    }
    fn writable(&self, path: &str) -> bool {
        self.inner.writable(path)
    }
    fn openable(&self, path: &str) -> bool {
        self.inner.openable(path)
    }
    fn uname(&self) -> Option<Uname> {
        self.inner.uname()
    }
    fn cpuid(&self) -> Option<Cpuid> {
        self.inner.cpuid()
    }
    fn kernel_log_head(&self) -> Option<String> {
        self.inner.kernel_log_head()
    }
    fn probe(&self, sc: Syscall, attempt: Attempt) -> Option<Outcome> {
        if self.always || crate::sys::threads() != Some(1) {
            Some(crate::sys::probe_in(&self.exe, sc, attempt))
        } else {
            self.inner.probe(sc, attempt)
        }
    }
    fn own_env(&self, key: &str) -> Option<String> {
        self.inner.own_env(key)
    }
    fn own_pid(&self) -> u32 {
        self.inner.own_pid()
    }
}
