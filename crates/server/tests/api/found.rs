//! Found by the data first (`GET /api/found-first`): a server that screens two days before the
//! city's end begins its record of first appearances then; cases confirmed through the API a
//! day later are judged against it — one alerted at start is found first, 24 hours ahead, at
//! its rank then; one never alerted is listed as missed.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// The city's end moved by `hours`, as the contract writes a time.
fn end_plus(hours: i64) -> String {
    let end = chrono::DateTime::parse_from_rfc3339(&city().as_of).unwrap();
    (end + chrono::Duration::hours(hours)).to_rfc3339()
}

#[tokio::test]
async fn a_case_alerted_before_its_confirmation_is_found_first_and_one_never_alerted_is_missed() {
    let start = end_plus(-48);
    let app = spawn_with(|c| c.as_of = Some(start.clone()));
    // X: the registered person highest in the order at start; Y: a registered person with no
    // alert then or at the end, nor a case.
    let (x, x_id, x_rank, x_score, y, y_id) = {
        let live = app.app.state().live();
        let (rank, a) = live
            .screening
            .alerts()
            .enumerate()
            .find(|(_, a)| live.world.person_of(a.subject).is_some())
            .expect("a registered person alerted at start");
        let x = live.world.subject_name(a.subject).to_owned();
        let x_id = live.world.person_of(a.subject).unwrap().0.to_owned();
        let recorded = |name: &str| {
            !app.app
                .state()
                .city
                .found
                .of_subjects(&[name])
                .unwrap()
                .is_empty()
        };
        let mut ids: Vec<&String> = live.persons.keys().collect();
        ids.sort();
        let y = ids
            .into_iter()
            .find(|p| {
                live.find_subject(p).is_some_and(|s| {
                    live.screening.alert(s).is_none() && !live.world.is_active_case(s)
                }) && !recorded(p)
            })
            .expect("a person never alerted")
            .clone();
        let y_id = live.persons[&y].id_number.clone();
        (x, x_id, rank as i64 + 1, a.score, y, y_id)
    };
    let epi = app.login("epi").await;
    // The moment moves on to the end; then both are confirmed, a day after the record began.
    let r = app
        .post("/api/screen", Some(&epi), &json!({"as_of": city().as_of}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let confirmed = end_plus(-24);
    for id in [&x_id, &y_id] {
        let r = app
            .post(
                "/api/cases",
                Some(&epi),
                &json!({"subject": id, "status": "confirmed", "confirmed": confirmed}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    let since = &start[..10];
    let r = app
        .get(
            &format!("/api/found-first?since={since}&purpose=review"),
            Some(&epi),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let fig = &r.body;
    assert_eq!(
        fig["record_from"].as_str().unwrap()[..16],
        start[..16],
        "the record began at the first screening: {fig}"
    );
    let found = fig["found"].as_array().unwrap();
    let missed = fig["missed"].as_array().unwrap();
    assert_eq!(
        fig["judged"].as_u64().unwrap() as usize,
        found.len() + missed.len()
    );
    assert_eq!(fig["found_first"].as_u64().unwrap() as usize, found.len());
    let mine = found
        .iter()
        .find(|f| f["subject"] == x.as_str())
        .unwrap_or_else(|| panic!("{x} found first: {fig}"));
    assert_eq!(mine["lead_hours"], 24.0);
    assert_eq!(mine["rank"], x_rank);
    assert_eq!(mine["score"].as_f64().unwrap(), x_score);
    assert!(mine["task_id"].is_i64(), "a task was made at start: {mine}");
    assert_eq!(mine["task_reached"], false);
    assert_eq!(
        mine["id_number"],
        tracegrid_model::mask::id_number(&x_id),
        "masked unless revealed"
    );
    assert!(
        mine["first_alert"]
            .as_str()
            .unwrap()
            .starts_with(&start[..16])
    );
    let never = missed
        .iter()
        .find(|m| m["subject"] == y.as_str())
        .unwrap_or_else(|| panic!("{y} missed: {fig}"));
    assert_eq!(never["alerted_later"], false);
    assert!(found.iter().all(|f| f["subject"] != y.as_str()));
    let buckets: u64 = fig["lead_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["cases"].as_u64().unwrap())
        .sum();
    assert_eq!(buckets as usize, found.len());

    // Since the day after their confirmation, neither is counted.
    let later = &city().as_of[..10];
    let r = app
        .get(
            &format!("/api/found-first?since={later}&purpose=review"),
            Some(&epi),
        )
        .await;
    let named =
        |list: &Value, who: &str| list.as_array().unwrap().iter().any(|c| c["subject"] == who);
    for who in [&x, &y] {
        assert!(!named(&r.body["found"], who) && !named(&r.body["missed"], who));
    }

    // The read is audited with its purpose.
    let admin = app.login("admin").await;
    let log = app
        .get("/api/audit?target=found+first", Some(&admin))
        .await
        .body;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "found_first.read" && e["purpose"] == "review"),
        "{log}"
    );

    // After a restart the record is as it was: X is still found first, a day ahead.
    let again = app.restart();
    let since_ms = tracegrid_model::read_moment(since, chrono_tz::Asia::Shanghai).unwrap();
    let shown = tracegrid_city::Shown {
        full_ids: true,
        links: true,
    };
    let fig = again
        .app
        .state()
        .city
        .found_first(Some(since_ms), shown)
        .unwrap();
    let mine = fig
        .found
        .iter()
        .find(|f| f.case.subject == x)
        .unwrap_or_else(|| panic!("{x} still found first"));
    assert_eq!((mine.lead_hours, mine.rank), (24.0, x_rank));
}

#[tokio::test]
async fn only_the_roles_that_read_cases_see_it_and_a_bad_date_is_refused() {
    let app = spawn();
    for (user, status) in [
        ("admin", StatusCode::OK),
        ("analyst", StatusCode::OK),
        ("epi", StatusCode::OK),
        ("viewer", StatusCode::FORBIDDEN),
        ("wang", StatusCode::FORBIDDEN),
        ("guard", StatusCode::FORBIDDEN),
    ] {
        let c = app.login(user).await;
        let r = app.get("/api/found-first?purpose=check", Some(&c)).await;
        assert_eq!(r.status, status, "{user}: {}", r.body);
    }
    let c = app.login("analyst").await;
    let r = app.get("/api/found-first", Some(&c)).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "purpose_required");
    let r = app
        .get("/api/found-first?since=2020-13-45&purpose=check", Some(&c))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(r.body["error"]["key"], "bad_since");
    assert_eq!(r.body["error"]["params"]["since"], "2020-13-45");
    // Every case of the drop was confirmed before this server's record began: none is judged,
    // and the answer says when the record began.
    let r = app.get("/api/found-first?purpose=check", Some(&c)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["cases"].as_u64().unwrap() > 0, "{}", r.body);
    assert_eq!(r.body["before_record"], r.body["cases"]);
    assert_eq!(r.body["judged"], 0);
    assert_eq!(r.body["share"], Value::Null);
    assert!(r.body["record_from"].is_string());
}
