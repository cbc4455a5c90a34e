//! `GET /api/v1/exports/contacts?page_id=…&format=csv|ndjson[&segment=…]`: a
//! streaming export. A blocking producer reads keyset-paginated chunks and sends
//! them through a small bounded channel, so memory stays flat for a million rows.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{web, HttpResponse};
use futures::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use crate::auth::admin::AdminAuth;
use crate::db::{crm, pages};
use crate::domain::export::{self, Format};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

/// Rows per chunk read from Postgres.
pub const CHUNK: i64 = 2000;

pub fn routes(r: &mut Routes) {
    r.get("/exports/contacts", contacts);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    page_id: i64,
    /// `csv` (default) or `ndjson`.
    #[serde(default = "csv")]
    #[param(default = "csv", pattern = "^(csv|ndjson|jsonl)$")]
    format: String,
    /// Only members of this segment (its key).
    #[param(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 100
    )]
    segment: Option<String>,
}

fn csv() -> String {
    "csv".into()
}

#[utoipa::path(
    get,
    path = "/api/v1/exports/contacts",
    operation_id = "exports_contacts",
    tag = "exports",
    params(ExportQuery),
    responses(
        (status = 200, description = "The page's contacts with metrics and segments, streamed. Demographics only for contacts whose latest marketing consent is granted.", content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such page among the admin's pages", body = ErrorResponse),
        (status = 422, description = "Unknown format, or control characters in segment", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn contacts(
    auth: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let format = Format::parse(&q.format)
        .ok_or_else(|| AppError::invalid("invalid_format", "format must be csv or ndjson"))?;
    crate::routes::api::input::query_text("segment", q.segment.as_deref(), 100)?;
    let (admin, page) = (auth.admin_id, q.page_id);
    state
        .db
        .run(move |c| Ok(pages::find_for_admin(c, admin, page)?))
        .await?;
    Ok(stream_contacts(
        &state,
        page,
        format,
        q.segment.filter(|s| !s.is_empty()),
    ))
}

/// The streamed export of a page's contacts (the caller has checked that the
/// admin manages `page`). The API and the dashboard's exports page use it.
pub fn stream_contacts(
    state: &AppState,
    page: i64,
    format: Format,
    segment: Option<String>,
) -> HttpResponse {
    let (tx, rx) = mpsc::channel::<Result<web::Bytes, AppError>>(4);
    let pool = state.db.pool().clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = match pool.get() {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.blocking_send(Err(AppError::from(e)));
                return;
            }
        };
        if format == Format::Csv
            && tx
                .blocking_send(Ok(web::Bytes::from(export::csv_header())))
                .is_err()
        {
            return;
        }
        let mut after = 0;
        loop {
            let rows = match crm::export_chunk(&mut conn, page, segment.as_deref(), after, CHUNK) {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.blocking_send(Err(AppError::from(e)));
                    return;
                }
            };
            let Some(last) = rows.last() else { return };
            after = last.id;
            // A client that went away ends the export.
            if tx
                .blocking_send(Ok(web::Bytes::from(export::encode(format, &rows))))
                .is_err()
            {
                return;
            }
        }
    });
    let stream = tokio_stream_from(rx).map(|r| r.map_err(actix_web::Error::from));
    let ext = if format == Format::Csv {
        "csv"
    } else {
        "ndjson"
    };
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, format.content_type()))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"contacts-{page}.{ext}\""),
        ))
        .streaming(stream)
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
