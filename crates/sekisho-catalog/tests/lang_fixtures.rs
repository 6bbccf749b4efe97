//! Every language fixture in `../shared/data/fixtures-{trivy,osv-scalibr,syft}` in a format
//! sekisho reads is parsed: it yields packages, or — only for the fixtures that are deliberately
//! invalid, listed in `INVALID` with the reason — fails with an error that names the file. Where
//! the fixture folders carry expected outputs (trivy's integration goldens), the packages match.
//!
//! Formats sekisho does not read (bun, conan, conda, pub, mix, julia, swift, cocoapods, sbt,
//! pom.xml, Cargo.toml, pyproject.toml, go.sum, nuget config/props) are listed in `UNSUPPORTED`
//! so a new fixture in a supported folder cannot slip through unparsed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sekisho_catalog::lang::{
    LangError, Parsed, dotnet, golang, java, javascript, php, python, ruby, rust,
};

fn shared() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).to_path_buf()
}

type Parser = fn(&str, &[u8]) -> Result<Parsed, LangError>;

/// Deliberately invalid fixtures (path suffix → why it must fail).
const INVALID: &[(&str, &str)] = &[
    ("rust/cargo/testdata/cargo_invalid.lock", "not TOML"),
    (
        "ruby/gemspec/testdata/malformed00.gemspec",
        "assigns to the wrong block variable",
    ),
    (
        "ruby/gemspec/testdata/malformed01.gemspec",
        "no name/version assignment",
    ),
    (
        "ruby/bundler/testdata/Gemfile_malformed.lock",
        "no sections",
    ),
    (
        "dotnet/core_deps/testdata/invalid.deps.json",
        "truncated JSON",
    ),
    (
        "python/packaging/testdata/invalid.json",
        "not core metadata",
    ),
    (
        "nodejs/packagejson/testdata/invalid_package.json",
        "truncated JSON",
    ),
    (
        "nodejs/packagejson/testdata/without_name_and_version_package.json",
        "no name/version",
    ),
    (
        "nodejs/packagejson/testdata/without_version_package.json",
        "no version",
    ),
    ("python/pylock/testdata/sad.toml", "not a pylock"),
    ("pylock/testdata/broken/pylock.toml", "not TOML"),
    ("uv/testdata/broken-lock/uv.lock", "not TOML"),
    ("poetry/testdata/sad/poetry.lock", "not TOML"),
    ("npm/testdata/sad/package-lock.json", "not JSON"),
    ("pnpm/testdata/sad/pnpm-lock.yaml", "not a pnpm lockfile"),
    ("packagelockjson/testdata/not-json.txt", "not JSON"),
    ("pnpmlock/testdata/not-yaml.txt", "not YAML"),
    ("poetrylock/testdata/not-toml.txt", "not TOML"),
    ("poetrylock/testdata/empty-file.lock", "empty"),
    ("pipfilelock/testdata/not-json.txt", "not JSON"),
    ("pipfilelock/testdata/empty-file", "empty"),
    ("pdmlock/testdata/not-toml.txt", "not TOML"),
    ("uvlock/testdata/not-toml.txt", "not TOML"),
    ("pylock/testdata/not-toml.txt", "not TOML"),
    ("pylock/testdata/empty.toml", "no lock-version"),
    ("cargolock/testdata/not-toml.txt", "not TOML"),
    ("gomod/testdata/not-go-mod.mod", "not go.mod"),
    ("gomod/testdata/empty.mod", "empty"),
    (
        "wheelegg/testdata/monotonic_no_pkginfo-1.6-py3.10.egg",
        "egg without PKG-INFO",
    ),
    ("packagelockjson/testdata/null.v2.jsontest", "JSON null"),
    (
        "dotnet/core_deps/testdata/no-libraries.deps.json",
        "no libraries: packages and projects cannot be told apart",
    ),
    ("cargo/testdata/sad.txtar!/Cargo.lock", "not TOML"),
    ("golang/mod/testdata/sad.txtar!/go.mod", "not go.mod"),
    ("sad/sad@v0.0.1/go.mod", "not go.mod"),
    ("wheelegg/testdata/empty", "empty"),
    ("pnpmlock/testdata/empty.yaml", "empty"),
    ("pdmlock/testdata/empty-file.toml", "empty"),
    ("uvlock/testdata/empty.lock", "empty"),
    ("no-req-files/no-required-files.egg", "egg without PKG-INFO"),
];

