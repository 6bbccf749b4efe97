//! Order properties of every comparator (proptest): reflexive, antisymmetric, transitive, and
//! consistent with equality (versions that compare equal compare the same against everything).

use std::cmp::Ordering;

use proptest::prelude::*;
use sekisho_version::{Ecosystem, Version};

/// Version-like strings for each ecosystem: mostly valid, some not (invalid ones are filtered).
fn strategy(eco: Ecosystem) -> BoxedStrategy<String> {
    let pat = match eco {
        Ecosystem::Debian => {
            r"([0-3]:)?[0-9]{1,3}([.+~][0-9a-z]{0,3}){0,3}(-[0-9][0-9a-z.~+]{0,4})?"
        }
        Ecosystem::AlmaLinux => {
            r"([0-2]:|[a-z0-9]{1,2}:|:)?[0-9]{1,3}([._+~^: ][0-9a-z]{0,3}){0,3}(-[0-9a-z.~^_]{0,6})?"
        }
        Ecosystem::Alpine => {
            // apk-tools 3 forms plus the lenient ones only apk-tools 2.14 takes (`1..2`,
            // `1.2p3.4`, `1.0-r`, `1.0-r1-r2`, a trailing `_`).
            r"[0-9]{1,3}(\.[0-9]{0,3}){0,3}([a-c]([0-9]{1,2}(\.[0-9]{1,2})?)?)?(_(alpha|beta|pre|rc|p|git|cvs|svn|hg)?[0-9]{0,2}){0,2}(~[0-9a-f]{1,3})?(-r[0-9]{0,2}){0,2}"
        }
        Ecosystem::CratesIo => {
            r"(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]?)\.(0|[1-9][0-9]?)(-[0-9a-z]{1,3}(\.[0-9a-z]{1,3}){0,2})?(\+[a-z0-9]{1,3})?"
        }
        Ecosystem::Npm => {
            r"v?(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]?)\.(0|[1-9][0-9]?)(-[0-9a-z]{1,3}(\.[0-9a-z]{1,3}){0,2})?"
        }
        Ecosystem::PyPI => {
            r"v?([0-2]!)?[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc|c|alpha|pre)[0-9]{0,2})?(\.post[0-9]{0,2}|-[0-9])?(\.dev[0-9]{0,2})?(\+[a-z0-9]{1,3}([._-][a-z0-9]{1,3}){0,2})?|[a-z0-9._ -]{1,8}"
        }
        Ecosystem::Go => {
            r"v?(0|[1-9][0-9]?)(\.(0|[1-9][0-9]?)(\.(0|[1-9][0-9]?)(-[0-9a-z]{1,3}(\.[0-9a-z]{1,3}){0,2})?)?)?|go1\.[0-9]{1,2}(\.[0-9]|rc[1-3]|beta[1-2])?"
        }
        Ecosystem::Maven => {
            r"[0-9]{1,3}([.-]([0-9]{1,3}|alpha|beta|rc|cr|m|sp|ga|final|snapshot|a|b|foo|x)[0-9]{0,2}){0,4}"
        }
        Ecosystem::RubyGems => r"[0-9]{1,3}(\.([0-9]{1,3}|[a-z]{1,3}[0-9]?)){0,4}(-[a-z0-9]{1,3})?",
        Ecosystem::NuGet => {
            // Up to 11 digits: NuGet's sections wrap at 32 bits, labels beyond `int` are strings.
            r"[0-9]{1,11}(\.[0-9]{0,11}){0,3}(-[a-zA-Z0-9-]{1,11}(\.[a-zA-Z0-9-]{1,3}){0,2})?(\+[a-z0-9]{1,3})?"
        }
        Ecosystem::Packagist => {
            r"[vV]?[0-9]{1,6}(\.[0-9]{1,3}){0,4}([-._]?(dev|alpha|a|beta|b|RC|rc|pl|p|patch|stable|foo|x)([.-]?[0-9]{0,2}){0,2}){0,2}(@dev|\+b1)?"
        }
        _ => r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}",
    };
    proptest::string::string_regex(pat)
        .expect("pattern")
        .boxed()
}

