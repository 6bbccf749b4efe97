//! Helpers shared by the registry tests: the test image layout (built with umoci), blob and
//! index editing, the layered view as comparable data, and raw registry HTTP (blob upload,
//! manifest PUT) for documents skopeo will not write.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod registry;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sekisho_artifact::image::resolve::OpenedImage;
use sekisho_artifact::{Capture, EntryMeta};
use sekisho_artifact::{Inventory, collect};
use sha2::{Digest, Sha256};

pub use registry::*;

pub fn write(p: &Path, s: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, s).unwrap();
}

pub fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Add a blob to an OCI layout; returns its digest.
pub fn put_blob(layout: &Path, b: &[u8]) -> String {
    let h = sha_hex(b);
    std::fs::write(layout.join("blobs/sha256").join(&h), b).unwrap();
    format!("sha256:{h}")
}

pub fn read_blob(layout: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).unwrap()
}

/// Add an `index.json` entry tagged `tag`.
pub fn tag_in_index(layout: &Path, tag: &str, media_type: &str, digest: &str, size: usize) {
    let p = layout.join("index.json");
    let mut idx: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    idx["manifests"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "mediaType": media_type, "digest": digest, "size": size,
            "annotations": {"org.opencontainers.image.ref.name": tag}
        }));
    std::fs::write(&p, serde_json::to_vec(&idx).unwrap()).unwrap();
}

pub fn manifest_of(layout: &Path, tag: &str) -> (String, serde_json::Value) {
    let idx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let d = idx["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let m = serde_json::from_slice(&read_blob(layout, &d)).unwrap();
    (d, m)
}

/// Build the test layout: tag `t` (amd64, 3 layers with a whiteout and an opaque dir),
/// `arm` (arm64 + one more layer), `multi` (an index of both), `zstd` (t with a zstd layer).
pub fn build_layout(work: &Path) -> PathBuf {
    let l = work.join("layout");
    let r1 = work.join("r1");
    write(
        &r1.join("etc/os-release"),
        "ID=sekisho-test\nVERSION_ID=1\n",
    );
    write(&r1.join("a/keep"), "keep\n");
    write(&r1.join("a/gone"), "gone\n");
    write(&r1.join("b/old"), "old\n");
    std::os::unix::fs::symlink("../etc/os-release", r1.join("a/link")).unwrap();
    write(&work.join("r2/b/new"), "new\n");
    write(&work.join("r3/arm-only"), "arm\n");
    let image = |tag: &str| format!("{}:{tag}", l.display());
    run(Command::new("umoci").args(["init", "--layout"]).arg(&l));
    run(Command::new("umoci").args(["new", "--image", &image("t")]));
    run(Command::new("umoci")
        .args(["insert", "--rootless", "--image", &image("t")])
        .arg(&r1)
        .arg("/"));
    run(Command::new("umoci").args([
        "insert",
        "--rootless",
        "--image",
        &image("t"),
        "--whiteout",
        "/a/gone",
    ]));
    run(Command::new("umoci")
        .args(["insert", "--rootless", "--image", &image("t"), "--opaque"])
        .arg(work.join("r2/b"))
        .arg("/b"));
    run(Command::new("umoci").args([
        "config",
        "--image",
        &image("t"),
        "--config.user",
        "app",
        "--config.env",
        "A=1",
        "--config.cmd",
        "/bin/sh",
        "--config.label",
        "k=v",
        "--config.exposedports",
        "80/tcp",
        "--os",
        "linux",
        "--architecture",
        "amd64",
    ]));
    run(Command::new("umoci").args([
        "config",
        "--image",
        &image("t"),
        "--tag",
        "arm",
        "--architecture",
        "arm64",
    ]));
    run(Command::new("umoci")
        .args(["insert", "--rootless", "--image", &image("arm")])
        .arg(work.join("r3"))
        .arg("/"));
    // The multi-platform index.
    let (d_amd, m_amd) = manifest_of(&l, "t");
    let (d_arm, m_arm) = manifest_of(&l, "arm");
    let size = |d: &str| read_blob(&l, d).len();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d_amd, "size": size(&d_amd),
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d_arm, "size": size(&d_arm),
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
        ]
    });
    let ib = serde_json::to_vec(&index).unwrap();
    let di = put_blob(&l, &ib);
    tag_in_index(
        &l,
        "multi",
        "application/vnd.oci.image.index.v1+json",
        &di,
        ib.len(),
    );
    let _ = m_arm;
    // The zstd variant: layer 0 recompressed with zstd.
    let mut m = m_amd.clone();
    let l0 = m["layers"][0]["digest"].as_str().unwrap().to_string();
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&read_blob(&l, &l0)[..])
        .read_to_end(&mut tar)
        .unwrap();
    let z = zstd::encode_all(&tar[..], 3).unwrap();
    let dz = put_blob(&l, &z);
    m["layers"][0]["digest"] = dz.into();
    m["layers"][0]["size"] = z.len().into();
    m["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+zstd".into();
    let mb = serde_json::to_vec(&m).unwrap();
    let dm = put_blob(&l, &mb);
    tag_in_index(
        &l,
        "zstd",
        "application/vnd.oci.image.manifest.v1+json",
        &dm,
        mb.len(),
    );
    l
}

