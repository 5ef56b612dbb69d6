//! Regression tests for what a review, tried as a new user and as an attacker, found (issue 13,
//! section 2); each failed before the guard.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::*;

async fn first_task(app: &TestApp, cookie: &str, grid: &str) -> i64 {
    app.get(&format!("/api/tasks?purpose=x&grid={grid}"), Some(cookie))
        .await
        .body["tasks"][0]["id"]
        .as_i64()
        .expect("a task")
}

async fn audit_of(app: &TestApp, user: &str) -> Vec<Value> {
    let admin = app.login("admin").await;
    app.get(&format!("/api/audit?username={user}"), Some(&admin))
        .await
        .body
        .as_array()
        .unwrap()
        .clone()
}

// Guards: a form POST from another port of the same host rode the SameSite=Strict cookie and
// accepted a task as the admin; a no-cors multipart POST started an import.
#[tokio::test]
async fn a_change_sent_from_another_sites_page_is_refused() {
    let app = spawn();
    let admin = app.login("admin").await;
    let id = first_task(&app, &admin, &app.grid).await;
    let accept = |origin: Option<&str>, site: Option<&str>, ty: &str| {
        let mut b = Request::post(format!("/api/tasks/{id}/accept"))
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, &admin)
            .header(header::CONTENT_TYPE, ty);
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        if let Some(s) = site {
            b = b.header("sec-fetch-site", s);
        }
        b.body(Body::from("")).unwrap()
    };
    let form = "application/x-www-form-urlencoded";
    let r = app
        .send(accept(
            Some("http://127.0.0.1:9999"),
            Some("same-site"),
            form,
        ))
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "cross_site");
    let r = app.send(accept(None, Some("cross-site"), form)).await;
    assert_error(&r, StatusCode::FORBIDDEN, "cross_site");
    // From the server's own page, but as a form: not a body this endpoint reads.
    let r = app
        .send(accept(
            Some("http://127.0.0.1:8080"),
            Some("same-origin"),
            form,
        ))
        .await;
    assert_error(
        &r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let task = app
        .get(&format!("/api/tasks/{id}?purpose=x"), Some(&admin))
        .await
        .body;
    assert_eq!(task["state"], "open", "nothing changed: {task}");

    let upload = Request::post("/api/imports")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://127.0.0.1:9999")
        .header(header::COOKIE, &admin)
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(Body::from(
            "--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"persons.csv\"\r\n\r\nperson_id\r\n--x--\r\n",
        ))
        .unwrap();
    assert_error(&app.send(upload).await, StatusCode::FORBIDDEN, "cross_site");
    let jobs = app.get("/api/imports", Some(&admin)).await.body;
    assert_eq!(jobs, json!([]), "no import started");

    // The pages' own requests, and machines (no Origin), go through.
    let r = app
        .send(accept(
            Some("http://127.0.0.1:8080"),
            Some("same-origin"),
            "application/json",
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "accepted");
}

/// An alert of a subject the registries do not resolve (a visitor's ID number, a phone), in
/// full, as an analyst who reveals sees it.
async fn unresolved_alert(app: &TestApp, analyst: &str) -> String {
    let page = app
        .get(
            "/api/alerts?purpose=x&limit=500&reveal=true&q=:",
            Some(analyst),
        )
        .await
        .body;
    page["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["subject"].as_str().unwrap().to_owned())
        .find(|s| s.contains(':'))
        .expect("an alert of an unresolved subject")
}

// Guards: a viewer read a person's record as /api/alerts/PHONE:… and /api/alerts/<ID number>;
// the alert list and the unrouted queue showed unresolved subjects' numbers in full.
#[tokio::test]
async fn a_viewer_reads_no_persons_record_by_any_spelling() {
    let app = spawn();
    let a = app.login("analyst").await;
    let unresolved = unresolved_alert(&app, &a).await;
    let registered = app.alerted_subject(&app.grid, true);
    let full_id = app
        .get(
            &format!("/api/persons/{registered}?purpose=x&reveal=true"),
            Some(&a),
        )
        .await
        .body["person"]["id_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = app.login("viewer").await;
    for subject in [
        unresolved.clone(),
        unresolved.to_uppercase(),
        full_id.clone(),
        registered.clone(),
    ] {
        let r = app
            .get(&format!("/api/alerts/{subject}?purpose=check"), Some(&v))
            .await;
        assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    }

    // Lists mask an unresolved subject's number like a registered person's, and give a ref.
    let list = app
        .get("/api/alerts?purpose=x&limit=500&q=:", Some(&v))
        .await
        .body;
    let shown: Vec<&Value> = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["subject"].as_str().unwrap().contains(':'))
        .collect();
    assert!(!shown.is_empty());
    for a in &shown {
        let s = a["subject"].as_str().unwrap();
        assert!(s.contains('*'), "masked: {s}");
        assert!(a["ref"].as_str().unwrap().starts_with('~'), "{a}");
    }
    assert!(
        !list
            .to_string()
            .contains(unresolved.split(':').nth(1).unwrap())
    );
    // The ref opens the alert for a role that may read it, still masked.
    let masked = app
        .get("/api/alerts?purpose=x&limit=500&q=:", Some(&a))
        .await
        .body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["subject"].as_str().unwrap().contains('*'))
        .cloned()
        .unwrap();
    let r = app
        .get(
            &format!("/api/alerts/{}?purpose=x", masked["ref"].as_str().unwrap()),
            Some(&a),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["alert"]["subject"], masked["subject"]);
    // The task board's unrouted queue masks too.
    let queue = app
        .get("/api/tasks?purpose=x&unrouted=true&limit=500", Some(&a))
        .await
        .body;
    for t in queue["tasks"].as_array().unwrap() {
        let s = t["subject"].as_str().unwrap();
        assert!(!s.contains(':') || s.contains('*'), "masked: {s}");
    }
}

// Guards: a grid worker learnt who exists outside their grids ("is not in your grids" for a
// person who exists, "is not known" for one who does not; tasks likewise).
#[tokio::test]
async fn a_grid_worker_cannot_tell_who_exists_outside_their_grids() {
    let app = spawn();
    let a = app.login("analyst").await;
    let outsider = app.alerted_subject(&app.grid, false);
    let outsider_id = app
        .get(
            &format!("/api/persons/{outsider}?purpose=x&reveal=true"),
            Some(&a),
        )
        .await
        .body["person"]["id_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let nobody = tracegrid_model::IdNumber::complete("11010519491231999");
    let w = app.login("wang").await;
    let answer = |subject: &str| {
        let app = &app;
        let w = &w;
        let subject = subject.to_owned();
        async move {
            let r = app
                .get(&format!("/api/persons/{subject}?purpose=x"), Some(w))
                .await;
            (
                r.status,
                r.body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .replace(&subject, "…"),
            )
        }
    };
    let existing = answer(&outsider_id).await;
    let missing = answer(&nobody).await;
    assert_eq!(existing.0, StatusCode::NOT_FOUND);
    assert_eq!(existing, missing);

    let theirs = first_task(&app, &a, &app.other_grid).await;
    let task = |id: i64| {
        let app = &app;
        let w = &w;
        async move {
            let r = app
                .get(&format!("/api/tasks/{id}?purpose=x"), Some(w))
                .await;
            (
                r.status,
                r.body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .replace(&id.to_string(), "…"),
            )
        }
    };
    assert_eq!(task(theirs).await, task(99_999_999).await);
    assert_eq!(task(theirs).await.0, StatusCode::NOT_FOUND);
}

// Guards: role refusals, a viewer's reveal, writes refused on another grid's task, refused
// photo reads and failed logins left no trace in the audit log.
#[tokio::test]
async fn every_refusal_is_audited() {
    let app = spawn();
    let a = app.login("analyst").await;
    let theirs = first_task(&app, &a, &app.other_grid).await;
    let insider = app.alerted_subject(&app.grid, true);

    let w = app.login("wang").await;
    let r = app
        .get(&format!("/api/trace/{insider}?purpose=visit"), Some(&w))
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = app
        .post(&format!("/api/tasks/{theirs}/accept"), Some(&w), &json!({}))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = app
        .get(
            &format!("/api/tasks/{theirs}/photos/1?purpose=look"),
            Some(&w),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let actions: Vec<String> = audit_of(&app, "wang")
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions[..3],
        ["photo.denied", "task.denied", "forbidden"],
        "{actions:?}"
    );
    let trace = audit_of(&app, "wang").await[2].clone();
    assert_eq!(trace["target"], format!("GET /api/trace/{insider}"));
    assert_eq!(trace["purpose"], "visit");

    let v = app.login("viewer").await;
    let r = app.get("/api/alerts?purpose=x&reveal=true", Some(&v)).await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        audit_of(&app, "viewer").await[0]["action"],
        "reveal.forbidden"
    );

    let r = app
        .post(
            "/api/session",
            None,
            &json!({"username": "analyst", "password": "not the password"}),
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "unauthenticated");
    let failed = audit_of(&app, "analyst").await;
    assert_eq!(failed[0]["action"], "login.failed");
    assert_eq!(failed[0]["target"], "analyst");
}

// Guards: the small things: caching of people's data, sniffing, referrers, Retry-After, public
// metrics, anything accepted as a photo, a plain-text 400.
#[tokio::test]
async fn answers_carry_their_headers_and_errors_their_shape() {
    let app = spawn();
    let a = app.login("analyst").await;
    let r = app.get("/api/overview", Some(&a)).await;
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    for path in ["/api/overview", "/"] {
        let r = app.get(path, Some(&a)).await;
        assert_eq!(
            r.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{path}"
        );
        assert_eq!(r.headers[header::REFERRER_POLICY], "no-referrer", "{path}");
    }

    assert_error(
        &app.get("/metrics", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_error(
        &app.get("/metrics", Some(&a)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let admin = app.login("admin").await;
    assert_eq!(
        app.get("/metrics", Some(&admin)).await.status,
        StatusCode::OK
    );

    assert_error(
        &app.get("/api/tasks/abc?purpose=x", Some(&a)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );

    let w = app.login("wang").await;
    let id = first_task(&app, &w, &app.grid).await;
    let fake = Request::post(format!("/api/tasks/{id}/photos"))
        .header(header::COOKIE, &w)
        .header(header::CONTENT_TYPE, "image/png")
        .body(Body::from("<script>alert(1)</script>"))
        .unwrap();
    assert_error(
        &app.send(fake).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );

    for _ in 0..5 {
        app.post(
            "/api/session",
            None,
            &json!({"username": "epi", "password": "wrong wrong"}),
        )
        .await;
    }
    let r = app
        .post(
            "/api/session",
            None,
            &json!({"username": "epi", "password": PASSWORD}),
        )
        .await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let wait: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((60..=15 * 60).contains(&wait), "{wait}");
}

/// A server on a socket (port chosen by the system), stopped when the guard drops.
struct Listening {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Listening {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn listening(adjust: impl FnOnce(&mut tracegrid_server::Config)) -> Listening {
    let Restarted { app, dir } = spawn_with(adjust).restart();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve_until(listener, async {
        let _ = stopped.await;
    }));
    Listening {
        addr,
        stop: Some(stop),
        _dir: dir,
    }
}

/// Reads until the server closes or `limit` passes; what was read and whether it closed.
fn read_until_closed(s: &mut std::net::TcpStream, limit: Duration) -> (String, bool) {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&got).into_owned(), true);
            }
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

// Guards: a connection sending its headers slowly was held indefinitely; connections were not
// capped; a large body was read before anyone checked who sent it.
#[tokio::test(flavor = "multi_thread")]
async fn slow_clients_are_cut_off_and_large_bodies_unread() {
    let server = listening(|c| c.header_timeout_seconds = 1).await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        // Headers that never finish: the connection is closed after the header timeout.
        let started = Instant::now();
        let mut slow = std::net::TcpStream::connect(addr).unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
        let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(30));
        assert!(closed, "the slow connection is closed");
        assert!(started.elapsed() >= Duration::from_millis(900));

        // A body announced as a gigabyte, without credentials: refused at once, unread.
        let mut big = std::net::TcpStream::connect(addr).unwrap();
        big.write_all(
            b"POST /api/imports HTTP/1.1\r\nHost: t\r\nContent-Type: application/zip\r\n\
              Content-Length: 1000000000\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        let (reply, _) = read_until_closed(&mut big, Duration::from_secs(30));
        assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    })
    .await
    .unwrap();
}

// Guards: connections were not capped.
#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_cap_wait_their_turn() {
    let server = listening(|c| c.max_connections = 2).await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        let request = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(request).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut buf = [0u8; 12];
            s.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"HTTP/1.1 200");
            held.push(s);
        }
        let mut third = std::net::TcpStream::connect(addr).unwrap();
        third.write_all(request).unwrap();
        third
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut buf = [0u8; 12];
        assert!(
            third.read_exact(&mut buf).is_err(),
            "not served while two are open"
        );
        drop(held);
        third
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        third.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
    })
    .await
    .unwrap();
}

