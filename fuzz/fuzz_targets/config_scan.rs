#![no_main]
//! A whole file through sekisho-config: detection, every parser, every check (Kubernetes with
//! the Pod Security Standards at every level, compose, OCI runtime, image config), suppressions.
//! None may panic.
use libfuzzer_sys::fuzz_target;
use sekisho_config::{Level, Options, scan_file};

fuzz_target!(|data: &[u8]| {
    for (path, policy) in [
        ("f.yaml", None),
        ("Dockerfile", None),
        ("config.json", Some(Level::Baseline)),
    ] {
        let _ = scan_file(path, data, &Options { policy, k8s_minor: 25 });
    }
});
