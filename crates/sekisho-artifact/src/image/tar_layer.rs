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

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use sha2::{Digest as _, Sha256};

use crate::image::ImageError;
use crate::layer::{EntryKind, EntryMeta, LayerInfo, LayerSource, Note, Visitor, WalkError};
use crate::path;

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
        let raw = self.blob.open().map_err(|e| WalkError::Layer {
            layer: name.clone(),
            message: format!("opening blob: {e}"),
        })?;
        let (tx, rx) = sync_channel(QUEUE);
        // Consumed chunks go back to the inflate thread for reuse, so the hot loop neither
        // allocates nor faults in fresh pages.
        let (back_tx, back_rx) = sync_channel(QUEUE + 2);
        let limits = self.limits.clone();
        let expect_digest = self.expect_digest.clone();
        // Three stages, so the inflate thread does nothing but inflate: a feeder reads the blob
        // and hashes it (the manifest digest), the inflate thread decompresses, and this thread
        // hashes the uncompressed stream (the diff_id) and walks the tar.
        let diff_id = self.expect_diff_id.clone();
        std::thread::scope(|s| {
            let pump_name = name.clone();
            let pump_limits = limits.clone();
            let raw: Box<dyn Read + Send> = match expect_digest {
                Some(want) => {
                    let (ftx, frx) = sync_channel(QUEUE);
                    let (fback_tx, fback_rx) = sync_channel(QUEUE + 2);
                    s.spawn(move || feed(raw, &want, &ftx, &fback_rx));
                    Box::new(FeedReader {
                        rx: frx,
                        back: fback_tx,
                        cur: Vec::new(),
                        at: 0,
                        done: false,
                    })
                }
                None => raw,
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
            let mut n = 0;
            while n < CHUNK {
                match dec.read(&mut buf[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
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
                }
            }
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

/// Read the raw blob in chunks, hash it and hand the chunks on; at the end compare the hash with
/// `want` and end the stream with a [`DigestMismatch`] error when they differ. Runs on its own
/// thread, so hashing the compressed bytes overlaps the inflate.
fn feed(
    mut raw: Box<dyn Read + Send>,
    want: &str,
    tx: &SyncSender<io::Result<Vec<u8>>>,
    back: &Receiver<Vec<u8>>,
) {
    let mut h = Sha256::new();
    loop {
        let mut buf = back.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        let mut n = 0;
        while n < CHUNK {
            match raw.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
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
    if got != want {
        let _ = tx.send(Err(io::Error::new(
            io::ErrorKind::InvalidData,
            DigestMismatch(format!("blob digest mismatch: expected {want}, got {got}")),
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

/// Read exactly `buf.len()` bytes; `Ok(false)` on a clean end of stream before the first byte.
fn read_block(r: &mut impl TarInput, buf: &mut [u8]) -> io::Result<bool> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => {
                if n == 0 {
                    return Ok(false);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("stream ends inside a tar header ({n} of 512 bytes)"),
                ));
            }
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn skip_exact(r: &mut impl TarInput, n: u64, what: &str) -> io::Result<()> {
    if r.skip(n)? < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("stream ends inside {what}"),
        ));
    }
    Ok(())
}

fn padding(size: u64) -> u64 {
    (512 - size % 512) % 512
}

/// Parse a numeric header field: octal text, or GNU base-256 when the high bit is set.
fn parse_num(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        if field[0] == 0xff {
            return None; // negative
        }
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let s: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ' || *b == 0)
        .take_while(|b| *b != 0 && *b != b' ')
        .collect();
    if s.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for b in s {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

fn cstr(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    &field[..end]
}

fn checksum_ok(h: &[u8; 512]) -> bool {
    let Some(want) = parse_num(&h[148..156]) else {
        return false;
    };
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in h.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    unsigned == want || signed == want as i64
}

/// Values from PAX extended headers and GNU long-name entries that apply to the next entry.
#[derive(Default)]
struct Pending {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
    mtime: Option<i64>,
    sparse_major: Option<u64>,
    sparse_minor: Option<u64>,
    sparse_name: Option<Vec<u8>>,
    sparse_realsize: Option<u64>,
    sparse_map: Option<String>,
    /// Why the next entry must be skipped (an over-long name, an unusable PAX header).
    poison: Option<String>,
}

/// Parse PAX records (`"%d %s=%s\n"`, POSIX.1-2008 pax "extended header").
fn parse_pax(data: &[u8], p: &mut Pending) -> Result<(), String> {
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|b| *b == 0) {
            break;
        }
        let sp = rest
            .iter()
            .position(|b| *b == b' ')
            .ok_or("PAX record without a length")?;
        let len: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("PAX record length is not a number")?;
        if len <= sp + 1 || len > rest.len() {
            return Err("PAX record length out of range".into());
        }
        let rec = &rest[sp + 1..len];
        let rec = rec
            .strip_suffix(b"\n")
            .ok_or("PAX record not ended by newline")?;
        let eq = rec
            .iter()
            .position(|b| *b == b'=')
            .ok_or("PAX record without '='")?;
        let (k, v) = (&rec[..eq], &rec[eq + 1..]);
        let num = |v: &[u8]| -> Result<u64, String> {
            std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("PAX {} is not a number", String::from_utf8_lossy(k)))
        };
        match k {
            b"path" => p.path = Some(v.to_vec()),
            b"linkpath" => p.link = Some(v.to_vec()),
            b"size" => p.size = Some(num(v)?),
            b"uid" => p.uid = Some(num(v)?),
            b"gid" => p.gid = Some(num(v)?),
            b"mtime" => {
                let s = String::from_utf8_lossy(v);
                let int = s.split('.').next().unwrap_or("0");
                p.mtime = int.parse().ok();
            }
            b"GNU.sparse.major" => p.sparse_major = Some(num(v)?),
            b"GNU.sparse.minor" => p.sparse_minor = Some(num(v)?),
            b"GNU.sparse.name" => p.sparse_name = Some(v.to_vec()),
            b"GNU.sparse.realsize" | b"GNU.sparse.size" => p.sparse_realsize = Some(num(v)?),
            b"GNU.sparse.map" => p.sparse_map = Some(String::from_utf8_lossy(v).into_owned()),
            b"GNU.sparse.offset" | b"GNU.sparse.numbytes" => {
                // Format 0.0 repeats these keys; we do not reassemble it.
                p.poison = Some("GNU sparse format 0.0 is not supported".into());
            }
            _ => {}
        }
        rest = &rest[len..];
    }
    Ok(())
}

/// Read a whole metadata entry's data (long name, PAX header), capped.
fn read_meta(
    r: &mut impl TarInput,
    size: u64,
    limits: &Limits,
) -> io::Result<Result<Vec<u8>, String>> {
    if size > limits.max_header_bytes {
        skip_exact(r, size + padding(size), "an extended header")?;
        return Ok(Err(format!(
            "extended header of {size} bytes exceeds the {} byte limit",
            limits.max_header_bytes
        )));
    }
    let mut buf = vec![0u8; size as usize];
    r.read_exact(&mut buf)?;
    skip_exact(r, padding(size), "header padding")?;
    Ok(Ok(buf))
}

/// Sparse segments: (offset, length) in the logical file.
type SparseMap = Vec<(u64, u64)>;

fn validate_sparse(map: &SparseMap, realsize: u64, stored: u64) -> Result<(), String> {
    let mut end = 0u64;
    let mut total = 0u64;
    for &(off, len) in map {
        let seg_end = off.checked_add(len).ok_or("sparse segment overflows")?;
        if off < end || seg_end > realsize {
            return Err("sparse map segments overlap or exceed the file size".into());
        }
        end = seg_end;
        total = total.checked_add(len).ok_or("sparse map overflows")?;
    }
    if total > stored {
        return Err(format!(
            "sparse map needs {total} bytes but the entry stores {stored}"
        ));
    }
    Ok(())
}

/// Reconstructs a sparse file's logical content: stored segments, zeros between them.
struct SparseReader<'a, R: Read> {
    inner: &'a mut R,
    map: SparseMap,
    seg: usize,
    pos: u64,
    size: u64,
    /// Stored bytes consumed.
    used: u64,
}

impl<R: Read> Read for SparseReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        while self.seg < self.map.len() && self.map[self.seg].0 + self.map[self.seg].1 <= self.pos {
            self.seg += 1;
        }
        let (next_off, next_len) = self.map.get(self.seg).copied().unwrap_or((self.size, 0));
        if self.pos < next_off {
            let n = (next_off - self.pos).min(buf.len() as u64) as usize;
            buf[..n].fill(0);
            self.pos += n as u64;
            return Ok(n);
        }
        let left = next_off + next_len - self.pos;
        let want = left.min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "stream ends inside sparse file data",
            ));
        }
        self.pos += n as u64;
        self.used += n as u64;
        Ok(n)
    }
}

