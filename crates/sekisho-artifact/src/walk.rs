//! One walk of one layer, feeding every analyzer that wants an entry.
//!
//! The walker owns the traversal; an analyzer only says what it wants ([`Capture::wants`]) and
//! how it reads: pull ([`Capture::capture`] gets a reader) or push ([`Capture::sink`] gets the
//! content chunk by chunk). When several consumers want one file, its bytes are read once and
//! teed: one pull capture drives the read, every push sink sees each chunk as it passes, and a
//! second pull capture (rare) gets a copy bounded by its own size limit. So a secret scanner and
//! the sparse executable reader share one read of a 200 MB binary without either buffering it.
//!
//! The walk also records what later stages need besides captured bytes: whiteouts, opaque
//! directories, symlinks, and, when asked, every path written ([`Capture::tracks_history`], so a
//! version deleted or replaced by a later layer is known as such) and a per-entry index with
//! content digests ([`IndexMode`], for drift).

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest as _, Sha256};

pub use crate::layer::{
    CaptureNote, Captured, EndRun, EntryRun, IndexEntry, IndexMode, LayerResult, StartRun,
};
use crate::layer::{EntryKind, EntryMeta, EntryRead, LayerSource, Note, ReadAt, WalkError};

/// Default cap on one captured file (bytes).
pub const DEFAULT_CAPTURE_LIMIT: u64 = 64 << 20;

/// Size of the chunks a teed file is read in.
const CHUNK: usize = 256 << 10;

/// A request, registered by an analyzer, for certain entries' content.
pub trait Capture: Send + Sync {
    /// Stable identifier; part of the per-layer cache key, so bump it when `capture` changes.
    fn id(&self) -> &'static str;
    /// Whether this entry is wanted. Decide from the path (and kind/size/mode); must be cheap.
    fn wants(&self, meta: &EntryMeta) -> bool;
    /// Largest entry this capture reads; larger ones are skipped with a note.
    fn max_size(&self) -> u64 {
        DEFAULT_CAPTURE_LIMIT
    }
    /// Read the entry and return what to keep. The default keeps the whole content.
    /// `Ok(None)` means "looked at it, nothing to keep" (e.g. an ELF without Go build info).
    /// An `InvalidData` error becomes a note naming the file; any other error stops the walk.
    fn capture(&self, meta: &EntryMeta, r: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
        let mut buf = Vec::with_capacity(meta.size.min(1 << 20) as usize);
        r.take(self.max_size().saturating_add(1))
            .read_to_end(&mut buf)?;
        if buf.len() as u64 > self.max_size() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("larger than the {} byte capture limit", self.max_size()),
            ));
        }
        Ok(Some(buf))
    }
    /// Read the entry through random access, when the source offers it and this capture is the
    /// entry's only reader: `None` (the default) reads it as a stream with [`Capture::capture`]
    /// instead. What it keeps must be what `capture` would keep, except where `capture` could
    /// only report part of a large file as unread.
    fn capture_at(
        &self,
        _meta: &EntryMeta,
        _at: &dyn ReadAt,
    ) -> Option<io::Result<Option<Vec<u8>>>> {
        None
    }
    /// A push consumer for this entry: when `Some`, the walker feeds the content to it chunk by
    /// chunk instead of calling [`Capture::capture`], so it can share one read with other
    /// consumers in constant memory.
    fn sink(&self, _meta: &EntryMeta) -> Option<Box<dyn CaptureSink>> {
        None
    }
    /// True when this capture needs to know, for every version it kept, whether a later layer
    /// deleted or replaced it, whatever replaced it (secret scanning). The walk then records
    /// every path each layer writes, not only captured ones.
    fn tracks_history(&self) -> bool {
        false
    }
}

/// A push consumer of one entry's content (see [`Capture::sink`]).
pub trait CaptureSink: Send {
    /// The next chunk. Return `false` once nothing more is needed (the walker stops feeding this
    /// sink; other consumers still get the rest).
    fn write(&mut self, chunk: &[u8]) -> io::Result<bool>;
    /// The content ended (or the sink said it had enough): what to keep.
    fn finish(self: Box<Self>) -> io::Result<Option<Vec<u8>>>;
}

