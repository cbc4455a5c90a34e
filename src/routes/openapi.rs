//! The OpenAPI 3 document (`GET /api/openapi.json`) and interactive docs
//! (`GET /api/docs/`, Swagger UI served from the binary: utoipa-swagger-ui's
//! `vendored` feature bundles it, so neither the build nor the page fetches
//! anything from the network).
//!
//! Handlers are documented where they live, with `#[utoipa::path]`; a new feature
//! adds its handlers to `paths(...)` and its body types to `components(...)` below.
//! The schema types here describe bodies that handlers build with `json!`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::api::{
    audit, contacts, contests, draws, entries, exports, judging, me, pages, points, polls,
    referrals, segments, trends, votes,
};
use super::fan::{
    docs as fan_docs, draw, email, enter, form_start, me as fan_me, my_data, poll, referral, share,
    tab, vote,
};
use super::{facebook_callbacks, health, webhooks};

pub const OPENAPI_JSON: &str = "/api/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fanfare",
        description = "Contests and promotions on Facebook pages, feeding a social CRM. \
                       Every error answers `{\"error\":{\"code\",\"message\"}}`."
    ),
    paths(
        health::healthz,
        health::readyz,
        webhooks::handshake,
        webhooks::receive,
        facebook_callbacks::deauthorize,
        facebook_callbacks::data_deletion,
        facebook_callbacks::deletion_status,
        me::me,
        pages::list,
        pages::show,
        pages::resubscribe,
        contests::list,
        contests::create,
        contests::show,
        contests::update,
        contests::transition,
        contests::backfill,
        entries::list,
        entries::bulk,
        entries::show,
        entries::one,
        votes::list,
        votes::void,
        points::board,
        points::list,
        points::adjust,
        referrals::list,
        draws::run,
        draws::show,
        draws::announce,
        draws::decline,
        judging::list_criteria,
        judging::add_criterion,
        judging::ranking,
        judging::scores,
        judging::score,
        polls::open,
        polls::show,
        polls::close,
        polls::adopt,
        polls::participants,
        polls::moderate,
        audit::list,
        contacts::list,
        contacts::show,
        segments::list,
        segments::create,
        segments::recompute,
        segments::show,
        segments::remove,
        trends::trends,
        exports::contacts,
        draw::get,
        my_data::get,
        enter::post,
        vote::post,
        share::post,
        poll::suggest,
        poll::vote,
        email::request,
        email::confirm,
        tab::get,
        tab::post,
        fan_me::get,
        fan_me::post,
        form_start::post,
        referral::follow,
    ),
    components(schemas(
        ErrorResponse,
        ErrorDetail,
        Status,
        Readiness,
        SignedRequestForm,
        Deauthorized,
        DeletionAccepted,
        DeletionStatus,
        fan_docs::EntryCreated,
        fan_docs::VoteAnswer,
        fan_docs::ShareRecorded,
        fan_docs::EmailSent,
        fan_docs::SuggestionCreated,
        fan_docs::MyData,
    )),
    tags(
        (name = "operations", description = "Liveness and readiness probes"),
        (name = "facebook", description = "Callbacks called by Facebook: webhooks and signed_request endpoints"),
        (name = "me", description = "Admin API: the signed-in admin"),
        (name = "pages", description = "Admin API: Facebook pages and their token and webhook health"),
        (name = "contests", description = "Admin API: contests and their lifecycle"),
        (name = "entries", description = "Admin API: entries and moderation"),
        (name = "votes", description = "Admin API: votes and fraud review"),
        (name = "points", description = "Admin API: points ledger and leaderboards"),
        (name = "referrals", description = "Admin API: referrers and conversions"),
        (name = "winners", description = "Admin API: winner selection, declines, announcement"),
        (name = "judging", description = "Admin API: judging criteria and scores"),
        (name = "polls", description = "Admin API: prize polls and suggestions"),
        (name = "audit", description = "Admin API: the audit log"),
        (name = "contacts", description = "Admin API: the social CRM's contacts"),
        (name = "segments", description = "Admin API: personas and custom segments"),
        (name = "trends", description = "Admin API: trends and the funnel"),
        (name = "exports", description = "Admin API: streaming contact exports"),
        (name = "fan", description = "The fan side's JSON: the public draw record, a fan's own data, and the fan forms when asked for JSON (`Accept: application/json`)"),
    ),
    modifiers(&Security)
)]
pub struct ApiDoc;

