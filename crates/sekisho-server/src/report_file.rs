//! The file a findings report is kept in on disk (`DIR/reports/<digest of the artifact id>`),
//! read without trusting it: a torn, damaged or foreign file is `None`, never a wrong report.
//!
//! Layout, integers little-endian `u64`: `sekisho-report 1\n`, a CRC-32 (`u32`) of everything
//! after it, then the artifact id (length, bytes), its store fingerprint (32 bytes), whether a DB
//! was loaded (one byte, 0 or 1), the packages per ecosystem (count, then length, name, count
//! each), and the report's five parts (count, then per part: the length it decompresses to, 0
//! for a part kept as is, the stored length and the bytes). Nothing may follow. Pure (no I/O),
//! for the fuzz target.

/// A report file's first bytes.
pub const MAGIC: &[u8] = b"sekisho-report 1\n";
/// Parts in a report (around its four open values).
pub const PARTS: usize = 5;
/// The most a part may decompress to.
pub const PART_MAX: usize = 256 << 20;

/// One report file's content, borrowing the parts from the file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile<'a> {
    pub id: &'a str,
    pub fingerprint: [u8; 32],
    pub with_db: bool,
    pub ecosystems: Vec<(&'a str, usize)>,
    /// Each part's bytes, with the length it decompresses to when zstd-compressed.
    pub parts: Vec<(Option<usize>, &'a [u8])>,
}

impl ReportFile<'_> {
    /// The file's bytes.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        let num = |b: &mut Vec<u8>, n: usize| b.extend_from_slice(&(n as u64).to_le_bytes());
        num(&mut body, self.id.len());
        body.extend_from_slice(self.id.as_bytes());
        body.extend_from_slice(&self.fingerprint);
        body.push(u8::from(self.with_db));
        num(&mut body, self.ecosystems.len());
        for (e, n) in &self.ecosystems {
            num(&mut body, e.len());
            body.extend_from_slice(e.as_bytes());
            num(&mut body, *n);
        }
        num(&mut body, self.parts.len());
        for (packed, data) in &self.parts {
            num(&mut body, packed.unwrap_or(0));
            num(&mut body, data.len());
            body.extend_from_slice(data);
        }
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Read a file's bytes; `None` for anything but a whole, intact report file of this format.
    #[must_use]
    pub fn decode(buf: &[u8]) -> Option<ReportFile<'_>> {
        let rest = buf.strip_prefix(MAGIC)?;
        let (crc, mut b) = rest.split_at_checked(4)?;
        if crc32fast::hash(b).to_le_bytes() != crc {
            return None;
        }
        let b = &mut b;
        let id = std::str::from_utf8(take_n(b)?).ok()?;
        let fingerprint: [u8; 32] = take(b, 32)?.try_into().ok()?;
        let with_db = match take(b, 1)? {
            [0] => false,
            [1] => true,
            _ => return None,
        };
        let n = num(b)?;
        // Each entry takes at least 16 bytes: a count read from the file never sizes memory
        // beyond what the file holds.
        let mut ecosystems = Vec::with_capacity(n.min(b.len() / 16));
        for _ in 0..n {
            let e = std::str::from_utf8(take_n(b)?).ok()?;
            ecosystems.push((e, num(b)?));
        }
        if num(b)? != PARTS {
            return None;
        }
        let mut parts = Vec::with_capacity(PARTS);
        for _ in 0..PARTS {
            let packed = match num(b)? {
                0 => None,
                n if n <= PART_MAX => Some(n),
                _ => return None,
            };
            parts.push((packed, take_n(b)?));
        }
        if !b.is_empty() {
            return None;
        }
        Some(ReportFile {
            id,
            fingerprint,
            with_db,
            ecosystems,
            parts,
        })
    }
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (h, t) = b.split_at_checked(n)?;
    *b = t;
    Some(h)
}

fn num(b: &mut &[u8]) -> Option<usize> {
    let v = u64::from_le_bytes(take(b, 8)?.try_into().ok()?);
    usize::try_from(v).ok()
}

/// A length, then that many bytes.
fn take_n<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = num(b)?;
    take(b, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ReportFile<'static> {
        ReportFile {
            id: "art_1",
            fingerprint: [7; 32],
            with_db: true,
            ecosystems: vec![("PyPI", 3), ("npm", 1)],
            parts: vec![
                (None, b"{\"created\":\""),
                (None, b"\",\"db\":"),
                (Some(100), b"zstd bytes"),
                (None, b",\"no_data_for\":"),
                (None, b"}"),
            ],
        }
    }

    #[test]
    fn a_file_reads_back_as_written() {
        let f = sample();
        let bytes = f.encode();
        assert!(bytes.starts_with(MAGIC));
        assert_eq!(ReportFile::decode(&bytes), Some(f));
    }

    #[test]
    fn a_damaged_file_is_none() {
        let bytes = sample().encode();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert_eq!(ReportFile::decode(&bad), None, "byte {i} flipped");
            assert_eq!(ReportFile::decode(&bytes[..i]), None, "cut at {i}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(ReportFile::decode(&longer), None);
    }

    #[test]
    fn a_well_formed_file_with_impossible_values_is_none() {
        let mut f = sample();
        f.parts.pop();
        assert_eq!(ReportFile::decode(&f.encode()), None, "four parts");
        let mut f = sample();
        f.parts[2].0 = Some(PART_MAX + 1);
        assert_eq!(ReportFile::decode(&f.encode()), None, "a part too large");
        // A huge ecosystem count with a valid checksum: refused without allocating for it.
        let mut body = Vec::new();
        body.extend_from_slice(&0u64.to_le_bytes());
        body.extend_from_slice(&[0; 32]);
        body.push(0);
        body.extend_from_slice(&u64::MAX.to_le_bytes());
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        file.extend_from_slice(&body);
        assert_eq!(ReportFile::decode(&file), None);
    }
}
