//! `touchpath::core::attribution`: every model hand-worked on tiny path tables, Markov and
//! Shapley against independent implementations (value iteration, permutations), invariants
//! on random path tables, and journeys cut from event-level data.

mod common;
use common::Rng;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use touchpath::core::attribution::{
    self, attribute, markov, shapley, AttributionError, AttributionQuery, AttributionResult, Conversion, Journeys,
    ModelCredits, MARKOV_MAX_STATES, SHAPLEY_MAX_CHANNELS,
};
use touchpath::core::funnel::Dimension;
use touchpath::core::table::{EventTable, RowRef, TableBuilder};
use touchpath::core::time::{Duration, TimeUnit};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// `|a − b| ≤ rel · max(|a|, |b|)`, or within `1e-12` absolutely (for values at or near 0).
fn close(a: f64, b: f64, rel: f64) -> bool {
    let d = (a - b).abs();
    d <= rel * a.abs().max(b.abs()) || d <= 1e-12
}

#[track_caller]
fn assert_close(got: f64, want: f64, what: &str) {
    assert!(close(got, want, 1e-12), "{what}: got {got}, want {want}");
}

/// A path table over the named channels: rows of (`A > B > C`, conversions, value, nulls).
fn path_table(channels: &[&str], rows: &[(&str, f64, f64, f64)]) -> Journeys {
    let mut j = Journeys::new(channels.iter().map(|c| c.to_string()).collect());
    for &(path, conv, value, nulls) in rows {
        j.push(&codes(channels, path), &[], conv, value, nulls);
    }
    j
}

fn codes(channels: &[&str], path: &str) -> Vec<u32> {
    path.split('>').map(|c| channels.iter().position(|&x| x == c.trim()).expect("known channel") as u32).collect()
}

fn model<'a>(r: &'a AttributionResult, key: &str) -> &'a ModelCredits {
    r.models.iter().find(|m| m.key == key).unwrap_or_else(|| panic!("no model {key}: {:?}", r.notes))
}

fn index_of(r: &AttributionResult, channel: &str) -> usize {
    r.channels.iter().position(|c| c == channel).unwrap_or_else(|| panic!("{channel} not in {:?}", r.channels))
}

/// Checks one model's credits, by channel name: (channel, conversions, value).
#[track_caller]
fn check_model(r: &AttributionResult, key: &str, want: &[(&str, f64, f64)]) {
    let m = model(r, key);
    assert_eq!(m.conversions.len(), r.channels.len(), "{key}");
    assert_eq!(m.value.len(), r.channels.len(), "{key}");
    for &(channel, conv, value) in want {
        let i = index_of(r, channel);
        assert_close(m.conversions[i], conv, &format!("{key}: conversions of {channel}"));
        assert_close(m.value[i], value, &format!("{key}: value of {channel}"));
    }
}

const KEYS: [&str; 7] = ["first", "last", "linear", "position", "time_decay", "markov", "shapley"];

fn keys(r: &AttributionResult) -> Vec<&str> {
    r.models.iter().map(|m| m.key.as_str()).collect()
}

// ---------------------------------------------------------------------------------------
// 1. Rule models (and Markov, Shapley) hand-worked on a tiny path table
// ---------------------------------------------------------------------------------------

/// J1 `A > B > C` 2 conv, value 100, 1 null; J2 `A > A > B` 1 conv, value 30 (a repeated
/// channel); J3 `C` 3 conv, value 0 (single touch, zero-value conversions); J4 `B > C` 0
/// conv, 5 nulls (no conversions). Totals: 6 conversions, value 130, 6 nulls.
fn table_one() -> Journeys {
    path_table(
        &["A", "B", "C"],
        &[
            ("A > B > C", 2.0, 100.0, 1.0),
            ("A > A > B", 1.0, 30.0, 0.0),
            ("C", 3.0, 0.0, 0.0),
            ("B > C", 0.0, 0.0, 5.0),
        ],
    )
}

#[test]
fn rule_models_by_hand_on_a_tiny_path_table() {
    let r = attribute(&table_one(), &AttributionQuery::default());
    assert_eq!(keys(&r), KEYS);
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    assert_eq!((r.conversions, r.value, r.nulls), (6.0, 130.0, 6.0));
    assert_eq!((r.converting_journeys, r.journeys), (3, 4));
    assert_eq!((r.unattributed, r.unattributed_value), (0.0, 0.0));
    assert!(!r.has_times);

    // First touch: J1 → A (2, 100); J2 → A (1, 30); J3 → C (3, 0).
    check_model(&r, "first", &[("A", 3.0, 130.0), ("B", 0.0, 0.0), ("C", 3.0, 0.0)]);
    // Last touch: J1 → C (2, 100); J2 → B (1, 30); J3 → C (3, 0).
    check_model(&r, "last", &[("A", 0.0, 0.0), ("B", 1.0, 30.0), ("C", 5.0, 100.0)]);
    // Linear: J1 thirds: each 2/3 conv, 100/3 value. J2 thirds, A twice: A 2/3 conv, 20 value;
    // B 1/3, 10. J3: C 3, 0.  A = 4/3, 160/3; B = 1, 130/3; C = 11/3, 100/3.
    check_model(
        &r,
        "linear",
        &[("A", 4.0 / 3.0, 160.0 / 3.0), ("B", 1.0, 130.0 / 3.0), ("C", 11.0 / 3.0, 100.0 / 3.0)],
    );
    // Channels by linear credit: C (11/3), A (4/3), B (1).
    assert_eq!(r.channels, ["C", "A", "B"]);
    // Position 40/20/40: J1 A .4 B .2 C .4 → conv .8/.4/.8, value 40/20/40. J2 (A A B): A .4 + .2,
    // B .4 → conv .6/.4, value 18/12. J3: C 3, 0.  A = 1.4, 58; B = .8, 32; C = 3.8, 40.
    check_model(&r, "position", &[("A", 1.4, 58.0), ("B", 0.8, 32.0), ("C", 3.8, 40.0)]);
    assert_eq!(model(&r, "position").label, "Position-based 40/40");
    // Time decay by position: weights 2^-2, 2^-1, 2^0 = 1/4, 1/2, 1 → 1/7, 2/7, 4/7.
    // J1: A 2/7, B 4/7, C 8/7 conv; value 100/7, 200/7, 400/7. J2: A 1/7 + 2/7 = 3/7, B 4/7;
    // value 90/7, 120/7. J3: C 3.  A = 5/7, 190/7; B = 8/7, 320/7; C = 29/7, 400/7.
    check_model(
        &r,
        "time_decay",
        &[("A", 5.0 / 7.0, 190.0 / 7.0), ("B", 8.0 / 7.0, 320.0 / 7.0), ("C", 29.0 / 7.0, 400.0 / 7.0)],
    );
    assert_eq!(model(&r, "time_decay").label, "Time decay (by position)");
}