/// What one walk does.
#[derive(Clone, Copy, Default)]
pub struct WalkOptions<'a> {
    pub captures: &'a [&'a dyn Capture],
    pub index: IndexMode,
    /// Set by the caller to stop the walk at the next entry.
    pub cancel: Option<&'a AtomicBool>,
    /// Most threads the walk may use. With 2 or more, a source that can visit its entries from
    /// several threads ([`LayerSource::walk_parallel`], a directory tree) does; the result is the
    /// same as a walk on one thread, entry for entry.
    pub threads: usize,
}

/// Walk one layer with the given captures (see [`walk_layer_with`]).
pub fn walk_layer(
    source: &mut dyn LayerSource,
    captures: &[&dyn Capture],
) -> Result<LayerResult, WalkError> {
    walk_layer_with(
        source,
        &WalkOptions {
            captures,
            ..WalkOptions::default()
        },
    )
}

/// A consumer of one entry during a teed read.
enum Consumer<'c> {
    /// A push sink of a capture.
    Push {
        capture: &'c dyn Capture,
        sink: Box<dyn CaptureSink>,
        open: bool,
    },
    /// A pull capture that did not drive the read: it gets a copy, bounded by its limit.
    Copy {
        capture: &'c dyn Capture,
        buf: Vec<u8>,
        over: bool,
    },
    /// The index's content digest.
    Digest(Sha256),
}

impl Consumer<'_> {
    fn wants_more(&self) -> bool {
        match self {
            Self::Push { open, .. } => *open,
            Self::Copy { over, .. } => !*over,
            Self::Digest(_) => true,
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> io::Result<()> {
        match self {
            Self::Push { sink, open, .. } if *open => {
                *open = sink.write(chunk)?;
            }
            Self::Push { .. } => {}
            Self::Copy { capture, buf, over } if !*over => {
                if (buf.len() + chunk.len()) as u64 > capture.max_size() {
                    *over = true;
                    *buf = Vec::new();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            Self::Copy { .. } => {}
            Self::Digest(h) => h.update(chunk),
        }
        Ok(())
    }
}

/// A reader that passes every byte it reads to the other consumers of the entry.
struct Tee<'r, 'c, 'k> {
    inner: &'r mut dyn Read,
    others: &'k mut [Consumer<'c>],
}

impl Read for Tee<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for c in self.others.iter_mut() {
            c.feed(&buf[..n])?;
        }
        Ok(n)
    }
}

/// Per-walk state shared by the entry visitor.
struct State<'a> {
    layer: usize,
    opts: &'a WalkOptions<'a>,
    track: bool,
    res: LayerResult,
}

