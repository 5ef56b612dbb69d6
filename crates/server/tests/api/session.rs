use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::helpers::*;

#[tokio::test]
async fn a_login_sets_a_strict_http_only_cookie_and_logout_ends_it() {
    let app = spawn();
    let r = app
        .post(
            "/api/session",
            None,
            &serde_json::json!({"username": "analyst", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["user"]["role"], "analyst");
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    let cookie = set.split(';').next().unwrap().to_owned();
    let me = app.get("/api/me", Some(&cookie)).await;
    assert_eq!(me.body["username"], "analyst");

    let out = app
        .send(
            Request::delete("/api/session")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_error(
        &app.get("/api/me", Some(&cookie)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

#[tokio::test]
async fn a_wrong_password_or_an_unknown_user_is_refused_alike() {
    let app = spawn();
    for (user, pw) in [("analyst", "wrong-password"), ("nobody", PASSWORD)] {
        let r = app
            .post(
                "/api/session",
                None,
                &serde_json::json!({"username": user, "password": pw}),
            )
            .await;
        assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
        assert!(r.headers.get(header::SET_COOKIE).is_none());
    }
    assert_error(
        &app.get("/api/overview", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_error(
        &app.get("/api/overview", Some("tracegrid_session=tgs_forged"))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

#[tokio::test]
async fn a_machine_token_acts_with_its_users_role() {
    let app = spawn();
    let token = tracegrid_server::add_token(&app.db, "viewer", "wall display").unwrap();
    let req = |path: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let r = app.send(req("/api/overview")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A viewer's token cannot read a person.
    let subject = app.alerted_subject(&app.grid, true);
    let r = app
        .send(req(&format!("/api/persons/{subject}?purpose=x")))
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    // Only the hash is stored.
    let stored: i64 = rusqlite_count(&app.db, &token);
    assert_eq!(stored, 0, "the token itself is not in the store");
}

fn rusqlite_count(db: &str, token: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(
        "SELECT count(*) FROM api_tokens WHERE token_hash = ?1",
        [token],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test]
async fn guessing_a_password_is_stopped_after_five_tries() {
    let app = spawn();
    let guess = serde_json::json!({"username": "analyst", "password": "guess"});
    let right = serde_json::json!({"username": "analyst", "password": PASSWORD});
    for _ in 0..5 {
        let r = app.post("/api/session", None, &guess).await;
        assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // Even the right password waits now.
    let r = app.post("/api/session", None, &right).await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("15 minutes"),
        "{}",
        r.body
    );
    // Others log in as ever.
    app.login("epi").await;
}
