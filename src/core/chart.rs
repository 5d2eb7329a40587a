//! Chart geometry: scales, ticks and the funnel bar layout. Drawing lives in the UI.

/// Ticks for counts: as [`nice_ticks`], but never a step below 1.
pub fn count_ticks(max: f64, count: usize) -> Vec<f64> {
    let ticks = nice_ticks(max, count);
    match ticks.get(1) {
        Some(&step) if step < 1.0 => (0..=max.ceil() as usize).map(|i| i as f64).collect(),
        _ => ticks,
    }
}

/// "Nice" tick values covering `0..=max` with about `count` steps (d3-scale's tick rule:
/// steps of 1, 2 or 5 times a power of ten).
pub fn nice_ticks(max: f64, count: usize) -> Vec<f64> {
    if max.is_nan() || max <= 0.0 || count == 0 {
        return vec![0.0];
    }
    let raw = max / count as f64;
    let power = 10f64.powf(raw.log10().floor());
    let err = raw / power;
    let step = power
        * if err >= 7.07 {
            10.0
        } else if err >= 3.16 {
            5.0
        } else if err >= 1.41 {
            2.0
        } else {
            1.0
        };
    let n = (max / step).ceil() as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

/// One bar of the funnel chart, in SVG user units.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub width: f64,
    /// Top of the filled bar and its height (from the baseline).
    pub y: f64,
    pub height: f64,
    /// Top of the "previous step" ghost bar showing the drop-off.
    pub ghost_y: f64,
}

/// The funnel chart's geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelGeometry {
    pub bars: Vec<Bar>,
    /// Tick values and their y positions.
    pub ticks: Vec<(f64, f64)>,
    pub plot_left: f64,
    pub plot_top: f64,
    pub baseline: f64,
    pub plot_right: f64,
}

/// Lays out vertical bars for step counts inside `width` × `height`, with room for
/// axis labels on the left and step labels below.
pub fn funnel_layout(counts: &[u64], width: f64, height: f64) -> FunnelGeometry {
    let (left, top, bottom, right) = (56.0, 24.0, 48.0, 8.0);
    let baseline = height - bottom;
    let plot_h = baseline - top;
    let max = counts.iter().copied().max().unwrap_or(0) as f64;
    let ticks = count_ticks(max, 5);
    let top_value = ticks.last().copied().unwrap_or(0.0).max(1.0);
    let y_of = |v: f64| baseline - v / top_value * plot_h;
    let n = counts.len().max(1) as f64;
    let band = (width - left - right) / n;
    let bar_w = band * 0.72;
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let prev = if i == 0 { c } else { counts[i - 1] };
            Bar {
                x: left + band * i as f64 + (band - bar_w) / 2.0,
                width: bar_w,
                y: y_of(c as f64),
                height: baseline - y_of(c as f64),
                ghost_y: y_of(prev as f64),
            }
        })
        .collect();
    FunnelGeometry {
        bars,
        ticks: ticks.iter().map(|&t| (t, y_of(t))).collect(),
        plot_left: left,
        plot_top: top,
        baseline,
        plot_right: width - right,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice() {
        assert_eq!(nice_ticks(100.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(nice_ticks(7.0, 5), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(nice_ticks(9.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(0.0, 5), vec![0.0]);
        // 1234 / 5 = 246.8 → 2 × 100 → steps of 200 up to 1400.
        assert_eq!(nice_ticks(1234.0, 5).last(), Some(&1400.0));
        assert_eq!(nice_ticks(1234.0, 5)[1], 200.0);
    }

    #[test]
    fn count_ticks_are_whole_numbers() {
        assert_eq!(count_ticks(1.0, 5), vec![0.0, 1.0]);
        assert_eq!(count_ticks(3.0, 5), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(count_ticks(100.0, 5), nice_ticks(100.0, 5));
        // One customer: the bar spans the plot, ticks 0 and 1 only.
        let g = funnel_layout(&[1, 1], 600.0, 300.0);
        assert_eq!(g.ticks.len(), 2);
        assert!((g.bars[0].height - (g.baseline - g.plot_top)).abs() < 1e-9);
    }

    #[test]
    fn bars_scale_with_counts_and_stay_inside() {
        let g = funnel_layout(&[100, 50, 0], 600.0, 300.0);
        assert_eq!(g.bars.len(), 3);
        // 100 is the top tick, so the first bar spans the whole plot height.
        assert!((g.bars[0].height - (g.baseline - g.plot_top)).abs() < 1e-9);
        assert!((g.bars[1].height * 2.0 - g.bars[0].height).abs() < 1e-9);
        assert_eq!(g.bars[2].height, 0.0);
        assert_eq!(g.bars[2].ghost_y, g.bars[1].y);
        for b in &g.bars {
            assert!(b.x >= g.plot_left && b.x + b.width <= g.plot_right);
            assert!(b.y.is_finite() && b.y >= g.plot_top - 1e-9);
        }
        let empty = funnel_layout(&[0, 0], 600.0, 300.0);
        assert!(empty.bars.iter().all(|b| b.height == 0.0 && b.y.is_finite()));
    }
}