#[test]
fn time_decay_with_ages_by_hand() {
    // The same paths with touch ages (seconds to the conversion), half-life 7 days:
    // J1 A 21d, B 7d, C 0 → 1/8, 1/2, 1 → 1/13, 4/13, 8/13.
    // J2 A 28d, A 14d, B 7d → 1/16, 1/4, 1/2 (sum 13/16) → A 5/13, B 8/13.
    // J3 C 3.5d → C everything.
    // Conv: A 2/13 + 5/13 = 7/13; B 8/13 + 8/13 = 16/13; C 16/13 + 3 = 55/13.
    // Value: A 100/13 + 150/13 = 250/13; B 400/13 + 240/13 = 640/13; C 800/13.
    const DAY: f64 = 86_400.0;
    let mut j = Journeys::new(vec!["A".into(), "B".into(), "C".into()]);
    j.push(&[0, 1, 2], &[21.0 * DAY, 7.0 * DAY, 0.0], 2.0, 100.0, 1.0);
    j.push(&[0, 0, 1], &[28.0 * DAY, 14.0 * DAY, 7.0 * DAY], 1.0, 30.0, 0.0);
    j.push(&[2], &[3.5 * DAY], 3.0, 0.0, 0.0);
    j.push(&[1, 2], &[2.0 * DAY, DAY], 0.0, 0.0, 5.0);
    assert!(j.has_times());
    let r = attribute(&j, &AttributionQuery::default());
    assert!(r.has_times);
    check_model(
        &r,
        "time_decay",
        &[("A", 7.0 / 13.0, 250.0 / 13.0), ("B", 16.0 / 13.0, 640.0 / 13.0), ("C", 55.0 / 13.0, 800.0 / 13.0)],
    );
    assert_eq!(model(&r, "time_decay").label, "Time decay (7d half-life)");
    // Half-life 14 days: J1 2^-1.5, 2^-.5, 1; J2 2^-2, 2^-1, 2^-.5. Written out:
    // J1 weights a = 0.353553…, b = 0.707106…, 1 (sum 2.060660…);
    // J2 weights .25, .5, .707106… (sum 1.457106…): A .75/1.457106…, B .707106…/1.457106….
    let q = AttributionQuery { half_life: Duration::parse("14d").unwrap(), ..Default::default() };
    let r = attribute(&j, &q);
    let s = std::f64::consts::SQRT_2;
    let (a1, b1, c1) = (1.0 / (2.0 * s), 1.0 / s, 1.0);
    let sum1 = a1 + b1 + c1;
    let (a2, b2) = (0.25 + 0.5, 1.0 / s);
    let sum2 = a2 + b2;
    check_model(
        &r,
        "time_decay",
        &[
            ("A", 2.0 * a1 / sum1 + a2 / sum2, 100.0 * a1 / sum1 + 30.0 * a2 / sum2),
            ("B", 2.0 * b1 / sum1 + b2 / sum2, 100.0 * b1 / sum1 + 30.0 * b2 / sum2),
            ("C", 2.0 * c1 / sum1 + 3.0, 100.0 * c1 / sum1),
        ],
    );
    // The rule models that ignore time are unchanged by the ages.
    check_model(
        &r,
        "linear",
        &[("A", 4.0 / 3.0, 160.0 / 3.0), ("B", 1.0, 130.0 / 3.0), ("C", 11.0 / 3.0, 100.0 / 3.0)],
    );
}

#[test]
fn position_based_shares_by_hand() {
    // J1 `A > B` 1 conv value 10; J2 `A > B > C` 1 conv value 20; J3 `B > C > A > B` 1 conv value 0.
    let j = path_table(
        &["A", "B", "C"],
        &[("A > B", 1.0, 10.0, 0.0), ("A > B > C", 1.0, 20.0, 2.0), ("B > C > A > B", 1.0, 0.0, 0.0)],
    );
    let at = |position: [u8; 2]| attribute(&j, &AttributionQuery { position, ..Default::default() });
    // 40/40: J1 50/50; J2 .4/.2/.4; J3 B .4 + .4, C .1, A .1.
    // Conv A .5 + .4 + .1 = 1, B .5 + .2 + .8 = 1.5, C .4 + .1 = .5; value A 5 + 8, B 5 + 4, C 8.
    check_model(&at([40, 40]), "position", &[("A", 1.0, 13.0), ("B", 1.5, 9.0), ("C", 0.5, 8.0)]);
    // 30/50: J1 3/8, 5/8; J2 .3/.2/.5; J3 B .3 + .5, C .1, A .1.
    // Conv A .375 + .3 + .1 = .775, B .625 + .2 + .8 = 1.625, C .5 + .1 = .6;
    // value A 3.75 + 6 = 9.75, B 6.25 + 4 = 10.25, C 10.
    let r = at([30, 50]);
    check_model(&r, "position", &[("A", 0.775, 9.75), ("B", 1.625, 10.25), ("C", 0.6, 10.0)]);
    assert_eq!(model(&r, "position").label, "Position-based 30/50");
    // 70/50 (over 100%: nothing for the middle, scaled by 1/1.2): J1 7/12, 5/12; J2 7/12, 0,
    // 5/12; J3 B (.7 + .5)/1.2 = 1. Conv A 14/12, B 5/12 + 1, C 5/12; value A 70/12 + 140/12,
    // B 50/12, C 100/12.
    check_model(
        &at([70, 50]),
        "position",
        &[("A", 14.0 / 12.0, 210.0 / 12.0), ("B", 17.0 / 12.0, 50.0 / 12.0), ("C", 5.0 / 12.0, 100.0 / 12.0)],
    );
    // 0/0: two touches split evenly, the middle gets everything. J1 .5/.5; J2 B 1; J3 C .5, A .5.
    check_model(&at([0, 0]), "position", &[("A", 1.0, 5.0), ("B", 1.5, 25.0), ("C", 0.5, 0.0)]);
}

#[test]
fn markov_and_shapley_by_hand_on_the_tiny_path_table() {
    // Markov order 1 (A > A > B collapses to A > B). Edge weights (conversions + nulls):
    // start→A 3 + 1 = 4, start→B 5, start→C 3 (of 12); A→B 4 (of 4); B→C 3 + 5 = 8, B→conv 1
    // (of 9); C→conv 2 + 3 = 5, C→null 1 + 5 = 6 (of 11).
    // x_C = 5/11; x_B = 8/9·5/11 + 1/9 = 17/33 = x_A; x_start = 9/12·17/33 + 3/12·5/11 = 1/2.
    // Without A: 5/12·17/33 + 3/12·5/11 = 65/198 → RE 34/99. Without B: 3/12·5/11 = 5/44 →
    // RE 17/22. Without C: x_B = 1/9 → 9/12·1/9 = 1/12 → RE 5/6. ΣRE = (68 + 153 + 165)/198.
    // Credits: 6 · (68, 153, 165)/386.
    // Value: r_B = 30/9, r_C = 100/11: y_C = 100/11, y_B = y_A = 1130/99, y_start = 65/6.
    // Without A: 5/12·1130/99 + 3/12·100/11 = 8350/1188 → VRE 452/1287. Without B: 25/11 →
    // 113/143 = 1017/1287. Without C: y_B = 10/3 → 5/2 → 10/13 = 990/1287. Σ = 2459/1287.
    let r = attribute(&table_one(), &AttributionQuery::default());
    let m = r.markov.as_ref().unwrap();
    assert_eq!((m.order, m.states), (1, 3));
    assert_close(m.conversion_probability, 0.5, "P(conversion)");
    let re = |c: &str| m.removal_effects[index_of(&r, c)];
    let vre = |c: &str| m.value_removal_effects[index_of(&r, c)];
    assert_close(re("A"), 34.0 / 99.0, "RE A");
    assert_close(re("B"), 17.0 / 22.0, "RE B");
    assert_close(re("C"), 5.0 / 6.0, "RE C");
    assert_close(vre("A"), 452.0 / 1287.0, "VRE A");
    assert_close(vre("B"), 113.0 / 143.0, "VRE B");
    assert_close(vre("C"), 10.0 / 13.0, "VRE C");
    check_model(
        &r,
        "markov",
        &[
            ("A", 6.0 * 68.0 / 386.0, 130.0 * 452.0 / 2459.0),
            ("B", 6.0 * 153.0 / 386.0, 130.0 * 1017.0 / 2459.0),
            ("C", 6.0 * 165.0 / 386.0, 130.0 * 990.0 / 2459.0),
        ],
    );
    assert_eq!(model(&r, "markov").label, "Markov order 1");
    // Shapley: v(ABC) = 2/3, v(AB) = 1, v(C) = 1, v(BC) = 0 (no conversions), others unobserved.
    // S = ABC: φ_A = 1/6·(v(AB) − v(B)) + 1/6·(v(AC) − v(C)) + 1/3·(v(ABC) − v(BC))
    //             = 1/6 − 1/6 + 2/9 = 2/9; likewise φ_B = 2/9, φ_C = 1/3 + 1/3·(2/3 − 1) = 2/9:
    // thirds of 2 conv and 100 value. S = AB: halves of 1 and 30. S = C: C gets 3 and 0.
    check_model(
        &r,
        "shapley",
        &[
            ("A", 2.0 / 3.0 + 0.5, 100.0 / 3.0 + 15.0),
            ("B", 2.0 / 3.0 + 0.5, 100.0 / 3.0 + 15.0),
            ("C", 11.0 / 3.0, 100.0 / 3.0),
        ],
    );
}

// ---------------------------------------------------------------------------------------
// 2. Markov order 1 (and 2) by hand
// ---------------------------------------------------------------------------------------

