//! The image a container was made from, read from its runtime's state on disk.
//!
//! - **docker** (`--docker-root`, default `/var/lib/docker`): `containers/<id>/config.v2.json`
//!   gives the image ID (`Image`, the SHA-256 of the image config) and the name the user gave
//!   (`Config.Image`); `image/<driver>/repositories.json` maps references to image IDs, so the
//!   `name@sha256:…` entries pointing at the image ID say where to fetch it by digest; and
//!   `image/<driver>/imagedb/content/sha256/<hex>` is the image config itself (it must hash to
//!   its name), which gives the platform.
//! - **podman / CRI-O** (containers-storage, `--podman-root`, default
//!   `/var/lib/containers/storage` and the rootless `$XDG_DATA_HOME/containers/storage`):
//!   `<driver>-containers/containers.json` (and `volatile-containers.json`) gives the container's
//!   image ID (`image`) and, in its `metadata`, the image name; `<driver>-images/images.json`
//!   gives the image's `names` and manifest `digest`; the image config is the image's big-data
//!   item named by the config digest (`<driver>-images/<id>/=<base64 of the key>`).
//!
//! All of it is hostile input: every file is opened beneath its state root without following
//! any symlink or crossing a mount (the live walk's opener), reads are size-bounded, IDs are
//! checked to be hex before they name a path, and every error names the file.
//!
//! What is found is only a pointer: the image is fetched by the references found and verified
//! against the image ID (the config digest) by the caller.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::live::LiveRoot;

/// Largest `containers.json` / `images.json` / `repositories.json` read.
pub const MAX_STATE_FILE: u64 = 32 << 20;
/// Largest container config or image config read.
pub const MAX_CONFIG_FILE: u64 = 4 << 20;

/// containers-storage drivers, in the order tried.
const STORAGE_DRIVERS: [&str; 5] = ["overlay", "vfs", "btrfs", "zfs", "aufs"];

/// Where the runtimes keep their state.
#[derive(Debug, Clone, Default)]
pub struct StateRoots {
    /// docker's data-root(s).
    pub docker: Vec<PathBuf>,
    /// containers-storage graph roots (podman, rootful and rootless; CRI-O).
    pub podman: Vec<PathBuf>,
}

impl StateRoots {
    /// The default locations: `/var/lib/docker`; `/var/lib/containers/storage` and the
    /// rootless `$XDG_DATA_HOME/containers/storage` (`$HOME/.local/share/...`).
    pub fn defaults(xdg_data_home: Option<PathBuf>, home: Option<PathBuf>) -> Self {
        let mut podman = vec![PathBuf::from("/var/lib/containers/storage")];
        let rootless = xdg_data_home
            .filter(|p| p.is_absolute())
            .or_else(|| home.map(|h| h.join(".local/share")));
        if let Some(d) = rootless {
            let p = d.join("containers/storage");
            if !podman.contains(&p) {
                podman.push(p);
            }
        }
        Self {
            docker: vec![PathBuf::from("/var/lib/docker")],
            podman,
        }
    }
}

/// A container's image, as its runtime's state records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discovered {
    /// `docker` or `podman` (containers-storage).
    pub runtime: String,
    pub container_id: String,
    /// The image ID: `sha256:<hex>`, the SHA-256 of the image config.
    pub image_id: String,
    /// The image name the container was created with (docker's `Config.Image`, podman's
    /// `image-name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    /// Where to fetch the image, best first: `repository@sha256:<manifest digest>`, then names.
    pub references: Vec<String>,
    /// `OS/ARCH[/VARIANT]` of the local image config (read and verified against the ID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The state files read.
    pub state_files: Vec<String>,
    /// What could not be read or made sense of, short of failing.
    pub notes: Vec<String>,
}

/// Whether `s` is a 64-digit lower-case hex SHA-256.
fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `sha256:<hex>` or `<hex>` → the hex, when it is one.
pub fn sha256_hex(s: &str) -> Option<&str> {
    let h = s.strip_prefix("sha256:").unwrap_or(s);
    is_sha256_hex(h).then_some(h)
}

