//! Sankey layout for layered flows (the d3-sankey approach, written for our graphs).
//!
//! Nodes sit in given columns (a journey step), so loops in journeys never make a
//! cycle: the same channel at step 2 and step 4 are two nodes. The layout follows
//! d3-sankey: one vertical scale for all columns (the fullest column fills the
//! height), nodes stacked in each column, then relaxation passes that move each node
//! toward the weighted centre of the nodes it connects to, with collisions resolved
//! after each pass; finally links are stacked at both ends ordered by the position of
//! their other end, so ribbons do not cross needlessly.

use super::sort::sort_by;

/// A node to lay out: its column and its value (the larger of inflow and outflow).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeIn {
    pub column: usize,
    pub value: f64,
}

/// A link between nodes (by index), from a column to a later one.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkIn {
    pub source: usize,
    pub target: usize,
    pub value: f64,
}

/// A placed node: `x0..x1` × `y0..y1`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeOut {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

/// A placed link: its width and the centre of its ribbon at the source and target.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOut {
    pub width: f64,
    pub y_source: f64,
    pub y_target: f64,
    pub x_source: f64,
    pub x_target: f64,
}

impl LinkOut {
    /// The ribbon's centre line as an SVG path (a horizontal cubic Bézier).
    pub fn path(&self) -> String {
        let xm = (self.x_source + self.x_target) / 2.0;
        format!(
            "M{:.1},{:.1}C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
            self.x_source, self.y_source, xm, self.y_source, xm, self.y_target, self.x_target, self.y_target
        )
    }
}

/// Layout settings, in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub width: f64,
    pub height: f64,
    pub node_width: f64,
    pub node_padding: f64,
    pub iterations: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { width: 960.0, height: 480.0, node_width: 14.0, node_padding: 10.0, iterations: 6 }
    }
}

