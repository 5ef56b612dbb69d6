//! Guards the importer against anything a user could feed it: random mixes of valid and broken
//! fields, one row a line, go through a whole import. Nothing may panic, and every row must be
//! counted exactly once: accepted, rejected (with a line in the rejects file) or duplicate.

use proptest::prelude::*;
use tracegrid_ingest::{Encoding, Options, RejectsTarget, import};
use tracegrid_store::testing::TestDb;

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("S1".to_owned()),
        Just("P1".to_owned()),
        Just("id_number".to_owned()),
        Just("phone".to_owned()),
        Just("plate".to_owned()),
        Just("person_id".to_owned()),
        Just("13800000000".to_owned()),
        Just("+8613800000000".to_owned()),
        Just("浙H·12345".to_owned()),
        Just("11010519491231002X".to_owned()),
        Just("110105194912310021".to_owned()),
        Just("2020-01-23 10:00".to_owned()),
        Just("2020-01-23T09:00:00+08:00".to_owned()),
        Just("2020-02-30 10:00".to_owned()),
        "[^,\"\r\n]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_row_is_counted_once(rows in proptest::collection::vec(proptest::collection::vec(field(), 4..9), 1..40)) {
        let db = TestDb::sqlite();
        let dir = std::path::Path::new(&db.spec).parent().unwrap().join("drop");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("regions.csv"), "code,name,parent_code,level\nR,X,,city\n").unwrap();
        std::fs::write(dir.join("places.csv"), "place_id,kind,region_code\nS1,bus,R\n").unwrap();
        std::fs::write(dir.join("persons.csv"), "person_id,id_number\nP1,11010519491231002X\n").unwrap();
        let mut text = String::from("source,subject_type,subject,place_id,start,end,record_id\n");
        for r in &rows {
            // A line of empty fields still has commas, so no row is blank.
            text.push_str(&r.join(","));
            text.push('\n');
        }
        std::fs::write(dir.join("sightings.csv"), &text).unwrap();
        let rejects = dir.join("rejects.csv");
        let opts = Options {
            tz: chrono_tz::Asia::Shanghai,
            encoding: Encoding::Utf8,
            rejects: RejectsTarget::Always(rejects.clone()),
            batch_rows: Some(7),
        };
        let store = tracegrid_store::open(&db.spec).unwrap();
        let (summary, mut store) = import(&dir, store, &opts, &mut ()).unwrap();
        let s = summary.files.iter().find(|f| f.kind == "sightings").unwrap();
        prop_assert_eq!(s.accepted + s.rejected + s.duplicates, rows.len() as u64);
        prop_assert_eq!(store.counts().unwrap().sightings, s.accepted);
        let reject_lines = csv::Reader::from_path(&rejects).unwrap().records().count() as u64;
        prop_assert_eq!(reject_lines, summary.rejected);
    }
}
