//! Which kernel is running: the distribution's package version, not just `uname -r`.
//!
//! Sources, each parsed as its maker writes it:
//!
//! * `uname -r` (`/proc/sys/kernel/osrelease`): Debian `5.10.0-11-amd64` (the ABI name, not the
//!   package version), Ubuntu `5.13.0-35-generic` (version and ABI), RHEL
//!   `4.18.0-348.7.1.el8_5.x86_64` (the rpm version-release plus the arch), Fedora
//!   `6.5.6-300.fc39.x86_64`, Amazon Linux `5.10.162-141.675.amzn2.x86_64`, a vanilla build
//!   `5.16.10`, a custom build with a local version `6.18.44-fc-v1045`.
//! * `/proc/version` (`linux_banner` in `init/version.c`): Debian appends the package version to
//!   the build string (`#1 SMP Debian 5.10.92-1 (2022-01-18)`); Ubuntu's build tag holds the
//!   upload number (`#40-Ubuntu SMP`, `#40~20.04.1-Ubuntu SMP` for a backport).
//! * `/proc/version_signature` (Ubuntu only): `Ubuntu 5.13.0-35.40-generic 5.13.19`, the package
//!   version with the flavour, then the upstream stable version it is based on.
//! * `/sys/kernel/livepatch/<patch>/enabled`: the live patches loaded
//!   (`Documentation/ABI/testing/sysfs-kernel-livepatch`).

use serde::Serialize;

use crate::kver::KVer;

/// Largest text accepted from any of the sources (a banner is ~200 bytes).
pub const MAX_FIELD: usize = 4096;
/// Most live patches listed.
pub const MAX_LIVEPATCHES: usize = 256;

/// The distribution whose tables can judge this kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Distro {
    Debian,
    Ubuntu,
    /// RHEL and its rebuilds (AlmaLinux, Rocky, CentOS): the `elN` release tag.
    Rhel,
    Fedora,
    Amazon,
    /// No distribution marker: a vanilla `X.Y.Z` release.
    Vanilla,
    /// A build with a local version no distribution uses.
    Custom,
}

impl Distro {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debian => "debian",
            Self::Ubuntu => "ubuntu",
            Self::Rhel => "rhel",
            Self::Fedora => "fedora",
            Self::Amazon => "amazon",
            Self::Vanilla => "vanilla",
            Self::Custom => "custom",
        }
    }
}

/// One loaded live patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Livepatch {
    pub name: String,
    /// The `enabled` file: `Some(true)` for `1`; `None` when unreadable.
    pub enabled: Option<bool>,
}

/// The kernel as far as the sources tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelIdentity {
    /// `uname -r` as given.
    pub release: String,
    pub distro: Distro,
    /// Debian suite, Ubuntu series, RHEL major (`bullseye`, `focal`, `8`).
    pub distro_release: Option<String>,
    /// The source package the distribution tables name (`linux`, `linux-hwe-5.13`, `linux-aws`,
    /// `kernel`, `kernel-rt`).
    pub package: Option<String>,
    /// The distribution package version (`5.10.92-1`, `5.13.0-35.40`,
    /// `4.18.0-348.7.1.el8_5`), when known.
    pub package_version: Option<String>,
    /// Ubuntu: the ABI number (`35` in `5.13.0-35-generic`).
    pub abi: Option<u32>,
    /// The kernel flavour (`amd64`, `generic`, `aws`).
    pub flavour: Option<String>,
    /// The upstream version the kernel is built from.
    pub upstream: Option<String>,
    /// Whether `upstream` is the real stable release (`5.10.92`), not just the series the
    /// distribution names its ABI after (`5.10.0`) or a frozen base (`4.18.0` on RHEL).
    pub upstream_exact: bool,
    pub livepatches: Vec<Livepatch>,
    /// How each field was found.
    pub evidence: Vec<String>,
}

