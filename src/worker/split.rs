//! Reading a large file in other workers.
//!
//! A large plain CSV, TSV or JSON-lines file is cut after line breaks into as many parts as
//! the machine has cores (`navigator.hardwareConcurrency`, at most [`MAX_PARTS`]; one part on
//! one core). The analysis worker starts one *part worker* per part: the same script
//! (`worker.js`, its own wasm instance) started under the name [`PART_WORKER`], which reads
//! only its part of the `File` (the handle crosses, not the bytes). Every part worker but the
//! first sends back its rows, encoded, in one transferred buffer; the analysis worker hands
//! those buffers on to the first part worker, which joins them to its own rows
//! ([`join_parts`](crate::core::ingest::join_parts)), builds the very table reading the whole
//! file gives, and sends back that table alone ([`encode_loaded`]). So the analysis worker's
//! memory, which never shrinks, holds the table, not what reading and building it took: the
//! part workers end once it has arrived. No `SharedArrayBuffer` is needed, so a static host
//! without cross-origin isolation will do.
//!
//! Whenever the parts do not join (a cut inside a quoted line break), a part worker fails or
//! cannot start, the file is read whole here, as before: the result never depends on the split.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{ArrayBuffer, Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent, Worker, WorkerOptions};

use crate::core::ingest::{
    count_newlines, decode_loaded, encode_loaded, join_parts, LoadError, LoadPart, LoadReport, Loader,
};
use crate::core::schema::{ColumnOverrides, Preset};
use crate::core::table::EventTable;
use crate::core::table::{Duplicates, PartBytes};
use crate::core::zip::{Entry, EntryInflater};

/// The name a part worker is started under (`new Worker(url, { name })`).
pub const PART_WORKER: &str = "touchpath-part";

/// At most this many parts (each part worker holds its part's rows until they are joined).
pub const MAX_PARTS: usize = 8;

/// Each part is at least this large: below it, starting a worker costs more than it saves.
pub const MIN_PART_BYTES: u64 = 8 << 20;

/// A part worker that says nothing for this long (ms) is given up, and the file read whole. A
/// part worker reports after each 16 MiB slice (about 0.2 s of work).
const SILENCE_MS: f64 = 20_000.0;

/// How the file is read: the same choices in every worker, so every part is read alike.
#[derive(Clone, Serialize, Deserialize)]
pub struct ReadChoices {
    pub name: String,
    pub columns: ColumnOverrides,
    pub duplicates: Duplicates,
    pub preset: Option<Preset>,
    pub names: Vec<String>,
    pub skip_lookups: bool,
    pub identity_pair: Option<(String, String)>,
    pub keep: Option<Vec<String>>,
    /// For a part of a JSON-lines file: the columns the first part found.
    pub json_keys: Option<Vec<String>>,
}

impl ReadChoices {
    /// A loader with these choices (`feed`: the names an Adobe data feed's column headers give).
    pub fn loader(&self, feed: Option<(&[String], &str)>) -> Loader {
        let mut loader = Loader::new(&self.name, self.columns.clone()).duplicates(self.duplicates).preset(self.preset);
        if let Some((names, from)) = feed {
            loader = loader.column_headers(names.to_vec(), from);
        } else if !self.names.is_empty() {
            loader = loader.names(self.names.clone());
        }
        loader
            .skip_lookups(self.skip_lookups)
            .identity_pair(self.identity_pair.clone())
            .keep(self.keep.clone())
            .with_json_keys(self.json_keys.clone())
    }
}

