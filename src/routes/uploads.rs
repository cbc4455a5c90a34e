//! `GET /uploads/{name}`: serves stored entry images (see `domain::images`).
//!
//! Only names that [`store`](crate::domain::images::store) could have written are
//! looked up; everything else, traversal attempts included, is a 404 before the file
//! system is touched. The response headers make the browser treat the bytes as an
//! image and nothing else, even if a file were ever not what its name says.

use std::io;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::domain::images::parse_stored_name;
use crate::error::AppError;
use crate::state::AppState;

/// Stored names are content hashes, so a URL's bytes never change.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// No scripts, styles or plugins, even when the image is opened as a document.
const CSP: &str = "default-src 'none'; sandbox";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/uploads/{name}")
            .route(web::get().to(serve))
            .route(web::head().to(serve)),
    );
}

async fn serve(
    req: HttpRequest,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let name = name.into_inner();
    let Some(format) = parse_stored_name(&name) else {
        return Err(no_such_upload());
    };
    // The hash is the content, so it is a strong validator.
    let etag = format!("\"{}\"", &name[..64]);
    let not_modified = if_none_match(&req, &etag);
    let path = state.settings.uploads.dir.join(&name);
    // A 304 still requires the file to exist: an erased image must stop being served.
    let read = web::block(move || -> io::Result<Option<Vec<u8>>> {
        if not_modified {
            std::fs::metadata(&path).map(|_| None)
        } else {
            std::fs::read(&path).map(Some)
        }
    })
    .await?;
    let body = match read {
        Ok(body) => body,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(no_such_upload()),
        Err(e) => return Err(AppError::internal(e)),
    };

    let mut resp = match body {
        None => HttpResponse::NotModified(),
        Some(_) => HttpResponse::Ok(),
    };
    resp.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, CACHE_FOREVER))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP));
    Ok(match body {
        None => resp.finish(),
        Some(bytes) => resp
            .insert_header((header::CONTENT_TYPE, format.mime_type()))
            .insert_header((header::CONTENT_DISPOSITION, "inline"))
            .body(bytes),
    })
}

/// True when the client already holds this exact image (`If-None-Match` lists our
/// ETag, weak or strong, or is `*`).
fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v: &HeaderValue| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// One message for every miss: the caller learns nothing about the file system.
fn no_such_upload() -> AppError {
    AppError::not_found("no such upload")
}
