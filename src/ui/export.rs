//! The SVG and PNG export buttons beside a chart.

use yew::prelude::*;

use super::browser;

#[derive(Properties, PartialEq)]
pub struct ExportProps {
    /// The id of the chart's `<svg>` element; also names the buttons (`export-<id>-svg`).
    pub chart: AttrValue,
    /// The file name without extension.
    pub file: AttrValue,
    pub disabled: bool,
}

#[component]
pub fn ExportButtons(p: &ExportProps) -> Html {
    let button = |ext: &'static str, save: fn(&str, &str)| {
        let (chart, file) = (p.chart.clone(), p.file.clone());
        html! {
            <button class="button" id={format!("export-{}-{ext}", p.chart)} disabled={p.disabled}
                    onclick={Callback::from(move |_| save(&chart, &format!("{file}.{ext}")))}>
                { ext.to_uppercase() }
            </button>
        }
    };
    html! { <>{ button("svg", browser::download_svg) }{ button("png", browser::download_png) }</> }
}
