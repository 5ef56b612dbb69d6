//! The Users page's API: adding, changing, disabling and enabling users, passwords and machine
//! tokens, each checked against the city and audited; and the errors' keys and params, which
//! the pages translate.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_error, spawn};

fn id_of(users: &Value, name: &str) -> i64 {
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == name)
        .unwrap_or_else(|| panic!("{name} in {users}"))["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn errors_carry_a_key_and_params_beside_the_english() {
    let app = spawn();
    let w = app.login("wang").await;
    // A grid worker asking for someone of another grid.
    let other = app.alerted_subject(&app.grid, false);
    let r = app
        .get(&format!("/api/persons/{other}?purpose=check"), Some(&w))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(r.body["error"]["key"], "not_in_your_grids", "{}", r.body);
    assert_eq!(r.body["error"]["params"], json!({"subject": other}));
    assert_eq!(
        r.body["error"]["message"],
        format!("{other} is not known in your grids"),
        "the English message is as it was"
    );
    // A read without a purpose.
    let r = app.get(&format!("/api/persons/{other}"), Some(&w)).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "purpose_required");
    assert_eq!(r.body["error"]["key"], "purpose_required");
    assert_eq!(r.body["error"]["params"], json!({}));
    // A body without a required field: the field is named.
    let a = app.login("admin").await;
    let r = app
        .post(
            "/api/users",
            Some(&a),
            &json!({"username": "li", "role": "analyst"}),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(r.body["error"]["key"], "missing_json_field", "{}", r.body);
    assert_eq!(r.body["error"]["params"]["field"], "password");
    // A field of the wrong type.
    let r = app
        .post(
            "/api/users/1/disable",
            Some(&a),
            &json!({"disabled": "yes"}),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(r.body["error"]["key"], "bad_json_field", "{}", r.body);
    assert_eq!(r.body["error"]["params"]["field"], "disabled");
    // A role refusal names the role, which the page says in its own words.
    let r = app.get("/api/users", Some(&w)).await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(r.body["error"]["key"], "role_may_not");
    assert_eq!(r.body["error"]["params"], json!({"role": "grid_worker"}));
    assert_eq!(r.body["error"]["message"], "a grid_worker may not do this");
    // No login at all.
    let r = app.get("/api/users", None).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(r.body["error"]["key"], "log_in_first");
}

#[tokio::test]
async fn an_admin_adds_changes_disables_and_enables_a_user() {
    let app = spawn();
    let a = app.login("admin").await;
    let choices = app.get("/api/users/choices", Some(&a)).await;
    assert_eq!(choices.status, StatusCode::OK, "{}", choices.body);
    let grids: Vec<&str> = choices.body["grids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert!(grids.contains(&app.grid.as_str()), "{grids:?}");
    assert!(
        choices.body["gates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == app.gate.as_str()),
        "{}",
        choices.body["gates"]
    );
    assert!(
        !choices.body["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("resident"))
    );

    // Checked against the city: a grid that is no grid, a gate that is no gate, no grid.
    let add = |body: Value| {
        let (app, a) = (&app, &a);
        async move { app.post("/api/users", Some(a), &body).await }
    };
    let r = add(json!({"username": "zhao", "password": PASSWORD, "role": "grid_worker", "grids": ["NO-SUCH-GRID"]})).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(r.body["error"]["key"], "not_a_grid");
    assert_eq!(r.body["error"]["params"]["grid"], "NO-SUCH-GRID");
    let r = add(json!({"username": "zhao", "password": PASSWORD, "role": "grid_worker"})).await;
    assert_eq!(
        r.body["error"]["key"], "grid_worker_needs_grid",
        "{}",
        r.body
    );
    let r = add(json!({"username": "zhao", "password": PASSWORD, "role": "gate_guard", "gates": [app.grid]})).await;
    assert_eq!(r.body["error"]["key"], "not_a_gate", "{}", r.body);
    let r = add(json!({"username": "zhao wei", "password": PASSWORD, "role": "viewer"})).await;
    assert_eq!(r.body["error"]["key"], "bad_username", "{}", r.body);
    let r = add(json!({"username": "zhao", "password": "short", "role": "viewer"})).await;
    assert_eq!(r.body["error"]["key"], "short_password", "{}", r.body);
    assert_eq!(r.body["error"]["params"]["min"], "8");
    let r = add(json!({"username": "zhao", "password": PASSWORD, "role": "resident"})).await;
    assert_eq!(r.body["error"]["key"], "not_a_role", "{}", r.body);
    let r = add(json!({"username": "admin", "password": PASSWORD, "role": "viewer"})).await;
    assert_error(&r, StatusCode::CONFLICT, "conflict");
    assert_eq!(r.body["error"]["key"], "user_exists", "{}", r.body);
    assert_eq!(r.body["error"]["params"]["username"], "admin");

    let r = add(json!({"username": "zhao", "password": PASSWORD, "role": "grid_worker", "grids": [app.grid]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let z = app.login("zhao").await;
    assert_eq!(
        app.get("/api/me", Some(&z)).await.body["grids"],
        json!([app.grid])
    );

    // Another grid: it holds from the next request, without logging in again.
    let users = app.get("/api/users", Some(&a)).await.body;
    let id = id_of(&users, "zhao");
    let r = app
        .post(
            &format!("/api/users/{id}"),
            Some(&a),
            &json!({"role": "grid_worker", "grids": [app.other_grid]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["grids"], json!([app.other_grid]));
    assert_eq!(
        app.get("/api/me", Some(&z)).await.body["grids"],
        json!([app.other_grid])
    );

    // Disabled: the session open a moment ago is refused at once, and so is a login.
    let r = app
        .post(
            &format!("/api/users/{id}/disable"),
            Some(&a),
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["disabled"], true);
    assert_error(
        &app.get("/api/me", Some(&z)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let r = app
        .post(
            "/api/session",
            None,
            &json!({"username": "zhao", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Enabled again.
    let r = app
        .post(
            &format!("/api/users/{id}/disable"),
            Some(&a),
            &json!({"disabled": false}),
        )
        .await;
    assert_eq!(r.body["disabled"], false, "{}", r.body);
    let z = app.login("zhao").await;

    // A new password ends the sessions of the old one.
    let r = app
        .post(
            &format!("/api/users/{id}/password"),
            Some(&a),
            &json!({"password": "a-new-pass-77"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        app.get("/api/me", Some(&z)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .post(
            "/api/session",
            None,
            &json!({"username": "zhao", "password": "a-new-pass-77"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // An admin cannot lock themselves out.
    let me = id_of(&users, "admin");
    let r = app
        .post(
            &format!("/api/users/{me}/disable"),
            Some(&a),
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.body["error"]["key"], "not_yourself", "{}", r.body);
    let r = app
        .post(
            &format!("/api/users/{me}"),
            Some(&a),
            &json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(r.body["error"]["key"], "not_yourself", "{}", r.body);
    let r = app
        .post("/api/users/999999", Some(&a), &json!({"role": "viewer"}))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(r.body["error"]["key"], "no_user");

    // Every change is in the audit log.
    let log = app.get("/api/audit?target=zhao", Some(&a)).await.body;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["user.add", "user.update", "user.disable", "user.password"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn a_token_is_shown_once_listed_by_name_and_revoked_at_once() {
    let app = spawn();
    let a = app.login("admin").await;
    let users = app.get("/api/users", Some(&a)).await.body;
    let feeder = id_of(&users, "feeder");
    let r = app
        .post(
            &format!("/api/users/{feeder}/tokens"),
            Some(&a),
            &json!({"name": "hotel feed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let token_id = r.body["id"].as_str().unwrap().to_owned();
    let bearer = |token: &str| {
        Request::get("/api/me")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(app.send(bearer(&token)).await.status, StatusCode::OK);

    let list = app
        .get(&format!("/api/users/{feeder}/tokens"), Some(&a))
        .await
        .body;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["name"], "hotel feed");
    assert_eq!(list[0]["id"], token_id.as_str());
    assert!(
        !list.to_string().contains(&token),
        "the list never holds the token"
    );
    let users = app.get("/api/users", Some(&a)).await.body;
    let row = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == feeder)
        .unwrap();
    assert_eq!(row["tokens"], 1);

    // A disabled user's token is refused at once, and works again once enabled.
    app.post(
        &format!("/api/users/{feeder}/disable"),
        Some(&a),
        &json!({"disabled": true}),
    )
    .await;
    assert_eq!(
        app.send(bearer(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.post(
        &format!("/api/users/{feeder}/disable"),
        Some(&a),
        &json!({"disabled": false}),
    )
    .await;
    assert_eq!(app.send(bearer(&token)).await.status, StatusCode::OK);

    let r = app
        .post(
            &format!("/api/users/{feeder}/tokens/revoke"),
            Some(&a),
            &json!({"token_id": "0000000000000000"}),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(r.body["error"]["key"], "no_token");
    let r = app
        .post(
            &format!("/api/users/{feeder}/tokens/revoke"),
            Some(&a),
            &json!({"token_id": token_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        app.send(bearer(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let list = app
        .get(&format!("/api/users/{feeder}/tokens"), Some(&a))
        .await
        .body;
    assert_eq!(list, json!([]));

    let r = app
        .post(
            &format!("/api/users/{feeder}/tokens"),
            Some(&a),
            &json!({"name": "  "}),
        )
        .await;
    assert_eq!(r.body["error"]["key"], "token_name_required", "{}", r.body);
    let log = app.get("/api/audit?target=feeder", Some(&a)).await.body;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"token.add") && actions.contains(&"token.revoke"),
        "{actions:?}"
    );
}
