//! `sekisho config`: a mixed directory (Kubernetes YAML and JSON, a Dockerfile, compose, an
//! OCI runtime config, a file not understood, a broken one) as table, JSON and SARIF
//! snapshots; SARIF levels, rules and regions; exit codes; --policy over PSS fixtures;
//! --list-checks.

use std::path::Path;

use serde_json::Value;

use crate::report::normalize;
use crate::util::{sekisho, shared_data, write};

fn mixed(root: &Path) {
    write(
        root,
        "mixed/k8s/web.yaml",
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      automountServiceAccountToken: false
      containers:
      - name: app
        image: registry.example/web:1.4@sha256:0000000000000000000000000000000000000000000000000000000000000000
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            drop: [ALL]
            add: [NET_ADMIN] # sekisho:ignore=pss-capabilities-restricted the CNI shim needs it
        resources:
          limits: {cpu: 500m, memory: 128Mi}
        env:
        - name: DB_PASSWORD
          value: hunter2hunter2
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  ports:
  - port: 80
",
    );
    write(
        root,
        "mixed/k8s/pod.json",
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"debug\"},\n  \"spec\": {\n    \"hostPID\": true,\n    \"automountServiceAccountToken\": false,\n    \"containers\": [\n      {\"name\": \"sh\", \"image\": \"busybox:1.36@sha256:1111111111111111111111111111111111111111111111111111111111111111\",\n       \"securityContext\": {\"privileged\": true}}\n    ]\n  }\n}\n",
    );
    write(
        root,
        "mixed/app/Dockerfile",
        "\
FROM golang:1.22 AS build
USER root
RUN --mount=type=secret,id=netrc,target=/root/.netrc go build -o /app .
FROM debian:12
RUN apt-get update && \\
    curl -k https://example.invalid/install.sh | sh
COPY --from=build /app /app
USER 0
",
    );
    write(
        root,
        "mixed/compose.yaml",
        "services:\n  agent:\n    image: agent:2\n    privileged: true\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n    read_only: true\n",
    );
    write(
        root,
        "mixed/bundle/config.json",
        "{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\"user\": {\"uid\": 0}, \"noNewPrivileges\": true},\n  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n  \"linux\": {\n    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"network\"}, {\"type\": \"user\"}],\n    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\"},\n    \"maskedPaths\": [\"/proc/kcore\"],\n    \"readonlyPaths\": [\"/proc/sys\"]\n  }\n}\n",
    );
    write(root, "mixed/values.yaml", "replicas: 3\n");
    write(
        root,
        "mixed/broken.yaml",
        "apiVersion: v1\nkind: Pod\nspec: [\n",
    );
    write(root, "mixed/README.md", "not configuration\n");
}

