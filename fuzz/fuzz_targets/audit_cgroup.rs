//! Fuzz the cgroup parser of the isolation audit: arbitrary bytes must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for l in sekisho_audit::parse::cgroup::parse(&text) {
        let _ = sekisho_audit::runtime::container_from_cgroup(&l.path);
    }
    let _ = sekisho_audit::parse::cgroup::v2_cpu_max(&text);
    let _ = sekisho_audit::parse::cgroup::v1_memory_limit(&text);
    let _ = sekisho_audit::parse::cgroup::v1_cpu_quota(&text);
});
