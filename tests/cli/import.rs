//! `tracegrid import` on drops with every file kind and every kind of bad row.

use serde_json::json;

use super::*;

/// Per file: (file, kind, accepted, rejected, duplicates), as CONTRACT.md implies for the sample
/// drop; each bad row there is bad for one stated reason (see the rejects below).
const SAMPLE_COUNTS: &[(&str, &str, u64, u64, u64)] = &[
    ("regions.csv", "regions", 11, 2, 0),
    ("grids.geojson", "grids.geojson", 2, 1, 0),
    ("places.csv", "places", 13, 3, 0),
    ("persons.csv", "persons", 7, 3, 0),
    ("vehicles.csv", "vehicles", 3, 1, 0),
    ("areas.csv", "areas", 1, 2, 0),
    ("areas.geojson", "areas.geojson", 1, 1, 0),
    ("cases.csv", "cases", 2, 1, 0),
    ("rail_tickets.csv", "rail_tickets", 3, 2, 0),
    ("sightings.csv", "sightings", 6, 3, 2),
    ("hotel_stays.ndjson", "hotel_stays", 2, 2, 0),
    ("netcafe_sessions.csv", "netcafe_sessions", 2, 1, 0),
    ("checkpoint_passes.csv", "checkpoint_passes", 3, 1, 0),
    ("parking.csv.gz", "parking", 2, 0, 0),
    ("gate_access.csv", "gate_access", 2, 1, 0),
    ("pharmacy_sales.csv", "pharmacy_sales", 2, 1, 0),
    ("deliveries.csv", "deliveries", 2, 1, 0),
];

/// (file, line, words the reason must contain).
const SAMPLE_REJECTS: &[(&str, u64, &str)] = &[
    (
        "regions.csv",
        13,
        "parent_code 330899 is not a known region",
    ),
    ("regions.csv", 14, "required field name is empty"),
    (
        "grids.geojson",
        70,
        "code 330802001001003 is not a known region",
    ),
    ("places.csv", 15, "kind \"spaceship\" is not a place kind"),
    ("places.csv", 16, "lat 95.1 is out of range"),
    ("places.csv", 17, "region_code 330899 is not a known region"),
    ("persons.csv", 9, "check digit should be"),
    ("persons.csv", 10, "already belongs to person P000001"),
    ("persons.csv", 11, "phone 1380000001: must be 11 digits"),
    (
        "vehicles.csv",
        5,
        "plate XH12345: must start with a province character",
    ),
    ("areas.csv", 3, "region_code 999999 is not a known region"),
    ("areas.csv", 4, "to 2020-01-01 is before from 2020-02-01"),
    (
        "areas.geojson",
        40,
        "geometry type \"Point\" is not Polygon or MultiPolygon",
    ),
    ("cases.csv", 4, "status \"infected\" is not a case status"),
    (
        "rail_tickets.csv",
        5,
        "to_station ST-NOWHERE is not a known place",
    ),
    (
        "rail_tickets.csv",
        6,
        "arrive 2020-01-24 12:00 is before depart 2020-01-24 13:00",
    ),
    ("sightings.csv", 6, "place_id SHOP-404 is not a known place"),
    (
        "sightings.csv",
        7,
        "end 2020-01-25 10:00 is before start 2020-01-25 11:00",
    ),
    (
        "sightings.csv",
        8,
        "subject_type \"email\" is not a subject type",
    ),
    (
        "hotel_stays.ndjson",
        3,
        "checkin 2020-01-23: a date alone is not enough",
    ),
    ("hotel_stays.ndjson", 4, "the line is not a JSON object"),
    ("netcafe_sessions.csv", 4, "required field end is empty"),
    (
        "checkpoint_passes.csv",
        4,
        "direction \"sideways\" is not a direction",
    ),
    (
        "gate_access.csv",
        4,
        "subject person_id P999999 is not a known person",
    ),
    (
        "pharmacy_sales.csv",
        4,
        "category \"vitamins\" is not a pharmacy category",
    ),
    (
        "deliveries.csv",
        4,
        "origin_region_code 429999 is not a known region",
    ),
];