/// A container ID safe to name a path: hex, 12..=128 digits.
fn is_container_id(s: &str) -> bool {
    (12..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The repository part of a reference (`host:5000/team/app:1.2` → `host:5000/team/app`).
pub fn repository_of(reference: &str) -> &str {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    let slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[slash..].rfind(':') {
        Some(i) => &no_digest[..slash + i],
        None => no_digest,
    }
}

// --- docker ------------------------------------------------------------------------------

/// What `config.v2.json` says (moby's `container.Container`, the fields used here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerContainer {
    pub id: String,
    /// `Image`: the image ID (`sha256:<hex>`).
    pub image_id: String,
    /// `Config.Image`: what the user named.
    pub image_name: Option<String>,
    /// `Driver`: the storage driver (`overlay2`), which names the image store directory.
    pub driver: Option<String>,
    pub name: Option<String>,
    pub running: bool,
    pub pid: Option<i64>,
}

#[derive(Deserialize)]
struct RawDockerContainer {
    #[serde(rename = "ID", default)]
    id: String,
    #[serde(rename = "Image", default)]
    image: String,
    #[serde(rename = "Config", default)]
    config: Option<RawDockerRunConfig>,
    #[serde(rename = "Driver", default)]
    driver: Option<String>,
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "State", default)]
    state: Option<RawDockerState>,
}

#[derive(Deserialize)]
struct RawDockerRunConfig {
    #[serde(rename = "Image", default)]
    image: Option<String>,
}

#[derive(Deserialize)]
struct RawDockerState {
    #[serde(rename = "Running", default)]
    running: bool,
    #[serde(rename = "Pid", default)]
    pid: Option<i64>,
}

/// Parse docker's `config.v2.json`.
///
/// # Errors
/// When it is not JSON of that shape, or has no image ID.
pub fn parse_docker_container(bytes: &[u8]) -> Result<DockerContainer, String> {
    let raw: RawDockerContainer =
        serde_json::from_slice(bytes).map_err(|e| format!("not a container config: {e}"))?;
    if raw.image.is_empty() {
        return Err("no image ID (`Image`)".into());
    }
    Ok(DockerContainer {
        id: raw.id,
        image_id: raw.image,
        image_name: raw.config.and_then(|c| c.image).filter(|s| !s.is_empty()),
        driver: raw.driver.filter(|s| !s.is_empty()),
        name: raw.name.filter(|s| !s.is_empty()),
        running: raw.state.as_ref().is_some_and(|s| s.running),
        pid: raw.state.and_then(|s| s.pid),
    })
}

#[derive(Deserialize)]
struct RawRepositories {
    #[serde(rename = "Repositories", default)]
    repositories: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

/// Parse docker's `repositories.json`: every (reference, image ID) pair, sorted.
///
/// # Errors
/// When it is not JSON of that shape.
pub fn parse_docker_repositories(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let raw: RawRepositories =
        serde_json::from_slice(bytes).map_err(|e| format!("not a reference store: {e}"))?;
    Ok(raw
        .repositories
        .into_values()
        .flat_map(|refs| refs.into_iter())
        .collect())
}

/// `OS/ARCH[/VARIANT]` of an image config, when it names them.
pub fn config_platform(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct P {
        #[serde(default)]
        os: String,
        #[serde(default)]
        architecture: String,
        #[serde(default)]
        variant: Option<String>,
    }
    let p: P = serde_json::from_slice(bytes).ok()?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if !ok(&p.os) || !ok(&p.architecture) {
        return None;
    }
    Some(match p.variant.filter(|v| ok(v)) {
        Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
        None => format!("{}/{}", p.os, p.architecture),
    })
}

// --- containers-storage ------------------------------------------------------------------

/// One container of containers-storage's `containers.json` (the fields used here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageContainer {
    pub id: String,
    pub names: Vec<String>,
    /// `image`: the image ID (hex).
    pub image_id: String,
    /// `image-name` from the container's `metadata` (podman's and CRI-O's).
    pub image_name: Option<String>,
}

