//! Properties of `scan_file` on generated input:
//! * it never panics, whatever the bytes, and every finding's line and column lie inside the
//!   file;
//! * in generated Pods (YAML block or flow style, or JSON, with comments, blank lines and
//!   non-ASCII text before the fields), a finding about a field points at that field: the text
//!   at its line and column (in characters) is the key.

use proptest::prelude::*;
use sekisho_config::{Options, scan_file};

/// Every finding's location is a real line, and a column within it (one past the end at most).
fn assert_inside(text: &str, r: &sekisho_config::FileResult) {
    let lines: Vec<&str> = text.split('\n').collect();
    for f in &r.findings {
        let (Some(line), Some(col)) = (f.location.line, f.location.column) else {
            continue;
        };
        assert!(line >= 1 && (line as usize) <= lines.len(), "{f:?}");
        let l = lines[line as usize - 1].trim_end_matches('\r');
        assert!(
            col >= 1 && (col as usize) <= l.chars().count() + 1,
            "{}: column {col} outside {l:?}",
            f.id
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048),
                                   name in prop::sample::select(vec!["x.yaml", "x.json", "Dockerfile", "compose.yaml", "config.json"])) {
        let r = scan_file(name, &bytes, &Options::default());
        if let Ok(t) = std::str::from_utf8(&bytes) {
            assert_inside(t, &r);
        }
    }

    #[test]
    fn yaml_like_text_never_panics(text in "([ \t]{0,6}(- )?[a-zA-Z:{}\\[\\],&*!|>'\"#<@%é😀-]{0,12}( [a-z0-9:&*\"']{0,8})?\r?\n){0,40}",
                                   prefix in prop::sample::select(vec!["", "apiVersion: v1\nkind: Pod\n", "services:\n", "{\"ociVersion\": \"1.0.2\"}\n", "FROM x\n"])) {
        let t = format!("{prefix}{text}");
        let r = scan_file("x.yaml", t.as_bytes(), &Options::default());
        assert_inside(&t, &r);
        let r = scan_file("Dockerfile", t.as_bytes(), &Options::default());
        assert_inside(&t, &r);
    }
}

/// The field each check points at, when it is about one field that is present.
const KEYED: &[(&str, &str)] = &[
    ("pss-host-pid", "hostPID"),
    ("pss-host-ipc", "hostIPC"),
    ("pss-host-network", "hostNetwork"),
    ("pss-privileged", "privileged"),
    ("pss-run-as-user", "runAsUser"),
    ("pss-proc-mount", "procMount"),
    ("k8s-automount-sa-token", "automountServiceAccountToken"),
];

#[derive(Debug, Clone)]
enum Style {
    Block,
    Flow,
    Json,
}

fn filler() -> impl Strategy<Value = String> {
    // Something before a field on its own line: nothing, a blank line, or a comment with
    // non-ASCII text (YAML only; JSON gets whitespace).
    prop::sample::select(vec!["", "\n", "# café 😀 ünïcode\n", "#\n"]).prop_map(str::to_string)
}

prop_compose! {
    fn pod()(style in prop::sample::select(vec![Style::Block, Style::Flow, Style::Json]),
             host in proptest::collection::vec(any::<bool>(), 3),
             automount in any::<bool>(),
             privileged in any::<bool>(),
             root in any::<bool>(),
             unmasked in any::<bool>(),
             name in "[a-z]{1,3}(é|😀|ß)?[a-z]{0,3}",
             fill in proptest::collection::vec(filler(), 8)) -> String {
        let mut spec: Vec<(String, String)> = Vec::new();
        for (on, k) in host.iter().zip(["hostPID", "hostIPC", "hostNetwork"]) {
            if *on {
                spec.push((k.into(), "true".into()));
            }
        }
        spec.push(("automountServiceAccountToken".into(), automount.to_string()));
        let mut sc: Vec<(String, String)> = vec![("privileged".into(), privileged.to_string())];
        if root {
            sc.push(("runAsUser".into(), "0".into()));
        }
        if unmasked {
            sc.push(("procMount".into(), "\"Unmasked\"".into()));
        }
        match style {
            Style::Json => {
                let kv = |v: &[(String, String)]| v.iter().map(|(k, x)| format!("\"{k}\": {x}")).collect::<Vec<_>>().join(", ");
                format!(
                    "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": {{\"name\": \"{name}\"}},\n \"spec\": {{{},\n  \"containers\": [{{\"name\": \"{name}\", \"image\": \"x\", \"securityContext\": {{{}}}}}]}}}}\n",
                    kv(&spec), kv(&sc)
                )
            }
            Style::Block => {
                let mut o = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"{name}\" # ✓\nspec:\n");
                for (i, (k, v)) in spec.iter().enumerate() {
                    o.push_str(&fill[i % fill.len()].replace('#', "  #"));
                    o.push_str(&format!("  {k}: {v}\n"));
                }
                o.push_str(&format!("  containers:\n  - name: \"{name}\"\n    image: x\n    securityContext:\n"));
                for (i, (k, v)) in sc.iter().enumerate() {
                    o.push_str(&fill[(i + 3) % fill.len()].replace('#', "      #"));
                    o.push_str(&format!("      {k}: {v}\n"));
                }
                o
            }
            Style::Flow => {
                let kv = |v: &[(String, String)]| v.iter().map(|(k, x)| format!("{k}: {x}")).collect::<Vec<_>>().join(", ");
                let mut o = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: \"{name}\"}}\nspec:\n");
                for (k, v) in &spec {
                    o.push_str(&format!("  {k}: {v}\n"));
                }
                o.push_str(&format!("  containers:\n  - {{name: \"{name}\", image: x, securityContext: {{{}}}}}\n", kv(&sc)));
                o
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn findings_point_at_their_field(text in pod()) {
        let path = if text.starts_with('{') { "pod.json" } else { "pod.yaml" };
        let r = scan_file(path, text.as_bytes(), &Options::default());
        prop_assert!(r.error.is_none(), "{:?}\n{}", r.error, text);
        assert_inside(&text, &r);
        let lines: Vec<&str> = text.lines().collect();
        for f in &r.findings {
            let Some((_, key)) = KEYED.iter().find(|(id, _)| *id == f.id) else {
                continue;
            };
            let line = lines[f.location.line.unwrap() as usize - 1];
            let at: String = line.chars().skip(f.location.column.unwrap() as usize - 1).collect();
            let at = at.trim_start_matches('"');
            prop_assert!(at.starts_with(key), "{} at {:?}: {:?}\n{}", f.id, f.location, at, text);
        }
        // And the fields set are found.
        let want = |key: &str, on: bool| {
            let found = r.findings.iter().any(|f| KEYED.iter().any(|(id, k)| *k == key && *id == f.id));
            found == on
        };
        prop_assert!(want("privileged", text.contains("privileged\": true") || text.contains("privileged: true")), "{text}");
        prop_assert!(want("hostPID", text.contains("hostPID")), "{text}");
    }
}