fn sample_drop_imports_exactly(db: &TestDb) {
    let scratch = Scratch::new("sample");
    let rejects_path = scratch.path("rejects.csv");
    let v = import_json(
        &db.spec,
        &sample_drop(),
        &["--rejects", rejects_path.to_str().unwrap()],
    );
    let files: Vec<(String, String, u64, u64, u64)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_owned(),
                f["kind"].as_str().unwrap().to_owned(),
                f["accepted"].as_u64().unwrap(),
                f["rejected"].as_u64().unwrap(),
                f["duplicates"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<_> = SAMPLE_COUNTS
        .iter()
        .map(|(f, k, a, r, d)| (f.to_string(), k.to_string(), *a, *r, *d))
        .collect();
    assert_eq!(files, expected);
    assert_eq!(
        (
            v["accepted"].as_u64(),
            v["rejected"].as_u64(),
            v["duplicates"].as_u64()
        ),
        (Some(64), Some(26), Some(2))
    );
    assert_eq!(v["rejects_file"], json!(rejects_path.to_str().unwrap()));
    assert_eq!(
        v["skipped"],
        json!([{"file": "README.md", "reason": "not a file kind tracegrid knows (see CONTRACT.md section 1)"}])
    );

    let got = rejects(&rejects_path);
    assert_eq!(got.len(), SAMPLE_REJECTS.len());
    for ((file, line, reason, record), (ef, el, words)) in got.iter().zip(SAMPLE_REJECTS) {
        assert_eq!((file.as_str(), *line), (*ef, *el), "{reason}");
        assert!(
            reason.contains(words),
            "{file}:{line}: {reason:?} lacks {words:?}"
        );
        assert!(!record.is_empty());
    }
    // The record is the row as it was read.
    let sample_sightings = std::fs::read_to_string(sample_drop().join("sightings.csv")).unwrap();
    let line6 = sample_sightings.lines().nth(5).unwrap();
    assert!(got.iter().any(|r| r.0 == "sightings.csv" && r.3 == line6));

    let s = stats(&db.spec);
    // 3 rail tickets make 9 sightings; 13 places plus two train cars.
    assert_eq!(s["sightings"], 28);
    assert_eq!(s["places"], 15);
    assert_eq!(s["deliveries"], 2);

    // Importing the same drop again adds nothing.
    let again = import_json(
        &db.spec,
        &sample_drop(),
        &["--rejects", scratch.path("again.csv").to_str().unwrap()],
    );
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["rejected"], 26);
    assert_eq!(again["duplicates"], 66);
    assert_eq!(stats(&db.spec), s);
}

#[test]
fn sample_drop_imports_exactly_into_sqlite() {
    sample_drop_imports_exactly(&TestDb::sqlite());
}

#[test]
fn sample_drop_imports_exactly_into_postgres() {
    sample_drop_imports_exactly(&TestDb::postgres());
}

#[test]
fn rail_tickets_become_three_sightings_in_a_car_named_by_local_date() {
    let d = Scratch::new("rail");
    d.write("regions.csv", "code,name,parent_code,level\n1,X,,city\n")
        .write("places.csv", "place_id,kind,region_code\nA,rail_station,1\nB,rail_station,1\n")
        .write(
            "rail_tickets.csv",
            format!("id_number,train,car,seat,from_station,to_station,depart,arrive\n{},G1,03,,A,B,2020-01-23T01:00:00+08:00,2020-01-23T03:00:00+08:00\n", id(1)),
        );
    for (tz, date) in [("Asia/Shanghai", "2020-01-23"), ("UTC", "2020-01-22")] {
        let db = TestDb::sqlite();
        let v = import_json(&db.spec, &d.0, &["--tz", tz]);
        assert_eq!(v["files"][2]["kind"], "rail_tickets");
        assert_eq!(
            (v["files"][2]["accepted"].as_u64(), v["rejected"].as_u64()),
            (Some(1), Some(0))
        );
        let mut store = tracegrid_store::open(&db.spec).unwrap();
        let reg = store.load_registry().unwrap();
        let car = reg
            .places
            .iter()
            .find(|p| p.kind == tracegrid_model::PlaceKind::TrainCar)
            .unwrap();
        assert_eq!(car.place_id, format!("G1@{date}#03"));
        assert_eq!(car.region_code, None);
        let mut legs = Vec::new();
        store
            .for_each_sighting(&mut |s| legs.push((s.pid, s.start, s.end)))
            .unwrap();
        legs.sort_by_key(|l| (l.1, l.2));
        let t1 = 1_579_712_400_000; // 2020-01-23T01:00:00+08:00
        let t3 = t1 + 7_200_000;
        let pid = |id: &str| reg.places.iter().find(|p| p.place_id == id).unwrap().pid;
        assert_eq!(
            legs,
            vec![(pid("A"), t1, t1), (car.pid, t1, t3), (pid("B"), t3, t3)]
        );
    }
}