impl State<'_> {
    fn note(&mut self, capture: &dyn Capture, path: &str, message: String) {
        self.res.capture_notes.push(CaptureNote {
            capture: capture.id().to_string(),
            seq: self.res.entries.saturating_sub(1),
            note: Note::new(Some(self.layer), path.to_string(), message),
        });
    }

    fn keep(&mut self, capture: &dyn Capture, meta: &EntryMeta, data: Vec<u8>) {
        self.res.captured.push(Captured {
            capture: capture.id().to_string(),
            meta: meta.clone(),
            layer: self.layer,
            data,
        });
    }

    /// A capture's outcome: keep, nothing, a note, or a walk-stopping error.
    fn outcome(
        &mut self,
        capture: &dyn Capture,
        meta: &EntryMeta,
        r: io::Result<Option<Vec<u8>>>,
    ) -> io::Result<()> {
        match r {
            Ok(Some(data)) => self.keep(capture, meta, data),
            Ok(None) => {}
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                self.note(
                    capture,
                    &meta.path,
                    format!("skipped by {}: {e}", capture.id()),
                );
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    fn hardlink(&mut self, meta: &EntryMeta, target: &str, wanted: &[&dyn Capture]) {
        // Content lives at the target, written earlier in this layer.
        for c in wanted {
            let prev = self
                .res
                .captured
                .iter()
                .find(|x| x.capture == c.id() && x.meta.path == target)
                .cloned();
            match prev {
                Some(prev) => {
                    let mut m = prev.meta.clone();
                    m.path = meta.path.clone();
                    self.keep(*c, &m, prev.data);
                }
                None => self.note(
                    *c,
                    &meta.path,
                    format!(
                        "skipped: hard link to {target}, which is missing or not captured by {}",
                        c.id()
                    ),
                ),
            }
        }
    }

    fn visit(&mut self, meta: &EntryMeta, r: &mut dyn EntryRead) -> io::Result<()> {
        if self.opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(io::Error::other(Cancelled));
        }
        self.res.entries += 1;
        match &meta.kind {
            EntryKind::Whiteout => {
                self.res.whiteouts.insert(meta.path.clone());
                return Ok(());
            }
            EntryKind::Opaque => {
                self.res.opaques.insert(meta.path.clone());
                return Ok(());
            }
            EntryKind::Symlink { target } => {
                self.res.symlinks.insert(meta.path.clone(), target.clone());
            }
            EntryKind::File => self.res.bytes += meta.size,
            _ => {}
        }
        if self.track {
            self.res
                .written
                .insert(meta.path.clone(), meta.kind == EntryKind::Dir);
        }
        let digest = self.opts.index == IndexMode::Digest && meta.is_file();
        let wanted: Vec<&dyn Capture> = self
            .opts
            .captures
            .iter()
            .copied()
            .filter(|c| c.wants(meta))
            .collect();
        if let EntryKind::Hardlink { target } = &meta.kind {
            let target = target.clone();
            if !wanted.is_empty() {
                self.hardlink(meta, &target, &wanted);
            }
            if self.opts.index != IndexMode::Off {
                // A hard link has its target's content (and digest).
                let d = self
                    .res
                    .index
                    .iter()
                    .rev()
                    .find(|e| e.meta.path == target)
                    .and_then(|e| e.digest.clone());
                self.res.index.push(IndexEntry {
                    meta: meta.clone(),
                    digest: d,
                });
            }
            return Ok(());
        }
        if !meta.is_file() || (wanted.is_empty() && !digest) {
            if self.opts.index != IndexMode::Off {
                self.res.index.push(IndexEntry {
                    meta: meta.clone(),
                    digest: None,
                });
            }
            return Ok(());
        }
        // Size limits, per capture.
        let mut fit: Vec<&dyn Capture> = Vec::with_capacity(wanted.len());
        for c in wanted {
            if meta.size > c.max_size() {
                self.note(
                    c,
                    &meta.path,
                    format!(
                        "skipped by {}: {} bytes exceeds its {} byte limit",
                        c.id(),
                        meta.size,
                        c.max_size()
                    ),
                );
            } else {
                fit.push(c);
            }
        }
        // The common case: one pull capture, nothing else reads the file.
        let sinks: Vec<Option<Box<dyn CaptureSink>>> = fit.iter().map(|c| c.sink(meta)).collect();
        if fit.len() == 1 && sinks[0].is_none() && !digest {
            let c = fit[0];
            if let Some(at) = r.random_access()? {
                if let Some(out) = c.capture_at(meta, at) {
                    return self.outcome(c, meta, out);
                }
            }
            let out = c.capture(meta, r);
            return self.outcome(c, meta, out);
        }
        // Teed read. The pull capture with the largest limit drives it; push sinks, extra pull
        // captures (bounded copies) and the digest see every chunk.
        let mut driver: Option<&dyn Capture> = None;
        let mut consumers: Vec<Consumer<'_>> = Vec::new();
        let mut pulls: Vec<&dyn Capture> = Vec::new();
        for (c, s) in fit.iter().zip(sinks) {
            match s {
                Some(sink) => consumers.push(Consumer::Push {
                    capture: *c,
                    sink,
                    open: true,
                }),
                None => pulls.push(*c),
            }
        }
        pulls.sort_by_key(|c| std::cmp::Reverse(c.max_size()));
        let mut pulls = pulls.into_iter();
        if let Some(d) = pulls.next() {
            driver = Some(d);
        }
        for c in pulls {
            consumers.push(Consumer::Copy {
                capture: c,
                buf: Vec::new(),
                over: false,
            });
        }
        if digest {
            consumers.push(Consumer::Digest(Sha256::new()));
        }
        let driven = driver.map(|d| {
            let mut tee = Tee {
                inner: r,
                others: &mut consumers,
            };
            (d, d.capture(meta, &mut tee))
        });
        // Whatever the driver left unread goes to the consumers that still want it.
        if consumers.iter().any(Consumer::wants_more) {
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = match r.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                for c in consumers.iter_mut() {
                    c.feed(&buf[..n])?;
                }
                if !consumers.iter().any(Consumer::wants_more) {
                    break;
                }
            }
        }
        if let Some((d, out)) = driven {
            self.outcome(d, meta, out)?;
        }
        let mut sum = None;
        for c in consumers {
            match c {
                Consumer::Push { capture, sink, .. } => {
                    let out = sink.finish();
                    self.outcome(capture, meta, out)?;
                }
                Consumer::Copy { capture, buf, over } => {
                    if over {
                        self.note(
                            capture,
                            &meta.path,
                            format!(
                                "skipped by {}: larger than its {} byte limit",
                                capture.id(),
                                capture.max_size()
                            ),
                        );
                    } else {
                        let out = capture.capture(meta, &mut buf.as_slice());
                        self.outcome(capture, meta, out)?;
                    }
                }
                Consumer::Digest(h) => sum = Some(format!("sha256:{}", hex::encode(h.finalize()))),
            }
        }
        if self.opts.index != IndexMode::Off {
            self.res.index.push(IndexEntry {
                meta: meta.clone(),
                digest: sum,
            });
        }
        Ok(())
    }
}

