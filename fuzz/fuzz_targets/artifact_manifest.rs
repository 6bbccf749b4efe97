#![no_main]
//! Image documents from untrusted sources: manifests/indexes (with platform selection), docker
//! `manifest.json`, image configs, Docker `config.json` auth entries, WWW-Authenticate challenges
//! and references. None may panic.
use libfuzzer_sys::fuzz_target;
use sekisho_artifact::image::auth::{parse_challenge, parse_docker_config};
use sekisho_artifact::image::config::parse_config;
use sekisho_artifact::image::manifest::{
    Document, Platform, parse_docker_manifest, parse_document, select_platform,
};
use sekisho_artifact::image::reference::Reference;

fuzz_target!(|data: &[u8]| {
    if let Ok(Document::Index(idx)) = parse_document(data, None, "fuzz") {
        let _ = select_platform(&idx, &Platform::host(), "fuzz");
        if let Ok(p) = Platform::parse("linux/arm64/v8") {
            let _ = select_platform(&idx, &p, "fuzz");
        }
    }
    let _ = parse_docker_manifest(data);
    if let Ok(m) = parse_config(data, "fuzz") {
        let _ = m.created_by_per_layer(3);
    }
    if let Ok(c) = parse_docker_config(data) {
        let _ = c.auths_for("docker.io");
        let _ = c.auths_for("127.0.0.1:5000");
        let _ = c.helper_for("ghcr.io");
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_challenge(s);
        if let Ok(r) = Reference::parse(s) {
            let _ = (r.manifest_ref(), r.api_host(), r.to_string());
        }
        let _ = Platform::parse(s);
    }
});