pub struct AllFiles;
impl Capture for AllFiles {
    fn id(&self) -> &'static str {
        "all"
    }
    fn wants(&self, m: &EntryMeta) -> bool {
        m.is_file()
    }
}

/// The layered view as comparable data: visible files, hidden versions, symlinks.
pub type View = (BTreeMap<String, String>, Vec<String>, Vec<(String, String)>);

pub fn view(img: OpenedImage) -> (View, Inventory) {
    let inv = collect(img.layers, &[&AllFiles], 2).unwrap();
    let vis = inv
        .visible("all")
        .map(|c| {
            (
                c.meta.path.clone(),
                String::from_utf8_lossy(&c.data).into_owned(),
            )
        })
        .collect();
    let hidden = inv
        .history("all")
        .filter(|(_, v)| !v)
        .map(|(c, _)| c.meta.path.clone())
        .collect();
    let links = inv
        .symlinks()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    ((vis, hidden, links), inv)
}

/// A plain-HTTP client for setting up a registry by hand (no proxy, statuses returned).
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}

fn check(resp: ureq::http::Response<ureq::Body>, what: &str) -> ureq::http::Response<ureq::Body> {
    let st = resp.status().as_u16();
    if !(200..300).contains(&st) {
        let body = resp.into_body().read_to_string().unwrap_or_default();
        panic!("{what}: HTTP {st}: {body}");
    }
    resp
}

/// Upload a blob to `repo` on the plain-HTTP registry at `addr`; returns its digest.
pub fn upload_blob(addr: &str, repo: &str, data: &[u8]) -> String {
    let digest = format!("sha256:{}", sha_hex(data));
    let a = agent();
    let resp = check(
        a.post(format!("http://{addr}/v2/{repo}/blobs/uploads/"))
            .send_empty()
            .unwrap(),
        "start upload",
    );
    let loc = resp
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let loc = if loc.starts_with('/') {
        format!("http://{addr}{loc}")
    } else {
        loc
    };
    let sep = if loc.contains('?') { '&' } else { '?' };
    check(
        a.put(format!("{loc}{sep}digest={digest}"))
            .header("Content-Type", "application/octet-stream")
            .send(data)
            .unwrap(),
        "finish upload",
    );
    digest
}

/// PUT a manifest (or index / manifest list) by hand; returns its digest.
pub fn put_manifest(
    addr: &str,
    repo: &str,
    reference: &str,
    media_type: &str,
    body: &[u8],
) -> String {
    check(
        agent()
            .put(format!("http://{addr}/v2/{repo}/manifests/{reference}"))
            .header("Content-Type", media_type)
            .send(body)
            .unwrap(),
        &format!("PUT manifest {repo}:{reference}"),
    );
    format!("sha256:{}", sha_hex(body))
}

/// GET a manifest as stored (asking for `accept`).
pub fn get_manifest(addr: &str, repo: &str, reference: &str, accept: &str) -> Vec<u8> {
    let resp = check(
        agent()
            .get(format!("http://{addr}/v2/{repo}/manifests/{reference}"))
            .header("Accept", accept)
            .call()
            .unwrap(),
        &format!("GET manifest {repo}:{reference}"),
    );
    resp.into_body().read_to_vec().unwrap()
}

/// GET a blob.
pub fn get_blob(addr: &str, repo: &str, digest: &str) -> Vec<u8> {
    let resp = check(
        agent()
            .get(format!("http://{addr}/v2/{repo}/blobs/{digest}"))
            .call()
            .unwrap(),
        &format!("GET blob {digest}"),
    );
    resp.into_body().read_to_vec().unwrap()
}