/// A script that starts a part worker on this worker's compiled module (sent as its first
/// message), so that it neither fetches nor compiles the wasm again and runs the code V8 has
/// already optimised here. `None` when this worker's script is not found (the part worker then
/// loads as this one did).
fn bootstrap() -> Option<String> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let performance = Reflect::get(&scope, &"performance".into()).ok()?.dyn_into::<web_sys::Performance>().ok()?;
    // The wasm-bindgen glue and its wasm are fetched side by side: `worker.js`, `worker_bg.wasm`.
    let entries = performance.get_entries_by_type("resource");
    let wasm = entries
        .iter()
        .filter_map(|e| Reflect::get(&e, &"name".into()).ok()?.as_string())
        .find(|n| n.ends_with("_bg.wasm"))?;
    let js = format!("{}.js", wasm.strip_suffix("_bg.wasm")?);
    let script = format!(
        "importScripts({}); self.onmessage = (e) => {{ self.onmessage = null; wasm_bindgen({{ module_or_path: e.data }}); }};",
        serde_json::to_string(&js).ok()?
    );
    let parts = js_sys::Array::of1(&script.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Whether this script runs as a part worker.
pub fn is_part_worker() -> bool {
    js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>().is_ok_and(|s| s.name() == PART_WORKER)
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &key.into(), value);
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

thread_local! {
    /// The first part worker's own rows, kept until the other parts arrive to be joined.
    static HELD: RefCell<Option<LoadPart>> = const { RefCell::new(None) };
}

/// A part worker's life: one job (a part of a file), answered with progress messages and then
/// the part's rows or why they could not be read. The first part worker keeps its rows and
/// answers `held`; its second message brings the other parts, and it answers with the built
/// table.
pub fn serve_part() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let data = e.data();
        let out = Object::new();
        let answer = if get(&data, "parts").is_object() {
            build(&data)
        } else {
            read_part(&scope, &data).and_then(|part| {
                if get(&data, "build").is_truthy() {
                    HELD.with(|h| *h.borrow_mut() = Some(part));
                    Ok(Answer::Flag("held"))
                } else {
                    part.encode()
                        .map(|b| Answer::Bytes("part", b))
                        .ok_or_else(|| "the part holds no events".to_string())
                }
            })
        };
        match answer {
            Ok(Answer::Bytes(key, bytes)) => {
                let buf = Uint8Array::from(&bytes[..]).buffer();
                drop(bytes);
                set(&out, key, &buf);
                let _ = scope.post_message_with_transfer(&out, &js_sys::Array::of1(&buf));
            }
            Ok(Answer::Flag(key)) => {
                set(&out, key, &true.into());
                let _ = scope.post_message(&out);
            }
            Err(message) => {
                set(&out, "failed", &message.into());
                let _ = scope.post_message(&out);
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // A message posted before the handler is set (while the wasm was loading) would be lost:
    // the job is sent only once the part worker says it is ready.
    let ready = Object::new();
    set(&ready, "ready", &true.into());
    let _ = scope.post_message(&ready);
}

/// What a part worker answers: bytes under a key (transferred), or a flag.
enum Answer {
    Bytes(&'static str, Vec<u8>),
    Flag(&'static str),
}

/// The first part worker's second job: joins the other parts (`parts`, their buffers) to its
/// own rows and builds the table, answered as `table`, or as `error` with the file's own
/// error (more events than a tab holds), or `unjoined` when the parts do not join (a cut fell
/// inside a quoted line break).
fn build(data: &JsValue) -> Result<Answer, String> {
    let first = HELD.with(|h| h.borrow_mut().take()).ok_or("no part is held")?;
    let rest: Vec<JsPart> =
        js_sys::Array::from(&get(data, "parts")).iter().map(|b| JsPart(Uint8Array::new(&b))).collect();
    match join_parts(first, rest) {
        Ok(Some(joined)) => match joined.finish() {
            Ok((table, report)) => Ok(Answer::Bytes("table", encode_loaded(&table, &report))),
            Err(e) => Ok(Answer::Bytes("error", load_error_bytes(&e))),
        },
        Ok(None) => Ok(Answer::Flag("unjoined")),
        Err(e) => Ok(Answer::Bytes("error", load_error_bytes(&e))),
    }
}

/// The file's own error (as reading it whole gives it), as bytes that cross like a table.
fn load_error_bytes(e: &LoadError) -> Vec<u8> {
    serde_json::to_vec(e).expect("an error serialises")
}

/// Reads the job's part: the header line, then bytes `start..end` of the file (with an
/// `entry`, that zip entry's compressed bytes, inflated).
fn read_part(scope: &DedicatedWorkerGlobalScope, job: &JsValue) -> Result<LoadPart, String> {
    let file: File = get(job, "file").dyn_into().map_err(|_| "no file in the job".to_string())?;
    let (start, end) =
        (get(job, "start").as_f64().unwrap_or(0.0) as u64, get(job, "end").as_f64().unwrap_or(0.0) as u64);
    let header = Uint8Array::new(&get(job, "header")).to_vec();
    let choices: ReadChoices = serde_json::from_str(&get(job, "choices").as_string().unwrap_or_default())
        .map_err(|e| format!("the job's choices do not read: {e}"))?;
    let entry: Option<Entry> = get(job, "entry")
        .as_string()
        .map(|e| serde_json::from_str(&e))
        .transpose()
        .map_err(|e| format!("the job's zip entry does not read: {e}"))?;
    let mut inflater = entry.as_ref().map(EntryInflater::new).transpose()?;
    let error = |e: LoadError| e.to_string();
    let inflate_error = |e: Result<LoadError, String>| e.map_or_else(|m| m, |e| e.to_string());
    let hint = entry.as_ref().map_or(end - start + header.len() as u64, |e| e.size);
    let mut loader = choices.loader(None).size_hint(hint);
    loader.push(&header).map_err(error)?;
    let (mut pos, mut newlines, mut buf) = (start, 0, Vec::new());
    let mut feed = |loader: &mut Loader, b: &[u8]| {
        newlines += count_newlines(b);
        loader.push(b)
    };
    while pos < end {
        let push = |b: &[u8]| match &mut inflater {
            Some(inflater) => {
                super::inflate_into(inflater, Some(b), &mut |d| feed(&mut loader, d)).map_err(inflate_error)
            }
            None => feed(&mut loader, b).map_err(error),
        };
        let read = super::blob_pieces(&file, (pos, (pos + super::CHUNK as u64).min(end)), &mut buf, |e| e, push)?;
        if read == 0 {
            return Err("the file ended before the part".into());
        }
        pos += read;
        let progress = Object::new();
        set(&progress, "bytes", &((pos - start) as f64).into());
        set(&progress, "rows", &(loader.rows_read() as f64).into());
        let _ = scope.post_message(&progress);
    }
    if let Some(inflater) = &mut inflater {
        super::inflate_into(inflater, None, &mut |d| feed(&mut loader, d)).map_err(inflate_error)?;
    }
    let mut part = loader.finish_part().map_err(error)?;
    part.set_bytes(&header, newlines);
    Ok(part)
}

/// A part's encoded bytes as they arrived, left in the JavaScript heap: the join copies them
/// into wasm memory a stretch at a time (wasm memory never shrinks, so holding a whole part there
/// raised the worker's memory for good).
pub struct JsPart(Uint8Array);

impl PartBytes for JsPart {
    fn len(&self) -> usize {
        self.0.length() as usize
    }

    fn copy(&self, at: usize, out: &mut [u8]) {
        self.0.subarray(at as u32, (at + out.len()) as u32).copy_to(out);
    }
}

/// What a part worker has said so far.
#[derive(Default)]
pub struct PartState {
    pub bytes: u64,
    pub rows: u64,
    /// Its rows (every part worker but the first).
    pub part: Option<JsPart>,
    /// Whether it keeps its rows to join the others to (the first).
    pub held: bool,
    /// The built table (the first, once given the other parts).
    pub table: Option<JsPart>,
    /// The file's own error, met while building the table.
    pub error: Option<LoadError>,
    /// Whether the parts did not join (a cut fell inside a quoted line break).
    pub unjoined: bool,
    pub failed: Option<String>,
    /// Whether it has loaded and waits for its job.
    pub ready: bool,
    /// When the part worker was started or last heard from (`performance.now()`, ms).
    pub heard: f64,
}

/// The part workers reading a file's parts; terminated when dropped.
pub struct PartWorkers {
    workers: Vec<Worker>,
    pub states: Rc<RefCell<Vec<PartState>>>,
    _listeners: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

impl Drop for PartWorkers {
    fn drop(&mut self) {
        for w in &self.workers {
            w.terminate();
        }
    }
}

impl PartWorkers {
    /// Starts `count` part workers. They load while the caller waits ([`ready`](Self::ready)):
    /// a nested worker loads its script through its parent, which must not be busy reading.
    pub fn start(count: usize) -> Result<PartWorkers, String> {
        let (url, module) = match bootstrap() {
            Some(url) => (url, Some(wasm_bindgen::module())),
            None => {
                let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
                (scope.location().href(), None)
            }
        };
        let now = super::now_ms();
        let fresh = |_| PartState { heard: now, ..PartState::default() };
        let states = Rc::new(RefCell::new((0..count).map(fresh).collect::<Vec<_>>()));
        let mut out = PartWorkers { workers: Vec::new(), states: Rc::clone(&states), _listeners: Vec::new() };
        for i in 0..count {
            let options = WorkerOptions::new();
            options.set_name(PART_WORKER);
            let worker = Worker::new_with_options(&url, &options).map_err(|e| super::js_error(&e))?;
            let states = Rc::clone(&states);
            let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let data = e.data();
                let mut states = states.borrow_mut();
                let state = &mut states[i];
                state.heard = super::now_ms();
                let bytes = |key| get(&data, key).dyn_ref::<ArrayBuffer>().map(|b| JsPart(Uint8Array::new(b)));
                if get(&data, "ready").is_truthy() {
                    state.ready = true;
                } else if get(&data, "held").is_truthy() {
                    state.held = true;
                } else if get(&data, "unjoined").is_truthy() {
                    state.unjoined = true;
                } else if let Some(part) = bytes("part") {
                    state.part = Some(part);
                } else if let Some(table) = bytes("table") {
                    state.table = Some(table);
                } else if let Some(JsPart(error)) = bytes("error") {
                    let read = serde_json::from_slice(&error.to_vec());
                    state.failed = read.as_ref().err().map(|e| format!("the part worker's error does not read: {e}"));
                    state.error = read.ok();
                } else if let Some(message) = get(&data, "failed").as_string() {
                    state.failed = Some(message);
                } else {
                    state.bytes = get(&data, "bytes").as_f64().unwrap_or(0.0) as u64;
                    state.rows = get(&data, "rows").as_f64().unwrap_or(0.0) as u64;
                }
            });
            worker.set_onmessage(Some(listener.as_ref().unchecked_ref()));
            let on_error = {
                let states = Rc::clone(&out.states);
                Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
                    states.borrow_mut()[i].failed = Some("the part worker stopped".into());
                })
            };
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            if let Some(module) = &module {
                worker.post_message(module).map_err(|e| super::js_error(&e))?;
            }
            out.workers.push(worker);
            out._listeners.push(listener);
            out._listeners.push(on_error);
        }
        Ok(out)
    }

    /// Whether every part worker is ready for its job.
    pub fn ready(&self) -> bool {
        self.states.borrow().iter().all(|s| s.ready)
    }

    /// Sends each part worker its part `[start, end)` of `file`: the first part (from the
    /// file's start) with `first`, to be kept for the join; the others with `header` (the
    /// file's header line, fed before their bytes) and `choices`. With `entry`, the one part
    /// is that zip entry's compressed bytes.
    pub fn send_jobs(
        &self,
        file: &File,
        ranges: &[(u64, u64)],
        entry: Option<&Entry>,
        header: &[u8],
        (first, choices): (&ReadChoices, &ReadChoices),
    ) -> Result<(), String> {
        let text = |c: &ReadChoices| serde_json::to_string(c).map_err(|e| e.to_string());
        let (first, choices) = (text(first)?, text(choices)?);
        let entry = entry.map(serde_json::to_string).transpose().map_err(|e| e.to_string())?;
        for (i, (worker, &(start, end))) in self.workers.iter().zip(ranges).enumerate() {
            let job = Object::new();
            set(&job, "file", file);
            set(&job, "start", &(start as f64).into());
            set(&job, "end", &(end as f64).into());
            set(&job, "header", &Uint8Array::from(if i == 0 { &[][..] } else { header }));
            set(&job, "choices", &if i == 0 { first.clone() } else { choices.clone() }.into());
            set(&job, "build", &(i == 0).into());
            if let Some(entry) = &entry {
                set(&job, "entry", &entry.into());
            }
            worker.post_message(&job).map_err(|e| super::js_error(&e))?;
        }
        Ok(())
    }

    /// Whether every part has been read (the first kept, the others arrived), or one failed.
    /// A part worker silent for [`SILENCE_MS`] (it could not start, or stalled) counts as failed.
    pub fn settled(&self) -> bool {
        let mut states = self.states.borrow_mut();
        let now = super::now_ms();
        let done = |s: &PartState| s.part.is_some() || s.held;
        for s in states.iter_mut().filter(|s| !done(s) && now - s.heard > SILENCE_MS) {
            s.failed.get_or_insert_with(|| "the part worker fell silent".into());
        }
        states.iter().any(|s| s.failed.is_some()) || states.iter().all(done)
    }

    /// Bytes and rows read by the part workers so far.
    pub fn progress(&self) -> (u64, u64) {
        let states = self.states.borrow();
        (states.iter().map(|s| s.bytes).sum(), states.iter().map(|s| s.rows).sum())
    }

    /// Hands the parts after the first to the first part worker, which joins them to its own
    /// and builds the table; fails when a part worker failed.
    pub fn send_build(&self) -> Result<(), String> {
        let mut states = self.states.borrow_mut();
        if let Some(f) = states.iter().find_map(|s| s.failed.clone()) {
            return Err(f);
        }
        let buffers = js_sys::Array::new();
        for s in states.iter_mut().skip(1) {
            buffers.push(&s.part.take().ok_or("a part is missing")?.0.buffer());
        }
        let job = Object::new();
        set(&job, "parts", &buffers);
        self.workers[0].post_message_with_transfer(&job, &buffers).map_err(|e| super::js_error(&e))
    }

    /// What the first part worker built, once it has answered (`None` until then).
    pub fn built(&self) -> Option<Built> {
        let mut states = self.states.borrow_mut();
        let first = &mut states[0];
        if let Some(e) = first.error.take() {
            return Some(Built::FileError(e));
        }
        if let Some(f) = first.failed.clone() {
            return Some(Built::Failed(f));
        }
        if first.unjoined {
            return Some(Built::Unjoined);
        }
        first.table.take().map(|t| match decode_loaded(&t) {
            Ok(read) => Built::Table(Box::new(read)),
            Err(e) => Built::Failed(e),
        })
    }
}

/// What the part worker that builds the table answers.
pub enum Built {
    Table(Box<(EventTable, LoadReport)>),
    /// The file's own error, as reading it whole gives it (more events than a tab holds).
    FileError(LoadError),
    /// The parts do not join: a cut fell inside a quoted line break.
    Unjoined,
    /// Building failed: the file is to be read whole.
    Failed(String),
}

/// How many parts a file of `size` bytes is read in on this machine, by at most `workers`
/// workers (`None`: one per core); 1: read it whole.
pub fn parts_for(size: u64, workers: Option<u32>) -> usize {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let cores = scope.navigator().hardware_concurrency() as usize;
    let most = workers.map_or(cores, |n| n as usize);
    most.min(MAX_PARTS).min((size / MIN_PART_BYTES) as usize).max(1)
}
