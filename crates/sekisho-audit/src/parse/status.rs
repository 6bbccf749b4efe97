//! `/proc/<pid>/status`: the fields the audit needs.
//!
//! Format: `proc(5)`, "/proc/pid/status": one `Name:\tvalue` per line. `CapInh`, `CapPrm`,
//! `CapEff`, `CapBnd`, `CapAmb` are 64-bit hex masks; `Seccomp` is 0 (disabled), 1 (strict) or 2
//! (filter); `Seccomp_filters` (Linux 5.9+) counts attached filters; `NoNewPrivs` is 0 or 1.
//! `NSpid` lists the PID in each nested PID namespace, outermost first.

/// The subset of `/proc/<pid>/status` the audit reads. Missing fields stay `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub name: Option<String>,
    pub pid: Option<u32>,
    pub ppid: Option<u32>,
    /// Real, effective, saved, filesystem UIDs.
    pub uid: Option<[u32; 4]>,
    pub gid: Option<[u32; 4]>,
    pub cap_inh: Option<u64>,
    pub cap_prm: Option<u64>,
    pub cap_eff: Option<u64>,
    pub cap_bnd: Option<u64>,
    pub cap_amb: Option<u64>,
    pub no_new_privs: Option<bool>,
    pub seccomp: Option<u8>,
    pub seccomp_filters: Option<u32>,
    /// PIDs of this process from the outermost to the innermost PID namespace.
    pub nspid: Vec<u32>,
}

fn ids4(v: &str) -> Option<[u32; 4]> {
    let mut out = [0u32; 4];
    let mut it = v.split_whitespace();
    for slot in &mut out {
        *slot = it.next()?.parse().ok()?;
    }
    Some(out)
}

/// Parse the text of a status file. Unknown and malformed lines are skipped.
pub fn parse(text: &str) -> Status {
    let mut s = Status::default();
    for line in text.lines().take(super::MAX_LINES) {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let hex = || u64::from_str_radix(value, 16).ok();
        match key {
            "Name" => s.name = Some(value.chars().take(64).collect()),
            "Pid" => s.pid = value.parse().ok(),
            "PPid" => s.ppid = value.parse().ok(),
            "Uid" => s.uid = ids4(value),
            "Gid" => s.gid = ids4(value),
            "CapInh" => s.cap_inh = hex(),
            "CapPrm" => s.cap_prm = hex(),
            "CapEff" => s.cap_eff = hex(),
            "CapBnd" => s.cap_bnd = hex(),
            "CapAmb" => s.cap_amb = hex(),
            "NoNewPrivs" => s.no_new_privs = value.parse::<u8>().ok().map(|v| v != 0),
            "Seccomp" => s.seccomp = value.parse().ok().filter(|m| *m <= 2),
            "Seccomp_filters" => s.seccomp_filters = value.parse().ok(),
            "NSpid" => {
                s.nspid = value
                    .split_whitespace()
                    .take(64)
                    .filter_map(|p| p.parse().ok())
                    .collect();
            }
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_runc_default() {
        let t = "Name:\tsh\nPid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n\
                 NSpid:\t4242\t1\nCapInh:\t0000000000000000\nCapPrm:\t0000000020000420\n\
                 CapEff:\t0000000020000420\nCapBnd:\t0000000020000420\nCapAmb:\t0000000000000000\n\
                 NoNewPrivs:\t1\nSeccomp:\t0\nSeccomp_filters:\t0\n";
        let s = parse(t);
        assert_eq!(s.name.as_deref(), Some("sh"));
        assert_eq!(s.cap_eff, Some(0x2000_0420));
        assert_eq!(s.no_new_privs, Some(true));
        assert_eq!(s.seccomp, Some(0));
        assert_eq!(s.seccomp_filters, Some(0));
        assert_eq!(s.nspid, vec![4242, 1]);
        assert_eq!(s.uid, Some([0, 0, 0, 0]));
    }

    #[test]
    fn garbage_is_skipped() {
        let s = parse("CapEff:\tzz\nSeccomp:\t7\nUid:\t1 2\n:::\n");
        assert_eq!(s.cap_eff, None);
        assert_eq!(s.seccomp, None);
        assert_eq!(s.uid, None);
    }
}
