//! HTTP surface of the sandbox, mounted under `/sandbox`: Graph paths (with and
//! without a version prefix), the batch endpoint, the OAuth dialog and the admin
//! knobs. Latency, injected faults and usage headers are applied here.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::errors::{self, Reply};
use super::faults::{ErrorKind, Faults, Injected};
use super::graph::{self, Call};
use super::Sandbox;
use crate::db::Db;
use crate::error::AppError;

/// What sandbox handlers need.
#[derive(Clone)]
pub struct SandboxState {
    pub sandbox: Arc<Sandbox>,
    pub db: Db,
    pub sender: super::sender::SenderHandle,
}

const VERSION: &str = r"{version:v[0-9]+\.[0-9]+}";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/sandbox")
            .configure(super::dialog::configure)
            .configure(super::admin::configure)
            .route("/", web::post().to(graph_root))
            .route(&format!("/{VERSION}"), web::post().to(graph_root))
            .route(&format!("/{VERSION}/"), web::post().to(graph_root))
            .route(
                &format!("/{VERSION}/{{tail:.*}}"),
                web::route().to(graph_http),
            )
            .route("/{tail:.*}", web::route().to(graph_http)),
    );
}

/// Query string plus an urlencoded body, later keys winning (as Facebook merges them).
fn params(req: &HttpRequest, body: &[u8]) -> HashMap<String, String> {
    let mut out: HashMap<String, String> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .collect();
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        for (k, v) in
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
        {
            out.insert(k, v);
        }
    }
    out
}

