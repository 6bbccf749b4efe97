//! The test image of issue 15, written as an OCI layout by this test and read back through
//! sekisho-artifact's layer walk: a key added then deleted (whiteout), a key in a file replaced
//! by a symlink, one emptied, one hidden by an opaque directory, keys in Env and in a BuildKit
//! history line, a package-owned doc file with a key (dpkg md5sums match: vendor content) and one
//! whose content was modified after install, plus every decoy.

use std::collections::BTreeMap;

use sekisho_artifact::image::layout::open_layout;
use sekisho_artifact::image::resolve::ImageOptions;
use sekisho_artifact::{Capture, Inventory};
use sekisho_artifact::{LayerResult, walk_layer};
use sekisho_catalog::Cataloger as _;
use sekisho_finding::{Finding, Secret, Severity};
use sekisho_secret::fixture::{Planted, issue_image, write_oci_layout};
use sekisho_secret::{RemovalKind, Removals, Rules, SecretCapture, analyze};

/// The image and every value planted in it.
struct TestImage {
    dir: tempfile::TempDir,
    digests: Vec<String>,
    planted: BTreeMap<&'static str, Planted>,
    env_token: String,
    build_arg_token: String,
}

fn build() -> TestImage {
    let i = issue_image();
    let dir = tempfile::tempdir().unwrap();
    let digests = write_oci_layout(dir.path(), "test", &i.image).unwrap();
    TestImage {
        dir,
        digests,
        planted: i.planted,
        env_token: i.env_token,
        build_arg_token: i.build_arg_token,
    }
}

fn scan(t: &TestImage, exact: bool) -> (Vec<Secret>, sekisho_secret::Summary, Vec<LayerResult>) {
    let rules = Rules::builtin().unwrap();
    let spec = format!("{}:test", t.dir.path().display());
    let img = open_layout(&spec, &ImageOptions::default()).unwrap();
    let secret = SecretCapture::new(rules);
    let vendor = sekisho_secret::vendor::captures();
    let dpkg = sekisho_catalog::os::dpkg::Dpkg.captures();
    let mut caps: Vec<&dyn Capture> = vec![&secret];
    caps.extend(vendor.iter().map(|c| c.as_ref()));
    caps.extend(dpkg.iter().map(|c| c.as_ref()));
    let mut results = Vec::new();
    for mut l in img.layers {
        results.push(walk_layer(l.as_mut(), &caps).unwrap());
    }
    let inv = Inventory::from_layers(results.clone());
    let removals: Option<&dyn Removals> = if exact { Some(&results) } else { None };
    let rep = analyze(rules, &inv, Some(&img.meta), removals);
    (rep.findings, rep.summary, results)
}

fn by_rule<'a>(f: &'a [Secret], id: &str) -> Vec<&'a Secret> {
    f.iter().filter(|s| s.id == id).collect()
}

