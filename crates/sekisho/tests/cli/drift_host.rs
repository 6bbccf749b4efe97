//! `sekisho drift --container ID` and `--host` with the image found from the runtime's state.
//!
//! Real containers (`unshare` + `chroot` of an image unpacked from an OCI layout made in the
//! test) are put in cgroups shaped as docker's (`/docker/<id>`) and podman's
//! (`/libpod_parent/libpod-<id>`), so the isolation audit's host view lists them by container
//! ID. The image is pushed to a real local registry (`docker-registry`), and docker's and
//! containers-storage's state directories are written in the test in the shapes moby and
//! containers/storage write them (`containers/<id>/config.v2.json`,
//! `image/overlay2/repositories.json`, `imagedb/content/sha256/<id>`; `overlay-containers/
//! containers.json`, `overlay-images/images.json` and the config big-data item). Discovery must
//! lead to that image, fetched by digest and verified against the recorded image ID.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::drift::{Chroot, assert_mutations, changes, image, ready, unpack};
use crate::util::{require, sekisho};

// image.rs includes the registry helpers privately; a second copy keeps this file's edits
// out of image.rs.
#[allow(
    clippy::duplicate_mod,
    reason = "image.rs holds its own private copy of the registry helpers"
)]
#[path = "../../../sekisho-artifact/tests/common/registry.rs"]
mod registry;

/// A container ID: 64 hex digits, unique to this run.
fn new_id(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    hex::encode(Sha256::digest(format!(
        "{tag}-{}-{nanos}",
        std::process::id()
    )))
}

/// A writable cgroup hierarchy: the cgroup2 root on a pure v2 host, else a v1 hierarchy
/// (`pids`, else `name=systemd`), from this process's mountinfo.
fn cgroup_root() -> Option<PathBuf> {
    let mi = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mut v1: Vec<(u8, PathBuf)> = Vec::new();
    for l in mi.lines() {
        let f: Vec<&str> = l.split(' ').collect();
        let Some(sep) = f.iter().position(|x| *x == "-") else {
            continue;
        };
        let (fstype, opts) = (f.get(sep + 1)?, f.get(sep + 3).unwrap_or(&""));
        let mp = PathBuf::from(f.get(4)?);
        if *fstype == "cgroup2" && mp == Path::new("/sys/fs/cgroup") {
            return Some(mp);
        }
        if *fstype == "cgroup" {
            if opts.split(',').any(|o| o == "pids") {
                v1.push((0, mp));
            } else if opts.split(',').any(|o| o == "name=systemd") {
                v1.push((1, mp));
            }
        }
    }
    v1.sort();
    v1.into_iter().map(|(_, p)| p).next()
}

/// A cgroup holding one process, removed (after the process) on drop.
struct Cgroup(PathBuf);

impl Cgroup {
    fn put(root: &Path, path: &str, pid: u32) -> Self {
        let dir = root.join(path);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        std::fs::write(dir.join("cgroup.procs"), pid.to_string())
            .unwrap_or_else(|e| panic!("{}/cgroup.procs: {e}", dir.display()));
        Self(dir)
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // The process is gone by now (its Chroot dropped first): the cgroup is empty.
        for _ in 0..50 {
            if std::fs::remove_dir(&self.0).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        if let Some(parent) = self.0.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
}

/// A container: the process, then its cgroup (dropped in that order).
struct Container {
    c: Chroot,
    _cg: Cgroup,
}

fn start(cg_root: &Path, rootfs: &Path, script: &str, cg_path: &str) -> Container {
    let c = Chroot::start(rootfs, script);
    let cg = Cgroup::put(cg_root, cg_path, c.pid());
    Container { c, _cg: cg }
}

/// The pushed image: (config digest hex, manifest digest, config bytes).
struct Pushed {
    cfg: String,
    manifest: String,
    config: Vec<u8>,
    reference: String,
}

fn push(layout: &Path, addr: &str) -> Pushed {
    let reference = format!("{addr}/drift/app:t");
    registry::push(layout, "t", &reference, None, &[]);
    let raw = registry::run(Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ]));
    let manifest = format!("sha256:{}", hex::encode(Sha256::digest(&raw)));
    let m: Value = serde_json::from_slice(&raw).unwrap();
    let cfg_digest = m["config"]["digest"].as_str().unwrap().to_string();
    let cfg = cfg_digest.strip_prefix("sha256:").unwrap().to_string();
    let config = std::fs::read(layout.join("blobs/sha256").join(&cfg)).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&config)), cfg);
    Pushed {
        cfg,
        manifest,
        config,
        reference,
    }
}