#[derive(Deserialize)]
struct RawStorageContainer {
    #[serde(default)]
    id: String,
    #[serde(default)]
    names: Option<Vec<String>>,
    #[serde(default)]
    image: String,
    #[serde(default)]
    metadata: Option<String>,
}

/// Parse containers-storage's `containers.json` (or `volatile-containers.json`).
///
/// # Errors
/// When it is not a JSON array of containers.
pub fn parse_storage_containers(bytes: &[u8]) -> Result<Vec<StorageContainer>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let raw: Vec<RawStorageContainer> =
        serde_json::from_slice(bytes).map_err(|e| format!("not a container list: {e}"))?;
    Ok(raw
        .into_iter()
        .map(|c| {
            let image_name = c.metadata.as_deref().and_then(|m| {
                #[derive(Deserialize)]
                struct Meta {
                    #[serde(rename = "image-name", default)]
                    image_name: Option<String>,
                }
                serde_json::from_str::<Meta>(m)
                    .ok()
                    .and_then(|m| m.image_name)
                    .filter(|s| !s.is_empty())
            });
            StorageContainer {
                id: c.id,
                names: c.names.unwrap_or_default(),
                image_id: c.image,
                image_name,
            }
        })
        .collect())
}

/// One image of containers-storage's `images.json` (the fields used here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageImage {
    pub id: String,
    /// `digest`: the manifest digest it was pulled by.
    pub digest: Option<String>,
    pub names: Vec<String>,
    /// `big-data-names`.
    pub big_data_names: Vec<String>,
    /// The manifest digests in `big-data-digests` (keys `manifest`, `manifest-<digest>`).
    pub manifest_digests: Vec<String>,
}

#[derive(Deserialize)]
struct RawStorageImage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    names: Option<Vec<String>>,
    #[serde(rename = "big-data-names", default)]
    big_data_names: Option<Vec<String>>,
    #[serde(rename = "big-data-digests", default)]
    big_data_digests: Option<std::collections::BTreeMap<String, String>>,
}

/// Parse containers-storage's `images.json`.
///
/// # Errors
/// When it is not a JSON array of images.
pub fn parse_storage_images(bytes: &[u8]) -> Result<Vec<StorageImage>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let raw: Vec<RawStorageImage> =
        serde_json::from_slice(bytes).map_err(|e| format!("not an image list: {e}"))?;
    Ok(raw
        .into_iter()
        .map(|i| {
            let mut manifest_digests: Vec<String> = Vec::new();
            for (k, v) in i.big_data_digests.unwrap_or_default() {
                if (k == "manifest" || k.starts_with("manifest-"))
                    && sha256_hex(&v).is_some()
                    && !manifest_digests.contains(&v)
                {
                    manifest_digests.push(v);
                }
            }
            StorageImage {
                id: i.id,
                digest: i.digest.filter(|d| sha256_hex(d).is_some()),
                names: i.names.unwrap_or_default(),
                big_data_names: i.big_data_names.unwrap_or_default(),
                manifest_digests,
            }
        })
        .collect())
}

/// The file name containers-storage gives a big-data item: the key itself when it is made of
/// `.`, digits and lower-case letters only, else `=` and its standard base64.
pub fn big_data_file_name(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b == b'.' || b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        key.to_string()
    } else {
        format!("={}", base64::engine::general_purpose::STANDARD.encode(key))
    }
}

// --- reading -----------------------------------------------------------------------------

/// A state root, opened once; files beneath it are read without following symlinks.
struct State {
    root: LiveRoot,
    path: PathBuf,
}

enum ReadErr {
    Missing,
    Other(String),
}

