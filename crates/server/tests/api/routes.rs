//! Every route as every role: generated from the router's own route list (the OpenAPI document,
//! which `utoipa-axum` builds from the same registrations that make the router) and the rows of
//! docs/SERVER.md's route table, and held to that table. A route added without a row, a row
//! without a route, and a role let through (or kept out) against the table all fail here.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::*;

const ROLES: [&str; 7] = [
    "admin",
    "analyst",
    "epidemiologist",
    "grid_worker",
    "gate_guard",
    "viewer",
    "feeder",
];

/// The user the test logs in as for a role.
fn user_of(role: &str) -> &'static str {
    match role {
        "admin" => "admin",
        "analyst" => "analyst",
        "epidemiologist" => "epi",
        "grid_worker" => "wang",
        "gate_guard" => "guard",
        "viewer" => "viewer",
        _ => "feeder",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum May {
    Public,
    Yes,
    /// Yes, within the user's grids or gates.
    Own,
    No,
}

/// docs/SERVER.md's route table: "METHOD /path" → the cell of each role.
fn table() -> BTreeMap<String, Vec<May>> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/SERVER.md"))
        .unwrap();
    let after = doc
        .split("<!-- route table")
        .nth(1)
        .expect("docs/SERVER.md has the route table");
    let mut rows = BTreeMap::new();
    let mut lines = after.lines().skip(1);
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(header[1..], ROLES, "the table's columns are the roles");
    for line in lines.skip(1) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let route = cells[1].trim_matches('`').to_owned();
        let mays = cells[2..2 + ROLES.len()]
            .iter()
            .map(|c| match *c {
                "public" => May::Public,
                "✔" => May::Yes,
                "own grids" | "own gates" => May::Own,
                "" => May::No,
                other => panic!("{route}: a cell says {other:?}"),
            })
            .collect();
        assert!(rows.insert(route.clone(), mays).is_none(), "{route} twice");
    }
    rows
}

/// Every route the router serves, by its own list; the assets stand under one row.
fn routes() -> BTreeSet<String> {
    tracegrid_server::api::route_list()
        .into_iter()
        .map(|r| {
            if r.starts_with("GET /assets/") {
                "GET /assets/{file}".to_owned()
            } else {
                r
            }
        })
        .collect()
}

/// The ids a route's path is filled with: inside the grid worker's scope, or outside it.
struct Ids {
    subject: String,
    task: i64,
    gate: String,
    place: String,
    area: String,
    grid: String,
}

async fn ids(app: &TestApp, inside: bool) -> Ids {
    let a = app.login("analyst").await;
    let grid = if inside { &app.grid } else { &app.other_grid };
    let tasks = app
        .get(
            &format!("/api/tasks?purpose=route+test&grid={grid}"),
            Some(&a),
        )
        .await
        .body;
    let areas = app.get("/api/areas", Some(&a)).await.body;
    Ids {
        subject: app.alerted_subject(&app.grid, inside),
        task: tasks["tasks"][0]["id"]
            .as_i64()
            .expect("a task in the grid"),
        gate: if inside {
            app.gate.clone()
        } else {
            "GATE-ELSEWHERE".into()
        },
        place: app.gate.clone(),
        area: areas[0]["area_id"].as_str().unwrap_or("A1").to_owned(),
        grid: grid.clone(),
    }
}

fn fill(route: &str, ids: &Ids) -> (Method, String) {
    let (method, path) = route.split_once(' ').unwrap();
    let mut path = path
        .replace("{subject}", &ids.subject)
        .replace(
            "{place_id}",
            if path.contains("gates") {
                &ids.gate
            } else {
                &ids.place
            },
        )
        .replace("{area_id}", &ids.area)
        .replace("{photo}", "1")
        .replace("{kind}", "gate_access")
        .replace("{file}", "vendor/echarts.min.js");
    path = if path.starts_with("/api/imports/") {
        path.replace("{id}", "no-such-import")
    } else {
        path.replace("{id}", &ids.task.to_string())
    };
    let query = if path == "/api/residents" {
        format!("?purpose=route+test&grid={}", ids.grid)
    } else {
        "?purpose=route+test".to_owned()
    };
    (method.parse().unwrap(), format!("{path}{query}"))
}

