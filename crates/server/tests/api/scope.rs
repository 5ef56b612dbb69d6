//! A grid worker never reads a person outside their grids, through any endpoint; viewers and
//! guards read no person at all.

use axum::http::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_grid_worker_sees_only_their_grids_alerts() {
    let app = spawn();
    let w = app.login("wang").await;
    let mine = app
        .get("/api/alerts?purpose=visit&limit=500", Some(&w))
        .await
        .body;
    let alerts = mine["alerts"].as_array().unwrap();
    assert!(!alerts.is_empty());
    assert!(
        alerts.iter().all(|a| a["grid_code"] == app.grid.as_str()),
        "{mine}"
    );
    // Which case a contact came from is withheld from a grid worker.
    for a in alerts {
        for r in a["reasons"].as_array().unwrap() {
            if let Some(case) = r.get("case") {
                assert_eq!(case, "(withheld)");
            }
        }
    }
    let other = app
        .get(
            &format!("/api/alerts?purpose=visit&grid={}", app.other_grid),
            Some(&w),
        )
        .await
        .body;
    assert_eq!(other["total"], 0);
}

#[tokio::test]
async fn a_grid_worker_is_denied_another_grids_person_through_every_endpoint() {
    let app = spawn();
    let w = app.login("wang").await;
    let outsider = app.alerted_subject(&app.grid, false);
    let insider = app.alerted_subject(&app.grid, true);
    for path in [
        format!("/api/alerts/{outsider}?purpose=visit"),
        format!("/api/persons/{outsider}?purpose=visit"),
        format!("/api/persons/{outsider}?purpose=visit&reveal=true"),
    ] {
        assert_error(
            &app.get(&path, Some(&w)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    for path in [
        format!("/api/trace/{outsider}?purpose=visit"),
        format!("/api/trace/{insider}?purpose=visit"),
        "/api/cases?purpose=visit".to_owned(),
        "/api/audit".to_owned(),
        "/api/users".to_owned(),
        "/api/imports".to_owned(),
        format!("/api/gates/{}/check?subject={outsider}", app.gate),
    ] {
        assert_error(
            &app.get(&path, Some(&w)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    // Each refused look is in the audit log.
    let admin = app.login("admin").await;
    let log = app
        .get(&format!("/api/audit?target={outsider}"), Some(&admin))
        .await
        .body;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["person.denied", "person.denied", "alert.denied"],
        "{log}"
    );
    let r = app
        .get(
            &format!("/api/persons/{insider}?purpose=visit&reveal=true"),
            Some(&w),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["person"]["grid_code"], app.grid.as_str());
    assert!(
        !r.body["person"]["id_number"]
            .as_str()
            .unwrap()
            .contains('*')
    );
}

#[tokio::test]
async fn viewers_and_guards_read_no_person() {
    let app = spawn();
    let subject = app.alerted_subject(&app.grid, true);
    let v = app.login("viewer").await;
    for path in [
        format!("/api/persons/{subject}?purpose=x"),
        format!("/api/trace/{subject}?purpose=x"),
        "/api/alerts?purpose=x&reveal=true".to_owned(),
    ] {
        assert_error(
            &app.get(&path, Some(&v)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let masked = app.get("/api/alerts?purpose=x&limit=5", Some(&v)).await;
    assert_eq!(masked.status, StatusCode::OK);
    let g = app.login("guard").await;
    for path in [
        "/api/overview".to_owned(),
        "/api/alerts?purpose=x".to_owned(),
        format!("/api/persons/{subject}?purpose=x"),
    ] {
        assert_error(
            &app.get(&path, Some(&g)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
}

#[tokio::test]
async fn a_guard_checks_people_at_their_own_gate_only() {
    let app = spawn();
    let g = app.login("guard").await;
    let subject = app.alerted_subject(&app.grid, true);
    let r = app
        .get(
            &format!("/api/gates/{}/check?subject={subject}", app.gate),
            Some(&g),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        ["amber", "red"].contains(&r.body["status"].as_str().unwrap()),
        "{}",
        r.body
    );
    assert_eq!(r.body["resident"], true);
    assert!(r.body.get("id_number").is_none() && r.body.get("name").is_none());
    let other_gate = format!("GATE-{}", app.other_grid);
    assert_error(
        &app.get(
            &format!("/api/gates/{other_gate}/check?subject={subject}"),
            Some(&g),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let unknown = app
        .get(
            &format!("/api/gates/{}/check?subject=P9999999", app.gate),
            Some(&g),
        )
        .await;
    assert_eq!(unknown.body["status"], "unknown");
}

#[tokio::test]
async fn a_grid_workers_list_follows_a_new_area_at_once() {
    // Regression: the per-grid index of alerts must be rebuilt after a change.
    let app = spawn();
    let w = app.login("wang").await;
    let before = app.get("/api/alerts?purpose=visit", Some(&w)).await.body["total"]
        .as_u64()
        .unwrap();
    let a = app.login("analyst").await;
    let r = app
        .post(
            "/api/areas",
            Some(&a),
            &serde_json::json!({"area_id": "HOME", "region_code": &app.grid[..6], "from": "2020-01-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let after = app.get("/api/alerts?purpose=visit", Some(&w)).await.body;
    assert!(
        after["total"].as_u64().unwrap() > before,
        "{before} → {}: {}",
        after["total"],
        r.body["changed"]
    );
    assert!(
        after["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["grid_code"] == app.grid.as_str())
    );
}

#[tokio::test]
async fn a_community_cadre_looks_after_every_grid_in_the_community() {
    let app = spawn();
    let community = &app.grid[..12];
    tracegrid_server::add_user(
        &app.db,
        "cadre",
        PASSWORD,
        tracegrid_server::Role::GridWorker,
        &[community.to_owned()],
        &[],
    )
    .unwrap();
    let c = app.login("cadre").await;
    let me = app.get("/api/me", Some(&c)).await.body;
    let grids: Vec<&str> = me["grids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert!(
        grids.len() > 1 && grids.contains(&app.grid.as_str()),
        "{me}"
    );
    assert!(grids.iter().all(|g| g.starts_with(community)), "{grids:?}");
    let theirs = app
        .get("/api/tasks?purpose=x&limit=500", Some(&c))
        .await
        .body;
    let w = app.login("wang").await;
    let wangs = app
        .get("/api/tasks?purpose=x&limit=500", Some(&w))
        .await
        .body;
    assert!(theirs["total"].as_u64() > wangs["total"].as_u64());
    assert!(
        theirs["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| grids.contains(&t["grid_code"].as_str().unwrap()))
    );
}
