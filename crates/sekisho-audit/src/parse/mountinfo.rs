//! `/proc/<pid>/mountinfo`.
//!
//! Format: `proc(5)`, "/proc/pid/mountinfo": `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS
//! [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS`. Paths escape space, tab, newline and backslash as
//! three-digit octal (`\040`).

/// One mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub id: u32,
    pub parent: u32,
    pub dev: String,
    /// The path inside the mounted filesystem that is the root of this mount.
    pub root: String,
    pub mount_point: String,
    /// Per-mount options (`rw`, `ro`, `nosuid`, ...).
    pub options: Vec<String>,
    pub fstype: String,
    pub source: String,
    pub super_options: Vec<String>,
}

impl Mount {
    /// Whether the mount is read-write (per-mount and superblock).
    pub fn is_rw(&self) -> bool {
        self.options.iter().any(|o| o == "rw") && !self.super_options.iter().any(|o| o == "ro")
    }
}

/// Most mounts kept; the caller notes truncation when the input had more.
pub const MAX_MOUNTS: usize = 20_000;

/// Undo the kernel's octal escaping of `\`, space, tab and newline.
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() {
            let oct = &b[i + 1..i + 4];
            if oct.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = u32::from(oct[0] - b'0') * 64
                    + u32::from(oct[1] - b'0') * 8
                    + u32::from(oct[2] - b'0');
                if let Ok(byte) = u8::try_from(v) {
                    out.push(byte);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_line(line: &str) -> Option<Mount> {
    let (pre, post) = line.split_once(" - ")?;
    let mut f = pre.split(' ');
    let id = f.next()?.parse().ok()?;
    let parent = f.next()?.parse().ok()?;
    let dev = f.next()?.to_string();
    let root = unescape(f.next()?);
    let mount_point = unescape(f.next()?);
    let options = f.next()?.split(',').take(64).map(str::to_string).collect();
    let mut g = post.split(' ');
    let fstype = g.next()?.to_string();
    let source = unescape(g.next()?);
    let super_options = g
        .next()
        .unwrap_or("")
        .split(',')
        .take(64)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Some(Mount {
        id,
        parent,
        dev,
        root,
        mount_point,
        options,
        fstype,
        source,
        super_options,
    })
}

/// Parse the whole file; malformed lines are counted in the second value.
pub fn parse(text: &str) -> (Vec<Mount>, usize) {
    let mut mounts = Vec::new();
    let mut bad = 0;
    for line in text.lines().take(super::MAX_LINES) {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(m) if mounts.len() < MAX_MOUNTS => mounts.push(m),
            Some(_) => bad += 1,
            None => bad += 1,
        }
    }
    (mounts, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines() {
        let t = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n\
                 41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n\
                 50 1 0:40 / /with\\040space ro - tmpfs none ro\n\
                 garbage\n";
        let (m, bad) = parse(t);
        assert_eq!(bad, 1);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].root, "/mnt1");
        assert_eq!(m[0].fstype, "ext3");
        assert_eq!(m[0].source, "/dev/root");
        assert!(m[0].is_rw());
        assert_eq!(m[2].mount_point, "/with space");
        assert!(!m[2].is_rw());
    }

    #[test]
    fn unescape_edges() {
        assert_eq!(unescape("a\\"), "a\\");
        assert_eq!(unescape("a\\04"), "a\\04");
        assert_eq!(unescape("\\134"), "\\");
        assert_eq!(unescape("\\777"), "\\777");
    }
}
