//! One image layer: a (gzip, zstd or plain) tar blob walked once, front to back, as a
//! [`LayerSource`].
//!
//! Why our own tar reader and not `tar::Archive`: layers are hostile input. We need hard caps on
//! every header we buffer (GNU long names, PAX records, sparse maps), a clear error naming the
//! layer and the path for each problem, whiteout translation, and a zero-copy skip over the data
//! nobody wants. We never unpack anything to disk.
//!
//! The blob is read and inflated on its own thread into a bounded channel of chunks, so inflating
//! (the expensive part) overlaps with tar parsing, hashing and the captures. While streaming we
//! check the blob's sha256 against the manifest digest and the uncompressed sha256 against the
//! config's diff_id, and enforce [`Limits`] against decompression bombs.
//!
//! Formats: POSIX ustar (with the 155-byte prefix), GNU (`L`/`K` long names, old sparse `S`),
//! PAX (`x` records: path, linkpath, size, uid, gid, mtime, GNU sparse 0.1 and 1.0), v7.
//! Whiteouts follow the OCI image spec, layer.md "Whiteouts": `.wh.NAME` deletes NAME, and
//! `.wh..wh..opq` makes its directory opaque.

mod decode;
mod dispatch;
#[cfg(test)]
mod test_tar;
mod whiteout;

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use sha2::{Digest as _, Sha256};

use crate::image::ImageError;
use crate::layer::{LayerInfo, LayerSource, Note, Visitor, WalkError};
use decode::{Decoder, Where, padding, skip_exact};
use whiteout::Placement;

/// Opens the raw (possibly compressed) bytes of a blob. Called once per walk.
pub trait BlobOpener: Send + Sync {
    fn open(&self) -> Result<Box<dyn Read + Send>, ImageError>;
}

/// Caps that protect us from decompression bombs and absurd layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most uncompressed bytes one layer may inflate to.
    pub max_inflated: u64,
    /// Most tar entries in one layer.
    pub max_entries: u64,
    /// Largest inflated/compressed ratio, checked once a layer has inflated past 64 MiB. Gzip
    /// cannot exceed about 1032:1, so this only catches zstd bombs; the default leaves room for
    /// real layers holding big zero-filled files (zstd packs those about 25000:1).
    pub max_ratio: u64,
    /// Largest GNU long name, PAX header or sparse map we buffer.
    pub max_header_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_inflated: 64 << 30,
            max_entries: 20_000_000,
            max_ratio: 100_000,
            max_header_bytes: 1 << 20,
        }
    }
}

const CHUNK: usize = 256 << 10;
const QUEUE: usize = 8;
const RATIO_FLOOR: u64 = 64 << 20;

/// Compression of a layer blob, detected from its first bytes (media types lie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

impl Compression {
    pub fn detect(head: &[u8]) -> Result<Self, &'static str> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Ok(Self::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Ok(Self::Zstd)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Err("xz-compressed layers are not supported")
        } else if head.starts_with(b"BZh") {
            Err("bzip2-compressed layers are not supported")
        } else {
            Ok(Self::None)
        }
    }
}

/// A layer whose content is a tar stream.
pub struct TarLayer {
    info: LayerInfo,
    blob: Arc<dyn BlobOpener>,
    /// sha256 the raw blob must have (the manifest digest).
    expect_digest: Option<String>,
    /// sha256 the uncompressed tar must have (the config's diff_id).
    expect_diff_id: Option<String>,
    limits: Limits,
}

impl TarLayer {
    /// `info.digest`/`info.diff_id`, when set, are verified while streaming.
    pub fn new(info: LayerInfo, blob: Arc<dyn BlobOpener>, limits: Limits) -> Self {
        Self {
            expect_digest: info.digest.clone(),
            expect_diff_id: info.diff_id.clone(),
            info,
            blob,
            limits,
        }
    }

    fn name(&self) -> String {
        layer_name(&self.info)
    }
}

/// How errors name a layer: its digest, else its diff_id, else its description.
pub fn layer_name(info: &LayerInfo) -> String {
    info.digest
        .clone()
        .or_else(|| info.diff_id.clone())
        .or_else(|| info.description.clone())
        .unwrap_or_else(|| format!("#{}", info.index))
}

