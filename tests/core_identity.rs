//! Identity stitching: links from rows with both ids, identity-map files, safe merging.

use std::collections::HashMap;

use touchpath::core::identity::{merge_stitched, resolve, StitchReport};
use touchpath::core::ingest::load_bytes;
use touchpath::core::schema::ColumnOverrides;
use touchpath::core::table::{merge, Part};

const GA4: &[u8] = include_bytes!("fixtures/vendors/ga4.jsonl");

#[test]
fn ga4_rows_with_user_id_link_the_pseudo_id() {
    let (t, r) = load_bytes("ga4.jsonl", GA4, &ColumnOverrides::default()).unwrap();
    // Only logged-in rows carry both ids: u_1001 (login, begin_checkout, purchase) on pseudo-id
    // 1197596843.1709280000, and u_1002 (four rows) on 315927741.1708012345.
    let mut links = r.identity_links.clone();
    links.sort();
    assert_eq!(
        links,
        [
            ("1197596843.1709280000".to_string(), "u_1001".to_string()),
            ("315927741.1708012345".to_string(), "u_1002".to_string())
        ]
    );
    let (ids, rep) = resolve(&links);
    assert_eq!(rep, StitchReport { links: 2, merged: 2, conflicts: 0 });
    let stitched = merge_stitched(&[Part { table: &t, label: "ga4" }], &ids);
    // 5 customers become 4: the pseudo-id's pre-login events join u_1001.
    assert_eq!((t.customer_count(), stitched.customer_count()), (5, 4));
    assert_eq!(stitched.len(), t.len());
    let u1001 = stitched.customers.iter().position(|c| c == "u_1001").unwrap();
    let before = t.rows_of(t.customers.iter().position(|c| c == "u_1001").unwrap()).len();
    let anon = t.rows_of(t.customers.iter().position(|c| c == "1197596843.1709280000").unwrap()).len();
    assert_eq!(stitched.rows_of(u1001).len(), before + anon);
    // Rows stay in time order within the stitched customer.
    let ts: Vec<i64> = stitched.rows_of(u1001).map(|r| stitched.ts[r]).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn an_identity_map_file_links_ids_across_silos() {
    let web = "anonymous_id,timestamp,event\nd1,2024-03-01T10:00:00Z,visit\nd2,2024-03-01T10:00:00Z,visit\nkiosk,2024-03-01T11:00:00Z,visit\n";
    let crm = "customer_id,timestamp,event\nalice,2024-03-02T09:00:00Z,purchase\nbob,2024-03-03T09:00:00Z,purchase\n";
    let map = "anonymous_id,customer_id\nd1,alice\nd2,bob\nkiosk,alice\nkiosk,bob\n";
    let (w, _) = load_bytes("web.csv", web.as_bytes(), &ColumnOverrides::default()).unwrap();
    let (c, _) = load_bytes("crm.csv", crm.as_bytes(), &ColumnOverrides::default()).unwrap();
    let (m, mr) = load_bytes("ids.csv", map.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert!(mr.identity_map && m.is_empty());
    assert_eq!((mr.rows_read, mr.rows_used, mr.identity_links.len()), (4, 4, 4));
    let (ids, rep) = resolve(&mr.identity_links);
    // The kiosk is shared by alice and bob: it stays its own customer.
    assert_eq!(rep, StitchReport { links: 4, merged: 2, conflicts: 1 });
    let parts = [Part { table: &w, label: "web" }, Part { table: &c, label: "crm" }, Part { table: &m, label: "ids" }];
    let plain = merge(&parts);
    let stitched = merge_stitched(&parts, &ids);
    assert_eq!(plain.customer_count(), 5);
    // alice (d1 + purchase), bob (d2 + purchase), kiosk.
    let mut customers = stitched.customers.clone();
    customers.sort();
    assert_eq!(customers, ["alice", "bob", "kiosk"]);
    let alice = stitched.customers.iter().position(|c| c == "alice").unwrap();
    let events: Vec<&str> =
        stitched.rows_of(alice).map(|r| stitched.event.values[stitched.event.codes[r] as usize].as_str()).collect();
    assert_eq!(events, ["visit", "purchase"]);
    let _: HashMap<String, String> = ids;
}

#[test]
fn an_event_file_with_two_id_columns_is_not_an_identity_map() {
    let csv = "anonymous_id,user_id,timestamp,event\nd1,u1,2024-03-01,visit\n";
    let (t, r) = load_bytes("e.csv", csv.as_bytes(), &ColumnOverrides::default()).unwrap();
    assert!(!r.identity_map);
    assert_eq!(t.len(), 1);
    let e = load_bytes("m.csv", b"anonymous_id,customer_id\n", &ColumnOverrides::default()).unwrap_err();
    assert_eq!(e.message, "the identity map holds no id pairs");
}
