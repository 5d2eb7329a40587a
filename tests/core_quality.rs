//! Data-quality handling: exact duplicate rows, and merging files into one journey.

use touchpath::core::ingest::{load_bytes, Loader};
use touchpath::core::schema::ColumnOverrides;
use touchpath::core::table::{merge, Duplicates, Part};

const CSV: &str = "customer_id,timestamp,event,channel\n\
                   a,2024-03-01T10:00:00Z,visit,web\n\
                   a,2024-03-01T10:00:00Z,visit,web\n\
                   a,2024-03-01T10:00:00Z,visit,email\n\
                   b,2024-03-01T10:00:00Z,visit,web\n\
                   a,2024-03-01T10:00:00Z,visit,web\n";

#[test]
fn duplicates_are_dropped_and_counted_by_default() {
    // Rows 3 and 6 repeat row 2 exactly; row 4 differs in channel, row 5 in customer.
    let (t, rep) = load_bytes("d.csv", CSV.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert_eq!((rep.rows_used, rep.duplicates, rep.duplicates_dropped), (5, 2, true));
    assert_eq!(t.len(), 3);
}

#[test]
fn duplicates_can_be_kept() {
    let mut l = Loader::new("d.csv", ColumnOverrides::default()).duplicates(Duplicates::Keep);
    l.push(CSV.as_bytes()).unwrap();
    let (t, rep) = l.finish().unwrap();
    assert_eq!((rep.duplicates, rep.duplicates_dropped), (2, false));
    assert_eq!(t.len(), 5);
}

#[test]
fn files_from_different_silos_merge_into_one_journey() {
    let web =
        "visitor_id,time,action,source\nv1,2024-03-01 10:00:00,landing,google\nv2,2024-03-01 11:00:00,landing,email\n";
    let calls = "customer,date,touchpoint\nv1,2024-03-02,call\nv3,2024-03-02,call\n";
    let (w, _) = load_bytes("web.csv", web.as_bytes(), &ColumnOverrides::default()).unwrap();
    let (c, _) = load_bytes("callcenter.csv", calls.as_bytes(), &ColumnOverrides::default()).unwrap();
    let t = merge(&[Part { table: &w, label: "web" }, Part { table: &c, label: "call center" }]);
    // v1 appears in both files: one customer with two events.
    assert_eq!(t.customers, vec!["v1", "v2", "v3"]);
    assert_eq!(t.offsets, vec![0, 2, 3, 4]);
    let ch = t.channel.as_ref().unwrap();
    let names: Vec<&str> = ch.codes.iter().map(|k| ch.values[k as usize].as_str()).collect();
    assert_eq!(names, vec!["google", "call center", "email", "call center"]);
}

#[test]
fn every_skipped_row_is_listed_for_download() {
    // Line 2 ok; 3 bad time (with a comma and a quote); 4 no id; 5 ok; 6 too short and the
    // file's last line without a newline → re-filed as a truncated last line.
    let csv = "customer_id,timestamp,event,channel\n\
               a,2024-03-01,visit,web\n\
               a,\"soon, \"\"maybe\"\"\",visit,web\n\
               ,2024-03-01,visit,web\n\
               b,2024-03-02,visit,web\n\
               c,2024-03";
    let (_, rep) = load_bytes("x,y.csv", csv.as_bytes(), &ColumnOverrides::default()).unwrap();
    let text = touchpath::core::ingest::skipped_rows_csv(&[&rep]);
    assert_eq!(
        text,
        "file,line,reason,detail\n\
         \"x,y.csv\",3,unparseable timestamp,\"soon, \"\"maybe\"\"\"\n\
         \"x,y.csv\",4,missing customer id,\n\
         \"x,y.csv\",6,truncated last line,2 of 4 fields\n"
    );
}

#[test]
fn out_of_order_rows_mixed_offsets_and_the_date_range_are_reported() {
    // In UTC: 10:00, 07:00 (earlier than the row before: 1), 13:00, then 00:00 with no zone
    // (earlier again: 2). Offsets named: 0 (Z), +120, -300; the last row names none.
    let csv = "customer_id,timestamp,event\n\
               a,2024-03-01T10:00:00Z,x\n\
               a,2024-03-01T09:00:00+02:00,x\n\
               b,2024-03-01T08:00:00-05:00,x\n\
               b,2024-03-01,x\n";
    let (_, r) = load_bytes("t.csv", csv.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert_eq!(r.out_of_order, 2);
    assert_eq!(r.offsets_minutes, [-300, 0, 120]);
    assert_eq!(r.unzoned_timestamps, 1);
    assert_eq!(r.first.as_deref(), Some("2024-03-01T00:00:00Z"));
    assert_eq!(r.last.as_deref(), Some("2024-03-01T13:00:00Z"));
}

#[test]
fn a_load_past_the_event_limit_stops_with_a_message() {
    let mut csv = String::from("customer_id,timestamp,event\n");
    for i in 0..30 {
        csv.push_str(&format!("c{i},2024-03-01,visit\n"));
    }
    let mut l = Loader::new("big.csv", ColumnOverrides::default()).max_events(25);
    let r = l.push(csv.as_bytes()).and_then(|_| l.finish().map(|_| ()));
    let e = r.unwrap_err();
    assert_eq!(e.file, "big.csv");
    assert!(e.message.starts_with("more than 25 events: a browser tab cannot hold them"), "{e}");
    // At the limit itself, the load goes through.
    let mut l = Loader::new("ok.csv", ColumnOverrides::default()).max_events(30);
    l.push(csv.as_bytes()).unwrap();
    assert_eq!(l.finish().unwrap().0.len(), 30);
    assert_eq!(touchpath::core::summary::thousands(50_000_000), "50,000,000");
}