impl LayerSource for TarLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }

    /// The walk, the inflate thread, and the feeder that hashes the blob when it has a digest.
    fn threads(&self) -> usize {
        if self.expect_digest.is_some() { 3 } else { 2 }
    }

    fn walk(&mut self, visit: &mut Visitor<'_>, notes: &mut Vec<Note>) -> Result<(), WalkError> {
        let name = self.name();
        let mut raw = self.blob.open().map_err(|e| WalkError::Layer {
            layer: name.clone(),
            message: format!("opening blob: {e}"),
        })?;
        // With a digest to check, the first bytes say whether the blob is compressed (the inflate
        // thread looks again).
        let mut plain = false;
        if self.expect_digest.is_some() {
            let mut head = [0u8; 8];
            let n = fill(&mut raw, &mut head).map_err(|e| WalkError::Layer {
                layer: name.clone(),
                message: read_error("reading blob", &e),
            })?;
            plain = Compression::detect(&head[..n]) == Ok(Compression::None);
            raw = Box::new(io::Cursor::new(head[..n].to_vec()).chain(raw));
        }
        let (tx, rx) = sync_channel(QUEUE);
        // Consumed chunks go back to the inflate thread for reuse, so the hot loop neither
        // allocates nor faults in fresh pages.
        let (back_tx, back_rx) = sync_channel(QUEUE + 2);
        let limits = self.limits.clone();
        // Three stages, so the inflate thread does nothing but inflate: a feeder reads the blob
        // and hashes it (the manifest digest), the inflate thread decompresses, and this thread
        // hashes the uncompressed stream (the diff_id) and walks the tar. An uncompressed blob with
        // a digest (a `blobs/sha256/` docker-archive layer) is its own uncompressed stream: the
        // feeder's one hash is checked against both the digest and the diff_id, and this thread
        // only parses. (Without a digest, a feeder thread only for the diff_id measured slower
        // than hashing here: docs/benchmarks.md, issue 20.)
        let mut checks = Vec::new();
        if let Some(d) = &self.expect_digest {
            checks.push(Check::Digest(d.clone()));
        }
        let diff_id = match (&self.expect_diff_id, plain) {
            (Some(d), true) => {
                checks.push(Check::DiffId(d.clone()));
                None
            }
            (d, _) => d.clone(),
        };
        std::thread::scope(|s| {
            let pump_name = name.clone();
            let pump_limits = limits.clone();
            let raw: Box<dyn Read + Send> = if checks.is_empty() {
                raw
            } else {
                let (ftx, frx) = sync_channel(QUEUE);
                let (fback_tx, fback_rx) = sync_channel(QUEUE + 2);
                s.spawn(move || feed(raw, &checks, &ftx, &fback_rx));
                Box::new(FeedReader {
                    rx: frx,
                    back: fback_tx,
                    cur: Vec::new(),
                    at: 0,
                    done: false,
                })
            };
            s.spawn(move || pump(raw, tx, &back_rx, &pump_limits, &pump_name));
            let mut input = ChanReader::new(rx);
            input.back = Some(back_tx);
            if diff_id.is_some() {
                input.hasher = Some(Sha256::new());
            }
            let r = walk_tar(&mut input, self.info.index, &name, &limits, visit, notes);
            let r = match r {
                Ok(()) => input
                    .drain()
                    .map_err(|e| input.take_walk_error(&name, "", e))
                    .and_then(|()| {
                        let (Some(want), Some(h)) = (&diff_id, input.hasher.take()) else {
                            return Ok(());
                        };
                        let got = format!("sha256:{}", hex::encode(h.finalize()));
                        if &got == want {
                            Ok(())
                        } else {
                            Err(WalkError::Layer {
                                layer: name.clone(),
                                message: format!(
                                    "diff_id mismatch: the config says {want}, the uncompressed content is {got}"
                                ),
                            })
                        }
                    }),
                Err(e) => Err(input.failed.take().unwrap_or(e)),
            };
            // Dropping `input` closes the channel, so the pump stops if we stopped early.
            drop(input);
            r
        })
    }
}