/// A reader over one entry's stored bytes; tracks how many are left to skip afterwards.
struct EntryData<'a, I: TarInput> {
    input: &'a mut I,
    left: u64,
}

impl<I: TarInput> Read for EntryData<'_, I> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = self.left.min(buf.len() as u64) as usize;
        let n = self.input.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "stream ends inside file data",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Read GNU old-style sparse entries from a header area (`count` slots of 24 bytes).
fn gnu_sparse_slots(area: &[u8], map: &mut SparseMap) -> Option<()> {
    for slot in area.chunks_exact(24) {
        if slot.iter().all(|b| *b == 0) {
            continue;
        }
        let off = parse_num(&slot[..12])?;
        let len = parse_num(&slot[12..24])?;
        map.push((off, len));
    }
    Some(())
}

/// Walk a tar stream, calling `visit` for each entry. `layer` names the layer in errors.
pub fn walk_tar<I: TarInput>(
    r: &mut I,
    index: usize,
    layer: &str,
    limits: &Limits,
    visit: &mut Visitor<'_>,
    notes: &mut Vec<Note>,
) -> Result<(), WalkError> {
    let lerr = |message: String| WalkError::Layer {
        layer: layer.to_string(),
        message,
    };
    let ioerr = |path: &str, e: io::Error| WalkError::Io {
        layer: layer.to_string(),
        path: path.to_string(),
        source: e,
    };
    let mut pending = Pending::default();
    let mut entries: u64 = 0;
    let mut zero_blocks = 0;
    let mut h = [0u8; 512];
    loop {
        let at = r.position();
        match read_block(r, &mut h) {
            Ok(true) => {}
            Ok(false) => return Ok(()), // no end-of-archive marker; many writers omit it
            Err(e) => return Err(ioerr(&format!("tar header at offset {at}"), e)),
        }
        if h.iter().all(|b| *b == 0) {
            zero_blocks += 1;
            if zero_blocks >= 2 {
                return Ok(());
            }
            continue;
        }
        zero_blocks = 0;
        if !checksum_ok(&h) {
            return Err(lerr(format!(
                "corrupt tar header at offset {at} (bad checksum); cannot continue"
            )));
        }
        entries += 1;
        if entries > limits.max_entries {
            return Err(lerr(format!(
                "more than the {} entry limit",
                limits.max_entries
            )));
        }
        let typeflag = h[156];
        let Some(hsize) = parse_num(&h[124..136]) else {
            return Err(lerr(format!("tar header at offset {at}: bad size field")));
        };
        let ustar = &h[257..263] == b"ustar\0";
        let gnu = &h[257..265] == b"ustar  \0";
        let hname = || {
            let mut n = Vec::new();
            if ustar {
                let prefix = cstr(&h[345..500]);
                if !prefix.is_empty() {
                    n.extend_from_slice(prefix);
                    n.push(b'/');
                }
            }
            n.extend_from_slice(cstr(&h[..100]));
            n
        };
        // Metadata entries that apply to the next header.
        match typeflag {
            b'L' | b'K' | b'x' | b'g' => {
                let data = read_meta(r, hsize, limits)
                    .map_err(|e| ioerr(&format!("extended header at offset {at}"), e))?;
                match (typeflag, data) {
                    (_, Err(m)) => pending.poison = Some(m),
                    (b'L', Ok(d)) => pending.path = Some(cstr(&d).to_vec()),
                    (b'K', Ok(d)) => pending.link = Some(cstr(&d).to_vec()),
                    (b'x', Ok(d)) => {
                        if let Err(m) = parse_pax(&d, &mut pending) {
                            pending.poison = Some(m);
                        }
                    }
                    // Global headers: only comments in practice (e.g. `git archive`).
                    _ => {}
                }
                continue;
            }
            _ => {}
        }
        let p = std::mem::take(&mut pending);
        let raw_path = p
            .sparse_name
            .clone()
            .or_else(|| p.path.clone())
            .unwrap_or_else(hname);
        let raw_link = p
            .link
            .clone()
            .unwrap_or_else(|| cstr(&h[157..257]).to_vec());
        let stored = p.size.unwrap_or(hsize);
        let display = String::from_utf8_lossy(&raw_path).into_owned();
        let skip_entry = |r: &mut I, notes: &mut Vec<Note>, why: String| -> Result<(), WalkError> {
            notes.push(Note::new(
                Some(index),
                display.clone(),
                format!("skipped: {why}"),
            ));
            skip_exact(r, stored + padding(stored), "file data").map_err(|e| ioerr(&display, e))
        };
        if let Some(why) = p.poison.clone() {
            skip_entry(r, notes, why)?;
            continue;
        }
        let Ok(path_str) = std::str::from_utf8(&raw_path) else {
            skip_entry(r, notes, "file name is not UTF-8".into())?;
            continue;
        };
        // The root itself ("/", as umoci writes it) is harmless; anything else absolute or
        // climbing is hostile or broken, and worth a note.
        let is_root = path_str.split('/').all(|s| s.is_empty() || s == ".");
        if !is_root && (path_str.starts_with('/') || path_str.split('/').any(|s| s == "..")) {
            notes.push(Note::new(
                Some(index),
                path_str.to_string(),
                "path is absolute or climbs with '..'; resolved inside the image root",
            ));
        }
        let norm = match path::normalize(path_str) {
            Ok(n) => n,
            Err(e) => {
                skip_entry(r, notes, format!("bad path: {e}"))?;
                continue;
            }
        };
        let mode = parse_num(&h[100..108]).unwrap_or(0) as u32 & 0o7777;
        let uid = p.uid.or_else(|| parse_num(&h[108..116])).unwrap_or(0);
        let gid = p.gid.or_else(|| parse_num(&h[116..124])).unwrap_or(0);
        let mtime = p
            .mtime
            .or_else(|| parse_num(&h[136..148]).map(|v| v as i64))
            .unwrap_or(0);
        let mut sparse: Option<(SparseMap, u64)> = None;
        let mut data_stored = stored;
        let kind = match typeflag {
            b'0' | 0 | b'7' => {
                if path_str.ends_with('/') && !ustar && !gnu {
                    EntryKind::Dir // v7 directory
                } else if p.sparse_major.is_some() || p.sparse_map.is_some() {
                    // PAX sparse: 1.0 keeps the map at the start of the data; 0.1 in a record.
                    let realsize = p.sparse_realsize.unwrap_or(stored);
                    let map = if p.sparse_major == Some(1) {
                        match read_sparse_1_0(r, stored, limits) {
                            Ok(Ok((map, used))) => {
                                data_stored = stored - used;
                                map
                            }
                            Ok(Err(m)) => {
                                skip_entry(r, notes, m)?;
                                continue;
                            }
                            Err(e) => return Err(ioerr(&norm, e)),
                        }
                    } else {
                        match parse_map_text(p.sparse_map.as_deref().unwrap_or(""), limits) {
                            Ok(m) => m,
                            Err(m) => {
                                skip_entry(r, notes, m)?;
                                continue;
                            }
                        }
                    };
                    let _ = p.sparse_minor;
                    if let Err(m) = validate_sparse(&map, realsize, data_stored) {
                        notes.push(Note::new(
                            Some(index),
                            norm.clone(),
                            format!("skipped: {m}"),
                        ));
                        skip_exact(r, data_stored + padding(stored), "file data")
                            .map_err(|e| ioerr(&norm, e))?;
                        continue;
                    }
                    sparse = Some((map, realsize));
                    EntryKind::File
                } else {
                    EntryKind::File
                }
            }
            b'S' => {
                // GNU old sparse: 4 slots in the header, more in extension blocks.
                let mut map = SparseMap::new();
                let mut ok = gnu_sparse_slots(&h[386..482], &mut map).is_some();
                let realsize = parse_num(&h[483..495]).unwrap_or(0);
                let mut extended = h[482] != 0;
                let mut ext = [0u8; 512];
                let mut ext_blocks = 0u64;
                while extended {
                    ext_blocks += 1;
                    if ext_blocks * 512 > limits.max_header_bytes {
                        return Err(lerr(format!(
                            "{norm}: sparse map larger than the {} byte limit",
                            limits.max_header_bytes
                        )));
                    }
                    match read_block(r, &mut ext) {
                        Ok(true) => {}
                        Ok(false) => {
                            return Err(ioerr(
                                &norm,
                                io::Error::new(
                                    io::ErrorKind::UnexpectedEof,
                                    "stream ends inside a sparse map",
                                ),
                            ));
                        }
                        Err(e) => return Err(ioerr(&norm, e)),
                    }
                    ok &= gnu_sparse_slots(&ext[..504], &mut map).is_some();
                    extended = ext[504] != 0;
                }
                let check = if ok {
                    validate_sparse(&map, realsize, stored)
                } else {
                    Err("bad number in sparse map".into())
                };
                if let Err(m) = check {
                    notes.push(Note::new(
                        Some(index),
                        norm.clone(),
                        format!("skipped: {m}"),
                    ));
                    skip_exact(r, stored + padding(stored), "file data")
                        .map_err(|e| ioerr(&norm, e))?;
                    continue;
                }
                sparse = Some((map, realsize));
                EntryKind::File
            }
            b'1' => match path::normalize(&String::from_utf8_lossy(&raw_link)) {
                Ok(t) => EntryKind::Hardlink { target: t },
                Err(e) => {
                    skip_entry(r, notes, format!("hard link with bad target: {e}"))?;
                    continue;
                }
            },
            b'2' => {
                let Ok(t) = String::from_utf8(raw_link.clone()) else {
                    skip_entry(r, notes, "symlink target is not UTF-8".into())?;
                    continue;
                };
                EntryKind::Symlink { target: t }
            }
            b'3' => EntryKind::CharDevice,
            b'4' => EntryKind::BlockDevice,
            b'5' | b'D' => EntryKind::Dir,
            b'6' => EntryKind::Fifo,
            b'V' => {
                skip_exact(r, stored + padding(stored), "volume label")
                    .map_err(|e| ioerr(&norm, e))?;
                continue;
            }
            other => {
                skip_entry(
                    r,
                    notes,
                    format!("unsupported tar entry type {:?}", other as char),
                )?;
                continue;
            }
        };
        // Whiteouts (OCI image spec, layer.md).
        let base = path::file_name(&norm);
        let (kind, norm) = if let Some(rest) = base.strip_prefix(".wh.") {
            let dir = path::parent(&norm);
            if rest == ".wh..opq" {
                (EntryKind::Opaque, dir.to_string())
            } else if rest.starts_with(".wh.") || rest.is_empty() {
                // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not part of the filesystem.
                skip_exact(r, stored + padding(stored), "file data")
                    .map_err(|e| ioerr(&norm, e))?;
                continue;
            } else {
                let target = if dir.is_empty() {
                    rest.to_string()
                } else {
                    format!("{dir}/{rest}")
                };
                (EntryKind::Whiteout, target)
            }
        } else {
            (kind, norm)
        };
        if norm.is_empty() && kind != EntryKind::Dir {
            skip_entry(r, notes, "entry replaces the image root".into())?;
            continue;
        }
        let is_file = kind == EntryKind::File;
        let meta = EntryMeta {
            path: norm,
            size: match (&sparse, is_file) {
                (Some((_, real)), _) => *real,
                (None, true) => stored,
                _ => 0,
            },
            kind,
            mode,
            uid,
            gid,
            mtime,
        };
        if meta.path.is_empty() {
            // The root directory itself: nothing to report.
            skip_exact(r, stored + padding(stored), "file data").map_err(|e| ioerr("", e))?;
            continue;
        }
        let mut data = EntryData {
            input: r,
            left: if is_file { data_stored } else { 0 },
        };
        let res = match sparse {
            Some((map, size)) => {
                let mut sr = SparseReader {
                    inner: &mut data,
                    map,
                    seg: 0,
                    pos: 0,
                    size,
                    used: 0,
                };
                let res = visit(&meta, &mut sr);
                let _ = sr.used;
                res
            }
            None if is_file => visit(&meta, &mut data),
            None => visit(&meta, &mut io::empty()),
        };
        let left = data.left;
        if let Err(e) = res {
            return Err(ioerr(&meta.path, e));
        }
        let rest = if is_file { left } else { stored };
        skip_exact(r, rest, "file data").map_err(|e| ioerr(&meta.path, e))?;
        // Some writers (umoci 0.4) end the stream right after the last file's data, with no
        // padding and no end-of-archive blocks: the data is complete, so that is the end.
        let pad = padding(stored);
        if r.skip(pad).map_err(|e| ioerr(&meta.path, e))? < pad {
            return Ok(());
        }
    }
}

