//! Winner selection in the admin API:
//! `POST /api/v1/contests/{id}/draw` `{method: votes|points|judges|random,
//! winners, alternates}` picks the winners once, after the contest closes;
//! `GET /api/v1/contests/{id}/winners` lists winners, alternates and declines;
//! `POST /api/v1/winners/{id}/decline` `{reason}` passes a prize slot to the next
//! alternate; `POST /api/v1/contests/{id}/announce` moves the contest to
//! `winners_announced`. The rules are in `domain::winners`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::{contests, draws};
use crate::domain::contest::Status;
use crate::domain::winners::{self, DrawRequest, Method};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.post("/contests/{id}/draw", run)
        .get("/contests/{id}/winners", show)
        .post("/contests/{id}/announce", announce)
        .post("/winners/{id}/decline", decline);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DrawInput {
    method: String,
    winners: usize,
    #[serde(default)]
    alternates: usize,
}

async fn run(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<DrawInput>,
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
fn winners_view(
    conn: &mut diesel::PgConnection,
    contest: &contests::Contest,
    draw: draws::Draw,
) -> Result<serde_json::Value, AppError> {
    let picks = draws::pick_views(conn, draw.id)?;
    let current: Vec<_> = picks.iter().filter(|p| p.status == "won").collect();
    let standby: Vec<_> = picks.iter().filter(|p| p.status == "standby").collect();
    Ok(json!({
        "draw": draw,
        "winners": current,
        "alternates": standby,
        "picks": picks,
        "record_url": (draw.method == "random").then(|| format!("/c/{}/draw.json", contest.slug)),
    }))
}

async fn show(
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
                    v["commitment"] = json!(commitment);
                    Ok(v)
                }
                None => Ok(json!({"draw": null, "winners": [], "alternates": [], "picks": [], "commitment": commitment})),
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclineInput {
    reason: String,
}

async fn decline(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<DeclineInput>,
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

async fn announce(
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