#[test]
fn markov_order_one_by_hand() {
    // J1 `A > A > B` 1 conv (value 10), 1 null — collapses to A > B; J2 `B` 1 conv (value 30);
    // J3 `A` 2 nulls; J4 `C > A` 1 conv (value 50). Conversions 3 of 6 journeys, value 90.
    let j = path_table(
        &["A", "B", "C"],
        &[("A > A > B", 1.0, 10.0, 1.0), ("B", 1.0, 30.0, 0.0), ("A", 0.0, 0.0, 2.0), ("C > A", 1.0, 50.0, 0.0)],
    );
    // Transitions (weights): start→A 2 + 2, start→B 1, start→C 1 (of 6);
    // A→B 2, A→null 2, A→conv 1 (of 5); B→conv 2, B→null 1 (of 3); C→A 1 (of 1).
    // x_B = 2/3; x_A = 2/5·2/3 + 1/5 = 7/15 = x_C;
    // x_start = 2/3·7/15 + 1/6·2/3 + 1/6·7/15 = 28/90 + 10/90 + 7/90 = 1/2.
    // Without A (C only leads to A): 1/6·2/3 = 1/9 → RE 1 − 2/9 = 7/9.
    // Without B: x_A = x_C = 1/5: 2/3·1/5 + 1/6·1/5 = 1/6 → RE 1 − 1/3 = 2/3.
    // Without C: 2/3·7/15 + 1/6·2/3 = 19/45 → RE 1 − 38/45 = 7/45.
    // ΣRE = (35 + 30 + 7)/45 = 72/45 → credits 3·35/72 = 35/24, 3·30/72 = 5/4, 3·7/72 = 7/24.
    // Value chain: conversions ending at B are worth 10 and 30 (mean 20), at A 50:
    // r_B = 2/3·20 = 40/3, r_A = 1/5·50 = 10. y_B = 40/3; y_A = 2/5·40/3 + 10 = 46/3 = y_C;
    // y_start = 2/3·46/3 + 1/6·40/3 + 1/6·46/3 = 15 (= 90/6).
    // Without A: 1/6·40/3 = 20/9 → VRE 1 − 4/27 = 23/27 = 115/135.
    // Without B: y_A = y_C = 10 → 2/3·10 + 1/6·10 = 25/3 → VRE 4/9 = 60/135.
    // Without C: 2/3·46/3 + 1/6·40/3 = 112/9 → VRE 1 − 112/135 = 23/135.
    // ΣVRE = 198/135 → value credits 90·115/198 = 575/11, 90·60/198 = 300/11, 90·23/198 = 115/11.
    let r = attribute(&j, &AttributionQuery::default());
    // Linear: A 2/3 + 1/2 = 7/6, B 1/3 + 1 = 4/3, C 1/2 → order B, A, C.
    assert_eq!(r.channels, ["B", "A", "C"]);
    let m = r.markov.as_ref().unwrap();
    assert_eq!((m.order, m.states), (1, 3));
    assert_close(m.conversion_probability, 0.5, "P(conversion)");
    let want_re = [("B", 2.0 / 3.0, 4.0 / 9.0), ("A", 7.0 / 9.0, 23.0 / 27.0), ("C", 7.0 / 45.0, 23.0 / 135.0)];
    for (c, re, vre) in want_re {
        assert_close(m.removal_effects[index_of(&r, c)], re, &format!("RE {c}"));
        assert_close(m.value_removal_effects[index_of(&r, c)], vre, &format!("VRE {c}"));
    }
    check_model(
        &r,
        "markov",
        &[("A", 35.0 / 24.0, 575.0 / 11.0), ("B", 5.0 / 4.0, 300.0 / 11.0), ("C", 7.0 / 24.0, 115.0 / 11.0)],
    );
    // Rows: start, B, A, C; columns: B, A, C, conversion, null.
    let want = [
        [1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 2.0 / 3.0, 1.0 / 3.0],
        [2.0 / 5.0, 0.0, 0.0, 1.0 / 5.0, 2.0 / 5.0],
        [0.0, 1.0, 0.0, 0.0, 0.0],
    ];
    let t = m.transitions.as_ref().expect("order 1 has a transition matrix");
    assert_eq!(t.len(), want.len());
    for (row, (got, want)) in t.iter().zip(&want).enumerate() {
        assert_eq!(got.len(), want.len(), "row {row}");
        for (col, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert_close(g, w, &format!("transition [{row}][{col}]"));
        }
    }
}

#[test]
fn markov_higher_orders_by_hand() {
    // J1 `A > B` 1 conv (value 8); J2 `C > B` 1 null.
    // Order 1: start→A, start→C (1/2 each); A→B, C→B; B→conv 1/2, null 1/2. P = 1/2.
    // Without A: 1/2·1·1/2 = 1/4 → RE 1/2; without C: RE 1/2; without B: 0 → RE 1.
    // Credits: 1 · (1/2, 1, 1/2)/2 = A 1/4, B 1/2, C 1/4.
    // Order 2: states (A), (C), (A B), (C B); (A B) → conv, (C B) → null. P = 1/2.
    // Without A: only start→(C)→(C B)→null: 0 → RE 1; without C: 1/2·1 = 1/2 → RE 0;
    // without B: RE 1. Credits: A 1/2, B 1/2, C 0. Order 3: the same four states.
    let j = path_table(&["A", "B", "C"], &[("A > B", 1.0, 8.0, 0.0), ("C > B", 0.0, 0.0, 1.0)]);
    let expect = [(1u8, 3usize, [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]), (2, 4, [1.0, 1.0, 0.0], [0.5, 0.5, 0.0])];
    for (order, states, re, credit) in expect {
        let m = markov(&j, order).unwrap();
        assert_eq!((m.order, m.states), (order, states));
        assert_close(m.conversion_probability, 0.5, "P");
        for (c, &re) in re.iter().enumerate() {
            assert_close(m.removal_effects[c], re, &format!("order {order} RE {c}"));
            // One conversion edge only: the value chain is the conversion chain times 8.
            assert_close(m.value_removal_effects[c], re, &format!("order {order} VRE {c}"));
        }
        assert_eq!(m.transitions.is_some(), order == 1);
        let r = attribute(&j, &AttributionQuery { markov_order: order, ..Default::default() });
        assert_eq!(model(&r, "markov").label, format!("Markov order {order}"));
        check_model(
            &r,
            "markov",
            &[("A", credit[0], 8.0 * credit[0]), ("B", credit[1], 8.0 * credit[1]), ("C", credit[2], 8.0 * credit[2])],
        );
    }
    let m3 = markov(&j, 3).unwrap();
    assert_eq!((m3.order, m3.states), (3, 4));
    assert_eq!(m3.removal_effects, markov(&j, 2).unwrap().removal_effects);
}

#[test]
fn markov_without_conversions_is_all_zero() {
    let j = path_table(&["A", "B"], &[("A > B", 0.0, 0.0, 3.0), ("B", 0.0, 0.0, 1.0)]);
    let r = attribute(&j, &AttributionQuery::default());
    let m = r.markov.as_ref().unwrap();
    assert_eq!(m.conversion_probability, 0.0);
    assert_eq!(m.removal_effects, [0.0, 0.0]);
    assert_eq!(m.value_removal_effects, [0.0, 0.0]);
    for key in KEYS {
        let mc = model(&r, key);
        assert_eq!(mc.conversions, [0.0, 0.0], "{key}");
        assert_eq!(mc.value, [0.0, 0.0], "{key}");
    }
}

#[test]
fn markov_above_the_state_limit_is_left_out_with_a_note() {
    // MARKOV_MAX_STATES + 1 single-touch journeys: as many order-1 states.
    let n = MARKOV_MAX_STATES + 1;
    let mut j = Journeys::new((0..n).map(|i| format!("ch{i:04}")).collect());
    for c in 0..n {
        j.push(&[c as u32], &[], 1.0, 1.0, 1.0);
    }
    let r = attribute(&j, &AttributionQuery::default());
    assert!(r.markov.is_none());
    assert_eq!(keys(&r), ["first", "last", "linear", "position", "time_decay"]);
    assert_eq!(r.notes.len(), 2, "Markov and Shapley: {:?}", r.notes);
    let note = r.notes.iter().find(|n| n.contains("Markov")).expect("a Markov note");
    assert!(note.contains(&n.to_string()) && note.contains(&MARKOV_MAX_STATES.to_string()), "{note}");
}

// ---------------------------------------------------------------------------------------
// 3. Markov against an independent value-iteration implementation
// ---------------------------------------------------------------------------------------

/// A Markov chain built independently of the engine: states keyed by the last `order`
/// touches after dropping consecutive repeats.
struct Chain {
    keys: Vec<Vec<u32>>,
    /// Outgoing edge weights per state (state 0 is the start).
    edges: Vec<BTreeMap<usize, f64>>,
    conv: Vec<f64>,
    value: Vec<f64>,
    null: Vec<f64>,
}