/// Inflate `raw` into chunks. Runs on its own thread. Errors are sent down the channel.
fn pump(
    raw: Box<dyn Read + Send>,
    tx: SyncSender<Result<Vec<u8>, WalkError>>,
    back: &Receiver<Vec<u8>>,
    limits: &Limits,
    name: &str,
) {
    let fail = |tx: &SyncSender<Result<Vec<u8>, WalkError>>, message: String| {
        let _ = tx.send(Err(WalkError::Layer {
            layer: name.to_string(),
            message,
        }));
    };
    let compressed = Arc::new(AtomicU64::new(0));
    let mut br = BufReader::with_capacity(
        CHUNK,
        CountRead {
            inner: raw,
            count: compressed.clone(),
        },
    );
    let head = match br.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => return fail(&tx, read_error("reading blob", &e)),
    };
    let comp = match Compression::detect(&head) {
        Ok(c) => c,
        Err(m) => return fail(&tx, m.to_string()),
    };
    let mut inflated: u64 = 0;
    {
        let mut dec: Box<dyn Read + '_> = match comp {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(&mut br)),
            Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(&mut br) {
                Ok(d) => Box::new(d),
                Err(e) => return fail(&tx, format!("starting zstd decoder: {e}")),
            },
            Compression::None => Box::new(&mut br),
        };
        let what = match comp {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::None => "tar",
        };
        loop {
            let mut buf = back.try_recv().unwrap_or_default();
            buf.resize(CHUNK, 0);
            let n = match fill(&mut dec, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    return fail(
                        &tx,
                        read_error(
                            &format!(
                                "{what} stream is truncated or corrupt after {} compressed bytes",
                                compressed.load(Ordering::Relaxed)
                            ),
                            &e,
                        ),
                    );
                }
            };
            if n == 0 {
                break;
            }
            inflated += n as u64;
            if inflated > limits.max_inflated {
                return fail(
                    &tx,
                    format!(
                        "inflates to more than the {} byte limit (decompression bomb?)",
                        limits.max_inflated
                    ),
                );
            }
            let c = compressed.load(Ordering::Relaxed).max(1);
            if inflated > RATIO_FLOOR && inflated / c > limits.max_ratio {
                return fail(
                    &tx,
                    format!(
                        "inflates more than {}:1 ({inflated} bytes from {c}; decompression bomb?)",
                        limits.max_ratio
                    ),
                );
            }
            buf.truncate(n);
            if tx.send(Ok(buf)).is_err() {
                return; // the walker stopped
            }
        }
    }
    // Read anything after the compressed stream too: the digest covers the whole blob, and the
    // feeder reports a mismatch only at its end.
    if let Err(e) = io::copy(&mut br, &mut io::sink()) {
        fail(&tx, read_error("reading blob", &e));
    }
}

/// Read until `buf` is full or the stream ends (retrying interrupted reads); how many bytes.
fn fill<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The message for a failed read of the blob: a digest mismatch found by the feeder is reported
/// as itself (the stream was fine, its bytes are not the ones the manifest names), anything else
/// in the context of `what`.
fn read_error(what: &str, e: &io::Error) -> String {
    match e.get_ref().and_then(|x| x.downcast_ref::<DigestMismatch>()) {
        Some(d) => d.0.clone(),
        None => format!("{what}: {e}"),
    }
}

/// The blob's bytes do not hash to the digest the manifest names.
#[derive(Debug)]
struct DigestMismatch(String);

impl std::fmt::Display for DigestMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DigestMismatch {}

/// What the sha256 of the raw blob must be.
enum Check {
    /// The manifest's digest of the blob.
    Digest(String),
    /// The config's diff_id, for a blob that is not compressed (its own uncompressed content).
    DiffId(String),
}

/// Read the raw blob in chunks, hash it and hand the chunks on; at the end compare the hash with
/// every check and end the stream with a [`DigestMismatch`] error at the first that differs.
/// Runs on its own thread, so hashing overlaps the inflate and the tar parsing.
fn feed(
    mut raw: Box<dyn Read + Send>,
    checks: &[Check],
    tx: &SyncSender<io::Result<Vec<u8>>>,
    back: &Receiver<Vec<u8>>,
) {
    let mut h = Sha256::new();
    loop {
        let mut buf = back.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        let n = match fill(&mut raw, &mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        buf.truncate(n);
        if tx.send(Ok(buf)).is_err() {
            return; // the inflate stage stopped
        }
    }
    let got = format!("sha256:{}", hex::encode(h.finalize()));
    let wrong = checks.iter().find_map(|c| match c {
        Check::Digest(want) if *want != got => {
            Some(format!("blob digest mismatch: expected {want}, got {got}"))
        }
        Check::DiffId(want) if *want != got => Some(format!(
            "diff_id mismatch: the config says {want}, the uncompressed content is {got}"
        )),
        _ => None,
    });
    if let Some(m) = wrong {
        let _ = tx.send(Err(io::Error::new(
            io::ErrorKind::InvalidData,
            DigestMismatch(m),
        )));
    }
}

/// The inflate stage's view of the feeder's chunks.
struct FeedReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    back: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    at: usize,
    done: bool,
}