/// A request whose body no handler accepts: the guard's decision is what is tested, and a
/// role let through gets a 4xx of the handler, never a change of consequence.
fn request(method: Method, uri: &str, route: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(method.clone()).uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    if method == Method::POST {
        let (ty, body): (&str, &[u8]) = if route.ends_with("/photos") {
            ("image/jpeg", b"not a jpeg")
        } else if route == "POST /api/imports" {
            ("application/zip", b"not a zip")
        } else {
            ("application/json", b"[]")
        };
        b = b.header(header::CONTENT_TYPE, ty);
        return b.body(Body::from(body.to_vec())).unwrap();
    }
    b.body(Body::empty()).unwrap()
}

/// The status of a request; the body is not read (an event stream never ends).
async fn status(app: &TestApp, req: Request<Body>) -> StatusCode {
    app.router.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_table_says() {
    let app = spawn();
    let table = table();
    let served = routes();
    assert!(served.len() > 30, "{served:?}");
    let documented: BTreeSet<String> = table.keys().cloned().collect();
    assert_eq!(
        served.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "routes served without a row in docs/SERVER.md's route table"
    );
    assert_eq!(
        documented.difference(&served).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "rows of docs/SERVER.md's route table that the router does not serve"
    );
    let inside = ids(&app, true).await;
    let outside = ids(&app, false).await;
    let mut cookies = Vec::new();
    for role in ROLES {
        cookies.push(app.login(user_of(role)).await);
    }
    let mut checked = 0;
    for (route, mays) in &table {
        let (method, uri) = fill(route, &inside);
        let anonymous = status(&app, request(method.clone(), &uri, route, None)).await;
        let public = mays.iter().all(|m| *m == May::Public);
        if public {
            assert!(
                ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&anonymous),
                "{route} is public, answered {anonymous} to nobody"
            );
        } else {
            assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{route} to nobody");
        }
        for ((role, may), cookie) in ROLES.iter().zip(mays).zip(&cookies) {
            // Logging out ends the session it is sent with: that one is a fresh login.
            let cookie = if route == "DELETE /api/session" {
                &app.login(user_of(role)).await
            } else {
                cookie
            };
            let mut methods = vec![method.clone()];
            // HEAD is answered as GET is (an event stream is not opened twice).
            if method == Method::GET && !route.ends_with("/api/events") {
                methods.push(Method::HEAD);
            }
            for m in methods {
                let got = status(&app, request(m.clone(), &uri, route, Some(cookie))).await;
                match may {
                    May::No => assert_eq!(got, StatusCode::FORBIDDEN, "{m} {route} as {role}"),
                    _ => assert!(
                        ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&got),
                        "{m} {route} as {role}: {got}"
                    ),
                }
            }
            checked += 1;
        }
        // The scoped roles, on another grid's person, task or grid, or at another gate.
        let (method, uri) = fill(route, &outside);
        for ((role, may), cookie) in ROLES.iter().zip(mays).zip(&cookies) {
            if *may != May::Own || uri == fill(route, &inside).1 {
                continue;
            }
            let got = status(&app, request(method.clone(), &uri, route, Some(cookie))).await;
            let expected = if *role == "gate_guard" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(got, expected, "{route} as {role} outside their scope");
        }
    }
    assert_eq!(checked, table.len() * ROLES.len());
    // Lists of a scoped role hold their scope only.
    let w = &cookies[3];
    let list: Value = app
        .get(
            &format!("/api/tasks?purpose=x&grid={}", app.other_grid),
            Some(w),
        )
        .await
        .body;
    assert_eq!(list["total"], 0, "{list}");
}
