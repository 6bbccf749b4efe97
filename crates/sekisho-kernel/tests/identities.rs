//! Verdicts on recorded kernel identities (as `uname -r`, `/proc/version` and
//! `/proc/version_signature` print them), this machine's own kernel, and a Debian 12 image with
//! the stock kernel packages.

use std::path::{Path, PathBuf};

use sekisho_kernel::boot::{self, ImageOs, InstalledKernel};
use sekisho_kernel::data::embedded;
use sekisho_kernel::identity::{Distro, KernelIdentity};
use sekisho_kernel::verdict::{Basis, Judgement, Verdict, judge_kernel};

fn judge(release: &str, banner: Option<&str>, sig: Option<&str>) -> Vec<Judgement> {
    judge_kernel(
        embedded(),
        &KernelIdentity::parse(release, banner, sig),
        None,
    )
}

fn get<'a>(js: &'a [Judgement], id: &str) -> &'a Judgement {
    js.iter()
        .find(|j| j.id == id)
        .unwrap_or_else(|| panic!("{id} not judged"))
}

fn is(js: &[Judgement], id: &str, v: Verdict, reason: &str) {
    let j = get(js, id);
    assert_eq!(
        (j.verdict, j.reason.as_str()),
        (v, reason),
        "{id}: {:?} {}",
        j.verdict,
        j.reason
    );
}

const DIRTY_PIPE: &str = "CVE-2022-0847";
const DIRTY_COW: &str = "CVE-2016-5195";
const FSCONFIG: &str = "CVE-2022-0185";
const RELEASE_AGENT: &str = "CVE-2022-0492";

#[test]
fn vanilla_5_16_10_and_5_16_11_dirty_pipe() {
    let j = judge("5.16.10", None, None);
    is(
        &j,
        DIRTY_PIPE,
        Verdict::Affected,
        "upstream 5.16.10 < 5.16.11",
    );
    assert_eq!(get(&j, DIRTY_PIPE).basis, Basis::Upstream);
    let j = judge("5.16.11", None, None);
    is(
        &j,
        DIRTY_PIPE,
        Verdict::NotAffected,
        "upstream 5.16.11 >= 5.16.11",
    );
    // Before the bug: 5.4 predates the 5.8 pipe-merge flag.
    let j = judge("5.4.180", None, None);
    is(
        &j,
        DIRTY_PIPE,
        Verdict::NotAffected,
        "upstream 5.4.180 predates the bug (introduced in 5.8-rc1)",
    );
}

#[test]
fn vanilla_4_4_0_and_4_4_26_dirty_cow() {
    let j = judge("4.4.0", None, None);
    is(&j, DIRTY_COW, Verdict::Affected, "upstream 4.4.0 < 4.4.26");
    let j = judge("4.4.26", None, None);
    is(
        &j,
        DIRTY_COW,
        Verdict::NotAffected,
        "upstream 4.4.26 >= 4.4.26",
    );
    // 4.9 has the mainline fix (v4.9-rc2).
    let j = judge("4.9.1", None, None);
    assert_eq!(get(&j, DIRTY_COW).verdict, Verdict::NotAffected);
}

#[test]
fn vanilla_5_16_1_fsconfig() {
    let j = judge("5.16.1", None, None);
    is(&j, FSCONFIG, Verdict::Affected, "upstream 5.16.1 < 5.16.2");
    is(
        &j,
        DIRTY_PIPE,
        Verdict::Affected,
        "upstream 5.16.1 < 5.16.11",
    );
    let j = judge("5.16.2", None, None);
    assert_eq!(get(&j, FSCONFIG).verdict, Verdict::NotAffected);
}

fn debian_banner(abi: &str, pv: &str) -> String {
    format!(
        "Linux version {abi} (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP Debian {pv} (2022-03-05)"
    )
}

