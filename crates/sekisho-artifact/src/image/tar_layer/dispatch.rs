//! Dispatch to the visitor: one decoded entry becomes an [`EntryMeta`] and a reader over exactly
//! its content (a sparse file reassembled, zeros in its holes); afterwards whatever the visitor
//! did not read is skipped, then the padding.
//!
//! The visitor can neither read past the entry nor leave the stream misaligned: the reader stops
//! at the entry's end and the walker, not the visitor, moves the stream on.

use std::io::{self, Read};

use super::TarInput;
use super::decode::{Entry, SparseMap, Where, padding, skip_exact};
use crate::layer::{EntryKind, EntryMeta, Visitor, WalkError};

/// Reconstructs a sparse file's logical content: stored segments, zeros between them.
pub(super) struct SparseReader<'a, R: Read> {
    inner: &'a mut R,
    map: SparseMap,
    seg: usize,
    pos: u64,
    size: u64,
}

impl<'a, R: Read> SparseReader<'a, R> {
    /// `inner` holds the map's segments back to back; `size` is the logical size.
    pub fn new(inner: &'a mut R, map: SparseMap, size: u64) -> Self {
        Self {
            inner,
            map,
            seg: 0,
            pos: 0,
            size,
        }
    }
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
        Ok(n)
    }
}

/// A reader over one entry's stored bytes; tracks how many are left to skip afterwards.
pub(super) struct EntryData<'a, I: TarInput> {
    pub input: &'a mut I,
    pub left: u64,
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

/// A tar stream reads front to back only.
impl<I: TarInput> crate::layer::EntryRead for EntryData<'_, I> {}
impl<R: Read> crate::layer::EntryRead for SparseReader<'_, R> {}

