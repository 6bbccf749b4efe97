//! The only module with `unsafe`: libc calls for `access(2)`, `uname(2)`, `syslog(2)`, CPUID and
//! the syscall probes.
//!
//! Every probe is safe by construction: it either passes arguments the kernel rejects after its
//! permission checks (so nothing happens whichever way the checks go), or it runs in a forked
//! child that only makes the call and `_exit`s, so whatever it creates (a user namespace, a BPF
//! map, a perf counter) dies with the child. The child never allocates, locks or touches shared
//! state; probes are run from a single-threaded caller. See `docs/isolation.md` for how results
//! are classified.

#![allow(
    unsafe_code,
    reason = "the one place that calls libc; each block has a SAFETY note"
)]

use std::ffi::CString;
use std::time::{Duration, Instant};

use crate::model::{Cpuid, Uname};
use crate::probe::{Attempt, Outcome, Syscall};

/// `access(path, W_OK)` with effective IDs (`AT_EACCESS`); a read-only mount gives `EROFS`.
pub fn access_writable(path: &str) -> bool {
    let Ok(c) = CString::new(path) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call; faccessat only reads it.
    unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK, libc::AT_EACCESS) == 0 }
}

fn field(b: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = b
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| c.to_ne_bytes()[0])
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

pub fn uname() -> Option<Uname> {
    // SAFETY: utsname is plain data; all-zero is a valid value.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname for the duration of the call.
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    Some(Uname {
        sysname: field(&u.sysname),
        release: field(&u.release),
        version: field(&u.version),
        machine: field(&u.machine),
    })
}