impl Chain {
    fn new(j: &Journeys, order: usize) -> Chain {
        let mut index: HashMap<Vec<u32>, usize> = HashMap::from([(Vec::new(), 0)]);
        let mut c = Chain {
            keys: vec![Vec::new()],
            edges: vec![BTreeMap::new()],
            conv: vec![0.0],
            value: vec![0.0],
            null: vec![0.0],
        };
        for jr in j.iter() {
            let weight = jr.conversions + jr.nulls;
            if jr.touches.is_empty() || weight <= 0.0 {
                continue;
            }
            let mut path = jr.touches.to_vec();
            path.dedup();
            let mut from = 0;
            for i in 0..path.len() {
                let key = path[(i + 1).saturating_sub(order)..=i].to_vec();
                let s = match index.get(&key) {
                    Some(&s) => s,
                    None => {
                        index.insert(key.clone(), c.keys.len());
                        c.keys.push(key);
                        c.edges.push(BTreeMap::new());
                        c.conv.push(0.0);
                        c.value.push(0.0);
                        c.null.push(0.0);
                        c.keys.len() - 1
                    }
                };
                *c.edges[from].entry(s).or_default() += weight;
                from = s;
            }
            c.conv[from] += jr.conversions;
            c.value[from] += jr.value;
            c.null[from] += jr.nulls;
        }
        c
    }

    /// P(absorbed in conversion from start) with `reward` per state's conversion edge weight
    /// (conversions or value), states holding `removed` sent to null. Value iteration:
    /// x ← Q x + r until the largest change is below 1e-15 (relative to the largest x).
    fn absorb(&self, reward: &[f64], removed: Option<u32>) -> f64 {
        let n = self.keys.len();
        let alive: Vec<bool> = self.keys.iter().map(|k| removed.is_none_or(|c| !k.contains(&c))).collect();
        let out: Vec<f64> = (0..n).map(|s| self.edges[s].values().sum::<f64>() + self.conv[s] + self.null[s]).collect();
        let mut x = vec![0.0; n];
        for _ in 0..2_000_000 {
            let next: Vec<f64> = (0..n)
                .map(|s| {
                    if !alive[s] || out[s] == 0.0 {
                        return 0.0;
                    }
                    self.edges[s].iter().map(|(&t, &w)| w / out[s] * x[t]).sum::<f64>() + reward[s] / out[s]
                })
                .collect();
            let change = next.iter().zip(&x).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            let scale = next.iter().map(|v| v.abs()).fold(1.0, f64::max);
            x = next;
            if change < 1e-15 * scale {
                return x[0];
            }
        }
        panic!("value iteration did not converge");
    }
}

/// (P(convert), P(value), removal effects, value removal effects), by channel index.
fn my_markov(j: &Journeys, order: usize) -> (usize, f64, f64, Vec<f64>, Vec<f64>) {
    let chain = Chain::new(j, order);
    let (p, pv) = (chain.absorb(&chain.conv, None), chain.absorb(&chain.value, None));
    let mut re = vec![0.0; j.channels.len()];
    let mut vre = vec![0.0; j.channels.len()];
    let present: BTreeSet<u32> = chain.keys.iter().flatten().copied().collect();
    for &c in &present {
        let (pc, pvc) = (chain.absorb(&chain.conv, Some(c)), chain.absorb(&chain.value, Some(c)));
        re[c as usize] = if p > 0.0 { (1.0 - pc / p).clamp(0.0, 1.0) } else { 0.0 };
        vre[c as usize] = if pv > 0.0 { (1.0 - pvc / pv).clamp(0.0, 1.0) } else { 0.0 };
    }
    (chain.keys.len() - 1, p, pv, re, vre)
}

/// A random path table: 3–7 channels, 1–25 rows of 1–6 touches (repeats included), integer
/// or fractional conversions, random nulls and values (zero values too). In half the tables
/// the last channel only occurs in non-converting rows. With `times`, decreasing ages.
fn random_journeys(rng: &mut Rng, times: bool) -> Journeys {
    const NAMES: [&str; 7] = ["x", "m", "b", "q", "a", "k", "f"];
    let n = 3 + rng.below(5);
    let mut j = Journeys::new((0..n).map(|i| format!("{}{i}", NAMES[i])).collect());
    let shy = rng.below(2) == 0;
    for _ in 0..1 + rng.below(25) {
        let conv = match rng.below(4) {
            0 => 0.0,
            1 => (1 + rng.below(40)) as f64 / 8.0,
            _ => rng.below(6) as f64,
        };
        let nulls = if rng.below(3) == 0 { 0.0 } else { rng.below(8) as f64 };
        let value = if conv > 0.0 && rng.below(5) != 0 { rng.below(100_000) as f64 / 100.0 } else { 0.0 };
        let pool = if shy && conv > 0.0 { n - 1 } else { n };
        let len = 1 + rng.below(6);
        let mut touches: Vec<u32> = Vec::with_capacity(len);
        for _ in 0..len {
            let t = match touches.last() {
                Some(&last) if rng.below(4) == 0 => last,
                _ => rng.below(pool) as u32,
            };
            touches.push(t);
        }
        let mut ages = Vec::new();
        if times {
            let mut age = rng.below(3 * 86_400) as f64 + rng.below(1000) as f64 / 1000.0;
            for _ in 0..len {
                ages.push(age);
                age += rng.below(20 * 86_400) as f64;
            }
            ages.reverse();
        }
        j.push(&touches, &ages, conv, value, nulls);
    }
    j
}

#[test]
fn markov_agrees_with_value_iteration_on_random_path_tables() {
    let mut rng = Rng::new(0x4d41_524b);
    let mut solved = 0;
    for case in 0..120 {
        let j = random_journeys(&mut rng, case % 3 == 0);
        for order in 1..=3u8 {
            let m = markov(&j, order).unwrap();
            let (states, p, pv, re, vre) = my_markov(&j, order as usize);
            let what = format!("case {case} order {order}");
            assert_eq!(m.states, states, "{what}: states");
            assert!(close(m.conversion_probability, p, 1e-9), "{what}: P {} vs {p}", m.conversion_probability);
            for c in 0..j.channels.len() {
                assert!(
                    close(m.removal_effects[c], re[c], 1e-9),
                    "{what}: RE {c}: {} vs {}",
                    m.removal_effects[c],
                    re[c]
                );
                assert!(
                    close(m.value_removal_effects[c], vre[c], 1e-9),
                    "{what}: VRE {c}: {} vs {}",
                    m.value_removal_effects[c],
                    vre[c]
                );
            }
            // The value chain's P(convert) is not exposed, but its removal effects are; and
            // through `attribute` the credits are total × RE / ΣRE.
            let r = attribute(&j, &AttributionQuery { markov_order: order, ..Default::default() });
            let (total, total_value) = (j.conversions.iter().sum::<f64>(), j.value.iter().sum::<f64>());
            let (sum_re, sum_vre) = (re.iter().sum::<f64>(), vre.iter().sum::<f64>());
            let mk = model(&r, "markov");
            for (i, name) in r.channels.iter().enumerate() {
                let c = j.channels.iter().position(|x| x == name).unwrap();
                let want = if sum_re > 0.0 { total * re[c] / sum_re } else { 0.0 };
                let want_value = if sum_vre > 0.0 { total_value * vre[c] / sum_vre } else { 0.0 };
                assert!(close(mk.conversions[i], want, 1e-9), "{what}: credit {name}: {} vs {want}", mk.conversions[i]);
                assert!(close(mk.value[i], want_value, 1e-9), "{what}: value credit {name}");
            }
            // Both chains reproduce the observed rates (flow conservation), a check on this file's
            // chain as much as on the engine's.
            let weight: f64 = j.iter().map(|x| x.conversions + x.nulls).sum();
            if weight > 0.0 {
                assert!(close(p, total / weight, 1e-9), "{what}: my P {p} vs {}", total / weight);
                assert!(close(pv, total_value / weight, 1e-9), "{what}: my value P {pv}");
            }
            solved += usize::from(p > 0.0);
        }
    }
    assert!(solved > 200, "most random tables convert: {solved}");
}

// ---------------------------------------------------------------------------------------
// 4. Shapley
// ---------------------------------------------------------------------------------------

