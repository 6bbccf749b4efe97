//! Fuzz the apk version parser and comparator: never panics, and the order is antisymmetric.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekisho_version::{Ecosystem, Version};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;
    let (a, b) = text.split_once('\n').unwrap_or((text, "1.0"));
    let (pa, pb) = (
        Version::parse(Ecosystem::Alpine, a),
        Version::parse(Ecosystem::Alpine, b),
    );
    if let (Ok(x), Ok(y)) = (&pa, &pb) {
        let xy = x.try_cmp(y).expect("same scheme");
        let yx = y.try_cmp(x).expect("same scheme");
        assert_eq!(xy, yx.reverse(), "{a:?} vs {b:?}");
        assert_eq!(x.try_cmp(x), Some(std::cmp::Ordering::Equal));
    }
    let _ = sekisho_version::apk::compare_raw(a, b);
    let _ = sekisho_version::apk::fuzzy_match(a, b);
    // The apk-tools 2.14 machine and the lenient order the scheme uses, on any strings.
    let _ = sekisho_version::apk::v2::compare_raw(a, b);
    let _ = sekisho_version::apk::v2::fuzzy_match(a, b);
    let _ = sekisho_version::apk::v2::is_valid(a);
    let _ = sekisho_version::apk::is_valid_lenient(a);
    assert_eq!(
        sekisho_version::apk::compare_lenient(a, b),
        sekisho_version::apk::compare_lenient(b, a).reverse(),
        "{a:?} vs {b:?}"
    );
});
