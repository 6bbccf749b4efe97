//! Fuzz the runtime-state parsers of `sekisho drift` (docker's config.v2.json and
//! repositories.json, containers-storage's containers.json and images.json, image configs):
//! arbitrary bytes must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekisho_drift::runtime_state as rs;

fuzz_target!(|data: &[u8]| {
    let _ = rs::parse_docker_container(data);
    let _ = rs::parse_docker_repositories(data);
    let _ = rs::parse_storage_containers(data);
    let _ = rs::parse_storage_images(data);
    let _ = rs::config_platform(data);
    let text = String::from_utf8_lossy(data);
    let _ = rs::repository_of(&text);
    let _ = rs::big_data_file_name(&text);
    let _ = rs::sha256_hex(&text);
});
