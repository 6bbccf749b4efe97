#![no_main]
//! History `created_by` lines (BuildKit `|N KEY=value` build arguments, the classic `#(nop)`
//! form) and the image-config scan built on them.
use libfuzzer_sys::fuzz_target;
use sekisho_artifact::image::ImageMeta;
use sekisho_artifact::image::config::History;
use sekisho_secret::{Rules, parse_created_by, scan_config};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let p = parse_created_by(&line);
    for (at, k, v) in &p.build_args {
        assert_eq!(&line[*at..*at + k.len()], *k);
        let _ = v;
    }
    let Ok(rules) = Rules::builtin() else { return };
    let meta = ImageMeta {
        env: vec![line.to_string()],
        history: vec![History {
            created_by: Some(line.to_string()),
            ..History::default()
        }],
        ..ImageMeta::default()
    };
    let _ = scan_config(rules, &meta);
});
