use axum::http::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn every_read_of_a_person_is_audited_with_its_purpose() {
    let app = spawn();
    let a = app.login("analyst").await;
    let subject = app.alerted_subject(&app.grid, true);
    let before = app
        .get("/api/audit?limit=1000", Some(&app.login("admin").await))
        .await
        .body;
    let n_before = before.as_array().unwrap().len();

    app.get(
        &format!("/api/persons/{subject}?purpose=%E7%94%B5%E8%AF%9D%E6%A0%B8%E5%AE%9E"),
        Some(&a),
    )
    .await;
    app.get(
        &format!("/api/persons/{subject}?purpose=call&reveal=true"),
        Some(&a),
    )
    .await;
    app.get(&format!("/api/alerts/{subject}?purpose=evidence"), Some(&a))
        .await;
    app.get(&format!("/api/trace/{subject}?purpose=tracing"), Some(&a))
        .await;
    app.get("/api/alerts?purpose=morning+list", Some(&a)).await;
    // A refused read leaves no entry (it read nothing).
    app.get(&format!("/api/persons/{subject}"), Some(&a)).await;

    let admin = app.login("admin").await;
    let log = app
        .get(&format!("/api/audit?target={subject}"), Some(&admin))
        .await;
    assert_eq!(log.status, StatusCode::OK);
    let entries = log.body.as_array().unwrap();
    let seen: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["purpose"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("trace", "tracing"),
            ("alert.read", "evidence"),
            ("person.reveal", "call"),
            ("person.read", "电话核实")
        ],
        "newest first"
    );
    assert!(entries.iter().all(|e| e["username"] == "analyst"));
    let all = app.get("/api/audit?limit=1000", Some(&admin)).await.body;
    assert_eq!(
        all.as_array().unwrap().len(),
        n_before + 5,
        "five reads, nothing for the refused one"
    );
}

#[tokio::test]
async fn only_an_admin_reads_the_audit_log() {
    let app = spawn();
    for user in ["analyst", "epi", "viewer", "wang", "guard"] {
        let c = app.login(user).await;
        assert_error(
            &app.get("/api/audit", Some(&c)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
}