fn write_json(path: &Path, v: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec(v).unwrap()).unwrap();
}

/// docker's `containers/<id>/config.v2.json`, in moby's shape.
fn docker_container(root: &Path, id: &str, pid: u32, image_id: &str, name: &str) {
    write_json(
        &root.join("containers").join(id).join("config.v2.json"),
        &json!({
            "StreamConfig": {},
            "State": {"Running": true, "Paused": false, "Restarting": false, "OOMKilled": false,
                      "RemovalInProgress": false, "Dead": false, "Pid": pid, "ExitCode": 0,
                      "Error": "", "StartedAt": "2026-12-04T20:00:00.000000000Z",
                      "FinishedAt": "0001-01-01T00:00:00Z", "Health": null},
            "ID": id,
            "Created": "2026-12-04T20:00:00.000000000Z",
            "Managed": false,
            "Path": "/bin/sh",
            "Args": ["/mutate.sh"],
            "Config": {"Hostname": &id[..12], "Domainname": "", "User": "", "AttachStdin": false,
                       "AttachStdout": false, "AttachStderr": false, "Tty": false,
                       "OpenStdin": false, "StdinOnce": false, "Env": ["PATH=/bin:/usr/bin"],
                       "Cmd": ["/bin/sh", "/mutate.sh"], "Image": name, "Volumes": null,
                       "WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": {}},
            "Image": image_id,
            "NetworkSettings": {"Bridge": "", "SandboxID": "", "HairpinMode": false,
                                "Networks": {}},
            "LogPath": format!("/var/lib/docker/containers/{id}/{id}-json.log"),
            "Name": "/drift-test",
            "Driver": "overlay2",
            "OS": "linux",
            "MountLabel": "",
            "ProcessLabel": "",
            "RestartCount": 0,
            "HasBeenStartedBefore": false,
            "HasBeenManuallyStopped": false,
            "MountPoints": {},
            "SecretReferences": null,
            "ConfigReferences": null,
            "AppArmorProfile": "",
            "HostnamePath": format!("/var/lib/docker/containers/{id}/hostname"),
            "HostsPath": format!("/var/lib/docker/containers/{id}/hosts"),
            "ShmPath": "",
            "ResolvConfPath": format!("/var/lib/docker/containers/{id}/resolv.conf"),
            "SeccompProfile": "",
            "NoNewPrivileges": false
        }),
    );
}

/// docker's image store for overlay2: the reference store and the image config.
fn docker_images(root: &Path, p: &Pushed, image_id: &str) {
    let store = root.join("image/overlay2");
    let repo = p.reference.rsplit_once(':').unwrap().0.to_string();
    write_json(
        &store.join("repositories.json"),
        &json!({"Repositories": {&repo: {
            &p.reference: image_id,
            format!("{repo}@{}", p.manifest): image_id,
        }}}),
    );
    if image_id == format!("sha256:{}", p.cfg) {
        let c = store.join("imagedb/content/sha256").join(&p.cfg);
        std::fs::create_dir_all(c.parent().unwrap()).unwrap();
        std::fs::write(c, &p.config).unwrap();
    }
}

