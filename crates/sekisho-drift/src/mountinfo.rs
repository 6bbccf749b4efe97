//! `/proc/PID/mountinfo` (proc(5)): the mounts a container sees. Every mount but the root is
//! listed as not covered: a volume, a bind mount, a secret, `/etc/hosts`, `resolv.conf` and
//! `hostname` are not part of the image, so they are neither drift nor checked.
//!
//! Also `/proc/PID/uid_map` and `gid_map` (user_namespaces(7)), to read owners as the
//! container sees them.

use serde::{Deserialize, Serialize};

/// Longest mountinfo accepted (bytes); a namespace with more mounts is cut with a note.
pub const MAX_MOUNTINFO: usize = 4 << 20;

/// One mount, as the process sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// The mount point relative to the process's root, normalised (`etc/hosts`; `""` is the
    /// root itself).
    pub path: String,
    pub fstype: String,
    pub source: String,
    /// The path inside its own filesystem that is mounted (`/var/lib/docker/containers/…/hosts`).
    pub root: String,
}

/// Undo mountinfo's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (u32::from(b[i + 1] - b'0') << 6)
                | (u32::from(b[i + 2] - b'0') << 3)
                | u32::from(b[i + 3] - b'0');
            if let Ok(v) = u8::try_from(v) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse mountinfo text. Lines that do not parse are returned as errors (with their number)
/// and skipped.
pub fn parse(text: &str) -> (Vec<Mount>, Vec<String>) {
    let mut mounts = Vec::new();
    let mut bad = Vec::new();
    for (no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(sep) = fields.iter().position(|f| *f == "-") else {
            bad.push(format!("mountinfo line {}: no separator", no + 1));
            continue;
        };
        if sep < 6 || fields.len() < sep + 3 {
            bad.push(format!("mountinfo line {}: too few fields", no + 1));
            continue;
        }
        let point = unescape(fields[4]);
        if !point.starts_with('/') {
            bad.push(format!(
                "mountinfo line {}: mount point not absolute",
                no + 1
            ));
            continue;
        }
        let Ok(path) = sekisho_artifact::normalize(&point) else {
            bad.push(format!("mountinfo line {}: bad mount point", no + 1));
            continue;
        };
        mounts.push(Mount {
            path,
            fstype: unescape(fields[sep + 1]),
            source: unescape(fields[sep + 2]),
            root: unescape(fields[3]),
        });
    }
    (mounts, bad)
}

/// One line of a uid_map or gid_map: `inside outside count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub inside: u64,
    pub outside: u64,
    pub count: u64,
}

/// Parse a uid_map/gid_map. `None` when the text is not one.
pub fn parse_id_map(text: &str) -> Option<Vec<IdRange>> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut it = line.split_whitespace().map(str::parse::<u64>);
        let (Some(Ok(inside)), Some(Ok(outside)), Some(Ok(count)), None) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            return None;
        };
        out.push(IdRange {
            inside,
            outside,
            count,
        });
    }
    Some(out)
}

/// An owner as seen from the host, mapped to the container's view (unmapped ids stay).
pub fn map_to_inside(map: &[IdRange], host: u64) -> u64 {
    for r in map {
        if host >= r.outside && host - r.outside < r.count {
            return r.inside + (host - r.outside);
        }
    }
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_style_mountinfo() {
        let text = "\
1093 1001 0:94 / / rw,relatime master:512 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
1094 1093 0:97 / /proc rw,nosuid - proc proc rw
1101 1093 254:1 /var/lib/docker/containers/abc/hosts /etc/hosts rw,relatime - ext4 /dev/vda1 rw
1102 1093 254:1 /srv/my\\040data /data rw - ext4 /dev/vda1 rw
garbage
";
        let (m, bad) = parse(text);
        assert_eq!(bad, ["mountinfo line 5: no separator"]);
        let paths: Vec<&str> = m.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(paths, ["", "proc", "etc/hosts", "data"]);
        assert_eq!(m[0].fstype, "overlay");
        assert_eq!(m[3].root, "/srv/my data");
    }

    #[test]
    fn id_maps() {
        let m = parse_id_map("         0     100000      65536\n").unwrap();
        assert_eq!(map_to_inside(&m, 100_033), 33);
        assert_eq!(map_to_inside(&m, 5), 5);
        assert!(parse_id_map("0 1\n").is_none());
    }
}