/// Folders/files in a format sekisho does not read (documented in docs/catalog-lang.md).
const UNSUPPORTED: &[&str] = &[
    "/bun/",
    "bunlock",
    "/conan/",
    "/conda",
    "/dart/",
    "/hex/",
    "/julia/",
    "/swift/",
    "cocoapods",
    "/sbt/",
    "/pom/",
    "pomxml",
    "cargotoml",
    "/pyproject/",
    "/golang/sum/",
    "nuget/config",
    "packagesprops",
    "/pubspec/",
    "/mixlock/",
    "/custom-policy/",
    "/dockerfile",
    "/secrets/",
    "/db/",
    "license/testdata",
    "nodejs/pkg/testdata",
    "/pkg/apk/",
    "/pkg/dpkg/",
];

/// Pick the parser for a fixture file: by its real file name where it has one, else by the
/// folder (fixture suites name test inputs freely).
fn parser_for(rel: &str) -> Option<Parser> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if name.ends_with(".egg") {
        return Some(parse_egg);
    }
    let by_name: Option<Parser> = match name {
        "package-lock.json" | "npm-shrinkwrap.json" => Some(javascript::parse_package_lock),
        "yarn.lock" => Some(javascript::parse_yarn_lock),
        "pnpm-lock.yaml" => Some(javascript::parse_pnpm_lock),
        "Cargo.lock" => Some(rust::parse_cargo_lock),
        "go.mod" => Some(golang::parse_go_mod),
        "composer.lock" => Some(php::parse_composer_lock),
        "installed.json" => Some(php::parse_installed_json),
        "packages.lock.json" => Some(dotnet::parse_packages_lock),
        "gradle.lockfile" => Some(java::parse_gradle_lock),
        "Gemfile.lock" => Some(ruby::parse_gemfile_lock),
        "METADATA" | "PKG-INFO" => Some(python::parse_metadata),
        _ if name.ends_with(".deps.json") => Some(dotnet::parse_deps_json),
        _ if name.ends_with(".gemspec") => Some(ruby::parse_gemspec),
        _ if name.ends_with(".egg-info") => Some(python::parse_metadata),
        _ => python::lockfile_parser(rel),
    };
    if let Some(p) = by_name {
        return Some(p);
    }
    if rel.contains("node_modules/") && name == "package.json" {
        return Some(javascript::parse_package_json);
    }
    if rel.contains("nodejs/packagejson/testdata/") {
        return Some(javascript::parse_package_json);
    }
    // Other files that sit next to the package files in fixture folders.
    const OTHER: &[&str] = &[
        ".sum",
        "Cargo.toml",
        "package.json",
        "pyproject.toml",
        "LICENSE",
        "COPYING",
        ".zip",
        ".yarnrc.yml",
        ".whl",
        "README",
    ];
    if OTHER
        .iter()
        .any(|o| name.ends_with(o) || name.starts_with(o))
    {
        return None;
    }
    if rel.contains("gomod/testdata/") && !name.ends_with(".mod") {
        return None;
    }
    let by_dir: &[(&str, Parser)] = &[
        ("nodejs/npm/testdata/", javascript::parse_package_lock),
        ("nodejs/yarn/testdata/", javascript::parse_yarn_lock),
        ("nodejs/pnpm/testdata/", javascript::parse_pnpm_lock),
        (
            "nodejs/packagejson/testdata/",
            javascript::parse_package_json,
        ),
        ("python/pip/testdata/", python::parse_requirements),
        ("python/pipenv/testdata/", python::parse_pipfile_lock),
        ("python/poetry/testdata/", python::parse_poetry_lock),
        ("python/uv/testdata/", python::parse_uv_lock),
        ("python/pylock/testdata/", python::parse_pylock),
        ("python/packaging/testdata/", python::parse_metadata),
        ("rust/cargo/testdata/", rust::parse_cargo_lock),
        ("ruby/bundler/testdata/", ruby::parse_gemfile_lock),
        ("nuget/lock/testdata/", dotnet::parse_packages_lock),
        ("packagelockjson/testdata/", javascript::parse_package_lock),
        ("pnpmlock/testdata/", javascript::parse_pnpm_lock),
        ("poetrylock/testdata/", python::parse_poetry_lock),
        ("pipfilelock/testdata/", python::parse_pipfile_lock),
        ("requirements/testdata/", python::parse_requirements),
        ("pdmlock/testdata/", python::parse_pdm_lock),
        ("uvlock/testdata/", python::parse_uv_lock),
        ("pylock/testdata/", python::parse_pylock),
        ("cargolock/testdata/", rust::parse_cargo_lock),
        ("gomod/testdata/", golang::parse_go_mod),
        ("gradlelockfile/testdata/", java::parse_gradle_lock),
        ("wheelegg/testdata/", python::parse_metadata),
    ];
    by_dir
        .iter()
        .find(|(d, _)| rel.contains(d))
        .map(|(_, p)| *p)
}