#[test]
fn debian_5_10_92_1_and_5_10_106_1() {
    let b = debian_banner("5.10.0-11-amd64", "5.10.92-1");
    let j = judge("5.10.0-11-amd64", Some(&b), None);
    is(
        &j,
        DIRTY_PIPE,
        Verdict::Affected,
        "Debian 5.10.92-1 < fixed 5.10.92-2 (DSA-5092-1)",
    );
    is(
        &j,
        FSCONFIG,
        Verdict::NotAffected,
        "Debian 5.10.92-1 >= fixed 5.10.92-1 (DSA-5050-1)",
    );
    is(
        &j,
        RELEASE_AGENT,
        Verdict::Affected,
        "Debian 5.10.92-1 < fixed 5.10.103-1 (DSA-5095-1)",
    );
    // A raw upstream comparison would call 5.10.92 fixed for nothing here, and 5.10.92 < 5.10.93
    // affected for fsconfig: the Debian table says otherwise.
    assert_eq!(get(&j, FSCONFIG).basis, Basis::Debian);
    // No Debian bullseye record for Dirty COW: 5.10 is after the mainline fix.
    assert_eq!(get(&j, DIRTY_COW).verdict, Verdict::NotAffected);
    assert!(
        get(&j, DIRTY_COW)
            .reason
            .starts_with("no Debian bullseye record for linux; judged from upstream ranges"),
        "{}",
        get(&j, DIRTY_COW).reason
    );
    // Ubuntu-only bugs do not apply.
    assert_eq!(get(&j, "CVE-2021-3493").basis, Basis::DistroSpecific);

    let b = debian_banner("5.10.0-12-amd64", "5.10.106-1");
    let j = judge("5.10.0-12-amd64", Some(&b), None);
    for id in [DIRTY_PIPE, FSCONFIG, RELEASE_AGENT] {
        assert_eq!(get(&j, id).verdict, Verdict::NotAffected, "{id}");
    }
    is(
        &j,
        DIRTY_PIPE,
        Verdict::NotAffected,
        "Debian 5.10.106-1 >= fixed 5.10.92-2 (DSA-5092-1)",
    );
    // Without /proc/version only the ABI is known: Debian's fix cannot be applied.
    let j = judge("5.10.0-11-amd64", None, None);
    let d = get(&j, DIRTY_PIPE);
    assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
    assert!(d.reason.contains("/proc/version"), "{}", d.reason);
}

#[test]
fn ubuntu_version_signature() {
    // impish's own 5.13 kernel: fixed in 5.13.0-35.40 (USN-5317-1).
    let j = judge(
        "5.13.0-35-generic",
        None,
        Some("Ubuntu 5.13.0-35.40-generic 5.13.19"),
    );
    is(
        &j,
        DIRTY_PIPE,
        Verdict::NotAffected,
        "Ubuntu impish linux 5.13.0-35.40 >= fixed 5.13.0-35.40",
    );
    let j = judge(
        "5.13.0-30-generic",
        None,
        Some("Ubuntu 5.13.0-30.33-generic 5.13.19"),
    );
    is(
        &j,
        DIRTY_PIPE,
        Verdict::Affected,
        "Ubuntu impish linux 5.13.0-30.33 < fixed 5.13.0-35.40",
    );
    // The focal HWE backport of the same kernel is its own source package.
    let j = judge(
        "5.13.0-30-generic",
        None,
        Some("Ubuntu 5.13.0-30.33~20.04.1-generic 5.13.19"),
    );
    is(
        &j,
        DIRTY_PIPE,
        Verdict::Affected,
        "Ubuntu focal linux-hwe-5.13 5.13.0-30.33~20.04.1 < fixed 5.13.0-35.40~20.04.1",
    );
    // focal's own 5.4 kernel never had the bug.
    let j = judge(
        "5.4.0-100-generic",
        None,
        Some("Ubuntu 5.4.0-100.113-generic 5.4.166"),
    );
    let d = get(&j, DIRTY_PIPE);
    assert_eq!(
        (d.verdict, d.basis),
        (Verdict::NotAffected, Basis::Ubuntu),
        "{}",
        d.reason
    );
    // Ubuntu's own overlayfs bug (CVE-2021-3493): fixed in focal 5.4.0-72.80.
    let j = judge(
        "5.4.0-70-generic",
        None,
        Some("Ubuntu 5.4.0-70.78-generic 5.4.94"),
    );
    is(
        &j,
        "CVE-2021-3493",
        Verdict::Affected,
        "Ubuntu focal linux 5.4.0-70.78 < fixed 5.4.0-72.80",
    );
    // uname -r alone: the ABI decides, except when it is the fix's own.
    let j = judge("5.13.0-35-generic", None, None);
    let d = get(&j, DIRTY_PIPE);
    assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
    assert!(d.reason.contains("upload number"), "{}", d.reason);
    let j = judge("5.13.0-28-generic", None, None);
    is(
        &j,
        DIRTY_PIPE,
        Verdict::Affected,
        "Ubuntu impish linux: ABI 28 < fixed 5.13.0-35.40",
    );
    // /proc/version carries the upload number.
    let j = judge(
        "5.13.0-35-generic",
        Some(
            "Linux version 5.13.0-35-generic (buildd@lcy02-amd64-003) (gcc (Ubuntu 11.2.0-7ubuntu2) 11.2.0, GNU ld (GNU Binutils for Ubuntu) 2.37) #40-Ubuntu SMP Mon Mar 7 08:03:10 UTC 2022",
        ),
        None,
    );
    is(
        &j,
        DIRTY_PIPE,
        Verdict::NotAffected,
        "Ubuntu impish linux 5.13.0-35.40 >= fixed 5.13.0-35.40",
    );
}