fn run_in(root: &Path, args: &[&str]) -> std::process::Output {
    sekisho()
        .current_dir(root)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("COLUMNS", "120")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn mixed_directory_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    mixed(root);
    for format in ["table", "json", "sarif"] {
        let out = run_in(root, &["config", "mixed", "-f", format]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        insta::assert_snapshot!(format!("config_{format}"), normalize(&text, root));
        if format == "sarif" {
            let doc: Value = serde_json::from_str(&text).unwrap();
            validate_sarif_schema(&doc);
            let run = &doc["runs"][0];
            for r in run["results"].as_array().unwrap() {
                let sev = r["level"].as_str().unwrap();
                assert!(matches!(sev, "error" | "warning" | "note"));
                let region = &r["locations"][0]["physicalLocation"]["region"];
                assert!(region["startLine"].as_u64().unwrap() >= 1);
                assert!(region["startColumn"].as_u64().unwrap() >= 1);
                let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap();
                assert!(uri.starts_with("mixed/"), "{uri}");
            }
            for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
                assert!(
                    rule["properties"]["security-severity"].is_string(),
                    "{rule}"
                );
            }
        }
        if format == "json" {
            let doc: Value = serde_json::from_str(&text).unwrap();
            let c = &doc["config"];
            assert_eq!(c["files"]["kubernetes"], 2);
            assert_eq!(c["files"]["dockerfile"], 1);
            assert_eq!(c["files"]["compose"], 1);
            assert_eq!(c["files"]["oci-runtime"], 1);
            assert_eq!(c["files"]["not-understood"], 1);
            assert_eq!(c["files"]["unreadable"], 1);
            let fs = doc["targets"][0]["findings"].as_array().unwrap();
            let at = |id: &str| {
                fs.iter()
                    .find(|f| f["id"] == id)
                    .map(|f| {
                        (
                            f["location"]["path"].as_str().unwrap().to_string(),
                            f["location"]["line"].as_u64().unwrap(),
                            f["location"]["column"].as_u64().unwrap(),
                        )
                    })
                    .unwrap_or_else(|| panic!("{id} missing"))
            };
            assert_eq!(at("pss-host-pid"), ("mixed/k8s/pod.json".into(), 6, 5));
            assert_eq!(at("pss-privileged"), ("mixed/k8s/pod.json".into(), 10, 28));
            assert_eq!(
                at("k8s-secret-in-env"),
                ("mixed/k8s/web.yaml".into(), 27, 11)
            );
            assert_eq!(
                at("dockerfile-root-user"),
                ("mixed/app/Dockerfile".into(), 8, 1)
            );
            assert_eq!(
                at("dockerfile-tls-bypass"),
                ("mixed/app/Dockerfile".into(), 6, 10)
            );
            assert_eq!(
                at("compose-runtime-socket"),
                ("mixed/compose.yaml".into(), 6, 9)
            );
            assert_eq!(
                at("oci-root-user"),
                ("mixed/bundle/config.json".into(), 3, 24)
            );
            assert!(!text.contains("hunter2"), "secret value printed");
            let sup = doc["targets"][0]["suppressed"].as_array().unwrap();
            assert!(
                sup.iter()
                    .any(|s| s["finding"]["id"] == "pss-capabilities-restricted"
                        && s["reason"]["reason"] == "the CNI shim needs it")
            );
        }
    }
}

