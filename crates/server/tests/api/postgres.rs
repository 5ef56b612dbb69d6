//! The same server on PostgreSQL: the city, users, sessions and audit in the production store.

use axum::http::StatusCode;
use tracegrid_store::testing::TestDb;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_server_runs_on_postgresql_alike() {
    // The test store's setup and teardown use the blocking client, which must not run on the
    // test's own runtime thread.
    let db = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap();
    let c = city();
    let opts = tracegrid_ingest::Options {
        tz: chrono_tz::Asia::Shanghai,
        encoding: tracegrid_ingest::Encoding::Utf8,
        rejects: tracegrid_ingest::RejectsTarget::IfAny(
            std::env::temp_dir().join(format!("tg-pg-rejects-{}.csv", std::process::id())),
        ),
        batch_rows: None,
    };
    let spec = db.spec.clone();
    tokio::task::spawn_blocking(move || {
        let store = tracegrid_store::open(&spec).unwrap();
        tracegrid_ingest::import(&c.dir.join("drop"), store, &opts, &mut ()).unwrap();
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spec = db.spec.clone();
    let app = tokio::task::spawn_blocking(move || spawn_on(spec, dir, |_| {}))
        .await
        .unwrap();
    let sqlite = spawn();

    let a = app.login("analyst").await;
    let pg_page = app.get("/api/alerts?purpose=p&limit=100", Some(&a)).await;
    assert_eq!(pg_page.status, StatusCode::OK);
    let a2 = sqlite.login("analyst").await;
    let sqlite_page = sqlite
        .get("/api/alerts?purpose=p&limit=100", Some(&a2))
        .await;
    assert_eq!(
        pg_page.body["alerts"], sqlite_page.body["alerts"],
        "the same city screens alike"
    );

    let admin = app.login("admin").await;
    let log = app
        .get("/api/audit?username=analyst", Some(&admin))
        .await
        .body;
    assert_eq!(log[0]["action"], "alerts.list");
    let w = app.login("wang").await;
    let outsider = app.alerted_subject(&app.grid, false);
    assert_error(
        &app.get(&format!("/api/persons/{outsider}?purpose=x"), Some(&w))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    tokio::task::spawn_blocking(move || drop((app, db)))
        .await
        .unwrap();
}
