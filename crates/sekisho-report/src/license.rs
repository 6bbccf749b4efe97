//! License strings as packages declare them, turned into what CycloneDX and SPDX accept: an SPDX
//! identifier or expression when every part is a known identifier, otherwise free text.

/// Common SPDX license identifiers (<https://spdx.org/licenses/>). Anything else is written as a
/// license name (CycloneDX) or left as `NOASSERTION` with the text in a comment (SPDX).
const KNOWN_IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "curl",
    "EPL-1.0",
    "EPL-2.0",
    "GFDL-1.2-only",
    "GFDL-1.2-or-later",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "NCSA",
    "OpenSSL",
    "OFL-1.1",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Sleepycat",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];

/// Exception identifiers allowed after `WITH`.
const KNOWN_EXCEPTIONS: &[&str] = &[
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Classpath-exception-2.0",
    "GCC-exception-3.1",
    "LLVM-exception",
    "OpenSSL-exception",
];

/// The canonical SPDX identifier for `s` (case-insensitive), if it is a known one.
pub fn spdx_id(s: &str) -> Option<&'static str> {
    let s = s.trim();
    KNOWN_IDS
        .iter()
        .copied()
        .find(|id| id.eq_ignore_ascii_case(s))
}

/// `s` as a valid SPDX expression of known identifiers, if it is one.
pub fn spdx_expression(s: &str) -> Option<String> {
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let mut out = Vec::new();
    let mut expect_exception = false;
    let mut operands = 0;
    for tok in spaced.split_whitespace() {
        let upper = tok.to_ascii_uppercase();
        match upper.as_str() {
            "AND" | "OR" => out.push(upper),
            "WITH" => {
                out.push(upper);
                expect_exception = true;
            }
            "(" | ")" => out.push(tok.to_string()),
            _ if expect_exception => {
                let e = KNOWN_EXCEPTIONS
                    .iter()
                    .find(|e| e.eq_ignore_ascii_case(tok))?;
                out.push((*e).to_string());
                expect_exception = false;
            }
            _ => {
                let (base, plus) = match tok.strip_suffix('+') {
                    Some(b) => (b, "+"),
                    None => (tok, ""),
                };
                out.push(format!("{}{plus}", spdx_id(base)?));
                operands += 1;
            }
        }
    }
    (operands > 0 && !expect_exception).then(|| out.join(" ").replace("( ", "(").replace(" )", ")"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_expressions() {
        assert_eq!(spdx_id("mit"), Some("MIT"));
        assert_eq!(
            spdx_expression("MIT OR Apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            spdx_expression("(mit or apache-2.0) and GPL-2.0-only WITH classpath-exception-2.0")
                .as_deref(),
            Some("(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0")
        );
        assert_eq!(spdx_expression("BSD"), None);
        assert_eq!(spdx_expression("GPL-2+ and Artistic"), None);
        assert_eq!(spdx_expression(""), None);
    }
}