#[test]
fn gate_and_severity() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    mixed(root);
    let out = run_in(
        root,
        &["config", "mixed", "--fail-on", "high", "-q", "-f", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run_in(
        root,
        &[
            "config",
            "mixed/compose.yaml",
            "--severity",
            "LOW",
            "-q",
            "--fail-on",
            "high",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    write(
        root,
        ".sekishoignore",
        "compose-privileged\ncompose-runtime-socket\n",
    );
    let out = run_in(
        root,
        &["config", "mixed/compose.yaml", "-q", "--fail-on", "high"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // trivy's IDs in either form (KSV010 / KSV-0017) match in .sekishoignore.
    write(
        root,
        ".sekishoignore",
        "KSV010 reason=node agent\nksv-0017 reason=debug pod\n",
    );
    let out = run_in(
        root,
        &[
            "config",
            "mixed/k8s/pod.json",
            "-q",
            "-f",
            "json",
            "--fail-on",
            "high",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sup: Vec<&str> = doc["targets"][0]["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"]["kind"] == "ignored")
        .map(|s| s["finding"]["id"].as_str().unwrap())
        .collect();
    assert!(sup.contains(&"pss-host-pid"), "{sup:?}");
    assert!(sup.contains(&"pss-privileged"), "{sup:?}");
    let out = run_in(root, &["config", "nope"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn policy_mode_over_pss_fixtures() {
    let base = shared_data().join("fixtures-pss/baseline/v1.30");
    let out = sekisho()
        .args([
            "config",
            "--policy",
            "pss-baseline",
            "--k8s-version",
            "1.30",
            "-f",
            "json",
            "-q",
        ])
        .arg(base.join("fail"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let n_files = std::fs::read_dir(base.join("fail")).unwrap().count();
    let fs = doc["targets"][0]["findings"].as_array().unwrap();
    let mut denied: Vec<&str> = fs
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    denied.sort();
    denied.dedup();
    assert_eq!(denied.len(), n_files, "every fail/ Pod denied");
    assert!(
        fs.iter()
            .all(|f| f["id"].as_str().unwrap().starts_with("pss-"))
    );
    let out = sekisho()
        .args([
            "config",
            "--policy",
            "pss-baseline",
            "--k8s-version",
            "1.30",
            "-f",
            "json",
            "-q",
        ])
        .arg(base.join("pass"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["targets"][0]["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn list_checks() {
    let out = sekisho()
        .args(["config", "--list-checks"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let t = String::from_utf8(out.stdout).unwrap();
    for id in [
        "pss-privileged",
        "dockerfile-root-user",
        "compose-privileged",
        "oci-no-seccomp",
        "image-root-user",
    ] {
        assert!(t.contains(id), "{id}");
    }
    assert!(t.contains("KSV017") && t.contains("DL3002"));
}

/// The SARIF document against the official SARIF 2.1.0 schema in `../shared/data/schemas`.
fn validate_sarif_schema(doc: &Value) {
    let path = shared_data().join("schemas/sarif-2.1.0-schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let v = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("compile schema");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn rootfs_scanners_config_checks_files_inside() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    write(&root, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    write(
        &root,
        "srv/app/Dockerfile",
        "FROM debian:12\nRUN curl -fsSL https://x/i.sh | bash\nUSER root\n",
    );
    write(
        &root,
        "srv/deploy/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: x}]\n",
    );
    write(&root, "etc/app/settings.yaml", "log: debug\n");
    write(
        &root,
        "usr/share/doc/x/example.yaml",
        "apiVersion: v1\nkind: Pod\nspec: {hostPID: true}\n",
    );
    let out = sekisho()
        .arg("rootfs")
        .arg(&root)
        .args(["--scanners", "config", "--format", "json", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &doc["targets"][0];
    let fs = t["findings"].as_array().unwrap();
    let at = |id: &str| {
        fs.iter()
            .find(|f| f["id"] == id)
            .map(|f| {
                (
                    f["location"]["path"].as_str().unwrap().to_string(),
                    f["location"]["line"].as_u64().unwrap(),
                )
            })
            .unwrap_or_else(|| panic!("{id} missing in {fs:#?}"))
    };
    assert_eq!(
        at("dockerfile-curl-pipe-shell"),
        ("srv/app/Dockerfile".into(), 2)
    );
    assert_eq!(at("dockerfile-root-user"), ("srv/app/Dockerfile".into(), 3));
    assert_eq!(at("pss-host-network"), ("srv/deploy/pod.yaml".into(), 5));
    assert!(
        !fs.iter().any(|f| f["id"] == "pss-host-pid"),
        "usr/share is not read"
    );
    let notes = t["notes"].to_string();
    assert!(notes.contains("etc/app/settings.yaml"), "{notes}");
}

#[test]
fn columns_after_non_ascii_text_are_code_points_in_json_and_sarif() {
    // `é` is 1 code point and 1 UTF-16 unit (2 bytes); `😀` is 1 code point and 2 UTF-16 units
    // (4 bytes). The SARIF run says unicodeCodePoints, and its columns are code points.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: w # café 😀\nspec:\n  containers:\n  - {name: \"é😀\", image: \"x\", securityContext: {privileged: true}}\n";
    let dockerfile = "FROM debian:12\n# café 😀\nRUN echo \"é😀\" && curl -k https://example.invalid/x -o /x\nUSER app\n";
    write(root, "na/pod.yaml", pod);
    write(root, "na/Dockerfile", dockerfile);
    let col = |text: &str, line: usize, needle: &str| {
        let l = text.lines().nth(line - 1).unwrap();
        l[..l.find(needle).unwrap()].chars().count() as u64 + 1
    };
    let want = [
        (
            "pss-privileged",
            "na/pod.yaml",
            7,
            col(pod, 7, "privileged"),
        ),
        (
            "dockerfile-tls-bypass",
            "na/Dockerfile",
            3,
            col(dockerfile, 3, "-k"),
        ),
    ];
    assert_eq!(want[0].3, 48);
    assert_eq!(want[1].3, 23);
    let out = run_in(root, &["config", "na", "-f", "sarif"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    validate_sarif_schema(&doc);
    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    for (id, uri, line, column) in want {
        let r = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("{id} missing"));
        let pl = &r["locations"][0]["physicalLocation"];
        assert_eq!(pl["artifactLocation"]["uri"], uri);
        assert_eq!(pl["region"]["startLine"], line);
        assert_eq!(pl["region"]["startColumn"], column, "{id}");
    }
    let out = run_in(root, &["config", "na", "-f", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fs = doc["targets"][0]["findings"].as_array().unwrap();
    for (id, uri, line, column) in want {
        let f = fs.iter().find(|f| f["id"] == id).unwrap();
        assert_eq!(f["location"]["path"], uri);
        assert_eq!(f["location"]["line"], line);
        assert_eq!(f["location"]["column"], column, "{id}");
    }
}
