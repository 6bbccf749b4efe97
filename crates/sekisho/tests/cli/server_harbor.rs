//! The Harbor Pluggable Scanner API v1 of `sekisho server`, driven with requests shaped as
//! Harbor sends them (goharbor/pluggable-scanner-spec, adapter API 1.1: the MIME types, the
//! `Authorization: Bearer` of the scanner registration, the ScanRequest with the registry's
//! robot-account `Basic` authorization) against a real `docker-registry` on loopback that
//! requires those credentials.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::server::{RO, RW, start_with_env, wait_for};
use crate::server_images::{
    Registry, htpasswd, jquery_db, jquery_images, proxy, push, registry_digest, registry_tools,
    request,
};

const SCAN_REQUEST: &str = "application/vnd.scanner.adapter.scan.request+json; version=1.0";
const SCAN_RESPONSE: &str = "application/vnd.scanner.adapter.scan.response+json; version=1.0";
const METADATA: &str = "application/vnd.scanner.adapter.metadata+json; version=1.0";
const REPORT: &str = "application/vnd.security.vulnerability.report; version=1.1";
const REPORT_1_0: &str = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
const ERROR: &str = "application/vnd.scanner.adapter.error+json; version=1.0";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A request as Harbor sends it: its bearer credential, an `Accept`, JSON in the spec's MIME.
fn harbor(
    addr: SocketAddr,
    method: &str,
    path: &str,
    accept: &str,
    body: Option<&Value>,
) -> (u16, Vec<(String, String)>, Value) {
    let bearer = format!("Bearer {RW}");
    let mut hs = vec![("Authorization", bearer.as_str()), ("Accept", accept)];
    let bytes = body.map(Value::to_string).unwrap_or_default();
    if body.is_some() {
        hs.push(("Content-Type", SCAN_REQUEST));
    }
    let (s, h, b) = request(addr, method, path, &hs, bytes.as_bytes());
    (s, h, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// The spec's ErrorResponse: `{"error": {"message"}}` in the error MIME type.
fn assert_error(s: u16, hs: &[(String, String)], v: &Value, status: u16, contains: &str) {
    assert_eq!(s, status, "{v}");
    assert_eq!(header(hs, "content-type"), Some(ERROR), "{hs:?}");
    let m = v["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"));
    assert!(m.contains(contains), "{m:?} lacks {contains:?}");
}

fn scan_request(registry: &str, auth: Option<&str>, digest: &str, tag: &str) -> Value {
    let mut r = json!({"url": registry});
    if let Some(a) = auth {
        r["authorization"] = json!(a);
    }
    json!({
        "registry": r,
        "artifact": {
            "repository": "library/app",
            "digest": digest,
            "tag": tag,
            "mime_type": OCI_MANIFEST,
        }
    })
}

#[test]
fn harbor_scanner_api_scans_with_the_registry_authorization_harbor_gives() {
    if !registry_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    let db = jquery_db(w);
    let layout = jquery_images(w, &[("v1", "3.3.9")]);
    let hp = htpasswd(w, "robot_scanner", "r0b0t-s3cret");
    let reg = Registry::start(Some(&hp));
    let reference = format!("{}/library/app:v1", reg.addr);
    let creds = "robot_scanner:r0b0t-s3cret";
    push(&layout, "v1", &reference, Some(creds), &[]);
    let digest = registry_digest(&reference, Some(creds));
    // A stalled way to the same registry keeps one scan running.
    let stalled = proxy(&reg.addr, true);
    // The server's own Docker config is empty: only Harbor's authorization can pull.
    let docker_config = w.join("docker-config");
    std::fs::create_dir_all(&docker_config).unwrap();
    let srv = start_with_env(
        w,
        &db,
        &[
            "--registry",
            &reg.addr,
            "--registry",
            &stalled.addr.to_string(),
        ],
        &[("DOCKER_CONFIG", &docker_config)],
    );
    let addr = srv.addr;

    // Registration: Harbor reads the metadata with the configured credential.
    let (s, hs, meta) = harbor(addr, "GET", "/harbor/api/v1/metadata", METADATA, None);
    assert_eq!(s, 200, "{meta}");
    assert_eq!(header(&hs, "content-type"), Some(METADATA));
    assert_eq!(
        meta["scanner"],
        json!({"name": "sekisho", "vendor": "sekisho", "version": env!("CARGO_PKG_VERSION")})
    );
    assert_eq!(
        meta["capabilities"],
        json!([{
            "consumes_mime_types": [OCI_MANIFEST, "application/vnd.docker.distribution.manifest.v2+json"],
            "produces_mime_types": [REPORT, REPORT_1_0],
        }])
    );
    let props = &meta["properties"];
    assert_eq!(
        props["harbor.scanner-adapter/scanner-type"],
        "os-package-vulnerability"
    );
    let updated = props["harbor.scanner-adapter/vulnerability-database-updated-at"]
        .as_str()
        .unwrap_or_else(|| panic!("{meta}"));
    assert!(updated.ends_with('Z') && updated.len() >= 20, "{updated}");
    let age: u64 = props["sekisho/vulnerability-database-age-seconds"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(age < 3600, "the DB was just built: {age} s");
    assert_eq!(props["sekisho/vulnerability-database-advisories"], "2");

    // Without the credential, or with a read-only one for a scan: refused.
    let (s, hs, b) = request(addr, "GET", "/harbor/api/v1/metadata", &[], b"");
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(s, 401, "{v}");
    assert!(v["error"]["message"].is_string(), "{v}");
    assert!(header(&hs, "www-authenticate").is_some());
    let ro = format!("Bearer {RO}");
    let body = scan_request(&format!("http://{}", reg.addr), None, &digest, "v1").to_string();
    let (s, _, _) = request(
        addr,
        "POST",
        "/harbor/api/v1/scan",
        &[("Authorization", &ro), ("Content-Type", SCAN_REQUEST)],
        body.as_bytes(),
    );
    assert_eq!(s, 403);

    // The scan request, with the robot account's credentials for that registry.
    let basic = format!("Basic {}", B64.encode(creds));
    let req = scan_request(&format!("http://{}", reg.addr), Some(&basic), &digest, "v1");
    let (s, hs, v) = harbor(
        addr,
        "POST",
        "/harbor/api/v1/scan",
        SCAN_RESPONSE,
        Some(&req),
    );
    assert_eq!(s, 202, "{v}");
    assert_eq!(header(&hs, "content-type"), Some(SCAN_RESPONSE));
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v, json!({"id": id}));

    let path = format!("/harbor/api/v1/scan/{id}/report");
    let (report, hs) = wait_for("the report", 60, || {
        let (s, hs, v) = harbor(addr, "GET", &path, REPORT, None);
        match s {
            302 => {
                assert_eq!(header(&hs, "refresh-after"), Some("5"));
                None
            }
            200 => Some((v, hs)),
            _ => panic!("{s} {v}"),
        }
    });
    assert_eq!(header(&hs, "content-type"), Some(REPORT));
    let generated = report["generated_at"].as_str().unwrap().to_string();
    assert!(generated.ends_with('Z'), "{generated}");
    let want = json!({
        "generated_at": generated,
        "artifact": {
            "repository": "library/app",
            "digest": digest,
            "tag": "v1",
            "mime_type": OCI_MANIFEST,
        },
        "scanner": {"name": "sekisho", "vendor": "sekisho", "version": env!("CARGO_PKG_VERSION")},
        "severity": "Medium",
        "vulnerabilities": [{
            "id": "CVE-2019-11358",
            "package": "jquery",
            "version": "3.3.9",
            "fix_version": "3.4.0",
            "severity": "Medium",
            "description": "Prototype Pollution in jquery",
            "links": ["https://nvd.nist.gov/vuln/detail/CVE-2019-11358"],
            "preferred_cvss": {
                "score_v3": 5.9,
                "vector_v3": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:H/A:L",
            },
            "vendor_attributes": {
                "CVSS": {"GHSA-6c3j-c64m-qhgq": {
                    "V3Score": 5.9,
                    "V3Vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:H/A:L",
                }},
                "advisories": ["GHSA-6c3j-c64m-qhgq"],
                "ecosystem": "npm",
            },
        }],
    });
    assert_eq!(report, want, "{report:#}");
    // The same report under the 1.0 name.
    let (s, hs, v) = harbor(addr, "GET", &path, REPORT_1_0, None);
    assert_eq!(s, 200);
    assert_eq!(header(&hs, "content-type"), Some(REPORT_1_0));
    assert_eq!(v["vulnerabilities"], want["vulnerabilities"]);
    // A report type not produced.
    let (s, hs, v) = harbor(
        addr,
        "GET",
        &path,
        "application/vnd.scanner.adapter.vuln.report.raw",
        None,
    );
    assert_error(s, &hs, &v, 400, "unsupported report MIME type");

    // The same digest again: a new scan request, the stored artifact reused.
    let (s, _, v2) = harbor(
        addr,
        "POST",
        "/harbor/api/v1/scan",
        SCAN_RESPONSE,
        Some(&req),
    );
    assert_eq!(s, 202);
    let id2 = v2["id"].as_str().unwrap().to_string();
    assert_ne!(id2, id);
    wait_for("the second report", 60, || {
        let (s, _, v) = harbor(
            addr,
            "GET",
            &format!("/harbor/api/v1/scan/{id2}/report"),
            REPORT,
            None,
        );
        (s == 200).then_some(v)
    });
    let (_, list) = crate::server::json_of(addr, "GET", "/api/v1/artifacts", b"");
    assert_eq!(list["artifacts"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["artifacts"][0]["kind"], "image");

    // Wrong credentials: the pull fails and the report says why (500, ErrorResponse).
    let bad = format!("Basic {}", B64.encode("robot_scanner:wrong"));
    let req_bad = scan_request(&format!("http://{}", reg.addr), Some(&bad), &digest, "v1");
    let (s, _, v) = harbor(
        addr,
        "POST",
        "/harbor/api/v1/scan",
        SCAN_RESPONSE,
        Some(&req_bad),
    );
    assert_eq!(s, 202, "{v}");
    let bad_path = format!("/harbor/api/v1/scan/{}/report", v["id"].as_str().unwrap());
    let (s, hs, v) = wait_for("the failed report", 60, || {
        let (s, hs, v) = harbor(addr, "GET", &bad_path, REPORT, None);
        (s != 302).then_some((s, hs, v))
    });
    assert_error(s, &hs, &v, 500, "401");

    // Running: 302 with Refresh-After, for as long as the registry does not answer.
    let req_slow = scan_request(
        &format!("http://{}", stalled.addr),
        Some(&basic),
        &digest,
        "v1",
    );
    let (s, _, v) = harbor(
        addr,
        "POST",
        "/harbor/api/v1/scan",
        SCAN_RESPONSE,
        Some(&req_slow),
    );
    assert_eq!(s, 202, "{v}");
    let slow_path = format!("/harbor/api/v1/scan/{}/report", v["id"].as_str().unwrap());
    for _ in 0..3 {
        let (s, hs, _) = harbor(addr, "GET", &slow_path, REPORT, None);
        assert_eq!(s, 302);
        assert_eq!(header(&hs, "refresh-after"), Some("5"));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(stalled.stall.load(Ordering::SeqCst));

    // Bad requests: the spec's ErrorResponse.
    let (s, hs, v) = harbor(
        addr,
        "GET",
        "/harbor/api/v1/scan/job_unknown/report",
        REPORT,
        None,
    );
    assert_error(s, &hs, &v, 404, "no such scan request");
    let (s, hs, b) = request(
        addr,
        "POST",
        "/harbor/api/v1/scan",
        &[
            ("Authorization", &format!("Bearer {RW}")),
            ("Content-Type", SCAN_REQUEST),
        ],
        b"{not json",
    );
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_error(s, &hs, &v, 400, "expected a ScanRequest");
    let (s, hs, v) = harbor(
        addr,
        "POST",
        "/harbor/api/v1/scan",
        SCAN_RESPONSE,
        Some(&json!({"registry": {"url": "http://x"}, "artifact": {"repository": "a"}})),
    );
    assert_error(s, &hs, &v, 400, "digest");
    for (req, why) in [
        (
            scan_request(&format!("http://{}", reg.addr), None, "sha256:abc", "v1"),
            "artifact.digest",
        ),
        (
            scan_request("ftp://registry.example", None, &digest, "v1"),
            "registry.url",
        ),
        (
            {
                let mut r = scan_request(&format!("http://{}", reg.addr), None, &digest, "v1");
                r["artifact"]["mime_type"] = json!("application/vnd.cncf.helm.config.v1+json");
                r
            },
            "mime_type",
        ),
        (
            scan_request("http://10.0.0.1:5000", None, &digest, "v1"),
            "refused without --allow-private-registries",
        ),
        (
            scan_request(
                &format!("http://{}", reg.addr),
                Some("Digest abc"),
                &digest,
                "v1",
            ),
            "registry.authorization",
        ),
    ] {
        let (s, hs, v) = harbor(
            addr,
            "POST",
            "/harbor/api/v1/scan",
            SCAN_RESPONSE,
            Some(&req),
        );
        assert_error(s, &hs, &v, 422, why);
    }
}