#[test]
fn times_without_offset_are_read_in_the_given_zone() {
    let d = Scratch::new("tz");
    d.write("regions.csv", "code,name,parent_code,level\n1,X,,city\n")
        .write("places.csv", "place_id,kind,region_code\nS,shop,1\n")
        .write("sightings.csv", "source,subject_type,subject,place_id,start,end\nx,phone,13800000000,S,2020-01-23 10:00,2020-01-23T10:30:00Z\n");
    let starts: Vec<i64> = ["Asia/Shanghai", "UTC"]
        .iter()
        .map(|tz| {
            let db = TestDb::sqlite();
            import_json(&db.spec, &d.0, &["--tz", tz]);
            let mut s = tracegrid_store::open(&db.spec).unwrap();
            let mut start = 0;
            s.for_each_sighting(&mut |r| start = r.start).unwrap();
            start
        })
        .collect();
    assert_eq!(starts[1] - starts[0], 8 * 3_600_000);
    assert_eq!(starts[1], 1_579_773_600_000); // 2020-01-23T10:00:00Z
}

#[test]
fn gb18030_files_load_with_the_flag_and_are_rejected_row_by_row_without() {
    let d = Scratch::new("gbk");
    let encode = |s: &str| encoding_rs::GB18030.encode(s).0.into_owned();
    d.write(
        "regions.csv",
        encode("code,name,parent_code,level\n330802,柯城区,,county\n"),
    )
    .write(
        "places.csv",
        encode("place_id,kind,name,region_code\n店1,shop,府山便利店,330802\n"),
    );
    let db = TestDb::sqlite();
    let v = import_json(&db.spec, &d.0, &["--encoding", "gb18030"]);
    assert_eq!(
        (v["accepted"].as_u64(), v["rejected"].as_u64()),
        (Some(2), Some(0))
    );
    let reg = tracegrid_store::open(&db.spec)
        .unwrap()
        .load_registry()
        .unwrap();
    assert_eq!(reg.places[0].name.as_deref(), Some("府山便利店"));
    assert_eq!(reg.places[0].place_id, "店1");

    let db = TestDb::sqlite();
    let rej = d.path("rejects.csv");
    let v = import_json(&db.spec, &d.0, &["--rejects", rej.to_str().unwrap()]);
    assert_eq!(v["rejected"], 2);
    let r = rejects(&rej);
    assert!(
        r[0].2.contains("not valid UTF-8") && r[0].2.contains("--encoding gb18030"),
        "{}",
        r[0].2
    );
}