/// An egg (zip): its `EGG-INFO/PKG-INFO`, as the cataloger's capture extracts it.
fn parse_egg(path: &str, data: &[u8]) -> Result<Parsed, LangError> {
    match python::egg_pkg_info(data) {
        Ok(Some(info)) => python::parse_metadata(path, &info),
        Ok(None) => Err(LangError::Format {
            path: path.into(),
            format: "egg",
            message: "no EGG-INFO/PKG-INFO".into(),
        }),
        Err(e) => Err(LangError::Format {
            path: path.into(),
            format: "egg",
            message: e.to_string(),
        }),
    }
}

/// Split a txtar archive (`-- path --` headers) into files.
fn txtar(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- ").and_then(|l| l.strip_suffix(" --")) {
            out.push((name.trim().to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn names(p: &Parsed) -> BTreeSet<(String, String)> {
    p.packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

#[test]
fn every_language_fixture_parses_or_fails_naming_itself() {
    let root = shared();
    if !sekisho_testutil::require_path(&root, "../shared/data beside the repository") {
        return;
    }
    let mut files = Vec::new();
    for suite in ["fixtures-trivy", "fixtures-osv-scalibr", "fixtures-syft"] {
        walk(&root.join(suite), &mut files);
    }
    files.sort();
    let mut parsed_ok = 0usize;
    let mut failed_as_expected = 0usize;
    let mut problems = Vec::new();
    let mut invalid_seen = BTreeSet::new();
    let mut mutated = 0usize;
    let language_dir = |rel: &str| {
        rel.contains("/language/")
            || rel.contains("/dependency/parser/")
            || rel.contains("/fixtures/repo/")
    };
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !language_dir(&rel) || UNSUPPORTED.iter().any(|u| rel.contains(u)) {
            continue;
        }
        let data = std::fs::read(f).unwrap();
        // txtar archives (trivy analyzer tests) hold several files.
        let inputs: Vec<(String, Vec<u8>)> = if rel.ends_with(".txtar") {
            txtar(&String::from_utf8_lossy(&data))
                .into_iter()
                .map(|(n, b)| (format!("{rel}!/{n}"), b.into_bytes()))
                .collect()
        } else {
            vec![(rel.clone(), data)]
        };
        for (path, bytes) in inputs {
            let Some(parse) = parser_for(&path) else {
                continue; // not a package file (README, LICENSE, sources, .whl, .egg zips)
            };
            // Cheap in-CI fuzzing: truncations and byte flips of every fixture must give a
            // result or an error naming the file, never a panic.
            for (i, cut) in [1usize, 7, 64, 333].iter().enumerate() {
                let mut m = bytes.clone();
                if m.len() > *cut {
                    m.truncate(m.len() - cut);
                }
                if !m.is_empty() {
                    let at = (i * 7919) % m.len();
                    m[at] ^= 0x5a;
                }
                if let Err(e) = parse(&path, &m) {
                    assert!(e.to_string().contains(&path), "{e}");
                }
                mutated += 1;
            }
            let invalid = INVALID.iter().find(|(s, _)| path.ends_with(s));
            match (parse(&path, &bytes), invalid) {
                (Ok(_), None) => parsed_ok += 1,
                (Err(e), Some((s, _))) => {
                    assert!(
                        e.to_string().contains(&path),
                        "error for {path} does not name it: {e}"
                    );
                    invalid_seen.insert(*s);
                    failed_as_expected += 1;
                }
                (Ok(p), Some((_, why))) => problems.push(format!(
                    "{path}: expected to fail ({why}) but gave {} packages",
                    p.packages.len()
                )),
                (Err(e), None) => problems.push(format!("{path}: {e}")),
            }
        }
    }
    for (s, why) in INVALID {
        if !invalid_seen.contains(s) {
            problems.push(format!("INVALID entry {s} ({why}) matched no fixture"));
        }
    }
    assert!(
        problems.is_empty(),
        "fixture problems:\n{}",
        problems.join("\n")
    );
    assert!(mutated > 1000, "only {mutated} mutated inputs were tried");
    eprintln!("{parsed_ok} fixtures parsed, {failed_as_expected} invalid ones rejected");
    assert!(parsed_ok > 200, "only {parsed_ok} fixtures parsed");
}

fn parse_file(rel: &str) -> Parsed {
    let path = shared().join(rel);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parse = parser_for(rel).unwrap_or_else(|| panic!("no parser for {rel}"));
    parse(rel, &data).unwrap_or_else(|e| panic!("{e}"))
}

/// (name, version) of the packages in a trivy integration golden.
fn golden(name: &str) -> BTreeSet<(String, String)> {
    let path = shared()
        .join("fixtures-trivy/integration/testdata")
        .join(name);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut out = BTreeSet::new();
    for r in v["Results"].as_array().unwrap() {
        for p in r["Packages"].as_array().into_iter().flatten() {
            out.insert((
                p["Name"].as_str().unwrap().to_string(),
                p["Version"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
        .collect()
}

#[test]
fn trivy_goldens_match() {
    if !sekisho_testutil::require_path(&shared(), "../shared/data beside the repository") {
        return;
    }
    let repo = "fixtures-trivy/integration/testdata/fixtures/repo";
    // Exact matches: same package set as trivy's --list-all-pkgs output.
    let exact: &[(&str, &str)] = &[
        ("pip/requirements.txt", "pip.json.golden"),
        ("npm/package-lock.json", "npm-with-dev.json.golden"),
        ("pnpm/pnpm-lock.yaml", "pnpm.json.golden"),
        ("pipenv/Pipfile.lock", "pipenv.json.golden"),
        ("composer/composer.lock", "composer.lock.json.golden"),
        (
            "composer-vendor/installed.json",
            "composer.vendor.json.golden",
        ),
    ];
    let mut diffs = Vec::new();
    for (file, gold) in exact {
        let ours = names(&parse_file(&format!("{repo}/{file}")));
        let theirs = golden(gold);
        if ours != theirs {
            diffs.push(format!(
                "{file} vs {gold}: only ours {:?}, only trivy {:?}",
                ours.difference(&theirs).collect::<Vec<_>>(),
                theirs.difference(&ours).collect::<Vec<_>>()
            ));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));

    // Cargo: trivy drops crates no non-dev dependency path reaches from Cargo.toml (here the
    // Windows-only winapi family); sekisho reports the whole lockfile.
    let ours = names(&parse_file(&format!("{repo}/cargo/Cargo.lock")));
    let theirs = golden("cargo.lock.json.golden");
    let extra: Vec<_> = ours.difference(&theirs).map(|(n, _)| n.as_str()).collect();
    assert!(theirs.is_subset(&ours), "{theirs:?} ⊄ {ours:?}");
    assert!(extra.iter().all(|n| n.starts_with("winapi")), "{extra:?}");

    // yarn: trivy lists the project itself (from package.json) and drops the dev-only packages
    // package.json names (promise and its dependency asap); sekisho reports the whole lockfile.
    let ours = names(&parse_file(&format!("{repo}/yarn/yarn.lock")));
    let mut theirs = golden("yarn.json.golden");
    theirs.remove(&("integration".to_string(), "1.0.0".to_string()));
    let extra: BTreeSet<_> = ours.difference(&theirs).cloned().collect();
    assert!(theirs.is_subset(&ours), "{theirs:?} ⊄ {ours:?}");
    assert_eq!(extra, set(&[("asap", "2.0.6"), ("promise", "8.0.3")]));

    // poetry: trivy drops dev-group packages using pyproject.toml; sekisho reports every locked
    // package (dev tools in an image are still installed code), so trivy's set is a subset.
    let ours = names(&parse_file(&format!("{repo}/poetry/poetry.lock")));
    let theirs = golden("poetry.json.golden");
    assert!(theirs.is_subset(&ours), "{theirs:?} ⊄ {ours:?}");

    // go.mod: the golden lists vulnerable modules only; each must be found with its version.
    let ours = names(&parse_file(&format!("{repo}/gomod/go.mod")));
    for want in set(&[
        ("github.com/docker/distribution", "v2.7.1+incompatible"),
        ("github.com/open-policy-agent/opa", "v0.35.0"),
        ("golang.org/x/text", "v0.3.6"),
    ]) {
        assert!(ours.contains(&want), "{want:?} missing from go.mod");
    }
}

/// Spot checks of tricky fixtures, with the package sets their upstream tests expect.
#[test]
fn tricky_fixtures() {
    if !sekisho_testutil::require_path(&shared(), "../shared/data beside the repository") {
        return;
    }
    let s = "fixtures-osv-scalibr/extractor/filesystem/language";
    // npm aliases resolve to the real package.
    for v in ["v1", "v2"] {
        let got = names(&parse_file(&format!(
            "{s}/javascript/packagelockjson/testdata/alias.{v}.json"
        )));
        assert_eq!(
            got,
            set(&[
                ("@babel/code-frame", "7.0.0"),
                ("string-width", "4.2.0"),
                ("string-width", "5.1.2"),
            ]),
            "alias.{v}"
        );
    }
    // go.mod replacements (versioned one applied; local ones dropped with a note).
    let p = parse_file(&format!("{s}/golang/gomod/testdata/replace-mixed.mod"));
    assert_eq!(
        names(&p),
        set(&[
            ("example.com/fork/net", "v1.4.5"),
            ("golang.org/x/net", "v0.5.6")
        ])
    );
    let p = parse_file(&format!("{s}/golang/gomod/testdata/replace-local.mod"));
    assert!(!p.notes.is_empty(), "local replace must leave a note");
    // requirements: unpinned lines are noted, not dropped silently.
    let p = parse_file(
        "fixtures-trivy/pkg/dependency/parser/python/pip/testdata/requirements_operator.txt",
    );
    assert_eq!(
        names(&p),
        set(&[("Django", "2.3.4"), ("SomeProject", "5.4")])
    );
    assert!(p.notes[0].contains("keyring"), "{:?}", p.notes);
    // UTF-16 requirements.
    let p = parse_file(
        "fixtures-trivy/pkg/dependency/parser/python/pip/testdata/requirements_utf16le.txt",
    );
    assert_eq!(names(&p), set(&[("attrs", "20.3.0")]));
    // gradle lockfile with junk lines: good lines kept, junk noted.
    let p = parse_file(&format!("{s}/java/gradlelockfile/testdata/with-bad-pkg"));
    assert_eq!(p.packages.len(), 2);
    assert_eq!(p.notes.len(), 1);
    // pnpm v9 with peer suffixes and several documents.
    let p = parse_file(
        "fixtures-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9_multiple_documents.yaml",
    );
    assert!(
        names(&p).contains(&("pnpm".to_string(), "11.9.0".to_string())),
        "{:?}",
        names(&p)
    );
    // yarn berry.
    let p =
        parse_file("fixtures-trivy/pkg/dependency/parser/nodejs/yarn/testdata/yarn_v2_happy.lock");
    assert!(names(&p).contains(&("@types/color-name".to_string(), "1.1.1".to_string())));
    // gemspec licenses.
    let p = parse_file(
        "fixtures-trivy/pkg/dependency/parser/ruby/gemspec/testdata/multiple_licenses.gemspec",
    );
    assert_eq!(p.packages[0].licenses, vec!["Ruby", "BSDL", "PSFL"]);
    // dist-info METADATA with a License-Expression / classifiers.
    let p = parse_file(
        "fixtures-trivy/pkg/fanal/analyzer/language/python/packaging/testdata/classifier-license-dist/setuptools-51.3.3.dist-info/METADATA",
    );
    assert_eq!(names(&p), set(&[("setuptools", "51.3.3")]));
    assert_eq!(p.packages[0].licenses, vec!["MIT License"]);
    let _ = BTreeMap::<(), ()>::new();
}