/// `syslog(SYSLOG_ACTION_READ_ALL)`: reads the ring buffer without consuming it. Needs
/// CAP_SYSLOG or `kernel.dmesg_restrict = 0`; `None` otherwise.
pub fn kernel_log_head(cap: usize) -> Option<String> {
    let mut buf = vec![0u8; cap];
    let len = libc::c_int::try_from(cap).ok()?;
    // SAFETY: `buf` is valid for `len` bytes of writes; action 3 (READ_ALL) only copies out.
    let n = unsafe { libc::klogctl(3, buf.as_mut_ptr().cast(), len) };
    let n = usize::try_from(n).ok()?;
    buf.truncate(n);
    Some(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(target_arch = "x86_64")]
pub fn cpuid() -> Option<Cpuid> {
    use std::arch::x86_64::__cpuid;
    // Leaf 1 is always available on x86_64.
    #[allow(unused_unsafe, reason = "__cpuid is safe on newer toolchains")]
    // SAFETY: CPUID is available on every x86_64 CPU and has no side effects.
    let l1 = unsafe { __cpuid(1) };
    let bit = l1.ecx & (1 << 31) != 0;
    let vendor = if bit {
        #[allow(unused_unsafe, reason = "__cpuid is safe on newer toolchains")]
        // SAFETY: as above; leaves 0x4000_0000.. are reserved for hypervisors and read-only.
        let l = unsafe { __cpuid(0x4000_0000) };
        let mut b = Vec::with_capacity(12);
        for r in [l.ebx, l.ecx, l.edx] {
            b.extend_from_slice(&r.to_le_bytes());
        }
        let s: String = String::from_utf8_lossy(&b)
            .trim_matches(char::from(0))
            .to_string();
        (!s.trim().is_empty()).then_some(s)
    } else {
        None
    };
    Some(Cpuid {
        hypervisor_bit: bit,
        vendor,
    })
}

#[cfg(not(target_arch = "x86_64"))]
pub fn cpuid() -> Option<Cpuid> {
    None
}

/// The raw call a probe makes. Runs in the forked child; returns the syscall result.
fn call(sc: Syscall, attempt: Attempt, ns_fd: libc::c_int) -> libc::c_long {
    // perf_event_attr (include/uapi/linux/perf_event.h), PERF_ATTR_SIZE_VER0 = 64 bytes:
    // type u32 @0, size u32 @4, config u64 @8, flags bitfield u64 @40 (bit 0 = disabled).
    let mut perf_attr = [0u8; 128];
    perf_attr[0..4].copy_from_slice(&1u32.to_ne_bytes()); // PERF_TYPE_SOFTWARE
    perf_attr[4..8].copy_from_slice(&128u32.to_ne_bytes());
    perf_attr[40..48].copy_from_slice(&1u64.to_ne_bytes()); // disabled
    // union bpf_attr for BPF_MAP_CREATE: map_type u32, key_size u32, value_size u32,
    // max_entries u32 (include/uapi/linux/bpf.h); an ARRAY map of one 4-byte value.
    let mut bpf_attr = [0u8; 72];
    for (i, v) in [2u32, 4, 4, 1].iter().enumerate() {
        bpf_attr[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
    }
    // struct file_handle (open_by_handle_at(2)): handle_bytes = 8, handle_type = 1
    // (FILEID_INO32_GEN), inode 0 / generation 0, which no filesystem hands out: ESTALE.
    let mut fh = [0u8; 16];
    fh[0..4].copy_from_slice(&8u32.to_ne_bytes());
    fh[4..8].copy_from_slice(&1i32.to_ne_bytes());
    let empty = c"";
    let root = c"/";
    let null = std::ptr::null::<libc::c_void>();
    // SAFETY (all arms): raw syscalls whose pointer arguments are either NULL (the kernel
    // answers EFAULT) or point at live local buffers of the stated size; none of them can
    // change state that outlives this forked child (see the module docs and docs/isolation.md).
    unsafe {
        match (sc, attempt) {
            (Syscall::Unshare, Attempt::Real) => {
                libc::syscall(libc::SYS_unshare, libc::CLONE_NEWUSER)
            }
            // Bit 0 is part of CSIGNAL, never valid for unshare: EINVAL before any check.
            (Syscall::Unshare, Attempt::Canary) => libc::syscall(libc::SYS_unshare, 1),
            // No filesystem type: EINVAL right after the CAP_SYS_ADMIN check, nothing mounted.
            (Syscall::Mount, Attempt::Real) => libc::syscall(
                libc::SYS_mount,
                empty.as_ptr(),
                root.as_ptr(),
                null,
                0,
                null,
            ),
            (Syscall::Mount, Attempt::Canary) => {
                libc::syscall(libc::SYS_mount, null, null, null, 0, null)
            }
            // An operation number no kernel defines: EOPNOTSUPP.
            (Syscall::Keyctl, _) => libc::syscall(libc::SYS_keyctl, 0x7fff_ffff, 0, 0, 0, 0),
            // A NULL key type: EFAULT.
            (Syscall::AddKey, _) => libc::syscall(libc::SYS_add_key, null, null, null, 0, 0),
            (Syscall::Bpf, Attempt::Real) => {
                libc::syscall(libc::SYS_bpf, 0, bpf_attr.as_ptr(), bpf_attr.len())
            }
            (Syscall::Bpf, Attempt::Canary) => libc::syscall(libc::SYS_bpf, 0, null, 72),
            // A disabled software counter on CPU 0 for all tasks: needs CAP_PERFMON (or
            // perf_event_paranoid <= 0); it counts nothing and dies with the child.
            (Syscall::PerfEventOpen, Attempt::Real) => libc::syscall(
                libc::SYS_perf_event_open,
                perf_attr.as_ptr(),
                -1,
                0,
                -1,
                8u64, // PERF_FLAG_FD_CLOEXEC
            ),
            (Syscall::PerfEventOpen, Attempt::Canary) => {
                libc::syscall(libc::SYS_perf_event_open, null, -1, 0, -1, 0)
            }
            (Syscall::Ptrace, Attempt::Real) => {
                libc::syscall(libc::SYS_ptrace, libc::PTRACE_TRACEME, 0, 0, 0)
            }
            // PEEKDATA on PID -1: ESRCH.
            (Syscall::Ptrace, Attempt::Canary) => {
                libc::syscall(libc::SYS_ptrace, libc::PTRACE_PEEKDATA, -1, 0, 0)
            }
            // 2^32-1 segments (> KEXEC_SEGMENT_MAX): EINVAL right after the CAP_SYS_BOOT check.
            (Syscall::KexecLoad, _) => {
                libc::syscall(libc::SYS_kexec_load, 0, 0xffff_ffffu32, null, 0)
            }
            // A handle to inode 0: ESTALE once CAP_DAC_READ_SEARCH is granted (read-only, and
            // inode 0 never exists).
            (Syscall::OpenByHandleAt, Attempt::Real) => libc::syscall(
                libc::SYS_open_by_handle_at,
                libc::AT_FDCWD,
                fh.as_ptr(),
                libc::O_RDONLY,
            ),
            (Syscall::OpenByHandleAt, Attempt::Canary) => {
                libc::syscall(libc::SYS_open_by_handle_at, -1, null, 0)
            }
            // An undefined flag bit: EINVAL once the caller is allowed to create one; with
            // UFFD_USER_MODE_ONLY (bit 0) it is always allowed, so only the filter can refuse.
            (Syscall::Userfaultfd, Attempt::Real) => {
                libc::syscall(libc::SYS_userfaultfd, 0x4000_0000)
            }
            (Syscall::Userfaultfd, Attempt::Canary) => {
                libc::syscall(libc::SYS_userfaultfd, 0x4000_0001)
            }
            // NULL params: EFAULT once io_uring is allowed for the caller.
            (Syscall::IoUringSetup, _) => libc::syscall(libc::SYS_io_uring_setup, 1, null),
            // Re-join the UTS namespace we are already in: no change even when it succeeds.
            (Syscall::Setns, Attempt::Real) => {
                libc::syscall(libc::SYS_setns, ns_fd, libc::CLONE_NEWUTS)
            }
            (Syscall::Setns, Attempt::Canary) => libc::syscall(libc::SYS_setns, -1, 0),
            // Length 0: ENOEXEC right after the CAP_SYS_MODULE check.
            (Syscall::InitModule, _) => {
                libc::syscall(libc::SYS_init_module, null, 0, empty.as_ptr())
            }
        }
    }
}

/// How many threads this process runs (`Threads:` of `/proc/self/status`), when readable.
pub fn threads() -> Option<usize> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
}

/// The first argument a probe helper is started with (see [`helper_main`]).
pub const HELPER_ARG: &str = "__sekisho-probe-helper";

/// Run one probe in a fresh helper process, `exe HELPER_ARG <syscall> <attempt>`, which makes
/// the call and exits with its errno ([`helper_main`]); the exit status means what a forked
/// child's would. For callers with other threads: a fresh process is single-threaded and
/// inherits the seccomp filter, namespaces, cgroups and LSM label (capabilities follow exec's
/// rules: docs/isolation.md says where they can differ).
pub fn probe_in(exe: &std::path::Path, sc: Syscall, attempt: Attempt) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    let child = std::process::Command::new(exe)
        .arg(HELPER_ARG)
        .arg(sc.name())
        .arg(attempt.name())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return Outcome::ProbeFailed;
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(st)) => {
                return match (st.code(), st.signal()) {
                    (Some(0), _) => Outcome::Ok,
                    // 254/253: the helper did not understand its arguments or is not one.
                    (Some(c), _) if c >= 253 => Outcome::ProbeFailed,
                    (Some(c), _) => Outcome::Errno(c),
                    (None, Some(sig)) => Outcome::Signal(sig),
                    _ => Outcome::ProbeFailed,
                };
            }
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_micros(500));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::ProbeFailed;
            }
        }
    }
}

