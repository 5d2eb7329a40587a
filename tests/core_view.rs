//! Share-link round trips for `touchpath::core::view::ViewState`.

mod common;
use common::Rng;

use touchpath::core::attribution::{AttributionQuery, Conversion};
use touchpath::core::funnel::{Dimension, FunnelQuery};
use touchpath::core::schema::{ColumnOverrides, Preset, Role};
use touchpath::core::stages::{StageModel, StageRule};
use touchpath::core::time::{Duration, TimeUnit};
use touchpath::core::view::{decode, ViewState};

trait TextGen {
    fn char(&mut self) -> char;
    fn text(&mut self, min: usize, max: usize) -> String;
}

impl TextGen for Rng {
    /// A random Unicode scalar value, biased towards characters that matter to the link syntax.
    fn char(&mut self) -> char {
        const SYNTAX: &[char] = &[',', '&', '=', '%', '#', '+', ' ', '?', '/', ':', '.', '~', '\'', '"', '\\'];
        match self.below(6) {
            0 | 1 => SYNTAX[self.below(SYNTAX.len())],
            2 => char::from(b' ' + self.below(95) as u8), // printable ASCII
            3 => char::from(self.below(0x20) as u8),      // control characters, NUL included
            4 => ['é', 'ß', '中', '😀', '\u{301}', '\u{feff}', '\u{7f}', '\u{a0}', 'Ω'][self.below(9)],
            _ => loop {
                if let Some(c) = char::from_u32(self.below(0x11_0000) as u32) {
                    break c;
                }
            },
        }
    }

    /// A string of `min..=max` random characters, sometimes with a literal `%XX` that must not be decoded.
    fn text(&mut self, min: usize, max: usize) -> String {
        let n = min + self.below(max - min + 1);
        let mut s: String = (0..n).map(|_| self.char()).collect();
        if self.below(4) == 0 {
            s.push_str(["%41", "%2C", "%%", "%e9", "%zz"][self.below(5)]);
        }
        s
    }
}

fn random_state(rng: &mut Rng) -> ViewState {
    let steps = (0..rng.below(7)).map(|_| rng.text(1, 12)).collect();
    let units = [TimeUnit::Second, TimeUnit::Minute, TimeUnit::Hour, TimeUnit::Day, TimeUnit::Week];
    let window = match rng.below(3) {
        0 => None,
        1 => Some(Duration { amount: 1 + rng.below(90) as u32, unit: units[rng.below(5)] }),
        _ => Some(Duration { amount: 1 + rng.below(u32::MAX as usize) as u32, unit: units[rng.below(5)] }),
    };
    let by = match rng.below(4) {
        0 => Dimension::Event,
        1 => Dimension::Channel,
        // A kept column: any non-empty name, also one spelled like a built-in dimension.
        2 => Dimension::Attr(["event", "col:x", "channel"][rng.below(3)].to_string()),
        _ => Dimension::Attr(rng.text(1, 8)),
    };
    let mut columns = ColumnOverrides::default();
    for role in Role::ALL {
        if rng.below(4) == 0 {
            columns.set(role, rng.text(0, 8));
        }
    }
    let other = (0..rng.below(3)).map(|i| (format!("x{i}-{}", rng.text(0, 5)), rng.text(0, 8))).collect();
    ViewState {
        view: if rng.below(2) == 0 { "funnel".into() } else { rng.text(0, 6) },
        funnel: FunnelQuery { by, steps, window, ..Default::default() },
        paths: Default::default(),
        attribution: Default::default(),
        attribution_value: false,
        data: if rng.below(2) == 0 { None } else { Some(rng.text(1, 20)) },
        columns,
        keep_duplicates: rng.below(2) == 0,
        workers: if rng.below(2) == 0 { None } else { Some(1 + rng.below(8) as u32) },
        stitch: rng.below(2) == 0,
        preset: if rng.below(2) == 0 { None } else { Some(Preset::ALL[rng.below(Preset::ALL.len())]) },
        names: {
            let mut n: Vec<String> = (0..rng.below(4)).map(|_| rng.text(0, 6).trim().to_string()).collect();
            while n.last().is_some_and(String::is_empty) {
                n.pop();
            }
            n
        },
        stitch_pair: match (rng.below(2), rng.text(1, 6), rng.text(1, 6)) {
            (0, a, k) if !a.trim().is_empty() && !k.trim().is_empty() && a != k => Some((a, k)),
            _ => None,
        },
        keep: match rng.below(3) {
            0 => None,
            _ => Some((0..rng.below(3)).map(|_| rng.text(1, 6).trim().to_string()).filter(|n| !n.is_empty()).collect()),
        },
        stages: Default::default(),
        other,
    }
}

