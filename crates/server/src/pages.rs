//! The web pages: one HTML shell and its script, which draws every page from the same API that
//! machines use, so that the role and scope checks live in one place (the handlers). Files are
//! compiled into the binary; ECharts is vendored (see `assets/vendor/VENDOR.md`), nothing is
//! fetched from elsewhere.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

const INDEX: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");
const API_HTML: &str = include_str!("../assets/api.html");
const ECHARTS: &str = include_str!("../assets/vendor/echarts.min.js");

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
    Router::new()
        .route("/", get(html(INDEX)))
        .route("/api/docs", get(html(API_HTML)))
        .route(
            "/assets/app.js",
            get(asset(APP_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/assets/app.css",
            get(asset(APP_CSS, "text/css; charset=utf-8")),
        )
        .route(
            "/assets/vendor/echarts.min.js",
            get((
                [
                    (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                    (header::CACHE_CONTROL, "public, max-age=86400"),
                ],
                ECHARTS,
            )),
        )
}
