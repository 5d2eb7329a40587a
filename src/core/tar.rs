//! Tar archives, plain or gzip-compressed (`.tar`, `.tar.gz`, `.tgz`), as Adobe ships its
//! data feeds (`rsid_date-lookup_data.tar.gz` holds `column_headers.tsv` and the lookups).
//!
//! A tar archive has no directory, so it is read whole into memory, up to [`MAX_BYTES`]
//! unpacked: enough for lookup archives and small feeds; larger ones are refused with a
//! message. Regular files are returned; directories, links, pax and GNU long-name records
//! are read for what they say about the next entry or skipped, and so are macOS `._` files.

use std::io::Read;

/// The most bytes an archive may hold unpacked.
pub const MAX_BYTES: u64 = 512 << 20;

const BLOCK: usize = 512;

/// Whether a file name says it is a tar archive.
pub fn is_tar_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".tar") || n.ends_with(".tar.gz") || n.ends_with(".tgz")
}

/// An octal number field (NUL- or space-terminated).
fn octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

/// A NUL-terminated text field.
fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// The regular files of an archive (gzip-compressed or not): `(path, contents)`.
pub fn read_all(archive: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let too_large = || {
        format!("the tar archive holds more than {} MB unpacked: unpack it and open the files inside", MAX_BYTES >> 20)
    };
    let unpacked;
    let bytes: &[u8] = if archive.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(archive)
            .take(MAX_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("the gzip data is damaged or cut short ({e})"))?;
        if out.len() as u64 > MAX_BYTES {
            return Err(too_large());
        }
        unpacked = out;
        &unpacked
    } else {
        if archive.len() as u64 > MAX_BYTES {
            return Err(too_large());
        }
        archive
    };
    if bytes.len() < BLOCK || !bytes[257..262].starts_with(b"ustar") && octal(&bytes[148..156]).is_none() {
        return Err("this is not a tar archive (no tar header)".into());
    }
    let mut files = Vec::new();
    let mut long_name: Option<String> = None;
    let mut pos = 0;
    let mut ended = false;
    while pos + BLOCK <= bytes.len() {
        let header = &bytes[pos..pos + BLOCK];
        if header.iter().all(|&b| b == 0) {
            ended = true; // the end-of-archive blocks
            break;
        }
        let size = octal(&header[124..136]).ok_or("the tar archive is damaged (a size is not a number)")?;
        let start = pos + BLOCK;
        let end = (start as u64)
            .checked_add(size)
            .filter(|&e| e <= bytes.len() as u64)
            .ok_or("the tar archive is cut short")? as usize;
        let data = &bytes[start..end];
        let kind = header[156];
        let mut name = text(&header[..100]);
        let prefix = text(&header[345..500]);
        if header[257..262].starts_with(b"ustar") && !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
        match kind {
            // GNU long name: the next entry's name.
            b'L' => long_name = Some(text(data)),
            // pax extended header: a `path=` record names the next entry.
            b'x' => {
                let records = String::from_utf8_lossy(data);
                if let Some(path) = records.lines().find_map(|l| l.split_once(" path=").map(|(_, p)| p.to_string())) {
                    long_name = Some(path);
                }
            }
            b'0' | 0 | b'7' => {
                let name = long_name.take().unwrap_or(name);
                let base = name.rsplit('/').next().unwrap_or("");
                if !base.is_empty() && !base.starts_with("._") && !name.starts_with("__MACOSX/") {
                    files.push((name.trim_start_matches("./").to_string(), data.to_vec()));
                }
            }
            _ => long_name = None,
        }
        pos = start + (end - start).div_ceil(BLOCK) * BLOCK;
    }
    if !ended && pos != bytes.len() {
        return Err("the tar archive is cut short".into());
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ustar header block for a regular file.
    fn header(name: &str, size: usize, kind: u8) -> Vec<u8> {
        let mut h = vec![0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h
    }

    fn archive(entries: &[(&str, &[u8], u8)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data, kind) in entries {
            out.extend(header(name, data.len(), *kind));
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
        }
        out.extend([0u8; 2 * BLOCK]);
        out
    }

    #[test]
    fn damaged_archives_never_panic() {
        let tar = archive(&[("a.tsv", b"x\ty\n", b'0'), ("b.tsv", &[b'z'; 700], b'0')]);
        let mut rng = crate::core::test_rng::XorShift(0x2545_f491);
        let mut next = || rng.next();
        for _ in 0..2_000 {
            let mut t = tar.clone();
            for _ in 0..1 + next() % 8 {
                let i = (next() % t.len() as u64) as usize;
                t[i] = next() as u8;
            }
            let cut = (next() % (t.len() as u64 + 1)) as usize;
            let _ = read_all(&t[..cut]);
            let _ = read_all(&t);
        }
    }

    #[test]
    fn reads_regular_files_and_skips_the_rest() {
        let long = "a/".repeat(60) + "long_name.tsv";
        let tar = archive(&[
            ("feed/", b"", b'5'),
            ("feed/column_headers.tsv", b"a\tb\n", b'0'),
            ("feed/._column_headers.tsv", b"mac", b'0'),
            ("././@LongLink", long.as_bytes(), b'L'),
            ("truncated", &[b'x'; 600], b'0'),
        ]);
        let files = read_all(&tar).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["feed/column_headers.tsv", long.as_str()]);
        assert_eq!((files[0].1.as_slice(), files[1].1.len()), (&b"a\tb\n"[..], 600));
        // The same archive gzip-compressed.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        assert_eq!(read_all(&gz.finish().unwrap()).unwrap(), files);
        // Cut short, and not a tar archive at all.
        assert_eq!(read_all(&tar[..BLOCK * 2 + 100]).unwrap_err(), "the tar archive is cut short");
        assert_eq!(read_all(&[b'z'; 1024]).unwrap_err(), "this is not a tar archive (no tar header)");
        assert!(is_tar_name("rsid_2024-03-05-lookup_data.tar.gz") && is_tar_name("x.TGZ") && !is_tar_name("x.tsv.gz"));
    }
}