impl State {
    fn open(path: &Path) -> Result<Self, String> {
        LiveRoot::open(path)
            .map(|root| Self {
                root,
                path: path.to_path_buf(),
            })
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    fn shown(&self, rel: &str) -> String {
        self.path.join(rel).display().to_string()
    }

    fn read(&self, rel: &str, max: u64) -> Result<Vec<u8>, ReadErr> {
        let f = self.root.open_file(rel).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ReadErr::Missing
            } else {
                ReadErr::Other(format!("{}: {e}", self.shown(rel)))
            }
        })?;
        let mut buf = Vec::new();
        f.take(max + 1)
            .read_to_end(&mut buf)
            .map_err(|e| ReadErr::Other(format!("{}: {e}", self.shown(rel))))?;
        if buf.len() as u64 > max {
            return Err(ReadErr::Other(format!(
                "{}: larger than {max} bytes, not read",
                self.shown(rel)
            )));
        }
        Ok(buf)
    }

    fn has_dir(&self, rel: &str) -> bool {
        // Listing is not needed: a directory is there when a file below it can be looked up,
        // which `open_file` on the directory itself answers with "not a regular file".
        matches!(self.root.open_file(rel), Err(e) if e.kind() == std::io::ErrorKind::InvalidData)
    }
}

fn sha256_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Look a container up in docker's state under `root`. `Ok(None)`: not there.
fn docker(id: &str, st: &State) -> Result<Option<Discovered>, String> {
    let rel = format!("containers/{id}/config.v2.json");
    let bytes = match st.read(&rel, MAX_CONFIG_FILE) {
        Ok(b) => b,
        Err(ReadErr::Missing) => return Ok(None),
        Err(ReadErr::Other(e)) => return Err(e),
    };
    let c = parse_docker_container(&bytes).map_err(|e| format!("{}: {e}", st.shown(&rel)))?;
    if !c.id.is_empty() && c.id != id {
        return Err(format!(
            "{}: names container {}, not {id}",
            st.shown(&rel),
            c.id
        ));
    }
    let Some(hex) = sha256_hex(&c.image_id) else {
        return Err(format!(
            "{}: image ID {:?} is not a sha256 digest",
            st.shown(&rel),
            c.image_id
        ));
    };
    let image_id = format!("sha256:{hex}");
    let mut d = Discovered {
        runtime: "docker".into(),
        container_id: id.to_string(),
        image_id: image_id.clone(),
        image_name: c.image_name.clone(),
        references: Vec::new(),
        platform: None,
        state_files: vec![st.shown(&rel)],
        notes: Vec::new(),
    };
    let driver = c.driver.clone().unwrap_or_else(|| "overlay2".into());
    let driver_ok = !driver.is_empty()
        && driver.len() <= 64
        && driver
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !driver_ok {
        return Err(format!(
            "{}: storage driver {driver:?} cannot name a directory",
            st.shown(&rel)
        ));
    }
    let store = format!("image/{driver}");
    if !st.has_dir(&store) {
        return Err(format!(
            "docker's image store {} is not there (the containerd image store is not read): give the image with IMAGE-SOURCE",
            st.shown(&store)
        ));
    }
    // The image config, verified against its name, for the platform.
    let cfg_rel = format!("{store}/imagedb/content/sha256/{hex}");
    match st.read(&cfg_rel, MAX_CONFIG_FILE) {
        Ok(b) => {
            let got = sha256_of(&b);
            if got != hex {
                return Err(format!(
                    "{}: image config hashes to sha256:{got}, not its name {image_id}",
                    st.shown(&cfg_rel)
                ));
            }
            d.platform = config_platform(&b);
            d.state_files.push(st.shown(&cfg_rel));
        }
        Err(ReadErr::Missing) => d.notes.push(format!(
            "{}: not there; the platform is not known from the local image",
            st.shown(&cfg_rel)
        )),
        Err(ReadErr::Other(e)) => d.notes.push(e),
    }
    // References by digest that point at the image ID.
    let repo_rel = format!("{store}/repositories.json");
    let mut digest_refs: Vec<String> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    match st.read(&repo_rel, MAX_STATE_FILE) {
        Ok(b) => {
            let refs = parse_docker_repositories(&b)
                .map_err(|e| format!("{}: {e}", st.shown(&repo_rel)))?;
            for (r, target) in refs {
                if target != image_id {
                    continue;
                }
                if r.contains('@') {
                    digest_refs.push(r);
                } else {
                    tags.push(r);
                }
            }
            d.state_files.push(st.shown(&repo_rel));
        }
        Err(ReadErr::Missing) => d.notes.push(format!("{}: not there", st.shown(&repo_rel))),
        Err(ReadErr::Other(e)) => d.notes.push(e),
    }
    order_references(&mut d, digest_refs, tags);
    Ok(Some(d))
}

