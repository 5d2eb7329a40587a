//! Browser tests of the funnel components, rendered into a real DOM.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use touchpath::core::funnel::{Dimension, FunnelResult, StepResult};
use touchpath::ui::funnel::{FunnelChart, FunnelTable, ResultProps, ResultViewProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn result() -> Rc<FunnelResult> {
    let step = |label: &str, customers, first, prev, dropoff| StepResult {
        label: label.into(),
        customers,
        pct_of_first: first,
        pct_of_previous: prev,
        dropoff,
        present: true,
        median_from_previous_s: None,
        p90_from_previous_s: None,
        median_from_first_s: None,
        p90_from_first_s: None,
        optional: false,
        entries: None,
    };
    Rc::new(FunnelResult {
        by: Dimension::Event,
        order: Default::default(),
        window: Some("7d".into()),
        total_customers: 2_000,
        steps: vec![
            step("visit", 1_000, 100.0, 100.0, 0),
            step("cart", 400, 40.0, 40.0, 600),
            step("<img src=x onerror=alert(1)>", 100, 10.0, 25.0, 300),
        ],
        exclusions: Vec::new(),
        open: false,
        time_to_convert: Vec::new(),
        time_to_convert_step: None,
        time_to_convert_from: None,
        trend: None,
        over_time: Vec::new(),
        breakdown: None,
        segments: Vec::new(),
        count: Default::default(),
        session_gap: None,
        sessions: None,
        session_source: None,
        revenue_last_step: None,
        insight: None,
    })
}

fn root() -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

#[wasm_bindgen_test]
async fn chart_draws_one_bar_per_step_scaled_to_counts() {
    let el = root();
    yew::Renderer::<FunnelChart>::with_root_and_props(el.clone(), ResultProps { result: result() }).render();
    yew::scheduler::flush().await;
    let bars = el.query_selector_all("rect.bar").unwrap();
    assert_eq!(bars.length(), 3);
    let height = |i| {
        let e: Element = bars.item(i).unwrap().dyn_into().unwrap();
        e.get_attribute("height").unwrap().parse::<f64>().unwrap()
    };
    // 1000 : 400 : 100 customers.
    assert!((height(0) / height(1) - 2.5).abs() < 1e-6);
    assert!((height(0) / height(2) - 10.0).abs() < 1e-6);
    // Two ghost bars show the drop-off after steps 1 and 2.
    assert_eq!(el.query_selector_all("rect.ghost").unwrap().length(), 2);
    assert!(el.text_content().unwrap().contains("1,000 · 100.0%"));
}

#[wasm_bindgen_test]
async fn table_lists_counts_rates_and_dropoff_and_shows_labels_as_text() {
    let el = root();
    let props =
        ResultViewProps { result: result(), view: Default::default(), on_view: Callback::noop(), session_column: None };
    yew::Renderer::<FunnelTable>::with_root_and_props(el.clone(), props).render();
    yew::scheduler::flush().await;
    let cells = |sel: &str| -> Vec<String> {
        let list = el.query_selector_all(sel).unwrap();
        (0..list.length()).map(|i| list.item(i).unwrap().text_content().unwrap()).collect()
    };
    assert_eq!(cells(".step-customers"), ["1,000", "400", "100"]);
    assert_eq!(cells(".step-pct-first"), ["100.0%", "40.0%", "10.0%"]);
    assert_eq!(cells(".step-pct-prev"), ["100.0%", "40.0%", "25.0%"]);
    assert_eq!(cells(".step-dropoff"), ["0", "600", "300"]);
    // Markup in data is shown literally, never parsed.
    assert_eq!(cells(".step-label")[2], "<img src=x onerror=alert(1)>");
    assert!(el.query_selector("img").unwrap().is_none());
}
