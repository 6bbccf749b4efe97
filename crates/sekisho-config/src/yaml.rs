//! YAML (and JSON, which is read as YAML 1.2) into a small tree that keeps the exact line and
//! column of every key and value, so a finding points at the field itself.
//!
//! Bounded against hostile input: nesting depth, the number of nodes including what aliases
//! expand to (billion laughs), duplicate keys (an error naming both lines: a reader that keeps
//! the last one and a reader that keeps the first disagree about what the file says), tabs in
//! indentation, a BOM, CRLF line ends. Events come from `granit-parser`, a span-keeping YAML 1.2
//! parser; the tree and its limits are ours.

use std::collections::HashMap;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span};

/// A 1-based line and column (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    fn of(span: &Span) -> Self {
        Self {
            line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            column: u32::try_from(span.start.col().saturating_add(1)).unwrap_or(u32::MAX),
        }
    }
}

/// A scalar as written: its text after escapes, and whether it was plain (unquoted), which
/// decides whether `true` is a boolean or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    pub text: String,
    pub plain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in file order; keys are unique (a duplicate is a parse error).
    Map(Vec<(Node, Node)>),
}

/// One node with where it starts. A mapping starts at its first key; a sequence at its first
/// `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

impl Node {
    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and the value under `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_scalar() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// Where `key` is written in this mapping (the key itself), else where the mapping starts.
    pub fn key_pos(&self, key: &str) -> Pos {
        self.entry(key).map_or(self.pos, |(k, _)| k.pos)
    }

    /// Follow a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        let mut n = self;
        for k in keys {
            n = n.get(k)?;
        }
        Some(n)
    }

    /// The text of any scalar (quoted or not), except a plain `null`/`~`/empty.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if !(s.plain && is_null(&s.text)) => Some(&s.text),
            _ => None,
        }
    }

    /// A string field as Go reads it: any non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar()
    }

    /// Null: a plain `null`, `~`, `Null`, `NULL` or an empty value.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.plain && is_null(&s.text))
    }

    /// A boolean: a plain `true`/`false` (any of YAML 1.2's three spellings).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(s) if s.plain => match s.text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// An integer: a plain decimal (optionally signed), `0x`/`0o` forms.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(s) if s.plain => parse_int(&s.text),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(v) => Some(v),
            _ => None,
        }
    }

    /// Items of a sequence (none when it is anything else).
    pub fn items(&self) -> impl Iterator<Item = &Node> {
        self.as_seq().unwrap_or(&[]).iter()
    }

    /// Entries of a mapping with scalar keys.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Node, &Node)> {
        self.as_map()
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, v)| k.as_scalar().map(|ks| (ks, k, v)))
    }
}

fn is_null(t: &str) -> bool {
    matches!(t, "" | "~" | "null" | "Null" | "NULL")
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let v = if let Some(h) = body.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = body.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

/// Why a file could not be read as YAML or JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} column {column}: {message}")]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl ParseError {
    fn at(pos: Pos, message: impl Into<String>) -> Self {
        Self {
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

/// Limits of one parse.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting of sequences and mappings.
    pub max_depth: usize,
    /// Maximum nodes (aliases count what they expand to) = `base + per_byte × input length`.
    pub max_nodes_base: usize,
    pub max_nodes_per_byte: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 100,
            max_nodes_base: 10_000,
            max_nodes_per_byte: 2,
        }
    }
}

/// The documents of a stream, up to the first error (the documents before a broken one are
/// still checked; the error is reported).
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub docs: Vec<Node>,
    pub error: Option<ParseError>,
}

/// Bytes to text: invalid UTF-8 is an error at the line and column of the first bad byte; a
/// leading BOM is dropped.
pub fn decode(bytes: &[u8]) -> Result<&str, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            // Safe: `good` is the valid prefix.
            let text = std::str::from_utf8(good).unwrap_or("");
            let line = text.matches('\n').count() + 1;
            let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(ParseError {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
                message: format!("invalid UTF-8 (byte offset {})", e.valid_up_to()),
            })
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        seen: HashMap<String, u32>,
        merges: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    max_nodes: usize,
    max_depth: usize,
    root: Option<Node>,
}

impl Builder {
    fn count(&mut self, n: usize, pos: Pos) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.max_nodes {
            return Err(ParseError::at(
                pos,
                format!(
                    "more than {} nodes (aliases expanding into a bomb?); not read",
                    self.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn anchor(&mut self, id: usize, node: &Node, size: usize) {
        if id != 0 {
            self.anchors.insert(id, (node.clone(), size));
        }
    }

    /// Place a finished node where it belongs.
    fn place(&mut self, node: Node) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                key,
                seen,
                merges,
                ..
            }) => match key.take() {
                None => {
                    *key = Some(node);
                    Ok(())
                }
                Some(k) => {
                    if let Value::Scalar(s) = &k.value {
                        if s.plain && s.text == "<<" {
                            merges.push(node);
                            return Ok(());
                        }
                        if let Some(first) = seen.insert(s.text.clone(), k.pos.line) {
                            return Err(ParseError::at(
                                k.pos,
                                format!("duplicate key {:?} (first at line {first})", s.text),
                            ));
                        }
                    }
                    entries.push((k, node));
                    Ok(())
                }
            },
        }
    }

    fn push(&mut self, f: Frame, pos: Pos) -> Result<(), ParseError> {
        if self.stack.len() >= self.max_depth {
            return Err(ParseError::at(
                pos,
                format!("nesting deeper than {} levels; not read", self.max_depth),
            ));
        }
        self.stack.push(f);
        Ok(())
    }
}

fn size_of(n: &Node) -> usize {
    match &n.value {
        Value::Scalar(_) => 1,
        Value::Seq(v) => 1 + v.iter().map(size_of).sum::<usize>(),
        Value::Map(v) => {
            1 + v
                .iter()
                .map(|(k, x)| size_of(k) + size_of(x))
                .sum::<usize>()
        }
    }
}

/// Merge `<<` values into `entries`: keys already present win; a sequence of maps merges in
/// order, earlier first.
fn apply_merges(entries: &mut Vec<(Node, Node)>, merges: Vec<Node>) {
    for m in merges {
        let maps: Vec<Node> = match m.value {
            Value::Map(_) => vec![m],
            Value::Seq(items) => items,
            Value::Scalar(_) => Vec::new(),
        };
        for map in maps {
            if let Value::Map(src) = map.value {
                for (k, v) in src {
                    let present = entries
                        .iter()
                        .any(|(ek, _)| ek.as_scalar().is_some() && ek.as_scalar() == k.as_scalar());
                    if !present {
                        entries.push((k, v));
                    }
                }
            }
        }
    }
}

/// Parse a YAML stream (or a JSON document) with the default limits.
pub fn parse(text: &str) -> Parsed {
    parse_with(text, Limits::default())
}

/// Parse a YAML stream (or a JSON document).
pub fn parse_with(text: &str, limits: Limits) -> Parsed {
    let mut out = Parsed::default();
    let mut opts = Options::default();
    opts.emit_comments = false;
    let mut b = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        max_nodes: limits
            .max_nodes_base
            .saturating_add(limits.max_nodes_per_byte.saturating_mul(text.len())),
        max_depth: limits.max_depth,
        root: None,
    };
    let mut doc_pos = Pos { line: 1, column: 1 };
    for ev in Parser::new_from_str_with_options(text, opts) {
        let (ev, span) = match ev {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                out.error = Some(ParseError {
                    line: u32::try_from(m.line()).unwrap_or(u32::MAX),
                    column: u32::try_from(m.col().saturating_add(1)).unwrap_or(u32::MAX),
                    message: e.info().to_string(),
                });
                return out;
            }
        };
        let pos = Pos::of(&span);
        if let Err(e) = step(&mut b, ev, pos, &mut doc_pos, &mut out.docs) {
            out.error = Some(e);
            return out;
        }
    }
    out
}

fn step(
    b: &mut Builder,
    ev: Event<'_>,
    pos: Pos,
    doc_pos: &mut Pos,
    docs: &mut Vec<Node>,
) -> Result<(), ParseError> {
    match ev {
        Event::DocumentStart(..) => {
            *doc_pos = pos;
            b.stack.clear();
            b.anchors.clear();
            b.root = None;
        }
        Event::DocumentEnd => {
            if let Some(root) = b.root.take() {
                // An empty document (`---` alone) is a plain empty scalar: not a document.
                if !root.is_null() {
                    docs.push(root);
                }
            }
        }
        Event::Scalar(text, style, anchor, _tag) => {
            b.count(1, pos)?;
            let node = Node {
                value: Value::Scalar(Scalar {
                    text: text.into_owned(),
                    plain: style == ScalarStyle::Plain,
                }),
                pos,
            };
            b.anchor(anchor, &node, 1);
            b.place(node)?;
        }
        Event::SequenceStart(_, anchor, _) => {
            b.count(1, pos)?;
            b.push(
                Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                },
                pos,
            )?;
        }
        Event::SequenceEnd => {
            if let Some(Frame::Seq { items, pos, anchor }) = b.stack.pop() {
                let node = Node {
                    value: Value::Seq(items),
                    pos,
                };
                if anchor != 0 {
                    let s = size_of(&node);
                    b.anchor(anchor, &node, s);
                }
                b.place(node)?;
            }
        }
        Event::MappingStart(_, anchor, _) => {
            b.count(1, pos)?;
            b.push(
                Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    seen: HashMap::new(),
                    merges: Vec::new(),
                    pos,
                    anchor,
                },
                pos,
            )?;
        }
        Event::MappingEnd => {
            if let Some(Frame::Map {
                mut entries,
                merges,
                pos,
                anchor,
                ..
            }) = b.stack.pop()
            {
                if !merges.is_empty() {
                    apply_merges(&mut entries, merges);
                }
                let node = Node {
                    value: Value::Map(entries),
                    pos,
                };
                if anchor != 0 {
                    let s = size_of(&node);
                    b.anchor(anchor, &node, s);
                }
                b.place(node)?;
            }
        }
        Event::Alias(id) => {
            let Some((node, size)) = b.anchors.get(&id).cloned() else {
                return Err(ParseError::at(pos, "alias to an unknown anchor"));
            };
            b.count(size, pos)?;
            b.place(node)?;
        }
        Event::UnresolvedAlias(name) => {
            return Err(ParseError::at(
                pos,
                format!("alias *{name} has no anchor before it"),
            ));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(t: &str) -> Node {
        let p = parse(t);
        assert!(p.error.is_none(), "{:?}", p.error);
        assert_eq!(p.docs.len(), 1);
        p.docs.into_iter().next().unwrap()
    }

    #[test]
    fn positions_of_keys_and_items() {
        let n = one("a: 1\nspec:\n  containers:\n  - name: x\n    image: y\n");
        assert_eq!(n.key_pos("spec"), Pos { line: 2, column: 1 });
        let c = &n.path(&["spec", "containers"]).unwrap().as_seq().unwrap()[0];
        assert_eq!(c.pos, Pos { line: 4, column: 5 });
        assert_eq!(c.key_pos("image"), Pos { line: 5, column: 5 });
        assert_eq!(c.get("name").unwrap().as_str(), Some("x"));
    }

    #[test]
    fn json_positions_are_the_field() {
        let n = one("{\n  \"kind\": \"Pod\",\n  \"spec\": {\n    \"hostPID\": true\n  }\n}\n");
        let spec = n.get("spec").unwrap();
        assert_eq!(spec.key_pos("hostPID"), Pos { line: 4, column: 5 });
        assert_eq!(spec.get("hostPID").unwrap().as_bool(), Some(true));
    }

    #[test]
    fn types() {
        let n = one("a: true\nb: 'true'\nc: 0x10\nd: ~\ne: -3\n");
        assert_eq!(n.get("a").unwrap().as_bool(), Some(true));
        assert_eq!(n.get("b").unwrap().as_bool(), None);
        assert_eq!(n.get("b").unwrap().as_str(), Some("true"));
        assert_eq!(n.get("c").unwrap().as_i64(), Some(16));
        assert!(n.get("d").unwrap().is_null());
        assert_eq!(n.get("e").unwrap().as_i64(), Some(-3));
    }

    #[test]
    fn multi_document_and_empty_documents() {
        let p = parse("---\na: 1\n---\n---\nb: 2\n...\n");
        assert!(p.error.is_none());
        assert_eq!(p.docs.len(), 2);
        assert_eq!(p.docs[1].key_pos("b").line, 5);
    }

    #[test]
    fn duplicate_keys_are_errors_naming_both_lines() {
        let p = parse("a: 1\nb: 2\na: 3\n");
        let e = p.error.unwrap();
        assert_eq!((e.line, e.column), (3, 1));
        assert!(e.message.contains("first at line 1"), "{e}");
    }

    #[test]
    fn merge_keys() {
        let n = one("base: &b\n  x: 1\n  y: 2\nsvc:\n  <<: *b\n  y: 3\n");
        let s = n.get("svc").unwrap();
        assert_eq!(s.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(s.get("y").unwrap().as_i64(), Some(3));
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            t.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let p = parse(&t);
        let e = p.error.unwrap();
        assert!(e.message.contains("nodes"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let t = "[".repeat(5000);
        let p = parse(&t);
        assert!(p.error.is_some());
        let t = format!("{}1{}", "[".repeat(150), "]".repeat(150));
        let e = parse(&t).error.unwrap();
        assert!(e.message.contains("nesting"), "{e}");
    }

    #[test]
    fn tabs_bom_crlf_utf8() {
        assert!(parse("a:\n\tb: 1\n").error.is_some());
        let text = decode(b"\xEF\xBB\xBFa: 1\r\nb: 2\r\n").unwrap();
        let n = one(text);
        assert_eq!(n.key_pos("b"), Pos { line: 2, column: 1 });
        let e = decode(b"a: 1\nb: \xff\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 4));
    }

    #[test]
    fn error_keeps_documents_before_it() {
        let p = parse("a: 1\n---\nb: [\n");
        assert_eq!(p.docs.len(), 1);
        assert!(p.error.is_some());
    }
}
