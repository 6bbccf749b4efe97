//! `scan_file` over Kubernetes manifests: workload kinds, List kinds, non-workload kinds,
//! pod-level securityContext, exact positions (YAML and JSON), suppressions, parse errors.

use sekisho_config::{FileType, Level, Options, scan_file};

fn ids(r: &sekisho_config::FileResult) -> Vec<(String, u32, u32)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.id.clone(),
                f.location.line.unwrap(),
                f.location.column.unwrap(),
            )
        })
        .collect()
}

const DEPLOY: &str = "\
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
      containers:
      - name: app
        image: nginx
        securityContext:
          privileged: true
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ClusterIP
";

#[test]
fn deployment_findings_at_the_field_and_service_clean() {
    let r = scan_file("k/deploy.yaml", DEPLOY.as_bytes(), &Options::default());
    assert_eq!(r.file_type, Some(FileType::Kubernetes));
    assert_eq!(r.objects, 2);
    let ids = ids(&r);
    assert!(ids.contains(&("pss-privileged".into(), 17, 11)), "{ids:?}");
    assert!(ids.contains(&("k8s-image-latest".into(), 15, 9)), "{ids:?}");
    // Pod-level runAsNonRoot and seccomp cover the container.
    assert!(
        !ids.iter()
            .any(|i| i.0 == "pss-run-as-non-root" || i.0 == "pss-seccomp-restricted")
    );
    // The missing allowPrivilegeEscalation points at the container's `- name:` line.
    assert!(
        ids.contains(&("pss-allow-privilege-escalation".into(), 14, 9)),
        "{ids:?}"
    );
    // Nothing on the Service.
    assert!(r.findings.iter().all(|f| {
        f.object
            .as_deref()
            .unwrap_or("")
            .starts_with("Deployment prod/web")
    }));
}

#[test]
fn policy_mode_is_only_the_pss() {
    let o = Options {
        policy: Some(Level::Baseline),
        k8s_minor: 30,
    };
    let r = scan_file("d.yaml", DEPLOY.as_bytes(), &o);
    let ids = ids(&r);
    assert_eq!(ids, vec![("pss-privileged".to_string(), 17, 11)]);
}