#[test]
fn shapley_two_channels_by_hand() {
    // {A}: `A` 1 conv (value 10), 3 nulls → v(A) = 1/4. {B}: `B` 1 conv (value 0), 1 null →
    // v(B) = 1/2. {A, B}: `A > B` 2 conv (value 80) and `B > A > A` 1 conv (value 40), 1 null →
    // 3 conv of 4, v(AB) = 3/4, value 120.
    // φ_A(AB) = 1/2·v(A) + 1/2·(v(AB) − v(B)) = 1/8 + 1/8 = 1/4; φ_B(AB) = 1/4 + 1/4 = 1/2.
    // AB: A 3·(1/4)/(3/4) = 1, B 2; value A 40, B 80. {A}: A 1, 10. {B}: B 1, 0.
    let j = path_table(
        &["A", "B"],
        &[("A", 1.0, 10.0, 3.0), ("B", 1.0, 0.0, 1.0), ("A > B", 2.0, 80.0, 0.0), ("B > A > A", 1.0, 40.0, 1.0)],
    );
    let (conv, value) = shapley(&j).unwrap();
    assert_close(conv[0], 2.0, "A");
    assert_close(conv[1], 3.0, "B");
    assert_close(value[0], 50.0, "A value");
    assert_close(value[1], 80.0, "B value");
    let r = attribute(&j, &AttributionQuery::default());
    check_model(&r, "shapley", &[("A", 2.0, 50.0), ("B", 3.0, 80.0)]);
}

#[test]
fn shapley_can_be_negative() {
    // {A}: `A` 0 conv, 2 nulls → v(A) = 0. {B}: `B` 2 conv (value 100), 2 nulls → v(B) = 1/2.
    // {A, B}: `A > B` 1 conv (value 40), 3 nulls → v(AB) = 1/4.
    // φ_A(AB) = 1/2·0 + 1/2·(1/4 − 1/2) = −1/8; φ_B(AB) = 1/2·1/2 + 1/2·(1/4 − 0) = 3/8.
    // AB: A 1·(−1/8)/(1/4) = −1/2, B 3/2; value A −20, B 60. {B}: B 2, 100.
    let j = path_table(&["A", "B"], &[("A", 0.0, 0.0, 2.0), ("B", 2.0, 100.0, 2.0), ("A > B", 1.0, 40.0, 3.0)]);
    let r = attribute(&j, &AttributionQuery::default());
    check_model(&r, "shapley", &[("A", -0.5, -20.0), ("B", 3.5, 160.0)]);
    // The rule models never go negative.
    check_model(&r, "linear", &[("A", 0.5, 20.0), ("B", 2.5, 120.0)]);
}

#[test]
fn shapley_three_channels_by_hand() {
    // v(A) = 1/2 (`A` 1 conv value 5, 1 null), v(B) = 1/4 (`B` 1 conv value 0, 3 nulls),
    // v(C) = 0 (unobserved), v(AB) = 1/2 (`A > B` 2 conv value 20, 2 nulls),
    // v(AC) = 1 (`C > A` 1 conv value 10), v(BC) = 0 (unobserved),
    // v(ABC) = 3/4 (`A > B > C` 3 conv value 90, 1 null).
    // S = ABC, weights |T| = 0: 1/3, 1: 1/6, 2: 1/3.
    //   φ_A = 1/3·1/2 + 1/6·(1/2 − 1/4) + 1/6·(1 − 0) + 1/3·(3/4 − 0) = 15/24 = 5/8
    //   φ_B = 1/3·1/4 + 1/6·(1/2 − 1/2) + 1/6·(0 − 0) + 1/3·(3/4 − 1) = 0
    //   φ_C = 0 + 1/6·(1 − 1/2) + 1/6·(0 − 1/4) + 1/3·(3/4 − 1/2) = 3/24 = 1/8   (Σ = 3/4 ✓)
    //   → A 3·(5/8)/(3/4) = 5/2, B 0, C 1/2; value A 75, B 0, C 15.
    // S = AB: φ_A = 1/2·1/2 + 1/2·(1/2 − 1/4) = 3/8, φ_B = 1/2·1/4 + 1/2·(1/2 − 1/2) = 1/8
    //   → A 2·(3/8)/(1/2) = 3/2, B 1/2; value A 15, B 5.
    // S = AC: φ_A = 1/2·1/2 + 1/2·(1 − 0) = 3/4, φ_C = 1/2·0 + 1/2·(1 − 1/2) = 1/4
    //   → A 3/4, C 1/4; value A 7.5, C 2.5.
    // S = A: A 1, 5. S = B: B 1, 0.
    // A = 5/2 + 3/2 + 3/4 + 1 = 23/4, value 102.5; B = 3/2, value 5; C = 3/4, value 17.5.
    let j = path_table(
        &["A", "B", "C"],
        &[
            ("A", 1.0, 5.0, 1.0),
            ("B", 1.0, 0.0, 3.0),
            ("A > B", 2.0, 20.0, 2.0),
            ("C > A", 1.0, 10.0, 0.0),
            ("A > B > C", 3.0, 90.0, 1.0),
        ],
    );
    let r = attribute(&j, &AttributionQuery::default());
    check_model(&r, "shapley", &[("A", 23.0 / 4.0, 102.5), ("B", 1.5, 5.0), ("C", 0.75, 17.5)]);
}

/// Every ordering of `items`.
fn permutations(items: &[u32]) -> Vec<Vec<u32>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, first);
            out.push(p);
        }
    }
    out
}

/// Shapley credits by brute force: for each converting channel set S, the average marginal
/// contribution of each channel over all orderings of S, in the game v(T) = conversion rate
/// of the journeys whose channel set is exactly T.
fn my_shapley(j: &Journeys) -> (Vec<f64>, Vec<f64>) {
    let mut sets: BTreeMap<Vec<u32>, [f64; 3]> = BTreeMap::new();
    for jr in j.iter() {
        let set: BTreeSet<u32> = jr.touches.iter().copied().collect();
        let e = sets.entry(set.into_iter().collect()).or_default();
        e[0] += jr.conversions;
        e[1] += jr.value;
        e[2] += jr.nulls;
    }
    let v = |set: &BTreeSet<u32>| -> f64 {
        let key: Vec<u32> = set.iter().copied().collect();
        match sets.get(&key) {
            Some(&[c, _, n]) if c + n > 0.0 => c / (c + n),
            _ => 0.0,
        }
    };
    let (mut conv, mut value) = (vec![0.0; j.channels.len()], vec![0.0; j.channels.len()]);
    for (set, &[c, val, _]) in &sets {
        if c <= 0.0 {
            continue;
        }
        let perms = permutations(set);
        let mut phi: BTreeMap<u32, f64> = BTreeMap::new();
        for p in &perms {
            let mut coalition = BTreeSet::new();
            for &ch in p {
                let before = v(&coalition);
                coalition.insert(ch);
                *phi.entry(ch).or_default() += v(&coalition) - before;
            }
        }
        let v_s = v(&set.iter().copied().collect());
        for (ch, phi) in phi {
            let phi = phi / perms.len() as f64;
            conv[ch as usize] += c * phi / v_s;
            value[ch as usize] += val * phi / v_s;
        }
    }
    (conv, value)
}

#[test]
fn shapley_agrees_with_permutations_on_random_path_tables() {
    let mut rng = Rng::new(0x5348_4150);
    let mut negative = 0;
    for case in 0..150 {
        let j = random_journeys(&mut rng, false);
        let (conv, value) = shapley(&j).unwrap();
        let (want_conv, want_value) = my_shapley(&j);
        for c in 0..j.channels.len() {
            assert!(close(conv[c], want_conv[c], 1e-9), "case {case} channel {c}: {} vs {}", conv[c], want_conv[c]);
            assert!(close(value[c], want_value[c], 1e-9), "case {case} value {c}: {} vs {}", value[c], want_value[c]);
        }
        negative += conv.iter().filter(|&&x| x < -1e-9).count();
    }
    assert!(negative > 0, "the random tables include negative Shapley values");
}

#[test]
fn shapley_needs_at_most_twenty_channels() {
    // 21 channels in single-touch journeys: no Shapley model, a note saying why.
    let n = SHAPLEY_MAX_CHANNELS + 1;
    let mut j = Journeys::new((0..n).map(|i| format!("c{i:02}")).collect());
    for c in 0..n {
        j.push(&[c as u32], &[], 1.0, 2.0, 1.0);
    }
    let r = attribute(&j, &AttributionQuery::default());
    assert_eq!(keys(&r), ["first", "last", "linear", "position", "time_decay", "markov"]);
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    let note = &r.notes[0];
    assert!(note.contains("Shapley") && note.contains("21") && note.contains("at most 20"), "{note}");
    assert!(shapley(&j).is_err());

    // 25 channel names of which 20 occur: exact Shapley (each singleton set earns its own).
    let mut j = Journeys::new((0..25).map(|i| format!("c{i:02}")).collect());
    for c in 0..SHAPLEY_MAX_CHANNELS {
        j.push(&[c as u32], &[], 1.0, 2.0, 1.0);
    }
    j.push(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19], &[], 0.0, 0.0, 4.0);
    let r = attribute(&j, &AttributionQuery::default());
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    assert_eq!(r.channels.len(), 20);
    let s = model(&r, "shapley");
    assert!(s.conversions.iter().all(|&c| c == 1.0), "{:?}", s.conversions);
    assert!(s.value.iter().all(|&v| v == 2.0), "{:?}", s.value);
}

