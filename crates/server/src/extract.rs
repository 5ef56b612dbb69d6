//! axum's extractors, with their rejections in the one error shape: a bad path (`/api/tasks/abc`),
//! query or JSON body answers `{"error": {"code": "bad_request", …}}` like every other error,
//! keyed so that the pages can say which field was wrong in the reader's language.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, Key, Msg};

/// A path's parameters.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| AppError::BadRequest(path_msg(&e)))
    }
}

/// A path's rejection: the parameter that would not parse, if axum says which.
pub fn path_msg(e: &PathRejection) -> Msg {
    use axum::extract::path::ErrorKind;
    let detail = e.body_text();
    match e {
        PathRejection::FailedToDeserializePathParams(f) => match f.kind() {
            ErrorKind::ParseErrorAtKey { key, value, .. } => Msg::new(Key::BadPathValue)
                .param("field", key)
                .param("value", value)
                .param("detail", detail),
            ErrorKind::ParseError { value, .. } => Msg::new(Key::BadPathValue)
                .param("value", value)
                .param("detail", detail),
            _ => Msg::new(Key::BadPath).param("detail", detail),
        },
        _ => Msg::new(Key::BadPath).param("detail", detail),
    }
}

/// A query string.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| {
                let detail = e.body_text();
                AppError::BadRequest(match field_of(&detail) {
                    Some((field, _)) => Msg::new(Key::BadQueryField)
                        .param("field", field)
                        .param("detail", detail),
                    None => Msg::new(Key::BadQuery).param("detail", detail),
                })
            })
    }
}

/// A body's bytes.
#[derive(Debug)]
pub struct Bytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Bytes {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(Bytes)
            .map_err(|e| {
                AppError::rejected(
                    e.status(),
                    Msg::new(Key::BadBody).param("detail", e.body_text()),
                )
            })
    }
}

/// A JSON body (`Content-Type: application/json`).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|j| Json(j.0))
            .map_err(|e| AppError::rejected(e.status(), json_msg(&e)))
    }
}

/// A JSON body's rejection: the field that was missing or wrong, when serde names it.
fn json_msg(e: &JsonRejection) -> Msg {
    let detail = e.body_text();
    let key = match e {
        JsonRejection::JsonDataError(_) => match field_of(&detail) {
            Some((field, Reading::Missing)) => {
                return Msg::new(Key::MissingJsonField)
                    .param("field", field)
                    .param("detail", detail);
            }
            Some((field, Reading::Wrong)) => {
                return Msg::new(Key::BadJsonField)
                    .param("field", field)
                    .param("detail", detail);
            }
            None => Key::BadJson,
        },
        JsonRejection::MissingJsonContentType(_) => Key::JsonContentType,
        JsonRejection::JsonSyntaxError(_) => Key::BadJson,
        _ => Key::BadBody,
    };
    Msg::new(key).param("detail", detail)
}

#[derive(Debug, PartialEq, Eq)]
enum Reading {
    Missing,
    Wrong,
}

/// The field a deserializer's complaint names: axum writes `<what failed>: <path>: <error>`
/// (the path by serde_path_to_error, `.` at the top), and serde `missing field `x``.
fn field_of(text: &str) -> Option<(String, Reading)> {
    let (_, rest) = text.split_once(": ")?;
    let (path, error) = match rest.split_once(": ") {
        Some((p, e)) if is_path(p) => (p, e),
        _ => (".", rest),
    };
    let path = if path == "." { "" } else { path };
    if let Some(after) = error.strip_prefix("missing field `")
        && let Some((name, _)) = after.split_once('`')
    {
        let field = if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return Some((field, Reading::Missing));
    }
    (!path.is_empty()).then(|| (path.to_owned(), Reading::Wrong))
}

fn is_path(p: &str) -> bool {
    !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complaint_names_its_field() {
        let t = "Failed to deserialize the JSON body into the target type: b[0]: missing field `y` at line 1 column 23";
        assert_eq!(field_of(t), Some(("b[0].y".into(), Reading::Missing)));
        let t = "Failed to deserialize the JSON body into the target type: missing field `username` at line 1 column 2";
        assert_eq!(field_of(t), Some(("username".into(), Reading::Missing)));
        let t = "Failed to deserialize query string: limit: invalid digit found in string";
        assert_eq!(field_of(t), Some(("limit".into(), Reading::Wrong)));
        assert_eq!(
            field_of(
                "Failed to parse the request body as JSON: EOF while parsing a value at line 1 column 0"
            ),
            None
        );
    }
}
