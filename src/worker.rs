//! The analysis worker: a thin yew-agent reactor around `core`.
//!
//! The event table lives here, loaded once and queried many times; the page
//! only sends requests and receives small results. Files arrive as `File`
//! handles (structured-cloned handles, never their bytes) and are read here in
//! slices with `FileReaderSync`; between slices the reactor yields so that its
//! progress messages reach the page while the load goes on.

use futures::{SinkExt, StreamExt};
use js_sys::{ArrayBuffer, Promise, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, FileReaderSync, Response as FetchResponse, WorkerGlobalScope};
use yew_agent::prelude::*;
use yew_agent::Codec;

use crate::core::funnel::{self, FunnelQuery, FunnelResult};
use crate::core::ingest::{LoadError, Loader};
use crate::core::schema::ColumnOverrides;
use crate::core::summary::Summary;
use crate::core::table::EventTable;

/// Bytes read per slice: large enough to be fast, small enough for smooth progress.
const CHUNK: usize = 4 << 20;

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
    /// Load data, replacing the current table only if the load succeeds.
    Load { source: Source, name: String, columns: ColumnOverrides },
    /// Re-read the current data with other column choices.
    Remap { columns: ColumnOverrides },
    /// Compute a funnel; `id` comes back with the result so stale results can be dropped.
    Funnel { id: u32, query: FunnelQuery },
}

/// What the worker sends back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    Progress { name: String, bytes: u64, total: Option<u64>, rows: u64 },
    Loaded { name: String, summary: Box<Summary> },
    LoadFailed(LoadError),
    Funnel { id: u32, result: Result<FunnelResult, String> },
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
    reader: FileReaderSync,
    pos: f64,
    buf: Vec<u8>,
}

impl BlobChunks {
    pub fn new(blob: Blob) -> Result<BlobChunks, String> {
        let reader = FileReaderSync::new().map_err(|e| format!("cannot read files here: {e:?}"))?;
        Ok(BlobChunks { blob, reader, pos: 0.0, buf: Vec::new() })
    }

    pub fn size(&self) -> f64 {
        self.blob.size()
    }

    /// The next slice, or `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, String> {
        let size = self.blob.size();
        if self.pos >= size {
            return Ok(None);
        }
        let end = (self.pos + CHUNK as f64).min(size);
        let slice = self.blob.slice_with_f64_and_f64(self.pos, end).map_err(|e| format!("{e:?}"))?;
        let ab = self.reader.read_as_array_buffer(&slice).map_err(|e| format!("the file could not be read: {e:?}"))?;
        let view = Uint8Array::new(&ab);
        self.buf.resize(view.length() as usize, 0);
        view.copy_to(&mut self.buf);
        self.pos = end;
        Ok(Some(&self.buf))
    }
}

/// Lets queued tasks (the output relay) run, so progress messages go out now.
async fn yield_now() {
    let _ = JsFuture::from(Promise::resolve(&JsValue::NULL)).await;
}

async fn fetch_bytes(url: &str, name: &str) -> Result<Vec<u8>, LoadError> {
    let fail = |message: String| LoadError { file: name.to_string(), line: None, message };
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let resp = JsFuture::from(scope.fetch_with_str(url))
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

/// The data a table was read from, kept to re-read it with other column choices.
enum Held {
    File(File),
    Bytes(Vec<u8>),
}

type Scope = ReactorScope<Request, Response>;

async fn send(scope: &mut Scope, r: Response) {
    let _ = scope.send(r).await;
}

/// Streams `held` through a fresh loader, reporting progress.
async fn load(
    scope: &mut Scope,
    held: &Held,
    name: &str,
    columns: &ColumnOverrides,
) -> Result<(EventTable, Summary), LoadError> {
    let fail = |message: String| LoadError { file: name.to_string(), line: None, message };
    let mut loader = Loader::new(name, columns.clone());
    let mut bytes = 0u64;
    match held {
        Held::File(file) => {
            let mut chunks = BlobChunks::new(file.clone().into()).map_err(fail)?;
            let total = chunks.size() as u64;
            while let Some(chunk) = chunks.next_chunk().map_err(fail)? {
                bytes += chunk.len() as u64;
                loader.push(chunk)?;
                let rows = loader.rows_read();
                send(scope, Response::Progress { name: name.into(), bytes, total: Some(total), rows }).await;
                yield_now().await;
            }
        }
        Held::Bytes(all) => {
            for chunk in all.chunks(CHUNK) {
                bytes += chunk.len() as u64;
                loader.push(chunk)?;
                let rows = loader.rows_read();
                send(scope, Response::Progress { name: name.into(), bytes, total: Some(all.len() as u64), rows }).await;
                yield_now().await;
            }
        }
    }
    let (table, report) = loader.finish()?;
    let summary = Summary::of(&table, report);
    Ok((table, summary))
}

/// The reactor: one per page, holding the loaded table.
#[reactor]
pub async fn Analysis(mut scope: ReactorScope<Request, Response>) {
    let mut table: Option<EventTable> = None;
    let mut held: Option<(Held, String)> = None;
    while let Some(req) = scope.next().await {
        match req {
            Request::Load { source, name, columns } => {
                let data = match source {
                    Source::File(f) => Ok(Held::File(f)),
                    Source::Url(url) => {
                        send(&mut scope, Response::Progress { name: name.clone(), bytes: 0, total: None, rows: 0 })
                            .await;
                        fetch_bytes(&url, &name).await.map(Held::Bytes)
                    }
                };
                let outcome = match data {
                    Ok(data) => load(&mut scope, &data, &name, &columns).await.map(|r| (r, data)),
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(((t, summary), data)) => {
                        table = Some(t);
                        held = Some((data, name.clone()));
                        send(&mut scope, Response::Loaded { name, summary: Box::new(summary) }).await;
                    }
                    Err(e) => send(&mut scope, Response::LoadFailed(e)).await,
                }
            }
            Request::Remap { columns } => {
                let Some((data, name)) = held.as_ref() else { continue };
                let name = name.clone();
                match load(&mut scope, data, &name, &columns).await {
                    Ok((t, summary)) => {
                        table = Some(t);
                        send(&mut scope, Response::Loaded { name, summary: Box::new(summary) }).await;
                    }
                    Err(e) => send(&mut scope, Response::LoadFailed(e)).await,
                }
            }
            Request::Funnel { id, query } => {
                let result = match &table {
                    Some(t) => funnel::compute(t, &query).map_err(|e| e.to_string()),
                    None => Err("no data loaded yet".to_string()),
                };
                send(&mut scope, Response::Funnel { id, result }).await;
            }
        }
    }
}