#[test]
fn random_states_round_trip_exactly() {
    let mut rng = Rng::new(0x7649_4557);
    for case in 0..3_000 {
        let v = random_state(&mut rng);
        let f = v.to_fragment();
        assert!(f.is_ascii(), "case {case}: {f}");
        assert!(!f.contains(['#', ' ', '+']), "case {case}: {f}");
        let (back, warnings) = ViewState::from_fragment(&f);
        assert!(warnings.is_empty(), "case {case}: {warnings:?} from {f}");
        assert_eq!(back, v, "case {case}: {f}");
        // With the leading '#', as `location.hash` gives it.
        assert_eq!(ViewState::from_fragment(&format!("#{f}")).0, v, "case {case}");
        // One `&` per key, one `,` per step boundary: nothing inside a value breaks the syntax.
        let keys = 2
            + usize::from(v.data.is_some())
            + usize::from(!v.funnel.steps.is_empty())
            + usize::from(v.funnel.window.is_some())
            + usize::from(v.keep_duplicates)
            + usize::from(v.workers.is_some())
            + usize::from(v.preset.is_some())
            + usize::from(v.stitch)
            + usize::from(!v.names.is_empty())
            + usize::from(v.stitch_pair.is_some())
            + usize::from(v.keep.is_some())
            + v.columns.0.len()
            + v.other.len();
        assert_eq!(f.split('&').count(), keys, "case {case}: {f}");
        if let Some(steps) = f.split('&').find_map(|p| p.strip_prefix("steps=")) {
            assert_eq!(steps.split(',').count(), v.funnel.steps.len(), "case {case}: {f}");
        }
        if let Some(names) = f.split('&').find_map(|p| p.strip_prefix("names=")) {
            assert_eq!(names.split(',').count(), v.names.len(), "case {case}: {f}");
        }
    }
}

#[test]
fn the_documented_example() {
    let (v, warnings) = ViewState::from_fragment("#view=funnel&by=event&steps=catalog,cart,payment_done&window=7d");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(v.view, "funnel");
    assert_eq!(v.funnel.by, Dimension::Event);
    assert_eq!(v.funnel.steps, vec!["catalog", "cart", "payment_done"]);
    assert_eq!(v.funnel.window, Some(Duration { amount: 7, unit: TimeUnit::Day }));
    assert_eq!((v.data, v.columns, v.other), (None, ColumnOverrides::default(), vec![]));
    // Written back in the fixed key order it is the same text.
    let (v, _) = ViewState::from_fragment("#view=funnel&by=event&steps=catalog,cart,payment_done&window=7d");
    assert_eq!(v.to_fragment(), "view=funnel&by=event&steps=catalog,cart,payment_done&window=7d");
}

#[test]
fn hand_written_links() {
    // `+` is never a space; `%20` is.
    assert_eq!(decode("a+b%20c"), "a+b c");
    let (v, _) = ViewState::from_fragment("steps=a+b,caf%C3%A9%2C%20%231&by=channel&col.id=User%20ID&data=x.csv");
    assert_eq!(v.funnel.steps, vec!["a+b", "café, #1"]);
    assert_eq!(v.funnel.by, Dimension::Channel);
    assert_eq!(v.columns.0, vec![(Role::Id, "User ID".to_string())]);
    assert_eq!(v.data.as_deref(), Some("x.csv"));
    // Empty steps are dropped; unknown keys survive in order.
    let (v, w) = ViewState::from_fragment("steps=,a,,b,&zeta=1&alpha=2");
    assert!(w.is_empty());
    assert_eq!(v.funnel.steps, vec!["a", "b"]);
    assert_eq!(v.other, vec![("zeta".to_string(), "1".to_string()), ("alpha".to_string(), "2".to_string())]);
    assert_eq!(v.to_fragment(), "view=funnel&by=event&steps=a,b&zeta=1&alpha=2");
}

/// A random attribution view: every key at a random value (defaults included).
fn random_attribution(rng: &mut Rng) -> ViewState {
    let units = [TimeUnit::Second, TimeUnit::Minute, TimeUnit::Hour, TimeUnit::Day, TimeUnit::Week];
    let dur = |rng: &mut Rng| Duration { amount: 1 + rng.below(400) as u32, unit: units[rng.below(5)] };
    let first = rng.below(101) as u8;
    let attribution = AttributionQuery {
        by: if rng.below(2) == 0 { Dimension::Event } else { Dimension::Channel },
        conversion: match rng.below(3) {
            0 => Conversion::Revenue,
            1 => Conversion::Event(String::new()),
            _ => Conversion::Event(rng.text(1, 10)),
        },
        lookback: if rng.below(2) == 0 { None } else { Some(dur(rng)) },
        exclude_conversion_touch: rng.below(2) == 0,
        collapse: rng.below(2) == 0,
        position: [first, rng.below(101 - first as usize) as u8],
        half_life: dur(rng),
        markov_order: 1 + rng.below(3) as u8,
    };
    ViewState {
        view: "attribution".into(),
        attribution,
        attribution_value: rng.below(2) == 0,
        data: if rng.below(2) == 0 { None } else { Some(rng.text(1, 20)) },
        ..Default::default()
    }
}

