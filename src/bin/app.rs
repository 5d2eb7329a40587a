//! The page's entry point (built by Trunk).

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<touchpath::ui::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the app runs in a browser: build it with `trunk build` (see README)");
}
