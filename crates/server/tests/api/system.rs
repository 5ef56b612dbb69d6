use axum::http::{StatusCode, header};

use crate::helpers::*;

#[tokio::test]
async fn every_route_is_in_the_openapi_document() {
    let app = spawn();
    let doc = app.get("/api/openapi.json", None).await.body;
    let mut routes: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    routes.sort();
    insta::assert_json_snapshot!("routes", routes);
    // Each operation documents its error body.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if path == "/healthz" || (path == "/api/session" && method == "delete") {
                continue;
            }
            let codes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            assert!(
                codes.iter().any(|c| c.starts_with('4')),
                "{method} {path} documents no error: {codes:?}"
            );
        }
    }
    insta::assert_json_snapshot!("openapi", doc, {".info.version" => "[version]"});
}

#[tokio::test]
async fn errors_have_one_shape() {
    let app = spawn();
    assert_error(
        &app.get("/api/nothing-here", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let c = app.login("admin").await;
    let r = app
        .send(
            axum::http::Request::post("/api/areas")
                .header(header::COOKIE, &c)
                .header(header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    let r = app
        .send(
            axum::http::Request::delete("/api/overview")
                .header(header::COOKIE, &c)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_error(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_as_too_large() {
    let app = spawn_with(|c| c.max_upload_mb = 1);
    let c = app.login("admin").await;
    let r = app
        .send(
            axum::http::Request::post("/api/imports")
                .header(header::COOKIE, &c)
                .header(header::CONTENT_TYPE, "application/zip")
                .body(axum::body::Body::from(vec![0u8; 2 << 20]))
                .unwrap(),
        )
        .await;
    assert_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
}

#[tokio::test]
async fn health_metrics_and_pages_are_served() {
    let app = spawn();
    let h = app.get("/healthz", None).await;
    assert_eq!(h.body["status"], "ok");
    assert!(h.body["sightings"].as_u64().unwrap() > 0);
    app.get("/api/overview", None).await;
    // Metrics are not public (issue 13): an administrator reads them.
    let admin = app.login("admin").await;
    let m = app.get("/metrics", Some(&admin)).await;
    let text = m.body.as_str().unwrap();
    assert!(text.contains("tracegrid_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/overview\""), "{text}");
    let page = app.get("/", None).await;
    assert!(
        page.body
            .as_str()
            .unwrap()
            .contains("/assets/vendor/echarts.min.js")
    );
    assert!(
        page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let docs = app.get("/api/docs", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    let js = app.get("/assets/vendor/echarts.min.js", None).await;
    assert!(js.body.as_str().unwrap().len() > 500_000);
}

#[tokio::test]
async fn a_snapshot_of_one_alert_as_the_api_writes_it() {
    let app = spawn();
    let c = app.login("analyst").await;
    let page = app
        .get("/api/alerts?purpose=p&limit=1", Some(&c))
        .await
        .body;
    insta::assert_json_snapshot!("alert_page", page, {".generation" => "[generation]"});
    let w = app.login("wang").await;
    let mine = app
        .get("/api/alerts?purpose=p&limit=1", Some(&w))
        .await
        .body;
    insta::assert_json_snapshot!("alert_page_grid_worker", mine, {".generation" => "[generation]"});
}
