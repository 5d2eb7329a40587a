//! Reading a large file with several workers at once.
//!
//! A large plain CSV or TSV file is cut after line breaks into as many parts as the machine
//! has cores (`navigator.hardwareConcurrency`, at most [`MAX_PARTS`]). The analysis worker
//! starts one *part worker* per part but the first: the same script (`worker.js`, its own
//! wasm instance) started under the name [`PART_WORKER`], which reads only its part of the
//! `File` (the handle crosses, not the bytes) and sends back its rows, encoded, in one
//! transferred buffer. The analysis worker reads the first part meanwhile, then joins the
//! parts ([`join_parts`]) into the very table reading the whole file gives. No
//! `SharedArrayBuffer` is needed, so a static host without cross-origin isolation will do.
//!
//! Whenever the parts do not join (a cut inside a quoted line break), a part worker fails or
//! cannot start, the file is read whole, as before: the result never depends on the split.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{ArrayBuffer, Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent, Worker, WorkerOptions};

use crate::core::ingest::{count_newlines, LoadError, Loader};
use crate::core::schema::{ColumnOverrides, Preset};
use crate::core::table::{Duplicates, PartBytes};

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

/// A part worker's life: one job (a part of a file), answered with progress messages and then
/// the part's rows or why they could not be read.
pub fn serve_part() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let out = Object::new();
        match read_part(&scope, &e.data()) {
            Ok(bytes) => {
                let buf = Uint8Array::from(&bytes[..]).buffer();
                drop(bytes);
                set(&out, "part", &buf);
                let _ = scope.post_message_with_transfer(&out, &js_sys::Array::of1(&buf));
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

/// Reads the job's part: the header line, then bytes `start..end` of the file.
fn read_part(scope: &DedicatedWorkerGlobalScope, job: &JsValue) -> Result<Vec<u8>, String> {
    let file: File = get(job, "file").dyn_into().map_err(|_| "no file in the job".to_string())?;
    let (start, end) =
        (get(job, "start").as_f64().unwrap_or(0.0) as u64, get(job, "end").as_f64().unwrap_or(0.0) as u64);
    let header = Uint8Array::new(&get(job, "header")).to_vec();
    let choices: ReadChoices = serde_json::from_str(&get(job, "choices").as_string().unwrap_or_default())
        .map_err(|e| format!("the job's choices do not read: {e}"))?;
    let error = |e: LoadError| e.to_string();
    let mut loader = choices.loader(None).size_hint(end - start + header.len() as u64);
    loader.push(&header).map_err(error)?;
    let (mut pos, mut newlines, mut buf) = (start, 0, Vec::new());
    while pos < end {
        let push = |b: &[u8]| {
            newlines += count_newlines(b);
            loader.push(b).map_err(error)
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
    let mut part = loader.finish_part().map_err(error)?;
    part.set_bytes(&header, newlines);
    part.encode().ok_or_else(|| "the part holds no events".to_string())
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
    pub part: Option<JsPart>,
    pub failed: Option<String>,
    /// Whether it has loaded and waits for its job.
    pub ready: bool,
    /// When the part worker was started or last heard from (`performance.now()`, ms).
    pub heard: f64,
}

/// The part workers reading a file's parts after the first; terminated when dropped.
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
                if get(&data, "ready").is_truthy() {
                    state.ready = true;
                } else if let Some(buf) = get(&data, "part").dyn_ref::<ArrayBuffer>() {
                    state.part = Some(JsPart(Uint8Array::new(buf)));
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

    /// Sends each part worker its part `[start, end)` of `file`, with `header` and `choices`.
    pub fn send_jobs(
        &self,
        file: &File,
        ranges: &[(u64, u64)],
        header: &[u8],
        choices: &ReadChoices,
    ) -> Result<(), String> {
        let choices = serde_json::to_string(choices).map_err(|e| e.to_string())?;
        for (worker, &(start, end)) in self.workers.iter().zip(ranges) {
            let job = Object::new();
            set(&job, "file", file);
            set(&job, "start", &(start as f64).into());
            set(&job, "end", &(end as f64).into());
            set(&job, "header", &Uint8Array::from(header));
            set(&job, "choices", &choices.clone().into());
            worker.post_message(&job).map_err(|e| super::js_error(&e))?;
        }
        Ok(())
    }

    /// Whether every part has arrived, or one failed. A part worker silent for [`SILENCE_MS`]
    /// (it could not start, or stalled) counts as failed.
    pub fn settled(&self) -> bool {
        let mut states = self.states.borrow_mut();
        let now = super::now_ms();
        for s in states.iter_mut().filter(|s| s.part.is_none() && now - s.heard > SILENCE_MS) {
            s.failed.get_or_insert_with(|| "the part worker fell silent".into());
        }
        states.iter().any(|s| s.failed.is_some()) || states.iter().all(|s| s.part.is_some())
    }

    /// Bytes and rows read by the part workers so far.
    pub fn progress(&self) -> (u64, u64) {
        let states = self.states.borrow();
        (states.iter().map(|s| s.bytes).sum(), states.iter().map(|s| s.rows).sum())
    }

    /// The parts, in order, or the first failure.
    pub fn take_parts(&self) -> Result<Vec<JsPart>, String> {
        let mut states = self.states.borrow_mut();
        if let Some(f) = states.iter().find_map(|s| s.failed.clone()) {
            return Err(f);
        }
        states.iter_mut().map(|s| s.part.take().ok_or_else(|| "a part is missing".to_string())).collect()
    }
}

/// How many parts a file of `size` bytes is read in on this machine, by at most `workers`
/// workers (`None`: one per core); 1: read it whole.
pub fn parts_for(size: u64, workers: Option<u32>) -> usize {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let cores = scope.navigator().hardware_concurrency() as usize;
    let most = workers.map_or(cores, |n| n as usize);
    most.min(MAX_PARTS).min((size / MIN_PART_BYTES) as usize).max(1)
}
