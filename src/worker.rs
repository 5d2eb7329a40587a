//! The analysis worker: a thin yew-agent reactor around `core`.
//!
//! The loaded files and their merged event table live here, loaded once and
//! queried many times; the page only sends requests and receives small results.
//! Files arrive as `File` handles (structured-cloned handles, never their bytes)
//! and are read here in slices with `FileReaderSync`. Between slices the reactor
//! yields to the event loop, so its progress messages reach the page and a
//! `Cancel` sent by the page is seen while the load goes on.

use std::collections::VecDeque;
use std::rc::Rc;

use futures::{FutureExt, SinkExt, StreamExt};
use js_sys::{ArrayBuffer, Promise, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, FileReaderSync, Response as FetchResponse, WorkerGlobalScope};
use yew_agent::prelude::*;
use yew_agent::Codec;

use crate::core::attribution::{self, AttributionQuery, AttributionResult, Journeys};
use crate::core::dropoff;
use crate::core::funnel::{self, FunnelQuery, FunnelResult};
use crate::core::identity::{self, StitchReport};
use crate::core::ingest::{
    cut_points, is_adobe_column_headers, is_adobe_hit_data, parse_column_headers, pathtable, skipped_rows_csv,
    LoadError, LoadReport, Loader, MAX_EVENTS,
};
use crate::core::paths::{self, PathQuery, PathResult};
use crate::core::schema::{ColumnOverrides, Preset};
use crate::core::stages::{self, StageModel, StagesResult};
use crate::core::summary::{label_from_file_name, thousands, FileInfo, Summary};
use crate::core::table::{self, Duplicates, EventTable, Part};
use crate::core::warm;
use crate::core::{tar, zip};

mod split;
pub use split::{is_part_worker, serve_part};
use split::{Built, PartWorkers, ReadChoices};

/// Bytes read per slice: large enough to be fast (few round trips to the event loop), small
/// enough for smooth progress (a slice parses in about 0.1 s).
const CHUNK: usize = 16 << 20;

/// Where data comes from.
#[derive(Clone, Serialize, Deserialize)]
pub enum Source {
    /// A file the user picked or dropped (the handle is passed through, not serialised).
    File(#[serde(with = "serde_wasm_bindgen::preserve")] File),
    /// An absolute URL to fetch.
    Url(String),
}

/// What the page asks of the worker.
#[derive(Serialize, Deserialize)]
pub enum Request {
    /// Load files. With `replace`, they replace the loaded set if at least one loads;
    /// otherwise they are added to it. A file that fails leaves the rest untouched.
    Load {
        sources: Vec<(Source, String)>,
        columns: ColumnOverrides,
        replace: bool,
    },
    /// Re-read every loaded file with other column choices.
    Remap {
        columns: ColumnOverrides,
    },
    /// Keep or drop exact duplicate rows (re-reads the files).
    SetDuplicates(Duplicates),
    /// Read files as this export format, or detect it (`None`); re-reads the files.
    SetPreset(Option<Preset>),
    /// Merge anonymous ids into the known ids they are linked to (re-merges, no re-read).
    SetStitch(bool),
    /// Column names for files without a header line (re-reads the files).
    SetNames(Vec<String>),
    /// Further columns to keep as dimensions, by header name; `None`: common dimension names
    /// (re-reads the files).
    SetKeep(Option<Vec<String>>),
    /// Two columns (anonymous id, known id) whose values link ids (re-reads the files).
    SetStitchPair(Option<(String, String)>),
    /// At most this many workers read a large file at once; `None`: one per core (applies to
    /// the next reading).
    SetWorkers(Option<u32>),
    /// Stop the load in progress; data loaded before stays.
    Cancel,
    RemoveFile {
        index: usize,
    },
    SetLabel {
        index: usize,
        label: String,
    },
    /// Compute a funnel; `id` comes back with the result so stale results can be dropped.
    Funnel {
        id: u32,
        query: FunnelQuery,
    },
    /// Every skipped row of every loaded file, as CSV.
    SkippedRowsCsv,
    /// Compute paths (Sankey and variants); `id` as for funnels.
    Paths {
        id: u32,
        query: PathQuery,
    },
    /// Run every attribution model; `id` as for funnels.
    Attribution {
        id: u32,
        query: AttributionQuery,
    },
    /// The journeys attribution works on, as a path table CSV download.
    JourneysCsv {
        query: AttributionQuery,
    },
    /// The customers who entered a funnel, with their furthest step, as a CSV download.
    FunnelCustomersCsv {
        query: FunnelQuery,
    },
    /// The units of a funnel's drop-off insight (`query.insight`), as a CSV download.
    FunnelInsightCsv {
        query: FunnelQuery,
    },
    /// The lifecycle-stage model. On data without a stage column the model fills one (so funnels
    /// and paths `by=stage` work), and a changed model answers with a new summary.
    SetStageModel(StageModel),
    /// The stage drop-off analysis under `model`; `id` as for funnels.
    Stages {
        id: u32,
        model: StageModel,
    },
    /// One row per customer with their furthest stage and entry into each, as a CSV download.
    StagesCustomersCsv {
        model: StageModel,
    },
}

/// What the worker sends back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    Progress {
        name: String,
        bytes: u64,
        total: Option<u64>,
        rows: u64,
        elapsed_ms: f64,
    },
    /// The merged data changed (load, remap, removal, relabel).
    Loaded {
        summary: Box<Summary>,
    },
    /// Files that could not be loaded (the data loaded before is kept).
    LoadFailed(Vec<LoadError>),
    /// The load was cancelled; nothing changed.
    Cancelled,
    Funnel {
        id: u32,
        result: Result<Box<FunnelResult>, String>,
    },
    /// A file for the page to offer as a download.
    Download {
        file_name: String,
        mime: String,
        text: String,
    },
    Paths {
        id: u32,
        /// Crosses with its highlight lists packed (see [`paths_wire`]).
        #[serde(with = "paths_wire")]
        result: Result<Box<PathResult>, String>,
    },
    Attribution {
        id: u32,
        result: Result<Box<AttributionResult>, String>,
    },
    Stages {
        id: u32,
        result: Result<Box<StagesResult>, String>,
    },
}

