//! Which container runtime binary is installed, and at which version.
//!
//! The version is taken, in this order, from:
//!
//! 1. **the owning package** (dpkg or rpm): distributions patch runtimes without changing the
//!    upstream version, and Debian's runc carries no module version in its Go build info at all,
//!    so the package is the only honest source there;
//! 2. **Go build info**: the main module's version (`mod github.com/opencontainers/runc v1.1.12`),
//!    else a `-X ….version=…` linker flag recorded in the build settings;
//! 3. **the version string** the binary prints (`runc version 1.1.12`).
//!
//! This module only interprets what the caller read; finding binaries and reading package
//! databases is the auditor's job (`sekisho-audit`).

use serde::Serialize;

/// The runtimes sekisho recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeKind {
    Runc,
    Crun,
    Youki,
    /// gVisor.
    Runsc,
    Kata,
    Containerd,
    ContainerdShim,
    Docker,
    Buildkit,
}

impl RuntimeKind {
    /// From a binary's file name.
    pub fn from_binary(name: &str) -> Option<Self> {
        Some(match name {
            "runc" | "docker-runc" => Self::Runc,
            "crun" => Self::Crun,
            "youki" => Self::Youki,
            "runsc" => Self::Runsc,
            "kata-runtime" | "containerd-shim-kata-v2" => Self::Kata,
            "containerd" => Self::Containerd,
            "containerd-shim" | "containerd-shim-runc-v1" | "containerd-shim-runc-v2" => {
                Self::ContainerdShim
            }
            "dockerd" => Self::Docker,
            "buildkitd" => Self::Buildkit,
            _ => return None,
        })
    }

    /// The binary names searched for.
    pub const BINARIES: &'static [&'static str] = &[
        "runc",
        "crun",
        "youki",
        "runsc",
        "kata-runtime",
        "containerd-shim-kata-v2",
        "containerd",
        "containerd-shim",
        "containerd-shim-runc-v1",
        "containerd-shim-runc-v2",
        "dockerd",
        "buildkitd",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Runc => "runc",
            Self::Crun => "crun",
            Self::Youki => "youki",
            Self::Runsc => "runsc",
            Self::Kata => "kata",
            Self::Containerd => "containerd",
            Self::ContainerdShim => "containerd-shim",
            Self::Docker => "docker",
            Self::Buildkit => "buildkit",
        }
    }

    /// The `runtime` key of the escapes that apply (the shim ships with containerd).
    pub fn escape_key(self) -> &'static str {
        match self {
            Self::ContainerdShim => "containerd",
            k => k.as_str(),
        }
    }

    /// The Go module whose version the build info carries.
    pub fn module(self) -> Option<&'static str> {
        match self {
            Self::Runc => Some("github.com/opencontainers/runc"),
            Self::Containerd | Self::ContainerdShim => Some("github.com/containerd/containerd"),
            Self::Docker => Some("github.com/docker/docker"),
            Self::Buildkit => Some("github.com/moby/buildkit"),
            Self::Runsc => Some("gvisor.dev/gvisor"),
            Self::Kata => Some("github.com/kata-containers/kata-containers/src/runtime"),
            Self::Crun | Self::Youki => None,
        }
    }
}

/// The package that owns a binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageInfo {
    /// `dpkg` or `rpm`.
    pub manager: String,
    pub name: String,
    /// As the manager writes it (rpm with its epoch `1:1.1.12-1.el9`).
    pub version: String,
    /// `debian`, `ubuntu`, `rhel` (from os-release), when known.
    pub distro: Option<String>,
    /// Debian codename, Ubuntu series, RHEL major.
    pub distro_release: Option<String>,
}

/// Where the version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionSource {
    Package,
    GoBuildinfo,
    VersionString,
    None,
}

/// One runtime binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeIdentity {
    pub kind: RuntimeKind,
    pub path: String,
    /// The upstream version (`1.1.5`), whatever the source.
    pub version: Option<String>,
    pub version_source: VersionSource,
    pub package: Option<PackageInfo>,
    pub evidence: Vec<String>,
}

