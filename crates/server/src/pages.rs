//! The web pages: one HTML shell and its ES modules, which draw every page from the same API that
//! machines use, so that the role and scope checks live in one place (the guard, on the server). Files are
//! compiled into the binary; ECharts is vendored (see `assets/vendor/VENDOR.md`), nothing is
//! fetched from elsewhere. There is no build step: the browser loads `assets/js/main.js` and the
//! modules it imports as they are written.

use std::path::PathBuf;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

const INDEX: &str = include_str!("../assets/index.html");
const APP_CSS: &str = include_str!("../assets/app.css");
const API_HTML: &str = include_str!("../assets/api.html");
const ECHARTS: &str = include_str!("../assets/vendor/echarts.min.js");
const JSQR: &str = include_str!("../assets/vendor/jsQR.js");
const RESIDENT_HTML: &str = include_str!("../assets/resident.html");
const VISIT_HTML: &str = include_str!("../assets/visit.html");
const SELF_CSS: &str = include_str!("../assets/self.css");

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Pairs each module's path under `assets/js/` with its text.
macro_rules! modules {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../assets/js/", $path)))),*]
    };
}

/// The command centre's modules, served at `/assets/js/<path>`. A module left out of this list
/// answers the API's JSON 404 (and the test below fails).
const MODULES: &[(&str, &str)] = modules![
    "main.js",
    "core.js",
    "task-cards.js",
    "i18n/zh.js",
    "i18n/en.js",
    "i18n/map.js",
    "i18n/trace.js",
    "i18n/errors.js",
    "i18n/users.js",
    "i18n/work.js",
    "i18n/areas.js",
    "i18n/found.js",
    "citymap.js",
    "pages/users.js",
    "pages/login.js",
    "pages/overview.js",
    "pages/alerts.js",
    "pages/alert.js",
    "pages/trace.js",
    "pages/areas.js",
    "pages/import.js",
    "pages/feeds.js",
    "pages/audit.js",
    "pages/gate.js",
    "pages/tasks.js",
    "pages/task.js",
    "pages/residents.js",
    "pages/board.js",
    "pages/found.js",
    "pages/api-docs.js",
    "resident.js",
    "visit.js",
];

/// The directory to read pages and modules from on every request instead of the copies compiled
/// in, when `TRACEGRID_ASSETS_DIR` names one (normally `crates/server/assets`): for working on
/// the pages, so that a change shows on reload without a rebuild. Module paths are checked to stay
/// inside it. Not for a deployment: the compiled copies are what the tests checked.
fn assets_dir() -> Option<PathBuf> {
    std::env::var_os("TRACEGRID_ASSETS_DIR").map(PathBuf::from)
}

/// The headers of one kind of answer, made once.
type Headers = &'static [(HeaderName, &'static str)];