fn cap(s: &str) -> &str {
    let mut end = s.len().min(MAX_FIELD);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Ubuntu release numbers (`20.04` in a backport suffix `~20.04.1`) to series.
const UBUNTU_SERIES: &[(&str, &str)] = &[
    ("12.04", "precise"),
    ("14.04", "trusty"),
    ("16.04", "xenial"),
    ("18.04", "bionic"),
    ("20.04", "focal"),
    ("20.10", "groovy"),
    ("21.04", "hirsute"),
    ("21.10", "impish"),
    ("22.04", "jammy"),
    ("22.10", "kinetic"),
    ("23.04", "lunar"),
    ("23.10", "mantic"),
    ("24.04", "noble"),
    ("24.10", "oracular"),
    ("25.04", "plucky"),
    ("25.10", "questing"),
];

/// The kernel series each Ubuntu release ships as its own `linux` (not a backport).
const UBUNTU_NATIVE: &[(&str, &str)] = &[
    ("3.2", "precise"),
    ("3.13", "trusty"),
    ("4.4", "xenial"),
    ("4.15", "bionic"),
    ("5.4", "focal"),
    ("5.8", "groovy"),
    ("5.11", "hirsute"),
    ("5.13", "impish"),
    ("5.15", "jammy"),
    ("5.19", "kinetic"),
    ("6.2", "lunar"),
    ("6.5", "mantic"),
    ("6.8", "noble"),
    ("6.11", "oracular"),
    ("6.14", "plucky"),
    ("6.17", "questing"),
];

/// The kernel series each Debian suite ships (its ABI names are `X.Y.0-N-flavour`).
const DEBIAN_NATIVE: &[(&str, &str)] = &[
    ("3.2", "wheezy"),
    ("3.16", "jessie"),
    ("4.9", "stretch"),
    ("4.19", "buster"),
    ("5.10", "bullseye"),
    ("6.1", "bookworm"),
    ("6.12", "trixie"),
];

const DEBIAN_FLAVOURS: &[&str] = &[
    "amd64",
    "arm64",
    "686",
    "686-pae",
    "armmp",
    "armmp-lpae",
    "ppc64el",
    "s390x",
    "marvell",
    "rpi",
    "loong64",
    "riscv64",
    "mips64r2el",
    "4kc-malta",
    "octeon",
];

fn debian_suite_of(series: &str) -> Option<&'static str> {
    DEBIAN_NATIVE
        .iter()
        .find(|(k, _)| *k == series)
        .map(|(_, s)| *s)
}

/// The Debian suite a package version says it was built for (`+deb11u3`, `~deb11u1`), or a
/// backport (`~bpo11+1`, returned as `bullseye-backports`).
pub fn debian_suite_from_version(v: &str) -> Option<String> {
    let num_after = |tag: &str| -> Option<String> {
        let i = v.find(tag)? + tag.len();
        let n: String = v[i..].chars().take_while(char::is_ascii_digit).collect();
        (!n.is_empty()).then_some(n)
    };
    let suite = |n: &str| {
        crate::data::DEBIAN_SUITES
            .iter()
            .find(|(_, num)| *num == n)
            .map(|(s, _)| (*s).to_string())
    };
    if let Some(n) = num_after("~bpo") {
        return suite(&n).map(|s| format!("{s}-backports"));
    }
    if let Some(n) = num_after("deb").filter(|_| v.contains("+deb") || v.contains("~deb")) {
        return suite(&n);
    }
    None
}