/// containers-storage (overlay driver): the container, the image and its config big-data item.
fn storage_state(root: &Path, id: &str, p: &Pushed) {
    let meta = json!({"image-name": &p.reference, "image-id": &p.cfg, "name": "drift-p",
                      "created-at": 1_796_000_000, "mountlabel": ""})
    .to_string();
    write_json(
        &root.join("overlay-containers/containers.json"),
        &json!([{"id": id, "names": ["drift-p"], "image": &p.cfg,
                 "layer": new_id("layer"), "metadata": meta,
                 "big-data-names": ["volatile-containers.json"],
                 "created": "2026-12-04T20:00:00.000000000Z",
                 "flags": {"MountLabel": "", "ProcessLabel": ""}}]),
    );
    let cfg_key = format!("sha256:{}", p.cfg);
    let mkey = format!("manifest-{}", p.manifest);
    write_json(
        &root.join("overlay-images/images.json"),
        &json!([{"id": &p.cfg, "digest": &p.manifest, "names": [&p.reference],
                 "layer": new_id("top"), "metadata": "{}",
                 "big-data-names": [&cfg_key, &mkey, "manifest"],
                 "big-data-sizes": {&cfg_key: p.config.len(), &mkey: 0, "manifest": 0},
                 "big-data-digests": {&cfg_key: &cfg_key, &mkey: &p.manifest,
                                      "manifest": &p.manifest},
                 "created": "2026-12-04T19:00:00.000000000Z"}]),
    );
    let name = format!(
        "={}",
        base64::engine::general_purpose::STANDARD.encode(&cfg_key)
    );
    let f = root.join("overlay-images").join(&p.cfg).join(name);
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    std::fs::write(f, &p.config).unwrap();
}