const JS_HEADERS: Headers = &[
    (header::CONTENT_TYPE, JAVASCRIPT),
    (header::CACHE_CONTROL, "no-cache"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

const CSS_HEADERS: Headers = &[
    (header::CONTENT_TYPE, "text/css; charset=utf-8"),
    (header::CACHE_CONTROL, "no-cache"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

const HTML_HEADERS: Headers = &[
    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
    (header::CACHE_CONTROL, "no-cache"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
];

fn with_headers(headers: Headers, body: impl IntoResponse) -> Response {
    let mut r = body.into_response();
    for (name, value) in headers {
        r.headers_mut()
            .insert(name.clone(), HeaderValue::from_static(value));
    }
    r
}

/// `body` as compiled in, or `rel` read from the assets directory when one is set.
fn served<S: Clone + Send + Sync + 'static>(
    headers: Headers,
    body: &'static str,
    rel: String,
) -> MethodRouter<S> {
    match assets_dir() {
        None => get(move || async move { with_headers(headers, body) }),
        Some(dir) => get(move || {
            let (dir, rel) = (dir.clone(), rel.clone());
            async move { from_disk(&dir, &rel, headers) }
        }),
    }
}

fn from_disk(dir: &std::path::Path, rel: &str, headers: Headers) -> Response {
    if rel.split('/').any(|p| p == ".." || p.is_empty()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match std::fs::read(dir.join(rel)) {
        Ok(bytes) => with_headers(headers, bytes),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn asset<S: Clone + Send + Sync + 'static>(
    body: &'static str,
    rel: &str,
    headers: Headers,
) -> MethodRouter<S> {
    served(headers, body, rel.to_string())
}

fn html<S: Clone + Send + Sync + 'static>(body: &'static str, rel: &str) -> MethodRouter<S> {
    served(HTML_HEADERS, body, rel.to_string())
}

fn vendored<S: Clone + Send + Sync + 'static>(body: &'static str) -> MethodRouter<S> {
    get(move || async move {
        (
            [
                (header::CONTENT_TYPE, JAVASCRIPT),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            body,
        )
    })
}

/// Every page and asset with what answers it: the router serves these, and the route list
/// (`crate::api::route_list`) names them.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Vec<(String, MethodRouter<S>)> {
    let mut routes: Vec<(String, MethodRouter<S>)> = vec![
        ("/".into(), html(INDEX, "index.html")),
        ("/api/docs".into(), html(API_HTML, "api.html")),
        ("/me".into(), html(RESIDENT_HTML, "resident.html")),
        ("/visit".into(), html(VISIT_HTML, "visit.html")),
        (
            "/assets/self.css".into(),
            asset(SELF_CSS, "self.css", CSS_HEADERS),
        ),
        ("/assets/vendor/jsQR.js".into(), vendored(JSQR)),
        (
            "/assets/app.css".into(),
            asset(APP_CSS, "app.css", CSS_HEADERS),
        ),
        ("/assets/vendor/echarts.min.js".into(), vendored(ECHARTS)),
    ];
    routes.extend(MODULES.iter().map(|&(path, body)| {
        (
            format!("/assets/js/{path}"),
            asset(body, &format!("js/{path}"), JS_HEADERS),
        )
    }));
    if let Some(dir) = assets_dir() {
        // A module written since the build, not yet in MODULES.
        routes.push((
            "/assets/js/{*path}".into(),
            get(
                move |axum::extract::Path(path): axum::extract::Path<String>| {
                    let dir = dir.clone();
                    async move { from_disk(&dir, &format!("js/{path}"), JS_HEADERS) }
                },
            ),
        ));
    }
    routes
}

#[cfg(test)]
pub fn router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    routes()
        .into_iter()
        .fold(axum::Router::new(), |r, (path, answer)| {
            r.route(&path, answer)
        })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    use super::{MODULES, router};

    /// Every `.js` file under `dir`, as a path relative to `root` with `/` between folders.
    fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "js") {
                let rel = path.strip_prefix(root).unwrap();
                let parts: Vec<_> = rel.iter().map(|p| p.to_str().unwrap()).collect();
                out.push(parts.join("/"));
            }
        }
    }

    #[test]
    fn every_module_is_listed_and_every_import_is_served() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/js");
        let mut on_disk = Vec::new();
        files(&root, &root, &mut on_disk);
        let mut listed: Vec<String> = MODULES.iter().map(|(p, _)| p.to_string()).collect();
        on_disk.sort();
        listed.sort();
        assert_eq!(on_disk, listed, "assets/js and MODULES differ");
        for (path, body) in MODULES {
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            for spec in body.split(" from '").skip(1) {
                let spec = spec.split('\'').next().unwrap();
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for part in spec.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            parts.pop().expect("an import stays inside assets/js");
                        }
                        p => parts.push(p),
                    }
                }
                let target = parts.join("/");
                assert!(
                    listed.contains(&target),
                    "{path} imports {spec}, which is not served"
                );
            }
        }
    }

    #[tokio::test]
    async fn modules_are_served_as_javascript() {
        for (path, body) in MODULES {
            let res = router::<()>()
                .oneshot(
                    Request::get(format!("/assets/js/{path}"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let h = res.headers();
            assert_eq!(h[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
            assert_eq!(h[header::CACHE_CONTROL], "no-cache");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            let got = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            assert_eq!(got, body.as_bytes(), "{path}");
        }
        let missing = router::<()>()
            .oneshot(
                Request::get("/assets/js/nowhere.js")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
}