/// Debian's package version from `/proc/version`: the token after the last `Debian` in the
/// build string (`#1 SMP Debian 5.10.92-1 (2022-01-18)`); the compiler's `(Debian 10.2.1-6)`
/// earlier in the banner is not it.
pub fn debian_version_from_banner(banner: &str) -> Option<String> {
    let hash = banner.rfind(" #")?;
    let build = &banner[hash..];
    let words: Vec<&str> = build.split_whitespace().collect();
    let i = words.iter().rposition(|w| *w == "Debian")?;
    let v = words.get(i + 1)?;
    (v.starts_with(|c: char| c.is_ascii_digit())
        && v.len() < 128
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+-~:".contains(c)))
    .then(|| (*v).to_string())
}

/// The Ubuntu upload from `/proc/version`'s build tag: `#40-Ubuntu` → `40`,
/// `#40~20.04.1-Ubuntu` → `40~20.04.1`.
pub fn ubuntu_upload_from_banner(banner: &str) -> Option<String> {
    let hash = banner.rfind(" #")?;
    let tag = banner[hash + 2..].split_whitespace().next()?;
    let up = tag.strip_suffix("-Ubuntu")?;
    (up.starts_with(|c: char| c.is_ascii_digit())
        && up.len() < 64
        && up
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".~+".contains(c)))
    .then(|| up.to_string())
}

/// `/proc/version_signature`: `Ubuntu 5.13.0-35.40-generic 5.13.19` → (package version,
/// flavour, upstream).
pub fn parse_version_signature(sig: &str) -> Option<(String, String, String)> {
    let mut w = cap(sig).split_whitespace();
    if w.next()? != "Ubuntu" {
        return None;
    }
    let pkg_fl = w.next()?;
    let upstream = w.next()?;
    KVer::parse(upstream)?;
    // The flavour follows the last '-' whose right side starts with a letter.
    let (pkg, fl) = split_flavour(pkg_fl)?;
    Some((pkg.to_string(), fl.to_string(), upstream.to_string()))
}

/// `5.13.0-35.40-generic` → (`5.13.0-35.40`, `generic`); `5.15.0-1019-aws` → (`5.15.0-1019`,
/// `aws`); flavours may contain dashes (`generic-lpae`, `azure-fde`).
fn split_flavour(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut dashes = 0;
    for (i, c) in b.iter().enumerate() {
        if *c == b'-' {
            dashes += 1;
            if dashes >= 2 && b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
                return Some((&s[..i], &s[i + 1..]));
            }
        }
    }
    None
}

fn ubuntu_series_of_release(rel: &str) -> Option<&'static str> {
    UBUNTU_SERIES
        .iter()
        .find(|(r, _)| *r == rel)
        .map(|(_, s)| *s)
}

/// The Ubuntu source package for a flavour and kernel series (`generic` on a `~20.04` backport
/// of 5.13 → `linux-hwe-5.13`). Candidates, most specific first.
pub fn ubuntu_packages(flavour: &str, series: &str, backport: bool) -> Vec<String> {
    let base = match flavour {
        "generic" | "generic-lpae" | "generic-64k" | "virtual" => "",
        f if f.starts_with("lowlatency") => "lowlatency",
        f => {
            let f = f.split('-').next().unwrap_or(f);
            match f {
                "aws" | "azure" | "gcp" | "gke" | "kvm" | "oracle" | "ibm" | "oem" | "raspi"
                | "nvidia" | "intel" | "gkeop" | "fips" => f,
                _ => "",
            }
        }
    };
    let mut out = Vec::new();
    match (base, backport) {
        ("", true) => {
            out.push(format!("linux-hwe-{series}"));
            out.push("linux-hwe".to_string());
        }
        ("", false) => out.push("linux".to_string()),
        (b, true) => {
            out.push(format!("linux-{b}-{series}"));
            if b == "lowlatency" {
                out.push(format!("linux-lowlatency-hwe-{series}"));
            }
            out.push(format!("linux-{b}-hwe"));
            out.push(format!("linux-{b}"));
        }
        (b, false) => out.push(format!("linux-{b}")),
    }
    out
}

fn arch_suffix(s: &str) -> &str {
    for a in [
        ".x86_64", ".aarch64", ".ppc64le", ".s390x", ".i686", ".armv7hl", "+debug", "+rt",
    ] {
        if let Some(x) = s.strip_suffix(a) {
            return x;
        }
    }
    s
}