#[test]
fn attribution_states_round_trip_exactly() {
    let mut rng = Rng::new(0x00A7_71B0);
    for case in 0..2_000 {
        let v = random_attribution(&mut rng);
        let f = v.to_fragment();
        let (back, warnings) = ViewState::from_fragment(&f);
        assert!(warnings.is_empty(), "case {case}: {warnings:?} from {f}");
        assert_eq!(back, v, "case {case}: {f}");
    }
}

#[test]
fn attribution_link_keys() {
    let (v, w) = ViewState::from_fragment(
        "view=attribution&by=channel&conv=order%20done&lookback=30d&exclude_conv=1&collapse=0&position=30,50&half_life=2d&markov=3&metric=value",
    );
    assert!(w.is_empty(), "{w:?}");
    let a = &v.attribution;
    assert_eq!(a.conversion, Conversion::Event("order done".into()));
    assert_eq!(a.lookback, Some(Duration { amount: 30, unit: TimeUnit::Day }));
    assert!(a.exclude_conversion_touch && !a.collapse);
    assert_eq!((a.position, a.markov_order), ([30, 50], 3));
    assert_eq!(a.half_life, Duration { amount: 2, unit: TimeUnit::Day });
    assert!(v.attribution_value);
    // `conv_by=revenue` wins over `conv`, in either order; defaults are left out when written.
    let (v, _) = ViewState::from_fragment("view=attribution&conv_by=revenue&conv=purchase");
    assert_eq!(v.attribution.conversion, Conversion::Revenue);
    assert_eq!(v.to_fragment(), "view=attribution&by=channel&conv_by=revenue");
    // Bad values are dropped with a reason each.
    let (v, w) = ViewState::from_fragment("view=attribution&position=70,40&markov=4&lookback=7&metric=money");
    assert_eq!(v.attribution, AttributionQuery::default());
    assert_eq!(w.len(), 4, "{w:?}");
    assert!(w[0].contains("position=70,40") && w[1].contains("markov=4") && w[2].contains("lookback"), "{w:?}");
    // The funnel's keys keep their meaning in the funnel view.
    let (v, _) = ViewState::from_fragment("view=funnel&by=channel&steps=a,b");
    assert_eq!(v.attribution, AttributionQuery::default());
}

#[test]
fn time_to_convert_step_in_the_link() {
    let (v, w) = ViewState::from_fragment("view=funnel&by=event&steps=a,b,c&ttc=2");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(v.funnel.ttc_to, Some(1));
    assert_eq!(v.to_fragment(), "view=funnel&by=event&steps=a,b,c&ttc=2");
    let (v, w) = ViewState::from_fragment("view=funnel&steps=a,b&ttc=1");
    assert_eq!((v.funnel.ttc_to, w.len()), (None, 1));
}

#[test]
fn stage_model_keys() {
    let rule = |p: &str, channel: bool, s: &str| StageRule { pattern: p.into(), channel, stage: s.into() };
    let f = "view=stages&stages=Lead,MQL,Customer&stage_map=webinar*:MQL,channel:email:Lead,event:channel%3Ax:Customer,visit:";
    let (v, w) = ViewState::from_fragment(f);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(v.view, "stages");
    assert_eq!(v.stages.stages, ["Lead", "MQL", "Customer"]);
    assert_eq!(
        v.stages.rules,
        [
            rule("webinar*", false, "MQL"),
            rule("email", true, "Lead"),
            rule("channel:x", false, "Customer"),
            rule("visit", false, "")
        ]
    );
    assert_eq!(v.to_fragment(), "view=stages&by=event&stages=Lead,MQL,Customer&stage_map=webinar*:MQL,channel:email:Lead,event:channel%3Ax:Customer,visit:");
    // `=>` reads too (a browser writes `>` as %3E); a `:` inside a stage name is %3A.
    let (v, w) = ViewState::from_fragment("stage_map=add_to_cart=>purchase,channel:sms=%3Eretention,a%3Ab:x%3Ay");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        v.stages.rules,
        [rule("add_to_cart", false, "purchase"), rule("sms", true, "retention"), rule("a:b", false, "x:y")]
    );
    assert!(
        v.to_fragment().ends_with("&stage_map=add_to_cart:purchase,channel:sms:retention,a%3Ab:x%3Ay"),
        "{}",
        v.to_fragment()
    );
    // The model applies in every view; the default model writes no key.
    let (v, _) = ViewState::from_fragment("view=paths&stages=a,b");
    assert_eq!(v.stages.stages, ["a", "b"]);
    assert!(v.to_fragment().contains("&stages=a,b"));
    assert!(!ViewState::default().to_fragment().contains("stage"));
    assert_eq!(ViewState::from_fragment("view=stages").0.stages, StageModel::default());
    // A repeated name is dropped with a warning; a rule without a stage separator is refused.
    let (v, w) = ViewState::from_fragment("stages=a,A,b&stage_map=novalue");
    assert_eq!(
        (v.stages.stages.clone(), v.stages.rules.len(), w.len()),
        (vec!["a".to_string(), "b".to_string()], 0, 2),
        "{w:?}"
    );
}

