//! The feeds and the screen over HTTP (CONTRACT.md sections 6.1 and 6.2): what a feed answers,
//! that fed rows screen exactly as the same rows imported from files, that a row is kept once
//! however often it is sent, and how the server says no.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::*;

/// An 18-character resident ID with a valid check digit, from 17 digits.
pub(crate) fn id_number(body: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

impl TestApp {
    /// A bearer token for `user`.
    pub(crate) fn token(&self, user: &str) -> String {
        tracegrid_server::add_token(&self.db, user, "test").unwrap()
    }

    async fn feed(&self, token: &str, kind: &str, content_type: &str, body: &str) -> Reply {
        self.send(
            Request::post(format!("/api/v1/feeds/{kind}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }

    pub(crate) async fn screen(&self, token: &str, query: &str) -> Reply {
        self.send(
            Request::get(format!("/api/v1/screen?purpose=test{query}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

pub(crate) fn ndjson(rows: &[Value]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

/// Rows of several kinds around an active case: people beside it in a close place, a person
/// registered now who travels by train with it, their car at a checkpoint, a parcel from an
/// epidemic area, and a new case among them. Each `(kind, CSV or NDJSON, body)`.
pub(crate) fn rows_around_a_case(app: &TestApp) -> Vec<(&'static str, &'static str, String)> {
    let live = app.app.state().live();
    let window = live.params().window();
    let t = |ms| live.time(ms);
    // The latest close-tier sighting of an active case.
    let (_, step) = live
        .world
        .active_cases()
        .into_iter()
        .flat_map(|c| {
            live.world
                .trajectory(c, window)
                .into_iter()
                .map(move |s| (c, s))
        })
        .filter(|(_, s)| live.world.place_kind(s.place).tier() == tracegrid_model::Tier::Close)
        .max_by_key(|(_, s)| s.start)
        .expect("an active case seen in a close place");
    let place = live.world.place_id(step.place).to_owned();
    let station = live
        .places
        .keys()
        .find(|id| {
            live.world.place_kind(live.place_ix[*id]) == tracegrid_model::PlaceKind::RailStation
        })
        .expect("a station")
        .clone();
    let checkpoint = live
        .places
        .keys()
        .find(|id| {
            live.world.place_kind(live.place_ix[*id]) == tracegrid_model::PlaceKind::Checkpoint
        })
        .expect("a checkpoint")
        .clone();
    // Thirty registered persons with no alert.
    let quiet: Vec<String> = {
        let mut v: Vec<&String> = live
            .persons
            .keys()
            .filter(|p| {
                live.find_subject(p)
                    .is_some_and(|s| live.screening.alert(s).is_none())
            })
            .collect();
        v.sort();
        v.into_iter().take(30).cloned().collect()
    };
    let area_region = live
        .areas
        .iter()
        .find_map(|a| a.region_code.clone())
        .expect("an area by region");
    let phone_of = live
        .persons
        .get(&quiet[29])
        .and_then(|p| p.phone.clone())
        .expect("a phone");
    let newcomer = id_number("33080219920304123");
    let beside: Vec<Value> = quiet[..25]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({"source": "bus-wifi", "subject_type": "person_id", "subject": p,
                   "place_id": place, "start": t(step.start + i as i64 * 60_000),
                   "end": t(step.end), "record_id": format!("W-{i}")})
        })
        .collect();
    let newest_case = live.persons[&quiet[3]].id_number.clone();
    // The newcomer rides with the new case within the case's exposure: the two days before
    // its confirmation (it has no onset, and no isolation after it).
    let depart = window.1 - 36 * 3_600_000;
    vec![
        (
            "persons",
            "text/csv",
            format!(
                "person_id,id_number,name,phone,household_id,address,grid_code\n\
                 NEW-1,{newcomer},\"新, 来\",13900000001,HH-NEW,,{}\n",
                app.grid
            ),
        ),
        (
            "vehicles",
            "application/x-ndjson",
            ndjson(&[json!({"plate": "浙H·9Z001", "owner_id_number": newcomer})]),
        ),
        ("sightings", "application/x-ndjson", ndjson(&beside)),
        (
            "rail_tickets",
            "text/csv",
            format!(
                "id_number,train,car,seat,from_station,to_station,depart,arrive,record_id\n\
                 {newcomer},G7311,05,12A,{station},{station},{},{},T-1\n\
                 {},G7311,05,12B,{station},{station},{},{},T-2\n",
                t(depart),
                t(depart + 3_600_000),
                newest_case,
                t(depart),
                t(depart + 3_600_000),
            ),
        ),
        (
            "checkpoint_passes",
            "application/x-ndjson",
            ndjson(&[
                json!({"plate": "浙H9Z001", "place_id": checkpoint, "time": t(step.start - 600_000), "direction": "in"}),
            ]),
        ),
        (
            "deliveries",
            "application/x-ndjson",
            ndjson(&[
                json!({"recipient_phone": phone_of, "origin_region_code": area_region,
                            "shipped": t(window.1 - 2 * 86_400_000)}),
            ]),
        ),
        (
            "cases",
            "application/x-ndjson",
            ndjson(&[json!({"subject": newest_case, "status": "confirmed",
                            "confirmed": t(window.1 - 86_400_000)})]),
        ),
    ]
}

/// The screen `tracegrid screen --json` prints for the test city's store with `rows`
/// imported from files, at the server's moment.
pub(crate) fn screen_of_files(app: &TestApp, rows: &[(&str, &str, String)]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("files.db");
    std::fs::copy(city().dir.join("city.db"), &db).unwrap();
    let drop_dir = dir.path().join("drop");
    std::fs::create_dir_all(&drop_dir).unwrap();
    for (i, (kind, ty, body)) in rows.iter().enumerate() {
        let ext = if *ty == "text/csv" { "csv" } else { "ndjson" };
        std::fs::write(drop_dir.join(format!("{kind}-{i}.{ext}")), body).unwrap();
    }
    let db = db.to_string_lossy().into_owned();
    let opts = tracegrid_ingest::Options {
        tz: chrono_tz::Asia::Shanghai,
        encoding: tracegrid_ingest::Encoding::Utf8,
        rejects: tracegrid_ingest::RejectsTarget::IfAny(dir.path().join("rejects.csv")),
        batch_rows: None,
    };
    let (summary, _) = tracegrid_ingest::import(
        &drop_dir,
        tracegrid_store::open(&db).unwrap(),
        &opts,
        &mut (),
    )
    .unwrap();
    assert_eq!(summary.rejected, 0, "{summary:?}");
    let config = &app.app.state().config;
    let city = tracegrid_city::City::load(&db, config.settings().unwrap(), 0).unwrap();
    serde_json::to_value(city.screen_view(city.screening.alerts())).unwrap()
}

#[tokio::test]
async fn fed_rows_screen_as_the_same_rows_imported_from_files() {
    let app = spawn();
    let feeder = app.token("feeder");
    let analyst = app.token("analyst");
    let before = app.screen(&analyst, "").await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    let rows = rows_around_a_case(&app);
    for (kind, ty, body) in &rows {
        let r = app.feed(&feeder, kind, ty, body).await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
        let lines =
            body.lines().filter(|l| !l.is_empty()).count() as u64 - u64::from(*ty == "text/csv");
        assert_eq!(r.body["accepted"], lines, "{kind}: {}", r.body);
        assert_eq!(r.body["rejected"], 0, "{kind}: {}", r.body);
        assert_eq!(r.body["duplicates"], 0, "{kind}: {}", r.body);
        assert_eq!(r.body["rejects"], json!([]));
    }
    // Read your writes: the answer reflects every acknowledged row.
    let after = app.screen(&analyst, "").await;
    assert_eq!(after.status, StatusCode::OK);
    let (b, a) = (
        before.body["alerts"].as_array().unwrap().len(),
        after.body["alerts"].as_array().unwrap().len(),
    );
    assert!(a > b + 10, "the rows alerted people: {b} → {a}");
    assert_eq!(after.body, screen_of_files(&app, &rows));
    assert!(
        after.body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["subject"] == "NEW-1"),
        "the newcomer who rode with the new case"
    );

    // Everything again, by the same route: kept once.
    for (kind, ty, body) in &rows {
        let r = app.feed(&feeder, kind, ty, body).await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
        assert_eq!(r.body["accepted"], 0, "{kind}: {}", r.body);
        assert!(r.body["duplicates"].as_u64().unwrap() > 0);
    }
    assert_eq!(app.screen(&analyst, "").await.body, after.body);

    // One subject, by any of its names; an unknown one has nothing.
    let first = &after.body["alerts"][0];
    let one = app
        .screen(
            &analyst,
            &format!("&subject={}", first["id_number"].as_str().unwrap()),
        )
        .await;
    assert_eq!(one.body["alerts"], json!([first]));
    assert_eq!(one.body["as_of"], after.body["as_of"]);
    let none = app.screen(&analyst, "&subject=P-NOBODY").await;
    assert_eq!(none.body["alerts"], json!([]));
}

#[tokio::test]
async fn a_feed_counts_rejects_and_duplicates_and_keeps_the_rejects() {
    let app = spawn();
    let feeder = app.token("feeder");
    let (person, place) = {
        let live = app.app.state().live();
        let mut persons: Vec<&String> = live.persons.keys().collect();
        persons.sort();
        (persons[0].clone(), app.gate.clone())
    };
    let body = format!(
        "subject_type,subject,place_id,time,direction,record_id\n\
         person_id,{person},{place},2020-01-20 08:00,in,G-1\n\
         person_id,{person},NO-SUCH-GATE,2020-01-20 08:00,in,G-2\n\
         person_id,{person},{place},2020-01-20 08:00,in,G-1\n\
         person_id,{person},{place},yesterday,in,G-3\n\
         person_id,{person},{place},2020-01-20 09:00,sideways,G-4\n"
    );
    let r = app
        .feed(&feeder, "gate_access", "text/csv; charset=utf-8", &body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (
            &r.body["accepted"],
            &r.body["rejected"],
            &r.body["duplicates"]
        ),
        (&json!(1), &json!(3), &json!(1))
    );
    let rejects = r.body["rejects"].as_array().unwrap();
    assert_eq!(
        rejects
            .iter()
            .map(|x| x["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![3, 5, 6]
    );
    assert!(rejects[0]["reason"].as_str().unwrap().contains("place_id"));
    assert!(rejects[1]["reason"].as_str().unwrap().contains("time"));
    assert!(rejects[2]["reason"].as_str().unwrap().contains("direction"));
    assert!(
        rejects[0]["record"]
            .as_str()
            .unwrap()
            .contains("NO-SUCH-GATE")
    );

    // The command centre sees them, by sender, and downloads them.
    let c = app.login("analyst").await;
    let kept = app.get("/api/feeds/rejects?source=feeder", Some(&c)).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.body);
    let kept = kept.body.as_array().unwrap().clone();
    assert_eq!(kept.len(), 3);
    assert!(
        kept.iter()
            .all(|k| k["route"] == "http" && k["kind"] == "gate_access")
    );
    let csv = app
        .get("/api/feeds/rejects.csv?kind=gate_access", Some(&c))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.body.as_str().unwrap();
    assert!(text.starts_with("received,route,source,kind,line,reason,record\n"));
    assert_eq!(text.lines().count(), 4);
    assert!(text.contains("NO-SUCH-GATE"));
    let status = app.get("/api/feeds", Some(&c)).await;
    let line = status.body["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["source"] == "feeder")
        .cloned()
        .unwrap();
    assert_eq!(
        (&line["accepted"], &line["rejected"], &line["duplicates"]),
        (&json!(1), &json!(3), &json!(1))
    );
    assert_eq!(line["rows_last_minute"], 5);
    // Reading the rejects is audited.
    let log = app
        .get("/api/audit?limit=5", Some(&app.login("admin").await))
        .await;
    assert!(
        log.body.to_string().contains("feed.rejects"),
        "{}",
        log.body
    );
}

#[tokio::test]
async fn the_feed_says_no_in_the_contracts_words() {
    let app = spawn_with(|c| c.max_feed_mb = 1);
    let feeder = app.token("feeder");
    let viewer = app.token("viewer");
    let one = r#"{"subject_type":"person_id","subject":"P000001","place_id":"X","time":"2020-01-20 08:00"}"#;
    // No token, a role that may not feed, an unknown kind, a GeoJSON kind.
    let r = app
        .send(
            Request::post("/api/v1/feeds/gate_access")
                .header(header::CONTENT_TYPE, "application/x-ndjson")
                .body(Body::from(one))
                .unwrap(),
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = app
        .feed(&viewer, "gate_access", "application/x-ndjson", one)
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    for kind in ["nothing", "grids", "areas.geojson"] {
        let r = app.feed(&feeder, kind, "application/x-ndjson", one).await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    }
    // Not a body the feed reads; without a valid token, that is said first.
    let r = app
        .feed(&feeder, "gate_access", "application/xml", "<a/>")
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app
        .feed("tgt_not_a_token", "gate_access", "application/xml", "<a/>")
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    let r = app
        .feed(
            &feeder,
            "gate_access",
            "application/x-ndjson",
            "this is not\nNDJSON at all\n",
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("NDJSON")
    );
    let r = app
        .feed(&feeder, "gate_access", "text/csv", &format!("{one}\n"))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    // Over the limit (1 MB here).
    let big = one.repeat(20_000);
    let r = app
        .feed(&feeder, "gate_access", "application/x-ndjson", &big)
        .await;
    assert_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    // An empty message is read, and has nothing.
    let r = app
        .feed(&feeder, "gate_access", "application/x-ndjson", "")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"accepted": 0, "rejected": 0, "duplicates": 0, "rejects": []})
    );
    // The screen wants a purpose, and a role that reads it all.
    let analyst = app.token("analyst");
    let r = app
        .send(
            Request::get("/api/v1/screen")
                .header(header::AUTHORIZATION, format!("Bearer {analyst}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "purpose_required");
    for (user, status) in [
        ("epi", StatusCode::OK),
        ("admin", StatusCode::OK),
        ("feeder", StatusCode::FORBIDDEN),
        ("viewer", StatusCode::FORBIDDEN),
        ("wang", StatusCode::FORBIDDEN),
    ] {
        let r = app.screen(&app.token(user), "").await;
        assert_eq!(r.status, status, "{user}: {}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The city's lock is held across the requests on purpose: it keeps the writer busy.
#[allow(clippy::await_holding_lock)]
async fn a_full_queue_answers_429_with_retry_after_and_loses_nothing() {
    let app = spawn_with(|c| c.feed_queue_messages = 1);
    let feeder = app.token("feeder");
    let (person, gate) = {
        let live = app.app.state().live();
        (live.persons.keys().min().unwrap().clone(), app.gate.clone())
    };
    let row = |i: usize| {
        format!(
            "{{\"subject_type\":\"person_id\",\"subject\":\"{person}\",\"place_id\":\"{gate}\",\"time\":\"2020-01-20 08:{i:02}\"}}\n"
        )
    };
    let before = count(&app.db, &person);
    // The city is held: the writer takes the first message and waits to apply it; the second
    // waits in the queue; the third does not fit.
    let held = app.app.state().live();
    let router = app.router.clone();
    let send = |body: String| {
        let router = router.clone();
        let feeder = feeder.clone();
        tokio::spawn(async move {
            use tower::ServiceExt;
            let res = router
                .oneshot(
                    Request::post("/api/v1/feeds/gate_access")
                        .header(header::AUTHORIZATION, format!("Bearer {feeder}"))
                        .header(header::CONTENT_TYPE, "application/x-ndjson")
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await
                .unwrap();
            res.status()
        })
    };
    let first = send(row(1));
    let until = |f: &dyn Fn(&tracegrid_city::FeedStatus) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !f(&app.app.state().city.feed_status()) {
            assert!(
                std::time::Instant::now() < deadline,
                "the queue never got there"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    until(&|s| s.oldest_wait_ms > 0);
    let second = send(row(2));
    until(&|s| s.queued_messages == 1);
    let r = app
        .feed(&feeder, "gate_access", "application/x-ndjson", &row(3))
        .await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "behind");
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
    drop(held);
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    assert_eq!(second.await.unwrap(), StatusCode::OK);
    // Sent again, the third is kept.
    let r = app
        .feed(&feeder, "gate_access", "application/x-ndjson", &row(3))
        .await;
    assert_eq!(r.body["accepted"], 1, "{}", r.body);
    assert_eq!(count(&app.db, &person), before + 3);
}

/// The gate sightings the store holds of `person`.
fn count(db: &str, person: &str) -> i64 {
    use tracegrid_store::sql::{Cell, Param};
    let mut store = tracegrid_store::open(db).unwrap();
    let rows = store
        .rows(
            "SELECT count(*) FROM sightings s JOIN sources o ON o.id = s.source_id
             WHERE s.subject = $1 AND o.name = 'gate'",
            &[Param::Text(person)],
        )
        .unwrap();
    match rows[0][0] {
        Cell::Int(n) => n,
        ref c => panic!("{c:?}"),
    }
}