/// The `elN` major of a RHEL-family release tag (`.el8_5`, `.el9`), or `.el8` in a kernel-rt
/// release.
fn el_major(s: &str) -> Option<u32> {
    let i = s.rfind(".el")?;
    let n: String = s[i + 3..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    n.parse().ok().filter(|m| (5..=20).contains(m))
}

impl KernelIdentity {
    /// Identify a kernel from `uname -r` and, when available, `/proc/version` and Ubuntu's
    /// `/proc/version_signature`. Never fails: an unrecognised string becomes a custom build
    /// with whatever upstream version leads it (or none).
    pub fn parse(
        release: &str,
        proc_version: Option<&str>,
        version_signature: Option<&str>,
    ) -> Self {
        let release = cap(release.trim());
        let banner = proc_version.map(|b| cap(b.trim()));
        let sig = version_signature.map(|s| cap(s.trim()));
        let mut id = KernelIdentity {
            release: release.to_string(),
            distro: Distro::Custom,
            distro_release: None,
            package: None,
            package_version: None,
            abi: None,
            flavour: None,
            upstream: None,
            upstream_exact: false,
            livepatches: Vec::new(),
            evidence: Vec::new(),
        };
        let lead = KVer::parse_prefix(release);
        // Ubuntu, from the signature first.
        if let Some((pv, fl, up)) = sig.and_then(parse_version_signature) {
            id.evidence
                .push(format!("/proc/version_signature: {}", sig.unwrap_or("")));
            id.set_ubuntu(&pv, &fl);
            id.upstream = Some(up);
            id.upstream_exact = true;
            return id;
        }
        let upload = banner.and_then(ubuntu_upload_from_banner);
        let ubuntu_shape = lead.as_ref().and_then(|(_, rest)| {
            let rest = rest.strip_prefix('-')?;
            let (abi, fl) = rest.split_once('-')?;
            let abi: u32 = abi.parse().ok()?;
            (!fl.is_empty()
                && fl.starts_with(|c: char| c.is_ascii_alphabetic())
                && !DEBIAN_FLAVOURS.contains(&fl)
                && !fl.starts_with("cloud-")
                && !fl.starts_with("rt-"))
            .then(|| (abi, fl.to_string()))
        });
        if let (Some((abi, fl)), Some((base, _))) = (&ubuntu_shape, &lead) {
            if upload.is_some() || banner.is_none_or(|b| b.contains("Ubuntu")) {
                let base3 = format!("{}.0", base.branch());
                let pv = match &upload {
                    Some(u) => format!("{base3}-{abi}.{u}"),
                    None => format!("{base3}-{abi}"),
                };
                id.evidence.push(format!(
                    "uname -r {release}: Ubuntu ABI {abi}, flavour {fl}{}",
                    upload
                        .as_ref()
                        .map(|u| format!("; /proc/version build #{u}-Ubuntu"))
                        .unwrap_or_default()
                ));
                id.set_ubuntu(&pv, fl);
                id.abi = Some(*abi);
                if upload.is_none() {
                    // Only the ABI is known: the upload number decides within it.
                    id.package_version = None;
                }
                id.upstream = Some(base.to_string());
                id.upstream_exact = false;
                return id;
            }
        }
        // Debian.
        if let Some(dv) = banner.and_then(debian_version_from_banner) {
            id.distro = Distro::Debian;
            id.package = Some("linux".into());
            id.evidence.push(format!("/proc/version: Debian {dv}"));
            let suite = debian_suite_from_version(&dv).or_else(|| {
                lead.as_ref()
                    .and_then(|(v, _)| debian_suite_of(&v.branch().to_string()))
                    .map(str::to_string)
            });
            id.distro_release = suite;
            if let Some((up, _)) = KVer::parse_prefix(dv.split(':').next_back().unwrap_or(&dv)) {
                id.upstream = Some(up.to_string());
                id.upstream_exact = true;
            }
            id.package_version = Some(dv);
            id.flavour = lead
                .as_ref()
                .and_then(|(_, rest)| rest.strip_prefix('-'))
                .and_then(|r| r.split_once('-'))
                .map(|(_, f)| f.to_string());
            return id;
        }
        if let Some((base, rest)) = &lead {
            // Debian ABI name without the package version.
            if let Some((abi, fl)) = rest.strip_prefix('-').and_then(|r| r.split_once('-')) {
                let fl_ok = DEBIAN_FLAVOURS.contains(&fl)
                    || fl.starts_with("cloud-")
                    || fl.starts_with("rt-");
                if abi.parse::<u32>().is_ok() && fl_ok && base.branch() == *base {
                    id.distro = Distro::Debian;
                    id.package = Some("linux".into());
                    id.distro_release =
                        debian_suite_of(&base.branch().to_string()).map(str::to_string);
                    id.flavour = Some(fl.to_string());
                    id.upstream = Some(base.to_string());
                    id.evidence.push(format!(
                        "uname -r {release}: a Debian ABI name (series {}, ABI {abi}); the package version is only in /proc/version",
                        base.branch()
                    ));
                    return id;
                }
            }
            let nvr = arch_suffix(release);
            if let Some(major) = el_major(nvr) {
                id.distro = Distro::Rhel;
                id.distro_release = Some(major.to_string());
                id.package = Some(
                    if nvr.contains(".rt") {
                        "kernel-rt"
                    } else {
                        "kernel"
                    }
                    .into(),
                );
                id.package_version = Some(nvr.to_string());
                id.upstream = Some(base.to_string());
                id.evidence.push(format!(
                    "uname -r {release}: RHEL-family el{major} kernel {nvr} (RHEL, AlmaLinux, Rocky, CentOS)"
                ));
                return id;
            }
            for (tag, d, what) in [
                (".fc", Distro::Fedora, "Fedora"),
                (".amzn", Distro::Amazon, "Amazon Linux"),
            ] {
                if let Some(i) = nvr.find(tag) {
                    if nvr[i + tag.len()..].starts_with(|c: char| c.is_ascii_digit()) {
                        id.distro = d;
                        id.distro_release = Some(
                            nvr[i + tag.len()..]
                                .chars()
                                .take_while(char::is_ascii_digit)
                                .collect(),
                        );
                        id.package = Some("kernel".into());
                        id.package_version = Some(nvr.to_string());
                        id.upstream = Some(base.to_string());
                        id.upstream_exact = true;
                        id.evidence.push(format!("uname -r {release}: a {what} kernel (rebased on stable releases; no {what} table here)"));
                        return id;
                    }
                }
            }
            id.upstream = Some(base.to_string());
            id.upstream_exact = true;
            if rest.is_empty() {
                id.distro = Distro::Vanilla;
                id.evidence
                    .push(format!("uname -r {release}: a plain upstream release"));
            } else {
                id.distro = Distro::Custom;
                id.evidence.push(format!(
                    "uname -r {release}: upstream {base} with local version {rest:?}, a custom build"
                ));
            }
        } else {
            id.evidence.push(format!(
                "uname -r {release:?} does not start with a kernel version"
            ));
        }
        id
    }

    fn set_ubuntu(&mut self, pv: &str, flavour: &str) {
        self.distro = Distro::Ubuntu;
        self.flavour = Some(flavour.to_string());
        self.package_version = Some(pv.to_string());
        let base = KVer::parse_prefix(pv).map(|(v, _)| v.branch().to_string());
        // `5.13.0-35.40~20.04.1`: a backport to focal.
        let backport_rel = pv.split('~').nth(1).map(|r| {
            let mut it = r.split('.');
            format!("{}.{}", it.next().unwrap_or(""), it.next().unwrap_or(""))
        });
        let (series, backport) = match &backport_rel {
            Some(r) => (ubuntu_series_of_release(r), true),
            None => (
                base.as_deref()
                    .and_then(|b| UBUNTU_NATIVE.iter().find(|(k, _)| *k == b).map(|(_, s)| *s)),
                false,
            ),
        };
        self.distro_release = series.map(str::to_string);
        if let Some(abi) = pv
            .split_once('-')
            .and_then(|(_, r)| r.split(['.', '~']).next())
            .and_then(|a| a.parse().ok())
        {
            self.abi = Some(abi);
        }
        if let Some(b) = &base {
            self.package = ubuntu_packages(flavour, b, backport).into_iter().next();
        }
    }

    /// Ubuntu: every source package the tables may name for this kernel, most specific first.
    pub fn package_candidates(&self) -> Vec<String> {
        match (
            self.distro,
            &self.flavour,
            &self.package_version,
            &self.upstream,
        ) {
            (Distro::Ubuntu, Some(fl), pv, up) => {
                let base = pv
                    .as_deref()
                    .or(up.as_deref())
                    .and_then(|v| KVer::parse_prefix(v).map(|(k, _)| k.branch().to_string()));
                let backport = pv.as_deref().is_some_and(|p| p.contains('~'));
                base.map(|b| ubuntu_packages(fl, &b, backport))
                    .unwrap_or_default()
            }
            _ => self.package.iter().cloned().collect(),
        }
    }

    /// Attach live patches (`/sys/kernel/livepatch/*`): (name, contents of `enabled`).
    pub fn with_livepatches(mut self, patches: &[(String, Option<String>)]) -> Self {
        for (name, enabled) in patches.iter().take(MAX_LIVEPATCHES) {
            let name = cap(name).to_string();
            let enabled = enabled.as_deref().map(|e| e.trim() == "1");
            self.evidence.push(format!(
                "live patch {name} ({})",
                match enabled {
                    Some(true) => "enabled",
                    Some(false) => "disabled",
                    None => "state unknown",
                }
            ));
            self.livepatches.push(Livepatch { name, enabled });
        }
        if patches.len() > MAX_LIVEPATCHES {
            self.evidence.push(format!(
                "{} live patches; only {MAX_LIVEPATCHES} listed",
                patches.len()
            ));
        }
        self
    }

    /// The upstream version as a [`KVer`].
    pub fn upstream_kver(&self) -> Option<KVer> {
        self.upstream.as_deref().and_then(KVer::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_banner() {
        let b = "Linux version 5.10.0-11-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP Debian 5.10.92-1 (2022-01-18)";
        assert_eq!(debian_version_from_banner(b).as_deref(), Some("5.10.92-1"));
        let id = KernelIdentity::parse("5.10.0-11-amd64", Some(b), None);
        assert_eq!(id.distro, Distro::Debian);
        assert_eq!(id.distro_release.as_deref(), Some("bullseye"));
        assert_eq!(id.package_version.as_deref(), Some("5.10.92-1"));
        assert_eq!(id.upstream.as_deref(), Some("5.10.92"));
        assert!(id.upstream_exact);
        assert_eq!(id.flavour.as_deref(), Some("amd64"));
        // No Debian package version: only the ABI.
        let id = KernelIdentity::parse("6.1.0-18-cloud-amd64", None, None);
        assert_eq!(
            (id.distro, id.distro_release.as_deref()),
            (Distro::Debian, Some("bookworm"))
        );
        assert!(!id.upstream_exact);
        assert_eq!(
            debian_suite_from_version("6.1.27-1~bpo11+1").as_deref(),
            Some("bullseye-backports")
        );
        assert_eq!(
            debian_suite_from_version("4.19.249-2+deb10u1").as_deref(),
            Some("buster")
        );
        assert_eq!(debian_suite_from_version("5.10.92-1"), None);
    }

    #[test]
    fn ubuntu() {
        let id = KernelIdentity::parse(
            "5.13.0-35-generic",
            None,
            Some("Ubuntu 5.13.0-35.40~20.04.1-generic 5.13.19"),
        );
        assert_eq!(id.distro, Distro::Ubuntu);
        assert_eq!(id.distro_release.as_deref(), Some("focal"));
        assert_eq!(id.package.as_deref(), Some("linux-hwe-5.13"));
        assert_eq!(id.package_version.as_deref(), Some("5.13.0-35.40~20.04.1"));
        assert_eq!(
            (id.abi, id.upstream.as_deref()),
            (Some(35), Some("5.13.19"))
        );
        let b = "Linux version 5.15.0-1019-aws (buildd@lcy02-amd64-047) (gcc (Ubuntu 11.2.0-19ubuntu1) 11.2.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #23-Ubuntu SMP Fri Aug 5 17:05:55 UTC 2022";
        let id = KernelIdentity::parse("5.15.0-1019-aws", Some(b), None);
        assert_eq!(id.distro_release.as_deref(), Some("jammy"));
        assert_eq!(id.package.as_deref(), Some("linux-aws"));
        assert_eq!(id.package_version.as_deref(), Some("5.15.0-1019.23"));
        assert!(!id.upstream_exact);
        // uname -r alone: the ABI only.
        let id = KernelIdentity::parse("5.4.0-42-generic", None, None);
        assert_eq!(
            (id.distro, id.abi, id.package_version.as_deref()),
            (Distro::Ubuntu, Some(42), None)
        );
        assert_eq!(
            split_flavour("5.4.0-1063.66+cvm2.2-azure-fde"),
            Some(("5.4.0-1063.66+cvm2.2", "azure-fde"))
        );
    }

    #[test]
    fn rhel_fedora_vanilla_custom() {
        let id = KernelIdentity::parse("4.18.0-348.7.1.el8_5.x86_64", None, None);
        assert_eq!(id.distro, Distro::Rhel);
        assert_eq!(id.distro_release.as_deref(), Some("8"));
        assert_eq!(id.package_version.as_deref(), Some("4.18.0-348.7.1.el8_5"));
        assert!(!id.upstream_exact);
        let id = KernelIdentity::parse("4.18.0-372.32.1.rt7.189.el8_6.x86_64", None, None);
        assert_eq!(id.package.as_deref(), Some("kernel-rt"));
        let id = KernelIdentity::parse("6.5.6-300.fc39.x86_64", None, None);
        assert_eq!(
            (id.distro, id.upstream.as_deref()),
            (Distro::Fedora, Some("6.5.6"))
        );
        let id = KernelIdentity::parse("5.16.10", None, None);
        assert_eq!(
            (id.distro, id.upstream.as_deref(), id.upstream_exact),
            (Distro::Vanilla, Some("5.16.10"), true)
        );
        let id = KernelIdentity::parse(
            "6.18.44-fc-v1045",
            Some(
                "Linux version 6.18.44-fc-v1045 (builder@sandboxing) (gcc (GCC) 15.3.0, GNU ld (GNU Binutils) 2.46) #1 SMP PREEMPT_DYNAMIC @0",
            ),
            None,
        );
        assert_eq!(
            (id.distro, id.upstream.as_deref()),
            (Distro::Custom, Some("6.18.44"))
        );
        let id = KernelIdentity::parse("not a kernel", None, None);
        assert_eq!((id.distro, id.upstream), (Distro::Custom, None));
    }

    #[test]
    fn livepatches() {
        let id = KernelIdentity::parse("5.4.0-42-generic", None, None).with_livepatches(&[
            (
                "lkp_Ubuntu_5_4_0_42_46_generic_72".into(),
                Some("1\n".into()),
            ),
            ("kpatch_cve_2022_0847".into(), None),
        ]);
        assert_eq!(id.livepatches.len(), 2);
        assert_eq!(id.livepatches[0].enabled, Some(true));
        assert_eq!(id.livepatches[1].enabled, None);
    }
}
