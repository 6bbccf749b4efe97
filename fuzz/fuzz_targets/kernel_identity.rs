//! Fuzz the kernel identity parsers (`uname -r`, `/proc/version`, `/proc/version_signature`,
//! live patch names) and the verdict engine over the result: never panics, and every escape
//! gets a verdict with a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekisho_kernel::data::embedded;
use sekisho_kernel::identity::KernelIdentity;
use sekisho_kernel::kver::KVer;
use sekisho_kernel::verdict::{Evidence, judge_kernel};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let release = parts.next().unwrap_or("");
    let banner = parts.next();
    let sig = parts.next();
    let patch = parts.next();
    let _ = KVer::parse(release);
    let id = KernelIdentity::parse(release, banner, sig).with_livepatches(
        &patch
            .map(|p| vec![(p.to_string(), Some("1".to_string()))])
            .unwrap_or_default(),
    );
    let ev = Evidence {
        userns_creatable: Some(data.first().is_some_and(|b| b & 1 == 1)),
        ..Evidence::default()
    };
    let js = judge_kernel(embedded(), &id, Some(&ev));
    assert!(js.iter().all(|j| !j.reason.is_empty()));
});
