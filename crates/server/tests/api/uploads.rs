use std::io::Write;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::helpers::*;

fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        for (name, text) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

async fn wait(app: &TestApp, c: &str, id: &str) -> serde_json::Value {
    for _ in 0..600 {
        let j = app.get(&format!("/api/imports/{id}"), Some(c)).await.body;
        if j["state"] != "running" {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import of {id} did not finish");
}

#[tokio::test]
async fn an_uploaded_drop_is_imported_with_its_rejects_and_the_city_reloaded() {
    let app = spawn();
    let c = app.login("analyst").await;
    let before = app.get("/healthz", None).await.body["generation"]
        .as_u64()
        .unwrap();
    let persons = app.get("/api/overview", Some(&c)).await.body["counts"]["persons"]
        .as_u64()
        .unwrap();
    let body = zip(&[(
        "drop/persons.csv",
        "person_id,id_number,name,phone,household_id,address,grid_code\n\
         NEW0000001,330802199001010010,新居民,13900000001,HNEW1,1号楼,330802001001001\n\
         NEW0000002,330802199001011235,坏号码,13900000002,HNEW2,2号楼,330802001001001\n",
    )]);
    let r = app
        .send(
            Request::post("/api/imports")
                .header(header::COOKIE, &c)
                .header(header::CONTENT_TYPE, "application/zip")
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["files"], serde_json::json!(["persons.csv"]));
    let id = r.body["id"].as_str().unwrap().to_owned();
    let job = wait(&app, &c, &id).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["summary"]["accepted"], 1);
    assert_eq!(job["summary"]["rejected"], 1);
    assert_eq!(job["has_rejects"], true);
    let rejects = app
        .get(&format!("/api/imports/{id}/rejects.csv"), Some(&c))
        .await;
    assert_eq!(rejects.status, StatusCode::OK);
    let text = rejects.body.as_str().unwrap();
    assert!(
        text.contains("persons.csv") && text.contains("330802199001011235"),
        "{text}"
    );
    // The city was loaded again with the new resident.
    assert!(
        app.get("/healthz", None).await.body["generation"]
            .as_u64()
            .unwrap()
            > before
    );
    let after = app.get("/api/overview", Some(&c)).await.body["counts"]["persons"]
        .as_u64()
        .unwrap();
    assert_eq!(after, persons + 1);
}

#[tokio::test]
async fn a_broken_upload_is_refused_and_only_importers_may_upload() {
    let app = spawn();
    let c = app.login("analyst").await;
    let r = app
        .send(
            Request::post("/api/imports")
                .header(header::COOKIE, &c)
                .header(header::CONTENT_TYPE, "application/zip")
                .body(Body::from("not a zip"))
                .unwrap(),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    let e = app.login("epi").await;
    let r = app
        .send(
            Request::post("/api/imports")
                .header(header::COOKIE, &e)
                .header(header::CONTENT_TYPE, "application/zip")
                .body(Body::from(zip(&[("cases.csv", "subject\n")])))
                .unwrap(),
        )
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
}
