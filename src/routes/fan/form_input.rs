//! Reads an entry form: urlencoded, or multipart with an optional image. Sizes are
//! bounded while reading, so an oversize upload is refused without buffering it.

use actix_multipart::Multipart;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest};
use futures::StreamExt;

use crate::error::AppError;

/// Text fields are small; anything bigger is hostile.
const MAX_FIELD_BYTES: usize = 64 * 1024;
const MAX_FIELDS: usize = 64;

pub struct FormInput {
    pub fields: Vec<(String, String)>,
    pub image: Option<Vec<u8>>,
}

impl FormInput {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

pub async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    max_image: usize,
) -> Result<FormInput, AppError> {
    let ct = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("multipart/form-data") {
        return read_multipart(req, payload, max_image).await;
    }
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(AppError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the form as multipart/form-data or application/x-www-form-urlencoded",
        ));
    }
    let body = read_limited(payload, MAX_FIELD_BYTES * 4).await?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::bad_request("malformed_form", e.to_string()))?;
    if fields.len() > MAX_FIELDS {
        return Err(AppError::bad_request(
            "malformed_form",
            "too many form fields",
        ));
    }
    Ok(FormInput {
        fields,
        image: None,
    })
}

async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, AppError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::bad_request("bad_body", e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::too_large("the form is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn read_multipart(
    req: &HttpRequest,
    payload: web::Payload,
    max_image: usize,
) -> Result<FormInput, AppError> {
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut fields = Vec::new();
    let mut image = None;
    while let Some(field) = multipart.next().await {
        let mut field =
            field.map_err(|e| AppError::bad_request("malformed_form", e.to_string()))?;
        let name = field.name().unwrap_or("").to_string();
        let is_file = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .is_some();
        let limit = if is_file && name == "image" {
            max_image
        } else {
            MAX_FIELD_BYTES
        };
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|e| AppError::bad_request("malformed_form", e.to_string()))?;
            if data.len() + chunk.len() > limit {
                return Err(if is_file {
                    AppError::too_large(format!(
                        "images are limited to {} MB",
                        max_image / (1024 * 1024)
                    ))
                    .with_details(serde_json::json!({"field": "image"}))
                } else {
                    AppError::too_large(format!("the field `{name}` is too large"))
                });
            }
            data.extend_from_slice(&chunk);
        }
        if is_file {
            // An empty file input (nothing chosen) is simply no image.
            if name == "image" && !data.is_empty() {
                image = Some(data);
            }
            continue;
        }
        let value = String::from_utf8(data).map_err(|_| {
            AppError::bad_request("malformed_form", format!("the field `{name}` is not UTF-8"))
        })?;
        fields.push((name, value));
        if fields.len() > MAX_FIELDS {
            return Err(AppError::bad_request(
                "malformed_form",
                "too many form fields",
            ));
        }
    }
    Ok(FormInput { fields, image })
}