/// GNU sparse 1.0: the map is decimal lines at the start of the data, padded to 512.
/// Returns the map and how many stored bytes it used.
fn read_sparse_1_0(
    r: &mut impl TarInput,
    stored: u64,
    limits: &Limits,
) -> io::Result<Result<(SparseMap, u64), String>> {
    let mut text = Vec::new();
    let mut block = [0u8; 512];
    let mut used = 0u64;
    let mut numbers: Vec<u64> = Vec::new();
    let mut need: Option<u64> = None;
    loop {
        if used + 512 > stored || used + 512 > limits.max_header_bytes {
            return Ok(Err("sparse map is truncated or too large".into()));
        }
        r.read_exact(&mut block)?;
        used += 512;
        text.extend_from_slice(&block);
        numbers.clear();
        let mut complete = 0usize;
        for line in text.split(|b| *b == b'\n') {
            complete += line.len() + 1;
            if complete > text.len() {
                break; // last piece has no newline yet
            }
            match std::str::from_utf8(line).ok().and_then(|s| s.parse().ok()) {
                Some(v) => numbers.push(v),
                None => return Ok(Err("bad number in sparse map".into())),
            }
            if need.is_none() {
                need = Some(numbers[0]);
            }
            if let Some(n) = need
                && numbers.len() as u64 == 1 + 2 * n
            {
                let map = numbers[1..].chunks(2).map(|c| (c[0], c[1])).collect();
                return Ok(Ok((map, used)));
            }
            if numbers.len() as u64 > 1 + 2 * need.unwrap_or(0) {
                return Ok(Err("bad sparse map".into()));
            }
        }
    }
}

fn parse_map_text(s: &str, limits: &Limits) -> Result<SparseMap, String> {
    if s.len() as u64 > limits.max_header_bytes {
        return Err("sparse map too large".into());
    }
    let nums: Result<Vec<u64>, _> = s
        .split(',')
        .filter(|x| !x.is_empty())
        .map(str::parse)
        .collect();
    let nums = nums.map_err(|_| "bad number in sparse map".to_string())?;
    if nums.len() % 2 != 0 {
        return Err("odd number of values in sparse map".into());
    }
    Ok(nums.chunks(2).map(|c| (c[0], c[1])).collect())
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