impl EntryRun for State<'_> {
    fn visit(&mut self, meta: &EntryMeta, r: &mut dyn EntryRead) -> io::Result<()> {
        State::visit(self, meta, r)
    }
    fn note(&mut self, note: Note) {
        self.res.notes.push(note);
    }
    fn finish(self: Box<Self>) -> LayerResult {
        self.res
    }
}

impl State<'_> {
    /// Append a run's result, as if its entries had been visited here, after every entry so far.
    fn absorb(&mut self, run: LayerResult) {
        let r = &mut self.res;
        let base = r.entries;
        r.entries += run.entries;
        r.bytes += run.bytes;
        r.captured.extend(run.captured);
        r.capture_notes
            .extend(run.capture_notes.into_iter().map(|mut n| {
                n.seq += base;
                n
            }));
        r.whiteouts.extend(run.whiteouts);
        r.opaques.extend(run.opaques);
        r.symlinks.extend(run.symlinks);
        r.written.extend(run.written);
        r.index.extend(run.index);
        r.notes.extend(run.notes);
    }
}

/// The marker error a cancelled visit returns through the layer source.
#[derive(Debug)]
struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}

fn is_cancel(e: &WalkError) -> bool {
    match e {
        WalkError::Cancelled => true,
        WalkError::Io { source, .. } => source
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<Cancelled>().is_some()),
        _ => false,
    }
}

/// Walk one layer: every entry once, each wanted file's content read once for all of its
/// consumers.
///
/// # Errors
/// When the layer cannot be walked at all (entry-level problems become notes), or
/// [`WalkError::Cancelled`].
pub fn walk_layer_with(
    source: &mut dyn LayerSource,
    opts: &WalkOptions<'_>,
) -> Result<LayerResult, WalkError> {
    let info = source.info().clone();
    let mut st = State {
        layer: info.index,
        opts,
        track: opts.captures.iter().any(|c| c.tracks_history()),
        res: LayerResult {
            info,
            ..LayerResult::default()
        },
    };
    let mut notes = Vec::new();
    let parallel = if opts.threads >= 2 {
        let layer = st.layer;
        let track = st.track;
        let start = move || -> Box<dyn EntryRun + '_> {
            Box::new(State {
                layer,
                opts,
                track,
                res: LayerResult::default(),
            })
        };
        let mut end = |run: Box<dyn EntryRun + '_>| st.absorb(run.finish());
        source.walk_parallel(opts.threads, &start, &mut end)
    } else {
        None
    };
    let r = match parallel {
        Some(r) => r,
        None => {
            let mut visit = |meta: &EntryMeta, r: &mut dyn EntryRead| st.visit(meta, r);
            source.walk(&mut visit, &mut notes)
        }
    };
    if let Err(e) = r {
        if is_cancel(&e) || opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(WalkError::Cancelled);
        }
        return Err(e);
    }
    st.res.notes.extend(notes);
    Ok(st.res)
}
