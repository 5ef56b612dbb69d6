//! Grid tasks through the API: made from alerts, routed, worked by the grid worker, escalated,
//! announced to open pages.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use crate::helpers::*;

async fn tasks(app: &TestApp, cookie: &str, query: &str) -> Value {
    let r = app
        .get(
            &format!("/api/tasks?purpose=visit&limit=500{query}"),
            Some(cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

#[tokio::test]
async fn every_alert_becomes_one_task_routed_to_its_grid() {
    let app = spawn();
    let c = app.login("analyst").await;
    let alerts = app
        .get("/api/alerts?purpose=p&limit=1", Some(&c))
        .await
        .body["total"]
        .as_u64()
        .unwrap();
    let all = tasks(&app, &c, "&state=all").await;
    assert_eq!(all["total"].as_u64().unwrap(), alerts, "one task an alert");
    let list = all["tasks"].as_array().unwrap();
    let mut subjects: Vec<&str> = list
        .iter()
        .map(|t| t["subject"].as_str().unwrap())
        .collect();
    subjects.sort_unstable();
    subjects.dedup();
    assert_eq!(subjects.len(), list.len(), "one task a subject");
    for t in list {
        assert_eq!(t["state"], "open");
        match t["routed_by"].as_str().unwrap() {
            "residence" => assert_eq!(t["grid_code"], t["person"]["grid_code"], "{t}"),
            "last_seen" => assert!(t["person"].is_null() && t["grid_code"].is_string(), "{t}"),
            "unrouted" => assert!(t["grid_code"].is_null(), "{t}"),
            other => panic!("routed by {other}"),
        }
        // The priority follows the chance of infection (docs/SCREENING.md, "Priority"); the
        // task keeps it in thousandths, hence the margins.
        let (p, chance) = (
            t["priority"].as_i64().unwrap(),
            t["score"].as_f64().unwrap(),
        );
        if chance >= 0.0505 {
            assert_eq!(p, 1, "{t}");
        } else if (0.0105..0.0495).contains(&chance) {
            assert_eq!(p, 2, "{t}");
        } else if chance < 0.0095 {
            assert_eq!(p, 3, "{t}");
        }
    }
    // Most urgent first.
    let prios: Vec<i64> = list
        .iter()
        .map(|t| t["priority"].as_i64().unwrap())
        .collect();
    assert!(prios.windows(2).all(|w| w[0] <= w[1]));
    // None lost for want of a grid: the unrouted queue holds the rest.
    let unrouted = tasks(&app, &c, "&state=all&unrouted=true").await;
    assert!(
        unrouted["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["grid_code"].is_null())
    );
    // A server started again on the same store makes no second task.
    let again = app.restart();
    let count = again
        .app
        .state()
        .city
        .board
        .with(|t| t.all().unwrap().len());
    assert_eq!(count as u64, alerts);
}

#[tokio::test]
async fn a_grid_worker_works_their_own_tasks_only() {
    let app = spawn();
    let w = app.login("wang").await;
    let mine = tasks(&app, &w, "").await;
    let list = mine["tasks"].as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|t| t["grid_code"] == app.grid.as_str()));
    assert!(
        list.iter()
            .flat_map(|t| t["reasons"].as_array().unwrap())
            .all(|r| r.get("case").is_none_or(|c| c == "(withheld)"))
    );
    let id = list[0]["id"].as_i64().unwrap();

    let acc = app
        .post(&format!("/api/tasks/{id}/accept"), Some(&w), &json!({}))
        .await;
    assert_eq!(
        (acc.status, acc.body["state"].as_str()),
        (StatusCode::OK, Some("accepted")),
        "{}",
        acc.body
    );
    let twice = app
        .post(&format!("/api/tasks/{id}/accept"), Some(&w), &json!({}))
        .await;
    assert_error(&twice, StatusCode::CONFLICT, "conflict");

    let outcome_path = format!("/api/tasks/{id}/outcome");
    let u = app
        .post(&outcome_path, Some(&w), &json!({"outcome": "unreachable"}))
        .await;
    assert_eq!(
        (u.body["state"].as_str(), u.body["attempts"].as_i64()),
        (Some("open"), Some(1)),
        "{}",
        u.body
    );
    let no_end = app
        .post(
            &outcome_path,
            Some(&w),
            &json!({"outcome": "home_isolation"}),
        )
        .await;
    assert_error(&no_end, StatusCode::CONFLICT, "conflict");
    assert!(
        no_end.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("isolation_until")
    );
    let bad = app
        .post(&outcome_path, Some(&w), &json!({"outcome": "vanished"}))
        .await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "bad_request");
    // The end is compared with the screening's moment (this server screens at the city's
    // end, in 2020), not with the wall clock: a day before it is refused, two weeks on taken.
    let as_of = &crate::helpers::city().as_of;
    assert_eq!(u.body["isolation_after"].as_str(), Some(as_of.as_str()));
    let day = &as_of[..10];
    let before = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap() - chrono::Days::new(1);
    let early = app
        .post(
            &outcome_path,
            Some(&w),
            &json!({"outcome": "home_isolation", "isolation_until": before.to_string()}),
        )
        .await;
    assert_error(&early, StatusCode::CONFLICT, "conflict");
    let two_weeks =
        chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap() + chrono::Days::new(14);
    let iso = app
        .post(
            &outcome_path,
            Some(&w),
            &json!({"outcome": "home_isolation", "isolation_until": two_weeks.to_string(), "note": "家属已告知"}),
        )
        .await;
    assert_eq!(iso.body["state"], "isolating", "{}", iso.body);
    assert!(
        iso.body["isolation_until"]
            .as_str()
            .unwrap()
            .starts_with(&two_weeks.to_string())
    );

    let checkin_path = format!("/api/tasks/{id}/checkins");
    assert_error(
        &app.post(&checkin_path, Some(&w), &json!({"temperature": 98.6}))
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let fever = app
        .post(&checkin_path, Some(&w), &json!({"temperature": 38.2}))
        .await;
    assert_eq!(fever.body["state"], "open", "{}", fever.body);
    // Reopened, the isolation no longer runs: its end date is dropped.
    assert!(fever.body["isolation_until"].is_null(), "{}", fever.body);
    assert!(
        fever.body["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "FEVER_CHECKIN")
    );
    assert_error(
        &app.post(&checkin_path, Some(&w), &json!({"temperature": 36.5}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );

    let detail = app
        .get(&format!("/api/tasks/{id}?purpose=visit"), Some(&w))
        .await
        .body;
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created", "accepted", "outcome", "outcome", "checkin", "reopened"
        ]
    );
    assert_eq!(detail["checkins"][0]["temperature"], 38.2);
    assert!(
        detail["events"][3]["detail"]
            .as_str()
            .unwrap()
            .contains("家属已告知")
    );

    // Another grid's task: not found, and the attempt is audited; no reassigning for a grid worker.
    let a = app.login("analyst").await;
    let theirs = tasks(&app, &a, &format!("&grid={}", app.other_grid)).await["tasks"][0]["id"]
        .as_i64()
        .unwrap();
    assert_error(
        &app.get(&format!("/api/tasks/{theirs}?purpose=visit"), Some(&w))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.post(&format!("/api/tasks/{theirs}/accept"), Some(&w), &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &app.post(
            &format!("/api/tasks/{id}/reassign"),
            Some(&w),
            &json!({"grid_code": app.other_grid}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.get("/api/tasks?purpose=x&unrouted=true", Some(&w))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let admin = app.login("admin").await;
    let log = app.get("/api/audit?username=wang", Some(&admin)).await.body;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "task.denied"),
        "{log}"
    );

    // Reassigned by the command centre, logged, and gone from the worker's list.
    let r = app
        .post(
            &format!("/api/tasks/{id}/reassign"),
            Some(&a),
            &json!({"grid_code": app.other_grid}),
        )
        .await;
    assert_eq!(r.body["grid_code"], app.other_grid.as_str(), "{}", r.body);
    let mine = tasks(&app, &w, "").await;
    assert!(
        mine["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != id)
    );
    let bad = app
        .post(
            &format!("/api/tasks/{id}/reassign"),
            Some(&a),
            &json!({"grid_code": "nowhere"}),
        )
        .await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn new_reasons_join_the_open_task_rather_than_make_a_second() {
    let app = spawn();
    let c = app.login("analyst").await;
    let before = tasks(&app, &c, "&state=all").await;
    let n_before = before["total"].as_u64().unwrap();
    let r = app
        .post(
            "/api/areas",
            Some(&c),
            &json!({"area_id": "KC", "region_code": &app.grid[..6], "from": "2020-01-20"}),
        )
        .await;
    let ch = &r.body["changed"];
    let (created, updated) = (
        ch["tasks_created"].as_u64().unwrap(),
        ch["tasks_updated"].as_u64().unwrap(),
    );
    assert!(updated > 0, "open tasks were given the area: {ch}");
    assert_eq!(
        created,
        ch["new_alerts"].as_array().unwrap().len() as u64,
        "{ch}"
    );
    let after = tasks(&app, &c, "&state=all").await;
    assert_eq!(after["total"].as_u64().unwrap(), n_before + created);
    let grown = after["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            let reasons = t["reasons"].as_array().unwrap();
            reasons.iter().any(|r| r["area_id"] == "KC")
                && reasons.iter().any(|r| r["code"] != "EPI_AREA")
        })
        .expect("a task with the area added to earlier reasons");
    let id = grown["id"].as_i64().unwrap();
    let detail = app
        .get(&format!("/api/tasks/{id}?purpose=x"), Some(&c))
        .await
        .body;
    assert!(detail["events"].as_array().unwrap().iter().any(
        |e| e["kind"] == "reasons_added" && e["detail"].as_str().unwrap().contains("EPI_AREA")
    ));
    // The same area again changes nothing.
    let again = app
        .post(
            "/api/areas",
            Some(&c),
            &json!({"area_id": "KC", "region_code": &app.grid[..6], "from": "2020-01-20"}),
        )
        .await;
    assert_eq!(
        (
            again.body["changed"]["tasks_created"].as_u64(),
            again.body["changed"]["tasks_updated"].as_u64()
        ),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn a_closed_task_is_not_made_again_for_the_same_reasons() {
    let app = spawn();
    let w = app.login("wang").await;
    let id = tasks(&app, &w, "").await["tasks"][0]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            &format!("/api/tasks/{id}/outcome"),
            Some(&w),
            &json!({"outcome": "cleared"}),
        )
        .await;
    assert_eq!(r.body["state"], "closed");
    let st = app.app.state();
    let (created, updated) = st
        .city
        .board
        .sync(&st.live(), tracegrid_server::auth::now_ms())
        .unwrap();
    assert_eq!((created, updated), (0, 0));
}

#[tokio::test]
async fn overdue_tasks_escalate_to_the_community_then_the_command_centre() {
    let app = spawn();
    let c = app.login("analyst").await;
    let board = &app.app.state().city.board;
    let now = tracegrid_server::auth::now_ms();
    assert_eq!(board.tick(now).unwrap(), 0, "nothing is due yet");
    let hour = 3_600_000;
    let moved = board.tick(now + 3 * hour).unwrap();
    assert!(moved > 0);
    let community = tasks(&app, &c, "&escalation=1").await;
    assert_eq!(community["total"].as_u64().unwrap() as usize, moved);
    assert!(
        community["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["priority"] == 1 && t["escalated_to"] == "community")
    );
    assert_eq!(board.tick(now + 3 * hour).unwrap(), 0, "told once");
    board.tick(now + 7 * hour).unwrap();
    let centre = tasks(&app, &c, "&escalation=2").await;
    assert!(
        centre["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["escalated_to"] == "command centre")
    );
    assert_eq!(centre["total"], community["total"]);
}

#[tokio::test]
async fn statistics_count_what_the_board_holds() {
    let app = spawn();
    let w = app.login("wang").await;
    let list = tasks(&app, &w, "").await;
    for (i, outcome) in ["confirmed", "wrong_person"].iter().enumerate() {
        let id = list["tasks"][i]["id"].as_i64().unwrap();
        app.post(
            &format!("/api/tasks/{id}/outcome"),
            Some(&w),
            &json!({"outcome": outcome}),
        )
        .await;
    }
    let s = app.get("/api/tasks/stats", Some(&w)).await.body;
    assert_eq!(
        s["total"], list["total"],
        "a grid worker's statistics are their grids'"
    );
    let by_state: u64 = s["by_state"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_state, s["total"].as_u64().unwrap());
    assert_eq!(
        (s["answered"].as_u64(), s["answered_in_time"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(s["share_answered_in_time"], 1.0);
    assert!(s["median_minutes_to_first_contact"].as_f64().unwrap() >= 0.0);
    let outcomes = s["outcomes_by_reason"].as_object().unwrap();
    let total: u64 = outcomes
        .values()
        .flat_map(|o| o.as_object().unwrap().values())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(total >= 2, "{s}");
    let v = app.login("viewer").await;
    assert_eq!(
        app.get("/api/tasks/stats", Some(&v)).await.status,
        StatusCode::OK
    );
    assert_error(
        &app.get("/api/tasks?purpose=x", Some(&v)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

#[tokio::test]
async fn a_new_area_reaches_the_grid_workers_open_page() {
    let app = spawn();
    let w = app.login("wang").await;
    let res = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::get("/api/events")
            .header(header::COOKIE, &w)
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = res.into_body();
    let a = app.login("analyst").await;
    let r = app
        .post(
            "/api/areas",
            Some(&a),
            &json!({"area_id": "LIVE", "region_code": &app.grid[..6], "from": "2020-01-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // The guard only stops a test that would hang; the time itself is measured by bench serve.
    let frame = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let f = body.frame().await.expect("the stream stays open").unwrap();
            if let Some(data) = f.data_ref() {
                let text = String::from_utf8_lossy(data).into_owned();
                if text.contains("event: tasks") {
                    return text;
                }
            }
        }
    })
    .await
    .expect("a tasks event arrives");
    assert!(frame.contains(&app.grid), "{frame}");
}

#[tokio::test]
async fn a_grid_worker_sees_their_grids_households_and_no_other() {
    let app = spawn();
    let w = app.login("wang").await;
    let r = app
        .get("/api/residents?purpose=door+to+door", Some(&w))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["grid_code"], app.grid.as_str());
    let households = r.body["households"].as_array().unwrap();
    assert!(!households.is_empty());
    let members: Vec<&Value> = households
        .iter()
        .flat_map(|h| h["members"].as_array().unwrap())
        .collect();
    assert_eq!(members.len() as u64, r.body["residents"].as_u64().unwrap());
    assert!(
        members
            .iter()
            .all(|m| m["person"]["grid_code"] == app.grid.as_str())
    );
    assert!(
        members
            .iter()
            .all(|m| m["person"]["id_number"].as_str().unwrap().contains('*'))
    );
    // Those with an open task carry it.
    let mine = tasks(&app, &w, "").await;
    let with_task = members.iter().filter(|m| !m["task"].is_null()).count();
    let resident_tasks = mine["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["routed_by"] == "residence")
        .count();
    assert_eq!(with_task, resident_tasks);

    let other = app
        .get(
            &format!("/api/residents?purpose=x&grid={}", app.other_grid),
            Some(&w),
        )
        .await;
    assert_error(&other, StatusCode::NOT_FOUND, "not_found");
    let admin = app.login("admin").await;
    let log = app
        .get(
            &format!("/api/audit?target={}", app.other_grid),
            Some(&admin),
        )
        .await
        .body;
    assert_eq!(log[0]["action"], "residents.denied");
    let a = app.login("analyst").await;
    assert_error(
        &app.get("/api/residents?purpose=x", Some(&a)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let any = app
        .get(
            &format!("/api/residents?purpose=x&grid={}", app.other_grid),
            Some(&a),
        )
        .await;
    assert_eq!(any.status, StatusCode::OK);
}

#[tokio::test]
async fn a_photo_of_a_document_is_kept_with_the_task() {
    let app = spawn();
    let w = app.login("wang").await;
    let id = tasks(&app, &w, "").await["tasks"][0]["id"]
        .as_i64()
        .unwrap();
    let jpeg = vec![0xffu8, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5];
    let send = |cookie: &str, ty: &str, task: i64, body: Vec<u8>| {
        Request::post(format!("/api/tasks/{task}/photos"))
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, ty)
            .body(Body::from(body))
            .unwrap()
    };
    let r = app.send(send(&w, "image/jpeg", id, jpeg.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let photo = r.body["id"].as_i64().unwrap();
    assert_error(
        &app.send(send(&w, "text/plain", id, b"hello".to_vec()))
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );

    let detail = app
        .get(&format!("/api/tasks/{id}?purpose=x"), Some(&w))
        .await
        .body;
    assert_eq!(detail["photos"][0]["id"], photo);
    assert_eq!(
        detail["events"].as_array().unwrap().last().unwrap()["kind"],
        "photo"
    );
    let res = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::get(format!("/api/tasks/{id}/photos/{photo}?purpose=check"))
            .header(header::COOKIE, &w)
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
        jpeg
    );

    let a = app.login("analyst").await;
    let theirs = tasks(&app, &a, &format!("&grid={}", app.other_grid)).await["tasks"][0]["id"]
        .as_i64()
        .unwrap();
    assert_error(
        &app.send(send(&w, "image/jpeg", theirs, vec![1, 2])).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let v = app.login("viewer").await;
    assert_error(
        &app.send(send(&v, "image/jpeg", id, vec![1, 2])).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let admin = app.login("admin").await;
    let log = app.get("/api/audit?username=wang", Some(&admin)).await.body;
    // The refused photo on another grid's task is audited now (issue 13), after the read.
    assert_eq!(log[0]["action"], "task.denied");
    assert_eq!(log[1]["action"], "photo.read");
}

#[tokio::test]
async fn an_isolation_end_follows_a_rescreen_to_another_moment() {
    let app = spawn();
    let a = app.login("analyst").await;
    let w = app.login("wang").await;
    let as_of = &crate::helpers::city().as_of;
    let day = chrono::NaiveDate::parse_from_str(&as_of[..10], "%Y-%m-%d").unwrap();
    let earlier = day - chrono::Days::new(3);
    let r = app
        .post(
            "/api/screen",
            Some(&a),
            &json!({"as_of": earlier.to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = tasks(&app, &w, "").await;
    let id = list["tasks"][0]["id"].as_i64().unwrap();
    assert!(
        list["tasks"][0]["isolation_after"]
            .as_str()
            .unwrap()
            .starts_with(&earlier.to_string())
    );
    // A day before the first moment, but after the moment the re-screen moved to.
    let end = day - chrono::Days::new(1);
    let iso = app
        .post(
            &format!("/api/tasks/{id}/outcome"),
            Some(&w),
            &json!({"outcome": "home_isolation", "isolation_until": end.to_string()}),
        )
        .await;
    assert_eq!(iso.body["state"], "isolating", "{}", iso.body);
}
