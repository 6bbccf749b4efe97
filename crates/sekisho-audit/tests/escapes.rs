//! Known escapes in the audit, on recorded `/proc` + `/sys` trees (`tests/fixtures/make.py`):
//! live patches (Ubuntu Livepatch, a kpatch named after its CVE), evidence weighed from the
//! container's own measurements, and runtime binaries identified from the host view.

use sekisho_audit::host::FixtureHost;
use sekisho_audit::inside::{self, Options};
use sekisho_audit::{escapes, hostview};
use sekisho_kernel::identity::Distro;
use sekisho_kernel::runtime::{RuntimeKind, VersionSource};
use sekisho_kernel::verdict::{Basis, Judgement, Reach, Verdict};

fn host(name: &str) -> FixtureHost {
    FixtureHost::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/").to_string() + name)
        .unwrap()
}

fn get<'a>(js: &'a [Judgement], id: &str) -> &'a Judgement {
    js.iter()
        .find(|j| j.id == id)
        .unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn ubuntu_livepatch_from_sys() {
    let h = host("livepatch-ubuntu");
    let r = inside::audit(
        &h,
        &Options {
            pid: None,
            probe: true,
        },
    )
    .unwrap();
    let s = r.known_escapes.as_ref().unwrap();
    let k = &s.kernel;
    assert_eq!(k.distro, Distro::Ubuntu);
    assert_eq!(k.distro_release.as_deref(), Some("focal"));
    assert_eq!(k.package_version.as_deref(), Some("5.4.0-42.46"));
    assert_eq!(k.upstream.as_deref(), Some("5.4.44"));
    assert_eq!(k.livepatches.len(), 1);
    assert_eq!(k.livepatches[0].name, "lkp_Ubuntu_5_4_0_42_46_generic_72");
    assert_eq!(k.livepatches[0].enabled, Some(true));
    // Affected per the package (focal fixed CVE-2021-3493 in 5.4.0-72.80), but livepatched.
    let o = get(&s.escapes, "CVE-2021-3493");
    assert_eq!(
        (o.verdict, o.basis),
        (Verdict::Unknown, Basis::Livepatch),
        "{}",
        o.reason
    );
    assert!(
        o.reason.starts_with("Ubuntu focal linux 5.4.0-42.46 < fixed 5.4.0-72.80, but livepatched (lkp_Ubuntu_5_4_0_42_46_generic_72)"),
        "{}",
        o.reason
    );
    // Never affected: Dirty Pipe was never in focal's 5.4.
    assert_eq!(
        get(&s.escapes, "CVE-2022-0847").verdict,
        Verdict::NotAffected
    );
    // The table shows the live patch.
    let t = sekisho_audit::render::inside(&r);
    assert!(
        t.contains("live patches: lkp_Ubuntu_5_4_0_42_46_generic_72"),
        "{t}"
    );
    assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
}

#[test]
fn rhel_kpatch_named_after_the_cve_in_a_docker_container() {
    let h = host("livepatch-rhel");
    let r = inside::audit(
        &h,
        &Options {
            pid: None,
            probe: true,
        },
    )
    .unwrap();
    let s = r.known_escapes.as_ref().unwrap();
    assert_eq!(s.kernel.distro, Distro::Rhel);
    let d = get(&s.escapes, "CVE-2022-2588");
    assert_eq!(
        (d.verdict, d.basis),
        (Verdict::NotAffected, Basis::Livepatch),
        "{}",
        d.reason
    );
    assert!(
        d.reason.starts_with("livepatched: live patch kpatch_cve_2022_2588 names CVE-2022-2588 (RHEL 8 kernel 4.18.0-372.9.1.el8 < fixed 4.18.0-372.32.1.el8_6 (ALSA-2022:7110))"),
        "{}",
        d.reason
    );
    // The rest of the affected ones: unknown, saying a live patch is loaded.
    let o = get(&s.escapes, "CVE-2023-0386");
    assert_eq!(o.verdict, Verdict::Unknown);
    assert!(
        o.reason.contains("but livepatched (kpatch_cve_2022_2588)"),
        "{}",
        o.reason
    );
    // Evidence: docker's default capability set (no CAP_SYS_ADMIN), seccomp blocks unshare.
    let ev = s.evidence.as_ref().unwrap();
    assert_eq!(ev.cap_sys_admin, Some(false));
    assert_eq!(ev.cap_net_raw, Some(true));
    assert_eq!(
        (ev.userns_creatable, ev.userns_denied_by.as_deref()),
        (Some(false), Some("seccomp"))
    );
    assert_eq!(ev.cgroup_v1, Some(false));
}

