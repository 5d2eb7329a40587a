//! Browser tests run inside a dedicated worker, where the analysis worker lives:
//! reading a real `Blob` in slices with `FileReaderSync`, and passing a `File`
//! handle through the worker codec.
#![cfg(target_arch = "wasm32")]

use std::io::Write;

use js_sys::{Array, Uint8Array};
use touchpath::core::ingest::{load_bytes, Loader};
use touchpath::core::schema::ColumnOverrides;
use touchpath::worker::{BlobChunks, JsCodec, Request, Source};
use wasm_bindgen_test::*;
use web_sys::{Blob, File};
use yew_agent::Codec;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn blob(bytes: &[u8]) -> Blob {
    let parts = Array::of1(&Uint8Array::from(bytes).into());
    Blob::new_with_u8_array_sequence(&parts).unwrap()
}

fn csv(n: usize) -> Vec<u8> {
    // 3 customers round-robin, 1 event per second; every 7th row has a bad timestamp.
    let mut s = String::from("customer_id,timestamp,event\n");
    for i in 0..n {
        let ts = if i % 7 == 6 { "not a time".to_string() } else { (1_700_000_000 + i).to_string() };
        s.push_str(&format!("c{},{ts},e{}\n", i % 3, i % 4));
    }
    s.into_bytes()
}

#[wasm_bindgen_test]
fn blob_chunks_stream_a_file_into_the_same_table() {
    let bytes = csv(300_000); // about 5 MB: five 1 MiB slices
    let mut chunks = BlobChunks::new(blob(&bytes)).unwrap().with_chunk_size(1 << 20);
    assert_eq!(chunks.size() as usize, bytes.len());
    let mut loader = Loader::new("big.csv", ColumnOverrides::default());
    let mut slices = 0;
    while let Some(c) = chunks.next_chunk().unwrap() {
        loader.push(c).unwrap();
        slices += 1;
    }
    assert!(slices >= 4, "read in {slices} slices");
    let (table, report) = loader.finish().unwrap();
    // 300,000 rows, of which every 7th (i % 7 == 6) is bad: floor(300000 / 7) = 42,857.
    assert_eq!(report.rows_read, 300_000);
    assert_eq!(report.rows_skipped(), 42_857);
    assert_eq!(table.len(), 300_000 - 42_857);
    assert_eq!(table.customer_count(), 3);
    let (whole, _) = load_bytes("big.csv", &bytes, &ColumnOverrides::default()).unwrap();
    assert_eq!(table, whole);
}

#[wasm_bindgen_test]
fn gzip_blob_decompresses_in_the_worker() {
    let plain = csv(1_000);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let mut chunks = BlobChunks::new(blob(&gz)).unwrap();
    let mut loader = Loader::new("small.csv.gz", ColumnOverrides::default());
    while let Some(c) = chunks.next_chunk().unwrap() {
        loader.push(c).unwrap();
    }
    let (table, report) = loader.finish().unwrap();
    assert_eq!(report.format, "csv (gzip)");
    // floor(1000 / 7) = 142 bad rows.
    assert_eq!(table.len(), 1_000 - 142);
}

#[wasm_bindgen_test]
fn file_handles_cross_the_codec_without_their_bytes_being_serialised() {
    let parts = Array::of1(&Uint8Array::from(&b"customer_id,timestamp,event\n"[..]).into());
    let file = File::new_with_u8_array_sequence(&parts, "export.csv").unwrap();
    let req = Request::Load {
        sources: vec![(Source::File(file.clone()), "export.csv".into())],
        columns: Default::default(),
        replace: false,
    };
    let encoded = JsCodec::encode(req);
    let back: Request = JsCodec::decode(encoded);
    match back {
        Request::Load { mut sources, replace: false, .. } if sources.len() == 1 => {
            let (Source::File(f), name) = sources.remove(0) else { panic!("a file source") };
            assert_eq!(name, "export.csv");
            assert_eq!(f.name(), "export.csv");
            assert_eq!(f.size(), 28.0);
            // The very same JS object: nothing was copied.
            assert!(js_sys::Object::is(&f, &file));
        }
        _ => panic!("wrong variant"),
    }
}
