//! Winner selection in the admin API:
//! `POST /api/v1/contests/{id}/draw` `{method: votes|points|judges|random,
//! winners, alternates}` picks the winners once, after the contest closes;
//! `GET /api/v1/contests/{id}/winners` lists winners, alternates and declines;
//! `POST /api/v1/winners/{id}/decline` `{reason}` passes a prize slot to the next
//! alternate; `POST /api/v1/contests/{id}/announce` moves the contest to
//! `winners_announced`. The rules are in `domain::winners`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::admin::AdminAuth;
use crate::db::{contests, draws};
use crate::domain::contest::Status;
use crate::domain::winners::{self, Declined, DrawRequest, Method};
use crate::error::AppError;
use crate::routes::api::contests::ContestView;
use crate::routes::api::input::ApiJson;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.post("/contests/{id}/draw", run)
        .get("/contests/{id}/winners", show)
        .post("/contests/{id}/announce", announce)
        .post("/winners/{id}/decline", decline);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawInput {
    /// `votes`, `points`, `judges` or `random`.
    #[schema(pattern = "^(votes|points|judges|random)$", example = "random")]
    method: String,
    /// Prize slots to fill; at most `domain::winners::MAX_PICKS` (1000).
    #[schema(minimum = 0, maximum = 1000)]
    winners: usize,
    /// Runners-up who take a slot when a winner declines; at most 1000.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000)]
    alternates: usize,
}

#[utoipa::path(
    post,
    path = "/api/v1/contests/{id}/draw",
    operation_id = "draws_run",
    tag = "winners",
    params(("id" = i64, Path, description = "The contest id")),
    request_body = DrawInput,
    responses(
        (status = 201, description = "Winners and alternates picked", body = WinnersView),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 409, description = "Winners were already picked, or the contest is not closed", body = ErrorResponse),
        (status = 422, description = "Unknown method, or counts out of range", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn run(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<DrawInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let input = body.into_inner();
    let method = Method::parse(&input.method).ok_or_else(|| {
        AppError::invalid(
            "invalid_method",
            "method must be votes, points, judges or random",
        )
    })?;
    let keys = state.keys.clone();
    let view = state
        .db
        .transaction(move |c| {
            let contest = contests::lock_for_admin(c, admin, id)?;
            let draw = winners::run(
                c,
                &keys.tokens,
                DrawRequest {
                    contest: &contest,
                    method,
                    winners: input.winners,
                    alternates: input.alternates,
                    admin_id: admin,
                    now: Utc::now(),
                },
            )?;
            winners_view(c, &contest, draw)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The draw, its picks, and the public record's address for random draws.
#[derive(Serialize, ToSchema)]
pub struct WinnersView {
    /// Null until winners are picked.
    pub draw: Option<draws::Draw>,
    /// Picks whose status is `won`.
    pub winners: Vec<draws::PickView>,
    /// Picks whose status is `standby`.
    pub alternates: Vec<draws::PickView>,
    /// Every pick, declined ones included.
    pub picks: Vec<draws::PickView>,
    /// The public record of a random draw, `/c/<slug>/draw.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_url: Option<String>,
    /// SHA-256 commitment to the random draw's seed (GET only; null when none was committed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Option<String>>,
}

fn winners_view(
    conn: &mut diesel::PgConnection,
    contest: &contests::Contest,
    draw: draws::Draw,
) -> Result<WinnersView, AppError> {
    let picks = draws::pick_views(conn, draw.id)?;
    let pick = |status: &str| -> Vec<draws::PickView> {
        picks
            .iter()
            .filter(|p| p.status == status)
            .cloned()
            .collect()
    };
    Ok(WinnersView {
        winners: pick("won"),
        alternates: pick("standby"),
        record_url: (draw.method == "random").then(|| format!("/c/{}/draw.json", contest.slug)),
        draw: Some(draw),
        picks,
        commitment: None,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}/winners",
    operation_id = "draws_show",
    tag = "winners",
    params(("id" = i64, Path, description = "The contest id")),
    responses(
        (status = 200, description = "Winners, alternates and declines (empty lists before the draw)", body = WinnersView),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn show(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let view = state
        .db
        .run(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            let commitment = draws::commitment(c, id)?;
            match draws::find_draw(c, id)? {
                Some(d) => {
                    let mut v = winners_view(c, &contest, d)?;
                    v.commitment = Some(commitment);
                    Ok(v)
                }
                None => Ok(WinnersView {
                    draw: None,
                    winners: Vec::new(),
                    alternates: Vec::new(),
                    picks: Vec::new(),
                    record_url: None,
                    commitment: Some(commitment),
                }),
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    /// 1..=500 characters.
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/winners/{id}/decline",
    operation_id = "draws_decline",
    tag = "winners",
    params(("id" = i64, Path, description = "The pick id of a current winner")),
    request_body = DeclineInput,
    responses(
        (status = 200, description = "Declined; the next eligible alternate took the slot when there was one", body = Declined),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such pick on the admin's pages", body = ErrorResponse),
        (status = 409, description = "The pick is not a current winner", body = ErrorResponse),
        (status = 422, description = "Reason missing or too long", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn decline(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<DeclineInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let reason = crate::routes::api::input::text("reason", &body.reason, 1, 500)?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let outcome = state
        .db
        .transaction(move |c| {
            let pick = draws::find_pick_for_admin(c, admin, id)?;
            let contest = contests::find(c, pick.contest_id)?;
            winners::decline(c, &pick, &reason, Some(admin), contest.page_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(outcome))
}

#[utoipa::path(
    post,
    path = "/api/v1/contests/{id}/announce",
    operation_id = "draws_announce",
    tag = "winners",
    params(("id" = i64, Path, description = "The contest id")),
    responses(
        (status = 200, description = "The contest is now `winners_announced`", body = ContestView),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 409, description = "Not allowed from the current status", body = ErrorResponse),
        (status = 422, description = "The contest is not ready (e.g. no winners)", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn announce(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let keys = state.keys.clone();
    let contest = state
        .db
        .transaction(move |c| {
            crate::domain::lifecycle::transition(
                c,
                id,
                Some(admin),
                Status::WinnersAnnounced,
                Utc::now(),
                &keys.tokens,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(crate::routes::api::contests::view(&contest, Utc::now())))
}
