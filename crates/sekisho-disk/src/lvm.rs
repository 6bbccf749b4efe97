//! LVM2 physical volumes → logical volumes, read from the on-disk format without LVM tools.
//!
//! On-disk layout (LVM2 `format_text` documentation and `lib/format_text/layout.h`): a 32-byte
//! label header `LABELONE` in one of the first four sectors, type `LVM2 001`; after it the PV
//! header (32-character PV UUID, device size, then lists of data areas and metadata areas as
//! `{offset u64, size u64}` pairs, each list ending with a zero pair). A metadata area starts with
//! an `mda_header` (magic ` LVM2 x[5A%r0N*>`) whose `raw_locn` entries point at the current text
//! metadata in a ring buffer. The text is a tree of `key = value` and `section { ... }`.
//! Extents are `extent_size` 512-byte sectors; a PV's first extent is at `pe_start` sectors.
//! Linear (`striped` with one stripe) segments are supported; others are reported and skipped.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use crate::dev::{BlockDev, ConcatDev, Dev, SliceDev, invalid, le, read_vec};

const MDA_MAGIC: &[u8; 16] = b" LVM2 x[5A%r0N*>";
const MAX_METADATA: u64 = 4 << 20;
const MAX_NODES: usize = 200_000;
const MAX_NEST: usize = 32;

/// A PV found on a device.
#[derive(Debug, Clone)]
pub struct PhysicalVolume {
    /// 32 characters, no dashes.
    pub uuid: String,
    /// The current metadata text, if a metadata area holds one.
    pub metadata: Option<String>,
}

/// Whether `dev` starts with an LVM2 label; returns the PV if so.
pub fn read_pv(dev: &dyn BlockDev) -> io::Result<Option<PhysicalVolume>> {
    if dev.size() < 4096 {
        return Ok(None);
    }
    let head = read_vec(dev, 0, 2048)?;
    let Some(sector) = (0..4).find(|s| {
        &head[s * 512..s * 512 + 8] == b"LABELONE"
            && &head[s * 512 + 24..s * 512 + 32] == b"LVM2 001"
    }) else {
        return Ok(None);
    };
    let l = &head[sector * 512..(sector + 1) * 512];
    let off = (le::u32(l, 20) as usize).clamp(32, 400);
    let ph = &l[off..];
    let uuid = String::from_utf8_lossy(&ph[..32]).into_owned();
    let mut p = 40usize;
    let mut lists: [Vec<(u64, u64)>; 2] = [Vec::new(), Vec::new()];
    for list in &mut lists {
        loop {
            if p + 16 > ph.len() {
                break;
            }
            let (o, s) = (le::u64(ph, p), le::u64(ph, p + 8));
            p += 16;
            if o == 0 && s == 0 {
                break;
            }
            list.push((o, s));
        }
    }
    let mut metadata = None;
    for &(mda_off, mda_size) in &lists[1] {
        if let Some(t) = read_mda(dev, mda_off, mda_size)? {
            metadata = Some(t);
            break;
        }
    }
    Ok(Some(PhysicalVolume { uuid, metadata }))
}

fn read_mda(dev: &dyn BlockDev, off: u64, size: u64) -> io::Result<Option<String>> {
    if size < 1024 || off.saturating_add(size) > dev.size() {
        return Ok(None);
    }
    let h = read_vec(dev, off, 512)?;
    if &h[4..20] != MDA_MAGIC {
        return Ok(None);
    }
    let rl_off = le::u64(&h, 40);
    let rl_size = le::u64(&h, 48);
    if rl_size == 0 || rl_size > MAX_METADATA || rl_off >= size || rl_off < 512 {
        return Ok(None);
    }
    // Ring buffer: wraps to just after the 512-byte header.
    let mut text = Vec::with_capacity(rl_size as usize);
    let first = (size - rl_off).min(rl_size);
    text.extend(read_vec(dev, off + rl_off, first as usize)?);
    if first < rl_size {
        let rest = rl_size - first;
        if rest > size - 512 {
            return Ok(None);
        }
        text.extend(read_vec(dev, off + 512, rest as usize)?);
    }
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    Ok(Some(String::from_utf8_lossy(&text[..end]).into_owned()))
}

