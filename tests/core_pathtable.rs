//! Aggregated path tables (ChannelAttribution's `path`, `total_conversions`,
//! `total_conversion_value`, `total_null`) read as weighted journeys.

use touchpath::core::ingest::{load_bytes, SkipReason};
use touchpath::core::schema::ColumnOverrides;

fn load(text: &str) -> touchpath::core::attribution::Journeys {
    let (table, report) = load_bytes("paths.csv", text.as_bytes(), &ColumnOverrides::default()).expect("loads");
    assert!(table.is_empty(), "a path table has no events");
    (*report.path_table.expect("read as a path table")).clone()
}

/// The journeys as (path, conversions, value, nulls), paths spelled out.
fn rows(j: &touchpath::core::attribution::Journeys) -> Vec<(String, f64, f64, f64)> {
    j.iter()
        .map(|r| {
            let path: Vec<&str> = r.touches.iter().map(|&c| j.channels[c as usize].as_str()).collect();
            (path.join(">"), r.conversions, r.value, r.nulls)
        })
        .collect()
}

#[test]
fn separators_with_or_without_spaces_and_repeated_paths_are_summed() {
    let j = load("path;total_conversions;total_conversion_value;total_null\nA > B > C;2;100;1\nA>B>C;1;50.5;0\nC;3;0;0\nB  >C;0;0;5\n");
    assert_eq!(
        rows(&j),
        vec![
            ("A>B>C".to_string(), 3.0, 150.5, 1.0),
            ("C".to_string(), 3.0, 0.0, 0.0),
            ("B>C".to_string(), 0.0, 0.0, 5.0),
        ]
    );
    assert_eq!(j.channels, vec!["A", "B", "C"]);
    assert!(!j.has_times());
}

#[test]
fn bad_rows_are_skipped_with_line_and_reason() {
    let text =
        "path,total_conversions,total_conversion_value,total_null\nA > B,1,10,2\n > ,1,1,1\nD,x,1,1\nE,1,-3,0\nF,1,1\n";
    let (_, report) = load_bytes("p.csv", text.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert!(report.format.contains("path table"), "{}", report.format);
    assert!(report.format.contains("conversions: total_conversions"), "{}", report.format);
    assert_eq!(report.rows_read, 5);
    assert_eq!(report.rows_used, 1, "A > B only");
    let reasons: Vec<(SkipReason, u64, Vec<u64>)> =
        report.skipped.iter().map(|s| (s.reason, s.count, s.lines.clone())).collect();
    assert_eq!(
        reasons,
        vec![
            (SkipReason::TooFewFields, 1, vec![6]),
            (SkipReason::BadNumber, 2, vec![4, 5]),
            (SkipReason::EmptyPath, 1, vec![3])
        ]
    );
    let bad = report.skipped.iter().find(|s| s.reason == SkipReason::BadNumber).unwrap();
    assert_eq!(bad.example.as_deref(), Some("x"));
}

#[test]
fn value_and_null_columns_are_optional() {
    let j = load("path\ttotal_conversions\nemail > search\t4\nsearch\t1\n");
    assert_eq!(rows(&j), vec![("email>search".to_string(), 4.0, 0.0, 0.0), ("search".to_string(), 1.0, 0.0, 0.0)]);
}

#[test]
fn an_event_file_with_a_path_column_is_still_an_event_file() {
    let text = "customer_id,timestamp,event,path\nc1,2024-01-01T00:00:00Z,visit,/home\n";
    let (table, report) = load_bytes("e.csv", text.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert_eq!(table.len(), 1);
    assert!(report.path_table.is_none());
}

#[test]
fn a_path_table_without_rows_says_so() {
    let e = load_bytes("p.csv", b"path,total_conversions\n > ,1\n", &ColumnOverrides::default()).unwrap_err();
    assert!(e.message.contains("all 1 rows were skipped (empty path, first at line 2"), "{}", e.message);
}

#[test]
fn merged_tables_sum_the_same_path_across_files() {
    use touchpath::core::ingest::pathtable::merge;
    let a = load("path,total_conversions,total_null\nX > Y,1,1\nY,2,0\n");
    let b = load("path,total_conversions,total_null\nY,1,3\nX>Y,0,1\nZ,1,0\n");
    let m = merge(&[&a, &b]);
    assert_eq!(
        rows(&m),
        vec![("X>Y".to_string(), 1.0, 0.0, 2.0), ("Y".to_string(), 3.0, 0.0, 3.0), ("Z".to_string(), 1.0, 0.0, 0.0)]
    );
}

#[test]
fn json_lines_path_tables_read_absent_keys_as_zero() {
    let j = load(
        "{\"path\":\"a > b\",\"total_conversions\":2}\n{\"path\":\"b\",\"total_null\":4,\"total_conversions\":0}\n",
    );
    assert_eq!(rows(&j), vec![("a>b".to_string(), 2.0, 0.0, 0.0), ("b".to_string(), 0.0, 0.0, 4.0)]);
}
