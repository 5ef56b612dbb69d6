//! One store test suite, run against SQLite and PostgreSQL alike: both must keep the same rows
//! and refuse the same duplicates.

use tracegrid_model::rows::*;
use tracegrid_model::{
    CaseStatus, Level, PlaceKind, Reporter, Risk, SubjectType, Symptom, Symptoms, Temperature,
};
use tracegrid_store::testing::TestDb;
use tracegrid_store::*;

fn registry() -> RegistryBatch {
    RegistryBatch {
        regions: vec![
            RegionRow {
                code: "330800".into(),
                name: "衢州市".into(),
                parent_code: None,
                level: Level::City,
            },
            RegionRow {
                code: "330802".into(),
                name: "柯城区".into(),
                parent_code: Some("330800".into()),
                level: Level::County,
            },
        ],
        region_shapes: vec![RegionShapeRow {
            code: "330802".into(),
            geometry: "{\"type\":\"Polygon\"}".into(),
        }],
        places: vec![PlaceRow {
            pid: 1,
            place_id: "SHOP-1".into(),
            kind: PlaceKind::Shop,
            name: Some("店\t\"1\"\\".into()),
            lat: Some(28.9),
            lon: Some(118.8),
            region_code: Some("330802".into()),
            grid_code: None,
        }],
        persons: vec![PersonRow {
            person_id: "P1".into(),
            id_number: "11010519491231002X".into(),
            name: Some("张伟".into()),
            phone: Some("13800000000".into()),
            household_id: Some("H1".into()),
            address: None,
            grid_code: Some("330802".into()),
        }],
        vehicles: vec![VehicleRow {
            plate: "浙H12345".into(),
            owner_id_number: "11010519491231002X".into(),
        }],
        areas: vec![AreaRow {
            area_id: "A1".into(),
            name: None,
            region_code: Some("330802".into()),
            geometry: None,
            from: 1_579_000_000_000,
            to: None,
            risk: Risk::High,
        }],
        cases: vec![CaseRow {
            subject: "11010519491231002X".into(),
            status: CaseStatus::Confirmed,
            onset: None,
            confirmed: 1_579_500_000_000,
            isolated: Some(1_579_600_000_000),
        }],
    }
}

fn sighting(k1: i64, k2: i64, start: i64) -> SightingRow {
    SightingRow {
        key: RowKey { k1, k2 },
        source_id: 1,
        subject_type: SubjectType::PersonId,
        subject: "P1".into(),
        pid: 1,
        start,
        end: start + 60_000,
        tag: 0,
        record_id: Some("R\n1".into()),
    }
}

fn events(rows: Vec<SightingRow>) -> EventBatch {
    EventBatch {
        places: vec![],
        sources: vec![SourceRow {
            id: 1,
            name: "wifi".into(),
        }],
        sightings: rows,
        deliveries: vec![DeliveryRow {
            key: RowKey { k1: 7, k2: 8 },
            recipient_phone: "13800000000".into(),
            origin_region_code: "330802".into(),
            shipped: 1,
            delivered: None,
            record_id: None,
        }],
        health_reports: vec![report(7, 8, 1_579_500_000_000)],
    }
}

/// A health report with every field given.
fn report(k1: i64, k2: i64, time: i64) -> HealthReportRow {
    HealthReportRow {
        key: RowKey { k1, k2 },
        id_number: "11010519491231002X".into(),
        time,
        temperature: Some(Temperature::from_tenths(381)),
        symptoms: [Symptom::Cough, Symptom::LossOfSmellOrTaste]
            .into_iter()
            .collect(),
        pid: Some(1),
        reporter: Some(Reporter::Gate),
        record_id: Some("G\t1".into()),
    }
}