#[test]
fn a_registry_loaded_later_resolves_earlier_sightings() {
    let first = Scratch::new("resolve1");
    first
        .write("regions.csv", "code,name,parent_code,level\n1,X,,city\n")
        .write("places.csv", "place_id,kind,region_code\nS,shop,1\n")
        .write(
            "sightings.csv",
            "source,subject_type,subject,place_id,start\ncam,plate,浙H·12345,S,2020-01-23 10:00\nwifi,phone,+8613800000000,S,2020-01-23 10:05\n",
        );
    let db = TestDb::sqlite();
    import_json(&db.spec, &first.0, &[]);
    let s = stats(&db.spec);
    assert_eq!(
        (
            s["sighted_persons"].as_u64(),
            s["unresolved_subjects"].as_u64()
        ),
        (Some(0), Some(2))
    );

    let later = Scratch::new("resolve2");
    later
        .write(
            "persons.csv",
            format!(
                "person_id,id_number,phone\nP1,{},13800000000\nP2,{},13900000000\n",
                id(1),
                id(2)
            ),
        )
        .write(
            "vehicles.csv",
            format!("plate,owner_id_number\n浙H12345,{}\n", id(2)),
        );
    import_json(&db.spec, &later.0, &[]);
    let s = stats(&db.spec);
    assert_eq!(
        (
            s["sighted_persons"].as_u64(),
            s["unresolved_subjects"].as_u64()
        ),
        (Some(2), Some(0))
    );
}

#[test]
fn registry_rows_upsert_and_events_keep_their_first_version() {
    let d = Scratch::new("upsert");
    d.write("regions.csv", "code,name,parent_code,level\n1,X,,city\n")
        .write("places.csv", "place_id,kind,name,region_code\nS,shop,Old,1\nS,shop,New,1\nS,shop,New,1\n")
        .write(
            "sightings.csv",
            "source,subject_type,subject,place_id,start,record_id\nwifi,phone,13800000000,S,2020-01-23 10:00,R1\nwifi,phone,13800000000,S,2020-01-23 11:00,R1\ncard,phone,13800000000,S,2020-01-23 11:00,R1\n",
        );
    let db = TestDb::sqlite();
    let v = import_json(&db.spec, &d.0, &[]);
    // The second places row changes S (accepted); the third repeats it (duplicate).
    assert_eq!(
        v["files"][1],
        json!({"file": "places.csv", "kind": "places", "accepted": 2, "rejected": 0, "duplicates": 1})
    );
    // (source, record_id) is the identity: the second wifi R1 is a duplicate, card R1 is new.
    assert_eq!(v["files"][2]["accepted"], 2);
    assert_eq!(v["files"][2]["duplicates"], 1);
    let reg = tracegrid_store::open(&db.spec)
        .unwrap()
        .load_registry()
        .unwrap();
    assert_eq!(reg.places[0].name.as_deref(), Some("New"));
}

#[test]
fn regions_may_come_in_any_order_but_not_in_a_cycle() {
    let d = Scratch::new("regions");
    d.write(
        "regions-b.csv",
        "code,name,parent_code,level\n3,C,2,town\n4,D,5,town\n5,E,4,town\n",
    )
    .write(
        "regions-a.csv",
        "code,name,parent_code,level\n2,B,1,county\n1,A,,city\n6,F,6,town\n",
    );
    let db = TestDb::sqlite();
    let rej = d.path("rejects.csv");
    let v = import_json(&db.spec, &d.0, &["--rejects", rej.to_str().unwrap()]);
    assert_eq!(v["accepted"], 3);
    assert_eq!(v["rejected"], 3);
    let r: Vec<(String, u64)> = rejects(&rej).into_iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        r,
        vec![
            ("regions-a.csv".into(), 4),
            ("regions-b.csv".into(), 3),
            ("regions-b.csv".into(), 4)
        ]
    );
}

