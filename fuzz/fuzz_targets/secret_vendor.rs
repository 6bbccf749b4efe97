#![no_main]
//! Package checksum lists (dpkg md5sums, dist-info RECORD), rpm header digests, the capture's
//! own result encoding, and the offline format checks (macaroons, bech32, JWT, OpenSSH bodies,
//! Docker auth).
use libfuzzer_sys::fuzz_target;
use sekisho_secret::{layers, validate, vendor};

fuzz_target!(|data: &[u8]| {
    let _ = vendor::parse_md5sums(data);
    let _ = vendor::parse_record("usr/lib/python3/dist-packages", data);
    let mut out = String::new();
    let _ = vendor::rpm_header_lines(data, "fuzz", &mut out);
    if let Some(r) = layers::decode(data) {
        assert_eq!(layers::decode(&layers::encode(&r)), Some(r));
    }
    let _ = validate::macaroon_v2(data);
    let _ = validate::bech32(data);
    let _ = validate::jwt(data);
    let _ = validate::openssh_cipher(data);
    let _ = validate::docker_auth(data);
    let _ = validate::pem_base64(data);
    let _ = validate::crc32_tail(data);
});
