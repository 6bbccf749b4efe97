#![no_main]
//! The span-keeping YAML/JSON reader of sekisho-config on untrusted bytes: decoding, the tree
//! (depth, alias expansion, duplicate keys) and every position asked of it. None may panic.
use libfuzzer_sys::fuzz_target;
use sekisho_config::yaml;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = yaml::decode(data) {
        let p = yaml::parse(text);
        for d in &p.docs {
            let _ = d.key_pos("apiVersion");
            let _ = d.path(&["spec", "template", "spec"]);
            for (_, k, v) in d.entries() {
                let _ = (k.pos, v.as_bool(), v.as_i64(), v.as_str());
            }
        }
    }
});
