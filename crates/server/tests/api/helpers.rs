//! A server on a small simulated city, driven through its router without a socket. The city is
//! simulated and imported once per test binary; each test gets its own copy of the store, so
//! tests that add cases or areas do not disturb one another.

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use tracegrid_server::{App, Config, Role};

pub const PASSWORD: &str = "grid-worker-42";

/// The simulated city's store (imported once) and the moment it ends.
pub struct City {
    pub dir: PathBuf,
    pub as_of: String,
}

pub fn city() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("tracegrid-api-city-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let params = tracegrid_sim::SimParams {
            persons: 3000,
            days: 12,
            seeds: 6,
            ..Default::default()
        };
        let sim = tracegrid_sim::simulate(&params, &dir.join("drop")).unwrap();
        let store = tracegrid_store::open(dir.join("city.db").to_str().unwrap()).unwrap();
        let opts = tracegrid_ingest::Options {
            tz: chrono_tz::Asia::Shanghai,
            encoding: tracegrid_ingest::Encoding::Utf8,
            rejects: tracegrid_ingest::RejectsTarget::IfAny(dir.join("rejects.csv")),
            batch_rows: None,
        };
        let (_, store) =
            tracegrid_ingest::import(&dir.join("drop"), store, &opts, &mut ()).unwrap();
        drop(store);
        City {
            as_of: tracegrid_model::format_time(sim.end, chrono_tz::Asia::Shanghai),
            dir,
        }
    })
}

pub struct TestApp {
    pub router: axum::Router,
    pub app: App,
    pub db: String,
    /// The grid with the most alerts, which the grid worker `wang` looks after.
    pub grid: String,
    /// Another grid with alerts.
    pub other_grid: String,
    pub gate: String,
    _dir: tempfile::TempDir,
}

/// A server on a fresh copy of the city, with one user of each role (password [`PASSWORD`]):
/// admin, analyst, epi, viewer, wang (grid worker of [`TestApp::grid`]), guard (at
/// [`TestApp::gate`]) and feeder.
pub fn spawn() -> TestApp {
    spawn_with(|_| {})
}

/// [`spawn`] with the configuration changed by `adjust`.
pub fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let c = city();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    std::fs::copy(c.dir.join("city.db"), &db).unwrap();
    let db = db.to_string_lossy().into_owned();
    spawn_on(db, dir, adjust)
}

pub fn spawn_on(db: String, dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let c = city();
    let mut config = Config {
        db: db.clone(),
        as_of: Some(c.as_of.clone()),
        home_region: Some("330800".into()),
        import_dir: Some(dir.path().join("imports")),
        ..Default::default()
    };
    adjust(&mut config);
    let app = App::build(config).unwrap();
    let (grid, other_grid, gate) = {
        let live = app.state().live();
        let mut by_grid = std::collections::BTreeMap::<String, usize>::new();
        for a in live.screening.alerts() {
            if let Some(g) = live.grid_of(a.subject) {
                *by_grid.entry(g.to_owned()).or_default() += 1;
            }
        }
        let mut grids: Vec<(String, usize)> = by_grid.into_iter().collect();
        grids.sort_by_key(|(g, n)| (std::cmp::Reverse(*n), g.clone()));
        let gate = live
            .places
            .iter()
            .filter(|(id, p)| {
                id.starts_with("GATE-") && p.grid_code.as_deref() == Some(&grids[0].0)
            })
            .map(|(id, _)| id.clone())
            .next()
            .expect("a gate in the busiest grid");
        (grids[0].0.clone(), grids[1].0.clone(), gate)
    };
    let users: [(&str, Role, Vec<String>, Vec<String>); 7] = [
        ("admin", Role::Admin, vec![], vec![]),
        ("analyst", Role::Analyst, vec![], vec![]),
        ("epi", Role::Epidemiologist, vec![], vec![]),
        ("viewer", Role::Viewer, vec![], vec![]),
        ("wang", Role::GridWorker, vec![grid.clone()], vec![]),
        ("guard", Role::GateGuard, vec![], vec![gate.clone()]),
        ("feeder", Role::Feeder, vec![], vec![]),
    ];
    for (name, role, grids, gates) in users {
        tracegrid_server::add_user(&db, name, PASSWORD, role, &grids, &gates).unwrap();
    }
    TestApp {
        router: app.router(),
        app,
        db,
        grid,
        other_grid,
        gate,
        _dir: dir,
    }
}

/// A response: status, headers, body as JSON (or `Value::String` of the text).
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

/// A server started again on a test's store, the first one stopped.
pub struct Restarted {
    pub app: App,
    /// The store's directory, removed when dropped.
    pub dir: tempfile::TempDir,
}

impl TestApp {
    /// Stops this server (it holds its store while it runs) and starts another on its store.
    pub fn restart(self) -> Restarted {
        let config = self.app.state().config.clone();
        let TestApp {
            router, app, _dir, ..
        } = self;
        drop(router);
        drop(app);
        Restarted {
            app: App::build(config).unwrap(),
            dir: _dir,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Logs in; the session cookie to send.
    pub async fn login(&self, user: &str) -> String {
        let r = self
            .post(
                "/api/session",
                None,
                &serde_json::json!({"username": user, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{user} logs in: {}", r.body);
        let set = r.headers[header::SET_COOKIE].to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::get(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn post(&self, path: &str, cookie: Option<&str>, body: &Value) -> Reply {
        let mut b = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// A subject with an alert in `grid`, or outside it when `inside` is false.
    pub fn alerted_subject(&self, grid: &str, inside: bool) -> String {
        let live = self.app.state().live();
        let s = live
            .screening
            .alerts()
            .find(|a| {
                (live.grid_of(a.subject) == Some(grid)) == inside
                    && live.grid_of(a.subject).is_some()
            })
            .expect("an alert");
        live.world.subject_name(s.subject).to_owned()
    }
}

/// Asserts the stable error shape and its code.
pub fn assert_error(r: &Reply, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["error"]["code"], code, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        r.body
    );
    // The pages translate the key; its params are strings.
    assert!(
        r.body["error"]["key"]
            .as_str()
            .is_some_and(|k| !k.is_empty())
            && r.body["error"]["params"]
                .as_object()
                .is_some_and(|p| p.values().all(Value::is_string)),
        "{}",
        r.body
    );
}
