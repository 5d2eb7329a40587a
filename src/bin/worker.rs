//! The analysis worker's entry point (built by Trunk as a web worker).

#[cfg(target_arch = "wasm32")]
fn main() {
    use yew_agent::Registrable;
    // The same script reads a part of a large file when started as a part worker.
    if touchpath::worker::is_part_worker() {
        touchpath::worker::serve_part();
    } else {
        touchpath::worker::Analysis::registrar().encoding::<touchpath::worker::JsCodec>().register();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the worker runs in a browser: build it with `trunk build` (see README)");
}