/// Hand `e` to `visit`, then move the stream to the next header. `Ok(false)` when the stream
/// ended right after the entry's data: some writers (umoci 0.4) write no padding and no
/// end-of-archive blocks after the last file, and its data is complete, so that is the end.
///
/// # Errors
/// The visitor's error, or the stream ending inside the entry, named by the entry's path.
pub(super) fn dispatch<I: TarInput>(
    r: &mut I,
    e: Entry,
    visit: &mut Visitor<'_>,
    at: Where<'_>,
) -> Result<bool, WalkError> {
    let is_file = e.kind == EntryKind::File;
    // Only files have content: a sparse map on anything else (a whiteout named through
    // `GNU.sparse.name`) is ignored and its data skipped.
    let sparse = if is_file { e.sparse } else { None };
    let meta = EntryMeta {
        path: e.path,
        size: match (&sparse, is_file) {
            (Some((_, real)), _) => *real,
            (None, true) => e.stored,
            _ => 0,
        },
        kind: e.kind,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        mtime: e.mtime,
        capability: e.capability,
    };
    let mut data = EntryData {
        input: r,
        left: if is_file { e.data } else { 0 },
    };
    let res = match sparse {
        Some((map, size)) => visit(&meta, &mut SparseReader::new(&mut data, map, size)),
        None if is_file => visit(&meta, &mut data),
        None => visit(&meta, &mut io::empty()),
    };
    let left = data.left;
    res.map_err(|err| at.io_error(&meta.path, err))?;
    let rest = if is_file { left } else { e.data };
    skip_exact(r, rest, "file data").map_err(|err| at.io_error(&meta.path, err))?;
    let pad = padding(e.stored);
    Ok(r.skip(pad).map_err(|err| at.io_error(&meta.path, err))? == pad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::tar_layer::SliceInput;
    use crate::image::tar_layer::test_tar::pos;

    fn entry(path: &str, kind: EntryKind, stored: u64) -> Entry {
        Entry {
            raw: path.into(),
            path: path.into(),
            kind,
            mode: 0o640,
            uid: 1,
            gid: 2,
            mtime: 3,
            capability: None,
            stored,
            data: stored,
            sparse: None,
        }
    }

    const AT: Where<'static> = Where {
        index: 0,
        layer: "L",
    };

    /// The entry's data (padded to the block), then a marker the stream must stand at after.
    fn stream(data: &[u8]) -> Vec<u8> {
        let mut s = data.to_vec();
        s.resize(data.len() + padding(data.len() as u64) as usize, 0);
        s.extend_from_slice(b"NEXT");
        s
    }

    /// What [`run`] saw: the result, each entry with what was read of it, where the stream stands.
    type Run = (Result<bool, WalkError>, Vec<(EntryMeta, Vec<u8>)>, u64);

    /// Dispatch `e` over `input` with a visitor that reads at most `read` bytes.
    fn run(input: &[u8], e: Entry, read: usize) -> Run {
        let mut r = SliceInput::new(input);
        let mut seen = Vec::new();
        let mut visit = |m: &EntryMeta, rd: &mut dyn crate::layer::EntryRead| -> io::Result<()> {
            let mut d = Vec::new();
            rd.take(read as u64).read_to_end(&mut d)?;
            seen.push((m.clone(), d));
            Ok(())
        };
        let res = dispatch(&mut r, e, &mut visit, AT);
        (res, seen, pos(&r))
    }

    #[test]
    fn the_visitor_sees_exactly_the_content_and_the_stream_moves_on() {
        let s = stream(b"hello world");
        for read in [0, 5, 11, 1000] {
            let (res, seen, at) = run(&s, entry("f", EntryKind::File, 11), read);
            assert!(res.unwrap(), "{read}");
            assert_eq!(at, 512, "{read}: left at the next header");
            let (m, d) = &seen[0];
            assert_eq!(d.as_slice(), &b"hello world"[..read.min(11)]);
            assert_eq!(
                (m.path.as_str(), m.size, m.mode, m.uid, m.gid, m.mtime),
                ("f", 11, 0o640, 1, 2, 3)
            );
        }
    }

    #[test]
    fn entries_without_content_read_empty_and_skip_what_is_stored() {
        let s = stream(b"junk");
        let (res, seen, at) = run(
            &s,
            entry("l", EntryKind::Symlink { target: "t".into() }, 4),
            100,
        );
        assert!(res.unwrap());
        assert_eq!(at, 512);
        assert_eq!((seen[0].0.size, seen[0].1.len()), (0, 0));
    }

    #[test]
    fn sparse_files_are_reassembled_with_holes() {
        let s = stream(b"abcxyz");
        let mut e = entry("s", EntryKind::File, 6);
        e.sparse = Some((vec![(0, 3), (10, 3)], 16));
        let (res, seen, at) = run(&s, e, 100);
        assert!(res.unwrap());
        assert_eq!(at, 512);
        assert_eq!(seen[0].0.size, 16);
        assert_eq!(seen[0].1, b"abc\0\0\0\0\0\0\0xyz\0\0\0");
        // Read only part of it: the rest is still skipped.
        let mut e = entry("s", EntryKind::File, 6);
        e.sparse = Some((vec![(0, 3), (10, 3)], 16));
        let (res, seen, at) = run(&s, e, 11);
        assert!(res.unwrap());
        assert_eq!((seen[0].1.len(), at), (11, 512));
    }

    #[test]
    fn a_sparse_map_that_lies_about_the_stored_bytes_is_an_error_not_a_panic() {
        // The map wants 6 stored bytes; the entry has 2.
        let s = stream(b"ab");
        let mut e = entry("s", EntryKind::File, 2);
        e.sparse = Some((vec![(0, 3), (10, 3)], 16));
        let (res, _, _) = run(&s, e, 100);
        let err = res.unwrap_err().to_string();
        assert!(
            err.contains("reading s") && err.contains("ends inside sparse file data"),
            "{err}"
        );
    }

    #[test]
    fn the_end_of_the_stream() {
        // umoci 0.4: the last file's data, then nothing.
        let (res, seen, _) = run(b"tail", entry("f", EntryKind::File, 4), 100);
        assert!(!res.unwrap(), "the end");
        assert_eq!(seen[0].1, b"tail");
        // The data itself is cut short: an error naming the path.
        let (res, _, _) = run(b"ta", entry("f", EntryKind::File, 4), 100);
        let err = res.unwrap_err().to_string();
        assert!(
            err.contains("reading f") && err.contains("ends inside file data"),
            "{err}"
        );
        let (res, _, _) = run(b"ta", entry("f", EntryKind::File, 4), 0);
        assert!(
            res.unwrap_err()
                .to_string()
                .contains("ends inside file data")
        );
    }

    #[test]
    fn a_visitor_error_names_the_path() {
        let s = stream(b"x");
        let mut r = SliceInput::new(&s);
        let mut visit = |_: &EntryMeta, _: &mut dyn crate::layer::EntryRead| -> io::Result<()> {
            Err(io::Error::other("capture failed"))
        };
        let err = dispatch(&mut r, entry("a/b", EntryKind::File, 1), &mut visit, AT).unwrap_err();
        assert_eq!(err.to_string(), "layer L: reading a/b: capture failed");
    }
}
