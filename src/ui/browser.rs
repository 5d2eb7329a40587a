//! The few browser calls the UI needs: the URL fragment, URL resolution, downloads.

use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

/// The current fragment without `#`, percent-escapes intact.
pub fn fragment() -> String {
    window().location().hash().unwrap_or_default().trim_start_matches('#').to_string()
}

/// Replaces the fragment without adding a history entry or firing `hashchange`.
pub fn set_fragment(f: &str) {
    if fragment() != f {
        if let Ok(h) = window().history() {
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("#{f}")));
        }
    }
}

/// The page's own address, fragment included (for the share box).
pub fn page_url() -> String {
    window().location().href().unwrap_or_default()
}

/// Resolves a possibly relative URL against the page.
pub fn resolve(url: &str) -> Result<String, String> {
    let base = window().location().href().map_err(|_| "no page address".to_string())?;
    Url::new_with_base(url, &base).map(|u| u.href()).map_err(|_| format!("\"{url}\" is not a valid URL"))
}

/// Offers `text` as a file download.
pub fn download(file_name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&text.into());
    let opts = BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = Url::create_object_url_with_blob(&blob) else { return };
    let doc = window().document().expect("a document");
    if let Ok(a) = doc.create_element("a") {
        let a: HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    let _ = Url::revoke_object_url(&url);
}

/// Formats a count with thousands separators: 1234567 → "1,234,567".
pub fn int(n: u64) -> String {
    crate::core::summary::thousands(n)
}

/// Formats an amount with two decimals and thousands separators: 1234.5 → "1,234.50".
pub fn money(x: f64) -> String {
    let cents = (x.abs() * 100.0).round() as u64;
    let sign = if x < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", int(cents / 100), cents % 100)
}

/// Formats a byte count: "12.3 MB".
pub fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// Copies text to the clipboard; false when the browser refuses.
pub async fn copy_text(text: &str) -> bool {
    let promise = window().navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// The markup of the SVG element `id`, as a standalone SVG file.
fn svg_markup(id: &str) -> Option<String> {
    let el = window().document()?.get_element_by_id(id)?;
    Some(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}", el.outer_html()))
}

/// Offers the SVG chart `id` as an `.svg` file.
pub fn download_svg(id: &str, file_name: &str) {
    if let Some(svg) = svg_markup(id) {
        download(file_name, "image/svg+xml", &svg);
    }
}

/// Offers the SVG chart `id` as a `.png` file, drawn at twice its size on a white background.
pub fn download_png(id: &str, file_name: &str) {
    use wasm_bindgen::closure::Closure;
    use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement};
    let Some(svg) = svg_markup(id) else { return };
    let doc = window().document().expect("a document");
    let Some(el) = doc.get_element_by_id(id) else { return };
    let rect = el.get_bounding_client_rect();
    let (w, h) = (rect.width().max(1.0) * 2.0, rect.height().max(1.0) * 2.0);
    let parts = js_sys::Array::of1(&svg.into());
    let opts = BlobPropertyBag::new();
    opts.set_type("image/svg+xml");
    let Ok(blob) = Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = Url::create_object_url_with_blob(&blob) else { return };
    let Ok(img) = HtmlImageElement::new() else { return };
    let file_name = file_name.to_string();
    let (img2, url2) = (img.clone(), url.clone());
    let onload = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url2);
        let Ok(canvas) = doc.create_element("canvas") else { return };
        let canvas: HtmlCanvasElement = canvas.unchecked_into();
        canvas.set_width(w as u32);
        canvas.set_height(h as u32);
        let Ok(Some(ctx)) = canvas.get_context("2d") else { return };
        let ctx: CanvasRenderingContext2d = ctx.unchecked_into();
        ctx.set_fill_style_str("#ffffff");
        ctx.fill_rect(0.0, 0.0, w, h);
        let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(&img2, 0.0, 0.0, w, h);
        if let Ok(data) = canvas.to_data_url_with_type("image/png") {
            if let Ok(a) = doc.create_element("a") {
                let a: HtmlAnchorElement = a.unchecked_into();
                a.set_href(&data);
                a.set_download(&file_name);
                a.click();
            }
        }
    });
    img.set_onload(Some(onload.unchecked_ref()));
    img.set_src(&url);
}

/// A duration in seconds, readable: "45 s", "12 min", "3.5 h", "2.0 d".
pub fn duration(s: f64) -> String {
    match s {
        s if s < 60.0 => format!("{s:.0} s"),
        s if s < 3_600.0 => format!("{:.0} min", s / 60.0),
        s if s < 86_400.0 => format!("{:.1} h", s / 3_600.0),
        s => format!("{:.1} d", s / 86_400.0),
    }
}

/// Marks the start of a worker round trip (`touchpath:start:<kind>`), for `scripts/bench`
/// and the browser's performance panel.
pub fn timing_start(kind: Option<&str>) {
    if let (Some(kind), Some(p)) = (kind, window().performance()) {
        let _ = p.mark(&format!("touchpath:start:{kind}"));
    }
}

/// Records the round trip begun by [`timing_start`] as the measure `touchpath:<kind>`:
/// from the request leaving the page to its answer arriving, as a user waits for it.
pub fn timing_end(kind: Option<&str>) {
    if let (Some(kind), Some(p)) = (kind, window().performance()) {
        let _ = p.measure_with_start_mark(&format!("touchpath:{kind}"), &format!("touchpath:start:{kind}"));
    }
}

/// Makes every `<select>` show the option marked `selected` in the markup. Yew renders the
/// choice as the `selected` attribute, which a browser stops following once the user has
/// picked an option; a view restored from the URL (Back, an edited fragment) would then show
/// a stale choice beside fresh results. Run after each render.
pub fn sync_selects() {
    let Some(doc) = window().document() else { return };
    let Ok(options) = doc.query_selector_all("select option[selected]") else { return };
    for i in 0..options.length() {
        if let Some(o) = options.get(i).and_then(|n| n.dyn_into::<web_sys::HtmlOptionElement>().ok()) {
            if !o.selected() {
                o.set_selected(true);
            }
        }
    }
}
