//! Zip archives: the central directory, and a push-based inflater per entry.
//!
//! The reader needs random access (the directory is at the end), which a `File`
//! in the worker gives through `Blob.slice`: read [`TAIL`] bytes from the end,
//! [`directory`] names the entries and where they are, [`data_offset`] skips an
//! entry's local header, and [`EntryInflater`] turns its compressed bytes, pushed
//! in chunks, into the entry's own bytes (which may themselves be gzip, as in
//! Amplitude's exports). Stored (0) and deflate (8) entries are read; ZIP64,
//! encrypted and other methods are reported as such.

use std::io::Write;

/// How many bytes at the end of an archive hold the end-of-central-directory record
/// (22 bytes plus a comment of up to 65,535).
pub const TAIL: u64 = 22 + 65_535;
/// Bytes of a local file header before its name and extra field.
pub const LOCAL_HEADER: usize = 30;

/// The first four bytes of a zip archive.
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// One file in an archive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub name: String,
    /// 0 = stored, 8 = deflate.
    pub method: u16,
    pub compressed_size: u64,
    pub size: u64,
    /// Where the entry's local header starts.
    pub header_offset: u64,
}

impl Entry {
    /// Whether the entry is data to load: not a directory, nor macOS or dot-file metadata.
    pub fn is_data(&self) -> bool {
        let base = self.name.rsplit('/').next().unwrap_or("");
        !self.name.ends_with('/') && !self.name.starts_with("__MACOSX/") && !base.starts_with('.') && !base.is_empty()
    }
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// Where the central directory is, from the archive's last [`TAIL`] bytes:
/// `(offset, size)` within the archive.
pub fn directory_location(tail: &[u8]) -> Result<(u64, u64), String> {
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))
        .ok_or("the zip archive is damaged or cut short (no end-of-directory record)")?;
    let size = u32_at(tail, eocd + 12).ok_or("damaged zip directory")?;
    let offset = u32_at(tail, eocd + 16).ok_or("damaged zip directory")?;
    if size == u32::MAX || offset == u32::MAX {
        return Err("ZIP64 archives (over 4 GB) are not supported yet; unzip it and open the files inside".into());
    }
    Ok((u64::from(offset), u64::from(size)))
}

/// The entries of a central directory (the bytes [`directory_location`] points to).
pub fn directory(dir: &[u8]) -> Result<Vec<Entry>, String> {
    let damaged = || "the zip directory is damaged".to_string();
    let mut entries = Vec::new();
    let mut i = 0;
    while i + 46 <= dir.len() {
        if !dir[i..].starts_with(b"PK\x01\x02") {
            return Err(damaged());
        }
        let flags = u16_at(dir, i + 8).ok_or_else(damaged)?;
        let method = u16_at(dir, i + 10).ok_or_else(damaged)?;
        let compressed_size = u32_at(dir, i + 20).ok_or_else(damaged)?;
        let size = u32_at(dir, i + 24).ok_or_else(damaged)?;
        let name_len = usize::from(u16_at(dir, i + 28).ok_or_else(damaged)?);
        let extra_len = usize::from(u16_at(dir, i + 30).ok_or_else(damaged)?);
        let comment_len = usize::from(u16_at(dir, i + 32).ok_or_else(damaged)?);
        let header_offset = u32_at(dir, i + 42).ok_or_else(damaged)?;
        let name_bytes = dir.get(i + 46..i + 46 + name_len).ok_or_else(damaged)?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        if flags & 1 != 0 {
            return Err(format!("{name} is encrypted; Touchpath reads unencrypted archives only"));
        }
        if [compressed_size, size, header_offset].contains(&u32::MAX) {
            return Err("ZIP64 archives (over 4 GB) are not supported yet; unzip it and open the files inside".into());
        }
        entries.push(Entry {
            name,
            method,
            compressed_size: u64::from(compressed_size),
            size: u64::from(size),
            header_offset: u64::from(header_offset),
        });
        i += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// How far past its local header an entry's data starts, from the header's first
/// [`LOCAL_HEADER`] bytes.
pub fn data_offset(local_header: &[u8]) -> Result<u64, String> {
    if !local_header.starts_with(b"PK\x03\x04") {
        return Err("the zip archive is damaged (an entry's header is missing)".into());
    }
    let name_len = u16_at(local_header, 26).ok_or("damaged zip entry")?;
    let extra_len = u16_at(local_header, 28).ok_or("damaged zip entry")?;
    Ok((LOCAL_HEADER + usize::from(name_len) + usize::from(extra_len)) as u64)
}

/// Turns an entry's compressed bytes, pushed in chunks, into its contents.
pub enum EntryInflater {
    Stored,
    Deflate(Box<flate2::write::DeflateDecoder<Vec<u8>>>),
}

impl EntryInflater {
    pub fn new(entry: &Entry) -> Result<EntryInflater, String> {
        match entry.method {
            0 => Ok(EntryInflater::Stored),
            8 => Ok(EntryInflater::Deflate(Box::new(flate2::write::DeflateDecoder::new(Vec::new())))),
            m => Err(format!("{} uses compression method {m}; Touchpath reads stored and deflate entries", entry.name)),
        }
    }

    /// Inflates a chunk; `out` receives the bytes it yields.
    pub fn push(&mut self, chunk: &[u8], out: &mut dyn FnMut(&[u8]) -> Result<(), String>) -> Result<(), String> {
        match self {
            EntryInflater::Stored => out(chunk),
            EntryInflater::Deflate(d) => {
                d.write_all(chunk).map_err(|e| format!("the zip entry is damaged ({e})"))?;
                let bytes = std::mem::take(d.get_mut());
                let r = out(&bytes);
                *d.get_mut() = bytes;
                d.get_mut().clear();
                r
            }
        }
    }

    /// Ends the entry, giving out what is left.
    pub fn finish(self, out: &mut dyn FnMut(&[u8]) -> Result<(), String>) -> Result<(), String> {
        if let EntryInflater::Deflate(d) = self {
            let rest = d.finish().map_err(|e| format!("the zip entry is damaged or cut short ({e})"))?;
            out(&rest)?;
        }
        Ok(())
    }
}

/// Reads every data entry of an in-memory archive: `(name, contents)`. For tests and
/// native tools; the worker streams entries from the `File` instead.
pub fn read_all(archive: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let tail_start = archive.len().saturating_sub(TAIL as usize);
    let (offset, size) = directory_location(&archive[tail_start..])?;
    let dir = archive.get(offset as usize..(offset + size) as usize).ok_or("the zip directory is out of range")?;
    let mut files = Vec::new();
    for e in directory(dir)?.into_iter().filter(Entry::is_data) {
        let start = e.header_offset as usize;
        let data = start + data_offset(archive.get(start..start + LOCAL_HEADER).ok_or("entry out of range")?)? as usize;
        let compressed = archive.get(data..data + e.compressed_size as usize).ok_or("entry data out of range")?;
        let mut inflater = EntryInflater::new(&e)?;
        let mut contents = Vec::with_capacity(e.size as usize);
        let mut sink = |b: &[u8]| -> Result<(), String> {
            contents.extend_from_slice(b);
            Ok(())
        };
        for chunk in compressed.chunks(1 << 16) {
            inflater.push(chunk, &mut sink)?;
        }
        inflater.finish(&mut sink)?;
        files.push((e.name, contents));
    }
    Ok(files)
}