/// A value in LVM's text metadata.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Str(String),
    List(Vec<Value>),
    Section(Vec<(String, Value)>),
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Section(v) => v.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn sections(&self) -> Vec<(&str, &Value)> {
        match self {
            Value::Section(v) => v
                .iter()
                .filter(|(_, v)| matches!(v, Value::Section(_)))
                .map(|(k, v)| (k.as_str(), v))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Parse LVM text metadata into a tree.
pub fn parse_text(text: &str) -> io::Result<Value> {
    let toks = tokenize(text)?;
    let mut pos = 0;
    let mut nodes = 0;
    let v = parse_section(&toks, &mut pos, 0, &mut nodes, true)?;
    Ok(v)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Sym(char),
}

fn tokenize(t: &str) -> io::Result<Vec<Tok>> {
    let b = t.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'{' | b'}' | b'[' | b']' | b'=' | b',' => {
                out.push(Tok::Sym(c as char));
                i += 1;
            }
            b'"' => {
                let mut s = Vec::new();
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    s.push(b[i]);
                    i += 1;
                }
                i += 1;
                out.push(Tok::Str(String::from_utf8_lossy(&s).into_owned()));
            }
            _ => {
                let st = i;
                while i < b.len() && !b" \t\r\n{}[]=,\"#".contains(&b[i]) {
                    i += 1;
                }
                let w = &t[st..i];
                match w.parse::<i64>() {
                    Ok(n) => out.push(Tok::Int(n)),
                    Err(_) => out.push(Tok::Ident(w.to_string())),
                }
            }
        }
        if out.len() > MAX_NODES * 4 {
            return Err(invalid("LVM metadata: too many tokens"));
        }
    }
    Ok(out)
}

fn parse_section(
    t: &[Tok],
    pos: &mut usize,
    depth: usize,
    nodes: &mut usize,
    top: bool,
) -> io::Result<Value> {
    if depth > MAX_NEST {
        return Err(invalid("LVM metadata: nested too deeply"));
    }
    let mut items = Vec::new();
    loop {
        *nodes += 1;
        if *nodes > MAX_NODES {
            return Err(invalid("LVM metadata: too many nodes"));
        }
        match t.get(*pos) {
            None if top => return Ok(Value::Section(items)),
            None => return Err(invalid("LVM metadata: unexpected end")),
            Some(Tok::Sym('}')) if !top => {
                *pos += 1;
                return Ok(Value::Section(items));
            }
            Some(Tok::Ident(k)) | Some(Tok::Str(k)) => {
                let key = k.clone();
                *pos += 1;
                match t.get(*pos) {
                    Some(Tok::Sym('{')) => {
                        *pos += 1;
                        let v = parse_section(t, pos, depth + 1, nodes, false)?;
                        items.push((key, v));
                    }
                    Some(Tok::Sym('=')) => {
                        *pos += 1;
                        let v = parse_value(t, pos, nodes)?;
                        items.push((key, v));
                    }
                    _ => {
                        return Err(invalid(format!(
                            "LVM metadata: expected '{{' or '=' after {key}"
                        )));
                    }
                }
            }
            Some(other) => {
                return Err(invalid(format!("LVM metadata: unexpected token {other:?}")));
            }
        }
    }
}

fn parse_value(t: &[Tok], pos: &mut usize, nodes: &mut usize) -> io::Result<Value> {
    match t.get(*pos) {
        Some(Tok::Int(n)) => {
            *pos += 1;
            Ok(Value::Int(*n))
        }
        Some(Tok::Str(s)) | Some(Tok::Ident(s)) => {
            *pos += 1;
            Ok(Value::Str(s.clone()))
        }
        Some(Tok::Sym('[')) => {
            *pos += 1;
            let mut v = Vec::new();
            loop {
                *nodes += 1;
                if *nodes > MAX_NODES {
                    return Err(invalid("LVM metadata: too many nodes"));
                }
                match t.get(*pos) {
                    Some(Tok::Sym(']')) => {
                        *pos += 1;
                        return Ok(Value::List(v));
                    }
                    Some(Tok::Sym(',')) => *pos += 1,
                    Some(Tok::Int(n)) => {
                        v.push(Value::Int(*n));
                        *pos += 1;
                    }
                    Some(Tok::Str(s)) | Some(Tok::Ident(s)) => {
                        v.push(Value::Str(s.clone()));
                        *pos += 1;
                    }
                    _ => return Err(invalid("LVM metadata: bad list")),
                }
            }
        }
        _ => Err(invalid("LVM metadata: expected a value")),
    }
}

/// A logical volume resolved to a device, or the reason it could not be.
pub struct LogicalVolume {
    pub vg: String,
    pub name: String,
    pub dev: Result<Dev, String>,
}