#[test]
fn json_manifest_lines_are_the_field() {
    let j = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {\n      \"apiVersion\": \"v1\",\n      \"kind\": \"Pod\",\n      \"metadata\": {\"name\": \"p\"},\n      \"spec\": {\n        \"hostPID\": true,\n        \"containers\": [{\"name\": \"c\", \"image\": \"x@sha256:00\"}]\n      }\n    }\n  ]\n}\n";
    let o = Options {
        policy: Some(Level::Baseline),
        k8s_minor: 30,
    };
    let r = scan_file("list.json", j.as_bytes(), &o);
    assert_eq!(ids(&r), vec![("pss-host-pid".to_string(), 10, 9)]);
}

#[test]
fn suppressions_are_counted_with_reasons() {
    let y = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    sekisho.dev/ignore: pss-host-ipc
    sekisho.dev/ignore-reason: legacy IPC with the sidecar
spec:
  hostIPC: true
  # sekisho:ignore=KSV010 node exporter needs it
  hostPID: true
  hostNetwork: true
  containers:
  - name: c
    image: x@sha256:00
";
    let o = Options {
        policy: Some(Level::Baseline),
        k8s_minor: 30,
    };
    let r = scan_file("p.yaml", y.as_bytes(), &o);
    assert_eq!(ids(&r), vec![("pss-host-network".to_string(), 12, 3)]);
    assert_eq!(r.suppressed.len(), 2);
    let inline = r.suppressed.iter().find(|s| s.how == "inline").unwrap();
    assert_eq!(inline.finding.id, "pss-host-pid");
    assert_eq!(inline.reason.as_deref(), Some("node exporter needs it"));
    let ann = r.suppressed.iter().find(|s| s.how == "annotation").unwrap();
    assert_eq!(ann.reason.as_deref(), Some("legacy IPC with the sidecar"));
}

#[test]
fn trivy_ids_match_in_both_forms() {
    // trivy before 0.6x and its ignore files write `KSV017`, `DS002`; trivy 0.76 prints
    // `KSV-0017`, `DS-0002`. Both suppress, inline and per object, case-insensitively.
    let y = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    sekisho.dev/ignore: KSV-0008
spec:
  hostIPC: true
  # sekisho:ignore=ksv-0010 node exporter needs it
  hostPID: true
  hostNetwork: true # sekisho:ignore=KSV009 CNI
  containers:
  - name: c
    image: x@sha256:00
";
    let o = Options {
        policy: Some(Level::Baseline),
        k8s_minor: 30,
    };
    let r = scan_file("p.yaml", y.as_bytes(), &o);
    assert!(ids(&r).is_empty(), "{:?}", ids(&r));
    let mut sup: Vec<_> = r
        .suppressed
        .iter()
        .map(|s| (s.finding.id.as_str(), s.how))
        .collect();
    sup.sort_unstable();
    assert_eq!(
        sup,
        [
            ("pss-host-ipc", "annotation"),
            ("pss-host-network", "inline"),
            ("pss-host-pid", "inline")
        ]
    );
    let d = "FROM debian:12@sha256:00\n# sekisho:ignore=DS-0002 the entrypoint drops privileges\nUSER root\nHEALTHCHECK CMD true\n";
    let r = scan_file("Dockerfile", d.as_bytes(), &Options::default());
    assert!(!r.findings.iter().any(|f| f.id == "dockerfile-root-user"));
    assert_eq!(r.suppressed.len(), 1);
    // A finding lists both forms, so .sekishoignore and --fail-on IDs match either.
    let f = &r.suppressed[0].finding;
    assert_eq!(f.aliases, ["DL3002", "DS002", "DS-0002"]);
    assert_eq!(
        sekisho_config::checks::find("ksv-0017").map(|r| r.id),
        Some("pss-privileged")
    );
}

#[test]
fn broken_documents_are_named_and_earlier_ones_checked() {
    let y = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: []\n---\napiVersion: v1\nkind: Pod\nspec: [\n";
    let o = Options {
        policy: Some(Level::Baseline),
        k8s_minor: 30,
    };
    let r = scan_file("p.yaml", y.as_bytes(), &o);
    assert_eq!(r.findings.len(), 1);
    assert!(
        r.error.as_deref().unwrap().starts_with("line "),
        "{:?}",
        r.error
    );
}

#[test]
fn hostile_inputs_are_errors_not_panics() {
    for bad in [&b"a: \xff\n"[..], b"a: 1\na: 2\n", b"a:\n\tb: 1\n"] {
        let r = scan_file("x.yaml", bad, &Options::default());
        assert!(r.error.is_some(), "{:?}", String::from_utf8_lossy(bad));
        assert!(r.findings.is_empty());
    }
    let big = vec![b'a'; (sekisho_config::MAX_FILE_BYTES + 1) as usize];
    assert!(
        scan_file("big.yaml", &big, &Options::default())
            .error
            .unwrap()
            .contains("limit")
    );
}

/// The 1-based column, in Unicode scalar values, of the first `needle` on 1-based `line`.
fn col_of(text: &str, line: u32, needle: &str) -> u32 {
    let l = text.lines().nth(line as usize - 1).unwrap();
    let byte = l.find(needle).unwrap();
    u32::try_from(l[..byte].chars().count()).unwrap() + 1
}

#[test]
fn columns_count_characters_after_non_ascii_text() {
    // `é` is 2 bytes and 1 UTF-16 unit, `😀` 4 bytes and 2 UTF-16 units: a column that
    // counted bytes or UTF-16 units would be off by 4 (YAML, JSON) or 3 (Dockerfile).
    let y = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: w # café 😀\nspec:\n  containers:\n  - {name: \"é😀\", image: \"x\", securityContext: {privileged: true}}\n";
    let r = scan_file("pod.yaml", y.as_bytes(), &Options::default());
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "pss-privileged")
        .unwrap();
    assert_eq!(f.location.line, Some(7));
    assert_eq!(f.location.column, Some(col_of(y, 7, "privileged")));
    assert_eq!(f.location.column, Some(48));

    let j = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"w\"},\n \"spec\": {\"containers\": [{\"name\": \"é😀\", \"image\": \"x\", \"securityContext\": {\"privileged\": true}}]}}\n";
    let r = scan_file("pod.json", j.as_bytes(), &Options::default());
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "pss-privileged")
        .unwrap();
    assert_eq!(f.location.line, Some(2));
    assert_eq!(f.location.column, Some(col_of(j, 2, "\"privileged\"")));

    let d = "FROM debian:12\n# café 😀\nRUN echo \"é😀\" && curl -k https://example.invalid/x -o /x\nUSER app\n";
    let r = scan_file("Dockerfile", d.as_bytes(), &Options::default());
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "dockerfile-tls-bypass")
        .unwrap();
    assert_eq!(f.location.line, Some(3));
    assert_eq!(f.location.column, Some(col_of(d, 3, "-k")));

    let c = "services:\n  \"é😀\": {image: x, privileged: true, read_only: true}\n";
    let r = scan_file("compose.yaml", c.as_bytes(), &Options::default());
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "compose-privileged")
        .unwrap();
    assert_eq!(f.location.column, Some(col_of(c, 2, "privileged")));
}