impl Request {
    /// The name under which the page times this request's round trip, if it is timed.
    pub fn timing_kind(&self) -> Option<&'static str> {
        match self {
            Request::Load { .. }
            | Request::Remap { .. }
            | Request::SetDuplicates(_)
            | Request::SetPreset(_)
            | Request::SetStitch(_)
            | Request::SetNames(_)
            | Request::SetKeep(_)
            | Request::SetStitchPair(_)
            | Request::RemoveFile { .. }
            | Request::SetLabel { .. } => Some("load"),
            Request::Funnel { .. } => Some("funnel"),
            Request::Paths { .. } => Some("paths"),
            Request::Attribution { .. } => Some("attribution"),
            Request::Stages { .. } => Some("stages"),
            Request::Cancel
            | Request::SkippedRowsCsv
            | Request::JourneysCsv { .. }
            | Request::FunnelCustomersCsv { .. }
            | Request::FunnelInsightCsv { .. }
            | Request::SetStageModel(_)
            | Request::SetWorkers(_)
            | Request::StagesCustomersCsv { .. } => None,
        }
    }
}

impl Response {
    /// The timed request this response ends (see [`Request::timing_kind`]).
    pub fn timing_kind(&self) -> Option<&'static str> {
        match self {
            Response::Loaded { .. } => Some("load"),
            Response::Funnel { .. } => Some("funnel"),
            Response::Paths { .. } => Some("paths"),
            Response::Attribution { .. } => Some("attribution"),
            Response::Stages { .. } => Some("stages"),
            _ => None,
        }
    }
}

/// A paths result as it crosses the worker boundary: the nodes' and links' highlight lists
/// (`through`, tens of thousands of numbers that would each become a JS value) packed into one
/// byte array ([`PathResult::take_through`]), restored on arrival.
mod paths_wire {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::core::paths::PathResult;

    #[derive(Serialize, Deserialize)]
    struct Wire {
        result: Box<PathResult>,
        through: Bytes,
    }

    /// Bytes serialised as bytes (a `Uint8Array` through serde-wasm-bindgen).
    struct Bytes(Vec<u8>);

    impl Serialize for Bytes {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }

    impl<'de> Deserialize<'de> for Bytes {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Bytes;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                    Ok(Bytes(v.to_vec()))
                }
                fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bytes, E> {
                    Ok(Bytes(v))
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
                    let mut out = Vec::new();
                    while let Some(b) = seq.next_element()? {
                        out.push(b);
                    }
                    Ok(Bytes(out))
                }
            }
            d.deserialize_byte_buf(Visit)
        }
    }

    pub fn serialize<S: Serializer>(r: &Result<Box<PathResult>, String>, s: S) -> Result<S::Ok, S::Error> {
        let wire = r.as_ref().map_err(Clone::clone).map(|r| {
            let mut result = r.clone();
            let through = Bytes(result.take_through());
            Wire { result, through }
        });
        wire.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Box<PathResult>, String>, D::Error> {
        let wire: Result<Wire, String> = Deserialize::deserialize(d)?;
        Ok(wire.map(|Wire { mut result, through }| {
            result.restore_through(&through.0);
            result
        }))
    }
}

/// Messages cross the worker boundary as plain JS values, so a `File` handle
/// travels by structured clone (a reference, not a copy of its bytes).
pub struct JsCodec;

impl Codec for JsCodec {
    fn encode<I: Serialize>(input: I) -> JsValue {
        serde_wasm_bindgen::to_value(&input).expect_throw("worker message encodes")
    }

    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        serde_wasm_bindgen::from_value(input).expect_throw("worker message decodes")
    }
}

/// Reads a `Blob` slice by slice (worker threads only: it uses `FileReaderSync`).
pub struct BlobChunks {
    blob: Blob,
    pos: u64,
    buf: Vec<u8>,
    chunk: u64,
}

impl BlobChunks {
    pub fn new(blob: Blob) -> Result<BlobChunks, String> {
        Ok(BlobChunks { blob, pos: 0, buf: Vec::new(), chunk: CHUNK as u64 })
    }

    /// Slices of `bytes` bytes instead of the default.
    pub fn with_chunk_size(mut self, bytes: u64) -> BlobChunks {
        self.chunk = bytes.max(1);
        self
    }

    pub fn size(&self) -> f64 {
        self.blob.size()
    }

    /// The next slice, or `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, String> {
        let size = self.blob.size() as u64;
        if self.pos >= size {
            return Ok(None);
        }
        let end = (self.pos + self.chunk).min(size);
        self.buf = read_range(&self.blob, self.pos, end)?;
        self.pos = end;
        Ok(Some(&self.buf))
    }
}

fn scope() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Yields to the event loop (a macrotask) for at least `ms` milliseconds, so queued output
/// goes out and messages (the page's `Cancel`, the part workers' parts) are received.
async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