/// How the admin API (`/api/v1`) authenticates (`auth::admin::AdminAuth`): the
/// session JWT, either as a bearer token or in the dashboard's cookie. Cookie
/// sessions also send `X-CSRF-Token` (from `GET /api/v1/me`) on state-changing
/// requests; bearer clients do not need it.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The admin session token (HS256 JWT) issued at Facebook sign-in \
                         (`/auth/facebook/login`); the same token the `fanfare_admin` cookie holds.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "fan_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::cookies::FAN_COOKIE,
                "A fan's session: from Log in with Facebook on the fan page, or a confirmed email.",
            ))),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::cookies::ADMIN_COOKIE,
                "The dashboard's session cookie. State-changing requests also need the \
                 `X-CSRF-Token` header from `GET /api/v1/me`.",
            ))),
        );
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Swagger UI's page uses relative links (./swagger-ui.css), so it lives at
    // /api/docs/; the bare path redirects there.
    cfg.route(
        "/api/docs",
        web::get().to(|| async {
            HttpResponse::MovedPermanently()
                .insert_header((LOCATION, "/api/docs/"))
                .finish()
        }),
    )
    .route(OPENAPI_JSON, web::get().to(openapi_json))
    .service(
        // The UI only: the document is served by `openapi_json`. Given the
        // document, SwaggerUi would build and keep a copy in every HTTP worker
        // at start-up (about 4 MB each, most of the process's heap then).
        SwaggerUi::new("/api/docs/{_:.*}")
            // The default validator badge would call validator.swagger.io.
            .config(Config::new([OPENAPI_JSON]).validator_url("none")),
    );
}

/// The OpenAPI document, built and serialised once, on first request.
async fn openapi_json() -> HttpResponse {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = JSON.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .expect("the OpenAPI document serialises")
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.as_str())
}

/// Every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `bad_signature`.
    #[schema(example = "not_found")]
    pub code: String,
    /// Human-readable, safe to show.
    pub message: String,
    /// Extra machine-readable detail, when there is any (e.g. which field).
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// A plain status answer.
#[derive(Serialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: String,
    #[schema(example = "ok")]
    pub database: String,
}

/// The form Facebook posts to its callbacks.
#[derive(Serialize, ToSchema)]
pub struct SignedRequestForm {
    /// `<base64url HMAC-SHA256 signature>.<base64url JSON payload>`, signed with the app secret.
    pub signed_request: String,
}

#[derive(Serialize, ToSchema)]
pub struct Deauthorized {
    #[schema(example = "deauthorized")]
    pub status: String,
    /// Stored page tokens revoked for this user.
    pub tokens_revoked: i64,
}

/// What Facebook expects back from a data deletion request.
#[derive(Serialize, ToSchema)]
pub struct DeletionAccepted {
    /// Status page the user is sent to.
    pub url: String,
    pub confirmation_code: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeletionStatus {
    pub confirmation_code: String,
    /// `pending`, `completed` or `failed`.
    pub status: String,
    pub requested_at: chrono::DateTime<chrono::Utc>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
    /// What is kept after deletion, and why.
    pub retained: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    #[test]
    fn the_error_schema_matches_what_apperror_sends() {
        let err = AppError::not_found("nothing here");
        let documented = serde_json::to_value(ErrorResponse {
            error: ErrorDetail {
                code: err.code().into(),
                message: err.message().into(),
                details: None,
            },
        })
        .unwrap();
        assert_eq!(documented, err.body_json());
    }

    #[test]
    fn every_documented_path_is_absolute() {
        let doc = ApiDoc::openapi();
        assert!(doc.paths.paths.keys().all(|p| p.starts_with('/')));
        assert!(doc.paths.paths.contains_key("/webhooks/facebook"));
    }
}