#[test]
fn rhel_8_el8_kernel() {
    let id = KernelIdentity::parse("4.18.0-372.9.1.el8.x86_64", None, None);
    assert_eq!(
        (id.distro, id.distro_release.as_deref()),
        (Distro::Rhel, Some("8"))
    );
    let j = judge_kernel(embedded(), &id, None);
    is(
        &j,
        "CVE-2022-2588",
        Verdict::Affected,
        "RHEL 8 kernel 4.18.0-372.9.1.el8 < fixed 4.18.0-372.32.1.el8_6 (ALSA-2022:7110)",
    );
    is(
        &j,
        "CVE-2023-0386",
        Verdict::Affected,
        "RHEL 8 kernel 4.18.0-372.9.1.el8 < fixed 4.18.0-425.19.2.el8_7 (ALSA-2023:1566)",
    );
    // rpm ordering, not string ordering: 513.24.1 > 477.13.1.
    let j = judge("4.18.0-513.24.1.el8_9.x86_64", None, None);
    for id in [
        "CVE-2022-2588",
        "CVE-2023-0386",
        "CVE-2023-32233",
        "CVE-2024-1086",
    ] {
        assert_eq!(
            get(&j, id).verdict,
            Verdict::NotAffected,
            "{id}: {}",
            get(&j, id).reason
        );
    }
    // No RHEL 8 record for Dirty Pipe: 4.18.0 says nothing about RHEL's backports.
    let d = get(&j, DIRTY_PIPE);
    assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
    assert!(
        d.reason.starts_with("no RHEL 8 record for kernel"),
        "{}",
        d.reason
    );
    // Dirty COW was fixed in mainline before 4.18: in every RHEL 8 kernel.
    let d = get(&j, DIRTY_COW);
    assert_eq!(d.verdict, Verdict::NotAffected, "{}", d.reason);
    // RHEL 9.
    let j = judge("5.14.0-70.13.1.el9_0.x86_64", None, None);
    is(
        &j,
        "CVE-2022-34918",
        Verdict::Affected,
        "RHEL 9 kernel 5.14.0-70.13.1.el9_0 < fixed 5.14.0-70.26.1.el9_0 (ALSA-2022:6610)",
    );
}

#[test]
fn livepatched_kernel() {
    let b = debian_banner("5.10.0-11-amd64", "5.10.92-1");
    let id = KernelIdentity::parse("5.10.0-11-amd64", Some(&b), None)
        .with_livepatches(&[("kpatch_cve_2022_0847".into(), Some("1\n".into()))]);
    let j = judge_kernel(embedded(), &id, None);
    let d = get(&j, DIRTY_PIPE);
    assert_eq!(
        (d.verdict, d.basis),
        (Verdict::NotAffected, Basis::Livepatch)
    );
    assert!(
        d.reason
            .starts_with("livepatched: live patch kpatch_cve_2022_0847 names CVE-2022-0847"),
        "{}",
        d.reason
    );
    // A live patch that names no CVE: the affected verdicts become unknown, saying why.
    let r = get(&j, RELEASE_AGENT);
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(
        r.reason.contains("but livepatched (kpatch_cve_2022_0847)"),
        "{}",
        r.reason
    );
    // A disabled patch changes nothing.
    let id = KernelIdentity::parse("5.10.0-11-amd64", Some(&b), None)
        .with_livepatches(&[("kpatch_cve_2022_0847".into(), Some("0\n".into()))]);
    let j = judge_kernel(embedded(), &id, None);
    assert_eq!(get(&j, DIRTY_PIPE).verdict, Verdict::Affected);
}

#[test]
fn custom_build() {
    let j = judge("5.15.0-rc3-custom+", None, None);
    let d = get(&j, DIRTY_PIPE);
    assert_eq!(d.verdict, Verdict::Affected);
    assert!(
        d.reason
            .starts_with("custom build, judged from upstream branch ranges alone: "),
        "{}",
        d.reason
    );
    let j = judge("5.15.30-mykernel", None, None);
    let d = get(&j, DIRTY_PIPE);
    assert_eq!(
        (d.verdict, d.reason.as_str()),
        (
            Verdict::NotAffected,
            "custom build, judged from upstream branch ranges alone: upstream 5.15.30 >= 5.15.25"
        )
    );
    // Never "not affected" from a distribution table it cannot apply.
    for j in &j {
        assert!(
            !matches!(j.basis, Basis::Debian | Basis::Ubuntu | Basis::Rhel),
            "{}: {:?}",
            j.id,
            j.basis
        );
    }
}