fn now_ms() -> f64 {
    js_sys::Reflect::get(&scope(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}

async fn fetch_bytes(url: &str, name: &str) -> Result<Vec<u8>, LoadError> {
    let fail = |message: String| LoadError { file: name.to_string(), line: None, message };
    let resp = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(|e| fail(format!("could not fetch {url}: {}", js_error(&e))))?;
    let resp: FetchResponse = resp.unchecked_into();
    if !resp.ok() {
        return Err(fail(format!("could not fetch {url}: HTTP {} {}", resp.status(), resp.status_text())));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|e| fail(js_error(&e)))?)
        .await
        .map_err(|e| fail(format!("could not read {url}: {}", js_error(&e))))?;
    Ok(Uint8Array::new(&buf.unchecked_into::<ArrayBuffer>()).to_vec())
}

fn js_error(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{e:?}"))
}

/// Bytes with random access: a `File` (read in slices) or fetched bytes.
#[derive(Clone)]
enum Bytes {
    File(File),
    Fetched(Rc<Vec<u8>>),
}

impl Bytes {
    fn size(&self) -> u64 {
        match self {
            Bytes::File(f) => f.size() as u64,
            Bytes::Fetched(b) => b.len() as u64,
        }
    }

    /// Calls `f` with bytes `start..end` (clamped to the size), [`PIECE`] bytes at a time;
    /// returns how many bytes were read.
    fn pieces<E>(
        &self,
        (start, end): (u64, u64),
        buf: &mut Vec<u8>,
        read_error: impl Fn(String) -> E,
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<u64, E> {
        let end = end.min(self.size());
        let start = start.min(end);
        match self {
            Bytes::File(file) => blob_pieces(file, (start, end), buf, read_error, f),
            Bytes::Fetched(b) => {
                for piece in b[start as usize..end as usize].chunks(PIECE as usize) {
                    f(piece)?;
                }
                Ok(end - start)
            }
        }
    }

    /// Bytes `start..end` (clamped to the size).
    fn read(&self, start: u64, end: u64) -> Result<Vec<u8>, String> {
        let end = end.min(self.size());
        let start = start.min(end);
        match self {
            Bytes::File(f) => read_range(f, start, end),
            Bytes::Fetched(b) => Ok(b[start as usize..end as usize].to_vec()),
        }
    }
}

/// Bytes handed to a loader at a time: a slice read from a file stays in the JavaScript heap and
/// is copied into wasm memory this much at a time, so the worker's memory (which never shrinks)
/// holds 1 MiB of the file, not a whole slice.
const PIECE: u32 = 1 << 20;

/// Reads `start..end` of a blob and calls `f` with its bytes, [`PIECE`] bytes at a time, copied
/// into `buf`; returns how many bytes were read (worker threads only: it uses `FileReaderSync`).
/// Feeds one chunk of a zip entry's compressed bytes (`None`: the entry's end) through
/// `inflater` to `push` (a loader): `Err(Ok(e))` is the loader's own error, with its line;
/// `Err(Err(message))` the inflater's.
fn inflate_into(
    inflater: &mut zip::EntryInflater,
    chunk: Option<&[u8]>,
    push: &mut dyn FnMut(&[u8]) -> Result<(), LoadError>,
) -> Result<(), Result<LoadError, String>> {
    let mut load_error = None;
    let mut sink = |b: &[u8]| {
        push(b).map_err(|e| {
            load_error = Some(e);
            String::new()
        })
    };
    let result = match chunk {
        Some(c) => inflater.push(c, &mut sink),
        None => std::mem::replace(inflater, zip::EntryInflater::Stored).finish(&mut sink),
    };
    result.map_err(|e| load_error.take().ok_or(e))
}

fn blob_pieces<E>(
    blob: &Blob,
    (start, end): (u64, u64),
    buf: &mut Vec<u8>,
    read_error: impl Fn(String) -> E,
    mut f: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<u64, E> {
    let reader = FileReaderSync::new().map_err(|e| read_error(format!("cannot read files here: {}", js_error(&e))))?;
    let slice = blob.slice_with_f64_and_f64(start as f64, end as f64).map_err(|e| read_error(js_error(&e)))?;
    let ab = reader
        .read_as_array_buffer(&slice)
        .map_err(|e| read_error(format!("the file could not be read (was it moved or deleted?): {}", js_error(&e))))?;
    let array = Uint8Array::new(&ab);
    let len = array.length();
    let mut at = 0;
    while at < len {
        let n = (len - at).min(PIECE);
        buf.resize(n as usize, 0);
        array.subarray(at, at + n).copy_to(buf);
        f(buf)?;
        at += n;
    }
    Ok(u64::from(len))
}

/// Reads `start..end` of a blob (worker threads only: it uses `FileReaderSync`).
fn read_range(blob: &Blob, start: u64, end: u64) -> Result<Vec<u8>, String> {
    let reader = FileReaderSync::new().map_err(|e| format!("cannot read files here: {}", js_error(&e)))?;
    let slice = blob.slice_with_f64_and_f64(start as f64, end as f64).map_err(|e| js_error(&e))?;
    let ab = reader
        .read_as_array_buffer(&slice)
        .map_err(|e| format!("the file could not be read (was it moved or deleted?): {}", js_error(&e)))?;
    Ok(Uint8Array::new(&ab).to_vec())
}

/// The data a file's table was read from, kept to re-read it with other choices.
enum Held {
    Whole(Bytes),
    /// One file inside a zip archive: its compressed bytes start at `data_start`.
    ZipEntry {
        archive: Bytes,
        entry: zip::Entry,
        data_start: u64,
    },
}

/// The sources a file or fetched data holds: itself, or each data file of a zip archive
/// (named `archive.zip/path/inside.csv`).
fn expand(bytes: Bytes, name: &str) -> Result<Vec<(Held, String)>, LoadError> {
    let fail = |message: String| LoadError { file: name.to_string(), line: None, message };
    // A tar archive (Adobe's lookup_data.tar.gz) is read whole: it has no directory.
    if tar::is_tar_name(name) {
        let size = bytes.size();
        if size > tar::MAX_BYTES {
            return Err(fail(format!(
                "the tar archive is over {} MB: unpack it and open the files inside",
                tar::MAX_BYTES >> 20
            )));
        }
        let files = tar::read_all(&bytes.read(0, size).map_err(fail)?).map_err(fail)?;
        if files.is_empty() {
            return Err(fail("the tar archive holds no files".into()));
        }
        let whole = |(inside, data): (String, Vec<u8>)| {
            (Held::Whole(Bytes::Fetched(Rc::new(data))), format!("{name}/{inside}"))
        };
        return Ok(files.into_iter().map(whole).collect());
    }
    if !zip::is_zip(&bytes.read(0, 4).map_err(fail)?) {
        return Ok(vec![(Held::Whole(bytes), name.to_string())]);
    }
    let size = bytes.size();
    let tail = bytes.read(size.saturating_sub(zip::TAIL), size).map_err(fail)?;
    let (offset, len) = zip::directory_location(&tail).map_err(fail)?;
    let entries = zip::directory(&bytes.read(offset, offset + len).map_err(fail)?).map_err(fail)?;
    let mut out = Vec::new();
    for entry in entries.into_iter().filter(zip::Entry::is_data) {
        let local = bytes.read(entry.header_offset, entry.header_offset + zip::LOCAL_HEADER as u64).map_err(fail)?;
        let data_start = entry.header_offset + zip::data_offset(&local).map_err(fail)?;
        let entry_name = format!("{name}/{}", entry.name);
        out.push((Held::ZipEntry { archive: bytes.clone(), entry, data_start }, entry_name));
    }
    if out.is_empty() {
        return Err(fail("the zip archive holds no files".into()));
    }
    Ok(out)
}

/// The column names an Adobe data feed's `column_headers.tsv` gives, and its name.
type FeedNames = Rc<(Vec<String>, String)>;

/// The whole contents of a small file (a `column_headers.tsv`).
fn small_file(held: &Held) -> Result<Vec<u8>, String> {
    const LIMIT: u64 = 1 << 20;
    let too_large = || "too large for a list of column names (over 1 MB)".to_string();
    match held {
        Held::Whole(b) if b.size() > LIMIT => Err(too_large()),
        Held::Whole(b) => b.read(0, b.size()),
        Held::ZipEntry { entry, .. } if entry.size > LIMIT => Err(too_large()),
        Held::ZipEntry { archive, entry, data_start } => {
            let compressed = archive.read(*data_start, data_start + entry.compressed_size)?;
            let mut out = Vec::new();
            let mut sink = |b: &[u8]| {
                out.extend_from_slice(b);
                Ok(())
            };
            let mut inflater = zip::EntryInflater::new(entry)?;
            inflater.push(&compressed, &mut sink)?;
            inflater.finish(&mut sink)?;
            Ok(out)
        }
    }
}

/// Whether a file of an Adobe data feed may be its hit data (Adobe ships `.tsv`, or `.tsv.gz`).
fn is_tsv(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".tsv") || n.ends_with(".tsv.gz")
}

struct Loaded {
    name: String,
    label: String,
    held: Held,
    /// For an Adobe data feed's hit data: the names from its `column_headers.tsv`.
    feed_names: Option<FeedNames>,
    table: Rc<EventTable>,
    report: LoadReport,
    /// Whether `table.stage` was filled from the stage model (the file has no stage column).
    derived_stage: bool,
}

type Scope = ReactorScope<Request, Response>;

/// The worker's state: the loaded files and their merged table.
struct Session {
    files: Vec<Loaded>,
    /// The files' tables merged; the file's own table when only one is loaded.
    merged: Option<Rc<EventTable>>,
    /// The path tables loaded, merged (then no event file is loaded).
    path_table: Option<Rc<Journeys>>,
    columns: ColumnOverrides,
    duplicates: Duplicates,
    preset: Option<Preset>,
    stitch: bool,
    /// Column names for files without a header line.
    names: Vec<String>,
    /// Further columns to keep (`keep=`); `None`: common dimension names.
    keep: Option<Vec<String>>,
    /// A chosen (anonymous id, known id) pair of columns.
    stitch_pair: Option<(String, String)>,
    /// At most this many workers read a large file (`None`: one per core).
    workers: Option<u32>,
    /// Links found in the loaded files and what stitching does with them.
    identity: StitchReport,
    /// Requests that arrived during a load, handled after it.
    queued: VecDeque<Request>,
    /// The lifecycle-stage model, and whether `merged.stage` was derived from it (the data has
    /// no stage column of its own).
    stage_model: StageModel,
    derived_stage: bool,
    /// What was built from `merged` for the last requests, dropped whenever `merged` changes
    /// (`merge_tables`, `derive_stage_column`, through [`Session::forget_built`]):
    /// the index of the last funnel's steps (see [`funnel::FunnelIndex`]), so that a change of
    /// window, order, count or breakdown scans only the rows of its steps;
    funnel_index: Option<funnel::FunnelIndex>,
    /// and the last paths request's paths and variants (see [`paths::Prepared`]), so that a
    /// change of steps, values per step, share threshold or direction only lays out the Sankey.
    paths_prepared: Option<paths::Prepared>,
}

enum Interrupt {
    Failed(LoadError),
    Cancelled,
}

impl Session {
    async fn send(scope: &mut Scope, r: Response) {
        let _ = scope.send(r).await;
    }

    /// After each slice: report progress, let events in, and take note of what arrived.
    async fn checkpoint(&mut self, scope: &mut Scope, progress: Response) -> Result<(), Interrupt> {
        Self::send(scope, progress).await;
        self.pause(scope, 0).await
    }

    /// Lets events in for `ms` milliseconds, and takes note of what arrived.
    async fn pause(&mut self, scope: &mut Scope, ms: i32) -> Result<(), Interrupt> {
        sleep(ms).await;
        let mut cancelled = false;
        while let Some(Some(req)) = scope.next().now_or_never() {
            match req {
                Request::Cancel => cancelled = true,
                other => self.queued.push_back(other),
            }
        }
        if cancelled {
            Err(Interrupt::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Streams one source through a loader, reporting progress.
    async fn read(
        &mut self,
        scope: &mut Scope,
        held: &Held,
        name: &str,
        feed: (Option<&FeedNames>, bool),
    ) -> Result<(EventTable, LoadReport), Interrupt> {
        let fail = |message: String| Interrupt::Failed(LoadError { file: name.to_string(), line: None, message });
        let choices = ReadChoices {
            name: name.to_string(),
            columns: self.columns.clone(),
            duplicates: self.duplicates,
            preset: self.preset,
            names: self.names.clone(),
            skip_lookups: feed.1,
            identity_pair: self.stitch_pair.clone(),
            keep: self.keep.clone(),
            json_keys: None,
        };
        let in_parts = match (held, feed.0) {
            (Held::Whole(Bytes::File(file)), None) => Some((file, None)),
            (Held::ZipEntry { archive: Bytes::File(file), entry, data_start }, None) => {
                Some((file, Some((entry, *data_start))))
            }
            _ => None,
        };
        if let Some((file, entry)) = in_parts {
            if let Some(read) = self.read_in_parts(scope, file, entry, &choices).await? {
                return Ok(read);
            }
        }
        let mut loader = choices.loader(feed.0.map(|n| (n.0.as_slice(), n.1.as_str())));
        if let Held::Whole(all) = held {
            loader = loader.size_hint(all.size());
        }
        let started = now_ms();
        let progress = |loader: &Loader, bytes: u64, total: u64| Response::Progress {
            name: name.into(),
            bytes,
            total: Some(total),
            rows: loader.rows_read(),
            elapsed_ms: now_ms() - started,
        };
        match held {
            Held::Whole(all) => {
                let total = all.size();
                let (mut pos, mut buf) = (0, Vec::new());
                while pos < total {
                    let push = |b: &[u8]| loader.push(b).map_err(Interrupt::Failed);
                    pos += all.pieces((pos, pos + CHUNK as u64), &mut buf, fail, push)?;
                    self.checkpoint(scope, progress(&loader, pos, total)).await?;
                }
            }
            Held::ZipEntry { archive, entry, data_start } => {
                let mut inflater = zip::EntryInflater::new(entry).map_err(fail)?;
                let (total, end) = (entry.compressed_size, data_start + entry.compressed_size);
                let feed = |loader: &mut Loader, inflater: &mut zip::EntryInflater, chunk: Option<&[u8]>| {
                    inflate_into(inflater, chunk, &mut |b| loader.push(b))
                        .map_err(|e| e.map_or_else(fail, Interrupt::Failed))
                };
                let mut pos = *data_start;
                while pos < end {
                    let chunk = archive.read(pos, (pos + CHUNK as u64).min(end)).map_err(fail)?;
                    if chunk.is_empty() {
                        return Err(fail("the zip archive is cut short".into()));
                    }
                    pos += chunk.len() as u64;
                    feed(&mut loader, &mut inflater, Some(&chunk))?;
                    self.checkpoint(scope, progress(&loader, pos - data_start, total)).await?;
                }
                feed(&mut loader, &mut inflater, None)?;
            }
        }
        loader.finish().map_err(Interrupt::Failed)
    }

    /// Reads a large file in part workers, the table built in one of them (see [`split`]):
    /// plain delimited text and JSON lines in several parts at once on several cores, other
    /// files (compressed, a JSON array, XES, no header line) whole in one, and so are parts that
    /// do not join. `None` when it is to be read whole here (under 8 MiB, or 1 MiB of gzip; a
    /// path table or an identity map; a part worker that fails).
    ///
    /// `entry`: the file is that entry of a zip archive (its compressed bytes start at the
    /// offset given), read whole by one part worker once it holds 8 MiB.
    async fn read_in_parts(
        &mut self,
        scope: &mut Scope,
        file: &File,
        entry: Option<(&zip::Entry, u64)>,
        choices: &ReadChoices,
    ) -> Result<Option<(EventTable, LoadReport)>, Interrupt> {
        // The head: enough to fix the columns (JSON lines fixes them after 1,000 records).
        const HEAD_PIECE: u64 = 64 << 10;
        const HEAD_MAX: u64 = 4 << 20;
        let size = file.size() as u64;
        let name = choices.name.as_str();
        let fail = |message: String| Interrupt::Failed(LoadError { file: name.to_string(), line: None, message });
        let bytes = Bytes::File(file.clone());
        if let Some((entry, data_start)) = entry {
            if entry.size < split::MIN_PART_BYTES {
                return Ok(None);
            }
            let span = (data_start, data_start + entry.compressed_size);
            return self
                .read_by_part_workers(scope, file, Some(entry), span, (1, Vec::new()), (&[], choices, choices))
                .await;
        }
        // A gzip file holds several times its size: read elsewhere from an eighth of the size.
        let compressed = size >= split::MIN_PART_BYTES / 8 && bytes.read(0, 2).map_err(fail)? == [0x1f, 0x8b];
        if size < split::MIN_PART_BYTES / if compressed { 8 } else { 1 } {
            return Ok(None);
        }
        let mut parts = split::parts_for(size, self.workers);
        let (mut pos, mut header, mut later) = (0, Vec::new(), choices.clone());
        // For several parts the head is read here, to learn how the file reads and where it
        // may be cut; the first part worker reads it again as the start of its part. One part
        // worker reads a file in one part without it.
        if parts > 1 {
            let mut head = choices.loader(None);
            while !head.splittable() && !head.never_splittable() && pos < HEAD_MAX {
                let chunk = bytes.read(pos, pos + HEAD_PIECE).map_err(fail)?;
                if pos == 0 {
                    header = chunk.split_inclusive(|&b| b == b'\n').next().unwrap_or_default().to_vec();
                }
                pos += chunk.len() as u64;
                head.push(&chunk).map_err(Interrupt::Failed)?;
            }
            if !head.builds_table() {
                return Ok(None);
            }
            if !head.splittable() || !header.ends_with(b"\n") {
                parts = 1;
            }
            // Delimited text: every later part is read after the header line; JSON lines:
            // with the columns the head found.
            later.json_keys = head.json_keys();
            if later.json_keys.is_some() {
                header.clear();
            }
        }
        let cuts = match cut_points(size, parts, pos, |a, b| bytes.read(a, b)).map_err(fail)? {
            Some(cuts) => cuts,
            None => {
                parts = 1;
                Vec::new()
            }
        };
        self.read_by_part_workers(scope, file, None, (0, size), (parts, cuts), (&header, choices, &later)).await
    }

    /// Has part workers read bytes `span` of `file` in `parts` parts cut at `cuts` (the first
    /// with `first` choices, the others after `header` with `later` ones; `entry`: the span is
    /// that zip entry's compressed bytes) and build the table in the first of them.
    async fn read_by_part_workers(
        &mut self,
        scope: &mut Scope,
        file: &File,
        entry: Option<&zip::Entry>,
        span: (u64, u64),
        (mut parts, mut cuts): (usize, Vec<u64>),
        (header, first, later): (&[u8], &ReadChoices, &ReadChoices),
    ) -> Result<Option<(EventTable, LoadReport)>, Interrupt> {
        let name = first.name.as_str();
        loop {
            let ranges: Vec<(u64, u64)> =
                [span.0].into_iter().chain(cuts.iter().copied()).zip(cuts.iter().copied().chain([span.1])).collect();
            // The part workers load while this one waits (they load through it).
            let Ok(workers) = PartWorkers::start(parts) else { return Ok(None) };
            while !workers.ready() && !workers.settled() {
                self.pause(scope, 2).await?;
            }
            if !workers.ready() || workers.send_jobs(file, &ranges, entry, header, (first, later)).is_err() {
                return Ok(None);
            }
            let started = now_ms();
            let total = span.1 - span.0;
            let progress = |workers: &PartWorkers| {
                let (bytes, rows) = workers.progress();
                Response::Progress {
                    name: name.into(),
                    bytes,
                    total: Some(total),
                    rows,
                    elapsed_ms: now_ms() - started,
                }
            };
            let mut shown = now_ms();
            while !workers.settled() {
                self.pause(scope, 4).await?;
                if now_ms() - shown > 100.0 {
                    shown = now_ms();
                    Self::send(scope, progress(&workers)).await;
                }
            }
            if workers.send_build().is_err() {
                return Ok(None);
            }
            let built = loop {
                if let Some(built) = workers.built() {
                    break built;
                }
                self.pause(scope, 2).await?;
            };
            drop(workers);
            match built {
                Built::Table(read) => {
                    let (table, mut report) = *read;
                    if parts > 1 {
                        report.notes.push(format!("Read in {parts} parts at once, by {parts} workers."));
                    }
                    return Ok(Some((table, report)));
                }
                Built::FileError(e) => return Err(Interrupt::Failed(e)),
                // A cut fell inside a quoted line break: one part worker reads the file whole.
                Built::Unjoined if parts > 1 => {
                    (parts, cuts) = (1, Vec::new());
                }
                Built::Unjoined => return Ok(None),
                Built::Failed(why) => {
                    web_sys::console::warn_1(
                        &format!("{name}: read whole here, as the part workers did not build it: {why}").into(),
                    );
                    return Ok(None);
                }
            }
        }
    }

    fn merge(&mut self) {
        // Derived stage columns go first: they are not the files' data.
        self.merged = None;
        self.derived_stage = false;
        for f in self.files.iter_mut().filter(|f| f.derived_stage) {
            Rc::make_mut(&mut f.table).stage = None;
            f.derived_stage = false;
        }
        self.merge_tables();
        self.derive_stage_column();
    }

    /// Fills the merged table's stage column from the stage model when the data has none. A
    /// single file's table is the merged table itself: it is filled in place, not copied.
    fn derive_stage_column(&mut self) {
        self.forget_built();
        let Some(mut merged) = self.merged.take() else { return };
        if merged.stage.is_some() && !self.derived_stage || merged.is_empty() {
            self.merged = Some(merged);
            return;
        }
        let column = stages::stage_column(&merged, &self.stage_model);
        match self.files.iter().position(|f| Rc::ptr_eq(&f.table, &merged)) {
            Some(i) => {
                drop(merged);
                let f = &mut self.files[i];
                Rc::make_mut(&mut f.table).stage = Some(column);
                f.derived_stage = true;
                self.merged = Some(Rc::clone(&f.table));
            }
            None => {
                Rc::make_mut(&mut merged).stage = Some(column);
                self.merged = Some(merged);
            }
        }
        self.derived_stage = true;
    }

    /// The data's own stage column (not one derived from the model).
    fn data_stage_column<'a>(&self, table: &'a EventTable) -> Option<&'a table::Column> {
        if self.derived_stage {
            None
        } else {
            table.stage.as_ref()
        }
    }

    /// Drops what was built from the merged table, before it changes.
    fn forget_built(&mut self) {
        self.funnel_index = None;
        self.paths_prepared = None;
    }

    fn merge_tables(&mut self) {
        self.forget_built();
        let tables: Vec<&Journeys> = self.files.iter().filter_map(|f| f.report.path_table.as_deref()).collect();
        self.path_table = (!tables.is_empty()).then(|| Rc::new(pathtable::merge(&tables)));
        let parts: Vec<Part<'_>> = self.files.iter().map(|f| Part { table: &f.table, label: &f.label }).collect();
        let links: Vec<(String, String)> =
            self.files.iter().flat_map(|f| f.report.identity_links.iter().cloned()).collect();
        let (ids, report) = identity::resolve(&links);
        self.identity = report;
        let stitching = self.stitch && !ids.is_empty();
        self.merged = match self.files.as_slice() {
            [] => None,
            // One file, nothing to re-read as another id: its table as it is (no copy).
            [one] if !stitching => Some(Rc::clone(&one.table)),
            _ if stitching => Some(Rc::new(identity::merge_stitched(&parts, &ids))),
            _ => Some(Rc::new(table::merge(&parts))),
        };
    }

    fn summary(&self) -> Response {
        let files = self
            .files
            .iter()
            .map(|f| FileInfo { name: f.name.clone(), label: f.label.clone(), report: f.report.clone() })
            .collect();
        let empty = EventTable::default();
        let mut summary = match &self.path_table {
            Some(j) => Summary::of_path_table(j, files),
            None => Summary::of(self.merged.as_deref().unwrap_or(&empty), files),
        };
        summary.identity = self.identity.clone();
        summary.stitched = self.stitch && self.identity.merged > 0;
        summary.memory_bytes = wasm_memory_bytes();
        Response::Loaded { summary: Box::new(summary) }
    }

    async fn load(&mut self, scope: &mut Scope, sources: Vec<(Source, String)>, replace: bool) {
        let mut added = Vec::new();
        let mut errors = Vec::new();
        let mut all_parts = Vec::new();
        for (source, name) in sources {
            let bytes = match source {
                Source::File(f) => Bytes::File(f),
                Source::Url(url) => {
                    let p = Response::Progress { name: name.clone(), bytes: 0, total: None, rows: 0, elapsed_ms: 0.0 };
                    Self::send(scope, p).await;
                    match fetch_bytes(&url, &name).await {
                        Ok(b) => Bytes::Fetched(Rc::new(b)),
                        Err(e) => {
                            errors.push(e);
                            continue;
                        }
                    }
                }
            };
            match expand(bytes, &name) {
                Ok(parts) => all_parts.extend(parts),
                Err(e) => errors.push(e),
            }
        }
        // An Adobe data feed: its column_headers.tsv names the columns of the .tsv hit data
        // opened with it; its lookup tables (event.tsv, …) are not loaded.
        let (headers, parts): (Vec<_>, Vec<_>) = all_parts.into_iter().partition(|(_, n)| is_adobe_column_headers(n));
        let mut feed_names: Option<FeedNames> = None;
        for (held, name) in headers {
            let base = name.rsplit('/').next().unwrap_or(&name).to_string();
            match small_file(&held)
                .map_err(|message| LoadError { file: name.clone(), line: None, message })
                .and_then(|bytes| parse_column_headers(&name, &bytes))
            {
                Ok(names) => feed_names = Some(Rc::new((names, base))),
                Err(e) => errors.push(e),
            }
        }
        let feed = feed_names.is_some() || parts.iter().any(|(_, n)| is_adobe_hit_data(n));
        if let Some(names) = &feed_names {
            if !parts.iter().any(|(_, n)| is_tsv(n)) {
                errors.push(LoadError {
                    file: names.1.clone(),
                    line: None,
                    message: "this file only names the columns of an Adobe Analytics data feed: open it together with hit_data.tsv (both at once, or the zip that holds them)".into(),
                });
            }
        }
        let mut lookups = Vec::new();
        for (held, name) in parts {
            let names = feed_names.clone().filter(|_| is_tsv(&name));
            match self.read(scope, &held, &name, (names.as_ref(), feed)).await {
                Ok((_, report)) if report.lookup => lookups.push(name.rsplit('/').next().unwrap_or(&name).to_string()),
                Ok((table, report)) => {
                    let label = label_from_file_name(&name);
                    added.push(Loaded {
                        name,
                        label,
                        held,
                        feed_names: names,
                        table: Rc::new(table),
                        report,
                        derived_stage: false,
                    });
                }
                Err(Interrupt::Failed(e)) => errors.push(e),
                Err(Interrupt::Cancelled) => {
                    Self::send(scope, Response::Cancelled).await;
                    return;
                }
            }
        }
        if let (false, Some(f)) = (lookups.is_empty(), added.iter_mut().find(|f| f.feed_names.is_some())) {
            f.report.notes.push(format!("Lookup tables not loaded: {}.", lookups.join(", ")));
        }
        let kept: u64 = if replace { 0 } else { self.files.iter().map(|f| f.table.len() as u64).sum() };
        let new: u64 = added.iter().map(|f| f.table.len() as u64).sum();
        if kept + new > MAX_EVENTS && !added.is_empty() {
            let names: Vec<String> = added.drain(..).map(|f| f.name).collect();
            errors.push(LoadError {
                file: names.join(", "),
                line: None,
                message: format!(
                    "together with the files loaded, more than {} events: a browser tab cannot hold them; remove a file first",
                    thousands(MAX_EVENTS)
                ),
            });
        }
        let is_paths = |f: &Loaded| f.report.path_table.is_some();
        let kept_kinds: Vec<bool> = if replace { Vec::new() } else { self.files.iter().map(is_paths).collect() };
        let kinds: Vec<bool> = kept_kinds.iter().copied().chain(added.iter().map(is_paths)).collect();
        if kinds.contains(&true) && kinds.contains(&false) {
            let names: Vec<String> = added.drain(..).map(|f| f.name).collect();
            errors.push(LoadError {
                file: names.join(", "),
                line: None,
                message: "a path table (aggregated journeys) cannot be merged with event-level files: open it on its own, or remove the other files first".into(),
            });
        }
        if !added.is_empty() {
            if replace {
                self.files.clear();
            }
            self.files.extend(added);
            self.merge();
            Self::send(scope, self.summary()).await;
        }
        if !errors.is_empty() {
            Self::send(scope, Response::LoadFailed(errors)).await;
        }
    }

    /// Re-reads every file (after a change of columns or duplicate handling); all or nothing.
    async fn reread(&mut self, scope: &mut Scope) {
        if self.files.is_empty() {
            return; // the choice applies to the next load
        }
        let mut files = std::mem::take(&mut self.files);
        let mut result = Ok(());
        for f in files.iter_mut() {
            let feed = (f.feed_names.clone(), f.feed_names.is_some());
            match self.read(scope, &f.held, &f.name.clone(), (feed.0.as_ref(), feed.1)).await {
                Ok((table, mut report)) => {
                    // Notes made when the files were opened (lookups left out) stay.
                    let kept = f.report.notes.iter().filter(|n| n.starts_with("Lookup tables")).cloned();
                    report.notes.extend(kept);
                    f.table = Rc::new(table);
                    f.report = report;
                    f.derived_stage = false;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        match result {
            Ok(()) => {
                self.files = files;
                self.merge();
                Self::send(scope, self.summary()).await;
            }
            // Tables already re-read are discarded with the rest: reload them as they were.
            Err(e) => {
                self.files = files;
                self.merge();
                Self::send(scope, self.summary()).await;
                match e {
                    Interrupt::Failed(e) => Self::send(scope, Response::LoadFailed(vec![e])).await,
                    Interrupt::Cancelled => Self::send(scope, Response::Cancelled).await,
                }
            }
        }
    }

    /// A funnel CSV as a download, or its error where the funnel's errors show.
    async fn send_funnel_csv(scope: &mut Scope, file_name: String, csv: Option<Result<String, funnel::FunnelError>>) {
        let response = match csv {
            Some(Ok(text)) => Response::Download { file_name, mime: "text/csv".into(), text },
            Some(Err(e)) => Response::Funnel { id: 0, result: Err(e.to_string()) },
            None => Response::Funnel { id: 0, result: Err("no data loaded yet".into()) },
        };
        Self::send(scope, response).await;
    }

    async fn handle(&mut self, scope: &mut Scope, req: Request) {
        match req {
            Request::Load { sources, columns, replace } => {
                self.columns = columns;
                self.load(scope, sources, replace).await;
            }
            Request::Remap { columns } => {
                self.columns = columns;
                self.reread(scope).await;
            }
            Request::SetDuplicates(d) => {
                self.duplicates = d;
                self.reread(scope).await;
            }
            Request::SetPreset(p) => {
                self.preset = p;
                self.reread(scope).await;
            }
            Request::SetNames(n) => {
                self.names = n;
                self.reread(scope).await;
            }
            Request::SetStitchPair(p) => {
                self.stitch_pair = p;
                self.reread(scope).await;
            }
            Request::SetKeep(k) => {
                self.keep = k;
                self.reread(scope).await;
            }
            Request::SetWorkers(n) => self.workers = n,
            Request::SetStitch(on) => {
                self.stitch = on;
                if !self.files.is_empty() {
                    self.merge();
                    Self::send(scope, self.summary()).await;
                }
            }
            Request::Cancel => {} // nothing in progress
            Request::RemoveFile { index } => {
                if index < self.files.len() {
                    self.files.remove(index);
                    self.merge();
                    Self::send(scope, self.summary()).await;
                }
            }
            Request::SetLabel { index, label } => {
                if let Some(f) = self.files.get_mut(index) {
                    f.label = label;
                    self.merge();
                    Self::send(scope, self.summary()).await;
                }
            }
            Request::SkippedRowsCsv => {
                let reports: Vec<&LoadReport> = self.files.iter().map(|f| &f.report).collect();
                let text = skipped_rows_csv(&reports);
                let file_name = "touchpath-skipped-rows.csv".to_string();
                Self::send(scope, Response::Download { file_name, mime: "text/csv".into(), text }).await;
            }
            Request::Paths { id, query } => {
                let result = self.paths(&query).map(Box::new);
                Self::send(scope, Response::Paths { id, result }).await;
            }
            Request::Attribution { id, query } => {
                let result = self.journeys(&query).map(|j| Box::new(attribution::attribute(&j, &query)));
                Self::send(scope, Response::Attribution { id, result }).await;
            }
            Request::JourneysCsv { query } => match self.journeys(&query) {
                Ok(j) => {
                    let text = j.to_path_table_csv();
                    let file_name = "touchpath-journeys.csv".to_string();
                    Self::send(scope, Response::Download { file_name, mime: "text/csv".into(), text }).await;
                }
                Err(e) => Self::send(scope, Response::Attribution { id: 0, result: Err(e) }).await,
            },
            Request::FunnelCustomersCsv { query } => {
                let csv = self.merged.as_deref().map(|t| funnel::customers_csv(t, &query));
                Self::send_funnel_csv(scope, "touchpath-funnel-customers.csv".into(), csv).await;
            }
            Request::FunnelInsightCsv { query } => {
                let step = query.insight.unwrap_or(0);
                let csv = self.merged.as_deref().map(|t| dropoff::insight_csv(t, &query, step));
                Self::send_funnel_csv(scope, format!("touchpath-dropoff-step{}.csv", step + 1), csv).await;
            }
            Request::SetStageModel(model) => {
                if model != self.stage_model {
                    self.stage_model = model;
                    if self.derived_stage {
                        self.derive_stage_column();
                        Self::send(scope, self.summary()).await;
                    }
                }
            }
            Request::Stages { id, model } => {
                let result = match &self.merged {
                    Some(t) => Ok(Box::new(stages::compute_with(t, &model, self.data_stage_column(t)))),
                    None => Err("no data loaded yet".to_string()),
                };
                Self::send(scope, Response::Stages { id, result }).await;
            }
            Request::StagesCustomersCsv { model } => match &self.merged {
                Some(t) => {
                    let text = stages::customers_csv(t, &model, self.data_stage_column(t));
                    let file_name = "touchpath-stages-customers.csv".to_string();
                    Self::send(scope, Response::Download { file_name, mime: "text/csv".into(), text }).await;
                }
                None => {
                    let result = Err("no data loaded yet".to_string());
                    Self::send(scope, Response::Stages { id: 0, result }).await;
                }
            },
            Request::Funnel { id, query } => {
                let index = self.funnel_index.as_ref().filter(|ix| ix.fits(&query));
                let result = match &self.merged {
                    Some(t) => funnel::compute_with(t, &query, index).map(Box::new).map_err(|e| e.to_string()),
                    None => Err("no data loaded yet".to_string()),
                };
                let stale = index.is_none();
                Self::send(scope, Response::Funnel { id, result }).await;
                // New steps: their index is built once the answer is on its way, so this funnel
                // does not wait for it and the next one with the same steps (another window,
                // order or breakdown) uses it.
                if let (true, Some(t)) = (stale, &self.merged) {
                    self.funnel_index = funnel::FunnelIndex::new(t, &query).ok();
                }
            }
        }
    }
}

impl Session {
    /// The paths view, from the paths prepared for the last request when they fit.
    fn paths(&mut self, query: &PathQuery) -> Result<PathResult, String> {
        let Some(t) = &self.merged else { return Err("no data loaded yet".to_string()) };
        if !self.paths_prepared.as_ref().is_some_and(|p| p.fits(query)) {
            // Dropped before the new ones are built, so the two are never held at once.
            self.paths_prepared = None;
            self.paths_prepared = Some(paths::Prepared::new(t, query).map_err(|e| e.to_string())?);
        }
        let prepared = self.paths_prepared.as_ref().expect("prepared above");
        paths::compute_with(t, query, prepared).map_err(|e| e.to_string())
    }

    /// The journeys attribution runs on: the path table, or journeys cut from the events.
    fn journeys(&self, query: &AttributionQuery) -> Result<Rc<Journeys>, String> {
        if let Some(j) = &self.path_table {
            return Ok(Rc::clone(j));
        }
        match &self.merged {
            Some(t) => attribution::journeys(t, query).map(Rc::new).map_err(|e| e.to_string()),
            None => Err("no data loaded yet".to_string()),
        }
    }
}

/// The reactor: one per page, holding the loaded data.
#[reactor]
pub async fn Analysis(mut scope: ReactorScope<Request, Response>) {
    let mut session = Session {
        files: Vec::new(),
        merged: None,
        path_table: None,
        columns: ColumnOverrides::default(),
        duplicates: Duplicates::Drop,
        preset: None,
        stitch: false,
        names: Vec::new(),
        keep: None,
        stitch_pair: None,
        workers: None,
        identity: StitchReport::default(),
        queued: VecDeque::new(),
        stage_model: StageModel::default(),
        derived_stage: false,
        funnel_index: None,
        paths_prepared: None,
    };
    let mut warm_up = Some(warm::WarmUp::default());
    loop {
        let req = match session.queued.pop_front() {
            Some(r) => r,
            None => match scope.next().await {
                Some(r) => r,
                None => break,
            },
        };
        session.handle(&mut scope, req).await;
        // Once something is loaded: the analyses warmed up while nothing is asked of the worker
        // (see core::warm), a phase at a time, giving way to any request that arrives.
        if warm_up.is_some() && session.merged.is_some() {
            while session.pause(&mut scope, 0).await.is_ok() && session.queued.is_empty() {
                let more = warm_up.as_mut().is_some_and(|w| w.step(session.merged.as_deref()));
                if !more {
                    if let Some(w) = warm_up.take() {
                        encode_unsent(w.into_results());
                    }
                    break;
                }
            }
        }
    }
}

/// Encodes the warm-up's results as answers and drops the messages, so that the first answers
/// a person waits for run optimised encoding code (see core::warm); nothing is sent.
fn encode_unsent(results: warm::Results) {
    let warm::Results { funnel, paths, attribution } = results;
    let answers = [
        funnel.map(|r| Response::Funnel { id: 0, result: Ok(Box::new(r)) }),
        paths.map(|r| Response::Paths { id: 0, result: Ok(Box::new(r)) }),
        attribution.map(|r| Response::Attribution { id: 0, result: Ok(Box::new(r)) }),
    ];
    // A few times: V8 optimises the encoding's wasm and its JavaScript glue after some use.
    for answer in answers.iter().flatten() {
        for _ in 0..3 {
            drop(JsCodec::encode(answer));
        }
    }
}

/// The size of this worker's wasm linear memory.
fn wasm_memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().map(|b| b.byte_length() as u64).unwrap_or(0))
        .unwrap_or(0)
}