fn run_drift(args: &[&str]) -> (i32, Value, String) {
    let out = sekisho()
        .arg("drift")
        .args(args)
        .args(["--no-cache", "--offline", "--fail-on-drift"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let v = if args.contains(&"json") {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "bad JSON ({e}): {}\n{err}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    } else {
        Value::String(String::from_utf8_lossy(&out.stdout).to_string())
    };
    (out.status.code().unwrap_or(-1), v, err)
}

/// A row without its report, for exact comparison.
fn bare(row: &Value) -> Value {
    let mut r = row.clone();
    r.as_object_mut().unwrap().remove("report");
    r
}

fn row<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row for {id}: {v:#}"))
}

#[test]
fn discovered_images_for_container_and_host() {
    if !ready(&["skopeo", "docker-registry"]) {
        return;
    }
    let Some(cg_root) = cgroup_root() else {
        require(false, "a cgroup hierarchy mounted at /sys/fs/cgroup");
        return;
    };
    let probe = cg_root.join(format!("sekisho-probe-{}", std::process::id()));
    if std::fs::create_dir(&probe).is_err() {
        require(
            false,
            &format!("a writable cgroup hierarchy ({})", cg_root.display()),
        );
        return;
    }
    let _ = std::fs::remove_dir(&probe);

    let d = tempfile::tempdir().unwrap();
    let layout = image(d.path());
    let reg = registry::Registry::start(None);
    let p = push(&layout, &reg.addr);
    let image_id = format!("sha256:{}", p.cfg);

    let (dk, pm, un) = (new_id("docker"), new_id("podman"), new_id("unknown"));
    let cd = start(
        &cg_root,
        &unpack(&layout, &d.path().join("cd")),
        "/mutate.sh",
        &format!("docker/{dk}"),
    );
    let cp = start(
        &cg_root,
        &unpack(&layout, &d.path().join("cp")),
        "/idle.sh",
        &format!("libpod_parent/libpod-{pm}"),
    );
    let cu = start(
        &cg_root,
        &unpack(&layout, &d.path().join("cu")),
        "/idle.sh",
        &format!("docker/{un}"),
    );
    let docker_root = d.path().join("docker");
    let storage_root = d.path().join("storage");
    docker_container(&docker_root, &dk, cd.c.pid(), &image_id, &p.reference);
    docker_images(&docker_root, &p, &image_id);
    storage_state(&storage_root, &pm, &p);
    let roots = [
        "--docker-root",
        docker_root.to_str().unwrap(),
        "--podman-root",
        storage_root.to_str().unwrap(),
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        roots
            .iter()
            .chain(extra)
            .map(|s| (*s).to_string())
            .collect()
    };
    let args = |v: &[String]| -> (i32, Value, String) {
        let r: Vec<&str> = v.iter().map(String::as_str).collect();
        run_drift(&r)
    };

    // --container: the docker container's image found in docker's state, fetched by digest.
    let (code, v, err) = args(&with(&["--container", &dk[..16], "--format", "json"]));
    assert_eq!(v["container"], format!("pid {}", cd.c.pid()), "{err}");
    assert_eq!(v["image"], format!("{}/drift/app@{}", reg.addr, p.manifest));
    assert_eq!(v["image_id"], image_id);
    let disc = &v["discovery"];
    assert_eq!(disc["runtime"], "docker");
    assert_eq!(disc["container_id"], dk.as_str());
    assert_eq!(disc["image_id"], image_id);
    assert_eq!(disc["image_name"], p.reference.as_str());
    assert_eq!(disc["platform"], "linux/amd64");
    assert_eq!(
        disc["references"],
        json!([
            format!("{}/drift/app@{}", reg.addr, p.manifest),
            p.reference.as_str()
        ])
    );
    assert_eq!(
        disc["state_files"],
        json!([
            docker_root
                .join(format!("containers/{dk}/config.v2.json"))
                .display()
                .to_string(),
            docker_root
                .join(format!("image/overlay2/imagedb/content/sha256/{}", p.cfg))
                .display()
                .to_string(),
            docker_root
                .join("image/overlay2/repositories.json")
                .display()
                .to_string(),
        ])
    );
    assert_mutations(code, &v);

    // The podman container: found in containers-storage; idle, so only /tmp/ready changed.
    let (code, v, err) = args(&with(&["--container", &pm, "--format", "json"]));
    assert_eq!(code, 0, "{err}\n{v:#}");
    assert_eq!(v["discovery"]["runtime"], "podman");
    assert_eq!(v["image_id"], image_id);
    assert_eq!(changes(&v, "changes"), []);
    assert_eq!(
        changes(&v, "volatile"),
        [crate::drift::t("/tmp/ready", "added", "volatile")]
    );

    // The unknown container: no state anywhere, so no image without IMAGE-SOURCE.
    let (code, _, err) = args(&with(&["--container", &un]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "cannot find the image of container {un}: image not found: docker state {}: no container {un}; containers-storage state {}: no container {un}",
            docker_root.display(),
            storage_root.display()
        )),
        "{err}"
    );

    // --host: one row per container, the unresolvable one listed as skipped.
    let (code, v, err) = args(&with(&["--host", "--format", "json"]));
    assert_eq!(code, 1, "the docker container drifted: {err}");
    assert_eq!(v["kind"], "drift-host");
    let rd = row(&v, &dk);
    assert_eq!(
        bare(rd),
        json!({"id": dk.as_str(), "runtime": "docker", "pid": cd.c.pid(), "command": "sleep",
               "image": p.reference.as_str(), "image_id": image_id.as_str(),
               "status": "checked", "verdict": "drift"}),
        "{err}"
    );
    assert_mutations(1, &rd["report"]);
    let rp = row(&v, &pm);
    assert_eq!(
        bare(rp),
        json!({"id": pm.as_str(), "runtime": "podman", "pid": cp.c.pid(), "command": "sleep",
               "image": p.reference.as_str(), "image_id": image_id.as_str(),
               "status": "checked", "verdict": "clean"})
    );
    assert_eq!(rp["report"]["summary"]["changes"], 0);
    let ru = row(&v, &un);
    assert_eq!(
        bare(ru),
        json!({"id": un.as_str(), "runtime": "docker", "pid": cu.c.pid(), "command": "sleep",
               "image": null, "image_id": null, "status": "skipped", "verdict": "skipped",
               "skipped": format!(
                   "image not found: docker state {}: no container {un}; containers-storage state {}: no container {un}",
                   docker_root.display(), storage_root.display())})
    );
    let s = &v["summary"];
    let ours = 3;
    assert!(s["containers"].as_u64().unwrap() >= ours, "{s}");
    assert_eq!(s["checked"], 2, "only ours resolve: {s}");
    assert_eq!(s["drifted"], 1);
    assert_eq!(s["failed"], 0);

    // The table: one row each.
    let (_, t, _) = args(&with(&["--host", "--wide"]));
    let t = t.as_str().unwrap().to_string();
    let line = |id: &str| {
        t.lines()
            .find(|l| l.starts_with(&id[..12]))
            .unwrap_or_else(|| panic!("no row for {id}:\n{t}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mutated = rd["report"]["summary"]["changes"].as_u64().unwrap() + 1; // + evilpkg
    let vol = rd["report"]["summary"]["volatile"].as_u64().unwrap();
    assert_eq!(
        line(&dk),
        format!(
            "{} docker {} {} {mutated} {vol} 0 drift",
            &dk[..12],
            p.reference,
            cd.c.pid()
        )
    );
    assert_eq!(
        line(&pm),
        format!(
            "{} podman {} {} 0 1 0 clean",
            &pm[..12],
            p.reference,
            cp.c.pid()
        )
    );
    assert_eq!(
        line(&un),
        format!("{} docker - {} - - - skipped", &un[..12], cu.c.pid())
    );
    assert!(
        t.contains(&format!(
            "  {un} (pid {}): image not found: docker state",
            cu.c.pid()
        )),
        "{t}"
    );

    // SARIF through the shared model: the docker container's changes by rule.
    let (_, s, _) = args(&with(&["--host", "--format", "sarif"]));
    let s: Value = serde_json::from_str(s.as_str().unwrap()).unwrap();
    let rules: Vec<&str> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    for r in ["drift-setuid", "drift-executable", "drift-package"] {
        assert!(rules.contains(&r), "{r} not in {rules:?}");
    }
    // The skipped container is a notification, not silence.
    let notes = s["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(
        notes.contains(&format!("container {un} (pid {})", cu.c.pid()))
            && notes.contains("skipped, image not resolved: image not found"),
        "{notes}"
    );

    // The state names another image than the registry holds under that digest: an error
    // naming both, never a compare against the other image; with --host, that row fails and
    // the others go on.
    let other = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(b"another image config"))
    );
    docker_container(&docker_root, &dk, cd.c.pid(), &other, &p.reference);
    docker_images(&docker_root, &p, &other);
    let (code, _, err) = args(&with(&["--container", &dk]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "image mismatch: {}/drift/app@{} has image config {image_id}, but the container's image is {other} (docker state {})",
            reg.addr,
            p.manifest,
            docker_root.join(format!("containers/{dk}/config.v2.json")).display()
        )),
        "{err}"
    );
    // A malformed state file is that container's row, naming the file.
    let bad = docker_root.join(format!("containers/{un}/config.v2.json"));
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, b"{\"ID\": [").unwrap();
    let (code, v, _) = args(&with(&["--host", "--format", "json"]));
    let ru = row(&v, &un);
    assert_eq!(ru["status"], "skipped");
    assert!(
        ru["skipped"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}: not a container config", bad.display())),
        "{ru:#}"
    );
    let rd = row(&v, &dk);
    assert_eq!(rd["status"], "failed");
    assert_eq!(rd["verdict"], "error");
    assert!(
        rd["error"].as_str().unwrap().contains(&format!(
            "has image config {image_id}, but the container's image is {other}"
        )),
        "{rd:#}"
    );
    assert_eq!(row(&v, &pm)["verdict"], "clean", "the others go on");
    assert_eq!(v["summary"]["failed"], 1);
    assert_eq!(
        code, 1,
        "a container that could not be checked trips --fail-on-drift"
    );

    // An image given explicitly wins; the different recorded image ID is a warning note.
    let oci = format!("{}:t", layout.display());
    let (code, v, err) = args(&with(&[
        "--oci-dir",
        &oci,
        "--container",
        &dk,
        "--format",
        "json",
    ]));
    assert!(err.contains("image mismatch"), "{err}");
    let notes = v["notes"].to_string();
    assert!(
        notes.contains(&format!(
            "warning: image mismatch: {oci} has image config {image_id}, but the container's image is {other}"
        )),
        "{notes}"
    );
    assert_mutations(code, &v);
    drop((cd, cp, cu));
}
