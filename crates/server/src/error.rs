//! One error type for every handler, turned into a response at the boundary. Its body has one
//! stable shape, `{"error": {"code": "...", "message": "..."}}`: `code` is for programs and never
//! changes meaning, `message` is for people. Internal failures are logged with their cause and
//! answered with a generic message, so nothing of the store's insides reaches a client.
//!
//! Every rejection of axum's extractors (a bad path, query or body) comes through
//! [`crate::extract`] into this shape too, so a client never meets a plain-text error.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tracegrid_city::CityError;
use utoipa::ToSchema;

/// What went wrong, as a client sees it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("log in first")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    /// A state-changing request sent from another site's page.
    #[error("{0}")]
    CrossSite(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// A read of a person's data without a stated purpose.
    #[error("say why you are looking: add purpose=… to the request")]
    PurposeRequired,
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is larger than this endpoint accepts")]
    TooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("this path does not answer that method")]
    MethodNotAllowed,
    #[error("too many failed logins for this user: wait {0} minutes")]
    TooManyAttempts(i64),
    /// More at once than the server takes from one user.
    #[error("{0}")]
    Busy(String),
    /// The server cannot keep up now: send again after the given seconds.
    #[error("{0}")]
    Behind(String, u64),
    /// Something the server needs (its store) is not there now.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `unauthenticated`, `forbidden`, `cross_site`, `not_found`, `bad_request`,
    /// `purpose_required`, `conflict`, `too_large`, `unsupported_media_type`,
    /// `method_not_allowed`, `too_many_attempts`, `busy`, `behind`, `unavailable` or
    /// `internal`.
    pub code: &'static str,
    pub message: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::CrossSite(_) => (StatusCode::FORBIDDEN, "cross_site"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::PurposeRequired => (StatusCode::BAD_REQUEST, "purpose_required"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            AppError::Busy(_) => (StatusCode::TOO_MANY_REQUESTS, "busy"),
            AppError::Behind(..) => (StatusCode::TOO_MANY_REQUESTS, "behind"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// An extractor's rejection: too large stays too large, anything else is the client's to fix.
    pub fn rejected(status: StatusCode, text: String) -> AppError {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(text),
            _ => AppError::BadRequest(text),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let AppError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
            },
        };
        let mut res = (status, Json(body)).into_response();
        let retry_after = match self {
            AppError::TooManyAttempts(minutes) => Some(minutes.max(1) * 60),
            AppError::Busy(_) => Some(5),
            AppError::Behind(_, seconds) => Some(seconds.max(1) as i64),
            AppError::Unavailable(_) => Some(5),
            _ => None,
        };
        if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

impl From<tracegrid_store::StoreError> for AppError {
    fn from(e: tracegrid_store::StoreError) -> AppError {
        CityError::from(e).into()
    }
}

impl From<tracegrid_city::FeedError> for AppError {
    fn from(e: tracegrid_city::FeedError) -> AppError {
        use tracegrid_city::FeedError;
        let message = e.to_string();
        match e {
            FeedError::UnknownKind(_) => AppError::NotFound(message),
            FeedError::Unreadable(_) => AppError::BadRequest(message),
            FeedError::Busy { retry_after } => AppError::Behind(message, retry_after),
            FeedError::Store(_) | FeedError::Stopped => AppError::Unavailable(message),
        }
    }
}

impl From<CityError> for AppError {
    fn from(e: CityError) -> AppError {
        match e {
            CityError::Invalid(m) => AppError::BadRequest(m),
            CityError::NotFound(m) => AppError::NotFound(m),
            CityError::Conflict(m) => AppError::Conflict(m),
            e => AppError::Internal(e.into()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