// ---------------------------------------------------------------------------------------
// 5. Invariants on random path tables
// ---------------------------------------------------------------------------------------

#[test]
fn invariants_on_random_path_tables() {
    let mut rng = Rng::new(0x1a7a_41a7);
    for case in 0..300 {
        let j = random_journeys(&mut rng, case % 2 == 1);
        let q = AttributionQuery {
            position: [rng.below(101) as u8, rng.below(101) as u8],
            markov_order: 1 + rng.below(3) as u8,
            half_life: Duration {
                amount: 1 + rng.below(30) as u32,
                unit: if rng.below(2) == 0 { TimeUnit::Day } else { TimeUnit::Hour },
            },
            ..Default::default()
        };
        let what = format!("case {case} {q:?}");
        let r = attribute(&j, &q);
        assert_eq!(keys(&r), KEYS, "{what}");
        assert!(r.notes.is_empty(), "{what}: {:?}", r.notes);
        assert_eq!(r, attribute(&j, &q), "{what}: deterministic");
        assert_eq!(r, attribute(&j.clone(), &q), "{what}: deterministic on a copy");

        let total: f64 = j.conversions.iter().sum();
        let total_value: f64 = j.value.iter().sum();
        let weight: f64 = j.iter().map(|x| x.conversions + x.nulls).sum();
        assert_eq!((r.conversions, r.value), (total, total_value), "{what}");
        assert_eq!(r.has_times, case % 2 == 1);

        // Channels: exactly those touched, by linear credit (non-increasing).
        let touched: BTreeSet<&str> = j.touches.iter().map(|&t| j.channels[t as usize].as_str()).collect();
        assert_eq!(r.channels.iter().map(String::as_str).collect::<BTreeSet<_>>(), touched, "{what}");
        let linear = &model(&r, "linear").conversions;
        assert!(linear.windows(2).all(|w| w[0] >= w[1]), "{what}: {linear:?}");

        // Credits sum to the totals.
        for m in &r.models {
            let (c, v): (f64, f64) = (m.conversions.iter().sum(), m.value.iter().sum());
            if m.key != "markov" || total > 0.0 {
                assert!(close(c, total, 1e-9), "{what}: {} conversions {c} vs {total}", m.key);
            }
            if m.key != "markov" || total_value > 0.0 {
                assert!(close(v, total_value, 1e-9), "{what}: {} value {v} vs {total_value}", m.key);
            }
        }

        // A channel in no converting journey earns nothing from the rule models (nor Shapley,
        // which only splits a converting set among its members).
        let converting: BTreeSet<&str> = j
            .iter()
            .filter(|x| x.conversions > 0.0)
            .flat_map(|x| x.touches.iter().map(|&t| j.channels[t as usize].as_str()))
            .collect();
        for (i, name) in r.channels.iter().enumerate() {
            if converting.contains(name.as_str()) {
                continue;
            }
            for key in ["first", "last", "linear", "position", "time_decay", "shapley"] {
                let m = model(&r, key);
                assert_eq!((m.conversions[i], m.value[i]), (0.0, 0.0), "{what}: {key} credits absent {name}");
            }
        }
        // And the rule models never credit a negative amount.
        for key in ["first", "last", "linear", "position", "time_decay"] {
            assert!(model(&r, key).conversions.iter().all(|&c| c >= 0.0), "{what}: {key}");
        }

        // Markov: removal effects in [0, 1]; P(convert) is the observed conversion rate (the
        // observed flows solve the chain's visit equations).
        let m = r.markov.as_ref().unwrap();
        assert_eq!(m.order, q.markov_order);
        for re in m.removal_effects.iter().chain(&m.value_removal_effects) {
            assert!((0.0..=1.0).contains(re), "{what}: removal effect {re}");
        }
        let rate = if weight > 0.0 { total / weight } else { 0.0 };
        assert!(close(m.conversion_probability, rate, 1e-9), "{what}: P {} vs {rate}", m.conversion_probability);
        if total > 0.0 {
            // A channel ending a converting journey always has a positive removal effect.
            let last = j.iter().filter(|x| x.conversions > 0.0).map(|x| *x.touches.last().unwrap()).next().unwrap();
            let i = index_of(&r, &j.channels[last as usize]);
            assert!(m.removal_effects[i] > 0.0, "{what}");
        }
        // Order 1: each row of a state is a probability distribution.
        match &m.transitions {
            Some(t) => {
                assert_eq!(q.markov_order, 1);
                assert_eq!(t.len(), r.channels.len() + 1);
                for (row, probs) in t.iter().enumerate() {
                    assert_eq!(probs.len(), r.channels.len() + 2);
                    let sum: f64 = probs.iter().sum();
                    let active = match row {
                        0 => weight > 0.0,
                        _ => j.iter().any(|x| {
                            x.conversions + x.nulls > 0.0
                                && x.touches.iter().any(|&t| j.channels[t as usize] == r.channels[row - 1])
                        }),
                    };
                    let want = if active { 1.0 } else { 0.0 };
                    assert!(close(sum, want, 1e-12), "{what}: row {row} sums to {sum}");
                    assert!(probs.iter().all(|&p| (0.0..=1.0).contains(&p)), "{what}: {probs:?}");
                    // Self-transitions are ignored.
                    if row > 0 {
                        assert_eq!(probs[row - 1], 0.0, "{what}: self-transition in row {row}");
                    }
                }
            }
            None => assert_ne!(q.markov_order, 1),
        }
    }
}

// ---------------------------------------------------------------------------------------
// 6. Journeys from event-level data
// ---------------------------------------------------------------------------------------

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;
/// 2025-01-01 UTC.
const BASE: i64 = 20_089 * DAY;

/// (customer, µs after BASE, event, channel, revenue).
type Ev<'a> = (&'a str, i64, &'a str, &'a str, Option<f64>);

fn events(rows: &[Ev], revenue: bool) -> EventTable {
    let mut b = TableBuilder::new(true, false, revenue);
    for &(customer, t, event, channel, rev) in rows {
        b.push(RowRef { customer, ts: BASE + t, event, channel: Some(channel), stage: None, revenue: rev });
    }
    b.finish()
}

/// The journeys spelled out: (path, conversions, value, nulls, ages in seconds).
fn spelled(j: &Journeys) -> Vec<(String, f64, f64, f64, Vec<f64>)> {
    j.iter()
        .map(|x| {
            let path: Vec<&str> = x.touches.iter().map(|&t| j.channels[t as usize].as_str()).collect();
            (path.join(" > "), x.conversions, x.value, x.nulls, x.ages.map(<[f64]>::to_vec).unwrap_or_default())
        })
        .collect()
}

fn purchase() -> AttributionQuery {
    AttributionQuery { conversion: Conversion::Event("purchase".into()), ..Default::default() }
}

/// c1: search, email, purchase via direct (50), social, social, purchase via email (no
/// revenue), search, display (revenue 0). c2: social, purchase without a channel (20), a
/// refund via email (−5). c3: a lone purchase via direct (15).
fn customer_events() -> EventTable {
    events(
        &[
            ("c1", 0, "site_visit", "search", None),
            ("c2", DAY + HOUR, "site_visit", "social", None),
            ("c1", DAY, "site_visit", "email", None),
            ("c1", 2 * DAY, "purchase", "direct", Some(50.0)),
            ("c1", 3 * DAY, "site_visit", "social", None),
            ("c2", 3 * DAY, "purchase", "", Some(20.0)),
            ("c1", 4 * DAY, "site_visit", "social", None),
            ("c1", 5 * DAY, "purchase", "email", None),
            ("c3", 5 * DAY, "purchase", "direct", Some(15.0)),
            ("c1", 6 * DAY, "site_visit", "search", None),
            ("c2", 4 * DAY, "refund", "email", Some(-5.0)),
            ("c1", 7 * DAY, "ad_impression", "display", Some(0.0)),
        ],
        true,
    )
}