#[test]
fn preconditions_weighed_with_the_audit_evidence() {
    // Ubuntu focal 5.4.0-42: CVE-2021-22555 (x_tables) is affected per the tracker; the process
    // is an unprivileged user whose unshare probe succeeded.
    let h = host("livepatch-ubuntu");
    let mut r = inside::audit(
        &h,
        &Options {
            pid: None,
            probe: true,
        },
    )
    .unwrap();
    // Without the live patch, the verdicts stand.
    let mut k = escapes::kernel_identity(&h);
    k.livepatches.clear();
    let s = sekisho_kernel::Section::build(
        k,
        Vec::new(),
        Some(escapes::evidence_inside(&r)),
        Vec::new(),
    );
    let x = get(&s.escapes, "CVE-2021-22555");
    assert_eq!(x.verdict, Verdict::Affected, "{}", x.reason);
    assert_eq!(x.reach, Some(Reach::Exploitable));
    assert_eq!(
        x.reach_reason.as_deref(),
        Some(
            "affected, and exploitable here: unprivileged user namespaces are enabled and seccomp allows unshare"
        )
    );
    // io_uring answered EFAULT: allowed.
    let io = get(&s.escapes, "CVE-2021-41073");
    if io.verdict == Verdict::Affected {
        assert_eq!(io.reach, Some(Reach::Exploitable), "{:?}", io.reach_reason);
    }
    // Without probes nothing is claimed about unshare.
    r.probes = None;
    let ev = escapes::evidence_inside(&r);
    assert_eq!(ev.userns_creatable, None);
    assert_eq!(ev.unprivileged_userns, Some(true));
}

#[test]
fn host_view_identifies_runtimes() {
    let h = host("runtime-host");
    let r = hostview::audit(&h, 1000).unwrap();
    let s = r.known_escapes.as_ref().unwrap();
    assert_eq!(s.kernel.distro, Distro::Debian);
    assert_eq!(s.kernel.package_version.as_deref(), Some("6.1.76-1"));
    let runc: Vec<_> = s
        .runtimes
        .iter()
        .filter(|x| x.kind == RuntimeKind::Runc)
        .collect();
    assert_eq!(runc.len(), 1, "{:?}", s.runtimes);
    let runc = runc[0];
    assert_eq!(runc.path, "/usr/sbin/runc");
    assert_eq!(runc.version.as_deref(), Some("1.1.5"));
    assert_eq!(runc.version_source, VersionSource::Package);
    let p = runc.package.as_ref().unwrap();
    assert_eq!(
        (p.name.as_str(), p.version.as_str()),
        ("runc", "1.1.5+ds1-1+deb12u1")
    );
    assert_eq!(
        (p.distro.as_deref(), p.distro_release.as_deref()),
        (Some("debian"), Some("bookworm"))
    );
    assert!(
        runc.evidence[0].contains("running as pid 900"),
        "{:?}",
        runc.evidence
    );
    // The crun in /usr/local/bin belongs to no package and prints its version.
    let crun = s
        .runtimes
        .iter()
        .find(|x| x.kind == RuntimeKind::Crun)
        .unwrap();
    assert_eq!(
        (crun.version.as_deref(), crun.version_source),
        (Some("1.8.1"), VersionSource::VersionString)
    );
    // runc's verdicts: the Debian changelog record for Leaky Vessels, upstream for the rest.
    let lv = s.escapes.iter().find(|j| j.id == "CVE-2024-21626").unwrap();
    assert_eq!(
        (lv.verdict, lv.reason.as_str()),
        (
            Verdict::NotAffected,
            "Debian runc 1.1.5+ds1-1+deb12u1 >= fixed 1.1.5+ds1-1+deb12u1 (changelog.Debian of runc 1.1.5+ds1-1+deb12u1)"
        )
    );
    assert_eq!(lv.runtime_path.as_deref(), Some("/usr/sbin/runc"));
    let m = s.escapes.iter().find(|j| j.id == "CVE-2025-31133").unwrap();
    assert_eq!(m.verdict, Verdict::Affected);
    assert!(
        m.reason
            .starts_with("no Debian bookworm record for runc; upstream 1.1.5 < 1.2.8"),
        "{}",
        m.reason
    );
    let x = s.escapes.iter().find(|j| j.id == "CVE-2019-5736").unwrap();
    assert_eq!(x.verdict, Verdict::NotAffected, "{}", x.reason);
    // Host-wide evidence: io_uring disabled by sysctl.
    let ev = s.evidence.as_ref().unwrap();
    assert_eq!(ev.io_uring_allowed, Some(false));
    let t = sekisho_audit::render::host(&r);
    assert!(
        t.contains("runc 1.1.5 at /usr/sbin/runc (dpkg package runc 1.1.5+ds1-1+deb12u1)"),
        "{t}"
    );
    assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
}

/// Debian's runc: its Go build info names no module version (built outside module mode, no
/// `-X main.version`), so the package is the only honest source; the real host's binary is
/// identified by dpkg.
#[test]
fn debian_runc_build_info_has_no_version() {
    let Ok(bin) = std::fs::read("/usr/sbin/runc") else {
        sekisho_testutil::require(false, "/usr/sbin/runc (Debian package runc)");
        return;
    };
    let bi = sekisho_catalog::lang::golang::extract_buildinfo(&bin)
        .unwrap()
        .expect("runc is a Go binary");
    assert!(
        bi.modinfo.contains("path\tgithub.com/opencontainers/runc"),
        "{}",
        bi.modinfo
    );
    assert_eq!(
        sekisho_kernel::runtime::version_from_buildinfo(RuntimeKind::Runc, &bi.modinfo),
        None,
        "{}",
        bi.modinfo
    );
    let h = sekisho_audit::host::RealHost;
    let found = escapes::find_runtimes(&h, 100_000);
    let (ids, _) = escapes::identify_runtimes(&h, &found);
    let runc = ids
        .iter()
        .find(|r| r.path == "/usr/sbin/runc")
        .expect("found");
    assert_eq!(
        runc.version_source,
        VersionSource::Package,
        "{:?}",
        runc.evidence
    );
    assert_eq!(runc.package.as_ref().unwrap().manager, "dpkg");
}