/// Best first: digest references of the repository the container was created from, other
/// digest references, the name the container was created with (unless it is an image ID), tags.
fn order_references(d: &mut Discovered, mut digest_refs: Vec<String>, tags: Vec<String>) {
    let wanted = d.image_name.as_deref().map(repository_of);
    digest_refs.sort_by_key(|r| (Some(repository_of(r)) != wanted, r.clone()));
    let mut out = digest_refs;
    if let Some(n) = &d.image_name {
        // `docker run 62ae23f77979`: an image ID (or a prefix of one) is no reference.
        let id_like = n.len() >= 12
            && n.strip_prefix("sha256:")
                .unwrap_or(n)
                .bytes()
                .all(|b| b.is_ascii_hexdigit());
        if !id_like && !out.contains(n) {
            out.push(n.clone());
        }
    }
    for t in tags {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    d.references = out;
}

/// Look a container up in containers-storage under `root`. `Ok(None)`: not there.
fn storage(id: &str, st: &State) -> Result<Option<Discovered>, String> {
    for driver in STORAGE_DRIVERS {
        let mut found = None;
        let mut files = Vec::new();
        for file in ["containers.json", "volatile-containers.json"] {
            let rel = format!("{driver}-containers/{file}");
            match st.read(&rel, MAX_STATE_FILE) {
                Ok(b) => {
                    let list = parse_storage_containers(&b)
                        .map_err(|e| format!("{}: {e}", st.shown(&rel)))?;
                    files.push(st.shown(&rel));
                    if let Some(c) = list.into_iter().find(|c| c.id == id) {
                        found = Some(c);
                        break;
                    }
                }
                Err(ReadErr::Missing) => {}
                Err(ReadErr::Other(e)) => return Err(e),
            }
        }
        let Some(c) = found else { continue };
        let Some(hex) = sha256_hex(&c.image_id).map(str::to_string) else {
            return Err(format!(
                "{}: container {id} has image ID {:?}, not a sha256 digest",
                files.last().cloned().unwrap_or_default(),
                c.image_id
            ));
        };
        let image_id = format!("sha256:{hex}");
        let mut d = Discovered {
            runtime: "podman".into(),
            container_id: id.to_string(),
            image_id: image_id.clone(),
            image_name: c.image_name.clone(),
            references: Vec::new(),
            platform: None,
            state_files: files,
            notes: Vec::new(),
        };
        let img_rel = format!("{driver}-images/images.json");
        let mut digest_refs = Vec::new();
        let mut tags = Vec::new();
        match st.read(&img_rel, MAX_STATE_FILE) {
            Ok(b) => {
                let images =
                    parse_storage_images(&b).map_err(|e| format!("{}: {e}", st.shown(&img_rel)))?;
                d.state_files.push(st.shown(&img_rel));
                match images.into_iter().find(|i| i.id == hex) {
                    Some(img) => {
                        let mut digests: Vec<String> = img.digest.iter().cloned().collect();
                        for m in &img.manifest_digests {
                            if !digests.contains(m) {
                                digests.push(m.clone());
                            }
                        }
                        for n in &img.names {
                            if n.contains('@') {
                                digest_refs.push(n.clone());
                            } else {
                                for dg in &digests {
                                    digest_refs.push(format!("{}@{dg}", repository_of(n)));
                                }
                                tags.push(n.clone());
                            }
                        }
                        // The image config, verified against the ID, for the platform.
                        let key = image_id.clone();
                        if img.big_data_names.contains(&key) {
                            let rel = format!("{driver}-images/{hex}/{}", big_data_file_name(&key));
                            match st.read(&rel, MAX_CONFIG_FILE) {
                                Ok(b) => {
                                    let got = sha256_of(&b);
                                    if got != hex {
                                        return Err(format!(
                                            "{}: image config hashes to sha256:{got}, not the image ID {image_id}",
                                            st.shown(&rel)
                                        ));
                                    }
                                    d.platform = config_platform(&b);
                                    d.state_files.push(st.shown(&rel));
                                }
                                Err(ReadErr::Missing) => {
                                    d.notes.push(format!("{}: not there", st.shown(&rel)))
                                }
                                Err(ReadErr::Other(e)) => d.notes.push(e),
                            }
                        }
                    }
                    None => d.notes.push(format!(
                        "{}: no image {image_id} (removed since the container was made?)",
                        st.shown(&img_rel)
                    )),
                }
            }
            Err(ReadErr::Missing) => d.notes.push(format!("{}: not there", st.shown(&img_rel))),
            Err(ReadErr::Other(e)) => d.notes.push(e),
        }
        order_references(&mut d, digest_refs, tags);
        return Ok(Some(d));
    }
    Ok(None)
}

/// Find a container's image in the runtimes' state. `runtime` is the host view's guess from the
/// cgroup path (`docker`, `podman`, `cri-o`, …): its store is tried first, then the others.
///
/// # Errors
/// Why the image could not be found: the container is in no readable state, a state file is
/// malformed, or the image has no reference to fetch it by. The message names the files.
pub fn discover(id: &str, runtime: Option<&str>, roots: &StateRoots) -> Result<Discovered, String> {
    if !is_container_id(id) {
        return Err(format!(
            "{id:?} is not a container ID a runtime's state is named by"
        ));
    }
    let storage_first = matches!(runtime, Some("podman" | "cri-o"));
    let mut tried: Vec<String> = Vec::new();
    let mut order: Vec<(bool, &PathBuf)> = Vec::new();
    let docker_roots = roots.docker.iter().map(|r| (true, r));
    let podman_roots = roots.podman.iter().map(|r| (false, r));
    if storage_first {
        order.extend(podman_roots.chain(docker_roots));
    } else {
        order.extend(docker_roots.chain(podman_roots));
    }
    for (is_docker, root) in order {
        let what = if is_docker {
            "docker"
        } else {
            "containers-storage"
        };
        // A missing or unreadable root is one more place the container is not.
        let st = match State::open(root) {
            Ok(s) => s,
            Err(e) => {
                tried.push(format!("{what} state {e}"));
                continue;
            }
        };
        let found = if is_docker {
            docker(id, &st)?
        } else {
            storage(id, &st)?
        };
        match found {
            Some(d) if d.references.is_empty() => {
                return Err(format!(
                    "{} image {} has no name or registry digest to fetch it by (built locally?): give the image with IMAGE-SOURCE",
                    d.runtime, d.image_id
                ));
            }
            Some(d) => return Ok(d),
            None => tried.push(format!(
                "{what} state {}: no container {id}",
                root.display()
            )),
        }
    }
    let hint = if matches!(runtime, Some("containerd" | "kubernetes")) {
        " (containerd's own state is a bolt database, not read: give the image with IMAGE-SOURCE)"
    } else {
        ""
    };
    Err(format!("image not found: {}{hint}", tried.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_names() {
        assert_eq!(repository_of("127.0.0.1:5000/app:t"), "127.0.0.1:5000/app");
        assert_eq!(repository_of("127.0.0.1:5000/app"), "127.0.0.1:5000/app");
        assert_eq!(repository_of("alpine@sha256:abc"), "alpine");
        assert_eq!(repository_of("a/b:1@sha256:abc"), "a/b");
        assert_eq!(big_data_file_name("manifest"), "manifest");
        assert_eq!(
            big_data_file_name("sha256:ab"),
            format!(
                "={}",
                base64::engine::general_purpose::STANDARD.encode("sha256:ab")
            )
        );
        assert!(sha256_hex(&format!("sha256:{}", "a".repeat(64))).is_some());
        assert!(sha256_hex("sha256:../../etc").is_none());
    }

    #[test]
    fn docker_shapes() {
        let h = "b".repeat(64);
        let c = parse_docker_container(
            format!(r#"{{"ID":"abc","Image":"sha256:{h}","Config":{{"Image":"app:1"}},"Driver":"overlay2","State":{{"Running":true,"Pid":42}}}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(c.image_id, format!("sha256:{h}"));
        assert_eq!(c.image_name.as_deref(), Some("app:1"));
        assert_eq!(c.pid, Some(42));
        assert!(parse_docker_container(b"[]").is_err());
        assert!(parse_docker_container(b"{}").is_err());
        let r = parse_docker_repositories(
            br#"{"Repositories":{"app":{"app:1":"sha256:x","app@sha256:y":"sha256:x"}}}"#,
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            config_platform(br#"{"os":"linux","architecture":"arm","variant":"v7"}"#).as_deref(),
            Some("linux/arm/v7")
        );
        assert_eq!(
            config_platform(br#"{"os":"../x","architecture":"a"}"#),
            None
        );
    }

    #[test]
    fn storage_shapes() {
        let c = parse_storage_containers(
            br#"[{"id":"c1","names":["web"],"image":"i1","layer":"l","metadata":"{\"image-name\":\"app:1\",\"name\":\"web\"}"}]"#,
        )
        .unwrap();
        assert_eq!(c[0].image_name.as_deref(), Some("app:1"));
        assert!(parse_storage_containers(b"").unwrap().is_empty());
        let h = "c".repeat(64);
        let i = parse_storage_images(
            format!(r#"[{{"id":"i1","digest":"sha256:{h}","names":["app:1"],"big-data-digests":{{"manifest":"sha256:{h}","sha256:x":"sha256:x"}}}}]"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(i[0].digest.as_deref(), Some(format!("sha256:{h}").as_str()));
        assert_eq!(i[0].manifest_digests, [format!("sha256:{h}")]);
        assert!(parse_storage_images(b"{}").is_err());
    }

    fn put(root: &Path, rel: &str, bytes: &[u8]) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    fn roots(docker: &Path, podman: &Path) -> StateRoots {
        StateRoots {
            docker: vec![docker.to_path_buf()],
            podman: vec![podman.to_path_buf()],
        }
    }

    /// A docker state dir with one container of image `cfg` (its config in the image db).
    fn docker_state(root: &Path, id: &str, cfg: &[u8]) -> String {
        let hex = sha256_of(cfg);
        put(
            root,
            &format!("containers/{id}/config.v2.json"),
            format!(r#"{{"ID":"{id}","Image":"sha256:{hex}","Config":{{"Image":"reg.example/app:1"}},"Driver":"overlay2"}}"#).as_bytes(),
        );
        put(
            root,
            "image/overlay2/repositories.json",
            format!(r#"{{"Repositories":{{"reg.example/app":{{"reg.example/app:1":"sha256:{hex}","reg.example/app@sha256:{m}":"sha256:{hex}","reg.example/other@sha256:{m}":"sha256:{hex}"}},"x":{{"x:1":"sha256:{o}"}}}}}}"#, m = "d".repeat(64), o = "e".repeat(64)).as_bytes(),
        );
        put(
            root,
            &format!("image/overlay2/imagedb/content/sha256/{hex}"),
            cfg,
        );
        hex
    }

    #[test]
    fn docker_discovery_orders_references_and_verifies_the_config() {
        let d = tempfile::tempdir().unwrap();
        let (dk, pm) = (d.path().join("docker"), d.path().join("storage"));
        let id = "a".repeat(64);
        let cfg = br#"{"os":"linux","architecture":"arm64","variant":"v8"}"#;
        let hex = docker_state(&dk, &id, cfg);
        let got = discover(&id, Some("docker"), &roots(&dk, &pm)).unwrap();
        assert_eq!(got.image_id, format!("sha256:{hex}"));
        assert_eq!(got.platform.as_deref(), Some("linux/arm64/v8"));
        let m = "d".repeat(64);
        assert_eq!(
            got.references,
            [
                format!("reg.example/app@sha256:{m}"),
                format!("reg.example/other@sha256:{m}"),
                "reg.example/app:1".to_string()
            ]
        );
        // A config that does not hash to its name: an error naming the file.
        put(
            &dk,
            &format!("image/overlay2/imagedb/content/sha256/{hex}"),
            b"{}",
        );
        let e = discover(&id, None, &roots(&dk, &pm)).unwrap_err();
        assert!(
            e.contains("imagedb/content/sha256/") && e.contains("not its name"),
            "{e}"
        );
    }

    #[test]
    fn hostile_state_is_refused_with_the_file_named() {
        let d = tempfile::tempdir().unwrap();
        let (dk, pm) = (d.path().join("docker"), d.path().join("storage"));
        let id = "b".repeat(64);
        docker_state(&dk, &id, b"{}");
        let cfg = dk.join(format!("containers/{id}/config.v2.json"));
        // A symlink out of the root is never followed.
        std::fs::remove_file(&cfg).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", &cfg).unwrap();
        let e = discover(&id, None, &roots(&dk, &pm)).unwrap_err();
        assert!(e.contains(&cfg.display().to_string()), "{e}");
        // Malformed JSON.
        std::fs::remove_file(&cfg).unwrap();
        std::fs::write(&cfg, b"{\"ID\":").unwrap();
        let e = discover(&id, None, &roots(&dk, &pm)).unwrap_err();
        assert!(e.contains("config.v2.json: not a container config"), "{e}");
        // An image ID that would name a path outside the store.
        std::fs::write(&cfg, br#"{"Image":"sha256:../../../../etc/passwd"}"#).unwrap();
        let e = discover(&id, None, &roots(&dk, &pm)).unwrap_err();
        assert!(e.contains("is not a sha256 digest"), "{e}");
        // Too large.
        let big = vec![b' '; usize::try_from(MAX_CONFIG_FILE).unwrap() + 1];
        std::fs::write(&cfg, big).unwrap();
        let e = discover(&id, None, &roots(&dk, &pm)).unwrap_err();
        assert!(e.contains("larger than"), "{e}");
        // A container ID that is not one.
        assert!(discover("../../etc", None, &roots(&dk, &pm)).is_err());
        // A driver that would name another directory.
        std::fs::write(
            &cfg,
            format!(r#"{{"Image":"sha256:{}","Driver":"../x"}}"#, "c".repeat(64)),
        )
        .unwrap();
        let e = discover(&id, None, &roots(&dk, &pm)).unwrap_err();
        assert!(e.contains("cannot name a directory"), "{e}");
    }

    #[test]
    fn storage_discovery_and_absent_containers() {
        let d = tempfile::tempdir().unwrap();
        let (dk, pm) = (d.path().join("docker"), d.path().join("storage"));
        let id = "f".repeat(64);
        let cfg = br#"{"os":"linux","architecture":"amd64"}"#;
        let hex = sha256_of(cfg);
        let m = "1".repeat(64);
        put(
            &pm,
            "overlay-containers/containers.json",
            format!(r#"[{{"id":"{id}","names":["web"],"image":"{hex}","layer":"l","metadata":"{{\"image-name\":\"reg.example/app:1\"}}"}}]"#).as_bytes(),
        );
        let key = format!("sha256:{hex}");
        put(
            &pm,
            "overlay-images/images.json",
            format!(r#"[{{"id":"{hex}","digest":"sha256:{m}","names":["reg.example/app:1"],"big-data-names":["{key}","manifest"],"big-data-digests":{{"{key}":"{key}","manifest":"sha256:{m}"}}}}]"#).as_bytes(),
        );
        put(
            &pm,
            &format!("overlay-images/{hex}/{}", big_data_file_name(&key)),
            cfg,
        );
        let got = discover(&id, Some("podman"), &roots(&dk, &pm)).unwrap();
        assert_eq!(got.runtime, "podman");
        assert_eq!(got.platform.as_deref(), Some("linux/amd64"));
        assert_eq!(
            got.references,
            [
                format!("reg.example/app@sha256:{m}"),
                "reg.example/app:1".into()
            ]
        );
        // Not anywhere: every place tried is named; a missing root is one of them.
        let other = "0".repeat(64);
        let e = discover(&other, None, &roots(&dk, &pm)).unwrap_err();
        assert!(e.starts_with("image not found: docker state"), "{e}");
        assert!(
            e.contains(&format!(
                "containers-storage state {}: no container {other}",
                pm.display()
            )),
            "{e}"
        );
    }
}