// Guards (the attack on every route): a login body sent a byte at a time held a connection
// for ten minutes.
#[tokio::test(flavor = "multi_thread")]
async fn a_small_body_sent_slowly_is_cut_off() {
    let server = listening(|c| c.small_body_timeout_seconds = 1).await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(
            b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Content-Length: 100000\r\nConnection: close\r\n\r\n{",
        )
        .unwrap();
        let (reply, closed) = read_until_closed(&mut s, Duration::from_secs(30));
        assert!(closed, "{reply}");
        assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
        assert!(started.elapsed() < Duration::from_secs(20));
    })
    .await
    .unwrap();
}

// Guards: `q=` matched the hidden digits of a masked phone, and a ref's 16-bit check could be
// reversed offline to them.
#[tokio::test]
async fn masked_numbers_cannot_be_searched_or_reversed() {
    let app = spawn();
    let a = app.login("analyst").await;
    let full = unresolved_alert(&app, &a).await;
    let (ty, value) = full.split_once(':').unwrap();
    let v = app.login("viewer").await;
    // The hidden middle of the number, as a search.
    let hidden = &value[value.len() - 8..value.len() - 4];
    let r = app
        .get(
            &format!(
                "/api/alerts?purpose=x&limit=500&q={ty}:{}",
                &value[..value.len() - 4]
            ),
            Some(&v),
        )
        .await
        .body;
    assert_eq!(
        r["total"], 0,
        "a search on {hidden} in hidden digits finds nothing"
    );
    let masked = app
        .get("/api/alerts?purpose=x&limit=500&q=:", Some(&v))
        .await
        .body["alerts"][0]["ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let (id, check) = masked.trim_start_matches('~').split_once('.').unwrap();
    assert!(check.len() >= 16, "a 64-bit check: {masked}");
    // A ref whose check is guessed names no one.
    let forged = format!("~{id}.{:016x}", u64::from_str_radix(check, 16).unwrap() ^ 1);
    assert_error(
        &app.get(&format!("/api/alerts/{forged}?purpose=x"), Some(&a))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

// Guards: a grid worker's look at someone who does not exist answered before any audit write,
// faster than a look at someone outside their grids (which waited for one).
#[tokio::test]
async fn a_grid_workers_look_at_no_one_is_written_like_a_look_outside() {
    let app = spawn();
    let w = app.login("wang").await;
    let nobody = tracegrid_model::IdNumber::complete("11010519491231999");
    let r = app
        .get(&format!("/api/persons/{nobody}?purpose=x"), Some(&w))
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = app.get("/api/tasks/99999999?purpose=x", Some(&w)).await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let log = audit_of(&app, "wang").await;
    assert_eq!(log[0]["action"], "task.denied");
    assert_eq!(log[0]["target"], "task 99999999");
    assert_eq!(log[1]["action"], "person.denied");
    assert_eq!(log[1]["target"], nobody.as_str());
}

// Guards: the answers to changes (an area, a case) named unresolved subjects in full, and a
// task change answered with a person's record and left no audit entry.
#[tokio::test]
async fn changes_mask_what_they_name_and_task_changes_are_audited() {
    let app = spawn();
    let a = app.login("analyst").await;
    let r = app
        .post(
            "/api/areas",
            Some(&a),
            &json!({"area_id": "ALL", "region_code": "330800", "from": "2020-01-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let named: Vec<&str> = r.body["changed"]["new_alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .filter(|s| s.contains(':'))
        .collect();
    assert!(!named.is_empty(), "visitors are among the new alerts");
    assert!(named.iter().all(|s| s.contains('*')), "{named:?}");

    let id = first_task(&app, &a, &app.grid).await;
    let r = app
        .post(&format!("/api/tasks/{id}/accept"), Some(&a), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let log = audit_of(&app, "analyst").await;
    assert_eq!(log[0]["action"], "task.change");
    assert_eq!(log[0]["purpose"], "work a task");
}

// Guards: refusals of a logged-in user's cross-site request went unwritten; a same-site page's
// <img> could read (and be audited) in the user's name; a page on a rebound name was answered.
#[tokio::test]
async fn cross_site_reads_and_rebound_names_are_refused() {
    let app = spawn();
    let a = app.login("analyst").await;
    let subject = app.alerted_subject(&app.grid, true);
    let img = Request::get(format!("/api/persons/{subject}?purpose=x&reveal=true"))
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::COOKIE, &a)
        .header("sec-fetch-site", "same-site")
        .body(Body::empty())
        .unwrap();
    assert_error(&app.send(img).await, StatusCode::FORBIDDEN, "cross_site");
    let log = audit_of(&app, "analyst").await;
    assert_eq!(log[0]["action"], "cross_site");

    // A page that rebinds its name to this machine: refused where the names are configured.
    let named = spawn_with(|c| c.allowed_hosts = vec!["cc.example.gov".into()]);
    let rebound = Request::get("/healthz")
        .header(header::HOST, "evil.example:8080")
        .body(Body::empty())
        .unwrap();
    assert_error(
        &named.send(rebound).await,
        StatusCode::FORBIDDEN,
        "cross_site",
    );
    let right = Request::get("/healthz")
        .header(header::HOST, "cc.example.gov")
        .body(Body::empty())
        .unwrap();
    assert_eq!(named.send(right).await.status, StatusCode::OK);
    let head = Request::head("/healthz").body(Body::empty()).unwrap();
    assert_eq!(
        app.send(head).await.status,
        StatusCode::OK,
        "HEAD is GET's rule"
    );
}

// Guards: a gate guard could walk the whole registry through the gate check; one user could
// hold every connection with event streams.
#[tokio::test]
async fn a_guard_cannot_sweep_the_city_nor_a_user_hold_every_stream() {
    let app = spawn();
    let g = app.login("guard").await;
    let subject = app.alerted_subject(&app.grid, true);
    let path = format!("/api/gates/{}/check?subject={subject}", app.gate);
    for _ in 0..tracegrid_server::GATE_CHECKS_PER_MINUTE {
        assert_eq!(app.get(&path, Some(&g)).await.status, StatusCode::OK);
    }
    let r = app.get(&path, Some(&g)).await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "busy");
    assert!(r.headers.contains_key(header::RETRY_AFTER));

    let w = app.login("wang").await;
    let mut open = Vec::new();
    for _ in 0..tracegrid_server::auth::MAX_STREAMS_PER_USER {
        let res = tower::ServiceExt::oneshot(
            app.router.clone(),
            Request::get("/api/events")
                .header(header::COOKIE, &w)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        open.push(res);
    }
    let r = app.get("/api/events", Some(&w)).await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "busy");
    drop(open);
    let res = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::get("/api/events")
            .header(header::COOKIE, &w)
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a closed stream gives its slot back"
    );
}