#[test]
fn random_stage_models_round_trip() {
    let mut rng = Rng::new(0x0057_A6E5);
    for case in 0..2_000 {
        let mut names: Vec<String> = Vec::new();
        for _ in 0..1 + rng.below(6) {
            let n = rng.text(1, 8);
            if n.trim() == n && !n.is_empty() && !names.iter().any(|m| m.to_lowercase() == n.to_lowercase()) {
                names.push(n);
            }
        }
        if names.is_empty() {
            names.push("x".into());
        }
        let rules = (0..rng.below(5))
            .map(|_| StageRule { pattern: rng.text(1, 10), channel: rng.below(2) == 0, stage: rng.text(0, 8) })
            .collect();
        let v = ViewState { view: "stages".into(), stages: StageModel { stages: names, rules }, ..Default::default() };
        let f = v.to_fragment();
        assert!(f.is_ascii() && !f.contains(['#', ' ', '+', '>']), "case {case}: {f}");
        let (back, warnings) = ViewState::from_fragment(&f);
        assert!(warnings.is_empty(), "case {case}: {warnings:?} from {f}");
        assert_eq!(back, v, "case {case}: {f}");
    }
}

/// `sessions=column|gap` (with `count=sessions` or `grain=session`) and `col.session=`.
#[test]
fn session_source_and_column_round_trip() {
    use touchpath::core::funnel::Count;
    use touchpath::core::paths::Grain;
    use touchpath::core::session::SessionSource;
    let link = "view=funnel&by=event&steps=view,buy&count=sessions&sessions=gap&col.session=visit_num";
    let (v, w) = ViewState::from_fragment(link);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!((v.funnel.count, v.funnel.sessions), (Count::Sessions, SessionSource::Gap));
    assert_eq!(v.columns.0, vec![(Role::Session, "visit_num".to_string())]);
    assert_eq!(v.to_fragment(), link);
    // The default (the column) is not written; it reads back the same.
    let (v, _) = ViewState::from_fragment("steps=view,buy&count=sessions&sessions=column");
    assert_eq!(v.funnel.sessions, SessionSource::Column);
    assert_eq!(v.to_fragment(), "view=funnel&by=event&steps=view,buy&count=sessions");
    // The paths view has its own.
    let link = "view=paths&by=event&steps=6&collapse=1&top=8&grain=session&session_gap=30m&sessions=gap";
    let (v, w) = ViewState::from_fragment(link);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        (v.paths.grain, v.paths.sessions, v.funnel.sessions),
        (Grain::Session, SessionSource::Gap, SessionSource::Column)
    );
    assert_eq!(v.to_fragment(), link);
    let (_, w) = ViewState::from_fragment("count=sessions&sessions=visits");
    assert_eq!(w, ["sessions=visits is not a choice (column or gap)"]);
}

#[test]
fn workers_takes_1_to_8_and_warns_of_anything_else() {
    assert_eq!(ViewState::from_fragment("workers=1").0.workers, Some(1));
    assert_eq!(ViewState::from_fragment("workers=8").0.workers, Some(8));
    for bad in ["0", "9", "two", ""] {
        let (v, warnings) = ViewState::from_fragment(&format!("workers={bad}"));
        assert_eq!(v.workers, None, "workers={bad}");
        assert_eq!(warnings, vec![format!("workers={bad} is not a choice (use 1 to 8)")]);
    }
    // One per core is the default, and no key is written for it.
    assert!(!ViewState::default().to_fragment().contains("workers"));
}
