#![no_main]
//! The streaming secret scanner: any bytes, cut into chunks where the input says, give exactly
//! the matches of one whole-buffer scan (and never panic, never report a value).
use libfuzzer_sys::fuzz_target;
use sekisho_secret::{FileOptions, FileScanner, Rules, scan_bytes};

fuzz_target!(|data: &[u8]| {
    let Ok(rules) = Rules::builtin() else { return };
    // First byte: the path class; next two: a chunk-size seed.
    let (head, body) = data.split_at(data.len().min(3));
    let path = match head.first().copied().unwrap_or(0) % 4 {
        0 => "app/.env",
        1 => "root/.npmrc",
        2 => "root/.netrc",
        _ => "root/.docker/config.json",
    };
    let step = usize::from(u16::from_le_bytes([
        head.get(1).copied().unwrap_or(1),
        head.get(2).copied().unwrap_or(0),
    ]))
    .max(1);
    let whole = scan_bytes(rules, path, body);
    let mut s = FileScanner::with_options(
        rules,
        path,
        FileOptions {
            size: Some(body.len() as u64),
            digests: true,
        },
    );
    for c in body.chunks(step) {
        s.feed(c);
    }
    let parts = s.finish();
    assert_eq!(whole.matches, parts.matches);
    assert_eq!(whole.skipped, parts.skipped);
    for m in &whole.matches {
        assert!(m.redacted.ends_with("****"));
        assert!(m.start <= m.end && m.end as usize <= body.len());
    }
    let _ = sekisho_secret::redact_text(rules, &String::from_utf8_lossy(body));
});
