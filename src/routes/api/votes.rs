//! Vote fraud review: `GET /api/v1/contests/{id}/votes?flagged=true` lists votes
//! with their signals (IP bursts, brand-new identities); `POST /api/v1/votes/{id}/void`
//! voids one with a reason, kept in the audit log.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::admin::AdminAuth;
use crate::db::votes::{Vote, VoteView};
use crate::db::{contests, votes};
use crate::error::AppError;
use crate::routes::api::input::ApiJson;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/votes", list)
        .post("/votes/{id}/void", void);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only votes with at least one fraud signal.
    #[serde(default)]
    flagged: bool,
}

/// Votes with their signals, and what each signal means.
#[derive(Serialize, ToSchema)]
pub struct VoteList {
    /// At most 1000 votes, newest first.
    pub data: Vec<VoteView>,
    pub signals: Signals,
}

#[derive(Serialize, ToSchema)]
pub struct Signals {
    pub ip_burst: String,
    pub new_identity: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}/votes",
    operation_id = "votes_list",
    tag = "votes",
    params(("id" = i64, Path, description = "The contest id"), ListQuery),
    responses(
        (status = 200, description = "The contest's votes with fraud signals", body = VoteList),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (admin, contest, flagged) = (auth.admin_id, path.into_inner(), q.flagged);
    let list = state
        .db
        .run(move |c| {
            contests::find_for_admin(c, admin, contest)?;
            Ok(votes::list_for_admin(c, admin, contest, flagged, 1000)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(VoteList {
        data: list,
        signals: Signals {
            ip_burst: format!(
                "{} or more votes from the same IP within 10 minutes",
                votes::BURST_THRESHOLD
            ),
            new_identity: format!(
                "the voter was first seen less than {} minutes before voting",
                votes::NEW_IDENTITY_SECS / 60
            ),
        },
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidInput {
    /// Why, kept in the audit log; 1..=500 characters.
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/votes/{id}/void",
    operation_id = "votes_void",
    tag = "votes",
    params(("id" = i64, Path, description = "The vote id")),
    request_body = VoidInput,
    responses(
        (status = 200, description = "The vote, voided", body = Vote),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such vote on the admin's pages", body = ErrorResponse),
        (status = 409, description = "Already voided", body = ErrorResponse),
        (status = 422, description = "Reason missing or too long", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn void(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<VoidInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let reason = body.into_inner().reason;
    let vote = state
        .db
        .transaction(move |c| crate::domain::voting::void(c, admin, id, &reason))
        .await?;
    Ok(HttpResponse::Ok().json(vote))
}