fn row(path: &str, conv: f64, value: f64, nulls: f64, ages: &[f64]) -> (String, f64, f64, f64, Vec<f64>) {
    (path.to_string(), conv, value, nulls, ages.to_vec())
}

const D: f64 = 86_400.0;

#[test]
fn journeys_are_cut_at_each_conversion() {
    let t = customer_events();
    let j = attribution::journeys(&t, &purchase()).unwrap();
    // Ages: seconds from each touch to the conversion (to the last touch without one). The
    // collapsed social pair keeps the first one's time (day 3, two days before day 5).
    assert_eq!(
        spelled(&j),
        vec![
            row("search > email > direct", 1.0, 50.0, 0.0, &[2.0 * D, D, 0.0]),
            row("social > email", 1.0, 0.0, 0.0, &[2.0 * D, 0.0]),
            row("search > display", 0.0, 0.0, 1.0, &[D, 0.0]),
            row("social", 1.0, 20.0, 0.0, &[2.0 * D - 3600.0]),
            row("email", 0.0, 0.0, 1.0, &[0.0]),
            row("direct", 1.0, 15.0, 0.0, &[0.0]),
        ]
    );
    assert!(j.has_times());
    assert_eq!((j.unattributed, j.unattributed_value), (0.0, 0.0));
    let r = attribute(&j, &purchase());
    assert_eq!((r.conversions, r.value, r.nulls), (4.0, 85.0, 2.0));
    assert_eq!((r.converting_journeys, r.journeys), (4, 6));
    assert!(r.has_times);
    // Last touch: direct (50) + email (0) + social (20) + direct (15).
    check_model(&r, "last", &[("direct", 2.0, 65.0), ("email", 1.0, 0.0), ("social", 1.0, 20.0), ("search", 0.0, 0.0)]);
    // display occurs only after the last purchase: in the result, with nothing.
    check_model(
        &r,
        "first",
        &[("search", 1.0, 50.0), ("social", 2.0, 20.0), ("direct", 1.0, 15.0), ("display", 0.0, 0.0)],
    );

    // Without collapsing, the repeated social touch stays (with its own time).
    let q = AttributionQuery { collapse: false, ..purchase() };
    let j = attribution::journeys(&t, &q).unwrap();
    assert_eq!(spelled(&j)[1], row("social > social > email", 1.0, 0.0, 0.0, &[2.0 * D, D, 0.0]));
    assert_eq!(spelled(&j).len(), 6);
    // Linear on it: social gets two thirds of that conversion.
    check_model(&attribute(&j, &q), "linear", &[("social", 2.0 / 3.0 + 1.0, 20.0)]);
}

#[test]
fn time_decay_on_event_journeys_uses_ages() {
    // Half-life 1 day: search (2 days) 1/4, email (1 day) 1/2, direct 1 → 1/7, 2/7, 4/7 of the
    // first purchase (50); social (2 days) 1/4, email 1 → 1/5, 4/5 of the second (value 0);
    // c2's social and c3's direct take their purchases whole.
    let t = customer_events();
    let q = AttributionQuery { half_life: Duration::parse("1d").unwrap(), ..purchase() };
    let r = attribute(&attribution::journeys(&t, &q).unwrap(), &q);
    check_model(
        &r,
        "time_decay",
        &[
            ("search", 1.0 / 7.0, 50.0 / 7.0),
            ("email", 2.0 / 7.0 + 4.0 / 5.0, 100.0 / 7.0),
            ("direct", 4.0 / 7.0 + 1.0, 200.0 / 7.0 + 15.0),
            ("social", 1.0 / 5.0 + 1.0, 20.0),
            ("display", 0.0, 0.0),
        ],
    );
    assert_eq!(model(&r, "time_decay").label, "Time decay (1d half-life)");
}

#[test]
fn excluding_the_conversion_touch() {
    let t = customer_events();
    let q = AttributionQuery { exclude_conversion_touch: true, ..purchase() };
    let j = attribution::journeys(&t, &q).unwrap();
    // c3's only touch was its purchase: the conversion is unattributed.
    assert_eq!(
        spelled(&j),
        vec![
            row("search > email", 1.0, 50.0, 0.0, &[2.0 * D, D]),
            row("social", 1.0, 0.0, 0.0, &[2.0 * D]),
            row("search > display", 0.0, 0.0, 1.0, &[D, 0.0]),
            row("social", 1.0, 20.0, 0.0, &[2.0 * D - 3600.0]),
            row("email", 0.0, 0.0, 1.0, &[0.0]),
        ]
    );
    assert_eq!((j.unattributed, j.unattributed_value), (1.0, 15.0));
    let r = attribute(&j, &q);
    assert_eq!((r.unattributed, r.unattributed_value), (1.0, 15.0));
    assert_eq!((r.conversions, r.value), (3.0, 70.0), "credited conversions exclude the unattributed one");
    // direct only ever appeared as a conversion touch: gone.
    assert!(!r.channels.contains(&"direct".to_string()), "{:?}", r.channels);
}

#[test]
fn revenue_above_zero_is_a_conversion() {
    let t = customer_events();
    let q = AttributionQuery { conversion: Conversion::Revenue, ..Default::default() };
    let j = attribution::journeys(&t, &q).unwrap();
    // c1's second purchase has no revenue and the display touch revenue 0: not conversions;
    // c2's refund (−5) neither.
    assert_eq!(
        spelled(&j),
        vec![
            row("search > email > direct", 1.0, 50.0, 0.0, &[2.0 * D, D, 0.0]),
            row("social > email > search > display", 0.0, 0.0, 1.0, &[4.0 * D, 2.0 * D, D, 0.0]),
            row("social", 1.0, 20.0, 0.0, &[2.0 * D - 3600.0]),
            row("email", 0.0, 0.0, 1.0, &[0.0]),
            row("direct", 1.0, 15.0, 0.0, &[0.0]),
        ]
    );
    // A conversion event that never occurs: every journey is non-converting, every credit 0.
    let q = AttributionQuery { conversion: Conversion::Event("signup".into()), ..Default::default() };
    let j = attribution::journeys(&t, &q).unwrap();
    assert_eq!(
        spelled(&j).iter().map(|x| (x.0.as_str(), x.1, x.3)).collect::<Vec<_>>(),
        vec![
            ("search > email > direct > social > email > search > display", 0.0, 1.0),
            ("social > email", 0.0, 1.0),
            ("direct", 0.0, 1.0)
        ]
    );
    let r = attribute(&j, &q);
    assert_eq!(r.conversions, 0.0);
    for m in &r.models {
        assert!(m.conversions.iter().chain(&m.value).all(|&x| x == 0.0), "{m:?}");
    }
}

#[test]
fn by_event_makes_events_the_touches() {
    let t = customer_events();
    let q = AttributionQuery { by: Dimension::Event, ..purchase() };
    let j = attribution::journeys(&t, &q).unwrap();
    let paths: Vec<String> = spelled(&j).into_iter().map(|x| x.0).collect();
    assert_eq!(
        paths,
        [
            "site_visit > purchase",
            "site_visit > purchase",
            "site_visit > ad_impression",
            "site_visit > purchase",
            "refund",
            "purchase"
        ]
    );
}

#[test]
fn lookback_drops_older_touches() {
    let t = events(
        &[
            // c3: display (day 0), social (day 15, exactly 30 days before), search (day 40),
            // purchase via direct (day 45, 10).
            ("c3", 0, "ad_impression", "display", None),
            ("c3", 15 * DAY, "site_visit", "social", None),
            ("c3", 40 * DAY, "site_visit", "search", None),
            ("c3", 45 * DAY, "purchase", "direct", Some(10.0)),
            // c4: email (day 0), purchase without a channel (day 60, 25).
            ("c4", 0, "site_visit", "email", None),
            ("c4", 60 * DAY, "purchase", "", Some(25.0)),
            // c5: email (day 0), social (day 50), no purchase.
            ("c5", 0, "site_visit", "email", None),
            ("c5", 50 * DAY, "site_visit", "social", None),
        ],
        true,
    );
    let without = attribution::journeys(&t, &purchase()).unwrap();
    assert_eq!(
        spelled(&without).into_iter().map(|x| (x.0, x.1, x.2)).collect::<Vec<_>>(),
        vec![
            ("display > social > search > direct".to_string(), 1.0, 10.0),
            ("email".to_string(), 1.0, 25.0),
            ("email > social".to_string(), 0.0, 0.0)
        ]
    );
    let q = AttributionQuery { lookback: Some(Duration::parse("30d").unwrap()), ..purchase() };
    let j = attribution::journeys(&t, &q).unwrap();
    // c4's email is 60 days old: its conversion has no touch left. c5 (no conversion) keeps
    // what lies within 30 days of its last touch.
    assert_eq!(
        spelled(&j),
        vec![
            row("social > search > direct", 1.0, 10.0, 0.0, &[30.0 * D, 5.0 * D, 0.0]),
            row("social", 0.0, 0.0, 1.0, &[0.0])
        ]
    );
    assert_eq!((j.unattributed, j.unattributed_value), (1.0, 25.0));
    let r = attribute(&j, &q);
    assert_eq!((r.conversions, r.value, r.unattributed, r.unattributed_value), (1.0, 10.0, 1.0, 25.0));
    assert_eq!(r.converting_journeys, 1);
}

