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
    let previous: Vec<u64> = (0..counts.len()).map(|i| counts[i.saturating_sub(1)]).collect();
    funnel_layout_with(counts, &previous, width, height)
}

/// [`funnel_layout`] with each bar's ghost at `previous[i]` (the step it is compared with: after
/// an optional step, the nearest earlier required step).
pub fn funnel_layout_with(counts: &[u64], previous: &[u64], width: f64, height: f64) -> FunnelGeometry {
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
            let prev = if i == 0 { c } else { previous.get(i).copied().unwrap_or(c) };
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

/// One bar of a grouped horizontal bar chart, in SVG user units.
#[derive(Debug, Clone, PartialEq)]
pub struct HBar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// A horizontal grouped bar chart: one group (row) per category, one bar per series.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedBars {
    /// Bars by row, then series.
    pub rows: Vec<Vec<HBar>>,
    /// The y of each row's label (its middle).
    pub label_y: Vec<f64>,
    /// Tick values and their x positions.
    pub ticks: Vec<(f64, f64)>,
    /// The x of the value 0.
    pub zero_x: f64,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    pub height: f64,
}

/// Lays out `values[row][series]` as horizontal bars inside `width`, `label_width` left for
/// row labels, each bar `bar` units high. Negative values extend left of the zero line.
pub fn grouped_bars(values: &[Vec<f64>], width: f64, label_width: f64, bar: f64) -> GroupedBars {
    let (top, right, axis) = (8.0, 16.0, 22.0);
    let series = values.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let finite = || values.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = (finite().fold(0.0f64, f64::min), finite().fold(0.0f64, f64::max));
    // Ticks with one step for both sides of zero.
    let step = match nice_ticks(hi.max(-lo), 5).get(1) {
        Some(&s) => s,
        None => 1.0,
    };
    let (t_lo, t_hi) = ((lo / step).floor() * step, ((hi / step).ceil() * step).max(step));
    let (plot_left, plot_right) = (label_width, width - right);
    let x_of = |v: f64| plot_left + (v - t_lo) / (t_hi - t_lo) * (plot_right - plot_left);
    let group = bar * series as f64 + bar;
    let mut rows = Vec::with_capacity(values.len());
    let mut label_y = Vec::with_capacity(values.len());
    for (r, row) in values.iter().enumerate() {
        let y0 = top + group * r as f64 + bar / 2.0;
        label_y.push(y0 + bar * series as f64 / 2.0);
        rows.push(
            row.iter()
                .enumerate()
                .map(|(i, &v)| {
                    let v = if v.is_finite() { v } else { 0.0 };
                    let (a, b) = (x_of(0.0), x_of(v));
                    HBar { x: a.min(b), y: y0 + bar * i as f64, width: (b - a).abs(), height: bar * 0.85 }
                })
                .collect(),
        );
    }
    let plot_bottom = top + group * values.len() as f64;
    let n = ((t_hi - t_lo) / step).round() as i64;
    GroupedBars {
        rows,
        label_y,
        ticks: (0..=n).map(|i| t_lo + step * i as f64).map(|t| (t, x_of(t))).collect(),
        zero_x: x_of(0.0),
        plot_left,
        plot_right,
        plot_top: top,
        plot_bottom,
        height: plot_bottom + axis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ghosts_follow_the_step_compared_with() {
        // Steps 6, 2 (optional), 5, 4: step 3's ghost is step 1 (6), not the optional step 2.
        let g = funnel_layout_with(&[6, 2, 5, 4], &[6, 6, 6, 5], 720.0, 300.0);
        assert_eq!(g.bars[2].ghost_y, g.bars[0].y);
        assert_eq!(g.bars[3].ghost_y, g.bars[2].y);
        // The plain layout compares with the step before.
        let p = funnel_layout(&[6, 2, 5, 4], 720.0, 300.0);
        assert_eq!(p.bars[2].ghost_y, p.bars[1].y);
        assert_eq!(p.bars[0].ghost_y, p.bars[0].y);
    }

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

    #[test]
    fn grouped_bars_scale_from_zero_both_ways() {
        // max(|-50|, 100) = 100 → ticks of 20 (nice_ticks); -50 rounds down to -60. The plot
        // spans 100..400 for -60..100: 300 px / 160 = 1.875 px per unit, zero at 100 + 60 × 1.875.
        let g = grouped_bars(&[vec![100.0, 50.0], vec![-50.0, 0.0]], 416.0, 100.0, 10.0);
        let ticks: Vec<f64> = g.ticks.iter().map(|t| t.0).collect();
        assert_eq!(ticks, vec![-60.0, -40.0, -20.0, 0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert!((g.zero_x - 212.5).abs() < 1e-9, "{}", g.zero_x);
        let [a, b] = [&g.rows[0][0], &g.rows[0][1]];
        assert!((a.x - 212.5).abs() < 1e-9 && (a.width - 187.5).abs() < 1e-9);
        assert!((b.width * 2.0 - a.width).abs() < 1e-9);
        // The negative bar ends at zero: -50 is at 100 + 10 × 1.875.
        let n = &g.rows[1][0];
        assert!((n.x - 118.75).abs() < 1e-9 && (n.x + n.width - 212.5).abs() < 1e-9);
        assert_eq!(g.rows[1][1].width, 0.0);
        // Rows do not overlap: the second row starts below the first's last bar.
        assert!(g.rows[1][0].y >= g.rows[0][1].y + g.rows[0][1].height);
        assert!(g.height > g.plot_bottom);
    }

    #[test]
    fn grouped_bars_of_nothing_stay_finite() {
        let g = grouped_bars(&[vec![0.0, f64::NAN]], 300.0, 80.0, 8.0);
        assert!(g.rows[0].iter().all(|b| b.width == 0.0 && b.x.is_finite()));
        assert!(g.ticks.len() >= 2);
    }
}