async fn graph_http(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, AppError> {
    let tail = req.match_info().get("tail").unwrap_or("").to_string();
    let method = req.method().as_str().to_string();
    let params = params(&req, &body);
    state.sandbox.count_graph_request();
    let faults = state.sandbox.faults();
    apply_latency(&faults).await;
    if let Some(injected) = faults.pick() {
        return Ok(injected_response(injected, &faults).await);
    }
    let sb = state.sandbox.clone();
    let p = params.clone();
    let reply = state
        .db
        .run(move |conn| {
            Ok(graph::handle(
                conn,
                &sb,
                &Call {
                    method: &method,
                    path: &tail,
                    params: &p,
                },
            )?)
        })
        .await?;
    Ok(respond(&state.sandbox, &faults, reply))
}

/// `POST /` with `batch=[...]`: each item is its own call, in order.
async fn graph_root(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, AppError> {
    let params = params(&req, &body);
    state.sandbox.count_graph_request();
    let faults = state.sandbox.faults();
    apply_latency(&faults).await;
    let Some(batch) = params.get("batch") else {
        return Ok(respond(
            &state.sandbox,
            &faults,
            errors::bad_param("(#100) The parameter batch is required"),
        ));
    };
    let items: Vec<Value> = match serde_json::from_str(batch) {
        Ok(Value::Array(items)) => items,
        _ => {
            return Ok(respond(
                &state.sandbox,
                &faults,
                errors::bad_param("(#100) The parameter batch must be a JSON array"),
            ))
        }
    };
    if items.len() > 50 {
        return Ok(respond(
            &state.sandbox,
            &faults,
            errors::bad_param(
                "(#100) Too many requests in batch message. Maximum batch size is 50",
            ),
        ));
    }
    if let Some(injected) = faults.pick() {
        return Ok(injected_response(injected, &faults).await);
    }
    // Roll per-item faults up front so the database work stays synchronous.
    let item_faults: Vec<Option<Injected>> = items.iter().map(|_| faults.pick()).collect();
    let sb = state.sandbox.clone();
    let top = params.clone();
    let results = state
        .db
        .run(move |conn| {
            let mut out = Vec::with_capacity(items.len());
            for (item, fault) in items.iter().zip(item_faults) {
                let reply = match fault {
                    Some(Injected::Error(ErrorKind::InvalidToken)) => {
                        errors::invalid_token(Some(460), "Error validating access token: The session has been invalidated.")
                    }
                    Some(Injected::Error(_)) => errors::transient(),
                    Some(Injected::RateLimited) => errors::app_rate_limited(403),
                    None => batch_item(conn, &sb, item, &top)?,
                };
                out.push(json!({
                    "code": reply.status,
                    "headers": [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}],
                    "body": reply.body.to_string(),
                }));
            }
            Ok(out)
        })
        .await?;
    Ok(respond(
        &state.sandbox,
        &faults,
        Reply::ok(Value::Array(results)),
    ))
}

fn batch_item(
    conn: &mut diesel::PgConnection,
    sb: &Sandbox,
    item: &Value,
    top: &HashMap<String, String>,
) -> diesel::QueryResult<Reply> {
    let method = item
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let Some(relative) = item.get("relative_url").and_then(Value::as_str) else {
        return Ok(errors::bad_param("(#100) Missing relative_url"));
    };
    let (path, query) = relative.split_once('?').unwrap_or((relative, ""));
    let mut path = path.trim_start_matches('/');
    // Strip an optional version prefix such as `v21.0/`.
    if let Some((first, rest)) = path.split_once('/') {
        if first.starts_with('v') && first[1..].chars().all(|c| c.is_ascii_digit() || c == '.') {
            path = rest;
        }
    } else if path.starts_with('v') && path[1..].chars().all(|c| c.is_ascii_digit() || c == '.') {
        path = "";
    }
    let mut p: HashMap<String, String> = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
        .collect();
    if let Some(body) = item.get("body").and_then(Value::as_str) {
        for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(body).unwrap_or_default()
        {
            p.insert(k, v);
        }
    }
    for key in ["access_token", "appsecret_proof"] {
        if !p.contains_key(key) {
            if let Some(v) = top.get(key) {
                p.insert(key.to_string(), v.clone());
            }
        }
    }
    graph::handle(
        conn,
        sb,
        &Call {
            method: &method,
            path,
            params: &p,
        },
    )
}

async fn apply_latency(faults: &Faults) {
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
}

async fn injected_response(injected: Injected, faults: &Faults) -> HttpResponse {
    let usage = json!({"call_count": 100, "total_time": 100, "total_cputime": 100}).to_string();
    match injected {
        Injected::RateLimited => json_response(errors::app_rate_limited(403))
            .insert_header(("X-App-Usage", usage))
            .finish_json(),
        Injected::Error(ErrorKind::TooManyRequests) => json_response(errors::app_rate_limited(429))
            .insert_header(("X-App-Usage", usage))
            .finish_json(),
        Injected::Error(ErrorKind::ServerError) => json_response(errors::transient()).finish_json(),
        Injected::Error(ErrorKind::InvalidToken) => json_response(errors::invalid_token(
            Some(460),
            "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
        ))
        .finish_json(),
        Injected::Error(ErrorKind::Garbage) => HttpResponse::Ok()
            .content_type("application/json")
            .body("<html><body>Sorry, something went wrong.</body></html>{\"error"),
        Injected::Error(ErrorKind::Timeout) => {
            // Longer than any client timeout; the client gives up first.
            tokio::time::sleep(Duration::from_secs(120)).await;
            let _ = faults;
            json_response(errors::transient()).finish_json()
        }
    }
}

struct PendingJson {
    builder: actix_web::HttpResponseBuilder,
    body: Value,
}

impl PendingJson {
    fn insert_header(mut self, h: (&'static str, String)) -> Self {
        self.builder.insert_header(h);
        self
    }
    fn finish_json(mut self) -> HttpResponse {
        self.builder.json(self.body)
    }
}

fn json_response(reply: Reply) -> PendingJson {
    let status = actix_web::http::StatusCode::from_u16(reply.status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    PendingJson {
        builder: HttpResponse::build(status),
        body: reply.body,
    }
}

/// Adds the usage headers Facebook sends with every answer.
fn respond(sb: &Sandbox, faults: &Faults, reply: Reply) -> HttpResponse {
    let usage = faults.usage_percent;
    let object = reply.business_object.clone();
    let mut b = json_response(reply);
    b = b.insert_header((
        "X-App-Usage",
        json!({"call_count": usage, "total_time": usage, "total_cputime": usage}).to_string(),
    ));
    b = b.insert_header(("Facebook-API-Version", sb.api_version.clone()));
    if let Some(page_id) = object {
        {
            // Page tokens report business-use-case usage keyed by the page.
            let mut usage_by_object = serde_json::Map::new();
            usage_by_object.insert(
                page_id,
                json!([{
                        "type": "pages",
                        "call_count": usage,
                        "total_cputime": usage,
                        "total_time": usage,
                        "estimated_time_to_regain_access": faults.regain_minutes,
                }]),
            );
            b = b.insert_header((
                "X-Business-Use-Case-Usage",
                Value::Object(usage_by_object).to_string(),
            ));
        }
    }
    b.finish_json()
}
