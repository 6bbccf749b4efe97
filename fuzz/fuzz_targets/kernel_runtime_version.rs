//! Fuzz the runtime version readers: Go build info text, `--version` output and distribution
//! package versions; never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekisho_kernel::data::embedded;
use sekisho_kernel::runtime::{self, PackageInfo, RuntimeKind};
use sekisho_kernel::verdict::judge_runtime;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    let _ = runtime::upstream_of_package(a);
    let _ = runtime::version_from_string(a);
    let pkg = PackageInfo {
        manager: "dpkg".into(),
        name: "runc".into(),
        version: a.lines().next().unwrap_or("").to_string(),
        distro: Some("debian".into()),
        distro_release: Some("bookworm".into()),
    };
    let id = runtime::identify(
        RuntimeKind::Runc,
        "/usr/sbin/runc",
        Some(pkg),
        Some(b),
        Some(a),
    );
    let _ = judge_runtime(embedded(), &id, None);
    let id = runtime::identify(
        RuntimeKind::Containerd,
        "/usr/bin/containerd",
        None,
        Some(b),
        Some(a),
    );
    let _ = judge_runtime(embedded(), &id, None);
});
