//! The analysis worker's entry point (built by Trunk as a web worker).

#[cfg(target_arch = "wasm32")]
fn main() {
    use yew_agent::Registrable;
    touchpath::worker::Analysis::registrar().encoding::<touchpath::worker::JsCodec>().register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the worker runs in a browser: build it with `trunk build` (see README)");
}
