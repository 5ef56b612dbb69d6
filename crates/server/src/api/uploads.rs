//! Data drops uploaded through the API: a zip, or the files themselves as multipart form data.
//! The import runs in the background; its job is polled for progress and its rejects downloaded.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{AppError, AppResult, ErrorBody, Key, Msg};
use crate::extract::{Path, Query};
use crate::guard::{Access, AuditNote};
use crate::imports::{ImportJob, ImportState, Progress, lock, safe_name, unzip};
use crate::state::{AppState, blocking};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// utf-8 (default) or gb18030.
    pub encoding: Option<String>,
}

/// Uploads a data drop and starts importing it. Send a zip (`Content-Type: application/zip`)
/// or the drop's files as `multipart/form-data`. Answers at once with the job to watch.
#[utoipa::path(post, path = "/api/imports", tag = "imports", params(UploadQuery),
    request_body(description = "The drop as a zip; or multipart/form-data with one part per file", content(
        (crate::views::Binary = "application/zip"), (crate::views::Binary = "multipart/form-data"))),
    responses((status = 202, body = ImportJob), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    access: Access,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> AppResult<impl IntoResponse> {
    let encoding = match q
        .encoding
        .as_deref()
        .unwrap_or("utf-8")
        .to_ascii_lowercase()
        .as_str()
    {
        "utf-8" | "utf8" => tracegrid_ingest::Encoding::Utf8,
        "gb18030" | "gbk" => tracegrid_ingest::Encoding::Gb18030,
        other => {
            return Err(AppError::BadRequest(
                Msg::new(Key::BadEncoding).param("encoding", other),
            ));
        }
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // The upload is read first (it is held in memory, up to max_upload_mb), then written out
    // off the async threads.
    let mut parts: Vec<(Option<String>, Bytes)> = Vec::new();
    if content_type.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &state).await.map_err(|e| {
            AppError::rejected(
                e.status(),
                Msg::new(Key::BadUpload).param("detail", e.body_text()),
            )
        })?;
        while let Some(field) = mp.next_field().await.map_err(|e| {
            AppError::rejected(
                e.status(),
                Msg::new(Key::UploadUnreadable).param("detail", &e),
            )
        })? {
            let Some(name) = field.file_name().and_then(safe_name) else {
                continue;
            };
            let data = field.bytes().await.map_err(|e| {
                AppError::rejected(
                    e.status(),
                    Msg::new(Key::UploadFileUnreadable)
                        .param("file", &name)
                        .param("detail", &e),
                )
            })?;
            parts.push((Some(name), data));
        }
    } else {
        let body = Bytes::from_request(req, &state).await.map_err(|e| {
            AppError::rejected(
                e.status(),
                Msg::new(Key::BadUpload).param("detail", e.body_text()),
            )
        })?;
        parts.push((None, body));
    }
    let (id, dir) = state.imports.new_dir()?;
    let drop_dir = dir.join("drop");
    let max_unzipped = state.config.max_unzipped_mb.saturating_mul(1 << 20) as u64;
    let unpack_dir = dir.clone();
    let unpacked = blocking(move || -> AppResult<Vec<String>> {
        let mut files = Vec::new();
        for (name, data) in parts {
            match name {
                Some(name) if !name.ends_with(".zip") => {
                    std::fs::write(drop_dir.join(&name), &data)
                        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing {name}: {e}")))?;
                    files.push(name);
                }
                _ => files.extend(unzip(&data, &drop_dir, max_unzipped)?),
            }
        }
        if files.is_empty() {
            return Err(AppError::BadRequest(Key::UploadEmpty.into()));
        }
        Ok(files)
    })
    .await;
    let files = match unpacked {
        Ok(f) => f,
        Err(e) => {
            // A refused upload leaves nothing behind.
            let _ = std::fs::remove_dir_all(&unpack_dir);
            return Err(e);
        }
    };
    let job = state.imports.add(ImportJob {
        id: id.clone(),
        started_by: access.principal.username.clone(),
        started_at: state.live().time(crate::auth::now_ms()),
        state: ImportState::Running,
        files: files.clone(),
        current_file: None,
        rows_read: 0,
        summary: None,
        error: None,
        has_rejects: false,
    });
    let st = state.clone();
    let job2 = job.clone();
    tokio::task::spawn_blocking(move || {
        let result = run_import(&st, &dir, encoding, Progress::new(job2.clone()));
        let mut j = lock(&job2);
        match result {
            Ok(summary) => {
                j.state = ImportState::Done;
                j.has_rejects = dir.join("rejects.csv").is_file();
                j.summary = Some(summary);
            }
            Err(e) => {
                tracing::warn!(
                    import = j.id.as_str(),
                    error = format!("{e:#}"),
                    "import failed"
                );
                j.state = ImportState::Failed;
                j.has_rejects = dir.join("rejects.csv").is_file();
                j.error = Some(format!("{e:#}"));
            }
        }
    });
    let snapshot = lock(&job).clone();
    Ok((
        StatusCode::ACCEPTED,
        AuditNote::on(&id, files.join(",")),
        Json(snapshot),
    ))
}

/// Imports the drop through the city's workflow (which loads the city again and lets the tasks
/// follow).
fn run_import(
    state: &AppState,
    dir: &std::path::Path,
    encoding: tracegrid_ingest::Encoding,
    mut progress: Progress,
) -> anyhow::Result<tracegrid_ingest::ImportSummary> {
    let opts = tracegrid_ingest::Options {
        tz: state.config.zone()?,
        encoding,
        rejects: tracegrid_ingest::RejectsTarget::IfAny(dir.join("rejects.csv")),
        batch_rows: None,
    };
    let mut summary = state.city.import(&dir.join("drop"), &opts, &mut progress)?;
    // The server's path of the rejects file means nothing to a client: it downloads them.
    summary.rejects_file = None;
    Ok(summary)
}

/// The imports of this server's life, newest first.
#[utoipa::path(get, path = "/api/imports", tag = "imports",
    responses((status = 200, body = Vec<ImportJob>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, _: Access) -> Json<Vec<ImportJob>> {
    Json(state.imports.list())
}

/// One import: its progress, then its summary.
#[utoipa::path(get, path = "/api/imports/{id}", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, body = ImportJob), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    _: Access,
    Path(id): Path<String>,
) -> AppResult<Json<ImportJob>> {
    state
        .imports
        .get(&id)
        .map(Json)
        .ok_or_else(|| AppError::NotFound(Msg::new(Key::NoImport).param("id", &id)))
}

/// The rows an import rejected, each with its file, line and reason (CSV).
#[utoipa::path(get, path = "/api/imports/{id}/rejects.csv", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rejects(
    State(state): State<AppState>,
    _: Access,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    let path = state
        .imports
        .rejects_path(&id)
        .ok_or_else(|| AppError::NotFound(Msg::new(Key::NoRejects).param("id", &id)))?;
    let bytes = blocking(move || {
        std::fs::read(&path)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("reading the rejects: {e}")))
    })
    .await?;
    Ok((
        AuditNote::on(&id, ""),
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"rejects-{id}.csv\""),
            ),
        ],
        bytes,
    ))
}
