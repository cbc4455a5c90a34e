//! The prize poll in the admin API:
//! `POST /api/v1/contests/{id}/poll` `{budget, currency, closes_at, opens_at?}`
//! opens it (the contest moves to `prize_poll`); `GET /api/v1/contests/{id}/poll`
//! shows it with every suggestion and its votes;
//! `POST /api/v1/polls/{id}/close` closes it early;
//! `POST /api/v1/polls/{id}/adopt` `{suggestion_id}` makes an approved suggestion
//! the contest's prize once the poll is closed;
//! `GET /api/v1/polls/{id}/participants` lists who took part;
//! `POST /api/v1/suggestions/{id}/moderation` `{status, reason}` moderates.
//! The rules are in `domain::prize_poll`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::contests;
use crate::db::polls::{self, Poll};
use crate::domain::prize_poll::{self, check_budget, check_currency, parse_amount};
use crate::error::AppError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/contests/{id}/poll", web::post().to(open))
        .route("/contests/{id}/poll", web::get().to(show))
        .route("/polls/{id}/close", web::post().to(close))
        .route("/polls/{id}/adopt", web::post().to(adopt))
        .route("/polls/{id}/participants", web::get().to(participants))
        .route("/suggestions/{id}/moderation", web::post().to(moderate));
}

/// The API shape of a poll: the row, whether it is open now, and the budget in words.
fn view(poll: &Poll, contest: &contests::Contest) -> serde_json::Value {
    let mut v = serde_json::to_value(poll).unwrap_or_default();
    v["open"] = json!(prize_poll::is_open(poll, contest, Utc::now()));
    v["budget"] = json!(prize_poll::format_amount(poll.budget_minor, &poll.currency));
    v
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenInput {
    budget: serde_json::Value,
    currency: String,
    closes_at: String,
    opens_at: Option<String>,
}

async fn open(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<OpenInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let input = body.into_inner();
    let budget = check_budget(parse_amount(&input.budget, "budget")?)?;
    let currency = check_currency(&input.currency)?;
    let keys = state.keys.clone();
    let (poll, contest) = state
        .db
        .transaction(move |c| {
            prize_poll::open_poll(
                c,
                &keys.tokens,
                admin,
                id,
                budget,
                &currency,
                &input.closes_at,
                input.opens_at.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(view(&poll, &contest)))
}

async fn show(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let v = state
        .db
        .run(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            let poll = polls::for_contest(c, id)?
                .ok_or_else(|| AppError::not_found("this contest has no prize poll"))?;
            let mut v = view(&poll, &contest);
            v["suggestions"] = json!(polls::list(c, poll.id, None)?);
            Ok(v)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

async fn close(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let v = state
        .db
        .transaction(move |c| {
            let (poll, contest) = prize_poll::close_poll(c, admin, id)?;
            Ok(view(&poll, &contest))
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdoptInput {
    suggestion_id: i64,
}

async fn adopt(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<AdoptInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id, suggestion_id) = (auth.admin_id, path.into_inner(), body.suggestion_id);
    let v = state
        .db
        .transaction(move |c| {
            let (poll, updated) = prize_poll::adopt_suggestion(c, admin, id, suggestion_id)?;
            let mut v = view(&poll, &updated);
            v["contest"] = crate::routes::api::contests::view(&updated, Utc::now());
            Ok(v)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

async fn participants(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let list = state
        .db
        .run(move |c| {
            polls::find_for_admin(c, admin, id)?;
            Ok(polls::participants(c, id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "data": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModerationInput {
    status: String,
    reason: Option<String>,
}

async fn moderate(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<ModerationInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let input = body.into_inner();
    let updated = state
        .db
        .transaction(move |c| {
            prize_poll::moderate_suggestion(c, admin, id, &input.status, input.reason.as_deref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}
