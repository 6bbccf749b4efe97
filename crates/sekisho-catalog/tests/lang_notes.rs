//! Through the driver: every language cataloger's captures are registered, packages carry the
//! right ecosystem and layer, and files that are not understood become notes naming the file
//! (never silently fewer packages).

use sekisho_artifact::{Capture, EntryMeta, LayerInfo, LayerSource, Note, Visitor, WalkError};
use sekisho_catalog::{Catalog, Context, all_captures, catalog_inventory, default_catalogers};

struct Mem {
    info: LayerInfo,
    entries: Vec<(EntryMeta, Vec<u8>)>,
}

impl LayerSource for Mem {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn walk(&mut self, visit: &mut Visitor<'_>, _notes: &mut Vec<Note>) -> Result<(), WalkError> {
        for (m, d) in &self.entries {
            let mut r: &[u8] = d;
            visit(m, &mut r).map_err(|e| WalkError::Io {
                layer: self.info.index.to_string(),
                path: m.path.clone(),
                source: e,
            })?;
        }
        Ok(())
    }
}

fn layer(index: usize, files: &[(&str, &str)]) -> Box<dyn LayerSource> {
    Box::new(Mem {
        info: LayerInfo {
            index,
            ..LayerInfo::default()
        },
        entries: files
            .iter()
            .map(|(p, d)| (EntryMeta::file(*p, d.len() as u64), d.as_bytes().to_vec()))
            .collect(),
    })
}

fn scan(layers: Vec<Box<dyn LayerSource>>) -> Catalog {
    let cats = default_catalogers();
    let caps = all_captures(&cats);
    let ids: std::collections::BTreeSet<&str> = caps.iter().map(|c| c.id()).collect();
    assert_eq!(ids.len(), caps.len(), "capture ids must be unique");
    let refs: Vec<&dyn Capture> = caps.iter().map(AsRef::as_ref).collect();
    let inv = sekisho_artifact::collect(layers, &refs, 2).unwrap();
    catalog_inventory(&inv, &cats, &Context::default())
}

#[test]
fn packages_and_notes_through_the_driver() {
    let cat = scan(vec![
        layer(
            0,
            &[
                (
                    "app/Gemfile.lock",
                    "GEM\n  remote: https://rubygems.invalid/\n  specs:\n    rack (2.2.3)\n      x (>= 1)\n    nokogiri (1.13.6-x86_64-linux)\n\nPLATFORMS\n  ruby\n",
                ),
                (
                    "app/composer.lock",
                    r#"{"packages":[{"name":"guzzlehttp/psr7","version":"1.8.3","license":["MIT"]}]}"#,
                ),
                (
                    "app/bin/App.deps.json",
                    r#"{"libraries":{"App/1.0.0":{"type":"project"},"Newtonsoft.Json/13.0.1":{"type":"package"}}}"#,
                ),
                (
                    "app/gradle.lockfile",
                    "org.yaml:snakeyaml:1.33=runtimeClasspath\nempty=\n",
                ),
                (
                    "app/go.mod",
                    "module x\n\ngo 1.21\n\nrequire golang.org/x/net v0.17.0\n",
                ),
                (
                    "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
                    "Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\nend\n",
                ),
            ],
        ),
        layer(
            1,
            &[
                (
                    "app/package-lock.json",
                    "{\"lockfileVersion\": 3, \"packages\": {",
                ),
                ("app/uv.lock", "version = 7\n"),
                ("app/requirements.txt", "flask==2.0.0\nrequests>=2\n"),
                ("app/vendor/composer/installed.json", "[]"),
            ],
        ),
    ]);
    let got: Vec<(String, String, String, usize)> = cat
        .packages
        .iter()
        .map(|p| {
            (
                p.ecosystem.clone().unwrap_or_default(),
                p.name.clone(),
                p.version.clone(),
                p.layer.unwrap(),
            )
        })
        .collect();
    for want in [
        ("RubyGems", "rack", "2.2.3", 0),
        ("RubyGems", "nokogiri", "1.13.6", 0),
        ("RubyGems", "rake", "13.0.6", 0),
        ("Packagist", "guzzlehttp/psr7", "1.8.3", 0),
        ("NuGet", "Newtonsoft.Json", "13.0.1", 0),
        ("Maven", "org.yaml:snakeyaml", "1.33", 0),
        ("Go", "golang.org/x/net", "v0.17.0", 0),
        ("PyPI", "flask", "2.0.0", 1),
    ] {
        let w = (want.0.into(), want.1.into(), want.2.into(), want.3);
        assert!(got.contains(&w), "{w:?} missing from {got:?}");
    }
    assert_eq!(got.len(), 8, "{got:?}");
    let note = |path: &str, text: &str| {
        assert!(
            cat.notes
                .iter()
                .any(|n| n.subject == path && n.message.contains(text) && n.layer == Some(1)),
            "no note on {path} containing {text:?}: {:#?}",
            cat.notes
        );
    };
    note("app/package-lock.json", "not a valid package-lock.json");
    note("app/uv.lock", "unsupported uv.lock: lockfile version 7");
    note("app/requirements.txt", "requests>=2");
}
