//! The web pages: one HTML shell and its ES modules, which draw every page from the same API that
//! machines use, so that the role and scope checks live in one place (the handlers). Files are
//! compiled into the binary; ECharts is vendored (see `assets/vendor/VENDOR.md`), nothing is
//! fetched from elsewhere. There is no build step: the browser loads `assets/js/main.js` and the
//! modules it imports as they are written.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

const INDEX: &str = include_str!("../assets/index.html");
const APP_CSS: &str = include_str!("../assets/app.css");
const API_HTML: &str = include_str!("../assets/api.html");
const ECHARTS: &str = include_str!("../assets/vendor/echarts.min.js");

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Pairs each module's path under `assets/js/` with its text.
macro_rules! modules {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../assets/js/", $path)))),*]
    };
}

/// The command centre's modules, served at `/assets/js/<path>`. A module left out of this list
/// answers the API's JSON 404.
const MODULES: &[(&str, &str)] = modules![
    "main.js",
    "core.js",
    "task-cards.js",
    "i18n/zh.js",
    "i18n/en.js",
    "pages/login.js",
    "pages/overview.js",
    "pages/alerts.js",
    "pages/alert.js",
    "pages/trace.js",
    "pages/areas.js",
    "pages/import.js",
    "pages/audit.js",
    "pages/gate.js",
    "pages/tasks.js",
    "pages/task.js",
    "pages/residents.js",
    "pages/board.js",
    "pages/api-docs.js",
];

fn asset(body: &'static str, mime: &'static str) -> impl IntoResponse + Clone {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
}

fn html(body: &'static str) -> impl IntoResponse + Clone {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        body,
    )
}

pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(html(INDEX)))
        .route("/api/docs", get(html(API_HTML)))
        .route(
            "/assets/app.css",
            get(asset(APP_CSS, "text/css; charset=utf-8")),
        )
        .route(
            "/assets/vendor/echarts.min.js",
            get((
                [
                    (header::CONTENT_TYPE, JAVASCRIPT),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                ECHARTS,
            )),
        );
    MODULES.iter().fold(pages, |pages, &(path, body)| {
        pages.route(&format!("/assets/js/{path}"), get(asset(body, JAVASCRIPT)))
    })
}
