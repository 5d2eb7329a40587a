//! A deterministic circular layout for the directly-follows graph of the paths view.
//!
//! Values sit on one circle in the order given (most frequent first), the first at the top,
//! then clockwise. An edge is a quadratic curve bent to its left, so `a → b` and `b → a` are
//! two separate arcs; a self-loop is a small loop outside the circle. Ends are trimmed to the
//! node circles so arrowheads stay visible. Everything is in SVG user units.

use std::f64::consts::{FRAC_PI_2, TAU};

use serde::{Deserialize, Serialize};

/// Radius of the circle the values sit on.
pub const RADIUS: f64 = 150.0;
/// Radius of a value's dot.
pub const NODE_R: f64 = 16.0;
/// Room around the circle for labels and loops.
pub const MARGIN: f64 = 110.0;
/// Extra gap before the target dot, for the arrowhead.
pub const ARROW_GAP: f64 = 3.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphNode {
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphEdge {
    /// SVG path of the edge.
    pub d: String,
    /// Stroke width: 1 to 6, by count relative to the most frequent edge.
    pub width: f64,
    /// Where its count is written: the curve's midpoint (a loop's far end).
    pub label_x: f64,
    pub label_y: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphLayout {
    /// Width and height of the square drawing.
    pub size: f64,
    pub nodes: Vec<GraphNode>,
    /// In the order of the edges given.
    pub edges: Vec<GraphEdge>,
}

type P = (f64, f64);

fn sub(a: P, b: P) -> P {
    (a.0 - b.0, a.1 - b.1)
}

fn add(a: P, b: P) -> P {
    (a.0 + b.0, a.1 + b.1)
}

fn scale(a: P, k: f64) -> P {
    (a.0 * k, a.1 * k)
}

/// The unit vector of `a`, or straight up for a zero vector (never NaN).
fn unit(a: P) -> P {
    let len = a.0.hypot(a.1);
    if len > 1e-9 {
        (a.0 / len, a.1 / len)
    } else {
        (0.0, -1.0)
    }
}

fn rotate(a: P, angle: f64) -> P {
    let (s, c) = angle.sin_cos();
    (a.0 * c - a.1 * s, a.0 * s + a.1 * c)
}

/// Lays out `n` values and the edges `(from, to, count)` between them.
pub fn circular(n: usize, edges: &[(usize, usize, u64)]) -> GraphLayout {
    let size = 2.0 * (RADIUS + MARGIN);
    let centre = (size / 2.0, size / 2.0);
    let nodes: Vec<GraphNode> = (0..n)
        .map(|i| {
            let a = -FRAC_PI_2 + TAU * i as f64 / n as f64;
            GraphNode { x: centre.0 + RADIUS * a.cos(), y: centre.1 + RADIUS * a.sin() }
        })
        .collect();
    let max = edges.iter().map(|e| e.2).max().unwrap_or(1).max(1);
    let at = |i: usize| (nodes[i].x, nodes[i].y);
    let edges = edges
        .iter()
        .map(|&(from, to, count)| {
            let width = 1.0 + 5.0 * count as f64 / max as f64;
            if from == to {
                // A loop outward: leaves and re-enters the dot 30° either side of the outward direction.
                let p = at(from);
                let u = unit(sub(p, centre));
                let s = add(p, scale(rotate(u, -0.5), NODE_R));
                let e = add(p, scale(rotate(u, 0.5), NODE_R + ARROW_GAP));
                let c1 = add(p, scale(rotate(u, -0.6), NODE_R * 3.4));
                let c2 = add(p, scale(rotate(u, 0.6), NODE_R * 3.4));
                let label = add(p, scale(u, NODE_R * 3.2));
                GraphEdge {
                    d: format!(
                        "M{:.1},{:.1}C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                        s.0, s.1, c1.0, c1.1, c2.0, c2.1, e.0, e.1
                    ),
                    width,
                    label_x: label.0,
                    label_y: label.1,
                }
            } else {
                // Bent to the left of the direction of travel by a fifth of the chord.
                let (p0, p1) = (at(from), at(to));
                let chord = sub(p1, p0);
                let len = chord.0.hypot(chord.1);
                let normal = (chord.1 / len.max(1e-9), -chord.0 / len.max(1e-9));
                let ctrl = add(scale(add(p0, p1), 0.5), scale(normal, 0.2 * len));
                let s = add(p0, scale(unit(sub(ctrl, p0)), NODE_R));
                let e = add(p1, scale(unit(sub(ctrl, p1)), NODE_R + ARROW_GAP));
                let mid = add(add(scale(s, 0.25), scale(ctrl, 0.5)), scale(e, 0.25));
                GraphEdge {
                    d: format!("M{:.1},{:.1}Q{:.1},{:.1} {:.1},{:.1}", s.0, s.1, ctrl.0, ctrl.1, e.0, e.1),
                    width,
                    label_x: mid.0,
                    label_y: mid.1,
                }
            }
        })
        .collect();
    GraphLayout { size, nodes, edges }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    /// The numbers of an SVG path.
    fn numbers(d: &str) -> Vec<f64> {
        d.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect()
    }

    #[test]
    fn values_sit_on_the_circle_clockwise_from_the_top() {
        let g = circular(4, &[]);
        let c = RADIUS + MARGIN;
        // Top, right, bottom, left (SVG y grows downward).
        let expect = [(c, c - RADIUS), (c + RADIUS, c), (c, c + RADIUS), (c - RADIUS, c)];
        for (n, (x, y)) in g.nodes.iter().zip(expect) {
            assert!(close(n.x, x) && close(n.y, y), "{n:?} vs {x},{y}");
        }
        let g = circular(7, &[]);
        for n in &g.nodes {
            assert!(close((n.x - c).hypot(n.y - c), RADIUS));
        }
        assert_eq!(circular(0, &[]).nodes, []);
        let one = circular(1, &[(0, 0, 3)]);
        assert!(close(one.nodes[0].x, c) && close(one.nodes[0].y, c - RADIUS));
        assert!(!one.edges[0].d.contains("NaN"));
    }

    #[test]
    fn edges_are_trimmed_to_the_dots_and_opposite_edges_bend_apart() {
        // 0 at the top, 1 at the bottom: 0 → 1 bends to its left, 1 → 0 to its left too — the other side.
        let g = circular(2, &[(0, 1, 4), (1, 0, 2), (1, 1, 1)]);
        let (a, b) = (&g.nodes[0], &g.nodes[1]);
        let ab = numbers(&g.edges[0].d);
        // Starts NODE_R from its source's centre, ends NODE_R + ARROW_GAP from its target's (to 0.1 rounding).
        assert!(((ab[0] - a.x).hypot(ab[1] - a.y) - NODE_R).abs() < 0.1, "{ab:?}");
        assert!(((ab[4] - b.x).hypot(ab[5] - b.y) - NODE_R - ARROW_GAP).abs() < 0.1, "{ab:?}");
        // Going down the page (+y) the left is +x; coming back up it is -x.
        let mid = a.x;
        assert!(g.edges[0].label_x > mid + 10.0 && g.edges[1].label_x < mid - 10.0, "{:?}", g.edges);
        // Widths by count: 4 is the most → 6; 2 → 3.5; 1 → 2.25.
        let w: Vec<f64> = g.edges.iter().map(|e| e.width).collect();
        assert_eq!(w, [6.0, 3.5, 2.25]);
        // The self-loop at the bottom node lies outside the circle, below it.
        let c = RADIUS + MARGIN;
        assert!(g.edges[2].label_y > c + RADIUS + NODE_R, "{:?}", g.edges[2]);
        assert!(g.edges.iter().all(|e| !e.d.contains("NaN")));
    }
}
