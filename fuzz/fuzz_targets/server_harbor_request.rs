#![no_main]
//! The fields of a Harbor scan request, a report request's `Accept` and the DB's update time
//! never panic their checks; an accepted request names its repository and digest.
use libfuzzer_sys::fuzz_target;
use sekisho_server::harbor_input::{Fields, age_seconds, check_fields, pick_mime};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let mut p = s.split('\n');
    let mut next = || p.next().unwrap_or_default();
    let (url, auth, repository, digest, tag, mime) =
        (next(), next(), next(), next(), next(), next());
    let f = Fields {
        url,
        authorization: Some(auth),
        repository,
        digest,
        tag: Some(tag),
        mime_type: Some(mime),
    };
    if let Ok(r) = check_fields(&f) {
        assert!(r.ends_with(&format!("/{repository}@{digest}")), "{r}");
    }
    let _ = pick_mime(Some(s));
    let _ = age_seconds(s, u64::from(u32::MAX));
});
