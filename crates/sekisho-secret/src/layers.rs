//! Layer semantics: every version of every file in every layer is scanned, and each finding says
//! which layer added it (index, digest, the history step), whether it is still in the final
//! filesystem, and if not, which layer removed it and how (whiteout, opaque directory,
//! overwrite, replacement by a symlink or an empty file).
//!
//! [`SecretCapture`] is the [`Capture`] the layer walk runs: it streams each wanted file through
//! a [`FileScanner`] and keeps only the encoded [`FileResult`] (matches hold no secret value), and
//! it keeps a small record even for files without matches, so that a later version of the same
//! path is seen to replace it. [`analyze`] turns the inventory into findings.
//!
//! Which layer removed a version, and whether it deleted or replaced it, is the inventory's
//! [`Fate`] of the version (the capture [tracks history](Capture::tracks_history), so the walk
//! records every path each layer writes). How, in finer words (whiteout or opaque directory;
//! overwritten, emptied or replaced by a symlink), comes from the later captured versions and the
//! final symlinks, or exactly from a [`Removals`] source such as the walk's per-layer results
//! ([`LayerResult`]).

use std::fmt;
use std::io::{self, Read};

use sekisho_artifact::image::ImageMeta;
use sekisho_artifact::{
    Capture, CaptureSink, EntryKind, EntryMeta, Fate, Inventory, LayerInfo, LayerResult, Note,
};
use sekisho_finding::{LayerRef, Location, Secret, Severity, VendorContent};

use crate::config::scan_config;
use crate::rules::{DETECTORS, REBUILD_ADVICE, detector};
use crate::scan::{
    Digests, FileOptions, FileResult, FileScanner, MAX_FILE_BYTES, Rules, SecretMatch, SkipReason,
    redact_text, wants,
};
use crate::vendor::{VendorIndex, Verdict};

/// The capture ID of [`SecretCapture`] (part of the layer cache key: bump on format changes).
pub const CAPTURE: &str = "secret-scan-1";
/// Bytes read from a layer at a time.
const READ_CHUNK: usize = 64 << 10;

/// Paths whose files no package owns: no digest is computed there.
const NEVER_OWNED: &[&str] = &[
    "var/lib/apt/lists/",
    "var/cache/",
    "var/log/",
    "var/lib/dpkg/",
    "tmp/",
    "root/",
    "home/",
    "run/",
];

/// Streams each wanted file through the scanner; see the module docs.
pub struct SecretCapture {
    rules: &'static Rules,
}

impl SecretCapture {
    pub fn new(rules: &'static Rules) -> Self {
        Self { rules }
    }

    fn scanner(&self, meta: &EntryMeta) -> FileScanner<'static> {
        let digests = !NEVER_OWNED.iter().any(|p| meta.path.starts_with(p));
        FileScanner::with_options(
            self.rules,
            &meta.path,
            FileOptions {
                size: Some(meta.size),
                digests,
            },
        )
    }
}

/// The push form of [`SecretCapture`].
struct Sink(FileScanner<'static>);

impl CaptureSink for Sink {
    fn write(&mut self, chunk: &[u8]) -> io::Result<bool> {
        self.0.feed(chunk);
        Ok(self.0.wants_more())
    }
    fn finish(self: Box<Self>) -> io::Result<Option<Vec<u8>>> {
        Ok(Some(encode(&self.0.finish())))
    }
}

impl Capture for SecretCapture {
    fn id(&self) -> &'static str {
        CAPTURE
    }
    fn wants(&self, meta: &EntryMeta) -> bool {
        matches!(meta.kind, EntryKind::File | EntryKind::Hardlink { .. })
            && wants(&meta.path, meta.size, meta.mode)
    }
    /// The scanner caps what it reads itself (see [`MAX_FILE_BYTES`]).
    fn max_size(&self) -> u64 {
        u64::MAX
    }
    /// A version replaced by anything (an empty file, a directory, a symlink) must be known as
    /// replaced.
    fn tracks_history(&self) -> bool {
        true
    }
    /// Push: the scanner takes chunks, so it shares one read of a file with other analyzers.
    fn sink(&self, meta: &EntryMeta) -> Option<Box<dyn CaptureSink>> {
        Some(Box::new(Sink(self.scanner(meta))))
    }
    fn capture(&self, meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let mut s = self.scanner(meta);
        let mut buf =
            vec![0u8; READ_CHUNK.min(usize::try_from(meta.size).unwrap_or(READ_CHUNK).max(1))];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            s.feed(&buf[..n]);
            if !s.wants_more() {
                break;
            }
        }
        Ok(Some(encode(&s.finish())))
    }
}