fn registry_round_trips(db: &TestDb) {
    let mut s = open(&db.spec).unwrap();
    let b = registry();
    s.write_registry(&b).unwrap();
    let r = s.load_registry().unwrap();
    assert_eq!(r.regions.len(), 2);
    assert!(r.regions.contains(&b.regions[1]));
    assert_eq!(r.places, b.places);
    assert_eq!(r.persons, b.persons);
    assert_eq!(r.vehicles, b.vehicles);
    assert_eq!(r.areas, b.areas);
    assert_eq!(r.cases, b.cases);
    assert_eq!(r.region_shapes, b.region_shapes);

    // An upsert replaces by key and keeps the place's number.
    let mut changed = b.clone();
    changed.places[0].name = Some("新名".into());
    changed.persons[0].phone = None;
    s.write_registry(&changed).unwrap();
    let r = s.load_registry().unwrap();
    assert_eq!(r.places, changed.places);
    assert_eq!(r.persons, changed.persons);
    assert_eq!(s.counts().unwrap().places, 1);
}

fn events_are_stored_once(db: &TestDb) {
    let mut s = open(&db.spec).unwrap();
    s.write_registry(&registry()).unwrap();
    let batch = events(vec![
        sighting(1, 1, 1000),
        sighting(2, 2, 2000),
        sighting(3, 3, 3000),
    ]);
    assert_eq!(
        s.write_events(&batch).unwrap(),
        Inserted {
            sightings: 3,
            deliveries: 1,
            health_reports: 1
        }
    );
    assert_eq!(
        s.write_events(&batch).unwrap(),
        Inserted {
            sightings: 0,
            deliveries: 0,
            health_reports: 0
        }
    );
    let partly = events(vec![sighting(3, 3, 3000), sighting(4, 4, 4000)]);
    assert_eq!(s.write_events(&partly).unwrap().sightings, 1);
    assert_eq!(s.counts().unwrap().sightings, 4);
    assert_eq!(s.deliveries().unwrap().len(), 1);
    let mut seen = Vec::new();
    s.for_each_sighting(&mut |r| seen.push(r.clone())).unwrap();
    seen.sort_by_key(|r| r.key.k1);
    assert_eq!(seen[0], sighting(1, 1, 1000));
    assert_eq!(seen.len(), 4);
}

/// Guards the probing path: identities that share their low 64 bits are different rows.
fn identities_sharing_a_low_half_are_distinct(db: &TestDb) {
    let mut s = open(&db.spec).unwrap();
    s.write_registry(&registry()).unwrap();
    let first = events(vec![sighting(10, 1, 1000), sighting(11, 5, 1000)]);
    assert_eq!(s.write_events(&first).unwrap().sightings, 2);
    // Same low half as both stored rows, other high halves; one batch, two collisions.
    let clash = events(vec![
        sighting(10, 2, 2000),
        sighting(10, 3, 3000),
        sighting(11, 5, 1000),
    ]);
    assert_eq!(s.write_events(&clash).unwrap().sightings, 2);
    assert_eq!(s.write_events(&clash).unwrap().sightings, 0);
    assert_eq!(s.counts().unwrap().sightings, 4);
}

fn reopening_keeps_everything(db: &TestDb) {
    {
        let mut s = open(&db.spec).unwrap();
        s.write_registry(&registry()).unwrap();
        s.write_events(&events(vec![sighting(1, 1, 1)])).unwrap();
        s.finish_import().unwrap();
    }
    let mut s = open(&db.spec).unwrap();
    let c = s.counts().unwrap();
    assert_eq!(
        (c.regions, c.sightings, c.deliveries, c.health_reports),
        (2, 1, 1, 1)
    );
    assert_eq!(
        s.health_reports().unwrap(),
        [report(7, 8, 1_579_500_000_000)]
    );
}

fn one_import_at_a_time(db: &TestDb) {
    // PostgreSQL waits for the lock up to lock_timeout (30 s unless the URL says otherwise).
    let spec = if is_postgres(&db.spec) {
        format!("{}%20-clock_timeout%3D1s", db.spec)
    } else {
        db.spec.clone()
    };
    let mut a = open(&spec).unwrap();
    let mut b = open(&spec).unwrap();
    a.lock_for_import().unwrap();
    assert!(matches!(b.lock_for_import(), Err(StoreError::Busy(_))));
    drop(a);
    b.lock_for_import().unwrap();
}

