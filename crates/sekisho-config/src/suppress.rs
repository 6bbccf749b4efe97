//! Suppressions written in a file: `# sekisho:ignore=<id>[,<id>...] <reason>` on the finding's
//! line or the line above, and `# sekisho:ignore-file=<id>[,<id>...] <reason>` anywhere for
//! the whole file. IDs match a check's ID or any of its aliases, case-insensitively.

/// One directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub line: u32,
    pub ids: Vec<String>,
    pub reason: Option<String>,
    /// `ignore-file` rather than `ignore`.
    pub file: bool,
}

/// The directives of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    pub list: Vec<Directive>,
}

const LINE: &str = "sekisho:ignore=";
const FILE: &str = "sekisho:ignore-file=";

impl Directives {
    pub fn parse(text: &str) -> Self {
        let mut list = Vec::new();
        for (i, l) in text.lines().enumerate() {
            let Some(hash) = l.find('#') else { continue };
            let comment = l[hash + 1..].trim_start();
            let (rest, file) = if let Some(r) = comment.strip_prefix(FILE) {
                (r, true)
            } else if let Some(r) = comment.strip_prefix(LINE) {
                (r, false)
            } else {
                continue;
            };
            let (ids, reason) = match rest.split_once(char::is_whitespace) {
                Some((ids, reason)) => (ids, Some(reason.trim().to_string())),
                None => (rest, None),
            };
            let ids: Vec<String> = ids
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if ids.is_empty() {
                continue;
            }
            list.push(Directive {
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                ids,
                reason: reason.filter(|r| !r.is_empty()),
                file,
            });
        }
        Self { list }
    }

    /// The directive that suppresses a finding of a check with these IDs at `line`:
    /// (`inline` or `file`, the directive's line, its reason).
    pub fn matches(&self, ids: &[&str], line: u32) -> Option<(&'static str, u32, Option<String>)> {
        let hit = |d: &Directive| {
            d.ids
                .iter()
                .any(|x| ids.iter().any(|i| i.eq_ignore_ascii_case(x)))
        };
        self.list
            .iter()
            .find(|d| !d.file && (d.line == line || d.line + 1 == line) && hit(d))
            .map(|d| ("inline", d.line, d.reason.clone()))
            .or_else(|| {
                self.list
                    .iter()
                    .find(|d| d.file && hit(d))
                    .map(|d| ("file", d.line, d.reason.clone()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_above_and_same_line_and_file() {
        let d = Directives::parse(
            "a: 1\n# sekisho:ignore=pss-privileged,KSV001 needed for the CNI\nb: 2 # sekisho:ignore=x\n# sekisho:ignore-file=dockerfile-no-healthcheck batch job\n",
        );
        assert_eq!(d.list.len(), 3);
        let m = d.matches(&["pss-privileged"], 3).unwrap();
        assert_eq!(m, ("inline", 2, Some("needed for the CNI".into())));
        assert!(d.matches(&["pss-privileged"], 4).is_none());
        assert_eq!(d.matches(&["other", "ksv001"], 2).unwrap().1, 2);
        assert_eq!(d.matches(&["x"], 3).unwrap().2, None);
        assert_eq!(
            d.matches(&["dockerfile-no-healthcheck"], 99).unwrap().0,
            "file"
        );
    }
}