/// What a [`SecretCapture`] keeps: a header line, then one line per match. Text, versioned,
/// decoded defensively (it may come back from an on-disk cache).
pub fn encode(r: &FileResult) -> Vec<u8> {
    let skip = match &r.skipped {
        None => "-".to_string(),
        Some(SkipReason::Binary) => "binary".into(),
        Some(SkipReason::Utf16) => "utf16".into(),
        Some(SkipReason::Truncated { limit, size }) => format!("truncated:{limit}:{size}"),
        Some(SkipReason::TooManyMatches { limit }) => format!("toomany:{limit}"),
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let (md5, sha) = r
        .digests
        .as_ref()
        .map_or(("-".into(), "-".into()), |d| (hex(&d.md5), hex(&d.sha256)));
    let mut out = format!("s1\t{}\t{skip}\t{md5}\t{sha}\n", r.bytes);
    for m in &r.matches {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            m.rule_id(),
            m.line,
            m.column,
            m.start,
            m.end,
            m.fingerprint,
            m.redacted.replace(['\t', '\n', '\r'], "?")
        ));
    }
    out.into_bytes()
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut o = [0u8; N];
    for (i, b) in o.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(o)
}

/// Decode [`encode`]'s output; `None` when it is not that format.
pub fn decode(b: &[u8]) -> Option<FileResult> {
    let text = std::str::from_utf8(b).ok()?;
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next()?.split('\t').collect();
    let [tag, bytes, skip, md5, sha] = head[..] else {
        return None;
    };
    if tag != "s1" {
        return None;
    }
    let skipped = match skip {
        "-" => None,
        "binary" => Some(SkipReason::Binary),
        "utf16" => Some(SkipReason::Utf16),
        s => {
            let mut it = s.split(':');
            match (it.next()?, it.next(), it.next()) {
                ("truncated", Some(l), Some(z)) => Some(SkipReason::Truncated {
                    limit: l.parse().ok()?,
                    size: z.parse().ok()?,
                }),
                ("toomany", Some(l), None) => Some(SkipReason::TooManyMatches {
                    limit: l.parse().ok()?,
                }),
                _ => return None,
            }
        }
    };
    let digests = match (unhex::<16>(md5), unhex::<32>(sha)) {
        (Some(md5), Some(sha256)) => Some(Digests { md5, sha256 }),
        _ => None,
    };
    let mut matches = Vec::new();
    for l in lines.take(crate::scan::MAX_MATCHES_PER_FILE) {
        let f: Vec<&str> = l.splitn(7, '\t').collect();
        let [id, line, col, start, end, fp, red] = f[..] else {
            return None;
        };
        let (rule, _) = detector(id)?;
        if red.chars().any(char::is_control) {
            return None;
        }
        matches.push(SecretMatch {
            rule,
            line: line.parse().ok()?,
            column: col.parse().ok()?,
            fingerprint: fp.to_string(),
            redacted: red.to_string(),
            start: start.parse().ok()?,
            end: end.parse().ok()?,
        });
    }
    Some(FileResult {
        matches,
        skipped,
        bytes: bytes.parse().ok()?,
        digests,
    })
}

/// How a later layer removed a file version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalKind {
    /// Deleted by a whiteout or an opaque parent directory (which one is not recorded).
    Deleted,
    /// Replaced by an entry no capture kept (a directory, or a non-directory at a parent).
    Replaced,
    /// A `.wh.` file deleted it (or a parent directory).
    Whiteout,
    /// A parent directory was made opaque.
    OpaqueDir,
    /// The same path was written again.
    Overwritten,
    /// The same path was written again, empty.
    Emptied,
    /// The path, or a parent directory, became a symlink.
    Symlink,
}

impl fmt::Display for RemovalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Deleted => "deleted",
            Self::Replaced => "replaced",
            Self::Whiteout => "deleted (whiteout)",
            Self::OpaqueDir => "hidden by an opaque directory",
            Self::Overwritten => "overwritten",
            Self::Emptied => "replaced by an empty file",
            Self::Symlink => "replaced by a symlink",
        })
    }
}

/// The first layer after `layer` that removed `path`, and how.
pub trait Removals {
    fn removed(&self, path: &str, layer: usize) -> Option<(usize, RemovalKind)>;
}

fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// Exact answers from the walk's per-layer results.
impl Removals for Vec<LayerResult> {
    fn removed(&self, path: &str, layer: usize) -> Option<(usize, RemovalKind)> {
        let mut later: Vec<&LayerResult> = self.iter().filter(|l| l.info.index > layer).collect();
        later.sort_by_key(|l| l.info.index);
        for l in later {
            if l.whiteouts.iter().any(|w| w == path || is_under(path, w)) {
                return Some((l.info.index, RemovalKind::Whiteout));
            }
            if l.opaques.iter().any(|o| is_under(path, o)) {
                return Some((l.info.index, RemovalKind::OpaqueDir));
            }
            if l.symlinks.keys().any(|s| s == path || is_under(path, s)) {
                return Some((l.info.index, RemovalKind::Symlink));
            }
            if let Some(c) = l.captured.iter().find(|c| c.meta.path == path) {
                let kind = if c.meta.size == 0 {
                    RemovalKind::Emptied
                } else {
                    RemovalKind::Overwritten
                };
                return Some((l.info.index, kind));
            }
        }
        None
    }
}

