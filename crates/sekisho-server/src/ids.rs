//! Random identifiers and the clock.

/// Fill `buf` with random bytes from the operating system.
pub fn fill_random(buf: &mut [u8]) {
    // The OS generator only fails when it is missing altogether; then the process cannot make
    // secrets at all and must not pretend to.
    getrandom::fill(buf).expect("the operating system's random generator is available");
}

/// A new id: `prefix` + 24 hex digits (96 random bits).
pub fn new_id(prefix: &str) -> String {
    let mut b = [0u8; 12];
    fill_random(&mut b);
    format!("{prefix}{}", hex::encode(b))
}

/// A random number in [0, 1).
pub fn unit_random() -> f64 {
    let mut b = [0u8; 8];
    fill_random(&mut b);
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// RFC 3339 UTC of a millisecond time.
pub fn rfc3339_ms(ms: i64) -> String {
    sekisho_finding::time::rfc3339((ms.max(0) / 1000) as u64)
}