/// This machine's kernel (a custom 6.x build here): nothing is affected unless it really is.
#[test]
fn this_machine_kernel() {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    let banner = std::fs::read_to_string("/proc/version").ok();
    let sig = std::fs::read_to_string("/proc/version_signature").ok();
    let id = KernelIdentity::parse(release.trim(), banner.as_deref(), sig.as_deref());
    eprintln!("this machine: {} ({:?})", id.release, id.distro);
    let j = judge_kernel(embedded(), &id, None);
    let affected: Vec<String> = j
        .iter()
        .filter(|j| j.verdict == Verdict::Affected)
        .map(|j| format!("{}: {}", j.id, j.reason))
        .collect();
    let v = id.upstream_kver();
    // Every kernel entry's mainline fix is at or before 6.8: a 6.8+ kernel is affected by none.
    if v.as_ref()
        .is_some_and(|v| *v >= sekisho_kernel::kver::KVer::parse("6.8").unwrap())
    {
        assert!(affected.is_empty(), "{affected:?}");
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A Debian 12 image with the stock kernel packages (real archive metadata) and a GRUB
/// configuration whose saved default is the older kernel: the library part of `sekisho vm`.
#[test]
fn debian12_image_kernels_and_boot_default() {
    let root = fixture("debian12-kernel");
    let status = std::fs::read(root.join("var/lib/dpkg/status")).unwrap();
    let (records, problems) =
        sekisho_catalog::os::dpkg::parse_status("var/lib/dpkg/status", &status).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let installed: Vec<InstalledKernel> = records
        .iter()
        .filter(|r| r.installed() && r.name.starts_with("linux-image-"))
        .map(|r| InstalledKernel {
            name: r.name.clone(),
            version: r.version.clone(),
            source: r.source.as_ref().map(|s| s.name.clone()),
            arch: r.arch.clone(),
        })
        .collect();
    assert_eq!(installed.len(), 3);
    let grub = std::fs::read_to_string(root.join("boot/grub/grub.cfg")).unwrap();
    let env = std::fs::read_to_string(root.join("boot/grub/grubenv")).unwrap();
    let default = boot::default_entry(Some(&grub), Some(&env), &[], None).unwrap();
    assert_eq!(default.release, "6.1.0-50-amd64");
    let os = ImageOs {
        id: "debian".into(),
        version_id: Some("12".into()),
        codename: Some("bookworm".into()),
    };
    let r = boot::judge_image(embedded(), &os, &installed, Some(default));
    assert_eq!(r.kernels.len(), 2, "{:?}", r.notes);
    assert!(
        r.notes.iter().any(|n| n.contains("linux-image-amd64")),
        "{:?}",
        r.notes
    );
    let d = &r.kernels[r.default_index.unwrap()];
    assert_eq!(
        (d.package.as_str(), d.version.as_str()),
        ("linux-image-6.1.0-50-amd64", "6.1.176-1")
    );
    assert!(d.default);
    for k in &r.kernels {
        assert_eq!(k.identity.distro, Distro::Debian);
        assert_eq!(k.identity.distro_release.as_deref(), Some("bookworm"));
        assert!(k.identity.upstream_exact);
        let affected: Vec<&str> = k
            .escapes
            .iter()
            .filter(|j| j.verdict == Verdict::Affected)
            .map(|j| j.id.as_str())
            .collect();
        assert!(
            affected.is_empty(),
            "{} {}: {affected:?}",
            k.package,
            k.version
        );
        // Judged, not skipped: Dirty Pipe was fixed in mainline before 6.1.
        let d = get(&k.escapes, DIRTY_PIPE);
        assert_eq!(d.verdict, Verdict::NotAffected);
        assert!(
            d.reason.contains("no Debian bookworm record"),
            "{}",
            d.reason
        );
    }
    // CVE-2024-1086 is judged on the 6.1 branch: 6.1.176 >= 6.1.76.
    let n = get(&r.kernels[0].escapes, "CVE-2024-1086");
    assert!(
        n.reason.ends_with("upstream 6.1.192 >= 6.1.76"),
        "{}",
        n.reason
    );
    // An image whose only kernel is the metapackage: said, not silently empty.
    let r = boot::judge_image(embedded(), &os, &installed[2..], None);
    assert!(r.kernels.is_empty());
    assert!(
        r.notes.iter().any(|n| n.contains("no kernel package")),
        "{:?}",
        r.notes
    );
}