/// The upstream part of a distribution package version: `1.1.5+ds1-1+deb12u1` → `1.1.5`,
/// `1.0.0~rc94+ds1-2` → `1.0.0-rc94`, `4:1.1.12-1.el9_3` → `1.1.12`,
/// `1.1.7-0ubuntu1~22.04.2` → `1.1.7`.
pub fn upstream_of_package(version: &str) -> Option<String> {
    let v = version.split_once(':').map_or(version, |(_, r)| r);
    let v = v.rsplit_once('-').map_or(v, |(u, _)| u);
    let v = v.split('+').next().unwrap_or(v);
    let v = v.replace('~', "-");
    let v = v.trim_end_matches("-dfsg").trim_end_matches("-ds");
    (v.starts_with(|c: char| c.is_ascii_digit()) && v.len() < 128).then(|| v.to_string())
}

/// The version in Go build info text (`go version -m` lines: `mod`, `dep`, `build`).
pub fn version_from_buildinfo(kind: RuntimeKind, modinfo: &str) -> Option<(String, String)> {
    for line in modinfo.lines().take(10_000) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.first() == Some(&"mod") && f.len() >= 3 {
            let ver = f[2];
            if ver != "(devel)"
                && !ver.is_empty()
                && kind.module().is_none_or(|m| f[1].starts_with(m))
            {
                return Some((
                    ver.trim_start_matches('v').to_string(),
                    format!("main module {} {ver}", f[1]),
                ));
            }
        }
    }
    for line in modinfo.lines().take(10_000) {
        let Some(flags) = line.strip_prefix("build\t-ldflags=") else {
            continue;
        };
        let flags = flags.trim_matches('"');
        let mut words = flags.split_whitespace();
        while let Some(w) = words.next() {
            let def = if w == "-X" {
                words.next()
            } else {
                w.strip_prefix("-X=")
            };
            let Some((sym, val)) = def.and_then(|d| d.split_once('=')) else {
                continue;
            };
            let leaf = sym.rsplit('.').next().unwrap_or(sym);
            let val = val.trim_matches(|c| c == '\'' || c == '"');
            if leaf.eq_ignore_ascii_case("version")
                && val.starts_with(|c: char| c.is_ascii_digit() || c == 'v')
            {
                return Some((
                    val.trim_start_matches('v').to_string(),
                    format!("linker flag -X {sym}={val}"),
                ));
            }
        }
    }
    None
}

/// The version in what `<binary> --version` prints: the first word after `version` (or the
/// first version-like word) in the first lines.
pub fn version_from_string(text: &str) -> Option<String> {
    let text: String = text.chars().take(4096).collect();
    let looks = |w: &str| {
        let w = w.trim_start_matches('v');
        w.starts_with(|c: char| c.is_ascii_digit()) && w.contains('.')
    };
    for line in text.lines().take(5) {
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
            .filter(|w| !w.is_empty())
            .collect();
        if let Some(i) = words.iter().position(|w| w.eq_ignore_ascii_case("version")) {
            if let Some(w) = words.get(i + 1) {
                return Some(w.trim_start_matches('v').to_string());
            }
        }
        if let Some(w) = words.iter().find(|w| looks(w)) {
            return Some(w.trim_start_matches('v').to_string());
        }
    }
    None
}