#[test]
fn finds_every_key_with_its_layer_and_removal() {
    let t = build();
    let (f, summary, _) = scan(&t, true);
    if std::env::var_os("SHOW").is_some() {
        eprintln!("{}", serde_json::to_string_pretty(&f).unwrap());
        eprintln!("{summary}");
    }
    let one = |id: &str| -> &Secret {
        let v = by_rule(&f, id);
        assert_eq!(v.len(), 1, "{id}: {v:#?}\nall: {f:#?}");
        v[0]
    };
    let layer = |s: &Secret| s.location.layer.as_ref().map(|l| l.index);
    let deleted = |s: &Secret| s.deleted_in.as_ref().map(|l| l.index);

    let k = one("private-key");
    assert_eq!(
        (k.location.path.as_deref(), layer(k), deleted(k), k.present),
        (Some("root/.ssh/id_rsa"), Some(1), Some(2), false)
    );
    assert_eq!(k.location.line, Some(2));
    assert!(k.why.contains("deleted (whiteout) in layer 2"), "{}", k.why);
    assert_eq!(
        k.location.layer.as_ref().unwrap().digest.as_deref(),
        Some(t.digests[1].as_str())
    );
    assert!(
        k.location
            .layer
            .as_ref()
            .unwrap()
            .created_by
            .as_deref()
            .unwrap()
            .starts_with("RUN |1 NPM_TOKEN=")
    );
    assert_eq!(
        k.deleted_in.as_ref().unwrap().digest.as_deref(),
        Some(t.digests[2].as_str())
    );

    let s = one("slack-bot-token");
    assert_eq!((layer(s), deleted(s), s.present), (Some(1), Some(3), false));
    assert!(
        s.why.contains("replaced by a symlink in layer 3"),
        "{}",
        s.why
    );
    let e = one("stripe-secret-key");
    assert_eq!((layer(e), deleted(e), e.present), (Some(1), Some(3), false));
    assert!(e.why.contains("replaced by an empty file"), "{}", e.why);
    let n = one("npmrc-auth");
    assert_eq!(
        (n.location.path.as_deref(), deleted(n), n.present),
        (Some("opt/build/.npmrc"), Some(3), false)
    );
    assert!(n.why.contains("opaque"), "{}", n.why);
    let a = one("aws-secret-access-key");
    assert_eq!((layer(a), deleted(a), a.present), (Some(1), None, true));
    let d = one("database-url-password");
    assert_eq!(
        (layer(d), d.present, d.severity),
        (Some(1), true, Severity::High)
    );

    // Vendor content: unchanged → INFO with the package; modified → full finding.
    let v = one("github-pat");
    assert_eq!(v.severity, Severity::Info);
    let vc = v.vendor.as_ref().unwrap();
    assert_eq!((vc.package.as_str(), vc.unchanged), ("libfoo 1.2-3", true));
    let m = by_rule(&f, "sendgrid-api-key");
    assert_eq!(m.len(), 1, "only the modified version has the key: {m:#?}");
    assert_eq!(m[0].severity, Severity::High);
    assert_eq!(layer(m[0]), Some(1));
    let mv = m[0].vendor.as_ref().unwrap();
    assert_eq!((mv.package.as_str(), mv.unchanged), ("libbar 4.5-6", false));
    assert!(m[0].why.contains("changed after install"));

    // Image config.
    let env = one("github-fine-grained-pat");
    assert_eq!(
        env.location.logical.as_deref(),
        Some("config:Env[GH_TOKEN]")
    );
    assert!(env.present && env.location.path.is_none());
    let h = one("npm-access-token");
    assert_eq!(
        h.location.logical.as_deref(),
        Some("config:History[2]"),
        "ARG is history 1, RUN 2"
    );
    assert_eq!(layer(h), Some(1));
    assert!(
        h.why.contains("build argument NPM_TOKEN of RUN"),
        "{}",
        h.why
    );

    // Nothing else: no decoy (in etc/decoys.conf, app/README.md, Env) is reported.
    let mut ids: Vec<&str> = f.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        vec![
            "aws-secret-access-key",
            "database-url-password",
            "github-fine-grained-pat",
            "github-pat",
            "npm-access-token",
            "npmrc-auth",
            "private-key",
            "sendgrid-api-key",
            "slack-bot-token",
            "stripe-secret-key",
        ],
        "{f:#?}"
    );
    assert!(summary.files >= 14, "{summary:?}");
    assert_eq!(summary.vendor, 1);
    assert_eq!(summary.removed, 4);
    assert!(summary.to_string().contains("up to 64 MiB"), "{summary}");
}

#[test]
fn the_inventory_alone_knows_every_removal() {
    let t = build();
    let (f, _, _) = scan(&t, false);
    let get = |id: &str| f.iter().find(|s| s.id == id).unwrap();
    for (id, layer, how) in [
        ("private-key", 2, "was deleted in layer 2"),
        ("slack-bot-token", 3, "replaced by a symlink in layer 3"),
        (
            "stripe-secret-key",
            3,
            "replaced by an empty file in layer 3",
        ),
        ("npmrc-auth", 3, "was deleted in layer 3"),
    ] {
        let s = get(id);
        assert!(!s.present, "{id}");
        assert_eq!(s.deleted_in.as_ref().map(|l| l.index), Some(layer), "{id}");
        assert!(s.why.contains(how), "{id}: {}", s.why);
    }
}

#[test]
fn removals_from_layer_results() {
    let t = build();
    let (_, _, results) = scan(&t, true);
    let r = &results;
    assert_eq!(
        r.removed("root/.ssh/id_rsa", 1),
        Some((2, RemovalKind::Whiteout))
    );
    assert_eq!(
        r.removed("app/config.yaml", 1),
        Some((3, RemovalKind::Symlink))
    );
    assert_eq!(
        r.removed("opt/build/.npmrc", 1),
        Some((3, RemovalKind::OpaqueDir))
    );
    assert_eq!(r.removed("app/.env", 1), Some((3, RemovalKind::Emptied)));
    assert_eq!(r.removed("srv/app/settings.env", 1), None);
}

#[test]
fn no_planted_value_leaks_into_findings() {
    let t = build();
    let (f, summary, _) = scan(&t, true);
    let findings: Vec<Finding> = f.iter().cloned().map(Finding::from).collect();
    let json = serde_json::to_string_pretty(&findings).unwrap();
    let debug = format!("{findings:?}{summary:?}{summary}");
    let mut values: Vec<String> = t.planted.values().map(|p| p.s.value.clone()).collect();
    values.push(t.env_token.clone());
    values.push(t.build_arg_token.clone());
    for v in &values {
        // The distinctive tail of each value (format prefixes like `ghp_` may show).
        let tail = &v[v.len().saturating_sub(16)..];
        assert!(!json.contains(tail), "value leaked into JSON: …{tail}");
        assert!(!debug.contains(tail), "value leaked into Debug: …{tail}");
    }
    // But the history line of the layer is kept, redacted? No: LayerRef.created_by is the
    // builder's line. It holds the build argument's value: it must be redacted too.
    assert!(
        !json.contains(&t.build_arg_token[4..]),
        "created_by leaks the build argument"
    );
}