#[test]
fn an_unreadable_file_is_named_and_the_others_still_load() {
    let d = Scratch::new("unreadable");
    d.write("regions.csv", "code,name,parent_code,level\n1,X,,city\n")
        .write("places.csv.gz", b"this is not gzip at all")
        .write(
            "vehicles.csv",
            "\u{feff}plate,owner_id_number\n浙H12345,".to_owned() + &id(3) + "\n",
        )
        .write("areas.geojson", "[1, 2, 3]");
    let db = TestDb::sqlite();
    let v = import_json(&db.spec, &d.0, &[]);
    let files = v["files"].as_array().unwrap();
    let by_name = |n: &str| files.iter().find(|f| f["file"] == n).unwrap().clone();
    assert!(
        by_name("places.csv.gz")["error"]
            .as_str()
            .unwrap()
            .contains("cannot be read: invalid gzip header"),
        "{v}"
    );
    assert!(
        by_name("areas.geojson")["error"]
            .as_str()
            .unwrap()
            .contains("not a GeoJSON FeatureCollection")
    );
    assert_eq!(by_name("regions.csv")["accepted"], 1);
    assert_eq!(by_name("vehicles.csv")["accepted"], 1);
    // --strict reports a file that could not be read.
    let out = tracegrid(&db.spec, &["import", "--strict", d.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn a_missing_required_column_rejects_each_row_with_that_reason() {
    let d = Scratch::new("column");
    d.write("regions.csv", "code,name,parent_code,level\n1,X,,city\n")
        .write("places.csv", "place_id,kind\nS,shop\nT,shop\n");
    let db = TestDb::sqlite();
    let rej = d.path("rejects.csv");
    let v = import_json(&db.spec, &d.0, &["--rejects", rej.to_str().unwrap()]);
    assert_eq!(v["files"][1]["rejected"], 2);
    for r in rejects(&rej) {
        assert_eq!(r.2, "required field region_code is missing");
    }
}

#[test]
fn exit_codes_follow_the_contract() {
    let db = TestDb::sqlite();
    let missing = tracegrid(&db.spec, &["import", "/no/such/drop"]);
    assert_eq!(missing.status.code(), Some(1));
    let msg = String::from_utf8(missing.stderr).unwrap();
    assert_eq!(msg.lines().count(), 1, "{msg}");
    assert!(msg.contains("/no/such/drop is not a directory"), "{msg}");

    let unreachable = tracegrid(
        "postgres://postgres@127.0.0.1:1/none",
        &["import", sample_drop().to_str().unwrap()],
    );
    assert_eq!(unreachable.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(unreachable.stderr)
            .unwrap()
            .lines()
            .count(),
        1
    );

    let scratch = Scratch::new("exit");
    let rej = scratch.path("r.csv");
    let strict = tracegrid(
        &db.spec,
        &[
            "import",
            "--strict",
            "--json",
            "--rejects",
            rej.to_str().unwrap(),
            sample_drop().to_str().unwrap(),
        ],
    );
    assert_eq!(strict.status.code(), Some(3));
    let lenient = tracegrid(
        &db.spec,
        &[
            "import",
            "--json",
            "--rejects",
            rej.to_str().unwrap(),
            sample_drop().to_str().unwrap(),
        ],
    );
    assert_eq!(lenient.status.code(), Some(0));
    // --json prints one object and nothing else; no progress bar when not on a terminal.
    let text = String::from_utf8(lenient.stdout).unwrap();
    assert_eq!(text.trim().lines().count(), 1);
    assert!(lenient.stderr.is_empty());
}

#[test]
fn the_default_rejects_file_goes_beside_the_store_only_when_needed() {
    let db = TestDb::sqlite();
    let v = import_json(&db.spec, &sample_drop(), &[]);
    let path = std::path::PathBuf::from(v["rejects_file"].as_str().unwrap());
    assert_eq!(path.parent(), db.dir());
    assert!(
        path.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("store-rejects-")
    );
    assert_eq!(rejects(&path).len(), 26);

    let clean = Scratch::new("clean");
    clean.write("regions.csv", "code,name,parent_code,level\n1,X,,city\n");
    let v = import_json(&db.spec, &clean.0, &[]);
    assert_eq!(v["rejects_file"], serde_json::Value::Null);
}

#[test]
fn the_human_summary_names_files_and_the_rejects() {
    let db = TestDb::sqlite();
    let scratch = Scratch::new("human");
    let rej = scratch.path("r.csv");
    let out = tracegrid(
        &db.spec,
        &[
            "import",
            "--rejects",
            rej.to_str().unwrap(),
            sample_drop().to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rail_tickets.csv"), "{text}");
    assert!(text.contains("Skipped README.md"), "{text}");
    assert!(text.contains(rej.to_str().unwrap()), "{text}");
}
