//! `db export`: one compact, checksummed file for air-gapped sites, read back by `db import` and
//! by `db update --source URL-of-the-file`.
//!
//! Layout (format 1):
//! ```text
//! SEKISHO-VULNDB-EXPORT\n
//! {"schema_version":1,"kind":"vulndb_export","format":1,"records":N,"payload_bytes":M,"payload_sha256":"…","created":"…"}\n
//! <zstd stream of newline-delimited OSV JSON records (with every affected entry)>
//! ```
//! The SHA-256 covers the compressed payload; a reader verifies it (and the record count) before
//! the import is committed, so a truncated or altered file never replaces a DB.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{DbError, Result};
use crate::model::Advisory;
use crate::sink::Sink;
use crate::store::{Db, now_rfc3339};

/// First line of an export file.
pub const MAGIC: &[u8] = b"SEKISHO-VULNDB-EXPORT\n";

/// The header line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub schema_version: u32,
    pub kind: String,
    pub format: u32,
    pub records: u64,
    pub payload_bytes: u64,
    pub payload_sha256: String,
    pub created: String,
}

/// Whether the file starts with [`MAGIC`].
pub fn is_export_file(p: &Path) -> bool {
    let mut buf = [0u8; 22];
    std::fs::File::open(p)
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_ok_and(|()| buf == MAGIC)
}

struct HashWriter<W> {
    inner: W,
    hash: Sha256,
    n: u64,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.hash.update(&b[..n]);
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct HashReader<R> {
    inner: R,
    hash: Sha256,
    n: u64,
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(b)?;
        self.hash.update(&b[..n]);
        self.n += n as u64;
        Ok(n)
    }
}

/// Write every record of `db` to `out` (atomically: a temporary file renamed into place).
///
/// # Errors
/// File-system or SQLite errors.
pub fn write(db: &Db, out: &Path) -> Result<Header> {
    let payload_path = out.with_extension("payload.tmp");
    let f = std::fs::File::create(&payload_path).map_err(|e| DbError::io(&payload_path, e))?;
    let hw = HashWriter {
        inner: std::io::BufWriter::new(f),
        hash: Sha256::new(),
        n: 0,
    };
    let mut enc = zstd::stream::Encoder::new(hw, 9).map_err(|e| DbError::io(&payload_path, e))?;
    let mut records = 0u64;
    db.for_each_advisory(|a| {
        serde_json::to_writer(&mut enc, &a).map_err(|e| DbError::io(&payload_path, e.into()))?;
        enc.write_all(b"\n")
            .map_err(|e| DbError::io(&payload_path, e))?;
        records += 1;
        Ok(())
    })?;
    let mut hw = enc.finish().map_err(|e| DbError::io(&payload_path, e))?;
    hw.flush().map_err(|e| DbError::io(&payload_path, e))?;
    let header = Header {
        schema_version: 1,
        kind: "vulndb_export".into(),
        format: 1,
        records,
        payload_bytes: hw.n,
        payload_sha256: hex::encode(hw.hash.finalize()),
        created: now_rfc3339(),
    };
    let tmp = out.with_extension("export.tmp");
    let res = (|| -> std::io::Result<()> {
        let mut o = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        o.write_all(MAGIC)?;
        serde_json::to_writer(&mut o, &header)?;
        o.write_all(b"\n")?;
        std::io::copy(&mut std::fs::File::open(&payload_path)?, &mut o)?;
        o.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, out)
    })();
    let _ = std::fs::remove_file(&payload_path);
    res.map_err(|e| DbError::io(out, e))?;
    Ok(header)
}

/// Read an export file into `sink`, verifying checksum and count. On a mismatch the error is
/// returned and the caller's builder is dropped uncommitted.
///
/// # Errors
/// [`DbError::Refused`] for a bad magic, header, checksum, record count or record line.
pub fn read<R: Read>(r: R, name: &str, sink: &mut Sink<'_>) -> Result<()> {
    let mut br = BufReader::new(r);
    let mut magic = [0u8; 22];
    br.read_exact(&mut magic)
        .map_err(|e| DbError::refused(name, format!("not an export file: {e}")))?;
    if magic != MAGIC {
        return Err(DbError::refused(
            name,
            "not a sekisho export file (bad magic)",
        ));
    }
    let mut line = Vec::new();
    (&mut br)
        .take(65_536)
        .read_until(b'\n', &mut line)
        .map_err(|e| DbError::refused(name, e.to_string()))?;
    let header: Header = serde_json::from_slice(&line)
        .map_err(|e| DbError::refused(name, format!("bad export header: {e}")))?;
    if header.format != 1 {
        return Err(DbError::refused(
            name,
            format!("export format {} is not supported", header.format),
        ));
    }
    let hr = HashReader {
        inner: br,
        hash: Sha256::new(),
        n: 0,
    };
    let dec = zstd::stream::Decoder::new(hr).map_err(|e| DbError::refused(name, e.to_string()))?;
    let mut lines = BufReader::new(dec);
    let mut count = 0u64;
    let cap = sink.limits.max_entry;
    loop {
        let mut l = Vec::new();
        let n = (&mut lines)
            .take(cap + 1)
            .read_until(b'\n', &mut l)
            .map_err(|e| DbError::refused(name, format!("payload: {e}")))?;
        if n == 0 {
            break;
        }
        if n as u64 > cap {
            return Err(DbError::refused(name, "a record line is over the size cap"));
        }
        let a = Advisory::from_json(&l)
            .map_err(|e| DbError::refused(name, format!("record {}: {e}", count + 1)))?;
        sink.put(&a, name)?;
        count += 1;
    }
    let mut rest = lines.into_inner().finish();
    // Drain anything after the zstd frame so the hash covers the whole payload.
    std::io::copy(&mut rest, &mut std::io::sink())
        .map_err(|e| DbError::refused(name, e.to_string()))?;
    let hr = rest.into_inner();
    let got = hex::encode(hr.hash.finalize());
    if got != header.payload_sha256 || hr.n != header.payload_bytes {
        return Err(DbError::refused(
            name,
            format!(
                "checksum mismatch: header says sha256 {} ({} bytes), file has {got} ({} bytes)",
                header.payload_sha256, header.payload_bytes, hr.n
            ),
        ));
    }
    if count != header.records {
        return Err(DbError::refused(
            name,
            format!(
                "header says {} records, payload has {count}",
                header.records
            ),
        ));
    }
    Ok(())
}