/// The lookback applies before repeats collapse: social (day 0), social (day 40), purchase
/// without a channel (day 45), lookback 30 days, collapse on. The day-40 touch is 5 days
/// before the purchase, inside the window: one journey `social` with 1 conversion and nothing
/// unattributed (as without collapsing). (Collapsing first once merged it into the day-0
/// touch and lost the conversion.)
#[test]
fn lookback_keeps_a_collapsed_touch_inside_the_window() {
    let t = events(
        &[
            ("c6", 0, "site_visit", "social", None),
            ("c6", 40 * DAY, "site_visit", "social", None),
            ("c6", 45 * DAY, "purchase", "", Some(10.0)),
        ],
        true,
    );
    let lookback = Some(Duration::parse("30d").unwrap());
    // Without collapsing: the day-40 touch, 5 days old.
    let q = AttributionQuery { lookback, collapse: false, ..purchase() };
    let j = attribution::journeys(&t, &q).unwrap();
    assert_eq!(spelled(&j), vec![row("social", 1.0, 10.0, 0.0, &[5.0 * D])]);
    // Collapsing must not lose it.
    let q = AttributionQuery { lookback, collapse: true, ..purchase() };
    let j = attribution::journeys(&t, &q).unwrap();
    assert_eq!((j.unattributed, j.unattributed_value), (0.0, 0.0), "the conversion has a touch within 30 days");
    let got: Vec<(String, f64, f64)> = spelled(&j).into_iter().map(|x| (x.0, x.1, x.2)).collect();
    assert_eq!(got, vec![("social".to_string(), 1.0, 10.0)]);
}

#[test]
fn journeys_errors() {
    // No channel column.
    let mut b = TableBuilder::new(false, false, false);
    b.push(RowRef { customer: "c", ts: BASE, event: "purchase", channel: None, stage: None, revenue: None });
    let no_channel = b.finish();
    assert_eq!(attribution::journeys(&no_channel, &purchase()), Err(AttributionError::NoChannelColumn));
    // By event it works: the purchase is its own touch.
    let q = AttributionQuery { by: Dimension::Event, ..purchase() };
    let j = attribution::journeys(&no_channel, &q).unwrap();
    assert_eq!(spelled(&j), vec![row("purchase", 1.0, 0.0, 0.0, &[0.0])]);
    // No conversion event chosen.
    let t = customer_events();
    assert_eq!(attribution::journeys(&t, &AttributionQuery::default()), Err(AttributionError::NoConversion));
    // Revenue conversions without a revenue column.
    let without_revenue = events(&[("c", 0, "purchase", "direct", None)], false);
    let q = AttributionQuery { conversion: Conversion::Revenue, ..Default::default() };
    assert_eq!(attribution::journeys(&without_revenue, &q), Err(AttributionError::NoRevenueColumn));
    assert!(AttributionError::NoRevenueColumn.to_string().contains("revenue"));
    assert!(AttributionError::NoConversion.to_string().contains("conversion"));
    // Without a revenue column, event conversions are worth 0.
    let j = attribution::journeys(&without_revenue, &purchase()).unwrap();
    assert_eq!(spelled(&j), vec![row("direct", 1.0, 0.0, 0.0, &[0.0])]);
}

#[test]
fn journeys_as_a_path_table_csv() {
    let t = events(
        &[
            ("c1", 0, "site_visit", "search", None),
            ("c1", DAY, "site_visit", "email", None),
            ("c1", 2 * DAY, "purchase", "direct", Some(50.0)),
            ("c1", 3 * DAY, "site_visit", "social", None),
            ("c1", 5 * DAY, "purchase", "email", None),
            ("c1", 6 * DAY, "site_visit", "search", None),
            ("c1", 7 * DAY, "site_visit", "display", None),
            ("c2", 0, "site_visit", "search", None),
            ("c2", DAY, "site_visit", "email", None),
            ("c2", 2 * DAY, "purchase", "direct", Some(12.5)),
            ("c3", 0, "site_visit", "tv, radio", None),
        ],
        true,
    );
    let j = attribution::journeys(&t, &purchase()).unwrap();
    // Identical paths summed; most journeys first, ties by path; a comma-holding name quoted.
    assert_eq!(
        j.to_path_table_csv(),
        "path,total_conversions,total_conversion_value,total_null\n\
         search > email > direct,2,62.5,0\n\
         search > display,0,0,1\n\
         social > email,1,0,0\n\
         \"tv, radio\",0,0,1\n"
    );
}

// ---------------------------------------------------------------------------------------
// 7. Event-level journeys and the same journeys as a path table agree
// ---------------------------------------------------------------------------------------

/// The generated sample with revenue, built without the CSV loader.
fn sample_table() -> EventTable {
    common::sample_table(true)
}

#[test]
fn event_journeys_and_their_path_table_agree() {
    use touchpath::core::ingest::load_bytes;
    use touchpath::core::schema::ColumnOverrides;
    let t = sample_table();
    for order in 1..=3u8 {
        let q = AttributionQuery { markov_order: order, ..purchase() };
        let events = attribution::journeys(&t, &q).unwrap();
        let csv = events.to_path_table_csv();
        let (table, report) = load_bytes("paths.csv", csv.as_bytes(), &ColumnOverrides::default()).expect("loads");
        assert!(table.is_empty());
        let paths = report.path_table.expect("read back as a path table");
        assert!(paths.len() < events.len(), "identical journeys were summed");
        let (a, b) = (attribute(&events, &q), attribute(&paths, &q));
        assert!(a.conversions > 100.0 && a.nulls > 100.0, "the sample converts: {} / {}", a.conversions, a.nulls);
        assert_eq!((a.conversions, a.nulls), (b.conversions, b.nulls));
        assert!(close(a.value, b.value, 1e-9), "{} vs {}", a.value, b.value);
        assert_eq!(a.channels.iter().collect::<BTreeSet<_>>(), b.channels.iter().collect::<BTreeSet<_>>());
        assert!(a.has_times && !b.has_times, "time decay differs by design");
        assert_eq!(a.notes, b.notes);
        for key in ["first", "last", "linear", "position", "markov", "shapley"] {
            let (ma, mb) = match (a.models.iter().find(|m| m.key == key), b.models.iter().find(|m| m.key == key)) {
                (Some(x), Some(y)) => (x, y),
                (None, None) => continue,
                other => panic!("{key} in one route only: {other:?}"),
            };
            for (i, name) in a.channels.iter().enumerate() {
                let k = index_of(&b, name);
                assert!(
                    close(ma.conversions[i], mb.conversions[k], 1e-9),
                    "order {order} {key} {name}: {} vs {}",
                    ma.conversions[i],
                    mb.conversions[k]
                );
                assert!(close(ma.value[i], mb.value[k], 1e-9), "order {order} {key} value {name}");
            }
        }
        match (&a.markov, &b.markov) {
            (Some(x), Some(y)) => {
                assert_eq!(x.states, y.states);
                assert!(close(x.conversion_probability, y.conversion_probability, 1e-9));
                for (i, name) in a.channels.iter().enumerate() {
                    let k = index_of(&b, name);
                    assert!(close(x.removal_effects[i], y.removal_effects[k], 1e-9), "{name}");
                    assert!(close(x.value_removal_effects[i], y.value_removal_effects[k], 1e-9), "{name}");
                }
            }
            (None, None) => {}
            other => panic!("Markov in one route only: {other:?}"),
        }
        // The sample has 10 channels and 577 order-3 states: every model runs.
        assert_eq!(keys(&a), KEYS, "{:?}", a.notes);
    }
}