/// Lays out nodes and links. Values must be finite and non-negative; zero values are
/// allowed (they give zero-height nodes and links, never NaN).
pub fn layout(nodes: &[NodeIn], links: &[LinkIn], s: Settings) -> (Vec<NodeOut>, Vec<LinkOut>) {
    let n_cols = nodes.iter().map(|n| n.column + 1).max().unwrap_or(0);
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); n_cols];
    for (i, n) in nodes.iter().enumerate() {
        columns[n.column].push(i);
    }
    // One scale for all columns: the fullest column (values plus padding) fills the height.
    let ky = columns
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| {
            let total: f64 = c.iter().map(|&i| nodes[i].value).sum();
            let room = (s.height - (c.len() as f64 - 1.0) * s.node_padding).max(0.0);
            if total > 0.0 {
                room / total
            } else {
                f64::INFINITY
            }
        })
        .fold(f64::INFINITY, f64::min);
    let ky = if ky.is_finite() { ky } else { 0.0 };
    let dx = if n_cols > 1 { (s.width - s.node_width) / (n_cols as f64 - 1.0) } else { 0.0 };

    let mut y0: Vec<f64> = vec![0.0; nodes.len()];
    let height = |i: usize| nodes[i].value * ky;
    for col in &columns {
        let mut y = 0.0;
        for &i in col {
            y0[i] = y;
            y += height(i) + s.node_padding;
        }
    }
    let incoming: Vec<Vec<usize>> = {
        let mut v = vec![Vec::new(); nodes.len()];
        for (li, l) in links.iter().enumerate() {
            v[l.target].push(li);
        }
        v
    };
    let outgoing: Vec<Vec<usize>> = {
        let mut v = vec![Vec::new(); nodes.len()];
        for (li, l) in links.iter().enumerate() {
            v[l.source].push(li);
        }
        v
    };
    let centre = |y0: &[f64], i: usize| y0[i] + height(i) / 2.0;
    resolve_collisions(&columns, &mut y0, &height, s);
    let mut alpha = 1.0;
    for _ in 0..s.iterations {
        alpha *= 0.99;
        // Right to left: toward the targets; then left to right: toward the sources.
        for col in columns.iter().rev() {
            for &i in col {
                let w: f64 = outgoing[i].iter().map(|&l| links[l].value).sum();
                if w > 0.0 {
                    let c: f64 =
                        outgoing[i].iter().map(|&l| centre(&y0, links[l].target) * links[l].value).sum::<f64>() / w;
                    y0[i] += (c - centre(&y0, i)) * alpha;
                }
            }
        }
        resolve_collisions(&columns, &mut y0, &height, s);
        for col in &columns {
            for &i in col {
                let w: f64 = incoming[i].iter().map(|&l| links[l].value).sum();
                if w > 0.0 {
                    let c: f64 =
                        incoming[i].iter().map(|&l| centre(&y0, links[l].source) * links[l].value).sum::<f64>() / w;
                    y0[i] += (c - centre(&y0, i)) * alpha;
                }
            }
        }
        resolve_collisions(&columns, &mut y0, &height, s);
    }

    let node_out: Vec<NodeOut> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let x0 = n.column as f64 * dx;
            NodeOut { x0, x1: x0 + s.node_width, y0: y0[i], y1: y0[i] + height(i) }
        })
        .collect();
    // Stack links at each node, ordered by where their other end is.
    let mut y_source = vec![0.0; links.len()];
    let mut y_target = vec![0.0; links.len()];
    for i in 0..nodes.len() {
        let mut out = outgoing[i].clone();
        sort_by(&mut out, &|&a, &b| y0[links[a].target].total_cmp(&y0[links[b].target]).then(a.cmp(&b)));
        let mut y = y0[i];
        for l in out {
            let w = links[l].value * ky;
            y_source[l] = y + w / 2.0;
            y += w;
        }
        let mut inc = incoming[i].clone();
        sort_by(&mut inc, &|&a, &b| y0[links[a].source].total_cmp(&y0[links[b].source]).then(a.cmp(&b)));
        let mut y = y0[i];
        for l in inc {
            let w = links[l].value * ky;
            y_target[l] = y + w / 2.0;
            y += w;
        }
    }
    let link_out = links
        .iter()
        .enumerate()
        .map(|(li, l)| LinkOut {
            width: l.value * ky,
            y_source: y_source[li],
            y_target: y_target[li],
            x_source: node_out[l.source].x1,
            x_target: node_out[l.target].x0,
        })
        .collect();
    (node_out, link_out)
}