/// Counts for the report's summary line. The size cap is part of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// File versions scanned (all layers), and their bytes.
    pub files: u64,
    pub bytes: u64,
    pub binary: u64,
    pub utf16: u64,
    /// Files longer than the cap (scanned only up to it).
    pub truncated: u64,
    pub too_many_matches: u64,
    /// The per-file cap, in bytes.
    pub size_cap: u64,
    /// Findings in files a later layer removed.
    pub removed: u64,
    /// Findings reported at INFO as unchanged vendor content.
    pub vendor: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} file versions scanned ({} bytes) in every layer; {} binary and {} UTF-16 files skipped; files are scanned up to {} MiB",
            self.files,
            self.bytes,
            self.binary,
            self.utf16,
            self.size_cap >> 20
        )?;
        if self.truncated > 0 {
            write!(
                f,
                " ({} larger files scanned only up to it)",
                self.truncated
            )?;
        }
        if self.too_many_matches > 0 {
            write!(
                f,
                "; {} files with too many matches cut",
                self.too_many_matches
            )?;
        }
        Ok(())
    }
}

/// Findings and the summary.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Secret>,
    pub summary: Summary,
    pub notes: Vec<Note>,
}

/// The layer as findings name it. Its history line is shown with secrets masked: BuildKit
/// records build arguments there.
fn layer_ref(rules: &Rules, layers: &[LayerInfo], i: usize) -> LayerRef {
    let info = layers.iter().find(|l| l.index == i);
    LayerRef {
        index: i,
        digest: info.and_then(|l| l.digest.clone().or_else(|| l.diff_id.clone())),
        created_by: info
            .and_then(|l| l.created_by.as_deref())
            .map(|c| redact_text(rules, c)),
    }
}

fn finding(m: &SecretMatch, location: Location) -> Secret {
    let r = &DETECTORS[m.rule].rule;
    Secret {
        id: r.id.to_string(),
        severity: r.severity,
        title: r.title.to_string(),
        why: r.why.to_string(),
        fix: format!("{} {REBUILD_ADVICE}", r.fix),
        location,
        redacted: m.redacted.clone(),
        fingerprint: m.fingerprint.clone(),
        deleted_in: None,
        present: true,
        vendor: None,
    }
}

