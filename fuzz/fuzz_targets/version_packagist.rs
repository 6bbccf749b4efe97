//! Fuzz the packagist version parser and comparator: never panics, and the order is antisymmetric.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekisho_version::{Ecosystem, Version};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;
    let (a, b) = text.split_once('\n').unwrap_or((text, "1.0"));
    let (pa, pb) = (
        Version::parse(Ecosystem::Packagist, a),
        Version::parse(Ecosystem::Packagist, b),
    );
    if let (Ok(x), Ok(y)) = (&pa, &pb) {
        let xy = x.try_cmp(y).expect("same scheme");
        let yx = y.try_cmp(x).expect("same scheme");
        assert_eq!(xy, yx.reverse(), "{a:?} vs {b:?}");
        assert_eq!(x.try_cmp(x), Some(std::cmp::Ordering::Equal));
    }
    // Composer's normalisation and PHP's version_compare on the raw strings.
    let _ = sekisho_version::packagist::normalize(a);
    let _ = sekisho_version::packagist::version_compare(a, b);
});