fn accounts_keep_users_sessions_and_tokens(db: &TestDb) {
    let mut a = accounts(&db.spec).unwrap();
    let grids = vec!["330802001001".to_owned(), "330802001002".to_owned()];
    let id = a
        .add_user(&NewUser {
            username: "wang",
            role: "grid_worker",
            password_hash: "$argon2id$x",
            grids: &grids,
            gates: &[],
            created: 1_000,
        })
        .unwrap();
    let again = a.add_user(&NewUser {
        username: "wang",
        role: "admin",
        password_hash: "h",
        grids: &[],
        gates: &[],
        created: 2_000,
    });
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let u = a.user_by_name("wang").unwrap().unwrap();
    assert_eq!(
        (u.id, u.role.as_str(), &u.grids),
        (id, "grid_worker", &grids)
    );
    assert!(u.gates.is_empty() && !u.disabled);
    assert!(a.set_password("wang", "new").unwrap());
    assert!(!a.set_password("nobody", "new").unwrap());

    a.create_session("s1", id, 1_000, 5_000).unwrap();
    assert_eq!(
        a.session("s1", 4_999).unwrap().map(|(u, e)| (u.id, e)),
        Some((id, 5_000))
    );
    assert!(a.session("s1", 5_000).unwrap().is_none(), "expired");
    assert!(a.session("s2", 0).unwrap().is_none());
    a.create_session("s3", id, 1_000, 9_000).unwrap();
    assert_eq!(a.purge_sessions(6_000).unwrap(), 1);
    a.delete_session("s3").unwrap();
    assert!(a.session("s3", 1_000).unwrap().is_none(), "logged out");

    a.create_token("t1", "gate feed", id, 1_000).unwrap();
    assert_eq!(
        a.token_user("t1").unwrap().map(|u| u.username),
        Some("wang".into())
    );
    assert!(a.token_user("t2").unwrap().is_none());
    drop(a);
    // Reopened, everything is still there.
    let mut a = accounts(&db.spec).unwrap();
    assert_eq!(a.users().unwrap().len(), 1);
    assert_eq!(
        a.user_by_name("wang").unwrap().unwrap().password_hash,
        "new"
    );
}