/// Identify a runtime from what was read, in the documented order.
pub fn identify(
    kind: RuntimeKind,
    path: &str,
    package: Option<PackageInfo>,
    buildinfo: Option<&str>,
    version_output: Option<&str>,
) -> RuntimeIdentity {
    let mut evidence = Vec::new();
    let mut version = None;
    let mut source = VersionSource::None;
    if let Some(p) = &package {
        evidence.push(format!(
            "{path} belongs to {} package {} {}",
            p.manager, p.name, p.version
        ));
        if let Some(v) = upstream_of_package(&p.version) {
            version = Some(v);
            source = VersionSource::Package;
        }
    }
    if let Some(bi) = buildinfo {
        match version_from_buildinfo(kind, bi) {
            Some((v, how)) => {
                evidence.push(format!("Go build info: {how}"));
                if version.is_none() {
                    version = Some(v);
                    source = VersionSource::GoBuildinfo;
                }
            }
            None => evidence.push(
                "Go build info names no release version (main module (devel), no -X version flag)"
                    .into(),
            ),
        }
    }
    if let Some(out) = version_output {
        if let Some(v) = version_from_string(out) {
            evidence.push(format!("version string: {v}"));
            if version.is_none() {
                version = Some(v);
                source = VersionSource::VersionString;
            }
        }
    }
    if version.is_none() {
        evidence.push("no version found".into());
    }
    RuntimeIdentity {
        kind,
        path: path.to_string(),
        version,
        version_source: source,
        package,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_versions() {
        for (pkg, up) in [
            ("1.1.5+ds1-1+deb12u1", "1.1.5"),
            ("1.0.0~rc94+ds1-2", "1.0.0-rc94"),
            ("1.0.0~rc6+dfsg1-3+deb10u2", "1.0.0-rc6"),
            ("4:1.1.12-1.el9_3", "1.1.12"),
            ("1:1.1.12-1.module_el8.9.0+3722+7fd8ab2b", "1.1.12"),
            ("1.1.7-0ubuntu1~22.04.2", "1.1.7"),
            ("18.09.1+dfsg1-7.1+deb10u3", "18.09.1"),
        ] {
            assert_eq!(upstream_of_package(pkg).as_deref(), Some(up), "{pkg}");
        }
        assert_eq!(upstream_of_package("garbage"), None);
    }

    #[test]
    fn buildinfo_and_strings() {
        let bi = "path\tgithub.com/opencontainers/runc\nmod\tgithub.com/opencontainers/runc\tv1.1.12\th1:abc\ndep\tgithub.com/x/y\tv0.1.0\n";
        assert_eq!(
            version_from_buildinfo(RuntimeKind::Runc, bi).unwrap().0,
            "1.1.12"
        );
        let devel = "path\tgithub.com/opencontainers/runc\nmod\tgithub.com/opencontainers/runc\t(devel)\t\nbuild\t-ldflags=\"-X main.gitCommit=abc -X main.version=1.1.5+ds1\"\n";
        let (v, how) = version_from_buildinfo(RuntimeKind::Runc, devel).unwrap();
        assert_eq!(v, "1.1.5+ds1");
        assert!(how.contains("main.version"));
        assert_eq!(
            version_from_buildinfo(RuntimeKind::Runc, "path\tx\nmod\tx\t(devel)\t\n"),
            None
        );
        assert_eq!(
            version_from_string(
                "runc version 1.1.12\ncommit: v1.1.12-0-g51d5e94\nspec: 1.0.2-dev\n"
            )
            .as_deref(),
            Some("1.1.12")
        );
        assert_eq!(
            version_from_string("crun version 1.8.1\ncommit: abc").as_deref(),
            Some("1.8.1")
        );
        assert_eq!(
            version_from_string("containerd github.com/containerd/containerd v1.6.20 2806fc1")
                .as_deref(),
            Some("1.6.20")
        );
        assert_eq!(
            version_from_string("Docker version 24.0.5, build ced0996").as_deref(),
            Some("24.0.5")
        );
        assert_eq!(version_from_string("no numbers here"), None);
    }

    #[test]
    fn order_of_sources() {
        let pkg = PackageInfo {
            manager: "dpkg".into(),
            name: "runc".into(),
            version: "1.1.5+ds1-1+deb12u1".into(),
            distro: Some("debian".into()),
            distro_release: Some("bookworm".into()),
        };
        let r = identify(
            RuntimeKind::Runc,
            "/usr/sbin/runc",
            Some(pkg),
            Some("mod\tgithub.com/opencontainers/runc\t(devel)\t\n"),
            Some("runc version 1.1.5+ds1"),
        );
        assert_eq!(
            (r.version.as_deref(), r.version_source),
            (Some("1.1.5"), VersionSource::Package)
        );
        let r = identify(
            RuntimeKind::Runc,
            "/usr/local/bin/runc",
            None,
            Some("mod\tgithub.com/opencontainers/runc\tv1.1.12\t\n"),
            None,
        );
        assert_eq!(r.version_source, VersionSource::GoBuildinfo);
        let r = identify(
            RuntimeKind::Crun,
            "/usr/bin/crun",
            None,
            None,
            Some("crun version 1.8.1"),
        );
        assert_eq!(r.version_source, VersionSource::VersionString);
        let r = identify(RuntimeKind::Crun, "/usr/bin/crun", None, None, None);
        assert_eq!((r.version, r.version_source), (None, VersionSource::None));
    }
}