/// The probe helper's body: when `args` (after the program name) are `HELPER_ARG <syscall>
/// <attempt>`, make the call and exit with its errno (0 on success; 254 for bad arguments).
/// Returns without doing anything when `args` do not start with [`HELPER_ARG`]; a binary calls
/// this first thing in `main`.
pub fn helper_main(args: &[String]) {
    if args.first().map(String::as_str) != Some(HELPER_ARG) {
        return;
    }
    let parsed = (
        args.get(1).and_then(|s| Syscall::from_name(s)),
        args.get(2).and_then(|s| Attempt::from_name(s)),
    );
    let (Some(sc), Some(attempt)) = parsed else {
        std::process::exit(254);
    };
    let ns_path = c"/proc/self/ns/uts";
    let ns_fd = if sc == Syscall::Setns {
        // SAFETY: a valid NUL-terminated path; the process exits right after.
        unsafe { libc::open(ns_path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) }
    } else {
        -1
    };
    let r = call(sc, attempt, ns_fd);
    let code = if r >= 0 {
        0
    } else {
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(252)
    };
    // SAFETY: terminate at once, as a forked probe child does.
    unsafe { libc::_exit(code.clamp(0, 252)) }
}

/// Run one probe in a forked child and report how the call ended.
pub fn probe(sc: Syscall, attempt: Attempt) -> Outcome {
    let ns_path = c"/proc/self/ns/uts";
    let ns_fd = if sc == Syscall::Setns {
        // SAFETY: a valid NUL-terminated path; the fd is closed below.
        unsafe { libc::open(ns_path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) }
    } else {
        -1
    };
    // SAFETY: the child only issues raw syscalls and `_exit`s (async-signal-safe); it does not
    // return into Rust code that could observe the copied state of other threads.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let r = call(sc, attempt, ns_fd);
        let code = if r >= 0 {
            0
        } else {
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(255)
        };
        // SAFETY: terminate the child immediately, without running destructors or atexit hooks.
        unsafe { libc::_exit(code.clamp(0, 255)) }
    }
    let out = if pid < 0 {
        Outcome::ProbeFailed
    } else {
        wait_child(pid)
    };
    if ns_fd >= 0 {
        // SAFETY: closing the fd this function opened.
        unsafe { libc::close(ns_fd) };
    }
    out
}

fn wait_child(pid: libc::pid_t) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer; `pid` is our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            if libc::WIFEXITED(status) {
                return match libc::WEXITSTATUS(status) {
                    0 => Outcome::Ok,
                    e => Outcome::Errno(e),
                };
            }
            if libc::WIFSIGNALED(status) {
                return Outcome::Signal(libc::WTERMSIG(status));
            }
            return Outcome::ProbeFailed;
        }
        if r < 0 {
            return Outcome::ProbeFailed;
        }
        if Instant::now() > deadline {
            // SAFETY: killing and reaping the child this function forked.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return Outcome::ProbeFailed;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}