const ECOSYSTEMS: [Ecosystem; 11] = [
    Ecosystem::Debian,
    Ecosystem::AlmaLinux,
    Ecosystem::Alpine,
    Ecosystem::CratesIo,
    Ecosystem::Npm,
    Ecosystem::PyPI,
    Ecosystem::Go,
    Ecosystem::Maven,
    Ecosystem::RubyGems,
    Ecosystem::NuGet,
    Ecosystem::Packagist,
];

fn triple() -> impl Strategy<Value = (Ecosystem, String, String, String)> {
    (0..ECOSYSTEMS.len()).prop_flat_map(|i| {
        let e = ECOSYSTEMS[i];
        let s = strategy(e);
        // Bias towards near-equal versions so equal/transitive cases actually occur.
        (
            Just(e),
            s.clone(),
            prop_oneof![
                s.clone(),
                s.clone().prop_map(|x| format!("{x}.0")),
                Just(String::new())
            ],
            s,
        )
    })
}

fn cmp(a: &Version, b: &Version) -> Ordering {
    a.try_cmp(b).expect("same scheme")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn total_order((eco, a, b, c) in triple()) {
        let b = if b.is_empty() { a.clone() } else { b };
        let parsed: Vec<Version> = [&a, &b, &c]
            .iter()
            .filter_map(|s| Version::parse(eco, s).ok())
            .collect();
        for x in &parsed {
            prop_assert_eq!(cmp(x, x), Ordering::Equal, "reflexive {:?}", x);
            for y in &parsed {
                prop_assert_eq!(cmp(x, y), cmp(y, x).reverse(), "antisymmetric {:?} {:?}", x, y);
                for z in &parsed {
                    if cmp(x, y) != Ordering::Greater && cmp(y, z) != Ordering::Greater {
                        prop_assert_ne!(cmp(x, z), Ordering::Greater, "transitive {:?} {:?} {:?}", x, y, z);
                    }
                    if cmp(x, y) == Ordering::Equal {
                        prop_assert_eq!(cmp(x, z), cmp(y, z), "equality {:?} {:?} vs {:?}", x, y, z);
                    }
                }
            }
        }
        // compare() agrees with the parsed ordering.
        if parsed.len() == 3 {
            prop_assert_eq!(sekisho_version::compare(eco, &a, &c).unwrap(), cmp(&parsed[0], &parsed[2]));
        }
    }

    #[test]
    fn never_panics(eco in 0..ECOSYSTEMS.len(), s in "\\PC{0,40}", t in "[ -~]{0,40}") {
        let e = ECOSYSTEMS[eco];
        let _ = sekisho_version::compare(e, &s, &t);
        let _ = sekisho_version::compare(e, &t, &s);
        let _ = sekisho_version::npm::Range::parse(&t, sekisho_version::npm::RangeOptions::default());
        let _ = sekisho_version::apk::compare_raw(&s, &t);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Composer's normal form is a fixed point: normalising it again gives it back, and it
    /// orders equal to the original.
    #[test]
    fn packagist_normal_form_is_stable(s in strategy(Ecosystem::Packagist)) {
        use sekisho_version::packagist::PackagistVersion;
        if let Ok(v) = PackagistVersion::parse(&s) {
            let again = PackagistVersion::parse(v.normalized()).expect("normal form parses");
            prop_assert_eq!(again.normalized(), v.normalized());
            prop_assert_eq!(again.cmp(&v), Ordering::Equal);
        }
    }
}

#[test]
fn overlong_versions_are_rejected_for_every_scheme() {
    let long = format!("1.{}", "1".repeat(2000));
    for e in sekisho_version::Ecosystem::ALL {
        let err = sekisho_version::compare(*e, &long, "1.0").unwrap_err();
        assert!(err.to_string().contains(e.osv_name()), "{err}");
    }
}
