//! One error type for every handler, turned into a response at the boundary. Its body has one
//! stable shape, `{"error": {"code": "...", "message": "..."}}`: `code` is for programs and never
//! changes meaning, `message` is for people. Internal failures are logged with their cause and
//! answered with a generic message, so nothing of the store's insides reaches a client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// What went wrong, as a client sees it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("log in first")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Someone outside the reader's grids: answered as "not found", so that the answer does
    /// not confirm the person exists, and audited as a refused look.
    #[error("{0}")]
    OutOfScope(String),
    #[error("{0}")]
    BadRequest(String),
    /// A read of a person's data without a stated purpose.
    #[error("say why you are looking: add purpose=… to the request")]
    PurposeRequired,
    #[error("{0}")]
    Conflict(String),
    #[error("the upload is larger than this server accepts (max_upload_mb)")]
    TooLarge,
    #[error("this path does not answer that method")]
    MethodNotAllowed,
    #[error("too many failed logins for this user: wait {0} minutes")]
    TooManyAttempts(i64),
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
    /// `unauthenticated`, `forbidden`, `not_found`, `bad_request`, `purpose_required`,
    /// `conflict`, `too_large`, `method_not_allowed`, `too_many_attempts` or `internal`.
    pub code: &'static str,
    pub message: String,
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound(_) | AppError::OutOfScope(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::PurposeRequired => (StatusCode::BAD_REQUEST, "purpose_required"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
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
        (status, Json(body)).into_response()
    }
}

impl From<tracegrid_store::StoreError> for AppError {
    fn from(e: tracegrid_store::StoreError) -> AppError {
        match e {
            tracegrid_store::StoreError::Conflict(m) => AppError::Conflict(m),
            e => AppError::Internal(e.into()),
        }
    }
}

/// Rejections of axum's extractors (bad JSON, a bad query) in the same shape.
impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(e: axum::extract::rejection::JsonRejection) -> AppError {
        AppError::rejected(e.status(), e.body_text())
    }
}

impl AppError {
    /// An extractor's rejection: too large stays too large, anything else is the client's to fix.
    pub fn rejected(status: StatusCode, text: String) -> AppError {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest(text)
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(e: axum::extract::rejection::QueryRejection) -> AppError {
        AppError::BadRequest(e.body_text())
    }
}

pub type AppResult<T> = Result<T, AppError>;
