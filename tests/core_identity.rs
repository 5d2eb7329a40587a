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
    let ts: Vec<i64> = stitched.rows_of(u1001).map(|r| stitched.ts.at(r)).collect();
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
    let mut customers = stitched.customers.to_vec();
    customers.sort();
    assert_eq!(customers, ["alice", "bob", "kiosk"]);
    let alice = stitched.customers.iter().position(|c| c == "alice").unwrap();
    let events: Vec<&str> = stitched.rows_of(alice).map(|r| stitched.event.value(r)).collect();
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

/// A pair of columns the user picks (`stitch_pair=visitor:login`) links ids in a generic file.
#[test]
fn a_chosen_pair_of_columns_links_ids() {
    use touchpath::core::ingest::Loader;
    let pair = Some(("visitor".to_string(), "login".to_string()));
    let read = |name: &str, text: &str| {
        let mut l = Loader::new(name, ColumnOverrides::default()).identity_pair(pair.clone());
        l.push(text.as_bytes()).unwrap();
        l.finish().unwrap()
    };
    // `visitor` is the id by name; `login` is no role. Line 8 has no visitor: it takes the known
    // id. Line 10's "anonymous" id is itself a known id (bob), which is never re-read as another.
    // tests/fixtures/e2e/stitch_pair.csv (also opened by the e2e test):
    //   c1 visit, c1+alice login, c2 visit, c2+bob purchase, shared+alice login, shared+bob login,
    //   (no visitor)+carol visit, c3 visit, bob@x.com+alice visit.
    let csv = include_str!("fixtures/e2e/stitch_pair.csv");
    let (t, r) = read("web.csv", csv);
    assert!(!r.identity_map);
    let s = |a: &str, k: &str| (a.to_string(), k.to_string());
    assert_eq!(
        r.identity_links,
        [
            s("c1", "alice@x.com"),
            s("c2", "bob@x.com"),
            s("shared", "alice@x.com"),
            s("shared", "bob@x.com"),
            s("bob@x.com", "alice@x.com")
        ]
    );
    // Unstitched: c1, c2, shared, carol@x.com, c3, bob@x.com.
    assert_eq!((t.len(), t.customer_count()), (9, 6));
    let (ids, rep) = resolve(&r.identity_links);
    // c1 → alice, c2 → bob; "shared" has two known ids: apart; bob@x.com is a known id: apart.
    assert_eq!(rep, StitchReport { links: 5, merged: 2, conflicts: 1 });
    assert_eq!((ids.get("bob@x.com"), ids.get("shared")), (None, None));
    let st = merge_stitched(&[Part { table: &t, label: "web" }], &ids);
    let mut customers = st.customers.to_vec();
    customers.sort();
    assert_eq!(customers, ["alice@x.com", "bob@x.com", "c3", "carol@x.com", "shared"]);
    let events = |who: &str| -> Vec<String> {
        let c = st.customers.iter().position(|x| x == who).unwrap();
        st.rows_of(c).map(|r| st.event.value(r).to_string()).collect()
    };
    assert_eq!(events("alice@x.com"), ["visit", "login"]);
    assert_eq!(events("bob@x.com"), ["visit", "purchase", "visit"]);
    // A file without those columns is read as before, with no links.
    let (t, r) = read("crm.csv", "customer_id,timestamp,event\nalice@x.com,2024-03-05T10:00:00Z,purchase\n");
    assert_eq!((r.identity_links.len(), t.customer_count()), (0, 1));
    // A file whose only ids are the pair's: the known id, else the anonymous one, is the customer.
    let pair = Some(("anon".to_string(), "email".to_string()));
    let mut l = Loader::new("app.csv", ColumnOverrides::default()).identity_pair(pair);
    l.push(b"anon,email,timestamp,event\na1,,2024-03-01T10:00:00Z,open\na1,e1,2024-03-01T10:01:00Z,login\n").unwrap();
    let (t, r) = l.finish().unwrap();
    assert_eq!(
        (t.customers.to_vec(), r.identity_links.clone()),
        (vec!["a1".to_string(), "e1".into()], vec![s("a1", "e1")])
    );
    let (ids, _) = resolve(&r.identity_links);
    assert_eq!(merge_stitched(&[Part { table: &t, label: "app" }], &ids).customers, ["e1"]);
}
