//! The one way text reaches the page: every string from a report (package names, paths, advisory
//! text, history lines, target names) is hostile, so [`Html::text`] and [`Html::attr`] escape it,
//! and markup is only ever written from literals with [`Html::raw`].
//!
//! Escaping covers `& < > " '` (so a value is safe in text and in double- or single-quoted
//! attributes), drops NUL and other C0/C1 controls (except tab and newline) to U+FFFD, and shows
//! bidirectional overrides and zero-width characters as `[U+202E]` so text cannot reorder itself
//! on screen. URLs reach `href` only through [`safe_url`]: `http(s)` with no control characters,
//! percent-encoded where needed.

use std::fmt::Write as _;

/// Characters that reorder or hide text (bidi embeddings, overrides and isolates, zero-width
/// joiners and spaces, BOM): shown as `[U+XXXX]`.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// Push `s` escaped for HTML text and quoted attribute values.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c if invisible(c) => {
                let _ = write!(out, "[U+{:04X}]", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// `s` escaped (see [`escape_into`]).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

/// A link target for `s`, when it is an absolute `http` or `https` URL: the scheme checked
/// case-insensitively, spaces, quotes, angle brackets and non-ASCII percent-encoded, and anything
/// with control characters refused. `javascript:`, `data:`, relative and protocol-relative
/// URLs give `None` (the text is shown, not linked).
pub fn safe_url(s: &str) -> Option<String> {
    let s = s.trim();
    let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return None;
    };
    if rest.is_empty() || rest.starts_with('/') || s.chars().any(char::is_control) {
        return None;
    }
    let scheme = if lower.starts_with("https://") {
        "https://"
    } else {
        "http://"
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(scheme);
    for b in rest.bytes() {
        match b {
            b' '
            | b'"'
            | b'\''
            | b'<'
            | b'>'
            | b'`'
            | b'\\'
            | b'^'
            | b'{'
            | b'}'
            | b'|'
            | 0x80.. => {
                let _ = write!(out, "%{b:02X}");
            }
            b => out.push(char::from(b)),
        }
    }
    Some(out)
}

/// Percent-encode one path segment (an advisory ID in a link).
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A page being written: markup from literals, text and attribute values escaped.
#[derive(Debug, Default)]
pub struct Html {
    buf: String,
}

impl Html {
    pub fn new() -> Self {
        Self::default()
    }

    /// Markup written by this crate (never report data).
    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.buf.push_str(s);
        self
    }

    /// Report data as text.
    pub fn text(&mut self, s: &str) -> &mut Self {
        escape_into(&mut self.buf, s);
        self
    }

    /// A number as text.
    pub fn num(&mut self, n: impl std::fmt::Display) -> &mut Self {
        let _ = write!(self.buf, "{n}");
        self
    }

    /// ` name="value"`, the value escaped; `name` is a literal.
    pub fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        self.buf.push(' ');
        self.buf.push_str(name);
        self.buf.push_str("=\"");
        escape_into(&mut self.buf, value);
        self.buf.push('"');
        self
    }

    /// `<tag>text</tag>`, `tag` a literal (may carry literal attributes: `td class="x"`).
    pub fn elem(&mut self, tag: &str, text: &str) -> &mut Self {
        let name = tag.split(' ').next().unwrap_or(tag);
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        escape_into(&mut self.buf, text);
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// A link to `url` showing `text`, when the URL is safe; else the text alone.
    pub fn link(&mut self, url: &str, text: &str) -> &mut Self {
        match safe_url(url) {
            Some(u) => {
                self.raw("<a");
                self.attr("href", &u);
                self.raw(" rel=\"noopener noreferrer\">");
                self.text(text);
                self.raw("</a>")
            }
            None => self.text(text),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.buf
    }

    pub fn into_string(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_controls_and_bidi() {
        assert_eq!(
            escape(r#""><img src=x onerror=alert(1)>"#),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(escape("a'b&c"), "a&#39;b&amp;c");
        assert_eq!(escape("x\0y\u{1b}[31m"), "x\u{FFFD}y\u{FFFD}[31m");
        assert_eq!(escape("abc\u{202E}txt.exe"), "abc[U+202E]txt.exe");
        assert_eq!(escape("l1\nl2\tx"), "l1\nl2\tx");
    }

    #[test]
    fn only_http_urls_are_links() {
        assert_eq!(
            safe_url("https://example.org/a b\"<x>").as_deref(),
            Some("https://example.org/a%20b%22%3Cx%3E")
        );
        assert_eq!(
            safe_url("HTTPS://Example.org/é").as_deref(),
            Some("https://Example.org/%C3%A9")
        );
        assert_eq!(safe_url("http://x/y").as_deref(), Some("http://x/y"));
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,<script>",
            "//evil.example/x",
            "/relative",
            "https://",
            "https:///x",
            "https://x/\u{0}y",
            "vbscript:x",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("CVE-2024-1"), "CVE-2024-1");
        assert_eq!(path_segment("a/../b\"<"), "a%2F..%2Fb%22%3C");
    }
}