/// Every secret in every layer of `inv` (captured by [`SecretCapture`]), checked against the
/// vendor index, with removals from `removals` (exact) or, without it, from later captured
/// versions of the same path (overwrites only).
pub fn layer_findings(
    rules: &Rules,
    inv: &Inventory,
    vendor: &VendorIndex,
    removals: Option<&dyn Removals>,
) -> Report {
    let mut rep = Report {
        summary: Summary {
            size_cap: MAX_FILE_BYTES,
            ..Summary::default()
        },
        ..Report::default()
    };
    let versions: Vec<(&sekisho_artifact::Captured, Fate)> = inv.versions(CAPTURE).collect();
    let final_links: Vec<&str> = inv.symlinks().map(|(p, _)| p).collect();
    for (i, (c, fate)) in versions.iter().enumerate() {
        let visible = *fate == Fate::Visible;
        let Some(res) = decode(&c.data) else {
            rep.notes.push(Note::new(
                Some(c.layer),
                c.meta.path.clone(),
                "secret scan result unreadable (stale cache?); file not reported",
            ));
            continue;
        };
        let s = &mut rep.summary;
        s.files += 1;
        s.bytes += res.bytes;
        match res.skipped {
            Some(SkipReason::Binary) => s.binary += 1,
            Some(SkipReason::Utf16) => s.utf16 += 1,
            Some(SkipReason::Truncated { .. }) => s.truncated += 1,
            Some(SkipReason::TooManyMatches { .. }) => s.too_many_matches += 1,
            None => {}
        }
        if res.matches.is_empty() {
            continue;
        }
        let removal = match *fate {
            Fate::Visible => None,
            Fate::Deleted { layer } | Fate::Replaced { layer } => {
                let exact = removals
                    .and_then(|r| r.removed(&c.meta.path, c.layer))
                    .filter(|(l, _)| *l == layer)
                    .map(|(_, k)| k);
                let next = versions[i + 1..]
                    .iter()
                    .find(|(n, _)| n.meta.path == c.meta.path && n.layer == layer);
                let kind = exact.unwrap_or(match (fate, next) {
                    (Fate::Deleted { .. }, _) => RemovalKind::Deleted,
                    (_, Some((n, _))) if n.meta.size == 0 => RemovalKind::Emptied,
                    (_, Some(_)) => RemovalKind::Overwritten,
                    _ if final_links
                        .iter()
                        .any(|l| *l == c.meta.path || is_under(&c.meta.path, l)) =>
                    {
                        RemovalKind::Symlink
                    }
                    _ => RemovalKind::Replaced,
                });
                Some((layer, kind))
            }
        };
        let verdict = vendor.check(&c.meta.path, res.digests.as_ref());
        for m in &res.matches {
            let loc = if m.line == 0 {
                Location::file(&c.meta.path)
            } else {
                Location::at(&c.meta.path, m.line, m.column)
            };
            let mut f = finding(
                m,
                loc.in_layer(Some(layer_ref(rules, &inv.layers, c.layer))),
            );
            f.present = visible;
            if !visible {
                rep.summary.removed += 1;
                if let Some((l, how)) = removal {
                    f.deleted_in = Some(layer_ref(rules, &inv.layers, l));
                    f.why.push_str(&format!(
                        " The file was {how} in layer {l}, but layer {} still ships it to everyone who pulls the image.",
                        c.layer
                    ));
                }
            }
            match &verdict {
                Some(Verdict::Unchanged { package }) => {
                    rep.summary.vendor += 1;
                    f.severity = Severity::Info;
                    f.why = format!(
                        "Vendor content: {package} installed this file and it still matches the package's checksum, so the value is the package's own (a documented example or test key), not one of yours."
                    );
                    f.fix = format!(
                        "Nothing to rotate unless your application uses this value. To silence it, ignore fingerprint {} in .sekishoignore.",
                        f.fingerprint
                    );
                    f.vendor = Some(VendorContent {
                        package: package.clone(),
                        unchanged: true,
                    });
                }
                Some(Verdict::Modified { package }) => {
                    f.why.push_str(&format!(
                        " The file belongs to {package} but no longer matches the package's checksum: it was changed after install."
                    ));
                    f.vendor = Some(VendorContent {
                        package: package.clone(),
                        unchanged: false,
                    });
                }
                Some(Verdict::Unverified { package, why }) => {
                    f.why.push_str(&format!(
                        " The file belongs to {package}, but whether it is unchanged cannot be checked: {why}."
                    ));
                    f.vendor = Some(VendorContent {
                        package: package.clone(),
                        unchanged: false,
                    });
                }
                None => {}
            }
            rep.findings.push(f);
        }
    }
    rep
}

/// Secrets in the image config (Env, Labels, history), as findings.
pub fn config_findings(rules: &Rules, meta: &ImageMeta, layers: &[LayerInfo]) -> Vec<Secret> {
    scan_config(rules, meta)
        .into_iter()
        .map(|c| {
            let loc = Location::logical(c.logical).in_layer(c.layer.map(|l| layer_ref(rules, layers, l)));
            let mut f = finding(&c.found, loc);
            f.why.push_str(&format!(
                " It is in the image config ({}), which `docker inspect` and `docker history` show to anyone with the image.",
                c.what
            ));
            f
        })
        .collect()
}

/// Everything: every layer's files and the image config.
pub fn analyze(
    rules: &Rules,
    inv: &Inventory,
    meta: Option<&ImageMeta>,
    removals: Option<&dyn Removals>,
) -> Report {
    let vendor = VendorIndex::from_inventory(inv);
    let mut rep = layer_findings(rules, inv, &vendor, removals);
    rep.notes.extend(vendor.notes);
    if let Some(m) = meta {
        rep.findings.extend(config_findings(rules, m, &inv.layers));
    }
    rep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_rejects_garbage() {
        let rules = Rules::builtin().unwrap();
        let s = crate::fixture::sample("github-pat", 1).unwrap();
        let mut sc = FileScanner::with_options(
            rules,
            "a/.env",
            FileOptions {
                size: None,
                digests: true,
            },
        );
        sc.feed(s.text.as_bytes());
        let r = sc.finish();
        assert!(r.digests.is_some());
        assert_eq!(decode(&encode(&r)), Some(r.clone()));
        let text = String::from_utf8(encode(&r)).unwrap();
        assert!(!text.contains(&s.value[4..]));
        for bad in [
            &b""[..],
            b"s1\t1\t-\t-\n",
            b"s2\t1\t-\t-\t-\n",
            b"s1\tx\t-\t-\t-\n",
            b"s1\t1\t-\t-\t-\nnope\t1\t1\tff\tx\n",
            b"\xff",
        ] {
            assert_eq!(decode(bad), None);
        }
        let t = FileResult {
            skipped: Some(SkipReason::Truncated { limit: 5, size: 9 }),
            ..FileResult::default()
        };
        assert_eq!(decode(&encode(&t)), Some(t));
    }
}
