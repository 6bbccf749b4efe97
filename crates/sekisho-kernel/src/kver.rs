//! Upstream kernel versions: `X.Y`, `X.Y.Z`, `2.6.X.Y` and release candidates `X.Y-rcN`.
//!
//! Ordering follows the kernel's release history: `5.17-rc6 < 5.17 = 5.17.0 < 5.17.1`. The
//! *branch* is what stable maintainers call a series: `5.10` for `5.10.102`, but `2.6.32` for
//! `2.6.32.71` (the 2.6 era numbered its series with three components).

use std::cmp::Ordering;
use std::fmt;

/// A parsed upstream kernel version. Equality is the ordering's: `5.17` equals `5.17.0`.
#[derive(Debug, Clone)]
pub struct KVer {
    /// Up to four numeric components, as written.
    nums: Vec<u32>,
    /// `Some(n)` for `-rcN`.
    rc: Option<u32>,
}

impl KVer {
    /// Parse `5.16.10`, `5.17-rc6`, `v5.8-rc1`, `2.6.22`. Anything after the version proper is
    /// rejected (use [`KVer::parse_prefix`] for `uname -r` strings).
    pub fn parse(s: &str) -> Option<Self> {
        let (v, rest) = Self::parse_prefix(s)?;
        // Linus renamed the v5.12-rc1 tag to v5.12-rc1-dontuse (it could wipe swap files);
        // trackers record the renamed tag.
        (rest.is_empty() || rest == "-dontuse").then_some(v)
    }

    /// Parse the leading version of `s` and return the rest (`5.10.0-11-amd64` → `5.10.0`,
    /// `-11-amd64`). At least `X.Y` is required.
    pub fn parse_prefix(s: &str) -> Option<(Self, &str)> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut nums = Vec::new();
        let mut i = 0;
        let b = s.as_bytes();
        loop {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() && i - start < 9 {
                i += 1;
            }
            if i == start || (i < b.len() && b[i].is_ascii_digit()) {
                return None;
            }
            nums.push(s[start..i].parse().ok()?);
            if nums.len() < 4 && i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                continue;
            }
            break;
        }
        if nums.len() < 2 {
            return None;
        }
        let mut rest = &s[i..];
        let mut rc = None;
        if let Some(r) = rest.strip_prefix("-rc") {
            let n: String = r.chars().take_while(char::is_ascii_digit).collect();
            if !n.is_empty() && n.len() < 6 {
                rc = n.parse().ok();
                rest = &r[n.len()..];
            }
        }
        Some((Self { nums, rc }, rest))
    }

    /// The stable series: `5.10` for `5.10.102`, `2.6.32` for `2.6.32.71`.
    pub fn branch(&self) -> KVer {
        let n = if self.nums[0] == 2 { 3 } else { 2 };
        let mut nums: Vec<u32> = self.nums.iter().copied().take(n).collect();
        while nums.len() < n {
            nums.push(0);
        }
        while nums.len() > 2 && nums.last() == Some(&0) {
            nums.pop();
        }
        KVer { nums, rc: None }
    }

    pub fn is_rc(&self) -> bool {
        self.rc.is_some()
    }
}

impl Ord for KVer {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.nums.len().max(other.nums.len());
        for i in 0..len {
            let a = self.nums.get(i).copied().unwrap_or(0);
            let b = other.nums.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        // A release candidate comes before its release.
        match (self.rc, other.rc) {
            (None, None) => Ordering::Equal,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.cmp(&b),
        }
    }
}

impl PartialEq for KVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for KVer {}

impl PartialOrd for KVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for KVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.nums.iter().map(u32::to_string).collect();
        write!(f, "{}", parts.join("."))?;
        if let Some(rc) = self.rc {
            write!(f, "-rc{rc}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> KVer {
        KVer::parse(s).unwrap()
    }

    #[test]
    fn order() {
        let asc = [
            "2.6.22-rc1",
            "2.6.22",
            "2.6.32.71",
            "3.2",
            "4.4",
            "4.4.26",
            "4.9-rc2",
            "4.9",
            "5.10.92",
            "5.10.102",
            "5.16.10",
            "5.16.11",
            "5.17-rc5",
            "5.17-rc6",
            "5.17",
            "5.17.1",
            "6.18.44",
        ];
        for w in asc.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("5.17"), v("5.17.0"));
        assert_eq!(v("v5.8-rc1").to_string(), "5.8-rc1");
        assert_eq!(v("5.12-rc1-dontuse"), v("5.12-rc1"));
        assert_eq!(v("5.10.102").branch(), v("5.10"));
        assert_eq!(v("2.6.32.71").branch(), v("2.6.32"));
        assert_eq!(v("4.4").branch(), v("4.4"));
    }

    #[test]
    fn prefixes_and_junk() {
        let (k, rest) = KVer::parse_prefix("5.10.0-11-amd64").unwrap();
        assert_eq!((k.to_string().as_str(), rest), ("5.10.0", "-11-amd64"));
        let (k, rest) = KVer::parse_prefix("6.18.44-fc-v1045").unwrap();
        assert_eq!((k.to_string().as_str(), rest), ("6.18.44", "-fc-v1045"));
        let (k, rest) = KVer::parse_prefix("5.17.0-rc5+").unwrap();
        assert_eq!((k.to_string().as_str(), rest), ("5.17.0-rc5", "+"));
        for bad in ["", "5", "x.y", "5.", ".5", "99999999999.1", "5.10.0-11"] {
            assert!(KVer::parse(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn total_order(a in "[0-9]{1,2}(\\.[0-9]{1,3}){1,3}(-rc[0-9])?", b in "[0-9]{1,2}(\\.[0-9]{1,3}){1,3}(-rc[0-9])?", c in "[0-9]{1,2}(\\.[0-9]{1,3}){1,3}") {
            let (a, b, c) = (v(&a), v(&b), v(&c));
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            if a <= b && b <= c { prop_assert!(a <= c); }
            prop_assert_eq!(KVer::parse(&a.to_string()).unwrap(), a.clone());
            prop_assert!(a.branch() <= a || a.is_rc());
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = KVer::parse(&s);
            let _ = KVer::parse_prefix(&s);
        }
    }
}
