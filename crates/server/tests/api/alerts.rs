use axum::http::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_alert_list_needs_a_purpose_and_masks_id_numbers() {
    let app = spawn();
    let c = app.login("analyst").await;
    assert_error(
        &app.get("/api/alerts", Some(&c)).await,
        StatusCode::BAD_REQUEST,
        "purpose_required",
    );
    let r = app
        .get("/api/alerts?purpose=check&limit=20", Some(&c))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let alerts = r.body["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 20);
    assert!(r.body["total"].as_u64().unwrap() > 20);
    for a in alerts {
        if let Some(id) = a["id_number"].as_str() {
            assert!(id.contains("********"), "masked: {id}");
        }
    }
    // In the contract's order: score, highest first.
    let scores: Vec<f64> = alerts
        .iter()
        .map(|a| a["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    let full = app
        .get("/api/alerts?purpose=call&limit=20&reveal=true", Some(&c))
        .await;
    let id = full.body["alerts"][0]["id_number"].as_str().unwrap();
    assert_eq!(id.len(), 18);
    assert!(!id.contains('*'));
}

#[tokio::test]
async fn the_alert_list_filters_sorts_and_pages() {
    let app = spawn();
    let c = app.login("epi").await;
    let all = app
        .get("/api/alerts?purpose=p&limit=500", Some(&c))
        .await
        .body;
    let total = all["total"].as_u64().unwrap() as usize;

    let close = app
        .get(
            "/api/alerts?purpose=p&reason=CLOSE_CONTACT&limit=500",
            Some(&c),
        )
        .await
        .body;
    let n_close = close["total"].as_u64().unwrap() as usize;
    assert!(n_close > 0 && n_close < total);
    assert!(close["alerts"].as_array().unwrap().iter().all(|a| {
        a["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "CLOSE_CONTACT")
    }));

    let grid = app
        .get(
            &format!("/api/alerts?purpose=p&grid={}&limit=500", app.grid),
            Some(&c),
        )
        .await
        .body;
    assert!(
        grid["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["grid_code"] == app.grid.as_str())
    );

    let high = app
        .get("/api/alerts?purpose=p&min_score=0.5&limit=500", Some(&c))
        .await
        .body;
    assert!(
        high["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["score"].as_f64().unwrap() >= 0.5)
    );

    // Two pages join up to the first forty.
    let p1 = app
        .get("/api/alerts?purpose=p&limit=20", Some(&c))
        .await
        .body;
    let p2 = app
        .get("/api/alerts?purpose=p&limit=20&offset=20", Some(&c))
        .await
        .body;
    let joined: Vec<&Value> = p1["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2["alerts"].as_array().unwrap())
        .collect();
    let first40: Vec<&Value> = all["alerts"].as_array().unwrap().iter().take(40).collect();
    assert_eq!(joined, first40);

    let by_subject = app
        .get("/api/alerts?purpose=p&sort=subject&limit=500", Some(&c))
        .await
        .body;
    let names: Vec<&str> = by_subject["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["subject"].as_str().unwrap())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]));

    assert_error(
        &app.get("/api/alerts?purpose=p&reason=SNEEZING", Some(&c))
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_error(
        &app.get("/api/alerts?purpose=p&limit=many", Some(&c)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
}

#[tokio::test]
async fn an_alert_opens_its_evidence() {
    let app = spawn();
    let c = app.login("analyst").await;
    // The top alert: a close contact, with the sightings behind it.
    let top = app
        .get(
            "/api/alerts?purpose=p&reason=CLOSE_CONTACT&limit=50",
            Some(&c),
        )
        .await
        .body;
    let with_place = top["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["code"] == "CLOSE_CONTACT" && !r["place_id"].is_null())
        })
        .expect("a close contact at a place");
    let subject = with_place["subject"].as_str().unwrap();
    let r = app
        .get(&format!("/api/alerts/{subject}?purpose=evidence"), Some(&c))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["alert"], *with_place);
    let ev = r.body["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), with_place["reasons"].as_array().unwrap().len());
    let at_place = ev
        .iter()
        .find(|e| e["reason"]["code"] == "CLOSE_CONTACT" && e.get("place").is_some())
        .unwrap();
    assert!(
        !at_place["subject_sightings"].as_array().unwrap().is_empty(),
        "{at_place}"
    );
    assert!(
        !at_place["case_sightings"].as_array().unwrap().is_empty(),
        "{at_place}"
    );
    let place_id = &at_place["place"]["place_id"];
    assert!(
        at_place["subject_sightings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| &s["place"]["place_id"] == place_id)
    );
    assert!(!r.body["trajectory"].as_array().unwrap().is_empty());
    assert!(r.body["person"]["phone"].as_str().unwrap().contains("****"));

    assert_error(
        &app.get("/api/alerts/P9999999?purpose=x", Some(&c)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

/// The first alert of `reason` (as `user` lists them) whose reason of that code is at a place,
/// with its evidence.
async fn evidence_of(app: &TestApp, cookie: &str, reason: &str) -> (Value, Value) {
    let list = app
        .get(
            &format!("/api/alerts?purpose=p&reason={reason}&limit=500"),
            Some(cookie),
        )
        .await
        .body;
    let alert = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["code"] == reason && !r["place_id"].is_null())
        })
        .unwrap_or_else(|| panic!("a {reason} at a place"));
    let subject = alert["ref"].as_str().or(alert["subject"].as_str()).unwrap();
    let r = app
        .get(&format!("/api/alerts/{subject}?purpose=p"), Some(cookie))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let e = r.body["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reason"]["code"] == reason && e.get("place").is_some())
        .unwrap()
        .clone();
    (r.body, e)
}

/// Checks what a sentence about a contact needs: when the two were together, how long, and
/// what sort of case it was.
fn assert_together(e: &Value) {
    let together = &e["together"];
    let (from, to) = (
        together["from"].as_str().unwrap(),
        together["to"].as_str().unwrap(),
    );
    match together.get("apart_minutes") {
        None => assert!(from <= to, "{e}"),
        Some(apart) => {
            assert!(to < from, "{e}");
            assert!(apart.as_i64().unwrap() > 0, "{e}");
            assert_eq!(together["minutes"], 0, "{e}");
        }
    }
    assert!(together["minutes"].as_i64().unwrap() >= 0, "{e}");
    assert!(
        ["confirmed", "suspected", "asymptomatic"].contains(&e["case_status"].as_str().unwrap()),
        "{e}"
    );
}

#[tokio::test]
async fn the_evidence_says_where_when_and_how_long() {
    let app = spawn();
    let c = app.login("analyst").await;

    let (body, close) = evidence_of(&app, &c, "CLOSE_CONTACT").await;
    assert_together(&close);
    // Every place the page shows is named apart: a train car by its train and car.
    let places = &body["places"];
    for s in body["trajectory"].as_array().unwrap() {
        let id = s["place"]["place_id"].as_str().unwrap();
        let note = &places[id];
        assert!(note.is_object(), "{id} has a note");
        if s["place"]["kind"] == "train_car" {
            let (train, car) = id.split_once('@').unwrap();
            assert_eq!(note["train"], train);
            assert_eq!(note["car"], car.rsplit_once('#').unwrap().1);
        }
        if s["place"]["region_code"].is_string() {
            assert!(note["region_name"].is_string(), "{id}: {note}");
        }
    }

    // Regression: a secondary contact's sightings are those with the close contact it came
    // through; they were sought beside the case, which was never there, and came back empty.
    let (_, secondary) = evidence_of(&app, &c, "SECONDARY_CONTACT").await;
    assert_together(&secondary);
    let place_id = &secondary["place"]["place_id"];
    for key in ["subject_sightings", "via_sightings"] {
        let stretches = secondary[key].as_array().unwrap();
        assert!(!stretches.is_empty(), "{key}: {secondary}");
        assert!(
            stretches
                .iter()
                .all(|s| &s["place"]["place_id"] == place_id),
            "{secondary}"
        );
    }
    assert!(secondary.get("case_sightings").is_none(), "{secondary}");

    // An area reason names its area: what it is called and how risky.
    let (_, area) = evidence_of(&app, &c, "EPI_AREA").await;
    assert_eq!(area["area"]["area_id"], area["reason"]["area_id"]);
    assert!(["high", "medium", "low"].contains(&area["area"]["risk"].as_str().unwrap()));
    assert!(!area["subject_sightings"].as_array().unwrap().is_empty());

    // A grid worker learns when and how long, but not the case's own stretches.
    let w = app.login("wang").await;
    let (_, theirs) = evidence_of(&app, &w, "CLOSE_CONTACT").await;
    assert_together(&theirs);
    assert!(theirs.get("case_sightings").is_none(), "{theirs}");
    assert_eq!(theirs["reason"]["case"], "(withheld)");
}

#[tokio::test]
async fn a_trace_gives_trajectory_contacts_and_case_links() {
    let app = spawn();
    let c = app.login("epi").await;
    let cases = app.get("/api/cases?purpose=trace", Some(&c)).await.body;
    let case = cases
        .as_array()
        .unwrap()
        .iter()
        .find_map(|k| k["subject"].as_str())
        .unwrap();
    let r = app
        .get(
            &format!("/api/trace/{case}?purpose=trace&degree=2"),
            Some(&c),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["subject"], case);
    assert_eq!(
        r.body["steps"].as_array().unwrap().len(),
        r.body["trajectory"].as_array().unwrap().len()
    );
    assert!(
        r.body["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["degree"] == 1 || c["degree"] == 2)
    );
    // A resident contact is named as the registry has them.
    let named = r.body["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["subject"].as_str().unwrap().starts_with('P'))
        .map(|c| c["subject"].as_str().unwrap())
        .collect::<Vec<_>>();
    assert!(!named.is_empty());
    for s in named {
        assert!(
            r.body["names"][s].as_str().is_some_and(|n| !n.is_empty()),
            "{s} has no name"
        );
    }
    // Each place of the trajectory has its note, to be told apart from another of its name.
    for step in r.body["steps"].as_array().unwrap() {
        let id = step["place"]["place_id"].as_str().unwrap();
        assert!(r.body["places"][id].is_object(), "{id}");
    }
    for link in r.body["case_links"].as_array().unwrap() {
        let to = link["to"].as_str().unwrap();
        assert!(
            r.body["contacts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["subject"] == to && c["is_case"] == true)
        );
    }
    assert_error(
        &app.get(&format!("/api/trace/{case}?purpose=x&degree=3"), Some(&c))
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
}

#[tokio::test]
async fn the_overview_counts_what_the_list_holds() {
    let app = spawn();
    let c = app.login("viewer").await;
    let o = app.get("/api/overview", Some(&c)).await.body;
    let a = app
        .get("/api/alerts?purpose=p&limit=1", Some(&c))
        .await
        .body;
    assert_eq!(o["counts"]["alerts"], a["total"]);
    let by_grid: u64 = o["by_grid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["alerts"].as_u64().unwrap())
        .sum();
    assert_eq!(
        by_grid + o["unrouted"].as_u64().unwrap(),
        a["total"].as_u64().unwrap()
    );
    let over_time: u64 = o["over_time"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["alerts"].as_u64().unwrap())
        .sum();
    assert_eq!(over_time, a["total"].as_u64().unwrap());
    assert_eq!(o["scope"], "city");
    // A grid worker's figures are their grids', as their list is.
    let w = app.login("wang").await;
    let mine = app.get("/api/overview", Some(&w)).await.body;
    let list = app
        .get("/api/alerts?purpose=p&limit=1", Some(&w))
        .await
        .body;
    assert_eq!(mine["scope"], "grids");
    assert_eq!(mine["counts"]["alerts"], list["total"]);
    assert!(mine["counts"]["alerts"].as_u64().unwrap() < a["total"].as_u64().unwrap());
    assert!(
        mine["by_grid"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["grid_code"] == app.grid.as_str())
    );
    assert_eq!(mine["unrouted"], 0);
    let geo = app.get("/api/grids.geojson", Some(&c)).await.body;
    assert_eq!(geo["type"], "FeatureCollection");
    assert!(
        geo["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["code"] == app.grid.as_str())
    );
}
