//! Zip archives: the directory, stored and deflate entries, nested gzip (as Amplitude ships).

use touchpath::core::funnel::{compute, Dimension, FunnelQuery};
use touchpath::core::ingest::load_bytes;
use touchpath::core::schema::{ColumnOverrides, Preset};
use touchpath::core::summary::label_from_file_name;
use touchpath::core::table::{merge, Part};
use touchpath::core::zip::{directory, directory_location, is_zip, read_all, Entry, TAIL};

const AMPLITUDE: &[u8] = include_bytes!("fixtures/zip/amplitude_export.zip");
const SILOS: &[u8] = include_bytes!("fixtures/zip/silos_stored.zip");

fn dir(archive: &[u8]) -> Vec<Entry> {
    let tail = &archive[archive.len().saturating_sub(TAIL as usize)..];
    let (offset, size) = directory_location(tail).unwrap();
    directory(&archive[offset as usize..(offset + size) as usize]).unwrap()
}

#[test]
fn the_directory_lists_entries_and_skips_metadata() {
    assert!(is_zip(AMPLITUDE));
    let entries = dir(AMPLITUDE);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "654321/",
            "654321/654321_2024-03-01_10#0.json.gz",
            "654321/654321_2024-03-01_11#0.json.gz",
            "__MACOSX/654321/._654321_2024-03-01_10#0.json.gz",
            ".DS_Store"
        ]
    );
    let data: Vec<bool> = entries.iter().map(Entry::is_data).collect();
    assert_eq!(data, [false, true, true, false, false]);
    assert_eq!(entries[1].method, 8);
}

/// Loads every entry of an archive and merges them, as the worker does.
fn load_archive(archive: &[u8], zip_name: &str) -> Vec<(String, touchpath::core::table::EventTable)> {
    read_all(archive)
        .unwrap()
        .into_iter()
        .map(|(entry, bytes)| {
            let name = format!("{zip_name}/{entry}");
            let (t, r) = load_bytes(&name, &bytes, &ColumnOverrides::default()).unwrap_or_else(|e| panic!("{e}"));
            assert!(r.format.ends_with("(gzip)") || !entry.ends_with(".gz"), "{name}: {}", r.format);
            if entry.ends_with(".json.gz") {
                assert_eq!(r.mapping.preset, Preset::Amplitude);
            }
            (name, t)
        })
        .collect()
}

#[test]
fn amplitude_zip_of_gzipped_json_lines_merges_into_one_journey() {
    let files = load_archive(AMPLITUDE, "amplitude_export.zip");
    assert_eq!(files.len(), 2);
    let labels: Vec<String> = files.iter().map(|(n, _)| label_from_file_name(n)).collect();
    let parts: Vec<Part> = files.iter().zip(&labels).map(|((_, t), l)| Part { table: t, label: l }).collect();
    let t = merge(&parts);
    // alice ×3, the anonymous device d2 ×2 (user_id null → device_id), bob ×1.
    assert_eq!((t.len(), t.customers.to_vec()), (6, vec!["alice".to_string(), "d2".into(), "bob".into()]));
    let ch = t.channel.as_ref().unwrap();
    let mut counts: Vec<(String, u64)> = ch.values.iter().cloned().zip(ch.counts()).collect();
    counts.sort();
    // google/cpc → paid_search; newsletter/email → email; the rest have no utm → direct.
    assert_eq!(counts, [("direct".to_string(), 4), ("email".into(), 1), ("paid_search".into(), 1)]);
    let q = FunnelQuery {
        by: Dimension::Event,
        steps: vec!["page_viewed".into(), "add_to_cart".into(), "purchase".into()],
        ..Default::default()
    };
    let got: Vec<u64> = compute(&t, &q).unwrap().steps.iter().map(|s| s.customers).collect();
    assert_eq!(got, [3, 2, 1]);
}

#[test]
fn stored_entries_from_several_silos() {
    let files = load_archive(SILOS, "silos_stored.zip");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["silos_stored.zip/web.csv", "silos_stored.zip/call_center.csv"]);
    assert_eq!(label_from_file_name(names[1]), "call center");
}

#[test]
fn damaged_archives_say_so() {
    assert!(directory_location(b"PK\x03\x04 nothing else").unwrap_err().contains("damaged or cut short"));
    let cut = &AMPLITUDE[..AMPLITUDE.len() - 30];
    assert!(read_all(cut).is_err());
    // Flip bytes inside the first deflate entry's data: inflating fails or yields other
    // bytes, but nothing panics.
    let mut bad = AMPLITUDE.to_vec();
    let e = &dir(AMPLITUDE)[1];
    let at = e.header_offset as usize + 30 + e.name.len() + 5;
    for b in &mut bad[at..at + 20] {
        *b ^= 0x5a;
    }
    let _ = read_all(&bad);
}