impl Read for FeedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.cur.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(v)) => {
                    let old = std::mem::replace(&mut self.cur, v);
                    if old.capacity() >= CHUNK {
                        let _ = self.back.try_send(old);
                    }
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        let n = buf.len().min(self.cur.len() - self.at);
        buf[..n].copy_from_slice(&self.cur[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Counts what passes through (for the compression-ratio limit).
struct CountRead {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for CountRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The tar walker's input: a reader that can also skip cheaply.
pub trait TarInput: Read {
    /// Skip up to `n` bytes; returns how many were skipped (less only at end of stream).
    fn skip(&mut self, n: u64) -> io::Result<u64>;
    /// Bytes consumed so far.
    fn position(&self) -> u64;
}

/// Consumer end of the inflate pipeline.
struct ChanReader {
    rx: Receiver<Result<Vec<u8>, WalkError>>,
    cur: Vec<u8>,
    at: usize,
    pos: u64,
    eof: bool,
    /// The error the pump sent, kept so the walk can report it instead of a generic io error.
    failed: Option<WalkError>,
    /// Hash of everything received (the diff_id), when it is to be verified.
    hasher: Option<Sha256>,
    /// Where consumed chunks are returned for reuse.
    back: Option<SyncSender<Vec<u8>>>,
}

impl ChanReader {
    fn new(rx: Receiver<Result<Vec<u8>, WalkError>>) -> Self {
        Self {
            rx,
            cur: Vec::new(),
            at: 0,
            pos: 0,
            eof: false,
            failed: None,
            hasher: None,
            back: None,
        }
    }

    /// Make sure there are unread bytes in `cur`, unless at end of stream.
    fn refill(&mut self) -> io::Result<()> {
        while self.at >= self.cur.len() && !self.eof {
            match self.rx.recv() {
                Ok(Ok(v)) => {
                    if let Some(h) = self.hasher.as_mut() {
                        h.update(&v);
                    }
                    let old = std::mem::replace(&mut self.cur, v);
                    if let Some(b) = &self.back {
                        if old.capacity() >= CHUNK {
                            let _ = b.try_send(old);
                        }
                    }
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    let msg = e.to_string();
                    self.failed = Some(e);
                    self.eof = true;
                    return Err(io::Error::other(msg));
                }
                Err(_) => self.eof = true,
            }
        }
        if self.failed.is_some() {
            return Err(io::Error::other("layer stream failed"));
        }
        Ok(())
    }

    /// Read to the end so digest checks run.
    fn drain(&mut self) -> io::Result<()> {
        loop {
            self.refill()?;
            if self.at >= self.cur.len() {
                return Ok(());
            }
            self.pos += (self.cur.len() - self.at) as u64;
            self.at = self.cur.len();
        }
    }

    fn take_walk_error(&mut self, layer: &str, path: &str, e: io::Error) -> WalkError {
        self.failed.take().unwrap_or_else(|| WalkError::Io {
            layer: layer.to_string(),
            path: path.to_string(),
            source: e,
        })
    }
}

impl Read for ChanReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.refill()?;
        let n = buf.len().min(self.cur.len() - self.at);
        buf[..n].copy_from_slice(&self.cur[self.at..self.at + n]);
        self.at += n;
        self.pos += n as u64;
        Ok(n)
    }
}

impl TarInput for ChanReader {
    fn skip(&mut self, mut n: u64) -> io::Result<u64> {
        let want = n;
        while n > 0 {
            self.refill()?;
            let avail = (self.cur.len() - self.at) as u64;
            if avail == 0 {
                break;
            }
            let k = avail.min(n);
            self.at += k as usize;
            self.pos += k;
            n -= k;
        }
        Ok(want - n)
    }
    fn position(&self) -> u64 {
        self.pos
    }
}

/// A tar held in memory (tests, fuzzing).
pub struct SliceInput<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SliceInput<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }
}

impl Read for SliceInput<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl TarInput for SliceInput<'_> {
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let k = (n.min((self.data.len() - self.pos) as u64)) as usize;
        self.pos += k;
        Ok(k as u64)
    }
    fn position(&self) -> u64 {
        self.pos as u64
    }
}