/// Keeps nodes of a column apart by the padding and inside `0..height`: push overlapping
/// nodes down, then, if the last one overflows, push back up.
fn resolve_collisions(columns: &[Vec<usize>], y0: &mut [f64], height: &dyn Fn(usize) -> f64, s: Settings) {
    for col in columns {
        let mut order = col.clone();
        sort_by(&mut order, &|&a, &b| y0[a].total_cmp(&y0[b]).then(a.cmp(&b)));
        let mut y = 0.0;
        for &i in &order {
            if y0[i] < y {
                y0[i] = y;
            }
            y = y0[i] + height(i) + s.node_padding;
        }
        let mut bottom = s.height;
        for &i in order.iter().rev() {
            if y0[i] + height(i) > bottom {
                y0[i] = (bottom - height(i)).max(0.0);
            }
            bottom = y0[i] - s.node_padding;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(column: usize, value: f64) -> NodeIn {
        NodeIn { column, value }
    }

    fn l(source: usize, target: usize, value: f64) -> LinkIn {
        LinkIn { source, target, value }
    }

    fn check_invariants(nodes: &[NodeIn], links: &[LinkIn], s: Settings) -> (Vec<NodeOut>, Vec<LinkOut>) {
        let (out, lout) = layout(nodes, links, s);
        for (i, o) in out.iter().enumerate() {
            assert!([o.x0, o.x1, o.y0, o.y1].iter().all(|v| v.is_finite()), "node {i}: {o:?}");
            assert!(o.y0 >= -1e-9 && o.y1 <= s.height + 1e-6, "node {i} inside: {o:?}");
        }
        // No overlap within a column.
        for c in 0..=nodes.iter().map(|n| n.column).max().unwrap_or(0) {
            let mut col: Vec<&NodeOut> = out.iter().zip(nodes).filter(|(_, n)| n.column == c).map(|(o, _)| o).collect();
            col.sort_by(|a, b| a.y0.total_cmp(&b.y0));
            for w in col.windows(2) {
                assert!(w[0].y1 <= w[1].y0 + 1e-6, "overlap in column {c}: {w:?}");
            }
        }
        // Ribbons leave and enter within their nodes, and their widths add up to the node.
        for (li, (lk, lo)) in links.iter().zip(&lout).enumerate() {
            assert!(lo.width.is_finite() && lo.y_source.is_finite() && lo.y_target.is_finite(), "link {li}");
            let (s0, t0) = (&out[lk.source], &out[lk.target]);
            assert!(lo.y_source - lo.width / 2.0 >= s0.y0 - 1e-6 && lo.y_source + lo.width / 2.0 <= s0.y1 + 1e-6);
            assert!(lo.y_target - lo.width / 2.0 >= t0.y0 - 1e-6 && lo.y_target + lo.width / 2.0 <= t0.y1 + 1e-6);
        }
        (out, lout)
    }

    #[test]
    fn heights_follow_values_on_one_scale() {
        // Column 0: a (60) and b (40); column 1: c (100). Height 110, padding 10: column 0
        // needs 100 + 10 → ky = 1: a is 60 high, b 40, c 100.
        let s = Settings { width: 200.0, height: 110.0, node_width: 10.0, node_padding: 10.0, iterations: 6 };
        let nodes = [n(0, 60.0), n(0, 40.0), n(1, 100.0)];
        let links = [l(0, 2, 60.0), l(1, 2, 40.0)];
        let (out, lout) = check_invariants(&nodes, &links, s);
        let h: Vec<f64> = out.iter().map(|o| o.y1 - o.y0).collect();
        assert!((h[0] - 60.0).abs() < 1e-9 && (h[1] - 40.0).abs() < 1e-9 && (h[2] - 100.0).abs() < 1e-9);
        assert_eq!((out[0].x0, out[2].x0, out[2].x1), (0.0, 190.0, 200.0));
        // Flow conservation at c: the two ribbons fill it exactly.
        assert!((lout[0].width + lout[1].width - h[2]).abs() < 1e-9);
        assert!(lout[0].path().starts_with("M10.0,"));
    }

    #[test]
    fn empty_zero_and_single_graphs_give_no_nan() {
        let s = Settings::default();
        assert_eq!(layout(&[], &[], s), (vec![], vec![]));
        check_invariants(&[n(0, 0.0), n(1, 0.0)], &[l(0, 1, 0.0)], s);
        check_invariants(&[n(0, 5.0)], &[], s);
    }

    #[test]
    fn deep_and_wide_graphs_keep_the_invariants() {
        // 20 columns of 12 nodes each, every node linked to three in the next column.
        let mut nodes = Vec::new();
        let mut links = Vec::new();
        for c in 0..20 {
            for k in 0..12 {
                nodes.push(n(c, 0.0));
                if c > 0 {
                    for d in 0..3 {
                        let src = (c - 1) * 12 + (k + d * 5) % 12;
                        links.push(l(src, c * 12 + k, 1.0 + ((k * 7 + d) % 5) as f64));
                    }
                }
            }
        }
        for (i, node) in nodes.iter_mut().enumerate() {
            let inflow: f64 = links.iter().filter(|lk| lk.target == i).map(|lk| lk.value).sum();
            let outflow: f64 = links.iter().filter(|lk| lk.source == i).map(|lk| lk.value).sum();
            node.value = inflow.max(outflow);
        }
        check_invariants(&nodes, &links, Settings::default());
    }
}