fn audit_log_is_append_only(db: &TestDb) {
    let mut a = accounts(&db.spec).unwrap();
    let entry = |k: i64, who: &str, target: &str| AuditEntry {
        at: k,
        user_id: Some(k),
        username: who.into(),
        action: "person.read".into(),
        target: target.into(),
        purpose: "check a close contact".into(),
        detail: String::new(),
    };
    a.append_audit(&[entry(1, "li", "P1"), entry(2, "wang", "P2")])
        .unwrap();
    a.append_audit(&[entry(3, "li", "P2")]).unwrap();
    let all = a
        .audit(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.entry.at).collect::<Vec<_>>(),
        [3, 2, 1],
        "newest first"
    );
    assert_eq!(all[0].entry, entry(3, "li", "P2"));
    let li = a
        .audit(&AuditQuery {
            username: Some("li".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(li.len(), 2);
    let p2 = a
        .audit(&AuditQuery {
            target: Some("P2".into()),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(p2.iter().map(|r| r.entry.at).collect::<Vec<_>>(), [3]);
    let older = a
        .audit(&AuditQuery {
            before: Some(all[0].id),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(older.len(), 2);

    // Neither an update nor a delete gets through, whoever connects.
    let refused = |sql: &str| -> bool {
        if is_postgres(&db.spec) {
            let mut c = ::postgres::Client::connect(&db.spec, ::postgres::NoTls).unwrap();
            c.batch_execute(sql).is_err()
        } else {
            let c = rusqlite::Connection::open(&db.spec).unwrap();
            c.execute_batch(sql).is_err()
        }
    };
    assert!(refused("UPDATE audit_log SET purpose = 'none'"));
    assert!(refused("DELETE FROM audit_log"));
    let still = a
        .audit(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(still, all);
}

fn new_task(subject: &str, grid: Option<&str>) -> TaskRow {
    TaskRow {
        id: 0,
        subject: subject.into(),
        grid_code: grid.map(str::to_owned),
        routed_by: if grid.is_some() {
            "residence"
        } else {
            "unrouted"
        }
        .into(),
        state: "open".into(),
        priority: 1,
        score_milli: 900,
        reasons: "[]".into(),
        created: 1_000,
        due: 8_200_000,
        updated: 1_000,
        first_contact: None,
        closed: None,
        escalation: 0,
        outcome: None,
        isolation_from: None,
        isolation_until: None,
        attempts: 0,
    }
}

fn tasks_keep_one_open_task_a_subject_and_refuse_stale_changes(db: &TestDb) {
    let mut t = tasks(&db.spec).unwrap();
    let made = Happened {
        at: 1_000,
        username: "screening",
        kind: "created",
        detail: "",
    };
    t.create(&[new_task("P1", Some("G1")), new_task("P2", None)], &made)
        .unwrap();
    let again = t.create(
        &[new_task("P3", Some("G1")), new_task("P1", Some("G1"))],
        &made,
    );
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let all = t.all().unwrap();
    assert_eq!(
        all.iter().map(|x| x.subject.as_str()).collect::<Vec<_>>(),
        ["P1", "P2"],
        "all or nothing"
    );
    assert_eq!(all[1].grid_code, None);

    let mut p1 = all[0].clone();
    p1.state = "accepted".into();
    p1.updated = 2_000;
    let took = Happened {
        at: 2_000,
        username: "wang",
        kind: "accepted",
        detail: "",
    };
    t.update(&[(1_000, p1.clone(), took.clone())]).unwrap();
    // A second change made from the old copy is refused, and leaves no event.
    let mut stale = all[0].clone();
    stale.state = "closed".into();
    stale.updated = 3_000;
    let r = t.update(&[(1_000, stale, took.clone())]);
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    assert_eq!(t.get(p1.id).unwrap().unwrap(), p1);
    let kinds: Vec<String> = t
        .events(p1.id)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["created", "accepted"]);

    // Once closed, a subject may have a new task.
    let mut closed = p1.clone();
    closed.state = "closed".into();
    closed.closed = Some(3_000);
    closed.updated = 3_000;
    t.update(&[(2_000, closed, took)]).unwrap();
    t.create(&[new_task("P1", Some("G2"))], &made).unwrap();
    assert_eq!(t.all().unwrap().len(), 3);
    let mut subjects = |f: TaskFilter<'_>| -> Vec<String> {
        t.list(&f)
            .unwrap()
            .into_iter()
            .map(|x| format!("{}@{}", x.subject, x.grid_code.as_deref().unwrap_or("-")))
            .collect()
    };
    let g1 = ["G1".to_owned()];
    let both = ["G1".to_owned(), "G2".to_owned()];
    assert_eq!(
        subjects(TaskFilter {
            grids: Some(&g1),
            ..Default::default()
        }),
        ["P1@G1"]
    );
    assert_eq!(
        subjects(TaskFilter {
            grids: Some(&both),
            active: true,
            ..Default::default()
        }),
        ["P1@G2"]
    );
    assert_eq!(
        subjects(TaskFilter {
            unrouted: true,
            ..Default::default()
        }),
        ["P2@-"]
    );
    assert_eq!(
        subjects(TaskFilter {
            state: Some("closed"),
            ..Default::default()
        }),
        ["P1@G1"]
    );
    assert!(
        subjects(TaskFilter {
            grids: Some(&[]),
            ..Default::default()
        })
        .is_empty()
    );

    let c = Checkin {
        task_id: p1.id,
        day: "2020-02-01".into(),
        at: 5_000,
        temperature_dc: 368,
        symptoms: String::new(),
        username: "wang".into(),
    };
    t.add_checkin(&c).unwrap();
    assert!(matches!(t.add_checkin(&c), Err(StoreError::Conflict(_))));
    assert_eq!(t.checkins(p1.id).unwrap(), [c]);
    assert_eq!(t.events(p1.id).unwrap().last().unwrap().kind, "checkin");

    let jpeg = [0xffu8, 0xd8, 0xff, 0xe0, 0, 1, 2, 3];
    let photo = t
        .add_photo(p1.id, 6_000, "wang", "image/jpeg", &jpeg)
        .unwrap();
    assert_eq!(
        t.photos(p1.id).unwrap(),
        [(photo, 6_000, "wang".to_owned(), "image/jpeg".to_owned())]
    );
    let back = t.photo(photo).unwrap().unwrap();
    assert_eq!((back.task_id, back.bytes.as_slice()), (p1.id, &jpeg[..]));
    assert!(t.photo(photo + 1).unwrap().is_none());
}

fn first(subject: &str, as_of: i64, rank: i64) -> FirstAlert {
    FirstAlert {
        subject: subject.into(),
        as_of,
        seen: as_of + 7,
        score: 0.125 + rank as f64 / 1000.0,
        rank,
        reasons: vec!["CLOSE_CONTACT".into(), "EPI_AREA".into()],
    }
}

/// Each alert's first appearance is kept once: written again (a restart, a feed sent twice, a
/// drop imported again) it keeps the moment, score and rank it first had; many rows go in
/// many to a statement, across the statements' boundaries.
fn first_alerts_are_kept_once(db: &TestDb) {
    let mut f = first_alerts(&db.spec).unwrap();
    assert_eq!(f.began().unwrap(), None);
    assert_eq!(f.begin(1_000, 5_000).unwrap(), (1_000, 5_000));
    assert_eq!(
        f.begin(2_000, 6_000).unwrap(),
        (1_000, 5_000),
        "the record began once"
    );
    let many: Vec<FirstAlert> = (0..1_203)
        .map(|i| first(&format!("P{i:05}"), 1_000, i + 1))
        .collect();
    assert_eq!(f.record(&many).unwrap(), 1_203);
    // Later, some again with other moments and ranks, and two new ones.
    let again = vec![
        first("P00007", 9_000, 1),
        first("P01202", 9_000, 2),
        first("plate:浙H12345", 9_000, 3),
        first("P99999", 9_000, 4),
    ];
    assert_eq!(f.record(&again).unwrap(), 2);
    assert_eq!(f.record(&[]).unwrap(), 0);
    let mut got = f
        .of_subjects(&["P00007", "plate:浙H12345", "P99999", "nobody"])
        .unwrap();
    got.sort_by(|a, b| a.subject.cmp(&b.subject));
    assert_eq!(
        got,
        [
            first("P00007", 1_000, 8),
            first("P99999", 9_000, 4),
            first("plate:浙H12345", 9_000, 3),
        ]
    );
    assert_eq!(f.subjects().unwrap().len(), 1_205);
    drop(f);
    // Opened again, everything is there.
    let mut f = first_alerts(&db.spec).unwrap();
    let all = f.all().unwrap();
    assert_eq!(all.len(), 1_205);
    assert_eq!(all[0], first("P00000", 1_000, 1));
    assert_eq!(all[1_204].as_of, 9_000);
    assert_eq!(f.began().unwrap(), Some((1_000, 5_000)));
}

/// A feed's group: registry, events and rejects in one transaction; the answer says which
/// event rows were new, in the batch's order, however the store orders its keys.
fn feeds_say_which_rows_were_new(db: &TestDb) {
    let mut s = open(&db.spec).unwrap();
    let reject = |line: u64| FeedRejectRow {
        received: 1_600_000_000_000 + line as i64,
        route: "http".into(),
        source: "gate-7".into(),
        kind: "gate_access".into(),
        line,
        reason: "place_id X is not a known place".into(),
        record: "a,b\tc".into(),
    };
    let batch = events(vec![sighting(9, 1, 1000), sighting(2, 2, 2000)]);
    let new = s.write_feed(&registry(), &batch, &[reject(2)]).unwrap();
    assert_eq!(new.sightings, vec![true, true]);
    assert_eq!(new.deliveries, vec![true]);
    assert_eq!(new.health_reports, vec![true]);
    // Again, with one new row between two known ones: only it is new.
    let again = events(vec![
        sighting(9, 1, 1000),
        sighting(5, 5, 5000),
        sighting(2, 2, 2000),
    ]);
    let new = s
        .write_feed(&RegistryBatch::default(), &again, &[reject(3), reject(4)])
        .unwrap();
    assert_eq!(new.sightings, vec![false, true, false]);
    assert_eq!(new.deliveries, vec![false]);
    assert_eq!(new.health_reports, vec![false]);
    let c = s.counts().unwrap();
    assert_eq!(
        (c.persons, c.sightings, c.deliveries, c.health_reports),
        (1, 3, 1, 1)
    );
    // Kept newest first, filtered and paged.
    let all = s
        .feed_rejects(&RejectFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.row.line).collect::<Vec<_>>(),
        vec![4, 3, 2]
    );
    assert_eq!(all[2].row, reject(2));
    let page = s
        .feed_rejects(&RejectFilter {
            source: Some("gate-7"),
            kind: Some("gate_access"),
            before_id: Some(all[0].id),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].row.line, 3);
    let none = s
        .feed_rejects(&RejectFilter {
            route: Some("mqtt"),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert!(none.is_empty());
}

/// Health reports (CONTRACT.md section 9) come back as written, bare or with every field; one
/// whose identity is stored is not stored again, by import or by feed, and identities that share
/// their low half are different reports.
fn health_reports_are_kept_once_as_written(db: &TestDb) {
    let mut s = open(&db.spec).unwrap();
    s.write_registry(&registry()).unwrap();
    let bare = HealthReportRow {
        key: RowKey { k1: 20, k2: 1 },
        id_number: "330802199001010001".into(),
        time: 1_579_600_000_000,
        temperature: None,
        symptoms: Symptoms::NONE,
        pid: None,
        reporter: None,
        record_id: None,
    };
    let batch = EventBatch {
        health_reports: vec![report(20, 2, 1_579_500_000_000), bare.clone()],
        ..EventBatch::default()
    };
    assert_eq!(s.write_events(&batch).unwrap().health_reports, 2);
    assert_eq!(s.write_events(&batch).unwrap().health_reports, 0);
    // The same identities by a feed, with one new report sharing a stored one's low half.
    let mut clash = report(20, 3, 1_579_700_000_000);
    clash.symptoms = Symptoms::NONE;
    let fed = EventBatch {
        health_reports: vec![bare.clone(), clash.clone()],
        ..EventBatch::default()
    };
    let new = s.write_feed(&RegistryBatch::default(), &fed, &[]).unwrap();
    assert_eq!(new.health_reports, vec![false, true]);
    assert_eq!(s.counts().unwrap().health_reports, 3);
    assert_eq!(
        s.counts().unwrap().sightings,
        0,
        "a report's sighting is a row of its own"
    );
    let mut got = s.health_reports().unwrap();
    got.sort_by_key(|h| (h.key.k1, h.key.k2));
    assert_eq!(got, [bare, report(20, 2, 1_579_500_000_000), clash]);
}

macro_rules! suite {
    ($backend:ident) => {
        mod $backend {
            use super::*;
            #[test]
            fn registry_round_trips() {
                super::registry_round_trips(&TestDb::$backend());
            }
            #[test]
            fn events_are_stored_once() {
                super::events_are_stored_once(&TestDb::$backend());
            }
            #[test]
            fn identities_sharing_a_low_half_are_distinct() {
                super::identities_sharing_a_low_half_are_distinct(&TestDb::$backend());
            }
            #[test]
            fn reopening_keeps_everything() {
                super::reopening_keeps_everything(&TestDb::$backend());
            }
            #[test]
            fn accounts_keep_users_sessions_and_tokens() {
                super::accounts_keep_users_sessions_and_tokens(&TestDb::$backend());
            }
            #[test]
            fn audit_log_is_append_only() {
                super::audit_log_is_append_only(&TestDb::$backend());
            }
            #[test]
            fn tasks_keep_one_open_task_a_subject_and_refuse_stale_changes() {
                super::tasks_keep_one_open_task_a_subject_and_refuse_stale_changes(
                    &TestDb::$backend(),
                );
            }
            #[test]
            fn feeds_say_which_rows_were_new() {
                super::feeds_say_which_rows_were_new(&TestDb::$backend());
            }
            #[test]
            fn health_reports_are_kept_once_as_written() {
                super::health_reports_are_kept_once_as_written(&TestDb::$backend());
            }
            #[test]
            fn first_alerts_are_kept_once() {
                super::first_alerts_are_kept_once(&TestDb::$backend());
            }
            #[test]
            fn one_import_at_a_time() {
                super::one_import_at_a_time(&TestDb::$backend());
            }
        }
    };
}

suite!(sqlite);
suite!(postgres);

#[test]
fn unreachable_stores_say_so() {
    let err = open("postgres://postgres@127.0.0.1:1/none").unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err}");
    let err = open("/no/such/dir/store.db").unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}