/// Walk a tar stream, calling `visit` for each entry. `layer` names the layer in errors.
///
/// Three steps per entry, each its own module: [`decode`] reads the headers (and the metadata
/// entries and sparse maps before the data), [`whiteout`] decides where the entry lands, and
/// [`dispatch`] hands it to the visitor and moves the stream to the next header.
///
/// # Errors
/// What stops the layer: a corrupt header, a limit, a read error or the visitor's error, named
/// by the layer and, where there is one, the path. Entries that cannot be used are skipped with
/// a note instead.
pub fn walk_tar<I: TarInput>(
    r: &mut I,
    index: usize,
    layer: &str,
    limits: &Limits,
    visit: &mut Visitor<'_>,
    notes: &mut Vec<Note>,
) -> Result<(), WalkError> {
    let at = Where { index, layer };
    let mut decoder = Decoder::new(at, limits);
    while let Some(mut e) = decoder.next(r, notes)? {
        match whiteout::place(&e.path, &e.kind) {
            Placement::Keep => {}
            Placement::Marker { kind, path } => {
                e.kind = kind;
                e.path = path;
            }
            Placement::Root => {
                skip_exact(r, e.data + padding(e.stored), "file data")
                    .map_err(|err| at.io_error("", err))?;
                continue;
            }
            Placement::Bookkeeping => {
                skip_exact(r, e.data + padding(e.stored), "file data")
                    .map_err(|err| at.io_error(&e.path, err))?;
                continue;
            }
            Placement::ReplacesRoot => {
                let why = "entry replaces the image root".to_string();
                at.skip_rest(r, notes, &e.raw, why, e.data, e.stored)?;
                continue;
            }
            Placement::Refused(why) => {
                at.skip_rest(r, notes, &e.raw, why, e.data, e.stored)?;
                continue;
            }
        }
        if !dispatch::dispatch(r, e, visit, at)? {
            return Ok(());
        }
    }
    Ok(())
}

/// Walk an in-memory, uncompressed tar (tests and fuzzing).
pub fn walk_tar_bytes(
    data: &[u8],
    limits: &Limits,
    visit: &mut Visitor<'_>,
    notes: &mut Vec<Note>,
) -> Result<(), WalkError> {
    walk_tar(
        &mut SliceInput::new(data),
        0,
        "memory",
        limits,
        visit,
        notes,
    )
}

/// A blob in memory.
pub struct MemBlob(pub Arc<Vec<u8>>);

impl BlobOpener for MemBlob {
    fn open(&self) -> Result<Box<dyn Read + Send>, ImageError> {
        Ok(Box::new(io::Cursor::new(ArcBytes(self.0.clone()))))
    }
}