/// Resolve every LV of the VG described by `metadata`, reading extents from the PVs in `pvs`
/// (uuid without dashes → device).
pub fn logical_volumes(
    metadata: &str,
    pvs: &BTreeMap<String, Dev>,
) -> io::Result<Vec<LogicalVolume>> {
    let root = parse_text(metadata)?;
    let mut out = Vec::new();
    for (vg_name, vg) in root.sections() {
        let Some(extent) = vg.int("extent_size").filter(|e| *e > 0) else {
            continue;
        };
        let extent = extent as u64 * 512;
        // pv name → (device, pe_start bytes, pe_count)
        let mut pv_map: BTreeMap<&str, Result<(Dev, u64, u64), String>> = BTreeMap::new();
        if let Some(pvsec) = vg.get("physical_volumes") {
            for (pname, pv) in pvsec.sections() {
                let id = pv.str("id").unwrap_or("").replace('-', "");
                let pe_start = pv.int("pe_start").unwrap_or(0).max(0) as u64 * 512;
                let pe_count = pv.int("pe_count").unwrap_or(0).max(0) as u64;
                pv_map.insert(
                    pname,
                    pvs.get(&id)
                        .cloned()
                        .map(|d| (d, pe_start, pe_count))
                        .ok_or_else(|| {
                            format!("physical volume {pname} ({id}) is not on this disk")
                        }),
                );
            }
        }
        let Some(lvsec) = vg.get("logical_volumes") else {
            continue;
        };
        for (lv_name, lv) in lvsec.sections() {
            let dev = resolve_lv(vg_name, lv_name, lv, extent, &pv_map);
            out.push(LogicalVolume {
                vg: vg_name.to_string(),
                name: lv_name.to_string(),
                dev,
            });
        }
    }
    Ok(out)
}

fn resolve_lv(
    vg: &str,
    name: &str,
    lv: &Value,
    extent: u64,
    pvs: &BTreeMap<&str, Result<(Dev, u64, u64), String>>,
) -> Result<Dev, String> {
    let mut segs: Vec<(u64, u64, &Value)> = Vec::new();
    for (k, s) in lv.sections() {
        if !k.starts_with("segment") {
            continue;
        }
        let start = s.int("start_extent").unwrap_or(-1);
        let count = s.int("extent_count").unwrap_or(-1);
        if start < 0 || count <= 0 {
            return Err(format!("segment {k} has no valid extents"));
        }
        segs.push((start as u64, count as u64, s));
    }
    if segs.is_empty() {
        return Err("no segments".into());
    }
    if segs.len() > 4096 {
        return Err("too many segments".into());
    }
    segs.sort_by_key(|s| s.0);
    let mut parts: Vec<Dev> = Vec::new();
    let mut next = 0u64;
    for (start, count, s) in segs {
        if start != next {
            return Err(format!("segments are not contiguous at extent {start}"));
        }
        let ty = s.str("type").unwrap_or("");
        let stripes = s.int("stripe_count").unwrap_or(1);
        if ty != "striped" || stripes != 1 {
            return Err(format!(
                "segment type {ty:?} with {stripes} stripes is not supported (only linear)"
            ));
        }
        let Some(Value::List(st)) = s.get("stripes") else {
            return Err("segment has no stripes".into());
        };
        let (Some(Value::Str(pv)), Some(Value::Int(pe))) = (st.first(), st.get(1)) else {
            return Err("segment stripes are malformed".into());
        };
        let (dev, pe_start, pe_count) = pvs
            .get(pv.as_str())
            .cloned()
            .unwrap_or_else(|| Err(format!("unknown PV {pv}")))?;
        let pe = (*pe).max(0) as u64;
        if pe_count != 0 && pe.saturating_add(count) > pe_count {
            return Err(format!("segment maps extents past the end of {pv}"));
        }
        let off = pe
            .checked_mul(extent)
            .and_then(|x| x.checked_add(pe_start))
            .ok_or("extent offset overflows")?;
        let len = count.checked_mul(extent).ok_or("extent count overflows")?;
        if off.saturating_add(len) > dev.size() {
            return Err(format!("segment maps past the end of {pv}"));
        }
        parts.push(Arc::new(SliceDev::new(
            dev,
            off,
            len,
            format!("{vg}/{name}"),
        )));
        next = start + count;
    }
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    Ok(Arc::new(ConcatDev::new(parts, format!("{vg}/{name}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_metadata() {
        let t = r#"vg0 {
id = "abc"
seqno = 3
extent_size = 8192 # 4 MiB
physical_volumes {
pv0 { id = "AAAA-BB" device = "/dev/sda2" pe_start = 2048 pe_count = 10 }
}
logical_volumes {
root { id = "x" status = ["READ", "WRITE", "VISIBLE"] segment_count = 1
segment1 { start_extent = 0 extent_count = 2 type = "striped" stripe_count = 1 stripes = [ "pv0", 1 ] }
}
}
}
contents = "Text Format Volume Group"
"#;
        let v = parse_text(t).unwrap();
        let vg = v.get("vg0").unwrap();
        assert_eq!(vg.int("extent_size"), Some(8192));
        let dev: Dev = Arc::new(crate::dev::MemDev::new(vec![
            7u8;
            2048 * 512 + 3 * 8192 * 512
        ]));
        let mut pvs = BTreeMap::new();
        pvs.insert("AAAABB".to_string(), dev);
        let lvs = logical_volumes(t, &pvs).unwrap();
        assert_eq!(lvs.len(), 1);
        assert_eq!(lvs[0].dev.as_ref().unwrap().size(), 2 * 8192 * 512);
    }
}
