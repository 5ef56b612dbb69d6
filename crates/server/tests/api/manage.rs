use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn total(app: &TestApp, c: &str) -> u64 {
    app.get("/api/alerts?purpose=p&limit=1", Some(c)).await.body["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn an_area_screens_at_once_and_says_what_changed() {
    let app = spawn();
    let c = app.login("analyst").await;
    let before = total(&app, &c).await;
    // The busiest grid's whole district, for the last week.
    let district = &app.grid[..6];
    let r = app
        .post(
            "/api/areas",
            Some(&c),
            &json!({"area_id": "KC-1", "name": "柯城", "region_code": district, "from": "2020-01-25", "risk": "high"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ch = &r.body["changed"];
    assert_eq!(ch["alerts_before"].as_u64().unwrap(), before);
    let after = total(&app, &c).await;
    assert_eq!(ch["alerts_after"].as_u64().unwrap(), after);
    assert!(after > before, "an area over a busy district alerts people");
    assert_eq!(
        ch["new_alerts"].as_array().unwrap().len() as u64,
        after - before
    );
    assert_eq!(r.body["area"]["region_code"], district);

    // Ended before it began: refused; ended at its start: most of its alerts go.
    let bad = app
        .post(
            "/api/areas/KC-1/end",
            Some(&c),
            &json!({"at": "2020-01-01"}),
        )
        .await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "bad_request");
    let end = app
        .post(
            "/api/areas/KC-1/end",
            Some(&c),
            &json!({"at": "2020-01-25"}),
        )
        .await;
    assert_eq!(end.status, StatusCode::OK, "{}", end.body);
    assert!(
        !end.body["changed"]["cleared"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        end.body["area"]["to"]
            .as_str()
            .unwrap()
            .starts_with("2020-01-25")
    );

    // It was kept: a server started again on the store has it.
    let again = app.restart();
    assert!(
        again
            .app
            .state()
            .live()
            .areas
            .iter()
            .any(|a| a.area_id == "KC-1" && a.to.is_some())
    );
}

#[tokio::test]
async fn a_drawn_polygon_is_an_area_too() {
    let app = spawn();
    let c = app.login("epi").await;
    let geo = app.get("/api/grids.geojson", Some(&c)).await.body;
    let shape = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == app.grid.as_str())
        .unwrap()["geometry"]
        .clone();
    let r = app
        .post(
            "/api/areas",
            Some(&c),
            &json!({"area_id": "DRAWN", "geometry": shape, "from": "2020-01-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body["changed"]["alerts_after"].as_u64() >= r.body["changed"]["alerts_before"].as_u64()
    );
    assert_eq!(r.body["area"]["geometry"]["type"], shape["type"]);
}

#[tokio::test]
async fn bad_areas_and_cases_are_refused_with_what_to_fix() {
    let app = spawn();
    let c = app.login("analyst").await;
    let cases = [
        (
            json!({"area_id": "X", "region_code": "999999", "from": "2020-01-20"}),
            "999999",
        ),
        (
            json!({"area_id": "X", "from": "2020-01-20"}),
            "region_code or geometry",
        ),
        (
            json!({"area_id": "X", "region_code": "330802", "from": "yesterday"}),
            "from",
        ),
        (
            json!({"area_id": "X", "geometry": {"type": "Point", "coordinates": [1, 2]}, "from": "2020-01-20"}),
            "geometry",
        ),
        (
            json!({"area_id": "X", "region_code": "330802", "from": "2020-01-20", "risk": "extreme"}),
            "risk",
        ),
    ];
    for (body, says) in cases {
        let r = app.post("/api/areas", Some(&c), &body).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(says),
            "{body}: {}",
            r.body
        );
    }
    let r = app
        .post("/api/cases", Some(&c), &json!({"subject": "330802199001011235", "status": "confirmed", "confirmed": "2020-01-30"}))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("id_number"),
        "{}",
        r.body
    );
    let r = app
        .post("/api/areas", Some(&c), &json!({"area_id": 5}))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    // A viewer changes nothing.
    let v = app.login("viewer").await;
    let r = app
        .post(
            "/api/areas",
            Some(&v),
            &json!({"area_id": "X", "region_code": "330802", "from": "2020-01-20"}),
        )
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn a_new_case_alerts_its_contacts_at_once() {
    let app = spawn();
    let c = app.login("epi").await;
    // Someone alerted (not a case) is confirmed: their own contacts are alerted now.
    let subject = app.alerted_subject(&app.grid, true);
    let person = app
        .get(
            &format!("/api/persons/{subject}?purpose=confirm&reveal=true"),
            Some(&c),
        )
        .await
        .body;
    let id = person["person"]["id_number"].as_str().unwrap().to_owned();
    let as_of = &city().as_of[..10];
    let r = app
        .post(
            "/api/cases",
            Some(&c),
            &json!({"subject": id, "status": "confirmed", "confirmed": as_of}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["subject"], subject.as_str());
    let ch = &r.body["changed"];
    assert!(ch["touched"].as_u64().unwrap() > 0, "{ch}");
    let cases = app.get("/api/cases?purpose=check", Some(&c)).await.body;
    assert!(
        cases
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["subject"] == subject.as_str() && k["status"] == "confirmed")
    );
    // A trace now starts from a case.
    let tr = app
        .get(&format!("/api/trace/{subject}?purpose=check"), Some(&c))
        .await
        .body;
    assert_eq!(tr["is_case"], true);
}

// Guards issue 16: two clicks on the map made an "area" that was dropped without a word.
#[tokio::test]
async fn a_polygon_of_fewer_than_three_corners_is_refused_with_what_to_fix() {
    let app = spawn();
    let c = app.login("analyst").await;
    let (a, b) = ([118.87, 28.94], [118.88, 28.95]);
    for ring in [json!([a, b, a]), json!([a, b, b, a]), json!([a, a, a, a])] {
        let r = app
            .post(
                "/api/areas",
                Some(&c),
                &json!({"area_id": "TWO", "geometry": {"type": "Polygon", "coordinates": [ring]}, "from": "2020-01-20"}),
            )
            .await;
        assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
        let says = r.body["error"]["message"].as_str().unwrap();
        assert!(
            says.contains("at least three") && says.contains("region_code"),
            "{ring}: {says}"
        );
    }
    // A triangle is enough.
    let r = app
        .post(
            "/api/areas",
            Some(&c),
            &json!({"area_id": "THREE", "geometry": {"type": "Polygon", "coordinates": [[a, b, [118.87, 28.95], a]]}, "from": "2020-01-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        app.app
            .state()
            .live()
            .areas
            .iter()
            .all(|x| x.area_id != "TWO")
    );
}

// Guards issue 16: a confirmation date typed a year out was taken, and alerted contacts of a
// case that does not exist yet.
#[tokio::test]
async fn a_case_confirmed_after_the_servers_moment_is_refused() {
    let app = spawn();
    let c = app.login("epi").await;
    let subject = app.alerted_subject(&app.grid, true);
    let as_of = &city().as_of;
    let next_day = {
        let day = chrono::NaiveDate::parse_from_str(&as_of[..10], "%Y-%m-%d").unwrap();
        (day + chrono::Days::new(1)).to_string()
    };
    let cases_before = app.app.state().live().cases.len();
    for confirmed in [next_day.as_str(), "2031-05-01 10:00"] {
        let r = app
            .post(
                "/api/cases",
                Some(&c),
                &json!({"subject": subject, "status": "confirmed", "confirmed": confirmed}),
            )
            .await;
        assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
        let says = r.body["error"]["message"].as_str().unwrap();
        assert!(
            says.contains("future") && says.contains(&as_of[..10]),
            "{says}"
        );
    }
    assert_eq!(app.app.state().live().cases.len(), cases_before);
    // At the server's moment itself it is taken.
    let r = app
        .post(
            "/api/cases",
            Some(&c),
            &json!({"subject": subject, "status": "confirmed", "confirmed": as_of}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

// Guards issue 16: the case list names people by person_id, but a case could only be added by
// ID number.
#[tokio::test]
async fn a_case_may_name_its_person_by_person_id() {
    let app = spawn();
    let c = app.login("epi").await;
    let subject = app.alerted_subject(&app.grid, true);
    let id_number = {
        let live = app.app.state().live();
        live.persons[&subject].id_number.clone()
    };
    let as_of = &city().as_of[..10];
    for body in [
        json!({"person_id": subject, "status": "suspected", "confirmed": as_of}),
        json!({"subject": subject, "status": "confirmed", "confirmed": as_of}),
    ] {
        let r = app.post("/api/cases", Some(&c), &body).await;
        assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.body);
        assert_eq!(r.body["subject"], subject.as_str());
    }
    // Kept under the person's ID number, as the cases file has it: one case, changed twice.
    {
        let live = app.app.state().live();
        let kept: Vec<_> = live
            .cases
            .iter()
            .filter(|k| k.subject == id_number)
            .collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].status.as_str(), "confirmed");
    }
    // Neither a person nor an ID number; a person_id nobody has; both at once; neither given.
    let refused = [
        (
            json!({"subject": "P-NOBODY", "status": "confirmed", "confirmed": as_of}),
            vec!["P-NOBODY", "person_id", "ID number"],
        ),
        (
            json!({"person_id": "P-NOBODY", "status": "confirmed", "confirmed": as_of}),
            vec!["P-NOBODY", "not a registered person"],
        ),
        (
            json!({"subject": id_number, "person_id": subject, "status": "confirmed", "confirmed": as_of}),
            vec!["not both"],
        ),
        (
            json!({"status": "confirmed", "confirmed": as_of}),
            vec!["person_id"],
        ),
    ];
    for (body, says) in refused {
        let r = app.post("/api/cases", Some(&c), &body).await;
        assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
        let message = r.body["error"]["message"].as_str().unwrap();
        for s in says {
            assert!(message.contains(s), "{body}: {message}");
        }
    }
}
