//! The time column's two forms (four bytes a row where the times fit, eight otherwise) give
//! every analysis the same answers: the generated sample, whose times are whole seconds, read
//! narrow, against the same table with its times held wide.

mod common;

use touchpath::core::attribution::{attribute, journeys};
use touchpath::core::funnel::{self, FunnelIndex};
use touchpath::core::paths;
use touchpath::core::session::SessionSource;
use touchpath::core::stages;
use touchpath::core::table::{EventTable, Times};
use touchpath::core::view::ViewState;

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

fn both_forms() -> (EventTable, EventTable) {
    let narrow = common::sample_table_with(true, true);
    let wide = EventTable { ts: Times::Wide(narrow.ts.to_vec()), ..narrow.clone() };
    assert_eq!((narrow.ts.width(), wide.ts.width()), (4, 8));
    // Not a test that cannot fail: the times differ from row to row by many seconds.
    let distinct: std::collections::BTreeSet<i64> = narrow.ts.iter().collect();
    assert!(distinct.len() > 10_000, "{} distinct times", distinct.len());
    (narrow, wide)
}

const FUNNELS: [&str; 7] = [
    "steps=product_view,add_to_cart,purchase&window=7d",
    "steps=product_view,add_to_cart,purchase&window=1h",
    "steps=product_view,checkout,purchase&order=any&window=3d",
    "steps=product_view,purchase&count=sessions&session_gap=30m",
    "steps=product_view,add_to_cart,purchase&exclude=checkout:2-3&window=2d",
    "steps=product_view,purchase&trend=week&breakdown=first_channel&ttc=2",
    "steps=add_to_cart,purchase&open=1&order=strict&window=12h",
];

#[test]
fn funnels_are_the_same_on_either_time_form() {
    let (narrow, wide) = both_forms();
    for f in FUNNELS {
        let (view, warnings) = ViewState::from_fragment(&format!("view=funnel&by=event&{f}"));
        assert!(warnings.is_empty(), "{f}: {warnings:?}");
        let q = view.funnel;
        let a = funnel::compute(&narrow, &q).unwrap();
        assert!(a.steps[0].customers > 100, "{f}: {:?}", a.steps[0]);
        assert_eq!(json(&a), json(&funnel::compute(&wide, &q).unwrap()), "{f}");
        // From the index of its steps, as the worker answers the next change.
        if let Ok(ix) = FunnelIndex::new(&wide, &q) {
            assert_eq!(json(&a), json(&funnel::compute_with(&wide, &q, Some(&ix)).unwrap()), "{f} indexed");
        }
        for step in 1..q.steps.len() {
            let (x, y) = (
                touchpath::core::dropoff::insight(&narrow, &q, step),
                touchpath::core::dropoff::insight(&wide, &q, step),
            );
            assert_eq!(json(&x.ok()), json(&y.ok()), "{f}, insight at {step}");
        }
        assert_eq!(funnel::customers_csv(&narrow, &q).ok(), funnel::customers_csv(&wide, &q).ok(), "{f}");
    }
}

#[test]
fn paths_attribution_and_stages_are_the_same_on_either_time_form() {
    let (narrow, wide) = both_forms();
    for p in [
        "by=channel&steps=8",
        "by=channel&steps=6&since=2025-02-01&until=2025-03-15",
        "by=event&grain=session&session_gap=20m",
        "by=channel&grain=conversion&conv=purchase",
        "by=channel&to=email&direction=backward",
    ] {
        let (view, warnings) = ViewState::from_fragment(&format!("view=paths&{p}"));
        assert!(warnings.is_empty(), "{p}: {warnings:?}");
        let mut q = view.paths;
        q.sessions = SessionSource::Gap;
        let a = paths::compute(&narrow, &q).unwrap();
        assert!(a.variants.len() > 10, "{p}: {} variants", a.variants.len());
        assert_eq!(json(&a), json(&paths::compute(&wide, &q).unwrap()), "{p}");
    }
    let (view, _) = ViewState::from_fragment("view=attribution&by=channel&conv=purchase&lookback=30d");
    let (ja, jb) = (journeys(&narrow, &view.attribution).unwrap(), journeys(&wide, &view.attribution).unwrap());
    assert_eq!(json(&attribute(&ja, &view.attribution)), json(&attribute(&jb, &view.attribution)));
    let model = view.stages;
    assert_eq!(json(&stages::compute(&narrow, &model)), json(&stages::compute(&wide, &model)));
    assert_eq!(stages::customers_csv(&narrow, &model, None), stages::customers_csv(&wide, &model, None));
}