struct ArcBytes(Arc<Vec<u8>>);
impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A blob stored at `offset..offset+len` of a local file (an OCI layout blob, or a member of an
/// uncompressed archive).
pub struct FileBlob {
    pub path: std::path::PathBuf,
    pub offset: u64,
    pub len: Option<u64>,
    /// Keeps a spooled temp file alive as long as a layer needs it.
    pub keep: Option<Arc<tempfile::TempPath>>,
}

impl BlobOpener for FileBlob {
    fn open(&self) -> Result<Box<dyn Read + Send>, ImageError> {
        use std::io::Seek;
        let mut f = std::fs::File::open(&self.path)
            .map_err(|e| ImageError::io(self.path.display().to_string(), e))?;
        if self.offset > 0 {
            f.seek(io::SeekFrom::Start(self.offset))
                .map_err(|e| ImageError::io(self.path.display().to_string(), e))?;
        }
        let keep = self.keep.clone();
        let r: Box<dyn Read + Send> = match self.len {
            Some(n) => Box::new(KeepAlive(f.take(n), keep)),
            None => Box::new(KeepAlive(f, keep)),
        };
        Ok(r)
    }
}

struct KeepAlive<R>(R, #[allow(dead_code)] Option<Arc<tempfile::TempPath>>);
impl<R: Read> Read for KeepAlive<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::test_tar::{Tar, header, limits, noted, walk};
    use crate::layer::EntryKind;

    #[test]
    fn decode_place_and_dispatch_together() {
        let tar = Tar::default()
            .entry("./", b'5', "")
            .entry("etc", b'5', "")
            .file("etc/.wh.old", b"")
            .file("etc/ssl/.wh..wh..opq", b"")
            .file(".wh..wh.plnk", b"aufs hard-link store")
            .entry("/", b'2', "elsewhere")
            .file("../etc/passwd", b"root:x:0:0")
            .end();
        let (got, notes) = walk(&tar, &limits()).unwrap();
        let seen: Vec<_> = got
            .iter()
            .map(|(m, d)| (m.path.as_str(), m.kind.clone(), d.as_slice()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("etc", EntryKind::Dir, &b""[..]),
                ("etc/old", EntryKind::Whiteout, b""),
                ("etc/ssl", EntryKind::Opaque, b""),
                ("etc/passwd", EntryKind::File, b"root:x:0:0"),
            ]
        );
        assert!(noted(&notes, "/", "skipped: entry replaces the image root"));
        assert!(noted(
            &notes,
            "../etc/passwd",
            "resolved inside the image root"
        ));
        assert_eq!(notes.len(), 2, "{notes:?}");
    }

    #[test]
    fn whiteouts_of_dot_and_dotdot_are_refused() {
        // `.wh..` would delete `a/.` and `.wh...` `a/..` (the parent): neither names a file.
        let tar = Tar::default()
            .entry("a", b'5', "")
            .file("a/.wh..", b"")
            .file("a/.wh...", b"")
            .file(".wh...", b"")
            .file("after", b"ok")
            .end();
        let (got, notes) = walk(&tar, &limits()).unwrap();
        let paths: Vec<_> = got.iter().map(|(m, _)| m.path.as_str()).collect();
        assert_eq!(paths, ["a", "after"]);
        for p in ["a/.wh..", "a/.wh...", ".wh..."] {
            assert!(
                noted(&notes, p, "skipped: whiteout names no file"),
                "{p}: {notes:?}"
            );
        }
    }

    /// PAX sparse 1.0 (the map at the start of the data) with a `GNU.sparse.name`.
    fn sparse_1_0(tar: &mut Tar, name: &[u8], map: &[u8], stored: &[u8], realsize: &[u8]) {
        let mut data = map.to_vec();
        data.resize(map.len().div_ceil(512) * 512, 0);
        data.extend_from_slice(stored);
        tar.pax(&[
            ("GNU.sparse.major", b"1"),
            ("GNU.sparse.minor", b"0"),
            ("GNU.sparse.name", name),
            ("GNU.sparse.realsize", realsize),
        ])
        .raw(
            header(b"GNUSparseFile.0/x", b'0', data.len() as u64, b""),
            &data,
        );
    }

    #[test]
    fn a_bad_sparse_1_0_map_skips_only_its_entry() {
        // The map's first block is read before it turns out bad: the skip must not count it
        // twice, or the walk lands inside the next entry.
        let mut t = Tar::default();
        let mut bad = b"1\n0\n".to_vec();
        bad.resize(600, b'7'); // the second number runs into the second block...
        bad.extend_from_slice(b"x\n"); // ...and is no number
        sparse_1_0(&mut t, b"bad", &bad, b"payload", b"12");
        // A map that says 1000 segments and ends after two blocks with the entry.
        let mut long = b"1000\n".to_vec();
        long.extend(std::iter::repeat_n(b"1\n".as_slice(), 600).flatten());
        sparse_1_0(&mut t, b"cut", &long[..1024], b"", b"12");
        sparse_1_0(&mut t, b"lies", b"1\n0\n99\n", b"tiny", b"200");
        t.file("after", b"ok");
        let (got, notes) = walk(&t.end(), &limits()).unwrap();
        let seen: Vec<_> = got
            .iter()
            .map(|(m, d)| (m.path.as_str(), d.as_slice()))
            .collect();
        assert_eq!(seen, [("after", &b"ok"[..])]);
        assert!(
            noted(&notes, "bad", "bad number in sparse map"),
            "{notes:?}"
        );
        assert!(noted(&notes, "cut", "truncated or too large"), "{notes:?}");
        assert!(
            noted(&notes, "lies", "needs 99 bytes but the entry stores 4"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_sparse_whiteout_skips_what_is_left_of_its_data() {
        let mut t = Tar::default();
        sparse_1_0(&mut t, b"d/.wh.gone", b"1\n0\n4\n", b"data", b"4");
        t.file("after", b"ok");
        let (got, notes) = walk(&t.end(), &limits()).unwrap();
        let seen: Vec<_> = got
            .iter()
            .map(|(m, _)| (m.path.as_str(), m.kind.clone(), m.size))
            .collect();
        assert_eq!(
            seen,
            [
                ("d/gone", EntryKind::Whiteout, 0),
                ("after", EntryKind::File, 2)
            ]
        );
        assert!(notes.is_empty(), "{notes:?}");
    }
}
